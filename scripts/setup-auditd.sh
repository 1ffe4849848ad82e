#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The Linux audit daemon for the test guests, never installed on the host.
#
# Debian's auditd package (and the libraries it needs that the host lacks)
# is downloaded with apt-get download and unpacked into cache/auditd/; the
# other libraries come from the host, which is the same Debian release.
# The result is a root-file-system overlay, cache/auditd/root, that
# scripts/qemu/run.sh -d merges into the guest's initramfs:
#
#   /sbin/{auditd,auditctl,ausearch,aureport}, their libraries and ld.so,
#   /etc/audit/auditd.conf for a guest (log in RAM, no network, no mail),
#   /etc/passwd and /etc/group (root, nobody) for ausearch -i, /var/log/audit
#
# Idempotent: the packages stay in the store ($WINSOCK_STORE/auditd-debs,
# else cache/auditd/debs), so a second run and a fresh clone download
# nothing, and an overlay built by this very script is kept.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cache=$top/cache/auditd
root=$cache/root
# The packages go to the machine's store beside setup.sh's (a fresh clone
# then downloads nothing), or into this tree's cache where it is not ours.
store=${WINSOCK_STORE:-/var/cache/winsock}
debs=$cache/debs
if mkdir -p "$store/auditd-debs" 2>/dev/null && [ -w "$store/auditd-debs" ]; then
	debs=$store/auditd-debs
fi
progs=(auditd auditctl ausearch aureport)

log() { printf 'setup-auditd: %s\n' "$*"; }
# The first of its arguments (a glob's first match), without a pipe.
first() { printf '%s\n' "$1"; }

installed() {
	[[ "$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null)" == *'install ok installed'* ]]
}

# auditd, plus every library package it or libauparse0 depends on that
# the host does not have (libauparse0 and libwrap0 on a stock Debian 12).
packages() {
	local p
	echo auditd
	apt-cache depends auditd libauparse0 2>/dev/null |
		awk '$1 == "Depends:" && $2 ~ /^lib/ { print $2 }' | sort -u |
		while read -r p; do
			installed "$p" || echo "$p"
		done
}

stamp=$(sha256sum "$0" | cut -d' ' -f1)
if [ -x "$root/sbin/auditd" ] && [ "$(cat "$cache/root.stamp" 2>/dev/null)" = "$stamp" ]; then
	log "auditd overlay up to date: $root"
	exit 0
fi

mkdir -p "$debs" "$cache"
# apt downloads as the unprivileged _apt user when it can write there.
if [ "$(id -u)" -eq 0 ] && id _apt >/dev/null 2>&1; then
	chown _apt "$debs"
fi
mapfile -t pkgs < <(packages)
for p in "${pkgs[@]}"; do
	if ! compgen -G "$debs/${p}_*.deb" >/dev/null; then
		log "downloading $p"
		(cd "$debs" && apt-get download -q "$p" >/dev/null)
	fi
done

work=$(mktemp -d "$cache/build.XXXXXX")
trap 'rm -rf "$work"' EXIT
for p in "${pkgs[@]}"; do
	dpkg-deb -x "$(first "$debs/${p}_"*.deb)" "$work/x"
done

new=$work/root
mkdir -p "$new"/{sbin,lib64,lib/x86_64-linux-gnu,etc/audit/plugins.d,var/log/audit,var/run,run}
chmod 700 "$new/var/log/audit"
for b in "${progs[@]}"; do
	install -m 755 "$work/x/sbin/$b" "$new/sbin/$b"
done

# Resolve the libraries as the guest's ld.so will: unpacked ones first.
libpath=$work/x/lib/x86_64-linux-gnu:$work/x/usr/lib/x86_64-linux-gnu
deps=$(for b in "${progs[@]}"; do LD_LIBRARY_PATH=$libpath ldd "$new/sbin/$b"; done)
if grep -q 'not found' <<<"$deps"; then
	echo "setup-auditd: libraries missing on the host and in the packages:" >&2
	grep 'not found' <<<"$deps" | sort -u >&2
	exit 1
fi
# "libfoo.so.N => /path (addr)"; ld.so itself is the line without "=>".
while read -r name _ path _; do
	cp -L "$path" "$new/lib/x86_64-linux-gnu/$name"
done < <(awk '$2 == "=>" && $3 ~ /^\// { print $1, $2, $3, $4 }' <<<"$deps" | sort -u)
ldso=$(awk '$1 ~ /^\/.*ld-linux/ { print $1; exit }' <<<"$deps")
cp -L "$ldso" "$new/lib64/$(basename "$ldso")"
# glibc loads libgcc_s at run time to unwind threads being cancelled.
# awk reads all of ldconfig's output: leaving early would kill it with
# SIGPIPE, which pipefail turns into a failed set-up (seen in CI, rc 141).
gcc_s=$(ldconfig -p | awk '$1 == "libgcc_s.so.1" && /x86-64/ && !p { p = $NF } END { print p }')
cp -L "$gcc_s" "$new/lib/x86_64-linux-gnu/libgcc_s.so.1"

# The daemon's configuration for a test guest: the log lives in RAM and
# is small, so the space checks never act; no network, no mail, no
# plugins.  A disk error suspends logging, which the test sees as
# missing records rather than as a silently shortened log.
cat >"$new/etc/audit/auditd.conf" <<'EOF'
# Written by scripts/setup-auditd.sh for the winsock test guests.
local_events = yes
write_logs = yes
log_file = /var/log/audit/audit.log
log_group = root
log_format = RAW
flush = INCREMENTAL_ASYNC
freq = 20
max_log_file = 256
num_logs = 2
priority_boost = 4
name_format = NONE
max_log_file_action = KEEP_LOGS
space_left = 2
space_left_action = IGNORE
verify_email = no
action_mail_acct = root
admin_space_left = 1
admin_space_left_action = IGNORE
disk_full_action = SUSPEND
disk_error_action = SUSPEND
use_libwrap = no
transport = TCP
distribute_network = no
q_depth = 2000
overflow_action = IGNORE
max_restarts = 10
plugin_dir = /etc/audit/plugins.d
end_of_event_timeout = 2
EOF
chmod 640 "$new/etc/audit/auditd.conf"
printf 'root:x:0:0:root:/:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n' >"$new/etc/passwd"
printf 'root:x:0:\nnogroup:x:65534:\n' >"$new/etc/group"
printf 'passwd: files\ngroup: files\n' >"$new/etc/nsswitch.conf"

# Swap the finished overlay in whole: a guest being built meanwhile copies
# either the old one or the new one.
rm -rf "$root.old"
[ ! -e "$root" ] || mv "$root" "$root.old"
mv "$new" "$root"
rm -rf "$root.old"
echo "$stamp" >"$cache/root.stamp"
log "auditd $(dpkg-deb -f "$(first "$debs"/auditd_*.deb)" Version) for the guests in $root"
