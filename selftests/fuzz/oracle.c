// SPDX-License-Identifier: GPL-2.0
/*
 * The oracle: which answers the ABI allows for a call, exactly which one
 * where it is known, and the failure reports (seed, call, reason).
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <netinet/in.h>
#include <sys/ioctl.h>

#include "wsa_names.h"
#include "fuzz.h"

/* --- failures -------------------------------------------------------- */

static const char *wsa_name(uint32_t code)
{
	const char *name = code ? wsa_code_name(code) : "0";

	return name ? name : "(not a WSA code)";
}

static const char *errno_name(int err)
{
	switch (err) {
	case EFAULT:	return "EFAULT";
	case EINVAL:	return "EINVAL";
	case ENOTTY:	return "ENOTTY";
	case EBADF:	return "EBADF";
	case EOVERFLOW:	return "EOVERFLOW";
	default:	return strerror(err);
	}
}

/* Report one failure of anything but a fuzzer, with the seed. */
void fail_msg(const char *who, const char *fmt, ...)
{
	char why[512];
	va_list ap;
	uint64_t n;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	pthread_mutex_lock(&world.fail_lock);
	n = ++world.failures;
	if (n <= MAX_REPORTS)
		fprintf(stderr, "# fuzz: FAIL seed=%" PRIu64 " %s: %s\n",
			cfg.seed, who, why);
	else if (n == MAX_REPORTS + 1)
		fprintf(stderr, "# fuzz: more failures, not reported\n");
	pthread_mutex_unlock(&world.fail_lock);
}

const char *const outcome_name[S_NR] = {
	"0", "WSANOTINITIALISED", "WSAEINPROGRESS", "WSAENOTSOCK",
	"WSAENETDOWN", "WSAENOTCONN", "WSAEFAULT", "WSAVERNOTSUPPORTED",
	"WSAEINVAL", "-EFAULT", "-EINVAL", "-ENOTTY", "-EBADF", "-EOVERFLOW",
	"other",
};

static bool overlap(uint64_t a, uint64_t alen, uint64_t b, uint64_t blen)
{
	return a < b + blen && b < a + alen;
}

/* --- checking -------------------------------------------------------- */

bool valid_cmd(unsigned long cmd)
{
	return cmd == WINSOCK_IOC_STARTUP || cmd == WINSOCK_IOC_CLEANUP ||
	       cmd == WINSOCK_IOC_GETPEERNAME || cmd == WINSOCK_IOC_GETPEERNAME_BATCH;
}

static void describe(const struct fuzzer *f, char *buf, size_t size)
{
	const struct call *c = &f->call;
	int n;

	n = snprintf(buf, size, "fuzzer %d call %" PRIu64 ": ioctl(%d [%s %d], %#lx, %#" PRIx64
		     " [%s])", f->id, c->n, c->fd, role_name[c->role], c->target,
		     c->cmd, c->arg, pclass_name[c->arg_cls]);
	if (n < 0 || (size_t)n >= size)
		return;
	buf += n;
	size -= n;
	if (!valid_cmd(c->cmd)) {
		n = 0;
	} else if (!c->readable) {
		n = snprintf(buf, size, " {unreadable}");
	} else if (c->cmd == WINSOCK_IOC_GETPEERNAME) {
		n = snprintf(buf, size, " {socket %" PRIu64 ", name %#" PRIx64 " [%s], namelen %#"
			     PRIx64 " [%s] = %d%s, flags %#x, reserved %#x}",
			     (uint64_t)c->req.gp.socket, (uint64_t)c->req.gp.name,
			     pclass_name[c->cls[0]], (uint64_t)c->req.gp.namelen,
			     pclass_name[c->cls[1]], c->namelen_in,
			     c->namelen_known ? "" : " (not private)",
			     c->req.gp.flags, c->req.gp.reserved);
	} else if (c->cmd == WINSOCK_IOC_GETPEERNAME_BATCH) {
		n = snprintf(buf, size, " {entries %#" PRIx64 " [%s], count %u, reserved %#x}",
			     (uint64_t)c->req.ba.entries, pclass_name[c->cls[0]],
			     c->req.ba.count, c->req.ba.reserved);
	} else if (c->cmd == WINSOCK_IOC_STARTUP) {
		n = snprintf(buf, size, " {wsadata %#" PRIx64 " [%s], version_requested %#06x,"
			     " pad %#x, reserved %#x}", (uint64_t)c->req.st.wsadata,
			     pclass_name[c->cls[0]], c->req.st.version_requested,
			     c->req.st.pad, c->req.st.reserved);
	} else {
		n = snprintf(buf, size, " {reserved %#x}", c->req.cl.reserved);
	}
	if (n < 0 || (size_t)n >= size)
		return;
	buf += n;
	size -= n;
	if (c->rc < 0)
		n = snprintf(buf, size, " = -1 (%s)", errno_name(c->err));
	else
		n = snprintf(buf, size, " = %ld (%s)", c->rc, wsa_name(c->rc));
	if (n < 0 || (size_t)n >= size || c->entry < 0)
		return;
	snprintf(buf + n, size - n, ", entry %d {socket %" PRIu64 ", flags %#x, namelen %d,"
		 " reserved %#x}", c->entry, (uint64_t)c->entry_in.socket, c->entry_in.flags,
		 c->entry_in.namelen, c->entry_in.reserved);
}

