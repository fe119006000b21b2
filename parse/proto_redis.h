/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Redis (RESP2, RESP3, inline commands). Both directions are resumable byte state machines:
 * a message may be cut anywhere by a segment boundary, bulk bodies of any size are skipped by
 * length without being read, and many messages in one packet are all walked.
 *  Requests:  *N\r\n $len\r\n CMD\r\n $len\r\n arg\r\n ...   or inline "PING\r\n"
 *  Responses: + - : _ # , ( lines, $ ! = bulks, * ~ > % | aggregates (nested, bounded depth)
 */
#ifndef WL_PARSE_PROTO_REDIS_H
#define WL_PARSE_PROTO_REDIS_H

#include "l7.h"
#include "chars.h"

#define WL_REDIS_NUM_MAX (1u << 30) /* larger lengths or counts are malformed */

enum wl_redis_req_state {
	RQ_IDLE = 0,
	RQ_ARRAY_LEN,
	RQ_BULK_START,
	RQ_BULK_LEN,
	RQ_BULK_BODY,
	RQ_INLINE_NAME,
	RQ_INLINE_REST,
	RQ_RESYNC = WL_L7_RESYNC,
};

enum wl_redis_resp_state {
	RS_IDLE = 0,
	RS_LINE,
	RS_LEN,
	RS_BODY,
	RS_RESYNC = WL_L7_RESYNC,
};

/* Redis' own wl_l7_dir.flags */
#define WL_REDIS_PUSH	   WL_DIR_P0 /* response: out-of-band push (>), not a reply */
#define WL_REDIS_ATTR	   WL_DIR_P1 /* response: attribute (|) preceding the reply */
#define WL_REDIS_NEG	   WL_DIR_P2 /* a negative number is being read */
#define WL_REDIS_AGG	   WL_DIR_P3 /* the number read is an aggregate count (else a bulk length) */
#define WL_REDIS_CONTAINER WL_DIR_P4 /* request: the command keeps its subcommand */
#define WL_REDIS_PAIRS	   WL_DIR_P4 /* response: aggregate of pairs (% map, | attribute) */

#define WL_REDIS_TX_MAX	 16   /* queued commands remembered per transaction */
#define WL_REDIS_TX_LOST 0xff /* tx_len: the transaction outgrew tx[]: not attributed */

/* Redis' own per-direction state, in wl_l7_dir.priv. */
struct wl_redis_dir {
	__u32 num;		  /* number being read (lengths, counts) */
	__u32 elems;		  /* request: array elements */
	__u32 elem_idx;		  /* request: element being read */
	__u32 stack[WL_NEST_MAX]; /* response: elements left per nesting level */
	__u8 depth;		  /* response: nesting level */
	__u8 name_len;
	__u8 sub_len;
	__u8 pad;
	union {
		struct {		       /* request side */
			char name[WL_CMD_LEN]; /* command name being captured */
			char sub[16];	       /* subcommand of a container command */
		};
		struct { /* response side: the transaction (MULTI ... EXEC) being answered */
			__u16 tx[WL_REDIS_TX_MAX]; /* commands answered +QUEUED, in order */
			__u8 tx_len;		   /* WL_REDIS_TX_LOST: more than tx[] holds */
			__u8 tx_exec;		   /* the reply being read is EXEC's */
			__u8 tx_elem;		   /* EXEC reply elements started so far */
			__u8 queued;		   /* bytes of "+QUEUED\r\n" matched so far */
		};
	};
};
_Static_assert(sizeof(struct wl_redis_dir) <= WL_L7_PRIV_MAX, "Redis state fits in priv");
#define RD(d) ((struct wl_redis_dir *)(d)->priv)

#define WL_REDIS_FAST_ARGS    16 /* elements of a command parsed whole (more: the piece path) */
#define WL_REDIS_SHAPE_CHUNKS 16 /* 8-byte pieces of a command's shape, a power of 2 */
#define WL_REDIS_SHAPE_HEAD   4	 /* of them for the array header, the name and its header */
#define WL_REDIS_SHAPE_RUN    16 /* commands of one shape taken per step */

/* Redis' own per-CPU working memory, in wl_l7_state.priv: for the whole-command fast path,
 * where the name lies in the window, and the last raw (not upper-cased) name resolved, so a
 * repeated command costs no case folding or lookup.
 * The shape of the last whole command of the packet: every byte of it but the bodies of its
 * arguments (the array and bulk headers, the name, the CRLFs), as up to WL_REDIS_SHAPE_CHUNKS
 * masked 8-byte pieces at offsets from its start. Those are all the bytes the whole-command
 * parser reads (a body is skipped by its length), so a command with the same bytes there is
 * the same command, of the same length, parsed the same way: it is taken in a few compares.
 * Only within one packet's walk; its bytes are wiped after it (no payload outlives the
 * packet). */
struct wl_redis_scratch {
	__u32 fast_name_pos;
	__u32 fast_name_len;
	__u64 raw_name[2];
	__u32 raw_len; /* 0: nothing cached */
	__u16 raw_id;
	__u16 raw_flags;
	__u8 raw_proto;	   /* WL_L7_REDIS: the cache is Redis' (the area is every protocol's) */
	__u8 shape_chunks; /* pieces of the shape */
	__u16 shape_len;   /* the command's bytes, 0: no shape */
	__u16 shape_id;
	__u16 fast_elems; /* elements of the command wl_redis_cmd_len measured last */
	/* where its bodies start and end (the CR after each), by element: window indexes */
	__u16 body_start[WL_REDIS_FAST_ARGS];
	__u16 body_end[WL_REDIS_FAST_ARGS];
	__u64 shape_val[WL_REDIS_SHAPE_CHUNKS];
	__u64 shape_mask[WL_REDIS_SHAPE_CHUNKS];
	__u8 shape_off[WL_REDIS_SHAPE_CHUNKS];
};
_Static_assert(sizeof(struct wl_redis_scratch) <= WL_L7_SCRATCH_PRIV, "Redis scratch fits");
#define RD_SCRATCH(s) ((struct wl_redis_scratch *)(s)->priv)

static __always_inline void wl_redis_req_reset(struct wl_l7_dir *d)
{
	__u64 *n = (__u64 *)RD(d)->name, *s = (__u64 *)RD(d)->sub;

	d->state = RQ_IDLE;
	d->flags &= WL_DIR_SEQ_VALID;
	d->msg_bytes = 0;
	RD(d)->num = 0;
	RD(d)->elems = 0;
	RD(d)->elem_idx = 0;
	RD(d)->name_len = 0;
	RD(d)->sub_len = 0;
	n[0] = n[1] = n[2] = 0;
	s[0] = s[1] = 0;
}

