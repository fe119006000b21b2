// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* A capture through a loaded program with BPF_PROG_TEST_RUN. See capture.h. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <linux/bpf.h>
#include <bpf/bpf.h>

#include "capture.h"

#define ETHERTYPE_IP  0x0800
#define ETHERTYPE_IP6 0x86DD

/* Probes the limit with a program that only returns 0 (no map is touched): the largest frame
 * test_run accepts for BPF_PROG_TYPE_SCHED_CLS on this kernel. */
uint32_t wl_tc_test_run_max(void)
{
	static uint32_t max;
	struct bpf_insn insns[] = {
		{.code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = 0},
		{.code = BPF_JMP | BPF_EXIT},
	};
	static uint8_t buf[65536];
	uint32_t lo = 14, hi = sizeof(buf);
	int fd;

	if (max)
		return max;
	fd = bpf_prog_load(BPF_PROG_TYPE_SCHED_CLS, "wl_probe", "GPL", insns, 2, NULL);
	if (fd < 0)
		return max = 3520; /* conservative: what a 4 KB page always leaves */
	memset(buf, 0, sizeof(buf));
	buf[12] = 0x88; /* local experimental ethertype: the kernel looks no further */
	buf[13] = 0xb5;
	while (lo < hi) { /* largest accepted size in [lo, hi] */
		uint32_t mid = lo + (hi - lo + 1) / 2;
		LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = buf, .data_size_in = mid, .repeat = 1);

		if (bpf_prog_test_run_opts(fd, &o) == 0)
			lo = mid;
		else
			hi = mid - 1;
	}
	close(fd);
	return max = lo;
}

/* What a frame the TC program could not run carried, so the caller can account for it: the
 * ethertype after up to two VLAN tags, and whether the IP header says fragment (IPv4 MF or
 * offset; IPv6 a Fragment header right after the fixed header). Nothing deeper. */
static void peek_skipped(const uint8_t *f, size_t len, struct wl_replay_stats *st)
{
	size_t off = 12;
	uint16_t type;
	int tags = 0;

	st->too_big++;
	if (len < off + 2)
		return;
	type = (uint16_t)f[off] << 8 | f[off + 1];
	while ((type == 0x8100 || type == 0x88a8 || type == 0x9100) && tags < 2 && len >= off + 6) {
		off += 4;
		tags++;
		type = (uint16_t)f[off] << 8 | f[off + 1];
	}
	off += 2;
	st->too_big_vlan += tags > 0;
	st->too_big_qinq += tags > 1;
	if (type == ETHERTYPE_IP && len >= off + 20) {
		st->too_big_ipv4++;
		if (((uint16_t)f[off + 6] << 8 | f[off + 7]) & 0x3fff)
			st->too_big_frag_v4++;
	} else if (type == ETHERTYPE_IP6 && len >= off + 40) {
		st->too_big_ipv6++;
		if (f[off + 6] == 44)
			st->too_big_frag_v6++;
	}
}

int wl_capture_replay(const char *path, int prog_fd, bool tc, struct wl_replay_stats *out,
		      char *err, size_t errlen)
{
	uint32_t tc_max = tc ? wl_tc_test_run_max() : 0;
	struct wl_capture_frame f;
	struct wl_capture *c;
	int rc;

	memset(out, 0, sizeof(*out));
	c = wl_capture_open(path, err, errlen);
	if (!c)
		return -1;
	out->dlt = wl_capture_dlt(c);
	snprintf(out->linktype, sizeof(out->linktype), "%s", wl_capture_linktype(c));
	while ((rc = wl_capture_next(c, &f, err, errlen)) == 1) {
		LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = f.data, .data_size_in = f.len,
			    .repeat = 1);

		if (!out->frames++)
			out->first_ts_ns = f.ts_ns;
		out->last_ts_ns = f.ts_ns;
		if (!f.len) {
			out->unsupported++;
			continue;
		}
		out->rewritten += f.rewritten;
		if (tc && f.len > tc_max) {
			peek_skipped(f.data, f.len, out);
			continue;
		}
		if (bpf_prog_test_run_opts(prog_fd, &o)) {
			out->run_errors++;
			fprintf(stderr, "wirelens: %s frame %llu (%zu B): %s test_run: %s\n", path,
				(unsigned long long)out->frames, f.len, tc ? "tc" : "xdp",
				strerror(errno));
			continue;
		}
		out->run++;
		if (f.len > out->max_len)
			out->max_len = f.len;
	}
	wl_capture_close(c);
	if (rc < 0) {
		char why[256];

		snprintf(why, sizeof(why), "%s", err);
		snprintf(err, errlen, "%s: %s", path, why);
		return -1;
	}
	return 0;
}
