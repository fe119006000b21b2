// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * `wirelens watch PATTERN...`: stays in the foreground and attaches to every interface whose name
 * matches a glob, the ones there at start and the ones rtnetlink announces later (RTM_NEWLINK on
 * RTNLGRP_LINK). The attachments are ordinary pinned links, so they outlive the watcher unless
 * --detach-on-exit. The programs are loaded once and reused while their maps are the pinned ones.
 */
#include <errno.h>
#include <fnmatch.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <net/if.h>
#include <linux/rtnetlink.h>
#include <netlink/netlink.h>
#include <netlink/socket.h>
#include <netlink/msg.h>
#include <netlink/attr.h>

#include "attach.h"
#include "netns.h"
#include "probe.h"
#include "verbs.h"

struct name_list {
	char **names;
	size_t n, cap;
};

static bool list_has(const struct name_list *l, const char *name)
{
	for (size_t i = 0; i < l->n; i++)
		if (!strcmp(l->names[i], name))
			return true;
	return false;
}

static void list_add(struct name_list *l, const char *name)
{
	char **grown;

	if (list_has(l, name))
		return;
	if (l->n == l->cap) {
		size_t cap = l->cap ? 2 * l->cap : 16;

		grown = realloc(l->names, cap * sizeof(*grown));
		if (!grown)
			return;
		l->names = grown;
		l->cap = cap;
	}
	l->names[l->n] = strdup(name);
	if (l->names[l->n])
		l->n++;
}

static void list_free(struct name_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->names[i]);
	free(l->names);
	memset(l, 0, sizeof(*l));
}

struct watch {
	char **patterns;
	int npatterns;
	struct wl_attach_req req;
	struct wl_attach_session session;
	struct name_list pending; /* announced, to attach after this batch of messages */
	struct name_list gone;	  /* announced as deleted */
	struct name_list ours;	  /* attached by this watcher (for --detach-on-exit) */
	bool rescan;		  /* events were lost (socket overrun): look at everything */
};

static volatile sig_atomic_t stop_requested;

static void on_signal(int sig)
{
	(void)sig;
	stop_requested = 1;
}

static bool matches(const struct watch *w, const char *name)
{
	if (!strcmp(name, "lo"))
		return false;
	for (int i = 0; i < w->npatterns; i++)
		if (!fnmatch(w->patterns[i], name, 0))
			return true;
	return false;
}

static int on_link_msg(struct nl_msg *msg, void *arg)
{
	struct nlmsghdr *hdr = nlmsg_hdr(msg);
	struct nlattr *tb[IFLA_MAX + 1];
	struct watch *w = arg;
	const char *name;

	if (hdr->nlmsg_type != RTM_NEWLINK && hdr->nlmsg_type != RTM_DELLINK)
		return NL_OK;
	if (nlmsg_parse(hdr, sizeof(struct ifinfomsg), tb, IFLA_MAX, NULL) < 0 || !tb[IFLA_IFNAME])
		return NL_OK;
	name = nla_get_string(tb[IFLA_IFNAME]);
	if (!matches(w, name))
		return NL_OK;
	list_add(hdr->nlmsg_type == RTM_NEWLINK ? &w->pending : &w->gone, name);
	return NL_OK;
}

/* Every interface there now (if_nameindex asks rtnetlink) that matches. */
static void scan_all(struct watch *w)
{
	struct if_nameindex *all = if_nameindex(), *i;

	if (!all)
		return;
	for (i = all; i->if_index; i++)
		if (matches(w, i->if_name))
			list_add(&w->pending, i->if_name);
	if_freenameindex(all);
}

/* Pins of a deleted interface hold defunct links (or records of filters that went with it):
 * drop them so status stays true. */
static int drop_defunct(const struct wl_link_pin *pin, void *arg)
{
	const char *name = arg;

	if (!strcmp(pin->ifname, name) && wl_netns_same(pin->netns, wl_netns_tag()) &&
	    (pin->link_id || pin->cls) && !pin->ifindex)
		unlink(pin->path);
	return 0;
}

/* Attaches what was announced, under the lock; quiet about interfaces already attached unless
 * this is the first look. */
static void process(struct watch *w, bool first)
{
	bool had_maps;
	int lock;

	if (!w->pending.n && !w->gone.n)
		return;
	lock = wl_lock();
	if (lock < 0)
		return;
	had_maps = wl_maps_pinned();
	for (size_t i = 0; i < w->gone.n; i++) {
		if (list_has(&w->pending, w->gone.names[i]))
			continue; /* deleted and created again in the same batch */
		wl_links_foreach(drop_defunct, w->gone.names[i]);
		if (list_has(&w->ours, w->gone.names[i]))
			printf("%s is gone\n", w->gone.names[i]);
	}
	if (w->pending.n && !wl_session_prepare(&w->session, &w->req)) {
		for (size_t i = 0; i < w->pending.n; i++) {
			const char *name = w->pending.names[i];

			/* an interface already deleted again is not an error worth a line */
			if (!if_nametoindex(name))
				continue;
			if (!wl_attach_iface(&w->session, &w->req, name, !first))
				list_add(&w->ours, name);
		}
	}
	if (!had_maps && !wl_links_count())
		wl_unpin_all();
	close(lock);
	fflush(stdout);
	list_free(&w->pending);
	list_free(&w->gone);
}

