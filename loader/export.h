/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * `wirelens export`: the pinned maps served to Prometheus (export_prom.c, an HTTP endpoint read
 * fresh on each scrape) and sent to an IPFIX collector (export_ipfix.c, flow and per-command
 * records over UDP). Both only read the maps (opened read-only): an exporter changes nothing.
 */
#ifndef WL_LOADER_EXPORT_H
#define WL_LOADER_EXPORT_H

#include <stdbool.h>
#include <stdio.h>
#include <sys/socket.h>
#include <linux/types.h>
#include "params.h"

extern const struct wl_verb_params wl_export_params;
int wl_cmd_export(int argc, char **argv);

/* A pinned map opened read-only (what the exporters need, nothing more); -errno. */
int wl_export_map_open(const char *name);

/* CLOCK_MONOTONIC ns (the BPF programs' clock) -> wall-clock ms since the epoch, given both
 * clocks read now. */
__u64 wl_mono_to_wall_ms(__u64 mono_ns, __u64 mono_now_ns, __u64 wall_now_ns);
__u64 wl_clock_ns(int clock);

/* ---- Prometheus (export_prom.c) ---- */

/* The default listening address: loopback only; every address only when asked. */
#define WL_PROM_DEFAULT_ADDR "127.0.0.1"
#define WL_PROM_DEFAULT_PORT 9435

struct wl_prom;
/* Starts the HTTP endpoint (its own thread) on addr (IPv4 or IPv6). NULL and one line on
 * stderr when it cannot listen. */
struct wl_prom *wl_prom_start(const struct sockaddr_storage *addr, bool verbose);
void wl_prom_stop(struct wl_prom *p);
/* The whole exposition (text format 0.0.4) as it would be served now. */
void wl_prom_write(FILE *f);

/* ---- IPFIX (export_ipfix.c) ---- */

/* Private enterprise number of the per-command information elements: 32473 is the number
 * RFC 5612 reserves for documentation and examples, used until wirelens has one of its own. */
#define WL_IPFIX_PEN 32473

struct wl_ipfix_opts {
	const char *host, *port; /* the collector, UDP */
	unsigned int interval_s; /* how often the flow table is scanned and records sent */
	unsigned int idle_s;	 /* a flow without packets that long ends (flowEndReason 1) */
	unsigned int active_s;	 /* a record covers at most that long (flowEndReason 2) */
	__u32 domain;		 /* observation domain id */
	bool verbose;		 /* one line per export on stdout */
};

struct wl_ipfix;
/* The session, its templates, the UDP exporter. NULL and one line on stderr on failure. */
struct wl_ipfix *wl_ipfix_open(const struct wl_ipfix_opts *o);
/* One scan: records of the flows that ended (idle, active timeout) and of the commands whose
 * counts changed; final: every flow with unsent counts ends (forced end), before exiting. */
int wl_ipfix_export(struct wl_ipfix *x, bool final);
void wl_ipfix_close(struct wl_ipfix *x);

#endif
