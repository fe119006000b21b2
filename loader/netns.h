/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * `--netns NAME|PATH`: the netlink and attach work happens in another network namespace, while
 * the pins stay in the caller's bpffs (setns(CLONE_NEWNET) leaves the mount namespace alone, so
 * /sys/fs/bpf is still the caller's).
 */
#ifndef WL_LOADER_NETNS_H
#define WL_LOADER_NETNS_H

/* Removes `--netns X` / `--netns=X` from argv wherever it is (before or after the verb).
 * Returns X (NULL when absent) or sets *bad to 1 and prints one line when X is missing. */
const char *wl_netns_take_option(int *argc, char **argv, int *bad);

/* Switches this process into the network namespace NAME (/run/netns/NAME) or PATH. One line on
 * stderr and -errno on failure. */
int wl_netns_select(const char *name_or_path);

/* How pins name the selected namespace: NULL for the caller's own, else the /run/netns name or
 * "ino<N>" for another path. */
const char *wl_netns_tag(void);

/* stat() of the namespace the process started in (the identity of netns id 0, netns_ids.h). */
struct stat;
int wl_netns_original_stat(struct stat *st);

/* Runs fn inside the namespace a pin tag names (NULL: the caller's original one), then comes
 * back. -ENOENT when the tag names no namespace that can still be found. */
int wl_netns_run(const char *tag, int (*fn)(void *arg), void *arg);

/* Whether two tags name the same namespace (NULL == NULL). */
int wl_netns_same(const char *a, const char *b);

#endif
