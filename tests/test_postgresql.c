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
#include "harness.h"
#include "l7conv.h"
#include "pcap_replay.h"
#include "pktbuild.h"
#include "suites.h"
#include "loader/l7cfg.h"

#define PG_PORT 5432

/* A byte stream being built: messages appended one after the other. */
struct mb {
	uint8_t b[65536];
	size_t n;
};

static void put32(struct mb *m, uint32_t v)
{
	v = htonl(v);
	memcpy(m->b + m->n, &v, 4);
	m->n += 4;
}

static void put16(struct mb *m, uint16_t v)
{
	v = htons(v);
	memcpy(m->b + m->n, &v, 2);
	m->n += 2;
}

static void putb(struct mb *m, const void *p, size_t n)
{
	memcpy(m->b + m->n, p, n);
	m->n += n;
}

static void puts0(struct mb *m, const char *s)
{
	putb(m, s, strlen(s) + 1);
}

/* type + length, then the body the caller appends; msg_end patches the length. */
static size_t msg_begin(struct mb *m, char type)
{
	size_t at;

	m->b[m->n++] = type;
	at = m->n;
	put32(m, 0);
	return at;
}

static void msg_end(struct mb *m, size_t at)
{
	uint32_t len = htonl(m->n - at);

	memcpy(m->b + at, &len, 4);
}

static void msg_empty(struct mb *m, char type)
{
	msg_end(m, msg_begin(m, type));
}

static void msg_str(struct mb *m, char type, const char *s)
{
	size_t at = msg_begin(m, type);

	puts0(m, s);
	msg_end(m, at);
}

/* ---- client messages ---- */

static void startup(struct mb *m)
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

static void ssl_request(struct mb *m, uint32_t code)
{
	put32(m, 8);
	put32(m, code);
}

static void query(struct mb *m, const char *q)
{
	msg_str(m, 'Q', q);
}

static void parse(struct mb *m, const char *name, const char *q)
{
	size_t at = msg_begin(m, 'P');

	puts0(m, name);
	puts0(m, q);
	put16(m, 1);
	put32(m, 23);
	msg_end(m, at);
}

static void pg_bind(struct mb *m, const char *portal, const char *stmt)
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

static void describe(struct mb *m, char what, const char *name)
{
	size_t at = msg_begin(m, 'D');

	m->b[m->n++] = what;
	puts0(m, name);
	msg_end(m, at);
}

static void execute(struct mb *m, const char *portal, uint32_t maxrows)
{
	size_t at = msg_begin(m, 'E');

	puts0(m, portal);
	put32(m, maxrows);
	msg_end(m, at);
}

static void copy_data(struct mb *m, char type, const char *row)
{
	size_t at = msg_begin(m, type);

	putb(m, row, strlen(row));
	msg_end(m, at);
}

/* ---- server messages ---- */

static void auth_ok(struct mb *m)
{
	size_t at = msg_begin(m, 'R');

	put32(m, 0);
	msg_end(m, at);
}

static void param_status(struct mb *m, const char *k, const char *v)
{
	size_t at = msg_begin(m, 'S');

	puts0(m, k);
	puts0(m, v);
	msg_end(m, at);
}

static void ready(struct mb *m)
{
	size_t at = msg_begin(m, 'Z');

	m->b[m->n++] = 'I';
	msg_end(m, at);
}

/* The server's side of the connection start after the startup: SASL-free trust. */
static void server_start(struct mb *m)
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

static void row_desc(struct mb *m)
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

static void data_row(struct mb *m, size_t vlen)
{
	size_t at = msg_begin(m, 'D');

	put16(m, 1);
	put32(m, vlen);
	memset(m->b + m->n, 'v', vlen);
	m->n += vlen;
	msg_end(m, at);
}

static void complete(struct mb *m, const char *tag)
{
	msg_str(m, 'C', tag);
}

static void pg_error(struct mb *m, const char *sqlstate)
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

static void notice(struct mb *m)
{
	size_t at = msg_begin(m, 'N');

	puts0(m, "SNOTICE");
	puts0(m, "C00000");
	puts0(m, "Mtable \"t\" does not exist, skipping");
	m->b[m->n++] = 0;
	msg_end(m, at);
}

/* ---- conversation helpers ---- */

static void pg_send(enum wl_hook h, struct conv *c, int from_server, struct mb *m)
{
	conv_seg(h, c, from_server, m->b, m->n, 0);
	m->n = 0;
}

/* A fresh case (every map emptied), then the handshake, startup with a refused SSLRequest,
 * trust authentication. */
