/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The L7 engine shared by every protocol parser: connection state, TCP sequence tracking
 * (retransmissions skipped, gaps resynchronised), a payload window copied out of the packet
 * (works on linear data, XDP fragments and nonlinear GSO skbs alike), the pending-request FIFO
 * (request side produces, response side consumes) and per-command statistics. The engine knows
 * no protocol: a protocol is parse/proto_<name>.h and one line of WL_L7_PROTOCOLS.
 *
 * The parser contract.
 *  - wl_<name>_sniff(head, len): does a client's first payload on a port no protocol claims
 *    start like this protocol? head: its first 16 bytes (zero-padded), len: the payload's length.
 *    No maps, no state: it runs in the main program (l7_dispatch.h); the first protocol of the
 *    registry that says yes learns the port.
 *  - wl_<name>_parse(w): runs in the protocol's own program (l7_conn.h), once per packet with
 *    new payload bytes [s->off, s->end) (retransmitted bytes trimmed off; a protocol with
 *    the flag WL_L7_F_AT_FIN also on a bare FIN, with off == end). w->d is the packet's direction
 *    (s->job.dir: 0 client->server requests, 1 replies). It walks every message of the bytes in
 *    bounded steps (bpf_loop), counts complete ones with wl_emit_request / wl_emit_response
 *    and leaves the direction resumable after any byte: the next segment goes on from there.
 *  - d->state is the parser's own, but for two values: 0 is a message boundary (a new
 *    direction, or one after a SYN, starts there), WL_L7_RESYNC lost sync (set by the engine
 *    after missing bytes or when joining mid-stream, by the parser on malformed input): the
 *    parser leaves it only at a segment that begins like a message, resetting its own state
 *    then, and counts l7_resync_skip for one that does not.
 *  - d->flags: WL_DIR_* below: SEQ_VALID is the engine's, ERROR and STARTED mean the same in
 *    every parser, P0..P4 are the protocol's own (it names them in its header). At a message
 *    boundary a parser keeps SEQ_VALID only. body_left, msg_bytes, hdr/hdr_len belong to the
 *    shared helpers (wl_l7_body_skip, wl_l7_hdr_take); cur_id and msg_ts_ns to the parser.
 *  - d->priv: WL_L7_PRIV_MAX (128) bytes per direction for the parser's own state (a struct
 *    wl_<name>_dir, _Static_assert'ed to fit), zero in a new connection, kept across packets.
 *    s->priv: WL_L7_SCRATCH_PRIV per-CPU bytes of working memory, shared by every protocol in
 *    turn: what a parser keeps there from one packet to the next carries its protocol's tag.
 *  - The FIFO: the engine pushes each run of requests when it is flushed, and the response side
 *    pops them (wl_fifo_pop) in order. A parser that pushes its own entries (wl_fifo_push: not
 *    every request is answered, or entries carry more than the command) or matches replies by
 *    id (wl_pending_put/take) has the flag WL_L7_F_PUSHES in the registry.
 *  - Gaps: at the end of its walk a parser calls wl_l7_gap_mark to say the direction is
 *    skipping an opaque body by length (bytes lost inside it are then absorbed) and may call
 *    wl_l7_gap_mark_open to say it can resume its open message after lost bytes (it then finds
 *    state WL_L7_GAPPED); after any other gap the direction is in WL_L7_RESYNC.
 *  - No payload outlives the packet: names reach the maps only as the ids of known commands;
 *    hdr keeps a header cut by the segment's end and nothing else (the engine wipes the window).
 *  - Each program is verified on its own budget, <= 400k instructions on every kernel of the
 *    matrix: pieces that run per byte or per message are global (__noinline) functions,
 *    verified once (see proto_http.h and proto_memcached.h for how).
 */
#ifndef WL_PARSE_L7_H
#define WL_PARSE_L7_H

#include "meta.h"

#define WL_L7_STEPS_MAX 8192   /* parser steps per packet (bpf_loop iterations) */
#define WL_CMD_NONE	0xffff /* response with no pending request */
#define WL_L7_RESYNC	0xff   /* wl_l7_dir.state: lost sync, waiting for a message boundary */
#define WL_L7_GAPPED                                                                               \
	0xfe /* wl_l7_dir.state: bytes of the open message were lost (only                         \
	      * for a parser that marked it resumable: wl_l7_gap_mark_open) */

/* wl_l7_dir.flags */
#define WL_DIR_SEQ_VALID 0x01 /* the engine: next_seq is known */
#define WL_DIR_ERROR	 0x02 /* response: the reply is an error */
#define WL_DIR_STARTED	 0x04 /* response: the reply's first byte was seen */
/* the protocol's own flags, named in its header */
#define WL_DIR_P0 0x08
#define WL_DIR_P1 0x10
#define WL_DIR_P2 0x20
#define WL_DIR_P3 0x40
#define WL_DIR_P4 0x80

/* What the L2-L4 path hands to the engine. */
struct wl_l7_job {
	struct wl_conn_key ckey;
	__u32 payload_off;
	__u32 payload_len;
	__u32 seq;
	__u8 dir; /* 0: client->server, 1: server->client */
	__u8 l7_proto;
	__u8 tcp_flags;
	__u8 is_tcp;
	__u32 dgram_len; /* UDP: the whole datagram's payload bytes (more than payload_len in a
			  * first IP fragment: the later ones are not parsed) */
	__u32 pad;
	__u64 now;
	/* L7 rules (parse/l7_block.h) */
	__u32 pkt_len; /* the packet's bytes (rule counters) */
	__u16 l3_off;
	__u16 l4_off;
	__u16 vlan; /* outer VLAN id */
	__u8 gso;   /* a TC GSO super-packet */
	__u8 hook_dir;
	__u8 rules_on;	 /* the active set has L7 rules */
	__u8 deny;	 /* action of the rule that denied a request of this packet, 0: none */
	__u8 as_ingress; /* from a peer-egress instance: the rules' direction is in */
	__u8 pad2;
	__u32 deny_idx;	   /* its stats index */
	__u32 deny_rule;   /* its id */
	__u32 counted_idx; /* allow/count rule counted for this packet (stats index + 1) */
};

/* A run of equal events not yet written to the stats map (flushed on change and at the end). */
struct wl_l7_run {
	__u16 id; /* WL_CMD_NONE: empty */
	__u16 pad;
	__u32 count;
	__u32 errors;
	__u32 misses;
	__u64 bytes;
	__u64 lat_ns; /* latency of every event of the run (same request and response packets) */
};

#define WL_CMD_DUE_MAX	   4   /* slots a packet can leave due a fold (the others wait) */
#define WL_L7_SCRATCH_PRIV 384 /* wl_l7_state.priv: a protocol's per-CPU working memory */

/*
 * Per-CPU working memory of the engine. Kept out of the BPF stack (512 bytes for all frames)
 * and, being map memory, not tracked value by value by the verifier, which keeps the parser
 * loops cheap to verify.
 */
