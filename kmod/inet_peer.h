/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The peer of an AF_INET or AF_INET6 socket, read without the socket lock.
 *
 * inet_getname() and inet6_getname() take the socket lock (lock_sock() and
 * release_sock(): two spin_lock_bh sections, the owner flag, the backlog)
 * only to read a handful of fields consistently; that is about 200
 * instructions of a TCP lookup.  This reads the same fields and gives the
 * same answer, for the same sockets, with the socket's spinlock held just
 * across the loads, and only while no task owns the socket:
 *
 * - Every writer of these fields but one holds the socket lock: a task
 *   owns the socket (lock_sock(): connect, disconnect, connect(AF_UNSPEC),
 *   IPV6_FLOWINFO_SEND, ...), or softirq code holds the spinlock.  Holding
 *   the spinlock with no owner therefore excludes them, exactly as
 *   getname's lock_sock() does, and the answer is a peer the socket had.
 *   The one: a raw or ping socket's connect(AF_UNSPEC), which
 *   inet_dgram_connect() hands to __udp_disconnect() with no lock at all.
 *   getname's lock_sock() does not exclude it either: both read such a
 *   socket alike.
 * - A plain lockless read (READ_ONCE of each field, then a re-read and
 *   compare) cannot promise that: UDP's connect stores the address and
 *   then the port, and a reader that sees neither store change between its
 *   two reads can still see the address of the new peer with the port of
 *   the old one when the writer is interrupted between its stores.  Nothing
 *   in the socket counts writes, so a reader cannot tell.  Both lock-free
 *   reads gave mixed IPv6 peers in peer_read_test's reconnect race.
 * - A socket some task owns (a concurrent connect, or a send holding the
 *   lock) is left to getname, which waits for it.
 *
 * Only the protocols whose getname is inet_getname() or inet6_getname()
 * themselves are read here (TCP, UDP, UDP-Lite, ping, raw, MPTCP's
 * stream socket), so the checks below are theirs, field for field.  With a
 * cgroup BPF getpeername program attached anywhere, getname runs it and
 * may rewrite the answer: then every lookup of that family goes to getname.
 * Anything else (AF_UNIX, whose peer is not RCU-freed and which takes its
 * own lock, or any other family) is left to getname too.
 */
#ifndef _WINSOCK_INET_PEER_H
#define _WINSOCK_INET_PEER_H

#include <linux/bpf-cgroup.h>
#include <linux/in.h>
#include <linux/in6.h>
#include <linux/ipv6.h>
#include <linux/net.h>
#include <net/inet_common.h>
#include <net/inet_sock.h>
#include <net/ipv6.h>
#include <net/sock.h>

#include "compat.h"

/* ws_inet_peer()'s answer when getname has to answer instead. */
#define WS_PEER_ASK_GETNAME	(-EAGAIN)

/*
 * Is a cgroup BPF program of @atype attached anywhere?  Read the static
 * key's count rather than branching on it: the module then carries no
 * jump label of its own to patch when a program is attached.  The count
 * is what static_key_enabled() tests, without its out-of-line call
 * (non-zero: enabled, or being enabled).
 */
#ifdef CONFIG_CGROUP_BPF
#define ws_cgroup_bpf_on(atype) \
	(atomic_read(&cgroup_bpf_enabled_key[atype].key.enabled) != 0)
#else
#define ws_cgroup_bpf_on(atype) false
#endif

/*
 * The socket's spinlock with interrupts off, taken in place.  Where the
 * kernel is built without CONFIG_INLINE_SPIN_LOCK_IRQSAVE and
 * CONFIG_INLINE_SPIN_UNLOCK_IRQRESTORE (Debian's are), spin_lock_irqsave()
 * and its unlock are two out-of-line calls, and the lookup saves and
 * restores registers around both.  These are the bodies those options
 * inline, __raw_spin_lock_irqsave() and __raw_spin_unlock_irqrestore()
 * (spinlock_api_smp.h): lockdep, lock statistics and DEBUG_SPINLOCK's
 * checks stay, in do_raw_spin_*().  They are written out because gcc does
 * not inline the kernel's own (plain static inline): it calls a copy of
 * them instead.  PREEMPT_RT's spinlock_t sleeps: there the calls stay.
 */
#ifndef CONFIG_PREEMPT_RT
static __always_inline unsigned long ws_sk_spin_lock(spinlock_t *slock)
	__acquires(slock)
{
	raw_spinlock_t *lock = &slock->rlock;
	unsigned long flags;

	local_irq_save(flags);
	preempt_disable();
	spin_acquire(&lock->dep_map, 0, 0, _RET_IP_);
	LOCK_CONTENDED(lock, do_raw_spin_trylock, do_raw_spin_lock);
	return flags;
}

