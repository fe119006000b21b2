// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* MySQL / MariaDB through the L7 engine: crafted conversations, exact per-command stats. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include <CUnit/CUnit.h>

#include "capture_cmds.h"
#include "expect.h"
#include "harness.h"
#include "l7conv.h"
#include "pcap_replay.h"
#include "suites.h"
#include "loader/l7cfg.h"
#include "loader/names/mysql.h"

#define PORT 3306

#define CAPS_BASE                                                                                  \
	0x000ba285u /* long password, found rows, long flag, connect with db, protocol             \
		     * 41, transactions, secure connection, multi statements/results */
#define CAPS_DEPEOF 0x01000000u
#define CAPS_SSL    0x00000800u
#define CAPS_COMPR  0x00000020u
#define MORE	    0x0008

/* A growing byte string of MySQL packets. */
struct mb {
	uint8_t *d;
	size_t n, cap;
};

static void mb_raw(struct mb *b, const void *p, size_t len)
{
	if (b->n + len > b->cap) {
		b->cap = (b->n + len) * 2 + 256;
		b->d = realloc(b->d, b->cap);
	}
	memcpy(b->d + b->n, p, len);
	b->n += len;
}

static void mb_free(struct mb *b)
{
	free(b->d);
	memset(b, 0, sizeof(*b));
}

/* One packet: 3-byte length, sequence id, payload. */
static void mb_pkt(struct mb *b, uint8_t seq, const void *p, size_t len)
{
	uint8_t h[4] = {len & 0xff, (len >> 8) & 0xff, (len >> 16) & 0xff, seq};

	mb_raw(b, h, 4);
	mb_raw(b, p, len);
}

static void mb_cmd(struct mb *b, uint8_t cmd, const void *arg, size_t len)
{
	uint8_t p[512];

	p[0] = cmd;
	memcpy(p + 1, arg, len);
	mb_pkt(b, 0, p, len + 1);
}

static void mb_query(struct mb *b, uint8_t cmd, const char *sql)
{
	mb_cmd(b, cmd, sql, strlen(sql));
}

static void mb_stmt(struct mb *b, uint8_t cmd, uint32_t id, size_t extra)
{
	uint8_t p[32] = {0};

	memcpy(p, &id, 4);
	mb_cmd(b, cmd, p, 4 + extra);
}

static void mb_ok(struct mb *b, uint8_t seq, uint16_t status, int hdr_fe)
{
	uint8_t p[7] = {hdr_fe ? 0xfe : 0x00, 0, 0, status & 0xff, status >> 8, 0, 0};

	mb_pkt(b, seq, p, 7);
}

static void mb_err(struct mb *b, uint8_t seq, uint16_t code)
{
	static const char msg[] = "\xff\x00\x00#42S02Table 'test.nope' doesn't exist";
	uint8_t p[64];

	memcpy(p, msg, sizeof(msg) - 1);
	p[1] = code & 0xff;
	p[2] = code >> 8;
	mb_pkt(b, seq, p, sizeof(msg) - 1);
}

static void mb_eof(struct mb *b, uint8_t seq, uint16_t status)
{
	uint8_t p[5] = {0xfe, 0, 0, status & 0xff, status >> 8};

	mb_pkt(b, seq, p, 5);
}

/* End of definitions or rows: EOF, or (CLIENT_DEPRECATE_EOF) OK with a 0xfe header. */
static void mb_term(struct mb *b, uint8_t seq, uint16_t status, int deprecate_eof)
{
	if (deprecate_eof)
		mb_ok(b, seq, status, 1);
	else
		mb_eof(b, seq, status);
}

static void mb_coldef(struct mb *b, uint8_t seq, const char *name)
{
	uint8_t p[128];
	size_t n = 0, l = strlen(name);

	memcpy(p,
	       "\x03"
	       "def\x04test\x02t1\x02t1",
	       14);
	n = 14;
	p[n++] = l;
	memcpy(p + n, name, l);
	n += l;
	p[n++] = l;
	memcpy(p + n, name, l);
	n += l;
	memcpy(p + n, "\x0c\x21\x00\x0b\x00\x00\x00\x03\x00\x00\x00\x00\x00", 13);
	n += 13;
	mb_pkt(b, seq, p, n);
}

/* A text (or binary) result set of ncols columns and nrows rows of rowlen bytes. Returns the
 * next sequence id. */
static uint8_t mb_rs(struct mb *b, uint8_t seq, int ncols, int nrows, size_t rowlen, int deprecate,
		     uint16_t status, int binary)
{
	uint8_t cc = ncols, *row = calloc(1, rowlen + 1);

	mb_pkt(b, seq++, &cc, 1);
	for (int i = 0; i < ncols; i++)
		mb_coldef(b, seq++, "c");
	if (!deprecate)
		mb_eof(b, seq++, 0);
	for (int r = 0; r < nrows; r++) {
		if (binary) {
			row[0] = 0x00;
			memset(row + 1, 'b', rowlen - 1);
		} else {
			row[0] = rowlen - 1; /* one lenenc string */
			memset(row + 1, 'a' + r % 26, rowlen - 1);
		}
		mb_pkt(b, seq++, row, rowlen);
	}
	mb_term(b, seq++, status, deprecate);
	free(row);
	return seq;
}

#define CURSOR_EXISTS 0x0040 /* SERVER_STATUS_CURSOR_EXISTS */
#define LAST_ROW_SENT 0x0080 /* SERVER_STATUS_LAST_ROW_SENT */
#define ST_CURSOR     (2 | CURSOR_EXISTS)
#define ST_LAST	      (2 | LAST_ROW_SENT)

/* STMT_PREPARE_OK of statement id with its parameter and column definitions (and, without
 * CLIENT_DEPRECATE_EOF, an EOF after each group). */
static void mb_prepare_ok(struct mb *b, uint32_t id, int ncols, int nparams, int deprecate)
{
	uint8_t ok[12] = {0x00, 0, 0, 0, 0, ncols, 0, nparams, 0, 0, 0, 0}, seq = 1;

	memcpy(ok + 1, &id, 4);
	mb_pkt(b, seq++, ok, 12);
	for (int i = 0; i < nparams; i++)
		mb_coldef(b, seq++, "?");
	if (nparams && !deprecate)
		mb_eof(b, seq++, 2);
	for (int i = 0; i < ncols; i++)
		mb_coldef(b, seq++, "c");
	if (ncols && !deprecate)
		mb_eof(b, seq++, 2);
}

/* COM_STMT_EXECUTE of statement id: flags (1: CURSOR_TYPE_READ_ONLY), iteration count 1, then
 * extra bytes of parameters. */
static void mb_exec(struct mb *b, uint32_t id, uint8_t flags, size_t extra)
{
	uint8_t p[64] = {0};

	memcpy(p, &id, 4);
	p[4] = flags;
	p[5] = 1;
	mb_cmd(b, 0x17, p, 9 + extra);
}

static void mb_fetch(struct mb *b, uint32_t id, uint32_t rows)
{
	uint8_t p[8];

	memcpy(p, &id, 4);
	memcpy(p + 4, &rows, 4);
	mb_cmd(b, 0x1c, p, 8);
}

/*
 * The answer to a COM_STMT_EXECUTE that opened a cursor: column count, definitions, and one
 * terminator (EOF, or with CLIENT_DEPRECATE_EOF an OK with a 0xfe header) whose status has
 * SERVER_STATUS_CURSOR_EXISTS; no rows. meta: 0 a bare column count, 1 MariaDB's metadata flag
 * "definitions follow", 2 "definitions cached by the client" (none sent). Offset of the
 * terminator packet into *term.
 */
