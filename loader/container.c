// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Containers of interfaces and addresses (container.h). A container is what the kernel says:
 * a network namespace, the processes living in it and their cgroup. The runtime is only read,
 * for a name, from the state files it keeps for itself.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <linux/net_namespace.h>
#include <linux/rtnetlink.h>
#include <netlink/netlink.h>
#include <netlink/msg.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>

#include "attach.h"
#include "container.h"
#include "netns.h"

/* ---- cgroup paths ---- */

static bool all_hex(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!isxdigit((unsigned char)s[i]) || isupper((unsigned char)s[i]))
			return false;
	return n > 0;
}

/* "PREFIX<64 hex>SUFFIX": the id into id (65 bytes). */
static bool id_between(const char *comp, const char *prefix, const char *suffix, char *id)
{
	size_t lp = strlen(prefix), ls = strlen(suffix), lc = strlen(comp);

	if (lc != lp + 64 + ls || strncmp(comp, prefix, lp) || strcmp(comp + lc - ls, suffix) ||
	    !all_hex(comp + lp, 64))
		return false;
	memcpy(id, comp + lp, 64);
	id[64] = 0;
	return true;
}

/* A pod uid as the kubelet writes it in a cgroup: 36 characters, '-' or (systemd) '_'. */
static bool pod_uid(const char *s, size_t n, char *out)
{
	if (n != 36)
		return false;
	for (size_t i = 0; i < n; i++) {
		bool dash = i == 8 || i == 13 || i == 18 || i == 23;

		if (dash ? s[i] != '-' && s[i] != '_' : !all_hex(s + i, 1))
			return false;
		out[i] = dash ? '-' : s[i];
	}
	out[n] = 0;
	return true;
}

/* kubepods[-QOS]-pod<UID>.slice (systemd driver) or pod<UID> under kubepods (cgroupfs). */
static bool pod_component(const char *comp, bool under_kubepods, char *uid)
{
	const char *p;
	size_t n = strlen(comp);

	if (!strncmp(comp, "kubepods", 8) && n > 6 && !strcmp(comp + n - 6, ".slice") &&
	    (p = strstr(comp, "-pod")))
		return pod_uid(p + 4, comp + n - 6 - (p + 4), uid);
	return under_kubepods && !strncmp(comp, "pod", 3) && pod_uid(comp + 3, n - 3, uid);
}

