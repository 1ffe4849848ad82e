/* SPDX-License-Identifier: GPL-2.0 */
/*
 * winsock-bench's parts: the sockets every path looks up (sockets.c), the
 * paths themselves (paths.c, server.c, audit.c), the measuring and the
 * report (main.c), and the traced runs of make profile (profile.c).
 */
#ifndef WINSOCK_BENCH_H
#define WINSOCK_BENCH_H

#include <stdio.h>
#include <time.h>

#include "uring.h"

#define POOL		256	/* sockets per family: one full batch */

struct family {
	const char *name;
	int fds[POOL];
	int keep[2 * POOL];	/* the other ends, kept open */
	int nkeep;
	int uring_checked;	/* run_uring's check of the peer answer done */
	const char *uring_why;	/* why io_uring cannot answer this family */
};

struct bench {
	long iterations;
	int runs;
	int dev;
	const char *only;
	int profile;		/* --profile: traced runs, no timing */
	FILE *json;
	int json_first;
	struct wsu_ring *ring;	/* NULL: the kernel has no io_uring peer */
	const char *ring_why;
	const char *why;	/* set by a path that cannot run: the skip line */
};

struct method {
	const char *name;
	int batch;		/* entries per call, 0: one lookup per call */
	double (*run)(struct bench *b, struct family *f, int batch);
	/* If set, called after the method's last run of a family. */
	void (*done)(struct bench *b);
};

static inline double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

/* profile.c: make profile counts what runs between these two. */
void wsb_profile_begin(void);
void wsb_profile_end(void);

/*
 * A path's timed loop, begun and ended: the clock, and the markers make
 * profile finds in its trace around exactly what the clock measures (a
 * call each, a few instructions per run of 4096 lookups).
 */
static inline double run_begin(void)
{
	wsb_profile_begin();
	return now_ns();
}

static inline double run_end(double t0)
{
	double t = now_ns() - t0;

	wsb_profile_end();
	return t;
}

/* perror(what), then exit(1): a set-up or a lookup that must not fail. */
void die(const char *what) __attribute__((noreturn));

/* sockets.c: POOL connected sockets of a family, and a raw handle. */
void tcp_family(struct family *f, int af);
void udp_family(struct family *f);
void unix_family(struct family *f);
int raw_handle(void);

/*
 * The paths: each returns the cost of one lookup in ns, or -1 with b->why
 * set when it cannot run here.  batch is the entries per call (0: one).
 */
double run_native(struct bench *b, struct family *f, int batch);
double run_ws(struct bench *b, struct family *f, int batch);
double run_ioctl(struct bench *b, struct family *f, int batch);
double run_batch(struct bench *b, struct family *f, int batch);
double run_uring(struct bench *b, struct family *f, int batch);
double run_server(struct bench *b, struct family *f, int batch);
double run_audit(struct bench *b, struct family *f, int batch);
double run_nsaudit(struct bench *b, struct family *f, int batch);
void nsaudit_done(struct bench *b);

/* profile.c: one run of a path, announced for make profile. */
void profile_path(struct bench *b, struct family *f, const struct method *m);

#endif /* WINSOCK_BENCH_H */
