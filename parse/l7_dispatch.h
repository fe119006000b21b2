/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * From an accounted TCP/UDP packet to its protocol parser: which protocol (ports map, else
 * content sniffing that teaches the ports map), which side is the server, connection state and
 * TCP sequence tracking, then one global subprogram runs the parser over the payload.
 */
#ifndef WL_PARSE_L7_DISPATCH_H
#define WL_PARSE_L7_DISPATCH_H

#include "l7.h"
#include "proto_redis.h"

#define WL_PORT_LEARNED 0x80 /* wl_ports value bit: learned by sniffing, not configured */

static __always_inline void wl_l7_dir_init(struct wl_l7_dir *d, __u32 next_seq, __u8 proto,
					   int resp, int synced)
{
	d->next_seq = next_seq;
	d->flags = WL_DIR_SEQ_VALID;
	d->depth = 0;
	d->body_left = 0;
	d->msg_bytes = 0;
	/* Joining mid-stream: wait for a segment that starts on a message boundary. */
	if (proto == WL_L7_REDIS)
		d->state = synced ? 0 : (resp ? RS_RESYNC : RQ_RESYNC);
	else
		d->state = 0;
}

/* Global subprogram: verified once, whatever calls it. The job is in the per-CPU scratch. */
__noinline int wl_l7_process(wl_ctx_t *ctx)
{
	struct wl_l7_walk w = {};
	struct wl_l7_state *s;
	struct wl_l7_job *job;
	struct wl_counters *cnt;
	struct wl_l7_dir *d;
	struct wl_conn *conn;
	__u32 zero = 0, start, len;
	int dir;

	cnt = bpf_map_lookup_elem(&wl_counters, &zero);
	s = bpf_map_lookup_elem(&wl_l7_scratch, &zero);
	if (!cnt || !s)
		return 0;
	job = &s->job;
	dir = job->dir & 1;
	start = job->payload_off;
	len = job->payload_len;

	conn = bpf_map_lookup_elem(&wl_conns, &job->ckey);
	if (!conn) {
		struct wl_conn *fresh = &s->conn_init;
		int syn = job->tcp_flags & WL_TCP_SYN;
		int synced = syn || !job->is_tcp;

		if (!len && !syn)
			return 0;
		__builtin_memset(fresh, 0, sizeof(*fresh));
		fresh->l7_proto = job->l7_proto;
		/* Seen from the SYN: both directions start on a message boundary. The other
		 * direction learns its sequence number from its first segment. */
		wl_l7_dir_init(&fresh->dir[dir], job->seq, job->l7_proto, dir, synced);
		wl_l7_dir_init(&fresh->dir[!dir], 0, job->l7_proto, !dir, synced);
		fresh->dir[!dir].flags = 0;
		if (bpf_map_update_elem(&wl_conns, &job->ckey, fresh, BPF_NOEXIST) &&
		    !bpf_map_lookup_elem(&wl_conns, &job->ckey)) {
			cnt->l7_conn_full++;
			return 0;
		}
		conn = bpf_map_lookup_elem(&wl_conns, &job->ckey);
		if (!conn)
			return 0;
	}
	d = &conn->dir[dir];

	if (job->is_tcp) {
		__s32 diff;

		if (job->tcp_flags & WL_TCP_SYN) {
			/* SYN or SYN-ACK: this direction starts here, on a boundary. */
			wl_l7_dir_init(d, job->seq + 1, conn->l7_proto, dir, 1);
			if (!len)
				return 0;
		}
		if (job->tcp_flags & WL_TCP_RST) {
			bpf_map_delete_elem(&wl_conns, &job->ckey);
			return 0;
		}
		if (!(d->flags & WL_DIR_SEQ_VALID)) {
			d->next_seq = job->seq;
			d->flags |= WL_DIR_SEQ_VALID;
		}
		diff = (__s32)(job->seq - d->next_seq);
		if (diff > 0) {
			/* Bytes are missing: whatever message was open is lost. */
			cnt->l7_gap++;
			wl_l7_dir_init(d, job->seq, conn->l7_proto, dir, 0);
		} else if (diff < 0) {
			__u32 seen = -diff;

			cnt->l7_retransmit++;
			if (seen >= len)
				return 0;
			start += seen;
			len -= seen;
		}
		d->next_seq += len + ((job->tcp_flags & WL_TCP_FIN) ? 1 : 0);
	}
	if (!len)
		return 0;
	cnt->l7_packets++;

	w.ctx = ctx;
	w.conn = conn;
	w.d = d;
	w.s = s;
	w.cnt = cnt;
	s->off = start;
	s->end = start + len;
	s->win_off = 0;
	s->win_len = 0;
	s->req.id = WL_CMD_NONE;
	s->req.count = 0;
	s->req.bytes = 0;
	s->resp.id = WL_CMD_NONE;
	s->resp.count = 0;
	s->last_id = WL_CMD_NONE;

	switch (conn->l7_proto) {
	case WL_L7_REDIS:
		wl_redis_parse(&w);
		break;
	default:
		return 0;
	}
	wl_run_flush_req(&w);
	wl_run_flush_resp(&w);
	return 0;
}

/* Protocol of this packet's connection and the packet's direction, or 0. */
static __always_inline __u8 wl_l7_classify(wl_ctx_t *ctx, struct wl_meta *m, __u32 payload_len,
					   __u8 *dir)
{
	__u32 dport = m->key.dst_port, sport = m->key.src_port;
	__u64 head = 0;
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
	if (m->key.l4_proto != IPPROTO_TCP || payload_len < 6)
		return 0;
	if (wl_load_bytes(ctx, m->payload_off, &head, 6))
		return 0;
	if (wl_redis_sniff(head, payload_len)) {
		/* Teach the ports map: the rest of this server's traffic is now recognised. */
		v = bpf_map_lookup_elem(&wl_ports, &dport);
		if (v)
			*v = WL_L7_REDIS | WL_PORT_LEARNED;
		*dir = 0;
		return WL_L7_REDIS;
	}
	return 0;
}

static __always_inline void wl_l7_packet(wl_ctx_t *ctx, const struct wl_pkt *p, struct wl_meta *m)
{
	struct wl_l7_state *s;
	struct wl_l7_job *job;
	__u32 payload_len = 0, zero = 0;
	__u8 dir = 0, proto;

	if (m->l3_end > m->payload_off && m->l3_end <= p->len)
		payload_len = m->l3_end - m->payload_off;
	if (!payload_len && !(m->tcp_flags & (WL_TCP_SYN | WL_TCP_RST)))
		return;
	proto = wl_l7_classify(ctx, m, payload_len, &dir);
	if (!proto)
		return;
	s = bpf_map_lookup_elem(&wl_l7_scratch, &zero);
	if (!s)
		return;
	job = &s->job;
	job->ckey.ifindex = m->key.ifindex;
	job->ckey.l3_proto = m->key.l3_proto;
	job->ckey.l4_proto = m->key.l4_proto;
	job->ckey.pad = 0;
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
	job->now = m->now;
	wl_l7_process(ctx);
}

#endif /* WL_PARSE_L7_DISPATCH_H */
