// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * L7 rules in the kernel (parse/l7_block.h): a request naming a denied command is dropped, its
 * connection blocked both ways, reject turns packets into RSTs; crafted conversations through
 * test_run, exact verdicts, counters, per-command and per-rule stats. The rules are written
 * straight into the maps here (the layout of maps/wirelens.h, section Filter).
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <CUnit/CUnit.h>

#include "harness.h"
#include "l7conv.h"
#include "pktbuild.h"
#include "suites.h"
#include "wl_xdp.skel.h"
#include "loader/blocked.h"

#define REDIS_PORT	 6379
#define VERDICT_DROP(h)	 ((h) == HOOK_XDP ? 1 /* XDP_DROP */ : 2 /* TC_ACT_SHOT */)
#define VERDICT_REPLY(h) ((h) == HOOK_XDP ? 3 /* XDP_TX */ : 7 /* TC_ACT_REDIRECT */)

static int map_fd(const char *name)
{
	return bpf_map__fd(bpf_object__find_map_by_name(harness()->xdp->obj, name));
}

/* ---- rules, written as the loader would: slot, by-command index, active set ---- */

static void filter_set(int has_l7)
{
	struct wl_filter_cfg cfg = {.gen = 0, .policy = WL_ACT_ALLOW, .has_l7 = has_l7, .rules = 8};
	__u32 zero = 0;

	CU_ASSERT_EQUAL_FATAL(bpf_map_update_elem(map_fd("wl_filter_cfg"), &zero, &cfg, 0), 0);
}

static void filter_clear(void)
{
	filter_set(0);
	wl_map_clear(map_fd("wl_rules"));
	wl_map_clear(map_fd("wl_rule_stats"));
	wl_map_clear(map_fd("wl_l7_rules"));
	wl_map_clear(map_fd("wl_blocked"));
	wl_map_clear(map_fd("wl_aux"));
}

static __u16 cmd_id(__u8 proto, const char *name)
{
	struct wl_cmd_name_key k = {.l7_proto = proto};
	struct wl_cmd_name_val v;

	memcpy(k.command, name, strnlen(name, WL_CMD_LEN - 1));
	if (bpf_map_lookup_elem(map_fd("wl_cmd_names"), &k, &v)) {
		fprintf(stderr, "\n  no command id for %s\n", name);
		CU_FAIL_FATAL("command name unknown");
	}
	return v.id;
}

/* Rule in slot of set 0; it is appended to the by-command list of (proto, cmd). */
static void rule_put(__u16 slot, struct wl_rule r, const char *cmd)
{
	struct wl_l7_rule_key k = {.gen = 0, .l7_proto = r.l7_proto};
	struct wl_l7_rule_val v = {0};
	__u32 idx = slot;

	r.fields |= WL_RF_L7;
	if (!r.id)
		r.id = 100 + slot;
	CU_ASSERT_EQUAL_FATAL(bpf_map_update_elem(map_fd("wl_rules"), &idx, &r, 0), 0);
	k.cmd_id = cmd_id(r.l7_proto, cmd);
	bpf_map_lookup_elem(map_fd("wl_l7_rules"), &k, &v);
	v.slot[v.count++] = slot;
	CU_ASSERT_EQUAL_FATAL(bpf_map_update_elem(map_fd("wl_l7_rules"), &k, &v, 0), 0);
}

static void rule_simple(__u16 slot, __u8 proto, const char *cmd, __u8 action)
{
	struct wl_rule r = {.action = action, .l7_proto = proto, .dirs = WL_RULE_IN | WL_RULE_OUT};

	rule_put(slot, r, cmd);
}

static struct wl_rule_stats rule_stats(__u16 slot)
{
	int ncpu = libbpf_num_possible_cpus();
	struct wl_rule_stats *per = calloc(ncpu, sizeof(*per)), sum = {0};
	__u32 idx = slot;

	if (per && !bpf_map_lookup_elem(map_fd("wl_rule_stats"), &idx, per))
		for (int i = 0; i < ncpu; i++) {
			sum.packets += per[i].packets;
			sum.bytes += per[i].bytes;
			sum.connections += per[i].connections;
		}
	free(per);
	return sum;
}

static int blocked_entries(void)
{
	struct wl_blocked_key k, next;
	int n = 0, fd = map_fd("wl_blocked");

	if (bpf_map_get_next_key(fd, NULL, &k))
		return 0;
	do {
		n++;
	} while (!bpf_map_get_next_key(fd, &k, &next) && (k = next, 1));
	return n;
}

/* The Ethernet frame conv_seg would send for this payload (for byte counts). */
static size_t frame_len(const struct conv *c, size_t payload)
{
	return 14 + (c->family == 6 ? 40 : 20) + 20 + payload;
}

