#!/usr/bin/env python3
"""matrix-report.py: the cross-kernel / cross-environment matrix.

  matrix-report.py build --out DIR [--baselines DIR] [--catalogue TSV]
                   KEY=RUN_FOLDER...
      Reads ONLY the run folders (summary.json + env.json, wall-seconds,
      qemu.json) and writes DIR/matrix.json, matrix.html (one self-contained
      file) and matrix.md, each atomically.  One column per run folder, in
      the order given; one row per test case, grouped by semantic area, rows
      where the columns disagree ("divergences") first.  A column of a
      gcov kernel (harness/kernel-coverage: summary.json has
      "kernel_coverage") adds the kernel coverage table at the top: line
      and function coverage of the semantics' mm/ files, suite vs baseline.
      Exit status: 0 every column ran and every failed/broken case is a known
      divergence (harness/baselines); 1 otherwise; 2 bad input.

  matrix-report.py did-not-run DIR --label L --key K --environment E
                   --reason R [--seconds S]
      Writes the run folder of a column that did not run (summary.json with
      "did_not_run": R, env.json, report.txt).

Python 3 standard library only.
"""
import datetime
import html
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import matrixlib as ml  # noqa: E402

SHORT = {"passed": "pass", "failed": "FAIL", "broken": "BROKEN",
         "skipped": "skip", "expected_failure": "xfail",
         ml.NOT_RUN: "not run", ml.ABSENT: "absent"}


def die(msg, status=2):
    print("matrix-report: error: " + msg, file=sys.stderr)
    sys.exit(status)


def write_atomic(path, text):
    tmp = "%s.tmp.%d" % (path, os.getpid())
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(text)
    os.replace(tmp, path)


# --- did-not-run ------------------------------------------------------------

def did_not_run(argv):
    if not argv:
        die("usage: did-not-run DIR --label L --key K --environment E "
            "--reason R [--seconds S]")
    d = argv[0]
    opts = {"--label": None, "--key": None, "--environment": None,
            "--reason": None, "--seconds": None}
    i = 1
    while i < len(argv):
        if argv[i] not in opts or i + 1 >= len(argv):
            die("did-not-run: bad argument %s" % argv[i])
        opts[argv[i]] = argv[i + 1]
        i += 2
    if not opts["--label"] or not opts["--reason"]:
        die("did-not-run: --label and --reason are required")
    reason = " ".join(opts["--reason"].split())[:400]
    os.makedirs(d, exist_ok=True)
    summary = {
        "label": opts["--label"], "key": opts["--key"],
        "did_not_run": reason, "kernel": None, "arch": None,
        "page_size": None, "environment": opts["--environment"],
        "totals": {r: 0 for r in ml.RESULTS}, "cases": [],
    }
    if opts["--seconds"]:
        try:
            summary["seconds"] = float(opts["--seconds"])
        except ValueError:
            pass
    env = {"label": opts["--label"], "environment": opts["--environment"],
           "did_not_run": reason}
    write_atomic(os.path.join(d, "summary.json"),
                 json.dumps(summary, indent=1) + "\n")
    write_atomic(os.path.join(d, "env.json"), json.dumps(env, indent=1) + "\n")
    write_atomic(os.path.join(d, "report.txt"),
                 "%s: did not run: %s\n" % (opts["--label"], reason))
    return 0


# --- build ------------------------------------------------------------------

def read_catalogue(path):
    cat = {}
    if not path or not os.path.isfile(path):
        return cat
    with open(path, encoding="utf-8") as f:
        for line in f:
            if line.startswith("#") or not line.strip():
                continue
            p = line.rstrip("\n").split("\t")
            if len(p) >= 4:
                cat[p[0]] = {"area": p[1], "source": p[2], "statement": p[3]}
    return cat


def coverage_tables(cols):
    """matrix.json's "kernel_coverage": one table per gcov column."""
    tabs = []
    for c in cols:
        kc = c.get("kernel_coverage")
        if not kc:
            continue
        files = []
        for r in kc.get("files") or []:
            if isinstance(r, dict) and r.get("file"):
                files.append({k: r.get(k) for k in (
                    "file", "suite", "baseline", "suite_only_lines")})
        tabs.append({"label": c["label"], "key": c["key"],
                     "kernel": kc.get("kernel"), "version": kc.get("version"),
                     "report": kc.get("href"),
                     "baseline_report": kc.get("baseline_href"),
                     "files": files})
    return tabs


