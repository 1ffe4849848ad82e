// SPDX-License-Identifier: GPL-2.0
/*
 * A quick tour of the C API (README.md): a connected TCP socket's peer
 * with Windows semantics, the error of one that never connected, and both
 * in one batch.  Build it against an installed libwinsock:
 *
 *   cc peers.c $(pkg-config --cflags --libs libwinsock)
 *
 * With the module loaded it prints "peer family 2, 16 bytes, port ...",
 * "unconnected: error 10057 (WSAENOTCONN is 10057)" and
 * "batch: 0 (16 bytes), 10057".  make check-host builds it
 * (scripts/check-host.sh), so the tour stays a program that compiles.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <unistd.h>
#include <winsock/winsock2.h>

int main(void)
{
	struct sockaddr_in addr = { .sin_family = AF_INET };
	socklen_t alen = sizeof(addr);
	struct ws_peer_query q[2] = { 0 };
	struct sockaddr_storage peer;
	int namelen = sizeof(peer);
	int l, s, unconnected, rc;
	WSADATA wsa;

	/* WSAStartup answers directly, as on Windows (not WSAGetLastError). */
	rc = WSAStartup(MAKEWORD(2, 2), &wsa);
	if (rc) {
		fprintf(stderr, "WSAStartup: %d (is winsock.ko loaded?)\n", rc);
		return 1;
	}

	/* A connected TCP socket on loopback. */
	addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	l = socket(AF_INET, SOCK_STREAM, 0);
	s = socket(AF_INET, SOCK_STREAM, 0);
	if (bind(l, (struct sockaddr *)&addr, sizeof(addr)) || listen(l, 1) ||
	    getsockname(l, (struct sockaddr *)&addr, &alen) ||
	    connect(s, (struct sockaddr *)&addr, sizeof(addr)))
		return 1;

	/* getpeername with Windows semantics: SOCKADDR_IN, family 2. */
	if (ws_getpeername(s, (struct sockaddr *)&peer, &namelen) == SOCKET_ERROR)
		return 1;
	printf("peer family %d, %d bytes, port %u\n", peer.ss_family, namelen,
	       ntohs(((struct sockaddr_in *)&peer)->sin_port));

	/* Errors come from WSAGetLastError(): no peer is WSAENOTCONN. */
	unconnected = socket(AF_INET, SOCK_STREAM, 0);
	namelen = sizeof(peer);
	if (ws_getpeername(unconnected, (struct sockaddr *)&peer, &namelen) == SOCKET_ERROR)
		printf("unconnected: error %d (WSAENOTCONN is %d)\n", WSAGetLastError(), WSAENOTCONN);

	/* Many sockets in one kernel entry, each with its own answer. */
	q[0].s = s;
	q[0].namelen = sizeof(q[0].name);
	q[1].s = unconnected;
	q[1].namelen = sizeof(q[1].name);
	if (ws_getpeername_batch(q, 2) == 2)
		printf("batch: %d (%d bytes), %d\n", q[0].result, q[0].namelen, q[1].result);

	close(unconnected);
	close(s);
	close(l);
	WSACleanup();
	return 0;
}
