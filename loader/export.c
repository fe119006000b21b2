// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* `wirelens export`: runs the Prometheus endpoint and/or the IPFIX exporter until SIGTERM or
 * SIGINT. Nothing attached yet is no error: the maps are opened afresh on each scrape and scan,
 * so the exporter can start before `attach` and outlive a `detach`. */
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <netdb.h>
#include <bpf/bpf.h>

#include "verbs.h"
#include "attach.h"
#include "export.h"
#include "progs.h"
#include "commands.h"
#include "views.h"

struct export_opts {
	bool prom, ipfix, once, verbose;
	struct sockaddr_storage prom_addr;
	char ipfix_host[256], ipfix_port[16];
	unsigned int interval, idle, active;
	__u32 domain;
};

static int parse_port(const char *s, unsigned short *port)
{
	unsigned long long v;

	if (wl_params_number(s, 1, 65535, &v))
		return -1;
	*port = v;
	return 0;
}

/* [ADDR:]PORT, ADDR an IPv4 address or a bracketed IPv6 one. */
static const char *parse_listen(const char *s, struct sockaddr_storage *ss)
{
	char host[INET6_ADDRSTRLEN + 2] = WL_PROM_DEFAULT_ADDR;
	const char *port = s;
	unsigned short p;

	if (s[0] == '[') {
		const char *end = strchr(s, ']');

		if (!end || end[1] != ':' || (size_t)(end - s - 1) >= sizeof(host))
			return "expected [IPV6]:PORT";
		memcpy(host, s + 1, end - s - 1);
		host[end - s - 1] = 0;
		port = end + 2;
	} else if (strchr(s, ':')) {
		const char *colon = strrchr(s, ':');

		if (strchr(s, ':') != colon)
			return "an IPv6 address goes in brackets: [::1]:9435";
		if ((size_t)(colon - s) >= sizeof(host))
			return "not an address";
		memcpy(host, s, colon - s);
		host[colon - s] = 0;
		port = colon + 1;
	}
	if (parse_port(port, &p))
		return "the port is a number from 1 to 65535";
	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, host, &((struct sockaddr_in *)ss)->sin_addr) == 1) {
		ss->ss_family = AF_INET;
		((struct sockaddr_in *)ss)->sin_port = htons(p);
	} else if (inet_pton(AF_INET6, host, &((struct sockaddr_in6 *)ss)->sin6_addr) == 1) {
		ss->ss_family = AF_INET6;
		((struct sockaddr_in6 *)ss)->sin6_port = htons(p);
	} else {
		return "ADDR is an IPv4 address or a bracketed IPv6 address";
	}
	return NULL;
}

/* HOST:PORT or [IPV6]:PORT; the host must resolve. */
static const char *parse_collector(const char *s, struct export_opts *o)
{
	const char *colon, *host = s;
	size_t hlen;
	unsigned short p;
	struct addrinfo hints = {.ai_socktype = SOCK_DGRAM}, *res = NULL;

	if (s[0] == '[') {
		const char *end = strchr(s, ']');

		if (!end || end[1] != ':')
			return "expected HOST:PORT or [IPV6]:PORT";
		host = s + 1;
		hlen = end - host;
		colon = end + 1;
	} else {
		colon = strrchr(s, ':');
		if (!colon || strchr(s, ':') != colon)
			return "expected HOST:PORT or [IPV6]:PORT";
		hlen = colon - s;
	}
	if (!hlen || hlen >= sizeof(o->ipfix_host))
		return "no host";
	if (parse_port(colon + 1, &p))
		return "the port is a number from 1 to 65535";
	memcpy(o->ipfix_host, host, hlen);
	o->ipfix_host[hlen] = 0;
	snprintf(o->ipfix_port, sizeof(o->ipfix_port), "%u", p);
	if (getaddrinfo(o->ipfix_host, o->ipfix_port, &hints, &res))
		return "the host does not resolve";
	freeaddrinfo(res);
	return NULL;
}

static int prometheus_arg(const struct wl_param_call *call, const char *value)
{
	struct export_opts *o = call->opts;
	const char *why = parse_listen(value, &o->prom_addr);

	o->prom = true;
	return why ? wl_params_bad_value(call, value, why) : 0;
}

static int ipfix_arg(const struct wl_param_call *call, const char *value)
{
	struct export_opts *o = call->opts;
	const char *why = parse_collector(value, o);

	o->ipfix = true;
	return why ? wl_params_bad_value(call, value, why) : 0;
}

const struct wl_verb_params wl_export_params = {
	.verb = "export",
	.summary = "serve the maps to Prometheus and/or send them to an IPFIX collector,\n"
		   "  until SIGTERM or SIGINT; read-only: both only read the pinned maps",
	.params = WL_PARAMS(
		{"prometheus", 'p', "[ADDR:]PORT",
		 "serve Prometheus metrics on http://ADDR:PORT/metrics (ADDR defaults\n"
		 "to 127.0.0.1; 0.0.0.0 or [::] listen on every address); e.g. 9435",
		 WL_FN(prometheus_arg)},
		{"ipfix", 'i', "HOST:PORT",
		 "send IPFIX over UDP to a collector, e.g. 127.0.0.1:4739", WL_FN(ipfix_arg)},
		{"interval", 0, "S", "IPFIX: scan the flow table every S seconds (default 10)",
		 WL_NUM(struct export_opts, interval, 1, 86400)},
		{"idle-timeout", 0, "S",
		 "IPFIX: a flow without packets for S seconds ends (default 15)",
		 WL_NUM(struct export_opts, idle, 1, 86400)},
		{"active-timeout", 0, "S",
		 "IPFIX: a record covers at most S seconds of a flow (default 60)",
		 WL_NUM(struct export_opts, active, 1, 86400)},
		{"domain", 0, "N", "IPFIX observation domain id (default 0)",
		 WL_NUM(struct export_opts, domain, 0, 0)},
		{"once", 0, NULL,
		 "print the Prometheus exposition on stdout and exit (no server);\n"
		 "with --ipfix: one scan that ends every flow, then exit",
		 WL_FLAG(struct export_opts, once)},
		{"verbose", 'v', NULL, "one line per IPFIX export and per refused scrape",
		 WL_FLAG(struct export_opts, verbose)}),
	.notes =
		"  IPFIX records: flows (standard elements, octets = IP header + payload) and, "
		"under\n"
		"  private enterprise number 32473 (RFC 5612's documentation number), per-command\n"
		"  deltas. Examples:\n"
		"    wirelens export --prometheus 9435\n"
		"    wirelens export --prometheus [::]:9435 --ipfix collector.example:4739\n",
};

