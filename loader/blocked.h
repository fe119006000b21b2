/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Connections blocked by L7 rules (maps/wirelens.h, wl_blocked): kept in step with the rules. */
#ifndef WL_LOADER_BLOCKED_H
#define WL_LOADER_BLOCKED_H

#include <linux/types.h>

/*
 * After the rule set changed (gen: the set now active; rules_fd: wl_rules): a connection whose
 * blocking rule is no longer in the set is unblocked (both of its entries deleted), the others
 * have their rule's stats index moved to the rule's slot in the new set. Call it after every
 * change of the set (rule add, del, load, flush). Returns the number of entries deleted, or
 * -errno.
 */
int wl_blocked_sync(int blocked_fd, int rules_fd, __u8 gen);

/* Entries of the blocked map (two per blocked connection), or -errno. */
int wl_blocked_count(int blocked_fd);

#endif
