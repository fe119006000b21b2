/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The one processing path, shared by the XDP and TC entry points:
 * L2 -> L3 -> L4 -> flow accounting, every packet ending in exactly one counted outcome.
 */
#ifndef WL_PARSE_PATH_H
#define WL_PARSE_PATH_H

#include "ctx.h"
#include "meta.h"
#include "eth.h"
#include "ip.h"
#include "l4.h"
#include "flow.h"
#include "l7_dispatch.h"

/* Parses L2-L4 into m. Returns 0 when the packet belongs to a flow, else an outcome. */
static __always_inline int wl_parse_l2l4(const struct wl_pkt *p, struct wl_meta *m,
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

	m->l3_off = c.pos - p->data;
	if (m->eth_proto == ETH_P_IP)
		ret = wl_parse_ipv4(&c, p, m, cnt);
	else if (m->eth_proto == ETH_P_IPV6)
		ret = wl_parse_ipv6(&c, p, m, cnt);
	else
		return WL_OUT_NON_IP;
	if (ret)
		return ret;

	m->l4_off = c.pos - p->data;
	if (m->frag != WL_FRAG_LATER) {
		ret = wl_parse_l4(&c, m, cnt);
		if (ret)
			return ret;
	}
	m->payload_off = c.pos - p->data;
	if (m->frag)
		return wl_frag_track(m);
	return 0;
}

static __always_inline int wl_process(wl_ctx_t *ctx)
{
	struct wl_meta m = {};
	struct wl_counters *cnt;
	struct wl_pkt p;
	__u32 zero = 0;
	int out;

	cnt = bpf_map_lookup_elem(&wl_counters, &zero);
	if (!cnt)
		return WL_VERDICT_PASS;
	wl_pkt_init(ctx, &p);
	cnt->seen++;
	m.key.ifindex = p.ifindex;
	/* Flow times: the tick-granular clock (~4 ns against ~24 for bpf_ktime_get_ns under
	 * kvm-clock, bench table 1); the L7 engine takes the precise clock for latencies. */
	m.now = bpf_ktime_get_coarse_ns();

	out = wl_parse_l2l4(&p, &m, cnt);
	if (!out) {
		out = wl_flow_account(&p, &m);
		if (p.gso_segs > 1)
			cnt->gso_packets++;
	}
	if (out > 0 && out < WL_OUT_END)
		((__u64 *)cnt)[out]++;
	/* last: the L7 engine is a tail call that does not come back */
	if (out == WL_OUT_ACCOUNTED &&
	    ((m.frag == WL_FRAG_NONE &&
	      (m.key.l4_proto == IPPROTO_TCP || m.key.l4_proto == IPPROTO_UDP)) ||
	     (m.frag == WL_FRAG_FIRST && m.key.l4_proto == IPPROTO_UDP)))
		wl_l7_packet(ctx, &p, &m, cnt);
	return WL_VERDICT_PASS;
}

#endif /* WL_PARSE_PATH_H */
