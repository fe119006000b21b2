// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* MongoDB through the L7 engine: crafted segments (real BSON), exact per-command stats. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <CUnit/CUnit.h>

#include "capture_cmds.h"
#include "expect.h"
#include "harness.h"
#include "l7conv.h"
#include "suites.h"

#define PORT 27017

/* ---- a tiny BSON writer ---- */
struct bson {
	uint8_t b[32768];
	size_t n;
};

static void le32(uint8_t *p, uint32_t v)
{
	p[0] = v;
	p[1] = v >> 8;
	p[2] = v >> 16;
	p[3] = v >> 24;
}

static void put(struct bson *d, const void *p, size_t n)
{
	memcpy(d->b + d->n, p, n);
	d->n += n;
}

static void elem(struct bson *d, uint8_t type, const char *name)
{
	put(d, &type, 1);
	put(d, name, strlen(name) + 1);
}

static void bs_begin(struct bson *d)
{
	d->n = 4;
}

static void bs_end(struct bson *d)
{
	d->b[d->n++] = 0;
	le32(d->b, d->n);
}

static void bs_double(struct bson *d, const char *name, double v)
{
	elem(d, 0x01, name);
	put(d, &v, 8);
}

static void bs_int32(struct bson *d, const char *name, int32_t v)
{
	elem(d, 0x10, name);
	put(d, &v, 4);
}

static void bs_int64(struct bson *d, const char *name, int64_t v)
{
	elem(d, 0x12, name);
	put(d, &v, 8);
}

static void bs_bool(struct bson *d, const char *name, int v)
{
	uint8_t b = !!v;

	elem(d, 0x08, name);
	put(d, &b, 1);
}

static void bs_str(struct bson *d, const char *name, const char *s)
{
	uint8_t l[4];

	elem(d, 0x02, name);
	le32(l, strlen(s) + 1);
	put(d, l, 4);
	put(d, s, strlen(s) + 1);
}

static void bs_bin(struct bson *d, const char *name, size_t len)
{
	uint8_t l[5] = {0};

	elem(d, 0x05, name);
	le32(l, len);
	put(d, l, 5);
	memset(d->b + d->n, 0xab, len);
	d->n += len;
}

static void bs_doc(struct bson *d, uint8_t type, const char *name, const struct bson *sub)
{
	elem(d, type, name);
	put(d, sub->b, sub->n);
}

/* ---- wire messages ---- */
static size_t hdr(uint8_t *out, size_t len, uint32_t id, uint32_t to, uint32_t op)
{
	le32(out, len);
	le32(out + 4, id);
	le32(out + 8, to);
	le32(out + 12, op);
	return 16;
}

/* OP_MSG: flags, [a kind-1 sequence of seq_docs copies of doc], kind 0 body. */
static size_t op_msg(uint8_t *out, uint32_t id, uint32_t to, uint32_t flags,
		     const struct bson *body, int seq_docs)
{
	size_t n = 16;

	le32(out + n, flags);
	n += 4;
	if (seq_docs) {
		size_t start = n + 1;

		out[n] = 1;
		n += 5;
		memcpy(out + n, "documents", 10);
		n += 10;
		for (int i = 0; i < seq_docs; i++) {
			memcpy(out + n, body->b, body->n);
			n += body->n;
		}
		le32(out + start, n - start);
	}
	out[n++] = 0;
	memcpy(out + n, body->b, body->n);
	n += body->n;
	if (flags & 1) { /* checksum */
		memset(out + n, 0xcc, 4);
		n += 4;
	}
	hdr(out, n, id, to, 2013);
	return n;
}

static size_t op_query(uint8_t *out, uint32_t id, const char *coll, const struct bson *q)
{
	size_t n = 20;

	le32(out + 16, 0);
	memcpy(out + n, coll, strlen(coll) + 1);
	n += strlen(coll) + 1;
	memset(out + n, 0, 8);
	out[n + 4] = 0xff; /* numberToReturn -1 */
	n += 8;
	memcpy(out + n, q->b, q->n);
	n += q->n;
	hdr(out, n, id, 0, 2004);
	return n;
}

