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
#define WL_ABI_VERSION 8
#define WL_PIN_ROOT    "/sys/fs/bpf/wirelens"
#define WL_PIN_DIR     WL_PIN_ROOT "/v6"

#define WL_FLOWS_DEFAULT 65536 /* flow table entries; the loader may change it at load time */
#define WL_FRAGS_MAX	 4096  /* IP fragment trains remembered to attribute later fragments */

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
	__u16 l3_proto;	  /* ETH_P_IP or ETH_P_IPV6, host byte order */
	__u8 l4_proto;	  /* IPPROTO_* */
	__u8 netns_id;	  /* network namespace: 0 wirelens' own, else wl_netns[netns_id] */
	__u16 src_port;	  /* host byte order */
	__u16 dst_port;
	__u8 src_addr[16];
	__u8 dst_addr[16];
};
WL_ASSERT_SIZE(struct wl_flow_key, 48);

/* Flow value. Times are CLOCK_MONOTONIC nanoseconds at tick granularity
 * (bpf_ktime_get_coarse_ns: ~4 ns against ~24 for the precise clock). Bytes are L2 bytes on
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

/*
 * A per-CPU cache of flow deltas in front of wl_flows (wl_flow_cache): a flow's entry in the
 * shared table is written from every CPU its packets run on (a connection's two sides usually
 * run on two), and that cache line moving between CPUs was a third of the L2-L4 cost live. A
 * flow past its first WL_SNIFF_FLOW_PACKETS packets takes the slot its key hashes to on the CPU
 * that sees it; its later packets there add to the slot, and the slot's deltas go into wl_flows
 * (atomic adds) every WL_FLOW_CACHE_FOLD packets, after WL_FLOW_CACHE_FOLD_NS, and when another
 * flow takes the slot (which it may when the slot is free or was not folded in the last
 * WL_FLOW_CACHE_TAKE_STAMPS: a busy flow keeps its slot, and more flows than slots do not take
 * it in turn). wl_flow_tags says, in 8 KB a CPU that stay in the CPU's cache, whose each slot
 * is and when it was last taken or folded: a packet of a flow without a slot reads no slot. So
 * `bpftool map dump` of wl_flows trails by what the slots hold (up to 63 packets of a flow per CPU,
 * or an idle flow's last ones until its slot is reused); wirelens' readers add the slots (flows,
 * exports, top). seq is odd while a fold or take is under way: a reader reads the slot's seq, then
 * its deltas and the flow's entry, then seq again, and retries when seq moved or was odd
 * (loader/flows.c).
 */
#define WL_FLOW_CACHE_BITS	  10
#define WL_FLOW_CACHE_SLOTS	  (1 << WL_FLOW_CACHE_BITS)
#define WL_FLOW_CACHE_FOLD	  64
#define WL_FLOW_CACHE_FOLD_NS	  1000000000ULL
#define WL_FLOW_STAMP_SHIFT	  20  /* wl_flow_tags.stamp: coarse ns >> 20, units of ~1.05 ms */
#define WL_FLOW_CACHE_TAKE_STAMPS 100 /* a slot taken or folded this recently (~105 ms) stays */
struct wl_flow_slot {
	struct wl_flow_key key; /* whose deltas; l3_proto 0: a free slot */
	__u64 packets;		/* deltas not yet in wl_flows */
	__u64 bytes;
	__u64 last_seen_ns;
	__u32 tcp_syn;
	__u32 tcp_fin;
	__u32 tcp_rst;
	__u32 fragments;
	__u64 base;	 /* the flow's packets before the deltas (content sniffing's count) */
	__u64 folded_ns; /* when the deltas last went into wl_flows (or the slot was taken) */
	__u32 seq;	 /* odd while a fold or take is under way */
	__u32 n;	 /* packets since then */
};
WL_ASSERT_SIZE(struct wl_flow_slot, 112);

/* Per CPU, beside wl_flow_cache: each slot's tag (its key's wl_flow_hash | 1; 0: free) and
 * stamp (when it was last taken or folded, in WL_FLOW_STAMP_SHIFT units). */
struct wl_flow_tags {
	__u32 tag[WL_FLOW_CACHE_SLOTS];
	__u32 stamp[WL_FLOW_CACHE_SLOTS];
};
WL_ASSERT_SIZE(struct wl_flow_tags, 8 * WL_FLOW_CACHE_SLOTS);

/* A key's hash (BPF and readers): a multiplicative hash of its words, the source address turned
 * so that a conversation's two directions differ. Its top bits are the key's slot. */
static inline __u32 wl_flow_hash(const struct wl_flow_key *k)
{
	const __u32 *w = (const __u32 *)k;
	__u32 src = w[4] ^ w[5] ^ w[6] ^ w[7], dst = w[8] ^ w[9] ^ w[10] ^ w[11];
	__u32 h = w[0] ^ w[1] ^ w[2] ^ w[3] ^ (src << 7 | src >> 25) ^ dst;

	return h * 0x9E3779B1u;
}

static inline __u32 wl_flow_slot_of(const struct wl_flow_key *k)
{
	return wl_flow_hash(k) >> (32 - WL_FLOW_CACHE_BITS);
}

/* A fragment train (same addresses, protocol and IP id): remembers the flow of its first
 * fragment so that later fragments, which carry no ports, land in the same flow. */