static __always_inline int wl_redis_malformed(struct wl_l7_walk *w, struct wl_l7_dir *d, int resp)
{
	w->cnt->l7_malformed++;
	if (resp) {
		RD(d)->depth = 0;
		d->flags &= WL_DIR_SEQ_VALID;
		d->state = RS_RESYNC;
	} else {
		wl_redis_req_reset(d);
		d->state = RQ_RESYNC;
	}
	return 1;
}

/* Reads a decimal digit into RD(d)->num. Returns -1 when the number grows absurd. */
static __always_inline int wl_redis_digit(struct wl_l7_dir *d, __u8 c)
{
	RD(d)->num = RD(d)->num * 10 + (c - '0');
	return RD(d)->num > WL_REDIS_NUM_MAX ? -1 : 0;
}

/* The byte of "+QUEUED\r\n" at index at (1..8). */
static __always_inline __u8 wl_redis_queued_at(__u32 at)
{
	/* "+QUEUED\r" as a little-endian u64, then '\n': no constant array in .rodata */
	const __u64 q = 0x0D4445554555512Bull;

	return at < 8 ? (__u8)(q >> ((at & 7) * 8)) : '\n';
}

/* ---- requests ---- */

static __always_inline void wl_redis_req_done(struct wl_l7_walk *w, struct wl_l7_dir *d)
{
	__u16 id = d->cur_id, flags;

	if (d->state == RQ_INLINE_NAME || d->state == RQ_INLINE_REST)
		id = wl_cmd_lookup(w, RD(d)->name, &flags);
	if ((d->flags & WL_REDIS_CONTAINER) && RD(d)->sub_len) {
		/* "CONFIG" + "GET" -> "CONFIG|GET", built in place when it fits */
		__u32 n = RD(d)->name_len, s = RD(d)->sub_len;

		if (n < WL_CMD_LEN && n + 1 + s < WL_CMD_LEN) {
			RD(d)->name[n] = '|';
			for (__u32 j = 0; j < sizeof(RD(d)->sub); j++) {
				__u32 at = n + 1 + j;

				if (j >= s || at >= WL_CMD_LEN)
					break;
				RD(d)->name[at] = RD(d)->sub[j];
			}
			__u16 sub_id = wl_cmd_lookup(w, RD(d)->name, &flags);

			if (sub_id != WL_CMD_OTHER)
				id = sub_id;
		}
	}
	wl_emit_request(w, id, d->msg_bytes);
	wl_redis_req_reset(d);
}

/* The bulk string element elem_idx is complete. */
static __always_inline void wl_redis_req_elem_done(struct wl_l7_walk *w, struct wl_l7_dir *d)
{
	if (RD(d)->elem_idx == 0) {
		__u16 flags = 0;

		d->cur_id = wl_cmd_lookup(w, RD(d)->name, &flags);
		if (flags & WL_CMD_F_CONTAINER)
			d->flags |= WL_REDIS_CONTAINER;
	}
	RD(d)->elem_idx++;
	if (RD(d)->elem_idx >= RD(d)->elems)
		w->s->done = 1;
	else
		d->state = RQ_BULK_START;
}

static __always_inline int wl_redis_capturing(const struct wl_l7_dir *d)
{
	if (d->body_left <= 2)
		return 1; /* the CRLF: walked byte by byte to find the element's end */
	if (RD(d)->elem_idx == 0)
		return RD(d)->name_len < WL_CMD_LEN - 1;
	if (RD(d)->elem_idx == 1 && (d->flags & WL_REDIS_CONTAINER))
		return RD(d)->sub_len < sizeof(RD(d)->sub) - 1;
	return 0;
}

/* One request byte (already counted in msg_bytes). Returns 1 to end the step. */
static __always_inline int wl_redis_req_byte(struct wl_l7_walk *w, struct wl_l7_dir *d, __u8 c)
{
	switch (d->state) {
	case RQ_IDLE:
		if (c == '*') {
			d->state = RQ_ARRAY_LEN;
			RD(d)->num = 0;
			return 0;
		}
		if (c == '\r' || c == '\n' || c == ' ') {
			d->msg_bytes = 0; /* blank lines between commands */
			return 0;
		}
		if (wl_char_is_alpha(c)) {
			RD(d)->name[0] = wl_upper(c);
			RD(d)->name_len = 1;
			d->state = RQ_INLINE_NAME;
			return 0;
		}
		return wl_redis_malformed(w, d, 0);
	case RQ_ARRAY_LEN:
	case RQ_BULK_LEN:
		if (wl_char_is_digit(c))
			return wl_redis_digit(d, c) ? wl_redis_malformed(w, d, 0) : 0;
		if (c == '\r')
			return 0;
		if (c != '\n')
			return wl_redis_malformed(w, d, 0);
		if (d->state == RQ_ARRAY_LEN) {
			if (RD(d)->num == 0) { /* "*0": nothing to run */
				wl_redis_req_reset(d);
				return 0;
			}
			RD(d)->elems = RD(d)->num;
			RD(d)->elem_idx = 0;
			d->state = RQ_BULK_START;
			return 0;
		}
		d->body_left = RD(d)->num + 2;
		d->state = RQ_BULK_BODY;
		return 1;
	case RQ_BULK_START:
		if (c != '$')
			return wl_redis_malformed(w, d, 0);
		RD(d)->num = 0;
		d->state = RQ_BULK_LEN;
		return 0;
	case RQ_BULK_BODY:
		if (d->body_left > 2) {
			if (RD(d)->elem_idx == 0 && RD(d)->name_len < WL_CMD_LEN - 1)
				RD(d)->name[RD(d)->name_len++ & 31] = wl_upper(c);
			else if (RD(d)->elem_idx == 1 && RD(d)->sub_len < sizeof(RD(d)->sub) - 1)
				RD(d)->sub[RD(d)->sub_len++ & 15] = wl_upper(c);
		}
		d->body_left--;
		if (d->body_left == 0) {
			if (c != '\n')
				return wl_redis_malformed(w, d, 0);
			wl_redis_req_elem_done(w, d);
			return 1;
		}
		return 0;
	case RQ_INLINE_NAME:
		if (c == '\n') {
			w->s->done = 1;
			return 1;
		}
		if (c == ' ' || c == '\t' || c == '\r') {
			d->state = RQ_INLINE_REST;
			return 0;
		}
		if (RD(d)->name_len < WL_CMD_LEN - 1)
			RD(d)->name[RD(d)->name_len++ & 31] = wl_upper(c);
		return 0;
	case RQ_INLINE_REST:
		if (c == '\n') {
			w->s->done = 1;
			return 1;
		}
		return 0;
	default:
		return 1;
	}
}

/* ---- responses ---- */

