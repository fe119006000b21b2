/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * MongoDB wire protocol. Every message starts with a 16-byte MsgHeader (little-endian int32
 * messageLength, requestID, responseTo, opCode); replies name their request in responseTo, so
 * requests are matched by id (wl_aux), not in order.
 *  OP_MSG (2013):      flagBits, sections; the command is the first element name of the kind-0
 *                      body document (kind-1 document sequences before it are skipped).
 *  OP_QUERY (2004):    flags, fullCollectionName, skip, return, query: on "<db>.$cmd" the command
 *                      is the query's first element name, elsewhere "find".
 *  OP_COMMAND (2010):  database, commandName (legacy 3.2-3.6 internal protocol).
 *  OP_COMPRESSED (2012): payload not inspected (snappy/zlib/zstd): counted as "compressed".
 *  OP_INSERT/UPDATE/DELETE/GET_MORE/KILL_CURSORS: legacy writes and cursor ops, by opcode.
 *  Replies: OP_MSG, OP_REPLY (1), OP_COMMANDREPLY (2011), OP_COMPRESSED. A reply is an error when
 *  the top-level "ok" of its first document is 0 (double, int32, int64 or bool), or OP_REPLY's
 *  QueryFailure flag is set. The "ok" search is bounded: the first WL_MONGO_ELEMS_MAX top-level
 *  elements, element names up to 23 bytes (a longer name is skipped like any other), values
 *  skipped by their BSON length without being read; regex and DBPointer values end the search.
 * Fixed parts go through d->hdr (across segment boundaries), strings and element headers are
 * walked byte by byte, everything else is skipped by length: any split, any size.
 */
#ifndef WL_PARSE_PROTO_MONGODB_H
#define WL_PARSE_PROTO_MONGODB_H

#include "l7.h"

#define WL_MONGO_LEN_MAX   48000000 /* maxMessageSizeBytes of every server version */
#define WL_MONGO_HDR	   16
#define WL_MONGO_ELEMS_MAX 64 /* top-level elements of a reply looked at for "ok" */

#define WL_OP_REPLY	   1
#define WL_OP_UPDATE	   2001
#define WL_OP_INSERT	   2002
#define WL_OP_QUERY	   2004
#define WL_OP_GET_MORE	   2005
#define WL_OP_DELETE	   2006
#define WL_OP_KILL_CURSORS 2007
#define WL_OP_COMMAND	   2010
#define WL_OP_COMMANDREPLY 2011
#define WL_OP_COMPRESSED   2012
#define WL_OP_MSG	   2013

#define WL_MONGO_MORE_TO_COME                                                                      \
	0x2			   /* OP_MSG flagBits: no reply follows (request) / another reply  \
				      follows (exhaust reply) */
#define WL_MONGO_QUERY_FAILURE 0x2 /* OP_REPLY responseFlags */

enum wl_mongodb_state {
	MG_HDR = 0, /* gathering the MsgHeader */
	MG_FIXED,   /* gathering the opcode's fixed fields after it (d->hdr) */
	MG_CSTR,    /* a cstring, byte by byte */
	MG_DOC,	    /* a document's int32 length */
	MG_ETYPE,   /* an element's type byte */
	MG_ENAME,   /* an element's name */
	MG_ELEN,    /* the int32 length of a string/document/binary value */
	MG_EVAL,    /* the value of "ok" */
	MG_SKIP,    /* body_left bytes, then state `after` */
	MG_REST,    /* the rest of the message */
	MG_RESYNC = WL_L7_RESYNC,
};

/* What the bytes gathered by MG_FIXED are. */
enum wl_mongodb_fixed {
	MG_FX_MSG_KIND = 1, /* OP_MSG flagBits + a section kind (or a section kind alone) */
	MG_FX_MSG_SEQ,	    /* a kind-1 section's size */
	MG_FX_QUERY,	    /* OP_QUERY flags */
	MG_FX_REPLY,	    /* OP_REPLY responseFlags, cursorID, startingFrom, numberReturned */
};

