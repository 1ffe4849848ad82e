// SPDX-License-Identifier: GPL-2.0
/*
 * audit_delivery_test: the audit stream's delivery guarantee.
 *
 * - burst and flood: with winsock-audit monitor --json writing to a file
 *   as the subscriber, every lookup arrives, numbered 1..N without a gap,
 *   and nothing is counted as dropped; the flood's time is logged.
 * - a subscriber that does not read, with the smallest receive buffer:
 *   the kernel holds the burst (the backlog) and loses nothing.
 * - a subscriber stopped with SIGSTOP: the first lookup past the backlog
 *   waits about backlog_wait_ms, then the subscriber is stalled: its
 *   events are dropped and counted without waiting, and after SIGCONT it
 *   sees exactly that loss as a gap.  Killed instead: the next lookup does
 *   not wait and the subscriber is gone from the counters.
 * - WINSOCK_SUB_BEST_EFFORT never makes a lookup wait (monitor
 *   --best-effort subscribes so, the default monitor reliably).
 * - the subscription's rules: EEXIST, ENOENT, EINVAL, ENOSPC, numbering.
 * - subscriptions coming and going under running lookups (last: it flips
 *   the lookups' static key, code patched under them).
 *
 * The events are read with a raw NETLINK_GENERIC socket (genl_raw.h), so
 * that what is tested is the kernel's wire, not a client library.
 */
#include <limits.h>
#include <pthread.h>

#include "audit_util.h"
#include "json_check.h"

#define BURST		1000
#define FLOOD_THREADS	4
#define FLOOD_LOOKUPS	25000

/*
 * The guests' clocks are the host's (TCG, no icount): a busy host can
 * stall a guest for a few hundred milliseconds in the middle of any
 * lookup.  So a wait the test makes happen is long (STOP_WAIT_MS), one
 * that must not happen is made longer still if it did (NO_WAIT_MS), and
 * "did not wait" allows a quarter of it: a second's stall or more.
 */
#define STOP_WAIT_MS	2000
#define NO_WAIT_MS	4000

/* The sequence numbers one subscriber saw. */
struct seqs {
	long received, gaps, lost;
	uint64_t first, last;
	long enobufs;
};

static void seqs_cb(const struct genl_event *e, void *arg)
{
	struct seqs *s = arg;

	if (!s->received) {
		s->first = e->seq;
	} else if (e->seq != s->last + 1) {
		s->gaps++;
		s->lost += (long)(e->seq - s->last - 1);
	}
	s->last = e->seq;
	s->received++;
}

/* Read until @want events came or nothing came for @quiet_ms. */
static void drain(struct genl *g, struct seqs *s, long want, int quiet_ms)
{
	int n;

	while (s->received < want) {
		n = genl_recv_events(g, quiet_ms, seqs_cb, s);
		if (n == -ENOBUFS)
			s->enobufs++;
		else if (n <= 0)
			break;
	}
}

/* The JSON Lines winsock-audit wrote: every line checked. */
struct jsonl {
	long lines, bad, gaps, foreign;
	uint64_t first, last;
};

static int read_jsonl(const char *path, uint64_t sock, struct jsonl *j)
{
	FILE *f = fopen(path, "r");
	uint64_t seq, v;
	size_t cap = 0;
	char *line = NULL;

	memset(j, 0, sizeof(*j));
	if (!f)
		return -1;
	while (getline(&line, &cap, f) > 0) {
		if (json_check(line) || !json_u64(line, "seq", &seq)) {
			j->bad++;
			continue;
		}
		if (!j->lines)
			j->first = seq;
		else if (seq != j->last + 1)
			j->gaps++;
		j->last = seq;
		j->lines++;
		/* Every event is one of this test's lookups. */
		if (!json_u64(line, "socket", &v) || v != sock ||
		    !json_u64(line, "pid", &v) || v != (uint64_t)getpid())
			j->foreign++;
	}
	free(line);
	fclose(f);
	return 0;
}

