// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * `wirelens log`: one line per request/response pair (or, with --packets, per packet) read from
 * the event ring (parse/events.h). The programs write records only while this reader holds the
 * lease in wl_log_cfg: it renews it every second and clears it on exit; a reader that dies
 * without clearing it stops the records within WL_LOG_LEASE_NS.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <net/if.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <json-c/json.h>

#include "verbs.h"
#include "attach.h"
#include "fmt.h"
#include "l7cfg.h"
#include "log.h"
#include "progs.h"
#include "views.h"
#include "netns_ids.h"

struct log_opts {
	bool json, packets;
	__u32 l7_mask, sample;
	__u64 max_events;
	double duration;
};

static int protocol_arg(const struct wl_param_call *call, const char *value)
{
	struct log_opts *o = call->opts;
	char buf[256], *tok, *save = NULL;

	snprintf(buf, sizeof(buf), "%s", value);
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		unsigned int p = wl_l7_proto_by_name(tok);

		if (!p)
			return wl_params_bad_value(call, value, "unknown protocol");
		o->l7_mask |= 1u << p;
	}
	if (!o->l7_mask)
		return wl_params_bad_value(call, value, "no protocol");
	return 0;
}

static int duration_arg(const struct wl_param_call *call, const char *value)
{
	struct log_opts *o = call->opts;
	char *end;
	double v = strtod(value, &end);

	if (end == value || *end || !(v > 0) || v > 1e9)
		return wl_params_bad_value(call, value, "seconds above 0");
	o->duration = v;
	return 0;
}

const struct wl_verb_params wl_log_params = {
	.verb = "log",
	.summary = "request/response pairs as they complete: time, client -> server, protocol,\n"
		   "  command, status (ok, error, miss), latency; never payload, keys or SQL text",
	.params = WL_PARAMS(
		{"json", 'j', NULL, "one JSON object per line (fields: README, \"Watching live\")",
		 WL_FLAG(struct log_opts, json)},
		{"protocol", 'p', "PROTO,...", "pairs of these protocols only",
		 WL_FN(protocol_arg)},
		{"sample", 's', "N",
		 "keep 1 record in N, chosen at random in the kernel\n(the rest are "
		 "counted "
		 "as sampled)",
		 WL_NUM(struct log_opts, sample, 1, 1000000)},
		{"packets", 0, NULL,
		 "one line per packet (addresses, ports, length, hook)\ninstead of per "
		 "pair",
		 WL_FLAG(struct log_opts, packets)},
		{"count", 'c', "N", "stop after N events",
		 WL_NUM(struct log_opts, max_events, 1, 0)},
		{"duration", 0, "SECONDS", "stop after that long", WL_FN(duration_arg)}),
	.notes = "  A record holds the pairs of one command answered in one packet with one\n"
		 "  latency: its line ends in xN when N > 1. Events the ring had no room for are\n"
		 "  counted (lost), as are those sampled out or thinned (over half full, 1 record\n"
		 "  in 16 is kept); the summary at the end (stderr; --json: stdout) gives them.\n"
		 "  One reader at a time; nothing is recorded while none reads.",
};

static __u64 mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

int wl_log_read(struct wl_log_stats *st, struct wl_log_cfg *cfg)
{
	int ncpu = libbpf_num_possible_cpus(), fd, err = 0;
	struct wl_log_stats *per;
	__u32 zero = 0;

	if (ncpu < 1)
		return -EINVAL;
	memset(st, 0, sizeof(*st));
	memset(cfg, 0, sizeof(*cfg));
	fd = wl_map_open("wl_log_stats");
	if (fd < 0)
		return -ENOENT;
	per = calloc(ncpu, sizeof(*per));
	if (!per) {
		close(fd);
		return -ENOMEM;
	}
	if (bpf_map_lookup_elem(fd, &zero, per))
		err = -errno;
	for (int c = 0; !err && c < ncpu; c++) {
		__u64 *dst = (__u64 *)st, *src = (__u64 *)&per[c];

		for (size_t i = 0; i < sizeof(*st) / sizeof(__u64); i++)
			dst[i] += src[i];
	}
	free(per);
	close(fd);
	fd = wl_map_open("wl_log_cfg");
	if (fd < 0)
		return err ? err : -ENOENT;
	if (!err && bpf_map_lookup_elem(fd, &zero, cfg))
		err = -errno;
	close(fd);
	return err;
}

