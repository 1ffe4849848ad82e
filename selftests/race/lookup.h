/* SPDX-License-Identifier: GPL-2.0 */
/*
 * lookup_race: the descriptor being looked up changes under the lookups.
 */
#ifndef WINSOCK_RACE_LOOKUP_H
#define WINSOCK_RACE_LOOKUP_H

#include "legal.h"

/* @addr, at the port listener @port_of is bound to: 0 or -1. */
static int peer_address(struct sockaddr_storage *ss, socklen_t *len, int family,
			const char *addr, int port_of)
{
	struct sockaddr_storage bound = { 0 };
	socklen_t blen = sizeof(bound);

	/* A port that exists: the one a listener of ours is bound to. */
	if (getsockname(port_of, (struct sockaddr *)&bound, &blen))
		return -1;
	memset(ss, 0, sizeof(*ss));
	ss->ss_family = family;
	if (family == AF_INET) {
		struct sockaddr_in *sin = (struct sockaddr_in *)ss;

		inet_pton(AF_INET, addr, &sin->sin_addr);
		sin->sin_port = ((struct sockaddr_in *)&bound)->sin_port;
		*len = sizeof(*sin);
	} else {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;

		inet_pton(AF_INET6, addr, &sin6->sin6_addr);
		sin6->sin6_port = bound.ss_family == AF_INET ?
			((struct sockaddr_in *)&bound)->sin_port :
			((struct sockaddr_in6 *)&bound)->sin6_port;
		*len = sizeof(*sin6);
	}
	return 0;
}

/*
 * lookup_race: one descriptor number, a mutator changing what it is,
 * lookup threads judging every answer.
 */
enum mutation {
	CLOSE_FRESH_SOCKETS,	/* close(fd); a new socket put back each time */
	SHUTDOWN_RDWR,		/* TCP shut down both ways, peer closed */
	UDP4_DISSOLVE,		/* connect(P1), AF_UNSPEC, connect(P2), AF_UNSPEC */
	UDP6_DISSOLVE,		/* same on IPv6, one peer IPv4-mapped */
	DUP2_PIPE,		/* socket, pipe, another socket, pipe */
	DUP2_SOCKET,		/* sockets of four kinds, always a socket */
};

#define LOOKERS 3

struct race;

struct looker {
	struct race *r;
	pthread_t th;
	int dev;
	struct tally t;
};

struct race {
	struct verdict v;
	struct legal_set ls;
	enum mutation kind;
	int fd;			/* the descriptor number under attack */
	int tcp4a, tcp4b, tcp6, unixl;	/* listeners */
	struct sockaddr_storage p1, p2;	/* UDP peers */
	socklen_t p1len, p2len;
	int alt[4];		/* what DUP2_* puts in place */
	int pipefd[2];
	long mutations;
	struct looker lk[LOOKERS];
};

static void *looker_main(void *arg)
{
	struct looker *k = arg;

	lookup_until_stopped(&k->r->v, &k->r->ls, k->dev, k->r->fd, &k->t);
	return NULL;
}

/* Put @fresh in place of r->fd, closing what was there. */
static int replace(struct race *r, int fresh, bool close_first)
{
	/*
	 * close() then dup2(): lookups see the number free in between.  The
	 * fresh socket was made before, so it did not take the number.
	 */
	if (close_first)
		close(r->fd);
	if (dup2(fresh, r->fd) != r->fd)
		return -1;
	close(fresh);
	return 0;
}

static int mutate(struct race *r)
{
	long n = r->mutations;
	int fresh = -1, server = -1, rc = 0;

	switch (r->kind) {
	case CLOSE_FRESH_SOCKETS:
		/* Each closed socket is destroyed: its last reference goes. */
		switch (n % 4) {
		case 0:
			fresh = connect_accept(r->tcp4a, &server);
			break;
		case 1:
			fresh = connect_accept(r->tcp6, &server);
			break;
		case 2:
			fresh = connected_socket(AF_INET, SOCK_DGRAM, &r->p1, r->p1len);
			break;
		default:
			fresh = connect_accept(r->unixl, &server);
			break;
		}
		if (fresh < 0)
			return -1;
		rc = replace(r, fresh, true);
		break;
	case SHUTDOWN_RDWR:
		fresh = connect_accept(n % 3 == 0 ? r->tcp4a :
				       n % 3 == 1 ? r->tcp4b : r->tcp6,
				       &server);
		if (fresh < 0)
			return -1;
		rc = replace(r, fresh, false);
		/* Both orders: we shut down first, or the peer closes first. */
		if (n & 1) {
			shutdown(r->fd, SHUT_RDWR);
			close(server);
		} else {
			close(server);
			shutdown(r->fd, SHUT_RDWR);
		}
		server = -1;
		break;
	case UDP4_DISSOLVE:
	case UDP6_DISSOLVE: {
		struct sockaddr unspec = { .sa_family = AF_UNSPEC };

		if (n & 1)
			rc = connect(r->fd, &unspec, sizeof(unspec));
		else if (n & 2)
			rc = connect(r->fd, (struct sockaddr *)&r->p2, r->p2len);
		else
			rc = connect(r->fd, (struct sockaddr *)&r->p1, r->p1len);
		break;
	}
	case DUP2_PIPE:
		/* Atomic replacement: socket A, pipe, socket B, pipe. */
		fresh = (n & 1) ? r->pipefd[0] : r->alt[(n >> 1) & 1];
		rc = dup2(fresh, r->fd) == r->fd ? 0 : -1;
		break;
	case DUP2_SOCKET:
		rc = dup2(r->alt[n % 4], r->fd) == r->fd ? 0 : -1;
		break;
	}
	if (server >= 0)
		close(server);
	if (!rc)
		r->mutations++;
	return rc;
}

