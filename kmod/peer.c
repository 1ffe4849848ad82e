// SPDX-License-Identifier: GPL-2.0
/*
 * getpeername with Winsock semantics, read from the caller's struct socket.
 *
 * Validation order, as Windows does it: the handle (WSANOTINITIALISED,
 * WSAEINPROGRESS), the descriptor (WSAENOTSOCK), the provider
 * (WSAENETDOWN), the connection state (WSAENOTCONN), and only then the
 * caller's pointers and length (WSAEFAULT).  A failure leaves the caller's
 * buffer and length untouched.
 */
#include <linux/file.h>
#include <linux/net.h>
#include <linux/socket.h>
#include <linux/uaccess.h>
#include <linux/un.h>
#include <net/sock.h>

#include "compat.h"
#include "winsock.h"

/*
 * The Windows layout of a family: its Windows family value and structure
 * size.  Only families whose Windows structure has the Linux layout have a
 * Windows provider; for any other family the descriptor is not a Winsock
 * socket (returns false).
 */
static bool ws_windows_layout(int family, u16 *wfamily, int *size)
{
	switch (family) {
	case AF_INET:
		*wfamily = WINSOCK_AF_INET;
		*size = WINSOCK_SOCKADDR_IN_SIZE;
		return true;
	case AF_INET6:
		*wfamily = WINSOCK_AF_INET6;
		*size = WINSOCK_SOCKADDR_IN6_SIZE;
		return true;
	case AF_UNIX:
		/* Windows always reports the whole SOCKADDR_UN. */
		*wfamily = WINSOCK_AF_UNIX;
		*size = WINSOCK_SOCKADDR_UN_SIZE;
		return true;
	default:
		return false;
	}
}

/*
 * Ask the protocol for the peer.  peer == 2 is what SO_PEERNAME uses: the
 * TCP state is not checked, so a connect in progress and a connection that
 * was shut down in both directions still report their peer, as Windows'
 * getpeername does; sockets that never had a peer (or had it dissolved)
 * still fail.
 */
static int ws_read_peer(struct socket *sock, struct sockaddr_storage *addr)
{
	int len;

	len = READ_ONCE(sock->ops)->getname(sock, (struct sockaddr *)addr, 2);
	if (len >= 0)
		return len;
	switch (len) {
	case -ENOTCONN:
	case -EOPNOTSUPP:	/* the family has no notion of a peer */
	case -EINVAL:		/* ditto, in some protocols (not tested) */
		return -WINSOCK_WSAENOTCONN;
	default:
		/*
		 * A protocol failure that is not about connection state.  No
		 * family in the test guests fails getname otherwise, so this
		 * is not reached by the selftests.
		 */
		return -WINSOCK_WSAENETDOWN;
	}
}

/*
 * Probe that @size bytes at @p can be written, without changing them:
 * read and write back the first and the last byte.  The size is at most
 * sizeof(struct sockaddr_storage), so these two bytes cover every page.
 */
static bool ws_writable(void __user *p, size_t size)
{
	u8 __user *first = p;
	u8 __user *last = first + size - 1;
	u8 a, b;

	if (!access_ok(p, size))
		return false;
	if (get_user(a, first) || get_user(b, last))
		return false;
	return !put_user(a, first) && !put_user(b, last);
}

/*
 * Copy the address out.  Everything that can fault is probed first, so a
 * wild, read-only or short buffer fails before anything is written.  Only
 * a concurrent munmap of the caller's own buffer between the probe and the
 * copy can make the copy itself fail.
 *
 * A batch entry has inline storage that was probed with the whole array,
 * and its namelen was already read into @capacity.
 */
static u32 ws_copy_out(const struct ws_target *t,
		       const struct sockaddr_storage *addr, int size)
{
	int len;

	if (t->entry) {
		if (t->capacity < size)
			return WINSOCK_WSAEFAULT;
		return copy_to_user(t->name, addr, size) ? WINSOCK_WSAEFAULT : 0;
	}
	if (!t->name || !t->namelen)
		return WINSOCK_WSAEFAULT;
	if (get_user(len, t->namelen))
		return WINSOCK_WSAEFAULT;
	if (len < size)
		return WINSOCK_WSAEFAULT;
	if (put_user(len, t->namelen) || !ws_writable(t->name, size))
		return WINSOCK_WSAEFAULT;
	if (copy_to_user(t->name, addr, size) || put_user(size, t->namelen))
		return WINSOCK_WSAEFAULT;
	return 0;
}

