#!/usr/bin/awk -f
# SPDX-License-Identifier: GPL-2.0
#
# Read the serial log of a test guest and print a verdict per program and
# a last line "WSTOTAL pass=N fail=N skip=N" for the whole boot.
#
#   awk -v kernel=RELEASE -v qemu_rc=RC -f scripts/qemu/verdict.awk LOG
#
# Counts come from each program's KTAP "# Totals:" line.  A program that
# exits non-zero without reporting a failure, one that prints no totals
# (it crashed), a guest that times out or never finishes, and any kernel
# report (BUG, WARNING, Oops, KFENCE, refcount_t, panic) each count as one
# failure, named so that the reader knows which kernel and which test.
# A failed subtest's "not ok" line is followed by the last six lines it
# logged (the harness's file:line assertions, its TH_LOG()s, a timeout),
# so that the verdict alone says why.
function fail(what) {
	printf "[%s] FAIL %s\n", kernel, what
	fails++
}
BEGIN { fails = 0; passes = 0; skips = 0; cur = ""; done = 0 }
{ sub(/\r$/, "") }
/^WSGUEST: insmod failed/ { fail("winsock.ko could not be loaded") }
/^WSGUEST: run / { cur = $3; totals = 0; pf = 0; nlog = 0; next }
/^#  RUN / { nlog = 0 }
/^# / && !/^# +(RUN|OK|FAIL|SKIP|PASSED|FAILED|Totals|Planned)/ && cur != "" {
	logged[nlog++ % 6] = $0
}
/^# Totals: / && cur != "" {
	split($0, f, /[: ]+/)
	for (i = 1; i in f; i++) {
		if (f[i] == "pass") p = f[i + 1]
		if (f[i] == "fail") fl = f[i + 1]
		if (f[i] == "skip") s = f[i + 1]
		if (f[i] == "error") e = f[i + 1]
	}
	passes += p; skips += s; fails += fl + e; pf = fl + e
	totals = 1
	printf "[%s] %-28s pass %3d  fail %d  skip %d\n", kernel, cur, p, fl + e, s
}
/^not ok / && cur != "" {
	printf "[%s]   %s: %s\n", kernel, cur, $0
	for (i = nlog > 6 ? nlog - 6 : 0; i < nlog; i++)
		printf "[%s]     %s\n", kernel, logged[i % 6]
	nlog = 0
}
/^WSGUEST: exit / {
	if (!totals)
		fail($3 ": no KTAP totals (exit status " $4 ", crashed or not a KTAP program)")
	else if ($4 != 0 && pf == 0)
		fail($3 ": exit status " $4 " without a reported failure")
	cur = ""
}
/^WSGUEST: done/ { done = 1 }
/BUG:|WARNING:|Oops|KFENCE:|refcount_t:|Kernel panic|general protection fault|UBSAN:/ {
	if (!(kernel_report++))
		fail("kernel log" (cur != "" ? " during " cur : "") ": " $0)
}
END {
	if (qemu_rc == 124 || qemu_rc == 137)
		fail("guest timed out" (cur != "" ? " in " cur : ""))
	else if (!done)
		fail("guest did not finish" (cur != "" ? " (last program: " cur ")" : "") ", qemu exit " qemu_rc)
	printf "WSTOTAL pass=%d fail=%d skip=%d\n", passes, fails, skips
}
