#!/usr/bin/env python3
"""report.py: the summary of a kernel-coverage run (harness/kernel-coverage).

Reads lcov tracefiles (the suite's, the harness-only baseline's, one per
test program) and writes into --out:
  coverage.json    the table (line and function coverage of the mm/ files
                   that implement the semantics, suite and baseline), the
                   functions no case reaches, per-program figures
  summary.txt      the same table as text
  unreached.txt    functions of mm/mmap.c, mprotect.c, mremap.c, madvise.c
                   with no hit while the suite ran
  per-program.txt  for each test program: its time, line/function % of the
                   table's files, and the functions of those files that it
                   reaches and the baseline does not
and adds the table as "kernel_coverage" to --run-summary (summary.json of
the gcov kernel's run folder).  Standard library only.
"""
import argparse
import json
import os
import sys

FILES = ["mm/mmap.c", "mm/vma.c", "mm/memory.c", "mm/mprotect.c",
         "mm/mremap.c", "mm/madvise.c", "mm/msync.c", "mm/mlock.c",
         "mm/mincore.c", "mm/filemap.c", "mm/shmem.c", "mm/huge_memory.c",
         "mm/util.c", "mm/gup.c"]
UNREACHED_FILES = ["mm/mmap.c", "mm/mprotect.c", "mm/mremap.c",
                   "mm/madvise.c"]


def rel(path):
    i = path.rfind("/mm/")
    return path[i + 1:] if i >= 0 else path


def parse(path):
    """{file: {"lines": {n: count}, "fns": {name: count}, "fnline": {}}}"""
    files = {}
    cur = None
    with open(path) as f:
        for line in f:
            line = line.rstrip("\n")
            if line.startswith("SF:"):
                cur = files.setdefault(rel(line[3:]),
                                       {"lines": {}, "fns": {}, "fnline": {}})
            elif cur is None:
                continue
            elif line.startswith("DA:"):
                n, c = line[3:].split(",")[:2]
                cur["lines"][int(n)] = cur["lines"].get(int(n), 0) + int(c)
            elif line.startswith("FN:"):
                n, name = line[3:].split(",", 1)
                cur["fnline"][name] = int(n)
                cur["fns"].setdefault(name, 0)
            elif line.startswith("FNDA:"):
                c, name = line[5:].split(",", 1)
                cur["fns"][name] = cur["fns"].get(name, 0) + int(c)
            elif line == "end_of_record":
                cur = None
    return files


def stats(d):
    if d is None:
        return None
    lh = sum(1 for c in d["lines"].values() if c > 0)
    fh = sum(1 for c in d["fns"].values() if c > 0)
    lf, ff = len(d["lines"]), len(d["fns"])
    return {"lines": lf, "lines_hit": lh,
            "lines_pct": round(100.0 * lh / lf, 1) if lf else None,
            "functions": ff, "functions_hit": fh,
            "functions_pct": round(100.0 * fh / ff, 1) if ff else None}


