// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* memcached through the L7 engine: crafted TCP segments (text and binary protocol), exact
 * per-command stats and engine counters. */
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

#define MC_PORT 11211

static int mc_stats(uint16_t port, const char *cmd, struct wl_cmd_stats *out)
{
	struct conv c;

	conv_init(&c, port);
	return conv_stats(&c, WL_L7_MEMCACHED, cmd, out);
}

/* requests, responses, errors, misses of one command at the test server */
#define EXPECT_MC(port, cmd, rq, rs, er, ms)                                                       \
	do {                                                                                       \
		struct wl_cmd_stats st_;                                                           \
		int found_ = mc_stats(port, cmd, &st_) == 0;                                       \
		CU_ASSERT_TRUE(found_);                                                            \
		CU_ASSERT_EQUAL(st_.requests, (uint64_t)(rq));                                     \
		CU_ASSERT_EQUAL(st_.responses, (uint64_t)(rs));                                    \
		CU_ASSERT_EQUAL(st_.errors, (uint64_t)(er));                                       \
		CU_ASSERT_EQUAL(st_.misses, (uint64_t)(ms));                                       \
		if (!found_ || st_.requests != (uint64_t)(rq) ||                                   \
		    st_.responses != (uint64_t)(rs) || st_.errors != (uint64_t)(er) ||             \
		    st_.misses != (uint64_t)(ms))                                                  \
			fprintf(stderr,                                                            \
				"\n  [%s:%d %s] %s: found %d req %llu resp %llu err %llu miss "    \
				"%llu",                                                            \
				__FILE__, __LINE__, hook_names[h], (cmd), found_,                  \
				(unsigned long long)st_.requests,                                  \
				(unsigned long long)st_.responses, (unsigned long long)st_.errors, \
				(unsigned long long)st_.misses);                                   \
	} while (0)

#define EXPECT_BYTES(port, cmd, rqb, rsb)                                                          \
	do {                                                                                       \
		struct wl_cmd_stats st_;                                                           \
		mc_stats(port, cmd, &st_);                                                         \
		CU_ASSERT_EQUAL(st_.request_bytes, (uint64_t)(rqb));                               \
		CU_ASSERT_EQUAL(st_.response_bytes, (uint64_t)(rsb));                              \
	} while (0)

/* Stats entries of memcached at the test server (other protocols: none in these tests). */
static int mc_entries(void)
{
	return conv_stats_entries();
}

/* The engine counters a memcached case leaves at 0 unless it says otherwise. */
static const struct counter_want mc_clean[] = {
	{"l7_malformed", 0}, {"l7_unmatched", 0}, {"l7_resync_skip", 0}, {"l7_fifo_overflow", 0}};
static const struct text_suite mc_text = {WL_L7_MEMCACHED, MC_PORT, mc_clean, 4};

/* Request and response bytes are the command's and its reply's own. */
static void mc_text_commands_bytes(const struct conv *c)
{
	(void)c;
	EXPECT_BYTES(MC_PORT, "set", strlen("set k 0 0 5\r\nhello\r\n"), strlen("STORED\r\n"));
	EXPECT_BYTES(MC_PORT, "get", strlen("get k\r\n") + strlen("get nokey\r\n"),
		     strlen("VALUE k 0 5\r\nhello\r\nEND\r\n") + strlen("END\r\n"));
	EXPECT_BYTES(MC_PORT, "stats", 7,
		     strlen("STAT pid 1\r\nSTAT uptime 2\r\nSTAT cmd_get 3\r\nEND\r\n"));
}

static void mc_split_bytes(const struct conv *c)
{
	(void)c;
	EXPECT_BYTES(MC_PORT, "set", 28, 8);
}

static void mc_pipelined_bytes(const struct conv *c)
{
	(void)c;
	EXPECT_BYTES(MC_PORT, "delete", 80, 72);
}

/* Text-protocol conversations: the script and every command it must leave (requests,
 * responses, errors, misses), through XDP and TC. */
