#!/usr/bin/env python3
"""capture.py: lcov tracefiles from the gcov kernel's .gcda (harness/kcov/run.sh).

  capture.py --obj BUILD --out DIR [--jobs N] [--table-only] NAME=GCDA_DIR...
      For each NAME: GCDA_DIR/*.gcda (the .gcda of mm/, as the guest sent
      them) against BUILD/mm/*.gcno -> DIR/NAME.info, the source files under
      */mm/* only (what `lcov -c` then `lcov --extract '*/mm/*'` wrote), or
      with --table-only only the summary table's files (report.FILES; the
      per-program tracefiles).  NAMEs run in parallel (N, default: CPUs).
  capture.py --table-files
      The .gcda base names of the table's files, one a line (the guest
      copies only those for each test program).

What lcov's geninfo does, without its cost (~8 s of perl per data set):
one `gcov --json-format --stdout` per data set (~0.3 s for all of mm/),
counts of a line or function seen more than once summed, as lcov sums
them; no branch data (lcov_branch_coverage=0).  Exit status 0, or 1 with
one line per failed data set.  Standard library only.
"""
import concurrent.futures
import fnmatch
import json
import os
import subprocess
import sys
import tempfile

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from report import FILES, rel  # noqa: E402


def gcda_name(f):
    return os.path.splitext(os.path.basename(f))[0]


def capture(obj, name, gdir, out, table_only):
    """One data set; returns an error message or None."""
    want = {gcda_name(f) for f in FILES} if table_only else None
    with tempfile.TemporaryDirectory(prefix="mc-gcov.") as w:
        os.mkdir(os.path.join(w, "mm"))
        gcdas = []
        for fn in sorted(os.listdir(gdir)):
            b, ext = os.path.splitext(fn)
            gcno = os.path.join(obj, "mm", b + ".gcno")
            if ext != ".gcda" or (want is not None and b not in want) or \
                    not os.path.isfile(gcno):
                continue
            os.symlink(os.path.abspath(os.path.join(gdir, fn)),
                       os.path.join(w, "mm", fn))
            os.symlink(gcno, os.path.join(w, "mm", b + ".gcno"))
            gcdas.append("mm/" + fn)
        if not gcdas:
            return "%s: no .gcda of mm/ in %s" % (name, gdir)
        p = subprocess.run(["gcov", "--json-format", "--stdout"] + gcdas,
                           cwd=w, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE)
    docs = p.stdout.splitlines()
    if p.returncode != 0 or len(docs) != len(gcdas):
        err = [l for l in p.stderr.decode(errors="replace").splitlines() if l]
        return "%s: gcov failed (exit %d, %d of %d files): %s" % (
            name, p.returncode, len(docs), len(gcdas),
            err[-1] if err else "no message")
    files = {}
    for d in docs:
        for f in json.loads(d)["files"]:
            path = f["file"]
            if table_only:
                if rel(path) not in FILES:
                    continue
            elif not fnmatch.fnmatchcase(path, "*/mm/*"):
                continue
            e = files.setdefault(path, {"lines": {}, "fns": {}})
            for fn in f.get("functions", []):
                n, c, ln = fn.get("name"), fn.get("execution_count"), \
                    fn.get("start_line")
                if n is None or c is None or ln is None:
                    continue
                old = e["fns"].get(n)
                e["fns"][n] = (ln if old is None else old[0],
                               c + (old[1] if old else 0))
            for ln in f.get("lines", []):
                n, c = ln.get("line_number"), ln.get("count")
                if n is None or c is None:
                    continue
                e["lines"][n] = e["lines"].get(n, 0) + c
    L = []
    for path in sorted(files):
        e = files[path]
        L.append("TN:")
        L.append("SF:" + path)
        fns = sorted(e["fns"].items(), key=lambda kv: (kv[1][0], kv[0]))
        L.extend("FN:%d,%s" % (ln, n) for n, (ln, c) in fns)
        L.extend("FNDA:%d,%s" % (c, n) for n, (ln, c) in fns)
        L.append("FNF:%d" % len(fns))
        L.append("FNH:%d" % sum(1 for _, (ln, c) in fns if c > 0))
        L.extend("DA:%d,%d" % (n, c) for n, c in sorted(e["lines"].items()))
        L.append("LF:%d" % len(e["lines"]))
        L.append("LH:%d" % sum(1 for c in e["lines"].values() if c > 0))
        L.append("end_of_record")
    dest = os.path.join(out, name + ".info")
    os.makedirs(os.path.dirname(dest), exist_ok=True)
    with open(dest + ".tmp", "w") as f:
        f.write("\n".join(L) + "\n")
    os.replace(dest + ".tmp", dest)
    return None


def main(argv):
    if argv == ["--table-files"]:
        print("\n".join(gcda_name(f) for f in FILES))
        return 0
    obj = out = None
    jobs = os.cpu_count() or 1
    table_only = False
    sets = []
    i = 0
    while i < len(argv):
        a = argv[i]
        if a in ("--obj", "--out", "--jobs") and i + 1 < len(argv):
            v = argv[i + 1]
            if a == "--obj":
                obj = v
            elif a == "--out":
                out = v
            else:
                jobs = max(1, int(v))
            i += 2
            continue
        if a == "--table-only":
            table_only = True
        elif "=" in a and not a.startswith("-"):
            sets.append(a.split("=", 1))
        else:
            print("capture.py: error: bad argument %s (see its header)" % a,
                  file=sys.stderr)
            return 2
        i += 1
    if not obj or not out or not sets:
        print("capture.py: error: usage: capture.py --obj BUILD --out DIR "
              "[--jobs N] [--table-only] NAME=GCDA_DIR...", file=sys.stderr)
        return 2
    with concurrent.futures.ProcessPoolExecutor(min(jobs, len(sets))) as ex:
        errs = [e for e in ex.map(capture, [obj] * len(sets),
                                  [n for n, _ in sets], [d for _, d in sets],
                                  [out] * len(sets),
                                  [table_only] * len(sets)) if e]
    for e in errs:
        print("capture.py: error: " + e, file=sys.stderr)
    return 1 if errs else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
