/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * What the SQL parsers (proto_mysql.h, proto_postgresql.h) share: the scanner that finds a
 * statement's first keyword (its verb: the name a statement is counted under), MySQL's search
 * for the ';' that starts the next statement of a multi-statement text, and the global-function
 * plumbing both parsers are laid out with (see "How the parser is laid out for the verifier" in
 * either).
 *
 * The keyword scanner skips blanks, '(' and comments, then takes the letters of the first word,
 * upper-cased (longer than a command name: no keyword, OTHER). The two dialects differ only in
 * comments, as the servers' lexers do:
 *  - MySQL / MariaDB: slash-star comments do not nest; slash-star-! and slash-star-M-! are
 *    executable comments (the statement goes on inside, after optional version digits); "--" is
 *    a comment only when a blank follows; '#' comments to the end of the line; a COM_QUERY may
 *    start with MySQL 8's query attributes header (parameter count 0, parameter set count 1).
 *  - PostgreSQL: slash-star comments nest; "--" comments to the end of the line; a NUL ends the
 *    text (a Query's string is NUL-terminated).
 * The state lives in the protocol's per-direction state (struct wl_sql_kw), so a statement cut
 * by a segment boundary resumes where it stopped.
 */
#ifndef WL_PARSE_SQL_H
#define WL_PARSE_SQL_H

#include "l7.h"
#include "chars.h"

#define WL_SQL_SCAN_STEP 64 /* statement bytes scanned per parser step */

enum wl_sql_dialect {
	WL_SQL_MYSQL = 0,
	WL_SQL_PG,
};

/* struct wl_sql_kw.state */
enum wl_sql_scan_state {
	WL_SQL_WS = 0, /* blanks, '(' */
	WL_SQL_SLASH,  /* '/' seen */
	WL_SQL_CSTART, /* slash-star seen */
	WL_SQL_CMARIA, /* MySQL: slash-star-M seen (slash-star-M-! is MariaDB's executable one) */
	WL_SQL_COMMENT,
	WL_SQL_CSTAR,  /* '*' inside a comment */
	WL_SQL_CSLASH, /* PostgreSQL: '/' inside a comment (a nested one may start) */
	WL_SQL_EXEC,   /* MySQL: slash-star-!: version digits, then the statement itself */
	WL_SQL_DASH,   /* '-' seen */
	WL_SQL_DASH2,  /* MySQL: "--" seen: a comment if a blank follows */
	WL_SQL_LINE,   /* comment to the end of the line */
	WL_SQL_WORD,   /* the keyword */
	WL_SQL_DONE,
	WL_SQL_ATTR0, /* MySQL COM_QUERY with query attributes: parameter count 0 ... */
	WL_SQL_ATTR1, /* ... and parameter set count 1 precede the text */
	/* MySQL multi-statements: the rest of a statement, up to the ';' that starts the next */
	WL_SQL_B,	 /* statement text */
	WL_SQL_BSLASH,	 /* '/' seen */
	WL_SQL_BCOMMENT, /* inside a comment */
	WL_SQL_BCSTAR,	 /* '*' inside a comment */
	WL_SQL_BDASH,	 /* '-' seen */
	WL_SQL_BDASH2,	 /* "--" seen */
	WL_SQL_BSKIP,	 /* skipped up to the byte k->until: a 'string' or "string" up to its
			  * closing quote, an `identifier` up to its backquote, a comment up to
			  * the end of the line */
	WL_SQL_BESC,	 /* backslash in a string */
};

/* A keyword being scanned (or a name written for a lookup). The name is 8-byte aligned: it is
 * compared and copied as three words. */
struct wl_sql_kw {
	char name[WL_CMD_LEN] __attribute__((aligned(8)));
	__u8 state; /* enum wl_sql_scan_state */
	__u8 len;   /* letters in name; 0xff: longer than any command name */
	__u8 depth; /* comment nesting */
	__u8 until; /* WL_SQL_BSKIP: the byte that ends what is skipped */
};

static __always_inline void wl_sql_kw_clear(struct wl_sql_kw *k)
{
	__u64 *n = (__u64 *)k->name;

	n[0] = n[1] = n[2] = 0;
	k->len = 0;
}

#define WL_SQL_NAME(k, s) __builtin_memcpy((k)->name, s, sizeof(s))

/* The first keyword: one byte c in a state up to WL_SQL_DONE. */
static __always_inline void wl_sql_kw_byte(struct wl_sql_kw *k, __u8 c, __u32 dialect)
{
	__u8 st = k->state, mysql = dialect == WL_SQL_MYSQL;

	switch (st) {
	case WL_SQL_ATTR0:
		if (c == 0) {
			st = WL_SQL_ATTR1;
			break;
		}
		/* fallthrough: no attributes (or a client without them) */
	case WL_SQL_WS:
	case WL_SQL_EXEC:
		if (st == WL_SQL_EXEC && wl_char_is_digit(c))
			break;
		if (wl_char_is_blank(c) || c == '(')
			st = WL_SQL_WS;
		else if (c == '/')
			st = WL_SQL_SLASH;
		else if (c == '-')
			st = WL_SQL_DASH;
		else if (c == '#' && mysql)
			st = WL_SQL_LINE;
		else if (wl_char_is_alpha(c)) {
			k->name[0] = wl_upper(c);
			k->len = 1;
			st = WL_SQL_WORD;
		} else
			st = WL_SQL_DONE;
		break;
	case WL_SQL_ATTR1:
		st = c == 1 ? WL_SQL_WS : WL_SQL_DONE;
		break;
	case WL_SQL_SLASH:
		st = c == '*' ? WL_SQL_CSTART : WL_SQL_DONE;
		k->depth = 1;
		break;
	case WL_SQL_CSTART:
	case WL_SQL_CMARIA:
		if (mysql && c == '!') {
			st = WL_SQL_EXEC;
			break;
		}
		if (mysql && c == 'M' && st == WL_SQL_CSTART) {
			st = WL_SQL_CMARIA;
			break;
		}
		/* fallthrough: comment text */
	case WL_SQL_COMMENT:
		st = c == '*' ? WL_SQL_CSTAR : c == '/' && !mysql ? WL_SQL_CSLASH : WL_SQL_COMMENT;
		break;
	case WL_SQL_CSTAR:
		if (c == '/') {
			k->depth--;
			st = k->depth ? WL_SQL_COMMENT : WL_SQL_WS;
		} else
			st = c == '*' ? WL_SQL_CSTAR : WL_SQL_COMMENT;
		break;
	case WL_SQL_CSLASH:
		if (c == '*') {
			if (k->depth < 0xff)
				k->depth++;
			st = WL_SQL_COMMENT;
		} else
			st = c == '/' ? WL_SQL_CSLASH : WL_SQL_COMMENT;
		break;
	case WL_SQL_DASH:
		st = c != '-' ? WL_SQL_DONE : mysql ? WL_SQL_DASH2 : WL_SQL_LINE;
		break;
	case WL_SQL_DASH2:
		st = wl_char_is_blank(c) ? (c == '\n' ? WL_SQL_WS : WL_SQL_LINE) : WL_SQL_DONE;
		break;
	case WL_SQL_LINE:
		if (c == '\n')
			st = WL_SQL_WS;
		break;
	case WL_SQL_WORD:
		if (!wl_char_is_alpha(c)) {
			st = WL_SQL_DONE;
			break;
		}
		if (k->len >= WL_CMD_LEN - 1) {
			k->len = 0xff; /* longer than any keyword: OTHER */
			st = WL_SQL_DONE;
			break;
		}
		k->name[k->len & 31] = wl_upper(c);
		k->len++;
		break;
	}
	k->state = st;
}

/* MySQL multi-statements: skips what follows up to the byte until (WL_SQL_BSKIP). */
static __always_inline void wl_sql_skip_to(struct wl_sql_kw *k, __u8 until)
{
	k->until = until;
	k->state = WL_SQL_BSKIP;
}

/* MySQL multi-statements: one byte c of a statement's text after its keyword, looking for the
 * ';' that starts the next statement (not inside 'strings', "strings", `identifiers` or
 * comments; backslash escapes in strings). At that ';' the next keyword's scan starts. */
static __always_inline void wl_sql_next_byte(struct wl_sql_kw *k, __u8 c)
{
	__u8 st = k->state;

	switch (st) {
	case WL_SQL_BSLASH:
		if (c == '*') {
			k->state = WL_SQL_BCOMMENT;
			return;
		}
		break; /* c is statement text */
	case WL_SQL_BCOMMENT:
		if (c == '*')
			k->state = WL_SQL_BCSTAR;
		return;
	case WL_SQL_BCSTAR:
		k->state = c == '/' ? WL_SQL_B : c == '*' ? WL_SQL_BCSTAR : WL_SQL_BCOMMENT;
		return;
	case WL_SQL_BDASH:
		if (c == '-') {
			k->state = WL_SQL_BDASH2;
			return;
		}
		break;
	case WL_SQL_BDASH2:
		if (c == '\n')
			k->state = WL_SQL_B;
		else if (wl_char_is_blank(c))
			wl_sql_skip_to(k, '\n');
		else
			break;
		return;
	case WL_SQL_BSKIP:
		if (c == k->until)
			k->state = WL_SQL_B;
		else if (c == '\\' && (k->until == '\'' || k->until == '"'))
			k->state = WL_SQL_BESC;
		return;
	case WL_SQL_BESC:
		k->state = WL_SQL_BSKIP;
		return;
	default:
		break;
	}
	if (c == '\'' || c == '"' || c == '`') {
		wl_sql_skip_to(k, c);
		return;
	}
	if (c == '#') {
		wl_sql_skip_to(k, '\n');
		return;
	}
	st = c == ';' ? WL_SQL_WS : c == '/' ? WL_SQL_BSLASH : c == '-' ? WL_SQL_BDASH : WL_SQL_B;
	if (st == WL_SQL_WS) /* the next statement: its keyword */
		wl_sql_kw_clear(k);
	k->state = st;
}

/* One byte c of a statement in the given dialect. Global: verified once, not once per byte of
 * the scan loop. */
__noinline int wl_sql_byte(struct wl_sql_kw *k, __u32 c, __u32 dialect)
{
	if (!k)
		return 0;
	if (k->state >= WL_SQL_B)
		wl_sql_next_byte(k, c);
	else
		wl_sql_kw_byte(k, c, dialect);
	return 0;
}

/*
 * Scans statement bytes at window index pos (below lim) until the keyword is known
 * (k->state WL_SQL_DONE) or WL_SQL_SCAN_STEP bytes. Returns the bytes used. PostgreSQL: a NUL
 * ends the text (not used).
 */
static __always_inline __u32 wl_sql_scan(struct wl_l7_state *s, struct wl_sql_kw *k, __u32 pos,
					 __u32 lim, __u32 dialect)
{
	__u32 n;

	for (n = 0; n < WL_SQL_SCAN_STEP; n++) {
		__u32 i = pos + n;
		__u8 c;

		if (i >= lim || *(volatile __u8 *)&k->state == WL_SQL_DONE)
			break;
		c = s->buf[i & (WL_L7_WINDOW - 1)];
		if (c == 0 && dialect == WL_SQL_PG) {
			k->state = WL_SQL_DONE;
			break;
		}
		wl_sql_byte(k, c, dialect);
	}
	return n;
}

/* The scan loop once per dialect, each a global function verified once: with the dialect a
 * constant, MySQL's loop has no NUL test (unknown, it would double the paths the verifier walks
 * in every one of the loop's iterations). */
#define WL_SQL_SCAN_DIALECT(name, dialect)                                                         \
	__noinline __u32 name(struct wl_l7_state *s, struct wl_sql_kw *k, __u32 pos, __u32 lim)    \
	{                                                                                          \
		return s && k ? wl_sql_scan(s, k, pos, lim, dialect) : 0;                          \
	}
WL_SQL_SCAN_DIALECT(wl_sql_scan_mysql, WL_SQL_MYSQL)
WL_SQL_SCAN_DIALECT(wl_sql_scan_pg, WL_SQL_PG)

/* ---- the global-function plumbing of both SQL parsers ---- */

/* The walk of a global function of a SQL parser (wl_l7_walk_g) and its direction's own state,
 * 0 without them. */
static __always_inline void *wl_sql_at(struct wl_l7_walk *w, wl_ctx_t *ctx, struct wl_conn *conn,
				       __u32 dir)
{
	return wl_l7_walk_g(w, ctx, conn, dir) ? (void *)w->d->priv : 0;
}

/* The statement bytes of the window (avail of them from s->off, at window index *pos) a scan step
 * looks at: within the message's body and the scan's budget. */
static __always_inline __u32 wl_sql_span(struct wl_l7_walk *w, __u32 avail, __u32 budget,
					 __u32 *pos)
{
	if (avail > w->d->body_left)
		avail = w->d->body_left;
	if (avail > budget)
		avail = budget;
	*pos = w->s->off - w->s->win_off;
	return avail;
}

/* n bytes of the message's body scanned: consumed. */
static __always_inline void wl_sql_took(struct wl_l7_walk *w, __u32 n)
{
	w->s->off += n;
	w->d->msg_bytes += n;
	w->d->body_left -= n;
}

/* The command id of the keyword captured in k (OTHER when there is none). */
static __always_inline int wl_sql_kw_lookup(struct wl_sql_kw *k)
{
	if (!k->len || k->len >= WL_CMD_LEN)
		return WL_CMD_OTHER;
	return wl_cmd_lookup_scratch(k->name);
}

/*
 * wl_l7_hdr_take as a global function: verified once with need unknown, so the successive
 * takes of one header (the fixed part, then the bytes the length allows) cannot let the
 * compiler fold away the bound checks the verifier relies on.
 */
__noinline int wl_sql_take(wl_ctx_t *ctx, struct wl_l7_state *s, struct wl_l7_dir *d, __u32 need)
{
	struct wl_l7_walk w = {.ctx = ctx, .s = s, .d = d};

	if (!ctx || !s || !d)
		return 0;
	return wl_l7_hdr_take(&w, d, need);
}

#define WL_SQL_TAKE(w, d, need) wl_sql_take((w)->ctx, (w)->s, (d), (need))

/*
 * A result set's rows taken a run at a time, whole in the window (MySQL and PostgreSQL: a row
 * changes nothing but the response's bytes). row_len, an inline function of the protocol, is
 * given the parser's state and the 5 bytes at s->off that tell a message's kind and length: the
 * row's length, or 0 for a message that is no row (left to the parser's header step, as is one
 * whose 5 bytes the payload does not hold). A row that goes on past the segment leaves the rest
 * of it to skip in state body_state. Its bytes count in the response's.
 */
#define WL_SQL_ROWS_RUN 16 /* rows per step */
typedef __u32 (*wl_sql_row_len_fn)(void *priv, const __u8 *b);
static __always_inline void wl_sql_rows(struct wl_l7_walk *w, void *priv, wl_sql_row_len_fn row_len,
					__u8 body_state)
{
	struct wl_l7_dir *d = w->d;
	__u8 b[5];

	for (int k = 0; k < WL_SQL_ROWS_RUN; k++) {
		if (wl_win_ensure(w, 5) < 5)
			return;
		wl_win_peek(w, b, 5);
		d->body_left = row_len(priv, b);
		if (!d->body_left)
			return;
		if (!wl_l7_body_skip(w, d)) { /* the row goes on in the next segment */
			d->state = body_state;
			return;
		}
	}
}

/* wl_emit_request with the global flush (the caller checks the L7 rules where it knows the
 * command). */
static __always_inline void wl_sql_emit_req(struct wl_l7_walk *w, __u16 id, __u32 bytes)
{
	struct wl_l7_run *r = wl_l7_req_run(w, id);

	r->count++;
	r->bytes += bytes;
}

/* The start of a parser's walk over one packet: the packet's direction (-1 without the maps),
 * w->d its state. */
static __always_inline int wl_sql_packet(struct wl_l7_walk *w, wl_ctx_t *ctx, struct wl_conn *conn)
{
	__u32 dir;

	if (!wl_l7_walk_g(w, ctx, conn, 0))
		return -1;
	dir = w->s->job.dir & 1;
	return dir;
}

/* A bpf_loop callback: one step (a global function) of a direction; 1 ends the walk. */
#define WL_SQL_STEP_CB(name, step)                                                                 \
	static long name(__u32 i, void *arg)                                                       \
	{                                                                                          \
		struct wl_l7_walk *w = arg;                                                        \
                                                                                                   \
		return step(w->ctx, w->conn) ? 1 : 0;                                              \
	}

/* The steps over the packet, by direction (each loop its own callback: a constant for the
 * verifier). */
#define WL_SQL_STEPS(w, dir, req_cb, resp_cb)                                                      \
	do {                                                                                       \
		if (dir)                                                                           \
			bpf_loop(WL_L7_STEPS_MAX, resp_cb, (w), 0);                                \
		else                                                                               \
			bpf_loop(WL_L7_STEPS_MAX, req_cb, (w), 0);                                 \
	} while (0)

#endif /* WL_PARSE_SQL_H */