struct wl_mongodb_dir {
	__u32 msg_len;
	__u32 req_id;
	__u32 resp_to;
	__u32 opcode;
	__u32 flags;   /* OP_MSG flagBits / OP_REPLY responseFlags */
	__u32 doc_end; /* message offset where the document being walked ends */
	__u64 num;     /* little-endian number being read */
	__u64 tail;    /* last bytes of the cstring being walked */
	__u8 num_len;
	__u8 num_need;
	__u8 etype;
	__u8 elems;
	__u8 name_len;
	__u8 name_long; /* the name did not fit */
	__u8 fixed;	/* enum wl_mongodb_fixed */
	__u8 after;	/* state after MG_SKIP */
	__u8 cstr;	/* cstrings left before the command name (OP_COMMAND) */
	__u8 pad[7];
	char name[32]; /* the element or command name (NUL-padded, 23 bytes at most) */
};
_Static_assert(sizeof(struct wl_mongodb_dir) <= WL_L7_PRIV_MAX, "MongoDB state fits in priv");
#define MG(d) ((struct wl_mongodb_dir *)(d)->priv)

static __always_inline void wl_mongodb_name_clear(struct wl_l7_dir *d)
{
	__u64 *n = (__u64 *)MG(d)->name;

	n[0] = n[1] = n[2] = n[3] = 0;
	MG(d)->name_len = 0;
	MG(d)->name_long = 0;
}

/* One byte of a name (a cstring, an element's name): kept while it fits, else the name is long. */
static __always_inline void wl_mongodb_name_byte(struct wl_l7_dir *d, __u8 c)
{
	if (MG(d)->name_len < WL_CMD_LEN - 1)
		MG(d)->name[MG(d)->name_len++ & 31] = c;
	else
		MG(d)->name_long = 1;
}

/* A fixed command name (at most 23 bytes). */
#define wl_mongodb_name_set(d, lit)                                                                \
	do {                                                                                       \
		wl_mongodb_name_clear(d);                                                          \
		__builtin_memcpy(MG(d)->name, lit, sizeof(lit));                                   \
	} while (0)

/* The legacy request opcodes from WL_OP_UPDATE on, named by their operation (a name of at most
 * 15 bytes, NUL-padded), and compressed messages. The rows of other opcodes are never read
 * (wl_mongodb_op_known). */
#define WL_MONGO_LEGACY_ROWS 16
static const char wl_mongodb_legacy_names[WL_MONGO_LEGACY_ROWS][16] __attribute__((aligned(8))) = {
	[WL_OP_UPDATE - WL_OP_UPDATE] = "update",
	[WL_OP_INSERT - WL_OP_UPDATE] = "insert",
	[WL_OP_GET_MORE - WL_OP_UPDATE] = "getMore",
	[WL_OP_DELETE - WL_OP_UPDATE] = "delete",
	[WL_OP_KILL_CURSORS - WL_OP_UPDATE] = "killCursors",
	[WL_OP_COMPRESSED - WL_OP_UPDATE] = "compressed",
};

static __always_inline void wl_mongodb_reset(struct wl_l7_dir *d)
{
	wl_l7_msg_reset(d);
	MG(d)->elems = 0;
	MG(d)->tail = 0;
	wl_mongodb_name_clear(d);
}

static __always_inline long wl_mongodb_malformed(struct wl_l7_walk *w, struct wl_l7_dir *d)
{
	wl_mongodb_reset(d);
	return wl_l7_malformed(w, d);
}

static __always_inline int wl_mongodb_op_known(__u32 op, int resp)
{
	if (resp)
		return op == WL_OP_MSG || op == WL_OP_REPLY || op == WL_OP_COMMANDREPLY ||
		       op == WL_OP_COMPRESSED;
	return op == WL_OP_MSG || op == WL_OP_QUERY || op == WL_OP_COMMAND ||
	       op == WL_OP_COMPRESSED || op == WL_OP_UPDATE || op == WL_OP_INSERT ||
	       op == WL_OP_GET_MORE || op == WL_OP_DELETE || op == WL_OP_KILL_CURSORS;
}

