// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * `wirelens top`: a live view refreshed every interval: per protocol/server/command the rates
 * (requests/s, errors/s, bytes/s) and latency p50/p99 of the interval (from the deltas of the
 * log2 histograms), or the busiest flows; packets/s and the outcome and skip counters of the
 * interval. ncurses on a terminal (80x24 is enough); plain text (or --json) every interval when
 * stdout is not a terminal. The maps are read with the readers `commands` and `flows` use, and
 * rows name their container as theirs do (looked up afresh every interval).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <ncurses.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <json-c/json.h>

#include "attach.h"
#include "fmt.h"
#include "commands.h"
#include "container.h"
#include "l7cfg.h"
#include "progs.h"
#include "verbs.h"
#include "views.h"

enum top_view { VIEW_COMMANDS, VIEW_FLOWS };
enum { SORT_REQ, SORT_ERR, SORT_BYTES, SORT_P99, SORT_CMD_N };
enum { SORT_FBYTES, SORT_FPKTS, SORT_FLOW_N };
static const char *const cmd_sort_names[SORT_CMD_N] = {"req/s", "err/s", "bytes/s", "p99"};
static const char *const flow_sort_names[SORT_FLOW_N] = {"bytes/s", "pkts/s"};

struct top_opts {
	double interval;
	unsigned long count; /* refreshes; 0: until stopped */
	unsigned int proto;
	enum top_view view;
	bool json;
};

static int interval_arg(const struct wl_param_call *call, const char *value)
{
	struct top_opts *o = call->opts;
	char *end;
	double v = strtod(value, &end);

	if (end == value || *end || !(v >= 0.1) || v > 3600)
		return wl_params_bad_value(call, value, "seconds from 0.1 to 3600");
	o->interval = v;
	return 0;
}

static int protocol_arg(const struct wl_param_call *call, const char *value)
{
	struct top_opts *o = call->opts;
	unsigned int proto = wl_l7_proto_by_name(value);

	if (!proto)
		return wl_params_bad_value(call, value, "unknown protocol");
	o->proto = proto;
	return 0;
}

static const struct wl_param_word top_views[] = {
	{"commands", VIEW_COMMANDS}, {"flows", VIEW_FLOWS}, {}};

const struct wl_verb_params wl_top_params = {
	.verb = "top",
	.summary = "live rates and latencies per command, the busiest flows, the skip counters",
	.params = WL_PARAMS(
		{"interval", 'i', "SECONDS", "refresh period (default 1)", WL_FN(interval_arg)},
		{"count", 'n', "N", "stop after N refreshes", WL_NUM(struct top_opts, count, 1, 0)},
		{"once", 0, NULL, "one refresh (--count 1)",
		 WL_FLAG_SET(struct top_opts, count, 1)},
		{"protocol", 'p', "PROTO", "commands of this protocol only (key p cycles)",
		 WL_FN(protocol_arg)},
		{"view", 'v', "commands|flows", "the view to start with (keys c, f, Tab)",
		 WL_WORD(struct top_opts, view, top_views)},
		{"json", 'j', NULL, "one JSON object per refresh (not a terminal view)",
		 WL_FLAG(struct top_opts, json)}),
	.notes = "  keys: q quit, c commands, f flows, Tab switch, s next sort column,\n"
		 "  p next protocol (commands), a all protocols. Not a terminal: plain text\n"
		 "  (or --json) every interval.",
};

/* ---- snapshots and their differences ---- */

struct snap {
	struct wl_cmd_row *cmds;
	size_t ncmds;
	struct wl_flow_row *flows;
	size_t nflows;
	struct wl_counters cnt;
	__u64 t_ns;
};

struct cmd_rate {
	struct wl_cmd_labels l;
	__u8 l7_proto;
	double req, err, bytes, p50, p99; /* per second; p50/p99 in us, < 0: no response */
	__u64 requests;			  /* since attach */
	const struct wl_container *ct;	  /* the server's, NULL: none */
};

struct flow_rate {
	const struct wl_flow_row *row;
	double pkts, bytes;
};

struct frame {
	struct cmd_rate *cmds;
	size_t ncmds;
	struct flow_rate *flows;
	size_t nflows;
	struct wl_counters d; /* counter deltas over the interval */
	double dt;
	bool containers; /* a server of the frame is in a container: the commands' CONTAINER column
			  */
};

