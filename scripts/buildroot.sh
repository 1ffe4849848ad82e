#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Run a command where a kernel's headers can be used.  Most kernels' headers
# are the host's (/lib/modules/RELEASE/build): the command simply runs.  A
# kernel whose headers need a newer toolchain than the host's (Debian 13's
# 7.x needs gcc-14 and glibc 2.38) has them in a build root that
# scripts/setup.sh made (KERNEL_ROOTS: RELEASE=ROOT words, which the
# Makefile exports from cache/kernels.mk); there the command runs
# chrooted, in private mount and PID namespaces holding /proc (objtool
# reads it), a private /tmp, and the tree and every -b DIR bound at their
# own paths, so that M=, logs and outputs are the same as on the host.
# The mounts vanish with the namespaces; nothing stays mounted.  Without
# root a user namespace does the same, so the files made are the caller's.
#
#   buildroot.sh RELEASE [-b DIR]... CMD [ARG]...
#   buildroot.sh -R ROOT [-b DIR]... CMD [ARG]...    (scripts/setup.sh)
#   buildroot.sh -q RELEASE       prints the release's build root, or nothing
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
root='' query='' release=''
binds=("$top")
case ${1:-} in
-*) ;;
?*) release=$1; shift ;;
esac
while getopts "R:b:q" opt; do
	case $opt in
	R) root=$OPTARG ;;
	b) binds+=("$(cd "$OPTARG" && pwd)") ;;
	q) query=1 ;;
	*) exit 2 ;;
	esac
done
shift $((OPTIND - 1))
[ -n "$release" ] || [ -n "$root" ] || [ -z "$query" ] || { release=${1:-}; shift || :; }
if [ -z "$root" ]; then
	if [ -z "$release" ]; then
		echo "usage: buildroot.sh RELEASE|-R ROOT [-b DIR]... CMD..." >&2
		exit 2
	fi
	: "${KERNEL_ROOTS?buildroot.sh: run through make, which exports KERNEL_ROOTS}"
	for kr in $KERNEL_ROOTS; do
		[ "${kr%%=*}" != "$release" ] || root=${kr#*=}
	done
fi
if [ -n "$query" ]; then
	echo "$root"
	exit 0
fi
[ $# -gt 0 ] || { echo "buildroot.sh: no command" >&2; exit 2; }
if [ -z "$root" ]; then
	exec "$@"
fi
if [ ! -x "$root/bin/sh" ]; then
	echo "buildroot.sh: no build root at $root (run scripts/setup.sh)" >&2
	exit 2
fi

ns=(unshare --mount --pid --fork)
[ "$(id -u)" -eq 0 ] || ns=(unshare --user --map-root-user --mount --pid --fork)

# Inside: mount, then chroot and return to the caller's directory when the
# root has it (every bound directory does).
# shellcheck disable=SC2016
exec "${ns[@]}" /bin/sh -eu -c '
	root=$1 dir=$2 n=$3
	shift 3
	mount -t proc proc "$root/proc"
	# A /tmp of its own: mount points made under it vanish with it.
	mount -t tmpfs -o mode=1777 tmpfs "$root/tmp"
	while [ "$n" -gt 0 ]; do
		[ -d "$root$1" ] || mkdir -p "$root$1"
		mount --rbind "$1" "$root$1"
		shift
		n=$((n - 1))
	done
	exec chroot "$root" /bin/sh -c "cd \"\$0\" 2>/dev/null || cd /; exec \"\$@\"" "$dir" "$@"
' buildroot "$root" "$PWD" "${#binds[@]}" "${binds[@]}" "$@"
