// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Host-side tests of libwinsock: what holds without the kernel module (the
 * host kernel cannot load it).  The guest selftests cover the rest.
 */
#include <pthread.h>
#include <stddef.h>
#include <sys/stat.h>

#include "kselftest_harness.h"

#define WINSOCK_API_NAMES
#include <winsock/winsock2.h>

/* The ABI is the same for 32- and 64-bit processes. */
_Static_assert(sizeof(struct winsock_startup) == 24, "startup layout");
_Static_assert(sizeof(struct winsock_cleanup) == 8, "cleanup layout");
_Static_assert(sizeof(struct winsock_getpeername) == 32, "getpeername layout");
_Static_assert(offsetof(struct winsock_getpeername, flags) == 24, "flags offset");

/* WSADATA in the Windows order of the process's ABI: Win64 or Win32. */
#ifdef __LP64__
_Static_assert(offsetof(WSADATA, iMaxUdpDg) == 6, "WSADATA head");
_Static_assert(offsetof(WSADATA, lpVendorInfo) == 8, "lpVendorInfo");
_Static_assert(offsetof(WSADATA, szDescription) == 16, "szDescription");
_Static_assert(offsetof(WSADATA, szSystemStatus) == 273, "szSystemStatus");
_Static_assert(sizeof(WSADATA) == 408, "Win64 WSADATA");
#else
_Static_assert(offsetof(WSADATA, szDescription) == 4, "szDescription");
_Static_assert(offsetof(WSADATA, szSystemStatus) == 261, "szSystemStatus");
_Static_assert(offsetof(WSADATA, iMaxSockets) == 390, "iMaxSockets");
_Static_assert(offsetof(WSADATA, iMaxUdpDg) == 392, "iMaxUdpDg");
_Static_assert(offsetof(WSADATA, lpVendorInfo) == 396, "lpVendorInfo");
_Static_assert(sizeof(WSADATA) == 400, "Win32 WSADATA");
#endif
_Static_assert(sizeof(SOCKET) == sizeof(void *), "SOCKET is pointer-sized");

/*
 * The names the library's files share cannot be hidden in libwinsock.a;
 * they carry the library's prefix, so a program may use the short ones.
 * (With ws_device_fd and ws_request as link names, this file would not
 * link.)
 */
int ws_device_fd = 42;
int ws_request(unsigned long cmd, void *req);

int ws_request(unsigned long cmd, void *req)
{
	(void)cmd;
	(void)req;
	return 42;
}

TEST(internal_names_are_free)
{
	struct sockaddr_storage ss;
	int len = sizeof(ss);

	EXPECT_EQ(SOCKET_ERROR, ws_getpeername(0, (struct sockaddr *)&ss, &len));
	EXPECT_EQ(42, ws_device_fd);
	EXPECT_EQ(42, ws_request(0, NULL));
}

TEST(word_macros)
{
	EXPECT_EQ(0x0202, MAKEWORD(2, 2));
	EXPECT_EQ(0x0101, MAKEWORD(1, 1));
	EXPECT_EQ(0x3412, MAKEWORD(0x12, 0x34));
	EXPECT_EQ(0x12, LOBYTE(0x3412));
	EXPECT_EQ(0x34, HIBYTE(0x3412));
	EXPECT_EQ(-1, SOCKET_ERROR);
	EXPECT_EQ((SOCKET)~(uintptr_t)0, INVALID_SOCKET);
}

TEST(windows_values)
{
	EXPECT_EQ(0, WS_AF_UNSPEC);
	EXPECT_EQ(1, WS_AF_UNIX);
	EXPECT_EQ(2, WS_AF_INET);
	EXPECT_EQ(23, WS_AF_INET6);
	EXPECT_EQ(10014, WSAEFAULT);
	EXPECT_EQ(10036, WSAEINPROGRESS);
	EXPECT_EQ(10038, WSAENOTSOCK);
	EXPECT_EQ(10050, WSAENETDOWN);
	EXPECT_EQ(10057, WSAENOTCONN);
	EXPECT_EQ(10093, WSANOTINITIALISED);
	EXPECT_EQ(WINSOCK_WSAEFAULT, WSAEFAULT);
	EXPECT_EQ(WINSOCK_WSANOTINITIALISED, WSANOTINITIALISED);
}

/* The library reports the tree's VERSION, as the module's modinfo does. */
TEST(version_matches_tree)
{
	char want[64] = "";
	FILE *f = fopen("VERSION", "r");

	ASSERT_NE(NULL, f);
	ASSERT_NE(NULL, fgets(want, sizeof(want), f));
	fclose(f);
	want[strcspn(want, "\n")] = 0;
	snprintf(want + strlen(want), sizeof(want) - strlen(want), " (ABI %d)",
		 WINSOCK_ABI_VERSION);
	EXPECT_STREQ(want, ws_version());
}

TEST(api_names_macro)
{
	struct sockaddr_storage ss;
	int len = sizeof(ss);

	/* With WINSOCK_API_NAMES, the Windows spelling is ws_getpeername. */
	WSASetLastError(0);
	EXPECT_EQ(SOCKET_ERROR, getpeername(0, (struct sockaddr *)&ss, &len));
	EXPECT_EQ(WSANOTINITIALISED, WSAGetLastError());
}

TEST(not_initialised_before_startup)
{
	struct sockaddr_storage ss;
	int len = sizeof(ss);

	WSASetLastError(12345);
	EXPECT_EQ(SOCKET_ERROR, ws_getpeername(0, (struct sockaddr *)&ss, &len));
	EXPECT_EQ(WSANOTINITIALISED, WSAGetLastError());
	EXPECT_EQ(sizeof(ss), (size_t)len);

	WSASetLastError(12345);
	EXPECT_EQ(SOCKET_ERROR, WSACleanup());
	EXPECT_EQ(WSANOTINITIALISED, WSAGetLastError());
}

TEST(startup_without_device)
{
	struct stat st;
	WSADATA data;

	if (stat(WINSOCK_DEVICE_PATH, &st) == 0)
		SKIP(return, "%s exists on this host", WINSOCK_DEVICE_PATH);
	memset(&data, 0xcc, sizeof(data));
	EXPECT_EQ(WSASYSNOTREADY, WSAStartup(MAKEWORD(2, 2), &data));
	/* Nothing was negotiated: WSADATA is not written. */
	EXPECT_EQ(0xcccc, data.wVersion);
	EXPECT_EQ(SOCKET_ERROR, WSACleanup());
	EXPECT_EQ(WSANOTINITIALISED, WSAGetLastError());
}

static void *other_thread(void *arg)
{
	int *seen = arg;

	seen[0] = WSAGetLastError();
	WSASetLastError(WSAENOTCONN);
	seen[1] = WSAGetLastError();
	return NULL;
}

TEST(last_error_is_per_thread)
{
	int seen[2] = { -1, -1 };
	pthread_t t;

	WSASetLastError(WSAEFAULT);
	ASSERT_EQ(0, pthread_create(&t, NULL, other_thread, seen));
	ASSERT_EQ(0, pthread_join(t, NULL));
	EXPECT_EQ(0, seen[0]);
	EXPECT_EQ(WSAENOTCONN, seen[1]);
	EXPECT_EQ(WSAEFAULT, WSAGetLastError());
}

TEST_HARNESS_MAIN