static void mb_cursor_open(struct mb *b, int ncols, int meta, int deprecate, size_t *term)
{
	uint8_t cc[2] = {ncols, meta == 1}, seq = 1;

	mb_pkt(b, seq++, cc, meta ? 2 : 1);
	for (int i = 0; meta != 2 && i < ncols; i++)
		mb_coldef(b, seq++, "c");
	if (term)
		*term = b->n;
	mb_term(b, seq, ST_CURSOR, deprecate);
}

/* The answer to a COM_STMT_FETCH: binary rows, then a terminator with status. */
static void mb_fetch_resp(struct mb *b, int nrows, uint16_t status, int deprecate, size_t *term)
{
	static const uint8_t row[11] = {0x00, 0x00, 1, 0, 0, 0, 4, 'r', 'o', 'w', '1'};
	uint8_t seq = 1;

	for (int r = 0; r < nrows; r++)
		mb_pkt(b, seq++, row, sizeof(row));
	if (term)
		*term = b->n;
	mb_term(b, seq, status, deprecate);
}

static void send_all(enum wl_hook h, struct conv *c, int from_server, const struct mb *b,
		     size_t seg)
{
	for (size_t off = 0; off < b->n; off += seg)
		conv_seg(h, c, from_server, b->d + off, b->n - off < seg ? b->n - off : seg, 0);
}

static void send(enum wl_hook h, struct conv *c, int from_server, struct mb *b)
{
	send_all(h, c, from_server, b, 1448);
	b->n = 0;
}

/* SYN/SYN-ACK, greeting, handshake response, an auth switch round trip, OK. */
static void login(enum wl_hook h, struct conv *c, uint32_t caps)
{
	struct mb b = {0};
	uint8_t g[128], r[128];
	size_t n;

	conv_handshake(h, c);
	n = conv_mysql_greeting(g, CAPS_BASE | CAPS_DEPEOF | CAPS_SSL | CAPS_COMPR);
	mb_pkt(&b, 0, g, n);
	send(h, c, 1, &b);

	n = conv_mysql_handshake_response(r, caps);
	if (caps & CAPS_SSL) { /* SSL request: the first 32 bytes only */
		mb_pkt(&b, 1, r, 32);
		send(h, c, 0, &b);
		mb_free(&b);
		return;
	}
	mb_pkt(&b, 1, r, n);
	send(h, c, 0, &b);
	/* auth switch request, client answer, OK */
	mb_pkt(&b, 2,
	       "\xfe"
	       "mysql_native_password\0"
	       "01234567890123456789",
	       43);
	send(h, c, 1, &b);
	mb_pkt(&b, 3, "01234567890123456789", 20);
	send(h, c, 0, &b);
	mb_ok(&b, 4, 2, 0);
	send(h, c, 1, &b);
	mb_free(&b);
}

/* A fresh case: every map emptied, then a login with caps to port. */
static void start(enum wl_hook h, struct conv *c, uint16_t port, uint32_t caps)
{
	harness_reset();
	conv_init(c, port);
	login(h, c, caps);
}

/* ---- conversations as scripts ---- */

/* Whether the scripted server answers with CLIENT_DEPRECATE_EOF (OK packets ending
 * definitions and rows instead of EOF). */
static int my_dep;

/* One message of a MySQL script line (l7conv.h conv_play), into b:
 *   client  Q<sql> (COM_QUERY)  P<sql> (COM_STMT_PREPARE)  X<id>:<flags>:<extra> (EXECUTE)
 *           F<id>:<rows> (FETCH)  R<id> (RESET)  L<id> (CLOSE)  K (PING)
 *   server  p<id>:<columns>:<parameters> (PREPARE_OK)  V<columns>:<meta> (a cursor opened)
 *           W<rows>:<c|l> (fetched rows, the cursor open or its last row sent)  O (OK)
 *           E<code> (ERR)  S<columns>:<rows>:<row bytes>:<binary> (a result set)
 * Sequence ids start at 1 in every answer. */
static void my_msg(struct mb *b, int from_server, const char *t)
{
	unsigned a = 0, x = 0, y = 0, z = 0;
	int n = sscanf(t + 1, "%u:%u:%u:%u", &a, &x, &y, &z);
	char st = 0;

	if (!from_server && *t == 'Q')
		mb_query(b, 0x03, t + 1);
	else if (!from_server && *t == 'P')
		mb_query(b, 0x16, t + 1);
	else if (!from_server && *t == 'X' && n == 3)
		mb_exec(b, a, x, y);
	else if (!from_server && *t == 'F' && n == 2)
		mb_fetch(b, a, x);
	else if (!from_server && (*t == 'R' || *t == 'L') && n == 1)
		mb_stmt(b, *t == 'R' ? 0x1a : 0x19, a, 0);
	else if (!from_server && !strcmp(t, "K"))
		mb_cmd(b, 0x0e, "", 0);
	else if (from_server && *t == 'p' && n == 3)
		mb_prepare_ok(b, a, x, y, my_dep);
	else if (from_server && *t == 'V' && n == 2)
		mb_cursor_open(b, a, x, my_dep, NULL);
	else if (from_server && *t == 'W' && sscanf(t + 1, "%u:%c", &a, &st) == 2 &&
		 (st == 'c' || st == 'l'))
		mb_fetch_resp(b, a, st == 'c' ? ST_CURSOR : ST_LAST, my_dep, NULL);
	else if (from_server && !strcmp(t, "O"))
		mb_ok(b, 1, 2, 0);
	else if (from_server && *t == 'E' && n == 1)
		mb_err(b, 1, a);
	else if (from_server && *t == 'S' && n == 4)
		mb_rs(b, 1, a, x, y, my_dep, 2, z);
	else {
		CU_FAIL("unknown message in a MySQL script");
		fprintf(stderr, "\n  unknown %s message %s\n", from_server ? "server" : "client",
			t);
	}
}

/* Appends the messages of one script line ('|' between them) to m. */
static void my_append(struct conv_buf *m, int from_server, const char *line)
{
	struct mb b = {0};

	for (const char *t = line; *t;) {
		size_t len = strcspn(t, "|");
		char tok[256];

		snprintf(tok, sizeof(tok), "%.*s", (int)len, t);
		my_msg(&b, from_server, tok);
		t += len + (t[len] == '|');
	}
	if (b.n <= sizeof(m->b) - m->n) {
		memcpy(m->b + m->n, b.d, b.n);
		m->n += b.n;
	}
	mb_free(&b);
}

/* The bytes of the messages of a server line. */
static size_t my_bytes(const char *line)
{
	static struct conv_buf m;

	m.n = 0;
	my_append(&m, 1, line);
	return m.n;
}

#define EXPECT(cmd, rq, rs, er) EXPECT_CMD_STATS(&c, WL_L7_MYSQL, cmd, rq, rs, er)
#define EXPECT_ONLY(...)	EXPECT_CMDS_ONLY(&c, WL_L7_MYSQL, __VA_ARGS__)

