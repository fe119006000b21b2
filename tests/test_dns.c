// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* DNS over UDP and TCP through the L7 engine: crafted messages, exact per-QTYPE stats. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include <CUnit/CUnit.h>

#include "capture_cmds.h"
#include "expect.h"
#include "harness.h"
#include "l7conv.h"
#include "pktbuild.h"
#include "pcap_replay.h"
#include "suites.h"
#include "loader/l7cfg.h"

#define EXPECT_DNS(c, cmd, rq, rs, er, mi) EXPECT_CMD_MISSES(c, WL_L7_DNS, cmd, rq, rs, er, mi)

enum { TC_BIT = 0x0200 };

/* A message: [2-byte length when tcp] header, question name/type/class, then `extra` bytes of
 * records (opaque: never read). Returns its length. */
static size_t dns_msg(uint8_t *out, int tcp, uint16_t id, uint16_t flags, const char *name,
		      uint16_t qtype, uint16_t ancount, size_t extra)
{
	uint8_t *p = out + (tcp ? 2 : 0), *q;
	size_t len;

	p[0] = id >> 8, p[1] = id;
	p[2] = flags >> 8, p[3] = flags;
	p[4] = 0, p[5] = name ? 1 : 0;
	p[6] = ancount >> 8, p[7] = ancount;
	p[8] = p[9] = 0;
	p[10] = 0, p[11] = 1; /* an EDNS OPT record */
	q = p + 12;
	if (name) {
		const char *s = name;

		while (*s) {
			const char *dot = strchr(s, '.');
			size_t l = dot ? (size_t)(dot - s) : strlen(s);

			*q++ = l;
			memcpy(q, s, l);
			q += l;
			s += l + (dot ? 1 : 0);
		}
		*q++ = 0;
		*q++ = qtype >> 8, *q++ = qtype;
		*q++ = 0, *q++ = 1;
	}
	memset(q, 0xc0, extra); /* records: opaque bytes */
	q += extra;
	len = q - out;
	if (tcp)
		out[0] = (len - 2) >> 8, out[1] = len - 2;
	return len;
}

static size_t query(uint8_t *out, int tcp, uint16_t id, const char *name, uint16_t qtype)
{
	return dns_msg(out, tcp, id, 0x0100, name, qtype, 0, 11);
}

static size_t answer(uint8_t *out, int tcp, uint16_t id, const char *name, uint16_t qtype,
		     uint16_t rcode, uint16_t ancount, uint16_t extra_flags)
{
	return dns_msg(out, tcp, id, 0x8180 | rcode | extra_flags, name, qtype, ancount,
		       ancount ? 16 * ancount + 11 : 11);
}

static void udp_start(struct conv *c, uint16_t cport)
{
	conv_init(c, 53);
	c->l4 = 17;
	c->cport = cport;
}

static void exchange(enum wl_hook h, struct conv *c, uint16_t id, const char *name, uint16_t qt,
		     uint16_t rcode, uint16_t an, uint16_t fl)
{
	uint8_t m[600];
	size_t n;

	n = query(m, c->l4 == 6, id, name, qt);
	conv_seg(h, c, 0, m, n, 0);
	n = answer(m, c->l4 == 6, id, name, qt, rcode, an, fl);
	conv_seg(h, c, 1, m, n, 0);
}

