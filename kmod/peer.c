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
#include "audit.h"
#include "inet_peer.h"
#include "internal.h"

/*
 * The Windows layout of a family: its Windows family value and structure
 * size.  Only families whose Windows structure has the Linux layout have a
 * Windows provider; for any other family the descriptor is not a Winsock
 * socket (returns false).  Windows' AF_UNIX provider has stream sockets
 * only (socket() refuses SOCK_DGRAM and SOCK_SEQPACKET there): a unix
 * socket of another type is not a Winsock socket either.
 */
static bool ws_windows_layout(int family, int type, u16 *wfamily, int *size)
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
		if (type != SOCK_STREAM)
			return false;
		/* Windows always reports the whole SOCKADDR_UN. */
		*wfamily = WINSOCK_AF_UNIX;
		*size = WINSOCK_SOCKADDR_UN_SIZE;
		return true;
	default:
		return false;
	}
}

/*
 * For the tests: N sends every lookup to the protocol's getname, so that
 * the suite can run through both paths (inet_peer.h has the fast one).
 */
static bool ws_fast_peer = true;
module_param_named(fast_peer, ws_fast_peer, bool, 0644);
MODULE_PARM_DESC(fast_peer,
		 "Read AF_INET/AF_INET6 peers without getname (default Y; N: tests)");

/*
 * Ask the protocol for the peer.  peer == 2 is what SO_PEERNAME uses: the
 * TCP state is not checked, so a connect in progress and a connection that
 * was shut down in both directions still report their peer, as Windows'
 * getpeername does; sockets that never had a peer (or had it dissolved)
 * still fail.
 */
static noinline int ws_getname(struct socket *sock,
			       const struct proto_ops *ops,
			       struct sockaddr_storage *addr)
{
	int len;

	/* A protocol that fills nothing leaves no stale family behind. */
	addr->ss_family = AF_UNSPEC;
	len = ops->getname(sock, (struct sockaddr *)addr, 2);
	if (len >= 0) {
		/*
		 * More than the storage is a protocol bug that may already
		 * have overrun it; never copy (or report) past its end.
		 */
		if (WARN_ONCE(len > sizeof(*addr),
			      "winsock: %ps returned %d bytes of address\n",
			      ops->getname, len))
			return -WINSOCK_WSAENETDOWN;
		return len;
	}
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

/* The peer's length, or a negative WSA* code. */
static __always_inline int ws_read_peer(struct socket *sock,
					const struct proto_ops *ops,
					struct sockaddr_storage *addr)
{
	int len;