/* Login (with and without CLIENT_DEPRECATE_EOF), a query with a result set, ping, quit. */
WL_TEST(mysql, login_query_quit)
{
	FOR_EACH_HOOK(h) {
		for (int dep = 0; dep < 2; dep++) {
			struct conv c;
			struct mb b = {0}, r = {0};
			struct wl_cmd_stats st;

			start(h, &c, PORT, CAPS_BASE | (dep ? CAPS_DEPEOF : 0));
			mb_query(&b, 0x03, "select @@version_comment limit 1");
			send(h, &c, 0, &b);
			mb_rs(&r, 1, 1, 1, 20, dep, 2, 0);
			size_t rbytes = r.n;
			send(h, &c, 1, &r);
			mb_cmd(&b, 0x0e, "", 0);
			send(h, &c, 0, &b);
			mb_ok(&r, 1, 2, 0);
			send(h, &c, 1, &r);
			mb_cmd(&b, 0x01, "", 0);
			send(h, &c, 0, &b);
			EXPECT_ONLY({"SELECT", 1, 1, 0}, {"COM_PING", 1, 1, 0},
				    {"COM_QUIT", 1, 0, 0});
			conv_stats(&c, WL_L7_MYSQL, "SELECT", &st);
			CU_ASSERT_EQUAL(st.request_bytes, 4 + 1 + 32);
			CU_ASSERT_EQUAL(st.response_bytes, rbytes);
			EXPECT_L7_CLEAN();
			mb_free(&b);
			mb_free(&r);
		}
	}
}

/* Statement keywords: comments, blanks, case, executable comments. */
WL_TEST(mysql, query_verbs)
{
	static const struct {
		const char *sql, *name;
	} q[] = {
		{"SELECT 1", "SELECT"},
		{"  \t\n select\t1", "SELECT"},
		{"/* app:42 */ INSERT INTO t VALUES (1)", "INSERT"},
		{"/**/update t set a=1", "UPDATE"},
		{"-- comment\nDELETE FROM t", "DELETE"},
		{"# hash comment\r\nreplace into t values(1)", "REPLACE"},
		{"(SELECT 1) UNION (SELECT 2)", "SELECT"},
		{"/*!40101 SET NAMES utf8 */", "SET"},
		{"/*M!100101 SET @a=1 */", "SET"},
		{"BEGIN", "BEGIN"},
		{"start transaction", "START"},
		{"COMMIT", "COMMIT"},
		{"rollback", "ROLLBACK"},
		{"SHOW TABLES", "SHOW"},
		{"create table t (a int)", "CREATE"},
		{"DROP TABLE t", "DROP"},
		{"ALTER TABLE t ADD b INT", "ALTER"},
		{"TRUNCATE t", "TRUNCATE"},
		{"CALL p()", "CALL"},
		{"USE test", "USE"},
		{"DO 1", "DO"},
		{"GRANT ALL ON *.* TO x", "GRANT"},
		{"LOCK TABLES t READ", "LOCK"},
		{"UNLOCK TABLES", "UNLOCK"},
		{"EXPLAIN SELECT 1", "EXPLAIN"},
		{"DESCRIBE t", "DESCRIBE"},
		{"ANALYZE TABLE t", "ANALYZE"},
		{"OPTIMIZE TABLE t", "OPTIMIZE"},
		{"\x00\x01SELECT DATABASE()", "SELECT"}, /* MySQL 8 query attributes, none */
		{"SELEKT 1", "OTHER"},
		{"", "OTHER"},
		{"   ", "OTHER"},
		{"/* never closed", "OTHER"},
		{"--x", "OTHER"},
		{"123", "OTHER"},
		{"SUPERCALIFRAGILISTICEXPIALIDOCIOUS 1", "OTHER"},
	};

	FOR_EACH_HOOK(h) {
		for (size_t i = 0; i < sizeof(q) / sizeof(q[0]); i++) {
			struct conv c;
			struct mb b = {0};

			conv_start(h, &c, PORT);
			/* skip the login: a connection joined after it */
			c.cport = 40001;
			if (q[i].sql[0] == 0 && q[i].sql[1] == 1) /* strlen would stop at the NUL */
				mb_cmd(&b, 0x03, q[i].sql, 2 + strlen(q[i].sql + 2));
			else
				mb_query(&b, 0x03, q[i].sql);
			send(h, &c, 0, &b);
			mb_ok(&b, 1, 2, 0);
			send(h, &c, 1, &b);
			EXPECT(q[i].name, 1, 1, 0);
			if (conv_stats_entries() != 1)
				fprintf(stderr, "\n  [%s] '%s'\n", hook_names[h], q[i].sql);
			CU_ASSERT_EQUAL(harness_counters().l7_malformed, 0);
			mb_free(&b);
		}
	}
}

/* Every command with its kind of response. */
WL_TEST(mysql, commands)
{
	FOR_EACH_HOOK(h) {
		struct conv c;
		struct mb b = {0};

		start(h, &c, PORT, CAPS_BASE | CAPS_DEPEOF);
		mb_query(&b, 0x02, "test"); /* COM_INIT_DB */
		send(h, &c, 0, &b);
		mb_ok(&b, 1, 2, 0);
		send(h, &c, 1, &b);
		mb_query(&b, 0x04, "t1"); /* COM_FIELD_LIST: definitions up to EOF */
		send(h, &c, 0, &b);
		mb_coldef(&b, 1, "a");
		mb_coldef(&b, 2, "b");
		mb_eof(&b, 3, 2);
		send(h, &c, 1, &b);
		mb_cmd(&b, 0x09, "", 0); /* COM_STATISTICS: a bare string */
		send(h, &c, 0, &b);
		mb_pkt(&b, 1, "Uptime: 10  Threads: 1  Questions: 5", 36);
		send(h, &c, 1, &b);
		mb_cmd(&b, 0x1b, "\x01\x00", 2); /* COM_SET_OPTION: EOF */
		send(h, &c, 0, &b);
		mb_eof(&b, 1, 2);
		send(h, &c, 1, &b);
		mb_cmd(&b, 0x1f, "", 0); /* COM_RESET_CONNECTION */
		send(h, &c, 0, &b);
		mb_ok(&b, 1, 2, 0);
		send(h, &c, 1, &b);
		mb_cmd(&b, 0x0a, "", 0); /* COM_PROCESS_INFO: a result set */
		send(h, &c, 0, &b);
		mb_rs(&b, 1, 3, 2, 30, 1, 2, 0);
		send(h, &c, 1, &b);
		mb_cmd(&b, 0x0c, "\x05\x00\x00\x00", 4); /* COM_PROCESS_KILL */
		send(h, &c, 0, &b);
		mb_err(&b, 1, 1094);
		send(h, &c, 1, &b);
		mb_cmd(&b, 0x07, "\x01", 1); /* COM_REFRESH */
		send(h, &c, 0, &b);
		mb_ok(&b, 1, 2, 0);
		send(h, &c, 1, &b);
		/* COM_CHANGE_USER: auth switch, client answer (+2), OK */
		mb_query(&b, 0x11, "root\0\0test\0");
		send(h, &c, 0, &b);
		mb_pkt(&b, 1,
		       "\xfe"
		       "mysql_native_password\0"
		       "01234567890123456789",
		       43);
		send(h, &c, 1, &b);
		mb_pkt(&b, 2, "01234567890123456789", 20);
		send(h, &c, 0, &b);
		mb_ok(&b, 3, 2, 0);
		send(h, &c, 1, &b);
		mb_cmd(&b, 0x0e, "", 0);
		send(h, &c, 0, &b);
		mb_ok(&b, 1, 2, 0);
		send(h, &c, 1, &b);
		EXPECT("COM_INIT_DB", 1, 1, 0);
		EXPECT("COM_FIELD_LIST", 1, 1, 0);
		EXPECT("COM_STATISTICS", 1, 1, 0);
		EXPECT("COM_SET_OPTION", 1, 1, 0);
		EXPECT("COM_RESET_CONNECTION", 1, 1, 0);
		EXPECT("COM_PROCESS_INFO", 1, 1, 0);
		EXPECT("COM_PROCESS_KILL", 1, 1, 1);
		EXPECT("COM_REFRESH", 1, 1, 0);
		EXPECT("COM_CHANGE_USER", 1, 1, 0);
		EXPECT("COM_PING", 1, 1, 0);
		EXPECT_L7_CLEAN();
		mb_free(&b);
	}
}

