#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# One-time, idempotent set-up of everything winsock needs to build and to
# test in qemu guests.  Everything comes from Debian packages; nothing is
# installed into the host's boot path.
#
#   - build tools, qemu, busybox-static, libnl, sparse, multilib, dkms,
#     cppcheck, clang-tidy and valgrind
#   - kernel headers of the two target kernels (bookworm 6.1 and
#     bookworm-backports 6.12), resolved through the metapackages
#   - the matching unsigned kernel images, unpacked into cache/ (not installed)
#   - kselftest headers and checkpatch.pl, extracted from linux-source-6.1
#
# It writes cache/kernels.mk, which the Makefile includes.  A second run
# finds everything in place and downloads nothing.
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

apt_updated=
apt_update() {
	if [ -z "$apt_updated" ]; then
		log "apt-get update"
		$SUDO apt-get update -qq
		apt_updated=1
	fi
}

# The backports suite lives on the same mirror as the machine's bookworm
# entry.  Derive its URI from whichever sources format the machine uses so
# that no host name is ever written into this repository.
bookworm_uri() {
	local f uri
	for f in /etc/apt/sources.list.d/*.sources; do
		[ -e "$f" ] || continue
		uri=$(awk '
			BEGIN { RS = ""; FS = "\n" }
			{
				u = ""; s = 0; t = 0
				for (i = 1; i <= NF; i++) {
					if ($i ~ /^URIs:/)   { u = $i; sub(/^URIs:[ \t]*/, "", u); sub(/[ \t].*/, "", u) }
					if ($i ~ /^Suites:/ && $i ~ /[ \t]bookworm([ \t]|$)/) s = 1
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
		awk '$1 == "deb" && $0 ~ /[ \t]bookworm[ \t]/ {
			for (i = 2; i <= NF; i++) if ($i !~ /^\[/ && $i ~ /:\/\//) { print $i; exit }
		}'
}

enable_backports() {
	local list=/etc/apt/sources.list.d/winsock-bookworm-backports.sources uri
	if grep -rqs 'bookworm-backports' /etc/apt/sources.list /etc/apt/sources.list.d/; then
		return
	fi
	uri=$(bookworm_uri)
	if [ -z "$uri" ]; then
		echo "setup: no apt source for bookworm found; cannot derive bookworm-backports" >&2
		exit 1
	fi
	log "enabling bookworm-backports from the machine's bookworm mirror"
	printf 'Types: deb\nURIs: %s\nSuites: bookworm-backports\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' \
		"$uri" | $SUDO tee "$list" >/dev/null
	apt_updated=
	apt_update
}

# Packages for building and testing, host side.
host_pkgs=(build-essential make gcc gcc-multilib dwarves qemu-system-x86
	   busybox-static cpio libnl-3-dev libnl-genl-3-dev sparse kmod
	   pkg-config perl python3 xz-utils dkms cppcheck clang-tidy valgrind)

