#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Boot one kernel with the module and the selftests, print the verdict per
# program, and end with "WSTOTAL pass=N fail=N skip=N".
#
#   check-kernel.sh RELEASE MODULE PROG...
set -uo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
release=$1 module=$2
shift 2
logdir=$top/build/logs
mkdir -p "$logdir"
log=$logdir/$release.log

rc=0
"$top/scripts/qemu/run.sh" -r "$release" -m "$module" -l "$log" -t "${WINSOCK_GUEST_TIMEOUT:-400}" "$@" || rc=$?
awk -v kernel="$release" -v qemu_rc="$rc" -f "$top/scripts/qemu/verdict.awk" "$log"
echo "[$release] serial log: $log"
