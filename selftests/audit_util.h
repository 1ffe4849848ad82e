/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the audit stream's tests share beyond the raw netlink client: the
 * module's delivery parameters, lookups in bulk, winsock-audit run as a
 * subscriber writing to a file, and reading its output back.
 */
#ifndef _WINSOCK_AUDIT_UTIL_H
#define _WINSOCK_AUDIT_UTIL_H

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "kselftest_harness.h"
#include "helpers.h"
#include "genl_raw.h"

/* The inode of a namespace file such as "/proc/self/ns/net". */
static inline uint32_t ns_ino(const char *path)
{
	struct stat st;

	return stat(path, &st) ? 0 : (uint32_t)st.st_ino;
}

static inline uint32_t pid_netns_ino(pid_t pid)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/%d/ns/net", (int)pid);
	return ns_ino(path);
}

/*
 * @n lookups of descriptor @fd through batches of WINSOCK_BATCH_MAX: each
 * entry is one lookup and one event.  The number that answered 0, or -1
 * when a batch itself was refused.
 */
static inline long lookups_batch(int dev, int fd, long n)
{
	static __thread struct winsock_peer_entry e[WINSOCK_BATCH_MAX];
	long done = 0, ok = 0;
	int i, k;

	while (done < n) {
		k = n - done < WINSOCK_BATCH_MAX ? (int)(n - done) : WINSOCK_BATCH_MAX;
		memset(e, 0, sizeof(e[0]) * k);
		for (i = 0; i < k; i++) {
			e[i].socket = fd;
			e[i].namelen = WINSOCK_BATCH_NAME_SIZE;
		}
		if (ws_raw_batch(dev, e, k))
			return -1;
		for (i = 0; i < k; i++)
			ok += !e[i].result;
		done += k;
	}
	return ok;
}

/* One single lookup of @fd, and how long it took in ms. */
static inline int lookup_timed(int dev, int fd, uint64_t *ms)
{
	struct sockaddr_storage ss;
	int len = sizeof(ss), rc;
	uint64_t t0 = now_ms();

	rc = ws_raw_getpeername(dev, fd, &ss, &len, 0);
	*ms = now_ms() - t0;
	return rc;
}

/* GET_STATS through a socket of its own: 0 or -errno. */
static inline int stats_now(struct genl_stats *st)
{
	struct genl g;
	int err = genl_open(&g);

	if (!err) {
		err = genl_get_stats(&g, st);
		genl_close(&g);
	}
	return err;
}

/*
 * Wait up to @ms for a subscriber of this namespace that is not in
 * @before: its port, or 0.
 */
static inline uint32_t wait_new_subscriber(const struct genl_stats *before, int ms)
{
	uint64_t end = now_ms() + ms;
	struct genl_stats st;
	int i;

	while (now_ms() < end) {
		if (!stats_now(&st))
			for (i = 0; i < st.nsubs; i++)
				if (!genl_find_sub(before, st.sub[i].portid))
					return st.sub[i].portid;
		usleep(20000);
	}
	return 0;
}

/* A program run with its stdout in a file and its stderr in a pipe. */
struct tool {
	pid_t pid;
	int err;
};

static inline bool have_tool(void)
{
	return !system("command -v winsock-audit >/dev/null 2>&1");
}

/* Start @argv with its stdout written to the file @out: 0 or -1. */
static inline int tool_start(struct tool *t, char *const argv[], const char *out)
{
	int e[2], fd;

	if (pipe(e))
		return -1;
	t->pid = fork();
	if (t->pid < 0)
		return -1;
	if (t->pid == 0) {
		fd = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		if (fd < 0)
			_exit(126);
		dup2(fd, 1);
		dup2(e[1], 2);
		close(e[0]);
		execvp(argv[0], argv);
		_exit(127);
	}
	close(e[1]);
	t->err = e[0];
	return 0;
}

/*
 * Wait up to @ms for the program to exit (SIGKILL past that); its exit
 * status, 128 + signal, or -1 on timeout.  Its stderr goes to @err (size
 * @size), for the log.
 */
static inline int tool_wait(struct tool *t, int ms, char *err, size_t size)
{
	uint64_t end = now_ms() + ms;
	int status, rc = -1;
	ssize_t n;
	size_t got = 0;

	fcntl(t->err, F_SETFL, O_NONBLOCK);
	for (;;) {
		while (got + 1 < size &&
		       (n = read(t->err, err + got, size - 1 - got)) > 0)
			got += n;
		if (waitpid(t->pid, &status, WNOHANG) == t->pid) {
			rc = WIFEXITED(status) ? WEXITSTATUS(status) :
			     128 + WTERMSIG(status);
			break;
		}
		if (now_ms() > end) {
			kill(t->pid, SIGKILL);
			waitpid(t->pid, &status, 0);
			break;
		}
		usleep(10000);
	}
	while (got + 1 < size && (n = read(t->err, err + got, size - 1 - got)) > 0)
		got += n;
	err[got] = '\0';
	close(t->err);
	return rc;
}

/* The number after "@key": in a JSON line: true if there is one. */
static inline bool json_u64(const char *line, const char *key, uint64_t *v)
{
	char pat[64], *end;
	const char *p;

	snprintf(pat, sizeof(pat), "\"%s\":", key);
	p = strstr(line, pat);
	if (!p)
		return false;
	p += strlen(pat);
	if (*p < '0' || *p > '9')
		return false;
	*v = strtoull(p, &end, 10);
	return end > p;
}

#endif /* _WINSOCK_AUDIT_UTIL_H */
