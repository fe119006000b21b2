/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The L3/L4 filter: which rule decides a packet, at a cost that does not grow with the rules.
 *
 * Design (classify per field, intersect bitmaps):
 * - Rules sit in slots ordered best first (priority high to low, then id low to high): the first
 *   matching slot is the winner, count rules are the matching slots before it.
 * - Each field of the packet (enum wl_filter_field) maps to a class of that field with one
 *   lookup: meta (direction x family x L4 protocol) and VLAN and ports by array, interface by
 *   hash, addresses by longest prefix: one hash lookup per prefix length in use, longest first
 *   (maps/wirelens.h, struct wl_fc_addr_key: an LPM trie's walk grows with the rules); the
 *   class of a prefix already holds the rules of every shorter prefix containing it, and a /0
 *   entry per set and kind makes every search end on a class.
 *   The loader computes the classes (loader/ruleset.c) and dedups identical bitmaps.
 * - A class is a two-level bitmap of rule slots (struct wl_fbm): 256 words of 64 slots and 4
 *   summary words with a bit per non-empty word. The walk ANDs the 4 summary words of the fields
 *   in use, then visits only the blocks set in that summary, ANDing the block's word of each
 *   field (7 loads): a block whose AND is empty costs one step and is skipped. With 10,000
 *   rules the usual sets (one prefix or port each) give a summary with a handful of bits.
 *   Worst case (fields matching disjoint rules that share every block): 256 empty blocks.
 * - Only fields some L3/L4 rule has a condition on are looked up (wl_filter_gen.fields); the
 *   unused ones point at the meta class, which ANDs with itself for free. No L3/L4 rule and
 *   policy allow (wl_filter_cfg.has_l34 == 0): one array lookup, nothing else.
 * - Atomic changes: every table is per set (gen in the key or the index); the loader fills the
 *   inactive set, then flips wl_filter_cfg.gen; a packet reads gen once.
 * - The walk is a bpf_loop (one step = one block or one set bit), so it is verified once.
 * Reject at L3/L4 is a deny (no RST is built here); L7 rules (WL_RF_L7) are in no class.
 */
#ifndef WL_PARSE_FILTER_H
#define WL_PARSE_FILTER_H

#include "ctx.h"
#include "meta.h"

#if defined(WL_HOOK_XDP)
#define WL_VERDICT_FILTER_DROP XDP_DROP
#else
#define WL_VERDICT_FILTER_DROP 2 /* TC_ACT_SHOT */
#endif

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 2);
	__type(key, __u32);
	__type(value, struct wl_filter_gen);
} wl_filter_gen SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 2 * 1024);
	__type(key, __u32);
	__type(value, __u32);
} wl_fc_meta SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 2 * 4096);
	__type(key, __u32);
	__type(value, __u32);
} wl_fc_vlan SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 2 * 2 * 65536);
	__type(key, __u32);
	__type(value, __u32);
} wl_fc_port SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 2 * 1024);
	__type(key, struct wl_fc_iface_key);
	__type(value, __u32);
} wl_fc_iface SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4 * WL_RULES_MAX + 8);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct wl_fc_addr_key);
	__type(value, __u32);
} wl_fc_addr SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 2 * 4);
	__type(key, __u32);
	__type(value, struct wl_fc_lens);
} wl_fc_addr_lens SEC(".maps");

/* Class bitmaps of both sets, allocated as used (2 KiB each). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, WL_FC_BITMAPS_MAX);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, __u32);
	__type(value, struct wl_fbm);
} wl_fc_bitmaps SEC(".maps");

/* Direction of the packet for the rules: XDP is ingress; the TC program runs on both TC hooks
 * and is on ingress when the skb came in on the interface it is on (skb_iif is set before tc
 * ingress; locally sent packets have none, forwarded ones came in elsewhere). */
