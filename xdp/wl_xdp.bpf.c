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

/* One program per protocol, reached by tail call (parse/l7_conn.h). */
WL_L7_PROG(redis, wl_redis_parse)
WL_L7_PROG(memcached, wl_memcached_parse)
WL_L7_PROG(http, wl_http_parse)
WL_L7_PROG(dns, wl_dns_parse)
WL_L7_PROG(mysql, wl_mysql_parse)
WL_L7_PROG(postgresql, wl_postgresql_parse)
WL_L7_PROG(mongodb, wl_mongodb_parse)
WL_L7_PROG(kafka, wl_kafka_parse)

char LICENSE[] SEC("license") = "Dual BSD/GPL";