/*
 * Transactions. Redis counts a queued command when EXEC runs it: a failure inside EXEC is that
 * command's failed call, and a command never run (DISCARD, EXECABORT, a WATCH that aborts EXEC)
 * is no call at all. The response side remembers the commands answered +QUEUED and settles
 * them against EXEC's reply, element by element.
 */
static __always_inline __u16 wl_redis_id_of(struct wl_l7_walk *w, __u64 name)
{
	char n[WL_CMD_LEN] = {};
	__u16 flags;

	*(__u64 *)n = name;
	return wl_cmd_lookup(w, n, &flags);
}

/* Adds to (or, negative, takes back from) a command's counts outside the runs. */
static __always_inline void wl_redis_tx_adjust(struct wl_l7_walk *w, __u16 id, int calls,
					       int errors)
{
	struct wl_cmd_stats *st;

	if (id == WL_CMD_NONE)
		return;
	st = wl_cmd_stats_get(w, id);
	if (!st)
		return;
	st->requests += calls;
	st->responses += calls;
	st->errors += errors;
}

/* A reply starts at depth 0 for command cur_id. */
static __always_inline void wl_redis_tx_reply_start(struct wl_l7_walk *w, struct wl_l7_dir *d,
						    __u8 c)
{
	struct wl_redis_dir *r = RD(d);

	r->queued = c == '+' ? 1 : 0;
	r->tx_exec = 0;
	if (!r->tx_len || d->cur_id == WL_CMD_NONE)
		return;
	if (d->cur_id == wl_redis_id_of(w, 0x43455845 /* "EXEC" */)) {
		r->tx_exec = 1;
		r->tx_elem = 0;
	} else if (d->cur_id == wl_redis_id_of(w, 0x44524143534944ull /* "DISCARD" */)) {
		r->tx_exec = 1; /* settled at its end like an EXEC that ran nothing */
		r->tx_elem = 0;
		r->queued = 0;
	}
}

/* EXEC's reply element tx_elem starts with byte c. */
static __always_inline void wl_redis_tx_elem(struct wl_l7_walk *w, struct wl_redis_dir *r, __u8 c)
{
	__u32 i = r->tx_elem;

	if (r->tx_len != WL_REDIS_TX_LOST && i < r->tx_len && i < WL_REDIS_TX_MAX &&
	    (c == '-' || c == '!'))
		wl_redis_tx_adjust(w, r->tx[i & (WL_REDIS_TX_MAX - 1)], 0, 1);
	if (r->tx_elem < 0xff)
		r->tx_elem++;
}

/* A reply ended at depth 0. */
static __always_inline void wl_redis_tx_reply_end(struct wl_l7_walk *w, struct wl_l7_dir *d)
{
	struct wl_redis_dir *r = RD(d);

	if (r->tx_exec) {
		/* queued commands EXEC did not run (none when it was aborted or discarded) */
		if (r->tx_len != WL_REDIS_TX_LOST) {
			for (__u32 i = 0; i < WL_REDIS_TX_MAX; i++) {
				if (i >= r->tx_len)
					break;
				if (i >= r->tx_elem)
					wl_redis_tx_adjust(w, r->tx[i], -1, 0);
			}
		}
		r->tx_len = 0;
		r->tx_exec = 0;
	} else if (r->queued == 9 && d->cur_id != WL_CMD_NONE && r->tx_len != WL_REDIS_TX_LOST) {
		if (r->tx_len < WL_REDIS_TX_MAX)
			r->tx[r->tx_len++ & (WL_REDIS_TX_MAX - 1)] = d->cur_id;
		else
			r->tx_len = WL_REDIS_TX_LOST;
	}
	r->queued = 0;
}

/* Follows "+QUEUED\r\n" byte by byte (r->queued counts the bytes matched, '+' included). */
static __always_inline void wl_redis_tx_queued_byte(struct wl_redis_dir *r, __u8 c)
{
	__u32 at = r->queued;

	if (at && at < 9 && c == wl_redis_queued_at(at))
		r->queued++;
	else
		r->queued = 0;
}

static __always_inline void wl_redis_resp_value_done(struct wl_l7_walk *w, struct wl_l7_dir *d)
{
	d->state = RS_IDLE;
	for (int j = 0; j < WL_NEST_MAX; j++) {
		__u32 idx;

		if (RD(d)->depth == 0)
			break;
		idx = (RD(d)->depth - 1) & (WL_NEST_MAX - 1);
		if (RD(d)->stack[idx] > 1) {
			RD(d)->stack[idx]--;
			return;
		}
		RD(d)->stack[idx] = 0;
		RD(d)->depth--;
	}
	if (RD(d)->depth)
		return;
	if (d->flags & WL_REDIS_PUSH) {
		d->flags &= ~WL_REDIS_PUSH;
	} else if (d->flags & WL_REDIS_ATTR) {
		d->flags &= ~WL_REDIS_ATTR; /* the reply itself follows */
		return;
	} else {
		wl_emit_response(w, d->cur_id, d->msg_ts_ns, d->flags & WL_DIR_ERROR, 0,
				 d->msg_bytes);
		wl_redis_tx_reply_end(w, d);
	}
	d->flags &= WL_DIR_SEQ_VALID;
	d->msg_bytes = 0;
}