/* Resolves the name in MG(d)->name (OTHER when it did not fit). */
static __always_inline void wl_mongodb_name_done(struct wl_l7_walk *w, struct wl_l7_dir *d)
{
	__u16 flags;

	if (MG(d)->name_long)
		wl_mongodb_name_clear(d); /* "" is not in the table: OTHER */
	d->cur_id = wl_cmd_lookup(w, MG(d)->name, &flags);
}

/* A document's length comes next. */
static __always_inline void wl_mongodb_doc_begin(struct wl_l7_dir *d)
{
	MG(d)->num = 0;
	MG(d)->num_len = 0;
	d->state = MG_DOC;
}

static __always_inline void wl_mongodb_rest(struct wl_l7_dir *d)
{
	d->body_left = MG(d)->msg_len - d->msg_bytes;
	d->state = MG_REST;
}

/* Gathers `need` message bytes in d->hdr, checking they are inside the message. */
static __always_inline long wl_mongodb_fixed(struct wl_l7_walk *w, struct wl_l7_dir *d, __u32 need,
					     __u8 what)
{
	if (need > WL_L7_HDR_MAX || d->msg_bytes - d->hdr_len + need > MG(d)->msg_len)
		return wl_mongodb_malformed(w, d);
	MG(d)->fixed = what;
	d->state = MG_FIXED;
	return 0;
}

/* The MsgHeader is complete. */
static __always_inline long wl_mongodb_start(struct wl_l7_walk *w, struct wl_l7_dir *d, int resp)
{
	__u32 len = wl_le32(&d->hdr[0]), op = wl_le32(&d->hdr[12]);
	__u64 lat = 0;

	if (len < WL_MONGO_HDR || len > WL_MONGO_LEN_MAX || !wl_mongodb_op_known(op, resp))
		return wl_mongodb_malformed(w, d);
	MG(d)->msg_len = len;
	MG(d)->req_id = wl_le32(&d->hdr[4]);
	MG(d)->resp_to = wl_le32(&d->hdr[8]);
	MG(d)->opcode = op;
	MG(d)->flags = 0;
	if (resp) {
		d->cur_id = wl_pending_take(w, MG(d)->resp_to, &lat);
		d->msg_ts_ns = lat;
		if (op == WL_OP_MSG)
			return wl_mongodb_fixed(w, d, 21, MG_FX_MSG_KIND);
		if (op == WL_OP_REPLY)
			return wl_mongodb_fixed(w, d, 36, MG_FX_REPLY);
		if (op == WL_OP_COMMANDREPLY) {
			wl_mongodb_doc_begin(d);
			return 0;
		}
		wl_mongodb_rest(d); /* compressed */
		return 0;
	}
	switch (op) {
	case WL_OP_MSG:
		return wl_mongodb_fixed(w, d, 21, MG_FX_MSG_KIND);
	case WL_OP_QUERY:
		return wl_mongodb_fixed(w, d, 20, MG_FX_QUERY);
	case WL_OP_COMMAND:
		MG(d)->cstr = 1; /* database, then commandName */
		MG(d)->tail = 0;
		d->state = MG_CSTR;
		return 0;
	default: {
		/* a legacy operation (or a compressed message): named by its opcode */
		__u32 row = op - WL_OP_UPDATE;

		/* the mask stays in the code: the compiler may know the row's range and drop it,
		 * and 6.1's verifier keeps no bound of the conditionals that made it */
		asm volatile("%0 &= %1" : "+r"(row) : "i"(WL_MONGO_LEGACY_ROWS - 1));
		wl_mongodb_name_clear(d);
		__builtin_memcpy(MG(d)->name, wl_mongodb_legacy_names[row], 16);
		break;
	}
	}
	wl_mongodb_name_done(w, d);
	wl_mongodb_rest(d);
	return 0;
}