WL_TEST(dns, udp_types_and_rcodes)
{
	FOR_EACH_HOOK(h) {
		struct wl_cmd_stats st;
		struct conv c;
		uint8_t m[600];

		harness_reset();
		udp_start(&c, 40001);
		exchange(h, &c, 1, "example.com", 1, 0, 1, 0);		    /* A */
		exchange(h, &c, 2, "example.com", 28, 0, 2, 0);		    /* AAAA */
		exchange(h, &c, 3, "nope.example.com", 1, 3, 0, 0);	    /* A NXDOMAIN */
		exchange(h, &c, 4, "example.com", 15, 0, 0, 0);		    /* MX NODATA: miss */
		exchange(h, &c, 5, "example.com", 16, 2, 0, 0);		    /* TXT SERVFAIL */
		exchange(h, &c, 6, "example.com", 16, 0, 0, TC_BIT);	    /* TXT truncated */
		exchange(h, &c, 7, "example.com", 65, 0, 1, 0);		    /* HTTPS */
		exchange(h, &c, 8, "example.com", 257, 0, 1, 0);	    /* CAA */
		exchange(h, &c, 9, "example.com", 255, 5, 0, 0);	    /* ANY REFUSED */
		exchange(h, &c, 10, "example.com", 999, 0, 1, 0);	    /* no mnemonic: OTHER */
		exchange(h, &c, 11, "1.0.0.127.in-addr.arpa", 12, 0, 1, 0); /* PTR */
		exchange(h, &c, 12, "_sip._tcp.example.com", 33, 0, 1, 0);  /* SRV */
		exchange(h, &c, 13, "", 2, 0, 13, 0);			    /* NS of the root */
		/* no question at all */
		conv_seg(h, &c, 0, m, dns_msg(m, 0, 14, 0x0100, NULL, 0, 0, 11), 0);
		conv_seg(h, &c, 1, m, dns_msg(m, 0, 14, 0x8181, NULL, 0, 0, 11), 0);
		EXPECT_DNS(&c, "A", 2, 2, 1, 0);
		EXPECT_DNS(&c, "AAAA", 1, 1, 0, 0);
		EXPECT_DNS(&c, "MX", 1, 1, 0, 1);
		EXPECT_DNS(&c, "TXT", 2, 2, 1, 0);
		EXPECT_DNS(&c, "HTTPS", 1, 1, 0, 0);
		EXPECT_DNS(&c, "CAA", 1, 1, 0, 0);
		EXPECT_DNS(&c, "ANY", 1, 1, 1, 0);
		EXPECT_DNS(&c, "PTR", 1, 1, 0, 0);
		EXPECT_DNS(&c, "SRV", 1, 1, 0, 0);
		EXPECT_DNS(&c, "NS", 1, 1, 0, 0);
		EXPECT_DNS(&c, "OTHER", 2, 2, 1, 0);
		CU_ASSERT_EQUAL(conv_stats_entries(), 11);
		conv_stats(&c, WL_L7_DNS, "AAAA", &st);
		CU_ASSERT_EQUAL(st.request_bytes, query(m, 0, 2, "example.com", 28));
		CU_ASSERT_EQUAL(st.response_bytes, answer(m, 0, 2, "example.com", 28, 0, 2, 0));
		EXPECT_COUNTERS({"l7_malformed", 0}, {"l7_unmatched", 0});
	}
}

/* Answers come by id, in any order; the same id on two client ports are two queries. */
WL_TEST(dns, udp_matching)
{
	FOR_EACH_HOOK(h) {
		struct conv a, b;
		uint8_t m[600];

		harness_reset();
		udp_start(&a, 40001);
		udp_start(&b, 40002);
		conv_seg(h, &a, 0, m, query(m, 0, 100, "a.example", 1), 0);
		conv_seg(h, &a, 0, m, query(m, 0, 101, "a.example", 28), 0);
		conv_seg(h, &b, 0, m, query(m, 0, 100, "b.example", 15), 0);
		conv_seg(h, &a, 1, m, answer(m, 0, 101, "a.example", 28, 0, 1, 0), 0);
		conv_seg(h, &b, 1, m, answer(m, 0, 100, "b.example", 15, 3, 0, 0), 0);
		conv_seg(h, &a, 1, m, answer(m, 0, 100, "a.example", 1, 0, 1, 0), 0);
		/* a duplicate answer and one for an id never asked */
		conv_seg(h, &a, 1, m, answer(m, 0, 100, "a.example", 1, 0, 1, 0), 0);
		conv_seg(h, &a, 1, m, answer(m, 0, 555, "a.example", 1, 0, 1, 0), 0);
		EXPECT_DNS(&a, "A", 1, 1, 0, 0);
		EXPECT_DNS(&a, "AAAA", 1, 1, 0, 0);
		EXPECT_DNS(&a, "MX", 1, 1, 1, 0);
		EXPECT_COUNTER(l7_unmatched, 2);
	}
}

/* Sends a UDP datagram of the conversation (client or server side) as two IP fragments: the
 * first carries the UDP header and `first` payload bytes (8 + first a multiple of 8). */
