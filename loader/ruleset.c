// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Filter rule sets (ruleset.h). Writing a set: sort the rules best first (slot order), compute
 * the classes of every field of the L3/L4 classifier (parse/filter.h explains them), write all
 * of it and the L7 rule entries into the inactive generation, flip wl_filter_cfg.gen, carry the
 * counters over, clear the old generation.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "attach.h"
#include "blocked.h"
#include "l7cfg.h"
#include "params.h"
#include "progs.h"
#include "ruleset.h"
#include "wl_xdp.skel.h"
#include "faults.h"

#define ETH_P_IP_H   0x0800
#define ETH_P_IPV6_H 0x86DD

/* ---- maps ---- */

static const char *const filter_map_names[] = {
	"wl_filter_cfg", "wl_rules",	 "wl_rule_stats", "wl_l7_rules",     "wl_filter_gen",
	"wl_fc_meta",	 "wl_fc_vlan",	 "wl_fc_port",	  "wl_fc_iface",     "wl_fc_addr",
	"wl_fc_bitmaps", "wl_cmd_names", "wl_cmd_ids",	  "wl_fc_addr_lens", "wl_blocked",
};
#define FILTER_MAPS (sizeof(filter_map_names) / sizeof(filter_map_names[0]))
_Static_assert(FILTER_MAPS * sizeof(int) == sizeof(struct wl_filter_fds), "one fd per map");

int wl_filter_fds_open(struct wl_filter_fds *f)
{
	int *fd = (int *)f;

	for (size_t i = 0; i < FILTER_MAPS; i++) {
		fd[i] = wl_map_open(filter_map_names[i]);
		if (fd[i] < 0) {
			int err = -errno;

			while (i--)
				close(fd[i]);
			return err;
		}
	}
	return 0;
}

void wl_filter_fds_close(struct wl_filter_fds *f)
{
	int *fd = (int *)f;

	for (size_t i = 0; i < FILTER_MAPS; i++)
		if (fd[i] >= 0)
			close(fd[i]);
}

int wl_filter_fds_of(struct wl_filter_fds *f, const struct wl_progs *p)
{
	int *fd = (int *)f;

	for (size_t i = 0; i < FILTER_MAPS; i++) {
		struct bpf_map *m = bpf_object__find_map_by_name(p->xdp->obj, filter_map_names[i]);

		fd[i] = m ? bpf_map__fd(m) : -1;
		if (fd[i] < 0)
			return -ENOENT;
	}
	return 0;
}

static int ncpus(void)
{
	static int n;

	if (!n)
		n = libbpf_num_possible_cpus();
	return n;
}

/* ---- names ---- */

const char *wl_action_name(unsigned int a)
{
	static const char *const names[] = {"none", "allow", "deny", "count", "reject"};

	return a < sizeof(names) / sizeof(names[0]) ? names[a] : "?";
}

const char *wl_dirs_name(unsigned int dirs)
{
	return dirs == WL_RULE_IN ? "in" : dirs == WL_RULE_OUT ? "out" : "both";
}

void wl_rule_prefix_str(const struct wl_rule *r, bool dst, char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN];
	bool v6 = r->l3_proto == ETH_P_IPV6_H;

	if (!(r->fields & (dst ? WL_RF_DST : WL_RF_SRC))) {
		snprintf(buf, len, "any");
		return;
	}
	inet_ntop(v6 ? AF_INET6 : AF_INET, dst ? r->dst_addr : r->src_addr, a, sizeof(a));
	snprintf(buf, len, "%s/%u", a, dst ? r->dst_len : r->src_len);
}

void wl_rule_l7_str(const struct wl_filter_fds *f, const struct wl_rule_ent *e, char *buf,
		    size_t len)
{
	const char *proto = wl_l7_proto_name(e->r.l7_proto);
	size_t at;

	at = snprintf(buf, len, "%s:", proto ? proto : "?");
	for (int i = 0; i < e->ncmds && at < len; i++) {
		struct wl_cmd_name n = {};
		__u32 id = e->cmds[i];
		const char *bar;

		if (bpf_map_lookup_elem(f->cmd_ids, &id, &n))
			snprintf(n.command, sizeof(n.command), "#%u", id);
		n.command[WL_CMD_LEN - 1] = 0;
		/* CONFIG|GET under a CONFIG of the same rule: the container says it */
		bar = strchr(n.command, '|');
		if (bar) {
			bool parent = false;

			for (int j = 0; j < e->ncmds && !parent; j++) {
				struct wl_cmd_name pn = {};
				__u32 pid = e->cmds[j];

				parent = j != i && !bpf_map_lookup_elem(f->cmd_ids, &pid, &pn) &&
					 strlen(pn.command) == (size_t)(bar - n.command) &&
					 !strncmp(pn.command, n.command, bar - n.command);
			}
			if (parent)
				continue;
		}
		at += snprintf(buf + at, len - at, "%s%s", buf[at - 1] == ':' ? "" : ",",
			       n.command);
	}
}

/* ---- parsing a rule ---- */

/* What `rule add` fills: the rule, and what its checks need. */
struct parse_ctx {
	struct wl_rule_ent e;
	const struct wl_filter_fds *f; /* the L7 command names */
	bool have_action, have_l7;
	char l7[512];
};

/* A condition given twice: an error line, 2. */
static int twice(const struct wl_param_call *call, const char *value, bool given)
{
	return given ? wl_params_bad_value(call, value, "given twice") : 0;
}

static int prefix_arg(const struct wl_param_call *call, const char *value, bool dst)
{
	struct wl_rule *r = &((struct parse_ctx *)call->opts)->e.r;
	char buf[INET6_ADDRSTRLEN + 8], *slash;
	__u8 addr[16] = {};
	unsigned long long len, max;
	__u16 l3;

	if (twice(call, value, r->fields & (dst ? WL_RF_DST : WL_RF_SRC)))
		return 2;
	if (strlen(value) >= sizeof(buf))
		return wl_params_bad_value(call, value, "not an IPv4 or IPv6 prefix");
	strcpy(buf, value);
	slash = strchr(buf, '/');
	if (slash)
		*slash++ = 0;
	if (inet_pton(AF_INET, buf, addr) == 1) {
		l3 = ETH_P_IP_H;
		max = 32;
	} else if (inet_pton(AF_INET6, buf, addr) == 1) {
		l3 = ETH_P_IPV6_H;
		max = 128;
	} else {
		return wl_params_bad_value(call, value, "not an IPv4 or IPv6 address");
	}
	len = max;
	if (slash && wl_params_number(slash, 0, ULLONG_MAX, &len))
		return wl_params_bad_value(call, value, "bad prefix length");
	if (len > max)
		return wl_params_bad_value(call, value,
					   max == 32 ? "prefix length above 32"
						     : "prefix length above 128");
	if (r->l3_proto && r->l3_proto != l3)
		return wl_params_bad_value(call, value,
					   "--src and --dst of different address families");
	/* host bits beyond the prefix are cleared: 198.18.1.7/24 is 198.18.1.0/24 */
	for (unsigned int b = len; b < max; b++)
		addr[b / 8] &= ~(0x80 >> (b % 8));
	r->l3_proto = l3;
	if (dst) {
		r->fields |= WL_RF_DST;
		r->dst_len = len;
		memcpy(r->dst_addr, addr, 16);
	} else {
		r->fields |= WL_RF_SRC;
		r->src_len = len;
		memcpy(r->src_addr, addr, 16);
	}
	return 0;
}

