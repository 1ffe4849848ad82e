// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The audit-stream client (audit_client.h), on libnl-3.  libnl frames,
 * sends and receives; this file walks the datagrams itself because one
 * datagram may hold many events and, on a subscribed socket, events and
 * the answers to requests arrive interleaved.  The statistics' reply is
 * parsed in audit_stats.c.
 */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <linux/netlink.h>
#include <unistd.h>

#include <netlink/genl/ctrl.h>
#include <netlink/genl/family.h>
#include <netlink/genl/genl.h>
#include <netlink/netlink.h>

#include "audit_client.h"
#include "audit_request.h"

/*
 * libnl's receive buffer.  The module packs events into datagrams of at
 * most 16 KiB (WS_BATCH_BYTES); four times that takes any datagram in one
 * recvmsg(), without the MSG_PEEK round trip libnl makes by default.  A
 * datagram that still did not fit is lost whole, and seen as a gap.
 */
#define AUC_MSG_BUF		(64 << 10)
/* How long a request waits for its answer. */
#define AUC_REPLY_MS		10000

/* What userspace accepts from the kernel: types and sizes checked. */
struct nla_policy auc_policy[WINSOCK_A_MAX + 1] = {
	[WINSOCK_A_SEQ]			= { .type = NLA_U64 },
	[WINSOCK_A_TIMESTAMP]		= { .type = NLA_U64 },
	[WINSOCK_A_PID]			= { .type = NLA_U32 },
	[WINSOCK_A_TID]			= { .type = NLA_U32 },
	[WINSOCK_A_UID]			= { .type = NLA_U32 },
	[WINSOCK_A_GID]			= { .type = NLA_U32 },
	[WINSOCK_A_COMM]		= { .type = NLA_STRING },
	[WINSOCK_A_SOCKET]		= { .type = NLA_U64 },
	[WINSOCK_A_FAMILY]		= { .type = NLA_U32 },
	[WINSOCK_A_TYPE]		= { .type = NLA_U32 },
	[WINSOCK_A_PROTOCOL]		= { .type = NLA_U32 },
	[WINSOCK_A_RESULT]		= { .type = NLA_U32 },
	[WINSOCK_A_PEER]		= { .maxlen = sizeof(struct sockaddr_storage) },
	[WINSOCK_A_VERSION]		= { .type = NLA_U32 },
	[WINSOCK_A_FLAGS]		= { .type = NLA_U32 },
	[WINSOCK_A_NETNS_COOKIE]	= { .type = NLA_U64 },
	[WINSOCK_A_NETNS_INO]		= { .type = NLA_U32 },
	[WINSOCK_A_CALLER_NETNS_COOKIE]	= { .type = NLA_U64 },
	[WINSOCK_A_CALLER_NETNS_INO]	= { .type = NLA_U32 },
	[WINSOCK_A_STATS_LOOKUPS]	= { .type = NLA_U64 },
	[WINSOCK_A_STATS_RESULT]	= { .type = NLA_NESTED },
	[WINSOCK_A_STATS_COUNT]		= { .type = NLA_U64 },
	[WINSOCK_A_STATS_EVENTS_SENT]	= { .type = NLA_U64 },
	[WINSOCK_A_STATS_EVENTS_DROPPED] = { .type = NLA_U64 },
	[WINSOCK_A_STATS_AUDIT_SUPPRESSED] = { .type = NLA_U64 },
	[WINSOCK_A_STATS_SUBSCRIBER]	= { .type = NLA_NESTED },
	[WINSOCK_A_SUB_PORTID]		= { .type = NLA_U32 },
	[WINSOCK_A_SUB_FLAGS]		= { .type = NLA_U32 },
	[WINSOCK_A_SUB_QUEUED]		= { .type = NLA_U32 },
	[WINSOCK_A_SUB_SENT]		= { .type = NLA_U64 },
	[WINSOCK_A_SUB_DROPPED]		= { .type = NLA_U64 },
};

/* libnl's error codes, for what libnl itself reports. */
static int auc_errno(int nlerr)
{
	switch (nlerr < 0 ? -nlerr : nlerr) {
	case 0:
		return 0;
	case NLE_PERM:
		return -EPERM;
	case NLE_NOMEM:		/* what libnl makes of ENOBUFS */
	case NLE_MSG_TRUNC:	/* a datagram was lost: the gap shows it */
		return -ENOBUFS;
	case NLE_AGAIN:
		return -EAGAIN;
	case NLE_INTR:
		return -EINTR;
	case NLE_OBJ_NOTFOUND:
		return -EPROTONOSUPPORT;
	default:
		return -EIO;
	}
}

/* The family's id, if it is there and speaks this version. */
static int auc_resolve(struct nl_sock *sk)
{
	struct nl_cache *cache;
	struct genl_family *fam;
	int id = -EPROTONOSUPPORT, err;

	err = genl_ctrl_alloc_cache(sk, &cache);
	if (err < 0)
		return auc_errno(err);
	fam = genl_ctrl_search_by_name(cache, WINSOCK_GENL_NAME);
	if (fam) {
		if (genl_family_get_version(fam) == WINSOCK_GENL_VERSION)
			id = (int)genl_family_get_id(fam);
		genl_family_put(fam);
	}
	nl_cache_free(cache);
	return id;
}

