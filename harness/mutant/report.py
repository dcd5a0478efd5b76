#!/usr/bin/env python3
"""report.py --reports DIR --baseline RUNDIR [--catalogue TSV]
             [--left-out "progs"] NAME...

Decides every mutant from run folders only -- RUNDIR/summary.json (the
baseline) and DIR/mutants/NAME/{summary.json,mutant.json,inject.log} -- and
writes DIR/mutants.json and DIR/mutants.md.

  killed    a case that passed in the baseline failed or broke under it,
            and the mutant changed something in that case (inject.log);
            failures of cases it never touched are listed as unexplained
  hung      its run exceeded the bound, or a case ran into kyua's timeout
  survived  neither

NAME "none" is the control (injector attached, nothing changed): every case
must end as in the baseline. Exit 0 when every mutant is killed and the
control is clean, 1 otherwise, 2 when a run folder cannot be read.
Python 3 standard library only.
"""
import argparse
import json
import os
import sys

BAD = ("failed", "broken")


def die(msg):
    print("report.py: error: " + msg, file=sys.stderr)
    sys.exit(2)


def load_json(path):
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError) as e:
        die("cannot read %s: %s" % (path, e))


def catalogue_ids(path):
    ids = set()
    if path and os.path.isfile(path):
        for line in open(path):
            if line.startswith("#") or not line.strip():
                continue
            ids.add(line.split("\t", 1)[0])
    return ids


