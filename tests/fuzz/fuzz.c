// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * A test_run fuzzer for every protocol program (issue 14). Seeds: the TCP/UDP payloads of the
 * shared captures ($WL_PCAP_DIR/<protocol>/), one session per connection. Each case replays a
 * session on a fresh connection (new client port) through XDP or TC, mutated: bytes flipped or
 * set to grammar bytes, length fields lied about, segments cut, reordered, duplicated and
 * dropped, a handshake or not. After every batch the invariants are checked:
 *  - every packet has exactly one outcome (seen == sum of the outcome counters);
 *  - no counter goes backwards;
 *  - per command, responses never exceed requests (unmatched replies are counted apart);
 *  - stats entries per protocol never exceed its names table (unknown names fold into OTHER);
 *  - per-connection state stays bounded (FIFO depth, held header bytes, connection entries);
 *  - a well-formed session on a fresh connection afterwards is counted exactly as on fresh maps.
 * Usage: fuzz_wirelens [--long] [--packets N] [--seed S] [protocol...]
 * Short mode (tests/run.sh): 20,000 packets per protocol; --long (make fuzz): 10 million.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "tests/harness.h"
#include "tests/l7conv.h"
#include "tests/pktbuild.h"
#include "loader/l7cfg.h"
#include "loader/commands.h"

#include "tests/fuzz/seeds.h"

/* packets between invariant checks: 2,000, or 1% of a longer run (a check walks every
 * connection entry: at 65,536 entries it would cost more than the batch itself) */
#define BATCH(want) ((want) / 100 > 2000 ? (want) / 100 : 2000)
#define SEGS_MAX    16

static uint64_t rng_state;
static uint64_t rnd(void)
{
	/* xorshift64*: reproducible from --seed */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 2685821657736338717ull;
}
static uint32_t rn(uint32_t n)
{
	return n ? rnd() % n : 0;
}

/* The first of the registry's default server ports of proto. */
static uint16_t proto_port(int proto)
{
	uint16_t p = 0;
#define FIRST_PORT(name, ENUM, id, flags, first, ...)                                              \
	if (proto == id)                                                                           \
		p = first;
	WL_L7_PROTOCOLS(FIRST_PORT)
#undef FIRST_PORT
	return p;
}

/* ---- maps ---- */

/* A map the protocol programs use, by name (they share the main programs' maps). */
static int map_fd(const char *name)
{
	for (int p = 1; p < WL_L7_PROTO_MAX; p++) {
		struct bpf_object *o = harness()->l7_obj[0][p];
		struct bpf_map *m = o ? bpf_object__find_map_by_name(o, name) : NULL;

		if (m)
			return bpf_map__fd(m);
	}
	return -1;
}

static int map_entries(int fd)
{
	uint8_t k[256], next[256];
	void *prev = NULL;
	int n = 0;

	while (!bpf_map_get_next_key(fd, prev, next)) {
		memcpy(k, next, sizeof(k));
		prev = k;
		n++;
	}
	return n;
}

static int ncpu;

/* Summed stats of every command of proto (by name), into out[] (names in names[]). */
struct cmd_row {
	char name[WL_CMD_LEN];
	struct wl_cmd_stats st;
};
static int stats_read(int proto, struct cmd_row *rows, int max)
{
	struct wl_cmd_row *all;
	size_t n_all;
	int n = 0;

	if (wl_cmd_stats_read(wl_map_cmd_maps(harness()), &all, &n_all))
		return 0;
	for (size_t i = 0; i < n_all; i++) {
		const struct wl_cmd_key *k = &all[i].key;
		const struct wl_cmd_stats *v = &all[i].st;
		int r;

		if (k->l7_proto != proto)
			continue;
		for (r = 0; r < n; r++)
			if (!strncmp(rows[r].name, k->command, WL_CMD_LEN))
				break;
		if (r == n) {
			if (n >= max)
				continue;
			memset(&rows[n], 0, sizeof(rows[n]));
			memcpy(rows[n].name, k->command, WL_CMD_LEN);
			n++;
		}
		rows[r].st.requests += v->requests;
		rows[r].st.responses += v->responses;
		rows[r].st.errors += v->errors;
		rows[r].st.misses += v->misses;
	}
	free(all);
	return n;
}

static int names_of(int proto)
{
	int fd = map_fd("wl_cmd_names"), n = 0;
	struct wl_cmd_name_key k, next, *prev = NULL;

	while (!bpf_map_get_next_key(fd, prev, &next)) {
		k = next;
		prev = &k;
		n += k.l7_proto == (uint32_t)proto;
	}
	return n;
}

