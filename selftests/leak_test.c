// SPDX-License-Identifier: GPL-2.0
/*
 * Leaks and references: what the module allocates or pins is given back.
 *
 * No interface tells how much a module holds, so this program measures the
 * kernel around the module's whole life, with the module unloaded before
 * and after: every slab cache's active objects (/proc/slabinfo, each cache
 * shrunk first so that free objects in per-CPU slabs do not count as in
 * use) and /proc/meminfo's Slab and Percpu.  In between, a workload run in
 * a second thread (so that every descriptor the module resolves is a
 * counted file reference) opens ROUNDS x HANDLES handles, starts them up
 * (2.2, 1.1, 2.0, some twice), looks up five kinds of descriptors singly
 * and in batches, with every result but WSAENETDOWN and WSAEINPROGRESS,
 * while two audit subscribers are subscribed (one read, one never read,
 * with the smallest receive buffer: closed with its backlog queued),
 * reads and resets the counters, cleans two thirds of the handles up and
 * closes them all, and in each round a child does the same in a new
 * network namespace and another uses libwinsock.  What the module
 * allocated per handle, lookup, event or namespace and did not free is
 * left in some cache.
 *
 * Noise.  One measurement is, per cache, the least of SAMPLES readings:
 * RCU-deferred frees come and go between readings (kfree_rcu() batches
 * drain in bursts, and each reading opens a file per cache); how far a
 * cache moved between readings is its spread.  An identical control
 * cycle, loaded but idle as long as the workload takes, gives each cache's
 * noise.  A cache may end up higher by twice its noise or twice its
 * spread, or by its floor: a slab's worth of objects, at least
 * NOISE_FLOOR_BYTES worth and NOISE_FLOOR_OBJS; the sum over caches by
 * twice the control's sum or TOTAL_FLOOR_BYTES; Slab and Percpu by twice
 * the control's or SLAB_FLOOR_KB and PERCPU_FLOOR_KB.  The floors absorb
 * what the kernel frees late after the workload's last namespace and
 * processes (up to about 120 KB over kmalloc-cg-* seen on 6.12); what
 * the module would leak scales with the workload.  A few caches are not
 * compared (see unchecked_cache()).  Frees deferred by RCU or workqueues
 * are waited for up to SETTLE_MS, and before that, every namespace the
 * workload made must have been released (RTM_DELNSID).  What a leak looks like against these floors (leaks
 * injected into a copy of the module, 6.1 guest; 6.12 alike): a handle
 * per open, +5200 objects in kmalloc-cg-64 (1024 allowed); an skb per
 * event, +236440 in skbuff_head_cache (256 allowed); a namespace
 * reference per handle, 7.7 MB over dozens of caches and none of the 40
 * namespaces released; a file reference per lookup, +160 in
 * sock_inode_cache (78 allowed) and +6482 skbs.  Below the resolution: a
 * per-namespace per-CPU leak (72 bytes per CPU and namespace; Percpu
 * counts populated pages).
 *
 * References: a socket looked up and closed is freed (sockstat, and its
 * inode leaves /proc/net/{tcp,udp,unix}); the module's reference count is
 * the number of open handles and returns to 0; a network namespace is
 * released once its last process exited and the handle opened in it,
 * which pins it by design, is closed (RTM_DELNSID; see unchecked_cache()
 * for why not the net_namespace cache).
 *
 * Needs root and WINSOCK_KO (the guest provides both).  The module is
 * unloaded and loaded again and left loaded whatever happens, so that
 * later programs work; still, run this program last.
 */
#include <dirent.h>
#include <linux/genetlink.h>
#include <linux/net_namespace.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>

#include "winsock_test.h"
#include "genl_raw.h"
#include <winsock/winsock2.h>

/* Rounds of the workload; see workload() for one round. */
#define ROUNDS			40
#define HANDLES			128
#define SETTLE_MS		8000
#define SAMPLES			4
#define SAMPLE_GAP_MS		350
#define NOISE_FLOOR_OBJS	4
#define NOISE_FLOOR_BYTES	(64 * 1024)
#define TOTAL_FLOOR_BYTES	(1024L * 1024)
#define PERCPU_FLOOR_KB		64
#define SLAB_FLOOR_KB		1024


/*
 * Unload.  A handle whose last reference is dropped by a kernel thread
 * (delayed fput, an SCM_RIGHTS message being collected) is released a
 * moment later: retry for up to a second while the module is in use.
 */
static int module_unload(void)
{
	uint64_t end = now_ms() + 1000;
	int rc;

	for (;;) {
		rc = syscall(SYS_delete_module, "winsock", O_NONBLOCK) ? -errno : 0;
		if (rc != -EWOULDBLOCK || now_ms() > end)
			return rc;
		usleep(10000);
	}
}

/* What the kernel holds, as far as a process can see it. */
#define MAX_CACHES 512

struct cache {
	char name[64];
	long active, size, per_slab;
	long spread;		/* most minus least over a measurement's samples */
};

struct snap {
	int n;
	struct cache c[MAX_CACHES];
	long slab_kb, percpu_kb;
};

static int write_str(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = write(fd, s, strlen(s));
	close(fd);
	return n == (ssize_t)strlen(s) ? 0 : -EIO;
}