static const struct text_case mc_conversations[] = {
	{"every text command, one exchange each",
	 .script = {"> set k 0 0 5\r\nhello\r\n",
		    "< STORED\r\n",
		    "> get k\r\n",
		    "< VALUE k 0 5\r\nhello\r\nEND\r\n",
		    "> get nokey\r\n",
		    "< END\r\n",
		    "> gets k\r\n",
		    "< VALUE k 0 5 42\r\nhello\r\nEND\r\n",
		    "> add k 0 0 1\r\nx\r\n",
		    "< NOT_STORED\r\n",
		    "> replace k 0 0 1\r\ny\r\n",
		    "< STORED\r\n",
		    "> append k 0 0 2\r\nzz\r\n",
		    "< STORED\r\n",
		    "> prepend k 0 0 2\r\naa\r\n",
		    "< STORED\r\n",
		    "> cas k 0 0 1 41\r\nq\r\n",
		    "< EXISTS\r\n",
		    "> cas nokey 0 0 1 41\r\nq\r\n",
		    "< NOT_FOUND\r\n",
		    "> incr n 5\r\n",
		    "< 15\r\n",
		    "> decr nokey 1\r\n",
		    "< NOT_FOUND\r\n",
		    "> delete k\r\n",
		    "< DELETED\r\n",
		    "> delete k\r\n",
		    "< NOT_FOUND\r\n",
		    "> touch n 100\r\n",
		    "< TOUCHED\r\n",
		    "# two keys, one missed",
		    "> gat 100 n nokey\r\n",
		    "< VALUE n 0 2\r\n15\r\nEND\r\n",
		    "> gats 100 n\r\n",
		    "< VALUE n 0 2 7\r\n15\r\nEND\r\n",
		    "> flush_all\r\n",
		    "< OK\r\n",
		    "> version\r\n",
		    "< VERSION 1.6.18\r\n",
		    "> stats\r\n",
		    "< STAT pid 1\r\nSTAT uptime 2\r\nSTAT cmd_get 3\r\nEND\r\n",
		    "> verbosity 1\r\n",
		    "< OK\r\n",
		    "> mn\r\n",
		    "< MN\r\n",
		    "> quit\r\n"},
	 .want = "set 1 1 0 0, get 2 2 0 1, gets 1 1 0 0, add 1 1 0 0, replace 1 1 0 0, "
		 "append 1 1 0 0, prepend 1 1 0 0, cas 2 2 0 1, incr 1 1 0 0, decr 1 1 0 1, "
		 "delete 2 2 0 1, touch 1 1 0 0, gat 2 2 0 1, gats 1 1 0 0, flush_all 1 1 0 0, "
		 "version 1 1 0 0, stats 1 1 0 0, verbosity 1 1 0 0, mn 1 1 0 0, quit 1 0 0 0",
	 .check = mc_text_commands_bytes},
	{"multi-gets: each key is a lookup; the keys without a VALUE are misses, also when the "
	 "lines are pipelined in one segment and their FIFO runs merge",
	 .script = {"> get a b c\r\nget d\r\ngets e f\r\nget g h i j\r\n",
		    "< VALUE a 0 1\r\n1\r\nVALUE c 0 1\r\n3\r\nEND\r\nEND\r\n"
		    "VALUE e 0 1 9\r\n5\r\nVALUE f 0 1 10\r\n6\r\nEND\r\n",
		    "< VALUE j 0 1\r\nj\r\nEND\r\n", "= get 8 8 0 5, gets 2 2 0 0",
		    "# a later single get still pairs with its own reply", "> get x y\r\n",
		    "< CLIENT_ERROR bad command line format\r\n", "> get z\r\n",
		    "< VALUE z 0 0\r\n\r\nEND\r\n"},
	 .want = "get 11 11 2 5, gets 2 2 0 0"},
	{"noreply commands and quit get no reply: the next reply belongs to the next command",
	 .script = {"> set a 0 0 1 noreply\r\n1\r\nadd a 0 0 1 noreply\r\n2\r\n"
		    "cas a 0 0 1 7 noreply\r\n3\r\nincr a 1 noreply\r\ndecr a 1 noreply\r\n"
		    "delete a noreply\r\ntouch a 1 noreply\r\nflush_all 0 noreply\r\n"
		    "verbosity 1 noreply\r\nget a\r\n",
		    "< END\r\n",
		    "= set 1 0 0 0, add 1 0 0 0, cas 1 0 0 0, incr 1 0 0 0, decr 1 0 0 0, "
		    "delete 1 0 0 0, touch 1 0 0 0, flush_all 1 0 0 0, verbosity 1 0 0 0, "
		    "get 1 1 0 1",
		    "# \"noreply\" as a get key, and a set with one token too many (memcached: "
		    "ERROR, no data block read, so the data line is a command of its own)",
		    "> get noreply\r\nset b 0 0 1 noreply x\r\nv\r\n",
		    "< END\r\nERROR\r\nERROR\r\n"},
	 .want = "set 2 1 1 0, add 1 0 0 0, cas 1 0 0 0, incr 1 0 0 0, decr 1 0 0 0, "
		 "delete 1 0 0 0, touch 1 0 0 0, flush_all 1 0 0 0, verbosity 1 0 0 0, "
		 "get 2 2 0 2, OTHER 1 1 1 0"},
	{"error replies: unknown commands (foo, GET: case matters, an empty line), then CLIENT_ "
	 "and SERVER_ERROR",
	 .script = {"> foo bar\r\nGET k\r\nget\r\n\r\nincr s 1\r\nset big 0 0 3\r\nabc\r\n",
		    "< ERROR\r\nERROR\r\nERROR\r\nERROR\r\n"
		    "CLIENT_ERROR cannot increment or decrement non-numeric value\r\n"
		    "SERVER_ERROR out of memory storing object\r\n"},
	 .want = "OTHER 3 3 3 0, get 1 1 1 0, incr 1 1 1 0, set 1 1 1 0"},
	{"a request stream and its reply stream cut in two at every offset", .split = 1,
	 .script = {"> set key 0 0 10\r\n0123456789\r\nget key other\r\nincr n 1\r\n",
		    "< STORED\r\nVALUE key 5 10\r\n0123456789\r\nEND\r\n2\r\n"},
	 .want = "set 1 1 0 0, get 2 2 0 1, incr 1 1 0 0", .check = mc_split_bytes},
	{"the same one byte per segment", .mss = 1,
	 .script = {"> set key 0 0 10\r\n0123456789\r\nget key other\r\nincr n 1\r\n",
		    "< STORED\r\nVALUE key 5 10\r\n0123456789\r\nEND\r\n2\r\n"},
	 .want = "set 1 1 0 0, get 2 2 0 1, incr 1 1 0 0"},
	{"8 rounds of set, get, delete, get pipelined in one segment each way",
	 .script = {"> 8*set k 0 0 2\r\nab\r\nget k\r\ndelete k\r\nget k\r\n",
		    "< 8*STORED\r\nVALUE k 0 2\r\nab\r\nEND\r\nDELETED\r\nEND\r\n"},
	 .want = "set 8 8 0 0, get 16 16 0 8, delete 8 8 0 0", .check = mc_pipelined_bytes},
	{"10 rounds pipelined",
	 .script = {"> 10*set k 0 0 2\r\nab\r\nget k\r\ndelete k\r\nget k\r\n",
		    "< 10*STORED\r\nVALUE k 0 2\r\nab\r\nEND\r\nDELETED\r\nEND\r\n"},
	 .want = "set 10 10 0 0, get 20 20 0 10, delete 10 10 0 0"},
	{"mid-stream join (no handshake): the first segment starting a command resynchronises",
	 .joined = 1,
	 .script = {"# the tail of something", "> 45\r\n", "> get a b\r\n",
		    "< VALUE b 0 1\r\nb\r\nEND\r\n"},
	 .want = "get 2 2 0 1", .counters = "l7_resync_skip 1"},
};

WL_TEST(memcached, text_conversations)
{
	TEXT_RUN_CASES(&mc_text, mc_conversations);
}

/* A 100 KB value: its data block spans segments both ways. */
WL_TEST(memcached, large_value)
{
	size_t vlen = 100 * 1024, len, rlen;
	char *msg = malloc(vlen + 64), *rsp = malloc(vlen + 64), *p;

	p = msg + sprintf(msg, "set big 0 0 %zu\r\n", vlen);
	memset(p, 'v', vlen);
	memcpy(p + vlen, "\r\n", 2);
	len = p + vlen + 2 - msg;
	p = rsp + sprintf(rsp, "VALUE big 0 %zu\r\n", vlen);
	memset(p, 'v', vlen);
	memcpy(p + vlen, "\r\nEND\r\n", 7);
	rlen = p + vlen + 7 - rsp;
	FOR_EACH_HOOK(h) {
		struct conv c;

		conv_start(h, &c, MC_PORT);
		for (size_t off = 0; off < len; off += 1448)
			conv_seg(h, &c, 0, msg + off, len - off < 1448 ? len - off : 1448, 0);
		conv_resp(h, &c, "STORED\r\n");
		conv_req(h, &c, "get big\r\n");
		for (size_t off = 0; off < rlen; off += 1448)
			conv_seg(h, &c, 1, rsp + off, rlen - off < 1448 ? rlen - off : 1448, 0);
		EXPECT_MC(MC_PORT, "set", 1, 1, 0, 0);
		EXPECT_MC(MC_PORT, "get", 1, 1, 0, 0);
		EXPECT_BYTES(MC_PORT, "set", len, 8);
		EXPECT_BYTES(MC_PORT, "get", 9, rlen);
	}
	free(msg);
	free(rsp);
}

