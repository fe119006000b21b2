// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Classic TC: clsact qdisc + cls_bpf direct-action filter (see tc_cls.h).
 *
 * libnl 3.7 has no cls_bpf object, so the filter messages are built with the nl_msg API; the
 * qdisc goes through rtnl_qdisc. Every request waits for the kernel's answer and keeps its raw
 * errno. Identity of our filter: (ifindex, parent, priority, handle) plus kind "bpf" and our
 * program id (TCA_BPF_ID): a filter there with another program is someone else's and is never
 * removed. The priority is the lowest one free, so the filter normally runs first, as a tcx
 * program runs before every classic filter.
 */
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <linux/if_ether.h>
#include <linux/pkt_cls.h>
#include <linux/pkt_sched.h>
#include <linux/rtnetlink.h>
#include <bpf/bpf.h>
#include <netlink/netlink.h>
#include <netlink/socket.h>
#include <netlink/msg.h>
#include <netlink/attr.h>
#include <netlink/route/tc.h>
#include <netlink/route/qdisc.h>

#include "netns.h"
#include "tc_cls.h"
#include "faults.h"

#define CLS_HANDLE     1 /* the filter's handle; never 0 (a delete without handle empties the prio) */
#define QDISC_PARENT   TC_H_CLSACT
#define QDISC_HANDLE   TC_H_MAKE(TC_H_CLSACT, 0)
#define PARENT_INGRESS TC_H_MAKE(TC_H_CLSACT, TC_H_MIN_INGRESS)
#define PARENT_EGRESS  TC_H_MAKE(TC_H_CLSACT, TC_H_MIN_EGRESS)

/* ---- the record ---- */

/* The kind of BPF object behind an fd, from its fdinfo ("map_type:" for a map). */
static bool fd_is_map(int fd)
{
	char path[64], line[128];
	bool map = false;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	f = fopen(path, "r");
	if (!f)
		return false;
	while (!map && fgets(line, sizeof(line), f))
		map = !strncmp(line, "map_type:", 9);
	fclose(f);
	return map;
}

bool wl_cls_record(int fd, struct wl_cls_rec *rec)
{
	struct bpf_map_info info = {};
	__u32 len = sizeof(info), key = 0;

	if (fd < 0 || !fd_is_map(fd) || bpf_obj_get_info_by_fd(fd, &info, &len))
		return false;
	if (strcmp(info.name, "wl_cls_rec") || info.key_size != sizeof(key) ||
	    info.value_size != sizeof(*rec))
		return false;
	if (bpf_map_lookup_elem(fd, &key, rec) || rec->magic != WL_CLS_MAGIC)
		return false;
	return true;
}

static int rec_read(const char *path, struct wl_cls_rec *rec)
{
	int fd = bpf_obj_get(path), err = 0;

	if (fd < 0)
		return -errno;
	if (!wl_cls_record(fd, rec))
		err = -EINVAL;
	close(fd);
	return err;
}

static int rec_write(int fd, const struct wl_cls_rec *rec)
{
	__u32 key = 0;

	return bpf_map_update_elem(fd, &key, rec, BPF_ANY) ? -errno : 0;
}

/* ---- rtnetlink ---- */

struct nl_req {
	bool done;
	int err; /* the kernel's -errno */
	int (*valid)(struct nl_msg *msg, void *arg);
	void *arg;
};

static int on_error(struct sockaddr_nl *nla, struct nlmsgerr *e, void *arg)
{
	struct nl_req *q = arg;

	(void)nla;
	q->err = e->error;
	q->done = true;
	return NL_STOP;
}

static int on_done(struct nl_msg *msg, void *arg)
{
	(void)msg;
	((struct nl_req *)arg)->done = true;
	return NL_STOP;
}

static int on_valid(struct nl_msg *msg, void *arg)
{
	struct nl_req *q = arg;

	return q->valid ? q->valid(msg, q->arg) : NL_OK;
}

/* Sends msg (freed here) and reads until the kernel's ack, error or end of dump; valid sees
 * every reply. 0 or -errno. */
