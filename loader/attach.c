// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Attaching: every requested hook of an interface as a BPF link pinned under WL_PIN_DIR/links
 * (pins.c), or a cls_bpf filter and its record where the kernel has no tcx (tc_cls.c); the
 * options attach and watch share.
 *
 * libxdp's multi-program dispatcher is deliberately not used: it attaches the dispatcher through
 * netlink, not as a link, so an attach killed half-way or a lost pin would leave a program on the
 * interface that nothing owns, and `unlink the pin = detach` would no longer hold. On this kernel
 * it cannot load anyway (freplace is refused); status reports what a probe finds (probe.c).
 */
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/if_link.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "progs.h"
#include "attach.h"
#include "params.h"
#include "pins.h"
#include "l7cfg.h"
#include "netns.h"
#include "tc_cls.h"
#include "iface.h"
#include "container.h"

#define WL_BPF_TCX_INGRESS 46 /* uapi values; the system headers may predate tcx */
#define WL_BPF_TCX_EGRESS  47

/* ---- options shared by attach and watch ---- */

void wl_attach_req_init(struct wl_attach_req *r)
{
	memset(r, 0, sizeof(*r));
	r->hooks[WL_HOOK_XDP] = true;
	r->hooks[WL_HOOK_TC_EGRESS] = true;
	r->load.pin_dir = wl_pin_dir();
	r->load.warn = true;
	r->learned_ports_max = -1;
}

/* The values of WL_ATTACH_PARAMS with a syntax of their own, into the struct wl_attach_req that
 * begins the verb's options; their error lines are the ones attach always had. */

int wl_attach_mode_arg(const struct wl_param_call *call, const char *value)
{
	struct wl_attach_req *r = call->opts;

	if (strcmp(value, "native") && strcmp(value, "skb")) {
		fprintf(stderr, "wirelens: --mode native|skb, not '%s'\n", value);
		return 2;
	}
	r->skb_mode = !strcmp(value, "skb");
	r->mode_given = true;
	return 0;
}

/* --hooks HOOK,... */
int wl_attach_hooks_arg(const struct wl_param_call *call, const char *value)
{
	struct wl_attach_req *r = call->opts;
	char buf[128], *tok, *save = NULL;
	int n = 0;

	memset(r->hooks, 0, sizeof(r->hooks));
	r->hooks_given = true;
	snprintf(buf, sizeof(buf), "%s", value);
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		int h = wl_hook_by_name(tok);

		if (h < 0) {
			fprintf(stderr,
				"wirelens: unknown hook '%s' (xdp, tc-egress, tc-ingress, "
				"peer-egress)\n",
				tok);
			return 2;
		}
		r->hooks[h] = true;
		n++;
	}
	if (!n) {
		fprintf(stderr,
			"wirelens: --hooks needs xdp, tc-egress, tc-ingress or peer-egress\n");
		return 2;
	}
	return 0;
}

int wl_attach_tc_mode_arg(const struct wl_param_call *call, const char *value)
{
	static const struct wl_param_word modes[] = {
		{"auto", WL_TC_AUTO}, {"tcx", WL_TC_TCX}, {"cls", WL_TC_CLS}, {}};
	struct wl_attach_req *r = call->opts;
	int mode;

	if (wl_params_word(value, modes, &mode)) {
		fprintf(stderr, "wirelens: --tc-mode auto|tcx|cls, not '%s'\n", value);
		return 2;
	}
	r->tc_mode = mode;
	return 0;
}

int wl_attach_protocols_arg(const struct wl_param_call *call, const char *value)
{
	struct wl_attach_req *r = call->opts;

	if (r->load.l7_select && !r->load.l7_mask) {
		fprintf(stderr, "wirelens: --protocols and --no-l7 exclude each other\n");
		return 2;
	}
	r->load.l7_select = true;
	return wl_l7_proto_mask_parse(value, &r->load.l7_mask) ? 2 : 0;
}

