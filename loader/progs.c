// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "progs.h"
#include "l7cfg.h"
#include "wl_xdp.skel.h"
#include "wl_tc.skel.h"

static bool libbpf_verbose;

static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list args)
{
	if (level == LIBBPF_DEBUG && !libbpf_verbose)
		return 0;
	return vfprintf(stderr, fmt, args);
}

void wl_libbpf_quiet(bool verbose)
{
	libbpf_verbose = verbose;
	libbpf_set_print(libbpf_print);
}

static int pin_map(struct bpf_map *map, const char *dir)
{
	char path[256];

	if (!dir || bpf_map__is_internal(map)) /* .rodata/.bss belong to their program */
		return 0;
	if (snprintf(path, sizeof(path), "%s/%s", dir, bpf_map__name(map)) >= (int)sizeof(path))
		return -ENAMETOOLONG;
	return bpf_map__set_pin_path(map, path);
}

/* Puts each protocol program (wl_l7_<protocol>) at its protocol's index in the program array the
 * L2-L4 path tail-calls through. A reused (pinned) array gets the new programs. */
static int fill_l7_progs(struct bpf_object *obj, int array_fd)
{
	struct bpf_program *prog;

	bpf_object__for_each_program(prog, obj)
	{
		const char *name = bpf_program__name(prog);
		__u32 proto, fd;

		if (strncmp(name, "wl_l7_", 6))
			continue;
		proto = wl_l7_proto_by_name(name + 6);
		if (!proto) {
			fprintf(stderr, "wirelens: program %s names no known protocol\n", name);
			return -EINVAL;
		}
		fd = bpf_program__fd(prog);
		if (bpf_map_update_elem(array_fd, &proto, &fd, BPF_ANY))
			return -errno;
	}
	return 0;
}

int wl_progs_load(struct wl_progs *p, const struct wl_load_opts *o)
{
	struct bpf_map *map;
	int err;

	memset(p, 0, sizeof(*p));
	p->xdp = wl_xdp__open();
	p->tc = wl_tc__open();
	if (!p->xdp || !p->tc) {
		err = -errno;
		fprintf(stderr, "wirelens: cannot open BPF objects: %s\n", strerror(-err));
		goto fail;
	}
	if (o->flows_max) {
		err = bpf_map__set_max_entries(p->xdp->maps.wl_flows, o->flows_max);
		if (err)
			goto fail;
	}
	/* Pinning by path: libbpf reuses an existing compatible pin, or pins after load. */
	bpf_object__for_each_map(map, p->xdp->obj)
	{
		err = pin_map(map, o->pin_dir);
		if (err)
			goto fail;
	}
	err = wl_xdp__load(p->xdp);
	if (err) {
		fprintf(stderr, "wirelens: loading the XDP program failed: %s\n", strerror(-err));
		goto fail;
	}
	/* The TC object uses the very same maps. */
	bpf_object__for_each_map(map, p->tc->obj)
	{
		struct bpf_map *twin =
			bpf_object__find_map_by_name(p->xdp->obj, bpf_map__name(map));

		if (!twin) { /* TC's own (its program array) */
			err = pin_map(map, o->pin_dir);
			if (err)
				goto fail;
			continue;
		}
		err = bpf_map__set_max_entries(map, bpf_map__max_entries(twin));
		if (!err)
			err = bpf_map__reuse_fd(map, bpf_map__fd(twin));
		if (err)
			goto fail;
	}
	err = wl_tc__load(p->tc);
	if (err) {
		fprintf(stderr, "wirelens: loading the TC program failed: %s\n", strerror(-err));
		goto fail;
	}
	err = fill_l7_progs(p->xdp->obj, bpf_map__fd(p->xdp->maps.wl_l7_progs_xdp));
	if (!err)
		err = fill_l7_progs(p->tc->obj, bpf_map__fd(p->tc->maps.wl_l7_progs_tc));
	if (err) {
		fprintf(stderr, "wirelens: cannot install the protocol programs: %s\n",
			strerror(-err));
		goto fail;
	}
	return 0;
fail:
	wl_progs_close(p);
	return err ? err : -EINVAL;
}

