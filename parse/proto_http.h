/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * HTTP/1.0 and HTTP/1.1. Both directions are resumable state machines over lines: the start
 * line and header block may be cut anywhere by a segment boundary; only the bytes that matter
 * (method, status code, the names of header lines, the values of Content-Length and
 * Transfer-Encoding) are walked one by one, the rest of a line is skipped by a scan for its LF.
 * Bodies are skipped by Content-Length or chunk by chunk (chunked transfer coding, trailers);
 * a response without either ends at the connection's FIN. Keep-alive and pipelining: every
 * message of a segment is walked; responses are matched to requests in order (FIFO). A request
 * counts at the end of its headers (its body's bytes are added when the body ends).
 *  Requests:  METHOD SP target SP HTTP/1.x CRLF *(header CRLF) CRLF [body]
 *  Responses: HTTP/1.x SP code SP reason CRLF *(header CRLF) CRLF [body]
 * The command is the method. A response is an error when its status is 5xx and a miss when it
 * is 404. 1xx interim responses (100 Continue) are not the final response; HEAD responses and
 * 1xx/204/304 have no body; after 101 Switching Protocols or a CONNECT's 2xx (and a request
 * direction that leaves HTTP after an Upgrade request) the connection is a tunnel, not parsed.
 */
#ifndef WL_PARSE_PROTO_HTTP_H
#define WL_PARSE_PROTO_HTTP_H

#include "l7.h"
#include "chars.h"

#define WL_HTTP_BODY_MAX   (1ull << 40) /* larger Content-Length or chunk sizes are malformed */
#define WL_HTTP_HDRS_MAX   (64u << 10)	/* a start line + header block longer than this is junk */
#define WL_HTTP_HNAME_MAX  18		/* header name bytes kept: "transfer-encoding" fits */
#define WL_HTTP_METHOD_MAX (WL_CMD_LEN - 1)

enum wl_http_state {
	HT_IDLE = 0,	/* first byte of a message (or blank lines between messages) */
	HT_METHOD,	/* request: method token */
	HT_PROTO,	/* response: "HTTP/" and the version, up to the space */
	HT_CODE,	/* response: the three status digits */
	HT_LINE_REST,	/* skipping to the LF (P(d)->after says what follows) */
	HT_HDR_START,	/* first byte of a header line, or the CR of the empty line */
	HT_HDR_NAME,	/* header name */
	HT_HDR_VALUE,	/* value of Content-Length or Transfer-Encoding */
	HT_HDR_END_LF,	/* CR of the empty line seen: the header block ends at the LF */
	HT_BODY,	/* skipping a Content-Length body */
	HT_CHUNK_SIZE,	/* chunk size (hex) */
	HT_CHUNK_DATA,	/* skipping chunk data */
	HT_CHUNK_CR,	/* CRLF after chunk data */
	HT_CHUNK_LF,	/* LF after chunk data */
	HT_TRL_START,	/* first byte of a trailer line, or the CR of the final empty line */
	HT_TRL_END_LF,	/* CR of the final empty line seen */
	HT_UNTIL_CLOSE, /* response body delimited by the connection's close */
	HT_TUNNEL,	/* no longer HTTP (Upgrade, CONNECT): never parsed again */
	HT_RESYNC = WL_L7_RESYNC,
};

/* What follows the LF of a skipped line. */
enum wl_http_after {
	HA_HDR = 0,   /* a header line (after the start line or a header line) */
	HA_CHUNK = 1, /* chunk data (after a chunk size line with extensions) */
	HA_TRL = 2,   /* a trailer line */
};

/* Header values read. */
enum wl_http_hkind {
	HK_CLEN = 1,
	HK_TE = 2,
};

/* wl_http_dir.mflags: facts about the current message */
#define HM_CLEN	     0x01 /* Content-Length seen */
#define HM_CHUNKED   0x02 /* Transfer-Encoding includes chunked */
#define HM_UPGRADE   0x04 /* request: Upgrade header */
#define HM_CONNECT   0x08 /* request: CONNECT */
#define HM_TOOLONG   0x10 /* request: method longer than a command name */
#define HM_HAVE_DIGS 0x20 /* a number being read has at least one digit */

/* HTTP's own wl_l7_dir.flags, of a response: what the request being answered was */
#define WL_HTTP_HEAD	WL_DIR_P0 /* HEAD: the response has no body */
#define WL_HTTP_CONNECT WL_DIR_P1 /* CONNECT: a 2xx opens a tunnel */

