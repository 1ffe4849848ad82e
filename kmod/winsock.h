/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Internal interfaces of the winsock module.
 */
#ifndef _WINSOCK_INTERNAL_H
#define _WINSOCK_INTERNAL_H

#include <linux/atomic.h>
#include <linux/mutex.h>
#include <linux/types.h>
#include <linux/winsock.h>

/*
 * struct ws_handle - the Winsock state of one open file of /dev/winsock.
 *
 * The library opens the device once per process, so a handle carries what
 * Windows keeps per process: the startup reference count and the version
 * negotiated by the first successful startup.
 *
 * @startups:	live WSAStartup count; read locklessly by lookups.
 * @version:	negotiated version, valid while @startups is non-zero.
 * @busy:	1 while a Winsock 1.x handle has a call in flight: 1.x allowed
 *		one blocking call at a time (WSAEINPROGRESS).
 */
struct ws_handle {
	struct mutex lock;	/* serialises startup and cleanup */
	unsigned int startups;
	u16 version;
	atomic_t busy;
};

static inline bool ws_version_is_1x(u16 version)
{
	return (version & 0xff) == 1;
}

long ws_ioctl_startup(struct ws_handle *h, void __user *uarg);
long ws_ioctl_cleanup(struct ws_handle *h, void __user *uarg);
long ws_ioctl_getpeername(struct ws_handle *h, void __user *uarg);

extern bool ws_provider_down;

#endif /* _WINSOCK_INTERNAL_H */
