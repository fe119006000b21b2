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

static __always_inline int wl_parse_ipv4(struct wl_cursor *c, const struct wl_pkt *p,
					 struct wl_meta *m, struct wl_counters *cnt)
{
	struct iphdr *iph = c->pos;
	__u32 hlen, tot_len;
	__u16 frag_off;

	if ((void *)(iph + 1) > c->end)
		return WL_OUT_TRUNCATED_L3;
	cnt->ipv4++;
	if (iph->version != 4)
		return WL_OUT_BAD_L3;
	hlen = iph->ihl * 4;
	if (hlen < sizeof(*iph))
		return WL_OUT_BAD_L3;
	if (c->pos + hlen > c->end)
		return WL_OUT_TRUNCATED_L3;
	tot_len = bpf_ntohs(iph->tot_len);
	/* A GSO skb above 64 KB (BIG TCP) carries tot_len 0: trust the packet length then. */
	if (tot_len == 0 && p->gso_segs > 1)
		tot_len = p->len - m->l3_off;
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

static __always_inline int wl_ip6_is_ext(__u32 nexthdr)
{
	return nexthdr == WL_IP6_NEXTHDR_HOP || nexthdr == WL_IP6_NEXTHDR_ROUTING ||
	       nexthdr == WL_IP6_NEXTHDR_DEST || nexthdr == WL_IP6_NEXTHDR_MOBILITY ||
	       nexthdr == WL_IP6_NEXTHDR_AUTH || nexthdr == WL_IP6_NEXTHDR_FRAGMENT;
}

/* wl_ip6_ext's answer: the offset after the header, a flag, the next header */
#define WL_IP6_EXT_SHIFT 9
#define WL_IP6_EXT_LAST	 0x100 /* a later fragment: data follows, no more headers */

/*
 * One IPv6 extension header (nexthdr names it) at packet offset off. Returns -outcome, or
 * (offset after it) << WL_IP6_EXT_SHIFT | WL_IP6_EXT_LAST if it ends the walk | next header.
 * A global function, verified once: each step of the walk meets the verifier with the same
 * opaque offset, so the walk costs 6 steps, not the 3^6 ways the header kinds combine.
 */
__noinline long wl_ip6_ext(wl_ctx_t *ctx, struct wl_meta *m, struct wl_counters *cnt, __u32 off,
			   __u32 nexthdr)
{
	void *data = (void *)(long)WL_CTX_LOAD32(ctx, wl_ctx_t, data);
	void *end = (void *)(long)WL_CTX_LOAD32(ctx, wl_ctx_t, data_end);
	struct wl_ip6_ext *ext;
	struct wl_ip6_frag *fh;
	__u32 len;

	if (!m || !cnt || off > WL_HDR_OFF_MAX)
		return -WL_OUT_TRUNCATED_L3; /* never: the walk stays far below */
	ext = data + off;
	fh = data + off;
	switch (nexthdr) {
	case WL_IP6_NEXTHDR_HOP:
	case WL_IP6_NEXTHDR_ROUTING:
	case WL_IP6_NEXTHDR_DEST:
	case WL_IP6_NEXTHDR_MOBILITY:
		if ((void *)(ext + 1) > end)
			return -WL_OUT_TRUNCATED_L3;
		len = (ext->hdrlen + 1) * 8;
		break;
	case WL_IP6_NEXTHDR_AUTH:
		if ((void *)(ext + 1) > end)
			return -WL_OUT_TRUNCATED_L3;
		len = (ext->hdrlen + 2) * 4;
		break;
	case WL_IP6_NEXTHDR_FRAGMENT:
		if ((void *)(fh + 1) > end)
			return -WL_OUT_TRUNCATED_L3;
		if (!m->frag) {
			__u16 fo = bpf_ntohs(fh->frag_off);

			cnt->frag_v6++;
			m->frag = (fo & 0xfff8) ? WL_FRAG_LATER : WL_FRAG_FIRST;
			m->frag_id = bpf_ntohl(fh->identification);
		}
		/* A later fragment holds no headers after this one, only data. */
		return (long)(off + sizeof(*fh)) << WL_IP6_EXT_SHIFT |
		       (m->frag == WL_FRAG_LATER ? WL_IP6_EXT_LAST : 0) | fh->nexthdr;
	default:
		return -WL_OUT_BAD_IPV6_CHAIN; /* never: the caller asks for headers only */
	}
	if ((void *)ext + len > end)
		return -WL_OUT_TRUNCATED_L3;
	return (long)(off + len) << WL_IP6_EXT_SHIFT | ext->nexthdr;
}

/* The IPv6 header at the cursor; on success the cursor is on the L4 header (or the data of a
 * later fragment) and m->key.l4_proto is set. */
static __always_inline int wl_parse_ipv6(struct wl_cursor *c, wl_ctx_t *ctx, const struct wl_pkt *p,
					 struct wl_meta *m, struct wl_counters *cnt)
{
	struct ipv6hdr *ip6 = c->pos;
	void *data = (void *)(long)WL_CTX_LOAD32(ctx, wl_ctx_t, data);
	__u32 plen, nexthdr, off;
	long r = 0;

	if ((void *)(ip6 + 1) > c->end)
		return WL_OUT_TRUNCATED_L3;
	cnt->ipv6++;
	if (ip6->version != 6)
		return WL_OUT_BAD_L3;
	plen = bpf_ntohs(ip6->payload_len);
	if (plen == 0) /* jumbogram or BIG TCP GSO */
		plen = p->len - m->l3_off - sizeof(*ip6);
	m->key.l3_proto = ETH_P_IPV6;
	__builtin_memcpy(m->key.src_addr, &ip6->saddr, 16);
	__builtin_memcpy(m->key.dst_addr, &ip6->daddr, 16);
	m->l3_end = m->l3_off + sizeof(*ip6) + plen;
	nexthdr = ip6->nexthdr;
	c->pos = ip6 + 1;
	if (!wl_ip6_is_ext(nexthdr)) { /* the common case: no extension header */
		m->key.l4_proto = nexthdr;
		return 0;
	}

	off = c->pos - data;
	for (int i = 0; i < WL_IPV6_EXT_MAX; i++) {
		if (!wl_ip6_is_ext(nexthdr))
			break;
		r = wl_ip6_ext(ctx, m, cnt, off, nexthdr);
		if (r < 0)
			return -r;
		off = r >> WL_IP6_EXT_SHIFT;
		nexthdr = r & 0xff;
		if (r & WL_IP6_EXT_LAST)
			break;
	}
	if (!(r & WL_IP6_EXT_LAST) && wl_ip6_is_ext(nexthdr))
		return WL_OUT_BAD_IPV6_CHAIN;
	if (off > WL_HDR_OFF_MAX)
		return WL_OUT_TRUNCATED_L3; /* never: at most 6 headers of at most 2 KB */
	m->key.l4_proto = nexthdr;
	c->pos = data + off;
	return 0;
}

#endif /* WL_PARSE_IP_H */
