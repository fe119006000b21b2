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

static __always_inline int parse_only(struct xdp_md *ctx, struct wl_meta *m, struct wl_pkt *p)
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
	out = wl_parse_l2l4(ctx, p, m, cnt);
	count_outcome(cnt, out);
	return out;
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

/* 7. the L2-L4 path as wl_process runs it, without the L7 hand-off */
SEC("xdp.frags")
int p_l2l4(struct xdp_md *ctx)
{
	struct wl_meta m = {};
	struct wl_counters *cnt;
	struct wl_pkt p;
	__u32 zero = 0;
	int out;

	cnt = bpf_map_lookup_elem(&wl_counters, &zero);
	if (!cnt)
		return XDP_PASS;
	wl_pkt_init(ctx, &p);
	cnt->seen++;
	m.key.ifindex = p.ifindex;
	m.now = bpf_ktime_get_coarse_ns();
	out = wl_parse_l2l4(ctx, &p, &m, cnt);
	if (!out)
		out = wl_flow_account(&p, &m);
	count_outcome(cnt, out);
	return XDP_PASS;
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

SEC("xdp.frags")
int p_rot_l2l4(struct xdp_md *ctx)
{
	struct wl_meta m = {};
	struct wl_counters *cnt;
	struct wl_pkt p;
	__u32 zero = 0;
	int out;

	cnt = bpf_map_lookup_elem(&wl_counters, &zero);
	if (!cnt)
		return XDP_PASS;
	wl_pkt_init(ctx, &p);
	cnt->seen++;
	m.key.ifindex = p.ifindex;
	m.now = bpf_ktime_get_coarse_ns();
	out = wl_parse_l2l4(ctx, &p, &m, cnt);
	if (!out && !rotate(&m))
		out = wl_flow_account(&p, &m);
	count_outcome(cnt, out);
	return XDP_PASS;
}

/* 8. everything (the real entry point's body) */
SEC("xdp.frags")
int p_full(struct xdp_md *ctx)
{
	return wl_process(ctx);
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
