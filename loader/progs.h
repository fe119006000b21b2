/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Loading the BPF objects: both hooks share one set of maps, pinned or not. */
#ifndef WL_LOADER_PROGS_H
#define WL_LOADER_PROGS_H

#include <stdbool.h>
#include <linux/types.h>
#include "maps/wirelens.h"
#include "flows.h"

struct wl_xdp;
struct wl_tc;

struct bpf_object;

enum { WL_PROG_XDP, WL_PROG_TC, WL_PROG_HOOKS };

struct wl_progs {
	struct wl_xdp *xdp; /* main programs wl_xdp, wl_tc and the maps */
	struct wl_tc *tc;
	/* wl_l7_<protocol>, one object each, on the main objects' maps */
	struct bpf_object *l7_obj[WL_PROG_HOOKS][WL_L7_PROTO_MAX];
	struct wl_l7_info l7[WL_L7_PROTO_MAX]; /* what became of each (also in map wl_l7_info) */
	__u32 main_insns[WL_PROG_HOOKS];       /* verified_insns of wl_xdp, wl_tc */
};

struct wl_load_opts {
	const char *pin_dir; /* reuse/pin maps there; NULL keeps them private (tests, bench) */
	__u32 flows_max;     /* 0: WL_FLOWS_DEFAULT */
	bool flows_percpu;   /* wl_flows with a value per CPU (attach --flows-percpu) */
	__u32 conns_max;     /* 0: WL_CONNS_DEFAULT */
	__u32 open_max;	     /* 0: WL_L7_OPEN_FOR(the connections) */
	__u32 cmd_stats_max; /* 0: wl_cmd_stats_default(), by the CPU count */
	bool verbose;	     /* print libbpf's log and the end of a refusing verifier's log */
	bool l7_select;	     /* load only the protocols of l7_mask (else every protocol) */
	__u32 l7_mask;	     /* 1 << enum wl_l7_proto per protocol (attach --protocols) */
	bool warn;	     /* one line on stderr per protocol the kernel refused */
	__u32 ring_size;     /* event log ring bytes (a power of 2 >= the page size); 0: the
			      * default, or $WIRELENS_LOG_RING (tests: a tiny ring) */
};

/*
 * Opens and loads both main objects, then each protocol program asked for in an object of its
 * own: a protocol the kernel refuses is left out (p->l7[proto].reason) and the rest runs. On
 * failure of a main program returns -errno and prints one line to stderr.
 */
int wl_progs_load(struct wl_progs *p, const struct wl_load_opts *o);

/* wl_cmd_stats is per-CPU (no cache line shared between CPUs on the L7 path), so its memory
 * grows with the CPUs: by default it gets the entries that fit in WL_CMD_STATS_BUDGET on ncpu
 * CPUs, at most WL_CMD_STATS_MAX (16,384 up to 4 CPUs, 1,252 with 64, 419 with 192). */
#define WL_CMD_STATS_BUDGET (24u << 20)
__u32 wl_cmd_stats_default(int ncpu);
void wl_progs_close(struct wl_progs *p);

/*
 * The entry programs (wl_xdp, wl_tc) of one network namespace: loaded once more with its netns
 * id in their rodata (maps/wirelens.h, wl_netns), on every map of p, or (p NULL) of the pins in
 * pin_dir, program arrays included: the protocol programs are shared by every namespace. On
 * failure returns -errno and prints one line to stderr.
 */
struct wl_entry {
	struct wl_xdp *xdp;
	struct wl_tc *tc;
	__u32 insns[WL_PROG_HOOKS]; /* verified_insns */
};
int wl_entry_load(struct wl_entry *e, __u8 netns_id, const struct wl_progs *p, const char *pin_dir,
		  bool verbose);
/* The TC entry program alone, for a veth's peer-egress hook (attach.c): it counts what it sees
 * as packets received by the interface ifindex_as of namespace netns_id. */
int wl_entry_load_peer(struct wl_entry *e, __u8 netns_id, __u32 ifindex_as,
		       const struct wl_progs *p, const char *pin_dir, bool verbose);
void wl_entry_close(struct wl_entry *e);
/* The entry program of a hook: WL_PROG_XDP or WL_PROG_TC. */
int wl_entry_prog_fd(const struct wl_entry *e, int hook);
#define wl_entry_xdp_fd(e) wl_entry_prog_fd(e, WL_PROG_XDP)
#define wl_entry_tc_fd(e)  wl_entry_prog_fd(e, WL_PROG_TC)