/* Report the first invariant the call broke: the seed, the call, the reason. */
static void fail(struct fuzzer *f, const char *fmt, ...)
{
	char call[768], why[512];
	va_list ap;

	if (f->call.failed)
		return;
	f->call.failed = true;
	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	describe(f, call, sizeof(call));
	fail_msg(call, "%s", why);
}

static void expect_unchanged(struct fuzzer *f)
{
	size_t i, j;

	for (i = 0; i < (size_t)f->nsegs; i++) {
		const struct seg *s = &f->segs[i];

		if (!memcmp(f->save + s->off, f->arena + s->off, s->len))
			continue;
		for (j = s->off; f->save[j] == f->arena[j]; j++)
			;
		fail(f, "byte at %#" PRIx64 " changed from %#04x to %#04x",
		     arena_base(f) + j, f->save[j], f->arena[j]);
		return;
	}
}

/* A pool descriptor that is not a handle (any more): nothing else to check. */
static bool pool_refusal(const struct call *c)
{
	return c->role == R_POOL && c->rc == -1 && (c->err == ENOTTY || c->err == EBADF);
}

/* The request must have been refused with @err, nothing written. */
void expect_refused(struct fuzzer *f, int err)
{
	struct call *c = &f->call;

	if (c->rc != -1 || c->err != err)
		fail(f, "expected -1 with errno %s", errno_name(err));
	expect_unchanged(f);
}

/* A valid request must be answered, not refused. */
static bool answered(struct fuzzer *f)
{
	if (f->call.rc >= 0)
		return true;
	fail(f, "a valid request was refused");
	expect_unchanged(f);
	return false;
}

int outcome_of(long rc, int err)
{
	if (rc < 0) {
		switch (err) {
		case EFAULT:	return S_E_FAULT;
		case EINVAL:	return S_E_INVAL;
		case ENOTTY:	return S_E_NOTTY;
		case EBADF:	return S_E_BADF;
		case EOVERFLOW:	return S_E_OVERFLOW;
		default:	return S_OTHER;
		}
	}
	switch (rc) {
	case 0:				return S_OK;
	case WINSOCK_WSANOTINITIALISED:	return S_NOTINIT;
	case WINSOCK_WSAEINPROGRESS:	return S_INPROG;
	case WINSOCK_WSAENOTSOCK:	return S_NOTSOCK;
	case WINSOCK_WSAENETDOWN:	return S_NETDOWN;
	case WINSOCK_WSAENOTCONN:	return S_NOTCONN;
	case WINSOCK_WSAEFAULT:		return S_FAULT;
	case WINSOCK_WSAVERNOTSUPPORTED: return S_VERNOTSUPP;
	case WINSOCK_WSAEINVAL:		return S_INVAL;
	default:			return S_OTHER;
	}
}

static void mask_names(unsigned int mask, char *buf, size_t size)
{
	int i, n;

	buf[0] = '\0';
	for (i = 0; i < S_NR; i++) {
		if (!(mask & BIT(i)))
			continue;
		n = strlen(buf);
		snprintf(buf + n, size - n, "%s%s", n ? " " : "", outcome_name[i]);
	}
}

/* Room the caller grants when it is not a number. */
#define ROOM_BAD	INT64_MIN		/* the pointers cannot take any address */
#define ROOM_UNKNOWN	(INT64_MIN + 1)		/* *namelen is shared memory */

