// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Where the L2-L4 time goes: XDP programs that each add one piece of wl_process() (the real
 * parse/ code, compiled here with its own private maps), measured by `make bench` with
 * test_run repeat on the same frame as the full program. Each program returns XDP_PASS.
 */
#define WL_HOOK_XDP
#include "../parse/path.h"

/* The flow table as a per-CPU LRU, to compare with the shared LRU of wl_flows. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_PERCPU_HASH);
	__uint(max_entries, WL_FLOWS_DEFAULT);
	__type(key, struct wl_flow_key);
	__type(value, struct wl_flow_stats);
} pc_flows SEC(".maps");

/* The same, a plain hash (no LRU bookkeeping on lookup). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, WL_FLOWS_DEFAULT);
	__type(key, struct wl_flow_key);
	__type(value, struct wl_flow_stats);
} h_flows SEC(".maps");

volatile __u64 sink;

/* The outcome counter, its index bounded as wl_process bounds it (6.1/6.12 and clang). */
static __always_inline void count_outcome(struct wl_counters *cnt, int out)
{
	if (out > 0 && out < WL_OUT_END) {
		__u64 i = out;

		asm volatile("%0 &= 15" : "+r"(i));
		((__u64 *)cnt)[i]++;
	}
}

/*
 * 100k flows with repeat: the flow is chosen per run by a per-CPU counter, so consecutive runs
 * hit different entries of a table user space filled with ROT_FLOWS keys (source address
 * 198.18.0.0 + i, everything else from the frame). p_rot_parse is the same without the flow
 * update: the difference is the flow accounting's cost over a 100k-entry table.
 */
#define ROT_FLOWS 100000
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} rot_idx SEC(".maps");

static __always_inline int rotate(struct wl_meta *m)
{
	__u32 zero = 0, *i = bpf_map_lookup_elem(&rot_idx, &zero);
	__u32 a;

	if (!i)
		return -1;
	/* a stride co-prime to ROT_FLOWS walks all entries in an order the cache cannot guess */
	*i = (*i + 7919) % ROT_FLOWS;
	a = bpf_htonl(0xC6120000 + *i);
	__builtin_memcpy(m->key.src_addr, &a, 4);
	return 0;
}

/*
 * A per-CPU direct-mapped flow cache in front of wl_flows (p_fcache, p_rot_fcache; measured,
 * not shipped): slot = a cheap hash of the key; a hit adds to the slot without atomics or a
 * hash lookup, a miss folds the slot's deltas into wl_flows and takes the slot (the packet goes
 * to wl_flows). User space would add every CPU's deltas to the flows it shows.
 */
#define FC_BITS	 12
#define FC_SLOTS (1 << FC_BITS)
struct fc_slot {
	struct wl_flow_key key;
	struct wl_flow_stats d; /* deltas not yet in wl_flows */
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, FC_SLOTS);
	__type(key, __u32);
	__type(value, struct fc_slot);
} fc_cache SEC(".maps");

/* Both directions of a connection in different slots: the source address words turned. */
static __always_inline __u32 fc_hash(const struct wl_flow_key *k)
{
	const __u32 *w = (const __u32 *)k;
	__u32 src = w[4] ^ w[5] ^ w[6] ^ w[7], dst = w[8] ^ w[9] ^ w[10] ^ w[11];
	__u32 h = w[0] ^ w[1] ^ w[2] ^ w[3] ^ (src << 7 | src >> 25) ^ dst;

	return (h * 0x9E3779B1u) >> (32 - FC_BITS);
}

static __always_inline int fc_key_eq(const struct wl_flow_key *a, const struct wl_flow_key *b)
{
	const __u64 *x = (const __u64 *)a, *y = (const __u64 *)b;

	return !((x[0] ^ y[0]) | (x[1] ^ y[1]) | (x[2] ^ y[2]) | (x[3] ^ y[3]) | (x[4] ^ y[4]) |
		 (x[5] ^ y[5]));
}

