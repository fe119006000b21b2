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
#include "progs.h"
#include "views.h"

static void attach_usage(FILE *f)
{
	fprintf(f, "usage: wirelens attach IFACE... [--mode native|skb] "
		   "[--hooks xdp,tc-egress,tc-ingress] [--flows N] [--force]\n"
		   "  default hooks: xdp (ingress) and tc-egress, so both directions are seen.\n");
}

static int cmd_attach(int argc, char **argv)
{
	static const struct option opts[] = {{"mode", required_argument, NULL, 'm'},
					     {"hooks", required_argument, NULL, 'k'},
					     {"flows", required_argument, NULL, 'f'},
					     {"force", no_argument, NULL, 'F'},
					     {"verbose", no_argument, NULL, 'v'},
					     {"help", no_argument, NULL, 'h'},
					     {NULL, 0, NULL, 0}};
	struct wl_load_opts lo = {.pin_dir = wl_pin_dir()};
	int hooks[WL_HOOKS] = {1, 0, 1}, skb = 0, force = 0, opt, err, lock, failed = 0;
	struct wl_progs p;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "m:k:f:Fvh", opts, NULL)) != -1) {
		switch (opt) {
		case 'm':
			if (strcmp(optarg, "native") && strcmp(optarg, "skb")) {
				fprintf(stderr, "wirelens: --mode native|skb\n");
				return 2;
			}
			skb = !strcmp(optarg, "skb");
			break;
		case 'k': {
			char buf[128], *tok, *save = NULL;

			memset(hooks, 0, sizeof(hooks));
			snprintf(buf, sizeof(buf), "%s", optarg);
			for (tok = strtok_r(buf, ",", &save); tok;
			     tok = strtok_r(NULL, ",", &save)) {
				int h = wl_hook_by_name(tok);

				if (h < 0) {
					fprintf(stderr,
						"wirelens: unknown hook '%s' (xdp, tc-egress, "
						"tc-ingress)\n",
						tok);
					return 2;
				}
				hooks[h] = 1;
			}
			break;
		}
		case 'f': {
			char *e;
			unsigned long v = strtoul(optarg, &e, 10);

			if (*e || !v || v > (1UL << 28)) {
				fprintf(stderr, "wirelens: --flows takes 1..268435456\n");
				return 2;
			}
			lo.flows_max = v;
			break;
		}
		case 'F':
			force = 1;
			break;
		case 'v':
			lo.verbose = 1;
			break;
		case 'h':
			attach_usage(stdout);
			return 0;
		default:
			attach_usage(stderr);
			return 2;
		}
	}
	if (optind >= argc) {
		attach_usage(stderr);
		return 2;
	}
	/* Validate every interface before changing anything. */
	for (int i = optind; i < argc; i++) {
		if (!if_nametoindex(argv[i])) {
			fprintf(stderr, "wirelens: no interface '%s'\n", argv[i]);
			return 1;
		}
		if (!strcmp(argv[i], "lo")) {
			fprintf(stderr, "wirelens: loopback is not supported\n");
			return 1;
		}
	}
	if (wl_check_env())
		return 1;
	lock = wl_lock();
	if (lock < 0)
		return 1;
	err = wl_pins_prepare();
	if (err) {
		fprintf(stderr, "wirelens: cannot create %s: %s\n", wl_pin_dir(), strerror(-err));
		close(lock);
		return 1;
	}
	wl_libbpf_quiet(lo.verbose);
	err = wl_progs_load(&p, &lo);
	if (err) {
		if (err == -ENOMEM || err == -E2BIG)
			fprintf(stderr,
				"wirelens: the maps do not fit in memory (lower --flows)\n");
		if (!wl_links_count())
			wl_unpin_all();
		close(lock);
		return 1;
	}
	err = wl_l7_config_init(&p);
	for (int i = optind; !err && i < argc; i++)
		for (int h = 0; h < WL_HOOKS; h++)
			if (hooks[h] && wl_attach_one(&p, argv[i], h, skb, force))
				failed = 1;
	wl_progs_close(&p); /* the pinned links and maps keep everything alive */
	if (!wl_links_count())
		wl_unpin_all();
	close(lock);
	return failed || err ? 1 : 0;
}

static int cmd_detach(int argc, char **argv)
{
	int all = 0, keep = 0, lock, nothing = 1, first = 0;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--all"))
			all = 1;
		else if (!strcmp(argv[i], "--keep-maps"))
			keep = 1;
		else if (!strcmp(argv[i], "--help")) {
			printf("usage: wirelens detach IFACE... | --all [--keep-maps]\n");
			return 0;
		} else if (argv[i][0] == '-') {
			fprintf(stderr, "wirelens: unknown option '%s'\n", argv[i]);
			return 2;
		} else if (!first) {
			first = i;
		}
	}
	if (!all && !first) {
		fprintf(stderr, "usage: wirelens detach IFACE... | --all [--keep-maps]\n");
		return 2;
	}
	if (wl_check_env())
		return 1;
	lock = wl_lock();
	if (lock < 0)
		return 1;
	for (int i = 1; i < argc; i++) {
		int any = 0;

		if (argv[i][0] == '-')
			continue;
		for (int h = 0; h < WL_HOOKS; h++)
			if (!wl_detach_one(argv[i], h))
				any = 1;
		if (!any) {
			fprintf(stderr, "wirelens: nothing attached to '%s'\n", argv[i]);
			close(lock);
			return 1;
		}
		printf("%s: detached\n", argv[i]);
		nothing = 0;
	}
	if (all) {
		int n = wl_detach_all();

		if (n > 0)
			nothing = 0;
		printf(nothing ? "nothing attached\n" : "detached everything\n");
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
		printf("usage: wirelens reset   (zeroes counters, flows and command stats)\n");
		return strcmp(argv[1], "--help") ? 2 : 0;
	}
	if (wl_check_env())
		return 1;
	lock = wl_lock();
	for (size_t i = 0; i < sizeof(maps) / sizeof(maps[0]); i++) {
		int fd = wl_map_open(maps[i]);

		if (fd < 0) {
			fprintf(stderr, "wirelens: nothing attached (no %s pin)\n", maps[i]);
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
};

static void usage(FILE *f)
{
	fprintf(f, "usage: wirelens VERB [ARGS]   (wirelens VERB --help)\n");
	for (size_t i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++)
		fprintf(f, "  %-9s %s\n", verbs[i].name, verbs[i].help);
}

int main(int argc, char **argv)
{
	if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? 2 : 0;
	}
	for (size_t i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++)
		if (!strcmp(argv[1], verbs[i].name))
			return verbs[i].fn(argc - 1, argv + 1);
	fprintf(stderr, "wirelens: unknown verb '%s'\n", argv[1]);
	usage(stderr);
	return 2;
}
