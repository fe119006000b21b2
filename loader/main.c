// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* wirelens: the CLI. One verb per command; every failure is one line on stderr and a non-zero
 * exit status. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <net/if.h>

#include "attach.h"
#include "commands.h"
#include "l7cfg.h"
#include "log.h"
#include "netns.h"
#include "params.h"
#include "probe.h"
#include "progs.h"
#include "views.h"
#include "watch.h"

static void attach_usage(FILE *f)
{
	fprintf(f,
		"usage: wirelens [--netns NAME|PATH] attach IFACE... [--mode native|skb]\n"
		"         [--hooks xdp,tc-egress,tc-ingress] [--flows-max N] [--force] "
		"[--tc-mode auto|tcx|cls] [--verbose]\n"
		"  default hooks: xdp (ingress) and tc-egress, so both directions are seen.\n"
		"  --tc-mode      tcx links (Linux 6.6+), cls: clsact qdisc + cls_bpf filter; "
		"auto\n"
		"                 (default) uses tcx where the kernel has it, else cls\n"
		"  --flows-max N  flow table entries (default %u; fixed while anything is "
		"attached)\n"
		"  --force        replace another XDP program on the interface\n"
		"  --protocols P,...  load only these protocol parsers (default: all: %s);\n"
		"                 the set is shared by every attachment of the pin root\n"
		"  --no-l7        L2-L4 only: no protocol parser\n"
		"  --verbose      libbpf's messages and the end of a refusing verifier's log\n",
		WL_FLOWS_DEFAULT, wl_l7_proto_list(","));
}

static int cmd_attach(int argc, char **argv)
{
	static const struct option opts[] = {
		WL_ATTACH_LONGOPTS, {"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0}};
	struct wl_attach_session s = {};
	struct wl_attach_req r;
	int opt, err, lock, failed = 0;
	bool had_maps;

	wl_attach_req_init(&r);
	optind = 1;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, WL_ATTACH_OPTSTRING "h", opts, NULL)) != -1) {
		if (opt == 'h') {
			attach_usage(stdout);
			return 0;
		}
		err = wl_attach_option(&r, opt, optarg);
		if (err > 0)
			return err;
		if (err < 0)
			return wl_option_error("attach", opt, argv);
	}
	if (optind >= argc) {
		fprintf(stderr, "wirelens: attach needs an interface (wirelens attach --help)\n");
		return 2;
	}
	/* Validate every interface before changing anything. */
	for (int i = optind; i < argc; i++) {
		if (!if_nametoindex(argv[i])) {
			fprintf(stderr, "wirelens: no interface '%s'%s%s\n", argv[i],
				wl_netns_tag() ? " in netns " : "",
				wl_netns_tag() ? wl_netns_tag() : "");
			return 1;
		}
		if (!strcmp(argv[i], "lo")) {
			fprintf(stderr, "wirelens: loopback is not supported\n");
			return 1;
		}
	}
	if (wl_check_env(true) || wl_probe_kernel())
		return 1;
	lock = wl_lock();
	if (lock < 0)
		return 1;
	had_maps = wl_maps_pinned();
	err = wl_session_prepare(&s, &r);
	for (int i = optind; !err && i < argc; i++)
		if (wl_attach_iface(&s, &r, argv[i], false) < 0)
			failed = 1;
	wl_session_close(&s); /* the pinned links and maps keep everything alive */
	/* maps this attach pinned for nothing go; maps kept by detach --keep-maps stay */
	if (!had_maps && !wl_links_count())
		wl_unpin_all();
	close(lock);
	return failed || err ? 1 : 0;
}

enum { DETACH_ALL = 256, DETACH_KEEP_MAPS };

static const struct wl_param detach_params[] = {
	{"all", DETACH_ALL, NULL, "every attachment (only the namespace's with --netns)"},
	{"keep-maps", DETACH_KEEP_MAPS, NULL,
	 "keep the maps pinned (counters survive) when nothing is left"},
	{NULL, 0, NULL, NULL},
};

const struct wl_verb_params wl_detach_params = {
	.verb = "detach",
	.synopsis = "IFACE... | --all",
	.summary = "detach from interfaces; unpin the maps when nothing is left attached",
	.params = detach_params,
};

struct detach_opts {
	int all, keep;
};

static int detach_option(int key, const char *value, void *ctx)
{
	struct detach_opts *o = ctx;

	(void)value;
	if (key == DETACH_ALL)
		o->all = 1;
	else if (key == DETACH_KEEP_MAPS)
		o->keep = 1;
	return 0;
}

static int cmd_detach(int argc, char **argv)
{
	struct detach_opts o = {};
	int lock, first, all, keep, err;

	err = wl_params_parse(&wl_detach_params, argc, argv, detach_option, &o, &first);
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
	}
	if (!keep && !wl_links_count())
		wl_unpin_all();
	close(lock);
	return 0;
}

static int cmd_reset(int argc, char **argv)
{
	static const char *const maps[] = {"wl_flows", "wl_counters", "wl_cmd_stats", "wl_conns",
					   "wl_frags"};
	int lock;

	if (argc > 1) {
		if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
			printf("usage: wirelens reset   (zeroes counters, flows and command "
			       "stats)\n");
			return 0;
		}
		fprintf(stderr, "wirelens: reset takes no arguments (wirelens reset --help)\n");
		return 2;
	}
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

static const struct verb {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *help;
} verbs[] = {
	{"attach", cmd_attach, "attach to interfaces (XDP ingress + TC egress by default)"},
	{"detach", cmd_detach, "detach from interfaces (--all), unpin when nothing is left"},
	{"status", wl_cmd_status, "attachments, map fill levels, counters by reason"},
	{"flows", wl_cmd_flows, "the flow table"},
	{"commands", wl_cmd_commands, "per-command L7 statistics"},
	{"ports", wl_cmd_ports, "server ports of each application protocol"},
	{"reset", cmd_reset, "zero every counter without detaching"},
	{"watch", wl_cmd_watch, "attach to matching interfaces, now and as they appear"},
	{"log", wl_cmd_log, "request/response pairs (or packets) as they complete"},
};

static void usage(FILE *f)
{
	fprintf(f, "usage: wirelens [--netns NAME|PATH] VERB [ARGS]   (wirelens VERB --help)\n");
	for (size_t i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++)
		fprintf(f, "  %-9s %s\n", verbs[i].name, verbs[i].help);
	fprintf(f, "  --netns   work on the interfaces of that network namespace "
		   "(/run/netns/NAME or PATH);\n"
		   "            the pins stay in this bpffs\n");
}

int main(int argc, char **argv)
{
	const char *netns;
	int bad;

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
	for (size_t i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++) {
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