/*
 * Lines longer than the scanner takes per step (64 bytes), one longer than the window (1 KB): a
 * token, a number or a key's length carried from one piece to the next, whole and cut at every
 * offset. A 200-byte key (its numbers past the first pieces), a 251-byte key (too long:
 * memcached answers CLIENT_ERROR and reads no data block, so the data line is a command of its
 * own), a get of 30 keys; then a get of 500 keys (2.5 KB: only a multi-get may be longer than
 * memcached's line limit) in one segment.
 */
WL_TEST(memcached, long_lines)
{
	char key[201], lkey[252], set1[300], set2[300], get[200], reqs[1024], big[3000];
	static const char resps[] = "STORED\r\nCLIENT_ERROR bad command line format\r\nERROR\r\n"
				    "VALUE k07 0 1\r\nx\r\nEND\r\n";
	size_t rl, pl = strlen(resps), n;

	memset(key, 'k', 200);
	key[200] = 0;
	memset(lkey, 'l', 251);
	lkey[251] = 0;
	snprintf(set1, sizeof(set1), "set %s 0 0 10\r\n0123456789\r\n", key);
	snprintf(set2, sizeof(set2), "set %s 0 0 5\r\n", lkey);
	n = snprintf(get, sizeof(get), "get");
	for (int k = 0; k < 30; k++)
		n += snprintf(get + n, sizeof(get) - n, " k%02d", k);
	snprintf(get + n, sizeof(get) - n, "\r\n");
	rl = snprintf(reqs, sizeof(reqs), "%s%shello\r\n%s", set1, set2, get);
	n = snprintf(big, sizeof(big), "get");
	for (int k = 0; k < 500; k++)
		n += snprintf(big + n, sizeof(big) - n, " %04d", k);
	snprintf(big + n, sizeof(big) - n, "\r\n");
	CU_ASSERT_TRUE(strlen(big) > 2048);
	FOR_EACH_HOOK(h) {
		for (size_t cut = 0; cut < rl; cut++) {
			struct conv c;
			size_t pc = cut % pl;

			conv_start(h, &c, MC_PORT);
			if (cut)
				conv_seg(h, &c, 0, reqs, cut, 0);
			conv_seg(h, &c, 0, reqs + cut, rl - cut, 0);
			if (pc)
				conv_seg(h, &c, 1, resps, pc, 0);
			conv_seg(h, &c, 1, resps + pc, pl - pc, 0);
			EXPECT_MC(MC_PORT, "set", 2, 2, 1, 0);
			EXPECT_MC(MC_PORT, "OTHER", 1, 1, 1, 0); /* "hello" */
			EXPECT_MC(MC_PORT, "get", 30, 30, 0, 29);
			EXPECT_BYTES(MC_PORT, "set", strlen(set1) + strlen(set2),
				     strlen("STORED\r\nCLIENT_ERROR bad command line format\r\n"));
			EXPECT_COUNTERS({"l7_malformed", 0}, {"l7_unmatched", 0});
			if (harness_counters().l7_malformed || harness_counters().l7_unmatched)
				fprintf(stderr, "\n  [%s] cut %zu: malformed %llu unmatched %llu",
					hook_names[h], cut,
					(unsigned long long)harness_counters().l7_malformed,
					(unsigned long long)harness_counters().l7_unmatched);
		}
		{
			struct conv c;

			conv_start(h, &c, MC_PORT);
			conv_req(h, &c, big);
			conv_resp(h, &c, "END\r\n");
			EXPECT_MC(MC_PORT, "get", 500, 500, 0, 500);
			EXPECT_BYTES(MC_PORT, "get", strlen(big), 5);
			CU_ASSERT_EQUAL(harness_counters().l7_malformed, 0);
		}
	}
}

WL_TEST(memcached, retransmit_and_gap)
{
	FOR_EACH_HOOK(h) {
		struct conv c;
		uint32_t saved;

		conv_start(h, &c, MC_PORT);
		saved = c.cseq;
		conv_req(h, &c, "get k\r\n");
		c.cseq = saved; /* the same segment again */
		conv_req(h, &c, "get k\r\n");
		saved = c.sseq;
		conv_resp(h, &c, "END\r\n");
		c.sseq = saved;
		conv_resp(h, &c, "END\r\n");
		c.cseq += 100;				 /* 100 bytes lost */
		conv_req(h, &c, "0123456789\r\n");	 /* tail of a lost data block: skipped */
		conv_req(h, &c, "set k 0 0 1\r\nx\r\n"); /* starts a command: resynchronised */
		conv_resp(h, &c, "STORED\r\n");
		EXPECT_MC(MC_PORT, "get", 1, 1, 0, 1);
		EXPECT_MC(MC_PORT, "set", 1, 1, 0, 0);
		EXPECT_COUNTERS({"l7_retransmit", 2}, {"l7_gap", 1}, {"l7_resync_skip", 1},
				{"l7_unmatched", 0});
		/* the reply side loses bytes inside a VALUE block: the rest of the block is still
		 * skipped by its length, and the reply completes */
		conv_req(h, &c, "get k\r\n");
		conv_resp(h, &c, "VALUE k 0 1000\r\n");
		c.sseq += 500;
		{
			char tail[600];

			memset(tail, 'x', 500);
			strcpy(tail + 500, "\r\nEND\r\n");
			conv_resp(h, &c, tail);
		}
		conv_req(h, &c, "version\r\n");
		conv_resp(h, &c, "VERSION 1.6.18\r\n");
		EXPECT_COUNTERS({"l7_gap", 2}, {"l7_resync_skip", 1});
		EXPECT_MC(MC_PORT, "get", 2, 2, 0, 1);
		EXPECT_BYTES(MC_PORT, "get", 14, 5 + 16 + 1002 + 5);
		EXPECT_MC(MC_PORT, "version", 1, 1, 0, 0);
		CU_ASSERT_EQUAL(mc_entries(), 3);
	}
}

