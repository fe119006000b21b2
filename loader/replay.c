// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * `wirelens replay FILE...`: the programs `attach` loads, run over a capture with
 * BPF_PROG_TEST_RUN, then the `flows` and `commands` views of what they counted. No interface, no
 * attach, no pin: the maps belong to this process alone and go with it, whatever way it ends
 * (error, SIGINT), so nothing is ever left behind and a replay never touches the counters of
 * what is attached.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <json-c/json.h>

#include "capture.h"
#include "commands.h"
#include "l7cfg.h"
#include "params.h"
#include "probe.h"
#include "progs.h"
#include "verbs.h"
#include "views.h"
#include "wl_xdp.skel.h"

#define PORTS_MAX 256

struct replay_opts {
	bool json, tc, verbose, l7_select, each;
	__u32 l7_mask;
	struct {
		__u32 port;
		__u8 proto;
	} ports[PORTS_MAX];
	int nports;
};

static int port_arg(const struct wl_param_call *call, const char *value)
{
	struct replay_opts *o = call->opts;
	__u32 ports[PORTS_MAX];
	unsigned int proto;
	int n = wl_l7_ports_parse(value, &proto, ports, PORTS_MAX);

	if (n < 0)
		return wl_params_bad_value(call, value,
					   "PROTO=PORT[,PORT...], e.g. redis=7000,7001");
	for (int i = 0; i < n; i++) {
		if (o->nports >= PORTS_MAX)
			return wl_params_bad_value(call, value, "too many ports");
		o->ports[o->nports].port = ports[i];
		o->ports[o->nports].proto = proto;
		o->nports++;
	}
	return 0;
}

static int protocols_arg(const struct wl_param_call *call, const char *value)
{
	struct replay_opts *o = call->opts;

	o->l7_select = true;
	return wl_l7_proto_mask_parse(value, &o->l7_mask) ? 2 : 0;
}

static int no_l7_arg(const struct wl_param_call *call, const char *value)
{
	struct replay_opts *o = call->opts;

	(void)value;
	o->l7_select = true;
	o->l7_mask = 0;
	return 0;
}

static const struct wl_param_word hooks[] = {{"xdp", false}, {"tc", true}, {}};

const struct wl_verb_params wl_replay_params = {
	.verb = "replay",
	.synopsis = "FILE...",
	.summary =
		"run the programs over a capture (pcap, pcapng) and show its flows and\n"
		"  commands; several files are one stream, in the order given (--each: one by\n"
		"  one). No interface, no attach: the maps are this process's own and go with it",
	.params = WL_PARAMS(
		{"hook", 'k', "xdp|tc",
		 "the program the frames go through (default xdp); TC takes frames up\n"
		 "to about a page (test_run makes linear skbs): larger ones are counted as "
		 "not run",
		 WL_WORD(struct replay_opts, tc, hooks)},
		{"json", 'j', NULL, "JSON output (README: JSON output)",
		 WL_FLAG(struct replay_opts, json)},
		{"each", 0, NULL,
		 "every file on its own, from empty maps, one result each (JSON: an\n"
		 "array of replay documents); else the files are one stream",
		 WL_FLAG(struct replay_opts, each)},
		{"port", 'p', "PROTO=PORT[,PORT...]",
		 "server ports beyond the defaults, as `ports set` (repeatable)", WL_FN(port_arg)},
		{"protocols", 0, "PROTO,...", "load only these protocol parsers",
		 WL_FN(protocols_arg)},
		{"no-l7", 0, NULL, "L2-L4 only: no protocol parser", WL_FN(no_l7_arg)},
		{"verbose", 'v', NULL, "libbpf's messages and the end of a refusing verifier's log",
		 WL_FLAG(struct replay_opts, verbose)}),
	.notes =
		"  Link types: Ethernet, Linux cooked (SLL, SLL2), BSD loopback, raw IP (the "
		"others\n"
		"  get an Ethernet header made up in front). Latency is not shown: the programs\n"
		"  time requests with the kernel's clock, which in a replay measures the replay.\n",
};

static void ns_to_iso(__u64 ns, char *buf, size_t len)
{
	time_t t = ns / 1000000000ULL;
	struct tm tm;
	size_t n;

	gmtime_r(&t, &tm);
	n = strftime(buf, len, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf + n, len - n, ".%06lluZ", (unsigned long long)(ns % 1000000000ULL / 1000));
}

