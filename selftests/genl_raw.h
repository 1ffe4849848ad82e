/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The audit stream's family through a raw NETLINK_GENERIC socket, for the
 * selftests that are built 32-bit too (where libnl is not installed) and
 * for those that must see the wire itself: the attribute walk, the family
 * id out of CTRL_CMD_GETFAMILY, requests and their acknowledgement,
 * WINSOCK_CMD_SUBSCRIBE/UNSUBSCRIBE, the events and the GET_STATS reply.
 * Every read goes through one receive loop, genl_recv(), which hands
 * each message to a callback: the acknowledgement a request waits for,
 * the events a subscriber counts, or whatever a caller looks for.
 */
#ifndef _WINSOCK_GENL_RAW_H
#define _WINSOCK_GENL_RAW_H

#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <linux/winsock.h>

struct genl {
	int fd;
	uint16_t family;
	uint32_t portid;	/* this socket's netlink port */
	uint32_t seq;		/* of the last request */
};

#define NLA_FOR_EACH(a, head, len)					\
	for ((a) = (head); (len) >= (int)NLA_HDRLEN &&			\
	     (a)->nla_len >= NLA_HDRLEN && (a)->nla_len <= (len);	\
	     (len) -= NLA_ALIGN((a)->nla_len),				\
	     (a) = (struct nlattr *)((char *)(a) + NLA_ALIGN((a)->nla_len)))

static inline void *nla_data_of(struct nlattr *a)
{
	return (char *)a + NLA_HDRLEN;
}

static inline int nla_type_of(const struct nlattr *a)
{
	return a->nla_type & NLA_TYPE_MASK;
}

/* An attribute's value copied into @v of @size bytes, zero-extended. */
static inline void nla_get(struct nlattr *a, void *v, size_t size)
{
	size_t n = a->nla_len - NLA_HDRLEN;

	memset(v, 0, size);
	memcpy(v, nla_data_of(a), n < size ? n : size);
}

/* The attributes of a generic netlink message, and their length. */
static inline struct nlattr *genl_attrs(struct nlmsghdr *nh, int *len)
{
	*len = (int)nh->nlmsg_len - NLMSG_LENGTH(GENL_HDRLEN);
	return (struct nlattr *)((char *)NLMSG_DATA(nh) + GENL_HDRLEN);
}

/* A request: the headers and room for a few attributes. */
struct genl_msg {
	struct nlmsghdr nh;
	struct genlmsghdr gh;
	char attrs[128];
};

static inline void genl_msg_init(struct genl_msg *m, uint16_t type, uint8_t cmd)
{
	memset(m, 0, sizeof(*m));
	m->nh.nlmsg_type = type;
	m->nh.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	m->nh.nlmsg_len = NLMSG_LENGTH(GENL_HDRLEN);
	m->gh.cmd = cmd;
	m->gh.version = WINSOCK_GENL_VERSION;
}

static inline void genl_msg_put(struct genl_msg *m, uint16_t type,
				const void *data, uint16_t len)
{
	struct nlattr *a = (struct nlattr *)((char *)m + NLMSG_ALIGN(m->nh.nlmsg_len));

	a->nla_type = type;
	a->nla_len = NLA_HDRLEN + len;
	memcpy(nla_data_of(a), data, len);
	m->nh.nlmsg_len = NLMSG_ALIGN(m->nh.nlmsg_len) + NLA_ALIGN(a->nla_len);
}

/* Send @m, numbered with the socket's next sequence number: 0 or -errno. */
static inline int genl_send(struct genl *g, struct genl_msg *m)
{
	struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };

	m->nh.nlmsg_seq = ++g->seq;
	return sendto(g->fd, m, m->nh.nlmsg_len, 0, (struct sockaddr *)&kernel,
		      sizeof(kernel)) < 0 ? -errno : 0;
}

/*
 * Send @m without asking for the acknowledgement: a failed request is
 * still answered with an error message, which comes in with whatever
 * else the socket reads (genl_recv()).
 */
static inline int genl_post(struct genl *g, struct genl_msg *m)
{
	m->nh.nlmsg_flags &= ~NLM_F_ACK;
	return genl_send(g, m);
}