static __always_inline __u32 wl_hook_dir(wl_ctx_t *ctx, const struct wl_pkt *p)
{
#if defined(WL_HOOK_XDP)
	return WL_RULE_IN;
#else
	return WL_CTX_LOAD32(ctx, struct __sk_buff, ingress_ifindex) == p->ifindex ? WL_RULE_IN
										   : WL_RULE_OUT;
#endif
}

/* Index of the lowest set bit of x (x != 0): popcount of the bits below it (no branch). */
static __always_inline __u32 wl_ctz64(__u64 x)
{
	x = (x & -x) - 1;
	x = x - ((x >> 1) & 0x5555555555555555ULL);
	x = (x & 0x3333333333333333ULL) + ((x >> 2) & 0x3333333333333333ULL);
	x = (x + (x >> 4)) & 0x0f0f0f0f0f0f0f0fULL;
	return ((x * 0x0101010101010101ULL) >> 56) & 63;
}

struct wl_filter_walk {
	struct wl_fbm *bm[WL_FF_N];
	__u64 sum[WL_FBM_SUM_WORDS];
	__u64 word; /* slots of the current block still to visit */
	__u32 block;
	__u32 base; /* gen * WL_RULES_MAX */
	__u64 packets;
	__u64 bytes;
	__u32 action; /* of the deciding rule, WL_ACT_NONE while none */
	__u32 pad;
};

/* Next block of the summary: ANDs its word over the fields. Returns 1 when none is left. */
static __always_inline int wl_filter_next_block(struct wl_filter_walk *w)
{
	__u32 b, k;
	__u64 s, word = ~0ULL;

	if (w->sum[0]) {
		k = 0;
		s = w->sum[0];
		w->sum[0] = s & (s - 1);
	} else if (w->sum[1]) {
		k = 1;
		s = w->sum[1];
		w->sum[1] = s & (s - 1);
	} else if (w->sum[2]) {
		k = 2;
		s = w->sum[2];
		w->sum[2] = s & (s - 1);
	} else if (w->sum[3]) {
		k = 3;
		s = w->sum[3];
		w->sum[3] = s & (s - 1);
	} else {
		return 1;
	}
	b = (k * 64 + wl_ctz64(s)) & (WL_FBM_WORDS - 1);
#pragma unroll
	for (int f = 0; f < WL_FF_N; f++) {
		struct wl_fbm *bm = w->bm[f];

		word &= bm->w[b];
	}
	w->block = b;
	w->word = word;
	return 0;
}

/* One step of the walk: a new block, or the next matching slot of the current one. */
static long wl_filter_step(__u32 i, void *data)
{
	struct wl_filter_walk *w = data;
	struct wl_rule_stats *st;
	struct wl_rule *r;
	__u32 idx;
	__u64 word = w->word;

	if (!word)
		return wl_filter_next_block(w);
	w->word = word & (word - 1);
	idx = w->base + ((w->block * 64 + wl_ctz64(word)) & (WL_RULES_MAX - 1));
	r = bpf_map_lookup_elem(&wl_rules, &idx);
	if (!r || !r->id || (r->fields & WL_RF_L7))
		return 0; /* never: the loader puts no L7 rule and no empty slot in a class */
	st = bpf_map_lookup_elem(&wl_rule_stats, &idx);
	if (st) {
		st->packets += w->packets;
		st->bytes += w->bytes;
	}
	if (r->action == WL_ACT_COUNT)
		return 0;
	w->action = r->action;
	return 1;
}

/* The mask of the first len bits of 32-bit word w of an address, network byte order. */
static __always_inline __u32 wl_fc_mask(__u32 len, __u32 w)
{
	__u32 bits = len > w * 32 ? len - w * 32 : 0;

	if (bits >= 32)
		return ~0u;
	if (!bits)
		return 0;
	return bpf_htonl(~0u << (32 - bits));
}

struct wl_fc_addr_search {
	struct wl_fc_lens *lens;
	struct wl_fc_addr_key key;
	__u32 addr[4];
	__u32 cls;
	__u32 found;
};