#define FILE_FIELD(member) WL_JSON_FIELD(struct wl_replay_stats, member)
/* The counts of a file, after its name and link type, as `replay --json` prints them. */
static const struct wl_json_field file_stats_json[] = {
	FILE_FIELD(frames),	     FILE_FIELD(run),	       FILE_FIELD(rewritten),
	FILE_FIELD(unsupported),     FILE_FIELD(run_errors),   FILE_FIELD(too_big),
	FILE_FIELD(too_big_ipv4),    FILE_FIELD(too_big_ipv6), FILE_FIELD(too_big_frag_v4),
	FILE_FIELD(too_big_frag_v6), FILE_FIELD(too_big_vlan), FILE_FIELD(too_big_qinq),
	FILE_FIELD(max_len),
};
#undef FILE_FIELD

static json_object *file_json(const char *path, const struct wl_replay_stats *st)
{
	json_object *o = json_object_new_object();
	char first[40], last[40];

	ns_to_iso(st->first_ts_ns, first, sizeof(first));
	ns_to_iso(st->last_ts_ns, last, sizeof(last));
	json_object_object_add(o, "file", json_object_new_string(path));
	json_object_object_add(o, "link_type", json_object_new_string(st->linktype));
	WL_JSON_ADD_FIELDS(o, st, file_stats_json);
	json_object_object_add(o, "first_ts", st->frames ? json_object_new_string(first) : NULL);
	json_object_object_add(o, "last_ts", st->frames ? json_object_new_string(last) : NULL);
	json_object_object_add(o, "first_ts_ns",
			       st->frames ? json_object_new_uint64(st->first_ts_ns) : NULL);
	json_object_object_add(o, "last_ts_ns",
			       st->frames ? json_object_new_uint64(st->last_ts_ns) : NULL);
	return o;
}

static void file_text(const char *path, const struct wl_replay_stats *st)
{
	char first[40], last[40];

	ns_to_iso(st->first_ts_ns, first, sizeof(first));
	ns_to_iso(st->last_ts_ns, last, sizeof(last));
	printf("%s: %llu frames (%s%s), %llu run", path, (unsigned long long)st->frames,
	       st->linktype, st->rewritten ? ", given an Ethernet header" : "",
	       (unsigned long long)st->run);
	if (st->too_big)
		printf(", %llu too big for TC test_run (not run)", (unsigned long long)st->too_big);
	if (st->unsupported)
		printf(", %llu not IP (not run)", (unsigned long long)st->unsupported);
	if (st->run_errors)
		printf(", %llu refused by test_run", (unsigned long long)st->run_errors);
	if (st->frames)
		printf(", %s to %s", first, last);
	printf("\n");
}

/* The maps a replay fills, emptied; then the ports' defaults and --port: as freshly loaded. */
static int reset_maps(const struct wl_progs *p, const struct replay_opts *o)
{
	static const char *const state[] = {
		"wl_flows", "wl_flow_cache", "wl_flow_tags", "wl_counters",  "wl_frags",
		"wl_conns", "wl_fifo_far",   "wl_l7_open",   "wl_cmd_cache", "wl_cmd_stats",
		"wl_aux",   "wl_ports",	     "wl_sniff"};
	int fd;

	for (size_t i = 0; i < sizeof(state) / sizeof(state[0]); i++) {
		struct bpf_map *m = bpf_object__find_map_by_name(p->xdp->obj, state[i]);

		if (m && wl_map_clear(bpf_map__fd(m)))
			return -1;
	}
	if (wl_l7_ports_defaults(wl_map_ports_fd(p)))
		return -1;
	fd = wl_map_ports_fd(p);
	for (int i = 0; i < o->nports; i++)
		if (bpf_map_update_elem(fd, &o->ports[i].port, &o->ports[i].proto, BPF_ANY))
			return -1;
	/* the sniffing bound as an attach's default, nothing learned */
	return wl_l7_sniff_set(wl_map_sniff_fd(p), fd, -1) ? -1 : 0;
}

