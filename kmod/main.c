// SPDX-License-Identifier: GPL-2.0
/*
 * winsock: Windows Sockets getpeername semantics on Linux sockets.
 *
 * The module registers the misc device /dev/winsock.  Each open file is a
 * Winsock "handle" (struct ws_handle) on which a process negotiates a
 * version with WINSOCK_IOC_STARTUP and then looks up the peers of its own
 * socket descriptors with WINSOCK_IOC_GETPEERNAME.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/capability.h>
#include <linux/compat.h>
#include <linux/cred.h>
#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/stringify.h>
#include <net/genetlink.h>

#include "internal.h"

/*
 * WSAENETDOWN: the administrator takes the provider down by writing 1 here
 * (root only).  Lookups then fail as they do on Windows when the network
 * subsystem has failed; startup and cleanup keep working.
 */
bool ws_provider_down;
module_param_named(provider_down, ws_provider_down, bool, 0644);
MODULE_PARM_DESC(provider_down,
		 "Report WSAENETDOWN for every lookup (provider taken down)");

/*
 * Restrict the device to one group: with group=GID (a gid of the initial
 * user namespace) only its members, and CAP_SYS_ADMIN, may open it.  The
 * LSM hook for getpeername is not exported to modules, so SELinux or
 * AppArmor rules on getpeername(2) do not reach this path; this is the
 * module's own gate, and it holds whatever mode /dev/winsock is given.
 * -1 (the default): everyone, as the device is meant for unprivileged
 * programs.
 */
static int ws_group = -1;
module_param_named(group, ws_group, int, 0644);
MODULE_PARM_DESC(group, "Only this group (gid) may open /dev/winsock; -1: everyone");

static bool ws_may_open(void)
{
	int gid = READ_ONCE(ws_group);

	if (gid < 0)
		return true;
	/*
	 * noaudit: a refused open is the parameter working as configured,
	 * not a policy violation; capable() would make the LSM log a
	 * denial for every attempt of every non-member.
	 */
	return in_egroup_p(make_kgid(&init_user_ns, gid)) ||
	       ns_capable_noaudit(&init_user_ns, CAP_SYS_ADMIN);
}

static int ws_open(struct inode *inode, struct file *file)
{
	struct ws_handle *h;

	if (!ws_may_open())
		return -EPERM;
	h = kzalloc(sizeof(*h), GFP_KERNEL_ACCOUNT);
	if (!h)
		return -ENOMEM;
	mutex_init(&h->lock);
	spin_lock_init(&h->blocked_lock);
	INIT_LIST_HEAD(&h->blocked);
	ws_audit_open(h);
	file->private_data = h;
	return nonseekable_open(inode, file);
}

static int ws_release(struct inode *inode, struct file *file)
{
	struct ws_handle *h = file->private_data;

	ws_audit_release(h);
	ws_blocking_release(h);
	mutex_destroy(&h->lock);
	kfree(h);
	return 0;
}

static long ws_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	struct ws_handle *h = file->private_data;
	void __user *uarg = (void __user *)arg;

	switch (cmd) {
	case WINSOCK_IOC_GETPEERNAME:
		return ws_ioctl_getpeername(h, uarg);
	case WINSOCK_IOC_GETPEERNAME_BATCH:
		return ws_ioctl_getpeername_batch(h, uarg);
	case WINSOCK_IOC_STARTUP:
		return ws_ioctl_startup(h, uarg);
	case WINSOCK_IOC_CLEANUP:
		return ws_ioctl_cleanup(h, uarg);
	case WINSOCK_IOC_BLOCKING:
		return ws_ioctl_blocking(h, uarg);
	default:
		/* ABI 1's numbers (magic 0xB7) among them. */
		return -ENOTTY;
	}
}

static const struct file_operations ws_fops = {
	.owner		= THIS_MODULE,
	.open		= ws_open,
	.release	= ws_release,
	.unlocked_ioctl	= ws_ioctl,
	/* Every request carries user pointers as __u64: no translation. */
	.compat_ioctl	= compat_ptr_ioctl,
};

/*
 * Mode 0666: the device is meant for unprivileged programs.  A caller can
 * only ever reach its own descriptors, so opening it grants nothing.
 */
static struct miscdevice ws_misc = {
	.minor	= MISC_DYNAMIC_MINOR,
	.name	= WINSOCK_DEVICE_NAME,
	.fops	= &ws_fops,
	.mode	= 0666,
};

static int __init ws_init(void)
{
	int err;

	err = ws_learn_socket_fops();
	if (err) {
		pr_err("cannot make a socket file: %d\n", err);
		return err;
	}
	/* The audit stream exists before the first lookup can be made. */
	err = ws_audit_init();
	if (err) {
		pr_err("cannot register the %s netlink family: %d\n",
		       WINSOCK_GENL_NAME, err);
		return err;
	}
	err = misc_register(&ws_misc);
	if (err) {
		pr_err("cannot register /dev/%s: %d\n", WINSOCK_DEVICE_NAME, err);
		ws_audit_exit();
		return err;
	}
	return 0;
}

static void __exit ws_exit(void)
{
	misc_deregister(&ws_misc);
	ws_audit_exit();
}

module_init(ws_init);
module_exit(ws_exit);

MODULE_DESCRIPTION("Windows Sockets getpeername semantics on Linux sockets");
MODULE_AUTHOR("winsock maintainers");
MODULE_LICENSE("GPL");
MODULE_VERSION(WINSOCK_VERSION);
/* The ioctl and netlink ABI the module speaks: modinfo -F abi. */
MODULE_INFO(abi, __stringify(WINSOCK_ABI_VERSION));
/* Resolving the genetlink family "winsock" loads the module. */
MODULE_ALIAS_GENL_FAMILY(WINSOCK_GENL_NAME);