int wl_container_parse_cgroup(const char *path, struct wl_container *out)
{
	static const struct {
		const char *prefix, *suffix, *runtime;
	} scopes[] = {
		{"docker-", ".scope", "docker"},
		{"libpod-", ".scope", "podman"},
		{"cri-containerd-", ".scope", "containerd"},
		{"crio-", ".scope", "cri-o"},
		{"nerdctl-", ".scope", "nerdctl"},
		{"libpod-", "", "podman"}, /* podman's cgroupfs manager: /libpod_parent/libpod-ID */
	};
	char buf[512], *comp[64], *save = NULL, *tok;
	int n = 0, at = -1, pod_at = -1;
	bool kube = false;

	memset(out, 0, sizeof(*out));
	snprintf(buf, sizeof(buf), "%s", path);
	for (tok = strtok_r(buf, "/", &save); tok && n < 64; tok = strtok_r(NULL, "/", &save))
		comp[n++] = tok;
	/* the innermost component that names a container (podman nests its processes one
	 * level deeper, in .../libpod-ID.scope/container) */
	for (int i = n - 1; i >= 0 && at < 0; i--) {
		for (size_t s = 0; s < sizeof(scopes) / sizeof(scopes[0]); s++)
			if (id_between(comp[i], scopes[s].prefix, scopes[s].suffix, out->id)) {
				snprintf(out->runtime, sizeof(out->runtime), "%s",
					 scopes[s].runtime);
				at = i;
				break;
			}
		if (at >= 0)
			break;
		if (!strncmp(comp[i], "lxc.payload.", 12) && comp[i][12]) {
			snprintf(out->runtime, sizeof(out->runtime), "lxc");
			snprintf(out->name, sizeof(out->name), "%s", comp[i] + 12);
			at = i;
		} else if (i > 0 && strlen(comp[i]) == 64 && all_hex(comp[i], 64)) {
			/* cgroupfs drivers: /docker/ID, /kubepods/QOS/pod<UID>/ID */
			char uid[40];
			bool under_kubepods = false;

			for (int k = 0; k < i - 1; k++)
				under_kubepods |= !strncmp(comp[k], "kubepods", 8);
			if (!strcmp(comp[i - 1], "docker"))
				snprintf(out->runtime, sizeof(out->runtime), "docker");
			else if (pod_component(comp[i - 1], under_kubepods, uid))
				snprintf(out->runtime, sizeof(out->runtime), "kubernetes");
			else
				continue;
			snprintf(out->id, sizeof(out->id), "%s", comp[i]);
			at = i;
		}
	}
	for (int i = 0; i < n && (at < 0 || i < at); i++) {
		if (!strncmp(comp[i], "kubepods", 8))
			kube = true;
		if (pod_component(comp[i], kube, out->pod_uid)) {
			pod_at = i;
			break;
		}
	}
	if (at < 0 && pod_at < 0)
		return 0;
	if (at < 0) { /* a pod's own cgroup */
		snprintf(out->runtime, sizeof(out->runtime), "kubernetes");
		at = pod_at;
	}
	for (int i = 0, len = 0; i <= at && len < (int)sizeof(out->cgroup); i++)
		len += snprintf(out->cgroup + len, sizeof(out->cgroup) - len, "/%s", comp[i]);
	return 1;
}

/* The container of a process: its cgroup v2 line first, then the v1 hierarchies (a hybrid
 * host's runtime with the cgroupfs driver writes only those). */
static int container_of_pid(int pid, struct wl_container *out)
{
	char path[64], line[1024];
	int found = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/cgroup", pid);
	f = fopen(path, "re");
	if (!f)
		return 0;
	for (int pass = 0; pass < 2 && !found; pass++) {
		rewind(f);
		while (!found && fgets(line, sizeof(line), f)) {
			char *p = strchr(line, ':'), *q = p ? strchr(p + 1, ':') : NULL;
			bool v2 = !strncmp(line, "0::", 3);

			if (!q || v2 != !pass)
				continue;
			q[strcspn(q, "\n")] = 0;
			found = wl_container_parse_cgroup(q + 1, out);
		}
	}
	fclose(f);
	return found;
}

/* ---- the runtimes' names ---- */

/* path under $WIRELENS_HOST_ROOT */
static const char *host_path(char *buf, size_t len, const char *fmt, const char *id)
{
	const char *root = getenv("WIRELENS_HOST_ROOT");
	int n = snprintf(buf, len, "%s", root ? root : "");

	if (n > 0 && buf[n - 1] == '/')
		buf[--n] = 0;
	snprintf(buf + n, len - n, fmt, id);
	return buf;
}

static const char *json_str(json_object *o, const char *key)
{
	json_object *v;

	return o && json_object_object_get_ex(o, key, &v) &&
			       json_object_is_type(v, json_type_string)
		       ? json_object_get_string(v)
		       : NULL;
}

/* The OCI config.json of a CRI/nerdctl container: its annotations object (owned by *root). */
static json_object *oci_annotations(const struct wl_container *c, json_object **root)
{
	static const char *const where[] = {
		"/run/containerd/io.containerd.runtime.v2.task/k8s.io/%s/config.json",
		"/run/containerd/io.containerd.runtime.v2.task/default/%s/config.json",
		"/run/containers/storage/overlay-containers/%s/userdata/config.json",
	};
	char path[512];
	json_object *a;

	*root = NULL;
	for (size_t i = 0; i < sizeof(where) / sizeof(where[0]) && !*root; i++)
		*root = json_object_from_file(host_path(path, sizeof(path), where[i], c->id));
	return *root && json_object_object_get_ex(*root, "annotations", &a) ? a : NULL;
}

