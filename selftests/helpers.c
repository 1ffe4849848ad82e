// SPDX-License-Identifier: GPL-2.0
/*
 * What the winsock selftests share (helpers.h): built once per ABI and
 * linked into every test program.
 */
#include "helpers.h"

bool ws_setup_skipped;

int ws_raw_ioctl(int dev, unsigned long cmd, void *req)
{
	int rc = ioctl(dev, cmd, req);

	return rc < 0 ? -errno : rc;
}

int ws_raw_getpeername(int dev, uint64_t s, void *name, int *namelen, uint32_t flags)
{
	struct winsock_getpeername req = {
		.socket = s,
		.name = (uintptr_t)name,
		.namelen = (uintptr_t)namelen,
		.flags = flags,
	};

	return ws_raw_ioctl(dev, WINSOCK_IOC_GETPEERNAME, &req);
}

int ws_raw_batch(int dev, struct winsock_peer_entry *e, uint32_t count)
{
	struct winsock_getpeername_batch req = {
		.entries = (uintptr_t)e,
		.count = count,
	};

	return ws_raw_ioctl(dev, WINSOCK_IOC_GETPEERNAME_BATCH, &req);
}

int ws_batch_getpeername(int dev, uint64_t s, void *name, int *namelen, uint32_t flags)
{
	struct winsock_peer_entry e;
	int copy = 0, rc;

	memset(&e, 0, sizeof(e));
	e.socket = s;
	e.flags = flags;
	e.result = 0xdeadbeef;
	e.namelen = -1;
	if (name && namelen) {
		e.namelen = *namelen;
		copy = e.namelen < 0 ? 0 : e.namelen;
		if (copy > (int)sizeof(e.name))
			copy = sizeof(e.name);
		memcpy(e.name, name, copy);
	}
	rc = ws_raw_batch(dev, &e, 1);
	if (rc)
		return rc;
	if (name && namelen) {
		memcpy(name, e.name, copy);
		*namelen = e.namelen;
	}
	return e.result;
}

int ws_raw_startup(int dev, uint16_t version, void *wsadata, struct winsock_startup *out)
{
	struct winsock_startup req = {
		.wsadata = (uintptr_t)wsadata,
		.version_requested = version,
	};
	int rc = ws_raw_ioctl(dev, WINSOCK_IOC_STARTUP, &req);

	if (out)
		*out = req;
	return rc;
}

int ws_raw_cleanup(int dev, unsigned int *startups)
{
	struct winsock_cleanup req = { 0 };
	int rc = ws_raw_ioctl(dev, WINSOCK_IOC_CLEANUP, &req);

	if (startups)
		*startups = req.startups;
	return rc;
}

int ws_open_started(uint16_t version)
{
	char wsadata[512];
	int dev = open(WINSOCK_DEVICE_PATH, O_RDWR | O_CLOEXEC);

	if (dev < 0)
		return -1;
	if (ws_raw_startup(dev, version, wsadata, NULL)) {
		close(dev);
		return -1;
	}
	return dev;
}

socklen_t local_name(int fd, struct sockaddr_storage *ss)
{
	socklen_t len = sizeof(*ss);

	memset(ss, 0, sizeof(*ss));
	if (getsockname(fd, (struct sockaddr *)ss, &len))
		return 0;
	return len;
}

int bound_socket(int family, int type, const char *addr)
{
	struct sockaddr_storage ss = { .ss_family = family };
	socklen_t len = sizeof(struct sockaddr_in6);
	void *ip = &((struct sockaddr_in6 *)&ss)->sin6_addr;
	int fd;

	if (family == AF_INET) {
		len = sizeof(struct sockaddr_in);
		ip = &((struct sockaddr_in *)&ss)->sin_addr;
	}
	if (inet_pton(family, addr, ip) != 1)
		return -1;
	fd = socket(family, type, 0);
	if (fd >= 0 && bind(fd, (struct sockaddr *)&ss, len)) {
		close(fd);
		return -1;
	}
	return fd;
}

int loopback_socket(int family, int type)
{
	return bound_socket(family, type, family == AF_INET ? "127.0.0.1" : "::1");
}

int tcp_listener_at(int family, const char *addr, int backlog)
{
	int fd = bound_socket(family, SOCK_STREAM, addr);

	if (fd >= 0 && listen(fd, backlog)) {
		close(fd);
		return -1;
	}
	return fd;
}

