/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The event log (`wirelens log`): a ring buffer record per completed request/response run and,
 * when asked, per packet. Nothing is written unless a reader holds the lease in wl_log_cfg
 * (maps/wirelens.h): with no reader the cost is one array lookup and a compare per packet and
 * per flushed run. Records carry numbers and command ids, never payload bytes.
 * Included by l7.h after its structs (the pair record is made from the engine's run).
 */
#ifndef WL_PARSE_EVENTS_H
#define WL_PARSE_EVENTS_H

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, WL_LOG_RING_DEFAULT); /* the loader may change it at load time */
} wl_events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct wl_log_cfg);
} wl_log_cfg SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct wl_log_stats);
} wl_log_stats SEC(".maps");

#if defined(WL_HOOK_XDP)
#define WL_EV_HOOK WL_EV_XDP
#else
#define WL_EV_HOOK WL_EV_TC
#endif

/* May `count` events of what the reader asked for (flag) have a record? Returns the counters
 * to count it in, or NULL: no reader, or the events sampled out (counted). The caller reserves
 * the record, counts it lost if the ring is full, and counts it written only after the submit:
 * one NULL test of the reservation, which 6.1's verifier needs (it does not know that a
 * reservation tested once is not NULL when clang tests it again). */
static __always_inline struct wl_log_stats *wl_log_admit(__u32 flag, __u32 l7_proto, __u32 count,
							 __u64 now)
{
	struct wl_log_stats *st;
	struct wl_log_cfg *cfg;
	__u32 zero = 0;

	cfg = bpf_map_lookup_elem(&wl_log_cfg, &zero);
	if (!cfg || !(cfg->flags & flag) || cfg->until_ns < now)
		return NULL;
	if (cfg->l7_mask && flag == WL_LOG_PAIRS && !(cfg->l7_mask & (1u << (l7_proto & 31))))
		return NULL;
	st = bpf_map_lookup_elem(&wl_log_stats, &zero);
	if (!st)
		return NULL;
	if (cfg->sample > 1 && bpf_get_prandom_u32() % cfg->sample) {
		st->sampled_events += count;
		return NULL;
	}
	/* the reader falls behind: keep 1 record in 16 rather than lose them all at once */
	if (bpf_ringbuf_query(&wl_events, BPF_RB_AVAIL_DATA) >
		    bpf_ringbuf_query(&wl_events, BPF_RB_RING_SIZE) / 2 &&
	    (bpf_get_prandom_u32() & 15)) {
		st->thinned_events += count;
		return NULL;
	}
	return st;
}

/* A record's packet or connection: its protocols, interface and ends (a pair's: client first). */
static __always_inline void wl_event_ends(struct wl_event *e, __u16 l3_proto, __u8 l4_proto,
					  __u32 ifindex, __u8 netns_id, __u16 src_port,
					  __u16 dst_port, const __u8 *src_addr,
					  const __u8 *dst_addr)
{
	e->l3_proto = l3_proto;
	e->l4_proto = l4_proto;
	e->ifindex = ifindex;
	e->netns_id = netns_id;
	e->src_port = src_port;
	e->dst_port = dst_port;
	__builtin_memcpy(e->src_addr, src_addr, 16);
	__builtin_memcpy(e->dst_addr, dst_addr, 16);
}

/* The engine's response run (s->resp) as a pair record. Global: verified once per program. */
__noinline int wl_log_pair_g(struct wl_l7_state *s)
{
	struct wl_log_stats *st;
	struct wl_l7_run *r;
	struct wl_event *e;

	if (!s)
		return 0;
	r = &s->resp;
	st = wl_log_admit(WL_LOG_PAIRS, s->job.l7_proto, r->count, wl_l7_now(s));
	if (!st)
		return 0;
	e = bpf_ringbuf_reserve(&wl_events, sizeof(*e), 0);
	if (!e) {
		st->lost_records++;
		st->lost_events += r->count;
		return 0;
	}
	e->ts_ns = wl_l7_now(s);
	e->kind = WL_EV_PAIR;
	e->hook = WL_EV_HOOK;
	e->l7_proto = s->job.l7_proto;
	e->cmd_id = r->id;
	wl_event_ends(e, s->job.ckey.l3_proto, s->job.ckey.l4_proto, s->job.ckey.ifindex,
		      s->job.ckey.netns_id, s->job.ckey.client_port, s->job.ckey.server_port,
		      s->job.ckey.client_addr, s->job.ckey.server_addr);
	e->count = r->count;
	e->errors = r->errors;
	e->misses = r->misses;
	e->bytes = r->bytes > 0xffffffffULL ? 0xffffffffu : (__u32)r->bytes;
	e->latency_ns = r->lat_ns;
	e->outcome = 0;
	__builtin_memset(e->pad, 0, sizeof(e->pad));
	bpf_ringbuf_submit(e, 0);
	st->records++;
	st->events += r->count;
	return 0;
}

/* One packet and its outcome (m as far as parsing got). Global: verified once per program. */
__noinline int wl_log_packet_g(const struct wl_meta *m, __u32 len, __u32 outcome)
{
	struct wl_log_stats *st;
	struct wl_event *e;

	if (!m)
		return 0;
	st = wl_log_admit(WL_LOG_PACKETS, 0, 1, m->now);
	if (!st)
		return 0;
	e = bpf_ringbuf_reserve(&wl_events, sizeof(*e), 0);
	if (!e) {
		st->lost_records++;
		st->lost_events++;
		return 0;
	}
	e->ts_ns = m->now;
	e->kind = WL_EV_PACKET;
	e->hook = WL_EV_HOOK;
	e->l7_proto = 0;
	e->cmd_id = 0;
	wl_event_ends(e, m->key.l3_proto, m->key.l4_proto, m->key.ifindex, m->key.netns_id,
		      m->key.src_port, m->key.dst_port, m->key.src_addr, m->key.dst_addr);
	e->count = 1;
	e->errors = 0;
	e->misses = 0;
	e->bytes = len;
	e->latency_ns = 0;
	e->outcome = outcome;
	__builtin_memset(e->pad, 0, sizeof(e->pad));
	bpf_ringbuf_submit(e, 0);
	st->records++;
	st->events++;
	return 0;
}

/* From the main path, once per packet: only a lookup and a test while nobody reads packets. */
static __always_inline void wl_log_packet(const struct wl_pkt *p, const struct wl_meta *m,
					  int outcome)
{
	struct wl_log_cfg *cfg;
	__u32 zero = 0;

	cfg = bpf_map_lookup_elem(&wl_log_cfg, &zero);
	if (cfg && (cfg->flags & WL_LOG_PACKETS))
		wl_log_packet_g(m, p->len, outcome);
}

#endif /* WL_PARSE_EVENTS_H */
