// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The TC test_run size probe of pcap_replay.h, apart: <linux/bpf.h> and <pcap/pcap.h> both
 * define struct bpf_insn. */
#include <string.h>
#include <unistd.h>
#include <linux/bpf.h>
#include <bpf/bpf.h>

#include "pcap_replay.h"

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
