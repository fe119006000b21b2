/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Views over the pinned maps: `status`, `flows`. argv[0] is the verb. */
#ifndef WL_LOADER_VIEWS_H
#define WL_LOADER_VIEWS_H

#include <stdbool.h>
#include <stddef.h>
#include <json-c/json.h>
#include <linux/types.h>
#include <net/if.h>
#include "maps/wirelens.h"
#include "flows.h"

/* The flows view over wl_flows and its cache: what `flows` and `replay` print. */
struct wl_flows_view {
	bool json;
	bool by_packets; /* rows by packets, largest first (else by bytes) */
	int limit;	 /* rows shown, -1: all */
	bool replay;	 /* flows of a replay: no interface name, no times (null in JSON) */
};
/* Prints the table or the JSON array; with json_out (and v->json) hands the array over instead.
 * Returns 0, or -1 after one line on stderr. */
int wl_flows_show(struct wl_flow_maps fm, const struct wl_flows_view *v, json_object **json_out);
/* Prints a view's JSON array (pretty, '/' unescaped) and frees it, or hands it over to *json_out
 * when json_out is not NULL. */
void wl_json_array_out(json_object *arr, json_object **json_out);
/* A number of a row printed in JSON: its name there (the member's) and where it is in the row's
 * struct. Each row type's numbers are one table of them, added in its order by wl_json_fields;
 * 8-byte members print as uint64, narrower ones as int (as json_object_new_int). */
struct wl_json_field {
	const char *name;
	unsigned short off, size;
};
#define WL_JSON_FIELD(type, member)                                                                \
	{                                                                                          \
#member, offsetof(type, member), sizeof(((type *)0)->member)                       \
	}
void wl_json_fields(json_object *o, const void *row, const struct wl_json_field *f, size_t n);
#define WL_JSON_ADD_FIELDS(o, row, table)                                                          \
	wl_json_fields(o, row, table, sizeof(table) / sizeof((table)[0]))
/* The "counters" object of `status --json` and `replay --json`: every counter by name. */
json_object *wl_counters_json(const struct wl_counters *c);

/* Readers shared with other views and the exporters. */

/* The name of each __u64 of struct wl_counters, in order ("seen", "accounted", ...). */
extern const char *const wl_counter_names[];
/* Entries in a pinned map and its max_entries; -1 when it cannot be opened. */
int wl_map_fill(const char *name, __u32 *max, bool *per_cpu);

/* Interface names of flow keys (ifindex is per namespace): from the attachments' pins, else
 * if_indextoname in the selected namespace. */
struct wl_iface_name {
	__u32 ifindex;
	char name[IF_NAMESIZE + 1];
	char netns[64];
};
struct wl_iface_names {
	struct wl_iface_name *v;
	size_t n, cap;
};
void wl_iface_names_load(struct wl_iface_names *t);
void wl_iface_names_free(struct wl_iface_names *t);
/* name: IF_NAMESIZE + 1 bytes ("?" when unknown), netns: 64 bytes ("" for this namespace). */
void wl_iface_lookup(const struct wl_iface_names *t, __u32 ifindex, char *name, char *netns);
/* The same for a key's (netns id, ifindex): an id other than 0 names the namespace (netns_ids.h),
 * and the interface only from that namespace's attachments ("?" when none: its ifindex means
 * nothing here). */
void wl_iface_lookup_in(const struct wl_iface_names *t, __u8 netns_id, __u32 ifindex, char *name,
			char *netns);

#endif
