#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# One-time, idempotent set-up of everything winsock needs to build and to
# test in qemu guests.  Everything comes from Debian packages; nothing is
# installed into the host's boot path.
#
#   - build tools, qemu, busybox-static, libnl, sparse, multilib, dkms,
#     cppcheck, clang-tidy, valgrind and debootstrap
#   - kernel headers of the target kernels, resolved through the
#     metapackages: bookworm 6.1 and bookworm-backports 6.12 on the host,
#     and the newest trixie-backports kernel (7.x) in a trixie build root
#     (its headers need gcc-14 and a newer libc than Debian 12's)
#   - the matching kernel images, unpacked (not installed)
#   - kselftest headers and checkpatch.pl, extracted from linux-source-6.1,
#     and the current upstream kselftest harness from the newest
#     linux-source-* of trixie-backports (a compile-only check)
#
# The machine's own apt sources are never changed: the suites it lacks are
# reached through a private apt configuration (and the build root's own
# apt), on the mirror the machine already uses.  What is costly to fetch -
# the private apt lists, the build root, the kernel images - is kept per
# machine in $WINSOCK_STORE (default /var/cache/winsock), so a second run
# and a fresh clone on the same machine download nothing.
#
# It writes cache/kernels.mk, which the Makefile includes.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cache=$top/cache
mkdir -p "$cache/debs"
# apt downloads as the unprivileged _apt user when it can write there.
if [ "$(id -u)" -eq 0 ] && id _apt >/dev/null 2>&1; then
	chown _apt "$cache/debs"
fi

SUDO=
if [ "$(id -u)" -ne 0 ]; then
	SUDO=sudo
fi

log() { printf 'setup: %s\n' "$*"; }

# The first of its arguments (a glob's first match).  Not "ls | head": head
# leaving early can kill ls with SIGPIPE, a failure under pipefail.
first() { printf '%s\n' "$1"; }

apt_updated=
apt_update() {
	if [ -z "$apt_updated" ]; then
		log "apt-get update"
		$SUDO apt-get update -qq
		apt_updated=1
	fi
}

# Per-machine store, outside the tree.
store=${WINSOCK_STORE:-/var/cache/winsock}

# The URI of the machine's "deb" entry for a suite, from whichever sources
# format it uses, so that no host name is ever written into this
# repository.
suite_uri() {
	local suite=$1 f uri
	for f in /etc/apt/sources.list.d/*.sources; do
		[ -e "$f" ] || continue
		uri=$(awk -v suite="$suite" '
			BEGIN { RS = ""; FS = "\n" }
			{
				u = ""; s = 0; t = 0
				for (i = 1; i <= NF; i++) {
					if ($i ~ /^URIs:/)   { u = $i; sub(/^URIs:[ \t]*/, "", u); sub(/[ \t].*/, "", u) }
					if ($i ~ /^Suites:/) { n = split($i, w, /[ \t]+/); for (j = 2; j <= n; j++) if (w[j] == suite) s = 1 }
					if ($i ~ /^Types:/ && $i ~ /[ \t]deb([ \t]|$)/) t = 1
				}
				if (u != "" && s && t) { print u; exit }
			}' "$f")
		if [ -n "$uri" ]; then
			echo "$uri"
			return
		fi
	done
	cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null |
		awk -v suite="$suite" '$1 == "deb" {
			u = ""
			for (i = 2; i <= NF; i++) {
				if ($i ~ /^\[/) { while ($i !~ /\]$/ && i < NF) i++; continue }
				if (u == "") { u = $i; continue }
				if ($i == suite) { print u; exit }
				break
			}
		}'
}

mirror=
security=
find_mirrors() {
	[ -z "$mirror" ] || return 0
	mirror=$(suite_uri bookworm)
	if [ -z "$mirror" ]; then
		echo "setup: no apt source for bookworm found; cannot derive the mirror" >&2
		exit 1
	fi
	# Optional: the kernels of the point releases suffice without it.
	security=$(suite_uri bookworm-security)
}