int tcp_listener(int family, int backlog)
{
	return tcp_listener_at(family, family == AF_INET ? "127.0.0.1" : "::1", backlog);
}

int connect_accept(int listener, int *accepted)
{
	struct sockaddr_storage ss;
	socklen_t len = local_name(listener, &ss);
	int fd = len ? connected_socket(ss.ss_family, SOCK_STREAM, &ss, len) : -1;

	*accepted = fd < 0 ? -1 : accept(listener, NULL, NULL);
	if (fd >= 0 && *accepted < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

int tcp_connect(struct tcp_conn *c, int family)
{
	c->listener = tcp_listener(family, 4);
	if (c->listener < 0)
		return -1;
	c->llen = local_name(c->listener, &c->lname);
	c->client = connect_accept(c->listener, &c->server);
	if (c->client < 0)
		return -1;
	c->clen = local_name(c->client, &c->cname);
	return 0;
}

int tcp_connect_pending(struct tcp_conn *c, int family)
{
	c->server = c->client = -1;
	c->listener = tcp_listener(family, 0);
	if (c->listener < 0)
		return -1;
	c->llen = local_name(c->listener, &c->lname);
	c->server = connected_socket(family, SOCK_STREAM, &c->lname, c->llen);
	c->client = socket(family, SOCK_STREAM | SOCK_NONBLOCK, 0);
	if (c->server < 0 || c->client < 0 ||
	    connect(c->client, (struct sockaddr *)&c->lname, c->llen) != -1 ||
	    errno != EINPROGRESS)
		return -1;
	c->clen = local_name(c->client, &c->cname);
	return 0;
}

void tcp_close(struct tcp_conn *c)
{
	close(c->listener);
	close(c->client);
	close(c->server);
}

void set_linger0(int fd)
{
	struct linger lg = { .l_onoff = 1, .l_linger = 0 };

	setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
}

void tcp_close_rst(struct tcp_conn *c)
{
	set_linger0(c->client);
	set_linger0(c->server);
	tcp_close(c);
}

int connected_socket(int family, int type, const void *to, socklen_t len)
{
	int fd = socket(family, type, 0);

	if (fd >= 0 && connect(fd, (const struct sockaddr *)to, len)) {
		close(fd);
		return -1;
	}
	return fd;
}

int connecting_socket(int family, int type, const void *to, socklen_t len)
{
	int fd = socket(family, type | SOCK_NONBLOCK, 0);

	if (fd >= 0)
		connect(fd, (const struct sockaddr *)to, len);
	return fd;
}

int udp_bound(int family, struct sockaddr_storage *name, socklen_t *len)
{
	int fd = loopback_socket(family, SOCK_DGRAM);

	*len = fd < 0 ? 0 : local_name(fd, name);
	return fd;
}

socklen_t unix_abstract_name(struct sockaddr_un *sun, const char *prog, const char *what)
{
	int n;

	memset(sun, 0, sizeof(*sun));
	sun->sun_family = AF_UNIX;
	n = snprintf(sun->sun_path + 1, sizeof(sun->sun_path) - 1, "winsock-%s-%d-%s",
		     prog, getpid(), what);
	return offsetof(struct sockaddr_un, sun_path) + 1 + n;
}

int unix_bound(int type, const struct sockaddr_un *sun, socklen_t len, int backlog)
{
	int fd = socket(AF_UNIX, type, 0);

	if (fd >= 0 && (bind(fd, (const struct sockaddr *)sun, len) ||
			((type & ~(SOCK_NONBLOCK | SOCK_CLOEXEC)) != SOCK_DGRAM &&
			 listen(fd, backlog)))) {
		close(fd);
		return -1;
	}
	return fd;
}

/* The path of a named (not abstract) unix address, NUL-terminated. */
static const char *unix_path(const struct unix_conn *u, char *buf)
{
	size_t n = u->len - offsetof(struct sockaddr_un, sun_path);

	if (!n || !u->name.sun_path[0])
		return NULL;
	memcpy(buf, u->name.sun_path, n);
	buf[n] = 0;
	return buf;
}

int unix_connect(struct unix_conn *u, int type, const void *name, size_t nlen)
{
	char path[sizeof(u->name.sun_path) + 1];

	memset(u, 0, sizeof(*u));
	u->listener = u->client = u->server = -1;
	if (nlen > sizeof(u->name.sun_path))
		return -1;
	u->name.sun_family = AF_UNIX;
	memcpy(u->name.sun_path, name, nlen);
	u->len = offsetof(struct sockaddr_un, sun_path) + nlen;
	if (unix_path(u, path))
		unlink(path);
	u->listener = socket(AF_UNIX, type, 0);
	u->client = socket(AF_UNIX, type, 0);
	if (u->listener < 0 || u->client < 0 ||
	    bind(u->listener, (struct sockaddr *)&u->name, u->len) || listen(u->listener, 1) ||
	    connect(u->client, (struct sockaddr *)&u->name, u->len))
		return -1;
	u->server = accept(u->listener, NULL, NULL);
	return u->server < 0 ? -1 : 0;
}

void unix_conn_close(struct unix_conn *u)
{
	char path[sizeof(u->name.sun_path) + 1];

	close(u->server);
	close(u->client);
	close(u->listener);
	if (unix_path(u, path))
		unlink(path);
	u->listener = u->client = u->server = -1;
}

int ws_send_fd(int sock, int fd)
{
	char cbuf[CMSG_SPACE(sizeof(int))] = { 0 }, c = 'f';
	struct iovec iov = { .iov_base = &c, .iov_len = 1 };
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = cbuf, .msg_controllen = sizeof(cbuf),
	};
	struct cmsghdr *cm = CMSG_FIRSTHDR(&msg);

	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &fd, sizeof(int));
	return sendmsg(sock, &msg, 0) == 1 ? 0 : -1;
}