/* Handed each message read; true ends the datagram (the rest is skipped). */
typedef bool (*genl_msg_cb)(struct nlmsghdr *nh, void *arg);

/*
 * The one receive loop.  Wait up to @ms for the socket to be readable,
 * read one datagram and hand its messages to @cb in order: 1 when one
 * was read, 0 when none came in time, -errno when the read failed
 * (-ENOBUFS: the receive buffer overflowed, messages were lost).  The
 * buffer is static, as the tests read from one thread at a time: a
 * callback must not read again.
 */
static inline int genl_recv(struct genl *g, int ms, genl_msg_cb cb, void *arg)
{
	struct pollfd pfd = { .fd = g->fd, .events = POLLIN };
	static char buf[262144];
	struct nlmsghdr *nh;
	int len;

	if (poll(&pfd, 1, ms) != 1)
		return 0;
	len = recv(g->fd, buf, sizeof(buf), MSG_DONTWAIT);
	if (len < 0)
		return -errno;
	for (nh = (struct nlmsghdr *)buf; NLMSG_OK(nh, len); nh = NLMSG_NEXT(nh, len))
		if (cb(nh, arg))
			break;
	return 1;
}

/*
 * Read all that is queued, without waiting, handing each message to
 * @cb: the number of receive buffer overflows met on the way (messages
 * were lost at each).  It stops when nothing is left or a read fails.
 */
static inline int genl_recv_queued(struct genl *g, genl_msg_cb cb, void *arg)
{
	int rc, overruns = 0;

	for (;;) {
		rc = genl_recv(g, 0, cb, arg);
		if (rc == -ENOBUFS)
			overruns++;
		else if (rc != -EINTR && rc <= 0)
			return overruns;
	}
}

/* A request awaiting its acknowledgement, and what answers it. */
struct genl_wait {
	uint32_t seq;
	uint16_t type;
	void (*reply)(struct nlmsghdr *nh, void *arg);
	void *arg;
	bool acked;
	int error;
};

static inline bool genl_wait_msg(struct nlmsghdr *nh, void *arg)
{
	struct genl_wait *w = arg;

	if (nh->nlmsg_seq != w->seq)
		return false;
	if (nh->nlmsg_type == NLMSG_ERROR) {
		w->error = ((struct nlmsgerr *)NLMSG_DATA(nh))->error;
		w->acked = true;
		return true;
	}
	if (w->reply && nh->nlmsg_type == w->type)
		w->reply(nh, w->arg);
	return false;
}

/*
 * Send @m and wait for its acknowledgement: 0 or -errno.  Messages of
 * @m's type that answer it (same sequence number) go to @reply, if
 * given; anything else read meanwhile (events among them) is discarded,
 * so a subscribed socket loses what arrives during a request.
 */
static inline int genl_transact(struct genl *g, struct genl_msg *m,
				void (*reply)(struct nlmsghdr *nh, void *arg),
				void *arg)
{
	struct genl_wait w = { .type = m->nh.nlmsg_type, .reply = reply, .arg = arg };
	bool overrun = false;
	int rc, tries;

	rc = genl_send(g, m);
	if (rc)
		return rc;
	w.seq = g->seq;
	/* Bounded even while events keep the socket readable. */
	for (tries = 0; tries < 100000; tries++) {
		rc = genl_recv(g, 5000, genl_wait_msg, &w);
		if (w.acked)
			return w.error;
		if (!rc)
			break;
		/*
		 * An overflow of events is not the request's answer, but the
		 * answer may have been lost in it.
		 */
		overrun |= rc == -ENOBUFS;
		if (rc < 0 && rc != -ENOBUFS && rc != -EAGAIN && rc != -EINTR)
			return rc;
	}
	return overrun ? -ENOBUFS : -ETIMEDOUT;
}

static inline void genl_family_reply(struct nlmsghdr *nh, void *arg)
{
	struct genl *g = arg;
	struct nlattr *a;
	int alen;

	NLA_FOR_EACH(a, genl_attrs(nh, &alen), alen)
		if (nla_type_of(a) == CTRL_ATTR_FAMILY_ID)
			nla_get(a, &g->family, sizeof(g->family));
}

