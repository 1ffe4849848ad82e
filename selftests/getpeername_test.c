// SPDX-License-Identifier: GPL-2.0
/*
 * getpeername with Winsock semantics: every socket state, the namelen
 * rules, wild pointers, descriptors, the validation order and every error
 * code, in the Windows and the native layout.  Output buffers are
 * poisoned so that each test proves which bytes the kernel wrote.
 *
 * Windows behaviour comes from the getpeername documentation and Wine's
 * ws2_32 conformance tests (dlls/ws2_32/tests/sock.c).
 */
#include <limits.h>
#include <linux/netlink.h>
#include <pthread.h>
#include <stddef.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/syscall.h>

#include "kselftest_harness.h"
#include "helpers.h"
#include <winsock/winsock2.h>

#define BUF_SIZE 256

/*
 * The suite runs twice: as getpeername_test through the module's fast peer
 * read, and built with -DWS_GETNAME_ONLY as getpeername_getname_test with
 * fast_peer=N, through the protocols' getname.  Each sets the parameter
 * itself, so that neither depends on what ran before it.
 */
#ifdef WS_GETNAME_ONLY
#define WS_FAST_PEER false
#else
#define WS_FAST_PEER true
#endif

static pid_t peer_read_chooser;

static void __attribute__((constructor)) choose_peer_read(void)
{
	if (set_fast_peer(WS_FAST_PEER) && !access("/sys/module/winsock", F_OK)) {
		fprintf(stderr, "cannot set fast_peer\n");
		exit(1);
	}
	peer_read_chooser = getpid();
}

/* Only the main process: a test's child must not switch it back early. */
static void __attribute__((destructor)) restore_peer_read(void)
{
	if (getpid() == peer_read_chooser)
		set_fast_peer(true);
}

FIXTURE(peer) {
	int dev;
	uint32_t flags;
	bool windows;
	bool batch;
};

/* Each test runs in both layouts, through the single and the batch ioctl. */
FIXTURE_VARIANT(peer) {
	uint32_t flags;
	bool batch;
};

FIXTURE_VARIANT_ADD(peer, windows) {
	.flags = 0,
};

FIXTURE_VARIANT_ADD(peer, native) {
	.flags = WINSOCK_GPN_NATIVE,
};

FIXTURE_VARIANT_ADD(peer, windows_batch) {
	.flags = 0,
	.batch = true,
};

FIXTURE_VARIANT_ADD(peer, native_batch) {
	.flags = WINSOCK_GPN_NATIVE,
	.batch = true,
};

FIXTURE_SETUP(peer)
{
	self->dev = ws_open_started(MAKEWORD(2, 2));
	if (self->dev < 0)
		SKIP(return, "%s: %s (module not loaded)", WINSOCK_DEVICE_PATH, strerror(errno));
	self->flags = variant->flags;
	self->windows = !(variant->flags & WINSOCK_GPN_NATIVE);
	self->batch = variant->batch;
}

FIXTURE_TEARDOWN(peer)
{
	if (self->dev >= 0)
		close(self->dev);
}

/* getpeername on handle @dev through the variant's ioctl. */
static int lookup(FIXTURE_DATA(peer) *self, int dev, uint64_t s, void *name,
		  int *namelen)
{
	if (self->batch)
		return ws_batch_getpeername(dev, s, name, namelen, self->flags);
	return ws_raw_getpeername(dev, s, name, namelen, self->flags);
}

static int gpn(FIXTURE_DATA(peer) *self, uint64_t s, void *name, int *namelen)
{
	return lookup(self, self->dev, s, name, namelen);
}

/* What the requested layout should hold for a native address. */
static int expected_layout(bool windows, const struct sockaddr_storage *native,
			   socklen_t nlen, unsigned char *out)
{
	memset(out, 0, BUF_SIZE);
	memcpy(out, native, nlen);
	if (!windows)
		return nlen;
	switch (native->ss_family) {
	case AF_INET:
		return 16;
	case AF_INET6:
		((struct sockaddr *)out)->sa_family = 23;
		return 28;
	case AF_UNIX:
		((struct sockaddr *)out)->sa_family = 1;
		return 110;
	}
	return -1;
}

/* The peer of @fd must be @want (native, @wantlen bytes) in the layout. */
static void expect_peer(struct __test_metadata *_metadata, FIXTURE_DATA(peer) *self,
			int fd, const struct sockaddr_storage *want, socklen_t wantlen)
{
	unsigned char buf[BUF_SIZE], exp[BUF_SIZE];
	int len = BUF_SIZE, size, i;

	size = expected_layout(self->windows, want, wantlen, exp);
	ASSERT_LT(0, size);
	memset(buf, POISON, sizeof(buf));
	ASSERT_EQ(0, gpn(self, fd, buf, &len));
	EXPECT_EQ(size, len);
	EXPECT_EQ(0, memcmp(buf, exp, size));
	for (i = size; i < BUF_SIZE; i++)
		ASSERT_EQ(POISON, buf[i]);	/* nothing written past it */
}

