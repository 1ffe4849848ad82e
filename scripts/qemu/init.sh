#!/bin/busybox sh
# SPDX-License-Identifier: GPL-2.0
#
# /init of the test guest.  Mounts the pseudo filesystems, brings up lo,
# loads winsock.ko, runs every program listed in /guest/programs, then
# dumps the kernel log and powers off.  Lines starting with "WSGUEST:" are
# read by scripts/qemu/verdict.awk on the host.
/bin/busybox --install -s /bin
export PATH=/bin:/sbin:/guest
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null
mount -t tracefs tracefs /sys/kernel/tracing 2>/dev/null
mkdir -p /tmp && mount -t tmpfs tmpfs /tmp
ip link set lo up

# Keep the kernel off the console while tests print; its log is dumped
# whole at the end (and panics still reach the console).
dmesg -n 1

echo "WSGUEST: kernel $(uname -r)"
export WINSOCK_KO=/guest/winsock.ko
if insmod "$WINSOCK_KO"; then
	echo "WSGUEST: insmod ok"
	while read -r prog args; do
		[ -n "$prog" ] || continue
		echo "WSGUEST: run $prog"
		# shellcheck disable=SC2086
		/guest/"$prog" $args >/tmp/out 2>&1
		rc=$?
		cat /tmp/out
		echo "WSGUEST: exit $prog $rc"
	done </guest/programs
else
	echo "WSGUEST: insmod failed"
fi

echo "WSGUEST: dmesg begin"
dmesg
echo "WSGUEST: dmesg end"
echo "WSGUEST: done"
poweroff -f
