// SPDX-License-Identifier: GPL-2.0
/*
 * The audit stream through the client the tools use (tools/lib/audit_client.c):
 * one numbered event per lookup with the right fields, counters that
 * account for every lookup, the privilege model, the tracepoint's fields,
 * the kernel audit record and winsock-audit's output.  Delivery under
 * load and backpressure, namespaces and escaping have test programs of
 * their own (audit_delivery_test, audit_netns_test, audit_escape_test).
 */
#include <grp.h>
#include <linux/audit.h>
#include <linux/netlink.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "kselftest_harness.h"
#include "helpers.h"
#include "audit_client.h"
#include "json_check.h"

#define NOBODY 65534

struct collect {
	struct auc_event ev[64];
	int n;
};

static void collect_cb(const struct auc_event *e, void *arg)
{
	struct collect *c = arg;

	if (c->n < (int)(sizeof(c->ev) / sizeof(c->ev[0])))
		c->ev[c->n] = *e;
	c->n++;
}

/* Read events until @want arrived or @ms passed without any. */
static int wait_events(struct auc_conn *w, struct collect *c, int want, int ms)
{
	struct pollfd pfd = { .fd = auc_fd(w), .events = POLLIN };

	int err;

	while (c->n < want && poll(&pfd, 1, ms) > 0) {
		err = auc_receive(w, collect_cb, c);
		if (err && err != -EAGAIN)
			break;
	}
	return c->n;
}

static int listen_events(struct auc_conn *w)
{
	int err = auc_open(w);

	if (!err)
		err = auc_subscribe(w, 0);
	if (!err)
		err = auc_set_nonblocking(w);
	return err;
}

static uint64_t stat_of(const struct auc_stats *st, uint32_t result)
{
	int i;

	for (i = 0; i < st->nresults; i++)
		if (st->result[i] == result)
			return st->count[i];
	return ~0ULL;
}

static int get_stats(struct auc_stats *st)
{
	struct auc_conn w;
	int err = auc_open(&w);

	if (!err) {
		err = auc_get_stats(&w, st);
		auc_close(&w);
	}
	return err;
}

/*
 * The counters once @sent events were delivered: a kernel thread sends
 * them and counts each after netlink accepted it, so the subscriber may
 * hold an event a moment before it is counted.
 */
static int get_stats_sent(struct auc_stats *st, uint64_t sent)
{
	int i, err;

	for (i = 0; i < 200; i++) {
		err = get_stats(st);
		if (err || st->events_sent >= sent)
			return err;
		usleep(10000);
	}
	return 0;
}

static uint64_t netns_ino(void)
{
	struct stat st;

	return stat("/proc/self/ns/net", &st) ? 0 : st.st_ino;
}

FIXTURE(audit) {
	struct auc_conn w;
	struct tcp_conn c;
	int dev;
};

FIXTURE_SETUP(audit)
{
	if (geteuid())
		SKIP(return, "the audit stream needs CAP_NET_ADMIN");
	ASSERT_EQ(0, listen_events(&self->w));
	self->dev = ws_open_started(0x0202);
	ASSERT_LE(0, self->dev);
	ASSERT_EQ(0, tcp_connect(&self->c, AF_INET));
}

FIXTURE_TEARDOWN(audit)
{
	if (geteuid())
		return;
	tcp_close(&self->c);
	close(self->dev);
	auc_close(&self->w);
}