int wl_attach_no_l7_arg(const struct wl_param_call *call, const char *value)
{
	struct wl_attach_req *r = call->opts;

	(void)value;
	if (r->load.l7_select && r->load.l7_mask) {
		fprintf(stderr, "wirelens: --protocols and --no-l7 exclude each other\n");
		return 2;
	}
	r->load.l7_select = true;
	r->load.l7_mask = 0;
	return 0;
}

void wl_attach_protocols_note(FILE *f)
{
	fprintf(f, "  protocols: %s\n", wl_l7_proto_list(", "));
}

/* ---- the hooks of an interface ---- */

/* peer-egress sees what the veth receives, as xdp and tc-ingress do: two of them (asked for, or
 * one asked for and one attached already) would count every inbound packet twice. */
static bool inbound_twice(const char *ifname, const bool hooks[WL_HOOKS])
{
	static const enum wl_hook_kind inbound[] = {WL_HOOK_XDP, WL_HOOK_TC_INGRESS,
						    WL_HOOK_PEER_EGRESS};
	char path[512], names[96] = "";
	bool peer = false;
	int n = 0;

	for (size_t i = 0; i < sizeof(inbound) / sizeof(inbound[0]); i++) {
		enum wl_hook_kind h = inbound[i];

		wl_link_path(path, sizeof(path), ifname, h, wl_netns_tag());
		if (!hooks[h] && access(path, F_OK))
			continue;
		peer |= h == WL_HOOK_PEER_EGRESS;
		snprintf(names + strlen(names), sizeof(names) - strlen(names), "%s%s",
			 n++ ? " and " : "", wl_hook_name(h));
	}
	if (!peer || n < 2)
		return false;
	fprintf(stderr,
		"wirelens: %s: %s (asked for or attached) would both count what it receives; "
		"peer-egress goes with tc-egress alone (detach %s first to change hooks)\n",
		ifname, names, ifname);
	return true;
}

int wl_iface_hooks(const struct wl_attach_req *r, const char *ifname, bool hooks[WL_HOOKS],
		   const char **why)
{
	struct wl_iface info;
	char path[512], had[64] = "";
	int n = 0;

	memcpy(hooks, r->hooks, sizeof(r->hooks));
	*why = "";
	if (wl_iface_get(ifname, 0, &info))
		return 0;
	if (inbound_twice(ifname, hooks))
		return 2;
	if (!info.loopback) {
		bool bond = !strcmp(info.kind, "bond") || !strcmp(info.kind, "team");

		if (r->hooks_given || !hooks[WL_HOOK_XDP])
			return 0;
		if (bond) {
			/* native XDP on a bond runs in each slave's driver, under the slave's
			 * ifindex: the replies would not meet their requests (tc-egress, the bond's
			 * ifindex); TC ingress sees the bond's packets once, as the bond */
			*why = ": a bond, tc-ingress sees its packets as the bond's (XDP on a bond "
			       "runs "
			       "in its slaves, under their ifindex)";
		} else if (wl_iface_vlan_children(info.ifindex) > 0) {
			/* VLAN sub-interfaces on it: a tag the driver (or a veth) keeps in the skb
			 * is not in the frame XDP sees, TC ingress has it (skb metadata) */
			*why = ": VLAN sub-interfaces on it, tc-ingress sees their tags (XDP does "
			       "not "
			       "see a tag kept in the skb)";
		} else {
			return 0;
		}
		hooks[WL_HOOK_XDP] = false;
		hooks[WL_HOOK_TC_INGRESS] = true;
		return 0;
	}
	if (!r->hooks_given) {
		*why = ": loopback, both directions leave through its egress once";
		memset(hooks, 0, sizeof(r->hooks));
		hooks[WL_HOOK_TC_EGRESS] = true;
	}
	/* what is attached there already counts too (an earlier attach with other hooks) */
	for (int h = 0; h < WL_HOOKS; h++) {
		bool pinned;

		wl_link_path(path, sizeof(path), ifname, h, wl_netns_tag());
		pinned = !access(path, F_OK);
		if (pinned && !hooks[h])
			snprintf(had + strlen(had), sizeof(had) - strlen(had), "%s%s",
				 had[0] ? ", " : "", wl_hook_name(h));
		n += hooks[h] || pinned;
	}
	if (n > 1) {
		fprintf(stderr,
			"wirelens: %s is loopback: every packet passes its egress and its ingress, "
			"so more than one hook counts it twice; use one (default tc-egress)%s%s\n",
			ifname, had[0] ? "; attached already: " : "", had);
		return 2;
	}
	return 0;
}

