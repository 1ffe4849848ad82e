#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Merge winsock-bench runs into bench/results-<release>.json and print
the README's tables from them.

  report.py merge AUDIT.json NOAUDIT.json   > results-<release>.json
  report.py table results-*.json            (Markdown on stdout; the
                                                  io_uring table for each
                                                  kernel that has its peer)
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
            return r.get("per_lookup")
    return None


def skipped(results):
    """The reasons winsock-bench gave for the paths it skipped, in order."""
    why = []
    for r in results:
        if "skipped" in r and r["skipped"] not in why:
            why.append(r["skipped"])
    return why


def uring_table(run, families):
    """io_uring's peer beside native and the batch ioctl, one kernel's run."""
    methods = ["native", "batch-1", "batch-8", "batch-64", "batch-256",
               "uring-1", "uring-8", "uring-64", "uring-256"]
    if all(per_lookup(run["results"], f, "uring-1") is None for f in families):
        return
    print("io_uring beside native and the batch ioctl on %s, instructions per "
          "lookup (ratio to native), one boot:\n" % run["kernel"])
    print("| path | %s |" % " | ".join(families))
    print("|---|%s" % ("---:|" * len(families)))
    for m in methods:
        cells = []
        for fam in families:
            v = per_lookup(run["results"], fam, m)
            n = per_lookup(run["results"], fam, "native")
            cells.append("—" if v is None else "%.0f (%.2f)" % (v, v / n))
        print("| %s | %s |" % (m, " | ".join(cells)))
    print()


def table(paths):
    runs = []
    for p in paths:
        with open(p) as f:
            runs.append(json.load(f))
    kernels = [r["kernel"] for r in runs]
    methods = ["native", "ws", "ioctl", "batch-1", "batch-8", "batch-64",
               "batch-256", "uring-1", "uring-8", "uring-64", "uring-256",
               "server", "ioctl+audit", "ioctl+nsaudit"]
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
    for r in runs:
        for why in skipped(r["results"]):
            print("%s: skipped: %s\n" % (r["kernel"], why))
    for r in runs:
        uring_table(r, families)
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
