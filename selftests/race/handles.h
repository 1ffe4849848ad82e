/* SPDX-License-Identifier: GPL-2.0 */
/*
 * handles: /dev/winsock opened, started, cleaned up and closed in storms,
 * and delete_module() refused while lookups run.
 */
#ifndef WINSOCK_RACE_HANDLES_H
#define WINSOCK_RACE_HANDLES_H

#include "storm.h"

/*
 * Handle after handle: opened (not initialised), one to three startups,
 * lookups, cleanups down to zero and one past it, every count exact;
 * every fourth is closed with a startup still live.
 */
static void *stormer_main(void *arg)
{
	static const uint16_t versions[] = { 0x0002, 0x0102, 0x0202 };
	struct storm_thread *st = arg;
	struct storm *s = st->s;
	struct winsock_startup out;
	unsigned int n;
	char wsadata[512];
	int dev, rc, j, k;
	uint16_t ver;

	while (!stopped(&s->v)) {
		/* Winsock 2.x only: other threads may probe this handle too. */
		ver = versions[st->rounds % 3];
		k = 1 + st->rounds % 3;
		dev = open(WINSOCK_DEVICE_PATH, O_RDWR | O_CLOEXEC);
		if (dev < 0) {
			fail_once(&s->v, "open: %s", strerror(errno));
			break;
		}
		rc = ws_raw_getpeername(dev, s->sock, NULL, NULL, 0);
		if (rc != WINSOCK_WSANOTINITIALISED) {
			fail_once(&s->v, "fresh handle answered %d", rc);
			break;
		}
		for (j = 1; j <= k; j++) {
			rc = ws_raw_startup(dev, ver, wsadata, &out);
			if (rc || out.startups != (unsigned int)j || out.version != ver) {
				fail_once(&s->v, "startup %d of %#x: %d, count %u, version %#x",
					  j, ver, rc, out.startups, out.version);
				goto out;
			}
		}
		if (lookup_single(&s->v, &s->ok, dev, s->sock, 0, false) != 0 ||
		    lookup_batch(&s->v, &s->ok, dev, s->sock, &st->t, false))
			break;
		for (j = k - 1; j >= 0; j--) {
			rc = ws_raw_cleanup(dev, &n);
			if (rc || n != (unsigned int)j) {
				fail_once(&s->v, "cleanup to %d: %d, count %u", j, rc, n);
				goto out;
			}
		}
		rc = ws_raw_cleanup(dev, &n);
		if (rc != WINSOCK_WSANOTINITIALISED || n) {
			fail_once(&s->v, "cleanup past zero: %d, count %u", rc, n);
			break;
		}
		rc = ws_raw_getpeername(dev, s->sock, NULL, NULL, 0);
		if (rc != WINSOCK_WSANOTINITIALISED) {
			fail_once(&s->v, "cleaned-up handle answered %d", rc);
			break;
		}
		/* Every fourth handle is closed with a startup still live. */
		if (st->rounds % 4 == 0 && ws_raw_startup(dev, ver, wsadata, NULL)) {
			fail_once(&s->v, "restart failed");
			break;
		}
		close(dev);
		st->rounds++;
	}
	return NULL;
out:
	close(dev);
	return NULL;
}

/* Opens a started handle, lets others probe its number, closes it. */
static void *closer_main(void *arg)
{
	struct storm_thread *st = arg;
	struct storm *s = st->s;
	int dev, i;

	while (!stopped(&s->v)) {
		dev = ws_open_started(0x0202);
		if (dev < 0) {
			fail_once(&s->v, "open/startup: %s", strerror(errno));
			break;
		}
		__atomic_store_n(&s->victim, dev, __ATOMIC_RELAXED);
		/* Use it a little while the prober aims at its number. */
		for (i = 0; i < 8; i++)
			if (lookup_single(&s->v, &s->ok, dev, s->sock, 0, false))
				break;
		close(dev);
		st->rounds++;
	}
	return NULL;
}

/*
 * Looks up through whatever number the closer published: the handle may
 * be closed (EBADF) or the number taken by another thread's fresh handle
 * (WSANOTINITIALISED, or the peer if that one is started).
 */
static void *prober_main(void *arg)
{
	struct storm_thread *st = arg;
	struct storm *s = st->s;
	unsigned int i;
	int dev;

	for (i = 0; !stopped(&s->v); i++) {
		dev = __atomic_load_n(&s->victim, __ATOMIC_RELAXED);
		if (dev < 0) {
			sched_yield();
			continue;
		}
		if (i & 1 ? lookup_batch(&s->v, &s->probe, dev, s->sock, &st->t, true) :
		    lookup_counted(&s->v, &s->probe, dev, s->sock, 0, &st->t, true))
			break;
	}
	return NULL;
}

FIXTURE(handles) {
	struct storm s;
};