bool wl_log_reader_active(const struct wl_log_cfg *cfg)
{
	return cfg->flags && cfg->until_ns > mono_ns() && cfg->reader_pid &&
	       (kill(cfg->reader_pid, 0) == 0 || errno == EPERM);
}

/* What the ring could not take or kept out: status --json "log" and the reader's summary. */
static void json_add_losses(json_object *o, const struct wl_log_stats *s)
{
	json_object_object_add(o, "lost_events", json_object_new_uint64(s->lost_events));
	json_object_object_add(o, "lost_records", json_object_new_uint64(s->lost_records));
	json_object_object_add(o, "sampled_events", json_object_new_uint64(s->sampled_events));
	json_object_object_add(o, "thinned_events", json_object_new_uint64(s->thinned_events));
}

void wl_log_status(struct json_object *root)
{
	struct wl_log_stats st;
	struct wl_log_cfg cfg;
	bool active;

	if (wl_log_read(&st, &cfg))
		return; /* pins of an older build: no event log */
	active = wl_log_reader_active(&cfg);
	if (root) {
		json_object *o = json_object_new_object();

		json_object_object_add(o, "reader_pid",
				       active ? json_object_new_int(cfg.reader_pid) : NULL);
		json_object_object_add(o, "reading",
				       json_object_new_string(!active ? "none"
							      : cfg.flags & WL_LOG_PACKETS
								      ? "packets"
								      : "pairs"));
		json_object_object_add(o, "records", json_object_new_uint64(st.records));
		json_object_object_add(o, "events", json_object_new_uint64(st.events));
		json_add_losses(o, &st);
		json_object_object_add(root, "log", o);
		return;
	}
	printf("log:\n");
	if (active)
		printf("  reader             pid %u (%s)\n", cfg.reader_pid,
		       cfg.flags & WL_LOG_PACKETS ? "packets" : "pairs");
	else
		printf("  reader             none (nothing recorded)\n");
	printf("  %-18s %llu\n  %-18s %llu\n  %-18s %llu\n  %-18s %llu\n  %-18s %llu\n", "events",
	       (unsigned long long)st.events, "records", (unsigned long long)st.records,
	       "lost_events", (unsigned long long)st.lost_events, "sampled_events",
	       (unsigned long long)st.sampled_events, "thinned_events",
	       (unsigned long long)st.thinned_events);
}

/* ---- the reader ---- */

struct log_reader {
	struct log_opts o;
	int cfg_fd, ids_fd;
	char names[WL_CMD_IDS_MAX][WL_CMD_LEN + 1];
	__s64 real_minus_mono; /* ns */
	__u64 events, records;
	struct wl_log_stats base;
	__u64 lost_shown;
	int draining; /* discard: records of an earlier reader */
	int failed;   /* stdout is gone (EPIPE) */
};

static volatile sig_atomic_t stop_requested;

static void on_signal(int sig)
{
	(void)sig;
	stop_requested = 1;
}

static const char *cmd_name(struct log_reader *r, __u16 id)
{
	__u32 key = id;
	struct wl_cmd_name n;

	if (id >= WL_CMD_IDS_MAX)
		return "OTHER";
	if (!r->names[id][0] && !bpf_map_lookup_elem(r->ids_fd, &key, &n)) {
		memcpy(r->names[id], n.command, WL_CMD_LEN);
		r->names[id][WL_CMD_LEN] = 0;
	}
	return r->names[id][0] ? r->names[id] : "OTHER";
}