FIXTURE(delivery) {
	struct tcp_conn c;
	int dev;
	long backlog, wait_ms;
};

FIXTURE_SETUP(delivery)
{
	struct genl g;

	self->dev = -1;
	SETUP_GENL_OPEN(&g, "the audit stream needs CAP_NET_ADMIN");
	genl_close(&g);
	ASSERT_EQ(0, param_get("backlog", &self->backlog));
	ASSERT_EQ(0, param_get("backlog_wait_ms", &self->wait_ms));
	self->dev = ws_open_started(0x0202);
	ASSERT_LE(0, self->dev);
	ASSERT_EQ(0, tcp_connect(&self->c, AF_INET));
}

FIXTURE_TEARDOWN(delivery)
{
	if (self->dev < 0)
		return;
	param_set("backlog", self->backlog);
	param_set("backlog_wait_ms", self->wait_ms);
	tcp_close(&self->c);
	close(self->dev);
}

/* 1000 lookups, winsock-audit as the subscriber: all of them, in order. */
TEST_F(delivery, burst_monitor_json)
{
	char *argv[] = { "winsock-audit", "monitor", "--json", "--count", "1000", NULL };
	const char *out = "/tmp/audit_burst.jsonl";
	struct genl_stats before, after;
	char err[4096];
	struct tool t;
	struct jsonl j;
	uint32_t port;
	uint64_t ms;
	int i, rc;

	SKIPPED_IN_SETUP();
	if (!have_tool())
		SKIP(return, "winsock-audit is not in PATH");
	/* The default backlog is meant to absorb such a burst. */
	EXPECT_LE(BURST, self->backlog);
	ASSERT_EQ(0, stats_now(&before));
	ASSERT_EQ(0, tool_start(&t, argv, out));
	port = wait_new_subscriber(&before, 10000);
	ASSERT_NE(0, port);
	ASSERT_EQ(0, stats_now(&before));
	/* By default the monitor is a reliable subscriber. */
	ASSERT_NE(NULL, genl_find_sub(&before, port));
	EXPECT_EQ(0, genl_find_sub(&before, port)->flags);
	for (i = 0; i < BURST; i++)
		ASSERT_EQ(0, lookup_timed(self->dev, self->c.client, &ms));
	rc = tool_wait(&t, 60000, err, sizeof(err));
	ASSERT_EQ(0, stats_now(&after));
	EXPECT_EQ(0, rc) TH_LOG("winsock-audit: %s", err);
	EXPECT_EQ(BURST, after.lookups - before.lookups);
	EXPECT_EQ(0, after.dropped - before.dropped);
	EXPECT_EQ(BURST, after.sent - before.sent);
	ASSERT_EQ(0, read_jsonl(out, self->c.client, &j));
	EXPECT_EQ(BURST, j.lines);
	EXPECT_EQ(0, j.bad);
	EXPECT_EQ(0, j.gaps);
	EXPECT_EQ(0, j.foreign);
	EXPECT_EQ(1, j.first);
	EXPECT_EQ(BURST, j.last);
	unlink(out);
}

struct flooder {
	int dev, fd;
	long ok;
	pthread_t th;
};

static void *flood_main(void *arg)
{
	struct flooder *f = arg;

	f->ok = lookups_batch(f->dev, f->fd, FLOOD_LOOKUPS);
	return NULL;
}

