/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The hook abstraction. Every parser is compiled once per hook: the XDP object is built with
 * -DWL_HOOK_XDP, the TC object with -DWL_HOOK_TC. Headers are read in place (linear data);
 * payload that may live in fragments (XDP multi-buffer, TC GSO skbs) goes through
 * wl_load_bytes().
 */
#ifndef WL_PARSE_CTX_H
#define WL_PARSE_CTX_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#include "../maps/wirelens.h"
#include "hdr_len.h"

#define TC_ACT_UNSPEC (-1)

/*
 * Loads a 32-bit context field with a plain `rX = *(u32 *)(ctx + off)`. Clang may otherwise
 * materialise ctx + off in a register when the field goes through CO-RE, which the verifier
 * rejects ("dereference of modified ctx ptr"). Context layouts are UAPI: no relocation needed.
 */
#define WL_CTX_LOAD32(ctx, type, field)                                                            \
	({                                                                                         \
		__u64 __v;                                                                         \
		asm volatile("%0 = *(u32 *)(%1 + %2)"                                              \
			     : "=r"(__v)                                                           \
			     : "r"(ctx), "i"(__builtin_offsetof(type, field)));                    \
		__v;                                                                               \
	})

/* What the shared path knows about the packet, whatever the hook. */
struct wl_pkt {
	void *data;
	void *data_end;
	__u32 len; /* whole packet: linear part and fragments */
	__u32 ifindex;
	__u32 gso_segs;	     /* wire segments a TC GSO skb becomes; 1 otherwise */
	__u16 vlan_meta_tci; /* TC: an offloaded VLAN tag kept in skb metadata */
	__u8 vlan_meta_present;
	__u8 as_ingress; /* a peer-egress instance: the packet enters the interface it counts for */
};

#if defined(WL_HOOK_XDP)

/* A macro, not a typedef: CO-RE relocations must name the kernel struct. */
#define wl_ctx_t	struct xdp_md
#define WL_VERDICT_PASS XDP_PASS
#define WL_PROG_SEC	"xdp.frags"
#define WL_L7_PROGS	wl_l7_progs_xdp

static __always_inline void wl_pkt_init(wl_ctx_t *ctx, struct wl_pkt *p)
{
	p->data = (void *)(long)WL_CTX_LOAD32(ctx, struct xdp_md, data);
	p->data_end = (void *)(long)WL_CTX_LOAD32(ctx, struct xdp_md, data_end);
	p->len = bpf_xdp_get_buff_len(ctx);
	p->ifindex = ctx->ingress_ifindex;
	p->gso_segs = 1;
	p->vlan_meta_tci = 0;
	p->vlan_meta_present = 0;
}

static __always_inline long wl_load_bytes(wl_ctx_t *ctx, __u32 off, void *to, __u32 len)
{
	return bpf_xdp_load_bytes(ctx, off, to, len);
}

#elif defined(WL_HOOK_TC)

#define wl_ctx_t	struct __sk_buff
/* An observer: TC_ACT_UNSPEC lets the next filter (cls_bpf) or program (tcx: TCX_NEXT) run;
 * TC_ACT_OK would end the chain there and silence the filters behind wirelens. */
#define WL_VERDICT_PASS TC_ACT_UNSPEC
#define WL_PROG_SEC	"tc"
#define WL_L7_PROGS	wl_l7_progs_tc

static __always_inline void wl_pkt_init(wl_ctx_t *skb, struct wl_pkt *p)
{
	__u8 *data = (void *)(long)WL_CTX_LOAD32(skb, struct __sk_buff, data);
	__u8 *end = (void *)(long)WL_CTX_LOAD32(skb, struct __sk_buff, data_end);
	__u32 linear = end - data;

	/* GSO and locally sent skbs keep payload in fragments (and a TCP skb is a clone: making it
	 * linear copies it, ~0.5 us a packet). Headers are nearly always linear: pull only when
	 * they are not. */
	if (skb->len > linear && wl_tc_hdr_len(data, end) > linear)
		bpf_skb_pull_data(skb, skb->len < WL_HDR_PULL ? skb->len : WL_HDR_PULL);
	p->data = (void *)(long)WL_CTX_LOAD32(skb, struct __sk_buff, data);
	p->data_end = (void *)(long)WL_CTX_LOAD32(skb, struct __sk_buff, data_end);
	p->len = skb->len;
	p->ifindex = skb->ifindex;
	p->gso_segs = skb->gso_size && skb->gso_segs > 1 ? skb->gso_segs : 1;
	p->vlan_meta_present = skb->vlan_present;
	p->vlan_meta_tci = skb->vlan_tci;
}

static __always_inline long wl_load_bytes(wl_ctx_t *ctx, __u32 off, void *to, __u32 len)
{
	return bpf_skb_load_bytes(ctx, off, to, len);
}

#else
#error "define WL_HOOK_XDP or WL_HOOK_TC"
#endif

/* A bounds-checked read position in the linear part of the packet. */
struct wl_cursor {
	void *pos;
	void *end;
};

/* A header of hlen bytes at the cursor whose fixed part (min bytes) is in the packet: 0 when it
 * all is, else bad (hlen below its fixed part) or truncated (past the packet's end). */
static __always_inline int wl_cursor_hdr(struct wl_cursor *c, __u32 hlen, __u32 min, int bad,
					 int truncated)
{
	if (hlen < min)
		return bad;
	if (c->pos + hlen > c->end)
		return truncated;
	return 0;
}

#endif /* WL_PARSE_CTX_H */
