/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Which container an interface or a server address belongs to, read from the kernel and the
 * runtimes' own state, never guessed from names: the network namespace of the interface (or, for
 * a host-side veth, of its peer: IFLA_LINK_NETNSID matched with RTM_GETNSID), the processes in
 * that namespace (/proc/PID/ns/net), their cgroup (/proc/PID/cgroup: docker-ID.scope,
 * libpod-ID.scope, cri-containerd-ID.scope, crio-ID.scope, kubepods...pod<UID>, /docker/ID,
 * lxc.payload.NAME), and the name the runtime gave it (Docker's config.v2.json, Podman's
 * containers.json, the CRI annotations of containerd and CRI-O), all read under
 * $WIRELENS_HOST_ROOT (default /: the host's files seen from a wirelens running in a container).
 * Everything is read once per namespace per run.
 */
#ifndef WL_LOADER_CONTAINER_H
#define WL_LOADER_CONTAINER_H

#include <json-c/json.h>

struct wl_container {
	char runtime[16]; /* docker, podman, containerd, cri-o, nerdctl, kubernetes, lxc */
	char id[72];	  /* the container id, "" for a pod or several containers */
	char pod_uid[40]; /* the Kubernetes pod's uid, or "" */
	char name[160];	  /* the runtime's name for it ("ns/pod" for a pod; "a,b" for several) */
	char cgroup[256]; /* the cgroup path the identity was read from (a pod's: its slice) */
	char netns[64];	  /* the /run/netns name of its namespace, or "" */
};

/* The container one cgroup v2 (or v1) path names: 1 and *out filled (runtime, id, pod_uid,
 * name for lxc, cgroup), 0 when the path is not a container's (a service, a session, a
 * runtime's own daemon or conmon). */
int wl_container_parse_cgroup(const char *path, struct wl_container *out);

/* The container of the interface ifindex in the namespace a pin tag names (NULL or "": the
 * caller's own): the one whose processes live in that namespace, else for a veth the one of
 * its peer's namespace. NULL when none (the host's own namespace is nobody's container). */
const struct wl_container *wl_container_of_iface(int ifindex, const char *netns);

/* The container whose namespace holds the address addr (4 or 16 bytes): the namespace the
 * packets were seen in (seen_in: a pin tag, "" for the caller's own; NULL: unknown) when it
 * holds it, else the one among the namespaces the attached interfaces are in or lead to (veth
 * peers) that holds it; NULL when none or several do, or when that namespace is no container's. */
const struct wl_container *wl_container_of_addr(int family, const void *addr, const char *seen_in);

/* A veth's peer: its ifindex in its own namespace, and an fd of that namespace in *ns_fd (to
 * close; -1 when the peer is in the namespace the tag names). -EOPNOTSUPP: not a veth; -ENOENT:
 * no peer, or its namespace is none this process can find (no process and no /run/netns name
 * holds it). */
int wl_veth_peer(int ifindex, const char *tag, int *peer_ifindex, int *ns_fd);

/* fn(arg) inside the namespace of ns_fd (-1: right here), then back. */
int wl_run_in_netns_fd(int ns_fd, int (*fn)(void *arg), void *arg);

/* Forgets what was read (a long-running reader, once per refresh: containers come and go). */
void wl_container_forget(void);

/* The table column: the name, else runtime:short id, else the pod uid. */
const char *wl_container_label(const struct wl_container *c, char *buf, size_t len);

/* {"runtime","id","name","pod_uid","cgroup","netns"} (absent ones null), or NULL (JSON null). */
json_object *wl_container_json(const struct wl_container *c);

#endif
