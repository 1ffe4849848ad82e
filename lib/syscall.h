/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The ioctl system call, made directly where the library knows how, as
 * liburing does (src/arch/): glibc's ioctl() is a variadic function with
 * a stack protector, 21 instructions around its syscall (make profile).
 * Returns the ioctl's result or -errno; errno is not set.  Not installed.
 */
#ifndef _WINSOCK_LIB_SYSCALL_H
#define _WINSOCK_LIB_SYSCALL_H

#include <errno.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>

#if defined(__x86_64__) && !defined(__ILP32__)
static inline long ws_sys_ioctl(int fd, unsigned long cmd, void *arg)
{
	long ret;

	/* The x86-64 system call ABI: rcx and r11 are the kernel's. */
	__asm__ volatile("syscall"
			 : "=a"(ret)
			 : "0"((long)SYS_ioctl), "D"((long)fd), "S"(cmd), "d"(arg)
			 : "rcx", "r11", "memory");
	return ret;
}
#else
/* Elsewhere (i386, x32, other architectures): libc's. */
static inline long ws_sys_ioctl(int fd, unsigned long cmd, void *arg)
{
	int ret = ioctl(fd, cmd, arg);

	return ret < 0 ? -errno : ret;
}
#endif

#endif /* _WINSOCK_LIB_SYSCALL_H */
