// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * `wirelens rule ...`: every change reads the active set, changes it in memory and writes it
 * whole as the next generation (ruleset.c), under the pin-dir lock; a refused change leaves the
 * active set as it was.
 */
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <json-c/json.h>

#include "verbs.h"
#include "attach.h"
#include "blocked.h"
#include "params.h"
#include "progs.h"
#include "rules.h"
#include "ruleset.h"

#define RULE_LINE_MAX 4096
#define RULE_ARGS_MAX 64

static const struct wl_verb_params rule_del_params = {
	.verb = "rule del",
	.synopsis = "ID",
	.summary = "remove a rule (its id from rule add or rule list)",
};

static const struct wl_verb_params rule_list_params = {
	.verb = "rule list",
	.summary = "the active rules, best first, with their packets, bytes and (L7) connections",
	.params = WL_PARAMS({"json", 'j', NULL, "JSON output", WL_FLAG(struct wl_json_opts, json)}),
};

static const struct wl_verb_params rule_policy_params = {
	.verb = "rule policy",
	.synopsis = "allow|deny",
	.summary = "the verdict for IP packets no rule decides (default allow); non-IP packets\n"
		   "  (ARP, ...) always pass",
};

static const struct wl_verb_params rule_load_params = {
	.verb = "rule load",
	.synopsis = "FILE",
	.summary =
		"replace every rule at once: one `rule add` argument list per line, # comments;\n"
		"  a bad line is an error naming it and nothing changes",
};

static const struct wl_verb_params rule_flush_params = {
	.verb = "rule flush",
	.summary = "remove every rule (the policy stays)",
};

static const struct wl_verb_params *const rule_subs[] = {
	&wl_rule_add_params,
	&rule_del_params,
	&rule_list_params,
	&rule_policy_params,
	&rule_load_params,
	&rule_flush_params,
	NULL,
};

const struct wl_verb_params wl_rule_params = {
	.verb = "rule",
	.synopsis = "add|del|list|policy|load|flush ...",
	.summary = "filter rules: L3/L4 (prefixes, protocol, port ranges, VLAN, interface,\n"
		   "  direction) and L7 (commands), enforced in XDP and TC",
	.subs = rule_subs,
};

/* Under the lock: what a rule command killed half-way left (ruleset.h). */
static void rules_repair(const struct wl_filter_fds *f)
{
	int err = wl_ruleset_repair(f);

	if (err)
		fprintf(stderr, "wirelens: warning: cannot clear the inactive rule set: %s\n",
			strerror(-err));
}

/* Opens the filter maps and takes the lock (lock NULL: neither lock nor repair). The maps
 * count as pinned while wl_counters is (a detach killed while unpinning leaves others). */
static int rules_open(struct wl_filter_fds *f, int *lock)
{
	if (wl_check_env(false))
		return 1;
	if (!wl_maps_pinned() || wl_filter_fds_open(f)) {
		wl_explain_no_pins();
		return 1;
	}
	if (lock) {
		*lock = wl_lock();
		if (*lock < 0) {
			wl_filter_fds_close(f);
			return 1;
		}
		rules_repair(f);
	}
	return 0;
}

static void rules_close(struct wl_filter_fds *f, int lock)
{
	if (lock >= 0)
		close(lock);
	wl_filter_fds_close(f);
}

static int no_args(const struct wl_verb_params *v, int argc, char **argv, int *first)
{
	int err = wl_params_parse(v, argc, argv, NULL, first);

	if (err)
		return err == WL_PARAMS_HELP ? -1 : err;
	return 0;
}