def pct(s, k):
    if s is None or s[k + "_pct"] is None:
        return "-"
    return "%.1f" % s[k + "_pct"]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--kernel", required=True)
    ap.add_argument("--version", required=True)
    ap.add_argument("--label", required=True)
    ap.add_argument("--suite", required=True)
    ap.add_argument("--baseline", required=True)
    ap.add_argument("--programs")
    ap.add_argument("--program-times")
    ap.add_argument("--out", required=True)
    ap.add_argument("--run-summary")
    ap.add_argument("--note", default="")
    a = ap.parse_args()

    suite = parse(a.suite)
    base = parse(a.baseline)
    table = []
    for f in FILES:
        s, b = suite.get(f), base.get(f)
        row = {"file": f, "suite": stats(s), "baseline": stats(b)}
        if s is not None:
            bl = b["lines"] if b else {}
            bf = b["fns"] if b else {}
            row["suite_only_lines"] = sum(
                1 for n, c in s["lines"].items() if c > 0 and bl.get(n, 0) == 0)
            row["suite_only_functions"] = sorted(
                n for n, c in s["fns"].items() if c > 0 and bf.get(n, 0) == 0)
        table.append(row)

    unreached = {}
    for f in UNREACHED_FILES:
        s = suite.get(f)
        if s is None:
            unreached[f] = None
            continue
        unreached[f] = sorted(
            (n for n, c in s["fns"].items() if c == 0),
            key=lambda n: (s["fnline"].get(n, 0), n))

    # per program
    times = {}
    if a.program_times and os.path.exists(a.program_times):
        for line in open(a.program_times):
            w = line.split(None, 3)
            if len(w) >= 3:
                times[w[0].replace("/", "_")] = {
                    "program": w[0], "kyua_exit": int(w[1]),
                    "seconds": float(w[2]),
                    "kyua": w[3].strip() if len(w) > 3 else ""}
    progs = []
    if a.programs and os.path.isdir(a.programs):
        for fn in sorted(os.listdir(a.programs)):
            if not fn.endswith(".info"):
                continue
            key = fn[:-5]
            p = parse(os.path.join(a.programs, fn))
            t = times.get(key, {"program": key})
            entry = dict(t)
            entry["files"] = {}
            entry["beyond_baseline"] = {}
            for f in FILES:
                d = p.get(f)
                if d is None:
                    continue
                st = stats(d)
                entry["files"][f] = {"lines_pct": st["lines_pct"],
                                     "functions_pct": st["functions_pct"]}
                bf = base.get(f, {"fns": {}})["fns"]
                extra = sorted(n for n, c in d["fns"].items()
                               if c > 0 and bf.get(n, 0) == 0)
                if extra:
                    entry["beyond_baseline"][f] = extra
            progs.append(entry)

    cov = {"kernel": a.kernel, "version": a.version, "label": a.label,
           "report": "reports/kernel-coverage/%s/index.html" % a.kernel,
           "baseline_report":
               "reports/kernel-coverage/%s/baseline/index.html" % a.kernel,
           "baseline_is": "kyua running one empty atf-c case, envprobe and "
                          "the guest's shell (harness/kcov/t_noop.c)",
           "files": table, "unreached_functions": unreached,
           "per_program": progs,
           "per_program_incomplete": a.note or None}
    os.makedirs(a.out, exist_ok=True)
    with open(os.path.join(a.out, "coverage.json"), "w") as f:
        json.dump(cov, f, indent=1)

    lines = ["Kernel coverage of mm/ - Linux %s (gcov), run folder %s"
             % (a.version, a.label),
             "suite = the whole suite; baseline = the harness alone (no test "
             "case of the suite)",
             "",
             "%-18s %12s %12s %12s %12s %9s" % (
                 "file", "suite line%", "base line%", "suite func%",
                 "base func%", "+lines"),
             "-" * 80]
    for r in table:
        lines.append("%-18s %12s %12s %12s %12s %9s" % (
            r["file"], pct(r["suite"], "lines"), pct(r["baseline"], "lines"),
            pct(r["suite"], "functions"), pct(r["baseline"], "functions"),
            r.get("suite_only_lines", "-")))
    lines.append("(+lines: lines the suite reaches and the baseline does not;"
                 " '-': file not built in this kernel)")
    with open(os.path.join(a.out, "summary.txt"), "w") as f:
        f.write("\n".join(lines) + "\n")

    with open(os.path.join(a.out, "unreached.txt"), "w") as f:
        f.write("# Functions no case of the suite reaches (Linux %s, gcov):"
                " where tests are missing.\n" % a.version)
        for fl in UNREACHED_FILES:
            u = unreached[fl]
            if u is None:
                f.write("\n%s: not built\n" % fl)
                continue
            f.write("\n%s: %d of %d functions unreached\n" % (
                fl, len(u), len(suite[fl]["fns"])))
            for n in u:
                f.write("  %s:%d %s\n" % (fl, suite[fl]["fnline"].get(n, 0), n))

    with open(os.path.join(a.out, "per-program.txt"), "w") as f:
        f.write("# Each test program alone (counters reset before, collected"
                " after): line%/function% of the table's files it touches,\n"
                "# and the functions it reaches that the harness-only"
                " baseline does not.\n")
        if a.note:
            f.write("# INCOMPLETE: %s\n" % a.note)
        for e in progs:
            f.write("\n%s  (kyua exit %s, %s s)\n" % (
                e.get("program"), e.get("kyua_exit", "?"),
                e.get("seconds", "?")))
            for fl, st in e["files"].items():
                ex = e["beyond_baseline"].get(fl, [])
                if not ex:
                    continue
                f.write("  %-16s lines %5s%%  functions %5s%%  +%d: %s\n" % (
                    fl, st["lines_pct"], st["functions_pct"], len(ex),
                    " ".join(ex)))

    if a.run_summary:
        s = json.load(open(a.run_summary))
        s["kernel_coverage"] = {
            "kernel": a.kernel, "version": a.version,
            "report": cov["report"], "baseline_report": cov["baseline_report"],
            "files": [{"file": r["file"], "suite": r["suite"],
                       "baseline": r["baseline"],
                       "suite_only_lines": r.get("suite_only_lines")}
                      for r in table],
            "unreached_functions": unreached}
        with open(a.run_summary, "w") as f:
            json.dump(s, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
