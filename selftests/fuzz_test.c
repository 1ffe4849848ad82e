// SPDX-License-Identifier: GPL-2.0
/*
 * fuzz_test: a seeded, bounded fuzzer of the /dev/winsock ioctls.
 *
 * Four fuzzer threads issue STARTUP, CLEANUP, GETPEERNAME and
 * GETPEERNAME_BATCH, and mutated or random ioctl numbers, on handles in
 * every state (never started, refused, pinned at 2.2 or 1.1, started and
 * cleaned up at random), with request fields drawn at random (reserved
 * bits, unknown flags, every interesting namelen and batch count) and
 * pointers drawn from every class the kernel must survive: NULL, low,
 * unmapped, PROT_NONE, read-only, straddling a page boundary into a hole,
 * into PROT_NONE or into read-only memory, kernel and non-canonical
 * addresses, misaligned and valid buffers, memory shared by all threads.
 *
 * The SOCKET values name descriptors whose answer is known (connected TCP,
 * UDP and AF_UNIX sockets, listeners, netlink and packet sockets,
 * non-sockets, the handles themselves), values above INT_MAX, numbers
 * never opened, and a pool of descriptors that two chaos threads close,
 * dup2 over, connect, dissolve, shut down and replace with sockets of
 * every family and state (some in other network namespaces), pipes, files,
 * eventfds and winsock handles while the lookups run.  One more thread
 * subscribes to the audit stream and leaves again (raw generic netlink:
 * WINSOCK_CMD_SUBSCRIBE with good and bad flags, reliable and best
 * effort, tiny receive buffers, UNSUBSCRIBE or just close), so that events
 * are built, queued and sent meanwhile.
 *
 * Every call is checked: the return value is one the ABI allows for that
 * request, and exactly the one it must be where the answer is known (the
 * handle's state, the descriptor's peer, the pointers and namelen); the
 * memory the kernel may not write (the buffer and *namelen of a failed
 * lookup, anything past a successful one's address, the rest of a batch
 * entry, WSADATA's lpVendorInfo, anything of a refused request) is
 * compared byte by byte with a snapshot taken before the call.  Kernel
 * reports (BUG, WARNING, KFENCE, hangs) are left to the guest runner,
 * which reads the kernel log.
 *
 * Bounds: WINSOCK_FUZZ_ITERATIONS ioctls or WINSOCK_FUZZ_SECONDS seconds,
 * whichever comes first (0: no such bound), or --iterations N and
 * --seconds N.  Every choice derives from WINSOCK_FUZZ_SEED (--seed N; by
 * default the time), printed at the start and in every failure.  Each
 * thread's sequence of calls is a function of the seed, their
 * interleaving is not: rerun with WINSOCK_FUZZ_SEED=N to replay the same
 * calls, and read the failure message for the offending one.
 */
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <net/if.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/timerfd.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>

#include "winsock_test.h"

#define FUZZ_DEFAULT_ITERATIONS	100000
#define FUZZ_DEFAULT_SECONDS	5

#define NR_FUZZERS	4
#define NR_CHAOS	2
#define NR_HANDLES	8
/* The chaos threads' descriptors, far above anything else the test opens. */
#define POOL_BASE	300
#define POOL_SIZE	48
/* From here up no descriptor is ever open: the test never has 1000. */
#define NEVER_OPEN	1000
#define FD_TABLE	1024
#define MAX_KNOWN	64
#define MAX_REPORTS	20

/*
 * A fuzzer's private arena: three read-write regions, each large enough
 * for a batch of WINSOCK_BATCH_MAX + 1 entries, ending in a PROT_NONE
 * page, a read-only page and an unmapped page (a hole) respectively.
 */
#define PG		4096UL
#define RW_PAGES	11
#define ARENA_NONE	RW_PAGES
#define ARENA_RO	(2 * RW_PAGES + 1)
#define ARENA_HOLE	(3 * RW_PAGES + 2)
#define ARENA_PAGES	(ARENA_HOLE + 1)
#define ARENA_BYTES	(ARENA_PAGES * PG)
#define SINK_BYTES	(12 * PG)
#define MAX_SEGS	16

#define ENTRY_SIZE	sizeof(struct winsock_peer_entry)
#define NAME_WATCH	(WINSOCK_BATCH_NAME_SIZE + 8)
/*
 * WSADATA as the kernel writes it, in the Windows layout of the process's
 * ABI: the two version words at 0, iMaxSockets and iMaxUdpDg at
 * WSADATA_MAXES, the strings at WSADATA_STR; lpVendorInfo and the padding
 * are never written.  Win64 puts the maxes and lpVendorInfo before the
 * strings, Win32 after them.
 */
#define WSADATA_STRINGS	(257 + 129)
#ifdef __LP64__
#define WSADATA_MAXES	4
#define WSADATA_STR	16
#define WSADATA_LEN	(WSADATA_STR + WSADATA_STRINGS)
#else
#define WSADATA_STR	4
#define WSADATA_MAXES	(WSADATA_STR + WSADATA_STRINGS)
#define WSADATA_LEN	(WSADATA_MAXES + 4)
#endif

/* Prefilled requests in the read-only page, at these offsets. */
#define RO_STARTUP	0
#define RO_CLEANUP	64
#define RO_GETPEERNAME	128
#define RO_BATCH	192
#define RO_STARTUP_PAD	256
#define RO_GPN_FLAGS	320

#define BIT(n)		(1U << (n))
#define ARRAY_LEN(a)	(sizeof(a) / sizeof((a)[0]))

static struct {
	uint64_t seed;
	uint64_t iterations;	/* 0: no bound */
	uint64_t seconds;	/* 0: no bound */
} cfg = {
	.iterations = FUZZ_DEFAULT_ITERATIONS,
	.seconds = FUZZ_DEFAULT_SECONDS,
};

/* --- reproducible randomness ----------------------------------------- */

struct rng {
	uint64_t s;
};

