/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The verbs of the CLI (the table lives in main.c): what --help, the man page (`wirelens __man`)
 * and the shell completion (`wirelens __complete`) enumerate. */
#ifndef WL_LOADER_VERBS_H
#define WL_LOADER_VERBS_H

#include <stddef.h>
#include <stdio.h>

#include "params.h"

struct wl_verb {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *help;		     /* one line for `wirelens --help` */
	const struct wl_verb_params *params; /* its option table (NULL: undocumented, hidden) */
};

/* The verbs, each in its own file with its option table; argv[0] is the verb's (last) word:
 * status, flows (views.c); commands, ports (commands.c); watch (watch.c: attach to matching
 * interfaces as they appear); log (log.c); top (top.c: the live view, ncurses or plain text);
 * export (export.c); rule (rules.c); replay (replay.c: a capture through the programs). */
typedef int wl_verb_fn(int argc, char **argv);
extern const struct wl_verb_params wl_status_params, wl_flows_params, wl_commands_params,
	wl_ports_params, wl_watch_params, wl_log_params, wl_top_params, wl_export_params,
	wl_rule_params, wl_replay_params;
wl_verb_fn wl_cmd_status, wl_cmd_flows, wl_cmd_commands, wl_cmd_ports, wl_cmd_watch, wl_cmd_log,
	wl_cmd_top, wl_cmd_export, wl_cmd_rule, wl_cmd_replay;

/* The options before (or anywhere around) the verb: --netns, --version, --help. */
extern const struct wl_verb_params wl_global_params;
#define WL_OPT_NETNS 0x200

/* `wirelens __man`: wirelens(8) in roff, from the tables (docs.c). */
int wl_man_page(const struct wl_verb *verbs, size_t n, FILE *f);
/* `wirelens __complete WORD...`: the candidates after the words typed so far (the last one being
 * completed, possibly ""), one per line, for the bash completion (docs.c). */
int wl_complete(const struct wl_verb *verbs, size_t n, int argc, char **argv);
/* `wirelens --version`: version, git commit, map ABI (docs.c). */
void wl_print_version(FILE *f);

#endif /* WL_LOADER_VERBS_H */
