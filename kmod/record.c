// SPDX-License-Identifier: GPL-2.0
/*
 * Kernel audit records of lookups (the "audit" parameter), written so that
 * they cannot hurt the system they audit.
 *
 * The audit log is shared by everyone and its failure mode may be "panic"
 * (auditctl -f 2): a record source must neither flood it nor outrun
 * kauditd.  So records are allocated with GFP_KERNEL, which makes the
 * looking-up task wait for the audit backlog like any audited syscall, and
 * they are rate-limited machine-wide ("audit_rate" per second); a record
 * left out is counted, reported in the next one (suppressed=N) and in the
 * initial namespace's counters.  The reliable record of every lookup is
 * the audit stream's subscription, not this log.
 */
#include <linux/audit.h>
#include <linux/jiffies.h>
#include <linux/moduleparam.h>
#include <linux/mutex.h>
#include <linux/spinlock.h>
#include <linux/un.h>
#include <net/net_namespace.h>
#include <net/sock.h>

#include "audit.h"

/*
 * Off by default: one record per lookup is a lot for the system's log.
 * Root turns it on at run time.
 */
bool ws_audit_records;
static DEFINE_MUTEX(ws_audit_param_lock);

/* While on, the parameter counts in ws_active. */
static int ws_audit_param_set(const char *val, const struct kernel_param *kp)
{
	bool was, on;
	int err;

	err = kstrtobool(val, &on);
	if (err)
		return err;
	mutex_lock(&ws_audit_param_lock);
	was = ws_audit_records;
	WRITE_ONCE(ws_audit_records, on);
	if (on && !was)
		ws_audit_report_get();
	else if (!on && was)
		ws_audit_report_put();
	mutex_unlock(&ws_audit_param_lock);
	return 0;
}

static const struct kernel_param_ops ws_audit_param_ops = {
	.set	= ws_audit_param_set,
	.get	= param_get_bool,
};

module_param_cb(audit, &ws_audit_param_ops, &ws_audit_records, 0644);
MODULE_PARM_DESC(audit,
		 "Also log lookups through the kernel audit subsystem (rate-limited)");

/* At unload: the key is the module's own, but keep the count balanced. */
void ws_audit_records_exit(void)
{
	mutex_lock(&ws_audit_param_lock);
	if (ws_audit_records)
		ws_audit_report_put();
	ws_audit_records = false;
	mutex_unlock(&ws_audit_param_lock);
}

static unsigned int ws_audit_rate = 100;
module_param_named(audit_rate, ws_audit_rate, uint, 0644);
MODULE_PARM_DESC(audit_rate,
		 "Most kernel audit records per second, machine-wide (default 100)");

/*
 * Tenth-of-a-second windows, each allowing a tenth of audit_rate: a full
 * second's worth at once could fill the audit backlog (64 by default) and
 * make every audited task wait.
 */
#define WS_RATE_WINDOWS	10
static DEFINE_SPINLOCK(ws_rate_lock);
static unsigned long ws_rate_end;
static unsigned int ws_rate_used;
static u64 ws_suppressed_total;
static u64 ws_suppressed_pending;	/* not yet reported in a record */

/* Whether a record may be written now; *@suppressed: left out before it. */
static bool ws_rate_allow(u64 *suppressed)
{
	bool ok;

	spin_lock(&ws_rate_lock);
	if (time_after_eq(jiffies, ws_rate_end)) {
		ws_rate_end = jiffies + HZ / WS_RATE_WINDOWS;
		ws_rate_used = 0;
	}
	ok = ws_rate_used < DIV_ROUND_UP(READ_ONCE(ws_audit_rate),
					 WS_RATE_WINDOWS);
	if (ok) {
		ws_rate_used++;
		*suppressed = ws_suppressed_pending;
		ws_suppressed_pending = 0;
	} else {
		ws_suppressed_total++;
		ws_suppressed_pending++;
	}
	spin_unlock(&ws_rate_lock);
	return ok;
}

u64 ws_audit_suppressed(void)
{
	u64 n;

	spin_lock(&ws_rate_lock);
	n = ws_suppressed_total;
	spin_unlock(&ws_rate_lock);
	return n;
}

