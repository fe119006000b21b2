/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Replays a capture file (pcap or pcapng, through libpcap) frame by frame into the XDP or TC
 * program with BPF_PROG_TEST_RUN, and reads EXPECTED.tsv (the tshark oracle of the shared
 * captures). Reusable by every suite that checks maps after a replay: reset the maps
 * (harness_reset), replay, then read wl_counters / wl_flows / wl_cmd_stats.
 */
#ifndef WL_TESTS_PCAP_REPLAY_H
#define WL_TESTS_PCAP_REPLAY_H

#include <stdint.h>
#include "harness.h"

/* Where the shared captures live: $WL_PCAP_DIR, else this. */
#define WL_PCAP_DIR_DEFAULT "/work/shared/pcaps"
const char *wl_pcap_dir(void);

/* Largest frame BPF_PROG_TEST_RUN accepts for a TC program: the skb must be linear and fit in
 * one page with the kernel's headroom (NET_SKB_PAD + NET_IP_ALIGN) and skb_shared_info. XDP
 * programs loaded with BPF_F_XDP_HAS_FRAGS (SEC("xdp.frags")) take up to a page + MAX_SKB_FRAGS
 * pages: every frame of the shared captures (largest 65549 B) fits. Found by probing. */
uint32_t wl_tc_test_run_max(void);

struct wl_replay_stats {
	int dlt;	    /* libpcap link type (DLT_*) of the file */
	char linktype[8];   /* as tshark names the first layer: "eth", "null", "loop", "sll" ... */
	uint64_t frames;    /* records in the file */
	uint64_t run;	    /* frames the program ran on */
	uint64_t rewritten; /* frames given a synthetic Ethernet header (non-Ethernet link type) */
	uint64_t max_len;   /* largest frame handed to the program */
	uint64_t unsupported; /* link type not handled, or pseudo-header unreadable: not run */
	uint64_t run_errors;  /* test_run failed for another reason (always a test failure) */
	/* TC only: frames above wl_tc_test_run_max(), not run, and what they carried (from a
	 * peek at the ethertype and IP header, so callers can account for them explicitly). */
	uint64_t too_big;
	uint64_t too_big_ipv4, too_big_ipv6, too_big_frag_v4, too_big_frag_v6;
	uint64_t too_big_vlan, too_big_qinq;
};

/* Runs every frame of the capture at path through hook, in file order, without resetting any
 * map (the caller does). Returns 0, or -1 with a message on stderr if the file cannot be read.
 * Frames are handed over as captured (caplen), never padded. */
int wl_pcap_replay(const char *path, enum wl_hook hook, struct wl_replay_stats *out);

/* Capture files under dir/<protocol>/, sorted, as paths relative to dir ("redis/auth.pcap").
 * Returns the count (*list is malloc'ed, free with wl_pcap_list_free), or -1. */
int wl_pcap_list(const char *dir, char ***list);
void wl_pcap_list_free(char **list, int n);

/* One row of EXPECTED.tsv: file, protocol, metric, key, value. */
struct wl_expected_row {
	char file[128];
	char protocol[24];
	char metric[40];
	char key[72];
	uint64_t value;
};

/* Loads dir/EXPECTED.tsv. Returns the number of rows (*rows malloc'ed) or -1. */
int wl_expected_load(const char *dir, struct wl_expected_row **rows);

#endif
