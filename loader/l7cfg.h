/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* L7 configuration maps: known command names and the server ports of each protocol. */
#ifndef WL_LOADER_L7CFG_H
#define WL_LOADER_L7CFG_H

#include <linux/types.h>
#include <json-c/json.h>
#include "loader/progs.h"

/* "redis", ... ; NULL for unknown. */
const char *wl_l7_proto_name(unsigned int proto);
/* enum wl_l7_proto from a name, 0 if unknown. */
unsigned int wl_l7_proto_by_name(const char *name);
/* Every protocol's name, joined by sep (a static buffer). */
const char *wl_l7_proto_list(const char *sep);
/* "redis,http" -> bit (1 << enum wl_l7_proto) each; one line on stderr for an unknown name. */
int wl_l7_proto_mask_parse(const char *list, __u32 *mask);

/* "redis=7000,7001" -> *proto and the ports (up to max). Returns their count, or -EINVAL /
 * -E2BIG for anything else (an unknown protocol, a port outside 1-65535, no '='). */
int wl_l7_ports_parse(const char *spec, unsigned int *proto, __u32 *ports, int max);

/* Names listed twice in one protocol's table (each would take an id of its own). */
int wl_l7_names_duplicates(void);
/* Fills wl_cmd_names / wl_cmd_ids (idempotent). */
int wl_l7_names_load(int names_fd, int ids_fd);
/* Sets the default server ports of the parsed protocols where the port has no protocol yet. */
int wl_l7_ports_defaults(int ports_fd);
/* The bound of ports content sniffing learns (struct wl_sniff): learn_max >= 0 sets it, < 0
 * keeps what an earlier attach set (WL_LEARNED_PORTS_DEFAULT on a new map); learned is recounted
 * from the ports map (after `ports` changed it, or a race counted a port twice). */
int wl_l7_sniff_set(int sniff_fd, int ports_fd, long learn_max);
/* wl_l7_sniff_set on the pinned wl_sniff, keeping the bound (0 when there is no such pin). */
int wl_l7_sniff_recount(int ports_fd);
/* The pinned wl_l7_info (WL_L7_PROTO_MAX entries); -errno when there is none. */
int wl_l7_info_read_pinned(struct wl_l7_info *info);
/* The pinned wl_sniff entry; -errno when there is none. */
int wl_l7_sniff_read(struct wl_sniff *s);
/* Names, default ports and the sniffing bound (kept), on freshly loaded programs. */
int wl_l7_config_init(const struct wl_progs *p);

/* The protocols section of `status`: a table, or a "protocols" array added to root (JSON).
 * Reads the pinned wl_l7_info map; -errno when it cannot. */
int wl_l7_status(json_object *root);

#endif
