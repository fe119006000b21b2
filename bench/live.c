// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The live half of the benchmark, driven by bench/pktgen.sh (which makes the namespaces):
 *   bench_wirelens live-attach IFACE drop|pass|wirelens   native XDP on IFACE, left attached
 *   bench_wirelens live-gen IFACE DST_MAC SECONDS FLOWS     send UDP frames out of IFACE
 *       for SECONDS, or until SIGUSR1 (taken between two batches, so the count stays exact:
 *       tests/live/faults_detach.sh)
 *   bench_wirelens live-flood IFACE DST_MAC DST_IP DPORT COUNT syn|udp
 *       send COUNT frames, each from a new random source (198.19.0.0/16) and port: a SYN flood
 *       or one-packet UDP flows (tests/live/flood.sh)
 * The generator is an XDP program run by BPF_PROG_TEST_RUN with BPF_F_TEST_XDP_LIVE_FRAMES:
 * its XDP_TX becomes a transmit on IFACE (a veth), so frames arrive at the peer at a rate no
 * user-space sender reaches. Some kernels refuse live frames (EPERM, seen on a 6.18 VM host):
 * then, or with WL_LIVE_GEN=af_packet, an AF_PACKET socket sends the same frames in batches
 * (sendmmsg, past the qdisc), slower but with an exact count: a frame the veth refuses (its
 * peer's queue full) fails its send and is counted as refused, not as sent. The closing line
 * names the generator. Addresses: 198.18.0.0/15 only.
 */
#include <errno.h>
#include <stdbool.h>
#include <net/if.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <time.h>
#include <arpa/inet.h>
#include <sys/socket.h>
#include <linux/if_link.h>
#include <linux/if_packet.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "bench_gen.skel.h"
#include "live.h"
#include "loader/l7cfg.h"
#include "loader/progs.h"
#include "tests/pktbuild.h"

static int live_attach(const char *ifname, const char *variant)
{
	int ifindex = if_nametoindex(ifname), fd = -1, err;
	struct bench_gen *g = NULL;
	struct wl_progs p;

	if (!ifindex) {
		fprintf(stderr, "live-attach: no interface %s\n", ifname);
		return 1;
	}
	if (!strcmp(variant, "wirelens")) {
		struct wl_load_opts lo = {0}; /* private maps: held by the attached program */

		if (wl_progs_load(&p, &lo) || wl_l7_config_init(&p))
			return 1;
		fd = wl_progs_xdp_fd(&p);
	} else {
		g = bench_gen__open_and_load();
		if (!g)
			return 1;
		if (!strcmp(variant, "drop"))
			fd = bpf_program__fd(g->progs.rx_drop);
		else if (!strcmp(variant, "pass"))
			fd = bpf_program__fd(g->progs.rx_pass);
	}
	if (fd < 0) {
		fprintf(stderr, "live-attach: unknown variant %s\n", variant);
		return 1;
	}
	/* netlink attach (not a bpf_link): the program stays after this process exits */
	err = bpf_xdp_attach(ifindex, fd, XDP_FLAGS_DRV_MODE, NULL);
	if (err) {
		fprintf(stderr, "live-attach: %s on %s: %s\n", variant, ifname, strerror(-err));
		return 1;
	}
	return 0;
}

static double now_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec / 1e9;
}

/* Does this error of a live-frames test_run mean the kernel does not offer it here? */
static bool live_frames_refused(int err)
{
	return err == EPERM || err == EOPNOTSUPP || err == EINVAL || err == 524 /* ENOTSUPP */;
}

static bool afp_forced(void)
{
	const char *g = getenv("WL_LIVE_GEN");

	return g && !strcmp(g, "af_packet");
}

/* The user-space sender: a batch of frames, each varied in place before a send. */
#define AFP_BATCH 64
#define AFP_FRAME 128
struct afp_sender {
	int fd;
	uint8_t frame[AFP_BATCH][AFP_FRAME];
	struct iovec iov[AFP_BATCH];
	struct mmsghdr msg[AFP_BATCH];
	unsigned long long refused; /* frames the device did not take (ENOBUFS) */
};

