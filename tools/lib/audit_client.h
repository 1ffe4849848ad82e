/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The audit-stream client: a libnl-3 client of the winsock audit stream
 * (the generic netlink family "winsock", version 2), shared by
 * winsock-audit, winsock-bench and selftests/audit_test.  Its names start
 * with auc_, AUC_ (audit-stream client): not wsa_, which reads like the
 * Windows WSA API that libwinsock is.
 */
#ifndef _WINSOCK_AUDIT_CLIENT_H
#define _WINSOCK_AUDIT_CLIENT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include <linux/winsock.h>

struct nl_sock;

/* One lookup, as the kernel reported it.  Absent fields read as 0. */
struct auc_event {
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
#define AUC_NRESULTS 7

/* One subscriber of the namespace, as GET_STATS reports it. */
struct auc_subscriber {
	uint32_t portid;		/* its netlink port (auc_portid()) */
	uint32_t flags;			/* WINSOCK_SUB_* */
	uint32_t queued;		/* events waiting in the kernel */
	uint64_t sent;
	uint64_t dropped;
	uint64_t seq;			/* the last number handed out */
};

struct auc_stats {
	uint64_t lookups;
	int nresults;
	uint32_t result[AUC_NRESULTS];
	uint64_t count[AUC_NRESULTS];
	uint64_t events_sent;
	uint64_t events_dropped;
	int has_audit_suppressed;	/* initial namespace only */
	uint64_t audit_suppressed;
	int nsubscribers;
	struct auc_subscriber sub[WINSOCK_SUBSCRIBERS_MAX];
};

/* The receive buffer auc_subscribe() asks for unless told otherwise. */
#define AUC_RCVBUF_DEFAULT	(16 << 20)

struct auc_conn {
	struct nl_sock *sk;
	int family;
	int rcvbuf_set;			/* auc_set_rcvbuf() was called */
	/*
	 * Events that arrived while a request waited for its answer: the
	 * next auc_receive() hands them out before reading the socket.
	 */
	struct auc_event *pending;
	size_t npending, cap;
};

/*
 * Every call returns 0 or a negative errno:
 *   -ENODEV          the module is not loaded
 *   -EPROTONOSUPPORT the module has no "winsock" family of this version
 *   -EPERM           no CAP_NET_ADMIN over this network namespace
 *   -EEXIST          auc_subscribe(): this connection is subscribed
 *   -ENOSPC          auc_subscribe(): WINSOCK_SUBSCRIBERS_MAX reached
 *   -EINVAL          an unknown flag
 *   -ENOENT          auc_unsubscribe(): not subscribed
 *   -ENOBUFS         the receive buffer overflowed: events were lost, the
 *                    next sequence number tells how many
 *   -EAGAIN          nothing to read (non-blocking)
 *   -ETIMEDOUT       the kernel did not answer a request
 *   -EIO             anything else
 */
int auc_open(struct auc_conn *c);
void auc_close(struct auc_conn *c);
int auc_fd(const struct auc_conn *c);
uint32_t auc_portid(const struct auc_conn *c);

/*
 * Subscribe this connection (@flags 0: reliable, lookups wait for room;
 * WINSOCK_SUB_BEST_EFFORT: never).  Sets the receive buffer to
 * AUC_RCVBUF_DEFAULT first unless auc_set_rcvbuf() was called.  Returns
 * once the kernel acknowledged; events that came before the ack are held
 * for the next auc_receive().
 */
int auc_subscribe(struct auc_conn *c, uint32_t flags);
int auc_unsubscribe(struct auc_conn *c);
/* SO_RCVBUFFORCE (needs CAP_NET_ADMIN), else SO_RCVBUF (capped by rmem_max). */
int auc_set_rcvbuf(struct auc_conn *c, int bytes);
int auc_set_nonblocking(struct auc_conn *c);

/*
 * Hand out the held events, or else read one datagram (several events)
 * and call @cb for each event in it; blocking unless set non-blocking.
 * Returns 0 (even if the datagram held no event), or an error.  A poll()
 * loop must call it until -EAGAIN before polling again: held events do not
 * make the descriptor readable (auc_pending() tells whether there are any).
 */
int auc_receive(struct auc_conn *c,
		void (*cb)(const struct auc_event *e, void *arg), void *arg);
size_t auc_pending(const struct auc_conn *c);

/*
 * Requests: they work on any connection, subscribed or not, blocking or
 * not; on a subscribed one the events read while waiting for the answer are
 * held (see auc_receive()).  On a subscribed connection whose receive
 * buffer is full the kernel may drop the answer (-ENOBUFS): a separate
 * connection for requests avoids that.
 */
int auc_get_stats(struct auc_conn *c, struct auc_stats *st);
int auc_reset_stats(struct auc_conn *c);

/* Text forms: audit_format.c. */
const char *auc_strerror(int err);
const char *auc_result_name(uint32_t result);

/*
 * "127.0.0.1:80", "[::1]:80", "/path", "@abstract" or "" (no peer).  In
 * unix names every byte below 0x21 or above 0x7e, '\\' and '"' is written
 * \xNN, so the text holds no space, control byte or quote.
 */
#define AUC_PEER_MAX	(2 + 4 * sizeof(struct sockaddr_storage))
void auc_format_peer(char *buf, size_t size, const struct auc_event *e);

/*
 * One event as one line, '\n' included, not NUL-terminated: its length.
 * JSON (the members winsock-audit(8) lists), or the key=value text whose
 * values hold no space, control byte, backslash, quote or byte >= 0x7f
 * (each written \xNN).
 * @clk caches the formatted date between events of the same second.
 */
#define AUC_LINE_MAX	2048
struct auc_clock {
	int64_t sec;
	char prefix[80];
};
size_t auc_format_json(char *buf, const struct auc_event *e, struct auc_clock *clk);
size_t auc_format_text(char *buf, const struct auc_event *e, struct auc_clock *clk);

#endif /* _WINSOCK_AUDIT_CLIENT_H */
