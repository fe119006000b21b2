/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The first half of every protocol program: the connection's state (created on first sight),
 * TCP sequence tracking (retransmitted bytes are not parsed twice, a gap resynchronises), and
 * the walk's setup; then the protocol's parser runs; then the runs of events are flushed.
 * Each protocol is its own BPF program (reached by tail call from the L2-L4 path), so each is
 * verified on its own budget and a new protocol costs the others nothing.
 */
#ifndef WL_PARSE_L7_CONN_H
#define WL_PARSE_L7_CONN_H

#include "l7.h"

static __always_inline void wl_l7_dir_init(struct wl_l7_dir *d, __u32 next_seq, int synced)
{
	d->next_seq = next_seq;
	d->flags = WL_DIR_SEQ_VALID;
	d->body_left = 0;
	d->msg_bytes = 0;
	d->hdr_len = 0;
	d->skipping = 0;
	d->skip_keep = 0;
	/* Joining mid-stream: the parser waits for a segment that starts on a message boundary
	 * (and resets its own state in priv when it finds one). */
	d->state = synced ? 0 : WL_L7_RESYNC;
}

/* Do `lost` missing bytes lie inside the body the parser left this direction skipping, before
 * the bytes of it that it still reads (see wl_l7_gap_mark)? */
static __always_inline int wl_l7_gap_inside_body(const struct wl_l7_dir *d, __u32 lost)
{
	return (d->skipping & WL_L7_GAP_BODY) && d->state != WL_L7_RESYNC &&
	       d->body_left > d->skip_keep && lost < d->body_left - d->skip_keep;
}

/* `lost` bytes are missing before this segment (at seq). Inside a body the parser skips
 * unread they are counted as skipped and the direction stays in sync (the late copy, if any,
 * is then a retransmission); else the open message is lost, unless the parser can resume it
 * (wl_l7_gap_mark_open). Global: verified once. */
__noinline int wl_l7_gap(struct wl_l7_dir *d, struct wl_counters *cnt, __u32 seq, __u32 lost)
{
	__u8 open, flags;
	__u32 msg_bytes;

	if (!d || !cnt)
		return 0;
	open = d->skipping & WL_L7_GAP_OPEN;
	flags = d->flags;
	msg_bytes = d->msg_bytes;
	cnt->l7_gap++;
	if (wl_l7_gap_inside_body(d, lost)) {
		cnt->l7_gap_absorbed++;
		d->body_left -= lost;
		d->msg_bytes += lost;
		d->next_seq = seq;
		return 0;
	}
	wl_l7_dir_init(d, seq, 0);
	if (open) {
		d->state = WL_L7_GAPPED;
		d->flags = flags;
		d->msg_bytes = msg_bytes + lost;
	}
	return 0;
}

/* A SYN or SYN-ACK without payload on a connection without state: its ISN, by direction. A
 * pure SYN starts the handshake anew (a 4-tuple seen before). */
static __always_inline void wl_l7_syn_note(const struct wl_l7_job *job, int dir)
{
	struct wl_l7_syn *hs = bpf_map_lookup_elem(&wl_l7_syns, &job->ckey);

	dir &= 1;
	if (!hs || (job->tcp_flags & (WL_TCP_SYN | WL_TCP_ACK)) == WL_TCP_SYN) {
		struct wl_l7_syn fresh = {};

		/* constant indexes: clang turns a variable one into an OR on the stack pointer,
		 * which the verifier refuses */
		if (dir)
			fresh.isn[1] = job->seq;
		else
			fresh.isn[0] = job->seq;
		fresh.seen = 1u << dir;
		bpf_map_update_elem(&wl_l7_syns, &job->ckey, &fresh, BPF_ANY);
		return;
	}
	hs->isn[dir] = job->seq;
	hs->seen |= 1u << dir;
}

/* A datagram is a whole message: nothing carries over, so UDP (DNS clients use a fresh source
 * port per query) takes no connection entry and cannot push the long-lived TCP connections out
 * of the LRU. Requests are matched by id. Its state lives in the scratch (wiped after it). */
