// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Interface kinds and relations from rtnetlink (libnl-route's link object). */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <net/if.h>
#include <netlink/netlink.h>
#include <netlink/route/link.h>
#include <netlink/route/link/vlan.h>

#include <json-c/json.h>

#include "attach.h"
#include "iface.h"
#include "netns.h"

static int link_get(struct nl_sock *sk, const char *name, int ifindex, struct rtnl_link **link)
{
	int err = rtnl_link_get_kernel(sk, ifindex, ifindex ? NULL : name, link);

	if (err == -NLE_OBJ_NOTFOUND || err == -NLE_NODEV)
		return -ENODEV;
	return err ? -EIO : 0;
}

int wl_iface_get(const char *name, int ifindex, struct wl_iface *out)
{
	struct nl_sock *sk = nl_socket_alloc();
	struct rtnl_link *link = NULL, *master = NULL;
	const char *kind;
	int err;

	memset(out, 0, sizeof(*out));
	out->vlan_id = -1;
	if (!sk)
		return -ENOMEM;
	err = nl_connect(sk, NETLINK_ROUTE) ? -EIO : link_get(sk, name, ifindex, &link);
	if (err)
		goto out;
	out->ifindex = rtnl_link_get_ifindex(link);
	snprintf(out->name, sizeof(out->name), "%s", rtnl_link_get_name(link) ?: "");
	kind = rtnl_link_get_type(link);
	snprintf(out->kind, sizeof(out->kind), "%s", kind ?: "");
	out->loopback = rtnl_link_get_flags(link) & IFF_LOOPBACK;
	if (rtnl_link_is_vlan(link)) {
		out->vlan_id = rtnl_link_vlan_get_id(link);
		out->link = rtnl_link_get_link(link);
	}
	out->master = rtnl_link_get_master(link);
	if (out->master && !link_get(sk, NULL, out->master, &master)) {
		kind = rtnl_link_get_type(master);
		snprintf(out->master_kind, sizeof(out->master_kind), "%s", kind ?: "");
		snprintf(out->master_name, sizeof(out->master_name), "%s",
			 rtnl_link_get_name(master) ?: "");
		rtnl_link_put(master);
	}
out:
	if (link)
		rtnl_link_put(link);
	nl_socket_free(sk);
	return err;
}

struct vlan_count {
	int parent, n;
};

static void count_vlan(struct nl_object *obj, void *arg)
{
	struct rtnl_link *link = (struct rtnl_link *)obj;
	struct vlan_count *c = arg;

	if (rtnl_link_is_vlan(link) && rtnl_link_get_link(link) == c->parent)
		c->n++;
}

int wl_iface_vlan_children(int ifindex)
{
	struct nl_sock *sk = nl_socket_alloc();
	struct nl_cache *cache = NULL;
	struct vlan_count c = {.parent = ifindex};
	int err;

	if (!sk)
		return -ENOMEM;
	err = nl_connect(sk, NETLINK_ROUTE) || rtnl_link_alloc_cache(sk, AF_UNSPEC, &cache) ? -EIO
											    : 0;
	if (!err)
		nl_cache_foreach(cache, count_vlan, &c);
	if (cache)
		nl_cache_free(cache);
	nl_socket_free(sk);
	return err ? err : c.n;
}

struct vlan_of {
	int ifindex, vid;
	char netns[64];
};

static int read_vlan(void *arg)
{
	struct vlan_of *v = arg;
	struct wl_iface info;

	v->vid = wl_iface_get(NULL, v->ifindex, &info) ? -1 : info.vlan_id;
	return 0;
}

int wl_iface_vlan_of(int ifindex, const char *netns)
{
	/* every interface of a large flow table is asked once (watch 'veth*': hundreds) */
	static struct vlan_of *cache;
	static size_t n, cap;
	struct vlan_of v = {.ifindex = ifindex};

	snprintf(v.netns, sizeof(v.netns), "%s", netns ?: "");
	for (size_t i = 0; i < n; i++)
		if (cache[i].ifindex == ifindex && !strcmp(cache[i].netns, v.netns))
			return cache[i].vid;
	if (wl_netns_run(v.netns[0] ? v.netns : NULL, read_vlan, &v))
		v.vid = -1;
	if (n == cap) {
		size_t grown_cap = cap ? 2 * cap : 64;
		struct vlan_of *grown = realloc(cache, grown_cap * sizeof(*grown));

		if (!grown)
			return v.vid;
		cache = grown;
		cap = grown_cap;
	}
	cache[n++] = v;
	return v.vid;
}

/* ---- status notes ---- */

struct seen_pin {
	char ifname[IF_NAMESIZE];
	char netns[64];
	int hook;
	bool xdp_native; /* an XDP link in native mode */
	bool got;	 /* info read */
	struct wl_iface info;
};

struct seen_pins {
	struct seen_pin v[64];
	int n;
};

static int collect_pin(const struct wl_link_pin *pin, void *arg)
{
	struct seen_pins *t = arg;
	struct seen_pin *p;

	if (!pin->attached || t->n >= (int)(sizeof(t->v) / sizeof(t->v[0])))
		return 0;
	p = &t->v[t->n++];
	snprintf(p->ifname, sizeof(p->ifname), "%s", pin->ifname);
	snprintf(p->netns, sizeof(p->netns), "%s", pin->netns ?: "");
	p->hook = pin->hook;
	p->info.ifindex = pin->ifindex;
	p->xdp_native = pin->hook == WL_HOOK_XDP && !strcmp(wl_link_mode(pin), "native");
	return 0;
}

