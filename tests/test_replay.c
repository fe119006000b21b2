// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * `wirelens replay --json` against the same assertions as the in-process capture tests: every
 * test named "captures..." of the other suites (pcap: the L2-L4 rows of EXPECTED.tsv; each
 * protocol: its command rows, totals, errors and exceptions) runs once more with
 * wl_pcap_replay going through the CLI (wl_pcap_replay_via_cli). The CLI replays the capture in
 * its own process; its JSON (counters, flows, commands) is written into the harness' maps, which
 * the assertions read as they read a replay in this process. A field the JSON lacks or gets
 * wrong fails those assertions, and nothing here states an expectation of its own.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <json-c/json.h>
#include <CUnit/CUnit.h>

#include "harness.h"
#include "pcap_replay.h"
#include "suites.h"
#include "loader/l7cfg.h"
#include "loader/views.h"

extern char **environ;

/* ---- the CLI's JSON into the harness' maps ---- */

static json_object *field(json_object *o, const char *name)
{
	json_object *v = NULL;

	if (!json_object_object_get_ex(o, name, &v)) {
		fprintf(stderr, "\n  replay --json: no field '%s'", name);
		CU_FAIL("a field the assertions need is missing from replay --json");
	}
	return v;
}

static uint64_t u64_of(json_object *o, const char *name)
{
	return (uint64_t)json_object_get_uint64(field(o, name));
}

static uint8_t l4_number(const char *name)
{
	if (!strcmp(name, "tcp"))
		return 6;
	if (!strcmp(name, "udp"))
		return 17;
	if (!strcmp(name, "icmp"))
		return 1;
	if (!strcmp(name, "icmpv6"))
		return 58;
	return (uint8_t)atoi(name);
}

/* "198.18.0.2" or "2001:db8::2" into 16 bytes; returns the ethertype. */
static uint16_t addr_of(const char *text, uint8_t *addr)
{
	memset(addr, 0, 16);
	if (inet_pton(AF_INET, text, addr) == 1)
		return 0x0800;
	if (inet_pton(AF_INET6, text, addr) == 1)
		return 0x86DD;
	fprintf(stderr, "\n  replay --json: bad address '%s'", text);
	CU_FAIL("an address of replay --json does not parse");
	return 0;
}

/* "198.18.0.2:6379" or "[2001:db8::2]:6379" into a command key. */
static void server_of(const char *text, struct wl_cmd_key *k)
{
	char buf[80], *port;

	snprintf(buf, sizeof(buf), "%s", text);
	port = strrchr(buf, ':');
	CU_ASSERT_FATAL(port != NULL);
	*port++ = 0;
	k->server_port = atoi(port);
	if (buf[0] == '[') {
		buf[strlen(buf) - 1] = 0;
		k->l3_proto = addr_of(buf + 1, k->server_addr);
	} else {
		k->l3_proto = addr_of(buf, k->server_addr);
	}
}

static void load_counters(json_object *cj)
{
	int ncpu = libbpf_num_possible_cpus();
	struct wl_counters *per = calloc(ncpu, sizeof(*per));
	__u64 *v = (__u64 *)per;
	__u32 zero = 0;

	CU_ASSERT_FATAL(per != NULL);
	for (size_t i = 0; i < sizeof(*per) / sizeof(__u64); i++)
		v[i] = u64_of(cj, wl_counter_names[i]);
	CU_ASSERT_EQUAL(bpf_map_update_elem(wl_map_counters_fd(harness()), &zero, per, BPF_ANY), 0);
	free(per);
}

static void load_flows(json_object *arr)
{
	int fd = wl_map_flows_fd(harness());

	for (size_t i = 0; i < json_object_array_length(arr); i++) {
		json_object *o = json_object_array_get_idx(arr, i);
		struct wl_flow_key k;
		struct wl_flow_stats s;

		memset(&k, 0, sizeof(k));
		memset(&s, 0, sizeof(s));
		k.ifindex = u64_of(o, "ifindex");
		k.vlan_outer = u64_of(o, "vlan");
		k.vlan_inner = u64_of(o, "vlan_inner");
		k.l4_proto = l4_number(json_object_get_string(field(o, "proto")));
		k.l3_proto = addr_of(json_object_get_string(field(o, "src")), k.src_addr);
		addr_of(json_object_get_string(field(o, "dst")), k.dst_addr);
		k.src_port = u64_of(o, "sport");
		k.dst_port = u64_of(o, "dport");
		s.packets = u64_of(o, "packets");
		s.bytes = u64_of(o, "bytes");
		s.tcp_syn = u64_of(o, "tcp_syn");
		s.tcp_fin = u64_of(o, "tcp_fin");
		s.tcp_rst = u64_of(o, "tcp_rst");
		s.fragments = u64_of(o, "fragments");
		CU_ASSERT_EQUAL(bpf_map_update_elem(fd, &k, &s, BPF_NOEXIST), 0);
	}
}