/* 4 threads x 25 000 lookups (batches), the monitor writing JSON. */
TEST_F(delivery, flood_monitor_json)
{
	char *argv[] = { "winsock-audit", "monitor", "--json", "--count", "100000", NULL };
	const long total = (long)FLOOD_THREADS * FLOOD_LOOKUPS;
	const char *out = "/tmp/audit_flood.jsonl";
	struct flooder f[FLOOD_THREADS];
	struct genl_stats before, after;
	uint64_t t0, t_lookups, t_all;
	char err[4096];
	struct tool t;
	struct jsonl j;
	long ok = 0;
	int i, rc;

	SKIPPED_IN_SETUP();
	if (!have_tool())
		SKIP(return, "winsock-audit is not in PATH");
	ASSERT_EQ(0, stats_now(&before));
	ASSERT_EQ(0, tool_start(&t, argv, out));
	ASSERT_NE(0, wait_new_subscriber(&before, 10000));
	ASSERT_EQ(0, stats_now(&before));
	t0 = now_ms();
	for (i = 0; i < FLOOD_THREADS; i++) {
		f[i].dev = ws_open_started(0x0202);
		f[i].fd = self->c.client;
		ASSERT_LE(0, f[i].dev);
		ASSERT_EQ(0, pthread_create(&f[i].th, NULL, flood_main, &f[i]));
	}
	for (i = 0; i < FLOOD_THREADS; i++) {
		pthread_join(f[i].th, NULL);
		ok += f[i].ok;
		close(f[i].dev);
	}
	t_lookups = now_ms() - t0;
	rc = tool_wait(&t, 120000, err, sizeof(err));
	t_all = now_ms() - t0;
	ASSERT_EQ(0, stats_now(&after));
	TH_LOG("flood: %ld lookups in %llu ms, all events written in %llu ms (%llu/s)",
	       total, (unsigned long long)t_lookups, (unsigned long long)t_all,
	       (unsigned long long)(total * 1000 / (t_all ? t_all : 1)));
	/* Its own account at exit: throughput, and any gap it saw. */
	TH_LOG("winsock-audit said: %s", err);
	EXPECT_EQ(0, rc);
	EXPECT_EQ(total, ok);
	EXPECT_EQ(total, after.lookups - before.lookups);
	EXPECT_EQ(0, after.dropped - before.dropped);
	EXPECT_EQ(total, after.sent - before.sent);
	ASSERT_EQ(0, read_jsonl(out, self->c.client, &j));
	EXPECT_EQ(total, j.lines);
	EXPECT_EQ(0, j.bad);
	EXPECT_EQ(0, j.gaps);
	EXPECT_EQ(0, j.foreign);
	EXPECT_EQ(1, j.first);
	EXPECT_EQ(total, j.last);
	unlink(out);
}

/*
 * A subscriber with the smallest receive buffer reads only after the
 * burst: its blocked delivery holds the rest in the kernel queue.
 */
TEST_F(delivery, backlog_holds_burst_for_unread_subscriber)
{
	struct genl_stats st;
	const struct genl_sub *sub;
	struct seqs s = { 0 };
	uint64_t ms, max_ms = 0;
	struct genl g;
	int i;

	SKIPPED_IN_SETUP();
	ASSERT_LE(BURST, self->backlog);
	ASSERT_EQ(0, param_set("backlog_wait_ms", NO_WAIT_MS));
	ASSERT_EQ(0, genl_open(&g));
	ASSERT_EQ(0, genl_rcvbuf(&g, 1));
	ASSERT_EQ(0, genl_subscribe(&g, 0));
	for (i = 0; i < BURST; i++) {
		ASSERT_EQ(0, lookup_timed(self->dev, self->c.client, &ms));
		max_ms = ms > max_ms ? ms : max_ms;
	}
	ASSERT_EQ(0, stats_now(&st));
	sub = genl_find_sub(&st, g.portid);
	ASSERT_NE(NULL, sub);
	/* Held, not dropped: the buffer took only part of it. */
	EXPECT_LT(0, sub->queued);
	EXPECT_EQ(0, sub->dropped);
	EXPECT_EQ(BURST, sub->seq);
	/* Room in the backlog: nobody waited. */
	EXPECT_GT(NO_WAIT_MS / 4, max_ms);
	drain(&g, &s, BURST, 3000);
	EXPECT_EQ(BURST, s.received);
	EXPECT_EQ(1, s.first);
	EXPECT_EQ(BURST, s.last);
	EXPECT_EQ(0, s.gaps);
	EXPECT_EQ(0, s.enobufs);
	genl_close(&g);
}

