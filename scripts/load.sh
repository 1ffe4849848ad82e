#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make load / make unload: put winsock.ko into the running kernel, or take
# it out, on a machine whose kernel loads modules (make check and make demo
# never do this: they boot their own kernels under qemu).
#
#   scripts/load.sh load [module.ko]   default build/$(uname -r)/winsock.ko,
#                                      else the installed module (modprobe)
#   scripts/load.sh unload
#
# Before loading it checks what commonly refuses an out-of-tree module
# (no privilege, a container, no module support, modules_disabled,
# lockdown, Secure Boot and signature enforcement, a module built for
# another kernel) and says what to do about each, instead of leaving the
# user with insmod's bare errno.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
rel=$(uname -r)
problems=()
unsigned=

say() {
	printf 'load.sh: %s\n' "$*"
}

problem() {
	problems+=("$*")
}

report_problems() {
	local p
	say "cannot $1 winsock on this machine (kernel $rel):"
	for p in "${problems[@]}"; do
		echo
		printf -- '- %s\n' "$p" | fold -s -w 76 | sed -e 's/ *$//' -e 's/^/  /' -e '2,$s/^/  /'
	done
}

in_container() {
	if command -v systemd-detect-virt >/dev/null 2>&1; then
		systemd-detect-virt --container --quiet && return 0
	fi
	[ -e /.dockerenv ] || [ -e /run/.containerenv ] ||
		grep -qsE '(docker|lxc|kubepods|containerd)' /proc/1/cgroup
}

container_kind() {
	systemd-detect-virt --container 2>/dev/null || echo "container"
}

# CAP_SYS_MODULE is bit 16 of the effective capability set.
has_cap_sys_module() {
	local eff
	eff=$(awk '/^CapEff:/ { print $2 }' /proc/self/status)
	[ -n "$eff" ] && (( (16#$eff >> 16) & 1 ))
}

check_privilege() {
	local what=$1
	if [ "$(id -u)" -ne 0 ]; then
		problem "$what needs root: sudo make $what"
	elif ! has_cap_sys_module; then
		if in_container; then
			problem "this is a container without CAP_SYS_MODULE: it shares the host's kernel and may not $what modules. $what winsock on the host instead, with a module built for the host's kernel (or start the container with --cap-add SYS_MODULE)."
		else
			problem "this process lacks CAP_SYS_MODULE (a sandbox or the capability bounding set dropped it): $what the module from a full root shell."
		fi
	fi
}

check_module_support() {
	local where=
	if [ ! -e /proc/modules ]; then
		if in_container; then
			where=" This is a container ($(container_kind)), which runs on its host's kernel."
		fi
		problem "the running kernel has no loadable module support (CONFIG_MODULES is not set: there is no /proc/modules, and insmod fails with 'Function not implemented').$where winsock runs on kernels that load modules, such as the ones make check and make demo boot under qemu."
		return 1
	fi
	if [ "$(cat /proc/sys/kernel/modules_disabled 2>/dev/null || echo 0)" = 1 ]; then
		problem "module loading is disabled (kernel.modules_disabled = 1); it stays off until the next boot."
		return 1
	fi
}

sign_hint() {
	local ko=$1 sign_file hash
	sign_file=/usr/src/linux-headers-$rel/scripts/sign-file
	[ -x "$sign_file" ] || sign_file=/lib/modules/$rel/build/scripts/sign-file
	hash=$(sed -n 's/^CONFIG_MODULE_SIG_HASH="\(.*\)"/\1/p' "/boot/config-$rel" \
		"/lib/modules/$rel/build/.config" 2>/dev/null | head -n 1) || true
	hash=${hash:-sha256}
	cat <<-EOF
	  Sign the module with the machine's DKMS key (dkms creates the pair on
	  its first build; the openssl line makes one if there is none):
	    key=/var/lib/dkms/mok.key cert=/var/lib/dkms/mok.pub
	    [ -f \$key ] || openssl req -new -x509 -nodes -days 36500 \\
	        -subj "/CN=DKMS module signing key" -newkey rsa:2048 \\
	        -keyout \$key -outform DER -out \$cert
	    $sign_file $hash \$key \$cert \\
	        $ko
	  (on Ubuntu: kmodsign $hash \$key \$cert $ko)
	  then enrol the key once: mokutil --import \$cert, reboot and confirm
	  it in the MOK manager.  A module installed by make dkms-install is
	  signed with that key by dkms already.
	EOF
}

# Lockdown, Secure Boot (Debian's kernels lock down under it) or
# module.sig_enforce: only modules signed by a trusted key load.
check_signature() {
	local ko=$1 why=() lockdown sb
	lockdown=$(cat /sys/kernel/security/lockdown 2>/dev/null || true)
	case $lockdown in
	*'[integrity]'* | *'[confidentiality]'*)
		lockdown=${lockdown#*[}
		why+=("kernel lockdown is '${lockdown%%]*}'")
		;;
	esac
	if command -v mokutil >/dev/null 2>&1; then
		sb=$(mokutil --sb-state 2>/dev/null || true)
		case $sb in
		*'SecureBoot enabled'*) why+=("Secure Boot is enabled") ;;
		esac
	fi
	if [ "$(cat /sys/module/module/parameters/sig_enforce 2>/dev/null || echo N)" = Y ]; then
		why+=("module signatures are enforced (module.sig_enforce)")
	fi
	[ ${#why[@]} -gt 0 ] || return 0
	if [ -z "$(modinfo -F signer "$ko" 2>/dev/null)" ]; then
		problem "$(printf '%s, ' "${why[@]}")so the kernel only loads signed modules, and $ko is not signed (how to sign it: below)."
		unsigned=$ko
	else
		say "note: ${why[0]}; $ko is signed by '$(modinfo -F signer "$ko")', whose key the kernel must trust (mokutil --import)."
	fi
}

# The module to load: an explicit path, this tree's build for the running
# kernel, or the installed one.  Sets $loader and $ko.
find_module() {
	ko=${1:-$top/build/$rel/winsock.ko}
	loader=insmod
	if [ -f "$ko" ]; then
		return 0
	elif [ -z "${1:-}" ] && modinfo -k "$rel" -n winsock >/dev/null 2>&1; then
		ko=$(modinfo -k "$rel" -n winsock)
		loader=modprobe
		return 0
	elif [ -n "${1:-}" ]; then
		problem "$ko does not exist."
	elif [ ! -e "/lib/modules/$rel/build/Makefile" ]; then
		problem "there is no winsock.ko for kernel $rel: it is neither installed nor built in build/$rel/, and it cannot be built because this kernel's headers are missing (/lib/modules/$rel/build). Install them (apt-get install linux-headers-$rel), then run make load again."
	else
		problem "there is no winsock.ko for kernel $rel: run make load (it builds build/$rel/winsock.ko first), or make install / make dkms-install."
	fi
	return 1
}

check_vermagic() {
	local ko=$1 vermagic
	vermagic=$(modinfo -F vermagic "$ko" 2>/dev/null || true)
	if [ "${vermagic%% *}" != "$rel" ]; then
		problem "$ko was built for kernel '${vermagic%% *}', not for the running kernel $rel: make $top/build/$rel/winsock.ko, or pass the right module."
	fi
}

# insmod reports only an errno; say what it means here.
explain_load_error() {
	case $1 in
	*'Operation not permitted'*)
		say "the kernel refused: no CAP_SYS_MODULE, a container, modules_disabled, or lockdown refusing an unsigned module." ;;
	*'Function not implemented'*)
		say "the kernel has no module loading (CONFIG_MODULES=n), or a sandbox filters the system call." ;;
	*'Key was rejected'* | *'Required key not available'* | *'Key has been revoked'*)
		say "the kernel does not trust the module's signature:"
		sign_hint "$2" ;;
	*'Invalid module format'* | *'Exec format error'*)
		say "the module does not match this kernel (vermagic or symbol versions); dmesg says which: rebuild it for $rel." ;;
	*'Unknown symbol'*)
		say "the kernel lacks a symbol the module needs; dmesg names it." ;;
	esac
}

