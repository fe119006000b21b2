// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* L2-L4 parsing and flow accounting through both hooks, with exact map contents: every case
 * compares the whole counters struct, so a counter that moves when it should not fails too. */
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <CUnit/CUnit.h>

#include "harness.h"
#include "pktbuild.h"
#include "suites.h"
#include "loader/views.h"

static uint8_t frame[PKT_MAX];
/* The L2-L4 part of struct wl_counters: everything before the L7 engine's block. */
#define WL_L2L4_COUNTERS (offsetof(struct wl_counters, l7_packets) / sizeof(__u64))

/* Compares the L2-L4 part of the counters (the L7 block is checked by its own suite). */
static void expect_counters(const struct wl_counters *want, const char *what, int h)
{
	struct wl_counters got = harness_counters();
	const __u64 *g = (const __u64 *)&got, *w = (const __u64 *)want;

	for (size_t i = 0; i < WL_L2L4_COUNTERS; i++) {
		CU_ASSERT_EQUAL(g[i], w[i]);
		if (g[i] != w[i])
			fprintf(stderr, "\n  [%s] %s: counter %s = %llu, expected %llu\n",
				hook_names[h], what, wl_counter_names[i], (unsigned long long)g[i],
				(unsigned long long)w[i]);
	}
}

static const char payload[] = "0123456789abcdefghijklmnopqrstuvwxyz";

static struct pkt_spec udp4(void)
{
	struct pkt_spec s = {.family = 4,
			     .src = "198.18.0.1",
			     .dst = "198.18.0.2",
			     .l4 = 17,
			     .sport = 1000,
			     .dport = 2000,
			     .payload = payload,
			     .payload_len = 10};
	return s;
}

static struct pkt_spec tcp6(void)
{
	struct pkt_spec s = {.family = 6,
			     .src = "2001:db8::1",
			     .dst = "2001:db8::2",
			     .l4 = 6,
			     .sport = 3000,
			     .dport = 80,
			     .tcp_flags = 0x02,
			     .payload = payload,
			     .payload_len = 0};
	return s;
}

/* Runs one frame through hook h from empty maps; checks it became exactly one flow with
 * the given key and its packet/byte counts. */
static void expect_one_flow(int h, const struct pkt_spec *s, size_t len,
			    const struct wl_flow_key *k, const char *what)
{
	struct wl_flow_stats st;

	CU_ASSERT_EQUAL(harness_flow_count(), 1);
	CU_ASSERT_EQUAL_FATAL(harness_flow_get(k, &st), 0);
	CU_ASSERT_EQUAL(st.packets, 1);
	CU_ASSERT_EQUAL(st.bytes, len);
	CU_ASSERT_EQUAL(st.tcp_syn, s->l4 == 6 && (s->tcp_flags & 0x02) ? 1 : 0);
	if (st.bytes != len)
		fprintf(stderr, "\n  [%s] %s: bytes %llu != %zu\n", hook_names[h], what,
			(unsigned long long)st.bytes, len);
}

WL_TEST(l2l4, header_combinations)
{
	FOR_EACH_HOOK(h) {
		for (int fam = 4; fam <= 6; fam += 2) {
			for (int nvlan = 0; nvlan <= 2; nvlan++) {
				const uint8_t l4s[] = {6, 17, fam == 4 ? 1 : 58, 47};

				for (size_t li = 0; li < sizeof(l4s); li++) {
					struct pkt_spec s = fam == 4 ? udp4() : tcp6();
					struct wl_counters want = {0};
					struct wl_flow_key k;
					size_t len;

					s.l4 = l4s[li];
					s.nvlan = nvlan;
					s.vlan_id[0] = 100;
					s.vlan_id[1] = 200;
					s.icmp_type = fam == 4 ? 8 : 128;
					s.icmp_id = 77;
					if (fam == 4)
						s.ipv4_opt_len =
							li * 4; /* options of 0..12 bytes */
					else if (li == 1) {
						s.n_ipv6_ext = 3; /* hop-by-hop, routing, dest */
						s.ipv6_ext[0] = 0;
						s.ipv6_ext[1] = 43;
						s.ipv6_ext[2] = 60;
					}
					harness_reset();
					len = pkt_build(&s, frame, sizeof(frame));
					CU_ASSERT(harness_run(h, frame, len, NULL) >= 0);
					k = flow_key(TEST_IFINDEX, fam, s.src, s.dst, s.l4, 0, 0);
					k.vlan_outer = nvlan ? 100 : 0;
					k.vlan_inner = nvlan > 1 ? 200 : 0;
					if (s.l4 == 6 || s.l4 == 17) {
						k.src_port = s.sport;
						k.dst_port = s.dport;
					} else if (s.l4 == 1 || s.l4 == 58) {
						k.src_port = 77;
						k.dst_port = (uint16_t)s.icmp_type << 8;
					}
					want.seen = want.accounted = 1;
					want.ipv4 = fam == 4;
					want.ipv6 = fam == 6;
					want.vlan_tagged = nvlan > 0;
					want.qinq = nvlan > 1;
					want.tcp = s.l4 == 6;
					want.udp = s.l4 == 17;
					want.icmp = s.l4 == 1 || s.l4 == 58;
					want.l4_other = s.l4 == 47;
					expect_counters(&want, "combination", h);
					expect_one_flow(h, &s, len, &k, "combination");
				}
			}
		}
	}
}