/* ---- attaching ---- */

/* The XDP program on an interface that is not ours, if any (its id), else 0. */
static __u32 foreign_xdp(int ifindex)
{
	struct bpf_prog_info info = {};
	__u32 id = 0, len = sizeof(info);
	int fd;

	if (bpf_xdp_query_id(ifindex, 0, &id) || !id)
		return 0;
	fd = bpf_prog_get_fd_by_id(id);
	if (fd < 0)
		return id;
	if (!bpf_obj_get_info_by_fd(fd, &info, &len) && !strcmp(info.name, "wl_xdp"))
		id = 0;
	close(fd);
	return id;
}

/* A pin that no longer holds a live link on this very interface (it was deleted, or deleted and
 * created again under the same name) is stale: it goes, so the attach can happen again. */
static bool pin_is_live(const char *path, int ifindex)
{
	struct wl_link_pin pin = {.path = path, .netns = wl_netns_tag()};
	bool live;

	wl_link_pin_fill(&pin);
	live = pin.fd >= 0 && pin.attached && (int)pin.ifindex == ifindex;
	if (pin.fd >= 0)
		close(pin.fd);
	return live;
}

/* For tests: WIRELENS_TEST_STALL_AT=N stops before pinning the Nth link this process creates
 * (for cls_bpf: after adding the filter, before marking its record complete), so a test can
 * kill -9 an attach half-way. */
static void test_stall(const char *ifname, enum wl_hook_kind h)
{
	static int links_made;
	const char *at = getenv("WIRELENS_TEST_STALL_AT");

	if (!at || ++links_made != atoi(at))
		return;
	fprintf(stderr, "wirelens: stalled before pinning %s@%s (WIRELENS_TEST_STALL_AT)\n", ifname,
		wl_hook_name(h));
	for (;;)
		pause();
}

struct stall_arg {
	const char *ifname;
	enum wl_hook_kind h;
};

static void cls_stall(void *arg)
{
	struct stall_arg *a = arg;

	test_stall(a->ifname, a->h);
}

/* TC through a clsact qdisc + cls_bpf filter: the record is pinned at path by tc_cls.c. */
static int attach_cls(int tc_fd, const char *path, const char *ifname, int ifindex,
		      enum wl_hook_kind h)
{
	struct stall_arg sa = {ifname, h};
	enum wl_hook_kind other = h == WL_HOOK_TC_INGRESS ? WL_HOOK_TC_EGRESS : WL_HOOK_TC_INGRESS;
	char other_path[512], pending[512];

	wl_link_path(other_path, sizeof(other_path), ifname, other, wl_netns_tag());
	wl_pending_path(pending, sizeof(pending), ifname, h, wl_netns_tag());
	return wl_cls_attach(path, pending, other_path, ifname, ifindex, h == WL_HOOK_TC_INGRESS,
			     tc_fd, cls_stall, &sa);
}
/* A live link running another program than the one this session attaches (another build's,
 * after an upgrade of wirelens): the link gets the new program in place, the old one named as
 * the expected one (BPF_F_REPLACE: a concurrent change fails instead of being undone). There is
 * no moment without a program, so no packet goes uncounted, and XDP is never removed from the
 * interface (removing the last XDP program makes a veth drop its NAPI ring, and many drivers
 * reset their queues). 1: the link runs this program already (or is a cls_bpf filter, left
 * as it is), 2: replaced (note says from what), -errno with one line printed. */