/* One replay document (JSON) or text report: the files' summaries, counters, flows, commands. */
static int report(const struct wl_progs *p, const struct replay_opts *o, char **paths,
		  const struct wl_replay_stats *st, int nfiles, json_object *docs)
{
	struct wl_flows_view fv = {.limit = -1, .replay = true, .json = o->json};
	struct wl_commands_view cv = {.replay = true, .json = o->json};
	struct wl_counters cnt;

	if (wl_counters_read(wl_map_counters_fd(p), &cnt)) {
		fprintf(stderr, "wirelens: replay: reading the counters: %s\n", strerror(errno));
		return -1;
	}
	if (o->json) {
		json_object *root = json_object_new_object(), *files = json_object_new_array();
		json_object *flows = NULL, *cmds = NULL;

		for (int i = 0; i < nfiles; i++)
			json_object_array_add(files, file_json(paths[i], &st[i]));
		json_object_object_add(root, "hook", json_object_new_string(o->tc ? "tc" : "xdp"));
		json_object_object_add(root, "files", files);
		json_object_object_add(root, "counters", wl_counters_json(&cnt));
		if (wl_flows_show(wl_map_flow_maps(p), &fv, &flows) ||
		    wl_commands_show(wl_map_cmd_maps(p), &cv, &cmds)) {
			json_object_put(root);
			return -1;
		}
		json_object_object_add(root, "flows", flows);
		json_object_object_add(root, "commands", cmds);
		json_object_array_add(docs, root);
	} else {
		const __u64 *v = (const __u64 *)&cnt;

		printf("replay through %s:\n", o->tc ? "tc" : "xdp");
		for (int i = 0; i < nfiles; i++) {
			printf("  ");
			file_text(paths[i], &st[i]);
		}
		printf("\nflows:\n");
		if (wl_flows_show(wl_map_flow_maps(p), &fv, NULL))
			return -1;
		printf("\ncommands (latency: not measured in a replay):\n");
		if (wl_commands_show(wl_map_cmd_maps(p), &cv, NULL))
			return -1;
		printf("\ncounters (not zero):\n");
		for (size_t i = 0; i < sizeof(cnt) / sizeof(__u64); i++)
			if (v[i])
				printf("  %-18s %llu\n", wl_counter_names[i],
				       (unsigned long long)v[i]);
	}
	return 0;
}

int wl_cmd_replay(int argc, char **argv)
{
	static struct replay_opts o; /* the port list is large */
	struct wl_load_opts lo = {.warn = true};
	struct wl_replay_stats *st;
	struct wl_progs p;
	json_object *docs = NULL;
	int first, err, nfiles, rc = 1;
	char msg[512], **paths;

	memset(&o, 0, sizeof(o));
	err = wl_params_parse(&wl_replay_params, argc, argv, &o, &first);
	if (err)
		return err == WL_PARAMS_HELP ? 0 : err;
	nfiles = argc - first;
	paths = argv + first;
	if (nfiles < 1) {
		fprintf(stderr, "wirelens: replay needs a capture file (wirelens replay --help)\n");
		return 2;
	}
	/* Every file readable and of a known link type before anything loads. */
	for (int i = 0; i < nfiles; i++) {
		struct wl_capture *c = wl_capture_open(paths[i], msg, sizeof(msg));

		if (!c) {
			fprintf(stderr, "wirelens: replay: %s\n", msg);
			return 1;
		}
		wl_capture_close(c);
	}
	if (geteuid() != 0) {
		fprintf(stderr, "wirelens: replay needs root (CAP_BPF: it loads the programs)\n");
		return 1;
	}
	if (wl_probe_kernel())
		return 1;
	st = calloc(nfiles, sizeof(*st));
	if (!st)
		return 1;
	wl_libbpf_quiet(o.verbose);
	lo.verbose = o.verbose;
	lo.l7_select = o.l7_select;
	lo.l7_mask = o.l7_mask;
	/* pin_dir NULL: private maps, nothing pinned */
	if (wl_progs_load(&p, &lo)) {
		free(st);
		return 1;
	}
	if (wl_l7_config_init(&p) || reset_maps(&p, &o)) {
		fprintf(stderr, "wirelens: replay: cannot configure the protocol maps: %s\n",
			strerror(errno));
		goto out;
	}
	docs = json_object_new_array();
	for (int i = 0; i < nfiles; i++) {
		int fd = o.tc ? wl_progs_tc_fd(&p) : wl_progs_xdp_fd(&p);

		if (o.each && i && reset_maps(&p, &o)) {
			fprintf(stderr, "wirelens: replay: cannot empty the maps: %s\n",
				strerror(errno));
			goto out;
		}
		if (wl_capture_replay(paths[i], fd, o.tc, &st[i], msg, sizeof(msg))) {
			fprintf(stderr, "wirelens: replay: %s\n", msg);
			goto out;
		}
		if (!o.each)
			continue;
		if (i && !o.json)
			printf("\n");
		if (report(&p, &o, paths + i, st + i, 1, docs))
			goto out;
	}
	if (!o.each && report(&p, &o, paths, st, nfiles, docs))
		goto out;
	if (o.json)
		printf("%s\n", json_object_to_json_string_ext(
				       o.each ? docs : json_object_array_get_idx(docs, 0),
				       JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
	rc = 0;
out:
	json_object_put(docs);
	wl_progs_close(&p);
	free(st);
	return rc;
}
