// SPDX-License-Identifier: GPL-2.0
/*
 * WINSOCK_IOC_BLOCKING: which threads are inside a blocking Winsock call.
 *
 * Winsock 1.1 allows one blocking call per thread; while a thread is in
 * one (its blocking hook running), every other call it makes fails with
 * WSAEINPROGRESS.  Only the emulator knows when its blocking calls start
 * and end, so it says so, and the handle keeps the set of such threads.
 *
 * A thread is known by its struct pid, referenced while it is in the set:
 * a thread id can be reused once the thread is gone, its struct pid
 * cannot be while referenced.  Threads that exit without leaving are
 * pruned when another thread enters, so the set never holds more than
 * the handle's live threads, and all of it goes with the handle.
 */
#include <linux/pid.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "internal.h"

struct ws_blocked {
	struct list_head node;
	struct pid *pid;
};

static struct ws_blocked *ws_find(struct ws_handle *h, struct pid *pid)
{
	struct ws_blocked *b;

	lockdep_assert_held(&h->blocked_lock);
	list_for_each_entry(b, &h->blocked, node)
		if (b->pid == pid)
			return b;
	return NULL;
}

/*
 * Is the calling thread inside a blocking call on @h?  The thread's own
 * ENTER came before this call in its program order, so the lockless count
 * shows it; other threads' entries do not concern it.
 */
bool ws_in_blocking_call(struct ws_handle *h)
{
	bool found;

	if (!READ_ONCE(h->nblocked))
		return false;
	spin_lock(&h->blocked_lock);
	found = ws_find(h, task_pid(current));
	spin_unlock(&h->blocked_lock);
	return found;
}

static void ws_unlink(struct ws_handle *h, struct ws_blocked *b,
		      struct list_head *dead)
{
	list_move(&b->node, dead);
	WRITE_ONCE(h->nblocked, h->nblocked - 1);
}

static void ws_free_list(struct list_head *dead)
{
	struct ws_blocked *b, *tmp;

	list_for_each_entry_safe(b, tmp, dead, node) {
		put_pid(b->pid);
		kfree(b);
	}
}

static u32 ws_blocking_enter(struct ws_handle *h, long *err)
{
	struct pid *me = task_pid(current);
	struct ws_blocked *b, *tmp, *nb;
	LIST_HEAD(dead);
	u32 res = 0;

	/* Pairs with the release in startup/cleanup, as in ws_enter(). */
	if (!smp_load_acquire(&h->startups))
		return WINSOCK_WSANOTINITIALISED;
	nb = kmalloc(sizeof(*nb), GFP_KERNEL_ACCOUNT);
	if (!nb) {
		*err = -ENOMEM;
		return 0;
	}
	spin_lock(&h->blocked_lock);
	list_for_each_entry_safe(b, tmp, &h->blocked, node) {
		if (b->pid == me)
			res = WINSOCK_WSAEINPROGRESS;
		else if (!pid_has_task(b->pid, PIDTYPE_PID))
			ws_unlink(h, b, &dead);	/* exited inside the call */
	}
	if (!res) {
		nb->pid = get_pid(me);
		list_add(&nb->node, &h->blocked);
		WRITE_ONCE(h->nblocked, h->nblocked + 1);
		nb = NULL;
	}
	spin_unlock(&h->blocked_lock);
	ws_free_list(&dead);
	kfree(nb);
	return res;
}

static u32 ws_blocking_leave(struct ws_handle *h)
{
	struct ws_blocked *b;
	LIST_HEAD(dead);

	spin_lock(&h->blocked_lock);
	b = ws_find(h, task_pid(current));
	if (b)
		ws_unlink(h, b, &dead);
	spin_unlock(&h->blocked_lock);
	ws_free_list(&dead);
	return b ? 0 : WINSOCK_WSAEINVAL;
}

long ws_ioctl_blocking(struct ws_handle *h, void __user *uarg)
{
	struct winsock_blocking req;
	long err = 0;
	u32 res;

	if (copy_from_user(&req, uarg, sizeof(req)))
		return -EFAULT;
	if (req.reserved)
		return -EINVAL;
	switch (req.op) {
	case WINSOCK_BLOCKING_ENTER:
		res = ws_blocking_enter(h, &err);
		break;
	case WINSOCK_BLOCKING_LEAVE:
		res = ws_blocking_leave(h);
		break;
	default:
		return -EINVAL;
	}
	return err ? err : res;
}

/* The handle is going away: nobody can be inside a call on it any more. */
void ws_blocking_release(struct ws_handle *h)
{
	LIST_HEAD(dead);

	spin_lock(&h->blocked_lock);
	list_splice_init(&h->blocked, &dead);
	h->nblocked = 0;
	spin_unlock(&h->blocked_lock);
	ws_free_list(&dead);
}
