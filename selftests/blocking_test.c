// SPDX-License-Identifier: GPL-2.0
/*
 * Winsock 1.x WSAEINPROGRESS as Windows means it.  getpeername completes
 * at once even on a blocking socket, so lookups made by many threads of a
 * 1.1 program never meet each other, and WSACleanup is not refused
 * because of them.  The 1.1 rule is per thread and about blocking calls:
 * a thread inside a blocking Winsock call (running its blocking hook) gets
 * WSAEINPROGRESS for every other call it makes.  Emulators say when a
 * thread enters and leaves one with WINSOCK_IOC_BLOCKING
 * (ws_blocking_enter()/ws_blocking_leave() in the library).
 */
#include <linux/userfaultfd.h>
#include <poll.h>
#include <pthread.h>
#include <sys/mman.h>
#include <sys/wait.h>

#include "kselftest_harness.h"
#include "helpers.h"
#include <winsock/winsock2.h>

#define BUF_SIZE 256

static int blocking(int dev, uint32_t op)
{
	struct winsock_blocking req = { .op = op };

	return ws_raw_ioctl(dev, WINSOCK_IOC_BLOCKING, &req);
}

/* getpeername on @dev, through the single request or a batch of one. */
static int lookup(int dev, bool batch, uint64_t s, void *name, int *namelen)
{
	if (batch)
		return ws_batch_getpeername(dev, s, name, namelen, 0);
	return ws_raw_getpeername(dev, s, name, namelen, 0);
}

/* A successful lookup of @fd's peer, @want, in the Windows layout. */
static int lookup_ok(int dev, bool batch, int fd, const struct sockaddr_in *want)
{
	unsigned char buf[BUF_SIZE];
	int len = BUF_SIZE, rc;

	memset(buf, POISON, sizeof(buf));
	rc = lookup(dev, batch, fd, buf, &len);
	if (rc)
		return rc;
	if (len != 16 || memcmp(buf, want, 16) || buf[16] != POISON)
		return -1000;
	return 0;
}

FIXTURE(v11) {
	int dev;
	struct tcp_conn c;
};

FIXTURE_SETUP(v11)
{
	self->dev = ws_open_started(MAKEWORD(1, 1));
	if (self->dev < 0)
		SETUP_SKIP(return, "%s: %s (module not loaded)", WINSOCK_DEVICE_PATH, strerror(errno));
	ASSERT_EQ(0, tcp_connect(&self->c, AF_INET));
}

FIXTURE_TEARDOWN(v11)
{
	if (self->dev >= 0) {
		close(self->dev);
		tcp_close(&self->c);
	}
}

struct storm {
	int dev, fd, rounds;
	bool batch;
	const struct sockaddr_in *want;
	int in_progress, other;
};

static void *storm_thread(void *arg)
{
	struct storm *s = arg;
	int i, rc;

	for (i = 0; i < s->rounds; i++) {
		rc = lookup_ok(s->dev, s->batch, s->fd, s->want);
		if (rc == WINSOCK_WSAEINPROGRESS)
			__atomic_add_fetch(&s->in_progress, 1, __ATOMIC_RELAXED);
		else if (rc)
			__atomic_add_fetch(&s->other, 1, __ATOMIC_RELAXED);
	}
	return NULL;
}

/* Eight threads looking up at once, single and batch requests mixed. */
TEST_F(v11, concurrent_lookups_never_in_progress)
{
	struct storm s[8];
	pthread_t t[8];
	int i, in_progress = 0, other = 0;

	SKIPPED_IN_SETUP();
	for (i = 0; i < 8; i++) {
		s[i] = (struct storm){
			.dev = self->dev, .fd = self->c.client, .rounds = 3000,
			.batch = i & 1, .want = (void *)&self->c.lname,
		};
		ASSERT_EQ(0, pthread_create(&t[i], NULL, storm_thread, &s[i]));
	}
	for (i = 0; i < 8; i++) {
		ASSERT_EQ(0, pthread_join(t[i], NULL));
		in_progress += s[i].in_progress;
		other += s[i].other;
	}
	EXPECT_EQ(0, in_progress);
	EXPECT_EQ(0, other);
}

/* A lookup held in the kernel by a userfaultfd page it must write. */
struct held {
	int dev, fd, len, rc;
	bool batch;
	void *page;
	long pg;
	int uffd;
	pthread_t t;
};

static void *held_thread(void *arg)
{
	struct held *h = arg;

	if (h->batch)
		h->rc = ws_raw_batch(h->dev, h->page, 1);
	else
		h->rc = ws_raw_getpeername(h->dev, h->fd, h->page, &h->len, 0);
	return NULL;
}