/*
 * Make the counts mean "in use": dentries and inodes cached for files we
 * read are dropped, and every cache is shrunk, which flushes the per-CPU
 * slabs and partial lists whose free objects slabinfo counts as active.
 *
 * Each shrink file is opened and closed every time, on purpose: with the
 * files kept open, about 7 of the workload's 40 network namespaces (their
 * struct net, per-CPU control sockets, proc entries) were still allocated
 * 40 s later on 6.1, although RTM_DELNSID had been sent for all of them,
 * and never with this.  The price is the churn of kmalloc-96 (a sysfs
 * file's kernfs_open_node is freed with kfree_rcu(), drained in batches),
 * which the per-cache spread in compare() absorbs.
 */
static void settle_kernel(void)
{
	char path[320];
	struct dirent *d;
	DIR *dir;

	/* 2: slab objects; 4: without a line in the kernel log each time. */
	write_str("/proc/sys/vm/drop_caches", "6");
	dir = opendir("/sys/kernel/slab");
	if (!dir)
		return;
	while ((d = readdir(dir))) {
		/* Merged caches are symlinks to the one that holds them. */
		if (d->d_type != DT_DIR || d->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/sys/kernel/slab/%s/shrink", d->d_name);
		write_str(path, "1");
	}
	closedir(dir);
}

static long meminfo_kb(const char *text, const char *key)
{
	const char *p = strstr(text, key);

	return p ? strtol(p + strlen(key), NULL, 10) : -1;
}

/* The whole of the file @path into @buf. */
static int read_all(const char *path, char *buf, size_t size)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t r = 0;
	size_t n = 0;

	if (fd < 0)
		return -errno;
	while (n < size - 1 && (r = read(fd, buf + n, size - 1 - n)) > 0)
		n += r;
	buf[n] = '\0';
	close(fd);
	return r < 0 ? -EIO : 0;
}