static void expect_error(struct __test_metadata *_metadata, FIXTURE_DATA(peer) *self,
			 uint64_t s, int err)
{
	unsigned char buf[BUF_SIZE];
	int len = BUF_SIZE, i;

	memset(buf, POISON, sizeof(buf));
	EXPECT_EQ(err, gpn(self, s, buf, &len));
	EXPECT_EQ(BUF_SIZE, len);
	for (i = 0; i < BUF_SIZE; i++)
		ASSERT_EQ(POISON, buf[i]);
	/* The validation order: the state is decided before the pointers. */
	EXPECT_EQ(err, gpn(self, s, NULL, NULL));
}

TEST_F(peer, tcp4_connected_and_accepted)
{
	struct tcp_conn c;

	ASSERT_EQ(0, tcp_connect(&c, AF_INET));
	expect_peer(_metadata, self, c.client, &c.lname, c.llen);
	expect_peer(_metadata, self, c.server, &c.cname, c.clen);
	tcp_close(&c);
}

TEST_F(peer, tcp6_connected_and_accepted)
{
	struct tcp_conn c;

	ASSERT_EQ(0, tcp_connect(&c, AF_INET6));
	EXPECT_EQ(28, c.llen);
	expect_peer(_metadata, self, c.client, &c.lname, c.llen);
	expect_peer(_metadata, self, c.server, &c.cname, c.clen);
	tcp_close(&c);
}

TEST_F(peer, ipv4_mapped_ipv6_peer)
{
	struct sockaddr_in6 any6 = { .sin6_family = AF_INET6 };
	struct sockaddr_in to = { .sin_family = AF_INET };
	struct sockaddr_storage want, cname;
	int l, c, s, off = 0;
	socklen_t len = sizeof(any6);

	l = socket(AF_INET6, SOCK_STREAM, 0);
	ASSERT_LE(0, l);
	ASSERT_EQ(0, setsockopt(l, IPPROTO_IPV6, IPV6_V6ONLY, &off, sizeof(off)));
	ASSERT_EQ(0, bind(l, (struct sockaddr *)&any6, sizeof(any6)));
	ASSERT_EQ(0, listen(l, 1));
	ASSERT_EQ(0, getsockname(l, (struct sockaddr *)&any6, &len));
	to.sin_port = any6.sin6_port;
	to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	c = socket(AF_INET, SOCK_STREAM, 0);
	ASSERT_EQ(0, connect(c, (struct sockaddr *)&to, sizeof(to)));
	s = accept(l, NULL, NULL);
	ASSERT_LE(0, s);

	/* The dual-stack socket sees ::ffff:127.0.0.1 and the client's port. */
	local_name(c, &cname);
	memset(&want, 0, sizeof(want));
	((struct sockaddr_in6 *)&want)->sin6_family = AF_INET6;
	((struct sockaddr_in6 *)&want)->sin6_port = ((struct sockaddr_in *)&cname)->sin_port;
	inet_pton(AF_INET6, "::ffff:127.0.0.1", &((struct sockaddr_in6 *)&want)->sin6_addr);
	expect_peer(_metadata, self, s, &want, sizeof(struct sockaddr_in6));
	close(s);
	close(c);
	close(l);
}

/* A TCP connect still in progress: Windows' getpeername succeeds (Wine's
 * test_connecting_socket).  A listener whose accept queue is full drops
 * the SYN, so the connect stays in SYN_SENT. */
TEST_F(peer, tcp_connect_in_progress)
{
	struct tcp_conn c;

	ASSERT_EQ(0, tcp_connect_pending(&c, AF_INET));
	expect_peer(_metadata, self, c.client, &c.lname, c.llen);
	tcp_close(&c);
}

/* After shutdown in any direction the peer is still reported (Wine's
 * test_shutdown), also once both ends closed their halves. */