#define EXPECT_COUNTERS(e_l7d, e_blk, e_den, e_rst)                                                \
	do {                                                                                       \
		struct wl_counters k_ = harness_counters();                                        \
		CU_ASSERT_EQUAL(k_.l7_denied, (e_l7d));                                            \
		CU_ASSERT_EQUAL(k_.conn_blocked, (e_blk));                                         \
		CU_ASSERT_EQUAL(k_.denied, (e_den));                                               \
		CU_ASSERT_EQUAL(k_.rst_sent, (e_rst));                                             \
		CU_ASSERT_EQUAL(k_.seen, k_.accounted + k_.denied);                                \
		if (k_.l7_denied != (e_l7d) || k_.conn_blocked != (e_blk) ||                       \
		    k_.denied != (e_den) || k_.rst_sent != (e_rst))                                \
			fprintf(stderr,                                                            \
				"\n  [%s:%d] l7_denied %llu conn_blocked %llu denied %llu rst "    \
				"%llu\n",                                                          \
				__FILE__, __LINE__, (unsigned long long)k_.l7_denied,              \
				(unsigned long long)k_.conn_blocked,                               \
				(unsigned long long)k_.denied, (unsigned long long)k_.rst_sent);   \
	} while (0)

static int stats_absent(const struct conv *c, __u8 proto, const char *cmd)
{
	struct wl_cmd_stats st;

	return conv_stats(c, proto, cmd, &st) != 0 || st.requests == 0;
}

static void setup_case(void)
{
	harness_reset();
	filter_clear();
}

/* ---- Redis ---- */

static const char set_req[] = "*3\r\n$3\r\nSET\r\n$3\r\nkey\r\n$5\r\nvalue\r\n";
static const char get_req[] = "*2\r\n$3\r\nGET\r\n$3\r\nkey\r\n";
static const char flushall_req[] = "*1\r\n$8\r\nFLUSHALL\r\n";

/* Denied FLUSHALL: earlier requests counted, the denied packet dropped with the request before
 * it in the same packet uncounted, then both directions dropped, retransmission too; another
 * connection goes on. */
WL_TEST(l7filter, redis_deny)
{
	char pipelined[128];

	snprintf(pipelined, sizeof(pipelined), "%s%s", get_req, flushall_req);
	FOR_EACH_HOOK(h) {
		struct conv c, other;
		struct wl_rule_stats rs;
		int v;

		setup_case();
		rule_simple(3, WL_L7_REDIS, "FLUSHALL", WL_ACT_DENY);
		filter_set(1);
		conv_init(&c, REDIS_PORT);
		conv_handshake(h, &c);
		CU_ASSERT_EQUAL(conv_req(h, &c, set_req), VERDICT_PASS(h));
		CU_ASSERT_EQUAL(conv_resp(h, &c, "+OK\r\n"), VERDICT_PASS(h));
		/* GET and FLUSHALL in one segment: the server would get neither */
		v = conv_req(h, &c, pipelined);
		CU_ASSERT_EQUAL(v, VERDICT_DROP(h));
		EXPECT_CMD_STATS(&c, WL_L7_REDIS, "SET", 1, 1, 0);
		CU_ASSERT_TRUE(stats_absent(&c, WL_L7_REDIS, "GET"));
		CU_ASSERT_TRUE(stats_absent(&c, WL_L7_REDIS, "FLUSHALL"));
		EXPECT_COUNTERS(1, 0, 0, 0);
		CU_ASSERT_EQUAL(blocked_entries(), 2);
		rs = rule_stats(3);
		CU_ASSERT_EQUAL(rs.packets, 1);
		CU_ASSERT_EQUAL(rs.bytes, frame_len(&c, strlen(pipelined)));
		CU_ASSERT_EQUAL(rs.connections, 1);

		/* from now on: both directions, a retransmission of the denied segment, a bare ACK
		 */
		CU_ASSERT_EQUAL(conv_resp(h, &c, "$5\r\nvalue\r\n"), VERDICT_DROP(h));
		CU_ASSERT_EQUAL(conv_req(h, &c, get_req), VERDICT_DROP(h));
		CU_ASSERT_EQUAL(conv_reseg(h, &c, 0, pipelined, strlen(pipelined),
					   strlen(pipelined) + strlen(get_req)),
				VERDICT_DROP(h));
		CU_ASSERT_EQUAL(conv_seg(h, &c, 1, NULL, 0, 0x10), VERDICT_DROP(h));
		EXPECT_COUNTERS(1, 4, 4, 0);
		rs = rule_stats(3);
		CU_ASSERT_EQUAL(rs.packets, 5);
		CU_ASSERT_EQUAL(rs.connections, 1);
		EXPECT_CMD_STATS(&c, WL_L7_REDIS, "SET", 1, 1, 0);
		CU_ASSERT_TRUE(stats_absent(&c, WL_L7_REDIS, "GET"));

		/* another connection to the same server: untouched */
		conv_init(&other, REDIS_PORT);
		other.cport = CONV_CPORT + 1;
		conv_handshake(h, &other);
		CU_ASSERT_EQUAL(conv_req(h, &other, get_req), VERDICT_PASS(h));
		CU_ASSERT_EQUAL(conv_resp(h, &other, "$5\r\nvalue\r\n"), VERDICT_PASS(h));
		EXPECT_CMD_STATS(&other, WL_L7_REDIS, "GET", 1, 1, 0);
		EXPECT_COUNTERS(1, 4, 4, 0);

		/* a RST ends the block: it goes on, and so does what follows */
		CU_ASSERT_EQUAL(conv_seg(h, &c, 0, NULL, 0, 0x04), VERDICT_PASS(h));
		CU_ASSERT_EQUAL(blocked_entries(), 0);
		filter_clear();
	}
}

