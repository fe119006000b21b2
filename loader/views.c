// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* `status` and `flows`: read the pinned maps and links, print a table or JSON. */
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <json-c/json.h>

#include "progs.h"
#include "abi.h"
#include "attach.h"
#include "views.h"
#include "netns.h"
#include "l7cfg.h"
#include "rules.h"
#include "iface.h"
#include "log.h"
#include "container.h"
#include "netns_ids.h"

const char *const wl_counter_names[] = {
	"seen",
	"accounted",
	"non_ip",
	"truncated_l2",
	"truncated_l3",
	"truncated_l4",
	"bad_l4",
	"bad_l3",
	"bad_ipv6_chain",
	"vlan_too_deep",
	"frag_unmatched",
	"map_full",
	"denied",
	"ipv4",
	"ipv6",
	"vlan_tagged",
	"qinq",
	"frag_v4",
	"frag_v6",
	"tcp",
	"udp",
	"icmp",
	"l4_other",
	"gso_packets",
	"l7_packets",
	"l7_retransmit",
	"l7_gap",
	"l7_resync_skip",
	"l7_malformed",
	"l7_unmatched",
	"l7_fifo_overflow",
	"l7_conn_full",
	"l7_stats_full",
	"l7_gap_absorbed",
	"l7_unloaded",
	"l7_denied",
	"conn_blocked",
	"rst_sent",
	"flows_new",
	"conns_new",
	"conns_closed",
};
_Static_assert(sizeof(wl_counter_names) / sizeof(wl_counter_names[0]) ==
		       sizeof(struct wl_counters) / sizeof(__u64),
	       "a name for every counter");

json_object *wl_counters_json(const struct wl_counters *c)
{
	json_object *o = json_object_new_object();
	const __u64 *v = (const __u64 *)c;

	for (size_t i = 0; i < sizeof(*c) / sizeof(__u64); i++)
		json_object_object_add(o, wl_counter_names[i], json_object_new_uint64(v[i]));
	return o;
}

int wl_map_fill(const char *name, __u32 *max)
{
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);
	char key[256], next[256], path[256];
	void *prev = NULL;
	int fd, n = 0;
	LIBBPF_OPTS(bpf_obj_get_opts, ro, .file_flags = BPF_F_RDONLY); /* only reads */

	snprintf(path, sizeof(path), "%s/%s", wl_pin_dir(), name);
	fd = bpf_obj_get_opts(path, &ro);

	*max = 0;
	if (fd < 0)
		return -1;
	if (!bpf_obj_get_info_by_fd(fd, &info, &len))
		*max = info.max_entries;
	while (info.key_size <= sizeof(key) && !bpf_map_get_next_key(fd, prev, next)) {
		memcpy(key, next, info.key_size);
		prev = key;
		n++;
	}
	close(fd);
	return n;
}