/* One response byte (already counted in msg_bytes). Returns 1 to end the step. */
static __always_inline int wl_redis_resp_byte(struct wl_l7_walk *w, struct wl_l7_dir *d, __u8 c)
{
	switch (d->state) {
	case RS_IDLE:
		if (RD(d)->depth == 0) {
			if (!(d->flags & (WL_DIR_STARTED | WL_REDIS_ATTR)))
				d->msg_bytes = 1;
			if (c == '>') {
				d->flags |= WL_REDIS_PUSH;
			} else if (c == '|') {
				d->flags |= WL_REDIS_ATTR;
			} else if (!(d->flags & WL_DIR_STARTED)) {
				__u64 lat = 0;

				d->flags |= WL_DIR_STARTED;
				d->cur_id = wl_fifo_pop(w, &lat);
				d->msg_ts_ns = lat;
				if (c == '-' || c == '!')
					d->flags |= WL_DIR_ERROR;
				wl_redis_tx_reply_start(w, d, c);
			}
		} else if (RD(d)->depth == 1 && RD(d)->tx_exec) {
			wl_redis_tx_elem(w, RD(d), c);
		}
		switch (c) {
		case '+':
		case '-':
		case ':':
		case '_':
		case '#':
		case ',':
		case '(':
			d->state = RS_LINE;
			return 0;
		case '$':
		case '!':
		case '=':
			d->flags &= ~(WL_REDIS_AGG | WL_REDIS_NEG | WL_REDIS_PAIRS);
			RD(d)->num = 0;
			d->state = RS_LEN;
			return 0;
		case '*':
		case '~':
		case '>':
		case '%':
		case '|':
			d->flags &= ~(WL_REDIS_NEG | WL_REDIS_PAIRS);
			d->flags |= WL_REDIS_AGG | ((c == '%' || c == '|') ? WL_REDIS_PAIRS : 0);
			RD(d)->num = 0;
			d->state = RS_LEN;
			return 0;
		default:
			return wl_redis_malformed(w, d, 1);
		}
	case RS_LINE:
		if (RD(d)->queued)
			wl_redis_tx_queued_byte(RD(d), c);
		if (c == '\n') {
			w->s->done = 1;
			return 1;
		}
		return 0;
	case RS_LEN:
		if (wl_char_is_digit(c))
			return wl_redis_digit(d, c) ? wl_redis_malformed(w, d, 1) : 0;
		if (c == '-' && RD(d)->num == 0) {
			d->flags |= WL_REDIS_NEG;
			return 0;
		}
		if (c == '?') /* RESP3 streamed aggregate: not produced by Redis itself */
			return wl_redis_malformed(w, d, 1);
		if (c == '\r')
			return 0;
		if (c != '\n')
			return wl_redis_malformed(w, d, 1);
		if (!(d->flags & WL_REDIS_AGG)) {
			if (d->flags & WL_REDIS_NEG) { /* $-1: null bulk */
				w->s->done = 1;
				return 1;
			}
			d->body_left = RD(d)->num + 2;
			d->state = RS_BODY;
			return 1;
		}
		if ((d->flags & WL_REDIS_NEG) || RD(d)->num == 0) { /* *-1, *0: empty */
			w->s->done = 1;
			return 1;
		}
		if (RD(d)->depth >= WL_NEST_MAX)
			return wl_redis_malformed(w, d, 1);
		RD(d)->stack[RD(d)->depth & (WL_NEST_MAX - 1)] =
			(d->flags & WL_REDIS_PAIRS) ? RD(d)->num * 2 : RD(d)->num;
		RD(d)->depth++;
		d->state = RS_IDLE;
		return 0;
	default:
		return 1;
	}
}

/* ---- fast paths: whole pieces that lie inside the window, in one step ---- */

#define WL_REDIS_FAST_PIECES 16 /* array headers and elements walked per request step */

/*
 * Parses "<digits>\r\n" at window index pos (below lim). Returns (index after the LF) << 32 |
 * number, or 0 when the number is not complete in the window or not well formed (the byte path
 * then decides). A global function: verified once, not once per call site and loop iteration.
 */
__noinline __u64 wl_redis_num_at(struct wl_l7_state *s, __u32 pos, __u32 lim)
{
	__u32 n = 0;

	if (!s)
		return 0;
	for (int k = 0; k < 11; k++) {
		__u32 i = pos + k;
		__u8 c;

		if (i + 1 >= lim)
			return 0;
		c = s->buf[i & (WL_L7_WINDOW - 1)];
		if (c == '\r') {
			if (k == 0 || s->buf[(i + 1) & (WL_L7_WINDOW - 1)] != '\n')
				return 0;
			return ((__u64)(i + 2) << 32) | n;
		}
		if (!wl_char_is_digit(c) || n > WL_REDIS_NUM_MAX / 10)
			return 0;
		n = n * 10 + (c - '0');
	}
	return 0;
}

/* Index after the next LF at or after window index pos (below lim), or 0 (not in the window). */
__noinline __u32 wl_redis_line_end(struct wl_l7_state *s, __u32 pos, __u32 lim)
{
	if (!s)
		return 0;
	for (int k = 0; k < WL_L7_WINDOW; k++) {
		__u32 i = pos + k;

		if (i >= lim)
			return 0;
		if (s->buf[i & (WL_L7_WINDOW - 1)] == '\n')
			return i + 1;
	}
	return 0;
}

/* A reply line continues with len bytes at window index pos, "+QUEUED\r\n" matched up to at so
 * far: returns 9 if the line is exactly "+QUEUED\r\n", else 0. */
static __always_inline __u8 wl_redis_queued_rest(struct wl_l7_state *s, __u32 pos, __u32 len,
						 __u32 at)
{
	if (at == 0 || at > 8 || len != 9 - at)
		return 0;
	for (__u32 k = 0; k < 8; k++) {
		if (at + k >= 9)
			break;
		if (s->buf[(pos + k) & (WL_L7_WINDOW - 1)] != wl_redis_queued_at(at + k))
			return 0;
	}
	return 9;
}

/* Copies an element's first bytes upper-cased into the command name (sub = 0) or the
 * subcommand (sub = 1), as much as the byte path would keep. */
__noinline int wl_redis_capture(struct wl_l7_state *s, __u32 pos, __u32 len, struct wl_redis_dir *r,
				int sub)
{
	__u32 j, max = sub ? sizeof(r->sub) - 1 : WL_CMD_LEN - 1;

	if (!s || !r)
		return 0;
	for (j = 0; j < WL_CMD_LEN - 1; j++) {
		__u8 c;

		if (j >= len || j >= max)
			break;
		c = wl_upper(s->buf[(pos + j) & (WL_L7_WINDOW - 1)]);
		if (sub)
			r->sub[j & 15] = c;
		else
			r->name[j] = c;
	}
	if (sub)
		r->sub_len = j;
	else
		r->name_len = j;
	return j;
}

/*
 * Requests at a command or element boundary: "*N\r\n" and "$len\r\n<body>\r\n" pieces that lie
 * in the window are consumed whole, leaving exactly the state the byte path would. A body that
 * runs past the window is handed to the body skip (state RQ_BULK_BODY). Returns 1 on progress.
 */
