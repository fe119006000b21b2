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
 *   unused ones take the meta class, which ANDs with itself for free. No L3/L4 rule and
 *   policy allow (wl_filter_cfg.has_l34 == 0): one array lookup, nothing else.
 * - Atomic changes: every table is per set (gen in the key or the index); the loader fills the
 *   inactive set, then flips wl_filter_cfg.gen; a packet reads gen once.
 * - Verifier: three global functions, each verified once from one state: wl_filter_classes
 *   (the lookups), wl_fc_addr_class_g (the prefix-length search, a bpf_loop over a bitmap of
 *   lengths), wl_filter_walk_g (one bpf_loop per summary word, a step = one block or one set
 *   bit). Kernels from 6.8 verify a bpf_loop callback until its states converge: a callback
 *   carrying all four summary words, or an index into an array, took 7.2 450k+ instructions;
 *   now 6.1: 9.3k, 6.18: 13.3k, 7.2: 87.6k for the whole wl_xdp (wl_tc +1.2k).
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

/* The maps: maps/wirelens.h (wl_filter_cfg, wl_rules, wl_rule_stats, wl_filter_gen, wl_fc_*). */

/* Direction of the packet for the rules: XDP is ingress; the TC program runs on both TC hooks
 * and is on ingress when the skb came in on the interface it is on (skb_iif is set before tc
 * ingress; locally sent packets have none, forwarded ones came in elsewhere). */
static __always_inline __u32 wl_hook_dir(wl_ctx_t *ctx, const struct wl_pkt *p)
{
#if defined(WL_HOOK_XDP)
	return WL_RULE_IN;
#else
	if (p->as_ingress)
		return WL_RULE_IN;
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
	__u64 cur;  /* blocks of summary word k still to visit */
	__u64 word; /* slots of the current block still to visit */
	__u64 bytes;
	__u32 block;
	__u32 base; /* gen * WL_RULES_MAX */
	__u32 packets;
	__u16 action; /* of the deciding rule, WL_ACT_NONE while none */
	__u16 k;
};

/* Next block of the current summary word: ANDs its word over the fields. 1 when none is left. */
static __always_inline int wl_filter_next_block(struct wl_filter_walk *w)
{
	__u64 s = w->cur, word = ~0ULL, b;

	if (!s)
		return 1;
	w->cur = s & (s - 1);
	b = (__u64)w->k * 64 + wl_ctz64(s);
	/* a 64-bit mask the verifier sees (6.1 loses the bounds of clang's 32-bit OR) */
	asm volatile("%0 &= 255" : "+r"(b));
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
	if (st) { /* one entry for every CPU (maps/wirelens.h): atomic adds */
		__sync_fetch_and_add(&st->packets, w->packets);
		__sync_fetch_and_add(&st->bytes, w->bytes);
	}
	if (r->action == WL_ACT_COUNT)
		return 0;
	w->action = r->action;
	return 1;
}

/* Index of the highest set bit of x (x != 0), without branches: smear, then popcount - 1. */
static __always_inline __u32 wl_msb64(__u64 x)
{
	x |= x >> 1;
	x |= x >> 2;
	x |= x >> 4;
	x |= x >> 8;
	x |= x >> 16;
	x |= x >> 32;
	x = x - ((x >> 1) & 0x5555555555555555ULL);
	x = (x & 0x3333333333333333ULL) + ((x >> 2) & 0x3333333333333333ULL);
	x = (x + (x >> 4)) & 0x0f0f0f0f0f0f0f0fULL;
	return (((x * 0x0101010101010101ULL) >> 56) - 1) & 63;
}

struct wl_fc_addr_search {
	__u64 bits[3];		   /* lengths still to try */
	struct wl_fc_addr_key key; /* addr: the address, masked shorter at each step */
	__u32 cls;
	__u32 found;
};

/* The longest length left: one lookup; stops at the first that has an entry. The length comes
 * from the bits, not from the loop index (an index into an array would make the verifier walk
 * every iteration with its exact value). */
static long wl_fc_addr_step(__u32 i, void *data)
{
	struct wl_fc_addr_search *s = data;
	__u32 *cls, len;
	__u64 x;

	if (s->bits[2]) {
		x = s->bits[2];
		len = 128 + wl_msb64(x);
		s->bits[2] = x & ~(1ULL << (len - 128));
	} else if (s->bits[1]) {
		x = s->bits[1];
		len = 64 + wl_msb64(x);
		s->bits[1] = x & ~(1ULL << (len - 64));
	} else if (s->bits[0]) {
		x = s->bits[0];
		len = wl_msb64(x);
		s->bits[0] = x & ~(1ULL << len);
	} else {
		return 1;
	}
	len &= 255;
	s->key.len = len;
#pragma unroll
	for (int w = 0; w < 4; w++) {
		__u32 v;

		/* lengths come longest first: masking what the last step left is enough */
		__builtin_memcpy(&v, &s->key.addr[w * 4], 4);
		v &= wl_prefix_mask(len, w);
		__builtin_memcpy(&s->key.addr[w * 4], &v, 4);
	}
	cls = bpf_map_lookup_elem(&wl_fc_addr, &s->key);
	if (!cls)
		return 0;
	s->cls = *cls;
	s->found = 1;
	return 1;
}

