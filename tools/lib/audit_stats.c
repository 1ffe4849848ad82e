// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The audit stream's statistics (audit_client.h): WINSOCK_CMD_GET_STATS,
 * its reply parsed into struct auc_stats, and WINSOCK_CMD_RESET_STATS.
 */
#include <errno.h>
#include <string.h>

#include <netlink/genl/genl.h>
#include <netlink/netlink.h>

#include "audit_client.h"
#include "audit_request.h"

static void auc_parse_subscriber(struct nlattr *a, struct auc_stats *st)
{
	struct nlattr *nest[WINSOCK_A_MAX + 1];
	struct auc_subscriber *s;

	if (st->nsubscribers == WINSOCK_SUBSCRIBERS_MAX ||
	    nla_parse_nested(nest, WINSOCK_A_MAX, a, auc_policy) < 0 ||
	    !nest[WINSOCK_A_SUB_PORTID])
		return;
	s = &st->sub[st->nsubscribers++];
	s->portid = nla_get_u32(nest[WINSOCK_A_SUB_PORTID]);
	if (nest[WINSOCK_A_SUB_FLAGS])
		s->flags = nla_get_u32(nest[WINSOCK_A_SUB_FLAGS]);
	if (nest[WINSOCK_A_SUB_QUEUED])
		s->queued = nla_get_u32(nest[WINSOCK_A_SUB_QUEUED]);
	if (nest[WINSOCK_A_SUB_SENT])
		s->sent = nla_get_u64(nest[WINSOCK_A_SUB_SENT]);
	if (nest[WINSOCK_A_SUB_DROPPED])
		s->dropped = nla_get_u64(nest[WINSOCK_A_SUB_DROPPED]);
	if (nest[WINSOCK_A_SEQ])
		s->seq = nla_get_u64(nest[WINSOCK_A_SEQ]);
}

static void auc_parse_result(struct nlattr *a, struct auc_stats *st)
{
	struct nlattr *nest[WINSOCK_A_MAX + 1];

	if (st->nresults == AUC_NRESULTS ||
	    nla_parse_nested(nest, WINSOCK_A_MAX, a, auc_policy) < 0 ||
	    !nest[WINSOCK_A_RESULT] || !nest[WINSOCK_A_STATS_COUNT])
		return;
	st->result[st->nresults] = nla_get_u32(nest[WINSOCK_A_RESULT]);
	st->count[st->nresults] = nla_get_u64(nest[WINSOCK_A_STATS_COUNT]);
	st->nresults++;
}

static int auc_on_stats(struct nlmsghdr *nlh, void *arg)
{
	struct nlattr *tb[WINSOCK_A_MAX + 1], *a;
	struct auc_stats *st = arg;
	int rem;

	if (genlmsg_parse(nlh, 0, tb, WINSOCK_A_MAX, auc_policy) < 0)
		return -EIO;
	if (tb[WINSOCK_A_STATS_LOOKUPS])
		st->lookups = nla_get_u64(tb[WINSOCK_A_STATS_LOOKUPS]);
	if (tb[WINSOCK_A_STATS_EVENTS_SENT])
		st->events_sent = nla_get_u64(tb[WINSOCK_A_STATS_EVENTS_SENT]);
	if (tb[WINSOCK_A_STATS_EVENTS_DROPPED])
		st->events_dropped = nla_get_u64(tb[WINSOCK_A_STATS_EVENTS_DROPPED]);
	if (tb[WINSOCK_A_STATS_AUDIT_SUPPRESSED]) {
		st->has_audit_suppressed = 1;
		st->audit_suppressed = nla_get_u64(tb[WINSOCK_A_STATS_AUDIT_SUPPRESSED]);
	}
	/* genlmsg_parse() keeps only the last of repeated attributes. */
	nlmsg_for_each_attr(a, nlh, GENL_HDRLEN, rem) {
		if (nla_type(a) == WINSOCK_A_STATS_RESULT)
			auc_parse_result(a, st);
		else if (nla_type(a) == WINSOCK_A_STATS_SUBSCRIBER)
			auc_parse_subscriber(a, st);
	}
	return 0;
}

int auc_get_stats(struct auc_conn *c, struct auc_stats *st)
{
	memset(st, 0, sizeof(*st));
	return auc_request(c, WINSOCK_CMD_GET_STATS, 0, 0, auc_on_stats, st);
}

int auc_reset_stats(struct auc_conn *c)
{
	return auc_request(c, WINSOCK_CMD_RESET_STATS, 0, 0, NULL, NULL);
}
