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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <time.h>
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

static inline int ws_raw_batch(int dev, struct winsock_peer_entry *e,
			       uint32_t count)
{
	struct winsock_getpeername_batch req = {
		.entries = (uintptr_t)e,
		.count = count,
	};

	return ws_raw_ioctl(dev, WINSOCK_IOC_GETPEERNAME_BATCH, &req);
}

/*
 * The single request's getpeername(s, name, namelen), made through a batch
 * of one: @namelen's value becomes the entry's, @name's bytes its storage
 * (so that poison survives), and what the kernel left in the entry is
 * copied back.  A NULL @name or @namelen, which an entry cannot express,
 * becomes namelen -1: the same WSAEFAULT.  Pointers must be valid.
 */
static inline int ws_batch_getpeername(int dev, uint64_t s, void *name,
				       int *namelen, uint32_t flags)
{
	struct winsock_peer_entry e;
	int copy = 0, rc;

	memset(&e, 0, sizeof(e));
	e.socket = s;
	e.flags = flags;
	e.result = 0xdeadbeef;
	e.namelen = -1;
	if (name && namelen) {
		e.namelen = *namelen;
		copy = e.namelen < 0 ? 0 : e.namelen;
		if (copy > (int)sizeof(e.name))
			copy = sizeof(e.name);
		memcpy(e.name, name, copy);
	}
	rc = ws_raw_batch(dev, &e, 1);
	if (rc)
		return rc;
	if (name && namelen) {
		memcpy(name, e.name, copy);
		*namelen = e.namelen;
	}
	return e.result;
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

/* Sockets in the states the tests need, on loopback. */
static inline socklen_t local_name(int fd, struct sockaddr_storage *ss)
{
	socklen_t len = sizeof(*ss);

	memset(ss, 0, sizeof(*ss));
	if (getsockname(fd, (struct sockaddr *)ss, &len))
		return 0;
	return len;
}

/* A socket of @family and @type bound to loopback, any port. */
static inline int loopback_socket(int family, int type)
{
	struct sockaddr_storage ss = { .ss_family = family };
	int fd = socket(family, type, 0);

	if (family == AF_INET)
		((struct sockaddr_in *)&ss)->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	else
		((struct sockaddr_in6 *)&ss)->sin6_addr = in6addr_loopback;
	if (fd < 0 || bind(fd, (struct sockaddr *)&ss,
			   family == AF_INET ? sizeof(struct sockaddr_in) :
					       sizeof(struct sockaddr_in6)))
		return -1;
	return fd;
}

static inline int tcp_listener(int family, int backlog)
{
	int fd = loopback_socket(family, SOCK_STREAM);

	if (fd < 0 || listen(fd, backlog))
		return -1;
	return fd;
}

struct tcp_conn {
	int listener, client, server;
	struct sockaddr_storage lname, cname;
	socklen_t llen, clen;
};

static inline int tcp_connect(struct tcp_conn *c, int family)
{
	c->listener = tcp_listener(family, 4);
	if (c->listener < 0)
		return -1;
	c->llen = local_name(c->listener, &c->lname);
	c->client = socket(family, SOCK_STREAM, 0);
	if (c->client < 0 || connect(c->client, (struct sockaddr *)&c->lname, c->llen))
		return -1;
	c->clen = local_name(c->client, &c->cname);
	c->server = accept(c->listener, NULL, NULL);
	return c->server < 0 ? -1 : 0;
}

static inline void tcp_close(struct tcp_conn *c)
{
	close(c->listener);
	close(c->client);
	close(c->server);
}

/* Root only: make every lookup fail with WSAENETDOWN ("1") or not ("0"). */
static inline int set_provider_down(const char *v)
{
	int fd = open("/sys/module/winsock/parameters/provider_down", O_WRONLY);
	int ok;

	if (fd < 0)
		return -1;
	ok = write(fd, v, 1) == 1;
	close(fd);
	return ok ? 0 : -1;
}

/*
 * Root only: the module's fast peer read on (the default) or every lookup
 * through the protocols' getname (kmod/inet_peer.h).
 */
static inline int set_fast_peer(bool on)
{
	int fd = open("/sys/module/winsock/parameters/fast_peer", O_WRONLY);
	int ok;

	if (fd < 0)
		return -1;
	ok = write(fd, on ? "Y" : "N", 1) == 1;
	close(fd);
	return ok ? 0 : -1;
}

/*
 * A SKIP in FIXTURE_SETUP still runs the test body with this harness:
 * a TEST_F whose setup may skip starts with this.
 */
#define SKIPPED_IN_SETUP() do {			\
	if (_metadata->skip)			\
		return;				\
} while (0)

static inline uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Load the module from $WINSOCK_KO (the guest sets it): 0 or -errno. */
static inline int module_load(void)
{
	const char *ko = getenv("WINSOCK_KO");
	int fd, ret;

	if (!ko)
		return -ENOENT;
	fd = open(ko, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ret = syscall(SYS_finit_module, fd, "", 0) ? -errno : 0;
	close(fd);
	return ret;
}

static inline bool module_listed(void)
{
	char line[256];
	bool found = false;
	FILE *f = fopen("/proc/modules", "r");

	if (!f)
		return false;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, "winsock ", 8))
			found = true;
	fclose(f);
	return found;
}

/* The module's reference count: one per open handle; -1 if not loaded. */
static inline int module_refcnt(void)
{
	FILE *f = fopen("/sys/module/winsock/refcnt", "r");
	int n = -1;

	if (f) {
		if (fscanf(f, "%d", &n) != 1)
			n = -1;
		fclose(f);
	}
	return n;
}

/* Pass a descriptor over a unix socket (SCM_RIGHTS): 0 or -1. */
static inline int ws_send_fd(int sock, int fd)
{
	char cbuf[CMSG_SPACE(sizeof(int))] = { 0 }, c = 'f';
	struct iovec iov = { .iov_base = &c, .iov_len = 1 };
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = cbuf, .msg_controllen = sizeof(cbuf),
	};
	struct cmsghdr *cm = CMSG_FIRSTHDR(&msg);

	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &fd, sizeof(int));
	return sendmsg(sock, &msg, 0) == 1 ? 0 : -1;
}

/* The descriptor ws_send_fd() passed, or -1. */
static inline int ws_recv_fd(int sock)
{
	char cbuf[CMSG_SPACE(sizeof(int))], c;
	struct iovec iov = { .iov_base = &c, .iov_len = 1 };
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = cbuf, .msg_controllen = sizeof(cbuf),
	};
	struct cmsghdr *cm;
	int fd;

	if (recvmsg(sock, &msg, 0) != 1)
		return -1;
	cm = CMSG_FIRSTHDR(&msg);
	if (!cm || cm->cmsg_type != SCM_RIGHTS)
		return -1;
	memcpy(&fd, CMSG_DATA(cm), sizeof(int));
	return fd;
}

#endif /* _WINSOCK_TEST_H */
