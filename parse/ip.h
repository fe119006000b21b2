/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* IPv4 (with options) and IPv6 (with a bounded walk of the extension headers). */
#ifndef WL_PARSE_IP_H
#define WL_PARSE_IP_H

#include "meta.h"

#define WL_IP_MF		0x2000
#define WL_IP_OFFSET		0x1fff
#define WL_IPV6_EXT_MAX		6 /* extension headers walked before giving up (as xdp-tools) */
#define WL_IP6_NEXTHDR_HOP	0
#define WL_IP6_NEXTHDR_ROUTING	43
#define WL_IP6_NEXTHDR_FRAGMENT 44
#define WL_IP6_NEXTHDR_AUTH	51
#define WL_IP6_NEXTHDR_DEST	60
#define WL_IP6_NEXTHDR_MOBILITY 135
/* Packet offsets handed between functions are checked against this before use: the deepest
 * header (two VLAN tags, IPv6, six extension headers of at most 2 KB) lies far below it. */
#define WL_HDR_OFF_MAX 0x3fff

struct wl_ip6_ext {
	__u8 nexthdr;
	__u8 hdrlen;
};

struct wl_ip6_frag {
	__u8 nexthdr;
	__u8 reserved;
	__be16 frag_off; /* offset in 8-byte units << 3 | M flag */
	__be32 identification;
};

/* pkt_len, gso_segs: struct wl_pkt's fields (the whole packet's length, GSO segments). */
static __always_inline int wl_parse_ipv4(struct wl_cursor *c, __u32 pkt_len, __u32 gso_segs,
					 struct wl_meta *m, struct wl_counters *cnt)
{
	struct iphdr *iph = c->pos;
	__u32 hlen, tot_len;
	__u16 frag_off;
	int out;

	if ((void *)(iph + 1) > c->end)
		return WL_OUT_TRUNCATED_L3;
	cnt->ipv4++;
	if (iph->version != 4)
		return WL_OUT_BAD_L3;
	hlen = iph->ihl * 4;
	out = wl_cursor_hdr(c, hlen, sizeof(*iph), WL_OUT_BAD_L3, WL_OUT_TRUNCATED_L3);
	if (out)
		return out;
	tot_len = bpf_ntohs(iph->tot_len);
	/* A GSO skb above 64 KB (BIG TCP) carries tot_len 0: trust the packet length then. */
	if (tot_len == 0 && gso_segs > 1)
		tot_len = pkt_len - m->l3_off;
	if (tot_len < hlen)
		return WL_OUT_BAD_L3;

	m->key.l3_proto = ETH_P_IP;
	m->key.l4_proto = iph->protocol;
	__builtin_memcpy(m->key.src_addr, &iph->saddr, 4);
	__builtin_memcpy(m->key.dst_addr, &iph->daddr, 4);
	m->l3_end = m->l3_off + tot_len;

	frag_off = bpf_ntohs(iph->frag_off);
	if (frag_off & (WL_IP_MF | WL_IP_OFFSET)) {
		cnt->frag_v4++;
		m->frag = (frag_off & WL_IP_OFFSET) ? WL_FRAG_LATER : WL_FRAG_FIRST;
		m->frag_id = bpf_ntohs(iph->id);
	}
	c->pos += hlen;
	return 0;
}

/*
 * v stored into *field and read back as a value the verifier knows nothing of: field must lie
 * behind a global function's pointer argument, memory whose contents it does not track (the
 * barrier keeps the compiler from reusing v). Paths that differ only in v's range meet again
 * after it, where they would be verified one by one to the end of the function.
 */
#define WL_OPAQUE(field, v)                                                                        \
	({                                                                                         \
		(field) = (v);                                                                     \
		asm volatile("" ::: "memory");                                                     \
		(field);                                                                           \
	})

/*
 * The IPv6 header at the cursor; on success the cursor is on the L4 header (or the data of a
 * later fragment) and m->key.l4_proto is set. m must point into memory the verifier does not
 * track (a global function's argument): the extension header walk passes the offset and the
 * next header of each step through m->l4_off and m->key.l4_proto (WL_OPAQUE), so every step
 * starts from one state whatever kinds of headers came before (they combined into 3^6 paths).
 */
