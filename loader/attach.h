/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Attachments as pinned BPF links, the pin directory, the lock. */
#ifndef WL_LOADER_ATTACH_H
#define WL_LOADER_ATTACH_H

#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <time.h>
#include "loader/progs.h"
#include "loader/netns_ids.h"
#include "loader/probe.h" /* wl_xdp_dispatcher_probe */
#include "loader/params.h"

enum wl_hook_kind {
	WL_HOOK_XDP,
	WL_HOOK_TC_INGRESS,
	WL_HOOK_TC_EGRESS,
	/* tcx egress of a veth's peer (in its namespace), counted as this veth's ingress: the
	 * peer keeps TSO (native XDP here turns it off) and a connection's packets stay in order
	 * (tc-ingress on a veth runs them on the sending CPUs) */
	WL_HOOK_PEER_EGRESS,
	WL_HOOKS,
};

const char *wl_hook_name(enum wl_hook_kind h);
int wl_hook_by_name(const char *name);

/* Root, BTF, bpffs: one clear line on stderr and -errno when something is missing. may_mount:
 * mount bpffs on /sys/fs/bpf when it is missing (attach, watch), unless this is a private mount
 * namespace where the pins would vanish with it. */
int wl_check_env(bool may_mount);
/* Serialises wirelens commands on one pin root (flock on /run/wirelens/lock[_root]). Returns
 * the fd to close. */
int wl_lock(void);
/* The lock file (wl_unpin_all removes it with the last pin). */
const char *wl_lock_path(void);
int wl_pins_prepare(void);
int wl_unpin_all(void);
int wl_map_open(const char *name);
/* A pinned map opened read-only (readers: the exporters need nothing more); -errno. */
int wl_map_open_ro(const char *name);
/* Whether the maps are pinned (attachments or detach --keep-maps). */
bool wl_maps_pinned(void);
/* One line on stderr saying why a pinned map cannot be opened (nothing attached, not root...). */
void wl_explain_no_pins(void);

/* How TC hooks are attached: tcx links where the kernel has them (6.6+), else a clsact qdisc
 * with a cls_bpf filter (auto); or forced one way. */
enum wl_tc_mode {
	WL_TC_AUTO,
	WL_TC_TCX,
	WL_TC_CLS,
};

/* What `attach` and `watch` ask for; the options both take. */
struct wl_attach_req {
	bool hooks[WL_HOOKS];
	bool hooks_given; /* --hooks: else each interface gets its default (wl_iface_hooks) */
	bool skb_mode;
	bool mode_given; /* --mode: else native XDP falls back to skb where it is refused */
	bool force;
	enum wl_tc_mode tc_mode;
	struct wl_load_opts load;
	long learned_ports_max; /* --learned-ports-max; -1: keep the pinned bound (l7cfg.h) */
};

#define WL_STR_(x) #x
#define WL_STR(x)  WL_STR_(x)
/* The options attach and watch share: entries of their wl_param tables (params.h), filling a
 * struct wl_attach_req that begins the verb's options struct. */
wl_param_fn wl_attach_mode_arg, wl_attach_hooks_arg, wl_attach_tc_mode_arg, wl_attach_protocols_arg,
	wl_attach_no_l7_arg;
#define WL_ATTACH_PARAMS                                                                           \
	{"mode", 'm', "native|skb",                                                                \
	 "XDP mode: native (in the driver) or skb (generic); default: native,\n"                   \
	 "skb where the interface has no native XDP (bridge, VLAN, lo)",                           \
	 WL_FN(wl_attach_mode_arg)},                                                               \
		{"hooks", 'k', "HOOK,...",                                                         \
		 "xdp, tc-egress, tc-ingress, peer-egress (default xdp,tc-egress: both\n"          \
		 "directions; on loopback tc-egress alone, which sees both; on a veth,\n"          \
		 "peer-egress,tc-egress keeps the peer's TSO: its egress, as inbound)",            \
		 WL_FN(wl_attach_hooks_arg)},                                                      \
		{"flows-max", 'f', "N",                                                            \
		 "flow table entries (default " WL_STR(                                            \
			 WL_FLOWS_DEFAULT) "; fixed while anything is attached)",                  \
		 WL_NUM(struct wl_attach_req, load.flows_max, 1, 1U << 31)},                       \
		{"flows-percpu", 0, NULL,                                                          \
		 "flow counters per CPU (summed when read): ~65 ns less per packet\n"              \
		 "where a connection's two sides run on two CPUs, 48 B more per flow\n"            \
		 "and CPU; fixed while anything is attached",                                      \
		 WL_FLAG(struct wl_attach_req, load.flows_percpu)},                                \
		{"conns-max", 0, "N",                                                              \
		 "tracked L7 connections (default " WL_STR(                                        \
			 WL_CONNS_DEFAULT) "; one in 4 may have a message open\n"                  \
					   "between packets, one in 16 more than 8 runs of "       \
					   "requests queued;\nfixed while anything is attached)",  \
		 WL_NUM(struct wl_attach_req, load.conns_max, 1, 1U << 24)},                       \
		{"open-max", 0, "N",                                                               \
		 "directions with a message open between packets (a long value,\n"                 \
		 "result set or body in flight; default: one per 4 connections,\n"                 \
		 "at least 64; fixed while anything is attached)",                                 \
		 WL_NUM(struct wl_attach_req, load.open_max, 1, 1U << 24)},                        \
		{"cmd-stats-max", 0, "N",                                                          \
		 "per-command statistics entries (default: 16384 up to 4 CPUs,\n"                  \
		 "fewer beyond, within 24 MiB; fixed while anything is attached)",                 \
		 WL_NUM(struct wl_attach_req, load.cmd_stats_max, 1, 1U << 24)},                   \
		{"force", 'F', NULL, "replace another XDP program on the interface",               \
		 WL_FLAG(struct wl_attach_req, force)},                                            \
		{"tc-mode", 0, "auto|tcx|cls",                                                     \
		 "tcx links (Linux 6.6+) or cls (clsact qdisc + cls_bpf filter);\n"                \
		 "auto (default): tcx where the kernel has it, else cls",                          \
		 WL_FN(wl_attach_tc_mode_arg)},                                                    \
		{"protocols", 0, "PROTO,...",                                                      \
		 "load only these protocol parsers (default: all); the set is\n"                   \
		 "shared by every attachment of the pin root",                                     \
		 WL_FN(wl_attach_protocols_arg)},                                                  \
		{"no-l7", 0, NULL, "L2-L4 only: no protocol parser", WL_FN(wl_attach_no_l7_arg)},  \
		{"learned-ports-max", 0, "N",                                                      \
		 "server ports content sniffing may learn (default " WL_STR(                       \
			 WL_LEARNED_PORTS_DEFAULT) ", 0: none);\n"                                 \
						   "kept until an attach sets another",            \
		 WL_NUM(struct wl_attach_req, learned_ports_max, 0, 65535)},                       \
	{                                                                                          \
		"verbose", 'v', NULL,                                                              \
			"libbpf's messages and the end of a refusing verifier's log",              \
			WL_FLAG(struct wl_attach_req, load.verbose)                                \
	}

