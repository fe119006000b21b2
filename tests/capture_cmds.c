// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include <CUnit/CUnit.h>

#include "capture_cmds.h"
#include "harness.h"
#include "l7conv.h"
#include "pcap_replay.h"
#include "loader/l7cfg.h"

#define MAX_WANTS 64

struct want {
	char name[72];
	uint64_t value;
	int excepted;
};

static const struct capture_exception *exception_of(const struct capture_spec *spec,
						    const char *file, const char *metric,
						    const char *key, int *used)
{
	for (size_t i = 0; i < spec->nexceptions; i++) {
		const struct capture_exception *e = &spec->exceptions[i];

		if (!strcmp(e->file, file) && !strcmp(e->metric, metric) && !strcmp(e->key, key)) {
			used[i] = 1;
			return e;
		}
	}
	return NULL;
}

static int want_add(struct want *w, int n, const char *name, uint64_t value, int excepted)
{
	for (int i = 0; i < n; i++)
		if (!strcmp(w[i].name, name)) {
			w[i].value = value;
			w[i].excepted = excepted;
			return n;
		}
	CU_ASSERT_FATAL(n < MAX_WANTS);
	snprintf(w[n].name, sizeof(w[n].name), "%s", name);
	w[n].value = value;
	w[n].excepted = excepted;
	return n + 1;
}

/* One file through one hook. Returns 0 if the file was not run (TC, frames too big). */
static int check_file(const struct capture_spec *spec, const struct wl_expected_row *rows,
		      int nrows, const char *file, int hook, int *used, int *compared,
		      int *excepted)
{
	struct want wants[MAX_WANTS];
	char names[MAX_WANTS][WL_CMD_LEN], path[512];
	uint64_t want_requests = 0, want_errors = 0, got_requests = 0, got_errors = 0;
	int nw = 0, n, errors_compared = spec->error_metric != NULL, rows_equal = 0, exceptions = 0;
	struct wl_replay_stats st;

	for (int j = 0; j < nrows; j++) {
		const struct wl_expected_row *r = &rows[j];
		const struct capture_exception *e;

		if (strcmp(r->file, file) || strcmp(r->protocol, spec->protocol))
			continue;
		e = exception_of(spec, file, r->metric, r->key, used);
		if (!strcmp(r->metric, spec->cmd_metric))
			nw = want_add(wants, nw, r->key, e ? e->value : r->value, !!e);
		else if (!strcmp(r->metric, "requests"))
			want_requests = e ? e->value : r->value;
		else if (spec->error_metric && !strcmp(r->metric, spec->error_metric))
			want_errors += e ? 0 : r->value;
		else
			continue;
		rows_equal += !e;
	}
	/* exceptions without a tshark row: names wirelens reports and tshark does not, errors
	 * the oracle does not count */
	for (size_t i = 0; i < spec->nexceptions; i++) {
		const struct capture_exception *e = &spec->exceptions[i];

		if (strcmp(e->file, file))
			continue;
		used[i] = 1;
		exceptions++;
		if (!strcmp(e->metric, spec->cmd_metric)) {
			nw = want_add(wants, nw, e->key, e->value, 1);
		} else if (!strcmp(e->metric, "requests")) {
			want_requests = e->value;
		} else if (spec->error_metric && !strcmp(e->metric, spec->error_metric)) {
			want_errors += e->value;
			errors_compared = 1;
		}
	}

	harness_reset();
	for (size_t p = 0; p < spec->nports; p++) {
		__u8 v = spec->l7_proto;

		if (!strcmp(spec->ports[p].file, file))
			CU_ASSERT_EQUAL(bpf_map_update_elem(wl_map_ports_fd(harness()),
							    &spec->ports[p].port, &v, BPF_ANY),
					0);
	}
	snprintf(path, sizeof(path), "%s/%s", wl_pcap_dir(), file);
	CU_ASSERT_EQUAL_FATAL(wl_pcap_replay(path, hook, &st), 0);
	CU_ASSERT_EQUAL(st.run_errors, 0);
	CU_ASSERT_EQUAL(st.unsupported, 0);
	if (st.too_big) {
		/* TC test_run takes linear skbs of about a page: the stream would have holes.
		 * Large nonlinear skbs on TC are covered by the live tests (GSO). */
		CU_ASSERT_EQUAL(hook, HOOK_TC);
		fprintf(stderr, "\n  [%s] %s: skipped, %llu frames above the test_run limit",
			hook_names[hook], file, (unsigned long long)st.too_big);
		return 0;
	}
	*compared += rows_equal;
	*excepted += exceptions;

	for (int i = 0; i < nw; i++) {
		struct wl_cmd_stats cs;

		conv_stats_any_server(spec->l7_proto, wants[i].name, &cs);
		CU_ASSERT_EQUAL(cs.requests, wants[i].value);
		if (cs.requests != wants[i].value)
			fprintf(stderr, "\n  [%s] %s %s: %s %llu, wirelens %llu", hook_names[hook],
				file, wants[i].name, wants[i].excepted ? "exception" : "tshark",
				(unsigned long long)wants[i].value,
				(unsigned long long)cs.requests);
	}
	n = conv_stats_names(spec->l7_proto, names, MAX_WANTS);
	for (int k = 0; k < n; k++) {
		struct wl_cmd_stats cs;
		int listed = 0;

		conv_stats_any_server(spec->l7_proto, names[k], &cs);
		got_requests += cs.requests;
		got_errors += cs.errors;
		for (int i = 0; i < nw; i++)
			listed |= !strcmp(wants[i].name, names[k]);
		CU_ASSERT(listed);
		if (!listed)
			fprintf(stderr, "\n  [%s] %s: wirelens reports %s (%llu), tshark does not",
				hook_names[hook], file, names[k], (unsigned long long)cs.requests);
	}
	CU_ASSERT_EQUAL(got_requests, want_requests);
	if (errors_compared)
		CU_ASSERT_EQUAL(got_errors, want_errors);
	if (got_requests != want_requests || (errors_compared && got_errors != want_errors))
		fprintf(stderr,
			"\n  [%s] %s: requests want %llu wirelens %llu, errors want %llu wirelens "
			"%llu",
			hook_names[hook], file, (unsigned long long)want_requests,
			(unsigned long long)got_requests, (unsigned long long)want_errors,
			(unsigned long long)got_errors);
	return 1;
}