struct wl_l7_state {
	__u8 buf[WL_L7_WINDOW]; /* payload window */
	struct wl_l7_job job;
	__u32 off;     /* packet offset of the next byte to consume */
	__u32 end;     /* packet offset of the end of the payload */
	__u32 win_off; /* packet offset of buf[0] */
	__u32 win_len; /* valid bytes in buf */
	struct wl_l7_run req;
	struct wl_l7_run resp;
	char last_name[WL_CMD_LEN]; /* last name resolved, to skip repeated lookups */
	__u16 last_id;
	__u16 last_flags;
	__u8 done;	    /* the step completed a message */
	__u8 parser_pushes; /* the registry's WL_L7_F_PUSHES: the engine pushes none for the
			     * request runs */
	__u16 win_hw;	    /* bytes of buf the packet's windows have written (wiped up to) */
	__u8 pad[4];
	/* the running protocol's own working memory (see the contract above) */
	__u8 priv[WL_L7_SCRATCH_PRIV] __attribute__((aligned(8)));
	__u64 fifo_lat; /* wl_fifo_pop_g's answer: how long the request waited */
	__u32 fifo_n;	/* wl_fifo_pop_n_g's: how many requests it took */
	__u32 pad2;
	struct wl_pending fifo_run; /* wl_fifo_head_g's answer: the head run */
	__u64 fifo_left;	    /* and how many of its requests are unanswered */
	struct wl_cmd_key cmd_key;
	/* the command-statistics cache (wl_cmd_stats_get, wl_cmd_cache_end_g) */
	struct wl_cmd_key fold_key; /* a folded slot's */
	__u32 id_key;		    /* lookup keys kept off the stack */
	__u32 slot_key;
	__u64 cur_ident[3];  /* the command being looked up */
	__u64 take_ident[3]; /* the command the packet wants slot take_slot for */
	__u32 take_slot;
	__u32 take_id;
	__u8 take_want;
	__u8 due_n;		  /* slots the packet's updates made due a fold (or a look */
	__u8 due[WL_CMD_DUE_MAX]; /* at the time), in due[] */
	__u8 pad3[1];
	struct wl_cmd_name_key name_key;
	struct wl_conn conn_init;
	struct wl_cmd_stats stats_zero; /* never written: initial value of a stats entry */
	/* the packet's direction's whole parser state, loaded from wl_conns (and wl_l7_open) before
	 * the parser runs and put back after it (wl_l7_load, wl_l7_store) */
	struct wl_l7_dir work;
	struct wl_l7_open_key open_key;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct wl_l7_state);
} wl_l7_scratch SEC(".maps");
_Static_assert(sizeof(struct wl_l7_state) >= sizeof(struct wl_fifo_far),
	       "a far ring's first value");

/* The walk over one packet's payload: pointers only (they must live on the stack). */
struct wl_l7_walk {
	wl_ctx_t *ctx;
	struct wl_conn *conn;
	struct wl_l7_dir *d; /* the scratch's work: this packet's direction */
	struct wl_l7_state *s;
	struct wl_counters *cnt;
};

/* 8 bytes at p as one load, p aligned or not (clang would load a byte array byte by byte; the
 * verifier allows unaligned map value access where the CPU does, as x86 does). */
static __always_inline __u64 wl_ld64(const __u8 *p)
{
	__u64 v;

	asm volatile("%0 = *(u64 *)(%1 + 0)" : "=r"(v) : "r"(p));
	return v;
}

/* The same for a store. */
static __always_inline void wl_st64(__u8 *p, __u64 v)
{
	asm volatile("*(u64 *)(%0 + 0) = %1" : : "r"(p), "r"(v) : "memory");
}

/* n bytes (a constant multiple of 8) of byte arrays, 8 at a time: clang copies a char array (an
 * address, a command name) byte by byte, two instructions a byte. */
static __always_inline void wl_copy64(void *dst, const void *src, __u32 n)
{
#pragma unroll
	for (__u32 i = 0; i < n; i += 8)
		wl_st64((__u8 *)dst + i, wl_ld64((const __u8 *)src + i));
}

/*
 * The precise clock for latencies (the flows' m->now is coarse), read at most once per packet and
 * only by a packet that starts or ends a message: the middle segments of a long message (a large
 * value, a result set, a body) read none. 0 in s->job.now until then.
 */
static __always_inline __u64 wl_l7_now(struct wl_l7_state *s)
{
	if (!s->job.now)
		s->job.now = bpf_ktime_get_ns();
	return s->job.now;
}

#include "events.h" /* the event log: needs the structs above */

#include "l7_block.h" /* L7 rules: wl_l7_rule_check for the emitters below and the parsers */

/* Makes the window cover w->off. Returns the number of bytes available from w->off, 0 at the
 * end of the payload or on a load failure. */
static __always_inline __u32 wl_win_avail(struct wl_l7_walk *w)
{
	struct wl_l7_state *s = w->s;
	__u32 off = s->off, n;

	if (off >= s->end)
		return 0;
	if (off >= s->win_off && off < s->win_off + s->win_len)
		return s->win_off + s->win_len - off;
	n = s->end - off;
	if (n > WL_L7_WINDOW)
		n = WL_L7_WINDOW;
	if (n == 0)
		return 0;
	/* 1 <= n <= WL_L7_WINDOW, said so the verifier of 6.1 sees it too: it learns no lower
	 * bound from `n == 0` and refuses a helper size that may be zero */
	n = ((n - 1) & (WL_L7_WINDOW - 1)) + 1;
	if (wl_load_bytes(w->ctx, off, s->buf, n))
		return 0;
	s->win_off = off;
	s->win_len = n;
	s->win_hw |= n; /* at least the largest n: no branch for the verifier to walk */
	return n;
}

/* Copies the window's next n bytes (n a constant, within what wl_win_avail said) to b. */
static __always_inline void wl_win_peek(struct wl_l7_walk *w, __u8 *b, __u32 n)
{
	__u32 pos = w->s->off - w->s->win_off;

	for (__u32 k = 0; k < n; k++)
		b[k] = w->s->buf[(pos + k) & (WL_L7_WINDOW - 1)];
}

/* Starts the window at s->off when the payload goes on past the window's end (a piece cut by
 * the window is then whole in it). Returns the bytes available from s->off, 0 when the window
 * already starts there or already reaches the payload's end (nothing to gain). */
static __always_inline __u32 wl_win_restart(struct wl_l7_walk *w)
{
	struct wl_l7_state *s = w->s;

	if (s->off == s->win_off || s->win_off + s->win_len >= s->end)
		return 0;
	s->win_len = 0;
	return wl_win_avail(w);
}

/* Like wl_win_avail, but restarts the window at s->off when fewer than `want` bytes are left in
 * it: a fast path then never finds a short piece cut by the window's end. */
static __always_inline __u32 wl_win_ensure(struct wl_l7_walk *w, __u32 want)
{
	__u32 avail = wl_win_avail(w), moved;

	if (avail && avail < want) {
		moved = wl_win_restart(w);
		if (moved)
			avail = moved;
	}
	return avail;
}

/* Where the window stands for a piece from s->off, made as wl_win_ensure(w, want) makes it:
 * *pos is s->off's index in it; returns the index after its last byte (<= WL_L7_WINDOW), 0 when
 * no byte is available. */
