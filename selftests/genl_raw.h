/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The audit stream's family through a raw NETLINK_GENERIC socket, for the
 * selftests that are built 32-bit too, where libnl is not installed: the
 * attribute walk, the family and its "events" group out of
 * CTRL_CMD_GETFAMILY, requests without attributes, and membership.
 */
#ifndef _WINSOCK_GENL_RAW_H
#define _WINSOCK_GENL_RAW_H

#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <linux/winsock.h>

struct genl {
	int fd;
	uint16_t family;
	uint32_t group;
};

#define NLA_FOR_EACH(a, head, len)					\
	for ((a) = (head); (len) >= (int)NLA_HDRLEN &&			\
	     (a)->nla_len >= NLA_HDRLEN && (a)->nla_len <= (len);	\
	     (len) -= NLA_ALIGN((a)->nla_len),				\
	     (a) = (struct nlattr *)((char *)(a) + NLA_ALIGN((a)->nla_len)))

static inline void *nla_data_of(struct nlattr *a)
{
	return (char *)a + NLA_HDRLEN;
}

/* The attributes of a generic netlink message, and their length. */
static inline struct nlattr *genl_attrs(struct nlmsghdr *nh, int *len)
{
	*len = (int)nh->nlmsg_len - NLMSG_LENGTH(GENL_HDRLEN);
	return (struct nlattr *)((char *)NLMSG_DATA(nh) + GENL_HDRLEN);
}

/* Parse the "events" group out of CTRL_ATTR_MCAST_GROUPS. */
static inline void genl_parse_groups(struct genl *g, struct nlattr *groups)
{
	struct nlattr *grp, *a;
	int len = groups->nla_len - NLA_HDRLEN, glen;

	NLA_FOR_EACH(grp, (struct nlattr *)nla_data_of(groups), len) {
		const char *name = NULL;
		uint32_t id = 0;

		glen = grp->nla_len - NLA_HDRLEN;
		NLA_FOR_EACH(a, (struct nlattr *)nla_data_of(grp), glen) {
			if ((a->nla_type & NLA_TYPE_MASK) == CTRL_ATTR_MCAST_GRP_NAME)
				name = nla_data_of(a);
			else if ((a->nla_type & NLA_TYPE_MASK) == CTRL_ATTR_MCAST_GRP_ID)
				memcpy(&id, nla_data_of(a), sizeof(id));
		}
		if (name && !strcmp(name, WINSOCK_GENL_MCGRP_EVENTS))
			g->group = id;
	}
}

/*
 * Send a request and wait for its acknowledgement: 0 or -errno.  With
 * @family_name it is CTRL_CMD_GETFAMILY's, and the answer's family id and
 * events group are stored in @g.
 */
static inline int genl_request(struct genl *g, uint16_t type, uint8_t cmd,
			const char *family_name)
{
	struct {
		struct nlmsghdr nh;
		struct genlmsghdr gh;
		char attrs[64];
	} req;
	struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
	struct pollfd pfd = { .fd = g->fd, .events = POLLIN };
	struct nlmsghdr *nh;
	struct nlattr *a;
	char buf[16384];
	int len, alen;

	memset(&req, 0, sizeof(req));
	req.nh.nlmsg_type = type;
	req.nh.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	req.nh.nlmsg_seq = 1;
	req.gh.cmd = cmd;
	req.gh.version = 1;
	req.nh.nlmsg_len = NLMSG_LENGTH(GENL_HDRLEN);
	if (family_name) {
		a = (struct nlattr *)req.attrs;
		a->nla_type = CTRL_ATTR_FAMILY_NAME;
		a->nla_len = NLA_HDRLEN + strlen(family_name) + 1;
		memcpy(nla_data_of(a), family_name, strlen(family_name) + 1);
		req.nh.nlmsg_len += NLA_ALIGN(a->nla_len);
	}
	if (sendto(g->fd, &req, req.nh.nlmsg_len, 0, (struct sockaddr *)&kernel,
		   sizeof(kernel)) < 0)
		return -errno;
	for (;;) {
		if (poll(&pfd, 1, 2000) != 1)
			return -ETIMEDOUT;
		len = recv(g->fd, buf, sizeof(buf), 0);
		if (len < 0)
			return -errno;
		for (nh = (struct nlmsghdr *)buf; NLMSG_OK(nh, len);
		     nh = NLMSG_NEXT(nh, len)) {
			if (nh->nlmsg_type == NLMSG_ERROR)
				return ((struct nlmsgerr *)NLMSG_DATA(nh))->error;
			if (nh->nlmsg_type != GENL_ID_CTRL || !family_name)
				continue;
			NLA_FOR_EACH(a, genl_attrs(nh, &alen), alen) {
				if ((a->nla_type & NLA_TYPE_MASK) == CTRL_ATTR_FAMILY_ID)
					memcpy(&g->family, nla_data_of(a),
					       sizeof(g->family));
				else if ((a->nla_type & NLA_TYPE_MASK) ==
					 CTRL_ATTR_MCAST_GROUPS)
					genl_parse_groups(g, a);
			}
		}
	}
}

/* Open a socket and resolve the family: 0 or -errno (-ENOENT: no family). */
static inline int genl_open(struct genl *g)
{
	int err;

	memset(g, 0, sizeof(*g));
	g->fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_GENERIC);
	if (g->fd < 0)
		return -errno;
	err = genl_request(g, GENL_ID_CTRL, CTRL_CMD_GETFAMILY, WINSOCK_GENL_NAME);
	if (!err && (!g->family || !g->group))
		err = -EIO;
	if (err) {
		close(g->fd);
		g->fd = -1;
	}
	return err;
}

/*
 * Join or leave (NETLINK_ADD/DROP_MEMBERSHIP) the events group, asking for
 * NETLINK_BROADCAST_ERROR as every listener should.
 */
static inline int genl_membership(struct genl *g, int op)
{
	int one = 1;

	if (setsockopt(g->fd, SOL_NETLINK, NETLINK_BROADCAST_ERROR, &one, sizeof(one)))
		return -errno;
	return setsockopt(g->fd, SOL_NETLINK, op, &g->group, sizeof(g->group)) ?
	       -errno : 0;
}

static inline void genl_close(struct genl *g)
{
	if (g->fd >= 0)
		close(g->fd);
	g->fd = -1;
}

#endif /* _WINSOCK_GENL_RAW_H */