TEST_F(peer, tcp_after_shutdown)
{
	static const int how[] = { SHUT_WR, SHUT_RD, SHUT_RDWR };
	struct tcp_conn c;
	char b;
	size_t i;

	for (i = 0; i < 3; i++) {
		ASSERT_EQ(0, tcp_connect(&c, AF_INET));
		ASSERT_EQ(0, shutdown(c.client, how[i]));
		expect_peer(_metadata, self, c.client, &c.lname, c.llen);
		expect_peer(_metadata, self, c.server, &c.cname, c.clen);
		/* Both halves closed on both ends: FINs exchanged. */
		ASSERT_EQ(0, shutdown(c.client, SHUT_RDWR));
		ASSERT_EQ(0, shutdown(c.server, SHUT_RDWR));
		ASSERT_EQ(0, recv(c.client, &b, 1, 0));
		ASSERT_EQ(0, recv(c.server, &b, 1, 0));
		expect_peer(_metadata, self, c.client, &c.lname, c.llen);
		expect_peer(_metadata, self, c.server, &c.cname, c.clen);
		tcp_close(&c);
	}
}

TEST_F(peer, tcp_without_peer)
{
	struct sockaddr_in any = { .sin_family = AF_INET };
	struct sockaddr_in unspec = { .sin_family = AF_UNSPEC };
	struct tcp_conn c;
	int fresh, bound;

	fresh = socket(AF_INET, SOCK_STREAM, 0);
	expect_error(_metadata, self, fresh, WINSOCK_WSAENOTCONN);
	bound = socket(AF_INET, SOCK_STREAM, 0);
	ASSERT_EQ(0, bind(bound, (struct sockaddr *)&any, sizeof(any)));
	expect_error(_metadata, self, bound, WINSOCK_WSAENOTCONN);

	ASSERT_EQ(0, tcp_connect(&c, AF_INET));
	expect_error(_metadata, self, c.listener, WINSOCK_WSAENOTCONN);
	/* connect(AF_UNSPEC) dissolves the connection. */
	ASSERT_EQ(0, connect(c.client, (struct sockaddr *)&unspec, sizeof(unspec)));
	expect_error(_metadata, self, c.client, WINSOCK_WSAENOTCONN);
	tcp_close(&c);
	close(fresh);
	close(bound);
}

TEST_F(peer, udp_connect_reconnect_dissolve)
{
	struct sockaddr_storage a, b;
	struct sockaddr_in unspec = { .sin_family = AF_UNSPEC };
	socklen_t alen, blen;
	int sa, sb, c;

	sa = udp_bound(AF_INET, &a, &alen);
	sb = udp_bound(AF_INET, &b, &blen);
	ASSERT_LE(0, sa);
	ASSERT_LE(0, sb);
	c = socket(AF_INET, SOCK_DGRAM, 0);

	expect_error(_metadata, self, c, WINSOCK_WSAENOTCONN);
	/* sendto does not connect: only connect() gives a peer. */
	ASSERT_EQ(1, sendto(c, "x", 1, 0, (struct sockaddr *)&a, alen));
	expect_error(_metadata, self, c, WINSOCK_WSAENOTCONN);
	/* The bound receiver never connected. */
	expect_error(_metadata, self, sa, WINSOCK_WSAENOTCONN);

	ASSERT_EQ(0, connect(c, (struct sockaddr *)&a, alen));
	expect_peer(_metadata, self, c, &a, alen);
	ASSERT_EQ(0, connect(c, (struct sockaddr *)&b, blen));
	expect_peer(_metadata, self, c, &b, blen);
	ASSERT_EQ(0, connect(c, (struct sockaddr *)&unspec, sizeof(unspec)));
	expect_error(_metadata, self, c, WINSOCK_WSAENOTCONN);
	close(c);
	close(sa);
	close(sb);
}

TEST_F(peer, udp6_connected)
{
	struct sockaddr_storage a;
	socklen_t alen;
	int sa, c;

	sa = udp_bound(AF_INET6, &a, &alen);
	ASSERT_LE(0, sa);
	c = socket(AF_INET6, SOCK_DGRAM, 0);
	ASSERT_EQ(0, connect(c, (struct sockaddr *)&a, alen));
	expect_peer(_metadata, self, c, &a, alen);
	close(c);
	close(sa);
}

static socklen_t unix_addr(struct sockaddr_un *sun, const char *path, bool abstract)
{
	memset(sun, 0, sizeof(*sun));
	sun->sun_family = AF_UNIX;
	if (abstract) {
		memcpy(sun->sun_path + 1, path, strlen(path));
		return offsetof(struct sockaddr_un, sun_path) + 1 + strlen(path);
	}
	strcpy(sun->sun_path, path);
	unlink(path);
	return offsetof(struct sockaddr_un, sun_path) + strlen(path) + 1;
}

