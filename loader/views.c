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

#include "verbs.h"
#include "progs.h"
#include "abi.h"
#include "attach.h"
#include "views.h"
#include "commands.h"
#include "netns.h"
#include "l7cfg.h"
#include "rules.h"
#include "iface.h"
#include "log.h"
#include "container.h"
#include "netns_ids.h"
#include "fmt.h"

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
	"l7_state_lost",
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

int wl_map_fill(const char *name, __u32 *max, bool *per_cpu)
{
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);
	char key[256], next[256];
	void *prev = NULL;
	int fd = wl_map_open_ro(name), n = 0;

	*max = 0;
	if (per_cpu)
		*per_cpu = false;
	if (fd < 0)
		return -1;
	if (!bpf_obj_get_info_by_fd(fd, &info, &len)) {
		*max = info.max_entries;
		if (per_cpu)
			*per_cpu = info.type == BPF_MAP_TYPE_PERCPU_HASH ||
				   info.type == BPF_MAP_TYPE_LRU_PERCPU_HASH ||
				   info.type == BPF_MAP_TYPE_PERCPU_ARRAY;
	}
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

/* What `status` shows, read once: the table and the JSON are both made from it. */
struct status_link {
	struct wl_link_pin pin; /* ifname and netns: copies (owned), path: not kept */
	const char *mode;
	char since[32];
};

struct status_map {
	const char *name;
	int entries;
	__u32 max;
	long long evicted; /* -1: not an LRU table wirelens counts */
	bool per_cpu;	   /* a value per CPU (wl_cmd_stats; wl_flows with --flows-percpu) */
};

static const char *const status_maps[] = {"wl_flows",	"wl_conns",	"wl_fifo_far",
					  "wl_l7_open", "wl_cmd_stats", "wl_frags"};
#define STATUS_MAPS (sizeof(status_maps) / sizeof(status_maps[0]))

struct status_view {
	bool dispatcher; /* libxdp's dispatcher works here (unused: why says what it is not) */
	char why[160];
	struct status_link *links;
	size_t n_links, cap_links;
	struct status_map maps[STATUS_MAPS];
	bool have_cache; /* cache: what wl_flow_cache holds (not yet in wl_flows) */
	struct wl_flow_cache_fill cache;
	bool have_cmd_cache; /* cmd_cache: what wl_cmd_cache holds (not yet in wl_cmd_stats) */
	struct wl_cmd_cache_fill cmd_cache;
	bool have_cnt;
	struct wl_counters cnt;
};

