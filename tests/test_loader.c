// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The loader's protocol programs: each loaded on its own within the verifier budget, and a
 * protocol without a program counted as l7_unloaded while L2-L4 goes on. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <CUnit/CUnit.h>

#include "harness.h"
#include "l7conv.h"
#include "suites.h"
#include "wl_xdp.skel.h"
#include "wl_tc.skel.h"
#include "loader/l7cfg.h"

/* What `make test` allows a program on any kernel (the aim is 400,000: README, Kernels). */
#define VERIFIED_INSNS_MAX 500000

WL_TEST(loader, every_program_within_budget)
{
	struct wl_progs *p = harness();

	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	for (int h = 0; h < WL_PROG_HOOKS; h++) {
		printf("\n  %-18s %s %u", h ? "wl_tc" : "wl_xdp", h ? "tc " : "xdp",
		       p->main_insns[h]);
		CU_ASSERT(p->main_insns[h] > 0 && p->main_insns[h] <= VERIFIED_INSNS_MAX);
	}
	for (unsigned int proto = 1; proto < WL_L7_PROTO_MAX; proto++) {
		const struct wl_l7_info *st = &p->l7[proto];

		CU_ASSERT_TRUE(st->wanted);
		CU_ASSERT_TRUE(st->loaded);
		if (!st->loaded) {
			printf("\n  wl_l7_%-12s refused: %s", wl_l7_proto_name(proto), st->reason);
			continue;
		}
		for (int h = 0; h < WL_PROG_HOOKS; h++) {
			printf("\n  wl_l7_%-12s %s %u", wl_l7_proto_name(proto), h ? "tc " : "xdp",
			       st->verified_insns[h]);
			CU_ASSERT(st->verified_insns[h] > 0 &&
				  st->verified_insns[h] <= VERIFIED_INSNS_MAX);
		}
	}
	printf("\n  ");
}

/* The pinned record says the same as the load. */
WL_TEST(loader, info_map_matches)
{
	struct wl_progs *p = harness();
	struct wl_l7_info info[WL_L7_PROTO_MAX];

	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	CU_ASSERT_EQUAL_FATAL(wl_l7_info_read(bpf_map__fd(p->xdp->maps.wl_l7_info), info), 0);
	for (unsigned int proto = 1; proto < WL_L7_PROTO_MAX; proto++) {
		CU_ASSERT_EQUAL(info[proto].loaded, p->l7[proto].loaded);
		CU_ASSERT_EQUAL(info[proto].verified_insns[0], p->l7[proto].verified_insns[0]);
		CU_ASSERT_EQUAL(info[proto].verified_insns[1], p->l7[proto].verified_insns[1]);
	}
}

