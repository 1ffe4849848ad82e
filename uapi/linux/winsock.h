/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * winsock: Windows Sockets getpeername semantics on Linux sockets.
 *
 * The ioctl ABI of /dev/winsock, shared by the kernel module and userspace.
 *
 * Conventions:
 *  - Fixed-width fields only; user pointers are carried as __u64 so that
 *    the layout is the same for 32- and 64-bit processes.
 *  - Every pad/reserved field must be zero and every unknown flag bit must
 *    be clear, or the request fails with EINVAL.  This keeps them usable
 *    for extensions.
 *  - The Winsock result of a request is decided by the kernel and reported
 *    as the ioctl's return value: 0 on success, or a positive WSA* error
 *    code (values below).  A negative return (-1 with errno set) means the
 *    request itself could not be processed: EFAULT when the request
 *    struct cannot be copied, EINVAL for bad flags or non-zero padding,
 *    ENOTTY for an unknown ioctl.  errno is never a Winsock answer.
 */
#ifndef _UAPI_LINUX_WINSOCK_H
#define _UAPI_LINUX_WINSOCK_H

#include <linux/ioctl.h>
#include <linux/types.h>

/*
 * The ABI revision: raised on every incompatible change of the ioctls or
 * of the netlink family (whose version it is).
 */
#define WINSOCK_ABI_VERSION	2

#define WINSOCK_DEVICE_NAME	"winsock"
#define WINSOCK_DEVICE_PATH	"/dev/winsock"

/* Winsock error codes, numeric values as on Windows (winerror.h). */
#define WINSOCK_WSAEINTR		10004
#define WINSOCK_WSAEFAULT		10014
#define WINSOCK_WSAEINVAL		10022
#define WINSOCK_WSAEINPROGRESS		10036
#define WINSOCK_WSAENOTSOCK		10038
#define WINSOCK_WSAEAFNOSUPPORT		10047
#define WINSOCK_WSAENETDOWN		10050
#define WINSOCK_WSAENOTCONN		10057
#define WINSOCK_WSASYSNOTREADY		10091
#define WINSOCK_WSAVERNOTSUPPORTED	10092
#define WINSOCK_WSANOTINITIALISED	10093

/* Windows address-family values (ws2def.h), where they differ from Linux. */
#define WINSOCK_AF_UNSPEC	0
#define WINSOCK_AF_UNIX		1
#define WINSOCK_AF_INET		2
#define WINSOCK_AF_INET6	23

/* Windows structure sizes, in bytes. */
#define WINSOCK_SOCKADDR_IN_SIZE	16
#define WINSOCK_SOCKADDR_IN6_SIZE	28
#define WINSOCK_SOCKADDR_UN_SIZE	110

/* The highest Winsock version this implementation offers: 2.2. */
#define WINSOCK_VERSION_HIGH	0x0202

/* WSADATA limits reported to Winsock 1.x callers (0 for 2.x). */
#define WINSOCK_MAX_SOCKETS_V1	32767
#define WINSOCK_MAX_UDPDG_V1	65467

/*
 * WINSOCK_IOC_STARTUP - WSAStartup on this open file (the handle).
 * @wsadata:		in: user pointer to the caller's WSADATA, or 0.  The
 *			kernel fills wVersion, wHighVersion, iMaxSockets,
 *			iMaxUdpDg, szDescription and szSystemStatus, even when
 *			the version is refused; lpVendorInfo is never written.
 *			A 64-bit process gets the Win64 WSADATA (408 bytes:
 *			the two shorts and lpVendorInfo before the strings), a
 *			32-bit one the Win32 WSADATA (400 bytes: szDescription
 *			at offset 4, szSystemStatus at 261, iMaxSockets at 390,
 *			iMaxUdpDg at 392, lpVendorInfo at 396).
 * @version_requested:	in: MAKEWORD(major, minor).
 * @version:		out: the negotiated version (set even on failure).
 * @high_version:	out: WINSOCK_VERSION_HIGH.
 * @pad:		must be zero.
 * @startups:		out: the handle's startup count after the call.
 * @reserved:		must be zero.
 *
 * Returns 0, WSAVERNOTSUPPORTED (major version 0), WSAEINPROGRESS (a
 * Winsock 1.x handle and a calling thread inside a blocking call, see
 * WINSOCK_IOC_BLOCKING) or WSAEFAULT (@wsadata is 0 or cannot be
 * written), in that order.  Only a successful call increments the startup
 * count.
 */
struct winsock_startup {
	__u64 wsadata;
	__u16 version_requested;
	__u16 version;
	__u16 high_version;
	__u16 pad;
	__u32 startups;
	__u32 reserved;
};

