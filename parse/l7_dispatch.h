/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * From an accounted TCP/UDP packet to its protocol program: which protocol (ports map, else
 * content sniffing that teaches the ports map), which side is the server; the job goes to the
 * per-CPU scratch and the packet is handed over by tail call (see l7_conn.h). The L2-L4 work
 * is complete by then: a tail call does not come back.
 */
#ifndef WL_PARSE_L7_DISPATCH_H
#define WL_PARSE_L7_DISPATCH_H

#include "l7.h"
#include "wl_proto_parsers.h" /* made by the Makefile: every parse/proto_*.h */

/* The protocol programs of this hook, by enum wl_l7_proto (filled by the loader). XDP and TC
 * programs cannot share a program array, hence one per hook. */
struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, WL_L7_PROTO_MAX);
	__type(key, __u32);
	__type(value, __u32);
} WL_L7_PROGS SEC(".maps");

/*
 * A tail call to a constant slot, which the JIT makes a direct jump (patched when the slot
 * changes). A slot in a register is an indirect jump: through a retpoline on kernels that
 * mitigate Spectre v2 so, ~9 ns a packet here. The asm keeps the compiler from merging a
 * switch's cases into one call with the slot in a register (as Cilium's tail_call_static).
 */
static __always_inline void wl_tail_call_static(void *ctx, void *map, const __u32 slot)
{
	asm volatile("r1 = %[ctx]\n\t"
		     "r2 = %[map] ll\n\t"
		     "r3 = %[slot]\n\t"
		     "call 12\n\t" ::[ctx] "r"(ctx),
		     [map] "i"(map), [slot] "i"(slot)
		     : "r0", "r1", "r2", "r3", "r4", "r5");
}

#define WL_L7_TAIL_CASE(name, ENUM, id, ...)                                                       \
	case id:                                                                                   \
		wl_tail_call_static(ctx, &WL_L7_PROGS, id);                                        \
		break;

/* The first payload bytes content sniffing looks at (zero-padded), and the payload length. */
struct wl_l7_head {
	__u8 b[16];
	__u32 len;
};

/*
 * Content sniffing: each protocol looks at the head of a payload on a port no protocol claims;
 * the first of the registry that recognises it wins. Returns its enum wl_l7_proto, or 0.
 * A global function, verified once whatever path led here: the chain of every protocol's tests
 * is the longest stretch of the main programs. Each test reads the bytes and the length again
 * from memory behind a pointer (the barrier keeps the compiler from reusing the values the
 * previous test read): so they are fresh values to the verifier, and the ways a test fails do
 * not carry into the next one as different ranges of the same registers (a test decided by an
 * earlier one's ranges makes those values precise, and precise values keep states apart).
 */
