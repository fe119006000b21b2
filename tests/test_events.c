// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The event log (parse/events.h): the ring records of crafted conversations, exactly, and no
 * record at all while no reader holds the lease. */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <CUnit/CUnit.h>

#include "harness.h"
#include "l7conv.h"
#include "pktbuild.h"
#include "suites.h"
#include "loader/progs.h"
#include "wl_xdp.skel.h"

#define MAX_RECORDS 64

static struct wl_event got[MAX_RECORDS];
static int n_got, n_oversize;

static int map_fd(const char *name)
{
	return bpf_map__fd(bpf_object__find_map_by_name(harness()->xdp->obj, name));
}

static int on_record(void *ctx, void *data, size_t size)
{
	(void)ctx;
	if (size != sizeof(struct wl_event) || n_got >= MAX_RECORDS) {
		n_oversize++;
		return 0;
	}
	memcpy(&got[n_got++], data, sizeof(struct wl_event));
	return 0;
}

/* Every record in the ring now, into got[]. */
static void drain(void)
{
	struct ring_buffer *rb = ring_buffer__new(map_fd("wl_events"), on_record, NULL, NULL);

	n_got = n_oversize = 0;
	CU_ASSERT_PTR_NOT_NULL_FATAL(rb);
	ring_buffer__consume(rb);
	ring_buffer__free(rb);
}

static void set_cfg(__u64 until_ns, __u32 flags, __u32 sample, __u32 l7_mask)
{
	struct wl_log_cfg cfg = {.until_ns = until_ns,
				 .flags = flags,
				 .sample = sample,
				 .l7_mask = l7_mask,
				 .reader_pid = 1};
	__u32 zero = 0;

	CU_ASSERT_EQUAL(bpf_map_update_elem(map_fd("wl_log_cfg"), &zero, &cfg, BPF_ANY), 0);
}

static struct wl_log_stats log_stats(void)
{
	int ncpu = libbpf_num_possible_cpus();
	struct wl_log_stats *per = calloc(ncpu, sizeof(*per)), sum = {};
	__u32 zero = 0;

	if (per && !bpf_map_lookup_elem(map_fd("wl_log_stats"), &zero, per))
		for (int c = 0; c < ncpu; c++) {
			sum.records += per[c].records;
			sum.events += per[c].events;
			sum.lost_records += per[c].lost_records;
			sum.lost_events += per[c].lost_events;
			sum.sampled_events += per[c].sampled_events;
			sum.thinned_events += per[c].thinned_events;
		}
	free(per);
	return sum;
}

/* A fresh start: no reader, counters zero, the ring empty. */
static void events_reset(void)
{
	harness_reset();
	set_cfg(0, 0, 0, 0);
	wl_map_clear(map_fd("wl_log_stats"));
	drain();
}

static const char *cmd_name(__u16 id)
{
	static struct wl_cmd_name n;
	__u32 key = id;

	memset(&n, 0, sizeof(n));
	bpf_map_lookup_elem(map_fd("wl_cmd_ids"), &key, &n);
	return n.command;
}

static const char set_req[] = "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n";
static const char get_req[] = "*2\r\n$3\r\nGET\r\n$1\r\nk\r\n";
static const char lpush_req[] = "*3\r\n$5\r\nLPUSH\r\n$1\r\nk\r\n$1\r\nx\r\n";
static const char wrongtype[] =
	"-WRONGTYPE Operation against a key holding the wrong kind of value\r\n";

/* SET ok, GET hit, LPUSH error, then three GETs pipelined in one segment answered in one. */
static void conversation(enum wl_hook h, struct conv *c)
{
	conv_init(c, 6379);
	conv_handshake(h, c);
	conv_req(h, c, set_req);
	conv_resp(h, c, "+OK\r\n");
	conv_req(h, c, get_req);
	conv_resp(h, c, "$1\r\nv\r\n");
	conv_req(h, c, lpush_req);
	conv_resp(h, c, wrongtype);
	conv_seg(h, c, 0,
		 "*2\r\n$3\r\nGET\r\n$1\r\nk\r\n*2\r\n$3\r\nGET\r\n$1\r\nk\r\n"
		 "*2\r\n$3\r\nGET\r\n$1\r\nk\r\n",
		 3 * strlen(get_req), 0);
	conv_resp(h, c, "$1\r\nv\r\n$1\r\nv\r\n$1\r\nv\r\n");
}

