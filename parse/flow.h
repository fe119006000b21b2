/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Flow accounting: one lookup per packet, counters updated in place. */
#ifndef WL_PARSE_FLOW_H
#define WL_PARSE_FLOW_H

#include "meta.h"

static __always_inline void wl_frag_key_of(const struct wl_meta *m, struct wl_frag_key *fk)
{
	fk->ifindex = m->key.ifindex;
	fk->netns_id = m->key.netns_id;
	fk->id = m->frag_id;
	fk->l3_proto = m->key.l3_proto;
	fk->l4_proto = m->key.l4_proto;
	fk->vlan_outer = m->key.vlan_outer;
	fk->vlan_inner = m->key.vlan_inner;
	__builtin_memcpy(fk->src_addr, m->key.src_addr, 16);
	__builtin_memcpy(fk->dst_addr, m->key.dst_addr, 16);
}

/*
 * First fragment: remember its flow key for the train. Later fragment: take the flow key of the
 * train's first fragment, or report that it is unknown.
 */
static __always_inline int wl_frag_track(struct wl_meta *m)
{
	struct wl_frag_key fk = {};
	struct wl_flow_key *first;

	wl_frag_key_of(m, &fk);
	if (m->frag == WL_FRAG_FIRST) {
		bpf_map_update_elem(&wl_frags, &fk, &m->key, BPF_ANY);
		return 0;
	}
	first = bpf_map_lookup_elem(&wl_frags, &fk);
	if (!first)
		return WL_OUT_FRAG_UNMATCHED;
	m->key.src_port = first->src_port;
	m->key.dst_port = first->dst_port;
	return 0;
}

/* Adds one packet (or a GSO packet's segments) to its flow. *before: the packets the flow had
 * before this one (content sniffing looks at a flow's first packets only, l7_dispatch.h). */
static __always_inline int wl_flow_account(const struct wl_pkt *p, struct wl_meta *m, __u64 *before)
{
	struct wl_flow_stats *st;
	__u64 now = m->now;
	__u64 bytes = p->len;
	__u8 fl = m->tcp_flags;

	/* A GSO skb leaves as gso_segs frames, each repeating the L2-L4 headers. */
	if (p->gso_segs > 1)
		bytes += (__u64)(p->gso_segs - 1) * m->payload_off;

	*before = 0;
	st = bpf_map_lookup_elem(&wl_flows, &m->key);
	if (!st) {
		struct wl_flow_stats init = {
			.packets = p->gso_segs,
			.bytes = bytes,
			.first_seen_ns = now,
			.last_seen_ns = now,
			.tcp_syn = !!(fl & WL_TCP_SYN),
			.tcp_fin = !!(fl & WL_TCP_FIN),
			.tcp_rst = !!(fl & WL_TCP_RST),
			.fragments = m->frag != WL_FRAG_NONE,
		};

		if (!bpf_map_update_elem(&wl_flows, &m->key, &init, BPF_NOEXIST)) {
			struct wl_counters *cnt;
			__u32 zero = 0;

			/* a new flow is rarer than a packet: the second lookup costs little */
			cnt = bpf_map_lookup_elem(&wl_counters, &zero);
			if (cnt)
				cnt->flows_new++;
			return WL_OUT_ACCOUNTED;
		}
		/* Lost a race with another CPU inserting the same flow: use its entry. */
		st = bpf_map_lookup_elem(&wl_flows, &m->key);
		if (!st)
			return WL_OUT_MAP_FULL;
	}
	*before = __sync_fetch_and_add(&st->packets, p->gso_segs); /* as cheap as the add alone */
	__sync_fetch_and_add(&st->bytes, bytes);
	st->last_seen_ns = now;
	if (fl & (WL_TCP_SYN | WL_TCP_FIN | WL_TCP_RST)) {
		if (fl & WL_TCP_SYN)
			__sync_fetch_and_add(&st->tcp_syn, 1);
		if (fl & WL_TCP_FIN)
			__sync_fetch_and_add(&st->tcp_fin, 1);
		if (fl & WL_TCP_RST)
			__sync_fetch_and_add(&st->tcp_rst, 1);
	}
	if (m->frag)
		__sync_fetch_and_add(&st->fragments, 1);
	return WL_OUT_ACCOUNTED;
}

#endif /* WL_PARSE_FLOW_H */
