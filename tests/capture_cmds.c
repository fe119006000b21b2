// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include <CUnit/CUnit.h>

#include "capture_cmds.h"
#include "l7conv.h"
#include "pcap_replay.h"
#include "loader/l7cfg.h"
#include "loader/views.h"

static const char *const field_names[CAPTURE_FIELDS] = {"requests", "responses", "errors",
							"misses"};

/* Per-command requests the oracle wants (exceptions applied). */
struct want {
	char name[WL_CMD_LEN];
	uint64_t value;
	int excepted;
};

/* Assertions over every file, for the spec's compared/excepted figures. */
struct tally {
	int compared, excepted;
};

static int in_list(const char *const *list, size_t max, const char *s)
{
	for (size_t i = 0; i < max && list && list[i]; i++)
		if (!strcmp(list[i], s))
			return 1;
	return 0;
}

static int file_row(const struct capture_file *f, const struct wl_expected_row *r)
{
	return !strcmp(r->file, f->file) && !strcmp(r->protocol, f->spec->protocol.name);
}

static const struct capture_exception *exception_of(const struct capture_file *f,
						    const char *metric, const char *key)
{
	for (const struct capture_exception *const *e = f->exceptions; *e; e++)
		if (!strcmp((*e)->metric, metric) && !strcmp((*e)->key, key))
			return *e;
	return NULL;
}

/* An exception that replaces no oracle row of its file adds one. */
static int exception_alone(const struct capture_file *f, const struct capture_exception *e)
{
	for (int j = 0; j < f->nrows; j++)
		if (file_row(f, &f->rows[j]) && !strcmp(f->rows[j].metric, e->metric) &&
		    !strcmp(f->rows[j].key, e->key))
			return 0;
	return 1;
}

static int key_match(const char *want, int (*key_ok)(const char *), const char *key)
{
	return (!want || !strcmp(want, key)) && (!key_ok || key_ok(key));
}

/* Oracle rows of metric and key (exceptions applied, or not), summed; *rows: rows as tshark
 * has them. */
static uint64_t rows_sum(const struct capture_file *f, const char *metric, const char *key,
			 int (*key_ok)(const char *), int apply, int *rows)
{
	uint64_t v = 0;

	for (int j = 0; j < f->nrows; j++) {
		const struct wl_expected_row *r = &f->rows[j];
		const struct capture_exception *e;

		if (!file_row(f, r) || strcmp(r->metric, metric) || !key_match(key, key_ok, r->key))
			continue;
		e = apply ? exception_of(f, r->metric, r->key) : NULL;
		v += e ? e->value : r->value;
		if (rows)
			*rows += !e;
	}
	for (const struct capture_exception *const *e = f->exceptions; apply && *e; e++)
		if (!strcmp((*e)->metric, metric) && key_match(key, key_ok, (*e)->key) &&
		    exception_alone(f, *e))
			v += (*e)->value;
	return v;
}

uint64_t capture_oracle(const struct capture_file *f, const char *metric, const char *key)
{
	return rows_sum(f, metric, key, NULL, 0, NULL);
}

int capture_oracle_rows(const struct capture_file *f, const char *metric)
{
	int n = 0;

	for (int j = 0; j < f->nrows; j++)
		n += file_row(f, &f->rows[j]) && !strcmp(f->rows[j].metric, metric);
	return n;
}

uint64_t capture_want(const struct capture_file *f, const char *metric, const char *key)
{
	return rows_sum(f, metric, key, NULL, 1, NULL);
}

void capture_expect(const struct capture_file *f, const char *what, uint64_t got, uint64_t want)
{
	CU_ASSERT_EQUAL(got, want);
	if (got != want)
		fprintf(stderr, "\n  [%s] %s %s: want %llu, wirelens %llu", hook_names[f->hook],
			f->file, what, (unsigned long long)want, (unsigned long long)got);
}

struct wl_cmd_stats capture_cmd(const struct capture_file *f, const char *name)
{
	struct wl_cmd_stats cs;

	conv_stats_any_server(f->spec->protocol.l7_proto, name, &cs);
	return cs;
}

