// SPDX-License-Identifier: GPL-2.0
/*
 * The chaos threads: they close, dup2 over, connect, shut down and
 * replace the pool's descriptors (some in other network namespaces) and
 * toggle the module's parameters while the fuzzers run.
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdlib.h>
#include <unistd.h>
#include <net/if.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/timerfd.h>
#include <linux/netlink.h>

/* Not the harness: only main.c includes it (it defines the test list). */
#include "../helpers.h"
#include "fuzz.h"

/* Half the TCP sockets reset on close: no TIME_WAIT piling up. */
static void maybe_linger0(struct rng *r, int fd)
{
	if (fd >= 0 && chance(r, 50))
		set_linger0(fd);
}

static int tcp_to(struct rng *r, int family, const struct sockaddr_storage *ss,
		  socklen_t len)
{
	int fd = connecting_socket(family, SOCK_STREAM, ss, len);

	maybe_linger0(r, fd);
	return fd;
}

static int udp_to(int family, const struct sockaddr_storage *ss, socklen_t len,
		  bool dissolve)
{
	struct sockaddr unspec = { .sa_family = AF_UNSPEC };
	int fd = connecting_socket(family, SOCK_DGRAM, ss, len);

	/* Dissolved; on a connect() that failed, a no-op. */
	if (fd >= 0 && dissolve)
		connect(fd, &unspec, sizeof(unspec));
	return fd;
}

static int new_handle(struct rng *r)
{
	static const uint16_t versions[] = { 0x0101, 0x0202, 0x0000, 0x0003 };
	int fd = open(WINSOCK_DEVICE_PATH, O_RDWR);
	char wsadata[512];

	if (fd >= 0 && chance(r, 70))
		ws_raw_startup(fd, versions[below(r, ARRAY_LEN(versions))], wsadata, NULL);
	return fd;
}

/*
 * Something to put in the pool: a socket of any family and state, or a
 * descriptor that is not one.  A socketpair or pipe may give two (@fds).
 */
static int make_object(struct rng *r, int fds[2])
{
	struct sockaddr_in closed = {
		.sin_family = AF_INET, .sin_port = htons(9),
		.sin_addr.s_addr = htonl(INADDR_LOOPBACK),
	};
	struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
	struct sockaddr_un autobind = { .sun_family = AF_UNIX };
	static const int types[] = { SOCK_STREAM, SOCK_DGRAM, SOCK_SEQPACKET };
	int fd = -1, n = 1, sv[2];

	switch (below(r, 24)) {
	case 0:
		fd = tcp_to(r, AF_INET, &world.tcp4, world.tcp4_len);
		break;
	case 1:
		fd = tcp_to(r, AF_INET6, &world.tcp6, world.tcp6_len);
		break;
	case 2:		/* the listener's queue is full: SYN_SENT for long */
		fd = tcp_to(r, AF_INET, &world.full4, world.full4_len);
		break;
	case 3:
		fd = loopback_socket(chance(r, 50) ? AF_INET : AF_INET6,
				     SOCK_STREAM | SOCK_NONBLOCK);
		if (fd >= 0 && chance(r, 70))
			listen(fd, below(r, 4));
		break;
	case 4:
		fd = socket(chance(r, 50) ? AF_INET : AF_INET6, SOCK_STREAM | SOCK_NONBLOCK, 0);
		break;
	case 5:
		fd = udp_to(AF_INET, &world.udp4, world.udp4_len, false);
		break;
	case 6:
		fd = udp_to(AF_INET6, &world.udp6, world.udp6_len, chance(r, 50));
		break;
	case 7:
		fd = udp_to(AF_INET, &world.udp4, world.udp4_len, true);
		break;
	case 8:		/* autobound by a send, no peer */
		fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
		if (fd >= 0)
			sendto(fd, "x", 1, MSG_DONTWAIT, (struct sockaddr *)&closed,
			       sizeof(closed));
		break;
	case 9:
	case 10:
		if (socketpair(AF_UNIX, types[below(r, 3)] | SOCK_NONBLOCK, 0, sv))
			break;
		fd = sv[0];
		fds[1] = sv[1];
		n = 2;
		break;
	case 11:
		fd = connecting_socket(AF_UNIX, SOCK_STREAM, &world.ustream, world.ustream_len);
		break;
	case 12:
		fd = connecting_socket(AF_UNIX, SOCK_STREAM, &world.upath, world.upath_len);
		break;
	case 13:
		fd = connecting_socket(AF_UNIX, SOCK_SEQPACKET, &world.useq, world.useq_len);
		break;
	case 14:
		fd = connecting_socket(AF_UNIX, SOCK_DGRAM, &world.udgram, world.udgram_len);
		break;
	case 15:
		fd = socket(AF_UNIX, types[below(r, 3)] | SOCK_NONBLOCK, 0);
		if (fd >= 0 && chance(r, 50))
			bind(fd, (struct sockaddr *)&autobind, sizeof(sa_family_t));
		break;
	case 16:
		fd = socket(AF_NETLINK, SOCK_RAW | SOCK_NONBLOCK,
			    chance(r, 50) ? NETLINK_ROUTE : NETLINK_GENERIC);
		if (fd >= 0 && chance(r, 50))
			connect(fd, (struct sockaddr *)&kernel, sizeof(kernel));
		break;
	case 17:	/* protocol 0: receives nothing */
		fd = socket(AF_PACKET, (chance(r, 50) ? SOCK_DGRAM : SOCK_RAW) | SOCK_NONBLOCK, 0);
		break;
	case 18:
		fd = open(world.file_path, O_RDWR);
		break;
	case 19:
		fd = open("/dev/null", O_RDWR);
		break;
	case 20:
		if (pipe2(sv, O_NONBLOCK))
			break;
		fd = sv[0];
		fds[1] = sv[1];
		n = 2;
		break;
	case 21:	/* no epoll: since 6.9 it answers EINVAL to any ioctl */
		fd = chance(r, 50) ? eventfd(0, EFD_NONBLOCK) :
		     chance(r, 50) ? timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK) :
				     memfd_create("winsock-fuzz", 0);
		break;
	case 22:
		fd = open("/", O_PATH);
		break;
	default:
		fd = new_handle(r);
		break;
	}
	fds[0] = fd;
	return fd < 0 ? 0 : n;
}

