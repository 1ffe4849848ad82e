/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Internal interfaces of the audit stream: the per-namespace state
 * (audit.c), its subscribers (subscriber.c) and their delivery
 * (delivery.c), the event format (event.c), the generic netlink family
 * (netlink.c) and the kernel audit records (record.c).
 */
#ifndef _WINSOCK_AUDIT_H
#define _WINSOCK_AUDIT_H

#include <linux/atomic.h>
#include <linux/nsproxy.h>
#include <linux/percpu.h>
#include <linux/sched.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/refcount.h>
#include <linux/skbuff.h>
#include <linux/spinlock.h>
#include <linux/types.h>
#include <linux/wait.h>
#include <net/genetlink.h>
#include <net/net_namespace.h>
#include <net/netns/generic.h>

#include "internal.h"

struct net;
struct pid_namespace;
struct sock;
struct task_struct;
struct user_namespace;

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

struct ws_stats {
	u64 n[WS_NSTATS];
};

/*
 * struct ws_net - the audit state of one network namespace.
 * @stats:	per-CPU counters, only ever incremented: lookups made from
 *		inside the namespace (every lookup, for the initial one) and
 *		the fate of the events sent to its subscribers.
 * @base:	their sums at the last reset; readers subtract it, so a
 *		reset never writes another CPU's counters.
 * @subs:	the subscribers, an RCU list written under @subs_lock.
 * @nsubs:	their number, read locklessly by lookups: the one test a
 *		lookup makes when nobody here subscribed.
 */
struct ws_net {
	struct ws_stats __percpu *stats;
	u64 base[WS_NSTATS];
	struct mutex base_lock;	/* serialises resets and reads of @base */
	struct mutex subs_lock;	/* serialises changes to @subs */
	struct list_head subs;
	unsigned int nsubs;
};

/*
 * struct ws_sub - one subscriber: a netlink port that asked for events.
 * @node:	in ws_net.subs.
 * @ref:	held by the list and by each lookup posting to it.
 * @wn, @net:	its namespace (@net referenced: its genl socket sends).
 * @sk:		the subscriber's socket (referenced).
 * @portid:	the port events are unicast to.
 * @flags:	WINSOCK_SUB_*.
 * @pidns, @userns: how the subscriber sees tasks and ids (referenced).
 * @lock:	protects everything below it.
 * @queue:	events waiting for the delivery thread, at most "backlog".
 * @seq:	the last event number handed out (delivered or dropped).
 * @sent, @dropped: events delivered, and dropped (gaps in @seq).
 * @stalled:	a lookup waited for room in vain: no lookup waits for this
 *		subscriber again until its delivery makes progress.
 * @dead:	unsubscribed: nothing is queued or waited for any more.
 * @room:	lookups waiting for room in @queue.
 * @work:	the delivery thread waiting for events.
 * @thread:	the delivery thread (referenced).
 */
struct ws_sub {
	struct list_head node;
	refcount_t ref;
	struct rcu_head rcu;
	struct ws_net *wn;
	struct net *net;
	struct sock *sk;
	u32 portid;
	u32 flags;
	struct pid_namespace *pidns;
	struct user_namespace *userns;
	spinlock_t lock;		/* protects the fields below */
	struct sk_buff_head queue;
	u64 seq;
	u64 sent;
	u64 dropped;
	bool stalled;
	bool dead;
	wait_queue_head_t room;
	wait_queue_head_t work;
	struct task_struct *thread;
};

extern struct genl_family ws_genl_family;
extern unsigned int ws_net_id;
extern struct ws_net *ws_init_wn;

/*
 * What wants lookups beyond the counters, as one word a lookup reads:
 * the tracepoint while traced and the "audit" parameter while set count
 * in the low byte (WS_ACTIVE_REPORT), each subscriber in any namespace
 * counts WS_ACTIVE_SUB above it.  A plain word rather than static keys:
 * subscriptions come and go at the subscribers' pace, and patching the
 * lookup path's text that often, under lookups on other CPUs, livelocked
 * 6.1 and oopsed 6.12 and 7.3 in their int3 handlers (fuzz_test).
 */
#define WS_ACTIVE_REPORT	0xffU
#define WS_ACTIVE_SUB		0x100U
extern atomic_t ws_active;

/* audit.c */
void ws_audit_report_get(void);
void ws_audit_report_put(void);
int ws_trace_reg(void);
void ws_trace_unreg(void);
void ws_audit_report(const struct ws_query *l, struct net *caller);
enum ws_stat ws_result_stat(u32 result);
void ws_stats_read(struct ws_net *wn, u64 *v);

static inline struct ws_net *ws_net_of(struct net *net)
{
	return net_generic(net, ws_net_id);
}

