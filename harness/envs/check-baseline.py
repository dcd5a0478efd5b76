#!/usr/bin/env python3
"""check-baseline.py RUN_FOLDER [--baselines DIR]
   check-baseline.py --write RUN_FOLDER [--baselines DIR]

Checks one environment's run folder (reports/env-NAME/) against the known
divergences of that environment, with the same rules as the matrix
(harness/matrixlib.py: harness/baselines/<label>.txt, <key>.txt, all.txt;
one case name or glob per line, '#' starts the one-line reason):

  NEW      a failed or broken case that no baseline line lists
  known    a failed or broken case listed in the baseline
  fixed    a listed case that passed or skipped this time (a note)
  missing  a listed case that was not in the run (a note)

Prints one line per NEW / fixed / missing case and a total line.  Exit
status: 0 no new divergence; 1 new divergences or the environment did not
run; 2 bad input.

--write: (re)writes harness/baselines/<label>.txt from the run: every failed
or broken case with a reason (the reason already in the file when the case
was listed, else the first line of kyua's message).  Review it before
committing.  Python 3 standard library only.
"""
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
import matrixlib as ml  # noqa: E402

BAD = ("failed", "broken")


def die(msg):
    print("check-baseline: error: " + msg, file=sys.stderr)
    sys.exit(2)


def read_reasons(path):
    """{case: reason} of an existing baseline file."""
    out = {}
    if not os.path.isfile(path):
        return out
    with open(path, encoding="utf-8") as f:
        for line in f:
            body, _, why = line.partition("#")
            body = body.strip()
            if body:
                out[body.split()[0]] = why.strip()
    return out


def write_baseline(col, bdir):
    path = os.path.join(bdir, col["label"] + ".txt")
    old = read_reasons(path)
    bad = sorted(n for n, c in col["cases"].items() if c["result"] in BAD)
    head = []
    if os.path.isfile(path):
        with open(path, encoding="utf-8") as f:
            for line in f:
                if not line.startswith("#"):
                    break
                head.append(line.rstrip("\n"))
    lines = head or [
        "# Known divergences of the %s column (harness/env-run %s): one case"
        % (col["label"], col["key"]),
        "# per line, then '# ' and why.  harness/compare and the matrix flag",
        "# only failed/broken cases not listed here.  Regenerate with",
        "# harness/envs/check-baseline.py --write reports/%s, then review."
        % col["label"],
    ]
    for n in bad:
        why = old.get(n) or " ".join(
            col["cases"][n]["reason"].split())[:160]
        lines.append("%s  # %s" % (n, why))
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")
    os.replace(tmp, path)
    print("check-baseline: wrote %s (%d cases)" % (path, len(bad)))


def main(argv):
    bdir = os.path.join(os.path.dirname(HERE), "baselines")
    write = False
    args = []
    i = 0
    while i < len(argv):
        if argv[i] == "--baselines" and i + 1 < len(argv):
            bdir = argv[i + 1]
            i += 2
            continue
        if argv[i] == "--write":
            write = True
        elif argv[i].startswith("-"):
            die("unknown option %s (usage: check-baseline.py [--write] "
                "RUN_FOLDER [--baselines DIR])" % argv[i])
        else:
            args.append(argv[i])
        i += 1
    if len(args) != 1:
        die("usage: check-baseline.py [--write] RUN_FOLDER [--baselines DIR]")
    try:
        col = ml.load_run(args[0])
    except ml.InputError as e:
        die(str(e))
    name = col["label"]
    if col["status"] != "ran":
        print("check-baseline: %s did not run: %s" % (name, col["reason"]))
        return 1
    if write:
        os.makedirs(bdir, exist_ok=True)
        write_baseline(col, bdir)
        return 0
    try:
        pats = ml.load_baseline(bdir, col)
    except ml.InputError as e:
        die(str(e))
    new = known = 0
    for n in sorted(col["cases"]):
        c = col["cases"][n]
        if c["result"] not in BAD:
            continue
        if ml.known(pats, n):
            known += 1
        else:
            new += 1
            print("NEW     %s %s: %s: %s" % (name, n, c["result"],
                                            " ".join(c["reason"].split())))
    listed = [e[0] for e in pats]
    fixed = missing = 0
    for pat in listed:
        hits = [n for n in col["cases"] if n == pat or
                ml.fnmatch.fnmatchcase(n, pat)]
        if not hits:
            missing += 1
            print("missing %s %s: listed, not in this run" % (name, pat))
        elif not any(col["cases"][n]["result"] in BAD for n in hits):
            fixed += 1
            print("fixed   %s %s: listed, %s now" % (
                name, pat, "/".join(sorted(set(
                    col["cases"][n]["result"] for n in hits)))))
    t = col["totals"]
    print("check-baseline: %s: %d cases, %d new divergence(s), %d known, "
          "%d fixed, %d missing (%d passed, %d skipped) -> %s" % (
              name, len(col["cases"]), new, known, fixed, missing,
              t.get("passed", 0), t.get("skipped", 0),
              "NEW DIVERGENCE" if new else "ok"))
    return 1 if new else 0


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except BrokenPipeError:
        sys.exit(1)
