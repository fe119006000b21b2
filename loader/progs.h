/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Loading the BPF objects: both hooks share one set of maps, pinned or not. */
#ifndef WL_LOADER_PROGS_H
#define WL_LOADER_PROGS_H

#include <stdbool.h>
#include <linux/types.h>
#include "maps/wirelens.h"

struct wl_xdp;
struct wl_tc;

struct wl_progs {
	struct wl_xdp *xdp;
	struct wl_tc *tc;
};

struct wl_load_opts {
	const char *pin_dir; /* reuse/pin maps there; NULL keeps them private (tests, bench) */
	__u32 flows_max;     /* 0: WL_FLOWS_DEFAULT */
	bool verbose;	     /* print libbpf's log (verifier output on failure is always kept) */
};

/* Opens and loads both objects. On failure returns -errno and prints one line to stderr. */
int wl_progs_load(struct wl_progs *p, const struct wl_load_opts *o);
void wl_progs_close(struct wl_progs *p);

int wl_progs_xdp_fd(const struct wl_progs *p);
int wl_progs_tc_fd(const struct wl_progs *p);

/* Map fds (owned by the XDP object; the TC object reuses them). */
int wl_map_flows_fd(const struct wl_progs *p);
int wl_map_counters_fd(const struct wl_progs *p);
int wl_map_frags_fd(const struct wl_progs *p);

/* Reading maps: per-CPU values summed. */
int wl_counters_read(int fd, struct wl_counters *sum);
/* Zeroes every entry of a map (hash: deletes; array: writes zeroes). */
int wl_map_clear(int fd);

/* Where pins live: WL_PIN_ROOT, or $WIRELENS_PIN_ROOT (tests run in parallel with their own
 * root); the versioned directory is <root>/v<WL_ABI_VERSION>. */
const char *wl_pin_root(void);
const char *wl_pin_dir(void);

/* libbpf prints only warnings and errors unless verbose. */
void wl_libbpf_quiet(bool verbose);

#endif /* WL_LOADER_PROGS_H */