static __always_inline int wl_redis_req_fast(struct wl_l7_walk *w, struct wl_l7_dir *d)
{
	struct wl_l7_state *s = w->s;
	struct wl_redis_dir *r = RD(d);
	__u32 pos, lim, num = 0, next, end;
	int progress = 0;
	__u64 nn;

	lim = wl_win_span(w, 64, &pos);
	if (!lim)
		return 0;
	for (int p = 0; p < WL_REDIS_FAST_PIECES; p++) {
		int elem = 0;

		if (d->state == RQ_IDLE) {
			if (pos + 4 > lim || s->buf[pos & (WL_L7_WINDOW - 1)] != '*')
				break;
			nn = wl_redis_num_at(s, pos + 1, lim);
			next = nn >> 32;
			num = (__u32)nn;
			if (!next || num == 0)
				break;
			r->elems = num;
			r->elem_idx = 0;
			d->state = RQ_BULK_START;
		} else if (d->state == RQ_BULK_START) {
			int capture_name, capture_sub;

			if (pos + 4 > lim || s->buf[pos & (WL_L7_WINDOW - 1)] != '$')
				break;
			nn = wl_redis_num_at(s, pos + 1, lim);
			next = nn >> 32;
			num = (__u32)nn;
			if (!next)
				break;
			end = next + num + 2;
			capture_name = r->elem_idx == 0;
			capture_sub = r->elem_idx == 1 && (d->flags & WL_REDIS_CONTAINER);
			if (end > lim) {
				if (capture_name || capture_sub)
					break; /* the byte path captures what the window lacks */
				d->body_left = num + 2;
				d->state = RQ_BULK_BODY;
				d->msg_bytes += next - pos;
				s->off += next - pos;
				return 1;
			}
			if (s->buf[(end - 2) & (WL_L7_WINDOW - 1)] != '\r' ||
			    s->buf[(end - 1) & (WL_L7_WINDOW - 1)] != '\n')
				break; /* malformed: the byte path counts it */
			if (capture_name)
				wl_redis_capture(s, next, num, r, 0);
			else if (capture_sub)
				wl_redis_capture(s, next, num, r, 1);
			next = end;
			elem = 1;
		} else {
			break;
		}
		d->msg_bytes += next - pos;
		s->off += next - pos;
		pos = next;
		progress = 1;
		if (elem) {
			s->done = 0;
			wl_redis_req_elem_done(w, d);
			if (s->done)
				wl_redis_req_done(w, d);
			s->done = 0;
		}
	}
	return progress;
}

/*
 * Responses: after the byte path took a value's first byte, the rest of a simple line
 * ("+OK\r\n", "-ERR ...\r\n", ":1\r\n") or of a bulk length ("$5\r\n") is consumed in the same
 * step when the window holds it. Returns 1 on progress.
 */
static __always_inline int wl_redis_resp_fast(struct wl_l7_walk *w, struct wl_l7_dir *d)
{
	struct wl_l7_state *s = w->s;
	__u32 pos, lim, next;
	__u64 nn;

	lim = wl_win_span(w, 0, &pos);
	if (!lim)
		return 0;
	if (d->state == RS_LINE) {
		next = wl_redis_line_end(s, pos, lim);
		if (!next)
			return 0;
		if (RD(d)->queued)
			RD(d)->queued = wl_redis_queued_rest(s, pos, next - pos, RD(d)->queued);
		s->done = 1;
	} else if (d->state == RS_LEN && !(d->flags & (WL_REDIS_AGG | WL_REDIS_NEG))) {
		nn = wl_redis_num_at(s, pos, lim);
		next = nn >> 32;
		if (!next)
			return 0;
		d->body_left = (__u32)nn + 2;
		d->state = RS_BODY;
	} else {
		return 0;
	}
	d->msg_bytes += next - pos;
	s->off += next - pos;
	return 1;
}

/* ---- fastest path: whole commands inside the window ---- */

#define WL_REDIS_FAST_CMDS 32 /* commands per step */

static __always_inline __u8 wl_redis_buf(const struct wl_l7_state *s, __u32 i)
{
	return s->buf[i & (WL_L7_WINDOW - 1)];
}

/*
 * One bulk string "$len\r\n<len bytes>\r\n" at window index p, wholly below lim (and so shorter
 * than the window: at most 3 length digits): returns the index after it | the length of its
 * "$len\r\n" << 16, or 0. A global function: verified once, called per element.
 */
__noinline __u32 wl_redis_bulk_at(struct wl_l7_state *s, __u32 p, __u32 lim)
{
	const __u8 *b, *e;
	__u32 d0, d1, d2, len, hdr, end;

	if (!s || lim > WL_L7_WINDOW || p + 4 > lim)
		return 0;
	/* one masked base, then constant offsets (the scratch has room past the window; bytes at
	 * or past lim only matter when the end check below fails) */
	b = &s->buf[p & (WL_L7_WINDOW - 1)];
	if (b[0] != '$')
		return 0;
	d0 = b[1] - '0';
	d1 = b[2] - '0';
	d2 = b[3] - '0';
	if (d0 > 9)
		return 0;
	if (d1 > 9) {
		len = d0;
		hdr = 4;
	} else if (d2 > 9) {
		len = d0 * 10 + d1;
		hdr = 5;
	} else {
		len = d0 * 100 + d1 * 10 + d2;
		hdr = 6;
	}
	end = p + hdr + len;
	if (end + 2 > lim)
		return 0;
	e = &s->buf[(p + hdr - 2) & (WL_L7_WINDOW - 1)];
	if (e[0] != '\r' || e[1] != '\n')
		return 0;
	e = &s->buf[end & (WL_L7_WINDOW - 1)];
	if (e[0] != '\r' || e[1] != '\n')
		return 0;
	return (end + 2) | (hdr << 16);
}

/*
 * The length of the whole request at window index pos when every byte of it lies below lim
 * and it is a well-formed array of at most WL_REDIS_FAST_ARGS bulk strings; 0 otherwise (the
 * piece and byte paths then take it, malformed input included). The first element's window
 * index and length go to the scratch (fast_name_pos/len). Global: verified once.
 */
__noinline __u32 wl_redis_cmd_len(struct wl_l7_state *s, __u32 pos, __u32 lim)
{
	struct wl_redis_scratch *rs;
	__u32 n, p, r;

	if (!s || lim > WL_L7_WINDOW || pos + 4 > lim || wl_redis_buf(s, pos) != '*')
		return 0;
	rs = RD_SCRATCH(s);
	n = wl_redis_buf(s, pos + 1) - '0';
	if (n > 9)
		return 0;
	p = pos + 2;
	if (wl_redis_buf(s, p) != '\r') {
		__u32 d2 = wl_redis_buf(s, p) - '0';

		if (d2 > 9)
			return 0;
		n = n * 10 + d2;
		p++;
	}
	if (n == 0 || n > WL_REDIS_FAST_ARGS || p + 2 > lim || wl_redis_buf(s, p) != '\r' ||
	    wl_redis_buf(s, p + 1) != '\n')
		return 0;
	p += 2;
	r = wl_redis_bulk_at(s, p, lim);
	if (!r)
		return 0;
	rs->fast_name_pos = p + (r >> 16);
	rs->fast_name_len = (r & 0xffff) - 2 - rs->fast_name_pos;
	rs->body_start[0] = p + (r >> 16);
	rs->body_end[0] = (r & 0xffff) - 2;
	p = r & 0xffff;
	for (__u32 e = 1; e < WL_REDIS_FAST_ARGS; e++) {
		if (e >= n)
			break;
		r = wl_redis_bulk_at(s, p, lim);
		if (!r)
			return 0;
		rs->body_start[e] = p + (r >> 16);
		rs->body_end[e] = (r & 0xffff) - 2;
		p = r & 0xffff;
	}
	rs->fast_elems = n;
	return p - pos;
}

