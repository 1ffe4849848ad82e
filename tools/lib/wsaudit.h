/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The audit-stream client's old header name, kept only for
 * selftests/audit_test.c until it includes "audit_client.h" itself.
 */
#include "audit_client.h"