static size_t op_reply(uint8_t *out, uint32_t id, uint32_t to, uint32_t flags,
		       const struct bson *doc)
{
	size_t n = 36;

	memset(out + 16, 0, 20);
	le32(out + 16, flags);
	le32(out + 32, doc ? 1 : 0);
	if (doc) {
		memcpy(out + n, doc->b, doc->n);
		n += doc->n;
	}
	hdr(out, n, id, to, 1);
	return n;
}

static size_t op_command(uint8_t *out, uint32_t id, const char *db, const char *cmd,
			 const struct bson *args)
{
	size_t n = 16;

	memcpy(out + n, db, strlen(db) + 1);
	n += strlen(db) + 1;
	memcpy(out + n, cmd, strlen(cmd) + 1);
	n += strlen(cmd) + 1;
	memcpy(out + n, args->b, args->n);
	n += args->n;
	memcpy(out + n, "\x05\0\0\0\0", 5); /* metadata {} */
	n += 5;
	hdr(out, n, id, 0, 2010);
	return n;
}

static size_t op_commandreply(uint8_t *out, uint32_t id, uint32_t to, const struct bson *r)
{
	size_t n = 16;

	memcpy(out + n, r->b, r->n);
	n += r->n;
	memcpy(out + n, "\x05\0\0\0\0", 5);
	n += 5;
	hdr(out, n, id, to, 2011);
	return n;
}

static size_t op_compressed(uint8_t *out, uint32_t id, uint32_t to, uint32_t orig, size_t plen)
{
	size_t n = 16;

	le32(out + n, orig);
	le32(out + n + 4, plen * 2);
	out[n + 8] = 1; /* snappy */
	n += 9;
	memset(out + n, 0x42, plen);
	n += plen;
	hdr(out, n, id, to, 2012);
	return n;
}

/* Legacy OP_INSERT / OP_UPDATE / OP_DELETE / OP_GET_MORE / OP_KILL_CURSORS: a fixed body. */
static size_t op_legacy(uint8_t *out, uint32_t id, uint32_t op, size_t body)
{
	memset(out + 16, 0x01, body);
	hdr(out, 16 + body, id, 0, op);
	return 16 + body;
}

/* {cmd: 1, $db: "test"} */
static void cmd_doc(struct bson *d, const char *cmd)
{
	bs_begin(d);
	bs_int32(d, cmd, 1);
	bs_str(d, "$db", "test");
	bs_end(d);
}

static void ok_doc(struct bson *d, double ok)
{
	bs_begin(d);
	bs_double(d, "ok", ok);
	bs_end(d);
}

static int seg(enum wl_hook h, struct conv *c, int from_server, const void *d, size_t n)
{
	return conv_seg(h, c, from_server, d, n, 0);
}

#define EXPECT(c, cmd, rq, rs, er) EXPECT_CMD_STATS(c, WL_L7_MONGODB, cmd, rq, rs, er)

#define EXPECT_BYTES(c, cmd, rqb, rsb) EXPECT_CMD_BYTES(c, WL_L7_MONGODB, cmd, rqb, rsb)

static uint8_t q[65536], r[65536];

WL_TEST(mongodb, op_msg_commands)
{
	static const char *const cmds[] = {
		"hello",       "isMaster",  "ping",	     "find",  "insert",	  "update",
		"delete",      "aggregate", "getMore",	     "count", "distinct", "findAndModify",
		"endSessions", "saslStart", "createIndexes", "drop"};

	FOR_EACH_HOOK(h) {
		struct conv c;
		struct bson b, ok;
		size_t ql, rl;

		conv_start(h, &c, PORT);
		ok_doc(&ok, 1.0);
		for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
			cmd_doc(&b, cmds[i]);
			ql = op_msg(q, 10 + i, 0, 0, &b, 0);
			rl = op_msg(r, 500 + i, 10 + i, 0, &ok, 0);
			seg(h, &c, 0, q, ql);
			seg(h, &c, 1, r, rl);
			EXPECT(&c, cmds[i], 1, 1, 0);
			EXPECT_BYTES(&c, cmds[i], ql, rl);
		}
		/* unknown and too long names: OTHER */
		cmd_doc(&b, "fooBar");
		seg(h, &c, 0, q, op_msg(q, 40, 0, 0, &b, 0));
		seg(h, &c, 1, r, op_msg(r, 41, 40, 0, &ok, 0));
		cmd_doc(&b, "setFeatureCompatibilityVersion");
		seg(h, &c, 0, q, op_msg(q, 42, 0, 0, &b, 0));
		seg(h, &c, 1, r, op_msg(r, 43, 42, 0, &ok, 0));
		EXPECT(&c, "OTHER", 2, 2, 0);
		CU_ASSERT_EQUAL(conv_stats_entries(), 17);
		EXPECT_L7_CLEAN();
	}
}

