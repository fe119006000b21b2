// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * make bench: ns/packet through BPF_PROG_TEST_RUN, always next to a bare program measured in
 * the same run and by the same method, because the machine is shared and noisy.
 *  - "repeat": one frame, the kernel loops (test_run repeat): the program's own cost. Every
 *    repeat figure is the median of 7 runs.
 *  - "per-call": a different frame per syscall (100k flows, or TCP segments that advance the
 *    sequence so the L7 parser really parses); the syscall (~2 us) is in both columns, the
 *    difference ("added") is what wirelens adds.
 * Table 1 splits the L2-L4 path into pieces (bench/bench_pieces.bpf.c); table 2 is the real
 * programs.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "bench_pass.skel.h"
#include "wl_xdp.skel.h"
#include "wl_tc.skel.h"
#include "bench_pieces.skel.h"
#include "bench_l7.skel.h"
#include "live.h"
#include "mem.h"
#include "bench_filter.h"
#include "loader/l7cfg.h"
#include "loader/progs.h"
#include "tests/pktbuild.h"

#define FRAME_MAX 2048
#define SAMPLES	  7
/* make bench QUICK=1 (WL_BENCH_QUICK): fewer runs per figure */
static int REPEAT = 300000, N_EACH = 20000;
#define NFLOWS 100000

static double now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1e9 + t.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Median over SAMPLES test_run calls of REPEAT runs each (ns per run). */
static double run_repeat(int fd, const void *frame, size_t len)
{
	double v[SAMPLES];
	int samples = getenv("WL_BENCH_QUICK") ? 3 : SAMPLES;

	for (int s = 0; s < samples; s++) {
		LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = frame, .data_size_in = len,
			    .repeat = REPEAT);

		if (bpf_prog_test_run_opts(fd, &o))
			return -1;
		v[s] = o.duration;
	}
	qsort(v, samples, sizeof(v[0]), cmp_double);
	return v[samples / 2];
}

static double run_each(int fd, uint8_t (*frames)[FRAME_MAX], const size_t *lens, int n)
{
	double t0 = now_ns();

	for (int i = 0; i < n; i++) {
		LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = frames[i], .data_size_in = lens[i],
			    .repeat = 1);

		bpf_prog_test_run_opts(fd, &o);
	}
	return (now_ns() - t0) / n;
}

/* The same, timed by the kernel (BPF_ENABLE_STATS run_time_ns of the program, tail calls
 * included): the program's own ns per run, without the syscall. */
static double run_each_kernel(int fd, uint8_t (*frames)[FRAME_MAX], const size_t *lens, int n)
{
	struct bpf_prog_info a = {}, b = {};
	__u32 ilen = sizeof(a);

	if (bpf_obj_get_info_by_fd(fd, &a, &ilen))
		return -1;
	run_each(fd, frames, lens, n);
	ilen = sizeof(b);
	if (bpf_obj_get_info_by_fd(fd, &b, &ilen) || b.run_cnt == a.run_cnt)
		return -1;
	return (double)(b.run_time_ns - a.run_time_ns) / (double)(b.run_cnt - a.run_cnt);
}

/* A client's segment to Redis (port 6379) with TCP sequence number seq. */
static size_t redis_req_frame(uint8_t *f, uint32_t seq, const char *payload, size_t len)
{
	struct pkt_spec r = {.family = 4,
			     .src = "198.18.0.1",
			     .dst = "198.18.0.2",
			     .l4 = 6,
			     .sport = 40000,
			     .dport = 6379,
			     .tcp_flags = 0x18,
			     .seq = seq,
			     .payload = payload,
			     .payload_len = len};

	return pkt_build(&r, f, FRAME_MAX);
}

static void header(const char *title, const char *base)
{
	printf("\n%s\n%-5s %-52s %10s %10s %9s %10s\n", title, "hook", "case (ns/packet)",
	       "measured", base, "ratio", "added");
}

/* bench/report.sh reads every row of a round from $WL_BENCH_ROWS (section, name, unit, value,
 * baseline) and prints median, min and max over the rounds. */
static void row(const char *hook, const char *what, double wl, double bare)
{
	static FILE *rows;

	if (!rows && getenv("WL_BENCH_ROWS"))
		rows = fopen(getenv("WL_BENCH_ROWS"), "a");
	if (rows) {
		fprintf(rows, "test_run\t%s %s\tns/packet\t%.1f\t%.1f\n", hook, what, wl, bare);
		fflush(rows);
	}
	printf("%-5s %-52s %10.1f %10.1f %8.2fx %+10.1f\n", hook, what, wl, bare,
	       bare > 0 ? wl / bare : 0, wl - bare);
}

/* Fills the rotation tables of the pieces object: the keys p_rot_* produce (wl_flows with
 * packets past the sniffing window, so the flow cache may take slots: a slot at most every
 * ~100 ms; the IPv4 and per-CPU tables of the levers measured beside it). */
static void fill_rot_flows(struct bench_pieces *pc, const struct wl_flow_key *proto_key)
{
	struct wl_flow_stats st = {.packets = WL_SNIFF_FLOW_PACKETS};
	int ncpu = libbpf_num_possible_cpus();
	struct wl_flow_stats *pcpu = calloc(ncpu > 0 ? ncpu : 1, sizeof(*pcpu));

	for (uint32_t i = 0; i < NFLOWS; i++) {
		struct wl_flow_key k = *proto_key;
		uint32_t a = htonl(0xC6120000 + i);
		struct {
			uint32_t ifindex;
			uint16_t vlan_outer, vlan_inner;
			uint8_t l4_proto, netns_id;
			uint16_t src_port, dst_port, pad;
			uint32_t src_addr, dst_addr;
		} k4 = {.ifindex = k.ifindex,
			.l4_proto = k.l4_proto,
			.src_port = k.src_port,
			.dst_port = k.dst_port,
			.src_addr = a};

		memcpy(k.src_addr, &a, 4);
		bpf_map_update_elem(bpf_map__fd(pc->maps.wl_flows), &k, &st, BPF_ANY);
		if (pcpu)
			bpf_map_update_elem(bpf_map__fd(pc->maps.pc_rot_flows), &k, pcpu, BPF_ANY);
		memcpy(&k4.dst_addr, k.dst_addr, 4);
		bpf_map_update_elem(bpf_map__fd(pc->maps.flows4), &k4, &st, BPF_ANY);
	}
	free(pcpu);
}

