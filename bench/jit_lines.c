// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Where in the source a live profile's samples of a BPF program fall: perf names a sample of a
 * JIT-compiled program bpf_prog_<tag>_<name>+OFFSET, and this prints the source line each OFFSET
 * belongs to, from the program's jited line info and BTF (what `bpftool prog dump jited linum`
 * prints where bpftool has a disassembler; Debian 12's has none).
 *
 *   jit_lines PROG_ID OFFSET...
 *
 * OFFSETs are the entry program's (samples named after the program itself; a global function's
 * samples carry its own name and offsets from its own start).
 * e.g. perf script -F sym,symoff | grep -o 'wl_tc+0x[0-9a-f]*' | sort | uniq -c | sort -rn
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>

static const char *base_name(const char *path)
{
	const char *slash = path ? strrchr(path, '/') : NULL;

	return slash ? slash + 1 : path ? path : "?";
}

int main(int argc, char **argv)
{
	struct bpf_prog_info info = {};
	__u32 len = sizeof(info), nli, njli, nks, btf_id;
	struct bpf_line_info *li;
	__u64 *jli, *ks;
	struct btf *btf;
	int fd;

	if (argc < 3) {
		fprintf(stderr, "usage: jit_lines PROG_ID OFFSET...\n");
		return 2;
	}
	fd = bpf_prog_get_fd_by_id(atoi(argv[1]));
	if (fd < 0 || bpf_obj_get_info_by_fd(fd, &info, &len)) {
		fprintf(stderr, "jit_lines: program %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	nli = info.nr_line_info;
	njli = info.nr_jited_line_info;
	nks = info.nr_jited_ksyms;
	btf_id = info.btf_id;
	if (!nli || njli != nli || !nks || !btf_id) {
		fprintf(stderr, "jit_lines: program %s has no jited line info\n", argv[1]);
		return 1;
	}
	li = calloc(nli, sizeof(*li));
	jli = calloc(njli, sizeof(*jli));
	ks = calloc(nks, sizeof(*ks));
	if (!li || !jli || !ks)
		return 1;
	memset(&info, 0, sizeof(info));
	info.nr_line_info = nli;
	info.line_info_rec_size = sizeof(*li);
	info.line_info = (__u64)(unsigned long)li;
	info.nr_jited_line_info = njli;
	info.jited_line_info_rec_size = sizeof(*jli);
	info.jited_line_info = (__u64)(unsigned long)jli;
	info.nr_jited_ksyms = nks;
	info.jited_ksyms = (__u64)(unsigned long)ks;
	len = sizeof(info);
	btf = btf__load_from_kernel_by_id(btf_id);
	if (bpf_obj_get_info_by_fd(fd, &info, &len) || !btf) {
		fprintf(stderr, "jit_lines: program %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	/* offsets are from the main program's start (ks[0]); the line whose address is the
	 * highest not above the sample's is the sample's */
	for (int a = 2; a < argc; a++) {
		__u64 off = strtoull(argv[a], NULL, 0), addr = ks[0] + off;
		int best = -1;

		if (off >= info.jited_prog_len) {
			printf("%s: past the program (%u bytes)\n", argv[a], info.jited_prog_len);
			continue;
		}
		for (__u32 i = 0; i < njli; i++)
			if (jli[i] <= addr && (best < 0 || jli[i] > jli[best]))
				best = i;
		if (best < 0) {
			printf("%s: before the program\n", argv[a]);
			continue;
		}
		printf("%s: %s:%u: %s\n", argv[a],
		       base_name(btf__name_by_offset(btf, li[best].file_name_off)),
		       BPF_LINE_INFO_LINE_NUM(li[best].line_col),
		       btf__name_by_offset(btf, li[best].line_off));
	}
	btf__free(btf);
	return 0;
}
