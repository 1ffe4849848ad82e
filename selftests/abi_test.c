// SPDX-License-Identifier: GPL-2.0
/*
 * The ioctl ABI itself: every number's direction and size bits say what
 * the kernel really reads and writes (strace, seccomp filters and LSM
 * ioctl rules trust them), a program built against ABI 1 gets ENOTTY, and
 * the module says which ABI it speaks (modinfo "abi"), who wrote it and
 * which genetlink family loads it.
 */
#include <sys/mman.h>

#include "kselftest_harness.h"
#include "helpers.h"
#include <winsock/winsock2.h>

/* The numbers of ABI 1: magic 0xB7 (nsfs' NSIO), CLEANUP declared _IOR. */
#define ABI1_STARTUP		_IOWR(0xB7, 0x01, struct winsock_startup)
#define ABI1_CLEANUP		_IOR(0xB7, 0x02, struct winsock_cleanup)
#define ABI1_GETPEERNAME	_IOW(0xB7, 0x03, struct winsock_getpeername)
#define ABI1_BATCH		_IOW(0xB7, 0x04, struct winsock_getpeername_batch)

static char wsadata[512];

/* A valid request for @cmd in @buf; its answer must not be EFAULT. */
static size_t fill_request(unsigned long cmd, void *buf)
{
	if (cmd == WINSOCK_IOC_STARTUP || cmd == ABI1_STARTUP) {
		struct winsock_startup r = {
			.wsadata = (uintptr_t)wsadata, .version_requested = 0x0202,
		};

		memcpy(buf, &r, sizeof(r));
		return sizeof(r);
	}
	if (cmd == WINSOCK_IOC_CLEANUP || cmd == ABI1_CLEANUP) {
		memset(buf, 0, sizeof(struct winsock_cleanup));
		return sizeof(struct winsock_cleanup);
	}
	if (cmd == WINSOCK_IOC_GETPEERNAME || cmd == ABI1_GETPEERNAME) {
		struct winsock_getpeername r = { .socket = ~0ULL };

		memcpy(buf, &r, sizeof(r));
		return sizeof(r);
	}
	if (cmd == WINSOCK_IOC_BLOCKING) {
		struct winsock_blocking r = { .op = WINSOCK_BLOCKING_LEAVE };

		memcpy(buf, &r, sizeof(r));
		return sizeof(r);
	}
	memset(buf, 0, sizeof(struct winsock_getpeername_batch));	/* count 0 */
	return sizeof(struct winsock_getpeername_batch);
}

static const struct {
	const char *name;
	unsigned long cmd;
	size_t size;
} cmds[] = {
	{ "STARTUP", WINSOCK_IOC_STARTUP, sizeof(struct winsock_startup) },
	{ "CLEANUP", WINSOCK_IOC_CLEANUP, sizeof(struct winsock_cleanup) },
	{ "GETPEERNAME", WINSOCK_IOC_GETPEERNAME, sizeof(struct winsock_getpeername) },
	{ "GETPEERNAME_BATCH", WINSOCK_IOC_GETPEERNAME_BATCH,
	  sizeof(struct winsock_getpeername_batch) },
	{ "BLOCKING", WINSOCK_IOC_BLOCKING, sizeof(struct winsock_blocking) },
};

/*
 * For each command, with a valid request: on a page the caller cannot
 * read, the kernel must fail with EFAULT exactly when the number says it
 * reads the request (_IOC_WRITE); on a read-only page, exactly when it says
 * it writes an answer into it (_IOC_READ); at the very end of a page
 * followed by an unmapped one, never (it reads no more than _IOC_SIZE).
 */
