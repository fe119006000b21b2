/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Per-command request counts of one protocol's shared captures against EXPECTED.tsv (tshark),
 * for the suites whose oracle rows are "one row per command name, a requests total and
 * optionally error rows" (MongoDB, Kafka). Redis and HTTP have their own variants. */
#ifndef WL_TESTS_CAPTURE_CMDS_H
#define WL_TESTS_CAPTURE_CMDS_H

#include <stddef.h>
#include <stdint.h>

/* A server port beyond the protocol's defaults (oracle.sh's manifest), set for that file. */
struct capture_port {
	const char *file;
	uint32_t port;
};

/* A row where wirelens differs from tshark by design: instead of the tshark value (or 0 when
 * tshark has no such row), wirelens must report value. why says the reason. */
struct capture_exception {
	const char *file, *metric, *key;
	uint64_t value;
	const char *why;
};

struct capture_spec {
	const char *protocol;	  /* EXPECTED.tsv protocol column and directory, e.g. "mongodb" */
	uint8_t l7_proto;	  /* enum wl_l7_proto */
	const char *cmd_metric;	  /* rows keyed by command name, e.g. "request_cmd" */
	const char *error_metric; /* rows summed into the error total (NULL: errors not compared) */
	const struct capture_port *ports;
	size_t nports;
	const struct capture_exception *exceptions;
	size_t nexceptions;
	int files; /* capture files the protocol has in EXPECTED.tsv */
};

/* Replays each capture through XDP and TC (TC skips files with frames above the test_run limit)
 * and asserts, per file: every command's requests, the requests total, the error total (when
 * error_metric is set) and that wirelens reports no command the oracle (or an exception) lacks.
 * Every exception must be used. */
void capture_check(const struct capture_spec *spec);

#endif
