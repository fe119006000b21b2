// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Kernel feature probes, through libbpf's probe API: one clear line instead of a verifier log
 * when the kernel is too old; and whether libxdp's dispatcher could work here (status). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/bpf.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
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

/* ---- libxdp dispatcher probe ---- */

/*
 * What libxdp's dispatcher needs is an freplace (BPF_PROG_TYPE_EXT) program linked to a global
 * function of a loaded XDP program. The probe does exactly that with two two-instruction
 * programs that share a hand-made BTF (func "wl_probe" of type int (struct xdp_md *)); nothing
 * is attached to any interface.
 */
bool wl_xdp_dispatcher_probe(char *why, size_t len)
{
	const struct bpf_insn pass[] = {
		{.code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = XDP_PASS},
		{.code = BPF_JMP | BPF_EXIT},
	};
	struct bpf_func_info finfo = {.insn_off = 0};
	LIBBPF_OPTS(bpf_prog_load_opts, topts);
	LIBBPF_OPTS(bpf_prog_load_opts, eopts);
	LIBBPF_OPTS(bpf_link_create_opts, lopts);
	int int_id, md_id, ptr_id, proto_id, func_id, btf_fd = -1, target = -1, ext = -1, link = -1;
	struct btf *btf = btf__new_empty();
	bool ok = false;

	if (!btf) {
		snprintf(why, len, "probe failed: %s", strerror(errno));
		return false;
	}
	int_id = btf__add_int(btf, "int", 4, BTF_INT_SIGNED);
	md_id = btf__add_struct(btf, "xdp_md", 0);
	ptr_id = btf__add_ptr(btf, md_id);
	proto_id = btf__add_func_proto(btf, int_id);
	btf__add_func_param(btf, "ctx", ptr_id);
	func_id = btf__add_func(btf, "wl_probe", BTF_FUNC_GLOBAL, proto_id);
	if (func_id < 0 || btf__load_into_kernel(btf)) {
		snprintf(why, len, "probe failed: cannot load BTF: %s", strerror(errno));
		goto out;
	}
	btf_fd = btf__fd(btf);
	finfo.type_id = func_id;
	topts.prog_btf_fd = btf_fd;
	topts.func_info = &finfo;
	topts.func_info_cnt = 1;
	topts.func_info_rec_size = sizeof(finfo);
	target = bpf_prog_load(BPF_PROG_TYPE_XDP, "wl_probe", "GPL", pass, 2, &topts);
	if (target < 0) {
		snprintf(why, len, "probe failed: cannot load an XDP program: %s", strerror(errno));
		goto out;
	}
	eopts.prog_btf_fd = btf_fd;
	eopts.func_info = &finfo;
	eopts.func_info_cnt = 1;
	eopts.func_info_rec_size = sizeof(finfo);
	eopts.attach_prog_fd = target;
	eopts.attach_btf_id = func_id;
	ext = bpf_prog_load(BPF_PROG_TYPE_EXT, "wl_probe", "GPL", pass, 2, &eopts);
	if (ext < 0) {
		snprintf(why, len, "freplace refused: %s", strerror(errno));
		goto out;
	}
	lopts.target_btf_id = func_id;
	link = bpf_link_create(ext, target, 0, &lopts);
	if (link < 0) {
		snprintf(why, len, "freplace refused: linking: %s", strerror(errno));
		goto out;
	}
	ok = true;
	snprintf(why, len, "freplace works");
out:
	if (link >= 0)
		close(link);
	if (ext >= 0)
		close(ext);
	if (target >= 0)
		close(target);
	btf__free(btf); /* closes btf_fd */
	return ok;
}