/*
 * The results a lookup may give, as a mask over enum outcome: what the
 * handle's role allows (Windows checks it first), then what the
 * descriptor's known answer and the room the caller grants decide.
 */
static unsigned int lookup_mask(enum role role, const struct known *k, bool native,
				int64_t room)
{
	const struct answer *a;
	unsigned int m = 0;

	switch (role) {
	case R_NEVER:
	case R_REFUSED:
		return BIT(S_NOTINIT);
	case R_PINNED22:
		break;
	case R_PINNED11:
		m = BIT(S_INPROG);
		break;
	default:
		m = BIT(S_NOTINIT) | BIT(S_INPROG);
	}
	if (!k) {
		m |= BIT(S_NOTSOCK) | BIT(S_NETDOWN) | BIT(S_NOTCONN) | BIT(S_FAULT);
		return room == ROOM_BAD ? m : m | BIT(S_OK);
	}
	a = &k->layout[native];
	if (a->result == WINSOCK_WSAENOTSOCK)
		return m | BIT(S_NOTSOCK);
	m |= BIT(S_NETDOWN);	/* the chaos threads take the provider down */
	if (a->result == WINSOCK_WSAENOTCONN)
		return m | BIT(S_NOTCONN);
	if (room == ROOM_UNKNOWN)
		return m | BIT(S_OK) | BIT(S_FAULT);
	return m | BIT(room >= a->size ? S_OK : S_FAULT);
}

static bool result_allowed(struct fuzzer *f, uint32_t result, unsigned int mask,
			   const char *what)
{
	char names[256];
	int o = outcome_of(result, 0);

	if (o != S_OTHER && (mask & BIT(o)))
		return true;
	mask_names(mask, names, sizeof(names));
	fail(f, "%s %u (%s), expected one of: %s", what, result, wsa_name(result), names);
	return false;
}

/* An address the kernel wrote is shaped like its layout. */
static bool layout_ok(bool native, const uint8_t *addr, int size)
{
	uint16_t family;

	memcpy(&family, addr, sizeof(family));
	if (!native)
		return (size == WINSOCK_SOCKADDR_IN_SIZE && family == WINSOCK_AF_INET) ||
		       (size == WINSOCK_SOCKADDR_IN6_SIZE && family == WINSOCK_AF_INET6) ||
		       (size == WINSOCK_SOCKADDR_UN_SIZE && family == WINSOCK_AF_UNIX);
	if (size < (int)sizeof(family) || size > WINSOCK_BATCH_NAME_SIZE || !family)
		return false;
	if (family == AF_INET)
		return size == sizeof(struct sockaddr_in);
	if (family == AF_INET6)
		return size == sizeof(struct sockaddr_in6);
	return true;
}

/*
 * A successful lookup wrote @size bytes at @name (private memory, read
 * after the call): check their shape and, for a known descriptor, that
 * they are exactly its peer.
 */
static void check_address(struct fuzzer *f, const struct known *k, bool native,
			  uint64_t name, int size, const char *what)
{
	const uint8_t *addr = (const uint8_t *)(uintptr_t)name;

	if (k && size != k->layout[native].size) {
		fail(f, "%s: size %d, the peer of %s has %d", what, size, k->what,
		     k->layout[native].size);
		return;
	}
	if (!in_arena(f, name))
		return;		/* shared memory: another thread may be writing */
	if (!layout_ok(native, addr, size))
		fail(f, "%s: %d bytes that are no %s address (family %u)", what, size,
		     native ? "native" : "Windows", addr[0] | addr[1] << 8);
	else if (k && memcmp(addr, k->layout[native].addr, size))
		fail(f, "%s: not the peer of %s", what, k->what);
}