/* A typical request of each protocol, as its client sends it (one per packet). */
struct l7_sample {
	const char *name;
	uint8_t proto;
	uint16_t port;
	uint8_t l4;
	uint8_t payload[160];
	size_t len;
	uint8_t reply[512]; /* the server's answer to it (rlen 0: none) */
	size_t rlen;
};

static size_t put_text(uint8_t *to, const char *text)
{
	size_t n = strlen(text);

	memcpy(to, text, n);
	return n;
}

/* A MySQL text result set of one column and `rows` rows of 10 bytes, sequence ids from 1 (the
 * handshake unseen: EOF packets of 5 bytes). Returns its length. */
static size_t mysql_resultset(uint8_t *to, int rows)
{
	static const uint8_t coldef[] = {3, 'd',  'e', 'f', 0, 0,    0, 1, 'c', 0, 0x0c, 0x21,
					 0, 0x28, 0,   0,   0, 0xfd, 0, 0, 0,	0, 0};
	uint8_t seq = 1;
	size_t n = 0;

	/* packet: 3-byte length, sequence id, payload */
#define PUT_PKT(payload, len)                                                                      \
	do {                                                                                       \
		to[n++] = (len)&0xff;                                                              \
		to[n++] = ((len) >> 8) & 0xff;                                                     \
		to[n++] = ((len) >> 16) & 0xff;                                                    \
		to[n++] = seq++;                                                                   \
		memcpy(to + n, payload, len);                                                      \
		n += len;                                                                          \
	} while (0)
	static const uint8_t ncols[] = {1}, eof[] = {0xfe, 0, 0, 2, 0};
	static const uint8_t row[] = {10, '0', '1', '2', '3', '4', '5', '6', '7', '8', '9'};

	PUT_PKT(ncols, sizeof(ncols));
	PUT_PKT(coldef, sizeof(coldef));
	PUT_PKT(eof, sizeof(eof));
	for (int r = 0; r < rows; r++)
		PUT_PKT(row, sizeof(row));
	PUT_PKT(eof, sizeof(eof));
#undef PUT_PKT
	return n;
}

/* A PostgreSQL answer to a simple Query: RowDescription of one column, `rows` DataRows of 10
 * bytes, CommandComplete, ReadyForQuery. Returns its length. */
static size_t postgresql_resultset(uint8_t *to, int rows)
{
	/* one field "x": table 0, column 0, type text (25), typlen -1, typmod -1, format text */
	static const uint8_t desc[] = {'T', 0,	  0,	0,    26,   0,	  1,	'x', 0,
				       0,   0,	  0,	0,    0,    0,	  0,	0,   0,
				       25,  0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0,   0};
	static const uint8_t row[] = {'D', 0,	0,   0,	  20,  0,   1,	 0,   0,   0,  10,
				      '0', '1', '2', '3', '4', '5', '6', '7', '8', '9'};
	static const char done[] = "C\0\0\0\x0eSELECT 16\0Z\0\0\0\x05I";
	size_t n = 0;

	_Static_assert(sizeof(desc) == 27, "RowDescription of one field");
	memcpy(to + n, desc, sizeof(desc));
	n += sizeof(desc);
	for (int r = 0; r < rows; r++) {
		memcpy(to + n, row, sizeof(row));
		n += sizeof(row);
	}
	memcpy(to + n, done, sizeof(done) - 1);
	return n + sizeof(done) - 1;
}

