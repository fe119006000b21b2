// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Redis through the L7 engine: crafted TCP segments, exact per-command stats. */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
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

#define SRV CONV_SRV

static int stats(uint16_t port, const char *cmd, struct wl_cmd_stats *out)
{
	struct conv c;

	conv_init(&c, port);
	return conv_stats(&c, WL_L7_REDIS, cmd, out);
}

static int stats_entries(void)
{
	return conv_stats_entries();
}

#define EXPECT_CMD(port, cmd, rq, rs, er, rqb, rsb)                                                \
	do {                                                                                       \
		struct wl_cmd_stats st_;                                                           \
		int found_ = stats(port, cmd, &st_) == 0;                                          \
		CU_ASSERT_TRUE(found_);                                                            \
		if (!found_)                                                                       \
			fprintf(stderr, "\n  [%s] no stats for %s\n", hook_names[h], cmd);         \
		CU_ASSERT_EQUAL(st_.requests, rq);                                                 \
		CU_ASSERT_EQUAL(st_.responses, rs);                                                \
		CU_ASSERT_EQUAL(st_.errors, er);                                                   \
		if ((long long)(rqb) >= 0)                                                         \
			CU_ASSERT_EQUAL(st_.request_bytes, (uint64_t)(rqb));                       \
		if ((long long)(rsb) >= 0)                                                         \
			CU_ASSERT_EQUAL(st_.response_bytes, (uint64_t)(rsb));                      \
		if (st_.requests != (rq) || st_.responses != (rs) || st_.errors != (er))           \
			fprintf(stderr, "\n  [%s] %s: req %llu resp %llu err %llu\n",              \
				hook_names[h], cmd, (unsigned long long)st_.requests,              \
				(unsigned long long)st_.responses,                                 \
				(unsigned long long)st_.errors);                                   \
	} while (0)

#define SET_REQ "*3\r\n$3\r\nSET\r\n$3\r\nkey\r\n$5\r\nvalue\r\n"
static const char set_req[] = SET_REQ;

/* The engine counters a Redis case leaves at 0 unless it says otherwise. */
static const struct counter_want redis_clean[] = {
	{"l7_malformed", 0}, {"l7_unmatched", 0}, {"l7_resync_skip", 0}, {"l7_fifo_overflow", 0}};
static const struct text_suite redis_text = {WL_L7_REDIS, 6379, redis_clean, 4};

#define GET_KEY				     "*2\r\n$3\r\nget\r\n$3\r\nkey\r\n"
#define GET_K				     "*2\r\n$3\r\nGET\r\n$1\r\nk\r\n"
#define PING_REQ			     "*1\r\n$4\r\nPING\r\n"
#define SET_K_HEAD			     "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$100\r\n"
#define EXPECT_REDIS_BYTES(c, cmd, rqb, rsb) EXPECT_CMD_BYTES(c, WL_L7_REDIS, cmd, rqb, rsb)

/* Bytes, a latency in range, one L7 packet per segment. */
static void redis_set_get_check(const struct conv *c)
{
	struct wl_cmd_stats st;

	EXPECT_REDIS_BYTES(c, "SET", strlen(SET_REQ), 5);
	EXPECT_REDIS_BYTES(c, "GET", strlen(GET_KEY), strlen("$5\r\nvalue\r\n"));
	conv_stats(c, WL_L7_REDIS, "GET", &st);
	CU_ASSERT_EQUAL(st.latency_hist[0] + st.latency_hist[WL_LAT_BUCKETS - 1] <= 1, 1);
	EXPECT_COUNTERS({"l7_packets", 4});
}

static void redis_pipelined_bytes(const struct conv *c)
{
	EXPECT_REDIS_BYTES(c, "SET", 16 * strlen(SET_REQ), 16 * 5);
}

static void redis_split_bytes(const struct conv *c)
{
	EXPECT_REDIS_BYTES(c, "SET", strlen(SET_REQ), strlen("*2\r\n$3\r\nabc\r\n:42\r\n"));
}

static void redis_inline_bytes(const struct conv *c)
{
	EXPECT_REDIS_BYTES(c, "PING", 12, 14);
}

static void redis_null_bytes(const struct conv *c)
{
	struct wl_cmd_stats st = {0};

	conv_stats(c, WL_L7_REDIS, "GET", &st);
	CU_ASSERT_EQUAL(st.response_bytes, 5);
}

static void redis_large_bytes(const struct conv *c)
{
	EXPECT_REDIS_BYTES(c, "SET", strlen("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$10240\r\n") + 10242, 5);
}

static void redis_gap_absorbed_bytes(const struct conv *c)
{
	EXPECT_REDIS_BYTES(c, "SET", strlen(SET_K_HEAD) + 102, 5);
	EXPECT_REDIS_BYTES(c, "PING", strlen(PING_REQ), 7);
}

static void redis_ping_bytes(const struct conv *c)
{
	EXPECT_REDIS_BYTES(c, "PING", strlen(PING_REQ), 5);
}

static void redis_reply_gap_bytes(const struct conv *c)
{
	EXPECT_REDIS_BYTES(c, "GET", strlen(GET_K), 7);
	EXPECT_REDIS_BYTES(c, "PING", strlen(PING_REQ), 0);
}