def fired_cases(path):
    """Cases in which the mutant changed something (inject.log)."""
    cases = {}
    if os.path.isfile(path):
        for line in open(path):
            f = line.rstrip("\n").split("\t")
            if len(f) != 3 or f[1] in ("-l", "-h"):
                continue
            prog = f[0]
            # .../real/tests/<area>/<prog> -> tests/<area>/<prog>
            i = prog.rfind("/tests/")
            prog = prog[i + 1:] if i >= 0 else prog
            name = "%s:%s" % (prog, f[1])
            cases[name] = cases.get(name, 0) + int(f[2] or 0)
    return cases


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--reports", required=True)
    ap.add_argument("--baseline", required=True)
    ap.add_argument("--catalogue", default="")
    ap.add_argument("--left-out", default="")
    ap.add_argument("--stale", default="")
    ap.add_argument("--programs", default="",
                    help="the runs hold only these programs")
    ap.add_argument("names", nargs="+")
    a = ap.parse_args()

    base = load_json(os.path.join(a.baseline, "summary.json"))
    progs = set(a.programs.split())
    base_res = {c["name"]: c["result"] for c in base["cases"]
                if not progs or c["name"].split(":", 1)[0] in progs}
    base_sem = {c["name"]: c.get("semantics", []) for c in base["cases"]}
    known = catalogue_ids(a.catalogue)
    for sems in base_sem.values():
        known.update(sems)

    control = None
    mutants = []
    for name in a.names:
        d = os.path.join(a.reports, "mutants", name)
        meta = load_json(os.path.join(d, "mutant.json"))
        cases = {}
        if not meta["hung"]:
            s = load_json(os.path.join(d, "summary.json"))
            cases = {c["name"]: c for c in s["cases"]}
        fired = fired_cases(os.path.join(d, "inject.log"))
        if name == "none":
            diffs = []
            for cname in sorted(set(base_res) | set(cases)):
                b = base_res.get(cname)
                m = cases.get(cname, {}).get("result")
                if b != m:
                    diffs.append({"case": cname, "baseline": b, "control": m,
                                  "reason": cases.get(cname, {}).get(
                                      "reason", "")})
            control = {"name": name, "description": meta["description"],
                       "leftovers": meta.get("leftovers", []),
                       "status": "hung" if meta["hung"] else
                       ("clean" if not diffs else "differs"),
                       "differences": diffs, "seconds": meta["seconds"]}
            continue
        failing = sorted(n for n, c in cases.items()
                         if base_res.get(n) == "passed" and
                         c["result"] in BAD)
        # A case catches the mutant only if the mutant changed something
        # in it (inject.log); other failures are noise (a flaky case).
        caught = [n for n in failing if fired.get(n)]
        unexplained = [n for n in failing if not fired.get(n)]
        hung_cases = sorted(n for n, c in cases.items()
                            if c["result"] == "broken" and
                            "timed out" in c.get("reason", ""))
        if meta["hung"] or hung_cases:
            status = "hung"
        elif caught:
            status = "killed"
        else:
            status = "survived"
        breaks = meta["breaks"]
        on_target = [n for n in caught
                     if set(base_sem.get(n, [])) & set(breaks)]
        mutants.append({
            "name": name,
            "breaks": breaks,
            "status": status,
            "caught_by": caught,
            "on_target": on_target,
            "reasons": {n: cases[n].get("reason", "") for n in caught[:5]},
            "hung_cases": hung_cases,
            "unexplained": unexplained,
            "fired_in": len(fired),
            "description": meta["description"],
            "hint": meta.get("hint", ""),
            "unknown_ids": [i for i in breaks if i not in known],
            "seconds": meta["seconds"],
            "bound": meta["bound"],
            "leftovers": meta.get("leftovers", []),
        })

    totals = {k: sum(1 for m in mutants if m["status"] == k)
              for k in ("killed", "survived", "hung")}
    out = {
        "baseline": {"folder": a.baseline, "label": base.get("label"),
                     "kernel": base.get("kernel"), "cases": len(base_res),
                     "passed": sum(1 for r in base_res.values()
                                   if r == "passed")},
        "control": control,
        "totals": dict(totals, mutants=len(mutants)),
        "left_out": a.left_out.split(),
        "stale": a.stale.split(),
        "programs": sorted(progs) or "all",
        "mutants": mutants,
    }
    jpath = os.path.join(a.reports, "mutants.json")
    with open(jpath + ".tmp", "w") as f:
        json.dump(out, f, indent=1)
        f.write("\n")
    os.replace(jpath + ".tmp", jpath)
    mpath = os.path.join(a.reports, "mutants.md")
    with open(mpath + ".tmp", "w") as f:
        f.write(markdown(out))
    os.replace(mpath + ".tmp", mpath)

    for m in mutants:
        if m["status"] == "killed":
            what = "%d cases, %d on target, e.g. %s" % (
                len(m["caught_by"]), len(m["on_target"]),
                (m["on_target"] or m["caught_by"])[0])
        elif m["status"] == "hung":
            what = "over its bound" if not m["hung_cases"] else \
                "cases hit kyua's timeout: " + " ".join(m["hung_cases"])
        else:
            what = "no case caught it (changed calls in %d cases)" % \
                m["fired_in"]
        print("mutants: %-28s %-8s %s" % (m["name"], m["status"], what))
    if control:
        print("mutants: control 'none': %s%s" % (
            control["status"], "" if control["status"] == "clean" else
            ": " + "; ".join("%s %s->%s" % (d["case"], d["baseline"],
                                             d["control"])
                             for d in control["differences"][:5])))
    for m in mutants:
        if m["unexplained"]:
            print("mutants: %-28s failed without being touched by it "
                  "(flaky?): %s" % (m["name"], " ".join(m["unexplained"])))
    for m in mutants + ([control] if control else []):
        for l in m["leftovers"]:
            print("mutants: %-28s left behind: %s" % (m["name"], l))
    print("mutants: %d killed, %d survived, %d hung of %d -> %s" % (
        totals["killed"], totals["survived"], totals["hung"], len(mutants),
        mpath))
    ok = totals["survived"] == 0 and totals["hung"] == 0 and \
        control is not None and control["status"] == "clean"
    return 0 if ok else 1


