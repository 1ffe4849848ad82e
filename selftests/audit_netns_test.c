// SPDX-License-Identifier: GPL-2.0
/*
 * audit_netns_test: nothing hides from the initial namespace's auditor,
 * and a namespace's own subscriber sees only its own callers.
 *
 * - A host process looks up an AF_UNIX socket that belongs to another
 *   network namespace: accepted from a client there, or received through
 *   SCM_RIGHTS from a process there.  The initial namespace's subscriber
 *   gets those lookups, with the socket's namespace (NETNS_*) and the
 *   caller's (CALLER_NETNS_*); the other namespace's subscriber does not,
 *   but gets the lookups made inside it.  The counters follow.
 * - Identities as the subscriber sees them: a subscriber that is pid 1 of
 *   a new PID namespace sees its lookups with pid 1; one inside a user
 *   namespace sees mapped uids, while the host sees the real ones.
 * - Privilege: nobody without capabilities is refused SUBSCRIBE,
 *   GET_STATS and RESET_STATS here (EPERM), but may use them in its own
 *   user and network namespace, without touching the host's counters.
 */
#include <grp.h>
#include <sched.h>
#include <sys/prctl.h>

#include "audit_util.h"

#define NOBODY		65534
#define MAPPED		1000
#define HOST_LOOKUPS	5
#define INNER_LOOKUPS	3

struct evs {
	struct genl_event ev[32];
	int n;
};

static void evs_cb(const struct genl_event *e, void *arg)
{
	struct evs *v = arg;

	if (v->n < (int)(sizeof(v->ev) / sizeof(v->ev[0])))
		v->ev[v->n] = *e;
	v->n++;
}

/* Read until @want events came, then @quiet_ms more to catch extras. */
static int collect(struct genl *g, struct evs *v, int want, int quiet_ms)
{
	uint64_t end = now_ms() + 5000;

	while (v->n < want && now_ms() < end)
		if (genl_recv_events(g, 500, evs_cb, v) < 0)
			break;
	while (genl_recv_events(g, quiet_ms, evs_cb, v) > 0)
		;
	return v->n;
}

/* What a child inside a namespace saw, sent back over the control socket. */
struct report {
	int err;
	uint32_t pid, tid, netns_ino, subject;
	uint64_t lookups_before, lookups_after;
	struct evs got;
};

static bool readable(int fd, int ms)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };

	return poll(&pfd, 1, ms) == 1;
}

static int get_token(int sock, char want)
{
	char c;

	return readable(sock, 10000) && read(sock, &c, 1) == 1 && c == want ? 0 : -1;
}

static int put_token(int sock, char c)
{
	return write(sock, &c, 1) == 1 ? 0 : -1;
}

/* Read the child's report and reap it. */
static int finish_child(int sock, pid_t pid, struct report *r)
{
	size_t got = 0;
	ssize_t n;
	int status;

	memset(r, 0, sizeof(*r));
	while (got < sizeof(*r) && readable(sock, 20000)) {
		n = read(sock, (char *)r + got, sizeof(*r) - got);
		if (n <= 0)
			break;
		got += n;
	}
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return -1;
	return got == sizeof(*r) ? 0 : -1;
}

/*
 * Subscribe in the current namespace (and read its counters): 0 or the
 * step that failed.
 */
static int inner_subscribe(struct genl *g, struct genl *req, struct report *r)
{
	struct genl_stats st;

	if (genl_open(g) || genl_rcvbuf(g, 1 << 20) || genl_subscribe(g, 0))
		return 2;
	if (genl_open(req) || genl_get_stats(req, &st))
		return 3;
	r->lookups_before = st.lookups;
	r->pid = getpid();
	r->tid = gettid();
	r->netns_ino = ns_ino("/proc/self/ns/net");
	return 0;
}

