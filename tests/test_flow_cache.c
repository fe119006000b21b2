// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The per-CPU flow cache in front of wl_flows (maps/wirelens.h, parse/flow.h): a flow's packets
 * past its first ones are counted in this CPU's slot and folded into wl_flows every
 * WL_FLOW_CACHE_FOLD packets or when another flow takes the slot; readers add the slots
 * (loader/flows.c). Exact counts through the readers, and where the packets are in between.
 * The test thread stays on one CPU, so that every packet meets the same slot.
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <CUnit/CUnit.h>

#include "harness.h"
#include "pktbuild.h"
#include "suites.h"
#include "loader/flows.h"

static uint8_t frame[PKT_MAX];
static const char payload[64];

/* Pins the thread to the CPU it runs on; returns that CPU (restore with harness_unpin). */
static int pin_here(cpu_set_t *old)
{
	int cpu = harness_pin(-1, old);

	CU_ASSERT_FATAL(cpu >= 0);
	return cpu;
}

static struct pkt_spec udp(__u16 sport, size_t len)
{
	struct pkt_spec s = {.family = 4,
			     .src = "198.18.0.1",
			     .dst = "198.18.0.2",
			     .l4 = 17,
			     .sport = sport,
			     .dport = 2000,
			     .payload = payload,
			     .payload_len = len};
	return s;
}

/* Sends n packets of the UDP flow from sport, payload lengths 0, 1, 2, ... (mod 64); returns
 * their bytes. */
static __u64 send_flow(int h, __u16 sport, int n)
{
	__u64 bytes = 0;

	for (int i = 0; i < n; i++) {
		struct pkt_spec s = udp(sport, i % 64);
		size_t len = pkt_build(&s, frame, sizeof(frame));

		CU_ASSERT_EQUAL(harness_run(h, frame, len, NULL), VERDICT_PASS(h));
		bytes += len;
	}
	return bytes;
}

static struct wl_flow_key key_of(__u16 sport)
{
	return flow_key(TEST_IFINDEX, 4, "198.18.0.1", "198.18.0.2", 17, sport, 2000);
}

/* The flow's entry in wl_flows alone (what `bpftool map dump` shows). */
static struct wl_flow_stats raw_entry(__u16 sport)
{
	struct wl_flow_key k = key_of(sport);
	struct wl_flow_stats st;

	memset(&st, 0xff, sizeof(st));
	CU_ASSERT_EQUAL(bpf_map_lookup_elem(wl_map_flows_fd(harness()), &k, &st), 0);
	return st;
}

/* This CPU's slot of the flow. */
static struct wl_flow_slot slot_of(__u16 sport, int cpu)
{
	static struct wl_flow_slot per[1024];
	struct wl_flow_key k = key_of(sport);
	__u32 idx = wl_flow_slot_of(&k);
	struct wl_flow_slot s;

	CU_ASSERT_FATAL(libbpf_num_possible_cpus() <= 1024);
	CU_ASSERT_EQUAL(bpf_map_lookup_elem(wl_progs_map_fd(harness(), "wl_flow_cache"), &idx, per),
			0);
	s = per[cpu];
	return s;
}

/* One flow of 200 packets: 16 + 1 counted in wl_flows as they come (content sniffing reads
 * that count), the 17th takes the slot, the next ones fold 64 at a time; the reader adds the
 * 55 the slot still holds. */
