// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * make bench: ns/packet through BPF_PROG_TEST_RUN, always next to a bare program measured in
 * the same run and by the same method, because the machine is shared and noisy.
 *  - "repeat": one frame, the kernel loops (repeat = 1e6): the program's own cost.
 *  - "per-call": a different frame per syscall (100k flows, or TCP segments that advance the
 *    sequence so the L7 parser really parses); syscall overhead is in both columns, the
 *    difference is what wirelens adds.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "bench_pass.skel.h"
#include "loader/l7cfg.h"
#include "loader/progs.h"
#include "tests/pktbuild.h"

#define FRAME_MAX 2048

static double now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1e9 + t.tv_nsec;
}

static double run_repeat(int fd, const void *frame, size_t len, int repeat)
{
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = frame, .data_size_in = len, .repeat = repeat);

	if (bpf_prog_test_run_opts(fd, &o))
		return -1;
	return o.duration;
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

static void row(const char *hook, const char *what, double wl, double bare)
{
	printf("%-5s %-44s %10.1f %10.1f %8.2fx %+10.1f\n", hook, what, wl, bare,
	       bare > 0 ? wl / bare : 0, wl - bare);
}

int main(void)
{
	enum { NFLOWS = 100000 };
	static uint8_t frames[NFLOWS][FRAME_MAX];
	static size_t lens[NFLOWS];
	struct wl_load_opts lo = {.flows_max = 131072};
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

	wl_libbpf_quiet(false);
	if (wl_progs_load(&p, &lo) || wl_l7_config_init(&p))
		return 1;
	bare = bench_pass__open_and_load();
	if (!bare)
		return 1;
	hook_fd[0] = wl_progs_xdp_fd(&p);
	hook_fd[1] = wl_progs_tc_fd(&p);
	bare_fd[0] = bpf_program__fd(bare->progs.bare_xdp);
	bare_fd[1] = bpf_program__fd(bare->progs.bare_tc);

	printf("%-5s %-44s %10s %10s %9s %10s\n", "hook", "case (ns/packet)", "wirelens", "bare",
	       "ratio", "added");
	for (int h = 0; h < 2; h++) {
		size_t len = pkt_build(&s, frames[0], FRAME_MAX);

		run_repeat(hook_fd[h], frames[0], len, 1000);
		row(hook_name[h], "L2-L4, 1 flow (repeat)",
		    run_repeat(hook_fd[h], frames[0], len, 1000000),
		    run_repeat(bare_fd[h], frames[0], len, 1000000));
	}
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
		wl_map_clear(wl_map_flows_fd(&p));
		run_each(hook_fd[h], frames, lens, NFLOWS); /* fill the table */
		row(hook_name[h], "L2-L4, 100k flows (per-call)",
		    run_each(hook_fd[h], frames, lens, NFLOWS),
		    run_each(bare_fd[h], frames, lens, NFLOWS));
	}
	/* Redis: segments of one connection whose sequence advances, so each is parsed. */
	for (int ncmd = 1; ncmd <= 16; ncmd += 15) {
		char payload[1600] = "";
		uint32_t seq = 1000;
		int n = 20000;

		for (int i = 0; i < ncmd; i++)
			strcat(payload, cmd);
		for (int i = 0; i < n; i++) {
			struct pkt_spec r = {.family = 4,
					     .src = "198.18.0.1",
					     .dst = "198.18.0.2",
					     .l4 = 6,
					     .sport = 40000,
					     .dport = 6379,
					     .tcp_flags = 0x18,
					     .seq = seq,
					     .payload = payload,
					     .payload_len = strlen(payload)};

			lens[i] = pkt_build(&r, frames[i], FRAME_MAX);
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
		}
	}
	for (int h = 0; h < 2; h++) {
		struct bpf_prog_info info = {};
		__u32 ilen = sizeof(info);

		bpf_obj_get_info_by_fd(hook_fd[h], &info, &ilen);
		printf("verifier: wl_%s %u instructions processed (limit 1000000), %u bytes "
		       "xlated\n",
		       hook_name[h], info.verified_insns, info.xlated_prog_len);
	}
	printf("per tracked connection: %zu B of state + %zu B key\n", sizeof(struct wl_conn),
	       sizeof(struct wl_conn_key));
	bench_pass__destroy(bare);
	wl_progs_close(&p);
	return 0;
}