static int src_arg(const struct wl_param_call *call, const char *value)
{
	return prefix_arg(call, value, false);
}

static int dst_arg(const struct wl_param_call *call, const char *value)
{
	return prefix_arg(call, value, true);
}

/* N or N-M into *lo, *hi, the condition's bit into the rule's fields. */
static int range_arg(const struct wl_param_call *call, const char *value, __u32 field, __u16 *lo,
		     __u16 *hi)
{
	struct wl_rule *r = &((struct parse_ctx *)call->opts)->e.r;
	char buf[32], *dash;
	unsigned long long a, b;

	if (twice(call, value, r->fields & field))
		return 2;
	r->fields |= field;
	if (strlen(value) >= sizeof(buf))
		return wl_params_bad_value(call, value, "not a port or range N-M");
	strcpy(buf, value);
	dash = strchr(buf, '-');
	if (dash)
		*dash++ = 0;
	if (wl_params_number(buf, 0, 65535, &a) || (dash && wl_params_number(dash, 0, 65535, &b)))
		return wl_params_bad_value(call, value, "not a port (0-65535) or range N-M");
	if (!dash)
		b = a;
	if (a > b)
		return wl_params_bad_value(call, value, "reversed range");
	*lo = a;
	*hi = b;
	return 0;
}

static int sport_arg(const struct wl_param_call *call, const char *value)
{
	struct wl_rule *r = &((struct parse_ctx *)call->opts)->e.r;

	return range_arg(call, value, WL_RF_SPORT, &r->sport_lo, &r->sport_hi);
}

static int dport_arg(const struct wl_param_call *call, const char *value)
{
	struct wl_rule *r = &((struct parse_ctx *)call->opts)->e.r;

	return range_arg(call, value, WL_RF_DPORT, &r->dport_lo, &r->dport_hi);
}

static int iface_arg(const struct wl_param_call *call, const char *value)
{
	struct wl_rule *r = &((struct parse_ctx *)call->opts)->e.r;

	if (twice(call, value, r->fields & WL_RF_IFACE))
		return 2;
	r->ifindex = if_nametoindex(value);
	if (!r->ifindex)
		return wl_params_bad_value(call, value, "no such interface");
	r->fields |= WL_RF_IFACE;
	return 0;
}

static int proto_arg(const struct wl_param_call *call, const char *value)
{
	static const struct {
		const char *name;
		__u8 proto;
	} names[] = {{"tcp", IPPROTO_TCP},
		     {"udp", IPPROTO_UDP},
		     {"icmp", IPPROTO_ICMP},
		     {"icmpv6", IPPROTO_ICMPV6}};
	struct wl_rule *r = &((struct parse_ctx *)call->opts)->e.r;
	unsigned long long n;
	size_t i;

	if (twice(call, value, r->fields & WL_RF_PROTO))
		return 2;
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (!strcasecmp(value, names[i].name))
			break;
	if (i < sizeof(names) / sizeof(names[0]))
		n = names[i].proto;
	else if (wl_params_number(value, 0, 255, &n))
		return wl_params_bad_value(call, value, "tcp, udp, icmp, icmpv6 or a number 0-255");
	r->l4_proto = n;
	r->fields |= WL_RF_PROTO;
	return 0;
}

static int action_arg(const struct wl_param_call *call, const char *value)
{
	struct parse_ctx *c = call->opts;
	unsigned int a;

	if (twice(call, value, c->have_action))
		return 2;
	for (a = WL_ACT_ALLOW; a <= WL_ACT_REJECT; a++)
		if (!strcmp(value, wl_action_name(a)))
			break;
	if (a > WL_ACT_REJECT)
		return wl_params_bad_value(call, value, "allow, deny, reject or count");
	c->e.r.action = a;
	c->have_action = true;
	return 0;
}

static bool cmd_has(const struct wl_rule_ent *e, __u16 id)
{
	for (int i = 0; i < e->ncmds; i++)
		if (e->cmds[i] == id)
			return true;
	return false;
}

static int cmd_push(const struct wl_param_call *call, __u16 id)
{
	struct parse_ctx *c = call->opts;

	if (cmd_has(&c->e, id))
		return 0;
	if (c->e.ncmds >= WL_RULE_CMDS_MAX)
		return wl_params_bad_value(call, c->l7, "too many commands in one rule");
	c->e.cmds[c->e.ncmds++] = id;
	return 0;
}

