// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* PostgreSQL through the L7 engine: crafted TCP segments, exact per-command stats. */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <CUnit/CUnit.h>

#include "capture_cmds.h"
#include "expect.h"
#include "harness.h"
#include "l7conv.h"
#include "pcap_replay.h"
#include "pktbuild.h"
#include "suites.h"
#include "loader/l7cfg.h"

#define PG_PORT 5432

static void put32(struct conv_buf *m, uint32_t v)
{
	v = htonl(v);
	memcpy(m->b + m->n, &v, 4);
	m->n += 4;
}

static void put16(struct conv_buf *m, uint16_t v)
{
	v = htons(v);
	memcpy(m->b + m->n, &v, 2);
	m->n += 2;
}

static void putb(struct conv_buf *m, const void *p, size_t n)
{
	memcpy(m->b + m->n, p, n);
	m->n += n;
}

static void puts0(struct conv_buf *m, const char *s)
{
	putb(m, s, strlen(s) + 1);
}

/* type + length, then the body the caller appends; msg_end patches the length. */
static size_t msg_begin(struct conv_buf *m, char type)
{
	size_t at;

	m->b[m->n++] = type;
	at = m->n;
	put32(m, 0);
	return at;
}

static void msg_end(struct conv_buf *m, size_t at)
{
	uint32_t len = htonl(m->n - at);

	memcpy(m->b + at, &len, 4);
}

static void msg_empty(struct conv_buf *m, char type)
{
	msg_end(m, msg_begin(m, type));
}

static void msg_str(struct conv_buf *m, char type, const char *s)
{
	size_t at = msg_begin(m, type);

	puts0(m, s);
	msg_end(m, at);
}

/* ---- client messages ---- */

static void startup(struct conv_buf *m)
{
	size_t at = m->n;

	put32(m, 0);
	put32(m, 0x00030000);
	puts0(m, "user");
	puts0(m, "postgres");
	puts0(m, "database");
	puts0(m, "wl");
	m->b[m->n++] = 0;
	{
		uint32_t len = htonl(m->n - at);

		memcpy(m->b + at, &len, 4);
	}
}

static void ssl_request(struct conv_buf *m, uint32_t code)
{
	put32(m, 8);
	put32(m, code);
}

static void query(struct conv_buf *m, const char *q)
{
	msg_str(m, 'Q', q);
}

static void parse(struct conv_buf *m, const char *name, const char *q)
{
	size_t at = msg_begin(m, 'P');

	puts0(m, name);
	puts0(m, q);
	put16(m, 1);
	put32(m, 23);
	msg_end(m, at);
}

static void pg_bind(struct conv_buf *m, const char *portal, const char *stmt)
{
	size_t at = msg_begin(m, 'B');

	puts0(m, portal);
	puts0(m, stmt);
	put16(m, 0);
	put16(m, 1);
	put32(m, 2);
	putb(m, "42", 2);
	put16(m, 0);
	msg_end(m, at);
}

static void describe(struct conv_buf *m, char what, const char *name)
{
	size_t at = msg_begin(m, 'D');

	m->b[m->n++] = what;
	puts0(m, name);
	msg_end(m, at);
}

static void execute(struct conv_buf *m, const char *portal, uint32_t maxrows)
{
	size_t at = msg_begin(m, 'E');

	puts0(m, portal);
	put32(m, maxrows);
	msg_end(m, at);
}

static void copy_data(struct conv_buf *m, char type, const char *row)
{
	size_t at = msg_begin(m, type);

	putb(m, row, strlen(row));
	msg_end(m, at);
}

/* ---- server messages ---- */

static void auth_ok(struct conv_buf *m)
{
	size_t at = msg_begin(m, 'R');

	put32(m, 0);
	msg_end(m, at);
}

static void param_status(struct conv_buf *m, const char *k, const char *v)
{
	size_t at = msg_begin(m, 'S');

	puts0(m, k);
	puts0(m, v);
	msg_end(m, at);
}

static void ready(struct conv_buf *m)
{
	size_t at = msg_begin(m, 'Z');

	m->b[m->n++] = 'I';
	msg_end(m, at);
}

/* The server's side of the connection start after the startup: SASL-free trust. */
static void server_start(struct conv_buf *m)
{
	size_t at;

	auth_ok(m);
	param_status(m, "server_version", "15.18");
	param_status(m, "client_encoding", "UTF8");
	at = msg_begin(m, 'K');
	put32(m, 1234);
	put32(m, 5678);
	msg_end(m, at);
	ready(m);
}

static void row_desc(struct conv_buf *m)
{
	size_t at = msg_begin(m, 'T');

	put16(m, 1);
	puts0(m, "x");
	put32(m, 0);
	put16(m, 0);
	put32(m, 23);
	put16(m, 4);
	put32(m, -1);
	put16(m, 0);
	msg_end(m, at);
}

static void data_row(struct conv_buf *m, size_t vlen)
{
	size_t at = msg_begin(m, 'D');

	put16(m, 1);
	put32(m, vlen);
	memset(m->b + m->n, 'v', vlen);
	m->n += vlen;
	msg_end(m, at);
}

static void param_desc(struct conv_buf *m)
{
	size_t at = msg_begin(m, 't');

	put16(m, 1);
	put32(m, 23);
	msg_end(m, at);
}