/* The fixed bytes asked for are in d->hdr. */
static __always_inline long wl_mongodb_fixed_done(struct wl_l7_walk *w, struct wl_l7_dir *d,
						  int resp)
{
	__u32 kind, size;

	switch (MG(d)->fixed) {
	case MG_FX_MSG_KIND:
		if (d->hdr_len == 21)
			MG(d)->flags = wl_le32(&d->hdr[16]);
		kind = d->hdr[20];
		if (kind == 0) {
			wl_mongodb_doc_begin(d);
			return 0;
		}
		if (kind != 1)
			return wl_mongodb_malformed(w, d);
		return wl_mongodb_fixed(w, d, 25, MG_FX_MSG_SEQ);
	case MG_FX_MSG_SEQ:
		size = wl_le32(&d->hdr[21]);
		if (size < 4 || d->msg_bytes - 4 + size > MG(d)->msg_len)
			return wl_mongodb_malformed(w, d);
		d->body_left = size - 4;
		d->hdr_len = 20; /* the next section's kind goes to hdr[20] */
		MG(d)->fixed = MG_FX_MSG_KIND;
		MG(d)->after = MG_FIXED;
		d->state = MG_SKIP;
		/* no kind-0 section left (only a checksum, or nothing): OTHER */
		if (d->msg_bytes + d->body_left + 1 > MG(d)->msg_len ||
		    ((MG(d)->flags & 1) && d->msg_bytes + d->body_left + 5 > MG(d)->msg_len)) {
			if (!resp)
				wl_mongodb_name_done(w, d);
			wl_mongodb_rest(d);
		}
		return 0;
	case MG_FX_QUERY:
		MG(d)->cstr = 0;
		MG(d)->tail = 0;
		d->state = MG_CSTR;
		return 0;
	case MG_FX_REPLY:
		MG(d)->flags = wl_le32(&d->hdr[16]);
		if (MG(d)->flags & WL_MONGO_QUERY_FAILURE)
			d->flags |= WL_DIR_ERROR;
		if (wl_le32(&d->hdr[32]) == 0) { /* numberReturned */
			wl_mongodb_rest(d);
			return 0;
		}
		wl_mongodb_doc_begin(d);
		return 0;
	default:
		return wl_mongodb_malformed(w, d);
	}
}

/* ".$cmd" as the last five bytes of a cstring (tail holds them, last byte lowest). */
#define WL_MONGO_DOLLAR_CMD 0x2e24636d64ULL

static __always_inline long wl_mongodb_cstr_done(struct wl_l7_walk *w, struct wl_l7_dir *d)
{
	if (MG(d)->opcode == WL_OP_COMMAND) {
		if (MG(d)->cstr) { /* the database: the command name follows */
			MG(d)->cstr = 0;
			wl_mongodb_name_clear(d);
			return 0;
		}
		wl_mongodb_name_done(w, d);
		wl_mongodb_rest(d);
		return 0;
	}
	/* OP_QUERY's collection */
	if ((MG(d)->tail & 0xffffffffffULL) == WL_MONGO_DOLLAR_CMD) {
		if (d->msg_bytes + 8 > MG(d)->msg_len)
			return wl_mongodb_malformed(w, d);
		d->body_left = 8; /* numberToSkip, numberToReturn */
		MG(d)->after = MG_DOC;
		MG(d)->num = 0;
		MG(d)->num_len = 0;
		d->state = MG_SKIP;
		return 0;
	}
	wl_mongodb_name_set(d, "find");
	wl_mongodb_name_done(w, d);
	wl_mongodb_rest(d);
	return 0;
}

#define WL_BSON_LENGTH	 -1 /* an int32 length comes first */
#define WL_BSON_UNWALKED -2 /* regex, DBPointer, unknown: the walk stops */