WL_TEST(memcached, malformed)
{
	static const char *const bad[] = {
		"\x01\x02\x03garbage\r\n",   /* control bytes in a command name */
		"get k\r\n\x05\x06junk\r\n", /* garbage after a valid command */
	};
	char longline[3000];

	memset(longline, 'x', sizeof(longline) - 1);
	longline[sizeof(longline) - 1] = 0;
	FOR_EACH_HOOK(h) {
		for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
			struct conv c;

			conv_start(h, &c, MC_PORT);
			conv_req(h, &c, bad[i]);
			CU_ASSERT_EQUAL(harness_counters().l7_malformed, 1);
			conv_req(h, &c, "set k 0 0 1\r\nx\r\n");
			conv_resp(h, &c, i == 1 ? "END\r\nSTORED\r\n" : "STORED\r\n");
			EXPECT_MC(MC_PORT, "set", 1, 1, 0, 0);
		}
		/* a line without LF longer than memcached allows (not a multi-get) */
		{
			struct conv c;

			conv_start(h, &c, MC_PORT);
			conv_req(h, &c, longline);
			CU_ASSERT_EQUAL(harness_counters().l7_malformed, 1);
			CU_ASSERT_EQUAL(mc_entries(), 0);
		}
		/* lengths that lie: absurd, negative, not a number: memcached answers
		 * CLIENT_ERROR and reads no data block, so neither does wirelens */
		{
			struct conv c;

			conv_start(h, &c, MC_PORT);
			conv_req(h, &c,
				 "set k 0 0 99999999999\r\nhello\r\nset k 0 0 -1\r\nhello\r\n"
				 "set k 0 0 5x\r\nhello\r\nset k 0 0 0\r\n\r\n");
			conv_resp(h, &c,
				  "CLIENT_ERROR bad command line format\r\nERROR\r\n"
				  "CLIENT_ERROR bad command line format\r\nERROR\r\n"
				  "CLIENT_ERROR bad command line format\r\nERROR\r\nSTORED\r\n");
			EXPECT_MC(MC_PORT, "set", 4, 4, 3, 0);
			EXPECT_MC(MC_PORT, "OTHER", 3, 3, 3, 0);
			EXPECT_COUNTERS({"l7_malformed", 0}, {"l7_unmatched", 0});
		}
		/* replies that break the grammar */
		{
			static const char *const rbad[] = {
				"VALUE k 0 abc\r\nxyz\r\nEND\r\n", /* length not a number */
				"VALUE k 0 99999999999\r\n",	   /* absurd length */
				"\r\n",				   /* blank line */
				"\x80\x01garbage\r\n",		   /* not a reply */
			};

			for (size_t i = 0; i < sizeof(rbad) / sizeof(rbad[0]); i++) {
				struct conv c;

				conv_start(h, &c, MC_PORT);
				conv_req(h, &c, "get k\r\n");
				conv_resp(h, &c, rbad[i]);
				CU_ASSERT_EQUAL(harness_counters().l7_malformed, 1);
				conv_req(h, &c, "version\r\n");
				conv_resp(h, &c, "VERSION 1\r\n");
				EXPECT_MC(MC_PORT, "version", 1, 1, 0, 0);
			}
		}
	}
}

/* ---- binary protocol ---- */

static size_t bin(uint8_t *out, uint8_t magic, uint8_t op, const char *key, uint8_t extlen,
		  uint32_t vlen, uint16_t status, uint32_t opaque)
{
	size_t klen = key ? strlen(key) : 0;
	uint32_t body = klen + extlen + vlen;

	memset(out, 0, 24 + body);
	out[0] = magic;
	out[1] = op;
	out[2] = klen >> 8;
	out[3] = klen;
	out[4] = extlen;
	out[6] = status >> 8;
	out[7] = status;
	out[8] = body >> 24;
	out[9] = body >> 16;
	out[10] = body >> 8;
	out[11] = body;
	memcpy(out + 12, &opaque, 4);
	if (klen)
		memcpy(out + 24 + extlen, key, klen);
	memset(out + 24 + extlen + klen, 'v', vlen);
	return 24 + body;
}

#define REQ(buf, n, op, key, ext, vlen)	    (n += bin(buf + n, 0x80, op, key, ext, vlen, 0, n))
#define RSP(buf, n, op, key, ext, vlen, st) (n += bin(buf + n, 0x81, op, key, ext, vlen, st, 0))

WL_TEST(memcached, binary)
{
	static uint8_t q[8192], r[8192];

	FOR_EACH_HOOK(h) {
		struct conv c;
		size_t nq = 0, nr = 0;

		conv_start(h, &c, MC_PORT);
		REQ(q, nq, 0x01, "k", 8, 100); /* set */
		REQ(q, nq, 0x00, "k", 0, 0);   /* get: hit */
		REQ(q, nq, 0x00, "x", 0, 0);   /* get: miss */
		REQ(q, nq, 0x02, "k", 8, 1);   /* add: exists */
		REQ(q, nq, 0x05, "n", 20, 0);  /* incr */
		REQ(q, nq, 0x06, "n", 20, 0);  /* decr: non-numeric (error) */
		REQ(q, nq, 0x04, "k", 0, 0);   /* delete */
		REQ(q, nq, 0x1c, "k", 4, 0);   /* touch: miss */
		REQ(q, nq, 0x1d, "k", 4, 0);   /* gat */
		REQ(q, nq, 0x08, NULL, 0, 0);  /* flush */
		REQ(q, nq, 0x0b, NULL, 0, 0);  /* version */
		REQ(q, nq, 0x10, NULL, 0, 0);  /* stat */
		REQ(q, nq, 0x0a, NULL, 0, 0);  /* noop */
		conv_seg(h, &c, 0, q, nq, 0);
		RSP(r, nr, 0x01, NULL, 0, 0, 0);
		RSP(r, nr, 0x00, NULL, 4, 100, 0);
		RSP(r, nr, 0x00, NULL, 0, 9, 1); /* "Not found" */
		RSP(r, nr, 0x02, NULL, 0, 10, 2);
		RSP(r, nr, 0x05, NULL, 0, 8, 0);
		RSP(r, nr, 0x06, NULL, 0, 20, 6);
		RSP(r, nr, 0x04, NULL, 0, 0, 0);
		RSP(r, nr, 0x1c, NULL, 0, 9, 1);
		RSP(r, nr, 0x1d, NULL, 4, 5, 0);
		RSP(r, nr, 0x08, NULL, 0, 0, 0);
		RSP(r, nr, 0x0b, NULL, 0, 6, 0);
		RSP(r, nr, 0x10, "pid", 0, 3, 0);
		RSP(r, nr, 0x10, "uptime", 0, 2, 0);
		RSP(r, nr, 0x10, NULL, 0, 0, 0);
		RSP(r, nr, 0x0a, NULL, 0, 0, 0);
		conv_seg(h, &c, 1, r, nr, 0);
		EXPECT_MC(MC_PORT, "set", 1, 1, 0, 0);
		EXPECT_MC(MC_PORT, "get", 2, 2, 0, 1);
		EXPECT_MC(MC_PORT, "add", 1, 1, 0, 0);
		EXPECT_MC(MC_PORT, "incr", 1, 1, 0, 0);
		EXPECT_MC(MC_PORT, "decr", 1, 1, 1, 0);
		EXPECT_MC(MC_PORT, "delete", 1, 1, 0, 0);
		EXPECT_MC(MC_PORT, "touch", 1, 1, 0, 1);
		EXPECT_MC(MC_PORT, "gat", 1, 1, 0, 0);
		EXPECT_MC(MC_PORT, "flush_all", 1, 1, 0, 0);
		EXPECT_MC(MC_PORT, "version", 1, 1, 0, 0);
		EXPECT_MC(MC_PORT, "stats", 1, 1, 0, 0);
		EXPECT_MC(MC_PORT, "noop", 1, 1, 0, 0);
		EXPECT_BYTES(MC_PORT, "set", 24 + 8 + 1 + 100, 24);
		EXPECT_BYTES(MC_PORT, "stats", 24, 24 + 6 + 24 + 8 + 24);
		EXPECT_COUNTERS({"l7_unmatched", 0}, {"l7_malformed", 0});
	}
}

