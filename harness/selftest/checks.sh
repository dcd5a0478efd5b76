# checks.sh - what the self-checks of harness/selftest/ share (sourced after
# harness/lib/lib.sh).  checks_begin NAME makes $t, a scratch folder
# (removed at the end when every check passed, kept and named otherwise),
# then:
#   ok TEXT / bad TEXT          one "ok - ..." / "FAIL - ..." line, counted
#   check TEXT COMMAND...       ok when COMMAND exits 0, else bad with its
#                               last line of output
#   expect_rc WANT TEXT COMMAND...   ok when COMMAND exits WANT (and prints
#                               no Python traceback)
#   finish                      "NAME: N passed, M failed"; exit 0 only
#                               when none failed
#   checks_real_run LABEL [DIR] a real run of the suite into DIR/LABEL
#   checks_made_up_run ...      a copy of a real run with cases failed
#   reports_fingerprint         reports/ (but coverage/ and .locks/) as
#                               names, types, sizes and modification times:
#                               what bad input must leave unchanged, cheap
#                               enough for hundreds of checks
# Sourcing it also sets H (the harness folder) and build (the built suite:
# $BUILD, absolute; build/ by default).
H="$MC_ROOT/harness"
build="${BUILD:-$MC_ROOT/build}"
case "$build" in /*) ;; *) build="$MC_ROOT/$build" ;; esac

# checks_real_run LABEL [REPORTS]: a real run of this host's suite into
# REPORTS/LABEL ($t by default), what most self-checks start from; when it
# cannot run, a failed check and the end of the self-check.
checks_real_run() {
	"$H/produce/run-suite" --reports "${2:-$t}" --label "$1" --build "$build" >"$t/$1.out" 2>&1
	[ $? -le 1 ] && [ -f "${2:-$t}/$1/summary.json" ] || {
		bad "the suite could not run: $(tail -n 1 "$t/$1.out")"
		finish
	}
}

# checks_made_up_run REAL DIR LABEL [BASELINE] -- CASE RESULT REASON...: a
# copy of the real run folder REAL in DIR (its results.db and env.json)
# where each CASE (tests/<area>/t_<prog>:<case>) has RESULT (failed,
# broken) and REASON, finished as a run folder labelled LABEL (with
# BASELINE's known divergences when given).  A case that is not there, or
# a run that cannot be finished, is a failed check and the end.
checks_made_up_run() {
	_real=$1 _dir=$2 _label=$3
	shift 3
	_bl=
	if [ "$1" != -- ]; then _bl=$1; shift; fi
	shift
	mkdir -p "$_dir" && cp "$_real/results.db" "$_real/env.json" "$_dir/" &&
		"$PYTHON" - "$_dir/results.db" "$@" <<'PY' >"$t/made-up.out" 2>&1 &&
import sqlite3, sys
con = sqlite3.connect(sys.argv[1])
args = sys.argv[2:]
for name, rtype, why in zip(args[0::3], args[1::3], args[2::3]):
    prog, case = name.split(":")
    n = con.execute(
        "UPDATE test_results SET result_type = ?, result_reason = ? "
        "WHERE test_case_id IN (SELECT test_case_id FROM test_cases tc JOIN "
        "test_programs tp USING (test_program_id) WHERE tp.relative_path "
        "= ? AND tc.name = ?)", (rtype, why, prog, case)).rowcount
    assert n == 1, "no case %s in the real run" % name
con.commit()
PY
		"$H/produce/finish-run" "$_dir" "$_label" ${_bl:+--baseline "$_bl"} >>"$t/made-up.out" 2>&1 ||
		{ bad "the made-up run $_label: $(tail -n 1 "$t/made-up.out")"; finish; }
}

checks_begin() {
	CHECKS_NAME=$1
	t=$(mktemp -d "${TMPDIR:-/tmp}/mc-$1.XXXXXX") || die "cannot create a scratch folder"
	chmod 0755 "$t"
	npass=0
	nfail=0
	trap 'exit 130' INT TERM HUP
}
ok() { npass=$((npass + 1)); echo "ok - $*"; }
bad() { nfail=$((nfail + 1)); echo "FAIL - $*"; }
check() {
	_d=$1
	shift
	if "$@" >"$t/check.out" 2>&1; then ok "$_d"; else bad "$_d: $(tail -n 1 "$t/check.out")"; fi
}
expect_rc() {
	_want=$1 _d=$2
	shift 2
	"$@" >"$t/check.out" 2>&1
	rc=$?
	if [ "$rc" -eq "$_want" ] && ! grep -q Traceback "$t/check.out"; then ok "$_d (exit $rc)"; else
		bad "$_d: exit $rc, expected $_want: $(tail -n 1 "$t/check.out")"; fi
}
reports_fingerprint() {
	find reports \( -path reports/coverage -o -path reports/.locks \) -prune -o \
		-printf '%p %y %s %T@\n' 2>/dev/null | LC_ALL=C sort | cksum
}
finish() {
	echo "$CHECKS_NAME: $npass passed, $nfail failed"
	if [ "$nfail" -eq 0 ]; then rm -rf "$t"; else echo "$CHECKS_NAME: scratch files kept in $t"; fi
	[ "$nfail" -eq 0 ]
	exit $?
}