/* Put @fd in a pool slot (closing what was there) and close @fd itself. */
static void place_in_pool(struct rng *r, int fd)
{
	if (fd < 0)
		return;
	if (dup2(fd, POOL_BASE + below(r, POOL_SIZE)) < 0)
		fail_msg("chaos", "dup2 into the pool: %s", strerror(errno));
	close(fd);
}

void replace(struct rng *r)
{
	int fds[2] = { -1, -1 }, n = make_object(r, fds);

	if (n > 0)
		place_in_pool(r, fds[0]);
	if (n > 1) {
		if (chance(r, 50))
			place_in_pool(r, fds[1]);
		else
			close(fds[1]);	/* the peer is gone */
	}
}

static void bring_lo_up(void)
{
	struct ifreq ifr;
	int fd = socket(AF_INET, SOCK_DGRAM, 0);

	memset(&ifr, 0, sizeof(ifr));
	strcpy(ifr.ifr_name, "lo");
	if (fd >= 0 && !ioctl(fd, SIOCGIFFLAGS, &ifr)) {
		ifr.ifr_flags |= IFF_UP;
		ioctl(fd, SIOCSIFFLAGS, &ifr);
	}
	if (fd >= 0)
		close(fd);
}

struct netns_job {
	struct rng rng;
	int fds[8];
	int n;
};

/*
 * In a new network namespace (this thread only): a TCP connection on its
 * loopback, a unix pair, UDP, netlink, and a handle opened there.  The
 * namespace lives as long as these do in the pool.
 */
static void *netns_worker(void *arg)
{
	struct netns_job *j = arg;
	struct sockaddr_storage ss;
	socklen_t len;
	int l, sv[2];

	if (unshare(CLONE_NEWNET))
		return NULL;
	bring_lo_up();
	l = tcp_listener(AF_INET, 4);
	if (l >= 0 && !fcntl(l, F_SETFL, O_NONBLOCK)) {
		len = local_name(l, &ss);
		j->fds[j->n++] = tcp_to(&j->rng, AF_INET, &ss, len);
		j->fds[j->n++] = accept4(l, NULL, NULL, SOCK_NONBLOCK);
		j->fds[j->n++] = udp_to(AF_INET, &ss, len, false);
		j->fds[j->n++] = l;
	}
	if (!socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv)) {
		j->fds[j->n++] = sv[0];
		j->fds[j->n++] = sv[1];
	}
	j->fds[j->n++] = socket(AF_NETLINK, SOCK_RAW | SOCK_NONBLOCK, NETLINK_ROUTE);
	j->fds[j->n++] = new_handle(&j->rng);
	return NULL;
}