/* A request without attributes (@family_name: CTRL_CMD_GETFAMILY's). */
static inline int genl_request(struct genl *g, uint16_t type, uint8_t cmd,
			       const char *family_name)
{
	struct genl_msg m;

	genl_msg_init(&m, type, cmd);
	if (!family_name)
		return genl_transact(g, &m, NULL, NULL);
	m.gh.version = 1;
	genl_msg_put(&m, CTRL_ATTR_FAMILY_NAME, family_name, strlen(family_name) + 1);
	return genl_transact(g, &m, genl_family_reply, g);
}

/* A socket for @family (0: not known yet), nothing sent: 0 or -errno. */
static inline int genl_socket(struct genl *g, uint16_t family)
{
	memset(g, 0, sizeof(*g));
	g->family = family;
	g->fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_GENERIC);
	return g->fd < 0 ? -errno : 0;
}

/* Open a socket and resolve the family: 0 or -errno (-ENOENT: no family). */
static inline int genl_open(struct genl *g)
{
	struct sockaddr_nl me;
	socklen_t len = sizeof(me);
	int err;

	err = genl_socket(g, 0);
	if (err)
		return err;
	err = genl_request(g, GENL_ID_CTRL, CTRL_CMD_GETFAMILY, WINSOCK_GENL_NAME);
	if (!err && !g->family)
		err = -EIO;
	if (!err && getsockname(g->fd, (struct sockaddr *)&me, &len))
		err = -errno;
	if (err) {
		close(g->fd);
		g->fd = -1;
		return err;
	}
	g->portid = me.nl_pid;
	return 0;
}

/*
 * In a FIXTURE_SETUP (the harness and helpers.h's SETUP_SKIP() at the
 * point of use): genl_open(@g), the test skipped when not root (@why_root
 * says what root is for) or when the module has no audit stream.
 */
#define SETUP_GENL_OPEN(g, why_root) do {					\
	int _err;								\
										\
	if (geteuid())								\
		SETUP_SKIP(return, "%s", why_root);				\
	_err = genl_open(g);							\
	if (_err == -ENOENT)							\
		SETUP_SKIP(return, "the module has no audit stream (WINSOCK_AUDIT=n)"); \
	ASSERT_EQ(0, _err);							\
} while (0)

/* SUBSCRIBE; @flags, if not 0, as WINSOCK_A_SUB_FLAGS: 0 or -errno. */
static inline int genl_subscribe(struct genl *g, uint32_t flags)
{
	struct genl_msg m;

	genl_msg_init(&m, g->family, WINSOCK_CMD_SUBSCRIBE);
	if (flags)
		genl_msg_put(&m, WINSOCK_A_SUB_FLAGS, &flags, sizeof(flags));
	return genl_transact(g, &m, NULL, NULL);
}

static inline int genl_unsubscribe(struct genl *g)
{
	return genl_request(g, g->family, WINSOCK_CMD_UNSUBSCRIBE, NULL);
}

/*
 * UNSUBSCRIBE without asking for the acknowledgement: on a socket whose
 * receive buffer events keep full, netlink drops the answer (the request
 * itself is carried out); ask GET_STATS on another socket instead.
 */
static inline int genl_unsubscribe_noack(struct genl *g)
{
	struct genl_msg m;

	genl_msg_init(&m, g->family, WINSOCK_CMD_UNSUBSCRIBE);
	return genl_post(g, &m);
}

/* The receive buffer: forced past rmem_max when allowed (root). */
static inline int genl_rcvbuf(struct genl *g, int bytes)
{
	if (!setsockopt(g->fd, SOL_SOCKET, SO_RCVBUFFORCE, &bytes, sizeof(bytes)))
		return 0;
	return setsockopt(g->fd, SOL_SOCKET, SO_RCVBUF, &bytes, sizeof(bytes)) ?
	       -errno : 0;
}

static inline void genl_close(struct genl *g)
{
	if (g->fd >= 0)
		close(g->fd);
	g->fd = -1;
}

