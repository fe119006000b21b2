// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Attaching: every attachment is a BPF link (XDP link, tcx link) pinned under
 * WL_PIN_DIR/links/<ifname>@<hook>[@<netns>]. The pins are the state: the process can exit, a
 * killed attach leaves at most a link that `detach` removes, and status enumerates the pins.
 * Kernels without tcx (before 6.6) get a clsact qdisc + cls_bpf filter instead (tc_cls.c), which
 * is not a link: its pin is a record of what was added, pinned (as :<ifname>@<hook>..., pending;
 * no interface name has a ':') before adding it and renamed once the attach is complete. Pending
 * records are of attaches that were killed (the lock excludes a running one): the next attach or
 * detach removes them.
 *
 * libxdp's multi-program dispatcher is deliberately not used: it attaches the dispatcher through
 * netlink, not as a link, so an attach killed half-way or a lost pin would leave a program on the
 * interface that nothing owns, and `unlink the pin = detach` would no longer hold. On this kernel
 * it cannot load anyway (freplace is refused); status reports what a probe finds.
 */
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <elf.h>
#include <link.h>
#include <signal.h>
#include <unistd.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <sys/mount.h>
#include <linux/if_link.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "progs.h"
#include "attach.h"
#include "l7cfg.h"
#include "netns.h"
#include "tc_cls.h"
#include "iface.h"

#ifndef BPF_FS_MAGIC
#define BPF_FS_MAGIC 0xcafe4a11
#endif
#define WL_BPF_TCX_INGRESS 46 /* uapi values; the system headers may predate tcx */
#define WL_BPF_TCX_EGRESS  47
/* Kernel bytes per LRU hash entry beyond key and value (struct htab_elem, rounded up). */
#define WL_HTAB_ELEM_OVERHEAD 64

static const char *const hook_names[WL_HOOKS] = {"xdp", "tc-ingress", "tc-egress"};

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

static bool is_bpffs(const char *path)
{
	struct statfs fs;

	return !statfs(path, &fs) && fs.f_type == BPF_FS_MAGIC;
}

/* A mount namespace of our own (ip netns exec, unshare -m): anything mounted here goes with it.
 * 1 private, 0 the initial one, -1 cannot tell. The initial one is init's, or kthreadd's when
 * init's cannot be read (some sandboxes' init is not dumpable). */
static int private_mount_ns(void)
{
	struct stat self, init;

	if (stat("/proc/self/ns/mnt", &self))
		return -1;
	if (stat("/proc/1/ns/mnt", &init) && stat("/proc/2/ns/mnt", &init))
		return -1;
	return self.st_ino != init.st_ino || self.st_dev != init.st_dev;
}

int wl_check_env(bool may_mount)
{
	if (geteuid() != 0) {
		fprintf(stderr, "wirelens: needs root (CAP_BPF and CAP_NET_ADMIN)\n");
		return -EPERM;
	}
	if (access("/sys/kernel/btf/vmlinux", R_OK)) {
		fprintf(stderr, "wirelens: the kernel has no BTF (/sys/kernel/btf/vmlinux)\n");
		return -ENOTSUP;
	}
	if (is_bpffs("/sys/fs/bpf"))
		return 0;
	if (private_mount_ns() == 1) {
		/* ip netns exec remounts /sys: a bpffs mounted here would take every pin, and so
		 * every attachment, with it when this mount namespace goes. */
		fprintf(stderr,
			"wirelens: bpffs is not mounted on /sys/fs/bpf in this private mount "
			"namespace (ip netns exec, unshare -m): %s; run wirelens on the host, "
			"with --netns NAME for a network namespace\n",
			may_mount ? "pins made here would vanish with it"
				  : "the host's pins are not visible here");
		return -ENOENT;
	}
	if (!may_mount) {
		fprintf(stderr,
			"wirelens: nothing attached (bpffs is not mounted on /sys/fs/bpf)\n");
		return -ENOENT;
	}
	/* Like bpftool and ip: mount it where it belongs when it is missing. */
	if (mount("bpf", "/sys/fs/bpf", "bpf", 0, "mode=0700")) {
		fprintf(stderr,
			"wirelens: bpffs is not mounted on /sys/fs/bpf and mounting it failed "
			"(%s); "
			"mount -t bpf bpf /sys/fs/bpf\n",
			strerror(errno));
		return -ENOENT;
	}
	fprintf(stderr, "wirelens: mounted bpffs on /sys/fs/bpf (it was not mounted)%s\n",
		private_mount_ns() < 0 ? "; in a private mount namespace (ip netns exec) the pins "
					 "would vanish with it: use --netns NAME instead"
				       : "");
	return 0;
}