static __always_inline struct wl_conn *wl_l7_dgram_conn(struct wl_l7_state *s, int dir)
{
	struct wl_conn *conn = &s->conn_init;
	struct wl_l7_rest *r = &conn->dir[dir];

	conn->l7_proto = s->job.l7_proto;
	conn->fifo_head = 0;
	conn->fifo_tail = 0;
	conn->fifo_taken = 0;
	__builtin_memset(r, 0, sizeof(*r));
	r->flags = WL_DIR_SEQ_VALID;
	return conn;
}

/* A direction at rest as wl_l7_dir_init leaves it. */
static __always_inline void wl_l7_rest_init(struct wl_l7_rest *r, __u32 next_seq, int synced)
{
	r->next_seq = next_seq;
	r->flags = WL_DIR_SEQ_VALID;
	r->state = synced ? 0 : WL_L7_RESYNC;
}

/* A TCP connection's first segment with payload: its state in wl_conns (NULL when the table is
 * full). A handshake seen before it (wl_l7_syns) or this segment's SYN puts both directions on
 * a message boundary. */
static __always_inline struct wl_conn *wl_l7_conn_new(struct wl_l7_state *s,
						      struct wl_counters *cnt, int dir)
{
	struct wl_l7_job *job = &s->job;
	struct wl_conn *fresh = &s->conn_init;
	int syn = job->tcp_flags & WL_TCP_SYN;
	struct wl_l7_syn *hs = NULL;
	int synced;

	if (!syn)
		hs = bpf_map_lookup_elem(&wl_l7_syns, &job->ckey);
	synced = syn || hs;
	/* the FIFO's entries are never read before they are written (head == tail) */
	__builtin_memset(fresh, 0, __builtin_offsetof(struct wl_conn, fifo));
	__builtin_memset(fresh->dir, 0, sizeof(fresh->dir));
	fresh->l7_proto = job->l7_proto;
	/* Seen from the handshake: both directions start on a message boundary, each at its ISN + 1
	 * when the handshake showed it, else learnt from its first segment. */
	wl_l7_rest_init(&fresh->dir[dir], job->seq, synced);
	wl_l7_rest_init(&fresh->dir[!dir], 0, synced);
	fresh->dir[!dir].flags = 0;
	if (hs) {
		if (hs->seen & (1u << dir))
			fresh->dir[dir].next_seq = hs->isn[dir] + 1;
		if (hs->seen & (1u << !dir)) {
			fresh->dir[!dir].next_seq = hs->isn[!dir] + 1;
			fresh->dir[!dir].flags = WL_DIR_SEQ_VALID;
		}
	}
	if (bpf_map_update_elem(&wl_conns, &job->ckey, fresh, BPF_NOEXIST) &&
	    !bpf_map_lookup_elem(&wl_conns, &job->ckey)) {
		cnt->l7_conn_full++;
		return NULL;
	}
	cnt->conns_new++;
	if (hs)
		bpf_map_delete_elem(&wl_l7_syns, &job->ckey);
	return bpf_map_lookup_elem(&wl_conns, &job->ckey);
}

/* A build may rewind a direction before its sequence number is checked (bench/bench_l7.bpf.c:
 * every test_run repeat of a frame is then new data); the shipped programs do not. */
#ifndef WL_L7_BENCH_REWIND
#define WL_L7_BENCH_REWIND(conn, d, job, dir)
#endif

/*
 * TCP: a SYN starts its direction (and a pure SYN the connection) anew, a RST ends the
 * connection; then the segment's place in the stream: missing bytes before it are a gap, bytes
 * already seen are trimmed off (*start, *len). Returns 1 when there is something to parse.
 */