/* Quiet commands: only hits (getq) and failures (setq ...) are answered; the noop's reply
 * settles the silent ones before it. */
WL_TEST(memcached, binary_quiet)
{
	static uint8_t q[4096], r[4096];

	FOR_EACH_HOOK(h) {
		struct conv c;
		size_t nq = 0, nr = 0;

		conv_start(h, &c, MC_PORT);
		for (int i = 0; i < 5; i++)
			REQ(q, nq, 0x0d, "key", 0, 0); /* getkq */
		REQ(q, nq, 0x11, "a", 8, 3);	       /* setq */
		REQ(q, nq, 0x11, "b", 8, 3);	       /* setq: fails */
		REQ(q, nq, 0x14, "c", 0, 0);	       /* deleteq */
		REQ(q, nq, 0x0a, NULL, 0, 0);	       /* noop */
		REQ(q, nq, 0x09, "d", 0, 0);	       /* getq: miss, settled by the get */
		REQ(q, nq, 0x00, "d", 0, 0);	       /* get */
		REQ(q, nq, 0x17, NULL, 0, 0);	       /* quitq: never answered */
		conv_seg(h, &c, 0, q, nq, 0);
		RSP(r, nr, 0x0d, "key", 4, 2, 0);
		RSP(r, nr, 0x0d, "key", 4, 2, 0);
		RSP(r, nr, 0x11, NULL, 0, 10, 0x84); /* SERVER_ERROR-ish status */
		RSP(r, nr, 0x0a, NULL, 0, 0, 0);
		conv_seg(h, &c, 1, r, nr, 0);
		nr = 0;
		RSP(r, nr, 0x00, NULL, 0, 9, 1);
		conv_seg(h, &c, 1, r, nr, 0);
		EXPECT_MC(MC_PORT, "getkq", 5, 5, 0, 3);
		EXPECT_MC(MC_PORT, "setq", 2, 2, 1, 0);
		EXPECT_MC(MC_PORT, "deleteq", 1, 1, 0, 0);
		EXPECT_MC(MC_PORT, "noop", 1, 1, 0, 0);
		EXPECT_MC(MC_PORT, "getq", 1, 1, 0, 1);
		EXPECT_MC(MC_PORT, "get", 1, 1, 0, 1);
		EXPECT_MC(MC_PORT, "quitq", 1, 0, 0, 0);
		CU_ASSERT_EQUAL(harness_counters().l7_unmatched, 0);
	}
}

/* Every cut of a binary request (header and body) and of its reply. */
WL_TEST(memcached, binary_split_every_offset)
{
	static uint8_t q[512], r[512];
	size_t nq = 0, nr = 0;

	REQ(q, nq, 0x01, "key", 8, 30);
	REQ(q, nq, 0x00, "key", 0, 0);
	RSP(r, nr, 0x01, NULL, 0, 0, 0);
	RSP(r, nr, 0x00, NULL, 4, 30, 0);
	FOR_EACH_HOOK(h) {
		for (size_t cut = 1; cut < nq || cut < nr; cut++) {
			struct conv c;

			conv_start(h, &c, MC_PORT);
			conv_split(h, &c, 0, q, nq, cut);
			conv_split(h, &c, 1, r, nr, cut);
			EXPECT_MC(MC_PORT, "set", 1, 1, 0, 0);
			EXPECT_MC(MC_PORT, "get", 1, 1, 0, 0);
			EXPECT_BYTES(MC_PORT, "get", 27, 58);
		}
	}
}

WL_TEST(memcached, binary_malformed)
{
	FOR_EACH_HOOK(h) {
		uint8_t q[128];
		size_t nq;
		struct conv c;

		/* key and extras longer than the body */
		conv_start(h, &c, MC_PORT);
		nq = bin(q, 0x80, 0x00, "key", 0, 0, 0, 0);
		q[11] = 1;
		conv_seg(h, &c, 0, q, nq, 0);
		CU_ASSERT_EQUAL(harness_counters().l7_malformed, 1);
		CU_ASSERT_EQUAL(mc_entries(), 0);
		/* absurd body length */
		conv_start(h, &c, MC_PORT);
		nq = bin(q, 0x80, 0x01, "key", 8, 1, 0, 0);
		q[8] = 0xff;
		conv_seg(h, &c, 0, q, nq, 0);
		CU_ASSERT_EQUAL(harness_counters().l7_malformed, 1);
		/* recovers at the next segment starting a request */
		nq = bin(q, 0x80, 0x0a, NULL, 0, 0, 0, 0);
		conv_seg(h, &c, 0, q, nq, 0);
		nq = bin(q, 0x81, 0x0a, NULL, 0, 0, 0, 0);
		conv_seg(h, &c, 1, q, nq, 0);
		EXPECT_MC(MC_PORT, "noop", 1, 1, 0, 0);
		/* a reply with the request magic */
		nq = bin(q, 0x80, 0x0a, NULL, 0, 0, 0, 0);
		conv_seg(h, &c, 0, q, nq, 0);
		q[0] = 0x81;
		q[24] = 0;
		conv_seg(h, &c, 1, q, 24, 0);
		EXPECT_MC(MC_PORT, "noop", 2, 2, 0, 0);
		q[0] = 0x80;
		conv_seg(h, &c, 1, q, 24, 0);
		CU_ASSERT_EQUAL(harness_counters().l7_malformed, 2);
	}
}

