#!/usr/bin/env python3
"""mclava.py: the LAVA side of mmapconf (harness/lava-run, harness/lava-submit).

  mclava.py ramdisk IN.cpio.gz OUT.cpio.gz [DEST=SRC ...]
      IN is an initramfs from harness/initramfs (several newc archives,
      gzip'ed, concatenated).  LAVA unpacks a ramdisk with one `cpio -i`
      (the first archive only) to add its overlay, so OUT is the same tree
      as ONE newc archive, with the files DEST (path in the ramdisk) taken
      from SRC (mode 0755) added or replacing the old ones.

  mclava.py job --spec SPEC --kernel-url URL --ramdisk-url URL
                [--device-type qemu] [--boot qemu|uboot] [--arch amd64]
                [--package NAME] [--job-minutes N] [--test-minutes N]
                [--boot-minutes N] [--kernel-args ARGS] [--kernel-type T]
                [--dtb-url URL] [--disk-url URL] [--out FILE]
      One LAVA job (YAML) from harness/lava/job.yaml.in and
      harness/lava/boot-BOOT.yaml.in.

  mclava.py device --job JOB.yaml --templates DIR [--out FILE]
      The device dictionary for the standalone dispatcher: DIR/qemu.jinja2
      (lava-server's device types) rendered with the job's context, as
      lava-server would (needs python3-jinja2 and -yaml, lava-dispatcher's).

  mclava.py convert --log FILE --reports DIR --spec SPEC
                [--device-type qemu] [--job FILE] [--job-id N]
                [--tests FILE] [--status complete|incomplete|canceled|...]
                [--error TEXT] [--seconds S] [--record FILE]
      A LAVA job's log (lava-run's stderr, or the server's /logs/) -> a run
      folder reports/<label>/, the same files as `make check`:
      results.db, env.json (decoded from the log, sha256 checked),
      summary.json, report.txt, junit.xml, html/ (harness/finish-run), plus
      console.log, lava.json, lava-job.yaml.  The lava-test-case results
      (from the log, or --tests: the server's /tests/ as JSON) are checked
      case by case against the database.  Anything missing (LAVA error,
      timeout, cancel, no markers, corrupt transfer, disagreement) gives a
      "did not run: <reason>" folder reports/lava-DEVICE-SPEC/ instead.
      Exit status: 0 ran, no failed/broken case; 1 ran, some; 3 did not
      run; 2 harness error.

  mclava.py dnr --reports DIR --spec SPEC [--device-type qemu] --reason R
                [--seconds S] [--record FILE]
      Only the did-not-run folder (exit 3).

  mclava.py submit --url URL --job FILE --out DIR [--wait SECONDS]
                   [--poll SECONDS]
      lava-server's REST API (/api/v0.2/): submit JOB, wait for it at most
      --wait seconds (then cancel it), save DIR/{job-id,status,error,log.yaml,
      tests.json}.  The token comes from $LAVA_TOKEN or the file named by
      $LAVA_TOKEN_FILE only (never argv, never written anywhere).  Exit 0 when the job finished (whatever its health),
      1 when it could not be submitted or followed (DIR/error says why).

Python 3 standard library (yaml/jinja2 only for `device`, and yaml for
the log when installed: a JSON fallback reads the same lines).
"""
import base64
import gzip
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
HARNESS = os.path.dirname(HERE)
sys.path.insert(0, HARNESS)

LAVA_RESULT = {"passed": "pass", "expected_failure": "pass",
               "skipped": "skip", "failed": "fail", "broken": "fail"}
DEFINITION = "mmapconf"
PROMPT = "mmapconf-lava# "


def die(msg, status=2):
    print("mclava: error: " + msg, file=sys.stderr)
    sys.exit(status)


def log(msg):
    print("mclava: " + msg, file=sys.stderr)


def opts(argv, names, flags=(), positional=0):
    """Tiny option parser: --name value pairs; returns (dict, positionals)."""
    o = {n: None for n in names}
    for f in flags:
        o[f] = False
    pos = []
    i = 0
    while i < len(argv):
        a = argv[i]
        if a in flags:
            o[a] = True
            i += 1
        elif a in names:
            if i + 1 >= len(argv):
                die("%s needs a value" % a)
            o[a] = argv[i + 1]
            i += 2
        elif a.startswith("--"):
            die("unknown option %s" % a)
        else:
            pos.append(a)
            i += 1
    if positional is not None and len(pos) < positional:
        die("missing arguments (see the header of harness/lava/mclava.py)")
    return o, pos


def lava_name(kyua_name):
    """tests/core/t_api:case -> core.t_api.case (lava-suite's awk)."""
    n = kyua_name[6:] if kyua_name.startswith("tests/") else kyua_name
    return re.sub(r"[/:]", ".", n)[:100]


def write_atomic(path, text):
    tmp = "%s.tmp.%d" % (path, os.getpid())
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(text)
    os.replace(tmp, path)