/* A subscriber in a child process, reading until told to report. */
struct sub_proc {
	pid_t pid;
	uint32_t portid;
	int ctl, res;
};

static int sub_child(int ctl, int res, uint32_t flags)
{
	struct pollfd pfd[2];
	struct seqs s = { 0 };
	struct genl g;
	int n;

	if (genl_open(&g) || genl_rcvbuf(&g, 1) || genl_subscribe(&g, flags))
		return 10;
	if (write(res, &g.portid, sizeof(g.portid)) != sizeof(g.portid))
		return 11;
	for (;;) {
		pfd[0].fd = g.fd;
		pfd[0].events = POLLIN;
		pfd[1].fd = ctl;
		pfd[1].events = POLLIN;
		if (poll(pfd, 2, -1) < 0)
			continue;
		if (pfd[1].revents)
			break;
		n = genl_recv_events(&g, 0, seqs_cb, &s);
		if (n == -ENOBUFS)
			s.enobufs++;
	}
	drain(&g, &s, LONG_MAX, 500);
	return write(res, &s, sizeof(s)) == sizeof(s) ? 0 : 12;
}

static int sub_start(struct sub_proc *p, uint32_t flags)
{
	struct pollfd pfd;
	int ctl[2], res[2];

	if (pipe(ctl) || pipe(res))
		return -1;
	p->pid = fork();
	if (p->pid < 0)
		return -1;
	if (p->pid == 0) {
		close(ctl[1]);
		close(res[0]);
		_exit(sub_child(ctl[0], res[1], flags));
	}
	close(ctl[0]);
	close(res[1]);
	p->ctl = ctl[1];
	p->res = res[0];
	pfd.fd = p->res;
	pfd.events = POLLIN;
	if (poll(&pfd, 1, 10000) != 1 ||
	    read(p->res, &p->portid, sizeof(p->portid)) != sizeof(p->portid))
		return -1;
	return 0;
}

/* Tell the child to drain and report: 0 or -1. */
static int sub_finish(struct sub_proc *p, struct seqs *s)
{
	struct pollfd pfd = { .fd = p->res, .events = POLLIN };
	int status, ok;

	ok = write(p->ctl, "x", 1) == 1 && poll(&pfd, 1, 30000) == 1 &&
	     read(p->res, s, sizeof(*s)) == sizeof(*s);
	close(p->ctl);
	close(p->res);
	if (waitpid(p->pid, &status, 0) != p->pid || !WIFEXITED(status) ||
	    WEXITSTATUS(status))
		ok = 0;
	return ok ? 0 : -1;
}

/* Wait until @pid is stopped (state T in /proc/PID/stat). */
static bool wait_stopped(pid_t pid)
{
	char path[64], buf[256], *p;
	int i, fd, n;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	for (i = 0; i < 500; i++) {
		fd = open(path, O_RDONLY);
		n = fd < 0 ? -1 : read(fd, buf, sizeof(buf) - 1);
		if (fd >= 0)
			close(fd);
		if (n > 0) {
			buf[n] = '\0';
			p = strrchr(buf, ')');
			if (p && (p[2] == 'T' || p[2] == 't'))
				return true;
		}
		usleep(10000);
	}
	return false;
}

/* Wait until subscriber @portid has nothing queued: its entry, or NULL. */
static const struct genl_sub *wait_drained(struct genl_stats *st, uint32_t portid)
{
	const struct genl_sub *sub = NULL;
	int i;

	for (i = 0; i < 500; i++) {
		if (!stats_now(st)) {
			sub = genl_find_sub(st, portid);
			if (sub && !sub->queued)
				return sub;
		}
		usleep(20000);
	}
	return sub;
}

#define SMALL_BACKLOG	64

