"""pages: the HTML pages a person reads, from run folders only.  Each is
one self-contained file (inline CSS, no script, no request to anywhere):

  run_page(run_dir)     reports/<label>/report.html: the run's verdict and
                        totals, what it ran on (env.json's facts), the
                        baselines that applied, then every case grouped by
                        result: failed and broken first with their reasons,
                        known divergences, skips with the reason, the
                        passed ones; each with its semantic IDs, the
                        statement on hover.  Written by runs.summarize.
  index_page(reports)   reports/index.html: every run folder (verdict,
                        kernel, environment, counts, links to its pages),
                        the matrix, findings, coverage, kernel coverage and
                        mutation reports that exist.  harness/read/index.
Python 3 standard library only.
"""
import html
import json
import os

import runs

E = html.escape
CSS = """
body{font-family:system-ui,sans-serif;margin:1em;color:#222;max-width:110em}
h1{font-size:1.4em} h2{font-size:1.15em;margin-top:1.4em}
table{border-collapse:collapse;font-size:13px}
th,td{border:1px solid #ccc;padding:2px 6px;vertical-align:top;text-align:left}
th{background:#f4f4f4;font-weight:normal}
td.name{font-family:monospace;white-space:nowrap}
.passed,.pass{background:#dfd}.failed,.broken,.fail{background:#f99}
.skipped{background:#ffd}.known{background:#fdb}.expected_failure{background:#cef}
.dnr{background:#ddd}
.verdict{font-size:1.1em;padding:.4em .6em;display:inline-block}
small,.sem{color:#555}.sem{font-size:11px}
details summary{cursor:pointer;font-weight:bold;margin:.6em 0}
"""
FACTS = ("kernel", "arch", "page_size", "environment", "cmdline",
         "thp_enabled", "thp_pmd_size", "zero_page", "zero_page_evidence",
         "ksm", "swap_total", "nr_hugepages", "overcommit_memory",
         "mmap_min_addr", "max_map_count", "pfn_visible", "tmpdir_fs", "euid",
         "capabilities", "seccomp", "user_namespace", "container", "cpu",
         "libc", "hostname", "suite_version", "suite_commit")


def _page(title, body):
    return ("<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
            "<title>%s</title><style>%s</style></head><body>\n%s\n"
            "</body></html>\n" % (E(title), CSS, "\n".join(body)))


def _sem(ids, catalogue):
    return " ".join("<span title='%s'>%s</span>" % (
        E((catalogue.get(i) or {}).get("statement") or ""), E(i))
        for i in ids)


def _verdict(s):
    """(css class, text) of a summary."""
    if s.get("did_not_run"):
        return "dnr", "did not run: %s" % s["did_not_run"]
    t = s.get("totals") or {}
    bad = t.get("failed", 0) + t.get("broken", 0)
    new = bad - t.get("known", 0)
    if new:
        return "fail", "%d failed or broken (%d known divergences)" % (
            bad, t.get("known", 0))
    if bad:
        return "known", "only known divergences (%d)" % bad
    return "pass", "no case failed"


def run_page(run_dir, catalogue=None):
    if catalogue is None:
        catalogue = runs.read_catalogue()
    s, env = runs.read_run(run_dir)
    label = s.get("label") or os.path.basename(os.path.normpath(run_dir))
    cls, text = _verdict(s)
    t = s.get("totals") or {}
    cases = s.get("cases") or []
    suite = s.get("suite") or {}
    b = ["<h1>mmapconf: %s</h1>" % E(label),
         "<p class='verdict %s'>%s</p>" % (cls, E(text)),
         "<p>%d cases: %d passed, %d failed, %d broken, %d skipped, %d "
         "expected failures &middot; kernel %s, %s, page size %s, "
         "environment %s<br><small>mmapconf %s (commit %s) &middot; %s to %s"
         " &middot; <a href='junit.xml'>junit.xml</a> &middot; <a href="
         "'summary.json'>summary.json</a> &middot; <a href='env.json'>"
         "env.json</a> &middot; <a href='report.txt'>report.txt</a>"
         "</small></p>" % (
             len(cases), t.get("passed", 0), t.get("failed", 0),
             t.get("broken", 0), t.get("skipped", 0),
             t.get("expected_failure", 0), E(str(s.get("kernel"))),
             E(str(s.get("arch"))), E(str(s.get("page_size"))),
             E(str(s.get("environment"))), E(str(suite.get("version"))),
             E(str(suite.get("commit"))), E(str(s.get("started"))),
             E(str(s.get("ended"))))]
    sel = s.get("selection")
    if isinstance(sel, dict):
        b.append("<p class='known'>Part of the suite: %s of %s cases (%s)."
                 "</p>" % (E(str(sel.get("selected"))), E(str(sel.get("of"))),
                           E(runs.show_selection(sel))))
    for bl in s.get("baselines") or []:
        if bl.get("applies"):
            b.append("<p><small>baseline %s applies: %s</small></p>" % (
                E(bl["file"]), E(bl["why"])))
    b.append("<h2>What it ran on (env.json)</h2><table>")
    for k in FACTS:
        if k in env and env[k] not in (None, ""):
            v = env[k]
            if isinstance(v, (dict, list)):
                v = json.dumps(v, sort_keys=True)
            b.append("<tr><th>%s</th><td>%s</td></tr>" % (E(k), E(str(v))))
    b.append("</table>")

    groups = [
        ("Failed or broken", "failed",
         [c for c in cases if c["result"] in runs.BAD and not c.get("known")]),
        ("Known divergences", "known",
         [c for c in cases if c.get("known")]),
        ("Skipped", "skipped", [c for c in cases if c["result"] == "skipped"]),
        ("Passed", "passed", [c for c in cases if c["result"] in runs.GOOD]),
    ]
    for title, css, group in groups:
        if not group:
            continue
        rows = ["<table><tr><th>case</th><th>semantics</th><th>result</th>"
                "<th>reason</th><th>s</th></tr>"]
        for c in group:
            reason = c.get("reason") or ""
            if c.get("known"):
                k = c["known"]
                reason += " [known: %s; %s, %s]" % (
                    k.get("reason") or "", k.get("file"), k.get("why"))
            rows.append(
                "<tr><td class='name'>%s</td><td class='sem'>%s</td>"
                "<td class='%s'>%s</td><td>%s</td><td>%s</td></tr>" % (
                    E(c["name"]), _sem(c.get("semantics") or [], catalogue),
                    css, E(c["result"]), E(reason),
                    E("" if c.get("seconds") is None else "%.3f" % c["seconds"])))
        rows.append("</table>")
        head = "%s (%d)" % (title, len(group))
        if css == "passed":
            b.append("<details><summary>%s</summary>" % E(head))
            b += rows
            b.append("</details>")
        else:
            b.append("<h2>%s</h2>" % E(head))
            b += rows
    if s.get("did_not_run"):
        b.append("<p>No case ran: %s</p>" % E(str(s["did_not_run"])))
    return _page("mmapconf %s" % label, b)


