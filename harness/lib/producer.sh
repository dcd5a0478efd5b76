# producer.sh - shell code shared by the producers of run folders
# (run-suite, qemu-kernel, cross-kernel, env-run, lava-run, lava-submit,
# kernel-coverage).  POSIX sh; source it after lib.sh:
#     . "$MC_ROOT/harness/lib/producer.sh"
# The producers keep the same variable names: $reports (the reports
# folder), $build (the host build), $record (empty, or the --record FILE
# that gets the label of the folder written), $tmp (the folder being
# assembled under $reports, from begin_run) and $t_start (from `now`, for
# the seconds).  Each sets MC_KIND (host, qemu, env, lava, gcov) before
# begin_run: a label may only replace a run folder of the same kind.

# producer_option OPTION [VALUE]: one of the options every producer takes
# (--reports DIR, --build DIR, --record FILE) into $reports, $build or
# $record; dies when VALUE is missing.  The caller then shifts 2:
#     --reports | --build | --record) producer_option "$@"; shift 2 ;;
producer_option() {
	[ $# -ge 2 ] || die "$1 needs a value"
	case "$1" in
	--reports) reports=$2 ;;
	--build) build=$2 ;;
	--record) record=$2 ;;
	esac
}

# make_absolute VAR...: the path held in each variable made absolute (a
# relative one is taken from the current directory).
make_absolute() {
	for _mc_v in "$@"; do
		eval "_mc_p=\${$_mc_v}"
		case "$_mc_p" in /*) ;; *) eval "$_mc_v=\"\$PWD/\$_mc_p\"" ;; esac
	done
}

# reports_ready: $reports exists as a real folder; a root run refuses one
# that others may write into (they could plant links where root writes).
reports_ready() {
	mkdir -p "$reports" || die "cannot create $reports"
	[ -d "$reports" ] && [ ! -L "$reports" ] || die "$reports is not a folder"
	if [ "$(id -u)" -eq 0 ]; then
		case "$(stat -c %A "$reports")" in
		?????w???? | ????????w?)
			die "$reports is writable by others: chmod go-w it (root writes there)" ;;
		esac
	fi
}

# begin_run LABEL: lock reports/LABEL for this run (fd 7 on
# reports/.locks/LABEL, held until exit: a second run of the same label
# waits for it; the lock files stay), remove what dead runs of LABEL
# left (.tmp.LABEL.*, .old.LABEL.*), check that reports/LABEL may be
# replaced, and make $tmp, the folder to assemble the run in.
begin_run() {
	reports_ready
	mkdir -p "$reports/.locks" || die "cannot create $reports/.locks"
	exec 7>>"$reports/.locks/$1" || die "cannot open $reports/.locks/$1"
	if ! flock -n 7; then
		log "waiting for another run of reports/$1"
		flock -w "${MC_LOCK_WAIT:-3600}" 7 || die "reports/$1 is still locked by another run"
	fi
	rm -rf "$reports/.tmp.$1."* "$reports/.old.$1."*
	may_replace "$1"
	tmp=$(mktemp -d "$reports/.tmp.$1.XXXXXX") || die "cannot create a folder in $reports"
}

# may_replace LABEL: dies unless reports/LABEL is absent or a run folder of
# this kind of producer (its .producer marker says $MC_KIND: host, qemu,
# env, lava).
may_replace() {
	_f="$reports/$1"
	[ -e "$_f" ] || [ -L "$_f" ] || return 0
	if [ -d "$_f" ] && [ ! -L "$_f" ]; then
		if [ -f "$_f/.producer" ]; then
			[ "$(cat "$_f/.producer")" = "${MC_KIND:?}" ] && return 0
			die "reports/$1 is a run folder of another producer ($(cat "$_f/.producer")), not $MC_KIND: choose another label"
		fi
	fi
	die "reports/$1 exists and is not a run folder: choose another label"
}

# take_file SRC DST: copy a file that a less trusted process wrote (an
# unprivileged run, a container) without following links.
take_file() {
	"$PYTHON" "$MC_ROOT/harness/lib/runfolder" take "$1" "$2"
}

# install_folder DIR LABEL: swap the finished folder DIR in as
# $reports/LABEL (atomically enough: the old folder is moved aside first,
# then removed); $final is that path.  LABEL goes to $record when set.
# DIR gets the marker .producer ($MC_KIND); $reports/index.html is
# refreshed (harness/read/index).
install_folder() {
	final="$reports/$2"
	may_replace "$2"
	printf '%s\n' "${MC_KIND:?}" >"$1/.producer"
	chmod 0755 "$1"
	swap_folder "$1" "$final"
	[ -z "${record:-}" ] || printf '%s\n' "$2" >"$record"
	"$MC_ROOT/harness/read/index" "$reports" >/dev/null 2>&1 ||
		log "warning: could not refresh $reports/index.html"
}

# install_did_not_run LABEL KEY ENVIRONMENT REASON: write the did-not-run
# folder in $tmp (matrix-report.py did-not-run, with the seconds since
# $t_start), install it as $reports/LABEL and exit 3.  Each producer's own
# did_not_run REASON logs, stops what it started and empties $tmp first.
install_did_not_run() {
	"$MC_ROOT/harness/lib/runfolder" did-not-run "$tmp" \
		--label "$1" --key "$2" --environment "$3" \
		--reason "$4" --seconds "$(elapsed "$t_start")" >/dev/null ||
		die "cannot write the did-not-run folder"
	install_folder "$tmp" "$1"
	trap - EXIT
	exit 3
}