static __always_inline int fc_account(const struct wl_pkt *p, struct wl_meta *m)
{
	__u32 idx = fc_hash(&m->key);
	struct wl_flow_stats *st;
	struct fc_slot *s;
	__u64 before;

	s = bpf_map_lookup_elem(&fc_cache, &idx);
	if (!s)
		return WL_OUT_MAP_FULL;
	if (fc_key_eq(&s->key, &m->key)) { /* an empty slot's key is zero: never a packet's */
		s->d.packets += p->gso_segs;
		s->d.bytes += p->len;
		s->d.last_seen_ns = m->now;
		if (m->tcp_flags & (WL_TCP_SYN | WL_TCP_FIN | WL_TCP_RST)) {
			s->d.tcp_syn += !!(m->tcp_flags & WL_TCP_SYN);
			s->d.tcp_fin += !!(m->tcp_flags & WL_TCP_FIN);
			s->d.tcp_rst += !!(m->tcp_flags & WL_TCP_RST);
		}
		return WL_OUT_ACCOUNTED;
	}
	if (s->d.packets) { /* conflict: fold the slot into wl_flows */
		st = bpf_map_lookup_elem(&wl_flows, &s->key);
		if (st) {
			__sync_fetch_and_add(&st->packets, s->d.packets);
			__sync_fetch_and_add(&st->bytes, s->d.bytes);
			st->last_seen_ns = s->d.last_seen_ns;
			if (s->d.tcp_syn | s->d.tcp_fin | s->d.tcp_rst) {
				__sync_fetch_and_add(&st->tcp_syn, s->d.tcp_syn);
				__sync_fetch_and_add(&st->tcp_fin, s->d.tcp_fin);
				__sync_fetch_and_add(&st->tcp_rst, s->d.tcp_rst);
			}
		}
	}
	__builtin_memcpy(&s->key, &m->key, sizeof(s->key));
	__builtin_memset(&s->d, 0, sizeof(s->d));
	return wl_flow_account(p, m, &before);
}

/* Counters and L2-L4 parsing, then as `how` says: FLOW the coarse clock and the flow accounting
 * as wl_process does them (no L7 hand-off), ROTATE the flow key first (100k flows in turn),
 * CACHE through the per-CPU flow cache. Returns the outcome (counted). */
#define FLOW   1
#define ROTATE 2
#define CACHE  4
static __always_inline int l2l4_path(struct xdp_md *ctx, struct wl_meta *m, struct wl_pkt *p,
				     __u64 *before, int how)
{
	struct wl_counters *cnt;
	__u32 zero = 0;
	int out;

	cnt = bpf_map_lookup_elem(&wl_counters, &zero);
	if (!cnt)
		return -1;
	wl_pkt_init(ctx, p);
	cnt->seen++;
	m->key.ifindex = p->ifindex;
	if (how & FLOW)
		m->now = bpf_ktime_get_coarse_ns();
	out = wl_parse_l2l4(ctx, p, m, cnt);
	if (!out && (how & ROTATE) && rotate(m))
		out = -1;
	if (!out && (how & FLOW))
		out = how & CACHE ? fc_account(p, m) : wl_flow_account(p, m, before);
	count_outcome(cnt, out);
	return out;
}

static __always_inline int parse_only(struct xdp_md *ctx, struct wl_meta *m, struct wl_pkt *p)
{
	__u64 before;

	return l2l4_path(ctx, m, p, &before, 0);
}

/* 1. one helper call each: the clocks and the XDP buffer length */
SEC("xdp.frags")
int p_ktime(struct xdp_md *ctx)
{
	sink = bpf_ktime_get_ns();
	return XDP_PASS;
}

SEC("xdp.frags")
int p_coarse(struct xdp_md *ctx)
{
	sink = bpf_ktime_get_coarse_ns();
	return XDP_PASS;
}

SEC("xdp.frags")
int p_buff_len(struct xdp_md *ctx)
{
	sink = bpf_xdp_get_buff_len(ctx);
	return XDP_PASS;
}

/* 2. counters lookup + L2-L4 parse (no flow) */
SEC("xdp.frags")
int p_parse(struct xdp_md *ctx)
{
	struct wl_meta m = {};
	struct wl_pkt p;

	parse_only(ctx, &m, &p);
	return XDP_PASS;
}

/* 3. + flow lookup in the shared LRU (insert once), plain (non-atomic) updates */
SEC("xdp.frags")
int p_lru_plain(struct xdp_md *ctx)
{
	struct wl_flow_stats *st, init = {};
	struct wl_meta m = {};
	struct wl_pkt p;

	if (parse_only(ctx, &m, &p))
		return XDP_PASS;
	st = bpf_map_lookup_elem(&wl_flows, &m.key);
	if (!st) {
		bpf_map_update_elem(&wl_flows, &m.key, &init, BPF_NOEXIST);
		return XDP_PASS;
	}
	st->packets++;
	st->bytes += p.len;
	return XDP_PASS;
}

/* 4. + the two atomic adds of wl_flow_account */
SEC("xdp.frags")
int p_lru_atomic(struct xdp_md *ctx)
{
	struct wl_flow_stats *st, init = {};
	struct wl_meta m = {};
	struct wl_pkt p;

	if (parse_only(ctx, &m, &p))
		return XDP_PASS;
	st = bpf_map_lookup_elem(&wl_flows, &m.key);
	if (!st) {
		bpf_map_update_elem(&wl_flows, &m.key, &init, BPF_NOEXIST);
		return XDP_PASS;
	}
	__sync_fetch_and_add(&st->packets, 1);
	__sync_fetch_and_add(&st->bytes, p.len);
	return XDP_PASS;
}

