# harness/kcov/run.sh - sourced by harness/kernel-coverage once the gcov
# kernel is built: boot+run, capture, report.  Uses (from kernel-coverage):
# kernel kver src obj cdir bz build reports kcov per_program step t_all.

[ -x "$build/harness/envprobe" ] || die "$build has no built suite: run 'make' first"
mkdir -p "$reports"
tmp=$(mktemp -d "$reports/.tmp.kcov-$kernel.XXXXXX") || die "cannot create a folder in $reports"
qpid=
cleanup() {
	[ -n "$qpid" ] && kill "$qpid" 2>/dev/null
	rm -rf "$tmp" "$steps_file"
}
trap cleanup EXIT

# --- boot+run -------------------------------------------------------------------
t=$(now)
# The matrix initramfs, then a layer over it (a later cpio member replaces
# an earlier one): the gcov /init, guest-init under /kcov, the poweroff hook
# and the baseline program.
"$MC_ROOT/harness/initramfs" "$tmp/suite.cpio.gz" --build "$build" ||
	die "cannot build the initramfs (harness/initramfs)"
L="$tmp/layer"
mkdir -p "$L/kcov/build" "$L/usr/bin"
cp "$kcov/guest-init" "$L/init"
# Debian's static busybox runs applets before PATH: guest-init's final
# `poweroff -f` becomes the hook by its path.
sed 's|^poweroff -f$|exec /usr/bin/poweroff -f|' "$MC_ROOT/harness/guest-init" >"$L/kcov/guest-init"
grep -q -x 'exec /usr/bin/poweroff -f' "$L/kcov/guest-init" ||
	die "harness/guest-init no longer ends with 'poweroff -f': cannot hook the gcov collection"
cp "$kcov/lib.sh" "$L/kcov/lib.sh"
cp "$kcov/poweroff" "$L/usr/bin/poweroff"
chmod 0755 "$L/init" "$L/kcov/guest-init" "$L/usr/bin/poweroff"
cat >"$L/kcov/Kyuafile" <<'EOF'
syntax(2)
test_suite("kcov-baseline")
atf_test_program{name="t_noop"}
EOF
# shellcheck disable=SC2046
gcc -O2 $(pkg-config --cflags atf-c 2>/dev/null) -o "$L/kcov/build/t_noop" \
	"$kcov/t_noop.c" $(pkg-config --libs atf-c 2>/dev/null || echo -latf-c) ||
	die "cannot build harness/kcov/t_noop.c (libatf-dev?)"
(cd "$L" && find . ! -name . | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) |
	gzip -1 >"$tmp/layer.cpio.gz" || die "cannot pack the initramfs layer"
cat "$tmp/suite.cpio.gz" "$tmp/layer.cpio.gz" >"$tmp/initrd.cpio.gz"
rm -rf "$L" "$tmp/suite.cpio.gz" "$tmp/layer.cpio.gz"

nprogs=$(find "$build/tests" -type f -perm -u+x -name 't_*' | wc -l)
boot_limit=${BOOT_TIMEOUT:-240}
# The suite runs twice (whole, then program by program) under TCG.
run_limit=${RUN_TIMEOUT:-$((1200 + 30 * nprogs))}
accel=${ACCEL:-tcg}
cpu=${QEMU_CPU:-max,la57=off,pku=off}
[ "$accel" = kvm ] && cpu=${QEMU_CPU:-host}
append="console=ttyS0 panic=-1${KCOV_VERBOSE:+ ignore_loglevel}${KCOV_VERBOSE:- quiet}"
[ "$per_program" = yes ] || append="$append mc.kcov=noprog"
[ "$smoke" = no ] || append="$append mc.kcov=smoke"
: >"$tmp/results"
log "booting $kver (gcov) under qemu ($accel), limit ${run_limit} s"
timeout -k 5 "$run_limit" qemu-system-x86_64 -accel "$accel" -machine q35 \
	-cpu "$cpu" -smp "${QEMU_SMP:-2}" -m "${QEMU_MEM:-2G}" \
	-display none -nodefaults -no-reboot \
	-serial file:"$tmp/console.log" -serial file:"$tmp/results" \
	-kernel "$bz" -initrd "$tmp/initrd.cpio.gz" \
	-append "$append" </dev/null >"$tmp/qemu.out" 2>&1 &
