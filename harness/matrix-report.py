#!/usr/bin/env python3
"""matrix-report.py: the cross-kernel / cross-environment matrix.

  matrix-report.py build --out DIR [--baselines DIR] [--baseline PATH]...
                   [--catalogue TSV] KEY=RUN_FOLDER...
      Reads ONLY the run folders (summary.json + env.json, wall-seconds,
      qemu.json) and writes DIR/matrix.json, matrix.html (one self-contained
      file), matrix.md and findings.md (every failed or broken cell: the
      semantic, expected vs seen, the column's facts, whether it is a known
      divergence, a command that reproduces it; then the divergences the
      baseline files record for columns not in this matrix), each
      atomically.  One column per run folder, in
      the order given; one row per test case, grouped by semantic area, rows
      where the columns disagree ("divergences") first.  A column of a
      gcov kernel (harness/kernel-coverage: summary.json has
      "kernel_coverage") adds the kernel coverage table at the top: line
      and function coverage of the semantics' mm/ files, suite vs baseline.
      Exit status: 0 every column ran and every failed/broken case is a known
      divergence (a baseline file that applies to its column:
      harness/baselines/README.md); 1 otherwise; 2 bad input.

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


def build_matrix(cols, catalogue, sources):
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
        pats = ml.load_baseline(None, c, sources=sources)
        c["baselines"] = [b for b in ml.applied_baselines(sources, c)
                          if b["applies"]]
        for n, cc in sorted(c["cases"].items()):
            if cc["result"] not in ml.BAD:
                continue
            k = ml.known_entry(pats, n)
            cell = by_name[n]["cells"][c["label"]]
            ent = {"column": c["label"], "key": c["key"], "case": n,
                   "result": cc["result"], "reason": cc["reason"],
                   "baseline": ml.show_path(k[1]) if k else None}
            if k:
                cell["known"] = {"file": ml.show_path(k[1]),
                                 "reason": k[2], "why": k[3]}
                ent["known_reason"], ent["why"] = k[2], k[3]
                # where the documented behaviour does hold: proof that the
                # case itself is sound (make selftest checks it)
                ent["passes_in"] = [
                    o["label"] for o in ran
                    if by_name[n]["cells"][o["label"]]["result"] in ml.GOOD]
            (known_list if k else unexpected).append(ent)
    columns = []
    for c in cols:
        d = {k: v for k, v in c.items()
             if k not in ("cases", "kernel_coverage")}
        d["notable"] = notable_facts(c)
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
        "findings": findings(rows, cols, catalogue),
        "recorded_elsewhere": recorded_elsewhere(sources, cols, known_list),
        "kernel_coverage": coverage_tables(cols),
    }


# Facts whose usual value (Debian's kernels on real or emulated hardware)
# is not worth a line in a column header; any other value is shown.
USUAL = {"zero_page": ("yes",), "thp_use_zero_page": ("1", None),
         "ksm.run": ("0", None), "swap_total": ("0 kB", None),
         "nr_hugepages": ("0", None), "seccomp": ("0", None),
         "user_namespace": ("initial", None),
         "unprivileged_userfaultfd": ("0", "1", None)}


def notable_facts(c):
    """["zero_page=no", "cmdline:pvm_no_zero_page=1", ...]: the facts of a
    column that differ from the usual, and every fact a baseline file that
    applies to it matched on."""
    f = c.get("facts") or {}
    if c.get("status") != "ran" or not f:
        return []
    out = []
    for name, usual in USUAL.items():
        v = ml.fact_value(f, name)
        if v not in usual and not (v is None and None in usual):
            out.append("%s=%s" % (name, v))
    for size, mode in sorted((f.get("thp_sizes") or {}).items(),
                             key=lambda kv: int(
                                 "".join(ch for ch in kv[0] if ch.isdigit())
                                 or 0)):
        if mode not in ("never", "inherit", None):
            out.append("thp_sizes.%s=%s" % (size, mode))
    for b in c.get("baselines") or []:
        if b["why"].startswith("facts: "):
            for cond in b["why"][len("facts: "):].split():
                if cond not in out:
                    out.append(cond)
    return out


def reproduce(col, case):
    """A command that reproduces a finding: the case itself on the host, the
    column's producer elsewhere."""
    key = col.get("key") or ""
    env = col.get("environment")
    if key == "host" or env == "host":
        return "kyua debug --build-root=build %s" % case
    if env == "qemu-gcov":
        return "make kernel-coverage KERNEL=%s" % ".".join(
            (col.get("kernel") or "").split(".")[:2])
    if key.startswith("lava-qemu-"):
        return "make lava-run KERNELS=%s" % key[len("lava-qemu-"):]
    if key.startswith("qemu-"):
        spec = key[len("qemu-"):]
        return "harness/%s %s" % (
            "qemu-kernel" if spec[:1].isdigit() else "cross-kernel", spec)
    return "harness/env-run %s" % key


