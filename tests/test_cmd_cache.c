// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The per-CPU cache of command-statistics deltas in front of wl_cmd_stats (maps/wirelens.h,
 * parse/l7.h): a (server, command)'s updates after the packet that took its slot on this CPU go
 * to the slot, folded into its entry at the end of the packet that made 64 of them, or when
 * another command takes the slot;
 * readers add the slots (loader/cmd_stats.c). Exact counts through the readers, and where the
 * events are in between. The test thread stays on one CPU, so that every update meets the same
 * slot.
 */
#include <arpa/inet.h>
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

#include "expect.h"
#include "harness.h"
#include "l7conv.h"
#include "suites.h"
#include "loader/commands.h"
#include "loader/l7cfg.h"

/* The Redis command name's key at the conversation's server (CONV_SRV:port). */
static struct wl_cmd_key key_of(uint16_t port, const char *cmd)
{
	struct wl_cmd_key k;

	memset(&k, 0, sizeof(k));
	k.l7_proto = WL_L7_REDIS;
	k.l3_proto = 0x0800;
	k.server_port = port;
	inet_pton(AF_INET, CONV_SRV, k.server_addr);
	strncpy(k.command, cmd, WL_CMD_LEN - 1);
	return k;
}

/* The entry alone, its CPUs summed (what `bpftool map dump` shows). */
static int raw_entry(const struct wl_cmd_key *k, struct wl_cmd_stats *out)
{
	int ncpu = libbpf_num_possible_cpus();
	struct wl_cmd_stats *per = calloc(ncpu, sizeof(*per));
	int err = per ? bpf_map_lookup_elem(wl_map_cmd_stats_fd(harness()), k, per) : -1;

	memset(out, 0, sizeof(*out));
	for (int c = 0; !err && c < ncpu; c++) {
		out->requests += per[c].requests;
		out->responses += per[c].responses;
		out->request_bytes += per[c].request_bytes;
		out->response_bytes += per[c].response_bytes;
	}
	free(per);
	return err;
}

/* The command's id (wl_cmd_names) and the cache index its slot is at on every CPU. */
static int id_of(const char *cmd)
{
	struct wl_cmd_name_key k = {.l7_proto = WL_L7_REDIS};
	struct wl_cmd_name_val v;

	strncpy(k.command, cmd, WL_CMD_LEN - 1);
	if (bpf_map_lookup_elem(wl_progs_map_fd(harness(), "wl_cmd_names"), &k, &v))
		return -1;
	return v.id;
}

static __u32 index_of(uint16_t port, int id)
{
	struct wl_cmd_key k = key_of(port, "");
	__u64 w0 = k.l7_proto | (__u64)k.l3_proto << 16 | (__u64)port << 32 | (__u64)id << 48, a[2];

	memcpy(a, k.server_addr, 16);
	return wl_cmd_slot_hash(w0, a[0], a[1]);
}

static struct wl_cmd_slot slot_at(__u32 idx, int cpu)
{
	int ncpu = libbpf_num_possible_cpus();
	struct wl_cmd_slot *all = calloc(ncpu, sizeof(*all)), s;

	memset(&s, 0, sizeof(s));
	if (all && !bpf_map_lookup_elem(wl_progs_map_fd(harness(), "wl_cmd_cache"), &idx, all))
		s = all[cpu];
	free(all);
	return s;
}

static const char ping_req[] = "*1\r\n$4\r\nPING\r\n";
static const char pong[] = "+PONG\r\n";

/* 100 PINGs and their PONGs on one CPU: 200 updates; the first goes to the entry and the slot is
 * the command's from the end of that packet, the next 199 to the slot, folded at the end of the
 * 65th, 129th and 193rd. The entry trails by the slot, the readers count every one. */