# The private apt configuration: bookworm (for dependencies) and
# bookworm-backports from the machine's mirror.  Its lists and caches live in
# the store; the machine's sources, lists and caches are not touched.
papt_dir=$store/apt
papt=(-o "Dir::Etc::sourcelist=$papt_dir/sources.list" -o Dir::Etc::sourceparts=-
      -o "Dir::State::Lists=$papt_dir/lists" -o "Dir::Cache=$papt_dir/cache")
papt_cache=(apt-cache "${papt[@]}")
papt_updated='' papt_fetched=''
papt_update() {
	local key=/usr/share/keyrings/debian-archive-keyring.gpg s
	if [ -n "$papt_fetched" ] || { [ -n "$papt_updated" ] && [ "${1:-}" != force ]; }; then
		return
	fi
	find_mirrors
	$SUDO mkdir -p "$papt_dir/lists/partial" "$papt_dir/cache/archives/partial"
	{
		for s in bookworm bookworm-updates bookworm-backports; do
			echo "deb [signed-by=$key] $mirror $s main"
		done
		[ -z "$security" ] || echo "deb [signed-by=$key] $security bookworm-security main"
	} | $SUDO tee "$papt_dir/sources.list.new" >/dev/null
	# The lists are fetched once; again only when the sources change or
	# when a package is missing from them (papt_update force).
	if [ "${1:-}" != force ] && cmp -s "$papt_dir/sources.list.new" "$papt_dir/sources.list" &&
	   ls "$papt_dir/lists/"*bookworm-backports*Packages* >/dev/null 2>&1; then
		$SUDO rm -f "$papt_dir/sources.list.new"
		papt_updated=1
		return
	fi
	$SUDO mv "$papt_dir/sources.list.new" "$papt_dir/sources.list"
	log "apt-get update (private configuration in $papt_dir)"
	$SUDO apt-get "${papt[@]}" update -qq
	papt_updated=1 papt_fetched=1
}

# Packages for building and testing, host side.
host_pkgs=(build-essential make gcc gcc-multilib dwarves qemu-system-x86
	   busybox-static cpio libnl-3-dev libnl-genl-3-dev sparse kmod
	   pkg-config perl python3 xz-utils dkms cppcheck clang-tidy valgrind
	   debootstrap)