int capture_names(const struct capture_file *f, char (*names)[WL_CMD_LEN])
{
	return conv_stats_names(f->spec->protocol.l7_proto, names, CAPTURE_NAMES_MAX);
}

struct wl_cmd_stats capture_sum(const struct capture_file *f, const char *const *only,
				const char *const *except)
{
	char names[CAPTURE_NAMES_MAX][WL_CMD_LEN];
	int n = capture_names(f, names);
	struct wl_cmd_stats sum = {0}, cs;

	for (int k = 0; k < n; k++) {
		if (only ? !in_list(only, CAPTURE_NAMES_MAX, names[k])
			 : in_list(except, CAPTURE_NAMES_MAX, names[k]))
			continue;
		cs = capture_cmd(f, names[k]);
		sum.requests += cs.requests;
		sum.responses += cs.responses;
		sum.errors += cs.errors;
		sum.misses += cs.misses;
	}
	return sum;
}

static uint64_t field_of(const struct wl_cmd_stats *cs, enum capture_field field)
{
	switch (field) {
	case CAPTURE_REQUESTS:
		return cs->requests;
	case CAPTURE_RESPONSES:
		return cs->responses;
	case CAPTURE_ERRORS:
		return cs->errors;
	default:
		return cs->misses;
	}
}

static int want_add(struct want *w, int n, const char *name, uint64_t value, int excepted)
{
	for (int i = 0; i < n; i++)
		if (!strcmp(w[i].name, name)) {
			w[i].value += value;
			w[i].excepted |= excepted;
			return n;
		}
	CU_ASSERT_FATAL(n < CAPTURE_NAMES_MAX);
	snprintf(w[n].name, sizeof(w[n].name), "%s", name);
	w[n].value = value;
	w[n].excepted = excepted;
	return n + 1;
}

static const char *cmd_name(const struct capture_file *f, const char *metric, const char *key)
{
	return f->spec->commands.name ? f->spec->commands.name(metric, key) : key;
}

/* The per-command requests the file's rows (and exceptions) want. Returns the count. */
static int wants_of(const struct capture_file *f, struct want *w, struct tally *t)
{
	const struct capture_spec *spec = f->spec;
	int nw = 0;

	for (int j = 0; j < f->nrows; j++) {
		const struct wl_expected_row *r = &f->rows[j];
		const struct capture_exception *e;
		const char *name;

		if (!file_row(f, r) || !in_list(spec->commands.metrics, CAPTURE_MAX, r->metric) ||
		    !(name = cmd_name(f, r->metric, r->key)))
			continue;
		e = exception_of(f, r->metric, r->key);
		nw = want_add(w, nw, name, e ? e->value : r->value, !!e);
		t->compared += !e;
	}
	for (const struct capture_exception *const *e = f->exceptions; *e; e++) {
		const char *name;

		if (in_list(spec->commands.metrics, CAPTURE_MAX, (*e)->metric) &&
		    exception_alone(f, *e) && (name = cmd_name(f, (*e)->metric, (*e)->key)))
			nw = want_add(w, nw, name, (*e)->value, 1);
	}
	if (spec->prepared.prepare_metric &&
	    capture_oracle_rows(f, spec->prepared.prepare_metric) == 1) {
		uint64_t executes =
			capture_want(f, spec->prepared.execute_metric, spec->prepared.execute_key);

		for (int j = 0; j < f->nrows && executes; j++) {
			const struct wl_expected_row *r = &f->rows[j];

			if (file_row(f, r) && !strcmp(r->metric, spec->prepared.prepare_metric)) {
				nw = want_add(w, nw, cmd_name(f, r->metric, r->key), executes, 0);
				t->compared++;
			}
		}
	}
	return nw;
}

