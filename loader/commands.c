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

#include "progs.h"
#include "commands.h"
#include "l7cfg.h"
#include "container.h"
#include "netns_ids.h"

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

/* Parses ADDR, ADDR:PORT, [V6]:PORT or :PORT into a filter. */
static int parse_server(const char *s, struct wl_cmd_key *f, int *has_addr, int *has_port)
{
	char tmp[128], *port = NULL, *addr = tmp;

	snprintf(tmp, sizeof(tmp), "%s", s);
	*has_addr = *has_port = 0;
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
		char *e;
		long p = strtol(port, &e, 10);

		if (*e || p < 1 || p > 65535)
			return -1;
		f->server_port = p;
		*has_port = 1;
	}
	if (*addr) {
		if (inet_pton(AF_INET, addr, f->server_addr) == 1)
			f->l3_proto = 0x0800;
		else if (inet_pton(AF_INET6, addr, f->server_addr) == 1)
			f->l3_proto = 0x86DD;
		else
			return -1;
		*has_addr = 1;
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

int wl_cmd_stats_read(int fd, struct wl_cmd_row **out, size_t *n_out)
{
	int ncpu = libbpf_num_possible_cpus();
	struct wl_cmd_stats *per = calloc(ncpu, sizeof(*per));
	struct wl_cmd_key key, next;
	struct wl_cmd_row *rows = NULL;
	size_t n = 0, cap = 0;
	void *prev = NULL;

	if (!per)
		return -ENOMEM;
	while (!bpf_map_get_next_key(fd, prev, &next)) {
		key = next;
		prev = &key;
		if (bpf_map_lookup_elem(fd, &key, per))
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 64;
			rows = realloc(rows, cap * sizeof(*rows));
			if (!rows) {
				free(per);
				return -ENOMEM;
			}
		}
		memset(&rows[n], 0, sizeof(rows[n]));
		rows[n].key = key;
		for (int c = 0; c < ncpu; c++) {
			__u64 *dst = (__u64 *)&rows[n].st, *src = (__u64 *)&per[c];

			for (size_t i = 0; i < sizeof(per[c]) / sizeof(__u64); i++)
				dst[i] += src[i];
		}
		n++;
	}
	free(per);
	*out = rows;
	*n_out = n;
	return 0;
}

enum { CMD_JSON = 'j', CMD_PROTOCOL = 'p', CMD_SERVER = 's' };

static const struct wl_param commands_params[] = {
	{"json", CMD_JSON, NULL, "JSON output"},
	{"protocol", CMD_PROTOCOL, "PROTO", "only this protocol's commands"},
	{"server", CMD_SERVER, "ADDR[:PORT]",
	 "only this server: 198.18.0.2, 198.18.0.2:6379, [2001:db8::1]:6379\nor :6379"},
	{NULL, 0, NULL, NULL},
};

static void protocols_note(FILE *f)
{
	fprintf(f, "  protocols: %s\n", wl_l7_proto_list(", "));
}

const struct wl_verb_params wl_commands_params = {
	.verb = "commands",
	.synopsis = "",
	.summary = "per-command statistics of the application protocols seen: requests,\n"
		   "  responses, errors, bytes and latency (request seen -> first response byte)",
	.params = commands_params,
	.more = protocols_note,
};

struct commands_opts {
	struct wl_cmd_key filter;
	int json, has_addr, has_port;
	unsigned int proto;
};

static int commands_option(int key, const char *value, void *ctx)
{
	struct commands_opts *o = ctx;

	switch (key) {
	case CMD_JSON:
		o->json = 1;
		return 0;
	case CMD_PROTOCOL:
		o->proto = wl_l7_proto_by_name(value);
		if (!o->proto) {
			fprintf(stderr, "wirelens: unknown protocol '%s'\n", value);
			return 2;
		}
		return 0;
	case CMD_SERVER:
		if (parse_server(value, &o->filter, &o->has_addr, &o->has_port)) {
			fprintf(stderr,
				"wirelens: bad --server '%s' (ADDR, ADDR:PORT, [V6]:PORT)\n",
				value);
			return 2;
		}
		return 0;
	}
	return 2;
}

int wl_cmd_commands(int argc, char **argv)
{
	struct commands_opts o = {};
	struct wl_commands_view v = {};
	int fd, err, first;

	err = wl_params_parse(&wl_commands_params, argc, argv, commands_option, &o, &first);
	if (err)
		return err == WL_PARAMS_HELP ? 0 : err;
	if (first < argc) {
		fprintf(stderr, "wirelens: commands: unexpected '%s' (wirelens commands --help)\n",
			argv[first]);
		return 2;
	}
	v.json = o.json;
	v.has_addr = o.has_addr;
	v.has_port = o.has_port;
	v.filter = o.filter;
	v.proto = o.proto;
	fd = open_pinned("wl_cmd_stats");
	if (fd < 0)
		return 1;
	err = wl_commands_show(fd, &v, NULL);
	close(fd);
	return err ? 1 : 0;
}

