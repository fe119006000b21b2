// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The pins: every attachment is a BPF link (XDP link, tcx link) pinned under
 * WL_PIN_DIR/links/<ifname>@<hook>[@<netns>]. The pins are the state: the process can exit, a
 * killed attach leaves at most a link that `detach` removes, and status enumerates the pins.
 * Kernels without tcx (before 6.6) get a clsact qdisc + cls_bpf filter instead (tc_cls.c), which
 * is not a link: its pin is a record of what was added, pinned (as :<ifname>@<hook>..., pending;
 * no interface name has a ':') before adding it and renamed once the attach is complete. Pending
 * records are of attaches that were killed (the lock excludes a running one): the next attach or
 * detach removes them.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <dirent.h>
#include <net/if.h>
#include <unistd.h>
#include <sys/stat.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "progs.h"
#include "attach.h"
#include "pins.h"
#include "netns.h"
#include "tc_cls.h"
#include "faults.h"

static const char *const hook_names[WL_HOOKS] = {"xdp", "tc-ingress", "tc-egress", "peer-egress"};

const char *wl_hook_name(enum wl_hook_kind h)
{
	return h < WL_HOOKS ? hook_names[h] : "?";
}

int wl_hook_by_name(const char *name)
{
	for (int h = 0; h < WL_HOOKS; h++)
		if (!strcmp(name, hook_names[h]))
			return h;
	return -1;
}

void wl_link_path(char *buf, size_t len, const char *ifname, enum wl_hook_kind h, const char *netns)
{
	snprintf(buf, len, "%s/links/%s@%s%s%s", wl_pin_dir(), ifname, hook_names[h],
		 netns ? "@" : "", netns ? netns : "");
}

/* Where a cls_bpf record waits while its attach runs (tc_cls.h). */
void wl_pending_path(char *buf, size_t len, const char *ifname, enum wl_hook_kind h,
		     const char *netns)
{
	snprintf(buf, len, "%s/links/:%s@%s%s%s", wl_pin_dir(), ifname, hook_names[h],
		 netns ? "@" : "", netns ? netns : "");
}

/* What a detach killed while unpinning left: map pins without wl_counters (wl_unpin_all removes
 * it first) and no link. They go before anything reuses them: maps of a half-removed set would
 * be mixed with new ones (old rules under a new configuration, a program on old maps). */
static void sweep_unpin_leftovers(void)
{
	char path[512];
	struct dirent *e;
	DIR *d;

	if (wl_maps_pinned() || wl_links_count())
		return;
	d = opendir(wl_pin_dir());
	while (d && (e = readdir(d))) {
		if (e->d_name[0] == '.' || !strcmp(e->d_name, "links"))
			continue;
		snprintf(path, sizeof(path), "%s/%s", wl_pin_dir(), e->d_name);
		unlink(path);
	}
	if (d)
		closedir(d);
}

int wl_pins_prepare(void)
{
	char path[256];

	sweep_unpin_leftovers();
	if (mkdir(wl_pin_root(), 0700) && errno != EEXIST)
		return -errno;
	if (mkdir(wl_pin_dir(), 0700) && errno != EEXIST)
		return -errno;
	snprintf(path, sizeof(path), "%s/links", wl_pin_dir());
	if (mkdir(path, 0700) && errno != EEXIST)
		return -errno;
	return 0;
}

int wl_map_open(const char *name)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/%s", wl_pin_dir(), name);
	return bpf_obj_get(path);
}

int wl_map_open_ro(const char *name)
{
	LIBBPF_OPTS(bpf_obj_get_opts, ro, .file_flags = BPF_F_RDONLY);
	char path[256];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", wl_pin_dir(), name);
	fd = bpf_obj_get_opts(path, &ro);
	return fd < 0 ? -errno : fd;
}

bool wl_maps_pinned(void)
{
	int fd = wl_map_open("wl_counters");

	if (fd < 0)
		return false;
	close(fd);
	return true;
}

/* Removes every map pin and the directories, once nothing is attached. In an order a kill at
 * any point leaves repairable: the programs' pins first (no later attach reuses a program
 * whose maps are half gone), then wl_counters (without it the maps count as not pinned:
 * status and rule say nothing is attached, and the next attach or detach sweeps the rest). */