/* The pod's "namespace/name" from a container's CRI annotations (containerd's, CRI-O's). */
static bool pod_name(json_object *a, char *buf, size_t len)
{
	const char *pod = json_str(a, "io.kubernetes.cri.sandbox-name")
				  ?: json_str(a, "io.kubernetes.pod.name"),
		   *ns = json_str(a, "io.kubernetes.cri.sandbox-namespace")
				 ?: json_str(a, "io.kubernetes.pod.namespace");

	if (!pod)
		return false;
	snprintf(buf, len, "%s%s%s", ns ? ns : "", ns ? "/" : "", pod);
	return true;
}

/* The runtime's name of one container (of its pod when as_pod), "" when its state has none. */
static void read_name(struct wl_container *c, bool as_pod)
{
	char path[512];
	json_object *root = NULL, *a;

	if (c->name[0] || !c->id[0])
		return;
	if (!strcmp(c->runtime, "docker")) {
		const char *name;

		root = json_object_from_file(host_path(
			path, sizeof(path), "/var/lib/docker/containers/%s/config.v2.json", c->id));
		name = json_str(root, "Name");
		if (name)
			snprintf(c->name, sizeof(c->name), "%s", name + (name[0] == '/'));
	} else if (!strcmp(c->runtime, "podman")) {
		root = json_object_from_file(host_path(
			path, sizeof(path),
			"/var/lib/containers/storage/overlay-containers/containers.json%s", ""));
		for (size_t i = 0; json_object_is_type(root, json_type_array) &&
				   i < json_object_array_length(root);
		     i++) {
			json_object *e = json_object_array_get_idx(root, i), *names;
			const char *id = json_str(e, "id");

			if (id && !strcmp(id, c->id) &&
			    json_object_object_get_ex(e, "names", &names) &&
			    json_object_array_length(names) > 0) {
				snprintf(c->name, sizeof(c->name), "%s",
					 json_object_get_string(
						 json_object_array_get_idx(names, 0)));
				break;
			}
		}
	} else if ((a = oci_annotations(c, &root))) {
		const char *type = json_str(a, "io.kubernetes.cri.container-type")
					   ?: json_str(a, "io.kubernetes.cri-o.ContainerType"),
			   *name = json_str(a, "io.kubernetes.cri.container-name")
					   ?: json_str(a, "io.kubernetes.container.name")
						      ?: json_str(a, "nerdctl/name");
		char pod[128];

		if ((as_pod || (type && !strcmp(type, "sandbox"))) && pod_name(a, pod, sizeof(pod)))
			snprintf(c->name, sizeof(c->name), "%s", pod);
		else if (name && pod_name(a, pod, sizeof(pod)))
			snprintf(c->name, sizeof(c->name), "%s/%s", pod, name);
		else if (name)
			snprintf(c->name, sizeof(c->name), "%s", name);
	}
	json_object_put(root);
}

/* ---- network namespaces and their processes ---- */

struct ns_entry {
	dev_t dev;
	ino_t ino;
	char open_path[300]; /* /run/netns/NAME or /proc/PID/ns/net */
	char name[64];	     /* /run/netns name */
	int *pids;	     /* the processes in it (not kept for the host's) */
	int n_pids, cap_pids;
	bool examined, is_container, addrs_read;
	struct wl_container c;
	ino_t nsid_query; /* the namespace nsid was asked in */
	int nsid;
	struct ns_addr {
		int family;
		unsigned char a[16];
	} * addrs;
	size_t n_addrs;
};

static struct {
	struct ns_entry **v; /* each entry its own allocation: pointers to them stay valid */
	size_t n, cap;
	bool scanned;
	dev_t host_dev;
	ino_t host_ino;
	/* when wirelens itself runs in a container (its PID 1 in one), that one is the host:
	 * every namespace made inside it would otherwise carry its name */
	struct wl_container host_c;
	bool host_in_container;
} nss;

