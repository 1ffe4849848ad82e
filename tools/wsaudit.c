// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * wsaudit: the libnl-3 client of the winsock audit stream.  All netlink
 * framing is libnl's; this file only knows the family's attributes.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/un.h>
#include <linux/netlink.h>
#include <unistd.h>

#include <netlink/genl/ctrl.h>
#include <netlink/genl/genl.h>
#include <netlink/netlink.h>

#include <linux/winsock.h>

#include "wsaudit.h"

/* What userspace accepts from the kernel: types and sizes checked. */
static struct nla_policy wsa_policy[WINSOCK_A_MAX + 1] = {
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
	[WINSOCK_A_STATS_LOOKUPS]	= { .type = NLA_U64 },
	[WINSOCK_A_STATS_RESULT]	= { .type = NLA_NESTED },
	[WINSOCK_A_STATS_COUNT]		= { .type = NLA_U64 },
	[WINSOCK_A_STATS_EVENTS_SENT]	= { .type = NLA_U64 },
	[WINSOCK_A_STATS_EVENTS_DROPPED] = { .type = NLA_U64 },
};

static int wsa_errno(int nlerr)
{
	switch (nlerr < 0 ? -nlerr : nlerr) {
	case 0:
		return 0;
	case NLE_PERM:
		return -EPERM;
	case NLE_NOMEM:		/* what libnl makes of ENOBUFS */
		return -ENOBUFS;
	case NLE_AGAIN:
		return -EAGAIN;
	case NLE_INTR:
		return -EINTR;
	case NLE_OBJ_NOTFOUND:
		return -ENOENT;
	default:
		return -EIO;
	}
}

const char *wsa_strerror(int err)
{
	switch (err) {
	case -ENODEV:
		return "the winsock module is not loaded (modprobe winsock)";
	case -ENOENT:
		return "the winsock module has no \"" WINSOCK_GENL_NAME
		       "\" netlink family: is it an older version?";
	case -EPERM:
		return "permission denied: the audit stream needs CAP_NET_ADMIN in this network namespace";
	case -ENOBUFS:
		return "receive buffer overflowed, events lost";
	default:
		return strerror(-err);
	}
}

const char *wsa_result_name(uint32_t result)
{
	switch (result) {
	case 0:
		return "success";
	case WINSOCK_WSANOTINITIALISED:
		return "WSANOTINITIALISED";
	case WINSOCK_WSAEINPROGRESS:
		return "WSAEINPROGRESS";
	case WINSOCK_WSAENOTSOCK:
		return "WSAENOTSOCK";
	case WINSOCK_WSAENETDOWN:
		return "WSAENETDOWN";
	case WINSOCK_WSAENOTCONN:
		return "WSAENOTCONN";
	case WINSOCK_WSAEFAULT:
		return "WSAEFAULT";
	default:
		return "unknown";
	}
}

int wsa_open(struct wsa_conn *c)
{
	int err;

	c->sk = nl_socket_alloc();
	if (!c->sk)
		return -ENOMEM;
	err = genl_connect(c->sk);
	if (err < 0)
		goto fail;
	c->family = genl_ctrl_resolve(c->sk, WINSOCK_GENL_NAME);
	if (c->family < 0) {
		err = access("/sys/module/winsock", F_OK) ? -ENODEV : -ENOENT;
		goto out;
	}
	c->group = genl_ctrl_resolve_grp(c->sk, WINSOCK_GENL_NAME,
					 WINSOCK_GENL_MCGRP_EVENTS);
	if (c->group < 0) {
		err = -ENOENT;
		goto out;
	}
	return 0;
fail:
	err = wsa_errno(err);
out:
	nl_socket_free(c->sk);
	c->sk = NULL;
	return err;
}

void wsa_close(struct wsa_conn *c)
{
	nl_socket_free(c->sk);
	c->sk = NULL;
}

int wsa_fd(const struct wsa_conn *c)
{
	return nl_socket_get_fd(c->sk);
}

