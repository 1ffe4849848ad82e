// SPDX-License-Identifier: GPL-2.0
/*
 * WSAStartup / WSACleanup: Windows' version negotiation table, the WSADATA
 * contents (also on failure), the startup reference count, and bad
 * requests.  Both through the raw ioctls and through libwinsock.
 */
#include <linux/userfaultfd.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stddef.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/wait.h>

#include "kselftest_harness.h"
#include "helpers.h"
#include <winsock/winsock2.h>

#define VENDOR_POISON ((char *)(uintptr_t)0xdeadbeef)

/* From Wine's protocol.c test_startup, which records Windows. */
static const struct {
	WORD requested;
	int result;
	WORD version;
} versions[] = {
	{ MAKEWORD(0, 0),    WSAVERNOTSUPPORTED, MAKEWORD(2, 2) },
	{ MAKEWORD(0, 1),    WSAVERNOTSUPPORTED, MAKEWORD(2, 2) },
	{ MAKEWORD(1, 0),    0, MAKEWORD(1, 0) },
	{ MAKEWORD(1, 1),    0, MAKEWORD(1, 1) },
	{ MAKEWORD(1, 2),    0, MAKEWORD(1, 1) },
	{ MAKEWORD(1, 0xff), 0, MAKEWORD(1, 1) },
	{ MAKEWORD(2, 0),    0, MAKEWORD(2, 0) },
	{ MAKEWORD(2, 1),    0, MAKEWORD(2, 1) },
	{ MAKEWORD(2, 2),    0, MAKEWORD(2, 2) },
	{ MAKEWORD(2, 3),    0, MAKEWORD(2, 2) },
	{ MAKEWORD(2, 0xff), 0, MAKEWORD(2, 2) },
	{ MAKEWORD(3, 0),    0, MAKEWORD(2, 2) },
	{ MAKEWORD(0xff, 0), 0, MAKEWORD(2, 2) },
};

static void check_wsadata(struct __test_metadata *_metadata,
			  const WSADATA *d, WORD requested, WORD version)
{
	bool v1 = LOBYTE(requested) == 1;
	size_t i;

	EXPECT_EQ(version, d->wVersion);
	EXPECT_EQ(0x0202, d->wHighVersion);
	EXPECT_EQ(v1 ? 32767 : 0, d->iMaxSockets);
	EXPECT_EQ(v1 ? 65467 : 0, d->iMaxUdpDg);
	EXPECT_EQ(VENDOR_POISON, d->lpVendorInfo);	/* never written */
	EXPECT_STREQ("WinSock 2.0", d->szDescription);
	EXPECT_STREQ("Running", d->szSystemStatus);
	/* The rest of the strings is zero-filled: no stale bytes. */
	for (i = strlen(d->szDescription); i < sizeof(d->szDescription); i++)
		ASSERT_EQ(0, d->szDescription[i]);
	for (i = strlen(d->szSystemStatus); i < sizeof(d->szSystemStatus); i++)
		ASSERT_EQ(0, d->szSystemStatus[i]);
}

static void poison_wsadata(WSADATA *d)
{
	memset(d, 0xcc, sizeof(*d));
	d->lpVendorInfo = VENDOR_POISON;
}

FIXTURE(handle) {
	int dev;
};

FIXTURE_SETUP(handle)
{
	self->dev = open(WINSOCK_DEVICE_PATH, O_RDWR | O_CLOEXEC);
	if (self->dev < 0)
		SKIP(return, "%s: %s (module not loaded)", WINSOCK_DEVICE_PATH, strerror(errno));
}

FIXTURE_TEARDOWN(handle)
{
	if (self->dev >= 0)
		close(self->dev);
}

