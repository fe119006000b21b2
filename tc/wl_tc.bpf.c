// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* TC entry point (clsact/tcx, egress by default): skbs, possibly GSO and nonlinear. */
#define WL_HOOK_TC
#include "../parse/path.h"
#include "../parse/l7_conn.h"

SEC("tc")
int wl_tc(struct __sk_buff *skb)
{
	return wl_process(skb);
}

/* One program per protocol of the registry (maps/wirelens.h), reached by tail call. */
WL_L7_PROTOCOLS(WL_L7_PROG_ENTRY)

char LICENSE[] SEC("license") = "Dual BSD/GPL";
