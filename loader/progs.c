// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "progs.h"
#include "l7cfg.h"
#include "wl_xdp.skel.h"
#include "wl_tc.skel.h"

static bool libbpf_verbose;
static bool libbpf_mute; /* while loading a protocol program: its failure is said in one line */

static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list args)
{
	if (level == LIBBPF_DEBUG && !libbpf_verbose)
		return 0;
	if (libbpf_mute && !libbpf_verbose)
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

/*
 * wl_rule_stats pinned by an earlier build of this ABI is a per-CPU array: it is used as it is
 * until detach --all (the programs' atomic adds count right in a CPU's slot, and readers sum
 * the CPUs of what a lookup returns either way), rather than refused as incompatible.
 */
static int adopt_pinned_type(struct bpf_map *map, const char *dir)
{
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);
	char path[256];
	int fd, err = 0;

	if (!dir ||
	    snprintf(path, sizeof(path), "%s/%s", dir, bpf_map__name(map)) >= (int)sizeof(path))
		return 0;
	fd = bpf_obj_get(path);
	if (fd < 0)
		return 0;
	if (!bpf_obj_get_info_by_fd(fd, &info, &len) && info.type == BPF_MAP_TYPE_PERCPU_ARRAY &&
	    bpf_map__type(map) == BPF_MAP_TYPE_ARRAY)
		err = bpf_map__set_type(map, info.type);
	close(fd);
	return err;
}

/* ---- the verifier's word ---- */

/*
 * Every program is loaded with a log of level 4 (statistics only): it costs the verifier
 * nothing, tells how many instructions it processed, and keeps libbpf from loading a refused
 * program once more just to fetch a log. The detail of a refusal (level 1, every instruction)
 * is asked for only after one.
 */
#define STATS_LOG_LEN  (256u << 10) /* a truncated log fails the load (ENOSPC) */
#define DETAIL_LOG_LEN (64u << 20)

/* The last line of a verifier log that is not statistics: what it refused and why. */
static void log_last_line(char *log, char *out, size_t len)
{
	char *end = log + strlen(log), *line;

	out[0] = 0;
	while (end > log) {
		while (end > log && (end[-1] == '\n' || end[-1] == ' '))
			*--end = 0;
		line = end;
		while (line > log && line[-1] != '\n')
			line--;
		if (*line && strncmp(line, "processed ", 10) &&
		    strncmp(line, "verification time", 17) && strncmp(line, "stack depth", 11)) {
			snprintf(out, len, "%s", line);
			return;
		}
		end = line;
	}
}

/* "processed N insns" of a statistics log, 0 when absent. */
static __u32 log_processed(const char *log)
{
	const char *p = strstr(log, "processed ");
	unsigned long n = 0;

	if (p)
		sscanf(p, "processed %lu", &n);
	return n;
}

/* The last lines of a log (for --verbose). */
static void log_tail(const char *log, int lines)
{
	const char *p = log + strlen(log);

	while (p > log && lines > 0)
		if (*--p == '\n' && p[1])
			lines--;
	fprintf(stderr, "%s%s\n", p == log ? "" : "...\n", p == log ? p : p + 1);
}

/* verified_insns of a loaded program (kernel 5.16+), 0 when unknown. */
static __u32 prog_verified_insns(int fd)
{
	struct bpf_prog_info info = {};
	__u32 len = sizeof(info);

	if (fd < 0 || bpf_obj_get_info_by_fd(fd, &info, &len))
		return 0;
	return info.verified_insns;
}

/* ---- protocol programs: each in an object of its own ---- */

static const void *hook_elf(int hook, size_t *sz)
{
	return hook == WL_PROG_XDP ? wl_xdp__elf_bytes(sz) : wl_tc__elf_bytes(sz);
}

static struct bpf_object *hook_obj(const struct wl_progs *p, int hook)
{
	return hook == WL_PROG_XDP ? p->xdp->obj : p->tc->obj;
}