/* Piece k of the shape: the c (0..8) bytes at window index off, pos the command's start. */
static __always_inline void wl_redis_shape_piece(struct wl_l7_state *s, struct wl_redis_scratch *rs,
						 __u32 k, __u32 off, __u32 c, __u32 pos)
{
	/* the low c bytes (c = 8: all; shifted twice, never by 64) */
	__u64 m = ((1ull << (c * 4)) << (c * 4)) - 1;

	k &= WL_REDIS_SHAPE_CHUNKS - 1;
	rs->shape_off[k] = off - pos;
	rs->shape_mask[k] = m;
	rs->shape_val[k] = wl_ld64(&s->buf[off & (WL_L7_WINDOW - 1)]) & m;
}

/*
 * The shape (struct wl_redis_scratch) of the whole command of len bytes at window index pos that
 * wl_redis_cmd_len just measured, named id, when more payload follows it: the array header, the
 * name's header and the name in up to WL_REDIS_SHAPE_HEAD pieces, then what follows each element's
 * body (its CRLF and the next element's header, at most "\r\n$999\r\n") in one piece each.
 * Returns 1 when the command has one. Global: verified once.
 */
__noinline int wl_redis_shape_build(struct wl_l7_state *s, __u32 pos, __u32 len, __u32 id)
{
	struct wl_redis_scratch *rs;
	__u32 n, head, h;

	if (!s)
		return 0;
	rs = RD_SCRATCH(s);
	rs->shape_len = 0;
	n = rs->fast_elems;
	if (s->off + len >= s->end || pos + len > WL_L7_WINDOW || n == 0 ||
	    n > WL_REDIS_SHAPE_CHUNKS - WL_REDIS_SHAPE_HEAD)
		return 0;
	head = rs->body_end[0] - pos;
	if (head > 8 * WL_REDIS_SHAPE_HEAD)
		return 0; /* a long name */
	for (h = 0; h < WL_REDIS_SHAPE_HEAD; h++) {
		__u32 c = head - 8 * h;

		if (8 * h >= head)
			break;
		wl_redis_shape_piece(s, rs, h, pos + 8 * h, c > 8 ? 8 : c, pos);
	}
	for (__u32 e = 0; e < WL_REDIS_SHAPE_CHUNKS - WL_REDIS_SHAPE_HEAD; e++) {
		__u32 start, stop;

		if (e >= n)
			break;
		start = rs->body_end[e & (WL_REDIS_FAST_ARGS - 1)];
		stop = e + 1 < n ? rs->body_start[(e + 1) & (WL_REDIS_FAST_ARGS - 1)] : start + 2;
		if (stop < start || stop - start > 8)
			return 0; /* never: at most "\r\n$999\r\n" */
		wl_redis_shape_piece(s, rs, h + e, start, stop - start, pos);
	}
	rs->shape_chunks = h + n;
	rs->shape_id = id;
	rs->shape_len = len;
	return 1;
}

/* Does the command at window index pos (bytes below lim) have the shape? Returns its length,
 * or 0. Global: verified once. */
__noinline __u32 wl_redis_shape_at(struct wl_l7_state *s, __u32 pos, __u32 lim)
{
	struct wl_redis_scratch *rs;
	__u32 len, n;
	__u64 diff = 0;

	if (!s)
		return 0;
	rs = RD_SCRATCH(s);
	len = rs->shape_len;
	if (!len || lim > WL_L7_WINDOW || pos + len > lim)
		return 0;
	n = rs->shape_chunks;
	for (__u32 k = 0; k < WL_REDIS_SHAPE_CHUNKS; k++) {
		__u64 v;

		if (k >= n)
			break;
		v = wl_ld64(&s->buf[(pos + rs->shape_off[k]) & (WL_L7_WINDOW - 1)]);
		diff |= (v ^ rs->shape_val[k]) & rs->shape_mask[k];
	}
	return diff ? 0 : len;
}

/* 8 window bytes from index i, little-endian (the scratch has room past the window). */
static __always_inline __u64 wl_redis_u64(const struct wl_l7_state *s, __u32 i)
{
	return *(const __u64 *)&s->buf[i & (WL_L7_WINDOW - 1)];
}

/* The command named by the len bytes at window index pos: the last raw name again costs two
 * compares; else upper-cased, looked up and remembered. */
static __always_inline __u16 wl_redis_fast_id(struct wl_l7_walk *w, struct wl_l7_dir *d, __u32 pos,
					      __u32 len, __u16 *flags)
{
	struct wl_l7_state *s = w->s;
	struct wl_redis_scratch *rs = RD_SCRATCH(s);
	__u64 n0 = 0, n1 = 0;
	__u16 id;

	if (len && len <= 16) {
		n0 = wl_redis_u64(s, pos);
		n1 = wl_redis_u64(s, pos + 8);
		if (len < 8) {
			n0 &= (1ull << (len * 8)) - 1;
			n1 = 0;
		} else if (len < 16) {
			n1 &= (1ull << ((len - 8) * 8)) - 1;
		}
		if (rs->raw_len == len && rs->raw_proto == WL_L7_REDIS && rs->raw_name[0] == n0 &&
		    rs->raw_name[1] == n1) {
			*flags = rs->raw_flags;
			return rs->raw_id;
		}
	}
	wl_redis_capture(s, pos, len, RD(d), 0);
	id = wl_cmd_lookup(w, RD(d)->name, flags);
	wl_redis_req_reset(d);
	/* only a name of the table is remembered across packets: an unknown one is payload */
	if (len && len <= 16 && id != WL_CMD_OTHER) {
		rs->raw_name[0] = n0;
		rs->raw_name[1] = n1;
		rs->raw_len = len;
		rs->raw_id = id;
		rs->raw_flags = *flags;
		rs->raw_proto = WL_L7_REDIS;
	}
	return id;
}

/* n messages of len bytes taken from s->off. Returns 1 (stop) at the payload's end. */
static __always_inline int wl_redis_took(struct wl_l7_state *s, __u32 n, __u32 len)
{
	s->off += n * len;
	s->done += n;
	return s->off >= s->end;
}

/* The bpf_loop callback cb of a whole-message step fn (a global function of the walk's
 * connection). */
#define WL_REDIS_WHOLE_CB(cb, fn)                                                                  \
	static long cb(__u32 i, void *arg)                                                         \
	{                                                                                          \
		struct wl_l7_walk *w = arg;                                                        \
                                                                                                   \
		return fn(w->ctx, w->conn) ? 1 : 0;                                                \
	}

