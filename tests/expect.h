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
/* The same for the counters of want (n of them, or up to the first NULL name), then for those of
 * base (nb) that want does not name: a case's own figures over defaults. */
void expect_counters_over(const struct counter_want *base, size_t nb,
			  const struct counter_want *want, size_t n, const char *file, int line);
/* EXPECT_COUNTERS({"l7_gap", 1}, {"l7_unmatched", 0}): one assertion per counter. */
#define EXPECT_COUNTERS(...)                                                                       \
	do {                                                                                       \
		static const struct counter_want cw_[] = {__VA_ARGS__};                            \
		expect_counters_at(cw_, sizeof(cw_) / sizeof(cw_[0]), __FILE__, __LINE__);         \
	} while (0)

/*
 * Asserts the commands of proto at c's server, as a fixture table writes them: want is
 * "CMD requests responses errors" entries separated by '|' ("GET 2 2 0|SET 1 1 0"). Each
 * command's requests, responses and errors (and that it is there), then that the stats map
 * holds nothing else: 4 assertions a command and one. A want that does not parse fails.
 */
void expect_cmds_only_at(const struct conv *c, uint8_t proto, const char *want, const char *file,
			 int line);
#define EXPECT_CMDS(c, proto, want) expect_cmds_only_at(c, proto, want, __FILE__, __LINE__)

#endif
