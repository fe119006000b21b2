// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The environment wirelens needs (root, BTF, bpffs) and the lock serialising its commands. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <sys/mount.h>

#include "progs.h"
#include "attach.h"

#ifndef BPF_FS_MAGIC
#define BPF_FS_MAGIC 0xcafe4a11
#endif

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
const char *wl_lock_path(void)
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
		fd = open(wl_lock_path(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
		if (fd < 0 || flock(fd, LOCK_EX)) {
			fprintf(stderr, "wirelens: cannot lock %s: %s\n", wl_lock_path(),
				strerror(errno));
			if (fd >= 0)
				close(fd);
			return -1;
		}
		/* The holder before us may have removed the file (wl_unpin_all): a lock on the
		 * removed inode locks nothing, take the new file's. */
		if (!fstat(fd, &held) && !stat(wl_lock_path(), &now) && held.st_ino == now.st_ino &&
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