static int snap_read(struct snap *s)
{
	static char text[1 << 18];
	long active, total, size, per_slab;
	char name[64], *line, *save;
	int err;

	s->n = 0;
	err = read_all("/proc/slabinfo", text, sizeof(text));
	if (err)
		return err;
	for (line = strtok_r(text, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		if (line[0] == '#' || !strncmp(line, "slabinfo", 8))
			continue;
		if (sscanf(line, "%63s %ld %ld %ld %ld", name, &active, &total,
			   &size, &per_slab) != 5)
			continue;
		if (s->n == MAX_CACHES)
			break;
		snprintf(s->c[s->n].name, sizeof(s->c[s->n].name), "%s", name);
		s->c[s->n].active = active;
		s->c[s->n].size = size;
		s->c[s->n].per_slab = per_slab;
		s->c[s->n].spread = 0;
		s->n++;
	}
	err = read_all("/proc/meminfo", text, sizeof(text));
	if (err)
		return err;
	s->slab_kb = meminfo_kb(text, "\nSlab:");
	s->percpu_kb = meminfo_kb(text, "\nPercpu:");
	return 0;
}

static const struct cache *snap_find(const struct snap *s, const char *name)
{
	int i;

	for (i = 0; i < s->n; i++)
		if (!strcmp(s->c[i].name, name))
			return &s->c[i];
	return NULL;
}

/*
 * Compare @after with @before, allowing per cache twice what it moved
 * between @ctl_a and @ctl_b (the control), or the floor.  Fills @why with
 * the worst offenders.  Returns true when everything is within bounds.
 */
struct verdict {
	long total_bytes, total_allowed;
	long slab_kb, slab_allowed;
	long percpu_kb, percpu_allowed;
	int bad;
	char why[1024];
};

static long labs_(long v)
{
	return v < 0 ? -v : v;
}

/*
 * Caches left out of the comparison: the module never allocates from
 * them, and the kernel frees their objects when it likes, so they move by
 * tens to hundreds between two quiet measurements of an idle guest:
 * - cached names and inodes with their security blobs, and page-cache
 *   tree nodes: drop_caches frees most, not all;
 * - filp and its blob: a file is freed an RCU grace period after its
 *   close, and every measurement opens and closes a file per cache;
 * - vmap_area: freed vmalloc areas wait on a lazy purge list;
 * - net_namespace: on both kernels, 1 to 9 of 10 namespaces whose
 *   cleanup ran (RTM_DELNSID was sent) stay allocated for minutes, with
 *   or without this module; namespaces are checked with RTM_DELNSID in
 *   netns_freed_after_last_user instead.
 * A leaked file or socket still shows in sock_inode_cache and the
 * protocols' caches, and a leaked namespace in everything it allocates.
 */
static bool unchecked_cache(const char *name)
{
	static const char *const names[] = {
		"dentry", "inode_cache", "proc_inode_cache", "lsm_inode_cache",
		"shmem_inode_cache", "radix_tree_node", "ext4_inode_cache",
		"filp", "lsm_file_cache", "vmap_area", "net_namespace",
	};
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (!strcmp(name, names[i]))
			return true;
	return false;
}

static bool compare(const struct snap *ctl_a, const struct snap *ctl_b,
		    const struct snap *before, const struct snap *after,
		    struct verdict *v)
{
	long noise_total = 0, floor, noise, delta, allowed;
	const struct cache *a, *ca, *cb;
	int i, o = 0;

	memset(v, 0, sizeof(*v));
	for (i = 0; i < after->n; i++) {
		const struct cache *c = &after->c[i];

		a = snap_find(before, c->name);
		ca = snap_find(ctl_a, c->name);
		cb = snap_find(ctl_b, c->name);
		if (!a || !ca || !cb || unchecked_cache(c->name))
			continue;
		delta = c->active - a->active;
		noise = labs_(cb->active - ca->active);
		noise_total += (cb->active - ca->active) * c->size;
		v->total_bytes += delta * c->size;
		/*
		 * A slab's worth at least: an allocation right after the
		 * shrink makes a CPU slab, all of whose objects count.
		 */
		floor = NOISE_FLOOR_BYTES / (c->size ? c->size : 1);
		if (floor < c->per_slab)
			floor = c->per_slab;
		if (floor < NOISE_FLOOR_OBJS)
			floor = NOISE_FLOOR_OBJS;
		/*
		 * Twice the control's move or twice how much the count moved
		 * between samples of one measurement, at least the floor.
		 */
		allowed = 2 * noise > floor ? 2 * noise : floor;
		if (2 * c->spread > allowed)
			allowed = 2 * c->spread;
		if (2 * a->spread > allowed)
			allowed = 2 * a->spread;
		if (delta > allowed) {
			v->bad++;
			if (o < (int)sizeof(v->why) - 100)
				o += snprintf(v->why + o, sizeof(v->why) - o,
					      " %s:+%ld(allowed %ld)", c->name,
					      delta, allowed);
		}
	}
	v->total_allowed = 2 * labs_(noise_total);
	if (v->total_allowed < TOTAL_FLOOR_BYTES)
		v->total_allowed = TOTAL_FLOOR_BYTES;
	if (v->total_bytes > v->total_allowed) {
		v->bad++;
		o += snprintf(v->why + o, sizeof(v->why) - o,
			      " all caches:+%ld bytes(allowed %ld)",
			      v->total_bytes, v->total_allowed);
	}
	v->slab_kb = after->slab_kb - before->slab_kb;
	v->slab_allowed = 2 * labs_(ctl_b->slab_kb - ctl_a->slab_kb);
	if (v->slab_allowed < SLAB_FLOOR_KB)
		v->slab_allowed = SLAB_FLOOR_KB;
	if (v->slab_kb > v->slab_allowed) {
		v->bad++;
		o += snprintf(v->why + o, sizeof(v->why) - o,
			      " Slab:+%ld kB(allowed %ld)", v->slab_kb,
			      v->slab_allowed);
	}
	v->percpu_kb = after->percpu_kb - before->percpu_kb;
	v->percpu_allowed = 2 * labs_(ctl_b->percpu_kb - ctl_a->percpu_kb);
	if (v->percpu_allowed < PERCPU_FLOOR_KB)
		v->percpu_allowed = PERCPU_FLOOR_KB;
	if (v->percpu_kb > v->percpu_allowed) {
		v->bad++;
		snprintf(v->why + o, sizeof(v->why) - o,
			 " Percpu:+%ld kB(allowed %ld)", v->percpu_kb,
			 v->percpu_allowed);
	}
	return !v->bad;
}

/*
 * One measurement: per cache, the least of SAMPLES settled readings
 * SAMPLE_GAP_MS apart.  Frees that RCU defers (kfree_rcu() batches drain
 * about once a second, and the reading itself opens a file per cache)
 * come and go between samples; what is really held is in all of them.
 */
/* Merge @s into @m: the least count, and the spread seen. */
static void snap_min(struct snap *m, const struct snap *s)
{
	const struct cache *c;
	long top;
	int i;

	for (i = 0; i < m->n; i++) {
		c = snap_find(s, m->c[i].name);
		if (!c)
			continue;
		top = m->c[i].active + m->c[i].spread;
		if (c->active + c->spread > top)
			top = c->active + c->spread;
		if (c->active < m->c[i].active)
			m->c[i].active = c->active;
		m->c[i].spread = top - m->c[i].active;
	}
	if (s->slab_kb < m->slab_kb)
		m->slab_kb = s->slab_kb;
	if (s->percpu_kb < m->percpu_kb)
		m->percpu_kb = s->percpu_kb;
}

static int measure(struct snap *m)
{
	static struct snap s;
	int k, err;

	for (k = 0; k < SAMPLES; k++) {
		if (k)
			usleep(SAMPLE_GAP_MS * 1000);
		settle_kernel();
		err = snap_read(k ? &s : m);
		if (err)
			return err;
		if (k)
			snap_min(m, &s);
	}
	return 0;
}

/*
 * Measure until compare() accepts, or SETTLE_MS passed; the least seen
 * over all measurements counts (deferred frees only lower it, what is
 * held stays in every one).
 */
static bool settled_measure(struct snap *s, const struct snap *ctl_a,
			    const struct snap *ctl_b, const struct snap *before,
			    struct verdict *v, int *waited)
{
	static struct snap more;
	uint64_t start = now_ms();
	bool ok;

	if (measure(s))
		return false;
	for (;;) {
		ok = compare(ctl_a, ctl_b, before, s, v);
		*waited = (int)(now_ms() - start);
		if (ok || *waited > SETTLE_MS || measure(&more))
			return ok;
		snap_min(s, &more);
	}
}


/* Read what is queued; the number of events read. */
static long genl_drain(struct genl *g)
{
	static char buf[65536];
	struct nlmsghdr *nh;
	long n = 0;
	int len;

	for (;;) {
		len = recv(g->fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (len < 0) {
			if (errno == ENOBUFS || errno == EINTR)
				continue;
			return n;
		}
		for (nh = (struct nlmsghdr *)buf; NLMSG_OK(nh, len);
		     nh = NLMSG_NEXT(nh, len))
			if (nh->nlmsg_type == g->family &&
			    ((struct genlmsghdr *)NLMSG_DATA(nh))->cmd == WINSOCK_CMD_EVENT)
				n++;
	}
}

/*
 * The workload.  One round: HANDLES handles, started with Winsock 2.2,
 * 1.1 or 2.0 (some twice), each looking up five kinds of descriptors in
 * both layouts and in a batch of 16 (every result code but WSAENETDOWN
 * and WSAEINPROGRESS), while two subscribers are subscribed (one read,
 * one never read and closed with its backlog queued); the counters read and reset; two
 * thirds of the handles cleaned up, the rest closed started.  Then a
 * child in a new network namespace does the same there, and a child uses
 * libwinsock.
 */
struct work {
	long handles, lookups, events, stats, netns, released, lib;
	long ms;		/* the work itself, without waiting for releases */
	int failed;		/* first step that went wrong, 0 if none */
	char what[128];
};

static void work_fail(struct work *w, int step, const char *what)
{
	if (!w->failed) {
		w->failed = step;
		snprintf(w->what, sizeof(w->what), "%s (errno %s)", what,
			 strerror(errno));
	}
}

/* Lookups through @dev of @fds (single, both layouts) and a batch. */
static long lookups_on(int dev, const int *fds, int nfds)
{
	struct winsock_peer_entry e[16];
	struct sockaddr_storage ss;
	long n = 0;
	int i, len;

	for (i = 0; i < nfds; i++) {
		len = sizeof(ss);
		ws_raw_getpeername(dev, fds[i], &ss, &len, 0);
		len = sizeof(ss);
		ws_raw_getpeername(dev, fds[i], &ss, &len, WINSOCK_GPN_NATIVE);
		n += 2;
	}
	len = 4;	/* WSAEFAULT: the peer is read, then refused */
	ws_raw_getpeername(dev, fds[0], &ss, &len, 0);
	n++;
	memset(e, 0, sizeof(e));
	for (i = 0; i < 16; i++) {
		e[i].socket = i < nfds ? (uint64_t)fds[i] :
			      i == 15 ? ~0ULL : (uint64_t)(1000 + i);
		e[i].flags = (i & 1) ? WINSOCK_GPN_NATIVE : 0;
		e[i].namelen = i == 14 ? 3 : (int)sizeof(e[i].name);
	}
	if (ws_raw_batch(dev, e, 16) == 0)
		n += 16;
	return n;
}

/*
 * Network namespaces.  The net_namespace cache does not tell when one
 * goes (see unchecked_cache()), rtnetlink does: a namespace given an id
 * here (RTM_NEWNSID) is reported with RTM_DELNSID when its last counted
 * reference is dropped and its cleanup runs.  A handle holds such a
 * reference on its opener's namespace while it is open (by design: its
 * lookups count there).
 */
static int nsid_socket(void)
{
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	int grp = RTNLGRP_NSID;

	if (fd < 0)
		return -1;
	if (setsockopt(fd, SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, &grp, sizeof(grp))) {
		close(fd);
		return -1;
	}
	return fd;
}

/* RTM_DELNSID notifications seen, whatever nsid_wait() was waiting for. */
static long nsid_deleted;

/*
 * Read rtnetlink messages for up to @ms: the id of the first @type
 * notification, -ETIMEDOUT if none came, or the error of a request.
 */
static int nsid_wait(int fd, int type, int ms)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	uint64_t end = now_ms() + ms;
	static char buf[8192];
	struct nlmsghdr *nh;
	struct nlattr *a;
	int len, alen, id, left, err;

	for (;;) {
		left = (int)(end - now_ms());
		if (left <= 0 || poll(&pfd, 1, left) != 1)
			return -ETIMEDOUT;
		len = recv(fd, buf, sizeof(buf), 0);
		if (len < 0)
			return -errno;
		for (nh = (struct nlmsghdr *)buf; NLMSG_OK(nh, len);
		     nh = NLMSG_NEXT(nh, len)) {
			if (nh->nlmsg_type == NLMSG_ERROR) {
				err = ((struct nlmsgerr *)NLMSG_DATA(nh))->error;
				if (err)
					return err;
				continue;
			}
			if (nh->nlmsg_type == RTM_DELNSID)
				nsid_deleted++;
			if (nh->nlmsg_type != type)
				continue;
			alen = (int)nh->nlmsg_len -
			       NLMSG_LENGTH(NLMSG_ALIGN(sizeof(struct rtgenmsg)));
			a = (struct nlattr *)((char *)NLMSG_DATA(nh) +
					      NLMSG_ALIGN(sizeof(struct rtgenmsg)));
			NLA_FOR_EACH(a, a, alen)
				if (a->nla_type == NETNSA_NSID) {
					memcpy(&id, nla_data_of(a), sizeof(id));
					return id;
				}
		}
	}
}

/* Append an attribute of @len bytes to the message in @buf. */
static void nl_put(struct nlmsghdr *nh, int type, const void *data, int len)
{
	struct nlattr *a = (struct nlattr *)((char *)nh + NLMSG_ALIGN(nh->nlmsg_len));

	a->nla_type = type;
	a->nla_len = NLA_HDRLEN + len;
	memcpy(nla_data_of(a), data, len);
	nh->nlmsg_len = NLMSG_ALIGN(nh->nlmsg_len) + NLA_ALIGN(a->nla_len);
}

/* Give the namespace of @pid an id here; returns it, or -errno. */
static int nsid_assign(int fd, pid_t pid)
{
	struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
	uint32_t buf[64] = { 0 };
	struct nlmsghdr *nh = (struct nlmsghdr *)buf;
	struct rtgenmsg *g = NLMSG_DATA(nh);
	int32_t any = -1;	/* any free id */
	uint32_t upid = pid;

	nh->nlmsg_len = NLMSG_LENGTH(sizeof(*g));
	nh->nlmsg_type = RTM_NEWNSID;
	nh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	g->rtgen_family = AF_UNSPEC;
	nl_put(nh, NETNSA_NSID, &any, sizeof(any));
	nl_put(nh, NETNSA_PID, &upid, sizeof(upid));
	if (sendto(fd, nh, nh->nlmsg_len, 0, (struct sockaddr *)&kernel,
		   sizeof(kernel)) < 0)
		return -errno;
	return nsid_wait(fd, RTM_NEWNSID, 2000);
}

static bool readable(int fd, int ms)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };

	return poll(&pfd, 1, ms) == 1;
}