/* Connecting side sees the listener's name; accepting side an unnamed peer. */
static void unix_connection(struct __test_metadata *_metadata, FIXTURE_DATA(peer) *self,
			    int type, bool abstract)
{
	static const char name[] = "\0/tmp/ws-listener";
	struct sockaddr_storage want, unnamed = { .ss_family = AF_UNIX };
	struct unix_conn u;

	/* A path counts its NUL; an abstract name is the bytes after its own. */
	ASSERT_EQ(0, unix_connect(&u, type, name + !abstract, sizeof(name) - 1));
	expect_error(_metadata, self, u.listener, WINSOCK_WSAENOTCONN);
	memset(&want, 0, sizeof(want));
	memcpy(&want, &u.name, u.len);
	expect_peer(_metadata, self, u.client, &want, u.len);
	expect_peer(_metadata, self, u.server, &unnamed, sizeof(sa_family_t));
	unix_conn_close(&u);
}

TEST_F(peer, unix_stream)
{
	unix_connection(_metadata, self, SOCK_STREAM, false);
}

/*
 * Windows' AF_UNIX provider has stream sockets only: socket(AF_UNIX,
 * SOCK_DGRAM or SOCK_SEQPACKET) fails there, so such a descriptor is not a
 * Winsock socket (WSAENOTSOCK, before any other check); the native layout
 * answers what Linux does.
 */
static void unix_without_provider(struct __test_metadata *_metadata,
				  FIXTURE_DATA(peer) *self, int type)
{
	struct sockaddr_storage unnamed = { .ss_family = AF_UNIX };
	int sv[2];

	ASSERT_EQ(0, socketpair(AF_UNIX, type, 0, sv));
	if (self->windows)
		expect_error(_metadata, self, sv[0], WINSOCK_WSAENOTSOCK);
	else
		expect_peer(_metadata, self, sv[0], &unnamed, sizeof(sa_family_t));
	close(sv[0]);
	close(sv[1]);
}

TEST_F(peer, unix_seqpacket)
{
	if (self->windows)
		unix_without_provider(_metadata, self, SOCK_SEQPACKET);
	else
		unix_connection(_metadata, self, SOCK_SEQPACKET, false);
}

TEST_F(peer, unix_abstract)
{
	unix_connection(_metadata, self, SOCK_STREAM, true);
}

/*
 * A pathname of the full 108 bytes of sun_path, without a NUL: Linux
 * reports 111 bytes (it adds a NUL past sun_path, and counts it).  The
 * native layout answers exactly that; the Windows one is its 110-byte
 * SOCKADDR_UN, the whole path and no NUL.
 */
TEST_F(peer, unix_path_of_108_bytes)
{
	struct sockaddr_storage want;
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	socklen_t len = sizeof(want);
	struct unix_conn u;

	memset(path, 'p', sizeof(path));
	memcpy(path, "/tmp/", 5);
	ASSERT_EQ(0, unix_connect(&u, SOCK_STREAM, path, sizeof(path)));
	memset(&want, 0, sizeof(want));
	ASSERT_EQ(0, getpeername(u.client, (struct sockaddr *)&want, &len));
	EXPECT_EQ(111, len);
	expect_peer(_metadata, self, u.client, &want, len);
	unix_conn_close(&u);
}

TEST_F(peer, unix_dgram_and_socketpair)
{
	struct sockaddr_storage want, unnamed = { .ss_family = AF_UNIX };
	struct sockaddr_un sun;
	socklen_t len = unix_addr(&sun, "/tmp/ws-dgram", false);
	int r, c, sv[2];

	r = socket(AF_UNIX, SOCK_DGRAM, 0);
	ASSERT_EQ(0, bind(r, (struct sockaddr *)&sun, len));
	c = socket(AF_UNIX, SOCK_DGRAM, 0);
	/* Not a Winsock socket: decided before the connection state. */
	expect_error(_metadata, self, c, self->windows ? WINSOCK_WSAENOTSOCK :
							 WINSOCK_WSAENOTCONN);
	ASSERT_EQ(0, connect(c, (struct sockaddr *)&sun, len));
	memset(&want, 0, sizeof(want));
	memcpy(&want, &sun, len);
	if (self->windows)
		expect_error(_metadata, self, c, WINSOCK_WSAENOTSOCK);
	else
		expect_peer(_metadata, self, c, &want, len);
	expect_error(_metadata, self, r, self->windows ? WINSOCK_WSAENOTSOCK :
							 WINSOCK_WSAENOTCONN);
	close(c);
	close(r);
	unlink("/tmp/ws-dgram");
	unix_without_provider(_metadata, self, SOCK_DGRAM);

	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	expect_peer(_metadata, self, sv[0], &unnamed, sizeof(sa_family_t));
	expect_peer(_metadata, self, sv[1], &unnamed, sizeof(sa_family_t));
	close(sv[0]);
	close(sv[1]);
}

/* Families without a Windows provider: not a Winsock socket in the Windows
 * layout; in the native layout, what Linux reports. */
