// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Flows as wirelens counts them. A flow's packets are in its wl_flows entry and, for the last
 * ones, in the wl_flow_cache slot of each CPU its packets ran on (maps/wirelens.h): readers add
 * the slots. A slot's deltas move into wl_flows while we read, so each slot is read as a seqlock:
 * its seq first (a read of its own), then its deltas and the entries of the flows it names, then
 * its seq again, all again when the seq moved (or was odd: a fold under way): then no packet is
 * counted twice, none is missed.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "flows.h"
#include "progs.h"

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

/* The flows of one cache index, each with its entry and its slots added. */
struct slot_flows {
	int n, max;
	struct wl_flow_row *rows;
	bool *found; /* rows[i] has an entry in wl_flows */
};

struct cache_reader {
	int ncpu;
	struct wl_flow_slot *a;	 /* ncpu slots: the data read */
	struct wl_flow_slot *b;	 /* ncpu slots: read for their seq */
	__u32 *seq;		 /* ncpu: seq before the data */
	struct wl_flow_key *pre; /* ncpu x WL_FLOW_CACHE_SLOTS keys before a table scan, or NULL */
	struct slot_flows sf;
};

static bool key_is_set(const struct wl_flow_key *k)
{
	return k->l3_proto != 0;
}

/* Adds key to the flows of this read (once); reads its entry. */
static int want_key(struct flows_reader *r, struct slot_flows *out, const struct wl_flow_key *k)
{
	int i, err;

	for (i = 0; i < out->n; i++)
		if (!memcmp(&out->rows[i].k, k, sizeof(*k)))
			return 0;
	if (out->n == out->max)
		return -E2BIG;
	out->rows[i].k = *k;
	err = entry_get(r, k, &out->rows[i].s);
	if (err && err != -ENOENT)
		return err;
	if (err)
		memset(&out->rows[i].s, 0, sizeof(out->rows[i].s));
	out->found[i] = !err;
	out->n++;
	return 0;
}

/*
 * Reads cache index idx as a seqlock reader: the slots' seq (a read of its own, since one copy
 * of a slot reads its seq after its deltas), then the slots' deltas and the entries of the
 * flows concerned, then the seq again; retried when a seq moved or was odd. The flows
 * concerned: every key a slot holds now and what c->pre says the slots held before a table
 * scan (a slot folded during the scan: the scan read its entry too early); or `only`. 0 or
 * -errno.
 */
static int slot_read(struct flows_reader *r, int cache_fd, __u32 idx, struct cache_reader *c,
		     const struct wl_flow_key *only, struct slot_flows *out)
{
	int ncpu = c->ncpu, err = 0;
	__u64 waited = 0; /* wl_seq_retry_wait's */

	if (bpf_map_lookup_elem(cache_fd, &idx, c->b))
		return -errno;
	for (int cpu = 0; cpu < ncpu; cpu++)
		c->seq[cpu] = c->b[cpu].seq;
	for (unsigned int tries = 0;; tries++) {
		bool same = true;

		out->n = 0;
		if (bpf_map_lookup_elem(cache_fd, &idx, c->a))
			return -errno;
		if (only)
			err = want_key(r, out, only);
		for (int cpu = 0; !only && cpu < ncpu && !err; cpu++) {
			const struct wl_flow_key *was =
				c->pre ? &c->pre[(size_t)idx * ncpu + cpu] : NULL;

			if (key_is_set(&c->a[cpu].key))
				err = want_key(r, out, &c->a[cpu].key);
			if (!err && was && key_is_set(was))
				err = want_key(r, out, was);
		}
		if (err)
			return err;
		if (!out->n)
			return 0;
		if (bpf_map_lookup_elem(cache_fd, &idx, c->b))
			return -errno;
		for (int cpu = 0; cpu < ncpu; cpu++) {
			if (c->seq[cpu] != c->b[cpu].seq || (c->seq[cpu] & 1))
				same = false;
			c->seq[cpu] = c->b[cpu].seq; /* the next try's seq before */
		}
		if (same)
			break;
		err = wl_seq_retry_wait(tries + 1, &waited);
		if (err)
			return err;
	}
	for (int cpu = 0; cpu < ncpu; cpu++)
		for (int i = 0; i < out->n; i++)
			if (slot_holds(&c->a[cpu]) &&
			    !memcmp(&out->rows[i].k, &c->a[cpu].key, sizeof(c->a[cpu].key)))
				add_slot(&out->rows[i].s, &c->a[cpu]);
	return 0;
}

static void cache_reader_free(struct cache_reader *c)
{
	free(c->a);
	free(c->b);
	free(c->seq);
	free(c->pre);
	free(c->sf.rows);
	free(c->sf.found);
	memset(c, 0, sizeof(*c)); /* freed twice does nothing */
}