/* A result set much larger than a segment (rows of many sizes, a row larger than a segment),
 * cut additionally at every byte of every packet header: exact counts whatever the cut. */
WL_TEST(mysql, resultset_every_header_split)
{
	struct mb r = {0};
	size_t hdrs[512], nh = 0;

	/* collect header offsets while building: 2 columns, rows of 3..3000 bytes */
	{
		uint8_t seq = 1, cc = 2, row[3100];
		size_t sizes[] = {3, 17, 200, 1, 1447, 1448, 1449, 3000, 60};

		hdrs[nh++] = r.n;
		mb_pkt(&r, seq++, &cc, 1);
		for (int i = 0; i < 2; i++) {
			hdrs[nh++] = r.n;
			mb_coldef(&r, seq++, "col");
		}
		for (int k = 0; k < 40; k++) {
			size_t l = sizes[k % 9];

			hdrs[nh++] = r.n;
			row[0] = l - 1;
			memset(row + 1, 'x', l - 1);
			mb_pkt(&r, seq++, row, l);
		}
		hdrs[nh++] = r.n;
		mb_term(&r, seq++, 2, 1);
	}
	FOR_EACH_HOOK(h) {
		for (size_t i = 0; i < nh; i++) {
			for (size_t d = 0; d < 6; d++) {
				size_t cut = hdrs[i] + d;
				struct conv c;
				struct mb q = {0};
				struct wl_cmd_stats st;

				if (cut == 0)
					continue;
				start(h, &c, PORT, CAPS_BASE | CAPS_DEPEOF);
				mb_query(&q, 0x03, "SELECT a, b FROM t1");
				send(h, &c, 0, &q);
				/* segments of 1448 bytes with one extra cut */
				for (size_t off = 0; off < r.n;) {
					size_t end = off + 1448 < r.n ? off + 1448 : r.n;

					if (off < cut && cut < end)
						end = cut;
					conv_seg(h, &c, 1, r.d + off, end - off, 0);
					off = end;
				}
				mb_cmd(&q, 0x0e, "", 0);
				send(h, &c, 0, &q);
				mb_ok(&q, 1, 2, 0);
				send(h, &c, 1, &q);
				EXPECT("SELECT", 1, 1, 0);
				EXPECT("COM_PING", 1, 1, 0);
				conv_stats(&c, WL_L7_MYSQL, "SELECT", &st);
				CU_ASSERT_EQUAL(st.response_bytes, r.n);
				EXPECT_L7_CLEAN();
				mb_free(&q);
			}
		}
	}
	mb_free(&r);
}

/* Requests cut at every offset, several commands per segment, responses in one segment. */
WL_TEST(mysql, requests_split_and_pipelined)
{
	struct mb q = {0};

	mb_query(&q, 0x03, "/* a comment long enough */ SELECT * FROM t1 WHERE id = 1");
	mb_query(&q, 0x03, "UPDATE t1 SET a = 2");
	mb_cmd(&q, 0x0e, "", 0);
	FOR_EACH_HOOK(h) {
		for (size_t cut = 1; cut < q.n; cut++) {
			struct conv c;
			struct mb r = {0};

			start(h, &c, PORT, CAPS_BASE);
			conv_split(h, &c, 0, q.d, q.n, cut);
			mb_rs(&r, 1, 1, 3, 10, 0, 2, 0);
			mb_ok(&r, 1, 2, 0);
			mb_ok(&r, 1, 2, 0);
			send(h, &c, 1, &r);
			EXPECT("SELECT", 1, 1, 0);
			EXPECT("UPDATE", 1, 1, 0);
			EXPECT("COM_PING", 1, 1, 0);
			EXPECT_L7_CLEAN();
			mb_free(&r);
		}
	}
	mb_free(&q);
}

#define ABSENT(cmd)                                                                                \
	do {                                                                                       \
		struct wl_cmd_stats a_;                                                            \
		CU_ASSERT_NOT_EQUAL(conv_stats(&c, WL_L7_MYSQL, (cmd), &a_), 0);                   \
	} while (0)

/* Multi-statements and CALL: results chained by SERVER_MORE_RESULTS_EXISTS. A statement of a
 * multi-statement query counts under its own verb; a CALL counts once (its result sets go on up
 * to its OK); an error ends the batch. */
WL_TEST(mysql, multi_results)
{
	FOR_EACH_HOOK(h) {
		for (int dep = 0; dep < 2; dep++) {
			struct conv c;
			struct mb b = {0};
			uint8_t seq;

			start(h, &c, PORT, CAPS_BASE | (dep ? CAPS_DEPEOF : 0));
			mb_query(&b, 0x03, "CALL p()");
			send(h, &c, 0, &b);
			seq = mb_rs(&b, 1, 2, 3, 12, dep, 2 | MORE, 0);
			seq = mb_rs(&b, seq, 1, 0, 12, dep, 2 | MORE, 0);
			mb_ok(&b, seq, 2, 0);
			send(h, &c, 1, &b);
			mb_query(&b, 0x03, "SELECT 1; INSERT INTO t VALUES (1); SELEC 2");
			send(h, &c, 0, &b);
			seq = mb_rs(&b, 1, 1, 1, 2, dep, 2 | MORE, 0);
			mb_ok(&b, seq++, 2 | MORE, 0);
			mb_err(&b, seq, 1064);
			send(h, &c, 1, &b);
			mb_cmd(&b, 0x0e, "", 0);
			send(h, &c, 0, &b);
			mb_ok(&b, 1, 2, 0);
			send(h, &c, 1, &b);
			EXPECT_ONLY({"CALL", 1, 1, 0}, {"SELECT", 1, 1, 0}, {"INSERT", 1, 1, 0},
				    {"OTHER", 1, 1, 1}, {"COM_PING", 1, 1, 0});
			EXPECT_L7_CLEAN();
			mb_free(&b);
		}
	}
}

/*
 * Multi-statement COM_QUERY (CLIENT_MULTI_STATEMENTS): four verbs (separators inside strings
 * and comments are not separators), an error in the middle (the later statements never run:
 * not counted), a CALL with two result sets then a SELECT, a query and a ping pipelined after
 * them; the requests cut at every byte, the responses in one go. A client without
 * CLIENT_MULTI_STATEMENTS: the server refuses the text (one statement, one error).
 */
