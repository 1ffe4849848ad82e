// SPDX-License-Identifier: GPL-2.0
/*
 * Races and life cycle of /dev/winsock.
 *
 * The other selftests ask one question at a time.  Here the descriptor
 * being looked up, the handle it is looked up through, the process and
 * the module change under running lookups, because that is where a
 * reference taken too late, a field read twice or a count updated without
 * its lock shows: as an answer no single-threaded sequence can give.
 *
 * - lookup_race: threads look the same descriptor number up (single ioctl
 *   and batch, both layouts) while another thread closes the socket,
 *   shuts it down, dissolves and re-establishes a UDP association or
 *   replaces the descriptor with dup2().  Every answer must be one the
 *   descriptor could give in one of the states it went through, and a
 *   successful answer must be, byte for byte, the address of one of the
 *   peers it had: no torn or mixed address, nothing written past it.
 * - handles: /dev/winsock opened and closed in storms, startups and
 *   cleanups counted exactly, a shared handle whose count never drops to
 *   zero under concurrent startup/cleanup pairs, handles closed under a
 *   lookup in flight.
 * - fork: with the raw ioctls the child shares the parent's open file (one
 *   handle, one count); through libwinsock the child reopens the device
 *   and keeps its own count (lib/startup.c), also when fork() races with
 *   WSAStartup/WSACleanup in other threads.
 * - rmmod: delete_module() is refused while lookups run, and they go on.
 * - listener: an audit subscriber leaving mid-stream (its socket closed,
 *   WINSOCK_CMD_UNSUBSCRIBE, an UNSUBSCRIBE from a socket that never
 *   subscribed, also unprivileged) must not silence the stream for the
 *   others or the next one.  Read with a raw NETLINK_GENERIC socket: this
 *   program is built 32-bit too, where libnl is not installed.
 *
 * Every phase is bounded in time (RACE_MS) so that the whole program stays
 * within seconds in a TCG guest; the counts of what happened are logged.
 */
#include <linux/genetlink.h>
#include <linux/kcmp.h>
#include <linux/netlink.h>
#include <grp.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>

#include "winsock_test.h"
#include "genl_raw.h"
#include "internal.h"		/* ws_device_fd: the library's handle */

/* How long each racing phase runs. */
#define RACE_MS		600
#define NAME_CAP	WINSOCK_BATCH_NAME_SIZE
#define BATCH		8
#define NOBODY		65534


static bool device_present(void)
{
	return access(WINSOCK_DEVICE_PATH, R_OK | W_OK) == 0;
}

/*
 * The first failure seen by any thread, kept for the main thread to
 * report: the harness's ASSERT/EXPECT must not run outside it.
 */
struct verdict {
	pthread_mutex_t lock;
	int stop;
	char failure[512];
};

static void verdict_init(struct verdict *v)
{
	pthread_mutex_init(&v->lock, NULL);
	v->stop = 0;
	v->failure[0] = '\0';
}

static bool stopped(struct verdict *v)
{
	return __atomic_load_n(&v->stop, __ATOMIC_RELAXED);
}

static void stop_all(struct verdict *v)
{
	__atomic_store_n(&v->stop, 1, __ATOMIC_RELAXED);
}

static void __attribute__((format(printf, 2, 3)))
fail_once(struct verdict *v, const char *fmt, ...)
{
	va_list ap;

	pthread_mutex_lock(&v->lock);
	if (!v->failure[0]) {
		va_start(ap, fmt);
		vsnprintf(v->failure, sizeof(v->failure), fmt, ap);
		va_end(ap);
	}
	pthread_mutex_unlock(&v->lock);
	stop_all(v);
}

/*
 * What a lookup may answer, per layout ([0] Windows, [1] native): error
 * codes, and the exact bytes of every address it may return.
 */
#define MAX_ANSWERS 8

struct answer {
	int size;
	uint8_t bytes[NAME_CAP];
};

struct legal {
	bool notsock, notconn, notinit, inprogress;
	int n;
	struct answer a[MAX_ANSWERS];
};

