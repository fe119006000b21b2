/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Connections blocked by L7 rules (maps/wirelens.h, wl_blocked): kept in step with the rules. */
#ifndef WL_LOADER_BLOCKED_H
#define WL_LOADER_BLOCKED_H

#include <linux/types.h>

/*
 * After the rule set changed (gen: the set now active; rules_fd: wl_rules): a blocked
 * connection's rule stats index moves to its rule's slot in the new set, or becomes
 * WL_BLOCKED_NO_RULE when the rule is gone. The connection stays blocked either way: a client
 * retransmits the denied segment for up to ~15 minutes, and unblocking would let the server run
 * the denied command (the block ends with a RST, FINs both ways, a new SYN on the 4-tuple, LRU
 * eviction or detach). Call it after every change of the set (rule add, del, load, flush).
 * Returns the number of entries whose rule went now, or -errno.
 */
int wl_blocked_sync(int blocked_fd, int rules_fd, __u8 gen);

/* Entries of the blocked map (two per blocked connection), or -errno. */
int wl_blocked_count(int blocked_fd);

#endif
