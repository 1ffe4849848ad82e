// SPDX-License-Identifier: GPL-2.0
/*
 * WINSOCK_IOC_GETPEERNAME_BATCH beyond what getpeername_test already runs
 * through it (every single-request test has a batch variant): the bounds
 * of the request, entries that share a socket, good and bad entries mixed,
 * descriptors closed and replaced while the batch runs, and the library's
 * ws_getpeername_batch().
 */
#include <pthread.h>
#include <stdlib.h>

#include "kselftest_harness.h"
#include "helpers.h"
#include <winsock/winsock2.h>

#define ENTRY_POISON 0x55555555U

static void entry_init(struct winsock_peer_entry *e, uint64_t s, uint32_t flags)
{
	memset(e, POISON, sizeof(*e));
	e->socket = s;
	e->flags = flags;
	e->namelen = sizeof(e->name);
	e->reserved = 0;
}

FIXTURE(batch) {
	int dev;
	struct tcp_conn c;
};

FIXTURE_SETUP(batch)
{
	self->dev = ws_open_started(MAKEWORD(2, 2));
	if (self->dev < 0)
		SKIP(return, "%s: %s (module not loaded)", WINSOCK_DEVICE_PATH, strerror(errno));
	ASSERT_EQ(0, tcp_connect(&self->c, AF_INET));
}

FIXTURE_TEARDOWN(batch)
{
	if (self->dev < 0)
		return;
	tcp_close(&self->c);
	close(self->dev);
}

/* N = 0 is a valid, empty request, whatever the array pointer. */
TEST_F(batch, zero_entries)
{
	struct winsock_peer_entry e;

	entry_init(&e, self->c.client, 0);
	EXPECT_EQ(0, ws_raw_batch(self->dev, NULL, 0));
	EXPECT_EQ(0, ws_raw_batch(self->dev, (void *)(uintptr_t)0xdead000, 0));
	EXPECT_EQ(0, ws_raw_batch(self->dev, &e, 0));
	EXPECT_EQ(ENTRY_POISON, e.result);
}

/* N = maximum: every entry answered, in order, each with its own peer. */
TEST_F(batch, maximum_entries)
{
	struct winsock_peer_entry *e = calloc(WINSOCK_BATCH_MAX, sizeof(*e));
	int i;

	ASSERT_NE(NULL, e);
	for (i = 0; i < WINSOCK_BATCH_MAX; i++)
		entry_init(&e[i], i % 2 ? self->c.server : self->c.client,
			   WINSOCK_GPN_NATIVE);
	ASSERT_EQ(0, ws_raw_batch(self->dev, e, WINSOCK_BATCH_MAX));
	for (i = 0; i < WINSOCK_BATCH_MAX; i++) {
		const struct sockaddr_storage *want = i % 2 ? &self->c.cname : &self->c.lname;

		ASSERT_EQ(0, e[i].result);
		ASSERT_EQ((int)sizeof(struct sockaddr_in), e[i].namelen);
		ASSERT_EQ(0, memcmp(e[i].name, want, sizeof(struct sockaddr_in)));
		/* Nothing written past the address. */
		ASSERT_EQ(POISON, e[i].name[sizeof(struct sockaddr_in)]);
	}
	free(e);
}

/* N = maximum + 1, or a reserved bit: the request is refused, untouched. */
TEST_F(batch, over_maximum_and_reserved)
{
	struct winsock_peer_entry *e = calloc(WINSOCK_BATCH_MAX + 1, sizeof(*e));
	struct winsock_getpeername_batch req = { 0 };
	int i;

	ASSERT_NE(NULL, e);
	for (i = 0; i <= WINSOCK_BATCH_MAX; i++)
		entry_init(&e[i], self->c.client, 0);
	EXPECT_EQ(-EINVAL, ws_raw_batch(self->dev, e, WINSOCK_BATCH_MAX + 1));
	EXPECT_EQ(-EINVAL, ws_raw_batch(self->dev, e, UINT32_MAX));
	req.entries = (uintptr_t)e;
	req.count = 1;
	req.reserved = 1;
	EXPECT_EQ(-EINVAL, ws_raw_ioctl(self->dev, WINSOCK_IOC_GETPEERNAME_BATCH, &req));
	for (i = 0; i <= WINSOCK_BATCH_MAX; i++)
		ASSERT_EQ(ENTRY_POISON, e[i].result);
	EXPECT_EQ(-EFAULT, ws_raw_ioctl(self->dev, WINSOCK_IOC_GETPEERNAME_BATCH,
					(void *)(uintptr_t)0xdead000));
	free(e);
}

