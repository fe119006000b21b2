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
