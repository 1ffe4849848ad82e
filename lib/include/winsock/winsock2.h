/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libwinsock: the Windows Sockets getpeername API on Linux, answered by
 * the winsock kernel module (/dev/winsock).
 *
 * The names are Windows' so that code written for Winsock ports
 * mechanically.  SOCKET is a Linux descriptor.  The library never
 * interposes on libc: getpeername is spelled ws_getpeername, unless the
 * program defines WINSOCK_API_NAMES before including this header.
 */
#ifndef _WINSOCK_WINSOCK2_H
#define _WINSOCK_WINSOCK2_H

#include <stdint.h>
#include <sys/socket.h>
#include <linux/winsock.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef uintptr_t SOCKET;
typedef unsigned short WORD;

#define WSADESCRIPTION_LEN	256
#define WSASYS_STATUS_LEN	128

/*
 * Windows' two WSADATA layouts: Win64's (408 bytes) puts the two shorts
 * and lpVendorInfo before the strings, Win32's (400 bytes) after them.
 * The kernel writes the one of the calling process's ABI.
 */
typedef struct WSAData {
	WORD		wVersion;
	WORD		wHighVersion;
#ifdef __LP64__
	unsigned short	iMaxSockets;
	unsigned short	iMaxUdpDg;
	char		*lpVendorInfo;
	char		szDescription[WSADESCRIPTION_LEN + 1];
	char		szSystemStatus[WSASYS_STATUS_LEN + 1];
#else
	char		szDescription[WSADESCRIPTION_LEN + 1];
	char		szSystemStatus[WSASYS_STATUS_LEN + 1];
	unsigned short	iMaxSockets;
	unsigned short	iMaxUdpDg;
	char		*lpVendorInfo;
#endif
} WSADATA, *LPWSADATA;

#define MAKEWORD(low, high) \
	((WORD)(((uint8_t)(low)) | ((WORD)((uint8_t)(high))) << 8))
#define LOBYTE(w)	((uint8_t)((w) & 0xff))
#define HIBYTE(w)	((uint8_t)(((w) >> 8) & 0xff))

#define SOCKET_ERROR	(-1)
#define INVALID_SOCKET	((SOCKET)(~0))

/* Windows address-family values. */
#define WS_AF_UNSPEC	WINSOCK_AF_UNSPEC
#define WS_AF_UNIX	WINSOCK_AF_UNIX
#define WS_AF_INET	WINSOCK_AF_INET
#define WS_AF_INET6	WINSOCK_AF_INET6

/* Winsock error codes (winerror.h). */
#define WSABASEERR		10000
#define WSAEINTR		10004
#define WSAEBADF		10009
#define WSAEACCES		10013
#define WSAEFAULT		10014
#define WSAEINVAL		10022
#define WSAEMFILE		10024
#define WSAEWOULDBLOCK		10035
#define WSAEINPROGRESS		10036
#define WSAEALREADY		10037
#define WSAENOTSOCK		10038
#define WSAEDESTADDRREQ		10039
#define WSAEMSGSIZE		10040
#define WSAEPROTOTYPE		10041
#define WSAENOPROTOOPT		10042
#define WSAEPROTONOSUPPORT	10043
#define WSAESOCKTNOSUPPORT	10044
#define WSAEOPNOTSUPP		10045
#define WSAEPFNOSUPPORT		10046
#define WSAEAFNOSUPPORT		10047
#define WSAEADDRINUSE		10048
#define WSAEADDRNOTAVAIL	10049
#define WSAENETDOWN		10050
#define WSAENETUNREACH		10051
#define WSAENETRESET		10052
#define WSAECONNABORTED		10053
#define WSAECONNRESET		10054
#define WSAENOBUFS		10055
#define WSAEISCONN		10056
#define WSAENOTCONN		10057
#define WSAESHUTDOWN		10058
#define WSAETOOMANYREFS		10059
#define WSAETIMEDOUT		10060
#define WSAECONNREFUSED		10061
#define WSAELOOP		10062
#define WSAENAMETOOLONG		10063
#define WSAEHOSTDOWN		10064
#define WSAEHOSTUNREACH		10065
#define WSAENOTEMPTY		10066
#define WSAEPROCLIM		10067
#define WSAEUSERS		10068
#define WSAEDQUOT		10069
#define WSAESTALE		10070
#define WSAEREMOTE		10071
#define WSASYSNOTREADY		10091
#define WSAVERNOTSUPPORTED	10092
#define WSANOTINITIALISED	10093
#define WSAEDISCON		10101
#define WSAENOMORE		10102
#define WSAECANCELLED		10103
#define WSAEINVALIDPROCTABLE	10104
#define WSAEINVALIDPROVIDER	10105
#define WSAEPROVIDERFAILEDINIT	10106
#define WSASYSCALLFAILURE	10107
#define WSASERVICE_NOT_FOUND	10108
#define WSATYPE_NOT_FOUND	10109
#define WSA_E_NO_MORE		10110
#define WSA_E_CANCELLED		10111
#define WSAEREFUSED		10112
#define WSAHOST_NOT_FOUND	11001
#define WSATRY_AGAIN		11002
#define WSANO_RECOVERY		11003
#define WSANO_DATA		11004