int ws_recv_fd(int sock)
{
	char cbuf[CMSG_SPACE(sizeof(int))], c;
	struct iovec iov = { .iov_base = &c, .iov_len = 1 };
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = cbuf, .msg_controllen = sizeof(cbuf),
	};
	struct cmsghdr *cm;
	int fd;

	if (recvmsg(sock, &msg, 0) != 1)
		return -1;
	cm = CMSG_FIRSTHDR(&msg);
	if (!cm || cm->cmsg_type != SCM_RIGHTS)
		return -1;
	memcpy(&fd, CMSG_DATA(cm), sizeof(int));
	return fd;
}

#define PARAMS "/sys/module/winsock/parameters/"

int set_provider_down(const char *v)
{
	return write_file(PARAMS "provider_down", v, 0) ? -1 : 0;
}

int set_fast_peer(bool on)
{
	return write_file(PARAMS "fast_peer", on ? "Y" : "N", 0) ? -1 : 0;
}

int module_load(void)
{
	const char *ko = getenv("WINSOCK_KO");
	int fd, ret;

	if (!ko)
		return -ENOENT;
	fd = open(ko, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ret = syscall(SYS_finit_module, fd, "", 0) ? -errno : 0;
	close(fd);
	return ret;
}

bool module_listed(void)
{
	char line[256];
	bool found = false;
	FILE *f = fopen("/proc/modules", "r");

	if (!f)
		return false;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, "winsock ", 8))
			found = true;
	fclose(f);
	return found;
}

int module_refcnt(void)
{
	FILE *f = fopen("/sys/module/winsock/refcnt", "r");
	int n = -1;

	if (f) {
		if (fscanf(f, "%d", &n) != 1)
			n = -1;
		fclose(f);
	}
	return n;
}

int param_get(const char *name, long *v)
{
	char path[128];
	FILE *f;
	int ok;

	snprintf(path, sizeof(path), PARAMS "%s", name);
	f = fopen(path, "r");
	if (!f)
		return -1;
	ok = fscanf(f, "%ld", v) == 1;
	fclose(f);
	return ok ? 0 : -1;
}

int param_set(const char *name, long v)
{
	char path[128], s[32];

	snprintf(path, sizeof(path), PARAMS "%s", name);
	snprintf(s, sizeof(s), "%ld", v);
	return write_file(path, s, 0);
}

int write_file(const char *path, const char *s, int flags)
{
	size_t len = strlen(s);
	int fd = open(path, O_WRONLY | O_CLOEXEC | flags);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = write(fd, s, len);
	if (n < 0)
		n = -errno;
	close(fd);
	if (n < 0)
		return n;
	return n == (ssize_t)len ? 0 : -EIO;
}

int read_file(const char *path, char *buf, size_t size)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t r = 0;
	size_t n = 0;

	if (fd < 0)
		return -errno;
	while (n < size - 1 && (r = read(fd, buf + n, size - 1 - n)) > 0)
		n += r;
	if (r < 0)
		r = -errno;
	buf[n] = '\0';
	close(fd);
	return r < 0 ? r : 0;
}

uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}