static int read_info(void *arg)
{
	struct seen_pin *p = arg;

	return wl_iface_get(NULL, p->info.ifindex, &p->info);
}

/* Whether an attachment of the same namespace is on ifindex (its name, or NULL). */
static const char *attached_at(const struct seen_pins *t, const struct seen_pin *of, int ifindex)
{
	for (int i = 0; i < t->n; i++)
		if (t->v[i].got && t->v[i].info.ifindex == ifindex &&
		    !strcmp(t->v[i].netns, of->netns))
			return t->v[i].ifname;
	return NULL;
}

static void note(FILE *f, void *notes, bool to_stderr, const char *fmt, ...)
{
	char line[320];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (f)
		fprintf(f, "%s%s\n", to_stderr ? "wirelens: " : "  ", line);
	else
		json_object_array_add(notes, json_object_new_string(line));
}

int wl_attach_notes(FILE *f, void *notes, bool warnings_only)
{
	struct seen_pins *t = calloc(1, sizeof(*t));
	const struct seen_pin *first_veth = NULL;
	int warnings = 0, xdp_veths = 0;

	if (!t)
		return 0;
	wl_links_foreach(collect_pin, t);
	for (int i = 0; i < t->n; i++) {
		struct seen_pin *p = &t->v[i];

		/* the same interface under more hooks is one query */
		for (int k = 0; k < i; k++)
			if (t->v[k].got && t->v[k].info.ifindex == p->info.ifindex &&
			    !strcmp(t->v[k].netns, p->netns)) {
				p->info = t->v[k].info;
				p->got = true;
			}
		if (!p->got)
			p->got = !wl_netns_run(p->netns[0] ? p->netns : NULL, read_info, p);
	}
	for (int i = 0; i < t->n; i++) {
		const struct seen_pin *p = &t->v[i];
		const char *other, *ns = p->netns[0] ? " in netns " : "";

		if (!p->got)
			continue;
		if (p->info.loopback && p->hook == WL_HOOK_TC_EGRESS && !warnings_only)
			note(f, notes, false,
			     "%s%s%s: loopback: tc-egress sees both directions of every local "
			     "connection, each packet once",
			     p->ifname, ns, p->netns);
		/* a veth without XDP hands each packet to the backlog of the CPU that sent it:
		 * tests/live/veth_tso.sh, README (Veths) */
		if (!strcmp(p->info.kind, "veth") && p->hook == WL_HOOK_TC_INGRESS &&
		    !warnings_only)
			note(f, notes, false,
			     "%s%s%s: tc-ingress on a veth runs each packet on the CPU that sent "
			     "it: "
			     "a connection's packets may be parsed out of order and a request or "
			     "reply missed (XDP, the default, keeps their order)",
			     p->ifname, ns, p->netns);
		/* native XDP on a veth drops its peer's software offloads (veth.c): told once for
		 * all of them (watch 'veth*' attaches hundreds) */
		if (p->xdp_native && !strcmp(p->info.kind, "veth") && !xdp_veths++)
			first_veth = p;
		/* the peer's egress sees what its stack sends, not frames written past it */
		if (p->hook == WL_HOOK_PEER_EGRESS && !warnings_only)
			note(f, notes, false,
			     "%s%s%s: peer-egress sees what the peer's stack sends: frames written "
			     "past its qdisc layer (PACKET_QDISC_BYPASS, pktgen) or XDP-redirected "
			     "into "
			     "the peer are neither counted nor filtered (xdp, the default, sees "
			     "them)",
			     p->ifname, ns, p->netns);
		/* a pair is told once: from the port's / the sub-interface's side, first hook */
		for (int k = 0; k < i; k++)
			if (!strcmp(t->v[k].ifname, p->ifname) && !strcmp(t->v[k].netns, p->netns))
				goto next;
		if (p->info.master && (other = attached_at(t, p, p->info.master))) {
			note(f, notes, warnings_only,
			     "warning: %s%s%s is a port of %s %s and both are attached: the "
			     "packets that pass both are counted twice (detach one of them)",
			     p->ifname, ns, p->netns,
			     p->info.master_kind[0] ? p->info.master_kind : "master", other);
			warnings++;
		}
		if (p->info.vlan_id >= 0 && p->info.link &&
		    (other = attached_at(t, p, p->info.link))) {
			note(f, notes, warnings_only,
			     "warning: VLAN %d sub-interface %s%s%s and its parent %s are both "
			     "attached: its packets are counted on both (detach one of them)",
			     p->info.vlan_id, p->ifname, ns, p->netns, other);
			warnings++;
		}
	next:;
	}
	if (xdp_veths && !warnings_only) {
		char more[32] = "";

		if (xdp_veths > 1)
			snprintf(more, sizeof(more), " and %d more veths", xdp_veths - 1);
		note(f, notes, false,
		     "%s%s%s%s: native XDP on a veth turns off its peer's TSO (each segment the "
		     "peer "
		     "sends is cut in software); for bulk traffic --hooks peer-egress,tc-egress "
		     "keeps "
		     "it (README, Veths)",
		     first_veth->ifname, first_veth->netns[0] ? " in netns " : "",
		     first_veth->netns, more);
	}
	free(t);
	return warnings;
}
