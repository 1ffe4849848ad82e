/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the kernel says about the sockets of this namespace.
 */
#ifndef WINSOCK_LEAK_SOCKSTAT_H
#define WINSOCK_LEAK_SOCKSTAT_H

#include "leak.h"

/* sockstat's counters of this namespace. */
struct sockstat {
	long used, tcp_inuse, tcp_alloc, udp_inuse;
};

static int sockstat_read(struct sockstat *s)
{
	char line[256];
	FILE *f = fopen("/proc/net/sockstat", "r");

	if (!f)
		return -errno;
	memset(s, 0, sizeof(*s));
	while (fgets(line, sizeof(line), f)) {
		sscanf(line, "sockets: used %ld", &s->used);
		sscanf(line, "TCP: inuse %ld orphan %*d tw %*d alloc %ld",
		       &s->tcp_inuse, &s->tcp_alloc);
		sscanf(line, "UDP: inuse %ld", &s->udp_inuse);
	}
	fclose(f);
	return 0;
}

/* Whether a socket with inode @ino is listed in /proc/net/@table. */
static bool inode_listed(const char *table, unsigned long ino)
{
	char path[64], line[512], *tok;
	bool found = false;
	int col, want;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/net/%s", table);
	f = fopen(path, "r");
	if (!f)
		return false;
	/* The inode column: 10th in tcp/udp, 7th in unix. */
	want = strcmp(table, "unix") ? 10 : 7;
	while (!found && fgets(line, sizeof(line), f)) {
		col = 1;
		for (tok = strtok(line, " \t\n"); tok; tok = strtok(NULL, " \t\n"), col++)
			if (col == want) {
				found = strtoul(tok, NULL, 10) == ino;
				break;
			}
	}
	fclose(f);
	return found;
}

#endif /* WINSOCK_LEAK_SOCKSTAT_H */
