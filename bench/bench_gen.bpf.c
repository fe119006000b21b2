// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Live traffic generator for bench/pktgen.sh: run by BPF_PROG_TEST_RUN with
 * BPF_F_TEST_XDP_LIVE_FRAMES, XDP_TX sends every frame out of the veth named in the context
 * (the kernel turns it into a redirect to that device), so it arrives at the veth peer. The
 * UDP source port is rewritten per frame to spread the traffic over `nflows` flows.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

const volatile __u32 nflows = 1;
__u32 counter;

SEC("xdp")
int gen_tx(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;
	struct udphdr *uh = data + sizeof(struct ethhdr) + sizeof(struct iphdr);

	if (nflows > 1 && (void *)(uh + 1) <= end) {
		uh->source = bpf_htons(1024 + counter % nflows);
		uh->check = 0; /* IPv4 UDP: no checksum */
		counter++;
	}
	return XDP_TX;
}

/*
 * Flood generator (tests/live/flood.sh): every frame from a new random source address in
 * 198.19.0.0/16 and a random source port, so each is a new flow (a SYN of a new connection for
 * TCP). The IPv4 checksum is recomputed: the receiver's stack takes the frames as real ones.
 */
static __always_inline __u16 ip_csum(const __u16 *w)
{
	__u32 sum = 0;

	for (int i = 0; i < 10; i++)
		sum += w[i];
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return ~sum;
}

SEC("xdp")
int gen_flood(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;
	struct iphdr *ip = data + sizeof(struct ethhdr);
	__u16 *sport = (void *)(ip + 1);
	__u32 r = bpf_get_prandom_u32();

	if ((void *)(sport + 1) > end)
		return XDP_ABORTED;
	ip->saddr = bpf_htonl(0xc6130000 | (r & 0xffff)); /* 198.19.x.y */
	*sport = bpf_htons(1024 + (r >> 16) % 64000);
	ip->check = 0;
	ip->check = ip_csum((const __u16 *)ip);
	if (ip->protocol == IPPROTO_UDP) {
		struct udphdr *uh = (void *)(ip + 1);

		if ((void *)(uh + 1) <= end)
			uh->check = 0; /* IPv4 UDP: no checksum */
	}
	return XDP_TX;
}

/* Receiver baselines: frags-aware like wl_xdp, so the veth takes the same path for all. */
SEC("xdp.frags")
int rx_drop(struct xdp_md *ctx)
{
	return XDP_DROP;
}

SEC("xdp.frags")
int rx_pass(struct xdp_md *ctx)
{
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
