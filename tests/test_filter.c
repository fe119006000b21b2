// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The L3/L4 filter through both hooks (XDP, TC egress, TC ingress): a table of rule sets x
 * packets with the exact verdict per hook and the exact counters of every rule. Rules are
 * written by the CLI's own code (loader/ruleset.c: wl_rule_parse, wl_ruleset_write).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <CUnit/CUnit.h>
#include <bpf/bpf.h>

#include "expect.h"
#include "harness.h"
#include "pktbuild.h"
#include "suites.h"
#include "loader/ruleset.h"

#define MAX_RULES 8
enum { RUN_XDP, RUN_TC_OUT, RUN_TC_IN, RUNS };
static const char *const run_names[RUNS] = {"xdp", "tc-egress", "tc-ingress"};

static uint8_t frame[PKT_MAX];
static const char payload[] = "0123456789abcdefghijklmnopqrstuvwxyz";

struct filter_case {
	const char *what;
	const char *rules[MAX_RULES]; /* `rule add` argument lists, in the order added */
	bool policy_deny;
	struct pkt_spec pkt;
	bool drop[RUNS];	 /* expected verdict per run */
	unsigned int hits[RUNS]; /* bit i: rule i counted the packet (packets 1, bytes = len) */
};

#define ALL(x)                                                                                     \
	{                                                                                          \
		x, x, x                                                                            \
	}
#define UDP4(s, d, sp, dp)                                                                         \
	{                                                                                          \
		.family = 4, .src = s, .dst = d, .l4 = 17, .sport = sp, .dport = dp,               \
		.payload = payload, .payload_len = 10                                              \
	}
#define TCP4(s, d, sp, dp)                                                                         \
	{                                                                                          \
		.family = 4, .src = s, .dst = d, .l4 = 6, .sport = sp, .dport = dp,                \
		.tcp_flags = 0x02                                                                  \
	}
#define TCP6(s, d, sp, dp)                                                                         \
	{                                                                                          \
		.family = 6, .src = s, .dst = d, .l4 = 6, .sport = sp, .dport = dp,                \
		.tcp_flags = 0x02                                                                  \
	}

#define ICMP4(s, d)                                                                                \
	{                                                                                          \
		.family = 4, .src = s, .dst = d, .l4 = 1, .icmp_type = 8, .icmp_id = 7             \
	}
#define ICMP6(s, d)                                                                                \
	{                                                                                          \
		.family = 6, .src = s, .dst = d, .l4 = 58, .icmp_type = 128, .icmp_id = 7          \
	}
/* UDP without payload behind one VLAN tag, or two (QinQ: outer first). */
#define VLAN_UDP4(tag, s, d, sp, dp)                                                               \
	{                                                                                          \
		.nvlan = 1, .vlan_id = {tag}, .family = 4, .src = s, .dst = d, .l4 = 17,           \
		.sport = sp, .dport = dp                                                           \
	}
#define QINQ_UDP4(outer, inner, s, d, sp, dp)                                                      \
	{                                                                                          \
		.nvlan = 2, .vlan_id = {outer, inner}, .family = 4, .src = s, .dst = d, .l4 = 17,  \
		.sport = sp, .dport = dp                                                           \
	}
/* A /24 exception inside a denied /16, and a /25 counted inside the exception. */
#define NESTED_PREFIXES                                                                            \
	"--src 198.18.0.0/16 --action deny", "--src 198.18.7.0/24 --action allow --priority 1",    \
		"--src 198.18.7.128/25 --action count --priority 2"