/* A successful lookup: exactly one event, every field right. */
TEST_F(audit, one_event_per_lookup)
{
	struct sockaddr_storage ss;
	struct collect got = { 0 };
	uint64_t cookie = 0;
	socklen_t clen = sizeof(cookie);
	char comm[16] = "";
	int len = sizeof(ss);
	struct auc_event *e = &got.ev[0];

	ASSERT_EQ(0, ws_raw_getpeername(self->dev, self->c.client, &ss, &len, 0));
	ASSERT_EQ(1, wait_events(&self->w, &got, 1, 2000));
	/* Nothing more: one lookup, one event. */
	EXPECT_EQ(1, wait_events(&self->w, &got, 2, 200));

	ASSERT_EQ(0, prctl(PR_GET_NAME, comm));
	ASSERT_EQ(0, getsockopt(self->c.client, SOL_SOCKET, SO_NETNS_COOKIE,
				&cookie, &clen));
	EXPECT_NE(0, e->seq);
	EXPECT_EQ(getpid(), (pid_t)e->pid);
	EXPECT_EQ(gettid(), (pid_t)e->tid);
	EXPECT_EQ(getuid(), e->uid);
	EXPECT_EQ(getgid(), e->gid);
	EXPECT_STREQ(comm, e->comm);
	EXPECT_EQ((uint64_t)self->c.client, e->socket);
	EXPECT_EQ(1, e->has_socket);
	EXPECT_EQ(AF_INET, e->family);
	EXPECT_EQ(SOCK_STREAM, e->type);
	EXPECT_EQ(IPPROTO_TCP, e->protocol);
	EXPECT_EQ(0, e->result);
	EXPECT_EQ(0x0202, e->version);
	EXPECT_EQ(0, e->flags);
	EXPECT_EQ(1, e->has_netns);
	EXPECT_EQ(cookie, e->netns_cookie);
	EXPECT_EQ(netns_ino(), e->netns_ino);
	/* The caller is in the socket's namespace here. */
	EXPECT_EQ(cookie, e->caller_netns_cookie);
	EXPECT_EQ(netns_ino(), e->caller_netns_ino);
	/* The peer in the native layout although Windows' was asked for. */
	ASSERT_EQ((int)self->c.llen, e->peerlen);
	EXPECT_EQ(0, memcmp(&self->c.lname, &e->peer, self->c.llen));
	/* Time is CLOCK_REALTIME: within a minute of now. */
	EXPECT_GT(e->timestamp_ns / 1000000000ULL + 60, (uint64_t)time(NULL));
	EXPECT_LT(e->timestamp_ns / 1000000000ULL, (uint64_t)time(NULL) + 60);
}