/* Every prefix of valid frames: the outcome follows the layer that is cut. */
WL_TEST(l2l4, truncated_every_length)
{
	struct pkt_spec specs[3] = {udp4(), tcp6(), udp4()};

	specs[2].nvlan = 2;
	specs[2].ipv4_opt_len = 8;
	specs[1].payload_len = 5;
	FOR_EACH_HOOK(h) {
		for (int si = 0; si < 3; si++) {
			struct pkt_layout lo;
			size_t full = pkt_build_layout(&specs[si], frame, sizeof(frame), &lo);

			for (size_t len = 14; len <= full; len++) {
				struct wl_counters want = {0};
				int fam = specs[si].family;
				size_t vl = specs[si].nvlan * 4;
				size_t l4min = specs[si].l4 == 6 ? 20 : 8;

				harness_reset();
				if (h == HOOK_TC && !specs[si].nvlan &&
				    len < lo.l3 + (fam == 4 ? 20 : 40)) {
					/* skb test_run refuses an IP ethertype without a whole
					 * fixed IP header: nothing may be counted */
					struct wl_counters zero = {0};

					CU_ASSERT(harness_run(h, frame, len, NULL) < 0);
					expect_counters(&zero, "refused", h);
					continue;
				}
				CU_ASSERT(harness_run(h, frame, len, NULL) >= 0);
				want.seen = 1;
				want.vlan_tagged = specs[si].nvlan > 0 && len >= 14 + vl;
				want.qinq = specs[si].nvlan > 1 && len >= 14 + vl;
				if (len < 14 + vl) {
					want.truncated_l2 = 1;
				} else if (len < lo.l4) {
					want.truncated_l3 = 1;
					/* the fixed header read means the family was counted */
					if (len >= lo.l3 + (fam == 4 ? 20 : 40)) {
						want.ipv4 = fam == 4;
						want.ipv6 = fam == 6;
					}
				} else {
					want.ipv4 = fam == 4;
					want.ipv6 = fam == 6;
					want.tcp = specs[si].l4 == 6;
					want.udp = specs[si].l4 == 17;
					if (len < lo.l4 + l4min)
						want.truncated_l4 = 1;
					else
						want.accounted = 1;
				}
				expect_counters(&want, "truncated", h);
				CU_ASSERT_EQUAL(harness_flow_count(), want.accounted ? 1 : 0);
			}
		}
	}
}

/* The kernel refuses frames shorter than an Ethernet header: nothing may be counted. */
WL_TEST(l2l4, shorter_than_ethernet)
{
	FOR_EACH_HOOK(h) {
		struct wl_counters zero = {0};

		harness_reset();
		memset(frame, 0, 16);
		CU_ASSERT(harness_run(h, frame, 13, NULL) < 0);
		expect_counters(&zero, "short", h);
	}
}

