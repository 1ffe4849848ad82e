#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make check, host side: the installation (mk/install.mk).  For every
# configured kernel, `make install` into a scratch DESTDIR must put exactly
# the expected files in place and `make uninstall` must take every one of
# them away again; a program must build against the installed copy through
# pkg-config, shared and static, and run.  As root, DKMS must build the
# module for every kernel from a copy of the tree, in private DKMS and
# source trees so that the machine's own DKMS state is never touched.  A
# kernel whose headers are in a build root (7.x) is built, installed and
# DKMS-built with that root's toolchain and dkms.
# Loads no module.  Prints KTAP; scripts/check.sh reads the "# Totals:" line.
set -uo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 1
version=$(cat VERSION)
# The ABI the module and the library speak (modinfo abi, ws_version()).
abi=$(awk '$2 == "WINSOCK_ABI_VERSION" { print $3 }' uapi/linux/winsock.h)
# The kernels and the module's sources are the Makefile's (make
# check-install exports them).
: "${KERNELS?run make check-install}" "${KMOD_SRCS?}"
read -r -a kernels <<<"$KERNELS"
read -r -a kmod_srcs <<<"$KMOD_SRCS"
# Only the command lines below may choose where install puts things.
unset BINDIR SBINDIR LIBDIR INCLUDEDIR PKGCONFIGDIR MANDIR UDEVDIR MODULESLOADDIR \
	MODULEDIR INSTALL_TOOLS SBIN_TOOLS RUN_DEPMOD DEPMOD DKMS INSTALL DESTDIR PREFIX
tmp=$(mktemp -d "${TMPDIR:-/tmp}/winsock-install-test.XXXXXX") || exit 1
dk=$tmp/dkms

# What the DKMS tests must leave as they found it.
host_dkms_state() {
	ls -d "/usr/src/winsock-$version" /var/lib/dkms/winsock \
		/var/lib/dkms/mok.key /var/lib/dkms/mok.pub 2>/dev/null
}
host_before=$(host_dkms_state)

# The DKMS trees are private, so removing $tmp undoes every DKMS step.  dkms
# falls back to creating /var/lib/dkms/mok.{key,pub} if it ignores the
# private key below; a key made by this run is removed again.
cleanup() {
	local f
	for f in /var/lib/dkms/mok.key /var/lib/dkms/mok.pub; do
		if [ -e "$f" ] && ! grep -qxF "$f" <<<"$host_before"; then
			rm -f "$f"
		fi
	done
	rm -rf "$tmp"
}
trap cleanup EXIT

n=0 pass=0 fail=0 skip=0

# One test: a function run in a subshell with errexit, so that the first
# failed command or die fails it; its output is shown only on failure.
run() {
	local name=$1 rc
	shift
	n=$((n + 1))
	(set -e; "$@") >"$tmp/out" 2>&1
	rc=$?
	if [ $rc -eq 0 ]; then
		echo "ok $n $name"
		pass=$((pass + 1))
	else
		tail -n 40 "$tmp/out" | sed 's/^/# /'
		echo "not ok $n $name"
		fail=$((fail + 1))
	fi
}

skip_test() {
	n=$((n + 1))
	echo "ok $n $1 # SKIP $2"
	skip=$((skip + 1))
}

die() {
	echo "$*"
	exit 1
}

# make, its output shown only when it fails.
mk() {
	if ! make -C "$top" --no-print-directory "$@" >"$tmp/make.log" 2>&1; then
		tail -n 30 "$tmp/make.log"
		die "make $* failed"
	fi
}

root_of() {
	echo "$tmp/root/$1"
}

# "type mode-or-target path source" of every file install must create for
# a release, derived from the source tree, not from mk/install.mk.
expected_files() {
	local rel=$1 f
	echo "f 644 lib/modules/$rel/updates/winsock.ko build/$rel/winsock.ko"
	echo "f 644 lib/udev/rules.d/60-winsock.rules packaging/udev/60-winsock.rules"
	echo "f 644 usr/lib/modules-load.d/winsock.conf packaging/modules-load.d/winsock.conf"
	echo "f 755 usr/lib/libwinsock.so.1 build/host/libwinsock.so.1"
	echo "l libwinsock.so.1 usr/lib/libwinsock.so -"
	echo "f 644 usr/lib/libwinsock.a build/host/libwinsock.a"
	echo "f 644 usr/lib/pkgconfig/libwinsock.pc -"
	for f in lib/include/winsock/*.h; do
		echo "f 644 usr/include/winsock/${f##*/} $f"
	done
	echo "f 644 usr/include/linux/winsock.h uapi/linux/winsock.h"
	echo "f 755 usr/bin/winsock-demo build/host/winsock-demo"
	for f in lib/man/*.[1-8] tools/man/*.[1-8]; do
		[ -e "$f" ] && echo "f 644 usr/share/man/man${f##*.}/${f##*/} $f"
	done
}

