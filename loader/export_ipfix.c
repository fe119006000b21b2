// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The IPFIX exporter (libfixbuf, UDP). Each scan reads the flow table and the command
 * statistics and sends:
 *  - flow records (IANA elements) of the flows that ended since the last scan: idle (no packet
 *    for the idle timeout; "end of flow detected" when the flow carried a TCP FIN or RST),
 *    active timeout (the record covers that long: the flow goes on in a new record), forced end
 *    (the exporter stops). Counts are deltas since the flow's previous record. Octets are what
 *    IPFIX counts, the IP header and payload: the flow table's L2 bytes less the Ethernet header
 *    and the VLAN tags in the frame, per packet (GSO segments each carry them too).
 *  - per-command records (elements of private enterprise WL_IPFIX_PEN) of the commands whose
 *    counts changed since the previous scan: deltas over the scan interval.
 * Templates go with every scan: UDP loses messages and collectors restart.
 * Times: the maps hold CLOCK_MONOTONIC ns; records carry wall-clock ms (the offset between the
 * two clocks read at each scan). A flow's first record starts at its first packet; a later one
 * starts at the scan that sent the previous record (its packets came after it).
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <fixbuf/public.h>

#include "export.h"
#include "commands.h"
#include "views.h"

enum {
	END_IDLE = WL_IPFIX_END_IDLE,
	END_ACTIVE = WL_IPFIX_END_ACTIVE,
	END_DETECTED = WL_IPFIX_END_DETECTED,
	END_FORCED = WL_IPFIX_END_FORCED,
};

/* Template ids: one internal (memory) template per record kind, two external (wire) ones, IPv4
 * and IPv6, so that no record carries the addresses of the other family as zeroes. */
enum { TID_FLOW4 = 256, TID_FLOW6, TID_CMD4, TID_CMD6, TID_FLOW_MEM = 512, TID_CMD_MEM };

/* Spec flags: libfixbuf takes an element into a template when the template's flags hold every
 * bit of the element's, so each family has a bit of its own (4 and 6 put the IPv4 elements,
 * 0b100, into the IPv6 templates too, 0b110). */
enum { FAM4 = 1, FAM6 = 2 };

/* One spec per record kind, in the order of the wire: the internal (memory) template takes every
 * element (flags UINT32_MAX, the record's struct in the same order), the external ones the
 * elements of their address family (FAM4 / FAM6 pick the family's elements, 0 is in both). Each
 * list mirrors its record's struct member by member, which one merged list would hide. */
struct flow_rec {
	uint64_t start_ms, end_ms, packets, octets;
	uint32_t src4, dst4;
	uint8_t src6[16], dst6[16];
	uint16_t sport, dport, icmp4, icmp6;
	uint8_t proto;
	uint16_t tcp_flags, vlan, vlan_inner;
	uint8_t end_reason;
	uint64_t obs_point;
} __attribute__((packed));

static fbInfoElementSpec_t flow_spec[] = {
	{"flowStartMilliseconds", 8, 0},
	{"flowEndMilliseconds", 8, 0},
	{"packetDeltaCount", 8, 0},
	{"octetDeltaCount", 8, 0},
	{"sourceIPv4Address", 4, FAM4},
	{"destinationIPv4Address", 4, FAM4},
	{"sourceIPv6Address", 16, FAM6},
	{"destinationIPv6Address", 16, FAM6},
	{"sourceTransportPort", 2, 0},
	{"destinationTransportPort", 2, 0},
	{"icmpTypeCodeIPv4", 2, FAM4},
	{"icmpTypeCodeIPv6", 2, FAM6},
	{"protocolIdentifier", 1, 0},
	{"tcpControlBits", 2, 0},
	{"vlanId", 2, 0},
	{"dot1qCustomerVlanId", 2, 0},
	{"flowEndReason", 1, 0},
	{"observationPointId", 8, 0}, /* the ifindex the flow was seen on */
	FB_IESPEC_NULL,
};

struct cmd_rec {
	uint64_t start_ms, end_ms;
	uint32_t dst4;
	uint8_t dst6[16];
	uint16_t dport;
	fbVarfield_t protocol, command;
	uint64_t requests, responses, errors, misses, req_bytes, resp_bytes, latency_ns;
} __attribute__((packed));