/* @n lookups of @fd, then what the namespace's subscriber got. */
static int inner_lookups(int dev, int fd, int n, struct genl *g, struct genl *req,
			 struct report *r, int want)
{
	struct sockaddr_storage ss;
	struct genl_stats st;
	int i, len;

	for (i = 0; i < n; i++) {
		len = sizeof(ss);
		ws_raw_getpeername(dev, fd, &ss, &len, 0);
	}
	collect(g, &r->got, want, 300);
	if (genl_get_stats(req, &st))
		return 4;
	r->lookups_after = st.lookups;
	return 0;
}

FIXTURE(netns) {
	struct genl sub;
	struct tcp_conn c;
	int dev, ctl[2];
	uint32_t init_ino;
	uint64_t init_cookie;
};

FIXTURE_SETUP(netns)
{
	socklen_t len = sizeof(self->init_cookie);

	self->dev = -1;
	SETUP_GENL_OPEN(&self->sub, "needs root: namespaces and the host's subscriber");
	ASSERT_EQ(0, genl_rcvbuf(&self->sub, 1 << 20));
	ASSERT_EQ(0, genl_subscribe(&self->sub, 0));
	self->dev = ws_open_started(0x0202);
	ASSERT_LE(0, self->dev);
	ASSERT_EQ(0, tcp_connect(&self->c, AF_INET));
	ASSERT_EQ(0, getsockopt(self->c.client, SOL_SOCKET, SO_NETNS_COOKIE,
				&self->init_cookie, &len));
	self->init_ino = ns_ino("/proc/self/ns/net");
	ASSERT_NE(0, self->init_ino);
	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, self->ctl));
}

FIXTURE_TEARDOWN(netns)
{
	if (self->dev < 0)
		return;
	close(self->ctl[0]);
	close(self->ctl[1]);
	tcp_close(&self->c);
	close(self->dev);
	genl_close(&self->sub);
}

enum origin { ACCEPTED, PASSED };

FIXTURE(foreign) {
	struct genl sub;
	int dev, ctl[2];
	uint32_t init_ino;
	char path[64];
};

FIXTURE_VARIANT(foreign) {
	enum origin how;
};

FIXTURE_VARIANT_ADD(foreign, accepted_from_other_netns) {
	.how = ACCEPTED,
};

FIXTURE_VARIANT_ADD(foreign, received_by_scm_rights) {
	.how = PASSED,
};

FIXTURE_SETUP(foreign)
{
	self->dev = -1;
	SETUP_GENL_OPEN(&self->sub, "needs root: namespaces and the host's subscriber");
	ASSERT_EQ(0, genl_rcvbuf(&self->sub, 1 << 20));
	ASSERT_EQ(0, genl_subscribe(&self->sub, 0));
	self->dev = ws_open_started(0x0202);
	ASSERT_LE(0, self->dev);
	self->init_ino = ns_ino("/proc/self/ns/net");
	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, self->ctl));
	snprintf(self->path, sizeof(self->path), "/tmp/audit_netns.%d", (int)getpid());
}

FIXTURE_TEARDOWN(foreign)
{
	if (self->dev < 0)
		return;
	unlink(self->path);
	close(self->ctl[0]);
	close(self->ctl[1]);
	close(self->dev);
	genl_close(&self->sub);
}

/*
 * The child: a new network namespace with its own subscriber, a socket
 * of that namespace handed to the host (connected to the host's path
 * listener, or passed itself), then lookups of its own when told.
 */
static int foreign_child(int ctl, int dev, enum origin how, const char *path,
			 struct report *r)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct genl g, req;
	int sv[2], c, err;

	if (unshare(CLONE_NEWNET))
		return 1;
	err = inner_subscribe(&g, &req, r);
	if (err)
		return err;
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv))
		return 5;
	if (how == ACCEPTED) {
		strncpy(sun.sun_path, path, sizeof(sun.sun_path) - 1);
		c = socket(AF_UNIX, SOCK_STREAM, 0);
		if (c < 0 || connect(c, (struct sockaddr *)&sun, sizeof(sun)) ||
		    put_token(ctl, 'r'))
			return 6;
	} else if (ws_send_fd(ctl, sv[1])) {
		return 7;
	}
	if (get_token(ctl, 'g'))
		return 8;
	return inner_lookups(dev, sv[0], INNER_LOOKUPS, &g, &req, r, INNER_LOOKUPS + 1);
}

