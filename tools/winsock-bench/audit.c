// SPDX-License-Identifier: GPL-2.0
/*
 * winsock-bench: the raw single ioctl while the audit stream has a
 * subscriber, one that drains it (ioctl+audit) and one in a namespace of
 * its own that sees none of the lookups (ioctl+nsaudit).
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "audit_client.h"
#include "bench.h"

/*
 * A subscriber that drains the audit stream while the lookups run: the
 * reliable kind, as winsock-audit monitor, so a lookup may wait for it.
 */
struct drain {
	struct auc_conn c;
	volatile int stop;
	long events;
	int err;
};

static void count_event(const struct auc_event *e, void *arg)
{
	(void)e;
	((struct drain *)arg)->events++;
}

static void *drain_loop(void *arg)
{
	struct drain *d = arg;
	struct pollfd pfd = { .fd = auc_fd(&d->c), .events = POLLIN };
	int err;

	/* Drain first: events may be held from before the subscription's ack. */
	do {
		while ((err = auc_receive(&d->c, count_event, d)) == 0 || err == -ENOBUFS)
			;
		if (err != -EAGAIN) {
			d->err = err;
			break;
		}
	} while (!d->stop && poll(&pfd, 1, 20) >= 0);
	return NULL;
}

double run_audit(struct bench *b, struct family *f, int batch)
{
	static char why[128];
	struct drain d = { 0 };
	pthread_t t;
	double cost;
	int err;

	err = auc_open(&d.c);
	if (!err) {
		err = auc_subscribe(&d.c, 0);
		if (!err)
			err = auc_set_nonblocking(&d.c);
		if (err)
			auc_close(&d.c);
	}
	if (err) {
		snprintf(why, sizeof(why), "cannot subscribe to the audit stream: %s",
			 strerror(-err));
		b->why = why;
		return -1;
	}
	if (pthread_create(&t, NULL, drain_loop, &d))
		die("pthread_create");
	cost = run_ioctl(b, f, batch);
	d.stop = 1;
	pthread_join(t, NULL);
	auc_close(&d.c);
	if (d.err) {
		fprintf(stderr, "winsock-bench: audit stream: %s\n", strerror(-d.err));
		exit(1);
	}
	return cost;
}

/*
 * A subscriber in a user and network namespace of its own, as any
 * unprivileged user may make: it sees nothing of these lookups, and must
 * not make them slower.  One subscriber serves all of a family's runs:
 * started by the first, stopped by nsaudit_done() after the last, which
 * then lets the guest idle while the kernel tears the namespace down.  A
 * subscriber per run left that teardown (cleanup_net(), in a kworker) to
 * land in the next run's clock: tens to a hundred and more instructions
 * per lookup, which make profile, pausing between runs, did not see.
 */
static pid_t nsaudit_pid;
static int nsaudit_err;

void nsaudit_done(struct bench *b)
{
	(void)b;
	if (!nsaudit_pid)
		return;
	kill(nsaudit_pid, SIGKILL);
	waitpid(nsaudit_pid, NULL, 0);
	nsaudit_pid = 0;
	sleep(1);
}

/* The subscriber's child, or a negative errno if it could not subscribe. */
static int nsaudit_start(void)
{
	int ready[2], err = 0;
	pid_t pid;

	if (pipe(ready))
		die("pipe");
	pid = fork();
	if (pid < 0)
		die("fork");
	if (!pid) {
		struct auc_conn conn;

		close(ready[0]);
		if (unshare(CLONE_NEWUSER | CLONE_NEWNET))
			err = -errno;
		if (!err)
			err = auc_open(&conn);
		if (!err)
			err = auc_subscribe(&conn, 0);
		if (write(ready[1], &err, sizeof(err)) != sizeof(err))
			_exit(1);
		if (!err)
			pause();
		_exit(0);
	}
	close(ready[1]);
	if (read(ready[0], &err, sizeof(err)) != sizeof(err))
		err = -EIO;
	close(ready[0]);
	if (err) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		return err;
	}
	nsaudit_pid = pid;
	return 0;
}

double run_nsaudit(struct bench *b, struct family *f, int batch)
{
	static char why[128];

	if (!nsaudit_pid && !nsaudit_err)
		nsaudit_err = nsaudit_start();
	if (nsaudit_err) {
		snprintf(why, sizeof(why),
			 "cannot subscribe in a new user and network namespace: %s",
			 strerror(-nsaudit_err));
		b->why = why;
		return -1;
	}
	return run_ioctl(b, f, batch);
}