static void expect_pair(enum wl_hook h, const struct wl_event *e, const char *cmd, __u32 count,
			__u32 errors, __u32 bytes)
{
	__u8 cli[16] = {}, srv[16] = {};

	inet_pton(AF_INET, CONV_CLI, cli);
	inet_pton(AF_INET, CONV_SRV, srv);
	CU_ASSERT_EQUAL(e->kind, WL_EV_PAIR);
	CU_ASSERT_EQUAL(e->hook, h == HOOK_XDP ? WL_EV_XDP : WL_EV_TC);
	CU_ASSERT_EQUAL(e->l7_proto, WL_L7_REDIS);
	CU_ASSERT_EQUAL(e->l4_proto, 6);
	CU_ASSERT_EQUAL(e->l3_proto, 0x0800);
	CU_ASSERT_STRING_EQUAL(cmd_name(e->cmd_id), cmd);
	CU_ASSERT_EQUAL(e->src_port, CONV_CPORT);
	CU_ASSERT_EQUAL(e->dst_port, 6379);
	CU_ASSERT_EQUAL(memcmp(e->src_addr, cli, 16), 0);
	CU_ASSERT_EQUAL(memcmp(e->dst_addr, srv, 16), 0);
	CU_ASSERT_EQUAL(e->count, count);
	CU_ASSERT_EQUAL(e->errors, errors);
	CU_ASSERT_EQUAL(e->misses, 0);
	CU_ASSERT_EQUAL(e->bytes, bytes);
	/* the request and its reply were two test runs: some nanoseconds apart */
	CU_ASSERT_TRUE(e->latency_ns > 0 && e->latency_ns < 10000000000ULL);
	CU_ASSERT_TRUE(e->ts_ns > 0);
	CU_ASSERT_EQUAL(e->outcome, 0);
	if (strcmp(cmd_name(e->cmd_id), cmd) || e->count != count || e->errors != errors)
		fprintf(stderr, "\n  [%s] record %s x%u errors %u, expected %s x%u errors %u\n",
			hook_names[h], cmd_name(e->cmd_id), e->count, e->errors, cmd, count,
			errors);
}

/* A reader: one record per run of pairs, exactly what the conversation completed. */
WL_TEST(events, pairs)
{
	FOR_EACH_HOOK(h) {
		struct wl_log_stats st;
		struct conv c;

		events_reset();
		set_cfg(mono_ns() + 60000000000ULL, WL_LOG_PAIRS, 0, 0);
		conversation(h, &c);
		drain();
		CU_ASSERT_EQUAL(n_oversize, 0);
		CU_ASSERT_EQUAL_FATAL(n_got, 4);
		expect_pair(h, &got[0], "SET", 1, 0, 5);
		expect_pair(h, &got[1], "GET", 1, 0, 7);
		expect_pair(h, &got[2], "LPUSH", 1, 1, strlen(wrongtype));
		expect_pair(h, &got[3], "GET", 3, 0, 21);
		st = log_stats();
		CU_ASSERT_EQUAL(st.records, 4);
		CU_ASSERT_EQUAL(st.events, 6);
		CU_ASSERT_EQUAL(st.lost_events + st.sampled_events + st.thinned_events, 0);
	}
	events_reset(); /* no reader left behind for the suites after this one */
}

