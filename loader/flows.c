// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Flows as wirelens counts them. A flow's packets are in its wl_flows entry and, for the last
 * ones, in the wl_flow_cache slot of each CPU its packets ran on (maps/wirelens.h): readers add
 * the slots. A slot's deltas move into wl_flows while we read, so each slot is read twice around
 * the entries it names, and read again when its seq moved (or was odd: a fold under way): then
 * no packet is counted twice, none is missed.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "flows.h"

#define SLOT_TRIES 64 /* a slot folds every 64 packets: a retry is rare, 64 in a row never seen */

/* One flow of a per-CPU table (attach --flows-percpu): its CPUs' values summed; first seen
 * is the earliest a CPU saw (CPUs that never saw the flow hold 0), last seen the latest. */
static void flow_fold(struct wl_flow_stats *out, const struct wl_flow_stats *per, int ncpu)
{
	memset(out, 0, sizeof(*out));
	for (int c = 0; c < ncpu; c++) {
		const struct wl_flow_stats *v = &per[c];

		out->packets += v->packets;
		out->bytes += v->bytes;
		out->tcp_syn += v->tcp_syn;
		out->tcp_fin += v->tcp_fin;
		out->tcp_rst += v->tcp_rst;
		out->fragments += v->fragments;
		if (v->first_seen_ns &&
		    (!out->first_seen_ns || v->first_seen_ns < out->first_seen_ns))
			out->first_seen_ns = v->first_seen_ns;
		if (v->last_seen_ns > out->last_seen_ns)
			out->last_seen_ns = v->last_seen_ns;
	}
}

/* What reading wl_flows needs: a buffer of one value per CPU when the table is per-CPU. */
struct flows_reader {
	int fd;
	int ncpu;		   /* values per entry */
	struct wl_flow_stats *per; /* ncpu values (per-CPU table) or NULL */
};

static int reader_init(struct flows_reader *r, int fd)
{
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);

	r->fd = fd;
	r->ncpu = 1;
	r->per = NULL;
	if (!bpf_obj_get_info_by_fd(fd, &info, &len) && info.type == BPF_MAP_TYPE_LRU_PERCPU_HASH) {
		r->ncpu = libbpf_num_possible_cpus();
		r->per = r->ncpu > 0 ? calloc(r->ncpu, sizeof(*r->per)) : NULL;
		if (!r->per)
			return -ENOMEM;
	}
	return 0;
}

/* The entry alone (its CPUs summed): 0, or -errno (-ENOENT: no entry). */
static int entry_get(struct flows_reader *r, const struct wl_flow_key *key,
		     struct wl_flow_stats *out)
{
	if (bpf_map_lookup_elem(r->fd, key, r->per ? (void *)r->per : out))
		return -errno;
	if (r->per)
		flow_fold(out, r->per, r->ncpu);
	return 0;
}

static void add_slot(struct wl_flow_stats *s, const struct wl_flow_slot *d)
{
	s->packets += d->packets;
	s->bytes += d->bytes;
	s->tcp_syn += d->tcp_syn;
	s->tcp_fin += d->tcp_fin;
	s->tcp_rst += d->tcp_rst;
	s->fragments += d->fragments;
	if (d->last_seen_ns > s->last_seen_ns)
		s->last_seen_ns = d->last_seen_ns;
	if (!s->first_seen_ns) /* the entry was pushed out: its deltas are the flow */
		s->first_seen_ns = d->last_seen_ns;
}

static bool slot_holds(const struct wl_flow_slot *d)
{
	return d->key.l3_proto && (d->packets || d->bytes);
}

/* The flows one cache index holds on some CPU, each with its entry and its slots added. */
struct slot_flows {
	int n;
	struct wl_flow_row *rows; /* up to ncpu */
	bool *found;		  /* rows[i] had an entry in wl_flows */
};

/* Reads cache index idx consistently (see the top). a, b: ncpu slots each. When only is set,
 * just that flow. 0 or -errno. */
static int slot_read(struct flows_reader *r, int cache_fd, __u32 idx, int ncpu,
		     struct wl_flow_slot *a, struct wl_flow_slot *b, const struct wl_flow_key *only,
		     struct slot_flows *out)
{
	for (int tries = 0;; tries++) {
		bool same = true;

		out->n = 0;
		if (bpf_map_lookup_elem(cache_fd, &idx, a))
			return -errno;
		for (int c = 0; c < ncpu; c++) {
			int i;

			if (!slot_holds(&a[c]) || (only && memcmp(&a[c].key, only, sizeof(*only))))
				continue;
			for (i = 0; i < out->n; i++)
				if (!memcmp(&out->rows[i].k, &a[c].key, sizeof(a[c].key)))
					break;
			if (i == out->n) {
				int err;

				out->rows[i].k = a[c].key;
				err = entry_get(r, &a[c].key, &out->rows[i].s);
				if (err && err != -ENOENT)
					return err;
				if (err)
					memset(&out->rows[i].s, 0, sizeof(out->rows[i].s));
				out->found[i] = !err;
				out->n++;
			}
		}
		if (!out->n)
			return 0;
		if (bpf_map_lookup_elem(cache_fd, &idx, b))
			return -errno;
		for (int c = 0; c < ncpu; c++)
			if (a[c].seq != b[c].seq || (a[c].seq & 1))
				same = false;
		if (same || tries == SLOT_TRIES)
			break;
	}
	for (int c = 0; c < ncpu; c++)
		for (int i = 0; i < out->n; i++)
			if (slot_holds(&a[c]) &&
			    !memcmp(&out->rows[i].k, &a[c].key, sizeof(a[c].key)))
				add_slot(&out->rows[i].s, &a[c]);
	return 0;
}

