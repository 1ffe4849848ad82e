// SPDX-License-Identifier: GPL-2.0
/*
 * Every byte the kernel copies to userspace is intended.  Output buffers
 * are filled with two different patterns in turn (so that a byte left
 * alone cannot pass as a byte written with the pattern's value), and each
 * byte is checked against what the ABI documents: the value, zero padding,
 * or untouched.  WSADATA in 64- and 32-bit processes, the Windows and the
 * native layouts of every family, and batch entries.
 */
#include <stddef.h>

#include "kselftest_harness.h"
#include "helpers.h"
#include <winsock/winsock2.h>

static const unsigned char patterns[] = { 0xa5, 0x5a };

#define FOR_EACH_PATTERN(p)						\
	for (size_t _i = 0; _i < sizeof(patterns) &&			\
	     ((p) = patterns[_i], 1); _i++)

/* Bytes [from, to) of @buf must all be @v. */
static int all_bytes(const unsigned char *buf, size_t from, size_t to,
		     unsigned char v)
{
	for (size_t i = from; i < to; i++)
		if (buf[i] != v)
			return (int)i;
	return -1;
}

/*
 * WSADATA, at the offsets Windows has, whatever the library header says:
 * the version words, iMaxSockets and iMaxUdpDg (1.1 values, so that they
 * are not zero), both strings zero-padded to their full arrays;
 * lpVendorInfo, the alignment holes and everything past the structure are
 * never touched.  Win64 (408 bytes): wVersion, wHighVersion, iMaxSockets,
 * iMaxUdpDg, lpVendorInfo at 8, szDescription at 16, szSystemStatus at
 * 273.  Win32 (400 bytes): wVersion, wHighVersion, szDescription at 4,
 * szSystemStatus at 261, iMaxSockets at 390, iMaxUdpDg at 392, two bytes
 * of padding, lpVendorInfo at 396.
 */
TEST(wsadata_every_byte)
{
#ifdef __LP64__
	const size_t desc = 16, status = 273, shorts = 4, end = 408;
	const size_t holes[][2] = { { 8, 16 }, { 402, 408 } };
#else
	const size_t desc = 4, status = 261, shorts = 390, end = 400;
	const size_t holes[][2] = { { 394, 400 } };
#endif
	static const unsigned char head[] = { 0x01, 0x01, 0x02, 0x02 };
	static const unsigned char maxes[] = { 0xff, 0x7f, 0xbb, 0xff };
	unsigned char buf[512];
	unsigned char p;
	size_t i;
	int dev;

	ASSERT_EQ(end, sizeof(WSADATA));	/* the header agrees */
	FOR_EACH_PATTERN(p) {
		dev = open(WINSOCK_DEVICE_PATH, O_RDWR);
		ASSERT_LE(0, dev);
		memset(buf, p, sizeof(buf));
		ASSERT_EQ(0, ws_raw_startup(dev, 0x0101, buf, NULL));
		EXPECT_EQ(0, memcmp(buf, head, 4));
		EXPECT_EQ(0, memcmp(buf + shorts, maxes, 4));	/* 32767, 65467 */
		EXPECT_EQ(0, strcmp((char *)buf + desc, "WinSock 2.0"));
		EXPECT_EQ(-1, all_bytes(buf, desc + 11, desc + 257, 0));
		EXPECT_EQ(0, strcmp((char *)buf + status, "Running"));
		EXPECT_EQ(-1, all_bytes(buf, status + 7, status + 129, 0));
		for (i = 0; i < sizeof(holes) / sizeof(holes[0]); i++)
			EXPECT_EQ(-1, all_bytes(buf, holes[i][0], holes[i][1], p));
		EXPECT_EQ(-1, all_bytes(buf, end, sizeof(buf), p));
		close(dev);
	}
}

/*
 * Leave non-zero bytes on the kernel stack where the next lookup keeps its
 * address: look up a peer with a 107-byte abstract name first.  Without
 * this, storage the module forgot to clear could pass by being zero.
 * (Debian's kernels are built with INIT_STACK_ALL_ZERO, which zeroes the
 * module's stack variables too: there a forgotten clear cannot show, and
 * this matters for kernels built without it.)
 */
/* A unix client whose peer's name fills sun_path: an abstract name of 'Z's. */
static int stain_open(struct unix_conn *s)
{
	char name[sizeof(s->name.sun_path)];

	memset(name, 'Z', sizeof(name));
	name[0] = 0;
	return unix_connect(s, SOCK_STREAM, name, sizeof(name));
}

static void stain(int dev, const struct unix_conn *s)
{
	unsigned char buf[256];
	int len = sizeof(buf);

	ws_raw_getpeername(dev, s->client, buf, &len, WINSOCK_GPN_NATIVE);
}

static struct unix_conn stain_socks;

/*
 * The Windows layouts, byte by byte: SOCKADDR_IN's sin_zero and
 * SOCKADDR_IN6's flowinfo and scope are zero for a loopback peer,
 * SOCKADDR_UN is zero after the path up to its 110 bytes; nothing after
 * the structure is written.
 */
static void check_windows(struct __test_metadata *_metadata, int dev, int fd,
			  const struct sockaddr_storage *native, socklen_t nlen)
{
	unsigned char buf[256], want[256], p;
	int len, size;

	memset(want, 0, sizeof(want));
	memcpy(want, native, nlen);
	switch (native->ss_family) {
	case AF_INET:
		size = 16;
		break;
	case AF_INET6:
		size = 28;
		want[0] = 23;
		want[1] = 0;
		break;
	default:
		size = 110;
		want[0] = 1;
		want[1] = 0;
		break;
	}
	FOR_EACH_PATTERN(p) {
		memset(buf, p, sizeof(buf));
		len = sizeof(buf);
		stain(dev, &stain_socks);
		ASSERT_EQ(0, ws_raw_getpeername(dev, fd, buf, &len, 0));
		ASSERT_EQ(size, len);
		EXPECT_EQ(0, memcmp(buf, want, size));
		EXPECT_EQ(-1, all_bytes(buf, size, sizeof(buf), p));
	}
}