TEST(directions_and_sizes)
{
	long pg = sysconf(_SC_PAGESIZE);
	unsigned char *p;
	size_t i, len;
	int dev, rc;

	dev = ws_open_started(MAKEWORD(2, 2));
	if (dev < 0)
		SKIP(return, "module not loaded");
	p = mmap(NULL, 2 * pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, p);
	ASSERT_EQ(0, munmap(p + pg, pg));
	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		unsigned long cmd = cmds[i].cmd;
		bool reads = _IOC_DIR(cmd) & _IOC_WRITE, writes = _IOC_DIR(cmd) & _IOC_READ;

		TH_LOG("%s: dir %u size %u", cmds[i].name, _IOC_DIR(cmd), _IOC_SIZE(cmd));
		EXPECT_EQ(WINSOCK_IOC_MAGIC, _IOC_TYPE(cmd));
		EXPECT_EQ(cmds[i].size, _IOC_SIZE(cmd));
		/* Every request is read. */
		EXPECT_TRUE(reads);

		ASSERT_EQ(0, mprotect(p, pg, PROT_READ | PROT_WRITE));
		len = fill_request(cmd, p);
		ASSERT_EQ(0, mprotect(p, pg, PROT_NONE));
		rc = ws_raw_ioctl(dev, cmd, p);
		EXPECT_EQ(reads, rc == -EFAULT);

		ASSERT_EQ(0, mprotect(p, pg, PROT_READ));
		rc = ws_raw_ioctl(dev, cmd, p);
		EXPECT_EQ(writes, rc == -EFAULT);

		ASSERT_EQ(0, mprotect(p, pg, PROT_READ | PROT_WRITE));
		fill_request(cmd, p + pg - len);
		rc = ws_raw_ioctl(dev, cmd, p + pg - len);
		EXPECT_NE(-EFAULT, rc);
		EXPECT_NE(-ENOTTY, rc);
		/* Keep the handle started for the next command. */
		if (cmd == WINSOCK_IOC_CLEANUP && rc == 0)
			ASSERT_EQ(0, ws_raw_startup(dev, 0x0202, wsadata, NULL));
	}
	munmap(p, pg);
	close(dev);
}

/* A program built against ABI 1 is told clearly: ENOTTY, nothing done. */
TEST(abi_1_numbers_get_enotty)
{
	static const unsigned long old[] = {
		ABI1_STARTUP, ABI1_CLEANUP, ABI1_GETPEERNAME, ABI1_BATCH,
	};
	unsigned char req[64];
	unsigned int n;
	size_t i;
	int dev;

	dev = open(WINSOCK_DEVICE_PATH, O_RDWR | O_CLOEXEC);
	if (dev < 0)
		SKIP(return, "module not loaded");
	for (i = 0; i < sizeof(old) / sizeof(old[0]); i++) {
		fill_request(old[i], req);
		EXPECT_EQ(-ENOTTY, ws_raw_ioctl(dev, old[i], req));
	}
	/* The old STARTUP did not start the handle up. */
	EXPECT_EQ(WINSOCK_WSANOTINITIALISED, ws_raw_cleanup(dev, &n));
	close(dev);
}

/* The .modinfo strings of $WINSOCK_KO (the module the guest loaded). */
static char *modinfo(size_t *len)
{
	const char *ko = getenv("WINSOCK_KO");
	FILE *f = ko ? fopen(ko, "rb") : NULL;
	char *buf;

	if (!f)
		return NULL;
	buf = malloc(8 << 20);
	*len = buf ? fread(buf, 1, 8 << 20, f) : 0;
	fclose(f);
	return buf;
}

static bool has_string(const char *buf, size_t len, const char *s)
{
	size_t n = strlen(s) + 1;	/* with its NUL: a whole .modinfo entry */

	for (size_t i = 0; i + n <= len; i++)
		if (!memcmp(buf + i, s, n) && (i == 0 || !buf[i - 1]))
			return true;
	return false;
}

TEST(modinfo_says_abi_author_alias)
{
	char abi[32];
	size_t len;
	char *buf = modinfo(&len);

	if (!buf)
		SKIP(return, "$WINSOCK_KO not readable");
	snprintf(abi, sizeof(abi), "abi=%d", WINSOCK_ABI_VERSION);
	EXPECT_TRUE(has_string(buf, len, abi));
	/* Resolving the genetlink family "winsock" can load the module. */
	EXPECT_TRUE(has_string(buf, len, "alias=net-pf-16-proto-16-family-winsock"));
	EXPECT_TRUE(memmem(buf, len, "\0author=", 8) != NULL);
	free(buf);
}

/* The library says which ABI it speaks, after its release. */
TEST(ws_version_says_abi)
{
	char want[64];

	snprintf(want, sizeof(want), "%s (ABI %d)", WINSOCK_VERSION_STRING, WINSOCK_ABI_VERSION);
	EXPECT_STREQ(want, ws_version());
}

TEST_HARNESS_MAIN