__noinline int wl_l7_sniff_chain(const struct wl_l7_head *h)
{
	if (!h)
		return 0;
#define WL_L7_SNIFF_ENTRY(name, ENUM, id, ...)                                                     \
	asm volatile("" ::: "memory");                                                             \
	if (wl_##name##_sniff(h->b, h->len))                                                       \
		return WL_L7_##ENUM;
	WL_L7_PROTOCOLS(WL_L7_SNIFF_ENTRY)
	return 0;
}

/* Teaches the ports map dport, within the bound of learned ports (struct wl_sniff): the place
 * is taken before the port is written, so however many CPUs sniff at once no more than
 * learn_max ports are learned. Returns 0 when refused. */
static __always_inline int wl_l7_learn(__u32 dport, __u8 proto)
{
	__u32 zero = 0;
	struct wl_sniff *s = bpf_map_lookup_elem(&wl_sniff, &zero);
	__u8 *v = bpf_map_lookup_elem(&wl_ports, &dport);

	if (!s || !v)
		return 0;
	if (__sync_fetch_and_add(&s->learned, 1) >= s->learn_max) {
		__sync_fetch_and_sub(&s->learned, 1);
		__sync_fetch_and_add(&s->refused, 1);
		return 0;
	}
	*v = proto | WL_PORT_LEARNED;
	return 1;
}

/* A match teaches the ports map, so the rest of this server's traffic is recognised by port and
 * the connection's first segments are not lost. A match on a port that cannot be learned is
 * not parsed: its replies would not be recognised. */
static __always_inline __u8 wl_l7_sniff(wl_ctx_t *ctx, struct wl_meta *m, __u32 payload_len,
					__u8 *dir)
{
	struct wl_l7_head head = {};
	__u32 dport = m->key.dst_port;
	__u8 proto;

	if (payload_len >= 16) {
		if (wl_load_bytes(ctx, m->payload_off, head.b, 16))
			return 0;
	} else if (wl_load_bytes(ctx, m->payload_off, head.b, ((payload_len - 1) & 15) + 1)) {
		return 0; /* 1..15 bytes (the caller saw >= 4) as a mask: 6.1 bounds it below */
	}
	head.len = payload_len;
	proto = wl_l7_sniff_chain(&head);
	if (!proto || !wl_l7_learn(dport, proto))
		return 0;
	*dir = 0;
	return proto;
}

/* Protocol of this packet's connection and the packet's direction, or 0. sniff: the packet is
 * among its flow's first WL_SNIFF_FLOW_PACKETS (maps/wirelens.h): content sniffing looks at it
 * when no protocol claims either port. Later packets of a flow whose first payloads did not
 * teach the ports map skip the head copy and the sniff chain (~25 ns of a TCP segment's ~95,
 * bench table 1b). */
static __always_inline __u8 wl_l7_classify(wl_ctx_t *ctx, struct wl_meta *m, __u32 payload_len,
					   __u8 *dir, int sniff)
{
	__u32 dport = m->key.dst_port, sport = m->key.src_port;
	__u8 *v;

	v = bpf_map_lookup_elem(&wl_ports, &dport);
	if (v && *v) {
		*dir = 0;
		return *v & ~WL_PORT_LEARNED;
	}
	v = bpf_map_lookup_elem(&wl_ports, &sport);
	if (v && *v) {
		*dir = 1;
		return *v & ~WL_PORT_LEARNED;
	}
	if (!sniff || m->key.l4_proto != IPPROTO_TCP || payload_len < 4)
		return 0;
	return wl_l7_sniff(ctx, m, payload_len, dir);
}

static __always_inline void wl_l7_packet(wl_ctx_t *ctx, const struct wl_pkt *p, struct wl_meta *m,
					 struct wl_counters *cnt, int sniff)
{
	struct wl_l7_state *s;
	struct wl_l7_job *job;
	__u32 payload_len = 0, zero = 0;
	__u8 dir = 0, proto;

	if (m->l3_end > m->payload_off && m->l3_end <= p->len)
		payload_len = m->l3_end - m->payload_off;
	if (!payload_len && !(m->tcp_flags & (WL_TCP_SYN | WL_TCP_RST | WL_TCP_FIN)))
		return;
	proto = wl_l7_classify(ctx, m, payload_len, &dir, sniff);
	if (!proto)
		return;
	/* A fragmented datagram: its first fragment holds the message's start, enough for DNS
	 * (header, question); other protocols need the whole message. */
	if (m->frag && proto != WL_L7_DNS)
		return;
	if (!payload_len && !(m->tcp_flags & (WL_TCP_SYN | WL_TCP_RST)) &&
	    !((1u << (proto & 31)) & WL_L7_FIN_PROTOS))
		return; /* a bare FIN matters only to protocols whose messages end at the close */
	s = bpf_map_lookup_elem(&wl_l7_scratch, &zero);
	if (!s)
		return;
	job = &s->job;
	job->ckey.ifindex = m->key.ifindex;
	job->ckey.l3_proto = m->key.l3_proto;
	job->ckey.l4_proto = m->key.l4_proto;
	job->ckey.netns_id = m->key.netns_id;
	if (dir == 0) {
		job->ckey.client_port = m->key.src_port;
		job->ckey.server_port = m->key.dst_port;
		__builtin_memcpy(job->ckey.client_addr, m->key.src_addr, 16);
		__builtin_memcpy(job->ckey.server_addr, m->key.dst_addr, 16);
	} else {
		job->ckey.client_port = m->key.dst_port;
		job->ckey.server_port = m->key.src_port;
		__builtin_memcpy(job->ckey.client_addr, m->key.dst_addr, 16);
		__builtin_memcpy(job->ckey.server_addr, m->key.src_addr, 16);
	}
	job->payload_off = m->payload_off;
	job->payload_len = payload_len;
	job->seq = m->tcp_seq;
	job->dir = dir;
	job->l7_proto = proto;
	job->tcp_flags = m->tcp_flags;
	job->is_tcp = m->key.l4_proto == IPPROTO_TCP;
	job->dgram_len = job->is_tcp ? 0 : m->frag ? m->udp_len : payload_len;
	job->pkt_len = p->len; /* L7 rules (l7_block.h): counters, RST */
	job->l3_off = m->l3_off;
	job->l4_off = m->l4_off;
	job->vlan = m->key.vlan_outer;
	job->gso = p->gso_segs > 1;
	job->as_ingress = p->as_ingress;
	switch (proto) {
		WL_L7_PROTOCOLS(WL_L7_TAIL_CASE)
	}
	/* still here: no program for this protocol (left out at attach, or refused by this
	 * kernel's verifier) */
	cnt->l7_unloaded++;
}

#endif /* WL_PARSE_L7_DISPATCH_H */