/*
 * Opens the hook's object again with wl_l7_<proto> as its only program, on the maps of the
 * hook's main object. Loading protocol programs one object each is what lets a protocol the
 * kernel refuses stay out while L2-L4 and the other protocols run, each verified once.
 */
static struct bpf_object *l7_open(const struct wl_progs *p, int hook, unsigned int proto, char *log,
				  size_t log_len, __u32 log_level)
{
	LIBBPF_OPTS(bpf_object_open_opts, oo,
		    .object_name = hook == WL_PROG_XDP ? "wl_xdp" : "wl_tc");
	const char *name = wl_l7_proto_name(proto);
	struct bpf_object *obj, *main_obj = hook_obj(p, hook);
	struct bpf_program *prog;
	struct bpf_map *map;
	char want[64];
	bool found = false;
	size_t sz;
	const void *elf = hook_elf(hook, &sz);

	snprintf(want, sizeof(want), "wl_l7_%s", name ? name : "?");
	obj = bpf_object__open_mem(elf, sz, &oo);
	if (!obj)
		return NULL;
	bpf_object__for_each_program(prog, obj)
	{
		bool me = !strcmp(bpf_program__name(prog), want);

		bpf_program__set_autoload(prog, me);
		if (me) {
			found = true;
			bpf_program__set_log_level(prog, log_level);
			bpf_program__set_log_buf(prog, log, log_len);
		}
	}
	bpf_object__for_each_map(map, obj)
	{
		struct bpf_map *twin;

		if (bpf_map__is_internal(map))
			continue;
		twin = bpf_object__find_map_by_name(main_obj, bpf_map__name(map));
		if (!twin || bpf_map__set_max_entries(map, bpf_map__max_entries(twin)) ||
		    bpf_map__reuse_fd(map, bpf_map__fd(twin))) {
			found = false;
			break;
		}
	}
	if (!found) {
		bpf_object__close(obj);
		errno = ENOENT;
		return NULL;
	}
	return obj;
}

/* WIRELENS_TEST_VERIFIER_REFUSE=memcached,...: the live tests' stand-in for a kernel whose
 * verifier refuses those protocols (every kernel of the matrix accepts them all). */
static bool test_refused(unsigned int proto)
{
	const char *list = getenv("WIRELENS_TEST_VERIFIER_REFUSE");
	__u32 mask = 0;

	return list && !wl_l7_proto_mask_parse(list, &mask) && (mask & (1u << proto));
}

/* Loads wl_l7_<proto> of one hook. Returns the object, or NULL with st->error and st->reason
 * said. */
static struct bpf_object *l7_load_hook(struct wl_progs *p, int hook, unsigned int proto,
				       const struct wl_load_opts *o)
{
	static char log[STATS_LOG_LEN];
	struct wl_l7_info *st = &p->l7[proto];
	struct bpf_object *obj;
	char *detail;
	int err;

	log[0] = 0;
	obj = l7_open(p, hook, proto, log, sizeof(log), 4);
	if (!obj) {
		st->error = -errno;
		snprintf(st->reason, sizeof(st->reason), "cannot open its program: %s",
			 strerror(errno));
		return NULL;
	}
	libbpf_mute = true;
	err = bpf_object__load(obj);
	libbpf_mute = false;
	if (!err && test_refused(proto)) {
		bpf_object__close(obj);
		st->error = -EACCES;
		snprintf(st->reason, sizeof(st->reason),
			 "refused for a test (WIRELENS_TEST_VERIFIER_REFUSE)");
		return NULL;
	}
	if (!err) {
		struct bpf_program *prog;

		bpf_object__for_each_program(prog, obj) if (bpf_program__fd(prog) >= 0)
			st->verified_insns[hook] = prog_verified_insns(bpf_program__fd(prog));
		return obj;
	}
	bpf_object__close(obj);
	st->error = err;
	st->verified_insns[hook] = log_processed(log);
	/* Once more with the whole log, for the line that says why (kernels from 6.4 keep the
	 * log's end when it overflows; older ones keep its start, and then the statistics say
	 * it). */
	detail = calloc(1, DETAIL_LOG_LEN);
	if (detail) {
		obj = l7_open(p, hook, proto, detail, DETAIL_LOG_LEN, 1);
		if (obj) {
			libbpf_mute = true;
			bpf_object__load(obj);
			libbpf_mute = false;
			bpf_object__close(obj);
		}
		log_last_line(detail, st->reason, sizeof(st->reason));
		if (o->verbose && detail[0]) {
			fprintf(stderr, "wirelens: verifier log of wl_l7_%s (%s), last lines:\n",
				wl_l7_proto_name(proto), hook == WL_PROG_XDP ? "xdp" : "tc");
			log_tail(detail, 30);
		}
		free(detail);
	}
	if (!st->reason[0])
		snprintf(st->reason, sizeof(st->reason), "%s after %u instructions", strerror(-err),
			 st->verified_insns[hook]);
	return NULL;
}