#define WL_IE(name, num, len, sem, type, desc)                                                     \
	FB_IE_INIT_FULL(name, WL_IPFIX_PEN, num, len, (sem) | FB_IE_F_ENDIAN, 0, 0, type, desc)
static fbInfoElement_t wl_elements[] = {
	WL_IE("wirelensL7Protocol", 1, FB_IE_VARLEN, FB_IE_DEFAULT, FB_STRING,
	      "application protocol, as `wirelens commands` names it"),
	WL_IE("wirelensCommand", 2, FB_IE_VARLEN, FB_IE_DEFAULT, FB_STRING,
	      "command name (never arguments)"),
	WL_IE("wirelensRequestDeltaCount", 3, 8, FB_IE_DELTACOUNTER, FB_UINT_64, "requests"),
	WL_IE("wirelensResponseDeltaCount", 4, 8, FB_IE_DELTACOUNTER, FB_UINT_64, "responses"),
	WL_IE("wirelensErrorDeltaCount", 5, 8, FB_IE_DELTACOUNTER, FB_UINT_64, "error responses"),
	WL_IE("wirelensMissDeltaCount", 6, 8, FB_IE_DELTACOUNTER, FB_UINT_64,
	      "not-found answers that are no errors"),
	WL_IE("wirelensRequestOctetDeltaCount", 7, 8, FB_IE_DELTACOUNTER | FB_UNITS_OCTETS,
	      FB_UINT_64, "request bytes (L7)"),
	WL_IE("wirelensResponseOctetDeltaCount", 8, 8, FB_IE_DELTACOUNTER | FB_UNITS_OCTETS,
	      FB_UINT_64, "response bytes (L7)"),
	WL_IE("wirelensLatencySumNanoseconds", 9, 8, FB_IE_DELTACOUNTER, FB_UINT_64,
	      "sum of the request-to-response latencies, ns"),
	FB_IE_NULL,
};

/* The server is the destination of the requests. */
static fbInfoElementSpec_t cmd_spec[] = {
	{"flowStartMilliseconds", 8, 0},
	{"flowEndMilliseconds", 8, 0},
	{"destinationIPv4Address", 4, FAM4},
	{"destinationIPv6Address", 16, FAM6},
	{"destinationTransportPort", 2, 0},
	{"wirelensL7Protocol", FB_IE_VARLEN, 0},
	{"wirelensCommand", FB_IE_VARLEN, 0},
	{"wirelensRequestDeltaCount", 8, 0},
	{"wirelensResponseDeltaCount", 8, 0},
	{"wirelensErrorDeltaCount", 8, 0},
	{"wirelensMissDeltaCount", 8, 0},
	{"wirelensRequestOctetDeltaCount", 8, 0},
	{"wirelensResponseOctetDeltaCount", 8, 0},
	{"wirelensLatencySumNanoseconds", 8, 0},
	FB_IESPEC_NULL,
};

/* What was last sent for a flow. */
struct flow_state {
	struct wl_flow_key key;
	struct wl_ipfix_flow f;
	__u32 scan; /* last scan that saw the flow: older states are gone from the map */
};

struct cmd_state {
	struct wl_cmd_key key;
	struct wl_cmd_stats sent;
	__u32 scan;
};

struct wl_ipfix {
	struct wl_ipfix_opts o;
	fbInfoModel_t *model;
	fbSession_t *session;
	fBuf_t *buf;
	GHashTable *flows, *cmds; /* key -> state (the key is the state's first member) */
	__u32 scan;
	__u64 last_scan_mono, last_scan_wall;
	bool send_failed; /* say it once, and again once it works */
	__u32 said_scan;  /* libfixbuf's warnings: the scan and time they were last printed */
	__u64 said_ns;
};

/* libfixbuf warns through glib (a UDP send refused while the collector is down, every scan):
 * one line each, in the CLI's shape, the warnings of one scan at most once a minute. */