def findings(rows, cols, catalogue):
    """Every failed or broken cell of a column that ran."""
    out = []
    for r in rows:
        for c in cols:
            if c["status"] != "ran":
                continue
            cell = r["cells"][c["label"]]
            if cell["result"] not in ml.BAD:
                continue
            out.append({
                "case": r["name"], "area": r["area"],
                "semantics": r["semantics"],
                "expected": " / ".join(
                    catalogue[s]["statement"] for s in r["semantics"]
                    if s in catalogue) or "(not in the catalogue)",
                "seen": "%s: %s" % (cell["result"], cell.get("reason", "")),
                "column": c["label"], "key": c["key"],
                "facts": ["kernel %s" % c.get("kernel"), "arch %s" %
                          c.get("arch"), "page size %s" % c.get("page_size"),
                          "environment %s" % c.get("environment")] +
                notable_facts(c),
                "known": cell.get("known"),
                "passes_in": [o["label"] for o in cols
                              if o["status"] == "ran" and
                              r["cells"][o["label"]]["result"] in ml.GOOD],
                "reproduce": reproduce(c, r["name"]),
            })
    out.sort(key=lambda f: (f["known"] is not None, f["case"], f["column"]))
    return out


def recorded_elsewhere(sources, cols, known_list):
    """The divergences baseline files record that this matrix did not see:
    those of files that apply to none of its columns."""
    used = {k["baseline"] for k in known_list}
    out = []
    for bl, by_name in sources:
        path = ml.show_path(bl.path)
        if path in used or any(ml.applies(bl, c, by_name) for c in cols
                               if c["status"] == "ran"):
            continue
        for pat, reason in bl.entries:
            out.append({"case": pat, "reason": reason, "file": path,
                        "applies_to": "; ".join(
                            ml.show_condition(m) for m in bl.matches) or
                        "column %s" % bl.name(),
                        "reproduce": bl.reproduce or ""})
    return out


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
    notable = c.get("notable")
    if notable is None:
        notable = notable_facts(c)
    if notable:
        facts.append(("unusual", " ".join(notable)))
    if c.get("baselines"):
        facts.append(("known via", ", ".join(
            os.path.basename(b["file"]) for b in c["baselines"])))
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
td.known{background:#fdb;font-weight:normal}
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
    out.extend(findings_html(m))
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
                k = cell["known"]
                title += " [known divergence: %s; %s, %s]" % (
                    k["reason"], k["file"], k["why"])
                text += " (known)"
                cls += " known"
            out.append("<td class='%s' title='%s'>%s</td>" % (
                e(cls), e(title), e(text)))
        out.append("</tr>")
    out.append("</tbody></table></body></html>\n")
    return "\n".join(out)


def findings_html(m):
    e = html.escape
    fs = m.get("findings") or []
    out = ["<h2 id='findings'>Findings: %d failed or broken cells "
           "(%d known divergences)</h2>" % (
               len(fs), sum(1 for f in fs if f["known"]))]
    if fs:
        out.append("<table class='findings'><thead><tr><th>case</th>"
                   "<th>column</th><th>expected</th><th>seen</th>"
                   "<th>facts</th><th>known?</th><th>reproduce</th>"
                   "</tr></thead><tbody>")
        for f in fs:
            k = f["known"]
            out.append(
                "<tr><td class='name'>%s<br><small>%s</small></td><td>%s"
                "</td><td>%s</td><td>%s</td><td><small>%s</small></td>"
                "<td class='%s'>%s</td><td><code>%s</code></td></tr>" % (
                    e(f["case"]), e(" ".join(f["semantics"])),
                    e(f["column"]), e(f["expected"]), e(f["seen"]),
                    e(", ".join(f["facts"])), "known" if k else "failed",
                    e("known: %s (%s, %s)" % (k["reason"], k["file"],
                                              k["why"])) if k else "NEW",
                    e(f["reproduce"])))
        out.append("</tbody></table>")
    rec = m.get("recorded_elsewhere") or []
    if rec:
        out.append("<details><summary>%d divergences recorded in baseline "
                   "files for columns not in this matrix</summary><ul>"
                   % len(rec))
        for r in rec:
            out.append("<li><code>%s</code>: %s <small>(%s; applies to %s"
                       "%s)</small></li>" % (
                           e(r["case"]), e(r["reason"]), e(r["file"]),
                           e(r["applies_to"]), e("; reproduce: " +
                                                 r["reproduce"])
                           if r["reproduce"] else ""))
        out.append("</ul></details>")
    return out


def render_findings_md(m):
    fs = m.get("findings") or []
    L = ["# mmapconf findings", "",
         "Every failed or broken case in the matrix of %s (%d columns), "
         "then the divergences the baseline files record for columns not "
         "in it.  Generated from the run folders by "
         "`harness/matrix-report.py`." % (m["generated"], len(m["columns"])),
         "", "## Seen in this matrix (%d; %d known divergences, %d new)" % (
             len(fs), sum(1 for f in fs if f["known"]),
             sum(1 for f in fs if not f["known"])), ""]
    if not fs:
        L.append("None: no case failed or broke in any column.")
    for f in fs:
        k = f["known"]
        L += ["### %s `%s` on %s" % ("Known divergence:" if k else "NEW:",
                                     f["case"], f["column"]), "",
              "- semantic: %s: %s" % (", ".join(f["semantics"]) or "-",
                                      f["expected"]),
              "- seen: %s" % md_cell(f["seen"]),
              "- facts: %s" % ", ".join(f["facts"]),
              "- known: %s" % ("%s (`%s`, %s)" % (k["reason"], k["file"],
                                                  k["why"]) if k else
                               "no: not listed in a baseline that applies"),
              "- passes in: %s" % (", ".join(f["passes_in"]) or "no column"),
              "- reproduce: `%s`" % f["reproduce"], ""]
    rec = m.get("recorded_elsewhere") or []
    L += ["## Recorded in baseline files, not seen in this matrix (%d)"
          % len(rec), ""]
    if rec:
        L += ["| case | why | file | applies to | reproduce |",
              "|---|---|---|---|---|"]
        for r in rec:
            L.append("| `%s` | %s | `%s` | %s | %s |" % (
                r["case"], md_cell(r["reason"]), r["file"],
                md_cell(r["applies_to"]),
                "`%s`" % r["reproduce"] if r["reproduce"] else ""))
    return "\n".join(L) + "\n"


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
    files = []
    specs = []
    i = 0
    while i < len(argv):
        a = argv[i]
        if a in ("--out", "--baselines", "--baseline", "--catalogue"):
            if i + 1 >= len(argv):
                die("%s needs a value" % a)
            v = argv[i + 1]
            if a == "--out":
                out = v
            elif a == "--baselines":
                bdir = v
            elif a == "--baseline":
                files.append(v)
            else:
                cat = v
            i += 2
            continue
        specs.append(a)
        i += 1
    if not out or not specs:
        die("usage: build --out DIR [--baselines DIR] [--baseline PATH]... "
            "[--catalogue TSV] KEY=RUN_FOLDER...")
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
        sources = ml.baseline_sources(([bdir] if bdir else []) + files)
        m = build_matrix(cols, read_catalogue(cat), sources)
    except ml.InputError as e:
        die(str(e))
    os.makedirs(out, exist_ok=True)
    write_atomic(os.path.join(out, "matrix.json"),
                 json.dumps(m, indent=1) + "\n")
    write_atomic(os.path.join(out, "matrix.html"), render_html(m))
    write_atomic(os.path.join(out, "matrix.md"), render_md(m))
    write_atomic(os.path.join(out, "findings.md"), render_findings_md(m))

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
        print("  known    %s %s (%s, %s)" % (k["column"], k["case"],
                                             k["baseline"], k["why"]))
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