/* ---- sending ---- */

static uint8_t frame[PKT_MAX];
static uint64_t packets;

static void send_one(enum wl_hook h, struct conv *c, int from_server, const uint8_t *data,
		     size_t len, uint8_t flags, uint32_t seq)
{
	struct pkt_spec s = {.family = c->family, .l4 = c->l4, .payload = data, .payload_len = len};
	size_t n;

	s.tcp_flags = flags ? flags : 0x18;
	if (from_server) {
		s.src = CONV_SRV, s.dst = CONV_CLI, s.sport = c->sport, s.dport = c->cport;
		s.seq = seq, s.ack = c->cseq;
	} else {
		s.src = CONV_CLI, s.dst = CONV_SRV, s.sport = c->cport, s.dport = c->sport;
		s.seq = seq, s.ack = c->sseq;
	}
	n = pkt_build(&s, frame, sizeof(frame));
	if (n && harness_run(h, frame, n, NULL) >= 0)
		packets++;
}

/* One message, mutated, cut into segments sent in some order. */
static void send_msg(enum wl_hook h, struct conv *c, const struct msg *m, int mutate)
{
	static uint8_t buf[MSG_MAX + 64];
	static const uint8_t grammar[] = {0,   0xff, '0', '9',	'\r', '\n', '*',  '$', ' ',
					  ':', '-',  '+', 0x7f, 0x80, ';',  '\'', '"', 1};
	size_t len = m->len, cut[SEGS_MAX + 1];
	int nseg = 1, order[SEGS_MAX], from = m->from_server;
	uint32_t *seqp = from ? &c->sseq : &c->cseq, base = *seqp;

	memcpy(buf, m->data, len);
	if (mutate) {
		int k = rn(4);

		for (int i = 0; i < k && len; i++) /* bytes flipped */
			buf[rn(len)] ^= 1u << rn(8);
		if (rn(3) == 0 && len) /* a grammar byte where it hurts */
			buf[rn(len)] = grammar[rn(sizeof(grammar))];
		if (rn(4) == 0 && len >= 4) { /* a length field lied about */
			size_t at = rn(len < 32 ? len - 3 : 29);
			uint32_t v = rn(2) ? (uint32_t)rnd() : rn(3) ? 0xffffffffu : rn(16);

			memcpy(buf + at, &v, 4);
		}
		if (rn(8) == 0 && len) /* truncated */
			len = rn(len);
		if (rn(16) == 0 && len + 64 <= sizeof(buf)) { /* grown */
			for (int i = 0; i < 64; i++)
				buf[len + i] = grammar[rn(sizeof(grammar))];
			len += 64;
		}
		if (rn(3) == 0 && len > 1) /* segments cut */
			nseg = 2 + rn(len < SEGS_MAX - 1 ? len - 1 : SEGS_MAX - 1);
	}
	cut[0] = 0;
	for (int i = 1; i < nseg; i++)
		cut[i] = 1 + rn(len - 1);
	cut[nseg] = len;
	for (int i = 1; i < nseg; i++) /* sorted cut points */
		for (int j = i; j > 1 && cut[j] < cut[j - 1]; j--) {
			size_t t = cut[j];

			cut[j] = cut[j - 1];
			cut[j - 1] = t;
		}
	for (int i = 0; i < nseg; i++)
		order[i] = i;
	if (mutate && nseg > 1 && rn(3) == 0) { /* reordered */
		int a = rn(nseg - 1);
		int t = order[a];

		order[a] = order[a + 1];
		order[a + 1] = t;
	}
	for (int i = 0; i < nseg; i++) {
		int s = order[i];
		size_t a = cut[s], b = cut[s + 1];

		if (b <= a && c->l4 == 6)
			continue;
		if (mutate && rn(24) == 0) /* dropped */
			continue;
		send_one(h, c, from, buf + a, b - a, 0, base + a);
		if (mutate && rn(16) == 0) /* duplicated */
			send_one(h, c, from, buf + a, b - a, 0, base + a);
	}
	if (c->l4 == 6)
		*seqp = base + len;
}

static uint16_t next_cport = 1024;