static int status_collect_link(const struct wl_link_pin *pin, void *arg)
{
	struct status_view *s = arg;
	struct status_link *l;

	if (s->n_links == s->cap_links) {
		size_t cap = s->cap_links ? 2 * s->cap_links : 16;
		struct status_link *v = realloc(s->links, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		s->links = v;
		s->cap_links = cap;
	}
	l = &s->links[s->n_links];
	l->pin = *pin;
	l->pin.path = NULL;
	l->pin.fd = -1; /* wl_links_foreach closes it */
	l->pin.ifname = strdup(pin->ifname);
	l->pin.netns = pin->netns ? strdup(pin->netns) : NULL;
	if (!l->pin.ifname || (pin->netns && !l->pin.netns)) {
		free((char *)l->pin.ifname);
		free((char *)l->pin.netns);
		return -ENOMEM;
	}
	l->mode = wl_link_mode(pin);
	time_to_iso(pin->since, l->since, sizeof(l->since));
	s->n_links++;
	return 0;
}

static void status_free(struct status_view *s)
{
	for (size_t i = 0; i < s->n_links; i++) {
		free((char *)s->links[i].pin.ifname);
		free((char *)s->links[i].pin.netns);
	}
	free(s->links);
}

static json_object *status_link_json(const struct status_link *l)
{
	const struct wl_link_pin *pin = &l->pin;
	json_object *o = json_object_new_object();

	json_object_object_add(o, "iface", json_object_new_string(pin->ifname));
	json_object_object_add(o, "netns", pin->netns ? json_object_new_string(pin->netns) : NULL);
	json_object_object_add(o, "ifindex", json_object_new_int(pin->ifindex));
	if (pin->hook == WL_HOOK_PEER_EGRESS) /* where the link is: the peer, in its namespace */
		json_object_object_add(o, "peer_ifindex", json_object_new_int(pin->peer_ifindex));
	json_object_object_add(o, "hook", json_object_new_string(wl_hook_name(pin->hook)));
	json_object_object_add(o, "mode", json_object_new_string(l->mode));
	json_object_object_add(o, "link_id", pin->cls ? NULL : json_object_new_int(pin->link_id));
	json_object_object_add(o, "prog_id", json_object_new_int(pin->prog_id));
	if (pin->cls) {
		json_object_object_add(o, "tc_prio", json_object_new_int(pin->tc_prio));
		json_object_object_add(o, "tc_handle", json_object_new_int(pin->tc_handle));
	}
	json_object_object_add(o, "attached", json_object_new_boolean(pin->attached));
	if (pin->pending)
		json_object_object_add(o, "interrupted", json_object_new_boolean(true));
	json_object_object_add(o, "since", json_object_new_string(l->since));
	json_object_object_add(o, "since_epoch", json_object_new_int64(pin->since));
	return o;
}

static void status_link_line(const struct status_link *l)
{
	const struct wl_link_pin *pin = &l->pin;
	char link[16] = "-";

	if (!pin->cls)
		snprintf(link, sizeof(link), "%u", pin->link_id);
	printf("  %-16s %-12s %-11s %-8s %-6s %-6u %s%s\n", pin->ifname,
	       pin->netns ? pin->netns : "-", wl_hook_name(pin->hook), l->mode, link, pin->prog_id,
	       l->since,
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

const struct wl_verb_params wl_status_params = {
	.verb = "status",
	.summary = "attachments (interface, namespace, hook, mode, link and program ids, since),\n"
		   "  map fill levels, counters by reason, the XDP mode and why",
	.params = WL_PARAMS({"json", 'j', NULL, "JSON output", WL_FLAG(struct wl_json_opts, json)}),
};

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

/* Reads what status shows: the dispatcher probe, the attachments, the maps, the counters.
 * -1 after one line on stderr when the counters map is not pinned. */
static int status_collect(struct status_view *s)
{
	int fd = wl_map_open("wl_counters"), err;

	if (fd < 0) {
		wl_explain_no_pins();
		return -1;
	}
	s->dispatcher = wl_xdp_dispatcher_probe(s->why, sizeof(s->why));
	err = wl_links_foreach(status_collect_link, s);
	if (err == -ENOMEM) {
		fprintf(stderr, "wirelens: status: %s\n", strerror(ENOMEM));
		close(fd);
		return -1;
	}
	s->have_cnt = !wl_counters_read(fd, &s->cnt);
	close(fd);
	for (size_t i = 0; i < STATUS_MAPS; i++) {
		struct status_map *m = &s->maps[i];

		m->name = status_maps[i];
		m->entries = wl_map_fill(m->name, &m->max, &m->per_cpu);
		m->evicted = s->have_cnt ? map_evicted(m->name, &s->cnt, m->entries) : -1;
	}
	fd = wl_map_open("wl_flow_cache");
	if (fd >= 0) {
		s->have_cache = !wl_flow_cache_fill(fd, &s->cache);
		close(fd);
	}
	fd = wl_map_open("wl_cmd_cache");
	if (fd >= 0) {
		s->have_cmd_cache = !wl_cmd_cache_fill(fd, &s->cmd_cache);
		close(fd);
	}
	return 0;
}

static void status_table(const struct status_view *s)
{
	const __u64 *v = (const __u64 *)&s->cnt;

	if (s->dispatcher)
		printf("xdp mode: single program: libxdp dispatcher works here but is not used "
		       "(it attaches through netlink, not as a pinned link)\n");
	else
		printf("xdp mode: single program: libxdp dispatcher unavailable (%s)\n", s->why);
	printf("attachments:\n  %-16s %-12s %-11s %-8s %-6s %-6s %s\n", "IFACE", "NETNS", "HOOK",
	       "MODE", "LINK", "PROG", "SINCE");
	for (size_t i = 0; i < s->n_links; i++)
		status_link_line(&s->links[i]);
	if (!s->n_links)
		printf("  (none: maps kept pinned)\n");
	wl_attach_notes(stdout, NULL, false); /* what is counted where: lo's hook, twice */
	wl_abi_notes(stdout, NULL);
	printf("maps:\n");
	for (size_t i = 0; i < STATUS_MAPS; i++) {
		const struct status_map *m = &s->maps[i];

		printf("  %-14s %8d / %-8u", m->name, m->entries, m->max);
		if (m->evicted >= 0)
			printf(" evicted %lld", m->evicted);
		printf("%s\n", m->per_cpu ? " per-CPU" : "");
	}
	if (s->have_cache)
		printf("  %-14s %8u / %-8u per-CPU, %llu packets not yet in wl_flows\n",
		       "wl_flow_cache", s->cache.holding, s->cache.slots,
		       (unsigned long long)s->cache.packets);
	if (s->have_cmd_cache)
		printf("  %-14s %8u / %-8u per-CPU, %llu updates not yet in wl_cmd_stats\n",
		       "wl_cmd_cache", s->cmd_cache.holding, s->cmd_cache.slots,
		       (unsigned long long)s->cmd_cache.updates);
	wl_l7_status(NULL);
	wl_rules_status(NULL); /* filter: rule count and policy */
	if (s->have_cnt) {
		printf("counters:\n");
		for (size_t i = 0; i < sizeof(s->cnt) / sizeof(__u64); i++)
			printf("  %-18s %llu\n", wl_counter_names[i], (unsigned long long)v[i]);
	}
	wl_log_status(NULL);
}

/* A per-CPU cache's entry in status --json's maps: slots holding deltas, slots, and the
 * deltas not yet in the table (pending, under that name). */
static void cache_json(json_object *maps, const char *map, __u64 holding, __u64 slots,
		       const char *pending, __u64 n)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "entries", json_object_new_int64((int64_t)holding));
	json_object_object_add(o, "max_entries", json_object_new_int64((int64_t)slots));
	json_object_object_add(o, "per_cpu", json_object_new_boolean(true));
	json_object_object_add(o, pending, json_object_new_int64((int64_t)n));
	json_object_object_add(maps, map, o);
}

static void status_json(const struct status_view *s)
{
	json_object *root = json_object_new_object(), *notes = json_object_new_array(),
		    *links = json_object_new_array(), *maps = json_object_new_object(),
		    *dj = json_object_new_object();

	wl_attach_notes(NULL, notes, false); /* what is counted where: lo's hook, twice */
	wl_abi_notes(NULL, notes);
	json_object_object_add(root, "notes", notes);
	json_object_object_add(root, "xdp_mode", json_object_new_string("single program"));
	json_object_object_add(dj, "available", json_object_new_boolean(s->dispatcher));
	json_object_object_add(dj, "used", json_object_new_boolean(false));
	json_object_object_add(dj, "reason",
			       json_object_new_string(s->dispatcher
							      ? "not used: it attaches through "
								"netlink, not as a pinned link"
							      : s->why));
	json_object_object_add(root, "xdp_dispatcher", dj);
	for (size_t i = 0; i < s->n_links; i++)
		json_object_array_add(links, status_link_json(&s->links[i]));
	json_object_object_add(root, "attachments", links);
	for (size_t i = 0; i < STATUS_MAPS; i++) {
		const struct status_map *m = &s->maps[i];
		json_object *o = json_object_new_object();

		json_object_object_add(o, "entries", json_object_new_int(m->entries));
		json_object_object_add(o, "max_entries", json_object_new_int(m->max));
		if (m->evicted >= 0)
			json_object_object_add(o, "evicted", json_object_new_int64(m->evicted));
		json_object_object_add(o, "per_cpu", json_object_new_boolean(m->per_cpu));
		json_object_object_add(maps, m->name, o);
	}
	if (s->have_cache)
		cache_json(maps, "wl_flow_cache", s->cache.holding, s->cache.slots,
			   "pending_packets", s->cache.packets);
	if (s->have_cmd_cache)
		cache_json(maps, "wl_cmd_cache", s->cmd_cache.holding, s->cmd_cache.slots,
			   "pending_updates", s->cmd_cache.updates);
	json_object_object_add(root, "maps", maps);
	json_object_object_add(root, "counters",
			       s->have_cnt ? wl_counters_json(&s->cnt) : json_object_new_object());
	wl_l7_status(root);
	wl_rules_status(root); /* filter: rule count and policy */
	wl_log_status(root);
	printf("%s\n", json_object_to_json_string_ext(
			       root, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(root);
}

int wl_cmd_status(int argc, char **argv)
{
	struct status_view s = {};
	struct wl_json_opts o = {};
	int err;

	err = wl_params_parse_no_args_as(&wl_status_params, argc, argv, &o,
					 "status takes only --json (wirelens status --help)");
	if (err)
		return err == WL_PARAMS_HELP ? 0 : err;
	if (wl_check_env(false) || status_collect(&s))
		return 1;
	if (o.json)
		status_json(&s);
	else
		status_table(&s);
	status_free(&s);
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

static int sort_bytes;

static int cmp_flows(const void *a, const void *b)
{
	const struct wl_flow_row *x = a, *y = b;
	__u64 vx = sort_bytes ? x->s.bytes : x->s.packets,
	      vy = sort_bytes ? y->s.bytes : y->s.packets;

	return vx < vy ? 1 : vx > vy ? -1 : 0;
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

/* --sort: the line it always had */
static int sort_arg(const struct wl_param_call *call, const char *value)
{
	struct wl_flows_view *v = call->opts;

	if (strcmp(value, "bytes") && strcmp(value, "packets")) {
		fprintf(stderr, "wirelens: --sort bytes|packets\n");
		return 2;
	}
	v->by_packets = !strcmp(value, "packets");
	return 0;
}

/* The options straight into the view they select. */
const struct wl_verb_params wl_flows_params = {
	.verb = "flows",
	.summary = "packets and bytes per flow direction and interface (L2 bytes)",
	.params = WL_PARAMS({"json", 'j', NULL, "JSON output", WL_FLAG(struct wl_flows_view, json)},
			    {"sort", 's', "bytes|packets",
			     "order of the rows, largest first (default bytes)", WL_FN(sort_arg)},
			    {"limit", 'l', "N", "print only the first N rows",
			     WL_NUM(struct wl_flows_view, limit, 0, INT_MAX)}),
};

int wl_cmd_flows(int argc, char **argv)
{
	struct wl_flows_view v = {.limit = -1};
	struct wl_flow_maps fm;
	int err;

	err = wl_params_parse_no_args(&wl_flows_params, argc, argv, &v);
	if (err)
		return err == WL_PARAMS_HELP ? 0 : err;
	if (wl_check_env(false))
		return 1;
	fm.flows = wl_map_open("wl_flows");
	if (fm.flows < 0) {
		wl_explain_no_pins();
		return 1;
	}
	fm.cache = wl_map_open("wl_flow_cache");
	err = wl_flows_show(fm, &v, NULL);
	close(fm.flows);
	if (fm.cache >= 0)
		close(fm.cache);
	return err ? 1 : 0;
}

void wl_json_fields(json_object *o, const void *row, const struct wl_json_field *f, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const char *p = (const char *)row + f[i].off;
		__u64 v64;
		__u32 v32;
		__u16 v16;

		if (f[i].size == 8) {
			memcpy(&v64, p, 8);
			json_object_object_add(o, f[i].name, json_object_new_uint64(v64));
			continue;
		}
		if (f[i].size == 4)
			memcpy(&v32, p, 4);
		else if (f[i].size == 2)
			memcpy(&v16, p, 2), v32 = v16;
		else
			v32 = *(const __u8 *)p;
		json_object_object_add(o, f[i].name, json_object_new_int((int)v32));
	}
}

void wl_json_array_out(json_object *arr, json_object **json_out)
{
	if (json_out) {
		*json_out = arr;
		return;
	}
	printf("%s\n", json_object_to_json_string_ext(arr, JSON_C_TO_STRING_PRETTY |
								   JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(arr);
}

/* A row of the flows view: the entry and what the view looked up for it. */
struct flow_line {
	const struct wl_flow_row *r;
	char ifname[IF_NAMESIZE + 1]; /* "-" in a replay */
	char netns[64];		      /* "" for this namespace */
	const struct wl_container *ct;
	int ivlan; /* the VLAN id of the sub-interface it was seen on, -1: none */
};

struct flow_lines {
	struct wl_flow_row *rows; /* the whole table, sorted */
	struct flow_line *v;	  /* the rows shown (--limit) */
	size_t n;
};

/* The numbers of a flow, after its key, as `flows --json` prints them. */
#define FLOW_FIELD(member) WL_JSON_FIELD(struct wl_flow_stats, member)
static const struct wl_json_field flow_stats_json[] = {
	FLOW_FIELD(packets), FLOW_FIELD(bytes),	  FLOW_FIELD(tcp_syn),
	FLOW_FIELD(tcp_fin), FLOW_FIELD(tcp_rst), FLOW_FIELD(fragments),
};
#undef FLOW_FIELD

/* Reads, sorts and limits the rows, and names their interfaces. -1 after one line on stderr. */
static int flows_collect(struct wl_flow_maps fm, const struct wl_flows_view *v,
			 struct flow_lines *fl)
{
	struct wl_iface_names names = {};
	size_t n = 0;
	int err;

	err = wl_flows_read(fm, &fl->rows, &n);
	if (err) {
		fprintf(stderr, "wirelens: flows: %s\n", wl_read_strerror(err));
		return -1;
	}
	sort_bytes = !v->by_packets;
	qsort(fl->rows, n, sizeof(*fl->rows), cmp_flows);
	if (v->limit >= 0 && (size_t)v->limit < n)
		n = v->limit;
	fl->v = calloc(n ? n : 1, sizeof(*fl->v));
	if (!fl->v) {
		fprintf(stderr, "wirelens: flows: %s\n", strerror(ENOMEM));
		free(fl->rows);
		return -1;
	}
	fl->n = n;
	if (!v->replay)
		wl_iface_names_load(&names);
	for (size_t i = 0; i < n; i++) {
		struct flow_line *l = &fl->v[i];
		const struct wl_flow_key *k = &fl->rows[i].k;

		l->r = &fl->rows[i];
		strcpy(l->ifname, "-");
		l->ivlan = -1;
		/* a replay's frames cross no interface (test_run's device is the loopback) */
		if (v->replay)
			continue;
		wl_iface_lookup_in(&names, k->netns_id, k->ifindex, l->ifname, l->netns);
		l->ct = wl_container_of_iface(k->ifindex, l->netns);
		/* on a VLAN sub-interface the tag is off the packet: its id comes from netlink */
		l->ivlan = wl_iface_vlan_of(k->ifindex, l->netns);
	}
	wl_iface_names_free(&names);
	return 0;
}

static void flow_addrs(const struct wl_flow_key *k, char *src, char *dst, size_t len)
{
	int af = k->l3_proto == 0x86DD ? AF_INET6 : AF_INET;

	inet_ntop(af, k->src_addr, src, len);
	inet_ntop(af, k->dst_addr, dst, len);
}

static json_object *flows_json(const struct flow_lines *fl, bool replay)
{
	json_object *arr = json_object_new_array();

	for (size_t i = 0; i < fl->n; i++) {
		const struct flow_line *l = &fl->v[i];
		const struct wl_flow_key *k = &l->r->k;
		const struct wl_flow_stats *s = &l->r->s;
		json_object *o = json_object_new_object();
		char src[64], dst[64], pbuf[WL_L4_NAME_LEN], first[32], last[32];

		flow_addrs(k, src, dst, sizeof(src));
		mono_to_iso(s->first_seen_ns, first, sizeof(first));
		mono_to_iso(s->last_seen_ns, last, sizeof(last));
		json_object_object_add(o, "ifindex", json_object_new_int(k->ifindex));
		json_object_object_add(o, "iface",
				       replay ? NULL : json_object_new_string(l->ifname));
		json_object_object_add(o, "netns",
				       l->netns[0] ? json_object_new_string(l->netns) : NULL);
		json_object_object_add(o, "container", wl_container_json(l->ct));
		json_object_object_add(o, "vlan", json_object_new_int(k->vlan_outer));
		json_object_object_add(o, "vlan_inner", json_object_new_int(k->vlan_inner));
		if (l->ivlan >= 0)
			json_object_object_add(o, "iface_vlan", json_object_new_int(l->ivlan));
		json_object_object_add(o, "proto",
				       json_object_new_string(wl_l4_name(k->l4_proto, pbuf)));
		json_object_object_add(o, "src", json_object_new_string(src));
		json_object_object_add(o, "dst", json_object_new_string(dst));
		json_object_object_add(o, "sport", json_object_new_int(k->src_port));
		json_object_object_add(o, "dport", json_object_new_int(k->dst_port));
		WL_JSON_ADD_FIELDS(o, s, flow_stats_json);
		/* a replay's clock is the replay's, not the capture's: no times */
		json_object_object_add(o, "first_seen",
				       replay ? NULL : json_object_new_string(first));
		json_object_object_add(o, "last_seen",
				       replay ? NULL : json_object_new_string(last));
		json_object_object_add(o, "first_seen_ns",
				       replay ? NULL : json_object_new_uint64(s->first_seen_ns));
		json_object_object_add(o, "last_seen_ns",
				       replay ? NULL : json_object_new_uint64(s->last_seen_ns));
		json_object_array_add(arr, o);
	}
	return arr;
}

/* One table line; true when its VLAN is the sub-interface's (starred). */
static bool flow_line_print(const struct flow_line *l, bool containers)
{
	const struct wl_flow_key *k = &l->r->k;
	const struct wl_flow_stats *s = &l->r->s;
	const char *ep = k->l3_proto == 0x86DD ? "[%s]:%u" : "%s:%u";
	char shown[IF_NAMESIZE + 66], src[64], dst[64], sa[80], da[80], vlan[16],
		pbuf[WL_L4_NAME_LEN], label[200];
	bool starred = !k->vlan_outer && l->ivlan >= 0;

	snprintf(shown, sizeof(shown), "%s%s%s", l->netns, l->netns[0] ? ":" : "", l->ifname);
	flow_addrs(k, src, dst, sizeof(src));
	snprintf(sa, sizeof(sa), ep, src, k->src_port);
	snprintf(da, sizeof(da), ep, dst, k->dst_port);
	if (starred)
		snprintf(vlan, sizeof(vlan), "%d*", l->ivlan);
	else if (k->vlan_inner)
		snprintf(vlan, sizeof(vlan), "%u.%u", k->vlan_outer, k->vlan_inner);
	else
		snprintf(vlan, sizeof(vlan), "%u", k->vlan_outer);
	printf("%-12s %-9s %-6s %-40s %-40s %10llu %12llu%s%s\n", shown, vlan,
	       wl_l4_name(k->l4_proto, pbuf), sa, da, (unsigned long long)s->packets,
	       (unsigned long long)s->bytes, containers ? " " : "",
	       containers ? wl_container_label(l->ct, label, sizeof(label)) : "");
	return starred;
}

static void flows_table(const struct flow_lines *fl)
{
	bool starred = false, containers = false;

	/* the CONTAINER column only when an interface shown belongs to one */
	for (size_t i = 0; i < fl->n; i++)
		containers |= fl->v[i].ct != NULL;
	printf("%-12s %-9s %-6s %-40s %-40s %10s %12s%s\n", "IFACE", "VLAN", "PROTO", "SRC", "DST",
	       "PACKETS", "BYTES", containers ? " CONTAINER" : "");
	for (size_t i = 0; i < fl->n; i++)
		starred |= flow_line_print(&fl->v[i], containers);
	if (starred)
		printf("* the VLAN id of the sub-interface (the tag is off the packet there)\n");
}

int wl_flows_show(struct wl_flow_maps fm, const struct wl_flows_view *v, json_object **json_out)
{
	struct flow_lines fl = {};

	if (flows_collect(fm, v, &fl))
		return -1;
	if (v->json)
		wl_json_array_out(flows_json(&fl, v->replay), json_out);
	else
		flows_table(&fl);
	free(fl.v);
	free(fl.rows);
	return 0;
}
