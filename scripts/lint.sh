#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make lint: checkpatch --strict on every kernel source and sparse (C=2,
# every file checked) on every configured kernel.  Any warning fails.
set -uo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 1
checkpatch=$(sed -n 's/^CHECKPATCH := //p' cache/kernels.mk)
kernels=$(sed -n 's/^KERNELS := //p' cache/kernels.mk)
status=0

echo "lint: checkpatch --strict"
# shellcheck disable=SC2046
if ! perl "$checkpatch" --strict --no-tree --terse --show-types --quiet \
	-f $(ls kmod/*.c kmod/*.h uapi/linux/winsock.h); then
	status=1
fi

for k in $kernels; do
	echo "lint: sparse on $k"
	dir=$top/build/lint/$k
	rm -rf "$dir" && mkdir -p "$dir"
	cp --parents Kbuild kmod/Kbuild kmod/*.c kmod/*.h uapi/linux/winsock.h "$dir/"
	out=$(make -s -C "/lib/modules/$k/build" M="$dir" C=2 CHECK="sparse -Wsparse-error" modules 2>&1 |
		grep -v '^Skipping BTF generation')
	if [ -n "$out" ]; then
		echo "$out"
		status=1
	fi
done
[ $status -eq 0 ] && echo "lint: clean"
exit $status
