/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A connection looked up by threads while others work on handles: what
 * the handles, shared_handle and listener fixtures have in common.
 */
#ifndef WINSOCK_RACE_STORM_H
#define WINSOCK_RACE_STORM_H

#include "legal.h"

/*
 * What the threads of one storm share; the fixture of each test that has
 * one (FIXTURE(name) { struct storm s; }).
 */
struct storm {
	struct verdict v;
	struct tcp_conn c;		/* the connection looked up */
	bool connected;
	struct legal_set ok;		/* only the connection's peer */
	struct legal_set probe;		/* a handle that may be closed, not started */
	int sock;			/* c.client */
	int victim;			/* a handle number being closed */
};

struct storm_thread {
	struct storm *s;
	void *arg;
	pthread_t th;
	int dev;
	long rounds;
	struct tally t;
};

/* Lookups through a long-lived handle: always the peer. */
static void *steady_main(void *arg)
{
	struct storm_thread *st = arg;

	lookup_until_stopped(&st->s->v, &st->s->ok, st->dev, st->s->sock, &st->t);
	return NULL;
}

/* A connection to look up, and the legal answers about it. */
static void storm_setup(struct __test_metadata *_metadata, struct storm *s)
{
	memset(s, 0, sizeof(*s));
	verdict_init(&s->v);
	ASSERT_EQ(0, tcp_connect(&s->c, AF_INET));
	s->connected = true;
	s->sock = s->c.client;
	s->victim = -1;
	ASSERT_EQ(0, legal_peer_of(&s->ok, s->sock));
	s->probe = s->ok;
	s->probe.layout[0].notinit = s->probe.layout[1].notinit = true;
}

static void storm_teardown(struct storm *s)
{
	if (s->connected)
		tcp_close(&s->c);
}

/* @n threads of @s, looking up through @dev (-1: none yet). */
static void storm_threads_init(struct storm_thread *t, int n, struct storm *s,
			       int dev)
{
	int i;

	memset(t, 0, n * sizeof(*t));
	for (i = 0; i < n; i++) {
		t[i].s = s;
		t[i].dev = dev;
	}
}

static void run_threads(struct verdict *v, struct storm_thread *t, int n,
			void *(*const *fn)(void *), int ms)
{
	uint64_t end = now_ms() + ms;
	int i;

	for (i = 0; i < n; i++)
		if (pthread_create(&t[i].th, NULL, fn[i], &t[i])) {
			fail_once(v, "pthread_create");
			n = i;
			break;
		}
	while (!stopped(v) && now_ms() < end)
		usleep(10000);
	stop_all(v);
	for (i = 0; i < n; i++)
		pthread_join(t[i].th, NULL);
}

#endif /* WINSOCK_RACE_STORM_H */