/* Conversations: the script and every command it must leave, through XDP and TC. */
static const struct text_case redis_conversations[] = {
	{"SET then GET", .script = {"> " SET_REQ, "< +OK\r\n", "> " GET_KEY, "< $5\r\nvalue\r\n"},
	 .want = "SET 1 1 0, GET 1 1 0", .check = redis_set_get_check},
	{"16 SETs pipelined in one segment, 16 replies in one",
	 .script = {"> 16*" SET_REQ, "< 16*+OK\r\n"}, .want = "SET 16 16 0",
	 .check = redis_pipelined_bytes},
	{"a request and its reply cut at every offset: exact counts whatever the cut", .split = 1,
	 .script = {"> " SET_REQ, "< *2\r\n$3\r\nabc\r\n:42\r\n"}, .want = "SET 1 1 0",
	 .check = redis_split_bytes},
	{"error replies: a simple error and a RESP3 bulk error",
	 .script = {"> *2\r\n$4\r\nLPOP\r\n$1\r\nk\r\n*2\r\n$4\r\nLPOP\r\n$1\r\nk\r\n",
		    "< -WRONGTYPE Operation against a key holding the wrong kind of value\r\n",
		    "< !21\r\nSYNTAX invalid syntax\r\n"},
	 .want = "LPOP 2 2 2"},
	{"inline commands, a container command (CONFIG GET), an unknown one",
	 .script = {"> PING\r\nping\r\n", "< +PONG\r\n+PONG\r\n",
		    "> *3\r\n$6\r\nconfig\r\n$3\r\nget\r\n$9\r\nmaxmemory\r\n",
		    "< *2\r\n$9\r\nmaxmemory\r\n$1\r\n0\r\n", "> *2\r\n$6\r\nFOOBAR\r\n$1\r\nx\r\n",
		    "< -ERR unknown command 'FOOBAR'\r\n"},
	 .want = "PING 2 2 0, CONFIG|GET 1 1 0, OTHER 1 1 1", .check = redis_inline_bytes},
	{"a RESP3 map with nested arrays, a double, a null, a bool, a verbatim string; an "
	 "out-of-band push is not a reply",
	 .script = {"> *1\r\n$5\r\nHELLO\r\n",
		    "< %3\r\n$6\r\nserver\r\n*2\r\n:1\r\n*1\r\n_\r\n$1\r\nx\r\n,1.5\r\n+k\r\n"
		    "=7\r\ntxt:abc\r\n",
		    "< >2\r\n$10\r\ninvalidate\r\n*1\r\n$1\r\nk\r\n", "> " GET_K, "< $-1\r\n"},
	 .want = "HELLO 1 1 0, GET 1 1 0", .check = redis_null_bytes},
	{"a 10 KB value across segments of 1448 bytes", .mss = 1448,
	 .script = {"> *3\r\n$3\r\nSET\r\n$1\r\nk\r\n$10240\r\n", "+ 10240*v", "+ \r\n",
		    "< +OK\r\n"},
	 .want = "SET 1 1 0", .check = redis_large_bytes},
	{"89 bytes of a value lost, its CRLF and a value byte left to see: absorbed",
	 .script = {"> " SET_K_HEAD, "> vvvvvvvvvv", "-> 89", "> v\r\n", "> " PING_REQ,
		    "< +OK\r\n+PONG\r\n"},
	 .want = "SET 1 1 0, PING 1 1 0", .counters = "l7_gap 1, l7_gap_absorbed 1",
	 .check = redis_gap_absorbed_bytes},
	{"90 bytes lost, only the CRLF left: the SET is lost, its reply pairs with PING, PING's is "
	 "unmatched",
	 .script = {"> " SET_K_HEAD, "> vvvvvvvvvv", "-> 90", "> \r\n", "> " PING_REQ,
		    "< +OK\r\n+PONG\r\n"},
	 .want = "PING 1 1 0",
	 .counters = "l7_gap 1, l7_gap_absorbed 0, l7_resync_skip 1, l7_unmatched 1",
	 .check = redis_ping_bytes},
	{"the end of a value and the next command's first bytes lost: both commands lost",
	 .script = {"> " SET_K_HEAD, "> vvvvvvvvvv", "-> 96",
		    "> $3\r\nGET\r\n$1\r\nk\r\n", /* GET_K without its first 4 bytes */
		    "> " PING_REQ, "< +OK\r\n$-1\r\n+PONG\r\n"},
	 .want = "PING 1 1 0",
	 .counters = "l7_gap 1, l7_gap_absorbed 0, l7_resync_skip 1, l7_unmatched 2",
	 .check = redis_ping_bytes},
	{"a reply's header lost with the start of its value: the rest is skipped until a segment "
	 "starts like a reply; the GET stays pending and takes the next reply",
	 .script = {"> " GET_K, "# \"$100\\r\\n\" and 14 value bytes", "-< 20", "< 88*w", "+ \r\n",
		    "> " PING_REQ, "< +PONG\r\n"},
	 .want = "GET 1 1 0, PING 1 0 0",
	 .counters = "l7_gap 1, l7_gap_absorbed 0, l7_resync_skip 1",
	 .check = redis_reply_gap_bytes},
};

WL_TEST(redis, conversations)
{
	TEXT_RUN_CASES(&redis_text, redis_conversations);
}

WL_TEST(redis, retransmit_and_gap)
{
	static const char get_req[] = "*2\r\n$3\r\nGET\r\n$1\r\nk\r\n";

	FOR_EACH_HOOK(h) {
		struct conv c;
		uint32_t saved;

		conv_start(h, &c, 6379);
		saved = c.cseq;
		conv_req(h, &c, get_req);
		c.cseq = saved; /* the same segment again */
		conv_req(h, &c, get_req);
		conv_resp(h, &c, "$1\r\nv\r\n");
		c.cseq += 100; /* 100 bytes lost: a message boundary must be found again */
		conv_req(h, &c, "$5\r\nhello\r\n"); /* tail of a lost command: skipped */
		conv_req(h, &c, set_req);	    /* starts on a boundary: resynchronised */
		conv_resp(h, &c, "+OK\r\n");
		EXPECT_CMD(6379, "GET", 1, 1, 0, -1, -1);
		EXPECT_CMD(6379, "SET", 1, 1, 0, -1, -1);
		EXPECT_COUNTERS({"l7_retransmit", 1}, {"l7_gap", 1}, {"l7_resync_skip", 1});
	}
}

/* A 10 KB value "*3 SET k <value>" (or its reply "$10240 <value>") in a buffer of len bytes. */
static char *big_set(size_t vlen, size_t *len)
{
	char *msg = malloc(vlen + 64), *p;

	p = msg + sprintf(msg, "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$%zu\r\n", vlen);
	memset(p, 'v', vlen);
	memcpy(p + vlen, "\r\n", 2);
	*len = p + vlen + 2 - msg;
	return msg;
}

static char *big_bulk(size_t vlen, size_t *len)
{
	char *msg = malloc(vlen + 32), *p;

	p = msg + sprintf(msg, "$%zu\r\n", vlen);
	memset(p, 'w', vlen);
	memcpy(p + vlen, "\r\n", 2);
	*len = p + vlen + 2 - msg;
	return msg;
}

/*
 * A segment lost (or overtaken) inside a 10 KB value, both ways: the bytes are skipped unread
 * anyway, so the SET, the GET and its reply still count with their full byte counts and the
 * commands after them still pair. A late copy is a retransmission of bytes already counted.
 */
WL_TEST(redis, gap_inside_bulk)
{
	static const char get_req[] = "*2\r\n$3\r\nGET\r\n$1\r\nk\r\n";
	static const char ping_req[] = "*1\r\n$4\r\nPING\r\n";
	size_t set_len, bulk_len;
	char *set = big_set(10240, &set_len), *bulk = big_bulk(10240, &bulk_len);

	for (int late = 0; late < 2; late++) {
		FOR_EACH_HOOK(h) {
			struct conv c;

			conv_start(h, &c, 6379);
			conv_stream(h, &c, 0, set, set_len, 1448, 3, late);
			conv_resp(h, &c, "+OK\r\n");
			conv_req(h, &c, get_req);
			conv_stream(h, &c, 1, bulk, bulk_len, 1448, 4, late);
			conv_req(h, &c, ping_req);
			conv_resp(h, &c, "+PONG\r\n");
			EXPECT_CMD(6379, "SET", 1, 1, 0, set_len, 5);
			EXPECT_CMD(6379, "GET", 1, 1, 0, strlen(get_req), bulk_len);
			EXPECT_CMD(6379, "PING", 1, 1, 0, strlen(ping_req), 7);
			EXPECT_COUNTERS({"l7_gap", 2}, {"l7_gap_absorbed", 2},
					{"l7_retransmit", late ? 2 : 0}, {"l7_resync_skip", 0},
					{"l7_malformed", 0}, {"l7_unmatched", 0});
		}
	}
	free(set);
	free(bulk);
}