static const struct filter_case cases[] = {
	{"no rule: everything passes",
	 {NULL},
	 false,
	 UDP4("198.18.0.1", "198.18.0.2", 1000, 2000),
	 ALL(false),
	 ALL(0)},
	{"deny v4 source prefix",
	 {"--src 198.18.0.0/15 --action deny"},
	 false,
	 UDP4("198.18.0.1", "198.19.0.2", 1000, 2000),
	 ALL(true),
	 ALL(1)},
	{"v4 prefix outside",
	 {"--src 198.19.0.0/16 --action deny"},
	 false,
	 UDP4("198.18.0.1", "198.19.0.2", 1000, 2000),
	 ALL(false),
	 ALL(0)},
	{"host bits beyond the prefix are ignored: /31 holds .0 and .1",
	 {"--src 198.18.0.1/31 --action deny"},
	 false,
	 UDP4("198.18.0.0", "198.19.0.2", 1000, 2000),
	 ALL(true),
	 ALL(1)},
	{"deny v6 destination prefix",
	 {"--dst 2001:db8:1::/48 --action deny"},
	 false,
	 TCP6("2001:db8::1", "2001:db8:1::5", 3000, 80),
	 ALL(true),
	 ALL(1)},
	{"v6 /127 misses by one bit",
	 {"--dst 2001:db8:1::4/127 --action deny"},
	 false,
	 TCP6("2001:db8::1", "2001:db8:1::6", 3000, 80),
	 ALL(false),
	 ALL(0)},
	{"a v4 rule does not match v6 packets",
	 {"--src 0.0.0.0/0 --action deny"},
	 false,
	 TCP6("2001:db8::1", "2001:db8::2", 3000, 80),
	 ALL(false),
	 ALL(0)},
	{"protocol: udp rule, tcp packet",
	 {"--proto udp --action deny"},
	 false,
	 TCP4("198.18.0.1", "198.18.0.2", 1000, 2000),
	 ALL(false),
	 ALL(0)},
	{"protocol and port range: inside",
	 {"--proto tcp --dport 1990-2010 --action deny"},
	 false,
	 TCP4("198.18.0.1", "198.18.0.2", 1000, 2010),
	 ALL(true),
	 ALL(1)},
	{"port range: one past the end",
	 {"--proto tcp --dport 1990-2010 --action deny"},
	 false,
	 TCP4("198.18.0.1", "198.18.0.2", 1000, 2011),
	 ALL(false),
	 ALL(0)},
	{"source port, both ends of the range",
	 {"--sport 1000 --action deny", "--sport 65535 --action count"},
	 false,
	 UDP4("198.18.0.1", "198.18.0.2", 1000, 2000),
	 ALL(true),
	 ALL(1)},
	{"ports only match packets with ports: ICMP passes",
	 {"--dport 0-65535 --action deny"},
	 false,
	 ICMP4("198.18.0.1", "198.18.0.2"),
	 ALL(false),
	 ALL(0)},
	{"icmp",
	 {"--proto icmp --action deny"},
	 false,
	 ICMP4("198.18.0.1", "198.18.0.2"),
	 ALL(true),
	 ALL(1)},
	{"icmpv6 with a v6 prefix",
	 {"--proto icmpv6 --src 2001:db8::/32 --action deny"},
	 false,
	 ICMP6("2001:db8::1", "2001:db8::2"),
	 ALL(true),
	 ALL(1)},
	{"other L4 protocol by number",
	 {"--proto 47 --action deny"},
	 false,
	 {.family = 4, .src = "198.18.0.1", .dst = "198.18.0.2", .l4 = 47},
	 ALL(true),
	 ALL(1)},
	{"vlan: tagged 100",
	 {"--vlan 100 --action deny"},
	 false,
	 VLAN_UDP4(100, "198.18.0.1", "198.18.0.2", 1, 2),
	 ALL(true),
	 ALL(1)},
	{"vlan: tagged 200",
	 {"--vlan 100 --action deny"},
	 false,
	 VLAN_UDP4(200, "198.18.0.1", "198.18.0.2", 1, 2),
	 ALL(false),
	 ALL(0)},
	{"vlan: untagged",
	 {"--vlan 100 --action deny"},
	 false,
	 UDP4("198.18.0.1", "198.18.0.2", 1, 2),
	 ALL(false),
	 ALL(0)},
	{"vlan: QinQ matches the outer tag",
	 {"--vlan 300 --action deny", "--vlan 100 --action count"},
	 false,
	 QINQ_UDP4(300, 100, "198.18.0.1", "198.18.0.2", 1, 2),
	 ALL(true),
	 ALL(1)},
	{"direction in: XDP and TC ingress",
	 {"--dir in --action deny"},
	 false,
	 UDP4("198.18.0.1", "198.18.0.2", 1, 2),
	 {true, false, true},
	 {1, 0, 1}},
	{"direction out: TC egress only",
	 {"--dir out --proto udp --action deny"},
	 false,
	 UDP4("198.18.0.1", "198.18.0.2", 1, 2),
	 {false, true, false},
	 {0, 1, 0}},
	{"interface lo",
	 {"--iface lo --src 198.18.0.0/24 --action deny"},
	 false,
	 UDP4("198.18.0.1", "198.18.0.2", 1, 2),
	 ALL(true),
	 ALL(1)},
	{"priority: a higher allow beats a deny",
	 {"--src 198.18.0.0/24 --action deny --priority 5",
	  "--src 198.18.0.0/15 --action allow --priority 10"},
	 false,
	 UDP4("198.18.0.1", "198.18.0.2", 1, 2),
	 ALL(false),
	 ALL(2)},
	{"priority: a higher deny beats an allow added first",
	 {"--src 198.18.0.0/15 --action allow --priority 1",
	  "--src 198.18.0.0/24 --action deny --priority 2"},
	 false,
	 UDP4("198.18.0.1", "198.18.0.2", 1, 2),
	 ALL(true),
	 ALL(2)},
	{"tie: the rule added first wins (deny)",
	 {"--proto udp --action deny", "--src 198.18.0.1 --action allow"},
	 false,
	 UDP4("198.18.0.1", "198.18.0.2", 1, 2),
	 ALL(true),
	 ALL(1)},
	{"tie: the rule added first wins (allow)",
	 {"--src 198.18.0.1 --action allow", "--proto udp --action deny"},
	 false,
	 UDP4("198.18.0.1", "198.18.0.2", 1, 2),
	 ALL(false),
	 ALL(1)},
	{"nested prefixes: the /24 exception inside a denied /16",
	 {NESTED_PREFIXES},
	 false,
	 UDP4("198.18.7.200", "198.19.0.2", 1, 2),
	 ALL(false),
	 ALL(6)},
	{"nested prefixes: outside the exception",
	 {NESTED_PREFIXES},
	 false,
	 UDP4("198.18.8.200", "198.19.0.2", 1, 2),
	 ALL(true),
	 ALL(1)},
	{"count rules count and go on to the deciding rule",
	 {"--action count --priority 20", "--proto udp --action count --priority 15",
	  "--dport 2 --action deny --priority 10", "--action count --priority 5"},
	 false,
	 UDP4("198.18.0.1", "198.18.0.2", 1, 2),
	 ALL(true),
	 ALL(7)},
	{"count rules alone: the policy decides (allow)",
	 {"--action count", "--proto tcp --action count"},
	 false,
	 UDP4("198.18.0.1", "198.18.0.2", 1, 2),
	 ALL(false),
	 ALL(1)},
	{"policy deny: nothing allowed",
	 {"--action count"},
	 true,
	 UDP4("198.18.0.1", "198.18.0.2", 1, 2),
	 ALL(true),
	 ALL(1)},
	{"policy deny with an allow rule",
	 {"--src 198.18.0.0/24 --proto udp --dport 2 --action allow"},
	 true,
	 UDP4("198.18.0.1", "198.18.0.2", 1, 2),
	 ALL(false),
	 ALL(1)},
	{"policy deny: a v6 packet the allow rule does not cover",
	 {"--src 198.18.0.0/24 --action allow"},
	 true,
	 TCP6("2001:db8::1", "2001:db8::2", 3000, 80),
	 ALL(true),
	 ALL(0)},
	{"policy deny: non-IP always passes",
	 {NULL},
	 true,
	 {.ethertype = 0x0806, .family = 4, .src = "198.18.0.1", .dst = "198.18.0.2", .l4 = 17},
	 ALL(false),
	 ALL(0)},
	{"an L7 rule is not an L3/L4 rule",
	 {"--l7 redis:FLUSHALL --action deny"},
	 false,
	 TCP4("198.18.0.1", "198.18.0.2", 40000, 6379),
	 ALL(false),
	 ALL(0)},
	{"every field at once",
	 {"--iface lo --dir in --src 198.18.0.0/24 --dst 198.18.1.0/24 --proto udp --sport 1-9 "
	  "--dport 2 --vlan 7 --action deny"},
	 false,
	 VLAN_UDP4(7, "198.18.0.1", "198.18.1.2", 9, 2),
	 {true, false, true},
	 {1, 0, 1}},
};

