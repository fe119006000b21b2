/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * L7 rules in the kernel: a protocol parser that knows a request's command asks
 * wl_l7_rule_check; a deny (or reject) rule naming that command, whose L3/L4 scope matches the
 * connection, makes the protocol program drop the packet (reject: turn it into a RST towards the
 * server) and block the connection in both directions (wl_blocked). The main path then drops
 * every later packet of it before any accounting (wl_l7_blocked), and answers the client's
 * packets of a rejected connection with a RST.
 *
 * Why the RST goes out in two steps: a hook has one packet to work with. The denied packet
 * becomes the server's RST (same addresses, its sequence number is the server's rcv_nxt); the
 * client, which got nothing, retransmits after its RTO, and that packet is sent back to it as a
 * RST (XDP_TX, or a redirect to the other side of the device on TC) whose sequence number is the
 * acknowledgement number the client sent (its rcv_nxt). No packet is created, so the same code
 * runs on every hook and kernel; the payload stays in the RST (RFC 9293 allows it, Linux resets
 * on the sequence number alone), so no checksum has to be recomputed over it: the rewrite
 * changes the sequence numbers and flags (incremental checksum) and swaps addresses and ports
 * (which leaves both checksums unchanged).
 */
#ifndef WL_PARSE_L7_BLOCK_H
#define WL_PARSE_L7_BLOCK_H

#include "meta.h"
#include "l4.h"

/* wl_blocked (the blocked connections) is defined with the other maps in maps/wirelens.h. */

#ifndef TC_ACT_SHOT
#define TC_ACT_SHOT	2
#define TC_ACT_REDIRECT 7
#endif

#if defined(WL_HOOK_XDP)
#define WL_L7_VERDICT_DROP XDP_DROP
/* XDP runs on ingress only */
#define WL_L7_HOOK_DIR(ctx) WL_RULE_IN
#else
#define WL_L7_VERDICT_DROP TC_ACT_SHOT
/* the same program serves tc-ingress and tc-egress: an skb being received names its device as
 * where it came in */
#define WL_L7_HOOK_DIR(ctx)                                                                        \
	((ctx)->ingress_ifindex && (ctx)->ingress_ifindex == (ctx)->ifindex ? WL_RULE_IN           \
									    : WL_RULE_OUT)
#endif

static __always_inline long wl_store_bytes(wl_ctx_t *ctx, __u32 off, const void *from, __u32 len)
{
#if defined(WL_HOOK_XDP)
	return bpf_xdp_store_bytes(ctx, off, (void *)from, len);
#else
	return bpf_skb_store_bytes(ctx, off, from, len, 0);
#endif
}

/* One's complement sum helpers for the incremental update of RFC 1624 (XDP; TC lets the kernel
 * do it, which also knows whether the checksum is still to be completed by the device). */
static __always_inline __u32 wl_csum_add32(__u32 sum, __u32 old_be, __u32 new_be)
{
	sum += (~old_be >> 16) & 0xffff;
	sum += ~old_be & 0xffff;
	sum += new_be >> 16;
	sum += new_be & 0xffff;
	return sum;
}

/*
 * Rewrites the TCP segment at l4_off into a RST|ACK. to_sender: send it back where it came from
 * (MACs, addresses, ports swapped; sequence = the segment's ack, ack = its end), else it goes on
 * to its destination with its own sequence number. payload_len: the segment's payload bytes.
 * Returns 0 or a negative error (the packet is then to be dropped). Global: verified once.
 */