/* Entries may name the same socket: each gets the same full answer. */
TEST_F(batch, same_socket_in_every_entry)
{
	struct winsock_peer_entry e[8];
	int i;

	for (i = 0; i < 8; i++)
		entry_init(&e[i], self->c.client, 0);
	ASSERT_EQ(0, ws_raw_batch(self->dev, e, 8));
	for (i = 0; i < 8; i++) {
		EXPECT_EQ(0, e[i].result);
		EXPECT_EQ(16, e[i].namelen);
		EXPECT_EQ(0, memcmp(e[i].name, e[0].name, 16));
	}
	EXPECT_EQ(WINSOCK_AF_INET, e[0].name[0] | e[0].name[1] << 8);
}

/* One bad entry fails only itself; the others are answered normally. */
TEST_F(batch, good_and_bad_entries_mixed)
{
	struct winsock_peer_entry e[10];
	int p[2], udp, closed;
	uint32_t want[10] = {
		0, WINSOCK_WSAENOTSOCK, WINSOCK_WSAENOTSOCK, WINSOCK_WSAENOTSOCK,
		WINSOCK_WSAENOTCONN, 0, WINSOCK_WSAEINVAL, WINSOCK_WSAEINVAL,
		WINSOCK_WSAEFAULT, 0,
	};
	int i;

	ASSERT_EQ(0, pipe(p));
	udp = socket(AF_INET, SOCK_DGRAM, 0);
	ASSERT_LE(0, udp);
	closed = dup(udp);
	ASSERT_LE(0, closed);
	close(closed);

	entry_init(&e[0], self->c.client, 0);
	entry_init(&e[1], p[0], 0);
	entry_init(&e[2], closed, 0);
	entry_init(&e[3], ~(uint64_t)0, 0);
	entry_init(&e[4], udp, 0);
	entry_init(&e[5], self->c.server, WINSOCK_GPN_NATIVE);
	entry_init(&e[6], self->c.client, 0x80);	/* unknown flag */
	entry_init(&e[7], self->c.client, 0);
	e[7].reserved = 1;
	entry_init(&e[8], self->c.client, 0);
	e[8].namelen = 15;				/* one byte short */
	entry_init(&e[9], self->c.client, WINSOCK_GPN_NATIVE);

	ASSERT_EQ(0, ws_raw_batch(self->dev, e, 10));
	for (i = 0; i < 10; i++) {
		EXPECT_EQ(want[i], e[i].result) TH_LOG("entry %d", i);
		if (want[i]) {
			/* A failed entry keeps its namelen and storage. */
			EXPECT_EQ(i == 8 ? 15 : (int)sizeof(e[i].name), e[i].namelen);
			EXPECT_EQ(POISON, e[i].name[0]);
		}
	}
	EXPECT_EQ(0, memcmp(e[5].name, &self->c.cname, self->c.clen));
	EXPECT_EQ(0, memcmp(e[9].name, &self->c.lname, self->c.llen));
	close(p[0]);
	close(p[1]);
	close(udp);
}

/*
 * Another thread closes the descriptor and puts a pipe, then the socket
 * again, in its place while batches run on it: each entry is either the
 * socket's right answer or WSAENOTSOCK, never anything else.
 */
struct swapper {
	int fd, sock, pipe_fd;
	volatile int stop;
	long swaps;
};

