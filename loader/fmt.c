// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Text of flow keys and events the views print (log, top). */
#include <arpa/inet.h>
#include <stdio.h>

#include "fmt.h"

const char *wl_l4_name(__u8 proto, char buf[WL_L4_NAME_LEN])
{
	switch (proto) {
	case 6:
		return "tcp";
	case 17:
		return "udp";
	case 1:
		return "icmp";
	case 58:
		return "icmpv6";
	default:
		snprintf(buf, WL_L4_NAME_LEN, "%u", proto);
		return buf;
	}
}

void wl_endpoint_str(__u16 l3_proto, const __u8 *addr, __u16 port, char *buf, size_t len,
		     char *bare, size_t bare_len)
{
	char a[INET6_ADDRSTRLEN] = "";

	if (l3_proto == 0x86DD)
		inet_ntop(AF_INET6, addr, a, sizeof(a));
	else if (l3_proto == 0x0800)
		inet_ntop(AF_INET, addr, a, sizeof(a));
	if (bare_len)
		snprintf(bare, bare_len, "%s", a);
	if (!a[0])
		snprintf(buf, len, "-");
	else if (l3_proto == 0x86DD)
		snprintf(buf, len, "[%s]:%u", a, port);
	else
		snprintf(buf, len, "%s:%u", a, port);
}