/* Every result code gives its event, numbered without gaps, counted. */
TEST_F(audit, every_result_counted_in_sequence)
{
	struct auc_stats before, after;
	struct collect got = { 0 };
	struct sockaddr_storage ss;
	int p[2], udp, fresh, len, i;
	uint32_t want[] = {
		0, WINSOCK_WSAENOTSOCK, WINSOCK_WSAENOTCONN, WINSOCK_WSAEFAULT,
		WINSOCK_WSANOTINITIALISED, WINSOCK_WSAENETDOWN, 0,
	};
	int n = sizeof(want) / sizeof(want[0]);

	ASSERT_EQ(0, pipe(p));
	udp = socket(AF_INET, SOCK_DGRAM, 0);
	fresh = open(WINSOCK_DEVICE_PATH, O_RDWR);
	ASSERT_LE(0, udp);
	ASSERT_LE(0, fresh);
	ASSERT_EQ(0, get_stats(&before));

	len = sizeof(ss);
	EXPECT_EQ(0, ws_raw_getpeername(self->dev, self->c.client, &ss, &len,
					WINSOCK_GPN_NATIVE));
	len = sizeof(ss);
	EXPECT_EQ(WINSOCK_WSAENOTSOCK, ws_raw_getpeername(self->dev, p[0], &ss, &len, 0));
	EXPECT_EQ(WINSOCK_WSAENOTCONN, ws_raw_getpeername(self->dev, udp, &ss, &len, 0));
	len = 4;
	EXPECT_EQ(WINSOCK_WSAEFAULT, ws_raw_getpeername(self->dev, self->c.client, &ss, &len, 0));
	EXPECT_EQ(WINSOCK_WSANOTINITIALISED, ws_raw_getpeername(fresh, self->c.client, &ss, &len, 0));
	ASSERT_EQ(0, set_provider_down("1"));
	EXPECT_EQ(WINSOCK_WSAENETDOWN, ws_raw_getpeername(self->dev, self->c.client, &ss, &len, 0));
	ASSERT_EQ(0, set_provider_down("0"));
	len = sizeof(ss);
	EXPECT_EQ(0, ws_raw_getpeername(self->dev, self->c.server, &ss, &len, 0));

	ASSERT_EQ(n, wait_events(&self->w, &got, n, 2000));
	EXPECT_EQ(n, wait_events(&self->w, &got, n + 1, 200));
	for (i = 0; i < n; i++) {
		EXPECT_EQ(want[i], got.ev[i].result);
		if (i)
			EXPECT_EQ(got.ev[i - 1].seq + 1, got.ev[i].seq);
	}
	/* Native layout requested: the flag is in the event. */
	EXPECT_EQ(WINSOCK_GPN_NATIVE, got.ev[0].flags);
	/* Not a socket: no socket fields, no peer; the caller's namespace. */
	EXPECT_EQ(0, got.ev[1].has_socket);
	EXPECT_EQ(0, got.ev[1].has_netns);
	EXPECT_EQ(netns_ino(), got.ev[1].caller_netns_ino);
	EXPECT_EQ((uint64_t)p[0], got.ev[1].socket);
	EXPECT_EQ(0, got.ev[1].peerlen);
	/* No peer to read. */
	EXPECT_EQ(1, got.ev[2].has_socket);
	EXPECT_EQ(SOCK_DGRAM, got.ev[2].type);
	EXPECT_EQ(0, got.ev[2].peerlen);
	/* WSAEFAULT is decided after the peer was read. */
	EXPECT_EQ((int)self->c.llen, got.ev[3].peerlen);
	/* A handle never started has no version. */
	EXPECT_EQ(0, got.ev[4].version);
	/* The accepted side's peer is the client. */
	EXPECT_EQ((int)self->c.clen, got.ev[6].peerlen);
	EXPECT_EQ(0, memcmp(&self->c.cname, &got.ev[6].peer, self->c.clen));

	ASSERT_EQ(0, get_stats_sent(&after, before.events_sent + n));
	EXPECT_EQ(before.lookups + n, after.lookups);
	EXPECT_EQ(stat_of(&before, 0) + 2, stat_of(&after, 0));
	EXPECT_EQ(stat_of(&before, WINSOCK_WSAENOTSOCK) + 1, stat_of(&after, WINSOCK_WSAENOTSOCK));
	EXPECT_EQ(stat_of(&before, WINSOCK_WSAENOTCONN) + 1, stat_of(&after, WINSOCK_WSAENOTCONN));
	EXPECT_EQ(stat_of(&before, WINSOCK_WSAEFAULT) + 1, stat_of(&after, WINSOCK_WSAEFAULT));
	EXPECT_EQ(stat_of(&before, WINSOCK_WSANOTINITIALISED) + 1,
		  stat_of(&after, WINSOCK_WSANOTINITIALISED));
	EXPECT_EQ(stat_of(&before, WINSOCK_WSAENETDOWN) + 1, stat_of(&after, WINSOCK_WSAENETDOWN));
	EXPECT_EQ(before.events_sent + n, after.events_sent);
	EXPECT_EQ(before.events_dropped, after.events_dropped);
	close(p[0]);
	close(p[1]);
	close(udp);
	close(fresh);
}

/* Reset zeroes what stats reads; counting goes on from there. */
TEST_F(audit, reset_counters)
{
	struct sockaddr_storage ss;
	struct collect got = { 0 };
	struct auc_stats st;
	int len = sizeof(ss), i;

	/* Delivered and counted before the reset, so none counts after it. */
	ASSERT_EQ(0, get_stats(&st));
	ASSERT_EQ(0, ws_raw_getpeername(self->dev, self->c.client, &ss, &len, 0));
	ASSERT_EQ(1, wait_events(&self->w, &got, 1, 2000));
	ASSERT_EQ(0, get_stats_sent(&st, st.events_sent + 1));
	EXPECT_LT(0, st.lookups);
	ASSERT_EQ(0, auc_reset_stats(&self->w));
	ASSERT_EQ(0, get_stats(&st));
	EXPECT_EQ(0, st.lookups);
	EXPECT_EQ(AUC_NRESULTS, st.nresults);
	for (i = 0; i < st.nresults; i++)
		EXPECT_EQ(0, st.count[i]);
	EXPECT_EQ(0, st.events_sent);
	EXPECT_EQ(0, st.events_dropped);
	len = sizeof(ss);
	ASSERT_EQ(0, ws_raw_getpeername(self->dev, self->c.client, &ss, &len, 0));
	ASSERT_EQ(2, wait_events(&self->w, &got, 2, 2000));
	ASSERT_EQ(0, get_stats_sent(&st, 1));
	EXPECT_EQ(1, st.lookups);
	EXPECT_EQ(1, stat_of(&st, 0));
	EXPECT_EQ(1, st.events_sent);
	/* The subscriber itself is listed, with what it was sent. */
	ASSERT_EQ(1, st.nsubscribers);
	EXPECT_EQ(auc_portid(&self->w), st.sub[0].portid);
	EXPECT_EQ(0, st.sub[0].flags);
	EXPECT_EQ(0, st.sub[0].queued);
	EXPECT_EQ(0, st.sub[0].dropped);
	EXPECT_EQ(2, st.sub[0].seq);
}