TEST_F(delivery, stopped_subscriber_throttles_then_drops)
{
	uint64_t ms, slow_ms = 0, max_before = 0, max_after = 0;
	long i, slow_at = 0, after = 0, made, dropped;
	struct genl_stats before, st;
	const struct genl_sub *sub;
	struct seqs s = { 0 };
	struct sub_proc p;

	SKIPPED_IN_SETUP();
	ASSERT_EQ(0, param_set("backlog", SMALL_BACKLOG));
	ASSERT_EQ(0, param_set("backlog_wait_ms", STOP_WAIT_MS));
	ASSERT_EQ(0, stats_now(&before));
	ASSERT_EQ(0, sub_start(&p, 0));
	ASSERT_EQ(0, kill(p.pid, SIGSTOP));
	ASSERT_TRUE(wait_stopped(p.pid));

	/* Fast until the backlog is full, one wait, then fast drops. */
	for (i = 0; i < 20000 && after < 200; i++) {
		ASSERT_EQ(0, lookup_timed(self->dev, self->c.client, &ms));
		if (slow_at) {
			after++;
			max_after = ms > max_after ? ms : max_after;
		} else if (ms >= STOP_WAIT_MS * 3 / 4) {
			slow_at = i + 1;
			slow_ms = ms;
		} else {
			max_before = ms > max_before ? ms : max_before;
		}
	}
	made = i;
	TH_LOG("lookup %ld waited %llu ms (before: at most %llu ms, after: %llu ms)",
	       slow_at, (unsigned long long)slow_ms, (unsigned long long)max_before,
	       (unsigned long long)max_after);
	ASSERT_NE(0, slow_at) TH_LOG("no lookup waited for the stopped subscriber");
	EXPECT_GT(4 * STOP_WAIT_MS, slow_ms);
	EXPECT_LT(SMALL_BACKLOG, slow_at);
	EXPECT_GT(STOP_WAIT_MS / 2, max_after);

	ASSERT_EQ(0, stats_now(&st));
	sub = genl_find_sub(&st, p.portid);
	ASSERT_NE(NULL, sub);
	/* The one that timed out and every one after it. */
	EXPECT_EQ(after + 1, (long)sub->dropped);
	EXPECT_EQ(sub->dropped, st.dropped - before.dropped);
	EXPECT_GE(SMALL_BACKLOG, sub->queued);
	EXPECT_EQ(made, (long)sub->seq);
	dropped = sub->dropped;

	/* Resumed: it drains, and a new lookup is delivered again. */
	ASSERT_EQ(0, kill(p.pid, SIGCONT));
	sub = wait_drained(&st, p.portid);
	ASSERT_NE(NULL, sub);
	ASSERT_EQ(0, sub->queued);
	ASSERT_EQ(0, lookup_timed(self->dev, self->c.client, &ms));
	EXPECT_GT(STOP_WAIT_MS / 2, ms);
	sub = wait_drained(&st, p.portid);
	ASSERT_NE(NULL, sub);
	EXPECT_EQ(dropped, (long)sub->dropped);
	EXPECT_EQ(made + 1, (long)sub->seq);

	ASSERT_EQ(0, sub_finish(&p, &s));
	TH_LOG("subscriber: %ld received, %ld lost in %ld gaps, last %llu",
	       s.received, s.lost, s.gaps, (unsigned long long)s.last);
	EXPECT_EQ(1, s.first);
	EXPECT_EQ(made + 1, (long)s.last);
	EXPECT_EQ(dropped, s.lost);
	EXPECT_EQ(s.last, (uint64_t)(s.received + s.lost));
	EXPECT_LE(1, s.gaps);
	EXPECT_EQ(0, s.enobufs);
}

