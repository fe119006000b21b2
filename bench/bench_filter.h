/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* make bench, the filter's table: the real programs with 0, 1 and 10,000 rules (same run). */
#ifndef WL_BENCH_FILTER_H
#define WL_BENCH_FILTER_H

struct wl_progs;

/* Prints the table; returns 0, or 1 when a rule set cannot be written. */
int bench_filter(struct wl_progs *p, const int hook_fd[2], const int bare_fd[2]);

#endif
