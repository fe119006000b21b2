/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * What kind of interface an attachment is on, read from rtnetlink (libnl-route) in the selected
 * namespace: loopback, a VLAN sub-interface (its id and parent), a bridge or bond (master) or a
 * port/slave of one. Attach picks the hooks that count each packet once from it, status warns
 * when two attachments see the same packets, and flows shows a sub-interface's VLAN id.
 */
#ifndef WL_LOADER_IFACE_H
#define WL_LOADER_IFACE_H

#include <stdbool.h>
#include <stdio.h>
#include <net/if.h>

struct wl_iface {
	int ifindex;
	char name[IF_NAMESIZE];
	char kind[16]; /* rtnetlink's IFLA_INFO_KIND ("vlan", "bond", "bridge", "veth"), or "" */
	bool loopback; /* IFF_LOOPBACK */
	int vlan_id;   /* kind "vlan": its VLAN id; else -1 */
	int link;      /* kind "vlan": the parent's ifindex (IFLA_LINK); else 0 */
	int master;    /* the bridge/bond/team this is a port of (IFLA_MASTER), or 0 */
	char master_kind[16]; /* that master's kind */
	char master_name[IF_NAMESIZE];
};

/* By name (ifindex 0) or by ifindex, in the selected namespace. 0 or -errno (-ENODEV: none). */
int wl_iface_get(const char *name, int ifindex, struct wl_iface *out);

/* How many VLAN sub-interfaces have ifindex as their parent (in the selected namespace), or
 * -errno. */
int wl_iface_vlan_children(int ifindex);

/* The VLAN id of a VLAN sub-interface (flows: its packets carry no tag there), -1 for any
 * other interface. netns: a pin's namespace tag ("" or NULL: the caller's own). Cached. */
int wl_iface_vlan_of(int ifindex, const char *netns);

/* What status says under the attachments: the hook lo counts on, and every pair of
 * attachments that see the same packets (a port and its bridge or bond, a VLAN sub-interface and
 * its parent), so one of them goes. Lines to f (text), or strings appended to the JSON array
 * notes (json_object *, when f is NULL); warnings_only: only the pairs, as "wirelens: warning:"
 * lines (attach, on stderr). Returns how many warnings. */
int wl_attach_notes(FILE *f, void *notes, bool warnings_only);

#endif
