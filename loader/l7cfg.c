// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include <json-c/json.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "l7cfg.h"
#include "params.h"
#include "attach.h"
#include "wl_xdp.skel.h"
#include "wl_proto_names.h" /* made by the Makefile: each header of loader/names */

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

#define NAMES(a) a, ARRAY_LEN(a)

/* The registry (maps/wirelens.h) as the loader needs it. */
static const struct {
	unsigned int proto;
	const char *name;
	__u16 ports[4];
	const char *const *names;
	size_t n_names;
} protos[] = {
#define WL_L7_CFG_ENTRY(name, ENUM, id, flags, ...)                                                \
	{WL_L7_##ENUM, #name, {__VA_ARGS__}, NAMES(name##_commands)},
	WL_L7_PROTOCOLS(WL_L7_CFG_ENTRY)
#undef WL_L7_CFG_ENTRY
};
_Static_assert(ARRAY_LEN(protos) == WL_L7_PROTO_MAX - 1, "one line per protocol");

const char *wl_l7_proto_name(unsigned int proto)
{
	for (size_t i = 0; i < ARRAY_LEN(protos); i++)
		if (protos[i].proto == proto)
			return protos[i].name;
	return NULL;
}

unsigned int wl_l7_proto_by_name(const char *name)
{
	for (size_t i = 0; i < ARRAY_LEN(protos); i++)
		if (!strcasecmp(protos[i].name, name))
			return protos[i].proto;
	if (!strcasecmp(name, "postgres"))
		return WL_L7_POSTGRES;
	return 0;
}

const char *wl_l7_proto_list(const char *sep)
{
	static char list[256];

	list[0] = 0;
	for (size_t i = 0; i < ARRAY_LEN(protos); i++)
		snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s%s", i ? sep : "",
			 protos[i].name);
	return list;
}

int wl_l7_proto_mask_parse(const char *list, __u32 *mask)
{
	char buf[256], *save = NULL, *tok;

	if (snprintf(buf, sizeof(buf), "%s", list) >= (int)sizeof(buf))
		return -E2BIG;
	*mask = 0;
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		unsigned int p = wl_l7_proto_by_name(tok);

		if (!p) {
			fprintf(stderr, "wirelens: unknown protocol '%s' (known: %s)\n", tok,
				wl_l7_proto_list(", "));
			return -EINVAL;
		}
		*mask |= 1u << p;
	}
	return 0;
}