static int cmd_add(int argc, char **argv)
{
	struct wl_rule_ent *e = calloc(1, sizeof(*e));
	struct wl_filter_fds f;
	struct wl_ruleset s;
	int lock, err, id;

	if (!e)
		return 1;
	/* parse (names of L7 commands come from the maps) before taking the lock */
	if (rules_open(&f, NULL)) {
		/* --help works without pins */
		for (int i = 1; i < argc; i++)
			if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
				wl_params_usage(&wl_rule_add_params, stdout);
				free(e);
				return 0;
			}
		free(e);
		return 1;
	}
	err = wl_rule_parse(&f, argc, argv, e, NULL);
	if (err) {
		wl_filter_fds_close(&f);
		free(e);
		return err == WL_PARAMS_HELP ? 0 : 2;
	}
	lock = wl_lock();
	if (lock < 0) {
		wl_filter_fds_close(&f);
		free(e);
		return 1;
	}
	rules_repair(&f);
	err = wl_ruleset_read(&f, &s);
	if (err) {
		fprintf(stderr, "wirelens: cannot read the rules: %s\n", strerror(-err));
		goto out;
	}
	if (s.n >= WL_RULES_MAX) {
		fprintf(stderr, "wirelens: rule add: too many rules (at most %d)\n", WL_RULES_MAX);
		err = -E2BIG;
		goto out;
	}
	id = wl_ruleset_add(&s, e);
	err = id < 0 ? id : wl_ruleset_write(&f, &s);
	if (!err)
		printf("%d\n", id);
out:
	wl_ruleset_free(&s);
	rules_close(&f, lock);
	free(e);
	return err ? 1 : 0;
}

/* A change of the active set: 0, or -errno after one line on stderr (nothing is written). */
typedef int (*rules_change_fn)(struct wl_ruleset *s, unsigned long arg);

/* Reads the active set under the lock, changes it and writes it whole: 0, or 1 after one line. */
static int rules_change(rules_change_fn change, unsigned long arg)
{
	struct wl_filter_fds f;
	struct wl_ruleset s;
	int lock, err;

	if (rules_open(&f, &lock))
		return 1;
	err = wl_ruleset_read(&f, &s);
	if (err)
		fprintf(stderr, "wirelens: cannot read the rules: %s\n", strerror(-err));
	else
		err = change(&s, arg);
	if (!err)
		err = wl_ruleset_write(&f, &s);
	wl_ruleset_free(&s);
	rules_close(&f, lock);
	return err ? 1 : 0;
}

static int rule_del(struct wl_ruleset *s, unsigned long id)
{
	size_t i;

	for (i = 0; i < s->n && s->rules[i].r.id != id; i++)
		;
	if (i == s->n) {
		fprintf(stderr, "wirelens: rule del: no rule %lu\n", id);
		return -ENOENT;
	}
	memmove(&s->rules[i], &s->rules[i + 1], (s->n - i - 1) * sizeof(s->rules[0]));
	s->n--;
	return 0;
}

static int cmd_del(int argc, char **argv)
{
	unsigned long long id;
	int first, err;

	err = no_args(&rule_del_params, argc, argv, &first);
	if (err)
		return err < 0 ? 0 : err;
	if (argc - first != 1) {
		fprintf(stderr,
			"wirelens: rule del needs one rule id (wirelens rule del --help)\n");
		return 2;
	}
	if (wl_params_number(argv[first], 1, UINT32_MAX, &id)) {
		fprintf(stderr, "wirelens: rule del: '%s' is not a rule id\n", argv[first]);
		return 2;
	}
	return rules_change(rule_del, id);
}

static int rule_policy(struct wl_ruleset *s, unsigned long policy)
{
	s->policy = policy;
	return 0;
}

static int cmd_policy(int argc, char **argv)
{
	int first, err = no_args(&rule_policy_params, argc, argv, &first);

	if (err)
		return err < 0 ? 0 : err;
	if (argc - first != 1 || (strcmp(argv[first], "allow") && strcmp(argv[first], "deny"))) {
		fprintf(stderr, "wirelens: rule policy takes allow or deny\n");
		return 2;
	}
	return rules_change(rule_policy, !strcmp(argv[first], "deny") ? WL_ACT_DENY : WL_ACT_ALLOW);
}

static int rule_flush(struct wl_ruleset *s, unsigned long unused)
{
	(void)unused;
	s->n = 0;
	return 0;
}

static int cmd_flush(int argc, char **argv)
{
	int err = wl_params_parse_no_args_as(&rule_flush_params, argc, argv, NULL,
					     "rule flush takes no arguments");

	if (err)
		return err == WL_PARAMS_HELP ? 0 : err;
	return rules_change(rule_flush, 0);
}