__noinline int wl_tcp_to_rst(wl_ctx_t *ctx, __u32 l3_off, __u32 l4_off, __u32 payload_len,
			     __u32 to_sender)
{
	__u8 th[20], eth[12], a[32];
	__u32 old_seq, old_ack, new_seq, new_ack, alen, aoff;
	__u16 old_fw, new_fw;
	__u8 flags;
	int v6;

	if (l3_off > 64 || l4_off > 512 || l4_off < l3_off + 20)
		return -1;
	if (wl_load_bytes(ctx, l4_off, th, sizeof(th)))
		return -1;
	flags = th[13];
	__builtin_memcpy(&old_seq, &th[4], 4);
	__builtin_memcpy(&old_ack, &th[8], 4);
	__builtin_memcpy(&old_fw, &th[12], 2);
	new_seq = old_seq;
	new_ack = old_ack;
	if (to_sender) {
		__u16 port;
		__u32 end = bpf_ntohl(old_seq) + payload_len + !!(flags & WL_TCP_SYN) +
			    !!(flags & WL_TCP_FIN);

		new_seq = old_ack;
		new_ack = bpf_htonl(end);
		if (wl_load_bytes(ctx, 0, eth, sizeof(eth)))
			return -1;
		__builtin_memcpy(a, eth, 6);
		__builtin_memcpy(eth, eth + 6, 6);
		__builtin_memcpy(eth + 6, a, 6);
		if (wl_store_bytes(ctx, 0, eth, sizeof(eth)))
			return -1;
		/* the version nibble says where the addresses are */
		if (wl_load_bytes(ctx, l3_off, a, 1))
			return -1;
		v6 = (a[0] >> 4) == 6;
		alen = v6 ? 16 : 4;
		aoff = l3_off + (v6 ? 8 : 12);
		if (v6) {
			if (wl_load_bytes(ctx, aoff, a, 32))
				return -1;
			__builtin_memcpy(eth, a, 12); /* eth: scratch from here on */
			__builtin_memcpy(a, a + 16, 16);
			__builtin_memcpy(a + 16, eth, 12);
			if (wl_load_bytes(ctx, aoff, eth, 4))
				return -1;
			__builtin_memcpy(a + 28, eth, 4);
		} else {
			if (wl_load_bytes(ctx, aoff, a, 8))
				return -1;
			__builtin_memcpy(eth, a, 4);
			__builtin_memcpy(a, a + 4, 4);
			__builtin_memcpy(a + 4, eth, 4);
		}
		if (wl_store_bytes(ctx, aoff, a, 2 * alen))
			return -1;
		__builtin_memcpy(&port, &th[0], 2);
		__builtin_memcpy(&th[0], &th[2], 2);
		__builtin_memcpy(&th[2], &port, 2);
	}
	th[13] = WL_TCP_RST | WL_TCP_ACK;
	__builtin_memcpy(&new_fw, &th[12], 2);
	__builtin_memcpy(&th[4], &new_seq, 4);
	__builtin_memcpy(&th[8], &new_ack, 4);
#if defined(WL_HOOK_XDP)
	{
		__u16 csum;
		__u32 sum;

		__builtin_memcpy(&csum, &th[16], 2);
		sum = ~csum & 0xffff;
		sum = wl_csum_add32(sum, old_seq, new_seq);
		sum = wl_csum_add32(sum, old_ack, new_ack);
		sum += ~old_fw & 0xffff;
		sum += new_fw;
		sum = (sum & 0xffff) + (sum >> 16);
		sum = (sum & 0xffff) + (sum >> 16);
		csum = ~sum;
		__builtin_memcpy(&th[16], &csum, 2);
		if (wl_store_bytes(ctx, l4_off, th, 18))
			return -1;
	}
#else
	if (wl_store_bytes(ctx, l4_off, th, 16))
		return -1;
	if (bpf_l4_csum_replace(ctx, l4_off + 16, old_seq, new_seq, 4) ||
	    bpf_l4_csum_replace(ctx, l4_off + 16, old_ack, new_ack, 4) ||
	    bpf_l4_csum_replace(ctx, l4_off + 16, old_fw, new_fw, 2))
		return -1;
#endif
	return 0;
}

/* Counts a packet on a rule (the stats of its set and slot, shared by the CPUs: atomic adds). */
static __always_inline void wl_rule_count(__u32 idx, __u32 bytes, __u32 conns)
{
	struct wl_rule_stats *st = bpf_map_lookup_elem(&wl_rule_stats, &idx);

	if (st) {
		__sync_fetch_and_add(&st->packets, 1);
		__sync_fetch_and_add(&st->bytes, bytes);
		if (conns)
			__sync_fetch_and_add(&st->connections, conns);
	}
}