struct wl_frag_key {
	__u32 ifindex;
	__u32 id; /* IPv4 identification (16 bits) or IPv6 fragment identification */
	__u16 l3_proto;
	__u8 l4_proto;
	__u8 netns_id; /* as wl_flow_key.netns_id */
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
	__u64 non_ip;	      /* ethertype is neither IPv4 nor IPv6 (ARP, LLDP, ...) */
	__u64 truncated_l2;   /* Ethernet or VLAN header cut short */
	__u64 truncated_l3;   /* IP header (or its options/extensions) cut short */
	__u64 truncated_l4;   /* TCP/UDP/ICMP header cut short */
	__u64 bad_l4;	      /* TCP data offset below 5 words */
	__u64 bad_l3;	      /* IPv4 IHL < 5, total length below header, wrong version */
	__u64 bad_ipv6_chain; /* IPv6 extension chain too long to walk */
	__u64 vlan_too_deep;  /* more than two VLAN tags */
	__u64 frag_unmatched; /* later fragment whose first fragment was not seen */
	__u64 map_full;	      /* a new flow could not be inserted */
	__u64 denied;	      /* dropped by the filter before any accounting: an L3/L4 rule, the
			       * deny policy, or a connection blocked by an L7 rule */
	/* facts */
	__u64 ipv4;
	__u64 ipv6;
	__u64 vlan_tagged; /* at least one tag (in the packet or in skb metadata) */
	__u64 qinq;	   /* two tags */
	__u64 frag_v4;	   /* IPv4 MF set or offset > 0 */
	__u64 frag_v6;	   /* IPv6 fragment header present */
	__u64 tcp;
	__u64 udp;
	__u64 icmp; /* ICMP and ICMPv6 */
	__u64 l4_other;
	__u64 gso_packets; /* TC: super-packets counted as their segments in flows */
	/* L7 engine (facts, counted per packet or per message as named) */
	__u64 l7_packets;	/* TCP/UDP packets with payload handed to a protocol parser */
	__u64 l7_retransmit;	/* segments (or their parts) already seen: not parsed again */
	__u64 l7_gap;		/* a segment after missing bytes (resynchronised unless absorbed) */
	__u64 l7_resync_skip;	/* segments skipped while looking for a message boundary */
	__u64 l7_malformed;	/* bytes that break the protocol grammar: parser resynchronises */
	__u64 l7_unmatched;	/* responses with no pending request (pushes, lost requests, and
				 * replies to the requests of l7_fifo_overflow) */
	__u64 l7_fifo_overflow; /* requests that found the pending queue full: their replies are
				 * paired (the queue stays in step) but counted as l7_unmatched,
				 * never under a command */
	__u64 l7_conn_full;	/* a connection could not get state */
	__u64 l7_stats_full;	/* a command could not get a stats entry */
	__u64 l7_gap_absorbed;	/* of l7_gap: the missing bytes lay inside a body being skipped */
	__u64 l7_unloaded;	/* packets of a protocol whose program is not loaded (left out by
				 * attach --protocols/--no-l7, or refused by this kernel) */
	__u64 l7_state_lost;	/* a direction's open message lost with its wl_l7_open entry (LRU):
				 * the direction resynchronises */
	/* filter (facts) */
	__u64 l7_denied;    /* packets dropped for carrying a command an L7 rule denies (their
			     * outcome is accounted: the flow saw them before the parser) */
	__u64 conn_blocked; /* of denied: packets of a connection an L7 rule blocked */
	__u64 rst_sent;	    /* TCP resets sent by reject rules */
	/* table churn (facts): `status` shows what was pushed out as inserted - entries left */
	__u64 flows_new;    /* flows inserted into wl_flows */
	__u64 conns_new;    /* connections given L7 state in wl_conns */
	__u64 conns_closed; /* connections whose state was removed at their RST */
};
WL_ASSERT_SIZE(struct wl_counters, 42 * 8);

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
	WL_OUT_DENIED,
	WL_OUT_END,
};
_Static_assert(__builtin_offsetof(struct wl_counters, accounted) == WL_OUT_ACCOUNTED * 8,
	       "outcome order");
_Static_assert(__builtin_offsetof(struct wl_counters, map_full) == WL_OUT_MAP_FULL * 8,
	       "outcome order");
_Static_assert(__builtin_offsetof(struct wl_counters, denied) == WL_OUT_DENIED * 8,
	       "outcome order");
_Static_assert(__builtin_offsetof(struct wl_counters, ipv4) == WL_OUT_END * 8, "outcome block end");

/* ---- L7 engine ---------------------------------------------------------------------------- */

/*
 * The protocol registry: one line per protocol, in sniffing order; everything else (the enum,
 * the BPF programs wl_l7_<name>, the sniff chain, the loader's tables, the test suites) is
 * derived from it. X(name, ENUM, id, flags, default server ports...). A parser is
 * parse/proto_<name>.h with wl_<name>_parse and wl_<name>_sniff; its command names are
 * loader/names/<name>.h (<name>_commands[]); its tests are tests/test_<name>.c
 * (register_<name>_tests). flags: what the engine does for the parser (WL_L7_F_*).
 * The ids are ABI (stats keys, ports map values): never renumber, only append.
 */
/* the parser puts its own requests in the FIFO (wl_fifo_push: not every request is answered,
 * or entries carry more than the command) or matches replies by id (wl_pending_put/take): the
 * engine pushes none for it */
#define WL_L7_F_PUSHES 0x1
/* the parser also runs on a bare FIN (off == end): a message may end at the close */
#define WL_L7_F_AT_FIN 0x2
#define WL_L7_PROTOCOLS(X)                                                                         \
	X(redis, REDIS, 1, 0, 6379)                                                                \
	X(memcached, MEMCACHED, 2, WL_L7_F_PUSHES, 11211)                                          \
	X(http, HTTP, 3, WL_L7_F_AT_FIN, 80, 8080)                                                 \
	X(dns, DNS, 4, WL_L7_F_PUSHES, 53)                                                         \
	X(mysql, MYSQL, 5, WL_L7_F_PUSHES, 3306)                                                   \
	X(postgresql, POSTGRES, 6, WL_L7_F_PUSHES, 5432)                                           \
	X(mongodb, MONGODB, 7, WL_L7_F_PUSHES, 27017)                                              \
	X(kafka, KAFKA, 8, WL_L7_F_PUSHES, 9092)

#define WL_L7_ENUM_ENTRY(name, ENUM, id, ...) WL_L7_##ENUM = id,
enum wl_l7_proto {
	WL_L7_NONE = 0,
	WL_L7_PROTOCOLS(WL_L7_ENUM_ENTRY) WL_L7_PROTO_MAX,
};
#define WL_L7_COUNT_ENTRY(name, ENUM, id, ...) +1
_Static_assert(WL_L7_PROTO_MAX == 1 WL_L7_PROTOCOLS(WL_L7_COUNT_ENTRY),
	       "protocol ids are 1..N without holes");
_Static_assert(WL_L7_PROTO_MAX <= 32, "protocol masks are 32 bits");
/* The protocols whose parser also runs on a bare FIN, as a mask of 1 << id. */
#define WL_L7_AT_FIN_BIT(name, ENUM, id, flags, ...) | ((flags)&WL_L7_F_AT_FIN ? 1u << (id) : 0u)
#define WL_L7_FIN_PROTOS			     (0u WL_L7_PROTOCOLS(WL_L7_AT_FIN_BIT))