TEST_F(peer, other_families)
{
	struct sockaddr_nl want = { .nl_family = AF_NETLINK };
	int nl = socket(AF_NETLINK, SOCK_RAW, NETLINK_ROUTE);
	int pk = socket(AF_PACKET, SOCK_DGRAM, 0);

	ASSERT_LE(0, nl);
	if (self->windows) {
		expect_error(_metadata, self, nl, WINSOCK_WSAENOTSOCK);
	} else {
		struct sockaddr_storage ss;

		memset(&ss, 0, sizeof(ss));
		memcpy(&ss, &want, sizeof(want));
		expect_peer(_metadata, self, nl, &ss, sizeof(want));
	}
	if (pk >= 0) {
		/* AF_PACKET has no notion of a peer (EOPNOTSUPP in Linux). */
		expect_error(_metadata, self, pk, self->windows ? WINSOCK_WSAENOTSOCK :
							     WINSOCK_WSAENOTCONN);
		close(pk);
	}
	close(nl);
}

TEST_F(peer, not_sockets)
{
	int p[2], ev, file, closed;

	ASSERT_EQ(0, pipe(p));
	ev = eventfd(0, 0);
	file = open("/proc/self/status", O_RDONLY);
	closed = dup(p[0]);
	close(closed);

	expect_error(_metadata, self, p[0], WINSOCK_WSAENOTSOCK);
	expect_error(_metadata, self, ev, WINSOCK_WSAENOTSOCK);
	expect_error(_metadata, self, file, WINSOCK_WSAENOTSOCK);
	expect_error(_metadata, self, self->dev, WINSOCK_WSAENOTSOCK);
	expect_error(_metadata, self, closed, WINSOCK_WSAENOTSOCK);
	expect_error(_metadata, self, 1 << 20, WINSOCK_WSAENOTSOCK);
	expect_error(_metadata, self, (uint64_t)INT_MAX + 1, WINSOCK_WSAENOTSOCK);
	expect_error(_metadata, self, (uint32_t)~0u, WINSOCK_WSAENOTSOCK);
	expect_error(_metadata, self, ~(uint64_t)0, WINSOCK_WSAENOTSOCK);
	close(p[0]);
	close(p[1]);
	close(ev);
	close(file);
}

/* namelen: NULL, 0, negative, one byte short, exact, larger. */
TEST_F(peer, namelen_rules)
{
	unsigned char buf[BUF_SIZE], exp[BUF_SIZE];
	struct tcp_conn c;
	int len, size, i;
	int cases[] = { 0, -1, INT_MIN, 1, 0 /* size - 1 */ };

	ASSERT_EQ(0, tcp_connect(&c, AF_INET));
	size = expected_layout(self->windows, &c.lname, c.llen, exp);
	cases[4] = size - 1;

	memset(buf, POISON, sizeof(buf));
	EXPECT_EQ(WINSOCK_WSAEFAULT, gpn(self, c.client, buf, NULL));
	EXPECT_EQ(WINSOCK_WSAEFAULT, gpn(self, c.client, NULL, NULL));
	len = 0;
	EXPECT_EQ(WINSOCK_WSAEFAULT, gpn(self, c.client, NULL, &len));
	EXPECT_EQ(0, len);
	len = BUF_SIZE;
	EXPECT_EQ(WINSOCK_WSAEFAULT, gpn(self, c.client, NULL, &len));
	EXPECT_EQ(BUF_SIZE, len);
	for (i = 0; i < (int)(sizeof(cases) / sizeof(cases[0])); i++) {
		len = cases[i];
		EXPECT_EQ(WINSOCK_WSAEFAULT, gpn(self, c.client, buf, &len));
		EXPECT_EQ(cases[i], len);	/* untouched on failure */
	}
	for (i = 0; i < BUF_SIZE; i++)
		ASSERT_EQ(POISON, buf[i]);

	/* Exact, then larger: only the address is written. */
	len = size;
	EXPECT_EQ(0, gpn(self, c.client, buf, &len));
	EXPECT_EQ(size, len);
	EXPECT_EQ(0, memcmp(buf, exp, size));
	for (i = size; i < BUF_SIZE; i++)
		ASSERT_EQ(POISON, buf[i]);
	len = INT_MAX;
	memset(buf, POISON, sizeof(buf));
	EXPECT_EQ(0, gpn(self, c.client, buf, &len));
	EXPECT_EQ(size, len);
	tcp_close(&c);
}

/*
 * A batch entry has no pointers of its own: what can be wild is the array.
 * Unmapped, kernel, read-only or page-straddling arrays refuse the whole
 * request with EFAULT and write nothing, not even to the entries that are
 * in good memory.
 */