TEST_F(foreign, host_sees_inner_does_not)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct genl_stats before, after;
	struct sockaddr_storage ss;
	uint64_t cookie = 0;
	socklen_t clen = sizeof(cookie);
	int l = -1, a, i, len, rc[HOST_LOOKUPS];
	struct evs got = { 0 };
	struct report r;
	pid_t pid;

	SKIPPED_IN_SETUP();
	if (variant->how == ACCEPTED) {
		strncpy(sun.sun_path, self->path, sizeof(sun.sun_path) - 1);
		l = socket(AF_UNIX, SOCK_STREAM, 0);
		ASSERT_LE(0, l);
		ASSERT_EQ(0, bind(l, (struct sockaddr *)&sun, sizeof(sun)));
		ASSERT_EQ(0, listen(l, 1));
	}
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		memset(&r, 0, sizeof(r));
		r.err = foreign_child(self->ctl[1], self->dev, variant->how, self->path, &r);
		_exit(write(self->ctl[1], &r, sizeof(r)) == sizeof(r) ? 0 : 1);
	}
	if (variant->how == ACCEPTED) {
		ASSERT_EQ(0, get_token(self->ctl[0], 'r'));
		a = accept(l, NULL, NULL);
		close(l);
	} else {
		ASSERT_TRUE(readable(self->ctl[0], 10000));
		a = ws_recv_fd(self->ctl[0]);
	}
	ASSERT_LE(0, a);
	/* The premise: this process holds a socket of the other namespace. */
	ASSERT_EQ(0, getsockopt(a, SOL_SOCKET, SO_NETNS_COOKIE, &cookie, &clen));
	ASSERT_NE(self->init_ino, pid_netns_ino(pid));

	ASSERT_EQ(0, stats_now(&before));
	for (i = 0; i < HOST_LOOKUPS; i++) {
		len = sizeof(ss);
		rc[i] = ws_raw_getpeername(self->dev, a, &ss, &len, 0);
	}
	ASSERT_EQ(0, put_token(self->ctl[0], 'g'));
	ASSERT_EQ(0, finish_child(self->ctl[0], pid, &r));
	ASSERT_EQ(0, r.err);
	collect(&self->sub, &got, HOST_LOOKUPS + INNER_LOOKUPS, 300);
	ASSERT_EQ(0, stats_now(&after));

	/* The host's subscriber: the host's lookups, then the child's. */
	ASSERT_EQ(HOST_LOOKUPS + INNER_LOOKUPS, got.n);
	for (i = 0; i < HOST_LOOKUPS; i++) {
		struct genl_event *e = &got.ev[i];

		EXPECT_EQ((uint64_t)a, e->socket);
		EXPECT_EQ((uint32_t)rc[i], e->result);
		EXPECT_EQ(getpid(), (pid_t)e->pid);
		EXPECT_EQ(gettid(), (pid_t)e->tid);
		EXPECT_EQ(AF_UNIX, e->family);
		EXPECT_TRUE(e->has_netns);
		EXPECT_EQ(r.netns_ino, e->netns_ino);
		EXPECT_EQ(cookie, e->netns_cookie);
		EXPECT_EQ(self->init_ino, e->caller_netns_ino);
		EXPECT_NE(0, e->caller_netns_cookie);
		EXPECT_NE(cookie, e->caller_netns_cookie);
	}
	for (; i < got.n; i++) {
		EXPECT_EQ(r.pid, got.ev[i].pid);
		EXPECT_EQ(r.netns_ino, got.ev[i].netns_ino);
		EXPECT_EQ(r.netns_ino, got.ev[i].caller_netns_ino);
		EXPECT_EQ(cookie, got.ev[i].caller_netns_cookie);
	}
	/* The other namespace's subscriber: only its own callers. */
	ASSERT_EQ(INNER_LOOKUPS, r.got.n);
	for (i = 0; i < r.got.n; i++) {
		EXPECT_EQ((uint64_t)i + 1, r.got.ev[i].seq);
		EXPECT_EQ(r.pid, r.got.ev[i].pid);
		EXPECT_EQ(r.netns_ino, r.got.ev[i].caller_netns_ino);
	}
	/* Counters: the host counts everything, the namespace its own. */
	EXPECT_EQ(HOST_LOOKUPS + INNER_LOOKUPS, after.lookups - before.lookups);
	EXPECT_EQ(INNER_LOOKUPS, r.lookups_after - r.lookups_before);
	close(a);
}

