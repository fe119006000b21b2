/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* What wirelens needs of the kernel, probed before anything loads. */
#ifndef WL_LOADER_PROBE_H
#define WL_LOADER_PROBE_H

#include <stdbool.h>

/* The lowest kernel with every feature below (tested from Debian 12's 6.1 on). */
#define WL_KERNEL_MIN "5.18"

/* 0 when the kernel has every feature the programs use; else one line on stderr naming the
 * first missing one and the version that brought it, and -ENOTSUP. */
int wl_probe_kernel(void);

/* Whether libxdp's multi-program dispatcher could work here: it needs freplace programs. Fills
 * why with the reason when it cannot. */
bool wl_xdp_dispatcher_probe(char *why, size_t len);

#endif