# --- ramdisk ------------------------------------------------------------------

def cpio_entries(data):
    """(name, fields, body) of every entry of concatenated newc archives."""
    pos, n = 0, len(data)
    while pos < n:
        if data[pos:pos + 1] == b"\0":      # padding between archives
            pos += 1
            continue
        magic = data[pos:pos + 6]
        if magic not in (b"070701", b"070702"):
            raise ValueError("not a newc cpio at byte %d" % pos)
        f = [int(data[pos + 6 + 8 * i:pos + 14 + 8 * i], 16) for i in range(13)]
        namesize, filesize = f[11], f[6]
        name = data[pos + 110:pos + 110 + namesize - 1].decode("utf-8", "surrogateescape")
        pos = (pos + 110 + namesize + 3) & ~3
        body = data[pos:pos + filesize]
        pos = (pos + filesize + 3) & ~3
        yield name, f, body


def cpio_header(ino, mode, nlink, mtime, size, rdevmaj, rdevmin, name):
    nb = name.encode("utf-8", "surrogateescape") + b"\0"
    fields = [ino, mode, 0, 0, nlink, mtime, size, 0, 0, rdevmaj, rdevmin,
              len(nb), 0]
    h = b"070701" + b"".join(b"%08X" % v for v in fields) + nb
    return h + b"\0" * ((4 - len(h) % 4) % 4)


def cmd_ramdisk(argv):
    _, pos = opts(argv, [], positional=2)
    src, out = pos[0], pos[1]
    adds = {}
    for a in pos[2:]:
        if "=" not in a:
            die("ramdisk: bad DEST=SRC '%s'" % a)
        d, s = a.split("=", 1)
        with open(s, "rb") as f:
            adds[d.strip("/")] = f.read()
    try:
        with gzip.open(src, "rb") as f:
            data = f.read()
    except OSError as e:
        die("ramdisk: cannot read %s: %s" % (src, e))
    order, entries = [], {}
    archive = 0
    links = {}          # (archive, ino) -> body of the entry that has it
    try:
        for name, f, body in cpio_entries(data):
            if name == "TRAILER!!!":
                archive += 1
                continue
            name = name[2:] if name.startswith("./") else name
            name = "." if name in ("", ".") else name.strip("/")
            mode = f[1]
            if (mode & 0o170000) == 0o100000 and f[4] > 1:
                key = (archive, f[0])
                if body:
                    links[key] = body
                entries_key = ("link", key)
            else:
                entries_key = None
            if name not in entries:
                order.append(name)
            entries[name] = [mode, f[5], body, f[9], f[10], entries_key]
    except ValueError as e:
        die("ramdisk: %s: %s" % (src, e))
    for e in entries.values():
        if e[5] is not None:
            e[2] = links.get(e[5][1], e[2])
    for d, body in adds.items():
        parts = d.split("/")
        for i in range(1, len(parts)):
            p = "/".join(parts[:i])
            if p not in entries:
                order.append(p)
                entries[p] = [0o040755, 0, b"", 0, 0, None]
        if d not in entries:
            order.append(d)
        entries[d] = [0o100755, int(time.time()), body, 0, 0, None]
    if "." in entries:
        order.remove(".")
        order.insert(0, ".")
    tmp = out + ".tmp.%d" % os.getpid()
    with gzip.open(tmp, "wb", compresslevel=6) as o:
        ino = 1000
        size = 0
        for name in order:
            mode, mtime, body, rmaj, rmin, _ = entries[name]
            ino += 1
            nlink = 2 if (mode & 0o170000) == 0o040000 else 1
            h = cpio_header(ino, mode, nlink, mtime, len(body), rmaj, rmin, name)
            o.write(h)
            o.write(body)
            pad = (4 - len(body) % 4) % 4
            o.write(b"\0" * pad)
            size += len(h) + len(body) + pad
        t = cpio_header(0, 0, 1, 0, 0, 0, 0, "TRAILER!!!")
        o.write(t)
        size += len(t)
        o.write(b"\0" * ((512 - size % 512) % 512))
    os.replace(tmp, out)
    return 0


# --- job ------------------------------------------------------------------------

def fill(text, values):
    def sub(m):
        k = m.group(1)
        if k not in values:
            die("template: no value for @@%s@@" % k)
        return str(values[k])
    return re.sub(r"@@([A-Z_]+)@@", sub, text)


def yaml_str(s):
    """A YAML double-quoted scalar (JSON's is one)."""
    return json.dumps(s)


