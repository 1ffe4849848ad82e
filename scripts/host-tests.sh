#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Host-side tests (no kernel module needed): the library's tests in 64-
# and 32-bit builds, and the shared library's exported symbols.  Prints
# KTAP; scripts/check.sh reads the "# Totals:" lines.
set -uo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 1
ksft=$top/cache/linux-tools/tools/testing/selftests
out=$top/build/host-tests
mkdir -p "$out"
cflags=(-O2 -g -Wall -Wextra -Werror -std=gnu11 -D_GNU_SOURCE -Iuapi -Ilib/include -Ilib -isystem "$ksft"
	"-DWINSOCK_VERSION_STRING=\"$(cat VERSION)\"")
srcs=(lib/tests/lib_test.c lib/error.c lib/startup.c lib/getpeername.c lib/version.c)
status=0

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
		echo "# Totals: pass:0 fail:1 xfail:0 xpass:0 skip:0 error:0"
		status=1
	fi
done

# The shared library exports the Windows API and nothing else: above all,
# no getpeername that would interpose on libc's.
echo "# libwinsock.so exports"
echo "TAP version 13"
echo "1..1"
want="WSACleanup WSAGetLastError WSASetLastError WSAStartup ws_getpeername ws_version"
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
