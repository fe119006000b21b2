// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The exporters' conversions, exactly: IPFIX octets from the flow table's L2 bytes as the
 * programs really count them (frames through both hooks: VLAN tags, IPv4 options, IPv6
 * extension headers, a TC GSO packet), the flow record state (idle, active, end detected,
 * forced, an entry evicted or reset under the same key), and the Prometheus histogram. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <CUnit/CUnit.h>

#include "harness.h"
#include "pktbuild.h"
#include "suites.h"
#include "loader/commands.h"
#include "loader/export.h"

static uint8_t frame[PKT_MAX];

/* N frames of every header shape through each hook: octets = N x the IP datagram's length. */
WL_TEST(export, octets_exact)
{
	static const char payload[300];
	const size_t payload_lens[] = {0, 1, 300};

	FOR_EACH_HOOK(h)
		for (int fam = 4; fam <= 6; fam += 2)
			for (int nvlan = 0; nvlan <= 2; nvlan++)
				for (size_t pi = 0; pi < 3; pi++) {
					struct pkt_spec s = {
						.family = fam,
						.src = fam == 4 ? "198.18.0.1" : "2001:db8::1",
						.dst = fam == 4 ? "198.18.0.2" : "2001:db8::2",
						.l4 = pi == 1 ? 6 : 17,
						.sport = 40000,
						.dport = 9999,
						.tcp_flags = 0x10,
						.nvlan = nvlan,
						.vlan_id = {100, 200},
						.payload = payload,
						.payload_len = payload_lens[pi],
						.ipv4_opt_len = fam == 4 ? 4 * (int)pi : 0,
						.n_ipv6_ext = fam == 6 ? (int)pi : 0,
						.ipv6_ext = {0, 60},
					};
					struct wl_flow_key k;
					struct wl_flow_stats st;
					struct pkt_layout lo;
					size_t len =
						pkt_build_layout(&s, frame, sizeof(frame), &lo);

					harness_reset();
					for (int i = 0; i < 3; i++)
						CU_ASSERT(harness_run(h, frame, len, NULL) >= 0);
					CU_ASSERT_EQUAL_FATAL(harness_flow_first(&k, &st), 0);
					CU_ASSERT_EQUAL(st.packets, 3);
					CU_ASSERT_EQUAL(wl_ipfix_octets(&k, st.packets, st.bytes),
							3 * (len - lo.l3));
				}
}

/* A GSO packet of 3 segments: each segment's IP header counts, as on the wire. */
WL_TEST(export, octets_gso)
{
	static uint8_t data[3000];
	struct pkt_spec s = {.family = 6,
			     .src = "2001:db8::1",
			     .dst = "2001:db8::2",
			     .l4 = 6,
			     .sport = 3000,
			     .dport = 80,
			     .tcp_flags = 0x10,
			     .payload = data,
			     .payload_len = sizeof(data)};
	struct run_opts o = {.gso_segs = 3, .gso_size = 1000};
	struct wl_flow_key k;
	struct wl_flow_stats st;
	struct pkt_layout lo;
	size_t len = pkt_build_layout(&s, frame, sizeof(frame), &lo);

	harness_reset();
	CU_ASSERT(harness_run(HOOK_TC, frame, len, &o) >= 0);
	CU_ASSERT_EQUAL_FATAL(harness_flow_first(&k, &st), 0);
	CU_ASSERT_EQUAL(st.packets, 3);
	/* three datagrams: IPv6 40 + TCP 20 + 1000 payload bytes each */
	CU_ASSERT_EQUAL(wl_ipfix_octets(&k, st.packets, st.bytes), 3 * (40 + 20 + 1000));
}

#define S(x) ((__u64)(x)*1000000000ULL)