/* "redis:FLUSHALL,CONFIG" -> l7_proto and command ids (a container adds its subcommands). */
static int l7_arg(const struct wl_param_call *call, const char *value)
{
	struct parse_ctx *c = call->opts;
	char buf[512], *colon, *tok, *save;
	unsigned int proto;

	if (c->have_l7)
		return wl_params_bad_value(call, value, "given twice (one protocol per rule)");
	if (strlen(value) >= sizeof(buf))
		return wl_params_bad_value(call, value, "too long");
	strcpy(c->l7, value);
	strcpy(buf, value);
	colon = strchr(buf, ':');
	if (!colon || !colon[1])
		return wl_params_bad_value(call, value, "expected PROTOCOL:COMMAND[,COMMAND...]");
	*colon = 0;
	proto = wl_l7_proto_by_name(buf);
	if (!proto) {
		char why[320];

		snprintf(why, sizeof(why), "unknown protocol '%s' (known: %s)", buf,
			 wl_l7_proto_list(", "));
		return wl_params_bad_value(call, value, why);
	}
	c->e.r.l7_proto = proto;
	c->e.ncmds = 0;
	for (tok = strtok_r(colon + 1, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		struct wl_cmd_name_key k = {.l7_proto = proto};
		struct wl_cmd_name_val v;
		char name[WL_CMD_LEN + 1];
		int err;

		if (strlen(tok) >= WL_CMD_LEN || !strcmp(tok, "OTHER")) {
			char why[128];

			snprintf(why, sizeof(why), "unknown %s command '%s'", buf, tok);
			return wl_params_bad_value(call, value, why);
		}
		strncpy(k.command, tok, WL_CMD_LEN - 1);
		if (bpf_map_lookup_elem(c->f->cmd_names, &k, &v)) {
			/* names are stored as the parser emits them: try the other case */
			for (char *p = k.command; *p; p++)
				*p = proto == WL_L7_KAFKA || proto == WL_L7_MONGODB
					     ? *p
					     : (char)((*p >= 'a' && *p <= 'z') ? *p - 32 : *p);
			if (bpf_map_lookup_elem(c->f->cmd_names, &k, &v))
				for (char *p = k.command; *p; p++)
					*p = (*p >= 'A' && *p <= 'Z') ? *p + 32 : *p;
			if (bpf_map_lookup_elem(c->f->cmd_names, &k, &v)) {
				char why[128];

				snprintf(why, sizeof(why), "unknown %s command '%s'", buf, tok);
				return wl_params_bad_value(call, value, why);
			}
		}
		err = cmd_push(call, v.id);
		if (err)
			return err;
		if (v.flags & WL_CMD_F_CONTAINER) {
			/* every CONFIG|... of this protocol */
			struct wl_cmd_name_key cur, next;
			void *prev = NULL;
			size_t n = strlen(k.command);

			snprintf(name, sizeof(name), "%s|", k.command);
			while (!bpf_map_get_next_key(c->f->cmd_names, prev, &next)) {
				cur = next;
				prev = &cur;
				if (cur.l7_proto != proto || strncmp(cur.command, name, n + 1))
					continue;
				if (bpf_map_lookup_elem(c->f->cmd_names, &cur, &v))
					continue;
				err = cmd_push(call, v.id);
				if (err)
					return err;
			}
		}
	}
	if (!c->e.ncmds)
		return wl_params_bad_value(call, value, "no command");
	c->e.r.fields |= WL_RF_L7;
	c->have_l7 = true;
	return 0;
}

static const struct wl_param_word rule_dirs[] = {
	{"in", WL_RULE_IN}, {"out", WL_RULE_OUT}, {"both", WL_RULE_IN | WL_RULE_OUT}, {}};

const struct wl_verb_params wl_rule_add_params = {
	.verb = "rule add",
	.summary = "add a filter rule to the active set; prints its id",
	.params = WL_PARAMS(
		{"iface", 0, "IFACE", "only packets of that interface (default: every one)",
		 WL_FN(iface_arg)},
		{"dir", 0, "in|out|both",
		 "direction: in = XDP and TC ingress, out = TC egress (default both)",
		 WL_WORD(struct parse_ctx, e.r.dirs, rule_dirs)},
		{"src", 0, "CIDR", "source prefix, IPv4 or IPv6 (198.18.0.0/15, 2001:db8::/32)",
		 WL_FN(src_arg)},
		{"dst", 0, "CIDR", "destination prefix", WL_FN(dst_arg)},
		{"proto", 0, "tcp|udp|icmp|icmpv6|NUM", "IP protocol", WL_FN(proto_arg)},
		{"sport", 0, "N[-M]", "TCP/UDP source port or inclusive range", WL_FN(sport_arg)},
		{"dport", 0, "N[-M]", "TCP/UDP destination port or inclusive range",
		 WL_FN(dport_arg)},
		{"vlan", 0, "ID", "outer VLAN id (1-4094)",
		 WL_NUM(struct parse_ctx, e.r.vlan, 1, 4094)},
		{"l7", 0, "PROTO:CMD[,CMD...]",
		 "an L7 rule: these commands of that protocol (redis:FLUSHALL,CONFIG|SET;\n"
		 "CONFIG names every CONFIG subcommand)",
		 WL_FN(l7_arg)},
		{"action", 0, "allow|deny|reject|count",
		 "what a match does (required); count counts and goes on to\n"
		 "the next matching rule; reject = deny + TCP RST for L7 rules",
		 WL_FN(action_arg)},
		{"priority", 0, "N",
		 "the highest matching priority wins (default 0);\n"
		 "ties go to the rule added first",
		 WL_NUM(struct parse_ctx, e.r.priority, 0, 0)}),
	.notes = "The conditions of a rule are ANDed; a condition not given matches anything.\n"
		 "IP packets no rule decides get the policy (wirelens rule policy); non-IP\n"
		 "packets (ARP, ...) always pass. L3/L4 reject drops like deny (no RST).\n"
		 "example: wirelens rule add --src 198.18.5.0/24 --proto tcp --dport 22 "
		 "--action deny\n",
};

int wl_rule_parse(const struct wl_filter_fds *f, int argc, char **argv, struct wl_rule_ent *e,
		  const char *where)
{
	struct wl_verb_params v = wl_rule_add_params;
	struct parse_ctx c = {.f = f};
	struct wl_rule *r = &c.e.r;
	char verb[300];
	int first, err;

	if (where) {
		snprintf(verb, sizeof(verb), "%s%srule add", where, where[0] ? " " : "");
		v.verb = verb;
	}
	c.e.old_idx = -1;
	r->dirs = WL_RULE_IN | WL_RULE_OUT;
	err = wl_params_parse(&v, argc, argv, &c, &first);
	if (err)
		return err == WL_PARAMS_HELP ? WL_PARAMS_HELP : -EINVAL;
	if (r->vlan) /* --vlan: 1-4094 */
		r->fields |= WL_RF_VLAN;
	if (first < argc) {
		fprintf(stderr, "wirelens: %s: unexpected argument '%s'\n", v.verb, argv[first]);
		return -EINVAL;
	}
	if (!c.have_action) {
		fprintf(stderr, "wirelens: %s: --action is required\n", v.verb);
		return -EINVAL;
	}
	if ((r->fields & (WL_RF_SPORT | WL_RF_DPORT)) && (r->fields & WL_RF_PROTO) &&
	    r->l4_proto != IPPROTO_TCP && r->l4_proto != IPPROTO_UDP) {
		fprintf(stderr, "wirelens: %s: --sport/--dport need --proto tcp or udp\n", v.verb);
		return -EINVAL;
	}
	if ((r->fields & WL_RF_PROTO) && r->l3_proto &&
	    ((r->l4_proto == IPPROTO_ICMP && r->l3_proto == ETH_P_IPV6_H) ||
	     (r->l4_proto == IPPROTO_ICMPV6 && r->l3_proto == ETH_P_IP_H))) {
		fprintf(stderr, "wirelens: %s: --proto %s with an %s prefix\n", v.verb,
			r->l4_proto == IPPROTO_ICMP ? "icmp" : "icmpv6",
			r->l3_proto == ETH_P_IP_H ? "IPv4" : "IPv6");
		return -EINVAL;
	}
	if ((r->fields & WL_RF_L7) && (r->fields & WL_RF_PROTO) && r->l4_proto != IPPROTO_TCP &&
	    r->l4_proto != IPPROTO_UDP) {
		fprintf(stderr, "wirelens: %s: --l7 with --proto other than tcp or udp\n", v.verb);
		return -EINVAL;
	}
	*e = c.e;
	return 0;
}

/* ---- reading the active set ---- */

static int cfg_read(const struct wl_filter_fds *f, struct wl_filter_cfg *cfg)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(f->cfg, &zero, cfg) ? -errno : 0;
}