static struct ns_entry *ns_find(dev_t dev, ino_t ino, bool add)
{
	struct ns_entry *ns;

	for (size_t i = 0; i < nss.n; i++)
		if (nss.v[i]->ino == ino && nss.v[i]->dev == dev)
			return nss.v[i];
	if (!add)
		return NULL;
	if (nss.n == nss.cap) {
		size_t cap = nss.cap ? 2 * nss.cap : 64;
		struct ns_entry **v = realloc(nss.v, cap * sizeof(*v));

		if (!v)
			return NULL;
		nss.v = v;
		nss.cap = cap;
	}
	ns = calloc(1, sizeof(*ns));
	if (!ns)
		return NULL;
	ns->dev = dev;
	ns->ino = ino;
	ns->nsid_query = (ino_t)-1;
	nss.v[nss.n++] = ns;
	return ns;
}

/* Every namespace with a process or a /run/netns name, once per run. */
static void ns_scan(void)
{
	struct dirent *e;
	struct stat st;
	char path[300];
	DIR *d;

	if (nss.scanned)
		return;
	nss.scanned = true;
	if (!stat("/proc/1/ns/net", &st)) {
		nss.host_dev = st.st_dev;
		nss.host_ino = st.st_ino;
	}
	nss.host_in_container = container_of_pid(1, &nss.host_c);
	if ((d = opendir("/run/netns"))) {
		while ((e = readdir(d))) {
			struct ns_entry *ns;

			snprintf(path, sizeof(path), "/run/netns/%s", e->d_name);
			if (e->d_name[0] == '.' || stat(path, &st) ||
			    !(ns = ns_find(st.st_dev, st.st_ino, true)))
				continue;
			snprintf(ns->name, sizeof(ns->name), "%.*s", (int)sizeof(ns->name) - 1,
				 e->d_name); /* as netns.c names pins */
			snprintf(ns->open_path, sizeof(ns->open_path), "%s", path);
		}
		closedir(d);
	}
	if (!(d = opendir("/proc")))
		return;
	while ((e = readdir(d))) {
		struct ns_entry *ns;

		if (!isdigit((unsigned char)e->d_name[0]))
			continue;
		snprintf(path, sizeof(path), "/proc/%s/ns/net", e->d_name);
		if (stat(path, &st) || !(ns = ns_find(st.st_dev, st.st_ino, true)))
			continue;
		if (!ns->open_path[0])
			snprintf(ns->open_path, sizeof(ns->open_path), "%s", path);
		if (ns->ino == nss.host_ino && ns->dev == nss.host_dev)
			continue;
		if (ns->n_pids == ns->cap_pids) {
			int cap = ns->cap_pids ? 2 * ns->cap_pids : 16, *v;

			v = realloc(ns->pids, cap * sizeof(*v));
			if (!v)
				continue;
			ns->pids = v;
			ns->cap_pids = cap;
		}
		ns->pids[ns->n_pids++] = atoi(e->d_name);
	}
	closedir(d);
}

static int cmp_label(const void *a, const void *b)
{
	return strcmp(a, b);
}

/* Who the namespace belongs to: the containers of its processes (one: that container; several
 * of one pod: the pod; several others: all their names, no id). The host's is nobody's. */