/* What the main path does with a packet of a blocked connection (wl_l7_blocked). */
#define WL_L7_GO_ON 0
#define WL_L7_DROP  1 /* outcome `denied` */
#define WL_L7_REPLY 2 /* outcome `denied`, and the packet goes back as a RST */

/*
 * The main path's check, for a TCP packet of a connection an L7 rule blocked: WL_L7_GO_ON, or
 * WL_L7_DROP, or WL_L7_REPLY for a rejected connection's client (its packet rewritten into a
 * RST to it). A RST of either side ends the block and goes on (it carries no byte and lets the
 * other end release the connection), as does a client's bare SYN (a new connection reusing the
 * 4-tuple: the blocked one is gone); so do FINs seen both ways (still dropped). A block outlives
 * its rule: the client's retransmission of the denied segment never reaches the server.
 * Global: verified once.
 */
__noinline int wl_l7_blocked_g(wl_ctx_t *ctx, struct wl_meta *m, struct wl_counters *cnt,
			       __u32 pkt_len)
{
	struct wl_blocked_key k;
	struct wl_blocked *b, *rb;
	__u32 payload_len = 0;

	if (!m || !cnt)
		return WL_L7_GO_ON;
	k.ifindex = m->key.ifindex;
	k.l3_proto = m->key.l3_proto;
	k.l4_proto = m->key.l4_proto;
	k.netns_id = m->key.netns_id;
	k.src_port = m->key.src_port;
	k.dst_port = m->key.dst_port;
	__builtin_memcpy(k.src_addr, m->key.src_addr, 16);
	__builtin_memcpy(k.dst_addr, m->key.dst_addr, 16);
	b = bpf_map_lookup_elem(&wl_blocked, &k);
	if (!b)
		return WL_L7_GO_ON;
	if (m->tcp_flags & (WL_TCP_RST | WL_TCP_FIN | WL_TCP_SYN)) {
		/* a bare SYN opens a new connection on the 4-tuple: the old one is gone */
		int rst = (m->tcp_flags & WL_TCP_RST) ||
			  (m->tcp_flags & (WL_TCP_SYN | WL_TCP_ACK)) == WL_TCP_SYN;

		if (!rst)
			b->fin = 1;
		k.src_port = m->key.dst_port;
		k.dst_port = m->key.src_port;
		__builtin_memcpy(k.src_addr, m->key.dst_addr, 16);
		__builtin_memcpy(k.dst_addr, m->key.src_addr, 16);
		rb = bpf_map_lookup_elem(&wl_blocked, &k);
		if (rst || (rb && rb->fin)) {
			bpf_map_delete_elem(&wl_blocked, &k);
			k.src_port = m->key.src_port;
			k.dst_port = m->key.dst_port;
			__builtin_memcpy(k.src_addr, m->key.src_addr, 16);
			__builtin_memcpy(k.dst_addr, m->key.dst_addr, 16);
			bpf_map_delete_elem(&wl_blocked, &k);
			if (rst)
				return WL_L7_GO_ON;
			b = NULL; /* deleted */
		}
	}
	cnt->conn_blocked++;
	if (b)
		wl_rule_count(b->rule_idx, pkt_len, 0);
	if (!b || b->action != WL_ACT_REJECT || !b->from_client)
		return WL_L7_DROP;
	if (m->l3_end > m->payload_off)
		payload_len = m->l3_end - m->payload_off;
	if (wl_tcp_to_rst(ctx, m->l3_off, m->l4_off, payload_len, 1))
		return WL_L7_DROP;
#if defined(WL_HOOK_TC)
	/* back out of the side it came from: out again from ingress, in again from egress */
	if (bpf_redirect(ctx->ifindex, WL_L7_HOOK_DIR(ctx) == WL_RULE_IN ? 0 : BPF_F_INGRESS) !=
	    TC_ACT_REDIRECT)
		return WL_L7_DROP;
#endif
	cnt->rst_sent++;
	return WL_L7_REPLY;
}

/*
 * For the main path (parse/path.h), after L2-L4 parsing of a packet no other filter dropped:
 * WL_L7_GO_ON unless the packet belongs to a connection an L7 rule blocked (the caller then
 * counts the outcome `denied` and returns wl_l7_drop_verdict). Looks at nothing unless the
 * active rule set has L7 rules or blocks may be left from removed ones (check_blocked).
 */
