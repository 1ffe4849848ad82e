// SPDX-License-Identifier: GPL-2.0
/*
 * winsock-demo: what the module does, for a person to read.  Looks up the
 * peers of sockets in many states through libwinsock and triggers every
 * Winsock error code getpeername can return.  Runs in the demo guest
 * (make demo); as root it also takes the provider down for WSAENETDOWN.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/userfaultfd.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>

#include <winsock/winsock2.h>

#include "wsa_names.h"

static const char *wsa_name(int err)
{
	const char *name = err ? wsa_code_name(err) : "ok";

	return name ? name : "other";
}

static void show_addr(const struct sockaddr_storage *ss, int len)
{
	char host[INET6_ADDRSTRLEN];
	const struct sockaddr_in *in = (const void *)ss;
	const struct sockaddr_in6 *in6 = (const void *)ss;
	const struct sockaddr_un *un = (const void *)ss;

	switch (ss->ss_family) {
	case WS_AF_INET:
		inet_ntop(AF_INET, &in->sin_addr, host, sizeof(host));
		printf("%s:%u  (AF_INET=2, %d bytes)", host, ntohs(in->sin_port), len);
		break;
	case WS_AF_INET6:
		inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof(host));
		printf("[%s]:%u  (AF_INET6=23, %d bytes)", host, ntohs(in6->sin6_port), len);
		break;
	case WS_AF_UNIX:
		if (un->sun_path[0])
			printf("\"%s\"  (AF_UNIX=1, %d bytes)", un->sun_path, len);
		else if (un->sun_path[1])
			printf("@%s (abstract)  (AF_UNIX=1, %d bytes)", un->sun_path + 1, len);
		else
			printf("unnamed peer  (AF_UNIX=1, %d bytes)", len);
		break;
	default:
		printf("family %u, %d bytes", ss->ss_family, len);
	}
}

/* One getpeername, one line of output. */
static void lookup(const char *what, SOCKET s, struct sockaddr *name, int *namelen)
{
	int rc, err;

	WSASetLastError(0);
	rc = ws_getpeername(s, name, namelen);
	err = rc ? WSAGetLastError() : 0;
	printf("  %-38s ", what);
	if (rc)
		printf("SOCKET_ERROR  %s (%d)", wsa_name(err), err);
	else
		show_addr((struct sockaddr_storage *)name, *namelen);
	printf("\n");
}

static void peer(const char *what, SOCKET fd)
{
	struct sockaddr_storage ss;
	int len = sizeof(ss);

	lookup(what, fd, (struct sockaddr *)&ss, &len);
}

static int tcp_pair(int family, int *listener, int *client, int *server)
{
	struct sockaddr_storage ss = { .ss_family = family };
	socklen_t len = family == AF_INET ? sizeof(struct sockaddr_in) :
					    sizeof(struct sockaddr_in6);

	if (family == AF_INET)
		((struct sockaddr_in *)&ss)->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	else
		((struct sockaddr_in6 *)&ss)->sin6_addr = in6addr_loopback;
	*listener = socket(family, SOCK_STREAM, 0);
	if (bind(*listener, (struct sockaddr *)&ss, len) || listen(*listener, 1) ||
	    getsockname(*listener, (struct sockaddr *)&ss, &len))
		return -1;
	*client = socket(family, SOCK_STREAM, 0);
	if (connect(*client, (struct sockaddr *)&ss, len))
		return -1;
	*server = accept(*listener, NULL, NULL);
	return *server < 0 ? -1 : 0;
}

static int provider_down(const char *v)
{
	int fd = open("/sys/module/winsock/parameters/provider_down", O_WRONLY);
	int ok = fd >= 0 && write(fd, v, 1) == 1;

	if (fd >= 0)
		close(fd);
	return ok ? 0 : -1;
}

struct held {
	int fd;
	void *buf;
};

static void *held_lookup(void *arg)
{
	struct held *h = arg;
	int len = 128;

	ws_getpeername(h->fd, h->buf, &len);
	return NULL;
}

/*
 * Winsock 1.1: another thread's call in flight does not refuse a lookup
 * (getpeername never blocks; a buffer backed by userfaultfd keeps the first
 * call inside the kernel while a second is made), but a thread inside a
 * blocking call, as the emulator declares it, gets WSAEINPROGRESS.
 */