/* The link link_fd gets prog_fd in place of old_id (BPF_F_REPLACE: a concurrent change fails
 * instead of being undone). 2 and the note, or -errno with one line printed. */
static int link_replace(int link_fd, __u32 old_id, int prog_fd, const char *ifname,
			enum wl_hook_kind h, char *note, size_t note_len)
{
	LIBBPF_OPTS(bpf_link_update_opts, uo, .flags = BPF_F_REPLACE);
	int old_fd = bpf_prog_get_fd_by_id(old_id), err;

	uo.old_prog_fd = old_fd;
	err = old_fd < 0 || bpf_link_update(link_fd, prog_fd, &uo) ? -errno : 0;
	if (old_fd >= 0)
		close(old_fd);
	if (err) {
		fprintf(stderr, "wirelens: %s: replacing program %u of the %s link: %s\n", ifname,
			old_id, wl_hook_name(h), strerror(-err));
		return err;
	}
	snprintf(note, note_len, "program %u replaced in place", old_id);
	return 2;
}

static int update_live(struct wl_attach_session *s, const char *path, const char *ifname,
		       enum wl_hook_kind h, char *note, size_t note_len)
{
	struct wl_link_pin pin = {.path = path, .netns = wl_netns_tag()};
	struct bpf_prog_info info = {};
	__u32 len = sizeof(info);
	int xdp_fd, tc_fd, prog_fd, err;

	err = wl_session_entry_fds(s, &xdp_fd, &tc_fd);
	if (err)
		return err;
	prog_fd = h == WL_HOOK_XDP ? xdp_fd : tc_fd;
	if (bpf_obj_get_info_by_fd(prog_fd, &info, &len))
		return 1;
	wl_link_pin_fill(&pin);
	if (pin.fd < 0 || pin.cls || !pin.prog_id || pin.prog_id == info.id) {
		if (pin.fd >= 0)
			close(pin.fd);
		return 1;
	}
	err = link_replace(pin.fd, pin.prog_id, prog_fd, ifname, h, note, note_len);
	close(pin.fd);
	return err;
}

struct peer_link {
	int prog_fd, ifindex, fd;
};

static int peer_link_create(void *arg)
{
	LIBBPF_OPTS(bpf_link_create_opts, opts);
	struct peer_link *l = arg;

	l->fd = bpf_link_create(l->prog_fd, l->ifindex, WL_BPF_TCX_EGRESS, &opts);
	return l->fd < 0 ? -errno : 0;
}

/* An instance of the TC entry program for the peer of the veth ifindex (this namespace's id). */
static int peer_instance(struct wl_attach_session *s, int ifindex, struct wl_entry *e)
{
	int id, err = wl_session_programs(s);

	id = err ? err : wl_netns_id_here();
	if (id < 0)
		return id;
	return wl_entry_load_peer(e, id, ifindex, s->loaded ? &s->p : NULL,
				  s->loaded ? NULL : wl_pin_dir(), s->lo.verbose);
}

/* Whether program prog_id has the instructions of the program prog_fd (the tag hashes them
 * without their map references, so an instance of the same code has the same tag whatever its
 * rodata). */
static bool same_code(__u32 prog_id, int prog_fd)
{
	struct bpf_prog_info a = {}, b = {};
	__u32 la = sizeof(a), lb = sizeof(b);
	int fd = bpf_prog_get_fd_by_id(prog_id);
	bool same;

	same = fd >= 0 && !bpf_obj_get_info_by_fd(fd, &a, &la) &&
	       !bpf_obj_get_info_by_fd(prog_fd, &b, &lb) && !memcmp(a.tag, b.tag, sizeof(a.tag));
	if (fd >= 0)
		close(fd);
	return same;
}

