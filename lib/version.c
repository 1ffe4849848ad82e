// SPDX-License-Identifier: LGPL-2.1-or-later
/* ws_version: the release of the library, from the tree's VERSION file. */
#include "internal.h"

#ifndef WINSOCK_VERSION_STRING
#error "build with -DWINSOCK_VERSION_STRING=\"$(cat VERSION)\""
#endif

WS_EXPORT const char *ws_version(void)
{
	return WINSOCK_VERSION_STRING;
}