static struct afp_sender *afp_open(const char *who, int ifindex, const uint8_t *frame, size_t len)
{
	struct sockaddr_ll sll = {.sll_family = AF_PACKET, .sll_ifindex = ifindex};
	struct afp_sender *a = calloc(1, sizeof(*a));
	int one = 1;

	if (!a || len > AFP_FRAME) {
		free(a);
		return NULL;
	}
	/* protocol 0: a sender only, nothing is queued to this socket */
	a->fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
	if (a->fd < 0 || bind(a->fd, (struct sockaddr *)&sll, sizeof(sll)) ||
	    setsockopt(a->fd, SOL_PACKET, PACKET_QDISC_BYPASS, &one, sizeof(one))) {
		fprintf(stderr, "%s: AF_PACKET socket: %s\n", who, strerror(errno));
		if (a->fd >= 0)
			close(a->fd);
		free(a);
		return NULL;
	}
	for (int i = 0; i < AFP_BATCH; i++) {
		memcpy(a->frame[i], frame, len);
		a->iov[i] = (struct iovec){.iov_base = a->frame[i], .iov_len = len};
		a->msg[i].msg_hdr = (struct msghdr){.msg_iov = &a->iov[i], .msg_iovlen = 1};
	}
	return a;
}

/* Sends the first n frames of the batch; returns how many the device took, -1 on an error.
 * A frame it refuses (ENOBUFS: the veth peer's queue is full) is counted and skipped. */
static long afp_send(struct afp_sender *a, int n)
{
	long sent = 0;

	for (int i = 0; i < n;) {
		int r = sendmmsg(a->fd, &a->msg[i], n - i, 0);

		if (r > 0) {
			sent += r;
			i += r;
		} else if (errno == ENOBUFS || errno == EAGAIN) {
			a->refused++;
			i++;
		} else if (errno != EINTR) {
			return -1;
		}
	}
	return sent;
}

static void afp_close(struct afp_sender *a)
{
	close(a->fd);
	free(a);
}

static bool usr1_pending(void)
{
	sigset_t pending;

	return !sigpending(&pending) && sigismember(&pending, SIGUSR1);
}

/* Frame offsets: Ethernet, IPv4 without options, then the L4 ports. */
#define OFF_IP	    14
#define OFF_L4	    (OFF_IP + 20)
#define OFF_UDP_SUM (OFF_L4 + 6)

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = v >> 8;
	p[1] = v;
}

static uint16_t ip_csum(const uint8_t *ip)
{
	uint32_t sum = 0;

	for (int i = 0; i < 20; i += 2)
		sum += (uint32_t)ip[i] << 8 | ip[i + 1];
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return ~sum;
}

/* As gen_tx (bench_gen.bpf.c): the UDP source port spreads frames over nflows flows. */
static int afp_gen(int ifindex, const uint8_t *frame, size_t len, double seconds, unsigned nflows,
		   unsigned long long *sent, double *secs)
{
	struct afp_sender *a = afp_open("live-gen", ifindex, frame, len);
	unsigned long long n = 0;
	double t0 = now_s(), t;

	if (!a)
		return 1;
	do {
		for (int i = 0; i < AFP_BATCH; i++, n++) {
			put16(a->frame[i] + OFF_L4, 1024 + (nflows > 1 ? n % nflows : 0));
			put16(a->frame[i] + OFF_UDP_SUM, 0); /* IPv4 UDP: no checksum */
		}
		long r = afp_send(a, AFP_BATCH);

		if (r < 0) {
			fprintf(stderr, "live-gen: send: %s\n", strerror(errno));
			afp_close(a);
			return 1;
		}
		*sent += r;
		t = now_s();
	} while (t - t0 < seconds && !usr1_pending());
	*secs = t - t0;
	printf("sent %llu frames of %zu B in %.2f s: %.2f Mpps offered (AF_PACKET sender, %llu "
	       "refused by the veth)\n",
	       *sent, len, *secs, (*sent + a->refused) / *secs / 1e6, a->refused);
	afp_close(a);
	return 0;
}

