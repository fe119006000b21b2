/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Network namespace ids (maps/wirelens.h, wl_netns): the byte flow, connection and command keys
 * carry so that two namespaces' interfaces with the same ifindex keep apart. 0 is the namespace
 * the loader that created the pins started in; 1..255 are given by attach, one per namespace,
 * and each has its own instance of the entry programs (the netns id in their rodata).
 */
#ifndef WL_LOADER_NETNS_IDS_H
#define WL_LOADER_NETNS_IDS_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>
#include "loader/progs.h"

/* The id of the namespace the process is in now (wl_netns_select), registered in the pinned
 * wl_netns map when new (under the lock: attach). -ENOSPC with one line printed when all 255
 * ids are taken; other -errno with one line. */
int wl_netns_id_here(void);

/* What the views print for an id: "" for 0 (and for an id the map does not know), else the
 * name the attach recorded (the `ip netns` name, or ino<N>). fd: the wl_netns map, or -1 (then
 * every id reads as ""). */
void wl_netns_id_name(int fd, __u8 id, char *buf, size_t len);

/* The same from the pinned wl_netns, read once per process: for the views (flows, commands,
 * export), "" for 0, "netns<id>" for an id the map does not name. */
const char *wl_netns_id_label(__u8 id);

/* The entry programs for the namespace the process is in now: the main ones (main_xdp,
 * main_tc) for id 0; for another, the instance of this namespace's id, reused from its pins
 * (pin_prefix_xdp "_ns<id>", pin_prefix_tc likewise) when they run on the pinned maps, else
 * loaded on p's maps (or the pins when p is NULL) and pinned there. The session caches one
 * namespace's instance. 0 and the fds, or -errno with one line printed. */
struct wl_netns_progs {
	int id; /* -1: nothing cached */
	int xdp_fd, tc_fd;
	struct wl_entry entry;
	bool loaded;
};
void wl_netns_progs_init(struct wl_netns_progs *c);
void wl_netns_progs_drop(struct wl_netns_progs *c);
int wl_netns_progs_get(struct wl_netns_progs *c, int main_xdp, int main_tc,
		       const struct wl_progs *p, const char *pin_prefix_xdp,
		       const char *pin_prefix_tc, bool verbose, int *xdp_fd, int *tc_fd);

#endif