WL_TEST(mysql, multi_statements)
{
	struct mb q = {0};
	size_t q1, q2;

	mb_query(&q, 0x03,
		 "INSERT INTO t VALUES (1, 'a;b\\';c', \"x;\\\"y\", `we;ird`);\n"
		 "  /* ; */ select * FROM t WHERE a = '--;' # ;\n;"
		 "UPDATE t SET a = 2 /* ; */ -- ;\n;DELETE FROM t");
	q1 = q.n;
	mb_query(&q, 0x03,
		 "INSERT INTO t VALUES (2); SELECT * FROM nope; UPDATE t SET a=3;DELETE FROM t");
	q2 = q.n - q1;
	mb_query(&q, 0x03, "CALL p(1);SELECT 2;");
	mb_query(&q, 0x03, "COMMIT");
	mb_cmd(&q, 0x0e, "", 0);
	FOR_EACH_HOOK(h) {
		for (int dep = 0; dep < 2; dep++) {
			for (size_t cut = 1; cut < q.n; cut++) {
				struct conv c;
				struct mb r = {0};
				struct wl_cmd_stats st;
				uint8_t seq;

				start(h, &c, PORT, CAPS_BASE | (dep ? CAPS_DEPEOF : 0));
				conv_split(h, &c, 0, q.d, q.n, cut);
				/* INSERT; SELECT; UPDATE; DELETE */
				mb_ok(&r, 1, 2 | MORE, 0);
				seq = mb_rs(&r, 2, 2, 3, 10, dep, 2 | MORE, 0);
				mb_ok(&r, seq++, 2 | MORE, 0);
				mb_ok(&r, seq, 2, 0);
				/* INSERT; SELECT (error): UPDATE, DELETE never run */
				mb_ok(&r, 1, 2 | MORE, 0);
				mb_err(&r, 2, 1146);
				/* CALL (two result sets, its OK); SELECT */
				seq = mb_rs(&r, 1, 1, 2, 10, dep, 2 | MORE, 0);
				seq = mb_rs(&r, seq, 3, 1, 10, dep, 2 | MORE, 0);
				mb_ok(&r, seq++, 2 | MORE, 0);
				mb_rs(&r, seq, 1, 1, 4, dep, 2, 0);
				/* COMMIT, ping */
				mb_ok(&r, 1, 0, 0);
				mb_ok(&r, 1, 2, 0);
				send(h, &c, 1, &r);
				EXPECT_ONLY({"INSERT", 2, 2, 0}, {"SELECT", 3, 3, 1},
					    {"UPDATE", 1, 1, 0}, {"DELETE", 1, 1, 0},
					    {"CALL", 1, 1, 0}, {"COMMIT", 1, 1, 0},
					    {"COM_PING", 1, 1, 0});
				conv_stats(&c, WL_L7_MYSQL, "UPDATE", &st);
				CU_ASSERT_EQUAL(st.request_bytes,
						0); /* the text counts once, first */
				conv_stats(&c, WL_L7_MYSQL, "INSERT", &st);
				CU_ASSERT_EQUAL(st.request_bytes, q1 + q2);
				EXPECT_L7_CLEAN();
				mb_free(&r);
			}
		}
	}
	FOR_EACH_HOOK(h) {
		struct conv c;
		struct mb b = {0};

		start(h, &c, PORT, CAPS_BASE & ~0x00010000u);
		mb_query(&b, 0x03, "SELECT 1; UPDATE t SET a = 1");
		mb_cmd(&b, 0x0e, "", 0);
		send(h, &c, 0, &b);
		mb_err(&b, 1, 1064);
		mb_ok(&b, 1, 2, 0);
		send(h, &c, 1, &b);
		EXPECT("SELECT", 1, 1, 1);
		EXPECT("COM_PING", 1, 1, 0);
		ABSENT("UPDATE");
		EXPECT_L7_CLEAN();
		/* COM_SET_OPTION MULTI_STATEMENTS_ON (mysqlnd's multi_query), then _OFF */
		mb_cmd(&b, 0x1b, "\x00\x00", 2);
		mb_query(&b, 0x03, "SELECT 1; UPDATE t SET a = 1");
		mb_cmd(&b, 0x1b, "\x01\x00", 2);
		mb_query(&b, 0x03, "DELETE FROM t; INSERT INTO t VALUES (1)");
		send(h, &c, 0, &b);
		mb_eof(&b, 1, 2);
		mb_rs(&b, 1, 1, 1, 4, 0, 2 | MORE, 0);
		mb_ok(&b, 6, 2, 0);
		mb_eof(&b, 1, 2);
		mb_err(&b, 1, 1064);
		send(h, &c, 1, &b);
		EXPECT("COM_SET_OPTION", 2, 2, 0);
		EXPECT("SELECT", 2, 2, 1);
		EXPECT("UPDATE", 1, 1, 0);
		EXPECT("DELETE", 1, 1, 1);
		ABSENT("INSERT");
		EXPECT_L7_CLEAN();
		mb_free(&b);
	}
	mb_free(&q);
}

/*
 * A multi-statement COM_QUERY whose packet the hook never sees end (its last segment lost
 * before the hook, or a length that lies) while the server's answers arrive: the first
 * statement is counted with its FIFO entry, so its reply never finds it uncounted (the fuzzer
 * found SHOW with 1 response and 0 requests: the request was counted at the packet's end, the
 * entry pushed when the keyword was known). The later statement counts with its result, the
 * packet's bytes once (all of them, as its header says). After the lost bytes the client's next
 * command resynchronises.
 */
WL_TEST(mysql, multi_statement_unfinished)
{
	static const char sql[] = "SHOW DATABASES; SELECT 1; /* the part never seen */";
	const size_t seen = 4 + 1 + strlen("SHOW DATABASES; SELECT 1;");

	FOR_EACH_HOOK(h) {
		for (int dep = 0; dep < 2; dep++) {
			struct conv c;
			struct mb q = {0}, b = {0};
			struct wl_cmd_stats st;
			uint8_t seq;

			start(h, &c, PORT, CAPS_BASE | (dep ? CAPS_DEPEOF : 0));
			mb_query(&q, 0x03, sql);
			conv_seg(h, &c, 0, q.d, seen, 0);
			seq = mb_rs(&b, 1, 1, 2, 8, dep, 2 | MORE, 0);
			mb_rs(&b, seq, 1, 1, 2, dep, 2, 0);
			send(h, &c, 1, &b);
			EXPECT("SHOW", 1, 1, 0);
			EXPECT("SELECT", 1, 1, 0);
			conv_stats(&c, WL_L7_MYSQL, "SHOW", &st);
			CU_ASSERT_EQUAL(st.request_bytes, q.n);
			conv_stats(&c, WL_L7_MYSQL, "SELECT", &st);
			CU_ASSERT_EQUAL(st.request_bytes, 0);
			c.cseq += q.n - seen; /* the rest of the packet: lost */
			mb_query(&b, 0x03, "DELETE FROM t1");
			send(h, &c, 0, &b);
			mb_ok(&b, 1, 2, 0);
			send(h, &c, 1, &b);
			EXPECT("DELETE", 1, 1, 0);
			CU_ASSERT_EQUAL(conv_stats_entries(), 3);
			EXPECT_COUNTERS({"l7_gap", 1}, {"l7_unmatched", 0}, {"l7_malformed", 0},
					{"l7_resync_skip", 0});
			mb_free(&q);
			mb_free(&b);
		}
	}
}

