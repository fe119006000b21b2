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
 * user-space sender reaches. Addresses: 198.18.0.0/15 only.
 */
#include <errno.h>
#include <net/if.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <linux/if_link.h>
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
			fprintf(stderr, "live-gen: test_run (live frames): %s\n", strerror(errno));
			return 1;
		}
		sent += 1 << 18;
		t = now_s();
		{
			sigset_t pending;

			if (!sigpending(&pending) && sigismember(&pending, SIGUSR1))
				break;
		}
	} while (t - t0 < seconds);
	printf("sent %llu frames of %zu B in %.2f s: %.2f Mpps offered\n", sent, len, t - t0,
	       sent / (t - t0) / 1e6);
	bench_gen__destroy(g);
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
	g = bench_gen__open_and_load();
	if (!g)
		return 1;
	t0 = now_s();
	while (sent < count) {
		unsigned long long n = count - sent > (1 << 16) ? 1 << 16 : count - sent;
		struct xdp_md ctx = {.data_end = len, .ingress_ifindex = ifindex};
		LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = frame, .data_size_in = len,
			    .ctx_in = &ctx, .ctx_size_in = sizeof(ctx), .repeat = n,
			    .flags = BPF_F_TEST_XDP_LIVE_FRAMES, .batch_size = 64);

		if (bpf_prog_test_run_opts(bpf_program__fd(g->progs.gen_flood), &o)) {
			fprintf(stderr, "live-flood: test_run (live frames): %s\n",
				strerror(errno));
			bench_gen__destroy(g);
			return 1;
		}
		sent += n;
	}
	t = now_s();
	printf("sent %llu %s frames of %zu B in %.2f s\n", sent, kind, len, t - t0);
	bench_gen__destroy(g);
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