static int nl_talk(struct nl_sock *sk, struct nl_msg *msg, int (*valid)(struct nl_msg *, void *),
		   void *arg)
{
	struct nl_req q = {.valid = valid, .arg = arg};
	struct nl_cb *cb = nl_cb_alloc(NL_CB_DEFAULT);
	int ret;

	if (!cb) {
		nlmsg_free(msg);
		return -ENOMEM;
	}
	nl_cb_err(cb, NL_CB_CUSTOM, on_error, &q);
	nl_cb_set(cb, NL_CB_ACK, NL_CB_CUSTOM, on_done, &q);
	nl_cb_set(cb, NL_CB_FINISH, NL_CB_CUSTOM, on_done, &q);
	nl_cb_set(cb, NL_CB_VALID, NL_CB_CUSTOM, on_valid, &q);
	ret = nl_send_auto(sk, msg);
	nlmsg_free(msg);
	while (ret >= 0 && !q.done)
		ret = nl_recvmsgs(sk, cb);
	nl_cb_put(cb);
	if (q.err)
		return q.err;
	return ret < 0 ? -EIO : 0;
}

static struct nl_sock *nl_open(void)
{
	struct nl_sock *sk = nl_socket_alloc();

	if (sk && nl_connect(sk, NETLINK_ROUTE)) {
		nl_socket_free(sk);
		sk = NULL;
	}
	return sk;
}

static struct nl_msg *tfilter_msg(int type, int flags, int ifindex, __u32 parent, __u32 prio,
				  __u32 handle)
{
	struct tcmsg t = {
		.tcm_family = AF_UNSPEC,
		.tcm_ifindex = ifindex,
		.tcm_parent = parent,
		.tcm_handle = handle,
		.tcm_info = TC_H_MAKE(prio << 16, htons(ETH_P_ALL)),
	};
	struct nl_msg *msg = nlmsg_alloc_simple(type, flags);

	if (msg && nlmsg_append(msg, &t, sizeof(t), NLMSG_ALIGNTO) < 0) {
		nlmsg_free(msg);
		msg = NULL;
	}
	return msg;
}

/* The filters of one clsact block, as a dump reports them. */
struct filter_scan {
	int ifindex;
	unsigned int n;	       /* messages: filters and their priority headers */
	__u8 used[65536 / 8];  /* priorities in use */
	__u32 prio, handle;    /* the one to look for */
	bool found, found_bpf; /* a filter at prio/handle; of kind bpf */
	__u32 found_id;	       /* its program id (TCA_BPF_ID) */
	__u32 lowest;	       /* the lowest priority in use, 0: none */
};

static int scan_filter(struct nl_msg *msg, void *arg)
{
	struct filter_scan *s = arg;
	struct nlmsghdr *h = nlmsg_hdr(msg);
	struct nlattr *tb[TCA_MAX + 1], *ob[TCA_BPF_MAX + 1];
	struct tcmsg *t;
	__u32 prio;

	if (h->nlmsg_type != RTM_NEWTFILTER || nlmsg_parse(h, sizeof(*t), tb, TCA_MAX, NULL))
		return NL_OK;
	t = nlmsg_data(h);
	if (t->tcm_ifindex != s->ifindex)
		return NL_OK;
	prio = TC_H_MAJ(t->tcm_info) >> 16;
	s->n++;
	s->used[prio / 8] |= 1 << (prio % 8);
	if (!s->lowest || prio < s->lowest)
		s->lowest = prio;
	if (prio != s->prio || t->tcm_handle != s->handle || !s->handle)
		return NL_OK;
	s->found = true;
	s->found_bpf = tb[TCA_KIND] && !strcmp(nla_get_string(tb[TCA_KIND]), "bpf");
	if (s->found_bpf && tb[TCA_OPTIONS] &&
	    !nla_parse_nested(ob, TCA_BPF_MAX, tb[TCA_OPTIONS], NULL) && ob[TCA_BPF_ID])
		s->found_id = nla_get_u32(ob[TCA_BPF_ID]);
	return NL_OK;
}

/* Dumps the filters of one block (every chain); no clsact qdisc: an empty dump. */
static int filters_scan(struct nl_sock *sk, int ifindex, __u32 parent, struct filter_scan *s)
{
	struct nl_msg *msg = tfilter_msg(RTM_GETTFILTER, NLM_F_DUMP, ifindex, parent, 0, 0);

	s->ifindex = ifindex;
	if (!msg)
		return -ENOMEM;
	return nl_talk(sk, msg, scan_filter, s);
}

