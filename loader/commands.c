// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* `wirelens commands` (per-command L7 statistics) and `wirelens ports` (protocol of server ports).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <json-c/json.h>

#include "verbs.h"
#include "progs.h"
#include "commands.h"
#include "l7cfg.h"
#include "container.h"
#include "netns_ids.h"
#include "views.h"

static int open_pinned(const char *name)
{
	char path[256];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", wl_pin_dir(), name);
	fd = bpf_obj_get(path);
	if (fd < 0) {
		if (errno == ENOENT)
			fprintf(stderr,
				"wirelens: %s not found: nothing attached (run `wirelens "
				"attach`)\n",
				path);
		else
			fprintf(stderr, "wirelens: cannot open %s: %s\n", path, strerror(errno));
		return -1;
	}
	return fd;
}

/* Value at quantile q (0..1) of a log2 ns histogram, interpolated inside the bucket, in us. */
double wl_hist_quantile_us(const __u64 *hist, int buckets, double q)
{
	__u64 total = 0, seen = 0;

	for (int b = 0; b < buckets; b++)
		total += hist[b];
	if (!total)
		return 0;
	for (int b = 0; b < buckets; b++) {
		double lo = b ? (double)(1ULL << b) : 0, hi = (double)(1ULL << (b + 1));

		if (!hist[b])
			continue;
		if (seen + hist[b] >= q * total) {
			double frac = (q * total - seen) / hist[b];

			return (lo + frac * (hi - lo)) / 1000.0;
		}
		seen += hist[b];
	}
	return (double)(1ULL << buckets) / 1000.0;
}

void wl_format_server(const struct wl_cmd_key *k, char *buf, size_t len)
{
	char addr[INET6_ADDRSTRLEN];

	if (k->l3_proto == 0x86DD) {
		inet_ntop(AF_INET6, k->server_addr, addr, sizeof(addr));
		snprintf(buf, len, "[%s]:%u", addr, k->server_port);
	} else {
		inet_ntop(AF_INET, k->server_addr, addr, sizeof(addr));
		snprintf(buf, len, "%s:%u", addr, k->server_port);
	}
}

void wl_cmd_labels(const struct wl_cmd_key *k, struct wl_cmd_labels *l)
{
	l->protocol = wl_l7_proto_name(k->l7_proto);
	if (!l->protocol)
		l->protocol = "unknown";
	wl_format_server(k, l->server, sizeof(l->server));
	memcpy(l->command, k->command, WL_CMD_LEN);
	l->command[WL_CMD_LEN] = 0;
	snprintf(l->netns, sizeof(l->netns), "%s", wl_netns_id_label(k->netns_id));
	l->container[0] = 0;
}

void wl_cmd_labels_json(json_object *o, const struct wl_cmd_labels *l)
{
	json_object_object_add(o, "protocol", json_object_new_string(l->protocol));
	json_object_object_add(o, "server", json_object_new_string(l->server));
	json_object_object_add(o, "netns", l->netns[0] ? json_object_new_string(l->netns) : NULL);
	json_object_object_add(o, "command", json_object_new_string(l->command));
}

/* Parses ADDR, ADDR:PORT, [V6]:PORT or :PORT into the view's server filter. */
static int parse_server(const char *s, struct wl_commands_view *v)
{
	struct wl_cmd_key *f = &v->filter;
	char tmp[128], *port = NULL, *addr = tmp;

	snprintf(tmp, sizeof(tmp), "%s", s);
	v->has_addr = v->has_port = false;
	if (tmp[0] == '[') {
		char *end = strchr(tmp, ']');

		if (!end)
			return -1;
		*end = 0;
		addr = tmp + 1;
		if (end[1] == ':')
			port = end + 2;
	} else if (strchr(tmp, ':') && strchr(tmp, ':') == strrchr(tmp, ':')) {
		port = strchr(tmp, ':');
		*port++ = 0;
	}
	if (port) {
		unsigned long long p;

		if (wl_params_number(port, 1, 65535, &p))
			return -1;
		f->server_port = p;
		v->has_port = true;
	}
	if (*addr) {
		if (inet_pton(AF_INET, addr, f->server_addr) == 1)
			f->l3_proto = 0x0800;
		else if (inet_pton(AF_INET6, addr, f->server_addr) == 1)
			f->l3_proto = 0x86DD;
		else
			return -1;
		v->has_addr = true;
	}
	return 0;
}