/* The record state of one flow across scans (idle 15 s, active 60 s). */
WL_TEST(export, flow_records)
{
	const __u64 idle = S(15), active = S(60);
	struct wl_flow_stats s = {
		.packets = 10, .bytes = 1000, .first_seen_ns = S(100), .last_seen_ns = S(101)};
	struct wl_ipfix_flow f = {.first_seen_ns = ~0ULL};

	s.tcp_syn = 1;
	wl_ipfix_flow_sync(&f, &s); /* first sight */
	CU_ASSERT_EQUAL(wl_ipfix_tcp_flags(&f, &s), 0x02);
	CU_ASSERT_EQUAL(f.packets, 0);
	CU_ASSERT_EQUAL(f.rec_start_ns, S(100));
	CU_ASSERT_EQUAL(wl_ipfix_flow_end(&f, &s, S(110), idle, active, false), 0);
	CU_ASSERT_EQUAL(wl_ipfix_flow_end(&f, &s, S(116), idle, active, false), WL_IPFIX_END_IDLE);
	wl_ipfix_flow_sent(&f, &s, S(116));
	CU_ASSERT_EQUAL(f.packets, 10);
	CU_ASSERT_EQUAL(f.rec_start_ns, S(116));
	/* nothing new: no record, however long it stays idle */
	wl_ipfix_flow_sync(&f, &s);
	CU_ASSERT_EQUAL(wl_ipfix_flow_end(&f, &s, S(500), idle, active, false), 0);
	CU_ASSERT_EQUAL(wl_ipfix_flow_end(&f, &s, S(500), idle, active, true), 0);

	/* it resumes and keeps going: active timeout 60 s after the previous record's scan */
	s.packets = 20, s.bytes = 2000, s.last_seen_ns = S(170);
	wl_ipfix_flow_sync(&f, &s);
	CU_ASSERT_EQUAL(f.packets, 10); /* the same entry: counts go on */
	CU_ASSERT_EQUAL(wl_ipfix_flow_end(&f, &s, S(171), idle, active, false), 0);
	s.last_seen_ns = S(176);
	CU_ASSERT_EQUAL(wl_ipfix_flow_end(&f, &s, S(176), idle, active, false),
			WL_IPFIX_END_ACTIVE);
	wl_ipfix_flow_sent(&f, &s, S(176));

	/* a FIN, then silence: end of flow detected rather than idle */
	s.packets = 22, s.tcp_fin = 1, s.last_seen_ns = S(180);
	wl_ipfix_flow_sync(&f, &s);
	CU_ASSERT_EQUAL(wl_ipfix_tcp_flags(&f, &s), 0x01);
	CU_ASSERT_EQUAL(wl_ipfix_flow_end(&f, &s, S(196), idle, active, false),
			WL_IPFIX_END_DETECTED);
	wl_ipfix_flow_sent(&f, &s, S(196));
	/* a later packet of the same entry after that FIN ends idle (no new FIN) */
	s.packets = 23, s.last_seen_ns = S(200);
	CU_ASSERT_EQUAL(wl_ipfix_flow_end(&f, &s, S(216), idle, active, false), WL_IPFIX_END_IDLE);
	/* the exporter stops: what is unsent goes, as forced end */
	CU_ASSERT_EQUAL(wl_ipfix_flow_end(&f, &s, S(201), idle, active, true), WL_IPFIX_END_FORCED);

	/* the entry was evicted (or reset) and the flow came back: a new entry, counted from 0 */
	s = (struct wl_flow_stats){
		.packets = 5, .bytes = 500, .first_seen_ns = S(300), .last_seen_ns = S(301)};
	wl_ipfix_flow_sync(&f, &s);
	CU_ASSERT_EQUAL(f.packets, 0);
	CU_ASSERT_EQUAL(f.bytes, 0);
	CU_ASSERT_EQUAL(f.syn, 0);
	CU_ASSERT_EQUAL(f.fin_rst, 0);
	CU_ASSERT_EQUAL(f.rec_start_ns, S(300));
	CU_ASSERT_EQUAL(wl_ipfix_flow_end(&f, &s, S(316), idle, active, false), WL_IPFIX_END_IDLE);
	/* reset to fewer packets with the same first_seen (a map cleared, then the same tick) */
	wl_ipfix_flow_sent(&f, &s, S(316));
	s.packets = 2;
	wl_ipfix_flow_sync(&f, &s);
	CU_ASSERT_EQUAL(f.packets, 0);
}

/* The histogram of one command: exact `le` edges, cumulative, +Inf = _count, escaped labels. */
WL_TEST(export, prom_latency)
{
	struct wl_cmd_stats st = {.latency_sum_ns = 1500000000ULL};
	struct wl_cmd_labels l = {.protocol = "redis", .server = "198.18.0.2:6379"};
	char *text = NULL, want[256];
	size_t len = 0;
	FILE *f;

	snprintf(l.command, sizeof(l.command), "%s", "a\"b\\c");
	st.latency_hist[0] = 1;			 /* [1, 2) ns */
	st.latency_hist[3] = 2;			 /* [8, 16) ns */
	st.latency_hist[30] = 4;		 /* [2^30, 2^31) ns */
	st.latency_hist[WL_LAT_BUCKETS - 1] = 8; /* open: only in +Inf */
	f = open_memstream(&text, &len);
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	wl_prom_latency(f, &l, &st);
	fclose(f);
#define LBL "protocol=\"redis\",server=\"198.18.0.2:6379\",command=\"a\\\"b\\\\c\""
	CU_ASSERT_PTR_NOT_NULL(
		strstr(text, "wirelens_l7_latency_seconds_bucket{" LBL ",le=\"2e-09\"} 1\n"));
	CU_ASSERT_PTR_NOT_NULL(
		strstr(text, "wirelens_l7_latency_seconds_bucket{" LBL ",le=\"8e-09\"} 1\n"));
	CU_ASSERT_PTR_NOT_NULL(
		strstr(text, "wirelens_l7_latency_seconds_bucket{" LBL ",le=\"1.6e-08\"} 3\n"));
	CU_ASSERT_PTR_NOT_NULL(
		strstr(text, "wirelens_l7_latency_seconds_bucket{" LBL ",le=\"1.073741824\"} 3\n"));
	CU_ASSERT_PTR_NOT_NULL(
		strstr(text, "wirelens_l7_latency_seconds_bucket{" LBL ",le=\"2.147483648\"} 7\n"));
	CU_ASSERT_PTR_NOT_NULL(
		strstr(text, "wirelens_l7_latency_seconds_bucket{" LBL ",le=\"+Inf\"} 15\n"));
	CU_ASSERT_PTR_NOT_NULL(
		strstr(text, "wirelens_l7_latency_seconds_sum{" LBL "} 1.500000000\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "wirelens_l7_latency_seconds_count{" LBL "} 15\n"));
	/* 31 finite edges + +Inf, then _sum and _count */
	snprintf(want, sizeof(want), "wirelens_l7_latency_seconds_bucket{");
	{
		int n = 0;

		for (const char *p = text; (p = strstr(p, want)); p++)
			n++;
		CU_ASSERT_EQUAL(n, WL_LAT_BUCKETS);
	}
	free(text);
#undef LBL
}