/* 0 once the lookup faulted on the page and waits; -1 (skip) without uffd. */
static int hold_lookup(struct __test_metadata *_metadata, struct held *h)
{
	struct uffdio_api api = { .api = UFFD_API };
	struct uffdio_register reg = { 0 };
	struct pollfd pfd;
	struct uffd_msg msg;

	h->uffd = syscall(SYS_userfaultfd, O_CLOEXEC);
	if (h->uffd < 0)
		return -1;
	h->pg = sysconf(_SC_PAGESIZE);
	EXPECT_EQ(0, ioctl(h->uffd, UFFDIO_API, &api));
	h->page = mmap(NULL, h->pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	EXPECT_NE(MAP_FAILED, h->page);
	reg.range.start = (uintptr_t)h->page;
	reg.range.len = h->pg;
	reg.mode = UFFDIO_REGISTER_MODE_MISSING;
	EXPECT_EQ(0, ioctl(h->uffd, UFFDIO_REGISTER, &reg));
	h->len = BUF_SIZE;
	EXPECT_EQ(0, pthread_create(&h->t, NULL, held_thread, h));
	pfd.fd = h->uffd;
	pfd.events = POLLIN;
	EXPECT_EQ(1, poll(&pfd, 1, 10000));
	EXPECT_EQ(sizeof(msg), (size_t)read(h->uffd, &msg, sizeof(msg)));
	EXPECT_EQ(UFFD_EVENT_PAGEFAULT, msg.event);
	return 0;
}

/* Let the held lookup finish; it must succeed with @want. */
static void release_lookup(struct __test_metadata *_metadata, struct held *h,
			   const struct sockaddr_in *want)
{
	struct uffdio_copy copy = { 0 };
	unsigned char *src;

	src = mmap(NULL, h->pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, src);
	memset(src, POISON, h->pg);
	if (h->batch) {
		struct winsock_peer_entry *e = (void *)src;

		e->socket = h->fd;
		e->flags = 0;
		e->namelen = sizeof(e->name);
		e->reserved = 0;
	}
	copy.dst = (uintptr_t)h->page;
	copy.src = (uintptr_t)src;
	copy.len = h->pg;
	ASSERT_EQ(0, ioctl(h->uffd, UFFDIO_COPY, &copy));
	ASSERT_EQ(0, pthread_join(h->t, NULL));
	EXPECT_EQ(0, h->rc);
	if (h->batch) {
		struct winsock_peer_entry *e = h->page;

		EXPECT_EQ(0, e->result);
		EXPECT_EQ(16, e->namelen);
		EXPECT_EQ(0, memcmp(e->name, want, 16));
	} else {
		EXPECT_EQ(16, h->len);
		EXPECT_EQ(0, memcmp(h->page, want, 16));
	}
	munmap(src, h->pg);
	munmap(h->page, h->pg);
	close(h->uffd);
}

/*
 * While one lookup of a 1.1 handle waits in the kernel for its buffer,
 * other calls on the handle go through: lookups, WSAStartup, WSACleanup.
 */
TEST_F(v11, lookup_in_flight_blocks_nobody)
{
	unsigned int n;
	int batch;

	SKIPPED_IN_SETUP();
	for (batch = 0; batch < 2; batch++) {
		struct held h = { .dev = self->dev, .fd = self->c.client, .batch = batch };

		TH_LOG("held call: %s", batch ? "batch" : "single");
		if (hold_lookup(_metadata, &h))
			SKIP(return, "userfaultfd: %s", strerror(errno));
		EXPECT_EQ(0, lookup_ok(self->dev, false, self->c.client, (void *)&self->c.lname));
		EXPECT_EQ(0, lookup_ok(self->dev, true, self->c.client, (void *)&self->c.lname));
		EXPECT_EQ(0, ws_raw_startup(self->dev, MAKEWORD(1, 1), (char[512]){ 0 }, NULL));
		EXPECT_EQ(0, ws_raw_cleanup(self->dev, &n));
		EXPECT_EQ(1, n);
		release_lookup(_metadata, &h, (void *)&self->c.lname);
	}
}

struct other_thread {
	int dev, fd, lookup, lookup_batch, startup, cleanup;
	unsigned int startups;
	const struct sockaddr_in *want;
};

static void *other_thread_calls(void *arg)
{
	struct other_thread *o = arg;

	o->lookup = lookup_ok(o->dev, false, o->fd, o->want);
	o->lookup_batch = lookup_ok(o->dev, true, o->fd, o->want);
	o->startup = ws_raw_startup(o->dev, MAKEWORD(1, 1), (char[512]){ 0 }, NULL);
	o->cleanup = ws_raw_cleanup(o->dev, &o->startups);
	return NULL;
}

/* The thread inside a blocking call gets WSAEINPROGRESS, before anything. */
TEST_F(v11, blocking_call_refuses_this_thread_only)
{
	struct winsock_startup out;
	struct other_thread o = {
		.dev = self->dev, .fd = self->c.client, .want = (void *)&self->c.lname,
	};
	unsigned char buf[BUF_SIZE], wsadata[512];
	unsigned int n = 99;
	pthread_t t;
	int len, batch;

	SKIPPED_IN_SETUP();
	ASSERT_EQ(0, blocking(self->dev, WINSOCK_BLOCKING_ENTER));
	for (batch = 0; batch < 2; batch++) {
		memset(buf, POISON, sizeof(buf));
		len = BUF_SIZE;
		EXPECT_EQ(WINSOCK_WSAEINPROGRESS,
			  lookup(self->dev, batch, self->c.client, buf, &len));
		EXPECT_EQ(BUF_SIZE, len);
		EXPECT_EQ(POISON, buf[0]);
		/* Decided before the descriptor and the pointers. */
		EXPECT_EQ(WINSOCK_WSAEINPROGRESS, lookup(self->dev, batch, ~0ULL, buf, &len));
	}
	EXPECT_EQ(WINSOCK_WSAEINPROGRESS, ws_raw_cleanup(self->dev, &n));
	EXPECT_EQ(1, n);	/* nothing dropped */
	memset(wsadata, 0xcc, sizeof(wsadata));
	EXPECT_EQ(WINSOCK_WSAEINPROGRESS, ws_raw_startup(self->dev, MAKEWORD(1, 1), wsadata, &out));
	EXPECT_EQ(1, out.startups);
	/* The version is still checked first. */
	EXPECT_EQ(WINSOCK_WSAVERNOTSUPPORTED, ws_raw_startup(self->dev, 0, wsadata, NULL));
	/* Blocking calls do not nest in Winsock 1.1. */
	EXPECT_EQ(WINSOCK_WSAEINPROGRESS, blocking(self->dev, WINSOCK_BLOCKING_ENTER));

	/* Another thread of the process is not affected. */
	ASSERT_EQ(0, pthread_create(&t, NULL, other_thread_calls, &o));
	ASSERT_EQ(0, pthread_join(t, NULL));
	EXPECT_EQ(0, o.lookup);
	EXPECT_EQ(0, o.lookup_batch);
	EXPECT_EQ(0, o.startup);
	EXPECT_EQ(0, o.cleanup);
	EXPECT_EQ(1, o.startups);

	/* Left: everything works again, and a second leave is refused. */
	EXPECT_EQ(0, blocking(self->dev, WINSOCK_BLOCKING_LEAVE));
	EXPECT_EQ(WINSOCK_WSAEINVAL, blocking(self->dev, WINSOCK_BLOCKING_LEAVE));
	EXPECT_EQ(0, lookup_ok(self->dev, false, self->c.client, (void *)&self->c.lname));
	EXPECT_EQ(0, lookup_ok(self->dev, true, self->c.client, (void *)&self->c.lname));
	EXPECT_EQ(0, ws_raw_cleanup(self->dev, &n));
	EXPECT_EQ(0, n);
	/* Entering needs a live startup, leaving does not. */
	EXPECT_EQ(WINSOCK_WSANOTINITIALISED, blocking(self->dev, WINSOCK_BLOCKING_ENTER));
	EXPECT_EQ(WINSOCK_WSAEINVAL, blocking(self->dev, WINSOCK_BLOCKING_LEAVE));
}

/* The state belongs to the thread and the handle, and survives cleanup. */
TEST_F(v11, blocking_state_is_per_thread_and_handle)
{
	int other = ws_open_started(MAKEWORD(1, 1));
	int v22 = ws_open_started(MAKEWORD(2, 2));
	int status;
	pid_t pid;

	SKIPPED_IN_SETUP();
	ASSERT_LE(0, other);
	ASSERT_LE(0, v22);
	ASSERT_EQ(0, blocking(self->dev, WINSOCK_BLOCKING_ENTER));
	/* Another handle of the same thread is not in that call. */
	EXPECT_EQ(0, lookup_ok(other, false, self->c.client, (void *)&self->c.lname));
	/* A child sharing the handle is another thread. */
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid)
		_exit(lookup_ok(self->dev, false, self->c.client, (void *)&self->c.lname) ? 1 : 0);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_EQ(0, status);
	/* Cleanup and a new 1.1 startup do not end the blocking call. */
	ASSERT_EQ(0, blocking(self->dev, WINSOCK_BLOCKING_LEAVE));
	ASSERT_EQ(0, ws_raw_startup(self->dev, MAKEWORD(1, 1), (char[512]){ 0 }, NULL));
	ASSERT_EQ(0, blocking(self->dev, WINSOCK_BLOCKING_ENTER));
	EXPECT_EQ(WINSOCK_WSAEINPROGRESS, ws_raw_cleanup(self->dev, NULL));

	/* On a 2.x handle the state refuses nothing. */
	EXPECT_EQ(0, blocking(v22, WINSOCK_BLOCKING_ENTER));
	EXPECT_EQ(0, lookup_ok(v22, false, self->c.client, (void *)&self->c.lname));
	EXPECT_EQ(0, lookup_ok(v22, true, self->c.client, (void *)&self->c.lname));
	EXPECT_EQ(0, blocking(v22, WINSOCK_BLOCKING_LEAVE));
	close(v22);
	close(other);
}

