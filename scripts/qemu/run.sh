#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Boot one kernel under qemu (TCG, no network device) with winsock.ko and
# the given programs in an initramfs, run them, and write the serial log.
#
#   scripts/qemu/run.sh -r RELEASE -m winsock.ko -l LOG [-t SECONDS] [-i] [-f FILE]... [-d DIR]...
#                       [-a KERNEL_ARGS] [-q QEMU_ARGS] PROG[:ARGS]...
#
#   -r  kernel release (its image comes from cache/kernels/RELEASE)
#   -m  the module to load
#   -l  where to write the serial console log
#   -t  hard timeout of the boot (default 300 s)
#   -i  boot with -icount shift=0: the guest clock counts instructions
#   -f  a file the programs use (a tool they run): copied into /guest,
#       which is on the guest's PATH, but not run itself
#   -d  a directory tree merged into the initramfs root (DIR/sbin/x
#       becomes /sbin/x), e.g. cache/auditd/root from setup-auditd.sh
#   -a  more kernel command line (make profile: nokaslr)
#   -q  more qemu arguments, split at spaces (make profile: its monitor
#       socket and trace file)
#
# Each PROG is PATH[@NAME][:ARGS]: NAME is what the guest calls it (by
# default the file name), ":ARGS" passes arguments.  The exit status is that
# of qemu (124 on timeout); the verdict comes from verdict.awk.
#
# WINSOCK_GUEST_STALL=MS/PERIOD stops qemu for MS milliseconds every PERIOD,
# as a busy host does (a stopped qemu's guest finds its clock moved on):
# the tests' time bounds must hold under it, e.g.
#   WINSOCK_GUEST_STALL=400/1500 make check-kernel RELEASE=6.1.0-57-amd64
set -euo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
release= module= log= timeout=300 icount=
files=() dirs=() kargs= qargs=()
stall=${WINSOCK_GUEST_STALL:-}
if [ -n "$stall" ] && ! [[ $stall =~ ^[1-9][0-9]*/[1-9][0-9]*$ && ${stall%/*} -lt ${stall#*/} ]]; then
	echo "qemu/run.sh: WINSOCK_GUEST_STALL=$stall is not MS/PERIOD with MS < PERIOD" >&2
	exit 2
fi
while getopts "r:m:l:t:if:d:a:q:" opt; do
	case $opt in
	r) release=$OPTARG ;;
	m) module=$OPTARG ;;
	l) log=$OPTARG ;;
	t) timeout=$OPTARG ;;
	i) icount=1 ;;
	f) files+=("$OPTARG") ;;
	d) dirs+=("$OPTARG") ;;
	a) kargs=$OPTARG ;;
	q) read -r -a qargs <<<"$OPTARG" ;;
	*) exit 2 ;;
	esac
done
shift $((OPTIND - 1))
if [ -z "$release" ] || [ -z "$module" ] || [ -z "$log" ]; then
	echo "usage: scripts/qemu/run.sh -r RELEASE -m MODULE -l LOG [-t S] [-i] [-f FILE] [-d DIR] PROG..." >&2
	exit 2
fi

kdir=$top/cache/kernels/$release
if [ ! -f "$kdir/vmlinuz" ]; then
	echo "qemu/run.sh: no kernel image for $release (run scripts/setup.sh)" >&2
	exit 2
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
root=$work/root
mkdir -p "$root"/{bin,sbin,proc,sys,dev,tmp,guest}
for d in ${dirs[@]+"${dirs[@]}"}; do
	if [ ! -d "$d" ]; then
		echo "qemu/run.sh: no directory $d" >&2
		exit 2
	fi
	cp -a "$d/." "$root/"
done
cp /bin/busybox "$root/bin/busybox"
cp "$top/scripts/qemu/init.sh" "$root/init"
chmod 755 "$root/init"
cp "$module" "$root/guest/winsock.ko"
: >"$root/guest/programs"
for f in ${files[@]+"${files[@]}"}; do
	cp "$f" "$root/guest/"
done
for p in "$@"; do
	spec=${p%%:*}
	args=
	[ "$spec" = "$p" ] || args=${p#*:}
	path=${spec%%@*}
	name=$(basename "$path")
	[ "$path" = "$spec" ] || name=${spec#*@}
	if [ -e "$root/guest/$name" ]; then
		echo "qemu/run.sh: two programs named $name" >&2
		exit 2
	fi
	cp "$path" "$root/guest/$name"
	echo "$name $args" >>"$root/guest/programs"
done
# Owned by root in the guest whoever builds it: daemons such as auditd
# refuse configuration files that another user could have written.
(cd "$root" && find . | cpio -o -H newc -R 0:0 --quiet | gzip -1) >"$work/initrd.gz"

append="console=ttyS0 panic=-1 panic_on_warn=1 oops=panic"
# KFENCE is built into the 6.12 image (sampling off by default): turn it on.
if grep -q '^CONFIG_KFENCE=y' "$kdir/config"; then
	append="$append kfence.sample_interval=10"
fi
[ -z "$kargs" ] || append="$append $kargs"

# One host thread for all vCPUs (thread=single): Debian 12's qemu 7.2 in
# multi-threaded TCG mishandles the kernel's live text patching (a
# tracepoint or static key switched while other vCPUs run through the
# site): the guest livelocks in its int3 handler (6.1) or oopses on an
# int3 (6.12, 7.3), even with no winsock code patched.  The vCPUs still
# interleave, so the race tests still race.
qemu=(qemu-system-x86_64 -machine q35 -accel tcg,thread=single -cpu max -m 1024
      -display none -monitor none -nic none -no-reboot
      -serial "file:$log"
      -kernel "$kdir/vmlinuz" -initrd "$work/initrd.gz" -append "$append")
qemu+=(${qargs[@]+"${qargs[@]}"})
if [ -n "$icount" ]; then
	qemu+=(-smp 1 -icount shift=0)
else
	qemu+=(-smp 2)
fi

# Stop and continue the children of process $1 (timeout's: qemu) with
# the WINSOCK_GUEST_STALL rhythm until it ends.
stall_loop() {
	local parent=$1 stop run
	stop=$(awk -v ms="${stall%/*}" 'BEGIN { printf "%.3f", ms / 1000 }')
	run=$(awk -v ms="${stall%/*}" -v p="${stall#*/}" 'BEGIN { printf "%.3f", (p - ms) / 1000 }')
	while kill -0 "$parent" 2>/dev/null; do
		sleep "$run"
		pkill -STOP -P "$parent" || true
		sleep "$stop"
		pkill -CONT -P "$parent" || true
	done
}

: >"$log"
rc=0
if [ -z "$stall" ]; then
	timeout --foreground -k 5 "$timeout" "${qemu[@]}" </dev/null || rc=$?
else
	timeout -k 5 "$timeout" "${qemu[@]}" </dev/null &
	qpid=$!
	stall_loop "$qpid" &
	spid=$!
	wait "$qpid" || rc=$?
	kill "$spid" 2>/dev/null || true
	wait "$spid" 2>/dev/null || true
fi
exit $rc