/* The container that owns the server's address (a command key has no interface, only the
 * namespace it was seen in). */
const struct wl_container *wl_cmd_server_container(const struct wl_cmd_key *k)
{
	return wl_container_of_addr(k->l3_proto == 0x86DD ? AF_INET6 : AF_INET, k->server_addr,
				    wl_netns_id_label(k->netns_id));
}

int wl_commands_show(int fd, const struct wl_commands_view *v, json_object **json_out)
{
	struct wl_cmd_row *rows;
	json_object *arr;
	size_t n;
	int err;
	bool containers = false;

	err = wl_cmd_stats_read(fd, &rows, &n);
	if (err) {
		fprintf(stderr, "wirelens: reading command statistics: %s\n", strerror(-err));
		return -1;
	}
	qsort(rows, n, sizeof(*rows), cmp_rows);
	arr = json_object_new_array();
	/* the CONTAINER column only when a server is in one */
	for (size_t i = 0; !v->json && !v->replay && i < n; i++)
		containers |= wl_cmd_server_container(&rows[i].key) != NULL;
	if (!v->json)
		printf("%-10s %-28s %-20s %10s %10s %8s %12s %12s %9s %9s %9s%s\n", "PROTOCOL",
		       "SERVER", "COMMAND", "REQUESTS", "RESPONSES", "ERRORS", "REQ_BYTES",
		       "RESP_BYTES", "AVG_US", "P50_US", "P99_US", containers ? " CONTAINER" : "");
	for (size_t i = 0; i < n; i++) {
		const struct wl_cmd_key *k = &rows[i].key;
		const struct wl_cmd_stats *st = &rows[i].st;
		struct wl_cmd_labels l;
		const struct wl_container *ct = v->replay ? NULL : wl_cmd_server_container(k);
		char label[200];
		double avg = st->responses ? st->latency_sum_ns / 1000.0 / st->responses : 0;
		double p50 = wl_hist_quantile_us(st->latency_hist, WL_LAT_BUCKETS, 0.50);
		double p99 = wl_hist_quantile_us(st->latency_hist, WL_LAT_BUCKETS, 0.99);

		if (v->proto && k->l7_proto != v->proto)
			continue;
		if (v->has_port && k->server_port != v->filter.server_port)
			continue;
		if (v->has_addr && (k->l3_proto != v->filter.l3_proto ||
				    memcmp(k->server_addr, v->filter.server_addr, 16)))
			continue;
		wl_cmd_labels(k, &l);
		if (l.netns[0] && !v->json) { /* as flows name an interface: netns:server */
			char shown[sizeof(l.netns) + sizeof(l.server)];
			size_t len = snprintf(shown, sizeof(shown), "%s:%s", l.netns, l.server);

			len = len < sizeof(l.server) ? len : sizeof(l.server) - 1;
			memcpy(l.server, shown, len);
			l.server[len] = 0;
		}
		if (v->json) {
			json_object *o = json_object_new_object(), *lat = NULL;

			json_object_object_add(o, "protocol", json_object_new_string(l.protocol));
			json_object_object_add(o, "server", json_object_new_string(l.server));
			json_object_object_add(o, "netns",
					       l.netns[0] ? json_object_new_string(l.netns) : NULL);
			json_object_object_add(o, "command", json_object_new_string(l.command));
			json_object_object_add(o, "requests", json_object_new_uint64(st->requests));
			json_object_object_add(o, "responses",
					       json_object_new_uint64(st->responses));
			json_object_object_add(o, "errors", json_object_new_uint64(st->errors));
			json_object_object_add(o, "misses", json_object_new_uint64(st->misses));
			json_object_object_add(o, "request_bytes",
					       json_object_new_uint64(st->request_bytes));
			json_object_object_add(o, "response_bytes",
					       json_object_new_uint64(st->response_bytes));
			/* a replay's latencies would time the replay, not the capture: null */
			if (!v->replay) {
				lat = json_object_new_object();
				json_object_object_add(lat, "avg_us", json_object_new_double(avg));
				json_object_object_add(lat, "p50_us", json_object_new_double(p50));
				json_object_object_add(lat, "p99_us", json_object_new_double(p99));
			}
			json_object_object_add(o, "latency", lat);
			json_object_object_add(o, "container", wl_container_json(ct));
			json_object_array_add(arr, o);
		} else if (v->replay) {
			printf("%-10s %-28s %-20s %10llu %10llu %8llu %12llu %12llu %9s %9s %9s\n",
			       l.protocol, l.server, l.command, (unsigned long long)st->requests,
			       (unsigned long long)st->responses, (unsigned long long)st->errors,
			       (unsigned long long)st->request_bytes,
			       (unsigned long long)st->response_bytes, "-", "-", "-");
		} else {
			printf("%-10s %-28s %-20s %10llu %10llu %8llu %12llu %12llu %9.1f %9.1f "
			       "%9.1f%s%s\n",
			       l.protocol, l.server, l.command, (unsigned long long)st->requests,
			       (unsigned long long)st->responses, (unsigned long long)st->errors,
			       (unsigned long long)st->request_bytes,
			       (unsigned long long)st->response_bytes, avg, p50, p99,
			       containers ? " " : "",
			       containers ? wl_container_label(ct, label, sizeof(label)) : "");
		}
	}
	if (v->json && json_out) {
		*json_out = arr;
		arr = NULL;
	} else if (v->json) {
		printf("%s\n",
		       json_object_to_json_string_ext(arr, JSON_C_TO_STRING_PRETTY |
								   JSON_C_TO_STRING_NOSLASHESCAPE));
	}
	json_object_put(arr);
	free(rows);
	return 0;
}

