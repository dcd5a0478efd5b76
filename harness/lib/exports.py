"""exports: run folders in the formats other tools read.  Readers of run
folders only (summary.json, env.json, results.db); harness/read/export is
their command, and every run folder's junit.xml is written here too
(runs.summarize).  Python 3 standard library only.

One test name across every output: kyua's "tests/<area>/t_<prog>:<case>".
JUnit splits it at the colon (classname "tests.<area>.t_<prog>", name
"<case>"), KTAP prints it whole, GitHub annotations title it, KCIDB keeps
it in each test's misc.name beside the dotted path its schema requires
("mmapconf.<area>.t_<prog>.<case>").

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
  kcidb    KCIDB I/O data (KernelCI's common results database), schema
           v5.3: checkouts, builds and tests, known divergences as issues
           and incidents; checked against harness/lib/kcidb-v5.schema.json.
  github   GitHub Actions workflow commands: one ::error annotation per
           new failure, at the source line of the assertion that failed.
"""
import datetime
import hashlib
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


def failure_lines(case, outputs, catalogue):
    """What a failed or broken case says, line by line: its reason, where
    its assertion failed (when the reason does not start with that), the
    semantics it proves."""
    reason = case.get("reason") or ""
    text = [reason or case["result"]]
    loc = where(case, outputs.get("stderr"))
    if loc and not reason.startswith("%s:%d:" % loc):
        text.append("at %s:%d" % loc)
    return text + ["proves " + s for s in _statements(case, catalogue)]


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
            el.text = xml_text("\n".join(failure_lines(c, o, catalogue))
                               + "\n")
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


# --- KCIDB -----------------------------------------------------------------

KCIDB_VERSION = {"major": 5, "minor": 3}
KCIDB_ORIGIN = re.compile(r"^[a-z0-9_]+$")
KCIDB_ID = re.compile(r"^[a-z0-9_]+:[\x20-\x7e]+$")
_KCIDB_PART = re.compile(r"[^a-zA-Z0-9_-]")
# kyua result -> KCIDB status: a known divergence keeps its status (the
# tested code did diverge) and gets an incident of its baseline's issue.
KCIDB_STATUS = {"passed": "PASS", "expected_failure": "PASS",
                "failed": "FAIL", "broken": "ERROR", "skipped": "SKIP"}
# env.json facts that describe where a case ran (test environment.misc).
KCIDB_ENV = ("label", "environment", "arch", "page_size", "thp_enabled",
             "zero_page", "pfn_visible", "euid", "user_namespace",
             "container", "cpu", "cpus", "libc", "hostname")


def _kcidb_text(s, limit=None):
    s = (s or "").replace("\0", "?")
    if limit and len(s) > limit:
        tail = "\n[... clipped: see results.db]\n"
        s = s[:limit - len(tail)] + tail
    return s


def kcidb_path(name):
    """The KCIDB test path of a case: its one name, "tests/<area>/t_<prog>:
    <case>", as the dotted path "mmapconf.<area>.t_<prog>.<case>" (KCIDB
    paths hold only letters, digits, "_" and "-" between the dots)."""
    prog, _, case = name.partition(":")
    parts = prog.split("/")
    if parts[:1] == ["tests"]:
        parts = parts[1:]
    parts = ["mmapconf"] + parts + ([case] if case else [])
    return ".".join(_KCIDB_PART.sub("_", p) or "_" for p in parts)


def _kcidb_time(us):
    """RFC 3339 of kyua's microseconds since the epoch."""
    return datetime.datetime.fromtimestamp(
        us / 1e6, datetime.timezone.utc).isoformat(timespec="microseconds")


def _kcidb_iso(s):
    """RFC 3339 of summary.json's "2026-12-07T05:55:29.495Z", or None."""
    try:
        t = datetime.datetime.fromisoformat(str(s).replace("Z", "+00:00"))
    except ValueError:
        return None
    if t.tzinfo is None:
        return None
    return t.isoformat(timespec="microseconds")


def read_start_times(run_dir):
    """{case name: start (microseconds since the epoch)} from results.db."""
    db = os.path.join(run_dir, "results.db")
    try:
        con = sqlite3.connect("file:%s?mode=ro" % db, uri=True)
        rows = con.execute(
            """SELECT tp.relative_path, tc.name, tr.start_time
                 FROM test_results tr
                 JOIN test_cases tc USING (test_case_id)
                 JOIN test_programs tp USING (test_program_id)""")
        out = {"%s:%s" % (p, c): s for p, c, s in rows
               if isinstance(s, int) and s > 0}
        con.close()
    except sqlite3.Error as e:
        raise runs.InputError("cannot read %s: %s" % (db, e))
    return out


def _digest(*parts):
    return hashlib.sha256("\0".join(str(p) for p in parts).encode(
        "utf-8", "replace")).hexdigest()[:16]


def check_kcidb_options(origin, build_id=None):
    """An InputError unless origin is a KCIDB origin and build_id (when
    given) a KCIDB object ID."""
    if not KCIDB_ORIGIN.match(origin or ""):
        raise runs.InputError("KCIDB origin %a: lower-case letters, digits "
                              "and '_' only" % origin)
    if build_id is not None and not KCIDB_ID.match(build_id):
        raise runs.InputError("KCIDB build id %a: ORIGIN:ID expected "
                              "(printable ASCII)" % build_id)