def cmd_job(argv):
    o, _ = opts(argv, ["--spec", "--kernel-url", "--ramdisk-url", "--device-type",
                       "--boot", "--arch", "--package", "--job-minutes",
                       "--test-minutes", "--boot-minutes", "--kernel-args",
                       "--kernel-type", "--dtb-url", "--out", "--qemu-cpu",
                       "--qemu-smp", "--qemu-mem", "--qemu-machine", "--disk-url", "--console"])
    for k in ("--spec", "--kernel-url", "--ramdisk-url"):
        if not o[k]:
            die("job: %s is required" % k)
    dtype = o["--device-type"] or "qemu"
    boot = o["--boot"] or ("qemu" if dtype == "qemu" else "uboot")
    if not re.match(r"^[A-Za-z0-9_.+-]+$", dtype):
        die("job: bad device type '%s'" % dtype)
    tpl = os.path.join(HERE, "boot-%s.yaml.in" % boot)
    if not os.path.isfile(tpl):
        die("job: no boot template %s (LAVA_BOOT: qemu or uboot)" % tpl)
    test_m = int(o["--test-minutes"] or 45)
    boot_m = int(o["--boot-minutes"] or 3)
    job_m = int(o["--job-minutes"] or (test_m + boot_m + 10))
    spec = o["--spec"]
    prefix = "lava-%s" % dtype
    name = "mmapconf %s %s" % (prefix, spec)
    if o["--package"]:
        name += " (%s)" % o["--package"]
    kargs = (" " + o["--kernel-args"]) if o["--kernel-args"] else ""
    console = o["--console"]
    disk = ""
    if o["--disk-url"]:
        if boot != "qemu":
            die("job: --disk-url is for LAVA_BOOT=qemu only")
        disk = ("      disk:\n"
                "        image_arg: -drive file={disk},format=raw,if=virtio,cache=unsafe\n"
                "        url: %s\n        compression: gz" % yaml_str(o["--disk-url"]))
        kargs += " mc.disk=vda"
    dtb = ""
    if o["--dtb-url"]:
        dtb = "    dtb:\n      url: %s" % yaml_str(o["--dtb-url"])
    values = {
        "KERNEL_URL": yaml_str(o["--kernel-url"]),
        "RAMDISK_URL": yaml_str(o["--ramdisk-url"]),
        "BOOT_MINUTES": boot_m,
        "KERNEL_ARGS": kargs.replace('"', ""),
        "KERNEL_TYPE": o["--kernel-type"] or "zimage",
        "DTB": dtb,
        "DISK": disk,
    }
    context = ""
    if boot == "qemu":
        # Debian arch -> the variables of LAVA's qemu.jinja2 (as the job's
        # context: lava-server renders the device dictionary with them).
        arch = o["--arch"] or "amd64"
        ctx = {}
        extra = []
        if arch in ("amd64", "x86_64"):
            ctx["arch"] = "amd64"
            extra = ["-machine %s" % (o["--qemu-machine"] or "q35"),
                     "-cpu %s" % (o["--qemu-cpu"] or "max,la57=off,pku=off")]
        elif arch in ("arm64", "aarch64"):
            # cortex-a57 cannot do 16K pages: max, without pointer auth.
            ctx = {"arch": "arm64", "cpu": o["--qemu-cpu"] or "max,pauth=off",
                   "machine": o["--qemu-machine"] or "virt"}
        elif arch in ("ppc64el", "ppc64le", "ppc64"):
            # pseries with qemu's own firmware; spectre caps off (TCG).
            ctx = {"arch": "ppc64", "machine": o["--qemu-machine"] or
                   "pseries,x-vof=on,cap-cfpc=broken,cap-sbbc=broken,"
                   "cap-ibs=broken,cap-ccf-assist=off"}
            extra = ["-cpu %s" % (o["--qemu-cpu"] or "power9")]
        else:
            die("job: no qemu settings for architecture '%s' (amd64, arm64, ppc64el)" % arch)
        extra.append("-smp %s" % (o["--qemu-smp"] or "2"))
        ctx["no_kvm"] = "true"
        ctx["memory"] = o["--qemu-mem"] or "2048"
        context = "context:\n" + "".join(
            "  %s: %s\n" % (k, v if k == "no_kvm" else
                            (v if re.match(r"^[0-9]+$|^[a-z0-9]+$", v) else yaml_str(v)))
            for k, v in ctx.items())
        context += "  extra_options:\n%s\n" % (
            "".join("  - %s\n" % yaml_str(x) for x in extra).rstrip("\n"))
        if not console:
            console = {"amd64": "ttyS0,115200", "arm64": "ttyAMA0,115200",
                       "ppc64": "hvc0"}[ctx["arch"]]
    values["CONSOLE"] = console or ""
    with open(tpl, encoding="utf-8") as f:
        deploy = "\n".join(l for l in f.read().splitlines()
                           if not l.startswith("#"))
    deploy = "\n".join(l for l in fill(deploy, values).split("\n") if l.strip())
    with open(os.path.join(HERE, "job.yaml.in"), encoding="utf-8") as f:
        job = f.read()
    job = fill(job, {
        "DEVICE_TYPE": dtype, "JOB_NAME": yaml_str(name),
        "JOB_MINUTES": job_m, "TEST_MINUTES": test_m, "CONTEXT": context,
        "DEPLOY_BOOT": deploy, "LABEL_PREFIX": prefix, "ENVIRONMENT": prefix,
        "BOOT": boot,
    })
    if o["--out"]:
        write_atomic(o["--out"], job)
    else:
        sys.stdout.write(job)
    return 0