static struct wl_filter_fds fds;

/* Parses one rule line with the CLI's parser. */
static int parse_line(const char *line, struct wl_rule_ent *e)
{
	char buf[512], *argv[32], *save, *tok;
	int argc = 1;

	snprintf(buf, sizeof(buf), "%s", line);
	argv[0] = "add";
	for (tok = strtok_r(buf, " ", &save); tok && argc < 31; tok = strtok_r(NULL, " ", &save))
		argv[argc++] = tok;
	argv[argc] = NULL;
	return wl_rule_parse(&fds, argc, argv, e, "test");
}

/* Writes a new set of these rules (fresh counters); ids[i] gets rule i's id. */
static int write_set(const char *const *rules, size_t n, bool deny, __u32 *ids)
{
	struct wl_rule_ent *e = calloc(1, sizeof(*e));
	struct wl_ruleset s = {};
	int err = 0;

	s.policy = deny ? WL_ACT_DENY : WL_ACT_ALLOW;
	for (size_t i = 0; i < n && !err; i++) {
		int id;

		err = parse_line(rules[i], e);
		if (err)
			break;
		id = wl_ruleset_add(&s, e);
		if (id < 0)
			err = id;
		else if (ids)
			ids[i] = id;
	}
	if (!err)
		err = wl_ruleset_write(&fds, &s);
	wl_ruleset_free(&s);
	free(e);
	return err;
}

