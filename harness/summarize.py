#!/usr/bin/env python3
"""summarize.py RUN_DIR [--label L] [--baseline FILE_OR_DIR]...

Reads RUN_DIR/results.db (kyua's SQLite store) and RUN_DIR/env.json and
writes RUN_DIR/summary.json:

  {"label", "kernel", "arch", "page_size", "environment",
   "totals": {"passed", "failed", "broken", "skipped", "expected_failure",
              "known"},
   "baselines": [{"file", "applies", "why"}],
   "cases": [{"name": "prog:case", "result", "reason", "semantics": [ids],
              "seconds", "known": {"file", "reason", "why"}}]}

"result" is always kyua's verdict.  With --baseline (a baseline file, or a
folder of them: harness/matrixlib.py says when one applies to a run), a
failed or broken case the baseline lists also gets "known", and is counted
in totals.known as well as in failed/broken.  The run's report.txt then
starts with the known and the new divergences, and junit.xml shows each
known one as <skipped message="known divergence: ...">, not <failure>.
Exit status: 0 summary written; 2 bad input (missing or corrupt results.db,
env.json or baseline file).

Also used to strip the environment dump from kyua's JUnit output
(--clean-junit FILE), to check a baseline file or folder before a run
(--check-baseline PATH: exit 2 with one line when it cannot be read), and
for a run's verdict (--verdict RUN_DIR [SECONDS]: its totals line and one
line per failed, broken or known case; exit 1 when a case failed or broke
that is not a known divergence, else 0).
Python 3 standard library only.
"""
import json
import os
import re
import sys
import xml.etree.ElementTree as ET

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import matrixlib as ml  # noqa: E402

RESULTS = ("passed", "failed", "broken", "skipped", "expected_failure")


def die(msg):
    print("summarize: error: " + msg, file=sys.stderr)
    sys.exit(2)


def mark_known(summary, env, baselines):
    """Add "known" to every failed/broken case a baseline that applies to
    this run lists; summary["baselines"] says which applied and why."""
    col = {"label": summary["label"], "facts": env,
           "environment": summary["environment"],
           "kernel": summary["kernel"], "arch": summary["arch"],
           "page_size": summary["page_size"]}
    col["key"] = ml.derive_key(summary, env)
    try:
        sources = ml.baseline_sources(baselines)
    except ml.InputError as e:
        die(str(e))
    pats = ml.load_baseline(None, col, sources=sources)
    summary["baselines"] = ml.applied_baselines(sources, col)
    n = 0
    for c in summary["cases"]:
        if c["result"] not in ml.BAD:
            continue
        e = ml.known_entry(pats, c["name"])
        if e:
            c["known"] = {"file": ml.show_path(e[1]), "reason": e[2],
                          "why": e[3]}
            n += 1
    summary["totals"]["known"] = n


def summarize(run_dir, label, baselines=()):
    try:
        cases = ml.read_cases(os.path.join(run_dir, "results.db"))
    except ml.InputError as e:
        die(str(e))
    env = {}
    env_path = os.path.join(run_dir, "env.json")
    if os.path.isfile(env_path):
        try:
            with open(env_path) as f:
                env = json.load(f)
        except (OSError, ValueError) as e:
            die("corrupt %s: %s" % (env_path, e))
        if not isinstance(env, dict):
            die("corrupt %s: not an object" % env_path)
    totals = {r: 0 for r in RESULTS}
    for c in cases:
        totals[c["result"]] = totals.get(c["result"], 0) + 1
    summary = {
        "label": label or env.get("label") or os.path.basename(
            os.path.normpath(run_dir)),
        "kernel": env.get("kernel"),
        "arch": env.get("arch"),
        "page_size": env.get("page_size"),
        "environment": env.get("environment"),
        "totals": totals,
        "cases": cases,
    }
    totals["known"] = 0
    if baselines:
        mark_known(summary, env, baselines)
    write_atomic(os.path.join(run_dir, "summary.json"),
                 json.dumps(summary, indent=1) + "\n")
    if baselines:
        annotate_report(run_dir, summary)
        annotate_junit(run_dir, summary)
    return summary


def write_atomic(path, text, encoding="utf-8"):
    tmp = "%s.tmp.%d" % (path, os.getpid())
    try:
        with open(tmp, "w", encoding=encoding) as f:
            f.write(text)
        os.replace(tmp, path)
    except OSError as e:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        die("cannot write %s: %s" % (path, e.strerror or e))


def divergence_lines(summary):
    """Lines that say which failures are known, which are new."""
    known = [c for c in summary["cases"] if c.get("known")]
    new = [c for c in summary["cases"]
           if c["result"] in ml.BAD and not c.get("known")]
    out = ["===> mmapconf: known divergences",
           "Baselines: " + ("; ".join(
               "%s (%s)" % (b["file"], b["why"] if b["applies"]
                            else "does not apply: " + b["why"])
               for b in summary.get("baselines", [])) or "none")]
    for c in known:
        out.append("KNOWN divergence %s: %s -- %s (listed in %s, %s)" % (
            c["name"], c["result"], c["known"]["reason"] or "no reason given",
            c["known"]["file"], c["known"]["why"]))
    for c in new:
        out.append("NEW %s %s: %s" % (c["result"], c["name"], c["reason"]))
    out.append("%d failed or broken: %d known divergences, %d new" % (
        len(known) + len(new), len(known), len(new)))
    return out


