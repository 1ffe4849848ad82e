// SPDX-License-Identifier: GPL-2.0
/*
 * The fast peer read (kmod/inet_peer.h) against the protocols' getname,
 * which the module parameter fast_peer=N forces:
 * - the same answer, byte for byte, in every socket state the tests build,
 *   in both layouts, through the single and the batch request;
 * - each path is the one taken: a kprobe on inet_getname/inet6_getname
 *   counts their calls;
 * - with a cgroup BPF getpeername program attached, lookups go to getname
 *   and report what the program made of the peer;
 * - UDP sockets reconnected between two peers while other threads look
 *   them up answer one peer or the other, never a mix of the two.
 */
#include <linux/bpf.h>
#include <linux/in6.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include "kselftest_harness.h"
#include "helpers.h"
#include <winsock/winsock2.h>

#define TRACING "/sys/kernel/tracing"
#define MAX_CASES 40

/* A socket in some state, and what it is called in a failure message. */
struct sock_case {
	const char *what;
	int fd;
};

struct cases {
	struct sock_case c[MAX_CASES];
	int n;
	struct tcp_conn t4, t6;
	int extra[MAX_CASES], nextra;
	char missing[256];	/* the states that could not be built */
};

static int missed(struct cases *cs, const char *what)
{
	size_t n = strlen(cs->missing);

	snprintf(cs->missing + n, sizeof(cs->missing) - n, "%s%s (%s)",
		 n ? ", " : "", what, strerror(errno));
	return 1;
}

static void add_case(struct cases *cs, const char *what, int fd)
{
	if (fd >= 0 && cs->n < MAX_CASES)
		cs->c[cs->n++] = (struct sock_case){ what, fd };
	if (fd >= 0 && cs->nextra < MAX_CASES)
		cs->extra[cs->nextra++] = fd;
}

/* fe80::1 on lo (the guest has no other interface), for a scope id. */
#define LINK_LOCAL { .s6_addr = { 0xfe, 0x80, [15] = 1 } }

static int link_local_on_lo(bool add)
{
	struct in6_ifreq {
		struct in6_addr addr;
		uint32_t prefixlen;
		int ifindex;
	} req = { .addr = LINK_LOCAL, .prefixlen = 64, .ifindex = 1 };
	int fd = socket(AF_INET6, SOCK_DGRAM, 0), rc;

	if (fd < 0)
		return -1;
	rc = ioctl(fd, add ? SIOCSIFADDR : SIOCDIFADDR, &req);
	if (rc && add && errno == EEXIST)
		rc = 0;
	close(fd);
	return rc;
}

/*
 * An IPv6 UDP socket that sends a flow label of its own to @to.  A lease
 * outlives its socket for seconds: each test's process takes another.
 */
