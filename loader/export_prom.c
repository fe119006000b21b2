// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The Prometheus endpoint: libmicrohttpd serves GET /metrics in the text exposition format
 * (0.0.4), built from the pinned maps read afresh on each scrape (no cache, no thread of ours).
 * The L7 labels are the values `commands --json` prints; the counters are the kernel's own, so
 * they reset when the maps do (reset, detach and attach again), which rate() takes as a restart.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <microhttpd.h>

#include "attach.h"
#include "export.h"
#include "commands.h"
#include "container.h"
#include "l7cfg.h"
#include "progs.h"
#include "views.h"

struct wl_prom {
	struct MHD_Daemon *d;
	bool verbose;
};

/* A label value: backslash, double quote and newline escaped. */
static void put_label(FILE *f, const char *name, const char *value, bool first)
{
	fprintf(f, "%s%s=\"", first ? "" : ",", name);
	for (const char *c = value; *c; c++) {
		if (*c == '\\' || *c == '"')
			fprintf(f, "\\%c", *c);
		else if (*c == '\n')
			fputs("\\n", f);
		else
			fputc(*c, f);
	}
	fputc('"', f);
}

static void family(FILE *f, const char *name, const char *type, const char *help)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* ---- global counters ---- */

#define COUNTER_INDEX(field) (offsetof(struct wl_counters, field) / sizeof(__u64))

/* The families of struct wl_counters after seen, in its order: each runs from its first counter
 * to the next one's (the last to conns_closed); the label value is the counter's name as
 * `status` prints it, without its first `strip` characters. */
static const struct counter_family {
	const char *name, *label, *help;
	size_t first, strip;
} counter_families[] = {
	{"wirelens_packets_total", "outcome",
	 "Packets by outcome: each packet seen lands in exactly one.", WL_OUT_ACCOUNTED, 0},
	{"wirelens_packet_facts_total", "fact",
	 "Facts about packets of any outcome (a packet may have several).", WL_OUT_END, 0},
	{"wirelens_l7_engine_total", "event",
	 "L7 engine events (packets, segments or messages, as `status` names them).",
	 COUNTER_INDEX(l7_packets), 3 /* "l7_" */},
	{"wirelens_filter_events_total", "event",
	 "Filter facts: L7 denials, packets of blocked connections, resets sent.",
	 COUNTER_INDEX(l7_denied), 0},
	{"wirelens_table_events_total", "event",
	 "Table churn: flows inserted into wl_flows, connections given L7 state in wl_conns, "
	 "connection states removed at their RST.",
	 COUNTER_INDEX(flows_new), 0},
};
#define COUNTER_FAMILIES (sizeof(counter_families) / sizeof(counter_families[0]))
_Static_assert(sizeof(struct wl_counters) == (COUNTER_INDEX(conns_closed) + 1) * sizeof(__u64),
	       "a counter after conns_closed: give it its Prometheus family in counter_families");

static void write_counters(FILE *f, const struct wl_counters *c, const struct wl_sniff *sniff)
{
	const __u64 *v = (const __u64 *)c;

	family(f, "wirelens_packets_seen_total", "counter",
	       "Packets the programs saw (every hook; a TC GSO packet counts once).");
	fprintf(f, "wirelens_packets_seen_total %llu\n", (unsigned long long)c->seen);
	for (size_t j = 0; j < COUNTER_FAMILIES; j++) {
		const struct counter_family *fam = &counter_families[j];
		size_t end = j + 1 < COUNTER_FAMILIES ? fam[1].first : sizeof(*c) / sizeof(__u64);

		family(f, fam->name, "counter", fam->help);
		for (size_t i = fam->first; i < end; i++)
			fprintf(f, "%s{%s=\"%s\"} %llu\n", fam->name, fam->label,
				wl_counter_names[i] + fam->strip, (unsigned long long)v[i]);
		/* status' l7_sniff_refused, kept in wl_sniff (absent: pins of a build without
		 * the bound), is an L7 engine event */
		if (sniff && fam->first == COUNTER_INDEX(l7_packets))
			fprintf(f, "%s{%s=\"sniff_refused\"} %llu\n", fam->name, fam->label,
				(unsigned long long)sniff->refused);
	}
}

/* ---- per-command statistics ---- */