static bool l7_wanted(const struct wl_load_opts *o, unsigned int proto)
{
	return !o->l7_select || (o->l7_mask & (1u << proto));
}

/* Loads the protocol programs asked for, each on its own; a refused one is left out (said in
 * p->l7[proto]) and its packets are counted as l7_unloaded. Fills both program arrays. */
static int l7_load_all(struct wl_progs *p, const struct wl_load_opts *o)
{
	int arrays[WL_PROG_HOOKS] = {bpf_map__fd(p->xdp->maps.wl_l7_progs_xdp),
				     bpf_map__fd(p->tc->maps.wl_l7_progs_tc)};

	for (unsigned int proto = 1; proto < WL_L7_PROTO_MAX; proto++) {
		struct wl_l7_info *st = &p->l7[proto];

		memset(st, 0, sizeof(*st));
		st->wanted = l7_wanted(o, proto);
		if (st->wanted) {
			for (int h = 0; h < WL_PROG_HOOKS; h++) {
				p->l7_obj[h][proto] = l7_load_hook(p, h, proto, o);
				if (!p->l7_obj[h][proto])
					break;
			}
			st->loaded = p->l7_obj[WL_PROG_XDP][proto] && p->l7_obj[WL_PROG_TC][proto];
		}
		for (int h = 0; h < WL_PROG_HOOKS; h++) {
			struct bpf_program *prog;
			int fd = -1;

			if (!st->loaded) { /* a protocol runs on both hooks or on none */
				bpf_object__close(p->l7_obj[h][proto]);
				p->l7_obj[h][proto] = NULL;
				bpf_map_delete_elem(arrays[h],
						    &proto); /* a reused array's old one */
				continue;
			}
			bpf_object__for_each_program(
				prog, p->l7_obj[h][proto]) if (bpf_program__fd(prog) >= 0) fd =
				bpf_program__fd(prog);
			if (bpf_map_update_elem(arrays[h], &proto, &fd, BPF_ANY))
				return -errno;
		}
		if (!st->wanted)
			snprintf(st->reason, sizeof(st->reason), "not asked for");
		else if (!st->loaded && o->warn)
			fprintf(stderr,
				"wirelens: warning: protocol %s left out: the verifier refused "
				"wl_l7_%s: %s\n",
				wl_l7_proto_name(proto), wl_l7_proto_name(proto), st->reason);
	}
	return wl_l7_info_write(bpf_map__fd(p->xdp->maps.wl_l7_info), p->l7);
}

int wl_l7_info_write(int fd, const struct wl_l7_info *info)
{
	for (__u32 proto = 0; proto < WL_L7_PROTO_MAX; proto++)
		if (bpf_map_update_elem(fd, &proto, &info[proto], BPF_ANY))
			return -errno;
	return 0;
}

