/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* dns: parser not written yet (the program exists so the wiring is in place). */
#ifndef WL_PARSE_PROTO_DNS_H
#define WL_PARSE_PROTO_DNS_H

#include "l7.h"

static __always_inline void wl_dns_parse(struct wl_l7_walk *w)
{
	(void)w;
}

/* Does a client's first payload look like dns? head: its first 16 bytes (zero-padded). */
static __always_inline int wl_dns_sniff(const __u8 *head, __u32 len)
{
	(void)head;
	(void)len;
	return 0;
}

#endif
