// SPDX-License-Identifier: GPL-2.0
/*
 * The audit listener: a thread that subscribes to the audit stream and
 * leaves again, so that events are built, queued and sent meanwhile.
 */
#include <errno.h>
#include <stdlib.h>
#include <unistd.h>
#include <sys/socket.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>

#include "fuzz.h"

struct genl_req {
	struct nlmsghdr nh;
	struct genlmsghdr gh;
	char attrs[64];
};

#define nla_for_each(a, data, len, rem)						\
	for (a = (const struct nlattr *)(data), rem = (int)(len);		\
	     rem >= (int)NLA_HDRLEN && a->nla_len >= NLA_HDRLEN &&		\
	     a->nla_len <= rem;							\
	     rem -= NLA_ALIGN(a->nla_len),					\
	     a = (const struct nlattr *)((const char *)a + NLA_ALIGN(a->nla_len)))

static const void *nla_data_of(const struct nlattr *a)
{
	return (const char *)a + NLA_HDRLEN;
}

/* A request, with @attr (@len bytes of @data) if @attr is not 0. */
static int genl_send_attr(int s, uint16_t family, uint8_t cmd, uint16_t attr,
			  const void *data, size_t len)
{
	struct genl_req req;
	struct nlattr *a = (struct nlattr *)req.attrs;

	memset(&req, 0, sizeof(req));
	req.nh.nlmsg_len = NLMSG_LENGTH(GENL_HDRLEN);
	req.nh.nlmsg_type = family;
	req.nh.nlmsg_flags = NLM_F_REQUEST;
	req.gh.cmd = cmd;
	req.gh.version = family == GENL_ID_CTRL ? 1 : WINSOCK_GENL_VERSION;
	if (attr) {
		a->nla_type = attr;
		a->nla_len = NLA_HDRLEN + len;
		memcpy(a + 1, data, len);
		req.nh.nlmsg_len += NLA_ALIGN(a->nla_len);
	}
	return send(s, &req, req.nh.nlmsg_len, 0) == (ssize_t)req.nh.nlmsg_len ? 0 : -1;
}

static int genl_send(int s, uint16_t family, uint8_t cmd, const char *name)
{
	return genl_send_attr(s, family, cmd, name ? CTRL_ATTR_FAMILY_NAME : 0,
			      name, name ? strlen(name) + 1 : 0);
}

/* The family's id, with CTRL_CMD_GETFAMILY. */
int genl_resolve(int *family)
{
	char buf[8192];
	const struct nlmsghdr *nh = (const struct nlmsghdr *)buf;
	const struct nlattr *a;
	int s, rem;
	ssize_t n;
	uint16_t id;

	*family = -1;
	s = socket(AF_NETLINK, SOCK_RAW, NETLINK_GENERIC);
	if (s < 0 || genl_send(s, GENL_ID_CTRL, CTRL_CMD_GETFAMILY, WINSOCK_GENL_NAME)) {
		if (s >= 0)
			close(s);
		return -1;
	}
	n = recv(s, buf, sizeof(buf), 0);
	close(s);
	if (n < (ssize_t)NLMSG_LENGTH(GENL_HDRLEN) || !NLMSG_OK(nh, n) ||
	    nh->nlmsg_type != GENL_ID_CTRL)
		return -1;
	nla_for_each(a, (const char *)NLMSG_DATA(nh) + GENL_HDRLEN,
		     nh->nlmsg_len - NLMSG_LENGTH(GENL_HDRLEN), rem) {
		if (a->nla_type == CTRL_ATTR_FAMILY_ID) {
			memcpy(&id, nla_data_of(a), sizeof(id));
			*family = id;
		}
	}
	return *family < 0 ? -1 : 0;
}