/*
 * A child in a new namespace: opens a started handle there, looks up (also
 * @outer, a socket of the parent's namespace, if not -1), subscribes to
 * the audit stream, asks for the counters; with @pass the handle goes to the
 * parent over @sock.  Then it reports ready on @sock and exits when told
 * to (the parent names the namespace meanwhile).
 */
static int netns_user(int sock, bool pass, int outer)
{
	struct genl l, req;
	int dev, fds[3];
	char c;

	if (unshare(CLONE_NEWNET))
		return 10;
	if (genl_open(&l) || genl_subscribe(&l, 0) || genl_open(&req))
		return 11;
	dev = ws_open_started(0x0202);
	if (dev < 0 || socketpair(AF_UNIX, SOCK_STREAM, 0, fds))
		return 12;
	/*
	 * A socket of the outer namespace: the caller is in this one, so
	 * this namespace's subscriber hears it too (and so does the host).
	 */
	fds[2] = outer;
	lookups_on(dev, fds, outer >= 0 ? 3 : 2);
	/* A kernel thread delivers: the first event comes a moment later. */
	if (genl_recv_events(&l, 2000, NULL, NULL) <= 0)
		return 13;
	genl_drain(&l);
	if (genl_request(&req, req.family, WINSOCK_CMD_GET_STATS, NULL))
		return 14;
	if (pass ? ws_send_fd(sock, dev) : write(sock, "r", 1) != 1)
		return 15;
	if (read(sock, &c, 1) != 1)
		return 16;
	return 0;
}