static __always_inline __u32 wl_win_span(struct wl_l7_walk *w, __u32 want, __u32 *pos)
{
	__u32 avail = wl_win_ensure(w, want), lim;

	if (!avail)
		return 0;
	*pos = w->s->off - w->s->win_off;
	lim = *pos + avail;
	return lim > WL_L7_WINDOW ? 0 : lim;
}

/* The byte at s->off (the caller made sure the window covers it). */
static __always_inline __u8 wl_win_byte(struct wl_l7_walk *w)
{
	return w->s->buf[(w->s->off - w->s->win_off) & (WL_L7_WINDOW - 1)];
}

/* floor(log2(v)), 0 for 0: a binary search over the bit position. Global: verified once. */
__noinline int wl_log2_u64(__u64 v)
{
	__u32 r = 0;

#pragma unroll
	for (__u32 shift = 32; shift; shift >>= 1) {
		if (v >> shift) {
			v >>= shift;
			r += shift;
		}
	}
	return r;
}

/* A map key in read-only data rather than on the stack (wl_cmd_cache_end_g). */
static const volatile __u32 wl_key_zero = 0;

/* A slot's deltas into its wl_cmd_stats entry (this CPU's value; made again if `reset` removed
 * it), the slot then empty. */
static __always_inline void wl_cmd_slot_fold(struct wl_cmd_slot *c, struct wl_l7_state *s,
					     __u64 now)
{
	struct wl_counters *cnt;
	struct wl_cmd_stats *st;

	__sync_fetch_and_add(&c->seq, 1);
	c->folded_ns = now;
	if (c->ident[0] && c->n) {
		wl_copy64(&s->fold_key, &c->key, sizeof(c->key));
		st = bpf_map_lookup_elem(&wl_cmd_stats, &s->fold_key);
		if (!st &&
		    !bpf_map_update_elem(&wl_cmd_stats, &s->fold_key, &s->stats_zero, BPF_NOEXIST))
			st = bpf_map_lookup_elem(&wl_cmd_stats, &s->fold_key);
		if (st) {
			__u64 *to = (__u64 *)st, *from = (__u64 *)&c->d;

#pragma unroll
			for (__u32 i = 0; i < sizeof(*st) / 8; i++)
				to[i] += from[i];
		} else {
			cnt = bpf_map_lookup_elem(&wl_counters, (const __u32 *)&wl_key_zero);
			if (cnt)
				cnt->l7_stats_full++;
		}
	}
	__builtin_memset(&c->d, 0, sizeof(c->d));
	c->n = 0;
	__sync_fetch_and_add(&c->seq, 1);
}

/* The same for slot idx when it is due: 64 updates, or the last fold a second old. Global:
 * verified once. */
__noinline int wl_cmd_slot_fold_due_g(__u32 idx, __u64 now)
{
	struct wl_l7_state *s = bpf_map_lookup_elem(&wl_l7_scratch, (const __u32 *)&wl_key_zero);
	struct wl_cmd_slot *c;

	if (!s)
		return 0;
	s->slot_key = idx;
	c = bpf_map_lookup_elem(&wl_cmd_cache, &s->slot_key);
	if (c && (c->n >= WL_CMD_CACHE_FOLD || now - c->folded_ns >= WL_CMD_CACHE_FOLD_NS))
		wl_cmd_slot_fold(c, s, now);
	return 0;
}

/*
 * The cache's work left by the packet's updates, at the end of the packet (the protocol
 * program's top level: the updates run deep in a parser's call chain, where Linux 6.1 has no
 * frame and little stack to spare): the slots due a fold (64 updates, or a look at the time
 * every 8th) folded, and the slot a command found free or idle taken for it. Global: verified
 * once.
 */
__noinline int wl_cmd_cache_end_g(void)
{
	struct wl_l7_state *s = bpf_map_lookup_elem(&wl_l7_scratch, (const __u32 *)&wl_key_zero);
	struct wl_cmd_slot *c;
	struct wl_cmd_name *name;
	__u64 now;

	if (!s || !(s->due_n | s->take_want))
		return 0;
	now = bpf_ktime_get_coarse_ns();
	for (__u32 i = 0; i < WL_CMD_DUE_MAX; i++)
		if (i < s->due_n)
			wl_cmd_slot_fold_due_g(s->due[i], now);
	s->due_n = 0;
	if (!s->take_want)
		return 0;
	s->take_want = 0;
	s->slot_key = s->take_slot;
	s->id_key = s->take_id;
	c = bpf_map_lookup_elem(&wl_cmd_cache, &s->slot_key);
	name = bpf_map_lookup_elem(&wl_cmd_ids, &s->id_key);
	if (!c || !name || (c->ident[0] && now - c->folded_ns < WL_CMD_CACHE_TAKE_NS))
		return 0;
	wl_cmd_slot_fold(c, s, now);
	__sync_fetch_and_add(&c->seq, 1);
	c->ident[0] = s->take_ident[0];
	c->ident[1] = s->take_ident[1];
	c->ident[2] = s->take_ident[2];
	c->key.l7_proto = s->take_ident[0] & 0xff;
	c->key.netns_id = s->take_ident[0] >> 8;
	c->key.l3_proto = s->take_ident[0] >> 16;
	c->key.server_port = s->take_ident[0] >> 32;
	c->key.pad2 = 0;
	wl_st64(c->key.server_addr, s->take_ident[1]);
	wl_st64(c->key.server_addr + 8, s->take_ident[2]);
	wl_copy64(c->key.command, name->command, WL_CMD_LEN);
	__sync_fetch_and_add(&c->seq, 1);
	return 0;
}

/*
 * Where the caller adds an event of command id at this connection's server: the deltas of its
 * slot in this CPU's wl_cmd_cache (maps/wirelens.h), else its wl_cmd_stats entry (made here;
 * NULL when it cannot be). It calls no global function and keeps its values in the scratch,
 * not in registers across the helper calls: it runs at the end of the deepest call chains,
 * where Linux 6.1 has no frame to spare and each frame's stack counts (spilled registers too).
 * What the cache has to do besides is left to wl_cmd_cache_end_g.
 */