TEST_F(handle, negotiation_table_raw)
{
	struct winsock_startup out;
	unsigned int startups;
	WSADATA d;
	size_t i;

	for (i = 0; i < sizeof(versions) / sizeof(versions[0]); i++) {
		WORD req = versions[i].requested;

		TH_LOG("requested %#06x", req);
		poison_wsadata(&d);
		EXPECT_EQ(versions[i].result, ws_raw_startup(self->dev, req, &d, &out));
		EXPECT_EQ(versions[i].version, out.version);
		EXPECT_EQ(0x0202, out.high_version);
		check_wsadata(_metadata, &d, req, versions[i].version);
		if (!versions[i].result) {
			EXPECT_EQ(1, out.startups);
			/* Nested: every startup needs its cleanup. */
			EXPECT_EQ(0, ws_raw_startup(self->dev, req, &d, &out));
			EXPECT_EQ(2, out.startups);
			EXPECT_EQ(0, ws_raw_cleanup(self->dev, &startups));
			EXPECT_EQ(1, startups);
			EXPECT_EQ(0, ws_raw_cleanup(self->dev, &startups));
			EXPECT_EQ(0, startups);
		} else {
			EXPECT_EQ(0, out.startups);
		}
		/* One cleanup too many; a failed startup counted nothing. */
		EXPECT_EQ(WINSOCK_WSANOTINITIALISED, ws_raw_cleanup(self->dev, &startups));
		EXPECT_EQ(0, startups);
		/* NULL WSADATA: the version is checked first. */
		EXPECT_EQ(versions[i].result ? WSAVERNOTSUPPORTED : WSAEFAULT,
			  ws_raw_startup(self->dev, req, NULL, &out));
		EXPECT_EQ(0, out.startups);
	}
}

TEST_F(handle, wild_wsadata_is_wsaefault)
{
	struct winsock_startup out;
	void *ro = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	ASSERT_NE(MAP_FAILED, ro);
	EXPECT_EQ(WSAEFAULT, ws_raw_startup(self->dev, 0x0202, (void *)(uintptr_t)0xdead0000, &out));
	EXPECT_EQ(0, out.startups);
	EXPECT_EQ(WSAEFAULT, ws_raw_startup(self->dev, 0x0202, ro, &out));
	EXPECT_EQ(0, out.startups);
	/* A kernel address is not the caller's memory. */
	EXPECT_EQ(WSAEFAULT, ws_raw_startup(self->dev, 0x0202,
					    (void *)(uintptr_t)~0xfffUL, &out));
	EXPECT_EQ(WINSOCK_WSANOTINITIALISED, ws_raw_cleanup(self->dev, NULL));
	munmap(ro, 4096);
}

/*
 * A STARTUP or CLEANUP whose answer cannot be written back (the request in
 * read-only memory) fails with EFAULT and changes nothing: not even for a
 * moment, for lookups running at the same time, which read the count
 * without the handle's lock.  (Found by fuzz_test: the count used to be
 * raised, then lowered again on the fault.)
 */
struct failing_requests {
	int dev;
	unsigned long cmd;
	volatile int stop;
	long efault, other;
};

static void *fail_requests(void *arg)
{
	struct failing_requests *f = arg;
	struct winsock_startup st = { .version_requested = 0x0202 };
	static char wsadata[512];
	void *ro = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
			MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (ro == MAP_FAILED)
		return NULL;
	st.wsadata = (uintptr_t)wsadata;
	if (f->cmd == WINSOCK_IOC_STARTUP)
		memcpy(ro, &st, sizeof(st));
	else
		memset(ro, 0, sizeof(struct winsock_cleanup));
	mprotect(ro, 4096, PROT_READ);
	while (!f->stop) {
		if (ioctl(f->dev, f->cmd, ro) == -1 && errno == EFAULT)
			__atomic_add_fetch(&f->efault, 1, __ATOMIC_RELAXED);
		else
			f->other++;
	}
	munmap(ro, 4096);
	return NULL;
}

static int lookups_while_failing(int dev, unsigned long cmd, int want)
{
	struct failing_requests f = { .dev = dev, .cmd = cmd };
	struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons(9) };
	char name[128];
	int sock, len, i, wrong = 0;
	uint64_t end;
	pthread_t t;

	to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sock = connected_socket(AF_INET, SOCK_DGRAM, &to, sizeof(to));
	if (sock < 0 || pthread_create(&t, NULL, fail_requests, &f))
		return -1;
	/*
	 * At least 50 000 lookups, and on until the other thread has failed
	 * 1000 times: a guest on a busy host may run it late (10 s at most).
	 */
	end = now_ms() + 10000;
	for (i = 0; i < 50000 || (__atomic_load_n(&f.efault, __ATOMIC_RELAXED) < 1000 &&
				  now_ms() < end); i++) {
		len = sizeof(name);
		if (ws_raw_getpeername(dev, sock, name, &len, 0) != want)
			wrong++;
	}
	f.stop = 1;
	pthread_join(t, NULL);
	close(sock);
	/* The failing thread really did fail, and only with EFAULT. */
	if (f.efault >= 1000 && !f.other)
		return wrong;
	ksft_print_msg("%d lookups; the failing thread: %ld EFAULT, %ld other\n",
		       i, f.efault, f.other);
	return -1;
}