WL_TEST(redis, malformed)
{
	static const char *const bad[] = {
		"*2\r\n$abc\r\n",	      /* length not a number */
		"*-5\r\n$3\r\nGET\r\n",	      /* negative count */
		"*99999999999\r\n",	      /* absurd count */
		"*1\r\n$3\r\nGETX\r\n",	      /* body longer than its length */
		"\x01\x02\x03\x04garbage\r\n" /* not RESP */
	};

	FOR_EACH_HOOK(h) {
		for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
			struct conv c;

			conv_start(h, &c, 6379);
			conv_req(h, &c, bad[i]);
			CU_ASSERT_EQUAL(harness_counters().l7_malformed, 1);
			CU_ASSERT_EQUAL(stats_entries(), 0);
			/* the connection recovers at the next segment starting a command */
			conv_req(h, &c, set_req);
			conv_resp(h, &c, "+OK\r\n");
			EXPECT_CMD(6379, "SET", 1, 1, 0, -1, -1);
		}
		/* absurd nesting in a reply */
		{
			struct conv c;
			char deep[128] = "";

			conv_start(h, &c, 6379);
			conv_req(h, &c, set_req);
			for (int i = 0; i < 20; i++)
				strcat(deep, "*1\r\n");
			conv_resp(h, &c, deep);
			CU_ASSERT_EQUAL(harness_counters().l7_malformed, 1);
		}
	}
}

WL_TEST(redis, sniffed_port)
{
	FOR_EACH_HOOK(h) {
		struct conv c;

		conv_start(h, &c, 7000); /* port 7000 is unknown: nothing tracked yet */
		conv_req(h, &c, set_req);
		conv_resp(h, &c, "+OK\r\n");
		EXPECT_CMD(7000, "SET", 1, 1, 0, -1, -1);
	}
}

/* The learned ports of the ports map, and their count. */
static int learned_ports(__u8 *learned)
{
	int fd = wl_map_ports_fd(harness()), n = 0;

	for (__u32 port = 0; port < 65536; port++) {
		__u8 v = 0;

		bpf_map_lookup_elem(fd, &port, &v);
		learned[port] = v & WL_PORT_LEARNED ? v & ~WL_PORT_LEARNED : 0;
		n += !!learned[port];
	}
	return n;
}

static struct wl_sniff sniff_state(void)
{
	struct wl_sniff s = {};
	__u32 zero = 0;

	bpf_map_lookup_elem(wl_map_sniff_fd(harness()), &zero, &s);
	return s;
}

/* Issue 14 item 3: RESP-looking first payloads to limit + 10 unclaimed ports teach exactly
 * `limit` of them (the first ones), the other 10 are refused, counted and not parsed; configured
 * ports are never touched and go on counting; a port set free again makes room. */
WL_TEST(redis, sniff_bound)
{
	static __u8 learned[65536];
	const int base = 20000, limits[] = {WL_LEARNED_PORTS_DEFAULT, 5};

	FOR_EACH_HOOK(h) {
		for (size_t l = 0; l < sizeof(limits) / sizeof(limits[0]); l++) {
			int limit = limits[l], ports_fd = wl_map_ports_fd(harness());
			struct wl_cmd_stats st;
			struct conv c;
			__u8 v = 0;
			__u32 port;

			harness_reset();
			CU_ASSERT_EQUAL(sniff_state().learn_max, WL_LEARNED_PORTS_DEFAULT);
			if (limit != WL_LEARNED_PORTS_DEFAULT)
				CU_ASSERT_EQUAL(wl_l7_sniff_set(wl_map_sniff_fd(harness()),
								ports_fd, limit),
						0);
			port = 7000; /* a configured port beside the defaults */
			v = WL_L7_REDIS;
			CU_ASSERT_EQUAL(bpf_map_update_elem(ports_fd, &port, &v, BPF_ANY), 0);
			for (int i = 0; i < limit + 10; i++) {
				conv_init(&c, base + i);
				conv_handshake(h, &c);
				conv_req(h, &c, set_req);
				conv_resp(h, &c, "+OK\r\n");
			}
			CU_ASSERT_EQUAL(learned_ports(learned), limit);
			for (int i = 0; i < limit + 10; i++)
				CU_ASSERT_EQUAL(learned[base + i], i < limit ? WL_L7_REDIS : 0);
			CU_ASSERT_EQUAL(sniff_state().learned, limit);
			CU_ASSERT_EQUAL(sniff_state().refused, 10);
			conv_init(&c, base);
			EXPECT_CMD_STATS(&c, WL_L7_REDIS, "SET", 1, 1, 0);
			conv_init(&c, base + limit);
			CU_ASSERT_NOT_EQUAL(conv_stats(&c, WL_L7_REDIS, "SET", &st), 0);
			/* configured ports: unchanged, counted; a Redis-looking payload on
			 * memcached's port stays memcached's */
			for (port = 1; port < 65536; port++) {
				bpf_map_lookup_elem(ports_fd, &port, &v);
				if (v && !(v & WL_PORT_LEARNED))
					CU_ASSERT_TRUE(port == 7000 || port == 6379 ||
						       port == 11211 || port == 80 ||
						       port == 8080 || port == 53 || port == 3306 ||
						       port == 5432 || port == 27017 ||
						       port == 9092);
			}
			for (int p = 0; p < 2; p++) {
				conv_init(&c, p ? 7000 : 6379);
				conv_handshake(h, &c);
				conv_req(h, &c, set_req);
				conv_resp(h, &c, "+OK\r\n");
				EXPECT_CMD_STATS(&c, WL_L7_REDIS, "SET", 1, 1, 0);
			}
			conv_init(&c, 11211);
			conv_handshake(h, &c);
			conv_req(h, &c, set_req);
			port = 11211;
			bpf_map_lookup_elem(ports_fd, &port, &v);
			CU_ASSERT_EQUAL(v, WL_L7_MEMCACHED);
			CU_ASSERT_EQUAL(sniff_state().refused, 10);
			/* `ports unset` of a learned port frees its place (the loader recounts) */
			port = base;
			v = 0;
			CU_ASSERT_EQUAL(bpf_map_update_elem(ports_fd, &port, &v, BPF_ANY), 0);
			CU_ASSERT_EQUAL(wl_l7_sniff_set(wl_map_sniff_fd(harness()), ports_fd, -1),
					0);
			CU_ASSERT_EQUAL(sniff_state().learned, limit - 1);
			CU_ASSERT_EQUAL(sniff_state().learn_max, limit);
			conv_init(&c, base + limit + 10);
			conv_handshake(h, &c);
			conv_req(h, &c, set_req);
			conv_resp(h, &c, "+OK\r\n");
			EXPECT_CMD_STATS(&c, WL_L7_REDIS, "SET", 1, 1, 0);
			CU_ASSERT_EQUAL(learned_ports(learned), limit);
			CU_ASSERT_EQUAL(sniff_state().refused, 10);
		}
	}
}

static const char *const tx_cmds[] = {"*1\r\n$5\r\nMULTI\r\n",
				      "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n",
				      "*2\r\n$4\r\nINCR\r\n$1\r\nk\r\n", "*1\r\n$4\r\nEXEC\r\n"};

/* Transactions settle like Redis: errors inside EXEC belong to the failing command; commands
 * that never run (DISCARD, aborted EXEC) are no calls. "+QUEUED" may be split anywhere. */