/* A live peer-egress link running another build's code: a new instance in its place
 * (BPF_F_REPLACE, as update_live does). 1: the same code already, 2: replaced, -errno. */
static int peer_update(struct wl_attach_session *s, const struct wl_link_pin *pin, int ifindex,
		       const char *ifname, char *note, size_t note_len)
{
	int xdp_fd, tc_fd, err;
	struct wl_entry e;

	err = wl_session_entry_fds(s, &xdp_fd, &tc_fd);
	if (err)
		return err;
	if (same_code(pin->prog_id, tc_fd))
		return 1;
	err = peer_instance(s, ifindex, &e);
	if (err)
		return err;
	err = link_replace(pin->fd, pin->prog_id, wl_entry_tc_fd(&e), ifname, WL_HOOK_PEER_EGRESS,
			   note, note_len);
	wl_entry_close(&e); /* the link holds the new program */
	return err;
}

/*
 * peer-egress: a tcx link on the egress of the veth's peer, in the peer's namespace, running an
 * instance of the TC entry program that counts under this veth (ifindex, netns id) as inbound.
 * The link holds its instance (no program pin). 0 attached, 1 already attached, 2 live link given
 * this build's code, -errno with one line printed.
 */
static int attach_peer(struct wl_attach_session *s, const struct wl_attach_req *r,
		       const char *ifname, int ifindex, const char *path, char *note,
		       size_t note_len)
{
	struct peer_link l = {.fd = -1};
	struct wl_entry e;
	int ns_fd, err;

	err = wl_veth_peer(ifindex, wl_netns_tag(), &l.ifindex, &ns_fd);
	if (err == -EOPNOTSUPP) {
		fprintf(stderr, "wirelens: %s: peer-egress is for a veth, and %s is none\n", ifname,
			ifname);
		return -EINVAL;
	}
	if (err) {
		fprintf(stderr,
			"wirelens: %s: cannot find its veth peer's namespace (no process and no "
			"/run/netns name holds it)\n",
			ifname);
		return err;
	}
	if (!access(path, F_OK)) {
		struct wl_link_pin pin = {.path = path, .hook = WL_HOOK_PEER_EGRESS};

		wl_link_pin_fill(&pin);
		if (pin.attached && (int)pin.peer_ifindex == l.ifindex)
			err = peer_update(s, &pin, ifindex, ifname, note, note_len);
		if (pin.fd >= 0)
			close(pin.fd);
		if (pin.attached && (int)pin.peer_ifindex == l.ifindex)
			goto out;
		unlink(path); /* stale: the peer went, or was made again */
	}
	if (r->tc_mode == WL_TC_CLS) {
		fprintf(stderr,
			"wirelens: %s: peer-egress is a tcx link, not a cls_bpf filter "
			"(--tc-mode cls)\n",
			ifname);
		err = -EINVAL;
		goto out;
	}
	err = peer_instance(s, ifindex, &e);
	if (err)
		goto out;
	l.prog_fd = wl_entry_tc_fd(&e);
	err = wl_run_in_netns_fd(ns_fd, peer_link_create, &l);
	wl_entry_close(&e); /* the link holds the program */
	if (err) {
		fprintf(stderr, "wirelens: %s: attaching peer-egress failed: %s%s\n", ifname,
			strerror(-err),
			err == -EINVAL ? " (it is a tcx link: Linux 6.6 or later)" : "");
		goto out;
	}
	test_stall(ifname, WL_HOOK_PEER_EGRESS);
	if (bpf_obj_pin(l.fd, path)) {
		err = -errno;
		fprintf(stderr, "wirelens: pinning %s: %s\n", path, strerror(-err));
	}
	close(l.fd); /* unpinned, the link goes with it: nothing left behind */
out:
	if (ns_fd >= 0)
		close(ns_fd);
	return err;
}

/* 0 attached, 1 already attached (live pin), 2 live pin given this build's program,
 * -errno with one line printed. */