/* An allow rule of higher priority (first in the list) exempts a client by prefix; a client
 * outside the prefix is denied. */
WL_TEST(l7filter, redis_allow_scope)
{
	static const struct {
		const char *pfx;
		int len;
		int allowed;
	} cases[] = {
		{"198.18.0.0", 31, 1}, /* .0-.1: the client */
		{"198.18.0.2", 31, 0}, /* .2-.3: not the client */
		{"198.18.0.1", 32, 1},
	};

	FOR_EACH_HOOK(h) {
		for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
			struct wl_rule allow = {.action = WL_ACT_ALLOW,
						.l7_proto = WL_L7_REDIS,
						.priority = 10,
						.fields = WL_RF_SRC,
						.l3_proto = 0x0800,
						.src_len = cases[i].len};
			struct conv c;

			setup_case();
			inet_pton(AF_INET, cases[i].pfx, allow.src_addr);
			rule_put(0, allow, "FLUSHALL");
			rule_simple(1, WL_L7_REDIS, "FLUSHALL", WL_ACT_DENY);
			filter_set(1);
			conv_init(&c, REDIS_PORT);
			conv_handshake(h, &c);
			CU_ASSERT_EQUAL(conv_req(h, &c, flushall_req),
					cases[i].allowed ? VERDICT_PASS(h) : VERDICT_DROP(h));
			CU_ASSERT_EQUAL(rule_stats(0).packets, cases[i].allowed ? 1 : 0);
			CU_ASSERT_EQUAL(rule_stats(0).connections, cases[i].allowed ? 1 : 0);
			CU_ASSERT_EQUAL(rule_stats(1).packets, cases[i].allowed ? 0 : 1);
			if (cases[i].allowed) {
				EXPECT_CMD_STATS(&c, WL_L7_REDIS, "FLUSHALL", 1, 0, 0);
				/* the connection counted once on the allow rule */
				CU_ASSERT_EQUAL(conv_req(h, &c, flushall_req), VERDICT_PASS(h));
				CU_ASSERT_EQUAL(rule_stats(0).packets, 2);
				CU_ASSERT_EQUAL(rule_stats(0).connections, 1);
			}
			EXPECT_COUNTERS(cases[i].allowed ? 0 : 1, 0, 0, 0);
			/* an IPv6 client never matches an IPv4 prefix: denied */
			conv_init(&c, REDIS_PORT);
			c.family = 6;
			conv_handshake(h, &c);
			CU_ASSERT_EQUAL(conv_req(h, &c, flushall_req), VERDICT_DROP(h));
			filter_clear();
		}
	}
}

