"""runs: the run-folder module.  Every producer and reader of run folders
uses it: what a run folder holds (the summary.json schema: harness/lib/
runfolder --help), reading one (load_run, read_cases, load_matrix,
load_input), writing one (summarize, write_did_not_run, write_atomic,
take), its verdict (verdict), the catalogue (read_catalogue) and the known
divergences (baseline files: Baseline, load_baseline, known_entry).
Python 3 standard library only.

A run folder is reports/<label>/ with results.db, summary.json and env.json
(harness/produce/finish-run), or, for a column that did not run, a
summary.json with "did_not_run": "<reason>" (write_did_not_run).

A column (of the matrix, or one run folder read by compare) is a dict:
  key          stable name of what was asked for ("host", "qemu-6.1",
               "qemu-7", an environment name): survives ABI bumps
  label        the run folder's name (qemu-6.1.0-57-amd64)
  status       "ran" | "did not run";  reason: why not
  kernel, arch, page_size, thp, mmap_min_addr, pfn_visible, environment,
  cpu, euid, facts (the whole env.json), totals, seconds {"suite", "total"}
  cases        {name: {"result", "reason", "semantics"}}  (not in matrix.json
               columns: rows hold the cells there)
  kernel_coverage  only for a gcov kernel's column (harness/campaigns/kernel-coverage):
               summary.json's "kernel_coverage" (per-file line and function
               coverage, suite and baseline); matrix.json has these in its
               top-level "kernel_coverage" list, not in the columns
"""
import fnmatch
import json
import os
import re
import sqlite3
import stat

# The project root: harness/lib/ is two folders below it.
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
FORMAT = "mmapconf-matrix/1"
# summary.json: 2 added schema_version, suite {name, version, commit},
# started, ended.
SCHEMA_VERSION = 2
RESULTS = ("passed", "expected_failure", "skipped", "failed", "broken")
NOT_RUN = "not run"
ABSENT = "absent"
GOOD = ("passed", "expected_failure")
BAD = ("failed", "broken")


class InputError(Exception):
    """Missing or corrupt input: one line, exit status 2."""


def read_lines(path, what):
    """The lines of a text file the harness reads (a baseline, a skip list,
    the catalogue); an unreadable one is an InputError naming what it is."""
    try:
        with open(path, encoding="utf-8") as f:
            return f.read().splitlines()
    except (OSError, UnicodeDecodeError) as e:
        raise InputError("cannot read the %s %s: %s" % (
            what, path, getattr(e, "strerror", None) or e))


def read_run(run_dir):
    """(summary, env) of a run folder: summary.json, and env.json ({} when
    there is none); either one not a JSON object is an InputError."""
    summary = read_json(os.path.join(run_dir, "summary.json"), "summary.json")
    env_path = os.path.join(run_dir, "env.json")
    env = read_json(env_path, "env.json") if os.path.isfile(env_path) else {}
    if not isinstance(summary, dict) or not isinstance(env, dict):
        raise InputError("%s: summary.json or env.json is not a JSON object"
                         % run_dir)
    cases = summary.get("cases")
    if cases is not None and not isinstance(cases, list):
        raise InputError("%s: summary.json: cases is not a list" % run_dir)
    for i, c in enumerate(cases or []):
        if not (isinstance(c, dict) and isinstance(c.get("name"), str)
                and isinstance(c.get("result"), str)):
            raise InputError("%s: summary.json: case %d has no name or "
                             "result" % (run_dir, i + 1))
    return summary, env


def read_json(path, what):
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    except FileNotFoundError:
        raise InputError("%s: no such file (%s)" % (path, what))
    except (OSError, UnicodeDecodeError, ValueError) as e:
        raise InputError("%s: corrupt %s: %s" % (path, what,
                                                 str(e).splitlines()[0]))


DEBIAN_ARCH = {"ppc64le": "ppc64el", "aarch64": "arm64"}