/* One lock per pin root: roots share nothing (tests run side by side with their own). */
static const char *lock_path(void)
{
	static char path[300];

	if (!path[0]) {
		size_t n;

		snprintf(path, sizeof(path), "/run/wirelens/lock");
		n = strlen(path);
		if (strcmp(wl_pin_root(), WL_PIN_ROOT)) {
			snprintf(path + n, sizeof(path) - n, "%s", wl_pin_root());
			for (char *c = path + n; *c; c++)
				if (*c == '/')
					*c = '_';
		}
	}
	return path;
}

int wl_lock(void)
{
	struct stat held, now;
	int fd;

	mkdir("/run/wirelens", 0700);
	for (;;) {
		fd = open(lock_path(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
		if (fd < 0 || flock(fd, LOCK_EX)) {
			fprintf(stderr, "wirelens: cannot lock %s: %s\n", lock_path(),
				strerror(errno));
			if (fd >= 0)
				close(fd);
			return -1;
		}
		/* The holder before us may have removed the file (wl_unpin_all): a lock on the
		 * removed inode locks nothing, take the new file's. */
		if (!fstat(fd, &held) && !stat(lock_path(), &now) && held.st_ino == now.st_ino &&
		    held.st_dev == now.st_dev)
			return fd;
		close(fd);
	}
}

void wl_explain_no_pins(void)
{
	if (geteuid() != 0)
		fprintf(stderr, "wirelens: needs root (CAP_BPF and CAP_NET_ADMIN)\n");
	else if (!is_bpffs("/sys/fs/bpf"))
		fprintf(stderr,
			"wirelens: nothing attached (bpffs is not mounted on /sys/fs/bpf%s)\n",
			private_mount_ns() == 1 ? " in this private mount namespace" : "");
	else
		fprintf(stderr, "wirelens: nothing attached (no pins under %s)\n", wl_pin_dir());
}

/* ---- options shared by attach and watch ---- */

void wl_attach_req_init(struct wl_attach_req *r)
{
	memset(r, 0, sizeof(*r));
	r->hooks[WL_HOOK_XDP] = true;
	r->hooks[WL_HOOK_TC_EGRESS] = true;
	r->load.pin_dir = wl_pin_dir();
	r->load.warn = true;
}

int wl_attach_option(struct wl_attach_req *r, int opt, const char *arg)
{
	switch (opt) {
	case 'm':
		if (strcmp(arg, "native") && strcmp(arg, "skb")) {
			fprintf(stderr, "wirelens: --mode native|skb, not '%s'\n", arg);
			return 2;
		}
		r->skb_mode = !strcmp(arg, "skb");
		r->mode_given = true;
		return 0;
	case 'k': {
		char buf[128], *tok, *save = NULL;
		int n = 0;

		memset(r->hooks, 0, sizeof(r->hooks));
		r->hooks_given = true;
		snprintf(buf, sizeof(buf), "%s", arg);
		for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
			int h = wl_hook_by_name(tok);

			if (h < 0) {
				fprintf(stderr,
					"wirelens: unknown hook '%s' (xdp, tc-egress, "
					"tc-ingress)\n",
					tok);
				return 2;
			}
			r->hooks[h] = true;
			n++;
		}
		if (!n) {
			fprintf(stderr, "wirelens: --hooks needs xdp, tc-egress or tc-ingress\n");
			return 2;
		}
		return 0;
	}
	case 'f': {
		char *e;
		unsigned long long v;

		errno = 0;
		v = strtoull(arg, &e, 10);
		if (errno || e == arg || *e || arg[0] == '-' || !v || v > (1ULL << 31)) {
			fprintf(stderr,
				"wirelens: --flows-max takes 1..2147483648 entries, not '%s'\n",
				arg);
			return 2;
		}
		r->load.flows_max = v;
		return 0;
	}
	case 'F':
		r->force = true;
		return 0;
	case WL_OPT_PROTOCOLS:
		if (r->load.l7_select && !r->load.l7_mask) {
			fprintf(stderr, "wirelens: --protocols and --no-l7 exclude each other\n");
			return 2;
		}
		r->load.l7_select = true;
		return wl_l7_proto_mask_parse(arg, &r->load.l7_mask) ? 2 : 0;
	case WL_OPT_NO_L7:
		if (r->load.l7_select && r->load.l7_mask) {
			fprintf(stderr, "wirelens: --protocols and --no-l7 exclude each other\n");
			return 2;
		}
		r->load.l7_select = true;
		r->load.l7_mask = 0;
		return 0;
	case 'v':
		r->load.verbose = true;
		return 0;
	case WL_OPT_TC_MODE:
		if (!strcmp(arg, "auto"))
			r->tc_mode = WL_TC_AUTO;
		else if (!strcmp(arg, "tcx"))
			r->tc_mode = WL_TC_TCX;
		else if (!strcmp(arg, "cls"))
			r->tc_mode = WL_TC_CLS;
		else {
			fprintf(stderr, "wirelens: --tc-mode auto|tcx|cls, not '%s'\n", arg);
			return 2;
		}
		return 0;
	}
	return -1;
}

void wl_attach_protocols_note(FILE *f)
{
	fprintf(f, "  protocols: %s\n", wl_l7_proto_list(", "));
}

/* ---- pins ---- */

static void link_path(char *buf, size_t len, const char *ifname, enum wl_hook_kind h,
		      const char *netns);

int wl_iface_hooks(const struct wl_attach_req *r, const char *ifname, bool hooks[WL_HOOKS],
		   const char **why)
{
	struct wl_iface info;
	char path[512], had[64] = "";
	int n = 0;

	memcpy(hooks, r->hooks, sizeof(r->hooks));
	*why = "";
	if (wl_iface_get(ifname, 0, &info))
		return 0;
	if (!info.loopback) {
		bool bond = !strcmp(info.kind, "bond") || !strcmp(info.kind, "team");

		if (r->hooks_given || !hooks[WL_HOOK_XDP])
			return 0;
		if (bond) {
			/* native XDP on a bond runs in each slave's driver, under the slave's
			 * ifindex: the replies would not meet their requests (tc-egress, the bond's
			 * ifindex); TC ingress sees the bond's packets once, as the bond */
			*why = ": a bond, tc-ingress sees its packets as the bond's (XDP on a bond "
			       "runs "
			       "in its slaves, under their ifindex)";
		} else if (wl_iface_vlan_children(info.ifindex) > 0) {
			/* VLAN sub-interfaces on it: a tag the driver (or a veth) keeps in the skb
			 * is not in the frame XDP sees, TC ingress has it (skb metadata) */
			*why = ": VLAN sub-interfaces on it, tc-ingress sees their tags (XDP does "
			       "not "
			       "see a tag kept in the skb)";
		} else {
			return 0;
		}
		hooks[WL_HOOK_XDP] = false;
		hooks[WL_HOOK_TC_INGRESS] = true;
		return 0;
	}
	if (!r->hooks_given) {
		*why = ": loopback, both directions leave through its egress once";
		memset(hooks, 0, sizeof(r->hooks));
		hooks[WL_HOOK_TC_EGRESS] = true;
	}
	/* what is attached there already counts too (an earlier attach with other hooks) */
	for (int h = 0; h < WL_HOOKS; h++) {
		bool pinned;

		link_path(path, sizeof(path), ifname, h, wl_netns_tag());
		pinned = !access(path, F_OK);
		if (pinned && !hooks[h])
			snprintf(had + strlen(had), sizeof(had) - strlen(had), "%s%s",
				 had[0] ? ", " : "", hook_names[h]);
		n += hooks[h] || pinned;
	}
	if (n > 1) {
		fprintf(stderr,
			"wirelens: %s is loopback: every packet passes its egress and its ingress, "
			"so more than one hook counts it twice; use one (default tc-egress)%s%s\n",
			ifname, had[0] ? "; attached already: " : "", had);
		return 2;
	}
	return 0;
}

static void link_path(char *buf, size_t len, const char *ifname, enum wl_hook_kind h,
		      const char *netns)
{
	snprintf(buf, len, "%s/links/%s@%s%s%s", wl_pin_dir(), ifname, hook_names[h],
		 netns ? "@" : "", netns ? netns : "");
}

/* Where a cls_bpf record waits while its attach runs (tc_cls.h). */
static void pending_path(char *buf, size_t len, const char *ifname, enum wl_hook_kind h,
			 const char *netns)
{
	snprintf(buf, len, "%s/links/:%s@%s%s%s", wl_pin_dir(), ifname, hook_names[h],
		 netns ? "@" : "", netns ? netns : "");
}

int wl_pins_prepare(void)
{
	char path[256];

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

bool wl_maps_pinned(void)
{
	int fd = wl_map_open("wl_counters");

	if (fd < 0)
		return false;
	close(fd);
	return true;
}

/* Removes every map pin and the directories, once nothing is attached. */
int wl_unpin_all(void)
{
	char path[512];
	struct dirent *e;
	DIR *d = opendir(wl_pin_dir());

	if (d) {
		while ((e = readdir(d))) {
			if (e->d_name[0] == '.' || !strcmp(e->d_name, "links"))
				continue;
			snprintf(path, sizeof(path), "%s/%s", wl_pin_dir(), e->d_name);
			unlink(path);
		}
		closedir(d);
	}
	snprintf(path, sizeof(path), "%s/links", wl_pin_dir());
	rmdir(path);
	rmdir(wl_pin_dir());
	rmdir(wl_pin_root());
	/* nothing left to protect: the lock file goes too (wl_lock copes, under the lock) */
	if (access(wl_pin_root(), F_OK))
		unlink(lock_path());
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

static void fill_link_pin(struct wl_link_pin *pin)
{
	struct bpf_link_info info = {};
	__u32 len = sizeof(info);
	struct wl_cls_rec rec;
	struct stat st;

	pin->link_id = pin->prog_id = pin->ifindex = pin->tc_prio = pin->tc_handle = 0;
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
		fill_link_pin(&pin);
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
static int unpin(const char *path, const char *netns)
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

	pending_path(path, sizeof(path), ifname, h, wl_netns_tag());
	pending_err = access(path, F_OK) ? -ENOENT : unpin(path, wl_netns_tag());
	link_path(path, sizeof(path), ifname, h, wl_netns_tag());
	err = unpin(path, wl_netns_tag());
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
	}
	return n;
}

bool wl_iface_pinned(const char *ifname)
{
	char path[512];

	for (int h = 0; h < WL_HOOKS; h++) {
		link_path(path, sizeof(path), ifname, h, wl_netns_tag());
		if (!access(path, F_OK))
			return true;
		pending_path(path, sizeof(path), ifname, h, wl_netns_tag());
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
	if (!unpin(pin->path, pin->netns))
		c->n++;
	return 0;
}

int wl_detach_all(bool every_namespace)
{
	struct detach_all_ctx c = {.every_namespace = every_namespace};

	wl_links_foreach(detach_pin, &c);
	return c.n;
}

/* ---- attaching ---- */

/* The XDP program on an interface that is not ours, if any (its id), else 0. */
static __u32 foreign_xdp(int ifindex)
{
	struct bpf_prog_info info = {};
	__u32 id = 0, len = sizeof(info);
	int fd;

	if (bpf_xdp_query_id(ifindex, 0, &id) || !id)
		return 0;
	fd = bpf_prog_get_fd_by_id(id);
	if (fd < 0)
		return id;
	if (!bpf_obj_get_info_by_fd(fd, &info, &len) && !strcmp(info.name, "wl_xdp"))
		id = 0;
	close(fd);
	return id;
}

/* A pin that no longer holds a live link on this very interface (it was deleted, or deleted and
 * created again under the same name) is stale: it goes, so the attach can happen again. */
static bool pin_is_live(const char *path, int ifindex)
{
	struct wl_link_pin pin = {.path = path, .netns = wl_netns_tag()};
	bool live;

	fill_link_pin(&pin);
	live = pin.fd >= 0 && pin.attached && (int)pin.ifindex == ifindex;
	if (pin.fd >= 0)
		close(pin.fd);
	return live;
}

/* For tests: WIRELENS_TEST_STALL_AT=N stops before pinning the Nth link this process creates
 * (for cls_bpf: after adding the filter, before marking its record complete), so a test can
 * kill -9 an attach half-way. */
static void test_stall(const char *ifname, enum wl_hook_kind h)
{
	static int links_made;
	const char *at = getenv("WIRELENS_TEST_STALL_AT");

	if (!at || ++links_made != atoi(at))
		return;
	fprintf(stderr, "wirelens: stalled before pinning %s@%s (WIRELENS_TEST_STALL_AT)\n", ifname,
		hook_names[h]);
	for (;;)
		pause();
}

static int session_programs(struct wl_attach_session *s);

struct stall_arg {
	const char *ifname;
	enum wl_hook_kind h;
};

static void cls_stall(void *arg)
{
	struct stall_arg *a = arg;

	test_stall(a->ifname, a->h);
}

/* TC through a clsact qdisc + cls_bpf filter: the record is pinned at path by tc_cls.c. */
static int attach_cls(struct wl_attach_session *s, const char *path, const char *ifname,
		      int ifindex, enum wl_hook_kind h)
{
	struct stall_arg sa = {ifname, h};
	enum wl_hook_kind other = h == WL_HOOK_TC_INGRESS ? WL_HOOK_TC_EGRESS : WL_HOOK_TC_INGRESS;
	char other_path[512], pending[512];

	link_path(other_path, sizeof(other_path), ifname, other, wl_netns_tag());
	pending_path(pending, sizeof(pending), ifname, h, wl_netns_tag());
	return wl_cls_attach(path, pending, other_path, ifname, ifindex, h == WL_HOOK_TC_INGRESS,
			     s->tc_fd, cls_stall, &sa);
}

/* Under the lock no attach is running: pending records are of killed ones. Their filters go. */
static int sweep_pending(const struct wl_link_pin *pin, void *arg)
{
	(void)arg;
	if (pin->pending)
		unpin(pin->path, pin->netns);
	return 0;
}

/* 0 attached, 1 already attached (live pin), -errno with one line printed. */
static int attach_hook(struct wl_attach_session *s, const struct wl_attach_req *r,
		       const char *ifname, int ifindex, enum wl_hook_kind h, char *note,
		       size_t note_len)
{
	LIBBPF_OPTS(bpf_link_create_opts, opts);
	int fd, prog_fd, type, err;
	char path[512];

	link_path(path, sizeof(path), ifname, h, wl_netns_tag());
	if (!access(path, F_OK)) {
		if (pin_is_live(path, ifindex))
			return 1;
		/* stale: a cls_bpf record's leftovers (filter, qdisc) go with it */
		err = unpin(path, wl_netns_tag());
		if (err) {
			fprintf(stderr, "wirelens: %s: removing the stale %s attachment: %s\n",
				ifname, hook_names[h], strerror(-err));
			return err;
		}
	}
	err = session_programs(s);
	if (err)
		return err;
	if (h != WL_HOOK_XDP && r->tc_mode == WL_TC_CLS)
		return attach_cls(s, path, ifname, ifindex, h);
	if (h == WL_HOOK_XDP) {
		__u32 other = foreign_xdp(ifindex);

		if (other && !r->force) {
			fprintf(stderr,
				"wirelens: %s already has another XDP program (id %u); not "
				"replacing "
				"it (--force to replace)\n",
				ifname, other);
			return -EBUSY;
		}
		if (other)
			bpf_xdp_detach(ifindex, 0, NULL);
		prog_fd = s->xdp_fd;
		type = BPF_XDP;
		opts.flags = r->skb_mode ? XDP_FLAGS_SKB_MODE : XDP_FLAGS_DRV_MODE;
	} else {
		prog_fd = s->tc_fd;
		type = h == WL_HOOK_TC_INGRESS ? WL_BPF_TCX_INGRESS : WL_BPF_TCX_EGRESS;
	}
	fd = bpf_link_create(prog_fd, ifindex, type, &opts);
	if (fd < 0 && h == WL_HOOK_XDP && !r->mode_given && errno != EBUSY) {
		/* No native XDP here (loopback, VLAN, bridge, a bond whose slaves lack it):
		 * generic XDP sees the same packets, as skbs; the attach line says why. */
		snprintf(note, note_len, "native refused: %s", strerror(errno));
		opts.flags = XDP_FLAGS_SKB_MODE;
		fd = bpf_link_create(prog_fd, ifindex, type, &opts);
		if (fd < 0)
			note[0] = 0;
	}
	if (fd < 0 && h != WL_HOOK_XDP && errno == EINVAL && r->tc_mode == WL_TC_AUTO)
		return attach_cls(s, path, ifname, ifindex, h); /* no tcx before 6.6 */
	if (fd < 0) {
		err = -errno;

		if (h == WL_HOOK_XDP && err == -EBUSY)
			fprintf(stderr,
				"wirelens: %s: an XDP link is already attached there (another pin "
				"root?)\n",
				ifname);
		else if (h == WL_HOOK_XDP && !r->skb_mode && r->mode_given)
			fprintf(stderr, "wirelens: %s: native XDP refused (%s); try --mode skb\n",
				ifname, strerror(-err));
		else
			fprintf(stderr, "wirelens: %s: attaching %s failed: %s%s\n", ifname,
				hook_names[h], strerror(-err),
				h != WL_HOOK_XDP && err == -EINVAL
					? " (no tcx before Linux 6.6: --tc-mode cls or auto)"
					: "");
		return err;
	}
	test_stall(ifname, h);
	if (bpf_obj_pin(fd, path)) {
		err = -errno;

		fprintf(stderr, "wirelens: pinning %s: %s\n", path, strerror(-err));
		close(fd); /* the link goes with its last reference: nothing left behind */
		return err;
	}
	close(fd);
	return 0;
}

static const char *mode_now(const char *ifname, enum wl_hook_kind h)
{
	struct wl_link_pin pin = {.ifname = ifname, .hook = h, .netns = wl_netns_tag()};
	char path[512];
	const char *mode;

	link_path(path, sizeof(path), ifname, h, wl_netns_tag());
	pin.path = path;
	fill_link_pin(&pin);
	mode = wl_link_mode(&pin);
	if (pin.fd >= 0)
		close(pin.fd);
	return mode;
}

int wl_attach_iface(struct wl_attach_session *s, const struct wl_attach_req *r, const char *ifname,
		    bool quiet_if_attached)
{
	char added[256] = "", already[128] = "", *buf, note[96];
	const char *why;
	bool made[WL_HOOKS] = {}, hooks[WL_HOOKS];
	int ifindex = if_nametoindex(ifname), n_added = 0, n_already = 0;

	if (!ifindex) {
		fprintf(stderr, "wirelens: no interface '%s'\n", ifname);
		return -ENODEV;
	}
	if (wl_iface_hooks(r, ifname, hooks, &why))
		return -EINVAL;
	/* --protocols/--no-l7 change the set even where everything is attached already: the
	 * program arrays are shared by every attachment of the pin root */
	if (r->load.l7_select) {
		int err = session_programs(s);

		if (err)
			return err;
	}
	for (int h = 0; h < WL_HOOKS; h++) {
		const char *mode;
		int ret;

		if (!hooks[h])
			continue;
		note[0] = 0;
		ret = attach_hook(s, r, ifname, ifindex, h, note, sizeof(note));
		if (ret < 0) {
			/* all or nothing per interface: undo what this call attached */
			for (int k = 0; k < h; k++)
				if (made[k])
					wl_detach_one(ifname, k);
			return ret;
		}
		made[h] = ret == 0;
		buf = ret == 0 ? added : already;
		mode = mode_now(ifname, h);
		if (h != WL_HOOK_XDP)
			mode = ""; /* TC: the plain hook name on every kernel (status tells
				      tcx/cls_bpf) */
		snprintf(buf + strlen(buf),
			 (ret == 0 ? sizeof(added) : sizeof(already)) - strlen(buf),
			 "%s%s%s%s%s%s%s", (ret == 0 ? n_added : n_already) ? ", " : "",
			 hook_names[h], mode[0] ? " " : "", mode, note[0] ? " (" : "", note,
			 note[0] ? ")" : "");
		if (ret == 0)
			n_added++;
		else
			n_already++;
	}
	if (n_added)
		printf("attached %s%s%s (%s%s%s)%s\n", ifname, wl_netns_tag() ? " in netns " : "",
		       wl_netns_tag() ? wl_netns_tag() : "", added, n_already ? "; already: " : "",
		       already, why);
	else if (!quiet_if_attached)
		printf("%s: already attached (%s)\n", ifname, already);
	fflush(stdout);
	return n_added ? 0 : 1;
}

/* ---- loading ---- */

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
 * half the memory available (the kernel preallocates LRU hash tables). */
static int flows_max_check(__u32 *want)
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
	if (!*want)
		return 0;
	need_kib = (unsigned long long)*want *
		   (sizeof(struct wl_flow_key) + sizeof(struct wl_flow_stats) +
		    WL_HTAB_ELEM_OVERHEAD) /
		   1024;
	avail_kib = mem_available_kib();
	if (avail_kib > 0 && need_kib > (unsigned long long)avail_kib / 2) {
		fprintf(stderr,
			"wirelens: --flows-max %u needs about %llu MiB of kernel memory, more than "
			"half of the %ld MiB available\n",
			*want, need_kib / 1024, avail_kib / 1024);
		return -ENOMEM;
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

/* Whether a program reads the pinned counters map, i.e. was loaded against the pinned maps. */
static bool prog_uses_pinned_maps(int prog_fd)
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
	int fd = wl_map_open("wl_l7_info"), err;

	if (!o->l7_select)
		return true;
	if (fd < 0)
		return false;
	err = wl_l7_info_read(fd, info);
	close(fd);
	if (err)
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
	if (xdp >= 0 && tc >= 0 && prog_uses_pinned_maps(xdp) && prog_uses_pinned_maps(tc)) {
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
static int session_programs(struct wl_attach_session *s)
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

int wl_session_prepare(struct wl_attach_session *s, const struct wl_attach_req *r)
{
	int err;

	if (!s->initialised) {
		s->xdp_fd = s->tc_fd = -1;
		s->initialised = true;
	}
	s->lo = r->load;
	s->load_err = 0;
	err = flows_max_check(&s->lo.flows_max);
	if (err)
		return err;
	err = wl_pins_prepare();
	if (err) {
		fprintf(stderr, "wirelens: cannot create %s: %s\n", wl_pin_dir(), strerror(-err));
		return err;
	}
	wl_links_foreach(sweep_pending, NULL);
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