static void l7_samples(struct l7_sample *t, int *n)
{
	static const uint8_t dns_q[] = {0x12, 0x34, 0x01, 0x00, 0,   1,	  0,   0,   0,	 0,
					0,    0,    7,	  'e',	'x', 'a', 'm', 'p', 'l', 'e',
					3,    'c',  'o',  'm',	0,   0,	  1,   0,   1};
	static const uint8_t mongo_find[] = {
		/* MsgHeader: length 55, requestID 1, responseTo 0, opCode 2013 (OP_MSG) */
		55,   0,   0,	0,   1,	   0,	0,   0,	  0,   0,   0,	 0,   0xdd, 0x07, 0,   0,
		0,    0,   0,	0, /* flagBits */
		0,		   /* section kind 0: body */
		34,   0,   0,	0,   0x02, 'f', 'i', 'n', 'd', 0,   2,	 0,   0,    0,	  'c', 0,
		0x02, '$', 'd', 'b', 0,	   5,	0,   0,	  0,   't', 'e', 's', 't',  0,	  0};
	static const uint8_t kafka_metadata[] = {
		0, 0, 0,   17, /* length */
		0, 3, 0,   1,  /* Metadata v1 */
		0, 0, 0,   7,  /* correlation id */
		0, 5, 'b', 'e', 'n', 'c', 'h', 0xff, 0xff, 0xff, 0xff /* client id, all topics */};
	static const char pg_q[] = "Q\0\0\0\x0dSELECT 1";
	static const char my_q[] = "\x09\0\0\0\x03SELECT 1";
	/* the replies: DNS the same id and question, 0 answers; MySQL an OK packet; PostgreSQL
	 * CommandComplete + ReadyForQuery; MongoDB OP_MSG {ok: 1.0} responseTo 1; Kafka Metadata v1
	 * response with correlation id 7, no brokers, no topics */
	static const uint8_t dns_r[] = {0x12, 0x34, 0x81, 0x80, 0,   1,	  0,   0,   0,	 0,
					0,    0,    7,	  'e',	'x', 'a', 'm', 'p', 'l', 'e',
					3,    'c',  'o',  'm',	0,   0,	  1,   0,   1};
	static const uint8_t my_ok[] = {7, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0};
	static const char pg_r[] = "C\0\0\0\x0dSELECT 1\0Z\0\0\0\x05I";
	static const uint8_t mongo_ok[] = {38,	 0,   0, 0, 2, 0, 0, 0, 1,  0,	  0,	0, 0xdd,
					   0x07, 0,   0, 0, 0, 0, 0, 0, 17, 0,	  0,	0, 0x01,
					   'o',	 'k', 0, 0, 0, 0, 0, 0, 0,  0xf0, 0x3f, 0};
	static const uint8_t kafka_r[] = {0, 0, 0, 16, 0, 0, 0, 7, 0, 0,
					  0, 0, 0, 0,  0, 1, 0, 0, 0, 0};
	int i = 0;

	t[i] = (struct l7_sample){
		.name = "memcached: get", .proto = WL_L7_MEMCACHED, .port = 11211, .l4 = 6};
	t[i].len = put_text(t[i].payload, "get key:0000000001\r\n");
	t[i].rlen = put_text(t[i].reply, "VALUE key:0000000001 0 3\r\nxxx\r\nEND\r\n");
	i++;
	t[i] = (struct l7_sample){.name = "http: GET", .proto = WL_L7_HTTP, .port = 80, .l4 = 6};
	t[i].len = put_text(t[i].payload, "GET /index.html HTTP/1.1\r\nHost: 198.18.0.2\r\n"
					  "User-Agent: bench\r\nAccept: */*\r\n\r\n");
	t[i].rlen = put_text(t[i].reply, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
	i++;
	t[i] = (struct l7_sample){
		.name = "dns: A query (UDP)", .proto = WL_L7_DNS, .port = 53, .l4 = 17};
	memcpy(t[i].payload, dns_q, sizeof(dns_q));
	t[i].len = sizeof(dns_q);
	memcpy(t[i].reply, dns_r, sizeof(dns_r));
	t[i].rlen = sizeof(dns_r);
	i++;
	t[i] = (struct l7_sample){
		.name = "mysql: COM_QUERY SELECT", .proto = WL_L7_MYSQL, .port = 3306, .l4 = 6};
	memcpy(t[i].payload, my_q, sizeof(my_q) - 1);
	t[i].len = sizeof(my_q) - 1;
	memcpy(t[i].reply, my_ok, sizeof(my_ok));
	t[i].rlen = sizeof(my_ok);
	i++;
	/* the same query answered with a result set: a column, its EOF, 16 rows of 10 bytes and the
	 * final EOF (rows are most of what a read workload's responses carry) */
	t[i] = (struct l7_sample){.name = "mysql: SELECT, 16-row result set",
				  .proto = WL_L7_MYSQL,
				  .port = 3306,
				  .l4 = 6};
	memcpy(t[i].payload, my_q, sizeof(my_q) - 1);
	t[i].len = sizeof(my_q) - 1;
	t[i].rlen = mysql_resultset(t[i].reply, 16);
	i++;
	t[i] = (struct l7_sample){
		.name = "postgresql: Query SELECT", .proto = WL_L7_POSTGRES, .port = 5432, .l4 = 6};
	memcpy(t[i].payload, pg_q, sizeof(pg_q)); /* with the string's NUL */
	t[i].len = sizeof(pg_q);
	memcpy(t[i].reply, pg_r, sizeof(pg_r) - 1);
	t[i].rlen = sizeof(pg_r) - 1;
	i++;
	t[i] = (struct l7_sample){.name = "postgresql: SELECT, 16-row result set",
				  .proto = WL_L7_POSTGRES,
				  .port = 5432,
				  .l4 = 6};
	memcpy(t[i].payload, pg_q, sizeof(pg_q));
	t[i].len = sizeof(pg_q);
	t[i].rlen = postgresql_resultset(t[i].reply, 16);
	i++;
	t[i] = (struct l7_sample){
		.name = "mongodb: OP_MSG find", .proto = WL_L7_MONGODB, .port = 27017, .l4 = 6};
	memcpy(t[i].payload, mongo_find, sizeof(mongo_find));
	t[i].len = sizeof(mongo_find);
	memcpy(t[i].reply, mongo_ok, sizeof(mongo_ok));
	t[i].rlen = sizeof(mongo_ok);
	i++;
	t[i] = (struct l7_sample){
		.name = "kafka: Metadata v1", .proto = WL_L7_KAFKA, .port = 9092, .l4 = 6};
	memcpy(t[i].payload, kafka_metadata, sizeof(kafka_metadata));
	t[i].len = sizeof(kafka_metadata);
	memcpy(t[i].reply, kafka_r, sizeof(kafka_r));
	t[i].rlen = sizeof(kafka_r);
	i++;
	*n = i;
}

/* The rewinding copy of the XDP path and Redis parser (bench/bench_l7.bpf.c), on the real
 * programs' maps: names, ports and stats as the loader set them. */
static struct bench_l7 *bench_l7_load(struct wl_progs *p)
{
	struct bench_l7 *b = bench_l7__open();
	struct bpf_map *map;
	__u32 proto = WL_L7_REDIS;
	int fd;

	if (!b)
		return NULL;
	bpf_object__for_each_map(map, b->obj)
	{
		struct bpf_map *twin;

		if (bpf_map__is_internal(map) || map == b->maps.wl_l7_progs_xdp)
			continue;
		twin = bpf_object__find_map_by_name(p->xdp->obj, bpf_map__name(map));
		if (!twin || bpf_map__set_max_entries(map, bpf_map__max_entries(twin)) ||
		    bpf_map__reuse_fd(map, bpf_map__fd(twin)))
			goto fail;
	}
	if (bench_l7__load(b))
		goto fail;
	fd = bpf_program__fd(b->progs.wl_l7_redis);
	if (bpf_map_update_elem(bpf_map__fd(b->maps.wl_l7_progs_xdp), &proto, &fd, BPF_ANY))
		goto fail;
	return b;
fail:
	bench_l7__destroy(b);
	return NULL;
}

/* 1M distinct flows in turn through the XDP program whose flow table holds them all (flows_max
 * 1M, its own load), per call: every packet a different flow, table and buckets cache-cold. */
#define NFLOWS_1M (1 << 20)
#define FRAME_1M  128
static int bench_1m_flows(const struct pkt_spec *s)
{
	static uint8_t fr[NFLOWS_1M][FRAME_1M];
	static size_t fl[NFLOWS_1M];
	struct wl_load_opts lo = {.flows_max = NFLOWS_1M};
	struct bench_pass *bare = bench_pass__open_and_load();
	double t0, each = 0, each_bare = 0;
	struct wl_progs p;
	int fd, bfd;

	if (!bare || wl_progs_load(&p, &lo) || wl_l7_config_init(&p))
		return 1;
	fd = wl_progs_xdp_fd(&p);
	bfd = bpf_program__fd(bare->progs.bare_xdp);
	for (int i = 0; i < NFLOWS_1M; i++) {
		char src[32];
		struct pkt_spec f = *s;

		snprintf(src, sizeof(src), "198.18.%d.%d", i / 256 % 256, i % 256);
		f.src = src;
		f.sport = 1024 + i / 65536;
		fl[i] = pkt_build(&f, fr[i], FRAME_1M);
	}
	for (int pass = 0; pass < 3; pass++) { /* fill, then wirelens and bare */
		int prog = pass == 2 ? bfd : fd;

		t0 = now_ns();
		for (int i = 0; i < NFLOWS_1M; i++) {
			LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = fr[i], .data_size_in = fl[i],
				    .repeat = 1);

			bpf_prog_test_run_opts(prog, &o);
		}
		if (pass == 1)
			each = (now_ns() - t0) / NFLOWS_1M;
		else if (pass == 2)
			each_bare = (now_ns() - t0) / NFLOWS_1M;
	}
	row("xdp", "L2-L4, 1M flows in turn (per-call, flows_max 1M)", each, each_bare);
	wl_progs_close(&p);
	bench_pass__destroy(bare);
	return 0;
}

