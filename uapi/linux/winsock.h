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
 *			iMaxUdpDg, szDescription and szSystemStatus in the
 *			Windows x64 field order (pointer-sized lpVendorInfo of
 *			the calling process), even when the version is refused;
 *			lpVendorInfo is never written.
 * @version_requested:	in: MAKEWORD(major, minor).
 * @version:		out: the negotiated version (set even on failure).
 * @high_version:	out: WINSOCK_VERSION_HIGH.
 * @pad:		must be zero.
 * @startups:		out: the handle's startup count after the call.
 * @reserved:		must be zero.
 *
 * Returns 0, WSAVERNOTSUPPORTED (major version 0) or WSAEFAULT (@wsadata
 * is 0 or cannot be written), in that order.  Only a successful call
 * increments the startup count.
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
 * Winsock 1.x handle with a call in flight).
 */
struct winsock_cleanup {
	__u32 startups;
	__u32 reserved;
};

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
 * Checks, in this order: WSANOTINITIALISED, WSAEINPROGRESS, WSAENOTSOCK,
 * WSAENETDOWN, WSAENOTCONN, WSAEFAULT.  On success the address is written
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

#define WINSOCK_IOC_MAGIC	0xB7
#define WINSOCK_IOC_STARTUP	_IOWR(WINSOCK_IOC_MAGIC, 0x01, struct winsock_startup)
#define WINSOCK_IOC_CLEANUP	_IOR(WINSOCK_IOC_MAGIC, 0x02, struct winsock_cleanup)
#define WINSOCK_IOC_GETPEERNAME	_IOW(WINSOCK_IOC_MAGIC, 0x03, struct winsock_getpeername)

#endif /* _UAPI_LINUX_WINSOCK_H */
