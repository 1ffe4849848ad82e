#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# make profile's last guest program: the kernel's and the module's text
# symbols, for bench/profile.py to name the traced addresses (the guest
# boots with nokaslr; Debian's own System.map is a stub).  Compressed: the
# console is slow and the table is large.
echo WSKALLSYMS-BEGIN
grep -E ' [tTwW] ' /proc/kallsyms | gzip -9 | base64
echo WSKALLSYMS-END
