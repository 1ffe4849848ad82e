// SPDX-License-Identifier: LGPL-2.1-or-later
/* WSAGetLastError / WSASetLastError: the last error is per thread. */
#include "internal.h"

__thread int ws_last_error;

WS_EXPORT int WSAGetLastError(void)
{
	return ws_last_error;
}

WS_EXPORT void WSASetLastError(int iError)
{
	ws_last_error = iError;
}