static int run(int r, const void *f, size_t len)
{
	struct run_opts o = {.ingress_ifindex = r == RUN_TC_IN ? TEST_IFINDEX : 0};

	return harness_run(r == RUN_XDP ? HOOK_XDP : HOOK_TC, f, len, &o);
}

static bool dropped(int r, int verdict)
{
	return r == RUN_XDP ? verdict == 1 /* XDP_DROP */ : verdict == 2 /* TC_ACT_SHOT */;
}

static int fds_init(void)
{
	return wl_filter_fds_of(&fds, harness());
}

WL_TEST(filter, table)
{
	CU_ASSERT_FATAL(fds_init() == 0);
	for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		const struct filter_case *fc = &cases[c];
		size_t n = 0, len = pkt_build(&fc->pkt, frame, sizeof(frame));

		while (n < MAX_RULES && fc->rules[n])
			n++;
		CU_ASSERT_FATAL(len > 0);
		for (int r = 0; r < RUNS; r++) {
			struct wl_ruleset got;
			struct wl_counters cnt;
			__u32 ids[MAX_RULES] = {};
			int v;

			harness_reset();
			if (write_set(fc->rules, n, fc->policy_deny, ids)) {
				CU_FAIL("rule set refused");
				fprintf(stderr, "\n  %s: rule set refused\n", fc->what);
				continue;
			}
			v = run(r, frame, len);
			CU_ASSERT_EQUAL(dropped(r, v), fc->drop[r]);
			if (dropped(r, v) != fc->drop[r])
				fprintf(stderr, "\n  [%s] %s: verdict %d, expected %s\n",
					run_names[r], fc->what, v, fc->drop[r] ? "drop" : "pass");
			cnt = harness_counters();
			if (fc->pkt.ethertype != 0x0806) {
				EXPECT_COUNTERS({"denied", fc->drop[r] ? 1 : 0},
						{"accounted", fc->drop[r] ? 0 : 1});
				CU_ASSERT_EQUAL(harness_flow_count(), fc->drop[r] ? 0 : 1);
			}
			CU_ASSERT_EQUAL(cnt.seen, 1);
			if (cnt.seen != 1 || cnt.denied != (fc->drop[r] ? 1u : 0u))
				fprintf(stderr,
					"\n  [%s] %s: seen %llu denied %llu accounted %llu\n",
					run_names[r], fc->what, (unsigned long long)cnt.seen,
					(unsigned long long)cnt.denied,
					(unsigned long long)cnt.accounted);
			CU_ASSERT_FATAL(wl_ruleset_read(&fds, &got) == 0);
			CU_ASSERT_EQUAL(got.n, n);
			for (size_t i = 0; i < got.n; i++) {
				size_t k;
				bool hit;

				for (k = 0; k < n && ids[k] != got.rules[i].r.id; k++)
					;
				CU_ASSERT_FATAL(k < n);
				hit = fc->hits[r] & (1u << k);
				CU_ASSERT_EQUAL(got.rules[i].stats.packets, hit ? 1 : 0);
				CU_ASSERT_EQUAL(got.rules[i].stats.bytes, hit ? len : 0);
				if (got.rules[i].stats.packets != (hit ? 1u : 0u))
					fprintf(stderr, "\n  [%s] %s: rule %zu counted %llu\n",
						run_names[r], fc->what, k,
						(unsigned long long)got.rules[i].stats.packets);
			}
			wl_ruleset_free(&got);
		}
	}
	CU_ASSERT(write_set(NULL, 0, false, NULL) == 0);
}

