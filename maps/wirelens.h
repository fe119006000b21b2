/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The wirelens ABI: every key and value shared between the BPF programs and user space, and
 * (for BPF only) the map definitions. Fixed-width types, explicit padding, sizes asserted, so
 * that BTF makes `bpftool map dump` print named fields and an old pin is never misread.
 */
#ifndef WIRELENS_MAPS_H
#define WIRELENS_MAPS_H

#ifndef __bpf__
#include <linux/types.h>
#include <stddef.h>
#endif

/* Bump on any incompatible layout change: pins live under a versioned directory. */
#define WL_ABI_VERSION 1
#define WL_PIN_ROOT    "/sys/fs/bpf/wirelens"
#define WL_PIN_DIR     WL_PIN_ROOT "/v1"

#define WL_FLOWS_DEFAULT 65536 /* flow table entries; the loader may change it at load time */
#define WL_FRAGS_MAX     4096  /* IP fragment trains remembered to attribute later fragments */

#define WL_ASSERT_SIZE(type, size)                                                                 \
	_Static_assert(sizeof(type) == (size), #type " size is part of the ABI")

/*
 * Flow key: one direction of one conversation as seen on one interface.
 * IPv4 addresses occupy the first four bytes of the 16-byte fields, the rest is zero.
 * ICMP/ICMPv6: src_port is the echo identifier (0 otherwise), dst_port is type << 8 | code.
 */
struct wl_flow_key {
	__u32 ifindex;
	__u16 vlan_outer; /* VLAN id of the outer tag, 0 when untagged */
	__u16 vlan_inner; /* VLAN id of the inner (QinQ) tag, 0 when none */
	__u16 l3_proto;   /* ETH_P_IP or ETH_P_IPV6, host byte order */
	__u8 l4_proto;    /* IPPROTO_* */
	__u8 pad;
	__u16 src_port; /* host byte order */
	__u16 dst_port;
	__u8 src_addr[16];
	__u8 dst_addr[16];
};
WL_ASSERT_SIZE(struct wl_flow_key, 48);

/* Flow value. Times are CLOCK_MONOTONIC nanoseconds (bpf_ktime_get_ns). Bytes are L2 bytes on
 * the wire without FCS; a TC GSO super-packet counts as the segments it becomes. */
struct wl_flow_stats {
	__u64 packets;
	__u64 bytes;
	__u64 first_seen_ns;
	__u64 last_seen_ns;
	__u32 tcp_syn;
	__u32 tcp_fin;
	__u32 tcp_rst;
	__u32 fragments; /* IP fragments (first and later) counted in this flow */
};
WL_ASSERT_SIZE(struct wl_flow_stats, 48);

/* A fragment train (same addresses, protocol and IP id): remembers the flow of its first
 * fragment so that later fragments, which carry no ports, land in the same flow. */
struct wl_frag_key {
	__u32 ifindex;
	__u32 id; /* IPv4 identification (16 bits) or IPv6 fragment identification */
	__u16 l3_proto;
	__u8 l4_proto;
	__u8 pad;
	__u16 vlan_outer;
	__u16 vlan_inner;
	__u8 src_addr[16];
	__u8 dst_addr[16];
};
WL_ASSERT_SIZE(struct wl_frag_key, 48);

/*
 * Global counters, one per-CPU array entry. The first block are outcomes: every packet the
 * program sees lands in exactly one of them, so seen == sum of outcomes. The second block are
 * facts about packets (any outcome) that help compare with other tools.
 * A TC GSO super-packet counts once here (it is one packet for the program).
 */
struct wl_counters {
	__u64 seen;
	/* outcomes */
	__u64 accounted;      /* added to a flow */
	__u64 non_ip;         /* ethertype is neither IPv4 nor IPv6 (ARP, LLDP, ...) */
	__u64 truncated_l2;   /* Ethernet or VLAN header cut short */
	__u64 truncated_l3;   /* IP header (or its options/extensions) cut short */
	__u64 truncated_l4;   /* TCP/UDP/ICMP header cut short */
	__u64 bad_l4;         /* TCP data offset below 5 words */
	__u64 bad_l3;         /* IPv4 IHL < 5, total length below header, wrong version */
	__u64 bad_ipv6_chain; /* IPv6 extension chain too long to walk */
	__u64 vlan_too_deep;  /* more than two VLAN tags */
	__u64 frag_unmatched; /* later fragment whose first fragment was not seen */
	__u64 map_full;       /* a new flow could not be inserted */
	/* facts */
	__u64 ipv4;
	__u64 ipv6;
	__u64 vlan_tagged; /* at least one tag (in the packet or in skb metadata) */
	__u64 qinq;        /* two tags */
	__u64 frag_v4;     /* IPv4 MF set or offset > 0 */
	__u64 frag_v6;     /* IPv6 fragment header present */
	__u64 tcp;
	__u64 udp;
	__u64 icmp; /* ICMP and ICMPv6 */
	__u64 l4_other;
	__u64 gso_packets; /* TC: super-packets counted as their segments in flows */
};
WL_ASSERT_SIZE(struct wl_counters, 23 * 8);

/* Outcome indexes, in the order of struct wl_counters, so BPF can bump one by index. */
enum wl_outcome {
	WL_OUT_ACCOUNTED = 1,
	WL_OUT_NON_IP,
	WL_OUT_TRUNCATED_L2,
	WL_OUT_TRUNCATED_L3,
	WL_OUT_TRUNCATED_L4,
	WL_OUT_BAD_L4,
	WL_OUT_BAD_L3,
	WL_OUT_BAD_IPV6_CHAIN,
	WL_OUT_VLAN_TOO_DEEP,
	WL_OUT_FRAG_UNMATCHED,
	WL_OUT_MAP_FULL,
	WL_OUT_END,
};
_Static_assert(__builtin_offsetof(struct wl_counters, accounted) == WL_OUT_ACCOUNTED * 8, "outcome order");
_Static_assert(__builtin_offsetof(struct wl_counters, map_full) == WL_OUT_MAP_FULL * 8, "outcome order");
_Static_assert(__builtin_offsetof(struct wl_counters, ipv4) == WL_OUT_END * 8, "outcome block end");

#ifdef __bpf__
/* Map definitions: BPF side only. The loader pins each by name under WL_PIN_DIR. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, WL_FLOWS_DEFAULT);
	__type(key, struct wl_flow_key);
	__type(value, struct wl_flow_stats);
} wl_flows SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct wl_counters);
} wl_counters SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, WL_FRAGS_MAX);
	__type(key, struct wl_frag_key);
	__type(value, struct wl_flow_key);
} wl_frags SEC(".maps");
#endif /* __bpf__ */

#endif /* WIRELENS_MAPS_H */