static int udp6_flowlabel(const struct sockaddr_in6 *to)
{
	uint32_t label = 0x10000 | (getpid() & 0xffff);
	struct in6_flowlabel_req freq = {
		.flr_dst = to->sin6_addr,
		.flr_label = htonl(label),
		.flr_action = IPV6_FL_A_GET,
		.flr_flags = IPV6_FL_F_CREATE,
		.flr_share = IPV6_FL_S_EXCL,
	};
	struct sockaddr_in6 dst = *to;
	int fd = socket(AF_INET6, SOCK_DGRAM, 0), on = 1;

	dst.sin6_flowinfo = htonl(label);
	if (fd < 0 ||
	    setsockopt(fd, IPPROTO_IPV6, IPV6_FLOWLABEL_MGR, &freq, sizeof(freq)) ||
	    setsockopt(fd, IPPROTO_IPV6, IPV6_FLOWINFO_SEND, &on, sizeof(on)) ||
	    connect(fd, (struct sockaddr *)&dst, sizeof(dst))) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

/*
 * Every state getpeername_test builds for the families the fast path
 * reads, plus the ones only it reads differently (flow label, scope id,
 * IPV6_ADDRFORM), and the families it leaves to getname.  Returns the
 * number of states that could not be built (each one a failure).
 */
static int build_cases(struct cases *cs)
{
	struct sockaddr_in unspec = { .sin_family = AF_UNSPEC };
	struct sockaddr_in6 mapped = { .sin6_family = AF_INET6 };
	struct sockaddr_in6 ll = {
		.sin6_family = AF_INET6,
		.sin6_port = htons(9),
		.sin6_addr = LINK_LOCAL,
		.sin6_scope_id = 1,	/* lo */
	};
	struct sockaddr_in lo4 = { .sin_family = AF_INET };
	struct sockaddr_storage lname;
	int fd, l, pending, v4 = AF_INET, sv[2], missing = 0;
	socklen_t llen;
	char b;

	memset(cs, 0, sizeof(*cs));
	if (tcp_connect(&cs->t4, AF_INET) || tcp_connect(&cs->t6, AF_INET6))
		return 1;
	add_case(cs, "tcp4 client", cs->t4.client);
	add_case(cs, "tcp4 accepted", cs->t4.server);
	add_case(cs, "tcp4 listener", cs->t4.listener);
	add_case(cs, "tcp6 client", cs->t6.client);
	add_case(cs, "tcp6 accepted", cs->t6.server);
	add_case(cs, "tcp6 listener", cs->t6.listener);
	add_case(cs, "tcp4 unconnected", socket(AF_INET, SOCK_STREAM, 0));

	/* Both halves closed: Windows (and peer == 2) keep the peer. */
	if (tcp_connect(&cs->t4, AF_INET) == 0 &&
	    shutdown(cs->t4.server, SHUT_RDWR) == 0 &&
	    shutdown(cs->t4.client, SHUT_WR) == 0 &&
	    recv(cs->t4.client, &b, 1, 0) == 0)
		add_case(cs, "tcp4 after shutdown", cs->t4.client);
	else
		missing += missed(cs, "tcp4 after shutdown");
	add_case(cs, "tcp4 its listener", cs->t4.listener);
	add_case(cs, "tcp4 its accepted", cs->t4.server);

	/* A connect in progress: a full backlog of 0 holds the SYN. */
	l = tcp_listener(AF_INET, 0);
	llen = local_name(l, &lname);
	fd = socket(AF_INET, SOCK_STREAM, 0);
	pending = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	if (connect(fd, (struct sockaddr *)&lname, llen) == 0 &&
	    connect(pending, (struct sockaddr *)&lname, llen) == -1 &&
	    errno == EINPROGRESS)
		add_case(cs, "tcp4 connect in progress", pending);
	else
		missing += missed(cs, "tcp4 connect in progress");
	add_case(cs, "tcp4 first of the backlog", fd);
	add_case(cs, "tcp4 backlog-0 listener", l);

	/* An IPv4 peer of an IPv6 socket, then the socket turned IPv4. */
	l = tcp_listener(AF_INET, 4);
	llen = local_name(l, &lname);
	add_case(cs, "tcp4 listener for mapped", l);
	mapped.sin6_port = ((struct sockaddr_in *)&lname)->sin_port;
	inet_pton(AF_INET6, "::ffff:127.0.0.1", &mapped.sin6_addr);
	for (int i = 0; i < 2; i++) {
		fd = socket(AF_INET6, SOCK_STREAM, 0);
		if (connect(fd, (struct sockaddr *)&mapped, sizeof(mapped)) ||
		    (i && setsockopt(fd, IPPROTO_IPV6, IPV6_ADDRFORM, &v4, sizeof(v4)))) {
			missing += missed(cs, "tcp6 mapped/ADDRFORM");
			close(fd);
			continue;
		}
		add_case(cs, i ? "tcp6 after IPV6_ADDRFORM" : "tcp6 with a mapped peer", fd);
	}

	fd = loopback_socket(AF_INET, SOCK_DGRAM);
	add_case(cs, "udp4 bound", fd);
	add_case(cs, "udp4 connected", connected_socket(AF_INET, SOCK_DGRAM, &cs->t4.lname, cs->t4.llen));
	fd = connected_socket(AF_INET, SOCK_DGRAM, &cs->t4.lname, cs->t4.llen);
	if (fd >= 0 && connect(fd, (struct sockaddr *)&unspec, sizeof(unspec)) == 0)
		add_case(cs, "udp4 dissolved", fd);
	else
		missing += missed(cs, "udp4 dissolved");
	add_case(cs, "udp6 connected", connected_socket(AF_INET6, SOCK_DGRAM, &cs->t6.lname, cs->t6.llen));
	fd = udp6_flowlabel((struct sockaddr_in6 *)&cs->t6.lname);
	if (fd < 0)
		missing += missed(cs, "udp6 flow label");
	add_case(cs, "udp6 sending a flow label", fd);
	/* A link-local peer carries its interface's index as scope id. */
	fd = connected_socket(AF_INET6, SOCK_DGRAM, &ll, sizeof(ll));
	if (fd < 0)
		missing += missed(cs, "udp6 scope id");
	add_case(cs, "udp6 with a scope id", fd);

	lo4.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	/* inet_getname's other users: no port, so no peer, both ways. */
	fd = socket(AF_INET, SOCK_RAW, IPPROTO_UDP);
	if (fd < 0 || connect(fd, (struct sockaddr *)&lo4, sizeof(lo4)))
		missing += missed(cs, "raw4 connected");
	add_case(cs, "raw4 connected", fd);

	/* Families the fast path leaves to getname. */
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0) {
		add_case(cs, "unix stream pair", sv[0]);
		add_case(cs, "unix stream pair, other end", sv[1]);
	}
	return missing;
}

