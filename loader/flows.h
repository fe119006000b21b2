/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Reading flows as wirelens counts them: wl_flows plus the deltas of the per-CPU flow cache. */
#ifndef WL_LOADER_FLOWS_H
#define WL_LOADER_FLOWS_H

#include <stddef.h>
#include "maps/wirelens.h"

/* The two maps a flow's counters live in: wl_flows, and wl_flow_cache (-1: none to add). */
struct wl_flow_maps {
	int flows;
	int cache;
};

/* One flow: its key and its counters. */
struct wl_flow_row {
	struct wl_flow_key k;
	struct wl_flow_stats s;
};

/* Reads the whole flow table into *rows (malloc'ed, the caller frees), each flow's cache slots
 * added; a flow the LRU pushed out whose slots still hold packets is a row too. -errno. */
int wl_flows_read(struct wl_flow_maps m, struct wl_flow_row **rows, size_t *n);
/* One flow by key, its cache slots added. 0, or -ENOENT when neither map has it. */
int wl_flow_get(struct wl_flow_maps m, const struct wl_flow_key *key, struct wl_flow_stats *out);

/* What the per-CPU flow cache holds now: its slots (all CPUs), those holding a flow's
 * packets, and those packets (not yet in wl_flows, which a raw dump of it misses). -errno. */
struct wl_flow_cache_fill {
	__u32 slots;
	__u32 holding;
	__u64 packets;
};
int wl_flow_cache_fill(int cache_fd, struct wl_flow_cache_fill *out);

#endif /* WL_LOADER_FLOWS_H */
