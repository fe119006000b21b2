/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Text of flow keys and events the views print: transport protocols, endpoints. */
#ifndef WL_LOADER_FMT_H
#define WL_LOADER_FMT_H

#include <stddef.h>
#include <linux/types.h>

#define WL_L4_NAME_LEN 16
/* "tcp", "udp", "icmp", "icmpv6", else the number (written into buf). */
const char *wl_l4_name(__u8 proto, char buf[WL_L4_NAME_LEN]);
/* "ADDR:PORT" (IPv4, l3_proto 0x0800), "[ADDR]:PORT" (IPv6, 0x86DD), "-" for anything else;
 * bare (bare_len 0: none) gets the address alone, "" for anything else. */
void wl_endpoint_str(__u16 l3_proto, const __u8 *addr, __u16 port, char *buf, size_t len,
		     char *bare, size_t bare_len);

#endif
