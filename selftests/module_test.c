// SPDX-License-Identifier: GPL-2.0
/*
 * Life cycle of winsock.ko: the misc device, unload, reload, and unload
 * refused while the device is open.  Needs root and WINSOCK_KO (the path
 * of the module); the guest init provides both and loads the module first.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <grp.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "helpers.h"

static int module_unload(void)
{
	return syscall(SYS_delete_module, "winsock", O_NONBLOCK) ? -errno : 0;
}

FIXTURE(module) {
};

FIXTURE_SETUP(module)
{
	if (!getenv("WINSOCK_KO") || geteuid() != 0)
		SKIP(return, "needs root and WINSOCK_KO (run inside the guest)");
	ASSERT_TRUE(module_listed());
}

FIXTURE_TEARDOWN(module)
{
	/* Leave the module loaded for the programs that follow. */
	if (getenv("WINSOCK_KO") && !module_listed())
		module_load();
}

TEST_F(module, misc_device_node)
{
	unsigned int maj, min;
	struct stat st;
	FILE *f;

	ASSERT_EQ(0, stat(WINSOCK_DEVICE_PATH, &st));
	EXPECT_TRUE(S_ISCHR(st.st_mode));
	/* Documented mode: usable by every user. */
	EXPECT_EQ(0666, st.st_mode & 07777);
	EXPECT_EQ(10, major(st.st_rdev));	/* MISC_MAJOR */

	/* The minor is dynamic: the one the misc class reports. */
	f = fopen("/sys/class/misc/winsock/dev", "r");
	ASSERT_NE(NULL, f);
	ASSERT_EQ(2, fscanf(f, "%u:%u", &maj, &min));
	fclose(f);
	EXPECT_EQ(10, maj);
	EXPECT_EQ(minor(st.st_rdev), min);
}

TEST_F(module, unload_leaves_nothing_and_reload_works)
{
	struct stat st;
	int fd;

	ASSERT_EQ(0, module_unload());
	EXPECT_FALSE(module_listed());
	EXPECT_EQ(-1, stat(WINSOCK_DEVICE_PATH, &st));
	EXPECT_EQ(-1, stat("/sys/module/winsock", &st));
	EXPECT_EQ(-1, stat("/sys/class/misc/winsock", &st));

	ASSERT_EQ(0, module_load());
	EXPECT_TRUE(module_listed());
	fd = open(WINSOCK_DEVICE_PATH, O_RDWR);
	ASSERT_LE(0, fd);
	close(fd);
}

TEST_F(module, second_load_is_refused)
{
	EXPECT_EQ(-EEXIST, module_load());
	EXPECT_TRUE(module_listed());
}

TEST_F(module, unload_refused_while_open)
{
	int fd = open(WINSOCK_DEVICE_PATH, O_RDWR | O_CLOEXEC);

	ASSERT_LE(0, fd);
	/* delete_module(O_NONBLOCK) refuses a module in use. */
	EXPECT_EQ(-EWOULDBLOCK, module_unload());
	EXPECT_TRUE(module_listed());
	/* The open handle still works after the refused unload. */
	EXPECT_EQ(WINSOCK_WSANOTINITIALISED, ws_raw_getpeername(fd, 0, NULL, NULL, 0));
	close(fd);

	EXPECT_EQ(0, module_unload());
	EXPECT_FALSE(module_listed());
	EXPECT_EQ(0, module_load());
}

/* Open /dev/winsock as uid/gid 65534 with @groups: 0 or -errno. */
static int open_as_nobody(const gid_t *groups, int ngroups)
{
	int status, fd;
	pid_t pid = fork();

	if (pid < 0)
		return -errno;
	if (pid == 0) {
		if (setgroups(ngroups, groups) || setresgid(65534, 65534, 65534) ||
		    setresuid(65534, 65534, 65534))
			_exit(100);
		fd = open(WINSOCK_DEVICE_PATH, O_RDWR);
		_exit(fd < 0 ? errno : 0);
	}
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return -ECHILD;
	return -WEXITSTATUS(status);
}

/* group=GID: only that group's members (and CAP_SYS_ADMIN) may open. */
TEST_F(module, group_parameter_restricts_open)
{
	gid_t member = 4242, other = 4343;
	int fd;

	EXPECT_EQ(0, open_as_nobody(NULL, 0));
	ASSERT_EQ(0, param_set("group", 4242));
	EXPECT_EQ(-EPERM, open_as_nobody(NULL, 0));
	EXPECT_EQ(-EPERM, open_as_nobody(&other, 1));
	EXPECT_EQ(0, open_as_nobody(&member, 1));
	/* Root keeps access through CAP_SYS_ADMIN. */
	fd = open(WINSOCK_DEVICE_PATH, O_RDWR);
	EXPECT_LE(0, fd);
	close(fd);
	ASSERT_EQ(0, param_set("group", -1));
	EXPECT_EQ(0, open_as_nobody(NULL, 0));
}

TEST_HARNESS_MAIN