WL_TEST(redis, cmd_cache_fold_and_read)
{
	FOR_EACH_HOOK(h) {
		struct wl_cmd_key k = key_of(6379, "PING");
		int cpu = sched_getcpu(), id = id_of("PING");
		struct wl_cmd_stats st, raw;
		struct wl_cmd_slot s;
		cpu_set_t old;
		struct conv c;

		CU_ASSERT_FATAL(id > 0);
		harness_reset();
		CU_ASSERT_EQUAL_FATAL(harness_pin(cpu, &old), cpu);
		conv_start(h, &c, 6379);
		conv_req(h, &c, ping_req);
		/* the first update makes the entry; the slot is the command's after it */
		CU_ASSERT_EQUAL(raw_entry(&k, &raw), 0);
		CU_ASSERT_EQUAL(raw.requests, 1);
		CU_ASSERT_EQUAL(raw.request_bytes, sizeof(ping_req) - 1);
		s = slot_at(index_of(6379, id), cpu);
		CU_ASSERT_EQUAL(memcmp(&s.key, &k, sizeof(k)), 0);
		CU_ASSERT_EQUAL(s.n, 0);
		CU_ASSERT_EQUAL(s.d.requests, 0);
		conv_resp(h, &c, pong);
		for (int i = 1; i < 100; i++) {
			conv_req(h, &c, ping_req);
			conv_resp(h, &c, pong);
		}
		s = slot_at(index_of(6379, id), cpu);
		harness_unpin(&old);
		CU_ASSERT_EQUAL(s.n, 200 - 193);
		CU_ASSERT_EQUAL(s.seq % 2, 0);
		CU_ASSERT_EQUAL(raw_entry(&k, &raw), 0);
		CU_ASSERT_EQUAL(raw.requests + raw.responses, 193);
		CU_ASSERT_EQUAL(raw.requests + s.d.requests, 100);
		CU_ASSERT_EQUAL(raw.responses + s.d.responses, 100);
		CU_ASSERT_EQUAL_FATAL(conv_stats(&c, WL_L7_REDIS, "PING", &st), 0);
		CU_ASSERT_EQUAL(st.requests, 100);
		CU_ASSERT_EQUAL(st.responses, 100);
		CU_ASSERT_EQUAL(st.request_bytes, 100 * (sizeof(ping_req) - 1));
		CU_ASSERT_EQUAL(st.response_bytes, 100 * (sizeof(pong) - 1));
		CU_ASSERT_EQUAL(conv_stats_entries(), 1);
		EXPECT_COUNTERS();

		/* `reset` empties the cache before the table: nothing comes back */
		harness_reset();
		CU_ASSERT_EQUAL(conv_stats(&c, WL_L7_REDIS, "PING", &st), -ENOENT);
		CU_ASSERT_EQUAL(slot_at(index_of(6379, id), cpu).ident[0], 0);
	}
}

/* Two Redis commands whose slots are at the same index: the second finds the slot taken by the
 * first moments ago and counts in its entry; once the slot is idle past WL_CMD_CACHE_TAKE_NS it
 * takes it, the first's deltas folded whole into the first's entry. */
