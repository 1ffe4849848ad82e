// SPDX-License-Identifier: LGPL-2.1-or-later
/* ws_getpeername_batch: the queries go to the kernel as they are. */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/ioctl.h>

#include "internal.h"

/* struct ws_peer_query is struct winsock_peer_entry: no copy needed. */
_Static_assert(sizeof(struct ws_peer_query) == sizeof(struct winsock_peer_entry),
	       "query size");
_Static_assert(offsetof(struct ws_peer_query, namelen) ==
	       offsetof(struct winsock_peer_entry, namelen), "namelen");
_Static_assert(offsetof(struct ws_peer_query, result) ==
	       offsetof(struct winsock_peer_entry, result), "result");
_Static_assert(offsetof(struct ws_peer_query, name) ==
	       offsetof(struct winsock_peer_entry, name), "name");

WS_EXPORT int ws_getpeername_batch(struct ws_peer_query *q, unsigned int n)
{
	struct winsock_getpeername_batch req = {
		.entries = (uintptr_t)q,
		.count = n,
	};
	int fd = __atomic_load_n(&ws_device_fd, __ATOMIC_ACQUIRE);
	int rc;

	if (fd < 0) {
		ws_last_error = WSANOTINITIALISED;
		return SOCKET_ERROR;
	}
	rc = ioctl(fd, WINSOCK_IOC_GETPEERNAME_BATCH, &req);
	if (rc < 0) {
		/* The kernel refused the request as a whole. */
		ws_last_error = errno == EINVAL ? WSAEINVAL :
				errno == EFAULT ? WSAEFAULT : WSASYSCALLFAILURE;
		return SOCKET_ERROR;
	}
	ws_last_error = 0;
	return (int)n;
}