WL_TEST(l2l4, flow_cache_one_flow)
{
	FOR_EACH_HOOK(h) {
		struct wl_flow_key k = key_of(5000);
		struct wl_flow_stats st, raw;
		struct wl_flow_row *rows = NULL;
		struct wl_flow_slot s;
		cpu_set_t old;
		size_t n = 0;
		__u64 bytes;
		int cpu;

		harness_reset();
		cpu = pin_here(&old);
		bytes = send_flow(h, 5000, 200);
		raw = raw_entry(5000);
		s = slot_of(5000, cpu);
		harness_unpin(&old);
		CU_ASSERT_EQUAL(raw.packets, WL_SNIFF_FLOW_PACKETS + 1 + 2 * WL_FLOW_CACHE_FOLD);
		CU_ASSERT_EQUAL(s.packets, 200 - raw.packets);
		CU_ASSERT_EQUAL(s.n, s.packets);
		CU_ASSERT_EQUAL(s.base, raw.packets);
		CU_ASSERT_EQUAL(s.seq % 2, 0);
		CU_ASSERT_EQUAL(raw.bytes + s.bytes, bytes);

		CU_ASSERT_EQUAL_FATAL(harness_flow_get(&k, &st), 0);
		CU_ASSERT_EQUAL(st.packets, 200);
		CU_ASSERT_EQUAL(st.bytes, bytes);
		CU_ASSERT_EQUAL(st.first_seen_ns, raw.first_seen_ns);
		CU_ASSERT(st.last_seen_ns >= raw.last_seen_ns);
		CU_ASSERT_EQUAL(st.last_seen_ns, s.last_seen_ns);

		CU_ASSERT_EQUAL_FATAL(wl_flows_read(wl_map_flow_maps(harness()), &rows, &n), 0);
		CU_ASSERT_EQUAL(n, 1);
		if (n == 1) {
			CU_ASSERT_EQUAL(memcmp(&rows[0].k, &k, sizeof(k)), 0);
			CU_ASSERT_EQUAL(rows[0].s.packets, 200);
			CU_ASSERT_EQUAL(rows[0].s.bytes, bytes);
		}
		free(rows);
		CU_ASSERT_EQUAL(harness_counters().flows_new, 1);
	}
}

/* The clock the programs' flow times read (bpf_ktime_get_coarse_ns). */
static __u64 coarse_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

/* A source port whose flow hashes to the same slot as sport's. */
static __u16 same_slot(__u16 sport)
{
	struct wl_flow_key a = key_of(sport);

	for (__u32 p = sport + 1; p < 65536; p++) {
		struct wl_flow_key b = key_of(p);

		if (wl_flow_slot_of(&b) == wl_flow_slot_of(&a))
			return p;
	}
	CU_FAIL_FATAL("no port shares the slot");
	return 0;
}

/* Two flows for one slot: the second cannot take it while the first folded recently (its
 * packets go to wl_flows), and takes it once that is WL_FLOW_CACHE_TAKE_STAMPS old, folding the
 * first's deltas: both exact throughout, the first then whole in wl_flows. */
WL_TEST(l2l4, flow_cache_two_flows_one_slot)
{
	FOR_EACH_HOOK(h) {
		__u16 b = same_slot(6000);
		struct wl_flow_key ka = key_of(6000), kb = key_of(b);
		struct wl_flow_stats st;
		__u64 bytes_a, bytes_b;
		struct wl_flow_slot s;
		cpu_set_t old;
		__u64 t0;
		int cpu;

		harness_reset();
		cpu = pin_here(&old);
		t0 = coarse_ns();
		bytes_a = send_flow(h, 6000, 40);
		bytes_b = send_flow(h, b, 40);
		s = slot_of(6000, cpu);
		/* (on a machine too slow to send 80 packets within the interval, the second may
		 * take the slot already: that much is not checked there) */
		if (coarse_ns() - t0 < (WL_FLOW_CACHE_TAKE_STAMPS - 1ULL) << WL_FLOW_STAMP_SHIFT) {
			CU_ASSERT_EQUAL(memcmp(&s.key, &ka, sizeof(ka)), 0); /* still the first's */
			CU_ASSERT_EQUAL(raw_entry(b).packets, 40);	     /* all in wl_flows */
		}
		CU_ASSERT_EQUAL(raw_entry(6000).packets, WL_SNIFF_FLOW_PACKETS + 1);
		CU_ASSERT_EQUAL_FATAL(harness_flow_get(&ka, &st), 0);
		CU_ASSERT_EQUAL(st.packets, 40);
		CU_ASSERT_EQUAL(st.bytes, bytes_a);

		/* coarse clock ticks: wait past the take interval by the clock the program reads */
		usleep(((WL_FLOW_CACHE_TAKE_STAMPS + 1ULL) << WL_FLOW_STAMP_SHIFT) / 1000 + 10000);
		bytes_b += send_flow(h, b, 1);
		s = slot_of(6000, cpu);
		harness_unpin(&old);
		CU_ASSERT_EQUAL(memcmp(&s.key, &kb, sizeof(kb)), 0); /* the second's now */
		CU_ASSERT_EQUAL(s.packets, 0);
		CU_ASSERT_EQUAL(s.base, 41);
		CU_ASSERT_EQUAL(raw_entry(6000).packets, 40); /* the first folded whole */
		CU_ASSERT_EQUAL(raw_entry(6000).bytes, bytes_a);
		CU_ASSERT_EQUAL_FATAL(harness_flow_get(&kb, &st), 0);
		CU_ASSERT_EQUAL(st.packets, 41);
		CU_ASSERT_EQUAL(st.bytes, bytes_b);
	}
}

