/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* `wirelens replay`: the programs over a capture file, then the flows and commands views. */
#ifndef WL_LOADER_REPLAY_H
#define WL_LOADER_REPLAY_H

#include "params.h"

extern const struct wl_verb_params wl_replay_params;
int wl_cmd_replay(int argc, char **argv);

#endif
