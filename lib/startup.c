// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * WSAStartup / WSACleanup.  Windows keeps the startup count per process;
 * the kernel keeps it per open file of /dev/winsock, so the library opens
 * the device once per process and keeps it open for the process's life
 * (after the last cleanup the kernel itself answers WSANOTINITIALISED).
 *
 * A forked child shares its parent's open file.  So that parent and child
 * keep independent Winsock state, the child reopens the device and replays
 * its startups before fork() returns in it.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "internal.h"

int ws_device_fd = -1;

static pthread_mutex_t ws_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_once_t ws_atfork_once = PTHREAD_ONCE_INIT;
static unsigned int ws_startups;	/* successful startups not cleaned up */
static WORD ws_first_version;		/* version asked by the first one */

static void ws_atfork_prepare(void)
{
	pthread_mutex_lock(&ws_lock);
}

static void ws_atfork_parent(void)
{
	pthread_mutex_unlock(&ws_lock);
}

static void ws_atfork_child(void)
{
	unsigned int i, n = ws_startups;
	WSADATA scratch;
	int fd;

	if (ws_device_fd >= 0) {
		fd = open(WINSOCK_DEVICE_PATH, O_RDWR | O_CLOEXEC);
		if (fd >= 0 && dup3(fd, ws_device_fd, O_CLOEXEC) >= 0) {
			close(fd);
		} else {
			/* No handle of its own: the child is not initialised. */
			if (fd >= 0)
				close(fd);
			close(ws_device_fd);
			ws_device_fd = -1;
			n = 0;
		}
		ws_startups = 0;
		for (i = 0; i < n; i++) {
			struct winsock_startup req = {
				.wsadata = (uintptr_t)&scratch,
				.version_requested = ws_first_version,
			};

			if (ws_request(WINSOCK_IOC_STARTUP, &req))
				break;
			ws_startups++;
		}
	}
	pthread_mutex_unlock(&ws_lock);
}

static void ws_register_atfork(void)
{
	pthread_atfork(ws_atfork_prepare, ws_atfork_parent, ws_atfork_child);
}

WS_EXPORT int WSAStartup(WORD wVersionRequested, LPWSADATA lpWSAData)
{
	struct winsock_startup req = {
		.wsadata = (uintptr_t)lpWSAData,
		.version_requested = wVersionRequested,
	};
	int rc, fd;

	pthread_once(&ws_atfork_once, ws_register_atfork);
	pthread_mutex_lock(&ws_lock);
	if (ws_device_fd < 0) {
		fd = open(WINSOCK_DEVICE_PATH, O_RDWR | O_CLOEXEC);
		if (fd < 0) {
			pthread_mutex_unlock(&ws_lock);
			return WSASYSNOTREADY;
		}
		__atomic_store_n(&ws_device_fd, fd, __ATOMIC_RELEASE);
	}
	rc = ws_request(WINSOCK_IOC_STARTUP, &req);
	if (!rc) {
		if (!ws_startups)
			ws_first_version = wVersionRequested;
		ws_startups++;
	}
	pthread_mutex_unlock(&ws_lock);
	return rc;
}

/*
 * dlclose() of the library (or exit) closes the handle: a program that
 * loads and unloads the library again must not leak a descriptor each
 * time.  A process that keeps the library loaded keeps its handle, as
 * Windows keeps the process's Winsock state after the last WSACleanup.
 */
__attribute__((destructor)) static void ws_close_handle(void)
{
	int fd = __atomic_exchange_n(&ws_device_fd, -1, __ATOMIC_ACQ_REL);

	if (fd >= 0)
		close(fd);
}

/*
 * The calling thread enters or leaves a blocking Winsock call
 * (WINSOCK_IOC_BLOCKING): on a Winsock 1.x handle, its other calls then
 * fail with WSAEINPROGRESS.  The last error is set as by ws_getpeername.
 */
static int ws_blocking(__u32 op)
{
	struct winsock_blocking req = { .op = op };
	int rc;

	if (__atomic_load_n(&ws_device_fd, __ATOMIC_ACQUIRE) < 0)
		rc = op == WINSOCK_BLOCKING_ENTER ? WSANOTINITIALISED : WSAEINVAL;
	else
		rc = ws_request(WINSOCK_IOC_BLOCKING, &req);
	ws_last_error = rc;
	return rc ? SOCKET_ERROR : 0;
}

WS_EXPORT int ws_blocking_enter(void)
{
	return ws_blocking(WINSOCK_BLOCKING_ENTER);
}

WS_EXPORT int ws_blocking_leave(void)
{
	return ws_blocking(WINSOCK_BLOCKING_LEAVE);
}

WS_EXPORT int WSACleanup(void)
{
	struct winsock_cleanup req = { 0 };
	int rc;

	pthread_mutex_lock(&ws_lock);
	if (ws_device_fd < 0) {
		rc = WSANOTINITIALISED;	/* no handle: never started up */
	} else {
		rc = ws_request(WINSOCK_IOC_CLEANUP, &req);
		if (!rc)
			ws_startups--;
	}
	pthread_mutex_unlock(&ws_lock);

	/* Windows sets the last error to 0 on success. */
	ws_last_error = rc;
	return rc ? SOCKET_ERROR : 0;
}
