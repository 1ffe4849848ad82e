// SPDX-License-Identifier: GPL-2.0
/*
 * The audit stream of peer lookups.
 *
 * Every lookup is counted per network namespace.  While someone listens,
 * it is also sent as a WINSOCK_CMD_EVENT on the "events" multicast group of
 * the generic netlink family "winsock", numbered so that a listener knows
 * exactly how many events it missed.  The winsock:getpeername tracepoint
 * and, when the "audit" parameter is set, a kernel audit record report the
 * same lookup.
 *
 * Nobody listening costs a per-CPU increment and three flag tests: nothing
 * is allocated or formatted.  With a listener the event is built and sent
 * without sleeping; an event that cannot be delivered is counted as
 * dropped.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/audit.h>
#include <linux/cred.h>
#include <linux/in.h>
#include <linux/in6.h>
#include <linux/module.h>
#include <linux/percpu.h>
#include <linux/sched.h>
#include <linux/spinlock.h>
#include <linux/timekeeping.h>
#include <linux/un.h>
#include <net/genetlink.h>
#include <net/net_namespace.h>
#include <net/netns/generic.h>
#include <net/sock.h>

#include "compat.h"
#include "winsock.h"

#define CREATE_TRACE_POINTS
#include "trace.h"

/*
 * Off by default: the kernel audit log is shared by the whole system, and
 * one record per lookup is a lot for it.  Root turns it on at run time.
 */
bool ws_audit_records;
module_param_named(audit, ws_audit_records, bool, 0644);
MODULE_PARM_DESC(audit,
		 "Also log every lookup through the kernel audit subsystem");

/* Counters, one per result code, then the fate of the events. */
enum ws_stat {
	WS_STAT_OK,
	WS_STAT_NOTINITIALISED,
	WS_STAT_INPROGRESS,
	WS_STAT_NOTSOCK,
	WS_STAT_NETDOWN,
	WS_STAT_NOTCONN,
	WS_STAT_FAULT,
	WS_STAT_RESULTS,	/* the counters above are lookups */
	WS_STAT_SENT = WS_STAT_RESULTS,
	WS_STAT_DROPPED,
	WS_NSTATS,
};

static const u32 ws_stat_result[WS_STAT_RESULTS] = {
	[WS_STAT_OK]		 = 0,
	[WS_STAT_NOTINITIALISED] = WINSOCK_WSANOTINITIALISED,
	[WS_STAT_INPROGRESS]	 = WINSOCK_WSAEINPROGRESS,
	[WS_STAT_NOTSOCK]	 = WINSOCK_WSAENOTSOCK,
	[WS_STAT_NETDOWN]	 = WINSOCK_WSAENETDOWN,
	[WS_STAT_NOTCONN]	 = WINSOCK_WSAENOTCONN,
	[WS_STAT_FAULT]		 = WINSOCK_WSAEFAULT,
};

struct ws_stats {
	u64 n[WS_NSTATS];
};

/*
 * struct ws_net - the audit state of one network namespace.
 * @stats:	per-CPU counters, only ever incremented.
 * @base:	their sums at the last reset; readers subtract it, so a
 *		reset never writes another CPU's counters.
 * @seq:	the last event number handed out.
 */
struct ws_net {
	struct ws_stats __percpu *stats;
	u64 base[WS_NSTATS];
	struct mutex base_lock;	/* serialises resets and reads of @base */
	spinlock_t seq_lock;	/* numbers events and sends them in order */
	u64 seq;
};

static unsigned int ws_net_id __read_mostly;

enum ws_mcgrp {
	WS_MCGRP_EVENTS,
};

static struct genl_family ws_genl_family;

/*
 * Whether anyone may be listening: false only until the first
 * subscription, on kernels whose genetlink tells the family about
 * subscriptions (WS_HAVE_GENL_BIND); always true on the others.  It is
 * never cleared: netlink calls unbind even for groups a socket never
 * joined, so counting binds against unbinds would let anyone turn events
 * off.  While false, a lookup skips genl_has_listeners() (an out-of-line
 * call with two RCU read-side sections) altogether.
 */