static void format_time(struct log_reader *r, __u64 ts_ns, char *iso, size_t iso_len, char *hms,
			size_t hms_len)
{
	__s64 real = (__s64)ts_ns + r->real_minus_mono;
	time_t sec = real / 1000000000LL;
	long usec = (real % 1000000000LL) / 1000;
	struct tm tm;
	char base[32];

	gmtime_r(&sec, &tm);
	strftime(base, sizeof(base), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(iso, iso_len, "%s.%06ldZ", base, usec);
	strftime(base, sizeof(base), "%H:%M:%S", &tm);
	snprintf(hms, hms_len, "%s.%06ld", base, usec);
}

static const char *pair_status(const struct wl_event *e)
{
	if (!e->errors && !e->misses)
		return "ok";
	if (e->errors == e->count)
		return "error";
	if (e->misses == e->count)
		return "miss";
	return "mixed";
}

static void print_json(json_object *o)
{
	printf("%s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
								 JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(o);
}

/* The fields every event's JSON line starts with. */
static json_object *event_json(const char *type, const struct wl_event *e, const char *iso,
			       const char *hook, const char *ifname)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "type", json_object_new_string(type));
	json_object_object_add(o, "time", json_object_new_string(iso));
	json_object_object_add(o, "ts_ns", json_object_new_uint64(e->ts_ns));
	json_object_object_add(o, "hook", json_object_new_string(hook));
	json_object_object_add(o, "iface", json_object_new_string(ifname));
	json_object_object_add(o, "netns",
			       e->netns_id ? json_object_new_string(wl_netns_id_label(e->netns_id))
					   : NULL);
	return o;
}

static int on_record(void *ctx, void *data, size_t size)
{
	struct log_reader *r = ctx;
	const struct wl_event *e = data;
	char iso[64], hms[48], src[64], dst[64], sa[48], da[48], ifname[IF_NAMESIZE + 1],
		pbuf[WL_L4_NAME_LEN];
	const char *hook;

	if (r->draining || size < sizeof(*e))
		return 0;
	if (r->o.max_events && r->events >= r->o.max_events)
		return 0;
	if ((e->kind == WL_EV_PACKET) != !!r->o.packets)
		return 0; /* written under the previous lease's flags */
	r->records++;
	r->events += e->count;
	format_time(r, e->ts_ns, iso, sizeof(iso), hms, sizeof(hms));
	wl_endpoint_str(e->l3_proto, e->src_addr, e->src_port, src, sizeof(src), sa, sizeof(sa));
	wl_endpoint_str(e->l3_proto, e->dst_addr, e->dst_port, dst, sizeof(dst), da, sizeof(da));
	if (e->netns_id) {
		/* another namespace's interface: named from its attachments, not from here */
		static struct wl_iface_names names;
		static bool names_read;
		char ns[64];

		if (!names_read)
			wl_iface_names_load(&names);
		names_read = true;
		wl_iface_lookup_in(&names, e->netns_id, e->ifindex, ifname, ns);
	} else if (!if_indextoname(e->ifindex, ifname)) {
		snprintf(ifname, sizeof(ifname), "if%u", e->ifindex);
	}
	hook = e->hook == WL_EV_XDP ? "xdp" : "tc";
	if (e->kind == WL_EV_PAIR) {
		const char *proto = wl_l7_proto_name(e->l7_proto), *cmd = cmd_name(r, e->cmd_id);

		if (!proto)
			proto = "unknown";
		if (r->o.json) {
			json_object *o = event_json("pair", e, iso, hook, ifname);
			char us[32];

			json_object_object_add(o, "client", json_object_new_string(src));
			json_object_object_add(o, "server", json_object_new_string(dst));
			json_object_object_add(o, "protocol", json_object_new_string(proto));
			json_object_object_add(o, "command", json_object_new_string(cmd));
			json_object_object_add(o, "status", json_object_new_string(pair_status(e)));
			json_object_object_add(o, "count", json_object_new_int64(e->count));
			json_object_object_add(o, "errors", json_object_new_int64(e->errors));
			json_object_object_add(o, "misses", json_object_new_int64(e->misses));
			json_object_object_add(o, "latency_ns",
					       json_object_new_uint64(e->latency_ns));
			snprintf(us, sizeof(us), "%.3f", e->latency_ns / 1000.0);
			json_object_object_add(
				o, "latency_us",
				json_object_new_double_s(e->latency_ns / 1000.0, us));
			json_object_object_add(o, "response_bytes",
					       json_object_new_int64(e->bytes));
			print_json(o);
		} else {
			char times[16] = "";

			if (e->count > 1)
				snprintf(times, sizeof(times), " x%u", e->count);
			printf("%s %s -> %s %s %s %s %.1fus%s\n", hms, src, dst, proto, cmd,
			       pair_status(e), e->latency_ns / 1000.0, times);
		}
	} else {
		/* the outcomes are the counters' indexes (wirelens.h) */
		const char *outcome = e->outcome >= WL_OUT_ACCOUNTED && e->outcome < WL_OUT_END
					      ? wl_counter_names[e->outcome]
					      : "unknown";
		const char *l4 = e->l3_proto ? wl_l4_name(e->l4_proto, pbuf) : "-";
		int ports = e->l4_proto == 6 || e->l4_proto == 17;

		if (r->o.json) {
			json_object *o = event_json("packet", e, iso, hook, ifname);

			json_object_object_add(o, "proto", json_object_new_string(l4));
			json_object_object_add(o, "src", sa[0] ? json_object_new_string(sa) : NULL);
			json_object_object_add(o, "dst", da[0] ? json_object_new_string(da) : NULL);
			json_object_object_add(o, "sport", json_object_new_int(e->src_port));
			json_object_object_add(o, "dport", json_object_new_int(e->dst_port));
			json_object_object_add(o, "length", json_object_new_int64(e->bytes));
			json_object_object_add(o, "outcome", json_object_new_string(outcome));
			print_json(o);
		} else {
			char where[IF_NAMESIZE + 66];

			snprintf(where, sizeof(where), "%s%s%s", wl_netns_id_label(e->netns_id),
				 e->netns_id ? ":" : "", ifname);
			printf("%s %-3s %-10s %-6s %s -> %s len %u%s%s\n", hms, hook, where, l4,
			       ports ? src : (sa[0] ? sa : "-"), ports ? dst : (da[0] ? da : "-"),
			       e->bytes, e->outcome == WL_OUT_ACCOUNTED ? "" : " ",
			       e->outcome == WL_OUT_ACCOUNTED ? "" : outcome);
		}
	}
	if (ferror(stdout))
		r->failed = 1;
	return 0;
}

