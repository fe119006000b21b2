// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Server-side cursors for the MySQL live test, over TCP to a MariaDB server.
 *   cursor api HOST USER DB ROUNDS PREFETCH
 *     libmariadb's statement API: a SELECT prepared with STMT_ATTR_CURSOR_TYPE =
 *     CURSOR_TYPE_READ_ONLY and STMT_ATTR_PREFETCH_ROWS = PREFETCH, so COM_STMT_EXECUTE opens a
 *     cursor and each mysql_stmt_fetch past the prefetched rows sends a COM_STMT_FETCH. Every
 *     round: a cursor read to its end; one read partly with a plain (no cursor) execute and a
 *     query between its fetches, then mysql_stmt_reset; a cursor over no rows; an UPDATE
 *     executed with the cursor flag (no result set: OK); a COM_STMT_FETCH for a statement id the
 *     server does not know (answered by ERR). Then the three statements closed.
 *   cursor raw HOST USER DB ROUNDS PREFETCH
 *     The same conversation spoken directly (libmariadb does not offer CLIENT_DEPRECATE_EOF):
 *     a handshake with CLIENT_DEPRECATE_EOF, so definitions are not followed by EOF packets and
 *     results end with OK packets with a 0xfe header; the fetch of the partly read cursor goes
 *     out in one write with the plain execute and the query. Prints the terminators seen.
 * The table cur (id INT, v VARCHAR) must exist with ids 1..N, N >= 2 * PREFETCH + 1.
 * Prints "rows N errors N" (rows read, expected errors seen); exit status 1 on anything else.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <mysql.h>

#define BOGUS_STMT 0x7fff0001u /* a statement id the server never handed out */

static long rows_read, errors_seen;

static void die(const char *what, const char *why)
{
	fprintf(stderr, "%s: %s\n", what, why);
	exit(1);
}

/* ---- libmariadb ---- */

struct sel {
	MYSQL_STMT *st;
	int limit;
	int id;
	char v[64];
	unsigned long v_len;
	MYSQL_BIND param, res[2];
};

static void sel_prepare(MYSQL *db, struct sel *s, const char *sql, int cursor,
			unsigned long prefetch)
{
	unsigned long type = cursor ? CURSOR_TYPE_READ_ONLY : CURSOR_TYPE_NO_CURSOR;

	memset(s, 0, sizeof(*s));
	s->st = mysql_stmt_init(db);
	if (!s->st || mysql_stmt_attr_set(s->st, STMT_ATTR_CURSOR_TYPE, &type) ||
	    mysql_stmt_attr_set(s->st, STMT_ATTR_PREFETCH_ROWS, &prefetch) ||
	    mysql_stmt_prepare(s->st, sql, strlen(sql)))
		die("prepare", s->st ? mysql_stmt_error(s->st) : "init");
	s->param.buffer_type = MYSQL_TYPE_LONG;
	s->param.buffer = &s->limit;
	if (mysql_stmt_bind_param(s->st, &s->param))
		die("bind_param", mysql_stmt_error(s->st));
	if (mysql_stmt_field_count(s->st) == 0)
		return;
	s->res[0].buffer_type = MYSQL_TYPE_LONG;
	s->res[0].buffer = &s->id;
	s->res[1].buffer_type = MYSQL_TYPE_STRING;
	s->res[1].buffer = s->v;
	s->res[1].buffer_length = sizeof(s->v);
	s->res[1].length = &s->v_len;
	if (mysql_stmt_bind_result(s->st, s->res))
		die("bind_result", mysql_stmt_error(s->st));
}

static void sel_execute(struct sel *s, int limit)
{
	s->limit = limit;
	if (mysql_stmt_execute(s->st))
		die("execute", mysql_stmt_error(s->st));
}

/* Fetches up to n rows (n < 0: all). Returns the rows read. */
static int sel_fetch(struct sel *s, int n)
{
	int got = 0, rc;

	while (n < 0 || got < n) {
		rc = mysql_stmt_fetch(s->st);
		if (rc == MYSQL_NO_DATA)
			break;
		if (rc == 1)
			die("fetch", mysql_stmt_error(s->st));
		got++;
	}
	rows_read += got;
	return got;
}