WL_TEST(redis, cmd_cache_take_when_idle)
{
	static const char *const names[] = {
		"GET",	  "SET",   "DEL",  "INCR", "EXISTS", "EXPIRE", "HGET",	"HSET",	  "LPUSH",
		"RPUSH",  "LPOP",  "RPOP", "SADD", "SREM",   "ZADD",   "ZREM",	"TTL",	  "TYPE",
		"APPEND", "DECR",  "MGET", "MSET", "KEYS",   "SCAN",   "HDEL",	"HLEN",	  "LLEN",
		"SCARD",  "ZCARD", "INFO", "ECHO", "STRLEN", "GETSET", "SETNX", "INCRBY", "DECRBY"};
	const char *a = NULL, *b = NULL;

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]) && !b; i++)
		for (size_t j = i + 1; j < sizeof(names) / sizeof(names[0]) && !b; j++)
			if (id_of(names[i]) > 0 && id_of(names[j]) > 0 &&
			    index_of(6379, id_of(names[i])) == index_of(6379, id_of(names[j]))) {
				a = names[i];
				b = names[j];
			}
	if (!b) {
		fprintf(stderr, "\n  no two commands of the list share an index: not run\n");
		return;
	}
	FOR_EACH_HOOK(h) {
		struct wl_cmd_key ka = key_of(6379, a), kb = key_of(6379, b);
		int cpu = sched_getcpu();
		__u32 idx = index_of(6379, id_of(a));
		struct wl_cmd_stats st, raw;
		char req_a[64], req_b[64];
		struct wl_cmd_slot s;
		cpu_set_t old;
		struct conv c;

		snprintf(req_a, sizeof(req_a), "*1\r\n$%zu\r\n%s\r\n", strlen(a), a);
		snprintf(req_b, sizeof(req_b), "*1\r\n$%zu\r\n%s\r\n", strlen(b), b);
		harness_reset();
		CU_ASSERT_EQUAL_FATAL(harness_pin(cpu, &old), cpu);
		conv_start(h, &c, 6379);
		for (int i = 0; i < 10; i++) {
			conv_req(h, &c, req_a);
			conv_resp(h, &c, "+OK\r\n");
		}
		for (int i = 0; i < 5; i++) {
			conv_req(h, &c, req_b);
			conv_resp(h, &c, "+OK\r\n");
		}
		s = slot_at(idx, cpu);
		CU_ASSERT_EQUAL(memcmp(&s.key, &ka, sizeof(ka)), 0); /* still the first's */
		CU_ASSERT_EQUAL(raw_entry(&kb, &raw), 0);
		CU_ASSERT_EQUAL(raw.requests, 5); /* the second's, straight into its entry */
		CU_ASSERT_EQUAL(raw.responses, 5);
		CU_ASSERT_EQUAL(raw_entry(&ka, &raw), 0);
		CU_ASSERT_EQUAL(raw.requests, 1); /* the first's first; the rest in the slot */
		CU_ASSERT_EQUAL(raw.responses, 0);

		/* the coarse clock ticks: past the take interval by the clock the program reads */
		usleep(WL_CMD_CACHE_TAKE_NS / 1000 + 20000);
		conv_req(h, &c, req_b);
		s = slot_at(idx, cpu);
		harness_unpin(&old);
		CU_ASSERT_EQUAL(memcmp(&s.key, &kb, sizeof(kb)), 0); /* the second's now */
		CU_ASSERT_EQUAL(s.n, 0);
		CU_ASSERT_EQUAL(raw_entry(&kb, &raw), 0);
		CU_ASSERT_EQUAL(raw.requests, 6);
		CU_ASSERT_EQUAL(raw_entry(&ka, &raw), 0);
		CU_ASSERT_EQUAL(raw.requests, 10); /* the first folded whole */
		CU_ASSERT_EQUAL(raw.responses, 10);
		CU_ASSERT_EQUAL_FATAL(conv_stats(&c, WL_L7_REDIS, a, &st), 0);
		CU_ASSERT_EQUAL(st.requests, 10);
		CU_ASSERT_EQUAL(st.responses, 10);
		CU_ASSERT_EQUAL_FATAL(conv_stats(&c, WL_L7_REDIS, b, &st), 0);
		CU_ASSERT_EQUAL(st.requests, 6);
		CU_ASSERT_EQUAL(st.responses, 5);
	}
}

/* An entry removed while its slot holds deltas (`reset` of the table alone, or a user's delete):
 * the reader shows the deltas; the next fold makes the entry again from them. */
WL_TEST(redis, cmd_cache_entry_removed)
{
	FOR_EACH_HOOK(h) {
		struct wl_cmd_key k = key_of(6379, "PING");
		int cpu = sched_getcpu();
		struct wl_cmd_stats st, raw;
		cpu_set_t old;
		struct conv c;

		harness_reset();
		CU_ASSERT_EQUAL_FATAL(harness_pin(cpu, &old), cpu);
		conv_start(h, &c, 6379);
		/* 10 updates (no reply between: one run each): the first in the entry, 9 in the
		 * slot */
		for (int i = 0; i < 10; i++)
			conv_req(h, &c, ping_req);
		CU_ASSERT_EQUAL(bpf_map_delete_elem(wl_map_cmd_stats_fd(harness()), &k), 0);
		CU_ASSERT_EQUAL_FATAL(conv_stats(&c, WL_L7_REDIS, "PING", &st), 0);
		CU_ASSERT_EQUAL(st.requests, 9);
		for (int i = 0; i < WL_CMD_CACHE_FOLD - 9; i++)
			conv_req(h, &c, ping_req); /* the slot's 64th update folds */
		CU_ASSERT_EQUAL(raw_entry(&k, &raw), 0);
		CU_ASSERT_EQUAL(raw.requests, WL_CMD_CACHE_FOLD);
		conv_req(h, &c, ping_req);
		harness_unpin(&old);
		CU_ASSERT_EQUAL(raw_entry(&k, &raw), 0);
		CU_ASSERT_EQUAL(raw.requests, WL_CMD_CACHE_FOLD);
		CU_ASSERT_EQUAL_FATAL(conv_stats(&c, WL_L7_REDIS, "PING", &st), 0);
		CU_ASSERT_EQUAL(st.requests, WL_CMD_CACHE_FOLD + 1);
	}
}