static int stats_sum(const struct wl_filter_fds *f, __u32 idx, struct wl_rule_stats *sum)
{
	struct wl_rule_stats *v = calloc(ncpus(), sizeof(*v));

	memset(sum, 0, sizeof(*sum));
	if (!v)
		return -ENOMEM;
	if (bpf_map_lookup_elem(f->stats, &idx, v)) {
		free(v);
		return -errno;
	}
	for (int c = 0; c < ncpus(); c++) {
		sum->packets += v[c].packets;
		sum->bytes += v[c].bytes;
		sum->connections += v[c].connections;
	}
	free(v);
	return 0;
}

static int grow(struct wl_ruleset *s)
{
	if (s->n < s->cap)
		return 0;
	size_t cap = s->cap ? s->cap * 2 : 64;
	struct wl_rule_ent *r = realloc(s->rules, cap * sizeof(*r));

	if (!r)
		return -ENOMEM;
	s->rules = r;
	s->cap = cap;
	return 0;
}

int wl_ruleset_read(const struct wl_filter_fds *f, struct wl_ruleset *s)
{
	struct wl_filter_cfg cfg;
	struct wl_l7_rule_key k, next;
	void *prev = NULL;
	int err;

	memset(s, 0, sizeof(*s));
	err = cfg_read(f, &cfg);
	if (err)
		return err;
	s->policy = cfg.policy ? cfg.policy : WL_ACT_ALLOW;
	s->next_id = cfg.next_id ? cfg.next_id : 1;
	for (__u32 slot = 0; slot < cfg.rules && slot < WL_RULES_MAX; slot++) {
		__u32 idx = cfg.gen * WL_RULES_MAX + slot;
		struct wl_rule_ent *e;

		err = grow(s);
		if (err)
			return err;
		e = &s->rules[s->n];
		memset(e, 0, sizeof(*e));
		if (bpf_map_lookup_elem(f->rules, &idx, &e->r))
			return -errno;
		if (!e->r.id)
			break;
		stats_sum(f, idx, &e->stats);
		e->old_idx = idx;
		s->n++;
	}
	/* the command ids of the L7 rules, from the entries that name them */
	while (!bpf_map_get_next_key(f->l7, prev, &next)) {
		struct wl_l7_rule_val v;

		k = next;
		prev = &k;
		if (k.gen != cfg.gen || bpf_map_lookup_elem(f->l7, &k, &v))
			continue;
		for (int i = 0; i < v.count && i < WL_L7_RULES_PER_CMD; i++) {
			struct wl_rule_ent *e;

			if (v.slot[i] >= s->n)
				continue;
			e = &s->rules[v.slot[i]];
			if (!cmd_has(e, k.cmd_id) && e->ncmds < WL_RULE_CMDS_MAX)
				e->cmds[e->ncmds++] = k.cmd_id;
		}
	}
	/* stable listing order for the commands of a rule */
	for (size_t i = 0; i < s->n; i++) {
		struct wl_rule_ent *e = &s->rules[i];

		for (int a = 1; a < e->ncmds; a++)
			for (int b = a; b > 0 && e->cmds[b - 1] > e->cmds[b]; b--) {
				__u16 t = e->cmds[b];

				e->cmds[b] = e->cmds[b - 1];
				e->cmds[b - 1] = t;
			}
	}
	return 0;
}

void wl_ruleset_free(struct wl_ruleset *s)
{
	free(s->rules);
	memset(s, 0, sizeof(*s));
}

int wl_ruleset_add(struct wl_ruleset *s, const struct wl_rule_ent *e)
{
	int err = grow(s);

	if (err)
		return err;
	if (!s->next_id)
		s->next_id = 1;
	s->rules[s->n] = *e;
	s->rules[s->n].r.id = s->next_id++;
	s->rules[s->n].old_idx = -1;
	s->n++;
	return s->rules[s->n - 1].r.id;
}

/* ---- classes ---- */

/* The distinct bitmaps of one field: class number -> bitmap, deduplicated by content. */
struct classes {
	struct wl_fbm *bm;
	__u32 n, cap;
	__u32 *hash; /* open addressing: class + 1, 0 empty */
	__u32 hcap;
};

static __u64 fbm_hash(const struct wl_fbm *b)
{
	__u64 h = 1469598103934665603ULL;

	for (int i = 0; i < WL_FBM_WORDS; i++)
		h = (h ^ b->w[i]) * 1099511628211ULL;
	return h ^ (h >> 29);
}

static void fbm_set(struct wl_fbm *b, __u32 slot)
{
	b->w[slot / 64] |= 1ULL << (slot % 64);
	b->sum[slot / 4096] |= 1ULL << ((slot / 64) % 64);
}

static void fbm_clear(struct wl_fbm *b, __u32 slot)
{
	b->w[slot / 64] &= ~(1ULL << (slot % 64));
	if (!b->w[slot / 64])
		b->sum[slot / 4096] &= ~(1ULL << ((slot / 64) % 64));
}

static void classes_free(struct classes *c)
{
	free(c->bm);
	free(c->hash);
	memset(c, 0, sizeof(*c));
}

/* The class of bitmap b (a new one if no class has it). Returns the class or -errno. */
static long class_of(struct classes *c, const struct wl_fbm *b)
{
	__u64 h = fbm_hash(b);
	__u32 i;

	if ((c->n + 1) * 2 > c->hcap) {
		__u32 hcap = c->hcap ? c->hcap * 2 : 1024;
		__u32 *nh = calloc(hcap, sizeof(*nh));

		if (!nh)
			return -ENOMEM;
		for (__u32 k = 0; k < c->n; k++) {
			for (i = fbm_hash(&c->bm[k]) & (hcap - 1); nh[i]; i = (i + 1) & (hcap - 1))
				;
			nh[i] = k + 1;
		}
		free(c->hash);
		c->hash = nh;
		c->hcap = hcap;
	}
	for (i = h & (c->hcap - 1); c->hash[i]; i = (i + 1) & (c->hcap - 1))
		if (!memcmp(&c->bm[c->hash[i] - 1], b, sizeof(*b)))
			return c->hash[i] - 1;
	if (c->n >= WL_FBM_CLASS_MAX)
		return -E2BIG;
	if (c->n == c->cap) {
		__u32 cap = c->cap ? c->cap * 2 : 16;
		struct wl_fbm *nb = realloc(c->bm, (size_t)cap * sizeof(*nb));

		if (!nb)
			return -ENOMEM;
		c->bm = nb;
		c->cap = cap;
	}
	c->bm[c->n] = *b;
	c->hash[i] = c->n + 1;
	return c->n++;
}