/* The kind of the qdisc at clsact's place (clsact, ingress) into kind, "" when there is none. */
static int qdisc_kind(struct nl_sock *sk, int ifindex, char *kind, size_t len)
{
	struct nl_cache *cache;
	struct rtnl_qdisc *q;
	int err;

	kind[0] = 0;
	err = rtnl_qdisc_alloc_cache(sk, &cache);
	if (err < 0)
		return -EIO;
	q = rtnl_qdisc_get_by_parent(cache, ifindex, QDISC_PARENT);
	if (q) {
		snprintf(kind, len, "%s", rtnl_tc_get_kind(TC_CAST(q)) ?: "?");
		rtnl_qdisc_put(q);
	}
	nl_cache_free(cache);
	return 0;
}

static struct rtnl_qdisc *clsact_object(int ifindex)
{
	struct rtnl_qdisc *q = rtnl_qdisc_alloc();

	if (!q)
		return NULL;
	rtnl_tc_set_ifindex(TC_CAST(q), ifindex);
	rtnl_tc_set_parent(TC_CAST(q), QDISC_PARENT);
	rtnl_tc_set_handle(TC_CAST(q), QDISC_HANDLE);
	rtnl_tc_set_kind(TC_CAST(q), "clsact");
	return q;
}

/* libnl's own error codes, for the few rtnl_* calls: the errno they stand for. */
static int nlerr_errno(int err)
{
	switch (-err) {
	case NLE_EXIST:
		return -EEXIST;
	case NLE_OBJ_NOTFOUND:
		return -ENOENT;
	case NLE_NOMEM:
		return -ENOMEM;
	case NLE_PERM:
		return -EPERM;
	case NLE_NODEV:
		return -ENODEV;
	case NLE_INVAL:
		return -EINVAL;
	case NLE_BUSY:
		return -EBUSY;
	case NLE_OPNOTSUPP:
		return -EOPNOTSUPP;
	default:
		return -EIO;
	}
}

static int clsact_add(struct nl_sock *sk, int ifindex)
{
	struct rtnl_qdisc *q = clsact_object(ifindex);
	int err;

	if (!q)
		return -ENOMEM;
	err = rtnl_qdisc_add(sk, q, NLM_F_CREATE | NLM_F_EXCL);
	rtnl_qdisc_put(q);
	return err < 0 ? nlerr_errno(err) : 0;
}

static int clsact_del(struct nl_sock *sk, int ifindex)
{
	struct rtnl_qdisc *q = clsact_object(ifindex);
	int err;

	if (!q)
		return -ENOMEM;
	err = rtnl_qdisc_delete(sk, q);
	rtnl_qdisc_put(q);
	return err < 0 ? nlerr_errno(err) : 0;
}

static int filter_add(struct nl_sock *sk, const struct wl_cls_rec *r, int prog_fd)
{
	struct nl_msg *msg = tfilter_msg(RTM_NEWTFILTER, NLM_F_CREATE | NLM_F_EXCL, r->ifindex,
					 r->parent, r->prio, r->handle);
	struct nlattr *opts;

	if (!msg)
		return -ENOMEM;
	if (nla_put_string(msg, TCA_KIND, "bpf") || !(opts = nla_nest_start(msg, TCA_OPTIONS)) ||
	    nla_put_u32(msg, TCA_BPF_FD, prog_fd) ||
	    nla_put_string(msg, TCA_BPF_NAME, WL_CLS_FILTER_NAME) ||
	    nla_put_u32(msg, TCA_BPF_FLAGS, TCA_BPF_FLAG_ACT_DIRECT)) {
		nlmsg_free(msg);
		return -ENOMEM;
	}
	nla_nest_end(msg, opts);
	return nl_talk(sk, msg, NULL, NULL);
}

/* Deletes exactly the filter at (ifindex, parent, prio, handle): with a handle, the kernel
 * deletes that one filter, not the priority's others. */
static int filter_del(struct nl_sock *sk, const struct wl_cls_rec *r)
{
	struct nl_msg *msg =
		tfilter_msg(RTM_DELTFILTER, 0, r->ifindex, r->parent, r->prio, r->handle);

	if (!msg)
		return -ENOMEM;
	if (nla_put_string(msg, TCA_KIND, "bpf")) {
		nlmsg_free(msg);
		return -ENOMEM;
	}
	return nl_talk(sk, msg, NULL, NULL);
}

