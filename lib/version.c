// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * ws_version: the release of the library, from the tree's VERSION file,
 * and the ABI of /dev/winsock it speaks, e.g. "0.2.0 (ABI 2)".  The
 * module's modinfo has the same two: "version" and "abi".
 */
#include "internal.h"

#define WS_STR_(x)	#x
#define WS_STR(x)	WS_STR_(x)

#ifndef WINSOCK_VERSION_STRING
#error "build with -DWINSOCK_VERSION_STRING=\"$(cat VERSION)\""
#endif

WS_EXPORT const char *ws_version(void)
{
	return WINSOCK_VERSION_STRING " (ABI " WS_STR(WINSOCK_ABI_VERSION) ")";
}