static void cmd_labels(FILE *f, const struct wl_cmd_labels *l)
{
	put_label(f, "protocol", l->protocol, true);
	put_label(f, "server", l->server, false);
	if (l->netns[0]) /* the server's namespace, when not wirelens' own */
		put_label(f, "netns", l->netns, false);
	if (l->container[0]) /* the server's container, when it is in one */
		put_label(f, "container", l->container, false);
	put_label(f, "command", l->command, false);
}

static void write_cmd_counter(FILE *f, const struct wl_cmd_row *rows,
			      const struct wl_cmd_labels *labels, size_t n, const char *name,
			      size_t field, const char *help)
{
	family(f, name, "counter", help);
	for (size_t i = 0; i < n; i++) {
		fprintf(f, "%s{", name);
		cmd_labels(f, &labels[i]);
		fprintf(f, "} %llu\n",
			(unsigned long long)*(const __u64 *)((const char *)&rows[i].st + field));
	}
}

/* The log2 ns buckets as a histogram in seconds: bucket b holds [2^b, 2^(b+1)) ns, so its
 * upper edge 2^(b+1) ns is an exact `le`; the last bucket is open and only in +Inf. */
void wl_prom_latency(FILE *f, const struct wl_cmd_labels *l, const struct wl_cmd_stats *st)
{
	unsigned long long cum = 0;

	for (int b = 0; b < WL_LAT_BUCKETS - 1; b++) {
		cum += st->latency_hist[b];
		fprintf(f, "wirelens_l7_latency_seconds_bucket{");
		cmd_labels(f, l);
		fprintf(f, ",le=\"%.10g\"} %llu\n", (double)(1ULL << (b + 1)) / 1e9, cum);
	}
	cum += st->latency_hist[WL_LAT_BUCKETS - 1];
	fprintf(f, "wirelens_l7_latency_seconds_bucket{");
	cmd_labels(f, l);
	fprintf(f, ",le=\"+Inf\"} %llu\n", cum);
	fprintf(f, "wirelens_l7_latency_seconds_sum{");
	cmd_labels(f, l);
	fprintf(f, "} %.9f\n", st->latency_sum_ns / 1e9);
	fprintf(f, "wirelens_l7_latency_seconds_count{");
	cmd_labels(f, l);
	fprintf(f, "} %llu\n", cum);
}

static int write_commands(FILE *f)
{
	struct wl_cmd_labels *labels;
	struct wl_cmd_row *rows;
	size_t n;
	int err = wl_export_cmds_read(&rows, &n);

	if (err)
		return err;
	labels = calloc(n ? n : 1, sizeof(*labels));
	if (!labels) {
		free(rows);
		return -ENOMEM;
	}
	wl_container_forget(); /* containers come and go between scrapes */
	for (size_t i = 0; i < n; i++) {
		const struct wl_container *c = wl_cmd_server_container(&rows[i].key);

		wl_cmd_labels(&rows[i].key, &labels[i]);
		if (c)
			wl_container_label(c, labels[i].container, sizeof(labels[i].container));
	}
#define CMD_COUNTER(name, field, help)                                                             \
	write_cmd_counter(f, rows, labels, n, name, offsetof(struct wl_cmd_stats, field), help)
	CMD_COUNTER("wirelens_l7_requests_total", requests, "Requests per command.");
	CMD_COUNTER("wirelens_l7_responses_total", responses, "Responses per command.");
	CMD_COUNTER("wirelens_l7_errors_total", errors,
		    "Error responses per command (Redis -ERR, HTTP 5xx, DNS rcode != 0, ...).");
	CMD_COUNTER("wirelens_l7_misses_total", misses,
		    "Not-found answers that are no errors (memcached get misses, HTTP 404).");
	CMD_COUNTER("wirelens_l7_request_bytes_total", request_bytes, "Request bytes (L7).");
	CMD_COUNTER("wirelens_l7_response_bytes_total", response_bytes, "Response bytes (L7).");
#undef CMD_COUNTER
	family(f, "wirelens_l7_latency_seconds", "histogram",
	       "Latency from a request to its response (log2 nanosecond buckets).");
	for (size_t i = 0; i < n; i++)
		wl_prom_latency(f, &labels[i], &rows[i].st);
	free(labels);
	free(rows);
	return 0;
}

/* ---- per-interface totals: the flow table summed by ifindex ---- */