void wl_attach_req_init(struct wl_attach_req *r);
/* The protocols there are, for the usage and the man page (wl_verb_params.more). */
void wl_attach_protocols_note(FILE *f);

/* The hooks IFACE gets: --hooks, else xdp + tc-egress, but on loopback tc-egress alone (every
 * packet of a local connection leaves through lo's egress once, and comes back in through its
 * ingress: one hook sees each packet once, both directions on the same interface), and on a
 * bond or team, or the parent of VLAN sub-interfaces, tc-ingress instead of xdp (the bond's
 * ifindex, the tags). why: "" or the reason
 * (": ..."), for the attach line. Hooks that would count lo's packets twice (with what is
 * already attached there) are refused: one line on stderr and 2. */
int wl_iface_hooks(const struct wl_attach_req *r, const char *ifname, bool hooks[WL_HOOKS],
		   const char **why);

/* The programs attachments use: the ones this same build pinned beside the maps (no load at
 * all), else loaded on first need and pinned for the next attach. watch keeps one session. */
struct wl_attach_session {
	bool initialised;
	bool loaded; /* p holds loaded objects (else the fds come from pins) */
	struct wl_progs p;
	int xdp_fd, tc_fd;
	struct wl_load_opts lo;
	int load_err;
	struct wl_netns_progs ns; /* the entry programs of one other namespace (netns_ids.h) */
};

/* Under the lock: checks the requested sizes and prepares the pin directory; the programs are
 * loaded only when a hook needs attaching. One line and -errno on failure. A zeroed session is
 * a valid start. */
int wl_session_prepare(struct wl_attach_session *s, const struct wl_attach_req *r);
void wl_session_close(struct wl_attach_session *s);
/* The programs to attach: reused or loaded now, on first need (attach.c). */
int wl_session_programs(struct wl_attach_session *s);
/* The same, then the entry programs of the namespace the process is in now (its netns id's
 * instance, netns_ids.h): 0 and the fds (the session keeps them), or -errno (one line). */
int wl_session_entry_fds(struct wl_attach_session *s, int *xdp_fd, int *tc_fd);

/* Attaches every requested hook to one interface (all or none) and prints one line,
 * "attached IFACE (xdp native, tc-egress)". 0 when something was attached, 1 when everything
 * already was (printed unless quiet_if_attached), -errno on failure (nothing changed). */
int wl_attach_iface(struct wl_attach_session *s, const struct wl_attach_req *r, const char *ifname,
		    bool quiet_if_attached);

/* Detaches every hook of IFACE in the selected namespace; the hooks' names go into what. Returns
 * how many were detached. */
int wl_detach_iface(const char *ifname, char *what, size_t len);
/* -ENOENT when that hook is not attached there. */
int wl_detach_one(const char *ifname, enum wl_hook_kind h);
/* Whether IFACE has any pin in the selected namespace. */
bool wl_iface_pinned(const char *ifname);
int wl_links_count(void);
/* Unpins every link (which detaches it): of every namespace, or only of the selected one.
 * Returns how many. */
int wl_detach_all(bool every_namespace);

/* One pinned link, or the record of a cls_bpf filter (tc_cls.h), as status and watch see it. */
struct wl_link_pin {
	const char *ifname;
	const char *netns; /* NULL: the caller's own namespace */
	enum wl_hook_kind hook;
	const char *path;
	int fd; /* -1 when the pin cannot be opened */
	__u32 link_id, prog_id;
	__u32 ifindex; /* where the link is attached; 0: defunct (the interface went away); for
			* peer-egress the veth's own (found by name), the link's is peer_ifindex */
	__u32 peer_ifindex;
	time_t since;		  /* when it was pinned */
	bool cls;		  /* a cls_bpf filter's record, not a link: link_id is 0 */
	bool pending;		  /* cls: the record of an attach that did not finish (killed) */
	bool attached;		  /* the link or filter is live on the interface */
	__u32 tc_prio, tc_handle; /* cls: the filter's priority and handle */
};
int wl_links_foreach(int (*fn)(const struct wl_link_pin *pin, void *arg), void *arg);
/* "native", "skb" for an XDP link (queried in its namespace), "tcx" or "cls_bpf" for TC,
 * "defunct", "?". */
const char *wl_link_mode(const struct wl_link_pin *pin);

#endif