/* One WINSOCK_CMD_EVENT.  Absent attributes read as 0. */
struct genl_event {
	uint64_t seq, timestamp, socket;
	uint64_t netns_cookie, caller_netns_cookie;
	uint32_t netns_ino, caller_netns_ino;
	uint32_t pid, tid, uid, gid;
	uint32_t family, type, protocol, result, version, flags;
	bool has_socket, has_netns;
	char comm[17];
	int peerlen;
	unsigned char peer[128];
};

static inline void genl_parse_event(struct nlmsghdr *nh, struct genl_event *e)
{
	struct nlattr *a;
	int alen;

	memset(e, 0, sizeof(*e));
	NLA_FOR_EACH(a, genl_attrs(nh, &alen), alen) {
		switch (nla_type_of(a)) {
		case WINSOCK_A_SEQ: nla_get(a, &e->seq, 8); break;
		case WINSOCK_A_TIMESTAMP: nla_get(a, &e->timestamp, 8); break;
		case WINSOCK_A_SOCKET: nla_get(a, &e->socket, 8); break;
		case WINSOCK_A_PID: nla_get(a, &e->pid, 4); break;
		case WINSOCK_A_TID: nla_get(a, &e->tid, 4); break;
		case WINSOCK_A_UID: nla_get(a, &e->uid, 4); break;
		case WINSOCK_A_GID: nla_get(a, &e->gid, 4); break;
		case WINSOCK_A_COMM: nla_get(a, e->comm, sizeof(e->comm) - 1); break;
		case WINSOCK_A_FAMILY:
			e->has_socket = true;
			nla_get(a, &e->family, 4);
			break;
		case WINSOCK_A_TYPE: nla_get(a, &e->type, 4); break;
		case WINSOCK_A_PROTOCOL: nla_get(a, &e->protocol, 4); break;
		case WINSOCK_A_RESULT: nla_get(a, &e->result, 4); break;
		case WINSOCK_A_VERSION: nla_get(a, &e->version, 4); break;
		case WINSOCK_A_FLAGS: nla_get(a, &e->flags, 4); break;
		case WINSOCK_A_NETNS_COOKIE:
			e->has_netns = true;
			nla_get(a, &e->netns_cookie, 8);
			break;
		case WINSOCK_A_NETNS_INO: nla_get(a, &e->netns_ino, 4); break;
		case WINSOCK_A_CALLER_NETNS_COOKIE:
			nla_get(a, &e->caller_netns_cookie, 8);
			break;
		case WINSOCK_A_CALLER_NETNS_INO:
			nla_get(a, &e->caller_netns_ino, 4);
			break;
		case WINSOCK_A_PEER:
			e->peerlen = a->nla_len - NLA_HDRLEN;
			nla_get(a, e->peer, sizeof(e->peer));
			break;
		}
	}
}

/* Whether @nh is one of the family's WINSOCK_CMD_EVENTs. */
static inline bool genl_is_event(const struct genl *g, struct nlmsghdr *nh)
{
	return nh->nlmsg_type == g->family && nh->nlmsg_len >= NLMSG_LENGTH(GENL_HDRLEN) &&
	       ((struct genlmsghdr *)NLMSG_DATA(nh))->cmd == WINSOCK_CMD_EVENT;
}

typedef void (*genl_event_cb)(const struct genl_event *e, void *arg);

struct genl_events {
	const struct genl *g;
	genl_event_cb cb;
	void *arg;
	int n;
};

static inline bool genl_events_msg(struct nlmsghdr *nh, void *arg)
{
	struct genl_events *ev = arg;
	struct genl_event e;

	if (!genl_is_event(ev->g, nh))
		return false;
	genl_parse_event(nh, &e);
	ev->n++;
	if (ev->cb)
		ev->cb(&e, ev->arg);
	return false;
}

/*
 * Wait up to @ms for the socket to be readable, read one datagram and
 * hand each event in it to @cb: the number of events, 0 when nothing
 * came, -ENOBUFS on a receive buffer overflow, -errno on other errors.
 */
