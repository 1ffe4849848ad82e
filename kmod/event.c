// SPDX-License-Identifier: GPL-2.0
/*
 * What a lookup looks like to its readers: the WINSOCK_CMD_EVENT message
 * of the audit stream, built per subscriber (ids as that subscriber sees
 * them), and the peer as text for the tracepoint and the audit record.
 */
#include <linux/cred.h>
#include <linux/in.h>
#include <linux/in6.h>
#include <linux/pid_namespace.h>
#include <linux/sched.h>
#include <linux/timekeeping.h>
#include <linux/un.h>
#include <linux/user_namespace.h>
#include <net/genetlink.h>
#include <net/net_namespace.h>
#include <net/sock.h>

#include "audit.h"

/* The family of the address as getname reported it, else the socket's. */
u16 ws_query_family(const struct ws_query *l)
{
	if (l->peerlen)
		return l->family;
	return l->sock ? READ_ONCE(l->sock->sk->sk_family) : 0;
}

/*
 * Whether a byte may stand for itself in a text field: printable, not a
 * space, not the escape or quote character.  Anything else could end a
 * field or a line and start a forged one.
 */
static bool ws_plain_byte(u8 c)
{
	return c > 0x20 && c < 0x7f && c != '\\' && c != '"';
}

/* Append @len bytes of @s to @buf, escaped as \xNN where not plain. */
static void ws_append(char *buf, size_t size, size_t o, const u8 *s, int len)
{
	int i;

	for (i = 0; i < len && o + 5 <= size; i++) {
		if (ws_plain_byte(s[i]))
			buf[o++] = s[i];
		else
			o += scnprintf(buf + o, size - o, "\\x%02x", s[i]);
	}
	buf[o] = '\0';
}

/*
 * The peer as text, "" when none was read: "1.2.3.4:80", "[::1%2]:80",
 * "/path", "@abstract", escaped so that it is safe to print in a line of
 * fields (an address needs no escaping).
 */
void ws_peer_str(char *buf, size_t size, const struct ws_query *l)
{
	const struct sockaddr_un *sun = (const void *)&l->peer;
	int len = l->peerlen - (int)offsetof(struct sockaddr_un, sun_path);

	/*
	 * All of it: the tracepoint keeps the whole array in the ring
	 * buffer, where trace_pipe_raw readers see every byte.
	 */
	memset(buf, 0, size);
	if (!l->peerlen)
		return;
	switch (l->family) {
	case AF_INET: {
		struct sockaddr_in sin;

		/* The family in @peer may be Windows'; %pIS needs Linux's. */
		memcpy(&sin, &l->peer, sizeof(sin));
		sin.sin_family = AF_INET;
		snprintf(buf, size, "%pISpc", &sin);
		break;
	}
	case AF_INET6: {
		struct sockaddr_in6 sin6;

		memcpy(&sin6, &l->peer, sizeof(sin6));
		sin6.sin6_family = AF_INET6;
		snprintf(buf, size, "%pISpc", &sin6);
		break;
	}
	case AF_UNIX:
		if (len <= 0)
			break;		/* unnamed */
		if (sun->sun_path[0]) {
			ws_append(buf, size, 0, (const u8 *)sun->sun_path,
				  strnlen(sun->sun_path, len));
			break;
		}
		buf[0] = '@';		/* abstract: may hold any byte */
		ws_append(buf, size, 1, (const u8 *)sun->sun_path + 1, len - 1);
		break;
	}
}

/* Room for one event; WINSOCK_A_PAD may precede each u64. */
static size_t ws_event_size(void)
{
	return nla_total_size_64bit(sizeof(u64)) * 6 +	/* seq ts socket cookies */
	       nla_total_size(sizeof(u32)) * 12 +
	       nla_total_size(TASK_COMM_LEN) +
	       nla_total_size(sizeof(struct sockaddr_storage));
}

