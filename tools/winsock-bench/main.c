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
 *                 [--only LIST] [--families LIST] [--profile]
 *
 * --settle waits S seconds (default 3) before measuring: right after boot
 * the guest kernel still has work of its own, which the clock counts.
 *
 * --families picks families as --only picks paths (tcp4,tcp6,udp4,unix).
 * --profile times nothing: it runs each path once, announced for make
 * profile, which traces what runs between the markers each path calls
 * where it starts and stops its clock (profile.c, run_begin()).
 *
 * --json - prints the JSON on standard output after the table, between
 * lines "WSBENCH-JSON-BEGIN" and "WSBENCH-JSON-END" (make bench reads it
 * from the guest's console).
 *
 * This file holds the options, the measuring and the report; the paths
 * and the sockets they look up are in the other files (bench.h).
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <winsock/winsock2.h>

#include "bench.h"

#define MAX_RUNS	31

void die(const char *what)
{
	perror(what);
	exit(1);
}

static const struct method methods[] = {
	{ "native", 0, run_native, NULL },
	{ "ws", 0, run_ws, NULL },
	{ "ioctl", 0, run_ioctl, NULL },
	{ "batch-1", 1, run_batch, NULL },
	{ "batch-8", 8, run_batch, NULL },
	{ "batch-64", 64, run_batch, NULL },
	{ "batch-256", 256, run_batch, NULL },
	{ "uring-1", 1, run_uring, NULL },
	{ "uring-8", 8, run_uring, NULL },
	{ "uring-64", 64, run_uring, NULL },
	{ "uring-256", 256, run_uring, NULL },
	{ "server", 0, run_server, NULL },
	{ "ioctl+audit", 0, run_audit, NULL },
	{ "ioctl+nsaudit", 0, run_nsaudit, nsaudit_done },
};

#define NMETHODS (sizeof(methods) / sizeof(methods[0]))

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Is @name in the comma-separated @list (NULL: everything)? */
static int selected(const char *list, const char *name)
{
	const char *p = list;
	size_t n = strlen(name);

	if (!p)
		return 1;
	while ((p = strstr(p, name))) {
		if ((p == list || p[-1] == ',') && (p[n] == ',' || !p[n]))
			return 1;
		p += n;
	}
	return 0;
}

/*
 * Method @m on family @f: a warm-up run, then the timed ones, reported
 * with their ratio to @native (set from the first method, native).
 */
static void time_path(struct bench *b, struct family *f, size_t m, double *native)
{
	double runs[MAX_RUNS], med;
	int r;

	/* Warm-up: caches, branch predictors, lazily built state. */
	b->why = NULL;
	if (methods[m].run(b, f, methods[m].batch) < 0) {
		if (!b->why) {
			printf("%-6s %-12s (not available)\n", f->name, methods[m].name);
			return;
		}
		printf("%-6s %-12s skipped: %s\n", f->name, methods[m].name, b->why);
		if (b->json) {
			fprintf(b->json, "%s\n    {\"family\": \"%s\", \"method\": \"%s\", \"skipped\": \"%s\"}",
				b->json_first ? "" : ",", f->name, methods[m].name, b->why);
			b->json_first = 0;
		}
		return;
	}
	for (r = 0; r < b->runs; r++)
		runs[r] = methods[m].run(b, f, methods[m].batch);
	qsort(runs, b->runs, sizeof(runs[0]), cmp_double);
	med = runs[b->runs / 2];
	if (m == 0)
		*native = med;
	printf("%-6s %-12s %10.1f", f->name, methods[m].name, med);
	if (*native > 0)
		printf("  %6.3f", med / *native);
	printf("\n");
	if (b->json) {
		fprintf(b->json, "%s\n    {\"family\": \"%s\", \"method\": \"%s\", \"per_lookup\": %.1f",
			b->json_first ? "" : ",", f->name, methods[m].name, med);
		if (*native > 0)
			fprintf(b->json, ", \"ratio_to_native\": %.4f", med / *native);
		fprintf(b->json, ", \"runs\": [");
		for (r = 0; r < b->runs; r++)
			fprintf(b->json, "%s%.1f", r ? ", " : "", runs[r]);
		fprintf(b->json, "]}");
		b->json_first = 0;
	}
}

static void measure(struct bench *b, struct family *f)
{
	double native = 0;
	size_t m;

	for (m = 0; m < NMETHODS; m++) {
		if (!selected(b->only, methods[m].name))
			continue;
		if (b->profile)
			profile_path(b, f, &methods[m]);
		else
			time_path(b, f, m, &native);
		if (methods[m].done)
			methods[m].done(b);
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
		{ "families", required_argument, NULL, 'f' },
		{ "profile", no_argument, NULL, 'p' },
		{ NULL, 0, NULL, 0 },
	};
	struct bench b = { .iterations = 4096, .runs = 7, .json_first = 1 };
	long settle = 3;
	struct rlimit rl = { 4 * POOL * 3 + 64, 4 * POOL * 3 + 64 };
	static struct family fam[4] = {
		{ .name = "tcp4" }, { .name = "tcp6" }, { .name = "udp4" }, { .name = "unix" },
	};
	struct utsname u;
	const char *families = NULL;
	char *json_text = NULL;
	size_t json_size = 0;
	WSADATA wd;
	int opt, i;

	while ((opt = getopt_long(argc, argv, "n:r:j:o:s:f:p", opts, NULL)) != -1) {
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
		case 'f':
			families = optarg;
			break;
		case 'p':
			b.profile = 1;
			break;
		default:
			fprintf(stderr, "usage: winsock-bench [--iterations N] [--runs R] [--settle S] [--json FILE] [--only a,b] [--families a,b] [--profile]\n");
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
		if (selected(families, fam[i].name))
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
