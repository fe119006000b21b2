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
#include "loader/capture.h"

/* Where the shared captures live: $WL_PCAP_DIR, else this. */
#define WL_PCAP_DIR_DEFAULT "/work/shared/pcaps"
const char *wl_pcap_dir(void);

/*
 * Runs every frame of the capture at path through hook, in file order, without resetting any
 * map (the caller does): the loader's wl_capture_replay (loader/capture.h) on the harness'
 * programs. Returns 0, or -1 with a message on stderr if the file cannot be read.
 *
 * Through the CLI instead (wl_pcap_replay_via_cli): `wirelens replay --json` runs the capture in
 * its own process, with the server ports set in the harness' ports map passed as --port, and
 * the counters, flows and command statistics of its JSON are written into the harness' maps, so
 * the same assertions read what the CLI printed.
 */
int wl_pcap_replay(const char *path, enum wl_hook hook, struct wl_replay_stats *out);

/* bin: the wirelens binary to replay through from now on; NULL: in this process again. */
void wl_pcap_replay_via_cli(const char *bin);
/* The replay through the CLI (test_replay.c). */
int wl_replay_cli(const char *bin, const char *path, enum wl_hook hook,
		  struct wl_replay_stats *out);

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
