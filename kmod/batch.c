// SPDX-License-Identifier: GPL-2.0
/*
 * WINSOCK_IOC_GETPEERNAME_BATCH: up to WINSOCK_BATCH_MAX lookups in one
 * kernel entry.  Each entry gets exactly the answer of the single request
 * (the same lookup, lookup.h); what a batch saves is the system call, the
 * ioctl dispatch and the device's descriptor lookup per entry, and what it
 * does once for all entries: the handle's state, the probe of the array,
 * the audit stream's namespace and its count of successes.  Per entry:
 * the descriptor, the peer, and one user access section that writes the
 * answer and reads the next entry.
 */
#include <linux/minmax.h>
#include <linux/uaccess.h>

#include "audit.h"
#include "internal.h"
#include "lookup.h"

/* The part of an entry the kernel reads: everything before @name. */
struct ws_entry_head {
	u64 socket;
	u32 flags;
	s32 namelen;
	u32 result;
	u32 reserved;
};

static_assert(sizeof(struct ws_entry_head) ==
	      offsetof(struct winsock_peer_entry, name));

/* Inside a user access section: the entry's head. */
static __always_inline bool ws_get_head(struct ws_entry_head *head,
					const struct winsock_peer_entry __user *ue)
{
	unsafe_get_user(head->socket, &ue->socket, efault);
	unsafe_get_user(head->flags, &ue->flags, efault);
	unsafe_get_user(head->namelen, &ue->namelen, efault);
	unsafe_get_user(head->reserved, &ue->reserved, efault);
	return true;
efault:
	return false;
}

/* The first entry's head, in a section of its own. */
static int ws_read_head(struct ws_entry_head *head,
			const struct winsock_peer_entry __user *ue)
{
	bool ok;

	if (!user_access_begin(ue, sizeof(*ue)))
		return -EFAULT;
	ok = ws_get_head(head, ue);
	user_access_end();
	return ok ? 0 : -EFAULT;
}

/*
 * The entry's answer (the address and namelen on success only, then the
 * result) and, when @next, the next entry's head into @head: one user
 * access section.  The array was probed: only a concurrent munmap of it
 * faults here.
 */
static __always_inline int ws_answer(struct winsock_peer_entry __user *ue,
				     const struct ws_query *l, u32 result,
				     struct ws_entry_head *head, bool next)
{
	if (!user_access_begin(ue, (next ? 2 : 1) * sizeof(*ue)))
		return -EFAULT;
	if (!result) {
		if (!ws_unsafe_copy_addr(ue->name, (const u8 *)&l->peer, l->size))
			goto efault;
		unsafe_put_user(l->size, &ue->namelen, efault);
	}
	unsafe_put_user(result, &ue->result, efault);
	if (next && !ws_get_head(head, ue + 1))
		goto efault;
	user_access_end();
	return 0;
efault:
	user_access_end();
	return -EFAULT;
}

/*
 * Probe that the whole array can be read and written, one byte per page
 * and the last byte, without changing it: a fault then refuses the request
 * before any entry is answered.
 */
static bool ws_array_writable(void __user *p, size_t size)
{
	unsigned long a = (unsigned long)p, last = a + size - 1;
	u8 v;

	if (!access_ok(p, size))
		return false;
	for (;;) {
		if (get_user(v, (u8 __user *)a) || put_user(v, (u8 __user *)a))
			return false;
		if (a == last)
			return true;
		a = min(ALIGN(a + 1, PAGE_SIZE), last);
	}
}

/* One entry, answered and reported; -EFAULT if its answer faulted. */
static __always_inline int ws_entry(struct ws_query *l,
				    struct winsock_peer_entry __user *ue,
				    struct ws_entry_head *head, u32 state,
				    bool next, struct ws_audit_batch *ab)
{
	struct fd f;
	u32 result;
	int err;

	l->socket = head->socket;
	l->flags = head->flags;
	if (head->reserved || (head->flags & ~WINSOCK_GPN_FLAGS)) {
		/* Not a lookup: nothing to report. */
		l->size = 0;
		return ws_answer(ue, l, WINSOCK_WSAEINVAL, head, next);
	}
	if (state) {
		result = ws_refuse(l, state, ab);
		return ws_answer(ue, l, result, head, next);
	}
	result = ws_lookup(l, &f);
	/* The entry's namelen is its capacity, at most its inline storage. */
	if (!result && min_t(s32, head->namelen, sizeof(ue->name)) < l->size)
		result = WINSOCK_WSAEFAULT;
	err = ws_answer(ue, l, result, head, next);
	l->result = err ? WINSOCK_WSAEFAULT : result;
	ws_audit_lookup(l, ab);
	fdput(f);
	return err;
}

long ws_ioctl_getpeername_batch(struct ws_handle *h, void __user *uarg)
{
	struct winsock_getpeername_batch req;
	struct winsock_peer_entry __user *ue;
	struct ws_audit_batch ab;
	struct ws_entry_head head;
	struct ws_query l __uninitialized;	/* as in ws_ioctl_getpeername() */
	u32 i, state;
	long err;

	if (copy_from_user(&req, uarg, sizeof(req)))
		return -EFAULT;
	if (req.reserved || req.count > WINSOCK_BATCH_MAX)
		return -EINVAL;
	if (!req.count)
		return 0;
	ue = u64_to_user_ptr(req.entries);

	/* The handle first, as in the single request. */
	state = ws_enter(h, &l.version);
	if (!ws_array_writable(ue, req.count * sizeof(*ue)))
		return -EFAULT;

	err = ws_read_head(&head, ue);
	if (err)
		return err;
	ws_audit_batch_begin(&ab, h);
	l.h = h;
	for (i = 0; i < req.count; i++, ue++) {
		err = ws_entry(&l, ue, &head, state, i + 1 < req.count, &ab);
		if (err)
			break;
	}
	ws_audit_batch_end(&ab);
	return err;
}