/* Is our filter there: at our place, kind bpf, our program. 1 yes, 0 no, -errno. */
static int filter_ours(struct nl_sock *sk, const struct wl_cls_rec *r)
{
	struct filter_scan *s = calloc(1, sizeof(*s));
	int err;

	if (!s)
		return -ENOMEM;
	s->prio = r->prio;
	s->handle = r->handle;
	err = filters_scan(sk, r->ifindex, r->parent, s);
	if (!err)
		err = s->found && s->found_bpf && s->found_id == r->prog_id;
	free(s);
	return err;
}

/* ---- check, detach, attach ---- */

struct check_arg {
	const struct wl_cls_rec *rec;
	int ret;
};

static int check_in_ns(void *arg)
{
	struct check_arg *c = arg;
	char name[IF_NAMESIZE];
	struct nl_sock *sk;

	if (!if_indextoname(c->rec->ifindex, name))
		return -ENODEV;
	if (!(c->rec->flags & WL_CLS_COMPLETE))
		return 0;
	sk = nl_open();
	if (!sk)
		return -EIO;
	c->ret = filter_ours(sk, c->rec);
	nl_socket_free(sk);
	return c->ret;
}

int wl_cls_check(const struct wl_cls_rec *rec, const char *netns)
{
	struct check_arg c = {.rec = rec};
	int ret = wl_netns_run(netns, check_in_ns, &c);

	/* no such namespace any more: its interfaces went with it */
	return ret == -ENOENT ? -ENODEV : ret;
}

/* In the record's namespace: our filter goes (if it is still ours), then the qdisc if wirelens
 * created it and nothing else is on it. */
static int remove_in_ns(void *arg)
{
	const struct wl_cls_rec *r = arg;
	struct filter_scan *s = NULL;
	char name[IF_NAMESIZE], kind[32];
	struct nl_sock *sk;
	int err;

	if (!if_indextoname(r->ifindex, name))
		return 0; /* the interface went, and its qdiscs and filters with it */
	sk = nl_open();
	if (!sk)
		return -EIO;
	err = filter_ours(sk, r);
	if (err > 0) {
		err = filter_del(sk, r);
		if (err == -ENOENT || err == -EINVAL) /* gone meanwhile */
			err = 0;
	}
	if (err < 0 || !(r->flags & WL_CLS_QDISC_OURS))
		goto out;
	err = qdisc_kind(sk, r->ifindex, kind, sizeof(kind));
	if (err || strcmp(kind, "clsact"))
		goto out;
	s = calloc(1, sizeof(*s));
	if (!s) {
		err = -ENOMEM;
		goto out;
	}
	err = filters_scan(sk, r->ifindex, PARENT_INGRESS, s);
	if (!err)
		err = filters_scan(sk, r->ifindex, PARENT_EGRESS, s);
	if (!err && !s->n) {
		err = clsact_del(sk, r->ifindex);
		if (err == -ENOENT || err == -EINVAL)
			err = 0;
	}
out:
	free(s);
	nl_socket_free(sk);
	return err > 0 ? 0 : err;
}

int wl_cls_detach(const char *path, const char *netns)
{
	struct wl_cls_rec rec;
	int err = rec_read(path, &rec);

	if (err == -ENOENT)
		return err;
	if (!err) {
		err = wl_netns_run(netns, remove_in_ns, &rec);
		if (err == -ENOENT) /* the namespace is gone, with everything in it */
			err = 0;
	} else {
		err = 0; /* not a record we can read: nothing we can remove but the pin */
	}
	if (err)
		return err;
	/* filter (and qdisc) gone, record still pinned: the next attach or detach finds the
	 * filter missing and removes the record */
	wl_test_stall("detach-cls");
	return unlink(path) && errno != ENOENT ? -errno : 0;
}

/* Whether the other TC hook's record says wirelens created the clsact qdisc of this interface:
 * then a qdisc found here is ours too, and the last of the two to go removes it. */
static bool other_owns_qdisc(const char *other_path, int ifindex)
{
	struct wl_cls_rec o;

	return other_path && !rec_read(other_path, &o) && o.ifindex == (__u32)ifindex &&
	       (o.flags & WL_CLS_QDISC_OURS);
}

