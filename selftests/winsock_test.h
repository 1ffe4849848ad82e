/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Transitional: fuzz_test.c, race_test.c and leak_test.c include this
 * until they include "kselftest_harness.h" and "helpers.h" themselves.
 * Their fixture setups still skip with plain SKIP(), so they keep 6.1's
 * harness-internal SKIPPED_IN_SETUP(); converted to SETUP_SKIP() they
 * use helpers.h's, and this file goes.
 */
#ifndef _WINSOCK_TEST_H
#define _WINSOCK_TEST_H

#include "kselftest_harness.h"
#include "helpers.h"

#undef SKIPPED_IN_SETUP
#define SKIPPED_IN_SETUP() do {			\
	if (_metadata->skip)			\
		return;				\
} while (0)

#endif /* _WINSOCK_TEST_H */