/* 5. per-CPU LRU instead, plain updates (no atomics needed: the entry is this CPU's) */
SEC("xdp.frags")
int p_pcpu_lru(struct xdp_md *ctx)
{
	struct wl_flow_stats *st, init = {};
	struct wl_meta m = {};
	struct wl_pkt p;

	if (parse_only(ctx, &m, &p))
		return XDP_PASS;
	st = bpf_map_lookup_elem(&pc_flows, &m.key);
	if (!st) {
		bpf_map_update_elem(&pc_flows, &m.key, &init, BPF_NOEXIST);
		return XDP_PASS;
	}
	st->packets++;
	st->bytes += p.len;
	return XDP_PASS;
}

/* 6. plain hash instead of LRU, atomic updates */
SEC("xdp.frags")
int p_hash(struct xdp_md *ctx)
{
	struct wl_flow_stats *st, init = {};
	struct wl_meta m = {};
	struct wl_pkt p;

	if (parse_only(ctx, &m, &p))
		return XDP_PASS;
	st = bpf_map_lookup_elem(&h_flows, &m.key);
	if (!st) {
		bpf_map_update_elem(&h_flows, &m.key, &init, BPF_NOEXIST);
		return XDP_PASS;
	}
	__sync_fetch_and_add(&st->packets, 1);
	__sync_fetch_and_add(&st->bytes, p.len);
	return XDP_PASS;
}

#define L2L4_PROG(name, how)                                                                       \
	SEC("xdp.frags")                                                                           \
	int name(struct xdp_md *ctx)                                                               \
	{                                                                                          \
		struct wl_meta m = {};                                                             \
		struct wl_pkt p;                                                                   \
		__u64 before;                                                                      \
                                                                                                   \
		l2l4_path(ctx, &m, &p, &before, how);                                              \
		return XDP_PASS;                                                                   \
	}

/* 7. the L2-L4 path as wl_process runs it, without the L7 hand-off; the same through the flow
 * cache: a hit once the slot is this flow's */
L2L4_PROG(p_l2l4, FLOW)
L2L4_PROG(p_fcache, FLOW | CACHE)

SEC("xdp.frags")
int p_rot_parse(struct xdp_md *ctx)
{
	struct wl_meta m = {};
	struct wl_pkt p;

	if (parse_only(ctx, &m, &p))
		return XDP_PASS;
	m.now = bpf_ktime_get_coarse_ns();
	rotate(&m);
	sink = m.key.src_addr[3];
	return XDP_PASS;
}

/* 100k flows in turn; through the cache every packet is a conflict (fold + wl_flows) */
L2L4_PROG(p_rot_l2l4, FLOW | ROTATE)
L2L4_PROG(p_rot_fcache, FLOW | ROTATE | CACHE)

/*
 * 9. A TCP segment with payload to a port no protocol claims, piece by piece: the L2-L4 path,
 * + the ports map lookups of wl_l7_classify, + the 16-byte head copy, + the sniff chain
 * (the whole of wl_l7_classify).
 */
static __always_inline __u32 payload_of(const struct wl_pkt *p, const struct wl_meta *m)
{
	return m->l3_end > m->payload_off && m->l3_end <= p->len ? m->l3_end - m->payload_off : 0;
}

SEC("xdp.frags")
int p_tcp_ports(struct xdp_md *ctx)
{
	__u32 dport, sport;
	struct wl_meta m = {};
	struct wl_pkt p;
	__u64 before;
	__u8 *v, *w;

	if (l2l4_path(ctx, &m, &p, &before, FLOW) != WL_OUT_ACCOUNTED)
		return XDP_PASS;
	dport = m.key.dst_port;
	sport = m.key.src_port;
	v = bpf_map_lookup_elem(&wl_ports, &dport);
	w = bpf_map_lookup_elem(&wl_ports, &sport);
	sink = (v ? *v : 0) + (w ? *w : 0) + payload_of(&p, &m);
	return XDP_PASS;
}

SEC("xdp.frags")
int p_tcp_head(struct xdp_md *ctx)
{
	struct wl_l7_head head = {};
	struct wl_meta m = {};
	struct wl_pkt p;
	__u64 before;

	if (l2l4_path(ctx, &m, &p, &before, FLOW) != WL_OUT_ACCOUNTED || payload_of(&p, &m) < 16)
		return XDP_PASS;
	if (wl_load_bytes(ctx, m.payload_off, head.b, 16))
		return XDP_PASS;
	sink = head.b[3];
	return XDP_PASS;
}

SEC("xdp.frags")
int p_tcp_classify(struct xdp_md *ctx)
{
	struct wl_meta m = {};
	struct wl_pkt p;
	__u64 before;
	__u8 dir = 0;

	if (l2l4_path(ctx, &m, &p, &before, FLOW) != WL_OUT_ACCOUNTED)
		return XDP_PASS;
	sink = wl_l7_classify(ctx, &m, payload_of(&p, &m), &dir, 1);
	return XDP_PASS;
}

/* 8. everything (the real entry point's body) */
SEC("xdp.frags")
int p_full(struct xdp_md *ctx)
{
	return wl_process(ctx);
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
