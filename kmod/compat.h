/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Differences between the kernels winsock supports (6.1 and 6.12), kept in
 * one place so that the rest of the module reads as plain kernel code.
 */
#ifndef _WINSOCK_COMPAT_H
#define _WINSOCK_COMPAT_H

#include <linux/file.h>

/* 6.12 turned struct fd into a tagged word read through fd_file(). */
#ifndef fd_file
#define fd_file(f) ((f).file)
#endif

/*
 * Who may join a multicast group.  Since 6.8, and in Debian's 6.1 through a
 * stable backport, genetlink checks only the GENL_MCAST_CAP_* group flags:
 * the older GENL_UNS_ADMIN_PERM on a group would there protect nothing.
 * Kernels without the new flags checked GENL_UNS_ADMIN_PERM instead.
 */
#include <net/genetlink.h>
#ifdef GENL_MCAST_CAP_NET_ADMIN
#define WS_MCGRP_NET_ADMIN	GENL_MCAST_CAP_NET_ADMIN
#else
#define WS_MCGRP_NET_ADMIN	GENL_UNS_ADMIN_PERM
#endif

/*
 * 6.9 added per-family bind/unbind callbacks: the family hears of a
 * subscription before the socket joins the group.  kmod/Kbuild looks for
 * the callback in the kernel's headers (so that a backport counts too)
 * and defines WS_HAVE_GENL_BIND=1 when it is there.
 */
#ifdef WS_HAVE_GENL_BIND
#define WS_GENL_BIND(fn)	.bind = (fn),
#else
#define WS_HAVE_GENL_BIND	0
#define WS_GENL_BIND(fn)
#endif

#endif /* _WINSOCK_COMPAT_H */
