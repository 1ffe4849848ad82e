/* SPDX-License-Identifier: GPL-2.0 */
/*
 * race_test's scaffolding: the time each phase races, the first failure
 * any thread saw (reported by the main thread) and per-result tallies.
 */
#ifndef WINSOCK_RACE_H
#define WINSOCK_RACE_H

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

#include "kselftest_harness.h"
#include "../helpers.h"
#include "../genl_raw.h"
#include "internal.h"		/* ws_device_fd: the library's handle */

/* How long each racing phase runs. */
#define RACE_MS		600

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

/* One lookup of @fd through @dev: its answer, nothing judged. */
static int lookup_rc(int dev, int fd)
{
	struct sockaddr_storage ss;
	int len = sizeof(ss);

	return ws_raw_getpeername(dev, fd, &ss, &len, 0);
}

#endif /* WINSOCK_RACE_H */