static void pg_start(enum wl_hook h, struct conv *c)
{
	static struct mb m;

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

static struct mb rq, rs;

/* ---- tests ---- */

WL_TEST(postgresql, startup_and_simple)
{
	FOR_EACH_HOOK(h) {
		struct wl_cmd_stats st;
		size_t qlen, rlen;
		struct conv c;

		pg_start(h, &c);
		query(&rq, "select 1");
		qlen = rq.n;
		pg_send(h, &c, 0, &rq);
		row_desc(&rs);
		data_row(&rs, 1);
		complete(&rs, "SELECT 1");
		rlen = rs.n;
		ready(&rs);
		pg_send(h, &c, 1, &rs);
		query(&rq, "  /* c /* nested */ */ -- line\n (insert into t values (1))");
		pg_send(h, &c, 0, &rq);
		complete(&rs, "INSERT 0 1");
		ready(&rs);
		pg_send(h, &c, 1, &rs);
		EXPECT_PG(&c, "SELECT", 1, 1, 0);
		EXPECT_PG(&c, "INSERT", 1, 1, 0);
		conv_stats(&c, WL_L7_POSTGRES, "SELECT", &st);
		CU_ASSERT_EQUAL(st.request_bytes, qlen);  /* the startup is no request's */
		CU_ASSERT_EQUAL(st.response_bytes, rlen); /* ReadyForQuery belongs to none */
		CU_ASSERT_EQUAL(conv_stats_entries(), 2);
		EXPECT_L7_CLEAN();
	}
}

WL_TEST(postgresql, auth_sasl_and_async)
{
	FOR_EACH_HOOK(h) {
		struct conv c;
		size_t at;

		conv_start(h, &c, PG_PORT);
		startup(&rq);
		pg_send(h, &c, 0, &rq);
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
		query(&rq, "drop table if exists t");
		pg_send(h, &c, 0, &rq);
		notice(&rs);
		complete(&rs, "DROP TABLE");
		ready(&rs);
		param_status(&rs, "TimeZone", "UTC");
		at = msg_begin(&rs, 'A');
		put32(&rs, 77);
		puts0(&rs, "chan");
		puts0(&rs, "payload");
		msg_end(&rs, at);
		pg_send(h, &c, 1, &rs);
		query(&rq, "show work_mem");
		pg_send(h, &c, 0, &rq);
		row_desc(&rs);
		data_row(&rs, 3);
		complete(&rs, "SHOW");
		ready(&rs);
		pg_send(h, &c, 1, &rs);
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
		ssl_request(&rq, 80877103);
		pg_send(h, &c, 0, &rq);
		conv_seg(h, &c, 1, "S", 1, 0);
		for (int i = 0; i < 3; i++) {
			conv_seg(h, &c, 0, hello, sizeof(hello) - 1, 0);
			conv_seg(h, &c, 1, hello, sizeof(hello) - 1, 0);
		}
		EXPECT_PG(&c, "TLS", 1, 1, 0);
		CU_ASSERT_EQUAL(conv_stats_entries(), 1);
		EXPECT_L7_CLEAN();

		c.cport++;
		conv_handshake(h, &c);
		ssl_request(&rq, 80877104);
		pg_send(h, &c, 0, &rq);
		conv_seg(h, &c, 1, "G", 1, 0);
		conv_seg(h, &c, 0, hello, sizeof(hello) - 1, 0);
		conv_seg(h, &c, 1, hello, sizeof(hello) - 1, 0);
		EXPECT_PG(&c, "GSSENC", 1, 1, 0);

		/* GSS refused, then SSL refused, then a plain startup */
		c.cport++;
		conv_handshake(h, &c);
		ssl_request(&rq, 80877104);
		pg_send(h, &c, 0, &rq);
		conv_seg(h, &c, 1, "N", 1, 0);
		ssl_request(&rq, 80877103);
		pg_send(h, &c, 0, &rq);
		conv_seg(h, &c, 1, "N", 1, 0);
		startup(&rq);
		pg_send(h, &c, 0, &rq);
		server_start(&rs);
		pg_send(h, &c, 1, &rs);
		query(&rq, "begin");
		pg_send(h, &c, 0, &rq);
		complete(&rs, "BEGIN");
		ready(&rs);
		pg_send(h, &c, 1, &rs);
		EXPECT_PG(&c, "BEGIN", 1, 1, 0);
		CU_ASSERT_EQUAL(conv_stats_entries(), 3);
		EXPECT_L7_CLEAN();
	}
}

WL_TEST(postgresql, cancel)
{
	FOR_EACH_HOOK(h) {
		struct conv c;

		conv_start(h, &c, PG_PORT);
		put32(&rq, 16);
		put32(&rq, 80877102);
		put32(&rq, 1234);
		put32(&rq, 5678);
		pg_send(h, &c, 0, &rq);
		conv_seg(h, &c, 0, NULL, 0, 0x11); /* FIN */
		EXPECT_PG(&c, "CANCEL", 1, 0, 0);
		EXPECT_L7_CLEAN();
	}
}

/* Several statements in one Query: one request per statement the server reports on. */
WL_TEST(postgresql, multi_statement)
{
	FOR_EACH_HOOK(h) {
		struct conv c;

		pg_start(h, &c);
		query(&rq, "BEGIN; INSERT INTO t VALUES (1); UPDATE t SET x = 2; "
			   "WITH a AS (SELECT 1) SELECT * FROM a; COMMIT");
		pg_send(h, &c, 0, &rq);
		complete(&rs, "BEGIN");
		complete(&rs, "INSERT 0 1");
		complete(&rs, "UPDATE 3");
		row_desc(&rs);
		data_row(&rs, 1);
		complete(&rs, "SELECT 1");
		complete(&rs, "COMMIT");
		ready(&rs);
		pg_send(h, &c, 1, &rs);
		/* an error in the second statement: the rest is not run */
		query(&rq, "insert into t values (2); select * from nope; delete from t");
		pg_send(h, &c, 0, &rq);
		complete(&rs, "INSERT 0 1");
		pg_error(&rs, "42P01");
		ready(&rs);
		pg_send(h, &c, 1, &rs);
		/* an error in the first statement: named by its keyword */
		query(&rq, "\n\tdelete from nope");
		pg_send(h, &c, 0, &rq);
		pg_error(&rs, "42P01");
		ready(&rs);
		pg_send(h, &c, 1, &rs);
		/* a syntax error: no keyword known */
		query(&rq, "SELEC 1");
		pg_send(h, &c, 0, &rq);
		pg_error(&rs, "42601");
		ready(&rs);
		pg_send(h, &c, 1, &rs);
		/* empty queries report nothing */
		query(&rq, "");
		query(&rq, " ; ");
		pg_send(h, &c, 0, &rq);
		msg_empty(&rs, 'I');
		ready(&rs);
		msg_empty(&rs, 'I');
		ready(&rs);
		pg_send(h, &c, 1, &rs);
		EXPECT_PG_ONLY(&c, {"BEGIN", 1, 1, 0}, {"INSERT", 2, 2, 0}, {"UPDATE", 1, 1, 0},
			       {"SELECT", 1, 1, 0}, {"COMMIT", 1, 1, 0}, {"DELETE", 1, 1, 1},
			       {"OTHER", 2, 2, 2});
		EXPECT_L7_CLEAN();
	}
}

/* Extended protocol: unnamed and named statements, portals, pipelines, errors. */
WL_TEST(postgresql, extended)
{
	FOR_EACH_HOOK(h) {
		struct conv c;

		pg_start(h, &c);
		/* libpq PQexecParams: P B D E S */
		parse(&rq, "", "SELECT abalance FROM pgbench_accounts WHERE aid = $1");
		pg_bind(&rq, "", "");
		describe(&rq, 'P', "");
		execute(&rq, "", 0);
		msg_empty(&rq, 'S');
		pg_send(h, &c, 0, &rq);
		msg_empty(&rs, '1');
		msg_empty(&rs, '2');
		row_desc(&rs);
		data_row(&rs, 4);
		complete(&rs, "SELECT 1");
		ready(&rs);
		pg_send(h, &c, 1, &rs);
		/* PQprepare: P S, then PQexecPrepared three times: B D E S */
		parse(&rq, "P0_1", "UPDATE pgbench_accounts SET abalance = abalance + $1");
		msg_empty(&rq, 'S');
		pg_send(h, &c, 0, &rq);
		msg_empty(&rs, '1');
		ready(&rs);
		pg_send(h, &c, 1, &rs);
		for (int i = 0; i < 3; i++) {
			pg_bind(&rq, "", "P0_1");
			describe(&rq, 'P', "");
			execute(&rq, "", 0);
			msg_empty(&rq, 'S');
			pg_send(h, &c, 0, &rq);
			msg_empty(&rs, '2');
			msg_empty(&rs, 'n');
			complete(&rs, "UPDATE 1");
			ready(&rs);
			pg_send(h, &c, 1, &rs);
		}
		/* the prepared UPDATE fails at execution: named by its statement */
		pg_bind(&rq, "", "P0_1");
		execute(&rq, "", 0);
		msg_empty(&rq, 'S');
		pg_send(h, &c, 0, &rq);
		msg_empty(&rs, '2');
		pg_error(&rs, "23505");
		ready(&rs);
		pg_send(h, &c, 1, &rs);
		/* a named portal; a pipeline of three executions and one Sync */
		parse(&rq, "ins", "insert into t values ($1)");
		pg_bind(&rq, "cur1", "ins");
		execute(&rq, "cur1", 0);
		for (int i = 0; i < 3; i++) {
			pg_bind(&rq, "", "ins");
			execute(&rq, "", 0);
		}
		msg_empty(&rq, 'S');
		pg_send(h, &c, 0, &rq);
		msg_empty(&rs, '1');
		msg_empty(&rs, '2');
		complete(&rs, "INSERT 0 1");
		for (int i = 0; i < 3; i++) {
			msg_empty(&rs, '2');
			complete(&rs, "INSERT 0 1");
		}
		ready(&rs);
		pg_send(h, &c, 1, &rs);
		/* a pipeline whose second execution fails: the third is never run */
		for (int i = 0; i < 3; i++) {
			pg_bind(&rq, "", "ins");
			execute(&rq, "", 0);
		}
		msg_empty(&rq, 'S');
		pg_send(h, &c, 0, &rq);
		msg_empty(&rs, '2');
		complete(&rs, "INSERT 0 1");
		msg_empty(&rs, '2');
		pg_error(&rs, "23505");
		ready(&rs);
		pg_send(h, &c, 1, &rs);
		/* a Parse that fails: the batch's execution is named by the statement */
		parse(&rq, "", "delete from nope");
		pg_bind(&rq, "", "");
		execute(&rq, "", 0);
		msg_empty(&rq, 'S');
		pg_send(h, &c, 0, &rq);
		pg_error(&rs, "42P01");
		ready(&rs);
		pg_send(h, &c, 1, &rs);
		/* Parse + Sync alone that fails: named by the batch's statement */
		parse(&rq, "bad", "vacuum nope");
		msg_empty(&rq, 'S');
		/* then Describe of a statement, Close, Flush */
		describe(&rq, 'S', "ins");
		msg_str(&rq, 'C', "Sins");
		msg_empty(&rq, 'H');
		msg_empty(&rq, 'S');
		pg_send(h, &c, 0, &rq);
		pg_error(&rs, "42P01");
		ready(&rs);
		{
			size_t at = msg_begin(&rs, 't');

			put16(&rs, 1);
			put32(&rs, 23);
			msg_end(&rs, at);
		}
		msg_empty(&rs, 'n');
		msg_empty(&rs, '3');
		ready(&rs);
		pg_send(h, &c, 1, &rs);
		/* a portal run in two Executes (row limit): one statement */
		parse(&rq, "", "select * from t");
		pg_bind(&rq, "", "");
		execute(&rq, "", 1);
		msg_empty(&rq, 'H');
		pg_send(h, &c, 0, &rq);
		msg_empty(&rs, '1');
		msg_empty(&rs, '2');
		data_row(&rs, 1);
		msg_empty(&rs, 's');
		pg_send(h, &c, 1, &rs);
		execute(&rq, "", 0);
		msg_empty(&rq, 'S');
		pg_send(h, &c, 0, &rq);
		data_row(&rs, 1);
		complete(&rs, "SELECT 2");
		ready(&rs);
		pg_send(h, &c, 1, &rs);
		EXPECT_PG_ONLY(&c, {"SELECT", 2, 2, 0}, {"UPDATE", 4, 4, 1}, {"INSERT", 6, 6, 1},
			       {"DELETE", 1, 1, 1}, {"VACUUM", 1, 1, 1});
		EXPECT_L7_CLEAN();
	}
}

/* ---- describe-first drivers (postgres.js), Flush before Sync, aborted transactions ---- */

static void param_desc(struct mb *m)
{
	size_t at = msg_begin(m, 't');

	put16(m, 1);
	put32(m, 23);
	msg_end(m, at);
}

static void ready_status(struct mb *m, char status)
{
	size_t at = msg_begin(m, 'Z');

	m->b[m->n++] = status;
	msg_end(m, at);
}

/* postgres.js, a parameterised query not prepared yet: Parse (named), Describe 'S', Flush; the
 * driver waits for the description. */
static void pgjs_describe(struct mb *m, const char *name, const char *q)
{
	parse(m, name, q);
	describe(m, 'S', name);
	msg_empty(m, 'H');
}

/* the server's answer to it for a statement returning rows: ParseComplete, ParameterDescription,
 * RowDescription */
static void pgjs_described(struct mb *m)
{
	msg_empty(m, '1');
	param_desc(m);
	row_desc(m);
}

/* then Bind, Execute of the unnamed portal, Sync (postgres.js' prepared(q)) */
static void pgjs_run(struct mb *m, const char *name)
{
	pg_bind(m, "", name);
	execute(m, "", 0);
	msg_empty(m, 'S');
}

WL_TEST(postgresql, describe_first)
{
	FOR_EACH_HOOK(h) {
		struct conv c;

		pg_start(h, &c);
		/* described, then run: one SELECT */
		pgjs_describe(&rq, "p1", "select * from t where id = $1");
		pg_send(h, &c, 0, &rq);
		pgjs_described(&rs);
		pg_send(h, &c, 1, &rs);
		pgjs_run(&rq, "p1");
		pg_send(h, &c, 0, &rq);
		msg_empty(&rs, '2');
		data_row(&rs, 1);
		complete(&rs, "SELECT 1");
		ready(&rs);
		pg_send(h, &c, 1, &rs);
		/* select * from nope where id = $1: the Parse fails before the Sync is sent */
		pgjs_describe(&rq, "p2", "select * from nope where id = $1");
		pg_send(h, &c, 0, &rq);
		pg_error(&rs, "42P01");
		pg_send(h, &c, 1, &rs);
		msg_empty(&rq, 'S');
		pg_send(h, &c, 0, &rq);
		ready(&rs);
		pg_send(h, &c, 1, &rs);
		/* prepared and described, never executed (sql.describe / onlyDescribe): nothing */
		pgjs_describe(&rq, "p3", "update t set v = $1");
		pg_send(h, &c, 0, &rq);
		msg_empty(&rs, '1');
		param_desc(&rs);
		msg_empty(&rs, 'n');
		pg_send(h, &c, 1, &rs);
		msg_empty(&rq, 'S');
		pg_send(h, &c, 0, &rq);
		ready(&rs);
		pg_send(h, &c, 1, &rs);
		/* a named Parse + Describe + Sync that fails (no Flush, no Execute) */
		parse(&rq, "p4", "delete from nope where id = $1");
		describe(&rq, 'S', "p4");
		msg_empty(&rq, 'S');
		pg_send(h, &c, 0, &rq);
		pg_error(&rs, "42P01");
		ready(&rs);
		pg_send(h, &c, 1, &rs);
		/* the prepared statement run again: Bind, Execute, Sync only */
		pgjs_run(&rq, "p1");
		pg_send(h, &c, 0, &rq);
		msg_empty(&rs, '2');
		complete(&rs, "SELECT 0");
		ready(&rs);
		pg_send(h, &c, 1, &rs);
		/* Flush after an Execute (a cursor's first rows): the Execute is the request */
		parse(&rq, "", "insert into t select 1");
		pg_bind(&rq, "", "");
		execute(&rq, "", 0);
		msg_empty(&rq, 'H');
		pg_send(h, &c, 0, &rq);
		msg_empty(&rs, '1');
		msg_empty(&rs, '2');
		pg_error(&rs, "23505");
		pg_send(h, &c, 1, &rs);
		msg_empty(&rq, 'S');
		pg_send(h, &c, 0, &rq);
		ready(&rs);
		pg_send(h, &c, 1, &rs);
		EXPECT_PG_ONLY(&c, {"SELECT", 3, 3, 1}, {"DELETE", 1, 1, 1}, {"INSERT", 1, 1, 1});
		EXPECT_L7_CLEAN();
	}
}

/* Pipelines: postgres.js' Promise.all over one connection (the first query describes, the
 * others queue behind it, then go as Bind/Execute/Sync pipelined), and a driver that sends
 * Parse/Describe/Flush and the rest of the batch at once. */
WL_TEST(postgresql, describe_first_pipelined)
{
	FOR_EACH_HOOK(h) {
		struct conv c;

		pg_start(h, &c);
		pgjs_describe(&rq, "p1", "select $1::int as x");
		pg_send(h, &c, 0, &rq);
		pgjs_described(&rs);
		pg_send(h, &c, 1, &rs);
		for (int i = 0; i < 40; i++)
			pgjs_run(&rq, "p1");
		pgjs_describe(&rq, "p2", "select * from nope where id = $1");
		pg_send(h, &c, 0, &rq);
		for (int i = 0; i < 40; i++) {
			msg_empty(&rs, '2');
			data_row(&rs, 2);
			complete(&rs, "SELECT 1");
			ready(&rs);
		}
		pg_error(&rs, "42P01");
		pg_send(h, &c, 1, &rs);
		msg_empty(&rq, 'S');
		pg_send(h, &c, 0, &rq);
		ready(&rs);
		pg_send(h, &c, 1, &rs);
		/* all at once: P D H B E S, the first run fine, the second's Parse fails (the error
		 * is the Execute's: the Flush has a request behind it) */
		for (int i = 0; i < 2; i++) {
			parse(&rq, "", i ? "delete from nope" : "insert into t values ($1)");
			describe(&rq, 'S', "");
			msg_empty(&rq, 'H');
			pg_bind(&rq, "", "");
			execute(&rq, "", 0);
			msg_empty(&rq, 'S');
		}
		pg_send(h, &c, 0, &rq);
		msg_empty(&rs, '1');
		param_desc(&rs);
		msg_empty(&rs, 'n');
		msg_empty(&rs, '2');
		complete(&rs, "INSERT 0 1");
		ready(&rs);
		pg_error(&rs, "42P01");
		ready(&rs);
		pg_send(h, &c, 1, &rs);
		EXPECT_PG_ONLY(&c, {"SELECT", 41, 41, 1}, {"INSERT", 1, 1, 0}, {"DELETE", 1, 1, 1});
		CU_ASSERT_EQUAL(harness_counters().l7_fifo_overflow, 0);
		EXPECT_L7_CLEAN();
	}
}

/* A failed statement in a transaction, then statements the server refuses ("current
 * transaction is aborted", 25P02) in every form a driver sends them, then ROLLBACK. */
WL_TEST(postgresql, aborted_transaction)
{
	FOR_EACH_HOOK(h) {
		struct conv c;

		pg_start(h, &c);
		/* postgres.js sql.begin: begin (no parameters: P D B E S) */
		parse(&rq, "b1", "begin");
		describe(&rq, 'S', "b1");
		pgjs_run(&rq, "b1");
		pg_send(h, &c, 0, &rq);
		msg_empty(&rs, '1');
		msg_empty(&rs, 'n');
		msg_empty(&rs, '2');
		complete(&rs, "BEGIN");
		ready_status(&rs, 'T');
		pg_send(h, &c, 1, &rs);
		/* a statement prepared before (p1), run fine */
		pgjs_describe(&rq, "p1", "select $1::int as x");
		pg_send(h, &c, 0, &rq);
		pgjs_described(&rs);
		pg_send(h, &c, 1, &rs);
		pgjs_run(&rq, "p1");
		pg_send(h, &c, 0, &rq);
		msg_empty(&rs, '2');
		data_row(&rs, 1);
		complete(&rs, "SELECT 1");
		ready_status(&rs, 'T');
		pg_send(h, &c, 1, &rs);
		/* the failure: a describe-first insert */
		pgjs_describe(&rq, "p2", "insert into nope values ($1)");
		pg_send(h, &c, 0, &rq);
		pg_error(&rs, "42P01");
		pg_send(h, &c, 1, &rs);
		msg_empty(&rq, 'S');
		pg_send(h, &c, 0, &rq);
		ready_status(&rs, 'E');
		pg_send(h, &c, 1, &rs);
		/* refused: a new parameterised statement (its Parse) */
		pgjs_describe(&rq, "p3", "update t set v = $1");
		pg_send(h, &c, 0, &rq);
		pg_error(&rs, "25P02");
		pg_send(h, &c, 1, &rs);
		msg_empty(&rq, 'S');
		pg_send(h, &c, 0, &rq);
		ready_status(&rs, 'E');
		pg_send(h, &c, 1, &rs);
		/* refused: the prepared one (its Bind) */
		pgjs_run(&rq, "p1");
		pg_send(h, &c, 0, &rq);
		pg_error(&rs, "25P02");
		ready_status(&rs, 'E');
		pg_send(h, &c, 1, &rs);
		/* refused: node-postgres text and unnamed extended queries */
		query(&rq, "delete from t");
		parse(&rq, "", "select $1::text");
		pg_bind(&rq, "", "");
		describe(&rq, 'P', "");
		execute(&rq, "", 0);
		msg_empty(&rq, 'S');
		pg_send(h, &c, 0, &rq);
		pg_error(&rs, "25P02");
		ready_status(&rs, 'E');
		pg_error(&rs, "25P02");
		ready_status(&rs, 'E');
		pg_send(h, &c, 1, &rs);
		/* ROLLBACK (accepted in an aborted transaction) */
		parse(&rq, "r1", "rollback");
		describe(&rq, 'S', "r1");
		pgjs_run(&rq, "r1");
		pg_send(h, &c, 0, &rq);
		msg_empty(&rs, '1');
		msg_empty(&rs, 'n');
		msg_empty(&rs, '2');
		complete(&rs, "ROLLBACK");
		ready(&rs);
		pg_send(h, &c, 1, &rs);
		EXPECT_PG_ONLY(&c, {"BEGIN", 1, 1, 0}, {"SELECT", 3, 3, 2}, {"INSERT", 1, 1, 1},
			       {"UPDATE", 1, 1, 1}, {"DELETE", 1, 1, 1}, {"ROLLBACK", 1, 1, 0});
		EXPECT_L7_CLEAN();
	}
}

/* The describe-first failure with both directions cut at every offset. */
WL_TEST(postgresql, describe_first_split)
{
	static struct mb req1, resp1, req2, resp2;

	req1.n = resp1.n = req2.n = resp2.n = 0;
	pgjs_describe(&req1, "p2", "select * from nope where id = $1");
	pg_error(&resp1, "42P01");
	msg_empty(&req2, 'S');
	pgjs_describe(&req2, "p1", "select $1::int");
	ready(&resp2);
	pgjs_described(&resp2);
	FOR_EACH_HOOK(h) {
		size_t max = req1.n > resp1.n ? req1.n : resp1.n;

		for (size_t cut = 1; cut < max; cut++) {
			struct conv c;

			pg_start(h, &c);
			conv_split(h, &c, 0, req1.b, req1.n, cut);
			conv_split(h, &c, 1, resp1.b, resp1.n, cut);
			conv_seg(h, &c, 0, req2.b, req2.n, 0);
			conv_seg(h, &c, 1, resp2.b, resp2.n, 0);
			pgjs_run(&rq, "p1");
			pg_send(h, &c, 0, &rq);
			msg_empty(&rs, '2');
			complete(&rs, "SELECT 1");
			ready(&rs);
			pg_send(h, &c, 1, &rs);
			EXPECT_PG(&c, "SELECT", 2, 2, 1);
			EXPECT_L7_CLEAN();
		}
	}
}

WL_TEST(postgresql, copy_and_function_call)
{
	FOR_EACH_HOOK(h) {
		struct conv c;
		size_t at;

		pg_start(h, &c);
		query(&rq, "copy pgbench_accounts from stdin");
		pg_send(h, &c, 0, &rq);
		at = msg_begin(&rs, 'G');
		rs.b[rs.n++] = 0;
		put16(&rs, 0);
		msg_end(&rs, at);
		pg_send(h, &c, 1, &rs);
		for (int i = 0; i < 100; i++)
			copy_data(&rq, 'd', "1\t1\t0\t\n");
		msg_empty(&rq, 'c');
		pg_send(h, &c, 0, &rq);
		complete(&rs, "COPY 100");
		ready(&rs);
		pg_send(h, &c, 1, &rs);
		/* COPY TO STDOUT */
		query(&rq, "COPY t TO STDOUT");
		pg_send(h, &c, 0, &rq);
		at = msg_begin(&rs, 'H');
		rs.b[rs.n++] = 0;
		put16(&rs, 0);
		msg_end(&rs, at);
		copy_data(&rs, 'd', "1\n");
		copy_data(&rs, 'd', "2\n");
		msg_empty(&rs, 'c');
		complete(&rs, "COPY 2");
		ready(&rs);
		pg_send(h, &c, 1, &rs);
		/* a COPY the client gives up */
		query(&rq, "copy t from stdin");
		pg_send(h, &c, 0, &rq);
		at = msg_begin(&rs, 'G');
		rs.b[rs.n++] = 0;
		put16(&rs, 0);
		msg_end(&rs, at);
		pg_send(h, &c, 1, &rs);
		copy_data(&rq, 'd', "1\n");
		msg_str(&rq, 'f', "aborted by user");
		pg_send(h, &c, 0, &rq);
		pg_error(&rs, "57014");
		ready(&rs);
		pg_send(h, &c, 1, &rs);
		/* fast-path function call */
		at = msg_begin(&rq, 'F');
		put32(&rq, 1598);
		put16(&rq, 0);
		put16(&rq, 0);
		put16(&rq, 0);
		msg_end(&rq, at);
		pg_send(h, &c, 0, &rq);
		at = msg_begin(&rs, 'V');
		put32(&rs, 4);
		put32(&rs, 7);
		msg_end(&rs, at);
		ready(&rs);
		pg_send(h, &c, 1, &rs);
		EXPECT_PG(&c, "COPY", 3, 3, 1);
		EXPECT_PG(&c, "FUNCTION_CALL", 1, 1, 0);
		EXPECT_L7_CLEAN();
	}
}

/* One simple exchange and one extended batch cut at every byte offset, both directions. */
WL_TEST(postgresql, split_every_offset)
{
	static struct mb req, resp;

	req.n = resp.n = 0;
	query(&req, "select 1");
	parse(&req, "s", "update t set x = 1");
	pg_bind(&req, "", "s");
	execute(&req, "", 0);
	msg_empty(&req, 'S');
	row_desc(&resp);
	data_row(&resp, 1);
	complete(&resp, "SELECT 1");
	ready(&resp);
	msg_empty(&resp, '1');
	msg_empty(&resp, '2');
	complete(&resp, "UPDATE 1");
	ready(&resp);
	FOR_EACH_HOOK(h) {
		size_t max = req.n > resp.n ? req.n : resp.n;

		for (size_t cut = 1; cut < max; cut++) {
			struct conv c;

			pg_start(h, &c);
			conv_split(h, &c, 0, req.b, req.n, cut);
			conv_split(h, &c, 1, resp.b, resp.n, cut);
			EXPECT_PG(&c, "SELECT", 1, 1, 0);
			EXPECT_PG(&c, "UPDATE", 1, 1, 0);
			EXPECT_L7_CLEAN();
		}
	}
}

/* The connection start cut at every offset (startup, SSL answer, authentication). */
WL_TEST(postgresql, split_startup)
{
	static struct mb req, resp;

	req.n = resp.n = 0;
	startup(&req);
	query(&req, "select 1");
	server_start(&resp);
	complete(&resp, "SELECT 1");
	ready(&resp);
	FOR_EACH_HOOK(h) {
		for (size_t cut = 1; cut < req.n || cut < resp.n; cut++) {
			struct conv c;

			conv_start(h, &c, PG_PORT);
			conv_split(h, &c, 0, req.b, req.n, cut);
			conv_split(h, &c, 1, resp.b, resp.n, cut);
			EXPECT_PG(&c, "SELECT", 1, 1, 0);
			EXPECT_L7_CLEAN();
		}
	}
}

/* Every message byte by byte: one segment per byte. */
WL_TEST(postgresql, byte_by_byte)
{
	FOR_EACH_HOOK(h) {
		struct conv c;

		pg_start(h, &c);
		query(&rq, "/* x */ delete from t where x = 1");
		parse(&rq, "longer_statement_name", "insert into t values ($1)");
		pg_bind(&rq, "portal", "longer_statement_name");
		execute(&rq, "portal", 0);
		msg_empty(&rq, 'S');
		for (size_t i = 0; i < rq.n; i++)
			conv_seg(h, &c, 0, rq.b + i, 1, 0);
		rq.n = 0;
		complete(&rs, "DELETE 1");
		ready(&rs);
		msg_empty(&rs, '1');
		msg_empty(&rs, '2');
		complete(&rs, "INSERT 0 1");
		ready(&rs);
		for (size_t i = 0; i < rs.n; i++)
			conv_seg(h, &c, 1, rs.b + i, 1, 0);
		rs.n = 0;
		EXPECT_PG(&c, "DELETE", 1, 1, 0);
		EXPECT_PG(&c, "INSERT", 1, 1, 0);
		EXPECT_L7_CLEAN();
	}
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
		for (size_t off = 0; off < rq.n; off += 1448)
			conv_seg(h, &c, 0, rq.b + off, rq.n - off < 1448 ? rq.n - off : 1448, 0);
		rq.n = 0;
		row_desc(&rs);
		for (int i = 0; i < 3; i++)
			data_row(&rs, 15000);
		complete(&rs, "SELECT 3");
		rlen = rs.n;
		ready(&rs);
		for (size_t off = 0; off < rs.n; off += 1448)
			conv_seg(h, &c, 1, rs.b + off, rs.n - off < 1448 ? rs.n - off : 1448, 0);
		rs.n = 0;
		/* a keyword after more blanks than the scan budget: OTHER on error */
		memcpy(big, "      ", 6);
		query(&rq, big);
		for (size_t off = 0; off < rq.n; off += 1448)
			conv_seg(h, &c, 0, rq.b + off, rq.n - off < 1448 ? rq.n - off : 1448, 0);
		rq.n = 0;
		pg_error(&rs, "42601");
		ready(&rs);
		pg_send(h, &c, 1, &rs);
		EXPECT_PG(&c, "SELECT", 1, 1, 0);
		EXPECT_PG(&c, "OTHER", 1, 1, 1);
		conv_stats(&c, WL_L7_POSTGRES, "SELECT", &st);
		CU_ASSERT_EQUAL(st.response_bytes, rlen);
		EXPECT_L7_CLEAN();
	}
}