/* HTTP's own per-direction state, in wl_l7_dir.priv. */
struct wl_http_dir {
	/* kept across messages (the first WL_L7_KEEP bytes: struct wl_l7_rest) */
	__u8 upgrade_req; /* request: an Upgrade request was sent */
	/* the message's */
	__u8 after;    /* HT_LINE_REST: enum wl_http_after */
	__u8 mflags;   /* HM_* */
	__u8 name_len; /* bytes in name */
	__u8 hkind;    /* HT_HDR_VALUE: enum wl_http_hkind */
	__u8 match;    /* "HTTP/" or "chunked" matched so far; digits of the status */
	__u16 status;
	__u64 rest;	       /* body or chunk bytes still to skip after d->body_left */
	__u64 num;	       /* Content-Length or chunk size being read */
	__u64 clen;	       /* Content-Length of the current message */
	char name[WL_CMD_LEN]; /* request: the method; then header names (lower-cased) */
};
_Static_assert(sizeof(struct wl_http_dir) <= WL_L7_PRIV_MAX, "HTTP state fits in priv");
_Static_assert(__builtin_offsetof(struct wl_http_dir, upgrade_req) < WL_L7_KEEP,
	       "what HTTP keeps across messages is kept");
#define HP(d) ((struct wl_http_dir *)(d)->priv)

static __always_inline int wl_http_tchar(__u8 c)
{
	/* RFC 9110 token characters */
	if (wl_char_is_alnum(c))
		return 1;
	switch (c) {
	case '!':
	case '#':
	case '$':
	case '%':
	case '&':
	case '\'':
	case '*':
	case '+':
	case '-':
	case '.':
	case '^':
	case '_':
	case '`':
	case '|':
	case '~':
		return 1;
	}
	return 0;
}