static uint64_t splitmix64(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* Every thread has its own stream, a function of the seed and its role. */
static void rng_init(struct rng *r, uint64_t stream)
{
	uint64_t x = cfg.seed ^ (stream * 0xd1342543de82ef95ULL);

	r->s = splitmix64(&x) | 1;
}

/* xorshift64*: fast, and never zero once seeded odd. */
static uint64_t rnd(struct rng *r)
{
	r->s ^= r->s >> 12;
	r->s ^= r->s << 25;
	r->s ^= r->s >> 27;
	return r->s * 0x2545f4914f6cdd1dULL;
}

static uint32_t below(struct rng *r, uint32_t n)
{
	return (uint32_t)(((rnd(r) >> 32) * n) >> 32);
}

static bool chance(struct rng *r, unsigned int percent)
{
	return below(r, 100) < percent;
}

/* An index into @w, drawn with those weights. */
static unsigned int pick(struct rng *r, const uint8_t *w, unsigned int n)
{
	unsigned int i, sum = 0, x;

	for (i = 0; i < n; i++)
		sum += w[i];
	x = below(r, sum);
	for (i = 0; i < n - 1; i++) {
		if (x < w[i])
			return i;
		x -= w[i];
	}
	return n - 1;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

/* --- the descriptors ------------------------------------------------- */

/*
 * What the kernel may assume of a handle, so that the fuzzer can too:
 * R_NEVER and R_REFUSED are never started (STARTUP reaches them only with
 * requests that must fail), R_PINNED22 and R_PINNED11 are started exactly
 * once (CLEANUP reaches them only with requests that must fail), R_FREE
 * are started and cleaned up at random.  R_POOL is a pool descriptor used
 * as the device: whatever it is at the time.
 */
enum role { R_NEVER, R_REFUSED, R_PINNED22, R_PINNED11, R_FREE, R_POOL };

static const char *const role_name[] = {
	"never started", "refused", "pinned 2.2", "pinned 1.1", "free", "pool",
};

static const struct {
	enum role role;
	uint16_t version;	/* started with at setup; 0: not at all */
} handle_spec[NR_HANDLES] = {
	{ R_NEVER, 0 },
	{ R_REFUSED, 0 },
	{ R_PINNED22, 0x0202 },
	{ R_PINNED11, 0x0101 },
	{ R_FREE, 0x0101 },
	{ R_FREE, 0x0202 },
	{ R_FREE, 0x0000 },	/* refused: starts unstarted */
	{ R_FREE, 0x0303 },	/* newer than 2.2: gets 2.2 */
};

/* What a lookup answers in one layout, handle and pointers permitting. */
struct answer {
	uint32_t result;	/* 0, WSAENOTSOCK or WSAENOTCONN */
	int size;		/* on 0: the address size */
	uint8_t addr[WINSOCK_BATCH_NAME_SIZE];
};

/* A descriptor nobody changes while the fuzzers run: its answer is known. */
struct known {
	int fd;
	const char *what;
	struct answer layout[2];	/* [0] Windows', [1] native */
};

static const struct known not_a_descriptor = {
	.fd = -1,
	.what = "not a descriptor",
	.layout = { { WINSOCK_WSAENOTSOCK }, { WINSOCK_WSAENOTSOCK } },
};

static struct {
	int handles[NR_HANDLES];
	struct known known[MAX_KNOWN];
	int nknown;
	uint8_t known_of_fd[FD_TABLE];	/* index + 1, or 0 */

	/* Servers the chaos threads connect to and accept from. */
	struct sockaddr_storage tcp4, tcp6, full4, udp4, udp6;
	socklen_t tcp4_len, tcp6_len, full4_len, udp4_len, udp6_len;
	struct sockaddr_un ustream, useq, udgram, upath;
	socklen_t ustream_len, useq_len, udgram_len, upath_len;
	int listeners[5];
	char file_path[64];
	int tcp4_client;
	int setup_errors;

	uint8_t *sink;		/* read-write memory every thread may hand out */
	int genl_family;
	bool root;

	int stop;
	uint64_t claimed;	/* ioctls claimed against cfg.iterations */
	uint64_t start_ns;
	uint64_t last_netns_ns;
	pthread_mutex_t netns_lock;

	pthread_mutex_t fail_lock;
	uint64_t failures;
} world = {
	.netns_lock = PTHREAD_MUTEX_INITIALIZER,
	.fail_lock = PTHREAD_MUTEX_INITIALIZER,
};

static bool stopping(void)
{
	return __atomic_load_n(&world.stop, __ATOMIC_RELAXED);
}

static void stop_all(void)
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

static const struct known *known_of(uint64_t s)
{
	int i;

	if (s >= NEVER_OPEN)
		return &not_a_descriptor;
	i = world.known_of_fd[s];
	return i ? &world.known[i - 1] : NULL;
}

static socklen_t abstract_name(struct sockaddr_un *sun, const char *what)
{
	int n;

	memset(sun, 0, sizeof(*sun));
	sun->sun_family = AF_UNIX;
	n = snprintf(sun->sun_path + 1, sizeof(sun->sun_path) - 1,
		     "winsock-fuzz-%d-%s", getpid(), what);
	return offsetof(struct sockaddr_un, sun_path) + 1 + n;
}

static int unix_server(int type, const struct sockaddr_un *sun, socklen_t len)
{
	int fd = socket(AF_UNIX, type, 0);

	if (fd < 0 || bind(fd, (const struct sockaddr *)sun, len))
		return -1;
	if (type != SOCK_DGRAM && listen(fd, 64))
		return -1;
	return fd;
}

static int connected(int family, int type, const void *addr, socklen_t len)
{
	int fd = socket(family, type, 0);

	if (fd < 0 || connect(fd, addr, len))
		return -1;
	return fd;
}

/* --- failures -------------------------------------------------------- */

static const char *wsa_name(uint32_t code)
{
	switch (code) {
	case 0:				return "0";
	case WINSOCK_WSAEFAULT:		return "WSAEFAULT";
	case WINSOCK_WSAEINVAL:		return "WSAEINVAL";
	case WINSOCK_WSAEINPROGRESS:	return "WSAEINPROGRESS";
	case WINSOCK_WSAENOTSOCK:	return "WSAENOTSOCK";
	case WINSOCK_WSAENETDOWN:	return "WSAENETDOWN";
	case WINSOCK_WSAENOTCONN:	return "WSAENOTCONN";
	case WINSOCK_WSAVERNOTSUPPORTED: return "WSAVERNOTSUPPORTED";
	case WINSOCK_WSANOTINITIALISED:	return "WSANOTINITIALISED";
	default:			return "(not a WSA code)";
	}
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
static void fail_msg(const char *who, const char *fmt, ...)
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

/* --- a fuzzer's memory ----------------------------------------------- */

/* Where a pointer points; weights per use below. */
enum pclass {
	PC_VALID, PC_MISALIGNED, PC_SHARED, PC_TO_NONE, PC_TO_RO, PC_TO_HOLE,
	PC_RO, PC_NONE, PC_HOLE, PC_NULL, PC_LOW, PC_KERNEL, PC_WILD, PC_NR,
};

static const char *const pclass_name[PC_NR + 1] = {
	"valid", "misaligned", "shared", "into PROT_NONE", "into read-only",
	"into hole", "read-only", "PROT_NONE", "unmapped", "NULL", "low",
	"kernel", "wild", "prefilled",
};

/* name, namelen, WSADATA and batch arrays: mostly usable. */
static const uint8_t ptr_weights[PC_NR] = {
	[PC_VALID] = 60, [PC_MISALIGNED] = 8, [PC_SHARED] = 4,
	[PC_TO_NONE] = 3, [PC_TO_RO] = 3, [PC_TO_HOLE] = 3, [PC_RO] = 3,
	[PC_NONE] = 2, [PC_HOLE] = 2, [PC_NULL] = 4, [PC_LOW] = 1,
	[PC_KERNEL] = 4, [PC_WILD] = 3,
};

/* The ioctl's own argument: a bad one ends the call early. */
static const uint8_t req_weights[PC_NR] = {
	[PC_VALID] = 84, [PC_MISALIGNED] = 4, [PC_TO_NONE] = 1,
	[PC_TO_RO] = 2, [PC_TO_HOLE] = 1, [PC_RO] = 3, [PC_NONE] = 1,
	[PC_HOLE] = 1, [PC_NULL] = 1, [PC_KERNEL] = 1, [PC_WILD] = 1,
};

enum access { A_BAD, A_RO, A_RW };

struct seg {
	size_t off, len;
};

/* Results, counted: the WSA codes, then the errno of a refused request. */
enum outcome {
	S_OK, S_NOTINIT, S_INPROG, S_NOTSOCK, S_NETDOWN, S_NOTCONN, S_FAULT,
	S_VERNOTSUPP, S_INVAL, S_E_FAULT, S_E_INVAL, S_E_NOTTY, S_E_BADF,
	S_E_OVERFLOW, S_OTHER, S_NR,
};

static const char *const outcome_name[S_NR] = {
	"0", "WSANOTINITIALISED", "WSAEINPROGRESS", "WSAENOTSOCK",
	"WSAENETDOWN", "WSAENOTCONN", "WSAEFAULT", "WSAVERNOTSUPPORTED",
	"WSAEINVAL", "-EFAULT", "-EINVAL", "-ENOTTY", "-EBADF", "-EOVERFLOW",
	"other",
};

/* The call in flight, as the kernel was given it: for failure messages. */
struct call {
	uint64_t n;
	int fd, target;
	enum role role;
	unsigned long cmd;
	uint64_t arg;
	enum pclass arg_cls, cls[2];
	bool readable;		/* the request could be read back */
	union {
		struct winsock_startup st;
		struct winsock_cleanup cl;
		struct winsock_getpeername gp;
		struct winsock_getpeername_batch ba;
	} req;
	bool namelen_known;
	int32_t namelen_in;
	long rc;
	int err;
	int entry;		/* the batch entry being checked, or -1 */
	bool failed;		/* reported already: one report per call */
	struct winsock_peer_entry entry_in;
};

struct fuzzer {
	int id;
	pthread_t thread;
	struct rng rng;
	uint8_t *arena;
	uint8_t *save;		/* before the call, then what must be there */
	struct seg segs[MAX_SEGS];
	int nsegs;
	struct call call;
	uint64_t calls, lookups;
	uint64_t outcomes[S_NR];
};

static __thread struct fuzzer *current_fuzzer;

static uint64_t addr_of(const void *p)
{
	return (uint64_t)(uintptr_t)p;
}

static uint64_t arena_base(const struct fuzzer *f)
{
	return addr_of(f->arena);
}

static bool in_arena(const struct fuzzer *f, uint64_t a)
{
	return a >= arena_base(f) && a - arena_base(f) < ARENA_BYTES;
}

static bool in_sink(uint64_t a)
{
	return a >= addr_of(world.sink) && a - addr_of(world.sink) < SINK_BYTES;
}

static bool page_readable(size_t page)
{
	return page != ARENA_NONE && page != ARENA_HOLE;
}

/*
 * How much of [a, a + len) can be accessed.  Pointers outside the arena
 * and the sink are unmapped by construction (NULL, low, kernel, wild).
 */
static enum access window_access(const struct fuzzer *f, uint64_t a, uint64_t len)
{
	enum access acc = A_RW;
	uint64_t off, p;

	if (!len)
		return A_RW;
	if (in_sink(a))
		return len <= SINK_BYTES - (a - addr_of(world.sink)) ? A_RW : A_BAD;
	if (!in_arena(f, a))
		return A_BAD;
	off = a - arena_base(f);
	if (len > ARENA_BYTES - off)
		return A_BAD;	/* runs through the hole */
	for (p = off / PG; p <= (off + len - 1) / PG; p++) {
		if (!page_readable(p))
			return A_BAD;
		if (p == ARENA_RO)
			acc = A_RO;
	}
	return acc;
}

typedef void (*seg_fn)(struct fuzzer *f, size_t off, size_t len);

/* The readable part of [a, a + len) inside the arena, page by page. */
static void readable_parts(const struct fuzzer *f, uint64_t a, uint64_t len,
			   seg_fn fn, struct fuzzer *arg)
{
	uint64_t base = arena_base(f), off, end, stop;

	if (a < base) {
		if (len <= base - a)
			return;
		len -= base - a;
		a = base;
	}
	if (a - base >= ARENA_BYTES)
		return;
	off = a - base;
	end = len > ARENA_BYTES - off ? ARENA_BYTES : off + len;
	while (off < end) {
		stop = (off / PG + 1) * PG;
		if (stop > end)
			stop = end;
		if (page_readable(off / PG))
			fn(arg, off, stop - off);
		off = stop;
	}
}

static void add_seg(struct fuzzer *f, size_t off, size_t len)
{
	struct seg *last = f->nsegs ? &f->segs[f->nsegs - 1] : NULL;

	if (last && last->off + last->len == off) {
		last->len += len;
		return;
	}
	if (f->nsegs < MAX_SEGS)
		f->segs[f->nsegs++] = (struct seg){ off, len };
}

/* The kernel may not change [a, a + len) unless allow() says so. */
static void watch(struct fuzzer *f, uint64_t a, uint64_t len)
{
	readable_parts(f, a, len, add_seg, f);
}

static void snapshot(struct fuzzer *f)
{
	int i;

	for (i = 0; i < f->nsegs; i++)
		memcpy(f->save + f->segs[i].off, f->arena + f->segs[i].off,
		       f->segs[i].len);
}

static void accept_bytes(struct fuzzer *f, size_t off, size_t len)
{
	memcpy(f->save + off, f->arena + off, len);
}

/* The kernel was allowed to write [a, a + len): take what is there. */
static void allow(struct fuzzer *f, uint64_t a, uint64_t len)
{
	readable_parts(f, a, len, accept_bytes, f);
}

static void put_bytes(const struct fuzzer *f, uint64_t a, const uint8_t *src, size_t len)
{
	uint64_t base = arena_base(f), off, stop, end;

	if (in_sink(a)) {
		if (len <= SINK_BYTES - (a - addr_of(world.sink)))
			memcpy((void *)(uintptr_t)a, src, len);
		return;
	}
	if (!in_arena(f, a))
		return;
	off = a - base;
	end = len > ARENA_BYTES - off ? ARENA_BYTES : off + len;
	while (off < end) {
		stop = (off / PG + 1) * PG;
		if (stop > end)
			stop = end;
		if (page_readable(off / PG) && off / PG != ARENA_RO)
			memcpy(f->arena + off, src + (off - (a - base)), stop - off);
		off = stop;
	}
}

/* Read back what the kernel will find at @a, if it is readable. */
static bool get_bytes(const struct fuzzer *f, uint64_t a, void *dst, size_t len)
{
	if (window_access(f, a, len) == A_BAD)
		return false;
	memcpy(dst, (const void *)(uintptr_t)a, len);
	return true;
}

/* The value at @a before the call, from the snapshot (private memory only). */
static bool saved_bytes(const struct fuzzer *f, uint64_t a, void *dst, size_t len)
{
	if (!in_arena(f, a) || window_access(f, a, len) == A_BAD)
		return false;
	memcpy(dst, f->save + (a - arena_base(f)), len);
	return true;
}

static bool overlap(uint64_t a, uint64_t alen, uint64_t b, uint64_t blen)
{
	return a < b + blen && b < a + alen;
}

/* An address of class @c for an object of @len bytes. */
static uint64_t place(struct fuzzer *f, enum pclass c, uint64_t len)
{
	static const uint64_t kernel[] = {
		0xffff888000000000ULL, 0xffffffff81000000ULL,
		0xffffc90000000000ULL, 0xffffffffff600000ULL,
	};
	static const size_t region[] = { 0, ARENA_NONE + 1, ARENA_RO + 1 };
	static const size_t region_end[] = { ARENA_NONE, ARENA_RO, ARENA_HOLE };
	/*
	 * The end of what a process can map: 2^47 (its last page is never
	 * mapped), or 4 GiB for a 32-bit one (whose last 8 KiB never are).
	 */
	uint64_t top = sizeof(void *) == 8 ? 1ULL << 47 : 1ULL << 32;
	uint64_t fit = len < RW_PAGES * PG - 8 ? len : RW_PAGES * PG - 8;
	uint64_t base = arena_base(f), off;

	switch (c) {
	case PC_VALID:
	case PC_MISALIGNED:
		off = below(&f->rng, RW_PAGES * PG - 8 - fit + 1) & ~7ULL;
		if (c == PC_MISALIGNED)
			off += 1 + below(&f->rng, 7);
		return base + region[below(&f->rng, 3)] * PG + off;
	case PC_SHARED:
		fit = len < SINK_BYTES ? len : SINK_BYTES;
		return addr_of(world.sink) + below(&f->rng, SINK_BYTES - fit + 1);
	case PC_TO_NONE:
	case PC_TO_RO:
	case PC_TO_HOLE:
		off = fit > 1 ? 1 + below(&f->rng, fit - 1) : 1;
		return base + region_end[c - PC_TO_NONE] * PG - off;
	case PC_RO:
		return base + ARENA_RO * PG + below(&f->rng, PG);
	case PC_NONE:
		return base + ARENA_NONE * PG + below(&f->rng, PG);
	case PC_HOLE:
		return base + ARENA_HOLE * PG + below(&f->rng, PG);
	case PC_LOW:
		return 1 + below(&f->rng, PG - 1);
	case PC_KERNEL:
		return kernel[below(&f->rng, ARRAY_LEN(kernel))] + below(&f->rng, PG);
	case PC_WILD:
		if (chance(&f->rng, 50))	/* from that page across the end */
			return top - 1 - below(&f->rng, fit < PG ? fit : PG);
		return rnd(&f->rng) | top;
	default:
		return 0;
	}
}

static uint64_t pick_ptr(struct fuzzer *f, uint64_t len, enum pclass *cls)
{
	*cls = pick(&f->rng, ptr_weights, PC_NR);
	return place(f, *cls, len);
}

/*
 * Put the request somewhere and write it there (what is writable of it).
 * In the read-only page the kernel finds a prefilled request, usually the
 * one at @ro_off.  @readonly: the request must be readable, never
 * writable (STARTUP and CLEANUP that must fail on pinned handles).
 */
static void place_request(struct fuzzer *f, const void *req, size_t len,
			  size_t ro_off, bool readonly)
{
	struct call *c = &f->call;

	c->arg_cls = pick(&f->rng, req_weights, PC_NR);
	if (readonly)
		c->arg_cls = chance(&f->rng, 70) ? PC_RO : PC_TO_RO;
	if (c->arg_cls == PC_RO)
		c->arg = arena_base(f) + ARENA_RO * PG +
			 (chance(&f->rng, 80) ? ro_off : below(&f->rng, PG - 64));
	else
		c->arg = place(f, c->arg_cls, len);
	put_bytes(f, c->arg, req, len);
	c->readable = get_bytes(f, c->arg, &c->req, len);
}

/* A pointer the kernel reads from a prefilled request is not the one chosen. */
static void reclassify(enum pclass *cls, uint64_t chosen, uint64_t found)
{
	if (found != chosen)
		*cls = in_sink(found) ? PC_SHARED : PC_NR;
}

/* --- choosing inputs ------------------------------------------------- */

static uint64_t pick_socket(struct fuzzer *f)
{
	static const uint8_t w[] = { 35, 35, 10, 5, 15 };
	struct rng *r = &f->rng;
	const struct known *k;
	uint64_t huge[] = {
		(uint64_t)INT_MAX + 1, UINT32_MAX, 1ULL << 32, 1ULL << 63,
		~0ULL, ~0ULL - 1, (1ULL << 32) + POOL_BASE, rnd(r) | (1ULL << 31),
	};

	switch (pick(r, w, ARRAY_LEN(w))) {
	case 0:
		return POOL_BASE + below(r, POOL_SIZE);
	case 1:
		k = &world.known[below(r, world.nknown)];
		/* Also the known descriptor above 32 bits: no truncation. */
		return k->fd + (chance(r, 5) ? 1ULL << 32 : 0);
	case 2:
		return huge[below(r, ARRAY_LEN(huge))];
	case 3:
		return chance(r, 50) ? INT_MAX : NEVER_OPEN + below(r, FD_TABLE - NEVER_OPEN);
	default:
		return below(r, FD_TABLE);
	}
}

static uint32_t pick_flags(struct rng *r)
{
	static const uint32_t odd[] = { 2, 3, 0x80, 0x80000000U, ~0U };

	if (chance(r, 92))
		return chance(r, 50) ? WINSOCK_GPN_NATIVE : 0;
	if (chance(r, 50))
		return odd[below(r, ARRAY_LEN(odd))];
	return (uint32_t)rnd(r) | 2;
}

static uint32_t pick_reserved(struct rng *r)
{
	return chance(r, 4) ? (uint32_t)rnd(r) | 1 : 0;
}

static int32_t pick_namelen(struct rng *r)
{
	static const int32_t odd[] = {
		0, -1, INT_MIN, INT_MAX, 1, 2, 12, 15, 16, 17, 27, 28, 29,
		109, 110, 111, 127, 129, 4096,
	};

	if (chance(r, 45))
		return WINSOCK_BATCH_NAME_SIZE;
	if (chance(r, 10))
		return WINSOCK_SOCKADDR_UN_SIZE;
	if (chance(r, 85))
		return odd[below(r, ARRAY_LEN(odd))];
	return (int32_t)rnd(r);
}

/* --- checking -------------------------------------------------------- */

static bool valid_cmd(unsigned long cmd)
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
static void expect_refused(struct fuzzer *f, int err)
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

static int outcome_of(long rc, int err)
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

/* --- the requests ---------------------------------------------------- */

static void issue(struct fuzzer *f)
{
	struct call *c = &f->call;
	uint64_t a = c->arg;
	int rc;

	/* A 32-bit process cannot even pass these: the top page instead. */
	if (sizeof(long) == 4 && a > UINT32_MAX)
		a = 0xfffff000U | (a & 0xfff);
	snapshot(f);
	errno = 0;
	rc = ioctl(c->fd, c->cmd, (unsigned long)a);
	c->rc = rc;
	c->err = rc < 0 ? errno : 0;
	f->calls++;
	f->outcomes[outcome_of(c->rc, c->err)]++;
}

static void check_getpeername(struct fuzzer *f)
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

static void fuzz_getpeername(struct fuzzer *f)
{
	struct call *c = &f->call;
	struct winsock_getpeername rq = {
		.socket = pick_socket(f),
		.flags = pick_flags(&f->rng),
		.reserved = pick_reserved(&f->rng),
	};
	int32_t namelen = pick_namelen(&f->rng);

	rq.name = pick_ptr(f, NAME_WATCH, &c->cls[0]);
	rq.namelen = pick_ptr(f, sizeof(namelen), &c->cls[1]);
	put_bytes(f, rq.namelen, (const uint8_t *)&namelen, sizeof(namelen));
	c->cmd = WINSOCK_IOC_GETPEERNAME;
	place_request(f, &rq, sizeof(rq), chance(&f->rng, 90) ? RO_GETPEERNAME : RO_GPN_FLAGS,
		      false);

	watch(f, c->arg, sizeof(rq));
	watch(f, rq.name, NAME_WATCH);
	watch(f, rq.namelen, sizeof(namelen));
	if (c->readable) {
		watch(f, c->req.gp.name, NAME_WATCH);
		watch(f, c->req.gp.namelen, sizeof(namelen));
		reclassify(&c->cls[0], rq.name, c->req.gp.name);
		reclassify(&c->cls[1], rq.namelen, c->req.gp.namelen);
	}
	snapshot(f);
	c->namelen_known = c->readable &&
			   saved_bytes(f, c->req.gp.namelen, &c->namelen_in, sizeof(int32_t)) &&
			   window_access(f, c->req.gp.namelen, 4) == A_RW;
	issue(f);
	check_getpeername(f);
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

static void check_batch(struct fuzzer *f)
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

static void fuzz_batch(struct fuzzer *f)
{
	static const uint32_t odd[] = {
		0, 255, 256, 257, UINT32_MAX, 64, WINSOCK_BATCH_MAX + 16,
	};
	struct call *c = &f->call;
	struct rng *r = &f->rng;
	struct winsock_getpeername_batch rq;
	struct winsock_peer_entry e;
	uint64_t span, entries;
	uint32_t count, i, n;

	if (chance(r, 70))
		count = 1 + below(r, 16);
	else if (chance(r, 70))
		count = odd[below(r, ARRAY_LEN(odd))];
	else
		count = chance(r, 50) ? 17 + below(r, 240) : (uint32_t)rnd(r);
	n = count < WINSOCK_BATCH_MAX + 1 ? count : WINSOCK_BATCH_MAX + 1;
	span = (uint64_t)n * ENTRY_SIZE;
	entries = pick_ptr(f, span ? span : ENTRY_SIZE, &c->cls[0]);

	for (i = 0; i < n; i++) {
		memset(&e, POISON, sizeof(e));
		e.socket = pick_socket(f);
		e.flags = pick_flags(r);
		e.namelen = pick_namelen(r);
		e.reserved = pick_reserved(r);
		e.result = chance(r, 50) ? 0xdeadbeef : (uint32_t)rnd(r);
		put_bytes(f, entries + (uint64_t)i * ENTRY_SIZE, (const uint8_t *)&e, sizeof(e));
	}

	rq.entries = entries;
	rq.count = count;
	rq.reserved = pick_reserved(r);
	c->cmd = WINSOCK_IOC_GETPEERNAME_BATCH;
	place_request(f, &rq, sizeof(rq), RO_BATCH, false);
	watch(f, c->arg, sizeof(rq));
	watch(f, entries, span);
	if (c->readable && c->req.ba.entries != entries) {
		n = c->req.ba.count < WINSOCK_BATCH_MAX + 1 ? c->req.ba.count :
							       WINSOCK_BATCH_MAX + 1;
		watch(f, c->req.ba.entries, (uint64_t)n * ENTRY_SIZE);
		reclassify(&c->cls[0], entries, c->req.ba.entries);
	}
	issue(f);
	check_batch(f);
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

static void check_startup(struct fuzzer *f)
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

static void fuzz_startup(struct fuzzer *f)
{
	static const uint16_t versions[] = {
		0x0101, 0x0202, 0x0000, 0x0001, 0x0100, 0x0201, 0x0002, 0x0302,
		0x0003, 0xffff, 0x0200,
	};
	struct call *c = &f->call;
	struct rng *r = &f->rng;
	struct winsock_startup rq = {
		.version_requested = chance(r, 80) ? versions[below(r, ARRAY_LEN(versions))] :
						     (uint16_t)rnd(r),
		.version = (uint16_t)rnd(r),
		.high_version = (uint16_t)rnd(r),
		.startups = (uint32_t)rnd(r),
		.pad = chance(r, 4) ? (uint16_t)rnd(r) | 1 : 0,
		.reserved = pick_reserved(r),
	};
	uint64_t wsadata = pick_ptr(f, WSADATA_LEN, &c->cls[0]);

	/*
	 * A refused handle hears of major version 0 only, but in requests
	 * that must fail anyway (read-only: the prefilled 2.2 startup).
	 */
	if (c->role == R_REFUSED)
		rq.version_requested &= 0xff00;
	rq.wsadata = wsadata;
	c->cmd = WINSOCK_IOC_STARTUP;
	place_request(f, &rq, sizeof(rq), chance(r, 90) ? RO_STARTUP : RO_STARTUP_PAD,
		      c->role == R_NEVER || c->role == R_PINNED22 || c->role == R_PINNED11);
	watch(f, c->arg, sizeof(rq));
	watch(f, wsadata, WSADATA_LEN + 16);
	if (c->readable) {
		watch(f, c->req.st.wsadata, WSADATA_LEN + 16);
		reclassify(&c->cls[0], wsadata, c->req.st.wsadata);
	}
	issue(f);
	check_startup(f);
}

static void check_cleanup(struct fuzzer *f)
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

static void fuzz_cleanup(struct fuzzer *f)
{
	struct call *c = &f->call;
	struct winsock_cleanup rq = {
		.startups = (uint32_t)rnd(&f->rng),
		.reserved = pick_reserved(&f->rng),
	};

	c->cmd = WINSOCK_IOC_CLEANUP;
	place_request(f, &rq, sizeof(rq), RO_CLEANUP,
		      c->role == R_PINNED22 || c->role == R_PINNED11);
	watch(f, c->arg, sizeof(rq));
	issue(f);
	check_cleanup(f);
}

/*
 * A number that is not one of ours.  Types the VFS answers itself before
 * the driver (FIOCLEX, FIFREEZE, FICLONE, FIGETBSZ...) are avoided: those
 * act on the file or the file system, whatever the device.
 */
static unsigned long mutate_cmd(struct rng *r)
{
	static const unsigned long valid[] = {
		WINSOCK_IOC_STARTUP, WINSOCK_IOC_CLEANUP,
		WINSOCK_IOC_GETPEERNAME, WINSOCK_IOC_GETPEERNAME_BATCH,
	};
	static const uint8_t vfs_types[] = { 0x00, 0x12, 0x15, 'T', 'X', 'f', 0x94 };
	static const uint8_t nrs[] = { 0, 5, 255 };
	unsigned long cmd = valid[below(r, ARRAY_LEN(valid))];
	unsigned int i, type;

	switch (below(r, 7)) {
	case 0:		/* flipped direction bits */
		cmd ^= (unsigned long)(1 + below(r, 3)) << _IOC_DIRSHIFT;
		break;
	case 1:		/* wrong size */
		cmd &= ~((unsigned long)_IOC_SIZEMASK << _IOC_SIZESHIFT);
		cmd |= (unsigned long)below(r, _IOC_SIZEMASK + 1) << _IOC_SIZESHIFT;
		break;
	case 2:		/* wrong magic */
		cmd &= ~((unsigned long)_IOC_TYPEMASK << _IOC_TYPESHIFT);
		cmd |= (unsigned long)below(r, 256) << _IOC_TYPESHIFT;
		break;
	case 3:
		cmd = (cmd & ~(unsigned long)_IOC_NRMASK) | nrs[below(r, ARRAY_LEN(nrs))];
		break;
	case 4:
		cmd = (cmd & ~(unsigned long)_IOC_NRMASK) | below(r, 256);
		break;
	case 5:
		cmd = (uint32_t)rnd(r);
		break;
	default:
		cmd ^= 1UL << below(r, 32);
	}
	type = (cmd >> _IOC_TYPESHIFT) & _IOC_TYPEMASK;
	for (i = 0; i < ARRAY_LEN(vfs_types); i++)
		if (type == vfs_types[i])
			cmd ^= (unsigned long)(type ^ (WINSOCK_IOC_MAGIC - 1)) << _IOC_TYPESHIFT;
	if (valid_cmd(cmd))
		cmd ^= 0x80;	/* another nr */
	return cmd;
}

static void fuzz_bad_cmd(struct fuzzer *f)
{
	struct call *c = &f->call;
	uint8_t junk[64];
	size_t i;

	for (i = 0; i < sizeof(junk); i++)
		junk[i] = (uint8_t)rnd(&f->rng);
	c->cmd = mutate_cmd(&f->rng);
	place_request(f, junk, sizeof(junk), RO_GETPEERNAME, false);
	watch(f, c->arg, sizeof(junk));
	issue(f);
	expect_refused(f, ENOTTY);
}

enum op { OP_GETPEERNAME, OP_BATCH, OP_STARTUP, OP_CLEANUP, OP_BAD_CMD, OP_NR };

/* One call: an operation on a handle, or (valid numbers only) a pool descriptor. */
static void fuzz_one(struct fuzzer *f)
{
	static const uint8_t w[OP_NR] = {
		[OP_GETPEERNAME] = 50, [OP_BATCH] = 25, [OP_STARTUP] = 8,
		[OP_CLEANUP] = 8, [OP_BAD_CMD] = 9,
	};
	struct call *c = &f->call;
	enum op op = pick(&f->rng, w, OP_NR);

	memset(c, 0, sizeof(*c));
	c->n = f->calls;
	c->entry = -1;
	f->nsegs = 0;
	if (op != OP_BAD_CMD && chance(&f->rng, 12)) {
		c->role = R_POOL;
		c->target = below(&f->rng, POOL_SIZE);
		c->fd = POOL_BASE + c->target;
	} else {
		c->target = below(&f->rng, NR_HANDLES);
		c->role = handle_spec[c->target].role;
		c->fd = world.handles[c->target];
	}
	switch (op) {
	case OP_GETPEERNAME:
		return fuzz_getpeername(f);
	case OP_BATCH:
		return fuzz_batch(f);
	case OP_STARTUP:
		return fuzz_startup(f);
	case OP_CLEANUP:
		return fuzz_cleanup(f);
	default:
		return fuzz_bad_cmd(f);
	}
}

static bool bounds_reached(struct fuzzer *f)
{
	if (stopping())
		return true;
	if (cfg.iterations &&
	    __atomic_fetch_add(&world.claimed, 1, __ATOMIC_RELAXED) >= cfg.iterations)
		return true;
	/* The clock every 16 calls: it is not free in a TCG guest. */
	return cfg.seconds && !(f->calls & 15) &&
	       now_ns() - world.start_ns >= cfg.seconds * 1000000000ULL;
}

static void *fuzzer_main(void *arg)
{
	struct fuzzer *f = arg;

	current_fuzzer = f;
	while (!bounds_reached(f))
		fuzz_one(f);
	stop_all();
	return NULL;
}

/*
 * The read-only page holds requests the kernel can read but not answer
 * into, pointing at shared memory: STARTUP and CLEANUP on them must fail
 * after the handle was (transiently) changed.
 */
static void fill_read_only_page(struct fuzzer *f, int sock)
{
	uint8_t *ro = f->arena + ARENA_RO * PG, *sink = world.sink;
	struct winsock_startup st = {
		.wsadata = addr_of(sink + 2048), .version_requested = 0x0202,
	};
	struct winsock_getpeername gp = {
		.socket = sock, .name = addr_of(sink), .namelen = addr_of(sink + 256),
	};
	struct winsock_getpeername_batch ba = {
		.entries = addr_of(sink + 4096), .count = 4,
	};
	size_t i;

	for (i = 0; i < PG; i++)
		ro[i] = (uint8_t)rnd(&f->rng);
	memcpy(ro + RO_STARTUP, &st, sizeof(st));
	memset(ro + RO_CLEANUP, 0, sizeof(struct winsock_cleanup));
	memcpy(ro + RO_GETPEERNAME, &gp, sizeof(gp));
	memcpy(ro + RO_BATCH, &ba, sizeof(ba));
	st.pad = 1;
	memcpy(ro + RO_STARTUP_PAD, &st, sizeof(st));
	gp.flags = 2;
	memcpy(ro + RO_GPN_FLAGS, &gp, sizeof(gp));
}

static int fuzzer_init(struct fuzzer *f, int id)
{
	uint8_t *a;

	f->id = id;
	rng_init(&f->rng, 1 + id);
	a = mmap(NULL, ARENA_BYTES, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	f->save = malloc(ARENA_BYTES);
	if (a == MAP_FAILED || !f->save)
		return -1;
	f->arena = a;
	memset(a, POISON, ARENA_BYTES);
	fill_read_only_page(f, world.tcp4_client);
	if (mprotect(a + ARENA_NONE * PG, PG, PROT_NONE) ||
	    mprotect(a + ARENA_RO * PG, PG, PROT_READ) ||
	    munmap(a + ARENA_HOLE * PG, PG))
		return -1;
	return 0;
}

/* A hole that something else mapped since would make its checks wrong. */
static bool hole_still_unmapped(const struct fuzzer *f)
{
	return msync(f->arena + ARENA_HOLE * PG, PG, MS_ASYNC) && errno == ENOMEM;
}

/* --- the chaos threads ----------------------------------------------- */

struct chaos {
	int id;
	pthread_t thread;
	struct rng rng;
	uint64_t ops, netns;
};

/* Half the TCP sockets reset on close: no TIME_WAIT piling up. */
static void maybe_linger0(struct rng *r, int fd)
{
	struct linger l = { 1, 0 };

	if (fd >= 0 && chance(r, 50))
		setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
}

static int tcp_to(struct rng *r, int family, const struct sockaddr_storage *ss,
		  socklen_t len)
{
	int fd = socket(family, SOCK_STREAM | SOCK_NONBLOCK, 0);

	maybe_linger0(r, fd);
	if (fd >= 0)
		connect(fd, (const struct sockaddr *)ss, len);
	return fd;
}

static int unix_to(int type, const struct sockaddr_un *sun, socklen_t len)
{
	int fd = socket(AF_UNIX, type | SOCK_NONBLOCK, 0);

	if (fd >= 0)
		connect(fd, (const struct sockaddr *)sun, len);
	return fd;
}

static int udp_to(int family, const struct sockaddr_storage *ss, socklen_t len,
		  bool dissolve)
{
	struct sockaddr unspec = { .sa_family = AF_UNSPEC };
	int fd = socket(family, SOCK_DGRAM | SOCK_NONBLOCK, 0);

	if (fd >= 0 && !connect(fd, (const struct sockaddr *)ss, len) && dissolve)
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
		fd = unix_to(SOCK_STREAM, &world.ustream, world.ustream_len);
		break;
	case 12:
		fd = unix_to(SOCK_STREAM, &world.upath, world.upath_len);
		break;
	case 13:
		fd = unix_to(SOCK_SEQPACKET, &world.useq, world.useq_len);
		break;
	case 14:
		fd = unix_to(SOCK_DGRAM, &world.udgram, world.udgram_len);
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

static void replace(struct rng *r)
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

static void write_param(const char *name, const char *v)
{
	char path[96];
	int fd;

	snprintf(path, sizeof(path), "/sys/module/winsock/parameters/%s", name);
	fd = open(path, O_WRONLY);
	if (fd < 0)
		return;
	if (write(fd, v, 1) != 1)
		fail_msg("chaos", "cannot write %s to %s", v, path);
	close(fd);
}

/* Take the provider down (or audit on) for a moment: always restored. */
static void toggle_param(struct rng *r, const char *name)
{
	if (!world.root)
		return;
	write_param(name, "1");
	usleep(below(r, 500));
	write_param(name, "0");
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

static void *chaos_main(void *arg)
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

/* --- the audit listener ---------------------------------------------- */

struct audit {
	pthread_t thread;
	struct rng rng;
	uint64_t sessions, events, lost, refused;
};

struct genl_req {
	struct nlmsghdr nh;
	struct genlmsghdr gh;
	char attrs[64];
};

#define nla_for_each(a, data, len, rem)						\
	for (a = (const struct nlattr *)(data), rem = (int)(len);		\
	     rem >= (int)NLA_HDRLEN && a->nla_len >= NLA_HDRLEN &&		\
	     a->nla_len <= rem;							\
	     rem -= NLA_ALIGN(a->nla_len),					\
	     a = (const struct nlattr *)((const char *)a + NLA_ALIGN(a->nla_len)))

static const void *nla_data_of(const struct nlattr *a)
{
	return (const char *)a + NLA_HDRLEN;
}

/* A request, with @attr (@len bytes of @data) if @attr is not 0. */
static int genl_send_attr(int s, uint16_t family, uint8_t cmd, uint16_t attr,
			  const void *data, size_t len)
{
	struct genl_req req;
	struct nlattr *a = (struct nlattr *)req.attrs;

	memset(&req, 0, sizeof(req));
	req.nh.nlmsg_len = NLMSG_LENGTH(GENL_HDRLEN);
	req.nh.nlmsg_type = family;
	req.nh.nlmsg_flags = NLM_F_REQUEST;
	req.gh.cmd = cmd;
	req.gh.version = family == GENL_ID_CTRL ? 1 : WINSOCK_GENL_VERSION;
	if (attr) {
		a->nla_type = attr;
		a->nla_len = NLA_HDRLEN + len;
		memcpy(a + 1, data, len);
		req.nh.nlmsg_len += NLA_ALIGN(a->nla_len);
	}
	return send(s, &req, req.nh.nlmsg_len, 0) == (ssize_t)req.nh.nlmsg_len ? 0 : -1;
}

static int genl_send(int s, uint16_t family, uint8_t cmd, const char *name)
{
	return genl_send_attr(s, family, cmd, name ? CTRL_ATTR_FAMILY_NAME : 0,
			      name, name ? strlen(name) + 1 : 0);
}

/* The family's id, with CTRL_CMD_GETFAMILY. */
static int genl_resolve(int *family)
{
	char buf[8192];
	const struct nlmsghdr *nh = (const struct nlmsghdr *)buf;
	const struct nlattr *a;
	int s, rem;
	ssize_t n;
	uint16_t id;

	*family = -1;
	s = socket(AF_NETLINK, SOCK_RAW, NETLINK_GENERIC);
	if (s < 0 || genl_send(s, GENL_ID_CTRL, CTRL_CMD_GETFAMILY, WINSOCK_GENL_NAME)) {
		if (s >= 0)
			close(s);
		return -1;
	}
	n = recv(s, buf, sizeof(buf), 0);
	close(s);
	if (n < (ssize_t)NLMSG_LENGTH(GENL_HDRLEN) || !NLMSG_OK(nh, n) ||
	    nh->nlmsg_type != GENL_ID_CTRL)
		return -1;
	nla_for_each(a, (const char *)NLMSG_DATA(nh) + GENL_HDRLEN,
		     nh->nlmsg_len - NLMSG_LENGTH(GENL_HDRLEN), rem) {
		if (a->nla_type == CTRL_ATTR_FAMILY_ID) {
			memcpy(&id, nla_data_of(a), sizeof(id));
			*family = id;
		}
	}
	return *family < 0 ? -1 : 0;
}

/* An event: numbered after the last one this socket saw, a lookup's result. */
static void audit_event(struct audit *au, const struct nlmsghdr *nh, uint64_t *last)
{
	const struct nlattr *a;
	uint64_t seq = 0;
	uint32_t result = 0;
	int rem;

	nla_for_each(a, (const char *)NLMSG_DATA(nh) + GENL_HDRLEN,
		     nh->nlmsg_len - NLMSG_LENGTH(GENL_HDRLEN), rem) {
		if (a->nla_type == WINSOCK_A_SEQ)
			memcpy(&seq, nla_data_of(a), sizeof(seq));
		else if (a->nla_type == WINSOCK_A_RESULT)
			memcpy(&result, nla_data_of(a), sizeof(result));
	}
	au->events++;
	if (seq <= *last)
		fail_msg("audit", "event %" PRIu64 " after event %" PRIu64, seq, *last);
	*last = seq;
	if (outcome_of(result, 0) > S_FAULT)
		fail_msg("audit", "event %" PRIu64 " with result %u", seq, result);
}

/*
 * Read what is queued; events are checked, replies skipped, errors (no
 * request asks for an acknowledgement) counted as refusals.
 */
static void audit_drain(struct audit *au, int s, uint64_t *last)
{
	char buf[16384];
	const struct nlmsghdr *nh;
	const struct genlmsghdr *gh;
	ssize_t n;

	for (;;) {
		n = recv(s, buf, sizeof(buf), MSG_DONTWAIT);
		if (n < 0 && errno == ENOBUFS) {
			au->lost++;	/* the gap in the numbers says how many */
			continue;
		}
		if (n <= 0)
			return;
		for (nh = (const struct nlmsghdr *)buf; NLMSG_OK(nh, n); nh = NLMSG_NEXT(nh, n)) {
			if (nh->nlmsg_type == NLMSG_ERROR &&
			    ((const struct nlmsgerr *)NLMSG_DATA(nh))->error)
				au->refused++;
			if (nh->nlmsg_type != world.genl_family ||
			    nh->nlmsg_len < NLMSG_LENGTH(GENL_HDRLEN))
				continue;
			gh = NLMSG_DATA(nh);
			if (gh->cmd == WINSOCK_CMD_EVENT)
				audit_event(au, nh, last);
		}
	}
}

/*
 * Subscribe for a while, maybe with a tiny buffer (then mostly best
 * effort: a reliable subscriber that reads this slowly would make the
 * lookups wait), sometimes with bad flags or twice; then leave.
 */
static void audit_session(struct audit *au)
{
	struct rng *r = &au->rng;
	int s, one = 1, rcvbuf = 1024 + below(r, 16384), rounds, i;
	bool tiny = chance(r, 50);
	uint64_t last = 0;
	uint32_t flags;

	s = socket(AF_NETLINK, SOCK_RAW | SOCK_NONBLOCK, NETLINK_GENERIC);
	if (s < 0) {
		usleep(1000);
		return;
	}
	if (tiny)
		setsockopt(s, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	if (chance(r, 20))
		setsockopt(s, SOL_NETLINK, NETLINK_NO_ENOBUFS, &one, sizeof(one));
	flags = chance(r, tiny ? 90 : 30) ? WINSOCK_SUB_BEST_EFFORT : 0;
	if (chance(r, 10))
		flags |= 1U << (1 + below(r, 31));	/* unknown: EINVAL */
	if (flags || chance(r, 50))
		genl_send_attr(s, world.genl_family, WINSOCK_CMD_SUBSCRIBE,
			       WINSOCK_A_SUB_FLAGS, &flags, sizeof(flags));
	else
		genl_send(s, world.genl_family, WINSOCK_CMD_SUBSCRIBE, NULL);
	if (chance(r, 10))	/* EEXIST, or the first if that one was bad */
		genl_send(s, world.genl_family, WINSOCK_CMD_SUBSCRIBE, NULL);
	rounds = 1 + below(r, 32);
	for (i = 0; i < rounds && !stopping(); i++) {
		audit_drain(au, s, &last);
		if (chance(r, 5))
			genl_send(s, world.genl_family, chance(r, 20) ?
				  WINSOCK_CMD_RESET_STATS : WINSOCK_CMD_GET_STATS, NULL);
		usleep(below(r, 2000));
	}
	if (chance(r, 50))
		genl_send(s, world.genl_family, WINSOCK_CMD_UNSUBSCRIBE, NULL);
	if (chance(r, 50))
		audit_drain(au, s, &last);
	close(s);
	au->sessions++;
}

static void *audit_main(void *arg)
{
	struct audit *au = arg;

	while (!stopping())
		audit_session(au);
	return NULL;
}

/* --- setup ----------------------------------------------------------- */

/* Decimal text of @v at @buf + @n, for the signal handler (no stdio). */
static size_t put_u64(char *buf, size_t n, uint64_t v)
{
	char tmp[24];
	int i = 0;

	do {
		tmp[i++] = '0' + v % 10;
		v /= 10;
	} while (v);
	while (i)
		buf[n++] = tmp[--i];
	return n;
}

static size_t put_str(char *buf, size_t n, const char *s)
{
	while (*s)
		buf[n++] = *s++;
	return n;
}

/*
 * A signal that would kill the test: say which seed and which call, then
 * die of it, so that the harness reports the signal.
 */
static void crash_handler(int sig, siginfo_t *si, void *uc)
{
	struct fuzzer *f = current_fuzzer;
	char buf[256];
	size_t n = 0;

	(void)si;
	(void)uc;
	n = put_str(buf, n, "# fuzz: FAIL signal ");
	n = put_u64(buf, n, sig);
	n = put_str(buf, n, " seed=");
	n = put_u64(buf, n, cfg.seed);
	if (f) {
		n = put_str(buf, n, " fuzzer ");
		n = put_u64(buf, n, f->id);
		n = put_str(buf, n, " call ");
		n = put_u64(buf, n, f->call.n);
		n = put_str(buf, n, " cmd ");
		n = put_u64(buf, n, f->call.cmd);
		n = put_str(buf, n, " fd ");
		n = put_u64(buf, n, f->call.fd);
	}
	n = put_str(buf, n, "\n");
	if (write(STDERR_FILENO, buf, n) < 0)
		_exit(1);
	raise(sig);
}

static void catch_crashes(void)
{
	struct sigaction sa = {
		.sa_sigaction = crash_handler,
		.sa_flags = SA_SIGINFO | SA_RESETHAND,
	};
	int sigs[] = { SIGSEGV, SIGBUS, SIGILL, SIGFPE }, i;

	for (i = 0; i < (int)ARRAY_LEN(sigs); i++)
		sigaction(sigs[i], &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}

/* Servers, and descriptors whose answers are known (see learn()). */
static int make_world(void)
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
	world.tcp4_client = connected(AF_INET, SOCK_STREAM, &world.tcp4, world.tcp4_len);
	learn("TCPv4 client", world.tcp4_client);
	learn("TCPv4 server", accept(l, NULL, NULL));
	learn("TCPv4 listener", l);
	world.listeners[0] = l;
	l = tcp_listener(AF_INET6, 128);
	world.tcp6_len = local_name(l, &world.tcp6);
	learn("TCPv6 client", connected(AF_INET6, SOCK_STREAM, &world.tcp6, world.tcp6_len));
	learn("TCPv6 server", accept(l, NULL, NULL));
	world.listeners[1] = l;
	l = tcp_listener(AF_INET, 0);
	world.full4_len = local_name(l, &world.full4);
	learn("TCPv4 never accepted", connected(AF_INET, SOCK_STREAM, &world.full4,
						world.full4_len));
	learn("TCPv4 full listener", l);

	/* UDP: servers, one connected client, one without a peer. */
	fd = loopback_socket(AF_INET, SOCK_DGRAM);
	world.udp4_len = local_name(fd, &world.udp4);
	learn("UDPv4 server", fd);
	fd = loopback_socket(AF_INET6, SOCK_DGRAM);
	world.udp6_len = local_name(fd, &world.udp6);
	learn("UDPv6 server", fd);
	learn("UDPv4 connected", connected(AF_INET, SOCK_DGRAM, &world.udp4, world.udp4_len));

	/* AF_UNIX: abstract and path listeners, a datagram server, pairs. */
	world.ustream_len = abstract_name(&world.ustream, "stream");
	l = unix_server(SOCK_STREAM, &world.ustream, world.ustream_len);
	learn("unix abstract client", connected(AF_UNIX, SOCK_STREAM, &world.ustream,
						world.ustream_len));
	learn("unix accepted (unnamed peer)", accept(l, NULL, NULL));
	learn("unix listener", l);
	world.listeners[2] = l;
	world.useq_len = abstract_name(&world.useq, "seqpacket");
	world.listeners[3] = unix_server(SOCK_SEQPACKET, &world.useq, world.useq_len);
	world.udgram_len = abstract_name(&world.udgram, "dgram");
	learn("unix datagram server", unix_server(SOCK_DGRAM, &world.udgram, world.udgram_len));
	memset(&world.upath, 0, sizeof(world.upath));
	world.upath.sun_family = AF_UNIX;
	snprintf(world.upath.sun_path, sizeof(world.upath.sun_path),
		 "/tmp/winsock-fuzz-%d.sock", getpid());
	world.upath_len = sizeof(world.upath);
	unlink(world.upath.sun_path);
	l = unix_server(SOCK_STREAM, &world.upath, world.upath_len);
	learn("unix path client", connected(AF_UNIX, SOCK_STREAM, &world.upath,
					    world.upath_len));
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

static void unmake_world(void)
{
	unlink(world.upath.sun_path);
	unlink(world.file_path);
	if (world.root) {
		write_param("provider_down", "0");
		write_param("audit", "0");
	}
}

/* Raise the descriptor limit to the table the pool and NEVER_OPEN assume. */
static int fd_limit(void)
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

static void report(struct fuzzer *fz, struct chaos *ch, struct audit *au, double secs)
{
	uint64_t calls = 0, lookups = 0, out[S_NR] = { 0 }, ops = 0, netns = 0;
	char line[1024];
	int i, j, n = 0;

	for (i = 0; i < NR_FUZZERS; i++) {
		calls += fz[i].calls;
		lookups += fz[i].lookups;
		for (j = 0; j < S_NR; j++)
			out[j] += fz[i].outcomes[j];
	}
	for (i = 0; i < NR_CHAOS; i++) {
		ops += ch[i].ops;
		netns += ch[i].netns;
	}
	for (j = 0; j < S_NR; j++)
		if (out[j])
			n += snprintf(line + n, sizeof(line) - n, " %s %" PRIu64,
				      outcome_name[j], out[j]);
	ksft_print_msg("fuzz: %" PRIu64 " ioctls in %.1f s (%.0f/s), seed=%" PRIu64 "\n",
		       calls, secs, secs > 0 ? calls / secs : 0.0, cfg.seed);
	ksft_print_msg("fuzz: %" PRIu64 " lookups; ioctl results:%s\n", lookups, line);
	ksft_print_msg("fuzz: chaos %" PRIu64 " operations, %" PRIu64
		       " network namespaces; audit %" PRIu64 " sessions, %" PRIu64
		       " events, %" PRIu64 " overruns, %" PRIu64 " refused\n",
		       ops, netns, au->sessions, au->events, au->lost, au->refused);
	fflush(stdout);
}

TEST(ioctls)
{
	struct fuzzer fz[NR_FUZZERS];
	struct chaos ch[NR_CHAOS];
	struct audit au;
	double secs;
	int i;

	memset(fz, 0, sizeof(fz));
	memset(ch, 0, sizeof(ch));
	memset(&au, 0, sizeof(au));
	ksft_print_msg("seed=%" PRIu64 "\n", cfg.seed);
	ksft_print_msg("fuzz: at most %" PRIu64 " ioctls, %" PRIu64
		       " s (0: no bound); reproduce with WINSOCK_FUZZ_SEED=%" PRIu64 "\n",
		       cfg.iterations, cfg.seconds, cfg.seed);
	fflush(stdout);
	if (access(WINSOCK_DEVICE_PATH, R_OK | W_OK))
		SKIP(return, "%s: %s (module not loaded)", WINSOCK_DEVICE_PATH, strerror(errno));
	ASSERT_EQ(4096, sysconf(_SC_PAGESIZE));
	ASSERT_EQ(0, fd_limit());
	world.root = !geteuid();
	catch_crashes();
	ASSERT_EQ(0, make_world());
	for (i = 0; i < NR_FUZZERS; i++)
		ASSERT_EQ(0, fuzzer_init(&fz[i], i));
	if (genl_resolve(&world.genl_family))
		TH_LOG("no %s netlink family: fuzzing without the audit listener",
		       WINSOCK_GENL_NAME);

	world.start_ns = now_ns();
	for (i = 0; i < NR_FUZZERS; i++)
		ASSERT_EQ(0, pthread_create(&fz[i].thread, NULL, fuzzer_main, &fz[i]));
	for (i = 0; i < NR_CHAOS; i++) {
		ch[i].id = i;
		rng_init(&ch[i].rng, 100 + i);
		ASSERT_EQ(0, pthread_create(&ch[i].thread, NULL, chaos_main, &ch[i]));
	}
	rng_init(&au.rng, 200);
	if (world.genl_family >= 0)
		ASSERT_EQ(0, pthread_create(&au.thread, NULL, audit_main, &au));

	for (i = 0; i < NR_FUZZERS; i++)
		pthread_join(fz[i].thread, NULL);
	secs = (now_ns() - world.start_ns) / 1e9;
	stop_all();
	for (i = 0; i < NR_CHAOS; i++)
		pthread_join(ch[i].thread, NULL);
	if (world.genl_family >= 0)
		pthread_join(au.thread, NULL);
	unmake_world();

	for (i = 0; i < NR_FUZZERS; i++)
		if (!hole_still_unmapped(&fz[i]))
			TH_LOG("fuzzer %d's hole was mapped meanwhile: its failures are void",
			       i);
	report(fz, ch, &au, secs);
	EXPECT_EQ(0, world.failures)
		TH_LOG("seed=%" PRIu64 ": %" PRIu64 " calls broke invariants (reproduce with "
		       "WINSOCK_FUZZ_SEED=%" PRIu64 ")", cfg.seed, world.failures, cfg.seed);
}

/* --- bounds from the environment and the command line ---------------- */

static bool parse_u64(const char *s, uint64_t *v)
{
	char *end;

	if (!s || !*s || *s == '-')
		return false;
	errno = 0;
	*v = strtoull(s, &end, 0);
	return !errno && !*end;
}

static void print_usage(const char *argv0)
{
	fprintf(stderr, "usage: %s [--seconds N] [--iterations N] [--seed N] [harness options]\n"
		"  also WINSOCK_FUZZ_SECONDS, WINSOCK_FUZZ_ITERATIONS, WINSOCK_FUZZ_SEED;\n"
		"  0 seconds or 0 iterations: no such bound (not both)\n", argv0);
	exit(KSFT_FAIL);
}

static void env_option(const char *name, uint64_t *v, const char *argv0)
{
	const char *s = getenv(name);

	if (s && !parse_u64(s, v)) {
		fprintf(stderr, "%s: bad %s=%s\n", argv0, name, s);
		print_usage(argv0);
	}
}

/*
 * Take --seconds, --iterations and --seed (with their value, or "=value")
 * out of argv, so that the harness sees only its own options.
 */
static int take_options(int argc, char **argv, bool *seeded)
{
	static const char *const names[] = { "--seconds", "--iterations", "--seed" };
	uint64_t *vals[] = { &cfg.seconds, &cfg.iterations, &cfg.seed };
	int i, j, out = 1;
	size_t len;
	const char *v;

	for (i = 1; i < argc; i++) {
		for (j = 0; j < 3; j++) {
			len = strlen(names[j]);
			if (!strncmp(argv[i], names[j], len) &&
			    (argv[i][len] == '=' || !argv[i][len]))
				break;
		}
		if (j == 3) {
			argv[out++] = argv[i];
			continue;
		}
		v = argv[i][len] == '=' ? argv[i] + len + 1 : (i + 1 < argc ? argv[++i] : NULL);
		if (!parse_u64(v, vals[j]))
			print_usage(argv[0]);
		if (j == 2)
			*seeded = true;
	}
	argv[out] = NULL;
	return out;
}

/* As TEST_HARNESS_MAIN: tests run in the order they are declared. */
static void __attribute__((constructor)) __constructor_order_last(void)
{
	if (!__constructor_order)
		__constructor_order = _CONSTRUCTOR_ORDER_BACKWARD;
}

int main(int argc, char **argv)
{
	uint64_t t = 0;
	bool seeded = getenv("WINSOCK_FUZZ_SEED");

	env_option("WINSOCK_FUZZ_SECONDS", &cfg.seconds, argv[0]);
	env_option("WINSOCK_FUZZ_ITERATIONS", &cfg.iterations, argv[0]);
	env_option("WINSOCK_FUZZ_SEED", &cfg.seed, argv[0]);
	argc = take_options(argc, argv, &seeded);
	if (!cfg.seconds && !cfg.iterations)
		print_usage(argv[0]);
	if (!seeded) {
		t = now_ns() ^ ((uint64_t)time(NULL) << 32) ^ getpid();
		cfg.seed = splitmix64(&t) >> 1;
	}
	/*
	 * The harness kills a test after its timeout (TEST() gives 30 s):
	 * allow the time bound plus set-up; none for an iteration bound alone.
	 */
	_ioctls_object.timeout = cfg.seconds && cfg.seconds < INT_MAX - 60 ?
				 (int)cfg.seconds + 60 : 0;
	return test_harness_run(argc, argv);
}