static void send_fragmented(enum wl_hook h, const struct conv *c, int from_server,
			    const uint8_t *msg, size_t len, size_t first, uint32_t frag_id)
{
	static uint8_t f[4096];
	const char *cli = c->family == 6 ? CONV_CLI6 : CONV_CLI;
	const char *srv = c->family == 6 ? CONV_SRV6 : CONV_SRV;
	struct pkt_spec s = {.family = c->family,
			     .l4 = 17,
			     .payload = msg,
			     .payload_len = first,
			     .frag = true,
			     .frag_mf = true,
			     .frag_id = frag_id};
	struct pkt_layout lo;
	size_t n;

	s.src = from_server ? srv : cli;
	s.dst = from_server ? cli : srv;
	s.sport = from_server ? c->sport : c->cport;
	s.dport = from_server ? c->cport : c->sport;
	n = pkt_build_layout(&s, f, sizeof(f), &lo);
	f[lo.l4 + 4] = (8 + len) >> 8; /* the UDP length is the whole datagram's */
	f[lo.l4 + 5] = (uint8_t)(8 + len);
	harness_run(h, f, n, NULL);
	s.payload = msg + first;
	s.payload_len = len - first;
	s.frag_mf = false;
	s.frag_no_l4 = true;
	s.frag_offset8 = (8 + first) / 8;
	n = pkt_build(&s, f, sizeof(f));
	harness_run(h, f, n, NULL);
}

/* A response larger than the path MTU arrives in IP fragments (DNSSEC, big TXT/DNSKEY sets):
 * the first fragment holds the header and question, enough to match and classify it; it counts
 * with the datagram's length. IPv4 and IPv6; a first fragment of another UDP protocol is not
 * handed to a parser. */
WL_TEST(dns, udp_fragmented_response)
{
	FOR_EACH_HOOK(h) {
		for (int fam = 4; fam <= 6; fam += 2) {
			struct conv c;
			uint8_t m[2048];
			size_t n, big;

			harness_reset();
			udp_start(&c, 40100);
			c.family = fam;
			conv_seg(h, &c, 0, m, query(m, 0, 700, "big.example", 48), 0);
			big = answer(m, 0, 700, "big.example", 48, 0, 90, 0);
			send_fragmented(h, &c, 1, m, big, 1000, 77);
			conv_seg(h, &c, 0, m, query(m, 0, 701, "big.example", 16), 0);
			n = answer(m, 0, 701, "big.example", 16, 2, 70, 0); /* SERVFAIL */
			send_fragmented(h, &c, 1, m, n, 504, 78);
			EXPECT_DNS(&c, "DNSKEY", 1, 1, 0, 0);
			EXPECT_DNS(&c, "TXT", 1, 1, 1, 0);
			{
				struct wl_cmd_stats st;

				CU_ASSERT_EQUAL(conv_stats(&c, WL_L7_DNS, "DNSKEY", &st), 0);
				CU_ASSERT_EQUAL(st.response_bytes, big);
				CU_ASSERT_EQUAL(conv_stats(&c, WL_L7_DNS, "TXT", &st), 0);
				CU_ASSERT_EQUAL(st.response_bytes, n);
			}
			EXPECT_COUNTERS({"l7_unmatched", 0}, {"l7_malformed", 0},
					{"l7_packets", 4});
			/* memcached's port over UDP, fragmented: no parser sees it */
			udp_start(&c, 40101);
			c.sport = 11211;
			c.family = fam;
			send_fragmented(h, &c, 0, m, 1200, 1000, 79);
			EXPECT_COUNTER(l7_packets, 4);
			CU_ASSERT_EQUAL(conv_stats_entries(), 2);
		}
	}
}

/* TCP: several messages per segment, and a stream cut at every offset (length prefixes
 * included). */