static __always_inline int wl_l7_blocked(wl_ctx_t *ctx, struct wl_meta *m, struct wl_counters *cnt,
					 __u32 pkt_len, const struct wl_filter_cfg *cfg)
{
	if (!cfg || !(cfg->has_l7 | cfg->check_blocked) || m->key.l4_proto != IPPROTO_TCP ||
	    m->frag)
		return WL_L7_GO_ON;
	return wl_l7_blocked_g(ctx, m, cnt, pkt_len);
}

/* The verdict of a dropped packet (drop: non-zero, from a filter or wl_l7_blocked). */
static __always_inline int wl_l7_drop_verdict(int drop)
{
#if defined(WL_HOOK_XDP)
	return drop == WL_L7_REPLY ? XDP_TX : XDP_DROP;
#else
	return drop == WL_L7_REPLY ? TC_ACT_REDIRECT : TC_ACT_SHOT;
#endif
}

/* ---- the protocol programs' side ---- */

/* addr and pfx are 4-byte aligned (wl_conn_key, wl_rule): read in place, nothing on the stack */
static __always_inline int wl_l7_prefix_match(const __u8 *addr, const __u8 *pfx, __u32 len)
{
	const __u32 *a = (const __u32 *)addr, *p = (const __u32 *)pfx;

	__u32 diff;

	/* one word after the other (the barriers keep clang from loading everything first):
	 * few live values, no stack slots; 6.1 counts this frame in the parsers' call chains */
	diff = (a[0] ^ p[0]) & wl_prefix_mask(len, 0);
	asm volatile("" : "+r"(diff), "+r"(len)::"memory");
	diff |= (a[1] ^ p[1]) & wl_prefix_mask(len, 1);
	asm volatile("" : "+r"(diff), "+r"(len)::"memory");
	diff |= (a[2] ^ p[2]) & wl_prefix_mask(len, 2);
	asm volatile("" : "+r"(diff), "+r"(len)::"memory");
	diff |= (a[3] ^ p[3]) & wl_prefix_mask(len, 3);
	return !diff;
}

/* Does the rule's L3/L4 scope hold for this request's packet (client -> server)? Global:
 * verified once, whichever slot of the loop calls it. */
__noinline int wl_l7_rule_scope(const struct wl_rule *r, const struct wl_l7_job *j)
{
	__u16 f;

	if (!r || !j)
		return 0;
	f = r->fields;
	if (r->dirs && !(r->dirs & j->hook_dir))
		return 0;
	if ((f & WL_RF_IFACE) && r->ifindex != j->ckey.ifindex)
		return 0;
	if ((f & WL_RF_VLAN) && r->vlan != j->vlan)
		return 0;
	if ((f & WL_RF_PROTO) && r->l4_proto != j->ckey.l4_proto)
		return 0;
	if ((f & WL_RF_SPORT) &&
	    (j->ckey.client_port < r->sport_lo || j->ckey.client_port > r->sport_hi))
		return 0;
	if ((f & WL_RF_DPORT) &&
	    (j->ckey.server_port < r->dport_lo || j->ckey.server_port > r->dport_hi))
		return 0;
	if ((f & (WL_RF_SRC | WL_RF_DST)) && r->l3_proto != j->ckey.l3_proto)
		return 0;
	if ((f & WL_RF_SRC) && !wl_l7_prefix_match(j->ckey.client_addr, r->src_addr, r->src_len))
		return 0;
	if ((f & WL_RF_DST) && !wl_l7_prefix_match(j->ckey.server_addr, r->dst_addr, r->dst_len))
		return 0;
	return 1;
}

/* Per-CPU room for the key of wl_l7_rule_first_time (the parsers' call chains leave little
 * BPF stack). */
struct wl_l7_rule_tmp {
	struct wl_aux_key key;
	struct wl_aux_val val;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct wl_l7_rule_tmp);
} wl_l7_rule_tmp SEC(".maps");