/* One prefix length, longest first: stops at the first that has an entry. */
static long wl_fc_addr_step(__u32 i, void *data)
{
	struct wl_fc_addr_search *s = data;
	__u32 *cls, len;

	if (i >= s->lens->n || i >= WL_FC_LENS_MAX)
		return 1;
	len = s->lens->len[i];
	s->key.len = len;
#pragma unroll
	for (int w = 0; w < 4; w++) {
		__u32 v = s->addr[w] & wl_fc_mask(len, w);

		__builtin_memcpy(&s->key.addr[w * 4], &v, 4);
	}
	cls = bpf_map_lookup_elem(&wl_fc_addr, &s->key);
	if (!cls)
		return 0;
	s->cls = *cls;
	s->found = 1;
	return 1;
}

static __always_inline struct wl_fbm *wl_fc_bitmap(__u32 gen, __u32 field, __u32 *cls)
{
	__u32 key;

	if (!cls)
		return NULL;
	key = WL_FBM_KEY(gen, field, *cls & (WL_FBM_CLASS_MAX - 1));
	return bpf_map_lookup_elem(&wl_fc_bitmaps, &key);
}

/* Puts field f's class in the walk: its bitmap, and its summary ANDed in. -1 when missing. */
static __always_inline int wl_filter_use(struct wl_filter_walk *w, int f, struct wl_fbm *bm)
{
	if (!bm)
		return -1;
	w->bm[f] = bm;
#pragma unroll
	for (int k = 0; k < WL_FBM_SUM_WORDS; k++)
		w->sum[k] &= bm->sum[k];
	return 0;
}

/*
 * The L3/L4 verdict of a parsed IP packet of set gen: 1 to drop (a deny or reject rule, or the
 * deny policy), 0 to let it go on. Counts on every rule that matched up to the deciding one.
 * A global function, verified once; m is the caller's struct wl_meta.
 */