def build_matrix(cols, catalogue, bdir):
    ran = [c for c in cols if c["status"] == "ran"]
    names = sorted({n for c in cols for n in c["cases"]})
    rows = []
    for n in names:
        sem = []
        for c in cols:
            if n in c["cases"] and c["cases"][n]["semantics"]:
                sem = c["cases"][n]["semantics"]
                break
        area = ml.area_of(n, sem)
        if sem and sem[0] in catalogue:
            area = catalogue[sem[0]]["area"] or area
        cells = {}
        for c in cols:
            if c["status"] != "ran":
                cells[c["label"]] = {"result": ml.NOT_RUN,
                                     "reason": c["reason"]}
            elif n in c["cases"]:
                cc = c["cases"][n]
                cells[c["label"]] = {"result": cc["result"],
                                     "reason": cc["reason"]}
            else:
                cells[c["label"]] = {"result": ml.ABSENT,
                                     "reason": "no such case in this run"}
        results = {cells[c["label"]]["result"] for c in ran}
        divergent = len(results) > 1
        row = {"name": n, "area": area, "semantics": sem,
               "divergent": divergent,
               "failing": sorted({c["label"] for c in ran
                                  if cells[c["label"]]["result"] in ml.BAD}),
               "cells": cells}
        rows.append(row)
    rows.sort(key=lambda r: (not r["divergent"], r["area"], r["name"]))

    # failed/broken cases that no baseline file lists: the matrix's verdict.
    unexpected = []
    known_list = []
    by_name = {r["name"]: r for r in rows}
    for c in ran:
        pats = ml.load_baseline(bdir, c)
        for n, cc in sorted(c["cases"].items()):
            if cc["result"] in ml.BAD:
                k = ml.known(pats, n)
                if k:
                    by_name[n]["cells"][c["label"]]["known"] = ml.show_path(k)
                (known_list if k else unexpected).append(
                    {"column": c["label"], "key": c["key"], "case": n,
                     "result": cc["result"], "reason": cc["reason"],
                     "baseline": ml.show_path(k) if k else None})
    columns = []
    for c in cols:
        d = {k: v for k, v in c.items()
             if k not in ("cases", "kernel_coverage")}
        d["cases"] = len(c["cases"])
        columns.append(d)
    areas = sorted({r["area"] for r in rows})
    return {
        "format": ml.FORMAT,
        "generated": datetime.datetime.now(datetime.timezone.utc).strftime(
            "%Y-%m-%dT%H:%M:%SZ"),
        "columns": columns,
        "areas": areas,
        "semantics": {k: v["statement"] for k, v in catalogue.items()},
        "rows": rows,
        "divergences": [r["name"] for r in rows if r["divergent"]],
        "did_not_run": [{"label": c["label"], "key": c["key"],
                         "reason": c["reason"]} for c in cols
                        if c["status"] != "ran"],
        "unexpected_failures": unexpected,
        "known_failures": known_list,
        "kernel_coverage": coverage_tables(cols),
    }


def col_facts(c):
    """(title, value) lines of a column header."""
    if c["status"] != "ran":
        return [("", "did not run: " + c["reason"])]
    t = c.get("totals") or {}
    facts = [
        ("kernel", c.get("kernel")),
        ("arch", c.get("arch")),
        ("page size", c.get("page_size")),
        ("THP", c.get("thp")),
        ("mmap_min_addr", c.get("mmap_min_addr")),
        ("PFNs visible", c.get("pfn_visible")),
        ("environment", c.get("environment")),
        ("work dir fs", c.get("workdir_fs") or "(host /tmp)"),
        ("totals", "%s pass, %s fail, %s broken, %s skip, %s xfail" % (
            t.get("passed", 0), t.get("failed", 0), t.get("broken", 0),
            t.get("skipped", 0), t.get("expected_failure", 0))),
    ]
    s = c.get("seconds") or {}
    if s.get("suite") is not None or s.get("total") is not None:
        v = "suite %s s" % s.get("suite")
        if s.get("boot") is not None:
            v += ", boot %s s" % s.get("boot")
        if s.get("total") is not None:
            v += ", %s s in all" % s.get("total")
        facts.append(("time", v))
    return facts


KC_HEADS = ("suite lines", "baseline lines", "suite functions",
            "baseline functions", "+lines")
KC_NOTE = ("suite: the whole suite under the gcov kernel; baseline: the "
           "harness alone (kyua running one empty case); +lines: lines the "
           "suite reaches and the baseline does not; -: not built in this "
           "kernel")