WL_TEST(redis, transactions)
{
	FOR_EACH_HOOK(h) {
		for (int cut = 0; cut < 10; cut++) {
			struct conv c;

			conv_start(h, &c, 6379);
			conv_req(h, &c, tx_cmds[0]);
			conv_resp(h, &c, "+OK\r\n");
			conv_req(h, &c, tx_cmds[1]);
			conv_resp(h, &c, "+QUEUED\r\n");
			conv_req(h, &c, tx_cmds[2]);
			if (cut && cut < 9) { /* the byte path must follow QUEUED too */
				conv_split(h, &c, 1, "+QUEUED\r\n", 9, cut);
			} else {
				conv_resp(h, &c, "+QUEUED\r\n");
			}
			conv_req(h, &c, tx_cmds[3]);
			conv_resp(h, &c,
				  "*2\r\n+OK\r\n-ERR value is not an integer or out of range\r\n");
			EXPECT_CMD(6379, "MULTI", 1, 1, 0, -1, -1);
			EXPECT_CMD(6379, "SET", 1, 1, 0, -1, -1);
			EXPECT_CMD(6379, "INCR", 1, 1, 1, -1, -1);
			EXPECT_CMD(6379, "EXEC", 1, 1, 0, -1, -1);

			/* DISCARD: the queued SET never runs */
			conv_req(h, &c, tx_cmds[0]);
			conv_resp(h, &c, "+OK\r\n");
			conv_req(h, &c, tx_cmds[1]);
			conv_resp(h, &c, "+QUEUED\r\n");
			conv_req(h, &c, "*1\r\n$7\r\nDISCARD\r\n");
			conv_resp(h, &c, "+OK\r\n");
			EXPECT_CMD(6379, "SET", 1, 1, 0, -1, -1);
			EXPECT_CMD(6379, "DISCARD", 1, 1, 0, -1, -1);

			/* EXEC aborted by WATCH (null reply) and by EXECABORT: nothing runs */
			conv_req(h, &c, tx_cmds[0]);
			conv_resp(h, &c, "+OK\r\n");
			conv_req(h, &c, tx_cmds[1]);
			conv_resp(h, &c, "+QUEUED\r\n");
			conv_req(h, &c, tx_cmds[3]);
			conv_resp(h, &c, "*-1\r\n");
			conv_req(h, &c, tx_cmds[0]);
			conv_resp(h, &c, "+OK\r\n");
			conv_req(h, &c, tx_cmds[2]);
			conv_resp(h, &c, "+QUEUED\r\n");
			conv_req(h, &c, tx_cmds[3]);
			conv_resp(
				h, &c,
				"-EXECABORT Transaction discarded because of previous errors.\r\n");
			EXPECT_CMD(6379, "MULTI", 4, 4, 0, -1, -1);
			EXPECT_CMD(6379, "SET", 1, 1, 0, -1, -1);
			EXPECT_CMD(6379, "INCR", 1, 1, 1, -1, -1);
			EXPECT_CMD(6379, "EXEC", 3, 3, 1, -1, -1);
		}
	}
}

/* Names longer than 8 bytes captured byte by byte (inline, or an element cut by a segment
 * boundary) keep every byte. */
WL_TEST(redis, long_names_split)
{
	FOR_EACH_HOOK(h) {
		const char *resp_cmd = "*2\r\n$16\r\nZREVRANGEBYSCORE\r\n$1\r\nk\r\n";
		size_t len = strlen(resp_cmd);
		struct conv c;

		conv_start(h, &c, 6379);
		conv_req(h, &c, "ZREVRANGEBYSCORE k 0 1\r\n"); /* inline: the byte path */
		conv_resp(h, &c, "*0\r\n");
		for (size_t cut = 1; cut < len; cut++) {
			conv_split(h, &c, 0, resp_cmd, len, cut);
			conv_resp(h, &c, "*0\r\n");
		}
		EXPECT_CMD(6379, "ZREVRANGEBYSCORE", len, len, 0, -1, -1);
		CU_ASSERT_EQUAL(stats_entries(), 1);
	}
}

/* Appends the RESP array of argv to out; returns its length. */
static size_t resp_cmd(char *out, int argc, const char *const *argv)
{
	size_t n = (size_t)sprintf(out + strlen(out), "*%d\r\n", argc);

	for (int i = 0; i < argc; i++)
		n += (size_t)sprintf(out + strlen(out), "$%zu\r\n%s\r\n", strlen(argv[i]), argv[i]);
	return n;
}

/*
 * One segment of commands of every shape the whole-command path takes or hands on: case
 * variants of one name, 2-digit element counts, more elements than it parses (17), 3- and
 * 4-digit lengths, a value longer than the window, a container in the middle, a name longer than
 * the raw-name cache, an unknown name; then the same stream cut every 7 bytes. Exact counts and
 * bytes per command.
 */
WL_TEST(redis, whole_commands_mixed)
{
	static char big[WL_L7_WINDOW + 45], mid[201];
	static char stream[4096];
	const char *mset11[11] = {"MSET", "a", "1", "b", "2", "c", "3", "d", "4", "e", "5"};
	const char *mset17[17] = {"mset", "a", "1", "b", "2", "c", "3", "d", "4",
				  "e",	  "5", "f", "6", "g", "7", "h", "8"};
	const char *cfg[3] = {"CONFIG", "GET", "maxmemory"};
	size_t set_b = 0, mset_b = 0, cfg_b = 0, geo_b = 0, other_b = 0;

	memset(big, 'v', WL_L7_WINDOW + 44);
	memset(mid, 'w', 200);
	stream[0] = 0;
	set_b += resp_cmd(stream, 3, (const char *[]){"set", "k", "1"});
	set_b += resp_cmd(stream, 3, (const char *[]){"SET", "k", mid});
	set_b += resp_cmd(stream, 3, (const char *[]){"Set", "k", big});
	mset_b += resp_cmd(stream, 11, mset11);
	cfg_b += resp_cmd(stream, 3, cfg);
	mset_b += resp_cmd(stream, 17, mset17);
	set_b += resp_cmd(stream, 3, (const char *[]){"SET", "k", "2"});
	geo_b += resp_cmd(stream, 3, (const char *[]){"GEORADIUSBYMEMBER_RO", "g", "m"});
	other_b += resp_cmd(stream, 2, (const char *[]){"FOOBAR", "x"});
	set_b += resp_cmd(stream, 3, (const char *[]){"set", "k", "3"});
	FOR_EACH_HOOK(h) {
		for (size_t step = 0; step <= 7; step += 7) {
			size_t len = strlen(stream);
			struct conv c;

			conv_start(h, &c, 6379);
			if (!step) {
				conv_req(h, &c, stream);
			} else {
				for (size_t at = 0; at < len; at += step)
					conv_seg(h, &c, 0, stream + at,
						 len - at < step ? len - at : step, 0);
			}
			conv_resp(h, &c,
				  "+OK\r\n+OK\r\n+OK\r\n+OK\r\n*2\r\n$9\r\nmaxmemory\r\n$1\r\n0\r\n"
				  "+OK\r\n+OK\r\n*0\r\n-ERR unknown command\r\n+OK\r\n");
			EXPECT_CMD(6379, "SET", 5, 5, 0, set_b, 25);
			EXPECT_CMD(6379, "MSET", 2, 2, 0, mset_b, 10);
			EXPECT_CMD(6379, "CONFIG|GET", 1, 1, 0, cfg_b, 26);
			EXPECT_CMD(6379, "GEORADIUSBYMEMBER_RO", 1, 1, 0, geo_b, 4);
			EXPECT_CMD(6379, "OTHER", 1, 1, 1, other_b, 22);
			CU_ASSERT_EQUAL(stats_entries(), 5);
			EXPECT_COUNTERS({"l7_malformed", 0}, {"l7_unmatched", 0});
		}
	}
}

