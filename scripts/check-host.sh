#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Host-side tests (no kernel module needed): the library's tests in 64-
# and 32-bit builds, the 64-bit tests again with AddressSanitizer,
# LeakSanitizer and UndefinedBehaviorSanitizer and under valgrind, the
# README's example (examples/peers.c) built, and the shared library's
# exported symbols.  Prints KTAP; scripts/check.sh reads
# the "# Totals:" lines.
set -uo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 1
# The flags and the library's sources are the Makefile's (make check-host
# exports them); USER_CFLAGS carries shell quotes, which xargs honours.
: "${USER_CFLAGS?run make check-host}" "${LIB_SRCS?}" "${KSFT_DIR?}"
mapfile -d '' -t user_cflags < <(xargs printf '%s\0' <<<"$USER_CFLAGS")
cflags=("${user_cflags[@]}" -isystem "$KSFT_DIR")
read -r -a srcs <<<"lib/tests/lib_test.c $LIB_SRCS"
out=$top/build/host-tests
mkdir -p "$out"
# A build that fails must not leave an older binary to be tested.
rm -f "$out"/lib_test_* "$out"/lsan_probe* "$out"/peers
status=0

# One result that is not a harness test (a build, a checker's verdict), as
# KTAP with its own totals: result skip|fail NAME REASON.
result() {
	echo "TAP version 13"
	echo "1..1"
	if [ "$1" = skip ]; then
		echo "ok 1 $2 # SKIP $3"
		echo "# Totals: pass:0 fail:0 xfail:0 xpass:0 skip:1 error:0"
	else
		echo "not ok 1 $2: $3"
		echo "# Totals: pass:0 fail:1 xfail:0 xpass:0 skip:0 error:0"
		status=1
	fi
}

for bits in 64 32; do
	if gcc -m$bits "${cflags[@]}" -o "$out/lib_test_$bits" "${srcs[@]}" -lpthread; then
		echo "# lib_test ($bits-bit)"
		rc=0
		"$out/lib_test_$bits" 2>/dev/null || rc=$?
		if [ $rc -eq 126 ]; then
			# Built (its static asserts hold), but this host kernel has
			# no 32-bit emulation; the guests run the 32-bit selftests.
			echo "ok 1 lib_test_$bits # SKIP host kernel cannot execute $bits-bit binaries"
			echo "# Totals: pass:0 fail:0 xfail:0 xpass:0 skip:1 error:0"
		elif [ $rc -ne 0 ]; then
			status=1
		fi
	else
		result fail "lib_test_$bits" "build failed"
	fi
done

# Run lib_test under a checker: checked_run NAME FINDINGS-FUNCTION CMD...
# The harness's KTAP goes to stdout; the checker's reports, with the tests'
# own stderr, to build/host-tests/NAME.log.  A failure in a test's child
# fails that test in the harness's totals, but errors in the harness
# process itself (a leak found at its exit) would fail none: so whatever
# the checker reports, any exit but the harness's own (0, or 1 when a test
# failed) and a run without the harness's totals is one more failure.
checked_run() {
	local name=$1 findings=$2 log=$out/$1.log rc=0 found t=$SECONDS
	shift 2
	echo "# $name"
	"$@" >"$out/$name.ktap" 2>"$log" || rc=$?
	cat "$out/$name.ktap"
	found=$("$findings" "$log")
	if [ -z "$found" ] && [ $rc -gt 1 ]; then
		found="exit status $rc"
	elif [ -z "$found" ] && ! grep -q '^# Totals:' "$out/$name.ktap"; then
		found="no totals from the harness (exit status $rc)"
	fi
	if [ -n "$found" ]; then
		sed 's/^/# /' "$log" | head -n 200
		result fail "$name" "$(head -n 1 <<<"$found") (log: build/host-tests/$name.log)"
	elif [ $rc -ne 0 ]; then
		status=1
	fi
	echo "# $name: $((SECONDS - t)) s"
}

# --- AddressSanitizer, LeakSanitizer, UndefinedBehaviorSanitizer ------------
# Every finding is fatal (-fno-sanitize-recover=all, abort_on_error).  -O1,
# not -O2, so that the optimiser keeps the accesses the checks are about.
# The harness ends each test's child with _exit(), which skips the leak
# check at exit: asan_exit.c, linked with --wrap=_exit, makes it there.
san_flags=("-fsanitize=address,undefined" -fno-omit-frame-pointer -fno-sanitize-recover=all -O1)
san_env=(ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:abort_on_error=1)

# shellcheck disable=SC2317 # called by checked_run
san_findings() {
	grep -E 'ERROR: [A-Za-z]+Sanitizer|runtime error:' "$1"
}