/* No reader, a lapsed lease, another protocol asked for, packets only: nothing written. */
WL_TEST(events, off)
{
	const struct {
		__u64 until;
		__u32 flags, mask;
	} cases[] = {
		{0, 0, 0},					   /* never a reader */
		{60000000000ULL, 0, 0},				   /* cleared on exit */
		{1, WL_LOG_PAIRS, 0},				   /* the reader died long ago */
		{60000000000ULL, WL_LOG_PAIRS, 1u << WL_L7_MYSQL}, /* --protocol mysql */
	};

	FOR_EACH_HOOK(h) {
		for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
			struct wl_log_stats st;
			struct conv c;

			events_reset();
			set_cfg(cases[i].until > 1 ? mono_ns() + cases[i].until : cases[i].until,
				cases[i].flags, 0, cases[i].mask);
			conversation(h, &c);
			EXPECT_CMD_STATS(&c, WL_L7_REDIS, "GET", 4, 4, 0); /* the engine ran */
			drain();
			CU_ASSERT_EQUAL(n_got, 0);
			st = log_stats();
			CU_ASSERT_EQUAL(st.records + st.events + st.lost_events +
						st.sampled_events + st.thinned_events,
					0);
			if (n_got)
				fprintf(stderr, "\n  [%s] case %zu: %d records\n", hook_names[h], i,
					n_got);
		}
	}
	events_reset();
}

/* 1 in N: what is not written is counted as sampled, and the sum is exact. */
WL_TEST(events, sampled)
{
	FOR_EACH_HOOK(h) {
		struct wl_log_stats st;
		struct conv c;
		__u64 events = 0;

		events_reset();
		set_cfg(mono_ns() + 60000000000ULL, WL_LOG_PAIRS, 1000000, 0);
		conversation(h, &c);
		drain();
		for (int i = 0; i < n_got; i++)
			events += got[i].count;
		st = log_stats();
		CU_ASSERT_EQUAL(st.events, events);
		CU_ASSERT_EQUAL(st.records, (__u64)n_got);
		CU_ASSERT_EQUAL(st.events + st.sampled_events, 6);
	}
	events_reset();
}

/* --packets: one record per packet with its addresses, ports, length and outcome. */
WL_TEST(events, packets)
{
	FOR_EACH_HOOK(h) {
		__u8 cli[16] = {}, srv[16] = {};
		struct conv c;

		events_reset();
		set_cfg(mono_ns() + 60000000000ULL, WL_LOG_PACKETS, 0, 0);
		conv_init(&c, 6379);
		conv_handshake(h, &c);
		conv_req(h, &c, get_req);
		drain();
		CU_ASSERT_EQUAL_FATAL(n_got, 3);
		inet_pton(AF_INET, CONV_CLI, cli);
		inet_pton(AF_INET, CONV_SRV, srv);
		for (int i = 0; i < 3; i++) {
			const struct wl_event *e = &got[i];
			int from_server = i == 1;

			CU_ASSERT_EQUAL(e->kind, WL_EV_PACKET);
			CU_ASSERT_EQUAL(e->hook, h == HOOK_XDP ? WL_EV_XDP : WL_EV_TC);
			CU_ASSERT_EQUAL(e->l4_proto, 6);
			CU_ASSERT_EQUAL(e->l3_proto, 0x0800);
			CU_ASSERT_EQUAL(e->src_port, from_server ? 6379 : CONV_CPORT);
			CU_ASSERT_EQUAL(e->dst_port, from_server ? CONV_CPORT : 6379);
			CU_ASSERT_EQUAL(memcmp(e->src_addr, from_server ? srv : cli, 16), 0);
			CU_ASSERT_EQUAL(memcmp(e->dst_addr, from_server ? cli : srv, 16), 0);
			CU_ASSERT_EQUAL(e->outcome, WL_OUT_ACCOUNTED);
			CU_ASSERT_EQUAL(e->count, 1);
			CU_ASSERT_EQUAL(e->bytes, 14 + 20 + 20 + (i == 2 ? strlen(get_req) : 0));
		}
		/* packets only: no pair records though the engine completed none anyway */
		CU_ASSERT_EQUAL(log_stats().events, 3);
	}
	events_reset();
}
