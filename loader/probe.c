// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Kernel feature probes, through libbpf's probe API: one clear line instead of a verifier log
 * when the kernel is too old. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "probe.h"

enum feature_kind { PROG, MAP, HELPER };

static const struct feature {
	enum feature_kind kind;
	int type;   /* prog, map type; for HELPER the prog type */
	int helper; /* HELPER only */
	const char *name, *since;
} features[] = {
	{PROG, BPF_PROG_TYPE_XDP, 0, "XDP programs", "4.8"},
	{PROG, BPF_PROG_TYPE_SCHED_CLS, 0, "TC classifier programs", "4.1"},
	{MAP, BPF_MAP_TYPE_LRU_HASH, 0, "LRU hash maps", "4.10"},
	{MAP, BPF_MAP_TYPE_PERCPU_ARRAY, 0, "per-CPU arrays", "4.6"},
	{MAP, BPF_MAP_TYPE_PROG_ARRAY, 0, "program arrays (tail calls)", "4.2"},
	{HELPER, BPF_PROG_TYPE_XDP, BPF_FUNC_loop, "the bpf_loop helper", "5.17"},
	{HELPER, BPF_PROG_TYPE_XDP, BPF_FUNC_xdp_load_bytes, "bpf_xdp_load_bytes", "5.18"},
	{HELPER, BPF_PROG_TYPE_XDP, BPF_FUNC_xdp_get_buff_len, "bpf_xdp_get_buff_len", "5.18"},
	{HELPER, BPF_PROG_TYPE_XDP, BPF_FUNC_ktime_get_coarse_ns, "bpf_ktime_get_coarse_ns",
	 "5.11"},
	{HELPER, BPF_PROG_TYPE_SCHED_CLS, BPF_FUNC_skb_load_bytes, "bpf_skb_load_bytes", "4.5"},
};

/* WIRELENS_TEST_PROBE_MISSING=<feature name> makes that probe fail (tests of the message). */
static int probe(const struct feature *f)
{
	const char *fake = getenv("WIRELENS_TEST_PROBE_MISSING");

	if (fake && !strcmp(fake, f->name))
		return 0;
	switch (f->kind) {
	case PROG:
		return libbpf_probe_bpf_prog_type(f->type, NULL);
	case MAP:
		return libbpf_probe_bpf_map_type(f->type, NULL);
	case HELPER:
		return libbpf_probe_bpf_helper(f->type, f->helper, NULL);
	}
	return -EINVAL;
}

int wl_probe_kernel(void)
{
	for (size_t i = 0; i < sizeof(features) / sizeof(features[0]); i++) {
		int ret = probe(&features[i]);

		if (ret == 1)
			continue;
		if (ret == 0) {
			fprintf(stderr,
				"wirelens: this kernel lacks %s (Linux %s+); wirelens needs Linux "
				"%s or newer\n",
				features[i].name, features[i].since, WL_KERNEL_MIN);
			return -ENOTSUP;
		}
		/* the probe itself failed (no permission...): let the load say what it is */
		return 0;
	}
	return 0;
}
