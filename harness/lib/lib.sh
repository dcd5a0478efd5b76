# lib.sh - shared shell functions of the mmapconf harness (POSIX sh).
# Source it from a runnable of harness/<role>/: . "$(dirname "$0")/../lib/lib.sh"

# The project root, whatever the caller's cwd: the nearest folder above the
# running script that holds harness/lib/lib.sh.
MC_ROOT=$(cd "$(dirname "$0")" && pwd)
while [ "$MC_ROOT" != / ] && [ ! -f "$MC_ROOT/harness/lib/lib.sh" ]; do
	MC_ROOT=$(dirname "$MC_ROOT")
done
# Messages name the runnable by its role folder: produce/run-suite, kernels/kernel-fetch.
MC_PROG=$(basename "$(dirname "$0")")/$(basename "$0")
case "$MC_PROG" in harness/* | bin/*) MC_PROG=$(basename "$0") ;; esac

# One-line error and a non-zero exit.
die() {
	printf '%s: error: %s\n' "$MC_PROG" "$*" >&2
	exit "${MC_DIE_STATUS:-1}"
}

log() {
	printf '%s: %s\n' "$MC_PROG" "$*" >&2
}

# Seconds since the epoch with a fraction (for step timings).
now() {
	date +%s.%N
}

# elapsed START: seconds since START, one decimal.
elapsed() {
	awk -v s="$1" -v e="$(now)" 'BEGIN { printf "%.2f", e - s }'
}

# A label names a folder under reports/: keep it to a safe alphabet, and off
# the names the reports of several runs use (README.md, coverage, mutants,
# kernel-coverage, matrix.*, findings.md, index.html, ...).
check_label() {
	case "$1" in
	"" | *[!A-Za-z0-9._+-]* | .*)
		MC_DIE_STATUS=2 die "bad label '$1': use letters, digits and . _ + - (not starting with .)" ;;
	README.md | coverage | mutants | mutants.* | kernel-coverage | matrix.* | matrix-* | findings.* | index.html | lava)
		MC_DIE_STATUS=2 die "bad label '$1': reports/$1 holds other reports (choose another label)" ;;
	esac
}

# require_all_cases BUILD LISTING: a copy of the suite (make stage, make
# install) must hold every case its build did (BUILD/cases.txt,
# harness/lib/manifest); LISTING is `kyua list [-v]` of BUILD/Kyuafile.  A
# missing case is an error (exit 2), never a shorter green run.
require_all_cases() {
	_missing=$(sed -n 's/^\([^ 	][^ ]*\).*/\1/p' "$2" | LC_ALL=C sort |
		LC_ALL=C comm -23 "$1/cases.txt" -)
	[ -z "$_missing" ] || MC_DIE_STATUS=2 die "$(printf '%s\n' "$_missing" | wc -l) of the $(wc -l <"$1/cases.txt") cases in $1/cases.txt are missing from $1/Kyuafile (first: $(printf '%s\n' "$_missing" | head -n 1)): an incomplete copy of the suite"
}

# Python 3 for the data-merging steps (standard library only).
PYTHON=${PYTHON:-python3}

# help_if_asked "$@": with -h or --help, print the runnable's header comment
# (its usage) and exit 0.  Every runnable calls it first.
help_if_asked() {
	case "${1-}" in
	-h | --help)
		sed -n '2,/^[^#]/p' "$0" | sed -e '/^[^#]/d' -e 's/^# \{0,1\}//'
		exit 0
		;;
	esac
}

# apt_install PKG...: install the Debian packages PKG (as root, without
# recommends, never removing another package: --no-remove keeps e.g.
# gcc-multilib where a cross compiler would conflict with it; a fresh
# machine's missing package lists are fetched once).  Dies with one line
# (apt's first error) when it cannot.
apt_install() {
	[ $# -gt 0 ] || return 0
	[ "$(id -u)" -eq 0 ] || die "missing packages: $* (install them as root: apt-get install --no-install-recommends $*)"
	log "installing $* (--no-install-recommends)"
	_alog=$(mktemp "${TMPDIR:-/tmp}/mmapconf-apt.XXXXXX") || die "cannot create a log file"
	set -- -y -q --no-install-recommends --no-remove -o DPkg::Lock::Timeout=600 "$@"
	if ! DEBIAN_FRONTEND=noninteractive apt-get install "$@" >"$_alog" 2>&1; then
		apt-get update -q >>"$_alog" 2>&1 || true
		if ! DEBIAN_FRONTEND=noninteractive apt-get install "$@" >>"$_alog" 2>&1; then
			_aerr=$(grep -E '^E: ' "$_alog" | head -n 1)
			rm -f "$_alog"
			die "cannot install the packages: ${_aerr:-apt-get install failed}"
		fi
	fi
	rm -f "$_alog"
}

# swap_folder NEW FINAL: NEW becomes FINAL (a folder): the old FINAL, if
# any, is moved aside first and removed after, so FINAL is never half
# written (a run folder, a report folder).
swap_folder() {
	if [ -e "$2" ]; then
		_old=$(mktemp -d "$(dirname "$2")/.old.$(basename "$2").XXXXXX") ||
			die "cannot create a folder beside $2"
		mv "$2" "$_old/"
		mv "$1" "$2"
		rm -rf "$_old"
	else
		mv "$1" "$2"
	fi
}