static void fixbuf_log(const gchar *domain, GLogLevelFlags level, const gchar *msg, gpointer arg)
{
	struct wl_ipfix *x = arg;
	__u64 now = wl_clock_ns(CLOCK_MONOTONIC);

	(void)domain;
	if (!(level & (G_LOG_LEVEL_ERROR | G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_WARNING)))
		return;
	if (x->said_ns && x->said_scan != x->scan && now - x->said_ns < 60000000000ULL)
		return;
	if (x->said_scan != x->scan)
		x->said_ns = now;
	x->said_scan = x->scan;
	fprintf(stderr, "wirelens: export: ipfix: %s\n", msg);
}

static guint key_hash(gconstpointer k, size_t len)
{
	const unsigned char *p = k;
	guint h = 2166136261u; /* FNV-1a */

	for (size_t i = 0; i < len; i++)
		h = (h ^ p[i]) * 16777619u;
	return h;
}
static guint flow_hash(gconstpointer k)
{
	return key_hash(k, sizeof(struct wl_flow_key));
}
static gboolean flow_equal(gconstpointer a, gconstpointer b)
{
	return !memcmp(a, b, sizeof(struct wl_flow_key));
}
static guint cmd_hash(gconstpointer k)
{
	return key_hash(k, sizeof(struct wl_cmd_key));
}
static gboolean cmd_equal(gconstpointer a, gconstpointer b)
{
	return !memcmp(a, b, sizeof(struct wl_cmd_key));
}

static fbTemplate_t *template_from(fbInfoModel_t *model, fbInfoElementSpec_t *spec, uint32_t flags,
				   GError **err)
{
	fbTemplate_t *t = fbTemplateAlloc(model);

	if (!fbTemplateAppendSpecArray(t, spec, flags, err)) {
		fbTemplateFreeUnused(t);
		return NULL;
	}
	return t;
}

static bool add_template(fbSession_t *s, bool internal, uint16_t tid, fbTemplate_t *t, GError **err)
{
	return t && fbSessionAddTemplate(s, internal, tid, t, err) == tid;
}

struct wl_ipfix *wl_ipfix_open(const struct wl_ipfix_opts *o)
{
	struct wl_ipfix *x = calloc(1, sizeof(*x));
	fbConnSpec_t spec = FB_CONNSPEC_INIT;
	fbExporter_t *exporter;
	GError *err = NULL;
	fbSession_t *s;

	if (!x)
		return NULL;
	x->o = *o;
	x->model = fbInfoModelAlloc();
	fbInfoModelAddElementArray(x->model, wl_elements);
	s = x->session = fbSessionAlloc(x->model);
	fbSessionSetDomain(s, o->domain);
	if (!add_template(s, true, TID_FLOW_MEM,
			  template_from(x->model, flow_spec, UINT32_MAX, &err), &err) ||
	    !add_template(s, true, TID_CMD_MEM, template_from(x->model, cmd_spec, UINT32_MAX, &err),
			  &err) ||
	    !add_template(s, false, TID_FLOW4, template_from(x->model, flow_spec, FAM4, &err),
			  &err) ||
	    !add_template(s, false, TID_FLOW6, template_from(x->model, flow_spec, FAM6, &err),
			  &err) ||
	    !add_template(s, false, TID_CMD4, template_from(x->model, cmd_spec, FAM4, &err),
			  &err) ||
	    !add_template(s, false, TID_CMD6, template_from(x->model, cmd_spec, FAM6, &err),
			  &err)) {
		fprintf(stderr, "wirelens: export: ipfix templates: %s\n",
			err ? err->message : "refused");
		g_clear_error(&err);
		fbSessionFree(s);
		fbInfoModelFree(x->model);
		free(x);
		return NULL;
	}
	spec.transport = FB_UDP;
	spec.host = (char *)o->host;
	spec.svc = (char *)o->port;
	exporter = fbExporterAllocNet(&spec);
	x->buf = fBufAllocForExport(s, exporter); /* owns the session and the exporter now */
	x->flows = g_hash_table_new_full(flow_hash, flow_equal, NULL, g_free);
	x->cmds = g_hash_table_new_full(cmd_hash, cmd_equal, NULL, g_free);
	x->last_scan_mono = wl_clock_ns(CLOCK_MONOTONIC);
	x->last_scan_wall = wl_clock_ns(CLOCK_REALTIME);
	g_log_set_default_handler(fixbuf_log, x);
	return x;
}

