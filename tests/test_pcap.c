// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Real captures (/work/shared/pcaps, or $WL_PCAP_DIR) replayed through the XDP and the TC
 * program, maps reset per capture, compared with the L2-L4 rows of EXPECTED.tsv (tshark 4.0,
 * computed by oracle.sh): every row is one assertion. A row wirelens cannot reproduce for a
 * principled reason is listed in skips[] below with the reason; nothing is tolerated silently.
 *
 * How each oracle metric is computed here (oracle.sh generic_metrics):
 *   capture packets        frames in the file                -> counters.seen
 *   capture linktype K     frames whose first layer is K     -> frames the replay ran from a file
 *                                                               of that link type (a file fact)
 *   capture vlan_tagged    frames with >= 1 802.1Q/ad tag    -> counters.vlan_tagged
 *   capture qinq           frames with >= 2 tags             -> counters.qinq
 *   capture malformed_frames  tshark's _ws.malformed (any layer) -> the L2-L4 malformations
 *                                                               wirelens counts: truncated_l2/l3/l4
 *                                                               + bad_l3 + bad_l4 + bad_ipv6_chain
 *   ip packets ipv4|ipv6   frames with that layer            -> counters.ipv4 / ipv6
 *   ip fragments ipv4|ipv6 IPv4 MF or offset>0 / IPv6 Frag hdr -> counters.frag_v4 / frag_v6
 *   tcp|udp flows          `tshark -z conv,tcp|udp` lines    -> wl_flows keys of that protocol
 *                                                               folded into conversations: one
 *                                                               direction each in wirelens, both
 *                                                               directions in tshark, so the key
 *                                                               is the unordered pair of
 *                                                               (address, port) endpoints;
 *                                                               VLAN ids are not part of tshark's
 *                                                               conversation key, so not here
 * TC: frames above the test_run size limit (a TC skb in test_run is linear, one page) are not
 * run; the replay counts them and what they carry, and the per-packet rows of that capture are
 * compared with tshark's value minus those frames (printed). XDP runs every frame (xdp.frags).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include <CUnit/CUnit.h>

#include "harness.h"
#include "pcap_replay.h"
#include "suites.h"

/*
 * Rows not compared, and why. hook: -1 both, else HOOK_XDP / HOOK_TC. An entry that matches
 * no row of EXPECTED.tsv is itself a failure (so the table cannot go stale).
 */
static const struct skip {
	const char *file, *protocol, *metric, *key;
	int hook;
	const char *reason;
} skips[] = {
	{"kafka/kafka.pcapng", "capture", "malformed_frames", "-", -1,
	 "tshark 4.0's Kafka dissector flags requests of API versions newer than it knows (the "
	 "capture's L2-L4 headers are intact); wirelens' malformed outcomes are L2-L4 only"},
	{"kafka/mixed-with-unsupported.pcap", "capture", "malformed_frames", "-", -1,
	 "tshark 4.0 flags Fetch v13 (unsupported version) as malformed Kafka; L2-L4 intact"},
	{"http/pipelined-requests.pcap", "capture", "malformed_frames", "-", -1,
	 "tshark's GIF image dissector flags one HTTP response body; L2-L4 intact"},
	/* dns.pcap: 2 of its 5 frames are QinQ + PPPoE session + PPP + IPv4/UDP. wirelens does
	 * not parse PPPoE (ethertype 0x8864): it counts those frames as non_ip (their tags are
	 * counted: vlan_tagged/qinq rows match), so neither their IPv4 header nor their UDP
	 * conversation is seen. */
	{"dns/dns.pcap", "ip", "packets", "ipv4", -1,
	 "2 IPv4 packets inside PPPoE sessions: wirelens stops at ethertype 0x8864 (non_ip)"},
	{"dns/dns.pcap", "udp", "flows", "-", -1,
	 "the UDP conversation carried in PPPoE is not seen (PPPoE not parsed)"},
};

static int skip_used[sizeof(skips) / sizeof(skips[0])];

static const struct skip *find_skip(const struct wl_expected_row *r, int hook)
{
	for (size_t i = 0; i < sizeof(skips) / sizeof(skips[0]); i++) {
		const struct skip *s = &skips[i];

		if (!strcmp(s->file, r->file) && !strcmp(s->protocol, r->protocol) &&
		    !strcmp(s->metric, r->metric) && !strcmp(s->key, r->key) &&
		    (s->hook < 0 || s->hook == hook)) {
			skip_used[i] = 1;
			return s;
		}
	}
	return NULL;
}

/* A conversation: the unordered pair of endpoints, as tshark's conv tables count them. */
struct conv {
	uint16_t l3_proto;
	uint8_t l4_proto;
	uint8_t pad;
	uint8_t a[16], b[16];
	uint16_t pa, pb;
};