static void ready_status(struct conv_buf *m, char status)
{
	size_t at = msg_begin(m, 'Z');

	m->b[m->n++] = status;
	msg_end(m, at);
}

static void complete(struct conv_buf *m, const char *tag)
{
	msg_str(m, 'C', tag);
}

static void pg_error(struct conv_buf *m, const char *sqlstate)
{
	size_t at = msg_begin(m, 'E');

	puts0(m, "SERROR");
	puts0(m, "VERROR");
	m->b[m->n++] = 'C';
	puts0(m, sqlstate);
	puts0(m, "Mrelation \"nope\" does not exist");
	m->b[m->n++] = 0;
	msg_end(m, at);
}

static void notice(struct conv_buf *m)
{
	size_t at = msg_begin(m, 'N');

	puts0(m, "SNOTICE");
	puts0(m, "C00000");
	puts0(m, "Mtable \"t\" does not exist, skipping");
	m->b[m->n++] = 0;
	msg_end(m, at);
}

/* ---- conversation helpers ---- */

static void pg_send(enum wl_hook h, struct conv *c, int from_server, struct conv_buf *m)
{
	conv_seg(h, c, from_server, m->b, m->n, 0);
	m->n = 0;
}

/* A fresh case (every map emptied), then the handshake, startup with a refused SSLRequest,
 * trust authentication. */
static void pg_start(enum wl_hook h, struct conv *c)
{
	static struct conv_buf m;

	harness_reset();
	conv_init(c, PG_PORT);
	conv_handshake(h, c);
	ssl_request(&m, 80877103);
	pg_send(h, c, 0, &m);
	conv_seg(h, c, 1, "N", 1, 0);
	startup(&m);
	pg_send(h, c, 0, &m);
	server_start(&m);
	pg_send(h, c, 1, &m);
}

#define EXPECT_PG(c, cmd, rq, rs, er) EXPECT_CMD_STATS(c, WL_L7_POSTGRES, cmd, rq, rs, er)
#define EXPECT_PG_ONLY(c, ...)	      EXPECT_CMDS_ONLY(c, WL_L7_POSTGRES, __VA_ARGS__)

/* ---- conversations as scripts ---- */

/*
 * A conversation is a script of segments (l7conv.h conv_play: "> " client, "< " server, "+ "
 * the same segment, "# " a comment, "> 3*..." three times). A PostgreSQL line is messages
 * separated by '|', each named by its type byte and followed by its fields:
 *   client  Q<sql>  P<name>:<sql>  B<portal>:<statement>  D<S|P><name>  E<portal>[:<maxrows>]
 *           C<S|P><name>  S  H  c  d<row>  f<message>  F<function oid>
 *           @startup  @ssl  @gss  @cancel (the messages without a type byte)
 *   server  1 2 3 n s I c  T (one column)  D<bytes>  C<tag>  E<sqlstate>  Z[<status>]  t  N
 *           G H (copy in/out)  d<row>  V  S<name>:<value>  A<channel>:<payload>
 *           @trust (AuthenticationOk, ParameterStatus, BackendKeyData, ReadyForQuery)
 *           @S @N @G (the one-byte answer to an SSL or GSS request)
 */
static void pg_client_msg(struct conv_buf *m, const char *t)
{
	const char *a = t + 1, *colon = strchr(a, ':');
	char name[64] = "";
	size_t at;

	if (colon && (size_t)(colon - a) < sizeof(name))
		memcpy(name, a, colon - a);
	if (!strcmp(t, "@startup")) {
		startup(m);
	} else if (!strcmp(t, "@ssl") || !strcmp(t, "@gss")) {
		ssl_request(m, t[1] == 's' ? 80877103 : 80877104);
	} else if (!strcmp(t, "@cancel")) {
		put32(m, 16);
		put32(m, 80877102);
		put32(m, 1234);
		put32(m, 5678);
	} else if (*t == 'Q') {
		query(m, a);
	} else if (*t == 'P' && colon) {
		parse(m, name, colon + 1);
	} else if (*t == 'B' && colon) {
		pg_bind(m, name, colon + 1);
	} else if (*t == 'D' && *a) {
		describe(m, *a, a + 1);
	} else if (*t == 'E') {
		if (!colon)
			strcpy(name, a);
		execute(m, name, colon ? atoi(colon + 1) : 0);
	} else if (*t == 'C' || *t == 'f') {
		msg_str(m, *t, a);
	} else if (strchr("SHc", *t) && !*a) {
		msg_empty(m, *t);
	} else if (*t == 'd') {
		copy_data(m, 'd', a);
	} else if (*t == 'F') {
		at = msg_begin(m, 'F');
		put32(m, atoi(a));
		put16(m, 0);
		put16(m, 0);
		put16(m, 0);
		msg_end(m, at);
	} else {
		CU_FAIL("unknown client message in a script");
		fprintf(stderr, "\n  unknown client message %s\n", t);
	}
}

