// SPDX-License-Identifier: GPL-2.0
/*
 * winsock-bench: the sockets every path looks up, POOL of each family with
 * their other ends kept open, and the raw handle of the ioctl paths.
 */
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdint.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <winsock/winsock2.h>

#include "bench.h"

void tcp_family(struct family *f, int af)
{
	struct sockaddr_storage ss = { .ss_family = af };
	socklen_t len = af == AF_INET ? sizeof(struct sockaddr_in) :
					sizeof(struct sockaddr_in6);
	int l = socket(af, SOCK_STREAM, 0), i;

	if (af == AF_INET)
		((struct sockaddr_in *)&ss)->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	else
		((struct sockaddr_in6 *)&ss)->sin6_addr = in6addr_loopback;
	if (l < 0 || bind(l, (struct sockaddr *)&ss, len) || listen(l, POOL) ||
	    getsockname(l, (struct sockaddr *)&ss, &len))
		die("tcp listener");
	for (i = 0; i < POOL; i++) {
		f->fds[i] = socket(af, SOCK_STREAM, 0);
		if (f->fds[i] < 0 || connect(f->fds[i], (struct sockaddr *)&ss, len))
			die("tcp connect");
		f->keep[f->nkeep] = accept(l, NULL, NULL);
		if (f->keep[f->nkeep++] < 0)
			die("accept");
	}
	f->keep[f->nkeep++] = l;
}

void udp_family(struct family *f)
{
	struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons(9) };
	int i;

	to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	for (i = 0; i < POOL; i++) {
		f->fds[i] = socket(AF_INET, SOCK_DGRAM, 0);
		if (f->fds[i] < 0 || connect(f->fds[i], (struct sockaddr *)&to, sizeof(to)))
			die("udp connect");
	}
}

void unix_family(struct family *f)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int l = socket(AF_UNIX, SOCK_STREAM, 0), i;

	snprintf(sun.sun_path, sizeof(sun.sun_path), "/tmp/winsock-bench.%d", getpid());
	unlink(sun.sun_path);
	if (l < 0 || bind(l, (struct sockaddr *)&sun, sizeof(sun)) || listen(l, POOL))
		die("unix listener");
	for (i = 0; i < POOL; i++) {
		f->fds[i] = socket(AF_UNIX, SOCK_STREAM, 0);
		if (f->fds[i] < 0 || connect(f->fds[i], (struct sockaddr *)&sun, sizeof(sun)))
			die("unix connect");
		f->keep[f->nkeep] = accept(l, NULL, NULL);
		if (f->keep[f->nkeep++] < 0)
			die("accept");
	}
	f->keep[f->nkeep++] = l;
	unlink(sun.sun_path);
}

/* A handle of its own for the raw ioctls, started up like the library's. */
int raw_handle(void)
{
	static char wsadata[512];
	struct winsock_startup req = {
		.wsadata = (uintptr_t)wsadata,
		.version_requested = MAKEWORD(2, 2),
	};
	int dev = open(WINSOCK_DEVICE_PATH, O_RDWR | O_CLOEXEC);

	if (dev < 0 || ioctl(dev, WINSOCK_IOC_STARTUP, &req))
		die(WINSOCK_DEVICE_PATH);
	return dev;
}