/* Drop to nobody with no capabilities: refused everything, sees nothing. */
TEST_F(audit, unprivileged_refused)
{
	pid_t pid = fork();
	int status;

	ASSERT_LE(0, pid);
	if (pid == 0) {
		struct sockaddr_storage ss;
		struct collect got = { 0 };
		struct auc_stats st;
		struct auc_conn w;
		int len = sizeof(ss);
		char line[256];
		FILE *f;

		if (setgroups(0, NULL) || setresgid(NOBODY, NOBODY, NOBODY) ||
		    setresuid(NOBODY, NOBODY, NOBODY))
			_exit(10);
		/* The uid change cleared every capability: check it. */
		f = fopen("/proc/self/status", "r");
		while (f && fgets(line, sizeof(line), f))
			if (!strncmp(line, "CapEff:", 7) &&
			    strtoull(line + 7, NULL, 16) != 0)
				_exit(11);
		if (f)
			fclose(f);
		/* Resolving the family is public; nothing else is. */
		if (auc_open(&w))
			_exit(12);
		if (auc_subscribe(&w, 0) != -EPERM)
			_exit(13);
		if (auc_subscribe(&w, WINSOCK_SUB_BEST_EFFORT) != -EPERM)
			_exit(13);
		if (auc_get_stats(&w, &st) != -EPERM)
			_exit(14);
		if (auc_reset_stats(&w) != -EPERM)
			_exit(15);
		auc_set_nonblocking(&w);
		/* The device itself stays open to everyone. */
		if (ws_raw_getpeername(self->dev, self->c.client, &ss, &len, 0))
			_exit(16);
		if (wait_events(&w, &got, 1, 300) != 0)
			_exit(17);
		auc_close(&w);
		_exit(0);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status));
	/* The privileged listener did see the child's lookup. */
	{
		struct collect got = { 0 };

		ASSERT_EQ(1, wait_events(&self->w, &got, 1, 2000));
		EXPECT_EQ(pid, (pid_t)got.ev[0].pid);
		EXPECT_EQ(NOBODY, got.ev[0].uid);
		EXPECT_EQ(NOBODY, got.ev[0].gid);
	}
}

/* The winsock:getpeername tracepoint, read through tracefs. */
#define TRACING "/sys/kernel/tracing"

TEST_F(audit, tracepoint_fields)
{
	struct sockaddr_in *peer = (struct sockaddr_in *)&self->c.lname;
	char want[256], buf[65536];
	struct sockaddr_storage ss;
	int fd, len = sizeof(ss);
	uint64_t cookie = 0;
	socklen_t clen = sizeof(cookie);
	ssize_t n;

	ASSERT_EQ(0, getsockopt(self->c.client, SOL_SOCKET, SO_NETNS_COOKIE,
				&cookie, &clen));
	if (access(TRACING "/events/winsock/getpeername/enable", W_OK))
		SKIP(return, "no tracefs or no winsock events");
	ASSERT_EQ(0, write_file(TRACING "/trace", "", O_TRUNC));
	ASSERT_EQ(0, write_file(TRACING "/events/winsock/getpeername/enable", "1", O_TRUNC));
	EXPECT_EQ(0, ws_raw_getpeername(self->dev, self->c.client, &ss, &len, 0));
	len = 2;
	EXPECT_EQ(WINSOCK_WSAEFAULT,
		  ws_raw_getpeername(self->dev, self->c.client, &ss, &len, 0));
	ASSERT_EQ(0, write_file(TRACING "/events/winsock/getpeername/enable", "0", O_TRUNC));

	fd = open(TRACING "/trace", O_RDONLY);
	ASSERT_LE(0, fd);
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	ASSERT_LT(0, n);
	buf[n] = '\0';
	snprintf(want, sizeof(want),
		 "getpeername: socket=%d family=2 type=1 protocol=6 result=0 version=0x0202 flags=0x0 uid=0 gid=0 netns=%llu caller_netns=%llu netns_cookie=%llu ",
		 self->c.client, (unsigned long long)netns_ino(),
		 (unsigned long long)netns_ino(), (unsigned long long)cookie);
	EXPECT_NE(NULL, strstr(buf, want)) {
		TH_LOG("want: %s\ntrace:\n%s", want, buf);
	}
	snprintf(want, sizeof(want), "peer=127.0.0.1:%u\n", ntohs(peer->sin_port));
	EXPECT_NE(NULL, strstr(buf, want));
	snprintf(want, sizeof(want), "socket=%d family=2 type=1 protocol=6 result=%d ",
		 self->c.client, WINSOCK_WSAEFAULT);
	EXPECT_NE(NULL, strstr(buf, want));
}