/* Bytes a BSON value takes after its name, by type byte 0x00-0x13: >= 0 fixed, or one of the
 * two above. */
static const __s8 wl_bson_sizes[0x14] = {
	[0x00] = WL_BSON_UNWALKED, /* end of a document, not a value */
	[0x01] = 8,		   /* double */
	[0x02] = WL_BSON_LENGTH,   /* string */
	[0x03] = WL_BSON_LENGTH,   /* document */
	[0x04] = WL_BSON_LENGTH,   /* array */
	[0x05] = WL_BSON_LENGTH,   /* binary */
	[0x06] = 0,		   /* undefined */
	[0x07] = 12,		   /* ObjectId */
	[0x08] = 1,		   /* bool */
	[0x09] = 8,		   /* UTC datetime */
	[0x0a] = 0,		   /* null */
	[0x0b] = WL_BSON_UNWALKED, /* regex: two cstrings */
	[0x0c] = WL_BSON_UNWALKED, /* DBPointer */
	[0x0d] = WL_BSON_LENGTH,   /* JavaScript code */
	[0x0e] = WL_BSON_LENGTH,   /* symbol */
	[0x0f] = WL_BSON_LENGTH,   /* code with scope */
	[0x10] = 4,		   /* int32 */
	[0x11] = 8,		   /* timestamp */
	[0x12] = 8,		   /* int64 */
	[0x13] = 16,		   /* decimal128 */
};

/* The size of a BSON value of type t (wl_bson_sizes; max key 0x7f and min key 0xff take none). */
static __always_inline int wl_bson_fixed_size(__u8 t)
{
	if (t == 0x7f || t == 0xff)
		return 0;
	return t < sizeof(wl_bson_sizes) ? wl_bson_sizes[t] : WL_BSON_UNWALKED;
}

/* An element's name is complete. */
static __always_inline long wl_mongodb_ename_done(struct wl_l7_walk *w, struct wl_l7_dir *d,
						  int resp)
{
	__u8 t = MG(d)->etype;
	int size, is_ok;

	if (!resp) { /* the command: the body's first element */
		wl_mongodb_name_done(w, d);
		wl_mongodb_rest(d);
		return 0;
	}
	is_ok = !MG(d)->name_long && MG(d)->name_len == 2 && MG(d)->name[0] == 'o' &&
		MG(d)->name[1] == 'k';
	size = wl_bson_fixed_size(t);
	if (is_ok) {
		if (t == 0x01 || t == 0x08 || t == 0x10 || t == 0x12) {
			MG(d)->num = 0;
			MG(d)->num_len = 0;
			MG(d)->num_need = size;
			d->state = MG_EVAL;
		} else {
			wl_mongodb_rest(d); /* "ok" of another type: not an error we know */
		}
		return 0;
	}
	if (size == WL_BSON_UNWALKED) {
		wl_mongodb_rest(d);
		return 0;
	}
	if (size == WL_BSON_LENGTH) {
		MG(d)->num = 0;
		MG(d)->num_len = 0;
		d->state = MG_ELEN;
		return 0;
	}
	if (d->msg_bytes + size > MG(d)->doc_end)
		return wl_mongodb_malformed(w, d);
	d->body_left = size;
	MG(d)->after = MG_ETYPE;
	d->state = size ? MG_SKIP : MG_ETYPE;
	return 0;
}

