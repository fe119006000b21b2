// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * bench_wirelens mem: the map memory wirelens holds at the defaults (what `wirelens attach`
 * loads: both main objects and every protocol object, default sizes), per map and in total, as
 * the kernel charges it (memlock in /proc/self/fdinfo/<map fd>). Maps shared between objects are
 * counted once (by map id). Per-CPU maps scale with the possible CPUs, so the total depends on
 * the machine: bench/run.sh also measures it in a 64-vCPU guest.
 * Rows for bench/results.json go to $WL_BENCH_ROWS (bench/report.sh).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "mem.h"
#include "wl_xdp.skel.h"
#include "wl_tc.skel.h"
#include "loader/l7cfg.h"
#include "loader/progs.h"

#define MAPS_MAX 256

struct map_mem {
	__u32 id, type, max_entries, key_size, value_size;
	char name[BPF_OBJ_NAME_LEN];
	unsigned long long memlock;
};

static unsigned long long fd_memlock(int fd)
{
	char path[64], line[256];
	unsigned long long v = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	f = fopen(path, "r");
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "memlock: %llu", &v) == 1)
			break;
	fclose(f);
	return v;
}

static void add_object(struct bpf_object *obj, struct map_mem *m, int *n)
{
	struct bpf_map *map;

	if (!obj)
		return;
	bpf_object__for_each_map(map, obj)
	{
		struct bpf_map_info info = {};
		__u32 len = sizeof(info);
		int fd = bpf_map__fd(map), i;

		if (fd < 0 || bpf_obj_get_info_by_fd(fd, &info, &len))
			continue;
		for (i = 0; i < *n && m[i].id != info.id; i++)
			;
		if (i < *n || *n == MAPS_MAX)
			continue;
		m[*n] = (struct map_mem){.id = info.id,
					 .type = info.type,
					 .max_entries = info.max_entries,
					 .key_size = info.key_size,
					 .value_size = info.value_size,
					 .memlock = fd_memlock(fd)};
		/* .rodata/.bss of each object: the kernel's name is the object's prefix */
		snprintf(m[*n].name, sizeof(m[*n].name), "%s", info.name);
		(*n)++;
	}
}

static int cmp_memlock(const void *a, const void *b)
{
	const struct map_mem *x = a, *y = b;

	return x->memlock < y->memlock ? 1 : x->memlock > y->memlock ? -1 : 0;
}

int bench_mem_main(void)
{
	static struct map_mem m[MAPS_MAX];
	struct wl_load_opts lo = {0}; /* the defaults of `wirelens attach` */
	unsigned long long total = 0, conn_bytes = 0, far_bytes = 0, open_bytes = 0, conns = 1;
	const char *rows = getenv("WL_BENCH_ROWS");
	FILE *out = rows ? fopen(rows, "a") : NULL;
	int ncpu = libbpf_num_possible_cpus(), n = 0;
	struct wl_progs p;

	wl_libbpf_quiet(false);
	if (wl_progs_load(&p, &lo) || wl_l7_config_init(&p))
		return 1;
	add_object(p.xdp->obj, m, &n);
	add_object(p.tc->obj, m, &n);
	for (int h = 0; h < WL_PROG_HOOKS; h++)
		for (int k = 0; k < WL_L7_PROTO_MAX; k++)
			add_object(p.l7_obj[h][k], m, &n);
	qsort(m, n, sizeof(m[0]), cmp_memlock);
	printf("\nMemory: map memory at the defaults (memlock per map, %d possible CPUs)\n", ncpu);
	printf("%-18s %-14s %9s %5s %6s %14s %10s\n", "map", "type", "entries", "key", "value",
	       "bytes", "B/entry");
	for (int i = 0; i < n; i++) {
		const char *t = libbpf_bpf_map_type_str(m[i].type);

		total += m[i].memlock;
		if (!strcmp(m[i].name, "wl_conns")) {
			conn_bytes = m[i].memlock;
			conns = m[i].max_entries ? m[i].max_entries : 1;
		}
		if (!strcmp(m[i].name, "wl_fifo_far"))
			far_bytes = m[i].memlock;
		if (!strcmp(m[i].name, "wl_l7_open"))
			open_bytes = m[i].memlock;
		if (m[i].memlock < 64 * 1024 && i >= 12)
			continue; /* the small ones are in the total */
		printf("%-18s %-14s %9u %5u %6u %14llu %10.0f\n", m[i].name, t ? t : "?",
		       m[i].max_entries, m[i].key_size, m[i].value_size, m[i].memlock,
		       (double)m[i].memlock / (m[i].max_entries ? m[i].max_entries : 1));
		if (out)
			fprintf(out, "memory\tmap %s\tB\t%llu\t0\n", m[i].name, m[i].memlock);
	}
	printf("%-18s %-14s %9s %5s %6s %14llu (%.1f MiB, %d maps)\n", "total", "", "", "", "",
	       total, total / 1048576.0, n);
	/* the far rings (queues deeper than WL_FIFO_NEAR) and the open messages' states are shared:
	 * their share per connection */
	printf("per tracked TCP connection: wl_conns %llu B; with the shares of wl_fifo_far (%llu) "
	       "and wl_l7_open (%llu): %llu B\n",
	       conn_bytes / conns, far_bytes / conns, open_bytes / conns,
	       (conn_bytes + far_bytes + open_bytes) / conns);
	if (out) {
		fprintf(out, "memory\ttotal map memory (%d CPUs)\tB\t%llu\t0\n", ncpu, total);
		fprintf(out, "memory\tper tracked TCP connection (wl_conns)\tB\t%llu\t0\n",
			conn_bytes / conns);
		fprintf(out,
			"memory\tper tracked TCP connection with shared tables (wl_conns, "
			"wl_fifo_far, wl_l7_open)\tB\t%llu\t0\n",
			(conn_bytes + far_bytes + open_bytes) / conns);
		fclose(out);
	}
	wl_progs_close(&p);
	return 0;
}