static int cache_reader_init(struct cache_reader *c)
{
	memset(c, 0, sizeof(*c));
	c->ncpu = libbpf_num_possible_cpus();
	if (c->ncpu <= 0)
		return c->ncpu ? c->ncpu : -EINVAL;
	c->sf.max = 2 * c->ncpu; /* each CPU's key now and before the scan */
	c->a = calloc(c->ncpu, sizeof(*c->a));
	c->b = calloc(c->ncpu, sizeof(*c->b));
	c->seq = calloc(c->ncpu, sizeof(*c->seq));
	c->sf.rows = calloc(c->sf.max, sizeof(*c->sf.rows));
	c->sf.found = calloc(c->sf.max, sizeof(*c->sf.found));
	if (!c->a || !c->b || !c->seq || !c->sf.rows || !c->sf.found) {
		cache_reader_free(c);
		return -ENOMEM;
	}
	return 0;
}

/* The keys every slot holds, before a table scan (c->pre). */
static int cache_keys_before(struct cache_reader *c, int cache_fd)
{
	c->pre = calloc((size_t)WL_FLOW_CACHE_SLOTS * c->ncpu, sizeof(*c->pre));
	if (!c->pre)
		return -ENOMEM;
	for (__u32 idx = 0; idx < WL_FLOW_CACHE_SLOTS; idx++) {
		if (bpf_map_lookup_elem(cache_fd, &idx, c->a))
			return -errno;
		for (int cpu = 0; cpu < c->ncpu; cpu++)
			c->pre[(size_t)idx * c->ncpu + cpu] = c->a[cpu].key;
	}
	return 0;
}

int wl_flow_get(struct wl_flow_maps m, const struct wl_flow_key *key, struct wl_flow_stats *out)
{
	struct cache_reader c = {};
	struct flows_reader r;
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
		err = slot_read(&r, m.cache, wl_flow_slot_of(key), &c, key, &c.sf);
	if (!err && !c.sf.found[0] && !c.sf.rows[0].s.packets)
		err = -ENOENT; /* in neither map */
	if (!err)
		*out = c.sf.rows[0].s;
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

/* The cache's flows over rows read from wl_flows (c->pre taken before): a flow a slot holds,
 * or held before the scan, takes its entry as read now plus its slots; one the LRU pushed out
 * is appended. */
static int add_cache(struct flows_reader *r, int cache_fd, struct cache_reader *c,
		     struct wl_flow_row **rows, size_t *n, size_t *cap)
{
	struct wl_flow_row **byk, *extra = NULL;
	size_t nrows = *n, nextra = 0, capextra = 0;
	int err = 0;

	byk = calloc(nrows ? nrows : 1, sizeof(*byk));
	if (!byk)
		return -ENOMEM;
	for (size_t i = 0; i < nrows; i++)
		byk[i] = &(*rows)[i];
	qsort(byk, nrows, sizeof(*byk), cmp_row_ptr);
	for (__u32 idx = 0; idx < WL_FLOW_CACHE_SLOTS && !err; idx++) {
		err = slot_read(r, cache_fd, idx, c, NULL, &c->sf);
		for (int i = 0; !err && i < c->sf.n; i++) {
			struct wl_flow_row *want = &c->sf.rows[i], **hit;

			hit = bsearch(&want, byk, nrows, sizeof(*byk), cmp_row_ptr);
			if (hit) {
				(*hit)->s = want->s;
				continue;
			}
			if (!c->sf.found[i] && !want->s.packets)
				continue; /* gone from both maps */
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
	return err;
}

int wl_flows_read(struct wl_flow_maps m, struct wl_flow_row **out, size_t *n_out)
{
	struct wl_flow_key key, next;
	struct wl_flow_row *rows = NULL;
	struct cache_reader c = {};
	struct flows_reader r;
	size_t n = 0, cap = 0;
	void *prev = NULL;
	int err;

	err = reader_init(&r, m.flows);
	if (err)
		return err;
	if (m.cache >= 0) {
		err = cache_reader_init(&c);
		if (!err)
			err = cache_keys_before(&c, m.cache);
	}
	while (!err && !bpf_map_get_next_key(m.flows, prev, &next)) {
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
		err = add_cache(&r, m.cache, &c, &rows, &n, &cap);
	cache_reader_free(&c);
	free(r.per);
	if (err) {
		free(rows);
		return err;
	}
	*out = rows;
	*n_out = n;
	return 0;
}

static void fill_count(const void *value, void *arg)
{
	const struct wl_flow_slot *slot = value;
	struct wl_flow_cache_fill *out = arg;

	out->slots++;
	if (slot_holds(slot)) {
		out->holding++;
		out->packets += slot->packets;
	}
}

int wl_flow_cache_fill(int cache_fd, struct wl_flow_cache_fill *out)
{
	memset(out, 0, sizeof(*out));
	return wl_percpu_array_each(cache_fd, WL_FLOW_CACHE_SLOTS, sizeof(struct wl_flow_slot),
				    fill_count, out);
}
