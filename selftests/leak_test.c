// SPDX-License-Identifier: GPL-2.0
/*
 * Leaks and references: what the module allocates or pins is given back.
 *
 * No interface tells how much a module holds, so this program measures the
 * kernel around the module's whole life, with the module unloaded before
 * and after: every slab cache's active objects (/proc/slabinfo, each cache
 * shrunk first so that free objects in per-CPU slabs do not count as in
 * use) and /proc/meminfo's Slab and Percpu.  In between, a workload run in
 * a second thread (so that every descriptor the module resolves is a
 * counted file reference) opens ROUNDS x HANDLES handles, starts them up
 * (2.2, 1.1, 2.0, some twice), looks up five kinds of descriptors singly
 * and in batches, with every result but WSAENETDOWN and WSAEINPROGRESS,
 * while two audit subscribers are subscribed (one read, one never read,
 * with the smallest receive buffer: closed with its backlog queued),
 * reads and resets the counters, cleans two thirds of the handles up and
 * closes them all, and in each round a child does the same in a new
 * network namespace and another uses libwinsock.  What the module
 * allocated per handle, lookup, event or namespace and did not free is
 * left in some cache.
 *
 * How the measurements are made and compared, and what a leak looks like
 * against their noise: leak/slab_snapshot.h.
 *
 * References: a socket looked up and closed is freed (sockstat, and its
 * inode leaves /proc/net/{tcp,udp,unix}); the module's reference count is
 * the number of open handles and returns to 0; a network namespace is
 * released once its last process exited and the handle opened in it,
 * which pins it by design, is closed (RTM_DELNSID; see unchecked_cache()
 * for why not the net_namespace cache).
 *
 * Needs root and WINSOCK_KO (the guest provides both).  The module is
 * unloaded and loaded again and left loaded whatever happens, so that
 * later programs work; still, run this program last.
 */

/*
 * The harness keeps its tests in static lists, so every TEST must be in
 * this one translation unit: the pieces are headers included here.
 */
#include "leak/leak.h"
#include "leak/slab_snapshot.h"
#include "leak/netns.h"
#include "leak/workload.h"
#include "leak/sockstat.h"

FIXTURE(leak) {
};

FIXTURE_SETUP(leak)
{
	if (geteuid() || !getenv("WINSOCK_KO"))
		SETUP_SKIP(return, "needs root and WINSOCK_KO (run inside the guest)");
	if (access("/proc/slabinfo", R_OK) || access("/sys/kernel/slab", R_OK))
		SETUP_SKIP(return, "no /proc/slabinfo or /sys/kernel/slab");
	ASSERT_TRUE(module_listed());
}

FIXTURE_TEARDOWN(leak)
{
	/* Leave the module loaded for the programs that follow. */
	if (getenv("WINSOCK_KO") && !module_listed())
		module_load();
}

/*
 * The module's whole life, twice: idle (the control), then under the
 * workload.  After each, with the module gone, the kernel must hold what
 * it held before, within the control's noise.
 */
TEST_F_TIMEOUT(leak, workload_leaves_nothing, 180)
{
	static struct snap a, b, c;
	struct work warm = { 0 }, w = { 0 };
	struct verdict v;
	uint64_t t0;
	int waited, ms;
	bool ok;

	SKIPPED_IN_SETUP();

	/*
	 * One round first, and a load/unload cycle: what the kernel keeps
	 * once it has been used (ID tables, per-CPU chunks, caches grown for
	 * the first namespace) is there before the baseline.
	 */
	run_workload(&warm, 1);
	ASSERT_EQ(0, warm.failed) TH_LOG("warm-up step %d: %s", warm.failed, warm.what);
	ms = (int)(warm.ms * ROUNDS < 10000 ? warm.ms * ROUNDS : 10000);
	ASSERT_EQ(0, module_unload());
	ASSERT_EQ(0, module_load());
	ASSERT_EQ(0, module_unload());
	ASSERT_EQ(0, measure(&a));

	/* Control: loaded and idle about as long as the workload takes. */
	ASSERT_EQ(0, module_load());
	usleep(ms * 1000);
	ASSERT_EQ(0, module_unload());
	ASSERT_EQ(0, measure(&b));
	log_moves(_metadata, "control (an idle module life)", &a, &b);

	t0 = now_ms();
	ASSERT_EQ(0, module_load());
	run_workload(&w, ROUNDS);
	ms = (int)(now_ms() - t0);
	ASSERT_EQ(0, w.failed) TH_LOG("workload step %d: %s", w.failed, w.what);
	TH_LOG("workload: %ld handles, %ld lookups, %ld events read, %ld stats requests, %ld namespaces (%ld released), %ld library children in %d ms",
	       w.handles, w.lookups, w.events, w.stats, w.netns, w.released,
	       w.lib, ms);
	/* Everything was used: events built and read, namespaces made... */
	EXPECT_LT(0, w.events);
	EXPECT_EQ(ROUNDS, w.netns);
	/* ...and let go (RTM_DELNSID), with their last handle. */
	EXPECT_EQ(w.netns, w.released);
	ASSERT_EQ(0, module_unload());

	ok = settled_measure(&c, &a, &b, &b, &v, &waited);
	log_moves(_metadata, "the workload's module life vs the control's", &b, &c);
	TH_LOG("after %d ms: checked caches %+ld bytes (allowed %ld), Slab %+ld kB (allowed %ld), Percpu %+ld kB (allowed %ld)",
	       waited, v.caches.moved, v.caches.allowed, v.slab.moved,
	       v.slab.allowed, v.percpu.moved, v.percpu.allowed);
	EXPECT_TRUE(ok) TH_LOG("left behind:%s", v.why);
	ASSERT_EQ(0, module_load());
}

