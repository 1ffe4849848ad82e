// SPDX-License-Identifier: GPL-2.0
/*
 * audit_escape_test: what a user controls cannot forge a line or a field
 * in the audit stream's text forms.
 *
 * A process may name itself anything (prctl PR_SET_NAME) and bind a unix
 * socket to any path or abstract name: newlines, spaces, tabs, "key=value"
 * text, backslashes, quotes, DEL and bytes >= 0x80.  Looked up, these come
 * out of winsock-audit monitor (text) as one line per event whose every
 * field is a known key=value and whose comm and peer are the escaped bytes
 * (\xNN); with --json as lines a strict JSON parser accepts; and in the
 * winsock:getpeername tracepoint's text as one line per lookup with one
 * peer= field, escaped by the module's rule (bytes < 0x21 or >= 0x7f,
 * '\\' and '"' as \xNN).
 *
 * The trace line's "comm-pid" prefix is ftrace's own, for every event
 * (here "<...>": no command line is recorded for these events); the
 * lookup made under the evil name must still be one line.
 */
#include <stddef.h>
#include <sys/prctl.h>

#include "audit_util.h"
#include "json_check.h"

/* 13 bytes: a space, a newline, a tab and a would-be field. */
#define EVIL_COMM	"a b\nresult=0\t"
/*
 * A monitor line and a trace line, a quote, a backslash, DEL and 0xff;
 * short enough that its escaped form fits the tracepoint's peer field.
 */
#define EVIL_PATH	"/tmp/e v\nT seq=1 result=0\n x-1 [0] 1.0: getpeername: peer=\"\\\x7f\xff"
/* Abstract: a NUL first, then another newline. */
#define EVIL_ABSTRACT	"\0ab\ncd=e f"

/* The module's and the tools' escape: \xNN for what may not be printed. */
static void escape(char *out, size_t size, const char *s, size_t len)
{
	size_t i, o = 0;

	for (i = 0; i < len && o + 5 < size; i++) {
		unsigned char ch = s[i];

		if (ch > 0x20 && ch < 0x7f && ch != '\\' && ch != '"')
			out[o++] = ch;
		else
			o += snprintf(out + o, size - o, "\\x%02x", ch);
	}
	out[o] = '\0';
}

/*
 * Check one line of "key=value" fields (after @skip leading tokens):
 * printable bytes only, single spaces, every key one of @keys and at most
 * once.  The values of "comm" and "peer" are copied out.  0 or -1.
 */
static int fields(const char *line, const char *const *keys, int skip,
		  char *comm, char *peer, size_t size)
{
	int seen[32] = { 0 }, i, tok = 0;
	const char *p = line, *end, *eq;
	size_t klen;

	if (comm)
		comm[0] = '\0';
	peer[0] = '\0';
	for (p = line; *p && *p != '\n'; p++)
		if ((unsigned char)*p < 0x20 || (unsigned char)*p >= 0x7f)
			return -1;
	for (p = line; *p && *p != '\n'; p = *end ? end + 1 : end, tok++) {
		end = p + strcspn(p, " \n");
		if (end == p)
			return -1;	/* two spaces: an empty field */
		if (tok < skip)
			continue;
		eq = memchr(p, '=', end - p);
		if (!eq)
			return -1;
		klen = eq - p;
		for (i = 0; keys[i]; i++)
			if (strlen(keys[i]) == klen && !strncmp(keys[i], p, klen))
				break;
		if (!keys[i] || seen[i]++)
			return -1;
		if (comm && !strcmp(keys[i], "comm"))
			snprintf(comm, size, "%.*s", (int)(end - eq - 1), eq + 1);
		if (!strcmp(keys[i], "peer"))
			snprintf(peer, size, "%.*s", (int)(end - eq - 1), eq + 1);
		if (*end == '\n')
			break;
	}
	return 0;
}

static const char *const monitor_keys[] = {
	"seq", "pid", "tid", "uid", "gid", "comm", "socket", "family", "type",
	"protocol", "result", "peer", "version", "netns", "caller_netns", NULL,
};

static const char *const trace_keys[] = {
	"socket", "family", "type", "protocol", "result", "version", "flags",
	"uid", "gid", "netns", "caller_netns", "netns_cookie", "peer", NULL,
};

