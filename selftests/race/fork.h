/* SPDX-License-Identifier: GPL-2.0 */
/*
 * fork: the raw handle is shared, the library's is not.
 */
#ifndef WINSOCK_RACE_FORK_H
#define WINSOCK_RACE_FORK_H

#include "race.h"

/* One lookup through libwinsock: 0, or its WSA error. */
static int lib_lookup(int fd)
{
	struct sockaddr_storage ss;
	int len = sizeof(ss);

	return ws_getpeername(fd, (struct sockaddr *)&ss, &len) ? WSAGetLastError() : 0;
}

/* 1: same open file, 0: different, -1: kcmp cannot tell. */
static int same_file(pid_t a, int fda, pid_t b, int fdb)
{
	long rc = syscall(SYS_kcmp, a, b, KCMP_FILE, fda, fdb);

	return rc < 0 ? -1 : rc == 0;
}

/* Parent and child in lockstep: wait for @want on @rfd... */
static bool step(int rfd, char want)
{
	char c;

	return read(rfd, &c, 1) == 1 && c == want;
}

/* ...which the other side sends (a child that cannot exits 99). */
static void say(int wfd, char c)
{
	if (write(wfd, &c, 1) != 1)
		_exit(99);
}

TEST(fork_raw_handle_is_shared)
{
	int dev, sv[2], to_child[2], to_parent[2], status, same;
	struct winsock_startup out;
	char wsadata[512];
	unsigned int n;
	pid_t pid;

	if (!device_present())
		SKIP(return, "%s: module not loaded", WINSOCK_DEVICE_PATH);
	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	ASSERT_EQ(0, pipe(to_child));
	ASSERT_EQ(0, pipe(to_parent));
	dev = ws_open_started(0x0202);
	ASSERT_LE(0, dev);

	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		/* The child's startup lands on the parent's count. */
		if (ws_raw_startup(dev, 0x0202, wsadata, &out) || out.startups != 2)
			_exit(10);
		say(to_parent[1], 'a');
		if (!step(to_child[0], 'b'))
			_exit(11);
		/* The parent took one back: the child's cleanup is the last. */
		if (ws_raw_cleanup(dev, &n) || n != 0)
			_exit(12);
		if (lookup_rc(dev, sv[0]) != WINSOCK_WSANOTINITIALISED)
			_exit(13);
		say(to_parent[1], 'c');
		/* Exiting closes the child's descriptor, not the open file. */
		_exit(0);
	}
	ASSERT_TRUE(step(to_parent[0], 'a'));
	EXPECT_EQ(0, ws_raw_cleanup(dev, &n));
	EXPECT_EQ(1, n);
	same = same_file(getpid(), dev, pid, dev);
	if (same < 0)
		TH_LOG("kcmp: %s; not compared", strerror(errno));
	else
		EXPECT_EQ(1, same);
	say(to_child[1], 'b');
	ASSERT_TRUE(step(to_parent[0], 'c'));
	/* The child's cleanup un-initialised the handle for both. */
	EXPECT_EQ(WINSOCK_WSANOTINITIALISED, lookup_rc(dev, sv[0]));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status));
	/* The handle outlives the child's exit. */
	ASSERT_EQ(0, ws_raw_startup(dev, 0x0202, wsadata, &out));
	EXPECT_EQ(1, out.startups);
	EXPECT_EQ(0, lookup_rc(dev, sv[0]));
	close(dev);
	close(sv[0]);
	close(sv[1]);
}

