/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* CUnit assertions on the maps that every suite makes (for the files linked with CUnit). */
#ifndef WL_TESTS_EXPECT_H
#define WL_TESTS_EXPECT_H

#include <stddef.h>
#include <stdint.h>
#include "l7conv.h"

/* One counter of struct wl_counters, by its name (loader/views.c wl_counter_names). */
struct counter_want {
	const char *name;
	uint64_t value;
};

/* Asserts each counter of want[0..n) (an unknown name fails); a mismatch says the file and
 * line of the caller. */
void expect_counters_at(const struct counter_want *want, size_t n, const char *file, int line);
/* The same for the counters of want ("l7_gap 1, l7_unmatched 2"; NULL: none), then for those
 * of base (nb) that want does not name: a case's own figures over defaults. */
void expect_counters_over(const struct counter_want *base, size_t nb, const char *want,
			  const char *file, int line);
/* EXPECT_COUNTERS({"l7_gap", 1}, {"l7_unmatched", 0}): one assertion per counter. */
#define EXPECT_COUNTERS(...)                                                                       \
	do {                                                                                       \
		const struct counter_want cw_[] = {__VA_ARGS__};                                   \
		expect_counters_at(cw_, sizeof(cw_) / sizeof(cw_[0]), __FILE__, __LINE__);         \
	} while (0)

/*
 * Asserts the commands of proto at c's server, as a fixture table writes them: want is
 * "CMD requests responses errors [misses]" entries separated by ", " ("GET 2 2 0, SET 1 1 0").
 * Each command's requests, responses and errors (and misses when given), and that it is there,
 * then that the stats map holds nothing else. A want that does not parse fails.
 */
void expect_cmds_only_at(const struct conv *c, uint8_t proto, const char *want, const char *file,
			 int line);
#define EXPECT_CMDS(c, proto, want) expect_cmds_only_at(c, proto, want, __FILE__, __LINE__)

/*
 * A fixture of a text protocol (memcached, HTTP, Redis): one conversation as a script
 * (l7conv.h conv_play; a line's rest is the text sent), its "= " lines wants asserted at that
 * point; then the case's want, its counters (over the suite's clean ones) and its check.
 */
struct text_case {
	const char *what;
	int joined;    /* no handshake: the connection is joined mid-stream */
	uint16_t port; /* the server's (0: the suite's) */
	size_t mss;    /* segments of at most mss bytes (0: each whole; 1: byte by byte) */
	int split;     /* the first two segments cut in two at every offset, a connection each */
	const char *script[48];
	const char *want;     /* NULL: the last "= " line was all */
	const char *counters; /* "l7_gap 1, l7_unmatched 2": over the suite's clean ones */
	void (*check)(const struct conv *c);
};

/* What a suite's text cases share. */
struct text_suite {
	uint8_t proto;
	uint16_t port;
	const struct counter_want *clean; /* counters 0 unless a case says */
	size_t nclean;
};

/* Runs every case through XDP and TC, each on a fresh connection, with its assertions. */
void text_run_cases(const struct text_suite *s, const struct text_case *cases, size_t n);
#define TEXT_RUN_CASES(s, cases) text_run_cases(s, cases, sizeof(cases) / sizeof((cases)[0]))

#endif