/* A fold stalled half-way: its slot's seq odd, its deltas added to the entry and not yet cleared
 * (the folding task preempted, or its vCPU descheduled: a reader that gave up waiting after 64
 * tries counted them twice under emulation on 7.2). Made here by hand, as the fold writes; the
 * reader must wait for the fold's end, however long. */
struct stalled_read {
	struct conv *c;
	int done; /* __atomic */
	int err;
	struct wl_cmd_stats st;
};

static void *stalled_reader(void *arg)
{
	struct stalled_read *r = arg;

	r->err = conv_stats(r->c, WL_L7_REDIS, "PING", &r->st);
	__atomic_store_n(&r->done, 1, __ATOMIC_RELEASE);
	return NULL;
}

WL_TEST(redis, cmd_cache_fold_stalled)
{
	int ncpu = libbpf_num_possible_cpus();
	int cache_fd = wl_progs_map_fd(harness(), "wl_cmd_cache");
	int stats_fd = wl_map_cmd_stats_fd(harness());
	struct wl_cmd_slot *slots = calloc(ncpu, sizeof(*slots));
	struct wl_cmd_stats *per = calloc(ncpu, sizeof(*per));

	CU_ASSERT_FATAL(slots && per);
	FOR_EACH_HOOK(h) {
		struct wl_cmd_key k = key_of(6379, "PING");
		int cpu = sched_getcpu();
		__u32 idx = index_of(6379, id_of("PING"));
		struct stalled_read r = {0};
		unsigned long naps;
		pthread_t t;
		cpu_set_t old;
		struct conv c;

		harness_reset();
		CU_ASSERT_EQUAL_FATAL(harness_pin(cpu, &old), cpu);
		conv_start(h, &c, 6379);
		for (int i = 0; i < 10; i++) /* the first in the entry, 9 in the slot */
			conv_req(h, &c, ping_req);
		harness_unpin(&old);
		CU_ASSERT_EQUAL_FATAL(bpf_map_lookup_elem(cache_fd, &idx, slots), 0);
		CU_ASSERT_EQUAL_FATAL(bpf_map_lookup_elem(stats_fd, &k, per), 0);
		CU_ASSERT_EQUAL_FATAL(slots[cpu].n, 9);

		/* the fold's first half */
		slots[cpu].seq++;
		CU_ASSERT_EQUAL_FATAL(bpf_map_update_elem(cache_fd, &idx, slots, BPF_EXIST), 0);
		wl_cmd_stats_add(&per[cpu], &slots[cpu].d);
		CU_ASSERT_EQUAL_FATAL(bpf_map_update_elem(stats_fd, &k, per, BPF_EXIST), 0);

		naps = wl_seq_naps();
		r.c = &c;
		CU_ASSERT_EQUAL_FATAL(pthread_create(&t, NULL, stalled_reader, &r), 0);
		CU_ASSERT_TRUE(harness_reader_waits(naps, &r.done));

		/* the second half */
		memset(&slots[cpu].d, 0, sizeof(slots[cpu].d));
		slots[cpu].n = 0;
		slots[cpu].seq++;
		CU_ASSERT_EQUAL(bpf_map_update_elem(cache_fd, &idx, slots, BPF_EXIST), 0);
		pthread_join(t, NULL);
		CU_ASSERT_EQUAL(r.err, 0);
		CU_ASSERT_EQUAL(r.st.requests, 10);
		CU_ASSERT_EQUAL(r.st.request_bytes, 10 * (sizeof(ping_req) - 1));
	}
	free(slots);
	free(per);
}

/* A seq left odd (which no fold does: a writer gone mid-fold): the reader waits WL_SEQ_GIVE_UP_MS,
 * then says EBUSY rather than guess at the counts. */
