// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <CUnit/CUnit.h>

#include "expect.h"
#include "harness.h"
#include "loader/views.h"

#define COUNTERS (sizeof(struct wl_counters) / sizeof(__u64))

void expect_counters_at(const struct counter_want *want, size_t n, const char *file, int line)
{
	struct wl_counters got = harness_counters();
	const __u64 *v = (const __u64 *)&got;

	for (size_t i = 0; i < n; i++) {
		size_t k = 0;
		int ok;

		while (k < COUNTERS && strcmp(wl_counter_names[k], want[i].name))
			k++;
		ok = k < COUNTERS && v[k] == want[i].value;
		CU_assertImplementation(ok, line, "EXPECT_COUNTERS", file, "", CU_FALSE);
		if (k == COUNTERS)
			fprintf(stderr, "\n  [%s:%d] no counter %s\n", file, line, want[i].name);
		else if (!ok)
			fprintf(stderr, "\n  [%s:%d] %s = %llu, want %llu\n", file, line,
				want[i].name, (unsigned long long)v[k],
				(unsigned long long)want[i].value);
	}
}

void expect_counters_over(const struct counter_want *base, size_t nb, const char *want,
			  const char *file, int line)
{
	char names[8][32];
	struct counter_want w[8];
	size_t nw = 0;

	for (const char *t = want; t && *t && nw < 8; nw++) {
		unsigned long long v;

		if (sscanf(t, "%31s %llu", names[nw], &v) != 2) {
			CU_assertImplementation(0, line, "counters parse", file, "", CU_FALSE);
			fprintf(stderr, "\n  [%s:%d] bad counters %s\n", file, line, t);
			return;
		}
		w[nw].name = names[nw];
		w[nw].value = v;
		t += strcspn(t, ",");
		t += strspn(t, ", ");
	}
	expect_counters_at(w, nw, file, line);
	for (size_t i = 0; i < nb; i++) {
		size_t j = 0;

		while (j < nw && strcmp(w[j].name, base[i].name))
			j++;
		if (j == nw)
			expect_counters_at(&base[i], 1, file, line);
	}
}

static void expect_eq(uint64_t got, uint64_t want, const char *what, const char *cmd,
		      const char *file, int line)
{
	CU_assertImplementation(got == want, line, "EXPECT_CMDS", file, "", CU_FALSE);
	if (got != want)
		fprintf(stderr, "\n  [%s:%d] %s %s = %llu, want %llu\n", file, line, cmd, what,
			(unsigned long long)got, (unsigned long long)want);
}

void expect_cmds_only_at(const struct conv *c, uint8_t proto, const char *want, const char *file,
			 int line)
{
	int n = 0;

	for (const char *t = want; t && *t; n++) {
		unsigned long long rq, rs, er, ms;
		struct wl_cmd_stats st = {0};
		size_t len = strcspn(t, ",");
		char cmd[WL_CMD_LEN + 1];
		int found;

		int k = sscanf(t, "%24s %llu %llu %llu %llu", cmd, &rq, &rs, &er, &ms);

		if (k < 4 || k > 5) {
			CU_assertImplementation(0, line, "EXPECT_CMDS: a want parses", file, "",
						CU_FALSE);
			fprintf(stderr, "\n  [%s:%d] bad want %s\n", file, line, t);
			return;
		}
		found = conv_stats(c, proto, cmd, &st) == 0;
		CU_assertImplementation(found, line, "EXPECT_CMDS: the command is there", file, "",
					CU_FALSE);
		if (!found)
			fprintf(stderr, "\n  [%s:%d] no %s\n", file, line, cmd);
		expect_eq(st.requests, rq, "requests", cmd, file, line);
		expect_eq(st.responses, rs, "responses", cmd, file, line);
		expect_eq(st.errors, er, "errors", cmd, file, line);
		if (k == 5)
			expect_eq(st.misses, ms, "misses", cmd, file, line);
		t += len;
		t += strspn(t, ", ");
	}
	expect_eq(conv_stats_entries(), n, "entries", "stats map", file, line);
}

/* The case run, for its "= " lines. */
struct text_run {
	const struct text_suite *suite;
	const struct text_case *k;
};

/* A "= " line: the commands at that point. */
static void text_check(const struct conv *c, const char *want, const void *arg)
{
	const struct text_run *r = arg;

	expect_cmds_only_at(c, r->suite->proto, want, r->k->what, 0);
}

/* One run of a case through h (cut: see conv_play), with its assertions. */
static void text_run_case(enum wl_hook h, const struct text_suite *s, const struct text_case *k,
			  size_t cut)
{
	unsigned int failures = CU_get_number_of_failures();
	struct text_run r = {s, k};
	struct conv_play_opts o = {conv_text_append, k->mss, cut, text_check, &r};
	uint16_t port = k->port ? k->port : s->port;
	struct conv c;

	if (k->joined) {
		harness_reset();
		conv_init(&c, port);
	} else {
		conv_start(h, &c, port);
	}
	conv_play(h, &c, k->script, &o);
	if (k->want)
		expect_cmds_only_at(&c, s->proto, k->want, k->what, 0);
	expect_counters_over(s->clean, s->nclean, k->counters, k->what, 0);
	if (k->check)
		k->check(&c);
	if (CU_get_number_of_failures() != failures)
		fprintf(stderr, "\n  [%s] cut %zu, in the case: %s\n", hook_names[h], cut, k->what);
}

void text_run_cases(const struct text_suite *s, const struct text_case *cases, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		size_t max =
			cases[i].split ? conv_play_split_max(cases[i].script, conv_text_append) : 0;

		FOR_EACH_HOOK(h) {
			if (!cases[i].split)
				text_run_case(h, s, &cases[i], 0);
			for (size_t cut = 1; cut < max; cut++)
				text_run_case(h, s, &cases[i], cut);
		}
	}
}