WL_TEST(postgresql, pipelined_queries)
{
	FOR_EACH_HOOK(h) {
		struct conv c;

		pg_start(h, &c);
		for (int i = 0; i < 20; i++)
			query(&rq, i % 2 ? "insert into t values (1)" : "select 1");
		pg_send(h, &c, 0, &rq);
		for (int i = 0; i < 20; i++) {
			if (i % 2) {
				complete(&rs, "INSERT 0 1");
			} else {
				row_desc(&rs);
				data_row(&rs, 1);
				complete(&rs, "SELECT 1");
			}
			ready(&rs);
		}
		pg_send(h, &c, 1, &rs);
		EXPECT_PG(&c, "SELECT", 10, 10, 0);
		EXPECT_PG(&c, "INSERT", 10, 10, 0);
		CU_ASSERT_EQUAL(harness_counters().l7_fifo_overflow, 0);
		EXPECT_L7_CLEAN();
	}
}

WL_TEST(postgresql, retransmit_and_gap)
{
	FOR_EACH_HOOK(h) {
		struct wl_counters cnt;
		uint32_t saved;
		struct conv c;

		pg_start(h, &c);
		saved = c.cseq;
		query(&rq, "select 1");
		pg_send(h, &c, 0, &rq);
		c.cseq = saved;
		query(&rq, "select 1"); /* the same segment again */
		pg_send(h, &c, 0, &rq);
		complete(&rs, "SELECT 1");
		ready(&rs);
		pg_send(h, &c, 1, &rs);
		c.cseq += 100;				  /* 100 bytes lost */
		conv_seg(h, &c, 0, "ere x = 1\0", 10, 0); /* tail of a lost query: skipped */
		query(&rq, "update t set x = 1");	  /* starts on a boundary */
		pg_send(h, &c, 0, &rq);
		complete(&rs, "UPDATE 1");
		ready(&rs);
		pg_send(h, &c, 1, &rs);
		cnt = harness_counters();
		EXPECT_PG(&c, "SELECT", 1, 1, 0);
		EXPECT_PG(&c, "UPDATE", 1, 1, 0);
		CU_ASSERT_EQUAL(cnt.l7_retransmit, 1);
		CU_ASSERT_EQUAL(cnt.l7_gap, 1);
		CU_ASSERT_EQUAL(cnt.l7_resync_skip, 1);
		CU_ASSERT_EQUAL(cnt.l7_malformed, 0);
	}
}

