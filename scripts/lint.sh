#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make lint.  The kernel sources: checkpatch --strict, then on every
# configured kernel sparse (C=2, every file checked) and a W=1 build (7.x
# in its build root, with gcc-14; sparse is skipped, saying why, where the
# kernel's headers need a sparse Debian does not have).  The
# userspace C: cppcheck and clang-tidy (.clang-tidy); selftests/ compiled
# against the current upstream kselftest harness.  Any warning fails.
# Each step ends with its time, so a slow one shows in the log.
set -uo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 1
# Lists and flags come from the Makefile (make lint-run exports them).
: "${KERNELS?run make lint-run}" "${CHECKPATCH?}" "${KSFT_DIR?}" "${KMOD_SRCS?}" "${USER_CFLAGS?}"
ksft=$KSFT_DIR
read -r -a kmod_srcs <<<"$KMOD_SRCS"
# USER_CFLAGS carries shell quotes, which xargs honours; cppcheck takes
# its -D and -I.
mapfile -d '' -t cflags < <(xargs printf '%s\0' <<<"$USER_CFLAGS")
cppflags=()
for f in "${cflags[@]}"; do
	case $f in -D* | -I*) cppflags+=("$f") ;; esac
done
jobs=$(nproc)
status=0
t0=0

begin() {
	echo "lint: $*"
	t0=$SECONDS
}

took() {
	echo "lint:   $((SECONDS - t0)) s"
}

# A copy of the module's sources, as Kbuild builds them (VERSION included:
# kmod/Kbuild reads it), in a directory of its own.
kmod_tree() {
	rm -rf "$1" && mkdir -p "$1" &&
		cp --parents "${kmod_srcs[@]}" "$1/"
}

# Build the module with extra make arguments.  Anything the build prints is
# a finding, except the notice that the headers carry no vmlinux for BTF;
# so is a failed build that printed nothing.
kbuild() {
	local k=$1 dir=$2 out rc
	shift 2
	kmod_tree "$dir" || return 1
	# The 7.x headers are used inside their build root: buildroot.sh.
	out=$(bash "$top/scripts/buildroot.sh" "$k" make -s -j"$jobs" -C "/lib/modules/$k/build" \
		M="$dir" "$@" modules 2>&1)
	rc=$?
	out=$(grep -v '^Skipping BTF generation' <<<"$out")
	[ -n "$out" ] && echo "$out"
	[ $rc -eq 0 ] && [ -z "$out" ]
}

# Headers that use __typeof_unqual__ under sparse (7.x: compiler_types.h)
# need a sparse that parses it, which Debian's 0.6.4 does not; the kernel
# then turns C=2 off by itself (its scripts/checker-valid.sh test), so the
# check would print a warning and never run.  Say so, with the reason.
sparse_unusable() {
	local k=$1 probe=$top/build/lint/typeof_unqual.c out
	# Captured first: grep -q ending a pipe early is a failure under pipefail.
	out=$(bash "$top/scripts/buildroot.sh" "$k" sh -c \
		'cat /lib/modules/$0/build/include/linux/compiler_types.h \
		     /lib/modules/$0/source/include/linux/compiler_types.h 2>/dev/null' "$k")
	grep -Eq 'TYPEOF_UNQUAL.*__CHECKER__' <<<"$out" || return 1
	mkdir -p "${probe%/*}"
	printf 'static inline int u(const int *q)\n{\n\t__typeof_unqual__(*q) v = *q;\n\treturn v;\n}\n' >"$probe"
	out=$(bash "$top/scripts/buildroot.sh" "$k" sparse "$probe" 2>&1)
	if grep -q error <<<"$out"; then
		echo "its headers use __typeof_unqual__ under sparse, which sparse $(bash "$top/scripts/buildroot.sh" "$k" sparse --version) does not understand (no newer sparse in Debian)"
		return 0
	fi
	return 1
}

begin "checkpatch --strict"
# The module's C sources and headers (VERSION and the Kbuild files are not C).
ksrcs=()
for f in "${kmod_srcs[@]}"; do
	case $f in *.c | *.h) ksrcs+=("$f") ;; esac
done
if ! perl "$CHECKPATCH" --strict --no-tree --terse --show-types --quiet -f "${ksrcs[@]}"; then
	status=1
fi
took

for k in $KERNELS; do
	begin "sparse on $k"
	if why=$(sparse_unusable "$k"); then
		echo "lint:   skipped: $why"
	else
		kbuild "$k" "$top/build/lint/$k" C=2 CHECK="sparse -Wsparse-error" || status=1
	fi
	took
	# W=1 adds the warnings the kernel keeps out of normal builds (unused
	# static constants, missing format attributes, ...); kmod/Kbuild's
	# -Werror makes them errors, and anything printed fails here anyway.
	begin "W=1 build on $k"
	kbuild "$k" "$top/build/lint-w1/$k" W=1 || status=1
	took
done

# cppcheck on every userspace C file.  The kselftest headers are searched so
# that the TEST() bodies are analysed as they compile, but findings inside
# those headers are not ours.  Not enabled: unusedFunction (the library's
# API is called by programs, not by the library; it also needs every file
# at once).  Suppressed: missingIncludeSystem (libc is not analysed) and
# variableScope (kernel style declares a function's variables at its top).
begin "cppcheck"
if ! cppcheck --quiet --enable=warning,style,performance,portability --error-exitcode=1 \
	--inline-suppr --std=c11 "${cppflags[@]}" -Itools/lib -I"$ksft" \
	--suppress=missingIncludeSystem --suppress=variableScope --suppress="*:$ksft/*" \
	lib/*.c lib/tests/*.c tools/*.c tools/*/*.c examples/*.c; then
	status=1
fi
took

# clang-tidy with the tree's .clang-tidy (named, so that a missing file is
# an error rather than clang-tidy's defaults) and the flags the Makefile
# builds userspace with; the tools may use libnl.  clang's "N warnings
# generated" counts warnings in system headers it does not show.
begin "clang-tidy"
read -r -a libnl_cflags <<<"${LIBNL_CFLAGS-}"
out=$(clang-tidy --quiet --config-file=.clang-tidy lib/*.c tools/*.c tools/*/*.c examples/*.c -- \
	"${cflags[@]}" -Itools/lib ${libnl_cflags[@]+"${libnl_cflags[@]}"} 2>&1)
rc=$?
out=$(grep -Ev '^[0-9]+ (warnings?|errors?)( and [0-9]+ errors?)? generated\.$' <<<"$out")
if [ -n "$out" ] || [ $rc -ne 0 ]; then
	echo "$out"
	status=1
fi
took

# selftests/ uses only the kselftest harness's public API: it compiles
# against the current upstream harness as well as 6.1's, which it runs with.
begin "selftests against the upstream kselftest harness"
make -s --no-print-directory ksft-upstream-check || status=1
took

[ $status -eq 0 ] && echo "lint: clean"
exit $status