struct legal_set {
	struct legal layout[2];
};

#define LAYOUT(flags)	(((flags) & WINSOCK_GPN_NATIVE) ? 1 : 0)

static void legal_add(struct legal *l, int size, const void *bytes)
{
	if (l->n < MAX_ANSWERS) {
		l->a[l->n].size = size;
		memset(l->a[l->n].bytes, 0, NAME_CAP);
		memcpy(l->a[l->n].bytes, bytes, size);
		l->n++;
	}
}

/* A state with this native peer: its answer in both layouts. */
static void legal_peer(struct legal_set *ls, const struct sockaddr_storage *ss,
		       socklen_t len)
{
	uint8_t win[NAME_CAP] = { 0 };
	uint16_t wfamily;
	int wsize;

	legal_add(&ls->layout[1], len, ss);
	switch (ss->ss_family) {
	case AF_INET:
		wfamily = WINSOCK_AF_INET;
		wsize = WINSOCK_SOCKADDR_IN_SIZE;
		break;
	case AF_INET6:
		wfamily = WINSOCK_AF_INET6;
		wsize = WINSOCK_SOCKADDR_IN6_SIZE;
		break;
	case AF_UNIX:
		wfamily = WINSOCK_AF_UNIX;
		wsize = WINSOCK_SOCKADDR_UN_SIZE;
		break;
	default:
		/* No Windows provider for the family. */
		ls->layout[0].notsock = true;
		return;
	}
	/* Windows' layout: the native bytes, its family, zeros to its size. */
	memcpy(win, ss, len);
	memcpy(win, &wfamily, sizeof(wfamily));
	legal_add(&ls->layout[0], wsize, win);
}

/* The peer @fd has now, as Linux getpeername(2) reports it. */
static int legal_peer_of(struct legal_set *ls, int fd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	memset(&ss, 0, sizeof(ss));
	if (getpeername(fd, (struct sockaddr *)&ss, &len))
		return -1;
	legal_peer(ls, &ss, len);
	return 0;
}

/* A socket of @family without a peer. */
static void legal_no_peer(struct legal_set *ls, int family)
{
	ls->layout[1].notconn = true;
	if (family == AF_INET || family == AF_INET6 || family == AF_UNIX)
		ls->layout[0].notconn = true;
	else
		ls->layout[0].notsock = true;
}

static void legal_not_socket(struct legal_set *ls)
{
	ls->layout[0].notsock = ls->layout[1].notsock = true;
}

static void hex(char *out, size_t size, const uint8_t *b, int n)
{
	int i, o = 0;

	out[0] = '\0';
	for (i = 0; i < n && o + 3 < (int)size; i++)
		o += snprintf(out + o, size - o, "%02x", b[i]);
}

/*
 * Judge one answer.  @name is the caller's buffer after the call, @cap
 * bytes of it poisoned before; @size the namelen after the call, @size0
 * before.  Returns NULL when the answer is legal, else why not.
 */
static const char *judge(const struct legal *l, int result, int size0,
			 int size, const uint8_t *name, int cap,
			 char *why, size_t whylen)
{
	char h[2 * 32 + 1];
	bool allowed;
	int i, j;

	if (result == 0) {
		for (i = 0; i < l->n; i++) {
			if (l->a[i].size != size ||
			    memcmp(l->a[i].bytes, name, size))
				continue;
			for (j = size; j < cap; j++)
				if (name[j] != POISON) {
					snprintf(why, whylen,
						 "byte %d past the %d-byte address written", j, size);
					return why;
				}
			return NULL;
		}
		hex(h, sizeof(h), name, size < 32 ? (size < 0 ? 0 : size) : 32);
		snprintf(why, whylen,
			 "success with an address the descriptor never had: size %d, %s",
			 size, h);
		return why;
	}
	switch (result) {
	case WINSOCK_WSAENOTSOCK:
		allowed = l->notsock;
		break;
	case WINSOCK_WSAENOTCONN:
		allowed = l->notconn;
		break;
	case WINSOCK_WSANOTINITIALISED:
		allowed = l->notinit;
		break;
	case WINSOCK_WSAEINPROGRESS:
		allowed = l->inprogress;
		break;
	default:
		allowed = false;
	}
	if (!allowed) {
		snprintf(why, whylen, "answer %d is not legal here", result);
		return why;
	}
	if (size != size0) {
		snprintf(why, whylen, "failure %d changed namelen %d to %d",
			 result, size0, size);
		return why;
	}
	for (j = 0; j < cap; j++)
		if (name[j] != POISON) {
			snprintf(why, whylen, "failure %d wrote byte %d", result, j);
			return why;
		}
	return NULL;
}