/* The native layout is exactly Linux's bytes and length, nothing more. */
static void check_native(struct __test_metadata *_metadata, int dev, int fd)
{
	unsigned char buf[256], lin[256], p;
	socklen_t llen = sizeof(lin);
	int len;

	memset(lin, 0, sizeof(lin));
	ASSERT_EQ(0, getpeername(fd, (struct sockaddr *)lin, &llen));
	FOR_EACH_PATTERN(p) {
		memset(buf, p, sizeof(buf));
		len = sizeof(buf);
		stain(dev, &stain_socks);
		ASSERT_EQ(0, ws_raw_getpeername(dev, fd, buf, &len, WINSOCK_GPN_NATIVE));
		ASSERT_EQ((int)llen, len);
		EXPECT_EQ(0, memcmp(buf, lin, llen));
		EXPECT_EQ(-1, all_bytes(buf, llen, sizeof(buf), p));
	}
}

TEST(layouts_every_family)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct sockaddr_storage peer;
	struct tcp_conn c4, c6;
	socklen_t plen;
	struct unix_conn u;
	int dev, a, b, sv[2];

	dev = ws_open_started(0x0202);
	ASSERT_LE(0, dev);
	ASSERT_EQ(0, stain_open(&stain_socks));
	ASSERT_EQ(0, tcp_connect(&c4, AF_INET));
	ASSERT_EQ(0, tcp_connect(&c6, AF_INET6));
	check_windows(_metadata, dev, c4.client, &c4.lname, c4.llen);
	check_windows(_metadata, dev, c6.client, &c6.lname, c6.llen);
	check_native(_metadata, dev, c4.client);
	check_native(_metadata, dev, c6.server);

	/* A named AF_UNIX peer, and an unnamed one. */
	snprintf(sun.sun_path, sizeof(sun.sun_path), "/tmp/infoleak.%d", getpid());
	ASSERT_EQ(0, unix_connect(&u, SOCK_STREAM, sun.sun_path, sizeof(sun.sun_path)));
	a = u.client;
	b = u.server;
	plen = sizeof(peer);
	memset(&peer, 0, sizeof(peer));
	ASSERT_EQ(0, getpeername(a, (struct sockaddr *)&peer, &plen));
	check_windows(_metadata, dev, a, &peer, plen);
	check_native(_metadata, dev, a);
	plen = sizeof(peer);
	memset(&peer, 0, sizeof(peer));
	ASSERT_EQ(0, getpeername(b, (struct sockaddr *)&peer, &plen));
	check_windows(_metadata, dev, b, &peer, plen);
	check_native(_metadata, dev, b);
	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_DGRAM, 0, sv));
	check_native(_metadata, dev, sv[0]);

	unix_conn_close(&u);
	close(sv[0]);
	close(sv[1]);
	tcp_close(&c4);
	tcp_close(&c6);
	close(dev);
}

/*
 * A batch entry: the kernel writes result, namelen (on success) and the
 * address; the socket, flags, reserved field and the storage past the
 * address keep the caller's bytes.
 */
TEST(batch_entry_every_byte)
{
	const size_t name = offsetof(struct winsock_peer_entry, name);
	struct winsock_peer_entry e[2], before[2];
	unsigned char *b, *o, p;
	struct tcp_conn c;
	int dev;

	dev = ws_open_started(0x0202);
	ASSERT_LE(0, dev);
	ASSERT_EQ(0, tcp_connect(&c, AF_INET));
	FOR_EACH_PATTERN(p) {
		memset(e, p, sizeof(e));
		e[0].socket = c.client;
		e[0].flags = 0;
		e[0].namelen = sizeof(e[0].name);
		e[0].reserved = 0;
		e[1] = e[0];
		e[1].socket = ~0ULL;		/* WSAENOTSOCK */
		memcpy(before, e, sizeof(e));
		ASSERT_EQ(0, ws_raw_batch(dev, e, 2));
		EXPECT_EQ(0, e[0].result);
		EXPECT_EQ(16, e[0].namelen);
		EXPECT_EQ(WINSOCK_WSAENOTSOCK, e[1].result);
		/* The second entry: only result changed. */
		EXPECT_EQ(before[1].namelen, e[1].namelen);
		b = (unsigned char *)&e[1];
		o = (unsigned char *)&before[1];
		EXPECT_EQ(0, memcmp(b, o, offsetof(struct winsock_peer_entry, namelen)));
		EXPECT_EQ(-1, all_bytes(b, name, sizeof(e[1]), p));
		/* The first: head untouched but namelen and result. */
		b = (unsigned char *)&e[0];
		o = (unsigned char *)&before[0];
		EXPECT_EQ(0, memcmp(b, o, offsetof(struct winsock_peer_entry, namelen)));
		EXPECT_EQ(0, memcmp(&e[0].reserved, &before[0].reserved, sizeof(e[0].reserved)));
		EXPECT_EQ(0, memcmp(e[0].name, &c.lname, 16));
		EXPECT_EQ(-1, all_bytes(b, name + 16, sizeof(e[0]), p));
	}
	tcp_close(&c);
	close(dev);
}

TEST_HARNESS_MAIN