#define WL_PORT_LEARNED 0x80 /* wl_ports value bit: learned by sniffing, not configured */

/*
 * Content sniffing's bound (wl_sniff, one entry): a client sending protocol-looking first
 * payloads to every port must not teach the ports map 65,535 ports. A sniff that recognises a
 * protocol on a port no protocol claims learns the port while learned < learn_max; past it the
 * packet is not parsed and counts as refused. The loader sets learn_max at attach
 * (--learned-ports-max, default WL_LEARNED_PORTS_DEFAULT) and recounts learned when `ports`
 * changes the map (a learned port set or unset frees its place).
 */
#define WL_LEARNED_PORTS_DEFAULT 64
struct wl_sniff {
	__u32 learn_max; /* learned ports allowed; 0: sniffing teaches nothing */
	__u32 learned;	 /* wl_ports entries with WL_PORT_LEARNED (may count a port twice when
			  * two CPUs learn it at once: the bound errs on the safe side) */
	__u64 refused;	 /* packets a protocol was recognised in on a port it could not learn */
	__u8 configured; /* learn_max was set (a new map learns nothing until the loader sets it;
			  * an attach without --learned-ports-max keeps what an earlier one set) */
	__u8 pad[7];
};
WL_ASSERT_SIZE(struct wl_sniff, 24);

/*
 * Content sniffing looks at the first WL_SNIFF_FLOW_PACKETS packets of a flow, as its
 * wl_flow_stats.packets counts them before the packet (a flow pushed out of wl_flows and seen
 * again starts over). A client's first payload comes within them (SYN, ACK, request; a server
 * that speaks first or a few retransmissions add some); the later packets of a flow to a port
 * no protocol claims skip the payload copy and the protocols' tests. wl_sniff.refused counts
 * only such first packets.
 */
#define WL_SNIFF_FLOW_PACKETS 16

#define WL_CMD_LEN	 24   /* command name, NUL-padded ("CONFIG|GET", "SELECT", "Produce") */
#define WL_CMD_IDS_MAX	 2048 /* known command names over all protocols */
#define WL_CMD_OTHER	 0    /* id of "OTHER": names not in the table */
#define WL_LAT_BUCKETS	 32   /* log2 ns: bucket b holds [2^b, 2^(b+1)) ns, the last is open */
#define WL_FIFO_LEN	 128  /* pending runs per connection (struct wl_pending), a power of 2 */
#define WL_FIFO_NEAR	 8    /* of them, held in the connection's entry (a power of 2) */
#define WL_CONNS_DEFAULT 32768
#define WL_CMD_STATS_MAX 16384
#define WL_NEST_MAX	 16   /* nesting of replies walked (RESP arrays in arrays ...) */
#define WL_L7_WINDOW	 1024 /* payload bytes copied per parser window */

/* Per-command statistics key: protocol, server, command name. */
struct wl_cmd_key {
	__u8 l7_proto; /* enum wl_l7_proto */
	__u8 netns_id; /* the server's network namespace (wl_flow_key.netns_id) */
	__u16 l3_proto;
	__u16 server_port;
	__u16 pad2;
	__u8 server_addr[16];
	char command[WL_CMD_LEN];
};
WL_ASSERT_SIZE(struct wl_cmd_key, 48);

/* Per-command statistics (per-CPU: user space sums the CPUs). */
struct wl_cmd_stats {
	__u64 requests;
	__u64 responses;
	__u64 errors; /* error replies (Redis -ERR/!..., HTTP 5xx, DNS rcode != 0, ...) */
	__u64 misses; /* not-found answers that are not errors (memcached get misses, HTTP 404) */
	__u64 request_bytes;
	__u64 response_bytes;
	__u64 latency_sum_ns;
	__u64 latency_hist[WL_LAT_BUCKETS];
};
WL_ASSERT_SIZE(struct wl_cmd_stats, (7 + WL_LAT_BUCKETS) * 8);

/*
 * A per-CPU cache of command-statistics deltas in front of wl_cmd_stats (wl_cmd_cache), as
 * wl_flow_cache is for wl_flows: live, the hash lookup of a 48-byte key and the cold lines of a
 * per-CPU hash entry were part of every L7 packet. A (server, command) whose update finds the
 * slot its ident hashes to free, or not folded or taken in the last WL_CMD_CACHE_TAKE_NS, takes
 * it at the end of that packet (that update went to its entry, made then: `bpftool map dump` of
 * wl_cmd_stats lists every command); its later updates on this CPU add to the slot, whose deltas
 * go into the entry (this CPU's value) at the end of the packet that made WL_CMD_CACHE_FOLD of
 * them, or found the last fold WL_CMD_CACHE_FOLD_NS old, and when another command takes the
 * slot (parse/l7.h). A raw dump of wl_cmd_stats trails by what the slots hold; wirelens' readers
 * add the slots. seq is odd while a fold or take is under way: a reader reads the slots' seq,
 * their deltas and the entries of the commands they hold, then seq again, and retries when a
 * seq moved or was odd (loader/cmd_stats.c).
 */
#define WL_CMD_CACHE_BITS    7
#define WL_CMD_CACHE_SLOTS   (1 << WL_CMD_CACHE_BITS)
#define WL_CMD_CACHE_FOLD    64
#define WL_CMD_CACHE_FOLD_NS 1000000000ULL
#define WL_CMD_CACHE_TAKE_NS 100000000ULL /* a slot folded or taken this recently stays */
struct wl_cmd_slot {
	/* whose deltas: l7_proto, netns_id, l3_proto, server_port as in wl_cmd_key and the
	 * command's id in the top 16 bits, then the server address; 0: a free slot */
	__u64 ident[3];
	__u64 folded_ns;       /* when the deltas last went into wl_cmd_stats (coarse clock) */
	__u32 seq;	       /* odd while a fold or take is under way */
	__u32 n;	       /* updates since then */
	struct wl_cmd_stats d; /* deltas not yet in wl_cmd_stats (modulo 2^64: may be below 0) */
	struct wl_cmd_key key; /* the same as wl_cmd_stats' key (last: read at a fold only, the
				* deltas' first fields share the ident's cache line) */
};
WL_ASSERT_SIZE(struct wl_cmd_slot, 24 + 48 + 16 + (7 + WL_LAT_BUCKETS) * 8);