static __always_inline int wl_http_hex(__u8 c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static __always_inline void wl_http_name_clear(struct wl_l7_dir *d)
{
	__u64 *n = (__u64 *)HP(d)->name;

	n[0] = n[1] = n[2] = 0;
	HP(d)->name_len = 0;
}

/* Back to a message boundary. */
static __always_inline void wl_http_reset(struct wl_l7_dir *d)
{
	d->state = HT_IDLE;
	d->flags &= WL_DIR_SEQ_VALID;
	d->msg_bytes = 0;
	d->body_left = 0;
	HP(d)->rest = 0;
	HP(d)->num = 0;
	HP(d)->clen = 0;
	HP(d)->status = 0;
	HP(d)->after = HA_HDR;
	HP(d)->mflags = 0;
	HP(d)->hkind = 0;
	HP(d)->match = 0;
	wl_http_name_clear(d);
}

/*
 * A body or chunk (HP(d)->rest bytes, up to 2^40) is skipped through d->body_left in pieces of
 * up to 1 GiB: the engine then absorbs bytes lost inside the piece (see wl_l7_gap_mark).
 */
#define WL_HTTP_BODY_PIECE (1u << 30)

static __always_inline void wl_http_body_load(struct wl_l7_dir *d)
{
	__u64 n = HP(d)->rest;

	if (n > WL_HTTP_BODY_PIECE)
		n = WL_HTTP_BODY_PIECE;
	d->body_left = n;
	HP(d)->rest -= n;
}

/*
 * How the parser is laid out for the verifier. The bpf_loop callback is a thin call of
 * wl_http_step, and every piece of work is a global (non-static, __noinline) function:
 * verified once, with nothing known about the state behind its pointers, instead of once per
 * caller state (per hook path, per callback iteration, per connection map). The byte machine
 * (wl_http_byte) only touches the direction's own state and hands back an action; the walk
 * (wl_http_step) owns the maps and runs each action's work at a single place.
 */

/* What the byte machine asks of the walk. */
enum wl_http_act {
	HX_NONE = 0,
	HX_MALFORMED = 1, /* count it, wait for a message boundary */
	HX_METHOD = 2,	  /* the request method is complete in name: look it up */
	HX_HDRS = 3,	  /* the header block ended */
	HX_MSG = 4,	  /* the message ended */
};

/* The walk over one packet, rebuilt inside a global function from its scalar-free arguments. */
static __always_inline void wl_http_walk(struct wl_l7_walk *w, wl_ctx_t *ctx, struct wl_l7_state *s,
					 struct wl_conn *conn, struct wl_counters *cnt)
{
	w->ctx = ctx;
	w->conn = conn;
	w->d = &s->work;
	w->s = s;
	w->cnt = cnt;
}

static __always_inline void wl_http_malformed(struct wl_l7_walk *w, struct wl_l7_dir *d)
{
	w->cnt->l7_malformed++;
	wl_http_reset(d);
	d->state = HT_RESYNC;
}

/*
 * The request's body (if any) ended: its bytes join the request counted at its headers. What
 * decides the next state is read after the stats update, not kept from before it: a 0/1 value
 * held across it and tested after would be a constant the verifier must tell apart, and it
 * would walk the update once per value.
 */
static __always_inline void wl_http_req_done(struct wl_l7_walk *w, struct wl_l7_dir *d)
{
	if (d->msg_bytes) {
		struct wl_cmd_stats *st = wl_cmd_stats_get(w, d->cur_id);

		if (st)
			st->request_bytes += d->msg_bytes;
	}
	if (HP(d)->mflags & HM_CONNECT) {
		wl_http_reset(d);
		d->state = HT_TUNNEL; /* what follows is the tunnel's payload */
	} else {
		wl_http_reset(d);
	}
}

static __always_inline void wl_http_resp_done(struct wl_l7_walk *w, struct wl_l7_dir *d)
{
	__u16 st;

	wl_emit_response(w, d->cur_id, d->msg_ts_ns, HP(d)->status >= 500, HP(d)->status == 404,
			 d->msg_bytes);
	st = HP(d)->status; /* read again: see wl_http_req_done */
	if (st == 101 || ((d->flags & WL_HTTP_CONNECT) && st >= 200 && st < 300)) {
		wl_http_reset(d);
		d->state = HT_TUNNEL;
	} else {
		wl_http_reset(d);
	}
}

/* The request's header block ended: it counts now; returns HX_MSG when it has no body. */
static __always_inline int wl_http_req_headers_done(struct wl_l7_walk *w, struct wl_l7_dir *d)
{
	/* The request counts (and waits in the FIFO) from the end of its headers: a server may
	 * answer before the body (Expect: 100-continue refused, 413, 401). */
	wl_emit_request(w, d->cur_id, d->msg_bytes);
	d->msg_bytes = 0;
	if (HP(d)->mflags & HM_UPGRADE)
		HP(d)->upgrade_req = 1;
	if (HP(d)->mflags & HM_CHUNKED) {
		d->state = HT_CHUNK_SIZE;
		HP(d)->num = 0;
		HP(d)->mflags &= ~HM_HAVE_DIGS;
	} else if ((HP(d)->mflags & HM_CLEN) && HP(d)->clen) {
		HP(d)->rest = HP(d)->clen;
		wl_http_body_load(d);
		d->state = HT_BODY;
	} else {
		return HX_MSG;
	}
	return HX_NONE;
}

/* The request being answered was HEAD (no body) or CONNECT (a tunnel after a 2xx)? */
static __always_inline void wl_http_req_kind(struct wl_l7_dir *d, __u16 id)
{
	struct wl_cmd_name *n;
	__u32 idx = id;
	__u64 v;

	if (id == WL_CMD_NONE)
		return;
	n = bpf_map_lookup_elem(&wl_cmd_ids, &idx);
	if (!n)
		return;
	v = *(__u64 *)n->command;
	/* little-endian "HEAD\0\0\0\0" and "CONNECT\0" */
	if (v == 0x44414548ull)
		d->flags |= WL_HTTP_HEAD;
	else if (v == 0x005443454e4e4f43ull)
		d->flags |= WL_HTTP_CONNECT;
}

/* The response's header block ended: returns HX_MSG when it has no body. */
static __always_inline int wl_http_resp_headers_done(struct wl_l7_walk *w, struct wl_l7_dir *d)
{
	__u16 st = HP(d)->status;
	__u64 lat = 0;

	if (st < 200 && st != 101) {
		/* 100 Continue, 102, 103: interim, the final response follows */
		wl_http_reset(d);
		return HX_NONE;
	}
	d->flags &= WL_DIR_SEQ_VALID;
	d->cur_id = wl_fifo_pop(w, &lat);
	d->msg_ts_ns = lat;
	wl_http_req_kind(d, d->cur_id);
	if ((d->flags & WL_HTTP_HEAD) || st == 101 || st == 204 || st == 304 ||
	    ((d->flags & WL_HTTP_CONNECT) && st < 300))
		return HX_MSG; /* no body */
	if (HP(d)->mflags & HM_CHUNKED) {
		d->state = HT_CHUNK_SIZE;
		HP(d)->num = 0;
		HP(d)->mflags &= ~HM_HAVE_DIGS;
	} else if (HP(d)->mflags & HM_CLEN) {
		HP(d)->rest = HP(d)->clen;
		wl_http_body_load(d);
		if (!d->body_left)
			return HX_MSG;
		d->state = HT_BODY;
	} else {
		d->state = HT_UNTIL_CLOSE;
	}
	return HX_NONE;
}

/* The chunk size line ended. */
static __always_inline int wl_http_chunk_size_done(struct wl_l7_dir *d)
{
	if (!(HP(d)->mflags & HM_HAVE_DIGS))
		return HX_MALFORMED;
	if (HP(d)->num == 0) {
		d->state = HT_TRL_START; /* last chunk: trailers, then the empty line */
	} else {
		HP(d)->rest = HP(d)->num;
		wl_http_body_load(d);
		d->state = HT_CHUNK_DATA;
	}
	return HX_NONE;
}

/* Skips the rest of the line; what follows its LF is `after` (enum wl_http_after). */
static __always_inline int wl_http_line_rest(struct wl_l7_dir *d, __u8 after)
{
	HP(d)->after = after;
	d->state = HT_LINE_REST;
	return HX_NONE;
}

/*
 * Globals that touch the maps look the scratch and the counters up themselves: names and stats
 * are looked up with keys built in the scratch, and the kernel of Linux 6.1 takes no map key
 * from a global function's memory argument. They run once per message, not per byte.
 */
static __always_inline int wl_http_walk_lookup(struct wl_l7_walk *w, struct wl_conn *conn)
{
	struct wl_l7_state *s;
	struct wl_counters *cnt;
	__u32 zero = 0;

	s = bpf_map_lookup_elem(&wl_l7_scratch, &zero);
	cnt = bpf_map_lookup_elem(&wl_counters, &zero);
	if (!conn || !s || !cnt)
		return 0;
	wl_http_walk(w, NULL, s, conn, cnt);
	return 1;
}

/* The message of this direction is complete. Global: verified once (the response's stats
 * run is the costliest piece of the parser to verify). */
__noinline int wl_http_done(struct wl_conn *conn)
{
	struct wl_l7_walk w;

	if (!wl_http_walk_lookup(&w, conn))
		return 0;
	if (w.s->job.dir & 1)
		wl_http_resp_done(&w, w.d);
	else
		wl_http_req_done(&w, w.d);
	return 0;
}

/* The work of an action (HX_METHOD, HX_HDRS, HX_MSG). Global: verified once. */
__noinline int wl_http_act(struct wl_conn *conn, int act)
{
	struct wl_l7_walk w;
	struct wl_l7_dir *d;
	__u16 flags;

	if (!wl_http_walk_lookup(&w, conn))
		return 0;
	d = w.d;
	if (act == HX_METHOD) {
		d->cur_id = wl_cmd_lookup(&w, HP(d)->name, &flags);
		wl_http_name_clear(d);
		return 0;
	}
	if (act == HX_HDRS) {
		if (w.s->job.dir & 1)
			act = wl_http_resp_headers_done(&w, d);
		else
			act = wl_http_req_headers_done(&w, d);
	}
	if (act == HX_MSG)
		wl_http_done(conn);
	return 0;
}

/* ---- the byte machine: one byte of a start line, header block or chunk framing ---- */

/* A header name ended with ':'. Which value do we read? */
static __always_inline void wl_http_hdr_name_done(struct wl_l7_dir *d, int resp)
{
	const __u64 *n = (const __u64 *)HP(d)->name;

	HP(d)->after = HA_HDR;
	d->state = HT_LINE_REST;
	/* little-endian words of "content-length" and "transfer-encoding" */
	if (n[0] == 0x2d746e65746e6f63ull && n[1] == 0x00006874676e656cull && !n[2]) {
		HP(d)->hkind = HK_CLEN;
		HP(d)->num = 0;
		HP(d)->mflags &= ~HM_HAVE_DIGS;
		d->state = HT_HDR_VALUE;
	} else if (n[0] == 0x726566736e617274ull && n[1] == 0x6e69646f636e652dull &&
		   n[2] == 0x67ull) {
		HP(d)->hkind = HK_TE;
		HP(d)->match = 0;
		d->state = HT_HDR_VALUE;
	} else if (!resp && n[0] == 0x0065646172677075ull && !n[1] && !n[2]) {
		HP(d)->mflags |= HM_UPGRADE; /* "upgrade" */
	}
}

/* One byte of a header value we read (Content-Length or Transfer-Encoding). */
static __always_inline int wl_http_value_byte(struct wl_l7_dir *d, __u8 c)
{
	if (c == '\n') {
		if (HP(d)->hkind == HK_CLEN) {
			if (!(HP(d)->mflags & HM_HAVE_DIGS))
				return HX_MALFORMED;
			HP(d)->clen = HP(d)->num;
			HP(d)->mflags |= HM_CLEN;
		}
		d->state = HT_HDR_START;
		return HX_NONE;
	}
	if (HP(d)->hkind == HK_CLEN) {
		if (c >= '0' && c <= '9') {
			HP(d)->num = HP(d)->num * 10 + (c - '0');
			HP(d)->mflags |= HM_HAVE_DIGS;
			return HP(d)->num > WL_HTTP_BODY_MAX ? HX_MALFORMED : HX_NONE;
		}
		if (c == ' ' || c == '\t' || c == '\r')
			return HX_NONE;
		return HX_MALFORMED; /* negative, not a number, a list */
	}
	c = wl_upper(c) | 0x20; /* lower-case letters (other bytes never match) */
	/* the next byte of "chunked", from its little-endian word (no table in .rodata) */
	if (c == (__u8)(0x0064656b6e756863ull >> ((HP(d)->match & 7) * 8))) {
		HP(d)->match++;
		if (HP(d)->match >= 7) {
			HP(d)->mflags |= HM_CHUNKED;
			HP(d)->match = 0;
		}
	} else {
		HP(d)->match = c == 'c';
	}
	return HX_NONE;
}

/* The first byte of a message (or of blank lines between messages). */
static __always_inline int wl_http_idle_byte(struct wl_l7_dir *d, __u8 c, int resp)
{
	if (c == '\r' || c == '\n') {
		d->msg_bytes = 0; /* blank lines between messages */
		return HX_NONE;
	}
	if (resp) {
		if (c != 'H')
			return HX_MALFORMED;
		HP(d)->match = 1;
		d->state = HT_PROTO;
		return HX_NONE;
	}
	if (!wl_http_tchar(c)) {
		if (HP(d)->upgrade_req) {
			d->state = HT_TUNNEL; /* the upgraded protocol speaks now */
			return HX_NONE;
		}
		return HX_MALFORMED;
	}
	HP(d)->name[0] = c;
	HP(d)->name_len = 1;
	d->state = HT_METHOD;
	return HX_NONE;
}

/* A byte of the request method. */
static __always_inline int wl_http_method_byte(struct wl_l7_dir *d, __u8 c)
{
	__u32 at;

	if (c == ' ') {
		/* too long for a known method: OTHER */
		if (HP(d)->mflags & HM_TOOLONG)
			HP(d)->name[0] = 0;
		/* little-endian "CONNECT\0" */
		if (*(__u64 *)HP(d)->name == 0x005443454e4e4f43ull)
			HP(d)->mflags |= HM_CONNECT;
		wl_http_line_rest(d, HA_HDR);
		return HX_METHOD;
	}
	if (!wl_http_tchar(c))
		return HX_MALFORMED;
	at = HP(d)->name_len; /* bounded by the test, not by a mask */
	if (at < WL_HTTP_METHOD_MAX) {
		HP(d)->name[at] = c;
		HP(d)->name_len = at + 1;
	} else {
		HP(d)->mflags |= HM_TOOLONG;
	}
	return HX_NONE;
}

/* A byte of a response's "HTTP/1.x" or of its status code. */
static __always_inline int wl_http_status_byte(struct wl_l7_dir *d, __u8 c)
{
	__u8 m = HP(d)->match;

	if (d->state == HT_CODE) {
		if (c < '0' || c > '9')
			return HX_MALFORMED;
		HP(d)->status = HP(d)->status * 10 + (c - '0');
		HP(d)->match = ++m;
		if (m == 3) {
			if (HP(d)->status < 100)
				return HX_MALFORMED;
			return wl_http_line_rest(d, HA_HDR);
		}
		return HX_NONE;
	}
	if (m < 5) {
		/* the next byte of "HTTP/" */
		if (c != (__u8)(0x2f50545448ull >> ((m & 7) * 8)))
			return HX_MALFORMED;
		HP(d)->match = m + 1;
		return HX_NONE;
	}
	if (c == ' ') {
		HP(d)->match = 0;
		HP(d)->status = 0;
		d->state = HT_CODE;
		return HX_NONE;
	}
	if ((c < '0' || c > '9') && c != '.')
		return HX_MALFORMED;
	HP(d)->match = ++m;
	return m > 12 ? HX_MALFORMED : HX_NONE;
}

/* A byte at the start of a header line, or of a header name. */
static __always_inline int wl_http_name_byte(struct wl_l7_dir *d, __u8 c, int resp)
{
	__u32 at;

	if (d->state == HT_HDR_START) {
		if (c == '\r') {
			d->state = HT_HDR_END_LF;
			return HX_NONE;
		}
		if (c == '\n')
			return HX_HDRS;
		if (c == ' ' || c == '\t') /* obsolete line folding: more of the last value */
			return wl_http_line_rest(d, HA_HDR);
		wl_http_name_clear(d);
		d->state = HT_HDR_NAME;
		/* the first byte of the name */
	}
	if (c == ':') {
		wl_http_hdr_name_done(d, resp);
		return HX_NONE;
	}
	if (!wl_http_tchar(c))
		return HX_MALFORMED;
	at = HP(d)->name_len;
	if (at >= WL_HTTP_HNAME_MAX) /* longer than any name we read: skip it */
		return wl_http_line_rest(d, HA_HDR);
	HP(d)->name[at] = wl_upper(c) | 0x20;
	HP(d)->name_len = at + 1;
	return HX_NONE;
}

/* A byte of a chunk size line, of the CRLF after chunk data, or at the start of a trailer. */
static __always_inline int wl_http_chunk_byte(struct wl_l7_dir *d, __u8 c)
{
	int v;

	switch (d->state) {
	case HT_CHUNK_SIZE:
		v = wl_http_hex(c);
		if (v >= 0) {
			HP(d)->num = (HP(d)->num << 4) | v;
			HP(d)->mflags |= HM_HAVE_DIGS;
			return HP(d)->num > WL_HTTP_BODY_MAX ? HX_MALFORMED : HX_NONE;
		}
		if (c == '\n')
			return wl_http_chunk_size_done(d);
		if ((c == ';' || c == ' ' || c == '\t' || c == '\r') &&
		    (HP(d)->mflags & HM_HAVE_DIGS))
			return wl_http_line_rest(d, HA_CHUNK); /* extensions: skipped */
		return HX_MALFORMED;
	case HT_CHUNK_CR:
		if (c == '\r') {
			d->state = HT_CHUNK_LF;
			return HX_NONE;
		}
		/* fall through: a bare LF is tolerated */
	case HT_CHUNK_LF:
		if (c != '\n')
			return HX_MALFORMED;
		d->state = HT_CHUNK_SIZE;
		HP(d)->num = 0;
		HP(d)->mflags &= ~HM_HAVE_DIGS;
		return HX_NONE;
	case HT_TRL_START:
		if (c == '\r') {
			d->state = HT_TRL_END_LF;
			return HX_NONE;
		}
		if (c == '\n')
			return HX_MSG;
		return wl_http_line_rest(d, HA_TRL);
	case HT_TRL_END_LF:
		return c == '\n' ? HX_MSG : HX_MALFORMED;
	default:
		return HX_NONE;
	}
}

/* A byte of the start line: the request method, or the response's "HTTP/1.x" and status. */
static __always_inline int wl_http_start_byte(struct wl_l7_dir *d, __u8 c, int resp)
{
	if (d->state == HT_IDLE)
		return wl_http_idle_byte(d, c, resp);
	if (d->state == HT_METHOD)
		return wl_http_method_byte(d, c);
	return wl_http_status_byte(d, c);
}

/* A byte of the header block: a header name, a value we read, or the LF of the empty line. */
static __always_inline int wl_http_header_byte(struct wl_l7_dir *d, __u8 c, int resp)
{
	if (d->state == HT_HDR_VALUE)
		return wl_http_value_byte(d, c);
	if (d->state == HT_HDR_END_LF)
		return c == '\n' ? HX_HDRS : HX_MALFORMED;
	return wl_http_name_byte(d, c, resp);
}

/*
 * One byte of a start line, header block or chunk framing (already counted in msg_bytes):
 * returns what the walk must do (enum wl_http_act). Global: verified once, the request and
 * response machines together (resp only picks branches).
 */
__noinline int wl_http_byte(struct wl_l7_dir *d, __u32 c, __u32 resp)
{
	if (!d)
		return HX_NONE;
	c &= 0xff;
	/* the walk (wl_http_step) takes HT_LINE_REST and the body states itself */
	if (d->state <= HT_CODE)
		return wl_http_start_byte(d, c, resp);
	if (d->state < HT_BODY)
		return wl_http_header_byte(d, c, resp);
	return wl_http_chunk_byte(d, c);
}

/* ---- the walk ---- */

/* Bytes up to and including the first LF among the avail window bytes from index start, or 0
 * when there is none. Global: the scan (up to a window of iterations) is verified once. */
__noinline __u32 wl_http_line_len(struct wl_l7_state *s, __u32 start, __u32 avail)
{
	if (!s)
		return 0;
	for (__u32 i = 0; i < WL_L7_WINDOW; i++) {
		if (i >= avail)
			break;
		if (s->buf[(start + i) & (WL_L7_WINDOW - 1)] == '\n')
			return i + 1;
	}
	return 0;
}

/*
 * Skips to the LF of the current line within the window (one scan, not one step per byte).
 * Returns 1 when the LF was consumed, 0 when the payload or window ended first.
 */
static __always_inline int wl_http_skip_line(struct wl_l7_walk *w, struct wl_l7_dir *d)
{
	struct wl_l7_state *s = w->s;
	__u32 avail = wl_win_avail(w), n;
	int found;

	if (!avail)
		return 0;
	n = wl_http_line_len(s, s->off - s->win_off, avail);
	found = n != 0;
	if (!found)
		n = avail;
	s->off += n;
	d->msg_bytes += n;
	return found;
}

/* Skips up to d->body_left + HP(d)->rest bytes. Returns 1 when they are all skipped. */
static __always_inline int wl_http_skip_rest(struct wl_l7_walk *w, struct wl_l7_dir *d)
{
	wl_l7_body_skip(w, d);
	if (!d->body_left)
		wl_http_body_load(d);
	return d->body_left == 0;
}

/* The state after the LF of a skipped line. */
static __always_inline int wl_http_line_done(struct wl_l7_dir *d)
{
	if (HP(d)->after == HA_CHUNK)
		return wl_http_chunk_size_done(d);
	d->state = HP(d)->after == HA_TRL ? HT_TRL_START : HT_HDR_START;
	return HX_NONE;
}

/*
 * One step of the walk: a body skip, a line skip, or one byte of the state machine; then the
 * action it asked for. Returns 1 to stop. Global: verified once, whatever the caller's state.
 */
__noinline int wl_http_step(wl_ctx_t *ctx, struct wl_l7_state *s, struct wl_conn *conn,
			    struct wl_counters *cnt)
{
	struct wl_l7_walk w;
	struct wl_l7_dir *d;
	__u32 resp;
	int act = HX_NONE;
	__u8 c;

	if (!s || !conn || !cnt)
		return 1;
	wl_http_walk(&w, ctx, s, conn, cnt);
	d = w.d;
	resp = s->job.dir & 1;
	switch (d->state) {
	case HT_BODY:
		if (wl_http_skip_rest(&w, d))
			act = HX_MSG;
		break;
	case HT_CHUNK_DATA:
		if (wl_http_skip_rest(&w, d))
			d->state = HT_CHUNK_CR;
		break;
	case HT_UNTIL_CLOSE:
	case HT_TUNNEL:
		d->msg_bytes += s->end - s->off;
		s->off = s->end;
		return 1;
	case HT_RESYNC:
		return 1;
	case HT_LINE_REST:
		if (wl_http_skip_line(&w, d))
			act = wl_http_line_done(d);
		break;
	default:
		if (!wl_win_avail(&w))
			return 1;
		c = wl_win_byte(&w);
		s->off++;
		d->msg_bytes++;
		act = wl_http_byte(d, c, resp);
		break;
	}
	if (act == HX_MALFORMED) {
		wl_http_malformed(&w, d);
		return 1;
	}
	if (act != HX_NONE)
		wl_http_act(conn, act);
	if (d->state < HT_BODY && HP(d)->after == HA_HDR && d->msg_bytes > WL_HTTP_HDRS_MAX) {
		wl_http_malformed(&w, d); /* a header block that never ends */
		return 1;
	}
	return s->off >= s->end;
}

static long wl_http_step_cb(__u32 i, void *arg)
{
	struct wl_l7_walk *w = arg;

	return wl_http_step(w->ctx, w->s, w->conn, w->cnt) & 1;
}

/* A segment may restart a stream that lost sync if it begins like a message: "HTTP/1." for a
 * response, an upper-case method and a space for a request. Global: verified once. */
__noinline int wl_http_resync(wl_ctx_t *ctx, struct wl_l7_state *s, struct wl_conn *conn,
			      struct wl_counters *cnt)
{
	struct wl_l7_walk w;
	struct wl_l7_dir *d;
	__u8 *b;
	int ok = 0;

	if (!s || !conn || !cnt)
		return 0;
	wl_http_walk(&w, ctx, s, conn, cnt);
	d = w.d;
	if (d->state != HT_RESYNC)
		return 0;
	b = s->buf;
	if (wl_win_avail(&w) >= 8) {
		__u8 b0 = b[0], b1 = b[1], b2 = b[2], b3 = b[3], b4 = b[4], b5 = b[5], b6 = b[6];

		if (s->job.dir) {
			ok = b0 == 'H' && b1 == 'T' && b2 == 'T' && b3 == 'P' && b4 == '/' &&
			     b5 == '1' && b6 == '.';
		} else {
			int n = 0;

			for (int j = 0; j < 8; j++) {
				if (b[j] < 'A' || b[j] > 'Z')
					break;
				n++;
			}
			ok = n >= 3 && n <= 7 && b[n & 7] == ' ';
		}
	}
	if (ok) {
		__u8 up = HP(d)->upgrade_req;

		wl_http_reset(d);
		HP(d)->upgrade_req = up;
	} else {
		cnt->l7_resync_skip++;
	}
	return ok;
}

/* After the walk: a response delimited by the close ends with the server's FIN; the gap mark.
 * Global: verified once. */
__noinline int wl_http_end(struct wl_l7_state *s, struct wl_conn *conn)
{
	struct wl_l7_dir *d;

	if (!s || !conn)
		return 0;
	d = &s->work;
	if (s->job.dir && (s->job.tcp_flags & WL_TCP_FIN) && d->state == HT_UNTIL_CLOSE)
		wl_http_done(conn);
	/* Bytes lost inside a Content-Length body or chunk data cost nothing (skipped unread);
	 * in a header, chunk size line or trailer they do. */
	wl_l7_gap_mark(d, d->state == HT_BODY || d->state == HT_CHUNK_DATA, 0);
	return 0;
}

static __always_inline void wl_http_parse(struct wl_l7_walk *w)
{
	if (w->s->off < w->s->end) {
		wl_http_resync(w->ctx, w->s, w->conn, w->cnt);
		bpf_loop(WL_L7_STEPS_MAX, wl_http_step_cb, w, 0);
	}
	wl_http_end(w->s, w->conn);
}

/* Content sniffing: does a client's payload start with a common method and a target? */
static __always_inline int wl_http_sniff(const __u8 *h, __u32 len)
{
	__u8 b0 = h[0], b1 = h[1], b2 = h[2], b3 = h[3], b4 = h[4], b5 = h[5], b6 = h[6];
	__u8 b7 = h[7], b8 = h[8];
	__u8 t; /* first byte of the target */

	if (len < 10)
		return 0;
	if (b0 == 'G' && b1 == 'E' && b2 == 'T' && b3 == ' ')
		t = b4;
	else if (b0 == 'P' && b1 == 'U' && b2 == 'T' && b3 == ' ')
		t = b4;
	else if (b0 == 'P' && b1 == 'O' && b2 == 'S' && b3 == 'T' && b4 == ' ')
		t = b5;
	else if (b0 == 'H' && b1 == 'E' && b2 == 'A' && b3 == 'D' && b4 == ' ')
		t = b5;
	else if (b0 == 'P' && b1 == 'A' && b2 == 'T' && b3 == 'C' && b4 == 'H' && b5 == ' ')
		t = b6;
	else if (b0 == 'T' && b1 == 'R' && b2 == 'A' && b3 == 'C' && b4 == 'E' && b5 == ' ')
		t = b6;
	else if (b0 == 'D' && b1 == 'E' && b2 == 'L' && b3 == 'E' && b4 == 'T' && b5 == 'E' &&
		 b6 == ' ')
		t = b7;
	else if (b0 == 'O' && b1 == 'P' && b2 == 'T' && b3 == 'I' && b4 == 'O' && b5 == 'N' &&
		 b6 == 'S' && b7 == ' ')
		t = b8;
	else
		return 0;
	return t == '/' || t == '*' || t == 'h'; /* origin, asterisk or absolute form */
}

/* Is a message open past the packet (its state must be kept whole, wl_l7_store)? Not in a
 * tunnel (never parsed again); a body delimited by the close is. */
static __always_inline int wl_http_open(const struct wl_l7_dir *d, int dir)
{
	(void)dir;
	return (d->state != HT_IDLE && d->state != HT_RESYNC && d->state != HT_TUNNEL) ||
	       wl_l7_open_engine(d);
}

#endif /* WL_PARSE_PROTO_HTTP_H */