TEST_F(handle, failed_requests_are_never_visible)
{
	char wsadata[512];
	unsigned int n;

	/* Never started: lookups stay WSANOTINITIALISED. */
	EXPECT_EQ(0, lookups_while_failing(self->dev, WINSOCK_IOC_STARTUP,
					   WINSOCK_WSANOTINITIALISED));
	EXPECT_EQ(WINSOCK_WSANOTINITIALISED, ws_raw_cleanup(self->dev, NULL));
	/* Started once: lookups keep succeeding. */
	ASSERT_EQ(0, ws_raw_startup(self->dev, 0x0202, wsadata, NULL));
	EXPECT_EQ(0, lookups_while_failing(self->dev, WINSOCK_IOC_CLEANUP, 0));
	EXPECT_EQ(0, ws_raw_cleanup(self->dev, &n));
	EXPECT_EQ(0, n);
}

/*
 * A STARTUP whose answer goes to a page that faults (here write-protected
 * by userfaultfd, as a page on a stalled file system would be) sleeps in
 * the fault while it holds the handle's lock.  Another process sharing
 * the handle that then calls STARTUP or CLEANUP waits for the lock: it
 * must stay killable, not sleep uninterruptibly until someone else's
 * page arrives.
 */
struct held_startup {
	int dev, rc;
	void *req;
};

static void *held_startup_call(void *arg)
{
	struct held_startup *h = arg;

	h->rc = ws_raw_ioctl(h->dev, WINSOCK_IOC_STARTUP, h->req);
	return NULL;
}

static bool reaped_within(pid_t pid, int ms)
{
	int status;

	for (; ms > 0; ms -= 10) {
		if (waitpid(pid, &status, WNOHANG) == pid)
			return true;
		usleep(10000);
	}
	return false;
}

TEST_F(handle, waiters_for_the_lock_are_killable)
{
	struct uffdio_api api = { .api = UFFD_API };
	struct uffdio_register reg = { 0 };
	struct uffdio_writeprotect wp = { 0 };
	struct winsock_startup st = { .version_requested = 0x0202 };
	struct held_startup h = { .dev = self->dev };
	long pg = sysconf(_SC_PAGESIZE);
	static char data[512];
	struct uffd_msg msg;
	struct pollfd pfd;
	int uffd, cmd, status;
	bool killed;
	pthread_t t;
	pid_t pid;

	uffd = syscall(SYS_userfaultfd, O_CLOEXEC);
	if (uffd < 0)
		SKIP(return, "userfaultfd: %s", strerror(errno));
	ASSERT_EQ(0, ioctl(uffd, UFFDIO_API, &api));
	h.req = mmap(NULL, pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, h.req);
	st.wsadata = (uintptr_t)data;
	memcpy(h.req, &st, sizeof(st));
	reg.range.start = (uintptr_t)h.req;
	reg.range.len = pg;
	reg.mode = UFFDIO_REGISTER_MODE_WP;
	if (ioctl(uffd, UFFDIO_REGISTER, &reg))
		SKIP(return, "userfaultfd write-protect: %s", strerror(errno));
	wp.range = reg.range;
	wp.mode = UFFDIO_WRITEPROTECT_MODE_WP;
	ASSERT_EQ(0, ioctl(uffd, UFFDIO_WRITEPROTECT, &wp));

	/* The request is readable; writing its answer faults, lock held. */
	ASSERT_EQ(0, pthread_create(&t, NULL, held_startup_call, &h));
	pfd.fd = uffd;
	pfd.events = POLLIN;
	ASSERT_EQ(1, poll(&pfd, 1, 10000));
	ASSERT_EQ(sizeof(msg), (size_t)read(uffd, &msg, sizeof(msg)));
	ASSERT_EQ(UFFD_EVENT_PAGEFAULT, msg.event);

	for (cmd = 0; cmd < 2; cmd++) {
		pid = fork();
		ASSERT_LE(0, pid);
		if (!pid) {
			if (cmd)
				ws_raw_cleanup(self->dev, NULL);
			else
				ws_raw_startup(self->dev, 0x0202, data, NULL);
			_exit(0);
		}
		usleep(200000);	/* let it reach the lock */
		ASSERT_EQ(0, kill(pid, SIGKILL));
		killed = reaped_within(pid, 3000);
		EXPECT_TRUE(killed) TH_LOG("%s waiter not killable",
					   cmd ? "CLEANUP" : "STARTUP");
		if (!killed)
			break;
	}

	/* Let the page be written: the held call completes normally. */
	wp.mode = 0;
	ASSERT_EQ(0, ioctl(uffd, UFFDIO_WRITEPROTECT, &wp));
	ASSERT_EQ(0, pthread_join(t, NULL));
	EXPECT_EQ(0, h.rc);
	EXPECT_EQ(1, ((struct winsock_startup *)h.req)->startups);
	if (!killed)
		EXPECT_EQ(pid, waitpid(pid, &status, 0));
	munmap(h.req, pg);
	close(uffd);
}