static void check_commands(const struct capture_file *f, const struct want *w, int nw)
{
	const struct capture_spec *spec = f->spec;
	char names[CAPTURE_NAMES_MAX][WL_CMD_LEN], what[WL_CMD_LEN + 16];
	int n;

	for (int i = 0; i < nw; i++) {
		snprintf(what, sizeof(what), "%.*s%s", WL_CMD_LEN, w[i].name,
			 w[i].excepted ? " (exception)" : "");
		capture_expect(f, what, capture_cmd(f, w[i].name).requests, w[i].value);
	}
	if (!spec->commands.listed)
		return;
	n = capture_names(f, names);
	for (int k = 0; k < n; k++) {
		int listed = 0;

		if (in_list(spec->uncounted, CAPTURE_MAX, names[k]))
			continue;
		for (int i = 0; i < nw; i++)
			listed |= !strcmp(w[i].name, names[k]);
		CU_ASSERT(listed);
		if (!listed)
			fprintf(stderr, "\n  [%s] %s: wirelens reports %s (%llu), tshark does not",
				hook_names[f->hook], f->file, names[k],
				(unsigned long long)capture_cmd(f, names[k]).requests);
	}
}

static void check_totals(const struct capture_file *f, const struct want *w, int nw,
			 struct tally *t)
{
	const struct capture_spec *spec = f->spec;
	struct wl_cmd_stats got = capture_sum(f, NULL, spec->uncounted);

	for (int field = 0; field < CAPTURE_FIELDS; field++) {
		uint64_t want = 0;
		int entries = 0, rows = 0, present = 0;

		for (int i = 0; i < CAPTURE_MAX && spec->totals[i].metric; i++) {
			const struct capture_total *tot = &spec->totals[i];

			if ((int)tot->field != field)
				continue;
			entries++;
			want += rows_sum(f, tot->metric, tot->key, tot->key_ok, 1, &rows);
			present += capture_oracle_rows(f, tot->metric);
		}
		if (!entries)
			continue;
		t->compared += rows;
		if (field == CAPTURE_REQUESTS && !want && !present)
			for (int i = 0; i < nw; i++)
				want += w[i].value;
		capture_expect(f, field_names[field], field_of(&got, field), want);
	}
}

static void check_counters(const struct capture_file *f)
{
	struct wl_counters c = harness_counters();
	uint64_t v[sizeof(c) / sizeof(uint64_t)];

	memcpy(v, &c, sizeof(c));
	for (int i = 0; i < CAPTURE_MAX && f->spec->counters[i]; i++) {
		size_t k = 0;

		while (k < sizeof(v) / sizeof(*v) &&
		       strcmp(wl_counter_names[k], f->spec->counters[i]))
			k++;
		CU_ASSERT_FATAL(k < sizeof(v) / sizeof(*v));
		capture_expect(f, f->spec->counters[i], v[k],
			       capture_want(f, f->spec->counters[i], "-"));
	}
}

/* One file through one hook. Returns 0 if the file was not compared (TC, frames too big). */
static int run_file(struct capture_file *f, int *used, struct tally *t)
{
	const struct capture_spec *spec = f->spec;
	const struct capture_exception *mine[CAPTURE_NAMES_MAX + 1];
	struct want wants[CAPTURE_NAMES_MAX];
	struct wl_replay_stats st;
	char path[512];
	int n = 0, nw;

	for (size_t i = 0; capture_exceptions[i].file; i++)
		if (!strcmp(capture_exceptions[i].file, f->file) && n < CAPTURE_NAMES_MAX) {
			used[i] = 1;
			mine[n++] = &capture_exceptions[i];
		}
	mine[n] = NULL;
	f->exceptions = mine;

	harness_reset();
	for (size_t p = 0; p < spec->nports; p++) {
		__u8 v = spec->protocol.l7_proto;

		if (!strcmp(spec->ports[p].file, f->file))
			CU_ASSERT_EQUAL(bpf_map_update_elem(wl_map_ports_fd(harness()),
							    &spec->ports[p].port, &v, BPF_ANY),
					0);
	}
	snprintf(path, sizeof(path), "%s/%s", wl_pcap_dir(), f->file);
	CU_ASSERT_EQUAL_FATAL(wl_pcap_replay(path, f->hook, &st), 0);
	CU_ASSERT_EQUAL(st.run_errors, 0);
	CU_ASSERT_EQUAL(st.unsupported, 0);
	if (spec->too_big == CAPTURE_TOO_BIG_NONE)
		CU_ASSERT_EQUAL(st.too_big, 0);
	if (st.too_big)
		fprintf(stderr, "\n  [%s] %s: %llu frames above the test_run limit%s",
			hook_names[f->hook], f->file, (unsigned long long)st.too_big,
			spec->too_big == CAPTURE_TOO_BIG_SKIP_TC ? ", not compared" : "");
	if (st.too_big && spec->too_big == CAPTURE_TOO_BIG_SKIP_TC) {
		CU_ASSERT_EQUAL(f->hook, HOOK_TC);
		return 0;
	}
	t->excepted += n;
	nw = wants_of(f, wants, t);
	check_commands(f, wants, nw);
	check_totals(f, wants, nw, t);
	check_counters(f);
	if (spec->check)
		spec->check(f);
	return 1;
}