# --- device dictionary --------------------------------------------------------------

def cmd_device(argv):
    o, _ = opts(argv, ["--job", "--templates", "--out"])
    if not o["--job"] or not o["--templates"]:
        die("device: --job and --templates are required")
    try:
        import jinja2
        import yaml
    except ImportError as e:
        die("device: %s (apt-get install --no-install-recommends lava-dispatcher)" % e)
    with open(o["--job"], encoding="utf-8") as f:
        job = yaml.safe_load(f)
    ctx = dict(job.get("context") or {})
    dtype = job.get("device_type")
    if not os.path.isfile(os.path.join(o["--templates"], "%s.jinja2" % dtype)):
        die("device: no device type %s.jinja2 in %s" % (dtype, o["--templates"]))
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(o["--templates"]),
                             trim_blocks=True, autoescape=False)
    src = "{%% extends '%s.jinja2' %%}\n" % dtype
    if ctx.get("no_kvm"):
        src += "{% set no_kvm = True %}\n"
    text = env.from_string(src).render(**ctx)
    d = yaml.safe_load(text)
    if not isinstance(d, dict) or "actions" not in d:
        die("device: the rendered dictionary has no actions")
    if o["--out"]:
        write_atomic(o["--out"], text)
    else:
        sys.stdout.write(text)
    return 0


# --- the log ------------------------------------------------------------------------

_TAG = re.compile(r'!\s*("(?:[^"\\]|\\.)*")')


def parse_events(text):
    """Events of a LAVA log: lava-run's stderr (one flow mapping a line) or
    the server's log (the same lines, each starting with '- ')."""
    try:
        import yaml
        loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    except ImportError:
        yaml = None
    events = []
    for line in text.splitlines():
        s = line.strip()
        if s.startswith("- "):
            s = s[2:]
        if not s.startswith("{"):
            continue
        ev = None
        if yaml is not None:
            try:
                ev = yaml.load(s, Loader=loader)
            except yaml.YAMLError:
                ev = None
        if ev is None:
            try:
                ev = json.loads(_TAG.sub(r"\1", s))
            except ValueError:
                ev = None
        if isinstance(ev, dict):
            events.append(ev)
    return events


def target_lines(events):
    out = []
    for ev in events:
        if ev.get("lvl") in ("target", "feedback"):
            m = ev.get("msg")
            if isinstance(m, str):
                out.extend(m.replace("\r", "").split("\n"))
    return out


_B64 = re.compile(r"^[A-Za-z0-9+/=]+$")


def decode_files(lines):
    """{name: bytes} from MC-FILE/MC-END blocks; raises ValueError."""
    files, cur, sums, buf = {}, None, {}, []
    for raw in lines:
        s = raw.strip()
        m = re.search(r"MC-FILE (\S+) ([0-9a-f]{64})", s)
        if m:
            cur, buf = m.group(1), []
            sums[cur] = m.group(2)
            continue
        m = re.search(r"MC-END (\S+)", s)
        if m and cur:
            blob = base64.b64decode("".join(buf), validate=True)
            if hashlib.sha256(blob).hexdigest() != sums[cur]:
                raise ValueError("corrupt transfer of %s (checksum)" % cur)
            if cur.endswith(".gz"):
                blob = gzip.decompress(blob)
                files[cur[:-3]] = blob
            else:
                files[cur] = blob
            cur = None
            continue
        if cur is not None:
            if s and _B64.match(s):
                buf.append(s)
            elif s:
                raise ValueError("corrupt transfer of %s (a line that is not "
                                 "base64: %r)" % (cur, s[:60]))
    if cur is not None:
        raise ValueError("transfer of %s cut short (no MC-END)" % cur)
    return files


def marker(lines, name):
    vals = []
    for l in lines:
        m = re.search(r"(?:^|\s)%s (.*)$" % re.escape(name), l.strip())
        if m and not l.strip().startswith("+"):
            vals.append(m.group(1).strip())
    return vals


def lava_job_result(events):
    """(result, error_type, error_msg) of LAVA's own 'job' test case."""
    res = (None, "", "")
    for ev in events:
        if ev.get("lvl") != "results" or not isinstance(ev.get("msg"), dict):
            continue
        m = ev["msg"]
        if m.get("definition") == "lava" and m.get("case") == "job":
            res = (m.get("result"), m.get("error_type") or "",
                   m.get("error_msg") or "")
    return res


