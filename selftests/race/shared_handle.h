/* SPDX-License-Identifier: GPL-2.0 */
/*
 * shared_handle: one handle, its count raised and lowered by threads.
 */
#ifndef WINSOCK_RACE_SHARED_HANDLE_H
#define WINSOCK_RACE_SHARED_HANDLE_H

#include "storm.h"

/*
 * One handle shared by threads: a base startup held throughout, other
 * threads adding and removing startups.  The count never reaches zero, so
 * no lookup may see WSANOTINITIALISED.  On a Winsock 1.1 handle no thread
 * here is inside a declared blocking call, so lookups never refuse each
 * other; WSAEINPROGRESS is still tolerated and counted, and a cleanup
 * refused with it must not have counted.  At the end exactly the base
 * startup is left.
 */
struct shared {
	int dev;
	uint16_t version;
	long pairs, refused;
};

static void *pair_main(void *arg)
{
	struct storm_thread *st = arg;
	struct shared *sh = st->arg;
	struct storm *s = st->s;
	struct winsock_startup out;
	char wsadata[512];
	unsigned int n;
	int rc;

	while (!stopped(&s->v)) {
		rc = ws_raw_startup(sh->dev, sh->version, wsadata, &out);
		if (rc || out.startups < 2) {
			fail_once(&s->v, "shared startup: %d, count %u", rc, out.startups);
			break;
		}
		/* Retry a refused cleanup: the lookups stop before we do. */
		while ((rc = ws_raw_cleanup(sh->dev, &n)) == WINSOCK_WSAEINPROGRESS) {
			__atomic_add_fetch(&sh->refused, 1, __ATOMIC_RELAXED);
			sched_yield();
		}
		if (rc || n < 1) {
			fail_once(&s->v, "shared cleanup: %d, count %u", rc, n);
			break;
		}
		__atomic_add_fetch(&sh->pairs, 1, __ATOMIC_RELAXED);
	}
	return NULL;
}

FIXTURE(shared_handle) {
	struct storm s;
};

FIXTURE_VARIANT(shared_handle) {
	uint16_t version;
};

FIXTURE_VARIANT_ADD(shared_handle, winsock_2_2) {
	.version = 0x0202,
};

FIXTURE_VARIANT_ADD(shared_handle, winsock_1_1) {
	.version = 0x0101,
};

FIXTURE_SETUP(shared_handle)
{
	if (!device_present())
		SETUP_SKIP(return, "%s: %s (module not loaded)", WINSOCK_DEVICE_PATH,
			   strerror(errno));
	storm_setup(_metadata, &self->s);
}

FIXTURE_TEARDOWN(shared_handle)
{
	storm_teardown(&self->s);
}

TEST_F(shared_handle, startup_cleanup_pairs)
{
	void *(*const fn[])(void *) = { steady_main, steady_main, pair_main, pair_main };
	struct storm_thread t[4];
	struct shared sh = { .version = variant->version };
	unsigned int n;

	SKIPPED_IN_SETUP();

	/* On 1.1 the lookups of the two threads may meet. */
	if (variant->version == 0x0101)
		self->s.ok.layout[0].inprogress = self->s.ok.layout[1].inprogress = true;
	sh.dev = ws_open_started(variant->version);
	ASSERT_LE(0, sh.dev);
	storm_threads_init(t, 4, &self->s, sh.dev);
	t[2].arg = t[3].arg = &sh;
	/*
	 * Stop the lookups first (threads 0-1 are joined first by
	 * run_threads), so that pending 1.1 cleanups can complete.
	 */
	run_threads(&self->s.v, t, 4, fn, RACE_MS);
	TH_LOG("%ld startup/cleanup pairs (%ld cleanups refused in progress); lookups %ld ok, %ld in progress",
	       sh.pairs, sh.refused, t[0].t.ok + t[1].t.ok,
	       t[0].t.inprogress + t[1].t.inprogress);
	EXPECT_STREQ("", self->s.v.failure);
	EXPECT_LT(0, sh.pairs);
	EXPECT_LT(0, t[0].t.ok + t[1].t.ok);
	/* Only the base startup is left. */
	EXPECT_EQ(0, ws_raw_cleanup(sh.dev, &n));
	EXPECT_EQ(0, n);
	EXPECT_EQ(WINSOCK_WSANOTINITIALISED, ws_raw_cleanup(sh.dev, &n));
	EXPECT_EQ(WINSOCK_WSANOTINITIALISED,
		  ws_raw_getpeername(sh.dev, self->s.sock, NULL, NULL, 0));
	close(sh.dev);
}

#endif /* WINSOCK_RACE_SHARED_HANDLE_H */