static int run_api(const char *host, const char *user, const char *dbname, int rounds,
		   unsigned long prefetch)
{
	MYSQL *db = mysql_init(NULL);
	struct sel cur, plain, upd;
	int all = 2 * prefetch + 1;
	unsigned long real_id;

	if (!mysql_real_connect(db, host, user, "", dbname, 3306, NULL, 0))
		die("connect", mysql_error(db));
	sel_prepare(db, &cur, "SELECT id, v FROM cur WHERE id <= ? ORDER BY id", 1, prefetch);
	sel_prepare(db, &plain, "SELECT id, v FROM cur WHERE id = ?", 0, prefetch);
	sel_prepare(db, &upd, "UPDATE cur SET v = 'u' WHERE id = ?", 1, prefetch);
	for (int r = 0; r < rounds; r++) {
		/* read to the end: PREFETCH rows per COM_STMT_FETCH */
		sel_execute(&cur, all);
		if (sel_fetch(&cur, -1) != all)
			die("cursor", "not every row read");
		/* partly, other statements between the fetches, then reset */
		sel_execute(&cur, all);
		sel_fetch(&cur, prefetch + 1);
		sel_execute(&plain, 1);
		sel_fetch(&plain, -1);
		if (mysql_query(db, "DO 1"))
			die("query", mysql_error(db));
		sel_fetch(&cur, 1);
		if (mysql_stmt_reset(cur.st))
			die("reset", mysql_stmt_error(cur.st));
		/* a cursor over no rows */
		sel_execute(&cur, 0);
		if (sel_fetch(&cur, -1) != 0)
			die("cursor", "rows from an empty cursor");
		/* the cursor flag on a statement without a result set */
		sel_execute(&upd, 1);
		/* a COM_STMT_FETCH the server refuses: the prefetched rows read, then the next
		 * fetch goes out for a statement id it never handed out */
		sel_execute(&cur, all);
		sel_fetch(&cur, prefetch);
		real_id = cur.st->stmt_id;
		cur.st->stmt_id = BOGUS_STMT;
		if (mysql_stmt_fetch(cur.st) != 1)
			die("fetch", "an unknown statement id was accepted");
		errors_seen++;
		cur.st->stmt_id = real_id;
		if (mysql_stmt_reset(cur.st))
			die("reset", mysql_stmt_error(cur.st));
	}
	mysql_stmt_close(cur.st);
	mysql_stmt_close(plain.st);
	mysql_stmt_close(upd.st);
	mysql_close(db);
	return 0;
}

/* ---- the protocol spoken directly, with CLIENT_DEPRECATE_EOF ---- */

#define CAP_LONG_PASSWORD   0x00000001
#define CAP_CONNECT_WITH_DB 0x00000008
#define CAP_PROTOCOL_41	    0x00000200
#define CAP_TRANSACTIONS    0x00002000
#define CAP_SECURE_CONN	    0x00008000
#define CAP_MULTI_RESULTS   0x00020000
#define CAP_PS_MULTI	    0x00040000
#define CAP_PLUGIN_AUTH	    0x00080000
#define CAP_DEPRECATE_EOF   0x01000000
#define ST_CURSOR_EXISTS    0x0040
#define ST_LAST_ROW_SENT    0x0080

struct raw {
	int fd;
	uint8_t seq; /* the next sequence id to send */
	uint8_t p[1 << 16];
	uint32_t len;	  /* payload of the last packet read */
	char seen[4][96]; /* terminators seen: execute, fetch, last fetch, empty fetch */
};

static void raw_read(struct raw *c)
{
	uint8_t h[4];
	size_t got = 0;
	ssize_t n;

	while (got < 4) {
		n = read(c->fd, h + got, 4 - got);
		if (n <= 0)
			die("read", "connection closed");
		got += n;
	}
	c->len = h[0] | h[1] << 8 | h[2] << 16;
	c->seq = h[3] + 1;
	if (c->len > sizeof(c->p))
		die("read", "packet too long for this client");
	for (got = 0; got < c->len; got += n) {
		n = read(c->fd, c->p + got, c->len - got);
		if (n <= 0)
			die("read", "connection closed");
	}
}