def lava_errors(events):
    errs = []
    for ev in events:
        if ev.get("lvl") in ("error", "exception") and isinstance(ev.get("msg"), str):
            errs.append(ev["msg"].strip())
        if ev.get("lvl") == "results" and isinstance(ev.get("msg"), dict):
            m = ev["msg"]
            if m.get("definition") == "lava" and m.get("result") == "fail" \
                    and m.get("case") != "job":
                e = m.get("extra") or {}
                msg = m.get("error_msg") or (e.get("fail") if isinstance(e, dict) else "")
                if msg:
                    errs.append("%s: %s" % (m.get("case"), msg))
    return errs


def suite_results(events, tests_json):
    """{lava case name: result} reported by lava-test-case in our definition."""
    got = {}
    if tests_json is not None:
        for t in tests_json:
            suite = str(t.get("suite") or t.get("definition") or "")
            if suite.endswith(DEFINITION) and suite != "lava":
                got[t.get("name") or t.get("case")] = str(t.get("result")).lower()
        return got
    for ev in events:
        if ev.get("lvl") != "results" or not isinstance(ev.get("msg"), dict):
            continue
        m = ev["msg"]
        d = str(m.get("definition") or "")
        if d.endswith(DEFINITION) and d != "lava":
            got[m.get("case")] = m.get("result")
    return got


# --- run folders -------------------------------------------------------------

def begin_run(reports, label):
    """Lock reports/LABEL for this process (a second conversion of the same
    label waits), remove what dead runs of it left, and return a fresh
    folder to assemble the run in (harness/producer.sh's begin_run)."""
    import fcntl
    import glob
    os.makedirs(os.path.join(reports, ".locks"), exist_ok=True)
    fd = os.open(os.path.join(reports, ".locks", label),
                 os.O_WRONLY | os.O_CREAT | os.O_APPEND | os.O_NOFOLLOW, 0o644)
    fcntl.flock(fd, fcntl.LOCK_EX)
    begin_run.fds.append(fd)    # held until the process exits
    for d in glob.glob(os.path.join(reports, ".tmp.%s.*" % label)) + \
            glob.glob(os.path.join(reports, ".old.%s.*" % label)):
        shutil.rmtree(d, ignore_errors=True)
    return tempfile.mkdtemp(prefix=".tmp.%s." % label, dir=reports)


begin_run.fds = []


def may_replace(reports, label):
    """Die unless reports/LABEL is absent or a LAVA run folder (its
    .producer marker says lava)."""
    final = os.path.join(reports, label)
    if not os.path.lexists(final):
        return
    if os.path.isdir(final) and not os.path.islink(final):
        try:
            with open(os.path.join(final, ".producer")) as f:
                kind = f.read().strip()
        except OSError:
            kind = None
        if kind == "lava":
            return
    die("reports/%s exists and is not a LAVA run folder: choose another "
        "label" % label)


def install_folder(reports, tmp, label, record):
    final = os.path.join(reports, label)
    may_replace(reports, label)
    with open(os.path.join(tmp, ".producer"), "w") as f:
        f.write("lava\n")
    os.chmod(tmp, 0o755)
    if os.path.exists(final):
        old = tempfile.mkdtemp(prefix=".old.%s." % label, dir=reports)
        os.rename(final, os.path.join(old, label))
        os.rename(tmp, final)
        shutil.rmtree(old, ignore_errors=True)
    else:
        os.rename(tmp, final)
    if record:
        write_atomic(record, label + "\n")


def dnr_label(dtype, spec):
    return "lava-%s-%s" % (dtype, spec)


def did_not_run(reports, dtype, spec, reason, seconds, record, tmp=None,
                keep=()):
    label = dnr_label(dtype, spec)
    log("%s: did not run: %s" % (label, reason))
    d = tempfile.mkdtemp(prefix=".tmp.%s." % label, dir=reports)
    cmd = [sys.executable, os.path.join(HARNESS, "matrix-report.py"),
           "did-not-run", d, "--label", label, "--key", label,
           "--environment", "lava-%s" % dtype, "--reason", reason]
    if seconds is not None:
        cmd += ["--seconds", "%.1f" % seconds]
    if subprocess.call(cmd) != 0:
        shutil.rmtree(d, ignore_errors=True)
        die("cannot write the did-not-run folder %s" % label)
    # What LAVA said stays beside the reason.
    if tmp:
        for k in keep:
            p = os.path.join(tmp, k)
            if os.path.exists(p):
                shutil.copy(p, os.path.join(d, k))
        shutil.rmtree(tmp, ignore_errors=True)
    install_folder(reports, d, label, record)
    return 3


def cmd_dnr(argv):
    o, _ = opts(argv, ["--reports", "--spec", "--device-type", "--reason",
                       "--seconds", "--record"])
    if not o["--reports"] or not o["--spec"] or not o["--reason"]:
        die("dnr: --reports, --spec and --reason are required")
    os.makedirs(o["--reports"], exist_ok=True)
    return did_not_run(o["--reports"], o["--device-type"] or "qemu", o["--spec"],
                       o["--reason"],
                       float(o["--seconds"]) if o["--seconds"] else None,
                       o["--record"])


