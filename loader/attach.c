// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Attaching: every attachment is a BPF link (XDP link, tcx link) pinned under
 * WL_PIN_DIR/links/<ifname>@<hook>. The pins are the state: the process can exit, a killed attach
 * leaves at most a link that `detach` removes, and status enumerates the pins.
 */
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <unistd.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <sys/mount.h>
#include <linux/if_link.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "progs.h"
#include "attach.h"
#include "l7cfg.h"

#ifndef BPF_FS_MAGIC
#define BPF_FS_MAGIC 0xcafe4a11
#endif
#define WL_BPF_TCX_INGRESS 46 /* uapi values; the system headers may predate tcx */
#define WL_BPF_TCX_EGRESS  47

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

int wl_check_env(void)
{
	struct statfs fs;

	if (geteuid() != 0) {
		fprintf(stderr, "wirelens: needs root (CAP_BPF and CAP_NET_ADMIN)\n");
		return -EPERM;
	}
	if (access("/sys/kernel/btf/vmlinux", R_OK)) {
		fprintf(stderr, "wirelens: the kernel has no BTF (/sys/kernel/btf/vmlinux)\n");
		return -ENOTSUP;
	}
	if (statfs("/sys/fs/bpf", &fs) || fs.f_type != BPF_FS_MAGIC) {
		/* Like bpftool and ip: mount it where it belongs when it is missing. */
		if (mount("bpf", "/sys/fs/bpf", "bpf", 0, "mode=0700")) {
			fprintf(stderr,
				"wirelens: bpffs is not mounted on /sys/fs/bpf and mounting it "
				"failed "
				"(%s); mount -t bpf bpf /sys/fs/bpf\n",
				strerror(errno));
			return -ENOENT;
		}
	}
	return 0;
}

int wl_lock(void)
{
	int fd;

	mkdir("/run/wirelens", 0700);
	fd = open("/run/wirelens/lock", O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0 || flock(fd, LOCK_EX)) {
		fprintf(stderr, "wirelens: cannot lock /run/wirelens/lock: %s\n", strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

static void link_path(char *buf, size_t len, const char *ifname, enum wl_hook_kind h)
{
	snprintf(buf, len, "%s/links/%s@%s", wl_pin_dir(), ifname, hook_names[h]);
}

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

int wl_attach_one(const struct wl_progs *p, const char *ifname, enum wl_hook_kind h, int skb_mode,
		  int force)
{
	LIBBPF_OPTS(bpf_link_create_opts, opts);
	int ifindex = if_nametoindex(ifname), fd, prog_fd, type;
	char path[256];

	if (!ifindex) {
		fprintf(stderr, "wirelens: no interface '%s'\n", ifname);
		return -ENODEV;
	}
	link_path(path, sizeof(path), ifname, h);
	if (!access(path, F_OK)) {
		printf("%s: %s already attached\n", ifname, hook_names[h]);
		return 0;
	}
	if (h == WL_HOOK_XDP) {
		__u32 other = foreign_xdp(ifindex);

		if (other && !force) {
			fprintf(stderr,
				"wirelens: %s already has another XDP program (id %u); not "
				"replacing "
				"it (--force to replace)\n",
				ifname, other);
			return -EBUSY;
		}
		if (other)
			bpf_xdp_detach(ifindex, 0, NULL);
		prog_fd = wl_progs_xdp_fd(p);
		type = BPF_XDP;
		opts.flags = skb_mode ? XDP_FLAGS_SKB_MODE : XDP_FLAGS_DRV_MODE;
	} else {
		prog_fd = wl_progs_tc_fd(p);
		type = h == WL_HOOK_TC_INGRESS ? WL_BPF_TCX_INGRESS : WL_BPF_TCX_EGRESS;
	}
	fd = bpf_link_create(prog_fd, ifindex, type, &opts);
	if (fd < 0) {
		int err = -errno;

		if (h == WL_HOOK_XDP && !skb_mode)
			fprintf(stderr, "wirelens: %s: native XDP refused (%s); try --mode skb\n",
				ifname, strerror(-err));
		else
			fprintf(stderr, "wirelens: %s: attaching %s failed: %s\n", ifname,
				hook_names[h], strerror(-err));
		return err;
	}
	if (bpf_obj_pin(fd, path)) {
		int err = -errno;

		fprintf(stderr, "wirelens: pinning %s: %s\n", path, strerror(-err));
		close(fd); /* the link goes with its last reference: nothing left behind */
		return err;
	}
	close(fd);
	printf("%s: %s attached%s\n", ifname, hook_names[h],
	       h == WL_HOOK_XDP ? (skb_mode ? " (skb mode)" : " (native)") : " (tcx)");
	return 0;
}

int wl_detach_one(const char *ifname, enum wl_hook_kind h)
{
	char path[256];

	link_path(path, sizeof(path), ifname, h);
	if (unlink(path))
		return -errno;
	return 0;
}

int wl_detach_all(void)
{
	char dir[256], path[512];
	struct dirent *e;
	int n = 0;
	DIR *d;

	snprintf(dir, sizeof(dir), "%s/links", wl_pin_dir());
	d = opendir(dir);
	if (!d)
		return 0;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		if (!unlink(path))
			n++;
	}
	closedir(d);
	return n;
}

int wl_links_count(void)
{
	char dir[256];
	struct dirent *e;
	int n = 0;
	DIR *d;

	snprintf(dir, sizeof(dir), "%s/links", wl_pin_dir());
	d = opendir(dir);
	if (!d)
		return 0;
	while ((e = readdir(d)))
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

int wl_links_foreach(int (*fn)(const char *ifname, enum wl_hook_kind h, int link_fd, void *arg),
		     void *arg)
{
	char dir[256], path[512];
	struct dirent *e;
	DIR *d;
	int err = 0;

	snprintf(dir, sizeof(dir), "%s/links", wl_pin_dir());
	d = opendir(dir);
	if (!d)
		return 0;
	while (!err && (e = readdir(d))) {
		char name[256], *at;
		int h, fd;

		if (e->d_name[0] == '.')
			continue;
		snprintf(name, sizeof(name), "%s", e->d_name);
		at = strrchr(name, '@');
		if (!at)
			continue;
		*at = 0;
		h = wl_hook_by_name(at + 1);
		if (h < 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		fd = bpf_obj_get(path);
		err = fn(name, h, fd, arg);
		if (fd >= 0)
			close(fd);
	}
	closedir(d);
	return err;
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
	return 0;
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