# LeakSanitizer stops the process with ptrace to scan its memory, which
# some sandboxes and debuggers prevent.  It must find a leak made on
# purpose here, or the leak check is reported skipped, not passed.  (Not
# abort_on_error: the probe's expected failure is an exit status, not a
# SIGABRT for bash to announce.)
lsan_probe() {
	printf '%s\n' '#include <stdlib.h>' 'void *volatile p;' \
		'int main(void) { p = malloc(16); p = 0; return 0; }' >"$out/lsan_probe.c"
	gcc "${san_flags[@]}" -o "$out/lsan_probe" "$out/lsan_probe.c" || return 1
	ASAN_OPTIONS=detect_leaks=1 "$out/lsan_probe" 2>"$out/lsan_probe.log"
	grep -q 'ERROR: LeakSanitizer: detected memory leaks' "$out/lsan_probe.log"
}

if ! gcc -m64 "${cflags[@]}" "${san_flags[@]}" -Wl,--wrap=_exit -o "$out/lib_test_asan" \
	"${srcs[@]}" lib/tests/asan_exit.c -lpthread; then
	result fail lib_test_asan "build failed"
else
	if ! lsan_probe; then
		why=$(grep -E 'LeakSanitizer (has encountered|does not work)' "$out/lsan_probe.log" |
			sed 's/^==[0-9]*==\(HINT: \)\?//' | paste -sd ' ')
		echo "# lsan probe"
		result skip "leak detection" "LeakSanitizer cannot run here: ${why:-it did not report a known leak}"
		san_env[0]=ASAN_OPTIONS=detect_leaks=0:abort_on_error=1
	fi
	checked_run lib_test_asan san_findings env "${san_env[@]}" "$out/lib_test_asan"
fi

# --- valgrind ---------------------------------------------------------------
# The normal 64-bit build under memcheck.  valgrind follows fork() by
# itself (--trace-children is for exec): each test's child is checked and
# gets exit status 99 for an error, including a definite or indirect leak,
# which fails that test.  valgrind 3.19 only lists the descriptors left
# open at exit (--track-fds); one that was not inherited is a leak here.
# shellcheck disable=SC2317 # called by checked_run
vg_findings() {
	grep -E 'ERROR SUMMARY: [1-9]' "$1"
	awk '/^==[0-9]+== Open .*(descriptor|socket) [0-9]+/ { open[$1] = $0; next }
		$1 in open {
			if ($0 !~ /<inherited from parent>/)
				print "descriptor left open:" substr(open[$1], index(open[$1], " "))
			delete open[$1]
		}' "$1"
}

if ! command -v valgrind >/dev/null; then
	echo "# lib_test_valgrind"
	result skip lib_test_valgrind "valgrind is not installed"
elif [ ! -x "$out/lib_test_64" ]; then
	result fail lib_test_valgrind "lib_test_64 was not built"
else
	checked_run lib_test_valgrind vg_findings valgrind --error-exitcode=99 --leak-check=full \
		--errors-for-leak-kinds=definite,indirect --track-fds=yes --trace-children=yes \
		"$out/lib_test_64"
fi

# The README's example program, examples/peers.c, must stay a program
# that builds: compiled against the library, warnings as errors.
echo "# README example"
echo "TAP version 13"
echo "1..1"
if gcc "${user_cflags[@]}" -o "$out/peers" examples/peers.c build/host/libwinsock.a -lpthread; then
	echo "ok 1 README example builds"
	echo "# Totals: pass:1 fail:0 xfail:0 xpass:0 skip:0 error:0"
else
	echo "not ok 1 README example builds"
	echo "# Totals: pass:0 fail:1 xfail:0 xpass:0 skip:0 error:0"
	status=1
fi

# The shared library exports the Windows API and nothing else: above all,
# no getpeername that would interpose on libc's.
echo "# libwinsock.so exports"
echo "TAP version 13"
echo "1..1"
want="WSACleanup WSAGetLastError WSASetLastError WSAStartup ws_blocking_enter ws_blocking_leave ws_getpeername ws_getpeername_batch ws_version"
got=$(nm -D --defined-only build/host/libwinsock.so.1 | awk '$2 == "T" { print $3 }' | sed 's/@.*//' | sort | xargs)
if [ "$got" = "$want" ]; then
	echo "ok 1 exported symbols"
	echo "# Totals: pass:1 fail:0 xfail:0 xpass:0 skip:0 error:0"
else
	echo "# expected: $want"
	echo "# got:      $got"
	echo "not ok 1 exported symbols"
	echo "# Totals: pass:0 fail:1 xfail:0 xpass:0 skip:0 error:0"
	status=1
fi
exit $status