static void fresh_conn(struct conv *c, int proto, const struct session *s)
{
	conv_init(c, proto_port(proto));
	c->cport = next_cport;
	if (next_cport >= 65000) {
		/* the client ports wrap: a new connection must not meet an old one's state (its
		 * requests pending by id would take the new one's replies) */
		wl_map_clear(wl_map_conns_fd(harness()));
		wl_map_clear(map_fd("wl_aux"));
		next_cport = 1024;
	} else {
		next_cport++;
	}
	c->l4 = s->udp ? 17 : 6;
	c->cseq = (uint32_t)rnd();
	c->sseq = (uint32_t)rnd();
}

static void run_session(enum wl_hook h, int proto, const struct session *s, int mutate)
{
	struct conv c;

	fresh_conn(&c, proto, s);
	if (!s->udp && (!mutate || rn(4)))
		conv_handshake(h, &c), packets += 2;
	for (int i = 0; i < s->n; i++) {
		if (mutate &&
		    rn(20) == 0) /* a message swapped with the next (pipelining gone odd) */
			continue;
		send_msg(h, &c, &s->m[i], mutate);
	}
	if (!s->udp && (!mutate || rn(2))) {
		send_one(h, &c, 0, NULL, 0, 0x11, c.cseq); /* FIN */
		send_one(h, &c, 1, NULL, 0, 0x11, c.sseq);
	}
}

/* ---- invariants ---- */

static int failures;
#define CHECK(cond, ...)                                                                           \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			fprintf(stderr, "  invariant broken: " __VA_ARGS__);                       \
			fputc('\n', stderr);                                                       \
			failures++;                                                                \
		}                                                                                  \
	} while (0)

static struct wl_counters last;

static void check_counters(const char *pname)
{
	struct wl_counters now = harness_counters();
	const uint64_t *a = (const uint64_t *)&now, *b = (const uint64_t *)&last;
	uint64_t outcomes = 0;

	for (int i = WL_OUT_ACCOUNTED; i < WL_OUT_END; i++)
		outcomes += a[i];
	CHECK(now.seen == outcomes, "%s: seen %llu != outcomes %llu", pname,
	      (unsigned long long)now.seen, (unsigned long long)outcomes);
	for (size_t i = 0; i < sizeof(now) / 8; i++)
		CHECK(a[i] >= b[i], "%s: counter %zu went back %llu -> %llu", pname, i,
		      (unsigned long long)b[i], (unsigned long long)a[i]);
	last = now;
}

static struct cmd_row prev_rows[WL_CMD_IDS_MAX];
static int nprev;

static void check_state(int proto, const char *pname, uint64_t conns_opened)
{
	static struct cmd_row rows[WL_CMD_IDS_MAX];
	int n = stats_read(proto, rows, WL_CMD_IDS_MAX), fd = wl_map_conns_fd(harness()), nc = 0;
	struct wl_conn_key k, next, *prev = NULL;
	static struct wl_conn conn;

	CHECK(n <= names_of(proto) + 1, "%s: %d stats entries, names table %d", pname, n,
	      names_of(proto));
	/* per batch: a batch ends between sessions, so each session's requests and replies are
	 * in one batch (totals would let a long run's many requests hide extra replies) */
	for (int r = 0; r < n; r++) {
		struct wl_cmd_stats b = {0};

		for (int j = 0; j < nprev; j++)
			if (!strncmp(prev_rows[j].name, rows[r].name, WL_CMD_LEN))
				b = prev_rows[j].st;
		CHECK(rows[r].st.responses - b.responses <= rows[r].st.requests - b.requests,
		      "%s: %.24s: %llu responses > %llu requests in a batch", pname, rows[r].name,
		      (unsigned long long)(rows[r].st.responses - b.responses),
		      (unsigned long long)(rows[r].st.requests - b.requests));
	}
	memcpy(prev_rows, rows, n * sizeof(rows[0]));
	nprev = n;
	while (!bpf_map_get_next_key(fd, prev, &next)) {
		k = next;
		prev = &k;
		nc++;
		if (bpf_map_lookup_elem(fd, &k, &conn))
			continue;
		CHECK(conn.fifo_tail - conn.fifo_head <= WL_FIFO_LEN, "%s: FIFO depth %u", pname,
		      conn.fifo_tail - conn.fifo_head);
	}
	/* the directions with a message open between packets */
	{
		int ofd = map_fd("wl_l7_open");
		struct wl_l7_open_key ok, onext, *oprev = NULL;
		static struct wl_l7_dir od;

		while (!bpf_map_get_next_key(ofd, oprev, &onext)) {
			ok = onext;
			oprev = &ok;
			if (bpf_map_lookup_elem(ofd, &ok, &od))
				continue;
			CHECK(od.hdr_len <= WL_L7_HDR_MAX, "%s: hdr_len %u", pname, od.hdr_len);
		}
		CHECK(map_entries(ofd) <= WL_L7_OPEN_FOR(WL_CONNS_DEFAULT),
		      "%s: wl_l7_open over its size", pname);
	}
	/* a few more: the reference sessions' connections */
	CHECK((uint64_t)nc <= conns_opened + 16 && nc <= WL_CONNS_DEFAULT,
	      "%s: %d connection entries for %llu connections", pname, nc,
	      (unsigned long long)conns_opened);
	CHECK(map_entries(map_fd("wl_aux")) <= WL_AUX_MAX, "%s: wl_aux over its size", pname);
}

