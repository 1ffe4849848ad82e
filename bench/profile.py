#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""make profile: where each lookup path spends its instructions, function
by function, on one kernel.

    profile.py RELEASE MODULE BENCH REPORT [--lookups N] [--only LIST]
               [--families LIST]

(defaults: 4096 lookups; native,ws,ioctl,batch-64; tcp4.  Each path takes
about a minute of single-stepping per family.)

Boots RELEASE under qemu with -icount shift=0 (scripts/qemu/run.sh) and
runs BENCH (winsock-bench) with --profile: it announces each path on the
console and runs it once; every path calls two marker functions where it
starts and stops its clock.  For each path this
script switches qemu into single-step mode with its exec trace on (the
human monitor's "singlestep on" and "log exec,nochain"), so that the trace
has one line per executed instruction, and switches both off again at the
path's end, and stops the guest while it counts the trace.  The guest
pauses after each announcement, long enough for this script to see it.
Only the lines between the first instructions of
wsb_profile_begin() and wsb_profile_end() are counted, so the pauses around
the run are not in the figures; interrupts that hit the run are.  The
guest boots with nokaslr and prints its /proc/kallsyms at the end, which
names the kernel's and the module's addresses; the bench's own (a static,
non-PIE executable) come from nm.

Writes REPORT: for each path, the instructions per lookup in total and in
every function that has at least 0.5 of them.  The totals match make
bench's figures to within a few instructions: an interrupt that lands in
the one traced run.
"""
import argparse
import base64
import bisect
import collections
import gzip
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def hmp(path, *commands):
    """Send human-monitor commands, each answered before the next."""
    with socket.socket(socket.AF_UNIX) as s:
        s.connect(path)
        s.settimeout(10)
        for c in commands:
            s.sendall((c + '\n').encode())
            time.sleep(0.1)


def count_window(trace, begin, end, out):
    """Instructions per address between the markers, with mawk (the traces
    are gigabytes; Python would take minutes)."""
    prog = ('$2 == b { on = 1 } on { c[$2]++ } $2 == e { on = 0 } '
            'END { for (k in c) print c[k], k }')
    with open(out, 'w') as f:
        subprocess.run(['mawk', '-F/', '-v', 'b=%016x' % begin, '-v', 'e=%016x' % end,
                        prog, trace], stdout=f, check=True)


def nm_symbols(binary):
    syms = []
    for line in subprocess.run(['nm', binary], capture_output=True, text=True,
                               check=True).stdout.splitlines():
        f = line.split()
        if len(f) == 3 and f[1] in 'tTwW':
            syms.append((int(f[0], 16), f[2]))
    return syms


def kallsyms(serial):
    text = open(serial, errors='replace').read()
    try:
        body = text[text.index('WSKALLSYMS-BEGIN') + 16:text.index('WSKALLSYMS-END')]
    except ValueError:
        sys.exit('profile: the guest printed no kallsyms (see %s)' % serial)
    syms = []
    for line in gzip.decompress(base64.b64decode(''.join(body.split()))).decode().splitlines():
        f = line.split()
        name = f[2] + (' ' + f[3] if len(f) > 3 else '')
        syms.append((int(f[0], 16), name))
    return syms


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('release')
    ap.add_argument('module')
    ap.add_argument('bench')
    ap.add_argument('report')
    ap.add_argument('--lookups', type=int, default=4096)
    ap.add_argument('--only', default='native,ws,ioctl,batch-64')
    ap.add_argument('--families', default='tcp4')
    ap.add_argument('--keep', metavar='DIR',
                    help='keep the serial log and each path\'s counts per address in DIR '
                         '(to annotate a function\'s disassembly)')
    a = ap.parse_args()

    marks = {name: addr for addr, name in nm_symbols(a.bench)}
    begin, end = marks['wsb_profile_begin'], marks['wsb_profile_end']
    work = tempfile.mkdtemp(prefix='wsprofile.')
    try:
        mon, serial = work + '/monitor', work + '/serial.log'
        qemu_args = '-monitor unix:%s,server,nowait -D %s/none.log' % (mon, work)
        guest = subprocess.Popen(
            ['bash', TOP + '/scripts/qemu/run.sh', '-r', a.release, '-m', a.module,
             '-l', serial, '-i', '-t', '3600', '-a', 'nokaslr', '-q', qemu_args,
             '%s:--profile --iterations %d --only %s --families %s --settle 3'
             % (a.bench, a.lookups, a.only, a.families),
             TOP + '/scripts/qemu/kallsyms-guest.sh'],
            stdout=subprocess.DEVNULL)
        windows, seen, current = [], 0, None
        while True:
            done = guest.poll() is not None
            try:
                data = open(serial, errors='replace').read()
            except FileNotFoundError:
                data = ''
            lines = data[:data.rfind('\n') + 1].splitlines()
            for line in lines[seen:]:
                f = line.split()
                if line.startswith('WSPROFILE: begin'):
                    current = (f[2], f[3], int(f[4]), '%s/trace-%d.log' % (work, len(windows)))
                    hmp(mon, 'stop', 'logfile ' + current[3], 'singlestep on',
                        'log exec,nochain', 'cont')
                elif line.startswith('WSPROFILE: end') and current:
                    # The guest waits, stopped, while its trace is counted.
                    hmp(mon, 'stop', 'log none', 'singlestep off',
                        'logfile %s/none.log' % work)
                    counts = current[3] + '.counts'
                    count_window(current[3], begin, end, counts)
                    os.unlink(current[3])
                    hmp(mon, 'cont')
                    windows.append(current[:3] + (counts,))
                    print('profile: %s %s %s' % (a.release, current[0], current[1]),
                          file=sys.stderr)
                    current = None
            seen = len(lines)
            if done:
                break
            time.sleep(0.05)
        if guest.returncode:
            sys.exit('profile: the guest failed (%d)' % guest.returncode)

        syms = sorted(kallsyms(serial) + nm_symbols(a.bench))
        addrs = [s[0] for s in syms]
        with open(a.report, 'w') as rep:
            rep.write('# make profile: instructions per lookup, by function (%s)\n' % a.release)
            rep.write('# qemu single-step trace under -icount shift=0; user: winsock-bench and libc\n')
            for fam, path, lookups, counts in windows:
                per = collections.Counter()
                total = 0
                for line in open(counts):
                    f = line.split()
                    if len(f) != 2:
                        continue
                    c, pc = int(f[0]), int(f[1], 16)
                    total += c
                    j = bisect.bisect_right(addrs, pc) - 1
                    name = syms[j][1] if j >= 0 else '?'
                    if pc < 0x800000000000:
                        name = 'user: ' + name
                    per[name] += c
                if total < lookups:
                    sys.exit('profile: %s %s: the trace missed the run (%d instructions)'
                             % (fam, path, total))
                rep.write('\n## %s %s: %.1f per lookup (%d lookups)\n' % (fam, path, total / lookups, lookups))
                rest = 0
                for name, c in per.most_common():
                    if c / lookups >= 0.5:
                        rep.write('%8.1f  %s\n' % (c / lookups, name))
                    else:
                        rest += c
                rep.write('%8.1f  (functions under 0.5 each)\n' % (rest / lookups))
        print('profile: wrote %s' % a.report, file=sys.stderr)
        if a.keep:
            os.makedirs(a.keep, exist_ok=True)
            shutil.copy(serial, a.keep)
            for fam, path, lookups, counts in windows:
                shutil.copy(counts, '%s/%s-%s.counts' % (a.keep, fam, path))
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == '__main__':
    main()
