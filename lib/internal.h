/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* State shared by the library's translation units; not installed. */
#ifndef _WINSOCK_LIB_INTERNAL_H
#define _WINSOCK_LIB_INTERNAL_H

#include <winsock/winsock2.h>

#include "syscall.h"

#define WS_EXPORT __attribute__((visibility("default")))

/*
 * Names shared between the library's files.  libwinsock.a cannot hide
 * them (a static archive has no export list), so their link names carry
 * the library's prefix: a program may have its own ws_last_error.
 */
#define ws_device_fd	libwinsock_internal_device_fd
#define ws_last_error	libwinsock_internal_last_error

/* The process's handle on /dev/winsock, or -1 before the first startup. */
extern int ws_device_fd;

/*
 * The calling thread's last error (WSAGetLastError()), set by every call.
 * initial-exec: in a shared library the default TLS model makes each
 * access a __tls_get_addr() call; one int fits any static TLS surplus,
 * dlopen() included.
 */
extern __thread int ws_last_error __attribute__((tls_model("initial-exec")));

/*
 * Issue a request on handle @fd: its Winsock answer, or WSASYSCALLFAILURE.
 * Inline: ws_getpeername() is one ioctl and should cost no more.
 */
static inline int ws_request_on(int fd, unsigned long cmd, void *req)
{
	long rc = ws_sys_ioctl(fd, cmd, req);

	/*
	 * A negative answer is a failure of the request itself, not a Winsock
	 * answer (e.g. the program closed the library's descriptor).
	 */
	return rc < 0 ? WSASYSCALLFAILURE : (int)rc;
}

/* The same on the process's handle. */
static inline int ws_request(unsigned long cmd, void *req)
{
	return ws_request_on(__atomic_load_n(&ws_device_fd, __ATOMIC_RELAXED),
			     cmd, req);
}

#endif /* _WINSOCK_LIB_INTERNAL_H */
