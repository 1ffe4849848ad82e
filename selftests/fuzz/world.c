// SPDX-License-Identifier: GPL-2.0
/*
 * fuzz_test's world: the handles in their roles, the descriptors whose
 * answers are known, the servers the chaos threads use, set up and torn
 * down.
 */
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdlib.h>
#include <unistd.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <linux/netlink.h>

/* Not the harness: only main.c includes it (it defines the test list). */
#include "../helpers.h"
#include "fuzz.h"

const char *const role_name[] = {
	"never started", "refused", "pinned 2.2", "pinned 1.1", "free", "pool",
};

const struct handle_spec handle_spec[NR_HANDLES] = {
	{ R_NEVER, 0 },
	{ R_REFUSED, 0 },
	{ R_PINNED22, 0x0202 },
	{ R_PINNED11, 0x0101 },
	{ R_FREE, 0x0101 },
	{ R_FREE, 0x0202 },
	{ R_FREE, 0x0000 },	/* refused: starts unstarted */
	{ R_FREE, 0x0303 },	/* newer than 2.2: gets 2.2 */
};

static const struct known not_a_descriptor = {
	.fd = -1,
	.what = "not a descriptor",
	.layout = { { WINSOCK_WSAENOTSOCK }, { WINSOCK_WSAENOTSOCK } },
};

struct world world = {
	.netns_lock = PTHREAD_MUTEX_INITIALIZER,
	.fail_lock = PTHREAD_MUTEX_INITIALIZER,
};

bool stopping(void)
{
	return __atomic_load_n(&world.stop, __ATOMIC_RELAXED);
}

void stop_all(void)
{
	__atomic_store_n(&world.stop, 1, __ATOMIC_RELAXED);
}

/* Record the answer a lookup of @fd must give, from Linux' getpeername. */
static void learn(const char *what, int fd)
{
	struct known *k = &world.known[world.nknown];
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	int family = 0, type = 0, i;

	/* Only a packet socket may be missing: it needs root. */
	if (fd < 0 || fd >= NEVER_OPEN || world.nknown == MAX_KNOWN) {
		if (strcmp(what, "packet") || world.root)
			world.setup_errors++;
		return;
	}
	memset(k, 0, sizeof(*k));
	k->fd = fd;
	k->what = what;
	if (getpeername(fd, (struct sockaddr *)&ss, &len) == 0) {
		k->layout[1].size = len;
		memcpy(k->layout[1].addr, &ss, len);
	} else if (errno == ENOTCONN || errno == EOPNOTSUPP || errno == EINVAL) {
		k->layout[1].result = WINSOCK_WSAENOTCONN;
	} else {
		k->layout[1].result = WINSOCK_WSAENOTSOCK;
	}
	len = sizeof(family);
	if (getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &family, &len))
		family = -1;
	len = sizeof(type);
	if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len))
		type = -1;

	/*
	 * Windows' layout: the families it has a provider for, padded; its
	 * AF_UNIX provider has stream sockets only.
	 */
	k->layout[0] = k->layout[1];
	if ((family != AF_INET && family != AF_INET6 && family != AF_UNIX) ||
	    (family == AF_UNIX && type != SOCK_STREAM)) {
		k->layout[0].result = WINSOCK_WSAENOTSOCK;
	} else if (!k->layout[0].result) {
		uint16_t wfamily = family == AF_INET ? WINSOCK_AF_INET :
				   family == AF_INET6 ? WINSOCK_AF_INET6 :
				   WINSOCK_AF_UNIX;

		k->layout[0].size = family == AF_INET ? WINSOCK_SOCKADDR_IN_SIZE :
				    family == AF_INET6 ? WINSOCK_SOCKADDR_IN6_SIZE :
				    WINSOCK_SOCKADDR_UN_SIZE;
		for (i = k->layout[1].size; i < k->layout[0].size; i++)
			k->layout[0].addr[i] = 0;
		memcpy(k->layout[0].addr, &wfamily, sizeof(wfamily));
	}
	world.known_of_fd[fd] = ++world.nknown;
}

const struct known *known_of(uint64_t s)
{
	int i;

	if (s >= NEVER_OPEN)
		return &not_a_descriptor;
	i = world.known_of_fd[s];
	return i ? &world.known[i - 1] : NULL;
}