/* "ok": 0 as every numeric type, found after elements of every skippable kind. */
WL_TEST(mongodb, reply_errors)
{
	FOR_EACH_HOOK(h) {
		struct conv c;
		struct bson cmd, rep, sub, arr;
		int id = 1;
		/* 0: ok first, 1: ok after a string, a nested doc, an array, binary, int64, bool */
		for (int layout = 0; layout < 2; layout++) {
			for (int t = 0; t < 6; t++) {
				for (int zero = 0; zero < 2; zero++) {
					conv_start(h, &c, PORT);
					cmd_doc(&cmd, "find");
					bs_begin(&rep);
					if (layout) {
						bs_begin(&sub);
						bs_int64(&sub, "id", 0);
						bs_str(&sub, "ns", "test.c");
						bs_begin(&arr);
						bs_double(&arr, "0", 1.5);
						bs_end(&arr);
						bs_doc(&sub, 0x04, "firstBatch", &arr);
						bs_end(&sub);
						bs_str(&rep, "errmsg",
						       "a long message: no such thing");
						bs_doc(&rep, 0x03, "cursor", &sub);
						bs_bin(&rep, "blob", 40);
						bs_int64(&rep, "operationTime", 7);
						bs_bool(&rep, "okish", 0); /* not "ok" */
						bs_int32(&rep, "o", 0);	   /* nor a prefix */
					}
					switch (t) {
					case 0:
						bs_double(&rep, "ok", zero ? 0.0 : 1.0);
						break;
					case 1:
						bs_double(&rep, "ok", zero ? -0.0 : 0.5);
						break;
					case 2:
						bs_int32(&rep, "ok", zero ? 0 : 1);
						break;
					case 3:
						bs_int64(&rep, "ok", zero ? 0 : 1);
						break;
					case 4:
						bs_bool(&rep, "ok", !zero);
						break;
					default:
						bs_int64(&rep, "ok", zero ? 0 : 1LL << 40);
						break;
					}
					bs_str(&rep, "codeName", "Whatever");
					bs_end(&rep);
					seg(h, &c, 0, q, op_msg(q, id, 0, 0, &cmd, 0));
					seg(h, &c, 1, r, op_msg(r, 1000 + id, id, 0, &rep, 0));
					id++;
					EXPECT(&c, "find", 1, 1, (uint64_t)zero);
					EXPECT_L7_CLEAN();
				}
			}
		}
	}
}