def write_run_page(run_dir, catalogue=None):
    runs.write_atomic(os.path.join(run_dir, "report.html"),
                      run_page(run_dir, catalogue))


# Reports that are not run folders, linked when present.
OTHERS = (("matrix.html", "the matrix: every case across kernels and "
           "environments, at a glance"),
          ("findings.md", "findings: every failed or broken cell, expected "
           "vs seen, how to reproduce"),
          ("matrix-junit.xml", "the matrix as JUnit, one suite per column"),
          ("coverage/index.html", "line and branch coverage of the test "
           "programs (make coverage)"),
          ("mutants.md", "mutation testing: which cases catch each "
           "injected fault (make mutants)"))


def index_page(reports):
    b = ["<h1>mmapconf reports</h1>"]
    others = [(f, what) for f, what in OTHERS
              if os.path.isfile(os.path.join(reports, f))]
    kc = os.path.join(reports, "kernel-coverage")
    if os.path.isdir(kc):
        for k in sorted(os.listdir(kc)):
            if os.path.isfile(os.path.join(kc, k, "index.html")):
                others.append(("kernel-coverage/%s/index.html" % k,
                               "kernel mm/ coverage under the suite, Linux %s"
                               % k))
    if others:
        b.append("<ul>")
        b += ["<li><a href='%s'>%s</a>: %s</li>" % (E(f), E(f), E(w))
              for f, w in others]
        b.append("</ul>")
    rows = []
    for name in sorted(os.listdir(reports)):
        d = os.path.join(reports, name)
        if name.startswith(".") or not os.path.isfile(
                os.path.join(d, "summary.json")):
            continue
        try:
            s, _ = runs.read_run(d)
        except runs.InputError:
            continue
        cls, text = _verdict(s)
        t = s.get("totals") or {}
        links = ["<a href='%s/%s'>%s</a>" % (E(name), f, w) for f, w in (
            ("report.html", "page"), ("junit.xml", "JUnit"),
            ("summary.json", "summary"), ("html/index.html", "kyua"))
            if os.path.isfile(os.path.join(d, f))]
        part = ""
        if isinstance(s.get("selection"), dict):
            part = " (part: %s of %s)" % (s["selection"].get("selected"),
                                          s["selection"].get("of"))
        rows.append(
            "<tr><td class='name'>%s</td><td class='%s'>%s%s</td>"
            "<td>%s</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td>"
            "<td>%s</td><td>%s</td></tr>" % (
                E(name), cls, E(text), E(part), E(str(s.get("kernel"))),
                E(str(s.get("arch"))), E(str(s.get("environment"))),
                t.get("passed", 0), t.get("failed", 0) + t.get("broken", 0),
                t.get("skipped", 0), " &middot; ".join(links)))
    b.append("<h2>Run folders (%d)</h2>" % len(rows))
    if rows:
        b.append("<table><tr><th>run</th><th>verdict</th><th>kernel</th>"
                 "<th>arch</th><th>environment</th><th>passed</th>"
                 "<th>failed</th><th>skipped</th><th>pages</th></tr>")
        b += rows
        b.append("</table>")
    else:
        b.append("<p>None yet: <code>make check</code> writes one.</p>")
    return _page("mmapconf reports", b)


def write_index(reports):
    runs.write_atomic(os.path.join(reports, "index.html"), index_page(reports))