static __always_inline struct wl_cmd_stats *wl_cmd_stats_get(struct wl_l7_walk *w, __u16 id)
{
	struct wl_l7_state *s = w->s;
	struct wl_cmd_stats *st;
	struct wl_cmd_name *name;
	struct wl_cmd_slot *c;

	s->cur_ident[0] = s->job.l7_proto | (__u64)s->job.ckey.netns_id << 8 |
			  (__u64)s->job.ckey.l3_proto << 16 | (__u64)s->job.ckey.server_port << 32 |
			  (__u64)id << 48;
	s->cur_ident[1] = wl_ld64(s->job.ckey.server_addr);
	s->cur_ident[2] = wl_ld64(s->job.ckey.server_addr + 8);
	s->slot_key = wl_cmd_slot_hash(s->cur_ident[0], s->cur_ident[1], s->cur_ident[2]);
	s->id_key = id;
	c = bpf_map_lookup_elem(&wl_cmd_cache, &s->slot_key);
	if (c && c->ident[0] == s->cur_ident[0] && c->ident[1] == s->cur_ident[1] &&
	    c->ident[2] == s->cur_ident[2]) {
		if ((++c->n >= WL_CMD_CACHE_FOLD || !(c->n & 7)) && s->due_n < WL_CMD_DUE_MAX)
			s->due[s->due_n++ & (WL_CMD_DUE_MAX - 1)] = s->slot_key;
		return &c->d;
	}
	name = bpf_map_lookup_elem(&wl_cmd_ids, &s->id_key);
	if (!name)
		return NULL;
	s->cmd_key.l7_proto = s->job.l7_proto;
	s->cmd_key.netns_id = s->job.ckey.netns_id;
	s->cmd_key.l3_proto = s->job.ckey.l3_proto;
	s->cmd_key.server_port = s->job.ckey.server_port;
	s->cmd_key.pad2 = 0;
	wl_copy64(s->cmd_key.server_addr, s->job.ckey.server_addr, 16);
	wl_copy64(s->cmd_key.command, name->command, WL_CMD_LEN);
	st = bpf_map_lookup_elem(&wl_cmd_stats, &s->cmd_key);
	if (!st) {
		if (bpf_map_update_elem(&wl_cmd_stats, &s->cmd_key, &s->stats_zero, BPF_NOEXIST) &&
		    !bpf_map_lookup_elem(&wl_cmd_stats, &s->cmd_key)) {
			w->cnt->l7_stats_full++;
			return NULL;
		}
		st = bpf_map_lookup_elem(&wl_cmd_stats, &s->cmd_key);
	}
	/* the slot may be this command's from the end of the packet on (its entry made first: a
	 * reader finds every command a slot holds in the table) */
	s->take_want = 1;
	s->take_slot = s->slot_key;
	s->take_id = s->id_key;
	s->take_ident[0] = s->cur_ident[0];
	s->take_ident[1] = s->cur_ident[1];
	s->take_ident[2] = s->cur_ident[2];
	return st;
}

/*
 * The pending-request FIFO (struct wl_pending): runs of requests of one command, pushed by the
 * request direction, answered in order by the response direction. Past WL_FIFO_LEN - 1 runs the
 * requests go to one WL_FIFO_LOST entry in the last slot: they are counted (l7_fifo_overflow),
 * their replies are paired with them (so later replies keep their own requests) but counted
 * under no command, and the next request after a reply freed a slot has an entry of its own.
 */
static __always_inline __u64 wl_fifo_lost_count(struct wl_pending v)
{
	return v.count | (__u64)v.ts << 16;
}

/* Requests the entry holds. */
static __always_inline __u64 wl_fifo_count(struct wl_pending v)
{
	return v.cmd_id == WL_FIFO_LOST ? wl_fifo_lost_count(v) : v.count;
}

/* Nanoseconds since the run's first request was pushed (an overestimate by less than one
 * ts unit; right for ages below 2^32 units, 73 minutes). */
static __always_inline __u64 wl_fifo_age(__u64 now, __u32 ts)
{
	__u32 units = (__u32)(now >> WL_FIFO_TS_SHIFT) - ts;

	return ((__u64)units << WL_FIFO_TS_SHIFT) | (now & ((1u << WL_FIFO_TS_SHIFT) - 1));
}

/* Is the entry at position pos in the far ring? (Bit set by the producer before the position
 * was published, and kept until the position is pushed again, WL_FIFO_LEN later.) */
static __always_inline int wl_fifo_is_far(struct wl_conn *c, __u32 pos)
{
	__u64 bits = *(volatile __u64 *)&c->fifo_far[(pos / 64) & (WL_FIFO_LEN / 64 - 1)];

	return (bits >> (pos & 63)) & 1;
}

/* The far ring of the connection being parsed (the scratch's job.ckey), or NULL. */
static __always_inline struct wl_fifo_far *wl_fifo_far_ring(void)
{
	struct wl_l7_state *s;
	__u32 zero = 0;

	s = bpf_map_lookup_elem(&wl_l7_scratch, &zero);
	if (!s)
		return NULL;
	return bpf_map_lookup_elem(&wl_fifo_far, &s->job.ckey);
}

/* Producer: writes the far entry at pos, making the ring if the connection has none. Returns 0,
 * or -1 when no ring could be had. */
static __always_inline int wl_fifo_far_write(__u32 pos, __u64 word)
{
	struct wl_fifo_far *r = wl_fifo_far_ring();
	struct wl_l7_state *s;
	__u32 zero = 0;

	if (!r) {
		s = bpf_map_lookup_elem(&wl_l7_scratch, &zero);
		if (!s)
			return -1;
		/* the ring is read only at positions written since: what it starts with (the
		 * scratch's bytes) is never read, and no 1 KB of zeros is needed */
		bpf_map_update_elem(&wl_fifo_far, &s->job.ckey, s, BPF_NOEXIST);
		r = bpf_map_lookup_elem(&wl_fifo_far, &s->job.ckey);
		if (!r)
			return -1;
		r->since = pos;
	} else if ((__s32)(pos - r->since) < 0) {
		/* a ring left by an earlier connection of the same addresses and ports, whose
		 * positions ran ahead of this one's */
		r->since = pos;
	}
	*(volatile __u64 *)&r->e[pos & (WL_FIFO_LEN - 1)].word = word;
	return 0;
}

/* The entry at pos (the caller's own: below the tail it read), wherever it is: r is the
 * connection's far ring (NULL: none). An entry is never 0 (a run has at least one request): 0
 * is a far entry whose ring is gone. */
static __always_inline __u64 wl_fifo_word(struct wl_conn *c, struct wl_fifo_far *r, __u32 pos)
{
	if (!wl_fifo_is_far(c, pos))
		return *(volatile __u64 *)&c->fifo[pos & (WL_FIFO_NEAR - 1)].word;
	if (!r || (__s32)(pos - r->since) < 0)
		return 0;
	return *(volatile __u64 *)&r->e[pos & (WL_FIFO_LEN - 1)].word;
}

/* The connection's far ring when the entry at pos, or with next the one after it, is in it (one
 * lookup for the reads of both), else NULL. Only positions below the tail are asked about: a
 * bit at the tail may be left from the entry WL_FIFO_LEN before. */
static __always_inline struct wl_fifo_far *wl_fifo_far_used(struct wl_conn *c, __u32 pos, int next)
{
	if (!wl_fifo_is_far(c, pos) && !(next && wl_fifo_is_far(c, pos + 1)))
		return NULL;
	return wl_fifo_far_ring();
}

/* Consumer: the entry at pos, a far one whose ring is gone read as one lost request (its reply
 * counts as unmatched; the queue stays in step as long as the lost runs had one request each). */
static __always_inline __u64 wl_fifo_word_or_lost(struct wl_conn *c, struct wl_fifo_far *r,
						  __u32 pos)
{
	__u64 word = wl_fifo_word(c, r, pos);

	return word ? word : (__u64)1 << 16 | WL_FIFO_LOST;
}

/*
 * Publishes a FIFO position moved on by one, v (the producer's tail, the consumer's head: each
 * written by its side alone, so v is *pos + 1), after the stores before it. x86 keeps stores in
 * order, and loads in order (TSO): a store the compiler cannot move is enough there. The locked add
 * it replaces is a full barrier that waits for every store before it, lines the other CPU may hold:
 * ~4% of the hooks' live time at redis-benchmark -P 1. Elsewhere the atomic stays the barrier. (The
 * BPF objects are built for the loader's architecture: __TARGET_ARCH_x86 is the kernel's.)
 */
