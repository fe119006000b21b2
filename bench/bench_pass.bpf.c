// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The baselines every benchmark is divided by: programs that do nothing. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

SEC("xdp.frags")
int bare_xdp(struct xdp_md *ctx __attribute__((unused)))
{
	return XDP_PASS;
}

SEC("tc")
int bare_tc(struct __sk_buff *skb __attribute__((unused)))
{
	return 0;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