/*
 * At a command boundary: a whole command in the window, one per call of the bpf_loop callback
 * below; the window starts at the command when it is cut by the window's end. A command with
 * the shape of the one before is taken in a few compares. Container commands go to the piece
 * path (their subcommand). Returns 1 to stop; s->done counts the commands taken. A global
 * function: verified once, not once per state of the walk that runs the loop.
 */
__noinline int wl_redis_cmd_whole_g(wl_ctx_t *ctx, struct wl_conn *conn)
{
	__u32 avail, pos, lim, len, n;
	struct wl_l7_state *s;
	struct wl_l7_run *run;
	struct wl_l7_walk w;
	struct wl_l7_dir *d;
	__u16 id, flags;

	if (!wl_l7_walk_g(&w, ctx, conn, 0))
		return 1;
	s = w.s;
	d = w.d;
	lim = wl_win_span(&w, 0, &pos);
	if (!lim)
		return 1;
	len = wl_redis_shape_at(s, pos, lim);
	if (len)
		goto same; /* the shape of the command before */
	len = RD_SCRATCH(s)->shape_len;
	if (len && pos + len > lim && s->win_off + s->win_len < s->end)
		goto restart; /* cut by the window's end */
	len = wl_redis_cmd_len(s, pos, lim);
	if (!len) {
	restart:
		avail = wl_win_restart(&w);
		if (!avail)
			return 1;
		pos = 0;
		lim = avail;
		len = wl_redis_shape_at(s, 0, lim);
		if (len)
			goto same;
		len = wl_redis_cmd_len(s, 0, lim);
		if (!len)
			return 1;
	}
	id = wl_redis_fast_id(&w, d, RD_SCRATCH(s)->fast_name_pos, RD_SCRATCH(s)->fast_name_len,
			      &flags);
	if (flags & WL_CMD_F_CONTAINER)
		return 1;
	/* more follows: the next command may have this one's shape */
	if (s->off + len < s->end)
		wl_redis_shape_build(s, pos, len, id);
	else
		RD_SCRATCH(s)->shape_len = 0;
	goto take;
take:
	wl_emit_request(&w, id, len);
	return wl_redis_took(s, 1, len);
same:
	/* and the commands after it that have the shape too (an L7 rule sees each request: one
	 * by one then): one run */
	id = RD_SCRATCH(s)->shape_id;
	n = 1;
	for (__u32 j = 1; j < WL_REDIS_SHAPE_RUN; j++) {
		if (s->job.rules_on || !wl_redis_shape_at(s, pos + n * len, lim))
			break;
		n++;
	}
	wl_l7_rule_check(s, id);
	run = wl_l7_req_run(&w, id);
	if (run->count + n > 0xffff) {
		wl_l7_flush_g(w.conn, 0);
		run->id = id;
	}
	run->count += n;
	run->bytes += n * len;
	return wl_redis_took(s, n, len);
}

WL_REDIS_WHOLE_CB(wl_redis_cmd_whole, wl_redis_cmd_whole_g)

/* Runs a whole-message callback (one message a call) over the window. Returns 1 when it took
 * any. */
static __always_inline int wl_redis_whole(struct wl_l7_walk *w, void *callback)
{
	struct wl_redis_scratch *rs = RD_SCRATCH(w->s);

	w->s->done = 0;
	rs->shape_len = 0;
	bpf_loop(WL_REDIS_FAST_CMDS, callback, w, 0);
	if (rs->shape_len) {
		/* the shape's bytes are the packet's: wiped with it */
		rs->shape_len = 0;
		__builtin_memset(rs->shape_val, 0, sizeof(rs->shape_val));
	}
	if (!w->s->done)
		return 0;
	w->s->done = 0;
	return 1;
}

/*
 * Replies at a reply boundary outside transactions: a whole simple line ("+OK", "-ERR ...",
 * ":1") or bulk string ("$3\r\nabc\r\n", "$-1\r\n") in the window is matched to its request and
 * counted in one go, with the same replies right after it (the same bytes, up to 16 of them)
 * that the FIFO's head run answers: one run, one latency, as one by one. Anything else
 * (aggregates, RESP3 types, "+QUEUED", a reply cut by the payload's end) is left to the byte
 * path. Returns 1 to stop; s->done counts the replies taken. A global function run by the
 * bpf_loop callback below: verified once, not once per state of the walk.
 */
__noinline int wl_redis_reply_whole_g(wl_ctx_t *ctx, struct wl_conn *conn)
{
	__u32 avail, pos, lim, next, len, n = 1;
	struct wl_l7_state *s;
	struct wl_l7_run *run;
	struct wl_l7_walk w;
	__u64 m0, m1, v0, v1;
	const __u8 *b;
	__u16 id;
	__u8 c0;

	if (!wl_l7_walk_g(&w, ctx, conn, 1))
		return 1;
	s = w.s;
	lim = wl_win_span(&w, 0, &pos);
	if (!lim)
		return 1;
	if (pos + 4 > lim || pos + 64 > WL_L7_WINDOW) {
		/* near the window's end: start the window here when the payload goes on */
		avail = wl_win_restart(&w);
		if (avail < 4)
			return 1;
		pos = 0;
		lim = avail;
	}
	b = &s->buf[pos & (WL_L7_WINDOW - 1)];
	c0 = b[0];
	if (c0 == '$' && b[1] == '-')
		next = b[2] == '1' ? wl_redis_line_end(s, pos + 3, lim) : 0;
	else if (c0 == '$')
		next = wl_redis_bulk_at(s, pos, lim) & 0xffff;
	else if (c0 == '+' || c0 == '-' || c0 == ':')
		next = wl_redis_line_end(s, pos + 1, lim);
	else
		return 1;
	if (next <= pos || next > lim)
		return 1;
	len = next - pos;
	/* "+QUEUED\r\n" opens a transaction's bookkeeping: the byte path */
	if (c0 == '+' && wl_redis_queued_rest(s, pos + 1, len - 1, 1))
		return 1;
	/* the same reply again (at most 16 bytes): taken with it, bytes compared */
	if (len <= 16 && next + len <= lim) {
		m0 = len >= 8 ? ~0ull : ((1ull << (len * 4)) << (len * 4)) - 1;
		m1 = len <= 8 ? 0 : ((1ull << ((len - 8) * 4)) << ((len - 8) * 4)) - 1;
		v0 = wl_ld64(b) & m0;
		v1 = wl_ld64(b + 8) & m1;
		for (__u32 j = 1; j < WL_REDIS_SHAPE_RUN; j++) {
			__u32 p = pos + n * len;

			if (p + len > lim || p + len > WL_L7_WINDOW)
				break;
			b = &s->buf[p & (WL_L7_WINDOW - 1)];
			if (((wl_ld64(b) ^ v0) & m0) || ((wl_ld64(b + 8) ^ v1) & m1))
				break;
			n++;
		}
	}
	/* their requests: as many as the FIFO's head run has (one latency) */
	id = wl_fifo_pop_n_g(w.conn, s, n);
	n = s->fifo_n;
	if (n > WL_REDIS_SHAPE_RUN)
		n = 1; /* never */
	if (id == WL_CMD_NONE || id == WL_FIFO_LOST) {
		w.cnt->l7_unmatched += n;
	} else {
		run = wl_l7_resp_run(&w, id, s->fifo_lat);
		if (run) {
			run->count += n;
			run->errors += c0 == '-' ? n : 0;
			run->bytes += n * len;
		}
	}
	return wl_redis_took(s, n, len);
}