static int live_gen(const char *ifname, const char *dmac, double seconds, unsigned nflows)
{
	static uint8_t frame[2048];
	struct pkt_spec s = {.family = 4,
			     .src = "198.18.0.1",
			     .dst = "198.18.0.2",
			     .l4 = 17,
			     .sport = 1024,
			     .dport = 9,
			     .payload = "wirelens-live-benc",
			     .payload_len = 18};
	int ifindex = if_nametoindex(ifname);
	unsigned mac[6];
	unsigned long long sent = 0;
	struct bench_gen *g;
	sigset_t stop;
	double t0, t;
	size_t len;

	/* SIGUSR1 ends the stream: blocked, so it never interrupts a batch (test_run would stop
	 * with EINTR and not say how many frames it sent), and looked for between batches */
	sigemptyset(&stop);
	sigaddset(&stop, SIGUSR1);
	sigprocmask(SIG_BLOCK, &stop, NULL);
	if (!ifindex || sscanf(dmac, "%x:%x:%x:%x:%x:%x", &mac[0], &mac[1], &mac[2], &mac[3],
			       &mac[4], &mac[5]) != 6) {
		fprintf(stderr, "live-gen: bad interface %s or MAC %s\n", ifname, dmac);
		return 1;
	}
	len = pkt_build(&s, frame, sizeof(frame));
	for (int i = 0; i < 6; i++)
		frame[i] = mac[i];
	if (afp_forced())
		return afp_gen(ifindex, frame, len, seconds, nflows, &sent, &t);
	g = bench_gen__open();
	if (!g)
		return 1;
	g->rodata->nflows = nflows;
	if (bench_gen__load(g))
		return 1;
	t0 = now_s();
	do {
		struct xdp_md ctx = {.data_end = len, .ingress_ifindex = ifindex};
		LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = frame, .data_size_in = len,
			    .ctx_in = &ctx, .ctx_size_in = sizeof(ctx), .repeat = 1 << 18,
			    .flags = BPF_F_TEST_XDP_LIVE_FRAMES, .batch_size = 64);

		if (bpf_prog_test_run_opts(bpf_program__fd(g->progs.gen_tx), &o)) {
			int err = errno;

			bench_gen__destroy(g);
			if (!sent && live_frames_refused(err)) {
				fprintf(stderr,
					"live-gen: this kernel refuses live frames (%s): AF_PACKET "
					"sender\n",
					strerror(err));
				return afp_gen(ifindex, frame, len, seconds, nflows, &sent, &t);
			}
			fprintf(stderr, "live-gen: test_run (live frames): %s\n", strerror(err));
			return 1;
		}
		sent += 1 << 18;
		t = now_s();
		if (usr1_pending())
			break;
	} while (t - t0 < seconds);
	printf("sent %llu frames of %zu B in %.2f s: %.2f Mpps offered (XDP live frames)\n", sent,
	       len, t - t0, sent / (t - t0) / 1e6);
	bench_gen__destroy(g);
	return 0;
}

/* As gen_flood (bench_gen.bpf.c): every frame from a new random source address in
 * 198.19.0.0/16 and port, its IPv4 checksum recomputed. */
static int afp_flood(int ifindex, const uint8_t *frame, size_t len, unsigned long long count,
		     bool udp)
{
	struct afp_sender *a = afp_open("live-flood", ifindex, frame, len);
	unsigned long long sent = 0;
	uint64_t x = 0x9e3779b97f4a7c15ULL ^ (uint64_t)time(NULL);

	if (!a)
		return -1;
	while (sent < count) {
		int n = count - sent < AFP_BATCH ? (int)(count - sent) : AFP_BATCH;

		for (int i = 0; i < n; i++) {
			uint8_t *f = a->frame[i];
			uint32_t r;

			x ^= x << 13; /* xorshift64 */
			x ^= x >> 7;
			x ^= x << 17;
			r = x >> 32;
			f[OFF_IP + 12] = 198;
			f[OFF_IP + 13] = 19;
			put16(f + OFF_IP + 14, r & 0xffff);
			put16(f + OFF_L4, 1024 + (r >> 16) % 64000);
			put16(f + OFF_IP + 10, 0);
			put16(f + OFF_IP + 10, ip_csum(f + OFF_IP));
			if (udp)
				put16(f + OFF_UDP_SUM, 0);
		}
		long r = afp_send(a, n);

		if (r < 0) {
			fprintf(stderr, "live-flood: send: %s\n", strerror(errno));
			afp_close(a);
			return -1;
		}
		sent += n; /* offered: refused frames are part of a flood */
	}
	fprintf(stderr, "live-flood: AF_PACKET sender, %llu of %llu refused by the veth\n",
		a->refused, count);
	afp_close(a);
	return 0;
}