static __always_inline int wl_parse_ipv6(struct wl_cursor *c, void *data, __u32 pkt_len,
					 struct wl_meta *m, struct wl_counters *cnt)
{
	struct ipv6hdr *ip6 = c->pos;
	__u32 plen, nexthdr, off;

	if ((void *)(ip6 + 1) > c->end)
		return WL_OUT_TRUNCATED_L3;
	cnt->ipv6++;
	if (ip6->version != 6)
		return WL_OUT_BAD_L3;
	plen = bpf_ntohs(ip6->payload_len);
	if (plen == 0) /* jumbogram or BIG TCP GSO */
		plen = pkt_len - m->l3_off - sizeof(*ip6);
	m->key.l3_proto = ETH_P_IPV6;
	__builtin_memcpy(m->key.src_addr, &ip6->saddr, 16);
	__builtin_memcpy(m->key.dst_addr, &ip6->daddr, 16);
	m->l3_end = m->l3_off + sizeof(*ip6) + plen;
	nexthdr = ip6->nexthdr;
	c->pos = ip6 + 1;
	off = c->pos - data;

	for (int i = 0; i < WL_IPV6_EXT_MAX; i++) {
		struct wl_ip6_ext *ext;
		struct wl_ip6_frag *fh;
		__u32 len;

		off = WL_OPAQUE(m->l4_off, off);
		nexthdr = WL_OPAQUE(m->key.l4_proto, nexthdr);
		if (off > WL_HDR_OFF_MAX)
			return WL_OUT_TRUNCATED_L3; /* never: at most 6 headers of at most 2 KB */
		ext = data + off;
		fh = data + off;
		switch (nexthdr) {
		case WL_IP6_NEXTHDR_HOP:
		case WL_IP6_NEXTHDR_ROUTING:
		case WL_IP6_NEXTHDR_DEST:
		case WL_IP6_NEXTHDR_MOBILITY:
			if ((void *)(ext + 1) > c->end)
				return WL_OUT_TRUNCATED_L3;
			len = (ext->hdrlen + 1) * 8;
			break;
		case WL_IP6_NEXTHDR_AUTH:
			if ((void *)(ext + 1) > c->end)
				return WL_OUT_TRUNCATED_L3;
			len = (ext->hdrlen + 2) * 4;
			break;
		case WL_IP6_NEXTHDR_FRAGMENT:
			if ((void *)(fh + 1) > c->end)
				return WL_OUT_TRUNCATED_L3;
			if (!m->frag) {
				__u16 fo = bpf_ntohs(fh->frag_off);

				cnt->frag_v6++;
				m->frag = (fo & 0xfff8) ? WL_FRAG_LATER : WL_FRAG_FIRST;
				m->frag_id = bpf_ntohl(fh->identification);
			}
			c->pos = fh + 1;
			/* A later fragment holds no headers after this one, only data. */
			if (m->frag == WL_FRAG_LATER) {
				m->key.l4_proto = fh->nexthdr;
				return 0;
			}
			nexthdr = fh->nexthdr;
			off += sizeof(*fh);
			continue;
		default:
			m->key.l4_proto = nexthdr;
			c->pos = data + off;
			return 0;
		}
		if ((void *)ext + len > c->end)
			return WL_OUT_TRUNCATED_L3;
		nexthdr = ext->nexthdr;
		off += len;
	}
	switch (nexthdr) {
	case WL_IP6_NEXTHDR_HOP:
	case WL_IP6_NEXTHDR_ROUTING:
	case WL_IP6_NEXTHDR_DEST:
	case WL_IP6_NEXTHDR_MOBILITY:
	case WL_IP6_NEXTHDR_AUTH:
	case WL_IP6_NEXTHDR_FRAGMENT:
		return WL_OUT_BAD_IPV6_CHAIN;
	}
	if (off > WL_HDR_OFF_MAX)
		return WL_OUT_TRUNCATED_L3; /* never, as above */
	m->key.l4_proto = nexthdr;
	c->pos = data + off;
	return 0;
}

#endif /* WL_PARSE_IP_H */
