#!/usr/bin/env python3
"""check-catalogue.py RUN_DIR [CATALOGUE]

The invariants that tie the semantic catalogue (tests/semantics.tsv) to the
test cases of a run (RUN_DIR/summary.json):
  - every catalogue row is well formed: id, area, source, statement; ids unique;
  - every test case names at least one semantic (ATF metadata X-semantics);
  - every semantic a case names is in the catalogue;
  - every catalogue id is proved by at least one case.
Prints one line per problem and a count line; exit 1 on any problem.
"""
import json
import os
import re
import sys

ID_RE = re.compile(r"^[A-Z][A-Z0-9]*(-[A-Z0-9]+)*-[0-9]+$")


def load_catalogue(path):
    problems, ids = [], {}
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            line = line.rstrip("\n")
            if not line or line.startswith("#"):
                continue
            cols = line.split("\t")
            if len(cols) != 4 or not all(c.strip() for c in cols):
                problems.append("%s:%d: expected 4 non-empty tab-separated "
                                "columns, got %d" % (path, n, len(cols)))
                continue
            sid = cols[0]
            if not ID_RE.match(sid):
                problems.append("%s:%d: malformed id %r" % (path, n, sid))
            if sid in ids:
                problems.append("%s:%d: duplicate id %s (first on line %d)"
                                % (path, n, sid, ids[sid]["line"]))
            ids[sid] = {"line": n, "area": cols[1], "source": cols[2]}
    return ids, problems


def main(argv):
    if not argv:
        print("usage: check-catalogue.py RUN_DIR [CATALOGUE]", file=sys.stderr)
        return 2
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    cat_path = argv[1] if len(argv) > 1 else os.path.join(
        root, "tests", "semantics.tsv")
    try:
        with open(os.path.join(argv[0], "summary.json")) as f:
            cases = json.load(f)["cases"]
    except (OSError, ValueError, KeyError) as e:
        print("check-catalogue: cannot read %s/summary.json: %s" % (argv[0], e),
              file=sys.stderr)
        return 2
    ids, problems = load_catalogue(cat_path)
    proved = {}
    for c in cases:
        if not c["semantics"]:
            problems.append("%s: names no semantic (X-semantics)" % c["name"])
        for sid in c["semantics"]:
            if sid not in ids:
                problems.append("%s: names %s, which is not in the catalogue"
                                % (c["name"], sid))
            proved.setdefault(sid, []).append(c["name"])
    for sid in ids:
        if sid not in proved:
            problems.append("%s (line %d): no test case proves it"
                            % (sid, ids[sid]["line"]))
    for p in problems:
        print("catalogue: " + p)
    print("catalogue: %d semantics, %d test cases, %d problems"
          % (len(ids), len(cases), len(problems)))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