/* count goes on to the next rule; the scope by server port; per-direction scope. */
WL_TEST(l7filter, redis_count_then_deny)
{
	FOR_EACH_HOOK(h) {
		struct wl_rule cnt = {.action = WL_ACT_COUNT, .l7_proto = WL_L7_REDIS};
		struct wl_rule deny = {.action = WL_ACT_DENY,
				       .l7_proto = WL_L7_REDIS,
				       .fields = WL_RF_DPORT,
				       .dport_lo = 6000,
				       .dport_hi = 6379};
		struct conv c;

		setup_case();
		rule_put(5, cnt, "FLUSHALL");
		rule_put(6, deny, "FLUSHALL");
		filter_set(1);
		conv_init(&c, 6380); /* outside the deny's port range */
		conv_handshake(h, &c);
		/* 6380 is no Redis port by default: teach the ports map by sniffing the request */
		CU_ASSERT_EQUAL(conv_req(h, &c, flushall_req), VERDICT_PASS(h));
		CU_ASSERT_EQUAL(rule_stats(5).packets, 1);
		CU_ASSERT_EQUAL(rule_stats(6).packets, 0);
		conv_init(&c, REDIS_PORT);
		conv_handshake(h, &c);
		CU_ASSERT_EQUAL(conv_req(h, &c, flushall_req), VERDICT_DROP(h));
		CU_ASSERT_EQUAL(rule_stats(5).packets, 2);
		CU_ASSERT_EQUAL(rule_stats(5).connections, 2);
		CU_ASSERT_EQUAL(rule_stats(6).packets, 1);
		CU_ASSERT_EQUAL(rule_stats(6).connections, 1);
		EXPECT_COUNTERS(1, 0, 0, 0);
		filter_clear();
	}
}

/* A subcommand rule: CONFIG|SET denied, CONFIG|GET goes on. */
WL_TEST(l7filter, redis_subcommand)
{
	static const char cfg_get[] = "*3\r\n$6\r\nCONFIG\r\n$3\r\nGET\r\n$7\r\nmaxconn\r\n";
	static const char cfg_set[] =
		"*4\r\n$6\r\nconfig\r\n$3\r\nset\r\n$7\r\nmaxconn\r\n$2\r\n10\r\n";

	FOR_EACH_HOOK(h) {
		struct conv c;

		setup_case();
		rule_simple(0, WL_L7_REDIS, "CONFIG|SET", WL_ACT_DENY);
		filter_set(1);
		conv_init(&c, REDIS_PORT);
		conv_handshake(h, &c);
		CU_ASSERT_EQUAL(conv_req(h, &c, cfg_get), VERDICT_PASS(h));
		CU_ASSERT_EQUAL(conv_resp(h, &c, "*0\r\n"), VERDICT_PASS(h));
		EXPECT_CMD_STATS(&c, WL_L7_REDIS, "CONFIG|GET", 1, 1, 0);
		CU_ASSERT_EQUAL(conv_req(h, &c, cfg_set), VERDICT_DROP(h));
		CU_ASSERT_TRUE(stats_absent(&c, WL_L7_REDIS, "CONFIG|SET"));
		CU_ASSERT_EQUAL(conv_req(h, &c, cfg_get), VERDICT_DROP(h));
		EXPECT_COUNTERS(1, 1, 1, 0);
		filter_clear();
	}
}

/* has_l7 = 0: the same rules in the maps change nothing (and nothing is looked up). */
WL_TEST(l7filter, rules_off)
{
	FOR_EACH_HOOK(h) {
		struct conv c;

		setup_case();
		rule_simple(0, WL_L7_REDIS, "FLUSHALL", WL_ACT_DENY);
		filter_set(0);
		conv_init(&c, REDIS_PORT);
		conv_handshake(h, &c);
		CU_ASSERT_EQUAL(conv_req(h, &c, flushall_req), VERDICT_PASS(h));
		CU_ASSERT_EQUAL(conv_resp(h, &c, "+OK\r\n"), VERDICT_PASS(h));
		EXPECT_CMD_STATS(&c, WL_L7_REDIS, "FLUSHALL", 1, 1, 0);
		EXPECT_COUNTERS(0, 0, 0, 0);
		CU_ASSERT_EQUAL(rule_stats(0).packets, 0);
		CU_ASSERT_EQUAL(blocked_entries(), 0);
		filter_clear();
	}
}

/* ---- reject: the packets as they leave ---- */

static uint16_t csum_fold(uint32_t s)
{
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return s;
}

static uint32_t csum_add(uint32_t s, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i + 1 < n; i += 2)
		s += p[i] << 8 | p[i + 1];
	if (n & 1)
		s += p[n - 1] << 8;
	return s;
}

/* IPv4 frame: is the TCP checksum right? */
static int tcp_csum_ok(const uint8_t *f, size_t len)
{
	const uint8_t *ip = f + 14, *th = ip + (ip[0] & 15) * 4;
	size_t tlen = (ip[2] << 8 | ip[3]) - (ip[0] & 15) * 4;
	uint32_t s = 0;

	if (th + tlen > f + len)
		return 0;
	s = csum_add(s, ip + 12, 8);
	s += 6 + tlen;
	s = csum_add(s, th, tlen);
	return csum_fold(s) == 0xffff;
}