void check_getpeername(struct fuzzer *f)
{
	const struct winsock_getpeername *rq = &f->call.req.gp;
	struct call *c = &f->call;
	bool native = rq->flags & WINSOCK_GPN_NATIVE;
	const struct known *k = known_of(rq->socket);
	int64_t room = ROOM_UNKNOWN;
	int need, size;

	if (pool_refusal(c))
		return expect_unchanged(f);
	if (!c->readable)
		return expect_refused(f, EFAULT);
	if (rq->reserved || (rq->flags & ~WINSOCK_GPN_FLAGS))
		return expect_refused(f, EINVAL);
	if (!answered(f))
		return;

	/* What the pointers grant: an unknown peer needs 2 bytes at least. */
	need = k && !k->layout[native].result ? k->layout[native].size : 2;
	if (!rq->name || window_access(f, rq->namelen, 4) != A_RW ||
	    window_access(f, rq->name, need) != A_RW)
		room = ROOM_BAD;
	else if (c->namelen_known)
		room = c->namelen_in;
	f->lookups++;
	if (!result_allowed(f, c->rc, lookup_mask(c->role, k, native, room), "result") ||
	    c->rc)
		return expect_unchanged(f);

	/* Success: *namelen is the size, the address is there, nothing past. */
	if (!c->namelen_known || overlap(rq->name, NAME_WATCH, rq->namelen, 4)) {
		allow(f, rq->name, k ? k->layout[native].size : NAME_WATCH);
		allow(f, rq->namelen, 4);
		return expect_unchanged(f);
	}
	memcpy(&size, (const void *)(uintptr_t)rq->namelen, sizeof(size));
	if (size < 2 || size > c->namelen_in || size > WINSOCK_BATCH_NAME_SIZE) {
		fail(f, "success with *namelen %d", size);
	} else if (window_access(f, rq->name, size) != A_RW) {
		fail(f, "success, but name cannot take %d bytes", size);
	} else {
		check_address(f, k, native, rq->name, size, "address");
		allow(f, rq->name, size);
	}
	allow(f, rq->namelen, 4);
	expect_unchanged(f);
}

/* One batch entry's answer, against its input as the kernel read it. */
static void check_entry(struct fuzzer *f, uint64_t ea, uint32_t i)
{
	struct winsock_peer_entry in, out;
	bool native;
	const struct known *k;
	const char *what = "entry's result";
	int32_t room;

	if (!saved_bytes(f, ea, &in, sizeof(in)))
		return;
	memcpy(&out, (const void *)(uintptr_t)ea, sizeof(out));
	f->call.entry = i;	/* for failure messages */
	f->call.entry_in = in;
	allow(f, ea + offsetof(struct winsock_peer_entry, result), sizeof(out.result));
	f->lookups++;

	if (in.reserved || (in.flags & ~WINSOCK_GPN_FLAGS)) {
		result_allowed(f, out.result, BIT(S_INVAL), what);
		return;
	}
	native = in.flags & WINSOCK_GPN_NATIVE;
	k = known_of(in.socket);
	room = in.namelen < WINSOCK_BATCH_NAME_SIZE ? in.namelen : WINSOCK_BATCH_NAME_SIZE;
	if (!result_allowed(f, out.result, lookup_mask(f->call.role, k, native, room), what) ||
	    out.result)
		return;
	if (out.namelen < 2 || out.namelen > room) {
		fail(f, "%s: success with namelen %d", what, out.namelen);
		return;
	}
	check_address(f, k, native, ea + offsetof(struct winsock_peer_entry, name),
		      out.namelen, "entry's address");
	allow(f, ea + offsetof(struct winsock_peer_entry, namelen), sizeof(out.namelen));
	allow(f, ea + offsetof(struct winsock_peer_entry, name), out.namelen);
}

void check_batch(struct fuzzer *f)
{
	const struct winsock_getpeername_batch *rq = &f->call.req.ba;
	struct call *c = &f->call;
	uint32_t i;

	if (pool_refusal(c))
		return expect_unchanged(f);
	if (!c->readable)
		return expect_refused(f, EFAULT);
	if (rq->reserved || rq->count > WINSOCK_BATCH_MAX)
		return expect_refused(f, EINVAL);
	if (rq->count &&
	    window_access(f, rq->entries, (uint64_t)rq->count * ENTRY_SIZE) != A_RW)
		return expect_refused(f, EFAULT);
	if (!answered(f))
		return;
	if (c->rc)
		fail(f, "a batch answers 0 or -1");
	/* Entries in shared memory are not watched: only private ones. */
	if (in_arena(f, rq->entries))
		for (i = 0; i < rq->count && !c->failed; i++)
			check_entry(f, rq->entries + (uint64_t)i * ENTRY_SIZE, i);
	c->entry = -1;
	expect_unchanged(f);
}

/* Windows' negotiation table; returns the version, *res the answer. */
static uint16_t negotiate(uint16_t requested, uint32_t *res)
{
	uint8_t major = requested & 0xff, minor = requested >> 8;

	*res = 0;
	switch (major) {
	case 0:
		*res = WINSOCK_WSAVERNOTSUPPORTED;
		return WINSOCK_VERSION_HIGH;
	case 1:
		return 1 | (minor ? 1 : 0) << 8;
	case 2:
		return 2 | (minor < 2 ? minor : 2) << 8;
	default:
		return WINSOCK_VERSION_HIGH;
	}
}