static __always_inline int wl_l7_seq_track(struct wl_l7_job *job, struct wl_conn *conn,
					   struct wl_l7_dir *d, int dir, struct wl_counters *cnt,
					   __u32 *start, __u32 *len)
{
	__s32 diff;

	if ((job->tcp_flags & (WL_TCP_SYN | WL_TCP_ACK)) == WL_TCP_SYN) {
		/* A new connection on a 4-tuple seen before (the old one closed by FIN or lost):
		 * its unanswered requests and parser states do not carry over. */
		__builtin_memset(conn->dir, 0, sizeof(conn->dir));
		__builtin_memset(d, 0, sizeof(*d));
		conn->fifo_head = conn->fifo_tail;
		conn->fifo_taken = 0;
	}
	if (job->tcp_flags & WL_TCP_SYN) {
		/* SYN or SYN-ACK: this direction starts here, on a boundary. */
		wl_l7_dir_init(d, job->seq + 1, 1);
		if (!*len)
			return 0;
	}
	if (job->tcp_flags & WL_TCP_RST) {
		if (!bpf_map_delete_elem(&wl_conns, &job->ckey))
			cnt->conns_closed++;
		return -1; /* conn is gone: nothing to put back */
	}
	if (!(d->flags & WL_DIR_SEQ_VALID)) {
		d->next_seq = job->seq;
		d->flags |= WL_DIR_SEQ_VALID;
	}
	WL_L7_BENCH_REWIND(conn, d, job, dir);
	diff = (__s32)(job->seq - d->next_seq);
	if (diff > 0) {
		wl_l7_gap(d, cnt, job->seq, diff);
	} else if (diff < 0) {
		__u32 seen = -diff;

		cnt->l7_retransmit++;
		if (seen >= *len)
			return 0;
		*start += seen;
		*len -= seen;
	}
	d->next_seq += *len + ((job->tcp_flags & WL_TCP_FIN) ? 1 : 0);
	/* a bare FIN goes on only to protocols whose messages can end at the close (the parser
	 * then sees an empty payload, off == end) */
	return *len ||
	       ((job->tcp_flags & WL_TCP_FIN) && ((1u << (job->l7_proto & 31)) & WL_L7_FIN_PROTOS));
}

/* The key of the direction's wl_l7_open entry, in the scratch (the stack is short). */
static __always_inline void wl_l7_open_key_of(struct wl_l7_state *s, int dir)
{
	__builtin_memcpy(&s->open_key.ckey, &s->job.ckey, sizeof(s->open_key.ckey));
	s->open_key.dir = dir;
	s->open_key.pad[0] = s->open_key.pad[1] = s->open_key.pad[2] = 0;
}

/* The kept bytes (wl_l7_rest.keep, at an odd offset) to and from the start of the protocol's
 * state: 8 bytes at a time, where a byte copy of the 17 took 34 instructions each way. */
_Static_assert(WL_L7_KEEP == 17, "two words and a byte");
static __always_inline void wl_l7_keep_load(__u8 *priv, const __u8 *keep)
{
	wl_st64(priv, wl_ld64(keep));
	wl_st64(priv + 8, wl_ld64(keep + 8));
	priv[16] = keep[16];
}

static __always_inline void wl_l7_keep_store(__u8 *keep, const __u8 *priv)
{
	wl_st64(keep, wl_ld64(priv));
	wl_st64(keep + 8, wl_ld64(priv + 8));
	keep[16] = priv[16];
}

/*
 * The direction's state into the scratch's work: from its wl_l7_open entry while a message is
 * open, else rebuilt from what wl_conns keeps: a direction at rest with its protocol's kept
 * bytes and all else zero, which is what a parser left at a message boundary (the protocols'
 * wl_<name>_open say when that is so). An open message whose entry the LRU pushed out is lost:
 * the direction resynchronises. (No pointer to the entry is kept for the store: the verifier
 * would walk the parser once with it and once without.)
 */
static __always_inline struct wl_l7_dir *wl_l7_load(struct wl_l7_state *s, struct wl_conn *conn,
						    int dir, struct wl_counters *cnt)
{
	struct wl_l7_rest *r = &conn->dir[dir];
	struct wl_l7_dir *d = &s->work, *open;

	if (r->open && s->job.is_tcp) {
		wl_l7_open_key_of(s, dir);
		open = bpf_map_lookup_elem(&wl_l7_open, &s->open_key);
		if (open) {
			__builtin_memcpy(d, open, sizeof(*d));
			return d;
		}
		cnt->l7_state_lost++;
	}
	__builtin_memset(d, 0, sizeof(*d));
	d->next_seq = r->next_seq;
	d->flags = r->flags;
	d->state = r->open ? WL_L7_RESYNC : r->state;
	wl_l7_keep_load(d->priv, r->keep);
	return d;
}

