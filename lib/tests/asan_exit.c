// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Linked only into the sanitizer build of lib_test, with -Wl,--wrap=_exit
 * (scripts/check-host.sh).  The kselftest harness runs each test in a
 * child that ends with _exit(), which skips the leak check LeakSanitizer
 * makes at exit: without this, a leak in a test or in the library calls
 * it makes would never be reported.  A leak aborts the child, which the
 * harness reports as a failed test.
 */
#include <stdlib.h>
#include <sanitizer/lsan_interface.h>

void __real__exit(int status) __attribute__((noreturn));
void __wrap__exit(int status) __attribute__((noreturn));

void __wrap__exit(int status)
{
	if (__lsan_do_recoverable_leak_check())
		abort();
	__real__exit(status);
}