/* The TCP frame of tables 1b and 3 from the UDP frame of tables 1 and 2 (same addresses): a
 * segment with 44 payload bytes no sniffer claims, to a port no protocol has. */
static struct pkt_spec tcp_frame_of(const struct pkt_spec *udp)
{
	struct pkt_spec t = *udp;

	t.l4 = 6;
	t.sport = 40000;
	t.dport = 6380;
	t.tcp_flags = 0x18;
	t.seq = 1000;
	t.payload = "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx";
	t.payload_len = 44;
	return t;
}

/* A table of bench/bench_pieces.bpf.c programs (XDP, repeat) on one frame. */
struct piece {
	const char *name, *what;
};

static void pieces_table(struct bench_pieces *pc, const char *title, const struct piece *pieces,
			 size_t n, const struct pkt_spec *spec, int bare_fd)
{
	static uint8_t f[FRAME_MAX];
	size_t len = pkt_build(spec, f, FRAME_MAX);
	double b = run_repeat(bare_fd, f, len);

	header(title, "bare");
	for (size_t i = 0; i < n; i++) {
		struct bpf_program *prog =
			bpf_object__find_program_by_name(pc->obj, pieces[i].name);

		row("xdp", pieces[i].what, run_repeat(bpf_program__fd(prog), f, len), b);
	}
}

/* bench_wirelens tcp: both hooks on the UDP frame, the TCP segment and a bare ACK of a Redis
 * connection (no payload: no L7 hand-off): a quick A/B of the path of every TCP segment. */
static int bench_tcp_rows(struct wl_progs *p, struct bench_pass *bare, const struct pkt_spec *u)
{
	struct pkt_spec t = tcp_frame_of(u), a = t;
	const struct pkt_spec *spec[3] = {u, &t, &a};
	static const char *const what[3] = {"L2-L4, 1 flow (repeat)",
					    "TCP segment, no L7 port (repeat)",
					    "TCP bare ACK, Redis port (repeat)"};
	int fd[2] = {wl_progs_xdp_fd(p), wl_progs_tc_fd(p)};
	int bfd[2] = {bpf_program__fd(bare->progs.bare_xdp), bpf_program__fd(bare->progs.bare_tc)};
	const char *hook[2] = {"xdp", "tc"};
	static uint8_t f[3][FRAME_MAX];
	size_t len[3];

	a.dport = 6379;
	a.tcp_flags = 0x10;
	a.payload_len = 0;
	for (int i = 0; i < 3; i++)
		len[i] = pkt_build(spec[i], f[i], FRAME_MAX);
	header("TCP path A/B (repeat)", "bare");
	for (int h = 0; h < 2; h++)
		for (int i = 0; i < 3; i++)
			row(hook[h], what[i], run_repeat(fd[h], f[i], len[i]),
			    run_repeat(bfd[h], f[i], len[i]));
	return 0;
}