int wl_export_flows_read(struct wl_flow_row **rows, size_t *n)
{
	struct wl_flow_maps fm = {wl_map_open_ro("wl_flows"), wl_map_open_ro("wl_flow_cache")};
	int err = fm.flows < 0 ? fm.flows : wl_flows_read(fm, rows, n);

	if (fm.flows >= 0)
		close(fm.flows);
	if (fm.cache >= 0)
		close(fm.cache);
	return err;
}

int wl_export_cmds_read(struct wl_cmd_row **rows, size_t *n)
{
	struct wl_cmd_maps m = {wl_map_open_ro("wl_cmd_stats"), wl_map_open_ro("wl_cmd_cache")};
	int err = m.stats < 0 ? m.stats : m.cache < 0 ? m.cache : wl_cmd_stats_read(m, rows, n);

	if (m.stats >= 0)
		close(m.stats);
	if (m.cache >= 0)
		close(m.cache);
	return err;
}

__u64 wl_clock_ns(int clock)
{
	struct timespec ts;

	clock_gettime(clock, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

__u64 wl_mono_to_wall_ms(__u64 mono_ns, __u64 mono_now_ns, __u64 wall_now_ns)
{
	return (wall_now_ns - (mono_now_ns - mono_ns)) / 1000000ULL;
}

int wl_cmd_export(int argc, char **argv)
{
	struct export_opts o = {.interval = 10, .idle = 15, .active = 60};
	struct wl_prom *prom = NULL;
	struct wl_ipfix *ipfix = NULL;
	sigset_t stop;
	int err, sig = 0;

	err = wl_params_parse_no_args(&wl_export_params, argc, argv, &o);
	if (err)
		return err == WL_PARAMS_HELP ? 0 : err;
	if (!o.prom && !o.ipfix) {
		fprintf(stderr, "wirelens: export needs --prometheus or --ipfix (or both) "
				"(wirelens export --help)\n");
		return 2;
	}
	if (o.once && o.prom) {
		wl_prom_write(stdout);
		fflush(stdout);
	}
	if (o.ipfix) {
		struct wl_ipfix_opts io = {
			.host = o.ipfix_host,
			.port = o.ipfix_port,
			.interval_s = o.interval,
			.idle_s = o.idle,
			.active_s = o.active,
			.domain = o.domain,
			.verbose = o.verbose,
		};

		ipfix = wl_ipfix_open(&io);
		if (!ipfix)
			return 1;
	}
	if (o.once) {
		err = ipfix ? wl_ipfix_export(ipfix, true) : 0;
		wl_ipfix_close(ipfix);
		return err ? 1 : 0;
	}
	/* Signals are taken synchronously (sigtimedwait) and blocked before the HTTP thread
	 * starts, so that thread inherits the mask and never takes them. */
	sigemptyset(&stop);
	sigaddset(&stop, SIGTERM);
	sigaddset(&stop, SIGINT);
	sigaddset(&stop, SIGHUP);
	sigprocmask(SIG_BLOCK, &stop, NULL);
	signal(SIGPIPE, SIG_IGN);
	if (o.prom) {
		prom = wl_prom_start(&o.prom_addr, o.verbose);
		if (!prom) {
			wl_ipfix_close(ipfix);
			return 1;
		}
	}
	if (ipfix)
		printf("ipfix: to %s port %s (udp), scan every %u s, idle timeout %u s, active "
		       "timeout %u s\n",
		       o.ipfix_host, o.ipfix_port, o.interval, o.idle, o.active);
	printf("exporting until SIGTERM or SIGINT\n");
	fflush(stdout);
	while (!sig) {
		struct timespec wait = {.tv_sec = ipfix ? o.interval : 3600};

		sig = sigtimedwait(&stop, NULL, &wait);
		if (sig < 0) {
			if (errno != EAGAIN && errno != EINTR) {
				fprintf(stderr, "wirelens: export: sigtimedwait: %s\n",
					strerror(errno));
				break;
			}
			sig = 0;
		}
		if (sig == SIGHUP) /* a reload asks for nothing: every scan reads afresh */
			sig = 0;
		if (ipfix && !sig)
			wl_ipfix_export(ipfix, false);
	}
	wl_prom_stop(prom);
	if (ipfix) /* what the collector has not seen yet: the flows end here (forced end) */
		wl_ipfix_export(ipfix, true);
	wl_ipfix_close(ipfix);
	printf("export stopped (%s)\n", sig > 0 ? strsignal(sig) : "error");
	return sig > 0 ? 0 : 1;
}
