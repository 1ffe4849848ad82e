#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make audit-throughput: how many events per second winsock-audit monitor
# sustains writing JSON Lines to a file.  Boots one kernel under qemu with
# -icount shift=0 (one guest nanosecond per executed instruction, so the
# figure does not depend on the host), runs scripts/qemu/audit-throughput-guest.sh
# there: a 1000-lookup burst that must arrive whole, then N lookups from
# winsock-flood read by "winsock-audit monitor --json --count N".  Prints
# the monitor's exit line ("N events, M lost, S s, R events/s").
#
#   audit-throughput.sh -r RELEASE -m MODULE -a WINSOCK_AUDIT -f WINSOCK_FLOOD [-n N]
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
release='' module='' audit='' flood='' n=${WINSOCK_AUDIT_EVENTS:-100000}
while getopts "r:m:a:f:n:" opt; do
	case $opt in
	r) release=$OPTARG ;;
	m) module=$OPTARG ;;
	a) audit=$OPTARG ;;
	f) flood=$OPTARG ;;
	n) n=$OPTARG ;;
	*) exit 2 ;;
	esac
done
if [ -z "$release" ] || [ -z "$module" ] || [ -z "$audit" ] || [ -z "$flood" ]; then
	echo "usage: audit-throughput.sh -r RELEASE -m MODULE -a WINSOCK_AUDIT -f WINSOCK_FLOOD [-n N]" >&2
	exit 2
fi
mkdir -p "$top/build/logs"
log=$top/build/logs/audit-throughput-$release.log

echo "audit-throughput: $release, qemu -icount shift=0, $n events" >&2
rc=0
rm -f "$log"
"$top/scripts/qemu/run.sh" -r "$release" -m "$module" -l "$log" -i -t 1800 \
	-f "$audit" -f "$flood" "$top/scripts/qemu/audit-throughput-guest.sh@throughput:$n" || rc=$?
[ -f "$log" ] || exit 1
tr -d '\r' <"$log" | awk '/^WSGUEST: run /{on=1; next} /^WSGUEST: exit /{on=0} on'
verdict=$(awk -v kernel="$release" -v qemu_rc="$rc" -f "$top/scripts/qemu/verdict.awk" "$log" |
	grep FAIL | grep -v 'no KTAP totals' || true)
if [ "$rc" != 0 ] || [ -n "$verdict" ] ||
   ! tr -d '\r' <"$log" | grep -q '^WSGUEST: exit throughput 0$'; then
	[ -z "$verdict" ] || echo "$verdict"
	echo "audit-throughput: failed (serial log: $log)" >&2
	exit 1
fi
echo "audit-throughput: serial log $log" >&2