WL_TEST(l2l4, malformed_l3_l4)
{
	FOR_EACH_HOOK(h) {
		struct {
			struct pkt_spec s;
			int outcome; /* index in the counters struct */
		} cases[6];
		int n = 0;

		cases[n].s = udp4(), cases[n].s.ihl_override = 4,
		cases[n++].outcome = WL_OUT_BAD_L3;
		cases[n].s = udp4(), cases[n].s.ip_version_override = 6,
		cases[n++].outcome = WL_OUT_BAD_L3;
		cases[n].s = tcp6(), cases[n].s.doff_override = 4,
		cases[n++].outcome = WL_OUT_BAD_L4;
		cases[n].s = tcp6(), cases[n].s.ip_version_override = 4,
		cases[n++].outcome = WL_OUT_BAD_L3;
		/* eight chained destination-options headers: longer than the walk allows (6) */
		cases[n].s = tcp6(), cases[n].s.n_ipv6_ext = 8;
		memset(cases[n].s.ipv6_ext, 60, 8);
		cases[n++].outcome = WL_OUT_BAD_IPV6_CHAIN;
		/* three VLAN tags */
		cases[n].s = udp4(), cases[n].s.nvlan = 3,
		cases[n++].outcome = WL_OUT_VLAN_TOO_DEEP;

		for (int i = 0; i < n; i++) {
			struct wl_counters want = {0};
			size_t len = pkt_build(&cases[i].s, frame, sizeof(frame));

			harness_reset();
			CU_ASSERT(harness_run(h, frame, len, NULL) >= 0);
			want.seen = 1;
			((__u64 *)&want)[cases[i].outcome] = 1;
			if (cases[i].outcome != WL_OUT_VLAN_TOO_DEEP) {
				want.ipv4 = cases[i].s.family == 4;
				want.ipv6 = cases[i].s.family == 6;
			} else {
				want.vlan_tagged = 0; /* rejected before tags are counted */
			}
			if (cases[i].outcome == WL_OUT_BAD_L4)
				want.tcp = 1;
			expect_counters(&want, "malformed", h);
			CU_ASSERT_EQUAL(harness_flow_count(), 0);
		}
	}
}

WL_TEST(l2l4, non_ip)
{
	FOR_EACH_HOOK(h) {
		struct pkt_spec s = udp4();
		struct wl_counters want = {.seen = 1, .non_ip = 1};
		size_t len;

		s.ethertype = 0x0806; /* ARP */
		len = pkt_build(&s, frame, sizeof(frame));
		harness_reset();
		CU_ASSERT(harness_run(h, frame, len, NULL) >= 0);
		expect_counters(&want, "arp", h);
		CU_ASSERT_EQUAL(harness_flow_count(), 0);
	}
}

WL_TEST(l2l4, payload_sizes)
{
	static uint8_t big[9000];
	const size_t sizes[] = {0, 1, 1472, 3000, 8900};

	FOR_EACH_HOOK(h) {
		for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
			struct pkt_spec s = udp4();
			struct wl_counters want = {.seen = 1, .accounted = 1, .ipv4 = 1, .udp = 1};
			struct wl_flow_key k =
				flow_key(TEST_IFINDEX, 4, s.src, s.dst, 17, 1000, 2000);
			size_t len;
			int rc;

			s.payload = big;
			s.payload_len = sizes[i];
			len = pkt_build(&s, frame, sizeof(frame));
			harness_reset();
			rc = harness_run(h, frame, len, NULL);
			if (h == HOOK_TC && rc < 0 && len > 3500) {
				/* skb test_run takes at most about one page on some kernels (6.1
				 * to 6.18; 7.2 takes more): refused by the kernel, the program
				 * never ran, nothing counted. Where it runs, the frame counts as
				 * any. */
				struct wl_counters zero = {0};

				expect_counters(&zero, "oversize tc refused by test_run", h);
				continue;
			}
			CU_ASSERT(rc >= 0);
			expect_counters(&want, "payload size", h);
			expect_one_flow(h, &s, len, &k, "payload size");
		}
	}
}