struct cache_reader {
	int ncpu;
	struct wl_flow_slot *a, *b;
	struct slot_flows sf;
};

static void cache_reader_free(struct cache_reader *c)
{
	free(c->a);
	free(c->b);
	free(c->sf.rows);
	free(c->sf.found);
}

static int cache_reader_init(struct cache_reader *c)
{
	memset(c, 0, sizeof(*c));
	c->ncpu = libbpf_num_possible_cpus();
	if (c->ncpu <= 0)
		return c->ncpu ? c->ncpu : -EINVAL;
	c->a = calloc(c->ncpu, sizeof(*c->a));
	c->b = calloc(c->ncpu, sizeof(*c->b));
	c->sf.rows = calloc(c->ncpu, sizeof(*c->sf.rows));
	c->sf.found = calloc(c->ncpu, sizeof(*c->sf.found));
	if (!c->a || !c->b || !c->sf.rows || !c->sf.found) {
		cache_reader_free(c);
		return -ENOMEM;
	}
	return 0;
}

int wl_flow_get(struct wl_flow_maps m, const struct wl_flow_key *key, struct wl_flow_stats *out)
{
	struct flows_reader r;
	struct cache_reader c;
	int err;

	err = reader_init(&r, m.flows);
	if (err)
		return err;
	if (m.cache < 0) {
		err = entry_get(&r, key, out);
		free(r.per);
		return err;
	}
	err = cache_reader_init(&c);
	if (!err)
		err = slot_read(&r, m.cache, wl_flow_slot_of(key), c.ncpu, c.a, c.b, key, &c.sf);
	if (!err && c.sf.n)
		*out = c.sf.rows[0].s;
	else if (!err)
		err = entry_get(&r, key, out); /* no slot holds packets of it */
	cache_reader_free(&c);
	free(r.per);
	return err;
}

static int cmp_row_ptr(const void *a, const void *b)
{
	return memcmp(&(*(struct wl_flow_row *const *)a)->k, &(*(struct wl_flow_row *const *)b)->k,
		      sizeof(struct wl_flow_key));
}

static int grow(struct wl_flow_row **rows, size_t n, size_t *cap)
{
	struct wl_flow_row *grown;

	if (n < *cap)
		return 0;
	*cap = *cap ? 2 * *cap : 256;
	grown = realloc(*rows, *cap * sizeof(**rows));
	if (!grown)
		return -ENOMEM;
	*rows = grown;
	return 0;
}

/* The cache's flows over rows read from wl_flows: a flow with slots takes its entry as read
 * now plus its slots; one the LRU pushed out is appended. */
static int add_cache(struct flows_reader *r, int cache_fd, struct wl_flow_row **rows, size_t *n,
		     size_t *cap)
{
	struct wl_flow_row **byk = NULL, *extra = NULL;
	size_t nrows = *n, nextra = 0, capextra = 0;
	struct cache_reader c;
	int err;

	err = cache_reader_init(&c);
	if (err)
		return err;
	byk = calloc(nrows ? nrows : 1, sizeof(*byk));
	if (!byk) {
		cache_reader_free(&c);
		return -ENOMEM;
	}
	for (size_t i = 0; i < nrows; i++)
		byk[i] = &(*rows)[i];
	qsort(byk, nrows, sizeof(*byk), cmp_row_ptr);
	for (__u32 idx = 0; idx < WL_FLOW_CACHE_SLOTS && !err; idx++) {
		err = slot_read(r, cache_fd, idx, c.ncpu, c.a, c.b, NULL, &c.sf);
		for (int i = 0; !err && i < c.sf.n; i++) {
			struct wl_flow_row *want = &c.sf.rows[i], **hit;

			hit = bsearch(&want, byk, nrows, sizeof(*byk), cmp_row_ptr);
			if (hit) {
				(*hit)->s = want->s;
				continue;
			}
			err = grow(&extra, nextra, &capextra);
			if (!err)
				extra[nextra++] = *want;
		}
	}
	for (size_t i = 0; !err && i < nextra; i++) {
		err = grow(rows, *n, cap);
		if (!err)
			(*rows)[(*n)++] = extra[i];
	}
	free(extra);
	free(byk);
	cache_reader_free(&c);
	return err;
}

int wl_flows_read(struct wl_flow_maps m, struct wl_flow_row **out, size_t *n_out)
{
	struct wl_flow_key key, next;
	struct wl_flow_row *rows = NULL;
	struct flows_reader r;
	size_t n = 0, cap = 0;
	void *prev = NULL;
	int err;

	err = reader_init(&r, m.flows);
	if (err)
		return err;
	while (!bpf_map_get_next_key(m.flows, prev, &next)) {
		key = next;
		prev = &key;
		err = grow(&rows, n, &cap);
		if (err)
			break;
		if (entry_get(&r, &key, &rows[n].s))
			continue; /* deleted meanwhile (LRU eviction, reset) */
		rows[n++].k = key;
	}
	if (!err && m.cache >= 0)
		err = add_cache(&r, m.cache, &rows, &n, &cap);
	free(r.per);
	if (err) {
		free(rows);
		return err;
	}
	*out = rows;
	*n_out = n;
	return 0;
}