int wl_l7_ports_parse(const char *spec, unsigned int *proto, __u32 *ports, int max)
{
	char buf[256], *list, *eq, *tok, *save = NULL;
	int n = 0;

	if (snprintf(buf, sizeof(buf), "%s", spec) >= (int)sizeof(buf))
		return -E2BIG;
	eq = strchr(buf, '=');
	if (!eq)
		return -EINVAL;
	*eq = 0;
	list = eq + 1;
	*proto = wl_l7_proto_by_name(buf);
	if (!*proto)
		return -EINVAL;
	for (tok = strtok_r(list, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		unsigned long long p;

		if (wl_params_number(tok, 1, 65535, &p) || n >= max)
			return -EINVAL;
		ports[n++] = p;
	}
	return n ? n : -EINVAL;
}

int wl_l7_names_duplicates(void)
{
	int dups = 0;

	for (size_t p = 0; p < ARRAY_LEN(protos); p++)
		for (size_t i = 0; i < protos[p].n_names; i++)
			for (size_t j = i + 1; j < protos[p].n_names; j++)
				if (protos[p].names[i][0] &&
				    !strcmp(protos[p].names[i], protos[p].names[j])) {
					fprintf(stderr, "wirelens: %s name '%s' listed twice\n",
						protos[p].name, protos[p].names[i]);
					dups++;
				}
	return dups;
}

static int is_container(const char *name)
{
	for (size_t i = 0; i < ARRAY_LEN(redis_containers); i++)
		if (!strcmp(redis_containers[i], name))
			return 1;
	return 0;
}

static int put_name(int names_fd, int ids_fd, unsigned int proto, const char *name, __u16 id,
		    __u16 flags)
{
	struct wl_cmd_name_key k;
	struct wl_cmd_name_val v = {.id = id, .flags = flags};
	struct wl_cmd_name n;
	__u32 idx = id;

	memset(&k, 0, sizeof(k));
	memset(&n, 0, sizeof(n));
	k.l7_proto = proto;
	strncpy(k.command, name, WL_CMD_LEN - 1);
	strncpy(n.command, name, WL_CMD_LEN - 1);
	if (bpf_map_update_elem(ids_fd, &idx, &n, BPF_ANY))
		return -errno;
	if (proto && bpf_map_update_elem(names_fd, &k, &v, BPF_ANY))
		return -errno;
	return 0;
}

int wl_l7_names_load(int names_fd, int ids_fd)
{
	__u16 id = WL_CMD_OTHER;
	int err;

	err = put_name(names_fd, ids_fd, 0, "OTHER", id++, 0);
	for (size_t p = 0; !err && p < ARRAY_LEN(protos); p++) {
		for (size_t i = 0; !err && i < protos[p].n_names; i++) {
			const char *name = protos[p].names[i];
			__u16 flags = 0;

			if (!*name || !strcmp(name, "OTHER"))
				continue; /* "": a name the parser cannot emit (too long) */
			if (id >= WL_CMD_IDS_MAX)
				return -E2BIG;
			if (protos[p].proto == WL_L7_REDIS && is_container(name))
				flags = WL_CMD_F_CONTAINER;
			err = put_name(names_fd, ids_fd, protos[p].proto, name, id++, flags);
		}
	}
	return err;
}

int wl_l7_ports_defaults(int ports_fd)
{
	for (size_t i = 0; i < ARRAY_LEN(protos); i++) {
		for (size_t j = 0; j < ARRAY_LEN(protos[i].ports) && protos[i].ports[j]; j++) {
			__u32 port = protos[i].ports[j];
			__u8 cur = 0, val = protos[i].proto;

			if (!bpf_map_lookup_elem(ports_fd, &port, &cur) && cur)
				continue; /* configured (or learned) already */
			if (bpf_map_update_elem(ports_fd, &port, &val, BPF_ANY))
				return -errno;
		}
	}
	return 0;
}

/* Ports the ports map holds as learned (one batch lookup of the 64 Ki entries). */
static int learned_count(int ports_fd)
{
	__u32 count = 65536, out = 0, *keys = calloc(count, sizeof(*keys));
	__u8 *vals = calloc(count, 1);
	int n = 0;

	if (!keys || !vals) {
		free(keys);
		free(vals);
		return -ENOMEM;
	}
	if (bpf_map_lookup_batch(ports_fd, NULL, &out, keys, vals, &count, NULL) &&
	    errno != ENOENT) {
		n = -errno;
	} else {
		for (__u32 i = 0; i < count; i++)
			n += !!(vals[i] & WL_PORT_LEARNED);
	}
	free(keys);
	free(vals);
	return n;
}

int wl_l7_sniff_set(int sniff_fd, int ports_fd, long learn_max)
{
	struct wl_sniff s = {};
	__u32 zero = 0;
	int learned = learned_count(ports_fd);

	if (learned < 0)
		return learned;
	if (bpf_map_lookup_elem(sniff_fd, &zero, &s))
		return -errno;
	if (learn_max >= 0) {
		s.learn_max = learn_max;
		s.configured = 1;
	} else if (!s.configured) {
		s.learn_max = WL_LEARNED_PORTS_DEFAULT;
		s.configured = 1;
	}
	s.learned = learned;
	return bpf_map_update_elem(sniff_fd, &zero, &s, BPF_ANY) ? -errno : 0;
}

int wl_l7_sniff_recount(int ports_fd)
{
	int fd = wl_map_open("wl_sniff"), err;

	if (fd < 0)
		return 0; /* pins of a build without the bound */
	err = wl_l7_sniff_set(fd, ports_fd, -1);
	close(fd);
	return err;
}

int wl_l7_info_read_pinned(struct wl_l7_info *info)
{
	int fd = wl_map_open("wl_l7_info"), err;

	if (fd < 0)
		return fd;
	err = wl_l7_info_read(fd, info);
	close(fd);
	return err;
}

int wl_l7_sniff_read(struct wl_sniff *s)
{
	int fd = wl_map_open_ro("wl_sniff"), err = 0; /* the exporter's too: read-only */
	__u32 zero = 0;

	memset(s, 0, sizeof(*s));
	if (fd < 0)
		return fd;
	if (bpf_map_lookup_elem(fd, &zero, s))
		err = -errno;
	close(fd);
	return err;
}

int wl_l7_config_init(const struct wl_progs *p)
{
	int err = wl_l7_names_load(bpf_map__fd(p->xdp->maps.wl_cmd_names),
				   bpf_map__fd(p->xdp->maps.wl_cmd_ids));

	if (!err)
		err = wl_l7_ports_defaults(wl_map_ports_fd(p));
	return err ? err : wl_l7_sniff_set(wl_map_sniff_fd(p), wl_map_ports_fd(p), -1);
}

/* The sniffing line of `status`: learned ports against the bound, sniffs refused by it. */
static void sniff_status(json_object *root)
{
	struct wl_sniff s;

	if (wl_l7_sniff_read(&s))
		return; /* pins of a build without the bound */
	if (root) {
		json_object *o = json_object_new_object();

		json_object_object_add(o, "learned_ports", json_object_new_int64(s.learned));
		json_object_object_add(o, "learned_ports_max", json_object_new_int64(s.learn_max));
		json_object_object_add(o, "l7_sniff_refused", json_object_new_uint64(s.refused));
		json_object_object_add(root, "sniffing", o);
	} else {
		printf("sniffing: %u of at most %u ports learned (attach --learned-ports-max), "
		       "l7_sniff_refused %llu\n",
		       s.learned, s.learn_max, (unsigned long long)s.refused);
	}
}

int wl_l7_status(json_object *root)
{
	struct wl_l7_info info[WL_L7_PROTO_MAX];
	json_object *arr;
	int err = wl_l7_info_read_pinned(info);

	if (err)
		return err;
	arr = root ? json_object_new_array() : NULL;
	if (!root)
		printf("protocols:\n");
	for (size_t i = 0; i < ARRAY_LEN(protos); i++) {
		const struct wl_l7_info *st = &info[protos[i].proto];

		if (root) {
			json_object *o = json_object_new_object(), *v;

			json_object_object_add(o, "name", json_object_new_string(protos[i].name));
			json_object_object_add(o, "loaded", json_object_new_boolean(st->loaded));
			json_object_object_add(o, "wanted", json_object_new_boolean(st->wanted));
			if (st->loaded) {
				v = json_object_new_object();
				json_object_object_add(
					v, "xdp", json_object_new_int64(st->verified_insns[0]));
				json_object_object_add(
					v, "tc", json_object_new_int64(st->verified_insns[1]));
				json_object_object_add(o, "verified_insns", v);
			} else {
				json_object_object_add(o, "reason",
						       json_object_new_string(st->reason));
			}
			json_object_array_add(arr, o);
		} else if (st->loaded) {
			printf("  %-11s loaded   verified in %u (xdp) / %u (tc) instructions\n",
			       protos[i].name, st->verified_insns[0], st->verified_insns[1]);
		} else {
			printf("  %-11s %-8s %s\n", protos[i].name,
			       st->wanted ? "refused" : "left out",
			       st->wanted ? st->reason
					  : "not asked for (attach --protocols/--no-l7)");
		}
	}
	if (root)
		json_object_object_add(root, "protocols", arr);
	sniff_status(root);
	return 0;
}