int wsa_subscribe(struct wsa_conn *c)
{
	int one = 1;

	/*
	 * Without NETLINK_BROADCAST_ERROR the kernel never learns that an
	 * event overflowed this socket, and could not count it as dropped.
	 */
	if (setsockopt(nl_socket_get_fd(c->sk), SOL_NETLINK,
		       NETLINK_BROADCAST_ERROR, &one, sizeof(one)))
		return -errno;
	/* Events are not replies: they carry no sequence of ours. */
	nl_socket_disable_seq_check(c->sk);
	return wsa_errno(nl_socket_add_membership(c->sk, c->group));
}

int wsa_set_rcvbuf(struct wsa_conn *c, int bytes)
{
	return wsa_errno(nl_socket_set_buffer_size(c->sk, bytes, 0));
}

int wsa_set_nonblocking(struct wsa_conn *c)
{
	return wsa_errno(nl_socket_set_nonblocking(c->sk));
}

static void wsa_parse_event(struct nlattr **tb, struct wsa_event *e)
{
	memset(e, 0, sizeof(*e));
#define U64(a, f) do { if (tb[a]) e->f = nla_get_u64(tb[a]); } while (0)
#define U32(a, f) do { if (tb[a]) e->f = nla_get_u32(tb[a]); } while (0)
	U64(WINSOCK_A_SEQ, seq);
	U64(WINSOCK_A_TIMESTAMP, timestamp_ns);
	U64(WINSOCK_A_SOCKET, socket);
	U64(WINSOCK_A_NETNS_COOKIE, netns_cookie);
	U32(WINSOCK_A_NETNS_INO, netns_ino);
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
	if (tb[WINSOCK_A_COMM])
		nla_strlcpy(e->comm, tb[WINSOCK_A_COMM], sizeof(e->comm));
	if (tb[WINSOCK_A_PEER]) {
		e->peerlen = nla_len(tb[WINSOCK_A_PEER]);
		memcpy(&e->peer, nla_data(tb[WINSOCK_A_PEER]), e->peerlen);
	}
}

struct wsa_recv_ctx {
	void (*cb)(const struct wsa_event *e, void *arg);
	void *arg;
};

static int wsa_on_event(struct nl_msg *msg, void *arg)
{
	struct nlmsghdr *nlh = nlmsg_hdr(msg);
	struct genlmsghdr *gh = nlmsg_data(nlh);
	struct wsa_recv_ctx *ctx = arg;
	struct nlattr *tb[WINSOCK_A_MAX + 1];
	struct wsa_event e;

	if (gh->cmd != WINSOCK_CMD_EVENT)
		return NL_SKIP;
	if (genlmsg_parse(nlh, 0, tb, WINSOCK_A_MAX, wsa_policy) < 0)
		return NL_SKIP;
	wsa_parse_event(tb, &e);
	ctx->cb(&e, ctx->arg);
	return NL_OK;
}

int wsa_receive(struct wsa_conn *c,
		void (*cb)(const struct wsa_event *e, void *arg), void *arg)
{
	struct wsa_recv_ctx ctx = { cb, arg };
	int err;

	nl_socket_modify_cb(c->sk, NL_CB_VALID, NL_CB_CUSTOM, wsa_on_event, &ctx);
	err = nl_recvmsgs_default(c->sk);
	return err < 0 ? wsa_errno(err) : 0;
}

static int wsa_on_stats(struct nl_msg *msg, void *arg)
{
	struct nlattr *tb[WINSOCK_A_MAX + 1], *nest[WINSOCK_A_MAX + 1], *a;
	struct wsa_stats *st = arg;
	int rem;

	if (genlmsg_parse(nlmsg_hdr(msg), 0, tb, WINSOCK_A_MAX, wsa_policy) < 0)
		return NL_SKIP;
	if (tb[WINSOCK_A_STATS_LOOKUPS])
		st->lookups = nla_get_u64(tb[WINSOCK_A_STATS_LOOKUPS]);
	if (tb[WINSOCK_A_STATS_EVENTS_SENT])
		st->events_sent = nla_get_u64(tb[WINSOCK_A_STATS_EVENTS_SENT]);
	if (tb[WINSOCK_A_STATS_EVENTS_DROPPED])
		st->events_dropped = nla_get_u64(tb[WINSOCK_A_STATS_EVENTS_DROPPED]);
	nlmsg_for_each_attr(a, nlmsg_hdr(msg), GENL_HDRLEN, rem) {
		if (nla_type(a) != WINSOCK_A_STATS_RESULT ||
		    st->nresults == WSA_NRESULTS)
			continue;
		if (nla_parse_nested(nest, WINSOCK_A_MAX, a, wsa_policy) < 0 ||
		    !nest[WINSOCK_A_RESULT] || !nest[WINSOCK_A_STATS_COUNT])
			continue;
		st->result[st->nresults] = nla_get_u32(nest[WINSOCK_A_RESULT]);
		st->count[st->nresults] = nla_get_u64(nest[WINSOCK_A_STATS_COUNT]);
		st->nresults++;
	}
	return NL_OK;
}