static void *enter_and_exit(void *arg)
{
	int *dev = arg;

	return (void *)(intptr_t)blocking(*dev, WINSOCK_BLOCKING_ENTER);
}

/* Threads that exit inside a blocking call leave nothing behind. */
TEST_F(v11, exited_threads_do_not_count)
{
	void *rc;
	pthread_t t;
	int i;

	SKIPPED_IN_SETUP();
	for (i = 0; i < 200; i++) {
		ASSERT_EQ(0, pthread_create(&t, NULL, enter_and_exit, &self->dev));
		ASSERT_EQ(0, pthread_join(t, &rc));
		ASSERT_EQ(0, (intptr_t)rc);
	}
	/* Thread ids are reused, the threads are not. */
	EXPECT_EQ(0, lookup_ok(self->dev, false, self->c.client, (void *)&self->c.lname));
	for (i = 0; i < 8; i++) {
		ASSERT_EQ(0, pthread_create(&t, NULL, enter_and_exit, &self->dev));
		ASSERT_EQ(0, pthread_join(t, &rc));
		EXPECT_EQ(0, (intptr_t)rc);
	}
}

TEST_F(v11, bad_requests)
{
	struct winsock_blocking req = { .op = WINSOCK_BLOCKING_ENTER, .reserved = 1 };

	SKIPPED_IN_SETUP();
	EXPECT_EQ(-EINVAL, ws_raw_ioctl(self->dev, WINSOCK_IOC_BLOCKING, &req));
	EXPECT_EQ(-EINVAL, blocking(self->dev, 0));
	EXPECT_EQ(-EINVAL, blocking(self->dev, 3));
	EXPECT_EQ(-EFAULT, ws_raw_ioctl(self->dev, WINSOCK_IOC_BLOCKING, NULL));
	/* None of them entered anything. */
	EXPECT_EQ(WINSOCK_WSAEINVAL, blocking(self->dev, WINSOCK_BLOCKING_LEAVE));
}