void wl_ipfix_close(struct wl_ipfix *x)
{
	if (!x)
		return;
	g_log_set_default_handler(g_log_default_handler, NULL);
	fBufFree(x->buf);
	fbInfoModelFree(x->model);
	g_hash_table_destroy(x->flows);
	g_hash_table_destroy(x->cmds);
	free(x);
}

__u64 wl_ipfix_octets(const struct wl_flow_key *k, __u64 packets, __u64 bytes)
{
	/* per packet: the Ethernet header and the VLAN tags in the frame (flow.h counts a GSO
	 * packet's segments with their headers, so this holds per segment) */
	__u64 l2 = packets * (14 + 4 * (!!k->vlan_outer + !!k->vlan_inner));

	return bytes > l2 ? bytes - l2 : 0;
}

void wl_ipfix_flow_sync(struct wl_ipfix_flow *f, const struct wl_flow_stats *s)
{
	if (f->first_seen_ns == s->first_seen_ns && s->packets >= f->packets)
		return;
	/* a new kernel entry under the same key (evicted or reset, then seen again), or the first
	 * sight of the flow: everything in it is new */
	memset(f, 0, sizeof(*f));
	f->first_seen_ns = f->rec_start_ns = s->first_seen_ns;
}

int wl_ipfix_flow_end(const struct wl_ipfix_flow *f, const struct wl_flow_stats *s, __u64 now,
		      __u64 idle_ns, __u64 active_ns, bool final)
{
	if (s->packets == f->packets)
		return 0; /* nothing new since its last record */
	if (final)
		return WL_IPFIX_END_FORCED;
	if (now > s->last_seen_ns && now - s->last_seen_ns >= idle_ns)
		return s->tcp_fin + s->tcp_rst > f->fin_rst ? WL_IPFIX_END_DETECTED
							    : WL_IPFIX_END_IDLE;
	if (now - f->rec_start_ns >= active_ns)
		return WL_IPFIX_END_ACTIVE;
	return 0;
}

__u16 wl_ipfix_tcp_flags(const struct wl_ipfix_flow *f, const struct wl_flow_stats *s)
{
	return (s->tcp_fin > f->fin ? 0x01 : 0) | (s->tcp_syn > f->syn ? 0x02 : 0) |
	       (s->tcp_rst > f->rst ? 0x04 : 0);
}

void wl_ipfix_flow_sent(struct wl_ipfix_flow *f, const struct wl_flow_stats *s, __u64 now)
{
	f->packets = s->packets;
	f->bytes = s->bytes;
	f->fin_rst = s->tcp_fin + s->tcp_rst;
	f->syn = s->tcp_syn;
	f->fin = s->tcp_fin;
	f->rst = s->tcp_rst;
	f->rec_start_ns = now; /* later packets come after this scan */
}

struct scan {
	struct wl_ipfix *x;
	__u64 mono, wall; /* both clocks, read once per scan */
	unsigned int records[END_FORCED + 1], cmd_records;
	int err;
};

static bool append(struct scan *sc, uint16_t wire_tid, uint16_t mem_tid, void *rec, size_t len)
{
	GError *err = NULL;

	if (!fBufSetInternalTemplate(sc->x->buf, mem_tid, &err) ||
	    !fBufSetExportTemplate(sc->x->buf, wire_tid, &err) ||
	    !fBufAppend(sc->x->buf, rec, len, &err)) {
		if (!sc->x->send_failed)
			fprintf(stderr, "wirelens: export: ipfix: %s\n", err ? err->message : "?");
		sc->x->send_failed = true;
		g_clear_error(&err);
		sc->err = -EIO;
		return false;
	}
	return true;
}

/* An IPv4 address of a key (network order bytes) as the host-order word libfixbuf sends. */
static uint32_t ipv4_host(const __u8 *a)
{
	return (uint32_t)a[0] << 24 | a[1] << 16 | a[2] << 8 | a[3];
}

