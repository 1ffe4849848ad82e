// SPDX-License-Identifier: GPL-2.0
/*
 * WINSOCK_IOC_GETPEERNAME: getpeername with Winsock semantics, read from
 * the caller's struct socket (lookup.h), and the protocols' getname, which
 * the lookup asks where the fast peer read (inet_peer.h) does not apply.
 * A failure leaves the caller's buffer and length untouched.
 */
#include <linux/file.h>
#include <linux/net.h>
#include <linux/socket.h>
#include <linux/uaccess.h>
#include <net/sock.h>

#include "audit.h"
#include "internal.h"
#include "lookup.h"

/*
 * For the tests: N sends every lookup to the protocol's getname, so that
 * the suite can run through both paths (inet_peer.h has the fast one).
 */
bool ws_fast_peer = true;
module_param_named(fast_peer, ws_fast_peer, bool, 0644);
MODULE_PARM_DESC(fast_peer,
		 "Read AF_INET/AF_INET6 peers without getname (default Y; N: tests)");

const struct file_operations *ws_socket_fops __ro_after_init;

/*
 * Every socket file has the same operations, socket_file_ops: take their
 * address from a file made for a bare socket (no protocol, nothing bound),
 * and release it.  Fails only without memory or file table room (not
 * reached by the tests); the module then does not load.
 */
int __init ws_learn_socket_fops(void)
{
	struct socket *sock;
	struct file *file;
	int err;

	err = sock_create_lite(AF_INET, SOCK_STREAM, 0, &sock);
	if (err)
		return err;
	file = sock_alloc_file(sock, 0, NULL);
	if (IS_ERR(file))
		return PTR_ERR(file);
	ws_socket_fops = file->f_op;
	fput(file);
	return 0;
}

/*
 * Ask the protocol for the peer.  peer == 2 is what SO_PEERNAME uses: the
 * TCP state is not checked, so a connect in progress and a connection that
 * was shut down in both directions still report their peer, as Windows'
 * getpeername does; sockets that never had a peer (or had it dissolved)
 * still fail.
 */
noinline int ws_getname(struct socket *sock, const struct proto_ops *ops,
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

/*
 * Copy the address out, in Windows' all-or-nothing way: every page the
 * name spans, and *namelen, are probed for writing (a byte read and
 * written back) before the first byte of the address is written, so a
 * wild, read-only or short buffer fails with nothing changed.  Only a
 * concurrent munmap of the caller's own buffer between the probe and the
 * copy can still fail the copy half-way.
 *
 * The user accesses are grouped in user_access_begin() sections with
 * unsafe_*_user(): plain moves for a 16-byte copy, and no out-of-line
 * put_user() call for the length (12 instructions, with the registers
 * saved around it).
 */
static __always_inline u32 ws_copy_out(u8 __user *name, int __user *namelen,
				       const struct sockaddr_storage *addr,
				       int size)
{
	int len;
	u8 v;

	if (!name || !namelen)
		return WINSOCK_WSAEFAULT;
	if (!ws_user_access_begin(namelen, sizeof(*namelen)))
		return WINSOCK_WSAEFAULT;
	unsafe_get_user(len, namelen, fault);
	if (len < size)
		goto fault;
	unsafe_put_user(len, namelen, fault);
	user_access_end();

	/*
	 * size <= sizeof(struct sockaddr_storage): at most two pages.  The
	 * copy stores from the first byte up, so a fault of the first page
	 * leaves it unchanged; only the second page, if any, is probed.
	 */
	if (!ws_user_access_begin(name, size))
		return WINSOCK_WSAEFAULT;
	if (((unsigned long)name ^ (unsigned long)(name + size - 1)) & PAGE_MASK) {
		unsafe_get_user(v, name + size - 1, fault);
		unsafe_put_user(v, name + size - 1, fault);
	}
	if (!ws_unsafe_copy_addr(name, (const u8 *)addr, size))
		goto fault;
	user_access_end();

	/*
	 * The length once the name is written.  The same pointer opened a
	 * section above: this one cannot be refused.
	 */
	if (!ws_user_access_begin(namelen, sizeof(*namelen)))
		return WINSOCK_WSAEFAULT;
	unsafe_put_user(size, namelen, fault);
	user_access_end();
	return 0;

fault:
	user_access_end();
	return WINSOCK_WSAEFAULT;
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
	if (!ws_user_access_begin(u, sizeof(*u)))
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
 * before it is read: ws_read_request() fills @req, ws_lookup() the
 * query's state, and only the bytes of @peer the protocol or the fast path
 * filled (@peerlen, then @size) are ever copied or reported.
 */
long ws_ioctl_getpeername(struct ws_handle *h, void __user *uarg)
{
	struct winsock_getpeername req __uninitialized;
	struct ws_query l __uninitialized;
	struct fd f;
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
	res = ws_lookup(&l, &f);
	if (!res)
		res = ws_copy_out(u64_to_user_ptr(req.name),
				  u64_to_user_ptr(req.namelen), &l.peer, l.size);
	l.result = res;
	ws_audit_lookup(&l, NULL);
	fdput(f);
	return res;
}