int auc_open(struct auc_conn *c)
{
	int err;

	memset(c, 0, sizeof(*c));
	c->sk = nl_socket_alloc();
	if (!c->sk)
		return -ENOMEM;
	err = genl_connect(c->sk);
	if (err < 0) {
		err = auc_errno(err);
		goto out;
	}
	c->family = auc_resolve(c->sk);
	if (c->family < 0) {
		err = c->family;
		if (err == -EPROTONOSUPPORT && access("/sys/module/winsock", F_OK))
			err = -ENODEV;
		goto out;
	}
	err = auc_errno(nl_socket_set_msg_buf_size(c->sk, AUC_MSG_BUF));
	if (err)
		goto out;
	nl_socket_disable_msg_peek(c->sk);
	return 0;
out:
	nl_socket_free(c->sk);
	c->sk = NULL;
	return err;
}

void auc_close(struct auc_conn *c)
{
	nl_socket_free(c->sk);
	c->sk = NULL;
	free(c->pending);
	c->pending = NULL;
	c->npending = c->cap = 0;
}

int auc_fd(const struct auc_conn *c)
{
	return nl_socket_get_fd(c->sk);
}

uint32_t auc_portid(const struct auc_conn *c)
{
	return nl_socket_get_local_port(c->sk);
}

size_t auc_pending(const struct auc_conn *c)
{
	return c->npending;
}

int auc_set_rcvbuf(struct auc_conn *c, int bytes)
{
	int fd = nl_socket_get_fd(c->sk);

	c->rcvbuf_set = 1;
	/* FORCE goes past net.core.rmem_max, for CAP_NET_ADMIN only. */
	if (!setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &bytes, sizeof(bytes)))
		return 0;
	return setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &bytes, sizeof(bytes)) ? -errno : 0;
}

int auc_set_nonblocking(struct auc_conn *c)
{
	return auc_errno(nl_socket_set_nonblocking(c->sk));
}

static void auc_parse_event(struct nlattr **tb, struct auc_event *e)
{
	memset(e, 0, sizeof(*e));
#define U64(a, f) do { if (tb[a]) e->f = nla_get_u64(tb[a]); } while (0)
#define U32(a, f) do { if (tb[a]) e->f = nla_get_u32(tb[a]); } while (0)
	U64(WINSOCK_A_SEQ, seq);
	U64(WINSOCK_A_TIMESTAMP, timestamp_ns);
	U64(WINSOCK_A_SOCKET, socket);
	U64(WINSOCK_A_NETNS_COOKIE, netns_cookie);
	U32(WINSOCK_A_NETNS_INO, netns_ino);
	U64(WINSOCK_A_CALLER_NETNS_COOKIE, caller_netns_cookie);
	U32(WINSOCK_A_CALLER_NETNS_INO, caller_netns_ino);
	U32(WINSOCK_A_PID, pid);
	U32(WINSOCK_A_TID, tid);
	U32(WINSOCK_A_UID, uid);
	U32(WINSOCK_A_GID, gid);
	U32(WINSOCK_A_RESULT, result);
	U32(WINSOCK_A_VERSION, version);
	U32(WINSOCK_A_FLAGS, flags);
	U32(WINSOCK_A_FAMILY, family);
	U32(WINSOCK_A_TYPE, type);
	U32(WINSOCK_A_PROTOCOL, protocol);
#undef U64
#undef U32
	e->has_socket = tb[WINSOCK_A_FAMILY] != NULL;
	e->has_netns = tb[WINSOCK_A_NETNS_INO] != NULL;
	if (tb[WINSOCK_A_COMM])
		nla_strlcpy(e->comm, tb[WINSOCK_A_COMM], sizeof(e->comm));
	if (tb[WINSOCK_A_PEER]) {
		e->peerlen = nla_len(tb[WINSOCK_A_PEER]);
		memcpy(&e->peer, nla_data(tb[WINSOCK_A_PEER]), e->peerlen);
	}
}

static int auc_hold(struct auc_conn *c, const struct auc_event *e)
{
	struct auc_event *p;
	size_t cap;

	if (c->npending == c->cap) {
		cap = c->cap ? 2 * c->cap : 64;
		p = realloc(c->pending, cap * sizeof(*p));
		if (!p)
			return -ENOMEM;
		c->pending = p;
		c->cap = cap;
	}
	c->pending[c->npending++] = *e;
	return 0;
}

/* One datagram: events to @cb (or held), the answer to request @seq noted. */
struct auc_walk {
	void (*cb)(const struct auc_event *e, void *arg);
	void *arg;
	uint32_t seq;			/* 0: no request outstanding */
	int (*reply)(struct nlmsghdr *nlh, void *arg);
	void *reply_arg;
	int done;			/* the ack (or error) of @seq came */
	int err;
};