int wl_l7_info_read(int fd, struct wl_l7_info *info)
{
	memset(info, 0, sizeof(*info) * WL_L7_PROTO_MAX);
	for (__u32 proto = 0; proto < WL_L7_PROTO_MAX; proto++)
		if (bpf_map_lookup_elem(fd, &proto, &info[proto]))
			return -errno;
	return 0;
}

/* ---- the main programs ---- */

/* The main objects of a hook pair (wl_progs, wl_entry), opened: 0, or -errno after one line. */
static int main_objs_open(struct wl_xdp **xdp, struct wl_tc **tc)
{
	int err;

	*xdp = wl_xdp__open();
	*tc = wl_tc__open();
	if (*xdp && *tc)
		return 0;
	err = -errno;
	fprintf(stderr, "wirelens: cannot open BPF objects: %s\n", strerror(-err));
	return err;
}

/* The main objects of a hook pair (wl_progs, wl_entry): destroyed, their pointers cleared. */
static void main_objs_close(struct wl_xdp **xdp, struct wl_tc **tc)
{
	wl_tc__destroy(*tc);
	wl_xdp__destroy(*xdp);
	*tc = NULL;
	*xdp = NULL;
}

/* The entry program of a hook (WL_PROG_XDP, WL_PROG_TC) in a pair of main objects. */
static int main_prog_fd(const struct wl_xdp *xdp, const struct wl_tc *tc, int hook)
{
	return bpf_program__fd(hook == WL_PROG_XDP ? xdp->progs.wl_xdp : tc->progs.wl_tc);
}

/* Sets up the log of a main program: statistics, or everything with --verbose. */
static void main_prog_log(struct bpf_program *prog, char *log, size_t len, bool verbose)
{
	bpf_program__set_log_level(prog, verbose ? 1 : 4);
	bpf_program__set_log_buf(prog, log, len);
}

static void main_prog_refused(const char *name, int err, char *log, bool verbose)
{
	char line[160];

	log_last_line(log, line, sizeof(line));
	if (err == -ENOMEM || err == -E2BIG || err == -EACCES || err == -EINVAL)
		fprintf(stderr, "wirelens: the kernel's verifier refused %s (%s): %s%s\n", name,
			strerror(-err), line[0] ? line : "no log",
			verbose ? "" : " (--verbose prints the log's end)");
	if (verbose && log[0])
		log_tail(log, 30);
}

/* A failure before any program was verified: creating the maps. */
static void object_failed(const char *hook, int err)
{
	if (err == -ENOMEM || err == -E2BIG)
		fprintf(stderr,
			"wirelens: creating the maps failed (%s): they do not fit in kernel memory "
			"(lower --flows-max)\n",
			strerror(-err));
	else
		fprintf(stderr, "wirelens: loading the %s object failed: %s\n", hook,
			strerror(-err));
}

/* A main object's load: one line on stderr when it failed (the verifier's, or the object's),
 * its program's verified instructions in *insns when it did not. Returns err. */
static int main_prog_loaded(int err, const struct bpf_program *prog, const char *hook, char *log,
			    bool verbose, __u32 *insns)
{
	if (err) {
		if (bpf_program__fd(prog) < 0 && log[0])
			main_prog_refused(bpf_program__name(prog), err, log, verbose);
		else
			object_failed(hook, err);
		return err;
	}
	*insns = prog_verified_insns(bpf_program__fd(prog));
	return 0;
}

/* Turns off every protocol program of a main object: they load one object each. */
static void main_only(struct bpf_object *obj)
{
	struct bpf_program *prog;

	bpf_object__for_each_program(prog, obj) if (!strncmp(bpf_program__name(prog), "wl_l7_", 6))
		bpf_program__set_autoload(prog, false);
}

__u32 wl_cmd_stats_default(int ncpu)
{
	/* what the kernel charges an entry: the value on every CPU, the key, struct htab_elem
	 * with its per-CPU pointer and a bucket (744 B with 2 CPUs, bench_wirelens mem) */
	__u64 entry = (__u64)(ncpu > 0 ? ncpu : 1) * sizeof(struct wl_cmd_stats) +
		      sizeof(struct wl_cmd_key) + 72;
	__u64 n = WL_CMD_STATS_BUDGET / entry;

	return n < WL_CMD_STATS_MAX ? (__u32)n : WL_CMD_STATS_MAX;
}