install_missing() {
	local missing=() p
	for p in "$@"; do
		[[ "$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null)" == *'install ok installed'* ]] ||
			missing+=("$p")
	done
	if [ ${#missing[@]} -gt 0 ]; then
		apt_update
		log "installing ${missing[*]}"
		$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
			--no-install-recommends "${missing[@]}" >/dev/null
	fi
}

# Resolve "linux-image-amd64" in a suite to the ABI-versioned release,
# e.g. 6.1.0-NN-amd64.  Never hard-coded: Debian bumps the ABI.  The rest
# of the arguments is the apt-cache command that sees the suite.
resolve_release() {
	local suite=$1 dep
	shift
	if [ -z "$suite" ]; then
		dep=$("$@" depends -q linux-image-amd64 2>/dev/null |
			awk '/Depends: linux-image-[0-9]/ && !dep { dep = $2 } END { print dep }')
	else
		# apt-cache depends does not honour -t; read the candidate from
		# the suite.  7.x metapackages also depend on linux-base-amd64
		# and linux-modules-amd64: take the versioned image.
		dep=$("$@" show "linux-image-amd64/$suite" 2>/dev/null |
			awk -F': ' '/^Depends:/ && !dep {
				n = split($2, a, /[ ,]+/)
				for (i = 1; i <= n && !dep; i++) if (a[i] ~ /^linux-image-[0-9]/) dep = a[i]
			} END { print dep }')
	fi
	dep=${dep#linux-image-}
	dep=${dep%-unsigned}
	echo "$dep"
}

# A kernel image for the guests: its vmlinuz and config, from the store,
# else from PACKAGE, downloaded by the command in the remaining arguments
# into the current directory.  6.x images are in /boot of
# linux-image-REL-unsigned; 7.x ones in /usr/lib/modules/REL of
# linux-binary-REL, whose signed image boots with -kernel just the same
# (the headers of the other two kernels are host packages).
fetch_kernel() {
	local rel=$1 pkg=$2 deb dir=$cache/kernels/$1 kept=$store/kernels/$1 x f
	shift 2
	if [ -f "$dir/vmlinuz" ] && [ -f "$dir/config" ]; then
		# A tree set up before the store existed seeds it.
		if [ ! -f "$kept/vmlinuz" ] || [ ! -f "$kept/config" ]; then
			$SUDO mkdir -p "$kept"
			$SUDO cp "$dir/vmlinuz" "$dir/config" "$kept/"
		fi
		return
	fi
	if [ ! -f "$kept/vmlinuz" ] || [ ! -f "$kept/config" ]; then
		log "downloading kernel image $rel ($pkg)"
		x=$(mktemp -d "$cache/debs/x.XXXXXX")
		(cd "$cache/debs" && "$@" download -q "$pkg" >/dev/null)
		deb=$(first "$cache/debs/${pkg}_"*.deb)
		dpkg-deb -x "$deb" "$x"
		$SUDO mkdir -p "$kept"
		# Only the image and its config: the guests load no in-tree modules.
		for f in boot/vmlinuz-$rel usr/lib/modules/$rel/vmlinuz; do
			[ ! -f "$x/$f" ] || $SUDO cp "$x/$f" "$kept/vmlinuz"
		done
		# 7.x: the config is in linux-base-REL, which the headers in
		# the build root depend on.
		for f in "$x/boot/config-$rel" "$x/usr/lib/modules/$rel/config" \
			 "$broot/usr/lib/modules/$rel/config"; do
			if [ -f "$f" ] && [ ! -f "$kept/config" ]; then
				$SUDO cp "$f" "$kept/config"
			fi
		done
		rm -rf "$x" "$deb"
		if [ ! -f "$kept/vmlinuz" ] || [ ! -f "$kept/config" ]; then
			echo "setup: no vmlinuz and config for $rel in $pkg" >&2
			exit 1
		fi
	fi
	mkdir -p "$dir"
	cp "$kept/vmlinuz" "$kept/config" "$dir/"
}

# --- the trixie build root, for the 7.x kernel of trixie-backports --------
# debootstrap --variant=minbase with the toolchain the 7.x headers need;
# the headers, sparse (make lint) and dkms (the install test) come from its
# own apt, whose sources name the machine's mirror.  About 750 MB, made once
# per machine.
broot=$store/trixie-root
broot_pkgs=(debian-archive-keyring make gcc-14 libc6-dev kmod)
broot_extra=(sparse dkms openssl)
in_root() {
	$SUDO bash "$top/scripts/buildroot.sh" -R "$broot" "$@"
}

root_installed() {
	[[ "$(in_root dpkg-query -W -f='${Status}' "$1" 2>/dev/null)" == *'install ok installed'* ]]
}

prepare_root() {
	local key=/usr/share/keyrings/debian-archive-keyring.gpg t0
	if [ ! -f "$broot/.winsock-root" ]; then
		find_mirrors
		log "debootstrap trixie into $broot (once per machine; about 1 min, 750 MB)"
		t0=$SECONDS
		$SUDO rm -rf "$broot.new"
		$SUDO mkdir -p "$store"
		if ! $SUDO debootstrap --variant=minbase --components=main \
			--include="$(IFS=,; echo "${broot_pkgs[*]}")" trixie "$broot.new" "$mirror" \
			>"$cache/debootstrap.log" 2>&1; then
			tail -n 20 "$cache/debootstrap.log" >&2
			echo "setup: debootstrap failed (log: $cache/debootstrap.log)" >&2
			exit 1
		fi
		$SUDO rm -f "$broot.new/etc/apt/sources.list"
		{
			printf 'Types: deb\nURIs: %s\nSuites: trixie trixie-updates trixie-backports\n' "$mirror"
			printf 'Components: main\nSigned-By: %s\n' "$key"
			if [ -n "$security" ]; then
				printf '\nTypes: deb\nURIs: %s\nSuites: trixie-security\n' "$security"
				printf 'Components: main\nSigned-By: %s\n' "$key"
			fi
		} | $SUDO tee "$broot.new/etc/apt/sources.list.d/debian.sources" >/dev/null
		$SUDO touch "$broot.new/.winsock-root"
		$SUDO mv "$broot.new" "$broot"
		log "build root made in $((SECONDS - t0)) s"
	fi
	# Where buildroot.sh binds this tree: made here, so that a user
	# without root can enter the root later (under /tmp it makes its own).
	case $top in
	/tmp/*) ;;
	*) $SUDO mkdir -p "$broot$top" ;;
	esac
	if ! ls "$broot/var/lib/apt/lists/"*trixie-backports*Packages* >/dev/null 2>&1; then
		log "apt-get update in the build root"
		in_root apt-get update -qq
	fi
}

root_install() {
	local missing=() p
	for p in "$@"; do
		root_installed "$p" || missing+=("$p")
	done
	if [ ${#missing[@]} -gt 0 ]; then
		log "installing ${missing[*]} in the build root"
		in_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
			--no-install-recommends -t trixie-backports "${missing[@]}" >/dev/null
	fi
}

# Downloads with the build root's apt into the current directory (the
# tree is bound in the root at its own path).
root_apt_get() {
	in_root apt-get "$@"
}

fetch_kselftest() {
	local dst=$cache/linux-tools kept=$store/linux-tools deb tarball
	if [ -f "$dst/tools/testing/selftests/kselftest_harness.h" ] &&
	   [ -f "$dst/scripts/checkpatch.pl" ]; then
		if [ ! -f "$kept/scripts/checkpatch.pl" ]; then
			$SUDO mkdir -p "$kept"
			$SUDO cp -r "$dst/." "$kept/"
		fi
		return
	fi
	if [ ! -f "$kept/tools/testing/selftests/kselftest_harness.h" ] ||
	   [ ! -f "$kept/scripts/checkpatch.pl" ]; then
		log "extracting kselftest headers and checkpatch.pl from linux-source-6.1"
		(cd "$cache/debs" && apt-get download -q linux-source-6.1 >/dev/null)
		deb=$(first "$cache/debs"/linux-source-6.1_*.deb)
		$SUDO rm -rf "$kept.new"
		$SUDO mkdir -p "$kept.new"
		tarball=$(dpkg-deb -c "$deb" | awk '{ print $NF }' | grep 'linux-source-6.1.tar.xz$')
		dpkg-deb --fsys-tarfile "$deb" | tar -xO "$tarball" |
			$SUDO tar -xJ -C "$kept.new" --strip-components=1 \
				linux-source-6.1/tools/testing/selftests/kselftest.h \
				linux-source-6.1/tools/testing/selftests/kselftest_harness.h \
				linux-source-6.1/scripts/checkpatch.pl \
				linux-source-6.1/scripts/spelling.txt \
				linux-source-6.1/scripts/const_structs.checkpatch
		rm -f "$deb"
		$SUDO rm -rf "$kept"
		$SUDO mv "$kept.new" "$kept"
	fi
	mkdir -p "$dst"
	cp -r "$kept/." "$dst/"
}

# The current upstream kselftest harness, for a compile-only check that
# selftests/ builds against it as well as against 6.1's (make
# ksft-upstream-check): kselftest_harness.h and what it includes, from the
# newest linux-source-* package the build root's apt sees (trixie-backports).
# Kept apart from linux-tools, which is the 6.1 harness the tests run with.
fetch_ksft_upstream() {
	local dst=$cache/ksft-upstream kept=$store/ksft-upstream pkg deb tarball top_dir
	if [ ! -f "$kept/kselftest_harness.h" ]; then
		pkg=$(in_root apt-cache pkgnames linux-source- | grep -E '^linux-source-[0-9.]+$' |
			sort -V | tail -n 1)
		if [ -z "$pkg" ]; then
			echo "setup: no linux-source package in the build root's apt" >&2
			exit 1
		fi
		log "extracting the upstream kselftest harness from $pkg"
		(cd "$cache/debs" && root_apt_get download -q "$pkg" >/dev/null)
		deb=$(first "$cache/debs/${pkg}_"*.deb)
		tarball=$(dpkg-deb -c "$deb" | awk '{ print $NF }' | grep "/$pkg.tar.xz\$")
		top_dir=${tarball##*/}
		top_dir=${top_dir%.tar.xz}
		$SUDO rm -rf "$kept.new"
		$SUDO mkdir -p "$kept.new"
		# The harness, kselftest.h and whatever else the harness
		# includes from its own directory (kselftest*).
		dpkg-deb --fsys-tarfile "$deb" | tar -xO "$tarball" |
			$SUDO tar -xJ -C "$kept.new" --strip-components=4 --wildcards \
				"$top_dir/tools/testing/selftests/kselftest*"
		echo "$pkg" | $SUDO tee "$kept.new/SOURCE" >/dev/null
		rm -f "$deb"
		$SUDO rm -rf "$kept"
		$SUDO mv "$kept.new" "$kept"
	fi
	mkdir -p "$dst"
	cp -r "$kept/." "$dst/"
}

main() {
	install_missing "${host_pkgs[@]}"
	papt_update
	if ! "${papt_cache[@]}" show linux-image-amd64/bookworm-backports >/dev/null 2>&1; then
		papt_update force
	fi

	local r61 r612 r7
	r61=$(resolve_release "" apt-cache)
	r612=$(resolve_release bookworm-backports "${papt_cache[@]}")
	case "$r61" in 6.1.*) ;; *) echo "setup: could not resolve the bookworm 6.1 kernel (got '$r61')" >&2; exit 1 ;; esac
	case "$r612" in 6.12.*) ;; *) echo "setup: could not resolve the backports 6.12 kernel (got '$r612')" >&2; exit 1 ;; esac

	install_missing "linux-headers-$r61"
	if [[ "$(dpkg-query -W -f='${Status}' "linux-headers-$r612" 2>/dev/null)" != *'install ok installed'* ]]; then
		log "installing linux-headers-$r612 (bookworm-backports, private apt configuration)"
		$SUDO env DEBIAN_FRONTEND=noninteractive apt-get "${papt[@]}" install -y -qq \
			--no-install-recommends -t bookworm-backports "linux-headers-$r612" >/dev/null
	fi

	prepare_root
	r7=$(resolve_release trixie-backports in_root apt-cache)
	case "$r7" in [7-9].*) ;; *) echo "setup: could not resolve the trixie-backports kernel (got '$r7')" >&2; exit 1 ;; esac
	root_install "linux-headers-$r7" "${broot_extra[@]}"

	fetch_kernel "$r61" "linux-image-$r61-unsigned" apt-get
	fetch_kernel "$r612" "linux-image-$r612-unsigned" apt-get "${papt[@]}"
	fetch_kernel "$r7" "linux-binary-$r7" root_apt_get
	fetch_kselftest
	fetch_ksft_upstream
	"$top/scripts/setup-auditd.sh"	# auditd for the guests, not installed here

	# KERNEL_ROOT_<release>: the build root holding that kernel's headers
	# (scripts/buildroot.sh); kernels without one use the host's.
	cat >"$cache/kernels.mk.tmp" <<-MK
	# Written by scripts/setup.sh; do not edit.
	KERNELS := $r61 $r612 $r7
	KERNEL_DEFAULT := $r61
	KERNEL_ROOT_$r7 := $broot
	KSFT_DIR := $cache/linux-tools/tools/testing/selftests
	CHECKPATCH := $cache/linux-tools/scripts/checkpatch.pl
	KSFT_UPSTREAM_DIR := $cache/ksft-upstream
	MK
	mv "$cache/kernels.mk.tmp" "$cache/kernels.mk"

	log "kernel 6.1 : $r61  headers /lib/modules/$r61/build  image $cache/kernels/$r61/vmlinuz"
	log "kernel 6.12: $r612  headers /lib/modules/$r612/build  image $cache/kernels/$r612/vmlinuz"
	log "kernel 7.x : $r7  headers $broot/lib/modules/$r7/build  image $cache/kernels/$r7/vmlinuz"
	log "store      : $store (apt lists, build root, images, kselftest; per machine)"
	log "kselftest  : $cache/linux-tools/tools/testing/selftests"
	log "checkpatch : $cache/linux-tools/scripts/checkpatch.pl"
}

main "$@"
