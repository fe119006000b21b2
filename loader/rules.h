/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* `wirelens rule add|del|list|policy|load|flush`: the filter's rules (rule sets: ruleset.h). */
#ifndef WL_LOADER_RULES_H
#define WL_LOADER_RULES_H

#include <json-c/json.h>

/* The filter lines of `status`: rule count and policy (a "filter" object into root when JSON).
 * Silent when the filter maps are not pinned. */
void wl_rules_status(json_object *root);

#endif /* WL_LOADER_RULES_H */
