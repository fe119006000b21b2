// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Network namespaces. Only the network namespace is switched: pins are paths, resolved through
 * the mount namespace, which stays the caller's; BPF objects belong to no network namespace.
 * What does depend on it is everything that names an interface: if_nametoindex, netlink,
 * bpf_link_create (ifindex), bpf_xdp_query. (`ip netns exec` also enters a fresh mount namespace
 * with /sys remounted, which hides /sys/fs/bpf: that is why the loader does not use it.)
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "netns.h"

#define NETNS_RUN_DIR "/run/netns"

static int original_fd = -1; /* the namespace the process started in */
static char tag_buf[256];
static const char *current_tag; /* NULL: still the original namespace */

const char *wl_netns_take_option(int *argc, char **argv, int *bad)
{
	const char *val = NULL;
	int out = 1;

	*bad = 0;
	for (int i = 1; i < *argc; i++) {
		if (!strcmp(argv[i], "--netns")) {
			if (i + 1 >= *argc || !argv[i + 1][0]) {
				fprintf(stderr, "wirelens: --netns needs a NAME or a PATH\n");
				*bad = 1;
				return NULL;
			}
			val = argv[++i];
			continue;
		}
		if (!strncmp(argv[i], "--netns=", 8)) {
			val = argv[i] + 8;
			if (!*val) {
				fprintf(stderr, "wirelens: --netns needs a NAME or a PATH\n");
				*bad = 1;
				return NULL;
			}
			continue;
		}
		argv[out++] = argv[i];
	}
	*argc = out;
	argv[out] = NULL;
	return val;
}

static int save_original(void)
{
	if (original_fd < 0)
		original_fd = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	return original_fd < 0 ? -errno : 0;
}

/* The /run/netns name of the namespace with this inode (dev 0: any), if it has one. */
static int name_by_inode(ino_t ino, dev_t dev, char *buf, size_t len)
{
	struct dirent *e;
	struct stat st;
	char path[512];
	DIR *d = opendir(NETNS_RUN_DIR);
	int found = 0;

	if (!d)
		return 0;
	while (!found && (e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", NETNS_RUN_DIR, e->d_name);
		if (!stat(path, &st) && st.st_ino == ino && (!dev || st.st_dev == dev)) {
			snprintf(buf, len, "%s", e->d_name);
			found = 1;
		}
	}
	closedir(d);
	return found;
}

int wl_netns_select(const char *arg)
{
	struct stat st, self;
	char path[512];
	int fd, err;

	if (strchr(arg, '/'))
		snprintf(path, sizeof(path), "%s", arg);
	else
		snprintf(path, sizeof(path), "%s/%s", NETNS_RUN_DIR, arg);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		err = -errno;
		fprintf(stderr, "wirelens: no network namespace '%s' (%s: %s)\n", arg, path,
			strerror(-err));
		return err;
	}
	err = save_original();
	if (!err && (fstat(fd, &st) || fstat(original_fd, &self)))
		err = -errno;
	if (err) {
		fprintf(stderr, "wirelens: cannot read network namespaces: %s\n", strerror(-err));
		close(fd);
		return err;
	}
	if (setns(fd, CLONE_NEWNET)) {
		err = -errno;
		fprintf(stderr, "wirelens: cannot enter network namespace '%s': %s\n", arg,
			err == -EINVAL ? "not a network namespace" : strerror(-err));
		close(fd);
		return err;
	}
	close(fd);
	if (st.st_ino == self.st_ino && st.st_dev == self.st_dev)
		current_tag = NULL; /* our own: pins named as without --netns */
	else if (name_by_inode(st.st_ino, st.st_dev, tag_buf, sizeof(tag_buf)))
		current_tag = tag_buf;
	else {
		snprintf(tag_buf, sizeof(tag_buf), "ino%lu", (unsigned long)st.st_ino);
		current_tag = tag_buf;
	}
	return 0;
}

int wl_netns_original_stat(struct stat *st)
{
	int err = save_original();

	return err ? err : fstat(original_fd, st) ? -errno : 0;
}

const char *wl_netns_tag(void)
{
	return current_tag;
}

int wl_netns_same(const char *a, const char *b)
{
	return (!a && !b) || (a && b && !strcmp(a, b));
}

/* An fd of the namespace a tag names: a /run/netns name, or ino<N> found there. */
static int open_tag(const char *tag)
{
	char path[512], name[256];
	unsigned long ino;

	if (!tag)
		return save_original() ? -1 : dup(original_fd);
	if (sscanf(tag, "ino%lu", &ino) == 1) {
		if (!name_by_inode(ino, 0, name, sizeof(name)))
			return -1;
		tag = name;
	}
	snprintf(path, sizeof(path), "%s/%s", NETNS_RUN_DIR, tag);
	return open(path, O_RDONLY | O_CLOEXEC);
}

int wl_netns_run(const char *tag, int (*fn)(void *arg), void *arg)
{
	int here, there, ret;

	if (wl_netns_same(tag, current_tag))
		return fn(arg);
	there = open_tag(tag);
	if (there < 0)
		return -ENOENT;
	here = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	if (here < 0 || setns(there, CLONE_NEWNET)) {
		if (here >= 0)
			close(here);
		close(there);
		return -ENOENT;
	}
	close(there);
	ret = fn(arg);
	if (setns(here, CLONE_NEWNET)) {
		/* cannot happen for root; carrying on in the wrong namespace would mislead */
		perror("wirelens: setns back");
		exit(1);
	}
	close(here);
	return ret;
}
