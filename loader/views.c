// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* `status` and `flows`: read the pinned maps and links, print a table or JSON. */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
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
#include "attach.h"
#include "views.h"

static const char *const counter_names[] = {
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
};
_Static_assert(sizeof(counter_names) / sizeof(counter_names[0]) ==
		       sizeof(struct wl_counters) / sizeof(__u64),
	       "a name for every counter");

static int map_fill(const char *name, __u32 *max)
{
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);
	char key[256], next[256];
	void *prev = NULL;
	int fd = wl_map_open(name), n = 0;

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

struct status_ctx {
	json_object *arr;
	int json;
};

static int status_link(const char *ifname, enum wl_hook_kind h, int fd, void *arg)
{
	struct status_ctx *c = arg;
	struct bpf_link_info info = {};
	__u32 len = sizeof(info);
	int ok = fd >= 0 && !bpf_obj_get_info_by_fd(fd, &info, &len);

	if (c->json) {
		json_object *o = json_object_new_object();

		json_object_object_add(o, "iface", json_object_new_string(ifname));
		json_object_object_add(o, "ifindex", json_object_new_int(if_nametoindex(ifname)));
		json_object_object_add(o, "hook", json_object_new_string(wl_hook_name(h)));
		json_object_object_add(o, "link_id", json_object_new_int(ok ? info.id : 0));
		json_object_object_add(o, "prog_id", json_object_new_int(ok ? info.prog_id : 0));
		json_object_object_add(o, "attached", json_object_new_boolean(ok));
		json_object_array_add(c->arr, o);
	} else {
		printf("  %-16s %-11s link %-5u prog %-5u %s\n", ifname, wl_hook_name(h),
		       ok ? info.id : 0, ok ? info.prog_id : 0, ok ? "" : "(stale pin)");
	}
	return 0;
}

int wl_cmd_status(int argc, char **argv)
{
	static const char *const maps[] = {"wl_flows", "wl_conns", "wl_cmd_stats", "wl_frags"};
	struct status_ctx c = {.json = argc > 1 && !strcmp(argv[1], "--json")};
	struct wl_counters cnt;
	json_object *root = json_object_new_object(), *mj = json_object_new_object(),
		    *cj = json_object_new_object();
	int fd;

	if (argc > 1 && !c.json) {
		printf("usage: wirelens status [--json]\n");
		json_object_put(root);
		return strcmp(argv[1], "--help") ? 2 : 0;
	}
	fd = wl_map_open("wl_counters");
	if (fd < 0) {
		fprintf(stderr, "wirelens: nothing attached (no pins under %s)\n", wl_pin_dir());
		json_object_put(root);
		json_object_put(mj);
		json_object_put(cj);
		return 1;
	}
	c.arr = json_object_new_array();
	if (!c.json) {
		printf("xdp mode: single program per interface (libxdp's multi-program dispatcher "
		       "is "
		       "not used: this kernel's lockdown refuses freplace)\nattachments:\n");
	}
	wl_links_foreach(status_link, &c);
	if (!c.json)
		printf("maps:\n");
	for (size_t i = 0; i < sizeof(maps) / sizeof(maps[0]); i++) {
		__u32 max;
		int n = map_fill(maps[i], &max);

		if (c.json) {
			json_object *o = json_object_new_object();

			json_object_object_add(o, "entries", json_object_new_int(n));
			json_object_object_add(o, "max_entries", json_object_new_int(max));
			json_object_object_add(mj, maps[i], o);
		} else {
			printf("  %-14s %8d / %-8u\n", maps[i], n, max);
		}
	}
	if (!wl_counters_read(fd, &cnt)) {
		const __u64 *v = (const __u64 *)&cnt;

		if (!c.json)
			printf("counters:\n");
		for (size_t i = 0; i < sizeof(cnt) / sizeof(__u64); i++) {
			if (c.json)
				json_object_object_add(cj, counter_names[i],
						       json_object_new_uint64(v[i]));
			else
				printf("  %-18s %llu\n", counter_names[i],
				       (unsigned long long)v[i]);
		}
	}
	close(fd);
	if (c.json) {
		json_object_object_add(root, "xdp_mode", json_object_new_string("single program"));
		json_object_object_add(
			root, "xdp_dispatcher",
			json_object_new_string("unavailable: kernel lockdown refuses "
					       "freplace"));
		json_object_object_add(root, "attachments", c.arr);
		json_object_object_add(root, "maps", mj);
		json_object_object_add(root, "counters", cj);
		printf("%s\n", json_object_to_json_string_ext(root, JSON_C_TO_STRING_PRETTY));
	} else {
		json_object_put(c.arr);
		json_object_put(mj);
		json_object_put(cj);
	}
	json_object_put(root);
	return 0;
}

struct flow_row {
	struct wl_flow_key k;
	struct wl_flow_stats s;
};

static int sort_bytes;