/* Takes or renews the lease (flags 0: gives it back). */
static int lease_write(struct log_reader *r, __u32 flags)
{
	struct wl_log_cfg cfg = {};
	__u32 zero = 0;

	if (flags) {
		cfg.until_ns = mono_ns() + WL_LOG_LEASE_NS;
		cfg.flags = flags;
		cfg.sample = r->o.sample;
		cfg.l7_mask = r->o.l7_mask;
		cfg.reader_pid = getpid();
	}
	return bpf_map_update_elem(r->cfg_fd, &zero, &cfg, BPF_ANY) ? -errno : 0;
}

/* Lost, sampled and thinned events since the reader started. */
static void stats_since(const struct log_reader *r, struct wl_log_stats *d)
{
	struct wl_log_cfg cfg;
	__u64 *dst = (__u64 *)d;
	const __u64 *b = (const __u64 *)&r->base;

	if (wl_log_read(d, &cfg)) {
		memset(d, 0, sizeof(*d));
		return;
	}
	for (size_t i = 0; i < sizeof(*d) / sizeof(__u64); i++)
		dst[i] -= b[i];
}

static void report_lost(struct log_reader *r, int final)
{
	struct wl_log_stats d;

	stats_since(r, &d);
	if (!final && d.lost_events == r->lost_shown)
		return;
	r->lost_shown = d.lost_events;
	if (r->o.json) {
		json_object *o = json_object_new_object();

		json_object_object_add(o, "type",
				       json_object_new_string(final ? "summary" : "lost"));
		json_object_object_add(o, "events", json_object_new_uint64(r->events));
		json_object_object_add(o, "records", json_object_new_uint64(r->records));
		json_add_losses(o, &d);
		print_json(o);
	} else if (final) {
		fprintf(stderr,
			"wirelens: log: %llu events in %llu records; lost %llu (ring full), "
			"sampled out %llu, thinned %llu\n",
			(unsigned long long)r->events, (unsigned long long)r->records,
			(unsigned long long)d.lost_events, (unsigned long long)d.sampled_events,
			(unsigned long long)d.thinned_events);
	} else {
		fprintf(stderr, "wirelens: log: %llu events lost so far (ring full)\n",
			(unsigned long long)d.lost_events);
	}
}