static void wild_batch_arrays(struct __test_metadata *_metadata,
			      FIXTURE_DATA(peer) *self)
{
	long pg = sysconf(_SC_PAGESIZE);
	size_t esz = sizeof(struct winsock_peer_entry);
	struct winsock_peer_entry *e;
	unsigned char *map, snap[65536];
	struct tcp_conn c;
	int i;

	ASSERT_GE((long)sizeof(snap), pg);
	ASSERT_EQ(0, tcp_connect(&c, AF_INET));
	/* [rw page][hole][ro page][rw page] */
	map = mmap(NULL, 4 * pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, map);
	ASSERT_EQ(0, munmap(map + pg, pg));
	for (i = 0; i < 4; i++) {
		if (i == 1)
			continue;
		/* Valid entries everywhere: only the memory is wrong. */
		for (e = (void *)(map + i * pg);
		     (unsigned char *)(e + 1) <= map + (i + 1) * pg; e++) {
			memset(e, POISON, esz);
			e->socket = c.client;
			e->flags = self->flags;
			e->namelen = sizeof(e->name);
			e->reserved = 0;
		}
	}
	ASSERT_EQ(0, mprotect(map + 2 * pg, pg, PROT_READ));

	EXPECT_EQ(-EFAULT, ws_raw_batch(self->dev, (void *)(uintptr_t)0xdead000, 1));
	EXPECT_EQ(-EFAULT, ws_raw_batch(self->dev, (void *)(uintptr_t)~0xfffUL, 1));
	EXPECT_EQ(-EFAULT, ws_raw_batch(self->dev, (void *)(map + 2 * pg), 1));
	/* Two good entries before the hole, one running into it. */
	e = (void *)(map + pg - 2 * esz - 8);
	memset(e, POISON, 2 * esz + 8);
	for (i = 0; i < 2; i++) {
		e[i].socket = c.client;
		e[i].flags = self->flags;
		e[i].namelen = sizeof(e[i].name);
		e[i].reserved = 0;
	}
	memcpy(snap, map, pg);
	EXPECT_EQ(-EFAULT, ws_raw_batch(self->dev, e, 3));
	EXPECT_EQ(0, memcmp(snap, map, pg));
	/* From the read-only page into the writable one. */
	e = (void *)(map + 3 * pg - esz / 2);
	memcpy(snap, map + 3 * pg, pg);
	EXPECT_EQ(-EFAULT, ws_raw_batch(self->dev, e, 2));
	EXPECT_EQ(0, memcmp(snap, map + 3 * pg, pg));

	/* Straddling two writable pages works. */
	ASSERT_EQ(0, mprotect(map + 2 * pg, pg, PROT_READ | PROT_WRITE));
	e = (void *)(map + 3 * pg - esz / 2);
	e->socket = c.client;
	e->flags = self->flags;
	e->namelen = sizeof(e->name);
	e->reserved = 0;
	EXPECT_EQ(0, ws_raw_batch(self->dev, e, 1));
	EXPECT_EQ(0, e->result);
	EXPECT_EQ(self->windows ? 16 : (int)c.llen, e->namelen);
	munmap(map, pg);
	munmap(map + 2 * pg, 2 * pg);
	tcp_close(&c);
}

/* Wild, unmapped, read-only and page-straddling pointers: WSAEFAULT, never
 * a signal, never a partial write. */