static void pg_server_msg(struct conv_buf *m, const char *t)
{
	const char *a = t + 1, *colon = strchr(a, ':');
	size_t at;

	if (!strcmp(t, "@trust")) {
		server_start(m);
	} else if (*t == '@' && strchr("SNG", *a) && a[0] && !a[1]) {
		m->b[m->n++] = *a;
	} else if (strchr("123nsIc", *t) && !*a) {
		msg_empty(m, *t);
	} else if (*t == 'T' && !*a) {
		row_desc(m);
	} else if (*t == 'D') {
		data_row(m, atoi(a));
	} else if (*t == 'C') {
		complete(m, a);
	} else if (*t == 'E') {
		pg_error(m, a);
	} else if (*t == 'Z') {
		ready_status(m, *a ? *a : 'I');
	} else if (*t == 't' && !*a) {
		param_desc(m);
	} else if (*t == 'N' && !*a) {
		notice(m);
	} else if ((*t == 'G' || *t == 'H') && !*a) {
		at = msg_begin(m, *t);
		m->b[m->n++] = 0;
		put16(m, 0);
		msg_end(m, at);
	} else if (*t == 'd') {
		copy_data(m, 'd', a);
	} else if (*t == 'V' && !*a) {
		at = msg_begin(m, 'V');
		put32(m, 4);
		put32(m, 7);
		msg_end(m, at);
	} else if (*t == 'S' && colon) {
		char key[64] = "";

		memcpy(key, a, colon - a < 63 ? colon - a : 63);
		param_status(m, key, colon + 1);
	} else if (*t == 'A' && colon) {
		char chan[64] = "";

		memcpy(chan, a, colon - a < 63 ? colon - a : 63);
		at = msg_begin(m, 'A');
		put32(m, 77);
		puts0(m, chan);
		puts0(m, colon + 1);
		msg_end(m, at);
	} else {
		CU_FAIL("unknown server message in a script");
		fprintf(stderr, "\n  unknown server message %s\n", t);
	}
}

/* Appends the messages of one script line (its rest, after "> ") to m. */
static void pg_append(struct conv_buf *m, int from_server, const char *msgs)
{
	for (const char *t = msgs; *t;) {
		size_t len = strcspn(t, "|");
		char tok[256];

		snprintf(tok, sizeof(tok), "%.*s", (int)len, t);
		(from_server ? pg_server_msg : pg_client_msg)(m, tok);
		t += len + (t[len] == '|');
	}
}

#define PG_PLAY(h, c, ...)                                                                         \
	conv_play(h, c, (const char *const[]){__VA_ARGS__, NULL},                                  \
		  &(const struct conv_play_opts){.append = pg_append})

/* How a case's connection begins. */
enum pg_begin {
	PG_TRUSTED, /* pg_start: SSL refused, startup, trust: ready for queries */
	PG_SYN,	    /* SYN and SYN-ACK: the script has the startup */
	PG_JOINED,  /* nothing: joined mid-stream */
};

/* One conversation and what it must leave in the maps. */
struct pg_case {
	const char *what;
	enum pg_begin begin;
	size_t mss; /* 0: each script segment whole; 1: byte by byte */
	/* The first two segments cut in two at every offset, a fresh connection each. */
	int split;
	const char *script[40]; /* NULL-terminated */
	const char *want;	/* every command, nothing else (expect_cmds_only) */
};

/* What every case leaves: no message malformed, unmatched, skipped or lost to the FIFO. */
static const struct counter_want pg_clean[] = {
	{"l7_malformed", 0}, {"l7_unmatched", 0}, {"l7_resync_skip", 0}, {"l7_fifo_overflow", 0}};

/* One run of a case through h (cut: see conv_play), then its assertions. */
static void pg_run_case(enum wl_hook h, const struct pg_case *k, size_t cut)
{
	unsigned int failures = CU_get_number_of_failures();
	struct conv c;

	if (k->begin == PG_TRUSTED) {
		pg_start(h, &c);
	} else {
		harness_reset();
		conv_init(&c, PG_PORT);
		if (k->begin == PG_SYN)
			conv_handshake(h, &c);
	}
	conv_play(h, &c, k->script,
		  &(const struct conv_play_opts){.append = pg_append, .mss = k->mss, .cut = cut});
	expect_cmds_only_at(&c, WL_L7_POSTGRES, k->want, __FILE__, __LINE__);
	expect_counters_at(pg_clean, 4, __FILE__, __LINE__);
	if (CU_get_number_of_failures() != failures)
		fprintf(stderr, "\n  [%s] cut %zu, in the case: %s\n", hook_names[h], cut, k->what);
}

/* Runs every case through both hooks (a split case once per cut). */
static void pg_run_cases(const struct pg_case *cases, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		size_t max = cases[i].split ? conv_play_split_max(cases[i].script, pg_append) : 0;

		FOR_EACH_HOOK(h) {
			if (!cases[i].split)
				pg_run_case(h, &cases[i], 0);
			for (size_t cut = 1; cut < max; cut++)
				pg_run_case(h, &cases[i], cut);
		}
	}
}

static struct conv_buf rq, rs;

/* ---- tests ---- */