TEST_F(delivery, killed_subscriber_costs_nothing)
{
	struct genl_stats before, st;
	const struct genl_sub *sub;
	struct sub_proc p;
	uint64_t ms, max_ms = 0;
	int i, status;
	bool full = false;

	SKIPPED_IN_SETUP();
	ASSERT_EQ(0, param_set("backlog", SMALL_BACKLOG));
	ASSERT_EQ(0, param_set("backlog_wait_ms", NO_WAIT_MS));
	ASSERT_EQ(0, stats_now(&before));
	ASSERT_EQ(0, sub_start(&p, 0));
	ASSERT_EQ(0, kill(p.pid, SIGSTOP));
	ASSERT_TRUE(wait_stopped(p.pid));
	/* Fill its backlog exactly: the next lookup would wait. */
	for (i = 0; i < 5000 && !full; i++) {
		ASSERT_EQ(0, lookup_timed(self->dev, self->c.client, &ms));
		max_ms = ms > max_ms ? ms : max_ms;
		if (i + 1 < SMALL_BACKLOG)
			continue;
		ASSERT_EQ(0, stats_now(&st));
		sub = genl_find_sub(&st, p.portid);
		ASSERT_NE(NULL, sub);
		full = sub->queued >= SMALL_BACKLOG;
	}
	ASSERT_TRUE(full) TH_LOG("the stopped subscriber's queue never filled");
	EXPECT_GT(NO_WAIT_MS / 4, max_ms);
	TH_LOG("queue full after %d lookups", i);

	ASSERT_EQ(0, kill(p.pid, SIGKILL));
	ASSERT_EQ(p.pid, waitpid(p.pid, &status, 0));
	close(p.ctl);
	close(p.res);
	ASSERT_EQ(0, lookup_timed(self->dev, self->c.client, &ms));
	TH_LOG("the lookup after the kill took %llu ms", (unsigned long long)ms);
	EXPECT_GT(NO_WAIT_MS / 4, ms);
	ASSERT_EQ(0, stats_now(&st));
	EXPECT_EQ(NULL, genl_find_sub(&st, p.portid));
	EXPECT_EQ(before.nsubs, st.nsubs);
}

/* A best-effort subscriber that never reads costs no lookup a wait. */
TEST_F(delivery, best_effort_never_waits)
{
	struct genl_stats before, st;
	const struct genl_sub *sub;
	uint64_t ms, max_ms = 0;
	struct seqs s = { 0 };
	struct genl g;
	int i;

	SKIPPED_IN_SETUP();
	ASSERT_EQ(0, param_set("backlog", SMALL_BACKLOG));
	ASSERT_EQ(0, param_set("backlog_wait_ms", NO_WAIT_MS));
	ASSERT_EQ(0, genl_open(&g));
	ASSERT_EQ(0, genl_rcvbuf(&g, 1));
	ASSERT_EQ(0, stats_now(&before));
	ASSERT_EQ(0, genl_subscribe(&g, WINSOCK_SUB_BEST_EFFORT));
	for (i = 0; i < 2000; i++) {
		ASSERT_EQ(0, lookup_timed(self->dev, self->c.client, &ms));
		max_ms = ms > max_ms ? ms : max_ms;
	}
	EXPECT_GT(NO_WAIT_MS / 4, max_ms);
	ASSERT_EQ(0, stats_now(&st));
	sub = genl_find_sub(&st, g.portid);
	ASSERT_NE(NULL, sub);
	EXPECT_EQ(WINSOCK_SUB_BEST_EFFORT, sub->flags);
	EXPECT_LT(0, sub->dropped);
	EXPECT_EQ(sub->dropped, st.dropped - before.dropped);
	EXPECT_EQ(2000, sub->seq);
	drain(&g, &s, LONG_MAX, 1000);
	/* What was not dropped arrives; the gaps account for the rest. */
	EXPECT_EQ(2000, s.received + (long)sub->dropped);
	EXPECT_EQ(1, s.first);
	EXPECT_GE((long)sub->dropped, s.lost);
	genl_close(&g);
}

