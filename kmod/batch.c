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

/*
 * One entry, answered and reported (@listening: as ws_audit_listening()
 * said when the batch began; without listeners only the counters);
 * -EFAULT if its answer faulted.
 */
static __always_inline int ws_entry(struct ws_query *l,
				    struct winsock_peer_entry __user *ue,
				    struct ws_entry_head *head, u32 state,
				    bool next, struct ws_audit_batch *ab,
				    const bool listening)
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
	if (state)
		return ws_answer(ue, l, ws_refuse(l, state, ab), head, next);
	result = ws_lookup(l, &f);
	/* The entry's namelen is its capacity, at most its inline storage. */
	if (!result && min_t(s32, head->namelen, sizeof(ue->name)) < l->size)
		result = WINSOCK_WSAEFAULT;
	err = ws_answer(ue, l, result, head, next);
	if (err)
		result = WINSOCK_WSAEFAULT;
	if (listening) {
		l->result = result;
		ws_audit_lookup(l, ab);
	} else {
		ws_audit_count(result, ab);
	}
	fdput(f);
	return err;
}

/*
 * Every entry, in order.  Inlined twice: the copy for a batch nobody
 * listens to neither tests the word nor stores what only the audit stream
 * reads, per entry.  (A refused entry, rare, is reported in full by both.)
 */
static __always_inline long ws_entries(struct ws_handle *h, u16 version,
				       struct winsock_peer_entry __user *ue,
				       struct ws_entry_head *head, u32 state,
				       u32 count, struct ws_audit_batch *ab,
				       const bool listening)
{
	/* Every field is written before it is read (ws_ioctl_getpeername()). */
	struct ws_query l __uninitialized;
	long err = 0;
	u32 i;

	l.h = h;
	l.version = version;
	for (i = 0; i < count; i++, ue++) {
		err = ws_entry(&l, ue, head, state, i + 1 < count, ab, listening);
		if (err)
			break;
	}
	return err;
}

long ws_ioctl_getpeername_batch(struct ws_handle *h, void __user *uarg)
{
	struct winsock_getpeername_batch req;
	struct winsock_peer_entry __user *ue;
	struct ws_audit_batch ab;
	struct ws_entry_head head;
	u32 state;
	u16 version;
	long err;

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

	err = ws_read_head(&head, ue);
	if (err)
		return err;
	ws_audit_batch_begin(&ab, h);
	if (ws_audit_listening())
		err = ws_entries(h, version, ue, &head, state, req.count, &ab, true);
	else
		err = ws_entries(h, version, ue, &head, state, req.count, &ab, false);
	ws_audit_batch_end(&ab);
	return err;
}