/* A slot's ident (BPF only hashes it: readers look at every slot). */
static inline __u32 wl_cmd_slot_hash(__u64 w0, __u64 a0, __u64 a1)
{
	__u64 h = w0 ^ a0 ^ (a1 << 29 | a1 >> 35);

	return (__u32)((h ^ h >> 32) * 0x9E3779B1u) >> (32 - WL_CMD_CACHE_BITS);
}

/* Known command names: (protocol, name) -> id; the ids map gives the name back. */
struct wl_cmd_name_key {
	__u32 l7_proto;
	char command[WL_CMD_LEN];
};
WL_ASSERT_SIZE(struct wl_cmd_name_key, 28);

#define WL_CMD_F_CONTAINER 0x1 /* Redis: the subcommand is part of the name (CONFIG|GET) */
struct wl_cmd_name_val {
	__u16 id;
	__u16 flags;
};
WL_ASSERT_SIZE(struct wl_cmd_name_val, 4);

struct wl_cmd_name {
	char command[WL_CMD_LEN];
};
WL_ASSERT_SIZE(struct wl_cmd_name, WL_CMD_LEN);

/* A TCP connection (or UDP pair) whose application protocol is tracked, oriented client->server. */
struct wl_conn_key {
	__u32 ifindex;
	__u16 l3_proto;
	__u8 l4_proto;
	__u8 netns_id; /* as wl_flow_key.netns_id */
	__u16 client_port;
	__u16 server_port;
	__u8 client_addr[16];
	__u8 server_addr[16];
};
WL_ASSERT_SIZE(struct wl_conn_key, 44);

/*
 * A run of requests of one command waiting for their responses, in 8 bytes: consecutive
 * requests of one command share an entry (within a packet always, across packets when they come
 * within the same timestamp unit or the queue is half full), so a deep pipeline of a few commands
 * takes a few entries. The producer (request direction) writes the entry as one 64-bit word; the
 * consumer (response direction) only reads it and counts what it took in wl_conn.fifo_taken.
 * cmd_id WL_FIFO_LOST: requests that found the queue full; the entry then holds only their number
 * (48 bits: count | ts << 16), their replies are paired but counted under no command.
 */
#define WL_FIFO_TS_SHIFT 10	/* ts unit: 1.024 us; 32 bits wrap after 73 minutes */
#define WL_FIFO_RUN_MAX	 0xffff /* requests per entry */
#define WL_FIFO_LOST	 0xfffe /* cmd_id of the entry of lost requests (never a command id) */
_Static_assert(WL_CMD_IDS_MAX < WL_FIFO_LOST, "WL_FIFO_LOST is no command id");
_Static_assert((WL_FIFO_LEN & (WL_FIFO_LEN - 1)) == 0, "WL_FIFO_LEN is a power of 2");
_Static_assert((WL_FIFO_NEAR & (WL_FIFO_NEAR - 1)) == 0 && WL_FIFO_NEAR < WL_FIFO_LEN,
	       "WL_FIFO_NEAR is a power of 2 below WL_FIFO_LEN");
_Static_assert(WL_FIFO_LEN % 64 == 0, "one bit per FIFO position in wl_conn.fifo_far");
struct wl_pending {
	union {
		struct {
			__u16 cmd_id; /* protocols may keep their own bits above the id (< 0xfffe)
				       */
			__u16 count;  /* requests of the run (grows only while it is the tail) */
			__u32 ts;     /* first request's time: ns >> WL_FIFO_TS_SHIFT, wrapping */
		};
		__u64 word;
	};
};
WL_ASSERT_SIZE(struct wl_pending, 8);

#define WL_L7_HDR_MAX  64  /* header bytes a parser can hold across a segment boundary */
#define WL_L7_PRIV_MAX 128 /* a protocol's own per-direction state (struct wl_<proto>_dir) */

/* Parser state of one direction. Written only by packets of that direction. */
struct wl_l7_dir {
	__u32 next_seq;	 /* next expected TCP sequence number */
	__u32 body_left; /* bytes of the current message still to skip (may span segments) */
	__u32 msg_bytes; /* bytes of the current message so far */
	__u16 cur_id;	 /* response: command being answered; request: command being read */
	__u8 state;	 /* the protocol's parser state; 0 = at a message boundary */
	__u8 flags;
	__u64 msg_ts_ns; /* response: latency of the request being answered */
	__u8 hdr_len;	 /* bytes held in hdr: a message header cut by a segment boundary */
	/* Set by a parser after each packet (wl_l7_gap_mark): body_left is an opaque body being
	 * skipped unread but for its last skip_keep bytes, so bytes missing inside it lose
	 * nothing (the engine absorbs such a gap instead of resynchronising). */
	__u8 skipping;
	__u8 skip_keep;
	__u8 pad[5];
	__u8 hdr[WL_L7_HDR_MAX];
	__u8 priv[WL_L7_PRIV_MAX];
};
WL_ASSERT_SIZE(struct wl_l7_dir, 32 + WL_L7_HDR_MAX + WL_L7_PRIV_MAX);

/*
 * What a direction keeps in wl_conns between packets. Its whole parser state (struct wl_l7_dir)
 * is worked on in the per-CPU scratch while a packet is parsed; after it, a direction with a
 * message open (the protocol says, see wl_<name>_open) keeps it in wl_l7_open, and any other
 * keeps only this: its sequence, its state (at rest: a boundary, lost sync, or a protocol's
 * passive state) and the first WL_L7_KEEP bytes of its protocol state, where each protocol puts
 * what lives across messages (capabilities, phases, counters). So an idle connection costs
 * wl_conns' entry only.
 */
#define WL_L7_KEEP 17
struct wl_l7_rest {
	__u32 next_seq;
	__u8 state;
	__u8 flags;
	__u8 open; /* the direction's state is in wl_l7_open */
	__u8 keep[WL_L7_KEEP];
};
WL_ASSERT_SIZE(struct wl_l7_rest, 7 + WL_L7_KEEP);

struct wl_l7_open_key {
	struct wl_conn_key ckey;
	__u8 dir;
	__u8 pad[3];
};
WL_ASSERT_SIZE(struct wl_l7_open_key, 48);
/* Directions with a message open across packets at once, for a wl_conns of n entries: one per
 * 4 connections, at least 64 (8,192 at the defaults). */