/* Joined mid-stream (no SYN, no startup): the first segments start on a message boundary. */
WL_TEST(postgresql, mid_stream)
{
	FOR_EACH_HOOK(h) {
		struct conv c;

		harness_reset();
		conv_init(&c, PG_PORT);
		pg_bind(&rq, "", "");
		execute(&rq, "", 0);
		msg_empty(&rq, 'S');
		pg_send(h, &c, 0, &rq); /* a statement parsed before we joined: OTHER */
		msg_empty(&rs, '2');
		complete(&rs, "SELECT 1");
		ready(&rs);
		pg_send(h, &c, 1, &rs);
		query(&rq, "commit");
		pg_send(h, &c, 0, &rq);
		complete(&rs, "COMMIT");
		ready(&rs);
		pg_send(h, &c, 1, &rs);
		EXPECT_PG(&c, "SELECT", 1, 1, 0);
		EXPECT_PG(&c, "COMMIT", 1, 1, 0);
		EXPECT_L7_CLEAN();
	}
}

WL_TEST(postgresql, unmatched)
{
	FOR_EACH_HOOK(h) {
		struct conv c;

		pg_start(h, &c);
		/* the server terminates an idle session */
		pg_error(&rs, "57P01");
		pg_send(h, &c, 1, &rs);
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
			query(&rq, "select 1");
			pg_send(h, &c, 0, &rq);
			complete(&rs, "SELECT 1");
			ready(&rs);
			pg_send(h, &c, 1, &rs);
			EXPECT_PG(&c, "SELECT", 1, 1, 0);
			CU_ASSERT_EQUAL(harness_counters().l7_malformed, 1);
		}
		for (size_t i = 0; i < sizeof(bad_resp) / sizeof(bad_resp[0]); i++) {
			struct conv c;

			pg_start(h, &c);
			query(&rq, "select 1");
			pg_send(h, &c, 0, &rq);
			conv_seg(h, &c, 1, bad_resp[i], 8, 0);
			CU_ASSERT_EQUAL(harness_counters().l7_malformed, 1);
			query(&rq, "select 2");
			pg_send(h, &c, 0, &rq);
			complete(&rs, "SELECT 1");
			ready(&rs);
			pg_send(h, &c, 1, &rs);
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
			complete(&rs, "SELECT 1");
			ready(&rs);
			pg_send(h, &c, 1, &rs);
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
			CU_ASSERT_EQUAL(harness_counters().l7_malformed, 1);
			CU_ASSERT_EQUAL(harness_counters().l7_resync_skip, 1);
		}
	}
}

