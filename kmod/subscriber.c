// SPDX-License-Identifier: GPL-2.0
/*
 * Subscribers of the audit stream, and the reliable delivery of events to
 * them.
 *
 * A lookup builds one event per subscriber that may see it and queues it
 * on that subscriber's backlog; a kernel thread per subscriber sends the
 * backlog with blocking unicasts, several events per datagram, as kauditd
 * sends to auditd (delivery.c).  A slow reader therefore throttles its thread, a full
 * backlog throttles the lookups: a looking-up task waits (killable) up to
 * backlog_wait_ms for room.  Only then is the event dropped, counted, and
 * seen by the subscriber as a gap in its numbers.  A subscriber that
 * made a lookup wait in vain is "stalled" and costs no further waits
 * until its thread delivers again, so a stopped reader slows lookups by
 * one wait, not forever.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/kthread.h>
#include <linux/moduleparam.h>
#include <linux/pid_namespace.h>
#include <linux/rculist.h>
#include <linux/sched/signal.h>
#include <linux/sched/task.h>
#include <linux/slab.h>
#include <linux/user_namespace.h>
#include <net/net_namespace.h>
#include <net/sock.h>

#include "audit.h"

static unsigned int ws_backlog = 8192;
module_param_named(backlog, ws_backlog, uint, 0644);
MODULE_PARM_DESC(backlog, "Events queued in the kernel per subscriber (default 8192)");

static unsigned int ws_backlog_wait_ms = 1000;
module_param_named(backlog_wait_ms, ws_backlog_wait_ms, uint, 0644);
MODULE_PARM_DESC(backlog_wait_ms,
		 "How long a lookup waits for room in a full backlog, in ms (default 1000)");

static void ws_sub_free_rcu(struct rcu_head *head)
{
	kfree(container_of(head, struct ws_sub, rcu));
}

static void ws_sub_put(struct ws_sub *sub)
{
	if (!refcount_dec_and_test(&sub->ref))
		return;
	__skb_queue_purge(&sub->queue);
	put_user_ns(sub->userns);
	put_pid_ns(sub->pidns);
	put_net(sub->net);
	sock_put(sub->sk);
	put_task_struct(sub->thread);
	call_rcu(&sub->rcu, ws_sub_free_rcu);
}

static unsigned int ws_backlog_limit(void)
{
	return max(READ_ONCE(ws_backlog), 1U);
}

static bool ws_sub_may_post(struct ws_sub *sub)
{
	return READ_ONCE(sub->dead) || READ_ONCE(sub->stalled) ||
	       skb_queue_len_lockless(&sub->queue) < ws_backlog_limit();
}

/*
 * Number the event and queue it, or count it as dropped: it consumes its
 * number either way.  Called with sub->lock held; returns whether @skb was
 * queued (if not, the caller frees it).
 */
static bool ws_sub_queue(struct ws_sub *sub, struct sk_buff *skb,
			 struct nlattr *seq, bool drop)
{
	u64 n;

	n = ++sub->seq;
	if (skb && !drop) {
		memcpy(nla_data(seq), &n, sizeof(n));
		__skb_queue_tail(&sub->queue, skb);
		return true;
	}
	sub->dropped++;
	return false;
}

static void ws_sub_post(struct ws_sub *sub, const struct ws_query *l,
			const struct net *caller)
{
	long timeout = msecs_to_jiffies(READ_ONCE(ws_backlog_wait_ms));
	bool drop = false, queued, dropped;
	struct nlattr *seq = NULL;
	struct sk_buff *skb;

	/* Process context: the allocation throttles like any syscall's. */
	skb = ws_event_new(l, caller, sub, &seq);

	spin_lock(&sub->lock);
	while (!sub->dead &&
	       skb_queue_len(&sub->queue) >= ws_backlog_limit()) {
		if (sub->stalled || (sub->flags & WINSOCK_SUB_BEST_EFFORT) ||
		    timeout <= 0) {
			drop = true;
			break;
		}
		spin_unlock(&sub->lock);
		timeout = wait_event_killable_timeout(sub->room,
						      ws_sub_may_post(sub),
						      timeout);
		spin_lock(&sub->lock);
		if (timeout == -ERESTARTSYS) {
			/* Killed: this lookup gives up, the subscriber is fine. */
			drop = true;
			break;
		}
		if (!timeout && !sub->dead &&
		    skb_queue_len(&sub->queue) >= ws_backlog_limit()) {
			/* Waited in vain: nobody waits for it until it reads. */
			sub->stalled = true;
			wake_up_all(&sub->room);
		}
	}
	/* Gone meanwhile: nobody is left to miss the event. */
	queued = !sub->dead && ws_sub_queue(sub, skb, seq, drop);
	dropped = !sub->dead && !queued;
	spin_unlock(&sub->lock);
	if (dropped)
		this_cpu_inc(sub->wn->stats->n[WS_STAT_DROPPED]);
	if (!queued) {
		kfree_skb(skb);
		return;
	}
	/* The thread is either asleep, or gathering and will look. */
	if (wq_has_sleeper(&sub->work))
		wake_up(&sub->work);
}

