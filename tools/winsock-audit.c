// SPDX-License-Identifier: GPL-2.0
/*
 * winsock-audit: watch and count the peer lookups made through
 * /dev/winsock, from the kernel's audit stream (generic netlink family
 * "winsock").
 *
 *   winsock-audit monitor [--json] [--pid PID] [--uid UID] [--result CODE]
 *                         [--count N]
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

#include "wsaudit.h"

struct monitor {
	int json;
	long pid, uid, result;		/* -1: no filter */
	long count;			/* stop after this many, 0: never */
	long shown;
	uint64_t last_seq;
};

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static const char *family_name(uint32_t family)
{
	switch (family) {
	case AF_UNIX:
		return "unix";
	case AF_INET:
		return "inet";
	case AF_INET6:
		return "inet6";
	default:
		return "other";
	}
}

/* JSON string body: the comm and peer can hold any byte. */
static void json_string(const char *s)
{
	putchar('"');
	for (; *s; s++) {
		unsigned char ch = *s;

		if (ch == '"' || ch == '\\')
			printf("\\%c", ch);
		else if (ch < 0x20 || ch >= 0x7f)
			printf("\\u%04x", ch);
		else
			putchar(ch);
	}
	putchar('"');
}

static void format_time(char *buf, size_t size, uint64_t ns)
{
	time_t sec = (time_t)(ns / 1000000000);
	struct tm tm;

	gmtime_r(&sec, &tm);
	snprintf(buf, size, "%04d-%02d-%02dT%02d:%02d:%02d.%09" PRIu64 "Z",
		 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
		 tm.tm_min, tm.tm_sec, ns % 1000000000);
}

static void report_lost(struct monitor *m, uint64_t seq)
{
	uint64_t lost;

	if (m->last_seq && seq > m->last_seq + 1) {
		lost = seq - m->last_seq - 1;
		if (m->json)
			printf("{\"lost\":%" PRIu64 ",\"after_seq\":%" PRIu64 "}\n",
			       lost, m->last_seq);
		else
			printf("%" PRIu64 " events lost\n", lost);
	}
	if (seq > m->last_seq)
		m->last_seq = seq;
}

static void print_event(const struct wsa_event *e, void *arg)
{
	struct monitor *m = arg;
	char peer[160], when[48];

	report_lost(m, e->seq);
	if ((m->pid >= 0 && e->pid != (uint64_t)m->pid) ||
	    (m->uid >= 0 && e->uid != (uint64_t)m->uid) ||
	    (m->result >= 0 && e->result != (uint64_t)m->result))
		return;
	wsa_format_peer(peer, sizeof(peer), e);
	format_time(when, sizeof(when), e->timestamp_ns);
	if (m->json) {
		printf("{\"seq\":%" PRIu64 ",\"time\":\"%s\",\"timestamp_ns\":%" PRIu64
		       ",\"pid\":%u,\"tid\":%u,\"uid\":%u,\"gid\":%u,\"comm\":",
		       e->seq, when, e->timestamp_ns, e->pid, e->tid, e->uid, e->gid);
		json_string(e->comm);
		printf(",\"socket\":%" PRIu64, e->socket);
		if (e->has_socket)
			printf(",\"family\":%u,\"type\":%u,\"protocol\":%u",
			       e->family, e->type, e->protocol);
		printf(",\"result\":%u,\"result_name\":\"%s\"", e->result,
		       wsa_result_name(e->result));
		if (e->peerlen) {
			printf(",\"peer\":");
			json_string(peer);
		}
		printf(",\"version\":\"%u.%u\",\"flags\":%u,\"netns_ino\":%u,\"netns_cookie\":%" PRIu64 "}\n",
		       e->version & 0xff, e->version >> 8, e->flags,
		       e->netns_ino, e->netns_cookie);
	} else {
		printf("%s seq=%" PRIu64 " pid=%u tid=%u uid=%u gid=%u comm=%s socket=%" PRIu64,
		       when, e->seq, e->pid, e->tid, e->uid, e->gid, e->comm,
		       e->socket);
		if (e->has_socket)
			printf(" family=%s type=%u protocol=%u",
			       family_name(e->family), e->type, e->protocol);
		printf(" result=%s", wsa_result_name(e->result));
		if (e->peerlen)
			printf(" peer=%s", peer[0] ? peer : "(unnamed)");
		printf(" version=%u.%u netns=%u\n", e->version & 0xff,
		       e->version >> 8, e->netns_ino);
	}
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
		if (!strcasecmp(s, wsa_result_name(codes[i])))
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
	fprintf(stderr, "winsock-audit: %s: %s\n", what, wsa_strerror(err));
	return 1;
}

