// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* HTTP/1.x through the L7 engine: crafted TCP segments, exact per-method stats. */
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

#define PORT 8080

/* requests, responses, errors (5xx), misses (404) of one method */
#define EXPECT_HTTP(c, cmd, rq, rs, er, mi) EXPECT_CMD_MISSES(c, WL_L7_HTTP, cmd, rq, rs, er, mi)

static void fin(enum wl_hook h, struct conv *c, int from_server)
{
	conv_seg(h, c, from_server, NULL, 0, 0x11); /* FIN|ACK */
}

#define GET_REQ                                                                                    \
	"GET /index.html HTTP/1.1\r\nHost: example.com\r\nUser-Agent: curl/7.88.1\r\n"             \
	"Accept: */*\r\n\r\n"
#define OK_RESP                                                                                    \
	"HTTP/1.1 200 OK\r\nServer: nginx\r\nContent-Type: text/html\r\nContent-Length: 12\r\n"    \
	"Connection: keep-alive\r\n\r\nhello world\n"
static const char get_req[] = GET_REQ;
static const char ok_resp[] = OK_RESP;

#define EXPECT_BYTES(c, cmd, rqb, rsb) EXPECT_CMD_BYTES(c, WL_L7_HTTP, cmd, rqb, rsb)

/* The engine counters an HTTP case leaves at 0 unless it says otherwise. */
static const struct counter_want http_clean[] = {
	{"l7_malformed", 0}, {"l7_unmatched", 0}, {"l7_resync_skip", 0}, {"l7_fifo_overflow", 0}};
static const struct text_suite http_text = {WL_L7_HTTP, PORT, http_clean, 4};

#define POST_FORM                                                                                  \
	"POST /form HTTP/1.1\r\nHost: x\r\ncontent-length: 7\r\nContent-Type: text/plain\r\n\r\n"  \
	"abc=def"
/* a HEAD response announces the length of the body it does not carry */
#define HEAD_RESP "HTTP/1.1 200 OK\r\nContent-Length: 5000\r\n\r\n"
#define CHUNKED_REQ                                                                                \
	"POST /up HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"                                  \
	"5\r\nhello\r\n1A;ext=1\r\nabcdefghijklmnopqrstuvwxyz\r\n0\r\n\r\n"
#define CHUNKED_RESP                                                                               \
	"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, Chunked\r\nContent-Length: 99999\r\n\r\n"     \
	"a\r\n0123456789\r\nF \r\n0123456789abcde\r\n0\r\nX-Trailer: 1\r\nChecksum: abc\r\n\r\n"

/* Bytes are the whole message's, body included (a HEAD response's: its headers). */
static void http_methods_bytes(const struct conv *c)
{
	EXPECT_BYTES(c, "POST", strlen(POST_FORM), strlen(OK_RESP));
	EXPECT_BYTES(c, "HEAD", strlen("HEAD / HTTP/1.1\r\nHost: x\r\n\r\n"), strlen(HEAD_RESP));
}

static void http_get_bytes(const struct conv *c)
{
	EXPECT_BYTES(c, "GET", strlen(GET_REQ), strlen(OK_RESP));
}

static void http_chunked_bytes(const struct conv *c)
{
	EXPECT_BYTES(c, "POST", strlen(CHUNKED_REQ), strlen(CHUNKED_RESP));
}

/* Conversations: the script and every method it must leave (requests, responses, errors
 * (5xx), misses (404)), through XDP and TC. */