/* Take references to the subscribers of @wn into @subs[n...]. */
static int ws_collect(struct ws_net *wn, struct ws_sub **subs, int n)
{
	struct ws_sub *sub;

	list_for_each_entry_rcu(sub, &wn->subs, node) {
		if (n == 2 * WINSOCK_SUBSCRIBERS_MAX)
			break;		/* not reached: each list is bounded */
		if (refcount_inc_not_zero(&sub->ref))
			subs[n++] = sub;
	}
	return n;
}

/*
 * Send the lookup to the subscribers of the initial namespace, which see
 * everything, and to those of the caller's namespace: ws_audit_lookup()
 * calls this when either has any.  Their references are taken under RCU
 * so that posting may sleep.
 */
void ws_deliver(const struct ws_query *l, struct net *caller,
		struct ws_net *cwn)
{
	struct ws_sub *subs[2 * WINSOCK_SUBSCRIBERS_MAX];
	int i, n = 0;

	rcu_read_lock();
	n = ws_collect(ws_init_wn, subs, n);
	if (cwn != ws_init_wn)
		n = ws_collect(cwn, subs, n);
	rcu_read_unlock();
	for (i = 0; i < n; i++) {
		ws_sub_post(subs[i], l, caller);
		ws_sub_put(subs[i]);
	}
}

static struct ws_sub *ws_sub_find(struct ws_net *wn, u32 portid)
{
	struct ws_sub *sub;

	list_for_each_entry(sub, &wn->subs, node)
		if (sub->portid == portid)
			return sub;
	return NULL;
}

/*
 * Called from the subscriber's own SUBSCRIBE request: current is it, @sk
 * its socket.
 */
int ws_subscribe(struct net *net, struct sock *sk, u32 portid, u32 flags)
{
	struct ws_net *wn = ws_net_of(net);
	struct task_struct *t;
	struct ws_sub *sub;
	int err = 0;

	mutex_lock(&wn->subs_lock);
	if (ws_sub_find(wn, portid)) {
		err = -EEXIST;
		goto out;
	}
	if (wn->nsubs >= WINSOCK_SUBSCRIBERS_MAX) {
		err = -ENOSPC;
		goto out;
	}
	sub = kzalloc(sizeof(*sub), GFP_KERNEL_ACCOUNT);
	if (!sub) {
		err = -ENOMEM;
		goto out;
	}
	refcount_set(&sub->ref, 1);
	sub->wn = wn;
	sub->portid = portid;
	sub->flags = flags;
	spin_lock_init(&sub->lock);
	__skb_queue_head_init(&sub->queue);
	init_waitqueue_head(&sub->room);
	init_waitqueue_head(&sub->work);
	t = kthread_create(ws_sub_thread, sub, "winsock/%u", portid);
	if (IS_ERR(t)) {
		kfree(sub);
		err = PTR_ERR(t);
		goto out;
	}
	sub->thread = get_task_struct(t);
	sub->net = get_net(net);
	sock_hold(sk);
	sub->sk = sk;
	sub->pidns = get_pid_ns(task_active_pid_ns(current));
	sub->userns = get_user_ns(current_user_ns());
	list_add_tail_rcu(&sub->node, &wn->subs);
	WRITE_ONCE(wn->nsubs, wn->nsubs + 1);
	atomic_add(WS_ACTIVE_SUB, &ws_active);
	wake_up_process(t);
out:
	mutex_unlock(&wn->subs_lock);
	return err;
}

/* End one subscription; called with wn->subs_lock held. */
static void ws_sub_end(struct ws_net *wn, struct ws_sub *sub)
{
	list_del_rcu(&sub->node);
	WRITE_ONCE(wn->nsubs, wn->nsubs - 1);
	spin_lock(&sub->lock);
	sub->dead = true;
	spin_unlock(&sub->lock);
	wake_up_all(&sub->room);
	wake_up_all(&sub->work);
	send_sig(SIGKILL, sub->thread, 1);
	kthread_stop(sub->thread);
	atomic_sub(WS_ACTIVE_SUB, &ws_active);
	ws_sub_put(sub);
}

int ws_unsubscribe(struct net *net, u32 portid)
{
	struct ws_net *wn = ws_net_of(net);
	struct ws_sub *sub;
	int err = -ENOENT;

	/* Every generic netlink socket's release asks: answer cheaply. */
	if (!READ_ONCE(wn->nsubs))
		return err;
	mutex_lock(&wn->subs_lock);
	sub = ws_sub_find(wn, portid);
	if (sub) {
		ws_sub_end(wn, sub);
		err = 0;
	}
	mutex_unlock(&wn->subs_lock);
	return err;
}

void ws_unsubscribe_all(struct ws_net *wn)
{
	struct ws_sub *sub, *next;

	mutex_lock(&wn->subs_lock);
	list_for_each_entry_safe(sub, next, &wn->subs, node)
		ws_sub_end(wn, sub);
	mutex_unlock(&wn->subs_lock);
}