struct iface_sum {
	__u32 ifindex;
	__u8 netns_id;
	__u64 packets, bytes, flows;
};

/* The flow table summed by interface (and namespace): calloc'ed, *ns rows; NULL without memory. */
static struct iface_sum *iface_sums(const struct wl_flow_row *rows, size_t n, size_t *ns_out)
{
	struct iface_sum *sums = calloc(n ? n : 1, sizeof(*sums));
	size_t ns = 0;

	for (size_t i = 0; sums && i < n; i++) {
		size_t j = 0;

		while (j < ns && (sums[j].ifindex != rows[i].k.ifindex ||
				  sums[j].netns_id != rows[i].k.netns_id))
			j++;
		if (j == ns) {
			sums[ns].netns_id = rows[i].k.netns_id;
			sums[ns++].ifindex = rows[i].k.ifindex;
		}
		sums[j].packets += rows[i].s.packets;
		sums[j].bytes += rows[i].s.bytes;
		sums[j].flows++;
	}
	*ns_out = ns;
	return sums;
}

static int write_interfaces(FILE *f)
{
	struct wl_iface_names names = {};
	struct iface_sum *sums;
	struct wl_flow_row *rows;
	size_t n, ns;
	int err = wl_export_flows_read(&rows, &n);

	if (err)
		return err;
	sums = iface_sums(rows, n, &ns);
	free(rows);
	if (!sums)
		return -ENOMEM;
	wl_iface_names_load(&names);
	for (int m = 0; m < 3; m++) {
		static const char *const fam[][3] = {
			{"wirelens_interface_packets_total", "counter",
			 "Packets of the flows in the flow table, by interface (both directions)."},
			{"wirelens_interface_bytes_total", "counter",
			 "L2 bytes of the flows in the flow table, by interface (both "
			 "directions)."},
			{"wirelens_interface_flows", "gauge", "Flow table entries, by interface."},
		};

		family(f, fam[m][0], fam[m][1], fam[m][2]);
		for (size_t j = 0; j < ns; j++) {
			char name[IF_NAMESIZE + 1] = "?", netns[64] = "", idx[16];

			wl_iface_lookup_in(&names, sums[j].netns_id, sums[j].ifindex, name, netns);
			snprintf(idx, sizeof(idx), "%u", sums[j].ifindex);
			fprintf(f, "%s{", fam[m][0]);
			put_label(f, "interface", name, true);
			put_label(f, "netns", netns, false);
			put_label(f, "ifindex", idx, false);
			fprintf(f, "} %llu\n",
				(unsigned long long)(m == 0   ? sums[j].packets
						     : m == 1 ? sums[j].bytes
							      : sums[j].flows));
		}
	}
	wl_iface_names_free(&names);
	free(sums);
	return 0;
}

static void write_maps(FILE *f)
{
	static const char *const maps[] = {"wl_flows",	   "wl_conns", "wl_fifo_far", "wl_l7_open",
					   "wl_cmd_stats", "wl_frags", "wl_aux"};
	int n[sizeof(maps) / sizeof(maps[0])];
	__u32 max[sizeof(maps) / sizeof(maps[0])];

	for (size_t i = 0; i < sizeof(maps) / sizeof(maps[0]); i++)
		n[i] = wl_map_fill(maps[i], &max[i], NULL);
	family(f, "wirelens_map_entries", "gauge", "Entries in each map.");
	for (size_t i = 0; i < sizeof(maps) / sizeof(maps[0]); i++)
		if (n[i] >= 0)
			fprintf(f, "wirelens_map_entries{map=\"%s\"} %d\n", maps[i], n[i]);
	family(f, "wirelens_map_max_entries", "gauge", "Capacity of each map.");
	for (size_t i = 0; i < sizeof(maps) / sizeof(maps[0]); i++)
		if (n[i] >= 0)
			fprintf(f, "wirelens_map_max_entries{map=\"%s\"} %u\n", maps[i], max[i]);
}