static __always_inline void wl_fifo_publish(__u32 *pos, __u32 v)
{
#ifdef __TARGET_ARCH_x86
	asm volatile("" ::: "memory");
	*(volatile __u32 *)pos = v;
#else
	__sync_fetch_and_add(pos, 1);
#endif
}

/* The consumer's side: what it reads after this is read after *pos (read before it). */
static __always_inline void wl_fifo_acquire(__u32 *pos)
{
#ifdef __TARGET_ARCH_x86
	asm volatile("" ::: "memory");
#else
	__sync_fetch_and_add(pos, 0);
#endif
}

/* Producer: stores the entry at pos, near when fewer than WL_FIFO_NEAR entries are pending
 * from head (so its near slot holds an answered entry), else far. Returns 0 or -1. */
static __always_inline int wl_fifo_store(struct wl_conn *c, __u32 pos, __u32 head, __u64 word,
					 int rewrite)
{
	__u64 *bits = &c->fifo_far[(pos / 64) & (WL_FIFO_LEN / 64 - 1)];
	__u64 bit = (__u64)1 << (pos & 63);
	int far = rewrite ? !!(*bits & bit) : pos - head >= WL_FIFO_NEAR;

	if (far) {
		if (wl_fifo_far_write(pos, word))
			return -1;
		if (!rewrite)
			*(volatile __u64 *)bits = *bits | bit;
		return 0;
	}
	*(volatile __u64 *)&c->fifo[pos & (WL_FIFO_NEAR - 1)].word = word;
	if (!rewrite && (*bits & bit))
		*(volatile __u64 *)bits = *bits & ~bit;
	return 0;
}

/* Producer: a run of count requests of command id. Global: verified once. */
__noinline int wl_fifo_push_g(struct wl_conn *c, struct wl_counters *cnt, __u32 id, __u32 count,
			      __u64 now)
{
	__u32 tail, head, used, now_ts = (__u32)(now >> WL_FIFO_TS_SHIFT);
	struct wl_pending v;
	__u64 lost;

	if (!c || !cnt || !count)
		return 0;
	tail = c->fifo_tail;
	head = *(volatile __u32 *)&c->fifo_head;
	used = tail - head;
	if (count > WL_FIFO_RUN_MAX || id >= WL_FIFO_LOST)
		id = WL_FIFO_LOST; /* cannot be represented: counted under no command */
	if (used) {
		/* the tail entry is the producer's own: the consumer only reads it (a far one
		 * whose ring is gone reads 0, and a new entry follows it) */
		v.word = wl_fifo_word(c, wl_fifo_far_used(c, tail - 1, 0), tail - 1);
		if (v.word && v.cmd_id == WL_FIFO_LOST &&
		    (used >= WL_FIFO_LEN - 1 || id == WL_FIFO_LOST)) {
			lost = wl_fifo_lost_count(v) + count;
			v.count = (__u16)lost;
			v.ts = (__u32)(lost >> 16);
			/* one store: never seen half-written */
			wl_fifo_store(c, tail - 1, head, v.word, 1);
			cnt->l7_fifo_overflow += count;
			return 0;
		}
		if (v.word && v.cmd_id == id && id != WL_FIFO_LOST &&
		    v.count + count <= WL_FIFO_RUN_MAX &&
		    (v.ts == now_ts || used >= WL_FIFO_LEN / 2)) {
			/* the same command again (same packet, or the queue is getting deep):
			 * the run grows; its latency counts from its first request */
			v.count += count;
			wl_fifo_store(c, tail - 1, head, v.word, 1);
			return 0;
		}
	}
	if (used >= WL_FIFO_LEN - 1) {
		/* the last slot is kept for the lost requests */
		cnt->l7_fifo_overflow += count;
		if (used >= WL_FIFO_LEN)
			return 0; /* not reached: the lost entry takes the last slot */
		id = WL_FIFO_LOST;
	}
	v.cmd_id = id;
	v.count = (__u16)count;
	v.ts = id == WL_FIFO_LOST ? count >> 16 : now_ts;
	if (wl_fifo_store(c, tail, head, v.word, 0)) {
		cnt->l7_fifo_overflow += count; /* no far ring to be had: not queued */
		return 0;
	}
	/* the entry is complete before the consumer can see it */
	wl_fifo_publish(&c->fifo_tail, tail + 1);
	return 0;
}

static __always_inline void wl_fifo_push(struct wl_l7_walk *w, __u16 id, __u32 count)
{
	wl_fifo_push_g(w->conn, w->cnt, id, count, wl_l7_now(w->s));
}

/* Consumer: the run at the head of the FIFO (a copy) and how many of its requests are still
 * unanswered (>= 1). Returns 0 when nothing is pending. Moves past a run answered in full once
 * a later one exists (until then the run may still grow). */
static __always_inline int wl_fifo_head(struct wl_conn *c, struct wl_pending *run, __u64 *left)
{
	__u32 head = c->fifo_head;
	__u32 tail = *(volatile __u32 *)&c->fifo_tail;
	__u32 taken = c->fifo_taken;
	struct wl_fifo_far *r;
	struct wl_pending v;
	__u64 n;

	if (head == tail)
		return 0;
	r = wl_fifo_far_used(c, head, head + 1 != tail);
	v.word = wl_fifo_word_or_lost(c, r, head);
	n = wl_fifo_count(v);
	if (taken >= n) {
		if (head + 1 == tail)
			return 0;
		/* a later entry exists: the producer is done with this one. Read its final count
		 * after the tail. */
		wl_fifo_acquire(&c->fifo_tail);
		v.word = wl_fifo_word_or_lost(c, r, head);
		n = wl_fifo_count(v);
		if (taken >= n) {
			/* move on; the slot is the producer's again */
			c->fifo_taken = taken = 0;
			wl_fifo_publish(&c->fifo_head, head + 1);
			head++;
			v.word = wl_fifo_word_or_lost(c, r, head);
			n = wl_fifo_count(v);
		}
	}
	*run = v;
	*left = n > taken ? n - taken : 1;
	return 1;
}

/* wl_fifo_head verified once, for loops (each far read is a few branches the verifier would
 * walk per iteration): the answer goes to s->fifo_run and s->fifo_left. */
__noinline int wl_fifo_head_g(struct wl_conn *c)
{
	struct wl_l7_state *s;
	__u32 zero = 0;

	s = bpf_map_lookup_elem(&wl_l7_scratch, &zero);
	if (!c || !s)
		return 0;
	return wl_fifo_head(c, &s->fifo_run, &s->fifo_left);
}

/* wl_fifo_head through wl_fifo_head_g: for callers in loops. */
static __always_inline int wl_fifo_head_once(struct wl_conn *c, struct wl_pending *run, __u64 *left)
{
	struct wl_l7_state *s;
	__u32 zero = 0;

	if (!wl_fifo_head_g(c))
		return 0;
	s = bpf_map_lookup_elem(&wl_l7_scratch, &zero);
	if (!s)
		return 0;
	*run = s->fifo_run;
	*left = s->fifo_left;
	return 1;
}

