// SPDX-License-Identifier: GPL-2.0
/*
 * The audit listener: a thread that subscribes to the audit stream and
 * leaves again, so that events are built, queued and sent meanwhile.  It
 * speaks raw generic netlink through genl_raw.h, asks for no
 * acknowledgements and reads what comes (events, replies, errors) in
 * between, the way a slow or careless subscriber would.
 */
#include <unistd.h>

#include "../genl_raw.h"
#include "fuzz.h"

/* The audit stream's family id, or -1 when the module has none. */
int audit_family(void)
{
	struct genl g;
	int family;

	if (genl_open(&g))
		return -1;
	family = g.family;
	genl_close(&g);
	return family;
}

/* One subscription: its socket and the number of the last event it saw. */
struct session {
	struct audit *au;
	struct genl g;
	uint64_t last;
};

/* @cmd, with WINSOCK_A_SUB_FLAGS if @flags: its errors come to audit_msg(). */
static void audit_post(struct session *s, uint8_t cmd, const uint32_t *flags)
{
	struct genl_msg m;

	genl_msg_init(&m, s->g.family, cmd);
	if (flags)
		genl_msg_put(&m, WINSOCK_A_SUB_FLAGS, flags, sizeof(*flags));
	genl_post(&s->g, &m);
}

/*
 * A message read: an event, numbered after the last one this socket saw,
 * with a lookup's result; an error (no request asks for an
 * acknowledgement) is a refusal; replies are skipped.
 */
static bool audit_msg(struct nlmsghdr *nh, void *arg)
{
	struct session *s = arg;
	struct genl_event e;

	if (nh->nlmsg_type == NLMSG_ERROR && ((struct nlmsgerr *)NLMSG_DATA(nh))->error)
		s->au->refused++;
	if (!genl_is_event(&s->g, nh))
		return false;
	genl_parse_event(nh, &e);
	s->au->events++;
	if (e.seq <= s->last)
		fail_msg("audit", "event %" PRIu64 " after event %" PRIu64, e.seq, s->last);
	s->last = e.seq;
	if (outcome_of(e.result, 0) > S_FAULT)
		fail_msg("audit", "event %" PRIu64 " with result %u", e.seq, e.result);
	return false;
}

/*
 * Subscribe for a while, maybe with a tiny buffer (then mostly best
 * effort: a reliable subscriber that reads this slowly would make the
 * lookups wait), sometimes with bad flags or twice; then leave.
 */
static void audit_session(struct audit *au)
{
	struct rng *r = &au->rng;
	int one = 1, rcvbuf = 1024 + below(r, 16384), rounds, i;
	bool tiny = chance(r, 50);
	struct session s = { .au = au };
	uint32_t flags;

	if (genl_socket(&s.g, world.genl_family)) {
		usleep(1000);
		return;
	}
	if (tiny)
		setsockopt(s.g.fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	if (chance(r, 20))
		setsockopt(s.g.fd, SOL_NETLINK, NETLINK_NO_ENOBUFS, &one, sizeof(one));
	flags = chance(r, tiny ? 90 : 30) ? WINSOCK_SUB_BEST_EFFORT : 0;
	if (chance(r, 10))
		flags |= 1U << (1 + below(r, 31));	/* unknown: EINVAL */
	if (flags || chance(r, 50))
		audit_post(&s, WINSOCK_CMD_SUBSCRIBE, &flags);
	else
		audit_post(&s, WINSOCK_CMD_SUBSCRIBE, NULL);
	if (chance(r, 10))	/* EEXIST, or the first if that one was bad */
		audit_post(&s, WINSOCK_CMD_SUBSCRIBE, NULL);
	rounds = 1 + below(r, 32);
	for (i = 0; i < rounds && !stopping(); i++) {
		au->lost += genl_recv_queued(&s.g, audit_msg, &s);
		if (chance(r, 5))
			audit_post(&s, chance(r, 20) ? WINSOCK_CMD_RESET_STATS :
				   WINSOCK_CMD_GET_STATS, NULL);
		usleep(below(r, 2000));
	}
	if (chance(r, 50))
		audit_post(&s, WINSOCK_CMD_UNSUBSCRIBE, NULL);
	if (chance(r, 50))
		au->lost += genl_recv_queued(&s.g, audit_msg, &s);
	genl_close(&s.g);
	au->sessions++;
}

void *audit_main(void *arg)
{
	struct audit *au = arg;

	while (!stopping())
		audit_session(au);
	return NULL;
}
