/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Attachments as pinned BPF links, the pin directory, the lock. */
#ifndef WL_LOADER_ATTACH_H
#define WL_LOADER_ATTACH_H

#include "loader/progs.h"

enum wl_hook_kind {
	WL_HOOK_XDP,
	WL_HOOK_TC_INGRESS,
	WL_HOOK_TC_EGRESS,
	WL_HOOKS,
};

const char *wl_hook_name(enum wl_hook_kind h);
int wl_hook_by_name(const char *name);

/* Root, BTF, bpffs: one clear line on stderr and -errno when something is missing. */
int wl_check_env(void);
/* Serialises wirelens commands (flock on /run/wirelens/lock). Returns the fd to close. */
int wl_lock(void);
int wl_pins_prepare(void);
int wl_unpin_all(void);
int wl_map_open(const char *name);

int wl_attach_one(const struct wl_progs *p, const char *ifname, enum wl_hook_kind h, int skb_mode,
		  int force);
/* -ENOENT when that hook is not attached there. */
int wl_detach_one(const char *ifname, enum wl_hook_kind h);
int wl_links_count(void);
/* Unpins every link (which detaches it). Returns how many. */
int wl_detach_all(void);
int wl_links_foreach(int (*fn)(const char *ifname, enum wl_hook_kind h, int link_fd, void *arg),
		     void *arg);

#endif
