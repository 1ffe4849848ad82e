/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What a lookup may answer while its descriptor changes, learnt from
 * Linux getpeername(2) in each state, and lookups judged against it.
 */
#ifndef WINSOCK_RACE_LEGAL_H
#define WINSOCK_RACE_LEGAL_H

#include "race.h"

#define NAME_CAP	WINSOCK_BATCH_NAME_SIZE
#define BATCH		8	/* entries of a batch lookup */

/*
 * What a lookup may answer, per layout ([0] Windows, [1] native): error
 * codes, and the exact bytes of every address it may return.
 */
#define MAX_ANSWERS 8

struct answer {
	int size;
	uint8_t bytes[NAME_CAP];
};

struct legal {
	bool notsock, notconn, notinit, inprogress;
	int n;
	struct answer a[MAX_ANSWERS];
};

struct legal_set {
	struct legal layout[2];
};

#define LAYOUT(flags)	(((flags) & WINSOCK_GPN_NATIVE) ? 1 : 0)

static void legal_add(struct legal *l, int size, const void *bytes)
{
	if (l->n < MAX_ANSWERS) {
		l->a[l->n].size = size;
		memset(l->a[l->n].bytes, 0, NAME_CAP);
		memcpy(l->a[l->n].bytes, bytes, size);
		l->n++;
	}
}

/* A state with this native peer: its answer in both layouts. */
static void legal_peer(struct legal_set *ls, const struct sockaddr_storage *ss,
		       socklen_t len)
{
	uint8_t win[NAME_CAP] = { 0 };
	uint16_t wfamily;
	int wsize;

	legal_add(&ls->layout[1], len, ss);
	switch (ss->ss_family) {
	case AF_INET:
		wfamily = WINSOCK_AF_INET;
		wsize = WINSOCK_SOCKADDR_IN_SIZE;
		break;
	case AF_INET6:
		wfamily = WINSOCK_AF_INET6;
		wsize = WINSOCK_SOCKADDR_IN6_SIZE;
		break;
	case AF_UNIX:
		wfamily = WINSOCK_AF_UNIX;
		wsize = WINSOCK_SOCKADDR_UN_SIZE;
		break;
	default:
		/* No Windows provider for the family. */
		ls->layout[0].notsock = true;
		return;
	}
	/* Windows' layout: the native bytes, its family, zeros to its size. */
	memcpy(win, ss, len);
	memcpy(win, &wfamily, sizeof(wfamily));
	legal_add(&ls->layout[0], wsize, win);
}

/* The peer @fd has now, as Linux getpeername(2) reports it. */
static int legal_peer_of(struct legal_set *ls, int fd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	memset(&ss, 0, sizeof(ss));
	if (getpeername(fd, (struct sockaddr *)&ss, &len))
		return -1;
	legal_peer(ls, &ss, len);
	return 0;
}

/* A socket of @family without a peer. */
static void legal_no_peer(struct legal_set *ls, int family)
{
	ls->layout[1].notconn = true;
	if (family == AF_INET || family == AF_INET6 || family == AF_UNIX)
		ls->layout[0].notconn = true;
	else
		ls->layout[0].notsock = true;
}

static void legal_not_socket(struct legal_set *ls)
{
	ls->layout[0].notsock = ls->layout[1].notsock = true;
}

static void hex(char *out, size_t size, const uint8_t *b, int n)
{
	int i, o = 0;

	out[0] = '\0';
	for (i = 0; i < n && o + 3 < (int)size; i++)
		o += snprintf(out + o, size - o, "%02x", b[i]);
}

/*
 * Judge one answer.  @name is the caller's buffer after the call, @cap
 * bytes of it poisoned before; @size the namelen after the call, @size0
 * before.  Returns NULL when the answer is legal, else why not.
 */
static const char *judge(const struct legal *l, int result, int size0,
			 int size, const uint8_t *name, int cap,
			 char *why, size_t whylen)
{
	char h[2 * 32 + 1];
	bool allowed;
	int i, j;

	if (result == 0) {
		for (i = 0; i < l->n; i++) {
			if (l->a[i].size != size ||
			    memcmp(l->a[i].bytes, name, size))
				continue;
			for (j = size; j < cap; j++)
				if (name[j] != POISON) {
					snprintf(why, whylen,
						 "byte %d past the %d-byte address written", j, size);
					return why;
				}
			return NULL;
		}
		hex(h, sizeof(h), name, size < 32 ? (size < 0 ? 0 : size) : 32);
		snprintf(why, whylen,
			 "success with an address the descriptor never had: size %d, %s",
			 size, h);
		return why;
	}
	switch (result) {
	case WINSOCK_WSAENOTSOCK:
		allowed = l->notsock;
		break;
	case WINSOCK_WSAENOTCONN:
		allowed = l->notconn;
		break;
	case WINSOCK_WSANOTINITIALISED:
		allowed = l->notinit;
		break;
	case WINSOCK_WSAEINPROGRESS:
		allowed = l->inprogress;
		break;
	default:
		allowed = false;
	}
	if (!allowed) {
		snprintf(why, whylen, "answer %d is not legal here", result);
		return why;
	}
	if (size != size0) {
		snprintf(why, whylen, "failure %d changed namelen %d to %d",
			 result, size0, size);
		return why;
	}
	for (j = 0; j < cap; j++)
		if (name[j] != POISON) {
			snprintf(why, whylen, "failure %d wrote byte %d", result, j);
			return why;
		}
	return NULL;
}