qpid=$!
started=no
reason=
while kill -0 "$qpid" 2>/dev/null; do
	if [ "$started" = no ] && grep -q '^MC-KCOV-BEGIN' "$tmp/results"; then
		started=yes
		log "booted in $(elapsed "$t") s"
	fi
	if [ "$started" = no ] &&
		[ "$(awk -v s="$t" -v e="$(now)" 'BEGIN { print (e - s > '"$boot_limit"') }')" = 1 ]; then
		reason="no start marker within ${boot_limit} s (boot hang? see $cdir/console.log)"
		kill "$qpid" 2>/dev/null
		break
	fi
	if grep -q '^MC-KCOV-EXIT' "$tmp/results"; then
		i=0
		while kill -0 "$qpid" 2>/dev/null && [ $i -lt 20 ]; do
			sleep 0.5
			i=$((i + 1))
		done
		kill "$qpid" 2>/dev/null || true
		break
	fi
	sleep 1
done
set +e
wait "$qpid"
qrc=$?
set -e
qpid=
tr -d '\r' <"$tmp/results" >"$tmp/results.txt"
mv "$tmp/results.txt" "$tmp/results"
cp "$tmp/console.log" "$cdir/console.log" 2>/dev/null || true
cp "$tmp/results" "$cdir/serial.log" 2>/dev/null || true
grep -E '^MC-(KCOV-)?ERROR' "$tmp/results" | while read -r _ msg; do log "guest: $msg"; done
partial=
if ! grep -q '^MC-KCOV-EXIT' "$tmp/results"; then
	if [ -z "$reason" ]; then
		panic=$(grep -a -m 1 'Kernel panic' "$tmp/console.log" | tr -d '\r' | sed 's/^\[[^]]*\] *//' || true)
		if [ -n "$panic" ]; then
			reason="kernel panic: $panic"
		elif [ "$qrc" -eq 124 ] || [ "$qrc" -eq 137 ]; then
			reason="killed after the ${run_limit} s limit (RUN_TIMEOUT)"
		elif [ "$started" = no ]; then
			reason="qemu exited ($qrc) before the start marker: $(grep -v '^$' "$tmp/qemu.out" | tail -n 1)"
		else
			reason="no end marker (qemu exited $qrc)"
		fi
	fi
	# The baseline and the whole suite arrived: report them, say what is
	# missing.
	if [ "$smoke" = no ] && grep -q '^MC-KCOV-MAIN 0' "$tmp/results"; then
		partial="per-program phase incomplete: $reason"
		log "warning: $partial (the suite's coverage is complete)"
	else
		die "boot+run of the gcov kernel failed: $reason (console: $cdir/console.log)"
	fi
else
	kx=$(sed -n 's/^MC-KCOV-EXIT //p' "$tmp/results" | tail -n 1)
	[ "${kx%% *}" = 0 ] || die "the guest failed (status ${kx%% *}): ${kx#* }"
fi
step boot+run "$t"

# --- capture --------------------------------------------------------------------
t=$(now)
mkdir -p "$tmp/b64" "$tmp/run"
awk -v d="$tmp/b64" '
	/^MC-FILE / { n = $2; f = d "/" n; print n " " $3 >> (d "/.sums"); inf = 1; next }
	/^MC-END / { close(f); inf = 0; next }
	inf { print > f }' "$tmp/results"
