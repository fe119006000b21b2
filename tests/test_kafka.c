// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Kafka through the L7 engine: crafted segments, exact per-command stats. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <CUnit/CUnit.h>

#include "capture_cmds.h"
#include "expect.h"
#include "harness.h"
#include "l7conv.h"
#include "suites.h"

#define PORT 9092

static void be16(uint8_t *p, uint16_t v)
{
	p[0] = v >> 8;
	p[1] = v;
}

static void be32(uint8_t *p, uint32_t v)
{
	p[0] = v >> 24;
	p[1] = v >> 16;
	p[2] = v >> 8;
	p[3] = v;
}

/* A request: header v1 (client_id "wl") then body_len bytes of body. Returns its length. */
static size_t kreq(uint8_t *out, uint16_t api, uint16_t ver, uint32_t corr, size_t body_len)
{
	size_t n = 4 + 2 + 2 + 4 + 2 + 2 + body_len;

	be32(out, n - 4);
	be16(out + 4, api);
	be16(out + 6, ver);
	be32(out + 8, corr);
	be16(out + 12, 2);
	memcpy(out + 14, "wl", 2);
	memset(out + 16, 0x5a, body_len);
	return n;
}

/*
 * A response: correlation id, a tagged-fields byte when flexible, then `throttle` (0 or 4)
 * bytes of throttle_time_ms, error_code, and pad bytes of the rest of the body.
 */
static size_t kresp(uint8_t *out, uint32_t corr, int flexible, int throttle, uint16_t err,
		    size_t pad)
{
	size_t n = 8 + !!flexible + throttle + 2 + pad, at = 8;

	be32(out, n - 4);
	be32(out + 4, corr);
	if (flexible)
		out[at++] = 0;
	memset(out + at, 0, throttle);
	at += throttle;
	be16(out + at, err);
	memset(out + at + 2, 0x11, pad);
	return n;
}

static int seg(enum wl_hook h, struct conv *c, int from_server, const void *d, size_t n)
{
	return conv_seg(h, c, from_server, d, n, 0);
}

#define EXPECT(c, cmd, rq, rs, er) EXPECT_CMD_STATS(c, WL_L7_KAFKA, cmd, rq, rs, er)
#define EXPECT_ONLY(c, ...)	   EXPECT_CMDS_ONLY(c, WL_L7_KAFKA, __VA_ARGS__)

#define EXPECT_BYTES(c, cmd, rqb, rsb) EXPECT_CMD_BYTES(c, WL_L7_KAFKA, cmd, rqb, rsb)

WL_TEST(kafka, request_types)
{
	uint8_t q[256], r[256];

	FOR_EACH_HOOK(h) {
		struct conv c;
		size_t ql, rl;

		conv_start(h, &c, PORT);
		ql = kreq(q, 18, 0, 1, 0); /* ApiVersions v0 */
		seg(h, &c, 0, q, ql);
		rl = kresp(r, 1, 0, 0, 0, 40);
		seg(h, &c, 1, r, rl);
		EXPECT_BYTES(&c, "ApiVersions", ql, rl);
		seg(h, &c, 0, q, kreq(q, 3, 2, 2, 30)); /* Metadata v2 */
		seg(h, &c, 1, r, kresp(r, 2, 0, 0, 0, 50));
		seg(h, &c, 0, q, kreq(q, 0, 3, 3, 60)); /* Produce v3 */
		seg(h, &c, 1, r, kresp(r, 3, 0, 0, 0, 20));
		seg(h, &c, 0, q, kreq(q, 1, 11, 4, 60)); /* Fetch v11 */
		seg(h, &c, 1, r, kresp(r, 4, 0, 4, 0, 20));
		seg(h, &c, 0, q, kreq(q, 22, 4, 5, 10)); /* InitProducerId v4 (flexible) */
		seg(h, &c, 1, r, kresp(r, 5, 1, 4, 0, 12));
		seg(h, &c, 0, q, kreq(q, 18, 3, 6, 10)); /* ApiVersions v3: response header v0 */
		seg(h, &c, 1, r, kresp(r, 6, 0, 0, 0, 40));
		seg(h, &c, 0, q, kreq(q, 60, 0, 7, 3)); /* DescribeCluster */
		seg(h, &c, 1, r, kresp(r, 7, 1, 4, 0, 3));
		seg(h, &c, 0, q, kreq(q, 45, 0, 8, 3)); /* name too long: OTHER */
		seg(h, &c, 1, r, kresp(r, 8, 1, 4, 0, 3));
		EXPECT_ONLY(&c, {"ApiVersions", 2, 2, 0}, {"Metadata", 1, 1, 0},
			    {"Produce", 1, 1, 0}, {"Fetch", 1, 1, 0}, {"InitProducerId", 1, 1, 0},
			    {"DescribeCluster", 1, 1, 0}, {"OTHER", 1, 1, 0});
		EXPECT_COUNTERS({"l7_unmatched", 0}, {"l7_malformed", 0}, {"l7_fifo_overflow", 0});
	}
}

