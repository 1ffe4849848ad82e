/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The one table of Winsock error names, for every program that prints a
 * WINSOCK_WSA* code (uapi/linux/winsock.h): winsock-demo, the audit-stream
 * client's text forms and the selftests.  Each says in its own words what
 * success and an unknown code are: the table has only the errors.
 */
#ifndef _WINSOCK_WSA_NAMES_H
#define _WINSOCK_WSA_NAMES_H

#include <stddef.h>
#include <stdint.h>

#include <linux/winsock.h>

/* "WSAEFAULT" for WINSOCK_WSAEFAULT, ...; NULL for 0 or a code not listed. */
static inline const char *wsa_code_name(uint32_t code)
{
	static const struct {
		uint32_t code;
		const char *name;
	} names[] = {
#define WSA_NAME(n) { WINSOCK_##n, #n }
		WSA_NAME(WSAEINTR),
		WSA_NAME(WSAEFAULT),
		WSA_NAME(WSAEINVAL),
		WSA_NAME(WSAEINPROGRESS),
		WSA_NAME(WSAENOTSOCK),
		WSA_NAME(WSAEAFNOSUPPORT),
		WSA_NAME(WSAENETDOWN),
		WSA_NAME(WSAENOTCONN),
		WSA_NAME(WSASYSNOTREADY),
		WSA_NAME(WSAVERNOTSUPPORTED),
		WSA_NAME(WSANOTINITIALISED),
#undef WSA_NAME
	};
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (names[i].code == code)
			return names[i].name;
	return NULL;
}

#endif /* _WINSOCK_WSA_NAMES_H */
