#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make fuzz: a long fuzzing campaign, not part of make check.  Boots every
# given kernel with its module and runs the ioctl fuzzer
# (selftests/fuzz/) in it, reads the serial log as check-kernel.sh
# does (qemu/verdict.awk: KTAP results, kernel BUG/WARNING/Oops/KFENCE
# reports, hangs), and prints per kernel and program the ioctls made, the
# seconds, the rate, the seed and the verdict.
#
#   fuzz.sh FUZZ_BINARY[,FUZZ_BINARY...] RELEASE:MODULE...
#
# FUZZ_BINARY is PATH[@NAME], as for qemu/run.sh (a 32-bit build needs its
# own NAME).  Several binaries share each kernel's time.
#
#   WINSOCK_FUZZ_SECONDS     campaign length per kernel (default 300)
#   WINSOCK_FUZZ_ITERATIONS  also stop each program after N ioctls (0: no)
#   WINSOCK_FUZZ_SEED        the seed of every run (default: each run picks
#                            one and prints it; rerun with it to reproduce)
#
# Logs go to build/logs/fuzz-RELEASE.log.  Exits non-zero if any kernel
# fails.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
if [ $# -lt 2 ]; then
	echo "usage: fuzz.sh FUZZ_BINARY[,FUZZ_BINARY...] RELEASE:MODULE..." >&2
	exit 2
fi
IFS=, read -ra progs <<<"$1"
shift

seconds=${WINSOCK_FUZZ_SECONDS:-300}
iterations=${WINSOCK_FUZZ_ITERATIONS:-0}
seed=${WINSOCK_FUZZ_SEED:-}
if [ "$seconds" -eq 0 ] && [ "$iterations" -eq 0 ]; then
	echo "fuzz.sh: WINSOCK_FUZZ_SECONDS and WINSOCK_FUZZ_ITERATIONS are both 0" >&2
	exit 2
fi
each=$((seconds / ${#progs[@]}))
if [ "$seconds" -gt 0 ] && [ "$each" -eq 0 ]; then
	each=1
fi
args="--seconds $each --iterations $iterations${seed:+ --seed $seed}"

# The guest's hard limit: every program's time plus boot, set-up and
# teardown; an iteration bound alone gets an hour.
if [ "$seconds" -gt 0 ]; then
	timeout=$((seconds + 90 * ${#progs[@]} + 60))
else
	timeout=${WINSOCK_GUEST_TIMEOUT:-3600}
fi

logdir=$top/build/logs
mkdir -p "$logdir"
specs=()
for p in "${progs[@]}"; do
	specs+=("$p:$args")
done

# Per program: "# fuzz: N ioctls in S s (R/s), seed=X" and its KTAP result.
summarise() {
	awk -v kernel="$1" '
	{ sub(/\r$/, "") }
	/^WSGUEST: run / { prog = $3; order[++n] = prog; res[prog] = "no result" }
	/^# fuzz: [0-9]+ ioctls in / && prog != "" {
		line = $0
		sub(/^# fuzz: /, "", line)
		stats[prog] = line
	}
	/^ok 1 / && prog != "" { res[prog] = "ok" }
	/^not ok 1 / && prog != "" { res[prog] = "not ok" }
	/^WSGUEST: exit / { prog = "" }
	END {
		for (i = 1; i <= n; i++)
			printf "[%s] %s: %s, %s\n", kernel, order[i],
			       order[i] in stats ? stats[order[i]] : "no figures (crashed?)",
			       res[order[i]]
	}' "$2"
}

failed=0
report=()
for spec in "$@"; do
	release=${spec%%:*}
	module=${spec#*:}
	log=$logdir/fuzz-$release.log
	echo "[$release] fuzzing: ${progs[*]} ($args), up to ${timeout}s"
	rc=0
	"$top/scripts/qemu/run.sh" -r "$release" -m "$module" -l "$log" -t "$timeout" \
		"${specs[@]}" || rc=$?
	verdict=$(awk -v kernel="$release" -v qemu_rc="$rc" \
		-f "$top/scripts/qemu/verdict.awk" "$log")
	echo "$verdict"
	# A kernel passes when it ran something and nothing failed.
	if echo "$verdict" | grep -q '^WSTOTAL pass=[1-9][0-9]* fail=0 '; then
		result=PASS
	else
		result=FAIL
		failed=1
	fi
	grep '^# fuzz: FAIL' "$log" | head -n 5 || true
	while IFS= read -r line; do
		report+=("$line")
	done < <(summarise "$release" "$log")
	report+=("[$release] verdict: $result (serial log: $log)")
done

echo
echo "fuzz campaign:"
printf '%s\n' "${report[@]}"
exit $failed
