#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make check: lint, host-side tests, the install test (make install into a
# DESTDIR, pkg-config, DKMS builds), then for every configured kernel:
# build the module, boot it under qemu and run every selftest.  Ends with
# one line "N passed, N failed, N skipped" totalled over everything and
# exits non-zero on any failure.  Every failure is repeated, with why,
# just above that line: CI's output is read from its end.
set -uo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 1
# The Makefile says which kernels (it exports KERNELS): run through it.
[ -n "${KERNELS+set}" ] || exec make --no-print-directory check-run
pass=0 fail=0 skip=0

add() { pass=$((pass + $1)); fail=$((fail + $2)); skip=$((skip + $3)); }

# What failed, for the recap at the end.
failures=build/logs/failures.txt
recap() { cat >>"$failures"; }

# A step that is one test: it passes or fails as a whole.
step() {
	local name=$1
	shift
	if "$@" >"build/logs/$name.log" 2>&1; then
		printf 'ok     %s\n' "$name"
		add 1 0 0
	else
		printf 'FAIL   %s (log: build/logs/%s.log)\n' "$name" "$name" | tee -a "$failures"
		tail -n 20 "build/logs/$name.log" | sed 's/^/       /'
		add 0 1 0
	fi
}

# Read "# Totals:" KTAP lines (host tests) or the WSTOTAL line (guests).
count_ktap() {
	local p f s
	read -r p f s < <(awk '
		/^# Totals: / { for (i = 1; i <= NF; i++) { split($i, kv, ":"); t[kv[1]] += kv[2] } n++ }
		/^WSTOTAL / { for (i = 2; i <= NF; i++) { split($i, kv, "="); t[kv[1]] += kv[2] } n++ }
		END { if (!n) t["fail"] = 1; print t["pass"] + 0, t["fail"] + t["error"] + 0, t["skip"] + 0 }' "$1")
	add "$p" "$f" "$s"
}

# A make target that prints KTAP: its failures and skips, its totals.
ktap_step() {
	local name=$1 target=$2 log=build/logs/$1.log before=$fail
	if make --no-print-directory "$target" >"$log" 2>&1; then :; fi
	grep -E '^(not ok|ok .* # SKIP)' "$log" || true
	count_ktap "$log"
	[ "$fail" -eq "$before" ] || { grep -E '^not ok' "$log" ||
		echo "no KTAP totals (log: $log)"; } | sed "s/^/$name: /" | recap
	grep '^# Totals' "$log" | sed "s/^/$name: /"
}

mkdir -p build/logs
: >"$failures"
echo "== lint"
step lint make --no-print-directory lint-run

echo "== host tests"
ktap_step host check-host

echo "== install"
ktap_step install check-install

echo "== selftests build"
step selftests-build make --no-print-directory selftests

for k in $KERNELS; do
	echo "== kernel $k"
	if ! make --no-print-directory "$top/build/$k/winsock.ko" >"build/logs/build-$k.log" 2>&1; then
		printf 'FAIL   module build for %s (log: build/logs/build-%s.log)\n' "$k" "$k" |
			tee -a "$failures"
		tail -n 20 "build/logs/build-$k.log" | sed 's/^/       /'
		add 0 1 0
		continue
	fi
	make --no-print-directory check-kernel RELEASE="$k" | tee "build/logs/verdict-$k.log"
	count_ktap "build/logs/verdict-$k.log"
	# verdict.awk's failure lines: "[k] FAIL ..." and "[k]   prog: not ok"
	# with what the subtest logged under it.
	grep -E '^\[[^]]*\] (FAIL |  )' "build/logs/verdict-$k.log" | recap
done

if [ -s "$failures" ]; then
	echo
	echo "== failures"
	cat "$failures"
fi
echo
echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ]