WL_TEST(memcached, sniffed_port)
{
	FOR_EACH_HOOK(h) {
		struct conv c;
		uint8_t q[64];
		size_t nq;

		conv_start(h, &c, 7001); /* port 7001 is unknown: nothing tracked yet */
		conv_req(h, &c, "get k\r\n");
		conv_resp(h, &c, "END\r\n");
		EXPECT_MC(7001, "get", 1, 1, 0, 1);
		conv_init(&c, 7002);
		c.cport = 40001;
		conv_handshake(h, &c);
		nq = bin(q, 0x80, 0x00, "k", 0, 0, 0, 0);
		conv_seg(h, &c, 0, q, nq, 0);
		nq = bin(q, 0x81, 0x00, NULL, 0, 9, 1, 0);
		conv_seg(h, &c, 1, q, nq, 0);
		EXPECT_MC(7002, "get", 1, 1, 0, 1);
		/* HTTP and Redis are not taken for memcached */
		conv_init(&c, 7003);
		c.cport = 40002;
		conv_handshake(h, &c);
		conv_req(h, &c, "GET / HTTP/1.1\r\n\r\n");
		conv_init(&c, 7004);
		c.cport = 40003;
		conv_handshake(h, &c);
		conv_req(h, &c, "\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c");
		{
			struct wl_cmd_stats st;

			CU_ASSERT_NOT_EQUAL(mc_stats(7003, "OTHER", &st), 0);
			CU_ASSERT_NOT_EQUAL(mc_stats(7004, "OTHER", &st), 0);
		}
	}
}

/* text_response: tshark counts a reply's status word only when the reply is that word alone:
 * END rows are the get/gets replies where the key missed, the other words one per reply of the
 * other commands (stats excepted: its END follows STAT lines). */
static void capture_check_memcached(const struct capture_file *f)
{
	static const char *const gets[] = {"get", "gets", NULL}, *const others_not[] = {
									 "get", "gets", "stats",
									 NULL};
	uint64_t end = capture_want(f, "text_response", "END");

	capture_expect(f, "END replies: get/gets misses", capture_sum(f, gets, NULL).misses, end);
	capture_expect(f, "other replies", capture_sum(f, NULL, others_not).responses,
		       capture_want(f, "text_response", NULL) - end);
}

/* ---- multi-key lines: the key count of each line carried to its reply ---- */

/* A conversation of multi-key get/gets/gat lines and their replies, as two byte streams with the
 * offset where each line (and each reply) ends, and the figures memcached would count. */
#define MG_LINES_MAX 64
#define MG_REQ_MAX   (MG_LINES_MAX * 700)
#define MG_RESP_MAX  (MG_LINES_MAX * 100 * 40)

struct mg_conv {
	char req[MG_REQ_MAX], resp[MG_RESP_MAX];
	size_t req_end[MG_LINES_MAX], resp_end[MG_LINES_MAX], req_len, resp_len;
	int lines;
	/* per command: get, gets, gat */
	uint64_t keys[3], misses[3];
};

static const char *const mg_cmds[3] = {"get", "gets", "gat"};

/* nlines lines of 1..100 keys (cmd: fixed index, or -1 to rotate), hits and misses mixed. */
static void mg_build(struct mg_conv *g, int nlines, int seed, int cmd)
{
	memset(g->keys, 0, sizeof(g->keys));
	memset(g->misses, 0, sizeof(g->misses));
	g->req_len = g->resp_len = 0;
	g->lines = nlines;
	for (int i = 0; i < nlines; i++) {
		int c = cmd >= 0 ? cmd : (i * 5 + seed) % 3;
		int n = 1 + (i * 37 + seed * 11) % 100;

		g->req_len += sprintf(g->req + g->req_len, "%s%s", mg_cmds[c], c == 2 ? " 0" : "");
		for (int j = 0; j < n; j++) {
			int hit = (i * 31 + j * 17 + seed) % 5 >= 2, vlen = (i + j) % 23;

			g->req_len += sprintf(g->req + g->req_len, " k%d_%d", i, j);
			g->keys[c]++;
			if (!hit) {
				g->misses[c]++;
				continue;
			}
			g->resp_len +=
				sprintf(g->resp + g->resp_len, "VALUE k%d_%d %d %d", i, j, j, vlen);
			if (c == 1)
				g->resp_len += sprintf(g->resp + g->resp_len, " %d", i * 1000 + j);
			g->resp_len += sprintf(g->resp + g->resp_len, "\r\n");
			memset(g->resp + g->resp_len, 'a' + j % 26, vlen);
			g->resp_len += vlen;
			g->resp_len += sprintf(g->resp + g->resp_len, "\r\n");
		}
		g->req_len += sprintf(g->req + g->req_len, "\r\n");
		g->resp_len += sprintf(g->resp + g->resp_len, "END\r\n");
		g->req_end[i] = g->req_len;
		g->resp_end[i] = g->resp_len;
	}
}

static void mg_expect(enum wl_hook h, const struct mg_conv *g)
{
	for (int c = 0; c < 3; c++)
		if (g->keys[c])
			EXPECT_MC(MC_PORT, mg_cmds[c], g->keys[c], g->keys[c], 0, g->misses[c]);
}

/*
 * Many pipelined multi-key lines, the request stream cut into segments of req_seg bytes, the
 * reply stream into segments cycling through resp_cuts; replies are sent as soon as their line
 * is complete (so they arrive while later lines are still queued), cut at that point too.
 */