struct prefix_ent {
	__u8 addr[16];
	__u8 len;
	__u32 slot;
};

static int prefix_cmp(const void *a, const void *b)
{
	const struct prefix_ent *x = a, *y = b;
	int c = memcmp(x->addr, y->addr, 16);

	return c ? c : (int)x->len - (int)y->len;
}

static bool prefix_contains(const struct prefix_ent *outer, const struct prefix_ent *inner)
{
	if (outer->len > inner->len)
		return false;
	for (unsigned int b = 0; b < outer->len; b++)
		if ((outer->addr[b / 8] ^ inner->addr[b / 8]) & (0x80 >> (b % 8)))
			return false;
	return true;
}

struct port_ev {
	__u32 at; /* the range starts at (set) or ends after (clear, at = hi + 1) */
	__u32 slot;
	bool start;
};

static int port_ev_cmp(const void *a, const void *b)
{
	const struct port_ev *x = a, *y = b;

	return x->at != y->at ? (x->at < y->at ? -1 : 1) : (int)x->start - (int)y->start;
}

/* Everything one generation needs, computed before anything is written. */
struct gen_tables {
	struct classes cls[WL_FF_N];
	__u32 meta[1024];
	__u32 vlan[4096];
	__u32 *port; /* 2 * 65536 */
	struct {
		__u32 ifindex, cls;
	} iface[1024];
	int n_iface;
	struct {
		struct wl_fc_addr_key k;
		__u32 cls;
	} * addr;
	size_t n_addr;
	__u32 fields;
	bool has_l34;
};

static void gen_tables_free(struct gen_tables *t)
{
	for (int i = 0; i < WL_FF_N; i++)
		classes_free(&t->cls[i]);
	free(t->port);
	free(t->addr);
}

static bool is_l34(const struct wl_rule *r)
{
	return !(r->fields & WL_RF_L7);
}

static int build_addr(struct gen_tables *t, const struct wl_ruleset *s, const struct wl_fbm *any,
		      int field, bool v6)
{
	__u16 bit = field == WL_FF_SRC ? WL_RF_SRC : WL_RF_DST;
	__u16 l3 = v6 ? ETH_P_IPV6_H : ETH_P_IP_H;
	struct prefix_ent *p = calloc(s->n + 1, sizeof(*p));
	struct wl_fbm *acc = NULL;
	size_t n = 0, *stack = NULL, depth = 0;
	int err = 0;

	if (!p)
		return -ENOMEM;
	p[n++] = (struct prefix_ent){.len = 0, .slot = UINT32_MAX}; /* the root: /0 */
	for (size_t i = 0; i < s->n; i++) {
		const struct wl_rule *r = &s->rules[i].r;

		if (!is_l34(r) || !(r->fields & bit) || r->l3_proto != l3)
			continue;
		memcpy(p[n].addr, bit == WL_RF_SRC ? r->src_addr : r->dst_addr, 16);
		p[n].len = bit == WL_RF_SRC ? r->src_len : r->dst_len;
		p[n].slot = i;
		n++;
	}
	qsort(p, n, sizeof(*p), prefix_cmp);
	acc = calloc(n, sizeof(*acc));
	stack = calloc(n, sizeof(*stack));
	t->addr = realloc(t->addr, (t->n_addr + n) * sizeof(*t->addr));
	if (!acc || !stack || !t->addr) {
		err = -ENOMEM;
		goto out;
	}
	/* Sorted by address then length (host bits are clear), a prefix comes after every prefix
	 * containing it, and those are on the stack: its class is its parent's plus its own
	 * rules. Rules on the same prefix share its entry (marked UINT32_MAX - 1 after the first).
	 */
	for (size_t i = 0; i < n; i++) {
		bool same = i && !memcmp(p[i].addr, p[i - 1].addr, 16) && p[i].len == p[i - 1].len;

		if (same) {
			size_t j = stack[depth - 1]; /* the first of the run is on top */

			if (p[i].slot != UINT32_MAX)
				fbm_set(&acc[j], p[i].slot);
			p[i].slot = UINT32_MAX - 1;
			continue;
		}
		while (depth && !prefix_contains(&p[stack[depth - 1]], &p[i]))
			depth--;
		acc[i] = depth ? acc[stack[depth - 1]] : *any;
		if (p[i].slot != UINT32_MAX)
			fbm_set(&acc[i], p[i].slot);
		stack[depth++] = i;
	}
	for (size_t i = 0; i < n; i++) {
		long cls;

		if (p[i].slot == UINT32_MAX - 1)
			continue;
		cls = class_of(&t->cls[field], &acc[i]);
		if (cls < 0) {
			err = cls;
			goto out;
		}
		memset(&t->addr[t->n_addr], 0, sizeof(t->addr[0]));
		t->addr[t->n_addr].k.len = p[i].len;
		t->addr[t->n_addr].k.kind = (field == WL_FF_SRC ? WL_FC_SRC4 : WL_FC_DST4) +
					    (v6 ? WL_FC_SRC6 - WL_FC_SRC4 : 0);
		memcpy(t->addr[t->n_addr].k.addr, p[i].addr, 16);
		t->addr[t->n_addr].cls = cls;
		t->n_addr++;
	}
out:
	free(p);
	free(acc);
	free(stack);
	return err;
}

static int build_ports(struct gen_tables *t, const struct wl_ruleset *s, const struct wl_fbm *any,
		       int field)
{
	bool dport = field == WL_FF_DPORT;
	struct port_ev *ev = calloc(2 * s->n + 1, sizeof(*ev));
	struct wl_fbm cur = *any;
	size_t n = 0, e = 0;
	int err = 0;

	if (!ev)
		return -ENOMEM;
	for (size_t i = 0; i < s->n; i++) {
		const struct wl_rule *r = &s->rules[i].r;

		if (!is_l34(r) || !(r->fields & (dport ? WL_RF_DPORT : WL_RF_SPORT)))
			continue;
		ev[n++] = (struct port_ev){dport ? r->dport_lo : r->sport_lo, i, true};
		ev[n++] = (struct port_ev){(dport ? r->dport_hi : r->sport_hi) + 1u, i, false};
	}
	qsort(ev, n, sizeof(*ev), port_ev_cmp);
	/* class 0 is `any` (packets without ports); sweep the ports in order */
	for (__u32 port = 0; port < 65536;) {
		__u32 end = 65536;
		long cls;

		while (e < n && ev[e].at <= port) {
			if (ev[e].start)
				fbm_set(&cur, ev[e].slot);
			else
				fbm_clear(&cur, ev[e].slot);
			e++;
		}
		if (e < n && ev[e].at < end)
			end = ev[e].at;
		cls = class_of(&t->cls[field], &cur);
		if (cls < 0) {
			err = cls;
			break;
		}
		for (__u32 q = port; q < end; q++)
			t->port[(dport ? 65536 : 0) + q] = cls;
		port = end;
	}
	free(ev);
	return err;
}

