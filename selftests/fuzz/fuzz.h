/* SPDX-License-Identifier: GPL-2.0 */
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
 *
 * The files: world.c (the handles, the known descriptors, the servers),
 * arena.c (a fuzzer's memory: where pointers point, what the kernel may
 * write), requests.c (the fuzzer threads: what they ask), oracle.c (what
 * the answer may be, the failure reports), chaos.c (the chaos threads),
 * listener.c (the audit listener) and main.c (the options, the test).
 */
#ifndef _WINSOCK_FUZZ_H
#define _WINSOCK_FUZZ_H

#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <linux/winsock.h>

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

struct fuzz_cfg {
	uint64_t seed;
	uint64_t iterations;	/* 0: no bound */
	uint64_t seconds;	/* 0: no bound */
};

extern struct fuzz_cfg cfg;

/* --- reproducible randomness ----------------------------------------- */

struct rng {
	uint64_t s;
};

static inline uint64_t splitmix64(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* Every thread has its own stream, a function of the seed and its role. */
static inline void rng_init(struct rng *r, uint64_t stream)
{
	uint64_t x = cfg.seed ^ (stream * 0xd1342543de82ef95ULL);

	r->s = splitmix64(&x) | 1;
}

/* xorshift64*: fast, and never zero once seeded odd. */
static inline uint64_t rnd(struct rng *r)
{
	r->s ^= r->s >> 12;
	r->s ^= r->s << 25;
	r->s ^= r->s >> 27;
	return r->s * 0x2545f4914f6cdd1dULL;
}

static inline uint32_t below(struct rng *r, uint32_t n)
{
	return (uint32_t)(((rnd(r) >> 32) * n) >> 32);
}

static inline bool chance(struct rng *r, unsigned int percent)
{
	return below(r, 100) < percent;
}

/* An index into @w, drawn with those weights. */
static inline unsigned int pick(struct rng *r, const uint8_t *w, unsigned int n)
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

static inline uint64_t now_ns(void)
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

extern const char *const role_name[];

struct handle_spec {
	enum role role;
	uint16_t version;	/* started with at setup; 0: not at all */
};

extern const struct handle_spec handle_spec[NR_HANDLES];

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

/*
 * What every thread shares: made by make_world() before they start and
 * read-only afterwards, but for the stop flag, the counters and what the
 * locks guard.
 */
struct world {
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
};

extern struct world world;

/* --- a fuzzer's memory ----------------------------------------------- */

/* Where a pointer points; weights per use below. */
enum pclass {
	PC_VALID, PC_MISALIGNED, PC_SHARED, PC_TO_NONE, PC_TO_RO, PC_TO_HOLE,
	PC_RO, PC_NONE, PC_HOLE, PC_NULL, PC_LOW, PC_KERNEL, PC_WILD, PC_NR,
};

extern const char *const pclass_name[PC_NR + 1];

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

extern const char *const outcome_name[S_NR];

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

/* The fuzzer of this thread, for the crash handler. */
extern __thread struct fuzzer *current_fuzzer;

/* --- the chaos threads ----------------------------------------------- */

struct chaos {
	int id;
	pthread_t thread;
	struct rng rng;
	uint64_t ops, netns;
};

/* --- the audit listener ---------------------------------------------- */

struct audit {
	pthread_t thread;
	struct rng rng;
	uint64_t sessions, events;
	uint64_t lost;		/* overflows: the gap in the numbers says how many */
	uint64_t refused;	/* requests answered with an error */
};

static inline uint64_t addr_of(const void *p)
{
	return (uint64_t)(uintptr_t)p;
}

/* world.c */
bool stopping(void);
void stop_all(void);
const struct known *known_of(uint64_t s);
int make_world(void);
void unmake_world(void);
int fd_limit(void);

/* arena.c */
uint64_t arena_base(const struct fuzzer *f);
bool in_arena(const struct fuzzer *f, uint64_t a);
enum access window_access(const struct fuzzer *f, uint64_t a, uint64_t len);
void watch(struct fuzzer *f, uint64_t a, uint64_t len);
void snapshot(struct fuzzer *f);
void allow(struct fuzzer *f, uint64_t a, uint64_t len);
void put_bytes(const struct fuzzer *f, uint64_t a, const uint8_t *src, size_t len);
bool saved_bytes(const struct fuzzer *f, uint64_t a, void *dst, size_t len);
uint64_t pick_ptr(struct fuzzer *f, uint64_t len, enum pclass *cls);
void place_request(struct fuzzer *f, const void *req, size_t len, size_t ro_off,
		   bool readonly);
void reclassify(enum pclass *cls, uint64_t chosen, uint64_t found);
int fuzzer_init(struct fuzzer *f, int id);
bool hole_still_unmapped(const struct fuzzer *f);

/* oracle.c */
void fail_msg(const char *who, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
bool valid_cmd(unsigned long cmd);
int outcome_of(long rc, int err);
void expect_refused(struct fuzzer *f, int err);
void check_getpeername(struct fuzzer *f);
void check_batch(struct fuzzer *f);
void check_startup(struct fuzzer *f);
void check_cleanup(struct fuzzer *f);

/* requests.c */
void *fuzzer_main(void *arg);

/* chaos.c */
void replace(struct rng *r);
/* A module parameter set with param_set(); a refused write is a failure. */
void write_param(const char *name, long v);
void *chaos_main(void *arg);

/* listener.c */
int audit_family(void);
void *audit_main(void *arg);

#endif /* _WINSOCK_FUZZ_H */