static const struct wl_param ports_params[] = {
	{"json", CMD_JSON, NULL, "JSON output (list)"},
	{NULL, 0, NULL, NULL},
};

const struct wl_verb_params wl_ports_params = {
	.verb = "ports",
	.synopsis = "list|set|unset [PROTO=PORT[,PORT...]... | PORT...]",
	.summary =
		"the server ports of each application protocol: list them (configured and\n"
		"  learned from content), set PROTO=PORT[,PORT...] (e.g. redis=7000,7001), unset "
		"PORT...",
	.params = ports_params,
	.more = protocols_note,
};

static int ports_option(int key, const char *value, void *ctx)
{
	(void)key;
	(void)value;
	*(int *)ctx = 1; /* --json */
	return 0;
}

int wl_cmd_ports(int argc, char **argv)
{
	int fd, json = 0, first, err;

	err = wl_params_parse(&wl_ports_params, argc, argv, ports_option, &json, &first);
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
	if (!strcmp(argv[1], "set") || !strcmp(argv[1], "unset")) {
		int set = !strcmp(argv[1], "set");
		/* validate everything before changing anything */
		struct {
			__u32 port;
			__u8 proto;
		} todo[512];
		int n = 0;

		if (argc < 3) {
			fprintf(stderr, "wirelens: ports %s needs %s (wirelens ports --help)\n",
				argv[1], set ? "PROTO=PORT[,PORT...]" : "PORT...");
			return 2;
		}
		for (int i = 2; i < argc; i++) {
			char buf[256], *list = buf, *tok, *save = NULL;
			unsigned int proto = 0;

			snprintf(buf, sizeof(buf), "%s", argv[i]);
			if (set) {
				char *eq = strchr(buf, '=');

				if (!eq) {
					fprintf(stderr,
						"wirelens: expected PROTO=PORT[,PORT], got '%s'\n",
						argv[i]);
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
			for (tok = strtok_r(list, ",", &save); tok;
			     tok = strtok_r(NULL, ",", &save)) {
				char *e;
				long p = strtol(tok, &e, 10);

				if (*e || p < 1 || p > 65535 || n >= 512) {
					fprintf(stderr, "wirelens: bad port '%s'\n", tok);
					return 2;
				}
				todo[n].port = p;
				todo[n].proto = proto;
				n++;
			}
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
	if (strcmp(argv[1], "list")) {
		fprintf(stderr,
			"wirelens: ports: unknown sub-verb '%s': list, set or unset (wirelens "
			"ports "
			"--help)\n",
			argv[1]);
		return 2;
	}
	if (argc > 2) {
		fprintf(stderr, "wirelens: ports list: unexpected '%s' (wirelens ports --help)\n",
			argv[2]);
		return 2;
	}
	fd = open_pinned("wl_ports");
	if (fd < 0)
		return 1;
	{
		json_object *arr = json_object_new_array();

		if (!json)
			printf("%-6s %-12s %s\n", "PORT", "PROTOCOL", "SOURCE");
		for (__u32 port = 1; port < 65536; port++) {
			__u8 v = 0;
			const char *name;

			if (bpf_map_lookup_elem(fd, &port, &v) || !v)
				continue;
			name = wl_l7_proto_name(v & ~WL_PORT_LEARNED);
			if (!name)
				name = "unknown";
			if (json) {
				json_object *o = json_object_new_object();

				json_object_object_add(o, "port", json_object_new_int(port));
				json_object_object_add(o, "protocol", json_object_new_string(name));
				json_object_object_add(
					o, "learned", json_object_new_boolean(v & WL_PORT_LEARNED));
				json_object_array_add(arr, o);
			} else {
				printf("%-6u %-12s %s\n", port, name,
				       (v & WL_PORT_LEARNED) ? "learned (content)" : "configured");
			}
		}
		if (json)
			printf("%s\n",
			       json_object_to_json_string_ext(arr, JSON_C_TO_STRING_PRETTY));
		json_object_put(arr);
	}
	close(fd);
	return 0;
}