static __u64 mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static void snap_free(struct snap *s)
{
	free(s->cmds);
	free(s->flows);
	memset(s, 0, sizeof(*s));
}

static int cmp_cmd_key(const void *a, const void *b)
{
	return memcmp(&((const struct wl_cmd_row *)a)->key, &((const struct wl_cmd_row *)b)->key,
		      sizeof(struct wl_cmd_key));
}

static int cmp_flow_key(const void *a, const void *b)
{
	return memcmp(&((const struct wl_flow_row *)a)->k, &((const struct wl_flow_row *)b)->k,
		      sizeof(struct wl_flow_key));
}

/* Reads the three maps; rows sorted by key so the next snapshot finds them. 0 or -errno. */
static int snap_take(struct snap *s)
{
	int fds[5] = {wl_map_open("wl_cmd_stats"), wl_map_open("wl_flows"),
		      wl_map_open("wl_counters"), wl_map_open("wl_flow_cache"),
		      wl_map_open("wl_cmd_cache")};
	int err = fds[0] < 0 || fds[1] < 0 || fds[2] < 0 || fds[4] < 0 ? -ENOENT : 0;

	memset(s, 0, sizeof(*s));
	s->t_ns = mono_ns();
	if (!err)
		err = wl_cmd_stats_read((struct wl_cmd_maps){fds[0], fds[4]}, &s->cmds, &s->ncmds);
	if (!err)
		err = wl_flows_read((struct wl_flow_maps){fds[1], fds[3]}, &s->flows, &s->nflows);
	if (!err)
		err = wl_counters_read(fds[2], &s->cnt);
	for (int i = 0; i < 5; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	if (err)
		return err;
	qsort(s->cmds, s->ncmds, sizeof(*s->cmds), cmp_cmd_key);
	qsort(s->flows, s->nflows, sizeof(*s->flows), cmp_flow_key);
	return 0;
}

/* a - b, or a when the counter went back (a reset in between) */
static __u64 delta(__u64 a, __u64 b)
{
	return a >= b ? a - b : a;
}

static void frame_free(struct frame *f)
{
	free(f->cmds);
	free(f->flows);
	memset(f, 0, sizeof(*f));
}

static __u64 containers_read_ns; /* when frame_make last read them afresh */

static int frame_make(struct frame *f, const struct snap *prev, const struct snap *cur)
{
	const __u64 *a = (const __u64 *)&cur->cnt, *b = (const __u64 *)&prev->cnt;
	__u64 *d = (__u64 *)&f->d;

	memset(f, 0, sizeof(*f));
	/* containers come and go: read afresh (every process's namespace and cgroup), each frame
	 * but not more than twice a second (--interval 0.1 on a host of many processes) */
	if (cur->t_ns - containers_read_ns >= 500000000ULL) {
		wl_container_forget(); /* the last frame's pointers with it: that frame is gone */
		containers_read_ns = cur->t_ns;
	}
	f->dt = (cur->t_ns - prev->t_ns) / 1e9;
	if (f->dt <= 0)
		f->dt = 1e-9;
	for (size_t i = 0; i < sizeof(f->d) / sizeof(__u64); i++)
		d[i] = delta(a[i], b[i]);
	f->cmds = calloc(cur->ncmds + 1, sizeof(*f->cmds));
	f->flows = calloc(cur->nflows + 1, sizeof(*f->flows));
	if (!f->cmds || !f->flows)
		return -ENOMEM;
	for (size_t i = 0; i < cur->ncmds; i++) {
		const struct wl_cmd_row *c = &cur->cmds[i];
		const struct wl_cmd_row *p =
			bsearch(c, prev->cmds, prev->ncmds, sizeof(*c), cmp_cmd_key);
		static const struct wl_cmd_row zero;
		struct cmd_rate *r = &f->cmds[f->ncmds++];
		__u64 hist[WL_LAT_BUCKETS], responses;

		if (!p)
			p = &zero;
		wl_cmd_labels(&c->key, &r->l);
		r->ct = wl_cmd_server_container(&c->key);
		f->containers |= r->ct != NULL;
		r->l7_proto = c->key.l7_proto;
		r->requests = c->st.requests;
		r->req = delta(c->st.requests, p->st.requests) / f->dt;
		r->err = delta(c->st.errors, p->st.errors) / f->dt;
		r->bytes = (delta(c->st.request_bytes, p->st.request_bytes) +
			    delta(c->st.response_bytes, p->st.response_bytes)) /
			   f->dt;
		responses = delta(c->st.responses, p->st.responses);
		for (int k = 0; k < WL_LAT_BUCKETS; k++)
			hist[k] = delta(c->st.latency_hist[k], p->st.latency_hist[k]);
		r->p50 = responses ? wl_hist_quantile_us(hist, WL_LAT_BUCKETS, 0.50) : -1;
		r->p99 = responses ? wl_hist_quantile_us(hist, WL_LAT_BUCKETS, 0.99) : -1;
	}
	for (size_t i = 0; i < cur->nflows; i++) {
		const struct wl_flow_row *c = &cur->flows[i];
		const struct wl_flow_row *p =
			bsearch(c, prev->flows, prev->nflows, sizeof(*c), cmp_flow_key);
		struct flow_rate *r = &f->flows[f->nflows++];

		r->row = c;
		r->pkts = delta(c->s.packets, p ? p->s.packets : 0) / f->dt;
		r->bytes = delta(c->s.bytes, p ? p->s.bytes : 0) / f->dt;
	}
	return 0;
}

static int cmd_sort;
static int flow_sort;

static int cmp_cmd_rate(const void *a, const void *b)
{
	const struct cmd_rate *x = a, *y = b;
	double vx, vy;

	switch (cmd_sort) {
	case SORT_ERR:
		vx = x->err, vy = y->err;
		break;
	case SORT_BYTES:
		vx = x->bytes, vy = y->bytes;
		break;
	case SORT_P99:
		vx = x->p99, vy = y->p99;
		break;
	default:
		vx = x->req, vy = y->req;
	}
	if (vx != vy)
		return vx < vy ? 1 : -1;
	if (x->requests != y->requests)
		return x->requests < y->requests ? 1 : -1;
	return strcmp(x->l.command, y->l.command);
}

static int cmp_flow_rate(const void *a, const void *b)
{
	const struct flow_rate *x = a, *y = b;
	double vx = flow_sort == SORT_FPKTS ? x->pkts : x->bytes,
	       vy = flow_sort == SORT_FPKTS ? y->pkts : y->bytes;

	if (vx != vy)
		return vx < vy ? 1 : -1;
	if (x->row->s.bytes != y->row->s.bytes)
		return x->row->s.bytes < y->row->s.bytes ? 1 : -1;
	return memcmp(&x->row->k, &y->row->k, sizeof(x->row->k));
}

/* ---- rendering: lines of text, to the screen or to stdout ---- */

struct out {
	int curses;
	int width, height, line;
};

static void out_line(struct out *o, const char *fmt, ...)
{
	char buf[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (o->curses) {
		if (o->line >= o->height)
			return;
		mvaddnstr(o->line, 0, buf, o->width - 1);
		clrtoeol();
	} else {
		if (o->width > 0 && (int)strlen(buf) > o->width)
			buf[o->width] = 0;
		printf("%s\n", buf);
	}
	o->line++;
}

/* 12, 1.2k, 12.3M: fits 6 columns */
static const char *human(double v, char *buf)
{
	static const char *const units[] = {"", "k", "M", "G", "T"};
	int u = 0;

	while (v >= 1000 && u < 4) {
		v /= 1000;
		u++;
	}
	if (!u)
		snprintf(buf, 16, v && v < 10 && v != (long)v ? "%.1f" : "%.0f", v);
	else
		snprintf(buf, 16, v < 10 ? "%.1f%s" : "%.0f%s", v, units[u]);
	return buf;
}

static const char *lat(double us, char *buf)
{
	if (us < 0)
		return "-";
	if (us >= 100000)
		return human(us, buf);
	snprintf(buf, 16, us < 100 ? "%.1f" : "%.0f", us);
	return buf;
}

static void render_header(struct out *o, const struct frame *f, const struct top_opts *opt)
{
	static const int skips[] = {
		WL_OUT_NON_IP,	       WL_OUT_TRUNCATED_L2,  WL_OUT_TRUNCATED_L3,
		WL_OUT_TRUNCATED_L4,   WL_OUT_BAD_L4,	     WL_OUT_BAD_L3,
		WL_OUT_BAD_IPV6_CHAIN, WL_OUT_VLAN_TOO_DEEP, WL_OUT_FRAG_UNMATCHED,
		WL_OUT_MAP_FULL,       WL_OUT_DENIED,
	};
	static const size_t l7_facts[] = {
		offsetof(struct wl_counters, l7_retransmit),
		offsetof(struct wl_counters, l7_gap),
		offsetof(struct wl_counters, l7_malformed),
		offsetof(struct wl_counters, l7_unmatched),
		offsetof(struct wl_counters, l7_fifo_overflow),
		offsetof(struct wl_counters, l7_conn_full),
		offsetof(struct wl_counters, l7_stats_full),
		offsetof(struct wl_counters, l7_unloaded),
	};
	const __u64 *d = (const __u64 *)&f->d;
	char line[512], b1[16], b2[16], now[16];
	size_t n;
	time_t t = time(NULL);
	struct tm tm;

	localtime_r(&t, &tm);
	strftime(now, sizeof(now), "%H:%M:%S", &tm);
	out_line(o, "wirelens top  %s  every %.1fs  view %s  sort %s  protocol %s", now,
		 opt->interval, opt->view == VIEW_COMMANDS ? "commands" : "flows",
		 opt->view == VIEW_COMMANDS ? cmd_sort_names[cmd_sort] : flow_sort_names[flow_sort],
		 opt->proto ? wl_l7_proto_name(opt->proto) : "all");
	out_line(o, "packets/s %s  accounted/s %s  l7 packets/s %s", human(d[0] / f->dt, b1),
		 human(f->d.accounted / f->dt, b2), human(f->d.l7_packets / f->dt, now));
	n = snprintf(line, sizeof(line), "skipped:");
	for (size_t i = 0; i < sizeof(skips) / sizeof(skips[0]); i++)
		if (d[skips[i]] && n < sizeof(line))
			n += snprintf(line + n, sizeof(line) - n, " %s %llu",
				      wl_counter_names[skips[i]], (unsigned long long)d[skips[i]]);
	for (size_t i = 0; i < sizeof(l7_facts) / sizeof(l7_facts[0]); i++)
		if (d[l7_facts[i] / 8] && n < sizeof(line))
			n += snprintf(line + n, sizeof(line) - n, " %s %llu",
				      wl_counter_names[l7_facts[i] / 8],
				      (unsigned long long)d[l7_facts[i] / 8]);
	out_line(o, "%s", n > strlen("skipped:") ? line : "skipped: none");
}

static void render_commands(struct out *o, struct frame *f, const struct top_opts *opt, int rows)
{
	char b[5][16], label[200];
	int shown = 0;

	qsort(f->cmds, f->ncmds, sizeof(*f->cmds), cmp_cmd_rate);
	/* 79 columns: the last one of an 80-column screen stays free; CONTAINER, as in `commands`,
	 * when a server of any protocol is in one (past them: a wider screen shows it) */
	out_line(o, "%-10s %-19s %-16s %6s %5s %6s %5s %5s%s", "PROTOCOL", "SERVER", "COMMAND",
		 "REQ/s", "ERR/s", "B/s", "P50us", "P99us", f->containers ? " CONTAINER" : "");
	for (size_t i = 0; i < f->ncmds && (rows < 0 || shown < rows); i++) {
		const struct cmd_rate *r = &f->cmds[i];
		char srv[sizeof(r->l.netns) + sizeof(r->l.server)];

		if (opt->proto && r->l7_proto != opt->proto)
			continue;
		/* another namespace's server: NETNS:SERVER, as `commands` shows it */
		snprintf(srv, sizeof(srv), "%s%s%s", r->l.netns, r->l.netns[0] ? ":" : "",
			 r->l.server);
		out_line(o, "%-10.10s %-19.19s %-16.16s %6s %5s %6s %5s %5s%s%s", r->l.protocol,
			 srv, r->l.command, human(r->req, b[0]), human(r->err, b[1]),
			 human(r->bytes, b[2]), lat(r->p50, b[3]), lat(r->p99, b[4]),
			 f->containers ? " " : "",
			 f->containers ? wl_container_label(r->ct, label, sizeof(label)) : "");
		shown++;
	}
	if (!shown)
		out_line(o, "  (no command seen%s%s)", opt->proto ? " for " : "",
			 opt->proto ? wl_l7_proto_name(opt->proto) : "");
}

/* The interface a flow was seen on (its name, its namespace's) and the container it belongs to. */
static const struct wl_container *flow_where(const struct wl_iface_names *names,
					     const struct wl_flow_key *k, char *ifname, char *netns)
{
	wl_iface_lookup_in(names, k->netns_id, k->ifindex, ifname, netns);
	return wl_container_of_iface(k->ifindex, netns);
}

static void render_flows(struct out *o, struct frame *f, const struct wl_iface_names *names,
			 int rows)
{
	size_t n = rows < 0 || (size_t)rows > f->nflows ? f->nflows : (size_t)rows;
	char ifname[IF_NAMESIZE + 1], netns[64], label[200];
	bool containers = false;

	qsort(f->flows, f->nflows, sizeof(*f->flows), cmp_flow_rate);
	/* CONTAINER, as in `flows`, when an interface shown belongs to one */
	for (size_t i = 0; i < n; i++)
		containers |= flow_where(names, &f->flows[i].row->k, ifname, netns) != NULL;
	out_line(o, "%-9s %-5s %-21s %-21s %7s %8s%s", "IFACE", "PROTO", "SRC", "DST", "PKTS/s",
		 "BYTES/s", containers ? " CONTAINER" : "");
	for (size_t i = 0; i < n; i++) {
		const struct wl_flow_key *k = &f->flows[i].row->k;
		const struct wl_container *ct = flow_where(names, k, ifname, netns);
		char src[64], dst[64], b[3][16], iface[IF_NAMESIZE + 66];

		snprintf(iface, sizeof(iface), "%s%s%s", netns, netns[0] ? ":" : "", ifname);
		wl_endpoint_str(k->l3_proto, k->src_addr, k->src_port, src, sizeof(src), NULL, 0);
		wl_endpoint_str(k->l3_proto, k->dst_addr, k->dst_port, dst, sizeof(dst), NULL, 0);
		out_line(o, "%-9.9s %-5.5s %-21.21s %-21.21s %7s %8s%s%s", iface,
			 wl_l4_name(k->l4_proto, b[2]), src, dst, human(f->flows[i].pkts, b[0]),
			 human(f->flows[i].bytes, b[1]), containers ? " " : "",
			 containers ? wl_container_label(ct, label, sizeof(label)) : "");
	}
	if (!n)
		out_line(o, "  (no flow)");
}

static void render_json(const struct frame *f, const struct top_opts *opt,
			const struct wl_iface_names *names)
{
	json_object *root = json_object_new_object(), *cmds = json_object_new_array(),
		    *flows = json_object_new_array(), *cnt = json_object_new_object();
	const __u64 *d = (const __u64 *)&f->d;

	json_object_object_add(root, "interval_s", json_object_new_double(f->dt));
	for (size_t i = 0; i < sizeof(f->d) / sizeof(__u64); i++)
		json_object_object_add(cnt, wl_counter_names[i], json_object_new_uint64(d[i]));
	json_object_object_add(root, "counters", cnt);
	for (size_t i = 0; i < f->ncmds; i++) {
		const struct cmd_rate *r = &f->cmds[i];
		json_object *o;

		if (opt->proto && r->l7_proto != opt->proto)
			continue;
		o = json_object_new_object();
		json_object_object_add(o, "protocol", json_object_new_string(r->l.protocol));
		json_object_object_add(o, "server", json_object_new_string(r->l.server));
		json_object_object_add(o, "netns",
				       r->l.netns[0] ? json_object_new_string(r->l.netns) : NULL);
		json_object_object_add(o, "container", wl_container_json(r->ct));
		json_object_object_add(o, "command", json_object_new_string(r->l.command));
		json_object_object_add(o, "requests_per_s", json_object_new_double(r->req));
		json_object_object_add(o, "errors_per_s", json_object_new_double(r->err));
		json_object_object_add(o, "bytes_per_s", json_object_new_double(r->bytes));
		json_object_object_add(o, "p50_us",
				       r->p50 < 0 ? NULL : json_object_new_double(r->p50));
		json_object_object_add(o, "p99_us",
				       r->p99 < 0 ? NULL : json_object_new_double(r->p99));
		json_object_array_add(cmds, o);
	}
	for (size_t i = 0; i < f->nflows; i++) {
		const struct wl_flow_key *k = &f->flows[i].row->k;
		char ifname[IF_NAMESIZE + 1], netns[64], a[INET6_ADDRSTRLEN], pb[16];
		int af = k->l3_proto == 0x86DD ? AF_INET6 : AF_INET;
		json_object *o = json_object_new_object();
		const struct wl_container *ct = flow_where(names, k, ifname, netns);

		json_object_object_add(o, "iface", json_object_new_string(ifname));
		json_object_object_add(o, "netns", netns[0] ? json_object_new_string(netns) : NULL);
		json_object_object_add(o, "container", wl_container_json(ct));
		json_object_object_add(o, "proto",
				       json_object_new_string(wl_l4_name(k->l4_proto, pb)));
		json_object_object_add(
			o, "src", json_object_new_string(inet_ntop(af, k->src_addr, a, sizeof(a))));
		json_object_object_add(
			o, "dst", json_object_new_string(inet_ntop(af, k->dst_addr, a, sizeof(a))));
		json_object_object_add(o, "sport", json_object_new_int(k->src_port));
		json_object_object_add(o, "dport", json_object_new_int(k->dst_port));
		json_object_object_add(o, "packets_per_s",
				       json_object_new_double(f->flows[i].pkts));
		json_object_object_add(o, "bytes_per_s", json_object_new_double(f->flows[i].bytes));
		json_object_array_add(flows, o);
	}
	json_object_object_add(root, "commands", cmds);
	json_object_object_add(root, "flows", flows);
	printf("%s\n", json_object_to_json_string_ext(
			       root, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(root);
}

static void render(struct out *o, struct frame *f, const struct top_opts *opt,
		   const struct wl_iface_names *names)
{
	int rows;

	o->line = 0;
	render_header(o, f, opt);
	out_line(o, "%s", "");
	/* on screen: what fits above the key line; as text: the 20 busiest */
	rows = o->curses ? o->height - o->line - 2 : 20;
	if (opt->view == VIEW_COMMANDS)
		render_commands(o, f, opt, rows);
	else
		render_flows(o, f, names, rows);
	if (o->curses) {
		while (o->line < o->height - 1)
			out_line(o, "%s", "");
		attron(A_REVERSE);
		out_line(o, "q quit  c commands  f flows  Tab switch  s sort  p protocol  a all");
		attroff(A_REVERSE);
		refresh();
	} else {
		printf("\n");
		fflush(stdout);
	}
}

static volatile sig_atomic_t stop_requested;

static void on_signal(int sig)
{
	(void)sig;
	stop_requested = 1;
}

/* the next protocol after p with a command in the frame (0: all, after the last) */
static unsigned int next_proto(const struct frame *f, unsigned int p)
{
	for (unsigned int q = p + 1; q < WL_L7_PROTO_MAX; q++)
		for (size_t i = 0; i < f->ncmds; i++)
			if (f->cmds[i].l7_proto == q)
				return q;
	return 0;
}

/* A key on the terminal: 1 when the view changed, -1 to quit, else 0. */
static int top_key(int ch, struct top_opts *o, struct out *out, const struct frame *f)
{
	switch (ch) {
	case 'q':
	case 'Q':
		return -1;
	case 'c':
		o->view = VIEW_COMMANDS;
		return 1;
	case 'f':
		o->view = VIEW_FLOWS;
		return 1;
	case '\t':
		o->view = o->view == VIEW_COMMANDS ? VIEW_FLOWS : VIEW_COMMANDS;
		return 1;
	case 's':
		if (o->view == VIEW_COMMANDS)
			cmd_sort = (cmd_sort + 1) % SORT_CMD_N;
		else
			flow_sort = (flow_sort + 1) % SORT_FLOW_N;
		return 1;
	case 'p':
		o->proto = next_proto(f, o->proto);
		return 1;
	case 'a':
		o->proto = 0;
		return 1;
	case KEY_RESIZE:
		getmaxyx(stdscr, out->height, out->width);
		clear();
		return 1;
	}
	return 0;
}

/* The terminal view: 0, or one line on stderr and -1. */
static int curses_start(struct out *out)
{
	if (!newterm(NULL, stdout, stdin)) {
		fprintf(stderr, "wirelens: top: cannot use the terminal (TERM=%s)\n",
			getenv("TERM") ? getenv("TERM") : "");
		return -1;
	}
	cbreak();
	noecho();
	keypad(stdscr, TRUE);
	curs_set(0);
	timeout(100);
	getmaxyx(stdscr, out->height, out->width);
	mvaddstr(0, 0, "wirelens top: first interval...");
	refresh();
	return 0;
}

/* Text mode: whether the next refresh is due; if not, sleeps until it is (or a signal). */
static bool refresh_due(__u64 next)
{
	__u64 now = mono_ns();
	struct timespec ts;

	if (now >= next)
		return true;
	ts.tv_sec = (next - now) / 1000000000ULL;
	ts.tv_nsec = (next - now) % 1000000000ULL;
	nanosleep(&ts, NULL);
	return false;
}

/* The next frame: the maps read again into cur, the frame of prev..cur, then cur becomes prev
 * and next the time of the following refresh. 0, or 1 (said on stderr). */
static int top_tick(struct frame *f, struct snap *prev, struct snap *cur, struct out *out,
		    __u64 *next, double interval)
{
	int err = snap_take(cur);

	if (err) {
		snap_free(cur);
		if (out->curses)
			endwin();
		out->curses = 0;
		fprintf(stderr, "wirelens: top: reading the maps: %s\n", strerror(-err));
		return 1;
	}
	frame_free(f);
	if (frame_make(f, prev, cur))
		return 1;
	snap_free(prev);
	*prev = *cur;
	memset(cur, 0, sizeof(*cur));
	*next += (__u64)(interval * 1e9);
	if (*next < prev->t_ns) /* fell behind (suspended): start again from now */
		*next = prev->t_ns + (__u64)(interval * 1e9);
	return 0;
}

static void top_draw(struct out *out, struct frame *f, const struct top_opts *o,
		     const struct wl_iface_names *names)
{
	if (o->json) {
		qsort(f->cmds, f->ncmds, sizeof(*f->cmds), cmp_cmd_rate);
		qsort(f->flows, f->nflows, sizeof(*f->flows), cmp_flow_rate);
		render_json(f, o, names);
	} else {
		render(out, f, o, names);
	}
}

/* The first snapshot: 0, or one line on stderr and 1. */
static int top_first_snap(struct snap *prev)
{
	int err = snap_take(prev);

	if (!err)
		return 0;
	snap_free(prev);
	if (err == -ENOENT)
		wl_explain_no_pins();
	else
		fprintf(stderr, "wirelens: top: reading the maps: %s\n", strerror(-err));
	return 1;
}

int wl_cmd_top(int argc, char **argv)
{
	struct top_opts o = {.interval = 1.0, .view = VIEW_COMMANDS};
	struct wl_iface_names names = {};
	struct snap prev = {}, cur = {};
	struct frame f = {};
	struct out out = {};
	struct sigaction sa = {.sa_handler = on_signal};
	int err, have_frame = 0, ret = 0;
	unsigned long frames = 0;
	__u64 next;

	cmd_sort = SORT_REQ;
	flow_sort = SORT_FBYTES;
	err = wl_params_parse_no_args(&wl_top_params, argc, argv, &o);
	if (err)
		return err == WL_PARAMS_HELP ? 0 : err;
	if (wl_check_env(false) || top_first_snap(&prev))
		return 1;
	wl_iface_names_load(&names);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	out.curses = !o.json && isatty(STDOUT_FILENO) && isatty(STDIN_FILENO);
	if (out.curses && curses_start(&out)) {
		snap_free(&prev);
		wl_iface_names_free(&names);
		return 1;
	}
	/* (text: out.width 0, whole lines) */
	next = prev.t_ns + (__u64)(o.interval * 1e9);
	while (!stop_requested) {
		int redraw = 0;

		if (out.curses) {
			redraw = top_key(getch(), &o, &out, &f);
			if (redraw < 0)
				break;
		} else if (!refresh_due(next)) {
			continue; /* a signal may have come */
		}
		if (mono_ns() >= next) {
			ret = top_tick(&f, &prev, &cur, &out, &next, o.interval);
			if (ret)
				break;
			have_frame = 1;
			frames++;
			redraw = 1;
		}
		if (redraw && have_frame) {
			top_draw(&out, &f, &o, &names);
			if (ferror(stdout))
				break; /* the reader went away */
		}
		if (o.count && frames >= o.count)
			break;
	}
	if (out.curses)
		endwin();
	frame_free(&f);
	snap_free(&prev);
	snap_free(&cur);
	wl_iface_names_free(&names);
	return ret;
}