static int attach_hook(struct wl_attach_session *s, const struct wl_attach_req *r,
		       const char *ifname, int ifindex, enum wl_hook_kind h, char *note,
		       size_t note_len)
{
	LIBBPF_OPTS(bpf_link_create_opts, opts);
	int fd, prog_fd, type, err, xdp_fd, tc_fd;
	char path[512];

	wl_link_path(path, sizeof(path), ifname, h, wl_netns_tag());
	if (h == WL_HOOK_PEER_EGRESS)
		return attach_peer(s, r, ifname, ifindex, path, note, note_len);
	if (!access(path, F_OK)) {
		if (pin_is_live(path, ifindex))
			return update_live(s, path, ifname, h, note, note_len);
		/* stale: a cls_bpf record's leftovers (filter, qdisc) go with it */
		err = wl_unpin(path, wl_netns_tag());
		if (err) {
			fprintf(stderr, "wirelens: %s: removing the stale %s attachment: %s\n",
				ifname, wl_hook_name(h), strerror(-err));
			return err;
		}
	}
	err = wl_session_entry_fds(s, &xdp_fd, &tc_fd); /* this namespace's (session.c) */
	if (err)
		return err;
	if (h != WL_HOOK_XDP && r->tc_mode == WL_TC_CLS)
		return attach_cls(tc_fd, path, ifname, ifindex, h);
	if (h == WL_HOOK_XDP) {
		__u32 other = foreign_xdp(ifindex);

		if (other && !r->force) {
			fprintf(stderr,
				"wirelens: %s already has another XDP program (id %u); not "
				"replacing "
				"it (--force to replace)\n",
				ifname, other);
			return -EBUSY;
		}
		if (other)
			bpf_xdp_detach(ifindex, 0, NULL);
		prog_fd = xdp_fd;
		type = BPF_XDP;
		opts.flags = r->skb_mode ? XDP_FLAGS_SKB_MODE : XDP_FLAGS_DRV_MODE;
	} else {
		prog_fd = tc_fd;
		type = h == WL_HOOK_TC_INGRESS ? WL_BPF_TCX_INGRESS : WL_BPF_TCX_EGRESS;
	}
	fd = bpf_link_create(prog_fd, ifindex, type, &opts);
	if (fd < 0 && h == WL_HOOK_XDP && !r->mode_given && errno != EBUSY) {
		/* No native XDP here (loopback, VLAN, bridge, a bond whose slaves lack it):
		 * generic XDP sees the same packets, as skbs; the attach line says why. */
		snprintf(note, note_len, "native refused: %s", strerror(errno));
		opts.flags = XDP_FLAGS_SKB_MODE;
		fd = bpf_link_create(prog_fd, ifindex, type, &opts);
		if (fd < 0)
			note[0] = 0;
	}
	if (fd < 0 && h != WL_HOOK_XDP && errno == EINVAL && r->tc_mode == WL_TC_AUTO)
		return attach_cls(tc_fd, path, ifname, ifindex, h); /* no tcx before 6.6 */
	if (fd < 0) {
		err = -errno;

		if (h == WL_HOOK_XDP && err == -EBUSY)
			fprintf(stderr,
				"wirelens: %s: an XDP link is already attached there (another pin "
				"root?)\n",
				ifname);
		else if (h == WL_HOOK_XDP && !r->skb_mode && r->mode_given)
			fprintf(stderr, "wirelens: %s: native XDP refused (%s); try --mode skb\n",
				ifname, strerror(-err));
		else
			fprintf(stderr, "wirelens: %s: attaching %s failed: %s%s\n", ifname,
				wl_hook_name(h), strerror(-err),
				h != WL_HOOK_XDP && err == -EINVAL
					? " (no tcx before Linux 6.6: --tc-mode cls or auto)"
					: "");
		return err;
	}
	test_stall(ifname, h);
	if (bpf_obj_pin(fd, path)) {
		err = -errno;

		fprintf(stderr, "wirelens: pinning %s: %s\n", path, strerror(-err));
		close(fd); /* the link goes with its last reference: nothing left behind */
		return err;
	}
	close(fd);
	return 0;
}

