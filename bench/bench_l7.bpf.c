// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The real XDP path and Redis parser, compiled with a rewind (WL_L7_BENCH_REWIND): each run
 * rewinds the direction's expected sequence number to the frame's, so test_run's repeat parses
 * one frame again and again (the shipped programs would skip a repeat as a retransmission).
 * make bench runs it on the maps of the real programs (names, ports, stats), hot cache, no
 * syscall.
 */
#define WL_HOOK_XDP
#include "../parse/path.h"

/* Every repeat is new data; requests find the queue empty (as a client's next request does once
 * the server answered: without this the rewound queue filled up and every push went to the lost
 * entry in the far ring, a lookup a real connection does not make), and replies find requests
 * pending (the first FIFO entry, pushed by a real request before). */
static __always_inline void bl_rewind(struct wl_conn *conn, struct wl_l7_dir *d,
				      const struct wl_l7_job *job, int dir)
{
	d->next_seq = job->seq;
	if (!dir) {
		conn->fifo_head = conn->fifo_tail;
		conn->fifo_taken = 0;
	}
	if (dir) {
		conn->fifo_head = 0;
		conn->fifo_tail = 1;
		conn->fifo_taken = 0;
		conn->fifo_far[0] = 0;
		conn->fifo[0].count = 64;
	}
}
#define WL_L7_BENCH_REWIND(conn, d, job, dir) bl_rewind(conn, d, job, dir)
#include "../parse/l7_conn.h"

SEC("xdp.frags")
int bl_xdp(struct xdp_md *ctx)
{
	return wl_process(ctx);
}

WL_L7_PROG(redis, wl_redis_parse, wl_redis_open, 0)

char LICENSE[] SEC("license") = "Dual BSD/GPL";
