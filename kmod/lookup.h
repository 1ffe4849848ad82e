/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The lookup itself, shared by the single request (peer.c) and the batch
 * (batch.c), inline in both: resolve the descriptor, check what Windows
 * checks, read the peer and lay it out.  Writing the answer is each
 * request's own: the single one probes the caller's buffer, a batch entry
 * writes its answer and reads the next entry in one user access section.
 *
 * Validation order, as Windows does it: the handle (WSANOTINITIALISED,
 * WSAEINPROGRESS, checked by the caller with ws_enter()), the descriptor
 * (WSAENOTSOCK), the provider (WSAENETDOWN), the connection state
 * (WSAENOTCONN), and only then the caller's pointers and length
 * (WSAEFAULT, when the answer is written).
 */
#ifndef _WINSOCK_LOOKUP_H
#define _WINSOCK_LOOKUP_H

#include <linux/file.h>
#include <linux/net.h>
#include <linux/socket.h>
#include <linux/uaccess.h>
#include <net/sock.h>

#include "compat.h"
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
static __always_inline bool ws_windows_layout(int family, int type,
					      u16 *wfamily, int *size)
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

extern bool ws_fast_peer;
extern const struct file_operations *ws_socket_fops;

/*
 * sock_from_file(), inline: its test is f_op == &socket_file_ops, which
 * net/socket.c does not export, so the module learns that address from a
 * socket file of its own when it loads (ws_learn_socket_fops()).  The
 * exported function is an out-of-line call per lookup, 3 to 5
 * instructions more with the registers kept around it.
 */
static __always_inline struct socket *ws_sock_from_file(struct file *file)
{
	return file->f_op == ws_socket_fops ? file->private_data : NULL;
}

int ws_getname(struct socket *sock, const struct proto_ops *ops,
	       struct sockaddr_storage *addr);

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
 * The checks after the descriptor was resolved to l->sock (may be NULL),
 * and the peer in the requested layout in l->peer, l->size bytes of it.
 * Returns 0 or the WSA* code.
 */
static __always_inline u32 ws_resolve(struct ws_query *l)
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
	return 0;
}

/*
 * Resolve l->socket and look the peer up.  fdget reads current->files:
 * only the caller's own descriptors can be reached.  The socket stays
 * held in @f until the caller has answered and reported the lookup
 * (ws_audit_lookup() reads it), then fdput(@f).
 */
static __always_inline u32 ws_lookup(struct ws_query *l, struct fd *f)
{
	l->sock = NULL;
	l->peerlen = 0;
	l->size = 0;
	if (l->socket > INT_MAX) {
		*f = (struct fd){};
		return WINSOCK_WSAENOTSOCK;
	}
	*f = fdget(l->socket);
	if (fd_file(*f))
		l->sock = ws_sock_from_file(fd_file(*f));
	return ws_resolve(l);
}

#endif /* _WINSOCK_LOOKUP_H */
