# harness/campaigns/kcov/run.sh - sourced by harness/campaigns/kernel-coverage once the gcov
# kernel is built: boot+run (harness/produce/qemu-kernel does the boot, the markers
# and the run folder), capture, report.  Uses (from kernel-coverage):
# kernel kver srcver src obj cdir bz build reports kcov per_program smoke
# step steps_file t_all.

[ -x "$build/harness/envprobe" ] || die "$build has no built suite: run 'make' first"
mkdir -p "$reports"
tmp=$(mktemp -d "$reports/.tmp.kcov-$kernel.XXXXXX") || die "cannot create a folder in $reports"
trap 'rm -rf "$tmp" "$steps_file"' EXIT

# --- boot+run -------------------------------------------------------------------
t=$(now)
# The matrix initramfs, then a layer over it (a later cpio member replaces
# an earlier one): the gcov /init, guest-init under /kcov, the poweroff hook,
# the baseline program and the list of the table's files (per program).
"$MC_ROOT/harness/kernels/initramfs" "$tmp/suite.cpio.gz" --build "$build" ||
	die "cannot build the initramfs (harness/kernels/initramfs)"
L="$tmp/layer"
mkdir -p "$L/kcov" "$L/usr/bin"
cp "$MC_ROOT/harness/guest/kcov-init" "$L/init"
# harness/guest/init as it is: the column's label and environment
# (qemu-gcov-<version>: a matrix column of its own) come from the kernel
# command line below, and its last command, /usr/bin/poweroff, is the hook.
cp "$MC_ROOT/harness/guest/init" "$L/kcov/guest-init"
cp "$kcov/lib.sh" "$L/kcov/lib.sh"
cp "$MC_ROOT/harness/guest/kcov-poweroff" "$L/usr/bin/poweroff"
"$PYTHON" "$kcov/capture" --table-files >"$L/kcov/prog-files" || die "harness/campaigns/kcov/capture --table-files failed"
chmod 0755 "$L/init" "$L/kcov/guest-init" "$L/usr/bin/poweroff"
printf 'syntax(2)\ntest_suite("kcov-baseline")\natf_test_program{name="t_noop"}\n' >"$L/kcov/Kyuafile"
# shellcheck disable=SC2046
gcc -O2 $(pkg-config --cflags atf-c 2>/dev/null) -o "$L/kcov/t_noop" \
	"$kcov/t_noop.c" $(pkg-config --libs atf-c 2>/dev/null || echo -latf-c) ||
	die "cannot build harness/campaigns/kcov/t_noop.c (libatf-dev?)"
if [ "$smoke" = yes ]; then
	# The smoke run: the same boot, with t_noop as the whole "suite".
	mkdir -p "$L/mc"
	cp "$L/kcov/Kyuafile" "$L/mc/Kyuafile"
	cp "$L/kcov/t_noop" "$L/mc/t_noop"
fi
(cd "$L" && find . ! -name . | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) |
	gzip -1 >"$tmp/layer.cpio.gz" || die "cannot pack the initramfs layer"
cat "$tmp/suite.cpio.gz" "$tmp/layer.cpio.gz" >"$tmp/initrd.cpio.gz"
rm -rf "$L" "$tmp/suite.cpio.gz" "$tmp/layer.cpio.gz"

nprogs=$(find "$build/tests" -type f -perm -u+x -name 't_*' | wc -l)
# The suite runs twice (whole, then program by program) under TCG; the
# smoke run is one empty case twice.
run_limit=${RUN_TIMEOUT:-$((1200 + 30 * nprogs))}
[ "$smoke" = no ] || run_limit=${RUN_TIMEOUT:-300}
append="mc.label=qemu-gcov-$kver mc.environment=qemu-gcov${KCOV_VERBOSE:+ ignore_loglevel}"
[ "$per_program" = yes ] && [ "$smoke" = no ] || append="$append mc.kcov=noprog"
serial="$cdir/serial.log"
log "booting $kver (gcov) under qemu (${ACCEL:-tcg}), limit ${run_limit} s (harness/produce/qemu-kernel)"
set +e
BOOT_TIMEOUT=${BOOT_TIMEOUT:-240} RUN_TIMEOUT=$run_limit QEMU_DISK_BUILTIN=yes "$MC_ROOT/harness/produce/qemu-kernel" \
	--kernel "$bz" --initrd "$tmp/initrd.cpio.gz" --build "$build" --reports "$tmp/r" \
	--record "$tmp/label" --append "$append" --end-marker MC-KCOV-EXIT --serial "$serial" \
	--keep kcov-main.tar.gz --keep 'prog-*.tar.gz' "gcov-$kernel" >"$tmp/qemu-kernel.out"