def kc_cells(t, f):
    """The five cells of file f in coverage table t."""
    r = next((x for x in t["files"] if x["file"] == f), None)
    out = []
    for who, k in (("suite", "lines"), ("baseline", "lines"),
                   ("suite", "functions"), ("baseline", "functions")):
        st = (r or {}).get(who) or {}
        if st.get(k + "_pct") is None:
            out.append("-")
        else:
            out.append("%.1f%% (%s/%s)" % (st[k + "_pct"], st.get(k + "_hit"),
                                         st.get(k)))
    n = (r or {}).get("suite_only_lines")
    out.append("-" if n is None else "+%d" % n)
    return out


def kc_files(tabs):
    files = []
    for t in tabs:
        for r in t["files"]:
            if r["file"] not in files:
                files.append(r["file"])
    return files


CSS = """
body{font-family:system-ui,sans-serif;margin:1em;color:#222}
h1{font-size:1.4em} h2{font-size:1.15em;margin-top:1.5em}
table{border-collapse:collapse;font-size:13px}
th,td{border:1px solid #ccc;padding:2px 6px;vertical-align:top}
thead th{position:sticky;top:0;background:#f4f4f4;text-align:left;
 font-weight:normal;min-width:9em}
thead th b{font-size:14px}
tr.area th{background:#e8eef8;text-align:left}
tr.div td.name{border-left:4px solid #d80}
td.name{font-family:monospace;white-space:nowrap}
td.sem{font-size:11px;color:#555}
.passed{background:#dfd}.failed{background:#f99;font-weight:bold}
.broken{background:#f6b;font-weight:bold}.skipped{background:#ffd}
.expected_failure{background:#cef}.notrun,.absent{background:#ddd;color:#666}
.dnr{background:#fcc}
small{color:#666}
table.kcov thead th{position:static;min-width:0}
table.kcov td{text-align:right;font-family:monospace}
table.kcov td.name{text-align:left}
"""


def render_html(m):
    e = html.escape
    cols = m["columns"]
    out = ["<!DOCTYPE html><html><head><meta charset='utf-8'>",
           "<title>mmapconf matrix</title><style>%s</style></head><body>"
           % CSS]
    out.append("<h1>mmapconf: the suite across kernels and environments</h1>")
    out.append("<p><small>generated %s &middot; %d columns &middot; %d cases "
               "&middot; %d divergences &middot; hover a cell for its reason"
               "</small></p>" % (e(m["generated"]), len(cols), len(m["rows"]),
                                 len(m["divergences"])))
    if m["did_not_run"]:
        out.append("<p class='dnr'>" + "<br>".join(
            "<b>%s</b> did not run: %s" % (e(d["label"]), e(d["reason"]))
            for d in m["did_not_run"]) + "</p>")
    if m["unexpected_failures"]:
        out.append("<p>%d failed/broken cases are not listed as known "
                   "divergences (harness/baselines).</p>"
                   % len(m["unexpected_failures"]))
    tabs = m.get("kernel_coverage") or []
    if tabs:
        out.append("<h2>Kernel coverage of mm/ (gcov)</h2>")
        out.append("<table class='kcov'><thead><tr><th rowspan='2'>"
                   "<b>file</b></th>")
        for t in tabs:
            links = " &middot; ".join(
                "<a href='%s'>%s</a>" % (e(t[k]), w)
                for k, w in (("report", "report"),
                             ("baseline_report", "baseline"))
                if t.get(k))
            out.append("<th colspan='%d'><b>%s</b> (Linux %s)%s</th>" % (
                len(KC_HEADS), e(t["label"]), e(str(t["version"])),
                "<br>" + links if links else ""))
        out.append("</tr><tr>" + "".join(
            "<th>%s</th>" % h for _ in tabs for h in KC_HEADS) + "</tr>")
        out.append("</thead><tbody>")
        for f in kc_files(tabs):
            out.append("<tr><td class='name'>%s</td>%s</tr>" % (e(f), "".join(
                "<td>%s</td>" % e(v) for t in tabs for v in kc_cells(t, f))))
        out.append("</tbody></table><p><small>%s</small></p>" % e(KC_NOTE))
        out.append("<h2>Results</h2>")
    out.append("<table><thead><tr><th><b>test case</b></th>"
               "<th><b>semantics</b></th>")
    for c in cols:
        cls = " class='dnr'" if c["status"] != "ran" else ""
        facts = "".join("<br>%s%s" % (e(k + ": ") if k else "", e(str(v)))
                        for k, v in col_facts(c))
        out.append("<th%s><b>%s</b>%s</th>" % (cls, e(c["label"]), facts))
    out.append("</tr></thead><tbody>")
    span = 2 + len(cols)
    group = None
    for r in m["rows"]:
        g = ("Divergences: columns disagree &mdash; " if r["divergent"]
             else "") + e(r["area"])
        if g != group:
            group = g
            out.append("<tr class='area'><th colspan='%d'>%s</th></tr>"
                       % (span, g))
        sem = " ".join(
            "<span title='%s'>%s</span>" % (e(m["semantics"].get(s, "")),
                                            e(s)) for s in r["semantics"])
        out.append("<tr%s><td class='name'>%s</td><td class='sem'>%s</td>"
                   % (" class='div'" if r["divergent"] else "",
                      e(r["name"]), sem))
        for c in cols:
            cell = r["cells"][c["label"]]
            res = cell["result"]
            cls = {"not run": "notrun"}.get(res, res)
            title = cell.get("reason") or res
            text = SHORT.get(res, res)
            if cell.get("known"):
                title += " [known divergence: %s]" % cell["known"]
                text += " (known)"
            out.append("<td class='%s' title='%s'>%s</td>" % (
                e(cls), e(title), e(text)))
        out.append("</tr>")
    out.append("</tbody></table></body></html>\n")
    return "\n".join(out)


