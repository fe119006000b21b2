/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Runs frames through the real XDP and TC programs with BPF_PROG_TEST_RUN and reads the maps. */
#ifndef WL_TESTS_HARNESS_H
#define WL_TESTS_HARNESS_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <sched.h>
#include <stddef.h>
#include <stdint.h>
#include "loader/progs.h"

enum wl_hook {
	HOOK_XDP,
	HOOK_TC,
};
#define HOOK_COUNT 2
extern const char *const hook_names[HOOK_COUNT];
/* Runs the statement after it once per hook, h being XDP then TC. */
#define FOR_EACH_HOOK(h) for (enum wl_hook h = HOOK_XDP; h < HOOK_COUNT; h++)

/* One shared load for the whole test binary (both programs, private maps). */
struct wl_progs *harness(void);
int harness_init(void);
void harness_fini(void);

/* Empties every map so the next case starts from zero. */
void harness_reset(void);
/* Pins the calling thread to cpu (-1: the one it runs on), so that every test_run meets the same
 * per-CPU slots; returns that CPU, or -1. harness_unpin restores the affinity saved in *old. */
int harness_pin(int cpu, cpu_set_t *old);
void harness_unpin(const cpu_set_t *old);
/* Waits until a cache reader on another thread sleeps for a fold to end (wl_seq_retry_wait: the
 * process's naps past `naps`) or is done (*done, __atomic); returns whether it is still reading. */
bool harness_reader_waits(unsigned long naps, const int *done);

struct run_opts {
	uint32_t gso_segs; /* TC only: pretend the skb is a GSO packet of that many segments */
	uint32_t gso_size;
	uint32_t ifindex;	  /* TC only: skb->ifindex; 0 keeps the default (loopback) */
	uint32_t ingress_ifindex; /* TC only: skb->ingress_ifindex; the skb's own ifindex (1,
				   * loopback) makes it a tc-ingress packet, 0 a tc-egress one */
};

/* TC_ACT_UNSPEC (-1), what the TC program returns so the filters after it still run. */
#define VERDICT_TC_NEXT 0x7fffffff
/* XDP_PASS for XDP, VERDICT_TC_NEXT for TC: what wirelens returns for every packet. */
#define VERDICT_PASS(h) ((h) == HOOK_XDP ? 2 : VERDICT_TC_NEXT)

/* Runs one frame. Returns the program's verdict (TC_ACT_UNSPEC as VERDICT_TC_NEXT), or -errno
 * if the run failed. */
int harness_run(enum wl_hook hook, const void *frame, size_t len, const struct run_opts *o);

/* harness_run through other entry programs (another namespace's instance, loader/progs.h
 * wl_entry_load) until called with -1, -1. */
void harness_use_entry(int xdp_fd, int tc_fd);

/* Counters summed over CPUs. */
struct wl_counters harness_counters(void);
/* Asserts one counter (a field of struct wl_counters) and says the value on a mismatch (for
 * files that include CUnit). */
#define EXPECT_COUNTER(field, v)                                                                   \
	do {                                                                                       \
		struct wl_counters k_ = harness_counters();                                        \
		CU_ASSERT_EQUAL(k_.field, (v));                                                    \
		if (k_.field != (v))                                                               \
			fprintf(stderr, "\n  [%s:%d] " #field " = %llu, want %llu\n", __FILE__,    \
				__LINE__, (unsigned long long)k_.field, (unsigned long long)(v));  \
	} while (0)
/* Number of flows in the map, and one flow by key with its per-CPU cache slots added, as the
 * loader reads it (returns 0 if found). */
int harness_flow_count(void);
int harness_flow_get(const struct wl_flow_key *key, struct wl_flow_stats *out);
/* A flow pushed out: its wl_flows entry deleted and the flow cache emptied (its slots with it). */
int harness_flow_forget(const struct wl_flow_key *key);
/* The i-th flow found while iterating (order unspecified), for cases with a single flow. */
int harness_flow_first(struct wl_flow_key *key, struct wl_flow_stats *out);

/* CLOCK_MONOTONIC in ns: the clock of bpf_ktime_get_ns (the programs' latencies). */
__u64 mono_ns(void);

/* Builds the flow key for IPv4/IPv6 text addresses. */
struct wl_flow_key flow_key(uint32_t ifindex, int family, const char *src, const char *dst,
			    uint8_t l4, uint16_t sport, uint16_t dport);

/* ifindex the test_run frames appear on (loopback). */
#define TEST_IFINDEX 1

#endif
