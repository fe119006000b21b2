/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * PostgreSQL frontend/backend protocol 3.0. Both directions walk message by message: the
 * header (and the few body bytes that decide) is gathered across segment boundaries, the rest
 * of a body is skipped by length without being read.
 *
 *  Connection start (client): untyped messages, int32 length + int32 code: StartupMessage
 *  (3.x), SSLRequest / GSSENCRequest (the server answers one byte: 'S' or 'G' = encrypted from
 *  then on, counted as the pseudo command TLS / GSSENC and left alone; 'N' = refused, the
 *  startup follows), CancelRequest (counted as CANCEL, no answer). Authentication ('R' / 'p'),
 *  ParameterStatus and BackendKeyData are skipped; the first ReadyForQuery ends the start.
 *  Every later message: type byte + int32 length (counting itself).
 *
 *  The unit of "request" is one statement the server reports on, which is what the server's
 *  own counters (pg_stat_statements calls) count: every CommandComplete is one request and one
 *  response named by the first word of its tag ("INSERT 0 1" -> INSERT), every ErrorResponse
 *  one request and one error response. So a Query string of several statements counts once
 *  per statement, an extended-protocol pipeline once per Execute. Requests are therefore
 *  counted on the response side; the client's bytes since the previous report are attributed
 *  to the next reported statement.
 *  Client messages travel to the response side in the connection's FIFO (pushed by this
 *  parser, entry = kind << 11 | verb): Query 'Q' and FunctionCall 'F' (answered up to
 *  ReadyForQuery), Execute 'E', Sync 'S' (ends an extended batch: ReadyForQuery). The verb of
 *  an entry names an error: a Query's first keyword (comments and blanks skipped, upper-cased;
 *  an error after the first statement of a Query string is OTHER), an Execute's statement
 *  verb (Parse remembers it per named statement with wl_aux keyed by a hash of the name, the
 *  unnamed statement per connection; Bind carries it to the portal), a Sync the verb of the
 *  last statement of its batch (a Parse or Bind that failed before any Execute).
 *  Flush 'H' after a Parse, Bind, Describe or Close (no Execute since) is an entry too, named
 *  as the batch: describe-first drivers (postgres.js: Parse, Describe, Flush; then Bind,
 *  Execute, Sync once the parameter types are known) get a failed Parse's ErrorResponse (a
 *  refusal in an aborted transaction too) before they send the Sync. A Flush entry with a later
 *  request behind it was answered and is dropped by the next response; the last one takes an
 *  ErrorResponse (one request, one error, as the server's log names the statement). A
 *  statement prepared and never executed reports nothing (nor does pg_stat_statements).
 *  After an error the server skips the batch up to Sync: ReadyForQuery drops those Executes
 *  (never run, not counted) and Flushes. EmptyQueryResponse and PortalSuspended report nothing.
 *  COPY sub-protocol (CopyIn/Out/Both responses, CopyData, CopyDone, CopyFail) skipped by
 *  length; the COPY's CommandComplete counts it. NoticeResponse, NotificationResponse,
 *  ParameterStatus may come at any time and belong to no request.
 */
#ifndef WL_PARSE_PROTO_POSTGRESQL_H
#define WL_PARSE_PROTO_POSTGRESQL_H

#include "sql.h"

#define WL_PG_LEN_MAX	  0x3fffffff /* MaxAllocSize: no message is longer */
#define WL_PG_STARTUP_MAX 10000	     /* MAX_STARTUP_PACKET_LENGTH */
#define WL_PG_SCAN_MAX	  512	     /* query bytes scanned for the first keyword */
#define WL_PG_SCAN_STEP	  64	     /* bytes scanned per step */
#define WL_PG_TAG_TAKE	  24	     /* CommandComplete tag bytes read */

#define PG_CODE_V3	0x00030000
#define PG_CODE_CANCEL	80877102
#define PG_CODE_SSL	80877103
#define PG_CODE_GSSENC	80877104
#define PG_SEED_STMT	2166136261u /* FNV-1a offset basis: statement names */
#define PG_SEED_PORTAL	0x9747b28cu /* portal names: another seed, another key */
#define PG_FNV_PRIME	16777619u
#define PG_FIFO_ID_BITS 11
#define PG_FIFO_ID_MASK ((1 << PG_FIFO_ID_BITS) - 1)
_Static_assert(WL_CMD_IDS_MAX <= (1 << PG_FIFO_ID_BITS), "command ids fit in a FIFO entry");

/* FIFO entry kinds (an overflowed entry is WL_CMD_OTHER: a Query named OTHER) */
enum { PG_KIND_QUERY = 0, PG_KIND_EXEC = 1, PG_KIND_SYNC = 2, PG_KIND_FLUSH = 3 };

/* d->state */
enum wl_postgresql_state {
	PG_ST_HDR = 0, /* at a message boundary: gathering the header */
	PG_ST_BODY,    /* skipping the rest of the body (d->body_left) */
	PG_ST_SCAN,    /* request: a name or the statement's first keyword */
	PG_ST_IGNORE,  /* encrypted: nothing more is parsed */
	PG_ST_RESYNC = WL_L7_RESYNC,
};

/* connection phase */
enum { PG_PHASE_START = 0, PG_PHASE_CMD };

/* response: what the messages being read answer */
enum {
	PG_CTX_NONE = 0, /* between requests (extended protocol: Executes are taken one by one) */
	PG_CTX_QUERY,	 /* a Query or FunctionCall, up to its ReadyForQuery */
	PG_CTX_SKIP,	 /* an Execute failed: the batch is skipped up to its Sync */
	PG_CTX_SYNCED,	 /* an error took the batch's Sync: its ReadyForQuery follows */
};

/* scanner (request) */
enum { PG_SCAN_NAME = 0, PG_SCAN_VERB };

#define PG_F_IGNORE 0x01 /* response: the connection is encrypted */
#define PG_F_NAMED  0x02 /* request: the name just hashed is not empty */
#define PG_F_PNAMED 0x04 /* request: Bind's portal is named */
#define PG_F_UNRUN                                                                                 \
	0x08 /* request: a Parse, Bind, Describe or Close since the last Execute, Sync or          \
	      * Flush (a Flush then pushes an entry: its batch may fail before the Sync) */

/* PostgreSQL's own per-direction state, in wl_l7_dir.priv. The name is 8-byte aligned: it is
 * compared and copied as three words. */
struct wl_postgresql_dir {
	/* kept across messages (the first WL_L7_KEEP bytes: struct wl_l7_rest) */
	__u64 req_bytes;      /* request: bytes of messages after the start; response: reported */
	__u16 unnamed_stmt;   /* request: verb of the unnamed statement */
	__u16 unnamed_portal; /* request: verb of the unnamed portal */
	__u16 batch_verb;     /* request: the last statement named since the last Sync */
	__u8 phase;
	__u8 enc;   /* request: SSL/GSS requests sent; response: those answered */
	__u8 flags; /* PG_F_* */
	/* the message's */
	__u8 type;	     /* the message being walked */
	__u8 part;	     /* request: which string of the message is scanned */
	__u8 mode;	     /* request: PG_SCAN_NAME or PG_SCAN_VERB */
	__u8 ctx;	     /* response: PG_CTX_* */
	__u64 req_ts;	     /* response: when the request being answered was seen */
	struct wl_sql_kw kw; /* the keyword (or tag word) captured */
	__u32 hash;	     /* request: name being hashed */
	__u32 hash2;	     /* request: the first name of the message (Parse stmt, Bind portal) */
	__u32 budget;	     /* request: keyword bytes still scanned */
	__u16 verb;	     /* response: verb of the Query (or FunctionCall) being answered */
	__u16 nstmt;	     /* response: statements reported in the current Query */
	__u16 tag;	     /* response: verb of the CommandComplete being read */
};
_Static_assert(sizeof(struct wl_postgresql_dir) <= WL_L7_PRIV_MAX, "PostgreSQL state fits in priv");
_Static_assert(__builtin_offsetof(struct wl_postgresql_dir, flags) < WL_L7_KEEP,
	       "what PostgreSQL keeps across messages is kept");
_Static_assert(__builtin_offsetof(struct wl_postgresql_dir, kw) % 8 == 0,
	       "the name is word aligned");
#define PG(d) ((struct wl_postgresql_dir *)(d)->priv)

/*
 * How the parser is laid out for the verifier. Each bpf_loop callback is a thin call of a step
 * function, and every piece of work is a global (non-static, __noinline) function taking only
 * the context, the connection, the direction's state and scalars: it is verified once, with
 * nothing known about the bytes behind its pointers, and its caller sees an unknown scalar come
 * back. So no state of a caller (which hook path, which callback iteration, which kind of
 * message) is multiplied by the paths of a callee, and the callbacks converge at once: the
 * figures no longer depend on how well a kernel's verifier prunes long inlined bodies.
 * The scratch and counters are looked up again inside (real map values: usable as helper keys).
 * Calls nest at most 7 frames deep (the verifier's limit; a bpf_loop callback is a frame):
 * wl_l7_postgresql -> wl_postgresql_parse_g -> callback -> wl_postgresql_resp_step ->
 * wl_postgresql_resp_done -> wl_postgresql_report
 * -> wl_l7_flush_g.
 */

/*
 * The length a message of each type byte must have, per direction ([0] client, [1] server): len,
 * exactly or at least (the type byte not counted, the length field is). A zero row is no
 * message type of that direction.
 */
enum wl_postgresql_len_rule {
	PG_LEN_AT_LEAST = 0,
	PG_LEN_EXACTLY,
};

struct wl_postgresql_msg_rule {
	__u8 rule; /* enum wl_postgresql_len_rule */
	__u8 len;
};

static const struct wl_postgresql_msg_rule wl_postgresql_msg_rules[2][128] = {
	{
		['S'] = {PG_LEN_EXACTLY, 4},   /* Sync */
		['H'] = {PG_LEN_EXACTLY, 4},   /* Flush */
		['X'] = {PG_LEN_EXACTLY, 4},   /* Terminate */
		['c'] = {PG_LEN_EXACTLY, 4},   /* CopyDone */
		['Q'] = {PG_LEN_AT_LEAST, 5},  /* query\0 */
		['f'] = {PG_LEN_AT_LEAST, 5},  /* CopyFail: message\0 */
		['E'] = {PG_LEN_AT_LEAST, 9},  /* Execute: portal\0 int32 */
		['P'] = {PG_LEN_AT_LEAST, 8},  /* Parse: stmt\0 query\0 int16 */
		['B'] = {PG_LEN_AT_LEAST, 12}, /* Bind: portal\0 stmt\0 int16 int16 int16 */
		['D'] = {PG_LEN_AT_LEAST, 6},  /* Describe: 'S'|'P' name\0 */
		['C'] = {PG_LEN_AT_LEAST, 6},  /* Close */
		['F'] = {PG_LEN_AT_LEAST, 14}, /* FunctionCall: int32 oid, int16, int16, int16 */
		['d'] = {PG_LEN_AT_LEAST, 4},  /* CopyData */
		['p'] = {PG_LEN_AT_LEAST, 4},  /* password, SASL, GSS responses */
	},
	{
		['Z'] = {PG_LEN_EXACTLY, 5},   /* ReadyForQuery: status byte */
		['1'] = {PG_LEN_EXACTLY, 4},   /* ParseComplete */
		['2'] = {PG_LEN_EXACTLY, 4},   /* BindComplete */
		['3'] = {PG_LEN_EXACTLY, 4},   /* CloseComplete */
		['n'] = {PG_LEN_EXACTLY, 4},   /* NoData */
		['I'] = {PG_LEN_EXACTLY, 4},   /* EmptyQueryResponse */
		['s'] = {PG_LEN_EXACTLY, 4},   /* PortalSuspended */
		['c'] = {PG_LEN_EXACTLY, 4},   /* CopyDone */
		['K'] = {PG_LEN_EXACTLY, 12},  /* BackendKeyData */
		['R'] = {PG_LEN_AT_LEAST, 8},  /* Authentication* */
		['C'] = {PG_LEN_AT_LEAST, 5},  /* CommandComplete: tag\0 */
		['E'] = {PG_LEN_AT_LEAST, 5},  /* ErrorResponse: fields, \0 */
		['N'] = {PG_LEN_AT_LEAST, 5},  /* NoticeResponse */
		['S'] = {PG_LEN_AT_LEAST, 6},  /* ParameterStatus */
		['A'] = {PG_LEN_AT_LEAST, 10}, /* NotificationResponse */
		['T'] = {PG_LEN_AT_LEAST, 6},  /* RowDescription */
		['D'] = {PG_LEN_AT_LEAST, 6},  /* DataRow */
		['t'] = {PG_LEN_AT_LEAST, 6},  /* ParameterDescription */
		['G'] = {PG_LEN_AT_LEAST, 7},  /* CopyInResponse */
		['H'] = {PG_LEN_AT_LEAST, 7},  /* CopyOutResponse */
		['W'] = {PG_LEN_AT_LEAST, 7},  /* CopyBothResponse */
		['V'] = {PG_LEN_AT_LEAST, 8},  /* FunctionCallResponse */
		['v'] = {PG_LEN_AT_LEAST, 12}, /* NegotiateProtocolVersion */
		['d'] = {PG_LEN_AT_LEAST, 4},  /* CopyData */
	},
};

/* Is this a message type of direction resp, and its length possible for it? Global: the caller
 * learns nothing about len from each row (no path per message type). */
__noinline int wl_postgresql_msg_ok(__u32 resp, __u32 type, __u32 len)
{
	const struct wl_postgresql_msg_rule *r;

	if (len < 4 || len > WL_PG_LEN_MAX || type >= 128)
		return 0;
	r = &wl_postgresql_msg_rules[resp ? 1 : 0][type];
	if (!r->len)
		return 0;
	return r->rule == PG_LEN_EXACTLY ? len == r->len : len >= r->len;
}

/* Untyped first messages of a connection: length, code. Global, as above. */
__noinline int wl_postgresql_start_ok(__u32 len, __u32 code)
{
	if (code == PG_CODE_SSL || code == PG_CODE_GSSENC)
		return len == 8;
	if (code == PG_CODE_CANCEL)
		return len == 16;
	return (code >> 16) == 3 && len >= 8 && len <= WL_PG_STARTUP_MAX;
}

/*
 * Hashes a NUL-terminated name (PG_SCAN_NAME) at window index pos (below lim), its NUL consumed.
 * State in p, so a name cut by a segment boundary resumes. Returns the bytes used (p->kw.state
 * is WL_SQL_DONE at the NUL). A global function: verified once.
 */
__noinline __u32 wl_postgresql_name_scan(struct wl_l7_state *s, struct wl_postgresql_dir *p,
					 __u32 pos, __u32 lim)
{
	__u32 k, h;

	if (!s || !p)
		return 0;
	h = p->hash;
	for (k = 0; k < WL_PG_SCAN_STEP; k++) {
		__u32 i = pos + k;
		__u8 c;

		if (i >= lim)
			break;
		c = s->buf[i & (WL_L7_WINDOW - 1)];
		if (c == 0) {
			p->kw.state = WL_SQL_DONE;
			k++;
			break;
		}
		h = (h ^ c) * PG_FNV_PRIME;
		p->flags |= PG_F_NAMED;
	}
	p->hash = h;
	return k;
}

/* Pseudo commands: names looked up by wl_postgresql_lookup */
enum { PG_FIX_NONE = 0, PG_FIX_CANCEL, PG_FIX_FCALL, PG_FIX_TLS, PG_FIX_GSSENC };

/*
 * The command id of the keyword captured in p->kw.name (OTHER when there is none) or, fixed
 * given, of that pseudo command's name (written to p->kw.name). Global: verified once.
 */
__noinline int wl_postgresql_lookup(struct wl_postgresql_dir *p, __u32 fixed)
{
	if (!p)
		return WL_CMD_OTHER;
	switch (fixed) {
	case PG_FIX_NONE:
		return wl_sql_kw_lookup(&p->kw);
	case PG_FIX_CANCEL:
		wl_sql_kw_clear(&p->kw);
		WL_SQL_NAME(&p->kw, "CANCEL");
		break;
	case PG_FIX_FCALL:
		wl_sql_kw_clear(&p->kw);
		WL_SQL_NAME(&p->kw, "FUNCTION_CALL");
		break;
	case PG_FIX_TLS:
		wl_sql_kw_clear(&p->kw);
		WL_SQL_NAME(&p->kw, "TLS");
		break;
	default:
		wl_sql_kw_clear(&p->kw);
		WL_SQL_NAME(&p->kw, "GSSENC");
		break;
	}
	return wl_cmd_lookup_scratch(p->kw.name);
}

/* wl_emit_response with the global flush (requests: wl_sql_emit_req). */
static __always_inline void wl_postgresql_emit_resp(struct wl_l7_walk *w, __u16 id, __u64 lat_ns,
						    int error, __u32 bytes)
{
	struct wl_l7_run *r = wl_l7_resp_run(w, id, lat_ns);

	if (!r)
		return;
	r->count++;
	r->errors += !!error;
	r->bytes += bytes;
}

/* Back to a message boundary, answering nothing. */
static __always_inline void wl_postgresql_reset(struct wl_l7_dir *d, struct wl_postgresql_dir *p)
{
	wl_l7_msg_reset(d);
	p->ctx = PG_CTX_NONE;
}

static __always_inline int wl_postgresql_malformed(struct wl_l7_walk *w, struct wl_l7_dir *d,
						   struct wl_postgresql_dir *p)
{
	wl_postgresql_reset(d, p);
	return wl_l7_malformed(w, d);
}

/* A typed message's header (type byte, int32 length counting itself) gathered in d->hdr, its
 * length in *len: 1 when it can be a message of direction resp, 0 when it cannot, -1 when the
 * payload ended first. */
static __always_inline int wl_postgresql_msg_hdr(struct wl_l7_walk *w, struct wl_l7_dir *d,
						 __u32 resp, __u32 *len)
{
	if (!WL_SQL_TAKE(w, d, 5))
		return -1;
	*len = wl_be32(d->hdr + 1);
	return wl_postgresql_msg_ok(resp, d->hdr[0], *len);
}

static __always_inline void wl_postgresql_push(struct wl_l7_walk *w, __u32 kind, __u16 verb)
{
	/* L7 rules: a Query's or an Execute's verb (requests are counted with their response,
	 * which a denied one never gets) */
	wl_l7_rule_check(w->s, verb & PG_FIFO_ID_MASK);
	wl_fifo_push(w, (kind << PG_FIFO_ID_BITS) | (verb & PG_FIFO_ID_MASK), 1);
}

/* ---- requests ---- */

static __always_inline void wl_postgresql_req_done(struct wl_l7_dir *d, struct wl_postgresql_dir *p)
{
	if (p->type) /* not the untyped start messages */
		p->req_bytes += d->msg_bytes;
	d->msg_bytes = 0;
	d->hdr_len = 0;
	d->state = PG_ST_HDR;
}

static __always_inline void wl_postgresql_scan_start(struct wl_postgresql_dir *p, __u8 mode,
						     __u32 seed)
{
	p->mode = mode;
	p->kw.state = WL_SQL_WS;
	p->kw.depth = 0;
	p->hash = seed;
	p->flags &= ~PG_F_NAMED;
	p->budget = WL_PG_SCAN_MAX;
	wl_sql_kw_clear(&p->kw);
}

/* The verb a statement (Bind) or portal (Execute) was given: a named one's from wl_aux. */
static __always_inline __u16 wl_postgresql_named_verb(struct wl_l7_walk *w,
						      struct wl_postgresql_dir *p, __u16 unnamed)
{
	struct wl_aux_val *v;

	if (!(p->flags & PG_F_NAMED))
		return unnamed;
	v = wl_aux_get(w, WL_AUX_STMT, p->hash);
	return v ? v->cmd_id : WL_CMD_OTHER;
}

/* A string of the request message is complete: the next one, or what the message means.
 * Global: verified once. */
__noinline int wl_postgresql_part_done(struct wl_conn *conn)
{
	struct wl_l7_walk w;
	struct wl_postgresql_dir *p = wl_sql_at(&w, 0, conn, 0);
	struct wl_l7_dir *d = w.d;
	__u16 verb;

	if (!p)
		return 0;
	d->state = PG_ST_BODY;
	switch (p->type) {
	case 'Q':
		wl_postgresql_push(&w, PG_KIND_QUERY, wl_postgresql_lookup(p, PG_FIX_NONE));
		return 0;
	case 'P':
	case 'B':
		if (p->part == 0) {
			/* Parse: the statement's name, its query follows; Bind: the portal's
			 * name, the statement's follows */
			p->hash2 = p->hash;
			if (p->flags & PG_F_NAMED)
				p->flags |= PG_F_PNAMED;
			else
				p->flags &= ~PG_F_PNAMED;
			p->part = 1;
			if (p->type == 'P')
				wl_postgresql_scan_start(p, PG_SCAN_VERB, 0);
			else
				wl_postgresql_scan_start(p, PG_SCAN_NAME, PG_SEED_STMT);
			d->state = PG_ST_SCAN;
			return 0;
		}
		if (p->type == 'P')
			verb = wl_postgresql_lookup(p, PG_FIX_NONE);
		else
			verb = wl_postgresql_named_verb(&w, p, p->unnamed_stmt);
		if (p->flags & PG_F_PNAMED)
			wl_aux_set(&w, WL_AUX_STMT, p->hash2, verb, 0);
		else if (p->type == 'P')
			p->unnamed_stmt = verb;
		else
			p->unnamed_portal = verb;
		p->batch_verb = verb;
		return 0;
	case 'E':
		wl_postgresql_push(&w, PG_KIND_EXEC,
				   wl_postgresql_named_verb(&w, p, p->unnamed_portal));
		return 0;
	default:
		return 0;
	}
}

/* At a request message boundary: gathers the header and decides. Returns 1 to end the walk.
 * Global: verified once. */
__noinline int wl_postgresql_req_hdr(wl_ctx_t *ctx, struct wl_conn *conn)
{
	struct wl_l7_walk w;
	struct wl_postgresql_dir *p = wl_sql_at(&w, ctx, conn, 0);
	struct wl_l7_dir *d = w.d;
	__u32 len = 0;
	__u8 type;
	int ok;

	if (!p)
		return 1;
	if (p->phase == PG_PHASE_START) {
		__u32 code;

		if (!WL_SQL_TAKE(&w, d, 8))
			return 1;
		len = wl_be32(d->hdr);
		code = wl_be32(d->hdr + 4);
		if (!wl_postgresql_start_ok(len, code))
			return wl_postgresql_malformed(&w, d, p);
		d->body_left = len - 8;
		d->hdr_len = 0;
		d->state = PG_ST_BODY;
		p->type = 0;
		if (code == PG_CODE_SSL || code == PG_CODE_GSSENC) {
			p->enc++; /* the server answers one byte */
		} else if (code == PG_CODE_CANCEL) {
			wl_sql_emit_req(&w, wl_postgresql_lookup(p, PG_FIX_CANCEL), len);
		} else {
			p->phase = PG_PHASE_CMD;
			p->unnamed_stmt = p->unnamed_portal = p->batch_verb = WL_CMD_OTHER;
		}
		return 0;
	}
	ok = wl_postgresql_msg_hdr(&w, d, 0, &len);
	if (ok <= 0)
		return ok < 0 ? 1 : wl_postgresql_malformed(&w, d, p);
	type = d->hdr[0];
	p->type = type;
	p->part = 0;
	if (type == 'P' || type == 'B' || type == 'D' || type == 'C')
		p->flags |= PG_F_UNRUN;
	else if (type == 'E' || type == 'S')
		p->flags &= ~PG_F_UNRUN;
	d->body_left = len - 4;
	d->hdr_len = 0;
	d->state = PG_ST_BODY;
	switch (type) {
	case 'Q':
		wl_postgresql_scan_start(p, PG_SCAN_VERB, 0);
		d->state = PG_ST_SCAN;
		break;
	case 'P':
	case 'B':
	case 'E':
		wl_postgresql_scan_start(p, PG_SCAN_NAME,
					 type == 'P' ? PG_SEED_STMT : PG_SEED_PORTAL);
		d->state = PG_ST_SCAN;
		break;
	case 'S':
		wl_postgresql_push(&w, PG_KIND_SYNC, p->batch_verb);
		p->batch_verb = WL_CMD_OTHER;
		break;
	case 'H': /* an error before the Sync answers this Flush (describe-first drivers) */
		if (p->flags & PG_F_UNRUN)
			wl_postgresql_push(&w, PG_KIND_FLUSH, p->batch_verb);
		p->flags &= ~PG_F_UNRUN;
		break;
	case 'F':
		wl_postgresql_push(&w, PG_KIND_QUERY, wl_postgresql_lookup(p, PG_FIX_FCALL));
		break;
	}
	return 0;
}

/* Scans a name or a keyword of the request message in the window. Returns 1 to end the walk.
 * Global: verified once. */
__noinline int wl_postgresql_req_scan(wl_ctx_t *ctx, struct wl_conn *conn)
{
	struct wl_l7_walk w;
	struct wl_postgresql_dir *p = wl_sql_at(&w, ctx, conn, 0);
	struct wl_l7_dir *d = w.d;
	struct wl_l7_state *s = w.s;
	__u32 avail, n, pos;
	int verb;

	if (!p)
		return 1;
	avail = wl_win_avail(&w);
	if (!avail)
		return 1;
	verb = p->mode == PG_SCAN_VERB;
	avail = wl_sql_span(&w, avail, verb ? p->budget : avail, &pos);
	n = verb ? wl_sql_scan_pg(s, &p->kw, pos, pos + avail)
		 : wl_postgresql_name_scan(s, p, pos, pos + avail);
	wl_sql_took(&w, n);
	if (verb) {
		p->budget -= n;
		if (p->kw.state == WL_SQL_DONE || p->budget == 0 || d->body_left == 0 || n == 0) {
			if (p->kw.state != WL_SQL_DONE && p->kw.state != WL_SQL_WORD)
				p->kw.len = 0; /* no keyword */
			wl_postgresql_part_done(conn);
		}
	} else if (p->kw.state == WL_SQL_DONE) {
		wl_postgresql_part_done(conn);
	} else if (d->body_left == 0 || n == 0) {
		return wl_postgresql_malformed(&w, d, p); /* a name without its NUL */
	}
	return 0;
}

/* One request step: a header, a piece of a scanned string, or a body skip. Returns 1 to end
 * the walk. Global: verified once. */
__noinline int wl_postgresql_req_step(wl_ctx_t *ctx, struct wl_conn *conn)
{
	struct wl_l7_walk w;
	struct wl_l7_dir *d;
	__u8 st;

	if (!wl_l7_walk_g(&w, ctx, conn, 0))
		return 1;
	d = w.d;
	st = d->state;
	if (st == PG_ST_HDR) {
		if (wl_postgresql_req_hdr(ctx, conn))
			return 1;
	} else if (st == PG_ST_SCAN) {
		if (wl_postgresql_req_scan(ctx, conn))
			return 1;
	}
	if (d->state == PG_ST_BODY && wl_l7_body_skip(&w, d))
		wl_postgresql_req_done(d, PG(d));
	st = d->state;
	if (st != PG_ST_HDR && st != PG_ST_BODY && st != PG_ST_SCAN)
		return 1;
	return w.s->off >= w.s->end;
}

WL_SQL_STEP_CB(wl_postgresql_req_cb, wl_postgresql_req_step)

/* ---- responses ---- */

/* The command of the FIFO's oldest entry, without taking it; WL_CMD_NONE when empty,
 * WL_FIFO_LOST for a message lost to an overflow (taken as an Execute of no known command).
 * Global: verified once. */
__noinline int wl_postgresql_peek(struct wl_conn *c)
{
	if (!c)
		return WL_CMD_NONE;
	return wl_fifo_peek(c);
}

/* The FIFO's oldest entry once the Flushes already answered are dropped: a Flush with a later
 * request behind it was answered (responses come in order, and that request was sent after
 * the Flush's answer or pipelined behind it: an error then is that request's). A Flush with
 * nothing behind it stays: the client waits for its answer, which may be an error (the Sync
 * follows it). Global: verified once. */
__noinline int wl_postgresql_head(struct wl_conn *c)
{
	struct wl_pending v;
	__u64 left;

	if (!c)
		return WL_CMD_NONE;
	for (int k = 0; k < 4; k++) {
		if (!wl_fifo_head_once(c, &v, &left))
			return WL_CMD_NONE;
		if (v.cmd_id == WL_FIFO_LOST || (v.cmd_id >> PG_FIFO_ID_BITS) != PG_KIND_FLUSH)
			return v.cmd_id;
		if (left > 1) /* a run of Flushes: all but its last were answered */
			wl_fifo_take(c, left - 1);
		if (*(volatile __u32 *)&c->fifo_tail - c->fifo_head <= 1)
			return v.cmd_id;
		wl_fifo_take(c, 1);
	}
	return wl_fifo_peek(c);
}

/* Takes the FIFO's oldest entry (WL_CMD_NONE when empty); when it was sent goes to
 * p->req_ts. Global: verified once. */
__noinline int wl_postgresql_pop(struct wl_conn *conn)
{
	struct wl_l7_walk w;
	__u64 lat = 0;
	__u16 e;

	if (!wl_l7_walk_g(&w, 0, conn, 1))
		return WL_CMD_NONE;
	e = wl_fifo_pop(&w, &lat);
	PG(w.d)->req_ts = wl_l7_now(w.s) - lat;
	return e;
}

/* The request side's bytes since the last statement reported (p: the response side's state):
 * the next one reported is counted with them. */
static __always_inline __u64 wl_postgresql_req_bytes(struct wl_conn *conn,
						     struct wl_postgresql_dir *p)
{
	__u64 total = *(volatile __u64 *)&((struct wl_postgresql_dir *)wl_l7_priv_of(conn, 0))
			       ->req_bytes,
	      n = total - p->req_bytes;

	p->req_bytes = total;
	return n;
}

/* One statement reported: a request and its response. Global: verified once. */
__noinline int wl_postgresql_report(struct wl_conn *conn, __u32 verb, __u32 error)
{
	struct wl_l7_walk w;
	struct wl_postgresql_dir *p = wl_sql_at(&w, 0, conn, 1);
	struct wl_l7_dir *d = w.d;
	__u64 now;

	if (!p)
		return 0;
	wl_sql_emit_req(&w, verb, wl_postgresql_req_bytes(conn, p));
	now = wl_l7_now(w.s);
	wl_postgresql_emit_resp(&w, verb, now > p->req_ts ? now - p->req_ts : 0, error,
				d->msg_bytes);
	d->msg_bytes = 0;
	return 0;
}

/* A message that only a request can cause: at a request's first one, a Query is taken. */
static __always_inline void wl_postgresql_begin(struct wl_conn *conn, struct wl_postgresql_dir *p)
{
	__u16 e;

	if (p->ctx != PG_CTX_NONE)
		return;
	e = wl_postgresql_head(conn);
	if (e == WL_CMD_NONE || (e >> PG_FIFO_ID_BITS) != PG_KIND_QUERY)
		return;
	e = wl_postgresql_pop(conn);
	p->verb = e & PG_FIFO_ID_MASK;
	p->nstmt = 0;
	p->ctx = PG_CTX_QUERY;
}

/* CommandComplete (verb from its tag), FunctionCallResponse, EmptyQueryResponse,
 * PortalSuspended (report 0: the statement was not completed or was empty). */
static __always_inline void
wl_postgresql_complete(struct wl_l7_walk *w, struct wl_postgresql_dir *p, __u16 verb, int report)
{
	__u16 e;

	wl_postgresql_begin(w->conn, p);
	if (p->ctx == PG_CTX_NONE) {
		e = wl_postgresql_head(w->conn);
		if (e == WL_CMD_NONE ||
		    (e != WL_FIFO_LOST && (e >> PG_FIFO_ID_BITS) != PG_KIND_EXEC)) {
			if (report)
				w->cnt->l7_unmatched++;
			return;
		}
		wl_postgresql_pop(w->conn);
	} else if (p->ctx != PG_CTX_QUERY) {
		if (report)
			w->cnt->l7_unmatched++;
		return;
	}
	if (!report)
		return;
	p->nstmt++;
	wl_postgresql_report(w->conn, verb, 0);
}

static __always_inline void wl_postgresql_error(struct wl_l7_walk *w, struct wl_postgresql_dir *p)
{
	__u16 e, verb;

	if (p->ctx == PG_CTX_QUERY) {
		verb = p->nstmt ? WL_CMD_OTHER : p->verb;
		p->nstmt++;
		wl_postgresql_report(w->conn, verb, 1);
		return;
	}
	e = p->ctx == PG_CTX_NONE ? wl_postgresql_head(w->conn) : WL_CMD_NONE;
	if (e == WL_CMD_NONE || e == WL_FIFO_LOST) {
		/* no request waits (a FATAL on an idle connection), or it was lost to an overflow
		 * (then it was an Execute, whose Sync follows: counted under no command) */
		if (e == WL_FIFO_LOST) {
			wl_postgresql_pop(w->conn);
			p->ctx = PG_CTX_SKIP;
		}
		w->cnt->l7_unmatched++;
		return;
	}
	e = wl_postgresql_pop(w->conn);
	verb = e & PG_FIFO_ID_MASK;
	switch (e >> PG_FIFO_ID_BITS) {
	case PG_KIND_QUERY:
		p->ctx = PG_CTX_QUERY;
		p->verb = verb;
		p->nstmt = 1;
		break;
	case PG_KIND_EXEC:
	case PG_KIND_FLUSH: /* the batch failed before its Sync, which is still to come */
		p->ctx = PG_CTX_SKIP;
		break;
	default:
		p->ctx = PG_CTX_SYNCED;
		break;
	}
	wl_postgresql_report(w->conn, verb, 1);
}

/* ReadyForQuery ending an extended batch: takes one of its requests. Returns 1 when it was an
 * Execute (never run after an error: dropped, not counted) or a Flush (answered), 0 at the Sync (or
 * a Query answered by nothing but this) or when nothing is pending. Global: verified once. */
__noinline int wl_postgresql_ready_take(struct wl_conn *conn)
{
	struct wl_l7_walk w;
	__u16 e;

	if (!wl_l7_walk_g(&w, 0, conn, 1))
		return 0;
	if (wl_postgresql_peek(conn) == WL_CMD_NONE) {
		w.cnt->l7_unmatched++;
		return 0;
	}
	e = wl_postgresql_pop(conn);
	return (e >> PG_FIFO_ID_BITS) == PG_KIND_EXEC || (e >> PG_FIFO_ID_BITS) == PG_KIND_FLUSH;
}

/* ReadyForQuery: the request being answered is over; an extended batch ends at its Sync. */
static __always_inline void wl_postgresql_ready(struct wl_l7_walk *w, struct wl_postgresql_dir *p)
{
	if (p->ctx == PG_CTX_QUERY || p->ctx == PG_CTX_SYNCED) {
		p->ctx = PG_CTX_NONE;
		return;
	}
	p->ctx = PG_CTX_NONE;
	for (int k = 0; k < WL_FIFO_LEN; k++)
		if (!wl_postgresql_ready_take(w->conn))
			return;
}

/* A response message is complete (its body skipped). Global: verified once. */
__noinline int wl_postgresql_resp_done(struct wl_conn *conn)
{
	struct wl_l7_walk w;
	struct wl_postgresql_dir *p = wl_sql_at(&w, 0, conn, 1);
	struct wl_l7_dir *d = w.d;

	if (!p)
		return 0;
	d->state = PG_ST_HDR;
	d->hdr_len = 0;
	if (p->phase == PG_PHASE_START) {
		if (p->type == 'Z') {
			p->phase = PG_PHASE_CMD;
			p->ctx = PG_CTX_NONE;
			d->msg_bytes = 0;
		}
		return 0;
	}
	switch (p->type) {
	case 'S': /* ParameterStatus, NoticeResponse, NotificationResponse: not answers */
	case 'N':
	case 'A':
		break;
	case 'Z': /* its bytes belong to no statement */
		wl_postgresql_ready(&w, p);
		d->msg_bytes = 0;
		break;
	case 'C':
		wl_postgresql_complete(&w, p, p->tag, 1);
		break;
	case 'V': /* a FunctionCall's result: named as the call */
		wl_postgresql_begin(conn, p);
		wl_postgresql_complete(&w, p, p->verb, 1);
		break;
	case 'I':
	case 's':
		wl_postgresql_complete(&w, p, 0, 0);
		break;
	case 'E':
		wl_postgresql_error(&w, p);
		break;
	default:
		wl_postgresql_begin(conn, p);
		break;
	}
	return 0;
}

/* The verb of the first word of a CommandComplete tag held in d->hdr from index 5, n bytes.
 * Global: verified once. */
__noinline int wl_postgresql_tag_verb(struct wl_l7_dir *d, __u32 n)
{
	struct wl_postgresql_dir *p;

	if (!d)
		return WL_CMD_OTHER;
	p = PG(d);
	wl_sql_kw_clear(&p->kw);
	for (__u32 k = 0; k < WL_CMD_LEN - 1; k++) {
		__u8 c;

		if (k >= n)
			break;
		c = d->hdr[(5 + k) & (WL_L7_HDR_MAX - 1)];
		if (!wl_char_is_alpha(c))
			break;
		p->kw.name[k] = wl_upper(c);
		p->kw.len = k + 1;
	}
	return wl_postgresql_lookup(p, PG_FIX_NONE);
}

/* At a response message boundary. Returns 1 to end the walk. Global: verified once. */
__noinline int wl_postgresql_resp_hdr(wl_ctx_t *ctx, struct wl_conn *conn)
{
	struct wl_l7_walk w;
	struct wl_postgresql_dir *p = wl_sql_at(&w, ctx, conn, 1);
	struct wl_postgresql_dir *q;
	struct wl_l7_dir *d = w.d;
	__u32 len = 0, take;
	__u8 type;
	int ok;

	if (!p)
		return 1;
	q = wl_l7_priv_of(conn, 0); /* its kept bytes only */
	if (p->phase == PG_PHASE_START && *(volatile __u8 *)&q->enc != p->enc) {
		/* the one-byte answer to SSLRequest / GSSENCRequest */
		if (!WL_SQL_TAKE(&w, d, 1))
			return 1;
		p->enc++;
		d->hdr_len = 0;
		d->msg_bytes = 0;
		type = d->hdr[0];
		if (type == 'N')
			return 0;
		if (type != 'S' && type != 'G')
			return wl_postgresql_malformed(&w, d, p);
		/* encrypted from here on: counted, then left alone */
		p->req_ts = wl_l7_now(w.s);
		wl_postgresql_report(
			conn, wl_postgresql_lookup(p, type == 'S' ? PG_FIX_TLS : PG_FIX_GSSENC), 0);
		p->flags |= PG_F_IGNORE;
		d->state = PG_ST_IGNORE;
		return 1;
	}
	ok = wl_postgresql_msg_hdr(&w, d, 1, &len);
	if (ok <= 0)
		return ok < 0 ? 1 : wl_postgresql_malformed(&w, d, p);
	type = d->hdr[0];
	take = 0;
	if (type == 'C') {
		take = len - 4 < WL_PG_TAG_TAKE ? len - 4 : WL_PG_TAG_TAKE;
		if (!WL_SQL_TAKE(&w, d, 5 + take))
			return 1;
		p->tag = wl_postgresql_tag_verb(d, take);
	}
	p->type = type;
	d->body_left = len - 4 - take;
	d->hdr_len = 0;
	d->state = PG_ST_BODY;
	return 0;
}

/*
 * DataRows taken a run at a time (wl_sql_rows): after a DataRow of a simple Query (its response
 * begun, so a DataRow's end changes nothing but the response's bytes), the DataRows that follow
 * are skipped by their length instead of a header copy into d->hdr and a body step each. Any
 * other message is left to wl_postgresql_resp_hdr. The row's length (0: no DataRow).
 */
static __always_inline __u32 wl_postgresql_row_len(void *priv, const __u8 *b)
{
	__u32 len = wl_be32(b + 1);

	return b[0] == 'D' && wl_postgresql_msg_ok(1, 'D', len) ? 1 + len : 0;
}

/* At a response message boundary: DataRows skipped while they come. Global: verified once. */
__noinline int wl_postgresql_rows_fast(wl_ctx_t *ctx, struct wl_conn *conn)
{
	struct wl_l7_walk w;
	struct wl_postgresql_dir *p = wl_sql_at(&w, ctx, conn, 1);

	if (p && w.d->state == PG_ST_HDR && !w.d->hdr_len && p->phase == PG_PHASE_CMD &&
	    p->type == 'D' && p->ctx != PG_CTX_NONE)
		wl_sql_rows(&w, p, wl_postgresql_row_len, PG_ST_BODY);
	return 0;
}

/* One response step: a header or a body skip. Returns 1 to end the walk. Global: verified
 * once. */
__noinline int wl_postgresql_resp_step(wl_ctx_t *ctx, struct wl_conn *conn)
{
	struct wl_l7_walk w;
	struct wl_l7_dir *d;

	if (!wl_l7_walk_g(&w, ctx, conn, 1))
		return 1;
	d = w.d;
	if (d->state == PG_ST_HDR && PG(d)->type == 'D') { /* rows come after a row */
		wl_postgresql_rows_fast(ctx, conn);
		if (w.s->off >= w.s->end)
			return 1;
	}
	if (d->state == PG_ST_HDR) {
		if (wl_postgresql_resp_hdr(ctx, conn))
			return 1;
		if (d->state == PG_ST_HDR) /* a one-byte answer */
			return w.s->off >= w.s->end;
	}
	if (d->state != PG_ST_BODY)
		return 1;
	if (wl_l7_body_skip(&w, d))
		wl_postgresql_resp_done(conn);
	return w.s->off >= w.s->end;
}

WL_SQL_STEP_CB(wl_postgresql_resp_cb, wl_postgresql_resp_step)

/* Lost sync: a segment may restart the stream if it begins like a message of its direction
 * (or, client side, like a connection's first message). */
static __always_inline void wl_postgresql_resync(struct wl_l7_walk *w, struct wl_l7_dir *d,
						 struct wl_postgresql_dir *p)
{
	struct wl_l7_state *s = w->s;
	__u32 avail, len;
	__u8 b[8];
	int ok = 0;

	if (d->state != PG_ST_RESYNC)
		return;
	avail = wl_win_avail(w);
	if (avail >= 5) {
		wl_win_peek(w, b, 8);
		len = wl_be32(b + 1);
		if (s->job.dir == 0) {
			if (avail >= 8 && !b[0] &&
			    wl_postgresql_start_ok(wl_be32(b), wl_be32(b + 4))) {
				p->phase = PG_PHASE_START;
				ok = 1;
			} else if (wl_postgresql_msg_ok(0, b[0], len)) {
				p->phase = PG_PHASE_CMD;
				ok = 1;
			}
		} else if (wl_postgresql_msg_ok(1, b[0], len)) {
			/* authentication: still in the connection's start */
			p->phase = b[0] == 'R' ? PG_PHASE_START : PG_PHASE_CMD;
			ok = 1;
		}
	}
	if (!ok && s->job.dir && avail >= 1 &&
	    ((struct wl_postgresql_dir *)wl_l7_priv_of(w->conn, 0))->enc != p->enc) {
		/* the one-byte answer to an SSLRequest / GSSENCRequest seen */
		wl_win_peek(w, b, 1);
		if (b[0] == 'S' || b[0] == 'N' || b[0] == 'G') {
			p->phase = PG_PHASE_START;
			ok = 1;
		}
	}
	if (!ok) {
		w->cnt->l7_resync_skip++;
		return;
	}
	wl_postgresql_reset(d, p);
}

/* The walk over one packet. Global: verified once, whatever the engine's state before it. */
__noinline int wl_postgresql_parse_g(wl_ctx_t *ctx, struct wl_conn *conn)
{
	struct wl_l7_walk w;
	int dir = wl_sql_packet(&w, ctx, conn);

	if (dir < 0)
		return 0;
	if (((struct wl_postgresql_dir *)wl_l7_priv_of(conn, 1))->flags & PG_F_IGNORE) {
		w.d->state = PG_ST_IGNORE;
		return 0;
	}
	wl_postgresql_resync(&w, w.d, PG(w.d));
	WL_SQL_STEPS(&w, dir, wl_postgresql_req_cb, wl_postgresql_resp_cb);
	return 0;
}

static __always_inline void wl_postgresql_parse(struct wl_l7_walk *w)
{
	wl_postgresql_parse_g(w->ctx, w->conn);
}

/*
 * Does a client's first payload look like PostgreSQL? A whole StartupMessage (protocol 3.x,
 * its first parameter name in lower case), SSLRequest, GSSENCRequest or CancelRequest.
 */
static __always_inline int wl_postgresql_sniff(const __u8 *h, __u32 len)
{
	__u8 b0 = h[0], b1 = h[1], b2 = h[2], b3 = h[3], b4 = h[4], b5 = h[5], b6 = h[6], b7 = h[7],
	     b8 = h[8], b9 = h[9];
	__u32 plen = (__u32)b0 << 24 | (__u32)b1 << 16 | (__u32)b2 << 8 | b3;
	__u32 code = (__u32)b4 << 24 | (__u32)b5 << 16 | (__u32)b6 << 8 | b7;

	if (len < 8 || plen != len)
		return 0;
	if (code == PG_CODE_SSL || code == PG_CODE_GSSENC)
		return len == 8;
	if (code == PG_CODE_CANCEL)
		return len == 16;
	return (code >> 16) == 3 && len >= 16 && len <= WL_PG_STARTUP_MAX && b8 >= 'a' &&
	       b8 <= 'z' && b9 >= 'a' && b9 <= 'z';
}

/* Is a message open past the packet (its state must be kept whole, wl_l7_store)? Not in
 * IGNORE (encrypted); a response inside a Query or an error batch (ctx). */
static __always_inline int wl_postgresql_open(const struct wl_l7_dir *d, int dir)
{
	const struct wl_postgresql_dir *p = (const struct wl_postgresql_dir *)d->priv;

	return (d->state != PG_ST_HDR && d->state != PG_ST_RESYNC && d->state != PG_ST_IGNORE) ||
	       wl_l7_open_engine(d) || (dir && p->ctx != PG_CTX_NONE);
}

#endif /* WL_PARSE_PROTO_POSTGRESQL_H */