#define WL_L7_OPEN_FOR(n) ((n) / 4 > 64 ? (n) / 4 : 64)

struct wl_conn {
	__u8 l7_proto;
	__u8 pad[3];
	/* The request direction owns tail, the entries and fifo_far, the response direction owns
	 * head and fifo_taken (single producer, single consumer): no lock needed when the two
	 * directions run on different CPUs. The head entry stays until a later one exists (the tail
	 * may grow). Positions count up and wrap; at most WL_FIFO_LEN are pending. */
	__u32 fifo_tail;
	__u32 fifo_head;
	__u32 fifo_taken; /* requests of the head entry already answered */
	/* Bit p % WL_FIFO_LEN: the entry at position p is in the connection's wl_fifo_far ring,
	 * else in fifo[p % WL_FIFO_NEAR]. An entry goes near when fewer than WL_FIFO_NEAR are
	 * pending (its slot is then free): a shallow queue never leaves this entry. */
	__u64 fifo_far[WL_FIFO_LEN / 64];
	struct wl_pending fifo[WL_FIFO_NEAR];
	struct wl_l7_rest dir[2]; /* 0: client->server (requests), 1: server->client */
};
WL_ASSERT_SIZE(struct wl_conn,
	       16 + WL_FIFO_LEN / 8 + 8 * WL_FIFO_NEAR + 2 * sizeof(struct wl_l7_rest));

/*
 * The pending runs of a deep queue (more than WL_FIFO_NEAR), by connection: position p at
 * e[p % WL_FIFO_LEN]. LRU: a ring pushed out while in use loses its runs; since tells a ring made
 * after that (positions before it were in the lost one: their replies count as unmatched).
 */
struct wl_fifo_far {
	__u32 since; /* the first position written to this ring */
	__u32 pad;
	struct wl_pending e[WL_FIFO_LEN];
};
WL_ASSERT_SIZE(struct wl_fifo_far, 8 + 8 * WL_FIFO_LEN);
/* Rings for a wl_conns of n entries (attach --conns-max): one per 16 connections, at least 64.
 * 2,048 at the defaults: connections with a queue deeper than WL_FIFO_NEAR at once. */
#define WL_FIFO_FAR_FOR(n) ((n) / 16 > 64 ? (n) / 16 : 64)
#define WL_FIFO_FAR_MAX	   WL_FIFO_FAR_FOR(WL_CONNS_DEFAULT)

/*
 * Per-connection facts a parser keeps beyond the FIFO, by (connection, kind, id): requests
 * answered by id rather than in order (DNS id, Kafka correlation id, MongoDB requestID) and
 * things named by the client (MySQL statement ids -> verb). LRU: bounded, never exhausted.
 */
enum wl_aux_kind {
	WL_AUX_PENDING = 1, /* a request waiting for the response with the same id */
	WL_AUX_STMT = 2,    /* a prepared statement's command id */
	WL_AUX_RULE = 3,    /* an L7 allow/count rule (id: its rule id) already counted this
			     * connection */
};

struct wl_aux_key {
	struct wl_conn_key ckey;
	__u8 kind; /* enum wl_aux_kind */
	__u8 pad[3];
	__u32 id;
};
WL_ASSERT_SIZE(struct wl_aux_key, 52);

/*
 * A handshake seen on a connection that has no L7 state yet: its initial sequence numbers, so
 * its first payload starts both directions on a message boundary. Kept apart from wl_conns so
 * that a SYN flood churns this small table and never pushes established connections' state
 * out of wl_conns (state is created only for a connection that carries payload).
 */
struct wl_l7_syn {
	__u32 isn[2]; /* by direction: 0 client->server (SYN), 1 server->client (SYN-ACK) */
	__u8 seen;    /* bit per direction: isn[dir] is valid */
	__u8 pad[3];
};
WL_ASSERT_SIZE(struct wl_l7_syn, 12);
#define WL_L7_SYNS_MAX 65536

struct wl_aux_val {
	__u64 ts_ns;
	__u32 value;
	__u16 cmd_id;
	__u16 pad;
};
WL_ASSERT_SIZE(struct wl_aux_val, 16);

#define WL_AUX_MAX 65536

/* What the loader made of each protocol program (index: enum wl_l7_proto), for `status`. */
struct wl_l7_info {
	__u8 wanted; /* asked for (attach --protocols, --no-l7; default: every protocol) */
	__u8 loaded; /* its programs are in both hooks' program arrays */
	__u16 pad;
	__s32 error;		 /* -errno of a refused load, else 0 */
	__u32 verified_insns[2]; /* XDP, TC: instructions the verifier processed */
	char reason[112];	 /* why it is not loaded: the verifier's last line */
};
WL_ASSERT_SIZE(struct wl_l7_info, 128);

/* ---- Filter ------------------------------------------------------------------------------- */

/*
 * Rules live in two sets (generations): the loader writes the inactive one whole, then flips
 * wl_filter_cfg.gen, so no packet sees half a change. A rule's slot is its index in its set;
 * the maps indexed by slot hold both sets: index gen * WL_RULES_MAX + slot.
 */
#define WL_RULES_MAX	    16384 /* rules in one set */
#define WL_L7_RULES_PER_CMD 8	  /* L7 rules naming one (protocol, command) */

enum wl_action {
	WL_ACT_NONE = 0,
	WL_ACT_ALLOW = 1,
	WL_ACT_DENY = 2,
	WL_ACT_COUNT = 3,  /* counts on the rule, verdict from the next matching rule or policy */
	WL_ACT_REJECT = 4, /* deny, and a TCP RST to both ends */
};

#define WL_RULE_IN  0x1 /* direction bits: ingress (XDP, TC ingress) */
#define WL_RULE_OUT 0x2 /* egress (TC egress) */

/* Conditions a rule has (wl_rule.fields); a condition it does not have matches anything. */
#define WL_RF_SRC   0x01
#define WL_RF_DST   0x02
#define WL_RF_PROTO 0x04
#define WL_RF_SPORT 0x08
#define WL_RF_DPORT 0x10
#define WL_RF_VLAN  0x20
#define WL_RF_IFACE 0x40
#define WL_RF_L7                                                                                   \
	0x80 /* an L7 rule: matched per command by the protocol programs, never by                 \
	      * the L3/L4 classifier */