FIXTURE(escape) {
	struct tcp_conn c;
	struct unix_conn path, abs;
	int dev;
	char path_esc[512], abs_esc[512], comm_esc[128], comm[16];
};

FIXTURE_SETUP(escape)
{
	self->dev = -1;
	if (geteuid())
		SETUP_SKIP(return, "the audit stream and tracefs need root");
	self->dev = ws_open_started(0x0202);
	ASSERT_LE(0, self->dev);
	ASSERT_EQ(0, tcp_connect(&self->c, AF_INET));
	ASSERT_EQ(0, unix_connect(&self->path, SOCK_STREAM, EVIL_PATH, sizeof(EVIL_PATH) - 1));
	ASSERT_EQ(0, unix_connect(&self->abs, SOCK_STREAM, EVIL_ABSTRACT, sizeof(EVIL_ABSTRACT) - 1));
	escape(self->path_esc, sizeof(self->path_esc), EVIL_PATH, sizeof(EVIL_PATH) - 1);
	self->abs_esc[0] = '@';
	escape(self->abs_esc + 1, sizeof(self->abs_esc) - 1, EVIL_ABSTRACT + 1,
	       sizeof(EVIL_ABSTRACT) - 2);
	escape(self->comm_esc, sizeof(self->comm_esc), EVIL_COMM, sizeof(EVIL_COMM) - 1);
	ASSERT_EQ(0, prctl(PR_GET_NAME, self->comm));
}

FIXTURE_TEARDOWN(escape)
{
	if (self->dev < 0)
		return;
	prctl(PR_SET_NAME, self->comm);
	unix_conn_close(&self->path);
	unix_conn_close(&self->abs);
	tcp_close(&self->c);
	close(self->dev);
}

/*
 * The four lookups: a TCP socket and the two unix clients under this
 * name, then the path client under the evil name.
 */
#define LOOKUPS 4

static void lookups(struct __test_metadata *_metadata, FIXTURE_DATA(escape) *self)
{
	uint64_t ms;

	ASSERT_EQ(0, lookup_timed(self->dev, self->c.client, &ms));
	ASSERT_EQ(0, lookup_timed(self->dev, self->path.client, &ms));
	ASSERT_EQ(0, lookup_timed(self->dev, self->abs.client, &ms));
	ASSERT_EQ(0, prctl(PR_SET_NAME, EVIL_COMM));
	ASSERT_EQ(0, lookup_timed(self->dev, self->path.client, &ms));
	ASSERT_EQ(0, prctl(PR_SET_NAME, self->comm));
}

/* Run the monitor around the lookups: its output in @out. */
static void monitor_run(struct __test_metadata *_metadata, FIXTURE_DATA(escape) *self,
			bool json, const char *out)
{
	char *text[] = { "winsock-audit", "monitor", "--count", "4", NULL };
	char *js[] = { "winsock-audit", "monitor", "--json", "--count", "4", NULL };
	struct genl_stats before;
	char err[4096];
	struct tool t;

	ASSERT_EQ(0, stats_now(&before));
	ASSERT_EQ(0, tool_start(&t, json ? js : text, out));
	ASSERT_NE(0, wait_new_subscriber(&before, 10000));
	lookups(_metadata, self);
	ASSERT_EQ(0, tool_wait(&t, 30000, err, sizeof(err))) TH_LOG("%s", err);
}

static int read_lines(const char *path, char lines[][1024], int max)
{
	FILE *f = fopen(path, "r");
	int n = 0;

	if (!f)
		return -1;
	while (n < max && fgets(lines[n], sizeof(lines[n]), f))
		n++;
	/* One more line than expected still counts. */
	if (n == max && fgetc(f) != EOF)
		n++;
	fclose(f);
	return n;
}

