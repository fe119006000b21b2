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

/* Counters and L2-L4 parsing, then as `how` says: FLOW the coarse clock and the flow accounting
 * as wl_process does them (no L7 hand-off), ROTATE the flow key first (100k flows in turn),
 * SHARED without the flow cache (every packet to wl_flows, as before map ABI v6). Returns the
 * outcome (counted). */
#define FLOW   1
#define ROTATE 2
#define SHARED 4
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
		out = how & SHARED ? wl_flow_account_shared(p, m, p->len, before)
				   : wl_flow_account(p, m, before);
	count_outcome(cnt, out);
	return out;
}

static __always_inline int parse_only(struct xdp_md *ctx, struct wl_meta *m, struct wl_pkt *p)
{
	__u64 before;

	return l2l4_path(ctx, m, p, &before, 0);
}

/* Parse (ROTATE: then the 100k-flow key), look the flow up in map (insert it once), add the
 * packet with atomic adds (ATOMIC) or plain ones. */
#define ATOMIC 8
static __always_inline int lookup_add(struct xdp_md *ctx, void *map, int how)
{
	struct wl_flow_stats *st, init = {};
	struct wl_meta m = {};
	struct wl_pkt p;

	if (parse_only(ctx, &m, &p) || ((how & ROTATE) && rotate(&m)))
		return XDP_PASS;
	st = bpf_map_lookup_elem(map, &m.key);
	if (!st) {
		bpf_map_update_elem(map, &m.key, &init, BPF_NOEXIST);
		return XDP_PASS;
	}
	if (how & ATOMIC) {
		__sync_fetch_and_add(&st->packets, 1);
		__sync_fetch_and_add(&st->bytes, p.len);
	} else {
		st->packets++;
		st->bytes += p.len;
	}
	return XDP_PASS;
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
	return lookup_add(ctx, &wl_flows, 0);
}

/* 4. + the two atomic adds of wl_flow_account */
SEC("xdp.frags")
int p_lru_atomic(struct xdp_md *ctx)
{
	return lookup_add(ctx, &wl_flows, ATOMIC);
}

/* 5. per-CPU LRU instead, plain updates (no atomics needed: the entry is this CPU's) */
SEC("xdp.frags")
int p_pcpu_lru(struct xdp_md *ctx)
{
	return lookup_add(ctx, &pc_flows, 0);
}

/* 6. plain hash instead of LRU, atomic updates */
SEC("xdp.frags")
int p_hash(struct xdp_md *ctx)
{
	return lookup_add(ctx, &h_flows, ATOMIC);
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

/* 7. the L2-L4 path as wl_process runs it, without the L7 hand-off (through the flow cache: a
 * hit once the slot is this flow's); the same with every packet to wl_flows */
L2L4_PROG(p_l2l4, FLOW)
L2L4_PROG(p_shared, FLOW | SHARED)

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

/* 100k flows in turn: every packet misses the flow cache (and, its slot taken recently, does
 * not take it); the same without the cache */
L2L4_PROG(p_rot_l2l4, FLOW | ROTATE)
L2L4_PROG(p_rot_shared, FLOW | ROTATE | SHARED)

/*
 * Levers for the flow lookup, measured beside the path (none shipped; bench table 1 and the
 * 100k rows say why): an IPv4 flow table with a 24-byte key (the ABI's key is 48 bytes for
 * IPv4 and IPv6 alike: jhash of 12 words, a 48-byte compare, a 144-byte table entry; 24 bytes
 * is 6 words, a 120-byte entry: an ABI change, so measured only), the per-CPU LRU (plain adds,
 * no atomics; 48 B x entries per CPU), and the floor of one random 144-byte element (an array:
 * no bucket, no key compare) for the cache-cold rows.
 */
struct flow_key4 {
	__u32 ifindex;
	__u16 vlan_outer, vlan_inner;
	__u8 l4_proto, netns_id;
	__u16 src_port, dst_port;
	__u16 pad;
	__u32 src_addr, dst_addr;
};
_Static_assert(sizeof(struct flow_key4) == 24, "a 24-byte IPv4 key");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 131072);
	__type(key, struct flow_key4);
	__type(value, struct wl_flow_stats);
} flows4 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_PERCPU_HASH);
	__uint(max_entries, 131072);
	__type(key, struct wl_flow_key);
	__type(value, struct wl_flow_stats);
} pc_rot_flows SEC(".maps");

struct elem144 {
	__u64 w[18];
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, ROT_FLOWS);
	__type(key, __u32);
	__type(value, struct elem144);
} rot_elems SEC(".maps");