/* One byte of the message (already counted in msg_bytes). Returns 1 to end the step. */
static __always_inline long wl_mongodb_byte(struct wl_l7_walk *w, struct wl_l7_dir *d, __u8 c,
					    int resp)
{
	__u32 v, skip;

	switch (d->state) {
	case MG_CSTR:
		if (c == 0)
			return wl_mongodb_cstr_done(w, d);
		MG(d)->tail = (MG(d)->tail << 8) | c;
		wl_mongodb_name_byte(d, c);
		return 0;
	case MG_DOC:
	case MG_ELEN:
		MG(d)->num |= (__u64)c << ((MG(d)->num_len & 7) * 8);
		if (++MG(d)->num_len < 4)
			return 0;
		v = MG(d)->num;
		if (d->state == MG_DOC) {
			/* the length counts itself and the final NUL */
			if (v < 5 || d->msg_bytes - 4 + v > MG(d)->msg_len)
				return wl_mongodb_malformed(w, d);
			MG(d)->doc_end = d->msg_bytes - 4 + v;
			MG(d)->elems = 0;
			d->state = MG_ETYPE;
			return 0;
		}
		switch (MG(d)->etype) {
		case 0x03: /* the length counts itself */
		case 0x04:
		case 0x0f:
			if (v < 5)
				return wl_mongodb_malformed(w, d);
			skip = v - 4;
			break;
		case 0x05: /* subtype byte, then v bytes */
			skip = v + 1;
			break;
		default: /* string: v bytes with the NUL */
			skip = v;
			break;
		}
		if (d->msg_bytes > MG(d)->doc_end || skip > MG(d)->doc_end - d->msg_bytes)
			return wl_mongodb_malformed(w, d);
		d->body_left = skip;
		MG(d)->after = MG_ETYPE;
		d->state = skip ? MG_SKIP : MG_ETYPE;
		return 0;
	case MG_ETYPE:
		if (c == 0 || MG(d)->elems >= WL_MONGO_ELEMS_MAX ||
		    d->msg_bytes >= MG(d)->doc_end) {
			/* end of the document: no command name / no "ok" */
			if (!resp)
				wl_mongodb_name_done(w, d);
			wl_mongodb_rest(d);
			return 0;
		}
		MG(d)->elems++;
		MG(d)->etype = c;
		wl_mongodb_name_clear(d);
		d->state = MG_ENAME;
		return 0;
	case MG_ENAME:
		if (c == 0)
			return wl_mongodb_ename_done(w, d, resp);
		if (d->msg_bytes >= MG(d)->doc_end)
			return wl_mongodb_malformed(w, d);
		wl_mongodb_name_byte(d, c);
		return 0;
	case MG_EVAL:
		MG(d)->num |= (__u64)c << ((MG(d)->num_len & 7) * 8);
		if (++MG(d)->num_len < MG(d)->num_need)
			return 0;
		/* double 0.0 or -0.0, int32/int64 0, false */
		if ((MG(d)->etype == 0x01 ? MG(d)->num << 1 : MG(d)->num) == 0)
			d->flags |= WL_DIR_ERROR;
		wl_mongodb_rest(d);
		return 0;
	default:
		return 1;
	}
}

/* The message is complete. */
static __always_inline void wl_mongodb_done(struct wl_l7_walk *w, struct wl_l7_dir *d, int resp)
{
	__u32 op = MG(d)->opcode;

	if (resp) {
		wl_emit_response(w, d->cur_id, d->msg_ts_ns, d->flags & WL_DIR_ERROR, 0,
				 d->msg_bytes);
		/* exhaust: the next reply answers this one's requestID */
		if (op == WL_OP_MSG && (MG(d)->flags & WL_MONGO_MORE_TO_COME) &&
		    d->cur_id != WL_CMD_NONE)
			wl_pending_put(w, MG(d)->req_id, d->cur_id);
	} else {
		wl_emit_request(w, d->cur_id, d->msg_bytes);
		/* no reply follows: fire-and-forget OP_MSG, legacy writes */
		if (!(op == WL_OP_MSG && (MG(d)->flags & WL_MONGO_MORE_TO_COME)) &&
		    op != WL_OP_INSERT && op != WL_OP_UPDATE && op != WL_OP_DELETE &&
		    op != WL_OP_KILL_CURSORS)
			wl_pending_put(w, MG(d)->req_id, d->cur_id);
	}
	wl_mongodb_reset(d);
}