/* The WSADATA the kernel wrote, field by field; the gap stays as it was. */
static void check_wsadata(struct fuzzer *f, uint64_t wd, uint16_t requested, uint16_t version)
{
	const uint8_t *p = (const uint8_t *)(uintptr_t)wd;
	bool v1 = (requested & 0xff) == 1;
	uint16_t head[4], want[4] = {
		version, WINSOCK_VERSION_HIGH,
		v1 ? WINSOCK_MAX_SOCKETS_V1 : 0, v1 ? WINSOCK_MAX_UDPDG_V1 : 0,
	};
	char strings[WSADATA_STRINGS];

	memset(strings, 0, sizeof(strings));
	strcpy(strings, "WinSock 2.0");
	strcpy(strings + 257, "Running");
	memcpy(head, p, 4);
	memcpy(head + 2, p + WSADATA_MAXES, 4);
	if (memcmp(head, want, sizeof(head)))
		fail(f, "WSADATA head %#x %#x %u %u", head[0], head[1], head[2], head[3]);
	if (memcmp(p + WSADATA_STR, strings, sizeof(strings)))
		fail(f, "WSADATA strings \"%.20s\" \"%.20s\"", p + WSADATA_STR,
		     p + WSADATA_STR + 257);
}

void check_startup(struct fuzzer *f)
{
	const struct winsock_startup *rq = &f->call.req.st;
	struct call *c = &f->call;
	enum access acc = window_access(f, c->arg, sizeof(*rq));
	uint32_t res, want;
	struct winsock_startup out;
	uint16_t version;

	if (pool_refusal(c))
		return expect_unchanged(f);
	if (!c->readable)
		return expect_refused(f, EFAULT);
	if (rq->pad || rq->reserved)
		return expect_refused(f, EINVAL);

	/* The kernel writes WSADATA, then answers in the request. */
	version = negotiate(rq->version_requested, &res);
	want = res ? res : window_access(f, rq->wsadata, WSADATA_LEN) == A_RW ?
			    0 : WINSOCK_WSAEFAULT;
	allow(f, rq->wsadata, 4);
	allow(f, rq->wsadata + WSADATA_MAXES, 4);
	allow(f, rq->wsadata + WSADATA_STR, WSADATA_STRINGS);
	allow(f, c->arg + offsetof(struct winsock_startup, version), 4);
	allow(f, c->arg + offsetof(struct winsock_startup, startups), 4);
	if (acc != A_RW)
		return expect_refused(f, EFAULT);
	if (!answered(f))
		return;
	if ((uint32_t)c->rc != want)
		fail(f, "expected %s", wsa_name(want));
	memcpy(&out, (const void *)(uintptr_t)c->arg, sizeof(out));
	if (out.version != version || out.high_version != WINSOCK_VERSION_HIGH ||
	    (!c->rc && !out.startups))
		fail(f, "answered version %#x, high %#x, startups %u", out.version,
		     out.high_version, out.startups);
	if (in_arena(f, rq->wsadata) && window_access(f, rq->wsadata, WSADATA_LEN) == A_RW &&
	    !overlap(rq->wsadata, WSADATA_LEN, c->arg, sizeof(out)))
		check_wsadata(f, rq->wsadata, rq->version_requested, version);
	expect_unchanged(f);
}

void check_cleanup(struct fuzzer *f)
{
	struct call *c = &f->call;
	unsigned int mask;

	if (pool_refusal(c))
		return expect_unchanged(f);
	if (!c->readable)
		return expect_refused(f, EFAULT);
	if (c->req.cl.reserved)
		return expect_refused(f, EINVAL);
	allow(f, c->arg + offsetof(struct winsock_cleanup, startups), 4);
	if (window_access(f, c->arg, sizeof(c->req.cl)) != A_RW)
		return expect_refused(f, EFAULT);
	if (!answered(f))
		return;
	switch (c->role) {
	case R_NEVER:
	case R_REFUSED:
		mask = BIT(S_NOTINIT);
		break;
	default:
		mask = BIT(S_OK) | BIT(S_NOTINIT) | BIT(S_INPROG);
	}
	result_allowed(f, c->rc, mask, "result");
	expect_unchanged(f);
}

