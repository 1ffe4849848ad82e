/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Snapshots of what the kernel holds (/proc/slabinfo per cache,
 * /proc/meminfo's Slab and Percpu), measured settled and compared with a
 * baseline within the noise of a control.
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
 * workload made must have been released (RTM_DELNSID).
 *
 * What a leak looks like against these floors (leaks injected into a
 * copy of the module, 6.1 guest; 6.12 alike): a handle per open, +5200
 * objects in kmalloc-cg-64 (1024 allowed); an skb per event, +236440 in
 * skbuff_head_cache (256 allowed); a namespace reference per handle,
 * 7.7 MB over dozens of caches and none of the 40 namespaces released;
 * a file reference per lookup, +160 in sock_inode_cache (78 allowed)
 * and +6482 skbs.  Below the resolution: a per-namespace per-CPU leak
 * (72 bytes per CPU and namespace; Percpu counts populated pages).
 */
#ifndef WINSOCK_LEAK_SLAB_SNAPSHOT_H
#define WINSOCK_LEAK_SLAB_SNAPSHOT_H

#include "leak.h"

#define SETTLE_MS		8000
#define SAMPLES			4
#define SAMPLE_GAP_MS		350
#define NOISE_FLOOR_OBJS	4
#define NOISE_FLOOR_BYTES	(64 * 1024)
#define TOTAL_FLOOR_BYTES	(1024L * 1024)
#define PERCPU_FLOOR_KB		64
#define SLAB_FLOOR_KB		1024

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
	write_file("/proc/sys/vm/drop_caches", "6", 0);
	dir = opendir("/sys/kernel/slab");
	if (!dir)
		return;
	while ((d = readdir(dir))) {
		/* Merged caches are symlinks to the one that holds them. */
		if (d->d_type != DT_DIR || d->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/sys/kernel/slab/%s/shrink", d->d_name);
		write_file(path, "1", 0);
	}
	closedir(dir);
}

static long meminfo_kb(const char *text, const char *key)
{
	const char *p = strstr(text, key);

	return p ? strtol(p + strlen(key), NULL, 10) : -1;
}

static int snap_read(struct snap *s)
{
	static char text[1 << 18];
	long active, total, size, per_slab;
	char name[64], *line, *save;
	int err;

	s->n = 0;
	err = read_file("/proc/slabinfo", text, sizeof(text));
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
	err = read_file("/proc/meminfo", text, sizeof(text));
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

/* How far a total moved, and how far it may. */
struct total {
	long moved, allowed;
};

/* What compare() found. */
struct verdict {
	struct total caches;	/* bytes over the checked caches */
	struct total slab;	/* kB */
	struct total percpu;	/* kB */
	int bad;		/* how many things moved too far */
	char why[1024];		/* the worst of them */
};

/* Append to @v->why, as much as fits. */
static void __attribute__((format(printf, 2, 3)))
why_add(struct verdict *v, const char *fmt, ...)
{
	size_t o = strlen(v->why);
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(v->why + o, sizeof(v->why) - o, fmt, ap);
	va_end(ap);
}

static long labs_(long v)
{
	return v < 0 ? -v : v;
}

/*
 * A total may move up by twice what it moved in the control (@ctl_move),
 * or by @floor; @what and @unit name it in @v->why.
 */
static void compare_total(struct verdict *v, struct total *t, const char *what,
			  const char *unit, long moved, long ctl_move, long floor)
{
	t->moved = moved;
	t->allowed = 2 * labs_(ctl_move);
	if (t->allowed < floor)
		t->allowed = floor;
	if (t->moved > t->allowed) {
		v->bad++;
		why_add(v, " %s:+%ld %s(allowed %ld)", what, t->moved, unit,
			t->allowed);
	}
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

/*
 * Compare @after with @before, allowing per cache twice what it moved
 * between @ctl_a and @ctl_b (the control), or the floor, and the same of
 * the totals.  Returns true when everything is within bounds.
 */
static bool compare(const struct snap *ctl_a, const struct snap *ctl_b,
		    const struct snap *before, const struct snap *after,
		    struct verdict *v)
{
	long noise_total = 0, bytes = 0, floor, noise, delta, allowed;
	const struct cache *a, *ca, *cb;
	int i;

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
		bytes += delta * c->size;
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
			/* Room left for the totals. */
			if (strlen(v->why) < sizeof(v->why) - 100)
				why_add(v, " %s:+%ld(allowed %ld)", c->name,
					delta, allowed);
		}
	}
	compare_total(v, &v->caches, "all caches", "bytes", bytes, noise_total,
		      TOTAL_FLOOR_BYTES);
	compare_total(v, &v->slab, "Slab", "kB", after->slab_kb - before->slab_kb,
		      ctl_b->slab_kb - ctl_a->slab_kb, SLAB_FLOOR_KB);
	compare_total(v, &v->percpu, "Percpu", "kB",
		      after->percpu_kb - before->percpu_kb,
		      ctl_b->percpu_kb - ctl_a->percpu_kb, PERCPU_FLOOR_KB);
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

#endif /* WINSOCK_LEAK_SLAB_SNAPSHOT_H */
