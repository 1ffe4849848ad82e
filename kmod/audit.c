// SPDX-License-Identifier: GPL-2.0
/*
 * The audit stream of peer lookups: what every lookup reports, and the
 * per-namespace state behind it.
 *
 * Every lookup is counted in the caller's network namespace and, when
 * that is another one, in the initial namespace too: the host sees
 * everything, a namespace sees what is done from inside it.  While anyone
 * subscribed (subscriber.c), the lookup is also sent to the subscribers
 * of those two namespaces.  The winsock:getpeername tracepoint and, when
 * the "audit" parameter is set, a kernel audit record (record.c) report
 * the same lookup.
 *
 * Nobody subscribed costs two per-CPU increments and one test of a word
 * (audit.h, inline): nothing is allocated, formatted or locked.
 *
 * Where the rest is: subscribing (WINSOCK_CMD_SUBSCRIBE) and the counters'
 * commands in netlink.c, subscribers in subscriber.c and delivery in
 * delivery.c, the event's attributes in event.c, the kernel audit records
 * and their audit_rate limit in record.c.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/audit.h>
#include <linux/module.h>
#include <linux/nsproxy.h>
#include <linux/percpu.h>
#include <linux/sched.h>
#include <net/net_namespace.h>
#include <net/netns/generic.h>

#include "audit.h"

#define CREATE_TRACE_POINTS
#include "trace.h"

/*
 * Every byte of a trace entry is written: trace_pipe_raw readers see the
 * whole entry, padding included, so the layout must have none.
 */
static_assert(sizeof(struct trace_event_raw_getpeername) ==
	      offsetof(struct trace_event_raw_getpeername, __data));

unsigned int ws_net_id __read_mostly;
struct ws_net *ws_init_wn __read_mostly;

atomic_t ws_active = ATOMIC_INIT(0);

void ws_audit_report_get(void)
{
	atomic_inc(&ws_active);
}

void ws_audit_report_put(void)
{
	atomic_dec(&ws_active);
}

/* The tracepoint counts in ws_active while anyone traces it. */
int ws_trace_reg(void)
{
	ws_audit_report_get();
	return 0;
}

void ws_trace_unreg(void)
{
	ws_audit_report_put();
}

enum ws_stat ws_result_stat(u32 result)
{
	switch (result) {
	case 0:
		return WS_STAT_OK;
	case WINSOCK_WSANOTINITIALISED:
		return WS_STAT_NOTINITIALISED;
	case WINSOCK_WSAEINPROGRESS:
		return WS_STAT_INPROGRESS;
	case WINSOCK_WSAENOTSOCK:
		return WS_STAT_NOTSOCK;
	case WINSOCK_WSAENOTCONN:
		return WS_STAT_NOTCONN;
	case WINSOCK_WSAEFAULT:
		return WS_STAT_FAULT;
	default:
		/* WSAENETDOWN: ws_lookup returns nothing else. */
		return WS_STAT_NETDOWN;
	}
}

void ws_audit_open(struct ws_handle *h)
{
	h->net = get_net(current->nsproxy->net_ns);
	h->wn = ws_net_of(h->net);
}

void ws_audit_release(struct ws_handle *h)
{
	put_net(h->net);
}

/* The trace and the audit record, while either is on. */
void ws_audit_report(const struct ws_query *l, struct net *caller)
{
	trace_getpeername(l, caller);
	/* Like every audit source: silent while audit is disabled. */
	if (READ_ONCE(ws_audit_records) && audit_enabled)
		ws_audit_record(l, caller);
}

void ws_stats_read(struct ws_net *wn, u64 *v)
{
	int cpu, i;

	memset(v, 0, sizeof(u64) * WS_NSTATS);
	for_each_possible_cpu(cpu) {
		const struct ws_stats *s = per_cpu_ptr(wn->stats, cpu);

		for (i = 0; i < WS_NSTATS; i++)
			v[i] += READ_ONCE(s->n[i]);
	}
}

static int __net_init ws_net_init(struct net *net)
{
	struct ws_net *wn = ws_net_of(net);

	wn->stats = alloc_percpu(struct ws_stats);
	if (!wn->stats)
		return -ENOMEM;
	mutex_init(&wn->base_lock);
	mutex_init(&wn->subs_lock);
	INIT_LIST_HEAD(&wn->subs);
	return 0;
}

/*
 * A subscriber references its namespace, so none is left by the time a
 * namespace dies; at module unload, the subscribers of every living
 * namespace are ended here.
 */
static void __net_exit ws_net_exit(struct net *net)
{
	struct ws_net *wn = ws_net_of(net);

	ws_unsubscribe_all(wn);
	free_percpu(wn->stats);
	mutex_destroy(&wn->subs_lock);
	mutex_destroy(&wn->base_lock);
}

static struct pernet_operations ws_net_ops = {
	.init	= ws_net_init,
	.exit	= ws_net_exit,
	.id	= &ws_net_id,
	.size	= sizeof(struct ws_net),
};

int ws_audit_init(void)
{
	int err;

	err = register_pernet_subsys(&ws_net_ops);
	if (err)
		return err;
	ws_init_wn = ws_net_of(&init_net);
	err = ws_netlink_init();
	if (err) {
		unregister_pernet_subsys(&ws_net_ops);
		return err;
	}
	return 0;
}

void ws_audit_exit(void)
{
	/* No new subscriber after this; then end the ones there are. */
	ws_netlink_exit();
	unregister_pernet_subsys(&ws_net_ops);
	ws_audit_records_exit();
}
