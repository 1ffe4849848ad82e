// SPDX-License-Identifier: GPL-2.0
/*
 * IPV6_ADDRFORM turns an IPv6 socket connected to an IPv4-mapped peer
 * into an IPv4 socket: its sock->ops change under a running lookup.  The
 * module must read them once and take the layout from the family the
 * protocol's getname returned, so that every answer is one the socket
 * really had: SOCKADDR_IN6 ::ffff:127.0.0.1 (before) or SOCKADDR_IN
 * 127.0.0.1 (after), never a SOCKADDR_IN6 holding IPv4 data.
 */
#include <netinet/in.h>
#include <pthread.h>

#include "kselftest_harness.h"
#include "helpers.h"
#include <winsock/winsock2.h>

#define RUN_MS		4000
#define FIXED_FD	900

struct race {
	uint32_t flags;
	uint16_t port;		/* network order */
	int stop;
	long v6, v4, nofd, notconn, torn, other;
	unsigned char torn_bytes[32];
};

static void classify(struct race *r, const unsigned char *b, int len)
{
	static const unsigned char mapped[16] = {
		[10] = 0xff, [11] = 0xff, [12] = 127, [15] = 1,
	};
	bool native = r->flags & WINSOCK_GPN_NATIVE;
	const struct sockaddr_in6 *s6 = (const void *)b;
	const struct sockaddr_in *s4 = (const void *)b;
	static const unsigned char zero[8];

	if (len == 28 && s6->sin6_family == (native ? AF_INET6 : 23) &&
	    s6->sin6_port == r->port && !s6->sin6_flowinfo && !s6->sin6_scope_id &&
	    !memcmp(&s6->sin6_addr, mapped, 16)) {
		r->v6++;
	} else if (len == 16 && s4->sin_family == AF_INET && s4->sin_port == r->port &&
		   s4->sin_addr.s_addr == htonl(INADDR_LOOPBACK) &&
		   !memcmp(s4->sin_zero, zero, 8)) {
		r->v4++;
	} else {
		if (!r->torn++)
			memcpy(r->torn_bytes, b, sizeof(r->torn_bytes));
	}
}

static void *lookups(void *arg)
{
	struct race *r = arg;
	unsigned char buf[128];
	int dev = ws_open_started(MAKEWORD(2, 2));
	int len, rc;

	if (dev < 0)
		return (void *)1;
	while (!__atomic_load_n(&r->stop, __ATOMIC_RELAXED)) {
		len = sizeof(buf);
		memset(buf, POISON, sizeof(buf));
		rc = ws_raw_getpeername(dev, FIXED_FD, buf, &len, r->flags);
		if (!rc)
			classify(r, buf, len);
		else if (rc == WINSOCK_WSAENOTSOCK)
			r->nofd++;	/* before the first dup2 */
		else if (rc == WINSOCK_WSAENOTCONN)
			r->notconn++;
		else
			r->other++;
	}
	close(dev);
	return NULL;
}

static void run_race(struct __test_metadata *_metadata, uint32_t flags)
{
	struct sockaddr_in6 peer = { .sin6_family = AF_INET6 };
	struct sockaddr_storage ss;
	struct race r = { .flags = flags };
	int u4, s, form = AF_INET;
	long conversions = 0;
	uint64_t end;
	pthread_t t;
	void *ret;

	/* The peer: a UDP socket on 127.0.0.1 (a connected UDP socket needs no server). */
	u4 = loopback_socket(AF_INET, SOCK_DGRAM);
	ASSERT_LE(0, u4);
	ASSERT_LT(0, local_name(u4, &ss));
	r.port = ((struct sockaddr_in *)&ss)->sin_port;
	peer.sin6_port = r.port;
	inet_pton(AF_INET6, "::ffff:127.0.0.1", &peer.sin6_addr);

	ASSERT_EQ(0, pthread_create(&t, NULL, lookups, &r));
	end = now_ms() + RUN_MS;
	while (now_ms() < end) {
		s = socket(AF_INET6, SOCK_DGRAM, 0);
		ASSERT_LE(0, s);
		ASSERT_EQ(0, connect(s, (struct sockaddr *)&peer, sizeof(peer)));
		ASSERT_EQ(FIXED_FD, dup2(s, FIXED_FD));
		close(s);
		/* Give the lookups a moment with the IPv6 form, then convert. */
		for (volatile int spin = 0; spin < (int)(conversions % 5000); spin++)
			;
		ASSERT_EQ(0, setsockopt(FIXED_FD, IPPROTO_IPV6, IPV6_ADDRFORM,
					&form, sizeof(form)));
		conversions++;
	}
	__atomic_store_n(&r.stop, 1, __ATOMIC_RELAXED);
	ASSERT_EQ(0, pthread_join(t, &ret));
	ASSERT_EQ(NULL, ret);
	close(FIXED_FD);
	close(u4);
	TH_LOG("%ld conversions: %ld IPv6 answers, %ld IPv4, %ld torn, %ld other",
	       conversions, r.v6, r.v4, r.torn, r.other);
	if (r.torn) {
		char hex[3 * 32 + 1];

		for (int i = 0; i < 32; i++)
			sprintf(hex + 3 * i, "%02x ", r.torn_bytes[i]);
		TH_LOG("first torn answer: %s", hex);
	}
	EXPECT_EQ(0, r.torn);
	EXPECT_EQ(0, r.other);
	EXPECT_EQ(0, r.notconn);
	/* Both forms were seen: the lookups really ran across conversions. */
	EXPECT_LT(0, r.v6);
	EXPECT_LT(0, r.v4);
}

TEST(addrform_windows_layout)
{
	int dev = ws_open_started(MAKEWORD(2, 2));

	if (dev < 0)
		SKIP(return, "module not loaded");
	close(dev);
	run_race(_metadata, 0);
}

TEST(addrform_native_layout)
{
	int dev = ws_open_started(MAKEWORD(2, 2));

	if (dev < 0)
		SKIP(return, "module not loaded");
	close(dev);
	run_race(_metadata, WINSOCK_GPN_NATIVE);
}

TEST_HARNESS_MAIN
