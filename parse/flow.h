/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Flow accounting: a flow's later packets in this CPU's slot of wl_flow_cache, folded into
 * wl_flows now and then; its first ones, and flows without a slot, straight into wl_flows. */
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

static __always_inline void wl_flows_new_count(void)
{
	struct wl_counters *cnt;
	__u32 zero = 0;

	/* a new flow is rarer than a packet: the second lookup costs little */
	cnt = bpf_map_lookup_elem(&wl_counters, &zero);
	if (cnt)
		cnt->flows_new++;
}

/* Adds one packet (bytes: with a GSO packet's repeated headers) to its entry in wl_flows.
 * *before: the packets the entry had before this one. */
static __always_inline int wl_flow_account_shared(const struct wl_pkt *p, struct wl_meta *m,
						  __u64 bytes, __u64 *before)
{
	struct wl_flow_stats *st;
	__u64 now = m->now;
	__u8 fl = m->tcp_flags;

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
			wl_flows_new_count();
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

static __always_inline int wl_flow_key_eq(const struct wl_flow_key *a, const struct wl_flow_key *b)
{
	const __u64 *x = (const __u64 *)a, *y = (const __u64 *)b;

	return !((x[0] ^ y[0]) | (x[1] ^ y[1]) | (x[2] ^ y[2]) | (x[3] ^ y[3]) | (x[4] ^ y[4]) |
		 (x[5] ^ y[5]));
}

/* A slot's deltas into wl_flows (the entry made again if the LRU pushed it out: the flow then
 * starts over, as a flow seen anew does). seq odd meanwhile; its increments are atomic so that
 * readers on other CPUs see them ordered with the deltas. */
static __noinline void wl_flow_slot_fold(struct wl_flow_slot *s, __u64 now)
{
	struct wl_flow_stats *st;

	__sync_fetch_and_add(&s->seq, 1);
	if (s->n && s->key.l3_proto) { /* a free slot's key is zero (or was zeroed by reset) */
		st = bpf_map_lookup_elem(&wl_flows, &s->key);
		if (st) {
			s->base = __sync_fetch_and_add(&st->packets, s->packets) + s->packets;
			__sync_fetch_and_add(&st->bytes, s->bytes);
			if (st->last_seen_ns < s->last_seen_ns)
				st->last_seen_ns = s->last_seen_ns;
			if (s->tcp_syn | s->tcp_fin | s->tcp_rst | s->fragments) {
				__sync_fetch_and_add(&st->tcp_syn, s->tcp_syn);
				__sync_fetch_and_add(&st->tcp_fin, s->tcp_fin);
				__sync_fetch_and_add(&st->tcp_rst, s->tcp_rst);
				__sync_fetch_and_add(&st->fragments, s->fragments);
			}
		} else {
			struct wl_flow_stats init = {
				.packets = s->packets,
				.bytes = s->bytes,
				.first_seen_ns = s->last_seen_ns,
				.last_seen_ns = s->last_seen_ns,
				.tcp_syn = s->tcp_syn,
				.tcp_fin = s->tcp_fin,
				.tcp_rst = s->tcp_rst,
				.fragments = s->fragments,
			};

			if (!bpf_map_update_elem(&wl_flows, &s->key, &init, BPF_NOEXIST))
				wl_flows_new_count();
			s->base = s->packets;
		}
	}
	s->packets = s->bytes = 0;
	s->tcp_syn = s->tcp_fin = s->tcp_rst = s->fragments = 0;
	s->n = 0;
	s->folded_ns = now;
	__sync_fetch_and_add(&s->seq, 1);
}

/* Takes slot s (idx) for the packet's flow: the deltas of the flow that held it go into
 * wl_flows first. */
static __always_inline void wl_flow_slot_take(struct wl_flow_slot *s, struct wl_flow_tags *t,
					      __u64 idx, __u32 tag, const struct wl_pkt *p,
					      const struct wl_meta *m, __u64 before)
{
	if (s->n)
		wl_flow_slot_fold(s, m->now);
	__sync_fetch_and_add(&s->seq, 1);
	__builtin_memcpy(&s->key, &m->key, sizeof(s->key));
	s->base = before + p->gso_segs;
	s->folded_ns = m->now;
	__sync_fetch_and_add(&s->seq, 1);
	t->tag[idx] = tag;
	t->stamp[idx] = m->now >> WL_FLOW_STAMP_SHIFT;
}

/*
 * Adds one packet (or a GSO packet's segments) to its flow: to this CPU's slot when the flow
 * holds it (no hash lookup, no shared cache line), else to wl_flows, and then the flow takes
 * the slot if it is past its first packets and the slot is free or idle. *before: the packets
 * the flow had before this one (content sniffing looks at a flow's first packets only,
 * l7_dispatch.h).
 */
static __always_inline int wl_flow_account(const struct wl_pkt *p, struct wl_meta *m, __u64 *before)
{
	__u32 h = wl_flow_hash(&m->key), tag = h | 1, zero = 0;
	__u64 idx = h >> (32 - WL_FLOW_CACHE_BITS);
	__u32 slot = idx; /* the same, as wl_flow_cache's key */
	__u32 stamp = m->now >> WL_FLOW_STAMP_SHIFT;
	__u64 bytes = p->len;
	struct wl_flow_tags *t;
	struct wl_flow_slot *s;
	__u8 fl = m->tcp_flags;
	int out;

	/* A GSO skb leaves as gso_segs frames, each repeating the L2-L4 headers. */
	if (p->gso_segs > 1)
		bytes += (__u64)(p->gso_segs - 1) * m->payload_off;
	t = bpf_map_lookup_elem(&wl_flow_tags, &zero);
	if (!t)
		return wl_flow_account_shared(p, m, bytes, before);
	/* changes nothing but bounds the index for the verifier (clang drops a plain mask after
	 * the shift, and the verifier does not carry the shift's bound through the multiply) */
	asm volatile("%0 &= %1" : "+r"(idx) : "i"(WL_FLOW_CACHE_SLOTS - 1));
	if (t->tag[idx] == tag) {
		s = bpf_map_lookup_elem(&wl_flow_cache, &slot);
		if (s && wl_flow_key_eq(&s->key, &m->key)) {
			*before = s->base + s->packets;
			s->packets += p->gso_segs;
			s->bytes += bytes;
			s->last_seen_ns = m->now;
			if (fl & (WL_TCP_SYN | WL_TCP_FIN | WL_TCP_RST)) {
				s->tcp_syn += !!(fl & WL_TCP_SYN);
				s->tcp_fin += !!(fl & WL_TCP_FIN);
				s->tcp_rst += !!(fl & WL_TCP_RST);
			}
			if (m->frag)
				s->fragments++;
			if (++s->n >= WL_FLOW_CACHE_FOLD ||
			    m->now - s->folded_ns >= WL_FLOW_CACHE_FOLD_NS) {
				wl_flow_slot_fold(s, m->now);
				t->stamp[idx] = stamp;
			}
			return WL_OUT_ACCOUNTED;
		}
	}
	out = wl_flow_account_shared(p, m, bytes, before);
	/* A slot another flow took or folded within WL_FLOW_CACHE_TAKE_STAMPS stays its: with
	 * more flows than slots they would take it in turn, each paying a take and never a hit. */
	if (out != WL_OUT_ACCOUNTED || *before < WL_SNIFF_FLOW_PACKETS ||
	    (t->tag[idx] && stamp - t->stamp[idx] < WL_FLOW_CACHE_TAKE_STAMPS))
		return out;
	s = bpf_map_lookup_elem(&wl_flow_cache, &slot);
	if (s)
		wl_flow_slot_take(s, t, idx, tag, p, m, *before);
	return out;
}

#endif /* WL_PARSE_FLOW_H */
