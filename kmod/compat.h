/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Differences between the kernels winsock supports (6.1, 6.12, 7.3), kept in
 * one place so that the rest of the module reads as plain kernel code.
 */
#ifndef _WINSOCK_COMPAT_H
#define _WINSOCK_COMPAT_H

#include <linux/file.h>
#include <linux/ipv6.h>

/* 6.12 turned struct fd into a tagged word read through fd_file(). */
#ifndef fd_file
#define fd_file(f) ((f).file)
#endif

/*
 * 6.12 moved IPv6's "send the flow label" option from a bit field of
 * struct ipv6_pinfo into inet_sock's flags, read with inet6_test_bit().
 */
#ifdef inet6_test_bit
#define ws_inet6_sndflow(sk)	inet6_test_bit(SNDFLOW, sk)
#else
#define ws_inet6_sndflow(sk)	(inet6_sk(sk)->sndflow)
#endif

#endif /* _WINSOCK_COMPAT_H */
