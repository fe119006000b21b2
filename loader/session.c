// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The programs attachments use (struct wl_attach_session): the ones this same build pinned beside
 * the maps, else loaded on first need and pinned for the next attach; the flow table size checked
 * before anything is loaded.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <dirent.h>
#include <elf.h>
#include <link.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "progs.h"
#include "attach.h"
#include "pins.h"
#include "l7cfg.h"

/* Kernel bytes per LRU hash entry beyond key and value (struct htab_elem, rounded up). */
#define WL_HTAB_ELEM_OVERHEAD 64

static long mem_available_kib(void)
{
	char line[128];
	long kib = -1;
	FILE *f = fopen("/proc/meminfo", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "MemAvailable: %ld kB", &kib) == 1)
			break;
	fclose(f);
	return kib;
}

/* A flow table size that cannot work is one clear line before anything is loaded or pinned:
 * another size than the pinned table's (the maps are shared by every attachment), or more than
 * half the memory available (the kernel preallocates LRU hash tables). The same for its kind
 * (--flows-percpu): asked against a shared pinned table is refused, not asked takes the pinned
 * table's. */
static int flows_max_check(__u32 *want, bool *percpu)
{
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);
	unsigned long long need_kib;
	long avail_kib;
	int fd;

	fd = wl_map_open("wl_flows");
	if (fd >= 0) {
		int err = bpf_obj_get_info_by_fd(fd, &info, &len);

		close(fd);
		if (!err && *percpu && info.type != BPF_MAP_TYPE_LRU_PERCPU_HASH) {
			fprintf(stderr, "wirelens: the flow table is already pinned with one value "
					"for all CPUs; --flows-percpu needs everything detached "
					"first (detach --all)\n");
			return -EEXIST;
		}
		if (!err && info.type == BPF_MAP_TYPE_LRU_PERCPU_HASH)
			*percpu = true; /* as pinned */
		if (!err && !*want)
			*want = info.max_entries; /* no size asked: the pinned table's */
		if (!err && info.max_entries != *want) {
			fprintf(stderr,
				"wirelens: the flow table is already pinned with %u entries; "
				"--flows-max %u needs everything detached first (detach --all)\n",
				info.max_entries, *want);
			return -EEXIST;
		}
		return 0;
	}
	if (!*want && !*percpu)
		return 0;
	need_kib = (unsigned long long)(*want ? *want : WL_FLOWS_DEFAULT) *
		   (sizeof(struct wl_flow_key) +
		    sizeof(struct wl_flow_stats) * (*percpu ? libbpf_num_possible_cpus() : 1) +
		    WL_HTAB_ELEM_OVERHEAD) /
		   1024;
	avail_kib = mem_available_kib();
	if (avail_kib > 0 && need_kib > (unsigned long long)avail_kib / 2) {
		fprintf(stderr,
			"wirelens: --flows-max %u%s needs about %llu MiB of kernel memory, more "
			"than half of the %ld MiB available\n",
			*want ? *want : WL_FLOWS_DEFAULT, *percpu ? " --flows-percpu" : "",
			need_kib / 1024, avail_kib / 1024);
		return -ENOMEM;
	}
	return 0;
}

/* The size of a table the maps' pins fix (--conns-max, --cmd-stats-max): with no size asked,
 * the pinned table's; another size than the pinned one is one clear line (the maps are shared
 * by every attachment). */
static int pinned_size_check(const char *map, const char *opt, __u32 *want)
{
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);
	int fd = wl_map_open(map), err;

	if (fd < 0)
		return 0;
	err = bpf_obj_get_info_by_fd(fd, &info, &len);
	close(fd);
	if (err)
		return 0;
	if (!*want)
		*want = info.max_entries;
	if (info.max_entries != *want) {
		fprintf(stderr,
			"wirelens: %s is already pinned with %u entries; %s %u needs everything "
			"detached first (detach --all)\n",
			map, info.max_entries, opt, *want);
		return -EEXIST;
	}
	return 0;
}

/* This executable's GNU build id in hex ("" without one): the identity of the programs it
 * embeds, so that programs pinned by this very build can be reused instead of loaded again. */