static void flow_record(struct scan *sc, struct flow_state *st, const struct wl_flow_row *r,
			int reason)
{
	const struct wl_flow_key *k = &r->k;
	struct flow_rec rec = {};
	__u64 packets = r->s.packets - st->f.packets, bytes = r->s.bytes - st->f.bytes;
	bool v6 = k->l3_proto == 0x86DD;

	rec.start_ms = wl_mono_to_wall_ms(st->f.rec_start_ns, sc->mono, sc->wall);
	rec.end_ms = wl_mono_to_wall_ms(r->s.last_seen_ns, sc->mono, sc->wall);
	rec.packets = packets;
	rec.octets = wl_ipfix_octets(k, packets, bytes);
	rec.obs_point = k->ifindex;
	rec.tcp_flags = k->l4_proto == 6 ? wl_ipfix_tcp_flags(&st->f, &r->s) : 0;
	if (v6) {
		memcpy(rec.src6, k->src_addr, 16);
		memcpy(rec.dst6, k->dst_addr, 16);
	} else {
		rec.src4 = ipv4_host(k->src_addr);
		rec.dst4 = ipv4_host(k->dst_addr);
	}
	if (k->l4_proto == 1 || k->l4_proto == 58) {
		/* the key's ports: echo identifier, type << 8 | code (ICMP has no ports) */
		rec.icmp4 = k->l4_proto == 1 ? k->dst_port : 0;
		rec.icmp6 = k->l4_proto == 58 ? k->dst_port : 0;
	} else {
		rec.sport = k->src_port;
		rec.dport = k->dst_port;
	}
	rec.vlan = k->vlan_outer;
	rec.vlan_inner = k->vlan_inner;
	rec.proto = k->l4_proto;
	rec.end_reason = reason;
	if (!append(sc, v6 ? TID_FLOW6 : TID_FLOW4, TID_FLOW_MEM, &rec, sizeof(rec)))
		return;
	sc->records[reason]++;
	wl_ipfix_flow_sent(&st->f, &r->s, sc->mono);
}

/* States the scan did not meet: their entries are gone from the map. */
static gboolean flow_unseen(gpointer key, gpointer state, gpointer scan)
{
	(void)key;
	return ((struct flow_state *)state)->scan != *(__u32 *)scan;
}
static gboolean cmd_unseen(gpointer key, gpointer state, gpointer scan)
{
	(void)key;
	return ((struct cmd_state *)state)->scan != *(__u32 *)scan;
}

static void scan_flows(struct scan *sc, bool final)
{
	struct wl_ipfix *x = sc->x;
	const __u64 idle = x->o.idle_s * 1000000000ULL, active = x->o.active_s * 1000000000ULL;
	struct wl_flow_row *rows;
	size_t n;

	if (wl_export_flows_read(&rows, &n))
		return; /* nothing attached (yet): nothing to send */
	for (size_t i = 0; i < n; i++) {
		const struct wl_flow_row *r = &rows[i];
		struct flow_state *st = g_hash_table_lookup(x->flows, &r->k);
		int reason = 0;

		if (!st) {
			st = g_new0(struct flow_state, 1);
			st->key = r->k;
			st->f.first_seen_ns = ~0ULL; /* synced below as a new entry */
			g_hash_table_insert(x->flows, &st->key, st);
		}
		st->scan = x->scan;
		wl_ipfix_flow_sync(&st->f, &r->s);
		reason = wl_ipfix_flow_end(&st->f, &r->s, sc->mono, idle, active, final);
		if (reason)
			flow_record(sc, st, r, reason);
	}
	/* flows gone from the map (evicted, reset, detached) */
	g_hash_table_foreach_remove(x->flows, flow_unseen, &x->scan);
	free(rows);
}