/*
 * One single lookup of @fd through @dev, judged; -EBADF is legal when
 * @badf_ok (the handle itself may be closed meanwhile).  Returns the
 * answer, or INT_MIN after recording a failure.
 */
static int lookup_single(struct verdict *v, const struct legal_set *ls,
			 int dev, uint64_t fd, uint32_t flags, bool badf_ok)
{
	uint8_t buf[NAME_CAP + 16];
	char why[256];
	int len = NAME_CAP, rc;
	const char *bad;

	memset(buf, POISON, sizeof(buf));
	rc = ws_raw_getpeername(dev, fd, buf, &len, flags);
	if (rc < 0) {
		if (rc == -EBADF && badf_ok)
			return rc;
		fail_once(v, "single lookup of %llu (flags %u): request failed: %s",
			  (unsigned long long)fd, flags, strerror(-rc));
		return INT_MIN;
	}
	bad = judge(&ls->layout[LAYOUT(flags)], rc, NAME_CAP, len, buf,
		    sizeof(buf), why, sizeof(why));
	if (bad) {
		fail_once(v, "single lookup of %llu (flags %u): %s",
			  (unsigned long long)fd, flags, bad);
		return INT_MIN;
	}
	return rc;
}

/* A batch of BATCH lookups of @fd, layouts alternating, each judged. */
static int lookup_batch(struct verdict *v, const struct legal_set *ls,
			int dev, uint64_t fd, struct tally *t, bool badf_ok)
{
	struct winsock_peer_entry e[BATCH];
	char why[256];
	const char *bad;
	int i, rc;

	for (i = 0; i < BATCH; i++) {
		memset(&e[i], POISON, sizeof(e[i]));
		e[i].socket = fd;
		e[i].flags = (i & 1) ? WINSOCK_GPN_NATIVE : 0;
		e[i].namelen = NAME_CAP;
		e[i].reserved = 0;
	}
	rc = ws_raw_batch(dev, e, BATCH);
	if (rc) {
		if (rc == -EBADF && badf_ok) {
			tally_add(t, rc);
			return 0;
		}
		fail_once(v, "batch on %llu: request failed: %d",
			  (unsigned long long)fd, rc);
		return -1;
	}
	for (i = 0; i < BATCH; i++) {
		bad = judge(&ls->layout[LAYOUT(e[i].flags)], (int)e[i].result,
			    NAME_CAP, e[i].namelen, e[i].name, NAME_CAP,
			    why, sizeof(why));
		if (bad) {
			fail_once(v, "batch entry %d of %llu (flags %u): %s", i,
				  (unsigned long long)fd, e[i].flags, bad);
			return -1;
		}
		tally_add(t, (int)e[i].result);
	}
	return 0;
}

/* A single lookup, judged as lookup_single() does and counted in @t. */
static int lookup_counted(struct verdict *v, const struct legal_set *ls,
			  int dev, uint64_t fd, uint32_t flags, struct tally *t,
			  bool badf_ok)
{
	int rc = lookup_single(v, ls, dev, fd, flags, badf_ok);

	if (rc == INT_MIN)
		return -1;
	tally_add(t, rc);
	return 0;
}

/*
 * Look @fd up through @dev until stopped or an answer is not legal:
 * single lookups in either layout and batches, in turn.
 */
static void lookup_until_stopped(struct verdict *v, const struct legal_set *ls,
				 int dev, uint64_t fd, struct tally *t)
{
	unsigned int i;

	for (i = 0; !stopped(v); i++) {
		if (i & 1 ? lookup_batch(v, ls, dev, fd, t, false) :
		    lookup_counted(v, ls, dev, fd, (i & 2) ? WINSOCK_GPN_NATIVE : 0,
				   t, false))
			break;
	}
}

#endif /* WINSOCK_RACE_LEGAL_H */