static void load_commands(json_object *arr)
{
	int ncpu = libbpf_num_possible_cpus(), fd = wl_map_cmd_stats_fd(harness());
	struct wl_cmd_stats *per = calloc(ncpu, sizeof(*per));

	CU_ASSERT_FATAL(per != NULL);
	for (size_t i = 0; i < json_object_array_length(arr); i++) {
		json_object *o = json_object_array_get_idx(arr, i);
		const char *cmd = json_object_get_string(field(o, "command"));
		struct wl_cmd_key k;

		memset(&k, 0, sizeof(k));
		memset(per, 0, ncpu * sizeof(*per));
		k.l7_proto = wl_l7_proto_by_name(json_object_get_string(field(o, "protocol")));
		server_of(json_object_get_string(field(o, "server")), &k);
		CU_ASSERT(cmd && strlen(cmd) < WL_CMD_LEN);
		strncpy(k.command, cmd ? cmd : "", WL_CMD_LEN - 1);
		per[0].requests = u64_of(o, "requests");
		per[0].responses = u64_of(o, "responses");
		per[0].errors = u64_of(o, "errors");
		per[0].misses = u64_of(o, "misses");
		per[0].request_bytes = u64_of(o, "request_bytes");
		per[0].response_bytes = u64_of(o, "response_bytes");
		CU_ASSERT_EQUAL(bpf_map_update_elem(fd, &k, per, BPF_NOEXIST), 0);
	}
	free(per);
}

static void load_file_stats(json_object *f, struct wl_replay_stats *st)
{
	memset(st, 0, sizeof(*st));
	snprintf(st->linktype, sizeof(st->linktype), "%s",
		 json_object_get_string(field(f, "link_type")));
	st->frames = u64_of(f, "frames");
	st->run = u64_of(f, "run");
	st->rewritten = u64_of(f, "rewritten");
	st->unsupported = u64_of(f, "unsupported");
	st->run_errors = u64_of(f, "run_errors");
	st->max_len = u64_of(f, "max_len");
	st->too_big = u64_of(f, "too_big");
	st->too_big_ipv4 = u64_of(f, "too_big_ipv4");
	st->too_big_ipv6 = u64_of(f, "too_big_ipv6");
	st->too_big_frag_v4 = u64_of(f, "too_big_frag_v4");
	st->too_big_frag_v6 = u64_of(f, "too_big_frag_v6");
	st->too_big_vlan = u64_of(f, "too_big_vlan");
	st->too_big_qinq = u64_of(f, "too_big_qinq");
}

/* ---- running the CLI ---- */

#define ARGS_MAX 64

/* The server ports set in the harness (defaults and what the test added), as --port options:
 * what a user replaying that capture would have to say. Learned ports are the programs' own. */
static int port_args(char **argv, int n, char bufs[][1024])
{
	int fd = wl_map_ports_fd(harness()), nb = 0;

	for (unsigned int proto = 1; proto < WL_L7_PROTO_MAX; proto++) {
		char *b = bufs[nb];
		size_t len;

		snprintf(b, 1024, "%s=", wl_l7_proto_name(proto));
		len = strlen(b);
		for (__u32 port = 1; port < 65536; port++) {
			__u8 v = 0;

			if (bpf_map_lookup_elem(fd, &port, &v) || v != proto)
				continue; /* WL_PORT_LEARNED set: not this protocol's configured
					     port */
			len += snprintf(b + len, 1024 - len, "%s%u", b[len - 1] == '=' ? "" : ",",
					port);
		}
		if (b[len - 1] == '=' || n + 2 >= ARGS_MAX)
			continue;
		argv[n++] = "--port";
		argv[n++] = b;
		nb++;
	}
	return n;
}

/* Starts argv with its stdout into a temporary file (*out). Returns the pid, or -1. */
static pid_t spawn_to_file(char **argv, FILE **out)
{
	posix_spawn_file_actions_t fa;
	pid_t pid;

	*out = tmpfile();
	if (!*out)
		return -1;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, fileno(*out), 1);
	if (posix_spawn(&pid, argv[0], &fa, NULL, argv, environ)) {
		fprintf(stderr, "\n  cannot run %s: %s", argv[0], strerror(errno));
		pid = -1;
	}
	posix_spawn_file_actions_destroy(&fa);
	return pid;
}