static int cmp_conv(const void *x, const void *y)
{
	return memcmp(x, y, sizeof(struct conv));
}

/* Distinct conversations of l4 (6 or 17) in wl_flows. */
static int conversations(int l4)
{
	static struct conv v[WL_FLOWS_DEFAULT];
	struct wl_flow_key k, next;
	int fd = wl_map_flows_fd(harness()), n = 0, distinct = 0;
	void *prev = NULL;

	while (!bpf_map_get_next_key(fd, prev, &next) && n < WL_FLOWS_DEFAULT) {
		struct conv c;
		int swap;

		k = next;
		prev = &k;
		if (k.l4_proto != l4)
			continue;
		memset(&c, 0, sizeof(c));
		c.l3_proto = k.l3_proto;
		c.l4_proto = k.l4_proto;
		swap = memcmp(k.src_addr, k.dst_addr, 16);
		if (!swap)
			swap = k.src_port > k.dst_port;
		else
			swap = swap > 0;
		memcpy(c.a, swap ? k.dst_addr : k.src_addr, 16);
		memcpy(c.b, swap ? k.src_addr : k.dst_addr, 16);
		c.pa = swap ? k.dst_port : k.src_port;
		c.pb = swap ? k.src_port : k.dst_port;
		v[n++] = c;
	}
	qsort(v, n, sizeof(v[0]), cmp_conv);
	for (int i = 0; i < n; i++)
		distinct += i == 0 || cmp_conv(&v[i - 1], &v[i]);
	return distinct;
}

struct replay_view {
	struct wl_counters cnt;
	struct wl_replay_stats st;
	int tcp_convs, udp_convs;
};

/*
 * wirelens' value for one L2-L4 row, and tshark's value as this hook can see it (minus frames
 * the TC test_run could not take). Returns 0 if the metric is not an L2-L4 one.
 */
static int l2l4_value(const struct wl_expected_row *r, const struct replay_view *v, uint64_t *got,
		      uint64_t *want)
{
	const struct wl_counters *c = &v->cnt;
	const struct wl_replay_stats *st = &v->st;

	*want = r->value;
	if (!strcmp(r->protocol, "capture")) {
		if (!strcmp(r->metric, "packets")) {
			*got = c->seen;
			*want -= st->too_big;
		} else if (!strcmp(r->metric, "linktype")) {
			*got = !strcmp(r->key, st->linktype) ? st->run + st->too_big : 0;
		} else if (!strcmp(r->metric, "vlan_tagged")) {
			*got = c->vlan_tagged;
			*want -= st->too_big_vlan;
		} else if (!strcmp(r->metric, "qinq")) {
			*got = c->qinq;
			*want -= st->too_big_qinq;
		} else if (!strcmp(r->metric, "malformed_frames")) {
			*got = c->truncated_l2 + c->truncated_l3 + c->truncated_l4 + c->bad_l3 +
			       c->bad_l4 + c->bad_ipv6_chain;
		} else {
			return 0;
		}
	} else if (!strcmp(r->protocol, "ip")) {
		int v6 = !strcmp(r->key, "ipv6");

		if (!v6 && strcmp(r->key, "ipv4"))
			return 0;
		if (!strcmp(r->metric, "packets")) {
			*got = v6 ? c->ipv6 : c->ipv4;
			*want -= v6 ? st->too_big_ipv6 : st->too_big_ipv4;
		} else if (!strcmp(r->metric, "fragments")) {
			*got = v6 ? c->frag_v6 : c->frag_v4;
			*want -= v6 ? st->too_big_frag_v6 : st->too_big_frag_v4;
		} else {
			return 0;
		}
	} else if (!strcmp(r->protocol, "tcp") || !strcmp(r->protocol, "udp")) {
		if (strcmp(r->metric, "flows"))
			return 0;
		*got = !strcmp(r->protocol, "tcp") ? v->tcp_convs : v->udp_convs;
	} else {
		return 0;
	}
	return 1;
}