/*
 * The child makes a new PID namespace; its first child (pid 1 there)
 * subscribes in a new network namespace and looks up.
 */
static int pidns_init(int ctl, int dev, struct report *r)
{
	struct genl g, req;
	int sv[2], err;

	err = inner_subscribe(&g, &req, r);
	if (err)
		return err;
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv))
		return 5;
	(void)ctl;
	return inner_lookups(dev, sv[0], INNER_LOOKUPS, &g, &req, r, INNER_LOOKUPS + 1);
}

TEST_F(netns, pid_namespace_subscriber_sees_its_pids)
{
	struct evs got = { 0 };
	struct report r;
	pid_t pid, inner;
	int i;

	SKIPPED_IN_SETUP();
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		int status;

		if (unshare(CLONE_NEWNET | CLONE_NEWPID))
			_exit(1);
		inner = fork();
		if (inner == 0) {
			memset(&r, 0, sizeof(r));
			r.err = pidns_init(self->ctl[1], self->dev, &r);
			_exit(write(self->ctl[1], &r, sizeof(r)) == sizeof(r) ? 0 : 1);
		}
		/* The host pid of pid 1, after its report. */
		if (inner < 0 || waitpid(inner, &status, 0) != inner)
			_exit(2);
		_exit(write(self->ctl[1], &inner, sizeof(inner)) == sizeof(inner) ? 0 : 3);
	}
	ASSERT_EQ(0, finish_child(self->ctl[0], pid, &r));
	ASSERT_EQ(0, r.err);
	ASSERT_EQ(sizeof(inner), read(self->ctl[0], &inner, sizeof(inner)));
	EXPECT_EQ(1, r.pid);
	ASSERT_EQ(INNER_LOOKUPS, r.got.n);
	for (i = 0; i < r.got.n; i++) {
		EXPECT_EQ(1, r.got.ev[i].pid);
		EXPECT_EQ(1, r.got.ev[i].tid);
		EXPECT_EQ(0, r.got.ev[i].uid);
	}
	/* The host sees the same lookups with the host's pid. */
	ASSERT_EQ(INNER_LOOKUPS, collect(&self->sub, &got, INNER_LOOKUPS, 300));
	for (i = 0; i < got.n; i++) {
		EXPECT_EQ(inner, (pid_t)got.ev[i].pid);
		EXPECT_EQ(inner, (pid_t)got.ev[i].tid);
		EXPECT_EQ(r.netns_ino, got.ev[i].caller_netns_ino);
	}
}

/* "@inside @outside 1" into /proc/@who/{uid,gid}_map, setgroups denied. */
static int map_ids(const char *who, unsigned int inside, unsigned int outside)
{
	char path[64], map[64];

	snprintf(map, sizeof(map), "%u %u 1", inside, outside);
	snprintf(path, sizeof(path), "/proc/%s/setgroups", who);
	if (write_file(path, "deny", 0))
		return -1;
	snprintf(path, sizeof(path), "/proc/%s/uid_map", who);
	if (write_file(path, map, 0))
		return -1;
	snprintf(path, sizeof(path), "/proc/%s/gid_map", who);
	return write_file(path, map, 0);
}

