#!/usr/bin/env python3
"""check-known.py MATRIX_JSON: is every known divergence a fact about its
column, not a broken test case?

A case listed in a baseline file fails in that column by design; the
listing must not hide a case that is broken everywhere.  So every known
divergence of the matrix must pass (passed or expected failure) in at least
one column of a Debian kernel under qemu (environment "qemu"): there the
documented behaviour holds and the case proves it.

Prints one line per known divergence not proved elsewhere and a count line.
Exit status: 0 every known divergence passes in a Debian kernel column;
1 some do not; 2 bad input (no matrix, or no Debian kernel column ran).
Python 3 standard library only.
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import matrixlib as ml  # noqa: E402


def die(msg):
    print("check-known: error: " + msg, file=sys.stderr)
    sys.exit(2)


def main(argv):
    if len(argv) != 1 or argv[0].startswith("-"):
        die("usage: check-known.py MATRIX_JSON")
    m = ml.read_json(argv[0], "matrix.json") if os.path.isfile(
        argv[0]) else None
    if not isinstance(m, dict) or m.get("format") != ml.FORMAT:
        die("%s: not a matrix.json (format %s)" % (argv[0], ml.FORMAT))
    debian = {c["label"] for c in m.get("columns", [])
              if c.get("environment") == "qemu" and c.get("status") == "ran"}
    if not debian:
        die("%s: no Debian kernel column ran: nothing to prove the known "
            "divergences against" % argv[0])
    bad = 0
    known = m.get("known_failures") or []
    for k in known:
        where = [lab for lab in k.get("passes_in") or [] if lab in debian]
        if not where:
            bad += 1
            print("check-known: NOT PROVED %s %s: known divergence (%s) but "
                  "it does not pass in any Debian kernel column (%s): the "
                  "case may be broken" % (k["column"], k["case"],
                                          k.get("baseline"),
                                          " ".join(sorted(debian))))
    print("check-known: %d known divergences, %d proved sound in a Debian "
          "kernel column, %d not" % (len(known), len(known) - bad, bad))
    return 1 if bad else 0


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except ml.InputError as e:
        die(str(e))