/* winsock-audit monitor --best-effort subscribes as such. */
TEST_F(delivery, monitor_best_effort_flag)
{
	char *argv[] = { "winsock-audit", "monitor", "--best-effort", "--json", "--count", "1",
			 NULL };
	const char *out = "/tmp/audit_best_effort.jsonl";
	struct genl_stats st;
	char err[4096];
	struct tool t;
	struct jsonl j;
	uint32_t port;
	uint64_t ms;

	SKIPPED_IN_SETUP();
	if (!have_tool())
		SKIP(return, "winsock-audit is not in PATH");
	ASSERT_EQ(0, stats_now(&st));
	ASSERT_EQ(0, tool_start(&t, argv, out));
	port = wait_new_subscriber(&st, 10000);
	ASSERT_NE(0, port);
	ASSERT_EQ(0, stats_now(&st));
	ASSERT_NE(NULL, genl_find_sub(&st, port));
	EXPECT_EQ(WINSOCK_SUB_BEST_EFFORT, genl_find_sub(&st, port)->flags);
	ASSERT_EQ(0, lookup_timed(self->dev, self->c.client, &ms));
	EXPECT_EQ(0, tool_wait(&t, 30000, err, sizeof(err))) TH_LOG("%s", err);
	ASSERT_EQ(0, read_jsonl(out, self->c.client, &j));
	EXPECT_EQ(1, j.lines);
	EXPECT_EQ(1, j.first);
	unlink(out);
}

/* SUBSCRIBE/UNSUBSCRIBE: errors, numbering, and the end of delivery. */
TEST_F(delivery, subscription_rules)
{
	struct genl g, many[WINSOCK_SUBSCRIBERS_MAX + 1];
	struct genl_stats st;
	struct seqs s = { 0 };
	struct genl_msg m;
	uint64_t ms, seq = 7;
	int i, n, err;

	SKIPPED_IN_SETUP();
	ASSERT_EQ(0, genl_open(&g));
	ASSERT_EQ(-ENOENT, genl_unsubscribe(&g));
	ASSERT_EQ(-EINVAL, genl_subscribe(&g, 0x80000000U));
	ASSERT_EQ(-EINVAL, genl_subscribe(&g, ~WINSOCK_SUB_FLAGS));
	/* Strict policy: an attribute the command does not take is refused. */
	genl_msg_init(&m, g.family, WINSOCK_CMD_SUBSCRIBE);
	genl_msg_put(&m, WINSOCK_A_SEQ, &seq, sizeof(seq));
	EXPECT_EQ(-EINVAL, genl_transact(&g, &m, NULL, NULL));
	genl_msg_init(&m, g.family, WINSOCK_CMD_GET_STATS);
	genl_msg_put(&m, WINSOCK_A_MAX + 1, &seq, sizeof(seq));
	EXPECT_EQ(-EINVAL, genl_transact(&g, &m, NULL, NULL));
	ASSERT_EQ(0, stats_now(&st));
	EXPECT_EQ(NULL, genl_find_sub(&st, g.portid));

	ASSERT_EQ(0, genl_subscribe(&g, 0));
	ASSERT_EQ(-EEXIST, genl_subscribe(&g, 0));
	ASSERT_EQ(-EEXIST, genl_subscribe(&g, WINSOCK_SUB_BEST_EFFORT));
	ASSERT_EQ(0, lookup_timed(self->dev, self->c.client, &ms));
	drain(&g, &s, 1, 2000);
	EXPECT_EQ(1, s.received);
	EXPECT_EQ(1, s.first);
	ASSERT_EQ(0, genl_unsubscribe(&g));
	ASSERT_EQ(-ENOENT, genl_unsubscribe(&g));
	/* Unsubscribed: nothing more comes. */
	ASSERT_EQ(0, lookup_timed(self->dev, self->c.client, &ms));
	EXPECT_EQ(0, genl_recv_events(&g, 300, NULL, NULL));
	/* A new subscription is a new subscriber: numbered from 1 again. */
	ASSERT_EQ(0, genl_subscribe(&g, WINSOCK_SUB_BEST_EFFORT));
	ASSERT_EQ(0, stats_now(&st));
	ASSERT_NE(NULL, genl_find_sub(&st, g.portid));
	EXPECT_EQ(WINSOCK_SUB_BEST_EFFORT, genl_find_sub(&st, g.portid)->flags);
	memset(&s, 0, sizeof(s));
	ASSERT_EQ(0, lookup_timed(self->dev, self->c.client, &ms));
	drain(&g, &s, 1, 2000);
	EXPECT_EQ(1, s.received);
	EXPECT_EQ(1, s.first);
	genl_close(&g);

	/* At most WINSOCK_SUBSCRIBERS_MAX per namespace; closing frees one. */
	ASSERT_EQ(0, stats_now(&st));
	n = WINSOCK_SUBSCRIBERS_MAX - st.nsubs;
	for (i = 0; i <= n; i++) {
		ASSERT_EQ(0, genl_open(&many[i]));
		err = genl_subscribe(&many[i], 0);
		EXPECT_EQ(i < n ? 0 : -ENOSPC, err) TH_LOG("subscriber %d", i);
	}
	genl_close(&many[0]);
	/* The release is processed when the socket goes: allow it a moment. */
	for (i = 0; i < 100 && (err = genl_subscribe(&many[n], 0)) == -ENOSPC; i++)
		usleep(10000);
	EXPECT_EQ(0, err);
	for (i = 1; i <= n; i++)
		genl_close(&many[i]);
}