/* meta: direction x family x protocol, each a class of the rules it lets through */
static int build_meta(struct gen_tables *t, const struct wl_ruleset *s, struct wl_fbm *b)
{
	long cls;

	for (int d = 0; d < 2; d++)
		for (int v6 = 0; v6 < 2; v6++)
			for (int l4 = 0; l4 < 256; l4++) {
				memset(b, 0, sizeof(*b));
				for (size_t i = 0; i < s->n; i++) {
					const struct wl_rule *r = &s->rules[i].r;

					if (!is_l34(r) ||
					    !(r->dirs & (d ? WL_RULE_OUT : WL_RULE_IN)))
						continue;
					if (r->l3_proto &&
					    r->l3_proto != (v6 ? ETH_P_IPV6_H : ETH_P_IP_H))
						continue;
					if ((r->fields & WL_RF_PROTO) && r->l4_proto != l4)
						continue;
					if ((r->fields & (WL_RF_SPORT | WL_RF_DPORT)) &&
					    l4 != IPPROTO_TCP && l4 != IPPROTO_UDP)
						continue; /* a port condition needs ports */
					fbm_set(b, i);
				}
				cls = class_of(&t->cls[WL_FF_META], b);
				if (cls < 0)
					return cls;
				t->meta[d * 512 + v6 * 256 + l4] = cls;
			}
	return 0;
}

/* interfaces named by a rule: each its class over the rules without an interface condition */
static int build_ifaces(struct gen_tables *t, const struct wl_ruleset *s, const struct wl_fbm *any,
			struct wl_fbm *b)
{
	long cls;

	for (size_t i = 0; i < s->n; i++) {
		const struct wl_rule *r = &s->rules[i].r;
		int k;

		if (!is_l34(r))
			continue;
		if (r->fields & WL_RF_IFACE) {
			for (k = 0; k < t->n_iface && t->iface[k].ifindex != r->ifindex; k++)
				;
			if (k == t->n_iface) {
				if (k >= 1024) {
					fprintf(stderr, "wirelens: more than 1024 interfaces named "
							"by rules\n");
					return -E2BIG;
				}
				t->iface[t->n_iface++].ifindex = r->ifindex;
			}
		}
	}
	for (int k = 0; k < t->n_iface; k++) {
		*b = any[WL_FF_IFACE];
		for (size_t i = 0; i < s->n; i++)
			if (is_l34(&s->rules[i].r) && (s->rules[i].r.fields & WL_RF_IFACE) &&
			    s->rules[i].r.ifindex == t->iface[k].ifindex)
				fbm_set(b, i);
		cls = class_of(&t->cls[WL_FF_IFACE], b);
		if (cls < 0)
			return cls;
		t->iface[k].cls = cls;
	}
	return 0;
}

/* VLANs named by a rule, the same way */
static int build_vlans(struct gen_tables *t, const struct wl_ruleset *s, const struct wl_fbm *any,
		       struct wl_fbm *b)
{
	long cls;

	if (t->fields & (1u << WL_FF_VLAN)) {
		for (size_t i = 0; i < s->n; i++) {
			const struct wl_rule *r = &s->rules[i].r;

			if (!is_l34(r) || !(r->fields & WL_RF_VLAN) || t->vlan[r->vlan])
				continue;
			*b = any[WL_FF_VLAN];
			for (size_t j = 0; j < s->n; j++)
				if (is_l34(&s->rules[j].r) && (s->rules[j].r.fields & WL_RF_VLAN) &&
				    s->rules[j].r.vlan == r->vlan)
					fbm_set(b, j);
			cls = class_of(&t->cls[WL_FF_VLAN], b);
			if (cls < 0)
				return cls;
			t->vlan[r->vlan] = cls;
		}
	}
	return 0;
}

static int build_tables(struct gen_tables *t, const struct wl_ruleset *s)
{
	struct wl_fbm *any = calloc(WL_FF_N, sizeof(*any)), *b = calloc(1, sizeof(*b));
	static const __u16 field_bit[WL_FF_N] = {0,	    WL_RF_IFACE, WL_RF_VLAN, WL_RF_SRC,
						 WL_RF_DST, WL_RF_SPORT, WL_RF_DPORT};
	int err = 0;

	memset(t, 0, sizeof(*t));
	t->port = calloc(2 * 65536, sizeof(*t->port));
	if (!any || !b || !t->port) {
		err = -ENOMEM;
		goto out;
	}
	/* `any` of a field: the L3/L4 rules without a condition on it (class 0) */
	for (size_t i = 0; i < s->n; i++) {
		const struct wl_rule *r = &s->rules[i].r;

		if (!is_l34(r))
			continue;
		t->has_l34 = true;
		for (int f = 1; f < WL_FF_N; f++) {
			if (r->fields & field_bit[f])
				t->fields |= 1u << f;
			else
				fbm_set(&any[f], i);
		}
	}
	for (int f = 1; f < WL_FF_N; f++)
		if (class_of(&t->cls[f], &any[f]) != 0) {
			err = -ENOMEM;
			goto out;
		}
	err = build_meta(t, s, b);
	if (!err)
		err = build_ifaces(t, s, any, b);
	if (!err)
		err = build_vlans(t, s, any, b);
	for (int f = WL_FF_SRC; f <= WL_FF_DST && !err; f++)
		for (int v6 = 0; v6 < 2 && !err; v6++)
			err = build_addr(t, s, &any[f], f, v6);
	for (int f = WL_FF_SPORT; f <= WL_FF_DPORT && !err; f++)
		if (t->fields & (1u << f))
			err = build_ports(t, s, &any[f], f);
out:
	free(any);
	free(b);
	if (err)
		gen_tables_free(t);
	return err;
}

/* ---- writing ---- */

static int rule_cmp(const void *a, const void *b)
{
	const struct wl_rule_ent *x = a, *y = b;

	if (x->r.priority != y->r.priority)
		return x->r.priority > y->r.priority ? -1 : 1;
	return x->r.id < y->r.id ? -1 : x->r.id > y->r.id;
}