def md_cell(s):
    return str(s).replace("|", "\\|").replace("\n", " ")


def render_md(m):
    cols = m["columns"]
    L = ["## mmapconf matrix", "",
         "%d columns, %d cases, **%d divergences**, %d unexpected "
         "failures, %d columns did not run (generated %s)." % (
             len(cols), len(m["rows"]), len(m["divergences"]),
             len(m["unexpected_failures"]), len(m["did_not_run"]),
             m["generated"]), ""]
    tabs = m.get("kernel_coverage") or []
    if tabs:
        L.append("### Kernel coverage of mm/ (gcov)")
        L.append("")
        for t in tabs:
            L.append("- %s: Linux %s%s" % (md_cell(t["label"]), t["version"],
                                           (", report `%s`" % t["report"])
                                           if t.get("report") else ""))
        L.append("")
        L.append("| file | " + " | ".join(
            "%s %s" % (md_cell(t["label"]), h) for t in tabs
            for h in KC_HEADS) + " |")
        L.append("|---|" + "---:|" * (len(KC_HEADS) * len(tabs)))
        for f in kc_files(tabs):
            L.append("| %s | %s |" % (f, " | ".join(
                kc_cells(t, f)[i] for t in tabs
                for i in range(len(KC_HEADS)))))
        L.append("")
        L.append(KC_NOTE + ".")
        L.append("")
        L.append("### Columns")
        L.append("")
    L.append("| | " + " | ".join(md_cell(c["label"]) for c in cols) + " |")
    L.append("|---|" + "---|" * len(cols))
    keys = ["kernel", "arch", "page size", "THP", "mmap_min_addr",
            "PFNs visible", "environment", "work dir fs", "totals", "time"]
    facts = [dict(col_facts(c)) for c in cols]
    for k in keys:
        L.append("| %s | " % k + " | ".join(
            md_cell(f.get(k, f.get("", "")) if c["status"] == "ran" or
                    k == "kernel" else "")
            for f, c in zip(facts, cols)) + " |")
    L.append("")

    def table(rows):
        T = ["| area | case | " + " | ".join(md_cell(c["label"])
                                             for c in cols) + " |",
             "|---|---|" + "---|" * len(cols)]
        for r in rows:
            cells = []
            for c in cols:
                cell = r["cells"][c["label"]]
                s = SHORT.get(cell["result"], cell["result"])
                if cell.get("known"):
                    s += " (known)"
                if r["divergent"] and cell["result"] not in (
                        "passed", ml.NOT_RUN) and cell.get("reason"):
                    s += ": " + cell["reason"][:90]
                cells.append(md_cell(s))
            T.append("| %s | `%s` | %s |" % (r["area"], md_cell(r["name"]),
                                             " | ".join(cells)))
        return T

    div = [r for r in m["rows"] if r["divergent"]]
    L.append("### Divergences (%d)" % len(div))
    L.append("")
    L.extend(table(div) if div else ["None: every column that ran agrees."])
    L.append("")
    if m["unexpected_failures"]:
        L.append("### Failures not listed in harness/baselines (%d)"
                 % len(m["unexpected_failures"]))
        L.append("")
        for u in m["unexpected_failures"]:
            L.append("- %s `%s`: %s %s" % (u["column"], u["case"],
                                          u["result"], md_cell(u["reason"])))
        L.append("")
    rest = [r for r in m["rows"] if not r["divergent"]]
    L.append("<details><summary>All other cases (%d), by area</summary>"
             % len(rest))
    L.append("")
    L.extend(table(rest))
    L.append("")
    L.append("</details>")
    return "\n".join(L) + "\n"