/* error_code at its place for each API/version: first, after throttle, after the tag byte. */
WL_TEST(kafka, errors)
{
	static const struct {
		uint16_t api, ver;
		int flexible, throttle;
		const char *name;
		int counted; /* the API has a top-level error_code at a fixed place */
	} cases[] = {
		{18, 0, 0, 0, "ApiVersions", 1},
		{18, 3, 0, 0, "ApiVersions", 1},
		{10, 0, 0, 0, "FindCoordinator", 1},
		{10, 1, 0, 4, "FindCoordinator", 1},
		{10, 3, 1, 4, "FindCoordinator", 1},
		{11, 1, 0, 0, "JoinGroup", 1},
		{11, 7, 1, 4, "JoinGroup", 1},
		{12, 0, 0, 0, "Heartbeat", 1},
		{12, 4, 1, 4, "Heartbeat", 1},
		{13, 2, 0, 4, "LeaveGroup", 1},
		{14, 5, 1, 4, "SyncGroup", 1},
		{16, 0, 0, 0, "ListGroups", 1},
		{17, 1, 0, 0, "SaslHandshake", 1},
		{36, 2, 1, 0, "SaslAuthenticate", 1},
		{1, 7, 0, 4, "Fetch", 1},
		{1, 13, 1, 4, "Fetch", 1},
		{26, 3, 1, 4, "EndTxn", 1},
		{3, 2, 0, 0, "Metadata", 0},
		{0, 3, 0, 0, "Produce", 0},
		{1, 4, 0, 0, "Fetch", 0},
		{10, 4, 1, 4, "FindCoordinator", 0},
	};
	uint8_t q[128], r[128];

	FOR_EACH_HOOK(h) {
		for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
			struct conv c;

			conv_start(h, &c, PORT);
			seg(h, &c, 0, q, kreq(q, cases[i].api, cases[i].ver, 100 + i, 8));
			seg(h, &c, 1, r,
			    kresp(r, 100 + i, cases[i].flexible, cases[i].throttle, 15, 6));
			/* and a success, to show the place is right both ways */
			seg(h, &c, 0, q, kreq(q, cases[i].api, cases[i].ver, 200 + i, 8));
			seg(h, &c, 1, r,
			    kresp(r, 200 + i, cases[i].flexible, cases[i].throttle, 0, 6));
			EXPECT(&c, cases[i].name, 2, 2, cases[i].counted ? 1 : 0);
			CU_ASSERT_EQUAL(harness_counters().l7_malformed, 0);
		}
	}
}

/* Responses come back by correlation id, in any order. */
WL_TEST(kafka, out_of_order)
{
	uint8_t q[512], r[512];

	FOR_EACH_HOOK(h) {
		struct conv c;
		size_t ql = 0, rl = 0;

		conv_start(h, &c, PORT);
		ql += kreq(q + ql, 12, 0, 1, 10); /* Heartbeat */
		ql += kreq(q + ql, 18, 0, 2, 0);  /* ApiVersions */
		ql += kreq(q + ql, 12, 0, 3, 10); /* Heartbeat */
		seg(h, &c, 0, q, ql);
		rl += kresp(r + rl, 2, 0, 0, 35, 0); /* ApiVersions error */
		rl += kresp(r + rl, 3, 0, 0, 27, 0); /* Heartbeat error */
		rl += kresp(r + rl, 1, 0, 0, 0, 0);
		seg(h, &c, 1, r, rl);
		EXPECT(&c, "Heartbeat", 2, 2, 1);
		EXPECT(&c, "ApiVersions", 1, 1, 1);
		CU_ASSERT_EQUAL(harness_counters().l7_unmatched, 0);
	}
}

WL_TEST(kafka, many_per_segment)
{
	uint8_t q[32 * 40], r[32 * 40];

	FOR_EACH_HOOK(h) {
		struct conv c;
		size_t ql = 0, rl = 0;

		conv_start(h, &c, PORT);
		for (int i = 0; i < 32; i++) {
			ql += kreq(q + ql, 0, 3, 1000 + i, 20);
			rl += kresp(r + rl, 1000 + i, 0, 0, 0, 20);
		}
		seg(h, &c, 0, q, ql);
		seg(h, &c, 1, r, rl);
		EXPECT(&c, "Produce", 32, 32, 0);
		EXPECT_BYTES(&c, "Produce", ql, rl);
	}
}