WL_TEST(postgresql, startup_and_simple)
{
	static struct conv_buf q, r;

	q.n = r.n = 0;
	pg_append(&q, 0, "Qselect 1");
	pg_append(&r, 1, "T|D1|CSELECT 1");
	FOR_EACH_HOOK(h) {
		struct conv c;

		pg_start(h, &c);
		PG_PLAY(h, &c, "> Qselect 1", "< T|D1|CSELECT 1|Z",
			"> Q  /* c /* nested */ */ -- line\n (insert into t values (1))",
			"< CINSERT 0 1|Z");
		EXPECT_PG_ONLY(&c, {"SELECT", 1, 1, 0}, {"INSERT", 1, 1, 0});
		/* the startup is no request's, ReadyForQuery belongs to none */
		EXPECT_CMD_BYTES(&c, WL_L7_POSTGRES, "SELECT", q.n, r.n);
		EXPECT_L7_CLEAN();
	}
}

WL_TEST(postgresql, auth_sasl_and_async)
{
	FOR_EACH_HOOK(h) {
		struct conv c;
		size_t at;

		conv_start(h, &c, PG_PORT);
		PG_PLAY(h, &c, "> @startup");
		at = msg_begin(&rs, 'R'); /* AuthenticationSASL */
		put32(&rs, 10);
		puts0(&rs, "SCRAM-SHA-256");
		rs.b[rs.n++] = 0;
		msg_end(&rs, at);
		pg_send(h, &c, 1, &rs);
		msg_str(&rq, 'p', "SCRAM-SHA-256\0\0\0\0\x20n,,n=,r=abcdefghijklmnopqrstuvwx");
		pg_send(h, &c, 0, &rq);
		at = msg_begin(&rs, 'R'); /* SASLContinue */
		put32(&rs, 11);
		putb(&rs, "r=abc,s=salt,i=4096", 19);
		msg_end(&rs, at);
		pg_send(h, &c, 1, &rs);
		msg_str(&rq, 'p', "c=biws,r=abc,p=proof");
		pg_send(h, &c, 0, &rq);
		at = msg_begin(&rs, 'R'); /* SASLFinal */
		put32(&rs, 12);
		putb(&rs, "v=sig", 5);
		msg_end(&rs, at);
		server_start(&rs);
		pg_send(h, &c, 1, &rs);
		/* a NOTICE inside a reply, a parameter change and a NOTIFY between replies */
		PG_PLAY(h, &c, "> Qdrop table if exists t",
			"< N|CDROP TABLE|Z|STimeZone:UTC|Achan:payload", "> Qshow work_mem",
			"< T|D3|CSHOW|Z");
		EXPECT_PG_ONLY(&c, {"DROP", 1, 1, 0}, {"SHOW", 1, 1, 0});
		EXPECT_L7_CLEAN();
	}
}

WL_TEST(postgresql, tls_and_gss)
{
	static const char hello[] = "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03random";

	FOR_EACH_HOOK(h) {
		struct conv c;

		conv_start(h, &c, PG_PORT);
		PG_PLAY(h, &c, "> @ssl", "< @S");
		for (int i = 0; i < 3; i++) {
			conv_seg(h, &c, 0, hello, sizeof(hello) - 1, 0);
			conv_seg(h, &c, 1, hello, sizeof(hello) - 1, 0);
		}
		EXPECT_PG(&c, "TLS", 1, 1, 0);
		CU_ASSERT_EQUAL(conv_stats_entries(), 1);
		EXPECT_L7_CLEAN();

		c.cport++;
		conv_handshake(h, &c);
		PG_PLAY(h, &c, "> @gss", "< @G");
		conv_seg(h, &c, 0, hello, sizeof(hello) - 1, 0);
		conv_seg(h, &c, 1, hello, sizeof(hello) - 1, 0);
		EXPECT_PG(&c, "GSSENC", 1, 1, 0);

		/* GSS refused, then SSL refused, then a plain startup */
		c.cport++;
		conv_handshake(h, &c);
		PG_PLAY(h, &c, "> @gss", "< @N", "> @ssl", "< @N", "> @startup", "< @trust",
			"> Qbegin", "< CBEGIN|Z");
		EXPECT_CMDS(&c, WL_L7_POSTGRES, "TLS 1 1 0, GSSENC 1 1 0, BEGIN 1 1 0");
		EXPECT_L7_CLEAN();
	}
}

WL_TEST(postgresql, cancel)
{
	FOR_EACH_HOOK(h) {
		struct conv c;

		conv_start(h, &c, PG_PORT);
		PG_PLAY(h, &c, "> @cancel");
		conv_seg(h, &c, 0, NULL, 0, 0x11); /* FIN */
		EXPECT_PG(&c, "CANCEL", 1, 0, 0);
		EXPECT_L7_CLEAN();
	}
}

/*
 * Conversations on one connection each, as the drivers have them: the script and the stats it
 * must leave (every command, nothing else), through XDP and TC.
 */