/* Per-result tallies of one thread. */
struct tally {
	long ok, notsock, notconn, notinit, inprogress, badf, lookups;
};

static void tally_add(struct tally *t, int result)
{
	t->lookups++;
	switch (result) {
	case 0:
		t->ok++;
		break;
	case WINSOCK_WSAENOTSOCK:
		t->notsock++;
		break;
	case WINSOCK_WSAENOTCONN:
		t->notconn++;
		break;
	case WINSOCK_WSANOTINITIALISED:
		t->notinit++;
		break;
	case WINSOCK_WSAEINPROGRESS:
		t->inprogress++;
		break;
	case -EBADF:
		t->badf++;
		break;
	}
}

static void tally_sum(struct tally *sum, const struct tally *t)
{
	sum->ok += t->ok;
	sum->notsock += t->notsock;
	sum->notconn += t->notconn;
	sum->notinit += t->notinit;
	sum->inprogress += t->inprogress;
	sum->badf += t->badf;
	sum->lookups += t->lookups;
}

/*
 * One single lookup of @fd through @dev, judged; -EBADF is legal when
 * @badf_ok (the handle itself may be closed meanwhile).  Returns the
 * answer, or INT_MIN after recording a failure.
 */
static int lookup_single(struct verdict *v, const struct legal_set *ls,
			 int dev, uint64_t fd, uint32_t flags, bool badf_ok)
{
	uint8_t buf[NAME_CAP + 16];
	char why[256];
	int len = NAME_CAP, rc;
	const char *bad;

	memset(buf, POISON, sizeof(buf));
	rc = ws_raw_getpeername(dev, fd, buf, &len, flags);
	if (rc < 0) {
		if (rc == -EBADF && badf_ok)
			return rc;
		fail_once(v, "single lookup of %llu (flags %u): request failed: %s",
			  (unsigned long long)fd, flags, strerror(-rc));
		return INT_MIN;
	}
	bad = judge(&ls->layout[LAYOUT(flags)], rc, NAME_CAP, len, buf,
		    sizeof(buf), why, sizeof(why));
	if (bad) {
		fail_once(v, "single lookup of %llu (flags %u): %s",
			  (unsigned long long)fd, flags, bad);
		return INT_MIN;
	}
	return rc;
}

/* A batch of BATCH lookups of @fd, layouts alternating, each judged. */
static int lookup_batch(struct verdict *v, const struct legal_set *ls,
			int dev, uint64_t fd, struct tally *t, bool badf_ok)
{
	struct winsock_peer_entry e[BATCH];
	char why[256];
	const char *bad;
	int i, rc;

	for (i = 0; i < BATCH; i++) {
		memset(&e[i], POISON, sizeof(e[i]));
		e[i].socket = fd;
		e[i].flags = (i & 1) ? WINSOCK_GPN_NATIVE : 0;
		e[i].namelen = NAME_CAP;
		e[i].reserved = 0;
	}
	rc = ws_raw_batch(dev, e, BATCH);
	if (rc) {
		if (rc == -EBADF && badf_ok) {
			tally_add(t, rc);
			return 0;
		}
		fail_once(v, "batch on %llu: request failed: %d",
			  (unsigned long long)fd, rc);
		return -1;
	}
	for (i = 0; i < BATCH; i++) {
		bad = judge(&ls->layout[LAYOUT(e[i].flags)], (int)e[i].result,
			    NAME_CAP, e[i].namelen, e[i].name, NAME_CAP,
			    why, sizeof(why));
		if (bad) {
			fail_once(v, "batch entry %d of %llu (flags %u): %s", i,
				  (unsigned long long)fd, e[i].flags, bad);
			return -1;
		}
		tally_add(t, (int)e[i].result);
	}
	return 0;
}