def annotate_report(run_dir, summary):
    """report.txt starts with the known and the new divergences."""
    path = os.path.join(run_dir, "report.txt")
    if not os.path.isfile(path):
        return
    with open(path, encoding="utf-8", errors="replace") as f:
        text = f.read()
    text = re.sub(r"\A===> mmapconf: known divergences\n.*?\n\n", "", text,
                  flags=re.S)
    write_atomic(path, "\n".join(divergence_lines(summary)) + "\n\n" + text)


def annotate_junit(run_dir, summary):
    """Each known divergence becomes <skipped message="known divergence:
    ..."> with kyua's failure text, the way pytest reports an expected
    failure: CI servers show it, with its reason, as neither a pass nor a
    new failure."""
    path = os.path.join(run_dir, "junit.xml")
    if not os.path.isfile(path):
        return
    known = {c["name"]: c for c in summary["cases"] if c.get("known")}
    try:
        tree = ET.parse(path)
    except (ET.ParseError, OSError) as e:
        die("cannot read %s: %s" % (path, e))
    for tc in tree.getroot().iter("testcase"):
        prog = (tc.get("classname") or "").replace(".", "/")
        c = known.get("%s:%s" % (prog, tc.get("name")))
        if not c:
            continue
        for bad in list(tc):
            if bad.tag in ("failure", "error"):
                tc.remove(bad)
        sk = ET.Element("skipped", {
            "message": "known divergence: %s: %s (listed in %s)" % (
                c["result"], c["reason"], c["known"]["file"])})
        sk.text = "%s\nwhy it is known: %s (%s)\n" % (
            c["reason"], c["known"]["reason"] or "no reason given",
            c["known"]["why"])
        tc.insert(0, sk)
    tmp = "%s.tmp.%d" % (path, os.getpid())
    try:
        tree.write(tmp, encoding="iso-8859-1", xml_declaration=True)
        os.replace(tmp, path)
    except OSError as e:
        die("cannot write %s: %s" % (path, e.strerror or e))


def clean_junit(path):
    """Drop kyua's <properties> block (every environment variable)."""
    try:
        with open(path, encoding="iso-8859-1") as f:
            text = f.read()
    except OSError as e:
        die("cannot read %s: %s" % (path, e.strerror or e))
    text = re.sub(r"<properties>.*?</properties>\s*", "", text, flags=re.S)
    write_atomic(path, text, encoding="iso-8859-1")


def verdict(run_dir, secs):
    """The totals of a finished run folder and its failures; 1 when a case
    failed or broke that no baseline lists, else 0."""
    try:
        with open(os.path.join(run_dir, "summary.json"),
                  encoding="utf-8") as f:
            s = json.load(f)
        t, cases = s["totals"], s["cases"]
    except (OSError, ValueError, KeyError, TypeError) as e:
        die("cannot read %s/summary.json: %s" % (run_dir, e))
    print("%s: %d cases in %ss: %d passed, %d failed, %d broken, %d skipped, "
          "%d expected_failure (%d of the failed/broken are known "
          "divergences) -> %s" % (
              s.get("label"), len(cases), secs, t["passed"], t["failed"],
              t["broken"], t["skipped"], t["expected_failure"],
              t.get("known", 0), run_dir))
    for b in s.get("baselines", []):
        print("  baseline %s: %s" % (b["file"], b["why"] if b["applies"]
                                     else "does not apply (%s)" % b["why"]))
    new = 0
    for c in cases:
        if c["result"] not in ml.BAD:
            continue
        k = c.get("known")
        new += not k
        print("  %s %s: %s%s" % (
            "KNOWN" if k else c["result"].upper(), c["name"], c["reason"],
            " [known divergence: %s, %s]" % (k["reason"], k["file"])
            if k else ""))
    return 1 if new else 0


def main(argv):
    if argv[:1] == ["--verdict"] and len(argv) in (2, 3):
        return verdict(argv[1], argv[2] if len(argv) == 3 else "?")
    if len(argv) == 2 and argv[0] == "--clean-junit":
        clean_junit(argv[1])
        return 0
    if len(argv) == 2 and argv[0] == "--check-baseline":
        try:
            ml.baseline_sources([argv[1]])
        except ml.InputError as e:
            die(str(e))
        return 0
    if not argv or argv[0].startswith("-"):
        die("usage: summarize.py RUN_DIR [--label L] [--baseline PATH]... "
            "| --clean-junit FILE")
    run_dir, label, baselines = argv[0], None, []
    i = 1
    while i < len(argv):
        if argv[i] in ("--label", "--baseline") and i + 1 < len(argv):
            if argv[i] == "--label":
                label = argv[i + 1]
            else:
                baselines.append(argv[i + 1])
            i += 2
        else:
            die("unknown or incomplete argument %r" % argv[i])
    s = summarize(run_dir, label, baselines)
    t = s["totals"]
    print("%s: %d passed, %d failed, %d broken, %d skipped, "
          "%d expected_failure, %d known divergences" % (
              s["label"], t["passed"], t["failed"], t["broken"], t["skipped"],
              t["expected_failure"], t["known"]))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