__noinline int wl_filter_l34(struct wl_meta *m, __u32 gen, __u32 dir, __u32 packets, __u64 bytes)
{
	struct wl_filter_walk w = {};
	struct wl_filter_gen *g;
	struct wl_fbm *meta;
	__u32 idx, v6, l4;

	if (!m)
		return 0;
	gen &= 1;
	g = bpf_map_lookup_elem(&wl_filter_gen, &gen);
	if (!g)
		return 0;
	if (!g->has_l34)
		return g->policy == WL_ACT_DENY;
	v6 = m->key.l3_proto == ETH_P_IPV6;
	l4 = m->key.l4_proto;
	idx = WL_FC_META_IDX(gen, dir == WL_RULE_OUT, v6, l4);
	meta = wl_fc_bitmap(gen, WL_FF_META, bpf_map_lookup_elem(&wl_fc_meta, &idx));
	if (!meta)
		return g->policy == WL_ACT_DENY;
		/* Every slot holds a bitmap from here on (fields not in use: meta's, which ANDs
		 * with itself), so every path reaches the walk in one state: the walk is verified
		 * once. */
#pragma unroll
	for (int f = 0; f < WL_FF_N; f++)
		w.bm[f] = meta;
#pragma unroll
	for (int k = 0; k < WL_FBM_SUM_WORDS; k++)
		w.sum[k] = meta->sum[k];
	/* A field in use whose class is missing matches no rule (never, when the loader wrote the
	 * set whole): the policy decides. */
	if (g->fields & (1u << WL_FF_IFACE)) {
		struct wl_fc_iface_key ik = {.gen = gen, .ifindex = m->key.ifindex};
		__u32 *cls = bpf_map_lookup_elem(&wl_fc_iface, &ik);

		if (wl_filter_use(&w, WL_FF_IFACE,
				  wl_fc_bitmap(gen, WL_FF_IFACE, cls ? cls : &g->iface_any)))
			return g->policy == WL_ACT_DENY;
	}
	if (g->fields & (1u << WL_FF_VLAN)) {
		idx = WL_FC_VLAN_IDX(gen, m->key.vlan_outer & 4095);
		if (wl_filter_use(
			    &w, WL_FF_VLAN,
			    wl_fc_bitmap(gen, WL_FF_VLAN, bpf_map_lookup_elem(&wl_fc_vlan, &idx))))
			return g->policy == WL_ACT_DENY;
	}
#pragma unroll
	for (int d = 0; d < 2; d++) {
		struct wl_fc_addr_search as = {};
		__u32 f = d ? WL_FF_DST : WL_FF_SRC, li;

		if (!(g->fields & (1u << f)))
			continue;
		as.key.gen = gen;
		as.key.kind = (v6 ? WL_FC_SRC6 : WL_FC_SRC4) + d;
		li = WL_FC_LENS_IDX(gen, as.key.kind);
		as.lens = bpf_map_lookup_elem(&wl_fc_addr_lens, &li);
		if (!as.lens)
			return g->policy == WL_ACT_DENY;
		__builtin_memcpy(as.addr, d ? m->key.dst_addr : m->key.src_addr, 16);
		bpf_loop(WL_FC_LENS_MAX, wl_fc_addr_step, &as, 0);
		if (!as.found || wl_filter_use(&w, f, wl_fc_bitmap(gen, f, &as.cls)))
			return g->policy == WL_ACT_DENY;
	}
	if (g->fields & ((1u << WL_FF_SPORT) | (1u << WL_FF_DPORT))) {
		bool ports = l4 == IPPROTO_TCP || l4 == IPPROTO_UDP;

		if (g->fields & (1u << WL_FF_SPORT)) {
			idx = WL_FC_PORT_IDX(gen, 0, m->key.src_port);
			if (wl_filter_use(
				    &w, WL_FF_SPORT,
				    wl_fc_bitmap(gen, WL_FF_SPORT,
						 ports ? bpf_map_lookup_elem(&wl_fc_port, &idx)
						       : &g->noport)))
				return g->policy == WL_ACT_DENY;
		}
		if (g->fields & (1u << WL_FF_DPORT)) {
			idx = WL_FC_PORT_IDX(gen, 1, m->key.dst_port);
			if (wl_filter_use(
				    &w, WL_FF_DPORT,
				    wl_fc_bitmap(gen, WL_FF_DPORT,
						 ports ? bpf_map_lookup_elem(&wl_fc_port, &idx)
						       : &g->noport)))
				return g->policy == WL_ACT_DENY;
		}
	}
	w.base = gen * WL_RULES_MAX;
	w.packets = packets;
	w.bytes = bytes;
	bpf_loop(WL_FBM_WORDS + WL_RULES_MAX + 1, wl_filter_step, &w, 0);
	if (w.action == WL_ACT_NONE)
		return g->policy == WL_ACT_DENY;
	return w.action == WL_ACT_DENY || w.action == WL_ACT_REJECT;
}

/*
 * The filter's step of the path, for a packet that parsed (out == 0) or failed to (out: its
 * outcome). Returns 1 when the packet is to be dropped. Costs one array lookup while the active
 * set has no L3/L4 rule and the policy is allow.
 */
static __always_inline int wl_filter_packet(wl_ctx_t *ctx, const struct wl_pkt *p,
					    struct wl_meta *m, int out)
{
	struct wl_filter_cfg *cfg;
	__u32 zero = 0;
	__u64 bytes;

	cfg = bpf_map_lookup_elem(&wl_filter_cfg, &zero);
	if (!cfg || !cfg->has_l34)
		return 0;
	if (out) /* an IP packet that cannot be classified: only the policy applies */
		return out != WL_OUT_NON_IP && out != WL_OUT_TRUNCATED_L2 &&
		       out != WL_OUT_VLAN_TOO_DEEP && cfg->policy == WL_ACT_DENY;
	bytes = p->len;
	if (p->gso_segs > 1)
		bytes += (__u64)(p->gso_segs - 1) * m->payload_off;
	return wl_filter_l34(m, cfg->gen, wl_hook_dir(ctx, p), p->gso_segs, bytes);
}

#endif /* WL_PARSE_FILTER_H */