def kcidb(run_dirs, catalogue=None, origin="mmapconf", build_id=None):
    """KCIDB I/O data, schema v5.3 (a dict to dump as JSON), of run
    folders: a checkout and a build per kernel tested (uname's release and
    version; mmapconf neither checks out nor builds it, so these carry what
    uname says), a test per case with the path kcidb_path() gives, its
    status, start time, duration, where it ran (environment) and, in misc,
    the case's one name, kyua's result, its reason and the semantic IDs it
    proves; a failure's reason, statements and output as log_excerpt.  A
    known divergence is an incident of an issue, one issue per baseline
    reason.  A run folder that did not run is one test "mmapconf", MISS.
    IDs are "<origin>:..." and stable: the same run folder gives the same
    IDs, so a resubmission updates instead of duplicating.  With build_id
    (a build already in KCIDB, e.g. the one the lab that built the kernel
    submitted), every test names it and no checkout or build is written."""
    check_kcidb_options(origin, build_id)
    given_build = build_id
    if catalogue is None:
        catalogue = runs.read_catalogue()
    data = {"version": dict(KCIDB_VERSION), "checkouts": [], "builds": [],
            "tests": [], "issues": [], "incidents": []}
    seen = set()

    def once(kind, obj):
        if (kind, obj["id"]) not in seen:
            seen.add((kind, obj["id"]))
            data[kind].append(obj)

    for d in run_dirs:
        summary, env = runs.read_run(d)
        label = str(summary.get("label") or os.path.basename(
            os.path.normpath(d)))
        release = str(env.get("kernel") or summary.get("kernel") or "")
        kver = str(env.get("kernel_version") or "")
        arch = str(env.get("arch") or summary.get("arch") or "")
        kernel = (release + " " + kver).strip() or "unknown (%s)" % label
        checkout_id = "%s:kernel-%s" % (origin, _digest(release, kver, label
                                                        if not release else ""))
        build_id = given_build or "%s:build-%s" % (origin, _digest(
            checkout_id, arch))
        if not given_build:
            once("checkouts", {
                "id": checkout_id, "origin": origin,
                "comment": _kcidb_text("Linux %s, as uname reports it" %
                                       kernel),
                "misc": {"kernel_release": release, "kernel_version": kver}})
            build = {"id": build_id, "checkout_id": checkout_id,
                     "origin": origin,
                     "comment": _kcidb_text("the kernel as booted: %s %s" % (
                         kernel, arch))}
            a = _KCIDB_PART.sub("_", arch.lower()).replace("-", "_")
            if a:
                build["architecture"] = a
            once("builds", build)
        run_key = "%s@%s" % (label, summary.get("started") or "")
        environment = {"comment": _kcidb_text("mmapconf %s (%s)" % (
            label, env.get("environment") or summary.get("environment")
            or "?")), "misc": {k: env[k] for k in KCIDB_ENV if k in env}}
        suite = summary.get("suite") or {}
        dnr = summary.get("did_not_run")
        if dnr:
            t = {"id": "%s:%s:mmapconf" % (origin, run_key),
                 "build_id": build_id, "origin": origin, "path": "mmapconf",
                 "status": "MISS", "environment": environment,
                 "comment": _kcidb_text("the suite did not run: %s" % dnr),
                 "log_excerpt": _kcidb_text(str(dnr), 16384),
                 "misc": {"run": label, "did_not_run": str(dnr)}}
            start = _kcidb_iso(summary.get("started"))
            if start:
                t["start_time"] = start
            data["tests"].append(t)
            continue
        starts = read_start_times(d)
        outputs = None
        for c in summary.get("cases") or []:
            name, result = c["name"], c["result"]
            reason = c.get("reason") or ""
            t = {"id": "%s:%s:%s" % (origin, run_key, name),
                 "build_id": build_id, "origin": origin,
                 "path": kcidb_path(name),
                 "status": KCIDB_STATUS.get(result, "ERROR"),
                 "environment": environment}
            if name in starts:
                t["start_time"] = _kcidb_time(starts[name])
            if isinstance(c.get("seconds"), (int, float)):
                t["duration"] = float(c["seconds"])
            misc = {"name": name, "result": result,
                    "semantics": list(c.get("semantics") or []),
                    "run": label}
            if reason:
                misc["reason"] = reason
            if suite.get("version"):
                misc["suite_version"] = suite["version"]
            if suite.get("commit"):
                misc["suite_commit"] = suite["commit"]
            if result in runs.BAD or result == "skipped":
                t["comment"] = _kcidb_text(reason or result)
            if result in runs.BAD:
                if outputs is None:
                    outputs = read_outputs(d)
                o = outputs.get(name, {})
                text = failure_lines(c, o, catalogue)
                for stream in ("stdout", "stderr"):
                    if o.get(stream):
                        text.append("--- %s\n%s" % (stream, o[stream]))
                t["log_excerpt"] = _kcidb_text("\n".join(text) + "\n", 16384)
            k = c.get("known")
            if k:
                misc["known_divergence"] = {
                    "file": str(k.get("file") or ""),
                    "reason": str(k.get("reason") or "")}
                issue_id = "%s:known-%s" % (origin, _digest(
                    k.get("file"), k.get("reason")))
                once("issues", {
                    "id": issue_id, "version": 0, "origin": origin,
                    "comment": _kcidb_text("known divergence: %s" % (
                        k.get("reason") or "no reason given")),
                    "misc": {"baseline": str(k.get("file") or "")}})
                data["incidents"].append({
                    "id": "%s:incident-%s" % (origin, _digest(t["id"])),
                    "origin": origin, "issue_id": issue_id,
                    "issue_version": 0, "test_id": t["id"],
                    "build_id": build_id, "present": True})
            t["misc"] = misc
            data["tests"].append(t)
    for kind in ("checkouts", "builds", "issues", "incidents"):
        if not data[kind]:
            del data[kind]
    return data


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