/* Packets are gathered and written together by raw_flush (pipelining). */
static uint8_t out[4096];
static size_t out_len;

static void raw_put(struct raw *c, const void *p, uint32_t len)
{
	if (out_len + 4 + len > sizeof(out))
		die("write", "too much queued");
	out[out_len++] = len & 0xff;
	out[out_len++] = (len >> 8) & 0xff;
	out[out_len++] = len >> 16;
	out[out_len++] = c->seq++;
	memcpy(out + out_len, p, len);
	out_len += len;
}

static void raw_flush(struct raw *c)
{
	if (write(c->fd, out, out_len) != (ssize_t)out_len)
		die("write", "short write");
	out_len = 0;
}

static void raw_cmd(struct raw *c, uint8_t cmd, const void *arg, uint32_t len)
{
	uint8_t p[512];

	p[0] = cmd;
	memcpy(p + 1, arg, len);
	c->seq = 0;
	raw_put(c, p, len + 1);
}

static uint32_t lenenc(const uint8_t *p, uint32_t *at)
{
	uint8_t b = p[(*at)++];
	uint32_t v;

	if (b < 0xfb)
		return b;
	if (b != 0xfc)
		die("lenenc", "unexpected");
	v = p[*at] | p[*at + 1] << 8;
	*at += 2;
	return v;
}

/* A terminator (0xfe, shorter than a row could be): its status flags, or -1. */
static int raw_term(struct raw *c, int slot)
{
	uint32_t at = 1;
	uint16_t st;

	if (c->p[0] != 0xfe || c->len >= 9)
		return -1;
	if (c->len == 5) {
		st = c->p[3] | c->p[4] << 8;
	} else {
		lenenc(c->p, &at);
		lenenc(c->p, &at);
		st = c->p[at] | c->p[at + 1] << 8;
	}
	if (slot >= 0 && !c->seen[slot][0])
		snprintf(c->seen[slot], sizeof(c->seen[slot]), "%s, %u bytes, status 0x%04x",
			 c->len == 5 ? "EOF" : "OK with a 0xfe header", c->len, st);
	return st;
}

/* Rows up to the terminator; returns its status (-1: ERR). */
static int raw_rows(struct raw *c, int slot, int *rows)
{
	int st;

	*rows = 0;
	for (;;) {
		raw_read(c);
		if (c->p[0] == 0xff)
			return -1;
		st = raw_term(c, slot);
		if (st >= 0)
			return st;
		(*rows)++;
	}
}

/* The response to COM_STMT_EXECUTE: OK, or a count, definitions and (cursor) a terminator or
 * (no cursor) rows. Returns the terminator's status (0 for OK; -1 for ERR). */
static int raw_execute_resp(struct raw *c, int *rows)
{
	uint32_t at = 0, n;
	int st, more;

	*rows = 0;
	raw_read(c);
	if (c->p[0] == 0xff)
		return -1;
	if (c->p[0] == 0x00)
		return 0;
	n = lenenc(c->p, &at);
	while (n--)
		raw_read(c);
	raw_read(c);
	st = raw_term(c, 0);
	if (st >= 0) /* a cursor (CURSOR_EXISTS), or no rows */
		return st;
	st = raw_rows(c, -1, &more); /* no cursor: rows, this packet the first */
	*rows = 1 + more;
	return st;
}

static uint32_t raw_prepare(struct raw *c, const char *sql)
{
	uint32_t id, n;

	raw_cmd(c, 0x16, sql, strlen(sql));
	raw_flush(c);
	raw_read(c);
	if (c->p[0] != 0x00 || c->len < 12)
		die("prepare", "refused");
	id = c->p[1] | c->p[2] << 8 | c->p[3] << 16 | (uint32_t)c->p[4] << 24;
	n = (c->p[5] | c->p[6] << 8) + (c->p[7] | c->p[8] << 8);
	while (n--)
		raw_read(c); /* definitions, no EOF packets */
	return id;
}