/* A fragmented datagram: the later fragment has no ports but follows its first fragment. */
WL_TEST(filter, fragments)
{
	static const char *const rules[] = {"--proto udp --dport 2000 --action deny",
					    "--src 198.18.0.9 --action count --priority 1"};
	struct pkt_spec first = UDP4("198.18.0.9", "198.18.0.2", 1000, 2000), later = first;
	uint8_t f2[256];
	size_t l1, l2;

	CU_ASSERT_FATAL(fds_init() == 0);
	first.frag = true;
	first.frag_mf = true;
	first.frag_id = 77;
	first.payload_len = 16;
	later.frag = true;
	later.frag_offset8 = 3;
	later.frag_id = 77;
	later.frag_no_l4 = true;
	l1 = pkt_build(&first, frame, sizeof(frame));
	l2 = pkt_build(&later, f2, sizeof(f2));
	for (int r = 0; r < RUNS; r++) {
		struct wl_ruleset got;

		harness_reset();
		CU_ASSERT_FATAL(write_set(rules, 2, false, NULL) == 0);
		CU_ASSERT(dropped(r, run(r, frame, l1)));
		CU_ASSERT(dropped(r, run(r, f2, l2)));
		EXPECT_COUNTERS({"denied", 2}, {"accounted", 0});
		CU_ASSERT_FATAL(wl_ruleset_read(&fds, &got) == 0);
		CU_ASSERT_EQUAL(got.n, 2);
		for (size_t i = 0; i < got.n; i++) {
			CU_ASSERT_EQUAL(got.rules[i].stats.packets, 2);
			CU_ASSERT_EQUAL(got.rules[i].stats.bytes, l1 + l2);
		}
		wl_ruleset_free(&got);
	}
	/* with a deny on the source alone, a later fragment whose first was never seen is
	 * frag_unmatched: only the deny policy drops it */
	harness_reset();
	CU_ASSERT_FATAL(write_set(rules, 2, true, NULL) == 0);
	CU_ASSERT(dropped(RUN_XDP, run(RUN_XDP, f2, l2)));
	EXPECT_COUNTERS({"frag_unmatched", 1}, {"denied", 0});
	CU_ASSERT_FATAL(write_set(rules, 2, false, NULL) == 0);
	CU_ASSERT(!dropped(RUN_XDP, run(RUN_XDP, f2, l2)));
	CU_ASSERT(write_set(NULL, 0, false, NULL) == 0);
}

/* Changing the set keeps the counters of the rules that stay; ids are never reused. */
WL_TEST(filter, change_keeps_counters)
{
	struct pkt_spec p = UDP4("198.18.0.1", "198.18.0.2", 1, 2);
	struct wl_rule_ent *e = calloc(1, sizeof(*e));
	struct wl_ruleset s;
	size_t len = pkt_build(&p, frame, sizeof(frame));
	int id1, id2, id3;

	CU_ASSERT_FATAL(fds_init() == 0 && e);
	harness_reset();
	CU_ASSERT_FATAL(write_set(NULL, 0, false, NULL) == 0);
	CU_ASSERT_FATAL(wl_ruleset_read(&fds, &s) == 0);
	CU_ASSERT_FATAL(parse_line("--proto udp --action count", e) == 0);
	id1 = wl_ruleset_add(&s, e);
	CU_ASSERT_FATAL(parse_line("--src 198.18.0.1 --action count --priority 9", e) == 0);
	id2 = wl_ruleset_add(&s, e);
	CU_ASSERT_FATAL(wl_ruleset_write(&fds, &s) == 0);
	wl_ruleset_free(&s);
	for (int i = 0; i < 3; i++)
		run(RUN_XDP, frame, len);
	/* delete id2 (slot 0), add a deny: id1 keeps its 3 packets and moves slot */
	CU_ASSERT_FATAL(wl_ruleset_read(&fds, &s) == 0);
	CU_ASSERT_EQUAL_FATAL(s.n, 2);
	CU_ASSERT_EQUAL(s.rules[0].r.id, (__u32)id2);
	memmove(&s.rules[0], &s.rules[1], sizeof(s.rules[0]));
	s.n = 1;
	CU_ASSERT_FATAL(parse_line("--dst 198.18.0.2 --action deny --priority 3", e) == 0);
	id3 = wl_ruleset_add(&s, e);
	CU_ASSERT(id3 > id2 && id2 > id1);
	CU_ASSERT_FATAL(wl_ruleset_write(&fds, &s) == 0);
	wl_ruleset_free(&s);
	CU_ASSERT(dropped(RUN_XDP, run(RUN_XDP, frame, len)));
	CU_ASSERT_FATAL(wl_ruleset_read(&fds, &s) == 0);
	CU_ASSERT_EQUAL_FATAL(s.n, 2);
	CU_ASSERT_EQUAL(s.rules[0].r.id, (__u32)id3); /* priority 3 first */
	CU_ASSERT_EQUAL(s.rules[0].stats.packets, 1);
	CU_ASSERT_EQUAL(s.rules[1].r.id, (__u32)id1);
	CU_ASSERT_EQUAL(s.rules[1].stats.packets, 3); /* the deny decided first: not counted */
	CU_ASSERT_EQUAL(s.rules[1].stats.bytes, 3 * len);
	wl_ruleset_free(&s);
	free(e);
	CU_ASSERT(write_set(NULL, 0, false, NULL) == 0);
}