TEST(fork_library_counts_are_independent)
{
	int sv[2], to_child[2], to_parent[2], status, same;
	WSADATA wd;
	pid_t pid;

	if (!device_present())
		SKIP(return, "%s: module not loaded", WINSOCK_DEVICE_PATH);
	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	ASSERT_EQ(0, pipe(to_child));
	ASSERT_EQ(0, pipe(to_parent));
	ASSERT_EQ(0, WSAStartup(MAKEWORD(2, 2), &wd));
	ASSERT_EQ(0, WSAStartup(MAKEWORD(2, 2), &wd));
	ASSERT_EQ(0, lib_lookup(sv[0]));

	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		/* Two startups inherited, on a handle of its own. */
		if (lib_lookup(sv[0]) || WSACleanup() || lib_lookup(sv[0]) ||
		    WSACleanup() || lib_lookup(sv[0]) != WSANOTINITIALISED)
			_exit(10);
		say(to_parent[1], 'x');
		if (!step(to_child[0], 'y'))
			_exit(11);
		/* The parent cleaned up entirely: the child starts again. */
		if (WSAStartup(MAKEWORD(2, 2), &wd) || lib_lookup(sv[0]))
			_exit(12);
		say(to_parent[1], 'z');
		if (!step(to_child[0], 'w'))
			_exit(13);
		if (lib_lookup(sv[0]) || WSACleanup())
			_exit(14);
		_exit(0);
	}
	ASSERT_TRUE(step(to_parent[0], 'x'));
	/* Not the same open file: the child reopened the device. */
	same = same_file(getpid(), ws_device_fd, pid, ws_device_fd);
	if (same < 0)
		TH_LOG("kcmp: %s; not compared", strerror(errno));
	else
		EXPECT_EQ(0, same);
	/* The child's cleanups left the parent's two startups alone. */
	EXPECT_EQ(0, lib_lookup(sv[0]));
	EXPECT_EQ(0, WSACleanup());
	EXPECT_EQ(0, lib_lookup(sv[0]));
	EXPECT_EQ(0, WSACleanup());
	EXPECT_EQ(WSANOTINITIALISED, lib_lookup(sv[0]));
	say(to_child[1], 'y');
	ASSERT_TRUE(step(to_parent[0], 'z'));
	/* And the child's new startup did not initialise the parent. */
	EXPECT_EQ(WSANOTINITIALISED, lib_lookup(sv[0]));
	say(to_child[1], 'w');
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status));
	close(sv[0]);
	close(sv[1]);
}

/*
 * fork() while other threads run WSAStartup/WSACleanup pairs: the child
 * gets the count of one instant (1 or 2 here), can undo exactly that many
 * startups and never blocks on a lock a vanished thread held; the parent's
 * count is untouched by its children.
 */
struct pairs {
	struct verdict v;
	long n;
};

static void *lib_pairs_main(void *arg)
{
	struct pairs *p = arg;
	WSADATA wd;

	while (!stopped(&p->v)) {
		if (WSAStartup(MAKEWORD(2, 2), &wd)) {
			fail_once(&p->v, "WSAStartup failed");
			break;
		}
		if (WSACleanup()) {
			fail_once(&p->v, "WSACleanup failed: %d", WSAGetLastError());
			break;
		}
		p->n++;
	}
	return NULL;
}

/* waitpid with a deadline: a child stuck on an inherited lock is killed. */
static int wait_deadline(pid_t pid, int *status, int ms)
{
	uint64_t end = now_ms() + ms;
	pid_t rc;

	while ((rc = waitpid(pid, status, WNOHANG)) == 0 && now_ms() < end)
		usleep(2000);
	if (rc == 0) {
		kill(pid, SIGKILL);
		waitpid(pid, status, 0);
		return -1;
	}
	return rc == pid ? 0 : -1;
}

TEST(fork_during_library_startup_cleanup)
{
	struct pairs p = { .n = 0 };
	int sv[2], i, status, hung = 0, bad = 0, counts[3] = { 0 };
	pthread_t th;
	WSADATA wd;
	pid_t pid;

	if (!device_present())
		SKIP(return, "%s: module not loaded", WINSOCK_DEVICE_PATH);
	verdict_init(&p.v);
	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	ASSERT_EQ(0, WSAStartup(MAKEWORD(2, 2), &wd));
	ASSERT_EQ(0, pthread_create(&th, NULL, lib_pairs_main, &p));
	for (i = 0; i < 30; i++) {
		pid = fork();
		ASSERT_LE(0, pid);
		if (pid == 0) {
			int n = 0;

			/* Undo every inherited startup; each lookup in between works. */
			while (n < 5 && lib_lookup(sv[0]) == 0 && WSACleanup() == 0)
				n++;
			if (lib_lookup(sv[0]) != WSANOTINITIALISED)
				_exit(20);
			_exit(n);
		}
		if (wait_deadline(pid, &status, 5000)) {
			hung++;
			continue;
		}
		if (!WIFEXITED(status) || WEXITSTATUS(status) < 1 ||
		    WEXITSTATUS(status) > 2)
			bad++;
		else
			counts[WEXITSTATUS(status)]++;
	}
	stop_all(&p.v);
	pthread_join(th, NULL);
	TH_LOG("%ld pairs in the parent; children inherited 1: %d, 2: %d",
	       p.n, counts[1], counts[2]);
	EXPECT_STREQ("", p.v.failure);
	EXPECT_EQ(0, hung);
	EXPECT_EQ(0, bad);
	/* The parent's own count: exactly the base startup. */
	EXPECT_EQ(0, lib_lookup(sv[0]));
	EXPECT_EQ(0, WSACleanup());
	EXPECT_EQ(WSANOTINITIALISED, lib_lookup(sv[0]));
	close(sv[0]);
	close(sv[1]);
}

#endif /* WINSOCK_RACE_FORK_H */