int wl_progs_load(struct wl_progs *p, const struct wl_load_opts *o)
{
	size_t log_len = o->verbose ? DETAIL_LOG_LEN : STATS_LOG_LEN;
	char *log = calloc(1, log_len);
	struct bpf_map *map;
	__u32 ring;
	int err = -ENOMEM;

	memset(p, 0, sizeof(*p));
	if (!log)
		goto fail;
	err = main_objs_open(&p->xdp, &p->tc);
	if (err)
		goto fail;
	main_only(p->xdp->obj);
	main_only(p->tc->obj);
	if (o->flows_max) {
		err = bpf_map__set_max_entries(p->xdp->maps.wl_flows, o->flows_max);
		if (err)
			goto fail;
	}
	/* The same program code either way: a per-CPU map's lookup gives this CPU's value. */
	if (o->flows_percpu) {
		err = bpf_map__set_type(p->xdp->maps.wl_flows, BPF_MAP_TYPE_LRU_PERCPU_HASH);
		if (err)
			goto fail;
	}
	if (o->conns_max) {
		err = bpf_map__set_max_entries(p->xdp->maps.wl_conns, o->conns_max);
		if (!err)
			err = bpf_map__set_max_entries(p->xdp->maps.wl_fifo_far,
						       WL_FIFO_FAR_FOR(o->conns_max));
		if (!err)
			err = bpf_map__set_max_entries(p->xdp->maps.wl_l7_open,
						       WL_L7_OPEN_FOR(o->conns_max));
		if (err)
			goto fail;
	}
	if (o->open_max) {
		err = bpf_map__set_max_entries(p->xdp->maps.wl_l7_open, o->open_max);
		if (err)
			goto fail;
	}
	err = adopt_pinned_type(p->xdp->maps.wl_rule_stats, o->pin_dir);
	if (err)
		goto fail;
	err = bpf_map__set_max_entries(p->xdp->maps.wl_cmd_stats,
				       o->cmd_stats_max
					       ? o->cmd_stats_max
					       : wl_cmd_stats_default(libbpf_num_possible_cpus()));
	if (err)
		goto fail;
	ring = o->ring_size;
	if (!ring && getenv("WIRELENS_LOG_RING"))
		ring = strtoul(getenv("WIRELENS_LOG_RING"), NULL, 0);
	if (ring) {
		/* the kernel wants a power of 2 and a multiple of the page size */
		if (ring & (ring - 1) || ring % sysconf(_SC_PAGESIZE)) {
			fprintf(stderr,
				"wirelens: event ring size %u: not a power of 2 multiple of the "
				"page size\n",
				ring);
			err = -EINVAL;
			goto fail;
		}
		err = bpf_map__set_max_entries(p->xdp->maps.wl_events, ring);
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
	main_prog_log(p->xdp->progs.wl_xdp, log, log_len, o->verbose);
	err = main_prog_loaded(wl_xdp__load(p->xdp), p->xdp->progs.wl_xdp, "XDP", log, o->verbose,
			       &p->main_insns[WL_PROG_XDP]);
	if (err)
		goto fail;
	/* The TC object uses the very same maps. */
	bpf_object__for_each_map(map, p->tc->obj)
	{
		struct bpf_map *twin =
			bpf_object__find_map_by_name(p->xdp->obj, bpf_map__name(map));

		if (bpf_map__is_internal(map))
			continue;
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
	log[0] = 0;
	main_prog_log(p->tc->progs.wl_tc, log, log_len, o->verbose);
	err = main_prog_loaded(wl_tc__load(p->tc), p->tc->progs.wl_tc, "TC", log, o->verbose,
			       &p->main_insns[WL_PROG_TC]);
	if (err)
		goto fail;
	err = l7_load_all(p, o);
	if (err) {
		fprintf(stderr, "wirelens: cannot install the protocol programs: %s\n",
			strerror(-err));
		goto fail;
	}
	free(log);
	return 0;
fail:
	free(log);
	wl_progs_close(p);
	return err ? err : -EINVAL;
}

/* ---- the entry programs of another network namespace ---- */

/* The fd of map `name` for a hook's entry program: p's own, else the pin in pin_dir (-1). */
static int entry_map_fd(const struct wl_progs *p, int hook, const char *pin_dir, const char *name,
			bool *owned)
{
	struct bpf_map *twin;
	char path[256];

	*owned = false;
	if (p) {
		twin = bpf_object__find_map_by_name(hook_obj(p, hook), name);
		return twin ? bpf_map__fd(twin) : -1;
	}
	if (!pin_dir || snprintf(path, sizeof(path), "%s/%s", pin_dir, name) >= (int)sizeof(path))
		return -1;
	*owned = true;
	return bpf_obj_get(path);
}

/* Loads one hook's entry program of obj with netns_id, on the maps of p or of the pins. */
static int entry_load_hook(struct bpf_object *obj, struct bpf_program *prog, int hook,
			   const struct wl_progs *p, const char *pin_dir, bool verbose)
{
	size_t log_len = verbose ? DETAIL_LOG_LEN : STATS_LOG_LEN;
	char *log = calloc(1, log_len);
	struct bpf_map *map;
	int err = 0;

	if (!log)
		return -ENOMEM;
	main_only(obj);
	bpf_object__for_each_map(map, obj)
	{
		bool owned;
		int fd;

		if (bpf_map__is_internal(map))
			continue;
		fd = entry_map_fd(p, hook, pin_dir, bpf_map__name(map), &owned);
		/* every map is the main instance's (its program array included): an entry of its
		 * own would count apart from everything the views read */
		err = fd < 0 ? -ENOENT : bpf_map__reuse_fd(map, fd);
		if (owned && fd >= 0)
			close(fd);
		if (err) {
			fprintf(stderr, "wirelens: map %s for a namespace's %s program: %s\n",
				bpf_map__name(map), hook == WL_PROG_XDP ? "XDP" : "TC",
				strerror(-err));
			goto out;
		}
	}
	main_prog_log(prog, log, log_len, verbose);
	err = bpf_object__load(obj);
	if (err && bpf_program__fd(prog) < 0 && log[0])
		main_prog_refused(bpf_program__name(prog), err, log, verbose);
	else if (err)
		object_failed(hook == WL_PROG_XDP ? "XDP" : "TC", err);
out:
	free(log);
	return err;
}

/* The entry programs with netns_id (and ifindex_as: a peer-egress instance, TC alone). */
static int entry_load(struct wl_entry *e, __u8 netns_id, __u32 ifindex_as, const struct wl_progs *p,
		      const char *pin_dir, bool verbose)
{
	int err;

	memset(e, 0, sizeof(*e));
	err = main_objs_open(&e->xdp, &e->tc);
	if (err)
		goto fail;
	e->xdp->rodata->wl_netns_id = netns_id;
	e->tc->rodata->wl_netns_id = netns_id;
	e->tc->rodata->wl_ifindex_as = ifindex_as;
	if (!ifindex_as)
		err = entry_load_hook(e->xdp->obj, e->xdp->progs.wl_xdp, WL_PROG_XDP, p, pin_dir,
				      verbose);
	if (!err)
		err = entry_load_hook(e->tc->obj, e->tc->progs.wl_tc, WL_PROG_TC, p, pin_dir,
				      verbose);
	if (err)
		goto fail;
	if (!ifindex_as)
		e->insns[WL_PROG_XDP] = prog_verified_insns(wl_entry_xdp_fd(e));
	e->insns[WL_PROG_TC] = prog_verified_insns(wl_entry_tc_fd(e));
	return 0;
fail:
	wl_entry_close(e);
	return err ? err : -EINVAL;
}

int wl_entry_load(struct wl_entry *e, __u8 netns_id, const struct wl_progs *p, const char *pin_dir,
		  bool verbose)
{
	return entry_load(e, netns_id, 0, p, pin_dir, verbose);
}

int wl_entry_load_peer(struct wl_entry *e, __u8 netns_id, __u32 ifindex_as,
		       const struct wl_progs *p, const char *pin_dir, bool verbose)
{
	return entry_load(e, netns_id, ifindex_as, p, pin_dir, verbose);
}

void wl_entry_close(struct wl_entry *e)
{
	main_objs_close(&e->xdp, &e->tc);
}

int wl_entry_prog_fd(const struct wl_entry *e, int hook)
{
	return main_prog_fd(e->xdp, e->tc, hook);
}

void wl_progs_close(struct wl_progs *p)
{
	for (int h = 0; h < WL_PROG_HOOKS; h++)
		for (int proto = 0; proto < WL_L7_PROTO_MAX; proto++) {
			bpf_object__close(p->l7_obj[h][proto]);
			p->l7_obj[h][proto] = NULL;
		}
	main_objs_close(&p->xdp, &p->tc);
}

int wl_progs_prog_fd(const struct wl_progs *p, int hook)
{
	return main_prog_fd(p->xdp, p->tc, hook);
}

int wl_progs_map_fd(const struct wl_progs *p, const char *name)
{
	return bpf_object__find_map_fd_by_name(p->xdp->obj, name);
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

int wl_percpu_array_each(int fd, __u32 n, size_t vsz, void (*fn)(const void *value, void *arg),
			 void *arg)
{
	int ncpu = libbpf_num_possible_cpus(), err = 0;
	char *per;

	if (ncpu <= 0)
		return ncpu ? ncpu : -EINVAL;
	per = calloc(ncpu, vsz);
	if (!per)
		return -ENOMEM;
	for (__u32 idx = 0; idx < n && !err; idx++) {
		if (bpf_map_lookup_elem(fd, &idx, per)) {
			err = -errno;
			break;
		}
		for (int cpu = 0; cpu < ncpu; cpu++)
			fn(per + (size_t)cpu * vsz, arg);
	}
	free(per);
	return err;
}

static unsigned long seq_naps;

unsigned long wl_seq_naps(void)
{
	return __atomic_load_n(&seq_naps, __ATOMIC_ACQUIRE);
}

int wl_seq_retry_wait(unsigned int tries, __u64 *since_ns)
{
	const struct timespec nap = {.tv_nsec = 100 * 1000};
	struct timespec now;
	__u64 ns;

	if (tries <= WL_SEQ_SPINS)
		return 0;
	clock_gettime(CLOCK_MONOTONIC, &now);
	ns = (__u64)now.tv_sec * 1000000000ull + now.tv_nsec;
	if (tries == WL_SEQ_SPINS + 1)
		*since_ns = ns;
	else if (ns - *since_ns >= WL_SEQ_GIVE_UP_MS * 1000000ull)
		return -EBUSY;
	__atomic_fetch_add(&seq_naps, 1, __ATOMIC_RELEASE);
	nanosleep(&nap, NULL);
	return 0;
}

const char *wl_read_strerror(int err)
{
	if (err == -EBUSY)
		return "a cache slot stayed mid-fold for 5 s (a CPU stalled inside a wirelens "
		       "program?); "
		       "try again";
	return strerror(-err);
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

static const char *pin_dir_other; /* wl_pin_dir_use: another ABI's directory, for a while */

const char *wl_pin_dir(void)
{
	static char dir[256];

	if (pin_dir_other)
		return pin_dir_other;
	if (!dir[0])
		snprintf(dir, sizeof(dir), "%s/v%d", wl_pin_root(), WL_ABI_VERSION);
	return dir;
}

void wl_pin_dir_use(const char *dir)
{
	pin_dir_other = dir;
}
