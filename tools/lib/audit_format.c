// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The audit-stream client's text forms (audit_client.h): error messages,
 * result names, peer addresses, and an event as one JSON or key=value
 * line.
 *
 * The lines are built by hand rather than with printf: a monitor writing
 * tens of thousands of events a second spends most of its time here, and
 * printf's format parsing cost several times the work itself.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/un.h>
#include <time.h>

#include "audit_client.h"
#include "wsa_names.h"

const char *auc_strerror(int err)
{
	switch (err) {
	case -ENODEV:
		return "the winsock module is not loaded (modprobe winsock)";
	case -EPROTONOSUPPORT:
		return "the loaded winsock module has no \"" WINSOCK_GENL_NAME
		       "\" netlink family of version 2: load the module these tools came with";
	case -EPERM:
		return "permission denied: the audit stream needs CAP_NET_ADMIN in this network namespace";
	case -EEXIST:
		return "this connection is subscribed already";
	case -ENOSPC:
		return "too many subscribers in this network namespace";
	case -ENOENT:
		return "this connection is not subscribed";
	case -EINVAL:
		return "the module refused the request (an unknown flag?)";
	case -ENOBUFS:
		return "receive buffer overflowed, events lost";
	case -ETIMEDOUT:
		return "the module did not answer";
	default:
		return strerror(-err);
	}
}

const char *auc_result_name(uint32_t result)
{
	const char *name = result ? wsa_code_name(result) : "success";

	return name ? name : "unknown";
}

/* A unix name, every byte that could end or fake a field as \xNN. */
static void auc_format_unix(char *buf, size_t size, const char *p, size_t len)
{
	size_t i, o = 0;

	for (i = 0; i < len && o + 5 < size; i++) {
		unsigned char ch = p[i];

		if (ch > 0x20 && ch < 0x7f && ch != '\\' && ch != '"')
			buf[o++] = (char)ch;
		else
			o += snprintf(buf + o, size - o, "\\x%02x", ch);
	}
	buf[o] = '\0';
}

/* "a.b.c.d:port" */
static void auc_format_in(char *buf, size_t size, uint32_t addr, unsigned int port)
{
	const unsigned int parts[5] = { addr >> 24, (addr >> 16) & 255, (addr >> 8) & 255,
				  addr & 255, port };
	char tmp[32], *p = tmp;
	size_t n;
	int i;

	for (i = 0; i < 5; i++) {
		unsigned int v = parts[i];

		if (v >= 10000)
			*p++ = (char)('0' + v / 10000);
		if (v >= 1000)
			*p++ = (char)('0' + v / 1000 % 10);
		if (v >= 100)
			*p++ = (char)('0' + v / 100 % 10);
		if (v >= 10)
			*p++ = (char)('0' + v / 10 % 10);
		*p++ = (char)('0' + v % 10);
		*p++ = i < 3 ? '.' : ':';
	}
	n = p - 1 - tmp;
	if (n >= size)
		n = size - 1;
	memcpy(buf, tmp, n);
	buf[n] = '\0';
}

void auc_format_peer(char *buf, size_t size, const struct auc_event *e)
{
	const struct sockaddr_in *sin = (const void *)&e->peer;
	const struct sockaddr_in6 *sin6 = (const void *)&e->peer;
	const struct sockaddr_un *sun = (const void *)&e->peer;
	int pathlen = e->peerlen - (int)offsetof(struct sockaddr_un, sun_path);
	char ip[INET6_ADDRSTRLEN];

	buf[0] = '\0';
	if (!e->peerlen || size < 2)
		return;
	switch (e->peer.ss_family) {
	case AF_INET:
		/* By hand: the most common peer, and printf costs. */
		auc_format_in(buf, size, ntohl(sin->sin_addr.s_addr), ntohs(sin->sin_port));
		break;
	case AF_INET6:
		inet_ntop(AF_INET6, &sin6->sin6_addr, ip, sizeof(ip));
		snprintf(buf, size, "[%s]:%u", ip, ntohs(sin6->sin6_port));
		break;
	case AF_UNIX:
		if (pathlen <= 0)
			break;			/* unnamed */
		if (sun->sun_path[0]) {
			/* A path name ends at its NUL, if it has one. */
			auc_format_unix(buf, size, sun->sun_path,
					strnlen(sun->sun_path, pathlen));
			break;
		}
		/* Abstract: any byte, NULs included. */
		buf[0] = '@';
		auc_format_unix(buf + 1, size - 1, sun->sun_path + 1, pathlen - 1);
		break;
	default:
		snprintf(buf, size, "family-%u", e->peer.ss_family);
		break;
	}
}

