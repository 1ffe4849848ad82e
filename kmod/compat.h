/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Differences between the kernels winsock supports (6.1, 6.12, 7.3), kept in
 * one place so that the rest of the module reads as plain kernel code.
 */
#ifndef _WINSOCK_COMPAT_H
#define _WINSOCK_COMPAT_H

#include <linux/file.h>

/* 6.12 turned struct fd into a tagged word read through fd_file(). */
#ifndef fd_file
#define fd_file(f) ((f).file)
#endif

#endif /* _WINSOCK_COMPAT_H */
