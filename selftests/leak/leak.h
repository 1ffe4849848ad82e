/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What every piece of leak_test uses: the module unloaded, descriptors
 * looked up every way, events read, children waited for.
 */
#ifndef WINSOCK_LEAK_H
#define WINSOCK_LEAK_H

#include <dirent.h>
#include <linux/genetlink.h>
#include <linux/net_namespace.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>

#include "kselftest_harness.h"
#include "../helpers.h"
#include "../genl_raw.h"
#include <winsock/winsock2.h>

/*
 * Unload.  A handle whose last reference is dropped by a kernel thread
 * (delayed fput, an SCM_RIGHTS message being collected) is released a
 * moment later: retry for up to a second while the module is in use.
 */
static int module_unload(void)
{
	uint64_t end = now_ms() + 1000;
	int rc;

	for (;;) {
		rc = syscall(SYS_delete_module, "winsock", O_NONBLOCK) ? -errno : 0;
		if (rc != -EWOULDBLOCK || now_ms() > end)
			return rc;
		usleep(10000);
	}
}

/* Lookups through @dev of @fds (single, both layouts) and a batch. */
static long lookups_on(int dev, const int *fds, int nfds)
{
	struct winsock_peer_entry e[16];
	struct sockaddr_storage ss;
	long n = 0;
	int i, len;

	for (i = 0; i < nfds; i++) {
		len = sizeof(ss);
		ws_raw_getpeername(dev, fds[i], &ss, &len, 0);
		len = sizeof(ss);
		ws_raw_getpeername(dev, fds[i], &ss, &len, WINSOCK_GPN_NATIVE);
		n += 2;
	}
	len = 4;	/* WSAEFAULT: the peer is read, then refused */
	ws_raw_getpeername(dev, fds[0], &ss, &len, 0);
	n++;
	memset(e, 0, sizeof(e));
	for (i = 0; i < 16; i++) {
		e[i].socket = i < nfds ? (uint64_t)fds[i] :
			      i == 15 ? ~0ULL : (uint64_t)(1000 + i);
		e[i].flags = (i & 1) ? WINSOCK_GPN_NATIVE : 0;
		e[i].namelen = i == 14 ? 3 : (int)sizeof(e[i].name);
	}
	if (ws_raw_batch(dev, e, 16) == 0)
		n += 16;
	return n;
}

/* Read what is queued (genl_recv_queued()); the number of events read. */
static long genl_drain(struct genl *g)
{
	struct genl_events ev = { .g = g };

	genl_recv_queued(g, genl_events_msg, &ev);
	return ev.n;
}

static int wait_child(pid_t pid)
{
	int status;

	if (pid < 0 || waitpid(pid, &status, 0) != pid)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

#endif /* WINSOCK_LEAK_H */
