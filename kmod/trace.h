/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The winsock:getpeername tracepoint: one record per lookup, for ftrace,
 * perf and bpftrace.  The common fields already carry pid and comm.
 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM winsock

#if !defined(_WINSOCK_TRACE_H) || defined(TRACE_HEADER_MULTI_READ)
#define _WINSOCK_TRACE_H

#include <linux/cred.h>
#include <linux/tracepoint.h>
#include <linux/uidgid.h>
#include <net/net_namespace.h>
#include <net/sock.h>

#include "audit.h"

/*
 * The peer is escaped (ws_peer_str()): no byte of a unix name can end the
 * line or a field.  The layout has no padding (checked in audit.c): the
 * ring buffer keeps every byte of the entry.
 */
TRACE_EVENT_FN(getpeername,
	       TP_PROTO(const struct ws_query *l, const struct net *caller),
	       TP_ARGS(l, caller),
	       TP_STRUCT__entry(__field(u64, socket)
				__field(u64, netns_cookie)
				__field(u32, netns_ino)
				__field(u32, caller_netns_ino)
				__field(u32, uid)
				__field(u32, gid)
				__field(u32, family)
				__field(u32, type)
				__field(u32, protocol)
				__field(u32, result)
				__field(u32, version)
				__field(u32, flags)
				__array(char, peer, WS_PEER_STR_LEN)),
	       TP_fast_assign(const struct net *net =
				      l->sock ? sock_net(l->sock->sk) : caller;

			      __entry->socket = l->socket;
			      __entry->netns_cookie = net->net_cookie;
			      __entry->netns_ino = net->ns.inum;
			      __entry->caller_netns_ino = caller->ns.inum;
			      __entry->uid = from_kuid(&init_user_ns, current_uid());
			      __entry->gid = from_kgid(&init_user_ns, current_gid());
			      __entry->family = ws_query_family(l);
			      __entry->type = l->sock ? l->sock->type : 0;
			      __entry->protocol = l->sock ? l->sock->sk->sk_protocol : 0;
			      __entry->result = l->result;
			      __entry->version = l->version;
			      __entry->flags = l->flags;
			      ws_peer_str(__entry->peer, sizeof(__entry->peer), l);),
	       TP_printk("socket=%llu family=%u type=%u protocol=%u result=%u version=0x%04x flags=0x%x uid=%u gid=%u netns=%u caller_netns=%u netns_cookie=%llu peer=%s",
			 __entry->socket, __entry->family, __entry->type,
			 __entry->protocol, __entry->result, __entry->version,
			 __entry->flags, __entry->uid, __entry->gid,
			 __entry->netns_ino, __entry->caller_netns_ino,
			 __entry->netns_cookie, __entry->peer),
	       ws_trace_reg, ws_trace_unreg
);

#endif /* _WINSOCK_TRACE_H */

/* Out of tree: define_trace.h finds this file through -I$(src)/kmod. */
#undef TRACE_INCLUDE_PATH
#define TRACE_INCLUDE_PATH .
#undef TRACE_INCLUDE_FILE
#define TRACE_INCLUDE_FILE trace
#include <trace/define_trace.h>