/* A flow whose entry the LRU pushed out while its slot holds packets: the reader still shows
 * those; the next fold makes the entry again (a new flow, counted) from the deltas. */
WL_TEST(l2l4, flow_cache_entry_pushed_out)
{
	FOR_EACH_HOOK(h) {
		struct wl_flow_key k = key_of(7000);
		struct wl_flow_row *rows = NULL;
		struct wl_flow_stats st;
		cpu_set_t old;
		size_t n = 0;

		harness_reset();
		pin_here(&old);
		send_flow(h, 7000, 30); /* 17 in wl_flows, 13 in the slot */
		CU_ASSERT_EQUAL(bpf_map_delete_elem(wl_map_flows_fd(harness()), &k), 0);
		CU_ASSERT_EQUAL_FATAL(wl_flows_read(wl_map_flow_maps(harness()), &rows, &n), 0);
		CU_ASSERT_EQUAL(n, 1);
		if (n == 1) {
			CU_ASSERT_EQUAL(rows[0].s.packets, 13);
			CU_ASSERT_NOT_EQUAL(rows[0].s.first_seen_ns, 0);
		}
		free(rows);
		CU_ASSERT_EQUAL_FATAL(harness_flow_get(&k, &st), 0);
		CU_ASSERT_EQUAL(st.packets, 13);

		send_flow(h, 7000, WL_FLOW_CACHE_FOLD - 13); /* the 64th since the take folds */
		harness_unpin(&old);
		CU_ASSERT_EQUAL(raw_entry(7000).packets, WL_FLOW_CACHE_FOLD);
		CU_ASSERT_EQUAL(harness_counters().flows_new, 2);
		CU_ASSERT_EQUAL_FATAL(harness_flow_get(&k, &st), 0);
		CU_ASSERT_EQUAL(st.packets, WL_FLOW_CACHE_FOLD);
	}
}

/* TCP flags and a reset: FIN and RST counted from the slot; `reset` (the cache emptied, then
 * wl_flows) leaves nothing to come back. */
WL_TEST(l2l4, flow_cache_flags_and_reset)
{
	FOR_EACH_HOOK(h) {
		struct pkt_spec s = {.family = 4,
				     .src = "198.18.0.1",
				     .dst = "198.18.0.2",
				     .l4 = 6,
				     .sport = 8000,
				     .dport = 9000,
				     .tcp_flags = 0x10,
				     .payload = payload,
				     .payload_len = 10};
		struct wl_flow_key k = flow_key(TEST_IFINDEX, 4, s.src, s.dst, 6, 8000, 9000);
		struct wl_flow_stats st;
		cpu_set_t old;
		size_t len;

		harness_reset();
		pin_here(&old);
		for (int i = 0; i < 30; i++) {
			s.tcp_flags = i == 25 ? 0x11 : i == 28 ? 0x14 : 0x10; /* FIN+ACK, RST+ACK */
			len = pkt_build(&s, frame, sizeof(frame));
			CU_ASSERT_EQUAL(harness_run(h, frame, len, NULL), VERDICT_PASS(h));
		}
		harness_unpin(&old);
		CU_ASSERT_EQUAL_FATAL(harness_flow_get(&k, &st), 0);
		CU_ASSERT_EQUAL(st.packets, 30);
		CU_ASSERT_EQUAL(st.tcp_fin, 1);
		CU_ASSERT_EQUAL(st.tcp_rst, 1);
		CU_ASSERT_EQUAL(st.tcp_syn, 0);

		harness_reset();
		CU_ASSERT_EQUAL(harness_flow_count(), 0);
		CU_ASSERT_EQUAL(harness_flow_get(&k, &st), -ENOENT);
	}
}

