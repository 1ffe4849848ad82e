/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Differences between the kernels winsock supports (6.1, 6.12, 7.3), kept in
 * one place so that the rest of the module reads as plain kernel code.
 */
#ifndef _WINSOCK_COMPAT_H
#define _WINSOCK_COMPAT_H

#include <linux/file.h>
#include <linux/ipv6.h>
#include <linux/uaccess.h>

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

/*
 * 6.12 added masked user access (x86-64): a user access section opened by
 * clamping the pointer, so that one past the user range becomes one that
 * faults, instead of an access_ok() branch and a speculation barrier.  It
 * suits sections that access upwards from the pointer, as the single
 * request's do; an access that faults ends in the section's fault label
 * either way.  (A batch entry's section keeps user_access_begin(): masked,
 * it cost the batch loop 2 to 3 instructions an entry.)  Before 6.12:
 * user_access_begin().  Updates @p.
 */
#ifndef can_do_masked_user_access
#define can_do_masked_user_access()	0
#define masked_user_access_begin(p)	NULL
#endif
#define ws_user_access_begin(p, len)					\
({									\
	typeof(p) *__ws_p = &(p);					\
	can_do_masked_user_access() ?					\
		(*__ws_p = masked_user_access_begin(*__ws_p), true) :	\
		user_access_begin(*__ws_p, len);			\
})

#endif /* _WINSOCK_COMPAT_H */