install_missing() {
	local missing=() p
	for p in "$@"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
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
# e.g. 6.1.0-NN-amd64.  Never hard-coded: Debian bumps the ABI.
resolve_release() {
	local suite=$1 dep
	dep=$(apt-cache depends -q ${suite:+-t "$suite"} linux-image-amd64 2>/dev/null |
		awk '/Depends: linux-image-[0-9]/ { print $2; exit }')
	if [ -z "$dep" ] && [ -n "$suite" ]; then
		# apt-cache depends does not honour -t; read the candidate from the suite.
		dep=$(apt-cache show "linux-image-amd64/$suite" 2>/dev/null |
			awk -F': ' '/^Depends:/ { split($2, a, /[ ,]/); print a[1]; exit }')
	fi
	dep=${dep#linux-image-}
	dep=${dep%-unsigned}
	echo "$dep"
}

fetch_kernel() {
	local rel=$1 deb
	local dir=$cache/kernels/$rel
	if [ -f "$dir/vmlinuz" ] && [ -f "$dir/config" ]; then
		return
	fi
	log "downloading kernel image $rel"
	mkdir -p "$dir"
	(cd "$cache/debs" && apt-get download -q "linux-image-$rel-unsigned" >/dev/null)
	deb=$(ls "$cache/debs"/linux-image-"$rel"-unsigned_*.deb | head -n1)
	rm -rf "$dir/x"
	dpkg-deb -x "$deb" "$dir/x"
	cp "$dir/x/boot/vmlinuz-$rel" "$dir/vmlinuz"
	cp "$dir/x/boot/config-$rel" "$dir/config"
	# Keep only the image and its config: the guests load no in-tree modules.
	rm -rf "$dir/x" "$deb"
}

fetch_kselftest() {
	local dst=$cache/linux-tools deb tarball
	if [ -f "$dst/tools/testing/selftests/kselftest_harness.h" ] &&
	   [ -f "$dst/scripts/checkpatch.pl" ]; then
		return
	fi
	log "extracting kselftest headers and checkpatch.pl from linux-source-6.1"
	(cd "$cache/debs" && apt-get download -q linux-source-6.1 >/dev/null)
	deb=$(ls "$cache/debs"/linux-source-6.1_*.deb | head -n1)
	mkdir -p "$dst"
	tarball=$(dpkg-deb -c "$deb" | awk '{ print $NF }' | grep 'linux-source-6.1.tar.xz$')
	dpkg-deb --fsys-tarfile "$deb" | tar -xO "$tarball" |
		tar -xJ -C "$dst" --strip-components=1 \
			linux-source-6.1/tools/testing/selftests/kselftest.h \
			linux-source-6.1/tools/testing/selftests/kselftest_harness.h \
			linux-source-6.1/scripts/checkpatch.pl \
			linux-source-6.1/scripts/spelling.txt \
			linux-source-6.1/scripts/const_structs.checkpatch
	rm -f "$deb"
}

main() {
	install_missing "${host_pkgs[@]}"
	enable_backports
	if ! apt-cache policy linux-image-amd64 | grep bookworm-backports >/dev/null; then
		apt_updated=
		apt_update
	fi

	local r61 r612
	r61=$(resolve_release "")
	r612=$(resolve_release bookworm-backports)
	case "$r61" in 6.1.*) ;; *) echo "setup: could not resolve the bookworm 6.1 kernel (got '$r61')" >&2; exit 1 ;; esac
	case "$r612" in 6.12.*) ;; *) echo "setup: could not resolve the backports 6.12 kernel (got '$r612')" >&2; exit 1 ;; esac

	install_missing "linux-headers-$r61"
	if ! dpkg-query -W -f='${Status}' "linux-headers-$r612" 2>/dev/null | grep -q 'install ok installed'; then
		apt_update
		log "installing linux-headers-$r612 (bookworm-backports)"
		$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
			--no-install-recommends -t bookworm-backports "linux-headers-$r612" >/dev/null
	fi

	fetch_kernel "$r61"
	fetch_kernel "$r612"
	fetch_kselftest

	cat >"$cache/kernels.mk.tmp" <<-MK
	# Written by scripts/setup.sh; do not edit.
	KERNELS := $r61 $r612
	KERNEL_DEFAULT := $r61
	KSFT_DIR := $cache/linux-tools/tools/testing/selftests
	CHECKPATCH := $cache/linux-tools/scripts/checkpatch.pl
	MK
	mv "$cache/kernels.mk.tmp" "$cache/kernels.mk"

	log "kernel 6.1 : $r61  headers /lib/modules/$r61/build  image $cache/kernels/$r61/vmlinuz"
	log "kernel 6.12: $r612  headers /lib/modules/$r612/build  image $cache/kernels/$r612/vmlinuz"
	log "kselftest  : $cache/linux-tools/tools/testing/selftests"
	log "checkpatch : $cache/linux-tools/scripts/checkpatch.pl"
}

main "$@"