WL_TEST(dns, tcp_every_offset)
{
	uint8_t qs[1024], rs[2048];
	size_t ql = 0, rl = 0;

	ql += query(qs + ql, 1, 1, "www.example.org", 1);
	ql += query(qs + ql, 1, 2, "www.example.org", 28);
	ql += query(qs + ql, 1, 3, "missing.example.org", 16);
	rl += answer(rs + rl, 1, 2, "www.example.org", 28, 0, 3, 0);
	rl += answer(rs + rl, 1, 1, "www.example.org", 1, 0, 2, 0);
	rl += answer(rs + rl, 1, 3, "missing.example.org", 16, 3, 0, 0);
	FOR_EACH_HOOK(h) {
		struct conv c;

		/* all in one segment each way */
		conv_start(h, &c, 53);
		conv_seg(h, &c, 0, qs, ql, 0);
		conv_seg(h, &c, 1, rs, rl, 0);
		EXPECT_DNS(&c, "A", 1, 1, 0, 0);
		EXPECT_DNS(&c, "AAAA", 1, 1, 0, 0);
		EXPECT_DNS(&c, "TXT", 1, 1, 1, 0);
		for (size_t cut = 1; cut < rl; cut++) {
			struct wl_cmd_stats st;

			conv_start(h, &c, 53);
			conv_split(h, &c, 0, qs, ql, cut);
			conv_split(h, &c, 1, rs, rl, cut);
			EXPECT_DNS(&c, "A", 1, 1, 0, 0);
			EXPECT_DNS(&c, "AAAA", 1, 1, 0, 0);
			EXPECT_DNS(&c, "TXT", 1, 1, 1, 0);
			conv_stats(&c, WL_L7_DNS, "A", &st);
			CU_ASSERT_EQUAL(st.request_bytes,
					query(qs + ql, 1, 1, "www.example.org", 1));
		}
		/* one byte per segment */
		conv_start(h, &c, 53);
		for (size_t i = 0; i < ql; i++)
			conv_seg(h, &c, 0, qs + i, 1, 0);
		for (size_t i = 0; i < rl; i++)
			conv_seg(h, &c, 1, rs + i, 1, 0);
		EXPECT_DNS(&c, "TXT", 1, 1, 1, 0);
		EXPECT_COUNTERS({"l7_malformed", 0}, {"l7_unmatched", 0});
	}
}

WL_TEST(dns, tcp_large_and_many)
{
	static uint8_t big[40000], many[64 * 64];
	size_t bl, ml = 0;

	FOR_EACH_HOOK(h) {
		struct conv c;
		uint8_t m[600];

		conv_start(h, &c, 53);
		/* an AXFR-sized answer across 1448-byte segments */
		conv_seg(h, &c, 0, m, query(m, 1, 9, "example.com", 252), 0);
		bl = dns_msg(big, 1, 9, 0x8400, "example.com", 252, 1000, 30000);
		for (size_t off = 0; off < bl; off += 1448)
			conv_seg(h, &c, 1, big + off, bl - off < 1448 ? bl - off : 1448, 0);
		/* 40 queries in one segment, answered in one */
		ml = 0;
		for (int i = 0; i < 40; i++)
			ml += query(many + ml, 1, 1000 + i, "q.example", 1);
		conv_seg(h, &c, 0, many, ml, 0);
		ml = 0;
		for (int i = 39; i >= 0; i--)
			ml += answer(many + ml, 1, 1000 + i, "q.example", 1, 0, 0, 0);
		conv_seg(h, &c, 1, many, ml, 0);
		EXPECT_DNS(&c, "AXFR", 1, 1, 0, 0);
		EXPECT_DNS(&c, "A", 40, 40, 0, 40);
		EXPECT_COUNTER(l7_malformed, 0);
	}
}

/* TCP joined mid-stream and after a gap: the next message start is found again. */
WL_TEST(dns, tcp_resync)
{
	FOR_EACH_HOOK(h) {
		struct conv c;
		uint8_t m[600];
		size_t n;

		harness_reset();
		conv_init(&c, 53); /* no handshake */
		n = query(m, 1, 7, "mid.example", 1);
		conv_seg(h, &c, 0, m + 5, n - 5, 0); /* tail of a query */
		conv_seg(h, &c, 0, m, n, 0);
		n = answer(m, 1, 7, "mid.example", 1, 3, 0, 0);
		conv_seg(h, &c, 1, m, n, 0);
		c.cseq += 100; /* lost bytes */
		n = query(m, 1, 8, "gap.example", 28);
		conv_seg(h, &c, 0, m + 3, n - 3, 0);
		conv_seg(h, &c, 0, m, n, 0);
		n = answer(m, 1, 8, "gap.example", 28, 0, 1, 0);
		conv_seg(h, &c, 1, m, n, 0);
		EXPECT_DNS(&c, "A", 1, 1, 1, 0);
		EXPECT_DNS(&c, "AAAA", 1, 1, 0, 0);
		EXPECT_COUNTERS({"l7_resync_skip", 2}, {"l7_gap", 1}, {"l7_malformed", 0});
	}
}