/* Splits a line into words (blanks); '#' starts a comment. Returns the word count or -1. */
static int split_line(char *line, char **argv, int max)
{
	int n = 1; /* argv[0]: the verb */
	char *save, *tok, *hash = strchr(line, '#');

	if (hash)
		*hash = 0;
	argv[0] = "add";
	for (tok = strtok_r(line, " \t\r\n", &save); tok; tok = strtok_r(NULL, " \t\r\n", &save)) {
		if (n >= max - 1)
			return -1;
		argv[n++] = tok;
	}
	argv[n] = NULL;
	return n;
}

static int cmd_load(int argc, char **argv)
{
	struct wl_rule_ent *e = calloc(1, sizeof(*e));
	struct wl_filter_fds f;
	struct wl_ruleset s, cur;
	char line[RULE_LINE_MAX], where[300];
	char *args[RULE_ARGS_MAX];
	int first, lock = -1, err, lineno = 0;
	FILE *in;

	if (!e)
		return 1;
	err = no_args(&rule_load_params, argc, argv, &first);
	if (err) {
		free(e);
		return err < 0 ? 0 : err;
	}
	if (argc - first != 1) {
		fprintf(stderr, "wirelens: rule load needs one FILE (wirelens rule load --help)\n");
		free(e);
		return 2;
	}
	in = !strcmp(argv[first], "-") ? stdin : fopen(argv[first], "r");
	if (!in) {
		fprintf(stderr, "wirelens: rule load: %s: %s\n", argv[first], strerror(errno));
		free(e);
		return 1;
	}
	if (rules_open(&f, &lock)) {
		if (in != stdin)
			fclose(in);
		free(e);
		return 1;
	}
	err = wl_ruleset_read(&f, &cur);
	if (err) {
		fprintf(stderr, "wirelens: cannot read the rules: %s\n", strerror(-err));
		goto out_cur;
	}
	memset(&s, 0, sizeof(s));
	s.policy = cur.policy;
	s.next_id = cur.next_id;
	while (fgets(line, sizeof(line), in)) {
		int n;

		lineno++;
		snprintf(where, sizeof(where), "%s:%d:", argv[first], lineno);
		if (!strchr(line, '\n') && !feof(in)) {
			fprintf(stderr, "wirelens: %s line too long\n", where);
			err = -EINVAL;
			break;
		}
		n = split_line(line, args, RULE_ARGS_MAX);
		if (n < 0) {
			fprintf(stderr, "wirelens: %s too many words\n", where);
			err = -EINVAL;
			break;
		}
		if (n == 1)
			continue; /* blank or comment */
		err = wl_rule_parse(&f, n, args, e, where);
		if (err == WL_PARAMS_HELP) {
			fprintf(stderr, "wirelens: %s --help is no rule\n", where);
			err = -EINVAL;
		}
		if (err)
			break;
		if (s.n >= WL_RULES_MAX) {
			fprintf(stderr, "wirelens: %s too many rules (at most %d)\n", where,
				WL_RULES_MAX);
			err = -E2BIG;
			break;
		}
		err = wl_ruleset_add(&s, e);
		if (err < 0)
			break;
		err = 0;
	}
	if (!err && ferror(in)) {
		fprintf(stderr, "wirelens: rule load: %s: read error\n", argv[first]);
		err = -EIO;
	}
	if (!err)
		err = wl_ruleset_write(&f, &s);
	if (!err)
		printf("%zu rules loaded\n", s.n);
	wl_ruleset_free(&s);
out_cur:
	wl_ruleset_free(&cur);
	rules_close(&f, lock);
	if (in != stdin)
		fclose(in);
	free(e);
	return err ? 1 : 0;
}

static void range_str(bool has, __u16 lo, __u16 hi, char *buf, size_t len)
{
	if (!has)
		snprintf(buf, len, "any");
	else if (lo == hi)
		snprintf(buf, len, "%u", lo);
	else
		snprintf(buf, len, "%u-%u", lo, hi);
}