struct wl_rule {
	__u32 id;	/* the id `rule add` printed; 0: empty slot */
	__u32 priority; /* the highest matching priority wins; ties: the lowest id */
	__u32 ifindex;	/* WL_RF_IFACE */
	__u16 fields;	/* WL_RF_* */
	__u8 action;	/* enum wl_action */
	__u8 dirs;	/* WL_RULE_IN | WL_RULE_OUT */
	__u16 l3_proto; /* ETH_P_IP or ETH_P_IPV6 when the rule has a prefix, else 0 */
	__u8 src_len;	/* prefix lengths in bits (WL_RF_SRC, WL_RF_DST) */
	__u8 dst_len;
	__u8 l4_proto;	/* WL_RF_PROTO: IPPROTO_* */
	__u8 l7_proto;	/* WL_RF_L7: enum wl_l7_proto */
	__u16 vlan;	/* WL_RF_VLAN: outer VLAN id */
	__u16 sport_lo; /* WL_RF_SPORT: inclusive range, host byte order */
	__u16 sport_hi;
	__u16 dport_lo; /* WL_RF_DPORT */
	__u16 dport_hi;
	__u8 src_addr[16]; /* IPv4 in the first four bytes */
	__u8 dst_addr[16];
};
WL_ASSERT_SIZE(struct wl_rule, 64);

/* What each rule matched (index gen * WL_RULES_MAX + slot). One array for all CPUs, atomic adds
 * (only packets a rule matches pay them): per CPU it was 786 KB a CPU, 48 MiB with 64 CPUs. */
struct wl_rule_stats {
	__u64 packets;
	__u64 bytes;
	__u64 connections; /* L7 rules: connections blocked (deny, reject) or seen (allow, count) */
};
WL_ASSERT_SIZE(struct wl_rule_stats, 24);

/* The active set and the verdict when no rule decides (one array entry). */
struct wl_filter_cfg {
	__u8 gen;      /* active set: 0 or 1 */
	__u8 policy;   /* WL_ACT_ALLOW (default) or WL_ACT_DENY, for IP packets no rule decides */
	__u8 has_l34;  /* the active set has L3/L4 rules (or policy deny): classify packets */
	__u8 has_l7;   /* the active set has L7 rules: protocol programs look commands up */
	__u32 rules;   /* rules in the active set */
	__u32 next_id; /* the id the next `rule add` gets (ids are never reused while pinned) */
	__u8 check_blocked; /* besides has_l7, the main path looks TCP packets up in wl_blocked:
			     * blocks may be left from removed L7 rules (0 in older loaders) */
	__u8 pad[3];
};
WL_ASSERT_SIZE(struct wl_filter_cfg, 16);

/*
 * The L3/L4 classifier's tables (parse/filter.h has the design and the maps). Each field of a
 * packet maps to a class of that field; a class is the bitmap of the L3/L4 rules (by slot, best
 * first) its values match, with a summary bit per 64-slot block.
 */
enum wl_filter_field {
	WL_FF_META,  /* direction, address family, L4 protocol */
	WL_FF_IFACE, /* ifindex */
	WL_FF_VLAN,  /* outer VLAN id (0: untagged) */
	WL_FF_SRC,   /* source address (v4 and v6 classes share the field) */
	WL_FF_DST,
	WL_FF_SPORT, /* TCP/UDP ports; other packets take the gen's noport class */
	WL_FF_DPORT,
	WL_FF_N,
};

#define WL_FBM_WORDS	 (WL_RULES_MAX / 64)
#define WL_FBM_SUM_WORDS (WL_FBM_WORDS / 64)
_Static_assert(WL_FBM_SUM_WORDS * 64 * 64 == WL_RULES_MAX, "two-level bitmap covers the set");

/* A class: rule slots (bit s of w[s / 64]) and the summary (bit b: w[b] != 0). */
struct wl_fbm {
	__u64 sum[WL_FBM_SUM_WORDS];
	__u64 w[WL_FBM_WORDS];
};
WL_ASSERT_SIZE(struct wl_fbm, 8 * (WL_FBM_SUM_WORDS + WL_FBM_WORDS));

/* wl_fc_bitmaps key: set, field, class number. */
#define WL_FBM_KEY(gen, field, cls) ((__u32)(gen) << 31 | (__u32)(field) << 24 | (__u32)(cls))
#define WL_FBM_CLASS_MAX	    (1u << 24)

/* Per set: what the classifier needs besides the class tables (wl_filter_gen[gen]). */
struct wl_filter_gen {
	__u32 fields;	 /* 1 << WL_FF_* for the fields some L3/L4 rule has a condition on */
	__u32 iface_any; /* WL_FF_IFACE class of an interface no rule names */
	__u32 noport;	 /* WL_FF_SPORT/DPORT class of packets without ports (ICMP, ...) */
	__u8 policy;	 /* as wl_filter_cfg.policy, per set so a flip changes both at once */
	__u8 has_l34;	 /* L3/L4 rules in this set */
	__u16 pad;
};
WL_ASSERT_SIZE(struct wl_filter_gen, 16);

/*
 * Address classes: one hash entry per (set, kind, prefix length, prefix), and per set and kind
 * the prefix lengths in use, longest first (0 always last: the entry of the rules without that
 * address condition). The first length whose entry exists is the longest match: one hash
 * lookup per distinct length, whatever the number of rules (an LPM trie walks ~log2(rules)
 * nodes: +90 ns at 10,000 /32s, make bench).
 */
enum wl_fc_addr_kind { WL_FC_SRC4, WL_FC_DST4, WL_FC_SRC6, WL_FC_DST6 };
struct wl_fc_addr_key {
	__u8 gen;
	__u8 kind; /* enum wl_fc_addr_kind */
	__u8 len;  /* prefix length */
	__u8 pad;
	__u8 addr[16]; /* bits beyond len are zero */
};
WL_ASSERT_SIZE(struct wl_fc_addr_key, 20);

/* The prefix lengths in use: bit L of bits[L / 64] (0 <= L <= 128). */
struct wl_fc_lens {
	__u64 bits[3];
};
WL_ASSERT_SIZE(struct wl_fc_lens, 24);
#define WL_FC_LENS_IDX(gen, kind) ((gen)*4 + (kind))