static void free_cases(struct cases *cs)
{
	for (int i = 0; i < cs->nextra; i++)
		close(cs->extra[i]);
}

/* One answer: the result and every byte of the caller's buffer. */
struct answer {
	int rc, len;
	unsigned char name[sizeof(struct sockaddr_storage)];
};

static void ask(int dev, int fd, uint32_t flags, bool batch, struct answer *a)
{
	memset(a, 0, sizeof(*a));
	memset(a->name, POISON, sizeof(a->name));
	a->len = WINSOCK_BATCH_NAME_SIZE;
	if (batch)
		a->rc = ws_batch_getpeername(dev, fd, a->name, &a->len, flags);
	else
		a->rc = ws_raw_getpeername(dev, fd, a->name, &a->len, flags);
}

FIXTURE(peer_read) {
	int dev;
	struct cases cs;
};

FIXTURE_SETUP(peer_read)
{
	self->dev = ws_open_started(MAKEWORD(2, 2));
	if (self->dev < 0)
		SETUP_SKIP(return, "module not loaded");
	ASSERT_EQ(0, set_fast_peer(true));
	ASSERT_EQ(0, link_local_on_lo(true));
	ASSERT_EQ(0, build_cases(&self->cs))
		TH_LOG("not built: %s", self->cs.missing);
}

FIXTURE_TEARDOWN(peer_read)
{
	if (self->dev < 0)
		return;
	free_cases(&self->cs);
	link_local_on_lo(false);
	set_fast_peer(true);
	close(self->dev);
}

/* The fast path and getname agree on every state, layout and request. */
TEST_F(peer_read, same_answer_as_getname)
{
	static const uint32_t layouts[] = { 0, WINSOCK_GPN_NATIVE };
	struct answer fast, slow;
	int peers = 0;

	SKIPPED_IN_SETUP();
	for (int i = 0; i < self->cs.n; i++) {
		for (int l = 0; l < 2; l++) {
			for (int batch = 0; batch < 2; batch++) {
				int fd = self->cs.c[i].fd;

				ASSERT_EQ(0, set_fast_peer(true));
				ask(self->dev, fd, layouts[l], batch, &fast);
				ASSERT_EQ(0, set_fast_peer(false));
				ask(self->dev, fd, layouts[l], batch, &slow);
				EXPECT_EQ(slow.rc, fast.rc)
					TH_LOG("%s, %s layout, %s", self->cs.c[i].what,
					       l ? "native" : "Windows", batch ? "batch" : "single");
				EXPECT_EQ(slow.len, fast.len)
					TH_LOG("%s", self->cs.c[i].what);
				EXPECT_EQ(0, memcmp(slow.name, fast.name, sizeof(fast.name)))
					TH_LOG("%s: the bytes differ", self->cs.c[i].what);
				peers += !fast.rc;
			}
		}
	}
	/* Not a comparison of failures only: most states have a peer. */
	EXPECT_LE(64, peers);
}