static int cmp_rows(const void *a, const void *b)
{
	const struct wl_cmd_row *x = a, *y = b;

	if (x->st.requests != y->st.requests)
		return x->st.requests < y->st.requests ? 1 : -1;
	return strcmp(x->key.command, y->key.command);
}

static void protocols_note(FILE *f)
{
	fprintf(f, "  protocols: %s\n", wl_l7_proto_list(", "));
}

static int protocol_arg(const struct wl_param_call *call, const char *value)
{
	struct wl_commands_view *v = call->opts;

	v->proto = wl_l7_proto_by_name(value);
	if (!v->proto) {
		fprintf(stderr, "wirelens: unknown protocol '%s'\n", value);
		return 2;
	}
	return 0;
}

static int server_arg(const struct wl_param_call *call, const char *value)
{
	if (parse_server(value, call->opts)) {
		fprintf(stderr, "wirelens: bad --server '%s' (ADDR, ADDR:PORT, [V6]:PORT)\n",
			value);
		return 2;
	}
	return 0;
}

/* The options straight into the view they select. */
const struct wl_verb_params wl_commands_params = {
	.verb = "commands",
	.summary = "per-command statistics of the application protocols seen: requests,\n"
		   "  responses, errors, bytes and latency (request seen -> first response byte)",
	.params = WL_PARAMS(
		{"json", 'j', NULL, "JSON output", WL_FLAG(struct wl_commands_view, json)},
		{"protocol", 'p', "PROTO", "only this protocol's commands", WL_FN(protocol_arg)},
		{"server", 's', "ADDR[:PORT]",
		 "only this server: 198.18.0.2, 198.18.0.2:6379, [2001:db8::1]:6379\nor "
		 ":6379",
		 WL_FN(server_arg)}),
	.more = protocols_note,
};

int wl_cmd_commands(int argc, char **argv)
{
	struct wl_commands_view v = {};
	struct wl_cmd_maps m;
	int err;

	err = wl_params_parse_no_args(&wl_commands_params, argc, argv, &v);
	if (err)
		return err == WL_PARAMS_HELP ? 0 : err;
	m.stats = open_pinned("wl_cmd_stats");
	if (m.stats < 0)
		return 1;
	m.cache = open_pinned("wl_cmd_cache");
	if (m.cache < 0) {
		close(m.stats);
		return 1;
	}
	err = wl_commands_show(m, &v, NULL);
	close(m.stats);
	close(m.cache);
	return err ? 1 : 0;
}

/* The container that owns the server's address (a command key has no interface, only the
 * namespace it was seen in). */
const struct wl_container *wl_cmd_server_container(const struct wl_cmd_key *k)
{
	return wl_container_of_addr(k->l3_proto == 0x86DD ? AF_INET6 : AF_INET, k->server_addr,
				    wl_netns_id_label(k->netns_id));
}

/* A row of the commands view: the entry and what the view derived from it. */
struct cmd_line {
	const struct wl_cmd_row *r;
	struct wl_cmd_labels l;
	char shown[sizeof(((struct wl_cmd_labels *)0)->server)]; /* the table's netns:server */
	const struct wl_container *ct;
	double avg, p50, p99; /* latency, us */
};

struct cmd_lines {
	struct wl_cmd_row *rows; /* the whole map, sorted */
	struct cmd_line *v;	 /* the rows the filters keep */
	size_t n;
	bool containers; /* a server of the map is in a container (the table's CONTAINER column) */
};

static bool cmd_filtered_out(const struct wl_commands_view *v, const struct wl_cmd_key *k)
{
	if (v->proto && k->l7_proto != v->proto)
		return true;
	if (v->has_port && k->server_port != v->filter.server_port)
		return true;
	return v->has_addr && (k->l3_proto != v->filter.l3_proto ||
			       memcmp(k->server_addr, v->filter.server_addr, 16));
}