/* Consumer: n requests of the head run answered (n <= what wl_fifo_head said is left). */
static __always_inline void wl_fifo_take(struct wl_conn *c, __u32 n)
{
	c->fifo_taken += n;
}

/* Consumer: the head run's command without taking anything: WL_CMD_NONE when nothing is
 * pending, WL_FIFO_LOST for requests lost to an overflow. */
static __always_inline __u16 wl_fifo_peek(struct wl_conn *c)
{
	struct wl_pending v;
	__u64 left;

	if (!wl_fifo_head(c, &v, &left))
		return WL_CMD_NONE;
	return v.cmd_id;
}

/* Takes one request off the FIFO for a response starting now (wl_l7_now(s)). Returns its command
 * id, WL_FIFO_LOST for a request lost to an overflow, or WL_CMD_NONE when nothing is pending (a
 * push, or a request we never saw); how long it waited goes to s->fifo_lat (0 when unknown).
 * Global: verified once. */
__noinline int wl_fifo_pop_g(struct wl_conn *c, struct wl_l7_state *s)
{
	struct wl_pending v;
	__u64 left;

	if (!c || !s)
		return WL_CMD_NONE;
	s->fifo_lat = 0;
	if (!wl_fifo_head(c, &v, &left))
		return WL_CMD_NONE;
	wl_fifo_take(c, 1);
	if (v.cmd_id != WL_FIFO_LOST)
		s->fifo_lat = wl_fifo_age(wl_l7_now(s), v.ts);
	return v.cmd_id;
}

/* The same for up to max responses in a row (at least 1): as many as the head run still has
 * (they share its latency) go to s->fifo_n. Global: verified once. */
__noinline int wl_fifo_pop_n_g(struct wl_conn *c, struct wl_l7_state *s, __u32 max)
{
	struct wl_pending v;
	__u64 left;

	if (!c || !s)
		return WL_CMD_NONE;
	s->fifo_lat = 0;
	s->fifo_n = max ? max : 1;
	if (!wl_fifo_head(c, &v, &left))
		return WL_CMD_NONE; /* none pending: every one of them unmatched */
	if (left < s->fifo_n)
		s->fifo_n = left;
	wl_fifo_take(c, s->fifo_n);
	if (v.cmd_id != WL_FIFO_LOST)
		s->fifo_lat = wl_fifo_age(wl_l7_now(s), v.ts);
	return v.cmd_id;
}

static __always_inline __u16 wl_fifo_pop_raw(struct wl_l7_walk *w, __u64 *lat_ns)
{
	__u16 id = wl_fifo_pop_g(w->conn, w->s);

	*lat_ns = w->s->fifo_lat;
	return id;
}

/* Same, for parsers that need not tell a lost request from none: both are WL_CMD_NONE (the
 * reply is counted as unmatched, under no command). */
static __always_inline __u16 wl_fifo_pop(struct wl_l7_walk *w, __u64 *lat_ns)
{
	__u16 id = wl_fifo_pop_raw(w, lat_ns);

	return id == WL_FIFO_LOST ? WL_CMD_NONE : id;
}

static __always_inline void wl_run_flush_req(struct wl_l7_walk *w)
{
	struct wl_l7_run *r = &w->s->req;
	struct wl_cmd_stats *st;

	if (r->id == WL_CMD_NONE || !r->count)
		return;
	st = wl_cmd_stats_get(w, r->id);
	if (st) {
		st->requests += r->count;
		st->request_bytes += r->bytes;
	}
	if (w->s->job.dir == 0 && !w->s->parser_pushes)
		wl_fifo_push(w, r->id, r->count);
	r->id = WL_CMD_NONE;
	r->count = 0;
	r->bytes = 0;
}

static __always_inline void wl_run_flush_resp(struct wl_l7_walk *w)
{
	struct wl_l7_run *r = &w->s->resp;
	struct wl_cmd_stats *st;

	if (r->id == WL_CMD_NONE || !r->count)
		return;
	wl_log_pair_g(w->s); /* a ring record while `wirelens log` reads */
	st = wl_cmd_stats_get(w, r->id);
	if (st) {
		__u32 b = wl_log2_u64(r->lat_ns);

		st->responses += r->count;
		st->errors += r->errors;
		st->misses += r->misses;
		st->response_bytes += r->bytes;
		st->latency_sum_ns += r->lat_ns * r->count;
		st->latency_hist[b & (WL_LAT_BUCKETS - 1)] += r->count;
	}
	r->id = WL_CMD_NONE;
	r->count = 0;
	r->errors = 0;
	r->misses = 0;
	r->bytes = 0;
}

/* A complete request of command id, msg_bytes long. */
static __always_inline void wl_emit_request(struct wl_l7_walk *w, __u16 id, __u32 bytes)
{
	struct wl_l7_run *r = &w->s->req;

	wl_l7_rule_check(w->s, id); /* L7 rules (l7_block.h) */
	if (r->id != id || r->count >= 0xffff)
		wl_run_flush_req(w);
	r->id = id;
	r->count++;
	r->bytes += bytes;
}

/* A complete response to command id. */
static __always_inline void wl_emit_response(struct wl_l7_walk *w, __u16 id, __u64 lat_ns,
					     int error, int miss, __u32 bytes)
{
	if (id == WL_CMD_NONE || id == WL_FIFO_LOST) {
		w->cnt->l7_unmatched++;
		return;
	}
	struct wl_l7_run *r = &w->s->resp;

	if (r->id != id || r->lat_ns != lat_ns)
		wl_run_flush_resp(w);
	r->id = id;
	r->lat_ns = lat_ns;
	r->count++;
	r->errors += !!error;
	r->misses += !!miss;
	r->bytes += bytes;
}

/*
 * The walk of a global function: the scratch and counters from their maps (real map values,
 * usable as helper keys), the connection as given (opaque bytes to the verifier) and its
 * direction dir's state. 0 without them.
 */
static __always_inline int wl_l7_walk_g(struct wl_l7_walk *w, wl_ctx_t *ctx, struct wl_conn *conn,
					__u32 dir)
{
	__u32 zero = 0;

	w->ctx = ctx;
	w->conn = conn;
	w->cnt = bpf_map_lookup_elem(&wl_counters, &zero);
	w->s = bpf_map_lookup_elem(&wl_l7_scratch, &zero);
	(void)dir; /* the packet's own: its state is the scratch's working copy */
	w->d = w->s ? &w->s->work : 0;
	return conn && w->cnt && w->s;
}

/* Does a direction keep a message open past the packet by the engine's fields (a header cut,
 * a body to skip)? Then its whole state must be kept (wl_l7_open). */
static __always_inline int wl_l7_open_engine(const struct wl_l7_dir *d)
{
	return d->hdr_len || d->body_left || d->skipping;
}

/* The same, or by a parser state other than a boundary or lost sync: the protocols whose
 * states all mean an open message say so with this (wl_<name>_open). */
static __always_inline int wl_l7_open_std(const struct wl_l7_dir *d)
{
	return (d->state && d->state != WL_L7_RESYNC) || wl_l7_open_engine(d);
}

