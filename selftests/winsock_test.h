/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by the winsock selftests: raw requests on /dev/winsock
 * and sockets put into the states the tests need.
 */
#ifndef _WINSOCK_TEST_H
#define _WINSOCK_TEST_H

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <linux/winsock.h>

#include "kselftest_harness.h"

#define POISON 0x55

/* The request's Winsock answer, or -errno when the request itself failed. */
static inline int ws_raw_ioctl(int dev, unsigned long cmd, void *req)
{
	int rc = ioctl(dev, cmd, req);

	return rc < 0 ? -errno : rc;
}

static inline int ws_raw_getpeername(int dev, uint64_t s, void *name,
				     int *namelen, uint32_t flags)
{
	struct winsock_getpeername req = {
		.socket = s,
		.name = (uintptr_t)name,
		.namelen = (uintptr_t)namelen,
		.flags = flags,
	};

	return ws_raw_ioctl(dev, WINSOCK_IOC_GETPEERNAME, &req);
}

static inline int ws_raw_startup(int dev, uint16_t version, void *wsadata,
				 struct winsock_startup *out)
{
	struct winsock_startup req = {
		.wsadata = (uintptr_t)wsadata,
		.version_requested = version,
	};
	int rc = ws_raw_ioctl(dev, WINSOCK_IOC_STARTUP, &req);

	if (out)
		*out = req;
	return rc;
}

static inline int ws_raw_cleanup(int dev, unsigned int *startups)
{
	struct winsock_cleanup req = { 0 };
	int rc = ws_raw_ioctl(dev, WINSOCK_IOC_CLEANUP, &req);

	if (startups)
		*startups = req.startups;
	return rc;
}

/* Open a handle and start it up with Winsock @version. */
static inline int ws_open_started(uint16_t version)
{
	char wsadata[512];
	int dev = open(WINSOCK_DEVICE_PATH, O_RDWR | O_CLOEXEC);

	if (dev < 0)
		return -1;
	if (ws_raw_startup(dev, version, wsadata, NULL)) {
		close(dev);
		return -1;
	}
	return dev;
}

#endif /* _WINSOCK_TEST_H */