def cmd_convert(argv):
    o, _ = opts(argv, ["--log", "--reports", "--spec", "--device-type", "--job",
                       "--job-id", "--tests", "--status", "--error", "--seconds",
                       "--record", "--package", "--server"])
    for k in ("--log", "--reports", "--spec"):
        if not o[k]:
            die("convert: %s is required" % k)
    reports = os.path.abspath(o["--reports"])
    os.makedirs(reports, exist_ok=True)
    dtype = o["--device-type"] or "qemu"
    spec = o["--spec"]
    seconds = float(o["--seconds"]) if o["--seconds"] else None
    status = (o["--status"] or "complete").lower()
    record = o["--record"]
    tmp = begin_run(reports, dnr_label(dtype, spec))
    keep = ("console.log", "lava.json", "lava-job.yaml")

    def dnr(reason):
        return did_not_run(reports, dtype, spec, reason, seconds, record, tmp, keep)

    try:
        with open(o["--log"], encoding="utf-8", errors="replace") as f:
            text = f.read()
    except OSError as e:
        return dnr("no LAVA log (%s)" % e.strerror)
    events = parse_events(text)
    lines = target_lines(events)
    tests_json = None
    if o["--tests"]:
        try:
            with open(o["--tests"], encoding="utf-8") as f:
                tests_json = json.load(f)
        except (OSError, ValueError) as e:
            return dnr("cannot read the job's test results (%s)" % e)
    jres, etype, emsg = lava_job_result(events)
    errs = lava_errors(events)
    if o["--job"] and os.path.isfile(o["--job"]):
        shutil.copy(o["--job"], os.path.join(tmp, "lava-job.yaml"))
    # console.log: the target's lines without the base64 blocks.
    con, inblock = [], False
    for l in lines:
        if "MC-FILE " in l:
            inblock = True
            con.append(l)
            continue
        if "MC-END " in l:
            inblock = False
        if not inblock:
            con.append(l)
    write_atomic(os.path.join(tmp, "console.log"), "\n".join(con) + "\n")
    meta = {"job_id": o["--job-id"], "device_type": dtype, "spec": spec,
            "package": o["--package"], "status": status, "job_result": jres,
            "error_type": etype, "error": (o["--error"] or emsg or "")[:1000],
            "server": o["--server"], "seconds": seconds}
    write_atomic(os.path.join(tmp, "lava.json"), json.dumps(meta, indent=1) + "\n")

    exits = marker(lines, "MC-EXIT")
    jobtag = "LAVA job %s" % o["--job-id"] if o["--job-id"] else "LAVA job"
    if status != "complete" or jres == "fail":
        why = o["--error"] or (("%s: %s" % (etype, emsg)) if emsg else "") \
            or (errs[-1] if errs else "")
        if not why and not exits:
            why = "no suite exit marker"
        panic = [l.strip() for l in lines if "Kernel panic" in l]
        if panic:
            why += " (console: %s)" % re.sub(r"^\[[^]]*\] *", "", panic[0])[:200]
        return dnr("%s %s: %s" % (jobtag, status if status != "complete" else
                                  "failed", why or "no error message"))
    if not exits:
        if not marker(lines, "MC-START"):
            return dnr("%s: the suite never started (no MC-START in the log)" % jobtag)
        return dnr("%s: no suite exit marker in the log" % jobtag)
    try:
        files = decode_files(lines)
    except (ValueError, OSError, EOFError) as e:
        return dnr("%s: %s" % (jobtag, e))
    krc = exits[-1]
    labels = marker(lines, "MC-LABEL")
    label = labels[0] if labels else ""
    if not re.match(r"^[A-Za-z0-9][A-Za-z0-9._+-]*$", label):
        return dnr("%s: bad label %r from the guest" % (jobtag, label))
    if krc not in ("0", "1"):
        tail = (files.get("kyua-test.txt") or b"").decode("utf-8", "replace")
        tail = tail.strip().splitlines()[-1:] or [""]
        return dnr("%s: kyua test failed in the guest (exit %s): %s" % (
            jobtag, krc, tail[0]))
    for n in ("results.db", "env.json"):
        if not files.get(n):
            return dnr("%s: the guest sent no %s" % (jobtag, n))
    for n in ("results.db", "env.json", "kyua-test.txt"):
        if n in files:
            with open(os.path.join(tmp, n), "wb") as f:
                f.write(files[n])
    wall = (marker(lines, "MC-WALL") or ["?"])[0]
    workfs = (marker(lines, "MC-WORKFS") or [""])[0]
    write_atomic(os.path.join(tmp, "wall-seconds"), wall + "\n")
    rc = subprocess.call([os.path.join(HARNESS, "finish-run"), tmp, label,
                          "--baseline", os.path.join(HARNESS, "baselines")],
                         stdout=subprocess.DEVNULL)
    if rc != 0:
        return dnr("%s: could not write the reports (finish-run exit %d)" % (jobtag, rc))
    spath = os.path.join(tmp, "summary.json")
    with open(spath, encoding="utf-8") as f:
        summary = json.load(f)
    with open(os.path.join(tmp, "env.json"), encoding="utf-8") as f:
        env = json.load(f)

    # Cross-check: every kyua case reported by lava-test-case, same result.
    got = suite_results(events, tests_json)
    want = {lava_name(c["name"]): LAVA_RESULT.get(c["result"], "fail")
            for c in summary["cases"]}
    missing = sorted(set(want) - set(got))
    extra = sorted(set(got) - set(want))
    differ = sorted(n for n in want if n in got and got[n] != want[n])
    cross = {"cases": len(want), "lava_cases": len(got), "missing": missing[:20],
             "extra": extra[:20], "differ": differ[:20],
             "ok": not (missing or extra or differ)}
    meta["crosscheck"] = cross
    meta["workdir_fs"] = workfs
    meta["suite_seconds"] = wall
    write_atomic(os.path.join(tmp, "lava.json"), json.dumps(meta, indent=1) + "\n")
    if not cross["ok"]:
        parts = []
        if missing:
            parts.append("%d missing (%s)" % (len(missing), missing[0]))
        if extra:
            parts.append("%d unknown (%s)" % (len(extra), extra[0]))
        if differ:
            parts.append("%d differ (%s: LAVA %s, kyua %s)" % (
                len(differ), differ[0], got[differ[0]], want[differ[0]]))
        return dnr("%s: lava-test-case results disagree with the kyua database: %s"
                   % (jobtag, ", ".join(parts)))

    # The column key the matrix uses (lava-qemu-6.1, ...).
    try:
        import matrixlib
        key = matrixlib.release_key(env.get("kernel"), env.get("arch"),
                                    "lava-%s" % dtype, env.get("page_size"))
    except Exception:
        key = dnr_label(dtype, spec)
    summary["key"] = key
    write_atomic(spath, json.dumps(summary, indent=1) + "\n")
    if dtype == "qemu":
        q = {"spec": spec, "package": o["--package"], "accel": "tcg",
             "workdir_fs": workfs, "boot_seconds": None,
             "total_seconds": seconds,
             "suite_seconds": float(wall) if re.match(r"^[0-9.]+$", wall) else None,
             "lava_job_id": o["--job-id"]}
        write_atomic(os.path.join(tmp, "qemu.json"), json.dumps(q) + "\n")
    install_folder(reports, tmp, label, record)
    stale = os.path.join(reports, dnr_label(dtype, spec))
    if label != dnr_label(dtype, spec) and os.path.isfile(os.path.join(stale, "summary.json")):
        try:
            with open(os.path.join(stale, "summary.json")) as f:
                if json.load(f).get("did_not_run"):
                    shutil.rmtree(stale, ignore_errors=True)
        except (OSError, ValueError):
            pass
    t = summary["totals"]
    print("%s: %d cases (LAVA job %s, %s cross-checked), suite %s s%s: %d passed, "
          "%d failed, %d broken, %d skipped, %d expected_failure" % (
              label, len(summary["cases"]), o["--job-id"] or "?", len(got), wall,
              (", %.1f s in all" % seconds) if seconds is not None else "",
              t["passed"], t["failed"], t["broken"], t["skipped"],
              t["expected_failure"]))
    return 1 if t["failed"] or t["broken"] else 0