static void split_check(const struct conv *c, size_t ql, size_t rl, int pieces)
{
	EXPECT(c, "JoinGroup", 1, 1, 1);
	if (pieces == 2)
		EXPECT_BYTES(c, "JoinGroup", ql, rl);
}

/* Every cut of a request (header and body) and of a response, and every pair of cuts inside
 * the response's first 15 bytes (up to the error_code). */
WL_TEST(kafka, split_every_offset)
{
	uint8_t q[64], r[64];
	size_t ql = kreq(q, 11, 7, 77, 20), rl = kresp(r, 77, 1, 4, 79, 10);

	FOR_EACH_HOOK(h)
		conv_split_every(h, PORT, q, ql, r, rl, 16, split_check);
}

WL_TEST(kafka, large_bodies)
{
	size_t big = 20000;
	uint8_t *q = malloc(big + 64), *r = malloc(big + 64);
	size_t ql = kreq(q, 0, 9, 5, big), rl = kresp(r, 5, 1, 0, 0, big);

	FOR_EACH_HOOK(h) {
		struct conv c;

		conv_start(h, &c, PORT);
		for (size_t off = 0; off < ql; off += 1448)
			seg(h, &c, 0, q + off, ql - off < 1448 ? ql - off : 1448);
		for (size_t off = 0; off < rl; off += 1000)
			seg(h, &c, 1, r + off, rl - off < 1000 ? rl - off : 1000);
		/* a message ending mid-segment, the next starting there */
		{
			uint8_t two[128];
			size_t n = kreq(two, 3, 2, 6, 5);

			n += kreq(two + n, 3, 2, 7, 5);
			seg(h, &c, 0, two, n);
			n = kresp(two, 6, 0, 0, 0, 3);
			n += kresp(two + n, 7, 0, 0, 0, 3);
			seg(h, &c, 1, two, n);
		}
		EXPECT(&c, "Produce", 1, 1, 0);
		EXPECT_BYTES(&c, "Produce", ql, rl);
		EXPECT(&c, "Metadata", 2, 2, 0);
	}
	free(q);
	free(r);
}

WL_TEST(kafka, retransmit_gap_resync)
{
	uint8_t q[64], r[64];

	FOR_EACH_HOOK(h) {
		struct conv c;
		uint32_t saved;
		size_t ql;

		conv_start(h, &c, PORT);
		saved = c.cseq;
		ql = kreq(q, 12, 0, 1, 10);
		seg(h, &c, 0, q, ql);
		c.cseq = saved; /* the same segment again */
		seg(h, &c, 0, q, ql);
		seg(h, &c, 1, r, kresp(r, 1, 0, 0, 0, 0));
		c.cseq += 100;		      /* 100 bytes lost */
		seg(h, &c, 0, q + 5, ql - 5); /* tail of a lost request: skipped */
		seg(h, &c, 0, q, kreq(q, 12, 0, 2, 10));
		c.sseq += 50;				    /* a lost response */
		seg(h, &c, 1, r + 3, 5);		    /* tail: skipped */
		seg(h, &c, 1, r, kresp(r, 99, 0, 0, 0, 0)); /* not pending: skipped */
		seg(h, &c, 1, r, kresp(r, 2, 0, 0, 27, 0)); /* pending: resynchronised */
		EXPECT(&c, "Heartbeat", 2, 2, 1);
		EXPECT_COUNTERS({"l7_retransmit", 1}, {"l7_gap", 2}, {"l7_resync_skip", 3},
				{"l7_unmatched", 0});
	}
}

/* Joined mid-stream (no SYN): the first segment starting a request starts the parse. */
WL_TEST(kafka, mid_stream)
{
	uint8_t q[64], r[64];

	FOR_EACH_HOOK(h) {
		struct conv c;

		harness_reset();
		conv_init(&c, PORT);
		seg(h, &c, 1, r, kresp(r, 9, 0, 0, 0, 4)); /* answer to a request never seen */
		seg(h, &c, 0, q, kreq(q, 8, 8, 10, 30));
		seg(h, &c, 1, r, kresp(r, 10, 1, 4, 0, 4));
		EXPECT(&c, "OffsetCommit", 1, 1, 0);
		CU_ASSERT_EQUAL(harness_counters().l7_resync_skip, 1);
		CU_ASSERT_EQUAL(conv_stats_entries(), 1);
	}
}

WL_TEST(kafka, unmatched)
{
	uint8_t r[64];

	FOR_EACH_HOOK(h) {
		struct conv c;

		conv_start(h, &c, PORT);
		seg(h, &c, 1, r, kresp(r, 4242, 0, 0, 0, 4));
		CU_ASSERT_EQUAL(harness_counters().l7_unmatched, 1);
		CU_ASSERT_EQUAL(conv_stats_entries(), 0);
	}
}

