// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The filter's cost (issue 12: 10,000 rules cost <= 30 ns/packet more than 1 rule). The real
 * wl_xdp/wl_tc with rule sets written by the CLI's code (loader/ruleset.c), test_run repeat,
 * median of 7; every figure next to its baseline of the same run. Shapes:
 *  - blocklist: one /32 source per rule (+ UDP and a port range), the probe's source in one
 *    rule (denied) or in none (passes);
 *  - ports: every rule on the probe's port range, one source each: the port class has every
 *    rule, the source class one; the summary AND leaves one block;
 *  - adversarial: half the rules match the probe's source, the other half its port,
 *    interleaved: every block survives the summary AND and is empty (the worst the two-level
 *    bitmap does: one step per 64 rules).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "bench_filter.h"
#include "loader/progs.h"
#include "loader/ruleset.h"
#include "tests/pktbuild.h"

#define FRAME_MAX 2048
#define REPEAT	  300000
#define SAMPLES	  7
#define MANY	  10000

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double repeat_ns(int fd, const void *frame, size_t len)
{
	double v[SAMPLES];

	for (int s = 0; s < SAMPLES; s++) {
		LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = frame, .data_size_in = len,
			    .repeat = REPEAT);

		if (bpf_prog_test_run_opts(fd, &o))
			return -1;
		v[s] = o.duration;
	}
	qsort(v, SAMPLES, sizeof(v[0]), cmp_double);
	return v[SAMPLES / 2];
}

enum shape { BLOCKLIST, PORTS, ADVERSARIAL };

/* Rule i of a shape, as a `rule add` line. */
static void rule_line(enum shape sh, int i, char *buf, size_t len)
{
	switch (sh) {
	case BLOCKLIST:
		snprintf(buf, len, "--src 198.18.%d.%d --proto udp --dport 1000-2000 --action deny",
			 i / 250, i % 250);
		break;
	case PORTS:
		snprintf(buf, len, "--src 198.18.%d.%d --dport %d-2000 --action deny", i / 250,
			 i % 250, 1000 + i % 500);
		break;
	case ADVERSARIAL:
		if (i % 2)
			snprintf(buf, len, "--src 198.19.0.0/16 --dport %d --action deny",
				 3000 + i % 1000);
		else
			snprintf(buf, len, "--src 198.18.%d.%d --dport 1500 --action deny",
				 100 + i / 250, i % 250);
		break;
	}
}

/* Writes rules [from, from + n) of a shape (n = 0: none). */
static int write_rules(const struct wl_filter_fds *f, enum shape sh, int from, int n)
{
	struct wl_rule_ent *e = calloc(1, sizeof(*e));
	struct wl_ruleset s = {.policy = WL_ACT_ALLOW};
	int err = e ? 0 : -1;

	for (int i = 0; i < n && !err; i++) {
		char line[160], *argv[16], *save, *tok;
		int argc = 1;

		rule_line(sh, from + i, line, sizeof(line));
		argv[0] = "add";
		for (tok = strtok_r(line, " ", &save); tok && argc < 15;
		     tok = strtok_r(NULL, " ", &save))
			argv[argc++] = tok;
		argv[argc] = NULL;
		err = wl_rule_parse(f, argc, argv, e, "bench");
		if (!err && wl_ruleset_add(&s, e) < 0)
			err = -1;
	}
	if (!err)
		err = wl_ruleset_write(f, &s);
	wl_ruleset_free(&s);
	free(e);
	return err;
}

static void row(const char *hook, const char *what, double measured, double base)
{
	printf("%-5s %-52s %10.1f %10.1f %8.2fx %+10.1f\n", hook, what, measured, base,
	       base > 0 ? measured / base : 0, measured - base);
}

int bench_filter(struct wl_progs *p, const int hook_fd[2], const int bare_fd[2])
{
	static const char *const hook_name[2] = {"xdp", "tc"};
	static const struct {
		enum shape sh;
		const char *name, *src;
		unsigned short dport;
		int hit; /* the rule the probe matches (the 1-rule set), or rule 0 */
	} probes[] = {
		{BLOCKLIST, "blocklist, denied", "198.18.20.100", 1500, 5100},
		{BLOCKLIST, "blocklist, passes", "198.19.7.7", 1500, 0},
		{PORTS, "ports, denied", "198.18.0.0", 1999, 0},
		{ADVERSARIAL, "adversarial, passes", "198.19.1.1", 1500, 0},
	};
	struct wl_filter_fds f;
	uint8_t frame[FRAME_MAX];

	if (wl_filter_fds_of(&f, p))
		return 1;
	printf("\nTable F. The filter (issue 12): real programs, repeat, one UDP frame; rules "
	       "written by the CLI's code\n%-5s %-52s %10s %10s %9s %10s\n",
	       "hook", "case (ns/packet)", "measured", "base", "ratio", "added");
	for (int h = 0; h < 2; h++) {
		struct pkt_spec s = {.family = 4,
				     .dst = "198.19.0.1",
				     .l4 = 17,
				     .sport = 5,
				     .payload = "0123456789abcdef",
				     .payload_len = 16};
		double none, bare, one, many;
		size_t len;

		s.src = probes[0].src;
		s.dport = probes[0].dport;
		len = pkt_build(&s, frame, sizeof(frame));
		if (write_rules(&f, BLOCKLIST, 0, 0))
			return 1;
		none = repeat_ns(hook_fd[h], frame, len);
		bare = repeat_ns(bare_fd[h], frame, len);
		row(hook_name[h], "no rule (one array lookup) vs a bare program", none, bare);
		for (size_t k = 0; k < sizeof(probes) / sizeof(probes[0]); k++) {
			char what[96];

			s.src = probes[k].src;
			s.dport = probes[k].dport;
			len = pkt_build(&s, frame, sizeof(frame));
			/* 1 rule: the one the probe hits (or, for a probe that passes, rule 0) */
			if (write_rules(&f, probes[k].sh, probes[k].hit, 1))
				return 1;
			one = repeat_ns(hook_fd[h], frame, len);
			if (write_rules(&f, probes[k].sh, 0, MANY))
				return 1;
			many = repeat_ns(hook_fd[h], frame, len);
			snprintf(what, sizeof(what), "  %s: 1 rule vs no rule", probes[k].name);
			row(hook_name[h], what, one, none);
			snprintf(what, sizeof(what), "  %s: 10,000 rules vs 1 rule",
				 probes[k].name);
			row(hook_name[h], what, many, one);
			if (!k)
				row(hook_name[h], "filter: 1 rule / 10,000 rules ns/packet", many,
				    one);
		}
	}
	write_rules(&f, BLOCKLIST, 0, 0);
	printf("1 rule = the rule the probe matches (rule 5100 of the blocklist), or rule 0 when "
	       "it "
	       "matches none;\nthe 'filter:' row is the issue's target: added <= 30 ns\n");
	return 0;
}