/* 10,000 rules: one /32 source each, a few ports; probes with exact verdicts and counters. */
WL_TEST(filter, many_rules)
{
	struct wl_rule_ent *e = calloc(1, sizeof(*e));
	struct wl_ruleset s = {.policy = WL_ACT_ALLOW}, got;
	char line[128];
	int id_first = 0, id_last = 0, id_allow;

	CU_ASSERT_FATAL(fds_init() == 0 && e);
	harness_reset();
	CU_ASSERT_FATAL(wl_ruleset_read(&fds, &got) == 0);
	s.next_id = got.next_id;
	wl_ruleset_free(&got);
	for (int i = 0; i < 10000; i++) {
		int id;

		snprintf(line, sizeof(line),
			 "--src 198.18.%d.%d --proto udp --dport %d-%d "
			 "--action deny",
			 i / 250, i % 250, 1000 + i % 7, 2000 + i % 7);
		CU_ASSERT_FATAL(parse_line(line, e) == 0);
		id = wl_ruleset_add(&s, e);
		if (!i)
			id_first = id;
		id_last = id;
	}
	CU_ASSERT_FATAL(
		parse_line("--src 198.18.39.249 --dport 1500 --action allow --priority 1", e) == 0);
	id_allow = wl_ruleset_add(&s, e);
	CU_ASSERT_FATAL(wl_ruleset_write(&fds, &s) == 0);
	wl_ruleset_free(&s);

	struct {
		const char *src;
		uint16_t dport;
		bool drop;
	} probes[] = {
		{"198.18.0.0", 1500, true},	/* rule 0 (id_first) */
		{"198.18.39.249", 1999, true},	/* rule 9999: dport 1005-2005 */
		{"198.18.39.249", 1500, false}, /* the allow rule, priority 1 */
		{"198.18.39.249", 2006, false}, /* outside its port range */
		{"198.18.40.0", 1500, false},	/* no rule */
		{"198.18.20.100", 1500, true},	/* rule 5100 */
	};
	size_t len = 0;

	for (size_t i = 0; i < sizeof(probes) / sizeof(probes[0]); i++) {
		struct pkt_spec p = UDP4(probes[i].src, "198.19.0.1", 5, probes[i].dport);
		int v;

		len = pkt_build(&p, frame, sizeof(frame));
		for (int r = 0; r < RUNS; r++) {
			v = run(r, frame, len);
			CU_ASSERT_EQUAL(dropped(r, v), probes[i].drop);
			if (dropped(r, v) != probes[i].drop)
				fprintf(stderr, "\n  [%s] probe %zu: verdict %d\n", run_names[r], i,
					v);
		}
	}
	CU_ASSERT_FATAL(wl_ruleset_read(&fds, &got) == 0);
	CU_ASSERT_EQUAL(got.n, 10001);
	CU_ASSERT_EQUAL(got.rules[0].r.id, (__u32)id_allow);
	for (size_t i = 0; i < got.n; i++) {
		__u32 id = got.rules[i].r.id;
		__u64 want = 0;

		if (id == (__u32)id_first || id == (__u32)id_last || id == (__u32)id_first + 5100 ||
		    id == (__u32)id_allow)
			want = RUNS;
		if (got.rules[i].stats.packets != want) {
			CU_FAIL("rule counter");
			fprintf(stderr, "\n  rule id %u (slot %zu): %llu packets, expected %llu\n",
				id, i, (unsigned long long)got.rules[i].stats.packets,
				(unsigned long long)want);
			break;
		}
	}
	wl_ruleset_free(&got);
	free(e);
	CU_ASSERT(write_set(NULL, 0, false, NULL) == 0);
}