/* Loopback endpoints every test can connect to. */
static int bind_listen(int family, const char *addr, int type)
{
	struct sockaddr_storage ss = { .ss_family = family };
	socklen_t len;
	int fd = socket(family, type | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -1;
	if (family == AF_INET) {
		inet_pton(AF_INET, addr, &((struct sockaddr_in *)&ss)->sin_addr);
		len = sizeof(struct sockaddr_in);
	} else {
		inet_pton(AF_INET6, addr, &((struct sockaddr_in6 *)&ss)->sin6_addr);
		len = sizeof(struct sockaddr_in6);
	}
	if (bind(fd, (struct sockaddr *)&ss, len) ||
	    (type == SOCK_STREAM && listen(fd, 16))) {
		close(fd);
		return -1;
	}
	return fd;
}

static int unix_listener(struct sockaddr_un *sun, socklen_t *len, int tag)
{
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	int n;

	memset(sun, 0, sizeof(*sun));
	sun->sun_family = AF_UNIX;
	/* Abstract: nothing to clean up in the filesystem. */
	n = snprintf(sun->sun_path + 1, sizeof(sun->sun_path) - 1,
		     "winsock-race-%d-%d", getpid(), tag);
	*len = offsetof(struct sockaddr_un, sun_path) + 1 + n;
	if (fd < 0 || bind(fd, (struct sockaddr *)sun, *len) || listen(fd, 16)) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

/* Connect a new socket to what @listener is bound to (SOCK_STREAM). */
static int connect_to_listener(int listener, int *accepted)
{
	struct sockaddr_storage ss = { 0 };
	socklen_t len = sizeof(ss);
	int fd;

	if (getsockname(listener, (struct sockaddr *)&ss, &len))
		return -1;
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	if (connect(fd, (struct sockaddr *)&ss, len)) {
		close(fd);
		return -1;
	}
	*accepted = accept4(listener, NULL, NULL, SOCK_CLOEXEC);
	if (*accepted < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* A UDP socket of @family associated with @to's address and port. */
static int udp_connect_to(int family, const struct sockaddr_storage *to,
			  socklen_t len)
{
	int fd = socket(family, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -1;
	if (connect(fd, (const struct sockaddr *)to, len)) {
		close(fd);
		return -1;
	}
	return fd;
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
	struct race *r = k->r;
	unsigned int i;
	uint32_t flags;
	int rc;

	for (i = 0; !stopped(&r->v); i++) {
		if (i & 1) {
			if (lookup_batch(&r->v, &r->ls, k->dev, r->fd, &k->t, false))
				break;
			continue;
		}
		flags = (i & 2) ? WINSOCK_GPN_NATIVE : 0;
		rc = lookup_single(&r->v, &r->ls, k->dev, r->fd, flags, false);
		if (rc == INT_MIN)
			break;
		tally_add(&k->t, rc);
	}
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
			fresh = connect_to_listener(r->tcp4a, &server);
			break;
		case 1:
			fresh = connect_to_listener(r->tcp6, &server);
			break;
		case 2:
			fresh = udp_connect_to(AF_INET, &r->p1, r->p1len);
			break;
		default:
			fresh = connect_to_listener(r->unixl, &server);
			break;
		}
		if (fresh < 0)
			return -1;
		rc = replace(r, fresh, true);
		break;
	case SHUTDOWN_RDWR:
		fresh = connect_to_listener(n % 3 == 0 ? r->tcp4a :
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
		SKIP(return, "%s: %s (module not loaded)", WINSOCK_DEVICE_PATH,
		     strerror(errno));
	verdict_init(&r->v);
	r->kind = variant->kind;
	r->tcp4a = bind_listen(AF_INET, "127.0.0.1", SOCK_STREAM);
	r->tcp4b = bind_listen(AF_INET, "127.0.0.2", SOCK_STREAM);
	r->tcp6 = bind_listen(AF_INET6, "::1", SOCK_STREAM);
	r->unixl = unix_listener(&sun, &sunlen, 0);
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
				s = connect_to_listener(r->tcp4a, &srv);
			else if (i == 1)
				s = connect_to_listener(r->tcp6, &srv);
			else if (i == 2)
				s = udp_connect_to(AF_INET, &r->p1, r->p1len);
			else
				s = connect_to_listener(r->unixl, &srv);
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
			s = connect_to_listener(i == 0 ? r->tcp4a : i == 1 ?
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
		r->alt[0] = connect_to_listener(r->tcp4a, &self->accepted[0]);
		r->alt[1] = connect_to_listener(r->unixl, &self->accepted[1]);
		ASSERT_LE(0, r->alt[0]);
		ASSERT_LE(0, r->alt[1]);
		ASSERT_EQ(0, legal_peer_of(&r->ls, r->alt[0]));
		ASSERT_EQ(0, legal_peer_of(&r->ls, r->alt[1]));
		r->fd = dup(r->alt[0]);
		break;
	case DUP2_SOCKET:
		/* Always a socket: WSAENOTSOCK only for netlink in Windows' layout. */
		r->alt[0] = connect_to_listener(r->tcp6, &self->accepted[0]);
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

FIXTURE_TEARDOWN(lookup_race)
{
	struct race *r = &self->r;
	int i;

	for (i = 0; i < LOOKERS; i++)
		if (r->lk[i].dev > 0)
			close(r->lk[i].dev);
	for (i = 0; i < 4; i++) {
		if (r->alt[i] >= 0)
			close(r->alt[i]);
		if (self->accepted[i] >= 0)
			close(self->accepted[i]);
	}
	if (r->fd >= 0)
		close(r->fd);
	if (r->pipefd[0] >= 0) {
		close(r->pipefd[0]);
		close(r->pipefd[1]);
	}
	if (r->tcp4a >= 0)
		close(r->tcp4a);
	if (r->tcp4b >= 0)
		close(r->tcp4b);
	if (r->tcp6 >= 0)
		close(r->tcp6);
	if (r->unixl >= 0)
		close(r->unixl);
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

/*
 * handles: storms of open/startup/cleanup/close, exact counts, lookups on
 * other handles unharmed.
 */
struct storm {
	struct verdict v;
	struct legal_set ok;		/* only the connection's peer */
	struct legal_set probe;		/* a handle that may be closed, not started */
	int sock;
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

/* Lookups through a long-lived handle: always the peer. */
static void *steady_main(void *arg)
{
	struct storm_thread *st = arg;
	struct storm *s = st->s;
	unsigned int i;
	int rc;

	for (i = 0; !stopped(&s->v); i++) {
		if (i & 1) {
			if (lookup_batch(&s->v, &s->ok, st->dev, s->sock, &st->t, false))
				break;
			continue;
		}
		rc = lookup_single(&s->v, &s->ok, st->dev, s->sock,
				   (i & 2) ? WINSOCK_GPN_NATIVE : 0, false);
		if (rc == INT_MIN)
			break;
		tally_add(&st->t, rc);
	}
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
	int dev, rc;

	for (i = 0; !stopped(&s->v); i++) {
		dev = __atomic_load_n(&s->victim, __ATOMIC_RELAXED);
		if (dev < 0) {
			sched_yield();
			continue;
		}
		if (i & 1) {
			if (lookup_batch(&s->v, &s->probe, dev, s->sock, &st->t, true))
				break;
			continue;
		}
		rc = lookup_single(&s->v, &s->probe, dev, s->sock, 0, true);
		if (rc == INT_MIN)
			break;
		tally_add(&st->t, rc);
	}
	return NULL;
}

FIXTURE(handles) {
	struct storm s;
	struct tcp_conn c;
	bool connected;
};

/* A connection to look up, and the legal answers about it. */
static void storm_setup(struct __test_metadata *_metadata, struct storm *s,
			struct tcp_conn *c, bool *connected)
{
	memset(s, 0, sizeof(*s));
	verdict_init(&s->v);
	ASSERT_EQ(0, tcp_connect(c, AF_INET));
	*connected = true;
	s->sock = c->client;
	s->victim = -1;
	ASSERT_EQ(0, legal_peer_of(&s->ok, c->client));
	s->probe = s->ok;
	s->probe.layout[0].notinit = s->probe.layout[1].notinit = true;
}

FIXTURE_SETUP(handles)
{
	if (!device_present())
		SKIP(return, "%s: %s (module not loaded)", WINSOCK_DEVICE_PATH,
		     strerror(errno));
	storm_setup(_metadata, &self->s, &self->c, &self->connected);
}

FIXTURE_TEARDOWN(handles)
{
	if (self->connected)
		tcp_close(&self->c);
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

TEST_F(handles, open_close_storm)
{
	void *(*const fn[])(void *) = {
		stormer_main, stormer_main, steady_main, steady_main,
		closer_main, prober_main,
	};
	struct storm_thread t[6];
	struct tally probes;
	int i;

	SKIPPED_IN_SETUP();

	memset(t, 0, sizeof(t));
	for (i = 0; i < 6; i++) {
		t[i].s = &self->s;
		t[i].dev = -1;
	}
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
	struct tcp_conn c;
	bool connected;
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
		SKIP(return, "%s: %s (module not loaded)", WINSOCK_DEVICE_PATH,
		     strerror(errno));
	storm_setup(_metadata, &self->s, &self->c, &self->connected);
}

FIXTURE_TEARDOWN(shared_handle)
{
	if (self->connected)
		tcp_close(&self->c);
}

TEST_F(shared_handle, startup_cleanup_pairs)
{
	void *(*const fn[])(void *) = { steady_main, steady_main, pair_main, pair_main };
	struct storm_thread t[4];
	struct shared sh = { .version = variant->version };
	unsigned int n;
	int i;

	SKIPPED_IN_SETUP();

	/* On 1.1 the lookups of the two threads may meet. */
	if (variant->version == 0x0101)
		self->s.ok.layout[0].inprogress = self->s.ok.layout[1].inprogress = true;
	sh.dev = ws_open_started(variant->version);
	ASSERT_LE(0, sh.dev);
	memset(t, 0, sizeof(t));
	for (i = 0; i < 4; i++) {
		t[i].s = &self->s;
		t[i].dev = sh.dev;
	}
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
		  ws_raw_getpeername(sh.dev, self->c.client, NULL, NULL, 0));
	close(sh.dev);
}

/* fork: the raw handle is shared, the library's is not. */
static int lookup_rc(int dev, int fd)
{
	struct sockaddr_storage ss;
	int len = sizeof(ss);

	return ws_raw_getpeername(dev, fd, &ss, &len, 0);
}

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

static bool step(int rfd, char want)
{
	char c;

	return read(rfd, &c, 1) == 1 && c == want;
}

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
	memset(t, 0, sizeof(t));
	for (i = 0; i < 3; i++) {
		t[i].s = &self->s;
		t[i].dev = -1;
	}
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
	EXPECT_EQ(0, lookup_rc(t[0].dev, self->c.client));
	close(t[0].dev);
	close(t[1].dev);
}


/*
 * Read events for up to @ms.  Counts every WINSOCK_CMD_EVENT in *@n (if
 * given) and returns 1 as soon as one reports socket @sock from thread
 * @tid (0: any), 0 if none came, -errno on a read error other than a
 * receive buffer overflow.
 */
static int genl_wait_event(struct genl *g, uint64_t sock, uint32_t tid, int ms,
			   long *n)
{
	struct pollfd pfd = { .fd = g->fd, .events = POLLIN };
	uint64_t end = now_ms() + ms, s;
	struct nlmsghdr *nh;
	struct genlmsghdr *gh;
	struct nlattr *a;
	static char buf[65536];
	int len, alen, left;
	bool has_sock, has_tid;
	uint32_t t;

	for (;;) {
		left = (int)(end - now_ms());
		if (left <= 0 || poll(&pfd, 1, left) != 1)
			return 0;
		len = recv(g->fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (len < 0) {
			if (errno == ENOBUFS || errno == EAGAIN || errno == EINTR)
				continue;
			return -errno;
		}
		for (nh = (struct nlmsghdr *)buf; NLMSG_OK(nh, len);
		     nh = NLMSG_NEXT(nh, len)) {
			if (nh->nlmsg_type != g->family)
				continue;
			gh = NLMSG_DATA(nh);
			if (gh->cmd != WINSOCK_CMD_EVENT)
				continue;
			if (n)
				(*n)++;
			has_sock = has_tid = false;
			NLA_FOR_EACH(a, genl_attrs(nh, &alen), alen) {
				if (a->nla_type == WINSOCK_A_SOCKET) {
					memcpy(&s, nla_data_of(a), sizeof(s));
					has_sock = s == sock;
				} else if (a->nla_type == WINSOCK_A_TID) {
					memcpy(&t, nla_data_of(a), sizeof(t));
					has_tid = !tid || t == tid;
				}
			}
			if (has_sock && has_tid)
				return 1;
		}
	}
}

/* Lookups as fast as they go, each answer judged, events or not. */
static void *flood_main(void *arg)
{
	struct storm_thread *st = arg;
	struct storm *s = st->s;
	int rc;

	while (!stopped(&s->v)) {
		rc = lookup_single(&s->v, &s->ok, st->dev, s->sock, 0, false);
		if (rc == INT_MIN)
			break;
		tally_add(&st->t, rc);
	}
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
	struct tcp_conn c;
	bool connected;
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
	int err;

	if (!device_present())
		SKIP(return, "%s: module not loaded", WINSOCK_DEVICE_PATH);
	if (geteuid())
		SKIP(return, "the audit stream needs CAP_NET_ADMIN");
	err = genl_open(&g);
	if (err == -ENOENT)
		SKIP(return, "the module has no audit stream (WINSOCK_AUDIT=n)");
	ASSERT_EQ(0, err);
	genl_close(&g);
	storm_setup(_metadata, &self->s, &self->c, &self->connected);
}

FIXTURE_TEARDOWN(listener)
{
	if (self->connected)
		tcp_close(&self->c);
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

	memset(t, 0, sizeof(t));
	ASSERT_EQ(0, genl_open(&stayer));
	ASSERT_EQ(0, genl_subscribe(&stayer, 0));
	for (i = 0; i < 2; i++) {
		t[i].s = &self->s;
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
			EXPECT_EQ(1, genl_wait_event(&g, self->c.client, 0, 2000, &heard));
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
		EXPECT_EQ(0, lookup_rc(t[0].dev, self->c.client));
		rc = genl_wait_event(&stayer, self->c.client, gettid(), 2000, NULL);
		EXPECT_EQ(1, rc) TH_LOG("lookup %d: no event for the listener that stayed", i);
	}
	ASSERT_EQ(0, genl_open(&fresh));
	ASSERT_EQ(0, genl_subscribe(&fresh, 0));
	for (i = 0; i < 3; i++) {
		EXPECT_EQ(0, lookup_rc(t[0].dev, self->c.client));
		rc = genl_wait_event(&stayer, self->c.client, gettid(), 2000, NULL);
		EXPECT_EQ(1, rc) TH_LOG("lookup %d: no event for the listener that stayed", i);
		rc = genl_wait_event(&fresh, self->c.client, gettid(), 2000, NULL);
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

TEST_HARNESS_MAIN