static bool ws_maybe_listeners __read_mostly = !WS_HAVE_GENL_BIND;

/* Called before the socket joins the group: no event can be missed. */
static int __maybe_unused ws_nl_bind(int group)
{
	WRITE_ONCE(ws_maybe_listeners, true);
	return 0;
}

static enum ws_stat ws_result_stat(u32 result)
{
	switch (result) {
	case 0:
		return WS_STAT_OK;
	case WINSOCK_WSANOTINITIALISED:
		return WS_STAT_NOTINITIALISED;
	case WINSOCK_WSAEINPROGRESS:
		return WS_STAT_INPROGRESS;
	case WINSOCK_WSAENOTSOCK:
		return WS_STAT_NOTSOCK;
	case WINSOCK_WSAENOTCONN:
		return WS_STAT_NOTCONN;
	case WINSOCK_WSAEFAULT:
		return WS_STAT_FAULT;
	default:
		/* WSAENETDOWN: ws_lookup returns nothing else. */
		return WS_STAT_NETDOWN;
	}
}

/* The namespace of the lookup: the socket's, else the caller's. */
static struct net *ws_lookup_net(const struct ws_lookup *l)
{
	return l->sock ? sock_net(l->sock->sk) : current->nsproxy->net_ns;
}

void ws_peer_str(char *buf, size_t size, const struct ws_lookup *l)
{
	const struct sockaddr_un *sun = (const void *)&l->peer;
	int len = l->peerlen - (int)offsetof(struct sockaddr_un, sun_path);

	/*
	 * All of it: the tracepoint keeps the whole array in the ring
	 * buffer, where trace_pipe_raw readers see every byte.
	 */
	memset(buf, 0, size);
	if (!l->peerlen || !l->sock)
		return;
	switch (l->sock->sk->sk_family) {
	case AF_INET:
	case AF_INET6:
		/* The family in @peer may be Windows'; %pIS needs Linux's. */
		if (l->sock->sk->sk_family == AF_INET) {
			struct sockaddr_in sin;

			memcpy(&sin, &l->peer, sizeof(sin));
			sin.sin_family = AF_INET;
			snprintf(buf, size, "%pISpc", &sin);
		} else {
			struct sockaddr_in6 sin6;

			memcpy(&sin6, &l->peer, sizeof(sin6));
			sin6.sin6_family = AF_INET6;
			snprintf(buf, size, "%pISpc", &sin6);
		}
		break;
	case AF_UNIX:
		if (len <= 0)
			break;		/* unnamed */
		if (sun->sun_path[0])
			snprintf(buf, size, "%.*s", len, sun->sun_path);
		else		/* abstract: may hold any byte */
			snprintf(buf, size, "@%*pE", len - 1, sun->sun_path + 1);
		break;
	}
}

/* Room for one event; WINSOCK_A_PAD may precede each u64. */
static size_t ws_event_size(void)
{
	return nla_total_size_64bit(sizeof(u64)) * 4 +	/* seq ts socket cookie */
	       nla_total_size(sizeof(u32)) * 11 +
	       nla_total_size(TASK_COMM_LEN) +
	       nla_total_size(sizeof(struct sockaddr_storage));
}

/*
 * Build the event, its number left at 0: the number is written under
 * @seq_lock just before sending.  Returns the WINSOCK_A_SEQ attribute.
 */