/* The delta a clean session makes to proto's stats. */
static int delta(int proto, enum wl_hook h, const struct session *s, struct cmd_row *out, int max)
{
	static struct cmd_row before[WL_CMD_IDS_MAX], after[WL_CMD_IDS_MAX];
	int nb = stats_read(proto, before, WL_CMD_IDS_MAX), na, n = 0;

	run_session(h, proto, s, 0);
	na = stats_read(proto, after, WL_CMD_IDS_MAX);
	for (int i = 0; i < na && n < max; i++) {
		struct wl_cmd_stats b = {0};

		for (int j = 0; j < nb; j++)
			if (!strncmp(before[j].name, after[i].name, WL_CMD_LEN))
				b = before[j].st;
		if (after[i].st.requests == b.requests && after[i].st.responses == b.responses &&
		    after[i].st.errors == b.errors)
			continue;
		out[n] = after[i];
		out[n].st.requests -= b.requests;
		out[n].st.responses -= b.responses;
		out[n].st.errors -= b.errors;
		n++;
	}
	return n;
}

static int rows_equal(const struct cmd_row *a, int na, const struct cmd_row *b, int nb)
{
	if (na != nb)
		return 0;
	for (int i = 0; i < na; i++) {
		int found = 0;

		for (int j = 0; j < nb; j++)
			if (!strncmp(a[i].name, b[j].name, WL_CMD_LEN))
				found = a[i].st.requests == b[j].st.requests &&
					a[i].st.responses == b[j].st.responses &&
					a[i].st.errors == b[j].st.errors;
		if (!found)
			return 0;
	}
	return 1;
}

/* ---- names, ports and replies cannot be exhausted from the wire (issue 14 item 3) ---- */

static void send_text(struct conv *c, int from_server, const char *text)
{
	uint32_t *seq = from_server ? &c->sseq : &c->cseq;

	send_one(HOOK_XDP, c, from_server, (const uint8_t *)text, strlen(text), 0, *seq);
	*seq += strlen(text);
}

/* 100,000 distinct unknown Redis command names (and their error replies) on one connection:
 * one stats entry, OTHER, counting all of them. */
static void bound_names(void)
{
	static char buf[64 * 40];
	static struct cmd_row rows[WL_CMD_IDS_MAX];
	struct session none = {0};
	struct conv c;
	int n;

	harness_reset();
	fresh_conn(&c, WL_L7_REDIS, &none);
	conv_handshake(HOOK_XDP, &c);
	for (int i = 0; i < 100000; i += 50) {
		size_t off = 0;

		for (int j = 0; j < 50; j++)
			off += snprintf(buf + off, sizeof(buf) - off, "*1\r\n$7\r\nX%06d\r\n",
					i + j);
		send_text(&c, 0, buf);
		off = 0;
		for (int j = 0; j < 50; j++)
			off += snprintf(buf + off, sizeof(buf) - off, "-ERR unknown command\r\n");
		send_text(&c, 1, buf);
	}
	n = stats_read(WL_L7_REDIS, rows, WL_CMD_IDS_MAX);
	CHECK(n == 1 && !strcmp(rows[0].name, "OTHER") && rows[0].st.requests == 100000 &&
		      rows[0].st.responses == 100000 && rows[0].st.errors == 100000,
	      "names: 100,000 unknown names gave %d stats entries (first %.24s: %llu requests)", n,
	      n ? rows[0].name : "-", n ? (unsigned long long)rows[0].st.requests : 0ull);
	printf("names: 100,000 distinct unknown Redis commands -> %d stats entry (%s), %llu "
	       "requests, "
	       "%llu error replies\n",
	       n, n ? rows[0].name : "-", n ? (unsigned long long)rows[0].st.requests : 0ull,
	       n ? (unsigned long long)rows[0].st.errors : 0ull);
}