/* Prepare, execute (counted under the statement's verb), reset, close (no response). */
WL_TEST(mysql, prepared_statements)
{
	FOR_EACH_HOOK(h) {
		for (int dep = 0; dep < 2; dep++) {
			struct conv c;
			struct mb b = {0};
			uint8_t ok[12] = {0x00, 7, 0, 0, 0, 2, 0, 1, 0, 0, 0, 0};
			uint8_t seq;

			start(h, &c, PORT, CAPS_BASE | (dep ? CAPS_DEPEOF : 0));
			mb_query(&b, 0x16, "SELECT a, b FROM t1 WHERE id = ?");
			send(h, &c, 0, &b);
			mb_pkt(&b, 1, ok, 12); /* statement 7: 2 columns, 1 parameter */
			mb_coldef(&b, 2, "?");
			seq = 3;
			if (!dep)
				mb_eof(&b, seq++, 2);
			mb_coldef(&b, seq++, "a");
			mb_coldef(&b, seq++, "b");
			if (!dep)
				mb_eof(&b, seq++, 2);
			send(h, &c, 1, &b);
			for (int i = 0; i < 2; i++) {
				mb_stmt(&b, 0x17, 7, 9);
				send(h, &c, 0, &b);
				mb_rs(&b, 1, 2, 2, 9, dep, 2, 1);
				send(h, &c, 1, &b);
			}
			/* an UPDATE: 0 columns, 2 parameters; then an execute answered by OK */
			mb_query(&b, 0x16, "  update t1 set a = ? where id = ?");
			send(h, &c, 0, &b);
			ok[1] = 8, ok[5] = 0, ok[7] = 2;
			mb_pkt(&b, 1, ok, 12);
			mb_coldef(&b, 2, "?");
			mb_coldef(&b, 3, "?");
			if (!dep)
				mb_eof(&b, 4, 2);
			send(h, &c, 1, &b);
			mb_stmt(&b, 0x17, 8, 20);
			send(h, &c, 0, &b);
			mb_ok(&b, 1, 2, 0);
			send(h, &c, 1, &b);
			/* a statement that never prepares */
			mb_query(&b, 0x16, "SELECT FROM");
			send(h, &c, 0, &b);
			mb_err(&b, 1, 1064);
			send(h, &c, 1, &b);
			mb_stmt(&b, 0x1a, 8, 0); /* reset */
			send(h, &c, 0, &b);
			mb_ok(&b, 1, 2, 0);
			send(h, &c, 1, &b);
			mb_stmt(&b, 0x19, 7, 0);  /* close: no response */
			mb_stmt(&b, 0x17, 99, 5); /* unknown statement */
			send(h, &c, 0, &b);
			mb_err(&b, 1, 1243);
			send(h, &c, 1, &b);
			EXPECT_ONLY({"COM_STMT_PREPARE", 3, 3, 1}, {"SELECT", 2, 2, 0},
				    {"UPDATE", 1, 1, 0}, {"COM_STMT_RESET", 1, 1, 0},
				    {"COM_STMT_CLOSE", 1, 0, 0}, {"COM_STMT_EXECUTE", 1, 1, 1});
			EXPECT_L7_CLEAN();
			mb_free(&b);
		}
	}
}

/*
 * Server-side cursors (COM_STMT_EXECUTE with CURSOR_TYPE_READ_ONLY): the execute is answered by
 * the definitions and a terminator with SERVER_STATUS_CURSOR_EXISTS, no rows; each
 * COM_STMT_FETCH by rows and a terminator (SERVER_STATUS_LAST_ROW_SENT at the end), or ERR. As
 * MariaDB 10.11 sends them, with and without CLIENT_DEPRECATE_EOF, after a login and on a
 * connection joined after it (EOF packets then told by their size).
 */
static const char *const cursor_script[] = {
	"> PSELECT id, v FROM t1 WHERE id <= ?",
	"< p7:2:1",
	"> PUPDATE t1 SET v = 'u' WHERE id = ?",
	"< p8:0:1",
	"> PSHOW STATUS LIKE ?",
	"< p9:2:1",
	"# a cursor read to its end: 3 + 3 + 1 rows",
	"> X7:1:8",
	"< V2:1",
	"> F7:3",
	"< W3:c",
	"> F7:3",
	"< W3:c",
	"> F7:3",
	"< W1:l",
	"# again, the definitions cached by the client (MariaDB sends none)",
	"> X7:1:0",
	"< V2:2",
	"> F7:3",
	"< W3:c",
	"# a reset closes the cursor: the next fetch is refused (ER_STMT_HAS_NO_OPEN_CURSOR)",
	"> R7",
	"< O",
	"> F7:3",
	"< E1421",
	"# a cursor over no rows: its fetch gets the terminator alone",
	"> X7:1:0",
	"< V2:0",
	"> F7:3",
	"< W0:l",
	"# the cursor flag on a statement without a result set: OK",
	"> X8:1:8",
	"< O",
	"# a cursor the server does not open (SHOW writes its rows directly)",
	"> X9:1:8",
	"< S2:2:9:1",
	"> L7|K",
	"< O",
	NULL,
};

WL_TEST(mysql, cursor_fetch)
{
	FOR_EACH_HOOK(h) {
		for (int mode = 0; mode < 4; mode++) {
			unsigned int failures = CU_get_number_of_failures();
			struct wl_cmd_stats st;
			struct conv c;

			my_dep = mode & 1;
			harness_reset();
			conv_init(&c, PORT);
			if (mode & 2) {
				conv_handshake(h, &c);
				c.cport = 40001; /* no handshake seen on this connection */
			} else {
				login(h, &c, CAPS_BASE | (my_dep ? CAPS_DEPEOF : 0));
			}
			conv_play(h, &c, cursor_script,
				  &(const struct conv_play_opts){.append = my_append, .mss = 1448});
			EXPECT_CMDS(&c, WL_L7_MYSQL,
				    "COM_STMT_PREPARE 3 3 0, SELECT 3 3 0, COM_STMT_FETCH 6 6 1, "
				    "COM_STMT_RESET 1 1 0, UPDATE 1 1 0, SHOW 1 1 0, "
				    "COM_STMT_CLOSE 1 0 0, COM_PING 1 1 0");
			/* the SELECT's answers: its cursors opened; the fetches': rows, the ERR */
			conv_stats(&c, WL_L7_MYSQL, "SELECT", &st);
			CU_ASSERT_EQUAL(st.response_bytes, my_bytes("V2:1|V2:2|V2:0"));
			conv_stats(&c, WL_L7_MYSQL, "COM_STMT_FETCH", &st);
			CU_ASSERT_EQUAL(st.response_bytes,
					my_bytes("W3:c|W3:c|W1:l|W3:c|E1421|W0:l"));
			EXPECT_COUNTERS({"l7_malformed", 0}, {"l7_unmatched", 0},
					{"l7_resync_skip", 0}, {"l7_fifo_overflow", 0});
			if (CU_get_number_of_failures() != failures)
				fprintf(stderr, "\n  [%s] mode %d\n", hook_names[h], mode);
		}
	}
}

/*
 * Cursor commands pipelined with plain ones (a fetch, a query, a plain execute of the same
 * statement, a fetch it refuses, a second cursor, reset, ping) in one segment each way; then
 * the requests cut at every offset, and the responses cut at every offset of every terminator
 * packet.
 */
WL_TEST(mysql, cursor_pipelined_split)
{
	for (int dep = 0; dep < 2; dep++) {
		struct mb q = {0}, r = {0};
		size_t terms[8], nt = 0, rterm_len = dep ? 4 + 7 : 4 + 5;

		mb_exec(&q, 7, 1, 8);
		mb_fetch(&q, 7, 2);
		mb_query(&q, 0x03, "SELECT 1");
		mb_exec(&q, 7, 0, 8);
		mb_fetch(&q, 7, 2);
		mb_exec(&q, 7, 1, 0);
		mb_fetch(&q, 7, 5);
		mb_stmt(&q, 0x1a, 7, 0);
		mb_cmd(&q, 0x0e, "", 0);

		mb_cursor_open(&r, 2, 0, dep, &terms[nt++]);
		mb_fetch_resp(&r, 2, ST_CURSOR, dep, &terms[nt++]);
		mb_rs(&r, 1, 1, 1, 2, dep, 2, 0);
		mb_rs(&r, 1, 2, 3, 9, dep, 2, 1);
		mb_err(&r, 1, 1421);
		mb_cursor_open(&r, 2, 2, dep, &terms[nt++]);
		mb_fetch_resp(&r, 1, ST_LAST, dep, &terms[nt++]);
		mb_ok(&r, 1, 2, 0);
		mb_ok(&r, 1, 2, 0);
		FOR_EACH_HOOK(h) {
			/* way 0: requests cut at cut; way 1: responses cut at cut */
			for (int way = 0; way < 2; way++) {
				size_t ncuts = way ? nt * (rterm_len + 1) : q.n;

				for (size_t k = 0; k < ncuts; k++) {
					size_t cut = way ? terms[k / (rterm_len + 1)] +
								     k % (rterm_len + 1)
							 : k;
					const struct mb *m = way ? &r : &q;
					struct conv c;
					struct mb b = {0};

					start(h, &c, PORT, CAPS_BASE | (dep ? CAPS_DEPEOF : 0));
					mb_query(&b, 0x16, "SELECT a, b FROM t1 WHERE id > ?");
					send(h, &c, 0, &b);
					mb_prepare_ok(&b, 7, 2, 1, dep);
					send(h, &c, 1, &b);
					if (way)
						conv_seg(h, &c, 0, q.d, q.n, 0);
					if (cut)
						conv_seg(h, &c, way, m->d, cut, 0);
					conv_seg(h, &c, way, m->d + cut, m->n - cut, 0);
					if (!way)
						conv_seg(h, &c, 1, r.d, r.n, 0);
					EXPECT_ONLY(
						{"COM_STMT_PREPARE", 1, 1, 0}, {"SELECT", 4, 4, 0},
						{"COM_STMT_FETCH", 3, 3, 1},
						{"COM_STMT_RESET", 1, 1, 0}, {"COM_PING", 1, 1, 0});
					EXPECT_L7_CLEAN();
					if (harness_counters().l7_malformed)
						fprintf(stderr, "\n  [%s] dep %d way %d cut %zu\n",
							hook_names[h], dep, way, cut);
					mb_free(&b);
				}
			}
		}
		mb_free(&q);
		mb_free(&r);
	}
}

