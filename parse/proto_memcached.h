/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * memcached: text protocol (classic and meta commands) and binary protocol (magic 0x80/0x81,
 * 24-byte header), told apart per message by its first byte. Both directions are resumable:
 * lines, data blocks and binary headers may be cut anywhere by a segment boundary; data
 * blocks and binary bodies of any size are skipped by length, never read.
 *
 * What is counted (chosen so that the figures equal memcached's own `stats`):
 *  - get/gets/gat/gats: every key is one request and one response (memcached counts cmd_get,
 *    get_hits/get_misses, and for gat/gats cmd_touch and touch_hits/misses, per key); a key
 *    without its VALUE in the reply is a miss. So requests(get)+requests(gets) = cmd_get and
 *    misses = get_misses. An error reply to a multi-key line is an error for each key.
 *  - every other command line (or binary request) is one request; NOT_FOUND (binary status 1,
 *    meta EN/NF) is a miss; ERROR, CLIENT_ERROR, SERVER_ERROR (binary status other than
 *    0, 1, 2 and 5) are errors. EXISTS and NOT_STORED (binary 2 and 5) are ordinary outcomes,
 *    as in memcached's stats (cas_badval, a failed add), neither error nor miss.
 *  - noreply commands and quit expect no response: they are not pushed to the FIFO.
 *    Binary quiet commands are pushed: memcached answers in order, so a later response settles
 *    every quiet request before it that got no reply (a silent getq/getkq/gatq/gatkq is a
 *    miss, any other silent quiet command a success).
 *  - binary opcodes are named like the text commands (GET "get", INCREMENT "incr", FLUSH
 *    "flush_all", STAT "stats"); quiet variants add "q" ("getq", "setq", "flush_allq").
 * A request line that memcached rejects before reading its data block (wrong token count, bad
 * numbers, key too long) is treated as memcached treats it: no data block follows.
 * Bytes that never reach the hook in order (a gap) cost nothing when they fall inside a data
 * block or binary body (skipped by length anyway); inside a VALUE/STAT block reply, the reply
 * still answers all its keys and resumes at its next VALUE/STAT line or END (keys whose VALUE
 * line was in the gap count as misses). See wl_memcached_gap_mark.
 */
#ifndef WL_PARSE_PROTO_MEMCACHED_H
#define WL_PARSE_PROTO_MEMCACHED_H

#include "l7.h"

#define WL_MC_KEY_MAX	    250	 /* memcached's KEY_MAX_LENGTH */
#define WL_MC_LINE_MAX	    2048 /* memcached drops a client whose line has no LF by then... */
#define WL_MC_RESP_LINE_MAX 8192 /* ...and never sends lines this long */
#define WL_MC_VLEN_MAX	    2147483645u /* INT_MAX - 2: largest data block memcached accepts */
#define WL_MC_BIN_HDR	    24
#define WL_MC_BIN_BODY_MAX  (1u << 30) /* larger binary bodies are malformed */
#define WL_MC_REQ_MAGIC	    0x80
#define WL_MC_RESP_MAGIC    0x81
#define WL_MC_BIN_STAT	    0x10

enum wl_memcached_state {
	MC_IDLE = 0,
	MC_LINE,     /* a text line is being read */
	MC_DATA,     /* a text data block is being skipped */
	MC_BIN_HDR,  /* a binary header is being gathered */
	MC_BIN_BODY, /* a binary body is being skipped */
	MC_RESYNC = WL_L7_RESYNC,
};

/* Request line kinds: how many keys, which tokens are valid, is there a data block. */
enum wl_memcached_kind {
	MCK_OTHER = 0,
	MCK_GET,   /* get gets bget: keys after the name */
	MCK_GAT,   /* gat gats: exptime, then keys */
	MCK_STORE, /* set add replace append prepend: data block of token 4's length */
	MCK_CAS,
	MCK_ARITH, /* incr decr */
	MCK_TOUCH,
	MCK_DELETE,
	MCK_FLUSH,
	MCK_VERBOSITY,
	MCK_QUIT,
	MCK_MSET, /* meta set: data block of token 2's length */
};

/* Response line kinds. */
enum wl_memcached_rkind {
	MCR_ONE = 0, /* a one-line reply: STORED, DELETED, OK, VERSION ..., a number */
	MCR_VALUE,   /* VALUE <key> <flags> <bytes> [<cas>], then the data block */
	MCR_VA,	     /* meta VA <bytes> <flags>*, then the data block: the whole reply */
	MCR_ITEM,    /* STAT ITEM PREFIX: a line of a block ended by END */
	MCR_END,
	MCR_ERROR, /* ERROR CLIENT_ERROR SERVER_ERROR */
	MCR_MISS,  /* NOT_FOUND, meta EN and NF */
};

/* memcached's own per-direction state, in wl_l7_dir.priv. */
struct wl_memcached_dir {
	/* kept across messages (the first WL_L7_KEEP bytes: struct wl_l7_rest) */
	__u32 seq;	  /* text lines pushed (request) / answered (response) */
	__u32 last_multi; /* request: seq of the last line with several keys, 0: none */
	/* the message's */
	char name[WL_CMD_LEN]; /* the line's first token (NUL-padded), or the opcode's name */
	__u64 last8;	       /* first bytes of the line's current (finally: last) token */
	__u32 val[5];	       /* decimal value of tokens 0..4 */
	__u32 ntok;	       /* tokens completed on the line */
	__u32 tok_len;	       /* bytes of the current (last) token */
	__u32 line_len;	       /* bytes of the line so far */
	__u32 keys;	       /* response: keys the reply answers */
	__u32 items;	       /* response: VALUE/STAT lines of the reply so far */
	__u32 push_cnt;	       /* request: requests not pushed to the FIFO yet (one run) */
	__u32 acc_bytes;       /* response: bytes of a binary stats reply's packets so far */
	__u16 push_id;
	__u8 num_bad;	     /* bit t: token t (< 5) is not a decimal number in range */
	__u8 neg;	     /* bit t: token t (< 5) starts with '-' */
	__u8 in_tok;	     /* inside a token */
	__u8 bad;	     /* the first token has a byte no command name has */
	__u8 key_long;	     /* token 1 is longer than a key may be */
	__u8 noreply;	     /* request: the command reading its data block expects no reply */
	__u8 end_after_data; /* response: the data block ends the reply (meta VA) */
	__u8 seek;	     /* response: a reply lost bytes; resume at its next VALUE/STAT/END */
};
_Static_assert(sizeof(struct wl_memcached_dir) <= WL_L7_PRIV_MAX, "memcached state fits in priv");
_Static_assert(__builtin_offsetof(struct wl_memcached_dir, last_multi) + 4 <= WL_L7_KEEP,
	       "what memcached keeps across messages is kept");
#define MC(d) ((struct wl_memcached_dir *)(d)->priv)

/* Up to 8 characters of a string literal as a little-endian u64 (bytes 8..15 with MC8H). */
#define MC_CH(s, i, b)                                                                             \
	((__u64)(__u8)((i) < sizeof(s) - 1 ? (s)[(i) % sizeof(s)] : 0) << (((i) - (b)) * 8))
#define MC8(s)                                                                                     \
	(MC_CH(s, 0, 0) | MC_CH(s, 1, 0) | MC_CH(s, 2, 0) | MC_CH(s, 3, 0) | MC_CH(s, 4, 0) |      \
	 MC_CH(s, 5, 0) | MC_CH(s, 6, 0) | MC_CH(s, 7, 0))
#define MC8H(s)                                                                                    \
	(MC_CH(s, 8, 8) | MC_CH(s, 9, 8) | MC_CH(s, 10, 8) | MC_CH(s, 11, 8) | MC_CH(s, 12, 8) |   \
	 MC_CH(s, 13, 8) | MC_CH(s, 14, 8) | MC_CH(s, 15, 8))

static __always_inline void wl_memcached_line_reset(struct wl_memcached_dir *m)
{
	__u64 *n = (__u64 *)m->name;

	n[0] = n[1] = n[2] = 0;
	m->last8 = 0;
	m->val[0] = m->val[1] = m->val[2] = m->val[3] = m->val[4] = 0;
	m->ntok = 0;
	m->tok_len = 0;
	m->line_len = 0;
	m->num_bad = 0;
	m->neg = 0;
	m->in_tok = 0;
	m->bad = 0;
	m->key_long = 0;
}

/* Window bytes tokenized per call of wl_memcached_scan: a longer line takes several steps. */
#define WL_MC_SCAN_CHUNK 64

/* m->field read again from memory: an opaque value to the verifier, so that what a branch
 * learnt about the register that held it does not keep two paths apart. */
#define MC_RELOAD(m, field) (*(volatile typeof((m)->field) *)&(m)->field)

/*
 * Tokenizes a text line from window index pos (below lim, at most WL_MC_SCAN_CHUNK bytes) the
 * way memcached does (tokens split by spaces; a CR is taken as a separator): first token, token
 * count, decimal values of tokens 0..4, first bytes and length of the last token. Returns the
 * index after the LF, or 0 when the bytes ended first (the state is kept for the next call).
 * A global function: verified once. Every piece of state lives in m and is read again where it
 * is used, so the paths of one byte (separator or not, first token or not, digit or not) join
 * again before the next byte: the verifier walks each byte's few paths, not their products.
 */
__noinline __u32 wl_memcached_scan(struct wl_l7_state *s, struct wl_memcached_dir *m, __u32 pos,
				   __u32 lim)
{
	if (!s || !m)
		return 0;
	for (int k = 0; k < WL_MC_SCAN_CHUNK; k++) {
		__u32 i = pos + k, t, l, v, dg;
		const __u8 *b;
		__u8 c;

		if (i >= lim)
			return 0;
		b = &s->buf[i & (WL_L7_WINDOW - 1)];
		c = *b;
		m->line_len++;
		if (c == '\n' || c == ' ' || c == '\r') {
			if (MC_RELOAD(m, in_tok)) {
				if (MC_RELOAD(m, ntok) == 1 &&
				    MC_RELOAD(m, tok_len) > WL_MC_KEY_MAX)
					m->key_long = 1;
				m->ntok = MC_RELOAD(m, ntok) + 1;
				m->in_tok = 0;
			}
			if (*(volatile const __u8 *)b == '\n')
				return i + 1;
			continue;
		}
		if (!MC_RELOAD(m, in_tok)) {
			m->in_tok = 1;
			m->tok_len = 0;
			m->last8 = 0;
		}
		if (MC_RELOAD(m, ntok) == 0) {
			/* not a printable character: no command name (branch-free: no paths) */
			__s32 p = (__s32) * (volatile const __u8 *)b - 0x21;

			m->bad |= (__u32)(p | (0x5d - p)) >> 31;
			l = MC_RELOAD(m, tok_len);
			if (l < WL_CMD_LEN - 1)
				m->name[l] = *(volatile const __u8 *)b;
		}
		t = MC_RELOAD(m, ntok);
		if (t < 5) {
			/* a digit that keeps the value in range, else a leading '-', else bad
			 * (the order of memcached's checks: '-' is no digit) */
			v = m->val[t];
			dg = (__u32) * (volatile const __u8 *)b - '0';
			if (dg <= 9 && v <= WL_MC_VLEN_MAX / 10 && v * 10 + dg <= WL_MC_VLEN_MAX)
				m->val[t] = v * 10 + dg;
			else if (*(volatile const __u8 *)b == '-' && MC_RELOAD(m, tok_len) == 0)
				m->neg |= 1 << t;
			else
				m->num_bad |= 1 << t;
		}
		l = MC_RELOAD(m, tok_len);
		if (l < 8)
			m->last8 |= (__u64) * (volatile const __u8 *)b << (l * 8);
		if (l < 0xffff)
			m->tok_len = l + 1;
	}
	return 0;
}

/* ---- events ---- */

/* n requests of command id (the keys of a multi-get), bytes for all of them. */
static __always_inline void wl_memcached_requests(struct wl_l7_walk *w, __u16 id, __u32 n,
						  __u32 bytes)
{
	struct wl_l7_run *r;

	wl_l7_rule_check(w->s, id); /* L7 rules (l7_block.h) */
	r = wl_l7_req_run(w, id);
	r->count += n;
	r->bytes += bytes;
}

/* n responses to command id answered at once (the keys of a multi-get, settled quiet ones). */
static __always_inline void wl_memcached_responses(struct wl_l7_walk *w, __u16 id, __u64 lat_ns,
						   __u32 n, __u32 errors, __u32 misses, __u32 bytes)
{
	struct wl_l7_run *r = wl_l7_resp_run(w, id, lat_ns);

	if (!r)
		return;
	r->count += n;
	r->errors += errors;
	r->misses += misses;
	r->bytes += bytes;
}

/* Requests expecting a reply go to the FIFO as runs (the engine's push is off: noreply
 * commands must stay out of it). */
static __always_inline void wl_memcached_push_flush(struct wl_l7_walk *w,
						    struct wl_memcached_dir *m)
{
	if (m->push_cnt)
		wl_fifo_push(w, m->push_id, m->push_cnt);
	m->push_cnt = 0;
}

static __always_inline void wl_memcached_push(struct wl_l7_walk *w, struct wl_memcached_dir *m,
					      __u16 id, __u32 n)
{
	if (m->push_cnt && m->push_id != id)
		wl_memcached_push_flush(w, m);
	m->push_id = id;
	m->push_cnt += n;
}

/* Takes n more units (keys) off the FIFO, from the head entry on. Global: verified once. */
__noinline int wl_memcached_fifo_take_g(struct wl_conn *c, __u32 n)
{
	__u32 took = 0;

	if (!c)
		return 0;
	for (int k = 0; k < 4; k++) {
		struct wl_pending v;
		__u64 left, t;

		if (took >= n || !wl_fifo_head_once(c, &v, &left))
			break;
		t = n - took;
		if (t > left)
			t = left;
		wl_fifo_take(c, t);
		took += t;
	}
	return 0;
}

static __always_inline void wl_memcached_fifo_take(struct wl_l7_walk *w, __u32 n)
{
	wl_memcached_fifo_take_g(w->conn, n);
}

static __always_inline int wl_memcached_malformed(struct wl_l7_walk *w, struct wl_l7_dir *d)
{
	w->cnt->l7_malformed++;
	d->state = MC_RESYNC;
	d->flags &= WL_DIR_SEQ_VALID;
	d->msg_bytes = 0;
	d->body_left = 0;
	d->hdr_len = 0;
	return 1;
}

static __always_inline void wl_memcached_msg_done(struct wl_l7_dir *d)
{
	d->state = MC_IDLE;
	d->msg_bytes = 0;
	d->hdr_len = 0;
}

/* The command id of the name in m->name (WL_CMD_OTHER when unknown). Global: verified once. */
__noinline int wl_memcached_lookup_g(struct wl_memcached_dir *m)
{
	return m ? wl_cmd_lookup_scratch(m->name) : WL_CMD_OTHER;
}

/* ---- text requests ---- */

static __always_inline int wl_memcached_kind(const struct wl_memcached_dir *m)
{
	const __u64 *n = (const __u64 *)m->name;
	__u64 n0 = n[0], n1 = n[1];

	if (n1 == 0) {
		if (n0 == MC8("get") || n0 == MC8("gets") || n0 == MC8("bget"))
			return MCK_GET;
		if (n0 == MC8("gat") || n0 == MC8("gats"))
			return MCK_GAT;
		if (n0 == MC8("set") || n0 == MC8("add") || n0 == MC8("replace") ||
		    n0 == MC8("append") || n0 == MC8("prepend"))
			return MCK_STORE;
		if (n0 == MC8("cas"))
			return MCK_CAS;
		if (n0 == MC8("incr") || n0 == MC8("decr"))
			return MCK_ARITH;
		if (n0 == MC8("touch"))
			return MCK_TOUCH;
		if (n0 == MC8("delete"))
			return MCK_DELETE;
		if (n0 == MC8("quit"))
			return MCK_QUIT;
		if (n0 == MC8("ms"))
			return MCK_MSET;
	} else if (n[2] == 0) {
		if (n0 == MC8("flush_all") && n1 == MC8H("flush_all"))
			return MCK_FLUSH;
		if (n0 == MC8("verbosity") && n1 == MC8H("verbosity"))
			return MCK_VERBOSITY;
	}
	return MCK_OTHER;
}

/* Token counts memcached accepts for each command kind (else it answers ERROR): the least and
 * the most (MC_ANY: no bound). 24 bytes: in .rodata (libbpf takes no .rodata.cst32). */
#define MC_ANY 0xff
static const struct {
	__u8 lo, hi;
} wl_memcached_tokens[MCK_MSET + 1] = {
	[MCK_OTHER] = {0, MC_ANY}, [MCK_GET] = {2, MC_ANY},  [MCK_GAT] = {2, MC_ANY},
	[MCK_STORE] = {5, 6},	   [MCK_CAS] = {6, 7},	     [MCK_ARITH] = {3, 4},
	[MCK_TOUCH] = {3, 4},	   [MCK_DELETE] = {2, 4},    [MCK_FLUSH] = {1, 3},
	[MCK_VERBOSITY] = {2, 3},  [MCK_QUIT] = {0, MC_ANY}, [MCK_MSET] = {3, MC_ANY},
};

/* A storage command whose data block follows (no response expected when noreply). */
static __always_inline void wl_memcached_req_data_done(struct wl_l7_walk *w, struct wl_l7_dir *d,
						       struct wl_memcached_dir *m)
{
	wl_memcached_requests(w, d->cur_id, 1, d->msg_bytes);
	if (!m->noreply) {
		wl_memcached_push(w, m, d->cur_id, 1);
		m->seq++;
	}
	wl_memcached_msg_done(d);
}

/* A complete request line: its command, keys, noreply, and data block if memcached reads one. */
static __always_inline void wl_memcached_req_line(struct wl_l7_walk *w, struct wl_l7_dir *d,
						  struct wl_memcached_dir *m)
{
	__u32 nt = m->ntok, n = 1, data = 0;
	int kind = wl_memcached_kind(m), noreply = 0, expect = 1, ok;
	__u8 lo, hi;
	__u16 id;

	/* a first token too long for the name buffer is no command memcached knows */
	id = nt && m->name[WL_CMD_LEN - 2] == 0 ? wl_memcached_lookup_g(m) : WL_CMD_OTHER;
	if (kind < 0 || kind > MCK_MSET)
		kind = MCK_OTHER;
	lo = wl_memcached_tokens[kind].lo;
	hi = wl_memcached_tokens[kind].hi;
	ok = nt >= lo && (hi == MC_ANY || nt <= hi);
	if (ok && kind == MCK_GET)
		n = nt - 1;
	else if (ok && kind == MCK_GAT && nt > 2)
		n = nt - 2;
	else if (ok && kind == MCK_QUIT)
		expect = 0;
	if (ok && kind >= MCK_STORE && kind <= MCK_VERBOSITY && (kind != MCK_DELETE || nt > 2))
		noreply = m->tok_len == 7 && m->last8 == MC8("noreply");
	/* the data block is read only when the line is good enough for memcached to read it */
	if (ok && (kind == MCK_STORE || kind == MCK_CAS) && !m->key_long && !(m->num_bad & 0x1c) &&
	    !(m->neg & 0x14))
		data = m->val[4] + 2;
	else if (ok && kind == MCK_MSET && !m->key_long && !(m->num_bad & 0x4) && !(m->neg & 0x4))
		data = m->val[2] + 2;
	if (data) {
		d->cur_id = id;
		m->noreply = noreply;
		d->body_left = data;
		d->state = MC_DATA;
		return;
	}
	wl_memcached_requests(w, id, n, d->msg_bytes);
	if (expect && !noreply) {
		wl_memcached_push(w, m, id, n);
		m->seq++;
		if (n > 1) {
			/* the reply side needs the key count of this line to count misses */
			wl_aux_set(w, WL_AUX_PENDING, m->seq, id, n);
			m->last_multi = m->seq;
		}
	}
	wl_memcached_msg_done(d);
}

/* ---- binary ---- */

/* The names of the binary opcodes 0x00..0x24, as the text protocol names them ("" : none). 16
 * bytes a row, 8-aligned: a name is two 64-bit loads. */
static const char wl_memcached_bin_names[][16] __attribute__((aligned(8))) = {
	"get",	      "set",	   "add",
	"replace",    "delete",	   "incr",
	"decr",	      "quit",	   "flush_all",
	"getq",	      "noop",	   "version",
	"getk",	      "getkq",	   "append",
	"prepend",    "stats",	   "setq",
	"addq",	      "replaceq",  "deleteq",
	"incrq",      "decrq",	   "quitq",
	"flush_allq", "appendq",   "prependq",
	"verbosity",  "touch",	   "gat",
	"gatq",	      "",	   "sasl_list_mechs",
	"sasl_auth",  "sasl_step", "gatk",
	"gatkq",
};
#define WL_MC_BIN_OPS (sizeof(wl_memcached_bin_names) / sizeof(wl_memcached_bin_names[0]))

/* The command name of a binary opcode, into m->name ("OTHER" for an unknown one). */
static __always_inline void wl_memcached_bin_name(struct wl_memcached_dir *m, __u8 op)
{
	__u64 *n = (__u64 *)m->name;
	const __u64 *row;

	if (op < WL_MC_BIN_OPS && wl_memcached_bin_names[op][0]) {
		row = (const __u64 *)wl_memcached_bin_names[op];
		n[0] = row[0];
		n[1] = row[1];
	} else {
		n[0] = MC8("OTHER");
		n[1] = 0;
	}
	n[2] = 0;
}

/* Checks a gathered binary header; returns its body length, or -1 when it is malformed. */
static __always_inline long wl_memcached_bin_body(const struct wl_l7_dir *d, __u8 magic)
{
	__u32 keylen = (__u32)d->hdr[2] << 8 | d->hdr[3], extlen = d->hdr[4];
	__u32 body = (__u32)d->hdr[8] << 24 | (__u32)d->hdr[9] << 16 | (__u32)d->hdr[10] << 8 |
		     d->hdr[11];

	if (d->hdr[0] != magic || body > WL_MC_BIN_BODY_MAX || keylen + extlen > body)
		return -1;
	return body;
}

static __always_inline void wl_memcached_req_bin(struct wl_l7_walk *w, struct wl_l7_dir *d,
						 struct wl_memcached_dir *m)
{
	long body = wl_memcached_bin_body(d, WL_MC_REQ_MAGIC);
	__u8 op = d->hdr[1];
	__u16 id;

	if (body < 0) {
		wl_memcached_malformed(w, d);
		return;
	}
	wl_memcached_bin_name(m, op);
	id = wl_memcached_lookup_g(m);
	wl_memcached_requests(w, id, 1, WL_MC_BIN_HDR + body);
	if (op != 0x17) /* quitq: never answered; other quiet ones are settled in order */
		wl_memcached_push(w, m, id, 1);
	d->body_left = body;
	d->state = MC_BIN_BODY;
}

/* Is command id a binary quiet one ("...q"): bit 0; of the get family (silence = miss): bit 1.
 * Global: verified once. The last character is carried, not its index. */
__noinline int wl_memcached_quiet_g(__u32 id)
{
	struct wl_cmd_name *nm;
	__u32 idx = id & 0xffff;
	char last;

	nm = bpf_map_lookup_elem(&wl_cmd_ids, &idx);
	if (!nm)
		return 0;
	last = nm->command[0];
	for (int j = 1; j < WL_CMD_LEN; j++) {
		char c = nm->command[j];

		if (c == 0)
			break;
		last = c;
	}
	return (last == 'q') | (nm->command[0] == 'g') << 1;
}

/* A binary reply to command rid: the quiet requests before it that got no reply are settled.
 * Global: verified once. */
__noinline int wl_memcached_bin_answer_g(struct wl_conn *c, __u32 rid, __u32 error, __u32 miss,
					 __u32 bytes)
{
	struct wl_l7_walk wk, *w = &wk;

	if (!wl_l7_walk_g(w, 0, c, 1))
		return 0;
	for (int k = 0; k < 8; k++) {
		struct wl_pending e;
		int quiet = 0;
		__u64 lat, cnt;
		__u16 id;

		if (!wl_fifo_head_once(c, &e, &cnt))
			break;
		id = e.cmd_id;
		lat = id == WL_FIFO_LOST ? 0 : wl_fifo_age(wl_l7_now(w->s), e.ts);
		if (id != rid && id != WL_FIFO_LOST)
			quiet = wl_memcached_quiet_g(id);
		if (!(quiet & 1)) {
			wl_memcached_fifo_take(w, 1);
			wl_memcached_responses(w, id, lat, 1, !!error, !!miss, bytes);
			return 0;
		}
		wl_memcached_fifo_take(w, cnt);
		wl_memcached_responses(w, id, lat, cnt, 0, (quiet & 2) ? cnt : 0, 0);
	}
	w->cnt->l7_unmatched++;
	return 0;
}

static __always_inline void wl_memcached_bin_answer(struct wl_l7_walk *w, __u16 rid, int error,
						    int miss, __u32 bytes)
{
	wl_memcached_bin_answer_g(w->conn, rid, !!error, !!miss, bytes);
}

static __always_inline void wl_memcached_resp_bin(struct wl_l7_walk *w, struct wl_l7_dir *d,
						  struct wl_memcached_dir *m)
{
	long body = wl_memcached_bin_body(d, WL_MC_RESP_MAGIC);
	__u32 keylen = (__u32)d->hdr[2] << 8 | d->hdr[3];
	__u16 status = (__u16)d->hdr[6] << 8 | d->hdr[7], id;
	__u8 op = d->hdr[1];

	if (body < 0) {
		wl_memcached_malformed(w, d);
		return;
	}
	d->body_left = body;
	d->state = MC_BIN_BODY;
	/* a stats reply is one packet per statistic, ended by one with no key */
	if (op == WL_MC_BIN_STAT && status == 0 && keylen) {
		m->acc_bytes += WL_MC_BIN_HDR + body;
		return;
	}
	wl_memcached_bin_name(m, op);
	id = wl_memcached_lookup_g(m);
	wl_memcached_bin_answer(w, id, status && status != 1 && status != 2 && status != 5,
				status == 1, m->acc_bytes + WL_MC_BIN_HDR + body);
	m->acc_bytes = 0;
}

/* ---- text responses ---- */

static __always_inline int wl_memcached_rkind(const struct wl_memcached_dir *m)
{
	const __u64 *n = (const __u64 *)m->name;
	__u64 n0 = n[0], n1 = n[1];

	if ((n0 & 0xffffffffffull) == MC8("ERROR"))
		return MCR_ERROR; /* "ERROR", "ERROR:" */
	if (n1 == 0) {
		if (n0 == MC8("VALUE"))
			return MCR_VALUE;
		if (n0 == MC8("VA"))
			return MCR_VA;
		if (n0 == MC8("STAT") || n0 == MC8("ITEM") || n0 == MC8("PREFIX"))
			return MCR_ITEM;
		if (n0 == MC8("END"))
			return MCR_END;
		if (n0 == MC8("EN") || n0 == MC8("NF"))
			return MCR_MISS;
	} else if (n[2] == 0) {
		if ((n0 == MC8("CLIENT_ERROR") || n0 == MC8("SERVER_ERROR")) &&
		    n1 == MC8H("CLIENT_ERROR"))
			return MCR_ERROR;
		if (n0 == MC8("NOT_FOUND") && n1 == MC8H("NOT_FOUND"))
			return MCR_MISS;
	}
	return MCR_ONE;
}

/* The first line of a reply: which request it answers, and how many keys. */
static __always_inline void wl_memcached_resp_start(struct wl_l7_walk *w, struct wl_l7_dir *d,
						    struct wl_memcached_dir *m)
{
	struct wl_memcached_dir *rq = wl_l7_priv_of(w->conn, 0); /* its kept bytes only */
	__u64 lat = 0, pushed;
	__u32 multi;

	/* a lost request (an overflow) is still a line: its reply takes its keys */
	d->cur_id = wl_fifo_pop_raw(w, &lat);
	d->msg_ts_ns = lat;
	/* when the FIFO entry this reply took was pushed (a lost one: any time) */
	pushed = d->cur_id == WL_FIFO_LOST ? 0 : wl_l7_now(w->s) - lat;
	d->flags |= WL_DIR_STARTED;
	m->items = 0;
	m->keys = 1;
	if (d->cur_id == WL_CMD_NONE)
		return;
	m->seq++;
	multi = *(volatile __u32 *)&rq->last_multi;
	if (multi && (__s32)(m->seq - multi) <= 0) {
		struct wl_aux_key k;
		struct wl_aux_val *v;

		wl_aux_key_init(w, &k, WL_AUX_PENDING, m->seq);
		v = bpf_map_lookup_elem(&wl_aux, &k);
		if (v) {
			/*
			 * The line's key count, if it is this connection's: stored with the push of
			 * the entry this reply took, or later when an overflow merged the line into
			 * an earlier entry (whose id is then OTHER: the count still applies, or the
			 * FIFO would fall out of step). An older one was left by an earlier
			 * connection on the same ports whose line was never answered.
			 */
			if (v->value > 1 && v->ts_ns >= pushed) {
				m->keys = v->value;
				wl_memcached_fifo_take(w, v->value - 1);
			}
			bpf_map_delete_elem(&wl_aux, &k);
		}
	}
}

static __always_inline void wl_memcached_resp_done(struct wl_l7_walk *w, struct wl_l7_dir *d,
						   struct wl_memcached_dir *m, int error, int miss)
{
	__u32 keys = m->keys, misses = 0;

	if (miss > 0)
		misses = keys;
	else if (miss < 0) /* END: the keys without a VALUE */
		misses = keys > m->items ? keys - m->items : 0;
	wl_memcached_responses(w, d->cur_id, d->msg_ts_ns, keys, error ? keys : 0, misses,
			       d->msg_bytes);
	d->flags &= WL_DIR_SEQ_VALID;
	m->items = 0;
	m->keys = 1;
	wl_memcached_msg_done(d);
}

/* A VALUE line (the length in token 3) or a meta VA line (token 1, and the data block ends the
 * reply): the data block follows. */
static __always_inline void wl_memcached_value_line(struct wl_l7_walk *w, struct wl_l7_dir *d,
						    struct wl_memcached_dir *m, __u32 tok, int last)
{
	if (m->ntok <= tok || ((m->num_bad | m->neg) & (1u << tok))) {
		wl_memcached_malformed(w, d);
		return;
	}
	m->items++;
	m->end_after_data = last;
	d->body_left = m->val[tok & 3] + 2;
	d->state = MC_DATA;
}

static __always_inline void wl_memcached_resp_line(struct wl_l7_walk *w, struct wl_l7_dir *d,
						   struct wl_memcached_dir *m)
{
	int kind = wl_memcached_rkind(m);

	if (m->seek) {
		/* after lost bytes: only the reply's next VALUE/STAT line or its END resumes it;
		 * any other line is the rest of a data block */
		if (!(kind == MCR_VALUE && m->ntok >= 4 && !((m->num_bad | m->neg) & 0x8)) &&
		    !(kind == MCR_END && m->ntok == 1) && kind != MCR_ITEM) {
			d->state = MC_IDLE;
			return;
		}
		m->seek = 0;
	}
	if (m->ntok == 0) {
		wl_memcached_malformed(w, d); /* memcached sends no blank lines */
		return;
	}
	if (kind == MCR_VALUE || kind == MCR_VA) {
		wl_memcached_value_line(w, d, m, kind == MCR_VALUE ? 3 : 1, kind == MCR_VA);
		return;
	}
	if (kind == MCR_ITEM) {
		m->items++;
		d->state = MC_IDLE; /* the block goes on */
		return;
	}
	/* the reply's last line: END (the keys without a VALUE are misses), an error, a miss, or
	 * a one-line reply */
	wl_memcached_resp_done(w, d, m, kind == MCR_ERROR, kind == MCR_END ? -1 : kind == MCR_MISS);
}

/* ---- steps ---- */

/* A data block or binary body was skipped to its end: what it ends. */
static __always_inline void wl_memcached_body_done(struct wl_l7_walk *w, struct wl_l7_dir *d,
						   struct wl_memcached_dir *m, int resp)
{
	if (d->state == MC_BIN_BODY)
		wl_memcached_msg_done(d);
	else if (!resp)
		wl_memcached_req_data_done(w, d, m);
	else if (m->end_after_data)
		wl_memcached_resp_done(w, d, m, 0, 0);
	else
		d->state = MC_IDLE; /* the next VALUE, or END */
}

/* The first byte of a message (the window covers it): a binary header or a text line. */
static __always_inline void wl_memcached_msg_start(struct wl_l7_walk *w, struct wl_l7_dir *d,
						   struct wl_memcached_dir *m, int resp)
{
	__u8 c = wl_win_byte(w);

	if (!(d->flags & WL_DIR_STARTED))
		d->msg_bytes = 0;
	if (c == (resp ? WL_MC_RESP_MAGIC : WL_MC_REQ_MAGIC) && !m->seek) {
		d->hdr_len = 0;
		d->state = MC_BIN_HDR;
		return;
	}
	if (resp && !(d->flags & WL_DIR_STARTED))
		wl_memcached_resp_start(w, d, m);
	wl_memcached_line_reset(m);
	d->state = MC_LINE;
}

/* A text line, or what of it the window holds (up to WL_MC_SCAN_CHUNK bytes). Returns 1 to
 * stop. */
static __always_inline long wl_memcached_line_step(struct wl_l7_walk *w, struct wl_l7_dir *d,
						   struct wl_memcached_dir *m, int resp)
{
	struct wl_l7_state *s = w->s;
	__u32 pos, lim, wlim, next, n;

	wlim = wl_win_span(w, 0, &pos);
	if (!wlim)
		return 1;
	lim = wlim;
	if (lim > pos + WL_MC_SCAN_CHUNK)
		lim = pos + WL_MC_SCAN_CHUNK;
	next = wl_memcached_scan(s, m, pos, lim);
	n = (next ? next : lim) - pos;
	s->off += n;
	d->msg_bytes += n;
	if (!next && lim < wlim)
		return 0; /* the line goes on in the window: the next step scans on */
	if (m->bad && !m->seek)
		return wl_memcached_malformed(w, d);
	if (!next) {
		/* only a multi-get may be longer than memcached's line limit (and a data block's
		 * tail, read as a line while seeking) */
		if (m->line_len > (resp ? WL_MC_RESP_LINE_MAX : WL_MC_LINE_MAX) && !m->seek &&
		    (resp || wl_memcached_kind(m) != MCK_GET))
			return wl_memcached_malformed(w, d);
		return s->off >= s->end;
	}
	if (resp)
		wl_memcached_resp_line(w, d, m);
	else
		wl_memcached_req_line(w, d, m);
	return s->off >= s->end;
}

/*
 * One step of either direction: a whole data block or binary body skip, a binary header, or a
 * text line (or what of it the window holds). Returns 1 (stop) at the end of the payload.
 */
static __always_inline long wl_memcached_step(struct wl_l7_walk *w, int resp)
{
	struct wl_l7_state *s = w->s;
	struct wl_l7_dir *d = w->d;
	struct wl_memcached_dir *m = MC(d);

	if (d->state == MC_DATA || d->state == MC_BIN_BODY) {
		if (!wl_l7_body_skip(w, d))
			return 1;
		wl_memcached_body_done(w, d, m, resp);
		return s->off >= s->end;
	}
	if (d->state == MC_RESYNC || !wl_win_avail(w))
		return 1;
	if (d->state == MC_IDLE)
		wl_memcached_msg_start(w, d, m, resp);
	if (d->state == MC_BIN_HDR) {
		if (!wl_l7_hdr_take(w, d, WL_MC_BIN_HDR))
			return 1;
		if (resp)
			wl_memcached_resp_bin(w, d, m);
		else
			wl_memcached_req_bin(w, d, m);
		return s->off >= s->end;
	}
	if (d->state != MC_LINE)
		return 1;
	return wl_memcached_line_step(w, d, m, resp);
}

/*
 * The steps are global functions: verified once each, from an opaque state (the bytes of the
 * connection, scratch and counters unknown), instead of once per path of the bpf_loop callback.
 * What needs the scratch as a map value (a helper's key: stats, names) is in global functions
 * that look it up themselves.
 */
static __always_inline long wl_memcached_step_g(wl_ctx_t *ctx, struct wl_conn *conn,
						struct wl_l7_state *s, struct wl_counters *cnt,
						int resp)
{
	struct wl_l7_walk w = {.ctx = ctx, .conn = conn, .s = s, .cnt = cnt};

	if (!conn || !s || !cnt)
		return 1;
	w.d = &s->work; /* resp: the packet's own direction */
	return wl_memcached_step(&w, resp);
}

__noinline long wl_memcached_req_step_g(wl_ctx_t *ctx, struct wl_conn *conn, struct wl_l7_state *s,
					struct wl_counters *cnt)
{
	return wl_memcached_step_g(ctx, conn, s, cnt, 0);
}

__noinline long wl_memcached_resp_step_g(wl_ctx_t *ctx, struct wl_conn *conn, struct wl_l7_state *s,
					 struct wl_counters *cnt)
{
	return wl_memcached_step_g(ctx, conn, s, cnt, 1);
}

static long wl_memcached_req_step(__u32 i, void *arg)
{
	struct wl_l7_walk *w = arg;

	return wl_memcached_req_step_g(w->ctx, w->conn, w->s, w->cnt) ? 1 : 0;
}

static long wl_memcached_resp_step(__u32 i, void *arg)
{
	struct wl_l7_walk *w = arg;

	return wl_memcached_resp_step_g(w->ctx, w->conn, w->s, w->cnt) ? 1 : 0;
}

/*
 * Bytes lost before the hook (or overtaken by later segments: the late copy is then skipped as a
 * retransmission) cost nothing inside a data block or binary body being skipped (the engine
 * absorbs them: wl_l7_gap_mark). Inside a VALUE/STAT block, the reply stays open (its keys left
 * the FIFO when it started; wl_l7_gap_mark_open) and resumes at its next VALUE/STAT line or
 * END: its keys are all answered, those whose VALUE was lost count as misses. Without this, one
 * lost segment of a large multi-get reply lost every key of the line, and the resync could
 * start a "reply" inside a data block.
 */
static __always_inline void wl_memcached_gap_mark(struct wl_l7_walk *w, struct wl_l7_dir *d,
						  struct wl_memcached_dir *m)
{
	wl_l7_gap_mark(d, d->state == MC_DATA || d->state == MC_BIN_BODY, 0);
	wl_l7_gap_mark_open(d, w->s->job.dir && (d->flags & WL_DIR_STARTED) && m->items &&
				       !m->end_after_data);
}

/* A reply that lost bytes goes on at its next VALUE/STAT line or END (see wl_memcached_gap_mark).
 */
static __always_inline void wl_memcached_gap_resume(struct wl_l7_dir *d, struct wl_memcached_dir *m)
{
	if (d->state != WL_L7_GAPPED)
		return;
	d->state = MC_IDLE;
	m->seek = 1;
}

/* A segment may restart a stream that lost sync if it begins like a message. */
static __always_inline void wl_memcached_resync(struct wl_l7_walk *w, struct wl_l7_dir *d)
{
	__u8 c;

	if (d->state != MC_RESYNC)
		return;
	if (!wl_win_avail(w))
		return;
	c = wl_win_byte(w);
	if (w->s->job.dir
		    ? (c == WL_MC_RESP_MAGIC || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
		    : (c == WL_MC_REQ_MAGIC || (c >= 'a' && c <= 'z'))) {
		struct wl_memcached_dir *m = MC(d);

		wl_memcached_msg_done(d);
		d->flags &= WL_DIR_SEQ_VALID;
		d->body_left = 0;
		m->items = 0;
		m->keys = 1;
		m->acc_bytes = 0;
		m->seek = 0;
		return;
	}
	w->cnt->l7_resync_skip++;
}

static __always_inline void wl_memcached_parse(struct wl_l7_walk *w)
{
	wl_memcached_gap_resume(w->d, MC(w->d));
	wl_memcached_resync(w, w->d);
	if (w->s->job.dir) {
		bpf_loop(WL_L7_STEPS_MAX, wl_memcached_resp_step, w, 0);
	} else {
		bpf_loop(WL_L7_STEPS_MAX, wl_memcached_req_step, w, 0);
		wl_memcached_push_flush(w, MC(w->d));
	}
	wl_memcached_gap_mark(w, w->d, MC(w->d));
}

/* Does a client's first payload look like memcached? head: its first 16 bytes (zero-padded).
 * A text command word with its separator, or a binary request header that adds up. */
static __always_inline int wl_memcached_sniff(const __u8 *head, __u32 len)
{
	__u8 b0 = head[0], b1 = head[1], b2 = head[2], b3 = head[3], b4 = head[4], b5 = head[5],
	     b6 = head[6], b7 = head[7], b8 = head[8], b9 = head[9], b10 = head[10], b11 = head[11];
	__u64 w8 = (__u64)b0 | (__u64)b1 << 8 | (__u64)b2 << 16 | (__u64)b3 << 24 |
		   (__u64)b4 << 32 | (__u64)b5 << 40 | (__u64)b6 << 48 | (__u64)b7 << 56;
	__u32 w4 = (__u32)w8;

	if (b0 == WL_MC_REQ_MAGIC) {
		__u32 keylen = (__u32)b2 << 8 | b3;
		__u32 body = (__u32)b8 << 24 | (__u32)b9 << 16 | (__u32)b10 << 8 | b11;

		return len >= WL_MC_BIN_HDR && b1 <= 0x24 && b5 == 0 && b6 == 0 && b7 == 0 &&
		       keylen <= WL_MC_KEY_MAX && b4 <= 20 && keylen + b4 <= body &&
		       body <= (1u << 20);
	}
	if (len < 5)
		return 0;
	/* "get ", "set " ...: four bytes; "gets ", "incr " ...: five */
	if (w4 == (__u32)MC8("get ") || w4 == (__u32)MC8("set ") || w4 == (__u32)MC8("add ") ||
	    w4 == (__u32)MC8("cas ") || w4 == (__u32)MC8("gat "))
		return 1;
	if (b4 == ' ' && (w4 == (__u32)MC8("gets") || w4 == (__u32)MC8("gats") ||
			  w4 == (__u32)MC8("incr") || w4 == (__u32)MC8("decr")))
		return 1;
	if ((w8 & 0xffffffffffffull) == MC8("touch ") ||
	    (w8 & 0xffffffffffffffull) == MC8("delete ") ||
	    (w8 & 0xffffffffffffffull) == MC8("append "))
		return 1;
	if (w8 == MC8("prepend ") || w8 == MC8("replace ") || w8 == MC8("flush_al") ||
	    w8 == MC8("version\r") || (w8 & 0xffffffffffffull) == MC8("stats\r") ||
	    (w8 & 0xffffffffffffull) == MC8("stats "))
		return 1;
	return 0;
}

/* Is a message open past the packet (its state must be kept whole, wl_l7_store)? Replies: also
 * a reply begun (its VALUE/STAT lines go on at a line boundary) or a binary stats reply's bytes. */
static __always_inline int wl_memcached_open(const struct wl_l7_dir *d, int dir)
{
	const struct wl_memcached_dir *m = (const struct wl_memcached_dir *)d->priv;

	return wl_l7_open_std(d) || (dir && ((d->flags & WL_DIR_STARTED) || m->acc_bytes));
}

#endif /* WL_PARSE_PROTO_MEMCACHED_H */