/* pktbuild leaves the TCP checksum 0: make it right so the rewrite can be checked */
static void tcp_csum_fill(uint8_t *f, size_t len)
{
	uint8_t *ip = f + 14, *th = ip + (ip[0] & 15) * 4;
	size_t tlen = (ip[2] << 8 | ip[3]) - (ip[0] & 15) * 4;
	uint32_t s = 0;
	uint16_t c;

	th[16] = th[17] = 0;
	s = csum_add(s, ip + 12, 8);
	s += 6 + tlen;
	s = csum_add(s, th, tlen);
	c = ~csum_fold(s);
	th[16] = c >> 8;
	th[17] = c & 0xff;
	(void)len;
}

static int run_out(enum wl_hook h, const uint8_t *in, size_t len, uint8_t *out, __u32 *out_len)
{
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = in, .data_size_in = len, .data_out = out,
		    .data_size_out = *out_len, .repeat = 1);
	int fd = h == HOOK_XDP ? wl_progs_xdp_fd(harness()) : wl_progs_tc_fd(harness());

	if (bpf_prog_test_run_opts(fd, &o))
		return -1;
	*out_len = o.data_size_out;
	return h == HOOK_TC && o.retval == (__u32)-1 ? VERDICT_TC_NEXT : (int)o.retval;
}

static uint32_t be32_at(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | p[1] << 16 | p[2] << 8 | p[3];
}

WL_TEST(l7filter, reject)
{
	FOR_EACH_HOOK(h) {
		uint8_t in[512], out[512];
		struct pkt_spec s = {.family = 4, .l4 = 6, .tcp_flags = 0x18};
		struct conv c;
		__u32 out_len = sizeof(out);
		size_t n;
		int v;

		setup_case();
		rule_simple(0, WL_L7_REDIS, "FLUSHALL", WL_ACT_REJECT);
		filter_set(1);
		conv_init(&c, REDIS_PORT);
		conv_handshake(h, &c);
		CU_ASSERT_EQUAL(conv_req(h, &c, set_req), VERDICT_PASS(h));
		CU_ASSERT_EQUAL(conv_resp(h, &c, "+OK\r\n"), VERDICT_PASS(h));

		/* the denied segment goes on to the server as a RST with its own numbers */
		s.src = CONV_CLI, s.dst = CONV_SRV, s.sport = c.cport, s.dport = c.sport;
		s.seq = c.cseq, s.ack = c.sseq;
		s.payload = flushall_req, s.payload_len = strlen(flushall_req);
		n = pkt_build(&s, in, sizeof(in));
		tcp_csum_fill(in, n);
		CU_ASSERT_TRUE(tcp_csum_ok(in, n));
		v = run_out(h, in, n, out, &out_len);
		CU_ASSERT_EQUAL(v, VERDICT_PASS(h));
		CU_ASSERT_EQUAL(out_len, n);
		CU_ASSERT_EQUAL(out[14 + 20 + 13], 0x14); /* RST|ACK */
		CU_ASSERT_EQUAL(be32_at(out + 14 + 20 + 4), c.cseq);
		CU_ASSERT_EQUAL(memcmp(out + 14 + 12, in + 14 + 12, 8), 0); /* same addresses */
		CU_ASSERT_TRUE(tcp_csum_ok(out, out_len));
		CU_ASSERT_TRUE(stats_absent(&c, WL_L7_REDIS, "FLUSHALL"));
		EXPECT_COUNTERS(1, 0, 0, 1);

		/* the client's retransmission comes back to it as a RST it accepts: sequence =
		 * the ack it sent (its rcv_nxt) */
		out_len = sizeof(out);
		v = run_out(h, in, n, out, &out_len);
		CU_ASSERT_EQUAL(v, VERDICT_REPLY(h));
		CU_ASSERT_EQUAL(out[14 + 20 + 13], 0x14);
		CU_ASSERT_EQUAL(be32_at(out + 14 + 20 + 4), c.sseq);
		CU_ASSERT_EQUAL(be32_at(out + 14 + 20 + 8), c.cseq + strlen(flushall_req));
		CU_ASSERT_EQUAL(memcmp(out + 14 + 12, in + 14 + 16, 4), 0); /* swapped */
		CU_ASSERT_EQUAL(memcmp(out + 14 + 16, in + 14 + 12, 4), 0);
		CU_ASSERT_EQUAL(memcmp(out + 14 + 20, in + 14 + 22, 2), 0);
		CU_ASSERT_EQUAL(memcmp(out, in + 6, 6), 0); /* MACs swapped */
		CU_ASSERT_TRUE(tcp_csum_ok(out, out_len));
		EXPECT_COUNTERS(1, 1, 1, 2);

		/* the server's packets are only dropped */
		CU_ASSERT_EQUAL(conv_resp(h, &c, "+OK\r\n"), VERDICT_DROP(h));
		EXPECT_COUNTERS(1, 2, 2, 2);
		filter_clear();
	}
}