/* Count calls of the protocols' getname with a kprobe on each. */
static int kprobes(bool on)
{
	if (!on)
		return write_file(TRACING "/events/winsock_peer_read/enable", "0", 0) |
		       write_file(TRACING "/kprobe_events", "", O_TRUNC);
	return write_file(TRACING "/kprobe_events",
			  "p:winsock_peer_read/inet_getname inet_getname\n"
			  "p:winsock_peer_read/inet6_getname inet6_getname\n", O_APPEND) |
	       write_file(TRACING "/events/winsock_peer_read/enable", "1", 0);
}

/* Calls of @fn recorded in the trace since it was last cleared. */
static int calls_of(const char *fn)
{
	char line[512], tag[64];
	FILE *f = fopen(TRACING "/trace", "r");
	int n = 0;

	if (!f)
		return -1;
	snprintf(tag, sizeof(tag), " %s: (", fn);
	while (fgets(line, sizeof(line), f))
		n += line[0] != '#' && strstr(line, tag) != NULL;
	fclose(f);
	return n;
}

static void clear_trace(void)
{
	write_file(TRACING "/trace", "", O_TRUNC);
}

/* fast_peer=Y never calls inet(6)_getname for TCP; N calls it each time. */
TEST_F(peer_read, path_taken)
{
	struct answer a;

	SKIPPED_IN_SETUP();
	ASSERT_EQ(0, kprobes(true));
	for (int fast = 1; fast >= 0; fast--) {
		ASSERT_EQ(0, set_fast_peer(fast));
		clear_trace();
		for (int i = 0; i < 50; i++) {
			ask(self->dev, self->cs.t6.client, 0, i & 1, &a);
			ASSERT_EQ(0, a.rc);
		}
		for (int i = 0; i < 30; i++) {
			ask(self->dev, self->cs.c[0].fd, 0, i & 1, &a);
			ASSERT_EQ(0, a.rc);
		}
		EXPECT_EQ(fast ? 0 : 30, calls_of("inet_getname"));
		EXPECT_EQ(fast ? 0 : 50, calls_of("inet6_getname"));
	}
	EXPECT_EQ(0, kprobes(false));
}

/*
 * A cgroup BPF getpeername program (here: it reports every peer's port as
 * 4242) is run by getname only: with one attached, the module must ask
 * getname, and answers what getpeername(2) answers.
 */
static int bpf(int cmd, union bpf_attr *attr)
{
	return syscall(__NR_bpf, cmd, attr, sizeof(*attr));
}

static int load_port_rewriter(enum bpf_attach_type type)
{
	const struct bpf_insn prog[] = {
		/* r2 = htons(4242); ctx->user_port = r2; return 1 */
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = 2, .imm = htons(4242) },
		{ .code = BPF_STX | BPF_MEM | BPF_W, .dst_reg = 1, .src_reg = 2,
		  .off = offsetof(struct bpf_sock_addr, user_port) },
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = 0, .imm = 1 },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	union bpf_attr attr;

	memset(&attr, 0, sizeof(attr));
	attr.prog_type = BPF_PROG_TYPE_CGROUP_SOCK_ADDR;
	attr.expected_attach_type = type;
	attr.insns = (uintptr_t)prog;
	attr.insn_cnt = sizeof(prog) / sizeof(prog[0]);
	attr.license = (uintptr_t)"GPL";
	return bpf(BPF_PROG_LOAD, &attr);
}

static int cgroup_attach(int cg, int prog, enum bpf_attach_type type, bool attach)
{
	union bpf_attr attr;

	memset(&attr, 0, sizeof(attr));
	attr.target_fd = cg;
	attr.attach_bpf_fd = prog;
	attr.attach_type = type;
	return bpf(attach ? BPF_PROG_ATTACH : BPF_PROG_DETACH, &attr);
}

static int write_pid(const char *path)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%d", getpid());
	return write_file(path, buf, 0);
}