TEST_F(escape, text_monitor_one_line_per_event)
{
	const char *out = "/tmp/audit_escape.txt";
	char lines[LOOKUPS][1024], comm[256], peer[256];
	const char *want_peer[LOOKUPS] = { NULL, self->path_esc, self->abs_esc, self->path_esc };
	int i;

	SKIPPED_IN_SETUP();
	if (!have_tool())
		SKIP(return, "winsock-audit is not in PATH");
	monitor_run(_metadata, self, false, out);
	ASSERT_EQ(LOOKUPS, read_lines(out, lines, LOOKUPS));
	for (i = 0; i < LOOKUPS; i++) {
		ASSERT_EQ(0, fields(lines[i], monitor_keys, 1, comm, peer, sizeof(comm)))
			TH_LOG("line %d: %s", i, lines[i]);
		EXPECT_STREQ(i == 3 ? self->comm_esc : self->comm, comm);
		if (want_peer[i])
			EXPECT_EQ(0, strcasecmp(want_peer[i], peer))
				TH_LOG("peer=%s, want %s", peer, want_peer[i]);
	}
	unlink(out);
}

TEST_F(escape, json_monitor_parses)
{
	const char *out = "/tmp/audit_escape.jsonl";
	char lines[LOOKUPS][1024];
	uint64_t seq;
	int i;

	SKIPPED_IN_SETUP();
	if (!have_tool())
		SKIP(return, "winsock-audit is not in PATH");
	monitor_run(_metadata, self, true, out);
	ASSERT_EQ(LOOKUPS, read_lines(out, lines, LOOKUPS));
	for (i = 0; i < LOOKUPS; i++) {
		EXPECT_EQ(0, json_check(lines[i])) TH_LOG("not JSON: %s", lines[i]);
		EXPECT_TRUE(json_u64(lines[i], "seq", &seq));
		EXPECT_EQ((uint64_t)i + 1, seq);
	}
	/* The name's bytes are in it, escaped for JSON, not raw. */
	EXPECT_EQ(NULL, strchr(lines[3], '\t'));
	EXPECT_NE(NULL, strstr(lines[3], "\"comm\":\"a b"));
	unlink(out);
}

#define TRACING "/sys/kernel/tracing"

TEST_F(escape, tracepoint_one_line_one_peer)
{
	static char buf[1 << 16];
	char peer[512], *line, *next, *ev;
	const char *want[] = { self->path_esc, self->abs_esc, self->path_esc };
	int fds[] = { self->path.client, self->abs.client };
	int fd, n = 0, other = 0, i;
	uint64_t ms;
	ssize_t len;

	SKIPPED_IN_SETUP();
	if (access(TRACING "/events/winsock/getpeername/enable", W_OK))
		SKIP(return, "no tracefs or no winsock events");
	ASSERT_EQ(0, write_file(TRACING "/trace", "", O_TRUNC));
	ASSERT_EQ(0, write_file(TRACING "/events/winsock/getpeername/enable", "1", O_TRUNC));
	for (i = 0; i < 2; i++)
		EXPECT_EQ(0, lookup_timed(self->dev, fds[i], &ms));
	ASSERT_EQ(0, prctl(PR_SET_NAME, EVIL_COMM));
	EXPECT_EQ(0, lookup_timed(self->dev, fds[0], &ms));
	ASSERT_EQ(0, prctl(PR_SET_NAME, self->comm));
	ASSERT_EQ(0, write_file(TRACING "/events/winsock/getpeername/enable", "0", O_TRUNC));
	fd = open(TRACING "/trace", O_RDONLY);
	ASSERT_LE(0, fd);
	len = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	ASSERT_LT(0, len);
	buf[len] = '\0';
	write_file(TRACING "/trace", "", O_TRUNC);

	for (line = buf; *line; line = next) {
		next = strchr(line, '\n');
		next = next ? next + 1 : line + strlen(line);
		if (*line == '#' || *line == '\n')
			continue;
		ev = strstr(line, " getpeername: ");
		if (!ev) {
			other++;
			TH_LOG("not an event line: %.*s", (int)(next - line), line);
			continue;
		}
		ASSERT_GT(3, n) TH_LOG("trace:\n%s", buf);
		ASSERT_EQ(0, fields(ev + strlen(" getpeername: "), trace_keys, 0, NULL,
				    peer, sizeof(peer)))
			TH_LOG("%.*s", (int)(next - line), line);
		EXPECT_STREQ(want[n], peer);
		n++;
	}
	EXPECT_EQ(3, n) TH_LOG("trace:\n%s", buf);
	EXPECT_EQ(0, other);
}

TEST_HARNESS_MAIN