/* Waits for pid; its stdout (malloc'ed) when it exited 0, NULL after a message otherwise. */
static char *collect(pid_t pid, FILE *out, const char *what)
{
	char *text = NULL;
	long len;
	int status;

	if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
	    WEXITSTATUS(status)) {
		fprintf(stderr, "\n  wirelens replay of %s: failed", what);
		fclose(out);
		return NULL;
	}
	if (!fseek(out, 0, SEEK_END) && (len = ftell(out)) >= 0 && !fseek(out, 0, SEEK_SET) &&
	    (text = malloc(len + 1)) && fread(text, 1, len, out) == (size_t)len)
		text[len] = 0;
	else {
		free(text);
		text = NULL;
	}
	fclose(out);
	return text;
}

/*
 * Replays already made: `replay --each` replays several files in one process, each from empty
 * maps as if alone, which saves loading the programs once per capture. The first replay through
 * the CLI replays every shared capture through both hooks with the default ports this way; a
 * test that sets other ports (a capture on a non-default port) gets a replay of its own, made
 * for both hooks at once (the test asks for the other hook later). Processes run side by side:
 * loading the programs (the verifier) is most of their time.
 */
struct cached {
	char key[2048]; /* hook, port options, path */
	json_object *doc;
};
static struct cached *cache;
static int ncache;

static void cache_key(char *key, size_t len, char **argv, int n)
{
	size_t off = 0;

	key[0] = 0;
	for (int i = 0; i < n && off < len; i++)
		off += snprintf(key + off, len - off, "%s ", argv[i]);
}

/* Runs the count command lines argvs[k] side by side (each with its files at [files, n)) and
 * caches one document per file of each. */
static int run_and_cache(char ***argvs, int count, int files, int n)
{
	const char *what = n - files == 1 ? argvs[0][files] : "the shared captures";
	FILE *outs[HOOK_COUNT];
	pid_t pids[HOOK_COUNT];
	int err = 0;

	CU_ASSERT_FATAL(count <= HOOK_COUNT);
	for (int k = 0; k < count; k++)
		pids[k] = spawn_to_file(argvs[k], &outs[k]);
	for (int k = 0; k < count; k++) {
		char **argv = argvs[k], *text = outs[k] ? collect(pids[k], outs[k], what) : NULL;
		json_object *docs = text ? json_tokener_parse(text) : NULL;

		free(text);
		if (!docs || !json_object_is_type(docs, json_type_array) ||
		    (int)json_object_array_length(docs) != n - files) {
			fprintf(stderr, "\n  replay --each --json of %s: not one document per file",
				what);
			json_object_put(docs);
			err = -1;
			continue;
		}
		cache = realloc(cache, (ncache + n - files) * sizeof(*cache));
		CU_ASSERT_FATAL(cache != NULL);
		for (int i = files; i < n; i++) {
			cache_key(cache[ncache].key, sizeof(cache[0].key), argv, files);
			snprintf(cache[ncache].key + strlen(cache[ncache].key),
				 sizeof(cache[0].key) - strlen(cache[ncache].key), "%s", argv[i]);
			cache[ncache].doc =
				json_object_get(json_object_array_get_idx(docs, i - files));
			ncache++;
		}
		json_object_put(docs);
	}
	return err;
}

/* The options of a replay through hook with the ports of the harness' map, into argv (the port
 * options' text in bufs). */
static int replay_args(const char *bin, enum wl_hook hook, char **argv, char bufs[][1024])
{
	int n = 0;

	argv[n++] = (char *)bin;
	argv[n++] = "replay";
	argv[n++] = "--json";
	argv[n++] = "--each";
	argv[n++] = "--hook";
	argv[n++] = (char *)hook_names[hook];
	return port_args(argv, n, bufs);
}

static char port_bufs[HOOK_COUNT][WL_L7_PROTO_MAX][1024];

