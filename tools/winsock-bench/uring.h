/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The in-kernel peer of the batch ioctl: io_uring's IORING_OP_URING_CMD
 * with SOCKET_URING_OP_GETSOCKNAME (Linux 6.19+), N lookups per
 * io_uring_enter(2), through raw system calls (Debian 12's liburing
 * predates the command).
 */
#ifndef WINSOCK_BENCH_URING_H
#define WINSOCK_BENCH_URING_H

#include <sys/socket.h>

struct wsu_ring;

/*
 * Opens a ring of 256 entries and checks that the kernel answers
 * SOCKET_URING_OP_GETSOCKNAME on socket fd (a connected TCP socket).
 * Returns NULL and sets *why to the reason when it cannot.
 */
struct wsu_ring *wsu_open(int fd, const char **why);
void wsu_close(struct wsu_ring *r);

/*
 * One lookup of fd through the ring: peer 1 asks for the peer (as
 * getpeername), 0 for the local name (as getsockname).  Returns 0 or a
 * negative errno (the CQE's result).
 */
int wsu_lookup(struct wsu_ring *r, int fd, int peer, struct sockaddr_storage *ss,
	       int *len);

/*
 * Checks that the ring answers fd's lookups as the system calls do:
 * optlen 1 exactly what getpeername(2) answers, optlen 0 what
 * getsockname(2) answers (they differ on a connected socket), optlen 2
 * refused.  Returns 0; -EOPNOTSUPP when io_uring refuses socket commands
 * on fd's family; another negative errno when a lookup fails; 1 (after
 * saying why on stderr) when an answer is wrong.
 */
int wsu_check(struct wsu_ring *r, int fd);

/*
 * wsu_prepare() fills SQE i of the ring (256) with a peer lookup of
 * fds[i % n] into the ring's own buffers; wsu_run() then submits them n
 * at a time (n <= 256), calls times, each with one io_uring_enter and
 * its n completions reaped.  Both return 0, or a negative errno: the
 * first failing CQE's result.
 */
int wsu_prepare(struct wsu_ring *r, const int *fds, int n);
int wsu_run(struct wsu_ring *r, int n, long calls);

#endif