/* Errors: ERR to a query, ERR in the middle of rows. */
WL_TEST(mysql, errors)
{
	FOR_EACH_HOOK(h) {
		struct conv c;
		struct mb b = {0};

		start(h, &c, PORT, CAPS_BASE | CAPS_DEPEOF);
		mb_query(&b, 0x03, "SELECT * FROM nope");
		send(h, &c, 0, &b);
		mb_err(&b, 1, 1146);
		send(h, &c, 1, &b);
		mb_query(&b, 0x03, "SELECT SLEEP(10) FROM t1");
		send(h, &c, 0, &b);
		mb_pkt(&b, 1, "\x01", 1);
		mb_coldef(&b, 2, "s");
		mb_pkt(&b, 3,
		       "\x01"
		       "0",
		       2);
		mb_err(&b, 4, 1317); /* query execution was interrupted */
		send(h, &c, 1, &b);
		mb_query(&b, 0x03, "SELEKT 1");
		send(h, &c, 0, &b);
		mb_err(&b, 1, 1064);
		send(h, &c, 1, &b);
		EXPECT("SELECT", 2, 2, 2);
		EXPECT("OTHER", 1, 1, 1);
		EXPECT_L7_CLEAN();
		mb_free(&b);
	}
}

/* LOAD DATA LOCAL INFILE: the client's file contents are not commands; progress reports. */
WL_TEST(mysql, local_infile)
{
	FOR_EACH_HOOK(h) {
		struct conv c;
		struct mb b = {0};

		start(h, &c, PORT, CAPS_BASE | CAPS_DEPEOF);
		mb_query(&b, 0x03, "LOAD DATA LOCAL INFILE '/tmp/x' INTO TABLE t");
		send(h, &c, 0, &b);
		mb_pkt(&b, 1, "\xfb/tmp/x", 7);
		send(h, &c, 1, &b);
		mb_pkt(&b, 2, "1\n2\n3\n", 6);
		mb_pkt(&b, 3, "\x0e\x00\x00\x00", 4); /* a line that looks like a COM_PING */
		mb_pkt(&b, 4, "", 0);
		send(h, &c, 0, &b);
		/* a MariaDB progress report (ERR code 0xffff) is not the answer */
		mb_pkt(&b, 5,
		       "\xff\xff\xff\x01\x02\x02\x00\x00\x00\x0f"
		       "End bulk insert",
		       25);
		mb_ok(&b, 6, 2, 0);
		send(h, &c, 1, &b);
		/* nor before the first answer of a long ALTER */
		mb_query(&b, 0x03, "ALTER TABLE t ADD COLUMN x INT");
		send(h, &c, 0, &b);
		mb_pkt(&b, 1,
		       "\xff\xff\xff\x01\x01\x02\x00\x00\x00\x0f"
		       "copy to tmp tab",
		       25);
		mb_ok(&b, 2, 2, 0);
		send(h, &c, 1, &b);
		mb_cmd(&b, 0x0e, "", 0);
		send(h, &c, 0, &b);
		mb_ok(&b, 1, 2, 0);
		send(h, &c, 1, &b);
		EXPECT_ONLY({"LOAD", 1, 1, 0}, {"ALTER", 1, 1, 0}, {"COM_PING", 1, 1, 0});
		EXPECT_L7_CLEAN();
		mb_free(&b);
	}
}

/* SSL request and compressed protocol: counted, the rest left alone. */
WL_TEST(mysql, tls_and_compressed)
{
	static const uint8_t junk[] = "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03 random bytes";

	FOR_EACH_HOOK(h) {
		for (int compr = 0; compr < 2; compr++) {
			struct conv c;
			struct mb b = {0};

			start(h, &c, PORT, CAPS_BASE | (compr ? CAPS_COMPR : CAPS_SSL));
			for (int i = 0; i < 3; i++) {
				conv_seg(h, &c, 0, junk, sizeof(junk), 0);
				conv_seg(h, &c, 1, junk, sizeof(junk), 0);
			}
			EXPECT(compr ? "COMPRESSED" : "TLS", 1, 0, 0);
			CU_ASSERT_EQUAL(conv_stats_entries(), 1);
			EXPECT_L7_CLEAN();
			mb_free(&b);
		}
	}
}

/* A command of more than 16 MB: 0xffffff-byte packets continue in the next packet. */
WL_TEST(mysql, packet_continuation)
{
	size_t total = 0xffffff + 100;
	struct mb b = {0};
	uint8_t *sql = malloc(total);

	memcpy(sql, "\x03INSERT INTO t VALUES ('", 24);
	memset(sql + 24, 'x', total - 24);
	mb_pkt(&b, 0, sql, 0xffffff);
	mb_pkt(&b, 1, sql + 0xffffff, total - 0xffffff);
	FOR_EACH_HOOK(h) {
		struct conv c;
		struct mb r = {0};
		struct wl_cmd_stats st;

		start(h, &c, PORT, CAPS_BASE | CAPS_DEPEOF);
		send_all(h, &c, 0, &b, h == HOOK_XDP ? 32768 : 1448);
		mb_ok(&r, 2, 2, 0);
		send(h, &c, 1, &r);
		EXPECT("INSERT", 1, 1, 0);
		conv_stats(&c, WL_L7_MYSQL, "INSERT", &st);
		CU_ASSERT_EQUAL(st.request_bytes, b.n);
		EXPECT_L7_CLEAN();
		mb_free(&r);
	}
	free(sql);
	mb_free(&b);
}

WL_TEST(mysql, retransmit_gap_resync)
{
	FOR_EACH_HOOK(h) {
		struct conv c;
		struct mb b = {0};
		uint32_t saved;

		start(h, &c, PORT, CAPS_BASE | CAPS_DEPEOF);
		mb_query(&b, 0x03, "SELECT 1");
		saved = c.cseq;
		conv_seg(h, &c, 0, b.d, b.n, 0);
		c.cseq = saved; /* the same segment again */
		send(h, &c, 0, &b);
		mb_rs(&b, 1, 1, 1, 2, 1, 2, 0);
		send(h, &c, 1, &b);
		c.cseq += 100; /* bytes lost */
		mb_pkt(&b, 7, "tail of something", 17);
		send(h, &c, 0, &b); /* skipped: not a command start */
		mb_query(&b, 0x03, "DELETE FROM t1");
		send(h, &c, 0, &b); /* a command start: resynchronised */
		mb_ok(&b, 1, 2, 0);
		send(h, &c, 1, &b);
		EXPECT("SELECT", 1, 1, 0);
		EXPECT("DELETE", 1, 1, 0);
		EXPECT_COUNTERS({"l7_retransmit", 1}, {"l7_gap", 1}, {"l7_resync_skip", 1},
				{"l7_malformed", 0});
		mb_free(&b);
	}
}