qrc=$?
set -e
label=$(cat "$tmp/label" 2>/dev/null || true)
run="$tmp/r/${label:-none}"
cp "$tmp/r/${label:-qemu-gcov-$kernel}/console.log" "$cdir/console.log" 2>/dev/null || true
grep '^MC-KCOV-ERROR' "$serial" 2>/dev/null | while read -r _ msg; do log "guest: $msg"; done
kx=$(sed -n 's/^MC-KCOV-EXIT //p' "$serial" 2>/dev/null | tail -n 1)
[ -z "$kx" ] || [ "${kx%% *}" = 0 ] || die "the guest failed (status ${kx%% *}): ${kx#* }"
[ "$qrc" -ne 2 ] || die "harness/produce/qemu-kernel failed (see above)"
if [ "$qrc" -eq 3 ] || [ -z "$label" ] || [ ! -s "$run/summary.json" ]; then
	why=$(sed -n 's/^[^:]*: did not run: //p' "$tmp/r/$label/report.txt" "$tmp/r/qemu-gcov-$kernel/report.txt" 2>/dev/null | head -n 1)
	die "boot+run of the gcov kernel failed: ${why:-qemu-kernel exit $qrc} (console: $cdir/console.log, serial: $serial)"
fi
case "$label" in qemu-gcov-*) ;; *) die "the guest's label is $label, not qemu-gcov-*: harness/guest/init not adapted?" ;; esac
partial=
if [ -z "$kx" ]; then
	# The baseline and the whole suite arrived: report them, say what is
	# missing.
	why=$(sed -n 's/.*"incomplete": "\([^"]*\)".*/\1/p' "$run/qemu.json")
	grep -q '^MC-KCOV-MAIN 0' "$serial" && [ "$smoke" = no ] ||
		die "boot+run of the gcov kernel failed: ${why:-no MC-KCOV-EXIT} (console: $cdir/console.log)"
	partial="per-program phase incomplete: ${why:-no MC-KCOV-EXIT}"
	log "warning: $partial (the suite's coverage is complete)"
fi
step boot+run "$t"

# --- capture --------------------------------------------------------------------
t=$(now)
[ -s "$run/kcov-main.tar.gz" ] || die "the guest sent no .gcda archive (kcov-main.tar.gz)"
mkdir -p "$tmp/gcda"
for f in "$run"/kcov-main.tar.gz "$run"/prog-*.tar.gz; do
	[ -s "$f" ] || continue
	tar -xzf "$f" -C "$tmp/gcda" || die "cannot unpack $(basename "$f")"
	rm -f "$f"
done
[ -d "$tmp/gcda/baseline" ] || die "the guest sent no .gcda of the baseline"
[ -d "$tmp/gcda/suite" ] || die "the guest sent no .gcda of the suite"
# The suite and the baseline: all of mm/ (the HTML report); each program:
# the table's files only (all that per-program.txt uses).
"$PYTHON" "$kcov/capture" --obj "$obj" --out "$tmp/info" \
	suite="$tmp/gcda/suite" baseline="$tmp/gcda/baseline" ||
	die "capture of the suite's coverage failed (harness/campaigns/kcov/capture)"