static const struct pg_case conversations[] = {
	{"several statements in one Query: one request per statement the server reports on",
	 .script = {"> QBEGIN; INSERT INTO t VALUES (1); UPDATE t SET x = 2; "
		    "WITH a AS (SELECT 1) SELECT * FROM a; COMMIT",
		    "< CBEGIN|CINSERT 0 1|CUPDATE 3|T|D1|CSELECT 1|CCOMMIT|Z",
		    "# an error in the second statement: the rest is not run",
		    "> Qinsert into t values (2); select * from nope; delete from t",
		    "< CINSERT 0 1|E42P01|Z",
		    "# an error in the first statement: named by its keyword",
		    "> Q\n\tdelete from nope", "< E42P01|Z", "# a syntax error: no keyword known",
		    "> QSELEC 1", "< E42601|Z", "# empty queries report nothing", "> Q|Q ; ",
		    "< I|Z|I|Z"},
	 .want = "BEGIN 1 1 0, INSERT 2 2 0, UPDATE 1 1 0, SELECT 1 1 0, "
		 "COMMIT 1 1 0, DELETE 1 1 1, OTHER 2 2 2"},
	{"extended protocol: unnamed and named statements, portals, pipelines, errors",
	 .script = {"# libpq PQexecParams: P B D E S",
		    "> P:SELECT abalance FROM pgbench_accounts WHERE aid = $1|B:|DP|E|S",
		    "< 1|2|T|D4|CSELECT 1|Z",
		    "# PQprepare: P S, then PQexecPrepared three times: B D E S",
		    "> PP0_1:UPDATE pgbench_accounts SET abalance = abalance + $1|S",
		    "< 1|Z",
		    "> B:P0_1|DP|E|S",
		    "< 2|n|CUPDATE 1|Z",
		    "> B:P0_1|DP|E|S",
		    "< 2|n|CUPDATE 1|Z",
		    "> B:P0_1|DP|E|S",
		    "< 2|n|CUPDATE 1|Z",
		    "# the prepared UPDATE fails at execution: named by its statement",
		    "> B:P0_1|E|S",
		    "< 2|E23505|Z",
		    "# a named portal; a pipeline of three executions and one Sync",
		    "> Pins:insert into t values ($1)|Bcur1:ins|Ecur1",
		    "+ 3*B:ins|E",
		    "+ S",
		    "< 1|2|CINSERT 0 1",
		    "+ 3*2|CINSERT 0 1",
		    "+ Z",
		    "# a pipeline whose second execution fails: the third is never run",
		    "> 3*B:ins|E",
		    "+ S",
		    "< 2|CINSERT 0 1|2|E23505|Z",
		    "# a Parse that fails: the batch's execution is named by the statement",
		    "> P:delete from nope|B:|E|S",
		    "< E42P01|Z",
		    "# Parse + Sync alone that fails: named by the batch's statement; then "
		    "Describe of a statement, Close, Flush",
		    "> Pbad:vacuum nope|S|DSins|CSins|H|S",
		    "< E42P01|Z|t|n|3|Z",
		    "# a portal run in two Executes (row limit): one statement",
		    "> P:select * from t|B:|E:1|H",
		    "< 1|2|D1|s",
		    "> E|S",
		    "< D1|CSELECT 2|Z"},
	 .want = "SELECT 2 2 0, UPDATE 4 4 1, INSERT 6 6 1, DELETE 1 1 1, VACUUM 1 1 1"},
	{"describe-first (postgres.js: Parse, Describe 'S', Flush, then Bind, Execute, Sync)",
	 .script = {"# described, then run: one SELECT",
		    "> Pp1:select * from t where id = $1|DSp1|H",
		    "< 1|t|T",
		    "> B:p1|E|S",
		    "< 2|D1|CSELECT 1|Z",
		    "# the Parse fails before the Sync is sent",
		    "> Pp2:select * from nope where id = $1|DSp2|H",
		    "< E42P01",
		    "> S",
		    "< Z",
		    "# prepared and described, never executed (sql.describe): nothing",
		    "> Pp3:update t set v = $1|DSp3|H",
		    "< 1|t|n",
		    "> S",
		    "< Z",
		    "# a named Parse + Describe + Sync that fails (no Flush, no Execute)",
		    "> Pp4:delete from nope where id = $1|DSp4|S",
		    "< E42P01|Z",
		    "# the prepared statement run again: Bind, Execute, Sync only",
		    "> B:p1|E|S",
		    "< 2|CSELECT 0|Z",
		    "# Flush after an Execute (a cursor's first rows): the Execute is the request",
		    "> P:insert into t select 1|B:|E|H",
		    "< 1|2|E23505",
		    "> S",
		    "< Z"},
	 .want = "SELECT 3 3 1, DELETE 1 1 1, INSERT 1 1 1"},
	{"describe-first pipelined: postgres.js' Promise.all over one connection, then P D H B E S "
	 "all at once",
	 .script = {"> Pp1:select $1::int as x|DSp1|H", "< 1|t|T",
		    "# the others queue behind the first, then go pipelined", "> 40*B:p1|E|S",
		    "+ Pp2:select * from nope where id = $1|DSp2|H", "< 40*2|D2|CSELECT 1|Z",
		    "+ E42P01", "> S", "< Z",
		    "# the first run fine, the second's Parse fails (the error is the Execute's: "
		    "the Flush has a request behind it)",
		    "> P:insert into t values ($1)|DS|H|B:|E|S|P:delete from nope|DS|H|B:|E|S",
		    "< 1|t|n|2|CINSERT 0 1|Z|E42P01|Z"},
	 .want = "SELECT 41 41 1, INSERT 1 1 0, DELETE 1 1 1"},
	{"a failed statement in a transaction, then statements refused (25P02) in every form a "
	 "driver sends them, then ROLLBACK",
	 .script = {"# postgres.js sql.begin: begin (no parameters: P D B E S)",
		    "> Pb1:begin|DSb1|B:b1|E|S",
		    "< 1|n|2|CBEGIN|ZT",
		    "# a statement prepared before (p1), run fine",
		    "> Pp1:select $1::int as x|DSp1|H",
		    "< 1|t|T",
		    "> B:p1|E|S",
		    "< 2|D1|CSELECT 1|ZT",
		    "# the failure: a describe-first insert",
		    "> Pp2:insert into nope values ($1)|DSp2|H",
		    "< E42P01",
		    "> S",
		    "< ZE",
		    "# refused: a new parameterised statement (its Parse)",
		    "> Pp3:update t set v = $1|DSp3|H",
		    "< E25P02",
		    "> S",
		    "< ZE",
		    "# refused: the prepared one (its Bind)",
		    "> B:p1|E|S",
		    "< E25P02|ZE",
		    "# refused: node-postgres text and unnamed extended queries",
		    "> Qdelete from t|P:select $1::text|B:|DP|E|S",
		    "< E25P02|ZE|E25P02|ZE",
		    "# ROLLBACK (accepted in an aborted transaction)",
		    "> Pr1:rollback|DSr1|B:r1|E|S",
		    "< 1|n|2|CROLLBACK|Z"},
	 .want = "BEGIN 1 1 0, SELECT 3 3 2, INSERT 1 1 1, UPDATE 1 1 1, DELETE 1 1 1, "
		 "ROLLBACK 1 1 0"},
	{"COPY in both directions, a COPY given up, a fast-path function call",
	 .script = {"> Qcopy pgbench_accounts from stdin", "< G", "> 100*d1\t1\t0\t\n", "+ c",
		    "< CCOPY 100|Z", "# COPY TO STDOUT", "> QCOPY t TO STDOUT",
		    "< H|d1\n|d2\n|c|CCOPY 2|Z", "# a COPY the client gives up",
		    "> Qcopy t from stdin", "< G", "> d1\n|faborted by user", "< E57014|Z",
		    "# fast-path function call", "> F1598", "< V|Z"},
	 .want = "COPY 3 3 1, FUNCTION_CALL 1 1 0"},
	{"20 queries pipelined in one segment, answered in one",
	 .script = {"> 10*Qselect 1|Qinsert into t values (1)",
		    "< 10*T|D1|CSELECT 1|Z|CINSERT 0 1|Z"},
	 .want = "SELECT 10 10 0, INSERT 10 10 0"},
	{"joined mid-stream (no SYN, no startup): the first segments start on a message boundary",
	 .begin = PG_JOINED,
	 .script = {"# a statement parsed before we joined", "> B:|E|S", "< 2|CSELECT 1|Z",
		    "> Qcommit", "< CCOMMIT|Z"},
	 .want = "SELECT 1 1 0, COMMIT 1 1 0"},
	{"every message byte by byte: one segment per byte", .mss = 1,
	 .script = {"> Q/* x */ delete from t where x = 1"
		    "|Plonger_statement_name:insert into t values ($1)"
		    "|Bportal:longer_statement_name|Eportal|S",
		    "< CDELETE 1|Z|1|2|CINSERT 0 1|Z"},
	 .want = "DELETE 1 1 0, INSERT 1 1 0"},
	{"the describe-first failure with both directions cut at every offset", .split = 1,
	 .script = {"> Pp2:select * from nope where id = $1|DSp2|H", "< E42P01",
		    "> S|Pp1:select $1::int|DSp1|H", "< Z|1|t|T", "> B:p1|E|S", "< 2|CSELECT 1|Z"},
	 .want = "SELECT 2 2 1"},
	{"one simple exchange and one extended batch cut at every offset, both directions",
	 .split = 1,
	 .script = {"> Qselect 1|Ps:update t set x = 1|B:s|E|S",
		    "< T|D1|CSELECT 1|Z|1|2|CUPDATE 1|Z"},
	 .want = "SELECT 1 1 0, UPDATE 1 1 0"},
	{"the connection start cut at every offset (startup, authentication)", .begin = PG_SYN,
	 .split = 1, .script = {"> @startup|Qselect 1", "< @trust|CSELECT 1|Z"},
	 .want = "SELECT 1 1 0"},
};