static const struct text_case http_conversations[] = {
	{"methods and status classes, one exchange each",
	 .script = {"> " GET_REQ,
		    "< " OK_RESP,
		    "> " POST_FORM,
		    "< " OK_RESP,
		    "> HEAD / HTTP/1.1\r\nHost: x\r\n\r\n",
		    "< " HEAD_RESP,
		    "> " GET_REQ,
		    "< HTTP/1.1 404 Not Found\r\nContent-Length: 9\r\n\r\nnot found",
		    "> DELETE /x HTTP/1.1\r\nHost: x\r\n\r\n",
		    "< HTTP/1.1 500 Internal Server Error\r\nCONTENT-LENGTH: 3\r\n\r\nerr",
		    "> PUT /x HTTP/1.1\r\nContent-Length: 0\r\n\r\n",
		    "< HTTP/1.1 204 No Content\r\n\r\n",
		    "> OPTIONS * HTTP/1.1\r\n\r\n",
		    "< HTTP/1.1 200 OK\r\nAllow: GET\r\nContent-Length: 0\r\n\r\n",
		    "> PATCH /p HTTP/1.1\r\nContent-Length: 2\r\n\r\n{}",
		    "< HTTP/1.1 304 Not Modified\r\nETag: x\r\n\r\n",
		    "> TRACE / HTTP/1.1\r\n\r\n",
		    "< HTTP/1.1 405 Not Allowed\r\nContent-Length: 1\r\n\r\nx",
		    "> PROPFIND /d HTTP/1.1\r\nDepth: 1\r\n\r\n",
		    "< HTTP/1.1 501 Not Implemented\r\nContent-Length: 0\r\n\r\n",
		    "# methods are case-sensitive",
		    "> get / HTTP/1.1\r\n\r\n",
		    "< HTTP/1.0 400 Bad Request\r\nContent-Length: 0\r\n\r\n"},
	 .want = "GET 2 2 0 1, POST 1 1 0 0, HEAD 1 1 0 0, DELETE 1 1 1 0, PUT 1 1 0 0, "
		 "OPTIONS 1 1 0 0, PATCH 1 1 0 0, TRACE 1 1 0 0, OTHER 2 2 1 0",
	 .check = http_methods_bytes},
	{"a request and its response cut at every offset: exact counts and bytes whatever the cut",
	 .split = 1, .script = {"> " GET_REQ, "< " OK_RESP}, .want = "GET 1 1 0 0",
	 .check = http_get_bytes},
	{"the same one byte per segment", .mss = 1, .script = {"> " GET_REQ, "< " OK_RESP},
	 .want = "GET 1 1 0 0", .check = http_get_bytes},
	{"chunked bodies (extensions, trailers, sizes in both cases) cut at every offset, both "
	 "ways; "
	 "a second exchange proves the boundary was found",
	 .split = 1, .script = {"> " CHUNKED_REQ, "< " CHUNKED_RESP, "> " GET_REQ, "< " OK_RESP},
	 .want = "POST 1 1 0 0, GET 1 1 0 0", .check = http_chunked_bytes},
	{"20 requests pipelined in one segment, 20 responses in one",
	 .script = {"> 10*" GET_REQ "POST /a HTTP/1.1\r\nContent-Length: 3\r\n\r\nxyz",
		    "< 9*" OK_RESP "HTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\nok",
		    "+ " OK_RESP "HTTP/1.1 503 Busy\r\nContent-Length: 0\r\n\r\n"},
	 .want = "GET 10 10 0 0, POST 10 10 1 0"},
	{"the same in segments of 100 bytes", .mss = 100,
	 .script = {"> 10*" GET_REQ "POST /a HTTP/1.1\r\nContent-Length: 3\r\n\r\nxyz",
		    "< 9*" OK_RESP "HTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\nok",
		    "+ " OK_RESP "HTTP/1.1 503 Busy\r\nContent-Length: 0\r\n\r\n"},
	 .want = "GET 10 10 0 0, POST 10 10 1 0"},
	{"the same in segments of 1448 bytes", .mss = 1448,
	 .script = {"> 10*" GET_REQ "POST /a HTTP/1.1\r\nContent-Length: 3\r\n\r\nxyz",
		    "< 9*" OK_RESP "HTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\nok",
		    "+ " OK_RESP "HTTP/1.1 503 Busy\r\nContent-Length: 0\r\n\r\n"},
	 .want = "GET 10 10 0 0, POST 10 10 1 0"},
	{"100 Continue is interim: the final response answers the request",
	 .script = {"> PUT /f HTTP/1.1\r\nContent-Length: 4\r\nExpect: 100-continue\r\n\r\n",
		    "< HTTP/1.1 100 Continue\r\n\r\n", "> data",
		    "< HTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n",
		    "# interim and final in one segment",
		    "> PUT /f HTTP/1.1\r\nContent-Length: 4\r\nExpect: 100-continue\r\n\r\n",
		    "> data",
		    "< HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 102 Processing\r\n\r\n"
		    "HTTP/1.1 500 Oops\r\nContent-Length: 0\r\n\r\n"},
	 .want = "PUT 2 2 1 0"},
	{"after 101 Switching Protocols the bytes are not HTTP: not parsed",
	 .script = {"> GET /chat HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n"
		    "Connection: Upgrade\r\n\r\n",
		    "< HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
		    "Connection: Upgrade\r\n\r\n\x81\x05hello",
		    "> \x81\x85\x37\xfa\x21\x3d\x7f\x9f\x4d\x51\x58GET / HTTP/1.1",
		    "< HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"},
	 .want = "GET 1 1 0 0"},
	{"after a CONNECT's 200 (on a known port) the bytes are not HTTP", .port = 80,
	 .script = {"> CONNECT example.com:443 HTTP/1.1\r\n\r\n",
		    "< HTTP/1.1 200 Connection established\r\n\r\n\x16\x03\x03",
		    "> GET / HTTP/1.1\r\n\r\n", "< HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"},
	 .want = "CONNECT 1 1 0 0"},
	{"joined mid-stream (no handshake): the first segments that start a message are parsed",
	 .joined = 1, .port = 80,
	 .script = {"> ent: x\r\n\r\n", "< lo world\n", "> " GET_REQ, "< " OK_RESP},
	 .want = "GET 1 1 0 0", .counters = "l7_resync_skip 2"},
};

