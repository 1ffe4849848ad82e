#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make bench: boot every configured kernel (6.1, 6.12, 7.3) under qemu
# with -icount shift=0 (the guest clock counts executed instructions:
# figures are deterministic and do not depend on the host) and run
# winsock-bench twice, with the module as shipped and with the module built
# without the audit stream (WINSOCK_AUDIT=n).  Writes
# bench/results-<release>.json and prints the tables the README shows,
# io_uring's peer (uring-N) included where the kernel has it.
#
#   bench.sh BENCH RELEASE:MODULE:NOAUDIT_MODULE...
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
bench=$1
shift
mkdir -p "$top/build/logs"
args="--iterations ${WINSOCK_BENCH_ITERATIONS:-4096} --runs ${WINSOCK_BENCH_RUNS:-7}"

# Run the benchmark in one boot; print its JSON.
run() {
	local release=$1 module=$2 log=$3 extra=$4
	if ! "$top/scripts/qemu/run.sh" -r "$release" -m "$module" -l "$log" -i -t 1200 \
		"$bench:$args --json - $extra" >&2; then
		echo "bench: the guest failed (log: $log)" >&2
		return 1
	fi
	tr -d '\r' <"$log" | sed -n '/^WSBENCH-JSON-BEGIN$/,/^WSBENCH-JSON-END$/p' | sed '1d;$d' >"$log.out"
	if [ ! -s "$log.out" ]; then
		echo "bench: no results in $log" >&2
		return 1
	fi
	cat "$log.out"
}

results=()
for spec in "$@"; do
	IFS=: read -r release module noaudit <<<"$spec"
	echo "bench: $release (qemu -icount shift=0)" >&2
	log=$top/build/logs/bench-$release.log
	run "$release" "$module" "$log" "" >"$log.audit.json"
	run "$release" "$noaudit" "$log.noaudit" "--only native,ws,ioctl,batch-64" >"$log.noaudit.json"
	python3 "$top/bench/report.py" merge "$log.audit.json" "$log.noaudit.json" \
		>"$top/bench/results-$release.json"
	echo "bench: wrote bench/results-$release.json" >&2
	results+=("$top/bench/results-$release.json")
done
# The kernels just measured: bench/ may also hold results of releases no
# longer configured.
python3 "$top/bench/report.py" table "${results[@]}"