static const struct wl_container *ns_container(struct ns_entry *ns)
{
	struct wl_container found[8];
	int n = 0;
	bool one_pod = true;

	if (ns->examined)
		return ns->is_container ? &ns->c : NULL;
	ns->examined = true;
	if (ns->ino == nss.host_ino && ns->dev == nss.host_dev)
		return NULL;
	for (int i = 0; i < ns->n_pids && n < 8; i++) {
		struct wl_container c;
		bool seen = false;

		if (!container_of_pid(ns->pids[i], &c) ||
		    (nss.host_in_container && !strcmp(c.cgroup, nss.host_c.cgroup)))
			continue;
		for (int k = 0; k < n; k++)
			seen |= !strcmp(found[k].cgroup, c.cgroup);
		if (!seen)
			found[n++] = c;
	}
	if (!n)
		return NULL;
	for (int k = 1; k < n; k++)
		one_pod &= found[0].pod_uid[0] && !strcmp(found[k].pod_uid, found[0].pod_uid);
	ns->c = found[0];
	if (n == 1) {
		read_name(&ns->c, false);
	} else if (one_pod) {
		char *cut;

		ns->c.id[0] = ns->c.name[0] = 0;
		for (int k = 0; k < n && !ns->c.name[0]; k++) { /* any container names its pod */
			struct wl_container tmp = found[k];

			read_name(&tmp, true);
			snprintf(ns->c.name, sizeof(ns->c.name), "%s", tmp.name);
		}
		/* the pod's own cgroup: the path up to the component with its uid */
		for (char *p = ns->c.cgroup; (cut = strchr(p + 1, '/')); p = cut) {
			char uid[40], comp[256];

			snprintf(comp, sizeof(comp), "%.*s", (int)(cut - p - 1), p + 1);
			if (pod_component(comp, true, uid)) {
				*cut = 0;
				break;
			}
		}
	} else { /* containers sharing one namespace (docker --network container:X) */
		char labels[8][200];
		int len = 0;

		ns->c.id[0] = ns->c.pod_uid[0] = ns->c.cgroup[0] = 0;
		for (int k = 0; k < n; k++) {
			read_name(&found[k], false);
			if (strcmp(found[k].runtime, ns->c.runtime))
				snprintf(ns->c.runtime, sizeof(ns->c.runtime), "mixed");
			wl_container_label(&found[k], labels[k], sizeof(labels[k]));
		}
		qsort(labels, n, sizeof(labels[0]), cmp_label); /* the same names every time */
		for (int k = 0; k < n && len < (int)sizeof(ns->c.name); k++)
			len += snprintf(ns->c.name + len, sizeof(ns->c.name) - len, "%s%s",
					k ? "," : "", labels[k]);
	}
	snprintf(ns->c.netns, sizeof(ns->c.netns), "%s", ns->name);
	ns->is_container = true;
	return &ns->c;
}

/* Runs fn in the namespace of fd, then back where the thread was. */
static int run_in(int fd, int (*fn)(void *), void *arg)
{
	int here = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC), ret;

	if (here < 0)
		return -errno;
	if (setns(fd, CLONE_NEWNET)) {
		ret = -errno;
		close(here);
		return ret;
	}
	ret = fn(arg);
	if (setns(here, CLONE_NEWNET)) {
		perror("wirelens: setns back"); /* carrying on in the wrong namespace would mislead
						 */
		exit(1);
	}
	close(here);
	return ret;
}

static int open_self(void *arg)
{
	*(int *)arg = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	return 0;
}

/* An fd of the namespace a pin tag names ("" / NULL: the caller's own), or -1. */
static int open_tag(const char *tag)
{
	unsigned long ino;
	int fd = -1;

	if (tag && !tag[0])
		tag = NULL;
	if (tag && sscanf(tag, "ino%lu", &ino) == 1) {
		ns_scan();
		for (size_t i = 0; i < nss.n; i++)
			if (nss.v[i]->ino == ino && nss.v[i]->open_path[0])
				return open(nss.v[i]->open_path, O_RDONLY | O_CLOEXEC);
		return -1;
	}
	if (wl_netns_run(tag, open_self, &fd))
		return -1;
	return fd;
}

static struct ns_entry *ns_of_fd(int fd)
{
	struct stat st;

	ns_scan();
	return fstat(fd, &st) ? NULL : ns_find(st.st_dev, st.st_ino, true);
}

static int nsid_reply(struct nl_msg *msg, void *arg)
{
	struct nlattr *tb[NETNSA_MAX + 1];

	if (!nlmsg_parse(nlmsg_hdr(msg), sizeof(struct rtgenmsg), tb, NETNSA_MAX, NULL) &&
	    tb[NETNSA_NSID])
		*(int *)arg = (int)nla_get_u32(tb[NETNSA_NSID]);
	return NL_OK;
}

