// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Network namespaces (issue 14 item 5): the same frames through the main entry programs (netns
 * id 0) and through an instance loaded with netns id 3 (loader/progs.c wl_entry_load, as attach
 * does for a second namespace) make two flows, two connections and two command entries, each
 * with its own counts; the protocol programs and maps are the shared ones.
 */
#include <arpa/inet.h>
#include <stdbool.h>
#include <stdio.h>
#include <unistd.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <CUnit/CUnit.h>

#include "harness.h"
#include "l7conv.h"
#include "suites.h"
#include "loader/l7cfg.h"
#include "loader/commands.h"

#define NS_OTHER 3

static struct wl_entry other;

static int load_other(void)
{
	return !wl_entry_load(&other, NS_OTHER, harness(), NULL, false);
}

/* One Redis conversation of `pings` PINGs on the usual 4-tuple, through netns id 0 or 3. */
static void conversation(enum wl_hook h, int netns, int pings)
{
	struct conv c;

	harness_use_entry(netns ? wl_entry_xdp_fd(&other) : -1,
			  netns ? wl_entry_tc_fd(&other) : -1);
	conv_init(&c, 6379);
	conv_handshake(h, &c);
	for (int i = 0; i < pings; i++) {
		conv_req(h, &c, "*1\r\n$4\r\nPING\r\n");
		conv_resp(h, &c, "+PONG\r\n");
	}
	harness_use_entry(-1, -1);
}

static int stats_of(int netns, struct wl_cmd_stats *out)
{
	struct wl_cmd_key k = {.l7_proto = WL_L7_REDIS,
			       .netns_id = netns,
			       .l3_proto = 0x0800,
			       .server_port = 6379};
	struct wl_cmd_row *rows;
	int err = -1;
	size_t n;

	memset(out, 0, sizeof(*out));
	inet_pton(AF_INET, CONV_SRV, k.server_addr);
	strcpy(k.command, "PING");
	if (wl_cmd_stats_read(wl_map_cmd_maps(harness()), &rows, &n))
		return -1;
	for (size_t i = 0; i < n; i++)
		if (!memcmp(&rows[i].key, &k, sizeof(k))) {
			out->requests = rows[i].st.requests;
			out->responses = rows[i].st.responses;
			err = 0;
		}
	free(rows);
	return err;
}

static int conns_with(int netns)
{
	struct wl_conn_key k, next;
	int n = 0, fd = wl_map_conns_fd(harness());
	void *prev = NULL;

	while (!bpf_map_get_next_key(fd, prev, &next)) {
		k = next;
		prev = &k;
		n += k.netns_id == netns;
	}
	return n;
}

WL_TEST(netns, same_frames_two_namespaces)
{
	if (!load_other()) {
		CU_FAIL("the netns 3 instance of the entry programs did not load");
		return;
	}
	FOR_EACH_HOOK(h) {
		struct wl_flow_key k =
			flow_key(TEST_IFINDEX, 4, CONV_CLI, CONV_SRV, 6, CONV_CPORT, 6379);
		struct wl_flow_stats fs[2];
		struct wl_cmd_stats st[2];

		harness_reset();
		conversation(h, 0, 2);
		conversation(h, NS_OTHER, 5);
		/* client -> server: SYN, then a request per PING; the reply direction likewise */
		CU_ASSERT_EQUAL(harness_flow_count(), 4);
		CU_ASSERT_EQUAL(harness_flow_get(&k, &fs[0]), 0);
		k.netns_id = NS_OTHER;
		CU_ASSERT_EQUAL(harness_flow_get(&k, &fs[1]), 0);
		CU_ASSERT_EQUAL(fs[0].packets, 1 + 2);
		CU_ASSERT_EQUAL(fs[1].packets, 1 + 5);
		CU_ASSERT_EQUAL(fs[0].tcp_syn, 1);
		CU_ASSERT_EQUAL(fs[1].tcp_syn, 1);
		CU_ASSERT_EQUAL(conns_with(0), 1);
		CU_ASSERT_EQUAL(conns_with(NS_OTHER), 1);
		CU_ASSERT_EQUAL(stats_of(0, &st[0]), 0);
		CU_ASSERT_EQUAL(stats_of(NS_OTHER, &st[1]), 0);
		CU_ASSERT_EQUAL(st[0].requests, 2);
		CU_ASSERT_EQUAL(st[0].responses, 2);
		CU_ASSERT_EQUAL(st[1].requests, 5);
		CU_ASSERT_EQUAL(st[1].responses, 5);
		CU_ASSERT_EQUAL(conv_stats_entries(), 2);
		if (fs[0].packets != 3 || fs[1].packets != 6 || st[0].requests != 2 ||
		    st[1].requests != 5)
			fprintf(stderr, "\n  [%s] flows %llu/%llu PING %llu/%llu\n", hook_names[h],
				(unsigned long long)fs[0].packets,
				(unsigned long long)fs[1].packets,
				(unsigned long long)st[0].requests,
				(unsigned long long)st[1].requests);
	}
	wl_entry_close(&other);
}

/* The instance is the entry program alone: the protocol programs it reaches are the main
 * load's (one program array), and it adds no map of its own. */
WL_TEST(netns, instance_shares_maps)
{
	struct bpf_prog_info a = {}, b = {};
	__u32 la = sizeof(a), lb = sizeof(b), ida[64], idb[64];

	if (!load_other()) {
		CU_FAIL("the netns 3 instance of the entry programs did not load");
		return;
	}
	FOR_EACH_HOOK(h) {
		int fa = h == HOOK_XDP ? wl_progs_xdp_fd(harness()) : wl_progs_tc_fd(harness());
		int fb = h == HOOK_XDP ? wl_entry_xdp_fd(&other) : wl_entry_tc_fd(&other);

		memset(&a, 0, sizeof(a));
		memset(&b, 0, sizeof(b));
		la = lb = sizeof(a);
		a.nr_map_ids = b.nr_map_ids = 64;
		a.map_ids = (__u64)(unsigned long)ida;
		b.map_ids = (__u64)(unsigned long)idb;
		CU_ASSERT_EQUAL(bpf_obj_get_info_by_fd(fa, &a, &la), 0);
		CU_ASSERT_EQUAL(bpf_obj_get_info_by_fd(fb, &b, &lb), 0);
		CU_ASSERT_NOT_EQUAL(a.id, b.id);
		CU_ASSERT_EQUAL(a.nr_map_ids, b.nr_map_ids);
		/* the same maps, but for each its own read-only data (the netns id) */
		for (__u32 j = 0; j < b.nr_map_ids && j < 64; j++) {
			struct bpf_map_info mi = {};
			__u32 ml = sizeof(mi);
			bool shared = false;
			int mfd;

			for (__u32 i = 0; i < a.nr_map_ids && i < 64; i++)
				shared |= ida[i] == idb[j];
			if (shared)
				continue;
			mfd = bpf_map_get_fd_by_id(idb[j]);
			CU_ASSERT_TRUE(mfd >= 0 && !bpf_obj_get_info_by_fd(mfd, &mi, &ml) &&
				       strstr(mi.name, ".ro"));
			if (!strstr(mi.name, ".ro"))
				fprintf(stderr, "\n  [%s] map %s is the instance's own\n",
					hook_names[h], mi.name);
			if (mfd >= 0)
				close(mfd);
		}
	}
	wl_entry_close(&other);
}