/* Removes the hash/trie entries of generation gen (left by a previous set or a crash). */
static int clear_gen_keys(const struct wl_filter_fds *f, __u32 gen)
{
	union {
		__u32 bm;
		struct wl_fc_iface_key ik;
		struct wl_fc_addr_key ak;
		struct wl_l7_rule_key lk;
	} k, next;
	int fds[4] = {f->bitmaps, f->iface, f->addr, f->l7};

	for (int m = 0; m < 4; m++) {
		void *prev = NULL;

		while (!bpf_map_get_next_key(fds[m], prev, &next)) {
			bool mine;

			k = next;
			switch (m) {
			case 0:
				mine = (k.bm >> 31) == gen;
				break;
			case 1:
				mine = k.ik.gen == gen;
				break;
			case 2:
				mine = k.ak.gen == gen;
				break;
			default:
				mine = k.lk.gen == gen;
				break;
			}
			if (mine) {
				if (bpf_map_delete_elem(fds[m], &k) && errno != ENOENT)
					return -errno;
				/* the iteration restarts: deleting may reorder a hash */
				prev = NULL;
				continue;
			}
			prev = &k;
		}
	}
	return 0;
}

static int clear_gen_slots(const struct wl_filter_fds *f, __u32 gen, __u32 n)
{
	struct wl_rule_stats *zs = calloc(ncpus(), sizeof(*zs));
	struct wl_rule zr = {};

	if (!zs)
		return -ENOMEM;
	for (__u32 slot = 0; slot < n && slot < WL_RULES_MAX; slot++) {
		__u32 idx = gen * WL_RULES_MAX + slot;

		if (bpf_map_update_elem(f->rules, &idx, &zr, BPF_ANY) ||
		    bpf_map_update_elem(f->stats, &idx, zs, BPF_ANY)) {
			free(zs);
			return -errno;
		}
	}
	free(zs);
	return 0;
}

static int array_write(int fd, __u32 base, const __u32 *vals, __u32 n)
{
	__u32 *keys = malloc(n * sizeof(*keys));
	__u32 count = n;
	int err = 0;

	if (!keys)
		return -ENOMEM;
	for (__u32 i = 0; i < n; i++)
		keys[i] = base + i;
	if (bpf_map_update_batch(fd, keys, vals, &count, NULL)) {
		/* kernels or maps without batch updates: one by one */
		for (__u32 i = 0; i < n && !err; i++)
			if (bpf_map_update_elem(fd, &keys[i], &vals[i], BPF_ANY))
				err = -errno;
	}
	free(keys);
	return err;
}

static int l7_entries_write(const struct wl_filter_fds *f, const struct wl_ruleset *s, __u8 gen)
{
	for (size_t i = 0; i < s->n; i++) {
		const struct wl_rule_ent *e = &s->rules[i];

		if (!(e->r.fields & WL_RF_L7))
			continue;
		for (int c = 0; c < e->ncmds; c++) {
			struct wl_l7_rule_key k = {
				.gen = gen, .l7_proto = e->r.l7_proto, .cmd_id = e->cmds[c]};
			struct wl_l7_rule_val v = {};

			if (bpf_map_lookup_elem(f->l7, &k, &v))
				memset(&v, 0, sizeof(v));
			if (v.count >= WL_L7_RULES_PER_CMD) {
				struct wl_cmd_name n = {};
				__u32 id = k.cmd_id;

				bpf_map_lookup_elem(f->cmd_ids, &id, &n);
				n.command[WL_CMD_LEN - 1] = 0;
				fprintf(stderr, "wirelens: more than %d rules name %s command %s\n",
					WL_L7_RULES_PER_CMD, wl_l7_proto_name(k.l7_proto),
					n.command);
				return -E2BIG;
			}
			/* rules are visited in slot order: appending keeps best first */
			v.slot[v.count++] = i;
			if (bpf_map_update_elem(f->l7, &k, &v, BPF_ANY))
				return -errno;
		}
	}
	return 0;
}

static int gen_write(const struct wl_filter_fds *f, const struct wl_ruleset *s,
		     const struct gen_tables *t, __u32 gen)
{
	int err;

	for (size_t i = 0; i < s->n; i++) {
		__u32 idx = gen * WL_RULES_MAX + i;
		struct wl_rule_stats *v = calloc(ncpus(), sizeof(*v));

		if (!v)
			return -ENOMEM;
		if (s->rules[i].old_idx >= 0) {
			__u32 old = s->rules[i].old_idx;

			bpf_map_lookup_elem(f->stats, &old, v);
		}
		err = bpf_map_update_elem(f->rules, &idx, &s->rules[i].r, BPF_ANY) ||
		      bpf_map_update_elem(f->stats, &idx, v, BPF_ANY);
		free(v);
		if (err)
			return -errno;
	}
	err = l7_entries_write(f, s, gen);
	if (err || !t->has_l34)
		return err;
	for (int fld = 0; fld < WL_FF_N; fld++)
		for (__u32 c = 0; c < t->cls[fld].n; c++) {
			__u32 key = WL_FBM_KEY(gen, fld, c);

			if (bpf_map_update_elem(f->bitmaps, &key, &t->cls[fld].bm[c], BPF_ANY))
				return -errno;
		}
	err = array_write(f->meta, WL_FC_META_IDX(gen, 0, 0, 0), t->meta, 1024);
	if (!err && (t->fields & (1u << WL_FF_VLAN)))
		err = array_write(f->vlan, WL_FC_VLAN_IDX(gen, 0), t->vlan, 4096);
	if (!err && (t->fields & ((1u << WL_FF_SPORT) | (1u << WL_FF_DPORT))))
		err = array_write(f->port, WL_FC_PORT_IDX(gen, 0, 0), t->port, 2 * 65536);
	for (int k = 0; !err && k < t->n_iface; k++) {
		struct wl_fc_iface_key ik = {.gen = gen, .ifindex = t->iface[k].ifindex};

		if (bpf_map_update_elem(f->iface, &ik, &t->iface[k].cls, BPF_ANY))
			err = -errno;
	}
	for (size_t k = 0; !err && k < t->n_addr; k++) {
		struct wl_fc_addr_key ak = t->addr[k].k;

		ak.gen = gen;
		if (bpf_map_update_elem(f->addr, &ak, &t->addr[k].cls, BPF_ANY))
			err = -errno;
	}
	/* the lengths in use per kind, longest first (the /0 root is always there) */
	for (__u32 kind = 0; !err && kind < 4; kind++) {
		struct wl_fc_lens l = {};
		__u32 idx = WL_FC_LENS_IDX(gen, kind);

		for (size_t k = 0; k < t->n_addr; k++)
			if (t->addr[k].k.kind == kind && t->addr[k].k.len <= 128)
				l.bits[t->addr[k].k.len / 64] |= 1ULL << (t->addr[k].k.len % 64);
		if (bpf_map_update_elem(f->addr_lens, &idx, &l, BPF_ANY))
			err = -errno;
	}
	return err;
}