FIXTURE(lookup_race) {
	struct race r;
	int accepted[4];
};

FIXTURE_VARIANT(lookup_race) {
	enum mutation kind;
};

FIXTURE_VARIANT_ADD(lookup_race, close_fresh_sockets) {
	.kind = CLOSE_FRESH_SOCKETS,
};

FIXTURE_VARIANT_ADD(lookup_race, shutdown_rdwr) {
	.kind = SHUTDOWN_RDWR,
};

FIXTURE_VARIANT_ADD(lookup_race, udp4_dissolve_reconnect) {
	.kind = UDP4_DISSOLVE,
};

FIXTURE_VARIANT_ADD(lookup_race, udp6_dissolve_reconnect) {
	.kind = UDP6_DISSOLVE,
};

FIXTURE_VARIANT_ADD(lookup_race, dup2_pipe) {
	.kind = DUP2_PIPE,
};

FIXTURE_VARIANT_ADD(lookup_race, dup2_other_socket) {
	.kind = DUP2_SOCKET,
};

FIXTURE_SETUP(lookup_race)
{
	struct sockaddr unspec = { .sa_family = AF_UNSPEC };
	struct race *r = &self->r;
	struct sockaddr_un sun;
	socklen_t sunlen;
	int i, s, srv, sv[2];

	memset(r, 0, sizeof(*r));
	r->fd = -1;
	for (i = 0; i < 4; i++)
		r->alt[i] = self->accepted[i] = -1;
	r->pipefd[0] = r->pipefd[1] = -1;
	r->tcp4a = r->tcp4b = r->tcp6 = r->unixl = -1;
	if (!device_present())
		SETUP_SKIP(return, "%s: %s (module not loaded)", WINSOCK_DEVICE_PATH,
			   strerror(errno));
	verdict_init(&r->v);
	r->kind = variant->kind;
	r->tcp4a = tcp_listener_at(AF_INET, "127.0.0.1", 16);
	r->tcp4b = tcp_listener_at(AF_INET, "127.0.0.2", 16);
	r->tcp6 = tcp_listener_at(AF_INET6, "::1", 16);
	sunlen = unix_abstract_name(&sun, "race", "0");
	r->unixl = unix_bound(SOCK_STREAM, &sun, sunlen, 16);
	ASSERT_LE(0, r->tcp4a);
	ASSERT_LE(0, r->tcp4b);
	ASSERT_LE(0, r->tcp6);
	ASSERT_LE(0, r->unixl);
	ASSERT_EQ(0, pipe2(r->pipefd, O_CLOEXEC));

	/*
	 * The legal answers are learnt from Linux getpeername(2) on sockets
	 * in each state the descriptor will pass through.
	 */
	switch (r->kind) {
	case CLOSE_FRESH_SOCKETS:
		legal_not_socket(&r->ls);	/* the number is free a moment */
		ASSERT_EQ(0, peer_address(&r->p1, &r->p1len, AF_INET, "127.0.0.2",
					  r->tcp4a));
		for (i = 0; i < 4; i++) {
			srv = -1;
			if (i == 0)
				s = connect_accept(r->tcp4a, &srv);
			else if (i == 1)
				s = connect_accept(r->tcp6, &srv);
			else if (i == 2)
				s = connected_socket(AF_INET, SOCK_DGRAM, &r->p1, r->p1len);
			else
				s = connect_accept(r->unixl, &srv);
			ASSERT_LE(0, s);
			ASSERT_EQ(0, legal_peer_of(&r->ls, s));
			if (srv >= 0)
				close(srv);
			if (r->fd < 0)
				r->fd = s;
			else
				close(s);
		}
		break;
	case SHUTDOWN_RDWR:
		/* Shut down both ways, a TCP socket keeps its peer (README). */
		for (i = 0; i < 3; i++) {
			s = connect_accept(i == 0 ? r->tcp4a : i == 1 ?
					   r->tcp4b : r->tcp6, &srv);
			ASSERT_LE(0, s);
			ASSERT_EQ(0, legal_peer_of(&r->ls, s));
			close(srv);
			if (r->fd < 0)
				r->fd = s;
			else
				close(s);
		}
		break;
	case UDP4_DISSOLVE:
	case UDP6_DISSOLVE:
		legal_no_peer(&r->ls, AF_INET);
		if (r->kind == UDP4_DISSOLVE) {
			ASSERT_EQ(0, peer_address(&r->p1, &r->p1len, AF_INET,
						  "127.0.0.1", r->tcp4a));
			ASSERT_EQ(0, peer_address(&r->p2, &r->p2len, AF_INET,
						  "127.0.0.2", r->tcp4b));
		} else {
			ASSERT_EQ(0, peer_address(&r->p1, &r->p1len, AF_INET6,
						  "::1", r->tcp6));
			ASSERT_EQ(0, peer_address(&r->p2, &r->p2len, AF_INET6,
						  "::ffff:127.0.0.2", r->tcp4b));
		}
		r->fd = socket(r->p1.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
		ASSERT_LE(0, r->fd);
		ASSERT_EQ(0, connect(r->fd, (struct sockaddr *)&r->p2, r->p2len));
		ASSERT_EQ(0, legal_peer_of(&r->ls, r->fd));
		/*
		 * Dissolve before the next association, as the mutator does:
		 * that also resets the source address an IPv4-mapped peer
		 * chose, with which [::1] could not be reached.
		 */
		ASSERT_EQ(0, connect(r->fd, &unspec, sizeof(unspec)));
		ASSERT_EQ(0, connect(r->fd, (struct sockaddr *)&r->p1, r->p1len));
		ASSERT_EQ(0, legal_peer_of(&r->ls, r->fd));
		break;
	case DUP2_PIPE:
		legal_not_socket(&r->ls);
		r->alt[0] = connect_accept(r->tcp4a, &self->accepted[0]);
		r->alt[1] = connect_accept(r->unixl, &self->accepted[1]);
		ASSERT_LE(0, r->alt[0]);
		ASSERT_LE(0, r->alt[1]);
		ASSERT_EQ(0, legal_peer_of(&r->ls, r->alt[0]));
		ASSERT_EQ(0, legal_peer_of(&r->ls, r->alt[1]));
		r->fd = dup(r->alt[0]);
		break;
	case DUP2_SOCKET:
		/* Always a socket: WSAENOTSOCK only for netlink in Windows' layout. */
		r->alt[0] = connect_accept(r->tcp6, &self->accepted[0]);
		r->alt[1] = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
		r->alt[2] = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
		ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv));
		r->alt[3] = sv[0];
		self->accepted[1] = sv[1];
		for (i = 0; i < 4; i++)
			ASSERT_LE(0, r->alt[i]);
		ASSERT_EQ(0, legal_peer_of(&r->ls, r->alt[0]));
		legal_no_peer(&r->ls, AF_INET);
		ASSERT_EQ(0, legal_peer_of(&r->ls, r->alt[2]));
		ASSERT_EQ(0, legal_peer_of(&r->ls, r->alt[3]));
		r->fd = dup(r->alt[0]);
		break;
	}
	ASSERT_LE(0, r->fd);
	for (i = 0; i < LOOKERS; i++) {
		r->lk[i].r = r;
		r->lk[i].dev = ws_open_started(0x0202);
		ASSERT_LE(0, r->lk[i].dev);
	}
}