	if (likely(READ_ONCE(ws_fast_peer))) {
		len = ws_inet_peer(sock, ops, addr);
		if (likely(len >= 0))
			return len;
		if (len == -ENOTCONN)
			return -WINSOCK_WSAENOTCONN;
	}
	return ws_getname(sock, ops, addr);
}

/*
 * The address into a user buffer, inside the caller's user access
 * section: the sizes the inet layouts have (16, 28) as a few word moves
 * instead of the generic copy's loop, which costs about as much as the
 * fast peer read itself.  The source is the query's sockaddr_storage
 * (aligned); the caller's buffer may not be, so this is for CPUs that
 * store unaligned words cheaply (x86); elsewhere the generic copy does
 * it.  Returns false on a fault.
 */
static __always_inline bool ws_unsafe_copy_addr(u8 __user *dst, const u8 *src,
						int size)
{
	if (IS_ENABLED(CONFIG_HAVE_EFFICIENT_UNALIGNED_ACCESS) &&
	    (size == sizeof(struct sockaddr_in) ||
	     size == sizeof(struct sockaddr_in6))) {
		unsafe_put_user(*(const u64 *)src, (u64 __user *)dst, efault);
		unsafe_put_user(*(const u64 *)(src + 8),
				(u64 __user *)(dst + 8), efault);
		if (size == sizeof(struct sockaddr_in))
			return true;
		unsafe_put_user(*(const u64 *)(src + 16),
				(u64 __user *)(dst + 16), efault);
		unsafe_put_user(*(const u32 *)(src + 24),
				(u32 __user *)(dst + 24), efault);
		return true;
	}
	unsafe_copy_to_user(dst, src, size, efault);
	return true;
efault:
	return false;
}

/*
 * Copy the address out, in Windows' all-or-nothing way: every page the
 * name spans, and *namelen, are probed for writing (a byte read and
 * written back) before the first byte of the address is written, so a
 * wild, read-only or short buffer fails with nothing changed.  Only a
 * concurrent munmap of the caller's own buffer between the probe and the
 * copy can still fail the copy half-way.
 *
 * The user accesses are grouped in user_access_begin() sections with
 * unsafe_*_user(): one SMAP toggle per object and plain moves for a
 * 16-byte copy.  A batch entry's storage was probed with the whole array
 * and its namelen was already read into @capacity.
 */
static __always_inline u32 ws_copy_out(const struct ws_target *t,
				       const struct sockaddr_storage *addr,
				       int size)
{
	u8 __user *name = t->name;
	int __user *namelen = t->namelen;
	int len;
	u8 v;

	if (t->entry) {
		if (t->capacity < size)
			return WINSOCK_WSAEFAULT;
		if (!user_access_begin(name, size))
			return WINSOCK_WSAEFAULT;
		if (!ws_unsafe_copy_addr(name, (const u8 *)addr, size))
			goto fault;
		user_access_end();
		return 0;
	}

	if (!name || !namelen)
		return WINSOCK_WSAEFAULT;
	if (!user_access_begin(namelen, sizeof(*namelen)))
		return WINSOCK_WSAEFAULT;
	unsafe_get_user(len, namelen, fault);
	if (len < size)
		goto fault;
	unsafe_put_user(len, namelen, fault);
	user_access_end();

	/* size <= sizeof(struct sockaddr_storage): at most two pages. */
	if (!user_access_begin(name, size))
		return WINSOCK_WSAEFAULT;
	unsafe_get_user(v, name, fault);
	unsafe_put_user(v, name, fault);
	if (((unsigned long)name ^ (unsigned long)(name + size - 1)) & PAGE_MASK) {
		unsafe_get_user(v, name + size - 1, fault);
		unsafe_put_user(v, name + size - 1, fault);
	}
	if (!ws_unsafe_copy_addr(name, (const u8 *)addr, size))
		goto fault;
	user_access_end();
	return put_user(size, namelen) ? WINSOCK_WSAEFAULT : 0;

fault:
	user_access_end();
	return WINSOCK_WSAEFAULT;
}

/*
 * The checks after the descriptor was resolved to l->sock (may be NULL).
 * This and the helpers it calls are inlined into both ws_lookup() and
 * ws_lookup_batched(), as they were into the one ws_lookup() before the
 * batch counted its entries itself: out of line, the single request lost
 * what the batch won.
 */
static __always_inline u32 ws_resolve(struct ws_query *l,
				      const struct ws_target *t)
{
	bool native = l->flags & WINSOCK_GPN_NATIVE;
	struct socket *sock = l->sock;
	const struct proto_ops *ops;
	int size, wsize = 0;
	u16 wfamily = 0;

	if (!sock)
		return WINSOCK_WSAENOTSOCK;
	/*
	 * IPV6_ADDRFORM replaces sock->ops of a live socket (IPv6 to IPv4):
	 * read them once, and take the layout from the family getname
	 * reported, so that the answer is always one the socket really had.
	 */
	ops = READ_ONCE(sock->ops);
	if (!native &&
	    !ws_windows_layout(ops->family, sock->type, &wfamily, &wsize))
		return WINSOCK_WSAENOTSOCK;
	if (READ_ONCE(ws_provider_down))
		return WINSOCK_WSAENETDOWN;

	size = ws_read_peer(sock, ops, &l->peer);
	if (size < 0)
		return -size;
	l->peerlen = size;
	l->family = l->peer.ss_family;
	/* getname reports its own family: the layout stands (not reached). */
	if (!native && unlikely(l->family != ops->family) &&
	    !ws_windows_layout(l->family, sock->type, &wfamily, &wsize))
		return WINSOCK_WSAENOTSOCK;
	if (!native) {
		/*
		 * Zero only what the Windows layout adds past what getname
		 * filled (the rest of a SOCKADDR_UN): clearing the whole
		 * storage up front cost a tenth of a lookup.
		 */
		if (wsize > size)
			memset((u8 *)&l->peer + size, 0, wsize - size);
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
static __always_inline u32 __ws_lookup(struct ws_query *l,
				       const struct ws_target *t,
				       struct ws_audit_batch *b)
{
	struct fd f;

	l->sock = NULL;
	l->peerlen = 0;
	l->size = 0;
	if (l->socket > INT_MAX) {
		l->result = WINSOCK_WSAENOTSOCK;
		ws_audit_lookup(l, b);
		return l->result;
	}
	f = fdget(l->socket);
	if (fd_file(f))
		l->sock = sock_from_file(fd_file(f));
	l->result = ws_resolve(l, t);
	ws_audit_lookup(l, b);
	fdput(f);
	return l->result;
}

u32 ws_lookup(struct ws_query *l, const struct ws_target *t)
{
	return __ws_lookup(l, t, NULL);
}

/* A batch's entry: its audit counting is the batch's (@b). */
u32 ws_lookup_batched(struct ws_query *l, const struct ws_target *t,
		      struct ws_audit_batch *b)
{
	return __ws_lookup(l, t, b);
}

/*
 * The handle's part of the validation, before any descriptor: the last
 * startup must be live, and on a Winsock 1.x handle the calling thread
 * must not be inside a blocking call (WINSOCK_IOC_BLOCKING).  Lookups
 * never block, so they never refuse each other.  Returns 0 or the WSA*
 * code.
 */
u32 ws_enter(struct ws_handle *h, u16 *version)
{
	/* Acquire: pairs with the release that published the startup. */
	if (!smp_load_acquire(&h->startups)) {
		*version = 0;
		return WINSOCK_WSANOTINITIALISED;
	}
	*version = READ_ONCE(h->version);
	if (ws_version_is_1x(*version) && ws_in_blocking_call(h))
		return WINSOCK_WSAEINPROGRESS;
	return 0;
}

/*
 * A lookup refused by the handle's state is still a lookup: report it
 * (@b: the batch it is an entry of, or NULL).
 */
u32 ws_refuse(struct ws_query *l, u32 result, struct ws_audit_batch *b)
{
	l->sock = NULL;
	l->peerlen = 0;
	l->size = 0;
	l->result = result;
	ws_audit_lookup(l, b);
	return result;
}

/*
 * The request, field by field in one user access section: copy_from_user
 * of 32 bytes goes through the generic copy routine.
 */
static int ws_read_request(struct winsock_getpeername *req,
			   const struct winsock_getpeername __user *u)
{
	if (!user_access_begin(u, sizeof(*u)))
		return -EFAULT;
	unsafe_get_user(req->socket, &u->socket, fault);
	unsafe_get_user(req->name, &u->name, fault);
	unsafe_get_user(req->namelen, &u->namelen, fault);
	unsafe_get_user(req->flags, &u->flags, fault);
	unsafe_get_user(req->reserved, &u->reserved, fault);
	user_access_end();
	return 0;
fault:
	user_access_end();
	return -EFAULT;
}

/*
 * The kernels are built with CONFIG_INIT_STACK_ALL_ZERO: the request and
 * its 216-byte query record would be cleared on every call (a rep stos of
 * 27 words, a tenth of the lookup's own work).  Every field is written
 * before it is read: ws_read_request() fills @req, __ws_lookup() the
 * query's state, and only the bytes of @peer the protocol or the fast path
 * filled (@peerlen, then @size) are ever copied or reported.
 */
long ws_ioctl_getpeername(struct ws_handle *h, void __user *uarg)
{
	struct winsock_getpeername req __uninitialized;
	struct ws_query l __uninitialized;
	struct ws_target t;
	u32 res;

	if (ws_read_request(&req, uarg))
		return -EFAULT;
	if (req.reserved || (req.flags & ~WINSOCK_GPN_FLAGS))
		return -EINVAL;

	l.h = h;
	l.socket = req.socket;
	l.flags = req.flags;
	res = ws_enter(h, &l.version);
	if (res)
		return ws_refuse(&l, res, NULL);
	t.name = u64_to_user_ptr(req.name);
	t.namelen = u64_to_user_ptr(req.namelen);
	t.entry = false;
	return ws_lookup(&l, &t);
}