struct wl_fc_iface_key {
	__u32 gen;
	__u32 ifindex;
};
WL_ASSERT_SIZE(struct wl_fc_iface_key, 8);

/* Array indexes of the meta, VLAN and port class tables. */
#define WL_FC_META_IDX(gen, dir_out, v6, l4) ((gen)*1024 + (dir_out)*512 + (v6)*256 + (l4))
#define WL_FC_VLAN_IDX(gen, vid)	     ((gen)*4096 + (vid))
#define WL_FC_PORT_IDX(gen, dport, port)     ((gen)*131072 + (dport)*65536 + (port))
#define WL_FC_BITMAPS_MAX		     131072

/* L7 rules by what they name: the slots of the rules naming (protocol, command) in set gen,
 * best first (priority, then id). Redis CONFIG names every CONFIG|... id as well. */
struct wl_l7_rule_key {
	__u8 gen;
	__u8 l7_proto;
	__u16 cmd_id;
};
WL_ASSERT_SIZE(struct wl_l7_rule_key, 4);

struct wl_l7_rule_val {
	__u16 count;
	__u16 slot[WL_L7_RULES_PER_CMD];
	__u16 pad;
};
WL_ASSERT_SIZE(struct wl_l7_rule_val, 20);

/*
 * Connections blocked by an L7 deny or reject rule (LRU hash, parse/l7_block.h): one entry per
 * direction, keyed by the packet's own source and destination, so the main path finds either
 * direction with one lookup of the packet's 5-tuple. An entry lives until a RST is seen, FINs
 * were seen both ways, the client opens a new connection on the 4-tuple (a bare SYN), or the
 * LRU drops it; it outlives its rule (loader/blocked.c: wl_blocked_sync after every rule set
 * change points rule_idx at the rule's new slot, or WL_BLOCKED_NO_RULE).
 */
#define WL_BLOCKED_MAX	   8192
#define WL_BLOCKED_NO_RULE 0xffffffffu /* rule_idx of a block whose rule was removed */

struct wl_blocked_key {
	__u32 ifindex;
	__u16 l3_proto;
	__u8 l4_proto;
	__u8 netns_id;	/* as wl_flow_key.netns_id */
	__u16 src_port; /* host byte order */
	__u16 dst_port;
	__u8 src_addr[16];
	__u8 dst_addr[16];
};
WL_ASSERT_SIZE(struct wl_blocked_key, 44);

struct wl_blocked {
	__u32 rule_id;	  /* the rule that blocked the connection */
	__u32 rule_idx;	  /* its stats index (gen * WL_RULES_MAX + slot), kept current by the
			   * loader when the set changes; WL_BLOCKED_NO_RULE once removed */
	__u8 action;	  /* WL_ACT_DENY or WL_ACT_REJECT */
	__u8 from_client; /* the key's source is the connection's client */
	__u8 fin;	  /* a FIN came from the key's source */
	__u8 pad;
	__u32 pad2;
	__u64 since_ns; /* CLOCK_MONOTONIC of the denied packet */
};
WL_ASSERT_SIZE(struct wl_blocked, 24);

/* ---- Event log (`wirelens log`) ------------------------------------------------------------ */

/*
 * The programs write one record per completed request/response run or per packet to a ring
 * buffer, but only while a reader holds a lease: wl_log_cfg.until_ns in the future (the reader
 * renews it every second and clears it on exit; a reader that died stops costing anything
 * within WL_LOG_LEASE_NS). Records hold numbers and command ids only, never payload bytes.
 */
#define WL_LOG_RING_DEFAULT (1u << 20) /* ring buffer bytes (~11,900 records) */
#define WL_LOG_LEASE_NS	    (5ULL * 1000000000ULL)
#define WL_LOG_PAIRS	    0x1 /* wl_log_cfg.flags: request/response pairs */
#define WL_LOG_PACKETS	    0x2 /* every packet (addresses, ports, length, hook, outcome) */

struct wl_log_cfg {
	__u64 until_ns;	  /* bpf_ktime_get_ns() time the reader's lease ends; 0: no reader */
	__u32 flags;	  /* WL_LOG_* */
	__u32 sample;	  /* keep 1 record in `sample` (0 and 1: every record) */
	__u32 l7_mask;	  /* pairs of these protocols only (1 << enum wl_l7_proto); 0: all */
	__u32 reader_pid; /* the reader holding the lease (one at a time) */
};
WL_ASSERT_SIZE(struct wl_log_cfg, 24);

/* Per-CPU (one entry). Events are pairs or packets: a pair record may hold several pairs. */
struct wl_log_stats {
	__u64 records;	      /* written to the ring */
	__u64 events;	      /* events in them */
	__u64 lost_records;   /* the ring was full */
	__u64 lost_events;    /* events in the lost records */
	__u64 sampled_events; /* left out by the reader's 1-in-N sampling */
	__u64 thinned_events; /* left out while the ring was over half full (15 records in 16) */
};
WL_ASSERT_SIZE(struct wl_log_stats, 6 * 8);

enum wl_event_kind {
	WL_EV_PAIR = 1,
	WL_EV_PACKET = 2,
};

enum wl_event_hook {
	WL_EV_XDP = 0,
	WL_EV_TC = 1,
};

/* One ring record. A pair record is a run the engine aggregates: `count` responses to requests
 * of one command that came in one packet with the same latency (usually 1). */
struct wl_event {
	__u64 ts_ns;	/* bpf_ktime_get_ns() (pair: the response; packet: coarse clock) */
	__u8 kind;	/* enum wl_event_kind */
	__u8 hook;	/* enum wl_event_hook */
	__u8 l7_proto;	/* pair: enum wl_l7_proto */
	__u8 l4_proto;	/* IPPROTO_* */
	__u16 l3_proto; /* ETH_P_IP or ETH_P_IPV6 (packet: 0 when the packet is not IP) */
	__u16 cmd_id;	/* pair: index of the command name in wl_cmd_ids */
	__u32 ifindex;
	__u16 src_port; /* pair: the client; host byte order */
	__u16 dst_port; /* pair: the server */
	__u8 src_addr[16];
	__u8 dst_addr[16];
	__u32 count;	  /* pair: pairs in the record; packet: 1 */
	__u32 errors;	  /* pair: of count, error replies */
	__u32 misses;	  /* pair: of count, not-found replies */
	__u32 bytes;	  /* pair: response bytes of the record; packet: length (L2) */
	__u64 latency_ns; /* pair: request seen -> response seen, each pair of the record */
	__u8 outcome;	  /* packet: enum wl_outcome */
	__u8 netns_id;	  /* as wl_flow_key.netns_id: the namespace of ifindex */
	__u8 pad[6];
};
WL_ASSERT_SIZE(struct wl_event, 88);