static void prefetch(const char *bin)
{
	static int done;
	char **files = NULL, **argvs[HOOK_COUNT];
	int nfiles, n = 0, first = 0;

	if (done++)
		return;
	nfiles = wl_pcap_list(wl_pcap_dir(), &files);
	if (nfiles <= 0)
		return;
	harness_reset(); /* the default ports */
	FOR_EACH_HOOK(h) {
		argvs[h] = calloc(ARGS_MAX + nfiles + 1, sizeof(char *));
		CU_ASSERT_FATAL(argvs[h] != NULL);
		n = first = replay_args(bin, h, argvs[h], port_bufs[h]);
		for (int f = 0; f < nfiles; f++)
			if (asprintf(&argvs[h][n++], "%s/%s", wl_pcap_dir(), files[f]) < 0)
				abort();
		argvs[h][n] = NULL;
	}
	CU_ASSERT_EQUAL(run_and_cache(argvs, HOOK_COUNT, first, n), 0);
	FOR_EACH_HOOK(h) {
		for (int i = first; i < n; i++)
			free(argvs[h][i]);
		free(argvs[h]);
	}
	wl_pcap_list_free(files, nfiles);
}

int wl_replay_cli(const char *bin, const char *path, enum wl_hook hook, struct wl_replay_stats *out)
{
	char *argv[HOOK_COUNT][ARGS_MAX + 2], **argvs[HOOK_COUNT], key[2048];
	json_object *root = NULL, *files, *v;
	int n = 0;

	FOR_EACH_HOOK(h) {
		/* this hook first, the other one for later */
		n = replay_args(bin, h ? !hook : hook, argv[h], port_bufs[h]);
		argv[h][n] = (char *)path;
		argv[h][n + 1] = NULL;
		argvs[h] = argv[h];
	}
	cache_key(key, sizeof(key), argv[0], n);
	snprintf(key + strlen(key), sizeof(key) - strlen(key), "%s", path);
	for (int pass = 0; pass < 2 && !root; pass++) {
		for (int i = 0; i < ncache && !root; i++)
			if (!strcmp(cache[i].key, key))
				root = cache[i].doc;
		if (!root && !pass && run_and_cache(argvs, HOOK_COUNT, n, n + 1))
			return -1;
	}
	if (!root || !json_object_object_get_ex(root, "files", &files) ||
	    json_object_array_length(files) != 1) {
		fprintf(stderr, "\n  replay --json of %s: not the document README describes", path);
		return -1;
	}
	load_file_stats(json_object_array_get_idx(files, 0), out);
	/* what the CLI counted replaces whatever the harness' maps hold */
	wl_map_clear(wl_map_flows_fd(harness()));
	wl_map_clear(wl_map_counters_fd(harness()));
	wl_map_clear(wl_progs_map_fd(harness(), "wl_cmd_cache"));
	wl_map_clear(wl_map_cmd_stats_fd(harness()));
	v = field(root, "counters");
	if (v)
		load_counters(v);
	v = field(root, "flows");
	if (v)
		load_flows(v);
	v = field(root, "commands");
	if (v)
		load_commands(v);
	return 0;
}

/* ---- the suite ---- */

#define TARGETS_MAX 32

static struct target {
	char name[160];
	CU_TestFunc fn;
} targets[TARGETS_MAX];
static int ntargets;

static const char *cli_bin(void)
{
	static char bin[PATH_MAX + 16];
	const char *env = getenv("WL_BIN");
	char self[PATH_MAX];
	ssize_t n;

	if (env && *env)
		return env;
	/* beside the test binary: both are in the build directory */
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n <= 0)
		return "wirelens";
	self[n] = 0;
	*strrchr(self, '/') = 0;
	snprintf(bin, sizeof(bin), "%s/wirelens", self);
	return bin;
}

static void through_cli(void)
{
	CU_pTest t = CU_get_current_test();
	const char *bin = cli_bin();

	for (int i = 0; i < ntargets; i++) {
		if (strcmp(targets[i].name, t->pName))
			continue;
		if (access(bin, X_OK)) {
			fprintf(stderr, "\n  no CLI at %s (WL_BIN)", bin);
			CU_FAIL_FATAL("the wirelens binary is missing");
		}
		prefetch(bin);
		wl_pcap_replay_via_cli(bin);
		targets[i].fn();
		wl_pcap_replay_via_cli(NULL);
		return;
	}
	CU_FAIL("no such capture test");
}

void register_replay_tests(void)
{
	CU_pSuite s = wl_add_suite("replay");

	for (CU_pSuite o = CU_get_registry()->pSuite; o; o = o->pNext) {
		if (o == s)
			continue;
		for (CU_pTest t = o->pTest; t; t = t->pNext) {
			if (strncmp(t->pName, "captures", 8) || ntargets >= TARGETS_MAX)
				continue;
			snprintf(targets[ntargets].name, sizeof(targets[0].name),
				 "%s %s, through wirelens replay --json", o->pName, t->pName);
			targets[ntargets].fn = t->pTestFunc;
			CU_add_test(s, targets[ntargets].name, through_cli);
			ntargets++;
		}
	}
}