/* The id the namespace of sk gives the namespace at path (RTM_GETNSID), -1 when none. */
static int nsid_of(struct nl_sock *sk, const char *path)
{
	struct rtgenmsg g = {.rtgen_family = AF_UNSPEC};
	struct nl_msg *m = nlmsg_alloc_simple(RTM_GETNSID, NLM_F_REQUEST);
	int fd = open(path, O_RDONLY | O_CLOEXEC), nsid = -1;

	if (m && fd >= 0 && !nlmsg_append(m, &g, sizeof(g), NLMSG_ALIGNTO) &&
	    !nla_put_u32(m, NETNSA_FD, fd) && nl_send_auto(sk, m) >= 0) {
		nl_socket_modify_cb(sk, NL_CB_VALID, NL_CB_CUSTOM, nsid_reply, &nsid);
		if (nl_recvmsgs_default(sk) < 0)
			nsid = -1;
	}
	if (m)
		nlmsg_free(m);
	if (fd >= 0)
		close(fd);
	return nsid;
}

struct peer_query {
	int ifindex;
	ino_t here;	       /* the namespace asked in */
	struct ns_entry *peer; /* out: the namespace of a veth's peer */
	bool veth, other_ns;   /* out: a veth; its peer is in another namespace */
	int peer_ifindex;      /* out: IFLA_LINK, the peer's ifindex in its namespace */
};

static int find_peer(void *arg)
{
	struct peer_query *q = arg;
	struct nl_sock *sk = nl_socket_alloc();
	struct rtnl_link *link = NULL;
	const char *kind;
	int32_t nsid = -1;

	if (!sk)
		return -ENOMEM;
	nl_socket_disable_auto_ack(sk);
	if (nl_connect(sk, NETLINK_ROUTE) || rtnl_link_get_kernel(sk, q->ifindex, NULL, &link))
		goto out;
	kind = rtnl_link_get_type(link);
	if (!kind || strcmp(kind, "veth"))
		goto out;
	q->veth = true;
	q->peer_ifindex = rtnl_link_get_link(link);
	if (rtnl_link_get_link_netnsid(link, &nsid) || nsid < 0)
		goto out;
	q->other_ns = true;
	for (size_t i = 0; i < nss.n && !q->peer; i++) {
		struct ns_entry *ns = nss.v[i];

		if (!ns->open_path[0])
			continue;
		if (ns->nsid_query != q->here) {
			ns->nsid = nsid_of(sk, ns->open_path);
			ns->nsid_query = q->here;
		}
		if (ns->nsid == nsid)
			q->peer = ns;
	}
out:
	if (link)
		rtnl_link_put(link);
	nl_socket_free(sk);
	return 0;
}

/* The namespace of the interface and, for a veth, of its peer. */
static void iface_namespaces(int ifindex, const char *tag, struct ns_entry **own,
			     struct ns_entry **peer)
{
	int fd = open_tag(tag);
	struct peer_query q = {.ifindex = ifindex};

	*own = *peer = NULL;
	if (fd < 0)
		return;
	*own = ns_of_fd(fd);
	if (*own) {
		q.here = (*own)->ino;
		run_in(fd, find_peer, &q);
		*peer = q.peer;
	}
	close(fd);
}

