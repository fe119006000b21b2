/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* `wirelens log`: request/response pairs (or packets) from the event ring as they complete. */
#ifndef WL_LOADER_LOG_H
#define WL_LOADER_LOG_H

#include <stdbool.h>
#include "maps/wirelens.h"

struct json_object;

/* The event log's counters (CPUs summed) and its configuration (who reads). 0 or -errno. */
int wl_log_read(struct wl_log_stats *st, struct wl_log_cfg *cfg);
/* Is the lease of cfg held by a live reader? */
bool wl_log_reader_active(const struct wl_log_cfg *cfg);
/* For `status`: a "log:" section (root NULL) or a "log" object added to root. */
void wl_log_status(struct json_object *root);

#endif