WL_TEST(dns, malformed)
{
	FOR_EACH_HOOK(h) {
		for (int k = 0; k < 8; k++) {
			struct conv c;
			uint8_t m[600];
			size_t n;
			int tcp = k >= 5;

			harness_reset();
			if (tcp) {
				conv_init(&c, 53);
				conv_handshake(h, &c);
			} else {
				udp_start(&c, 40001);
			}
			n = query(m, tcp, 1, "bad.example", 1);
			switch (k) {
			case 0: /* datagram shorter than its question */
				n = 20;
				break;
			case 1: /* a compression pointer in the question */
				m[12] = 0xc0;
				break;
			case 2: /* a QNAME longer than 255 bytes */
				n = dns_msg(m, 0, 1, 0x0100,
					    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
					    "aaaaaaaaa."
					    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
					    "aaaaaaaaa."
					    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
					    "aaaaaaaaa."
					    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
					    "aaaaaaaaa."
					    "aaaa",
					    1, 0, 0);
				break;
			case 3: /* QR set on the way to the server */
				m[2] |= 0x80;
				break;
			case 4: /* shorter than a header */
				n = 7;
				break;
			case 5: /* TCP length below a header */
				m[0] = 0, m[1] = 5;
				break;
			case 6: /* TCP length shorter than the question */
				m[0] = 0, m[1] = 14;
				break;
			case 7: /* garbage */
				memset(m, 0xff, n);
				break;
			}
			conv_seg(h, &c, 0, m, n, 0);
			EXPECT_COUNTER(l7_malformed, 1);
			if (harness_counters().l7_malformed != 1)
				fprintf(stderr, "  case %d\n", k);
			CU_ASSERT_EQUAL(conv_stats_entries(), 0);
			/* the next message is parsed */
			exchange(h, &c, 2, "good.example", 28, 0, 1, 0);
			EXPECT_DNS(&c, "AAAA", 1, 1, 0, 0);
		}
	}
}

WL_TEST(dns, sniffed_tcp_port_and_ipv6)
{
	FOR_EACH_HOOK(h) {
		struct conv c;

		conv_start6(h, &c, 5353);
		exchange(h, &c, 77, "v6.example", 28, 0, 1, 0);
		exchange(h, &c, 78, "v6.example", 1, 0, 1, 0);
		EXPECT_DNS(&c, "AAAA", 1, 1, 0, 0);
		EXPECT_DNS(&c, "A", 1, 1, 0, 0);
	}
}

/*
 * What wirelens cannot see in the shared captures, checked by hand frame by frame:
 *  - (none lost to IP fragmentation: a fragmented response is parsed from its first fragment,
 *    header and question, and counted with the datagram's UDP length: dns_fragmented.pcap has
 *    4 IPv4 trains (frames 2, 11, 16, 41) and 3 IPv6 trains (5, 8, 38), ipv6-fragmented-dns.pcap
 *    1 IPv6 train (6-8; frame 4 is a stray last fragment));
 *  - dns.pcap: frames 4-5 are PPPoE in QinQ (not parsed by the L2-L4 path): one A query and
 *    its response; frame 1 answers a query sent before the capture began (l7_unmatched).
 */

static int rcode_error(const char *rcode)
{
	return strcmp(rcode, "NOERROR") != 0;
}

/* tshark's own figures agree: every query has one QTYPE and one transport. */
static void capture_check_dns(const struct capture_file *f)
{
	capture_expect(f, "query_qtype rows (tshark) against query_transport rows",
		       capture_oracle(f, "query_qtype", NULL),
		       capture_oracle(f, "query_transport", NULL));
}

/*
 * The real captures against EXPECTED.tsv (tshark): per QTYPE, query_qtype rows equal the
 * requests; query_transport rows summed equal all requests; response_rcode rows summed equal
 * the responses and the non-NOERROR rows the errors, but for what wirelens cannot see (above).
 */
const struct capture_spec dns_captures = {
	.protocol = {.name = "dns", .l7_proto = WL_L7_DNS, .files = 6},
	.commands = {.metrics = {"query_qtype"}, .listed = 1},
	.totals = {{CAPTURE_REQUESTS, "query_transport"},
		   {CAPTURE_RESPONSES, "response_rcode"},
		   {CAPTURE_ERRORS, "response_rcode", NULL, rcode_error}},
	.counters = {"l7_unmatched", "l7_malformed"},
	.too_big = CAPTURE_TOO_BIG_COUNTED,
	.figures = {.compared = 64, .excepted = 8},
	.check = capture_check_dns,
};