WL_TEST(postgresql, conversations)
{
	pg_run_cases(conversations, sizeof(conversations) / sizeof(conversations[0]));
}

WL_TEST(postgresql, large_bodies)
{
	static char big[20000];

	memset(big, ' ', sizeof(big) - 1);
	memcpy(big + 12000, "update t set x = 'long'", 23); /* past the keyword budget */
	FOR_EACH_HOOK(h) {
		struct wl_cmd_stats st;
		size_t rlen;
		struct conv c;

		pg_start(h, &c);
		memcpy(big, "SELECT", 6);
		query(&rq, big);
		conv_deliver(h, &c, 0, &rq, 1448, 0);
		row_desc(&rs);
		for (int i = 0; i < 3; i++)
			data_row(&rs, 15000);
		complete(&rs, "SELECT 3");
		rlen = rs.n;
		ready(&rs);
		conv_deliver(h, &c, 1, &rs, 1448, 0);
		/* a keyword after more blanks than the scan budget: OTHER on error */
		memcpy(big, "      ", 6);
		query(&rq, big);
		conv_deliver(h, &c, 0, &rq, 1448, 0);
		PG_PLAY(h, &c, "< E42601|Z");
		EXPECT_PG(&c, "SELECT", 1, 1, 0);
		EXPECT_PG(&c, "OTHER", 1, 1, 1);
		conv_stats(&c, WL_L7_POSTGRES, "SELECT", &st);
		CU_ASSERT_EQUAL(st.response_bytes, rlen);
		EXPECT_L7_CLEAN();
	}
}