/* The registry, the ABI enum and the loader agree on every protocol. */
WL_TEST(loader, registry_matches_enum)
{
	unsigned int n = 0;

#define COUNT_ONE(name, ENUM, id, ...)                                                             \
	CU_ASSERT_EQUAL(WL_L7_##ENUM, id);                                                         \
	CU_ASSERT_STRING_EQUAL(wl_l7_proto_name(id), #name);                                       \
	CU_ASSERT_EQUAL(wl_l7_proto_by_name(#name), id);                                           \
	n++;
	WL_L7_PROTOCOLS(COUNT_ONE)
#undef COUNT_ONE
	CU_ASSERT_EQUAL(n, WL_L7_PROTO_MAX - 1);
	CU_ASSERT_PTR_NULL(wl_l7_proto_name(WL_L7_PROTO_MAX));
	CU_ASSERT_EQUAL(wl_l7_names_duplicates(), 0);
}

/* A protocol whose slot in the program arrays is empty (left out, refused): its packets are
 * accounted at L2-L4 and counted once as l7_unloaded; nothing reaches the stats. */
WL_TEST(loader, unloaded_protocol_counted)
{
	struct wl_progs *p = harness();
	int arrays[HOOK_COUNT] = {bpf_map__fd(p->xdp->maps.wl_l7_progs_xdp),
				  bpf_map__fd(p->tc->maps.wl_l7_progs_tc)};
	__u32 key = WL_L7_REDIS;
	int fds[HOOK_COUNT];

	FOR_EACH_HOOK(h) {
		struct bpf_program *prog;

		fds[h] = -1;
		bpf_object__for_each_program(
			prog, p->l7_obj[h][WL_L7_REDIS]) if (bpf_program__fd(prog) >= 0) fds[h] =
			bpf_program__fd(prog);
		CU_ASSERT_TRUE_FATAL(fds[h] >= 0);
		CU_ASSERT_EQUAL_FATAL(bpf_map_delete_elem(arrays[h], &key), 0);
	}
	FOR_EACH_HOOK(h) {
		struct wl_cmd_stats st;
		struct wl_counters c;
		struct conv cv;

		conv_start(h, &cv, 6379);
		CU_ASSERT_EQUAL(conv_req(h, &cv, "*1\r\n$4\r\nPING\r\n"), VERDICT_PASS(h));
		CU_ASSERT_EQUAL(conv_resp(h, &cv, "+PONG\r\n"), VERDICT_PASS(h));
		/* a memcached segment still goes to its program */
		conv_init(&cv, 11211);
		conv_req(h, &cv, "get k\r\n");
		c = harness_counters();
		CU_ASSERT_EQUAL(c.accounted, 5);
		CU_ASSERT_EQUAL(c.l7_unloaded, 4); /* SYN, SYN-ACK, request, reply */
		CU_ASSERT_EQUAL(c.l7_packets, 1);
		CU_ASSERT_NOT_EQUAL(conv_stats(&cv, WL_L7_REDIS, "PING", &st), 0);
		CU_ASSERT_EQUAL(conv_stats(&cv, WL_L7_MEMCACHED, "get", &st), 0);
	}
	FOR_EACH_HOOK(h)
		CU_ASSERT_EQUAL(bpf_map_update_elem(arrays[h], &key, &fds[h], BPF_ANY), 0);
}

/* Map sizes at the defaults (issue 19): per-CPU command stats within their budget on any CPU
 * count, the connection table and the shared rule stats as defined. */
WL_TEST(loader, default_sizes)
{
	struct wl_progs *p = harness();
	int ncpu = libbpf_num_possible_cpus();
	struct bpf_map *m;

	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	CU_ASSERT_EQUAL(wl_cmd_stats_default(1), WL_CMD_STATS_MAX);
	CU_ASSERT_EQUAL(wl_cmd_stats_default(4), WL_CMD_STATS_MAX);
	CU_ASSERT_EQUAL(wl_cmd_stats_default(8), 9619);
	CU_ASSERT_EQUAL(wl_cmd_stats_default(64), 1252);
	CU_ASSERT_EQUAL(wl_cmd_stats_default(192), 419);
	for (int n = 1; n <= 1024; n *= 2)
		CU_ASSERT((__u64)wl_cmd_stats_default(n) *
				  (n * sizeof(struct wl_cmd_stats) + 120) <=
			  WL_CMD_STATS_BUDGET);
	m = p->xdp->maps.wl_cmd_stats;
	CU_ASSERT_EQUAL(bpf_map__type(m), BPF_MAP_TYPE_PERCPU_HASH);
	CU_ASSERT_EQUAL(bpf_map__max_entries(m), wl_cmd_stats_default(ncpu));
	CU_ASSERT_EQUAL(bpf_map__max_entries(p->xdp->maps.wl_conns), WL_CONNS_DEFAULT);
	m = p->xdp->maps.wl_rule_stats;
	CU_ASSERT_EQUAL(bpf_map__type(m), BPF_MAP_TYPE_ARRAY);
	CU_ASSERT_EQUAL(bpf_map__max_entries(m), 2 * WL_RULES_MAX);
}