/* The kernel audit record, with the "audit" parameter and audit on. */
static int audit_set_enabled(int on)
{
	struct {
		struct nlmsghdr nh;
		struct audit_status s;
	} req = {
		.nh = {
			.nlmsg_len = sizeof(req),
			.nlmsg_type = AUDIT_SET,
			.nlmsg_flags = NLM_F_REQUEST,
		},
		.s = { .mask = AUDIT_STATUS_ENABLED, .enabled = on },
	};
	struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
	int fd = socket(AF_NETLINK, SOCK_RAW, NETLINK_AUDIT);
	int ok;

	if (fd < 0)
		return -1;
	ok = sendto(fd, &req, sizeof(req), 0, (struct sockaddr *)&kernel,
		    sizeof(kernel)) == sizeof(req);
	close(fd);
	return ok ? 0 : -1;
}

/*
 * Records in the kernel log are printed by kauditd from its own thread,
 * some time after the lookup: read them until the marker record (the
 * last lookup's) came, not for a fixed time.  They come in order, so a
 * record of the lookup made with the parameter off would be before it.
 */
TEST_F(audit, kernel_audit_record)
{
	struct sockaddr_in *peer = (struct sockaddr_in *)&self->c.lname;
	int kmsg, len = sizeof(struct sockaddr_storage), found = 0, marker = 0, stray = 0;
	char want[256], port[32], server[32], rec[2048];
	struct pollfd pfd = { .events = POLLIN };
	struct sockaddr_storage ss;
	uint64_t end;
	ssize_t n;

	if (audit_set_enabled(1))
		SKIP(return, "kernel audit not available");
	kmsg = open("/dev/kmsg", O_RDONLY | O_NONBLOCK);
	ASSERT_LE(0, kmsg);
	lseek(kmsg, 0, SEEK_END);
	ASSERT_EQ(0, param_set("audit", 1));
	EXPECT_EQ(0, ws_raw_getpeername(self->dev, self->c.client, &ss, &len, 0));
	ASSERT_EQ(0, param_set("audit", 0));
	/* Off again: this one leaves no record. */
	len = sizeof(ss);
	EXPECT_EQ(0, ws_raw_getpeername(self->dev, self->c.server, &ss, &len, 0));
	/* On: the marker, a lookup refused for its short buffer. */
	ASSERT_EQ(0, param_set("audit", 1));
	len = 1;
	EXPECT_EQ(WINSOCK_WSAEFAULT,
		  ws_raw_getpeername(self->dev, self->c.client, &ss, &len, 0));
	ASSERT_EQ(0, param_set("audit", 0));

	/*
	 * res=1 is success for audit tools; the WSA code has its own field.
	 * The socket's fields and how ausearch reads them: auditd_test.
	 */
	snprintf(want, sizeof(want), "op=winsock_getpeername res=1 wsa=0 socket=%d version=0x0202 caller_netns=%llu netns=%llu ",
		 self->c.client, (unsigned long long)netns_ino(),
		 (unsigned long long)netns_ino());
	snprintf(port, sizeof(port), " peer=\"127.0.0.1:%u\" ", ntohs(peer->sin_port));
	snprintf(server, sizeof(server), " socket=%d ", self->c.server);
	pfd.fd = kmsg;
	end = now_ms() + 10000;
	while (!marker && now_ms() < end) {
		n = read(kmsg, rec, sizeof(rec) - 1);
		if (n < 0 && errno == EAGAIN) {
			poll(&pfd, 1, 100);
			continue;
		}
		if (n <= 0)
			continue;	/* EPIPE: records overwritten */
		rec[n] = '\0';
		if (!strstr(rec, "op=winsock_getpeername"))
			continue;
		if (strstr(rec, server)) {
			stray++;
			TH_LOG("recorded with the parameter off: %s", rec);
		} else if (strstr(rec, " res=0 wsa=10014 ")) {
			marker++;
		} else {
			found++;
			EXPECT_NE(NULL, strstr(rec, want)) TH_LOG("%s", rec);
			EXPECT_NE(NULL, strstr(rec, port)) TH_LOG("%s", rec);
			EXPECT_EQ(NULL, strstr(rec, "suppressed="));
			EXPECT_NE(NULL, strstr(rec, " comm=\"audit_test\""));
		}
	}
	audit_set_enabled(0);
	close(kmsg);
	EXPECT_EQ(1, marker) TH_LOG("the marker record never reached the kernel log");
	EXPECT_EQ(1, found);
	EXPECT_EQ(0, stray);
}

