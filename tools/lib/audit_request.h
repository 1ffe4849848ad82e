/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What the audit-stream client's files share, not part of its interface
 * (audit_client.h): the attribute policy and the request that waits for
 * its answer (audit_client.c), used by the statistics (audit_stats.c).
 */
#ifndef _WINSOCK_AUDIT_REQUEST_H
#define _WINSOCK_AUDIT_REQUEST_H

#include <stdint.h>

#include <netlink/attr.h>

#include "audit_client.h"

/* What userspace accepts from the kernel: types and sizes checked. */
extern struct nla_policy auc_policy[WINSOCK_A_MAX + 1];

/*
 * Send @cmd (with @flags as WINSOCK_A_SUB_FLAGS if @with_flags) and wait
 * for the acknowledgement: 0 or -errno.  Messages answering it go to
 * @reply, if given; events that arrive meanwhile are held for the next
 * auc_receive().
 */
int auc_request(struct auc_conn *c, uint8_t cmd, int with_flags, uint32_t flags,
		int (*reply)(struct nlmsghdr *nlh, void *arg), void *arg);

#endif /* _WINSOCK_AUDIT_REQUEST_H */