test_install() {
	mk install DESTDIR="$(root_of "$1")" PREFIX=/usr KERNELRELEASE="$1"
}

test_tree() {
	local rel=$1 root type mode path src f extra
	root=$(root_of "$rel")
	: >"$tmp/expected"
	while read -r type mode path src; do
		f=$root/$path
		echo "$path" >>"$tmp/expected"
		if [ "$type" = l ]; then
			[ -L "$f" ] || die "/$path: not a symbolic link"
			[ "$(readlink "$f")" = "$mode" ] ||
				die "/$path -> $(readlink "$f"), expected -> $mode"
			continue
		fi
		if [ ! -f "$f" ] || [ -L "$f" ]; then
			die "/$path: missing, or not a regular file"
		fi
		[ "$(stat -c %a "$f")" = "$mode" ] ||
			die "/$path: mode $(stat -c %a "$f"), expected $mode"
		[ "$src" = - ] || cmp "$src" "$f" || die "/$path is not a copy of $src"
	done < <(expected_files "$rel")

	# Nothing else, except tools the top-level Makefile adds to
	# INSTALL_TOOLS: built ones, administration tools in sbin.
	while read -r extra; do
		case $extra in
		usr/sbin/winsock-audit | usr/bin/winsock-*)
			[ "$extra" != usr/bin/winsock-audit ] ||
				die "/$extra: winsock-audit belongs in /usr/sbin"
			[ -f "build/host/${extra##*/}" ] || die "/$extra: no such tool was built"
			cmp "build/host/${extra##*/}" "$root/$extra"
			[ "$(stat -c %a "$root/$extra")" = 755 ] || die "/$extra: mode is not 755"
			;;
		*)
			die "unexpected file /$extra"
			;;
		esac
	done < <(comm -23 <(cd "$root" && find . ! -type d | sed 's|^\./||' | sort) \
			<(sort "$tmp/expected"))
}

test_library() {
	local lib soname
	lib=$(root_of "$1")/usr/lib
	soname=$(readelf -d "$lib/libwinsock.so.1" | sed -n 's/.*Library soname: \[\(.*\)\]/\1/p')
	[ "$soname" = libwinsock.so.1 ] || die "soname is '$soname', expected libwinsock.so.1"
	grep -q ' T ws_version$' < <(nm -D --defined-only "$lib/libwinsock.so" | sed 's/@.*//') ||
		die "libwinsock.so does not export ws_version"
	grep -q ' T WSAStartup$' < <(nm "$lib/libwinsock.a") ||
		die "libwinsock.a does not define WSAStartup"
}

test_pkgconfig() {
	local pc got
	pc=$(root_of "$1")/usr/lib/pkgconfig
	export PKG_CONFIG_LIBDIR=$pc PKG_CONFIG_PATH=
	unset PKG_CONFIG_SYSROOT_DIR
	pkg-config --validate libwinsock
	for kv in "modversion=$version" "variable=prefix=/usr" "variable=libdir=/usr/lib" \
		  "variable=includedir=/usr/include"; do
		got=$(pkg-config "--${kv%=*}" libwinsock)
		[ "$got" = "${kv##*=}" ] || die "pkg-config --${kv%=*}: '$got', expected '${kv##*=}'"
	done
	grep -qx "Version: $version" "$pc/libwinsock.pc" || die "no 'Version: $version' line"
	grep -qw -- -lwinsock <<<"$(pkg-config --libs libwinsock)" || die "--libs lacks -lwinsock"
	grep -qw -- -lpthread <<<"$(pkg-config --static --libs libwinsock)" ||
		die "--static --libs lacks -lpthread"
}