static int ws_fill_ids(struct sk_buff *skb, const struct ws_sub *sub)
{
	char comm[TASK_COMM_LEN];

	get_task_comm(comm, current);
	if (nla_put_u32(skb, WINSOCK_A_PID, task_tgid_nr_ns(current, sub->pidns)) ||
	    nla_put_u32(skb, WINSOCK_A_TID, task_pid_nr_ns(current, sub->pidns)) ||
	    nla_put_u32(skb, WINSOCK_A_UID,
			from_kuid_munged(sub->userns, current_uid())) ||
	    nla_put_u32(skb, WINSOCK_A_GID,
			from_kgid_munged(sub->userns, current_gid())) ||
	    nla_put_string(skb, WINSOCK_A_COMM, comm))
		return -EMSGSIZE;
	return 0;
}

static int ws_fill_socket(struct sk_buff *skb, const struct ws_query *l)
{
	struct sock *sk = l->sock->sk;
	const struct net *net = sock_net(sk);
	struct nlattr *peer;

	if (nla_put_u32(skb, WINSOCK_A_FAMILY, ws_query_family(l)) ||
	    nla_put_u32(skb, WINSOCK_A_TYPE, l->sock->type) ||
	    nla_put_u32(skb, WINSOCK_A_PROTOCOL, sk->sk_protocol) ||
	    nla_put_u64_64bit(skb, WINSOCK_A_NETNS_COOKIE, net->net_cookie,
			      WINSOCK_A_PAD) ||
	    nla_put_u32(skb, WINSOCK_A_NETNS_INO, net->ns.inum))
		return -EMSGSIZE;
	if (!l->peerlen)
		return 0;
	peer = nla_reserve(skb, WINSOCK_A_PEER, l->peerlen);
	if (!peer)
		return -EMSGSIZE;
	memcpy(nla_data(peer), &l->peer, l->peerlen);
	/* Always the native layout, whatever the caller asked for. */
	((struct sockaddr *)nla_data(peer))->sa_family = l->family;
	return 0;
}

/*
 * The event for one subscriber, its number left at 0 in *@seq: numbers
 * are handed out in queue order, under the subscriber's lock.  NULL when
 * memory is short (the event is then counted as dropped).
 */
struct sk_buff *ws_event_new(const struct ws_query *l,
			     const struct net *caller,
			     const struct ws_sub *sub, struct nlattr **seq)
{
	struct sk_buff *skb;
	void *hdr;

	skb = genlmsg_new(ws_event_size(), GFP_KERNEL | __GFP_NOWARN);
	if (!skb)
		return NULL;
	hdr = genlmsg_put(skb, 0, 0, &ws_genl_family, 0, WINSOCK_CMD_EVENT);
	if (!hdr)
		goto too_big;
	*seq = nla_reserve_64bit(skb, WINSOCK_A_SEQ, sizeof(u64), WINSOCK_A_PAD);
	if (!*seq)
		goto too_big;
	memset(nla_data(*seq), 0, sizeof(u64));
	if (nla_put_u64_64bit(skb, WINSOCK_A_TIMESTAMP, ktime_get_real_ns(),
			      WINSOCK_A_PAD) ||
	    ws_fill_ids(skb, sub) ||
	    nla_put_u64_64bit(skb, WINSOCK_A_SOCKET, l->socket,
			      WINSOCK_A_PAD) ||
	    nla_put_u32(skb, WINSOCK_A_RESULT, l->result) ||
	    nla_put_u32(skb, WINSOCK_A_VERSION, l->version) ||
	    nla_put_u32(skb, WINSOCK_A_FLAGS, l->flags) ||
	    nla_put_u64_64bit(skb, WINSOCK_A_CALLER_NETNS_COOKIE,
			      caller->net_cookie, WINSOCK_A_PAD) ||
	    nla_put_u32(skb, WINSOCK_A_CALLER_NETNS_INO, caller->ns.inum))
		goto too_big;
	if (l->sock && ws_fill_socket(skb, l))
		goto too_big;
	genlmsg_end(skb, hdr);
	return skb;

too_big:
	/* ws_event_size() is a bound: not reached. */
	nlmsg_free(skb);
	return NULL;
}
