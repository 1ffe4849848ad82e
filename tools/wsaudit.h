/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * wsaudit: a libnl-3 client of the winsock audit stream (the generic
 * netlink family "winsock"), shared by winsock-audit and the selftests.
 */
#ifndef _WINSOCK_WSAUDIT_H
#define _WINSOCK_WSAUDIT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

struct nl_sock;

/* One lookup, as the kernel reported it.  Absent fields read as 0. */
struct wsa_event {
	uint64_t seq;
	uint64_t timestamp_ns;		/* CLOCK_REALTIME */
	uint64_t socket;
	uint64_t netns_cookie;
	uint32_t netns_ino;
	uint32_t pid;
	uint32_t tid;
	uint32_t uid;
	uint32_t gid;
	uint32_t result;
	uint32_t version;
	uint32_t flags;
	int has_socket;			/* family/type/protocol are valid */
	uint32_t family;
	uint32_t type;
	uint32_t protocol;
	char comm[16];
	int peerlen;			/* 0: no peer was read */
	struct sockaddr_storage peer;	/* native Linux layout */
};

/* The result codes the kernel counts, in its order. */
#define WSA_NRESULTS 7

struct wsa_stats {
	uint64_t lookups;
	int nresults;
	uint32_t result[WSA_NRESULTS];
	uint64_t count[WSA_NRESULTS];
	uint64_t events_sent;
	uint64_t events_dropped;
};

struct wsa_conn {
	struct nl_sock *sk;
	int family;
	int group;
};

/*
 * Every call returns 0 or a negative errno: -ENODEV (module not loaded),
 * -ENOENT (module loaded but without the family: an older module),
 * -EPERM (no CAP_NET_ADMIN over this network namespace), -EINTR, -ENOBUFS
 * (the receive buffer overflowed: events were lost, the next sequence
 * number tells how many), -EAGAIN (nothing to read), -EIO otherwise.
 */
int wsa_open(struct wsa_conn *c);
void wsa_close(struct wsa_conn *c);
int wsa_subscribe(struct wsa_conn *c);
int wsa_set_rcvbuf(struct wsa_conn *c, int bytes);
int wsa_fd(const struct wsa_conn *c);

/* Read what is queued, calling @cb for each event; blocking unless set. */
int wsa_receive(struct wsa_conn *c,
		void (*cb)(const struct wsa_event *e, void *arg), void *arg);
int wsa_set_nonblocking(struct wsa_conn *c);

int wsa_get_stats(struct wsa_conn *c, struct wsa_stats *st);
int wsa_reset_stats(struct wsa_conn *c);

const char *wsa_strerror(int err);
const char *wsa_result_name(uint32_t result);
/* "127.0.0.1:80", "[::1]:80", "/path", "@abstract" or "" (no peer). */
void wsa_format_peer(char *buf, size_t size, const struct wsa_event *e);

#endif /* _WINSOCK_WSAUDIT_H */
