// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The real XDP path and Redis parser, compiled with WL_BENCH_REWIND: each run rewinds the
 * direction's expected sequence number to the frame's, so test_run's repeat parses one frame
 * again and again (the shipped programs would skip a repeat as a retransmission). make bench
 * runs it on the maps of the real programs (names, ports, stats), hot cache, no syscall.
 */
#define WL_HOOK_XDP
#define WL_BENCH_REWIND 1
#include "../parse/path.h"
#include "../parse/l7_conn.h"

SEC("xdp.frags")
int bl_xdp(struct xdp_md *ctx)
{
	return wl_process(ctx);
}

WL_L7_PROG(redis, wl_redis_parse)

char LICENSE[] SEC("license") = "Dual BSD/GPL";