WL_TEST(mongodb, legacy)
{
	FOR_EACH_HOOK(h) {
		struct conv c;
		struct bson b, ok, bad;
		size_t n;

		conv_start(h, &c, PORT);
		ok_doc(&ok, 1.0);
		ok_doc(&bad, 0.0);
		cmd_doc(&b, "isMaster");
		seg(h, &c, 0, q, op_query(q, 1, "admin.$cmd", &b));
		seg(h, &c, 1, r, op_reply(r, 2, 1, 8, &ok)); /* AwaitCapable */
		cmd_doc(&b, "getnonce");
		seg(h, &c, 0, q, op_query(q, 3, "test.$cmd", &b));
		seg(h, &c, 1, r, op_reply(r, 4, 3, 0, &bad));
		bs_begin(&b);
		bs_str(&b, "name", "x");
		bs_end(&b);
		seg(h, &c, 0, q, op_query(q, 5, "test.people", &b)); /* a query: find */
		seg(h, &c, 1, r, op_reply(r, 6, 5, 2, NULL));	     /* QueryFailure */
		seg(h, &c, 0, q, op_query(q, 7, "test.$cmdx", &b));
		seg(h, &c, 1, r, op_reply(r, 8, 7, 0, &ok));
		cmd_doc(&b, "buildinfo");
		seg(h, &c, 0, q, op_command(q, 9, "admin", "buildinfo", &b));
		seg(h, &c, 1, r, op_commandreply(r, 10, 9, &ok));
		cmd_doc(&b, "insert");
		seg(h, &c, 0, q, op_command(q, 11, "test", "insert", &b));
		seg(h, &c, 1, r, op_commandreply(r, 12, 11, &bad));
		/* legacy writes: no reply */
		n = op_legacy(q, 13, 2002, 30);
		n += op_legacy(q + n, 14, 2001, 30);
		n += op_legacy(q + n, 15, 2006, 30);
		n += op_legacy(q + n, 16, 2007, 20);
		n += op_legacy(q + n, 17, 2005, 24);
		seg(h, &c, 0, q, n);
		seg(h, &c, 1, r, op_reply(r, 18, 17, 0, &ok)); /* the getMore's batch */
		EXPECT(&c, "isMaster", 1, 1, 0);
		EXPECT(&c, "getnonce", 1, 1, 1);
		EXPECT(&c, "find", 2, 2, 1);
		EXPECT(&c, "buildinfo", 1, 1, 0);
		EXPECT(&c, "insert", 2, 1, 1);
		EXPECT(&c, "update", 1, 0, 0);
		EXPECT(&c, "delete", 1, 0, 0);
		EXPECT(&c, "killCursors", 1, 0, 0);
		EXPECT(&c, "getMore", 1, 1, 0);
		EXPECT_L7_CLEAN();
	}
}

WL_TEST(mongodb, compressed_and_sequences)
{
	FOR_EACH_HOOK(h) {
		struct conv c;
		struct bson b, ok;
		size_t ql;

		conv_start(h, &c, PORT);
		ok_doc(&ok, 1.0);
		seg(h, &c, 0, q, op_compressed(q, 1, 0, 2013, 100));
		seg(h, &c, 1, r, op_compressed(r, 2, 1, 2013, 60));
		/* insert with its documents in a kind-1 sequence before the body */
		cmd_doc(&b, "insert");
		ql = op_msg(q, 3, 0, 0, &b, 3);
		seg(h, &c, 0, q, ql);
		seg(h, &c, 1, r, op_msg(r, 4, 3, 0, &ok, 0));
		/* with a checksum */
		cmd_doc(&b, "ping");
		seg(h, &c, 0, q, op_msg(q, 5, 0, 1, &b, 0));
		seg(h, &c, 1, r, op_msg(r, 6, 5, 1, &ok, 0));
		EXPECT(&c, "compressed", 1, 1, 0);
		EXPECT(&c, "insert", 1, 1, 0);
		EXPECT(&c, "ping", 1, 1, 0);
		EXPECT_BYTES(&c, "insert", ql, 16 + 5 + ok.n);
		EXPECT_L7_CLEAN();
	}
}

/* Fire-and-forget requests wait for nothing; an exhaust reply chain answers one request. */
WL_TEST(mongodb, more_to_come)
{
	FOR_EACH_HOOK(h) {
		struct conv c;
		struct bson b, ok;

		conv_start(h, &c, PORT);
		ok_doc(&ok, 1.0);
		cmd_doc(&b, "insert");
		seg(h, &c, 0, q, op_msg(q, 1, 0, 2, &b, 0)); /* w:0 */
		cmd_doc(&b, "getMore");
		seg(h, &c, 0, q, op_msg(q, 2, 0, 0x10000, &b, 0)); /* exhaustAllowed */
		seg(h, &c, 1, r, op_msg(r, 100, 2, 2, &ok, 0));
		seg(h, &c, 1, r, op_msg(r, 101, 100, 2, &ok, 0));
		seg(h, &c, 1, r, op_msg(r, 102, 101, 0, &ok, 0));
		seg(h, &c, 1, r, op_msg(r, 103, 102, 0, &ok, 0)); /* chain ended: unmatched */
		EXPECT(&c, "insert", 1, 0, 0);
		EXPECT(&c, "getMore", 1, 3, 0);
		CU_ASSERT_EQUAL(harness_counters().l7_unmatched, 1);
	}
}