# --- REST client ------------------------------------------------------------------

class Api:
    def __init__(self, url, token):
        u = url.rstrip("/")
        for suffix in ("/RPC2", "/api/v0.2"):
            if u.endswith(suffix):
                u = u[:-len(suffix)]
        if not re.match(r"^https?://[^/@]+(/.*)?$", u):
            raise ValueError("bad LAVA_URL (http(s)://HOST[:PORT][/PATH], "
                             "no user or token in it)")
        self.base = u + "/api/v0.2"
        self.token = token

    def scrub(self, text):
        if self.token:
            text = text.replace(self.token, "<token>")
        return text

    def call(self, method, path, body=None, accept="application/json", raw=False,
             timeout=60):
        data = None
        headers = {"Accept": accept}
        if self.token:
            headers["Authorization"] = "Token " + self.token
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        req = urllib.request.Request(self.base + path, data=data,
                                     headers=headers, method=method)
        try:
            with urllib.request.urlopen(req, timeout=timeout) as r:
                payload = r.read()
        except urllib.error.HTTPError as e:
            detail = e.read().decode("utf-8", "replace")
            try:
                j = json.loads(detail)
                detail = j.get("detail") or j.get("message") or json.dumps(j)
            except ValueError:
                detail = re.sub(r"<[^>]+>", " ", detail)
            detail = " ".join(detail.split())[:300]
            raise RuntimeError(self.scrub("HTTP %d from %s %s: %s" % (
                e.code, method, path, detail)))
        except (urllib.error.URLError, OSError) as e:
            reason = getattr(e, "reason", e)
            raise RuntimeError(self.scrub("server unreachable (%s %s): %s" % (
                method, self.base + path, reason)))
        if raw:
            return payload
        try:
            return json.loads(payload)
        except ValueError:
            raise RuntimeError("%s %s: the answer is not JSON" % (method, path))

    def pages(self, path):
        out = []
        url = path
        for _ in range(1000):
            j = self.call("GET", url)
            if isinstance(j, list):
                return out + j
            out.extend(j.get("results") or [])
            nxt = j.get("next")
            if not nxt:
                return out
            url = nxt[nxt.index("/api/v0.2") + len("/api/v0.2"):]
        return out