/* Processed instructions of every program of an object (the verifier's budget is per program). */
static void print_verifier(struct bpf_object *obj, const char *hook)
{
	struct bpf_program *prog;

	bpf_object__for_each_program(prog, obj)
	{
		struct bpf_prog_info info = {};
		__u32 ilen = sizeof(info);

		if (bpf_obj_get_info_by_fd(bpf_program__fd(prog), &info, &ilen))
			continue;
		printf("verifier: %-4s %-18s %7u instructions processed (limit 1000000), %6u B "
		       "xlated\n",
		       hook, bpf_program__name(prog), info.verified_insns, info.xlated_prog_len);
	}
}

int main(int argc, char **argv)
{
	static uint8_t frames[NFLOWS][FRAME_MAX];
	static size_t lens[NFLOWS];
	struct wl_load_opts lo = {.flows_max = 131072};
	struct bench_pieces *pc;
	struct bench_pass *bare;
	struct wl_progs p;
	struct pkt_spec s = {.family = 4,
			     .src = "198.18.0.1",
			     .dst = "198.18.0.2",
			     .l4 = 17,
			     .sport = 1000,
			     .dport = 2000,
			     .payload = "0123456789abcdef",
			     .payload_len = 16};
	const char *cmd = "*3\r\n$3\r\nSET\r\n$16\r\nkey:000000000001\r\n$3\r\nxxx\r\n";
	int hook_fd[2], bare_fd[2];
	const char *hook_name[2] = {"xdp", "tc"};
	size_t len;

	int only_l7 = argc == 2 && !strcmp(argv[1], "l7"), stats_fd = -1;
	int only_filter = argc == 2 && !strcmp(argv[1], "filter");

	if (getenv("WL_BENCH_QUICK")) {
		REPEAT = 50000;
		N_EACH = 4000;
	}
	if (argc == 2 && !strcmp(argv[1], "mem"))
		return bench_mem_main();
	if (argc > 1 && !only_l7 && !only_filter && strcmp(argv[1], "tcp"))
		return bench_live_main(argc, argv);
	wl_libbpf_quiet(false);
	if (wl_progs_load(&p, &lo) || wl_l7_config_init(&p))
		return 1;
	bare = bench_pass__open_and_load();
	if (!bare)
		return 1;
	if (argc == 2 && !strcmp(argv[1], "tcp")) /* A/B runs of the TCP path's rows */
		return bench_tcp_rows(&p, bare, &s);
	if (only_filter) { /* bench_wirelens filter: the filter's table alone */
		int hf[2] = {wl_progs_xdp_fd(&p), wl_progs_tc_fd(&p)};
		int bf[2] = {bpf_program__fd(bare->progs.bare_xdp),
			     bpf_program__fd(bare->progs.bare_tc)};

		return bench_filter(&p, hf, bf);
	}
	pc = bench_pieces__open();
	if (!pc || bpf_map__set_max_entries(pc->maps.wl_flows, 131072) || bench_pieces__load(pc))
		return 1;
	hook_fd[0] = wl_progs_xdp_fd(&p);
	hook_fd[1] = wl_progs_tc_fd(&p);
	bare_fd[0] = bpf_program__fd(bare->progs.bare_xdp);
	bare_fd[1] = bpf_program__fd(bare->progs.bare_tc);
	len = pkt_build(&s, frames[0], FRAME_MAX);
	if (only_l7)
		goto l7;

	/* ---- table 1: the L2-L4 path piece by piece (XDP, repeat, 1 flow) ---- */
	{
		static const struct piece pieces[] = {
			{"p_ktime", "bpf_ktime_get_ns() alone"},
			{"p_coarse", "bpf_ktime_get_coarse_ns() alone"},
			{"p_buff_len", "bpf_xdp_get_buff_len() alone"},
			{"p_parse", "counters + L2-L4 parse"},
			{"p_lru_plain", "+ flow lookup (LRU), plain adds"},
			{"p_lru_atomic", "+ flow lookup (LRU), 2 atomic adds"},
			{"p_pcpu_lru", "+ flow lookup (per-CPU LRU), plain adds"},
			{"p_hash", "+ flow lookup (hash), 2 atomic adds"},
			{"p_l2l4", "L2-L4 path as in wl_process (no L7), flow cache hit"},
			{"p_shared", "the same without the flow cache (all to wl_flows)"},
			{"p_key24", "the same, a 24-byte IPv4 key (not the ABI's)"},
			{"p_key16", "the same, a 16-byte key (no room for ABI fields)"},
			{"p_full", "wl_process (L7 hand-off, no L7 port)"},
		};

		pieces_table(pc,
			     "Table 1. Where the L2-L4 time goes: XDP, repeat, one UDP flow "
			     "(bench/bench_pieces.bpf.c)",
			     pieces, sizeof(pieces) / sizeof(pieces[0]), &s, bare_fd[0]);
	}
	/* ---- table 1b: the same for a TCP segment with payload to a port no protocol claims */
	{
		static const struct piece pieces[] = {
			{"p_parse", "counters + L2-L4 parse"},
			{"p_l2l4", "L2-L4 path as in wl_process (no L7)"},
			{"p_tcp_ports", "+ ports map lookups (both ports)"},
			{"p_tcp_head", "L2-L4 + payload head copy (16 B)"},
			{"p_tcp_classify", "L2-L4 + wl_l7_classify (ports, head, sniff)"},
			{"p_full", "wl_process (L7 hand-off, no L7 port)"},
		};
		struct pkt_spec t = tcp_frame_of(&s);

		pieces_table(pc, "Table 1b. The same for a TCP segment with payload, no L7 port",
			     pieces, sizeof(pieces) / sizeof(pieces[0]), &t, bare_fd[0]);
	}

	/* ---- table 2: the real programs ---- */
	header("Table 2. wirelens programs vs a bare program of the same hook (same run)", "bare");
	for (int h = 0; h < 2; h++)
		row(hook_name[h], "L2-L4, 1 flow (repeat)", run_repeat(hook_fd[h], frames[0], len),
		    run_repeat(bare_fd[h], frames[0], len));
	/* 100k distinct flows: the source address and port vary. */
	for (int i = 0; i < NFLOWS; i++) {
		char src[32];
		struct pkt_spec f = s;

		snprintf(src, sizeof(src), "198.18.%d.%d", 1 + i / 65536 % 200, i / 256 % 256);
		f.src = src;
		f.sport = 1024 + i % 256 * 200 + i / 65536;
		lens[i] = pkt_build(&f, frames[i], FRAME_MAX);
	}
	for (int h = 0; h < 2; h++) {
		double each, each_bare;

		wl_map_clear(wl_map_flows_fd(&p));
		run_each(hook_fd[h], frames, lens, NFLOWS); /* fill the table */
		/* one of the 100k entries, looked up again and again: big table, warm cache */
		row(hook_name[h], "L2-L4, 1 of 100k flows hit (repeat)",
		    run_repeat(hook_fd[h], frames[NFLOWS / 2], lens[NFLOWS / 2]),
		    run_repeat(bare_fd[h], frames[NFLOWS / 2], lens[NFLOWS / 2]));
		each = run_each(hook_fd[h], frames, lens, NFLOWS);
		each_bare = run_each(bare_fd[h], frames, lens, NFLOWS);
		row(hook_name[h], "L2-L4, 100k flows in turn (per-call)", each, each_bare);
	}
	/* 100k flows with repeat: the pieces object rotates the key over a filled 100k table */
	{
		struct wl_flow_key k = {.ifindex = 1, .l3_proto = 0x0800, .l4_proto = 17};
		int rot = bpf_program__fd(pc->progs.p_rot_l2l4);
		int rot_parse = bpf_program__fd(pc->progs.p_rot_parse);
		int rot_sh = bpf_program__fd(pc->progs.p_rot_shared);
		double r, rp, rf, b;

		k.src_port = 1000;
		k.dst_port = 2000;
		inet_pton(AF_INET, "198.18.0.2", k.dst_addr);
		fill_rot_flows(pc, &k);
		r = run_repeat(rot, frames[0], len);
		rp = run_repeat(rot_parse, frames[0], len);
		rf = run_repeat(rot_sh, frames[0], len);
		b = run_repeat(bare_fd[0], frames[0], len);
		row("xdp", "L2-L4, 100k flows in turn (repeat, key rotated)", r, b);
		row("xdp", "  of which flow accounting (vs same w/o flow)", r, rp);
		row("xdp", "  without the flow cache (all to wl_flows)", rf, b);
		/* the levers beside it (bench_pieces.bpf.c), each against the path without flows */
		row("xdp", "  lever: IPv4 table, 24-byte key (vs same w/o flow)",
		    run_repeat(bpf_program__fd(pc->progs.p_rot_key24), frames[0], len), rp);
		row("xdp", "  lever: per-CPU LRU, plain adds (vs same w/o flow)",
		    run_repeat(bpf_program__fd(pc->progs.p_rot_pcpu), frames[0], len), rp);
		row("xdp", "  floor: one 144 B array element (vs same w/o flow)",
		    run_repeat(bpf_program__fd(pc->progs.p_rot_elem), frames[0], len), rp);
		row("xdp", "  churn, 32k LRU: insert + evict each (vs same w/o)",
		    run_repeat(bpf_program__fd(pc->progs.p_churn_common), frames[0], len), rp);
		row("xdp", "  the same, BPF_F_NO_COMMON_LRU (vs same w/o flow)",
		    run_repeat(bpf_program__fd(pc->progs.p_churn_percpu), frames[0], len), rp);
	}
	if (getenv("WL_BENCH_L2L4")) /* tables 1 and 2's L2-L4 rows only (A/B runs) */
		return 0;
	if (!getenv("WL_BENCH_NO_1M") && bench_1m_flows(&s))
		return 1;
	if (bench_filter(&p, hook_fd, bare_fd))
		return 1;
l7:
	/* Redis: segments of one connection whose sequence advances, so each is parsed. The
	 * kernel-timed rows are the program's own time (BPF stats), without the syscall. */
	header("Table 3. L7: connections whose sequence advances (per-call and kernel-timed)",
	       "bare");
	{
		struct bench_l7 *bl = bench_l7_load(&p);
		char payload[1600] = "";
		struct pkt_spec r = {.family = 4,
				     .src = "198.18.0.1",
				     .dst = "198.18.0.2",
				     .l4 = 6,
				     .sport = 40000,
				     .dport = 6380, /* no protocol: the L2-L4 path alone */
				     .tcp_flags = 0x18,
				     .seq = 1000,
				     .payload = payload};
		static uint8_t f[FRAME_MAX];
		size_t flen;
		double bb;

		if (!bl) {
			fprintf(stderr, "bench: cannot load bench_l7\n");
			return 1;
		}
		/* a payload no sniffer claims, on a port no protocol has */
		memset(payload, 'x', 44);
		r.payload_len = 44;
		flen = pkt_build(&r, f, FRAME_MAX);
		bb = run_repeat(bare_fd[0], f, flen);
		row("xdp", "TCP segment, no L7 port (repeat)", run_repeat(hook_fd[0], f, flen), bb);
		/* no payload: no L7 hand-off (no connection lookup, no precise clock) */
		r.dport = 6379;
		r.tcp_flags = 0x10;
		r.payload_len = 0;
		flen = pkt_build(&r, f, FRAME_MAX);
		row("xdp", "TCP bare ACK, Redis port (repeat)", run_repeat(hook_fd[0], f, flen),
		    bb);
		r.tcp_flags = 0x18;
		r.dport = 6379;
		strcpy(payload, cmd);
		r.payload_len = strlen(payload);
		flen = pkt_build(&r, f, FRAME_MAX);
		run_repeat(hook_fd[0], f, flen);
		row("xdp", "Redis, 1 SET, seen before (repeat: retransmission)",
		    run_repeat(hook_fd[0], f, flen), bb);
		for (int ncmd = 1; ncmd <= 16; ncmd += 15) {
			char what[64];

			payload[0] = 0;
			for (int i = 0; i < ncmd; i++)
				strcat(payload, cmd);
			r.payload_len = strlen(payload);
			flen = pkt_build(&r, f, FRAME_MAX);
			wl_map_clear(wl_map_conns_fd(&p));
			snprintf(what, sizeof(what), "Redis, %d SET%s per packet (repeat, rewound)",
				 ncmd, ncmd > 1 ? "s" : "");
			row("xdp", what, run_repeat(bpf_program__fd(bl->progs.bl_xdp), f, flen),
			    bb);
			/* WL_BENCH_SPIN=N: loop on this row for a profiler (N commands) */
			while (getenv("WL_BENCH_SPIN") && atoi(getenv("WL_BENCH_SPIN")) == ncmd)
				run_repeat(bpf_program__fd(bl->progs.bl_xdp), f, flen);
		}
		/* replies: the connection has the 16 SETs pending (the rewound bench keeps its
		 * first FIFO entry pending) */
		for (int ncmd = 1; ncmd <= 16; ncmd += 15) {
			struct pkt_spec q = r;
			char what[64];

			q.src = r.dst;
			q.dst = r.src;
			q.sport = r.dport;
			q.dport = r.sport;
			q.seq = 77000;
			payload[0] = 0;
			for (int i = 0; i < ncmd; i++)
				strcat(payload, "+OK\r\n");
			q.payload_len = strlen(payload);
			flen = pkt_build(&q, f, FRAME_MAX);
			snprintf(what, sizeof(what),
				 "Redis, %d +OK repl%s per packet (repeat, rewound)", ncmd,
				 ncmd > 1 ? "ies" : "y");
			row("xdp", what, run_repeat(bpf_program__fd(bl->progs.bl_xdp), f, flen),
			    bb);
			/* WL_BENCH_SPIN=-N: loop on N replies */
			while (getenv("WL_BENCH_SPIN") && atoi(getenv("WL_BENCH_SPIN")) == -ncmd)
				run_repeat(bpf_program__fd(bl->progs.bl_xdp), f, flen);
		}
		bench_l7__destroy(bl);
	}
	stats_fd = bpf_enable_stats(BPF_STATS_RUN_TIME);
	for (int ncmd = 1; ncmd <= 16; ncmd += 15) {
		char payload[1600] = "";
		uint32_t seq = 1000;
		int n = N_EACH;

		for (int i = 0; i < ncmd; i++)
			strcat(payload, cmd);
		for (int i = 0; i < n; i++) {
			lens[i] = redis_req_frame(frames[i], seq, payload, strlen(payload));
			seq += strlen(payload);
		}
		for (int h = 0; h < 2; h++) {
			char what[64];

			wl_map_clear(wl_map_conns_fd(&p));
			run_each(hook_fd[h], frames, lens, 1000);
			snprintf(what, sizeof(what), "Redis, %d SET%s per packet (per-call)", ncmd,
				 ncmd > 1 ? "s" : "");
			wl_map_clear(wl_map_conns_fd(&p));
			row(hook_name[h], what, run_each(hook_fd[h], frames, lens, n),
			    run_each(bare_fd[h], frames, lens, n));
			if (stats_fd < 0)
				continue;
			snprintf(what, sizeof(what), "Redis, %d SET%s per packet (kernel-timed)",
				 ncmd, ncmd > 1 ? "s" : "");
			wl_map_clear(wl_map_conns_fd(&p));
			row(hook_name[h], what, run_each_kernel(hook_fd[h], frames, lens, n),
			    run_each_kernel(bare_fd[h], frames, lens, n));
		}
	}
	/* The replies too: request and reply packets alternate (16 SETs, then 16 "+OK"). */
	if (stats_fd >= 0) {
		char reqs[1600] = "", oks[100] = "";
		uint32_t cseq = 1000, sseq = 900000;
		int n = N_EACH;

		for (int i = 0; i < 16; i++) {
			strcat(reqs, cmd);
			strcat(oks, "+OK\r\n");
		}
		for (int i = 0; i < n; i++) {
			int reply = i & 1;
			struct pkt_spec r = {.family = 4,
					     .src = reply ? "198.18.0.2" : "198.18.0.1",
					     .dst = reply ? "198.18.0.1" : "198.18.0.2",
					     .l4 = 6,
					     .sport = reply ? 6379 : 40000,
					     .dport = reply ? 40000 : 6379,
					     .tcp_flags = 0x18,
					     .seq = reply ? sseq : cseq,
					     .payload = reply ? oks : reqs,
					     .payload_len = strlen(reply ? oks : reqs)};

			lens[i] = pkt_build(&r, frames[i], FRAME_MAX);
			if (reply)
				sseq += strlen(oks);
			else
				cseq += strlen(reqs);
		}
		for (int h = 0; h < 2; h++) {
			wl_map_clear(wl_map_conns_fd(&p));
			row(hook_name[h], "Redis, 16 SETs / 16 replies alternate (kernel-timed)",
			    run_each_kernel(hook_fd[h], frames, lens, n),
			    run_each_kernel(bare_fd[h], frames, lens, n));
		}
	}
	/* The middle segments of a long value: one SET whose value outlasts the frames, so that no
	 * message starts or ends in them (nothing but a body to skip, no clock to read). */
	if (stats_fd >= 0) {
		static char seg[1449];
		uint32_t seq = 1000;
		int n = N_EACH, hl;

		hl = snprintf(seg, sizeof(seg), "*3\r\n$3\r\nSET\r\n$3\r\nkey\r\n$%d\r\n",
			      1448 * n);
		memset(seg + hl, 'x', sizeof(seg) - 1 - hl);
		for (int i = 0; i < n; i++) {
			lens[i] = redis_req_frame(frames[i], seq, seg, 1448);
			seq += 1448;
			if (!i)
				memset(seg, 'x', hl);
		}
		for (int h = 0; h < 2; h++) {
			wl_map_clear(wl_map_conns_fd(&p));
			row(hook_name[h],
			    "Redis, a long value's 1,448-byte segments (kernel-timed)",
			    run_each_kernel(hook_fd[h], frames, lens, n),
			    run_each_kernel(bare_fd[h], frames, lens, n));
		}
	}
	/* A typical request of each protocol: connections whose sequence advances (per-call). */
	{
		struct l7_sample t[10];
		int nt;

		l7_samples(t, &nt);
		for (int k = 0; k < nt; k++) {
			__u32 port = t[k].port;
			__u8 v = t[k].proto;
			uint32_t seq = 1000;
			int n = N_EACH;

			bpf_map_update_elem(wl_map_ports_fd(&p), &port, &v, BPF_ANY);
			for (int i = 0; i < n; i++) {
				struct pkt_spec r = {.family = 4,
						     .src = "198.18.0.1",
						     .dst = "198.18.0.2",
						     .l4 = t[k].l4,
						     .sport = (uint16_t)(t[k].l4 == 17
										 ? 10000 + i % 20000
										 : 40000),
						     .dport = t[k].port,
						     .tcp_flags = 0x18,
						     .seq = seq,
						     .payload = t[k].payload,
						     .payload_len = t[k].len};

				lens[i] = pkt_build(&r, frames[i], FRAME_MAX);
				seq += t[k].len;
			}
			for (int h = 0; h < 2; h++) {
				char what[64];

				wl_map_clear(wl_map_conns_fd(&p));
				row(hook_name[h], t[k].name, run_each(hook_fd[h], frames, lens, n),
				    run_each(bare_fd[h], frames, lens, n));
				if (stats_fd < 0)
					continue;
				snprintf(what, sizeof(what), "%s (kernel-timed)", t[k].name);
				wl_map_clear(wl_map_conns_fd(&p));
				row(hook_name[h], what,
				    run_each_kernel(hook_fd[h], frames, lens, n),
				    run_each_kernel(bare_fd[h], frames, lens, n));
			}
			if (stats_fd < 0 || !t[k].rlen)
				continue;
			/* request and reply alternate on one connection (UDP: one port per pair) */
			{
				uint32_t cseq = 1000, sseq = 900000;

				for (int i = 0; i < n; i++) {
					int reply = i & 1;
					uint16_t cport =
						t[k].l4 == 17 ? 10000 + i / 2 % 20000 : 40000;
					struct pkt_spec r = {
						.family = 4,
						.src = reply ? "198.18.0.2" : "198.18.0.1",
						.dst = reply ? "198.18.0.1" : "198.18.0.2",
						.l4 = t[k].l4,
						.sport = reply ? t[k].port : cport,
						.dport = reply ? cport : t[k].port,
						.tcp_flags = 0x18,
						.seq = reply ? sseq : cseq,
						.payload = reply ? t[k].reply : t[k].payload,
						.payload_len = reply ? t[k].rlen : t[k].len};

					lens[i] = pkt_build(&r, frames[i], FRAME_MAX);
					if (reply)
						sseq += t[k].rlen;
					else
						cseq += t[k].len;
				}
				for (int h = 0; h < 2; h++) {
					char what[80];

					snprintf(what, sizeof(what),
						 "%s + reply, alternate (kernel-timed)", t[k].name);
					wl_map_clear(wl_map_conns_fd(&p));
					row(hook_name[h], what,
					    run_each_kernel(hook_fd[h], frames, lens, n),
					    run_each_kernel(bare_fd[h], frames, lens, n));
				}
			}
		}
	}
	if (stats_fd >= 0)
		close(stats_fd);
	if (only_l7) {
		print_verifier(p.xdp->obj, "xdp");
		goto out;
	}
	printf("\nrepeat: median of %d test_run calls x %d runs; per-call: wall time per "
	       "syscall over the frame set.\n",
	       SAMPLES, REPEAT);
	printf("\"1 of 100k flows hit\" looks one key up in a 100k-entry LRU (its bucket stays "
	       "cached);\n\"key rotated\" walks all 100k entries with repeat (cache-cold "
	       "lookups, no syscall in the figure);\n\"per-call\" is dominated by the syscall: "
	       "read its \"added\" column.\n");
	print_verifier(p.xdp->obj, "xdp");
	print_verifier(p.tc->obj, "tc");
	printf("per tracked connection: %zu B of state + %zu B key\n", sizeof(struct wl_conn),
	       sizeof(struct wl_conn_key));
out:
	bench_pieces__destroy(pc);
	bench_pass__destroy(bare);
	wl_progs_close(&p);
	return 0;
}