/* The class of one address of m (dst: its destination) for set gen: the longest prefix in use
 * that has an entry; -1 when none (never: the /0 entry is always there). A global function:
 * its search state stays off the walk's call chain (512 B of stack for all frames). */
__noinline int wl_fc_addr_class_g(struct wl_meta *m, __u32 gen, __u32 v6, __u32 dst)
{
	struct wl_fc_addr_search as = {};
	struct wl_fc_lens *lens;
	__u32 li;

	if (!m)
		return -1;
	as.key.gen = gen & 1;
	as.key.kind = (v6 ? WL_FC_SRC6 : WL_FC_SRC4) + (dst ? 1 : 0);
	li = WL_FC_LENS_IDX(as.key.gen, as.key.kind);
	lens = bpf_map_lookup_elem(&wl_fc_addr_lens, &li);
	if (!lens)
		return -1;
	as.bits[0] = lens->bits[0];
	as.bits[1] = lens->bits[1];
	as.bits[2] = lens->bits[2];
	if (dst)
		__builtin_memcpy(as.key.addr, m->key.dst_addr, 16);
	else
		__builtin_memcpy(as.key.addr, m->key.src_addr, 16);
	bpf_loop(129, wl_fc_addr_step, &as, 0);
	return as.found ? (int)(as.cls & (WL_FBM_CLASS_MAX - 1)) : -1;
}

/* The walk's input: the bitmap key of each field's class (a field not in use: meta's). */
struct wl_filter_q {
	__u32 key[WL_FF_N];
	__u8 gen;
	__u8 policy;
	__u16 pad;
};

/* Sets q->key[f] from a class number; -1 when the class lookup found nothing. */
static __always_inline int wl_fc_key(struct wl_filter_q *q, __u32 f, __u32 *cls)
{
	if (!cls)
		return -1;
	q->key[f] = WL_FBM_KEY(q->gen, f, *cls & (WL_FBM_CLASS_MAX - 1));
	return 0;
}

/*
 * The walk over the classes of q: the deciding rule's action (counting every count rule met
 * before it), WL_ACT_NONE when no rule decides, -1 when a class is missing. A global function
 * of its own: the bpf_loop below is verified once, from one state, whatever way the caller
 * went (kernels from 6.8 verify a callback until its states converge, for every state that
 * reaches the call: from the caller's ~100 paths that was over 500k instructions on 7.2).
 */
__noinline int wl_filter_walk_g(struct wl_filter_q *q, __u32 packets, __u64 bytes)
{
	struct wl_filter_walk w = {};
	struct wl_fbm *meta, *bm;
	__u32 key;

	if (!q)
		return -1;
	key = q->key[0];
	meta = bpf_map_lookup_elem(&wl_fc_bitmaps, &key);
	if (!meta)
		return -1;
#pragma unroll
	for (int k = 0; k < WL_FBM_SUM_WORDS; k++)
		w.sum[k] = meta->sum[k];
	w.bm[0] = meta;
#pragma unroll
	for (int f = 1; f < WL_FF_N; f++) {
		key = q->key[f];
		bm = key == q->key[0] ? meta : bpf_map_lookup_elem(&wl_fc_bitmaps, &key);
		if (!bm)
			return -1;
		w.bm[f] = bm;
#pragma unroll
		for (int k = 0; k < WL_FBM_SUM_WORDS; k++)
			w.sum[k] &= bm->sum[k];
	}
	w.base = (q->gen & 1) * WL_RULES_MAX;
	w.packets = packets;
	w.bytes = bytes;
	/* One bpf_loop per summary word (k constant at each call): a walk whose callback carried
	 * all four words took 7.2's verifier 450k+ instructions to converge; this takes far
	 * fewer (the numbers: the report of issue 12). */
#pragma unroll
	for (int k = 0; k < WL_FBM_SUM_WORDS; k++) {
		if (!w.sum[k])
			continue;
		w.cur = w.sum[k];
		w.k = k;
		/* The first block here, not in the callback: 6.1 verifies a callback once, from the
		 * state at the call, and drops the branches that state decides; with w.word a known
		 * 0 it kept only the block step, and no rule ever matched on 6.1. */
		wl_filter_next_block(&w);
		bpf_loop(64 + 64 * 64 + 1, wl_filter_step, &w, 0);
		if (w.action)
			break;
	}
	return w.action;
}

/*
 * The classes of a parsed IP packet in set gen, into q: -1 when q is to be walked, else the
 * verdict already known (1 drop: the deny policy with a class missing or no L3/L4 rule; 0 go
 * on). A global function, verified once; m is the caller's struct wl_meta. The walk is called
 * by the caller (wl_filter_packet), not from here: one frame less on its call chain.
 */
