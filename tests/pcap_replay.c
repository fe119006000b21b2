// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Capture replay through BPF_PROG_TEST_RUN, and the EXPECTED.tsv reader. See pcap_replay.h. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pcap_replay.h"

static const char *via_cli;

void wl_pcap_replay_via_cli(const char *bin)
{
	via_cli = bin;
}

int wl_pcap_replay(const char *path, enum wl_hook hook, struct wl_replay_stats *out)
{
	char err[512];
	int fd = hook == HOOK_TC ? wl_progs_tc_fd(harness()) : wl_progs_xdp_fd(harness());

	if (via_cli)
		return wl_replay_cli(via_cli, path, hook, out);
	if (wl_capture_replay(path, fd, hook == HOOK_TC, out, err, sizeof(err))) {
		fprintf(stderr, "pcap: %s\n", err);
		return -1;
	}
	return 0;
}

const char *wl_pcap_dir(void)
{
	const char *d = getenv("WL_PCAP_DIR");

	return d && *d ? d : WL_PCAP_DIR_DEFAULT;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int is_capture(const char *name)
{
	size_t n = strlen(name);

	return (n > 5 && !strcmp(name + n - 5, ".pcap")) ||
	       (n > 7 && !strcmp(name + n - 7, ".pcapng")) ||
	       (n > 4 && !strcmp(name + n - 4, ".cap"));
}

int wl_pcap_list(const char *dir, char ***list)
{
	char **v = NULL, sub[4096];
	int n = 0, cap = 0;
	struct dirent *de, *fe;
	DIR *d, *f;

	d = opendir(dir);
	if (!d)
		return -1;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(sub, sizeof(sub), "%s/%s", dir, de->d_name);
		f = opendir(sub);
		if (!f)
			continue;
		while ((fe = readdir(f))) {
			if (!is_capture(fe->d_name))
				continue;
			if (n == cap) {
				cap = cap ? cap * 2 : 64;
				v = realloc(v, cap * sizeof(*v));
				if (!v)
					abort();
			}
			if (asprintf(&v[n], "%s/%s", de->d_name, fe->d_name) < 0)
				abort();
			n++;
		}
		closedir(f);
	}
	closedir(d);
	qsort(v, n, sizeof(*v), cmp_str);
	*list = v;
	return n;
}

void wl_pcap_list_free(char **list, int n)
{
	for (int i = 0; i < n; i++)
		free(list[i]);
	free(list);
}

int wl_expected_load(const char *dir, struct wl_expected_row **rows)
{
	struct wl_expected_row *v = NULL;
	char path[4096], line[1024];
	int n = 0, cap = 0, lineno = 0;
	FILE *fp;

	snprintf(path, sizeof(path), "%s/EXPECTED.tsv", dir);
	fp = fopen(path, "r");
	if (!fp)
		return -1;
	while (fgets(line, sizeof(line), fp)) {
		char *f[5], *save = NULL, *tok = line;
		int nf = 0;

		line[strcspn(line, "\r\n")] = 0;
		if (lineno++ == 0 || !*line) /* header */
			continue;
		while (nf < 5 && (f[nf] = strtok_r(tok, "\t", &save))) {
			tok = NULL;
			nf++;
		}
		if (nf != 5) {
			fprintf(stderr, "%s:%d: expected 5 tab-separated fields\n", path, lineno);
			continue;
		}
		if (n == cap) {
			cap = cap ? cap * 2 : 512;
			v = realloc(v, cap * sizeof(*v));
			if (!v)
				abort();
		}
		snprintf(v[n].file, sizeof(v[n].file), "%s", f[0]);
		snprintf(v[n].protocol, sizeof(v[n].protocol), "%s", f[1]);
		snprintf(v[n].metric, sizeof(v[n].metric), "%s", f[2]);
		snprintf(v[n].key, sizeof(v[n].key), "%s", f[3]);
		v[n].value = strtoull(f[4], NULL, 10);
		n++;
	}
	fclose(fp);
	*rows = v;
	return n;
}