static void replay_all(enum wl_hook hook)
{
	const char *dir = wl_pcap_dir();
	struct wl_expected_row *rows = NULL;
	char **files = NULL;
	int nfiles, nrows, matched = 0, skipped = 0, failed = 0;

	nfiles = wl_pcap_list(dir, &files);
	nrows = wl_expected_load(dir, &rows);
	if (nfiles <= 0 || nrows <= 0)
		fprintf(stderr,
			"\n  pcap: no captures or no EXPECTED.tsv under %s (set WL_PCAP_DIR)\n",
			dir);
	CU_ASSERT_FATAL(nfiles > 0 && nrows > 0);
	memset(skip_used, 0, sizeof(skip_used));

	for (int f = 0; f < nfiles; f++) {
		struct replay_view v;
		char path[4096];
		int rows_of_file = 0, l2l4_rows = 0;

		snprintf(path, sizeof(path), "%s/%s", dir, files[f]);
		harness_reset();
		CU_ASSERT_EQUAL(wl_pcap_replay(path, hook, &v.st), 0);
		v.cnt = harness_counters();
		v.tcp_convs = conversations(6);
		v.udp_convs = conversations(17);
		CU_ASSERT_EQUAL(v.st.run_errors, 0);
		CU_ASSERT_EQUAL(v.st.unsupported, 0);
		/* every frame ends in exactly one outcome */
		{
			const __u64 *o = (const __u64 *)&v.cnt;
			__u64 sum = 0;

			for (int i = WL_OUT_ACCOUNTED; i < WL_OUT_END; i++)
				sum += o[i];
			CU_ASSERT_EQUAL(sum, v.cnt.seen);
			CU_ASSERT_EQUAL(v.cnt.seen, v.st.run);
		}
		fprintf(stderr,
			"\n  [%s] %-52s %6llu frames (%s%s), run %llu, too big for test_run %llu, "
			"max %llu B; flows tcp %d udp %d",
			hook_names[hook], files[f], (unsigned long long)v.st.frames, v.st.linktype,
			v.st.rewritten ? ", rewritten to Ethernet" : "",
			(unsigned long long)v.st.run, (unsigned long long)v.st.too_big,
			(unsigned long long)v.st.max_len, v.tcp_convs, v.udp_convs);

		for (int i = 0; i < nrows; i++) {
			const struct wl_expected_row *r = &rows[i];
			const struct skip *s;
			uint64_t got, want;

			if (strcmp(r->file, files[f]))
				continue;
			rows_of_file++;
			if (!l2l4_value(r, &v, &got, &want))
				continue; /* an L7 row: other suites */
			l2l4_rows++;
			s = find_skip(r, hook);
			if (s) {
				skipped++;
				fprintf(stderr,
					"\n    skip %s %s %s %s: tshark %llu, wirelens %llu (%s)",
					r->file, r->protocol, r->metric, r->key,
					(unsigned long long)r->value, (unsigned long long)got,
					s->reason);
				continue;
			}
			CU_ASSERT_EQUAL(got, want);
			if (got != want) {
				failed++;
				fprintf(stderr,
					"\n    MISMATCH [%s] file=%s metric=%s/%s key=%s "
					"expected=%llu "
					"got=%llu",
					hook_names[hook], r->file, r->protocol, r->metric, r->key,
					(unsigned long long)want, (unsigned long long)got);
			} else {
				matched++;
			}
			if (want != r->value)
				fprintf(stderr,
					"\n    note %s %s/%s %s: tshark %llu - %llu frame(s) too "
					"big for "
					"TC test_run = %llu",
					r->file, r->protocol, r->metric, r->key,
					(unsigned long long)r->value,
					(unsigned long long)(r->value - want),
					(unsigned long long)want);
		}
		/* a capture without oracle rows, or rows without a capture, is a setup error */
		CU_ASSERT(rows_of_file > 0 && l2l4_rows > 0);
		if (!rows_of_file)
			fprintf(stderr, "\n    %s has no rows in EXPECTED.tsv", files[f]);
	}
	for (int i = 0; i < nrows; i++) {
		int found = 0;

		for (int f = 0; f < nfiles && !found; f++)
			found = !strcmp(rows[i].file, files[f]);
		CU_ASSERT(found);
		if (!found)
			fprintf(stderr, "\n    EXPECTED.tsv row for a missing capture: %s",
				rows[i].file);
	}
	for (size_t i = 0; i < sizeof(skips) / sizeof(skips[0]); i++) {
		CU_ASSERT(skip_used[i] || (skips[i].hook >= 0 && skips[i].hook != (int)hook));
		if (!skip_used[i] && (skips[i].hook < 0 || skips[i].hook == (int)hook))
			fprintf(stderr, "\n    stale skip entry: %s %s/%s %s", skips[i].file,
				skips[i].protocol, skips[i].metric, skips[i].key);
	}
	fprintf(stderr, "\n  [%s] %d captures: %d L2-L4 rows match, %d skipped, %d mismatch",
		hook_names[hook], nfiles, matched, skipped, failed);
	if (hook == HOOK_TC)
		fprintf(stderr, " (TC test_run takes frames up to %u B on this kernel)",
			wl_tc_test_run_max());
	fprintf(stderr, "\n");
	free(rows);
	wl_pcap_list_free(files, nfiles);
}

WL_TEST_NAMED(pcap, pcap_xdp, "captures through XDP vs EXPECTED.tsv (L2-L4 rows)")
{
	replay_all(HOOK_XDP);
}

WL_TEST_NAMED(pcap, pcap_tc, "captures through TC vs EXPECTED.tsv (L2-L4 rows)")
{
	replay_all(HOOK_TC);
}