/*
 * WINSOCK_IOC_CLEANUP - WSACleanup on this handle.
 * @startups:	out: the startup count after the call.
 * @reserved:	must be zero.
 *
 * Returns 0, WSANOTINITIALISED (count already 0) or WSAEINPROGRESS (a
 * Winsock 1.x handle and a calling thread inside a blocking call).
 * Lookups in flight on other threads never refuse it.
 */
struct winsock_cleanup {
	__u32 startups;
	__u32 reserved;
};

/*
 * WINSOCK_IOC_BLOCKING - the calling thread entered or left a blocking
 * Winsock call.
 * @op:		in: WINSOCK_BLOCKING_ENTER or WINSOCK_BLOCKING_LEAVE.
 * @reserved:	must be zero.
 *
 * Winsock 1.1 allows one blocking call per thread: while a thread is
 * inside one (running its blocking hook, say), every other Winsock call
 * that thread makes fails with WSAEINPROGRESS; other threads are not
 * affected, and getpeername itself never blocks.  The kernel cannot see
 * an emulator's blocking calls, so the emulator says when a thread
 * enters one and when it leaves it.  On a handle whose negotiated
 * version is 1.x, lookups (single and batch), WINSOCK_IOC_STARTUP and
 * WINSOCK_IOC_CLEANUP made by a thread inside a blocking call then answer
 * WSAEINPROGRESS, before anything else is looked at.  On a 2.x handle the
 * state is kept but refuses nothing (Winsock 2 has no such rule).
 *
 * The state belongs to the thread (not to its descriptor number or its
 * process) and to this handle; it survives WSACleanup and ends with
 * WINSOCK_BLOCKING_LEAVE, the thread's exit or the handle's release.
 *
 * ENTER returns 0, WSANOTINITIALISED (no live startup) or WSAEINPROGRESS
 * (the thread is inside a blocking call already: Winsock 1.1 refuses a
 * blocking call made from a blocking hook).  LEAVE returns 0 or WSAEINVAL
 * (the thread is not inside one).  -1 with errno EINVAL for an unknown
 * @op or a non-zero @reserved, ENOMEM when the state cannot be allocated.
 */
struct winsock_blocking {
	__u32 op;
	__u32 reserved;
};

#define WINSOCK_BLOCKING_ENTER	1
#define WINSOCK_BLOCKING_LEAVE	2

/* Flags of struct winsock_getpeername. */
/* Return the address in the native Linux layout instead of Windows'. */
#define WINSOCK_GPN_NATIVE	0x00000001U
#define WINSOCK_GPN_FLAGS	(WINSOCK_GPN_NATIVE)

/*
 * WINSOCK_IOC_GETPEERNAME - getpeername(s, name, namelen) with Winsock
 * semantics.
 * @socket:	in: the SOCKET value: a descriptor of the calling process.
 *		Values above INT_MAX (INVALID_SOCKET among them) are not
 *		sockets.
 * @name:	in: the caller's name pointer, passed through unchanged.
 * @namelen:	in: the caller's int *namelen, passed through unchanged.
 * @flags:	in: WINSOCK_GPN_*.
 * @reserved:	must be zero.
 *
 * Checks, in this order: WSANOTINITIALISED, WSAEINPROGRESS (Winsock 1.x
 * handle, calling thread inside a blocking call: WINSOCK_IOC_BLOCKING),
 * WSAENOTSOCK, WSAENETDOWN, WSAENOTCONN, WSAEFAULT.  On success the address is written
 * to @name, *@namelen is set to its size and 0 is returned; bytes of the
 * buffer beyond that size are not touched.  On failure neither @name nor
 * *@namelen is modified.
 */
struct winsock_getpeername {
	__u64 socket;
	__u64 name;
	__u64 namelen;
	__u32 flags;
	__u32 reserved;
};

/* The most entries one WINSOCK_IOC_GETPEERNAME_BATCH answers. */
#define WINSOCK_BATCH_MAX	256
/* Inline address storage of a batch entry: any socket address fits. */
#define WINSOCK_BATCH_NAME_SIZE	128

/*
 * struct winsock_peer_entry - one lookup of a batch.
 * @socket:	in: the SOCKET value, as in struct winsock_getpeername.
 * @flags:	in: WINSOCK_GPN_*.
 * @namelen:	in: the size the caller grants @name, with the rules of
 *		*namelen in the single request (too small, zero or negative
 *		is WSAEFAULT); out: the address size, on success only.
 * @result:	out: 0 or the WSA* code, exactly what the single request
 *		would answer; WSAEINVAL when @flags or @reserved are bad.
 * @reserved:	must be zero.
 * @name:	out: the address, on success only; no byte past it written.
 */
struct winsock_peer_entry {
	__u64 socket;
	__u32 flags;
	__s32 namelen;
	__u32 result;
	__u32 reserved;
	__u8 name[WINSOCK_BATCH_NAME_SIZE];
};

