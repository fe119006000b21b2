// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* What TC makes linear (parse/hdr_len.h): for every header combination the builder makes and
 * every linear length of it, the headers' length when the linear part holds them, else a
 * length past the linear part (so the skb is pulled). No BPF: the function is plain C. */
#include <linux/types.h>
#include <netinet/in.h>
#include <CUnit/CUnit.h>

#include "suites.h"
#include "pktbuild.h"
#include "parse/hdr_len.h"

static uint8_t frame[2048];

/* Every linear length of the frame: enough bytes give want, fewer never look enough. Returns
 * the lengths that broke this (0). */
static int every_linear_length(size_t len, __u32 want)
{
	int bad = 0;

	for (size_t linear = 0; linear <= len; linear++) {
		__u32 got = wl_tc_hdr_len(frame, frame + linear);

		if (linear >= want && want != WL_HDR_PULL)
			bad += got != want;
		else
			bad += got <= linear; /* would read headers past the linear part */
	}
	return bad;
}

WL_TEST(hdr_len, every_header_combination)
{
	const char *payload = "SET k v and some more payload bytes";

	for (int fam = 4; fam <= 6; fam += 2)
		for (int nvlan = 0; nvlan <= 2; nvlan++)
			for (int li = 0; li < 4; li++)
				for (int opt = 0; opt <= 40; opt += 20) {
					const uint8_t l4s[] = {6, 17, fam == 4 ? 1 : 58, 47};
					struct pkt_spec s = {
						.family = fam,
						.src = fam == 4 ? "198.18.0.1" : "2001:db8::1",
						.dst = fam == 4 ? "198.18.0.2" : "2001:db8::2",
						.l4 = l4s[li],
						.sport = 40000,
						.dport = 6379,
						.tcp_flags = 0x18,
						.icmp_type = fam == 4 ? 8 : 128,
						.payload = payload,
						.payload_len = 20,
						.nvlan = nvlan,
						.vlan_id = {100, 200},
					};
					struct pkt_layout lo;
					size_t len;
					__u32 want;

					if (fam == 4)
						s.ipv4_opt_len = opt; /* IPv4 options */
					else if (opt && li < 2) {
						s.n_ipv6_ext = 1; /* hop-by-hop or routing */
						s.ipv6_ext[0] = opt == 20 ? 0 : 43;
					}
					if (li == 0 && opt == 40)
						s.doff_override = 15; /* TCP options: 40 bytes */
					len = pkt_build_layout(&s, frame, sizeof(frame), &lo);
					CU_ASSERT_FATAL(len > 0);
					if (fam == 6 && (s.n_ipv6_ext || s.l4 == 47))
						want = WL_HDR_PULL; /* not known without the walk */
					else if (s.l4 == 47)
						want = lo.l4; /* no L4 header parsed */
					else if (s.l4 == 6)
						want = lo.l4 + (s.doff_override ? 60 : 20);
					else
						want = lo.l4 + 8;
					CU_ASSERT_EQUAL(wl_tc_hdr_len(frame, frame + len), want);
					CU_ASSERT_EQUAL(every_linear_length(len, want), 0);
				}
}

WL_TEST(hdr_len, later_fragment_and_not_ip)
{
	struct pkt_spec s = {.family = 4,
			     .src = "198.18.0.1",
			     .dst = "198.18.0.2",
			     .l4 = 17,
			     .payload = "0123456789abcdef",
			     .payload_len = 16,
			     .frag = true,
			     .frag_offset8 = 3,
			     .frag_no_l4 = true};
	struct pkt_layout lo;
	size_t len = pkt_build_layout(&s, frame, sizeof(frame), &lo);

	CU_ASSERT_EQUAL(wl_tc_hdr_len(frame, frame + len), lo.l4); /* the IP header only */
	CU_ASSERT_EQUAL(every_linear_length(len, lo.l4), 0);

	s = (struct pkt_spec){.ethertype = 0x0806,
			      .family = 4,
			      .src = "198.18.0.1",
			      .dst = "198.18.0.2",
			      .l4 = 17};
	len = pkt_build(&s, frame, sizeof(frame));
	CU_ASSERT_EQUAL(wl_tc_hdr_len(frame, frame + len), 14); /* ARP: Ethernet only */
	CU_ASSERT_EQUAL(wl_tc_hdr_len(frame, frame + 13), WL_HDR_PULL);
}
