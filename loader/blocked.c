// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Connections blocked by L7 rules: unblocked with their rule, moved with it across sets. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>

#include "blocked.h"
#include "maps/wirelens.h"

/* Slot + 1 of rule id in set gen, 0 when absent (ids in ascending slot order are not
 * guaranteed: a linear table of the set, built once per sync). */
struct id_slot {
	__u32 id;
	__u32 slot;
};

static int by_id(const void *a, const void *b)
{
	const struct id_slot *x = a, *y = b;

	return x->id < y->id ? -1 : x->id > y->id;
}

int wl_blocked_sync(int blocked_fd, int rules_fd, __u8 gen)
{
	struct id_slot *ids = calloc(WL_RULES_MAX, sizeof(*ids));
	struct wl_blocked_key key, next, *gone = NULL;
	size_t n = 0, ngone = 0, cap = 0;
	int err = 0, more;

	if (!ids)
		return -ENOMEM;
	for (__u32 slot = 0; slot < WL_RULES_MAX; slot++) {
		__u32 idx = (gen & 1) * WL_RULES_MAX + slot;
		struct wl_rule r;

		if (bpf_map_lookup_elem(rules_fd, &idx, &r)) {
			err = -errno;
			goto out;
		}
		if (r.id && (r.fields & WL_RF_L7))
			ids[n++] = (struct id_slot){.id = r.id, .slot = slot};
	}
	qsort(ids, n, sizeof(*ids), by_id);
	/* walk first, delete after: deleting while walking a hash restarts the walk */
	more = !bpf_map_get_next_key(blocked_fd, NULL, &key);
	while (more) {
		struct wl_blocked b;
		struct id_slot want, *found;

		more = !bpf_map_get_next_key(blocked_fd, &key, &next);
		if (!bpf_map_lookup_elem(blocked_fd, &key, &b)) {
			want.id = b.rule_id;
			found = n ? bsearch(&want, ids, n, sizeof(*ids), by_id) : NULL;
			if (found) {
				b.rule_idx = (gen & 1) * WL_RULES_MAX + found->slot;
				bpf_map_update_elem(blocked_fd, &key, &b, BPF_EXIST);
			} else {
				if (ngone == cap) {
					struct wl_blocked_key *g;

					cap = cap ? 2 * cap : 64;
					g = realloc(gone, cap * sizeof(*g));
					if (!g) {
						err = -ENOMEM;
						goto out;
					}
					gone = g;
				}
				gone[ngone++] = key;
			}
		}
		key = next;
	}
	for (size_t i = 0; i < ngone; i++)
		bpf_map_delete_elem(blocked_fd, &gone[i]);
	err = (int)ngone;
out:
	free(gone);
	free(ids);
	return err;
}

int wl_blocked_count(int blocked_fd)
{
	struct wl_blocked_key key, next;
	int n = 0;

	if (bpf_map_get_next_key(blocked_fd, NULL, &key))
		return errno == ENOENT ? 0 : -errno;
	do {
		n++;
		if (bpf_map_get_next_key(blocked_fd, &key, &next))
			break;
		key = next;
	} while (1);
	return n;
}
