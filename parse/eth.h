/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Ethernet and up to two VLAN tags (802.1Q, 802.1ad QinQ). */
#ifndef WL_PARSE_ETH_H
#define WL_PARSE_ETH_H

#include "meta.h"

#define WL_VLAN_MAX 2
#define WL_VLAN_VID 0x0fff

struct wl_vlan_hdr {
	__be16 tci;
	__be16 encap_proto;
};

static __always_inline void wl_push_vlan(struct wl_meta *m, __u16 tci)
{
	if (m->vlan_tags == 0)
		m->key.vlan_outer = tci & WL_VLAN_VID;
	else
		m->key.vlan_inner = tci & WL_VLAN_VID;
	m->vlan_tags++;
}

/* Returns 0 with m->eth_proto set and the cursor on L3, or an outcome. */
static __always_inline int wl_parse_eth(struct wl_cursor *c, const struct wl_pkt *p,
					struct wl_meta *m)
{
	struct ethhdr *eth = c->pos;
	__u16 proto;

	if ((void *)(eth + 1) > c->end)
		return WL_OUT_TRUNCATED_L2;
	proto = bpf_ntohs(eth->h_proto);
	c->pos = eth + 1;

	/* An offloaded tag (TC) was the outermost one: it was stripped from the bytes. */
	if (p->vlan_meta_present)
		wl_push_vlan(m, p->vlan_meta_tci);

#pragma unroll
	for (int i = 0; i < WL_VLAN_MAX; i++) {
		struct wl_vlan_hdr *vh = c->pos;

		if (!wl_is_vlan(proto))
			break;
		if (m->vlan_tags >= WL_VLAN_MAX)
			return WL_OUT_VLAN_TOO_DEEP;
		if ((void *)(vh + 1) > c->end)
			return WL_OUT_TRUNCATED_L2;
		wl_push_vlan(m, bpf_ntohs(vh->tci));
		proto = bpf_ntohs(vh->encap_proto);
		c->pos = vh + 1;
	}
	if (wl_is_vlan(proto))
		return WL_OUT_VLAN_TOO_DEEP;
	m->eth_proto = proto;
	return 0;
}

#endif /* WL_PARSE_ETH_H */
