/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* State shared by the library's translation units; not installed. */
#ifndef _WINSOCK_LIB_INTERNAL_H
#define _WINSOCK_LIB_INTERNAL_H

#include <winsock/winsock2.h>

#define WS_EXPORT __attribute__((visibility("default")))

/*
 * Names shared between the library's files.  libwinsock.a cannot hide
 * them (a static archive has no export list), so their link names carry
 * the library's prefix: a program may have its own ws_request.
 */
#define ws_device_fd	libwinsock_internal_device_fd
#define ws_request	libwinsock_internal_request

/* The process's handle on /dev/winsock, or -1 before the first startup. */
extern int ws_device_fd;

/* Issue a request on the handle: its Winsock answer, or WSASYSCALLFAILURE. */
int ws_request(unsigned long cmd, void *req);

#endif /* _WINSOCK_LIB_INTERNAL_H */
