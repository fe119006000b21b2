/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Views over the pinned maps: `status`, `flows`. argv[0] is the verb. */
#ifndef WL_LOADER_VIEWS_H
#define WL_LOADER_VIEWS_H

#include "params.h"

extern const struct wl_verb_params wl_status_params, wl_flows_params;
int wl_cmd_status(int argc, char **argv);
int wl_cmd_flows(int argc, char **argv);

#endif
