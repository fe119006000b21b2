/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The shared captures of one protocol against EXPECTED.tsv (the tshark oracle), as a table: a
 * protocol's "captures" test is one struct capture_spec (which oracle rows are per-command
 * request counts, which are totals of what field, the server ports, the rows where wirelens
 * differs by design) run by capture_run, which replays every file through XDP and TC and makes
 * the assertions (each protocol suite's last test, "captures", made from the registry by
 * register_capture_tests). What no table says (a protocol's own rule) goes in the spec's check
 * function, called for each file after the common assertions, with the helpers below.
 */
#ifndef WL_TESTS_CAPTURE_CMDS_H
#define WL_TESTS_CAPTURE_CMDS_H

#include <stddef.h>
#include <stdint.h>
#include "harness.h"
#include "pcap_replay.h"
#include "maps/wirelens.h"

/* A server port beyond the protocol's defaults (oracle.sh's manifest), set for that file. */
struct capture_port {
	const char *file;
	uint32_t port;
};

/*
 * A row where wirelens differs from tshark by design: instead of the tshark value (or 0 when
 * tshark has no such row), wirelens must report value. why says the reason. The metric may
 * also be one no oracle row has: a wirelens counter the spec checks ("l7_unmatched") or a
 * figure a check function reads with capture_want ("unanswered"). Every exception must match a
 * replayed file.
 */
struct capture_exception {
	const char *file, *metric, *key;
	uint64_t value;
	const char *why;
};
/* Every protocol's, in tests/capture_exceptions.c; ends with {} (file NULL). */
extern const struct capture_exception capture_exceptions[];

/* What a total compares: one field of wl_cmd_stats summed over the command names. */
enum capture_field {
	CAPTURE_REQUESTS,
	CAPTURE_RESPONSES,
	CAPTURE_ERRORS,
	CAPTURE_MISSES,
	CAPTURE_FIELDS,
};

/* Oracle rows summed into a total of one field (several entries of one field add up). A file
 * without such rows wants 0, but for requests: then the per-command requests summed. */
struct capture_total {
	enum capture_field field;
	const char *metric;
	const char *key;		/* NULL: every key */
	int (*key_ok)(const char *key); /* NULL: every key */
};

/* Too-big frames: test_run takes linear skbs of about a page on TC, so a stream with larger
 * frames has holes there (large nonlinear skbs on TC are covered by the live tests, GSO). */
enum capture_too_big {
	CAPTURE_TOO_BIG_SKIP_TC, /* only TC may meet one; such a file is not compared there */
	CAPTURE_TOO_BIG_NONE,	 /* no frame may be too big, on either hook */
	CAPTURE_TOO_BIG_COUNTED, /* frames too big are skipped, the file compared all the same */
};

#define CAPTURE_MAX	  8
#define CAPTURE_NAMES_MAX 64

struct capture_file;

/* A spec's ports, from an array. */
#define CAPTURE_PORTS(a) .ports = (a), .nports = sizeof(a) / sizeof((a)[0])

struct capture_spec {
	struct {
		const char *name; /* EXPECTED.tsv protocol column and directory, e.g. "mongodb" */
		uint8_t l7_proto; /* enum wl_l7_proto */
		int files;	  /* capture files the protocol has in EXPECTED.tsv */
	} protocol;
	/* Rows keyed by command name, summed per name, equal wirelens' requests of the name. */
	struct {
		const char *metrics[CAPTURE_MAX];
		/* The name wirelens reports for an oracle key of metric; NULL: the row is no
		 * command. NULL function: the key itself. */
		const char *(*name)(const char *metric, const char *key);
		/* Every name wirelens reports (but uncounted) must be a command the oracle
		 * wants. */
		int listed;
	} commands;
	/* Executes of prepared statements count under the statement's verb: when the file's
	 * prepare_metric has a single verb, the rows execute_metric/execute_key add to it. */
	struct {
		const char *prepare_metric, *execute_metric, *execute_key;
	} prepared;
	struct capture_total totals[CAPTURE_MAX];
	/* Names that are connections, not commands: in no total, no listing. */
	const char *uncounted[CAPTURE_MAX];
	/* wl_counters fields (by wl_counter_names) that must be 0 unless an exception says. */
	const char *counters[CAPTURE_MAX];
	enum capture_too_big too_big;
	const struct capture_port *ports;
	size_t nports;
	/* When set (> 0): oracle rows compared as tshark has them, and exceptions applied, summed
	 * over every file and hook; guards against rows the table silently ignores. */
	struct {
		int compared, excepted;
	} figures;
	/* The protocol's own assertions, per file and hook, after the common ones. */
	void (*check)(const struct capture_file *f);
};

/* One file replayed through one hook, as a check function sees it. */
struct capture_file {
	const struct capture_spec *spec;
	const char *file;
	enum wl_hook hook;
	const struct wl_expected_row *rows; /* every row of EXPECTED.tsv */
	int nrows;
	const struct capture_exception *const *exceptions; /* the file's, NULL-terminated */
};

/* Runs spec: every file of the protocol in EXPECTED.tsv through XDP and TC. */
void capture_run(const struct capture_spec *spec);

/* Every protocol of the registry has its spec: tests/test_<name>.c defines <name>_captures. */
#define CAPTURE_SPEC_DECL(name, ...) extern const struct capture_spec name##_captures;
WL_L7_PROTOCOLS(CAPTURE_SPEC_DECL)
/* Adds the test "captures" (capture_run of <name>_captures) to the suite of every protocol of
 * the registry, after the suite's own tests. Returns 0, or -1 when a suite is missing. */
int register_capture_tests(void);

/* The file's oracle rows of metric (and key; NULL: any), summed as tshark has them. */
uint64_t capture_oracle(const struct capture_file *f, const char *metric, const char *key);
/* Their count. */
int capture_oracle_rows(const struct capture_file *f, const char *metric);
/* The same sum with the file's exceptions applied: what wirelens must report. */
uint64_t capture_want(const struct capture_file *f, const char *metric, const char *key);
/* Asserts got == want; on a mismatch says so on stderr with the hook, file and what. */
void capture_expect(const struct capture_file *f, const char *what, uint64_t got, uint64_t want);
/* wirelens' stats of one command name, summed over servers. */
struct wl_cmd_stats capture_cmd(const struct capture_file *f, const char *name);
/* The command names wirelens reports for the protocol. Returns the count. */
int capture_names(const struct capture_file *f, char (*names)[WL_CMD_LEN]);
/* wirelens' stats summed over the names in (only: NULL-terminated) or, with only NULL, over
 * every name but those in except (NULL-terminated; NULL: none). */
struct wl_cmd_stats capture_sum(const struct capture_file *f, const char *const *only,
				const char *const *except);

#endif