[ -f "$tmp/b64/.sums" ] || die "the guest sent no files"
while read -r name sum; do
	case "$name" in results.db | env.json | kyua-test.txt | kyua.log) dest="$tmp/run/$name" ;;
	kcov-main.tar.gz | prog-*.tar.gz) dest="$tmp/$name" ;;
	*) continue ;; esac
	if ! base64 -d "$tmp/b64/$name" >"$dest" 2>/dev/null ||
		[ "$(sha256sum "$dest" | cut -d' ' -f1)" != "$sum" ]; then
		# a transfer cut short by the time limit: only the last may be
		case "$name" in prog-*) [ -n "$partial" ] ;; *) false ;; esac ||
			die "corrupt transfer of $name"
		rm -f "$dest"
	fi
done <"$tmp/b64/.sums"
rm -rf "$tmp/b64"
[ -s "$tmp/kcov-main.tar.gz" ] || die "the guest sent no .gcda archive"
mkdir -p "$tmp/gcda"
tar -xzf "$tmp/kcov-main.tar.gz" -C "$tmp/gcda" || die "cannot unpack the .gcda archive"
for f in "$tmp"/prog-*.tar.gz; do
	[ -s "$f" ] || continue
	tar -xzf "$f" -C "$tmp/gcda" || die "cannot unpack $(basename "$f")"
done
if [ "$smoke" = yes ]; then
	[ -d "$tmp/gcda/baseline" ] || die "the guest sent no .gcda of the baseline"
else
	[ -d "$tmp/gcda/suite" ] || die "the guest sent no .gcda of the suite"
fi

# capture NAME DIR: DIR/*.gcda -> $tmp/info/NAME.info (mm/ only).
mkdir -p "$tmp/info" "$tmp/cap"
capture() {
	c="$tmp/cap/$1"
	mkdir -p "$c/mm"
	for f in "$2"/*.gcda; do
		[ -f "$f" ] || continue
		b=$(basename "$f" .gcda)
		[ -f "$obj/mm/$b.gcno" ] || continue
		cp "$f" "$c/mm/$b.gcda"
		ln -s "$obj/mm/$b.gcno" "$c/mm/$b.gcno"
	done
	lcov -q -c -d "$c" -b "$obj" --rc lcov_branch_coverage=0 -o "$c/all.info" >"$c/lcov.log" 2>&1 &&
		lcov -q --extract "$c/all.info" '*/mm/*' -o "$tmp/info/$1.info" >>"$c/lcov.log" 2>&1 ||
		{ echo "lcov failed for $1: $(grep -v '^$' "$c/lcov.log" | tail -n 1)" >&2; return 1; }
	rm -rf "$c"
}
if [ "$smoke" = yes ]; then
	capture baseline "$tmp/gcda/baseline" || die "lcov capture of the baseline failed"
	step capture "$t"
	hit=$(awk '/^SF:.*\/mm\/mmap\.c$/ { f = 1 } f && /^LH:/ { print substr($0, 4); exit }' "$tmp/info/baseline.info")
	[ "${hit:-0}" -gt 0 ] || die "smoke: no line of mm/mmap.c reached in the baseline (gcov data empty?)"
	log "smoke: $kver boots, gcov works: $hit lines of mm/mmap.c reached by the harness alone"
	exit 0
fi
capture suite "$tmp/gcda/suite" || die "lcov capture of the suite failed"
capture baseline "$tmp/gcda/baseline" || die "lcov capture of the baseline failed"
if [ -d "$tmp/gcda/prog" ]; then
	mkdir -p "$tmp/info/prog"
	for d in "$tmp/gcda/prog"/*; do
		[ -d "$d" ] && echo "${d##*/}"
	done | {
		# two at a time (lcov is one gcov process per file)
		while read -r a; do
			capture "prog/$a" "$tmp/gcda/prog/$a" &
			if read -r b; then capture "prog/$b" "$tmp/gcda/prog/$b"; fi
			wait
		done
	}
fi
step capture "$t"