TEST_F(peer, wild_pointers)
{
	long pg = sysconf(_SC_PAGESIZE);
	unsigned char *map, *ro_page, exp[BUF_SIZE];
	struct tcp_conn c;
	int len, size, i, *ro_len;

	if (self->batch)
		return wild_batch_arrays(_metadata, self);

	ASSERT_EQ(0, tcp_connect(&c, AF_INET));
	size = expected_layout(self->windows, &c.lname, c.llen, exp);
	/* [rw page][hole][ro page][rw page] */
	map = mmap(NULL, 4 * pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, map);
	memset(map, POISON, 4 * pg);
	ASSERT_EQ(0, munmap(map + pg, pg));
	ro_page = map + 2 * pg;
	ASSERT_EQ(0, mprotect(ro_page, pg, PROT_READ));
	ro_len = (int *)ro_page;

	len = BUF_SIZE;
	EXPECT_EQ(WINSOCK_WSAEFAULT, gpn(self, c.client, (void *)(uintptr_t)0xdead000, &len));
	EXPECT_EQ(BUF_SIZE, len);
	EXPECT_EQ(WINSOCK_WSAEFAULT, gpn(self, c.client, map, (int *)(map + pg)));
	EXPECT_EQ(WINSOCK_WSAEFAULT, gpn(self, c.client, map, (int *)(uintptr_t)~0xfffUL));
	EXPECT_EQ(WINSOCK_WSAEFAULT, gpn(self, c.client, (void *)(uintptr_t)~0xfffUL, &len));
	/* namelen readable but read-only: nothing written to name. */
	EXPECT_EQ(WINSOCK_WSAEFAULT, gpn(self, c.client, map, ro_len));
	/* name read-only. */
	EXPECT_EQ(WINSOCK_WSAEFAULT, gpn(self, c.client, ro_page + 64, &len));
	EXPECT_EQ(BUF_SIZE, len);
	/* name runs from a writable page into the hole. */
	EXPECT_EQ(WINSOCK_WSAEFAULT, gpn(self, c.client, map + pg - 8, &len));
	EXPECT_EQ(BUF_SIZE, len);
	/* name runs from the read-only page into a writable one. */
	EXPECT_EQ(WINSOCK_WSAEFAULT, gpn(self, c.client, map + 4 * pg - pg - 8, &len));
	EXPECT_EQ(BUF_SIZE, len);
	for (i = 0; i < pg; i++)
		ASSERT_EQ(POISON, map[i]);
	for (i = 0; i < pg; i++)
		ASSERT_EQ(POISON, map[3 * pg + i]);

	/* A buffer that straddles two writable pages works. */
	ASSERT_EQ(0, mprotect(ro_page, pg, PROT_READ | PROT_WRITE));
	len = size;
	EXPECT_EQ(0, gpn(self, c.client, map + 3 * pg - 8, &len));
	EXPECT_EQ(0, memcmp(map + 3 * pg - 8, exp, size));
	munmap(map, pg);
	munmap(map + 2 * pg, 2 * pg);
	tcp_close(&c);
}

/* WSANOTINITIALISED comes first, even for a descriptor that is no socket. */
TEST_F(peer, not_initialised)
{
	int fresh = open(WINSOCK_DEVICE_PATH, O_RDWR | O_CLOEXEC);
	unsigned int n;

	ASSERT_LE(0, fresh);
	EXPECT_EQ(WINSOCK_WSANOTINITIALISED,
		  lookup(self, fresh, ~(uint64_t)0, NULL, NULL));
	EXPECT_EQ(0, ws_raw_cleanup(self->dev, &n));
	EXPECT_EQ(0, n);
	expect_error(_metadata, self, 0, WINSOCK_WSANOTINITIALISED);
	close(fresh);
}

/* WSAENETDOWN: the administrator took the provider down. */
TEST_F(peer, provider_down)
{
	struct tcp_conn c;
	int p[2];

	if (geteuid())
		SKIP(return, "needs root to take the provider down");
	ASSERT_EQ(0, tcp_connect(&c, AF_INET));
	ASSERT_EQ(0, pipe(p));
	ASSERT_EQ(0, set_provider_down("1"));
	expect_error(_metadata, self, c.client, WINSOCK_WSAENETDOWN);
	expect_error(_metadata, self, c.listener, WINSOCK_WSAENETDOWN);
	/* Not a socket is still decided before the provider. */
	expect_error(_metadata, self, p[0], WINSOCK_WSAENOTSOCK);
	ASSERT_EQ(0, set_provider_down("0"));
	expect_peer(_metadata, self, c.client, &c.lname, c.llen);
	close(p[0]);
	close(p[1]);
	tcp_close(&c);
}

/*
 * WSAEINPROGRESS (the calling thread inside a blocking call of a Winsock
 * 1.x handle) has its own test, blocking_test.
 */

/*
 * Differential: the native layout against Linux getpeername(2) on the same
 * socket.  Where Linux has a peer, the bytes and length are the same; where
 * Linux says ENOTCONN, so does Winsock, except in the two states where
 * Windows keeps the peer and Linux does not (connect in progress, both
 * halves closed), which are checked to differ exactly that way.
 */
static void differential(struct __test_metadata *_metadata, int dev, int fd,
			 bool windows_keeps_peer)
{
	struct sockaddr_storage lin, ws;
	socklen_t llen = sizeof(lin);
	int wlen = sizeof(ws), lrc, wrc;

	memset(&lin, POISON, sizeof(lin));
	memset(&ws, POISON, sizeof(ws));
	lrc = getpeername(fd, (struct sockaddr *)&lin, &llen);
	wrc = ws_raw_getpeername(dev, fd, &ws, &wlen, WINSOCK_GPN_NATIVE);
	if (lrc == 0) {
		EXPECT_EQ(0, wrc);
		EXPECT_EQ((int)llen, wlen);
		EXPECT_EQ(0, memcmp(&lin, &ws, llen));
	} else if (windows_keeps_peer) {
		EXPECT_EQ(ENOTCONN, errno);
		EXPECT_EQ(0, wrc);
	} else {
		EXPECT_EQ(ENOTCONN, errno);
		EXPECT_EQ(WINSOCK_WSAENOTCONN, wrc);
	}
}