int WSAStartup(WORD wVersionRequested, LPWSADATA lpWSAData);
int WSACleanup(void);
int WSAGetLastError(void);
void WSASetLastError(int iError);

/* getpeername with Winsock semantics; the address in the Windows layout. */
int ws_getpeername(SOCKET s, struct sockaddr *name, int *namelen);

/*
 * Many lookups in one kernel entry.  Each query is answered exactly as
 * ws_getpeername() would answer it: result holds 0 or the WSA* code,
 * and on success name holds the address and namelen its size.
 */
#define WS_PEER_BATCH_MAX	WINSOCK_BATCH_MAX
#define WS_PEER_NATIVE		WINSOCK_GPN_NATIVE	/* Linux layout */

struct ws_peer_query {
	uint64_t s;		/* in: the SOCKET */
	uint32_t flags;		/* in: 0 (Windows layout) or WS_PEER_NATIVE */
	int namelen;		/* in: bytes granted to name; out: its size */
	int result;		/* out: 0 or the WSA* code */
	uint32_t reserved;	/* must be 0 */
	union {
		struct sockaddr sa;
		struct sockaddr_storage ss;
		unsigned char bytes[WINSOCK_BATCH_NAME_SIZE];
	} name;			/* out: the address */
};

/*
 * Returns n (every query answered, WSAGetLastError() 0), or SOCKET_ERROR
 * when the call as a whole fails: WSANOTINITIALISED (no WSAStartup),
 * WSAEINVAL (n above WS_PEER_BATCH_MAX, a reserved field set), WSAEFAULT
 * (q not readable and writable).
 */
int ws_getpeername_batch(struct ws_peer_query *q, unsigned int n);

/*
 * For emulators of Winsock 1.1: the calling thread entered (or left) a
 * blocking Winsock call.  While it is inside one, its other calls on a
 * 1.x startup fail with WSAEINPROGRESS; other threads are not affected.
 * 0, or SOCKET_ERROR with WSAGetLastError(): WSANOTINITIALISED or
 * WSAEINPROGRESS (enter), WSAEINVAL (leave without enter).
 */
int ws_blocking_enter(void);
int ws_blocking_leave(void);

/*
 * The library's release and the ABI it speaks, e.g. "0.2.0 (ABI 2)"; the
 * module's modinfo has them as "version" and "abi".
 */
const char *ws_version(void);

#ifdef WINSOCK_API_NAMES
#define getpeername ws_getpeername
#endif

#ifdef __cplusplus
}
#endif

#endif /* _WINSOCK_WINSOCK2_H */
