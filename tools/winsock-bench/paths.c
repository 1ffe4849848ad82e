// SPDX-License-Identifier: GPL-2.0
/*
 * winsock-bench: the direct paths, each a loop of lookups on the pool:
 * getpeername(2), the library, the raw single and batch ioctls, and
 * io_uring's peer.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include <winsock/winsock2.h>

#include "bench.h"

double run_native(struct bench *b, struct family *f, int batch)
{
	struct sockaddr_storage ss;
	socklen_t len;
	double t0;
	long i;

	(void)batch;
	t0 = run_begin();
	for (i = 0; i < b->iterations; i++) {
		len = sizeof(ss);
		if (getpeername(f->fds[i % POOL], (struct sockaddr *)&ss, &len))
			die("getpeername");
	}
	return run_end(t0) / (double)b->iterations;
}

double run_ws(struct bench *b, struct family *f, int batch)
{
	struct sockaddr_storage ss;
	double t0;
	long i;
	int len;

	(void)batch;
	t0 = run_begin();
	for (i = 0; i < b->iterations; i++) {
		len = sizeof(ss);
		if (ws_getpeername(f->fds[i % POOL], (struct sockaddr *)&ss, &len))
			die("ws_getpeername");
	}
	return run_end(t0) / (double)b->iterations;
}

double run_ioctl(struct bench *b, struct family *f, int batch)
{
	struct sockaddr_storage ss;
	struct winsock_getpeername req = {
		.name = (uintptr_t)&ss,
		.flags = WINSOCK_GPN_NATIVE,
	};
	double t0;
	long i;
	int len;

	(void)batch;
	req.namelen = (uintptr_t)&len;
	t0 = run_begin();
	for (i = 0; i < b->iterations; i++) {
		len = sizeof(ss);
		req.socket = f->fds[i % POOL];
		if (ioctl(b->dev, WINSOCK_IOC_GETPEERNAME, &req))
			die("WINSOCK_IOC_GETPEERNAME");
	}
	return run_end(t0) / (double)b->iterations;
}

double run_batch(struct bench *b, struct family *f, int batch)
{
	static struct winsock_peer_entry e[POOL];
	struct winsock_getpeername_batch req = {
		.entries = (uintptr_t)e,
		.count = batch,
	};
	long calls = (b->iterations + batch - 1) / batch, i;
	double t0;
	int j;

	for (j = 0; j < batch; j++) {
		memset(&e[j], 0, sizeof(e[j]));
		e[j].socket = f->fds[j];
		e[j].flags = WINSOCK_GPN_NATIVE;
		e[j].namelen = sizeof(e[j].name);
	}
	t0 = run_begin();
	for (i = 0; i < calls; i++)
		if (ioctl(b->dev, WINSOCK_IOC_GETPEERNAME_BATCH, &req) || e[0].result)
			die("WINSOCK_IOC_GETPEERNAME_BATCH");
	return run_end(t0) / (double)(calls * batch);
}

double run_uring(struct bench *b, struct family *f, int batch)
{
	long calls = (b->iterations + batch - 1) / batch;
	double t0;
	int res;

	if (!b->ring) {
		b->why = b->ring_why;
		return -1;
	}
	/* The first call for a family checks what the ring answers. */
	if (!f->uring_checked) {
		res = wsu_check(b->ring, f->fds[0]);
		if (res == -EOPNOTSUPP)
			f->uring_why = "io_uring refuses socket commands on this family (EOPNOTSUPP: its protocol has no ioctl)";
		else if (res) {
			fprintf(stderr, "winsock-bench: io_uring's peer lookup failed its check (%d)\n", res);
			exit(1);
		}
		f->uring_checked = 1;
	}
	if (f->uring_why) {
		b->why = f->uring_why;
		return -1;
	}
	wsu_prepare(b->ring, f->fds, POOL);
	t0 = run_begin();
	res = wsu_run(b->ring, batch, calls);
	if (res) {
		errno = -res;
		die("io_uring peer lookups");
	}
	return run_end(t0) / (double)(calls * batch);
}