void capture_run(const struct capture_spec *spec)
{
	struct wl_expected_row *rows = NULL;
	int nrows = wl_expected_load(wl_pcap_dir(), &rows), files = 0, runs = 0;
	size_t nexceptions = 0, plen = strlen(spec->protocol.name);
	int *used;
	struct tally t = {0};

	while (capture_exceptions[nexceptions].file)
		nexceptions++;
	used = calloc(nexceptions + 1, sizeof(int));
	CU_ASSERT_FATAL(nrows > 0 && used != NULL);
	FOR_EACH_HOOK(h) {
		for (int i = 0; i < nrows; i++) {
			struct capture_file f = {.spec = spec,
						 .file = rows[i].file,
						 .hook = h,
						 .rows = rows,
						 .nrows = nrows};
			int fresh = 1;

			if (strcmp(rows[i].protocol, spec->protocol.name))
				continue;
			for (int j = 0; j < i && fresh; j++)
				fresh = strcmp(rows[j].file, rows[i].file) ||
					strcmp(rows[j].protocol, spec->protocol.name);
			if (!fresh)
				continue;
			files++;
			runs += run_file(&f, used, &t);
		}
	}
	CU_ASSERT_EQUAL(files, HOOK_COUNT * spec->protocol.files);
	/* The protocol's exceptions (their file under "<protocol>/") must all have been used. */
	for (size_t i = 0; i < nexceptions; i++) {
		const struct capture_exception *e = &capture_exceptions[i];

		if (strncmp(e->file, spec->protocol.name, plen) || e->file[plen] != '/')
			continue;
		CU_ASSERT(used[i]);
		if (!used[i])
			fprintf(stderr, "\n  exception %s %s %s matches no capture", e->file,
				e->metric, e->key);
	}
	/* The figures are those of kernels whose TC test_run takes frames up to about a page
	 * (6.1 to 6.18): 7.2 takes larger ones, so files skipped on TC elsewhere run there and add
	 * rows (redis: 39 rows here, 47 on 7.2). Fewer is always a failure. */
	if (spec->figures.compared > 0)
		CU_ASSERT(t.compared >= spec->figures.compared);
	if (spec->figures.excepted > 0)
		CU_ASSERT(t.excepted >= spec->figures.excepted);
	fprintf(stderr,
		"\n  %s captures: %d file runs (XDP + TC), %d oracle rows compared, %d exceptions "
		"applied ",
		spec->protocol.name, runs, t.compared, t.excepted);
	free(used);
	free(rows);
}

/* One test function per protocol (CUnit passes tests no argument). */
#define CAPTURE_TEST_FN(name, ...)                                                                 \
	static void captures_##name(void)                                                          \
	{                                                                                          \
		capture_run(&name##_captures);                                                     \
	}
WL_L7_PROTOCOLS(CAPTURE_TEST_FN)

int register_capture_tests(void)
{
	int err = 0;

#define CAPTURE_TEST_ADD(name, ...)                                                                \
	if (!CU_get_suite(#name) ||                                                                \
	    !CU_add_test(CU_get_suite(#name), "captures", captures_##name)) {                      \
		fprintf(stderr, "no suite %s for its captures\n", #name);                          \
		err = -1;                                                                          \
	}
	WL_L7_PROTOCOLS(CAPTURE_TEST_ADD)
	return err;
}