/* At most one new namespace a second: they are slow to make and to free. */
static void netns_op(struct chaos *ch)
{
	struct netns_job j = { .n = 0 };
	uint64_t now = now_ns();
	pthread_t t;
	int i;

	pthread_mutex_lock(&world.netns_lock);
	if (now - world.last_netns_ns < 1000000000ULL) {
		pthread_mutex_unlock(&world.netns_lock);
		return replace(&ch->rng);
	}
	world.last_netns_ns = now;
	pthread_mutex_unlock(&world.netns_lock);

	j.rng.s = rnd(&ch->rng) | 1;
	if (pthread_create(&t, NULL, netns_worker, &j))
		return;
	pthread_join(t, NULL);
	for (i = 0; i < j.n; i++)
		place_in_pool(&ch->rng, j.fds[i]);
	if (j.n)	/* not root: no namespace */
		ch->netns++;
}

/* Where a socket of this family and type can connect to. */
static void reconnect(struct rng *r, int fd)
{
	struct sockaddr unspec = { .sa_family = AF_UNSPEC };
	struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
	int family = 0, type = 0;
	socklen_t len = sizeof(int);

	if (getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &family, &len) ||
	    getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len))
		return;
	if (chance(r, 25)) {
		connect(fd, &unspec, sizeof(unspec));
		return;
	}
	switch (family) {
	case AF_INET:
		if (type == SOCK_DGRAM)
			connect(fd, (struct sockaddr *)&world.udp4, world.udp4_len);
		else if (chance(r, 50))
			connect(fd, (struct sockaddr *)&world.tcp4, world.tcp4_len);
		else
			connect(fd, (struct sockaddr *)&world.full4, world.full4_len);
		break;
	case AF_INET6:
		if (type == SOCK_DGRAM)
			connect(fd, (struct sockaddr *)&world.udp6, world.udp6_len);
		else
			connect(fd, (struct sockaddr *)&world.tcp6, world.tcp6_len);
		break;
	case AF_UNIX:
		if (type == SOCK_DGRAM)
			connect(fd, (struct sockaddr *)&world.udgram, world.udgram_len);
		else if (type == SOCK_SEQPACKET)
			connect(fd, (struct sockaddr *)&world.useq, world.useq_len);
		else
			connect(fd, (struct sockaddr *)&world.ustream, world.ustream_len);
		break;
	case AF_NETLINK:
		connect(fd, (struct sockaddr *)&kernel, sizeof(kernel));
		break;
	}
}

void write_param(const char *name, long v)
{
	int err = param_set(name, v);

	/* A parameter this module lacks (or a read-only one) is left alone. */
	if (err && err != -ENOENT && err != -EACCES)
		fail_msg("chaos", "cannot write %ld to /sys/module/winsock/parameters/%s",
			 v, name);
}

/* Take the provider down (or audit on) for a moment: always restored. */
static void toggle_param(struct rng *r, const char *name)
{
	if (!world.root)
		return;
	write_param(name, 1);
	usleep(below(r, 500));
	write_param(name, 0);
}

static void chaos_step(struct chaos *ch)
{
	static const uint8_t w[] = { 35, 8, 8, 10, 12, 4, 12, 1, 1, 1 };
	struct rng *r = &ch->rng;
	int slot = POOL_BASE + below(r, POOL_SIZE), fd;

	switch (pick(r, w, ARRAY_LEN(w))) {
	case 0:
		return replace(r);
	case 1:
		close(slot);
		return;
	case 2:
		dup2(POOL_BASE + below(r, POOL_SIZE), slot);
		return;
	case 3:
		shutdown(slot, below(r, 3));
		return;
	case 4:
		return reconnect(r, slot);
	case 5:
		listen(slot, below(r, 4));
		return;
	case 6:		/* accepted sockets, or just drain the queues */
		fd = accept4(world.listeners[below(r, ARRAY_LEN(world.listeners))], NULL, NULL,
			     SOCK_NONBLOCK);
		maybe_linger0(r, fd);
		if (fd >= 0 && chance(r, 60))
			place_in_pool(r, fd);
		else if (fd >= 0)
			close(fd);
		return;
	case 7:
		return toggle_param(r, "provider_down");
	case 8:
		return toggle_param(r, "audit");
	default:
		return netns_op(ch);
	}
}

void *chaos_main(void *arg)
{
	struct chaos *ch = arg;

	while (!stopping()) {
		chaos_step(ch);
		ch->ops++;
		/* Leave the CPUs to the fuzzers most of the time. */
		if (!(ch->ops & 3))
			usleep(50);
	}
	return NULL;
}