/* --- one event, one line ----------------------------------------------- */

/* Appends that stop at the end of the buffer (one byte kept for '\n'). */
struct out {
	char *p, *end;
};

static void put_c(struct out *o, char c)
{
	if (o->p < o->end)
		*o->p++ = c;
}

static void put_m(struct out *o, const char *s, size_t len)
{
	if (len > (size_t)(o->end - o->p))
		len = o->end - o->p;
	memcpy(o->p, s, len);
	o->p += len;
}

static void put_s(struct out *o, const char *s)
{
	put_m(o, s, strlen(s));
}

/* A string literal: its length known at compile time. */
#define put_l(o, lit) put_m(o, lit, sizeof(lit) - 1)

static void put_u(struct out *o, uint64_t v)
{
	char tmp[20];
	int n = sizeof(tmp);

	do
		tmp[--n] = (char)('0' + v % 10);
	while ((v /= 10));
	put_m(o, tmp + n, sizeof(tmp) - n);
}

static void put_hex(struct out *o, unsigned char ch, const char *prefix)
{
	static const char hex[] = "0123456789abcdef";

	put_s(o, prefix);
	put_c(o, hex[ch >> 4]);
	put_c(o, hex[ch & 15]);
}

/* A JSON string: the comm and peer can hold any byte. */
static void put_json(struct out *o, const char *s)
{
	put_c(o, '"');
	for (; *s; s++) {
		unsigned char ch = *s;

		if (ch == '"' || ch == '\\') {
			put_c(o, '\\');
			put_c(o, (char)ch);
		} else if (ch < 0x20 || ch >= 0x7f) {
			put_hex(o, ch, "\\u00");
		} else {
			put_c(o, (char)ch);
		}
	}
	put_c(o, '"');
}

/*
 * A text value: a space, control byte, backslash, quote or byte >= 0x7f as
 * \xNN (the rule of peer names), so no value can end its field, start
 * another or end the line.
 */
static void put_text(struct out *o, const char *s)
{
	for (; *s; s++) {
		unsigned char ch = *s;

		if (ch > 0x20 && ch < 0x7f && ch != '\\' && ch != '"')
			put_c(o, (char)ch);
		else
			put_hex(o, ch, "\\x");
	}
}

/* ISO 8601 UTC, nanoseconds; the date part is formatted once a second. */
static void put_time(struct out *o, struct auc_clock *clk, uint64_t ns)
{
	time_t sec = (time_t)(ns / 1000000000);
	uint32_t frac = ns % 1000000000;
	char digits[9];
	struct tm tm;
	int i;

	if (!clk->prefix[0] || clk->sec != (int64_t)sec) {
		gmtime_r(&sec, &tm);
		snprintf(clk->prefix, sizeof(clk->prefix), "%04d-%02d-%02dT%02d:%02d:%02d.",
			 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
			 tm.tm_min, tm.tm_sec);
		clk->sec = sec;
	}
	put_s(o, clk->prefix);
	for (i = 8; i >= 0; i--, frac /= 10)
		digits[i] = (char)('0' + frac % 10);
	for (i = 0; i < 9; i++)
		put_c(o, digits[i]);
	put_c(o, 'Z');
}

static void put_version(struct out *o, uint32_t version)
{
	put_u(o, version & 0xff);
	put_c(o, '.');
	put_u(o, version >> 8);
}