/* Content sniffing teaches the ports map: how many ports can a client make it learn? */
static void bound_sniff(void)
{
	int fd = wl_map_ports_fd(harness()), learned = 0;
	struct session none = {0};
	struct wl_sniff s = {};
	__u32 zero = 0;
	struct conv c;

	harness_reset();
	for (uint32_t port = 20000; port < 21000; port++) {
		fresh_conn(&c, WL_L7_REDIS, &none);
		c.sport = port;
		send_text(&c, 0, "*1\r\n$4\r\nPING\r\n");
	}
	for (uint32_t port = 0; port < 65536; port++) {
		uint8_t v = 0;

		if (!bpf_map_lookup_elem(fd, &port, &v) && (v & WL_PORT_LEARNED))
			learned++;
	}
	bpf_map_lookup_elem(wl_map_sniff_fd(harness()), &zero, &s);
	/* bounded by wl_sniff.learn_max (attach --learned-ports-max), the rest refused */
	CHECK(learned == WL_LEARNED_PORTS_DEFAULT && s.learned == (__u32)learned &&
		      s.refused == 1000 - WL_LEARNED_PORTS_DEFAULT,
	      "sniff: %d learned ports (wl_sniff: %u learned, %llu refused)", learned, s.learned,
	      (unsigned long long)s.refused);
	printf("sniff: 1,000 RESP-looking first segments to 1,000 unclaimed ports -> %d ports "
	       "learned (the bound, attach --learned-ports-max), %llu refused\n",
	       learned, (unsigned long long)s.refused);
}

/* Replies on a connection are paired with that connection's requests only: a second client
 * whose "server" sends replies (no request pending there) and a blind injection on the first
 * connection's 4-tuple with a sequence number ahead of the stream change nothing of it. */
static void bound_replies(void)
{
	static struct cmd_row rows[WL_CMD_IDS_MAX];
	struct wl_counters before;
	struct session none = {0};
	struct conv a, b;
	int n;

	harness_reset();
	fresh_conn(&a, WL_L7_REDIS, &none);
	fresh_conn(&b, WL_L7_REDIS, &none);
	conv_handshake(HOOK_XDP, &a);
	conv_handshake(HOOK_XDP, &b);
	send_text(&a, 0, "*2\r\n$3\r\nGET\r\n$1\r\nk\r\n*2\r\n$3\r\nGET\r\n$1\r\nk\r\n");
	before = harness_counters();
	/* the other connection's side claims two replies */
	send_text(&b, 1, "$1\r\nv\r\n$1\r\nv\r\n");
	n = stats_read(WL_L7_REDIS, rows, WL_CMD_IDS_MAX);
	CHECK(n == 1 && rows[0].st.responses == 0 &&
		      harness_counters().l7_unmatched == before.l7_unmatched + 2,
	      "replies: another connection's replies were paired with this one's requests");
	/* the real replies */
	send_text(&a, 1, "$1\r\nv\r\n$-1\r\n");
	n = stats_read(WL_L7_REDIS, rows, WL_CMD_IDS_MAX);
	CHECK(n == 1 && !strcmp(rows[0].name, "GET") && rows[0].st.requests == 2 &&
		      rows[0].st.responses == 2,
	      "replies: GET counted %llu/%llu after another connection's replies",
	      n ? (unsigned long long)rows[0].st.requests : 0ull,
	      n ? (unsigned long long)rows[0].st.responses : 0ull);
	printf("replies: 2 replies from another connection -> unmatched there, this connection's "
	       "GET %llu requests %llu responses\n",
	       n ? (unsigned long long)rows[0].st.requests : 0ull,
	       n ? (unsigned long long)rows[0].st.responses : 0ull);
}

/* ---- main ---- */