__noinline int wl_filter_classes(struct wl_meta *m, __u32 gen, __u32 dir, struct wl_filter_q *q)
{
	struct wl_filter_gen *g;
	__u32 idx, v6, l4;

	if (!m || !q)
		return 0;
	gen &= 1;
	g = bpf_map_lookup_elem(&wl_filter_gen, &gen);
	if (!g)
		return 0;
	if (!g->has_l34)
		return g->policy == WL_ACT_DENY;
	q->gen = gen;
	q->policy = g->policy;
	v6 = m->key.l3_proto == ETH_P_IPV6;
	l4 = m->key.l4_proto;
	idx = WL_FC_META_IDX(gen, dir == WL_RULE_OUT, v6, l4);
	/* A field in use whose class is missing matches no rule (never, when the loader wrote the
	 * set whole): the policy decides. Fields not in use take meta's class (ANDs with itself).
	 */
	if (wl_fc_key(q, WL_FF_META, bpf_map_lookup_elem(&wl_fc_meta, &idx)))
		return g->policy == WL_ACT_DENY;
#pragma unroll
	for (int f = 1; f < WL_FF_N; f++)
		q->key[f] = q->key[WL_FF_META];
	if (g->fields & (1u << WL_FF_IFACE)) {
		struct wl_fc_iface_key ik = {.gen = gen, .ifindex = m->key.ifindex};
		__u32 *cls = bpf_map_lookup_elem(&wl_fc_iface, &ik);

		wl_fc_key(q, WL_FF_IFACE, cls ? cls : &g->iface_any);
	}
	if (g->fields & (1u << WL_FF_VLAN)) {
		idx = WL_FC_VLAN_IDX(gen, m->key.vlan_outer & 4095);
		if (wl_fc_key(q, WL_FF_VLAN, bpf_map_lookup_elem(&wl_fc_vlan, &idx)))
			return g->policy == WL_ACT_DENY;
	}
#pragma unroll
	for (int d = 0; d < 2; d++) {
		__u32 f = d ? WL_FF_DST : WL_FF_SRC;
		int cls;

		if (!(g->fields & (1u << f)))
			continue;
		cls = wl_fc_addr_class_g(m, gen, v6, d);
		if (cls < 0)
			return g->policy == WL_ACT_DENY;
		q->key[f] = WL_FBM_KEY(gen, f, cls);
	}
	if (g->fields & ((1u << WL_FF_SPORT) | (1u << WL_FF_DPORT))) {
		bool ports = l4 == IPPROTO_TCP || l4 == IPPROTO_UDP;

		if (g->fields & (1u << WL_FF_SPORT)) {
			idx = WL_FC_PORT_IDX(gen, 0, m->key.src_port);
			if (wl_fc_key(q, WL_FF_SPORT,
				      ports ? bpf_map_lookup_elem(&wl_fc_port, &idx) : &g->noport))
				return g->policy == WL_ACT_DENY;
		}
		if (g->fields & (1u << WL_FF_DPORT)) {
			idx = WL_FC_PORT_IDX(gen, 1, m->key.dst_port);
			if (wl_fc_key(q, WL_FF_DPORT,
				      ports ? bpf_map_lookup_elem(&wl_fc_port, &idx) : &g->noport))
				return g->policy == WL_ACT_DENY;
		}
	}
	return -1; /* the caller walks q */
}

/*
 * The filter's step of the path, for a packet that parsed (out == 0) or failed to (out: its
 * outcome). Returns 1 when the packet is to be dropped. Costs one array lookup while the active
 * set has no L3/L4 rule and the policy is allow.
 */
/* cfg: the packet's one lookup of wl_filter_cfg (wl_process), NULL when it has no entry. */
static __always_inline int wl_filter_packet(wl_ctx_t *ctx, const struct wl_pkt *p,
					    struct wl_meta *m, int out,
					    const struct wl_filter_cfg *cfg)
{
	struct wl_filter_q q = {};
	int ret, action;
	__u64 bytes;

	if (!cfg || !cfg->has_l34)
		return 0;
	if (out) /* an IP packet that cannot be classified: only the policy applies */
		return out != WL_OUT_NON_IP && out != WL_OUT_TRUNCATED_L2 &&
		       out != WL_OUT_VLAN_TOO_DEEP && cfg->policy == WL_ACT_DENY;
	bytes = p->len;
	if (p->gso_segs > 1)
		bytes += (__u64)(p->gso_segs - 1) * m->payload_off;
	ret = wl_filter_classes(m, cfg->gen, wl_hook_dir(ctx, p), &q);
	if (ret >= 0)
		return ret;
	action = wl_filter_walk_g(&q, p->gso_segs, bytes);
	if (action <= WL_ACT_NONE)
		return q.policy == WL_ACT_DENY;
	return action == WL_ACT_DENY || action == WL_ACT_REJECT;
}

#endif /* WL_PARSE_FILTER_H */
