/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Filter rule sets: parsing a `rule add` argument list, reading the active set back from the
 * maps, and writing a whole set atomically (the inactive generation, then the flip). The CLI
 * (rules.c) and the tests (tests/test_filter.c) go through these same functions.
 */
#ifndef WL_LOADER_RULESET_H
#define WL_LOADER_RULESET_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>
#include "maps/wirelens.h"

struct wl_progs;

#define WL_RULE_CMDS_MAX 256 /* command ids of one L7 rule (Redis CONFIG expands to its subs) */

/* One rule as the loader handles it: the map's struct, the L7 command ids it names, and its
 * counters (summed over CPUs) when read back. */
struct wl_rule_ent {
	struct wl_rule r;
	__u16 ncmds;
	__u16 cmds[WL_RULE_CMDS_MAX];
	struct wl_rule_stats stats;
	__s32 old_idx; /* index of its counters in the active set, -1 for a new rule */
};

struct wl_ruleset {
	struct wl_rule_ent *rules;
	size_t n, cap;
	__u8 policy;   /* WL_ACT_ALLOW or WL_ACT_DENY */
	__u32 next_id; /* the next id to give */
};

/* The filter's maps. */
struct wl_filter_fds {
	int cfg, rules, stats, l7, gen, meta, vlan, port, iface, addr, bitmaps, cmd_names, cmd_ids,
		addr_lens, blocked;
};

/* From the pins (CLI): 0, or -errno with nothing opened. */
int wl_filter_fds_open(struct wl_filter_fds *f);
void wl_filter_fds_close(struct wl_filter_fds *f);
/* From a loaded object (tests, bench): borrowed fds, not to be closed. */
int wl_filter_fds_of(struct wl_filter_fds *f, const struct wl_progs *p);

/* Reads the active set (rules in slot order, with their counters and command ids). */
int wl_ruleset_read(const struct wl_filter_fds *f, struct wl_ruleset *s);
void wl_ruleset_free(struct wl_ruleset *s);

/* Appends a rule (a copy); the id is given by wl_ruleset_add. Returns the new id or -errno. */
int wl_ruleset_add(struct wl_ruleset *s, const struct wl_rule_ent *e);

/* Writes s as the new active set: fills the inactive generation, flips, clears the old one.
 * Counters of rules kept (old_idx >= 0) carry over. On error (one line on stderr) the active
 * set is unchanged. */
int wl_ruleset_write(const struct wl_filter_fds *f, struct wl_ruleset *s);
/* Under the lock, before a rule command reads or changes the set: clears the inactive
 * generation (what a change killed before or after its flip left there) and syncs the blocked
 * connections with the active set. The active set itself is always whole: the flip is one
 * write of wl_filter_cfg (gen, rules, next_id together). */
int wl_ruleset_repair(const struct wl_filter_fds *f);

/*
 * Parses a `rule add` argument list (argv[0] is not an option) into e. Errors: one line
 * "wirelens: rule add: ..." on stderr (prefixed by where when not NULL, e.g. "FILE:LINE: ")
 * and -EINVAL. The L7 command names are looked up in the maps of f.
 */
int wl_rule_parse(const struct wl_filter_fds *f, int argc, char **argv, struct wl_rule_ent *e,
		  const char *where);

/* The option table of `rule add` (for its --help and completion). */
extern const struct wl_verb_params wl_rule_add_params;

/* "deny", "allow", ...; "in", "out", "both"; prefix text "198.18.0.0/15" (buffers >= 64). */
const char *wl_action_name(unsigned int a);
const char *wl_dirs_name(unsigned int dirs);
void wl_rule_prefix_str(const struct wl_rule *r, bool dst, char *buf, size_t len);
/* L7 "redis:FLUSHALL,CONFIG|SET" of a rule (buf >= 256). */
void wl_rule_l7_str(const struct wl_filter_fds *f, const struct wl_rule_ent *e, char *buf,
		    size_t len);

#endif /* WL_LOADER_RULESET_H */