/* ---- Network namespaces ------------------------------------------------------------------ */

/*
 * Keys carry netns_id (wl_flow_key, wl_frag_key, wl_conn_key, wl_cmd_key, wl_blocked_key): an
 * ifindex is unique only within its namespace. The loader gives each namespace it attaches in
 * an id and loads the entry programs once per namespace with the id in their rodata (the
 * protocol programs get it through the connection key). Id 0 is the namespace of the loader
 * that created the pins; the byte was padding, always zero, before: pins of an older v4 build
 * read as id 0 (what they were), so the layout and WL_ABI_VERSION stay.
 * Ids are not reused while the maps are pinned (entries keyed by an id outlive its
 * attachments): the 256th namespace is refused at attach.
 */
#define WL_NETNS_MAX 256

struct wl_netns_rec {
	__u64 dev; /* st_dev of the namespace's nsfs file */
	__u64 ino; /* its inode: the namespace's identity */
	__u8 used; /* the id is taken */
	__u8 pad[7];
	char name[48]; /* as link pins name it: the `ip netns` name, else ino<N>; "" for id 0 */
};
WL_ASSERT_SIZE(struct wl_netns_rec, 72);

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
	__uint(max_entries, WL_FLOW_CACHE_SLOTS);
	__type(key, __u32);
	__type(value, struct wl_flow_slot);
} wl_flow_cache SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct wl_flow_tags);
} wl_flow_tags SEC(".maps");

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

/* Application protocol of a server port (TCP and UDP): enum wl_l7_proto, 0 = none. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 65536);
	__type(key, __u32);
	__type(value, __u8);
} wl_ports SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct wl_sniff);
} wl_sniff SEC(".maps");

/* WL_CONNS_DEFAULT: 32,768 connections of 256 B (kernel) each, 8 MiB (with wl_fifo_far and
 * wl_l7_open, sized from it: 411 B each), so that the maps stay within 128 MB at the defaults on
 * any CPU count; attach --conns-max sets another size. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, WL_CONNS_DEFAULT);
	__type(key, struct wl_conn_key);
	__type(value, struct wl_conn);
} wl_conns SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, WL_FIFO_FAR_MAX);
	__type(key, struct wl_conn_key);
	__type(value, struct wl_fifo_far);
} wl_fifo_far SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, WL_L7_OPEN_FOR(WL_CONNS_DEFAULT));
	__type(key, struct wl_l7_open_key);
	__type(value, struct wl_l7_dir);
} wl_l7_open SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, WL_CMD_STATS_MAX);
	__type(key, struct wl_cmd_key);
	__type(value, struct wl_cmd_stats);
} wl_cmd_stats SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, WL_CMD_CACHE_SLOTS);
	__type(key, __u32);
	__type(value, struct wl_cmd_slot);
} wl_cmd_cache SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, WL_CMD_IDS_MAX);
	__type(key, struct wl_cmd_name_key);
	__type(value, struct wl_cmd_name_val);
} wl_cmd_names SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, WL_CMD_IDS_MAX);
	__type(key, __u32);
	__type(value, struct wl_cmd_name);
} wl_cmd_ids SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, WL_AUX_MAX);
	__type(key, struct wl_aux_key);
	__type(value, struct wl_aux_val);
} wl_aux SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, WL_L7_SYNS_MAX);
	__type(key, struct wl_conn_key);
	__type(value, struct wl_l7_syn);
} wl_l7_syns SEC(".maps");

/* Written by the loader only (no program reads it): kept beside the maps it describes. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, WL_L7_PROTO_MAX);
	__type(key, __u32);
	__type(value, struct wl_l7_info);
} wl_l7_info SEC(".maps");

/* The namespaces of netns ids (index: id). Written by the loader only (loader/netns_ids.c). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, WL_NETNS_MAX);
	__type(key, __u32);
	__type(value, struct wl_netns_rec);
} wl_netns SEC(".maps");

/* ---- Filter maps (the L3/L4 classifier's own maps are in parse/filter.h) ---- */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct wl_filter_cfg);
} wl_filter_cfg SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 2 * WL_RULES_MAX);
	__type(key, __u32);
	__type(value, struct wl_rule);
} wl_rules SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 2 * WL_RULES_MAX);
	__type(key, __u32);
	__type(value, struct wl_rule_stats);
} wl_rule_stats SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 2 * WL_CMD_IDS_MAX);
	__type(key, struct wl_l7_rule_key);
	__type(value, struct wl_l7_rule_val);
} wl_l7_rules SEC(".maps");

/* The filter's classifier tables (parse/filter.h has the design), both sets. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 2);
	__type(key, __u32);
	__type(value, struct wl_filter_gen);
} wl_filter_gen SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 2 * 1024);
	__type(key, __u32);
	__type(value, __u32);
} wl_fc_meta SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 2 * 4096);
	__type(key, __u32);
	__type(value, __u32);
} wl_fc_vlan SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 2 * 2 * 65536);
	__type(key, __u32);
	__type(value, __u32);
} wl_fc_port SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 2 * 1024);
	__type(key, struct wl_fc_iface_key);
	__type(value, __u32);
} wl_fc_iface SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4 * WL_RULES_MAX + 8);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct wl_fc_addr_key);
	__type(value, __u32);
} wl_fc_addr SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 2 * 4);
	__type(key, __u32);
	__type(value, struct wl_fc_lens);
} wl_fc_addr_lens SEC(".maps");

/* Class bitmaps of both sets, allocated as used (2 KiB each). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, WL_FC_BITMAPS_MAX);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, __u32);
	__type(value, struct wl_fbm);
} wl_fc_bitmaps SEC(".maps");

/* Connections blocked by L7 rules (parse/l7_block.h). */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, WL_BLOCKED_MAX);
	__type(key, struct wl_blocked_key);
	__type(value, struct wl_blocked);
} wl_blocked SEC(".maps");

#endif /* __bpf__ */

#endif /* WIRELENS_MAPS_H */