WL_TEST(l2l4, fragments)
{
	FOR_EACH_HOOK(h) {
		for (int fam = 4; fam <= 6; fam += 2) {
			struct pkt_spec first = fam == 4 ? udp4() : tcp6(), later, orphan;
			struct wl_counters want = {0};
			struct wl_flow_key k;
			struct wl_flow_stats st;
			size_t l1, l2, l3;

			first.l4 = 17;
			first.frag = true;
			first.frag_mf = true;
			first.frag_id = 4242;
			first.payload_len = 16;
			later = first;
			later.frag_mf = false;
			later.frag_offset8 = 3;
			later.frag_no_l4 = true;
			orphan = later;
			orphan.frag_id = 999;
			harness_reset();
			l1 = pkt_build(&first, frame, sizeof(frame));
			CU_ASSERT(harness_run(h, frame, l1, NULL) >= 0);
			l2 = pkt_build(&later, frame, sizeof(frame));
			CU_ASSERT(harness_run(h, frame, l2, NULL) >= 0);
			l3 = pkt_build(&orphan, frame, sizeof(frame));
			CU_ASSERT(harness_run(h, frame, l3, NULL) >= 0);
			want.seen = 3;
			want.accounted = 2;
			want.frag_unmatched = 1;
			want.ipv4 = fam == 4 ? 3 : 0;
			want.ipv6 = fam == 6 ? 3 : 0;
			want.frag_v4 = fam == 4 ? 3 : 0;
			want.frag_v6 = fam == 6 ? 3 : 0;
			want.udp = 1; /* only the first fragment has a UDP header */
			expect_counters(&want, "fragments", h);
			k = flow_key(TEST_IFINDEX, fam, first.src, first.dst, 17, first.sport,
				     first.dport);
			CU_ASSERT_EQUAL(harness_flow_count(), 1);
			CU_ASSERT_EQUAL_FATAL(harness_flow_get(&k, &st), 0);
			CU_ASSERT_EQUAL(st.packets, 2);
			CU_ASSERT_EQUAL(st.bytes, l1 + l2);
			CU_ASSERT_EQUAL(st.fragments, 2);
		}
	}
}

/* TC: a GSO skb counts as the segments it becomes, with their repeated headers. */
WL_TEST(l2l4, tc_gso)
{
	static uint8_t data[3000];
	struct pkt_spec s = tcp6();
	struct run_opts o = {.gso_segs = 3, .gso_size = 1000};
	struct wl_flow_key k = flow_key(TEST_IFINDEX, 6, s.src, s.dst, 6, 3000, 80);
	struct wl_flow_stats st;
	struct pkt_layout lo;
	size_t len;

	s.tcp_flags = 0x10;
	s.payload = data;
	s.payload_len = sizeof(data);
	len = pkt_build_layout(&s, frame, sizeof(frame), &lo);
	harness_reset();
	CU_ASSERT(harness_run(HOOK_TC, frame, len, &o) >= 0);
	CU_ASSERT_EQUAL_FATAL(harness_flow_get(&k, &st), 0);
	CU_ASSERT_EQUAL(st.packets, 3);
	CU_ASSERT_EQUAL(st.bytes, len + 2 * lo.payload);
	CU_ASSERT_EQUAL(harness_counters().gso_packets, 1);
}

WL_TEST(l2l4, udp_v4_smoke)
{
	FOR_EACH_HOOK(h) {
		struct pkt_spec s = udp4();
		size_t len = pkt_build(&s, frame, sizeof(frame));
		struct wl_flow_key k = flow_key(TEST_IFINDEX, 4, s.src, s.dst, 17, 1000, 2000);
		struct wl_counters want = {.seen = 1, .accounted = 1, .ipv4 = 1, .udp = 1};

		harness_reset();
		CU_ASSERT_EQUAL(harness_run(h, frame, len, NULL), VERDICT_PASS(h));
		expect_counters(&want, "smoke", h);
		expect_one_flow(h, &s, len, &k, "smoke");
	}
}

WL_TEST(l2l4, ipv6_chain_at_bound)
{
	FOR_EACH_HOOK(h) {
		struct pkt_spec s = tcp6();
		struct wl_counters want = {.seen = 1, .accounted = 1, .ipv6 = 1, .tcp = 1};
		struct wl_flow_key k = flow_key(TEST_IFINDEX, 6, s.src, s.dst, 6, 3000, 80);
		const uint8_t chain[6] = {0, 60, 43, 51, 60, 135};
		size_t len;

		s.n_ipv6_ext = 6;
		memcpy(s.ipv6_ext, chain, 6);
		len = pkt_build(&s, frame, sizeof(frame));
		harness_reset();
		CU_ASSERT(harness_run(h, frame, len, NULL) >= 0);
		expect_counters(&want, "ipv6 chain of 6", h);
		expect_one_flow(h, &s, len, &k, "ipv6 chain of 6");
	}
}