/* Run netns_user() and name its namespace; the id, or -errno. */
static int start_netns_user(int nl, int sv[2], bool pass, int outer, int *dev,
			    pid_t *pid)
{
	char c;
	int id;

	*pid = fork();
	if (*pid < 0)
		return -errno;
	if (*pid == 0)
		_exit(netns_user(sv[1], pass, outer));
	/* A child that failed early never writes: do not wait forever. */
	if (!readable(sv[0], 5000))
		return -ETIMEDOUT;
	if (pass)
		*dev = ws_recv_fd(sv[0]);
	else if (read(sv[0], &c, 1) != 1)
		return -EIO;
	id = nsid_assign(nl, *pid);
	if (write(sv[0], "x", 1) != 1)
		return -EIO;
	return id;
}

static int library_child(int sock)
{
	struct ws_peer_query q[4];
	struct sockaddr_storage ss;
	int len = sizeof(ss), i;
	WSADATA wd;

	if (WSAStartup(MAKEWORD(2, 2), &wd) || WSAStartup(MAKEWORD(1, 1), &wd))
		return 20;
	if (ws_getpeername(sock, (struct sockaddr *)&ss, &len))
		return 21;
	memset(q, 0, sizeof(q));
	for (i = 0; i < 4; i++) {
		q[i].s = i == 3 ? INVALID_SOCKET : (SOCKET)sock;
		q[i].namelen = sizeof(q[i].name);
	}
	if (ws_getpeername_batch(q, 4) != 4)
		return 22;
	if (WSACleanup())
		return 23;
	/* One startup left: exit releases it with the handle. */
	return 0;
}