def build(argv):
    out, bdir, cat = None, None, None
    specs = []
    i = 0
    while i < len(argv):
        a = argv[i]
        if a in ("--out", "--baselines", "--catalogue"):
            if i + 1 >= len(argv):
                die("%s needs a value" % a)
            v = argv[i + 1]
            if a == "--out":
                out = v
            elif a == "--baselines":
                bdir = v
            else:
                cat = v
            i += 2
            continue
        specs.append(a)
        i += 1
    if not out or not specs:
        die("usage: build --out DIR [--baselines DIR] [--catalogue TSV] "
            "KEY=RUN_FOLDER...")
    cols = []
    try:
        for s in specs:
            key, sep, folder = s.partition("=")
            if not sep:
                key, folder = None, s
            col = ml.load_run(folder, key or None)
            kc = col.get("kernel_coverage")
            if kc:
                # its HTML report: kernel-coverage/KERNEL/ beside the run
                # folder (harness/kernel-coverage writes both)
                kc = col["kernel_coverage"] = dict(kc)
                d = os.path.join(os.path.dirname(os.path.abspath(folder)),
                                 "kernel-coverage", str(kc.get("kernel")))
                kc["href"] = os.path.relpath(os.path.join(d, "index.html"),
                                             os.path.abspath(out))
                kc["baseline_href"] = os.path.relpath(
                    os.path.join(d, "baseline", "index.html"),
                    os.path.abspath(out))
            cols.append(col)
    except ml.InputError as e:
        die(str(e))
    labels = [c["label"] for c in cols]
    if len(set(labels)) != len(labels):
        die("two columns have the same label: %s" % " ".join(labels))
    try:
        m = build_matrix(cols, read_catalogue(cat), bdir)
    except ml.InputError as e:
        die(str(e))
    os.makedirs(out, exist_ok=True)
    write_atomic(os.path.join(out, "matrix.json"),
                 json.dumps(m, indent=1) + "\n")
    write_atomic(os.path.join(out, "matrix.html"), render_html(m))
    write_atomic(os.path.join(out, "matrix.md"), render_md(m))

    # The console summary.
    for c in m["columns"]:
        if c["status"] != "ran":
            print("  %-34s did not run: %s" % (c["label"], c["reason"]))
            continue
        t = c["totals"]
        s = c.get("seconds") or {}
        tm = ""
        if s.get("suite") is not None:
            tm = "  suite %5s s" % s["suite"]
        if s.get("boot") is not None:
            tm += ", boot %4s s" % s["boot"]
        if s.get("total") is not None:
            tm += ", %5s s in all" % s["total"]
        print("  %-34s %3d pass %3d fail %3d broken %3d skip%s" % (
            c["label"], t.get("passed", 0) + t.get("expected_failure", 0),
            t.get("failed", 0), t.get("broken", 0), t.get("skipped", 0), tm))
    print("matrix: %d cases x %d columns, %d divergences -> %s/matrix.{html,"
          "json,md}" % (len(m["rows"]), len(cols), len(m["divergences"]),
                        out))
    for r in m["rows"]:
        if not r["divergent"]:
            continue
        parts = []
        for c in m["columns"]:
            cell = r["cells"][c["label"]]
            if cell["result"] not in ("passed", ml.NOT_RUN):
                parts.append("%s %s" % (c["label"],
                                        SHORT.get(cell["result"])))
        print("  DIVERGES %s: %s" % (r["name"], ", ".join(parts)))
    for k in m["known_failures"]:
        print("  known    %s %s (%s)" % (k["column"], k["case"],
                                         k["baseline"]))
    for u in m["unexpected_failures"]:
        print("  UNEXPECTED %s %s %s: %s" % (u["column"], u["result"],
                                             u["case"], u["reason"]))
    return 1 if m["unexpected_failures"] or m["did_not_run"] else 0


def main(argv):
    if argv and argv[0] == "did-not-run":
        return did_not_run(argv[1:])
    if argv and argv[0] == "build":
        return build(argv[1:])
    die("usage: matrix-report.py build ... | did-not-run ... (see the header)")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
