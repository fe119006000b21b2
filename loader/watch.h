/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* `watch PATTERN...`: attach to matching interfaces, those there now and those that appear. */
#ifndef WL_LOADER_WATCH_H
#define WL_LOADER_WATCH_H

#include "params.h"

extern const struct wl_verb_params wl_watch_params;
int wl_cmd_watch(int argc, char **argv);

#endif
