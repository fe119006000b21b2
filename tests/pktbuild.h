/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Builds test frames: Ethernet, 0-2 VLAN tags, IPv4 (options) / IPv6 (extension headers),
 * TCP/UDP/ICMP with payload, fragments, and deliberately broken variants. */
#ifndef WL_TESTS_PKTBUILD_H
#define WL_TESTS_PKTBUILD_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

#define PKT_MAX 65600

struct pkt_spec {
	int nvlan; /* 0, 1, 2 (or more, for the too-deep case) */
	uint16_t vlan_id[4];
	uint16_t vlan_tpid[4]; /* 0: 0x8100 for the inner tags, 0x88a8 for the outer of two */
	uint16_t ethertype;    /* 0: from family */
	int family;	       /* 4 or 6 */
	const char *src, *dst; /* text addresses */
	uint8_t l4;	       /* IPPROTO_*: 6, 17, 1, 58, or anything */
	uint16_t sport, dport;
	uint8_t tcp_flags;
	uint32_t seq, ack;
	uint8_t icmp_type, icmp_code;
	uint16_t icmp_id;
	const void *payload;
	size_t payload_len;
	int ipv4_opt_len;  /* bytes of IPv4 options (multiple of 4, <= 40) */
	int ihl_override;  /* nonzero: write this IHL */
	int doff_override; /* nonzero: write this TCP data offset */
	int ip_version_override;
	uint8_t ipv6_ext[8];	/* extension header types before L4 (0, 43, 60, 51, 44...) */
	int ipv6_next_override; /* nonzero: last next-header value written (e.g. 59 = none) */
	int n_ipv6_ext;
	/* Fragmentation (IPv4 header fields or an IPv6 fragment header). */
	bool frag;
	uint16_t frag_offset8; /* offset in 8-byte units */
	bool frag_mf;
	uint32_t frag_id;
	bool frag_no_l4; /* later fragment: payload only, no L4 header */
	uint8_t ttl;
};

/* Writes the frame into buf (capacity cap). Returns its length, 0 if it does not fit. */
size_t pkt_build(const struct pkt_spec *s, uint8_t *buf, size_t cap);

/* Offsets of the layers in the last built frame (for truncation tests). */
struct pkt_layout {
	size_t l3, l4, payload, len;
};
size_t pkt_build_layout(const struct pkt_spec *s, uint8_t *buf, size_t cap, struct pkt_layout *lo);

#endif
