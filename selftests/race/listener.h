/* SPDX-License-Identifier: GPL-2.0 */
/*
 * listener: audit subscribers leaving mid-stream must not silence it.
 */
#ifndef WINSOCK_RACE_LISTENER_H
#define WINSOCK_RACE_LISTENER_H

#include "storm.h"

#define NOBODY		65534

/* What genl_wait_event() looks for, and what it counted. */
struct event_wait {
	const struct genl *g;
	uint64_t sock;
	uint32_t tid;
	long *n;
	bool found;
};

static bool event_wait_msg(struct nlmsghdr *nh, void *arg)
{
	struct event_wait *w = arg;
	struct genl_event e;

	if (!genl_is_event(w->g, nh))
		return false;
	if (w->n)
		(*w->n)++;
	genl_parse_event(nh, &e);
	w->found = e.socket == w->sock && (!w->tid || e.tid == w->tid);
	return w->found;
}

/*
 * Read events for up to @ms (genl_recv()).  Counts every WINSOCK_CMD_EVENT
 * in *@n (if given) and returns 1 as soon as one reports socket @sock from
 * thread @tid (0: any), 0 if none came, -errno on a read error other than
 * a receive buffer overflow.
 */
static int genl_wait_event(struct genl *g, uint64_t sock, uint32_t tid, int ms,
			   long *n)
{
	struct event_wait w = { .g = g, .sock = sock, .tid = tid, .n = n };
	uint64_t end = now_ms() + ms;
	int left, rc;

	for (;;) {
		left = (int)(end - now_ms());
		if (left <= 0)
			return 0;
		rc = genl_recv(g, left, event_wait_msg, &w);
		if (w.found)
			return 1;
		if (!rc)
			return 0;
		if (rc < 0 && rc != -ENOBUFS && rc != -EAGAIN && rc != -EINTR)
			return rc;
	}
}

/* Lookups as fast as they go, each answer judged, events or not. */
static void *flood_main(void *arg)
{
	struct storm_thread *st = arg;
	struct storm *s = st->s;

	while (!stopped(&s->v) &&
	       !lookup_counted(&s->v, &s->ok, st->dev, s->sock, 0, &st->t, false))
		;
	return NULL;
}

enum leave {
	LEAVE_CLOSE,		/* the subscriber closes its socket */
	LEAVE_DROP,		/* UNSUBSCRIBE, then close */
	DROP_NEVER_JOINED,	/* another socket unsubscribes, never subscribed */
	DROP_UNPRIVILEGED,	/* the same from uid nobody, no capabilities */
};

FIXTURE(listener) {
	struct storm s;
};

FIXTURE_VARIANT(listener) {
	enum leave how;
};

FIXTURE_VARIANT_ADD(listener, close_mid_stream) {
	.how = LEAVE_CLOSE,
};

FIXTURE_VARIANT_ADD(listener, drop_membership_mid_stream) {
	.how = LEAVE_DROP,
};

FIXTURE_VARIANT_ADD(listener, drop_never_joined) {
	.how = DROP_NEVER_JOINED,
};

FIXTURE_VARIANT_ADD(listener, drop_never_joined_unprivileged) {
	.how = DROP_UNPRIVILEGED,
};

FIXTURE_SETUP(listener)
{
	struct genl g;

	if (!device_present())
		SETUP_SKIP(return, "%s: module not loaded", WINSOCK_DEVICE_PATH);
	SETUP_GENL_OPEN(&g, "the audit stream needs CAP_NET_ADMIN");
	genl_close(&g);
	storm_setup(_metadata, &self->s);
}

FIXTURE_TEARDOWN(listener)
{
	storm_teardown(&self->s);
}

/* Whether port @portid is gone from the subscribers, within 2 s. */
static bool unsubscribed(uint32_t portid)
{
	struct genl_stats st;
	struct genl req;
	bool gone = false;
	int i;

	if (genl_open(&req))
		return false;
	for (i = 0; i < 200 && !gone; i++) {
		gone = !genl_get_stats(&req, &st) && !genl_find_sub(&st, portid);
		if (!gone)
			usleep(10000);
	}
	genl_close(&req);
	return gone;
}

/*
 * UNSUBSCRIBE without a subscription, as nobody: refused (ENOENT, or EPERM
 * before the lookup), harmless.  SUBSCRIBE stays refused.
 */