static int fuzz_proto(int proto, const struct corpus *c, uint64_t want)
{
	const char *pname = wl_l7_proto_name(proto);
	static struct cmd_row ref[HOOK_COUNT][64], got[64];
	int nref[HOOK_COUNT], clean = -1, f0 = failures;
	uint64_t conns = 0, start = packets, next_check;
	struct timespec t0, t1;

	/* the reference: the session with the most requests, on fresh maps */
	for (int h = 0; h < HOOK_COUNT; h++) {
		int best = -1;

		for (int i = 0; i < c->n && i < 64; i++) {
			int n, req = 0;

			harness_reset();
			n = delta(proto, h, &c->s[i], ref[h], 64);
			for (int r = 0; r < n; r++)
				req += ref[h][r].st.requests;
			if (req > best && (clean < 0 || h == 0)) {
				best = req;
				if (h == 0)
					clean = i;
			}
		}
		harness_reset();
		nref[h] = delta(proto, h, &c->s[clean], ref[h], 64);
	}
	harness_reset();
	memset(&last, 0, sizeof(last));
	nprev = 0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	next_check = packets + BATCH(want);
	while (packets - start < want) {
		enum wl_hook h = rn(2) ? HOOK_XDP : HOOK_TC;

		run_session(h, proto, &c->s[rn(c->n)], 1);
		conns++;
		if (packets >= next_check) {
			check_counters(pname);
			check_state(proto, pname, conns + 2);
			next_check = packets + BATCH(want);
			/* now and then: the next well-formed session is counted exactly */
			if (rn(8) == 0) {
				int n = delta(proto, h, &c->s[clean], got, 64);

				conns++;
				CHECK(rows_equal(got, n, ref[h], nref[h]),
				      "%s: a clean session after fuzzing counted differently (%d "
				      "commands, %d on fresh maps)",
				      pname, n, nref[h]);
			}
			if (failures - f0 > 20)
				break;
		}
	}
	check_counters(pname);
	check_state(proto, pname, conns + 2);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	printf("%-11s %12llu packets %9llu connections %8.1f s  %d seeds  %s\n", pname,
	       (unsigned long long)(packets - start), (unsigned long long)conns,
	       (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9, c->n,
	       failures == f0 ? "ok" : "INVARIANTS BROKEN");
	fflush(stdout);
	return failures == f0 ? 0 : -1;
}

int main(int argc, char **argv)
{
	static struct corpus corpus;
	const char *dir = getenv("WL_PCAP_DIR") ? getenv("WL_PCAP_DIR") : "/work/shared/pcaps";
	uint64_t want = 20000;
	unsigned long long seed = 0;
	int opt, rc = 0, any = 0, seed_set = 0;
	static const struct option longopts[] = {{"long", no_argument, NULL, 'l'},
						 {"packets", required_argument, NULL, 'n'},
						 {"seed", required_argument, NULL, 's'},
						 {NULL, 0, NULL, 0}};

	while ((opt = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (opt) {
		case 'l':
			want = 10000000;
			break;
		case 'n':
			want = strtoull(optarg, NULL, 0);
			break;
		case 's':
			seed = strtoull(optarg, NULL, 0);
			seed_set = 1;
			break;
		default:
			fprintf(stderr,
				"usage: %s [--long] [--packets N] [--seed S] [protocol...]\n",
				argv[0]);
			return 2;
		}
	}
	/* reproducible by default (make test must not depend on the clock); --seed 0: the clock */
	if (!seed_set)
		seed = 1;
	else if (!seed)
		seed = (unsigned long long)time(NULL);
	rng_state = seed | 1;
	ncpu = libbpf_num_possible_cpus();
	if (harness_init()) {
		fprintf(stderr, "fuzz: cannot load the programs\n");
		return 1;
	}
	printf("fuzz: seed %llu, %llu packets per protocol, captures in %s\n", seed,
	       (unsigned long long)want, dir);
	bound_names();
	bound_sniff();
	bound_replies();
	fflush(stdout);
	if (failures)
		rc = 1;
	for (int p = 1; p < WL_L7_PROTO_MAX; p++) {
		const char *name = wl_l7_proto_name(p);
		int wanted = optind >= argc;

		for (int i = optind; i < argc; i++)
			wanted |= !strcmp(argv[i], name);
		if (!wanted)
			continue;
		any = 1;
		for (int i = 0; i < corpus.n; i++)
			for (int j = 0; j < corpus.s[i].n; j++)
				free(corpus.s[i].m[j].data);
		memset(&corpus, 0, sizeof(corpus));
		if (seed_load(&corpus, dir, name, p) <= 0) {
			fprintf(stderr, "fuzz: %s: no seed session in %s/%s\n", name, dir, name);
			rc = 1;
			continue;
		}
		if (fuzz_proto(p, &corpus, want))
			rc = 1;
	}
	if (!any) {
		fprintf(stderr, "fuzz: no such protocol\n");
		rc = 2;
	}
	harness_fini();
	return rc;
}