# --- report -----------------------------------------------------------------------
t=$(now)
# The run folder: a matrix column like any other qemu kernel.
glabel=$(sed -n 's/^MC-LABEL //p' "$tmp/results" | head -n 1)
uname_r=${glabel#qemu-}
label="qemu-gcov-${uname_r%-mcgcov}"
check_label "$label"
krc=$(sed -n 's/^MC-EXIT //p' "$tmp/results" | tail -n 1)
wall=$(sed -n 's/^MC-WALL //p' "$tmp/results" | head -n 1)
[ -s "$tmp/run/results.db" ] || die "the guest sent no results database (kyua exit ${krc:-?})"
"$PYTHON" - "$tmp/run/env.json" "$label" <<'PY' || die "cannot relabel env.json"
import json, sys
p, label = sys.argv[1], sys.argv[2]
e = json.load(open(p))
e["label"] = label
e["environment"] = "qemu-gcov"
json.dump(e, open(p, "w"), indent=2)
PY
cp "$tmp/console.log" "$tmp/run/console.log"
"$MC_ROOT/harness/finish-run" "$tmp/run" "$label" >/dev/null || die "finish-run failed for $label"
echo "${wall:-?}" >"$tmp/run/wall-seconds"
printf '{"spec": "gcov-%s", "package": "linux-source-%s %s (built with gcov for mm/)", "accel": "%s", "suite_seconds": %s}\n' \
	"$kernel" "$kernel" "$srcver" "$accel" "${wall:-null}" >"$tmp/run/qemu.json"

out="$reports/kernel-coverage/$kernel"
new="$tmp/out"
mkdir -p "$new/per-program"
cp "$tmp/info/suite.info" "$new/lcov.info"
cp "$tmp/info/baseline.info" "$new/baseline.info"
[ -d "$tmp/info/prog" ] && cp "$tmp/info/prog"/*.info "$new/per-program/" 2>/dev/null
grep '^MC-KCOV-PROG ' "$tmp/results" | cut -d' ' -f2- >"$tmp/progs.txt" || true
gh() { # OUTDIR TITLE INFO...
	d=$1 ti=$2
	shift 2
	genhtml -q --legend --prefix "$src" -t "$ti" -o "$d" "$@" >"$tmp/genhtml.log" 2>&1 ||
		die "genhtml failed: $(grep -v '^$' "$tmp/genhtml.log" | tail -n 1)"
}
gh "$new" "mmapconf suite, Linux $kver mm/ (gcov)" "$new/lcov.info"
gh "$new/baseline" "harness alone (baseline), Linux $kver mm/ (gcov)" "$new/baseline.info"
"$PYTHON" "$kcov/report.py" --kernel "$kernel" --version "$kver" --label "$label" \
	--suite "$new/lcov.info" --baseline "$new/baseline.info" \
	--programs "$new/per-program" --program-times "$tmp/progs.txt" \
	--out "$new" --run-summary "$tmp/run/summary.json" --note "$partial" ||
	die "cannot write the coverage summary (harness/kcov/report.py)"
step report "$t"
printf '%s %s\n' total "$(elapsed "$t_all")" >>"$steps_file"
"$PYTHON" - "$steps_file" "$new/coverage.json" "$tmp/run/summary.json" <<'PY'
import json, sys
steps = {}
for l in open(sys.argv[1]):
    k, v = l.split()
    steps[k] = float(v)
for p, key in ((sys.argv[2], None), (sys.argv[3], "kernel_coverage")):
    d = json.load(open(p))
    (d[key] if key else d)["step_seconds"] = steps
    json.dump(d, open(p, "w"), indent=1)
PY

# Swap both folders in.
install_dir() { # SRC DEST
	if [ -e "$2" ]; then
		old=$(mktemp -d "$(dirname "$2")/.old.XXXXXX")
		mv "$2" "$old/"
		mv "$1" "$2"
		rm -rf "$old"
	else
		mv "$1" "$2"
	fi
}
mkdir -p "$reports/kernel-coverage"
install_dir "$new" "$out"
install_dir "$tmp/run" "$reports/$label"
cat "$out/summary.txt"
log "report: $out/index.html; run folder: $reports/$label (kyua exit ${krc:-?}, suite ${wall:-?} s)"