static int create_record(const char *path)
{
	int fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, "wl_cls_rec", sizeof(__u32),
				sizeof(struct wl_cls_rec), 1, NULL);

	if (fd < 0)
		return -errno;
	if (bpf_obj_pin(fd, path)) {
		int err = -errno;

		close(fd);
		return err;
	}
	return fd;
}

int wl_cls_attach(const char *path, const char *pending_path, const char *other_path,
		  const char *ifname, int ifindex, bool ingress, int prog_fd,
		  void (*before_complete)(void *arg), void *arg)
{
	const char *hook = ingress ? "tc-ingress" : "tc-egress";
	struct wl_cls_rec rec = {
		.magic = WL_CLS_MAGIC,
		.ifindex = ifindex,
		.parent = ingress ? PARENT_INGRESS : PARENT_EGRESS,
		.handle = CLS_HANDLE,
	};
	struct bpf_prog_info info = {};
	__u32 len = sizeof(info);
	struct filter_scan *s = NULL;
	struct nl_sock *sk = NULL;
	char kind[32];
	const char *what = "";
	int fd = -1, err;

	if (bpf_obj_get_info_by_fd(prog_fd, &info, &len)) {
		err = -errno;
		what = "reading the program";
		goto fail;
	}
	rec.prog_id = info.id;
	sk = nl_open();
	s = calloc(1, sizeof(*s));
	if (!sk || !s) {
		err = sk ? -ENOMEM : -EIO;
		what = "rtnetlink";
		goto fail;
	}
	err = qdisc_kind(sk, ifindex, kind, sizeof(kind));
	if (err) {
		what = "listing qdiscs";
		goto fail;
	}
	if (kind[0] && strcmp(kind, "clsact")) {
		fprintf(stderr,
			"wirelens: %s: %s: the interface has an '%s' qdisc where cls_bpf needs "
			"clsact; not replacing it\n",
			ifname, hook, kind);
		err = -EBUSY;
		goto out;
	}
	err = filters_scan(sk, ifindex, rec.parent, s);
	if (err) {
		what = "listing filters";
		goto fail;
	}
	for (rec.prio = 1; rec.prio < 65536 && (s->used[rec.prio / 8] & (1 << (rec.prio % 8)));
	     rec.prio++)
		;
	if (rec.prio >= 65536) {
		err = -ENOSPC;
		what = "finding a free filter priority";
		goto fail;
	}
	if (s->lowest && s->lowest < rec.prio)
		fprintf(stderr,
			"wirelens: %s: %s: other filters run first (preference %u; ours is %u): "
			"packets they end classification for are not counted\n",
			ifname, hook, s->lowest, rec.prio);
	if (!kind[0] || other_owns_qdisc(other_path, ifindex))
		rec.flags |= WL_CLS_QDISC_OURS;
	/* the record first: whatever happens next, a later attach or detach knows what to look
	 * for */
	fd = create_record(pending_path);
	if (fd < 0 || (err = rec_write(fd, &rec))) {
		err = fd < 0 ? fd : err;
		what = "pinning the record";
		goto fail;
	}
	if (!kind[0]) {
		err = clsact_add(sk, ifindex);
		if (err == -EEXIST) { /* someone else's, created meanwhile */
			rec.flags &= ~WL_CLS_QDISC_OURS;
			err = rec_write(fd, &rec);
		}
		if (err) {
			what = "adding the clsact qdisc";
			goto fail;
		}
	}
	err = filter_add(sk, &rec, prog_fd);
	if (err) {
		what = "adding the cls_bpf filter";
		goto fail;
	}
	if (before_complete)
		before_complete(arg);
	rec.flags |= WL_CLS_COMPLETE;
	err = rec_write(fd, &rec);
	if (!err && rename(pending_path, path))
		err = -errno;
	if (err) {
		what = "completing the record";
		goto fail;
	}
	goto out;
fail:
	fprintf(stderr, "wirelens: %s: attaching %s (cls_bpf) failed: %s: %s\n", ifname, hook, what,
		strerror(-err));
out:
	if (err && fd >= 0) /* undo: what the record says, and the pin */
		wl_cls_detach(pending_path, wl_netns_tag());
	if (fd >= 0)
		close(fd);
	free(s);
	if (sk)
		nl_socket_free(sk);
	return err;
}