static int live_flood(const char *ifname, const char *dmac, const char *dst, int dport,
		      unsigned long long count, const char *kind)
{
	static uint8_t frame[256];
	static const char payload[] = "wirelens-flood";
	struct pkt_spec s = {.family = 4, .src = "198.19.0.1", .dst = dst, .sport = 1024};
	int ifindex = if_nametoindex(ifname);
	unsigned long long sent = 0;
	unsigned mac[6];
	struct bench_gen *g;
	double t0, t;
	size_t len;

	if (!strcmp(kind, "syn")) {
		s.l4 = 6;
		s.tcp_flags = 0x02;
		s.seq = 1;
	} else if (!strcmp(kind, "udp")) {
		s.l4 = 17;
		s.payload = payload;
		s.payload_len = sizeof(payload) - 1;
	} else {
		fprintf(stderr, "live-flood: kind is syn or udp, not %s\n", kind);
		return 2;
	}
	s.dport = dport;
	if (!ifindex || sscanf(dmac, "%x:%x:%x:%x:%x:%x", &mac[0], &mac[1], &mac[2], &mac[3],
			       &mac[4], &mac[5]) != 6) {
		fprintf(stderr, "live-flood: bad interface %s or MAC %s\n", ifname, dmac);
		return 1;
	}
	len = pkt_build(&s, frame, sizeof(frame));
	for (int i = 0; i < 6; i++)
		frame[i] = mac[i];
	t0 = now_s();
	if (afp_forced())
		goto user_space;
	g = bench_gen__open_and_load();
	if (!g)
		return 1;
	while (sent < count) {
		unsigned long long n = count - sent > (1 << 16) ? 1 << 16 : count - sent;
		struct xdp_md ctx = {.data_end = len, .ingress_ifindex = ifindex};
		LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = frame, .data_size_in = len,
			    .ctx_in = &ctx, .ctx_size_in = sizeof(ctx), .repeat = n,
			    .flags = BPF_F_TEST_XDP_LIVE_FRAMES, .batch_size = 64);

		if (bpf_prog_test_run_opts(bpf_program__fd(g->progs.gen_flood), &o)) {
			int err = errno;

			bench_gen__destroy(g);
			if (!sent && live_frames_refused(err)) {
				fprintf(stderr,
					"live-flood: this kernel refuses live frames (%s)\n",
					strerror(err));
				goto user_space;
			}
			fprintf(stderr, "live-flood: test_run (live frames): %s\n", strerror(err));
			return 1;
		}
		sent += n;
	}
	bench_gen__destroy(g);
	goto done;
user_space:
	if (afp_flood(ifindex, frame, len, count, s.l4 == 17))
		return 1;
	sent = count;
done:
	t = now_s();
	printf("sent %llu %s frames of %zu B in %.2f s\n", sent, kind, len, t - t0);
	return 0;
}

int bench_live_main(int argc, char **argv)
{
	wl_libbpf_quiet(false);
	if (argc == 4 && !strcmp(argv[1], "live-attach"))
		return live_attach(argv[2], argv[3]);
	if (argc == 6 && !strcmp(argv[1], "live-gen"))
		return live_gen(argv[2], argv[3], atof(argv[4]), (unsigned)atoi(argv[5]));
	if (argc == 8 && !strcmp(argv[1], "live-flood"))
		return live_flood(argv[2], argv[3], argv[4], atoi(argv[5]),
				  strtoull(argv[6], NULL, 0), argv[7]);
	fprintf(stderr,
		"usage: bench_wirelens live-attach IFACE drop|pass|wirelens\n"
		"       bench_wirelens live-gen IFACE DST_MAC SECONDS FLOWS\n"
		"       bench_wirelens live-flood IFACE DST_MAC DST_IP DPORT COUNT syn|udp\n");
	return 2;
}
