// SPDX-License-Identifier: GPL-2.0
/*
 * winsock-bench: the server path, a Wine-style emulator whose client asks
 * a server thread over an AF_UNIX socket for each peer.
 */
#include <pthread.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "bench.h"

struct server {
	int sock;
	struct sockaddr_storage cache[POOL];
	socklen_t len[POOL];
};

struct answer {
	int len;
	struct sockaddr_storage ss;
};

static void *serve(void *arg)
{
	struct server *s = arg;
	struct answer a;
	int idx;

	while (recv(s->sock, &idx, sizeof(idx), 0) == sizeof(idx)) {
		if (idx < 0 || idx >= POOL)
			break;
		a.len = (int)s->len[idx];
		memcpy(&a.ss, &s->cache[idx], s->len[idx]);
		if (send(s->sock, &a, sizeof(a), 0) != sizeof(a))
			break;
	}
	return NULL;
}

double run_server(struct bench *b, struct family *f, int batch)
{
	struct server s;
	struct answer a;
	pthread_t t;
	int sv[2], i, stop = -1;
	double t0, cost;
	long n;

	(void)batch;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv))
		die("socketpair");
	for (i = 0; i < POOL; i++) {
		s.len[i] = sizeof(s.cache[i]);
		if (getpeername(f->fds[i], (struct sockaddr *)&s.cache[i], &s.len[i]))
			die("getpeername");
	}
	s.sock = sv[1];
	if (pthread_create(&t, NULL, serve, &s))
		die("pthread_create");
	t0 = run_begin();
	for (n = 0; n < b->iterations; n++) {
		i = (int)(n % POOL);
		if (send(sv[0], &i, sizeof(i), 0) != sizeof(i) ||
		    recv(sv[0], &a, sizeof(a), 0) != sizeof(a))
			die("server round trip");
	}
	cost = run_end(t0) / (double)b->iterations;
	send(sv[0], &stop, sizeof(stop), 0);
	pthread_join(t, NULL);
	close(sv[0]);
	close(sv[1]);
	return cost;
}