/* Hex as the audit subsystem writes it (audit_log_n_hex()): uppercase. */
static void ws_log_hex(struct audit_buffer *ab, const u8 *p, size_t len)
{
	static const char digits[] = "0123456789ABCDEF";
	char hex[2 * 32 + 1];
	size_t i, n;

	while (len) {
		n = min(len, sizeof(hex) / 2);
		for (i = 0; i < n; i++) {
			hex[2 * i] = digits[p[i] >> 4];
			hex[2 * i + 1] = digits[p[i] & 0xf];
		}
		hex[2 * n] = '\0';
		audit_log_format(ab, "%s", hex);
		p += n;
		len -= n;
	}
}

/*
 * The audit subsystem's rule for strings a user chose: "quoted" when no
 * byte could end the field, else hex without quotes.  Unix names are
 * written in full, an abstract one with its leading NUL (so always hex:
 * as text it would read like the relative path "@name").
 * audit_log_n_untrustedstring() is not exported to modules.
 */
static void ws_log_untrusted(struct audit_buffer *ab, const u8 *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (s[i] == '"' || s[i] < 0x21 || s[i] > 0x7e)
			break;
	if (i == len)
		audit_log_format(ab, "\"%.*s\"", (int)len, s);
	else
		ws_log_hex(ab, s, len);
}

/*
 * The peer twice: "peer", text for people and log shippers (an address,
 * or a unix name under the untrusted-string rule), and "saddr", the
 * native sockaddr in hex as the kernel's own SOCKADDR records have it,
 * which ausearch -i decodes.
 */
static void ws_log_peer(struct audit_buffer *ab, const struct ws_query *l)
{
	const struct sockaddr_un *sun = (const void *)&l->peer;
	int pathlen = l->peerlen - (int)offsetof(struct sockaddr_un, sun_path);
	char text[WS_INET_STR_LEN];
	u16 family = l->family;

	if (!l->peerlen)
		return;
	if (l->family == AF_UNIX) {
		if (pathlen > 0) {
			audit_log_format(ab, " peer=");
			if (sun->sun_path[0])
				pathlen = strnlen(sun->sun_path, pathlen);
			ws_log_untrusted(ab, (const u8 *)sun->sun_path, pathlen);
		}
	} else {
		/* An address and port: nothing in it needs escaping. */
		ws_peer_str(text, sizeof(text), l);
		audit_log_format(ab, " peer=\"%s\"", text);
	}
	/* In @peer the family may be Windows': the native one, in place. */
	audit_log_format(ab, " saddr=");
	ws_log_hex(ab, (const u8 *)&family, sizeof(family));
	ws_log_hex(ab, (const u8 *)&l->peer + sizeof(family),
		   l->peerlen - sizeof(family));
}

void ws_audit_record(const struct ws_query *l, const struct net *caller)
{
	struct sock *sk = l->sock ? l->sock->sk : NULL;
	struct audit_buffer *ab;
	u64 suppressed = 0;

	if (!ws_rate_allow(&suppressed))
		return;
	/*
	 * A record of its own, not one of the ioctl's syscall event: that
	 * event's SYSCALL record says success=yes exit=<WSA code> (the ioctl
	 * did succeed), and audit tools would take it for this lookup's
	 * result.
	 */
	ab = audit_log_start(NULL, GFP_KERNEL, AUDIT_KERNEL_OTHER);
	if (!ab)
		return;
	/* res as every audit record has it: 1 success, 0 failure. */
	audit_log_format(ab, "op=winsock_getpeername res=%d wsa=%u",
			 !l->result, l->result);
	audit_log_format(ab, " socket=%llu version=0x%04x caller_netns=%u",
			 l->socket, l->version, caller->ns.inum);
	/* Not "family" or "type": auparse reads those as other things. */
	if (sk)
		audit_log_format(ab, " netns=%u sock_family=%u sock_type=%u sock_protocol=%u",
				 sock_net(sk)->ns.inum, ws_query_family(l),
				 l->sock->type, sk->sk_protocol);
	ws_log_peer(ab, l);
	if (suppressed)
		audit_log_format(ab, " suppressed=%llu", suppressed);
	audit_log_task_info(ab);
	audit_log_end(ab);
}