WL_TEST(http, conversations)
{
	TEXT_RUN_CASES(&http_text, http_conversations);
}

WL_TEST(http, large_bodies)
{
	size_t blen = 300000, hl;
	char *msg = malloc(blen + (128 << 10)); /* also holds the chunked body below */

	hl = sprintf(msg, "HTTP/1.1 200 OK\r\nContent-Length: %zu\r\n\r\n", blen);
	memset(msg + hl, 'b', blen);
	FOR_EACH_HOOK(h) {
		struct wl_cmd_stats st;
		struct conv c;

		conv_start(h, &c, PORT);
		conv_req(h, &c, get_req);
		for (size_t off = 0; off < hl + blen; off += 1448)
			conv_seg(h, &c, 1, msg + off,
				 hl + blen - off < 1448 ? hl + blen - off : 1448, 0);
		conv_req(h, &c, get_req);
		conv_resp(h, &c, ok_resp);
		EXPECT_HTTP(&c, "GET", 2, 2, 0, 0);
		conv_stats(&c, WL_L7_HTTP, "GET", &st);
		CU_ASSERT_EQUAL(st.response_bytes, hl + blen + strlen(ok_resp));
	}
	/* chunked, 100 chunks of 4000 bytes (well past the header block bound) */
	hl = sprintf(msg, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n");
	for (int i = 0; i < 100; i++) {
		hl += sprintf(msg + hl, "fa0\r\n");
		memset(msg + hl, 'c', 4000);
		hl += 4000;
		hl += sprintf(msg + hl, "\r\n");
	}
	hl += sprintf(msg + hl, "0\r\n\r\n");
	FOR_EACH_HOOK(h) {
		struct wl_cmd_stats st;
		struct conv c;

		conv_start(h, &c, PORT);
		conv_req(h, &c, get_req);
		for (size_t off = 0; off < hl; off += 1448)
			conv_seg(h, &c, 1, msg + off, hl - off < 1448 ? hl - off : 1448, 0);
		conv_req(h, &c, get_req);
		conv_resp(h, &c, ok_resp);
		EXPECT_HTTP(&c, "GET", 2, 2, 0, 0);
		conv_stats(&c, WL_L7_HTTP, "GET", &st);
		CU_ASSERT_EQUAL(st.response_bytes, hl + strlen(ok_resp));
		EXPECT_COUNTER(l7_malformed, 0);
	}
	free(msg);
}

/* A response without length ends at the server's FIN (bare, or on the last segment). */
WL_TEST(http, until_close)
{
	static const char until_close[] =
		"HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nbody ";
	static const char bad_gw[] = "HTTP/1.1 502 Bad Gateway\r\n\r\nbad";

	FOR_EACH_HOOK(h) {
		struct wl_cmd_stats st;
		struct conv c;

		conv_start(h, &c, 80);
		conv_req(h, &c, "GET /old HTTP/1.0\r\n\r\n");
		conv_resp(h, &c, until_close);
		conv_resp(h, &c, "more body");
		EXPECT_COUNTER(l7_packets, 3);
		conv_stats(&c, WL_L7_HTTP, "GET", &st);
		CU_ASSERT_EQUAL(st.responses, 0); /* not yet: the body goes on until the close */
		fin(h, &c, 1);
		EXPECT_HTTP(&c, "GET", 1, 1, 0, 0);
		conv_stats(&c, WL_L7_HTTP, "GET", &st);
		CU_ASSERT_EQUAL(st.response_bytes, strlen(until_close) + 9);

		conv_start(h, &c, 80);
		conv_req(h, &c, "POST /x HTTP/1.0\r\nContent-Length: 1\r\n\r\nz");
		conv_seg(h, &c, 1, bad_gw, strlen(bad_gw), 0x19); /* FIN|PSH|ACK */
		EXPECT_HTTP(&c, "POST", 1, 1, 1, 0);
		/* a FIN with nothing open counts nothing */
		fin(h, &c, 0);
		EXPECT_HTTP(&c, "POST", 1, 1, 1, 0);
		EXPECT_COUNTER(l7_malformed, 0);
	}
}

WL_TEST(http, retransmit_and_gap)
{
	FOR_EACH_HOOK(h) {
		struct conv c;
		uint32_t saved;

		conv_start(h, &c, PORT);
		saved = c.cseq;
		conv_req(h, &c, get_req);
		c.cseq = saved;
		conv_req(h, &c, get_req); /* the same segment again */
		conv_reseg(h, &c, 0, get_req, 10, 10);
		conv_resp(h, &c, ok_resp);
		c.cseq += 500;					/* lost bytes */
		conv_req(h, &c, "ding\r\nAccept: */*\r\n\r\n"); /* tail of a lost request */
		conv_req(h, &c, "POST /after HTTP/1.1\r\nContent-Length: 1\r\n\r\n1");
		conv_resp(h, &c, ok_resp);
		EXPECT_HTTP(&c, "GET", 1, 1, 0, 0);
		EXPECT_HTTP(&c, "POST", 1, 1, 0, 0);
		EXPECT_COUNTERS({"l7_retransmit", 2}, {"l7_gap", 1}, {"l7_resync_skip", 1},
				{"l7_malformed", 0});
	}
}

/* headers, then a body of blen bytes: Content-Length, or one chunk (and the last chunk) */
static char *with_body(const char *start, size_t blen, int chunked, size_t *len)
{
	char *m = malloc(blen + 256), *p;

	p = m + sprintf(m, "%s", start);
	if (chunked)
		p += sprintf(p, "Transfer-Encoding: chunked\r\n\r\n%zx\r\n", blen);
	else
		p += sprintf(p, "Content-Length: %zu\r\n\r\n", blen);
	memset(p, 'b', blen);
	p += blen;
	if (chunked)
		p += sprintf(p, "\r\n0\r\n\r\n");
	*len = p - m;
	return m;
}

/*
 * A segment lost (or overtaken) inside a 10 KB Content-Length body or chunk, request and
 * response: the body is skipped unread anyway, so every message still counts with its full
 * byte count and the next ones still pair. A late copy is a retransmission.
 */
WL_TEST(http, gap_inside_body)
{
	size_t pcl_len, rcl_len, pch_len, rch_len;
	char *pcl = with_body("POST /up HTTP/1.1\r\nHost: x\r\n", 10240, 0, &pcl_len);
	char *rcl = with_body("HTTP/1.1 200 OK\r\nServer: t\r\n", 10240, 0, &rcl_len);
	char *pch = with_body("POST /up HTTP/1.1\r\nHost: x\r\n", 8192, 1, &pch_len);
	char *rch = with_body("HTTP/1.1 200 OK\r\nServer: t\r\n", 8192, 1, &rch_len);

	for (int late = 0; late < 2; late++) {
		FOR_EACH_HOOK(h) {
			struct conv c;

			conv_start(h, &c, PORT);
			conv_stream(h, &c, 0, pcl, pcl_len, 1448, 3, late);
			conv_stream(h, &c, 1, rcl, rcl_len, 1448, 4, late);
			conv_stream(h, &c, 0, pch, pch_len, 1448, 3, late);
			conv_resp(h, &c, ok_resp);
			conv_req(h, &c, get_req);
			conv_stream(h, &c, 1, rch, rch_len, 1448, 2, late);
			conv_req(h, &c, get_req);
			conv_resp(h, &c, ok_resp);
			EXPECT_HTTP(&c, "POST", 2, 2, 0, 0);
			EXPECT_HTTP(&c, "GET", 2, 2, 0, 0);
			EXPECT_BYTES(&c, "POST", pcl_len + pch_len, rcl_len + strlen(ok_resp));
			EXPECT_BYTES(&c, "GET", 2 * strlen(get_req), rch_len + strlen(ok_resp));
			EXPECT_COUNTERS({"l7_gap", 4}, {"l7_gap_absorbed", 4},
					{"l7_retransmit", late ? 4 : 0}, {"l7_resync_skip", 0},
					{"l7_malformed", 0}, {"l7_unmatched", 0});
		}
	}
	free(pcl);
	free(rcl);
	free(pch);
	free(rch);
}

/* Gaps not wholly inside a body still resynchronise, as before: a chunk size line lost, the
 * end of a body with the next request's start, a gap up to exactly a body's end. */
WL_TEST(http, gap_outside_body)
{
	static const char post_hdr[] = "POST /p HTTP/1.1\r\nContent-Length: 100\r\n\r\n";
	static const char resp_hdr[] = "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n";
	char chunks[12000], half[51];
	size_t clen = 0, nseg;

	clen += sprintf(chunks, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n");
	for (int i = 0; i < 10; i++) {
		clen += sprintf(chunks + clen, "3e8\r\n");
		memset(chunks + clen, 'c', 1000);
		clen += 1000;
		clen += sprintf(chunks + clen, "\r\n");
	}
	clen += sprintf(chunks + clen, "0\r\n\r\n");
	nseg = (clen + 1447) / 1448;
	memset(half, 'b', 50);
	half[50] = 0;
	FOR_EACH_HOOK(h) {
		struct conv c;

		/* segment 1 holds a chunk size line: the response is lost, every later segment
		 * of it skipped; its GET stays pending and takes the next response */
		conv_start(h, &c, PORT);
		conv_req(h, &c, get_req);
		conv_stream(h, &c, 1, chunks, clen, 1448, 1, 0);
		conv_req(h, &c, get_req);
		conv_resp(h, &c, ok_resp);
		EXPECT_HTTP(&c, "GET", 2, 1, 0, 0);
		EXPECT_COUNTERS({"l7_gap", 1}, {"l7_gap_absorbed", 0},
				{"l7_resync_skip", nseg - 2});

		/* the end of a request body and the start of the next request: the POST counted
		 * at its headers (its body's bytes are lost), the cut GET is lost, the three
		 * responses go to the POST, the GET and none */
		conv_start(h, &c, PORT);
		conv_req(h, &c, post_hdr);
		conv_req(h, &c, half);
		c.cseq += 50 + 10;
		conv_req(h, &c, get_req + 10);
		conv_req(h, &c, get_req);
		conv_resp(h, &c, ok_resp);
		conv_resp(h, &c, ok_resp);
		conv_resp(h, &c, ok_resp);
		EXPECT_HTTP(&c, "POST", 1, 1, 0, 0);
		EXPECT_HTTP(&c, "GET", 1, 1, 0, 0);
		EXPECT_BYTES(&c, "POST", strlen(post_hdr), strlen(ok_resp));
		EXPECT_COUNTERS({"l7_gap", 1}, {"l7_gap_absorbed", 0}, {"l7_resync_skip", 1},
				{"l7_unmatched", 1});

		/* a response body lost up to exactly its end: that response is lost (it had taken
		 * its request at its headers), the next one starts the segment (resynchronised at
		 * once) and pairs with its own request */
		conv_start(h, &c, PORT);
		conv_req(h, &c, post_hdr);
		conv_req(h, &c, half);
		conv_req(h, &c, half);
		conv_resp(h, &c, resp_hdr);
		conv_resp(h, &c, half);
		c.sseq += 50;
		conv_req(h, &c, get_req);
		conv_resp(h, &c, ok_resp);
		EXPECT_HTTP(&c, "POST", 1, 0, 0, 0);
		EXPECT_HTTP(&c, "GET", 1, 1, 0, 0);
		EXPECT_COUNTERS({"l7_gap", 1}, {"l7_gap_absorbed", 0}, {"l7_resync_skip", 0});
	}
}

WL_TEST(http, malformed)
{
	/* counted: the headers were whole, so the request counts before its body goes wrong */
	static const struct {
		const char *req, *resp;
		int counted;
	} bad[] = {
		{"GET / HTTP/1.1\r\nContent-Length: 99999999999999999\r\n\r\n", NULL,
		 0},							    /* absurd */
		{"POST / HTTP/1.1\r\nContent-Length: -5\r\n\r\n", NULL, 0}, /* negative */
		{"POST / HTTP/1.1\r\nContent-Length: abc\r\n\r\n", NULL, 0},
		{"POST / HTTP/1.1\r\nContent-Length:\r\n\r\n", NULL, 0},
		/* bad chunk size, chunk longer than its size, absurd chunk size */
		{"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", NULL, 1},
		{"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabcd\r\n", NULL, 1},
		{"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nFFFFFFFFFFFFFF\r\n", NULL,
		 1},
		{"\x01\x02\x03\x04 garbage\r\n", NULL, 0},
		{"GET\t/ HTTP/1.1\r\n\r\n", NULL, 0},
		{"GET / HTTP/1.1\r\nBad Header: x\r\n\r\n", NULL, 0},
		{"GET / HTTP/1.1\r\n\r\n", "HTTP/9x 200 OK\r\n\r\n", 0},
		{"GET / HTTP/1.1\r\n\r\n", "HTTP/1.1 2x0 OK\r\n\r\n", 0},
		{"GET / HTTP/1.1\r\n\r\n", "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nxy", 0},
		{"GET / HTTP/1.1\r\n\r\n", "ICY 200 OK\r\n\r\n", 0},
	};

	FOR_EACH_HOOK(h) {
		for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
			struct conv c;

			conv_start(h, &c, PORT);
			conv_req(h, &c, bad[i].req);
			if (bad[i].resp)
				conv_resp(h, &c, bad[i].resp);
			EXPECT_COUNTER(l7_malformed, 1);
			if (harness_counters().l7_malformed != 1)
				fprintf(stderr, "  case %zu\n", i);
			if (bad[i].counted) { /* the server refuses it */
				conv_resp(h, &c,
					  "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n");
				EXPECT_HTTP(&c, "POST", 1, 1, 0, 0);
			}
			/* the connection recovers at the next segment starting a message */
			conv_req(h, &c, "PUT /next HTTP/1.1\r\nContent-Length: 1\r\n\r\nz");
			conv_resp(h, &c, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
			if (!bad[i].resp)
				EXPECT_HTTP(&c, "PUT", 1, 1, 0, 0);
		}
		/* a header block that never ends */
		{
			struct conv c;
			char junk[1400];

			memset(junk, 'a', sizeof(junk));
			conv_start(h, &c, PORT);
			conv_req(h, &c, "GET / HTTP/1.1\r\nX: ");
			for (int i = 0; i < 50; i++)
				conv_seg(h, &c, 0, junk, sizeof(junk), 0);
			EXPECT_COUNTER(l7_malformed, 1);
		}
	}
}

WL_TEST(http, sniffed_port_and_ipv6)
{
	FOR_EACH_HOOK(h) {
		struct conv c;

		conv_start6(h, &c, 8000);
		conv_req(h, &c, get_req);
		conv_resp(h, &c, ok_resp);
		conv_req(h, &c, "DELETE /k HTTP/1.1\r\n\r\n");
		conv_resp(h, &c, "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n");
		EXPECT_HTTP(&c, "GET", 1, 1, 0, 0);
		EXPECT_HTTP(&c, "DELETE", 1, 1, 0, 1);
	}
}

static int server_error(const char *code)
{
	return atoi(code) >= 500;
}

static int not_found(const char *code)
{
	return atoi(code) == 404;
}

/*
 * The real captures against EXPECTED.tsv (tshark): per method, request_method rows equal the
 * requests wirelens counts; the response_code rows summed equal the responses, 5xx rows the
 * errors and 404 rows the misses.
 */
const struct capture_spec http_captures = {
	.protocol = {.name = "http", .l7_proto = WL_L7_HTTP, .files = 7},
	.commands = {.metrics = {"request_method"}, .listed = 1},
	.totals = {{CAPTURE_REQUESTS, "request_method"},
		   {CAPTURE_RESPONSES, "response_code"},
		   {CAPTURE_ERRORS, "response_code", NULL, server_error},
		   {CAPTURE_MISSES, "response_code", NULL, not_found}},
	.counters = {"l7_malformed"},
	.figures = {.compared = 48},
};