/* allow and count rules count a connection once: remembered in wl_aux under the rule's id */
static __always_inline __u32 wl_l7_rule_first_time(struct wl_l7_state *s, __u32 rule_id)
{
	struct wl_l7_rule_tmp *t;
	__u32 zero = 0;

	t = bpf_map_lookup_elem(&wl_l7_rule_tmp, &zero);
	if (!t)
		return 0;
	__builtin_memcpy(&t->key.ckey, &s->job.ckey, sizeof(t->key.ckey));
	t->key.kind = WL_AUX_RULE;
	t->key.pad[0] = t->key.pad[1] = t->key.pad[2] = 0;
	t->key.id = rule_id;
	if (bpf_map_lookup_elem(&wl_aux, &t->key))
		return 0;
	t->val.ts_ns = wl_l7_now(s);
	t->val.value = 0;
	t->val.cmd_id = 0;
	t->val.pad = 0;
	bpf_map_update_elem(&wl_aux, &t->key, &t->val, BPF_ANY);
	return 1;
}

/*
 * A request of command id (client -> server) in this packet: the L7 rules naming it, best
 * first; the first whose scope matches decides (count: counts and goes on). Sets s->job.deny
 * (the action) and deny_idx for the protocol program's verdict. Returns the deny action or 0.
 * Global: verified once per protocol program.
 */
__noinline int wl_l7_rule_check_g(struct wl_l7_state *s, __u32 id)
{
	struct wl_l7_rule_key key;
	struct wl_l7_rule_val *v;
	struct wl_filter_cfg *cfg;
	__u32 zero = 0, i, gen;

	if (!s)
		return 0;
	if (s->job.deny) {
		/* requests after a denied one: not counted either (see wl_l7_rule_check) */
		s->req.id = WL_CMD_NONE;
		s->req.count = 0;
		s->req.bytes = 0;
		return s->job.deny;
	}
	if (s->job.dir)
		return 0;
	cfg = bpf_map_lookup_elem(&wl_filter_cfg, &zero);
	if (!cfg || !cfg->has_l7)
		return 0;
	gen = cfg->gen & 1;
	key.gen = gen;
	key.l7_proto = s->job.l7_proto;
	key.cmd_id = id;
	v = bpf_map_lookup_elem(&wl_l7_rules, &key);
	if (!v)
		return 0;
	for (i = 0; i < WL_L7_RULES_PER_CMD; i++) {
		__u32 idx, first;
		struct wl_rule *r;

		if (i >= v->count)
			break;
		idx = gen * WL_RULES_MAX + (v->slot[i] & (WL_RULES_MAX - 1));
		r = bpf_map_lookup_elem(&wl_rules, &idx);
		if (!r || !r->id || !wl_l7_rule_scope(r, &s->job))
			continue;
		if (r->action == WL_ACT_DENY || r->action == WL_ACT_REJECT) {
			/* the run still open before it is not counted either */
			s->req.id = WL_CMD_NONE;
			s->req.count = 0;
			s->req.bytes = 0;
			s->job.deny = r->action;
			s->job.deny_idx = idx;
			s->job.deny_rule = r->id;
			return r->action;
		}
		/* allow, count: the packet once per rule, the connection once */
		if (s->job.counted_idx != idx + 1) {
			s->job.counted_idx = idx + 1;
			first = wl_l7_rule_first_time(s, r->id);
			wl_rule_count(idx, s->job.pkt_len, first);
		}
		if (r->action == WL_ACT_ALLOW)
			return 0;
	}
	return 0;
}

/*
 * Parsers call this where a request's command becomes known (request direction), before they
 * count it. No branch for the caller: a denied request, the run of requests still open before
 * it and every request after it in the packet go into runs that are dropped uncounted (here
 * and by wl_l7_discard at the end of the packet): the server never gets them. Runs flushed
 * earlier in the same packet stay counted (README, known limits).
 */
static __always_inline void wl_l7_rule_check(struct wl_l7_state *s, __u16 id)
{
	if (s->job.rules_on)
		wl_l7_rule_check_g(s, id);
}

/* Before the last flush of a packet: a denied packet's open run is not counted. */
static __always_inline void wl_l7_discard(struct wl_l7_state *s)
{
	if (s->job.deny) {
		s->req.id = WL_CMD_NONE;
		s->req.count = 0;
	}
}

