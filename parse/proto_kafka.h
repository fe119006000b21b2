/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* kafka: parser not written yet (the program exists so the wiring is in place). */
#ifndef WL_PARSE_PROTO_KAFKA_H
#define WL_PARSE_PROTO_KAFKA_H

#include "l7.h"

static __always_inline void wl_kafka_parse(struct wl_l7_walk *w)
{
	(void)w;
}

/* Does a client's first payload look like kafka? head: its first 16 bytes (zero-padded). */
static __always_inline int wl_kafka_sniff(const __u8 *head, __u32 len)
{
	(void)head;
	(void)len;
	return 0;
}

#endif
