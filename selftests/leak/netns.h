/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Network namespaces made by a child and followed with rtnetlink until
 * the kernel releases them.
 */
#ifndef WINSOCK_LEAK_NETNS_H
#define WINSOCK_LEAK_NETNS_H

#include "leak.h"

/*
 * Network namespaces.  The net_namespace cache does not tell when one
 * goes (see unchecked_cache()), rtnetlink does: a namespace given an id
 * here (RTM_NEWNSID) is reported with RTM_DELNSID when its last counted
 * reference is dropped and its cleanup runs.  A handle holds such a
 * reference on its opener's namespace while it is open (by design: its
 * lookups count there).
 */
static int nsid_socket(void)
{
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	int grp = RTNLGRP_NSID;

	if (fd < 0)
		return -1;
	if (setsockopt(fd, SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, &grp, sizeof(grp))) {
		close(fd);
		return -1;
	}
	return fd;
}

/* RTM_DELNSID notifications seen, whatever nsid_wait() was waiting for. */
static long nsid_deleted;

/* What nsid_wait() waits for, and what it found. */
struct nsid_watch {
	int type;
	bool found;
	int rc;
};

static bool nsid_msg(struct nlmsghdr *nh, void *arg)
{
	int hdr = NLMSG_ALIGN(sizeof(struct rtgenmsg));
	struct nsid_watch *w = arg;
	struct nlattr *a;
	int alen, err;

	if (nh->nlmsg_type == NLMSG_ERROR) {
		err = ((struct nlmsgerr *)NLMSG_DATA(nh))->error;
		w->found = err != 0;
		w->rc = err;
		return w->found;
	}
	if (nh->nlmsg_type == RTM_DELNSID)
		nsid_deleted++;
	if (nh->nlmsg_type != w->type)
		return false;
	alen = (int)nh->nlmsg_len - NLMSG_LENGTH(hdr);
	a = (struct nlattr *)((char *)NLMSG_DATA(nh) + hdr);
	NLA_FOR_EACH(a, a, alen)
		if (a->nla_type == NETNSA_NSID) {
			memcpy(&w->rc, nla_data_of(a), sizeof(w->rc));
			w->found = true;
			return true;
		}
	return false;
}

/*
 * Read rtnetlink messages for up to @ms (genl_recv() reads any netlink
 * socket): the id of the first @type notification, -ETIMEDOUT if none
 * came, or the error of a request.
 */
static int nsid_wait(int fd, int type, int ms)
{
	struct genl g = { .fd = fd };
	struct nsid_watch w = { .type = type };
	uint64_t end = now_ms() + ms;
	int left, rc;

	for (;;) {
		left = (int)(end - now_ms());
		if (left <= 0)
			return -ETIMEDOUT;
		rc = genl_recv(&g, left, nsid_msg, &w);
		if (w.found)
			return w.rc;
		if (rc == -EAGAIN)	/* readable, then not: wait on */
			continue;
		if (rc <= 0)
			return rc ? rc : -ETIMEDOUT;
	}
}

/* Append an attribute of @len bytes to the message in @buf. */
static void nl_put(struct nlmsghdr *nh, int type, const void *data, int len)
{
	struct nlattr *a = (struct nlattr *)((char *)nh + NLMSG_ALIGN(nh->nlmsg_len));

	a->nla_type = type;
	a->nla_len = NLA_HDRLEN + len;
	memcpy(nla_data_of(a), data, len);
	nh->nlmsg_len = NLMSG_ALIGN(nh->nlmsg_len) + NLA_ALIGN(a->nla_len);
}

/* Give the namespace of @pid an id here; returns it, or -errno. */
static int nsid_assign(int fd, pid_t pid)
{
	struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
	uint32_t buf[64] = { 0 };
	struct nlmsghdr *nh = (struct nlmsghdr *)buf;
	struct rtgenmsg *g = NLMSG_DATA(nh);
	int32_t any = -1;	/* any free id */
	uint32_t upid = pid;

	nh->nlmsg_len = NLMSG_LENGTH(sizeof(*g));
	nh->nlmsg_type = RTM_NEWNSID;
	nh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	g->rtgen_family = AF_UNSPEC;
	nl_put(nh, NETNSA_NSID, &any, sizeof(any));
	nl_put(nh, NETNSA_PID, &upid, sizeof(upid));
	if (sendto(fd, nh, nh->nlmsg_len, 0, (struct sockaddr *)&kernel,
		   sizeof(kernel)) < 0)
		return -errno;
	return nsid_wait(fd, RTM_NEWNSID, 2000);
}

static bool readable(int fd, int ms)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };

	return poll(&pfd, 1, ms) == 1;
}

/*
 * A child in a new namespace: opens a started handle there, looks up (also
 * @outer, a socket of the parent's namespace, if not -1), subscribes to
 * the audit stream, asks for the counters; with @pass the handle goes to the
 * parent over @sock.  Then it reports ready on @sock and exits when told
 * to (the parent names the namespace meanwhile).
 */
static int netns_user(int sock, bool pass, int outer)
{
	struct genl l, req;
	int dev, fds[3];
	char c;

	if (unshare(CLONE_NEWNET))
		return 10;
	if (genl_open(&l) || genl_subscribe(&l, 0) || genl_open(&req))
		return 11;
	dev = ws_open_started(0x0202);
	if (dev < 0 || socketpair(AF_UNIX, SOCK_STREAM, 0, fds))
		return 12;
	/*
	 * A socket of the outer namespace: the caller is in this one, so
	 * this namespace's subscriber hears it too (and so does the host).
	 */
	fds[2] = outer;
	lookups_on(dev, fds, outer >= 0 ? 3 : 2);
	/* A kernel thread delivers: the first event comes a moment later. */
	if (genl_recv_events(&l, 2000, NULL, NULL) <= 0)
		return 13;
	genl_drain(&l);
	if (genl_request(&req, req.family, WINSOCK_CMD_GET_STATS, NULL))
		return 14;
	if (pass ? ws_send_fd(sock, dev) : write(sock, "r", 1) != 1)
		return 15;
	if (read(sock, &c, 1) != 1)
		return 16;
	return 0;
}

/* Run netns_user() and name its namespace; the id, or -errno. */
static int start_netns_user(int nl, int sv[2], bool pass, int outer, int *dev,
			    pid_t *pid)
{
	char c;
	int id;

	*pid = fork();
	if (*pid < 0)
		return -errno;
	if (*pid == 0)
		_exit(netns_user(sv[1], pass, outer));
	/* A child that failed early never writes: do not wait forever. */
	if (!readable(sv[0], 5000))
		return -ETIMEDOUT;
	if (pass)
		*dev = ws_recv_fd(sv[0]);
	else if (read(sv[0], &c, 1) != 1)
		return -EIO;
	id = nsid_assign(nl, *pid);
	if (write(sv[0], "x", 1) != 1)
		return -EIO;
	return id;
}

#endif /* WINSOCK_LEAK_NETNS_H */