int wl_unpin_all(void)
{
	char path[512];
	struct dirent *e;
	DIR *d;

	wl_test_stall("detach-links");
	for (int pass = 0; pass < 3; pass++) {
		d = opendir(wl_pin_dir());
		while (d && (e = readdir(d))) {
			bool prog = strstr(e->d_name, "_prog_") != NULL,
			     counters = !strcmp(e->d_name, "wl_counters");

			if (e->d_name[0] == '.' || !strcmp(e->d_name, "links") ||
			    (pass == 0 && !prog) || (pass == 1 && !counters))
				continue;
			snprintf(path, sizeof(path), "%s/%s", wl_pin_dir(), e->d_name);
			unlink(path);
		}
		if (d)
			closedir(d);
		if (pass == 1)
			wl_test_stall("detach-unpin");
	}
	snprintf(path, sizeof(path), "%s/links", wl_pin_dir());
	rmdir(path);
	rmdir(wl_pin_dir());
	rmdir(wl_pin_root());
	/* nothing left to protect: the lock file goes too (wl_lock copes, under the lock) */
	if (access(wl_pin_root(), F_OK))
		unlink(wl_lock_path());
	return 0;
}

/* "eth0@tc-egress@blue" -> eth0, tc-egress, blue. The hook is found by name, so '@' may appear
 * in the interface and namespace names too. */
static bool parse_pin_name(char *name, enum wl_hook_kind *h, const char **netns)
{
	for (char *at = strchr(name, '@'); at; at = strchr(at + 1, '@')) {
		for (int k = 0; k < WL_HOOKS; k++) {
			size_t n = strlen(hook_names[k]);

			if (strncmp(at + 1, hook_names[k], n) || (at[1 + n] && at[1 + n] != '@'))
				continue;
			*at = 0;
			*h = k;
			*netns = at[1 + n] ? at + 2 + n : NULL;
			return true;
		}
	}
	return false;
}

/* A cls_bpf record: the filter is asked for in the pin's namespace. */
static void fill_cls_pin(struct wl_link_pin *pin, const struct wl_cls_rec *rec)
{
	int ret = wl_cls_check(rec, pin->netns);

	pin->cls = true;
	pin->prog_id = rec->prog_id;
	pin->tc_prio = rec->prio;
	pin->tc_handle = rec->handle;
	pin->ifindex = ret == -ENODEV ? 0 : rec->ifindex;
	pin->attached = ret == 1 && !pin->pending;
}

static int own_ifindex(void *ifname)
{
	return if_nametoindex(ifname);
}

void wl_link_pin_fill(struct wl_link_pin *pin)
{
	struct bpf_link_info info = {};
	__u32 len = sizeof(info);
	struct wl_cls_rec rec;
	struct stat st;

	pin->link_id = pin->prog_id = pin->ifindex = pin->tc_prio = pin->tc_handle = 0;
	pin->peer_ifindex = 0;
	pin->cls = pin->attached = false; /* (pending is the caller's: it comes from the name) */
	pin->since = !stat(pin->path, &st) ? st.st_ctime : 0;
	pin->fd = bpf_obj_get(pin->path);
	if (wl_cls_record(pin->fd, &rec)) {
		fill_cls_pin(pin, &rec);
		return;
	}
	if (pin->fd < 0 || bpf_obj_get_info_by_fd(pin->fd, &info, &len))
		return;
	pin->link_id = info.id;
	pin->prog_id = info.prog_id;
	/* XDP and tcx link infos both start with the ifindex (0 once the device is gone); the
	 * system headers predate the tcx member. */
	pin->ifindex = info.xdp.ifindex;
	pin->attached = pin->link_id && pin->ifindex;
	if (pin->hook == WL_HOOK_PEER_EGRESS) {
		pin->peer_ifindex = pin->ifindex;
		if (pin->ifindex && pin->ifname)
			pin->ifindex = wl_netns_run(pin->netns, own_ifindex, (void *)pin->ifname);
		if ((int)pin->ifindex < 0)
			pin->ifindex = 0;
	}
}

int wl_links_foreach(int (*fn)(const struct wl_link_pin *pin, void *arg), void *arg)
{
	char dir[256], path[512], name[256];
	struct dirent *e;
	DIR *d;
	int err = 0;

	snprintf(dir, sizeof(dir), "%s/links", wl_pin_dir());
	d = opendir(dir);
	if (!d)
		return 0;
	while (!err && (e = readdir(d))) {
		struct wl_link_pin pin = {.ifname = name, .path = path};
		enum wl_hook_kind h;

		if (e->d_name[0] == '.')
			continue;
		pin.pending = e->d_name[0] == ':';
		snprintf(name, sizeof(name), "%s", e->d_name + pin.pending);
		if (!parse_pin_name(name, &h, &pin.netns))
			continue;
		pin.hook = h;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		wl_link_pin_fill(&pin);
		err = fn(&pin, arg);
		if (pin.fd >= 0)
			close(pin.fd);
	}
	closedir(d);
	return err;
}