/* A reader beside a CPU that folds: one thread sends the flow's packets one test_run at a time
 * on one CPU (a fold every 64), another reads the flow on another CPU as fast as it can. A fold
 * between the reader's look at the slot and at the entry would count 64 packets twice, and the
 * next read, a few packets later, would go back: the slot's seq makes the reader retry. */
#define RACE_READS   10000 /* reads, and packets, before the writer stops: by events, not time */
#define RACE_PACKETS 10000

struct race {
	int hook, cpu;
	size_t len;
	int done;    /* the writer stopped (__atomic) */
	__u64 reads; /* the reader's reads so far (__atomic) */
	__u64 sent;
};

static void *race_writer(void *arg)
{
	struct race *r = arg;
	cpu_set_t one;

	CPU_ZERO(&one);
	CPU_SET(r->cpu, &one);
	sched_setaffinity(0, sizeof(one), &one);
	while (r->sent < RACE_PACKETS ||
	       __atomic_load_n(&r->reads, __ATOMIC_RELAXED) < RACE_READS) {
		if (harness_run(r->hook, frame, r->len, NULL) < 0)
			break;
		r->sent++;
	}
	__atomic_store_n(&r->done, 1, __ATOMIC_RELEASE);
	return NULL;
}

/* The flow as the whole table's reader gives it. */
static int table_get(const struct wl_flow_key *k, struct wl_flow_stats *out)
{
	struct wl_flow_row *rows = NULL;
	size_t n = 0;
	int err = wl_flows_read(wl_map_flow_maps(harness()), &rows, &n);

	for (size_t i = 0; !err && i < n; i++)
		if (!memcmp(&rows[i].k, k, sizeof(*k))) {
			*out = rows[i].s;
			free(rows);
			return 0;
		}
	free(rows);
	return err ? err : -ENOENT;
}

/* A fold stalled half-way: the slot's seq odd, its deltas in wl_flows and not yet cleared (the
 * folding task preempted, or its vCPU descheduled). Made by hand, as the fold writes; the reader
 * must wait for the fold's end, not count the deltas twice. */
struct stalled_read {
	struct wl_flow_key k;
	int done; /* __atomic */
	int err;
	struct wl_flow_stats st;
};

static void *stalled_reader(void *arg)
{
	struct stalled_read *r = arg;

	r->err = harness_flow_get(&r->k, &r->st);
	__atomic_store_n(&r->done, 1, __ATOMIC_RELEASE);
	return NULL;
}

