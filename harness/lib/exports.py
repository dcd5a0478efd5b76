"""exports: run folders in the formats other tools read.  Readers of run
folders only (summary.json, env.json, results.db); harness/read/export is
their command, and every run folder's junit.xml is written here too
(runs.summarize).  Python 3 standard library only.

One test name across every output: kyua's "tests/<area>/t_<prog>:<case>".
JUnit splits it at the colon (classname "tests.<area>.t_<prog>", name
"<case>"), KTAP prints it whole, GitHub annotations title it.

  junit    JUnit XML that Jenkins' JUnit schema (junit-4.xsd, the one its
           xunit plugin's model is built on) accepts: <testsuites> with one
           named <testsuite> per run folder ("mmapconf <label>"), its counts,
           <properties> from env.json; a failure's or error's reason both
           as message= and as element text (with the source line that
           failed, the semantics and kyua's output), a skip's reason as
           <skipped> text (that schema allows no attribute on it); a known
           divergence (harness/baselines) is a skip that says so.
  ktap     KTAP version 1, what kselftest prints: one test line per case,
           "# SKIP reason" directives, the reason of a failure as
           diagnostic lines; `prove` reads it as TAP.
  github   GitHub Actions workflow commands: one ::error annotation per
           new failure, at the source line of the assertion that failed.
"""
import datetime
import os
import re
import sqlite3
import xml.etree.ElementTree as ET

import pages
import runs

# "tests/core/t_api.c:451: ..." (ATF_REQUIRE*, atf_tc_fail_requirement) and
# "*** Check failed: tests/core/t_api.c:451: ..." (ATF_CHECK*, on stderr).
_SRC = r"((?:[A-Za-z0-9_.+-]+/)*[A-Za-z0-9_.+-]+\.[ch]):([0-9]+): "
LOC_REASON = re.compile(r"^" + _SRC)
LOC_STDERR = re.compile(r"\*\*\* Check failed: " + _SRC)
# Characters XML 1.0 cannot hold at all.
_XML_BAD = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
OUTPUT_LIMIT = 16384
# env.json facts that become JUnit <properties>, in this order.
PROPERTIES = ("label", "environment", "kernel", "arch", "page_size",
              "thp_enabled", "zero_page", "cmdline", "cpu", "libc",
              "hostname", "suite_version", "suite_commit")


def xml_text(s):
    return _XML_BAD.sub("?", s or "")


def split_name(name):
    """("tests.core.t_api", "case") of "tests/core/t_api:case"."""
    prog, _, case = name.partition(":")
    return prog.replace("/", "."), case


def read_outputs(run_dir):
    """{case name: {"stdout": text, "stderr": text}} from results.db: what
    each case printed (kyua keeps only non-empty ones)."""
    db = os.path.join(run_dir, "results.db")
    out = {}
    try:
        con = sqlite3.connect("file:%s?mode=ro" % db, uri=True)
        rows = con.execute(
            """SELECT tp.relative_path, tc.name, tcf.file_name, f.contents
                 FROM test_case_files tcf
                 JOIN test_cases tc USING (test_case_id)
                 JOIN test_programs tp USING (test_program_id)
                 JOIN files f USING (file_id)
                WHERE tcf.file_name IN ('__STDOUT__', '__STDERR__')""")
        for prog, case, fname, blob in rows:
            if isinstance(blob, bytes):
                blob = blob.decode("utf-8", "replace")
            key = "stdout" if fname == "__STDOUT__" else "stderr"
            out.setdefault("%s:%s" % (prog, case), {})[key] = blob or ""
        con.close()
    except sqlite3.Error as e:
        raise runs.InputError("cannot read %s: %s" % (db, e))
    return out


def where(case, stderr=""):
    """(source file, line) of the assertion that failed, or None."""
    m = LOC_REASON.match(case.get("reason") or "") or \
        LOC_STDERR.search(stderr or "")
    return (m.group(1), int(m.group(2))) if m else None


def _clip(text):
    text = xml_text(text)
    if len(text) > OUTPUT_LIMIT:
        text = text[:OUTPUT_LIMIT] + "\n[... %d more characters: see " \
            "results.db]\n" % (len(text) - OUTPUT_LIMIT)
    return text


def _statements(case, catalogue):
    out = []
    for sid in case.get("semantics") or []:
        st = (catalogue.get(sid) or {}).get("statement")
        out.append("%s: %s" % (sid, st) if st else sid)
    return out


