// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* verify_progs: loads every BPF program of wirelens on its own (the others not loaded, maps created
 * privately, nothing pinned or attached) and prints what the running kernel's verifier says: the
 * verified instructions (bpf_prog_info.verified_insns; bpftool 7.1 does not print them) or why it
 * refused the program.
 *
 *   verify_progs [--limit N] [--table] [--kernel NAME] [-j N] [--prog NAME]... [--log]
 *                [--stats] [--small-maps] [OBJ.bpf.o...]
 *
 * Without objects it checks the ELF embedded in the skeletons it was built with (wl_xdp, wl_tc):
 * exactly what the loader loads. Exit status 0 when every program loads with at most N verified
 * instructions (default 500000), 1 when one is refused or above N (each named on stderr), 2 on a
 * usage or setup error.
 *   --table      rows "KERNEL<TAB>HOOK<TAB>PROGRAM<TAB>INSNS|refused: REASON" (no header), for
 *                a program x kernel table built from several kernels' rows
 *   --kernel     the KERNEL column (default: uname -r)
 *   -j N         N programs verified at a time (one process each; default 1)
 *   --prog NAME  only this program (repeatable)
 *   --log        on refusal, print the tail of the full verifier log (log level 1; kernels before
 *                6.4 refuse with ENOSPC when the log does not fit: to debug, not to count)
 *   --stats      under each row, the verifier's statistics line (states: where a kernel's cost
 *                grows, total_states and peak_states tell a state explosion from a longer walk)
 *   --small-maps hash maps created with at most 1024 entries (the verifier does not look at a
 *                hash map's size; saves allocating 64k-entry LRU maps for every program)
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "wl_xdp.skel.h"
#include "wl_tc.skel.h"

#define MAX_PROGS 256
#define LOG_SIZE  (16u << 20)

struct source {
	const char *hook; /* "xdp", "tc", or the file's name without wl_ and .bpf.o */
	const char *path; /* NULL: embedded */
	const void *data;
	size_t size;
};

struct result {
	int err;		/* 0 or -errno from bpf_object__load */
	unsigned int insns;	/* verified_insns (loaded) */
	unsigned int processed; /* "processed N insns" from the log (also when refused) */
	double secs;
	char reason[240];
	char stats[240]; /* the log's "processed N insns ... peak_states ..." line */
};

struct job {
	const struct source *src;
	char name[64];
	struct result res;
	pid_t pid;
	int fd;
};

static char libbpf_msgs[8192]; /* libbpf's warnings of the current load (a child's own copy) */
static int full_log, small_maps;

static int collect(enum libbpf_print_level level, const char *fmt, va_list args)
{
	size_t len = strlen(libbpf_msgs);

	if (level == LIBBPF_DEBUG || len + 1 >= sizeof(libbpf_msgs))
		return 0;
	return vsnprintf(libbpf_msgs + len, sizeof(libbpf_msgs) - len, fmt, args);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static struct bpf_object *open_src(const struct source *s)
{
	if (s->path)
		return bpf_object__open_file(s->path, NULL);
	/* the skeleton's object name, so map and program names match the loader's */
	LIBBPF_OPTS(bpf_object_open_opts, o, .object_name = s->hook[0] == 'x' ? "wl_xdp" : "wl_tc");
	return bpf_object__open_mem(s->data, s->size, &o);
}

/* The last line of TEXT that says something: not empty, not the verifier's closing statistics. */
static void last_line(const char *text, char *out, size_t size)
{
	const char *end = text + strlen(text);

	while (end > text) {
		const char *start = end, *nl;
		size_t n;

		while (start > text && start[-1] != '\n')
			start--;
		nl = end;
		end = start > text ? start - 1 : text;
		n = (size_t)(nl - start);
		while (n && (start[n - 1] == '\n' || start[n - 1] == ' ' || start[n - 1] == '\r'))
			n--;
		if (!n || !strncmp(start, "processed ", 10) ||
		    !strncmp(start, "verification time", 17) ||
		    !strncmp(start, "stack depth", 11) || !strncmp(start, "-- ", 3))
			continue;
		if (n >= size)
			n = size - 1;
		memcpy(out, start, n);
		out[n] = 0;
		for (char *c = out; *c; c++)
			if (*c == '\t' || *c == '\n')
				*c = ' ';
		return;
	}
	out[0] = 0;
}

/* Loads one program (in a child process); the result goes to fd. */
static void verify_one(const struct source *s, const char *name, int fd)
{
	static char log[LOG_SIZE];
	struct result r = {0};
	struct bpf_object *obj;
	struct bpf_program *p, *me = NULL;
	double t0 = now();
	char *st;

	libbpf_msgs[0] = 0;
	obj = open_src(s);
	if (!obj) {
		r.err = -errno;
		last_line(libbpf_msgs, r.reason, sizeof(r.reason));
		goto out;
	}
	bpf_object__for_each_program(p, obj)
	{
		int mine = !strcmp(bpf_program__name(p), name);

		bpf_program__set_autoload(p, mine);
		if (mine)
			me = p;
	}
	if (small_maps) {
		struct bpf_map *m;

		/* the verifier does not look at a hash map's size; arrays keep theirs (a constant
		 * key below max_entries is a non-NULL lookup on newer kernels) */
		bpf_object__for_each_map(m, obj)
		{
			enum bpf_map_type t = bpf_map__type(m);

			if ((t == BPF_MAP_TYPE_HASH || t == BPF_MAP_TYPE_LRU_HASH ||
			     t == BPF_MAP_TYPE_PERCPU_HASH || t == BPF_MAP_TYPE_LRU_PERCPU_HASH) &&
			    bpf_map__max_entries(m) > 1024)
				bpf_map__set_max_entries(m, 1024);
		}
	}
	if (!me) {
		r.err = -ENOENT;
		snprintf(r.reason, sizeof(r.reason), "no program %s in the object", name);
		goto out;
	}
	/* Level 4 (statistics) also carries the verifier's error lines and keeps the log small, so
	 * libbpf does not load again at level 1 after a refusal (that would double the time). */
	bpf_program__set_log_level(me, full_log ? 1 | 4 : 4);
	bpf_program__set_log_buf(me, log, full_log ? LOG_SIZE : 1 << 20);
	log[0] = 0;
	r.err = bpf_object__load(obj);
	st = strstr(log, "processed ");
	if (st) {
		sscanf(st, "processed %u insns", &r.processed);
		snprintf(r.stats, sizeof(r.stats), "%.*s", (int)strcspn(st, "\n"), st);
	}
	if (!r.err) {
		struct bpf_prog_info info = {0};
		__u32 len = sizeof(info);

		if (bpf_obj_get_info_by_fd(bpf_program__fd(me), &info, &len)) {
			r.err = -errno;
			snprintf(r.reason, sizeof(r.reason), "bpf_obj_get_info_by_fd: %s",
				 strerror(errno));
		} else {
			r.insns = info.verified_insns;
			if (!r.insns) /* a kernel without verified_insns (< 5.16) */
				r.insns = r.processed;
		}
	} else {
		last_line(log, r.reason, sizeof(r.reason));
		if (!r.reason[0]) /* not the verifier: map creation, BTF, relocations */
			last_line(libbpf_msgs, r.reason, sizeof(r.reason));
		if (!r.reason[0])
			snprintf(r.reason, sizeof(r.reason), "%s", strerror(-r.err));
		if (full_log) {
			size_t n = strlen(log);

			printf("---- %s/%s: verifier log (tail) ----\n%s---- end of %s/%s ----\n",
			       s->hook, name, log + (n > 6000 ? n - 6000 : 0), s->hook, name);
			fflush(stdout);
		}
	}
	bpf_object__close(obj);
out:
	r.secs = now() - t0;
	if (write(fd, &r, sizeof(r)) != sizeof(r))
		_exit(3);
}

static int start(struct job *j)
{
	int pfd[2];

	if (pipe(pfd))
		return -errno;
	fflush(stdout);
	j->pid = fork();
	if (j->pid < 0)
		return -errno;
	if (!j->pid) {
		close(pfd[0]);
		verify_one(j->src, j->name, pfd[1]);
		_exit(0);
	}
	close(pfd[1]);
	j->fd = pfd[0];
	return 0;
}

/* Collects one finished child: its result was written before it exited. */
static void finish(struct job *jobs, int njobs)
{
	int status;
	pid_t pid = wait(&status);
	struct job *j = NULL;
	ssize_t n;

	for (int i = 0; i < njobs && pid > 0; i++)
		if (jobs[i].pid == pid)
			j = &jobs[i];
	if (!j) {
		perror("verify_progs: wait");
		exit(2);
	}
	n = read(j->fd, &j->res, sizeof(j->res));
	close(j->fd);
	if (n != sizeof(j->res)) {
		memset(&j->res, 0, sizeof(j->res));
		j->res.err = -EIO;
		snprintf(j->res.reason, sizeof(j->res.reason), "checker process died (status %#x)",
			 status);
	}
	j->pid = -1; /* done */
}

static const char *with_commas(unsigned int v, char *buf)
{
	if (v >= 1000000)
		sprintf(buf, "%u,%03u,%03u", v / 1000000, v / 1000 % 1000, v % 1000);
	else if (v >= 1000)
		sprintf(buf, "%u,%03u", v / 1000, v % 1000);
	else
		sprintf(buf, "%u", v);
	return buf;
}

static void usage(const char *me)
{
	fprintf(stderr,
		"usage: %s [--limit N] [--table] [--kernel NAME] [-j N] [--prog NAME]... [--log] "
		"[--stats] [--small-maps] [OBJ.bpf.o...]\n",
		me);
	exit(2);
}

int main(int argc, char **argv)
{
	static struct source srcs[16];
	static struct job jobs[MAX_PROGS];
	const char *only[32], *kernel = NULL;
	int nsrc = 0, njobs = 0, nonly = 0, table = 0, stats = 0, par = 1, bad = 0;
	unsigned long limit = 500000;
	struct utsname uts;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (!strcmp(a, "--table"))
			table = 1;
		else if (!strcmp(a, "--small-maps"))
			small_maps = 1;
		else if (!strcmp(a, "--log"))
			full_log = 1;
		else if (!strcmp(a, "--stats"))
			stats = 1;
		else if ((!strcmp(a, "--limit") || !strcmp(a, "-l")) && i + 1 < argc)
			limit = strtoul(argv[++i], NULL, 10);
		else if (!strcmp(a, "--kernel") && i + 1 < argc)
			kernel = argv[++i];
		else if (!strcmp(a, "-j") && i + 1 < argc)
			par = atoi(argv[++i]);
		else if (!strncmp(a, "-j", 2) && a[2])
			par = atoi(a + 2);
		else if (!strcmp(a, "--prog") && i + 1 < argc && nonly < 32)
			only[nonly++] = argv[++i];
		else if (a[0] == '-')
			usage(argv[0]);
		else if (nsrc < 16) {
			const char *b = strrchr(a, '/') ? strrchr(a, '/') + 1 : a;
			char *h = strdup(!strncmp(b, "wl_", 3) ? b + 3 : b),
			     *dot = strstr(h, ".bpf.o");

			if (dot)
				*dot = 0;
			srcs[nsrc++] = (struct source){.hook = h, .path = a};
		}
	}
	if (par < 1)
		par = 1;
	if (!nsrc) {
		srcs[nsrc].hook = "xdp";
		srcs[nsrc].data = wl_xdp__elf_bytes(&srcs[nsrc].size);
		nsrc++;
		srcs[nsrc].hook = "tc";
		srcs[nsrc].data = wl_tc__elf_bytes(&srcs[nsrc].size);
		nsrc++;
	}
	if (!kernel)
		kernel = uname(&uts) ? "unknown" : uts.release;
	libbpf_set_print(collect);

	/* the programs of each object, in the object's order */
	for (int s = 0; s < nsrc; s++) {
		struct bpf_object *obj;
		struct bpf_program *p;

		libbpf_msgs[0] = 0;
		obj = open_src(&srcs[s]);
		if (!obj) {
			fprintf(stderr, "verify_progs: cannot open %s: %s %s\n",
				srcs[s].path ? srcs[s].path : srcs[s].hook, strerror(errno),
				libbpf_msgs);
			return 2;
		}
		bpf_object__for_each_program(p, obj)
		{
			const char *name = bpf_program__name(p);
			int want = !nonly;

			for (int k = 0; k < nonly; k++)
				want |= !strcmp(only[k], name);
			if (!want || njobs == MAX_PROGS)
				continue;
			jobs[njobs].src = &srcs[s];
			snprintf(jobs[njobs].name, sizeof(jobs[njobs].name), "%s", name);
			njobs++;
		}
		bpf_object__close(obj);
	}
	if (!njobs) {
		fprintf(stderr, "verify_progs: no program to check\n");
		return 2;
	}

	/* at most `par` children at a time; rows printed in the objects' order */
	if (!table) {
		printf("kernel %s, limit %lu verified instructions\n", kernel, limit);
		printf("%-4s %-22s %12s %8s  %s\n", "hook", "program", "insns", "time", "verdict");
		fflush(stdout);
	}
	for (int next = 0, shown = 0, running = 0; shown < njobs;) {
		while (running < par && next < njobs) {
			if (start(&jobs[next])) {
				perror("verify_progs: fork");
				return 2;
			}
			next++, running++;
		}
		finish(jobs, next);
		running--;
		for (; shown < njobs && jobs[shown].pid == -1; shown++) {
			struct job *j = &jobs[shown];
			struct result *r = &j->res;
			char n1[32];

			if (r->err || r->insns > limit)
				bad++;
			if (table && r->err)
				printf("%s\t%s\t%s\trefused: %s\n", kernel, j->src->hook, j->name,
				       r->reason);
			else if (table)
				printf("%s\t%s\t%s\t%u\n", kernel, j->src->hook, j->name, r->insns);
			else if (r->err)
				printf("%-4s %-22s %12s %7.1fs  REFUSED (%s): %s\n", j->src->hook,
				       j->name, r->processed ? with_commas(r->processed, n1) : "-",
				       r->secs, strerror(-r->err), r->reason);
			else
				printf("%-4s %-22s %12s %7.1fs  %s\n", j->src->hook, j->name,
				       with_commas(r->insns, n1), r->secs,
				       r->insns > limit ? "ABOVE LIMIT" : "ok");
			if (stats && !table && r->stats[0])
				printf("     %s\n", r->stats);
			fflush(stdout);
		}
	}
	for (int i = 0; i < njobs; i++) {
		struct result *r = &jobs[i].res;
		char n1[32];

		if (r->err)
			fprintf(stderr, "verify_progs: %s: %s/%s refused (%s): %s\n", kernel,
				jobs[i].src->hook, jobs[i].name, strerror(-r->err), r->reason);
		else if (r->insns > limit)
			fprintf(stderr, "verify_progs: %s: %s/%s above the limit: %s > %lu\n",
				kernel, jobs[i].src->hook, jobs[i].name, with_commas(r->insns, n1),
				limit);
	}
	if (!table || bad)
		fprintf(table ? stderr : stdout, "verify_progs: %s: %d program(s), %d failed\n",
			kernel, njobs, bad);
	return bad ? 1 : 0;
}
