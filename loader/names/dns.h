/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* dns command names as the parser emits them (and as the server's own counters name them).
 * Names not listed count as OTHER. Filled in with the parser. */
static const char *const dns_commands[] = {
	"OTHER",
};