void capture_check(const struct capture_spec *spec)
{
	struct wl_expected_row *rows = NULL;
	int nrows = wl_expected_load(wl_pcap_dir(), &rows), files = 0, runs = 0, compared = 0,
	    excepted = 0;
	int *used = calloc(spec->nexceptions + 1, sizeof(int));

	CU_ASSERT_FATAL(nrows > 0);
	for (int h = 0; h < HOOK_COUNT; h++) {
		for (int i = 0; i < nrows; i++) {
			int fresh = 1;

			if (strcmp(rows[i].protocol, spec->protocol))
				continue;
			for (int j = 0; j < i && fresh; j++)
				fresh = strcmp(rows[j].file, rows[i].file) ||
					strcmp(rows[j].protocol, spec->protocol);
			if (!fresh)
				continue;
			files++;
			if (check_file(spec, rows, nrows, rows[i].file, h, used, &compared,
				       &excepted))
				runs++;
		}
	}
	CU_ASSERT_EQUAL(files, HOOK_COUNT * spec->files);
	for (size_t i = 0; i < spec->nexceptions; i++) {
		CU_ASSERT(used[i]);
		if (!used[i])
			fprintf(stderr, "\n  exception %s %s %s matches no capture",
				spec->exceptions[i].file, spec->exceptions[i].metric,
				spec->exceptions[i].key);
	}
	fprintf(stderr,
		"\n  %s captures: %d file runs (XDP + TC), %d oracle rows compared, %d exceptions "
		"checked ",
		spec->protocol, runs, compared, excepted);
	free(used);
	free(rows);
}