static int monitor(struct wsa_conn *c, struct monitor *m)
{
	struct sigaction sa = { .sa_handler = on_signal };
	sigset_t block, orig;
	struct pollfd pfd;
	int err;

	/* Signals are only delivered inside ppoll: no race with the test. */
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	sigprocmask(SIG_BLOCK, &block, &orig);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);

	err = wsa_subscribe(c);
	if (err)
		return fail("subscribe", err);
	err = wsa_set_nonblocking(c);
	if (err)
		return fail("socket", err);
	fprintf(stderr, "winsock-audit: listening\n");
	setvbuf(stdout, NULL, _IOLBF, 0);

	pfd.fd = wsa_fd(c);
	pfd.events = POLLIN;
	while (!stop) {
		if (ppoll(&pfd, 1, NULL, &orig) < 0) {
			if (errno == EINTR)
				continue;
			return fail("poll", -errno);
		}
		do {
			err = wsa_receive(c, print_event, m);
			/* An overflow: the next event's number shows the gap. */
		} while (!stop && (err == 0 || err == -ENOBUFS));
		if (err != -EAGAIN && err != 0 && err != -ENOBUFS)
			return fail("receive", err);
	}
	return 0;
}

static int stats(struct wsa_conn *c, int json)
{
	struct wsa_stats st;
	int err, i;

	err = wsa_get_stats(c, &st);
	if (err)
		return fail("stats", err);
	if (json) {
		printf("{\"lookups\":%" PRIu64 ",\"results\":{", st.lookups);
		for (i = 0; i < st.nresults; i++)
			printf("%s\"%s\":%" PRIu64, i ? "," : "",
			       wsa_result_name(st.result[i]), st.count[i]);
		printf("},\"events_sent\":%" PRIu64 ",\"events_dropped\":%" PRIu64 "}\n",
		       st.events_sent, st.events_dropped);
		return 0;
	}
	printf("lookups            %" PRIu64 "\n", st.lookups);
	for (i = 0; i < st.nresults; i++)
		printf("  %-17s %" PRIu64 "\n", wsa_result_name(st.result[i]),
		       st.count[i]);
	printf("events sent        %" PRIu64 "\n", st.events_sent);
	printf("events dropped     %" PRIu64 "\n", st.events_dropped);
	return 0;
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: winsock-audit monitor [--json] [--pid PID] [--uid UID] [--result CODE] [--count N]\n"
		"       winsock-audit stats [--json]\n"
		"       winsock-audit reset\n"
		"       winsock-audit --version\n");
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "pid", required_argument, NULL, 'p' },
		{ "uid", required_argument, NULL, 'u' },
		{ "result", required_argument, NULL, 'r' },
		{ "count", required_argument, NULL, 'n' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	struct monitor m = { .pid = -1, .uid = -1, .result = -1 };
	struct wsa_conn c;
	const char *cmd;
	int opt, err, rc;
	long *dst;

	while ((opt = getopt_long(argc, argv, "jp:u:r:n:hV", opts, NULL)) != -1) {
		dst = NULL;
		switch (opt) {
		case 'j':
			m.json = 1;
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

	err = wsa_open(&c);
	if (err)
		return fail("cannot open the audit stream", err);
	if (!strcmp(cmd, "monitor"))
		rc = monitor(&c, &m);
	else if (!strcmp(cmd, "stats"))
		rc = stats(&c, m.json);
	else
		rc = (err = wsa_reset_stats(&c)) ? fail("reset", err) : 0;
	wsa_close(&c);
	return rc;
}
