// SPDX-License-Identifier: GPL-2.0
/*
 * WINSOCK_IOC_GETPEERNAME_BATCH: up to WINSOCK_BATCH_MAX lookups in one
 * kernel entry.  Each entry gets exactly the answer of the single request
 * (the same ws_lookup()); what a batch saves is the system call, the ioctl
 * dispatch and the device's descriptor lookup per entry.
 */
#include <linux/minmax.h>
#include <linux/uaccess.h>

#include "audit.h"
#include "internal.h"

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

/* The entry's head, in one user access section (the array was probed). */
static int ws_read_head(struct ws_entry_head *head,
			const struct winsock_peer_entry __user *ue)
{
	if (!user_access_begin(ue, sizeof(*head)))
		return -EFAULT;
	unsafe_get_user(head->socket, &ue->socket, fault);
	unsafe_get_user(head->flags, &ue->flags, fault);
	unsafe_get_user(head->namelen, &ue->namelen, fault);
	unsafe_get_user(head->reserved, &ue->reserved, fault);
	user_access_end();
	return 0;
fault:
	user_access_end();
	return -EFAULT;
}

/* The answer: the result, and namelen on success only (as *namelen). */
static int ws_write_answer(struct winsock_peer_entry __user *ue, u32 result,
			   s32 size)
{
	if (!user_access_begin(ue, sizeof(*ue)))
		return -EFAULT;
	if (!result)
		unsafe_put_user(size, &ue->namelen, fault);
	unsafe_put_user(result, &ue->result, fault);
	user_access_end();
	return 0;
fault:
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

long ws_ioctl_getpeername_batch(struct ws_handle *h, void __user *uarg)
{
	struct winsock_getpeername_batch req;
	struct winsock_peer_entry __user *ue;
	struct ws_audit_batch ab;
	struct ws_entry_head head;
	struct ws_target t;
	struct ws_query l __uninitialized;	/* as in ws_ioctl_getpeername() */
	u32 i, state, result;
	u16 version;
	long err = 0;

	if (copy_from_user(&req, uarg, sizeof(req)))
		return -EFAULT;
	if (req.reserved || req.count > WINSOCK_BATCH_MAX)
		return -EINVAL;
	if (!req.count)
		return 0;
	ue = u64_to_user_ptr(req.entries);

	/* The handle first, as in the single request. */
	state = ws_enter(h, &version);
	if (!ws_array_writable(ue, req.count * sizeof(*ue)))
		return -EFAULT;

	ws_audit_batch_begin(&ab, h);
	l.h = h;
	t.entry = true;
	t.namelen = NULL;
	for (i = 0; i < req.count; i++, ue++) {
		/* The array was probed: only a concurrent munmap faults here. */
		err = ws_read_head(&head, ue);
		if (err)
			break;
		l.size = 0;
		l.socket = head.socket;
		l.flags = head.flags;
		l.version = version;
		if (head.reserved || (head.flags & ~WINSOCK_GPN_FLAGS)) {
			result = WINSOCK_WSAEINVAL;	/* not a lookup */
		} else if (state) {
			result = ws_refuse(&l, state, &ab);
		} else {
			t.name = ue->name;
			t.capacity = min_t(s32, head.namelen, sizeof(ue->name));
			result = ws_lookup_batched(&l, &t, &ab);
		}
		err = ws_write_answer(ue, result, l.size);
		if (err)
			break;
	}
	ws_audit_batch_end(&ab);
	return err;
}