/* ---- one case per protocol ---- */

/* Sends the denied request (after setup bytes); expects it dropped and the server's next
 * packet dropped too. */
static void expect_denied(enum wl_hook h, struct conv *c, const void *req, size_t len, __u8 proto,
			  const char *cmd)
{
	CU_ASSERT_EQUAL(conv_seg(h, c, 0, req, len, 0), VERDICT_DROP(h));
	CU_ASSERT_TRUE(stats_absent(c, proto, cmd));
	CU_ASSERT_EQUAL(conv_resp(h, c, "x"), VERDICT_DROP(h));
	EXPECT_COUNTERS(1, 1, 1, 0);
	CU_ASSERT_EQUAL(rule_stats(0).connections, 1);
}

WL_TEST(l7filter, memcached)
{
	FOR_EACH_HOOK(h) {
		struct conv c;

		setup_case();
		rule_simple(0, WL_L7_MEMCACHED, "flush_all", WL_ACT_DENY);
		filter_set(1);
		conv_init(&c, 11211);
		conv_handshake(h, &c);
		CU_ASSERT_EQUAL(conv_req(h, &c, "get k\r\n"), VERDICT_PASS(h));
		CU_ASSERT_EQUAL(conv_resp(h, &c, "END\r\n"), VERDICT_PASS(h));
		EXPECT_CMD_STATS(&c, WL_L7_MEMCACHED, "get", 1, 1, 0);
		expect_denied(h, &c, "flush_all\r\n", 11, WL_L7_MEMCACHED, "flush_all");
		filter_clear();
	}
}

static void my_pkt(uint8_t *b, size_t *n, uint8_t seq, const void *p, size_t len)
{
	b[*n] = len & 0xff;
	b[*n + 1] = (len >> 8) & 0xff;
	b[*n + 2] = len >> 16;
	b[*n + 3] = seq;
	memcpy(b + *n + 4, p, len);
	*n += 4 + len;
}

/* A MariaDB session up to the OK of the login (greeting, handshake response). */
static void my_login(enum wl_hook h, struct conv *c, uint16_t cport)
{
	uint32_t caps = 0x010ba285u; /* protocol 41, multi statements, ... */
	uint8_t g[128], r[128], b[256];
	size_t n, bn = 0;

	conv_init(c, 3306);
	c->cport = cport;
	conv_handshake(h, c);
	n = conv_mysql_greeting(g, caps);
	my_pkt(b, &bn, 0, g, n);
	conv_seg(h, c, 1, b, bn, 0);
	n = conv_mysql_handshake_response(r, caps);
	bn = 0;
	my_pkt(b, &bn, 1, r, n);
	conv_seg(h, c, 0, b, bn, 0);
	bn = 0;
	my_pkt(b, &bn, 2, "\x00\x00\x00\x02\x00\x00\x00", 7);
	conv_seg(h, c, 1, b, bn, 0);
}

WL_TEST(l7filter, mysql)
{
	FOR_EACH_HOOK(h) {
		uint8_t b[256];
		size_t bn = 0;
		struct conv c;

		setup_case();
		rule_simple(0, WL_L7_MYSQL, "DROP", WL_ACT_DENY);
		filter_set(1);
		my_login(h, &c, CONV_CPORT);
		bn = 0;
		my_pkt(b, &bn, 0, "\x03SELECT 1", 9);
		CU_ASSERT_EQUAL(conv_seg(h, &c, 0, b, bn, 0), VERDICT_PASS(h));
		bn = 0;
		my_pkt(b, &bn, 1, "\x00\x00\x00\x02\x00\x00\x00", 7); /* an OK will do */
		conv_seg(h, &c, 1, b, bn, 0);
		EXPECT_CMD_STATS(&c, WL_L7_MYSQL, "SELECT", 1, 1, 0);
		bn = 0;
		my_pkt(b, &bn, 0,
		       "\x03"
		       "DROP TABLE t",
		       13);
		expect_denied(h, &c, b, bn, WL_L7_MYSQL, "DROP");
		/* a later statement of a multi-statement text: the packet is dropped too */
		my_login(h, &c, CONV_CPORT + 1);
		bn = 0;
		my_pkt(b, &bn, 0, "\x03SELECT 1; DROP TABLE t", 24);
		CU_ASSERT_EQUAL(conv_seg(h, &c, 0, b, bn, 0), VERDICT_DROP(h));
		EXPECT_COUNTERS(2, 1, 1, 0);
		CU_ASSERT_EQUAL(rule_stats(0).connections, 2);
		filter_clear();
	}
}