static int wsa_request(struct wsa_conn *c, uint8_t cmd)
{
	struct nl_msg *msg = nlmsg_alloc();
	int err;

	if (!msg)
		return -ENOMEM;
	if (!genlmsg_put(msg, NL_AUTO_PORT, NL_AUTO_SEQ, c->family, 0, 0,
			 cmd, WINSOCK_GENL_VERSION)) {
		nlmsg_free(msg);
		return -ENOMEM;
	}
	err = nl_send_auto(c->sk, msg);
	nlmsg_free(msg);
	return err < 0 ? wsa_errno(err) : 0;
}

int wsa_get_stats(struct wsa_conn *c, struct wsa_stats *st)
{
	int err;

	memset(st, 0, sizeof(*st));
	nl_socket_modify_cb(c->sk, NL_CB_VALID, NL_CB_CUSTOM, wsa_on_stats, st);
	err = wsa_request(c, WINSOCK_CMD_GET_STATS);
	if (err)
		return err;
	err = nl_recvmsgs_default(c->sk);
	if (err < 0)
		return wsa_errno(err);
	/* The reply is followed by the ack libnl asked for. */
	return wsa_errno(nl_wait_for_ack(c->sk));
}

int wsa_reset_stats(struct wsa_conn *c)
{
	int err = wsa_request(c, WINSOCK_CMD_RESET_STATS);

	return err ? err : wsa_errno(nl_wait_for_ack(c->sk));
}

void wsa_format_peer(char *buf, size_t size, const struct wsa_event *e)
{
	const struct sockaddr_in *sin = (const void *)&e->peer;
	const struct sockaddr_in6 *sin6 = (const void *)&e->peer;
	const struct sockaddr_un *sun = (const void *)&e->peer;
	int pathlen = e->peerlen - (int)offsetof(struct sockaddr_un, sun_path);
	char ip[INET6_ADDRSTRLEN];
	size_t i, o;

	buf[0] = '\0';
	if (!e->peerlen)
		return;
	switch (e->peer.ss_family) {
	case AF_INET:
		inet_ntop(AF_INET, &sin->sin_addr, ip, sizeof(ip));
		snprintf(buf, size, "%s:%u", ip, ntohs(sin->sin_port));
		break;
	case AF_INET6:
		inet_ntop(AF_INET6, &sin6->sin6_addr, ip, sizeof(ip));
		snprintf(buf, size, "[%s]:%u", ip, ntohs(sin6->sin6_port));
		break;
	case AF_UNIX:
		if (pathlen <= 0)
			break;			/* unnamed */
		if (sun->sun_path[0]) {
			snprintf(buf, size, "%.*s", pathlen, sun->sun_path);
			break;
		}
		/* Abstract: any byte; escape what is not printable. */
		o = snprintf(buf, size, "@");
		for (i = 1; i < (size_t)pathlen && o + 5 < size; i++) {
			unsigned char ch = sun->sun_path[i];

			if (ch >= 0x20 && ch < 0x7f && ch != '\\')
				buf[o++] = (char)ch;
			else
				o += snprintf(buf + o, size - o, "\\x%02x", ch);
		}
		buf[o] = '\0';
		break;
	default:
		snprintf(buf, size, "family-%u", e->peer.ss_family);
		break;
	}
}