/* The work back: what a direction keeps to wl_conns, and its whole state to wl_l7_open while the
 * protocol says a message is open (open_now): in place when the entry is there. An entry that
 * cannot be had loses the message: the direction resynchronises at its next segment. */
static __always_inline void wl_l7_store(struct wl_l7_state *s, struct wl_conn *conn, int dir,
					struct wl_counters *cnt, int open_now)
{
	struct wl_l7_rest *r = &conn->dir[dir];
	struct wl_l7_dir *d = &s->work, *open;
	__u8 was_open = r->open;

	if (!s->job.is_tcp)
		return; /* a datagram carries nothing over (its rest in the scratch is wiped) */
	r->next_seq = d->next_seq;
	r->flags = d->flags;
	r->state = d->state;
	wl_l7_keep_store(r->keep, d->priv);
	if (!open_now) {
		r->open = 0;
		/* the message is over: its state (a token cut, a header) goes with it */
		if (was_open) {
			wl_l7_open_key_of(s, dir);
			bpf_map_delete_elem(&wl_l7_open, &s->open_key);
		}
		return;
	}
	wl_l7_open_key_of(s, dir);
	if (was_open) {
		open = bpf_map_lookup_elem(&wl_l7_open, &s->open_key);
		if (open) {
			__builtin_memcpy(open, d, sizeof(*d));
			return;
		}
	}
	if (bpf_map_update_elem(&wl_l7_open, &s->open_key, d, BPF_ANY)) {
		cnt->l7_state_lost++;
		r->open = 0;
		r->state = WL_L7_RESYNC;
		return;
	}
	r->open = 1;
}

/* No payload outlives the packet in the scratch either: the working copy goes once it is put
 * back (the next packet rebuilds it whole). */
static __always_inline void wl_l7_work_wipe(struct wl_l7_state *s)
{
	__builtin_memset(&s->work, 0, sizeof(s->work));
}

/* Both directions' open states go (a RST: the connection's state is removed). */
static __always_inline void wl_l7_open_drop(struct wl_l7_state *s, struct wl_conn *conn)
{
	for (int x = 0; x < 2; x++) {
		if (!conn->dir[x].open)
			continue;
		wl_l7_open_key_of(s, x);
		bpf_map_delete_elem(&wl_l7_open, &s->open_key);
	}
}

/* The walk over [start, start + len) of the packet: the window empty, no runs of events yet. */
static __always_inline void wl_l7_walk_init(struct wl_l7_walk *w, wl_ctx_t *ctx,
					    struct wl_conn *conn, struct wl_l7_state *s,
					    struct wl_counters *cnt, __u32 start, __u32 len,
					    int pushes)
{
	w->ctx = ctx;
	w->conn = conn;
	w->d = &s->work;
	w->s = s;
	w->cnt = cnt;
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
	s->parser_pushes = pushes;
}

/* Sets up the walk over this packet's new payload bytes for a parser with the registry's flags.
 * Returns 1 when there is something to parse. The job was left in the per-CPU scratch by the
 * L2-L4 path before the tail call. */
static __always_inline int wl_l7_begin(wl_ctx_t *ctx, struct wl_l7_walk *wp, __u32 flags)
{
	struct wl_l7_dir *d;
	struct wl_l7_walk w = {};
	struct wl_counters *cnt;
	struct wl_l7_state *s;
	struct wl_l7_job *job;
	struct wl_conn *conn;
	__u32 zero = 0, start, len;
	int dir, ret;

	cnt = bpf_map_lookup_elem(&wl_counters, &zero);
	s = bpf_map_lookup_elem(&wl_l7_scratch, &zero);
	if (!cnt || !s)
		return 0;
	job = &s->job;
	dir = job->dir & 1;
	start = job->payload_off;
	len = job->payload_len;
	if (!job->is_tcp) {
		if (!len)
			return 0;
		conn = wl_l7_dgram_conn(s, dir);
		wl_l7_load(s, conn, dir, cnt);
	} else {
		conn = bpf_map_lookup_elem(&wl_conns, &job->ckey);
		if (!conn) {
			if (!len) {
				/* A handshake packet: only its sequence number is kept
				 * (wl_l7_syns), so a SYN flood never pushes established
				 * connections out of wl_conns. */
				if (job->tcp_flags & WL_TCP_SYN)
					wl_l7_syn_note(job, dir);
				return 0;
			}
			conn = wl_l7_conn_new(s, cnt, dir);
			if (!conn)
				return 0;
		}
		d = wl_l7_load(s, conn, dir, cnt);
		if (job->tcp_flags & WL_TCP_RST) /* the connection ends: its open messages too */
			wl_l7_open_drop(s, conn);
		ret = wl_l7_seq_track(job, conn, d, dir, cnt, &start, &len);
		if (ret <= 0) {
			/* nothing parsed: open as it was (< 0: the connection is gone) */
			if (!ret)
				wl_l7_store(s, conn, dir, cnt, conn->dir[dir].open);
			wl_l7_work_wipe(s);
			return 0;
		}
	}
	if (len)
		cnt->l7_packets++;
	/* the precise clock: read when the parser first needs it (wl_l7_now) */
	job->now = 0;
	wl_l7_walk_init(&w, ctx, conn, s, cnt, start, len, !!(flags & WL_L7_F_PUSHES));
	*wp = w;
	return 1;
}