/* The JSON checker itself: it must refuse what is not JSON. */
TEST(json_checker)
{
	EXPECT_EQ(0, json_check("{\"a\":1,\"b\":[true,null,-1.5e3],\"c\":\"\\u00e9\\n\"}\n"));
	EXPECT_EQ(0, json_check("{}"));
	EXPECT_EQ(-1, json_check("{\"a\":1,}"));
	EXPECT_EQ(-1, json_check("{\"a\":01}"));
	EXPECT_EQ(-1, json_check("{\"a\":\"x\ty\"}"));
	EXPECT_EQ(-1, json_check("{\"a\":1} {}"));
	EXPECT_EQ(-1, json_check("{a:1}"));
	EXPECT_EQ(-1, json_check("[1]"));
	EXPECT_EQ(-1, json_check("{\"a\":\"\\x41\"}"));
	EXPECT_TRUE(json_has_number("{\"seq\":12}", "seq"));
	EXPECT_FALSE(json_has_number("{\"seq\":\"12\"}", "seq"));
}

/* Run winsock-audit with @argv; its stdout and stderr in @out, @err. */
struct tool_run {
	pid_t pid;
	FILE *out, *err;
};

static int tool_start(struct tool_run *t, char *const argv[], uid_t uid)
{
	int o[2], e[2];

	if (pipe(o) || pipe(e))
		return -1;
	t->pid = fork();
	if (t->pid < 0)
		return -1;
	if (t->pid == 0) {
		dup2(o[1], 1);
		dup2(e[1], 2);
		close(o[0]);
		close(e[0]);
		if (uid && (setgroups(0, NULL) || setresgid(uid, uid, uid) ||
			    setresuid(uid, uid, uid)))
			_exit(126);
		execvp(argv[0], argv);
		_exit(127);
	}
	close(o[1]);
	close(e[1]);
	t->out = fdopen(o[0], "r");
	t->err = fdopen(e[0], "r");
	return 0;
}