/* wl_l7_info map contents (WL_L7_PROTO_MAX entries). */
int wl_l7_info_write(int fd, const struct wl_l7_info *info);
int wl_l7_info_read(int fd, struct wl_l7_info *info);

/* The main program of a hook: WL_PROG_XDP or WL_PROG_TC. */
int wl_progs_prog_fd(const struct wl_progs *p, int hook);
#define wl_progs_xdp_fd(p) wl_progs_prog_fd(p, WL_PROG_XDP)
#define wl_progs_tc_fd(p)  wl_progs_prog_fd(p, WL_PROG_TC)

/* A map's fd by its name ("wl_flows"): the XDP object owns the maps, the TC object and the
 * protocol programs reuse them. The maps the tests and replay read by name: */
int wl_progs_map_fd(const struct wl_progs *p, const char *name);
#define wl_map_flows_fd(p)     wl_progs_map_fd(p, "wl_flows")
#define wl_map_counters_fd(p)  wl_progs_map_fd(p, "wl_counters")
#define wl_map_frags_fd(p)     wl_progs_map_fd(p, "wl_frags")
#define wl_map_cmd_stats_fd(p) wl_progs_map_fd(p, "wl_cmd_stats")
#define wl_map_ports_fd(p)     wl_progs_map_fd(p, "wl_ports")
#define wl_map_conns_fd(p)     wl_progs_map_fd(p, "wl_conns")
#define wl_map_sniff_fd(p)     wl_progs_map_fd(p, "wl_sniff")
/* wl_flows and its per-CPU cache, as the flow readers take them (flows.h) */
static inline struct wl_flow_maps wl_map_flow_maps(const struct wl_progs *p)
{
	return (struct wl_flow_maps){wl_progs_map_fd(p, "wl_flows"),
				     wl_progs_map_fd(p, "wl_flow_cache")};
}

/* wl_cmd_stats and its per-CPU cache, as the command readers take them (commands.h) */
#define wl_map_cmd_maps(p)                                                                         \
	((struct wl_cmd_maps){wl_progs_map_fd(p, "wl_cmd_stats"),                                  \
			      wl_progs_map_fd(p, "wl_cmd_cache")})

/* Reading maps: per-CPU values summed. */
int wl_counters_read(int fd, struct wl_counters *sum);
/* Zeroes every entry of a map (hash: deletes; array: writes zeroes). */
int wl_map_clear(int fd);
/* Calls fn(value, arg) for each CPU's value of each of the n entries of a per-CPU array (fd)
 * whose values are vsz bytes (a multiple of 8, as the kernel lays them out). 0 or -errno. */
int wl_percpu_array_each(int fd, __u32 n, size_t vsz, void (*fn)(const void *value, void *arg),
			 void *arg);
/* A seqlock reader of the caches' slots (flows.c, cmd_stats.c) before its try number `tries`
 * (1, 2, ...) of the same slot: no wait for the first WL_SEQ_SPINS (a fold takes well under a
 * microsecond), then 100 us sleeps, since the CPU that folds may be stalled mid-fold (its task
 * preempted: test_run disables migration, not preemption; its vCPU descheduled). A reader never
 * goes on with what a fold was changing: 0 to try again, -EBUSY once it has waited
 * WL_SEQ_GIVE_UP_MS (a seq left odd, which a fold cannot do). *since_ns: the caller's, for the
 * start of the wait. */
#define WL_SEQ_SPINS	  64
#define WL_SEQ_GIVE_UP_MS 5000
int wl_seq_retry_wait(unsigned int tries, __u64 *since_ns);
/* How many such sleeps this process has had (the tests wait for a reader's first). */
unsigned long wl_seq_naps(void);
/* What a cache reader's error says: strerror, or for -EBUSY that a slot stayed mid-fold. */
const char *wl_read_strerror(int err);

/* Where pins live: WL_PIN_ROOT, or $WIRELENS_PIN_ROOT (tests run in parallel with their own
 * root); the versioned directory is <root>/v<WL_ABI_VERSION>. */
const char *wl_pin_root(void);
const char *wl_pin_dir(void);
/* Points wl_pin_dir at another directory (another map ABI's pins: abi.c) until called with NULL. */
void wl_pin_dir_use(const char *dir);

/* libbpf prints only warnings and errors unless verbose. */
void wl_libbpf_quiet(bool verbose);

#endif /* WL_LOADER_PROGS_H */