test_module() {
	local rel=$1 ko vermagic got
	ko=$(root_of "$rel")/lib/modules/$rel/updates/winsock.ko
	got=$(modinfo -F version "$ko")
	[ "$got" = "$version" ] || die "modinfo version '$got', expected '$version'"
	got=$(modinfo -F abi "$ko")
	[ "$got" = "$abi" ] || die "modinfo abi '$got', expected '$abi'"
	vermagic=$(modinfo -F vermagic "$ko")
	[ "${vermagic%% *}" = "$rel" ] || die "vermagic '$vermagic' is not for $rel"
}

test_boot_config() {
	local root rules conf
	root=$(root_of "$1")
	rules=$root/lib/udev/rules.d/60-winsock.rules
	conf=$root/usr/lib/modules-load.d/winsock.conf
	[ "$(grep -Ev '^[[:space:]]*(#|$)' "$rules")" = 'KERNEL=="winsock", MODE="0666"' ] ||
		die "the udev rule is not exactly KERNEL==\"winsock\", MODE=\"0666\""
	if udevadm verify --help >/dev/null 2>&1; then
		udevadm verify "$rules"
	fi
	[ "$(grep -Ev '^[[:space:]]*([#;]|$)' "$conf")" = winsock ] ||
		die "modules-load.d/winsock.conf does not name exactly the module winsock"
}

# What the example prints: without a usable /dev/winsock, WSASYSNOTREADY
# from WSAStartup and WSANOTINITIALISED from every later call.
example_expected() {
	echo "libwinsock $version (ABI $abi)"
	if [ -r /dev/winsock ] && [ -w /dev/winsock ]; then
		echo "WSAStartup: 0"
		echo "negotiated 2.2: WinSock 2.0"
		echo "ws_getpeername: -1, WSAGetLastError: 10057, namelen: 128"
		echo "WSACleanup: 0, WSAGetLastError: 0"
	else
		echo "WSAStartup: 10091"
		echo "ws_getpeername: -1, WSAGetLastError: 10093, namelen: 128"
		echo "WSACleanup: -1, WSAGetLastError: 10093"
	fi
}

# Compiles an example the way a user would, against the staged install
# only: pkg-config with the stage as sysroot.
#   example_build ROOT OUT SOURCE [static]
example_build() {
	local root=$1 out=$2 src=$3 pc_static=() cc_static=() flags cflags libs
	if [ "${4:-}" = static ]; then
		pc_static=(--static)
		cc_static=(-static)
	fi
	export PKG_CONFIG_SYSROOT_DIR=$root PKG_CONFIG_LIBDIR=$root/usr/lib/pkgconfig PKG_CONFIG_PATH=
	flags=$(pkg-config --cflags libwinsock)
	read -r -a cflags <<<"$flags"
	flags=$(pkg-config "${pc_static[@]}" --libs libwinsock)
	read -r -a libs <<<"$flags"
	echo "cflags: ${cflags[*]}  libs: ${libs[*]}"
	gcc -Wall -Wextra -Werror -MD -MF "$out.d" "${cflags[@]}" "${cc_static[@]}" \
		-o "$out" "$src" "${libs[@]}"
	grep -q "$root/usr/include/winsock/winsock2.h" "$out.d" ||
		die "not compiled against the installed winsock/winsock2.h"
	grep -q "$root/usr/include/linux/winsock.h" "$out.d" ||
		die "not compiled against the installed linux/winsock.h"
}

example_check() {
	if ! diff -u <(example_expected) "$1"; then
		die "unexpected output (above: - expected, + got)"
	fi
}

test_example_shared() {
	local root exe=$tmp/example-shared
	root=$(root_of "${kernels[0]}")
	# The README's tour too, built only: it needs the module to run.
	example_build "$root" "$tmp/peers-shared" examples/peers.c
	example_build "$root" "$exe" examples/answers.c
	grep -q 'NEEDED.*\[libwinsock\.so\.1\]' < <(readelf -d "$exe") ||
		die "the program does not need libwinsock.so.1"
	grep -qF "libwinsock.so.1 => $root/usr/lib/libwinsock.so.1 " \
		< <(LD_LIBRARY_PATH=$root/usr/lib ldd "$exe") ||
		die "libwinsock.so.1 does not resolve to the installed copy"
	LD_LIBRARY_PATH=$root/usr/lib "$exe" >"$tmp/example.out"
	example_check "$tmp/example.out"
}