/* Servers, and descriptors whose answers are known (see learn()). */
int make_world(void)
{
	struct rng r;
	int fd, l, sv[2], i, nl, rc;

	rng_init(&r, 0);
	for (i = 0; i < NR_HANDLES; i++) {
		char wsadata[512];

		fd = open(WINSOCK_DEVICE_PATH, O_RDWR);
		if (fd < 0)
			return -1;
		world.handles[i] = fd;
		rc = 0;
		if (handle_spec[i].role != R_NEVER)
			rc = ws_raw_startup(fd, handle_spec[i].version, wsadata, NULL);
		if (rc != ((handle_spec[i].version & 0xff) ? 0 : WINSOCK_WSAVERNOTSUPPORTED) &&
		    handle_spec[i].role != R_NEVER)
			return -1;
		learn("a handle", fd);
	}

	/* TCP: a connection both ways, for v4 and v6, and a full listener. */
	l = tcp_listener(AF_INET, 128);
	world.tcp4_len = local_name(l, &world.tcp4);
	world.tcp4_client = connected_socket(AF_INET, SOCK_STREAM, &world.tcp4, world.tcp4_len);
	learn("TCPv4 client", world.tcp4_client);
	learn("TCPv4 server", accept(l, NULL, NULL));
	learn("TCPv4 listener", l);
	world.listeners[0] = l;
	l = tcp_listener(AF_INET6, 128);
	world.tcp6_len = local_name(l, &world.tcp6);
	learn("TCPv6 client", connected_socket(AF_INET6, SOCK_STREAM, &world.tcp6, world.tcp6_len));
	learn("TCPv6 server", accept(l, NULL, NULL));
	world.listeners[1] = l;
	l = tcp_listener(AF_INET, 0);
	world.full4_len = local_name(l, &world.full4);
	learn("TCPv4 never accepted",
	      connected_socket(AF_INET, SOCK_STREAM, &world.full4, world.full4_len));
	learn("TCPv4 full listener", l);

	/* UDP: servers, one connected client, one without a peer. */
	fd = loopback_socket(AF_INET, SOCK_DGRAM);
	world.udp4_len = local_name(fd, &world.udp4);
	learn("UDPv4 server", fd);
	fd = loopback_socket(AF_INET6, SOCK_DGRAM);
	world.udp6_len = local_name(fd, &world.udp6);
	learn("UDPv6 server", fd);
	learn("UDPv4 connected", connected_socket(AF_INET, SOCK_DGRAM, &world.udp4, world.udp4_len));

	/* AF_UNIX: abstract and path listeners, a datagram server, pairs. */
	world.ustream_len = unix_abstract_name(&world.ustream, "fuzz", "stream");
	l = unix_bound(SOCK_STREAM, &world.ustream, world.ustream_len, 64);
	learn("unix abstract client",
	      connected_socket(AF_UNIX, SOCK_STREAM, &world.ustream, world.ustream_len));
	learn("unix accepted (unnamed peer)", accept(l, NULL, NULL));
	learn("unix listener", l);
	world.listeners[2] = l;
	world.useq_len = unix_abstract_name(&world.useq, "fuzz", "seqpacket");
	world.listeners[3] = unix_bound(SOCK_SEQPACKET, &world.useq, world.useq_len, 64);
	world.udgram_len = unix_abstract_name(&world.udgram, "fuzz", "dgram");
	learn("unix datagram server", unix_bound(SOCK_DGRAM, &world.udgram, world.udgram_len, 64));
	memset(&world.upath, 0, sizeof(world.upath));
	world.upath.sun_family = AF_UNIX;
	snprintf(world.upath.sun_path, sizeof(world.upath.sun_path),
		 "/tmp/winsock-fuzz-%d.sock", getpid());
	world.upath_len = sizeof(world.upath);
	unlink(world.upath.sun_path);
	l = unix_bound(SOCK_STREAM, &world.upath, world.upath_len, 64);
	learn("unix path client",
	      connected_socket(AF_UNIX, SOCK_STREAM, &world.upath, world.upath_len));
	world.listeners[4] = l;
	if (!socketpair(AF_UNIX, SOCK_DGRAM, 0, sv))
		learn("unix datagram pair", sv[0]);

	/* Families Windows has no provider for, and no sockets at all. */
	learn("netlink", socket(AF_NETLINK, SOCK_RAW, NETLINK_ROUTE));
	learn("packet", socket(AF_PACKET, SOCK_DGRAM, 0));
	if (!pipe(sv))
		learn("pipe", sv[0]);
	learn("/dev/null", open("/dev/null", O_RDWR));
	learn("eventfd", eventfd(0, 0));
	learn("O_PATH", open("/", O_PATH));
	snprintf(world.file_path, sizeof(world.file_path), "/tmp/winsock-fuzz-%d.file",
		 getpid());
	learn("regular file", open(world.file_path, O_RDWR | O_CREAT | O_TRUNC, 0600));

	for (i = 0; i < (int)ARRAY_LEN(world.listeners); i++)
		if (world.listeners[i] < 0 ||
		    fcntl(world.listeners[i], F_SETFL, O_NONBLOCK))
			return -1;
	for (i = 0; i < world.nknown; i++)
		if (world.known[i].fd < 0)
			return -1;

	/* The pool starts full; shared memory starts with sane lengths. */
	for (i = 0; i < POOL_SIZE * 2; i++)
		replace(&r);
	world.sink = mmap(NULL, SINK_BYTES, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (world.sink == MAP_FAILED)
		return -1;
	nl = WINSOCK_BATCH_NAME_SIZE;
	for (i = 0; i < (int)(SINK_BYTES / sizeof(nl)); i++)
		memcpy(world.sink + i * sizeof(nl), &nl, sizeof(nl));
	return world.setup_errors ? -1 : 0;
}

void unmake_world(void)
{
	unlink(world.upath.sun_path);
	unlink(world.file_path);
	if (world.root) {
		write_param("provider_down", 0);
		write_param("audit", 0);
	}
}

/* Raise the descriptor limit to the table the pool and NEVER_OPEN assume. */
int fd_limit(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl))
		return -1;
	if (rl.rlim_cur >= FD_TABLE)
		return 0;
	rl.rlim_cur = rl.rlim_max < FD_TABLE ? rl.rlim_max : FD_TABLE;
	if (rl.rlim_cur < POOL_BASE + POOL_SIZE)
		return -1;
	return setrlimit(RLIMIT_NOFILE, &rl);
}

