// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* wirelens: the CLI. One verb per command; every failure is one line on stderr and a non-zero
 * exit status. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <net/if.h>

#include "abi.h"
#include "attach.h"
#include "commands.h"
#include "export.h"
#include "l7cfg.h"
#include "iface.h"
#include "log.h"
#include "netns.h"
#include "params.h"
#include "probe.h"
#include "verbs.h"
#include "progs.h"
#include "rules.h"
#include "views.h"

static const struct wl_verb_params attach_verb_params = {
	.verb = "attach",
	.synopsis = "IFACE...",
	.summary = "attach to interfaces: XDP on ingress and TC on egress by default, so both\n"
		   "  directions are seen; attaching again adds hooks and changes nothing else",
	.params = WL_PARAMS(WL_ATTACH_PARAMS),
	.more = wl_attach_protocols_note,
};

static int cmd_attach(int argc, char **argv)
{
	struct wl_attach_session s = {};
	struct wl_attach_req r;
	int first, err, lock, failed = 0;
	bool had_maps;

	wl_attach_req_init(&r);
	err = wl_params_parse(&attach_verb_params, argc, argv, &r, &first);
	if (err)
		return err == WL_PARAMS_HELP ? 0 : err;
	if (first >= argc) {
		fprintf(stderr, "wirelens: attach needs an interface (wirelens attach --help)\n");
		return 2;
	}
	/* Validate every interface before changing anything. */
	for (int i = first; i < argc; i++) {
		if (!if_nametoindex(argv[i])) {
			fprintf(stderr, "wirelens: no interface '%s'%s%s\n", argv[i],
				wl_netns_tag() ? " in netns " : "",
				wl_netns_tag() ? wl_netns_tag() : "");
			return 1;
		}
		if (wl_iface_hooks(&r, argv[i], (bool[WL_HOOKS]){}, &(const char *){NULL}))
			return 1;
	}
	if (wl_check_env(true) || wl_probe_kernel())
		return 1;
	lock = wl_lock();
	if (lock < 0)
		return 1;
	had_maps = wl_maps_pinned();
	err = wl_session_prepare(&s, &r);
	if (!err) /* what an older wirelens left attached would be in the way */
		err = wl_abi_replace_old(1);
	for (int i = first; !err && i < argc; i++)
		if (wl_attach_iface(&s, &r, argv[i], false) < 0)
			failed = 1;
	wl_session_close(&s); /* the pinned links and maps keep everything alive */
	/* attachments that see the same packets (a bridge and its port...) */
	wl_attach_notes(stderr, NULL, true);
	/* maps this attach pinned for nothing go; maps kept by detach --keep-maps stay */
	if (!had_maps && !wl_links_count())
		wl_unpin_all();
	close(lock);
	return failed || err ? 1 : 0;
}

struct detach_opts {
	bool all, keep;
};

const struct wl_verb_params wl_detach_params = {
	.verb = "detach",
	.synopsis = "IFACE... | --all",
	.summary = "detach from interfaces; unpin the maps when nothing is left attached",
	.params = WL_PARAMS({"all", 0, NULL, "every attachment (only the namespace's with --netns)",
			     WL_FLAG(struct detach_opts, all)},
			    {"keep-maps", 0, NULL,
			     "keep the maps pinned (counters survive) when nothing is left",
			     WL_FLAG(struct detach_opts, keep)}),
};

static int cmd_detach(int argc, char **argv)
{
	struct detach_opts o = {};
	int lock, first, all, keep, err;

	err = wl_params_parse(&wl_detach_params, argc, argv, &o, &first);
	if (err)
		return err == WL_PARAMS_HELP ? 0 : err;
	all = o.all;
	keep = o.keep;
	if (first >= argc)
		first = 0;
	if (!all && !first) {
		fprintf(stderr, "wirelens: detach needs an interface or --all (wirelens detach "
				"--help)\n");
		return 2;
	}
	if (all && first) {
		fprintf(stderr, "wirelens: detach takes interfaces or --all, not both\n");
		return 2;
	}
	if (wl_check_env(false))
		return 1;
	if (access(wl_pin_root(), F_OK)) { /* nothing at all: no lock (file) needed */
		if (!all) {
			fprintf(stderr, "wirelens: nothing attached to '%s'%s%s\n", argv[first],
				wl_netns_tag() ? " in netns " : "",
				wl_netns_tag() ? wl_netns_tag() : "");
			return 1;
		}
		printf("nothing attached\n");
		return 0;
	}
	lock = wl_lock();
	if (lock < 0)
		return 1;
	/* Validate every interface before changing anything. */
	for (int i = first; first && i < argc; i++) {
		if (!wl_iface_pinned(argv[i])) {
			fprintf(stderr, "wirelens: nothing attached to '%s'%s%s\n", argv[i],
				wl_netns_tag() ? " in netns " : "",
				wl_netns_tag() ? wl_netns_tag() : "");
			close(lock);
			return 1;
		}
	}
	for (int i = first; first && i < argc; i++) {
		char what[64];

		wl_detach_iface(argv[i], what, sizeof(what));
		printf("detached %s (%s)\n", argv[i], what);
	}
	if (all) {
		int n = wl_detach_all(!wl_netns_tag());

		if (n)
			printf("detached %d link%s\n", n, n == 1 ? "" : "s");
		else
			printf("nothing attached\n");
		wl_abi_replace_old(0);
	}
	if (!keep && !wl_links_count())
		wl_unpin_all();
	close(lock);
	return 0;
}

