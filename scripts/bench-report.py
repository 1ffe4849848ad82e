#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Merge winsock-bench runs into bench/results-<release>.json and print
the README's tables from them.

  bench-report.py merge AUDIT.json NOAUDIT.json   > results-<release>.json
  bench-report.py table results-*.json            (Markdown on stdout)
"""
import json
import sys


def merge(audit_path, noaudit_path):
    with open(audit_path) as f:
        audit = json.load(f)
    with open(noaudit_path) as f:
        noaudit = json.load(f)
    audit["unit"] = "instructions per lookup (qemu -icount shift=0)"
    audit["without_audit"] = noaudit["results"]
    json.dump(audit, sys.stdout, indent=2)
    print()


def per_lookup(results, family, method):
    for r in results:
        if r["family"] == family and r["method"] == method:
            return r["per_lookup"]
    return None


def table(paths):
    runs = []
    for p in paths:
        with open(p) as f:
            runs.append(json.load(f))
    kernels = [r["kernel"] for r in runs]
    methods = ["native", "ws", "ioctl", "batch-1", "batch-8", "batch-64",
               "batch-256", "server", "ioctl+audit"]
    families = ["tcp4", "tcp6", "udp4", "unix"]
    print("Instructions per lookup (ratio to native `getpeername(2)`), "
          "median of %d runs of %d lookups:\n" % (runs[0]["runs"], runs[0]["iterations"]))
    for fam in families:
        print("| %s | %s |" % (fam, " | ".join(kernels)))
        print("|---|%s" % ("---:|" * len(kernels)))
        for m in methods:
            cells = []
            for r in runs:
                v = per_lookup(r["results"], fam, m)
                n = per_lookup(r["results"], fam, "native")
                cells.append("—" if v is None else "%.0f (%.2f)" % (v, v / n))
            print("| %s | %s |" % (m, " | ".join(cells)))
        print()
    print("The audit stream's cost with no listener (tcp4), module built "
          "with and without it (`WINSOCK_AUDIT=n`):\n")
    print("| path | %s |" % " | ".join(kernels))
    print("|---|%s" % ("---:|" * len(kernels)))
    for m in ["ws", "ioctl", "batch-64"]:
        cells = []
        for r in runs:
            with_a = per_lookup(r["results"], "tcp4", m)
            without = per_lookup(r["without_audit"], "tcp4", m)
            cells.append("%.0f vs %.0f (+%.1f %%)" % (with_a, without,
                                                      100.0 * (with_a / without - 1)))
        print("| %s | %s |" % (m, " | ".join(cells)))


def main():
    if len(sys.argv) == 4 and sys.argv[1] == "merge":
        merge(sys.argv[2], sys.argv[3])
    elif len(sys.argv) >= 3 and sys.argv[1] == "table":
        table(sys.argv[2:])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
