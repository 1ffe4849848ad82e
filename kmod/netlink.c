// SPDX-License-Identifier: GPL-2.0
/*
 * The generic netlink family "winsock": subscribing to the audit stream
 * and reading its counters.  Every command needs CAP_NET_ADMIN over the
 * network namespace it is sent in: events and counters reveal other
 * users' activity.
 */
#include <linux/netlink.h>
#include <linux/notifier.h>
#include <net/genetlink.h>
#include <net/net_namespace.h>

#include "audit.h"

static const u32 ws_stat_result[WS_STAT_RESULTS] = {
	[WS_STAT_OK]		 = 0,
	[WS_STAT_NOTINITIALISED] = WINSOCK_WSANOTINITIALISED,
	[WS_STAT_INPROGRESS]	 = WINSOCK_WSAEINPROGRESS,
	[WS_STAT_NOTSOCK]	 = WINSOCK_WSAENOTSOCK,
	[WS_STAT_NETDOWN]	 = WINSOCK_WSAENETDOWN,
	[WS_STAT_NOTCONN]	 = WINSOCK_WSAENOTCONN,
	[WS_STAT_FAULT]		 = WINSOCK_WSAEFAULT,
};

static int ws_put_sub(struct sk_buff *msg, struct ws_sub *sub)
{
	struct nlattr *nest;
	u64 seq, sent, dropped;
	u32 queued;

	spin_lock(&sub->lock);
	seq = sub->seq;
	sent = sub->sent;
	dropped = sub->dropped;
	queued = skb_queue_len(&sub->queue);
	spin_unlock(&sub->lock);

	nest = nla_nest_start(msg, WINSOCK_A_STATS_SUBSCRIBER);
	if (!nest ||
	    nla_put_u32(msg, WINSOCK_A_SUB_PORTID, sub->portid) ||
	    nla_put_u32(msg, WINSOCK_A_SUB_FLAGS, sub->flags) ||
	    nla_put_u32(msg, WINSOCK_A_SUB_QUEUED, queued) ||
	    nla_put_u64_64bit(msg, WINSOCK_A_SUB_SENT, sent, WINSOCK_A_PAD) ||
	    nla_put_u64_64bit(msg, WINSOCK_A_SUB_DROPPED, dropped,
			      WINSOCK_A_PAD) ||
	    nla_put_u64_64bit(msg, WINSOCK_A_SEQ, seq, WINSOCK_A_PAD))
		return -EMSGSIZE;
	nla_nest_end(msg, nest);
	return 0;
}

static int ws_put_stats(struct sk_buff *msg, struct net *net,
			struct ws_net *wn)
{
	u64 v[WS_NSTATS], lookups = 0;
	struct nlattr *nest;
	struct ws_sub *sub;
	int i, err = 0;

	mutex_lock(&wn->base_lock);
	ws_stats_read(wn, v);
	for (i = 0; i < WS_NSTATS; i++)
		v[i] -= wn->base[i];
	mutex_unlock(&wn->base_lock);
	for (i = 0; i < WS_STAT_RESULTS; i++)
		lookups += v[i];

	if (nla_put_u64_64bit(msg, WINSOCK_A_STATS_LOOKUPS, lookups,
			      WINSOCK_A_PAD))
		return -EMSGSIZE;
	for (i = 0; i < WS_STAT_RESULTS; i++) {
		nest = nla_nest_start(msg, WINSOCK_A_STATS_RESULT);
		if (!nest ||
		    nla_put_u32(msg, WINSOCK_A_RESULT, ws_stat_result[i]) ||
		    nla_put_u64_64bit(msg, WINSOCK_A_STATS_COUNT, v[i],
				      WINSOCK_A_PAD))
			return -EMSGSIZE;
		nla_nest_end(msg, nest);
	}
	if (nla_put_u64_64bit(msg, WINSOCK_A_STATS_EVENTS_SENT,
			      v[WS_STAT_SENT], WINSOCK_A_PAD) ||
	    nla_put_u64_64bit(msg, WINSOCK_A_STATS_EVENTS_DROPPED,
			      v[WS_STAT_DROPPED], WINSOCK_A_PAD))
		return -EMSGSIZE;
	/* The audit log is the machine's: only the host sees its losses. */
	if (net_eq(net, &init_net) &&
	    nla_put_u64_64bit(msg, WINSOCK_A_STATS_AUDIT_SUPPRESSED,
			      ws_audit_suppressed(), WINSOCK_A_PAD))
		return -EMSGSIZE;
	mutex_lock(&wn->subs_lock);
	list_for_each_entry(sub, &wn->subs, node) {
		err = ws_put_sub(msg, sub);
		if (err)
			break;
	}
	mutex_unlock(&wn->subs_lock);
	return err;
}

