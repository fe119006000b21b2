/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Verbs over the L7 maps: `commands` and `ports`. Each takes argv with argv[0] = the verb. */
#ifndef WL_LOADER_COMMANDS_H
#define WL_LOADER_COMMANDS_H

#include <stdbool.h>
#include <stddef.h>
#include <json-c/json.h>
#include <linux/types.h>
#include "maps/wirelens.h"

/* The two maps a command's counts live in: wl_cmd_stats, and wl_cmd_cache (-1: none to add). */
struct wl_cmd_maps {
	int stats;
	int cache;
};

/* The commands view over a wl_cmd_stats map (fd): what `commands` and `replay` print. */
struct wl_commands_view {
	bool json;
	unsigned int proto;	  /* only this protocol; 0: all */
	struct wl_cmd_key filter; /* only this server (address and/or port) */
	bool has_addr, has_port;
	bool replay; /* a replay: no latency ("-", null in JSON) */
};
/* Prints the table or the JSON array; with json_out (and v->json) hands the array over instead.
 * Returns 0, or -1 after one line on stderr. */
int wl_commands_show(struct wl_cmd_maps m, const struct wl_commands_view *v,
		     json_object **json_out);

/* Helpers shared with other views. */
double wl_hist_quantile_us(const __u64 *hist, int buckets, double q);
void wl_format_server(const struct wl_cmd_key *k, char *buf, size_t len);

/* One entry of wl_cmd_stats, the CPUs summed. */
struct wl_cmd_row {
	struct wl_cmd_key key;
	struct wl_cmd_stats st;
};
/* Reads every command, its entry and the cache's deltas (cmd_stats.c), into *rows (malloc'ed,
 * the caller frees). -errno. */
int wl_cmd_stats_read(struct wl_cmd_maps m, struct wl_cmd_row **rows, size_t *n);
/* Adds one set of counts to another, field by field (modulo 2^64, as the maps do). */
void wl_cmd_stats_add(struct wl_cmd_stats *to, const struct wl_cmd_stats *from);
/* What the per-CPU command cache holds now: its slots (all CPUs), those holding a command's
 * updates, and those updates (not yet in wl_cmd_stats, which a raw dump of it misses). -errno. */
struct wl_cmd_cache_fill {
	__u32 slots;
	__u32 holding;
	__u64 updates;
};
int wl_cmd_cache_fill(int cache_fd, struct wl_cmd_cache_fill *out);

/* The values `commands --json` prints for a key: protocol, server, command. */
struct wl_cmd_labels {
	const char *protocol; /* "unknown" for an id without a name */
	char server[64];      /* 198.18.0.2:6379, [2001:db8::2]:6379 */
	char command[WL_CMD_LEN + 1];
	char netns[64]; /* the server's network namespace: "" for wirelens' own (netns_ids.h) */
	char container[160]; /* export: the server's container (wl_container_label), or "" */
};
void wl_cmd_labels(const struct wl_cmd_key *k, struct wl_cmd_labels *l);
/* Adds the labels to a JSON object as `commands --json` names them (netns null for our own). */
void wl_cmd_labels_json(json_object *o, const struct wl_cmd_labels *l);
/* The container that owns a command's server address (container.h), or NULL. */
struct wl_container;
const struct wl_container *wl_cmd_server_container(const struct wl_cmd_key *k);

#endif