int wl_veth_peer(int ifindex, const char *tag, int *peer_ifindex, int *ns_fd)
{
	int fd = open_tag(tag);
	struct peer_query q;
	struct ns_entry *own;

	*ns_fd = -1;
	*peer_ifindex = 0;
	if (fd < 0)
		return -ENOENT;
	/* the namespaces are scanned once per run: a long one (watch) scans again for a peer in
	 * a namespace made since */
	for (int pass = 0; pass < 2; pass++) {
		memset(&q, 0, sizeof(q));
		q.ifindex = ifindex;
		if (pass)
			wl_container_forget();
		own = ns_of_fd(fd);
		if (own) {
			q.here = own->ino;
			run_in(fd, find_peer, &q);
		}
		if (!q.other_ns || q.peer)
			break;
	}
	close(fd);
	if (!q.veth)
		return -EOPNOTSUPP;
	if (q.peer_ifindex <= 0 || (q.other_ns && !q.peer))
		return -ENOENT;
	*peer_ifindex = q.peer_ifindex;
	if (q.other_ns) {
		*ns_fd = open(q.peer->open_path, O_RDONLY | O_CLOEXEC);
		if (*ns_fd < 0)
			return -errno;
	}
	return 0;
}

int wl_run_in_netns_fd(int ns_fd, int (*fn)(void *arg), void *arg)
{
	return ns_fd < 0 ? fn(arg) : run_in(ns_fd, fn, arg);
}

/* every interface of a large flow table is asked once (watch 'veth*': hundreds) */
struct iface_cache {
	int ifindex;
	char netns[64];
	const struct wl_container *c; /* in an ns_entry: stays where it is */
};
static struct {
	struct iface_cache *v;
	size_t n, cap;
} ifaces;

const struct wl_container *wl_container_of_iface(int ifindex, const char *netns)
{
	struct iface_cache *cache = ifaces.v;
	size_t n = ifaces.n;
	struct ns_entry *own, *peer;
	const struct wl_container *c = NULL;

	if (!netns)
		netns = "";
	for (size_t i = 0; i < n; i++)
		if (cache[i].ifindex == ifindex && !strcmp(cache[i].netns, netns))
			return cache[i].c;
	iface_namespaces(ifindex, netns, &own, &peer);
	if (own)
		c = ns_container(own);
	if (!c && peer)
		c = ns_container(peer);
	if (n == ifaces.cap) {
		size_t grown_cap = n ? 2 * n : 32;
		struct iface_cache *grown = realloc(cache, grown_cap * sizeof(*grown));

		if (!grown)
			return c;
		ifaces.v = cache = grown;
		ifaces.cap = grown_cap;
	}
	cache[n].ifindex = ifindex;
	snprintf(cache[n].netns, sizeof(cache[n].netns), "%s", netns);
	cache[n].c = c;
	ifaces.n++;
	return c;
}

/* ---- addresses, for the commands (keyed by server address) ---- */

static void add_addr(struct nl_object *obj, void *arg)
{
	struct ns_entry *ns = arg;
	struct nl_addr *local = rtnl_addr_get_local((struct rtnl_addr *)obj);
	unsigned int len = local ? nl_addr_get_len(local) : 0;
	struct ns_addr *v;

	if (len != 4 && len != 16)
		return;
	v = realloc(ns->addrs, (ns->n_addrs + 1) * sizeof(*v));
	if (!v)
		return;
	ns->addrs = v;
	memset(&v[ns->n_addrs], 0, sizeof(v[0]));
	v[ns->n_addrs].family = nl_addr_get_family(local);
	memcpy(v[ns->n_addrs].a, nl_addr_get_binary_addr(local), len);
	ns->n_addrs++;
}

static int read_addrs(void *arg)
{
	struct nl_sock *sk = nl_socket_alloc();
	struct nl_cache *cache = NULL;

	if (!sk)
		return -ENOMEM;
	if (!nl_connect(sk, NETLINK_ROUTE) && !rtnl_addr_alloc_cache(sk, &cache)) {
		nl_cache_foreach(cache, add_addr, arg);
		nl_cache_free(cache);
	}
	nl_socket_free(sk);
	return 0;
}

struct candidates {
	struct ns_entry *v[256];
	size_t n;
};

static void candidate(struct candidates *t, struct ns_entry *ns)
{
	for (size_t i = 0; i < t->n; i++)
		if (t->v[i] == ns)
			return;
	if (ns && t->n < sizeof(t->v) / sizeof(t->v[0]))
		t->v[t->n++] = ns;
}