/* One command's record: the deltas since the last one sent. false when the buffer refused it. */
static bool cmd_record(struct scan *sc, struct cmd_state *st, const struct wl_cmd_row *r)
{
	struct cmd_rec rec = {};
	struct wl_cmd_labels l;
	bool v6 = r->key.l3_proto == 0x86DD;

	wl_cmd_labels(&r->key, &l);
	rec.start_ms = sc->x->last_scan_wall / 1000000;
	rec.end_ms = sc->wall / 1000000;
	rec.requests = r->st.requests - st->sent.requests;
	rec.responses = r->st.responses - st->sent.responses;
	rec.errors = r->st.errors - st->sent.errors;
	rec.misses = r->st.misses - st->sent.misses;
	rec.req_bytes = r->st.request_bytes - st->sent.request_bytes;
	rec.resp_bytes = r->st.response_bytes - st->sent.response_bytes;
	rec.latency_ns = r->st.latency_sum_ns - st->sent.latency_sum_ns;
	if (v6)
		memcpy(rec.dst6, r->key.server_addr, 16);
	else
		rec.dst4 = ipv4_host(r->key.server_addr);
	rec.dport = r->key.server_port;
	rec.protocol.buf = (uint8_t *)l.protocol;
	rec.protocol.len = strlen(l.protocol);
	rec.command.buf = (uint8_t *)l.command;
	rec.command.len = strlen(l.command);
	if (!append(sc, v6 ? TID_CMD6 : TID_CMD4, TID_CMD_MEM, &rec, sizeof(rec)))
		return false;
	st->sent = r->st;
	sc->cmd_records++;
	return true;
}

static void scan_commands(struct scan *sc)
{
	struct wl_ipfix *x = sc->x;
	struct wl_cmd_row *rows;
	size_t n;

	if (wl_export_cmds_read(&rows, &n))
		return;
	for (size_t i = 0; i < n; i++) {
		const struct wl_cmd_row *r = &rows[i];
		struct cmd_state *st = g_hash_table_lookup(x->cmds, &r->key);

		if (!st) {
			st = g_new0(struct cmd_state, 1);
			st->key = r->key;
			g_hash_table_insert(x->cmds, &st->key, st);
		}
		st->scan = x->scan;
		if (r->st.requests < st->sent.requests || r->st.responses < st->sent.responses)
			memset(&st->sent, 0, sizeof(st->sent)); /* reset since */
		if (r->st.requests == st->sent.requests && r->st.responses == st->sent.responses &&
		    r->st.errors == st->sent.errors && r->st.misses == st->sent.misses)
			continue;
		if (!cmd_record(sc, st, r))
			break;
	}
	g_hash_table_foreach_remove(x->cmds, cmd_unseen, &x->scan);
	free(rows);
}

int wl_ipfix_export(struct wl_ipfix *x, bool final)
{
	struct scan sc = {.x = x};
	GError *err = NULL;
	unsigned int flows;

	x->scan++;
	sc.mono = wl_clock_ns(CLOCK_MONOTONIC);
	sc.wall = wl_clock_ns(CLOCK_REALTIME);
	fBufSetExportTime(x->buf, sc.wall / 1000000000ULL);
	if (!fbSessionExportTemplates(x->session, &err)) {
		if (!x->send_failed)
			fprintf(stderr, "wirelens: export: ipfix templates: %s\n", err->message);
		x->send_failed = true;
		g_clear_error(&err);
		return -EIO;
	}
	scan_flows(&sc, final);
	scan_commands(&sc);
	if (!fBufEmit(x->buf, &err)) {
		if (!x->send_failed)
			fprintf(stderr, "wirelens: export: ipfix: sending to %s port %s: %s\n",
				x->o.host, x->o.port, err->message);
		x->send_failed = true;
		g_clear_error(&err);
		/* the buffer starts afresh on the next scan; these records are lost, like any
		 * UDP message a collector does not receive */
		return -EIO;
	}
	if (x->send_failed && !sc.err) {
		fprintf(stderr, "wirelens: export: ipfix: sending again\n");
		x->send_failed = false;
	}
	x->last_scan_mono = sc.mono;
	x->last_scan_wall = sc.wall;
	flows = sc.records[END_IDLE] + sc.records[END_ACTIVE] + sc.records[END_DETECTED] +
		sc.records[END_FORCED];
	if (x->o.verbose) {
		printf("ipfix: scan %u: %u flow records (idle %u, active %u, end %u, forced %u), "
		       "%u command records\n",
		       x->scan, flows, sc.records[END_IDLE], sc.records[END_ACTIVE],
		       sc.records[END_DETECTED], sc.records[END_FORCED], sc.cmd_records);
		fflush(stdout);
	}
	return sc.err;
}