static int unprivileged_drops(struct genl *g)
{
	int status, i, err;
	pid_t pid = fork();

	if (pid < 0)
		return -1;
	if (pid == 0) {
		struct genl mine;

		if (setgroups(0, NULL) || setresgid(NOBODY, NOBODY, NOBODY) ||
		    setresuid(NOBODY, NOBODY, NOBODY))
			_exit(10);
		if (genl_open(&mine) || mine.family != g->family)
			_exit(11);
		for (i = 0; i < 20; i++) {
			err = genl_unsubscribe(&mine);
			if (err != -ENOENT && err != -EPERM)
				_exit(13);
		}
		/* Subscribing stays refused (README's privilege model). */
		err = genl_subscribe(&mine, 0);
		_exit(err == -EPERM ? 0 : 12);
	}
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

/*
 * A subscriber subscribed throughout (@stayer) and one that subscribes
 * after the others left (@fresh) must both hear every later lookup.  The
 * module tracks its subscribers itself and skips the event work while
 * there are none (a static key): a subscriber that leaves, or an
 * UNSUBSCRIBE from a socket that never subscribed, must neither turn the
 * stream off for the others nor leave a count that a later subscription
 * cannot turn back on.  The stayer does not read during the flood: its
 * backlog fills, lookups wait for it once and then drop its events (it
 * is stalled) until it reads again, all while others come and go.
 */
TEST_F(listener, remaining_listeners_still_hear)
{
	void *(*const fn[])(void *) = { flood_main, flood_main };
	struct storm_thread t[2];
	struct genl g, stayer, fresh;
	long heard = 0, cycles = 0;
	int i, rc;

	SKIPPED_IN_SETUP();

	storm_threads_init(t, 2, &self->s, -1);
	ASSERT_EQ(0, genl_open(&stayer));
	ASSERT_EQ(0, genl_subscribe(&stayer, 0));
	for (i = 0; i < 2; i++) {
		t[i].dev = ws_open_started(0x0202);
		ASSERT_LE(0, t[i].dev);
		ASSERT_EQ(0, pthread_create(&t[i].th, NULL, fn[i], &t[i]));
	}
	for (i = 0; i < 5 && !stopped(&self->s.v); i++) {
		ASSERT_EQ(0, genl_open(&g));
		switch (variant->how) {
		case LEAVE_CLOSE:
		case LEAVE_DROP:
			ASSERT_EQ(0, genl_subscribe(&g, 0));
			/* Hear some of the flood, then leave with events queued. */
			EXPECT_EQ(1, genl_wait_event(&g, self->s.sock, 0, 2000, &heard));
			usleep(20000);
			if (variant->how == LEAVE_DROP) {
				/* Its full buffer would lose the answer. */
				EXPECT_EQ(0, genl_unsubscribe_noack(&g));
				EXPECT_TRUE(unsubscribed(g.portid));
			}
			break;
		case DROP_NEVER_JOINED:
			for (rc = 0; rc < 20; rc++)
				EXPECT_EQ(-ENOENT, genl_unsubscribe(&g));
			break;
		case DROP_UNPRIVILEGED:
			EXPECT_EQ(0, unprivileged_drops(&g));
			break;
		}
		/* The flood goes on between cycles. */
		usleep(20000);
		genl_close(&g);
		cycles++;
	}
	stop_all(&self->s.v);
	for (i = 0; i < 2; i++)
		pthread_join(t[i].th, NULL);

	/* What the stayer missed while it did not read is not the point. */
	genl_wait_event(&stayer, ~0ULL, 0, 200, NULL);
	/*
	 * The stayer first, before anyone joins again: a new subscription
	 * could turn a stream that an unbind turned off back on.
	 */
	for (i = 0; i < 3; i++) {
		EXPECT_EQ(0, lookup_rc(t[0].dev, self->s.sock));
		rc = genl_wait_event(&stayer, self->s.sock, gettid(), 2000, NULL);
		EXPECT_EQ(1, rc) TH_LOG("lookup %d: no event for the listener that stayed", i);
	}
	ASSERT_EQ(0, genl_open(&fresh));
	ASSERT_EQ(0, genl_subscribe(&fresh, 0));
	for (i = 0; i < 3; i++) {
		EXPECT_EQ(0, lookup_rc(t[0].dev, self->s.sock));
		rc = genl_wait_event(&stayer, self->s.sock, gettid(), 2000, NULL);
		EXPECT_EQ(1, rc) TH_LOG("lookup %d: no event for the listener that stayed", i);
		rc = genl_wait_event(&fresh, self->s.sock, gettid(), 2000, NULL);
		EXPECT_EQ(1, rc) TH_LOG("lookup %d: no event for a new listener", i);
	}
	genl_close(&fresh);
	genl_close(&stayer);
	TH_LOG("%ld listener cycles, %ld events heard during them; flood %ld + %ld lookups",
	       cycles, heard, t[0].t.lookups, t[1].t.lookups);
	EXPECT_STREQ("", self->s.v.failure);
	EXPECT_LT(0, t[0].t.lookups + t[1].t.lookups);
	close(t[0].dev);
	close(t[1].dev);
}

#endif /* WINSOCK_RACE_LISTENER_H */