static int build_id_note(struct dl_phdr_info *info, size_t size, void *arg)
{
	char *hex = arg;

	(void)size;
	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		const char *p = (const char *)(info->dlpi_addr + ph->p_vaddr),
			   *end = p + ph->p_memsz;

		if (ph->p_type != PT_NOTE)
			continue;
		while (p + sizeof(ElfW(Nhdr)) <= end) {
			const ElfW(Nhdr) *n = (const ElfW(Nhdr) *)p;
			const unsigned char *desc =
				(const unsigned char *)p + sizeof(*n) + ((n->n_namesz + 3) & ~3u);

			if (n->n_type == NT_GNU_BUILD_ID && n->n_namesz == 4 &&
			    !memcmp(p + sizeof(*n), "GNU", 4)) {
				for (unsigned int k = 0; k < n->n_descsz && k < 20; k++)
					sprintf(hex + 2 * k, "%02x", desc[k]);
				return 1;
			}
			p = (const char *)desc + ((n->n_descsz + 3) & ~3u);
		}
	}
	return 1; /* the first object is the executable: stop there */
}

static const char *build_id(void)
{
	static char hex[41];
	static bool done;

	if (!done) {
		dl_iterate_phdr(build_id_note, hex);
		done = true;
	}
	return hex;
}

static void prog_pin_path(char *buf, size_t len, const char *prog)
{
	/* no dots: bpffs refuses them in names (EPERM) */
	snprintf(buf, len, "%s/%s_prog_%s", wl_pin_dir(), prog, build_id());
}

bool wl_prog_uses_pinned_maps(int prog_fd)
{
	struct bpf_prog_info info = {};
	struct bpf_map_info minfo = {};
	__u32 len = sizeof(info), mlen = sizeof(minfo), ids[64];
	int map_fd = wl_map_open("wl_counters");
	bool found = false;

	if (map_fd < 0)
		return false;
	if (bpf_obj_get_info_by_fd(map_fd, &minfo, &mlen))
		goto out;
	info.nr_map_ids = sizeof(ids) / sizeof(ids[0]);
	info.map_ids = (__u64)(unsigned long)ids;
	if (bpf_obj_get_info_by_fd(prog_fd, &info, &len))
		goto out;
	for (__u32 i = 0; i < info.nr_map_ids && i < sizeof(ids) / sizeof(ids[0]); i++)
		found |= ids[i] == minfo.id;
out:
	close(map_fd);
	return found;
}

static void session_drop_programs(struct wl_attach_session *s)
{
	wl_netns_progs_drop(&s->ns); /* loaded on the maps of p or of the pins */
	if (s->loaded)
		wl_progs_close(&s->p); /* owns the fds it lent */
	else {
		if (s->xdp_fd >= 0)
			close(s->xdp_fd);
		if (s->tc_fd >= 0)
			close(s->tc_fd);
	}
	s->loaded = false;
	s->xdp_fd = s->tc_fd = -1;
}

/* Whether the protocols loaded beside the pinned maps are the ones asked for (always, when
 * attach names none: the set stays until --protocols or --no-l7 changes it). */
static bool l7_set_pinned(const struct wl_load_opts *o)
{
	struct wl_l7_info info[WL_L7_PROTO_MAX];

	if (!o->l7_select)
		return true;
	if (wl_l7_info_read_pinned(info))
		return false;
	for (unsigned int p = 1; p < WL_L7_PROTO_MAX; p++)
		if (!!info[p].wanted != !!(o->l7_mask & (1u << p)))
			return false;
	return true;
}

/* Programs pinned by this same build next to the pinned maps: attaching another interface then
 * costs no load (and no verification) at all, and every interface runs the same programs. */
