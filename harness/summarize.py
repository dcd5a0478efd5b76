#!/usr/bin/env python3
"""summarize.py RUN_DIR [--label L]

Reads RUN_DIR/results.db (kyua's SQLite store) and RUN_DIR/env.json and
writes RUN_DIR/summary.json:

  {"label", "kernel", "arch", "page_size",
   "totals": {"passed", "failed", "broken", "skipped", "expected_failure"},
   "cases": [{"name": "prog:case", "result", "reason", "semantics": [ids],
              "seconds"}]}

Also used to strip the environment dump from kyua's JUnit output
(--clean-junit FILE). Python 3 standard library only.
"""
import json
import os
import re
import sqlite3
import sys

RESULTS = ("passed", "failed", "broken", "skipped", "expected_failure")


def die(msg):
    print("summarize: " + msg, file=sys.stderr)
    sys.exit(1)


def read_cases(db_path):
    if not os.path.isfile(db_path):
        die("no results database at %s" % db_path)
    try:
        con = sqlite3.connect("file:%s?mode=ro" % db_path, uri=True)
        rows = con.execute(
            """SELECT tp.relative_path, tc.name, tr.result_type,
                      tr.result_reason, tr.start_time, tr.end_time,
                      (SELECT property_value FROM metadatas m
                        WHERE m.metadata_id = tc.metadata_id
                          AND m.property_name = 'custom.semantics')
                 FROM test_cases tc
                 JOIN test_programs tp USING (test_program_id)
                 LEFT JOIN test_results tr USING (test_case_id)
                ORDER BY tp.relative_path, tc.name""").fetchall()
        con.close()
    except sqlite3.Error as e:
        die("cannot read %s: %s" % (db_path, e))
    cases = []
    for prog, name, result, reason, start, end, sem in rows:
        if result is None:
            result, reason = "broken", "no result recorded"
        seconds = round((end - start) / 1e6, 3) if end and start else None
        cases.append({
            "name": "%s:%s" % (prog, name),
            "result": result,
            "reason": reason or "",
            "semantics": (sem or "").split(),
            "seconds": seconds,
        })
    return cases


def summarize(run_dir, label):
    cases = read_cases(os.path.join(run_dir, "results.db"))
    env = {}
    env_path = os.path.join(run_dir, "env.json")
    if os.path.isfile(env_path):
        try:
            with open(env_path) as f:
                env = json.load(f)
        except (OSError, ValueError) as e:
            die("corrupt %s: %s" % (env_path, e))
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
    tmp = os.path.join(run_dir, ".summary.json.tmp")
    with open(tmp, "w") as f:
        json.dump(summary, f, indent=1, sort_keys=False)
        f.write("\n")
    os.replace(tmp, os.path.join(run_dir, "summary.json"))
    return summary


def clean_junit(path):
    """Drop kyua's <properties> block (every environment variable)."""
    with open(path, encoding="iso-8859-1") as f:
        text = f.read()
    text = re.sub(r"<properties>.*?</properties>\s*", "", text, flags=re.S)
    with open(path, "w", encoding="iso-8859-1") as f:
        f.write(text)


def main(argv):
    if len(argv) >= 2 and argv[0] == "--clean-junit":
        clean_junit(argv[1])
        return 0
    if not argv:
        die("usage: summarize.py RUN_DIR [--label L] | --clean-junit FILE")
    label = None
    if len(argv) == 3 and argv[1] == "--label":
        label = argv[2]
    s = summarize(argv[0], label)
    t = s["totals"]
    print("%s: %d passed, %d failed, %d broken, %d skipped, "
          "%d expected_failure" % (s["label"], t["passed"], t["failed"],
                                   t["broken"], t["skipped"],
                                   t["expected_failure"]))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