TEST(cgroup_bpf_getpeername_goes_to_getname)
{
	static const struct { int family; enum bpf_attach_type type; } hooks[] = {
		{ AF_INET, BPF_CGROUP_INET4_GETPEERNAME },
		{ AF_INET6, BPF_CGROUP_INET6_GETPEERNAME },
	};
	char root[] = "/tmp/winsock-cgroup.XXXXXX", child[64], procs[80];
	int dev, cg;

	dev = ws_open_started(MAKEWORD(2, 2));
	if (dev < 0)
		SKIP(return, "module not loaded");
	ASSERT_EQ(0, set_fast_peer(true));
	ASSERT_NE(NULL, mkdtemp(root));
	ASSERT_EQ(0, mount("cgroup2", root, "cgroup2", 0, NULL));
	snprintf(child, sizeof(child), "%s/peer", root);
	ASSERT_EQ(0, mkdir(child, 0755));
	snprintf(procs, sizeof(procs), "%s/cgroup.procs", child);
	/* A socket belongs to the cgroup of the task that made it. */
	ASSERT_EQ(0, write_pid(procs));
	cg = open(child, O_RDONLY | O_DIRECTORY);
	ASSERT_LE(0, cg);

	for (int h = 0; h < 2; h++) {
		struct sockaddr_storage lin;
		socklen_t llen = sizeof(lin);
		struct tcp_conn c;
		struct answer a;
		int prog;

		ASSERT_EQ(0, tcp_connect(&c, hooks[h].family));
		prog = load_port_rewriter(hooks[h].type);
		ASSERT_LE(0, prog) TH_LOG("BPF_PROG_LOAD: %s", strerror(errno));
		ASSERT_EQ(0, cgroup_attach(cg, prog, hooks[h].type, true));

		ASSERT_EQ(0, getpeername(c.client, (struct sockaddr *)&lin, &llen));
		EXPECT_EQ(htons(4242), ((struct sockaddr_in *)&lin)->sin_port);
		for (int batch = 0; batch < 2; batch++) {
			ask(dev, c.client, WINSOCK_GPN_NATIVE, batch, &a);
			ASSERT_EQ(0, a.rc);
			EXPECT_EQ((int)llen, a.len);
			EXPECT_EQ(0, memcmp(&lin, a.name, llen));
		}

		/* Detached: the real port again, by the fast path. */
		ASSERT_EQ(0, cgroup_attach(cg, prog, hooks[h].type, false));
		ask(dev, c.client, WINSOCK_GPN_NATIVE, false, &a);
		ASSERT_EQ(0, a.rc);
		EXPECT_EQ(0, memcmp(&c.lname, a.name, c.llen));
		close(prog);
		tcp_close(&c);
	}
	close(cg);
	snprintf(procs, sizeof(procs), "%s/cgroup.procs", root);
	EXPECT_EQ(0, write_pid(procs));
	EXPECT_EQ(0, rmdir(child));
	EXPECT_EQ(0, umount(root));
	rmdir(root);
	close(dev);
}

/*
 * UDP reconnected between two peers (different address and port) while
 * other threads look it up: every answer is one of the two, or no peer in
 * the variant that dissolves the association in between.
 */
struct reconnect {
	int dev, fd, family;
	bool dissolve;
	struct sockaddr_storage peer[2];
	socklen_t len;
	atomic_bool stop;
	atomic_int seen[3], mixed;
};

static void *reconnector(void *arg)
{
	struct reconnect *r = arg;
	struct sockaddr_in unspec = { .sin_family = AF_UNSPEC };

	for (unsigned int i = 0; !atomic_load(&r->stop); i++) {
		if (r->dissolve && (i % 3) == 2)
			connect(r->fd, (struct sockaddr *)&unspec, sizeof(unspec));
		else
			connect(r->fd, (struct sockaddr *)&r->peer[i & 1], r->len);
	}
	return NULL;
}

static void *looker(void *arg)
{
	struct reconnect *r = arg;
	struct winsock_peer_entry e[16];
	struct answer a;

	while (!atomic_load(&r->stop)) {
		int n = 1;

		ask(r->dev, r->fd, WINSOCK_GPN_NATIVE, false, &a);
		memset(e, 0, sizeof(e));
		for (int i = 0; i < 16; i++) {
			e[i].socket = r->fd;
			e[i].flags = WINSOCK_GPN_NATIVE;
			e[i].namelen = sizeof(e[i].name);
		}
		if (ws_raw_batch(r->dev, e, 16) == 0)
			n = 17;
		for (int i = 0; i < n; i++) {
			int rc = i ? (int)e[i - 1].result : a.rc;
			const void *name = i ? (const void *)e[i - 1].name : a.name;
			int k;

			if (rc == WINSOCK_WSAENOTCONN && r->dissolve) {
				atomic_fetch_add(&r->seen[2], 1);
				continue;
			}
			for (k = 0; k < 2; k++)
				if (!rc && !memcmp(name, &r->peer[k], r->len))
					break;
			if (k < 2)
				atomic_fetch_add(&r->seen[k], 1);
			else
				atomic_fetch_add(&r->mixed, 1);
		}
	}
	return NULL;
}