/*
 * WINSOCK_IOC_GETPEERNAME_BATCH - many getpeername calls in one.
 * @entries:	in: user pointer to @count struct winsock_peer_entry.
 * @count:	in: 0 to WINSOCK_BATCH_MAX.
 * @reserved:	must be zero.
 *
 * Each entry is answered in order, with the checks and results of the
 * single request (WSANOTINITIALISED and WSAEINPROGRESS included).
 * Returns 0 when every entry was answered.  The request itself is
 * refused with -1 and errno EINVAL (@count above the maximum, @reserved
 * set) or EFAULT (the array is not entirely readable and writable);
 * nothing is written then.
 */
struct winsock_getpeername_batch {
	__u64 entries;
	__u32 count;
	__u32 reserved;
};

/*
 * The audit stream: generic netlink family WINSOCK_GENL_NAME.
 *
 * Subscribing.  An auditor sends WINSOCK_CMD_SUBSCRIBE on a generic
 * netlink socket; from then on the kernel sends every lookup it may see to
 * that socket's port, as one WINSOCK_CMD_EVENT message per lookup (several
 * messages may share one datagram).  The subscription ends with
 * WINSOCK_CMD_UNSUBSCRIBE or when the socket is closed.  There is no
 * multicast group: the module tracks its subscribers itself.
 *
 * What a subscriber sees.  A subscriber of the initial network namespace
 * sees every lookup on the machine, whatever namespace the socket or the
 * caller is in.  A subscriber of another network namespace sees only the
 * lookups made by callers inside that namespace.  Identities are as seen
 * by the subscriber: pid/tid in its PID namespace (0 if the caller is not
 * visible there), uid/gid in its user namespace (the overflow id if
 * unmapped).  Counters (WINSOCK_CMD_GET_STATS) follow the same rule.
 *
 * Delivery.  Events go to each subscriber in order, numbered 1, 2, 3...
 * per subscriber (WINSOCK_A_SEQ).  The kernel queues up to the module
 * parameter "backlog" events per subscriber; when the queue is full, the
 * looking-up task waits (killable) up to "backlog_wait_ms" for room.  Only
 * when that wait runs out is the event dropped: it still consumes its
 * number, so the subscriber sees the loss as a gap, and it is counted for
 * the subscriber and its namespace.  After such a timeout the subscriber
 * is "stalled": lookups drop its events without waiting until it reads
 * again.  A WINSOCK_SUB_BEST_EFFORT subscriber never makes a lookup wait:
 * a full queue drops at once (counted, and a gap).
 *
 * Privilege: WINSOCK_CMD_SUBSCRIBE, WINSOCK_CMD_GET_STATS and
 * WINSOCK_CMD_RESET_STATS need CAP_NET_ADMIN in the user namespace owning
 * the network namespace; anyone else gets EPERM.
 */
#define WINSOCK_GENL_NAME		"winsock"
#define WINSOCK_GENL_VERSION		WINSOCK_ABI_VERSION

/* The most subscribers one network namespace may have. */
#define WINSOCK_SUBSCRIBERS_MAX		16

/* WINSOCK_A_SUB_FLAGS of WINSOCK_CMD_SUBSCRIBE. */
/* Never make a lookup wait for this subscriber: drop (and count) instead. */
#define WINSOCK_SUB_BEST_EFFORT		0x00000001U
#define WINSOCK_SUB_FLAGS		(WINSOCK_SUB_BEST_EFFORT)

enum winsock_genl_cmd {
	WINSOCK_CMD_UNSPEC,
	WINSOCK_CMD_EVENT,		/* kernel to subscriber: one lookup */
	WINSOCK_CMD_GET_STATS,		/* do: the namespace's counters */
	WINSOCK_CMD_RESET_STATS,	/* do: zero them */
	WINSOCK_CMD_SUBSCRIBE,		/* do: [WINSOCK_A_SUB_FLAGS]; EEXIST if
					 * this port is subscribed already,
					 * ENOSPC past WINSOCK_SUBSCRIBERS_MAX
					 */
	WINSOCK_CMD_UNSUBSCRIBE,	/* do: ENOENT if not subscribed */
	__WINSOCK_CMD_MAX,
};

#define WINSOCK_CMD_MAX (__WINSOCK_CMD_MAX - 1)

/*
 * Attributes.  Only WINSOCK_CMD_SUBSCRIBE takes one (WINSOCK_A_SUB_FLAGS);
 * the others carry none and unknown attributes are refused.
 * WINSOCK_A_NETNS_COOKIE is the socket's namespace as SO_NETNS_COOKIE
 * reports it; WINSOCK_A_STATS_AUDIT_SUPPRESSED counts the kernel audit
 * records the "audit_rate" parameter left out, machine-wide.
 */
