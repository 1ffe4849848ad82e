/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the winsock selftests share: raw requests on /dev/winsock, sockets
 * built in the states the tests need, the module's load state, and small
 * file and time helpers.  Built once per ABI (helpers.c) and linked into
 * every test; it does not include the kselftest harness, whose users
 * include it themselves.
 */
#ifndef _WINSOCK_HELPERS_H
#define _WINSOCK_HELPERS_H

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <linux/winsock.h>

#define POISON 0x55

/* --- raw requests: the Winsock answer, or -errno when the ioctl failed --- */
int ws_raw_ioctl(int dev, unsigned long cmd, void *req);
int ws_raw_getpeername(int dev, uint64_t s, void *name, int *namelen, uint32_t flags);
int ws_raw_batch(int dev, struct winsock_peer_entry *e, uint32_t count);
/*
 * The single request's getpeername(s, name, namelen), made through a batch
 * of one: @namelen's value becomes the entry's, @name's bytes its storage
 * (so that poison survives), and what the kernel left in the entry is
 * copied back.  A NULL @name or @namelen, which an entry cannot express,
 * becomes namelen -1: the same WSAEFAULT.  Pointers must be valid.
 */
int ws_batch_getpeername(int dev, uint64_t s, void *name, int *namelen, uint32_t flags);
int ws_raw_startup(int dev, uint16_t version, void *wsadata, struct winsock_startup *out);
int ws_raw_cleanup(int dev, unsigned int *startups);
/* A handle opened and started up with Winsock @version, or -1. */
int ws_open_started(uint16_t version);

/* --- sockets in states, on loopback ------------------------------------- */
/* @fd's own name in @ss: its length, 0 on failure. */
socklen_t local_name(int fd, struct sockaddr_storage *ss);
/* A socket of @family and @type bound to @addr (numeric, of @family), any port: the fd or -1. */
int bound_socket(int family, int type, const char *addr);
/* A socket of @family (AF_INET or AF_INET6) and @type bound to loopback, any port. */
int loopback_socket(int family, int type);
/* A TCP listener on @addr (numeric, of @family), any port: the fd or -1. */
int tcp_listener_at(int family, const char *addr, int backlog);
int tcp_listener(int family, int backlog);
/*
 * A new socket connected to the address @listener (a TCP or AF_UNIX
 * stream listener) is bound to, its connection accepted in *@accepted:
 * the fd, or -1 with nothing left open.
 */
int connect_accept(int listener, int *accepted);

/* A connected TCP pair and the listener it came through. */
struct tcp_conn {
	int listener, client, server;
	struct sockaddr_storage lname, cname;
	socklen_t llen, clen;
};
int tcp_connect(struct tcp_conn *c, int family);
/*
 * A TCP connect still in progress (SYN_SENT): @c->client, non-blocking,
 * connects to a listener of backlog 0 whose accept queue @c->server's
 * connection already fills, so the SYN is dropped.  0 once connect()
 * has said EINPROGRESS.  tcp_close() closes it as well.
 */
int tcp_connect_pending(struct tcp_conn *c, int family);
void tcp_close(struct tcp_conn *c);
/* SO_LINGER 0: @fd's close resets the connection, leaving no TIME_WAIT. */
void set_linger0(int fd);
/* tcp_close() with a reset on both ends. */
void tcp_close_rst(struct tcp_conn *c);

/* A socket of @family and @type (flags allowed) connected to @to: the fd or -1. */
int connected_socket(int family, int type, const void *to, socklen_t len);
/*
 * A non-blocking socket of @family and @type whose connect() to @to has
 * been made, whatever it answered (done, in progress or refused): the fd,
 * or -1 when there is no socket.
 */
int connecting_socket(int family, int type, const void *to, socklen_t len);
/* A UDP socket bound to loopback, its name in @name: the fd or -1. */
int udp_bound(int family, struct sockaddr_storage *name, socklen_t *len);

/* The abstract AF_UNIX name "winsock-@prog-<pid>-@what" in @sun: its length. */
socklen_t unix_abstract_name(struct sockaddr_un *sun, const char *prog, const char *what);
/*
 * An AF_UNIX socket of @type bound at @sun, listening with @backlog unless
 * it is SOCK_DGRAM: the fd or -1.
 */
int unix_bound(int type, const struct sockaddr_un *sun, socklen_t len, int backlog);

/*
 * An AF_UNIX connection of @type through a listener bound at the first
 * @nlen bytes of @name (a leading NUL makes it abstract; a path is
 * unlinked before the bind and by unix_conn_close()): 0 or -1.
 */
struct unix_conn {
	int listener, client, server;
	struct sockaddr_un name;
	socklen_t len;
};
int unix_connect(struct unix_conn *u, int type, const void *name, size_t nlen);
void unix_conn_close(struct unix_conn *u);

/* Pass a descriptor over a unix socket (SCM_RIGHTS): 0 or -1. */
int ws_send_fd(int sock, int fd);
/* The descriptor ws_send_fd() passed, or -1. */
int ws_recv_fd(int sock);

/* --- the module ------------------------------------------------------------ */
/* Root only: make every lookup fail with WSAENETDOWN ("1") or not ("0"). */
int set_provider_down(const char *v);
/*
 * Root only: the module's fast peer read on (the default) or every lookup
 * through the protocols' getname (kmod/inet_peer.h): 0 or -1.
 */
int set_fast_peer(bool on);
/* Load the module from $WINSOCK_KO (the guest sets it): 0 or -errno. */
int module_load(void);
bool module_listed(void);
/* The module's reference count: one per open handle; -1 if not loaded. */
int module_refcnt(void);
/*
 * A module parameter (/sys/module/winsock/parameters/@name) as a number:
 * param_get() 0 or -1, param_set() 0 or write_file()'s -errno (-ENOENT:
 * the module or the parameter is not there).
 */
int param_get(const char *name, long *v);
int param_set(const char *name, long v);

/* --- files and time ----------------------------------------------------- */
/*
 * Write @s to @path, opened O_WRONLY | @flags: O_TRUNC for a regular file
 * or a tracefs buffer that must be emptied, 0 for a sysfs or proc knob.
 * 0, or -errno (-EIO for a short write).
 */
int write_file(const char *path, const char *s, int flags);
/* All of @path, up to @size - 1 bytes, into @buf, NUL-terminated: 0 or -errno. */
int read_file(const char *path, char *buf, size_t size);
uint64_t now_ms(void);

/*
 * A FIXTURE_SETUP that may skip uses SETUP_SKIP() instead of SKIP(), and
 * the TEST_F bodies of that fixture start with SKIPPED_IN_SETUP(): 6.1's
 * harness still runs the body after a skip in the setup, later ones do
 * not.  Setup and body run in the same forked child under both, so a
 * process-wide flag carries the skip from one to the other without
 * reaching into the harness.
 */
extern bool ws_setup_skipped;
#define SETUP_SKIP(statement, fmt, ...) do {		\
	ws_setup_skipped = true;			\
	SKIP(statement, fmt, ##__VA_ARGS__);		\
} while (0)
#define SKIPPED_IN_SETUP() do {				\
	if (ws_setup_skipped)				\
		return;					\
} while (0)

#endif /* _WINSOCK_HELPERS_H */
