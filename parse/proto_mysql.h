/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * MySQL / MariaDB client protocol. Every packet is a 3-byte little-endian length, a sequence id
 * and a payload; a payload of 0xffffff bytes continues in the next packet. Both directions walk
 * packet by packet: a header (plus the few payload bytes that decide) is gathered across
 * segment boundaries, the rest of the payload is skipped by length without being read.
 *
 *  Connection start: server greeting (seq 0) -> client handshake response or SSL request
 *  (seq 1) -> auth switch / more data exchanges -> OK or ERR. Capability flags of both sides
 *  are kept (CLIENT_DEPRECATE_EOF decides whether EOF packets follow column definitions).
 *  TLS (SSL request) and the compressed protocol are counted as pseudo commands "TLS" and
 *  "COMPRESSED"; the rest of such a connection is left alone.
 *  Requests: a packet with sequence id 0 starts a command. COM_QUERY and COM_STMT_PREPARE are
 *  named by the statement's first keyword (comments and blanks skipped, upper-cased; MySQL 8
 *  query attributes "00 01" skipped, a query with attribute values counts as OTHER);
 *  COM_STMT_PREPARE is counted as itself and its verb is remembered by statement id from its
 *  response; COM_STMT_EXECUTE is counted under its statement's verb. Other commands by name
 *  (COM_PING ...). Packets with other sequence ids continue an exchange (auth data, LOCAL
 *  INFILE contents): they must follow the previous one by one or two.
 *  Responses: OK, ERR, result sets (column count, definitions, [EOF], rows, EOF or OK
 *  terminator), SERVER_MORE_RESULTS_EXISTS chains, LOCAL INFILE requests, STMT_PREPARE_OK with
 *  its parameter and column definitions. The response's kind travels with the request in the
 *  FIFO: entry = kind << 11 | command id (requests are pushed by this parser, not the engine).
 *  Multi-statements: a COM_QUERY of a client with CLIENT_MULTI_STATEMENTS (or COM_SET_OPTION
 *  MULTI_STATEMENTS_ON since, or whose handshake was not seen) is scanned past its first
 *  keyword, up to WL_MYSQL_MULTI_MAX bytes, for the ';' that start later statements (not inside
 *  'strings', "strings", `identifiers`, comments: parse/sql.h); the first statement's entry is
 *  pushed, and its request counted, when its keyword is known, each later one's (kind
 *  MY_KIND_MORE, at most WL_MYSQL_MORE_MAX) when its keyword is. The server answers each
 *  statement with its own result, SERVER_MORE_RESULTS_EXISTS set while more follow: a result so
 *  ended ends its statement (a CALL's result sets go on up to the CALL's own OK,
 *  Com_call_procedure once), and when the next FIFO entry is a later statement it is counted
 *  there, request and response, under its own verb (the text's bytes count once, with the first
 *  statement). An error ends the batch: the server runs nothing after it, the remaining entries
 *  are dropped uncounted. Without a later statement's entry the results go on as one response
 *  (as a CALL's).
 *  Server-side cursors: a COM_STMT_EXECUTE whose flags ask for one (CURSOR_TYPE_READ_ONLY), when
 *  the server opens it, is answered by the definitions and one terminator whose status has
 *  SERVER_STATUS_CURSOR_EXISTS (the EOF after the definitions, or with CLIENT_DEPRECATE_EOF an OK
 *  with a 0xfe header), no rows; each COM_STMT_FETCH by rows up to a terminator
 *  (SERVER_STATUS_LAST_ROW_SENT on the last) or by ERR.
 */
#ifndef WL_PARSE_PROTO_MYSQL_H
#define WL_PARSE_PROTO_MYSQL_H

#include "sql.h"
#include "mysql_coms.h"

#define WL_MYSQL_PKT_MAX     0xffffff /* a payload this long continues in the next packet */
#define WL_MYSQL_COLS_MAX    4096     /* the servers' own limit on columns per table/result */
#define WL_MYSQL_SCAN_MAX    512      /* statement bytes scanned for the first keyword */
#define WL_MYSQL_RESP_TAKE   28	      /* response payload bytes read: OK packet's status */
#define WL_MYSQL_HELLO_TAKE  32	      /* handshake response bytes read: capability flags */
#define WL_MYSQL_GREET_BLOCK 31	      /* greeting bytes after the version string */
#define WL_MYSQL_MULTI_MAX   16384    /* multi-statements: bytes scanned for later statements */
#define WL_MYSQL_MORE_MAX    16	      /* multi-statements: later statements' FIFO entries */

/* capability flags */
#define MY_CLIENT_COMPRESS	0x00000020
#define MY_CLIENT_PROTOCOL_41	0x00000200
#define MY_CLIENT_SSL		0x00000800
#define MY_CLIENT_SECURE_CONN	0x00008000
#define MY_CLIENT_MULTI_STMTS	0x00010000
#define MY_CLIENT_DEPRECATE_EOF 0x01000000
#define MY_CLIENT_ZSTD		0x04000000
/* status flags */
#define MY_SERVER_MORE_RESULTS	0x0008
#define MY_SERVER_CURSOR_EXISTS 0x0040
/* COM_STMT_EXECUTE flags */
#define MY_CURSOR_TYPE_READ_ONLY 0x01

/* commands */
enum wl_mysql_com {
	MY_COM_SLEEP = 0x00,
	MY_COM_QUIT = 0x01,
	MY_COM_INIT_DB = 0x02,
	MY_COM_QUERY = 0x03,
	MY_COM_FIELD_LIST = 0x04,
	MY_COM_REFRESH = 0x07,
	MY_COM_STATISTICS = 0x09,
	MY_COM_PROCESS_INFO = 0x0a,
	MY_COM_PROCESS_KILL = 0x0c,
	MY_COM_DEBUG = 0x0d,
	MY_COM_PING = 0x0e,
	MY_COM_TIME = 0x0f,
	MY_COM_CHANGE_USER = 0x11,
	MY_COM_BINLOG_DUMP = 0x12,
	MY_COM_STMT_PREPARE = 0x16,
	MY_COM_STMT_EXECUTE = 0x17,
	MY_COM_STMT_SEND_LONG_DATA = 0x18,
	MY_COM_STMT_CLOSE = 0x19,
	MY_COM_STMT_RESET = 0x1a,
	MY_COM_SET_OPTION = 0x1b,
	MY_COM_STMT_FETCH = 0x1c,
	MY_COM_BINLOG_DUMP_GTID = 0x1e,
	MY_COM_RESET_CONNECTION = 0x1f,
	MY_COM_STMT_BULK_EXECUTE = 0xfa,
};

/* What the response to a command looks like (travels in the FIFO entry's top bits). */
enum wl_mysql_kind {
	MY_KIND_GENERIC = 0, /* one packet: OK, ERR, EOF, a string (COM_STATISTICS) */
	MY_KIND_QUERY,	    /* OK, ERR, LOCAL INFILE or text result sets, chained by MORE_RESULTS */
	MY_KIND_EXECUTE,    /* OK, ERR or binary result sets */
	MY_KIND_CURSOR,	    /* COM_STMT_EXECUTE asking for a cursor: as MY_KIND_EXECUTE, or (cursor
			     * opened) definitions + a terminator with SERVER_STATUS_CURSOR_EXISTS,
			     * no rows */
	MY_KIND_PREPARE,    /* STMT_PREPARE_OK + parameter and column definitions, or ERR */
	MY_KIND_FIELD_LIST, /* column definitions up to EOF */
	MY_KIND_FETCH,	    /* rows up to EOF */
	MY_KIND_AUTH,	    /* COM_CHANGE_USER: auth switch / more data ... OK or ERR */
	MY_KIND_STREAM,	    /* binlog dump: the server streams forever */
	MY_KIND_NORESP,	    /* no response: never pushed */
	MY_KIND_DATA,	    /* not a command: auth data, LOCAL INFILE contents */
	MY_KIND_BAD,
	/* FIFO entries only: a COM_QUERY whose (first) statement is a CALL, and the later
	 * statements of a multi-statement COM_QUERY (pushed after its first entry) */
	MY_KIND_CALL,
	MY_KIND_MORE,
	MY_KIND_MORE_CALL,
};
#define MY_FIFO_ID_BITS 11 /* WL_CMD_IDS_MAX = 2048 */
_Static_assert(WL_CMD_IDS_MAX <= (1 << MY_FIFO_ID_BITS), "command ids fit in a FIFO entry");

/* d->state: where in the packet */
enum wl_mysql_state {
	MY_ST_HDR = 0,	   /* at a packet boundary: gathering the header */
	MY_ST_BODY,	   /* skipping the rest of the payload (d->body_left) */
	MY_ST_VERB,	   /* request: scanning a statement for its first keyword */
	MY_ST_GREET_VER,   /* response: the greeting's version string */
	MY_ST_GREET_BLOCK, /* response: the greeting's capability block */
	MY_ST_IGNORE,	   /* TLS or compressed: nothing more is parsed */
	MY_ST_RESYNC = WL_L7_RESYNC,
};

/* connection phase (priv) */
enum { MY_PHASE_START = 0, MY_PHASE_AUTH, MY_PHASE_CMD };

/* response grammar (priv) */
enum {
	MY_GRAM_IDLE = 0, /* the next packet starts a response */
	MY_GRAM_FIRST,	  /* first packet of a result (also after MORE_RESULTS) */
	MY_GRAM_PDEFS,	  /* prepare: parameter definitions */
	MY_GRAM_PEOF,	  /* prepare: EOF after the parameters */
	MY_GRAM_CDEFS,	  /* column definitions */
	MY_GRAM_CEOF,	  /* EOF after the column definitions */
	MY_GRAM_ROWS,	  /* rows up to EOF / OK terminator */
	MY_GRAM_INFILE,	  /* after a LOCAL INFILE request: the final OK or ERR */
};

/* priv flags */
#define MY_F_CAPS     0x01 /* capability flags known (handshake seen) */
#define MY_F_TLS      0x02 /* request side: SSL request seen */
#define MY_F_COMPRESS 0x04 /* request side: compression negotiated */
#define MY_F_IGNORE   0x08 /* nothing more to parse on this connection */
#define MY_F_ERROR    0x10 /* response: ends with an error */
#define MY_F_END      0x20 /* response: complete at the end of this packet */
#define MY_F_NEXT     0x40 /* response: one of several statements ends with this packet */
#define MY_F_MORE     0x80 /* request: first statement pushed, later ones scanned for */

/* MySQL's own per-direction state, in wl_l7_dir.priv. */
struct wl_mysql_dir {
	/* kept across messages (the first WL_L7_KEEP bytes: struct wl_l7_rest) */
	__u32 caps; /* request: client capabilities; response: server capabilities */
	__u8 flags;
	__u8 phase;
	__u8 seq; /* sequence id of the last packet */
	/* the message's */
	__u8 cont;	     /* the last packet had 0xffffff bytes: the next one continues it */
	struct wl_sql_kw kw; /* request: the statement's keyword; either: a name looked up */
	__u32 left;	     /* response: definition packets still to skip */
	__u32 left2;	     /* response: column definitions after the parameter definitions */
	__u32 budget;	     /* request: statement bytes still scanned for the keyword */
	__u16 verb; /* request: stats id of the command; response: prepared statement's verb */
	__u16 fifo; /* request: FIFO entry of the command */
	__u8 grammar;
	__u8 kind;
};
_Static_assert(sizeof(struct wl_mysql_dir) <= WL_L7_PRIV_MAX, "MySQL state fits in priv");
_Static_assert(__builtin_offsetof(struct wl_mysql_dir, seq) < WL_L7_KEEP,
	       "what MySQL keeps across messages is kept");
#define MY(d) ((struct wl_mysql_dir *)(d)->priv)

/*
 * How the parser is laid out for the verifier. Each bpf_loop callback is a thin call of a step
 * function, and every piece of work is a global (non-static, __noinline) function taking only
 * the context, the connection, the direction's state and scalars: it is verified once, with
 * nothing known about the bytes behind its pointers, and its caller sees an unknown scalar come
 * back. So no state of a caller (which hook path, which callback iteration, which command or
 * grammar state) is multiplied by the paths of a callee, and the callbacks converge at once.
 * The scratch and counters are looked up again inside (real map values: usable as helper keys).
 * Calls nest at most 7 frames deep (the verifier's limit; a bpf_loop callback is a frame):
 * wl_l7_mysql -> wl_mysql_parse_g -> callback -> wl_mysql_resp_step -> wl_mysql_resp_hdr ->
 * wl_mysql_gram_eof -> wl_mysql_resp_emit (and ... wl_mysql_resp_step -> wl_mysql_resp_done ->
 * wl_mysql_next_stmt -> wl_mysql_resp_emit / wl_fifo_pop_g / wl_l7_flush_g).
 */

static __always_inline __u32 wl_mysql_u24(const __u8 *p)
{
	return p[0] | (__u32)p[1] << 8 | (__u32)p[2] << 16;
}

#define MY_PSEUDO_TLS	     0x100
#define MY_PSEUDO_COMPRESSED 0x101
#define MY_KEYWORD	     0x200 /* wl_mysql_lookup: the keyword captured in name */

/* Command names by row (parse/mysql_coms.h), NUL-padded to WL_CMD_LEN; 64 rows so that a
 * masked index stays inside, the rows past the list and the last one name OTHER. */
static const char wl_mysql_com_names[64][WL_CMD_LEN]
	__attribute__((aligned(8))) = {WL_MYSQL_COM_NAMES, [WL_MYSQL_ROWS... 63] = "OTHER"};

/* The row of a command byte or pseudo command (OTHER's for any other). */
static __always_inline __u32 wl_mysql_com_row(__u32 cmd)
{
	if (cmd < WL_MYSQL_COM_BYTES)
		return cmd;
	return cmd == MY_COM_STMT_BULK_EXECUTE ? WL_MYSQL_ROW_BULK
	       : cmd == MY_PSEUDO_TLS	       ? WL_MYSQL_ROW_TLS
	       : cmd == MY_PSEUDO_COMPRESSED   ? WL_MYSQL_ROW_COMPRESS
					       : WL_MYSQL_ROWS;
}

/*
 * What a command byte asks for, by row (wl_mysql_com_row): the kind of response it gets and the
 * length its packet must have (len, exactly or at least). A zero row is a command of any
 * length answered by one packet (MY_KIND_GENERIC): every command byte up to 0x1f not listed. The
 * pseudo commands' rows and those past the list are no command (MY_KIND_BAD).
 */
enum wl_mysql_len_rule {
	MY_LEN_AT_LEAST = 0,
	MY_LEN_EXACTLY,
};

struct wl_mysql_com_rule {
	__u8 kind; /* MY_KIND_* */
	__u8 rule; /* enum wl_mysql_len_rule */
	__u8 len;
};

static const struct wl_mysql_com_rule wl_mysql_com_rules[64] = {
	[MY_COM_QUIT] = {MY_KIND_NORESP, MY_LEN_EXACTLY, 1},
	[MY_COM_STATISTICS] = {MY_KIND_GENERIC, MY_LEN_EXACTLY, 1},
	[MY_COM_DEBUG] = {MY_KIND_GENERIC, MY_LEN_EXACTLY, 1},
	[MY_COM_PING] = {MY_KIND_GENERIC, MY_LEN_EXACTLY, 1},
	[MY_COM_TIME] = {MY_KIND_GENERIC, MY_LEN_EXACTLY, 1},
	[MY_COM_RESET_CONNECTION] = {MY_KIND_GENERIC, MY_LEN_EXACTLY, 1},
	[MY_COM_PROCESS_INFO] = {MY_KIND_QUERY, MY_LEN_EXACTLY, 1},
	[MY_COM_REFRESH] = {MY_KIND_GENERIC, MY_LEN_EXACTLY, 2},
	[MY_COM_SET_OPTION] = {MY_KIND_GENERIC, MY_LEN_EXACTLY, 3},
	[MY_COM_PROCESS_KILL] = {MY_KIND_GENERIC, MY_LEN_EXACTLY, 5},
	[MY_COM_STMT_RESET] = {MY_KIND_GENERIC, MY_LEN_EXACTLY, 5},
	[MY_COM_STMT_CLOSE] = {MY_KIND_NORESP, MY_LEN_EXACTLY, 5},
	[MY_COM_STMT_FETCH] = {MY_KIND_FETCH, MY_LEN_EXACTLY, 9},
	[MY_COM_STMT_SEND_LONG_DATA] = {MY_KIND_NORESP, MY_LEN_AT_LEAST, 7},
	[MY_COM_STMT_EXECUTE] = {MY_KIND_EXECUTE, MY_LEN_AT_LEAST, 10},
	[WL_MYSQL_ROW_BULK] = {MY_KIND_EXECUTE, MY_LEN_AT_LEAST, 7},
	[MY_COM_QUERY] = {MY_KIND_QUERY, MY_LEN_AT_LEAST, 0},
	[MY_COM_STMT_PREPARE] = {MY_KIND_PREPARE, MY_LEN_AT_LEAST, 0},
	[MY_COM_FIELD_LIST] = {MY_KIND_FIELD_LIST, MY_LEN_AT_LEAST, 0},
	[MY_COM_CHANGE_USER] = {MY_KIND_AUTH, MY_LEN_AT_LEAST, 0},
	[MY_COM_BINLOG_DUMP] = {MY_KIND_STREAM, MY_LEN_AT_LEAST, 0},
	[MY_COM_BINLOG_DUMP_GTID] = {MY_KIND_STREAM, MY_LEN_AT_LEAST, 0},
	[WL_MYSQL_ROW_TLS... 63] = {MY_KIND_BAD, MY_LEN_AT_LEAST, 0},
};
_Static_assert(WL_MYSQL_ROW_BULK + 1 == WL_MYSQL_ROW_TLS, "rows past BULK are no command");

/*
 * Kind of the response a command gets, or MY_KIND_BAD for bytes that cannot be a command (unknown
 * command byte, or a length that commands of fixed size never have). Global: the caller learns
 * nothing about len from each row (no path per command).
 */
__noinline int wl_mysql_cmd_kind(__u32 cmd, __u32 len)
{
	const struct wl_mysql_com_rule *r;
	__u32 row = wl_mysql_com_row(cmd);

	asm volatile("%0 &= 63" : "+r"(row)); /* as in wl_mysql_lookup */
	r = &wl_mysql_com_rules[row];
	if (r->rule == MY_LEN_EXACTLY ? len != r->len : len < r->len)
		return MY_KIND_BAD;
	return r->kind;
}

/*
 * The command id of a command's name (which: its command byte or a pseudo command, named by
 * wl_mysql_com_names) or, which = MY_KEYWORD, of the keyword captured in m->kw.name (OTHER when
 * there is none). Global: verified once.
 */
__noinline int wl_mysql_lookup(struct wl_mysql_dir *m, __u32 which)
{
	__u32 row;

	if (!m)
		return WL_CMD_OTHER;
	if (which == MY_KEYWORD)
		return wl_sql_kw_lookup(&m->kw);
	row = wl_mysql_com_row(which);
	/* the mask stays in the code: the compiler knows row < 64 and would drop it, and 6.1's
	 * verifier keeps no bound of the chain of conditionals that made it */
	asm volatile("%0 &= 63" : "+r"(row));
	return wl_cmd_lookup_scratch(wl_mysql_com_names[row]);
}

/* A request of command id: the L7 rules, then counted. */
static __always_inline void wl_mysql_emit_req(struct wl_l7_walk *w, __u16 id, __u32 bytes)
{
	wl_l7_rule_check(w->s, id); /* L7 rules (l7_block.h) */
	wl_sql_emit_req(w, id, bytes);
}

/* Back to a packet boundary, in no command or response. */
static __always_inline void wl_mysql_reset(struct wl_l7_dir *d, struct wl_mysql_dir *m)
{
	wl_l7_msg_reset(d);
	m->cont = 0;
	m->grammar = MY_GRAM_IDLE;
	m->flags &= ~(MY_F_END | MY_F_ERROR | MY_F_NEXT | MY_F_MORE);
	m->kind = MY_KIND_DATA;
}

static __always_inline int wl_mysql_malformed(struct wl_l7_walk *w, struct wl_l7_dir *d,
					      struct wl_mysql_dir *m)
{
	wl_mysql_reset(d, m);
	return wl_l7_malformed(w, d);
}

/* The rest of a packet of len payload bytes, left of them unread, is skipped; a payload of
 * 0xffffff bytes goes on in the next packet. */
static __always_inline void wl_mysql_skip(struct wl_l7_dir *d, struct wl_mysql_dir *m, __u32 len,
					  __u32 left)
{
	m->cont = len == WL_MYSQL_PKT_MAX;
	d->body_left = left;
	d->hdr_len = 0;
	d->state = MY_ST_BODY;
}

/* What wl_mysql_pkt_start found at a packet boundary. */
enum { MY_PKT_WAIT = 0, MY_PKT_CONT, MY_PKT_NEW };

/*
 * A packet's header, gathered in d->hdr: MY_PKT_WAIT when the payload ended first, MY_PKT_CONT
 * for the rest of a payload of 0xffffff bytes (skipped), MY_PKT_NEW for a packet of *len bytes
 * the caller looks at.
 */
static __always_inline int wl_mysql_pkt_start(struct wl_l7_walk *w, struct wl_l7_dir *d,
					      struct wl_mysql_dir *m, __u32 *len)
{
	if (!WL_SQL_TAKE(w, d, 4))
		return MY_PKT_WAIT;
	*len = wl_mysql_u24(d->hdr);
	if (!m->cont)
		return MY_PKT_NEW;
	m->seq = d->hdr[3];
	wl_mysql_skip(d, m, *len, *len);
	return MY_PKT_CONT;
}

/* Pseudo commands (TLS, COMPRESSED): counted as requests that get no response. */
static __always_inline void wl_mysql_pseudo(struct wl_l7_walk *w, struct wl_l7_dir *d,
					    struct wl_mysql_dir *m, __u32 which)
{
	wl_mysql_emit_req(w, wl_mysql_lookup(m, which), d->msg_bytes + d->body_left);
	m->flags |= MY_F_IGNORE;
	d->state = MY_ST_IGNORE;
	w->s->off = w->s->end;
}

/* ---- requests ---- */

/* A request packet is over (its payload skipped, the direction at the next packet's header):
 * the command is counted unless it goes on in the next packet. Global: verified once. */
__noinline int wl_mysql_req_done(struct wl_conn *conn)
{
	struct wl_l7_walk w;
	struct wl_mysql_dir *m = wl_sql_at(&w, 0, conn, 0);
	struct wl_l7_dir *d = w.d;

	if (!m || m->cont) /* m->cont: the command continues in the next packet */
		return 0;
	/* a multi-statement query was counted with its first FIFO entry (wl_mysql_verb_done) */
	if (m->kind < MY_KIND_DATA && !(m->flags & MY_F_MORE)) {
		wl_mysql_emit_req(&w, m->verb, d->msg_bytes);
		if (m->kind != MY_KIND_NORESP)
			wl_fifo_push(&w, m->fifo, 1);
	}
	m->flags &= ~MY_F_MORE;
	m->kind = MY_KIND_DATA;
	d->msg_bytes = 0;
	return 0;
}

/* Multi-statements: a later statement's keyword is known (c: the byte that ended it, or 0 at
 * the end of the text): its FIFO entry follows the first statement's. The response side counts
 * it when the server reports on it. */
static __always_inline void wl_mysql_verb_more(struct wl_l7_walk *w, struct wl_l7_dir *d,
					       struct wl_mysql_dir *m, __u32 c, __u16 verb,
					       __u32 call)
{
	if (m->kw.len || (c && c != ';')) {   /* not an empty statement */
		wl_l7_rule_check(w->s, verb); /* L7 rules see every statement of the text */
		wl_fifo_push(w,
			     ((call ? MY_KIND_MORE_CALL : MY_KIND_MORE) << MY_FIFO_ID_BITS) |
				     (verb & ((1 << MY_FIFO_ID_BITS) - 1)),
			     1);
		m->left++;
	}
	if (!c || m->left >= WL_MYSQL_MORE_MAX || !m->budget) {
		d->state = MY_ST_BODY; /* the rest is not looked at */
		return;
	}
	m->kw.state = WL_SQL_B;
	wl_sql_byte(&m->kw, c, WL_SQL_MYSQL);
}

/* The statement's keyword is known (or given up): the command's ids. c: the byte that ended
 * the keyword (0 when the text or the scan budget ended). Global: verified once. */
__noinline int wl_mysql_verb_done(struct wl_conn *conn, __u32 c)
{
	struct wl_l7_walk w;
	struct wl_mysql_dir *m = wl_sql_at(&w, 0, conn, 0);
	struct wl_l7_dir *d = w.d;
	__u16 verb;
	__u32 kind;
	int call;

	if (!m)
		return 0;
	if (m->kw.state != WL_SQL_DONE && m->kw.state != WL_SQL_WORD)
		m->kw.len = 0; /* no keyword */
	verb = wl_mysql_lookup(m, MY_KEYWORD);
	call = m->kw.len == 4 && *(__u64 *)m->kw.name == 0x4c4c4143; /* "CALL" */
	if (m->flags & MY_F_MORE) {
		wl_mysql_verb_more(&w, d, m, c, verb, call);
		return 0;
	}
	kind = m->kind == MY_KIND_QUERY && call ? MY_KIND_CALL : m->kind;
	m->fifo = (kind << MY_FIFO_ID_BITS) | (verb & ((1 << MY_FIFO_ID_BITS) - 1));
	if (m->kind == MY_KIND_PREPARE) {
		/* counted as COM_STMT_PREPARE; the verb travels to the response, and is kept as
		 * the statement "-1" (MariaDB's id for the last prepared, used by pipelines) */
		wl_aux_set(&w, WL_AUX_STMT, 0xffffffff, verb, 0);
		verb = wl_mysql_lookup(m, MY_COM_STMT_PREPARE);
	}
	m->verb = verb;
	d->state = MY_ST_BODY;
	/* multi-statements (the client asked for them, or its handshake was not seen): the rest
	 * of the text is scanned for later statements, whose entries follow this one's. The
	 * request is counted with its entry, whole (one packet: its length is known), as every
	 * other command is: a reply taking the entry before the packet ends (segments lost, a
	 * length lied about) must not find its request uncounted. */
	if (m->kind == MY_KIND_QUERY && c && d->body_left && !m->cont &&
	    (!(m->flags & MY_F_CAPS) || (m->caps & MY_CLIENT_MULTI_STMTS))) {
		wl_mysql_emit_req(&w, m->verb, d->msg_bytes + d->body_left);
		wl_fifo_push(&w, m->fifo, 1);
		m->flags |= MY_F_MORE;
		m->left = 0;
		m->budget = WL_MYSQL_MULTI_MAX;
		m->kw.state = WL_SQL_B;
		wl_sql_byte(&m->kw, c, WL_SQL_MYSQL);
		d->state = MY_ST_VERB;
	}
	return 0;
}

/* A packet with sequence id 0: a command. Returns 1 to end the walk. Global: verified once. */
__noinline int wl_mysql_req_cmd(wl_ctx_t *ctx, struct wl_conn *conn, __u32 len)
{
	struct wl_l7_walk w;
	struct wl_mysql_dir *m = wl_sql_at(&w, ctx, conn, 0);
	struct wl_l7_dir *d = w.d;
	__u32 need, cmd, kind;
	struct wl_aux_val *v;

	if (!m)
		return 1;
	if (len == 0)
		return wl_mysql_malformed(&w, d, m);
	if (!WL_SQL_TAKE(&w, d, 5))
		return 1;
	cmd = d->hdr[4];
	kind = wl_mysql_cmd_kind(cmd, len);
	if (kind == MY_KIND_BAD)
		return wl_mysql_malformed(&w, d, m);
	/* executes: the statement id (and COM_STMT_EXECUTE's flags byte); COM_SET_OPTION: its
	 * option */
	need = cmd == MY_COM_STMT_EXECUTE	 ? 10
	       : cmd == MY_COM_STMT_BULK_EXECUTE ? 9
	       : cmd == MY_COM_SET_OPTION	 ? 7
						 : 5;
	if (!WL_SQL_TAKE(&w, d, need))
		return 1;
	/* MYSQL_OPTION_MULTI_STATEMENTS_ON (0) / _OFF (1): what CLIENT_MULTI_STATEMENTS says from
	 * now on (mysqlnd's multi_query turns it on around its query) */
	if (need == 7 && !d->hdr[6]) {
		if (d->hdr[5] == 0)
			m->caps |= MY_CLIENT_MULTI_STMTS;
		else if (d->hdr[5] == 1)
			m->caps &= ~MY_CLIENT_MULTI_STMTS;
	}
	if (need == 10 && (d->hdr[9] & MY_CURSOR_TYPE_READ_ONLY))
		kind = MY_KIND_CURSOR;
	m->phase = MY_PHASE_CMD;
	m->seq = 0;
	m->kind = kind;
	m->flags &= ~MY_F_MORE;
	wl_mysql_skip(d, m, len, len - (need - 4));
	if (cmd == MY_COM_QUERY || cmd == MY_COM_STMT_PREPARE) {
		wl_sql_kw_clear(&m->kw);
		m->kw.state = cmd == MY_COM_QUERY ? WL_SQL_ATTR0 : WL_SQL_WS;
		m->budget = WL_MYSQL_SCAN_MAX;
		d->state = MY_ST_VERB; /* an empty statement: wl_mysql_step ends it */
		return 0;
	}
	v = 0;
	if (need >= 9)
		v = wl_aux_get(&w, WL_AUX_STMT, wl_le32(d->hdr + 5));
	m->verb = v ? v->cmd_id : wl_mysql_lookup(m, cmd);
	m->fifo = (kind << MY_FIFO_ID_BITS) | (m->verb & ((1 << MY_FIFO_ID_BITS) - 1));
	return 0;
}

/* The handshake response, or an SSL request (its first 32 bytes). Returns 1 to end the walk.
 * Global: verified once. */
__noinline int wl_mysql_req_hello(wl_ctx_t *ctx, struct wl_conn *conn, __u32 len)
{
	struct wl_l7_walk w;
	struct wl_mysql_dir *m = wl_sql_at(&w, ctx, conn, 0), *srv;
	struct wl_l7_dir *d = w.d;
	__u32 caps, both;

	if (!m)
		return 1;
	if (len < 32)
		return wl_mysql_malformed(&w, d, m);
	if (!WL_SQL_TAKE(&w, d, 4 + WL_MYSQL_HELLO_TAKE))
		return 1;
	caps = wl_le32(d->hdr + 4);
	if (!(caps & MY_CLIENT_PROTOCOL_41))
		return wl_mysql_malformed(&w, d, m);
	both = caps;
	srv = wl_l7_priv_of(conn, 1); /* its kept bytes only */
	if (srv->flags & MY_F_CAPS)   /* the server's, from its greeting */
		both &= srv->caps;
	m->caps = caps;
	m->flags |= MY_F_CAPS;
	m->phase = MY_PHASE_AUTH;
	m->seq = 1;
	m->kind = MY_KIND_DATA;
	d->body_left = len - WL_MYSQL_HELLO_TAKE;
	d->hdr_len = 0;
	d->state = MY_ST_BODY;
	if (both & MY_CLIENT_SSL) {
		m->flags |= MY_F_TLS;
		wl_mysql_pseudo(&w, d, m, MY_PSEUDO_TLS);
		return 1;
	}
	if (both & (MY_CLIENT_COMPRESS | MY_CLIENT_ZSTD)) {
		m->flags |= MY_F_COMPRESS;
		wl_mysql_pseudo(&w, d, m, MY_PSEUDO_COMPRESSED);
		return 1;
	}
	return 0;
}

/* At a request packet boundary: gathers the header and decides. Returns 1 to end the walk.
 * Global: verified once. */
__noinline int wl_mysql_req_hdr(wl_ctx_t *ctx, struct wl_conn *conn)
{
	struct wl_l7_walk w;
	struct wl_mysql_dir *m = wl_sql_at(&w, ctx, conn, 0);
	struct wl_l7_dir *d = w.d;
	__u32 len = 0, pkt;
	__u8 seq;

	if (!m)
		return 1;
	pkt = wl_mysql_pkt_start(&w, d, m, &len);
	if (pkt != MY_PKT_NEW)
		return pkt == MY_PKT_WAIT;
	seq = d->hdr[3];
	if (seq == 0)
		return wl_mysql_req_cmd(ctx, conn, len);
	if (seq == 1 && m->phase == MY_PHASE_START)
		return wl_mysql_req_hello(ctx, conn, len);
	/* data of an exchange in progress (auth, LOCAL INFILE, COM_CHANGE_USER): the client
	 * answers the server's packet (+2) or sends its next one (+1) */
	if (m->phase == MY_PHASE_START || (seq != (__u8)(m->seq + 1) && seq != (__u8)(m->seq + 2)))
		return wl_mysql_malformed(&w, d, m);
	m->seq = seq;
	m->kind = MY_KIND_DATA;
	wl_mysql_skip(d, m, len, len);
	return 0;
}

/* A statement's keyword, from the window. Returns 1 to end the walk. Global: verified once. */
__noinline int wl_mysql_req_verb(wl_ctx_t *ctx, struct wl_conn *conn)
{
	struct wl_l7_walk w;
	struct wl_mysql_dir *m = wl_sql_at(&w, ctx, conn, 0);
	struct wl_l7_dir *d = w.d;
	__u32 avail, n, pos = 0;

	if (!m)
		return 1;
	avail = wl_win_avail(&w);
	if (!avail)
		return 1;
	avail = wl_sql_span(&w, avail, m->budget, &pos);
	n = wl_sql_scan_mysql(w.s, &m->kw, pos, pos + avail);
	wl_sql_took(&w, n);
	m->budget -= n;
	if (m->kw.state == WL_SQL_DONE) {
		/* the byte that ended the keyword (a later statement's scan starts with it) */
		wl_mysql_verb_done(conn, n ? w.s->buf[(pos + n - 1) & (WL_L7_WINDOW - 1)] : 0);
	} else if (m->budget == 0 || d->body_left == 0 || n == 0) {
		if (!(m->flags & MY_F_MORE) || m->kw.state == WL_SQL_WORD)
			wl_mysql_verb_done(conn, 0);
		else
			d->state = MY_ST_BODY; /* no further statement */
	}
	return 0;
}

/* ---- responses ---- */

static __always_inline __u32 wl_mysql_lenenc_size(__u8 b)
{
	return b < 0xfb ? 1 : b == 0xfc ? 3 : b == 0xfd ? 4 : b == 0xfe ? 9 : 0;
}

/* Status flags of an OK packet (or an OK-format terminator) held in d->hdr (payload at 4). */
static __always_inline __u16 wl_mysql_ok_status(struct wl_l7_dir *d, __u32 len)
{
	__u32 pos = 5, n;

	n = wl_mysql_lenenc_size(d->hdr[pos & 63]);
	pos += n;
	if (!n || pos >= 4 + WL_MYSQL_RESP_TAKE)
		return 0;
	n = wl_mysql_lenenc_size(d->hdr[pos & 63]);
	pos += n;
	if (!n || pos + 2 > 4 + WL_MYSQL_RESP_TAKE || pos + 2 > 4 + len)
		return 0;
	return d->hdr[pos & 63] | d->hdr[(pos + 1) & 63] << 8;
}

/* Status flags of an OK packet (term 0) or of a result set's terminator (term 1: EOF, 5
 * bytes, or OK with a 0xfe header). Global: verified once. */
__noinline int wl_mysql_status(struct wl_l7_dir *d, __u32 len, __u32 term)
{
	if (!d)
		return 0;
	if (term && len == 5)
		return d->hdr[7] | d->hdr[8] << 8;
	return wl_mysql_ok_status(d, len);
}

/* EOF packets after definitions: 0 none (CLIENT_DEPRECATE_EOF), 1 always, 2 unknown (the
 * handshake was not seen: an EOF is recognised by its exact size). */
static __always_inline int wl_mysql_eof_mode(struct wl_conn *conn, struct wl_mysql_dir *m)
{
	struct wl_mysql_dir *cli = wl_l7_priv_of(conn, 0); /* its kept bytes only */
	__u32 caps;

	if (!(cli->flags & MY_F_CAPS))
		return 2;
	caps = cli->caps;
	if (m->flags & MY_F_CAPS)
		caps &= m->caps;
	return caps & MY_CLIENT_DEPRECATE_EOF ? 0 : 1;
}

static __always_inline void wl_mysql_end(struct wl_mysql_dir *m, int error)
{
	m->flags |= MY_F_END | (error ? MY_F_ERROR : 0);
}

/* The response is complete: bytes of it counted. Global: verified once (the flush inline: it
 * is the last of the deepest chain of calls). */
__noinline int wl_mysql_resp_emit(struct wl_conn *conn, __u32 bytes)
{
	struct wl_l7_walk w;
	struct wl_mysql_dir *m = wl_sql_at(&w, 0, conn, 1);
	struct wl_l7_dir *d = w.d;

	if (!m)
		return 0;
	wl_emit_response(&w, d->cur_id, d->msg_ts_ns, m->flags & MY_F_ERROR, 0, bytes);
	m->flags &= ~(MY_F_END | MY_F_ERROR);
	m->grammar = MY_GRAM_IDLE;
	return 0;
}

/* After the definitions of state st (MY_GRAM_PDEFS or MY_GRAM_CDEFS): what comes next. */
static __always_inline void wl_mysql_defs_done(struct wl_conn *conn, struct wl_mysql_dir *m,
					       __u8 st)
{
	if (wl_mysql_eof_mode(conn, m)) {
		m->grammar = st == MY_GRAM_PDEFS ? MY_GRAM_PEOF : MY_GRAM_CEOF;
		return;
	}
	if (st == MY_GRAM_PDEFS && m->left2) {
		m->left = m->left2;
		m->left2 = 0;
		m->grammar = MY_GRAM_CDEFS;
	} else if (m->kind == MY_KIND_PREPARE) {
		wl_mysql_end(m, 0);
	} else {
		m->grammar = MY_GRAM_ROWS;
	}
}

/* What a grammar step says about the packet. */
enum { MY_STEP_DONE = 0, MY_STEP_AGAIN = 1, MY_STEP_BAD = 2 };

/* The later statements of a multi-statement query that the server did not run (an error ended
 * the batch): their FIFO entries are dropped (never counted). */
static __always_inline void wl_mysql_fifo_drop(struct wl_conn *conn)
{
	struct wl_pending v;
	__u64 left;
	__u32 k;

	for (k = 0; k < WL_MYSQL_MORE_MAX; k++) {
		if (!wl_fifo_head_once(conn, &v, &left) || v.cmd_id == WL_FIFO_LOST)
			break;
		if ((v.cmd_id >> MY_FIFO_ID_BITS) != MY_KIND_MORE &&
		    (v.cmd_id >> MY_FIFO_ID_BITS) != MY_KIND_MORE_CALL)
			break;
		wl_fifo_take(conn, left);
	}
}

static __always_inline int wl_mysql_is_query(__u8 kind)
{
	return kind == MY_KIND_QUERY || kind == MY_KIND_CALL;
}

/* MY_GRAM_IDLE: the packet starts a response: to the FIFO's oldest command. Global: verified once.
 */
__noinline int wl_mysql_gram_idle(struct wl_conn *conn)
{
	struct wl_l7_walk w;
	struct wl_mysql_dir *m = wl_sql_at(&w, 0, conn, 1);
	struct wl_l7_dir *d = w.d;
	__u64 lat = 0;
	__u16 e;

	if (!m)
		return MY_STEP_BAD;
	if (m->seq == 0) /* 1, or more after a command of several packets */
		return MY_STEP_BAD;
	wl_mysql_fifo_drop(conn);
	e = wl_fifo_pop(&w, &lat);
	d->msg_ts_ns = lat;
	if (e == WL_CMD_NONE) {
		m->kind = MY_KIND_QUERY; /* the most general answer */
		d->cur_id = WL_CMD_NONE;
	} else {
		m->kind = e >> MY_FIFO_ID_BITS;
		d->cur_id = e & ((1 << MY_FIFO_ID_BITS) - 1);
		if (m->kind == MY_KIND_MORE ||
		    m->kind == MY_KIND_MORE_CALL) /* past the drop's reach */
			m->kind = MY_KIND_QUERY;
	}
	if (m->kind == MY_KIND_PREPARE) {
		m->verb = d->cur_id;
		d->cur_id = wl_mysql_lookup(m, MY_COM_STMT_PREPARE);
	} else if (m->kind == MY_KIND_STREAM) {
		m->flags |= MY_F_IGNORE; /* replication events from here on */
		return MY_STEP_DONE;
	}
	m->grammar = MY_GRAM_FIRST;
	return MY_STEP_AGAIN;
}

/* MY_GRAM_FIRST: the first packet of a result (also after MORE_RESULTS). Global: verified once. */
__noinline int wl_mysql_gram_first(struct wl_conn *conn, __u32 len)
{
	struct wl_l7_walk w;
	struct wl_mysql_dir *m = wl_sql_at(&w, 0, conn, 1);
	struct wl_l7_dir *d = w.d;
	__u32 n, size;
	__u8 b0;

	if (!m)
		return MY_STEP_BAD;
	b0 = d->hdr[4];
	if (b0 == 0xff) {
		wl_mysql_end(m, 1);
		return MY_STEP_DONE;
	}
	switch (m->kind) {
	case MY_KIND_GENERIC:
		wl_mysql_end(m, 0);
		return MY_STEP_DONE;
	case MY_KIND_AUTH: /* 0xfe auth switch, 0x01 more data: the exchange goes on */
		if (b0 == 0x00)
			wl_mysql_end(m, 0);
		return MY_STEP_DONE;
	case MY_KIND_PREPARE:
		if (b0 != 0x00 || len < 12)
			return MY_STEP_BAD;
		wl_aux_set(&w, WL_AUX_STMT, wl_le32(d->hdr + 5), m->verb, 0);
		m->left2 = d->hdr[9] | d->hdr[10] << 8; /* columns */
		m->left = d->hdr[11] | d->hdr[12] << 8; /* parameters */
		/* MySQL 8 optional metadata: a 13th byte, 0 = no definitions */
		if (len == 13 && d->hdr[16] == 0)
			m->left = m->left2 = 0;
		if (m->left) {
			m->grammar = MY_GRAM_PDEFS;
		} else if (m->left2) {
			m->left = m->left2;
			m->left2 = 0;
			m->grammar = MY_GRAM_CDEFS;
		} else {
			wl_mysql_end(m, 0);
		}
		return MY_STEP_DONE;
	case MY_KIND_FIELD_LIST:
	case MY_KIND_FETCH:
		m->grammar = MY_GRAM_ROWS;
		return MY_STEP_AGAIN;
	default:
		break;
	}
	if (b0 == 0x00) {
		if (wl_mysql_status(d, len, 0) & MY_SERVER_MORE_RESULTS) {
			m->grammar = MY_GRAM_FIRST;
			if (wl_mysql_is_query(
				    m->kind)) /* a statement (also a CALL) ends at an OK */
				m->flags |= MY_F_NEXT;
		} else {
			wl_mysql_end(m, 0);
		}
		return MY_STEP_DONE;
	}
	if (b0 == 0xfb && wl_mysql_is_query(m->kind)) {
		m->grammar = MY_GRAM_INFILE;
		return MY_STEP_DONE;
	}
	if (b0 == 0xfe) {
		wl_mysql_end(m, 0);
		return MY_STEP_DONE;
	}
	/* a result set: column count (then, with metadata caching, a byte telling whether the
	 * definitions follow) */
	size = wl_mysql_lenenc_size(b0);
	if (size == 1)
		n = b0;
	else if (size == 3)
		n = d->hdr[5] | d->hdr[6] << 8;
	else
		return MY_STEP_BAD;
	if (n == 0 || n > WL_MYSQL_COLS_MAX || len > size + 1)
		return MY_STEP_BAD;
	m->left = n;
	if (len == size + 1 && d->hdr[(4 + size) & 63] == 0)
		m->left = 0;
	if (m->left)
		m->grammar = MY_GRAM_CDEFS;
	else
		wl_mysql_defs_done(conn, m, MY_GRAM_CDEFS);
	return MY_STEP_DONE;
}

/* MY_GRAM_PEOF / MY_GRAM_CEOF: the EOF after definitions, or (handshake unseen) the packet of what
 * follows. Global: verified once. */
__noinline int wl_mysql_gram_eof(struct wl_conn *conn, __u32 len, __u32 taken)
{
	struct wl_l7_walk w;
	struct wl_mysql_dir *m = wl_sql_at(&w, 0, conn, 1);
	struct wl_l7_dir *d = w.d;
	int mode, eof;

	if (!m)
		return MY_STEP_BAD;
	mode = wl_mysql_eof_mode(conn, m);
	eof = d->hdr[4] == 0xfe && (mode == 1 ? len < 9 : len == 5);
	if (!eof && mode == 1)
		return MY_STEP_BAD;
	if (m->grammar == MY_GRAM_PEOF && m->left2) {
		m->left = m->left2;
		m->left2 = 0;
		m->grammar = MY_GRAM_CDEFS;
	} else if (eof && m->kind == MY_KIND_CURSOR &&
		   (wl_mysql_status(d, len, 1) & MY_SERVER_CURSOR_EXISTS)) {
		/* a cursor opened: the rows come in answers to COM_STMT_FETCH (with
		 * CLIENT_DEPRECATE_EOF this terminator is the OK that MY_GRAM_ROWS ends at) */
		wl_mysql_end(m, 0);
	} else if (m->kind == MY_KIND_PREPARE) {
		if (!eof) { /* the next response already */
			wl_mysql_resp_emit(conn, d->msg_bytes - taken);
			d->msg_bytes = taken;
			return MY_STEP_AGAIN;
		}
		wl_mysql_end(m, 0);
	} else {
		m->grammar = MY_GRAM_ROWS;
	}
	return eof ? MY_STEP_DONE : MY_STEP_AGAIN;
}

/* One look at the packet in the response's grammar state: the states of one packet are cheap
 * here, those that may look at the packet again (or take a response from the FIFO) are global
 * functions of their own. */
static __always_inline int wl_mysql_gram_step(struct wl_conn *conn, struct wl_l7_dir *d,
					      struct wl_mysql_dir *m, __u32 len, __u32 taken)
{
	__u8 b0 = d->hdr[4];

	/* MariaDB progress report (ERR with code 0xffff, CLIENT_PROGRESS): not an answer */
	if (m->grammar != MY_GRAM_IDLE && b0 == 0xff && len >= 3 && d->hdr[5] == 0xff &&
	    d->hdr[6] == 0xff)
		return MY_STEP_DONE;
	switch (m->grammar) {
	case MY_GRAM_IDLE:
		return wl_mysql_gram_idle(conn);
	case MY_GRAM_FIRST:
		return wl_mysql_gram_first(conn, len);
	case MY_GRAM_PDEFS:
	case MY_GRAM_CDEFS:
		if (b0 == 0xff)
			wl_mysql_end(m, 1);
		else if (m->left <= 1)
			wl_mysql_defs_done(conn, m, m->grammar);
		else
			m->left--;
		return MY_STEP_DONE;
	case MY_GRAM_PEOF:
	case MY_GRAM_CEOF:
		return wl_mysql_gram_eof(conn, len, taken);
	case MY_GRAM_ROWS:
		if (b0 == 0xff) {
			wl_mysql_end(m, 1);
		} else if (b0 == 0xfe && len < WL_MYSQL_PKT_MAX) {
			if (wl_mysql_status(d, len, 1) & MY_SERVER_MORE_RESULTS) {
				m->grammar = MY_GRAM_FIRST;
				/* a statement's result set (a CALL's go on up to its OK) */
				if (m->kind == MY_KIND_QUERY)
					m->flags |= MY_F_NEXT;
			} else {
				wl_mysql_end(m, 0);
			}
		}
		return MY_STEP_DONE;
	case MY_GRAM_INFILE:
		if (b0 == 0xff) {
			wl_mysql_end(m, 1);
		} else if (b0 == 0x00) {
			if (wl_mysql_status(d, len, 0) & MY_SERVER_MORE_RESULTS) {
				m->grammar = MY_GRAM_FIRST;
				m->flags |= MY_F_NEXT;
			} else {
				wl_mysql_end(m, 0);
			}
		} else {
			return MY_STEP_BAD;
		}
		return MY_STEP_DONE;
	default:
		return MY_STEP_BAD;
	}
}

/*
 * One response packet in the command phase, its first bytes in d->hdr. Decides where in the
 * response it is. Returns -1 when it cannot belong to the response (malformed).
 */
static __always_inline int wl_mysql_grammar(struct wl_conn *conn, struct wl_l7_dir *d,
					    struct wl_mysql_dir *m, __u32 len, __u8 seq,
					    __u32 taken)
{
	int r;

	if (m->kind == MY_KIND_AUTH && m->grammar == MY_GRAM_FIRST) {
		if (seq <= m->seq) /* the client answers in between: +2 */
			return -1;
	} else if (m->grammar != MY_GRAM_IDLE && m->grammar != MY_GRAM_INFILE &&
		   seq != (__u8)(m->seq + 1)) {
		/* only a definition EOF the handshake could not announce may be missing (after
		 * the columns, or after the parameters of a statement without columns) */
		if (!((m->grammar == MY_GRAM_CEOF || (m->grammar == MY_GRAM_PEOF && !m->left2)) &&
		      m->kind == MY_KIND_PREPARE && seq == 1))
			return -1;
	}
	m->seq = seq;
	/* a packet is looked at again when it turns out to belong to what follows */
	for (int k = 0; k < 5; k++) {
		r = wl_mysql_gram_step(conn, d, m, len, taken);
		if (r != MY_STEP_AGAIN)
			return r == MY_STEP_DONE ? 0 : -1;
	}
	return -1;
}

/* A statement of a multi-statement query is over, more results follow: when the FIFO holds the
 * next statement, this one's response is counted and the next one's request (the server runs
 * it); otherwise (no later statement was seen) the results go on as one response. Global:
 * verified once. */
__noinline int wl_mysql_next_stmt(struct wl_conn *conn)
{
	struct wl_l7_walk w;
	struct wl_mysql_dir *m = wl_sql_at(&w, 0, conn, 1);
	struct wl_l7_dir *d = w.d;
	__u64 lat = 0;
	__u16 e, kind;

	if (!m)
		return 0;
	m->flags &= ~MY_F_NEXT;
	e = wl_fifo_peek(conn);
	kind = e >> MY_FIFO_ID_BITS;
	if (e == WL_CMD_NONE || e == WL_FIFO_LOST ||
	    (kind != MY_KIND_MORE && kind != MY_KIND_MORE_CALL))
		return 0;
	m->flags |= MY_F_END;
	wl_mysql_resp_emit(conn, d->msg_bytes);
	d->msg_bytes = 0;
	e = wl_fifo_pop(&w, &lat);
	d->msg_ts_ns = lat;
	d->cur_id = e & ((1 << MY_FIFO_ID_BITS) - 1);
	m->kind = kind == MY_KIND_MORE_CALL ? MY_KIND_CALL : MY_KIND_QUERY;
	m->grammar = MY_GRAM_FIRST;
	wl_mysql_emit_req(&w, d->cur_id, 0);
	return 0;
}

/* A response packet is over (its payload skipped). Global: verified once. */
__noinline int wl_mysql_resp_done(struct wl_conn *conn)
{
	struct wl_l7_dir *d;
	struct wl_mysql_dir *m;

	if (!conn)
		return 0;
	d = wl_l7_work();
	if (!d)
		return 0;
	m = MY(d);
	if (m->cont)
		return 0;
	if (m->flags & MY_F_END) {
		wl_mysql_resp_emit(conn, d->msg_bytes);
		d->msg_bytes = 0;
	} else if (m->flags & MY_F_NEXT) {
		wl_mysql_next_stmt(conn);
	}
	if (m->flags & MY_F_IGNORE)
		d->state = MY_ST_IGNORE;
	return 0;
}

/* At a response packet boundary. Returns 1 to end the walk. Global: verified once. */
__noinline int wl_mysql_resp_hdr(wl_ctx_t *ctx, struct wl_conn *conn)
{
	struct wl_l7_walk w;
	struct wl_mysql_dir *m = wl_sql_at(&w, ctx, conn, 1);
	struct wl_l7_dir *d = w.d;
	__u32 len = 0, take, pkt;
	__u8 seq;

	if (!m)
		return 1;
	if (d->hdr_len == 0 && m->grammar == MY_GRAM_IDLE && !m->cont)
		d->msg_bytes = 0;
	pkt = wl_mysql_pkt_start(&w, d, m, &len);
	if (pkt != MY_PKT_NEW)
		return pkt == MY_PKT_WAIT;
	seq = d->hdr[3];
	if (len == 0)
		return wl_mysql_malformed(&w, d, m);
	if (m->phase == MY_PHASE_START) { /* the server's greeting */
		if (!WL_SQL_TAKE(&w, d, 5))
			return 1;
		if (seq != 0)
			return wl_mysql_malformed(&w, d, m);
		m->seq = seq;
		wl_mysql_skip(d, m, len, len - 1);
		if (d->hdr[4] == 0xff)
			return 0; /* refused (too many connections ...): the server closes */
		if (d->hdr[4] != 0x0a)
			return wl_mysql_malformed(&w, d, m);
		d->state = MY_ST_GREET_VER;
		return 0;
	}
	take = len < WL_MYSQL_RESP_TAKE ? len : WL_MYSQL_RESP_TAKE;
	if (!WL_SQL_TAKE(&w, d, 4 + take))
		return 1;
	wl_mysql_skip(d, m, len, len - take);
	if (m->phase == MY_PHASE_AUTH) {
		struct wl_mysql_dir *cli = wl_l7_priv_of(conn, 0); /* its kept bytes only */

		if (seq <= m->seq && m->seq)
			return wl_mysql_malformed(&w, d, m);
		m->seq = seq;
		if (d->hdr[4] == 0x00) { /* authenticated */
			m->phase = MY_PHASE_CMD;
			if (cli->flags & MY_F_COMPRESS)
				m->flags |= MY_F_IGNORE;
		}
		return 0;
	}
	if (wl_mysql_grammar(conn, d, m, len, seq, 4 + take) < 0)
		return wl_mysql_malformed(&w, d, m);
	return 0;
}

/*
 * Rows of a result set taken a run at a time (wl_sql_rows): in MY_GRAM_ROWS a packet with the
 * next sequence id whose first byte is neither 0xfe (a terminator) nor 0xff (an error) is a row,
 * and a row changes nothing but the response's bytes. Through wl_mysql_resp_hdr a row costs two
 * header copies into d->hdr and two steps; a result set is mostly rows. Any other packet is
 * left to wl_mysql_resp_hdr. The row's length (0: no row), its sequence id taken.
 */
static __always_inline __u32 wl_mysql_row_len(void *priv, const __u8 *b)
{
	struct wl_mysql_dir *m = priv;
	__u32 len = wl_mysql_u24(b);

	if (!len || len >= WL_MYSQL_PKT_MAX || b[3] != (__u8)(m->seq + 1) || b[4] >= 0xfe)
		return 0;
	m->seq = b[3];
	return 4 + len;
}

/* At a response packet boundary: rows skipped while they come. Global: verified once. */
__noinline int wl_mysql_rows_fast(wl_ctx_t *ctx, struct wl_conn *conn)
{
	struct wl_l7_walk w;
	struct wl_mysql_dir *m = wl_sql_at(&w, ctx, conn, 1);

	if (m && w.d->state == MY_ST_HDR && !w.d->hdr_len && !m->cont &&
	    m->grammar == MY_GRAM_ROWS && m->phase == MY_PHASE_CMD)
		wl_sql_rows(&w, m, wl_mysql_row_len, MY_ST_BODY);
	return 0;
}

/* The greeting's version string, up to its NUL; then its capability block. Returns 1 to end
 * the walk. Global: verified once. */
__noinline int wl_mysql_greeting(wl_ctx_t *ctx, struct wl_conn *conn)
{
	struct wl_l7_walk w;
	struct wl_mysql_dir *m = wl_sql_at(&w, ctx, conn, 1);
	struct wl_l7_dir *d = w.d;

	if (!m)
		return 1;
	if (d->state == MY_ST_GREET_VER) {
		__u8 c;

		if (!wl_win_avail(&w))
			return 1;
		c = wl_win_byte(&w);
		w.s->off++;
		d->msg_bytes++;
		if (d->body_left <= WL_MYSQL_GREET_BLOCK)
			return wl_mysql_malformed(&w, d, m);
		d->body_left--;
		if (c == 0) {
			d->hdr_len = 0;
			d->state = MY_ST_GREET_BLOCK;
		}
		return w.s->off >= w.s->end;
	}
	if (!WL_SQL_TAKE(&w, d, WL_MYSQL_GREET_BLOCK))
		return 1;
	d->body_left -= WL_MYSQL_GREET_BLOCK;
	m->caps = d->hdr[13] | (__u32)d->hdr[14] << 8 | (__u32)d->hdr[18] << 16 |
		  (__u32)d->hdr[19] << 24;
	m->flags |= MY_F_CAPS;
	m->phase = MY_PHASE_AUTH;
	d->hdr_len = 0;
	d->state = MY_ST_BODY;
	return w.s->off >= w.s->end;
}

/* One step of direction dir (a constant): a packet header, a statement's keyword (requests),
 * the greeting (responses) or a payload skip, and the packet's end when its payload is done.
 * Returns 1 to end the walk. */
static __always_inline int wl_mysql_step(wl_ctx_t *ctx, struct wl_conn *conn, __u32 dir)
{
	struct wl_l7_walk w;
	struct wl_l7_dir *d;

	if (!wl_l7_walk_g(&w, ctx, conn, dir))
		return 1;
	d = w.d;
	switch (d->state) {
	case MY_ST_HDR:
		if (dir && MY(d)->grammar == MY_GRAM_ROWS) { /* else no row can come */
			wl_mysql_rows_fast(ctx, conn);
			if (w.s->off >= w.s->end)
				return 1;
			if (d->state != MY_ST_HDR)
				break;
		}
		if (dir ? wl_mysql_resp_hdr(ctx, conn) : wl_mysql_req_hdr(ctx, conn))
			return 1;
		if (!dir && d->state == MY_ST_VERB && d->body_left == 0)
			wl_mysql_verb_done(conn, 0);
		break;
	case MY_ST_VERB:
		if (dir || wl_mysql_req_verb(ctx, conn))
			return 1;
		break;
	case MY_ST_BODY:
		wl_l7_body_skip(&w, d);
		break;
	case MY_ST_GREET_VER:
	case MY_ST_GREET_BLOCK:
		if (!dir || wl_mysql_greeting(ctx, conn))
			return 1;
		return w.s->off >= w.s->end;
	default:
		return 1;
	}
	if (d->state == MY_ST_BODY && d->body_left == 0) { /* the packet is over */
		d->state = MY_ST_HDR;
		d->hdr_len = 0;
		if (dir)
			wl_mysql_resp_done(conn);
		else
			wl_mysql_req_done(conn);
	}
	return w.s->off >= w.s->end;
}

/* The steps of each direction: global functions, verified once. */
__noinline int wl_mysql_req_step(wl_ctx_t *ctx, struct wl_conn *conn)
{
	return wl_mysql_step(ctx, conn, 0);
}

__noinline int wl_mysql_resp_step(wl_ctx_t *ctx, struct wl_conn *conn)
{
	return wl_mysql_step(ctx, conn, 1);
}

WL_SQL_STEP_CB(wl_mysql_req_cb, wl_mysql_req_step)
WL_SQL_STEP_CB(wl_mysql_resp_cb, wl_mysql_resp_step)

/* Lost sync: a segment may restart the stream if it begins like a command (requests) or like
 * the first packet of a response (responses). */
static __always_inline void wl_mysql_resync(struct wl_l7_walk *w, struct wl_l7_dir *d,
					    struct wl_mysql_dir *m)
{
	__u32 len;
	__u8 b[5];
	int ok;

	if (d->state != MY_ST_RESYNC)
		return;
	ok = wl_win_avail(w) >= 5;
	if (ok) {
		wl_win_peek(w, b, 5);
		len = wl_mysql_u24(b);
		if (w->s->job.dir == 0)
			ok = b[3] == 0 && len && wl_mysql_cmd_kind(b[4], len) != MY_KIND_BAD;
		else
			ok = b[3] == 1 && len &&
			     (b[4] == 0x00 || b[4] == 0xff || (len <= 3 && b[4] < 0xfb));
	}
	if (!ok) {
		w->cnt->l7_resync_skip++;
		return;
	}
	wl_mysql_reset(d, m);
	m->phase = MY_PHASE_CMD;
}

/* The walk over one packet. Global: verified once, whatever the engine's state before it. */
__noinline int wl_mysql_parse_g(wl_ctx_t *ctx, struct wl_conn *conn)
{
	struct wl_l7_walk w;
	struct wl_mysql_dir *m;
	int dir = wl_sql_packet(&w, ctx, conn);

	if (dir < 0)
		return 0;
	m = MY(w.d);
	if (((struct wl_mysql_dir *)wl_l7_priv_of(conn, 0))->flags & MY_F_IGNORE)
		m->flags |= MY_F_IGNORE;
	if (m->flags & MY_F_IGNORE) {
		w.d->state = MY_ST_IGNORE;
		return 0;
	}
	wl_mysql_resync(&w, w.d, m);
	WL_SQL_STEPS(&w, dir, wl_mysql_req_cb, wl_mysql_resp_cb);
	return 0;
}

static __always_inline void wl_mysql_parse(struct wl_l7_walk *w)
{
	wl_mysql_parse_g(w->ctx, w->conn);
}

/*
 * Does a client's first payload look like MySQL? Either a handshake response (sequence id 1,
 * CLIENT_PROTOCOL_41 and secure connection, zero filler) or a whole COM_QUERY packet.
 */
static __always_inline int wl_mysql_sniff(const __u8 *h, __u32 len)
{
	__u8 b0 = h[0], b1 = h[1], b2 = h[2], b3 = h[3], b4 = h[4], b5 = h[5], b6 = h[6],
	     b13 = h[13], b14 = h[14], b15 = h[15];
	__u32 plen = b0 | (__u32)b1 << 8 | (__u32)b2 << 16;

	if (len < 16)
		return 0;
	if (b3 == 1)
		return plen + 4 == len && plen >= 32 && (b5 & (MY_CLIENT_PROTOCOL_41 >> 8)) &&
		       (b5 & (MY_CLIENT_SECURE_CONN >> 8)) && !b13 && !b14 && !b15;
	if (b3 == 0 && b4 == MY_COM_QUERY)
		return plen + 4 == len && wl_char_is_alpha(b5) && wl_char_is_alpha(b6);
	return 0;
}

/* Is a message open past the packet (its state must be kept whole, wl_l7_store)? Not in
 * IGNORE (TLS, compression: nothing more is parsed); a packet continued (cont); a response
 * whose grammar goes on (a result set between packets). */
static __always_inline int wl_mysql_open(const struct wl_l7_dir *d, int dir)
{
	const struct wl_mysql_dir *m = (const struct wl_mysql_dir *)d->priv;

	return (d->state != MY_ST_HDR && d->state != MY_ST_RESYNC && d->state != MY_ST_IGNORE) ||
	       wl_l7_open_engine(d) || m->cont || (dir && m->grammar != MY_GRAM_IDLE);
}

#endif /* WL_PARSE_PROTO_MYSQL_H */