def markdown(o):
    L = []
    t = o["totals"]
    b = o["baseline"]
    L.append("# Mutation testing\n")
    L.append("Each mutant makes the environment violate one documented "
             "semantic (harness/mutant/inject.c: ptrace + seccomp, below "
             "libc, for the test program and all its children). A mutant "
             "is **killed** when a case that passed in the baseline fails "
             "or breaks under it and the mutant changed something in that "
             "case; a survivor is a missing test. See "
             "harness/mutant/README.md.\n")
    L.append("**%d mutants: %d killed, %d survived, %d hung.** Baseline: "
             "`%s` (%s, %d cases, %d passed).\n" % (
                 t["mutants"], t["killed"], t["survived"], t["hung"],
                 b["label"], b["kernel"], b["cases"], b["passed"]))
    c = o["control"]
    if c:
        L.append("Control `none` (every mmap-family call traced, nothing "
                 "changed): **%s** (%.1f s)." % (c["status"], c["seconds"]))
        for d in c["differences"]:
            L.append("- %s: %s in the baseline, %s under the control: %s" % (
                d["case"], d["baseline"], d["control"], d["reason"]))
        L.append("")
    if o["left_out"]:
        L.append("Left out (not built): %s\n" % ", ".join(o["left_out"]))
    if o["stale"]:
        L.append("Used as last built, older than their source: %s\n" %
                 ", ".join(o["stale"]))
    if o["programs"] != "all":
        L.append("Programs (a subset): %s\n" % ", ".join(o["programs"]))
    L.append("| mutant | breaks | status | caught by | s |")
    L.append("|---|---|---|---|---|")
    for m in o["mutants"]:
        if m["caught_by"]:
            first = m["on_target"] or m["caught_by"]
            cb = "%d (%d on target): %s%s" % (
                len(m["caught_by"]), len(m["on_target"]),
                ", ".join("`%s`" % n for n in first[:3]),
                ", ..." if len(first) > 3 else "")
        else:
            cb = "-"
        L.append("| `%s` | %s | **%s** | %s | %.1f |" % (
            m["name"], " ".join(m["breaks"]) or "-", m["status"], cb,
            m["seconds"]))
    L.append("")
    L.append("*caught by*: cases that passed in the baseline, failed or "
             "broke under the mutant, and in which the mutant changed "
             "something (inject.log). *on target*: those whose X-semantics "
             "name one of the ids the mutant breaks.\n")
    L.append("## Mutants\n")
    for m in o["mutants"]:
        L.append("- `%s`: %s. Breaks %s. Changed calls in %d cases." % (
            m["name"], m["description"], " ".join(m["breaks"]) or "-",
            m["fired_in"]))
        if m["unexplained"]:
            L.append("  - failed although the mutant changed nothing in them "
                     "(flaky?): %s" % ", ".join(
                         "`%s`" % n for n in m["unexplained"]))
        if m["unknown_ids"]:
            L.append("  - ids not in the catalogue: %s" %
                     " ".join(m["unknown_ids"]))
    surv = [m for m in o["mutants"] if m["status"] == "survived"]
    hung = [m for m in o["mutants"] if m["status"] == "hung"]
    L.append("\n## Survivors (missing tests)\n")
    if not surv:
        L.append("None.")
    for m in surv:
        L.append("- `%s` (%s): a test should assert that %s." % (
            m["name"], " ".join(m["breaks"]), m["hint"]))
    L.append("\n## Hangs\n")
    if not hung:
        L.append("None: every run ended within its bound.")
    for m in hung:
        if m["hung_cases"]:
            L.append("- `%s`: cases ran into kyua's timeout (a wait without "
                     "bound in the test): %s" % (
                         m["name"], ", ".join(m["hung_cases"])))
        else:
            L.append("- `%s`: the run exceeded its bound of %d s." % (
                m["name"], m["bound"]))
    L.append("\n## Leftovers\n")
    left = [(m["name"], l) for m in o["mutants"] + ([c] if c else [])
            for l in m["leftovers"]]
    if not left:
        L.append("None: no shm object, mount, /tmp entry or process left "
                 "behind by any run.")
    for name, l in left:
        L.append("- after `%s`: %s" % (name, l))
    L.append("")
    return "\n".join(L) + "\n"


if __name__ == "__main__":
    sys.exit(main())
