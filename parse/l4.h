/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* TCP, UDP, ICMP and ICMPv6 headers: ports (or ICMP id/type/code), TCP flags, payload start. */
#ifndef WL_PARSE_L4_H
#define WL_PARSE_L4_H

#include "meta.h"

#define WL_TCP_FIN 0x01
#define WL_TCP_SYN 0x02
#define WL_TCP_RST 0x04
#define WL_TCP_PSH 0x08
#define WL_TCP_ACK 0x10

#define WL_ICMP_ECHOREPLY   0
#define WL_ICMP_ECHO	    8
#define WL_ICMPV6_ECHO	    128
#define WL_ICMPV6_ECHOREPLY 129

struct wl_icmp_hdr {
	__u8 type;
	__u8 code;
	__be16 checksum;
	__be16 id; /* echo request/reply only */
	__be16 seq;
};

static __always_inline int wl_parse_tcp(struct wl_cursor *c, struct wl_meta *m)
{
	struct tcphdr *th = c->pos;
	__u32 hlen;
	int out;

	if ((void *)(th + 1) > c->end)
		return WL_OUT_TRUNCATED_L4;
	hlen = th->doff * 4;
	out = wl_cursor_hdr(c, hlen, sizeof(*th), WL_OUT_BAD_L4, WL_OUT_TRUNCATED_L4);
	if (out)
		return out;
	m->key.src_port = bpf_ntohs(th->source);
	m->key.dst_port = bpf_ntohs(th->dest);
	m->tcp_flags = ((__u8 *)th)[13];
	m->tcp_seq = bpf_ntohl(th->seq);
	c->pos += hlen;
	return 0;
}

static __always_inline int wl_parse_udp(struct wl_cursor *c, struct wl_meta *m)
{
	struct udphdr *uh = c->pos;

	if ((void *)(uh + 1) > c->end)
		return WL_OUT_TRUNCATED_L4;
	m->key.src_port = bpf_ntohs(uh->source);
	m->key.dst_port = bpf_ntohs(uh->dest);
	m->udp_len = bpf_ntohs(uh->len);
	m->udp_len = m->udp_len > sizeof(*uh) ? m->udp_len - sizeof(*uh) : 0;
	c->pos = uh + 1;
	return 0;
}

static __always_inline int wl_parse_icmp(struct wl_cursor *c, struct wl_meta *m, int v6)
{
	struct wl_icmp_hdr *ih = c->pos;
	__u8 echo_req = v6 ? WL_ICMPV6_ECHO : WL_ICMP_ECHO;
	__u8 echo_rep = v6 ? WL_ICMPV6_ECHOREPLY : WL_ICMP_ECHOREPLY;

	/* type, code and checksum are the whole common header */
	if (c->pos + 4 > c->end)
		return WL_OUT_TRUNCATED_L4;
	m->key.dst_port = (__u16)ih->type << 8 | ih->code;
	if (ih->type == echo_req || ih->type == echo_rep) {
		if ((void *)(ih + 1) > c->end)
			return WL_OUT_TRUNCATED_L4;
		m->key.src_port = bpf_ntohs(ih->id);
	}
	c->pos += 4;
	return 0;
}

/* Parses the L4 header named by m->key.l4_proto. Unknown protocols keep ports 0. */
static __always_inline int wl_parse_l4(struct wl_cursor *c, struct wl_meta *m,
				       struct wl_counters *cnt)
{
	switch (m->key.l4_proto) {
	case IPPROTO_TCP:
		cnt->tcp++;
		return wl_parse_tcp(c, m);
	case IPPROTO_UDP:
		cnt->udp++;
		return wl_parse_udp(c, m);
	case IPPROTO_ICMP:
		cnt->icmp++;
		return wl_parse_icmp(c, m, 0);
	case WL_IPPROTO_ICMPV6:
		cnt->icmp++;
		return wl_parse_icmp(c, m, 1);
	default:
		cnt->l4_other++;
		return 0;
	}
}

#endif /* WL_PARSE_L4_H */