def cmd_submit(argv):
    o, _ = opts(argv, ["--url", "--job", "--out", "--wait", "--poll"])
    if not o["--url"] or not o["--job"] or not o["--out"]:
        die("submit: --url, --job and --out are required")
    out = o["--out"]
    os.makedirs(out, exist_ok=True)
    token = os.environ.get("LAVA_TOKEN", "")
    if not token and os.environ.get("LAVA_TOKEN_FILE"):
        try:
            with open(os.environ["LAVA_TOKEN_FILE"], encoding="utf-8") as f:
                token = f.read().strip()
        except OSError as e:
            write_atomic(os.path.join(out, "error"),
                         "cannot read LAVA_TOKEN_FILE: %s\n" % e.strerror)
            return 1
    wait = float(o["--wait"] or 3600)
    poll = float(o["--poll"] or 5)

    def fail(msg):
        write_atomic(os.path.join(out, "error"), msg + "\n")
        log(msg)
        return 1

    try:
        api = Api(o["--url"], token)
    except ValueError as e:
        return fail(str(e))
    with open(o["--job"], encoding="utf-8") as f:
        definition = f.read()
    t0 = time.time()
    try:
        r = api.call("POST", "/jobs/", {"definition": definition})
        ids = r.get("job_ids") or ([r["id"]] if "id" in r else [])
        if not ids:
            return fail("the server accepted the job but gave no job id: %s"
                        % api.scrub(json.dumps(r))[:200])
    except RuntimeError as e:
        return fail("cannot submit the job: %s" % e)
    jid = str(ids[0])
    write_atomic(os.path.join(out, "job-id"), jid + "\n")
    log("job %s submitted" % jid)
    state, health, comment = "", "", ""
    last_err, err_since = None, None
    while True:
        try:
            j = api.call("GET", "/jobs/%s/" % jid)
            state, health = j.get("state", ""), j.get("health", "")
            comment = j.get("failure_comment") or ""
            last_err, err_since = None, None
        except RuntimeError as e:
            last_err = str(e)
            err_since = err_since or time.time()
            if time.time() - err_since > 300:
                write_atomic(os.path.join(out, "status"), "unknown\n")
                return fail("lost the server for 300 s while following job %s: %s"
                            % (jid, last_err))
        if state == "Finished":
            break
        if time.time() - t0 > wait:
            try:
                api.call("POST", "/jobs/%s/cancel/" % jid)
            except RuntimeError:
                pass
            msg = "no result within LAVA_WAIT=%d s (job %s %s)" % (
                wait, jid, state or "state unknown")
            if last_err:
                msg += "; last error: %s" % last_err
            write_atomic(os.path.join(out, "status"), "timeout\n")
            return fail(msg)
        time.sleep(poll)
    write_atomic(os.path.join(out, "status"), {
        "Complete": "complete", "Incomplete": "incomplete",
        "Canceled": "canceled"}.get(health, health.lower() or "unknown") + "\n")
    if comment:
        write_atomic(os.path.join(out, "error"), api.scrub(comment) + "\n")
    try:
        logtext = api.call("GET", "/jobs/%s/logs/" % jid, accept="*/*", raw=True)
        with open(os.path.join(out, "log.yaml"), "wb") as f:
            f.write(logtext)
        tests = api.pages("/jobs/%s/tests/" % jid)
        # A test case names its suite by id: give it the suite's name.
        suites = {str(x.get("id")): x.get("name")
                  for x in api.pages("/jobs/%s/suites/" % jid)}
        for t in tests:
            if str(t.get("suite")) in suites:
                t["suite"] = suites[str(t.get("suite"))]
        write_atomic(os.path.join(out, "tests.json"), json.dumps(tests) + "\n")
    except RuntimeError as e:
        return fail("job %s finished (%s) but its results could not be fetched: %s"
                    % (jid, health, e))
    log("job %s finished: %s in %.0f s" % (jid, health, time.time() - t0))
    return 0


def main(argv):
    cmds = {"ramdisk": cmd_ramdisk, "job": cmd_job, "device": cmd_device,
            "convert": cmd_convert, "dnr": cmd_dnr, "submit": cmd_submit}
    if not argv or argv[0] not in cmds:
        die("usage: mclava.py %s ... (see its header)" % "|".join(cmds))
    return cmds[argv[0]](argv[1:])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