WL_REDIS_WHOLE_CB(wl_redis_reply_whole, wl_redis_reply_whole_g)

static __always_inline int wl_redis_resp_whole(struct wl_l7_walk *w, struct wl_l7_dir *d)
{
	if (RD(d)->depth || RD(d)->tx_len ||
	    (d->flags & (WL_DIR_STARTED | WL_REDIS_ATTR | WL_REDIS_PUSH)))
		return 0;
	return wl_redis_whole(w, wl_redis_reply_whole);
}

/* One request step: skip a body by length, or walk one header byte. Returns 1 (stop) at the
 * end of the payload. Requests and responses have separate steps so that the verifier walks
 * each state machine on its own. */
static long wl_redis_req_step(__u32 i, void *arg)
{
	struct wl_l7_walk *w = arg;
	struct wl_l7_state *s = w->s;
	struct wl_l7_dir *d = w->d;
	__u8 c;

	if (d->state == RQ_BULK_BODY && !wl_redis_capturing(d)) {
		wl_l7_body_skip_to(w, d, 2); /* the CRLF is walked byte by byte */
		return s->off >= s->end;
	}
	if (d->state == RQ_RESYNC || !wl_win_avail(w))
		return 1;
	if (d->state == RQ_IDLE && d->msg_bytes == 0 && wl_redis_whole(w, wl_redis_cmd_whole))
		return s->off >= s->end;
	if ((d->state == RQ_IDLE || d->state == RQ_BULK_START) && wl_redis_req_fast(w, d))
		return s->off >= s->end;
	c = wl_win_byte(w);
	s->off++;
	d->msg_bytes++;
	s->done = 0;
	wl_redis_req_byte(w, d, c);
	if (s->done)
		wl_redis_req_done(w, d);
	return s->off >= s->end;
}

static long wl_redis_resp_step(__u32 i, void *arg)
{
	struct wl_l7_walk *w = arg;
	struct wl_l7_state *s = w->s;
	struct wl_l7_dir *d = w->d;
	__u8 c;

	s->done = 0;
	if (d->state == RS_BODY) {
		if (wl_l7_body_skip(w, d))
			s->done = 1;
	} else {
		if (d->state == RS_RESYNC || !wl_win_avail(w))
			return 1;
		if (d->state == RS_IDLE && wl_redis_resp_whole(w, d))
			return s->off >= s->end;
		__u8 was = d->state;

		c = wl_win_byte(w);
		s->off++;
		d->msg_bytes++;
		wl_redis_resp_byte(w, d, c);
		/* the rest of a line, or a length right after its type byte (a length whose first
		 * digits came in an earlier segment continues byte by byte: they are in num) */
		if (!s->done && (d->state == RS_LINE || (d->state == RS_LEN && was == RS_IDLE)))
			wl_redis_resp_fast(w, d);
	}
	if (s->done)
		wl_redis_resp_value_done(w, d);
	return s->off >= s->end;
}

/* A segment may restart a stream that lost sync if it begins like a message. */
static __always_inline void wl_redis_resync(struct wl_l7_walk *w, struct wl_l7_dir *d)
{
	__u8 c;

	if (d->state != (w->s->job.dir ? RS_RESYNC : RQ_RESYNC))
		return;
	if (!wl_win_avail(w))
		return;
	c = wl_win_byte(w);
	if (w->s->job.dir) {
		if (c == '+' || c == '-' || c == ':' || c == '$' || c == '*' || c == '%' ||
		    c == '_' || c == '#' || c == ',' || c == '(' || c == '!' || c == '=' ||
		    c == '~' || c == '>') {
			d->state = RS_IDLE;
			RD(d)->depth = 0;
			d->flags &= WL_DIR_SEQ_VALID;
		}
	} else if (c == '*') {
		wl_redis_req_reset(d);
	}
	if (d->state == (w->s->job.dir ? RS_RESYNC : RQ_RESYNC))
		w->cnt->l7_resync_skip++;
}

static __always_inline void wl_redis_parse(struct wl_l7_walk *w)
{
	struct wl_l7_dir *d = w->d;

	wl_redis_resync(w, d);
	/* Bytes lost inside a bulk body skipped unread cost nothing: a reply's body (its CRLF
	 * included) is skipped by length; a request's, unless it is the command name or the
	 * subcommand being captured, up to its CRLF (walked byte by byte to check the LF). */
	if (w->s->job.dir) {
		bpf_loop(WL_L7_STEPS_MAX, wl_redis_resp_step, w, 0);
		wl_l7_gap_mark(d, d->state == RS_BODY, 0);
	} else {
		bpf_loop(WL_L7_STEPS_MAX, wl_redis_req_step, w, 0);
		wl_l7_gap_mark(d, d->state == RQ_BULK_BODY && !wl_redis_capturing(d), 2);
	}
}

/* Content sniffing: does a client's payload start like a RESP command ("*N\r\n$")? */
static __always_inline int wl_redis_sniff(const __u8 *h, __u32 len)
{
	/* every byte read once into a scalar: no computed stack addresses for the verifier */
	__u8 b0 = h[0], b1 = h[1], b2 = h[2], b3 = h[3], b4 = h[4], b5 = h[5];

	if (len < 6 || b0 != '*' || !wl_char_is_digit(b1))
		return 0;
	if (b2 == '\r')
		return b3 == '\n' && b4 == '$';
	return wl_char_is_digit(b2) && b3 == '\r' && b4 == '\n' && b5 == '$';
}

/* Is a message open past the packet (its state must be kept whole, wl_l7_store)? Replies: also
 * an array whose elements go on (depth) and a transaction's queued commands (tx_len). */
static __always_inline int wl_redis_open(const struct wl_l7_dir *d, int dir)
{
	const struct wl_redis_dir *r = (const struct wl_redis_dir *)d->priv;

	return wl_l7_open_std(d) || (dir && (r->depth || r->tx_len));
}

#endif /* WL_PARSE_PROTO_REDIS_H */