/* CLOCK_REALTIME seconds -> ISO 8601. */
static void time_to_iso(time_t t, char *buf, size_t len)
{
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

struct status_ctx {
	json_object *arr;
	int json, n;
};

static int status_link(const struct wl_link_pin *pin, void *arg)
{
	struct status_ctx *c = arg;
	const char *mode = wl_link_mode(pin);
	char since[32];

	time_to_iso(pin->since, since, sizeof(since));
	c->n++;
	if (c->json) {
		json_object *o = json_object_new_object();

		json_object_object_add(o, "iface", json_object_new_string(pin->ifname));
		json_object_object_add(o, "netns",
				       pin->netns ? json_object_new_string(pin->netns) : NULL);
		json_object_object_add(o, "ifindex", json_object_new_int(pin->ifindex));
		json_object_object_add(o, "hook", json_object_new_string(wl_hook_name(pin->hook)));
		json_object_object_add(o, "mode", json_object_new_string(mode));
		json_object_object_add(o, "link_id",
				       pin->cls ? NULL : json_object_new_int(pin->link_id));
		json_object_object_add(o, "prog_id", json_object_new_int(pin->prog_id));
		if (pin->cls) {
			json_object_object_add(o, "tc_prio", json_object_new_int(pin->tc_prio));
			json_object_object_add(o, "tc_handle", json_object_new_int(pin->tc_handle));
		}
		json_object_object_add(o, "attached", json_object_new_boolean(pin->attached));
		if (pin->pending)
			json_object_object_add(o, "interrupted", json_object_new_boolean(true));
		json_object_object_add(o, "since", json_object_new_string(since));
		json_object_object_add(o, "since_epoch", json_object_new_int64(pin->since));
		json_object_array_add(c->arr, o);
	} else {
		char link[16] = "-";

		if (!pin->cls)
			snprintf(link, sizeof(link), "%u", pin->link_id);
		printf("  %-16s %-12s %-11s %-8s %-6s %-6u %s%s\n", pin->ifname,
		       pin->netns ? pin->netns : "-", wl_hook_name(pin->hook), mode, link,
		       pin->prog_id, since,
		       pin->pending ? "  (attach interrupted: the next attach or detach removes "
				      "its filter)"
		       : !pin->ifindex && (pin->link_id || pin->cls)
			       ? "  (interface gone: wirelens detach removes the pin)"
		       : !pin->attached && pin->cls
			       ? "  (stale: the filter is gone or its attach did not finish; "
				 "attach or detach repairs)"
		       : !pin->attached ? "  (stale pin)"
					: "");
	}
	return 0;
}

enum { VIEW_JSON = 'j', VIEW_SORT = 's', VIEW_LIMIT = 'l' };

static const struct wl_param status_params[] = {
	{"json", VIEW_JSON, NULL, "JSON output"},
	{NULL, 0, NULL, NULL},
};

const struct wl_verb_params wl_status_params = {
	.verb = "status",
	.synopsis = "",
	.summary = "attachments (interface, namespace, hook, mode, link and program ids, since),\n"
		   "  map fill levels, counters by reason, the XDP mode and why",
	.params = status_params,
};

static int json_option(int key, const char *value, void *ctx)
{
	(void)key;
	(void)value;
	*(int *)ctx = 1; /* --json, the only option */
	return 0;
}

/* Entries an LRU table pushed out since the last reset: inserted - removed - still there
 * (the kernel counts no LRU eviction; -1: not an LRU table wirelens counts). */
static long long map_evicted(const char *name, const struct wl_counters *cnt, int entries)
{
	long long gone;

	if (!strcmp(name, "wl_flows"))
		gone = (long long)cnt->flows_new - entries;
	else if (!strcmp(name, "wl_conns"))
		gone = (long long)cnt->conns_new - (long long)cnt->conns_closed - entries;
	else
		return -1;
	return gone > 0 ? gone : 0;
}

int wl_cmd_status(int argc, char **argv)
{
	static const char *const maps[] = {"wl_flows", "wl_conns", "wl_cmd_stats", "wl_frags"};
	struct status_ctx c = {};
	struct wl_counters cnt;
	json_object *root, *mj, *cj, *dj;
	char why[160];
	bool dispatcher, have_cnt;
	int fd, first, err;

	err = wl_params_parse(&wl_status_params, argc, argv, json_option, &c.json, &first);
	if (err)
		return err == WL_PARAMS_HELP ? 0 : err;
	if (first < argc) {
		fprintf(stderr, "wirelens: status takes only --json (wirelens status --help)\n");
		return 2;
	}
	if (wl_check_env(false))
		return 1;
	fd = wl_map_open("wl_counters");
	if (fd < 0) {
		wl_explain_no_pins();
		return 1;
	}
	root = json_object_new_object();
	mj = json_object_new_object();
	cj = json_object_new_object();
	dj = json_object_new_object();
	c.arr = json_object_new_array();
	dispatcher = wl_xdp_dispatcher_probe(why, sizeof(why));
	if (!c.json) {
		if (dispatcher)
			printf("xdp mode: single program: libxdp dispatcher works here but is not "
			       "used "
			       "(it attaches through netlink, not as a pinned link)\n");
		else
			printf("xdp mode: single program: libxdp dispatcher unavailable (%s)\n",
			       why);
		printf("attachments:\n  %-16s %-12s %-11s %-8s %-6s %-6s %s\n", "IFACE", "NETNS",
		       "HOOK", "MODE", "LINK", "PROG", "SINCE");
	}
	wl_links_foreach(status_link, &c);
	if (!c.json && !c.n)
		printf("  (none: maps kept pinned)\n");
	if (c.json) { /* what is counted where: lo's hook, attachments that count twice */
		json_object *notes = json_object_new_array();

		wl_attach_notes(NULL, notes, false);
		wl_abi_notes(NULL, notes);
		json_object_object_add(root, "notes", notes);
	} else {
		wl_attach_notes(stdout, NULL, false);
		wl_abi_notes(stdout, NULL);
	}
	if (!c.json)
		printf("maps:\n");
	have_cnt = !wl_counters_read(fd, &cnt);
	for (size_t i = 0; i < sizeof(maps) / sizeof(maps[0]); i++) {
		__u32 max;
		int n = wl_map_fill(maps[i], &max);
		long long evicted = have_cnt ? map_evicted(maps[i], &cnt, n) : -1;

		if (c.json) {
			json_object *o = json_object_new_object();

			json_object_object_add(o, "entries", json_object_new_int(n));
			json_object_object_add(o, "max_entries", json_object_new_int(max));
			if (evicted >= 0)
				json_object_object_add(o, "evicted",
						       json_object_new_int64(evicted));
			json_object_object_add(mj, maps[i], o);
		} else if (evicted >= 0) {
			printf("  %-14s %8d / %-8u evicted %lld\n", maps[i], n, max, evicted);
		} else {
			printf("  %-14s %8d / %-8u\n", maps[i], n, max);
		}
	}
	if (!c.json) {
		wl_l7_status(NULL);
		wl_rules_status(NULL); /* filter: rule count and policy */
	}
	if (have_cnt) {
		const __u64 *v = (const __u64 *)&cnt;

		if (c.json) {
			json_object_put(cj);
			cj = wl_counters_json(&cnt);
		} else {
			printf("counters:\n");
			for (size_t i = 0; i < sizeof(cnt) / sizeof(__u64); i++)
				printf("  %-18s %llu\n", wl_counter_names[i],
				       (unsigned long long)v[i]);
		}
	}
	close(fd);
	if (!c.json)
		wl_log_status(NULL);
	if (c.json) {
		json_object_object_add(root, "xdp_mode", json_object_new_string("single program"));
		json_object_object_add(dj, "available", json_object_new_boolean(dispatcher));
		json_object_object_add(dj, "used", json_object_new_boolean(false));
		json_object_object_add(
			dj, "reason",
			json_object_new_string(dispatcher ? "not used: it attaches through "
							    "netlink, not as a pinned link"
							  : why));
		json_object_object_add(root, "xdp_dispatcher", dj);
		json_object_object_add(root, "attachments", c.arr);
		json_object_object_add(root, "maps", mj);
		json_object_object_add(root, "counters", cj);
		wl_l7_status(root);
		wl_rules_status(root); /* filter: rule count and policy */
		wl_log_status(root);
		printf("%s\n",
		       json_object_to_json_string_ext(
			       root, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
	} else {
		json_object_put(c.arr);
		json_object_put(mj);
		json_object_put(cj);
		json_object_put(dj);
	}
	json_object_put(root);
	return 0;
}

/* Interface names of flow keys: the key holds only an ifindex, which is per namespace, so the
 * names come from the attachments (pin name, link ifindex) before if_indextoname. */
static int collect_name(const struct wl_link_pin *pin, void *arg)
{
	struct wl_iface_names *t = arg;

	if (!pin->ifindex)
		return 0;
	if (t->n == t->cap) {
		size_t cap = t->cap ? 2 * t->cap : 16;
		struct wl_iface_name *v = realloc(t->v, cap * sizeof(*v));

		if (!v)
			return 0;
		t->v = v;
		t->cap = cap;
	}
	t->v[t->n].ifindex = pin->ifindex;
	snprintf(t->v[t->n].name, sizeof(t->v[t->n].name), "%s", pin->ifname);
	snprintf(t->v[t->n].netns, sizeof(t->v[t->n].netns), "%s", pin->netns ? pin->netns : "");
	t->n++;
	return 0;
}

void wl_iface_names_load(struct wl_iface_names *t)
{
	wl_links_foreach(collect_name, t);
}

void wl_iface_names_free(struct wl_iface_names *t)
{
	free(t->v);
	memset(t, 0, sizeof(*t));
}

void wl_iface_lookup(const struct wl_iface_names *t, __u32 ifindex, char *name, char *netns)
{
	const char *here = wl_netns_tag() ? wl_netns_tag() : "";
	const struct wl_iface_name *any = NULL;

	for (size_t i = 0; i < t->n; i++) {
		if (t->v[i].ifindex != ifindex)
			continue;
		if (!strcmp(t->v[i].netns, here)) {
			any = &t->v[i];
			break;
		}
		if (!any)
			any = &t->v[i];
	}
	if (any) {
		strcpy(name, any->name);
		strcpy(netns, any->netns);
		return;
	}
	netns[0] = 0;
	if (!if_indextoname(ifindex, name))
		strcpy(name, "?");
}

void wl_iface_lookup_in(const struct wl_iface_names *t, __u8 netns_id, __u32 ifindex, char *name,
			char *netns)
{
	const char *want = wl_netns_id_label(netns_id);

	if (!netns_id) {
		wl_iface_lookup(t, ifindex, name, netns);
		return;
	}
	strcpy(name, "?");
	snprintf(netns, 64, "%s", want);
	for (size_t i = 0; i < t->n; i++)
		if (t->v[i].ifindex == ifindex && !strcmp(t->v[i].netns, want)) {
			strcpy(name, t->v[i].name);
			return;
		}
}

int wl_flows_read(int fd, struct wl_flow_row **out, size_t *n_out)
{
	struct wl_flow_key key, next;
	struct wl_flow_row *rows = NULL;
	size_t n = 0, cap = 0;
	void *prev = NULL;

	while (!bpf_map_get_next_key(fd, prev, &next)) {
		key = next;
		prev = &key;
		if (n == cap) {
			struct wl_flow_row *grown;

			cap = cap ? 2 * cap : 256;
			grown = realloc(rows, cap * sizeof(*rows));
			if (!grown) {
				free(rows);
				return -ENOMEM;
			}
			rows = grown;
		}
		if (bpf_map_lookup_elem(fd, &key, &rows[n].s))
			continue; /* deleted meanwhile (LRU eviction, reset) */
		rows[n++].k = key;
	}
	*out = rows;
	*n_out = n;
	return 0;
}

static int sort_bytes;

static int cmp_flows(const void *a, const void *b)
{
	const struct wl_flow_row *x = a, *y = b;
	__u64 vx = sort_bytes ? x->s.bytes : x->s.packets,
	      vy = sort_bytes ? y->s.bytes : y->s.packets;

	return vx < vy ? 1 : vx > vy ? -1 : 0;
}

static const char *l4_name(__u8 p, char *buf)
{
	switch (p) {
	case 6:
		return "tcp";
	case 17:
		return "udp";
	case 1:
		return "icmp";
	case 58:
		return "icmpv6";
	default:
		sprintf(buf, "%u", p);
		return buf;
	}
}

/* CLOCK_MONOTONIC ns -> ISO 8601 wall clock. */
static void mono_to_iso(__u64 ns, char *buf, size_t len)
{
	struct timespec mono, real;
	time_t t;
	struct tm tm;

	clock_gettime(CLOCK_MONOTONIC, &mono);
	clock_gettime(CLOCK_REALTIME, &real);
	t = real.tv_sec -
	    (time_t)((mono.tv_sec * 1000000000ULL + mono.tv_nsec - ns) / 1000000000ULL);
	gmtime_r(&t, &tm);
	strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static const struct wl_param flows_params[] = {
	{"json", VIEW_JSON, NULL, "JSON output"},
	{"sort", VIEW_SORT, "bytes|packets", "order of the rows, largest first (default bytes)"},
	{"limit", VIEW_LIMIT, "N", "print only the first N rows"},
	{NULL, 0, NULL, NULL},
};

const struct wl_verb_params wl_flows_params = {
	.verb = "flows",
	.synopsis = "",
	.summary = "packets and bytes per flow direction and interface (L2 bytes)",
	.params = flows_params,
};

struct flows_opts {
	int json, limit;
};

static int flows_option(int key, const char *value, void *ctx)
{
	struct flows_opts *o = ctx;

	switch (key) {
	case VIEW_JSON:
		o->json = 1;
		return 0;
	case VIEW_SORT:
		if (strcmp(value, "bytes") && strcmp(value, "packets")) {
			fprintf(stderr, "wirelens: --sort bytes|packets\n");
			return 2;
		}
		sort_bytes = !strcmp(value, "bytes");
		return 0;
	case VIEW_LIMIT: {
		char *e;
		long v = strtol(value, &e, 10);

		if (e == value || *e || v < 0 || v > INT_MAX) {
			fprintf(stderr, "wirelens: --limit takes a count, not '%s'\n", value);
			return 2;
		}
		o->limit = v;
		return 0;
	}
	}
	return 2;
}

int wl_cmd_flows(int argc, char **argv)
{
	struct flows_opts o = {.limit = -1};
	struct wl_flows_view v = {};
	int fd, first, err;

	sort_bytes = 1;
	err = wl_params_parse(&wl_flows_params, argc, argv, flows_option, &o, &first);
	if (err)
		return err == WL_PARAMS_HELP ? 0 : err;
	if (first < argc) {
		fprintf(stderr, "wirelens: flows: unexpected '%s' (wirelens flows --help)\n",
			argv[first]);
		return 2;
	}
	if (wl_check_env(false))
		return 1;
	fd = wl_map_open("wl_flows");
	if (fd < 0) {
		wl_explain_no_pins();
		return 1;
	}
	v.json = o.json;
	v.by_packets = !sort_bytes;
	v.limit = o.limit;
	err = wl_flows_show(fd, &v, NULL);
	close(fd);
	return err ? 1 : 0;
}

int wl_flows_show(int fd, const struct wl_flows_view *v, json_object **json_out)
{
	struct wl_flow_row *rows = NULL;
	size_t n = 0;
	json_object *arr;
	struct wl_iface_names names = {};
	bool starred = false, containers = false;
	int err;

	err = wl_flows_read(fd, &rows, &n);
	if (err) {
		fprintf(stderr, "wirelens: flows: %s\n", strerror(-err));
		return -1;
	}
	if (!v->replay)
		wl_iface_names_load(&names);
	sort_bytes = !v->by_packets;
	qsort(rows, n, sizeof(*rows), cmp_flows);
	arr = json_object_new_array();
	/* the CONTAINER column only when an interface shown belongs to one */
	for (size_t i = 0; !v->json && !v->replay && i < n && (v->limit < 0 || (int)i < v->limit);
	     i++) {
		char ifname[IF_NAMESIZE + 1], netns[64];

		wl_iface_lookup_in(&names, rows[i].k.netns_id, rows[i].k.ifindex, ifname, netns);
		containers |= wl_container_of_iface(rows[i].k.ifindex, netns) != NULL;
	}
	if (!v->json)
		printf("%-12s %-9s %-6s %-40s %-40s %10s %12s%s\n", "IFACE", "VLAN", "PROTO", "SRC",
		       "DST", "PACKETS", "BYTES", containers ? " CONTAINER" : "");
	for (size_t i = 0; i < n && (v->limit < 0 || (int)i < v->limit); i++) {
		const struct wl_flow_key *k = &rows[i].k;
		const struct wl_flow_stats *s = &rows[i].s;
		char ifname[IF_NAMESIZE + 1] = "-", netns[64] = "", shown[IF_NAMESIZE + 66],
					  src[64], dst[64], vlan[16], pbuf[8], first[32], last[32];
		int af = k->l3_proto == 0x86DD ? AF_INET6 : AF_INET, ivlan;
		const struct wl_container *ct = NULL;

		/* a replay's frames cross no interface (test_run's device is the loopback) */
		if (!v->replay) {
			wl_iface_lookup_in(&names, k->netns_id, k->ifindex, ifname, netns);
			ct = wl_container_of_iface(k->ifindex, netns);
		}
		snprintf(shown, sizeof(shown), "%s%s%s", netns, netns[0] ? ":" : "", ifname);
		inet_ntop(af, k->src_addr, src, sizeof(src));
		inet_ntop(af, k->dst_addr, dst, sizeof(dst));
		if (k->vlan_inner)
			snprintf(vlan, sizeof(vlan), "%u.%u", k->vlan_outer, k->vlan_inner);
		else
			snprintf(vlan, sizeof(vlan), "%u", k->vlan_outer);
		/* on a VLAN sub-interface the tag is off the packet: its id comes from netlink */
		ivlan = v->replay ? -1 : wl_iface_vlan_of(k->ifindex, netns);
		if (!k->vlan_outer && ivlan >= 0) {
			snprintf(vlan, sizeof(vlan), "%d*", ivlan);
			starred = true;
		}
		mono_to_iso(s->first_seen_ns, first, sizeof(first));
		mono_to_iso(s->last_seen_ns, last, sizeof(last));
		if (v->json) {
			json_object *o = json_object_new_object();

			json_object_object_add(o, "ifindex", json_object_new_int(k->ifindex));
			json_object_object_add(o, "iface",
					       v->replay ? NULL : json_object_new_string(ifname));
			json_object_object_add(o, "netns",
					       netns[0] ? json_object_new_string(netns) : NULL);
			json_object_object_add(o, "container", wl_container_json(ct));
			json_object_object_add(o, "vlan", json_object_new_int(k->vlan_outer));
			json_object_object_add(o, "vlan_inner", json_object_new_int(k->vlan_inner));
			if (ivlan >= 0)
				json_object_object_add(o, "iface_vlan", json_object_new_int(ivlan));
			json_object_object_add(o, "proto",
					       json_object_new_string(l4_name(k->l4_proto, pbuf)));
			json_object_object_add(o, "src", json_object_new_string(src));
			json_object_object_add(o, "dst", json_object_new_string(dst));
			json_object_object_add(o, "sport", json_object_new_int(k->src_port));
			json_object_object_add(o, "dport", json_object_new_int(k->dst_port));
			json_object_object_add(o, "packets", json_object_new_uint64(s->packets));
			json_object_object_add(o, "bytes", json_object_new_uint64(s->bytes));
			json_object_object_add(o, "tcp_syn", json_object_new_int(s->tcp_syn));
			json_object_object_add(o, "tcp_fin", json_object_new_int(s->tcp_fin));
			json_object_object_add(o, "tcp_rst", json_object_new_int(s->tcp_rst));
			json_object_object_add(o, "fragments", json_object_new_int(s->fragments));
			/* a replay's clock is the replay's, not the capture's: no times */
			json_object_object_add(o, "first_seen",
					       v->replay ? NULL : json_object_new_string(first));
			json_object_object_add(o, "last_seen",
					       v->replay ? NULL : json_object_new_string(last));
			json_object_object_add(
				o, "first_seen_ns",
				v->replay ? NULL : json_object_new_uint64(s->first_seen_ns));
			json_object_object_add(o, "last_seen_ns",
					       v->replay ? NULL
							 : json_object_new_uint64(s->last_seen_ns));
			json_object_array_add(arr, o);
		} else {
			char sa[80], da[80], label[200];

			snprintf(sa, sizeof(sa), af == AF_INET6 ? "[%s]:%u" : "%s:%u", src,
				 k->src_port);
			snprintf(da, sizeof(da), af == AF_INET6 ? "[%s]:%u" : "%s:%u", dst,
				 k->dst_port);
			printf("%-12s %-9s %-6s %-40s %-40s %10llu %12llu%s%s\n", shown, vlan,
			       l4_name(k->l4_proto, pbuf), sa, da, (unsigned long long)s->packets,
			       (unsigned long long)s->bytes, containers ? " " : "",
			       containers ? wl_container_label(ct, label, sizeof(label)) : "");
		}
	}
	if (v->json && json_out) {
		*json_out = arr;
		arr = NULL;
	} else if (v->json) {
		printf("%s\n",
		       json_object_to_json_string_ext(arr, JSON_C_TO_STRING_PRETTY |
								   JSON_C_TO_STRING_NOSLASHESCAPE));
	}
	if (!v->json && starred)
		printf("* the VLAN id of the sub-interface (the tag is off the packet there)\n");
	json_object_put(arr);
	free(rows);
	wl_iface_names_free(&names);
	return 0;
}