static const char *mode_now(const char *ifname, enum wl_hook_kind h)
{
	struct wl_link_pin pin = {.ifname = ifname, .hook = h, .netns = wl_netns_tag()};
	char path[512];
	const char *mode;

	wl_link_path(path, sizeof(path), ifname, h, wl_netns_tag());
	pin.path = path;
	wl_link_pin_fill(&pin);
	mode = wl_link_mode(&pin);
	if (pin.fd >= 0)
		close(pin.fd);
	return mode;
}

int wl_attach_iface(struct wl_attach_session *s, const struct wl_attach_req *r, const char *ifname,
		    bool quiet_if_attached)
{
	char added[256] = "", already[128] = "", *buf, note[96];
	const char *why;
	bool made[WL_HOOKS] = {}, hooks[WL_HOOKS];
	int ifindex = if_nametoindex(ifname), n_added = 0, n_already = 0;

	if (!ifindex) {
		fprintf(stderr, "wirelens: no interface '%s'\n", ifname);
		return -ENODEV;
	}
	if (wl_iface_hooks(r, ifname, hooks, &why))
		return -EINVAL;
	/* --protocols/--no-l7 change the set even where everything is attached already: the
	 * program arrays are shared by every attachment of the pin root */
	if (r->load.l7_select) {
		int err = wl_session_programs(s);

		if (err)
			return err;
	}
	for (int h = 0; h < WL_HOOKS; h++) {
		const char *mode;
		int ret;

		if (!hooks[h])
			continue;
		note[0] = 0;
		ret = attach_hook(s, r, ifname, ifindex, h, note, sizeof(note));
		if (ret < 0) {
			/* all or nothing per interface: undo what this call attached */
			for (int k = 0; k < h; k++)
				if (made[k])
					wl_detach_one(ifname, k);
			return ret;
		}
		made[h] = ret == 0;
		if (ret == 2) /* replaced in place: said as attached */
			ret = 0;
		buf = ret == 0 ? added : already;
		mode = mode_now(ifname, h);
		if (h != WL_HOOK_XDP)
			mode = ""; /* TC: the plain hook name on every kernel (status tells
				      tcx/cls_bpf) */
		snprintf(buf + strlen(buf),
			 (ret == 0 ? sizeof(added) : sizeof(already)) - strlen(buf),
			 "%s%s%s%s%s%s%s", (ret == 0 ? n_added : n_already) ? ", " : "",
			 wl_hook_name(h), mode[0] ? " " : "", mode, note[0] ? " (" : "", note,
			 note[0] ? ")" : "");
		if (ret == 0)
			n_added++;
		else
			n_already++;
	}
	if (r->learned_ports_max >= 0) {
		/* the bound lives beside the maps: every attachment shares it */
		int sniff = wl_map_open("wl_sniff"), ports = wl_map_open("wl_ports"), err;

		err = sniff < 0 || ports < 0 ? -errno
					     : wl_l7_sniff_set(sniff, ports, r->learned_ports_max);
		if (sniff >= 0)
			close(sniff);
		if (ports >= 0)
			close(ports);
		if (err) {
			fprintf(stderr, "wirelens: setting --learned-ports-max: %s\n",
				strerror(-err));
			return err;
		}
	}
	if (n_added)
		printf("attached %s%s%s (%s%s%s)%s\n", ifname, wl_netns_tag() ? " in netns " : "",
		       wl_netns_tag() ? wl_netns_tag() : "", added, n_already ? "; already: " : "",
		       already, why);
	else if (!quiet_if_attached)
		printf("%s: already attached (%s)\n", ifname, already);
	fflush(stdout);
	return n_added ? 0 : 1;
}