static const struct wl_verb_params reset_params = {
	.verb = "reset",
	.summary = "zero every counter, the flow table and the command statistics without "
		   "detaching",
};

static int cmd_reset(int argc, char **argv)
{
	/* the caches first: a slot folded after its table was emptied would bring its entry back */
	static const char *const maps[] = {"wl_flow_cache", "wl_flow_tags", "wl_flows",
					   "wl_counters",   "wl_cmd_cache", "wl_cmd_stats",
					   "wl_conns",	    "wl_fifo_far",  "wl_l7_open",
					   "wl_frags",	    "wl_l7_syns"};
	int lock, err;

	err = wl_params_parse_no_args_as(&reset_params, argc, argv, NULL,
					 "reset takes no arguments (wirelens reset --help)");
	if (err)
		return err == WL_PARAMS_HELP ? 0 : err;
	if (wl_check_env(false))
		return 1;
	if (access(wl_pin_root(), F_OK)) {
		wl_explain_no_pins();
		return 1;
	}
	lock = wl_lock();
	if (lock < 0)
		return 1;
	for (size_t i = 0; i < sizeof(maps) / sizeof(maps[0]); i++) {
		int fd = wl_map_open(maps[i]);

		if (fd < 0) {
			wl_explain_no_pins();
			close(lock);
			return 1;
		}
		wl_map_clear(fd);
		close(fd);
	}
	close(lock);
	return 0;
}

/* One line per verb; a verb with an option table (params.h) is in --help, the man page and the
 * shell completion. */
static const struct wl_verb verbs[] = {
	{"attach", cmd_attach, "attach to interfaces (XDP ingress + TC egress by default)",
	 &attach_verb_params},
	{"detach", cmd_detach, "detach from interfaces (--all), unpin when nothing is left",
	 &wl_detach_params},
	{"status", wl_cmd_status, "attachments, map fill levels, counters by reason",
	 &wl_status_params},
	{"flows", wl_cmd_flows, "the flow table", &wl_flows_params},
	{"commands", wl_cmd_commands, "per-command L7 statistics", &wl_commands_params},
	{"ports", wl_cmd_ports, "server ports of each application protocol", &wl_ports_params},
	{"reset", cmd_reset, "zero every counter without detaching", &reset_params},
	{"watch", wl_cmd_watch, "attach to matching interfaces, now and as they appear",
	 &wl_watch_params},
	{"log", wl_cmd_log, "request/response pairs (or packets) as they complete", &wl_log_params},
	{"top", wl_cmd_top, "live rates and latencies per command, busiest flows", &wl_top_params},
	{"export", wl_cmd_export, "serve Prometheus metrics, send IPFIX flow and command records",
	 &wl_export_params},
	{"rule", wl_cmd_rule, "filter rules: add, del, list, policy, load, flush", &wl_rule_params},
	{"replay", wl_cmd_replay, "run the programs over a capture file, show flows and commands",
	 &wl_replay_params},
};
#define VERBS_N (sizeof(verbs) / sizeof(verbs[0]))

static void usage(FILE *f)
{
	fprintf(f, "usage: wirelens [--netns NAME|PATH] VERB [ARGS]   (wirelens VERB --help)\n");
	for (size_t i = 0; i < VERBS_N; i++)
		if (verbs[i].params)
			fprintf(f, "  %-9s %s\n", verbs[i].name, verbs[i].help);
	fprintf(f, "  --netns   work on the interfaces of that network namespace "
		   "(/run/netns/NAME or PATH);\n"
		   "            the pins stay in this bpffs\n"
		   "  --version version, git commit and map ABI version\n");
}

int main(int argc, char **argv)
{
	const char *netns;
	int bad;

	/* the shell completion's helper must see --netns as typed */
	if (argc > 1 && !strcmp(argv[1], "__complete"))
		return wl_complete(verbs, VERBS_N, argc - 2, argv + 2);
	netns = wl_netns_take_option(&argc, argv, &bad);
	if (bad)
		return 2;
	if (argc < 2) {
		fprintf(stderr, "wirelens: needs a verb (wirelens --help)\n");
		return 2;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		usage(stdout);
		return 0;
	}
	if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "-V")) {
		wl_print_version(stdout);
		return 0;
	}
	if (!strcmp(argv[1], "__man"))
		return wl_man_page(verbs, VERBS_N, stdout);
	for (size_t i = 0; i < VERBS_N; i++) {
		if (strcmp(argv[1], verbs[i].name))
			continue;
		/* --help needs no namespace (nor root) */
		if (netns &&
		    !(argc > 2 && (!strcmp(argv[2], "--help") || !strcmp(argv[2], "-h"))) &&
		    wl_netns_select(netns))
			return 1;
		return verbs[i].fn(argc - 1, argv + 1);
	}
	fprintf(stderr, "wirelens: unknown verb '%s' (wirelens --help)\n", argv[1]);
	return 2;
}