/*
 * In a new user and network namespace whose 0 is the host's MAPPED:
 * lookups of a socket of its own and of the host's TCP socket (@host_fd):
 * both are its callers' lookups, reported to its subscriber.
 */
static int userns_child(int ctl, int dev, int host_fd, struct report *r)
{
	struct sockaddr_storage ss;
	struct genl g, req;
	int sv[2], err, len = sizeof(ss);

	if (unshare(CLONE_NEWUSER | CLONE_NEWNET) || put_token(ctl, 'u') ||
	    get_token(ctl, 'm'))
		return 1;
	if (setresgid(0, 0, 0) || setresuid(0, 0, 0))
		return 9;
	err = inner_subscribe(&g, &req, r);
	if (err)
		return err;
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv))
		return 5;
	ws_raw_getpeername(dev, host_fd, &ss, &len, 0);
	err = inner_lookups(dev, sv[0], INNER_LOOKUPS - 1, &g, &req, r, INNER_LOOKUPS + 1);
	if (!err && genl_request(&req, req.family, WINSOCK_CMD_RESET_STATS, NULL))
		err = 10;
	return err;
}

TEST_F(netns, user_namespace_subscriber_sees_mapped_ids)
{
	struct genl_stats before, after;
	struct evs got = { 0 };
	struct report r;
	char who[16];
	pid_t pid;
	int i;

	SKIPPED_IN_SETUP();
	ASSERT_EQ(0, stats_now(&before));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		memset(&r, 0, sizeof(r));
		r.err = userns_child(self->ctl[1], self->dev, self->c.client, &r);
		_exit(write(self->ctl[1], &r, sizeof(r)) == sizeof(r) ? 0 : 1);
	}
	ASSERT_EQ(0, get_token(self->ctl[0], 'u'));
	snprintf(who, sizeof(who), "%d", (int)pid);
	ASSERT_EQ(0, map_ids(who, 0, MAPPED));
	ASSERT_EQ(0, put_token(self->ctl[0], 'm'));
	ASSERT_EQ(0, finish_child(self->ctl[0], pid, &r));
	ASSERT_EQ(0, r.err);
	ASSERT_EQ(0, stats_now(&after));

	ASSERT_EQ(INNER_LOOKUPS, r.got.n);
	for (i = 0; i < r.got.n; i++) {
		EXPECT_EQ(0, r.got.ev[i].uid);
		EXPECT_EQ(0, r.got.ev[i].gid);
		EXPECT_EQ(r.pid, r.got.ev[i].pid);
		EXPECT_EQ(r.netns_ino, r.got.ev[i].caller_netns_ino);
	}
	/* The host's socket, looked up from inside: the caller decides. */
	EXPECT_EQ((uint64_t)self->c.client, r.got.ev[0].socket);
	EXPECT_EQ(self->init_ino, r.got.ev[0].netns_ino);
	EXPECT_EQ(INNER_LOOKUPS, r.lookups_after - r.lookups_before);

	ASSERT_EQ(INNER_LOOKUPS, collect(&self->sub, &got, INNER_LOOKUPS, 300));
	for (i = 0; i < got.n; i++) {
		EXPECT_EQ(MAPPED, got.ev[i].uid);
		EXPECT_EQ(MAPPED, got.ev[i].gid);
		EXPECT_EQ(pid, (pid_t)got.ev[i].pid);
	}
	/* Its RESET_STATS was its namespace's, not the host's. */
	EXPECT_LE(before.lookups + INNER_LOOKUPS, after.lookups);
}

/*
 * nobody, no capabilities: refused here; in a user and network namespace
 * of its own (unprivileged, ids mapped by itself) it may subscribe, read
 * and reset counters.  The result: 0, or the step that failed.
 */
