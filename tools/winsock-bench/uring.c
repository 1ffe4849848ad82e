// SPDX-License-Identifier: GPL-2.0
/*
 * A minimal io_uring for winsock-bench: one ring, raw system calls, only
 * IORING_OP_URING_CMD / SOCKET_URING_OP_GETSOCKNAME (see uring.h).
 *
 * The kernel's handler (io_uring/cmd_net.c, 6.19+) reads the buffer from
 * sqe->addr, the int length from sqe->addr3 and "peer" from sqe->optlen
 * (0: getsockname, 1: getpeername, else EINVAL), and refuses a socket
 * whose protocol has no ioctl with EOPNOTSUPP (the four families measured
 * here all have one on 7.3).
 */
#include <errno.h>
#include <linux/io_uring.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "uring.h"

/* Not in the uapi headers of Debian 12; the value is the kernel's ABI. */
#define WSU_SOCKET_URING_OP_GETSOCKNAME 5
#define WSU_ENTRIES 256

struct wsu_ring {
	int fd;
	void *sq_map, *cq_map;
	size_t sq_len, cq_len;
	struct io_uring_sqe *sqes;
	unsigned int *sq_tail, *sq_mask, *sq_array;
	unsigned int *cq_head, *cq_tail, *cq_mask;
	struct io_uring_cqe *cqes;
	struct sockaddr_storage ss[WSU_ENTRIES];
	int len[WSU_ENTRIES];
};

static void *ring_ptr(void *map, unsigned int off)
{
	return (char *)map + off;
}

/* sqe->optlen shares its offset with splice_fd_in, the name that older uapi headers know. */
static void fill(struct io_uring_sqe *sqe, int fd, int peer, struct sockaddr_storage *ss, int *len)
{
	memset(sqe, 0, sizeof(*sqe));
	sqe->opcode = IORING_OP_URING_CMD;
	sqe->fd = fd;
	sqe->cmd_op = WSU_SOCKET_URING_OP_GETSOCKNAME;
	sqe->addr = (uintptr_t)ss;
	sqe->addr3 = (uintptr_t)len;
	sqe->splice_fd_in = peer;
}

/* Submit n prepared SQEs (from the current tail on), wait for their CQEs. */
static int submit(struct wsu_ring *r, unsigned int n)
{
	unsigned int head, tail, i;
	int res = 0;

	tail = *r->sq_tail;
	__atomic_store_n(r->sq_tail, tail + n, __ATOMIC_RELEASE);
	if (syscall(__NR_io_uring_enter, r->fd, n, n, IORING_ENTER_GETEVENTS, NULL, 0) != (long)n)
		return errno ? -errno : -EIO;
	head = *r->cq_head;
	tail = __atomic_load_n(r->cq_tail, __ATOMIC_ACQUIRE);
	if (tail - head < n)
		return -EIO;
	for (i = 0; i < n; i++)
		if (r->cqes[(head + i) & *r->cq_mask].res && !res)
			res = r->cqes[(head + i) & *r->cq_mask].res;
	__atomic_store_n(r->cq_head, head + n, __ATOMIC_RELEASE);
	return res;
}

int wsu_lookup(struct wsu_ring *r, int fd, int peer, struct sockaddr_storage *ss, int *len)
{
	fill(&r->sqes[*r->sq_tail & *r->sq_mask], fd, peer, ss, len);
	return submit(r, 1);
}

int wsu_prepare(struct wsu_ring *r, const int *fds, int n)
{
	int i;

	if (n < 1)
		return -EINVAL;
	/*
	 * The length each lookup writes back is that socket's address size,
	 * which stays right for the next lookup of the same slot: the timed
	 * loop only advances the ring.
	 */
	for (i = 0; i < WSU_ENTRIES; i++) {
		r->len[i] = sizeof(r->ss[i]);
		fill(&r->sqes[i], fds[i % n], 1, &r->ss[i], &r->len[i]);
	}
	return 0;
}

int wsu_run(struct wsu_ring *r, int n, long calls)
{
	long c;
	int res;

	if (n < 1 || n > WSU_ENTRIES)
		return -EINVAL;
	for (c = 0; c < calls; c++) {
		res = submit(r, (unsigned int)n);
		if (res)
			return res;
	}
	return 0;
}

int wsu_check(struct wsu_ring *r, int fd)
{
	struct sockaddr_storage got, want;
	socklen_t wlen;
	int len = sizeof(got), res, peer;

	res = wsu_lookup(r, fd, 2, &got, &len);
	if (res == -EOPNOTSUPP)
		return res;
	if (res != -EINVAL) {
		fprintf(stderr, "winsock-bench: uring: sqe->optlen = 2 was not refused (%d)\n", res);
		return 1;
	}
	for (peer = 1; peer >= 0; peer--) {
		len = sizeof(got);
		wlen = sizeof(want);
		res = wsu_lookup(r, fd, peer, &got, &len);
		if (res)
			return res;
		if ((peer ? getpeername : getsockname)(fd, (struct sockaddr *)&want, &wlen))
			return -errno;
		if ((socklen_t)len != wlen || memcmp(&got, &want, wlen)) {
			fprintf(stderr, "winsock-bench: uring: sqe->optlen = %d did not answer the %s\n",
				peer, peer ? "peer" : "local name");
			return 1;
		}
	}
	return 0;
}