def junit_suite(run_dir, index, catalogue):
    """One <testsuite> element for a run folder."""
    summary, env = runs.read_run(run_dir)
    label = summary.get("label") or os.path.basename(
        os.path.normpath(run_dir))
    cases = summary.get("cases") or []
    suite = ET.Element("testsuite", {"name": "mmapconf %s" % label})
    props = ET.SubElement(suite, "properties")
    for k in PROPERTIES:
        v = env.get(k, summary.get(k))
        if v is not None and v != "":
            ET.SubElement(props, "property",
                          {"name": k, "value": xml_text(str(v))})
    dnr = summary.get("did_not_run")
    if dnr:
        ET.SubElement(props, "property",
                      {"name": "did_not_run", "value": xml_text(str(dnr))})
    outputs = read_outputs(run_dir) if cases else {}
    n = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    total = 0.0
    for c in cases:
        cls, name = split_name(c["name"])
        tc = ET.SubElement(suite, "testcase", {"classname": cls,
                                               "name": name})
        if c.get("seconds") is not None:
            tc.set("time", "%.3f" % c["seconds"])
            total += c["seconds"]
        n["tests"] += 1
        o = outputs.get(c["name"], {})
        reason = c.get("reason") or ""
        if c.get("known"):
            k = c["known"]
            sk = ET.SubElement(tc, "skipped")
            sk.text = xml_text(
                "known divergence: %s: %s\nlisted in %s (%s): %s\n" % (
                    c["result"], reason, k.get("file"), k.get("why"),
                    k.get("reason") or "no reason given"))
            n["skipped"] += 1
        elif c["result"] in runs.BAD:
            tag = "failure" if c["result"] == "failed" else "error"
            el = ET.SubElement(tc, tag, {"type": c["result"],
                                         "message": xml_text(reason)})
            text = [reason or c["result"]]
            loc = where(c, o.get("stderr"))
            if loc and not reason.startswith("%s:%d:" % loc):
                text.append("at %s:%d" % loc)
            text += ["proves " + s for s in _statements(c, catalogue)]
            el.text = xml_text("\n".join(text) + "\n")
            n["failures" if tag == "failure" else "errors"] += 1
        elif c["result"] == "skipped":
            sk = ET.SubElement(tc, "skipped")
            sk.text = xml_text(reason or "skipped")
            n["skipped"] += 1
        elif c["result"] == "expected_failure":
            o = dict(o)
            o["stdout"] = "expected failure: %s\n%s" % (
                reason, o.get("stdout", ""))
        for stream in ("stdout", "stderr"):
            if o.get(stream):
                ET.SubElement(tc, "system-" + stream[3:]).text = \
                    _clip(o[stream])
    for k, v in n.items():
        suite.set(k, str(v))
    secs = summary.get("seconds") or total
    try:
        t0, t1 = (datetime.datetime.fromisoformat(
            summary[k].replace("Z", "+00:00")) for k in ("started", "ended"))
        secs = max((t1 - t0).total_seconds(), 0.0) or total
    except (KeyError, TypeError, ValueError):
        pass
    suite.set("time", "%.3f" % float(secs))
    if summary.get("started"):
        suite.set("timestamp", summary["started"][:19])
    if env.get("hostname"):
        suite.set("hostname", xml_text(env["hostname"]))
    suite.set("id", str(index))
    suite.set("package", "mmapconf")
    if dnr:
        # A column that did not run is an error a CI server shows, never
        # an empty (green) suite.
        tc = ET.SubElement(suite, "testcase", {"classname": "mmapconf",
                                               "name": "suite_ran"})
        ET.SubElement(tc, "error", {"type": "did_not_run",
                                    "message": xml_text(str(dnr))}).text = \
            xml_text("the suite did not run in %s: %s\n" % (label, dnr))
        suite.set("tests", str(n["tests"] + 1))
        suite.set("errors", str(n["errors"] + 1))
        n["tests"] += 1
        n["errors"] += 1
    return suite, n, float(secs)


def junit(run_dirs, catalogue=None):
    """The JUnit document (bytes, UTF-8) for one or several run folders."""
    if catalogue is None:
        catalogue = runs.read_catalogue()
    root = ET.Element("testsuites", {"name": "mmapconf"})
    totals = {"tests": 0, "failures": 0, "errors": 0}
    secs = 0.0
    for i, d in enumerate(run_dirs):
        suite, n, s = junit_suite(d, i, catalogue)
        root.append(suite)
        for k in totals:
            totals[k] += n[k]
        secs += s
    for k, v in totals.items():
        root.set(k, str(v))
    root.set("time", "%.3f" % secs)
    ET.indent(root)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True) + b"\n"


def write_junit(path, run_dirs, catalogue=None):
    runs.write_atomic(path, junit(run_dirs, catalogue).decode("utf-8"))