static int cmp_flows(const void *a, const void *b)
{
	const struct flow_row *x = a, *y = b;
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

int wl_cmd_flows(int argc, char **argv)
{
	static const struct option opts[] = {{"json", no_argument, NULL, 'j'},
					     {"sort", required_argument, NULL, 's'},
					     {"limit", required_argument, NULL, 'l'},
					     {"help", no_argument, NULL, 'h'},
					     {NULL, 0, NULL, 0}};
	int json = 0, limit = -1, opt, fd;
	struct flow_row *rows = NULL;
	size_t n = 0, cap = 0;
	struct wl_flow_key key, next;
	void *prev = NULL;
	json_object *arr;

	sort_bytes = 1;
	optind = 1;
	while ((opt = getopt_long(argc, argv, "js:l:h", opts, NULL)) != -1) {
		switch (opt) {
		case 'j':
			json = 1;
			break;
		case 's':
			if (strcmp(optarg, "bytes") && strcmp(optarg, "packets")) {
				fprintf(stderr, "wirelens: --sort bytes|packets\n");
				return 2;
			}
			sort_bytes = !strcmp(optarg, "bytes");
			break;
		case 'l':
			limit = atoi(optarg);
			break;
		case 'h':
			printf("usage: wirelens flows [--json] [--sort bytes|packets] [--limit "
			       "N]\n");
			return 0;
		default:
			return 2;
		}
	}
	fd = wl_map_open("wl_flows");
	if (fd < 0) {
		fprintf(stderr, "wirelens: nothing attached (no pins under %s)\n", wl_pin_dir());
		return 1;
	}
	while (!bpf_map_get_next_key(fd, prev, &next)) {
		key = next;
		prev = &key;
		if (n == cap) {
			cap = cap ? 2 * cap : 256;
			rows = realloc(rows, cap * sizeof(*rows));
			if (!rows)
				return 1;
		}
		if (bpf_map_lookup_elem(fd, &key, &rows[n].s))
			continue;
		rows[n++].k = key;
	}
	close(fd);
	qsort(rows, n, sizeof(*rows), cmp_flows);
	arr = json_object_new_array();
	if (!json)
		printf("%-12s %-9s %-6s %-40s %-40s %10s %12s\n", "IFACE", "VLAN", "PROTO", "SRC",
		       "DST", "PACKETS", "BYTES");
	for (size_t i = 0; i < n && (limit < 0 || (int)i < limit); i++) {
		const struct wl_flow_key *k = &rows[i].k;
		const struct wl_flow_stats *s = &rows[i].s;
		char ifname[IF_NAMESIZE] = "?", src[64], dst[64], vlan[16], pbuf[8], first[32],
		     last[32];
		int af = k->l3_proto == 0x86DD ? AF_INET6 : AF_INET;

		if_indextoname(k->ifindex, ifname);
		inet_ntop(af, k->src_addr, src, sizeof(src));
		inet_ntop(af, k->dst_addr, dst, sizeof(dst));
		if (k->vlan_inner)
			snprintf(vlan, sizeof(vlan), "%u.%u", k->vlan_outer, k->vlan_inner);
		else
			snprintf(vlan, sizeof(vlan), "%u", k->vlan_outer);
		mono_to_iso(s->first_seen_ns, first, sizeof(first));
		mono_to_iso(s->last_seen_ns, last, sizeof(last));
		if (json) {
			json_object *o = json_object_new_object();

			json_object_object_add(o, "ifindex", json_object_new_int(k->ifindex));
			json_object_object_add(o, "iface", json_object_new_string(ifname));
			json_object_object_add(o, "vlan", json_object_new_int(k->vlan_outer));
			json_object_object_add(o, "vlan_inner", json_object_new_int(k->vlan_inner));
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
			json_object_object_add(o, "first_seen", json_object_new_string(first));
			json_object_object_add(o, "last_seen", json_object_new_string(last));
			json_object_object_add(o, "first_seen_ns",
					       json_object_new_uint64(s->first_seen_ns));
			json_object_object_add(o, "last_seen_ns",
					       json_object_new_uint64(s->last_seen_ns));
			json_object_array_add(arr, o);
		} else {
			char sa[80], da[80];

			snprintf(sa, sizeof(sa), af == AF_INET6 ? "[%s]:%u" : "%s:%u", src,
				 k->src_port);
			snprintf(da, sizeof(da), af == AF_INET6 ? "[%s]:%u" : "%s:%u", dst,
				 k->dst_port);
			printf("%-12s %-9s %-6s %-40s %-40s %10llu %12llu\n", ifname, vlan,
			       l4_name(k->l4_proto, pbuf), sa, da, (unsigned long long)s->packets,
			       (unsigned long long)s->bytes);
		}
	}
	if (json)
		printf("%s\n",
		       json_object_to_json_string_ext(arr, JSON_C_TO_STRING_PRETTY |
								   JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(arr);
	free(rows);
	return 0;
}