static int collect_candidate(const struct wl_link_pin *pin, void *arg)
{
	struct ns_entry *own, *peer;

	if (!pin->ifindex)
		return 0;
	iface_namespaces(pin->ifindex, pin->netns, &own, &peer);
	candidate(arg, own);
	candidate(arg, peer);
	return 0;
}

static struct candidates *cands;

/* The addresses of a namespace, read once (fd: the namespace, or -1 to open it). */
static void ns_read_addrs(struct ns_entry *ns, int fd)
{
	int own = -1;

	if (ns->addrs_read)
		return;
	ns->addrs_read = true;
	if (fd < 0 && ns->open_path[0])
		fd = own = open(ns->open_path, O_RDONLY | O_CLOEXEC);
	if (fd >= 0)
		run_in(fd, read_addrs, ns);
	if (own >= 0)
		close(own);
}

static bool ns_holds(const struct ns_entry *ns, int family, const void *addr)
{
	size_t len = family == AF_INET6 ? 16 : 4;

	for (size_t k = 0; k < ns->n_addrs; k++)
		if (ns->addrs[k].family == family && !memcmp(ns->addrs[k].a, addr, len))
			return true;
	return false;
}

const struct wl_container *wl_container_of_addr(int family, const void *addr, const char *seen_in)
{
	struct ns_entry *holder = NULL;
	int holders = 0, fd;

	/* the namespace the packets were seen in holds the address: the server is there (also
	 * for 127.0.0.1, which every namespace has) */
	if (seen_in && (fd = open_tag(seen_in)) >= 0) {
		struct ns_entry *ns = ns_of_fd(fd);

		if (ns)
			ns_read_addrs(ns, fd);
		close(fd);
		if (ns && ns_holds(ns, family, addr))
			return ns_container(ns);
	}
	if (!cands) {
		cands = calloc(1, sizeof(*cands));
		if (!cands)
			return NULL;
		wl_links_foreach(collect_candidate, cands);
		for (size_t i = 0; i < cands->n; i++)
			ns_read_addrs(cands->v[i], -1);
	}
	for (size_t i = 0; i < cands->n; i++)
		if (ns_holds(cands->v[i], family, addr)) {
			holder = cands->v[i];
			holders++;
		}
	return holders == 1 ? ns_container(holder) : NULL;
}

void wl_container_forget(void)
{
	for (size_t i = 0; i < nss.n; i++) {
		free(nss.v[i]->pids);
		free(nss.v[i]->addrs);
		free(nss.v[i]);
	}
	free(nss.v);
	memset(&nss, 0, sizeof(nss));
	free(ifaces.v);
	memset(&ifaces, 0, sizeof(ifaces));
	free(cands);
	cands = NULL;
}

/* ---- output ---- */

const char *wl_container_label(const struct wl_container *c, char *buf, size_t len)
{
	if (!c)
		snprintf(buf, len, "-");
	else if (c->name[0])
		snprintf(buf, len, "%s", c->name);
	else if (c->id[0])
		snprintf(buf, len, "%s:%.12s", c->runtime, c->id);
	else if (c->pod_uid[0])
		snprintf(buf, len, "pod:%s", c->pod_uid);
	else
		snprintf(buf, len, "%s", c->cgroup);
	return buf;
}

static json_object *str_or_null(const char *s)
{
	return s[0] ? json_object_new_string(s) : NULL;
}

json_object *wl_container_json(const struct wl_container *c)
{
	json_object *o;

	if (!c)
		return NULL;
	o = json_object_new_object();
	json_object_object_add(o, "runtime", str_or_null(c->runtime));
	json_object_object_add(o, "id", str_or_null(c->id));
	json_object_object_add(o, "name", str_or_null(c->name));
	json_object_object_add(o, "pod_uid", str_or_null(c->pod_uid));
	json_object_object_add(o, "cgroup", str_or_null(c->cgroup));
	json_object_object_add(o, "netns", str_or_null(c->netns));
	return o;
}