if [ -d "$tmp/gcda/prog" ]; then
	# shellcheck disable=SC2046
	"$PYTHON" "$kcov/capture" --obj "$obj" --out "$tmp/info" --table-only \
		$(cd "$tmp/gcda" && for d in prog/*; do [ -d "$d" ] && echo "$d=$tmp/gcda/$d"; done) ||
		die "capture of the per-program coverage failed (harness/campaigns/kcov/capture)"
fi
grep '^MC-KCOV-PROG ' "$serial" | cut -d' ' -f2- >"$tmp/progs.txt" || true
lost=$(while read -r p _; do
	n=$(echo "$p" | tr / _)
	[ -s "$tmp/info/prog/$n.info" ] || printf ' %s' "$p"
done <"$tmp/progs.txt")
if [ -n "$lost" ]; then
	log "warning: no coverage data arrived for:$lost"
	partial="${partial:+$partial; }no coverage data for:$lost"
fi
step capture "$t"
if [ "$smoke" = yes ]; then
	hit=$(awk '/^SF:.*\/mm\/mmap\.c$/ { f = 1 } f && /^LH:/ { print substr($0, 4); exit }' "$tmp/info/baseline.info")
	[ "${hit:-0}" -gt 0 ] || die "smoke: no line of mm/mmap.c reached in the baseline (gcov data empty?)"
	got=$("$PYTHON" -c 'import json, sys; s = json.load(open(sys.argv[1]))
print(s["environment"], " ".join(c["result"] for c in s["cases"]))' "$run/summary.json") ||
		die "smoke: no readable summary.json in $label"
	[ "$got" = "qemu-gcov passed" ] || die "smoke: $label: expected environment qemu-gcov and t_noop passed, got: $got"
	log "smoke: $kver boots, gcov works, $label written: $hit lines of mm/mmap.c reached by the harness alone"
	exit 0
fi

# --- report -----------------------------------------------------------------------
t=$(now)
out="$reports/kernel-coverage/$kernel"
new="$tmp/out"
mkdir -p "$new/per-program"
cp "$tmp/info/suite.info" "$new/lcov.info"
cp "$tmp/info/baseline.info" "$new/baseline.info"
[ -d "$tmp/info/prog" ] && cp "$tmp/info/prog"/*.info "$new/per-program/" 2>/dev/null
gh() { # OUTDIR TITLE INFO...
	d=$1 ti=$2
	shift 2
	genhtml -q --legend --prefix "$src" -t "$ti" -o "$d" "$@" >"$tmp/genhtml.log" 2>&1 ||
		die "genhtml failed: $(grep -v '^$' "$tmp/genhtml.log" | tail -n 1)"
}
gh "$new" "mmapconf suite, Linux $kver mm/ (gcov)" "$new/lcov.info"
gh "$new/baseline" "harness alone (baseline), Linux $kver mm/ (gcov)" "$new/baseline.info"
"$PYTHON" "$kcov/report" --kernel "$kernel" --version "$kver" --label "$label" \
	--suite "$new/lcov.info" --baseline "$new/baseline.info" \
	--programs "$new/per-program" --program-times "$tmp/progs.txt" \
	--out "$new" --run-summary "$run/summary.json" --note "$partial" ||
	die "cannot write the coverage summary (harness/campaigns/kcov/report)"
step report "$t"
printf '%s %s\n' total "$(elapsed "$t_all")" >>"$steps_file"
"$PYTHON" - "$steps_file" "$new/coverage.json" "$run/summary.json" "$run/qemu.json" \
	"gcov-$kernel" "linux-source-$kernel $srcver (built with gcov for mm/)" <<'PY'
import json, sys
steps = {}
for l in open(sys.argv[1]):
    k, v = l.split()
    steps[k] = float(v)
for p, key in ((sys.argv[2], None), (sys.argv[3], "kernel_coverage")):
    d = json.load(open(p))
    (d[key] if key else d)["step_seconds"] = steps
    json.dump(d, open(p, "w"), indent=1)
q = json.load(open(sys.argv[4]))
q["spec"], q["package"] = sys.argv[5], sys.argv[6]
json.dump(q, open(sys.argv[4], "w"))
PY

# Swap both folders in.
mkdir -p "$reports/kernel-coverage"
swap_folder "$new" "$out"
swap_folder "$run" "$reports/$label"
"$MC_ROOT/harness/read/index" "$reports" >/dev/null 2>&1 || log "warning: could not refresh $reports/index.html"
cat "$out/summary.txt"
wall=$(cat "$reports/$label/wall-seconds" 2>/dev/null || echo '?')
log "report: $out/index.html; run folder: $reports/$label (suite $wall s; $(tail -n 1 "$tmp/qemu-kernel.out"))"