/* The packet's direction's state (the scratch's work), for a global function; NULL never. */
static __always_inline struct wl_l7_dir *wl_l7_work(void)
{
	struct wl_l7_state *s;
	__u32 zero = 0;

	s = bpf_map_lookup_elem(&wl_l7_scratch, &zero);
	return s ? &s->work : 0;
}

/* The protocol state of direction dir as a parser may read it: the packet's own direction's
 * working copy, or what the other direction keeps in wl_conns (its first WL_L7_KEEP bytes:
 * read only those). */
static __always_inline void *wl_l7_priv_of(struct wl_conn *conn, __u32 dir)
{
	struct wl_l7_state *s;
	__u32 zero = 0;

	s = bpf_map_lookup_elem(&wl_l7_scratch, &zero);
	if (s && (s->job.dir & 1) == (dir & 1))
		return s->work.priv;
	return conn->dir[dir & 1].keep;
}

/* The runs of events (requests, or responses when resp) go to the stats map in a global
 * function: verified once, not once per path of a parser that emits an event. */
__noinline int wl_l7_flush_g(struct wl_conn *conn, __u32 resp)
{
	struct wl_l7_walk w;

	if (!wl_l7_walk_g(&w, 0, conn, resp))
		return 0;
	if (resp)
		wl_run_flush_resp(&w);
	else
		wl_run_flush_req(&w);
	return 0;
}

/* wl_emit_request's run for parsers that count with wl_l7_flush_g: the run of requests of id,
 * the one before flushed when it was another command's or full. The caller adds the events. */
static __always_inline struct wl_l7_run *wl_l7_req_run(struct wl_l7_walk *w, __u16 id)
{
	struct wl_l7_run *r = &w->s->req;

	if (r->id != id || r->count >= 0xffff)
		wl_l7_flush_g(w->conn, 0);
	r->id = id;
	return r;
}

/* The same for responses to id that waited lat_ns (0 for a reply to no known command: counted
 * unmatched). */
static __always_inline struct wl_l7_run *wl_l7_resp_run(struct wl_l7_walk *w, __u16 id,
							__u64 lat_ns)
{
	struct wl_l7_run *r = &w->s->resp;

	if (id == WL_CMD_NONE || id == WL_FIFO_LOST) {
		w->cnt->l7_unmatched++;
		return 0;
	}
	if (r->id != id || r->lat_ns != lat_ns)
		wl_l7_flush_g(w->conn, 1);
	r->id = id;
	r->lat_ns = lat_ns;
	return r;
}

/* Resolves a command name to its id (WL_CMD_OTHER when unknown); remembers the last one. */
static __always_inline __u16 wl_cmd_lookup(struct wl_l7_walk *w, const char *name, __u16 *flags);

/* The same from a global function, which has no walk: the scratch from its map (its name_key is
 * the lookup's key, and Linux 6.1 takes no map key from a global function's argument). */
static __always_inline __u16 wl_cmd_lookup_scratch(const char *name)
{
	struct wl_l7_walk w = {};
	__u32 zero = 0;
	__u16 flags;

	w.s = bpf_map_lookup_elem(&wl_l7_scratch, &zero);
	if (!w.s)
		return WL_CMD_OTHER;
	return wl_cmd_lookup(&w, name, &flags);
}

/* Resolves a command name to its id (WL_CMD_OTHER when unknown); remembers the last one. */
static __always_inline __u16 wl_cmd_lookup(struct wl_l7_walk *w, const char *name, __u16 *flags)
{
	struct wl_l7_state *s = w->s;
	struct wl_cmd_name_val *v;
	const __u64 *a = (const __u64 *)name;
	__u64 *b = (__u64 *)s->last_name;

	if (s->last_id != WL_CMD_NONE && a[0] == b[0] && a[1] == b[1] && a[2] == b[2]) {
		*flags = s->last_flags;
		return s->last_id;
	}
	s->name_key.l7_proto = s->job.l7_proto;
	__builtin_memcpy(s->name_key.command, name, WL_CMD_LEN);
	v = bpf_map_lookup_elem(&wl_cmd_names, &s->name_key);
	b[0] = a[0];
	b[1] = a[1];
	b[2] = a[2];
	s->last_id = v ? v->id : WL_CMD_OTHER;
	s->last_flags = v ? v->flags : 0;
	*flags = s->last_flags;
	return s->last_id;
}

static __always_inline char wl_upper(char c)
{
	return (c >= 'a' && c <= 'z') ? c - 'a' + 'A' : c;
}

/* Integers as the wire holds them, from bytes already bounds-checked (d->hdr, the window). */
static __always_inline __u16 wl_be16(const __u8 *p)
{
	return ((__u16)p[0] << 8) | p[1];
}

static __always_inline __u32 wl_be32(const __u8 *p)
{
	return ((__u32)p[0] << 24) | ((__u32)p[1] << 16) | ((__u32)p[2] << 8) | p[3];
}

static __always_inline __u32 wl_le32(const __u8 *p)
{
	return p[0] | ((__u32)p[1] << 8) | ((__u32)p[2] << 16) | ((__u32)p[3] << 24);
}

/*
 * Gathers the first `need` bytes of a message into d->hdr, across segment boundaries:
 * returns 1 when d->hdr holds them (s->off then points past them), 0 when the payload ended
 * first (the bytes so far stay in d->hdr for the next segment). need <= WL_L7_HDR_MAX.
 * For length-prefixed protocols: take the fixed header, then skip the body by length.
 */
static __always_inline int wl_l7_hdr_take(struct wl_l7_walk *w, struct wl_l7_dir *d, __u32 need)
{
	struct wl_l7_state *s = w->s;
	__u32 have = d->hdr_len, n;

	if (need > WL_L7_HDR_MAX)
		need = WL_L7_HDR_MAX;
	if (have >= need)
		return 1;
	if (!have) /* a new header: no byte of an earlier message stays behind hdr_len */
		__builtin_memset(d->hdr, 0, WL_L7_HDR_MAX);
	n = need - have;
	if (n > s->end - s->off)
		n = s->end - s->off;
	if (n > WL_L7_HDR_MAX - have)
		n = WL_L7_HDR_MAX - have;
	/* the verifier sees have <= 63 and 1 <= n <= 64: within the connection's value */
	if (n == 0 || n > WL_L7_HDR_MAX || have >= WL_L7_HDR_MAX)
		return 0;
	n = ((n - 1) & (WL_L7_HDR_MAX - 1)) + 1; /* 1..64 as a mask: see wl_win_avail */
	if (wl_load_bytes(w->ctx, s->off, &d->hdr[have], n))
		return 0;
	s->off += n;
	d->msg_bytes += n;
	d->hdr_len = have + n;
	return d->hdr_len >= need;
}

/* Skips the current message's body (d->body_left bytes, unread) up to its last `keep` bytes,
 * as far as the payload goes. Returns 1 when only those are left. */
static __always_inline int wl_l7_body_skip_to(struct wl_l7_walk *w, struct wl_l7_dir *d, __u32 keep)
{
	struct wl_l7_state *s = w->s;
	__u32 n = d->body_left - keep;

	if (n > s->end - s->off)
		n = s->end - s->off;
	s->off += n;
	d->msg_bytes += n;
	d->body_left -= n;
	return d->body_left == keep;
}

