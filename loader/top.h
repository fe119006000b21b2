/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* `wirelens top`: the live view (ncurses; plain text or JSON when not a terminal). */
#ifndef WL_LOADER_TOP_H
#define WL_LOADER_TOP_H

#include "params.h"

extern const struct wl_verb_params wl_top_params;
int wl_cmd_top(int argc, char **argv);

#endif