static void cmd_line_fill(struct cmd_line *c, const struct wl_cmd_row *r)
{
	const struct wl_cmd_stats *st = &r->st;
	struct wl_cmd_labels *l = &c->l;

	c->r = r;
	c->avg = st->responses ? st->latency_sum_ns / 1000.0 / st->responses : 0;
	c->p50 = wl_hist_quantile_us(st->latency_hist, WL_LAT_BUCKETS, 0.50);
	c->p99 = wl_hist_quantile_us(st->latency_hist, WL_LAT_BUCKETS, 0.99);
	wl_cmd_labels(&r->key, l);
	snprintf(c->shown, sizeof(c->shown), "%s", l->server);
	if (l->netns[0]) { /* as flows name an interface: netns:server */
		char shown[sizeof(l->netns) + sizeof(l->server)];
		size_t len = snprintf(shown, sizeof(shown), "%s:%s", l->netns, l->server);

		len = len < sizeof(c->shown) ? len : sizeof(c->shown) - 1;
		memcpy(c->shown, shown, len);
		c->shown[len] = 0;
	}
}

/* The counts of a command, after its labels, as `commands --json` prints them. */
#define CMD_FIELD(member) WL_JSON_FIELD(struct wl_cmd_stats, member)
static const struct wl_json_field cmd_stats_json[] = {
	CMD_FIELD(requests), CMD_FIELD(responses),     CMD_FIELD(errors),
	CMD_FIELD(misses),   CMD_FIELD(request_bytes), CMD_FIELD(response_bytes),
};
#undef CMD_FIELD

/* Reads and sorts the map, keeps the rows the filters let through. -1 after one line. */
static int commands_collect(struct wl_cmd_maps m, const struct wl_commands_view *v,
			    struct cmd_lines *cl)
{
	size_t n;
	int err;

	err = wl_cmd_stats_read(m, &cl->rows, &n);
	if (err) {
		fprintf(stderr, "wirelens: reading command statistics: %s\n",
			wl_read_strerror(err));
		return -1;
	}
	qsort(cl->rows, n, sizeof(*cl->rows), cmp_rows);
	cl->v = calloc(n ? n : 1, sizeof(*cl->v));
	if (!cl->v) {
		fprintf(stderr, "wirelens: reading command statistics: %s\n", strerror(ENOMEM));
		free(cl->rows);
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		const struct wl_cmd_key *k = &cl->rows[i].key;
		const struct wl_container *ct = v->replay ? NULL : wl_cmd_server_container(k);

		cl->containers |= ct != NULL;
		if (cmd_filtered_out(v, k))
			continue;
		cmd_line_fill(&cl->v[cl->n], &cl->rows[i]);
		cl->v[cl->n++].ct = ct;
	}
	return 0;
}

static json_object *commands_json(const struct cmd_lines *cl, bool replay)
{
	json_object *arr = json_object_new_array();

	for (size_t i = 0; i < cl->n; i++) {
		const struct cmd_line *c = &cl->v[i];
		const struct wl_cmd_stats *st = &c->r->st;
		json_object *o = json_object_new_object(), *lat = NULL;

		wl_cmd_labels_json(o, &c->l);
		WL_JSON_ADD_FIELDS(o, st, cmd_stats_json);
		/* a replay's latencies would time the replay, not the capture: null */
		if (!replay) {
			lat = json_object_new_object();
			json_object_object_add(lat, "avg_us", json_object_new_double(c->avg));
			json_object_object_add(lat, "p50_us", json_object_new_double(c->p50));
			json_object_object_add(lat, "p99_us", json_object_new_double(c->p99));
		}
		json_object_object_add(o, "latency", lat);
		json_object_object_add(o, "container", wl_container_json(c->ct));
		json_object_array_add(arr, o);
	}
	return arr;
}