struct looker {
	int dev;
	const int *fds;
	int nfds;
	long n;
};

static void *looker_main(void *arg)
{
	struct looker *l = arg;
	int i;

	for (i = 0; i < 20; i++)
		l->n += lookups_on(l->dev, l->fds, l->nfds);
	return NULL;
}

/*
 * Lookups from a second thread: with two threads sharing the file table,
 * each descriptor lookup takes a reference to the file, which the module
 * must drop; a socket it kept would stay open, hashed and listed.
 */
TEST_F(leak, socket_freed_after_lookup)
{
	struct sockstat before, after;
	struct looker l = { 0 };
	struct tcp_conn c;
	unsigned long ino[5];
	int fds[5], sv[2], udp, i;
	uint64_t end;
	pthread_t th;
	struct stat st;
	bool listed = true;

	SKIPPED_IN_SETUP();

	ASSERT_EQ(0, sockstat_read(&before));
	ASSERT_EQ(0, tcp_connect(&c, AF_INET));
	udp = socket(AF_INET, SOCK_DGRAM, 0);
	ASSERT_LE(0, udp);
	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	fds[0] = c.client;
	fds[1] = c.server;
	fds[2] = udp;
	fds[3] = sv[0];
	fds[4] = sv[1];
	for (i = 0; i < 5; i++) {
		ASSERT_EQ(0, fstat(fds[i], &st));
		ino[i] = st.st_ino;
	}
	ASSERT_TRUE(inode_listed("tcp", ino[0]));
	l.dev = ws_open_started(0x0202);
	ASSERT_LE(0, l.dev);
	l.fds = fds;
	l.nfds = 5;
	ASSERT_EQ(0, pthread_create(&th, NULL, looker_main, &l));
	ASSERT_EQ(0, pthread_join(th, NULL));
	EXPECT_LT(0, l.n);
	close(l.dev);
	tcp_close_rst(&c);
	close(udp);
	close(sv[0]);
	close(sv[1]);

	/* Frees may wait for RCU: poll. */
	end = now_ms() + 3000;
	do {
		usleep(50000);
		ASSERT_EQ(0, sockstat_read(&after));
		listed = inode_listed("tcp", ino[0]) || inode_listed("tcp", ino[1]) ||
			 inode_listed("udp", ino[2]) || inode_listed("unix", ino[3]) ||
			 inode_listed("unix", ino[4]);
	} while ((listed || after.used != before.used ||
		  after.tcp_alloc != before.tcp_alloc) && now_ms() < end);
	TH_LOG("sockets used %ld -> %ld, TCP inuse %ld -> %ld, alloc %ld -> %ld, UDP inuse %ld -> %ld",
	       before.used, after.used, before.tcp_inuse, after.tcp_inuse,
	       before.tcp_alloc, after.tcp_alloc, before.udp_inuse, after.udp_inuse);
	EXPECT_FALSE(listed);
	EXPECT_EQ(before.used, after.used);
	EXPECT_EQ(before.tcp_inuse, after.tcp_inuse);
	EXPECT_EQ(before.tcp_alloc, after.tcp_alloc);
	EXPECT_EQ(before.udp_inuse, after.udp_inuse);
}