static struct nlattr *ws_fill_event(struct sk_buff *skb,
				    const struct ws_lookup *l,
				    const struct net *net)
{
	char comm[TASK_COMM_LEN];
	struct nlattr *seq, *peer;
	struct sock *sk = l->sock ? l->sock->sk : NULL;
	void *hdr;

	hdr = genlmsg_put(skb, 0, 0, &ws_genl_family, 0, WINSOCK_CMD_EVENT);
	if (!hdr)
		return NULL;
	seq = nla_reserve_64bit(skb, WINSOCK_A_SEQ, sizeof(u64), WINSOCK_A_PAD);
	if (!seq)
		return NULL;
	memset(nla_data(seq), 0, sizeof(u64));
	get_task_comm(comm, current);
	if (nla_put_u64_64bit(skb, WINSOCK_A_TIMESTAMP, ktime_get_real_ns(),
			      WINSOCK_A_PAD) ||
	    nla_put_u32(skb, WINSOCK_A_PID, task_tgid_nr(current)) ||
	    nla_put_u32(skb, WINSOCK_A_TID, task_pid_nr(current)) ||
	    nla_put_u32(skb, WINSOCK_A_UID,
			from_kuid(&init_user_ns, current_uid())) ||
	    nla_put_u32(skb, WINSOCK_A_GID,
			from_kgid(&init_user_ns, current_gid())) ||
	    nla_put_string(skb, WINSOCK_A_COMM, comm) ||
	    nla_put_u64_64bit(skb, WINSOCK_A_SOCKET, l->socket,
			      WINSOCK_A_PAD) ||
	    nla_put_u32(skb, WINSOCK_A_RESULT, l->result) ||
	    nla_put_u32(skb, WINSOCK_A_VERSION, l->version) ||
	    nla_put_u32(skb, WINSOCK_A_FLAGS, l->flags) ||
	    nla_put_u64_64bit(skb, WINSOCK_A_NETNS_COOKIE, net->net_cookie,
			      WINSOCK_A_PAD) ||
	    nla_put_u32(skb, WINSOCK_A_NETNS_INO, net->ns.inum))
		return NULL;
	if (sk &&
	    (nla_put_u32(skb, WINSOCK_A_FAMILY, sk->sk_family) ||
	     nla_put_u32(skb, WINSOCK_A_TYPE, l->sock->type) ||
	     nla_put_u32(skb, WINSOCK_A_PROTOCOL, sk->sk_protocol)))
		return NULL;
	if (sk && l->peerlen) {
		peer = nla_reserve(skb, WINSOCK_A_PEER, l->peerlen);
		if (!peer)
			return NULL;
		memcpy(nla_data(peer), &l->peer, l->peerlen);
		/* Always the native layout, whatever the caller asked for. */
		((struct sockaddr *)nla_data(peer))->sa_family = sk->sk_family;
	}
	genlmsg_end(skb, hdr);
	return seq;
}

static void ws_send_event(struct net *net, struct ws_net *wn,
			  const struct ws_lookup *l)
{
	struct nlattr *seq = NULL;
	struct sk_buff *skb;
	int err = -ENOMEM;

	/* Never sleep in the lookup path: a failed allocation is a drop. */
	skb = genlmsg_new(ws_event_size(), GFP_NOWAIT | __GFP_NOWARN);
	if (skb) {
		seq = ws_fill_event(skb, l, net);
		if (!seq) {
			/* ws_event_size() is a bound: not reached. */
			nlmsg_free(skb);
			skb = NULL;
			err = -EMSGSIZE;
		}
	}

	spin_lock(&wn->seq_lock);
	wn->seq++;
	if (skb) {
		memcpy(nla_data(seq), &wn->seq, sizeof(u64));
		err = genlmsg_multicast_netns(&ws_genl_family, net, skb, 0,
					      WS_MCGRP_EVENTS, GFP_NOWAIT);
	}
	spin_unlock(&wn->seq_lock);

	/* -ESRCH: the last listener left meanwhile; nobody missed it. */
	if (!err)
		this_cpu_inc(wn->stats->n[WS_STAT_SENT]);
	else if (err != -ESRCH)
		this_cpu_inc(wn->stats->n[WS_STAT_DROPPED]);
}

static void ws_audit_record(const struct ws_lookup *l, const struct net *net)
{
	struct sock *sk = l->sock ? l->sock->sk : NULL;
	char peer[WS_PEER_STR_LEN];
	struct audit_buffer *ab;

	ab = audit_log_start(audit_context(), GFP_NOWAIT | __GFP_NOWARN,
			     AUDIT_KERNEL_OTHER);
	if (!ab)
		return;
	audit_log_format(ab, "op=winsock_getpeername socket=%llu res=%u version=0x%04x netns=%u",
			 l->socket, l->result, l->version, net->ns.inum);
	if (sk)
		audit_log_format(ab, " family=%u type=%u protocol=%u",
				 sk->sk_family, l->sock->type, sk->sk_protocol);
	/* Only addresses, never user-chosen unix paths: no quoting needed. */
	if (sk && (sk->sk_family == AF_INET || sk->sk_family == AF_INET6)) {
		ws_peer_str(peer, sizeof(peer), l);
		if (peer[0])
			audit_log_format(ab, " peer=%s", peer);
	}
	audit_log_format(ab, " ");
	audit_log_task_info(ab);
	audit_log_end(ab);
}