static __always_inline long wl_mongodb_step(struct wl_l7_walk *w, int resp)
{
	struct wl_l7_state *s = w->s;
	struct wl_l7_dir *d = w->d;
	__u8 c;

	switch (d->state) {
	case MG_HDR:
		if (!wl_l7_hdr_take(w, d, WL_MONGO_HDR))
			return 1;
		wl_mongodb_start(w, d, resp);
		break;
	case MG_FIXED:
		if (!wl_l7_hdr_take(w, d,
				    MG(d)->fixed == MG_FX_MSG_SEQ ? 25
				    : MG(d)->fixed == MG_FX_REPLY ? 36
				    : MG(d)->fixed == MG_FX_QUERY ? 20
								  : 21))
			return 1;
		wl_mongodb_fixed_done(w, d, resp);
		break;
	case MG_SKIP:
		if (!wl_l7_body_skip(w, d))
			return 1;
		d->state = MG(d)->after;
		break;
	case MG_REST:
		if (!wl_l7_body_skip(w, d))
			return 1;
		wl_mongodb_done(w, d, resp);
		break;
	case MG_RESYNC:
		return 1;
	default:
		if (!wl_win_avail(w))
			return 1;
		c = wl_win_byte(w);
		s->off++;
		d->msg_bytes++;
		wl_mongodb_byte(w, d, c, resp);
		/* the message may not end inside a string or an element header */
		if (d->state >= MG_CSTR && d->state <= MG_EVAL && d->msg_bytes >= MG(d)->msg_len)
			return wl_mongodb_malformed(w, d);
		break;
	}
	return s->off >= s->end && d->state != MG_REST;
}

WL_L7_STEP_CBS(wl_mongodb_req_step, wl_mongodb_resp_step, wl_mongodb_step)

/*
 * Lost sync: does the segment begin with a plausible MsgHeader, a sane length, an opcode of this
 * direction, and responseTo 0 (requests) or a pending requestID (replies)?
 */
static __always_inline int wl_mongodb_plausible(struct wl_l7_walk *w)
{
	__u8 *b = w->s->buf;
	int resp = w->s->job.dir;
	__u32 len, to, op;

	if (wl_win_avail(w) < WL_MONGO_HDR)
		return 0;
	len = wl_le32(&b[0]);
	to = wl_le32(&b[8]);
	op = wl_le32(&b[12]);
	return len >= WL_MONGO_HDR && len <= WL_MONGO_LEN_MAX && wl_mongodb_op_known(op, resp) &&
	       (resp ? !!wl_aux_get(w, WL_AUX_PENDING, to) : to == 0);
}

WL_L7_STEPPED_PARSE(mongodb, wl_mongodb_req_step, wl_mongodb_resp_step)

/* Does a client's first payload look like MongoDB? A whole OP_MSG or OP_QUERY request in the
 * segment: a sane length within the payload, responseTo 0, the opcode. */
static __always_inline int wl_mongodb_sniff(const __u8 *h, __u32 len)
{
	__u8 b0 = h[0], b1 = h[1], b2 = h[2], b3 = h[3], b8 = h[8], b9 = h[9], b10 = h[10];
	__u8 b11 = h[11], b12 = h[12], b13 = h[13], b14 = h[14], b15 = h[15];
	__u32 mlen = b0 | ((__u32)b1 << 8) | ((__u32)b2 << 16) | ((__u32)b3 << 24);

	if (len < 21 || mlen < 21 || mlen > len || (b8 | b9 | b10 | b11 | b14 | b15))
		return 0;
	return b13 == 0x07 && (b12 == 0xdd || b12 == 0xd4); /* 2013 OP_MSG, 2004 OP_QUERY */
}

/* Is a message open past the packet (its state must be kept whole, wl_l7_store)? */
static __always_inline int wl_mongodb_open(const struct wl_l7_dir *d, int dir)
{
	(void)dir;
	return wl_l7_open_std(d);
}

#endif /* WL_PARSE_PROTO_MONGODB_H */