/* Skips up to d->body_left bytes of the current message. Returns 1 when the body is done. */
static __always_inline int wl_l7_body_skip(struct wl_l7_walk *w, struct wl_l7_dir *d)
{
	return wl_l7_body_skip_to(w, d, 0);
}

/* Back to a message boundary (state 0): the shared helpers' fields cleared, of the flags only
 * the engine's kept. The parser clears its own state after it. */
static __always_inline void wl_l7_msg_reset(struct wl_l7_dir *d)
{
	d->state = 0;
	d->flags &= WL_DIR_SEQ_VALID;
	d->hdr_len = 0;
	d->msg_bytes = 0;
	d->body_left = 0;
}

/* Malformed input (the parser's state reset): counted, and the direction loses sync. Returns 1,
 * a step's "end the walk". */
static __always_inline long wl_l7_malformed(struct wl_l7_walk *w, struct wl_l7_dir *d)
{
	w->cnt->l7_malformed++;
	d->state = WL_L7_RESYNC;
	return 1;
}

/* A direction out of sync goes on at a segment that begins like a message (plausible: the
 * parser's judgement of its first bytes): 1, the parser then resets its state; any other
 * segment is counted skipped. */
static __always_inline int wl_l7_resynced(struct wl_l7_walk *w, int plausible)
{
	if (!plausible)
		w->cnt->l7_resync_skip++;
	return plausible;
}

/* The packet's steps: a bpf_loop over its direction's callback (each direction its own: a
 * constant for the verifier). A direction still out of sync after the parser's resync has
 * nothing to walk. */
static __always_inline void wl_l7_steps(struct wl_l7_walk *w, long (*req_cb)(__u32, void *),
					long (*resp_cb)(__u32, void *))
{
	if (w->d->state == WL_L7_RESYNC)
		return;
	if (w->s->job.dir)
		bpf_loop(WL_L7_STEPS_MAX, resp_cb, w, 0);
	else
		bpf_loop(WL_L7_STEPS_MAX, req_cb, w, 0);
}

/* wl_<name>_parse of a parser made of steps (req_cb, resp_cb): out of sync, it goes on at a
 * segment wl_<name>_plausible(w) accepts, after wl_<name>_reset(d); then the steps. */
#define WL_L7_STEPPED_PARSE(name, req_cb, resp_cb)                                                 \
	static __always_inline void wl_##name##_parse(struct wl_l7_walk *w)                        \
	{                                                                                          \
		if (w->d->state == WL_L7_RESYNC && wl_l7_resynced(w, wl_##name##_plausible(w)))    \
			wl_##name##_reset(w->d);                                                   \
		wl_l7_steps(w, req_cb, resp_cb);                                                   \
	}

/* The two bpf_loop callbacks of a parser whose step takes the walk and its direction. */
#define WL_L7_STEP_CBS(req_cb, resp_cb, step)                                                      \
	static long req_cb(__u32 i, void *arg)                                                     \
	{                                                                                          \
		return step(arg, 0);                                                               \
	}                                                                                          \
	static long resp_cb(__u32 i, void *arg)                                                    \
	{                                                                                          \
		return step(arg, 1);                                                               \
	}

/* wl_l7_dir.skipping: what the parser said of the direction at the end of its last packet */
#define WL_L7_GAP_BODY 0x01 /* skipping an opaque body by length (body_left, skip_keep) */
#define WL_L7_GAP_OPEN 0x02 /* its open message can be resumed after lost bytes */

/*
 * Opting in to gap absorption: a parser calls this at the end of its walk over each packet,
 * with skipping set when the direction is left skipping an opaque body by length (d->body_left,
 * nothing of it read but its last `keep` bytes). Bytes then missing before the next segment
 * that fall inside that body (a segment lost before the hook, or overtaken by a later one) are
 * counted as skipped by the engine instead of losing the message to a resync.
 */
static __always_inline void wl_l7_gap_mark(struct wl_l7_dir *d, int skipping, __u8 keep)
{
	d->skipping = skipping ? WL_L7_GAP_BODY : 0;
	d->skip_keep = keep;
}

/*
 * Opting in to resuming a message after lost bytes (after wl_l7_gap_mark): when bytes are
 * missing before the next segment (and not absorbed in a body), the message stays open, its
 * flags kept and its msg_bytes counting the missing bytes, and the parser finds the direction
 * in state WL_L7_GAPPED instead of WL_L7_RESYNC (e.g. a memcached multi-get reply goes on at its
 * next VALUE line).
 */
static __always_inline void wl_l7_gap_mark_open(struct wl_l7_dir *d, int resumable)
{
	if (resumable)
		d->skipping |= WL_L7_GAP_OPEN;
}

/* Requests answered by id (not in order): remember one... */
static __always_inline void wl_aux_key_init(struct wl_l7_walk *w, struct wl_aux_key *k, __u8 kind,
					    __u32 id)
{
	__builtin_memcpy(&k->ckey, &w->s->job.ckey, sizeof(k->ckey));
	k->kind = kind;
	k->pad[0] = k->pad[1] = k->pad[2] = 0;
	k->id = id;
}

static __always_inline void wl_pending_put(struct wl_l7_walk *w, __u32 id, __u16 cmd_id)
{
	struct wl_aux_key k;
	struct wl_aux_val v = {.ts_ns = wl_l7_now(w->s), .cmd_id = cmd_id};

	wl_aux_key_init(w, &k, WL_AUX_PENDING, id);
	bpf_map_update_elem(&wl_aux, &k, &v, BPF_ANY);
}

/* ... and take it back when its response starts. Returns WL_CMD_NONE when it is unknown. */
static __always_inline __u16 wl_pending_take(struct wl_l7_walk *w, __u32 id, __u64 *lat_ns)
{
	struct wl_aux_key k;
	struct wl_aux_val *v;
	__u64 now;
	__u16 cmd;

	wl_aux_key_init(w, &k, WL_AUX_PENDING, id);
	v = bpf_map_lookup_elem(&wl_aux, &k);
	if (!v)
		return WL_CMD_NONE;
	cmd = v->cmd_id;
	now = wl_l7_now(w->s);
	*lat_ns = now > v->ts_ns ? now - v->ts_ns : 0;
	bpf_map_delete_elem(&wl_aux, &k);
	return cmd;
}

/* A value kept per connection under (kind, id), e.g. a prepared statement's command. */
static __always_inline void wl_aux_set(struct wl_l7_walk *w, __u8 kind, __u32 id, __u16 cmd_id,
				       __u32 value)
{
	struct wl_aux_key k;
	struct wl_aux_val v = {.ts_ns = wl_l7_now(w->s), .value = value, .cmd_id = cmd_id};

	wl_aux_key_init(w, &k, kind, id);
	bpf_map_update_elem(&wl_aux, &k, &v, BPF_ANY);
}

static __always_inline struct wl_aux_val *wl_aux_get(struct wl_l7_walk *w, __u8 kind, __u32 id)
{
	struct wl_aux_key k;

	wl_aux_key_init(w, &k, kind, id);
	return bpf_map_lookup_elem(&wl_aux, &k);
}

#endif /* WL_PARSE_L7_H */