/* The checks after the descriptor was resolved to l->sock (may be NULL). */
static u32 ws_resolve(struct ws_lookup *l, const struct ws_target *t)
{
	bool native = l->flags & WINSOCK_GPN_NATIVE;
	struct socket *sock = l->sock;
	int size, wsize = 0;
	u16 wfamily = 0;

	if (!sock)
		return WINSOCK_WSAENOTSOCK;
	if (!native &&
	    !ws_windows_layout(READ_ONCE(sock->ops)->family, &wfamily, &wsize))
		return WINSOCK_WSAENOTSOCK;
	if (READ_ONCE(ws_provider_down))
		return WINSOCK_WSAENETDOWN;

	/* Zeroed: the Windows layout may be longer than what getname fills. */
	memset(&l->peer, 0, sizeof(l->peer));
	size = ws_read_peer(sock, &l->peer);
	if (size < 0)
		return -size;
	l->peerlen = size;
	if (!native) {
		l->peer.ss_family = wfamily;
		size = wsize;
	}
	l->size = size;
	return ws_copy_out(t, &l->peer, size);
}

/*
 * Resolve the descriptor, answer, and report the lookup while the socket
 * is still held.  fdget reads current->files: only the caller's own
 * descriptors can be reached.
 */
u32 ws_lookup(struct ws_lookup *l, const struct ws_target *t)
{
	struct fd f;

	l->sock = NULL;
	l->peerlen = 0;
	if (l->socket > INT_MAX) {
		l->result = WINSOCK_WSAENOTSOCK;
		ws_audit_lookup(l);
		return l->result;
	}
	f = fdget(l->socket);
	if (fd_file(f))
		l->sock = sock_from_file(fd_file(f));
	l->result = ws_resolve(l, t);
	ws_audit_lookup(l);
	fdput(f);
	return l->result;
}

/*
 * The handle's part of the validation, before any descriptor: the last
 * startup must be live, and a Winsock 1.x handle allows one call in flight
 * (released by ws_leave()).  Returns 0 or the WSA* code.
 */
u32 ws_enter(struct ws_handle *h, u16 *version)
{
	if (!READ_ONCE(h->startups)) {
		*version = 0;
		return WINSOCK_WSANOTINITIALISED;
	}
	*version = READ_ONCE(h->version);
	if (ws_version_is_1x(*version) && atomic_cmpxchg(&h->busy, 0, 1))
		return WINSOCK_WSAEINPROGRESS;
	return 0;
}

void ws_leave(struct ws_handle *h, u16 version)
{
	if (ws_version_is_1x(version))
		atomic_set(&h->busy, 0);
}

/* A lookup refused by the handle's state is still a lookup: report it. */
u32 ws_refuse(struct ws_lookup *l, u32 result)
{
	l->sock = NULL;
	l->peerlen = 0;
	l->result = result;
	ws_audit_lookup(l);
	return result;
}

long ws_ioctl_getpeername(struct ws_handle *h, void __user *uarg)
{
	struct winsock_getpeername req;
	struct ws_target t;
	struct ws_lookup l;
	u32 res;

	if (copy_from_user(&req, uarg, sizeof(req)))
		return -EFAULT;
	if (req.reserved || (req.flags & ~WINSOCK_GPN_FLAGS))
		return -EINVAL;

	l.socket = req.socket;
	l.flags = req.flags;
	res = ws_enter(h, &l.version);
	if (res)
		return ws_refuse(&l, res);
	t.name = u64_to_user_ptr(req.name);
	t.namelen = u64_to_user_ptr(req.namelen);
	t.entry = false;
	res = ws_lookup(&l, &t);
	ws_leave(h, l.version);
	return res;
}
