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
#include "maps/wirelens.h"

/* The flow table (views.h) and the command statistics (commands.h) read from their pins opened
 * read-only: rows malloc'ed (the caller frees); -errno, nothing to free, when they cannot be. */
struct wl_flow_row;
struct wl_cmd_row;
int wl_export_flows_read(struct wl_flow_row **rows, size_t *n);
int wl_export_cmds_read(struct wl_cmd_row **rows, size_t *n);

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
struct wl_cmd_labels;
struct wl_cmd_stats;
/* One command's wirelens_l7_latency_seconds samples: buckets, _sum, _count. */
void wl_prom_latency(FILE *f, const struct wl_cmd_labels *l, const struct wl_cmd_stats *st);

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

/* flowEndReason (RFC 7012) */
enum {
	WL_IPFIX_END_IDLE = 1,
	WL_IPFIX_END_ACTIVE = 2,
	WL_IPFIX_END_DETECTED = 3, /* idle after a TCP FIN or RST */
	WL_IPFIX_END_FORCED = 4,   /* the exporter stops */
};

/* What was last sent for a flow, and the pieces of a scan (export_ipfix.c; tests). */
struct wl_ipfix_flow {
	__u64 packets, bytes; /* counts already in records */
	__u64 first_seen_ns; /* the kernel entry's: another value is a new entry (evicted, reset) */
	__u64 rec_start_ns;  /* start of the record being accumulated */
	__u32 fin_rst;	     /* FIN + RST count at the last record */
	__u32 syn, fin, rst; /* the flags' counts at the last record (tcpControlBits) */
};
/* Takes a flow table entry: a new one (first seen, evicted or reset since) starts afresh. */
void wl_ipfix_flow_sync(struct wl_ipfix_flow *f, const struct wl_flow_stats *s);
/* The flowEndReason of a record due now (monotonic ns), or 0 when none is. */
int wl_ipfix_flow_end(const struct wl_ipfix_flow *f, const struct wl_flow_stats *s, __u64 now,
		      __u64 idle_ns, __u64 active_ns, bool final);
/* After a record of s went out at now: the next one counts from here. */
void wl_ipfix_flow_sent(struct wl_ipfix_flow *f, const struct wl_flow_stats *s, __u64 now);
/* tcpControlBits of the record due: FIN 0x01, SYN 0x02, RST 0x04 when the flow's count of that
 * flag grew since the last record (the table counts these three flags, no others). */
__u16 wl_ipfix_tcp_flags(const struct wl_ipfix_flow *f, const struct wl_flow_stats *s);
/* IPFIX octets (IP header + payload) of L2 bytes as the flow table counts them. */
__u64 wl_ipfix_octets(const struct wl_flow_key *k, __u64 packets, __u64 bytes);

struct wl_ipfix;
/* The session, its templates, the UDP exporter. NULL and one line on stderr on failure. */
struct wl_ipfix *wl_ipfix_open(const struct wl_ipfix_opts *o);
/* One scan: records of the flows that ended (idle, active timeout) and of the commands whose
 * counts changed; final: every flow with unsent counts ends (forced end), before exiting. */
int wl_ipfix_export(struct wl_ipfix *x, bool final);
void wl_ipfix_close(struct wl_ipfix *x);

#endif