void ws_audit_open(struct ws_handle *h)
{
	h->net = get_net(current->nsproxy->net_ns);
	h->wn = net_generic(h->net, ws_net_id);
}

void ws_audit_release(struct ws_handle *h)
{
	put_net(h->net);
}

void ws_audit_lookup(const struct ws_lookup *l)
{
	struct net *net = ws_lookup_net(l);
	struct ws_net *wn;

	/* The handle's namespace is pinned: its state is known. */
	if (likely(net == l->h->net))
		wn = l->h->wn;
	else
		wn = net_generic(net, ws_net_id);
	this_cpu_inc(wn->stats->n[ws_result_stat(l->result)]);
	if (READ_ONCE(ws_maybe_listeners) &&
	    genl_has_listeners(&ws_genl_family, net, WS_MCGRP_EVENTS))
		ws_send_event(net, wn, l);
	trace_getpeername(l, net);
	/* Like every audit source: silent while audit is disabled. */
	if (unlikely(READ_ONCE(ws_audit_records)) && audit_enabled)
		ws_audit_record(l, net);
}

static void ws_stats_read(struct ws_net *wn, u64 *v)
{
	int cpu, i;

	memset(v, 0, sizeof(u64) * WS_NSTATS);
	for_each_possible_cpu(cpu) {
		const struct ws_stats *s = per_cpu_ptr(wn->stats, cpu);

		for (i = 0; i < WS_NSTATS; i++)
			v[i] += READ_ONCE(s->n[i]);
	}
}

static int ws_nl_get_stats(struct sk_buff *skb, struct genl_info *info)
{
	struct ws_net *wn = net_generic(genl_info_net(info), ws_net_id);
	u64 v[WS_NSTATS], lookups = 0;
	struct nlattr *nest;
	struct sk_buff *msg;
	void *hdr;
	int i;

	mutex_lock(&wn->base_lock);
	ws_stats_read(wn, v);
	for (i = 0; i < WS_NSTATS; i++)
		v[i] -= wn->base[i];
	mutex_unlock(&wn->base_lock);
	for (i = 0; i < WS_STAT_RESULTS; i++)
		lookups += v[i];

	msg = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!msg)
		return -ENOMEM;
	hdr = genlmsg_put_reply(msg, info, &ws_genl_family, 0,
				WINSOCK_CMD_GET_STATS);
	if (!hdr)
		goto too_big;
	if (nla_put_u64_64bit(msg, WINSOCK_A_STATS_LOOKUPS, lookups,
			      WINSOCK_A_PAD))
		goto too_big;
	for (i = 0; i < WS_STAT_RESULTS; i++) {
		nest = nla_nest_start(msg, WINSOCK_A_STATS_RESULT);
		if (!nest ||
		    nla_put_u32(msg, WINSOCK_A_RESULT, ws_stat_result[i]) ||
		    nla_put_u64_64bit(msg, WINSOCK_A_STATS_COUNT, v[i],
				      WINSOCK_A_PAD))
			goto too_big;
		nla_nest_end(msg, nest);
	}
	if (nla_put_u64_64bit(msg, WINSOCK_A_STATS_EVENTS_SENT,
			      v[WS_STAT_SENT], WINSOCK_A_PAD) ||
	    nla_put_u64_64bit(msg, WINSOCK_A_STATS_EVENTS_DROPPED,
			      v[WS_STAT_DROPPED], WINSOCK_A_PAD))
		goto too_big;
	genlmsg_end(msg, hdr);
	return genlmsg_reply(msg, info);

too_big:
	/* The reply is a few hundred bytes in NLMSG_GOODSIZE: not reached. */
	nlmsg_free(msg);
	return -EMSGSIZE;
}