test_example_static() {
	local root exe=$tmp/example-static
	root=$(root_of "${kernels[0]}")
	example_build "$root" "$tmp/peers-static" examples/peers.c static
	example_build "$root" "$exe" examples/answers.c static
	grep -q 'no dynamic section' < <(readelf -d "$exe" 2>&1) || die "the program is not static"
	grep -q ' T ws_version$' < <(nm "$exe") || die "ws_version is not linked in"
	env -u LD_LIBRARY_PATH "$exe" >"$tmp/example.out"
	example_check "$tmp/example.out"
}

# Files of other packages in the same directories must survive.
others=(usr/lib/libother.so.1 usr/lib/pkgconfig/other.pc usr/include/linux/other.h
	usr/share/man/man3/other.3 usr/bin/other lib/udev/rules.d/99-other.rules
	usr/lib/modules-load.d/other.conf)

test_uninstall() {
	local rel=$1 root f left
	root=$(root_of "$rel")
	for f in "${others[@]}" "lib/modules/$rel/updates/other.ko"; do
		mkdir -p "$(dirname "$root/$f")"
		echo other >"$root/$f"
	done
	mk uninstall DESTDIR="$root" PREFIX=/usr KERNELRELEASE="$rel"
	left=$(cd "$root" && find . ! -type d | sed 's|^\./||' | sort)
	if [ "$left" != "$(printf '%s\n' "${others[@]}" "lib/modules/$rel/updates/other.ko" | sort)" ]; then
		echo "left after uninstall (other.* belong to someone else):"
		echo "$left"
		die "uninstall did not remove exactly what install put there"
	fi
}

# The source `make dkms-install` ships: dkms.conf with the literal version
# and the module's sources (the Makefile's KMOD_SRCS; the DKMS builds
# below show that they are enough), nothing else.
test_dkms_stage() {
	local src f
	src=$dk/stage/usr/src/winsock-$version
	mk dkms-install DESTDIR="$dk/stage"
	grep -qx "PACKAGE_VERSION=\"$version\"" "$src/dkms.conf" ||
		die "the staged dkms.conf does not carry PACKAGE_VERSION=\"$version\""
	diff <(grep -v '^PACKAGE_VERSION=' dkms.conf) <(grep -v '^PACKAGE_VERSION=' "$src/dkms.conf")
	for f in "${kmod_srcs[@]}"; do
		cmp "$f" "$src/$f"
	done
	diff <(cd "$src" && find . ! -type d | sed 's|^\./||' | sort) \
		<(printf '%s\n' dkms.conf "${kmod_srcs[@]}" | sort) ||
		die "the staged source holds other files than the module's (above)"
}

# dkms with private trees.  It takes the signing key from the environment
# when framework.conf names none: a throwaway key, not the machine's.  With
# dkms_rel set to a release whose headers are in a build root (7.x), the
# dkms of that root runs, with the private trees bound at their own paths
# (scripts/buildroot.sh), as dkms would on a machine running that kernel.
dkms_rel=
dkms_private() {
	local tree=$1 run=()
	shift
	mkdir -p "$tree/src" "$tree/var" "$tree/modules"
	# dkms 3.2 (trixie) looks for the headers under --installtree
	# unless told where they are.
	if [ -n "$dkms_rel" ] && [ -n "$(bash "$top/scripts/buildroot.sh" -q "$dkms_rel")" ]; then
		run=(bash "$top/scripts/buildroot.sh" "$dkms_rel" -b "$tmp")
		set -- --kernelsourcedir "/lib/modules/$dkms_rel/build" "$@"
	fi
	${run[@]+"${run[@]}"} env mok_signing_key="$tree/mok.key" mok_certificate="$tree/mok.pub" \
		dkms --sourcetree "$tree/src" --dkmstree "$tree/var" --installtree "$tree/modules" "$@"
}

