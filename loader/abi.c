// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Map ABI changes across wirelens versions. Pins live under <root>/v<WL_ABI_VERSION>, so a
 * build with another layout never misreads them; what an older build left (its links keep its
 * programs attached, its maps keep memory) is found here and replaced by `attach`, removed by
 * `detach --all`, and named by `status`. The older build's link pins and TC filter records have
 * this version's layout (unchanged since ABI 3); a record this build cannot read is left and
 * reported rather than guessed at.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "abi.h"
#include "attach.h"
#include "maps/wirelens.h"
#include "progs.h"

#define WL_ABI_DIRS_MAX 8

struct abi_dir {
	int version;
	char path[512];
	int links; /* attachments pinned there */
};

static int count_link(const struct wl_link_pin *pin, void *arg)
{
	(void)pin;
	(*(int *)arg)++;
	return 0;
}

/* The v<N> directories under the pin root other than ours, with their attachments. */
static int other_abis(struct abi_dir *out, int max)
{
	DIR *d = opendir(wl_pin_root());
	struct dirent *e;
	int n = 0;

	if (!d)
		return 0;
	while ((e = readdir(d)) && n < max) {
		char *end;
		long v;

		if (e->d_name[0] != 'v')
			continue;
		v = strtol(e->d_name + 1, &end, 10);
		if (*end || end == e->d_name + 1 || v == WL_ABI_VERSION || v <= 0)
			continue;
		out[n].version = (int)v;
		snprintf(out[n].path, sizeof(out[n].path), "%s/%s", wl_pin_root(), e->d_name);
		out[n].links = 0;
		wl_pin_dir_use(out[n].path);
		wl_links_foreach(count_link, &out[n].links);
		wl_pin_dir_use(NULL);
		n++;
	}
	closedir(d);
	return n;
}

int wl_abi_replace_old(int refuse_newer)
{
	struct abi_dir dirs[WL_ABI_DIRS_MAX];
	int n = other_abis(dirs, WL_ABI_DIRS_MAX), err = 0;

	for (int i = 0; i < n; i++) {
		int gone;

		if (dirs[i].version > WL_ABI_VERSION) {
			if (refuse_newer && dirs[i].links) {
				fprintf(stderr,
					"wirelens: a newer wirelens (map ABI v%d) has %d "
					"attachment%s "
					"pinned at %s: detach with it first\n",
					dirs[i].version, dirs[i].links,
					dirs[i].links == 1 ? "" : "s", dirs[i].path);
				err = -1;
			}
			continue;
		}
		wl_pin_dir_use(dirs[i].path);
		gone = wl_detach_all(true);
		if (!wl_links_count())
			wl_unpin_all();
		wl_pin_dir_use(NULL);
		fprintf(stderr,
			"wirelens: removed what an older wirelens (map ABI v%d) left at %s: %d "
			"attachment%s detached, its maps unpinned (their counters cannot be read "
			"with ABI v%d)%s\n",
			dirs[i].version, dirs[i].path, gone, gone == 1 ? "" : "s", WL_ABI_VERSION,
			access(dirs[i].path, F_OK) ? "" : "; some pins could not be removed");
	}
	return err;
}

void wl_abi_notes(FILE *f, json_object *arr)
{
	struct abi_dir dirs[WL_ABI_DIRS_MAX];
	int n = other_abis(dirs, WL_ABI_DIRS_MAX);

	for (int i = 0; i < n; i++) {
		char text[512];

		snprintf(text, sizeof(text),
			 "pins of map ABI v%d (%s wirelens) at %s, %d attachment%s: %s",
			 dirs[i].version, dirs[i].version < WL_ABI_VERSION ? "an older" : "a newer",
			 dirs[i].path, dirs[i].links, dirs[i].links == 1 ? "" : "s",
			 dirs[i].version < WL_ABI_VERSION ? "`wirelens attach` replaces them, "
							    "`wirelens detach --all` removes "
							    "them"
							  : "detach with that wirelens");
		if (f)
			fprintf(f, "note: %s\n", text);
		if (arr)
			json_object_array_add(arr, json_object_new_string(text));
	}
}