WL_TEST(l2l4, flow_cache_fold_stalled)
{
	int ncpu = libbpf_num_possible_cpus();
	int cache_fd = wl_progs_map_fd(harness(), "wl_flow_cache");
	struct wl_flow_slot *slots = calloc(ncpu, sizeof(*slots));

	CU_ASSERT_FATAL(slots != NULL);
	FOR_EACH_HOOK(h) {
		struct stalled_read r = {.k = key_of(5100)};
		__u32 idx = wl_flow_slot_of(&r.k);
		struct wl_flow_stats raw;
		unsigned long naps;
		cpu_set_t old;
		pthread_t t;
		__u64 bytes;
		int cpu;

		harness_reset();
		cpu = pin_here(&old);
		bytes = send_flow(h, 5100, 30); /* 17 in wl_flows, 13 in the slot */
		harness_unpin(&old);
		CU_ASSERT_EQUAL_FATAL(bpf_map_lookup_elem(cache_fd, &idx, slots), 0);
		CU_ASSERT_EQUAL_FATAL(slots[cpu].packets, 30 - WL_SNIFF_FLOW_PACKETS - 1);
		raw = raw_entry(5100);

		/* the fold's first half */
		slots[cpu].seq++;
		CU_ASSERT_EQUAL_FATAL(bpf_map_update_elem(cache_fd, &idx, slots, BPF_EXIST), 0);
		raw.packets += slots[cpu].packets;
		raw.bytes += slots[cpu].bytes;
		CU_ASSERT_EQUAL_FATAL(
			bpf_map_update_elem(wl_map_flows_fd(harness()), &r.k, &raw, BPF_EXIST), 0);

		naps = wl_seq_naps();
		CU_ASSERT_EQUAL_FATAL(pthread_create(&t, NULL, stalled_reader, &r), 0);
		CU_ASSERT_TRUE(harness_reader_waits(naps, &r.done));

		/* the second half */
		slots[cpu].base = raw.packets;
		slots[cpu].packets = slots[cpu].bytes = 0;
		slots[cpu].n = 0;
		slots[cpu].seq++;
		CU_ASSERT_EQUAL(bpf_map_update_elem(cache_fd, &idx, slots, BPF_EXIST), 0);
		pthread_join(t, NULL);
		CU_ASSERT_EQUAL(r.err, 0);
		CU_ASSERT_EQUAL(r.st.packets, 30);
		CU_ASSERT_EQUAL(r.st.bytes, bytes);
	}
	free(slots);
}

WL_TEST(l2l4, flow_cache_read_while_folding)
{
	int ncpu = sysconf(_SC_NPROCESSORS_ONLN);

	if (ncpu < 2) {
		fprintf(stderr, "\n  one CPU: no reader beside the writer, not run\n");
		return;
	}
	FOR_EACH_HOOK(h) {
		struct race r = {.hook = h, .cpu = 1};
		struct pkt_spec s = udp(9500, 10);
		struct wl_flow_key k = key_of(9500);
		__u64 last = 0, reads = 0, back = 0;
		struct wl_flow_stats st;
		cpu_set_t old, zero;
		pthread_t w;

		harness_reset();
		r.len = pkt_build(&s, frame, sizeof(frame));
		sched_getaffinity(0, sizeof(old), &old);
		CPU_ZERO(&zero);
		CPU_SET(0, &zero);
		sched_setaffinity(0, sizeof(zero), &zero);
		CU_ASSERT_EQUAL_FATAL(pthread_create(&w, NULL, race_writer, &r), 0);
		while (!__atomic_load_n(&r.done, __ATOMIC_ACQUIRE)) {
			/* one read in 256 of the whole table (`wirelens flows`), the others of the
			 * flow alone (the tests' oracle) */
			if (reads % 256 == 255 ? table_get(&k, &st) : harness_flow_get(&k, &st))
				continue; /* not there yet */
			reads++;
			__atomic_store_n(&r.reads, reads, __ATOMIC_RELAXED);
			if (st.packets < last)
				back++;
			last = st.packets;
		}
		pthread_join(w, NULL);
		harness_unpin(&old);
		CU_ASSERT_EQUAL(back, 0);
		CU_ASSERT(reads >= RACE_READS);
		CU_ASSERT_EQUAL_FATAL(harness_flow_get(&k, &st), 0);
		CU_ASSERT_EQUAL(st.packets, r.sent);
		if (back || st.packets != r.sent)
			fprintf(stderr,
				"\n  [%s] %llu reads, %llu went back; %llu counted of %llu\n",
				hook_names[h], (unsigned long long)reads, (unsigned long long)back,
				(unsigned long long)st.packets, (unsigned long long)r.sent);
	}
}
