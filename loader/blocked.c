// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Connections blocked by L7 rules: their stats index moved with their rule across sets. */
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
	struct wl_blocked_key key, next;
	size_t n = 0;
	int err = 0, orphaned = 0, more;

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
	/* updates in place do not disturb the walk (no entry added or deleted) */
	more = !bpf_map_get_next_key(blocked_fd, NULL, &key);
	while (more) {
		struct wl_blocked b;
		struct id_slot want, *found;
		__u32 idx;

		more = !bpf_map_get_next_key(blocked_fd, &key, &next);
		if (!bpf_map_lookup_elem(blocked_fd, &key, &b)) {
			want.id = b.rule_id;
			found = n ? bsearch(&want, ids, n, sizeof(*ids), by_id) : NULL;
			idx = found ? (gen & 1) * WL_RULES_MAX + found->slot : WL_BLOCKED_NO_RULE;
			if (!found && b.rule_idx != WL_BLOCKED_NO_RULE)
				orphaned++;
			if (idx != b.rule_idx) {
				b.rule_idx = idx;
				bpf_map_update_elem(blocked_fd, &key, &b, BPF_EXIST);
			}
		}
		key = next;
	}
	err = orphaned;
out:
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