/* subscriber.c */
int ws_subscribe(struct net *net, struct sock *sk, u32 portid, u32 flags);
int ws_unsubscribe(struct net *net, u32 portid);
void ws_unsubscribe_all(struct ws_net *wn);
void ws_deliver(const struct ws_query *l, struct net *caller,
		struct ws_net *cwn);

/* delivery.c */
int ws_sub_thread(void *arg);

/* event.c */
struct sk_buff *ws_event_new(const struct ws_query *l,
			     const struct net *caller,
			     const struct ws_sub *sub, struct nlattr **seq);
u16 ws_query_family(const struct ws_query *l);

/* The longest text of an inet peer: "[IPv6%scope]:port". */
#define WS_INET_STR_LEN	64

/* netlink.c */
int ws_netlink_init(void);
void ws_netlink_exit(void);

/* record.c */
void ws_audit_record(const struct ws_query *l, const struct net *caller);
u64 ws_audit_suppressed(void);
void ws_audit_records_exit(void);

#ifndef WINSOCK_NO_AUDIT
struct ws_audit_batch {
	struct net *caller;
	struct ws_net *cwn;
	u32 ok;
};

static __always_inline void ws_audit_batch_begin(struct ws_audit_batch *b,
						 const struct ws_handle *h)
{
	b->caller = current->nsproxy->net_ns;
	if (likely(b->caller == h->net))
		b->cwn = h->wn;
	else
		b->cwn = ws_net_of(b->caller);
	b->ok = 0;
}

/* The successful entries' count; failures counted as they happened. */
static __always_inline void ws_audit_batch_end(struct ws_audit_batch *b)
{
	if (!b->ok)
		return;
	this_cpu_add(b->cwn->stats->n[WS_STAT_OK], b->ok);
	if (b->cwn != ws_init_wn)
		this_cpu_add(ws_init_wn->stats->n[WS_STAT_OK], b->ok);
}

/*
 * Does anything beyond the counters want lookups (a subscriber, the
 * tracepoint, audit records)?  A batch asks once, when it begins: like a
 * single request, one system call precedes a subscription or follows it.
 */
static __always_inline bool ws_audit_listening(void)
{
	return atomic_read(&ws_active);
}

/* One lookup in the counters of the caller's namespace and the host's. */
static __always_inline void ws_stat_inc(struct ws_net *cwn, enum ws_stat stat)
{
	this_cpu_inc(cwn->stats->n[stat]);
	if (cwn != ws_init_wn)
		this_cpu_inc(ws_init_wn->stats->n[stat]);
}

/*
 * A batch entry's lookup when the batch found nobody listening: only the
 * counters, a success in @b's count.
 */
static __always_inline void ws_audit_count(u32 result, struct ws_audit_batch *b)
{
	if (likely(!result))
		b->ok++;
	else
		ws_stat_inc(b->cwn, ws_result_stat(result));
}

/*
 * Every lookup passes here, so the common case is inline: count it in the
 * caller's namespace and the host's, and leave unless anything else wants
 * it.  The handle pins its opener's namespace, which is nearly always the
 * caller's: no net_generic() then.  With subscribers elsewhere only, a
 * lookup tests two counts and goes on.  A batch's entry (@b, a constant
 * NULL for the single request) uses the caller's namespace the batch
 * found once, and a success only adds to @b's count, which the counters
 * get when the batch ends.
 */
static __always_inline void ws_audit_lookup(const struct ws_query *l,
					    struct ws_audit_batch *b)
{
	struct ws_net *cwn;
	struct net *caller;
	unsigned int active;

	if (b) {
		caller = b->caller;
		cwn = b->cwn;
	} else {
		caller = current->nsproxy->net_ns;
		if (likely(caller == l->h->net))
			cwn = l->h->wn;
		else
			cwn = ws_net_of(caller);
	}
	/* A success in a constant slot: no index to compute or to check. */
	if (unlikely(l->result))
		ws_stat_inc(cwn, ws_result_stat(l->result));
	else if (b)
		b->ok++;
	else
		ws_stat_inc(cwn, WS_STAT_OK);
	active = atomic_read(&ws_active);
	if (likely(!active))
		return;
	if (active >= WS_ACTIVE_SUB &&
	    (READ_ONCE(ws_init_wn->nsubs) | READ_ONCE(cwn->nsubs)))
		ws_deliver(l, caller, cwn);
	if (active & WS_ACTIVE_REPORT)
		ws_audit_report(l, caller);
}
#endif /* WINSOCK_NO_AUDIT: internal.h has the empty hooks */

#endif /* _WINSOCK_AUDIT_H */