/* Bad rules: one error each, nothing written. */
WL_TEST(filter, bad_rules)
{
	static const char *const bad[] = {
		"--src 198.18.0.0/33 --action deny",
		"--dst 2001:db8::/129 --action deny",
		"--src 198.18.0.300 --action deny",
		"--dport 20-10 --action deny",
		"--sport 70000 --action deny",
		"--proto sctpx --action deny",
		"--proto 256 --action deny",
		"--action drop",
		"--src 198.18.0.0/15",
		"--l7 redis:NOSUCH --action deny",
		"--l7 nosuchproto:GET --action deny",
		"--l7 redis: --action deny",
		"--src 198.18.0.0/15 --dst 2001:db8::/32 --action deny",
		"--proto icmp --dport 22 --action deny",
		"--proto icmp --src 2001:db8::/32 --action deny",
		"--vlan 0 --action deny",
		"--vlan 4095 --action deny",
		"--iface no-such-if0 --action deny",
		"--dir sideways --action deny",
		"--action deny --action allow",
		"--src 198.18.0.0/15 --src 198.18.0.0/16 --action deny",
		"--priority -1 --action deny",
		"--action deny extra",
	};
	struct wl_rule_ent *e = calloc(1, sizeof(*e));

	CU_ASSERT_FATAL(fds_init() == 0 && e);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int err = parse_line(bad[i], e);

		CU_ASSERT(err != 0 && err != 1);
		if (!err)
			fprintf(stderr, "\n  accepted: %s\n", bad[i]);
	}
	/* and the good ones next to them */
	CU_ASSERT(parse_line("--src 198.18.0.0/32 --dport 10-20 --proto 6 --action deny", e) == 0);
	CU_ASSERT(parse_line("--l7 redis:CONFIG,flushall --action reject", e) == 0);
	CU_ASSERT(e->ncmds > 2); /* CONFIG, its subcommands, FLUSHALL */
	free(e);
}

/* Blocks outlive their L7 rules (loader/blocked.c): after the last L7 rule goes, the main path
 * keeps looking packets up in wl_blocked (check_blocked) while the set before had L7 rules or
 * blocks are left, and stops once neither holds. */
static __u8 cfg_check_blocked(void)
{
	struct wl_filter_cfg cfg = {};
	__u32 zero = 0;

	CU_ASSERT_EQUAL(bpf_map_lookup_elem(fds.cfg, &zero, &cfg), 0);
	return cfg.check_blocked;
}

WL_TEST(filter, blocks_outlive_rules)
{
	static const char *const l7[] = {"--l7 redis:FLUSHALL --action deny"};
	struct wl_blocked_key k = {.ifindex = TEST_IFINDEX, .l3_proto = 0x0800, .l4_proto = 6};
	struct wl_blocked b = {.rule_id = 1, .action = WL_ACT_DENY, .from_client = 1};

	CU_ASSERT_FATAL(fds_init() == 0);
	harness_reset();
	CU_ASSERT_FATAL(write_set(l7, 1, false, NULL) == 0);
	CU_ASSERT_EQUAL(cfg_check_blocked(), 0); /* has_l7 covers it */
	CU_ASSERT_EQUAL(bpf_map_update_elem(fds.blocked, &k, &b, BPF_ANY), 0);
	CU_ASSERT_FATAL(write_set(NULL, 0, false, NULL) == 0);
	CU_ASSERT_EQUAL(cfg_check_blocked(), 1); /* the set before had L7 rules */
	CU_ASSERT_FATAL(write_set(NULL, 0, false, NULL) == 0);
	CU_ASSERT_EQUAL(cfg_check_blocked(), 1); /* a block is left */
	CU_ASSERT_EQUAL(bpf_map_lookup_elem(fds.blocked, &k, &b), 0);
	CU_ASSERT_EQUAL(b.rule_idx, WL_BLOCKED_NO_RULE);
	CU_ASSERT_EQUAL(bpf_map_delete_elem(fds.blocked, &k), 0);
	CU_ASSERT_FATAL(write_set(NULL, 0, false, NULL) == 0);
	CU_ASSERT_EQUAL(cfg_check_blocked(), 0);
}
