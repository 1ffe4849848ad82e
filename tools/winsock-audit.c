// SPDX-License-Identifier: GPL-2.0
/*
 * winsock-audit: watch and count the peer lookups made through
 * /dev/winsock, from the kernel's audit stream (generic netlink family
 * "winsock", version 2).
 *
 *   winsock-audit monitor [--best-effort] [--json] [--pid PID] [--uid UID]
 *                         [--result CODE] [--count N]
 *   winsock-audit stats [--json]
 *   winsock-audit reset
 *
 * Needs CAP_NET_ADMIN in the network namespace it watches.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <linux/winsock.h>

#include "audit_client.h"

/* stdout is written in blocks of this size, and after every batch. */
#define OUT_BUF (64 << 10)

struct monitor {
	int json;
	uint32_t sub_flags;		/* WINSOCK_SUB_* */
	long pid, uid, result;		/* -1: no filter */
	long count;			/* stop after this many, 0: never */
	long shown;
	uint64_t received, lost, last_seq;
	struct auc_clock clk;
};

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Numbers start at 1 for each subscription: any gap is a loss. */
static void report_lost(struct monitor *m, uint64_t seq)
{
	uint64_t lost;

	if (seq > m->last_seq + 1) {
		lost = seq - m->last_seq - 1;
		m->lost += lost;
		if (m->json)
			printf("{\"lost\":%" PRIu64 ",\"after_seq\":%" PRIu64 "}\n",
			       lost, m->last_seq);
		else
			printf("%" PRIu64 " events lost\n", lost);
	}
	if (seq > m->last_seq)
		m->last_seq = seq;
}

static void print_event(const struct auc_event *e, void *arg)
{
	struct monitor *m = arg;
	char line[AUC_LINE_MAX];
	size_t len;

	/* --count reached: the rest of the batch stays unread. */
	if (stop)
		return;
	m->received++;
	report_lost(m, e->seq);
	if ((m->pid >= 0 && e->pid != (uint64_t)m->pid) ||
	    (m->uid >= 0 && e->uid != (uint64_t)m->uid) ||
	    (m->result >= 0 && e->result != (uint64_t)m->result))
		return;
	len = m->json ? auc_format_json(line, e, &m->clk) : auc_format_text(line, e, &m->clk);
	fwrite_unlocked(line, 1, len, stdout);
	m->shown++;
	if (m->count && m->shown >= m->count)
		stop = 1;
}

static long parse_result(const char *s)
{
	static const uint32_t codes[] = {
		0, WINSOCK_WSANOTINITIALISED, WINSOCK_WSAEINPROGRESS,
		WINSOCK_WSAENOTSOCK, WINSOCK_WSAENETDOWN, WINSOCK_WSAENOTCONN,
		WINSOCK_WSAEFAULT,
	};
	char *end;
	size_t i;
	long v;

	for (i = 0; i < sizeof(codes) / sizeof(codes[0]); i++)
		if (!strcasecmp(s, auc_result_name(codes[i])))
			return codes[i];
	v = strtol(s, &end, 0);
	return (*s && !*end && v >= 0) ? v : -2;
}

static long parse_number(const char *s)
{
	char *end;
	long v = strtol(s, &end, 10);

	return (*s && !*end && v >= 0) ? v : -2;
}

static int fail(const char *what, int err)
{
	fprintf(stderr, "winsock-audit: %s: %s\n", what, auc_strerror(err));
	return 1;
}

/*
 * One batch: what is queued, many events per datagram, up to BATCH
 * datagrams; then the output is flushed.  1 when more is queued, 0 when
 * the socket ran dry, -1 on error.
 */
#define BATCH 64

static int drain(struct auc_conn *c, struct monitor *m)
{
	int err = 0, n;

	for (n = 0; n < BATCH && !stop; n++) {
		err = auc_receive(c, print_event, m);
		/* An overflow: the next event's number shows the gap. */
		if (err == -EAGAIN)
			break;
		if (err && err != -ENOBUFS)
			return -fail("receive", err);
	}
	if (fflush(stdout) || ferror(stdout)) {
		fprintf(stderr, "winsock-audit: writing the events: %s\n", strerror(errno));
		return -1;
	}
	return err != -EAGAIN;
}

static int monitor(struct auc_conn *c, struct monitor *m)
{
	struct sigaction sa = { .sa_handler = on_signal };
	double t_sub, t_first = 0, t_last = 0, t_batch, span;
	const struct timespec now = { 0, 0 };
	sigset_t block, orig;
	struct pollfd pfd;
	uint64_t before;
	int rc = 0, more, err;

	/* Signals are only delivered inside ppoll: no race with the test. */
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	sigprocmask(SIG_BLOCK, &block, &orig);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	/* A closed pipe is a write error, reported, not a silent death. */
	signal(SIGPIPE, SIG_IGN);
	setvbuf(stdout, NULL, _IOFBF, OUT_BUF);

	err = auc_subscribe(c, m->sub_flags);
	if (err)
		return fail("subscribe", err);
	err = auc_set_nonblocking(c);
	if (err)
		return fail("socket", err);
	t_sub = now_s();
	fprintf(stderr, "winsock-audit: listening\n");

	pfd.fd = auc_fd(c);
	pfd.events = POLLIN;
	/* Events may already be held from before the subscription's ack. */
	while (!stop) {
		t_batch = now_s();
		before = m->received;
		more = drain(c, m);
		if (m->received != before) {
			if (!t_first)
				t_first = t_batch;
			t_last = now_s();
		}
		if (more < 0) {
			rc = 1;
			break;
		}
		if (stop)
			break;
		/* Still more queued: only let a pending signal in, no wait. */
		if (ppoll(&pfd, 1, more ? &now : NULL, &orig) < 0 && errno != EINTR) {
			rc = fail("poll", -errno);
			break;
		}
	}
	fflush(stdout);
	/* From the first batch's arrival to the last one's end. */
	span = t_first ? t_last - t_first : now_s() - t_sub;
	fprintf(stderr, "winsock-audit: %" PRIu64 " events, %" PRIu64 " lost, %.3f s, %.0f events/s\n",
		m->received, m->lost, span, span > 0 ? (double)m->received / span : 0.0);
	return rc;
}

