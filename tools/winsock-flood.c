// SPDX-License-Identifier: GPL-2.0
/*
 * winsock-flood: make N peer lookups as fast as the module answers them,
 * WINSOCK_BATCH_MAX per WINSOCK_IOC_GETPEERNAME_BATCH, on one connected
 * loopback TCP socket: the load for measuring what an audit stream reader
 * sustains (scripts/audit-throughput.sh).
 *
 *   winsock-flood [--lookups N] [--batch B]
 *
 * Prints "winsock-flood: N lookups, S s" on standard error; exits 1 if a
 * lookup did not succeed.
 */
#include <arpa/inet.h>
#include <fcntl.h>
#include <getopt.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <linux/winsock.h>

static void die(const char *what)
{
	perror(what);
	exit(1);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* A connected loopback TCP socket; the other ends stay open. */
static int connected_socket(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t alen = sizeof(a);
	int l, c;

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	l = socket(AF_INET, SOCK_STREAM, 0);
	c = socket(AF_INET, SOCK_STREAM, 0);
	if (l < 0 || c < 0 || bind(l, (struct sockaddr *)&a, sizeof(a)) ||
	    listen(l, 1) || getsockname(l, (struct sockaddr *)&a, &alen) ||
	    connect(c, (struct sockaddr *)&a, sizeof(a)) || accept(l, NULL, NULL) < 0)
		die("loopback connection");
	return c;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "lookups", required_argument, NULL, 'n' },
		{ "batch", required_argument, NULL, 'b' },
		{ NULL, 0, NULL, 0 },
	};
	static struct winsock_peer_entry e[WINSOCK_BATCH_MAX];
	static char wsadata[512];
	struct winsock_startup st = {
		.wsadata = (uintptr_t)wsadata,
		.version_requested = 0x0202,
	};
	struct winsock_getpeername_batch req = { .entries = (uintptr_t)e };
	long lookups = 1000, batch = WINSOCK_BATCH_MAX, done = 0;
	int opt, dev, sock, i;
	char *end = "";
	double t0;

	while ((opt = getopt_long(argc, argv, "n:b:", opts, NULL)) != -1) {
		if (opt == 'n')
			lookups = strtol(optarg, &end, 10);
		else if (opt == 'b')
			batch = strtol(optarg, &end, 10);
		else
			return 2;
		if (*end)
			break;
	}
	if (*end || lookups < 0 || batch < 1 || batch > WINSOCK_BATCH_MAX) {
		fprintf(stderr, "usage: winsock-flood [--lookups N] [--batch 1..%d]\n",
			WINSOCK_BATCH_MAX);
		return 2;
	}
	dev = open(WINSOCK_DEVICE_PATH, O_RDWR | O_CLOEXEC);
	if (dev < 0 || ioctl(dev, WINSOCK_IOC_STARTUP, &st))
		die(WINSOCK_DEVICE_PATH);
	sock = connected_socket();

	t0 = now_s();
	while (done < lookups) {
		req.count = lookups - done < batch ? lookups - done : batch;
		for (i = 0; i < (int)req.count; i++) {
			memset(&e[i], 0, sizeof(e[i]));
			e[i].socket = sock;
			e[i].flags = WINSOCK_GPN_NATIVE;
			e[i].namelen = sizeof(e[i].name);
		}
		if (ioctl(dev, WINSOCK_IOC_GETPEERNAME_BATCH, &req))
			die("WINSOCK_IOC_GETPEERNAME_BATCH");
		for (i = 0; i < (int)req.count; i++)
			if (e[i].result) {
				fprintf(stderr, "winsock-flood: lookup %ld: WSA error %u\n",
					done + i, e[i].result);
				return 1;
			}
		done += req.count;
	}
	fprintf(stderr, "winsock-flood: %ld lookups, %.3f s\n", done, now_s() - t0);
	return 0;
}