static size_t pg_msg(uint8_t *b, char type, const char *s)
{
	uint32_t len = htonl(4 + strlen(s) + 1);

	b[0] = type;
	memcpy(b + 1, &len, 4);
	memcpy(b + 5, s, strlen(s) + 1);
	return 5 + strlen(s) + 1;
}

WL_TEST(l7filter, postgresql)
{
	static const uint8_t startup[] =
		"\x00\x00\x00\x25\x00\x03\x00\x00user\0postgres\0database\0wl\0";
	static const uint8_t server[] = "R\x00\x00\x00\x08\x00\x00\x00\x00"
					"Z\x00\x00\x00\x05I";

	FOR_EACH_HOOK(h) {
		uint8_t b[128];
		struct conv c;
		size_t n;

		setup_case();
		rule_simple(0, WL_L7_POSTGRES, "TRUNCATE", WL_ACT_DENY);
		filter_set(1);
		conv_init(&c, 5432);
		conv_handshake(h, &c);
		conv_seg(h, &c, 0, startup, 0x25, 0);
		conv_seg(h, &c, 1, server, sizeof(server) - 1, 0);
		n = pg_msg(b, 'Q', "SELECT 1");
		CU_ASSERT_EQUAL(conv_seg(h, &c, 0, b, n, 0), VERDICT_PASS(h));
		n = pg_msg(b, 'C', "SELECT 1");
		memcpy(b + n,
		       "Z\x00\x00\x00\x05"
		       "I",
		       6);
		conv_seg(h, &c, 1, b, n + 6, 0);
		EXPECT_CMD_STATS(&c, WL_L7_POSTGRES, "SELECT", 1, 1, 0);
		n = pg_msg(b, 'Q', "TRUNCATE t");
		expect_denied(h, &c, b, n, WL_L7_POSTGRES, "TRUNCATE");
		filter_clear();
	}
}

static void le32_put(uint8_t *p, uint32_t v)
{
	p[0] = v, p[1] = v >> 8, p[2] = v >> 16, p[3] = v >> 24;
}

WL_TEST(l7filter, mongodb)
{
	FOR_EACH_HOOK(h) {
		uint8_t m[128];
		size_t n = 21, d = 21;
		struct conv c;

		setup_case();
		rule_simple(0, WL_L7_MONGODB, "dropDatabase", WL_ACT_DENY);
		filter_set(1);
		conv_init(&c, 27017);
		conv_handshake(h, &c);
		/* OP_MSG, flags 0, a kind-0 section: {dropDatabase: 1, $db: "x"} */
		memset(m, 0, sizeof(m));
		n += 4;
		m[n++] = 0x10;
		memcpy(m + n, "dropDatabase", 13);
		n += 13;
		le32_put(m + n, 1);
		n += 4;
		m[n++] = 0x02;
		memcpy(m + n, "$db", 4);
		n += 4;
		le32_put(m + n, 2);
		n += 4;
		memcpy(m + n, "x", 2);
		n += 2;
		m[n++] = 0;
		le32_put(m + d, n - d);
		le32_put(m, n);
		le32_put(m + 4, 7);
		le32_put(m + 12, 2013);
		expect_denied(h, &c, m, n, WL_L7_MONGODB, "dropDatabase");
		filter_clear();
	}
}

WL_TEST(l7filter, kafka)
{
	FOR_EACH_HOOK(h) {
		uint8_t k[32] = {0, 0, 0, 20, 0, 20, 0, 4, 0, 0, 0, 9, 0, 2, 'w', 'l'};
		struct conv c;

		setup_case();
		rule_simple(0, WL_L7_KAFKA, "DeleteTopics", WL_ACT_DENY);
		filter_set(1);
		conv_init(&c, 9092);
		conv_handshake(h, &c);
		expect_denied(h, &c, k, 24, WL_L7_KAFKA, "DeleteTopics");
		filter_clear();
	}
}