void wl_prom_write(FILE *f)
{
	struct wl_counters c;
	struct wl_sniff sniff;
	int fd = wl_map_open_ro("wl_counters"), err = fd < 0 ? fd : 0;

	if (!err) {
		err = wl_counters_read(fd, &c);
		close(fd);
	}
	family(f, "wirelens_maps_available", "gauge",
	       "1 when the pinned maps could be read (something attached, or maps kept), else 0.");
	fprintf(f, "wirelens_maps_available %d\n", !err);
	if (err) {
		/* said as a comment: the scrape still succeeds, with what there is */
		fprintf(f, "# wirelens: %s %s: %s\n",
			err == -ENOENT ? "nothing attached: no pins under" : "cannot read",
			wl_pin_dir(), strerror(-err));
		return;
	}
	write_counters(f, &c, wl_l7_sniff_read(&sniff) ? NULL : &sniff);
	err = write_commands(f);
	if (err)
		fprintf(f, "# wirelens: command statistics unreadable: %s\n", strerror(-err));
	err = write_interfaces(f);
	if (err)
		fprintf(f, "# wirelens: flow table unreadable: %s\n", strerror(-err));
	write_maps(f);
}

static enum MHD_Result answer(void *cls, struct MHD_Connection *conn, const char *url,
			      const char *method, const char *version, const char *upload_data,
			      size_t *upload_size, void **state)
{
	static const char index_page[] = "wirelens exporter: metrics at /metrics\n";
	struct wl_prom *p = cls;
	struct MHD_Response *r;
	enum MHD_Result ret;
	unsigned int status = MHD_HTTP_OK;
	char *buf = NULL;
	size_t len = 0;

	(void)version;
	(void)upload_data;
	(void)upload_size;
	(void)state;
	if (strcmp(method, MHD_HTTP_METHOD_GET) && strcmp(method, MHD_HTTP_METHOD_HEAD)) {
		if (p->verbose)
			fprintf(stderr, "wirelens: export: refused %s %s\n", method, url);
		r = MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT);
		ret = MHD_queue_response(conn, MHD_HTTP_METHOD_NOT_ALLOWED, r);
		MHD_destroy_response(r);
		return ret;
	}
	if (!strcmp(url, "/metrics")) {
		FILE *f = open_memstream(&buf, &len);

		if (!f)
			return MHD_NO;
		wl_prom_write(f);
		fclose(f);
		r = MHD_create_response_from_buffer(len, buf, MHD_RESPMEM_MUST_FREE);
		MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE,
					"text/plain; version=0.0.4; charset=utf-8");
	} else {
		status = strcmp(url, "/") ? MHD_HTTP_NOT_FOUND : MHD_HTTP_OK;
		r = MHD_create_response_from_buffer(sizeof(index_page) - 1, (void *)index_page,
						    MHD_RESPMEM_PERSISTENT);
		MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "text/plain");
	}
	ret = MHD_queue_response(conn, status, r);
	MHD_destroy_response(r);
	return ret;
}

struct wl_prom *wl_prom_start(const struct sockaddr_storage *addr, bool verbose)
{
	struct wl_prom *p = calloc(1, sizeof(*p));
	char host[INET6_ADDRSTRLEN];
	bool v6 = addr->ss_family == AF_INET6;
	unsigned short port = ntohs(v6 ? ((const struct sockaddr_in6 *)addr)->sin6_port
				       : ((const struct sockaddr_in *)addr)->sin_port);

	if (!p)
		return NULL;
	p->verbose = verbose;
	inet_ntop(addr->ss_family,
		  v6 ? (const void *)&((const struct sockaddr_in6 *)addr)->sin6_addr
		     : (const void *)&((const struct sockaddr_in *)addr)->sin_addr,
		  host, sizeof(host));
	/* MHD's own messages off: a failure is our one line below */
	p->d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_POLL |
					(v6 ? MHD_USE_IPv6 : 0),
				port, NULL, NULL, answer, p, MHD_OPTION_SOCK_ADDR, addr,
				MHD_OPTION_CONNECTION_TIMEOUT, 10U, MHD_OPTION_END);
	if (!p->d) {
		fprintf(stderr,
			"wirelens: export: cannot listen on %s%s%s:%u (in use? no such "
			"address?)\n",
			v6 ? "[" : "", host, v6 ? "]" : "", port);
		free(p);
		return NULL;
	}
	printf("prometheus: http://%s%s%s:%u/metrics\n", v6 ? "[" : "", host, v6 ? "]" : "", port);
	return p;
}

void wl_prom_stop(struct wl_prom *p)
{
	if (!p)
		return;
	MHD_stop_daemon(p->d);
	free(p);
}