/* A result set of many short DataRows (taken a run at a time when whole in the window) in
 * segments of every size from whole down to 1 byte: counted once, every byte of it; then a
 * DataRow too short to be one among such rows is malformed, as anywhere else. */
WL_TEST(postgresql, many_rows)
{
	static const size_t mss[] = {0, 1448, 300, 64, 17, 5, 1};

	FOR_EACH_HOOK(h) {
		for (size_t i = 0; i < sizeof(mss) / sizeof(mss[0]); i++) {
			struct wl_cmd_stats st;
			size_t rlen;
			struct conv c;

			pg_start(h, &c);
			query(&rq, "SELECT x FROM t");
			conv_deliver(h, &c, 0, &rq, 0, 0);
			row_desc(&rs);
			for (int r = 0; r < 40; r++)
				data_row(&rs, r % 23);
			complete(&rs, "SELECT 40");
			rlen = rs.n;
			ready(&rs);
			conv_deliver(h, &c, 1, &rs, mss[i], 0);
			EXPECT_PG_ONLY(&c, {"SELECT", 1, 1, 0});
			conv_stats(&c, WL_L7_POSTGRES, "SELECT", &st);
			CU_ASSERT_EQUAL(st.response_bytes, rlen);
			EXPECT_L7_CLEAN();
		}
		{
			struct conv c;

			pg_start(h, &c);
			query(&rq, "SELECT x FROM t");
			conv_deliver(h, &c, 0, &rq, 0, 0);
			row_desc(&rs);
			data_row(&rs, 3);
			data_row(&rs, 3);
			putb(&rs, "D\0\0\0\x05\0", 6); /* a DataRow is at least 6 bytes long */
			data_row(&rs, 3);
			conv_deliver(h, &c, 1, &rs, 0, 0);
			CU_ASSERT_EQUAL(harness_counters().l7_malformed, 1);
		}
	}
}

WL_TEST(postgresql, retransmit_and_gap)
{
	FOR_EACH_HOOK(h) {
		uint32_t saved;
		struct conv c;

		pg_start(h, &c);
		saved = c.cseq;
		PG_PLAY(h, &c, "> Qselect 1");
		c.cseq = saved; /* the same segment again */
		PG_PLAY(h, &c, "> Qselect 1", "< CSELECT 1|Z");
		c.cseq += 100;				  /* 100 bytes lost */
		conv_seg(h, &c, 0, "ere x = 1\0", 10, 0); /* tail of a lost query: skipped */
		PG_PLAY(h, &c, "> Qupdate t set x = 1", "< CUPDATE 1|Z"); /* on a boundary */
		EXPECT_PG(&c, "SELECT", 1, 1, 0);
		EXPECT_PG(&c, "UPDATE", 1, 1, 0);
		EXPECT_COUNTERS({"l7_retransmit", 1}, {"l7_gap", 1}, {"l7_resync_skip", 1},
				{"l7_malformed", 0});
	}
}

WL_TEST(postgresql, unmatched)
{
	FOR_EACH_HOOK(h) {
		struct conv c;

		pg_start(h, &c);
		/* the server terminates an idle session */
		PG_PLAY(h, &c, "< E57P01");
		CU_ASSERT_EQUAL(harness_counters().l7_unmatched, 1);
		CU_ASSERT_EQUAL(conv_stats_entries(), 0);
	}
}