WL_TEST(mongodb, out_of_order_and_many)
{
	FOR_EACH_HOOK(h) {
		struct conv c;
		struct bson b, ok, bad;
		size_t ql = 0, rl = 0;

		conv_start(h, &c, PORT);
		ok_doc(&ok, 1.0);
		ok_doc(&bad, 0.0);
		for (int i = 0; i < 20; i++) {
			cmd_doc(&b, i % 2 ? "find" : "ping");
			ql += op_msg(q + ql, 100 + i, 0, 0, &b, 0);
		}
		for (int i = 19; i >= 0; i--) /* replies in reverse order */
			rl += op_msg(r + rl, 200 + i, 100 + i, 0, i % 4 == 1 ? &bad : &ok, 0);
		seg(h, &c, 0, q, ql);
		seg(h, &c, 1, r, rl);
		EXPECT(&c, "find", 10, 10, 5);
		EXPECT(&c, "ping", 10, 10, 0);
		EXPECT_L7_CLEAN();
	}
}

static void split_check(const struct conv *c, size_t ql, size_t rl, int pieces)
{
	EXPECT(c, "findAndModify", 1, 1, 1);
	if (pieces == 2)
		EXPECT_BYTES(c, "findAndModify", ql, rl);
}

/* Every cut of a request and of a reply (ok last, after a nested document), and every pair of
 * cuts in the first 40 bytes of the reply. */
WL_TEST(mongodb, split_every_offset)
{
	struct bson b, rep, sub;
	size_t ql, rl;

	cmd_doc(&b, "findAndModify");
	ql = op_msg(q, 7, 0, 0, &b, 0);
	bs_begin(&sub);
	bs_str(&sub, "k", "v");
	bs_end(&sub);
	bs_begin(&rep);
	bs_doc(&rep, 0x03, "value", &sub);
	bs_str(&rep, "errmsg", "E");
	bs_double(&rep, "ok", 0.0);
	bs_end(&rep);
	rl = op_msg(r, 8, 7, 0, &rep, 0);
	FOR_EACH_HOOK(h)
		conv_split_every(h, PORT, q, ql, r, rl, 41, split_check);
}

/* Bodies larger than a segment: an insert of 20 KB, a reply whose "ok": 0 comes after 20 KB. */
WL_TEST(mongodb, large)
{
	static struct bson b, rep, big;
	size_t ql, rl;

	bs_begin(&big);
	bs_bin(&big, "data", 20000);
	bs_end(&big);
	bs_begin(&b);
	bs_str(&b, "insert", "c");
	bs_str(&b, "$db", "test");
	bs_end(&b);
	ql = op_msg(q, 1, 0, 0, &big, 0); /* body first element "data": OTHER */
	bs_begin(&rep);
	bs_doc(&rep, 0x03, "cursor", &big);
	bs_double(&rep, "ok", 0.0);
	bs_end(&rep);
	rl = op_msg(r, 2, 1, 0, &rep, 0);
	FOR_EACH_HOOK(h) {
		struct conv c;
		size_t n;

		conv_start(h, &c, PORT);
		rl = op_msg(r, 2, 1, 0, &rep, 0);
		for (size_t off = 0; off < ql; off += 1448)
			seg(h, &c, 0, q + off, ql - off < 1448 ? ql - off : 1448);
		for (size_t off = 0; off < rl; off += 1000)
			seg(h, &c, 1, r + off, rl - off < 1000 ? rl - off : 1000);
		/* a kind-1 sequence of 20 KB before the body */
		{
			static uint8_t m[65536];
			size_t mn = 16;

			le32(m + 16, 0);
			mn += 4;
			m[mn] = 1;
			le32(m + mn + 1, 4 + 10 + big.n);
			memcpy(m + mn + 5, "documents", 10);
			memcpy(m + mn + 15, big.b, big.n);
			mn += 15 + big.n;
			m[mn++] = 0;
			memcpy(m + mn, b.b, b.n);
			mn += b.n;
			hdr(m, mn, 3, 0, 2013);
			for (size_t off = 0; off < mn; off += 1448)
				seg(h, &c, 0, m + off, mn - off < 1448 ? mn - off : 1448);
			n = mn;
		}
		/* TC test_run takes linear frames of about a page at most: 1000-byte segments */
		op_msg(r, 4, 3, 0, &rep, 0);
		for (size_t off = 0; off < rl; off += 1000)
			seg(h, &c, 1, r + off, rl - off < 1000 ? rl - off : 1000);
		EXPECT(&c, "OTHER", 1, 1, 1);
		EXPECT_BYTES(&c, "OTHER", ql, rl);
		EXPECT(&c, "insert", 1, 1, 1);
		EXPECT_BYTES(&c, "insert", n, rl);
		EXPECT_L7_CLEAN();
	}
}