static int xdp_mode_query(void *arg)
{
	const struct wl_link_pin *pin = arg;
	LIBBPF_OPTS(bpf_xdp_query_opts, q);

	if (bpf_xdp_query(pin->ifindex, 0, &q))
		return 0;
	if (q.drv_prog_id == pin->prog_id)
		return 1;
	if (q.skb_prog_id == pin->prog_id)
		return 2;
	return 0;
}

const char *wl_link_mode(const struct wl_link_pin *pin)
{
	if (pin->fd < 0 || (!pin->link_id && !pin->cls))
		return "?";
	if (!pin->ifindex)
		return "defunct";
	if (pin->hook != WL_HOOK_XDP)
		return pin->cls ? "cls_bpf" : "tcx";
	switch (wl_netns_run(pin->netns, xdp_mode_query, (void *)pin)) {
	case 1:
		return "native";
	case 2:
		return "skb";
	default:
		return "?";
	}
}

static int count_pin(const struct wl_link_pin *pin, void *arg)
{
	(void)pin;
	++*(int *)arg;
	return 0;
}

int wl_links_count(void)
{
	int n = 0;

	wl_links_foreach(count_pin, &n);
	return n;
}

/* Unpinning a link detaches it; a cls_bpf record's filter (and qdisc) are removed first. */
int wl_unpin(const char *path, const char *netns)
{
	int fd = bpf_obj_get(path);
	struct wl_cls_rec rec;
	bool cls = wl_cls_record(fd, &rec);

	int err;

	if (fd >= 0)
		close(fd);
	if (!cls)
		return unlink(path) ? -errno : 0;
	err = wl_cls_detach(path, netns);
	if (err && err != -ENOENT)
		fprintf(stderr, "wirelens: %s: removing the cls_bpf filter: %s (the pin stays)\n",
			path, strerror(-err));
	return err;
}

/* The hook's pin, and the pending record of a killed attach of it if there is one. */
int wl_detach_one(const char *ifname, enum wl_hook_kind h)
{
	char path[512];
	int err, pending_err;

	wl_pending_path(path, sizeof(path), ifname, h, wl_netns_tag());
	pending_err = access(path, F_OK) ? -ENOENT : wl_unpin(path, wl_netns_tag());
	wl_link_path(path, sizeof(path), ifname, h, wl_netns_tag());
	err = wl_unpin(path, wl_netns_tag());
	return err == -ENOENT && !pending_err ? 0 : err;
}

int wl_detach_iface(const char *ifname, char *what, size_t len)
{
	size_t used = 0;
	int n = 0;

	what[0] = 0;
	for (int h = 0; h < WL_HOOKS; h++) {
		if (wl_detach_one(ifname, h))
			continue;
		used += snprintf(what + used, used < len ? len - used : 0, "%s%s", n ? ", " : "",
				 hook_names[h]);
		n++;
		wl_test_stall(
			"detach-hook"); /* each hook goes whole: a kill here leaves the rest */
	}
	return n;
}

bool wl_iface_pinned(const char *ifname)
{
	char path[512];

	for (int h = 0; h < WL_HOOKS; h++) {
		wl_link_path(path, sizeof(path), ifname, h, wl_netns_tag());
		if (!access(path, F_OK))
			return true;
		wl_pending_path(path, sizeof(path), ifname, h, wl_netns_tag());
		if (!access(path, F_OK))
			return true;
	}
	return false;
}

struct detach_all_ctx {
	bool every_namespace;
	int n;
};

static int detach_pin(const struct wl_link_pin *pin, void *arg)
{
	struct detach_all_ctx *c = arg;

	if (!c->every_namespace && !wl_netns_same(pin->netns, wl_netns_tag()))
		return 0;
	if (!wl_unpin(pin->path, pin->netns))
		c->n++;
	return 0;
}

int wl_detach_all(bool every_namespace)
{
	struct detach_all_ctx c = {.every_namespace = every_namespace};

	wl_links_foreach(detach_pin, &c);
	return c.n;
}

/* Under the lock no attach is running: pending records are of killed ones. Their filters go. */
static int sweep_pending(const struct wl_link_pin *pin, void *arg)
{
	(void)arg;
	if (pin->pending)
		wl_unpin(pin->path, pin->netns);
	return 0;
}

void wl_pins_sweep_pending(void)
{
	wl_links_foreach(sweep_pending, NULL);
}