/* Lengths that lie, unknown commands, sequence ids out of place, garbage after a message:
 * counted once as malformed, and the connection recovers at the next command. */
WL_TEST(mysql, malformed)
{
	static const struct {
		const char *what;
		const uint8_t *bytes;
		size_t len;
	} bad[] = {
		{"ping too long", (const uint8_t *)"\x64\x00\x00\x00\x0e", 5},
		{"zero length", (const uint8_t *)"\x00\x00\x00\x00", 4},
		{"negative length", (const uint8_t *)"\xff\xff\xff\x00\x19\x01\x00\x00\x00", 9},
		{"unknown command", (const uint8_t *)"\x01\x00\x00\x00\x77", 5},
		{"stray sequence id", (const uint8_t *)"\x02\x00\x00\x09zz", 6},
		{"ping then garbage",
		 (const uint8_t *)"\x01\x00\x00\x00\x0e"
				  "garbage!",
		 13},
	};

	FOR_EACH_HOOK(h) {
		for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
			struct conv c;
			struct mb b = {0};

			start(h, &c, PORT, CAPS_BASE | CAPS_DEPEOF);
			conv_seg(h, &c, 0, bad[i].bytes, bad[i].len, 0);
			CU_ASSERT_EQUAL(harness_counters().l7_malformed, 1);
			if (harness_counters().l7_malformed != 1)
				fprintf(stderr, "\n  [%s] %s\n", hook_names[h], bad[i].what);
			if (i == 5) { /* the ping itself was whole */
				mb_ok(&b, 1, 2, 0);
				send(h, &c, 1, &b);
			}
			mb_query(&b, 0x03, "SELECT 1");
			send(h, &c, 0, &b);
			mb_rs(&b, 1, 1, 1, 2, 1, 2, 0);
			send(h, &c, 1, &b);
			EXPECT("SELECT", 1, 1, 0);
			mb_free(&b);
		}
		/* responses: absurd column count, a sequence id out of order (in the definitions,
		 * among the rows) */
		for (int k = 0; k < 3; k++) {
			struct conv c;
			struct mb b = {0};

			start(h, &c, PORT, CAPS_BASE | CAPS_DEPEOF);
			mb_query(&b, 0x03, "SELECT 1");
			send(h, &c, 0, &b);
			if (k == 0) {
				mb_pkt(&b, 1, "\xfc\xff\xff", 3); /* 65535 columns */
			} else if (k == 1) {
				mb_pkt(&b, 1, "\x01", 1);
				mb_coldef(&b, 5, "a");
			} else {
				mb_pkt(&b, 1, "\x01", 1);
				mb_coldef(&b, 2, "a");
				mb_pkt(&b, 3, "\x01x", 2);
				mb_pkt(&b, 4, "\x01y", 2);
				mb_pkt(&b, 6, "\x01z", 2); /* 5 is missing */
			}
			send(h, &c, 1, &b);
			CU_ASSERT_EQUAL(harness_counters().l7_malformed, 1);
			mb_query(&b, 0x03, "SELECT 2");
			send(h, &c, 0, &b);
			mb_ok(&b, 1, 2, 0);
			send(h, &c, 1, &b);
			/* the first SELECT's response was broken: it is not counted */
			EXPECT("SELECT", 2, 1, 0);
			mb_free(&b);
		}
	}
}

/* A server on a port no protocol claims: the handshake response teaches the port. */
WL_TEST(mysql, sniffed_port)
{
	FOR_EACH_HOOK(h) {
		struct conv c;
		struct mb b = {0};

		start(h, &c, 13306, CAPS_BASE | CAPS_DEPEOF);
		mb_query(&b, 0x03, "SELECT 1");
		send(h, &c, 0, &b);
		mb_rs(&b, 1, 1, 1, 2, 1, 2, 0);
		send(h, &c, 1, &b);
		EXPECT("SELECT", 1, 1, 0);
		CU_ASSERT_EQUAL(harness_counters().l7_malformed, 0);
		mb_free(&b);
	}
}

/* The name wirelens reports for a keyword tshark saw ("<none>" and unknown words: OTHER). */
static const char *our_name(const char *key)
{
	for (size_t i = 0; i < sizeof(mysql_commands) / sizeof(mysql_commands[0]); i++)
		if (!strcmp(mysql_commands[i], key))
			return key;
	return "OTHER";
}

/* The name wirelens reports for a row of tshark's (NULL: not a command of its own: COM_QUERY is
 * counted by verb, COM_STMT_EXECUTE under its statement's verb). */
static const char *capture_name(const char *metric, const char *key)
{
	if (strcmp(metric, "command"))
		return our_name(key);
	return strcmp(key, "COM_QUERY") && strcmp(key, "COM_STMT_EXECUTE") ? key : NULL;
}

/* Every request but COM_QUIT / COM_STMT_CLOSE is answered unless the capture ends before its
 * response; a file that executes prepared statements prepares them with one verb. */
static void capture_check_mysql(const struct capture_file *f)
{
	static const char *const unanswered_ok[] = {"COM_QUIT", "COM_STMT_CLOSE", "TLS",
						    "COMPRESSED", NULL};
	struct wl_cmd_stats all = capture_sum(f, NULL, unanswered_ok);

	if (capture_oracle(f, "command", "COM_STMT_EXECUTE"))
		capture_expect(f, "prepare_verb rows", capture_oracle_rows(f, "prepare_verb"), 1);
	capture_expect(f, "unanswered", all.requests - all.responses,
		       capture_want(f, "unanswered", "-"));
}

static const struct capture_port capture_ports[] = {
	{"mysql/171-mysql.pcap", 20130},
	{"mysql/mysql-statement.pcap", 30130},
	{"mysql/mysql-error.pcap", 20130},
};

/*
 * The shared captures against EXPECTED.tsv (tshark). Per name: COM_* command rows (other than
 * COM_QUERY, COM_STMT_EXECUTE) equal wirelens' COM_* requests; query_verb rows equal the verb's
 * requests, plus the COM_STMT_EXECUTE rows when every prepared statement of the file has the
 * same verb (executes count under their statement's verb); COM_STMT_PREPARE as itself. The
 * requests row equals all requests (the TLS pseudo command is a connection, not counted by
 * tshark), the error_code rows summed equal the errors, and every request but COM_QUIT /
 * COM_STMT_CLOSE is answered unless the capture ends before its response.
 */
const struct capture_spec mysql_captures = {
	.protocol = {.name = "mysql", .l7_proto = WL_L7_MYSQL, .files = 5},
	.commands = {.metrics = {"command", "query_verb"}, .name = capture_name, .listed = 1},
	.prepared = {"prepare_verb", "command", "COM_STMT_EXECUTE"},
	.totals = {{CAPTURE_REQUESTS, "requests"}, {CAPTURE_ERRORS, "error_code"}},
	.uncounted = {"TLS", "COMPRESSED"},
	.counters = {"l7_malformed"},
	CAPTURE_PORTS(capture_ports),
	.figures = {.compared = 52, .excepted = 2},
	.check = capture_check_mysql,
};