static void commands_table(const struct cmd_lines *cl, bool replay)
{
	bool containers = cl->containers && !replay;

	printf("%-10s %-28s %-20s %10s %10s %8s %12s %12s %9s %9s %9s%s\n", "PROTOCOL", "SERVER",
	       "COMMAND", "REQUESTS", "RESPONSES", "ERRORS", "REQ_BYTES", "RESP_BYTES", "AVG_US",
	       "P50_US", "P99_US", containers ? " CONTAINER" : "");
	for (size_t i = 0; i < cl->n; i++) {
		const struct cmd_line *c = &cl->v[i];
		const struct wl_cmd_stats *st = &c->r->st;
		char avg[32] = "-", p50[32] = "-", p99[32] = "-", label[200];

		if (!replay) { /* a replay's latencies would time the replay */
			snprintf(avg, sizeof(avg), "%.1f", c->avg);
			snprintf(p50, sizeof(p50), "%.1f", c->p50);
			snprintf(p99, sizeof(p99), "%.1f", c->p99);
		}
		printf("%-10s %-28s %-20s %10llu %10llu %8llu %12llu %12llu %9s %9s %9s%s%s\n",
		       c->l.protocol, c->shown, c->l.command, (unsigned long long)st->requests,
		       (unsigned long long)st->responses, (unsigned long long)st->errors,
		       (unsigned long long)st->request_bytes,
		       (unsigned long long)st->response_bytes, avg, p50, p99, containers ? " " : "",
		       containers ? wl_container_label(c->ct, label, sizeof(label)) : "");
	}
}

int wl_commands_show(struct wl_cmd_maps m, const struct wl_commands_view *v, json_object **json_out)
{
	struct cmd_lines cl = {};

	if (commands_collect(m, v, &cl))
		return -1;
	if (v->json)
		wl_json_array_out(commands_json(&cl, v->replay), json_out);
	else
		commands_table(&cl, v->replay);
	free(cl.v);
	free(cl.rows);
	return 0;
}

const struct wl_verb_params wl_ports_params = {
	.verb = "ports",
	.synopsis = "list|set|unset [PROTO=PORT[,PORT...]... | PORT...]",
	.summary =
		"the server ports of each application protocol: list them (configured and\n"
		"  learned from content), set PROTO=PORT[,PORT...] (e.g. redis=7000,7001), unset "
		"PORT...",
	.params = WL_PARAMS(
		{"json", 'j', NULL, "JSON output (list)", WL_FLAG(struct wl_json_opts, json)}),
	.more = protocols_note,
};

/* A port to set (proto: its protocol) or unset (proto 0). */
struct port_change {
	__u32 port;
	__u8 proto;
};
#define PORT_CHANGES_MAX 512

/* The PROTO=PORT[,PORT...] (set) or PORT[,PORT...] (unset) of one argument, added to todo.
 * 0, or 2 after one line on stderr. */
