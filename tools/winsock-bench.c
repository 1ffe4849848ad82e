// SPDX-License-Identifier: GPL-2.0
/*
 * winsock-bench: the cost of one peer lookup, by every path, on the same
 * sockets in one run:
 *
 *   native       getpeername(2), Linux semantics
 *   ws           ws_getpeername(): one ioctl, Windows layout (the library)
 *   ioctl        the raw single ioctl, native layout
 *   batch-N      WINSOCK_IOC_GETPEERNAME_BATCH with N entries, per lookup
 *   uring-N      io_uring's peer: N IORING_OP_URING_CMD /
 *                SOCKET_URING_OP_GETSOCKNAME SQEs per io_uring_enter, per
 *                lookup (6.19+; "skipped: ..." where the kernel lacks it)
 *   server       a Wine-style emulator: the client asks a server thread over
 *                an AF_UNIX socket, the server answers from its cache
 *   ioctl+audit  the raw single ioctl while a winsock-audit style listener
 *                is subscribed and draining (its work included)
 *   ioctl+nsaudit  the raw single ioctl while a subscriber sits in a user
 *                and network namespace of its own (it sees none of them)
 *
 * for TCP over IPv4 and IPv6, connected UDP and AF_UNIX stream sockets.
 * Each figure is the median of several timed runs after a warm-up run.
 * Under qemu -icount shift=0 (make bench) one nanosecond of guest clock is
 * one executed instruction, so the figures read as instructions per lookup.
 *
 *   winsock-bench [--iterations N] [--runs R] [--settle S] [--json FILE]
 *                 [--only LIST]
 *
 * --settle waits S seconds (default 3) before measuring: right after boot
 * the guest kernel still has work of its own, which the clock counts.
 *
 * --json - prints the JSON on standard output after the table, between
 * lines "WSBENCH-JSON-BEGIN" and "WSBENCH-JSON-END" (make bench reads it
 * from the guest's console).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <winsock/winsock2.h>

#include "wsaudit.h"
#include "wsuring.h"

#define POOL		256	/* sockets per family: one full batch */
#define MAX_RUNS	31

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
};

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static void die(const char *what)
{
	perror(what);
	exit(1);
}

/* --- the sockets ---------------------------------------------------------- */

static void tcp_family(struct family *f, int af)
{
	struct sockaddr_storage ss = { .ss_family = af };
	socklen_t len = af == AF_INET ? sizeof(struct sockaddr_in) :
					sizeof(struct sockaddr_in6);
	int l = socket(af, SOCK_STREAM, 0), i;

	if (af == AF_INET)
		((struct sockaddr_in *)&ss)->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	else
		((struct sockaddr_in6 *)&ss)->sin6_addr = in6addr_loopback;
	if (l < 0 || bind(l, (struct sockaddr *)&ss, len) || listen(l, POOL) ||
	    getsockname(l, (struct sockaddr *)&ss, &len))
		die("tcp listener");
	for (i = 0; i < POOL; i++) {
		f->fds[i] = socket(af, SOCK_STREAM, 0);
		if (f->fds[i] < 0 || connect(f->fds[i], (struct sockaddr *)&ss, len))
			die("tcp connect");
		f->keep[f->nkeep] = accept(l, NULL, NULL);
		if (f->keep[f->nkeep++] < 0)
			die("accept");
	}
	f->keep[f->nkeep++] = l;
}

static void udp_family(struct family *f)
{
	struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons(9) };
	int i;

	to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	for (i = 0; i < POOL; i++) {
		f->fds[i] = socket(AF_INET, SOCK_DGRAM, 0);
		if (f->fds[i] < 0 || connect(f->fds[i], (struct sockaddr *)&to, sizeof(to)))
			die("udp connect");
	}
}

static void unix_family(struct family *f)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int l = socket(AF_UNIX, SOCK_STREAM, 0), i;

	snprintf(sun.sun_path, sizeof(sun.sun_path), "/tmp/winsock-bench.%d", getpid());
	unlink(sun.sun_path);
	if (l < 0 || bind(l, (struct sockaddr *)&sun, sizeof(sun)) || listen(l, POOL))
		die("unix listener");
	for (i = 0; i < POOL; i++) {
		f->fds[i] = socket(AF_UNIX, SOCK_STREAM, 0);
		if (f->fds[i] < 0 || connect(f->fds[i], (struct sockaddr *)&sun, sizeof(sun)))
			die("unix connect");
		f->keep[f->nkeep] = accept(l, NULL, NULL);
		if (f->keep[f->nkeep++] < 0)
			die("accept");
	}
	f->keep[f->nkeep++] = l;
	unlink(sun.sun_path);
}

