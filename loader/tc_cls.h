/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Classic TC attachment for kernels without tcx (before 6.6): a clsact qdisc and a cls_bpf
 * direct-action filter, added through rtnetlink. Unlike a BPF link, a filter outlives the
 * process that added it, so what is added is recorded before it is added: a one-entry array map
 * ("wl_cls_rec") pinned as <pin dir>/links/:IFACE@hook[@netns] (pending) while the attach runs,
 * renamed to where a link pin would be (IFACE@hook[@netns]) once it is complete. So, as with
 * links, a pin under the plain name is a whole attachment; a pending one left by a killed attach
 * is removed, with its filter, by the next attach or detach. The record names the filter exactly
 * (ifindex, parent, priority, handle, program id) and says whether wirelens created the clsact
 * qdisc; removing it removes exactly that and nothing else.
 */
#ifndef WL_LOADER_TC_CLS_H
#define WL_LOADER_TC_CLS_H

#include <stdbool.h>
#include <linux/types.h>

#define WL_CLS_MAGIC	   0x574c4331u /* "WLC1" */
#define WL_CLS_QDISC_OURS  1u	       /* wirelens created the clsact qdisc */
#define WL_CLS_COMPLETE	   2u	       /* the filter was added: the attach finished */
#define WL_CLS_FILTER_NAME "wirelens"

struct wl_cls_rec {
	__u32 magic;
	__u32 ifindex;
	__u32 parent; /* TC_H_MAKE(TC_H_CLSACT, TC_H_MIN_INGRESS or TC_H_MIN_EGRESS) */
	__u32 prio;
	__u32 handle;
	__u32 prog_id;
	__u32 flags; /* WL_CLS_* */
	__u32 pad;
};

/* Whether fd (from bpf_obj_get of a pin) is a cls_bpf record; fills rec when it is. */
bool wl_cls_record(int fd, struct wl_cls_rec *rec);

/* Where the record's filter stands, asked in the network namespace netns (a pin tag, NULL: the
 * caller's own): 1 attached (complete, our program at our priority and handle), 0 not (removed by
 * someone, or an attach that did not finish), -ENODEV the interface is gone, other -errno. */
int wl_cls_check(const struct wl_cls_rec *rec, const char *netns);

/* Attaches prog_fd as a cls_bpf direct-action filter to the ingress or egress of ifindex in the
 * selected namespace, creating the clsact qdisc when there is none. The record is pinned at
 * pending_path first, marked complete and renamed to path last (before_complete runs before
 * that: crash tests stop there). other_path: the pin of the other TC hook of the same interface,
 * whose qdisc ownership is shared. 0 or -errno with one line printed; on failure nothing is left
 * behind. */
int wl_cls_attach(const char *path, const char *pending_path, const char *other_path,
		  const char *ifname, int ifindex, bool ingress, int prog_fd,
		  void (*before_complete)(void *arg), void *arg);

/* Removes what the record at path says wirelens added (the filter if it is still ours, the
 * qdisc if wirelens created it and no filter is left on it), in the namespace netns names, then
 * the pin. 0, -ENOENT when there is no pin, other -errno (the pin stays when the namespace is
 * there but netlink failed). */
int wl_cls_detach(const char *path, const char *netns);

#endif
