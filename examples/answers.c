// SPDX-License-Identifier: GPL-2.0
/*
 * A program built against an installed libwinsock, the way a user builds
 * one:
 *
 *   cc answers.c $(pkg-config --cflags --libs libwinsock)
 *   cc -static answers.c $(pkg-config --cflags --static --libs libwinsock)
 *
 * scripts/check-install.sh builds and runs it against a staged install.
 * It prints each call's answer; without the module (no /dev/winsock)
 * WSAStartup answers WSASYSNOTREADY and every later call
 * WSANOTINITIALISED.
 */
#include <stdio.h>
#include <sys/socket.h>
#include <unistd.h>

#include <winsock/winsock2.h>

int main(void)
{
	struct sockaddr_storage peer;
	int namelen = sizeof(peer);
	WSADATA wsa;
	int rc, fd;

	printf("libwinsock %s\n", ws_version());

	rc = WSAStartup(MAKEWORD(2, 2), &wsa);
	printf("WSAStartup: %d\n", rc);
	if (rc == 0)
		printf("negotiated %u.%u: %s\n", LOBYTE(wsa.wVersion),
		       HIBYTE(wsa.wVersion), wsa.szDescription);

	/* A TCP socket that never connected has no peer: WSAENOTCONN. */
	fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0) {
		perror("socket");
		return 1;
	}
	rc = ws_getpeername((SOCKET)fd, (struct sockaddr *)&peer, &namelen);
	printf("ws_getpeername: %d, WSAGetLastError: %d, namelen: %d\n",
	       rc, WSAGetLastError(), namelen);
	close(fd);

	rc = WSACleanup();
	printf("WSACleanup: %d, WSAGetLastError: %d\n", rc, WSAGetLastError());
	return 0;
}