/* An event: numbered after the last one this socket saw, a lookup's result. */
static void audit_event(struct audit *au, const struct nlmsghdr *nh, uint64_t *last)
{
	const struct nlattr *a;
	uint64_t seq = 0;
	uint32_t result = 0;
	int rem;

	nla_for_each(a, (const char *)NLMSG_DATA(nh) + GENL_HDRLEN,
		     nh->nlmsg_len - NLMSG_LENGTH(GENL_HDRLEN), rem) {
		if (a->nla_type == WINSOCK_A_SEQ)
			memcpy(&seq, nla_data_of(a), sizeof(seq));
		else if (a->nla_type == WINSOCK_A_RESULT)
			memcpy(&result, nla_data_of(a), sizeof(result));
	}
	au->events++;
	if (seq <= *last)
		fail_msg("audit", "event %" PRIu64 " after event %" PRIu64, seq, *last);
	*last = seq;
	if (outcome_of(result, 0) > S_FAULT)
		fail_msg("audit", "event %" PRIu64 " with result %u", seq, result);
}

/*
 * Read what is queued; events are checked, replies skipped, errors (no
 * request asks for an acknowledgement) counted as refusals.
 */
static void audit_drain(struct audit *au, int s, uint64_t *last)
{
	char buf[16384];
	const struct nlmsghdr *nh;
	const struct genlmsghdr *gh;
	ssize_t n;

	for (;;) {
		n = recv(s, buf, sizeof(buf), MSG_DONTWAIT);
		if (n < 0 && errno == ENOBUFS) {
			au->lost++;	/* the gap in the numbers says how many */
			continue;
		}
		if (n <= 0)
			return;
		for (nh = (const struct nlmsghdr *)buf; NLMSG_OK(nh, n); nh = NLMSG_NEXT(nh, n)) {
			if (nh->nlmsg_type == NLMSG_ERROR &&
			    ((const struct nlmsgerr *)NLMSG_DATA(nh))->error)
				au->refused++;
			if (nh->nlmsg_type != world.genl_family ||
			    nh->nlmsg_len < NLMSG_LENGTH(GENL_HDRLEN))
				continue;
			gh = NLMSG_DATA(nh);
			if (gh->cmd == WINSOCK_CMD_EVENT)
				audit_event(au, nh, last);
		}
	}
}

/*
 * Subscribe for a while, maybe with a tiny buffer (then mostly best
 * effort: a reliable subscriber that reads this slowly would make the
 * lookups wait), sometimes with bad flags or twice; then leave.
 */
static void audit_session(struct audit *au)
{
	struct rng *r = &au->rng;
	int s, one = 1, rcvbuf = 1024 + below(r, 16384), rounds, i;
	bool tiny = chance(r, 50);
	uint64_t last = 0;
	uint32_t flags;

	s = socket(AF_NETLINK, SOCK_RAW | SOCK_NONBLOCK, NETLINK_GENERIC);
	if (s < 0) {
		usleep(1000);
		return;
	}
	if (tiny)
		setsockopt(s, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	if (chance(r, 20))
		setsockopt(s, SOL_NETLINK, NETLINK_NO_ENOBUFS, &one, sizeof(one));
	flags = chance(r, tiny ? 90 : 30) ? WINSOCK_SUB_BEST_EFFORT : 0;
	if (chance(r, 10))
		flags |= 1U << (1 + below(r, 31));	/* unknown: EINVAL */
	if (flags || chance(r, 50))
		genl_send_attr(s, world.genl_family, WINSOCK_CMD_SUBSCRIBE,
			       WINSOCK_A_SUB_FLAGS, &flags, sizeof(flags));
	else
		genl_send(s, world.genl_family, WINSOCK_CMD_SUBSCRIBE, NULL);
	if (chance(r, 10))	/* EEXIST, or the first if that one was bad */
		genl_send(s, world.genl_family, WINSOCK_CMD_SUBSCRIBE, NULL);
	rounds = 1 + below(r, 32);
	for (i = 0; i < rounds && !stopping(); i++) {
		audit_drain(au, s, &last);
		if (chance(r, 5))
			genl_send(s, world.genl_family, chance(r, 20) ?
				  WINSOCK_CMD_RESET_STATS : WINSOCK_CMD_GET_STATS, NULL);
		usleep(below(r, 2000));
	}
	if (chance(r, 50))
		genl_send(s, world.genl_family, WINSOCK_CMD_UNSUBSCRIBE, NULL);
	if (chance(r, 50))
		audit_drain(au, s, &last);
	close(s);
	au->sessions++;
}

void *audit_main(void *arg)
{
	struct audit *au = arg;

	while (!stopping())
		audit_session(au);
	return NULL;
}

