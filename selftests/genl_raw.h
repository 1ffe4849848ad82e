/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The audit stream's family through a raw NETLINK_GENERIC socket, for the
 * selftests that are built 32-bit too, where libnl is not installed: the
 * attribute walk and the "events" group out of CTRL_CMD_GETFAMILY.
 */
#ifndef _WINSOCK_GENL_RAW_H
#define _WINSOCK_GENL_RAW_H

#include <stdint.h>
#include <string.h>
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

#endif /* _WINSOCK_GENL_RAW_H */