/*
 * Each open file of /dev/winsock holds the module once: the count is the
 * number of open files (a forked child shares its parent's), and 0 when
 * they are all closed, whatever was done with them.
 */
TEST_F(leak, module_refcount_follows_handles)
{
	int dev[4], fds[1], sync[2], i, status;
	struct tcp_conn c;
	pid_t pid;
	char ch;

	SKIPPED_IN_SETUP();

	ASSERT_EQ(0, module_refcnt());
	ASSERT_EQ(0, tcp_connect(&c, AF_INET));
	fds[0] = c.client;
	for (i = 0; i < 4; i++) {
		dev[i] = i % 2 ? ws_open_started(0x0101 + i) :
				 open(WINSOCK_DEVICE_PATH, O_RDWR | O_CLOEXEC);
		ASSERT_LE(0, dev[i]);
		lookups_on(dev[i], fds, 1);
	}
	EXPECT_EQ(4, module_refcnt());
	ASSERT_EQ(0, pipe(sync));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		/* Shared files add nothing; the child's own adds one. */
		int mine = ws_open_started(0x0202);

		lookups_on(dev[1], fds, 1);
		if (mine < 0 || write(sync[1], "x", 1) != 1)
			_exit(1);
		close(sync[1]);
		pause();
		_exit(0);
	}
	close(sync[1]);
	ASSERT_EQ(1, read(sync[0], &ch, 1));
	EXPECT_EQ(5, module_refcnt());
	kill(pid, SIGKILL);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_EQ(4, module_refcnt());
	for (i = 0; i < 4; i++)
		close(dev[i]);
	EXPECT_EQ(0, module_refcnt());
	close(sync[0]);
	tcp_close_rst(&c);
}

TEST_F_TIMEOUT(leak, netns_freed_after_last_user, 60)
{
	int nl, sv[2], dev = -1, fds[1], id, del;
	struct tcp_conn c;
	pid_t pid;

	SKIPPED_IN_SETUP();

	nl = nsid_socket();
	ASSERT_LE(0, nl);
	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_STREAM, 0, sv));

	/* The child exits with its handle open: the namespace goes. */
	id = start_netns_user(nl, sv, false, -1, &dev, &pid);
	ASSERT_LE(0, id);
	ASSERT_EQ(0, wait_child(pid));
	del = nsid_wait(nl, RTM_DELNSID, 5000);
	EXPECT_EQ(id, del) TH_LOG("the namespace of an exited process was not released");

	/* The parent holds the handle now: the namespace stays... */
	id = start_netns_user(nl, sv, true, -1, &dev, &pid);
	ASSERT_LE(0, dev);
	ASSERT_LE(0, id);
	ASSERT_EQ(0, wait_child(pid));
	del = nsid_wait(nl, RTM_DELNSID, 1000);
	EXPECT_EQ(-ETIMEDOUT, del) TH_LOG("an open handle should pin its opener's namespace");
	/* ...with a handle that still works, on this namespace's sockets too... */
	ASSERT_EQ(0, tcp_connect(&c, AF_INET));
	fds[0] = c.client;
	EXPECT_LT(0, lookups_on(dev, fds, 1));
	EXPECT_EQ(1, module_refcnt());
	/* ...until it is closed. */
	close(dev);
	del = nsid_wait(nl, RTM_DELNSID, 5000);
	EXPECT_EQ(id, del) TH_LOG("the namespace stayed after its last handle was closed");
	EXPECT_EQ(0, module_refcnt());
	tcp_close_rst(&c);
	close(sv[0]);
	close(sv[1]);
	close(nl);
}

/* Last: the module loads again and works, and stays loaded. */
TEST_F(leak, reload_and_work)
{
	struct sockaddr_storage ss;
	struct tcp_conn c;
	int dev, len = sizeof(ss);

	SKIPPED_IN_SETUP();

	ASSERT_EQ(0, module_unload());
	ASSERT_FALSE(module_listed());
	ASSERT_EQ(0, module_load());
	dev = ws_open_started(0x0202);
	ASSERT_LE(0, dev);
	ASSERT_EQ(0, tcp_connect(&c, AF_INET));
	EXPECT_EQ(0, ws_raw_getpeername(dev, c.client, &ss, &len, 0));
	EXPECT_EQ(0, memcmp(&ss, &c.lname, c.llen));
	close(dev);
	tcp_close_rst(&c);
	EXPECT_TRUE(module_listed());
}

TEST_HARNESS_MAIN