int wl_cmd_log(int argc, char **argv)
{
	struct log_opts o = {};
	struct log_reader *r = NULL;
	struct ring_buffer *rb = NULL;
	struct wl_log_cfg cur;
	struct timespec mono, real;
	struct sigaction sa = {.sa_handler = on_signal};
	int err, ring_fd = -1, ret = 1;
	__u64 start, next_renew;

	err = wl_params_parse_no_args(&wl_log_params, argc, argv, &o);
	if (err)
		return err == WL_PARAMS_HELP ? 0 : err;
	if (o.packets && o.l7_mask) {
		fprintf(stderr, "wirelens: log: --protocol selects pairs, not packets\n");
		return 2;
	}
	if (wl_check_env(false))
		return 1;
	r = calloc(1, sizeof(*r));
	if (!r)
		return 1;
	r->o = o;
	r->cfg_fd = r->ids_fd = -1;
	ring_fd = wl_map_open("wl_events");
	r->cfg_fd = wl_map_open("wl_log_cfg");
	r->ids_fd = wl_map_open("wl_cmd_ids");
	if (ring_fd < 0 || r->cfg_fd < 0 || r->ids_fd < 0) {
		wl_explain_no_pins();
		goto out;
	}
	if (wl_log_read(&r->base, &cur)) {
		fprintf(stderr, "wirelens: log: cannot read the event log's maps\n");
		goto out;
	}
	if (wl_log_reader_active(&cur) && cur.reader_pid != (__u32)getpid()) {
		fprintf(stderr,
			"wirelens: log: another reader (pid %u) has the event log; one at a "
			"time\n",
			cur.reader_pid);
		goto out;
	}
	rb = ring_buffer__new(ring_fd, on_record, r, NULL);
	if (!rb) {
		fprintf(stderr, "wirelens: log: cannot map the event ring: %s\n", strerror(errno));
		goto out;
	}
	clock_gettime(CLOCK_MONOTONIC, &mono);
	clock_gettime(CLOCK_REALTIME, &real);
	r->real_minus_mono =
		(real.tv_sec - mono.tv_sec) * 1000000000LL + (real.tv_nsec - mono.tv_nsec);
	/* what an earlier reader left behind is not ours */
	r->draining = 1;
	ring_buffer__consume(rb);
	r->draining = 0;
	setvbuf(stdout, NULL, _IOLBF, 0);
	signal(SIGPIPE, SIG_IGN);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	err = lease_write(r, o.packets ? WL_LOG_PACKETS : WL_LOG_PAIRS);
	if (err) {
		fprintf(stderr, "wirelens: log: cannot take the event log: %s\n", strerror(-err));
		goto out;
	}
	start = mono_ns();
	next_renew = start + 1000000000ULL;
	ret = 0;
	while (!stop_requested && !r->failed) {
		__u64 now;

		err = ring_buffer__poll(rb, 200);
		if (err < 0 && err != -EINTR) {
			fprintf(stderr, "wirelens: log: reading the ring: %s\n", strerror(-err));
			ret = 1;
			break;
		}
		now = mono_ns();
		if (o.max_events && r->events >= o.max_events)
			break;
		if (o.duration > 0 && now - start >= (__u64)(o.duration * 1e9))
			break;
		if (now >= next_renew) {
			lease_write(r, o.packets ? WL_LOG_PACKETS : WL_LOG_PAIRS);
			report_lost(r, 0);
			next_renew = now + 1000000000ULL;
		}
	}
	/* give the lease back (unless another reader took over a lease we let lapse), then take
	 * what was written before that */
	if (!wl_log_read(&(struct wl_log_stats){}, &cur) && cur.reader_pid == (__u32)getpid())
		lease_write(r, 0);
	if (!r->failed)
		ring_buffer__consume(rb);
	if (!r->failed)
		report_lost(r, 1);
	if (r->failed)
		ret = 0; /* the consumer went away (log | head): not an error */
out:
	ring_buffer__free(rb);
	if (ring_fd >= 0)
		close(ring_fd);
	if (r->cfg_fd >= 0)
		close(r->cfg_fd);
	if (r->ids_fd >= 0)
		close(r->ids_fd);
	free(r);
	return ret;
}