/* Blocks one direction of connection c: k (its ifindex, protocols and namespace filled) gets
 * the addresses and ports of that direction's source (the client's when from_client). */
static __always_inline void wl_l7_block_side(struct wl_blocked_key *k, struct wl_blocked *b,
					     const struct wl_conn_key *c, int from_client)
{
	k->src_port = from_client ? c->client_port : c->server_port;
	k->dst_port = from_client ? c->server_port : c->client_port;
	__builtin_memcpy(k->src_addr, from_client ? c->client_addr : c->server_addr, 16);
	__builtin_memcpy(k->dst_addr, from_client ? c->server_addr : c->client_addr, 16);
	b->from_client = from_client;
	bpf_map_update_elem(&wl_blocked, k, b, BPF_ANY);
}

/*
 * The end of a protocol program: a denied request blocks its connection (both directions) and
 * the packet is dropped, or with reject goes on as a RST to the server. Global: verified once.
 */
__noinline int wl_l7_deny_g(wl_ctx_t *ctx, struct wl_l7_state *s, struct wl_counters *cnt)
{
	struct wl_blocked_key k;
	struct wl_blocked b = {};
	struct wl_l7_job *j;

	if (!s || !cnt)
		return WL_L7_VERDICT_DROP;
	j = &s->job;
	cnt->l7_denied++;
	b.rule_id = j->deny_rule;
	b.rule_idx = j->deny_idx;
	b.action = j->deny;
	b.since_ns = wl_l7_now(s);
	k.ifindex = j->ckey.ifindex;
	k.l3_proto = j->ckey.l3_proto;
	k.l4_proto = j->ckey.l4_proto;
	k.netns_id = j->ckey.netns_id;
	if (j->is_tcp) {
		wl_l7_block_side(&k, &b, &j->ckey, 1);
		/* the parser's state of this connection is of no use any more: k is its key too
		 * (same layout, client -> server), and on the stack (6.1 takes no map key from
		 * memory behind a global function's argument) */
		_Static_assert(sizeof(k) == sizeof(struct wl_conn_key), "same layout");
		bpf_map_delete_elem(&wl_conns, &k);
		wl_l7_block_side(&k, &b, &j->ckey, 0);
	}
	wl_rule_count(j->deny_idx, j->pkt_len, 1);
	if (j->deny != WL_ACT_REJECT || !j->is_tcp || j->gso)
		return WL_L7_VERDICT_DROP;
	if (wl_tcp_to_rst(ctx, j->l3_off, j->l4_off, j->payload_len, 0))
		return WL_L7_VERDICT_DROP;
	cnt->rst_sent++;
	return WL_VERDICT_PASS;
}

/* The start of a protocol program: whether rules are to be looked up for this packet. */
static __always_inline void wl_l7_rules_prep(wl_ctx_t *ctx)
{
	struct wl_filter_cfg *cfg;
	struct wl_l7_state *s;
	__u32 zero = 0;

	s = bpf_map_lookup_elem(&wl_l7_scratch, &zero);
	if (!s)
		return;
	s->job.deny = 0;
	s->job.counted_idx = 0;
	cfg = bpf_map_lookup_elem(&wl_filter_cfg, &zero);
	s->job.rules_on = cfg && cfg->has_l7;
	s->job.hook_dir = s->job.as_ingress ? WL_RULE_IN : WL_L7_HOOK_DIR(ctx);
}

/* The verdict of a protocol program: pass, unless an L7 rule denied a request of the packet. */
static __always_inline int wl_l7_verdict(wl_ctx_t *ctx)
{
	struct wl_counters *cnt;
	struct wl_l7_state *s;
	__u32 zero = 0;

	s = bpf_map_lookup_elem(&wl_l7_scratch, &zero);
	if (!s || !s->job.deny)
		return WL_VERDICT_PASS;
	cnt = bpf_map_lookup_elem(&wl_counters, &zero);
	return wl_l7_deny_g(ctx, s, cnt);
}

#endif /* WL_PARSE_L7_BLOCK_H */