/* The library: ws_blocking_enter() / ws_blocking_leave(). */
TEST(library_blocking_calls)
{
	struct sockaddr_storage ss;
	struct tcp_conn c;
	int len = sizeof(ss);
	WSADATA d;

	WSASetLastError(0);
	EXPECT_EQ(SOCKET_ERROR, ws_blocking_enter());
	EXPECT_EQ(WSANOTINITIALISED, WSAGetLastError());
	if (WSAStartup(MAKEWORD(1, 1), &d))
		SKIP(return, "WSAStartup failed (module not loaded)");
	ASSERT_EQ(0, tcp_connect(&c, AF_INET));
	EXPECT_EQ(0, ws_blocking_enter());
	EXPECT_EQ(SOCKET_ERROR, ws_getpeername(c.client, (struct sockaddr *)&ss, &len));
	EXPECT_EQ(WSAEINPROGRESS, WSAGetLastError());
	EXPECT_EQ(SOCKET_ERROR, WSACleanup());
	EXPECT_EQ(WSAEINPROGRESS, WSAGetLastError());
	EXPECT_EQ(0, ws_blocking_leave());
	EXPECT_EQ(SOCKET_ERROR, ws_blocking_leave());
	EXPECT_EQ(WSAEINVAL, WSAGetLastError());
	EXPECT_EQ(0, ws_getpeername(c.client, (struct sockaddr *)&ss, &len));
	EXPECT_EQ(0, WSACleanup());
	tcp_close(&c);
}

TEST_HARNESS_MAIN