static void raw_execute(struct raw *c, uint32_t id, int cursor, int32_t arg)
{
	uint8_t p[32] = {0};

	memcpy(p, &id, 4);
	p[4] = cursor ? 1 : 0;
	p[5] = 1;     /* iteration count */
	p[9] = 0;     /* null bitmap */
	p[10] = 1;    /* types follow */
	p[11] = 0x03; /* MYSQL_TYPE_LONG */
	memcpy(p + 13, &arg, 4);
	raw_cmd(c, 0x17, p, 17);
}

static void raw_fetch(struct raw *c, uint32_t id, uint32_t n)
{
	uint8_t p[8];

	memcpy(p, &id, 4);
	memcpy(p + 4, &n, 4);
	raw_cmd(c, 0x1c, p, 8);
}

static void raw_simple(struct raw *c, uint8_t cmd, uint32_t id)
{
	raw_cmd(c, cmd, &id, 4);
}

static void raw_ok(struct raw *c, const char *what)
{
	raw_read(c);
	if (c->p[0] != 0x00)
		die(what, "not OK");
}

static void raw_connect(struct raw *c, const char *host, const char *user, const char *dbname)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(3306)};
	uint32_t caps = CAP_LONG_PASSWORD | CAP_CONNECT_WITH_DB | CAP_PROTOCOL_41 |
			CAP_TRANSACTIONS | CAP_SECURE_CONN | CAP_MULTI_RESULTS | CAP_PS_MULTI |
			CAP_PLUGIN_AUTH | CAP_DEPRECATE_EOF,
		 srv;
	uint8_t p[256] = {0}, *v;
	size_t n = 32;

	c->fd = socket(AF_INET, SOCK_STREAM, 0);
	if (c->fd < 0 || inet_pton(AF_INET, host, &sa.sin_addr) != 1 ||
	    connect(c->fd, (struct sockaddr *)&sa, sizeof(sa)))
		die("connect", host);
	raw_read(c); /* greeting: version, id, scramble, capabilities */
	v = memchr(c->p + 1, 0, c->len - 1);
	if (c->p[0] != 0x0a || !v)
		die("greeting", "unexpected");
	srv = v[14] | v[15] << 8 | v[19] << 16 | (uint32_t)v[20] << 24;
	if (!(srv & CAP_DEPRECATE_EOF))
		die("greeting", "the server does not offer CLIENT_DEPRECATE_EOF");
	memcpy(p, &caps, 4);
	p[4] = 0, p[5] = 0, p[6] = 0, p[7] = 1; /* max packet 16 MB */
	p[8] = 45;				/* utf8mb4 */
	n += snprintf((char *)p + n, 64, "%s", user) + 1;
	p[n++] = 0; /* empty auth response: no password */
	n += snprintf((char *)p + n, 64, "%s", dbname) + 1;
	n += snprintf((char *)p + n, 64, "mysql_native_password") + 1;
	raw_put(c, p, n);
	raw_flush(c);
	raw_read(c);
	if (c->p[0] == 0xfe) { /* auth switch: still no password */
		raw_put(c, "", 0);
		raw_flush(c);
		raw_read(c);
	}
	if (c->p[0] != 0x00)
		die("login", "refused");
}