static int ws_nl_get_stats(struct sk_buff *skb, struct genl_info *info)
{
	struct net *net = genl_info_net(info);
	struct sk_buff *msg;
	void *hdr;

	/* At most 16 subscribers and 7 results: well inside a page. */
	msg = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!msg)
		return -ENOMEM;
	hdr = genlmsg_put_reply(msg, info, &ws_genl_family, 0,
				WINSOCK_CMD_GET_STATS);
	if (!hdr || ws_put_stats(msg, net, ws_net_of(net))) {
		/* Not reached: the reply is bounded (see above). */
		nlmsg_free(msg);
		return -EMSGSIZE;
	}
	genlmsg_end(msg, hdr);
	return genlmsg_reply(msg, info);
}

static int ws_nl_reset_stats(struct sk_buff *skb, struct genl_info *info)
{
	struct ws_net *wn = ws_net_of(genl_info_net(info));

	mutex_lock(&wn->base_lock);
	ws_stats_read(wn, wn->base);
	mutex_unlock(&wn->base_lock);
	return 0;
}

static int ws_nl_subscribe(struct sk_buff *skb, struct genl_info *info)
{
	u32 flags = 0;

	if (info->attrs[WINSOCK_A_SUB_FLAGS])
		flags = nla_get_u32(info->attrs[WINSOCK_A_SUB_FLAGS]);
	return ws_subscribe(genl_info_net(info), NETLINK_CB(skb).sk,
			    info->snd_portid, flags);
}

static int ws_nl_unsubscribe(struct sk_buff *skb, struct genl_info *info)
{
	return ws_unsubscribe(genl_info_net(info), info->snd_portid);
}

/*
 * Requests: only SUBSCRIBE takes an attribute.  Validation is strict for
 * every command (resv_start_op 0): any other attribute, and any unknown
 * flag bit, is refused with EINVAL.
 */
static const struct nla_policy ws_nl_policy[WINSOCK_A_MAX + 1] = {
	[WINSOCK_A_SUB_FLAGS] = NLA_POLICY_MASK(NLA_U32, WINSOCK_SUB_FLAGS),
};

static const struct genl_small_ops ws_nl_ops[] = {
	{
		.cmd	= WINSOCK_CMD_GET_STATS,
		.doit	= ws_nl_get_stats,
		.flags	= GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd	= WINSOCK_CMD_RESET_STATS,
		.doit	= ws_nl_reset_stats,
		.flags	= GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd	= WINSOCK_CMD_SUBSCRIBE,
		.doit	= ws_nl_subscribe,
		.flags	= GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd	= WINSOCK_CMD_UNSUBSCRIBE,
		.doit	= ws_nl_unsubscribe,
		.flags	= GENL_UNS_ADMIN_PERM,
	},
};

struct genl_family ws_genl_family __ro_after_init = {
	.name		= WINSOCK_GENL_NAME,
	.version	= WINSOCK_GENL_VERSION,
	.maxattr	= WINSOCK_A_MAX,
	.policy		= ws_nl_policy,
	.netnsok	= true,
	.module		= THIS_MODULE,
	.small_ops	= ws_nl_ops,
	.n_small_ops	= ARRAY_SIZE(ws_nl_ops),
	.resv_start_op	= 0,
};

/* A subscriber's socket closed: its subscription ends with it. */
static int ws_nl_notify(struct notifier_block *nb, unsigned long state,
			void *data)
{
	struct netlink_notify *n = data;

	if (state == NETLINK_URELEASE && n->protocol == NETLINK_GENERIC)
		ws_unsubscribe(n->net, n->portid);
	return NOTIFY_DONE;
}

static struct notifier_block ws_nl_notifier = {
	.notifier_call = ws_nl_notify,
};

int ws_netlink_init(void)
{
	int err;

	err = netlink_register_notifier(&ws_nl_notifier);
	if (err)
		return err;
	err = genl_register_family(&ws_genl_family);
	if (err)
		netlink_unregister_notifier(&ws_nl_notifier);
	return err;
}

void ws_netlink_exit(void)
{
	genl_unregister_family(&ws_genl_family);
	netlink_unregister_notifier(&ws_nl_notifier);
}