/* --- the paths ------------------------------------------------------------- */

static double run_native(struct bench *b, struct family *f, int batch)
{
	struct sockaddr_storage ss;
	socklen_t len;
	double t0;
	long i;

	(void)batch;
	t0 = now_ns();
	for (i = 0; i < b->iterations; i++) {
		len = sizeof(ss);
		if (getpeername(f->fds[i % POOL], (struct sockaddr *)&ss, &len))
			die("getpeername");
	}
	return (now_ns() - t0) / (double)b->iterations;
}

static double run_ws(struct bench *b, struct family *f, int batch)
{
	struct sockaddr_storage ss;
	double t0;
	long i;
	int len;

	(void)batch;
	t0 = now_ns();
	for (i = 0; i < b->iterations; i++) {
		len = sizeof(ss);
		if (ws_getpeername(f->fds[i % POOL], (struct sockaddr *)&ss, &len))
			die("ws_getpeername");
	}
	return (now_ns() - t0) / (double)b->iterations;
}

static double run_ioctl(struct bench *b, struct family *f, int batch)
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
	t0 = now_ns();
	for (i = 0; i < b->iterations; i++) {
		len = sizeof(ss);
		req.socket = f->fds[i % POOL];
		if (ioctl(b->dev, WINSOCK_IOC_GETPEERNAME, &req))
			die("WINSOCK_IOC_GETPEERNAME");
	}
	return (now_ns() - t0) / (double)b->iterations;
}

static double run_batch(struct bench *b, struct family *f, int batch)
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
	t0 = now_ns();
	for (i = 0; i < calls; i++)
		if (ioctl(b->dev, WINSOCK_IOC_GETPEERNAME_BATCH, &req) || e[0].result)
			die("WINSOCK_IOC_GETPEERNAME_BATCH");
	return (now_ns() - t0) / (double)(calls * batch);
}

static double run_uring(struct bench *b, struct family *f, int batch)
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
	t0 = now_ns();
	res = wsu_run(b->ring, batch, calls);
	if (res) {
		errno = -res;
		die("io_uring peer lookups");
	}
	return (now_ns() - t0) / (double)(calls * batch);
}

/* The Wine-style emulator: a server thread answers from its cache. */
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

static double run_server(struct bench *b, struct family *f, int batch)
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
	t0 = now_ns();
	for (n = 0; n < b->iterations; n++) {
		i = (int)(n % POOL);
		if (send(sv[0], &i, sizeof(i), 0) != sizeof(i) ||
		    recv(sv[0], &a, sizeof(a), 0) != sizeof(a))
			die("server round trip");
	}
	cost = (now_ns() - t0) / (double)b->iterations;
	send(sv[0], &stop, sizeof(stop), 0);
	pthread_join(t, NULL);
	close(sv[0]);
	close(sv[1]);
	return cost;
}

/*
 * A subscriber that drains the audit stream while the lookups run: the
 * reliable kind, as winsock-audit monitor, so a lookup may wait for it.
 */
struct drain {
	struct wsa_conn c;
	volatile int stop;
	long events;
	int err;
};

static void count_event(const struct wsa_event *e, void *arg)
{
	(void)e;
	((struct drain *)arg)->events++;
}

static void *drain_loop(void *arg)
{
	struct drain *d = arg;
	struct pollfd pfd = { .fd = wsa_fd(&d->c), .events = POLLIN };
	int err;

	/* Drain first: events may be held from before the subscription's ack. */
	do {
		while ((err = wsa_receive(&d->c, count_event, d)) == 0 || err == -ENOBUFS)
			;
		if (err != -EAGAIN) {
			d->err = err;
			break;
		}
	} while (!d->stop && poll(&pfd, 1, 20) >= 0);
	return NULL;
}

