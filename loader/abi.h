/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Pins of another map ABI beside ours (an upgrade or a downgrade of wirelens): abi.c. */
#ifndef WL_LOADER_ABI_H
#define WL_LOADER_ABI_H

#include <stdio.h>
#include <json-c/json.h>

/*
 * Under the lock, after this ABI's directory exists: detaches and unpins what an older
 * wirelens (a lower map ABI) left under the pin root, saying so on stderr (its counters cannot
 * be read by this version). Pins of a newer ABI are left alone (this build cannot know their
 * layout): returns -1 with an error line when there are attachments there and refuse_newer.
 */
int wl_abi_replace_old(int refuse_newer);

/* For status: one note per other ABI directory found (text to f, or objects added to arr). */
void wl_abi_notes(FILE *f, json_object *arr);

#endif /* WL_LOADER_ABI_H */