static int auc_read(struct auc_conn *c, struct auc_walk *w)
{
	struct nlattr *tb[WINSOCK_A_MAX + 1];
	struct sockaddr_nl nla = { 0 };
	unsigned char *buf = NULL;
	struct nlmsghdr *nlh;
	struct genlmsghdr *gh;
	struct nlmsgerr *ne;
	struct auc_event e;
	int n, err = 0;

	n = nl_recv(c->sk, &nla, &buf, NULL);
	if (n <= 0)
		return n ? auc_errno(n) : -EIO;
	/* Only the kernel may talk to us. */
	if (nla.nl_pid)
		goto out;
	for (nlh = (struct nlmsghdr *)buf; nlmsg_ok(nlh, n); nlh = nlmsg_next(nlh, &n)) {
		if (nlh->nlmsg_type == NLMSG_ERROR) {
			ne = nlmsg_data(nlh);
			if (!w->seq || nlh->nlmsg_seq != w->seq ||
			    nlh->nlmsg_len < (uint32_t)nlmsg_size(sizeof(*ne)))
				continue;	/* a late answer to a request given up */
			w->done = 1;
			if (!w->err)
				w->err = ne->error;
			continue;
		}
		if (nlh->nlmsg_type != c->family ||
		    nlh->nlmsg_len < (uint32_t)nlmsg_size(GENL_HDRLEN))
			continue;
		gh = nlmsg_data(nlh);
		if (gh->cmd != WINSOCK_CMD_EVENT) {
			if (w->seq && nlh->nlmsg_seq == w->seq && w->reply &&
			    !w->err)
				w->err = w->reply(nlh, w->reply_arg);
			continue;
		}
		if (genlmsg_parse(nlh, 0, tb, WINSOCK_A_MAX, auc_policy) < 0)
			continue;
		auc_parse_event(tb, &e);
		if (w->cb) {
			w->cb(&e, w->arg);
		} else if (!err) {
			err = auc_hold(c, &e);
		}
	}
out:
	free(buf);
	return err;
}

int auc_receive(struct auc_conn *c,
		void (*cb)(const struct auc_event *e, void *arg), void *arg)
{
	struct auc_walk w = { .cb = cb, .arg = arg };
	size_t i, n = c->npending, cap = c->cap;
	struct auc_event *held = c->pending;

	if (!n)
		return auc_read(c, &w);
	/* Detached: @cb may make a request, which may hold new events. */
	c->pending = NULL;
	c->npending = c->cap = 0;
	for (i = 0; i < n; i++)
		cb(&held[i], arg);
	if (!c->pending) {
		c->pending = held;
		c->cap = cap;
	} else {
		free(held);
	}
	return 0;
}

int auc_request(struct auc_conn *c, uint8_t cmd, int with_flags, uint32_t flags,
		int (*reply)(struct nlmsghdr *nlh, void *arg), void *arg)
{
	struct auc_walk w = { .reply = reply, .reply_arg = arg };
	struct pollfd pfd = { .fd = nl_socket_get_fd(c->sk), .events = POLLIN };
	struct nl_msg *msg = nlmsg_alloc();
	int err;

	if (!msg)
		return -ENOMEM;
	if (!genlmsg_put(msg, NL_AUTO_PORT, NL_AUTO_SEQ, c->family, 0, 0,
			 cmd, WINSOCK_GENL_VERSION) ||
	    (with_flags && nla_put_u32(msg, WINSOCK_A_SUB_FLAGS, flags) < 0)) {
		nlmsg_free(msg);
		return -ENOMEM;
	}
	err = nl_send_auto(c->sk, msg);
	w.seq = nlmsg_hdr(msg)->nlmsg_seq;
	nlmsg_free(msg);
	if (err < 0)
		return auc_errno(err);
	while (!w.done) {
		err = auc_read(c, &w);
		if (err == -EAGAIN) {
			/* A non-blocking connection: wait here. */
			err = poll(&pfd, 1, AUC_REPLY_MS);
			if (err < 0 && errno != EINTR)
				return -errno;
			if (!err)
				return -ETIMEDOUT;
			continue;
		}
		/*
		 * ENOBUFS: the receive buffer of a subscribed connection
		 * was full and the answer may have been dropped with the
		 * overflow; waiting for it could be forever.
		 */
		if (err)
			return err;
	}
	return w.err;
}

int auc_subscribe(struct auc_conn *c, uint32_t flags)
{
	int err;

	/* Before the first event: a burst must find room. */
	if (!c->rcvbuf_set) {
		err = auc_set_rcvbuf(c, AUC_RCVBUF_DEFAULT);
		if (err)
			return err;
	}
	return auc_request(c, WINSOCK_CMD_SUBSCRIBE, 1, flags, NULL, NULL);
}

int auc_unsubscribe(struct auc_conn *c)
{
	return auc_request(c, WINSOCK_CMD_UNSUBSCRIBE, 0, 0, NULL, NULL);
}