/*
 * Subscriptions that come and go while lookups run: the first subscriber
 * anywhere and the last one leaving switch the lookups' fast path (a
 * static key, code patched under the running lookups).  Both looking-up
 * threads must keep going, and the stream must work afterwards.  Run
 * last: a lookup stuck at a half-patched site (seen under TCG: a livelock
 * on 6.1, "Oops: int3" on 6.12) takes the whole program with it.
 */
struct churner {
	int dev, fd;
	long done;
	volatile int *stop;
	pthread_t th;
};

static void *churn_lookups(void *arg)
{
	struct churner *c = arg;

	while (!*c->stop)
		__atomic_add_fetch(&c->done, lookups_batch(c->dev, c->fd, 16),
				   __ATOMIC_RELAXED);
	return NULL;
}

TEST_F(delivery, subscribe_churn_under_lookups)
{
	struct churner c[2];
	volatile int stop = 0;
	uint64_t end, ms;
	long cycles = 0, before[2];
	struct seqs s = { 0 };
	struct genl g;
	int i, err = 0;

	SKIPPED_IN_SETUP();
	for (i = 0; i < 2; i++) {
		c[i].dev = self->dev;
		c[i].fd = self->c.client;
		c[i].done = 0;
		c[i].stop = &stop;
		ASSERT_EQ(0, pthread_create(&c[i].th, NULL, churn_lookups, &c[i]));
	}
	end = now_ms() + 3000;
	while (now_ms() < end && !err) {
		/*
		 * The buffer first: events flow as soon as the subscription
		 * exists, and a full buffer would lose the acknowledgement.
		 */
		err = genl_open(&g);
		if (!err)
			err = genl_rcvbuf(&g, 4 << 20);
		if (!err)
			err = genl_subscribe(&g, cycles & 1 ? WINSOCK_SUB_BEST_EFFORT : 0);
		genl_close(&g);
		cycles++;
	}
	/* Still moving after the churn. */
	for (i = 0; i < 2; i++)
		before[i] = __atomic_load_n(&c[i].done, __ATOMIC_RELAXED);
	usleep(200000);
	for (i = 0; i < 2; i++)
		EXPECT_LT(before[i], __atomic_load_n(&c[i].done, __ATOMIC_RELAXED));
	stop = 1;
	for (i = 0; i < 2; i++)
		pthread_join(c[i].th, NULL);
	TH_LOG("%ld subscribe/close cycles; lookups %ld + %ld", cycles, c[0].done, c[1].done);
	EXPECT_EQ(0, err);
	EXPECT_LT(10, cycles);
	/* And a subscriber after all that hears the next lookup. */
	ASSERT_EQ(0, genl_open(&g));
	ASSERT_EQ(0, genl_subscribe(&g, 0));
	ASSERT_EQ(0, lookup_timed(self->dev, self->c.client, &ms));
	drain(&g, &s, 1, 2000);
	EXPECT_EQ(1, s.received);
	genl_close(&g);
}

TEST_HARNESS_MAIN