void wl_progs_close(struct wl_progs *p)
{
	wl_tc__destroy(p->tc);
	wl_xdp__destroy(p->xdp);
	p->tc = NULL;
	p->xdp = NULL;
}

int wl_progs_xdp_fd(const struct wl_progs *p)
{
	return bpf_program__fd(p->xdp->progs.wl_xdp);
}

int wl_progs_tc_fd(const struct wl_progs *p)
{
	return bpf_program__fd(p->tc->progs.wl_tc);
}

int wl_map_flows_fd(const struct wl_progs *p)
{
	return bpf_map__fd(p->xdp->maps.wl_flows);
}

int wl_map_counters_fd(const struct wl_progs *p)
{
	return bpf_map__fd(p->xdp->maps.wl_counters);
}

int wl_map_frags_fd(const struct wl_progs *p)
{
	return bpf_map__fd(p->xdp->maps.wl_frags);
}

int wl_counters_read(int fd, struct wl_counters *sum)
{
	int ncpu = libbpf_num_possible_cpus();
	struct wl_counters *per;
	__u32 key = 0;
	int err;

	if (ncpu < 1)
		return ncpu;
	per = calloc(ncpu, sizeof(*per));
	if (!per)
		return -ENOMEM;
	err = bpf_map_lookup_elem(fd, &key, per);
	if (err) {
		err = -errno;
		free(per);
		return err;
	}
	memset(sum, 0, sizeof(*sum));
	for (int c = 0; c < ncpu; c++) {
		__u64 *dst = (__u64 *)sum, *src = (__u64 *)&per[c];

		for (size_t i = 0; i < sizeof(*sum) / sizeof(__u64); i++)
			dst[i] += src[i];
	}
	free(per);
	return 0;
}

int wl_map_clear(int fd)
{
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);
	void *key = NULL, *next = NULL, *zero = NULL;
	int err;

	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		return -errno;
	if (info.type == BPF_MAP_TYPE_ARRAY || info.type == BPF_MAP_TYPE_PERCPU_ARRAY) {
		int ncpu = info.type == BPF_MAP_TYPE_PERCPU_ARRAY ? libbpf_num_possible_cpus() : 1;
		size_t vsz = info.type == BPF_MAP_TYPE_PERCPU_ARRAY
				     ? ((info.value_size + 7) & ~7u) * (size_t)ncpu
				     : info.value_size;

		zero = calloc(1, vsz);
		if (!zero)
			return -ENOMEM;
		if (info.type == BPF_MAP_TYPE_ARRAY && info.max_entries > 64) {
			/* one syscall for large arrays (the 64 Ki-entry ports map) */
			__u32 count = info.max_entries, *keys = calloc(count, sizeof(*keys));
			void *vals = calloc(count, info.value_size);

			err = -ENOMEM;
			if (keys && vals) {
				for (__u32 i = 0; i < count; i++)
					keys[i] = i;
				err = bpf_map_update_batch(fd, keys, vals, &count, NULL) ? -errno
											 : 0;
			}
			free(keys);
			free(vals);
			free(zero);
			return err;
		}
		for (__u32 i = 0; i < info.max_entries; i++) {
			if (bpf_map_update_elem(fd, &i, zero, BPF_ANY)) {
				err = -errno;
				free(zero);
				return err;
			}
		}
		free(zero);
		return 0;
	}
	key = calloc(1, info.key_size);
	next = calloc(1, info.key_size);
	if (!key || !next) {
		free(key);
		free(next);
		return -ENOMEM;
	}
	/* Delete while walking: always restart from the first key. */
	while (!bpf_map_get_next_key(fd, NULL, next))
		if (bpf_map_delete_elem(fd, next) && errno != ENOENT)
			break;
	free(key);
	free(next);
	return 0;
}

const char *wl_pin_root(void)
{
	const char *env = getenv("WIRELENS_PIN_ROOT");

	return env && *env ? env : WL_PIN_ROOT;
}

const char *wl_pin_dir(void)
{
	static char dir[256];

	if (!dir[0])
		snprintf(dir, sizeof(dir), "%s/v%d", wl_pin_root(), WL_ABI_VERSION);
	return dir;
}
