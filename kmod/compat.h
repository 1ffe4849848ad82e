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
 * hex_asc_upper_hi/lo(): in linux/kernel.h on 6.1; 6.2 moved them to
 * linux/hex.h, which linux/kernel.h no longer includes on 7.x.  Probe the
 * header rather than the version: backports move headers too.
 */
#if __has_include(<linux/hex.h>)
#include <linux/hex.h>
#else
#include <linux/kernel.h>
#endif

#endif /* _WINSOCK_COMPAT_H */
