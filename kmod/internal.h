/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Internal interfaces of the winsock module.
 */
#ifndef _WINSOCK_INTERNAL_H
#define _WINSOCK_INTERNAL_H

#include <linux/atomic.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/socket.h>
#include <linux/spinlock.h>
#include <linux/types.h>
#include <linux/winsock.h>

struct net;
struct socket;
struct ws_net;

/*
 * struct ws_handle - the Winsock state of one open file of /dev/winsock.
 *
 * The library opens the device once per process, so a handle carries what
 * Windows keeps per process: the startup reference count and the version
 * negotiated by the first successful startup.
 *
 * @startups:	live WSAStartup count; read locklessly by lookups, with
 *		acquire: it is published with release after @version.
 * @version:	negotiated version, valid while @startups is non-zero.
 * @blocked:	threads inside a blocking call (struct ws_blocked), as the
 *		emulator declared them with WINSOCK_IOC_BLOCKING.
 * @nblocked:	their number; read locklessly: 0 (nearly always) spares a
 *		1.x lookup the list.
 * @net:	the network namespace of the opener, referenced while the
 *		handle is open, and @wn its audit state: lookups of sockets
 *		in that namespace (nearly all) count without net_generic().
 */
struct ws_handle {
	struct mutex lock;	/* serialises startup and cleanup */
	unsigned int startups;
	u16 version;
	spinlock_t blocked_lock;	/* protects @blocked and @nblocked */
	struct list_head blocked;
	unsigned int nblocked;
	struct net *net;
	struct ws_net *wn;
};

static inline bool ws_version_is_1x(u16 version)
{
	return (version & 0xff) == 1;
}

/*
 * struct ws_query - one getpeername request, as the lookup, the audit
 * stream, the trace and the audit record see it.
 * @h:		the handle it was made on.
 * @socket:	the SOCKET value as passed.
 * @flags:	WINSOCK_GPN_* of the request.
 * @version:	the handle's negotiated version, 0 before any startup.
 * @result:	0 or the WSA* code returned.
 * @sock:	the socket, held by the caller's fdget; NULL if none.
 * @peerlen:	bytes of @peer the protocol filled, 0 if it was not read.
 * @family:	the Linux family getname reported in @peer (valid while
 *		@peerlen is non-zero): the event, the trace and the audit
 *		record describe the address with it, never with a second
 *		read of the socket.
 * @size:	bytes of @peer copied out (the layout's size), on success.
 * @peer:	the peer as the protocol reported it; sa_family is the
 *		Windows value when the request asked for Windows' layout.
 */
struct ws_query {
	const struct ws_handle *h;
	u64 socket;
	u32 flags;
	u16 version;
	u32 result;
	struct socket *sock;
	int peerlen;
	u16 family;
	int size;
	struct sockaddr_storage peer;
};

/*
 * Room for the escaped text of a peer: a 108-byte unix name, every byte
 * escaped as \xNN, after "@".  A multiple of 8: the trace entry has no
 * padding.
 */
#define WS_PEER_STR_LEN	440

void ws_peer_str(char *buf, size_t size, const struct ws_query *l);

/*
 * struct ws_audit_batch - what a batch counts once for all its entries
 * (audit.h): the caller's namespace and the results, added to the per-CPU
 * counters when the batch ends.
 */
struct ws_audit_batch;

#ifndef WINSOCK_NO_AUDIT
int ws_audit_init(void);
void ws_audit_exit(void);
void ws_audit_open(struct ws_handle *h);
void ws_audit_release(struct ws_handle *h);
/* ws_audit_lookup(), ws_audit_count() and the batch's: inline, in audit.h. */
#else
struct ws_audit_batch { };
static inline int ws_audit_init(void) { return 0; }
static inline void ws_audit_exit(void) { }
static inline void ws_audit_open(struct ws_handle *h) { }
static inline void ws_audit_release(struct ws_handle *h) { }
static inline void ws_audit_lookup(const struct ws_query *l,
				   struct ws_audit_batch *b) { }
static inline bool ws_audit_listening(void) { return false; }
static inline void ws_audit_count(u32 result, struct ws_audit_batch *b) { }
static inline void ws_audit_batch_begin(struct ws_audit_batch *b,
					const struct ws_handle *h) { }
static inline void ws_audit_batch_end(struct ws_audit_batch *b) { }
#endif

long ws_ioctl_startup(struct ws_handle *h, void __user *uarg);
long ws_ioctl_cleanup(struct ws_handle *h, void __user *uarg);
long ws_ioctl_getpeername(struct ws_handle *h, void __user *uarg);
long ws_ioctl_getpeername_batch(struct ws_handle *h, void __user *uarg);
long ws_ioctl_blocking(struct ws_handle *h, void __user *uarg);

bool ws_in_blocking_call(struct ws_handle *h);
void ws_blocking_release(struct ws_handle *h);

u32 ws_enter(struct ws_handle *h, u16 *version);
u32 ws_refuse(struct ws_query *l, u32 result, struct ws_audit_batch *b);

int ws_learn_socket_fops(void);
extern bool ws_provider_down;
extern bool ws_audit_records;

#endif /* _WINSOCK_INTERNAL_H */