TEST_F(handle, bad_requests)
{
	struct winsock_startup s = { .version_requested = 0x0202 };
	struct winsock_cleanup c = { .reserved = 1 };
	struct winsock_getpeername g = { .reserved = 1 };
	WSADATA d;
	void *ro;

	s.wsadata = (uintptr_t)&d;
	s.pad = 1;
	EXPECT_EQ(-EINVAL, ws_raw_ioctl(self->dev, WINSOCK_IOC_STARTUP, &s));
	s.pad = 0;
	s.reserved = 1;
	EXPECT_EQ(-EINVAL, ws_raw_ioctl(self->dev, WINSOCK_IOC_STARTUP, &s));
	EXPECT_EQ(-EINVAL, ws_raw_ioctl(self->dev, WINSOCK_IOC_CLEANUP, &c));
	EXPECT_EQ(-EINVAL, ws_raw_ioctl(self->dev, WINSOCK_IOC_GETPEERNAME, &g));
	g.reserved = 0;
	g.flags = 0x80000000;
	EXPECT_EQ(-EINVAL, ws_raw_ioctl(self->dev, WINSOCK_IOC_GETPEERNAME, &g));

	EXPECT_EQ(-EFAULT, ws_raw_ioctl(self->dev, WINSOCK_IOC_STARTUP, NULL));
	EXPECT_EQ(-EFAULT, ws_raw_ioctl(self->dev, WINSOCK_IOC_CLEANUP, NULL));
	EXPECT_EQ(-EFAULT, ws_raw_ioctl(self->dev, WINSOCK_IOC_GETPEERNAME, NULL));
	EXPECT_EQ(-ENOTTY, ws_raw_ioctl(self->dev, _IO(WINSOCK_IOC_MAGIC, 0x7f), NULL));
	EXPECT_EQ(-ENOTTY, ws_raw_ioctl(self->dev, FIONREAD, &s));
	EXPECT_EQ(-1, lseek(self->dev, 0, SEEK_SET));
	EXPECT_EQ(ESPIPE, errno);

	/* A request in read-only memory: the answer cannot be written back,
	 * so the startup is undone and the count stays 0. */
	ro = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, ro);
	s.reserved = 0;
	memcpy(ro, &s, sizeof(s));
	ASSERT_EQ(0, mprotect(ro, 4096, PROT_READ));
	EXPECT_EQ(-EFAULT, ws_raw_ioctl(self->dev, WINSOCK_IOC_STARTUP, ro));
	EXPECT_EQ(WINSOCK_WSANOTINITIALISED, ws_raw_cleanup(self->dev, NULL));
	ASSERT_EQ(0, ws_raw_startup(self->dev, 0x0202, &d, NULL));
	ASSERT_EQ(0, mprotect(ro, 4096, PROT_READ | PROT_WRITE));
	memset(ro, 0, sizeof(c));
	ASSERT_EQ(0, mprotect(ro, 4096, PROT_READ));
	EXPECT_EQ(-EFAULT, ws_raw_ioctl(self->dev, WINSOCK_IOC_CLEANUP, ro));
	/* The refused cleanup was undone: one startup is still live. */
	EXPECT_EQ(0, ws_raw_cleanup(self->dev, NULL));
	munmap(ro, 4096);
}