WL_TEST(kafka, malformed)
{
	static const uint8_t bad[][16] = {
		{0xff, 0xff, 0xff, 0xff, 0, 18, 0, 0, 0, 0, 0, 1, 0, 0}, /* length -1 */
		{0x80, 0, 0, 0, 0, 18, 0, 0, 0, 0, 0, 1, 0, 0},		 /* length INT32_MIN */
		{0, 0, 0, 0, 0, 18, 0, 0, 0, 0, 0, 1, 0, 0},		 /* length 0 */
		{0x7f, 0xff, 0xff, 0xff, 0, 18, 0, 0, 0, 0, 0, 1, 0, 0}, /* absurd length */
		{0, 0, 0, 4, 0, 18, 0, 0, 0, 0, 0, 1, 0, 0},		 /* shorter than a header */
		{0, 0, 0, 10, 0x01, 0x2c, 0, 0, 0, 0, 0, 1, 0, 0},	 /* api_key 300 */
		{0, 0, 0, 10, 0xff, 0xff, 0, 0, 0, 0, 0, 1, 0, 0},	 /* api_key -1 */
		{0, 0, 0, 10, 0, 3, 0x7f, 0, 0, 0, 0, 1, 0, 0},		 /* version 32512 */
	};
	static const uint8_t bad_resp[][8] = {
		{0xff, 0xff, 0xff, 0xfe, 0, 0, 0, 1}, /* negative */
		{0, 0, 0, 0, 0, 0, 0, 1},	      /* zero: no room for the correlation id */
		{0x7f, 0, 0, 0, 0, 0, 0, 1},	      /* absurd */
	};
	uint8_t q[64], r[64];

	FOR_EACH_HOOK(h) {
		for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
			struct conv c;

			conv_start(h, &c, PORT);
			seg(h, &c, 0, bad[i], 14);
			CU_ASSERT_EQUAL(harness_counters().l7_malformed, 1);
			CU_ASSERT_EQUAL(conv_stats_entries(), 0);
			/* recovers at the next segment starting a request */
			seg(h, &c, 0, q, kreq(q, 12, 0, 1, 10));
			seg(h, &c, 1, r, kresp(r, 1, 0, 0, 0, 0));
			EXPECT(&c, "Heartbeat", 1, 1, 0);
		}
		for (size_t i = 0; i < sizeof(bad_resp) / sizeof(bad_resp[0]); i++) {
			struct conv c;

			conv_start(h, &c, PORT);
			seg(h, &c, 0, q, kreq(q, 12, 0, 1, 10));
			seg(h, &c, 1, bad_resp[i], 8);
			CU_ASSERT_EQUAL(harness_counters().l7_malformed, 1);
			seg(h, &c, 1, r, kresp(r, 1, 0, 0, 0, 0));
			EXPECT(&c, "Heartbeat", 1, 1, 0);
		}
		/* garbage after a valid request, in the same segment */
		{
			struct conv c;
			size_t n;

			conv_start(h, &c, PORT);
			n = kreq(q, 12, 0, 1, 10);
			memcpy(q + n, "\xff\xff\xff\xff garbage", 12);
			seg(h, &c, 0, q, n + 12);
			CU_ASSERT_EQUAL(harness_counters().l7_malformed, 1);
			EXPECT(&c, "Heartbeat", 1, 0, 0);
		}
	}
}

WL_TEST(kafka, sniffed_port)
{
	uint8_t q[64], r[64];

	FOR_EACH_HOOK(h) {
		struct conv c;

		conv_start(h, &c, 39092);
		seg(h, &c, 0, q, kreq(q, 18, 3, 1, 8));
		seg(h, &c, 1, r, kresp(r, 1, 0, 0, 0, 30));
		EXPECT(&c, "ApiVersions", 1, 1, 0);
	}
}

/* Server ports of the captures beyond 9092 (oracle.sh's manifest): what a user would set with
 * `wirelens ports set kafka=...`. */
static const struct capture_port capture_ports[] = {
	{"kafka/11-join-group-v7.pcap", 36333},
};

/* The real captures against EXPECTED.tsv (tshark): request_api per API, the requests total,
 * nothing reported that tshark did not see. request_api_version rows are not compared: wirelens
 * keeps no per-version stats (their sum per API is request_api, which is). The oracle has no
 * Kafka error metric. */
const struct capture_spec kafka_captures = {
	.protocol = {.name = "kafka", .l7_proto = WL_L7_KAFKA, .files = 5},
	.commands = {.metrics = {"request_api"}, .listed = 1},
	.totals = {{CAPTURE_REQUESTS, "requests"}},
	.counters = {"l7_malformed"},
	CAPTURE_PORTS(capture_ports),
	.figures = {.compared = 30},
};