FIXTURE_SETUP(handles)
{
	if (!device_present())
		SETUP_SKIP(return, "%s: %s (module not loaded)", WINSOCK_DEVICE_PATH,
			   strerror(errno));
	storm_setup(_metadata, &self->s);
}

FIXTURE_TEARDOWN(handles)
{
	storm_teardown(&self->s);
}

TEST_F(handles, open_close_storm)
{
	void *(*const fn[])(void *) = {
		stormer_main, stormer_main, steady_main, steady_main,
		closer_main, prober_main,
	};
	struct storm_thread t[6];
	struct tally probes;

	SKIPPED_IN_SETUP();

	storm_threads_init(t, 6, &self->s, -1);
	t[2].dev = ws_open_started(0x0202);
	t[3].dev = ws_open_started(0x0101);
	ASSERT_LE(0, t[2].dev);
	ASSERT_LE(0, t[3].dev);
	run_threads(&self->s.v, t, 6, fn, RACE_MS);
	probes = t[5].t;
	TH_LOG("%ld + %ld handle rounds, %ld closed under probes; steady lookups %ld + %ld; probes: %ld ok, %ld not initialised, %ld EBADF",
	       t[0].rounds, t[1].rounds, t[4].rounds, t[2].t.lookups,
	       t[3].t.lookups, probes.ok, probes.notinit, probes.badf);
	EXPECT_STREQ("", self->s.v.failure);
	EXPECT_LT(0, t[0].rounds);
	EXPECT_LT(0, t[1].rounds);
	EXPECT_LT(0, t[2].t.ok);
	EXPECT_LT(0, t[3].t.ok);
	close(t[2].dev);
	close(t[3].dev);
}

/*
 * rmmod while lookups run: delete_module(O_NONBLOCK) is refused as long
 * as a handle is open (module_test: EWOULDBLOCK), also while other threads
 * open and close handles, and the lookups go on with their answers.
 */
static void *opener_main(void *arg)
{
	struct storm_thread *st = arg;
	struct storm *s = st->s;
	int dev;

	while (!stopped(&s->v)) {
		dev = open(WINSOCK_DEVICE_PATH, O_RDWR | O_CLOEXEC);
		if (dev < 0) {
			fail_once(&s->v, "open during rmmod attempts: %s", strerror(errno));
			break;
		}
		if (ws_raw_getpeername(dev, s->sock, NULL, NULL, 0) !=
		    WINSOCK_WSANOTINITIALISED)
			fail_once(&s->v, "fresh handle during rmmod attempts");
		close(dev);
		st->rounds++;
	}
	return NULL;
}

TEST_F(handles, rmmod_refused_during_lookups)
{
	void *(*const fn[])(void *) = { steady_main, steady_main, opener_main };
	struct storm_thread t[3];
	int i, attempts = 0, refused = 0, other = 0, unloaded = 0, err = 0;
	int refcnt;
	uint64_t end;

	SKIPPED_IN_SETUP();

	if (geteuid())
		SKIP(return, "delete_module needs root");
	storm_threads_init(t, 3, &self->s, -1);
	t[0].dev = ws_open_started(0x0202);
	t[1].dev = ws_open_started(0x0101);
	ASSERT_LE(0, t[0].dev);
	ASSERT_LE(0, t[1].dev);
	for (i = 0; i < 3; i++)
		ASSERT_EQ(0, pthread_create(&t[i].th, NULL, fn[i], &t[i]));
	end = now_ms() + RACE_MS;
	while (!stopped(&self->s.v) && now_ms() < end) {
		attempts++;
		if (syscall(SYS_delete_module, "winsock", O_NONBLOCK) == 0) {
			unloaded++;
			fail_once(&self->s.v, "delete_module succeeded with handles open");
			break;
		}
		if (errno == EWOULDBLOCK || errno == EBUSY) {
			refused++;
		} else {
			other++;
			err = errno;
		}
		usleep(5000);
	}
	refcnt = module_refcnt();
	stop_all(&self->s.v);
	for (i = 0; i < 3; i++)
		pthread_join(t[i].th, NULL);
	TH_LOG("%d delete_module attempts, %d refused; refcnt %d; lookups %ld + %ld; %ld opens",
	       attempts, refused, refcnt, t[0].t.lookups, t[1].t.lookups, t[2].rounds);
	if (unloaded)
		EXPECT_EQ(0, module_load());
	EXPECT_STREQ("", self->s.v.failure);
	EXPECT_EQ(0, unloaded);
	EXPECT_EQ(0, other) TH_LOG("delete_module: %s", strerror(err));
	EXPECT_LT(0, refused);
	/* At least the two long-lived handles hold the module. */
	EXPECT_LE(2, refcnt);
	EXPECT_LT(0, t[0].t.ok);
	EXPECT_LT(0, t[1].t.ok);
	/* Still working afterwards. */
	EXPECT_EQ(0, lookup_rc(t[0].dev, self->s.sock));
	close(t[0].dev);
	close(t[1].dev);
}

#endif /* WINSOCK_RACE_HANDLES_H */