# Tracked and new files of the working tree, without build outputs.  Not
# a directory git lists as one untracked file (cache as a symbolic link
# to a shared cache, in a git worktree): cp would refuse it.
copy_tree() {
	local dst=$1
	mkdir -p "$dst"
	if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
		git ls-files -z -co --exclude-standard |
			while IFS= read -r -d '' f; do
				[ -e "$f" ] && [ ! -d "$f" ] && printf '%s\0' "$f"
			done | xargs -0 cp --parents -t "$dst"
	else
		tar -c --exclude=./build --exclude=./cache --exclude=./.git . | tar -x -C "$dst"
	fi
}

test_dkms_add() {
	local status
	copy_tree "$dk/copy"
	dkms_private "$dk/a" add "$dk/copy"
	status=$(dkms_private "$dk/a" status -m winsock)
	echo "$status"
	[ "$status" = "winsock/$version: added" ] ||
		die "dkms status is not 'winsock/$version: added'"
}

test_dkms_build() {
	local rel=$1 ko got vermagic
	dkms_rel=$rel
	dkms_private "$dk/a" build -m winsock -v "$version" -k "$rel"
	grep -q ': built$' < <(dkms_private "$dk/a" status -m winsock -v "$version" -k "$rel") ||
		die "dkms status does not say built"
	ko=$(find "$dk/a/var/winsock/$version/$rel" -path '*/module/winsock.ko*')
	if [ -z "$ko" ] || [ "$(wc -l <<<"$ko")" -ne 1 ]; then
		die "not one built module: '$ko'"
	fi
	got=$(modinfo -F version "$ko")
	[ "$got" = "$version" ] || die "modinfo version '$got', expected '$version'"
	vermagic=$(modinfo -F vermagic "$ko")
	[ "${vermagic%% *}" = "$rel" ] || die "vermagic '$vermagic' is not for $rel"
}

test_dkms_remove() {
	dkms_private "$dk/a" remove -m winsock -v "$version" --all
	[ -z "$(dkms_private "$dk/a" status -m winsock)" ] || die "dkms still lists winsock"
	[ ! -e "$dk/a/var/winsock/$version" ] || die "dkms left $dk/a/var/winsock/$version"
	[ "$(host_dkms_state)" = "$host_before" ] ||
		die "the machine's DKMS state changed: '$host_before' -> '$(host_dkms_state)'"
}

# dkms reads the literal version of the dkms-install copy as well.
test_dkms_add_stage() {
	local status
	dkms_private "$dk/b" add "$dk/stage/usr/src/winsock-$version"
	status=$(dkms_private "$dk/b" status -m winsock)
	[ "$status" = "winsock/$version: added" ] || die "dkms status: '$status'"
	dkms_private "$dk/b" remove -m winsock -v "$version" --all
}

if [ ${#kernels[@]} -eq 0 ]; then
	echo "TAP version 13"
	echo "1..1"
	echo "# no KERNELS from the Makefile (cache/kernels.mk): run make setup"
	echo "not ok 1 configured kernels"
	echo "# Totals: pass:0 fail:1 xfail:0 xpass:0 skip:0 error:0"
	exit 1
fi

k=${#kernels[@]}
if [ "$(id -u)" -eq 0 ]; then
	planned=$((7 * k + 3 + 3 + k))
else
	planned=$((7 * k + 3 + 1))
fi
echo "TAP version 13"
echo "1..$planned"

for rel in "${kernels[@]}"; do
	run "install $rel" test_install "$rel"
	run "installed files $rel" test_tree "$rel"
	run "library $rel" test_library "$rel"
	run "pkg-config $rel" test_pkgconfig "$rel"
	run "module $rel" test_module "$rel"
	run "udev rule and modules-load.d $rel" test_boot_config "$rel"
done
run "example program, shared" test_example_shared
run "example program, static" test_example_static
for rel in "${kernels[@]}"; do
	run "uninstall $rel" test_uninstall "$rel"
done
run "dkms-install source" test_dkms_stage
if [ "$(id -u)" -eq 0 ]; then
	run "dkms add" test_dkms_add
	for rel in "${kernels[@]}"; do
		run "dkms build $rel" test_dkms_build "$rel"
	done
	run "dkms remove" test_dkms_remove
	run "dkms add of the dkms-install source" test_dkms_add_stage
else
	skip_test dkms "needs root"
fi

echo "# Totals: pass:$pass fail:$fail xfail:0 xpass:0 skip:$skip error:0"
[ "$fail" -eq 0 ]