/* The window as far as the packet's windows wrote, 64 bytes at a time. Global: verified once. */
__noinline int wl_l7_buf_wipe(struct wl_l7_state *s)
{
	if (!s)
		return 0;
	for (__u32 i = 0; i < WL_L7_WINDOW / 64; i++) {
		if (i * 64 >= s->win_hw)
			break;
#pragma unroll
		for (__u32 k = 0; k < 64; k += 8)
			wl_st64(&s->buf[i * 64 + k], 0); /* 8 bytes a store, as a memset would */
	}
	s->win_hw = 0;
	return 0;
}

/*
 * No payload outlives the packet in a map (every map can be read from user space, by id if not
 * by pin): the window and the names looked up from it are wiped, and a direction's hdr keeps
 * only a message header cut by the segment's end (hdr_len bytes; the rest is zero, see
 * wl_l7_hdr_take). A datagram carries nothing over: its state is wiped whole.
 */
static __always_inline void wl_l7_wipe(struct wl_l7_walk *w)
{
	struct wl_l7_state *s = w->s;
	struct wl_l7_dir *d = w->d;

	wl_l7_buf_wipe(s);
	__builtin_memset(s->last_name, 0, WL_CMD_LEN);
	__builtin_memset(s->name_key.command, 0, WL_CMD_LEN);
	if (!s->job.is_tcp)
		__builtin_memset(s->conn_init.dir, 0, sizeof(s->conn_init.dir));
	else if (!d->hdr_len)
		__builtin_memset(d->hdr, 0, WL_L7_HDR_MAX);
}

static __always_inline void wl_l7_finish(struct wl_l7_walk *w)
{
	wl_l7_discard(w->s);
	wl_run_flush_req(w);
	wl_run_flush_resp(w);
	wl_cmd_cache_end_g();
	wl_l7_wipe(w);
}

/*
 * One protocol program per hook and registry line: wl_l7_<name> runs wl_<name>_parse with the
 * line's flags; the loader puts it at index WL_L7_<ENUM> of the hook's program array (found by
 * name).
 */
#define WL_L7_PROG_ENTRY(name, ENUM, id, flags, ...)                                               \
	WL_L7_PROG(name, wl_##name##_parse, wl_##name##_open, flags)
#define WL_L7_PROG(name, parse_fn, open_fn, flags)                                                 \
	SEC(WL_PROG_SEC)                                                                           \
	int wl_l7_##name(wl_ctx_t *ctx)                                                            \
	{                                                                                          \
		struct wl_l7_walk w;                                                               \
		int dir;                                                                           \
                                                                                                   \
		wl_l7_rules_prep(ctx);                                                             \
		if (wl_l7_begin(ctx, &w, flags)) {                                                 \
			parse_fn(&w);                                                              \
			wl_l7_finish(&w);                                                          \
			dir = w.s->job.dir & 1;                                                    \
			wl_l7_store(w.s, w.conn, dir, w.cnt, open_fn(w.d, dir));                   \
			wl_l7_work_wipe(w.s);                                                      \
		}                                                                                  \
		return wl_l7_verdict(ctx);                                                         \
	}

#endif /* WL_PARSE_L7_CONN_H */
