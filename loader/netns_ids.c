// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Network namespace ids (netns_ids.h). A namespace is known by its nsfs file's (dev, inode), the
 * identity setns and /run/netns share; the name is refreshed at every attach, so a namespace
 * that reuses the inode of one that ended takes over its id under its own name (entries the old
 * one left under the id age out of the LRU maps). XDP and TC programs of 6.1 have no
 * bpf_get_netns_cookie: the id comes from the entry program's rodata instead, one instance per
 * namespace, all on the same maps and program arrays.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <bpf/bpf.h>

#include "netns_ids.h"
#include "attach.h"
#include "pins.h"
#include "netns.h"

static int rec_write(int fd, __u32 id, const struct stat *st, const char *name)
{
	struct wl_netns_rec rec = {.dev = st->st_dev, .ino = st->st_ino, .used = 1};

	snprintf(rec.name, sizeof(rec.name), "%s", name);
	return bpf_map_update_elem(fd, &id, &rec, BPF_ANY) ? -errno : 0;
}

static int id_here(int fd)
{
	struct wl_netns_rec rec;
	struct stat here, origin;
	const char *tag = wl_netns_tag();
	int free_id = -1, err;

	if (stat("/proc/self/ns/net", &here) || wl_netns_original_stat(&origin))
		return -errno;
	/* id 0: the namespace of the loader that made the registry (entries of the byte's pad
	 * days are 0 too) */
	if (bpf_map_lookup_elem(fd, &(__u32){0}, &rec))
		return -errno;
	if (!rec.used) {
		err = rec_write(fd, 0, &origin, "");
		if (err)
			return err;
		rec.used = 1;
		rec.dev = origin.st_dev;
		rec.ino = origin.st_ino;
	}
	if (rec.dev == here.st_dev && rec.ino == here.st_ino)
		return 0;
	for (__u32 id = 1; id < WL_NETNS_MAX; id++) {
		if (bpf_map_lookup_elem(fd, &id, &rec))
			return -errno;
		if (!rec.used) {
			if (free_id < 0)
				free_id = id;
			continue;
		}
		if (rec.dev != here.st_dev || rec.ino != here.st_ino)
			continue;
		if (strncmp(rec.name, tag ? tag : "", sizeof(rec.name) - 1)) {
			err = rec_write(fd, id, &here, tag ? tag : "");
			if (err)
				return err;
		}
		return id;
	}
	if (free_id < 0)
		return -ENOSPC;
	err = rec_write(fd, free_id, &here, tag ? tag : "");
	return err ? err : free_id;
}

int wl_netns_id_here(void)
{
	int fd = wl_map_open("wl_netns"), id;

	if (fd < 0) {
		fprintf(stderr, "wirelens: cannot open the pinned wl_netns map: %s\n",
			strerror(errno));
		return -errno;
	}
	id = id_here(fd);
	close(fd);
	if (id == -ENOSPC)
		fprintf(stderr,
			"wirelens: %d network namespaces have an id already, the most flow keys "
			"hold; ids are freed with the maps (`wirelens detach --all`)\n",
			WL_NETNS_MAX - 1);
	else if (id < 0)
		fprintf(stderr, "wirelens: cannot register the network namespace: %s\n",
			strerror(-id));
	return id;
}

void wl_netns_id_name(int fd, __u8 id, char *buf, size_t len)
{
	struct wl_netns_rec rec;

	buf[0] = 0;
	if (!id || fd < 0 || bpf_map_lookup_elem(fd, &(__u32){id}, &rec) || !rec.used)
		return;
	snprintf(buf, len, "%.*s", (int)sizeof(rec.name), rec.name);
}

const char *wl_netns_id_label(__u8 id)
{
	static char names[WL_NETNS_MAX][64];
	static bool read;

	if (!id)
		return "";
	if (!read) {
		int fd = wl_map_open("wl_netns");

		for (int i = 1; i < WL_NETNS_MAX; i++) {
			wl_netns_id_name(fd, i, names[i], sizeof(names[i]));
			if (!names[i][0])
				snprintf(names[i], sizeof(names[i]), "netns%d", i);
		}
		if (fd >= 0)
			close(fd);
		read = true;
	}
	return names[id];
}

void wl_netns_progs_init(struct wl_netns_progs *c)
{
	memset(c, 0, sizeof(*c));
	c->id = -1;
	c->xdp_fd = c->tc_fd = -1;
}

void wl_netns_progs_drop(struct wl_netns_progs *c)
{
	if (c->loaded)
		wl_entry_close(&c->entry); /* owns the fds */
	else {
		if (c->xdp_fd >= 0)
			close(c->xdp_fd);
		if (c->tc_fd >= 0)
			close(c->tc_fd);
	}
	wl_netns_progs_init(c);
}

int wl_netns_progs_get(struct wl_netns_progs *c, int main_xdp, int main_tc,
		       const struct wl_progs *p, const char *pin_prefix_xdp,
		       const char *pin_prefix_tc, bool verbose, int *xdp_fd, int *tc_fd)
{
	char xdp_path[600], tc_path[600];
	int id = wl_netns_id_here(), err;

	if (id < 0)
		return id;
	if (id == 0) {
		*xdp_fd = main_xdp;
		*tc_fd = main_tc;
		return 0;
	}
	if (c->id != id) {
		wl_netns_progs_drop(c);
		snprintf(xdp_path, sizeof(xdp_path), "%s_ns%d",
			 pin_prefix_xdp ? pin_prefix_xdp : "", id);
		snprintf(tc_path, sizeof(tc_path), "%s_ns%d", pin_prefix_tc ? pin_prefix_tc : "",
			 id);
		/* no pins without a build id to tell builds apart */
		c->xdp_fd = pin_prefix_xdp ? bpf_obj_get(xdp_path) : -1;
		c->tc_fd = pin_prefix_tc ? bpf_obj_get(tc_path) : -1;
		if (c->xdp_fd < 0 || c->tc_fd < 0 || !wl_prog_uses_pinned_maps(c->xdp_fd) ||
		    !wl_prog_uses_pinned_maps(c->tc_fd)) {
			wl_netns_progs_drop(c);
			err = wl_entry_load(&c->entry, id, p, p ? NULL : wl_pin_dir(), verbose);
			if (err)
				return err;
			c->loaded = true;
			c->xdp_fd = wl_entry_xdp_fd(&c->entry);
			c->tc_fd = wl_entry_tc_fd(&c->entry);
			/* for the next attach in this namespace (a failed pin costs a load then) */
			if (pin_prefix_xdp && pin_prefix_tc) {
				unlink(xdp_path);
				unlink(tc_path);
				bpf_obj_pin(c->xdp_fd, xdp_path);
				bpf_obj_pin(c->tc_fd, tc_path);
			}
		}
		c->id = id;
	}
	*xdp_fd = c->xdp_fd;
	*tc_fd = c->tc_fd;
	return 0;
}