/* Adds what the old set's rules counted after the copy (packets between copy and flip). */
static void stats_catch_up(const struct wl_filter_fds *f, const struct wl_ruleset *s, __u32 gen,
			   const struct wl_rule_stats *copied)
{
	int nc = ncpus();
	struct wl_rule_stats *now = calloc(nc, sizeof(*now)), *cur = calloc(nc, sizeof(*cur));

	for (size_t i = 0; now && cur && i < s->n; i++) {
		__u32 old = s->rules[i].old_idx, idx = gen * WL_RULES_MAX + i;
		const struct wl_rule_stats *c0 = &copied[i * nc];
		bool moved = false;

		if (s->rules[i].old_idx < 0 || bpf_map_lookup_elem(f->stats, &old, now) ||
		    bpf_map_lookup_elem(f->stats, &idx, cur))
			continue;
		for (int c = 0; c < nc; c++) {
			__u64 dp = now[c].packets - c0[c].packets, db = now[c].bytes - c0[c].bytes,
			      dc = now[c].connections - c0[c].connections;

			if (dp || db || dc) {
				cur[c].packets += dp;
				cur[c].bytes += db;
				cur[c].connections += dc;
				moved = true;
			}
		}
		if (moved)
			bpf_map_update_elem(f->stats, &idx, cur, BPF_ANY);
	}
	free(now);
	free(cur);
}

int wl_ruleset_repair(const struct wl_filter_fds *f)
{
	struct wl_rule r;
	struct wl_filter_cfg cfg;
	__u32 inactive, n = 0;
	int err = cfg_read(f, &cfg);

	if (err)
		return err;
	inactive = (cfg.gen & 1) ^ 1;
	/* a set fills its slots from 0: the inactive one's are in use up to the first empty one */
	while (n < WL_RULES_MAX) {
		__u32 idx = inactive * WL_RULES_MAX + n;

		if (bpf_map_lookup_elem(f->rules, &idx, &r) || !r.id)
			break;
		n++;
	}
	err = clear_gen_keys(f, inactive);
	if (!err)
		err = clear_gen_slots(f, inactive, n);
	/* blocked connections follow the active set (a change killed before it synced them) */
	if (!err)
		wl_blocked_sync(f->blocked, f->rules, cfg.gen & 1);
	return err;
}

int wl_ruleset_write(const struct wl_filter_fds *f, struct wl_ruleset *s)
{
	struct wl_filter_cfg cfg, next;
	struct gen_tables t;
	struct wl_rule_stats *copied = NULL;
	__u32 zero = 0, gen, old_gen;
	bool has_l7 = false;
	int err, nc = ncpus();

	if (s->n > WL_RULES_MAX) {
		fprintf(stderr, "wirelens: too many rules (%zu, at most %d)\n", s->n, WL_RULES_MAX);
		return -E2BIG;
	}
	err = cfg_read(f, &cfg);
	if (err) {
		fprintf(stderr, "wirelens: cannot read the filter configuration: %s\n",
			strerror(-err));
		return err;
	}
	qsort(s->rules, s->n, sizeof(*s->rules), rule_cmp);
	for (size_t i = 0; i < s->n; i++)
		has_l7 |= !!(s->rules[i].r.fields & WL_RF_L7);
	err = build_tables(&t, s);
	if (err) {
		fprintf(stderr, "wirelens: cannot compute the rule classes: %s\n", strerror(-err));
		return err;
	}
	old_gen = cfg.gen & 1;
	gen = old_gen ^ 1;
	copied = calloc(s->n * nc + 1, sizeof(*copied));
	err = copied ? 0 : -ENOMEM;
	/* the inactive set may hold leftovers of an interrupted change */
	if (!err)
		err = clear_gen_keys(f, gen);
	if (!err)
		err = gen_write(f, s, &t, gen);
	for (size_t i = 0; !err && i < s->n; i++) {
		__u32 idx = gen * WL_RULES_MAX + i;

		bpf_map_lookup_elem(f->stats, &idx, &copied[i * nc]);
	}
	if (!err) {
		struct wl_filter_gen g = {
			.policy = s->policy, .has_l34 = t.has_l34, .fields = t.fields};

		if (bpf_map_update_elem(f->gen, &gen, &g, BPF_ANY))
			err = -errno;
	}
	if (err) {
		if (err == -E2BIG)
			fprintf(stderr, "wirelens: the rule set does not fit the maps\n");
		else
			fprintf(stderr, "wirelens: cannot write the rule set: %s\n",
				strerror(-err));
		clear_gen_keys(f, gen);
		gen_tables_free(&t);
		free(copied);
		return err;
	}
	next = cfg;
	next.gen = gen;
	next.policy = s->policy;
	next.has_l34 = t.has_l34 || s->policy == WL_ACT_DENY;
	next.has_l7 = has_l7;
	/* blocks outlive their rules (blocked.c); one made by the old set after the count is
	 * covered by the old set's has_l7, re-examined at the next change */
	next.check_blocked = cfg.has_l7 || wl_blocked_count(f->blocked) > 0;
	next.rules = s->n;
	next.next_id = s->next_id ? s->next_id : 1;
	/* a kill up to here leaves the old set active, whole; the inactive one's leftovers are
	 * cleared by the next rule command (wl_ruleset_repair) */
	wl_test_stall("rule-written");
	if (bpf_map_update_elem(f->cfg, &zero, &next, BPF_ANY)) {
		err = -errno;
		fprintf(stderr, "wirelens: cannot switch to the new rule set: %s\n",
			strerror(-err));
		clear_gen_keys(f, gen);
		gen_tables_free(&t);
		free(copied);
		return err;
	}
	/* the new set is live (ids up to next_id are spent with it): counters that moved on the
	 * old one since the copy, then the old set goes; a kill from here on leaves the new set
	 * active and the old one for wl_ruleset_repair */
	wl_test_stall("rule-flipped");
	stats_catch_up(f, s, gen, copied);
	/* connections blocked by L7 rules: their stats index follows their rule (blocked.c) */
	wl_blocked_sync(f->blocked, f->rules, gen);
	clear_gen_keys(f, old_gen);
	clear_gen_slots(f, old_gen, cfg.rules);
	for (size_t i = 0; i < s->n; i++)
		s->rules[i].old_idx = gen * WL_RULES_MAX + i;
	gen_tables_free(&t);
	free(copied);
	return 0;
}
