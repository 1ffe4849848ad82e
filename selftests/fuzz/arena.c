// SPDX-License-Identifier: GPL-2.0
/*
 * A fuzzer's memory: the arena of read-write, PROT_NONE, read-only and
 * unmapped pages, where pointers of every class point, what the kernel
 * may read and write there, and the snapshot it is checked against.
 */
#include <stddef.h>
#include <stdlib.h>
#include <sys/mman.h>

/* Not the harness: only main.c includes it (it defines the test list). */
#include "../helpers.h"
#include "fuzz.h"

const char *const pclass_name[PC_NR + 1] = {
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

uint64_t arena_base(const struct fuzzer *f)
{
	return addr_of(f->arena);
}

bool in_arena(const struct fuzzer *f, uint64_t a)
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
enum access window_access(const struct fuzzer *f, uint64_t a, uint64_t len)
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

typedef void (*seg_fn)(void *arg, size_t off, size_t len);

/* The readable part of [a, a + len) inside the arena, page by page. */
static void readable_parts(const struct fuzzer *f, uint64_t a, uint64_t len,
			   seg_fn fn, void *arg)
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

static void add_seg(void *arg, size_t off, size_t len)
{
	struct fuzzer *f = arg;
	struct seg *last = f->nsegs ? &f->segs[f->nsegs - 1] : NULL;

	if (last && last->off + last->len == off) {
		last->len += len;
		return;
	}
	if (f->nsegs < MAX_SEGS)
		f->segs[f->nsegs++] = (struct seg){ off, len };
}

/* The kernel may not change [a, a + len) unless allow() says so. */
void watch(struct fuzzer *f, uint64_t a, uint64_t len)
{
	readable_parts(f, a, len, add_seg, f);
}

void snapshot(struct fuzzer *f)
{
	int i;

	for (i = 0; i < f->nsegs; i++)
		memcpy(f->save + f->segs[i].off, f->arena + f->segs[i].off,
		       f->segs[i].len);
}

static void accept_bytes(void *arg, size_t off, size_t len)
{
	struct fuzzer *f = arg;

	memcpy(f->save + off, f->arena + off, len);
}

/* The kernel was allowed to write [a, a + len): take what is there. */
void allow(struct fuzzer *f, uint64_t a, uint64_t len)
{
	readable_parts(f, a, len, accept_bytes, f);
}

/* What put_bytes() writes, and where it starts. */
struct put {
	const struct fuzzer *f;
	uint64_t a;
	const uint8_t *src;
};

/* The read-only page is mprotect()ed: what falls there stays as it is. */
static void put_part(void *arg, size_t off, size_t len)
{
	const struct put *p = arg;

	if (off / PG != ARENA_RO)
		memcpy(p->f->arena + off, p->src + (off - (p->a - arena_base(p->f))), len);
}

/* Write @len bytes at @a, what of them is writable. */
void put_bytes(const struct fuzzer *f, uint64_t a, const uint8_t *src, size_t len)
{
	struct put p = { .f = f, .a = a, .src = src };

	if (in_sink(a)) {
		if (len <= SINK_BYTES - (a - addr_of(world.sink)))
			memcpy((void *)(uintptr_t)a, src, len);
		return;
	}
	if (in_arena(f, a))
		readable_parts(f, a, len, put_part, &p);
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
bool saved_bytes(const struct fuzzer *f, uint64_t a, void *dst, size_t len)
{
	if (!in_arena(f, a) || window_access(f, a, len) == A_BAD)
		return false;
	memcpy(dst, f->save + (a - arena_base(f)), len);
	return true;
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

uint64_t pick_ptr(struct fuzzer *f, uint64_t len, enum pclass *cls)
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
void place_request(struct fuzzer *f, const void *req, size_t len,
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
void reclassify(enum pclass *cls, uint64_t chosen, uint64_t found)
{
	if (found != chosen)
		*cls = in_sink(found) ? PC_SHARED : PC_NR;
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

int fuzzer_init(struct fuzzer *f, int id)
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
bool hole_still_unmapped(const struct fuzzer *f)
{
	return msync(f->arena + ARENA_HOLE * PG, PG, MS_ASYNC) && errno == ENOMEM;
}