WL_TEST(l7filter, http)
{
	FOR_EACH_HOOK(h) {
		static const char del[] = "DELETE /a HTTP/1.1\r\nHost: x\r\n\r\n";
		struct conv c;

		setup_case();
		rule_simple(0, WL_L7_HTTP, "DELETE", WL_ACT_DENY);
		filter_set(1);
		conv_init(&c, 80);
		conv_handshake(h, &c);
		CU_ASSERT_EQUAL(conv_req(h, &c, "GET /a HTTP/1.1\r\nHost: x\r\n\r\n"),
				VERDICT_PASS(h));
		CU_ASSERT_EQUAL(conv_resp(h, &c, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"),
				VERDICT_PASS(h));
		EXPECT_CMD_STATS(&c, WL_L7_HTTP, "GET", 1, 1, 0);
		expect_denied(h, &c, del, strlen(del), WL_L7_HTTP, "DELETE");
		filter_clear();
	}
}

/* The loader's side: a rule that moves to another set keeps its connections blocked (its stats
 * index follows it); a rule removed from the set leaves them blocked too (the client's
 * retransmission of the denied segment must never reach the server), counted on no rule, until a
 * RST or the client's new SYN on the 4-tuple. */
WL_TEST(l7filter, block_outlives_rule)
{
	FOR_EACH_HOOK(h) {
		struct wl_filter_cfg cfg = {.policy = WL_ACT_ALLOW, .check_blocked = 1};
		struct wl_blocked_key k;
		struct wl_rule_stats rs, before;
		struct wl_blocked b;
		struct wl_rule r;
		struct conv c;
		__u32 idx, zero = 0;

		setup_case();
		rule_simple(2, WL_L7_REDIS, "FLUSHALL", WL_ACT_DENY);
		filter_set(1);
		conv_init(&c, REDIS_PORT);
		conv_handshake(h, &c);
		CU_ASSERT_EQUAL(conv_req(h, &c, flushall_req), VERDICT_DROP(h));
		CU_ASSERT_EQUAL(wl_blocked_count(map_fd("wl_blocked")), 2);
		/* the same rule (same id) in slot 9 of set 1 */
		idx = 2;
		CU_ASSERT_EQUAL(bpf_map_lookup_elem(map_fd("wl_rules"), &idx, &r), 0);
		idx = WL_RULES_MAX + 9;
		CU_ASSERT_EQUAL(bpf_map_update_elem(map_fd("wl_rules"), &idx, &r, 0), 0);
		CU_ASSERT_EQUAL(wl_blocked_sync(map_fd("wl_blocked"), map_fd("wl_rules"), 1), 0);
		CU_ASSERT_EQUAL(bpf_map_get_next_key(map_fd("wl_blocked"), NULL, &k), 0);
		CU_ASSERT_EQUAL(bpf_map_lookup_elem(map_fd("wl_blocked"), &k, &b), 0);
		CU_ASSERT_EQUAL(b.rule_idx, WL_RULES_MAX + 9);
		CU_ASSERT_EQUAL(b.rule_id, r.id);
		CU_ASSERT_EQUAL(conv_req(h, &c, get_req), VERDICT_DROP(h));
		/* set 0 without it, no L7 rule left (as `rule flush` leaves it): still blocked, on
		 * no rule; a retransmission of the denied segment is dropped */
		memset(&r, 0, sizeof(r));
		idx = 2;
		CU_ASSERT_EQUAL(bpf_map_update_elem(map_fd("wl_rules"), &idx, &r, 0), 0);
		CU_ASSERT_EQUAL(wl_blocked_sync(map_fd("wl_blocked"), map_fd("wl_rules"), 0), 2);
		CU_ASSERT_EQUAL(wl_blocked_sync(map_fd("wl_blocked"), map_fd("wl_rules"), 0), 0);
		CU_ASSERT_EQUAL(bpf_map_update_elem(map_fd("wl_filter_cfg"), &zero, &cfg, 0), 0);
		CU_ASSERT_EQUAL(wl_blocked_count(map_fd("wl_blocked")), 2);
		CU_ASSERT_EQUAL(bpf_map_lookup_elem(map_fd("wl_blocked"), &k, &b), 0);
		CU_ASSERT_EQUAL(b.rule_idx, WL_BLOCKED_NO_RULE);
		before = rule_stats(2);
		CU_ASSERT_EQUAL(conv_reseg(h, &c, 0, flushall_req, strlen(flushall_req),
					   strlen(flushall_req) + strlen(get_req)),
				VERDICT_DROP(h));
		CU_ASSERT_EQUAL(conv_resp(h, &c, "+OK\r\n"), VERDICT_DROP(h));
		rs = rule_stats(2); /* slot 2 of set 0 is nobody's now */
		CU_ASSERT_EQUAL(rs.packets, before.packets);
		CU_ASSERT_TRUE(stats_absent(&c, WL_L7_REDIS, "FLUSHALL"));
		/* the client opens a new connection on the same 4-tuple: the block ends there */
		CU_ASSERT_EQUAL(conv_seg(h, &c, 0, NULL, 0, 0x02), VERDICT_PASS(h));
		CU_ASSERT_EQUAL(wl_blocked_count(map_fd("wl_blocked")), 0);
		filter_clear();
	}
}
