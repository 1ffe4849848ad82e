/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The workload whose module life must leave nothing behind.
 */
#ifndef WINSOCK_LEAK_WORKLOAD_H
#define WINSOCK_LEAK_WORKLOAD_H

#include "netns.h"

/* Rounds of the workload; see workload() for one round. */
#define ROUNDS			40
#define HANDLES			128

/*
 * The workload.  One round: HANDLES handles, started with Winsock 2.2,
 * 1.1 or 2.0 (some twice), each looking up five kinds of descriptors in
 * both layouts and in a batch of 16 (every result code but WSAENETDOWN
 * and WSAEINPROGRESS), while two subscribers are subscribed (one read,
 * one never read and closed with its backlog queued); the counters read and reset; two
 * thirds of the handles cleaned up, the rest closed started.  Then a
 * child in a new network namespace does the same there, and a child uses
 * libwinsock.
 */
struct work {
	long handles, lookups, events, stats, netns, released, lib;
	long ms;		/* the work itself, without waiting for releases */
	int failed;		/* first step that went wrong, 0 if none */
	char what[128];
};

static void work_fail(struct work *w, int step, const char *what)
{
	if (!w->failed) {
		w->failed = step;
		snprintf(w->what, sizeof(w->what), "%s (errno %s)", what,
			 strerror(errno));
	}
}

static int library_child(int sock)
{
	struct ws_peer_query q[4];
	struct sockaddr_storage ss;
	int len = sizeof(ss), i;
	WSADATA wd;

	if (WSAStartup(MAKEWORD(2, 2), &wd) || WSAStartup(MAKEWORD(1, 1), &wd))
		return 20;
	if (ws_getpeername(sock, (struct sockaddr *)&ss, &len))
		return 21;
	memset(q, 0, sizeof(q));
	for (i = 0; i < 4; i++) {
		q[i].s = i == 3 ? INVALID_SOCKET : (SOCKET)sock;
		q[i].namelen = sizeof(q[i].name);
	}
	if (ws_getpeername_batch(q, 4) != 4)
		return 22;
	if (WSACleanup())
		return 23;
	/* One startup left: exit releases it with the handle. */
	return 0;
}

static void workload(struct work *w, int rounds)
{
	static const uint16_t versions[] = { 0x0202, 0x0101, 0x0002 };
	int dev[HANDLES], fds[5], p[2], sv[2], udp, closed, r, i, rc, id, nl;
	long deleted0;
	uint64_t t0;
	struct genl reader, full, req;
	struct tcp_conn c4, c6;
	char wsadata[512];
	pid_t pid;

	t0 = now_ms();
	deleted0 = nsid_deleted;
	nl = nsid_socket();
	if (nl < 0 || socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv)) {
		work_fail(w, 1, "rtnetlink/socketpair");
		return;
	}
	for (r = 0; r < rounds && !w->failed; r++) {
		if (tcp_connect(&c4, AF_INET) || tcp_connect(&c6, AF_INET6)) {
			work_fail(w, 1, "tcp_connect");
			return;
		}
		udp = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
		if (udp < 0 || pipe(p)) {
			work_fail(w, 2, "socket/pipe");
			return;
		}
		closed = dup(udp);
		close(closed);
		fds[0] = c4.client;
		fds[1] = c6.server;
		fds[2] = udp;
		fds[3] = p[0];
		fds[4] = closed;
		/*
		 * @full never reads: its events wait in the kernel's backlog
		 * (a round's lookups fit in the default one, so none waits)
		 * until its socket is closed with them.
		 */
		if (genl_open(&reader) || genl_subscribe(&reader, 0) ||
		    genl_open(&full) || genl_rcvbuf(&full, 1) ||
		    genl_subscribe(&full, 0) || genl_open(&req)) {
			work_fail(w, 3, "audit listeners");
			return;
		}
		for (i = 0; i < HANDLES; i++) {
			dev[i] = open(WINSOCK_DEVICE_PATH, O_RDWR | O_CLOEXEC);
			if (dev[i] < 0) {
				work_fail(w, 4, "open");
				return;
			}
			w->handles++;
			/* Not started: WSANOTINITIALISED. */
			w->lookups += lookups_on(dev[i], fds, 1);
			ws_raw_startup(dev[i], versions[i % 3], wsadata, NULL);
			if (i % 4 == 0)
				ws_raw_startup(dev[i], versions[i % 3], wsadata, NULL);
			w->lookups += lookups_on(dev[i], fds, 5);
			if (i % 8 == 0)
				w->events += genl_drain(&reader);
		}
		/* Wait for the delivery thread to catch up once per round. */
		rc = genl_recv_events(&reader, 2000, NULL, NULL);
		w->events += (rc > 0 ? rc : 0) + genl_drain(&reader);
		rc = genl_request(&req, req.family, WINSOCK_CMD_GET_STATS, NULL);
		rc = rc ? rc : genl_request(&req, req.family, WINSOCK_CMD_RESET_STATS, NULL);
		if (rc) {
			errno = -rc;
			work_fail(w, 5, "GET_STATS/RESET_STATS");
			return;
		}
		w->stats++;
		for (i = 0; i < HANDLES; i++) {
			if (i % 3)
				while (ws_raw_cleanup(dev[i], NULL) == 0)
					;
			close(dev[i]);
		}
		close(full.fd);
		close(reader.fd);
		close(req.fd);

		id = start_netns_user(nl, sv, false, c4.client, &rc, &pid);
		rc = wait_child(pid);
		if (rc || id < 0) {
			errno = id < 0 ? -id : 0;
			work_fail(w, 100 + rc, "netns child");
			return;
		}
		w->netns++;
		pid = fork();
		if (pid == 0)
			_exit(library_child(c4.client));
		rc = wait_child(pid);
		if (rc) {
			errno = 0;
			work_fail(w, 100 + rc, "library child");
			return;
		}
		w->lib++;
		tcp_close_rst(&c4);
		tcp_close_rst(&c6);
		close(udp);
		close(p[0]);
		close(p[1]);
	}
	w->ms = (long)(now_ms() - t0);
	/* Every namespace made is released before anything is measured. */
	while (nsid_deleted - deleted0 < w->netns &&
	       nsid_wait(nl, RTM_DELNSID, 10000) >= 0)
		;
	w->released = nsid_deleted - deleted0;
	close(nl);
	close(sv[0]);
	close(sv[1]);
}

/*
 * The workload runs in a second thread: with two threads sharing the file
 * table, every descriptor the module resolves is a counted reference it
 * must drop (single-threaded, fdget() takes none).
 */
struct work_run {
	struct work *w;
	int rounds;
};

static void *work_thread(void *arg)
{
	struct work_run *r = arg;

	workload(r->w, r->rounds);
	return NULL;
}

static void run_workload(struct work *w, int rounds)
{
	struct work_run r = { .w = w, .rounds = rounds };
	pthread_t th;

	if (pthread_create(&th, NULL, work_thread, &r)) {
		work_fail(w, 99, "pthread_create");
		return;
	}
	pthread_join(th, NULL);
}

#endif /* WINSOCK_LEAK_WORKLOAD_H */