static int supports_uring_cmd(int fd)
{
	size_t size = sizeof(struct io_uring_probe) + 256 * sizeof(struct io_uring_probe_op);
	struct io_uring_probe *p = calloc(1, size);
	int ok;

	if (!p)
		return 0;
	ok = !syscall(__NR_io_uring_register, fd, IORING_REGISTER_PROBE, p, 256) &&
	     p->last_op >= IORING_OP_URING_CMD &&
	     (p->ops[IORING_OP_URING_CMD].flags & IO_URING_OP_SUPPORTED);
	free(p);
	return ok;
}

struct wsu_ring *wsu_open(int fd, const char **why)
{
	struct io_uring_params p = { 0 };
	struct wsu_ring *r = calloc(1, sizeof(*r));
	struct sockaddr_storage ss;
	unsigned int i;
	int len = sizeof(ss), res;

	if (!r) {
		*why = "out of memory";
		return NULL;
	}
	r->fd = (int)syscall(__NR_io_uring_setup, WSU_ENTRIES, &p);
	if (r->fd < 0) {
		*why = errno == ENOSYS ? "kernel has no io_uring (ENOSYS)" :
			"io_uring_setup failed (io_uring disabled?)";
		free(r);
		return NULL;
	}
	if (!supports_uring_cmd(r->fd)) {
		*why = "kernel has no IORING_OP_URING_CMD";
		goto fail;
	}
	r->sq_len = p.sq_off.array + p.sq_entries * sizeof(unsigned int);
	r->cq_len = p.cq_off.cqes + p.cq_entries * sizeof(struct io_uring_cqe);
	if ((p.features & IORING_FEAT_SINGLE_MMAP) && r->cq_len > r->sq_len)
		r->sq_len = r->cq_len;
	r->sq_map = mmap(NULL, r->sq_len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE,
			 r->fd, IORING_OFF_SQ_RING);
	r->cq_map = (p.features & IORING_FEAT_SINGLE_MMAP) ? r->sq_map :
		mmap(NULL, r->cq_len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE,
		     r->fd, IORING_OFF_CQ_RING);
	r->sqes = mmap(NULL, p.sq_entries * sizeof(struct io_uring_sqe), PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_POPULATE, r->fd, IORING_OFF_SQES);
	if (r->sq_map == MAP_FAILED || r->cq_map == MAP_FAILED || r->sqes == MAP_FAILED) {
		*why = "cannot map the ring";
		goto fail;
	}
	r->sq_tail = ring_ptr(r->sq_map, p.sq_off.tail);
	r->sq_mask = ring_ptr(r->sq_map, p.sq_off.ring_mask);
	r->sq_array = ring_ptr(r->sq_map, p.sq_off.array);
	r->cq_head = ring_ptr(r->cq_map, p.cq_off.head);
	r->cq_tail = ring_ptr(r->cq_map, p.cq_off.tail);
	r->cq_mask = ring_ptr(r->cq_map, p.cq_off.ring_mask);
	r->cqes = ring_ptr(r->cq_map, p.cq_off.cqes);
	/* Slot i always holds SQE i: a call only advances the tail. */
	for (i = 0; i < p.sq_entries; i++)
		r->sq_array[i] = i;
	res = wsu_lookup(r, fd, 1, &ss, &len);
	if (res == -EOPNOTSUPP || res == -EINVAL) {
		*why = res == -EINVAL ? "kernel has no SOCKET_URING_OP_GETSOCKNAME (EINVAL)" :
			"kernel has no SOCKET_URING_OP_GETSOCKNAME (EOPNOTSUPP)";
		goto fail;
	}
	if (res) {
		*why = "SOCKET_URING_OP_GETSOCKNAME failed on a connected TCP socket";
		goto fail;
	}
	return r;
fail:
	wsu_close(r);
	return NULL;
}

void wsu_close(struct wsu_ring *r)
{
	if (!r)
		return;
	if (r->sqes && r->sqes != MAP_FAILED)
		munmap(r->sqes, WSU_ENTRIES * sizeof(struct io_uring_sqe));
	if (r->cq_map && r->cq_map != MAP_FAILED && r->cq_map != r->sq_map)
		munmap(r->cq_map, r->cq_len);
	if (r->sq_map && r->sq_map != MAP_FAILED)
		munmap(r->sq_map, r->sq_len);
	close(r->fd);
	free(r);
}