/* Close with a reset: no TIME_WAIT sockets left to count. */
static void tcp_close_rst(struct tcp_conn *c)
{
	struct linger lg = { .l_onoff = 1, .l_linger = 0 };

	setsockopt(c->client, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	setsockopt(c->server, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	tcp_close(c);
}

static int wait_child(pid_t pid)
{
	int status;

	if (pid < 0 || waitpid(pid, &status, 0) != pid)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static void workload(struct work *w, int rounds)
{
	static const uint16_t versions[] = { 0x0202, 0x0101, 0x0002 };
	int dev[HANDLES], fds[5], p[2], sv[2], udp, closed, r, i, rc, id, nl;
	long deleted0;
	uint64_t t0;
	struct genl reader, full, req;
	struct tcp_conn c4, c6;
	char wsadata[512];
	pid_t pid;

	t0 = now_ms();
	deleted0 = nsid_deleted;
	nl = nsid_socket();
	if (nl < 0 || socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv)) {
		work_fail(w, 1, "rtnetlink/socketpair");
		return;
	}
	for (r = 0; r < rounds && !w->failed; r++) {
		if (tcp_connect(&c4, AF_INET) || tcp_connect(&c6, AF_INET6)) {
			work_fail(w, 1, "tcp_connect");
			return;
		}
		udp = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
		if (udp < 0 || pipe(p)) {
			work_fail(w, 2, "socket/pipe");
			return;
		}
		closed = dup(udp);
		close(closed);
		fds[0] = c4.client;
		fds[1] = c6.server;
		fds[2] = udp;
		fds[3] = p[0];
		fds[4] = closed;
		/*
		 * @full never reads: its events wait in the kernel's backlog
		 * (a round's lookups fit in the default one, so none waits)
		 * until its socket is closed with them.
		 */
		if (genl_open(&reader) || genl_subscribe(&reader, 0) ||
		    genl_open(&full) || genl_rcvbuf(&full, 1) ||
		    genl_subscribe(&full, 0) || genl_open(&req)) {
			work_fail(w, 3, "audit listeners");
			return;
		}
		for (i = 0; i < HANDLES; i++) {
			dev[i] = open(WINSOCK_DEVICE_PATH, O_RDWR | O_CLOEXEC);
			if (dev[i] < 0) {
				work_fail(w, 4, "open");
				return;
			}
			w->handles++;
			/* Not started: WSANOTINITIALISED. */
			w->lookups += lookups_on(dev[i], fds, 1);
			ws_raw_startup(dev[i], versions[i % 3], wsadata, NULL);
			if (i % 4 == 0)
				ws_raw_startup(dev[i], versions[i % 3], wsadata, NULL);
			w->lookups += lookups_on(dev[i], fds, 5);
			if (i % 8 == 0)
				w->events += genl_drain(&reader);
		}
		/* Wait for the delivery thread to catch up once per round. */
		rc = genl_recv_events(&reader, 2000, NULL, NULL);
		w->events += (rc > 0 ? rc : 0) + genl_drain(&reader);
		rc = genl_request(&req, req.family, WINSOCK_CMD_GET_STATS, NULL);
		rc = rc ? rc : genl_request(&req, req.family, WINSOCK_CMD_RESET_STATS, NULL);
		if (rc) {
			errno = -rc;
			work_fail(w, 5, "GET_STATS/RESET_STATS");
			return;
		}
		w->stats++;
		for (i = 0; i < HANDLES; i++) {
			if (i % 3)
				while (ws_raw_cleanup(dev[i], NULL) == 0)
					;
			close(dev[i]);
		}
		close(full.fd);
		close(reader.fd);
		close(req.fd);

		id = start_netns_user(nl, sv, false, c4.client, &rc, &pid);
		rc = wait_child(pid);
		if (rc || id < 0) {
			errno = id < 0 ? -id : 0;
			work_fail(w, 100 + rc, "netns child");
			return;
		}
		w->netns++;
		pid = fork();
		if (pid == 0)
			_exit(library_child(c4.client));
		rc = wait_child(pid);
		if (rc) {
			errno = 0;
			work_fail(w, 100 + rc, "library child");
			return;
		}
		w->lib++;
		tcp_close_rst(&c4);
		tcp_close_rst(&c6);
		close(udp);
		close(p[0]);
		close(p[1]);
	}
	w->ms = (long)(now_ms() - t0);
	/* Every namespace made is released before anything is measured. */
	while (nsid_deleted - deleted0 < w->netns &&
	       nsid_wait(nl, RTM_DELNSID, 10000) >= 0)
		;
	w->released = nsid_deleted - deleted0;
	close(nl);
	close(sv[0]);
	close(sv[1]);
}


FIXTURE(leak) {
};

FIXTURE_SETUP(leak)
{
	if (geteuid() || !getenv("WINSOCK_KO"))
		SKIP(return, "needs root and WINSOCK_KO (run inside the guest)");
	if (access("/proc/slabinfo", R_OK) || access("/sys/kernel/slab", R_OK))
		SKIP(return, "no /proc/slabinfo or /sys/kernel/slab");
	ASSERT_TRUE(module_listed());
}

FIXTURE_TEARDOWN(leak)
{
	/* Leave the module loaded for the programs that follow. */
	if (getenv("WINSOCK_KO") && !module_listed())
		module_load();
}

/* The caches that moved most from @a to @b, for the log. */
static void log_moves(struct __test_metadata *_metadata, const char *what,
		      const struct snap *a, const struct snap *b)
{
	char buf[900];
	int i, o = 0;
	long d;

	buf[0] = '\0';
	for (i = 0; i < b->n && o < (int)sizeof(buf) - 80; i++) {
		const struct cache *c = snap_find(a, b->c[i].name);

		if (!c)
			continue;
		d = b->c[i].active - c->active;
		if (labs_(d) * b->c[i].size >= 4096 || labs_(d) >= 64)
			o += snprintf(buf + o, sizeof(buf) - o, " %s:%+ld",
				      b->c[i].name, d);
	}
	TH_LOG("%s: Slab %+ld kB, Percpu %+ld kB;%s", what,
	       b->slab_kb - a->slab_kb, b->percpu_kb - a->percpu_kb,
	       buf[0] ? buf : " no cache moved much");
}

/*
 * The workload runs in a second thread: with two threads sharing the file
 * table, every descriptor the module resolves is a counted reference it
 * must drop (single-threaded, fdget() takes none).
 */
struct work_run {
	struct work *w;
	int rounds;
};

static void *work_thread(void *arg)
{
	struct work_run *r = arg;

	workload(r->w, r->rounds);
	return NULL;
}

static void run_workload(struct work *w, int rounds)
{
	struct work_run r = { .w = w, .rounds = rounds };
	pthread_t th;

	if (pthread_create(&th, NULL, work_thread, &r)) {
		work_fail(w, 99, "pthread_create");
		return;
	}
	pthread_join(th, NULL);
}

/*
 * The module's whole life, twice: idle (the control), then under the
 * workload.  After each, with the module gone, the kernel must hold what
 * it held before, within the control's noise.
 */
TEST_F_TIMEOUT(leak, workload_leaves_nothing, 180)
{
	static struct snap a, b, c;
	struct work warm = { 0 }, w = { 0 };
	struct verdict v;
	uint64_t t0;
	int waited, ms;
	bool ok;

	SKIPPED_IN_SETUP();

	/*
	 * One round first, and a load/unload cycle: what the kernel keeps
	 * once it has been used (ID tables, per-CPU chunks, caches grown for
	 * the first namespace) is there before the baseline.
	 */
	run_workload(&warm, 1);
	ASSERT_EQ(0, warm.failed) TH_LOG("warm-up step %d: %s", warm.failed, warm.what);
	ms = (int)(warm.ms * ROUNDS < 10000 ? warm.ms * ROUNDS : 10000);
	ASSERT_EQ(0, module_unload());
	ASSERT_EQ(0, module_load());
	ASSERT_EQ(0, module_unload());
	ASSERT_EQ(0, measure(&a));

	/* Control: loaded and idle about as long as the workload takes. */
	ASSERT_EQ(0, module_load());
	usleep(ms * 1000);
	ASSERT_EQ(0, module_unload());
	ASSERT_EQ(0, measure(&b));
	log_moves(_metadata, "control (an idle module life)", &a, &b);

	t0 = now_ms();
	ASSERT_EQ(0, module_load());
	run_workload(&w, ROUNDS);
	ms = (int)(now_ms() - t0);
	ASSERT_EQ(0, w.failed) TH_LOG("workload step %d: %s", w.failed, w.what);
	TH_LOG("workload: %ld handles, %ld lookups, %ld events read, %ld stats requests, %ld namespaces (%ld released), %ld library children in %d ms",
	       w.handles, w.lookups, w.events, w.stats, w.netns, w.released,
	       w.lib, ms);
	/* Everything was used: events built and read, namespaces made... */
	EXPECT_LT(0, w.events);
	EXPECT_EQ(ROUNDS, w.netns);
	/* ...and let go (RTM_DELNSID), with their last handle. */
	EXPECT_EQ(w.netns, w.released);
	ASSERT_EQ(0, module_unload());

	ok = settled_measure(&c, &a, &b, &b, &v, &waited);
	log_moves(_metadata, "the workload's module life vs the control's", &b, &c);
	TH_LOG("after %d ms: checked caches %+ld bytes (allowed %ld), Slab %+ld kB (allowed %ld), Percpu %+ld kB (allowed %ld)",
	       waited, v.total_bytes, v.total_allowed, v.slab_kb, v.slab_allowed,
	       v.percpu_kb, v.percpu_allowed);
	EXPECT_TRUE(ok) TH_LOG("left behind:%s", v.why);
	ASSERT_EQ(0, module_load());
}

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

struct looker {
	int dev;
	const int *fds;
	int nfds;
	long n;
};

static void *looker_main(void *arg)
{
	struct looker *l = arg;
	int i;

	for (i = 0; i < 20; i++)
		l->n += lookups_on(l->dev, l->fds, l->nfds);
	return NULL;
}

/*
 * Lookups from a second thread: with two threads sharing the file table,
 * each descriptor lookup takes a reference to the file, which the module
 * must drop; a socket it kept would stay open, hashed and listed.
 */
TEST_F(leak, socket_freed_after_lookup)
{
	struct sockstat before, after;
	struct looker l = { 0 };
	struct tcp_conn c;
	unsigned long ino[5];
	int fds[5], sv[2], udp, i;
	uint64_t end;
	pthread_t th;
	struct stat st;
	bool listed = true;

	SKIPPED_IN_SETUP();

	ASSERT_EQ(0, sockstat_read(&before));
	ASSERT_EQ(0, tcp_connect(&c, AF_INET));
	udp = socket(AF_INET, SOCK_DGRAM, 0);
	ASSERT_LE(0, udp);
	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	fds[0] = c.client;
	fds[1] = c.server;
	fds[2] = udp;
	fds[3] = sv[0];
	fds[4] = sv[1];
	for (i = 0; i < 5; i++) {
		ASSERT_EQ(0, fstat(fds[i], &st));
		ino[i] = st.st_ino;
	}
	ASSERT_TRUE(inode_listed("tcp", ino[0]));
	l.dev = ws_open_started(0x0202);
	ASSERT_LE(0, l.dev);
	l.fds = fds;
	l.nfds = 5;
	ASSERT_EQ(0, pthread_create(&th, NULL, looker_main, &l));
	ASSERT_EQ(0, pthread_join(th, NULL));
	EXPECT_LT(0, l.n);
	close(l.dev);
	tcp_close_rst(&c);
	close(udp);
	close(sv[0]);
	close(sv[1]);

	/* Frees may wait for RCU: poll. */
	end = now_ms() + 3000;
	do {
		usleep(50000);
		ASSERT_EQ(0, sockstat_read(&after));
		listed = inode_listed("tcp", ino[0]) || inode_listed("tcp", ino[1]) ||
			 inode_listed("udp", ino[2]) || inode_listed("unix", ino[3]) ||
			 inode_listed("unix", ino[4]);
	} while ((listed || after.used != before.used ||
		  after.tcp_alloc != before.tcp_alloc) && now_ms() < end);
	TH_LOG("sockets used %ld -> %ld, TCP inuse %ld -> %ld, alloc %ld -> %ld, UDP inuse %ld -> %ld",
	       before.used, after.used, before.tcp_inuse, after.tcp_inuse,
	       before.tcp_alloc, after.tcp_alloc, before.udp_inuse, after.udp_inuse);
	EXPECT_FALSE(listed);
	EXPECT_EQ(before.used, after.used);
	EXPECT_EQ(before.tcp_inuse, after.tcp_inuse);
	EXPECT_EQ(before.tcp_alloc, after.tcp_alloc);
	EXPECT_EQ(before.udp_inuse, after.udp_inuse);
}

/*
 * Each open file of /dev/winsock holds the module once: the count is the
 * number of open files (a forked child shares its parent's), and 0 when
 * they are all closed, whatever was done with them.
 */
TEST_F(leak, module_refcount_follows_handles)
{
	int dev[4], fds[1], sync[2], i, status;
	struct tcp_conn c;
	pid_t pid;
	char ch;

	SKIPPED_IN_SETUP();

	ASSERT_EQ(0, module_refcnt());
	ASSERT_EQ(0, tcp_connect(&c, AF_INET));
	fds[0] = c.client;
	for (i = 0; i < 4; i++) {
		dev[i] = i % 2 ? ws_open_started(0x0101 + i) :
				 open(WINSOCK_DEVICE_PATH, O_RDWR | O_CLOEXEC);
		ASSERT_LE(0, dev[i]);
		lookups_on(dev[i], fds, 1);
	}
	EXPECT_EQ(4, module_refcnt());
	ASSERT_EQ(0, pipe(sync));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		/* Shared files add nothing; the child's own adds one. */
		int mine = ws_open_started(0x0202);

		lookups_on(dev[1], fds, 1);
		if (mine < 0 || write(sync[1], "x", 1) != 1)
			_exit(1);
		close(sync[1]);
		pause();
		_exit(0);
	}
	close(sync[1]);
	ASSERT_EQ(1, read(sync[0], &ch, 1));
	EXPECT_EQ(5, module_refcnt());
	kill(pid, SIGKILL);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_EQ(4, module_refcnt());
	for (i = 0; i < 4; i++)
		close(dev[i]);
	EXPECT_EQ(0, module_refcnt());
	close(sync[0]);
	tcp_close_rst(&c);
}

TEST_F_TIMEOUT(leak, netns_freed_after_last_user, 60)
{
	int nl, sv[2], dev = -1, fds[1], id, del;
	struct tcp_conn c;
	pid_t pid;

	SKIPPED_IN_SETUP();

	nl = nsid_socket();
	ASSERT_LE(0, nl);
	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_STREAM, 0, sv));

	/* The child exits with its handle open: the namespace goes. */
	id = start_netns_user(nl, sv, false, -1, &dev, &pid);
	ASSERT_LE(0, id);
	ASSERT_EQ(0, wait_child(pid));
	del = nsid_wait(nl, RTM_DELNSID, 5000);
	EXPECT_EQ(id, del) TH_LOG("the namespace of an exited process was not released");

	/* The parent holds the handle now: the namespace stays... */
	id = start_netns_user(nl, sv, true, -1, &dev, &pid);
	ASSERT_LE(0, dev);
	ASSERT_LE(0, id);
	ASSERT_EQ(0, wait_child(pid));
	del = nsid_wait(nl, RTM_DELNSID, 1000);
	EXPECT_EQ(-ETIMEDOUT, del) TH_LOG("an open handle should pin its opener's namespace");
	/* ...with a handle that still works, on this namespace's sockets too... */
	ASSERT_EQ(0, tcp_connect(&c, AF_INET));
	fds[0] = c.client;
	EXPECT_LT(0, lookups_on(dev, fds, 1));
	EXPECT_EQ(1, module_refcnt());
	/* ...until it is closed. */
	close(dev);
	del = nsid_wait(nl, RTM_DELNSID, 5000);
	EXPECT_EQ(id, del) TH_LOG("the namespace stayed after its last handle was closed");
	EXPECT_EQ(0, module_refcnt());
	tcp_close_rst(&c);
	close(sv[0]);
	close(sv[1]);
	close(nl);
}

/* Last: the module loads again and works, and stays loaded. */
TEST_F(leak, reload_and_work)
{
	struct sockaddr_storage ss;
	struct tcp_conn c;
	int dev, len = sizeof(ss);

	SKIPPED_IN_SETUP();

	ASSERT_EQ(0, module_unload());
	ASSERT_FALSE(module_listed());
	ASSERT_EQ(0, module_load());
	dev = ws_open_started(0x0202);
	ASSERT_LE(0, dev);
	ASSERT_EQ(0, tcp_connect(&c, AF_INET));
	EXPECT_EQ(0, ws_raw_getpeername(dev, c.client, &ss, &len, 0));
	EXPECT_EQ(0, memcmp(&ss, &c.lname, c.llen));
	close(dev);
	tcp_close_rst(&c);
	EXPECT_TRUE(module_listed());
}

TEST_HARNESS_MAIN
