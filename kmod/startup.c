// SPDX-License-Identifier: GPL-2.0
/*
 * WSAStartup and WSACleanup on a handle: version negotiation, WSADATA and
 * the startup reference count, as Windows does them per process.
 */
#include <linux/compat.h>
#include <linux/minmax.h>
#include <linux/string.h>
#include <linux/uaccess.h>

#include "internal.h"

#define WS_MAKEWORD(lo, hi)	((u16)((u8)(lo) | ((u16)(u8)(hi) << 8)))
#define WS_DESCRIPTION		"WinSock 2.0"
#define WS_SYSTEM_STATUS	"Running"

/*
 * WSADATA, minus lpVendorInfo (never written), in the layout of the
 * calling process's ABI.  Win64: wVersion, wHighVersion, iMaxSockets,
 * iMaxUdpDg, lpVendorInfo (8 bytes), then the two strings.  Win32:
 * wVersion, wHighVersion, the two strings, then iMaxSockets, iMaxUdpDg
 * and lpVendorInfo (4 bytes, after 2 bytes of padding).
 */
struct ws_wsadata_strings {
	char description[257];
	char system_status[129];
};

#define WS_WIN64_MAXES		4
#define WS_WIN64_STRINGS	16
#define WS_WIN32_STRINGS	4
#define WS_WIN32_MAXES		(WS_WIN32_STRINGS + sizeof(struct ws_wsadata_strings))

static_assert(WS_WIN32_MAXES == 390);

/*
 * Windows' negotiation table: major 0 is refused (and 2.2 offered),
 * 1.x is capped at 1.1, 2.x at 2.2, anything newer gets 2.2.
 */
static int ws_negotiate(u16 requested, u16 *version)
{
	u8 major = requested & 0xff;
	u8 minor = requested >> 8;

	switch (major) {
	case 0:
		*version = WINSOCK_VERSION_HIGH;
		return WINSOCK_WSAVERNOTSUPPORTED;
	case 1:
		*version = WS_MAKEWORD(1, min_t(u8, minor, 1));
		return 0;
	case 2:
		*version = WS_MAKEWORD(2, min_t(u8, minor, 2));
		return 0;
	default:
		*version = WINSOCK_VERSION_HIGH;
		return 0;
	}
}

/* Fill the caller's WSADATA; returns 0 or WSAEFAULT. */
static int ws_fill_wsadata(u64 uptr, u16 requested, u16 version)
{
	void __user *data = u64_to_user_ptr(uptr);
	bool v1 = (requested & 0xff) == 1;
	u16 versions[2] = { version, WINSOCK_VERSION_HIGH };
	u16 maxes[2] = {
		v1 ? WINSOCK_MAX_SOCKETS_V1 : 0,
		v1 ? WINSOCK_MAX_UDPDG_V1 : 0,
	};
	struct ws_wsadata_strings strings;
	bool win32 = in_compat_syscall();

	if (!data)
		return WINSOCK_WSAEFAULT;
	memset(&strings, 0, sizeof(strings));
	strscpy(strings.description, WS_DESCRIPTION, sizeof(strings.description));
	strscpy(strings.system_status, WS_SYSTEM_STATUS,
		sizeof(strings.system_status));
	if (copy_to_user(data, versions, sizeof(versions)) ||
	    copy_to_user(data + (win32 ? WS_WIN32_MAXES : WS_WIN64_MAXES),
			 maxes, sizeof(maxes)) ||
	    copy_to_user(data + (win32 ? WS_WIN32_STRINGS : WS_WIN64_STRINGS),
			 &strings, sizeof(strings)))
		return WINSOCK_WSAEFAULT;
	return 0;
}

long ws_ioctl_startup(struct ws_handle *h, void __user *uarg)
{
	struct winsock_startup req;
	u16 version;
	int res, fault;

	if (copy_from_user(&req, uarg, sizeof(req)))
		return -EFAULT;
	if (req.pad || req.reserved)
		return -EINVAL;

	/*
	 * The version is checked before the WSADATA pointer, as on Windows,
	 * and a thread inside a blocking call of a 1.x startup is refused
	 * in between.
	 */
	res = ws_negotiate(req.version_requested, &version);
	fault = ws_fill_wsadata(req.wsadata, req.version_requested, version);

	/*
	 * Killable: the holder may sleep on a faulting page of its request
	 * (a stalled file system, a userfaultfd) for as long as its owner
	 * likes; waiters must not be stuck unkillable behind it.
	 */
	if (mutex_lock_killable(&h->lock))
		return -EINTR;
	if (!res && h->startups && ws_version_is_1x(h->version) &&
	    ws_in_blocking_call(h))
		res = WINSOCK_WSAEINPROGRESS;
	if (!res)
		res = fault;
	if (!res && h->startups == INT_MAX) {
		/* Needs 2^31 startups without cleanup: not tested. */
		mutex_unlock(&h->lock);
		return -EOVERFLOW;
	}
	req.version = version;
	req.high_version = WINSOCK_VERSION_HIGH;
	req.startups = h->startups + !res;
	/*
	 * Answer first, publish after: lookups read the count without the
	 * lock, so a call that fails to write its answer (the request in
	 * read-only memory) must never have been visible to them.
	 */
	if (copy_to_user(uarg, &req, sizeof(req))) {
		mutex_unlock(&h->lock);
		return -EFAULT;
	}
	if (!res) {
		if (!h->startups)
			WRITE_ONCE(h->version, version);
		/* Release: a lookup that sees the count sees the version. */
		smp_store_release(&h->startups, req.startups);
	}
	mutex_unlock(&h->lock);
	return res;
}

long ws_ioctl_cleanup(struct ws_handle *h, void __user *uarg)
{
	struct winsock_cleanup req;
	int res = 0;

	if (copy_from_user(&req, uarg, sizeof(req)))
		return -EFAULT;
	if (req.reserved)
		return -EINVAL;

	if (mutex_lock_killable(&h->lock))
		return -EINTR;	/* as in startup */
	if (!h->startups)
		res = WINSOCK_WSANOTINITIALISED;
	else if (ws_version_is_1x(h->version) && ws_in_blocking_call(h))
		res = WINSOCK_WSAEINPROGRESS;
	req.startups = h->startups - !res;
	/* As in startup: a call whose answer cannot be written changes nothing. */
	if (copy_to_user(uarg, &req, sizeof(req))) {
		mutex_unlock(&h->lock);
		return -EFAULT;
	}
	/*
	 * Release, as in startup: pairs with the lookups' acquire.  A
	 * refused cleanup stores the count it read.
	 */
	smp_store_release(&h->startups, req.startups);
	mutex_unlock(&h->lock);
	return res;
}
