#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Runs inside the guest of scripts/audit-throughput.sh: a 1000-lookup burst
# that winsock-audit monitor must see whole, then N lookups read by
# monitor --json into a file, whose exit line is the throughput.
#
#   audit-throughput-guest.sh N   (as the guest program "throughput")
n=${1:-100000}
rc=0

# Right after boot the kernel still has work of its own, which the clock
# counts (-icount shift=0).
sleep 3

# One monitor run over LOOKUPS lookups, its JSON Lines into FILE.
measure() {
	lookups=$1 file=$2 err=$2.err
	# A file of its own: an old "listening" would start the lookups early.
	rm -f "$err"
	winsock-audit monitor --json --count "$lookups" >"$file" 2>"$err" &
	monitor=$!
	tries=0
	until grep -q listening "$err" 2>/dev/null; do
		tries=$((tries + 1))
		if [ $tries -gt 100 ]; then
			cat "$err"
			return 1
		fi
		sleep 0.1
	done
	winsock-flood --lookups "$lookups" || rc=1
	# --count ends the monitor unless events are missing: then stop it.
	tries=0
	while kill -0 $monitor 2>/dev/null && [ $tries -lt 300 ]; do
		tries=$((tries + 1))
		sleep 0.1
	done
	if kill -0 $monitor 2>/dev/null; then
		echo "WSAUDIT: the monitor is still waiting for events:"
		winsock-audit stats
		kill -TERM $monitor
	fi
	wait $monitor || rc=1
	grep -v listening "$err"
	events=$(grep -c '"seq"' "$file")
	lost=$(grep -c '"lost"' "$file")
	echo "WSAUDIT: $lookups lookups: $events events in $file, $lost gap lines"
	if [ "$events" -ne "$lookups" ] || [ "$lost" -ne 0 ]; then
		echo "WSAUDIT: FAIL: expected $lookups events and no gap"
		rc=1
	fi
}

measure 1000 /tmp/burst.json
measure "$n" /tmp/events.json
echo "WSAUDIT: file $(wc -c </tmp/events.json) bytes; first and last lines:"
head -n 1 /tmp/events.json
tail -n 1 /tmp/events.json
winsock-audit stats
exit $rc