def release_key(release, arch, environment, page_size=None):
    """qemu-6.1, qemu-6.12-cloud, qemu-ppc64el-6.1, qemu-arm64-16k-6.12 ...
    from a kernel release (the names KERNELS uses)."""
    m = re.match(r"(\d+)\.(\d+)", release or "")
    ver = "%s.%s" % (m.group(1), m.group(2)) if m else (release or "?")
    flav = ""
    for f in ("rt", "cloud"):
        if re.search(r"-%s(-|$)" % f, release or ""):
            flav = "-" + f
    a = ""
    if arch not in (None, "x86_64"):
        a = DEBIAN_ARCH.get(arch, arch) + "-"
        if a == "arm64-" and page_size and int(page_size) != 4096:
            a += "%dk-" % (int(page_size) // 1024)
    return "%s-%s%s%s" % (environment, a, ver, flav)


def derive_key(summary, env):
    if summary.get("key"):
        return summary["key"]
    environment = env.get("environment") or summary.get("environment")
    label = summary.get("label") or env.get("label") or "?"
    if environment == "host" or (not environment and label.startswith("host-")):
        return "host"
    if environment in ("qemu", "qemu-gcov", "qemu-max"):
        # qemu-gcov: a kernel built with gcov (harness/campaigns/kernel-coverage)
        return release_key(env.get("kernel") or summary.get("kernel"),
                           env.get("arch") or summary.get("arch"), environment,
                           env.get("page_size") or summary.get("page_size"))
    return environment or label


def _num(v):
    try:
        return round(float(v), 1)
    except (TypeError, ValueError):
        return None


def read_cases(db_path):
    """[{name, result, reason, semantics, seconds}] from kyua's results
    database, by test program and case name."""
    if not os.path.isfile(db_path) or os.path.getsize(db_path) == 0:
        raise InputError("no results database at %s" % db_path)
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
        raise InputError("cannot read %s: %s" % (db_path, e))
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


def load_run(folder, key=None):
    """One column from a run folder.  A run that ran must list its cases,
    and they must be those of its results.db with the same results: a
    summary that lost cases, or does not match what kyua recorded, is
    refused (InputError), never read as a smaller run."""
    if not os.path.isdir(folder):
        raise InputError("%s: no such run folder" % folder)
    summary, env = read_run(folder)
    if not isinstance(summary.get("cases", []), list):
        raise InputError("%s/summary.json: corrupt summary (no case list)"
                         % folder)
    label = summary.get("label") or os.path.basename(os.path.normpath(folder))
    col = {
        "key": key or derive_key(summary, env),
        "label": label,
        "status": "did not run" if summary.get("did_not_run") else "ran",
        "reason": summary.get("did_not_run") or "",
        "environment": env.get("environment") or summary.get("environment"),
        "kernel": env.get("kernel") or summary.get("kernel"),
        "arch": env.get("arch") or summary.get("arch"),
        "page_size": env.get("page_size") or summary.get("page_size"),
        "thp": env.get("thp_enabled"),
        "mmap_min_addr": env.get("mmap_min_addr"),
        "pfn_visible": env.get("pfn_visible"),
        "workdir_fs": env.get("tmpdir_fs"),
        "cpu": env.get("cpu"),
        "euid": env.get("euid"),
        "facts": env,
        "totals": summary.get("totals") or {},
        "seconds": {"suite": None, "total": None},
        "cases": {},
    }
    if isinstance(summary.get("selection"), dict):
        col["selection"] = summary["selection"]
    try:
        with open(os.path.join(folder, "wall-seconds")) as f:
            col["seconds"]["suite"] = _num(f.read().strip())
    except OSError:
        pass
    q = os.path.join(folder, "qemu.json")
    if os.path.exists(q):
        try:
            with open(q) as f:
                qj = json.load(f)
            col["seconds"]["total"] = _num(qj.get("total_seconds"))
            col["seconds"]["boot"] = _num(qj.get("boot_seconds"))
            col["package"] = qj.get("package")
            col["workdir_fs"] = qj.get("workdir_fs") or col["workdir_fs"]
        except (OSError, ValueError):
            pass
    if summary.get("seconds") is not None and col["seconds"]["total"] is None:
        col["seconds"]["total"] = _num(summary.get("seconds"))
    kc = summary.get("kernel_coverage")
    if isinstance(kc, dict) and isinstance(kc.get("files"), list):
        col["kernel_coverage"] = kc
    for c in summary.get("cases", []):
        try:
            name, result = c["name"], c["result"]
        except (TypeError, KeyError):
            raise InputError("%s/summary.json: corrupt case entry" % folder)
        col["cases"][name] = {
            "result": result,
            "reason": c.get("reason") or "",
            "semantics": c.get("semantics") or [],
        }
    if col["status"] == "ran":
        if not col["cases"]:
            raise InputError("%s/summary.json: a run without any case" % folder)
        db = {c["name"]: c["result"] for c in read_cases(
            os.path.join(folder, "results.db"))}
        mine = {n: c["result"] for n, c in col["cases"].items()}
        if db != mine:
            diff = sorted(set(db.items()) ^ set(mine.items()))
            raise InputError(
                "%s: summary.json and results.db disagree on %d cases "
                "(e.g. %s)" % (folder, len({n for n, _ in diff}), diff[0][0]))
    return col


def load_matrix(path):
    """Columns (with their cases) from a matrix.json."""
    m = read_json(path, "matrix.json")
    if not isinstance(m, dict) or m.get("format") != FORMAT or not isinstance(
            m.get("columns"), list) or not isinstance(m.get("rows"), list):
        raise InputError("%s: not a matrix.json (format %s expected)"
                         % (path, FORMAT))
    cols = []
    for c in m["columns"]:
        if not isinstance(c, dict) or "label" not in c:
            raise InputError("%s: corrupt column entry" % path)
        c = dict(c)
        c["cases"] = {}
        cols.append(c)
    by_label = {c["label"]: c for c in cols}
    for r in m["rows"]:
        try:
            cells, name = r["cells"], r["name"]
        except (TypeError, KeyError):
            raise InputError("%s: corrupt row entry" % path)
        for label, cell in cells.items():
            col = by_label.get(label)
            if col is None or not isinstance(cell, dict):
                raise InputError("%s: row %s names an unknown column %s"
                                 % (path, name, label))
            if cell.get("result") in (NOT_RUN, ABSENT):
                continue
            col["cases"][name] = {"result": cell.get("result"),
                                  "reason": cell.get("reason", ""),
                                  "semantics": r.get("semantics", [])}
    return cols


def load_input(path):
    """(kind, columns): a run folder, a matrix.json, or a folder holding one."""
    if os.path.isdir(path):
        if os.path.exists(os.path.join(path, "summary.json")):
            return "run", [load_run(path)]
        if os.path.exists(os.path.join(path, "matrix.json")):
            return "matrix", load_matrix(os.path.join(path, "matrix.json"))
        raise InputError("%s: neither a run folder (summary.json) nor a "
                         "reports folder (matrix.json)" % path)
    if not os.path.exists(path):
        raise InputError("%s: no such file or folder" % path)
    if os.path.basename(path) == "summary.json":
        return "run", [load_run(os.path.dirname(path) or ".")]
    return "matrix", load_matrix(path)


# --- known divergences ------------------------------------------------------
#
# A baseline file lists known divergences, one test case (or shell glob) per
# line with '# why' after it.  It applies to a column
#   - by its facts, when the file has "match:" lines: the column's env.json
#     facts (plus key and label) must satisfy one of them; a match line is
#     one or more conditions, all of which must hold:
#        NAME=GLOB   the fact NAME (ksm.run, thp_sizes.hugepages-64kB: a
#                    member of an object) has a value matching GLOB
#        NAME!=GLOB  the fact is known and does not match GLOB
#        cmdline:GLOB  a word of the kernel command line matches GLOB
#   - else by its name, when it lies in a baselines folder: <label>.txt,
#     <key>.txt (and <key without its minor>.txt: qemu-7.2 -> qemu-7),
#     all.txt;
#   - else, a file given by itself (BASELINE=FILE, --baseline FILE) applies
#     to every column it is given for.

MATCH = "match:"


class Baseline:
    """One parsed baseline file."""

    def __init__(self, path):
        self.path = path
        self.matches = []   # [[(name, op, glob)]]: OR of ANDs
        self.entries = []   # [(pattern, reason)]
        self.reproduce = None   # a "# Reproduce: COMMAND" comment
        lines = read_lines(path, "baseline")
        for n, line in enumerate(lines, 1):
            body, _, why = line.partition("#")
            body = body.strip()
            if not body:
                why = why.strip()
                if why.startswith("Reproduce:") and not self.reproduce:
                    self.reproduce = why[len("Reproduce:"):].strip()
                continue
            if body.startswith(MATCH):
                conds = [parse_condition(t, path, n)
                         for t in body[len(MATCH):].split()]
                if not conds:
                    raise InputError("%s:%d: 'match:' without a condition"
                                     % (path, n))
                self.matches.append(conds)
                continue
            words = body.split()
            if len(words) != 1 or ":" not in words[0]:
                raise InputError(
                    "%s:%d: not a case (tests/AREA/t_PROG:CASE, globs "
                    "allowed), a 'match:' line or a comment: %r"
                    % (path, n, body[:80]))
            self.entries.append((words[0], why.strip()))

    def name(self):
        return os.path.basename(self.path)[:-4] if self.path.endswith(
            ".txt") else os.path.basename(self.path)


def parse_condition(tok, path, n):
    if tok.startswith("cmdline:") and len(tok) > len("cmdline:"):
        return ("cmdline", ":", tok[len("cmdline:"):])
    m = re.match(r"^([A-Za-z_][A-Za-z0-9_.-]*)(!=|=)(.*)$", tok)
    if not m:
        raise InputError("%s:%d: bad condition %r (NAME=GLOB, NAME!=GLOB "
                         "or cmdline:GLOB)" % (path, n, tok[:60]))
    return (m.group(1), m.group(2), m.group(3))


def fact_value(facts, name):
    """The string value of a fact (None when unknown): ksm.run looks into
    the object ksm."""
    v = facts
    for part in name.split(".") if name not in facts else [name]:
        if not isinstance(v, dict) or part not in v:
            return None
        v = v[part]
    if v is None or isinstance(v, (dict, list)):
        return None
    if isinstance(v, bool):
        return "true" if v else "false"
    return str(v)


def condition_holds(cond, facts):
    name, op, glob = cond
    if op == ":":
        return any(fnmatch.fnmatchcase(w, glob)
                   for w in (facts.get("cmdline") or "").split())
    v = fact_value(facts, name)
    if v is None:
        return False
    return fnmatch.fnmatchcase(v, glob) == (op == "=")


def show_condition(conds):
    return " ".join("cmdline:" + g if op == ":" else "%s%s%s" % (n, op, g)
                    for n, op, g in conds)


def column_facts(col):
    """What a match line can test: env.json's facts, the column's key and
    label (and the summary's kernel/arch/environment where env.json lacks
    them)."""
    facts = dict(col.get("facts") or {})
    for k in ("key", "label", "environment", "kernel", "arch", "page_size"):
        if col.get(k) is not None and facts.get(k) is None:
            facts[k] = col[k]
    return facts


def applies(bl, col, by_name):
    """Why baseline bl applies to col ("facts: ...", "name", "given"), or
    None.  by_name: the file lies in a baselines folder."""
    if bl.matches:
        facts = column_facts(col)
        for conds in bl.matches:
            if all(condition_holds(c, facts) for c in conds):
                return "facts: " + show_condition(conds)
        return None
    if not by_name:
        return "given"
    names = [col.get("label"), col.get("key")]
    k = col.get("key") or ""
    m = re.match(r"^(.*-\d+)\.\d+(.*)$", k)
    if m:
        names.append(m.group(1) + m.group(2))
    names.append("all")
    return "name" if bl.name() in [x for x in names if x] else None


def baseline_sources(paths):
    """[(Baseline, by_name)] from folders (every *.txt in them) and files."""
    out = []
    for p in paths or []:
        if not p:
            continue
        if os.path.isdir(p):
            for f in sorted(os.listdir(p)):
                if f.endswith(".txt") and os.path.isfile(os.path.join(p, f)):
                    out.append((Baseline(os.path.join(p, f)), True))
        elif os.path.isfile(p):
            out.append((Baseline(p), False))
        else:
            raise InputError("%s: no such baseline file or folder" % p)
    return out


def load_baseline(bdir, col, files=(), sources=None):
    """[(pattern, file, reason, why_applied)]: the known divergences of a
    column, from the baselines folder bdir and the files given."""
    if sources is None:
        sources = baseline_sources(([bdir] if bdir else []) + list(files))
    pats = []
    for bl, by_name in sources:
        why = applies(bl, col, by_name)
        if why:
            pats.extend((pat, bl.path, reason, why)
                        for pat, reason in bl.entries)
    return pats


def applied_baselines(sources, col):
    """[{"file", "applies", "why"}] for every baseline source: which apply
    to this column and why (summary.json, the matrix header)."""
    out = []
    for bl, by_name in sources:
        why = applies(bl, col, by_name)
        if why or not by_name or bl.matches:
            out.append({"file": show_path(bl.path), "applies": bool(why),
                        "why": why or "facts: none of " + "; ".join(
                            show_condition(c) for c in bl.matches)})
    return out


def show_path(p):
    """A baseline file's path for messages: relative to the project root."""
    rel = os.path.relpath(os.path.abspath(p), ROOT)
    return os.path.abspath(p) if rel.startswith("..") else rel


def known_entry(pats, name):
    """The first baseline entry listing case name, or None."""
    for e in pats:
        if e[0] == name or fnmatch.fnmatchcase(name, e[0]):
            return e
    return None


def known(pats, name):
    e = known_entry(pats, name)
    return e[1] if e else None


def area_of(name, semantics):
    """Semantic area of a case: the prefix of its first semantic id
    (PROT-1 -> prot), else its test program's folder (tests/core/...)."""
    for s in semantics or []:
        m = re.match(r"([A-Za-z]+)-", s)
        if m:
            return m.group(1).lower()
    parts = name.split(":", 1)[0].split("/")
    return parts[1] if len(parts) > 2 else "other"


# --- writing run folders ------------------------------------------------------

def write_atomic(path, text, encoding="utf-8"):
    """path's new content, or the old one: written beside it, then renamed.
    A full disk or a read-only folder is an InputError (one line)."""
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
        raise InputError("cannot write %s: %s" % (path, e.strerror or e))


def take(src, dst, max_mib=256):
    """Copy src, a file a less trusted process wrote (an unprivileged run, a
    container), to dst (created anew, 0644): only a regular file, opened
    without following a link, of at most max_mib MiB."""
    try:
        fd = os.open(src, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError as e:
        raise InputError("%s: cannot open without following links: %s"
                         % (src, e.strerror))
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise InputError("%s: not a regular file" % src)
        if st.st_size > max_mib << 20:
            raise InputError("%s: %d bytes, more than %d MiB"
                             % (src, st.st_size, max_mib))
        try:
            out = os.open(dst, os.O_WRONLY | os.O_CREAT | os.O_EXCL |
                          os.O_NOFOLLOW, 0o644)
        except OSError as e:
            raise InputError("%s: cannot create: %s" % (dst, e.strerror))
        try:
            while True:
                b = os.read(fd, 1 << 20)
                if not b:
                    break
                os.write(out, b)
        except OSError as e:
            raise InputError("%s -> %s: %s" % (src, dst, e.strerror))
        finally:
            os.close(out)
    finally:
        os.close(fd)


def write_did_not_run(d, label, key, environment, reason, seconds=None):
    """The run folder d of a column that did not run: summary.json with
    "did_not_run": reason, env.json, report.txt (runfolder did-not-run adds
    junit.xml and report.html)."""
    reason = " ".join(str(reason).split())[:400]
    os.makedirs(d, exist_ok=True)
    summary = {
        "schema_version": SCHEMA_VERSION,
        "label": label, "key": key, "did_not_run": reason, "kernel": None,
        "arch": None, "page_size": None, "environment": environment,
        "totals": {r: 0 for r in RESULTS}, "cases": [],
    }
    if seconds is not None:
        summary["seconds"] = float(seconds)
    env = {"label": label, "environment": environment, "did_not_run": reason}
    write_atomic(os.path.join(d, "summary.json"),
                 json.dumps(summary, indent=1) + "\n")
    write_atomic(os.path.join(d, "env.json"), json.dumps(env, indent=1) + "\n")
    write_atomic(os.path.join(d, "report.txt"),
                 "%s: did not run: %s\n" % (label, reason))


# --- selecting cases -------------------------------------------------------------

def parse_listing(text):
    """[(name, [semantic ids])] of `kyua list -v` output."""
    out = []
    for line in text.splitlines():
        if line and not line[0].isspace():
            out.append((line.split(" ", 1)[0], []))
        elif out and line.strip().startswith("custom.semantics = "):
            out[-1][1].extend(line.split("=", 1)[1].split())
    return out


def read_patterns(path):
    """The case-name globs of a skip list: one per line, '#' comments."""
    lines = read_lines(path, "skip list")
    pats = []
    for n, line in enumerate(lines, 1):
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        if len(line.split()) != 1:
            raise InputError("%s:%d: one case name or glob per line" % (path, n))
        pats.append(line)
    return pats


def select_cases(listing, only=(), ids=(), skip=(), cases=None,
                 catalogue=None):
    """The names of listing ([(name, ids)]) a selection keeps, in order.
    only: words, each an area folder (mremap), a program (t_mremap,
    tests/mremap/t_mremap), a catalogue area (mmap-flags) or a glob of case
    names (tests/mremap/*:*grow*, *:*fork*); a case is kept when one word
    matches it.  ids: globs of semantic IDs (COW-*, MREMAP-3); a case is
    kept when one of its IDs matches one.  skip: globs of case names to
    leave out.  cases: exact names (a recheck).  All given filters must
    hold.  Unknown words are an InputError naming what exists."""
    catalogue = catalogue or {}
    areas = {n.split("/")[1] for n, _ in listing if n.count("/") >= 2}

    def word_hits(w, name, sem):
        prog, _, case = name.partition(":")
        parts = prog.split("/")
        if w in (parts[1] if len(parts) > 2 else None, prog, parts[-1]) or \
                "t_" + w == parts[-1]:
            return True
        if any((catalogue.get(i) or {}).get("area") == w for i in sem):
            return True
        return fnmatch.fnmatchcase(name, w) or fnmatch.fnmatchcase(case, w)

    for w in only:
        if not any(word_hits(w, n, s) for n, s in listing):
            raise InputError(
                "ONLY word '%s' matches no case (areas: %s; or a program "
                "t_NAME, a catalogue area, a case glob like '*:*fork*')" % (
                    w, " ".join(sorted(areas))))
    for i in ids:
        if not any(fnmatch.fnmatchcase(x, i) for _, s in listing for x in s):
            raise InputError("IDS glob '%s' matches no semantic ID of the "
                             "suite (e.g. COW-*, MREMAP-3)" % i)
    if cases is not None:
        unknown = sorted(set(cases) - {n for n, _ in listing})
        if unknown:
            raise InputError("%d of the cases to run are not in the suite "
                             "(first: %s)" % (len(unknown), unknown[0]))
    keep = []
    for name, sem in listing:
        if only and not any(word_hits(w, name, sem) for w in only):
            continue
        if ids and not any(fnmatch.fnmatchcase(x, i)
                           for i in ids for x in sem):
            continue
        if any(fnmatch.fnmatchcase(name, p) for p in skip):
            continue
        if cases is not None and name not in cases:
            continue
        keep.append(name)
    return keep


# --- the catalogue ----------------------------------------------------------------

CATALOGUE = os.path.join(ROOT, "tests", "semantics.tsv")
ID_RE = re.compile(r"^[A-Z][A-Z0-9]*(-[A-Z0-9]+)*-[0-9]+$")


def read_catalogue(path=None, strict=False):
    """{id: {"line", "area", "source", "statement"}} of tests/semantics.tsv
    (id, area, source, statement, tab-separated); with strict, also the
    list of problems (malformed rows and ids, duplicates): (cat, problems).
    A missing file is an InputError."""
    path = path or CATALOGUE
    cat, problems = {}, []
    lines = read_lines(path, "catalogue")
    for n, line in enumerate(lines, 1):
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
        if sid in cat:
            problems.append("%s:%d: duplicate id %s (first on line %d)"
                            % (path, n, sid, cat[sid]["line"]))
        cat[sid] = {"line": n, "area": cols[1], "source": cols[2],
                    "statement": cols[3]}
    return (cat, problems) if strict else cat


# --- summary.json, and the reports that show known divergences ------------------

SUMMARY_RESULTS = ("passed", "failed", "broken", "skipped", "expected_failure")


def mark_known(summary, env, baselines):
    """Add "known" to every failed/broken case a baseline that applies to
    this run lists; summary["baselines"] says which applied and why."""
    col = {"label": summary["label"], "facts": env,
           "environment": summary["environment"],
           "kernel": summary["kernel"], "arch": summary["arch"],
           "page_size": summary["page_size"]}
    col["key"] = derive_key(summary, env)
    sources = baseline_sources(baselines)
    pats = load_baseline(None, col, sources=sources)
    summary["baselines"] = applied_baselines(sources, col)
    n = 0
    for c in summary["cases"]:
        if c["result"] not in BAD:
            continue
        e = known_entry(pats, c["name"])
        if e:
            c["known"] = {"file": show_path(e[1]), "reason": e[2],
                          "why": e[3]}
            n += 1
    summary["totals"]["known"] = n


def summarize(run_dir, label=None, baselines=()):
    """RUN_DIR/summary.json from results.db and env.json (the schema: see
    harness/lib/runfolder); with baselines, the known divergences marked in
    it and in report.txt.  Returns the summary.  (junit.xml and report.html
    are readers' work: exports.write_reports, called by runfolder.)"""
    cases = read_cases(os.path.join(run_dir, "results.db"))
    env_path = os.path.join(run_dir, "env.json")
    env = read_json(env_path, "env.json") if os.path.isfile(env_path) else {}
    if not isinstance(env, dict):
        raise InputError("corrupt %s: not an object" % env_path)
    totals = {r: 0 for r in SUMMARY_RESULTS}
    for c in cases:
        totals[c["result"]] = totals.get(c["result"], 0) + 1
    started, ended = run_times(os.path.join(run_dir, "results.db"))
    sel_path = os.path.join(run_dir, "selection.json")
    selection = read_json(sel_path, "selection.json") \
        if os.path.isfile(sel_path) else None
    summary = {
        "schema_version": SCHEMA_VERSION,
        "label": label or env.get("label") or os.path.basename(
            os.path.normpath(run_dir)),
        "kernel": env.get("kernel"),
        "arch": env.get("arch"),
        "page_size": env.get("page_size"),
        "environment": env.get("environment"),
        "suite": {"name": "mmapconf", "version": env.get("suite_version"),
                  "commit": env.get("suite_commit")},
        "started": started,
        "ended": ended,
        "totals": totals,
        "cases": cases,
    }
    if isinstance(selection, dict):
        summary["selection"] = selection
    totals["known"] = 0
    if baselines:
        mark_known(summary, env, baselines)
    write_atomic(os.path.join(run_dir, "summary.json"),
                 json.dumps(summary, indent=1) + "\n")
    if baselines:
        annotate_report(run_dir, summary)
    return summary


def run_times(db_path):
    """(first case's start, last case's end) of a results.db, ISO 8601 UTC
    ("2026-12-07T00:28:03.125Z"), or (None, None)."""
    import datetime
    try:
        con = sqlite3.connect("file:%s?mode=ro" % db_path, uri=True)
        lo, hi = con.execute("SELECT MIN(start_time), MAX(end_time) "
                             "FROM test_results").fetchone()
        con.close()
    except sqlite3.Error as e:
        raise InputError("cannot read %s: %s" % (db_path, e))

    def iso(us):
        if not us:
            return None
        t = datetime.datetime.fromtimestamp(us / 1e6, datetime.timezone.utc)
        return t.strftime("%Y-%m-%dT%H:%M:%S.") + "%03dZ" % (
            t.microsecond // 1000)
    return iso(lo), iso(hi)


def divergence_lines(summary):
    """Lines that say which failures are known, which are new."""
    known = [c for c in summary["cases"] if c.get("known")]
    new = [c for c in summary["cases"]
           if c["result"] in BAD and not c.get("known")]
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


def show_selection(sel):
    """ONLY=... IDS=... as asked, for a line of text."""
    parts = []
    if sel.get("recheck_of"):
        parts.append("recheck of %s" % sel["recheck_of"])
    if sel.get("only"):
        parts.append("ONLY=%s" % " ".join(sel["only"]))
    if sel.get("ids"):
        parts.append("IDS=%s" % " ".join(sel["ids"]))
    if sel.get("skip_list"):
        parts.append("SKIP_LIST=%s" % sel["skip_list"])
    return ", ".join(parts) or "a selection"


def verdict(run_dir, secs="?"):
    """(lines, status) of a finished run folder: its totals line, the
    baselines that applied, one line per failed, broken or known case;
    status 1 when a case failed or broke that no baseline lists, else 0."""
    s = read_json(os.path.join(run_dir, "summary.json"), "summary.json")
    try:
        t, cases = s["totals"], s["cases"]
        lines = ["%s: %d cases in %s s: %d passed, %d failed, %d broken, "
                 "%d skipped, %d expected_failure (%d of the failed/broken "
                 "are known divergences) -> %s" % (
                     s.get("label"), len(cases), secs, t["passed"],
                     t["failed"], t["broken"], t["skipped"],
                     t["expected_failure"], t.get("known", 0), run_dir)]
    except (KeyError, TypeError) as e:
        raise InputError("%s/summary.json: corrupt summary (%s)" % (run_dir, e))
    sel = s.get("selection")
    if isinstance(sel, dict):
        lines.append("  part of the suite: %s of %s cases (%s)" % (
            sel.get("selected"), sel.get("of"), show_selection(sel)))
    for b in s.get("baselines", []):
        if b["applies"]:
            lines.append("  baseline %s applies: %s" % (b["file"], b["why"]))
    new = 0
    for c in cases:
        if c["result"] not in BAD:
            continue
        k = c.get("known")
        new += not k
        lines.append("  %s %s: %s%s" % (
            "KNOWN" if k else c["result"].upper(), c["name"], c["reason"],
            " [known divergence: %s, %s]" % (k["reason"], k["file"])
            if k else ""))
    return lines, (1 if new else 0)


# --- the entry point of every Python runnable of harness/ ------------------------

def command(main, doc, prog, errors=()):
    """Run main(argv) as a harness command: -h/--help prints doc; an
    InputError (or one of errors) is one line "PROG: error: ..." and exit 2,
    never a traceback; a closed pipe exits 1, ^C 130."""
    import sys
    argv = sys.argv[1:]
    if argv[:1] in (["-h"], ["--help"]):
        print(doc)
        sys.exit(0)
    try:
        sys.exit(main(argv))
    except (InputError,) + tuple(errors) as e:
        print("%s: error: %s" % (prog, e), file=sys.stderr)
        sys.exit(2)
    except BrokenPipeError:
        sys.exit(1)
    except KeyboardInterrupt:
        sys.exit(130)