WL_TEST(postgresql, sniffed_port)
{
	FOR_EACH_HOOK(h) {
		struct conv c;

		harness_reset();
		conv_init(&c, 7000);
		conv_handshake(h, &c); /* port 7000 is unknown: nothing tracked yet */
		startup(&rq);
		pg_send(h, &c, 0, &rq);
		server_start(&rs);
		pg_send(h, &c, 1, &rs);
		query(&rq, "select 1");
		pg_send(h, &c, 0, &rq);
		complete(&rs, "SELECT 1");
		ready(&rs);
		pg_send(h, &c, 1, &rs);
		EXPECT_PG(&c, "SELECT", 1, 1, 0);
		EXPECT_L7_CLEAN();
		/* an SSLRequest alone is enough */
		conv_init(&c, 7001);
		conv_handshake(h, &c);
		ssl_request(&rq, 80877103);
		pg_send(h, &c, 0, &rq);
		conv_seg(h, &c, 1, "S", 1, 0);
		EXPECT_PG(&c, "TLS", 1, 1, 0);
	}
}

/* Server ports of the captures that do not use 5432 (from oracle.sh). */
static const struct capture_port capture_ports[] = {
	{"postgresql/pgsql-all.pcap", 8000},
};

/* Where the server's report differs from the statement's first keyword, seen in the capture:
 * a COMMIT in an aborted transaction is answered with the tag ROLLBACK. */
static const struct capture_exception capture_exceptions[] = {
	{"postgresql/pgsql-simple-query-rollback_input.pcap", "simple_query_verb", "COMMIT", 2,
	 "one of the 3 COMMITs is in an aborted transaction: tag ROLLBACK"},
	{"postgresql/pgsql-simple-query-rollback_input.pcap", "simple_query_verb", "ROLLBACK", 1,
	 "the COMMIT answered with the tag ROLLBACK"},
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
	CAPTURE_EXCEPTIONS(capture_exceptions),
	.figures = {.compared = 44, .excepted = 4},
	.check = capture_check_postgresql,
};
