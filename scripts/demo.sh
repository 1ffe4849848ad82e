#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make demo: boot a kernel under qemu, load winsock.ko and run the demo
# program while winsock-audit monitor prints the kernel's events for its
# lookups (scripts/qemu/demo-guest.sh); print what they show and whether the
# kernel log stayed clean.
#
#   demo.sh RELEASE MODULE DEMO AUDIT
set -uo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
release=$1 module=$2 demo=$3 audit=$4
mkdir -p "$top/build/logs"
log=$top/build/logs/demo-$release.log

echo "Booting Debian's $release under qemu (TCG, no network device)..."
rc=0
"$top/scripts/qemu/run.sh" -r "$release" -m "$module" -l "$log" -t 300 \
	-f "$demo" -f "$audit" "$top/scripts/qemu/demo-guest.sh@demo" || rc=$?
sed -n 's/^WSGUEST: insmod ok/winsock.ko loaded: \/dev\/winsock is there./p' "$log"
echo
awk '/^WSGUEST: run /{on=1; next} /^WSGUEST: exit /{on=0} on' "$log" | tr -d '\r'
echo
verdict=$(awk -v kernel="$release" -v qemu_rc="$rc" -f "$top/scripts/qemu/verdict.awk" "$log" |
	grep 'FAIL' | grep -v 'no KTAP totals')
if [ -n "$verdict" ]; then
	echo "$verdict"
	echo "(serial log: $log)"
	exit 1
fi
echo "Kernel log clean (no BUG, WARNING, Oops or KFENCE report). Serial log: $log"
