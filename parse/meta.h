/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* What parsing learns about one packet, filled layer by layer. */
#ifndef WL_PARSE_META_H
#define WL_PARSE_META_H

#include "ctx.h"

enum wl_frag_kind {
	WL_FRAG_NONE = 0,
	WL_FRAG_FIRST, /* offset 0, more fragments follow: carries the L4 header */
	WL_FRAG_LATER, /* offset > 0: no L4 header */
};

struct wl_meta {
	struct wl_flow_key key;
	__u32 frag_id;
	__u16 eth_proto; /* ethertype after the VLAN tags, host order */
	__u8 vlan_tags;	 /* 0, 1 or 2 */
	__u8 frag;	 /* enum wl_frag_kind */
	__u8 tcp_flags;	 /* TCP flags byte, 0 for other protocols */
	__u8 pad[3];
	__u32 l3_off; /* offsets from the start of the packet */
	__u32 l4_off;
	__u32 payload_off;
	__u32 l3_end; /* end of the IP datagram per its length field (excludes L2 padding) */
	__u32 tcp_seq;
	__u32 udp_len; /* UDP payload bytes per the UDP header (a first fragment carries part) */
	__u64 now;     /* bpf_ktime_get_coarse_ns() of this packet (flow first/last seen) */
};

/* The mask of the first len bits of an address over its 32-bit word w (0..3), in network byte
 * order: straight-line, no loop for the verifier to walk. */
static __always_inline __u32 wl_prefix_mask(__u32 len, __u32 w)
{
	__u32 bits = len > w * 32 ? len - w * 32 : 0;

	if (bits >= 32)
		return ~0u;
	if (!bits)
		return 0;
	return bpf_htonl(~0u << (32 - bits));
}

#endif /* WL_PARSE_META_H */