static void in_progress(int fd)
{
	struct uffdio_api api = { .api = UFFD_API };
	struct uffdio_register reg = { .mode = UFFDIO_REGISTER_MODE_MISSING };
	struct uffdio_zeropage zero = { 0 };
	struct pollfd pfd = { .events = POLLIN };
	struct uffd_msg msg;
	struct held h = { .fd = fd };
	long pg = sysconf(_SC_PAGESIZE);
	pthread_t t;
	int uffd;

	/* A descriptor: the syscall's long result always fits an int. */
	uffd = (int)syscall(SYS_userfaultfd, O_CLOEXEC);
	h.buf = mmap(NULL, pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	reg.range.start = (unsigned long)h.buf;
	reg.range.len = pg;
	if (uffd < 0 || h.buf == MAP_FAILED || ioctl(uffd, UFFDIO_API, &api) ||
	    ioctl(uffd, UFFDIO_REGISTER, &reg)) {
		printf("  (userfaultfd unavailable: a call in flight not shown)\n");
		goto blocking;
	}
	if (pthread_create(&t, NULL, held_lookup, &h)) {
		printf("  (no thread: a call in flight not shown)\n");
		goto blocking;
	}
	pfd.fd = uffd;
	if (poll(&pfd, 1, 10000) == 1 && read(uffd, &msg, sizeof(msg)) == sizeof(msg))
		peer("1.1, another call in flight", fd);
	zero.range = reg.range;
	ioctl(uffd, UFFDIO_ZEROPAGE, &zero);
	pthread_join(t, NULL);
blocking:
	if (ws_blocking_enter() == 0) {
		peer("1.1, inside a blocking call", fd);
		ws_blocking_leave();
	}
	if (h.buf != MAP_FAILED)
		munmap(h.buf, pg);
	if (uffd >= 0)
		close(uffd);
}

int main(void)
{
	struct sockaddr_storage ss;
	struct sockaddr_in udp_to = { .sin_family = AF_INET };
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int l4, c4, s4, l6, c6, s6, u, ul, uc, us, p[2], len;
	socklen_t ulen = sizeof(sun);
	WSADATA d;
	int rc;

	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("Before WSAStartup\n");
	len = sizeof(ss);
	lookup("getpeername(0)", 0, (struct sockaddr *)&ss, &len);

	rc = WSAStartup(MAKEWORD(2, 2), &d);
	printf("\nWSAStartup(2.2) = %d: wVersion %u.%u, \"%s\", \"%s\"\n", rc,
	       LOBYTE(d.wVersion), HIBYTE(d.wVersion), d.szDescription, d.szSystemStatus);
	if (rc)
		return 1;

	if (tcp_pair(AF_INET, &l4, &c4, &s4) || tcp_pair(AF_INET6, &l6, &c6, &s6)) {
		perror("tcp");
		return 1;
	}
	printf("\nPeers (Windows layout)\n");
	peer("TCP/IPv4, connecting side", c4);
	peer("TCP/IPv4, accepted side", s4);
	peer("TCP/IPv6, connecting side", c6);
	shutdown(c4, SHUT_RDWR);
	peer("TCP/IPv4 after shutdown(SD_BOTH)", c4);

	u = socket(AF_INET, SOCK_DGRAM, 0);
	udp_to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	udp_to.sin_port = htons(9);
	sendto(u, "x", 1, 0, (struct sockaddr *)&udp_to, sizeof(udp_to));
	peer("UDP after sendto only", u);
	if (connect(u, (struct sockaddr *)&udp_to, sizeof(udp_to))) {
		perror("udp");
		return 1;
	}
	peer("UDP after connect", u);

	strcpy(sun.sun_path, "/tmp/winsock-demo.sock");
	unlink(sun.sun_path);
	ul = socket(AF_UNIX, SOCK_STREAM, 0);
	uc = socket(AF_UNIX, SOCK_STREAM, 0);
	if (bind(ul, (struct sockaddr *)&sun, ulen) || listen(ul, 1) ||
	    connect(uc, (struct sockaddr *)&sun, ulen)) {
		perror("unix");
		return 1;
	}
	us = accept(ul, NULL, NULL);
	if (us < 0) {
		perror("unix accept");
		return 1;
	}
	peer("AF_UNIX stream, connecting side", uc);
	peer("AF_UNIX stream, accepted side", us);

	printf("\nErrors\n");
	peer("TCP listener", l4);
	if (pipe(p)) {
		perror("pipe");
		return 1;
	}
	peer("a pipe", p[0]);
	peer("INVALID_SOCKET", INVALID_SOCKET);
	len = 15;
	lookup("namelen 15 for a SOCKADDR_IN", s4,
	       (struct sockaddr *)&ss, &len);
	len = sizeof(ss);
	lookup("name = 0xdead0000 (unmapped)", s4, (struct sockaddr *)0xdead0000, &len);
	if (provider_down("1") == 0) {
		peer("provider taken down by root", s4);
		provider_down("0");
	}

	WSACleanup();
	WSAStartup(MAKEWORD(1, 1), &d);
	in_progress(s4);
	WSACleanup();
	peer("after the last WSACleanup", s4);
	return 0;
}