static const char *family_name(uint32_t family)
{
	switch (family) {
	case AF_UNIX:
		return "unix";
	case AF_INET:
		return "inet";
	case AF_INET6:
		return "inet6";
	default:
		return "other";
	}
}

/* A literal key and a number: put_kv(o, ",\"pid\":", e->pid). */
#define put_kv(o, key, v) do { put_l(o, key); put_u(o, v); } while (0)

static size_t finish(struct out *o, const char *buf)
{
	*o->p++ = '\n';		/* the end kept room for it */
	return o->p - buf;
}

size_t auc_format_json(char *buf, const struct auc_event *e, struct auc_clock *clk)
{
	struct out o = { buf, buf + AUC_LINE_MAX - 1 };
	char peer[AUC_PEER_MAX];

	put_kv(&o, "{\"seq\":", e->seq);
	put_l(&o, ",\"time\":\"");
	put_time(&o, clk, e->timestamp_ns);
	put_kv(&o, "\",\"timestamp_ns\":", e->timestamp_ns);
	put_kv(&o, ",\"pid\":", e->pid);
	put_kv(&o, ",\"tid\":", e->tid);
	put_kv(&o, ",\"uid\":", e->uid);
	put_kv(&o, ",\"gid\":", e->gid);
	put_l(&o, ",\"comm\":");
	put_json(&o, e->comm);
	put_kv(&o, ",\"socket\":", e->socket);
	if (e->has_socket) {
		put_kv(&o, ",\"family\":", e->family);
		put_kv(&o, ",\"type\":", e->type);
		put_kv(&o, ",\"protocol\":", e->protocol);
	}
	put_kv(&o, ",\"result\":", e->result);
	put_l(&o, ",\"result_name\":\"");
	put_s(&o, auc_result_name(e->result));
	put_c(&o, '"');
	if (e->peerlen) {
		auc_format_peer(peer, sizeof(peer), e);
		put_l(&o, ",\"peer\":");
		put_json(&o, peer);
	}
	put_l(&o, ",\"version\":\"");
	put_version(&o, e->version);
	put_kv(&o, "\",\"flags\":", e->flags);
	if (e->has_netns) {
		put_kv(&o, ",\"netns_ino\":", e->netns_ino);
		put_kv(&o, ",\"netns_cookie\":", e->netns_cookie);
	}
	put_kv(&o, ",\"caller_netns_ino\":", e->caller_netns_ino);
	put_kv(&o, ",\"caller_netns_cookie\":", e->caller_netns_cookie);
	put_c(&o, '}');
	return finish(&o, buf);
}

size_t auc_format_text(char *buf, const struct auc_event *e, struct auc_clock *clk)
{
	struct out o = { buf, buf + AUC_LINE_MAX - 1 };
	char peer[AUC_PEER_MAX];

	put_time(&o, clk, e->timestamp_ns);
	put_kv(&o, " seq=", e->seq);
	put_kv(&o, " pid=", e->pid);
	put_kv(&o, " tid=", e->tid);
	put_kv(&o, " uid=", e->uid);
	put_kv(&o, " gid=", e->gid);
	put_l(&o, " comm=");
	put_text(&o, e->comm);
	put_kv(&o, " socket=", e->socket);
	if (e->has_socket) {
		put_l(&o, " family=");
		put_s(&o, family_name(e->family));
		put_kv(&o, " type=", e->type);
		put_kv(&o, " protocol=", e->protocol);
	}
	put_l(&o, " result=");
	put_s(&o, auc_result_name(e->result));
	if (e->peerlen) {
		/* auc_format_peer() leaves nothing put_text() would escape. */
		auc_format_peer(peer, sizeof(peer), e);
		put_l(&o, " peer=");
		put_s(&o, peer[0] ? peer : "(unnamed)");
	}
	put_l(&o, " version=");
	put_version(&o, e->version);
	if (e->has_netns)
		put_kv(&o, " netns=", e->netns_ino);
	put_kv(&o, " caller_netns=", e->caller_netns_ino);
	return finish(&o, buf);
}
