/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The pin paths and records the attach files share (pins.c; attach.c, session.c). */
#ifndef WL_LOADER_PINS_H
#define WL_LOADER_PINS_H

#include <stdbool.h>
#include <stddef.h>
#include "loader/attach.h"

/* WL_PIN_DIR/links/<ifname>@<hook>[@<netns>]: the link (or cls_bpf record) of one hook. */
void wl_link_path(char *buf, size_t len, const char *ifname, enum wl_hook_kind h,
		  const char *netns);
/* Where a cls_bpf record waits while its attach runs (tc_cls.h). */
void wl_pending_path(char *buf, size_t len, const char *ifname, enum wl_hook_kind h,
		     const char *netns);
/* Fills pin (path and netns given) from the pinned object: link or cls_bpf record. */
void wl_link_pin_fill(struct wl_link_pin *pin);
/* Unpinning a link detaches it; a cls_bpf record's filter (and qdisc) are removed first. */
int wl_unpin(const char *path, const char *netns);
/* Under the lock no attach is running: pending records are of killed ones. Their filters go. */
void wl_pins_sweep_pending(void);
/* Whether a program reads the pinned counters map, i.e. was loaded against the pinned maps (a
 * program pinned before the maps were unpinned and made again must not be reused). */
bool wl_prog_uses_pinned_maps(int prog_fd);

#endif