static double run_audit(struct bench *b, struct family *f, int batch)
{
	static char why[128];
	struct drain d = { 0 };
	pthread_t t;
	double cost;
	int err;

	err = wsa_open(&d.c);
	if (!err) {
		err = wsa_subscribe(&d.c, 0);
		if (!err)
			err = wsa_set_nonblocking(&d.c);
		if (err)
			wsa_close(&d.c);
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
	wsa_close(&d.c);
	if (d.err) {
		fprintf(stderr, "winsock-bench: audit stream: %s\n", strerror(-d.err));
		exit(1);
	}
	return cost;
}

/* A handle of its own for the raw ioctls, started up like the library's. */
static int raw_handle(void)
{
	static char wsadata[512];
	struct winsock_startup req = {
		.wsadata = (uintptr_t)wsadata,
		.version_requested = MAKEWORD(2, 2),
	};
	int dev = open(WINSOCK_DEVICE_PATH, O_RDWR | O_CLOEXEC);

	if (dev < 0 || ioctl(dev, WINSOCK_IOC_STARTUP, &req))
		die(WINSOCK_DEVICE_PATH);
	return dev;
}

/*
 * A subscriber in a user and network namespace of its own, as any
 * unprivileged user may make: it sees nothing of these lookups, and must
 * not make them slower.
 */
static double run_nsaudit(struct bench *b, struct family *f, int batch)
{
	static char why[128];
	int ready[2], err = 0;
	double cost;
	pid_t pid;

	if (pipe(ready))
		die("pipe");
	pid = fork();
	if (pid < 0)
		die("fork");
	if (!pid) {
		struct wsa_conn conn;

		close(ready[0]);
		if (unshare(CLONE_NEWUSER | CLONE_NEWNET))
			err = -errno;
		if (!err)
			err = wsa_open(&conn);
		if (!err)
			err = wsa_subscribe(&conn, 0);
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
		snprintf(why, sizeof(why),
			 "cannot subscribe in a new user and network namespace: %s",
			 strerror(-err));
		b->why = why;
		return -1;
	}
	cost = run_ioctl(b, f, batch);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	return cost;
}

static const struct method methods[] = {
	{ "native", 0, run_native },
	{ "ws", 0, run_ws },
	{ "ioctl", 0, run_ioctl },
	{ "batch-1", 1, run_batch },
	{ "batch-8", 8, run_batch },
	{ "batch-64", 64, run_batch },
	{ "batch-256", 256, run_batch },
	{ "uring-1", 1, run_uring },
	{ "uring-8", 8, run_uring },
	{ "uring-64", 64, run_uring },
	{ "uring-256", 256, run_uring },
	{ "server", 0, run_server },
	{ "ioctl+audit", 0, run_audit },
	{ "ioctl+nsaudit", 0, run_nsaudit },
};

#define NMETHODS (sizeof(methods) / sizeof(methods[0]))

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static int selected(const struct bench *b, const char *name)
{
	const char *p = b->only;
	size_t n = strlen(name);

	if (!p)
		return 1;
	while ((p = strstr(p, name))) {
		if ((p == b->only || p[-1] == ',') && (p[n] == ',' || !p[n]))
			return 1;
		p += n;
	}
	return 0;
}

static void measure(struct bench *b, struct family *f)
{
	double native = 0, runs[MAX_RUNS], med;
	size_t m;
	int r;

	for (m = 0; m < NMETHODS; m++) {
		if (!selected(b, methods[m].name))
			continue;
		/* Warm-up: caches, branch predictors, lazily built state. */
		b->why = NULL;
		if (methods[m].run(b, f, methods[m].batch) < 0) {
			if (!b->why) {
				printf("%-6s %-12s (not available)\n", f->name, methods[m].name);
				continue;
			}
			printf("%-6s %-12s skipped: %s\n", f->name, methods[m].name, b->why);
			if (b->json) {
				fprintf(b->json, "%s\n    {\"family\": \"%s\", \"method\": \"%s\", \"skipped\": \"%s\"}",
					b->json_first ? "" : ",", f->name, methods[m].name, b->why);
				b->json_first = 0;
			}
			continue;
		}
		for (r = 0; r < b->runs; r++)
			runs[r] = methods[m].run(b, f, methods[m].batch);
		qsort(runs, b->runs, sizeof(runs[0]), cmp_double);
		med = runs[b->runs / 2];
		if (m == 0)
			native = med;
		printf("%-6s %-12s %10.1f", f->name, methods[m].name, med);
		if (native > 0)
			printf("  %6.3f", med / native);
		printf("\n");
		if (b->json) {
			fprintf(b->json, "%s\n    {\"family\": \"%s\", \"method\": \"%s\", \"per_lookup\": %.1f",
				b->json_first ? "" : ",", f->name, methods[m].name, med);
			if (native > 0)
				fprintf(b->json, ", \"ratio_to_native\": %.4f", med / native);
			fprintf(b->json, ", \"runs\": [");
			for (r = 0; r < b->runs; r++)
				fprintf(b->json, "%s%.1f", r ? ", " : "", runs[r]);
			fprintf(b->json, "]}");
			b->json_first = 0;
		}
	}
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "iterations", required_argument, NULL, 'n' },
		{ "runs", required_argument, NULL, 'r' },
		{ "json", required_argument, NULL, 'j' },
		{ "only", required_argument, NULL, 'o' },
		{ "settle", required_argument, NULL, 's' },
		{ NULL, 0, NULL, 0 },
	};
	struct bench b = { .iterations = 4096, .runs = 7, .json_first = 1 };
	long settle = 3;
	struct rlimit rl = { 4 * POOL * 3 + 64, 4 * POOL * 3 + 64 };
	static struct family fam[4] = {
		{ .name = "tcp4" }, { .name = "tcp6" }, { .name = "udp4" }, { .name = "unix" },
	};
	struct utsname u;
	char *json_text = NULL;
	size_t json_size = 0;
	WSADATA wd;
	int opt, i;

	while ((opt = getopt_long(argc, argv, "n:r:j:o:s:", opts, NULL)) != -1) {
		switch (opt) {
		case 'n':
			b.iterations = strtol(optarg, NULL, 10);
			break;
		case 'r':
			b.runs = (int)strtol(optarg, NULL, 10);
			break;
		case 'j':
			b.json = strcmp(optarg, "-") ? fopen(optarg, "w") :
				open_memstream(&json_text, &json_size);
			if (!b.json)
				die(optarg);
			break;
		case 'o':
			b.only = optarg;
			break;
		case 's':
			settle = strtol(optarg, NULL, 10);
			break;
		default:
			fprintf(stderr, "usage: winsock-bench [--iterations N] [--runs R] [--settle S] [--json FILE] [--only a,b]\n");
			return 2;
		}
	}
	if (b.iterations < 256 || b.runs < 1 || b.runs > MAX_RUNS) {
		fprintf(stderr, "winsock-bench: need --iterations >= 256 and 1 <= --runs <= %d\n", MAX_RUNS);
		return 2;
	}
	if (setrlimit(RLIMIT_NOFILE, &rl))
		die("setrlimit");
	if (WSAStartup(MAKEWORD(2, 2), &wd)) {
		fprintf(stderr, "winsock-bench: WSAStartup: %d (module not loaded?)\n", WSAGetLastError());
		return 1;
	}
	b.dev = raw_handle();
	tcp_family(&fam[0], AF_INET);
	tcp_family(&fam[1], AF_INET6);
	udp_family(&fam[2]);
	unix_family(&fam[3]);
	b.ring = wsu_open(fam[0].fds[0], &b.ring_why);
	uname(&u);
	sleep((unsigned int)settle);

	printf("winsock-bench %s on %s: median of %d runs of %ld lookups (after a warm-up run)\n",
	       ws_version(), u.release, b.runs, b.iterations);
	printf("%-6s %-12s %10s  %6s\n", "family", "method", "ns/lookup", "ratio");
	if (b.json)
		fprintf(b.json, "{\"version\": \"%s\", \"kernel\": \"%s\", \"iterations\": %ld, \"runs\": %d,\n  \"unit\": \"ns per lookup (instructions under qemu -icount shift=0)\",\n  \"results\": [",
			ws_version(), u.release, b.iterations, b.runs);
	for (i = 0; i < 4; i++)
		measure(&b, &fam[i]);
	if (b.json) {
		fprintf(b.json, "\n  ]}\n");
		fclose(b.json);
		if (json_text) {
			printf("WSBENCH-JSON-BEGIN\n%sWSBENCH-JSON-END\n", json_text);
			free(json_text);
		}
	}
	wsu_close(b.ring);
	WSACleanup();
	return 0;
}