TEST(differential_against_linux)
{
	struct sockaddr_in unspec = { .sin_family = AF_UNSPEC };
	struct tcp_conn c, c6, pending;
	struct sockaddr_storage a;
	socklen_t alen;
	int dev, u, sv[2];
	char b;

	dev = ws_open_started(MAKEWORD(2, 2));
	if (dev < 0)
		SKIP(return, "module not loaded");
	ASSERT_EQ(0, tcp_connect(&c, AF_INET));
	ASSERT_EQ(0, tcp_connect(&c6, AF_INET6));
	differential(_metadata, dev, c.client, false);
	differential(_metadata, dev, c.server, false);
	differential(_metadata, dev, c.listener, false);
	differential(_metadata, dev, c6.client, false);
	differential(_metadata, dev, c6.server, false);
	ASSERT_EQ(0, shutdown(c.client, SHUT_WR));
	differential(_metadata, dev, c.client, false);
	ASSERT_EQ(0, shutdown(c.server, SHUT_RDWR));
	ASSERT_EQ(0, recv(c.client, &b, 1, 0));
	ASSERT_EQ(0, recv(c.server, &b, 1, 0));
	differential(_metadata, dev, c.client, true);

	u = udp_bound(AF_INET, &a, &alen);
	ASSERT_LE(0, u);
	differential(_metadata, dev, u, false);
	ASSERT_EQ(0, connect(u, (struct sockaddr *)&c.lname, c.llen));
	differential(_metadata, dev, u, false);
	ASSERT_EQ(0, connect(u, (struct sockaddr *)&unspec, sizeof(unspec)));
	differential(_metadata, dev, u, false);

	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv));
	differential(_metadata, dev, sv[0], false);

	ASSERT_EQ(0, tcp_connect_pending(&pending, AF_INET));
	differential(_metadata, dev, pending.client, true);

	tcp_close(&pending);
	close(sv[0]);
	close(sv[1]);
	close(u);
	tcp_close(&c);
	tcp_close(&c6);
	close(dev);
}

/* The library's ws_getpeername: Windows layout, result in WSAGetLastError. */
TEST(library_ws_getpeername)
{
	struct sockaddr_storage ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;
	struct tcp_conn c, c6;
	WSADATA d;
	int len;

	if (WSAStartup(MAKEWORD(2, 2), &d) == WSASYSNOTREADY)
		SKIP(return, "module not loaded");
	ASSERT_EQ(0, tcp_connect(&c, AF_INET));
	ASSERT_EQ(0, tcp_connect(&c6, AF_INET6));

	len = sizeof(ss);
	WSASetLastError(0xdead);
	ASSERT_EQ(0, ws_getpeername(c.client, (struct sockaddr *)&ss, &len));
	EXPECT_EQ(0, WSAGetLastError());
	EXPECT_EQ(16, len);
	EXPECT_EQ(WS_AF_INET, ss.ss_family);
	EXPECT_EQ(0, memcmp(&ss, &c.lname, 16));

	len = sizeof(ss);
	ASSERT_EQ(0, ws_getpeername(c6.client, (struct sockaddr *)&ss, &len));
	EXPECT_EQ(28, len);
	EXPECT_EQ(WS_AF_INET6, sin6->sin6_family);
	EXPECT_EQ(((struct sockaddr_in6 *)&c6.lname)->sin6_port, sin6->sin6_port);

	len = sizeof(ss);
	EXPECT_EQ(SOCKET_ERROR, ws_getpeername(c.listener, (struct sockaddr *)&ss, &len));
	EXPECT_EQ(WSAENOTCONN, WSAGetLastError());
	EXPECT_EQ(SOCKET_ERROR, ws_getpeername(INVALID_SOCKET, NULL, NULL));
	EXPECT_EQ(WSAENOTSOCK, WSAGetLastError());
	len = 15;
	EXPECT_EQ(SOCKET_ERROR, ws_getpeername(c.client, (struct sockaddr *)&ss, &len));
	EXPECT_EQ(WSAEFAULT, WSAGetLastError());
	EXPECT_EQ(15, len);

	EXPECT_EQ(0, WSACleanup());
	EXPECT_EQ(SOCKET_ERROR, ws_getpeername(c.client, (struct sockaddr *)&ss, &len));
	EXPECT_EQ(WSANOTINITIALISED, WSAGetLastError());
	tcp_close(&c);
	tcp_close(&c6);
}

TEST_HARNESS_MAIN