static inline int genl_recv_events(struct genl *g, int ms, genl_event_cb cb,
				   void *arg)
{
	struct genl_events ev = { .g = g, .cb = cb, .arg = arg };
	int rc = genl_recv(g, ms, genl_events_msg, &ev);

	if (rc == -EAGAIN || rc == -EINTR)
		return 0;
	return rc < 0 ? rc : ev.n;
}

/* One subscriber in the GET_STATS reply. */
struct genl_sub {
	uint32_t portid, flags, queued;
	uint64_t sent, dropped, seq;
};

struct genl_stats {
	uint64_t lookups, sent, dropped, audit_suppressed;
	int nresults;
	uint32_t result[16];
	uint64_t count[16];
	int nsubs;
	struct genl_sub sub[WINSOCK_SUBSCRIBERS_MAX];
};

static inline void genl_stats_reply(struct nlmsghdr *nh, void *arg)
{
	struct genl_stats *st = arg;
	struct nlattr *a, *n;
	int alen, nlen;

	NLA_FOR_EACH(a, genl_attrs(nh, &alen), alen) {
		nlen = a->nla_len - NLA_HDRLEN;
		switch (nla_type_of(a)) {
		case WINSOCK_A_STATS_LOOKUPS: nla_get(a, &st->lookups, 8); break;
		case WINSOCK_A_STATS_EVENTS_SENT: nla_get(a, &st->sent, 8); break;
		case WINSOCK_A_STATS_EVENTS_DROPPED: nla_get(a, &st->dropped, 8); break;
		case WINSOCK_A_STATS_AUDIT_SUPPRESSED:
			nla_get(a, &st->audit_suppressed, 8);
			break;
		case WINSOCK_A_STATS_RESULT:
			if (st->nresults >= 16)
				break;
			NLA_FOR_EACH(n, (struct nlattr *)nla_data_of(a), nlen) {
				if (nla_type_of(n) == WINSOCK_A_RESULT)
					nla_get(n, &st->result[st->nresults], 4);
				else if (nla_type_of(n) == WINSOCK_A_STATS_COUNT)
					nla_get(n, &st->count[st->nresults], 8);
			}
			st->nresults++;
			break;
		case WINSOCK_A_STATS_SUBSCRIBER: {
			struct genl_sub *s;

			if (st->nsubs >= WINSOCK_SUBSCRIBERS_MAX)
				break;
			s = &st->sub[st->nsubs++];
			NLA_FOR_EACH(n, (struct nlattr *)nla_data_of(a), nlen) {
				switch (nla_type_of(n)) {
				case WINSOCK_A_SUB_PORTID: nla_get(n, &s->portid, 4); break;
				case WINSOCK_A_SUB_FLAGS: nla_get(n, &s->flags, 4); break;
				case WINSOCK_A_SUB_QUEUED: nla_get(n, &s->queued, 4); break;
				case WINSOCK_A_SUB_SENT: nla_get(n, &s->sent, 8); break;
				case WINSOCK_A_SUB_DROPPED: nla_get(n, &s->dropped, 8); break;
				case WINSOCK_A_SEQ: nla_get(n, &s->seq, 8); break;
				}
			}
			break;
		}
		}
	}
}

/* GET_STATS on @g (best not a subscribed socket): 0 or -errno. */
static inline int genl_get_stats(struct genl *g, struct genl_stats *st)
{
	struct genl_msg m;

	memset(st, 0, sizeof(*st));
	genl_msg_init(&m, g->family, WINSOCK_CMD_GET_STATS);
	return genl_transact(g, &m, genl_stats_reply, st);
}

/* The subscriber with netlink port @portid in @st, or NULL. */
static inline const struct genl_sub *genl_find_sub(const struct genl_stats *st,
						   uint32_t portid)
{
	for (int i = 0; i < st->nsubs; i++)
		if (st->sub[i].portid == portid)
			return &st->sub[i];
	return NULL;
}

/* What @st counted for result @result (0 if absent). */
static inline uint64_t genl_stat_of(const struct genl_stats *st, uint32_t result)
{
	for (int i = 0; i < st->nresults; i++)
		if (st->result[i] == result)
			return st->count[i];
	return 0;
}

#endif /* _WINSOCK_GENL_RAW_H */