TEST_F(handle, handles_are_independent)
{
	int other = open(WINSOCK_DEVICE_PATH, O_RDWR | O_CLOEXEC);
	unsigned int n;
	WSADATA d;

	ASSERT_LE(0, other);
	ASSERT_EQ(0, ws_raw_startup(self->dev, 0x0202, &d, NULL));
	EXPECT_EQ(WINSOCK_WSANOTINITIALISED, ws_raw_cleanup(other, &n));
	EXPECT_EQ(WINSOCK_WSANOTINITIALISED, ws_raw_getpeername(other, 0, NULL, NULL, 0));
	EXPECT_EQ(0, ws_raw_cleanup(self->dev, &n));
	EXPECT_EQ(0, n);
	/* After the last cleanup, lookups are refused again. */
	EXPECT_EQ(WINSOCK_WSANOTINITIALISED, ws_raw_getpeername(self->dev, 0, NULL, NULL, 0));
	close(other);
}

/* The library, in a fresh process per test (the harness forks). */
TEST(library_negotiation_table)
{
	size_t i;
	WSADATA d;

	for (i = 0; i < sizeof(versions) / sizeof(versions[0]); i++) {
		WORD req = versions[i].requested;

		TH_LOG("requested %#06x", req);
		poison_wsadata(&d);
		ASSERT_EQ(versions[i].result, WSAStartup(req, &d));
		check_wsadata(_metadata, &d, req, versions[i].version);
		if (!versions[i].result) {
			EXPECT_EQ(0, WSAStartup(req, &d));
			WSASetLastError(0xdead);
			EXPECT_EQ(0, WSACleanup());
			EXPECT_EQ(0, WSAGetLastError());
			EXPECT_EQ(0, WSACleanup());
		}
		WSASetLastError(0xdead);
		EXPECT_EQ(SOCKET_ERROR, WSACleanup());
		EXPECT_EQ(WSANOTINITIALISED, WSAGetLastError());
		EXPECT_EQ(versions[i].result ? WSAVERNOTSUPPORTED : WSAEFAULT,
			  WSAStartup(req, NULL));
	}
}

static int lookup_ok(int fd)
{
	struct sockaddr_storage ss;
	int len = sizeof(ss);

	return ws_getpeername(fd, (struct sockaddr *)&ss, &len) == 0 ? 0 : WSAGetLastError();
}

TEST(library_fork_keeps_independent_state)
{
	int sv[2], status;
	WSADATA d;
	pid_t pid;

	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	ASSERT_EQ(0, WSAStartup(MAKEWORD(2, 2), &d));
	ASSERT_EQ(0, WSAStartup(MAKEWORD(2, 2), &d));
	ASSERT_EQ(0, lookup_ok(sv[0]));

	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		/* The child inherited two startups and uses its own handle. */
		int bad = lookup_ok(sv[0]) ||
			  WSACleanup() || WSACleanup() ||
			  WSACleanup() != SOCKET_ERROR ||
			  WSAGetLastError() != WSANOTINITIALISED ||
			  lookup_ok(sv[0]) != WSANOTINITIALISED;
		_exit(bad);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status));
	/* The child's cleanups did not touch the parent's count. */
	EXPECT_EQ(0, lookup_ok(sv[0]));
	EXPECT_EQ(0, WSACleanup());
	EXPECT_EQ(0, WSACleanup());
	EXPECT_EQ(WSANOTINITIALISED, lookup_ok(sv[0]));
	close(sv[0]);
	close(sv[1]);
}

static void *startup_cleanup_loop(void *arg)
{
	WSADATA d;
	long bad = 0;
	int i;

	(void)arg;
	for (i = 0; i < 2000; i++) {
		if (WSAStartup(MAKEWORD(2, 2), &d))
			bad++;
		if (WSACleanup())
			bad++;
	}
	return (void *)bad;
}

TEST(library_is_thread_safe)
{
	pthread_t t[4];
	void *bad;
	int i;

	for (i = 0; i < 4; i++)
		ASSERT_EQ(0, pthread_create(&t[i], NULL, startup_cleanup_loop, NULL));
	for (i = 0; i < 4; i++) {
		ASSERT_EQ(0, pthread_join(t[i], &bad));
		EXPECT_EQ(NULL, bad);
	}
	/* Balanced: nothing is left started. */
	EXPECT_EQ(SOCKET_ERROR, WSACleanup());
	EXPECT_EQ(WSANOTINITIALISED, WSAGetLastError());
}

TEST_HARNESS_MAIN