/*
 * Replies of every shape the whole-reply path takes or hands on, in one segment and cut every
 * 2, 3, 5 and 7 bytes (multi-digit lengths cut between digits): lines, errors, integers, bulk
 * strings (null, 3-digit, 4-digit and longer than the window), a RESP3 null, an aggregate, a
 * transaction's +QUEUED; exact per command.
 */
WL_TEST(redis, whole_replies_mixed)
{
	static char reqs[2048], reps[4096], big[WL_L7_WINDOW + 45];
	const char *get[2] = {"GET", "k"};
	size_t get_b = 0, get_rb = 0, n;

	memset(big, 'v', WL_L7_WINDOW + 44);
	reqs[0] = reps[0] = 0;
	resp_cmd(reqs, 3, (const char *[]){"SET", "k", "v"});
	strcat(reps, "+OK\r\n");
	for (int i = 0; i < 5; i++)
		get_b += resp_cmd(reqs, 2, get);
	n = strlen(reps);
	strcat(reps, "$3\r\nabc\r\n$-1\r\n-WRONGTYPE Operation against a key\r\n");
	sprintf(reps + strlen(reps), "$%d\r\n%s\r\n$120\r\n%.120s\r\n", WL_L7_WINDOW + 44, big,
		big);
	get_rb = strlen(reps) - n;
	resp_cmd(reqs, 2, (const char *[]){"INCR", "n"});
	strcat(reps, ":42\r\n");
	resp_cmd(reqs, 2, (const char *[]){"HELLO", "3"});
	strcat(reps, "%1\r\n+server\r\n+redis\r\n");
	resp_cmd(reqs, 2, (const char *[]){"GET", "none"});
	strcat(reps, "_\r\n");
	get_b += strlen("*2\r\n$3\r\nGET\r\n$4\r\nnone\r\n");
	get_rb += 3;
	resp_cmd(reqs, 1, (const char *[]){"MULTI"});
	resp_cmd(reqs, 3, (const char *[]){"SET", "a", "1"});
	resp_cmd(reqs, 1, (const char *[]){"EXEC"});
	strcat(reps, "+OK\r\n+QUEUED\r\n*1\r\n+OK\r\n");
	resp_cmd(reqs, 1, (const char *[]){"PING"});
	strcat(reps, "+PONG\r\n");
	FOR_EACH_HOOK(h) {
		static const size_t steps[] = {0, 2, 3, 5, 7};

		for (size_t k = 0; k < sizeof(steps) / sizeof(steps[0]); k++) {
			size_t len = strlen(reps), step = steps[k];
			struct conv c;

			conv_start(h, &c, 6379);
			conv_req(h, &c, reqs);
			if (!step) {
				conv_resp(h, &c, reps);
			} else {
				for (size_t at = 0; at < len; at += step)
					conv_seg(h, &c, 1, reps + at,
						 len - at < step ? len - at : step, 0);
			}
			EXPECT_CMD(6379, "SET", 2, 2, 0, -1, 5 + 9); /* +OK, +QUEUED */
			EXPECT_CMD(6379, "GET", 6, 6, 1, get_b, get_rb);
			EXPECT_CMD(6379, "INCR", 1, 1, 0, -1, 5);
			EXPECT_CMD(6379, "HELLO", 1, 1, 0, -1, 21);
			EXPECT_CMD(6379, "MULTI", 1, 1, 0, -1, 5);
			EXPECT_CMD(6379, "EXEC", 1, 1, 0, -1, 9);
			EXPECT_CMD(6379, "PING", 1, 1, 0, -1, 7);
			EXPECT_COUNTERS({"l7_malformed", 0}, {"l7_unmatched", 0});
		}
	}
}

/* A client port reused for a new connection: the old connection's unanswered request (it
 * closed by FIN) and half-read reply do not shift the new one's pairing. */
WL_TEST(redis, port_reuse)
{
	FOR_EACH_HOOK(h) {
		struct conv c;

		conv_start(h, &c, 6379);
		conv_req(h, &c, "*2\r\n$4\r\nLPOP\r\n$1\r\nk\r\n*1\r\n$4\r\nPING\r\n");
		conv_resp(h, &c, "$10\r\nabc");	   /* cut, never finished */
		conv_seg(h, &c, 0, NULL, 0, 0x11); /* FIN */
		conv_seg(h, &c, 1, NULL, 0, 0x11);
		c.cseq += 100000;
		c.sseq += 100000;
		conv_handshake(h, &c);
		conv_req(h, &c, set_req);
		conv_resp(h, &c, "+OK\r\n");
		EXPECT_CMD(6379, "SET", 1, 1, 0, -1, 5);
		EXPECT_CMD(6379, "LPOP", 1, 0, 0, -1, 0);
		EXPECT_CMD(6379, "PING", 1, 0, 0, -1, 0);
		EXPECT_COUNTERS({"l7_unmatched", 0}, {"l7_malformed", 0});
	}
}

/* ---- deep pipelines: the pending-request FIFO ---- */

struct pipe_buf {
	char *req, *rep;
	size_t rl, rq;
};

static void pipe_add(struct pipe_buf *b, const char *cmd, const char *reply)
{
	b->rq += (size_t)sprintf(b->req + b->rq, "%s", cmd);
	b->rl += (size_t)sprintf(b->rep + b->rl, "%s", reply);
}

static void pipe_init(struct pipe_buf *b, size_t n)
{
	b->req = calloc(n + 4, 48);
	b->rep = calloc(n + 4, 64);
	b->rq = b->rl = 0;
}

static const char p_set[] = "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n";
static const char p_get[] = "*2\r\n$3\r\nGET\r\n$1\r\nk\r\n";
static const char p_incr[] = "*2\r\n$4\r\nINCR\r\n$1\r\nk\r\n";
static const char p_lpush[] = "*3\r\n$5\r\nLPUSH\r\n$1\r\nk\r\n$1\r\nx\r\n";
static const char e_int[] = "-ERR value is not an integer or out of range\r\n";
static const char e_type[] =
	"-WRONGTYPE Operation against a key holding the wrong kind of value\r\n";

/*
 * Pipelines of 1, 31, 32, 33, 100, 1,000 and 10,000 commands (SETs, an INCR failing in the
 * middle, an LPUSH failing at the end), every request sent before the first reply, in segments of
 * 1,400 bytes (cut anywhere), then the replies in segments of 1,000: every reply and error under
 * its own command, nothing lost to the FIFO.
 */