static int ws_nl_reset_stats(struct sk_buff *skb, struct genl_info *info)
{
	struct ws_net *wn = net_generic(genl_info_net(info), ws_net_id);

	mutex_lock(&wn->base_lock);
	ws_stats_read(wn, wn->base);
	mutex_unlock(&wn->base_lock);
	return 0;
}

/* Requests carry no attributes; the policy documents the replies. */
static const struct nla_policy ws_nl_policy[WINSOCK_A_MAX + 1] = {
	[WINSOCK_A_SEQ]			= { .type = NLA_U64 },
	[WINSOCK_A_TIMESTAMP]		= { .type = NLA_U64 },
	[WINSOCK_A_PID]			= { .type = NLA_U32 },
	[WINSOCK_A_TID]			= { .type = NLA_U32 },
	[WINSOCK_A_UID]			= { .type = NLA_U32 },
	[WINSOCK_A_GID]			= { .type = NLA_U32 },
	[WINSOCK_A_COMM]		= { .type = NLA_NUL_STRING,
					    .len = TASK_COMM_LEN - 1 },
	[WINSOCK_A_SOCKET]		= { .type = NLA_U64 },
	[WINSOCK_A_FAMILY]		= { .type = NLA_U32 },
	[WINSOCK_A_TYPE]		= { .type = NLA_U32 },
	[WINSOCK_A_PROTOCOL]		= { .type = NLA_U32 },
	[WINSOCK_A_RESULT]		= { .type = NLA_U32 },
	[WINSOCK_A_PEER]		= { .type = NLA_BINARY,
					    .len = sizeof(struct sockaddr_storage) },
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

/* Counters reveal other users' activity: CAP_NET_ADMIN over the netns. */
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
};

/* Events carry other users' peers: subscribing needs CAP_NET_ADMIN. */
static const struct genl_multicast_group ws_nl_mcgrps[] = {
	[WS_MCGRP_EVENTS] = {
		.name	= WINSOCK_GENL_MCGRP_EVENTS,
		.flags	= WS_MCGRP_NET_ADMIN,
	},
};

static struct genl_family ws_genl_family __ro_after_init = {
	.name		= WINSOCK_GENL_NAME,
	.version	= WINSOCK_GENL_VERSION,
	.maxattr	= WINSOCK_A_MAX,
	.policy		= ws_nl_policy,
	.netnsok	= true,
	.module		= THIS_MODULE,
	.small_ops	= ws_nl_ops,
	.n_small_ops	= ARRAY_SIZE(ws_nl_ops),
	.resv_start_op	= WINSOCK_CMD_RESET_STATS + 1,
	.mcgrps		= ws_nl_mcgrps,
	.n_mcgrps	= ARRAY_SIZE(ws_nl_mcgrps),
	WS_GENL_BIND(ws_nl_bind)
};

static int __net_init ws_net_init(struct net *net)
{
	struct ws_net *wn = net_generic(net, ws_net_id);

	wn->stats = alloc_percpu(struct ws_stats);
	if (!wn->stats)
		return -ENOMEM;
	mutex_init(&wn->base_lock);
	spin_lock_init(&wn->seq_lock);
	return 0;
}

static void __net_exit ws_net_exit(struct net *net)
{
	struct ws_net *wn = net_generic(net, ws_net_id);

	free_percpu(wn->stats);
	mutex_destroy(&wn->base_lock);
}

static struct pernet_operations ws_net_ops = {
	.init	= ws_net_init,
	.exit	= ws_net_exit,
	.id	= &ws_net_id,
	.size	= sizeof(struct ws_net),
};

int ws_audit_init(void)
{
	int err;

	err = register_pernet_subsys(&ws_net_ops);
	if (err)
		return err;
	err = genl_register_family(&ws_genl_family);
	if (err) {
		unregister_pernet_subsys(&ws_net_ops);
		return err;
	}
	return 0;
}

void ws_audit_exit(void)
{
	genl_unregister_family(&ws_genl_family);
	unregister_pernet_subsys(&ws_net_ops);
}