static int stats(struct auc_conn *c, int json)
{
	struct auc_stats st;
	int err, i;

	err = auc_get_stats(c, &st);
	if (err)
		return fail("stats", err);
	if (json) {
		printf("{\"lookups\":%" PRIu64 ",\"results\":{", st.lookups);
		for (i = 0; i < st.nresults; i++)
			printf("%s\"%s\":%" PRIu64, i ? "," : "",
			       auc_result_name(st.result[i]), st.count[i]);
		printf("},\"events_sent\":%" PRIu64 ",\"events_dropped\":%" PRIu64,
		       st.events_sent, st.events_dropped);
		if (st.has_audit_suppressed)
			printf(",\"audit_suppressed\":%" PRIu64, st.audit_suppressed);
		printf(",\"subscribers\":[");
		for (i = 0; i < st.nsubscribers; i++)
			printf("%s{\"portid\":%u,\"flags\":%u,\"best_effort\":%s,\"queued\":%u,"
			       "\"sent\":%" PRIu64 ",\"dropped\":%" PRIu64 ",\"seq\":%" PRIu64 "}",
			       i ? "," : "", st.sub[i].portid, st.sub[i].flags,
			       st.sub[i].flags & WINSOCK_SUB_BEST_EFFORT ? "true" : "false",
			       st.sub[i].queued, st.sub[i].sent, st.sub[i].dropped,
			       st.sub[i].seq);
		printf("]}\n");
		return 0;
	}
	printf("lookups            %" PRIu64 "\n", st.lookups);
	for (i = 0; i < st.nresults; i++)
		printf("  %-17s %" PRIu64 "\n", auc_result_name(st.result[i]),
		       st.count[i]);
	printf("events sent        %" PRIu64 "\n", st.events_sent);
	printf("events dropped     %" PRIu64 "\n", st.events_dropped);
	if (st.has_audit_suppressed)
		printf("audit suppressed   %" PRIu64 "\n", st.audit_suppressed);
	printf("subscribers        %d\n", st.nsubscribers);
	for (i = 0; i < st.nsubscribers; i++)
		printf("  port %-10u %-11s queued %u, sent %" PRIu64 ", dropped %" PRIu64
		       ", last seq %" PRIu64 "\n", st.sub[i].portid,
		       st.sub[i].flags & WINSOCK_SUB_BEST_EFFORT ? "best-effort" : "reliable",
		       st.sub[i].queued, st.sub[i].sent, st.sub[i].dropped, st.sub[i].seq);
	return 0;
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: winsock-audit monitor [--best-effort] [--json] [--pid PID] [--uid UID]\n"
		"                             [--result CODE] [--count N]\n"
		"       winsock-audit stats [--json]\n"
		"       winsock-audit reset\n"
		"       winsock-audit --version\n");
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "best-effort", no_argument, NULL, 'b' },
		{ "pid", required_argument, NULL, 'p' },
		{ "uid", required_argument, NULL, 'u' },
		{ "result", required_argument, NULL, 'r' },
		{ "count", required_argument, NULL, 'n' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	struct monitor m = { .pid = -1, .uid = -1, .result = -1 };
	struct auc_conn c;
	const char *cmd;
	int opt, err, rc;
	long *dst;

	while ((opt = getopt_long(argc, argv, "jbp:u:r:n:hV", opts, NULL)) != -1) {
		dst = NULL;
		switch (opt) {
		case 'j':
			m.json = 1;
			continue;
		case 'b':
			m.sub_flags |= WINSOCK_SUB_BEST_EFFORT;
			continue;
		case 'p':
			dst = &m.pid;
			*dst = parse_number(optarg);
			break;
		case 'u':
			dst = &m.uid;
			*dst = parse_number(optarg);
			break;
		case 'r':
			dst = &m.result;
			*dst = parse_result(optarg);
			break;
		case 'n':
			dst = &m.count;
			*dst = parse_number(optarg);
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf("winsock-audit %s (netlink family version %d)\n",
			       WINSOCK_VERSION_STRING, WINSOCK_GENL_VERSION);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
		if (*dst == -2) {
			fprintf(stderr, "winsock-audit: bad value '%s'\n", optarg);
			return 2;
		}
	}
	if (optind != argc - 1) {
		usage(stderr);
		return 2;
	}
	cmd = argv[optind];
	if (strcmp(cmd, "monitor") && strcmp(cmd, "stats") && strcmp(cmd, "reset")) {
		fprintf(stderr, "winsock-audit: unknown command '%s'\n", cmd);
		usage(stderr);
		return 2;
	}

	err = auc_open(&c);
	if (err)
		return fail("cannot open the audit stream", err);
	if (!strcmp(cmd, "monitor"))
		rc = monitor(&c, &m);
	else if (!strcmp(cmd, "stats"))
		rc = stats(&c, m.json);
	else
		rc = (err = auc_reset_stats(&c)) ? fail("reset", err) : 0;
	auc_close(&c);
	return rc;
}