WL_TEST(redis, deep_pipelines)
{
	static const int sizes[] = {1, 31, 32, 33, 100, 1000, 10000};

	for (size_t k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
		int n = sizes[k];
		uint64_t sets = 0, incrs = 0;
		struct pipe_buf b;

		pipe_init(&b, n);
		for (int i = 0; i < n - 1; i++) {
			if (n > 2 && i == n / 2) {
				pipe_add(&b, p_incr, e_int);
				incrs++;
			} else {
				pipe_add(&b, p_set, "+OK\r\n");
				sets++;
			}
		}
		pipe_add(&b, p_lpush, e_type);
		FOR_EACH_HOOK(h) {
			struct wl_counters cnt;
			struct conv c;

			conv_start(h, &c, 6379);
			conv_stream(h, &c, 0, b.req, b.rq, 1400, -1, 0);
			conv_stream(h, &c, 1, b.rep, b.rl, 1000, -1, 0);
			if (sets)
				EXPECT_CMD(6379, "SET", sets, sets, 0, sets * strlen(p_set),
					   sets * 5);
			if (incrs)
				EXPECT_CMD(6379, "INCR", 1, 1, 1, strlen(p_incr), strlen(e_int));
			EXPECT_CMD(6379, "LPUSH", 1, 1, 1, strlen(p_lpush), strlen(e_type));
			CU_ASSERT_EQUAL(stats_entries(), !!sets + incrs + 1);
			cnt = harness_counters();
			EXPECT_COUNTERS({"l7_unmatched", 0}, {"l7_fifo_overflow", 0},
					{"l7_malformed", 0});
			if (cnt.l7_unmatched || cnt.l7_fifo_overflow)
				fprintf(stderr,
					"\n  [%s] %d commands: unmatched %llu overflow %llu\n",
					hook_names[h], n, (unsigned long long)cnt.l7_unmatched,
					(unsigned long long)cnt.l7_fifo_overflow);
		}
		free(b.req);
		free(b.rep);
	}
}

/*
 * Alternating commands (a run each) in one pipeline: the redis-cli --pipe repro (40
 * SET/GET, then a failing LPUSH) is exact, and so are 126 runs; then 1,000 alternating ones, more
 * than the FIFO holds, in segments of 1,400 bytes.
 */
WL_TEST(redis, alternating_runs)
{
	static const int sizes[] = {40, WL_FIFO_LEN - 2};

	for (size_t k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
		int n = sizes[k];
		uint64_t half = (uint64_t)n / 2;
		struct pipe_buf b;

		pipe_init(&b, n);
		for (int i = 0; i < n; i++) {
			if (i % 2)
				pipe_add(&b, p_get, "$1\r\nv\r\n");
			else
				pipe_add(&b, p_set, "+OK\r\n");
		}
		pipe_add(&b, p_lpush, e_type);
		FOR_EACH_HOOK(h) {
			struct conv c;

			conv_start(h, &c, 6379);
			conv_stream(h, &c, 0, b.req, b.rq, 1400, -1, 0);
			conv_stream(h, &c, 1, b.rep, b.rl, 1000, -1, 0);
			EXPECT_CMD(6379, "SET", half, half, 0, -1, half * 5);
			EXPECT_CMD(6379, "GET", half, half, 0, -1, half * 7);
			EXPECT_CMD(6379, "LPUSH", 1, 1, 1, -1, strlen(e_type));
			CU_ASSERT_EQUAL(stats_entries(), 3);
			EXPECT_COUNTERS({"l7_fifo_overflow", 0}, {"l7_unmatched", 0});
		}
		free(b.req);
		free(b.rep);
	}
}

/*
 * More runs than the FIFO holds: 1,000 alternating SET/GET (an INCR failing among the first ones,
 * one failing among the lost ones) and a failing LPUSH, all in flight at once. The first
 * WL_FIFO_LEN - 1 runs pair by name; the requests past them are counted (l7_fifo_overflow) and
 * their replies, errors included, are counted under no command (l7_unmatched): nothing lands
 * under SET, GET, INCR, LPUSH or OTHER that is not theirs. A PING sent after the first 10 replies
 * (the lost requests still pending) has an entry of its own and pairs exactly; so does an LPUSH
 * after everything drained.
 */
WL_TEST(redis, overflow_unattributed)
{
	const int n = 1000, named = WL_FIFO_LEN - 1;
	struct pipe_buf b;
	size_t first10 = 0;
	uint64_t set_rq = 0, get_rq = 0, set_rs = 0, get_rs = 0, get_b = 0;

	pipe_init(&b, n);
	for (int i = 0; i < n; i++) {
		int attributed = i < named;

		if (i == 11 || i == 501) {
			/* an INCR in place of a SET: fails */
			pipe_add(&b, p_incr, e_int);
		} else if (i % 2) {
			pipe_add(&b, p_get, "$1\r\nv\r\n");
			get_rq++;
			get_rs += attributed;
			get_b += attributed * 7;
		} else {
			pipe_add(&b, p_set, "+OK\r\n");
			set_rq++;
			set_rs += attributed;
		}
		if (i == 9)
			first10 = b.rl;
	}
	pipe_add(&b, p_lpush, e_type);
	FOR_EACH_HOOK(h) {
		struct conv c;

		conv_start(h, &c, 6379);
		conv_stream(h, &c, 0, b.req, b.rq, 1400, -1, 0);
		CU_ASSERT_EQUAL(harness_counters().l7_fifo_overflow, (uint64_t)(n + 1 - named));
		conv_stream(h, &c, 1, b.rep, first10, 1000, -1, 0);
		conv_req(h, &c, "*1\r\n$4\r\nPING\r\n");
		conv_stream(h, &c, 1, b.rep + first10, b.rl - first10, 1000, -1, 0);
		conv_resp(h, &c, "+PONG\r\n");
		EXPECT_CMD(6379, "SET", set_rq, set_rs, 0, -1, set_rs * 5);
		EXPECT_CMD(6379, "GET", get_rq, get_rs, 0, -1, get_b);
		EXPECT_CMD(6379, "INCR", 2, 1, 1, -1, strlen(e_int));
		EXPECT_CMD(6379, "LPUSH", 1, 0, 0, -1, 0);
		EXPECT_CMD(6379, "PING", 1, 1, 0, -1, 7);
		CU_ASSERT_EQUAL(stats(6379, "OTHER", &(struct wl_cmd_stats){0}) == 0, 0);
		EXPECT_COUNTERS({"l7_fifo_overflow", (uint64_t)(n + 1 - named)},
				{"l7_unmatched", (uint64_t)(n + 1 - named)}, {"l7_malformed", 0});
		/* drained: the next request pairs exactly */
		conv_req(h, &c, p_lpush);
		conv_resp(h, &c, e_type);
		EXPECT_CMD(6379, "LPUSH", 2, 1, 1, -1, strlen(e_type));
		CU_ASSERT_EQUAL(harness_counters().l7_unmatched, (uint64_t)(n + 1 - named));
	}
	free(b.req);
	free(b.rep);
}

/*
 * A pipeline of one command sent over many packets merges into runs across packets once the
 * queue is deep: 200 packets of one SET each (each its own run at first), then a failing INCR,
 * no reply until all are in: still exact, nothing lost.
 */
WL_TEST(redis, runs_across_packets)
{
	FOR_EACH_HOOK(h) {
		char reps[200 * 5 + 64] = "";
		struct conv c;

		conv_start(h, &c, 6379);
		for (int i = 0; i < 200; i++) {
			conv_req(h, &c, p_set);
			strcat(reps, "+OK\r\n");
		}
		conv_req(h, &c, p_incr);
		strcat(reps, e_int);
		conv_resp(h, &c, reps);
		EXPECT_CMD(6379, "SET", 200, 200, 0, -1, 1000);
		EXPECT_CMD(6379, "INCR", 1, 1, 1, -1, strlen(e_int));
		EXPECT_COUNTERS({"l7_fifo_overflow", 0}, {"l7_unmatched", 0});
	}
}

