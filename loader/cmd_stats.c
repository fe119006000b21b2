// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Command statistics as wirelens counts them. A command's events are in its wl_cmd_stats entry
 * (a value per CPU) and, for the last ones, in the wl_cmd_cache slot of each CPU they ran on
 * (maps/wirelens.h): readers add the slots. A slot's deltas move into its CPU's value of the
 * entry while we read, so each cache index is read as a seqlock: the slots' seq first, then
 * their deltas and the entries of the commands concerned, then the seq again, all again when a
 * seq moved (or was odd: a fold under way). The commands concerned are those the slots hold
 * now and those they held before the table scan (a slot folded during the scan: the scan read
 * the entry too early). Then no event is counted twice and none is missed.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "commands.h"
#include "progs.h"

void wl_cmd_stats_add(struct wl_cmd_stats *to, const struct wl_cmd_stats *from)
{
	__u64 *dst = (__u64 *)to;
	const __u64 *src = (const __u64 *)from;

	for (size_t i = 0; i < sizeof(*to) / sizeof(__u64); i++)
		dst[i] += src[i]; /* modulo 2^64: a slot's delta may be below 0 */
}

/* Does the slot hold deltas of a command? */
static bool slot_holds(const struct wl_cmd_slot *c)
{
	return c->ident[0] && c->n;
}

struct cmd_reader {
	int fd, cache_fd, ncpu;
	struct wl_cmd_stats *per; /* ncpu values of one entry */
	struct wl_cmd_slot *a;	  /* ncpu slots: the data read */
	struct wl_cmd_slot *b;	  /* ncpu slots: read for their seq */
	__u32 *seq;		  /* ncpu: seq before the data */
	struct wl_cmd_key *pre;	  /* ncpu x WL_CMD_CACHE_SLOTS keys held before the scan */
	bool *pre_held;
	struct wl_cmd_row *rows; /* the commands of one index: at most 2 per CPU (now, before) */
	bool *found;		 /* rows[i] has an entry or deltas */
	int n;
};

/* The entry of k, its CPUs summed, into *out (zero and false when there is none). */
static int entry_get(struct cmd_reader *r, const struct wl_cmd_key *k, struct wl_cmd_stats *out,
		     bool *found)
{
	memset(out, 0, sizeof(*out));
	*found = false;
	if (bpf_map_lookup_elem(r->fd, k, r->per))
		return errno == ENOENT ? 0 : -errno;
	for (int c = 0; c < r->ncpu; c++)
		wl_cmd_stats_add(out, &r->per[c]);
	*found = true;
	return 0;
}

/* Adds k to the commands of this index (once) and reads its entry. */
static int want_key(struct cmd_reader *r, const struct wl_cmd_key *k)
{
	int i;

	for (i = 0; i < r->n; i++)
		if (!memcmp(&r->rows[i].key, k, sizeof(*k)))
			return 0;
	if (r->n == 2 * r->ncpu)
		return -E2BIG;
	r->rows[i].key = *k;
	r->n++;
	return entry_get(r, k, &r->rows[i].st, &r->found[i]);
}

/* Reads cache index idx as a seqlock reader (see the top of this file) into r->rows. */
static int index_read(struct cmd_reader *r, __u32 idx)
{
	int ncpu = r->ncpu, err = 0;
	__u64 waited = 0; /* wl_seq_retry_wait's */

	if (bpf_map_lookup_elem(r->cache_fd, &idx, r->b))
		return -errno;
	for (int cpu = 0; cpu < ncpu; cpu++)
		r->seq[cpu] = r->b[cpu].seq;
	for (unsigned int tries = 0;; tries++) {
		bool same = true;

		r->n = 0;
		if (bpf_map_lookup_elem(r->cache_fd, &idx, r->a))
			return -errno;
		for (int cpu = 0; cpu < ncpu && !err; cpu++) {
			size_t at = (size_t)idx * ncpu + cpu;

			if (r->a[cpu].ident[0])
				err = want_key(r, &r->a[cpu].key);
			if (!err && r->pre_held[at])
				err = want_key(r, &r->pre[at]);
		}
		if (err || !r->n)
			return err;
		if (bpf_map_lookup_elem(r->cache_fd, &idx, r->b))
			return -errno;
		for (int cpu = 0; cpu < ncpu; cpu++) {
			if (r->seq[cpu] != r->b[cpu].seq || (r->seq[cpu] & 1))
				same = false;
			r->seq[cpu] = r->b[cpu].seq; /* the next try's seq before */
		}
		if (same)
			break;
		err = wl_seq_retry_wait(tries + 1, &waited);
		if (err)
			return err;
	}
	for (int cpu = 0; cpu < ncpu; cpu++)
		for (int i = 0; i < r->n; i++)
			if (slot_holds(&r->a[cpu]) &&
			    !memcmp(&r->rows[i].key, &r->a[cpu].key, sizeof(r->a[cpu].key))) {
				wl_cmd_stats_add(&r->rows[i].st, &r->a[cpu].d);
				r->found[i] = true;
			}
	return 0;
}