enum winsock_genl_attr {
	WINSOCK_A_UNSPEC,
	WINSOCK_A_PAD,
	WINSOCK_A_SEQ,			/* u64: event number, per subscriber */
	WINSOCK_A_TIMESTAMP,		/* u64: CLOCK_REALTIME, ns */
	WINSOCK_A_PID,			/* u32: thread group id */
	WINSOCK_A_TID,			/* u32: thread id */
	WINSOCK_A_UID,			/* u32 */
	WINSOCK_A_GID,			/* u32 */
	WINSOCK_A_COMM,			/* string */
	WINSOCK_A_SOCKET,		/* u64: the SOCKET value as passed */
	WINSOCK_A_FAMILY,		/* u32: Linux AF_*; sockets only */
	WINSOCK_A_TYPE,			/* u32: SOCK_*; sockets only */
	WINSOCK_A_PROTOCOL,		/* u32: IPPROTO_*; sockets only */
	WINSOCK_A_RESULT,		/* u32: 0 or the WSA* code */
	WINSOCK_A_PEER,			/* binary: native sockaddr, when read */
	WINSOCK_A_VERSION,		/* u32: negotiated version, 0 if none */
	WINSOCK_A_FLAGS,		/* u32: WINSOCK_GPN_* of the request */
	WINSOCK_A_NETNS_COOKIE,		/* u64: the socket's netns; sockets */
	WINSOCK_A_NETNS_INO,		/* u32: its /proc/PID/ns/net inode */
	WINSOCK_A_CALLER_NETNS_COOKIE,	/* u64: the caller's namespace */
	WINSOCK_A_CALLER_NETNS_INO,	/* u32 */
	WINSOCK_A_STATS_LOOKUPS,	/* u64: lookups, all results */
	WINSOCK_A_STATS_RESULT,		/* nest, one per result code: */
					/*   WINSOCK_A_RESULT and */
	WINSOCK_A_STATS_COUNT,		/*   u64: lookups with that result */
	WINSOCK_A_STATS_EVENTS_SENT,	/* u64: to this netns' subscribers */
	WINSOCK_A_STATS_EVENTS_DROPPED,	/* u64: dropped for them */
	WINSOCK_A_STATS_AUDIT_SUPPRESSED, /* u64: initial netns only */
	WINSOCK_A_STATS_SUBSCRIBER,	/* nest, one per subscriber: */
	WINSOCK_A_SUB_PORTID,		/*   u32: its netlink port */
	WINSOCK_A_SUB_FLAGS,		/*   u32: WINSOCK_SUB_* */
	WINSOCK_A_SUB_QUEUED,		/*   u32: events waiting in the kernel */
	WINSOCK_A_SUB_SENT,		/*   u64: events delivered */
	WINSOCK_A_SUB_DROPPED,		/*   u64: events dropped (gaps) */
					/*   and WINSOCK_A_SEQ: the last number */
	__WINSOCK_A_MAX,
};

#define WINSOCK_A_MAX (__WINSOCK_A_MAX - 1)

/*
 * The ioctl numbers.  Magic 0xB7 (ABI 1) is NSIO, the namespace ioctls of
 * include/uapi/linux/nsfs.h (and remoteproc's): ABI 2 uses 0xC4, free in
 * Documentation/userspace-api/ioctl/ioctl-number.rst (upstream, late
 * 2025: 0xC0 is the USB IOWarrior's, 0xCA cxl's; the 0xB8-0xBA magics next
 * to the old one were handed out recently, to mshv and liveupdate).  A
 * program built against ABI 1 gets ENOTTY from every one of its numbers.
 *
 * Directions are the caller's view, as _IOW/_IOR define them: _IOW, the
 * kernel only reads the request; _IOWR, it reads it and writes an answer
 * into it.  GETPEERNAME and GETPEERNAME_BATCH write only through the
 * pointers the request carries, never into the request itself.
 */
#define WINSOCK_IOC_MAGIC	0xC4
#define WINSOCK_IOC_STARTUP	_IOWR(WINSOCK_IOC_MAGIC, 0x01, struct winsock_startup)
#define WINSOCK_IOC_CLEANUP	_IOWR(WINSOCK_IOC_MAGIC, 0x02, struct winsock_cleanup)
#define WINSOCK_IOC_GETPEERNAME	_IOW(WINSOCK_IOC_MAGIC, 0x03, struct winsock_getpeername)
#define WINSOCK_IOC_GETPEERNAME_BATCH \
	_IOW(WINSOCK_IOC_MAGIC, 0x04, struct winsock_getpeername_batch)
#define WINSOCK_IOC_BLOCKING	_IOW(WINSOCK_IOC_MAGIC, 0x05, struct winsock_blocking)

#endif /* _UAPI_LINUX_WINSOCK_H */