static int ports_parse_arg(const char *arg, bool set, struct port_change *todo, int *n)
{
	char buf[256], *list = buf, *tok, *save = NULL;
	unsigned int proto = 0;

	snprintf(buf, sizeof(buf), "%s", arg);
	if (set) {
		char *eq = strchr(buf, '=');

		if (!eq) {
			fprintf(stderr, "wirelens: expected PROTO=PORT[,PORT], got '%s'\n", arg);
			return 2;
		}
		*eq = 0;
		proto = wl_l7_proto_by_name(buf);
		if (!proto) {
			fprintf(stderr, "wirelens: unknown protocol '%s'\n", buf);
			return 2;
		}
		list = eq + 1;
	}
	for (tok = strtok_r(list, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		unsigned long long p;

		if (wl_params_number(tok, 1, 65535, &p) || *n >= PORT_CHANGES_MAX) {
			fprintf(stderr, "wirelens: bad port '%s'\n", tok);
			return 2;
		}
		todo[*n].port = p;
		todo[*n].proto = proto;
		++*n;
	}
	return 0;
}

/* ports set|unset ARG...: everything validated before anything changes. */
static int ports_change(int argc, char **argv)
{
	bool set = !strcmp(argv[1], "set");
	struct port_change todo[PORT_CHANGES_MAX];
	int n = 0, fd, err;

	if (argc < 3) {
		fprintf(stderr, "wirelens: ports %s needs %s (wirelens ports --help)\n", argv[1],
			set ? "PROTO=PORT[,PORT...]" : "PORT...");
		return 2;
	}
	for (int i = 2; i < argc; i++) {
		err = ports_parse_arg(argv[i], set, todo, &n);
		if (err)
			return err;
	}
	fd = open_pinned("wl_ports");
	if (fd < 0)
		return 1;
	for (int i = 0; i < n; i++) {
		if (bpf_map_update_elem(fd, &todo[i].port, &todo[i].proto, BPF_ANY)) {
			fprintf(stderr, "wirelens: setting port %u: %s\n", todo[i].port,
				strerror(errno));
			close(fd);
			return 1;
		}
	}
	/* a learned port set or unset frees its place under the sniffing bound */
	err = wl_l7_sniff_recount(fd);
	if (err)
		fprintf(stderr, "wirelens: recounting learned ports: %s\n", strerror(-err));
	close(fd);
	return err ? 1 : 0;
}

/* A row of `ports list`. */
struct port_row {
	__u32 port;
	const char *protocol; /* "unknown" for an id without a name */
	bool learned;
};

/* The ports with a protocol, in port order; *rows: 65535 places (the caller frees). */
static size_t ports_collect(int fd, struct port_row *rows)
{
	size_t n = 0;

	for (__u32 port = 1; port < 65536; port++) {
		__u8 v = 0;
		const char *name;

		if (bpf_map_lookup_elem(fd, &port, &v) || !v)
			continue;
		name = wl_l7_proto_name(v & ~WL_PORT_LEARNED);
		rows[n].port = port;
		rows[n].protocol = name ? name : "unknown";
		rows[n++].learned = v & WL_PORT_LEARNED;
	}
	return n;
}

static void ports_table(const struct port_row *rows, size_t n)
{
	printf("%-6s %-12s %s\n", "PORT", "PROTOCOL", "SOURCE");
	for (size_t i = 0; i < n; i++)
		printf("%-6u %-12s %s\n", rows[i].port, rows[i].protocol,
		       rows[i].learned ? "learned (content)" : "configured");
}

static json_object *ports_json(const struct port_row *rows, size_t n)
{
	json_object *arr = json_object_new_array();

	for (size_t i = 0; i < n; i++) {
		json_object *o = json_object_new_object();

		json_object_object_add(o, "port", json_object_new_int(rows[i].port));
		json_object_object_add(o, "protocol", json_object_new_string(rows[i].protocol));
		json_object_object_add(o, "learned", json_object_new_boolean(rows[i].learned));
		json_object_array_add(arr, o);
	}
	return arr;
}

static int ports_list(bool json)
{
	struct port_row *rows = calloc(65535, sizeof(*rows));
	int fd = open_pinned("wl_ports");
	size_t n;

	if (fd < 0 || !rows) {
		if (!rows)
			fprintf(stderr, "wirelens: ports: %s\n", strerror(ENOMEM));
		if (fd >= 0)
			close(fd);
		free(rows);
		return 1;
	}
	n = ports_collect(fd, rows);
	close(fd);
	if (json)
		wl_json_array_out(ports_json(rows, n), NULL);
	else
		ports_table(rows, n);
	free(rows);
	return 0;
}

int wl_cmd_ports(int argc, char **argv)
{
	struct wl_json_opts o = {};
	int first, err;

	err = wl_params_parse(&wl_ports_params, argc, argv, &o, &first);
	if (err)
		return err == WL_PARAMS_HELP ? 0 : err;
	/* the positional arguments, sub-verb first (getopt_long moved the options before them) */
	argv += first - 1;
	argc -= first - 1;
	if (argc < 2) {
		fprintf(stderr,
			"wirelens: ports needs list, set or unset (wirelens ports --help)\n");
		return 2;
	}
	if (!strcmp(argv[1], "set") || !strcmp(argv[1], "unset"))
		return ports_change(argc, argv);
	if (strcmp(argv[1], "list")) {
		fprintf(stderr,
			"wirelens: ports: unknown sub-verb '%s': list, set or unset (wirelens "
			"ports --help)\n",
			argv[1]);
		return 2;
	}
	if (argc > 2) {
		fprintf(stderr, "wirelens: ports list: unexpected '%s' (wirelens ports --help)\n",
			argv[2]);
		return 2;
	}
	return ports_list(o.json);
}