static int tool_wait(struct tool_run *t)
{
	int status;

	fclose(t->out);
	fclose(t->err);
	if (waitpid(t->pid, &status, 0) != t->pid || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

static bool have_tool(void)
{
	return !system("command -v winsock-audit >/dev/null 2>&1");
}

/* monitor --json: JSON Lines that parse, with the lookups' fields. */
TEST_F(audit, monitor_json_parses)
{
	char *argv[] = { "winsock-audit", "monitor", "--json", "--count", "3", NULL };
	struct sockaddr_in *peer = (struct sockaddr_in *)&self->c.lname;
	struct sockaddr_storage ss;
	char line[1024], want[64];
	struct tool_run t;
	int p[2], len, i;

	if (!have_tool())
		SKIP(return, "winsock-audit is not in PATH");
	ASSERT_EQ(0, pipe(p));
	ASSERT_EQ(0, tool_start(&t, argv, 0));
	ASSERT_NE(NULL, fgets(line, sizeof(line), t.err));
	ASSERT_STREQ("winsock-audit: listening\n", line);

	len = sizeof(ss);
	EXPECT_EQ(0, ws_raw_getpeername(self->dev, self->c.client, &ss, &len, 0));
	EXPECT_EQ(WINSOCK_WSAENOTSOCK, ws_raw_getpeername(self->dev, p[0], &ss, &len, 0));
	EXPECT_EQ(WINSOCK_WSAENOTSOCK, ws_raw_getpeername(self->dev, 1ULL << 40, &ss, &len, 0));

	for (i = 0; i < 3; i++) {
		ASSERT_NE(NULL, fgets(line, sizeof(line), t.out));
		ASSERT_EQ(0, json_check(line)) TH_LOG("not JSON: %s", line);
		EXPECT_TRUE(json_has_number(line, "seq"));
		EXPECT_TRUE(json_has_number(line, "pid"));
		EXPECT_TRUE(json_has_number(line, "timestamp_ns"));
		if (i == 0) {
			snprintf(want, sizeof(want), "\"peer\":\"127.0.0.1:%u\"",
				 ntohs(peer->sin_port));
			EXPECT_NE(NULL, strstr(line, want)) TH_LOG("%s", line);
			EXPECT_NE(NULL, strstr(line, "\"result\":0,\"result_name\":\"success\""));
			EXPECT_NE(NULL, strstr(line, "\"comm\":\"audit_test\""));
		} else {
			EXPECT_NE(NULL, strstr(line, "\"result_name\":\"WSAENOTSOCK\""));
			EXPECT_EQ(NULL, strstr(line, "\"peer\""));
		}
	}
	EXPECT_EQ(0, tool_wait(&t));
	close(p[0]);
	close(p[1]);
}

/* The human format, its filters, and a clean exit on SIGTERM. */
TEST_F(audit, monitor_human_filter_and_sigterm)
{
	char *argv[] = { "winsock-audit", "monitor", "--result", "WSAENOTSOCK", NULL };
	struct sockaddr_storage ss;
	char line[1024];
	struct tool_run t;
	int len = sizeof(ss);

	if (!have_tool())
		SKIP(return, "winsock-audit is not in PATH");
	ASSERT_EQ(0, tool_start(&t, argv, 0));
	ASSERT_NE(NULL, fgets(line, sizeof(line), t.err));
	EXPECT_EQ(0, ws_raw_getpeername(self->dev, self->c.client, &ss, &len, 0));
	EXPECT_EQ(WINSOCK_WSAENOTSOCK, ws_raw_getpeername(self->dev, 1ULL << 40, &ss, &len, 0));
	ASSERT_NE(NULL, fgets(line, sizeof(line), t.out));
	EXPECT_NE(NULL, strstr(line, " result=WSAENOTSOCK ")) TH_LOG("%s", line);
	EXPECT_NE(NULL, strstr(line, " comm=audit_test socket=1099511627776 "));
	kill(t.pid, SIGTERM);
	/* The filtered-out success never shows; the tool exits 0. */
	EXPECT_EQ(NULL, fgets(line, sizeof(line), t.out));
	EXPECT_EQ(0, tool_wait(&t));
}

/* stats --json, and the messages for refusals. */
TEST_F(audit, stats_json_and_permission_message)
{
	char *stats[] = { "winsock-audit", "stats", "--json", NULL };
	char *plain[] = { "winsock-audit", "stats", NULL };
	char line[1024];
	struct tool_run t;

	if (!have_tool())
		SKIP(return, "winsock-audit is not in PATH");
	ASSERT_EQ(0, tool_start(&t, stats, 0));
	ASSERT_NE(NULL, fgets(line, sizeof(line), t.out));
	EXPECT_EQ(0, json_check(line)) TH_LOG("not JSON: %s", line);
	EXPECT_TRUE(json_has_number(line, "lookups"));
	EXPECT_TRUE(json_has_number(line, "events_dropped"));
	EXPECT_NE(NULL, strstr(line, "\"results\":{\"success\":"));
	EXPECT_EQ(0, tool_wait(&t));

	ASSERT_EQ(0, tool_start(&t, plain, NOBODY));
	ASSERT_NE(NULL, fgets(line, sizeof(line), t.err));
	EXPECT_NE(NULL, strstr(line, "permission denied")) TH_LOG("%s", line);
	EXPECT_EQ(1, tool_wait(&t));
}

TEST_HARNESS_MAIN
