// SPDX-License-Identifier: GPL-2.0
/*
 * The requests: what each fuzzer thread asks, on which handle, with which
 * fields and pointers, and its loop until the bounds are reached.
 */
#include <stddef.h>
#include <sys/ioctl.h>

/* Not the harness: only main.c includes it (it defines the test list). */
#include "../helpers.h"
#include "fuzz.h"

__thread struct fuzzer *current_fuzzer;

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

void *fuzzer_main(void *arg)
{
	struct fuzzer *f = arg;

	current_fuzzer = f;
	while (!bounds_reached(f))
		fuzz_one(f);
	stop_all();
	return NULL;
}