static bool session_reuse_pinned(struct wl_attach_session *s)
{
	char path[512];
	int xdp, tc;

	if (!build_id()[0] || !l7_set_pinned(&s->lo))
		return false;
	prog_pin_path(path, sizeof(path), "wl_xdp");
	xdp = bpf_obj_get(path);
	prog_pin_path(path, sizeof(path), "wl_tc");
	tc = bpf_obj_get(path);
	if (xdp >= 0 && tc >= 0 && wl_prog_uses_pinned_maps(xdp) && wl_prog_uses_pinned_maps(tc)) {
		s->xdp_fd = xdp;
		s->tc_fd = tc;
		return true;
	}
	if (xdp >= 0)
		close(xdp);
	if (tc >= 0)
		close(tc);
	return false;
}

/* Pins of programs of other builds go (their links keep them running); ours are pinned. */
static void pin_programs(struct wl_attach_session *s)
{
	char path[512];
	struct dirent *e;
	DIR *d = opendir(wl_pin_dir());

	if (!build_id()[0])
		return;
	while (d && (e = readdir(d))) {
		if (!strstr(e->d_name, "_prog_"))
			continue;
		snprintf(path, sizeof(path), "%s/%s", wl_pin_dir(), e->d_name);
		unlink(path);
	}
	if (d)
		closedir(d);
	prog_pin_path(path, sizeof(path), "wl_xdp");
	bpf_obj_pin(s->xdp_fd, path);
	prog_pin_path(path, sizeof(path), "wl_tc");
	bpf_obj_pin(s->tc_fd, path);
}

/* The programs to attach: reused or loaded now, on first need. */
int wl_session_programs(struct wl_attach_session *s)
{
	int err;

	if (s->xdp_fd >= 0 && s->tc_fd >= 0)
		return 0;
	if (s->load_err)
		return s->load_err; /* said once already */
	wl_libbpf_quiet(s->lo.verbose);
	err = wl_progs_load(&s->p, &s->lo);
	if (!err) {
		s->loaded = true;
		s->xdp_fd = wl_progs_xdp_fd(&s->p);
		s->tc_fd = wl_progs_tc_fd(&s->p);
		err = wl_l7_config_init(&s->p);
		if (err)
			fprintf(stderr, "wirelens: cannot fill the L7 configuration maps: %s\n",
				strerror(-err));
	}
	if (err) {
		session_drop_programs(s);
		s->load_err = err;
		return err;
	}
	pin_programs(s);
	return 0;
}

int wl_session_entry_fds(struct wl_attach_session *s, int *xdp_fd, int *tc_fd)
{
	char xdp[512], tc[512];
	int err = wl_session_programs(s);

	if (err)
		return err;
	prog_pin_path(xdp, sizeof(xdp), "wl_xdp");
	prog_pin_path(tc, sizeof(tc), "wl_tc");
	return wl_netns_progs_get(&s->ns, s->xdp_fd, s->tc_fd, s->loaded ? &s->p : NULL,
				  build_id()[0] ? xdp : NULL, build_id()[0] ? tc : NULL,
				  s->lo.verbose, xdp_fd, tc_fd);
}

int wl_session_prepare(struct wl_attach_session *s, const struct wl_attach_req *r)
{
	int err;

	if (!s->initialised) {
		s->xdp_fd = s->tc_fd = -1;
		wl_netns_progs_init(&s->ns);
		s->initialised = true;
	}
	s->lo = r->load;
	s->load_err = 0;
	err = flows_max_check(&s->lo.flows_max, &s->lo.flows_percpu);
	if (!err)
		err = pinned_size_check("wl_conns", "--conns-max", &s->lo.conns_max);
	if (!err)
		err = pinned_size_check("wl_l7_open", "--open-max", &s->lo.open_max);
	if (!err)
		err = pinned_size_check("wl_cmd_stats", "--cmd-stats-max", &s->lo.cmd_stats_max);
	if (err)
		return err;
	err = wl_pins_prepare();
	if (err) {
		fprintf(stderr, "wirelens: cannot create %s: %s\n", wl_pin_dir(), strerror(-err));
		return err;
	}
	wl_pins_sweep_pending();
	/* Always look again: since the last batch (watch), detach --all may have unpinned the
	 * maps our programs use. */
	session_drop_programs(s);
	session_reuse_pinned(s);
	return 0;
}

void wl_session_close(struct wl_attach_session *s)
{
	if (s->initialised)
		session_drop_programs(s);
}