static void set_peer(struct sockaddr_storage *ss, int family, const char *addr,
		     uint16_t port)
{
	memset(ss, 0, sizeof(*ss));
	ss->ss_family = family;
	if (family == AF_INET) {
		inet_pton(AF_INET, addr, &((struct sockaddr_in *)ss)->sin_addr);
		((struct sockaddr_in *)ss)->sin_port = htons(port);
	} else {
		inet_pton(AF_INET6, addr, &((struct sockaddr_in6 *)ss)->sin6_addr);
		((struct sockaddr_in6 *)ss)->sin6_port = htons(port);
	}
}

static void reconnect_race(struct __test_metadata *_metadata, int family,
			   bool dissolve)
{
	static struct reconnect r;
	pthread_t w, l[2];
	uint64_t end;
	int owned;

	memset(&r, 0, sizeof(r));
	r.dev = ws_open_started(MAKEWORD(2, 2));
	if (r.dev < 0)
		SKIP(return, "module not loaded");
	ASSERT_EQ(0, set_fast_peer(true));
	r.family = family;
	r.dissolve = dissolve;
	if (family == AF_INET) {
		set_peer(&r.peer[0], AF_INET, "127.0.0.1", 4001);
		set_peer(&r.peer[1], AF_INET, "127.0.0.2", 4002);
		r.len = sizeof(struct sockaddr_in);
	} else {
		/* Once mapped, a socket stays IPv4 inside: both peers are. */
		set_peer(&r.peer[0], AF_INET6, "::ffff:127.0.0.1", 4001);
		set_peer(&r.peer[1], AF_INET6, "::ffff:127.0.0.2", 4002);
		r.len = sizeof(struct sockaddr_in6);
	}
	r.fd = socket(family, SOCK_DGRAM, 0);
	ASSERT_LE(0, r.fd);
	ASSERT_EQ(0, connect(r.fd, (struct sockaddr *)&r.peer[0], r.len));

	/* connect() owns the socket: lookups meanwhile go to getname. */
	ASSERT_EQ(0, kprobes(true));
	ASSERT_EQ(0, pthread_create(&w, NULL, reconnector, &r));
	for (int i = 0; i < 2; i++)
		ASSERT_EQ(0, pthread_create(&l[i], NULL, looker, &r));
	end = now_ms() + 1500;
	while (now_ms() < end)
		usleep(10000);
	atomic_store(&r.stop, true);
	pthread_join(w, NULL);
	for (int i = 0; i < 2; i++)
		pthread_join(l[i], NULL);

	EXPECT_EQ(0, atomic_load(&r.mixed));
	/* The race was run: both peers (and no peer) were seen. */
	EXPECT_LT(0, atomic_load(&r.seen[0]));
	EXPECT_LT(0, atomic_load(&r.seen[1]));
	if (dissolve)
		EXPECT_LT(0, atomic_load(&r.seen[2]));
	owned = calls_of(family == AF_INET ? "inet_getname" : "inet6_getname");
	EXPECT_EQ(0, kprobes(false));
	/* Both paths answered: the fast one and, while owned, getname. */
	EXPECT_LT(0, owned);
	TH_LOG("answers: %d peer A, %d peer B, %d no peer, %d mixed; %d by getname",
	       atomic_load(&r.seen[0]), atomic_load(&r.seen[1]),
	       atomic_load(&r.seen[2]), atomic_load(&r.mixed), owned);
	close(r.fd);
	close(r.dev);
}

TEST(udp4_reconnect_race)
{
	reconnect_race(_metadata, AF_INET, false);
}

TEST(udp4_reconnect_dissolve_race)
{
	reconnect_race(_metadata, AF_INET, true);
}

TEST(udp6_reconnect_race)
{
	reconnect_race(_metadata, AF_INET6, false);
}

TEST_HARNESS_MAIN