def write_reports(run_dir, catalogue=None):
    """The files of a run folder that are read from its summary: junit.xml
    and report.html (harness/lib/pages.py).  Every producer's last step
    (runfolder summarize, runfolder did-not-run)."""
    if catalogue is None:
        catalogue = runs.read_catalogue()
    write_junit(os.path.join(run_dir, "junit.xml"), [run_dir], catalogue)
    pages.write_run_page(run_dir, catalogue)


# --- KTAP ----------------------------------------------------------------

def _ktap_desc(s):
    # A KTAP/TAP description may not hold "#" (it starts a directive) or a
    # newline.
    return re.sub(r"[#\n\r]", " ", s)


def ktap(run_dir, catalogue=None):
    """KTAP version 1 text of one run folder."""
    summary, _ = runs.read_run(run_dir)
    if catalogue is None:
        catalogue = runs.read_catalogue()
    cases = summary.get("cases") or []
    out = ["KTAP version 1",
           "# mmapconf %s: kernel %s, %s, page size %s" % (
               summary.get("label"), summary.get("kernel"),
               summary.get("arch"), summary.get("page_size"))]
    if summary.get("did_not_run"):
        out += ["1..0 # SKIP did not run: %s" % _ktap_desc(
            str(summary["did_not_run"]))]
        return "\n".join(out) + "\n"
    out.append("1..%d" % len(cases))
    for i, c in enumerate(cases, 1):
        name = _ktap_desc(c["name"])
        reason = _ktap_desc(c.get("reason") or "")
        if c.get("known"):
            out.append("ok %d %s # SKIP known divergence: %s: %s" % (
                i, name, c["result"], reason))
        elif c["result"] == "skipped":
            out.append("ok %d %s # SKIP %s" % (i, name, reason))
        elif c["result"] in runs.GOOD:
            out.append("ok %d %s" % (i, name))
        else:
            out.append("# %s: %s" % (c["result"], reason))
            for s in _statements(c, catalogue):
                out.append("# proves %s" % _ktap_desc(s))
            out.append("not ok %d %s" % (i, name))
    t = summary.get("totals") or {}
    out.append("# Totals: pass:%d fail:%d xfail:%d xpass:0 skip:%d "
               "error:%d" % (t.get("passed", 0), t.get("failed", 0),
                             t.get("expected_failure", 0),
                             t.get("skipped", 0), t.get("broken", 0)))
    return "\n".join(out) + "\n"


# --- GitHub workflow commands -----------------------------------------------

def _gh_escape(s, prop=False):
    s = s.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    if prop:
        s = s.replace(":", "%3A").replace(",", "%2C")
    return s


def github(run_dirs, catalogue=None):
    """One ::error (new failure) or ::warning (known divergence) line per
    failed or broken case, at the line of its failed assertion, or at the
    case's declaration in its source when the reason names no line."""
    if catalogue is None:
        catalogue = runs.read_catalogue()
    lines = []
    for d in run_dirs:
        summary, _ = runs.read_run(d)
        label = summary.get("label")
        if summary.get("did_not_run"):
            lines.append("::error title=%s::%s" % (
                _gh_escape("mmapconf %s did not run" % label, True),
                _gh_escape(str(summary["did_not_run"]))))
            continue
        outputs = None
        for c in summary.get("cases") or []:
            if c["result"] not in runs.BAD:
                continue
            if outputs is None:
                outputs = read_outputs(d)
            loc = where(c, outputs.get(c["name"], {}).get("stderr")) or \
                declared_at(c["name"])
            kind = "warning" if c.get("known") else "error"
            props = ["title=%s" % _gh_escape("%s (%s)" % (c["name"], label),
                                             True)]
            if loc:
                props[:0] = ["file=%s" % _gh_escape(loc[0], True),
                             "line=%d" % loc[1]]
            msg = "%s%s: %s" % ("known divergence: " if c.get("known")
                                else "", c["result"], c.get("reason") or "")
            msg += "".join("\nproves " + s for s in _statements(c, catalogue))
            lines.append("::%s %s::%s" % (kind, ",".join(props),
                                          _gh_escape(msg)))
    return "\n".join(lines) + ("\n" if lines else "")


def declared_at(name):
    """(source, line) where a case is declared (MC_TC(name, ...)), when the
    sources are at hand (a checkout), else None."""
    prog, _, case = name.partition(":")
    src = prog + ".c"
    path = os.path.join(runs.ROOT, src)
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            for i, line in enumerate(f, 1):
                if re.match(r"\s*MC_TC(_CLEANUP)?\(\s*%s\s*," % re.escape(
                        case), line):
                    return src, i
    except OSError:
        return None
    return None