static int nobody_child(int ctl, int dev, struct report *r)
{
	char line[256];
	struct genl g, req;
	struct genl_stats st;
	int sv[2], err;
	FILE *f;

	if (setgroups(0, NULL) || setresgid(NOBODY, NOBODY, NOBODY) ||
	    setresuid(NOBODY, NOBODY, NOBODY))
		return 20;
	f = fopen("/proc/self/status", "r");
	while (f && fgets(line, sizeof(line), f))
		if (!strncmp(line, "CapEff:", 7) && strtoull(line + 7, NULL, 16))
			return 21;
	if (f)
		fclose(f);
	if (genl_open(&g))
		return 22;
	if (genl_subscribe(&g, 0) != -EPERM)
		return 23;
	if (genl_get_stats(&g, &st) != -EPERM)
		return 24;
	if (genl_request(&g, g.family, WINSOCK_CMD_RESET_STATS, NULL) != -EPERM)
		return 25;
	genl_close(&g);
	/* Unprivileged namespaces may be switched off: the parent skips. */
	if (unshare(CLONE_NEWUSER | CLONE_NEWNET))
		return 30;
	if (prctl(PR_SET_DUMPABLE, 1) || map_ids("self", 0, NOBODY))
		return 26;
	err = inner_subscribe(&g, &req, r);
	if (err)
		return err;
	if (genl_request(&req, req.family, WINSOCK_CMD_RESET_STATS, NULL))
		return 27;
	r->lookups_before = 0;
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv))
		return 5;
	(void)ctl;
	return inner_lookups(dev, sv[0], INNER_LOOKUPS, &g, &req, r, INNER_LOOKUPS + 1);
}

TEST_F(netns, unprivileged_own_namespace_only)
{
	const char *knob = "/proc/sys/kernel/unprivileged_userns_clone";
	struct genl_stats before, after;
	struct evs got = { 0 };
	struct report r;
	char old = 0;
	int i, fd;
	pid_t pid;

	SKIPPED_IN_SETUP();
	/* Debian's switch for unprivileged user namespaces: on for this. */
	fd = open(knob, O_RDONLY);
	if (fd >= 0) {
		if (read(fd, &old, 1) != 1)
			old = 0;
		close(fd);
		write_file(knob, "1", 0);
	}
	ASSERT_EQ(0, stats_now(&before));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		memset(&r, 0, sizeof(r));
		r.err = nobody_child(self->ctl[1], self->dev, &r);
		_exit(write(self->ctl[1], &r, sizeof(r)) == sizeof(r) ? 0 : 1);
	}
	ASSERT_EQ(0, finish_child(self->ctl[0], pid, &r));
	if (old && old != '1') {
		char v[2] = { old, 0 };

		write_file(knob, v, 0);
	}
	if (r.err == 30)
		SKIP(return, "unprivileged user namespaces are not allowed");
	ASSERT_EQ(0, r.err);
	ASSERT_EQ(0, stats_now(&after));
	ASSERT_EQ(INNER_LOOKUPS, r.got.n);
	EXPECT_EQ(INNER_LOOKUPS, r.lookups_after);
	for (i = 0; i < r.got.n; i++) {
		EXPECT_EQ((uint64_t)i + 1, r.got.ev[i].seq);
		EXPECT_EQ(0, r.got.ev[i].uid);
		EXPECT_EQ(r.pid, r.got.ev[i].pid);
	}
	ASSERT_EQ(INNER_LOOKUPS, collect(&self->sub, &got, INNER_LOOKUPS, 300));
	for (i = 0; i < got.n; i++) {
		EXPECT_EQ(NOBODY, got.ev[i].uid);
		EXPECT_EQ(pid, (pid_t)got.ev[i].pid);
	}
	/* Its reset did not zero the host's counters. */
	EXPECT_LE(before.lookups + INNER_LOOKUPS, after.lookups);
}

TEST_HARNESS_MAIN