static void proto_str(const struct wl_rule *r, char *buf, size_t len)
{
	if (!(r->fields & WL_RF_PROTO))
		snprintf(buf, len, "any");
	else if (r->l4_proto == 6)
		snprintf(buf, len, "tcp");
	else if (r->l4_proto == 17)
		snprintf(buf, len, "udp");
	else if (r->l4_proto == 1)
		snprintf(buf, len, "icmp");
	else if (r->l4_proto == 58)
		snprintf(buf, len, "icmpv6");
	else
		snprintf(buf, len, "%u", r->l4_proto);
}

static void iface_str(const struct wl_rule *r, char *buf, size_t len)
{
	char name[IF_NAMESIZE];

	if (!(r->fields & WL_RF_IFACE))
		snprintf(buf, len, "any");
	else if (if_indextoname(r->ifindex, name))
		snprintf(buf, len, "%s", name);
	else
		snprintf(buf, len, "#%u", r->ifindex);
}

static int cmd_list(int argc, char **argv)
{
	struct wl_filter_fds f;
	struct wl_ruleset s;
	struct wl_json_opts opts = {};
	int err, lock;
	json_object *arr = NULL;

	err = wl_params_parse_no_args_as(&rule_list_params, argc, argv, &opts,
					 "rule list takes only --json");
	if (err)
		return err == WL_PARAMS_HELP ? 0 : err;
	if (rules_open(&f, &lock)) /* the lock: a killed change is repaired first */
		return 1;
	err = wl_ruleset_read(&f, &s);
	close(lock); /* the maps stay open: L7 rules' names come from them */
	if (err) {
		fprintf(stderr, "wirelens: cannot read the rules: %s\n", strerror(-err));
		wl_filter_fds_close(&f);
		return 1;
	}
	if (opts.json)
		arr = json_object_new_array();
	else
		printf("policy %s, %zu rules\n%-5s %-5s %-6s %-4s %-8s %-4s %-22s %-22s %-6s "
		       "%-11s %-11s %-12s %-12s %-8s %s\n",
		       wl_action_name(s.policy), s.n, "ID", "PRIO", "ACTION", "DIR", "IFACE",
		       "VLAN", "SRC", "DST", "PROTO", "SPORT", "DPORT", "PACKETS", "BYTES", "CONNS",
		       "L7");
	for (size_t i = 0; i < s.n; i++) {
		const struct wl_rule_ent *e = &s.rules[i];
		const struct wl_rule *r = &e->r;
		char src[64], dst[64], sport[16], dport[16], proto[16], iface[IF_NAMESIZE + 8],
			vlan[8], conns[24] = "-", l7[1024] = "-";

		wl_rule_prefix_str(r, false, src, sizeof(src));
		wl_rule_prefix_str(r, true, dst, sizeof(dst));
		range_str(r->fields & WL_RF_SPORT, r->sport_lo, r->sport_hi, sport, sizeof(sport));
		range_str(r->fields & WL_RF_DPORT, r->dport_lo, r->dport_hi, dport, sizeof(dport));
		proto_str(r, proto, sizeof(proto));
		iface_str(r, iface, sizeof(iface));
		if (r->fields & WL_RF_VLAN)
			snprintf(vlan, sizeof(vlan), "%u", r->vlan);
		else
			snprintf(vlan, sizeof(vlan), "any");
		if (r->fields & WL_RF_L7) {
			wl_rule_l7_str(&f, e, l7, sizeof(l7));
			snprintf(conns, sizeof(conns), "%llu",
				 (unsigned long long)e->stats.connections);
		}
		if (!opts.json) {
			printf("%-5u %-5u %-6s %-4s %-8s %-4s %-22s %-22s %-6s %-11s %-11s %-12llu "
			       "%-12llu %-8s %s\n",
			       r->id, r->priority, wl_action_name(r->action), wl_dirs_name(r->dirs),
			       iface, vlan, src, dst, proto, sport, dport,
			       (unsigned long long)e->stats.packets,
			       (unsigned long long)e->stats.bytes, conns, l7);
			continue;
		}
		json_object *o = json_object_new_object();

		json_object_object_add(o, "id", json_object_new_int64(r->id));
		json_object_object_add(o, "priority", json_object_new_int64(r->priority));
		json_object_object_add(o, "action",
				       json_object_new_string(wl_action_name(r->action)));
		json_object_object_add(o, "dir", json_object_new_string(wl_dirs_name(r->dirs)));
		json_object_object_add(o, "iface", json_object_new_string(iface));
		json_object_object_add(o, "vlan",
				       r->fields & WL_RF_VLAN ? json_object_new_int(r->vlan)
							      : json_object_new_string("any"));
		json_object_object_add(o, "src", json_object_new_string(src));
		json_object_object_add(o, "dst", json_object_new_string(dst));
		json_object_object_add(o, "proto", json_object_new_string(proto));
		json_object_object_add(o, "sport", json_object_new_string(sport));
		json_object_object_add(o, "dport", json_object_new_string(dport));
		if (r->fields & WL_RF_L7)
			json_object_object_add(o, "l7", json_object_new_string(l7));
		json_object_object_add(o, "packets", json_object_new_int64(e->stats.packets));
		json_object_object_add(o, "bytes", json_object_new_int64(e->stats.bytes));
		if (r->fields & WL_RF_L7)
			json_object_object_add(o, "connections",
					       json_object_new_int64(e->stats.connections));
		json_object_array_add(arr, o);
	}
	if (opts.json) {
		json_object *root = json_object_new_object();

		json_object_object_add(root, "policy",
				       json_object_new_string(wl_action_name(s.policy)));
		json_object_object_add(root, "rules", arr);
		printf("%s\n",
		       json_object_to_json_string_ext(
			       root, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
		json_object_put(root);
	}
	wl_ruleset_free(&s);
	wl_filter_fds_close(&f);
	return 0;
}

void wl_rules_status(json_object *root)
{
	struct wl_filter_fds f;
	struct wl_ruleset s;
	size_t l7 = 0;
	int blocked;

	if (wl_filter_fds_open(&f))
		return;
	if (wl_ruleset_read(&f, &s)) {
		wl_filter_fds_close(&f);
		return;
	}
	for (size_t i = 0; i < s.n; i++)
		l7 += !!(s.rules[i].r.fields & WL_RF_L7);
	blocked = wl_blocked_count(f.blocked); /* two entries per connection */
	blocked = blocked > 0 ? blocked / 2 : 0;
	if (root) {
		json_object *o = json_object_new_object();

		json_object_object_add(o, "rules", json_object_new_int64(s.n));
		json_object_object_add(o, "l7_rules", json_object_new_int64(l7));
		json_object_object_add(o, "policy",
				       json_object_new_string(wl_action_name(s.policy)));
		json_object_object_add(o, "blocked_connections", json_object_new_int64(blocked));
		json_object_object_add(root, "filter", o);
	} else {
		printf("filter: %zu rules (%zu L3/L4, %zu L7), policy %s", s.n, s.n - l7, l7,
		       wl_action_name(s.policy));
		if (blocked)
			printf(", %d connection%s blocked", blocked, blocked == 1 ? "" : "s");
		printf("\n");
	}
	wl_ruleset_free(&s);
	wl_filter_fds_close(&f);
}

int wl_cmd_rule(int argc, char **argv)
{
	static const struct {
		const char *name;
		int (*fn)(int argc, char **argv);
	} subs[] = {
		{"add", cmd_add},	{"del", cmd_del},   {"list", cmd_list},
		{"policy", cmd_policy}, {"load", cmd_load}, {"flush", cmd_flush},
	};

	if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		wl_params_usage(&wl_rule_params, argc < 2 ? stderr : stdout);
		return argc < 2 ? 2 : 0;
	}
	for (size_t i = 0; i < sizeof(subs) / sizeof(subs[0]); i++)
		if (!strcmp(argv[1], subs[i].name))
			return subs[i].fn(argc - 1, argv + 1);
	fprintf(stderr,
		"wirelens: rule: unknown sub-verb '%s' (add, del, list, policy, load, "
		"flush)\n",
		argv[1]);
	return 2;
}