WL_TEST(mongodb, retransmit_gap_resync)
{
	FOR_EACH_HOOK(h) {
		struct conv c;
		struct bson b, ok;
		uint32_t saved;
		size_t ql;

		conv_start(h, &c, PORT);
		ok_doc(&ok, 1.0);
		cmd_doc(&b, "ping");
		ql = op_msg(q, 1, 0, 0, &b, 0);
		saved = c.cseq;
		seg(h, &c, 0, q, ql);
		c.cseq = saved;
		seg(h, &c, 0, q, ql); /* retransmitted */
		seg(h, &c, 1, r, op_msg(r, 2, 1, 0, &ok, 0));
		c.cseq += 100;			/* lost */
		seg(h, &c, 0, q + 20, ql - 20); /* a tail: skipped */
		seg(h, &c, 0, q, op_msg(q, 3, 0, 0, &b, 0));
		c.sseq += 77;				       /* lost */
		seg(h, &c, 1, r + 16, 10);		       /* a tail: skipped */
		seg(h, &c, 1, r, op_msg(r, 4, 99, 0, &ok, 0)); /* not pending: skipped */
		seg(h, &c, 1, r, op_msg(r, 5, 3, 0, &ok, 0));  /* pending: resynchronised */
		EXPECT(&c, "ping", 2, 2, 0);
		EXPECT_COUNTERS({"l7_retransmit", 1}, {"l7_gap", 2}, {"l7_resync_skip", 3},
				{"l7_unmatched", 0});
	}
}

WL_TEST(mongodb, mid_stream_and_sniff)
{
	FOR_EACH_HOOK(h) {
		struct conv c;
		struct bson b, ok;

		ok_doc(&ok, 1.0);
		cmd_doc(&b, "find");
		harness_reset();
		conv_init(&c, PORT); /* no handshake */
		seg(h, &c, 1, r, op_msg(r, 9, 8, 0, &ok, 0));
		seg(h, &c, 0, q, op_msg(q, 10, 0, 0, &b, 0));
		seg(h, &c, 1, r, op_msg(r, 11, 10, 0, &ok, 0));
		EXPECT(&c, "find", 1, 1, 0);
		CU_ASSERT_EQUAL(harness_counters().l7_resync_skip, 1);

		harness_reset();
		conv_init(&c, 3717); /* not a configured port: sniffed */
		conv_handshake(h, &c);
		seg(h, &c, 0, q, op_msg(q, 10, 0, 0, &b, 0));
		seg(h, &c, 1, r, op_msg(r, 11, 10, 0, &ok, 0));
		cmd_doc(&b, "isMaster");
		seg(h, &c, 0, q, op_query(q, 12, "admin.$cmd", &b));
		seg(h, &c, 1, r, op_reply(r, 13, 12, 0, &ok));
		EXPECT(&c, "find", 1, 1, 0);
		EXPECT(&c, "isMaster", 1, 1, 0);
	}
}