/* The keys every slot holds now (before the table scan). */
static int pre_read(struct cmd_reader *r)
{
	for (__u32 idx = 0; idx < WL_CMD_CACHE_SLOTS; idx++) {
		if (bpf_map_lookup_elem(r->cache_fd, &idx, r->a))
			return -errno;
		for (int cpu = 0; cpu < r->ncpu; cpu++) {
			size_t at = (size_t)idx * r->ncpu + cpu;

			r->pre_held[at] = r->a[cpu].ident[0] != 0;
			r->pre[at] = r->a[cpu].key;
		}
	}
	return 0;
}

static void reader_free(struct cmd_reader *r)
{
	free(r->per);
	free(r->a);
	free(r->b);
	free(r->seq);
	free(r->pre);
	free(r->pre_held);
	free(r->rows);
	free(r->found);
	free(r);
}

static int row_add(struct wl_cmd_row **rows, size_t *n, size_t *cap, const struct wl_cmd_row *row)
{
	if (*n == *cap) {
		size_t c = *cap ? *cap * 2 : 64;
		struct wl_cmd_row *more = realloc(*rows, c * sizeof(**rows));

		if (!more)
			return -ENOMEM;
		*rows = more;
		*cap = c;
	}
	(*rows)[(*n)++] = *row;
	return 0;
}

/* The rows of the commands r->rows names: replaced by what was read with their slots, or
 * added (an entry made since the scan). */
static int rows_merge(struct cmd_reader *r, struct wl_cmd_row **rows, size_t *n, size_t *cap)
{
	for (int i = 0; i < r->n; i++) {
		size_t j;

		for (j = 0; j < *n; j++)
			if (!memcmp(&(*rows)[j].key, &r->rows[i].key, sizeof(r->rows[i].key)))
				break;
		if (j < *n)
			(*rows)[j].st = r->rows[i].st;
		else if (r->found[i] && row_add(rows, n, cap, &r->rows[i]))
			return -ENOMEM;
	}
	return 0;
}

int wl_cmd_stats_read(struct wl_cmd_maps m, struct wl_cmd_row **out, size_t *n_out)
{
	int ncpu = libbpf_num_possible_cpus(), err = 0;
	struct cmd_reader *r = calloc(1, sizeof(*r));
	struct wl_cmd_key key, next;
	struct wl_cmd_row *rows = NULL, row;
	size_t n = 0, cap = 0;
	void *prev = NULL;

	*out = NULL;
	*n_out = 0;
	if (!r || ncpu <= 0 || ncpu > 64 * 1024) {
		free(r);
		return r ? -EINVAL : -ENOMEM;
	}
	r->fd = m.stats;
	r->cache_fd = m.cache;
	r->ncpu = ncpu;
	r->per = calloc(ncpu, sizeof(*r->per));
	if (!r->per) {
		reader_free(r);
		return -ENOMEM;
	}
	if (m.cache >= 0) {
		r->a = calloc(ncpu, sizeof(*r->a));
		r->b = calloc(ncpu, sizeof(*r->b));
		r->seq = calloc(ncpu, sizeof(*r->seq));
		r->pre = calloc((size_t)ncpu * WL_CMD_CACHE_SLOTS, sizeof(*r->pre));
		r->pre_held = calloc((size_t)ncpu * WL_CMD_CACHE_SLOTS, sizeof(*r->pre_held));
		r->rows = calloc(2 * (size_t)ncpu, sizeof(*r->rows));
		r->found = calloc(2 * (size_t)ncpu, sizeof(*r->found));
		if (!r->a || !r->b || !r->seq || !r->pre || !r->pre_held || !r->rows || !r->found)
			err = -ENOMEM;
		if (!err)
			err = pre_read(r);
	}
	while (!err && !bpf_map_get_next_key(m.stats, prev, &next)) {
		key = next;
		prev = &key;
		if (bpf_map_lookup_elem(m.stats, &key, r->per))
			continue; /* removed meanwhile */
		memset(&row, 0, sizeof(row));
		row.key = key;
		for (int c = 0; c < ncpu; c++)
			wl_cmd_stats_add(&row.st, &r->per[c]);
		err = row_add(&rows, &n, &cap, &row);
	}
	/* the commands a slot holds or held: their entries read again, with the slots' deltas,
	 * as one seqlock read per index */
	for (__u32 idx = 0; !err && m.cache >= 0 && idx < WL_CMD_CACHE_SLOTS; idx++) {
		err = index_read(r, idx);
		if (!err)
			err = rows_merge(r, &rows, &n, &cap);
	}
	reader_free(r);
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
	const struct wl_cmd_slot *slot = value;
	struct wl_cmd_cache_fill *out = arg;

	out->slots++;
	if (slot_holds(slot)) {
		out->holding++;
		out->updates += slot->n;
	}
}

int wl_cmd_cache_fill(int cache_fd, struct wl_cmd_cache_fill *out)
{
	memset(out, 0, sizeof(*out));
	return wl_percpu_array_each(cache_fd, WL_CMD_CACHE_SLOTS, sizeof(struct wl_cmd_slot),
				    fill_count, out);
}
