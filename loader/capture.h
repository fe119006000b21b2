/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Capture files (pcap and pcapng, read with libpcap) as Ethernet frames, and their replay
 * through a loaded program with BPF_PROG_TEST_RUN: what `wirelens replay` and the test suites
 * share. The reader (capture.c) and the runner (capture_run.c) live in two files because
 * <pcap/pcap.h> and <linux/bpf.h> both define struct bpf_insn.
 */
#ifndef WL_LOADER_CAPTURE_H
#define WL_LOADER_CAPTURE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---- reading ---- */

struct wl_capture;

/*
 * Opens a capture whose link type can be made into Ethernet frames: Ethernet, Linux cooked
 * (SLL, SLL2), BSD loopback (null, loop) and raw IP. Returns NULL with one line in err (no
 * trailing newline) when the file cannot be read, is not a capture, or has another link type.
 */
struct wl_capture *wl_capture_open(const char *path, char *err, size_t errlen);
void wl_capture_close(struct wl_capture *c);

/* The link type as tshark names a frame's first layer ("eth", "sll", "null", "raw"...). */
const char *wl_capture_linktype(const struct wl_capture *c);
int wl_capture_dlt(const struct wl_capture *c);

struct wl_capture_frame {
	const uint8_t *data; /* an Ethernet frame (valid until the next call) */
	size_t len;	     /* 0: the record could not be made into one (unknown family...) */
	uint64_t ts_ns;	     /* the record's capture time, ns since the epoch */
	bool rewritten;	     /* a synthetic Ethernet header was put in front */
};

/* The next record: 1 with *f filled, 0 at the end, -1 with err set when the file is damaged. */
int wl_capture_next(struct wl_capture *c, struct wl_capture_frame *f, char *err, size_t errlen);

/* ---- replaying ---- */

struct wl_replay_stats {
	int dlt;	    /* libpcap link type (DLT_*) of the file */
	char linktype[8];   /* as tshark names the first layer: "eth", "null", "loop", "sll" ... */
	uint64_t frames;    /* records in the file */
	uint64_t run;	    /* frames the program ran on */
	uint64_t rewritten; /* frames given a synthetic Ethernet header (non-Ethernet link type) */
	uint64_t max_len;   /* largest frame handed to the program */
	uint64_t unsupported; /* records that could not be made into an Ethernet frame: not run */
	uint64_t run_errors;  /* test_run failed for another reason */
	/* TC only: frames above wl_tc_test_run_max(), not run, and what they carried (from a
	 * peek at the ethertype and IP header, so callers can account for them explicitly). */
	uint64_t too_big;
	uint64_t too_big_ipv4, too_big_ipv6, too_big_frag_v4, too_big_frag_v6;
	uint64_t too_big_vlan, too_big_qinq;
	uint64_t first_ts_ns, last_ts_ns; /* capture times of the first and last record */
};

/*
 * Runs every frame of the capture at path through the program prog_fd (XDP, or TC when tc), in
 * file order, into whatever maps the program has (nothing is reset). Frames are handed over as
 * captured (caplen), never padded. Returns 0, or -1 with one line in err when the file cannot
 * be read; a frame test_run refuses is counted in run_errors and said on stderr.
 */
int wl_capture_replay(const char *path, int prog_fd, bool tc, struct wl_replay_stats *out,
		      char *err, size_t errlen);

/* Largest frame BPF_PROG_TEST_RUN accepts for a TC program: the skb must be linear and fit in
 * one page with the kernel's headroom (NET_SKB_PAD + NET_IP_ALIGN) and skb_shared_info. XDP
 * programs loaded with BPF_F_XDP_HAS_FRAGS (SEC("xdp.frags")) take up to a page + MAX_SKB_FRAGS
 * pages. Found by probing once. */
uint32_t wl_tc_test_run_max(void);

#endif /* WL_LOADER_CAPTURE_H */