WL_TEST(postgresql, malformed)
{
	static const uint8_t bad_req[][16] = {
		{'Q', 0, 0, 0, 2, 'x'},			    /* length below 4 */
		{'Q', 0xff, 0xff, 0xff, 0xf0, 'x'},	    /* negative */
		{'Q', 0x40, 0, 0, 0, 'x'},		    /* above 1 GB */
		{'S', 0, 0, 0, 8, 0, 0, 0, 0},		    /* Sync with a body */
		{0x01, 0, 0, 0, 8, 0, 0, 0, 0},		    /* unknown type */
		{'E', 0, 0, 0, 9, 'a', 'b', 'c', 'd', 'e'}, /* portal name without its NUL */
	};
	static const size_t bad_len[] = {6, 6, 6, 9, 9, 10};
	static const uint8_t bad_resp[][8] = {
		{'C', 0, 0, 0, 3},	   /* length below 4 */
		{'Z', 0, 0, 0, 6, 'I', 0}, /* ReadyForQuery of 2 bytes */
		{'D', 0x80, 0, 0, 0},	   /* negative */
		{'!', 0, 0, 0, 4},	   /* unknown type */
	};

	FOR_EACH_HOOK(h) {
		for (size_t i = 0; i < sizeof(bad_len) / sizeof(bad_len[0]); i++) {
			struct conv c;

			pg_start(h, &c);
			conv_seg(h, &c, 0, bad_req[i], bad_len[i], 0);
			CU_ASSERT_EQUAL(harness_counters().l7_malformed, 1);
			/* the next segment starting a message recovers */
			PG_PLAY(h, &c, "> Qselect 1", "< CSELECT 1|Z");
			EXPECT_PG(&c, "SELECT", 1, 1, 0);
			CU_ASSERT_EQUAL(harness_counters().l7_malformed, 1);
		}
		for (size_t i = 0; i < sizeof(bad_resp) / sizeof(bad_resp[0]); i++) {
			struct conv c;

			pg_start(h, &c);
			PG_PLAY(h, &c, "> Qselect 1");
			conv_seg(h, &c, 1, bad_resp[i], 8, 0);
			CU_ASSERT_EQUAL(harness_counters().l7_malformed, 1);
			PG_PLAY(h, &c, "> Qselect 2", "< CSELECT 1|Z");
			/* the response counted is the oldest pending one's */
			EXPECT_PG(&c, "SELECT", 1, 1, 0);
		}
		/* garbage after a valid message in the same segment */
		{
			struct conv c;

			pg_start(h, &c);
			query(&rq, "select 1");
			putb(&rq, "\xde\xad\xbe\xef garbage", 12);
			pg_send(h, &c, 0, &rq);
			PG_PLAY(h, &c, "< CSELECT 1|Z");
			EXPECT_PG(&c, "SELECT", 1, 1, 0);
			CU_ASSERT_EQUAL(harness_counters().l7_malformed, 1);
		}
		/* a startup message that is none */
		{
			struct conv c;

			conv_start(h, &c, PG_PORT);
			put32(&rq, 8);
			put32(&rq, 0x00020000); /* protocol 2 */
			pg_send(h, &c, 0, &rq);
			put32(&rq, 100000); /* too long */
			put32(&rq, 0x00030000);
			pg_send(h, &c, 0, &rq);
			EXPECT_COUNTERS({"l7_malformed", 1}, {"l7_resync_skip", 1});
		}
	}
}

WL_TEST(postgresql, sniffed_port)
{
	FOR_EACH_HOOK(h) {
		struct conv c;

		conv_start(h, &c, 7000); /* port 7000 is unknown: nothing tracked yet */
		PG_PLAY(h, &c, "> @startup", "< @trust", "> Qselect 1", "< CSELECT 1|Z");
		EXPECT_PG(&c, "SELECT", 1, 1, 0);
		EXPECT_L7_CLEAN();
		/* an SSLRequest alone is enough */
		conv_init(&c, 7001);
		conv_handshake(h, &c);
		PG_PLAY(h, &c, "> @ssl", "< @S");
		EXPECT_PG(&c, "TLS", 1, 1, 0);
	}
}

/* Server ports of the captures that do not use 5432 (from oracle.sh). */
static const struct capture_port capture_ports[] = {
	{"postgresql/pgsql-all.pcap", 8000},
};

/* Every statement is answered; GSSENC: pgsql.pcap's two GSSENCRequests are answered 'G' (seen
 * in the capture), so the pseudo command equals the "GSS encrypt request" rows there; TLS and
 * CANCEL are not in these captures. */
static void capture_check_postgresql(const struct capture_file *f)
{
	char names[CAPTURE_NAMES_MAX][WL_CMD_LEN];
	int n = capture_names(f, names);

	for (int k = 0; k < n; k++) {
		struct wl_cmd_stats cs = capture_cmd(f, names[k]);

		capture_expect(f, "responses of a command", cs.responses, cs.requests);
		if (!strcmp(names[k], "GSSENC"))
			capture_expect(f, "GSSENC", cs.requests,
				       capture_want(f, "frontend_msg", "GSS encrypt request"));
		else
			CU_ASSERT(strcmp(names[k], "TLS") && strcmp(names[k], "CANCEL"));
	}
}

/*
 * The real captures against EXPECTED.tsv (tshark). wirelens counts one request per statement
 * the server reports on: their total equals the CommandComplete + ErrorResponse messages, the
 * errors the ErrorResponses. Per verb: simple_query_verb rows (but for the tags above); a file
 * of extended queries with one Parse verb counts every Execute under it.
 */
const struct capture_spec postgresql_captures = {
	.protocol = {.name = "postgresql", .l7_proto = WL_L7_POSTGRES, .files = 5},
	.commands = {.metrics = {"simple_query_verb"}},
	.prepared = {"parse_verb", "frontend_msg", "Execute"},
	.totals = {{CAPTURE_REQUESTS, "backend_msg", "Command completion"},
		   {CAPTURE_REQUESTS, "backend_msg", "Error"},
		   {CAPTURE_ERRORS, "backend_msg", "Error"}},
	.uncounted = {"GSSENC"},
	.counters = {"l7_malformed", "l7_unmatched"},
	CAPTURE_PORTS(capture_ports),
	.figures = {.compared = 44, .excepted = 4},
	.check = capture_check_postgresql,
};