load() {
	local out
	if [ -d /sys/module/winsock ]; then
		say "winsock is already loaded (version $(cat /sys/module/winsock/version 2>/dev/null || echo '?'))."
		return 0
	fi
	check_privilege load
	if check_module_support && find_module "${1:-}"; then
		check_vermagic "$ko"
		check_signature "$ko"
	fi
	if [ ${#problems[@]} -gt 0 ]; then
		report_problems load
		if [ -n "$unsigned" ]; then
			echo
			sign_hint "$unsigned"
		fi
		return 1
	fi

	if in_container; then
		say "note: this is a container; the module goes into the host's kernel."
	fi
	if [ "$loader" = modprobe ]; then
		say "modprobe winsock ($ko)"
		out=$(modprobe winsock 2>&1) || true
	else
		say "insmod $ko"
		out=$(insmod "$ko" 2>&1) || true
	fi
	if [ ! -d /sys/module/winsock ]; then
		echo "$out" >&2
		explain_load_error "$out" "$ko"
		return 1
	fi
	if command -v udevadm >/dev/null 2>&1; then
		udevadm settle --timeout=5 2>/dev/null || true
	fi
	if [ ! -c /dev/winsock ]; then
		say "winsock is loaded, but /dev/winsock did not appear (no devtmpfs or udev?)."
		return 1
	fi
	say "winsock $(cat /sys/module/winsock/version) loaded: $(stat -c '%n, mode %a' /dev/winsock)"
}

unload() {
	local out refs
	if [ ! -d /sys/module/winsock ]; then
		if [ ! -e /proc/modules ]; then
			say "winsock is not loaded (the running kernel $rel has no loadable module support)."
		else
			say "winsock is not loaded."
		fi
		return 0
	fi
	check_privilege unload
	if [ ${#problems[@]} -gt 0 ]; then
		report_problems unload
		return 1
	fi
	say "rmmod winsock"
	if ! out=$(rmmod winsock 2>&1); then
		echo "$out" >&2
		refs=$(cat /sys/module/winsock/refcnt 2>/dev/null || echo '?')
		case $out in
		*'in use'* | *'Resource temporarily unavailable'*)
			say "winsock is in use ($refs references): programs still hold /dev/winsock open; fuser -v /dev/winsock lists them." ;;
		esac
		return 1
	fi
	say "winsock unloaded."
}

case ${1:-} in
load) load "${2:-}" ;;
unload) unload ;;
*)
	echo "usage: $0 load [module.ko] | unload" >&2
	exit 2
	;;
esac