/* A map of the Redis program by name. */
static int redis_map_fd(const char *name)
{
	return bpf_map__fd(bpf_object__find_map_by_name(harness()->l7_obj[0][WL_L7_REDIS], name));
}

/* The far rings (wl_fifo_far) as the Redis program sees them. */
static int far_fd(void)
{
	return redis_map_fd("wl_fifo_far");
}

static int far_rings(void)
{
	struct wl_conn_key k, next;
	int n = 0;

	for (void *prev = NULL; !bpf_map_get_next_key(far_fd(), prev, &next); prev = &k) {
		k = next;
		n++;
	}
	return n;
}

/* The command and reply of request i of a queue whose neighbours always differ (every request a
 * run of its own): SET, GET, INCR (failing) in turn, replies of 5, 7 and 46 bytes. */
static const char *const rot_req[] = {p_set, p_get, p_incr};
static const char *const rot_rep[] = {"+OK\r\n", "$1\r\nv\r\n", e_int};

/*
 * The queue's first WL_FIFO_NEAR runs live in the connection's entry, deeper ones in its far
 * ring: a queue whose depth goes up and down across that line (a run per request, one request
 * per packet, replies in between) pairs every reply with its own request.
 */
WL_TEST(redis, fifo_near_and_far)
{
	/* requests sent, then replies, per round: the depth crosses WL_FIFO_NEAR both ways */
	static const int rounds[9][2] = {{20, 5}, {3, 10}, {12, 12}, {1, 9},  {30, 1},
					 {9, 38}, {7, 3},  {2, 6},   {40, 40}};

	FOR_EACH_HOOK(h) {
		uint64_t rq[3] = {0}, rs[3] = {0};
		int sent = 0, answered = 0;
		struct conv c;

		wl_map_clear(far_fd());
		conv_start(h, &c, 6379);
		/* three times: positions wrap the FIFO's WL_FIFO_LEN twice */
		for (size_t r = 0; r < 3 * sizeof(rounds) / sizeof(rounds[0]); r++) {
			for (int i = 0; i < rounds[r % 9][0]; i++, sent++) {
				conv_req(h, &c, rot_req[sent % 3]);
				rq[sent % 3]++;
			}
			for (int i = 0; i < rounds[r % 9][1]; i++, answered++) {
				conv_resp(h, &c, rot_rep[answered % 3]);
				rs[answered % 3]++;
			}
		}
		CU_ASSERT_EQUAL(sent, answered);
		EXPECT_CMD(6379, "SET", rq[0], rs[0], 0, rq[0] * strlen(p_set), rs[0] * 5);
		EXPECT_CMD(6379, "GET", rq[1], rs[1], 0, rq[1] * strlen(p_get), rs[1] * 7);
		EXPECT_CMD(6379, "INCR", rq[2], rs[2], rs[2], rq[2] * strlen(p_incr),
			   rs[2] * strlen(e_int));
		EXPECT_COUNTERS({"l7_unmatched", 0}, {"l7_fifo_overflow", 0}, {"l7_malformed", 0});
		CU_ASSERT_EQUAL(far_rings(), 1); /* it did go far */
	}
}

/*
 * A far ring pushed out of its LRU table while in use (another connection's deep queue took it)
 * loses its runs: their replies count as unmatched, one each, and the queue stays in step: the
 * runs in the connection's entry, a request that goes far into a new ring while the lost runs
 * are still pending, and every request after pair exactly.
 */
WL_TEST(redis, fifo_far_ring_lost)
{
	const int depth = 50, lost = depth - WL_FIFO_NEAR;

	FOR_EACH_HOOK(h) {
		uint64_t rs[3] = {0};
		struct conv c;

		wl_map_clear(far_fd());
		conv_start(h, &c, 6379);
		for (int i = 0; i < depth; i++)
			conv_req(h, &c, rot_req[i % 3]);
		CU_ASSERT_EQUAL(far_rings(), 1);
		wl_map_clear(far_fd());
		conv_req(h, &c, "*1\r\n$4\r\nPING\r\n"); /* far, in a new ring */
		CU_ASSERT_EQUAL(far_rings(), 1);
		for (int i = 0; i < depth; i++) {
			conv_resp(h, &c, rot_rep[i % 3]);
			rs[i % 3] += i < WL_FIFO_NEAR;
		}
		conv_resp(h, &c, "+PONG\r\n");
		EXPECT_CMD(6379, "PING", 1, 1, 0, -1, 7);
		EXPECT_COUNTERS({"l7_unmatched", (uint64_t)lost}, {"l7_fifo_overflow", 0});
		/* in step: a new request after the lost ones pairs with its own reply */
		conv_req(h, &c, p_lpush);
		conv_resp(h, &c, e_type);
		EXPECT_CMD(6379, "SET", (depth + 2) / 3, rs[0], 0, -1, rs[0] * 5);
		EXPECT_CMD(6379, "GET", (depth + 1) / 3, rs[1], 0, -1, rs[1] * 7);
		EXPECT_CMD(6379, "INCR", depth / 3, rs[2], rs[2], -1, rs[2] * strlen(e_int));
		EXPECT_CMD(6379, "LPUSH", 1, 1, 1, -1, strlen(e_type));
		EXPECT_COUNTERS({"l7_unmatched", (uint64_t)lost});
	}
}

static int open_entries(void)
{
	struct wl_l7_open_key k, next;
	int n = 0;

	for (void *prev = NULL; !bpf_map_get_next_key(redis_map_fd("wl_l7_open"), prev, &next);
	     prev = &k) {
		k = next;
		n++;
	}
	return n;
}

/* Does any CPU's scratch (wl_l7_scratch) hold these bytes? */
static int scratch_holds(const char *needle)
{
	struct bpf_map *m =
		bpf_object__find_map_by_name(harness()->l7_obj[0][WL_L7_REDIS], "wl_l7_scratch");
	int ncpu = libbpf_num_possible_cpus();
	size_t one = (bpf_map__value_size(m) + 7) / 8 * 8;
	char *v = calloc(ncpu, one);
	__u32 zero = 0;
	int found = 0;

	if (!v || bpf_map_lookup_elem(redis_map_fd("wl_l7_scratch"), &zero, v)) {
		free(v);
		return -1;
	}
	found = memmem(v, ncpu * one, needle, strlen(needle)) != NULL;
	free(v);
	return found;
}

/* The state of the one connection a test has. */
static struct wl_conn the_conn(void)
{
	struct wl_conn_key k;
	struct wl_conn v = {0};
	int fd = wl_map_conns_fd(harness());

	CU_ASSERT_EQUAL(bpf_map_get_next_key(fd, NULL, &k), 0);
	CU_ASSERT_EQUAL(bpf_map_lookup_elem(fd, &k, &v), 0);
	return v;
}

/*
 * A direction at a message boundary keeps only its sequence, state and kept bytes in wl_conns;
 * one with a message open across packets keeps its whole state in wl_l7_open until the message
 * ends; an open message whose entry the LRU pushed out is lost (l7_state_lost), the direction
 * resynchronises, and the next request pairs with its own reply.
 */
