/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The audit-stream client: a libnl-3 client of the winsock audit stream
 * (the generic netlink family "winsock", version 2), shared by
 * winsock-audit, winsock-bench and selftests/audit_test.  Its names start
 * with wsa_ (winsock audit).
 */
#ifndef _WINSOCK_AUDIT_CLIENT_H
#define _WINSOCK_AUDIT_CLIENT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include <linux/winsock.h>

struct nl_sock;

/* One lookup, as the kernel reported it.  Absent fields read as 0. */
struct wsa_event {
	uint64_t seq;			/* per subscription: 1, 2, 3... */
	uint64_t timestamp_ns;		/* CLOCK_REALTIME */
	uint64_t socket;
	uint64_t netns_cookie;		/* the socket's namespace */
	uint64_t caller_netns_cookie;	/* the caller's namespace */
	uint32_t netns_ino;
	uint32_t caller_netns_ino;
	uint32_t pid;			/* as seen from the subscriber */
	uint32_t tid;
	uint32_t uid;
	uint32_t gid;
	uint32_t result;
	uint32_t version;
	uint32_t flags;
	int has_socket;			/* family/type/protocol are valid */
	int has_netns;			/* netns_cookie/netns_ino are valid */
	uint32_t family;
	uint32_t type;
	uint32_t protocol;
	char comm[16];
	int peerlen;			/* 0: no peer was read */
	struct sockaddr_storage peer;	/* native Linux layout */
};

/* The result codes the kernel counts, in its order. */
#define WSA_NRESULTS 7

/* One subscriber of the namespace, as GET_STATS reports it. */
struct wsa_subscriber {
	uint32_t portid;		/* its netlink port (wsa_portid()) */
	uint32_t flags;			/* WINSOCK_SUB_* */
	uint32_t queued;		/* events waiting in the kernel */
	uint64_t sent;
	uint64_t dropped;
	uint64_t seq;			/* the last number handed out */
};

struct wsa_stats {
	uint64_t lookups;
	int nresults;
	uint32_t result[WSA_NRESULTS];
	uint64_t count[WSA_NRESULTS];
	uint64_t events_sent;
	uint64_t events_dropped;
	int has_audit_suppressed;	/* initial namespace only */
	uint64_t audit_suppressed;
	int nsubscribers;
	struct wsa_subscriber sub[WINSOCK_SUBSCRIBERS_MAX];
};

/* The receive buffer wsa_subscribe() asks for unless told otherwise. */
#define WSA_RCVBUF_DEFAULT	(16 << 20)

struct wsa_conn {
	struct nl_sock *sk;
	int family;
	int rcvbuf_set;			/* wsa_set_rcvbuf() was called */
	/*
	 * Events that arrived while a request waited for its answer: the
	 * next wsa_receive() hands them out before reading the socket.
	 */
	struct wsa_event *pending;
	size_t npending, cap;
};

/*
 * Every call returns 0 or a negative errno:
 *   -ENODEV          the module is not loaded
 *   -EPROTONOSUPPORT the module has no "winsock" family of this version
 *   -EPERM           no CAP_NET_ADMIN over this network namespace
 *   -EEXIST          wsa_subscribe(): this connection is subscribed
 *   -ENOSPC          wsa_subscribe(): WINSOCK_SUBSCRIBERS_MAX reached
 *   -EINVAL          an unknown flag
 *   -ENOENT          wsa_unsubscribe(): not subscribed
 *   -ENOBUFS         the receive buffer overflowed: events were lost, the
 *                    next sequence number tells how many
 *   -EAGAIN          nothing to read (non-blocking)
 *   -ETIMEDOUT       the kernel did not answer a request
 *   -EIO             anything else
 */
int wsa_open(struct wsa_conn *c);
void wsa_close(struct wsa_conn *c);
int wsa_fd(const struct wsa_conn *c);
uint32_t wsa_portid(const struct wsa_conn *c);

/*
 * Subscribe this connection (@flags 0: reliable, lookups wait for room;
 * WINSOCK_SUB_BEST_EFFORT: never).  Sets the receive buffer to
 * WSA_RCVBUF_DEFAULT first unless wsa_set_rcvbuf() was called.  Returns
 * once the kernel acknowledged; events that came before the ack are held
 * for the next wsa_receive().
 */
int wsa_subscribe(struct wsa_conn *c, uint32_t flags);
int wsa_unsubscribe(struct wsa_conn *c);
/* SO_RCVBUFFORCE (needs CAP_NET_ADMIN), else SO_RCVBUF (capped by rmem_max). */
int wsa_set_rcvbuf(struct wsa_conn *c, int bytes);
int wsa_set_nonblocking(struct wsa_conn *c);

/*
 * Hand out the held events, or else read one datagram (several events)
 * and call @cb for each event in it; blocking unless set non-blocking.
 * Returns 0 (even if the datagram held no event), or an error.  A poll()
 * loop must call it until -EAGAIN before polling again: held events do not
 * make the descriptor readable (wsa_pending() tells whether there are any).
 */
int wsa_receive(struct wsa_conn *c,
		void (*cb)(const struct wsa_event *e, void *arg), void *arg);
size_t wsa_pending(const struct wsa_conn *c);

/*
 * Requests: they work on any connection, subscribed or not, blocking or
 * not; on a subscribed one the events read while waiting for the answer are
 * held (see wsa_receive()).  On a subscribed connection whose receive
 * buffer is full the kernel may drop the answer (-ENOBUFS): a separate
 * connection for requests avoids that.
 */
int wsa_get_stats(struct wsa_conn *c, struct wsa_stats *st);
int wsa_reset_stats(struct wsa_conn *c);

/* Text forms: audit_format.c. */
const char *wsa_strerror(int err);
const char *wsa_result_name(uint32_t result);

/*
 * "127.0.0.1:80", "[::1]:80", "/path", "@abstract" or "" (no peer).  In
 * unix names every byte below 0x21 or above 0x7e, '\\' and '"' is written
 * \xNN, so the text holds no space, control byte or quote.
 */
#define WSA_PEER_MAX	(2 + 4 * sizeof(struct sockaddr_storage))
void wsa_format_peer(char *buf, size_t size, const struct wsa_event *e);

/*
 * One event as one line, '\n' included, not NUL-terminated: its length.
 * JSON (the members winsock-audit(8) lists), or the key=value text whose
 * values hold no space, control byte, backslash, quote or byte >= 0x7f
 * (each written \xNN).
 * @clk caches the formatted date between events of the same second.
 */
#define WSA_LINE_MAX	2048
struct wsa_clock {
	int64_t sec;
	char prefix[80];
};
size_t wsa_format_json(char *buf, const struct wsa_event *e, struct wsa_clock *clk);
size_t wsa_format_text(char *buf, const struct wsa_event *e, struct wsa_clock *clk);

#endif /* _WINSOCK_AUDIT_CLIENT_H */
