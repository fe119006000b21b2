/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The one processing path, shared by the XDP and TC entry points:
 * L2 -> L3 -> L4 -> L3/L4 filter -> flow accounting, every packet ending in exactly one counted
 * outcome. A packet the filter drops (outcome `denied`) reaches no flow and no L7 parser.
 */
#ifndef WL_PARSE_PATH_H
#define WL_PARSE_PATH_H

#include "ctx.h"
#include "meta.h"
#include "eth.h"
#include "ip.h"
#include "l4.h"
#include "flow.h"
#include "filter.h"
#include "l7_dispatch.h"

/*
 * L3 and L4 from m->l3_off (m->eth_proto is IPv4 or IPv6): fills m's key, offsets and fragment
 * kind. Returns 0 or an outcome. A global function, verified once: whatever VLAN path led here,
 * and whatever way L3 and L4 went, the caller goes on from one state (the verifier forgets what
 * this function wrote into m), so flow accounting and the L7 hand-off are verified once too.
 * pkt_len and gso_segs are struct wl_pkt's (passed as values: its packet pointers cannot be).
 */
__noinline int wl_parse_l3l4(wl_ctx_t *ctx, struct wl_meta *m, struct wl_counters *cnt,
			     __u32 pkt_len, __u32 gso_segs)
{
	void *data = (void *)(long)WL_CTX_LOAD32(ctx, wl_ctx_t, data);
	struct wl_cursor c;
	__u32 off;
	int ret;

	/* never: pointers to the caller's stack and map value */
	if (!m || !cnt)
		return WL_OUT_TRUNCATED_L3;
	off = m->l3_off;
	if (off > WL_HDR_OFF_MAX)
		return WL_OUT_TRUNCATED_L3; /* never: at most two VLAN tags precede L3 */
	c.pos = data + off;
	c.end = (void *)(long)WL_CTX_LOAD32(ctx, wl_ctx_t, data_end);
	if (m->eth_proto == ETH_P_IP)
		ret = wl_parse_ipv4(&c, pkt_len, gso_segs, m, cnt);
	else
		ret = wl_parse_ipv6(&c, data, pkt_len, m, cnt);
	if (ret)
		return ret;

	m->l4_off = c.pos - data;
	if (m->frag != WL_FRAG_LATER) {
		ret = wl_parse_l4(&c, m, cnt);
		if (ret)
			return ret;
	}
	m->payload_off = c.pos - data;
	return 0;
}

/* Parses L2-L4 into m. Returns 0 when the packet belongs to a flow, else an outcome. */
static __always_inline int wl_parse_l2l4(wl_ctx_t *ctx, const struct wl_pkt *p, struct wl_meta *m,
					 struct wl_counters *cnt)
{
	struct wl_cursor c = {.pos = p->data, .end = p->data_end};
	int ret;

	ret = wl_parse_eth(&c, p, m);
	if (ret)
		return ret;
	if (m->vlan_tags) {
		cnt->vlan_tagged++;
		if (m->vlan_tags > 1)
			cnt->qinq++;
	}
	if (m->eth_proto != ETH_P_IP && m->eth_proto != ETH_P_IPV6)
		return WL_OUT_NON_IP;
	m->l3_off = c.pos - p->data;
	ret = wl_parse_l3l4(ctx, m, cnt, p->len, p->gso_segs);
	if (ret)
		return ret;
	if (m->frag)
		return wl_frag_track(m);
	return 0;
}

_Static_assert(WL_OUT_END <= 16, "outcome index masked with 15");

/* The network namespace this instance of the entry program serves (maps/wirelens.h, wl_netns):
 * set in rodata by the loader, which loads the entry programs once per namespace. */
const volatile __u8 wl_netns_id = 0;
/* Set for a peer-egress instance (loader/attach.c): it runs on the egress of a veth's peer, whose
 * packets are the ones the veth receives, and counts them as that veth's (ifindex, netns id,
 * inbound). 0: the interface the program runs on. */
const volatile __u32 wl_ifindex_as = 0;

static __always_inline int wl_process(wl_ctx_t *ctx)
{
	struct wl_filter_cfg *cfg;
	struct wl_meta m = {};
	struct wl_counters *cnt;
	__u64 flow_before = 0;
	struct wl_pkt p;
	__u32 zero = 0;
	int out, drop;

	cnt = bpf_map_lookup_elem(&wl_counters, &zero);
	if (!cnt)
		return WL_VERDICT_PASS;
	/* read once for the L3/L4 filter and the L7 block check (has_l34, has_l7) */
	cfg = bpf_map_lookup_elem(&wl_filter_cfg, &zero);
	wl_pkt_init(ctx, &p);
	p.as_ingress = 0;
	if (wl_ifindex_as) {
		p.ifindex = wl_ifindex_as;
		p.as_ingress = 1;
	}
	cnt->seen++;
	m.key.ifindex = p.ifindex;
	m.key.netns_id = wl_netns_id;
	/* Flow times: the tick-granular clock (~4 ns against ~24 for bpf_ktime_get_ns under
	 * kvm-clock, bench table 1); the L7 engine takes the precise clock for latencies. */
	m.now = bpf_ktime_get_coarse_ns();

	out = wl_parse_l2l4(ctx, &p, &m, cnt);
	drop = wl_filter_packet(ctx, &p, &m, out, cfg);
	if (!drop && !out)
		drop = wl_l7_blocked(ctx, &m, cnt, p.len, cfg); /* parse/l7_block.h */
	if (drop && !out)
		out = WL_OUT_DENIED;
	if (!out) {
		out = wl_flow_account(&p, &m, &flow_before);
		if (p.gso_segs > 1)
			cnt->gso_packets++;
	}
	if (out > 0 && out < WL_OUT_END) {
		__u64 i = out;

		/* changes nothing but bounds the index for the verifier: 6.1 and 6.12 do not carry
		 * clang's test of out - 1 over to out (asm: clang would drop a plain mask) */
		asm volatile("%0 &= 15" : "+r"(i));
		((__u64 *)cnt)[i]++;
	}
	wl_log_packet(&p, &m, out); /* `wirelens log --packets` (a lookup while nobody reads) */
	if (drop)
		return wl_l7_drop_verdict(drop); /* XDP_TX/redirect: a RST (l7_block.h) */
	/* last: the L7 engine is a tail call that does not come back */
	if (out == WL_OUT_ACCOUNTED &&
	    ((m.frag == WL_FRAG_NONE &&
	      (m.key.l4_proto == IPPROTO_TCP || m.key.l4_proto == IPPROTO_UDP)) ||
	     (m.frag == WL_FRAG_FIRST && m.key.l4_proto == IPPROTO_UDP)))
		wl_l7_packet(ctx, &p, &m, cnt, flow_before < WL_SNIFF_FLOW_PACKETS);
	return WL_VERDICT_PASS;
}

#endif /* WL_PARSE_PATH_H */