static void detach_ours(struct watch *w)
{
	int lock = wl_lock();

	if (lock < 0)
		return;
	for (size_t i = 0; i < w->ours.n; i++) {
		char what[64];

		if (wl_detach_iface(w->ours.names[i], what, sizeof(what)))
			printf("detached %s (%s)\n", w->ours.names[i], what);
	}
	if (!wl_links_count())
		wl_unpin_all();
	close(lock);
}

/* WL_ATTACH_PARAMS fill the request that begins it. */
struct watch_opts {
	struct wl_attach_req req;
	bool detach_on_exit;
};
_Static_assert(offsetof(struct watch_opts, req) == 0, "WL_ATTACH_PARAMS fill the start");

const struct wl_verb_params wl_watch_params = {
	.verb = "watch",
	.synopsis = "PATTERN...",
	.summary = "attach to every interface whose name matches a glob (fnmatch), now and as\n"
		   "  interfaces appear; Ctrl-C or SIGTERM stops it, leaving the attachments in "
		   "place\n"
		   "  unless --detach-on-exit",
	.params = WL_PARAMS(WL_ATTACH_PARAMS, {"detach-on-exit", 'D', NULL,
					       "detach what this watch attached when it stops",
					       WL_FLAG(struct watch_opts, detach_on_exit)}),
	.more = wl_attach_protocols_note,
};

int wl_cmd_watch(int argc, char **argv)
{
	struct sigaction sa = {.sa_handler = on_signal}; /* no SA_RESTART: poll returns */
	struct watch w = {};
	struct watch_opts o;
	bool detach_on_exit;
	struct nl_sock *sock;
	struct pollfd pfd;
	int first, err;

	wl_attach_req_init(&o.req);
	o.detach_on_exit = false;
	err = wl_params_parse(&wl_watch_params, argc, argv, &o, &first);
	if (err)
		return err == WL_PARAMS_HELP ? 0 : err;
	w.req = o.req;
	detach_on_exit = o.detach_on_exit;
	if (first >= argc) {
		fprintf(stderr, "wirelens: watch needs a name pattern (wirelens watch --help)\n");
		return 2;
	}
	w.patterns = argv + first;
	w.npatterns = argc - first;
	if (wl_check_env(true) || wl_probe_kernel())
		return 1;

	sock = nl_socket_alloc();
	if (!sock) {
		fprintf(stderr, "wirelens: watch: out of memory\n");
		return 1;
	}
	nl_socket_disable_seq_check(sock);
	nl_socket_modify_cb(sock, NL_CB_VALID, NL_CB_CUSTOM, on_link_msg, &w);
	err = nl_connect(sock, NETLINK_ROUTE);
	if (!err)
		err = nl_socket_add_membership(sock, RTNLGRP_LINK);
	if (err) {
		fprintf(stderr, "wirelens: watch: rtnetlink: %s\n", nl_geterror(err));
		nl_socket_free(sock);
		return 1;
	}
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);

	/* Subscribed first, then the scan: an interface created in between is seen twice at
	 * worst, never missed. */
	printf("watching");
	for (int i = 0; i < w.npatterns; i++)
		printf(" %s", w.patterns[i]);
	printf("%s%s (Ctrl-C stops; attachments %s)\n", wl_netns_tag() ? " in netns " : "",
	       wl_netns_tag() ? wl_netns_tag() : "", detach_on_exit ? "are removed then" : "stay");
	fflush(stdout);
	scan_all(&w);
	process(&w, true);

	pfd.fd = nl_socket_get_fd(sock);
	pfd.events = POLLIN;
	while (!stop_requested) {
		if (poll(&pfd, 1, -1) < 0) {
			if (errno == EINTR)
				continue;
			fprintf(stderr, "wirelens: watch: poll: %s\n", strerror(errno));
			break;
		}
		err = nl_recvmsgs_default(sock);
		if (err < 0 && err != -NLE_AGAIN && err != -NLE_INTR) {
			/* most likely ENOBUFS: the kernel dropped events; the truth is a rescan */
			w.rescan = true;
		}
		if (w.rescan) {
			w.rescan = false;
			scan_all(&w);
		}
		process(&w, false);
	}
	if (detach_on_exit)
		detach_ours(&w);
	wl_session_close(&w.session);
	nl_socket_free(sock);
	list_free(&w.ours);
	list_free(&w.pending);
	list_free(&w.gone);
	return 0;
}