/* A 16-byte key (addresses, ports, ifindex: no room for the protocol, VLANs or namespace),
 * to show what the key's size costs the lookup. */
struct flow_key16 {
	__u32 src_addr, dst_addr, ports, ifindex;
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 131072);
	__type(key, struct flow_key16);
	__type(value, struct wl_flow_stats);
} flows16 SEC(".maps");

/* wl_flow_account's lookup, insert and adds (and the clock) over a table of another key */
static __always_inline int small_key_account(struct xdp_md *ctx, int rot, int k16)
{
	struct wl_flow_stats *st, init = {.packets = 1};
	struct flow_key16 s = {};
	struct flow_key4 k = {};
	struct wl_meta m = {};
	struct wl_pkt p;

	if (parse_only(ctx, &m, &p) || (rot && rotate(&m)))
		return XDP_PASS;
	m.now = bpf_ktime_get_coarse_ns();
	if (k16) {
		__builtin_memcpy(&s.src_addr, m.key.src_addr, 4);
		__builtin_memcpy(&s.dst_addr, m.key.dst_addr, 4);
		s.ports = (__u32)m.key.src_port << 16 | m.key.dst_port;
		s.ifindex = m.key.ifindex;
		st = bpf_map_lookup_elem(&flows16, &s);
	} else {
		k.ifindex = m.key.ifindex;
		k.vlan_outer = m.key.vlan_outer;
		k.vlan_inner = m.key.vlan_inner;
		k.l4_proto = m.key.l4_proto;
		k.netns_id = m.key.netns_id;
		k.src_port = m.key.src_port;
		k.dst_port = m.key.dst_port;
		__builtin_memcpy(&k.src_addr, m.key.src_addr, 4);
		__builtin_memcpy(&k.dst_addr, m.key.dst_addr, 4);
		st = bpf_map_lookup_elem(&flows4, &k);
	}
	if (!st) {
		if (k16)
			bpf_map_update_elem(&flows16, &s, &init, BPF_NOEXIST);
		else
			bpf_map_update_elem(&flows4, &k, &init, BPF_NOEXIST);
		return XDP_PASS;
	}
	sink = __sync_fetch_and_add(&st->packets, 1);
	__sync_fetch_and_add(&st->bytes, p.len);
	st->last_seen_ns = m.now;
	return XDP_PASS;
}

SEC("xdp.frags")
int p_key24(struct xdp_md *ctx)
{
	return small_key_account(ctx, 0, 0);
}

SEC("xdp.frags")
int p_key16(struct xdp_md *ctx)
{
	return small_key_account(ctx, 0, 1);
}

SEC("xdp.frags")
int p_rot_key24(struct xdp_md *ctx)
{
	return small_key_account(ctx, 1, 0);
}

SEC("xdp.frags")
int p_rot_pcpu(struct xdp_md *ctx)
{
	return lookup_add(ctx, &pc_rot_flows, ROTATE);
}

SEC("xdp.frags")
int p_rot_elem(struct xdp_md *ctx)
{
	struct wl_meta m = {};
	struct elem144 *e;
	struct wl_pkt p;
	__u32 i;

	if (parse_only(ctx, &m, &p) || rotate(&m))
		return XDP_PASS;
	i = bpf_ntohl(*(__u32 *)m.key.src_addr) - 0xC6120000;
	e = bpf_map_lookup_elem(&rot_elems, &i);
	if (e)
		__sync_fetch_and_add(&e->w[9], 1);
	return XDP_PASS;
}

/*
 * Churn: 100k flows in turn over a 32k-entry LRU (every packet inserts and evicts), with the
 * shared LRU list of wl_flows and with BPF_F_NO_COMMON_LRU (per-CPU lists: an entry is evicted
 * only by the CPU that inserted it, so one busy CPU gets 1/N of the table).
 */
#define CHURN_FLOWS 32768
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, CHURN_FLOWS);
	__type(key, struct wl_flow_key);
	__type(value, struct wl_flow_stats);
} churn_common SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, CHURN_FLOWS);
	__uint(map_flags, BPF_F_NO_COMMON_LRU);
	__type(key, struct wl_flow_key);
	__type(value, struct wl_flow_stats);
} churn_percpu SEC(".maps");

SEC("xdp.frags")
int p_churn_common(struct xdp_md *ctx)
{
	return lookup_add(ctx, &churn_common, ROTATE | ATOMIC);
}

SEC("xdp.frags")
int p_churn_percpu(struct xdp_md *ctx)
{
	return lookup_add(ctx, &churn_percpu, ROTATE | ATOMIC);
}

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
