// SPDX-License-Identifier: LGPL-2.1-or-later
/* ws_getpeername: one ioctl; the kernel decides the Winsock answer. */
#include <stdint.h>

#include "internal.h"

WS_EXPORT int ws_getpeername(SOCKET s, struct sockaddr *name, int *namelen)
{
	struct winsock_getpeername req = {
		.socket = s,
		.name = (uintptr_t)name,
		.namelen = (uintptr_t)namelen,
	};
	int fd = __atomic_load_n(&ws_device_fd, __ATOMIC_ACQUIRE);
	int rc;

	/* Before the first startup there is no handle to ask. */
	if (fd < 0)
		rc = WSANOTINITIALISED;
	else
		rc = ws_request_on(fd, WINSOCK_IOC_GETPEERNAME, &req);

	/* Like getsockname on Windows 7 and later: success clears it. */
	ws_last_error = rc;
	return rc ? SOCKET_ERROR : 0;
}