static int run_raw(const char *host, const char *user, const char *dbname, int rounds,
		   uint32_t prefetch)
{
	static struct raw c;
	uint32_t cur, plain, upd;
	int all = 2 * prefetch + 1, rows, st, n;

	raw_connect(&c, host, user, dbname);
	cur = raw_prepare(&c, "SELECT id, v FROM cur WHERE id <= ? ORDER BY id");
	plain = raw_prepare(&c, "SELECT id, v FROM cur WHERE id = ?");
	upd = raw_prepare(&c, "UPDATE cur SET v = 'r' WHERE id = ?");
	for (int r = 0; r < rounds; r++) {
		/* read to the end */
		raw_execute(&c, cur, 1, all);
		raw_flush(&c);
		st = raw_execute_resp(&c, &rows);
		if (st < 0 || !(st & ST_CURSOR_EXISTS) || rows)
			die("execute", "no cursor");
		for (n = 0;; n += rows) {
			raw_fetch(&c, cur, prefetch);
			raw_flush(&c);
			st = raw_rows(&c, 1, &rows);
			if (st < 0)
				die("fetch", "ERR");
			if (st & ST_LAST_ROW_SENT) {
				raw_term(&c, 2);
				break;
			}
		}
		rows_read += n + rows;
		if (n + rows != all)
			die("fetch", "not every row read");
		/* a fetch pipelined with a plain execute and a query, then reset */
		raw_execute(&c, cur, 1, all);
		raw_flush(&c);
		if (raw_execute_resp(&c, &rows) < 0)
			die("execute", "ERR");
		raw_fetch(&c, cur, prefetch);
		raw_execute(&c, plain, 0, 1);
		raw_cmd(&c, 0x03, "DO 1", 4);
		raw_flush(&c);
		if (raw_rows(&c, 1, &rows) < 0 || rows != (int)prefetch)
			die("fetch", "pipelined");
		rows_read += rows;
		if (raw_execute_resp(&c, &rows) < 0 || rows != 1)
			die("execute", "plain");
		rows_read += rows;
		raw_ok(&c, "DO 1");
		raw_simple(&c, 0x1a, cur);
		raw_flush(&c);
		raw_ok(&c, "reset");
		/* a cursor over no rows */
		raw_execute(&c, cur, 1, 0);
		raw_flush(&c);
		if (raw_execute_resp(&c, &rows) < 0)
			die("execute", "ERR");
		raw_fetch(&c, cur, prefetch);
		raw_flush(&c);
		if (raw_rows(&c, 3, &rows) < 0 || rows)
			die("fetch", "rows from an empty cursor");
		/* the cursor flag on an UPDATE */
		raw_execute(&c, upd, 1, 1);
		raw_flush(&c);
		raw_ok(&c, "update");
		/* a fetch for a statement id the server never handed out */
		raw_execute(&c, cur, 1, all);
		raw_flush(&c);
		if (raw_execute_resp(&c, &rows) < 0)
			die("execute", "ERR");
		raw_fetch(&c, BOGUS_STMT, prefetch);
		raw_flush(&c);
		if (raw_rows(&c, -1, &rows) != -1)
			die("fetch", "an unknown statement id was accepted");
		errors_seen++;
		raw_simple(&c, 0x1a, cur);
		raw_flush(&c);
		raw_ok(&c, "reset");
	}
	raw_simple(&c, 0x19, cur);
	raw_simple(&c, 0x19, plain);
	raw_simple(&c, 0x19, upd);
	raw_cmd(&c, 0x01, "", 0);
	raw_flush(&c);
	close(c.fd);
	printf("execute with a cursor ends with: %s\n", c.seen[0]);
	printf("fetch ends with: %s\n", c.seen[1]);
	printf("last fetch ends with: %s\n", c.seen[2]);
	printf("fetch of an empty cursor: %s\n", c.seen[3]);
	return 0;
}

int main(int argc, char **argv)
{
	int rounds, rc;
	unsigned long prefetch;

	if (argc != 7 || (strcmp(argv[1], "api") && strcmp(argv[1], "raw")))
		die("usage", "cursor api|raw HOST USER DB ROUNDS PREFETCH");
	rounds = atoi(argv[5]);
	prefetch = strtoul(argv[6], NULL, 10);
	if (rounds < 1 || prefetch < 1 || prefetch > 100)
		die("usage", "ROUNDS >= 1, 1 <= PREFETCH <= 100");
	if (!strcmp(argv[1], "api"))
		rc = run_api(argv[2], argv[3], argv[4], rounds, prefetch);
	else
		rc = run_raw(argv[2], argv[3], argv[4], rounds, prefetch);
	printf("rows %ld errors %ld\n", rows_read, errors_seen);
	return rc;
}