static void *swap_loop(void *arg)
{
	struct swapper *s = arg;

	while (!s->stop) {
		close(s->fd);
		dup2(s->pipe_fd, s->fd);
		dup2(s->sock, s->fd);
		s->swaps++;
		/*
		 * Stay a socket for a while: otherwise a swapper preempted
		 * between the two dup2() calls can leave every entry of
		 * every batch looking at the pipe (seen on 6.12 under TCG).
		 */
		usleep(50);
	}
	return NULL;
}

TEST_F(batch, descriptor_closed_during_batch)
{
	struct winsock_peer_entry e[64];
	struct swapper s = { 0 };
	int p[2], i, round, ok = 0, notsock = 0;
	pthread_t t;

	ASSERT_EQ(0, pipe(p));
	s.sock = self->c.client;
	s.pipe_fd = p[0];
	s.fd = dup(self->c.client);
	ASSERT_LE(0, s.fd);
	ASSERT_EQ(0, pthread_create(&t, NULL, swap_loop, &s));
	for (round = 0; round < 200; round++) {
		for (i = 0; i < 64; i++)
			entry_init(&e[i], s.fd, WINSOCK_GPN_NATIVE);
		ASSERT_EQ(0, ws_raw_batch(self->dev, e, 64));
		for (i = 0; i < 64; i++) {
			if (e[i].result == WINSOCK_WSAENOTSOCK) {
				notsock++;
				continue;
			}
			ASSERT_EQ(0, e[i].result);
			ASSERT_EQ((int)self->c.llen, e[i].namelen);
			ASSERT_EQ(0, memcmp(e[i].name, &self->c.lname, self->c.llen));
			ok++;
		}
	}
	s.stop = 1;
	pthread_join(t, NULL);
	TH_LOG("%d answered, %d not a socket, %ld swaps", ok, notsock, s.swaps);
	EXPECT_LT(0, ok);
	close(s.fd);
	close(p[0]);
	close(p[1]);
}

/* The library call: n on success, SOCKET_ERROR for the call as a whole. */
TEST(library_ws_getpeername_batch)
{
	struct ws_peer_query q[3];
	struct tcp_conn c;
	WSADATA wd;
	int p[2];

	memset(q, 0, sizeof(q));
	WSASetLastError(12345);
	EXPECT_EQ(SOCKET_ERROR, ws_getpeername_batch(q, 1));
	EXPECT_EQ(WSANOTINITIALISED, WSAGetLastError());

	ASSERT_EQ(0, WSAStartup(MAKEWORD(2, 2), &wd));
	ASSERT_EQ(0, tcp_connect(&c, AF_INET6));
	ASSERT_EQ(0, pipe(p));
	q[0].s = c.client;
	q[0].namelen = sizeof(q[0].name);
	q[1].s = p[0];
	q[1].namelen = sizeof(q[1].name);
	q[2].s = c.server;
	q[2].flags = WS_PEER_NATIVE;
	q[2].namelen = sizeof(q[2].name);
	WSASetLastError(12345);
	EXPECT_EQ(3, ws_getpeername_batch(q, 3));
	EXPECT_EQ(0, WSAGetLastError());
	EXPECT_EQ(0, q[0].result);
	EXPECT_EQ(28, q[0].namelen);
	EXPECT_EQ(WS_AF_INET6, q[0].name.sa.sa_family);
	EXPECT_EQ(WSAENOTSOCK, q[1].result);
	EXPECT_EQ(0, q[2].result);
	EXPECT_EQ(AF_INET6, q[2].name.ss.ss_family);
	EXPECT_EQ(0, memcmp(&q[2].name.ss, &c.cname, c.clen));

	EXPECT_EQ(0, ws_getpeername_batch(q, 0));
	EXPECT_EQ(SOCKET_ERROR, ws_getpeername_batch(q, WS_PEER_BATCH_MAX + 1));
	EXPECT_EQ(WSAEINVAL, WSAGetLastError());
	EXPECT_EQ(SOCKET_ERROR, ws_getpeername_batch(NULL, 1));
	EXPECT_EQ(WSAEFAULT, WSAGetLastError());
	EXPECT_EQ(0, WSACleanup());
	close(p[0]);
	close(p[1]);
	tcp_close(&c);
}

TEST_HARNESS_MAIN