/* Close @fd if the setup got as far as opening it (-1 if not). */
static void close_open(int fd)
{
	if (fd >= 0)
		close(fd);
}

FIXTURE_TEARDOWN(lookup_race)
{
	struct race *r = &self->r;
	int i;

	for (i = 0; i < LOOKERS; i++)
		if (r->lk[i].dev > 0)
			close(r->lk[i].dev);
	for (i = 0; i < 4; i++) {
		close_open(r->alt[i]);
		close_open(self->accepted[i]);
	}
	close_open(r->fd);
	close_open(r->pipefd[0]);
	close_open(r->pipefd[1]);
	close_open(r->tcp4a);
	close_open(r->tcp4b);
	close_open(r->tcp6);
	close_open(r->unixl);
}

TEST_F(lookup_race, answers_are_legal)
{
	struct race *r = &self->r;
	struct tally sum = { 0 };
	uint64_t end;
	int i;

	SKIPPED_IN_SETUP();

	for (i = 0; i < LOOKERS; i++)
		ASSERT_EQ(0, pthread_create(&r->lk[i].th, NULL, looker_main, &r->lk[i]));
	end = now_ms() + RACE_MS;
	while (!stopped(&r->v) && now_ms() < end) {
		if (mutate(r)) {
			fail_once(&r->v, "mutation %ld failed: %s", r->mutations,
				  strerror(errno));
			break;
		}
	}
	stop_all(&r->v);
	for (i = 0; i < LOOKERS; i++) {
		pthread_join(r->lk[i].th, NULL);
		tally_sum(&sum, &r->lk[i].t);
	}
	TH_LOG("%ld mutations; %ld lookups: %ld ok, %ld WSAENOTSOCK, %ld WSAENOTCONN",
	       r->mutations, sum.lookups, sum.ok, sum.notsock, sum.notconn);
	EXPECT_STREQ("", r->v.failure);
	EXPECT_LT(0, r->mutations);
	EXPECT_LT(0, sum.ok);
}

#endif /* WINSOCK_RACE_LOOKUP_H */
