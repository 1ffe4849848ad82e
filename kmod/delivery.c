// SPDX-License-Identifier: GPL-2.0
/*
 * The delivery thread of a subscriber: it takes the backlog a datagram at
 * a time and unicasts it to the subscriber's port, blocking while the
 * reader's receive buffer is full, as kauditd does for auditd.  It ends
 * when the subscription does (subscriber.c).
 */
#include <linux/hrtimer.h>
#include <linux/kthread.h>
#include <linux/netlink.h>
#include <linux/sched/signal.h>
#include <net/net_namespace.h>
#include <net/sock.h>

#include "audit.h"

/* One datagram: up to this many bytes of events. */
#define WS_BATCH_BYTES	SKB_WITH_OVERHEAD(16 * 1024)

/*
 * Woken by a first event, the delivery thread lets a burst gather this
 * long unless a datagram's worth is already queued: otherwise, on a busy
 * CPU, it would run after every lookup and send every event alone, three
 * context switches each.  An audit stream can afford the latency.
 */
#define WS_GATHER_US	100
#define WS_GATHER_EVENTS	32

/*
 * The next datagram: the oldest event, and as many of the following ones
 * as fit beside it.  Returns NULL when the backlog is empty.
 */
static struct sk_buff *ws_sub_take(struct ws_sub *sub, unsigned int *count)
{
	struct sk_buff *batch = NULL, *skb;
	struct sk_buff_head list;
	unsigned int room = 0;

	/* Room for many events only when there is more than one. */
	if (skb_queue_len_lockless(&sub->queue) > 1) {
		batch = alloc_skb(WS_BATCH_BYTES, GFP_KERNEL);
		if (batch)
			room = skb_tailroom(batch);
	}
	__skb_queue_head_init(&list);
	spin_lock(&sub->lock);
	while ((skb = skb_peek(&sub->queue))) {
		if (!skb_queue_empty(&list) && skb->len > room)
			break;
		room -= min(room, skb->len);
		__skb_unlink(skb, &sub->queue);
		__skb_queue_tail(&list, skb);
	}
	spin_unlock(&sub->lock);
	if (wq_has_sleeper(&sub->room))
		wake_up(&sub->room);

	*count = skb_queue_len(&list);
	if (*count <= 1) {
		kfree_skb(batch);
		return __skb_dequeue(&list);
	}
	while ((skb = __skb_dequeue(&list))) {
		skb_put_data(batch, skb->data, skb->len);
		consume_skb(skb);
	}
	return batch;
}

static void ws_sub_send(struct ws_sub *sub, struct sk_buff *skb,
			unsigned int count)
{
	bool lost = false;
	int err;

	/*
	 * The port is freed before NETLINK_URELEASE ends the subscription:
	 * never hand a closed subscriber's events to a socket that bound the
	 * same port meanwhile.
	 */
	if (sock_flag(sub->sk, SOCK_DEAD)) {
		kfree_skb(skb);
		return;
	}
	/* Blocks while the reader's receive buffer is full, like kauditd. */
	err = netlink_unicast(sub->net->genl_sock, skb, sub->portid, 0);
	spin_lock(&sub->lock);
	if (err >= 0) {
		sub->sent += count;
		sub->stalled = false;
	} else if (!sub->dead &&
		   !(err == -ECONNREFUSED && sock_flag(sub->sk, SOCK_DEAD))) {
		/*
		 * Lost with a subscriber still there to miss them: its socket
		 * connect()ed to another port refuses the kernel's, or root
		 * sent this thread a SIGKILL of its own.
		 */
		sub->dropped += count;
		lost = true;
	}
	spin_unlock(&sub->lock);
	if (err >= 0)
		this_cpu_add(sub->wn->stats->n[WS_STAT_SENT], count);
	else if (lost)
		this_cpu_add(sub->wn->stats->n[WS_STAT_DROPPED], count);
	if (err < 0 && signal_pending(current) && !READ_ONCE(sub->dead))
		flush_signals(current);
}

/*
 * The delivery thread.  SIGKILL, sent when the subscription ends, breaks
 * a unicast blocked on a reader that stopped reading.
 */
int ws_sub_thread(void *arg)
{
	struct ws_sub *sub = arg;
	unsigned int count;
	struct sk_buff *skb;

	allow_signal(SIGKILL);
	while (!READ_ONCE(sub->dead)) {
		skb = ws_sub_take(sub, &count);
		if (skb) {
			ws_sub_send(sub, skb, count);
			/* Lookups may keep the backlog full for ever. */
			cond_resched();
			continue;
		}
		wait_event_interruptible(sub->work, READ_ONCE(sub->dead) ||
					 !skb_queue_empty_lockless(&sub->queue));
		if (skb_queue_len_lockless(&sub->queue) < WS_GATHER_EVENTS &&
		    !READ_ONCE(sub->dead)) {
			ktime_t gather = WS_GATHER_US * NSEC_PER_USEC;

			set_current_state(TASK_INTERRUPTIBLE);
			schedule_hrtimeout_range(&gather, WS_GATHER_US * NSEC_PER_USEC,
						 HRTIMER_MODE_REL);
		}
		/* Only our own SIGKILL ends the thread. */
		if (signal_pending(current) && !READ_ONCE(sub->dead))
			flush_signals(current);
	}
	return 0;
}