static __always_inline void ws_sk_spin_unlock(spinlock_t *slock,
					      unsigned long flags)
	__releases(slock)
{
	raw_spinlock_t *lock = &slock->rlock;

	spin_release(&lock->dep_map, _RET_IP_);
	do_raw_spin_unlock(lock);
	local_irq_restore(flags);
	preempt_enable();
}
#else
static __always_inline unsigned long ws_sk_spin_lock(spinlock_t *slock)
	__acquires(slock)
{
	unsigned long flags;

	spin_lock_irqsave(slock, flags);
	return flags;
}

static __always_inline void ws_sk_spin_unlock(spinlock_t *slock,
					      unsigned long flags)
	__releases(slock)
{
	spin_unlock_irqrestore(slock, flags);
}
#endif

/*
 * Take the socket's spinlock if no task owns the socket; returns false,
 * with nothing held, if one does.  The receive path takes the spinlock in
 * softirq context: process context must keep softirqs off this CPU while
 * holding it.  Interrupts off does that for the few loads it is held,
 * and costs less than spin_lock_bh(), whose unlock checks for pending
 * softirqs (4 instructions a single lookup, 9 a batch entry, on 6.1).
 */
static __always_inline bool ws_sk_lock_unowned(struct sock *sk,
					       unsigned long *flags)
{
	*flags = ws_sk_spin_lock(&sk->sk_lock.slock);
	if (likely(!sock_owned_by_user_nocheck(sk)))
		return true;
	ws_sk_spin_unlock(&sk->sk_lock.slock, *flags);
	return false;
}

static __always_inline void ws_sk_unlock(struct sock *sk, unsigned long flags)
{
	ws_sk_spin_unlock(&sk->sk_lock.slock, flags);
}

static __always_inline int ws_inet4_peer(struct sock *sk,
					 struct sockaddr_storage *addr)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)addr;
	const struct inet_sock *inet = inet_sk(sk);
	unsigned long flags;
	__be32 daddr;
	__be16 dport;

	if (ws_cgroup_bpf_on(CGROUP_INET4_GETPEERNAME) ||
	    !ws_sk_lock_unowned(sk, &flags))
		return WS_PEER_ASK_GETNAME;
	dport = inet->inet_dport;
	daddr = inet->inet_daddr;
	ws_sk_unlock(sk, flags);

	/* inet_getname(sock, addr, 2): no state test, only the port's. */
	if (!dport)
		return -ENOTCONN;
	sin->sin_family = AF_INET;
	sin->sin_port = dport;
	sin->sin_addr.s_addr = daddr;
	memset(sin->sin_zero, 0, sizeof(sin->sin_zero));
	return sizeof(*sin);
}

#if IS_BUILTIN(CONFIG_IPV6)
static __always_inline int ws_inet6_peer(struct sock *sk,
					 struct sockaddr_storage *addr)
{
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)addr;
	const struct inet_sock *inet = inet_sk(sk);
	unsigned long flags;
	__be32 flowinfo = 0;
	int ifindex;
	__be16 dport;

	if (ws_cgroup_bpf_on(CGROUP_INET6_GETPEERNAME) ||
	    !ws_sk_lock_unowned(sk, &flags))
		return WS_PEER_ASK_GETNAME;
	dport = inet->inet_dport;
	/*
	 * Straight into the answer: a struct in6_addr on the stack (an
	 * array of 16 bytes, 16-aligned by the x86-64 ABI) made every
	 * lookup function realign its frame.  Only a peer is ever copied
	 * out of @addr: an address left there by a failed read never is.
	 */
	sin6->sin6_addr = sk->sk_v6_daddr;
	if (ws_inet6_sndflow(sk))
		flowinfo = inet6_sk(sk)->flow_label;
	ifindex = sk->sk_bound_dev_if;
	ws_sk_unlock(sk, flags);

	if (!dport)
		return -ENOTCONN;
	sin6->sin6_family = AF_INET6;
	sin6->sin6_port = dport;
	sin6->sin6_flowinfo = flowinfo;
	sin6->sin6_scope_id = ipv6_iface_scope_id(&sin6->sin6_addr, ifindex);
	return sizeof(*sin6);
}

#define ws_is_inet6_getname(ops)	((ops)->getname == inet6_getname)
#else
/* IPv6 as a module: its getname cannot be named here; getname answers. */
#define ws_inet6_peer(sk, addr)		WS_PEER_ASK_GETNAME
#define ws_is_inet6_getname(ops)	false
#endif

/*
 * The peer as @ops->getname(sock, addr, 2) would report it, or
 * WS_PEER_ASK_GETNAME.  Returns the bytes filled or -ENOTCONN.
 */
static __always_inline int ws_inet_peer(struct socket *sock,
					const struct proto_ops *ops,
					struct sockaddr_storage *addr)
{
	if (ops->getname == inet_getname)
		return ws_inet4_peer(sock->sk, addr);
	if (ws_is_inet6_getname(ops))
		return ws_inet6_peer(sock->sk, addr);
	return WS_PEER_ASK_GETNAME;
}

#endif /* _WINSOCK_INET_PEER_H */