WL_TEST(redis, cmd_cache_fold_never_ends)
{
	int ncpu = libbpf_num_possible_cpus();
	int cache_fd = wl_progs_map_fd(harness(), "wl_cmd_cache");
	struct wl_cmd_slot *slots = calloc(ncpu, sizeof(*slots));
	__u32 idx = index_of(6379, id_of("PING"));
	struct wl_cmd_row *rows = NULL;
	struct timespec t0, t1;
	struct wl_cmd_stats st;
	cpu_set_t old;
	struct conv c;
	size_t n = 0;
	int cpu = sched_getcpu(), err;

	CU_ASSERT_FATAL(slots != NULL);
	harness_reset();
	CU_ASSERT_EQUAL_FATAL(harness_pin(cpu, &old), cpu);
	conv_start(HOOK_XDP, &c, 6379);
	for (int i = 0; i < 3; i++)
		conv_req(HOOK_XDP, &c, ping_req);
	harness_unpin(&old);
	CU_ASSERT_EQUAL_FATAL(bpf_map_lookup_elem(cache_fd, &idx, slots), 0);
	slots[cpu].seq |= 1;
	CU_ASSERT_EQUAL_FATAL(bpf_map_update_elem(cache_fd, &idx, slots, BPF_EXIST), 0);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	err = wl_cmd_stats_read(wl_map_cmd_maps(harness()), &rows, &n);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	CU_ASSERT_EQUAL(err, -EBUSY);
	CU_ASSERT_PTR_NULL(rows);
	CU_ASSERT((t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000 >=
		  WL_SEQ_GIVE_UP_MS);
	free(rows);
	slots[cpu].seq++; /* the fold ends: read again */
	CU_ASSERT_EQUAL(bpf_map_update_elem(cache_fd, &idx, slots, BPF_EXIST), 0);
	CU_ASSERT_EQUAL(conv_stats(&c, WL_L7_REDIS, "PING", &st), 0);
	CU_ASSERT_EQUAL(st.requests, 3);
	free(slots);
}

/* A reader beside a CPU that folds: one thread sends PINGs (one test_run each) on one CPU, a fold
 * every 64, another reads on another CPU as fast as it can. A fold between the reader's look at
 * the slot and at the entry would count 64 twice, and the next read would go back: the slot's seq
 * makes the reader retry. */
#define RACE_READS 3000
#define RACE_REQS  6000

struct race {
	int hook, cpu;
	struct conv c;
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
	while (r->sent < RACE_REQS || __atomic_load_n(&r->reads, __ATOMIC_RELAXED) < RACE_READS) {
		if (conv_req(r->hook, &r->c, ping_req) < 0)
			break;
		r->sent++;
	}
	__atomic_store_n(&r->done, 1, __ATOMIC_RELEASE);
	return NULL;
}

WL_TEST(redis, cmd_cache_read_while_folding)
{
	if (sysconf(_SC_NPROCESSORS_ONLN) < 2) {
		fprintf(stderr, "\n  one CPU: no reader beside the writer, not run\n");
		return;
	}
	FOR_EACH_HOOK(h) {
		struct race r = {.hook = h, .cpu = 1};
		__u64 last = 0, reads = 0, back = 0;
		struct wl_cmd_stats st;
		pthread_t w;
		cpu_set_t old;

		harness_reset();
		conv_start(h, &r.c, 6379);
		CU_ASSERT_EQUAL_FATAL(harness_pin(0, &old), 0);
		CU_ASSERT_EQUAL_FATAL(pthread_create(&w, NULL, race_writer, &r), 0);
		while (!__atomic_load_n(&r.done, __ATOMIC_ACQUIRE)) {
			if (conv_stats(&r.c, WL_L7_REDIS, "PING", &st))
				continue; /* not there yet */
			reads++;
			__atomic_store_n(&r.reads, reads, __ATOMIC_RELAXED);
			if (st.requests < last)
				back++;
			last = st.requests;
		}
		pthread_join(w, NULL);
		harness_unpin(&old);
		CU_ASSERT_EQUAL(back, 0);
		CU_ASSERT(reads >= RACE_READS);
		CU_ASSERT_EQUAL_FATAL(conv_stats(&r.c, WL_L7_REDIS, "PING", &st), 0);
		CU_ASSERT_EQUAL(st.requests, r.sent);
		if (back || st.requests != r.sent)
			fprintf(stderr,
				"\n  [%s] %llu reads, %llu went back; %llu counted of %llu\n",
				hook_names[h], (unsigned long long)reads, (unsigned long long)back,
				(unsigned long long)st.requests, (unsigned long long)r.sent);
	}
}