static void mg_run(enum wl_hook h, struct conv *c, const struct mg_conv *g, size_t req_seg,
		   const size_t *resp_cuts, int ncuts)
{
	size_t qo = 0, ro = 0;
	int k = 0, cut = 0;

	while (qo < g->req_len || ro < g->resp_len) {
		size_t allowed, n;
		int done = 0;

		if (qo < g->req_len) {
			n = g->req_len - qo < req_seg ? g->req_len - qo : req_seg;
			conv_seg(h, c, 0, g->req + qo, n, 0);
			qo += n;
		}
		while (k < g->lines && g->req_end[k] <= qo)
			k++;
		allowed = k ? g->resp_end[k - 1] : 0;
		while (ro < allowed && !done) {
			n = resp_cuts[cut++ % ncuts];
			if (n >= allowed - ro) {
				n = allowed - ro;
				done = qo < g->req_len; /* wait for more requests */
			}
			conv_seg(h, c, 1, g->resp + ro, n, 0);
			ro += n;
		}
	}
}

WL_TEST(memcached, multi_get_pipelined)
{
	static struct mg_conv g;
	static const size_t cuts_a[] = {1448}, cuts_b[] = {1, 7, 64, 300, 2, 1448, 13, 700, 5},
			    cuts_c[] = {3};
	static const struct {
		size_t req_seg;
		const size_t *cuts;
		int ncuts;
	} plans[] = {
		{1448, cuts_a, 1}, {1448, cuts_b, 9}, {97, cuts_b, 9},
		{1, cuts_a, 1},	   {500, cuts_c, 1},
	};

	FOR_EACH_HOOK(h) {
		for (size_t p = 0; p < sizeof(plans) / sizeof(plans[0]); p++) {
			struct conv c;
			struct wl_counters cnt;

			mg_build(&g, p == 3 ? 12 : 48, (int)p, p == 1 ? 0 : -1);
			conv_start(h, &c, MC_PORT);
			mg_run(h, &c, &g, plans[p].req_seg, plans[p].cuts, plans[p].ncuts);
			mg_expect(h, &g);
			cnt = harness_counters();
			EXPECT_COUNTERS({"l7_unmatched", 0}, {"l7_malformed", 0},
					{"l7_fifo_overflow", 0});
			if (cnt.l7_unmatched || cnt.l7_malformed || cnt.l7_fifo_overflow)
				fprintf(stderr, "\n  [%s] plan %zu: unmatched %llu malformed %llu",
					hook_names[h], p, (unsigned long long)cnt.l7_unmatched,
					(unsigned long long)cnt.l7_malformed);
		}
		/* every line, then every reply, each stream in one go (one command: one FIFO
		 * run per request segment) */
		{
			struct conv c;

			mg_build(&g, 40, 9, 1);
			conv_start(h, &c, MC_PORT);
			for (size_t o = 0; o < g.req_len; o += 1448)
				conv_seg(h, &c, 0, g.req + o,
					 g.req_len - o < 1448 ? g.req_len - o : 1448, 0);
			for (size_t o = 0; o < g.resp_len; o += 1448)
				conv_seg(h, &c, 1, g.resp + o,
					 g.resp_len - o < 1448 ? g.resp_len - o : 1448, 0);
			mg_expect(h, &g);
			CU_ASSERT_EQUAL(harness_counters().l7_unmatched, 0);
		}
	}
}

/*
 * More runs in flight than the FIFO holds: 200 lines alternating get/gets (each a run of its
 * own). The first WL_FIFO_LEN - 1 pair by name; the keys of the later ones are lost to the
 * overflow: their replies still take them (the FIFO stays in step) but count under no command,
 * never under get/gets. A later line pairs with its own reply.
 */
WL_TEST(memcached, multi_get_overflow)
{
	static char req[16384], resp[32768];

	FOR_EACH_HOOK(h) {
		uint64_t keys[2] = {0}, misses[2] = {0}, all[2] = {0}, lost = 0, lost_lines = 0;
		size_t ql = 0, rl = 0, at = 0, sent = 0;
		struct conv c;

		conv_start(h, &c, MC_PORT);
		for (int i = 0; i < 200; i++) {
			int n = 1 + (i * 7) % 9, cmd = i & 1;

			ql += sprintf(req + ql, "%s", cmd ? "gets" : "get");
			for (int j = 0; j < n; j++) {
				int hit = (i + j) % 3 != 0;

				ql += sprintf(req + ql, " k%d", j);
				all[cmd]++;
				if (hit)
					rl += sprintf(resp + rl,
						      cmd ? "VALUE k%d 0 1 7\r\nx\r\n"
							  : "VALUE k%d 0 1\r\nx\r\n",
						      j);
				if (i < WL_FIFO_LEN - 1) {
					keys[cmd]++;
					misses[cmd] += !hit;
				} else {
					lost++;
				}
			}
			lost_lines += i >= WL_FIFO_LEN - 1;
			ql += sprintf(req + ql, "\r\n");
			rl += sprintf(resp + rl, "END\r\n");
			if (ql - at > 1000 || i == 199) { /* segments end at a line's end */
				conv_seg(h, &c, 0, req + at, ql - at, 0);
				at = ql;
			}
		}
		for (; sent < rl; sent += 1000)
			conv_seg(h, &c, 1, resp + sent, rl - sent < 1000 ? rl - sent : 1000, 0);
		EXPECT_COUNTERS({"l7_fifo_overflow", lost}, {"l7_unmatched", lost_lines});
		CU_ASSERT_EQUAL(mc_stats(MC_PORT, "OTHER", &(struct wl_cmd_stats){0}) == 0, 0);
		conv_req(h, &c, "get x y z\r\n");
		conv_resp(h, &c, "VALUE y 0 1\r\ny\r\nEND\r\n");
		EXPECT_MC(MC_PORT, "get", all[0] + 3, keys[0] + 3, 0, misses[0] + 2);
		EXPECT_MC(MC_PORT, "gets", all[1], keys[1], 0, misses[1]);
		CU_ASSERT_EQUAL(harness_counters().l7_unmatched, lost_lines);
	}
}

/* Sends data in segments of seg bytes, leaving out (for now) the one starting at lose_at: it
 * arrives last, as a retransmission. */
static void mc_send_losing(enum wl_hook h, struct conv *c, int from_server, const char *data,
			   size_t len, size_t seg, size_t lose_at)
{
	for (size_t o = 0; o < len; o += seg) {
		size_t n = len - o < seg ? len - o : seg;

		if (o == lose_at) {
			if (from_server)
				c->sseq += n;
			else
				c->cseq += n;
			continue;
		}
		conv_seg(h, c, from_server, data + o, n, 0);
	}
	conv_reseg(h, c, from_server, data + lose_at, len - lose_at < seg ? len - lose_at : seg,
		   len - lose_at);
}