WL_TEST(mongodb, malformed)
{
	struct bson b, ok;
	uint8_t bad[9][48];
	size_t blen[9];
	int nb = 0;

	cmd_doc(&b, "ping");
	ok_doc(&ok, 1.0);
	/* negative, zero, absurd, shorter than a header */
	static const uint32_t lens[] = {0xffffffffu, 0x80000000u, 0, 0x7fffffff, 15};
	for (size_t i = 0; i < 5; i++) {
		blen[nb] = op_msg(bad[nb], 1, 0, 0, &b, 0);
		le32(bad[nb], lens[i]);
		nb++;
	}
	blen[nb] = op_msg(bad[nb], 1, 0, 0, &b, 0); /* unknown opcode */
	le32(bad[nb] + 12, 2099);
	nb++;
	blen[nb] = op_msg(bad[nb], 1, 0, 0, &b, 0); /* document longer than the message */
	le32(bad[nb] + 21, 200);
	nb++;
	blen[nb] = op_msg(bad[nb], 1, 0, 0, &b, 0); /* section kind 7 */
	bad[nb][20] = 7;
	nb++;
	/* OP_QUERY whose collection name runs to the end of the message */
	memset(bad[nb], 'a', 40);
	hdr(bad[nb], 40, 1, 0, 2004);
	memset(bad[nb] + 16, 0, 4);
	blen[nb++] = 40;

	FOR_EACH_HOOK(h) {
		for (int i = 0; i < nb; i++) {
			struct conv c;

			conv_start(h, &c, PORT);
			seg(h, &c, 0, bad[i], blen[i]);
			CU_ASSERT_EQUAL(harness_counters().l7_malformed, 1);
			if (harness_counters().l7_malformed != 1)
				fprintf(stderr, "\n  case %d: malformed %llu\n", i,
					(unsigned long long)harness_counters().l7_malformed);
			CU_ASSERT_EQUAL(conv_stats_entries(), 0);
			seg(h, &c, 0, q, op_msg(q, 2, 0, 0, &b, 0));
			seg(h, &c, 1, r, op_msg(r, 3, 2, 0, &ok, 0));
			EXPECT(&c, "ping", 1, 1, 0);
		}
		/* a reply with a lying length inside: a string longer than its document */
		{
			struct conv c;
			struct bson rep;
			size_t rl;

			conv_start(h, &c, PORT);
			bs_begin(&rep);
			bs_str(&rep, "errmsg", "x");
			bs_double(&rep, "ok", 0.0);
			bs_end(&rep);
			rl = op_msg(r, 3, 2, 0, &rep, 0);
			le32(r + 21 + 4 + 1 + 7, 5000);
			seg(h, &c, 0, q, op_msg(q, 2, 0, 0, &b, 0));
			seg(h, &c, 1, r, rl);
			CU_ASSERT_EQUAL(harness_counters().l7_malformed, 1);
			EXPECT(&c, "ping", 1, 0, 0);
		}
		/* garbage after a valid request in the same segment */
		{
			struct conv c;
			size_t n;

			conv_start(h, &c, PORT);
			n = op_msg(q, 2, 0, 0, &b, 0);
			memcpy(q + n, "GET / HTTP/1.1\r\n\r\n", 18);
			seg(h, &c, 0, q, n + 18);
			CU_ASSERT_EQUAL(harness_counters().l7_malformed, 1);
			EXPECT(&c, "ping", 1, 0, 0);
		}
	}
}

/* Server ports of the captures beyond 27017 (oracle.sh's manifest): what a user would set with
 * `wirelens ports set mongodb=...`. */
static const struct capture_port capture_ports[] = {
	{"mongodb/mongo-msg.pcap", 3717},
	{"mongodb/mongodb.pcap", 30000},
	{"mongodb/op_command_2inserts.pcap", 20000},
};

/* The real captures against EXPECTED.tsv (tshark): request_cmd per command, the requests total,
 * error_reply against the errors wirelens counted; nothing reported that tshark did not see. */
const struct capture_spec mongodb_captures = {
	.protocol = {.name = "mongodb", .l7_proto = WL_L7_MONGODB, .files = 5},
	.commands = {.metrics = {"request_cmd"}, .listed = 1},
	.totals = {{CAPTURE_REQUESTS, "requests"}, {CAPTURE_ERRORS, "error_reply"}},
	.counters = {"l7_malformed"},
	CAPTURE_PORTS(capture_ports),
	.figures = {.compared = 41, .excepted = 17},
};
