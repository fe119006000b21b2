// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* XDP entry point: ingress, before the stack. Frames may be multi-buffer (xdp.frags). */
#define WL_HOOK_XDP
#include "../parse/path.h"
#include "../parse/l7_conn.h"

SEC("xdp.frags")
int wl_xdp(struct xdp_md *ctx)
{
	return wl_process(ctx);
}

/* One program per protocol of the registry (maps/wirelens.h), reached by tail call. */
WL_L7_PROTOCOLS(WL_L7_PROG_ENTRY)

char LICENSE[] SEC("license") = "Dual BSD/GPL";