/*
 * Bytes that reach the hook late or never (a segment lost before the hook, or overtaken by the
 * next ones: veth with native XDP reorders under load), inside a multi-key reply. The reply's
 * keys are still answered: a gap inside a data block loses nothing counted (the block is skipped
 * by length), a gap that swallows VALUE lines resumes at the next VALUE or END line of the same
 * reply (keys whose VALUE was not seen count as misses).
 */
WL_TEST(memcached, multi_get_gap)
{
	static char big[8192];
	size_t n;

	FOR_EACH_HOOK(h) {
		struct conv c;

		/* the lost segment [1448, 2896) lies inside a's 3000-byte data block */
		conv_start(h, &c, MC_PORT);
		conv_req(h, &c, "get a b c\r\n");
		n = sprintf(big, "VALUE a 0 3000\r\n");
		memset(big + n, 'x', 3000);
		n += 3000;
		n += sprintf(big + n, "\r\nVALUE b 0 5\r\nhello\r\nEND\r\n");
		mc_send_losing(h, &c, 1, big, n, 1448, 1448);
		EXPECT_MC(MC_PORT, "get", 3, 3, 0, 1);
		EXPECT_BYTES(MC_PORT, "get", 11, n);
		conv_req(h, &c, "set k 0 0 1\r\nx\r\n");
		conv_resp(h, &c, "STORED\r\n");
		EXPECT_MC(MC_PORT, "set", 1, 1, 0, 0);
		EXPECT_COUNTERS({"l7_gap", 1}, {"l7_retransmit", 1}, {"l7_unmatched", 0},
				{"l7_malformed", 0});

		/* the lost segment [1448, 2896) holds the VALUE line of c (1000-byte values: the
		 * blocks start at 0, 1018, 2036, 3054): a, b and d are seen, c and e are misses */
		conv_start(h, &c, MC_PORT);
		conv_req(h, &c, "get a b c d e\r\n");
		n = 0;
		for (int k = 0; k < 4; k++) {
			n += sprintf(big + n, "VALUE %c 0 1000\r\n", 'a' + k);
			memset(big + n, 'A' + k, 1000);
			n += 1000;
			n += sprintf(big + n, "\r\n");
		}
		n += sprintf(big + n, "END\r\n");
		mc_send_losing(h, &c, 1, big, n, 1448, 1448);
		EXPECT_MC(MC_PORT, "get", 5, 5, 0, 2);
		conv_req(h, &c, "get z\r\nversion\r\n");
		conv_resp(h, &c, "END\r\nVERSION 1.6.18\r\n");
		EXPECT_MC(MC_PORT, "get", 6, 6, 0, 3);
		EXPECT_MC(MC_PORT, "version", 1, 1, 0, 0);
		EXPECT_COUNTERS({"l7_gap", 1}, {"l7_unmatched", 0}, {"l7_malformed", 0});

		/* a request's data block: the set is still counted and paired */
		conv_start(h, &c, MC_PORT);
		n = sprintf(big, "set k 0 0 3000\r\n");
		memset(big + n, 'x', 3000);
		n += 3000;
		n += sprintf(big + n, "\r\nget k l\r\n");
		mc_send_losing(h, &c, 0, big, n, 1448, 1448);
		conv_resp(h, &c, "STORED\r\nVALUE k 0 1\r\nx\r\nEND\r\n");
		EXPECT_MC(MC_PORT, "set", 1, 1, 0, 0);
		EXPECT_MC(MC_PORT, "get", 2, 2, 0, 1);
		EXPECT_BYTES(MC_PORT, "set", n - 9, 8);
		CU_ASSERT_EQUAL(mc_entries(), 2);
		CU_ASSERT_EQUAL(harness_counters().l7_unmatched, 0);
	}
}

/* A binary body with a hole is still skipped by its length. */
WL_TEST(memcached, binary_gap)
{
	static uint8_t q[8192], r[64];

	FOR_EACH_HOOK(h) {
		size_t nq = 0, nr = 0;
		struct conv c;

		conv_start(h, &c, MC_PORT);
		REQ(q, nq, 0x01, "k", 8, 4000); /* set */
		REQ(q, nq, 0x00, "k", 0, 0);	/* get */
		mc_send_losing(h, &c, 0, (const char *)q, nq, 1448, 1448);
		RSP(r, nr, 0x01, NULL, 0, 0, 0);
		RSP(r, nr, 0x00, NULL, 0, 9, 1);
		conv_seg(h, &c, 1, r, nr, 0);
		EXPECT_MC(MC_PORT, "set", 1, 1, 0, 0);
		EXPECT_MC(MC_PORT, "get", 1, 1, 0, 1);
		EXPECT_COUNTERS({"l7_unmatched", 0}, {"l7_malformed", 0});
	}
}

/*
 * A key count left behind by a connection that ended (reset) with a multi-key line unanswered
 * must not be taken for the line of the same number on the next connection of the same ports.
 */
WL_TEST(memcached, multi_get_stale_count)
{
	FOR_EACH_HOOK(h) {
		struct conv c;

		conv_start(h, &c, MC_PORT);
		conv_req(h, &c, "get a\r\nget b c d e\r\n");
		conv_seg(h, &c, 0, NULL, 0, 0x04); /* RST */
		conv_handshake(h, &c);
		conv_req(h, &c, "get x\r\nget y\r\nget p q\r\n");
		conv_resp(h, &c, "END\r\nEND\r\nVALUE q 0 1\r\nq\r\nEND\r\n");
		EXPECT_MC(MC_PORT, "get", 9, 4, 0, 3);
		CU_ASSERT_EQUAL(harness_counters().l7_unmatched, 0);
	}
}

/*
 * The real captures against EXPECTED.tsv (tshark). text_request_cmd: command lines per command;
 * every line in these captures has one key, so lines equal wirelens' requests (per key), and the
 * set of commands is the same; the replies as above.
 */
const struct capture_spec memcached_captures = {
	.protocol = {.name = "memcached", .l7_proto = WL_L7_MEMCACHED, .files = 3},
	.commands = {.metrics = {"text_request_cmd"}, .listed = 1},
	.counters = {"l7_malformed", "l7_unmatched"},
	.too_big = CAPTURE_TOO_BIG_NONE,
	/* 7 text_request_cmd rows per hook, 2 of them corrected as above */
	.figures = {.compared = 2 * 5, .excepted = 2 * 2},
	.check = capture_check_memcached,
};