WL_TEST(redis, state_open_between_packets)
{
	FOR_EACH_HOOK(h) {
		struct wl_conn conn;
		struct conv c;

		conv_start(h, &c, 6379);
		wl_map_clear(redis_map_fd("wl_l7_open"));
		conv_req(h, &c, p_set);
		conv_resp(h, &c, "+OK\r\n");
		CU_ASSERT_EQUAL(open_entries(), 0);
		conn = the_conn();
		CU_ASSERT_EQUAL(conn.dir[0].open, 0);
		CU_ASSERT_EQUAL(conn.dir[1].open, 0);

		/* a bulk reply cut in its body: open until its last byte */
		conv_req(h, &c, p_get);
		conv_resp(h, &c, "$10\r\n01234");
		CU_ASSERT_EQUAL(open_entries(), 1);
		CU_ASSERT_EQUAL(the_conn().dir[1].open, 1);
		CU_ASSERT_EQUAL(the_conn().dir[0].open, 0);
		conv_resp(h, &c, "56789\r\n");
		CU_ASSERT_EQUAL(the_conn().dir[1].open, 0);
		CU_ASSERT_EQUAL(open_entries(), 0); /* its state went with it */
		EXPECT_CMD(6379, "GET", 1, 1, 0, -1, 17);

		/* a request cut in its header, then one in its body: the request side too */
		conv_req(h, &c, "*2\r\n$3\r\nGE");
		CU_ASSERT_EQUAL(the_conn().dir[0].open, 1);
		conv_req(h, &c, "T\r\n$1\r\nk\r\n");
		CU_ASSERT_EQUAL(the_conn().dir[0].open, 0);
		conv_resp(h, &c, "$-1\r\n");
		EXPECT_CMD(6379, "GET", 2, 2, 0, -1, 22);

		/* the open reply's entry pushed out: lost, and the queue stays in step */
		conv_req(h, &c, p_get);
		conv_resp(h, &c, "$10\r\n01234");
		wl_map_clear(redis_map_fd("wl_l7_open"));
		conv_resp(h, &c, "56789\r\n");
		EXPECT_COUNTERS({"l7_state_lost", 1});
		CU_ASSERT_EQUAL(the_conn().dir[1].open, 0);
		conv_req(h, &c, "*1\r\n$4\r\nPING\r\n");
		conv_resp(h, &c, "+PONG\r\n");
		EXPECT_CMD(6379, "PING", 1, 1, 0, -1, 7);
		EXPECT_COUNTERS({"l7_state_lost", 1}, {"l7_malformed", 0});

		/* an unknown command's name (the client's bytes), cut in two: its first half is
		 * kept while the name is open, and outlives the name nowhere */
		conv_req(h, &c, "*1\r\n$8\r\nZQXW");
		CU_ASSERT_EQUAL(open_entries(), 1);
		conv_req(h, &c, "CANY\r\n");
		conv_resp(h, &c, "-ERR unknown command\r\n");
		CU_ASSERT_EQUAL(scratch_holds("ZQXW"), 0);
		CU_ASSERT_EQUAL(open_entries(), 0);
	}
}

/*
 * The payload window is wiped as far as the packet's windows wrote, not only its first bytes: a
 * pipeline of 18 SETs (about 1.4 KB, two windows) and their 18 values as replies, each value
 * holding a marker of its own, so markers lie all along the window and past its end. None is
 * left in any CPU's scratch after its packet.
 */
WL_TEST(redis, window_wiped_whole)
{
	static char reqs[2048], reps[2048];
	char val[18][64], key[8], marker[16];

	reqs[0] = reps[0] = 0;
	for (int i = 0; i < 18; i++) {
		snprintf(key, sizeof(key), "k%02d", i);
		snprintf(val[i], sizeof(val[i]), "%.*sQJXZ%02dKWV%.*s", 20 + i,
			 "......................................", i, 10, "..........");
		resp_cmd(reqs, 3, (const char *[]){"SET", key, val[i]});
		sprintf(reps + strlen(reps), "$%zu\r\n%s\r\n", strlen(val[i]), val[i]);
	}
	CU_ASSERT_TRUE(strlen(reqs) > WL_L7_WINDOW + 64);
	FOR_EACH_HOOK(h) {
		struct conv c;

		conv_start(h, &c, 6379);
		conv_req(h, &c, reqs);
		for (int i = 0; i < 18; i++) {
			snprintf(marker, sizeof(marker), "QJXZ%02dKWV", i);
			CU_ASSERT_EQUAL(scratch_holds(marker), 0);
		}
		conv_resp(h, &c, reps);
		for (int i = 0; i < 18; i++) {
			snprintf(marker, sizeof(marker), "QJXZ%02dKWV", i);
			CU_ASSERT_EQUAL(scratch_holds(marker), 0);
		}
		EXPECT_CMD(6379, "SET", 18, 18, 0, strlen(reqs), strlen(reps));
	}
}

/*
 * A request's latency runs from the request to its reply's first byte, whatever the packets of
 * the reply after it (the clock is read only by a packet where a message starts or ends: a
 * middle segment reads none, and what it does not read must not show): the GET waits at least
 * the pause before its reply starts, and not the longer one before the reply's middle and end.
 */
WL_TEST(redis, latency_to_first_reply_byte)
{
	FOR_EACH_HOOK(h) {
		__u64 t0, t1, t2, t3, lat;
		struct wl_cmd_stats st;
		struct conv c;

		conv_start(h, &c, 6379);
		t0 = mono_ns();
		conv_req(h, &c, p_get);
		t1 = mono_ns();
		usleep(2000);
		t2 = mono_ns();
		conv_resp(h, &c, "$10\r\n01");
		t3 = mono_ns();
		usleep(20000);
		conv_resp(h, &c, "2345");
		conv_resp(h, &c, "6789\r\n");
		CU_ASSERT_EQUAL_FATAL(conv_stats(&c, WL_L7_REDIS, "GET", &st), 0);
		CU_ASSERT_EQUAL(st.responses, 1);
		lat = st.latency_sum_ns;
		/* the FIFO's timestamps overestimate an age by less than one unit */
		CU_ASSERT(lat >= t2 - t1 && lat < t3 - t0 + (1u << WL_FIFO_TS_SHIFT));
		/* in the bucket of its power of two (floor(log2)) */
		CU_ASSERT_EQUAL(
			st.latency_hist[(63 - __builtin_clzll(lat | 1)) & (WL_LAT_BUCKETS - 1)], 1);
	}
}

/* Server ports of the captures that do not use 6379 (from oracle.sh): what a user would set
 * with `wirelens ports set redis=...`. */
static const struct capture_port capture_ports[] = {
	{"redis/django-cloud.pcapng", 10625},
};

/*
 * The real captures against EXPECTED.tsv (tshark): per command, request_cmd + inline_request_cmd
 * (wirelens counts both forms under the command), the requests total, and error replies (the
 * sum of error_reply rows) against the errors wirelens counted. The set of commands must be the
 * same: nothing more, nothing less.
 */
const struct capture_spec redis_captures = {
	.protocol = {.name = "redis", .l7_proto = WL_L7_REDIS, .files = 8},
	.commands = {.metrics = {"request_cmd", "inline_request_cmd"}, .listed = 1},
	.totals = {{CAPTURE_REQUESTS, "requests"}, {CAPTURE_ERRORS, "error_reply"}},
	.counters = {"l7_malformed"},
	CAPTURE_PORTS(capture_ports),
	.figures = {.compared = 39},
};
