// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "harness.h"
#include "loader/l7cfg.h"

const char *const hook_names[HOOK_COUNT] = {"xdp", "tc"};

static struct wl_progs progs;
static int loaded;

struct wl_progs *harness(void)
{
	return loaded ? &progs : NULL;
}

int harness_init(void)
{
	struct wl_load_opts o = {.warn = true, .verbose = getenv("WL_VERBOSE") != NULL};
	int err;

	if (loaded)
		return 0;
	wl_libbpf_quiet(getenv("WL_VERBOSE") != NULL);
	err = wl_progs_load(&progs, &o);
	if (!err)
		err = wl_l7_config_init(&progs);
	if (!err)
		loaded = 1;
	return err;
}

void harness_fini(void)
{
	if (loaded)
		wl_progs_close(&progs);
	loaded = 0;
}

void harness_reset(void)
{
	wl_map_clear(wl_progs_map_fd(&progs, "wl_flow_cache"));
	wl_map_clear(wl_progs_map_fd(&progs, "wl_flow_tags"));
	wl_map_clear(wl_map_flows_fd(&progs));
	wl_map_clear(wl_map_counters_fd(&progs));
	wl_map_clear(wl_map_frags_fd(&progs));
	wl_map_clear(wl_map_conns_fd(&progs));
	wl_map_clear(wl_progs_map_fd(&progs, "wl_cmd_cache"));
	wl_map_clear(wl_map_cmd_stats_fd(&progs));
	wl_map_clear(wl_map_ports_fd(&progs)); /* ports learned by sniffing go too */
	wl_l7_ports_defaults(wl_map_ports_fd(&progs));
	wl_map_clear(wl_map_sniff_fd(&progs)); /* the sniffing bound: the default, none learned */
	wl_l7_sniff_set(wl_map_sniff_fd(&progs), wl_map_ports_fd(&progs), -1);
}

int harness_pin(int cpu, cpu_set_t *old)
{
	cpu_set_t one;

	if (cpu < 0)
		cpu = sched_getcpu();
	sched_getaffinity(0, sizeof(*old), old);
	CPU_ZERO(&one);
	CPU_SET(cpu, &one);
	return sched_setaffinity(0, sizeof(one), &one) ? -1 : cpu;
}

void harness_unpin(const cpu_set_t *old)
{
	sched_setaffinity(0, sizeof(*old), old);
}

bool harness_reader_waits(unsigned long naps, const int *done)
{
	while (wl_seq_naps() == naps && !__atomic_load_n(done, __ATOMIC_ACQUIRE))
		sched_yield();
	return !__atomic_load_n(done, __ATOMIC_ACQUIRE);
}

static int entry_fd[HOOK_COUNT] = {-1, -1}; /* harness_use_entry */

void harness_use_entry(int xdp_fd, int tc_fd)
{
	entry_fd[HOOK_XDP] = xdp_fd;
	entry_fd[HOOK_TC] = tc_fd;
}

int harness_run(enum wl_hook hook, const void *frame, size_t len, const struct run_opts *o)
{
	struct __sk_buff skb = {0};
	LIBBPF_OPTS(bpf_test_run_opts, topts, .data_in = frame, .data_size_in = len, .repeat = 1);
	int fd = entry_fd[hook] >= 0 ? entry_fd[hook]
		 : hook == HOOK_XDP  ? wl_progs_xdp_fd(&progs)
				     : wl_progs_tc_fd(&progs);

	if (hook == HOOK_TC && o) {
		skb.gso_segs = o->gso_segs;
		skb.gso_size = o->gso_size;
		skb.ifindex = o->ifindex;
		skb.ingress_ifindex = o->ingress_ifindex;
		topts.ctx_in = &skb;
		topts.ctx_size_in = sizeof(skb);
	}
	if (bpf_prog_test_run_opts(fd, &topts))
		return -errno;
	if (hook == HOOK_TC && topts.retval == (__u32)-1)
		return VERDICT_TC_NEXT;
	return topts.retval;
}

struct wl_counters harness_counters(void)
{
	struct wl_counters c;

	memset(&c, 0xff, sizeof(c));
	wl_counters_read(wl_map_counters_fd(&progs), &c);
	return c;
}

int harness_flow_count(void)
{
	struct wl_flow_key k, next;
	int n = 0, fd = wl_map_flows_fd(&progs);
	void *prev = NULL;

	while (!bpf_map_get_next_key(fd, prev, &next)) {
		k = next;
		prev = &k;
		n++;
	}
	return n;
}

int harness_flow_get(const struct wl_flow_key *key, struct wl_flow_stats *out)
{
	return wl_flow_get(wl_map_flow_maps(&progs), key, out);
}

int harness_flow_first(struct wl_flow_key *key, struct wl_flow_stats *out)
{
	if (bpf_map_get_next_key(wl_map_flows_fd(&progs), NULL, key))
		return -errno;
	return harness_flow_get(key, out);
}

int harness_flow_forget(const struct wl_flow_key *key)
{
	wl_map_clear(wl_progs_map_fd(&progs, "wl_flow_cache"));
	wl_map_clear(wl_progs_map_fd(&progs, "wl_flow_tags"));
	return bpf_map_delete_elem(wl_map_flows_fd(&progs), key) ? -errno : 0;
}

struct wl_flow_key flow_key(uint32_t ifindex, int family, const char *src, const char *dst,
			    uint8_t l4, uint16_t sport, uint16_t dport)
{
	struct wl_flow_key k;

	memset(&k, 0, sizeof(k));
	k.ifindex = ifindex;
	k.l3_proto = family == 6 ? 0x86DD : 0x0800;
	k.l4_proto = l4;
	k.src_port = sport;
	k.dst_port = dport;
	inet_pton(family == 6 ? AF_INET6 : AF_INET, src, k.src_addr);
	inet_pton(family == 6 ? AF_INET6 : AF_INET, dst, k.dst_addr);
	return k;
}

__u64 mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}
