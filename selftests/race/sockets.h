/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Loopback sockets in the states lookup_race passes its descriptor
 * through: listeners, connections to them, associated UDP sockets.
 */
#ifndef WINSOCK_RACE_SOCKETS_H
#define WINSOCK_RACE_SOCKETS_H

#include "race.h"

/* Loopback endpoints every test can connect to. */
static int bind_listen(int family, const char *addr, int type)
{
	struct sockaddr_storage ss = { .ss_family = family };
	socklen_t len;
	int fd = socket(family, type | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -1;
	if (family == AF_INET) {
		inet_pton(AF_INET, addr, &((struct sockaddr_in *)&ss)->sin_addr);
		len = sizeof(struct sockaddr_in);
	} else {
		inet_pton(AF_INET6, addr, &((struct sockaddr_in6 *)&ss)->sin6_addr);
		len = sizeof(struct sockaddr_in6);
	}
	if (bind(fd, (struct sockaddr *)&ss, len) ||
	    (type == SOCK_STREAM && listen(fd, 16))) {
		close(fd);
		return -1;
	}
	return fd;
}

static int unix_listener(struct sockaddr_un *sun, socklen_t *len, int tag)
{
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	int n;

	memset(sun, 0, sizeof(*sun));
	sun->sun_family = AF_UNIX;
	/* Abstract: nothing to clean up in the filesystem. */
	n = snprintf(sun->sun_path + 1, sizeof(sun->sun_path) - 1,
		     "winsock-race-%d-%d", getpid(), tag);
	*len = offsetof(struct sockaddr_un, sun_path) + 1 + n;
	if (fd < 0 || bind(fd, (struct sockaddr *)sun, *len) || listen(fd, 16)) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

/* Connect a new socket to what @listener is bound to (SOCK_STREAM). */
static int connect_to_listener(int listener, int *accepted)
{
	struct sockaddr_storage ss = { 0 };
	socklen_t len = sizeof(ss);
	int fd;

	if (getsockname(listener, (struct sockaddr *)&ss, &len))
		return -1;
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	if (connect(fd, (struct sockaddr *)&ss, len)) {
		close(fd);
		return -1;
	}
	*accepted = accept4(listener, NULL, NULL, SOCK_CLOEXEC);
	if (*accepted < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* A UDP socket of @family associated with @to's address and port. */
static int udp_connect_to(int family, const struct sockaddr_storage *to,
			  socklen_t len)
{
	int fd = socket(family, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -1;
	if (connect(fd, (const struct sockaddr *)to, len)) {
		close(fd);
		return -1;
	}
	return fd;
}

static int peer_address(struct sockaddr_storage *ss, socklen_t *len, int family,
			const char *addr, int port_of)
{
	struct sockaddr_storage bound = { 0 };
	socklen_t blen = sizeof(bound);

	/* A port that exists: the one a listener of ours is bound to. */
	if (getsockname(port_of, (struct sockaddr *)&bound, &blen))
		return -1;
	memset(ss, 0, sizeof(*ss));
	ss->ss_family = family;
	if (family == AF_INET) {
		struct sockaddr_in *sin = (struct sockaddr_in *)ss;

		inet_pton(AF_INET, addr, &sin->sin_addr);
		sin->sin_port = ((struct sockaddr_in *)&bound)->sin_port;
		*len = sizeof(*sin);
	} else {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;

		inet_pton(AF_INET6, addr, &sin6->sin6_addr);
		sin6->sin6_port = bound.ss_family == AF_INET ?
			((struct sockaddr_in *)&bound)->sin_port :
			((struct sockaddr_in6 *)&bound)->sin6_port;
		*len = sizeof(*sin6);
	}
	return 0;
}

#endif /* WINSOCK_RACE_SOCKETS_H */
