#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Runs inside the demo guest (make demo): winsock-audit monitor listens to
# the kernel's audit stream while winsock-demo makes its lookups, so each
# lookup the demo prints is followed by the event the kernel sent for it.
winsock-audit monitor 2>/tmp/audit.err &
monitor=$!
# Start the lookups only once the monitor has subscribed.
tries=0
until grep -q listening /tmp/audit.err 2>/dev/null; do
	tries=$((tries + 1))
	if [ $tries -gt 100 ]; then
		cat /tmp/audit.err
		exit 1
	fi
	sleep 0.1
done
echo "winsock-audit monitor is listening; its lines start with a timestamp."
echo
winsock-demo
rc=$?
sleep 1
kill -TERM $monitor
wait $monitor
echo
echo "winsock-audit stats:"
winsock-audit stats
exit $rc
