# producer.sh - shell code shared by the producers of run folders
# (run-suite, qemu-kernel, cross-kernel, env-run, lava-run, lava-submit,
# kernel-coverage).  POSIX sh; source it after lib.sh:
#     . "$MC_ROOT/harness/producer.sh"
# The producers keep the same variable names: $reports (the reports
# folder), $build (the host build), $record (empty, or the --record FILE
# that gets the label of the folder written), $tmp (the folder being
# assembled under $reports) and $t_start (from `now`, for the seconds).

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

# install_folder DIR LABEL: swap the finished folder DIR in as
# $reports/LABEL (atomically enough: the old folder is moved aside first,
# then removed); $final is that path.  LABEL goes to $record when set.
install_folder() {
	final="$reports/$2"
	if [ -e "$final" ]; then
		old=$(mktemp -d "$reports/.old.$2.XXXXXX")
		mv "$final" "$old/"
		mv "$1" "$final"
		rm -rf "$old"
	else
		mv "$1" "$final"
	fi
	[ -z "${record:-}" ] || printf '%s\n' "$2" >"$record"
}

# install_did_not_run LABEL KEY ENVIRONMENT REASON: write the did-not-run
# folder in $tmp (matrix-report.py did-not-run, with the seconds since
# $t_start), install it as $reports/LABEL and exit 3.  Each producer's own
# did_not_run REASON logs, stops what it started and empties $tmp first.
install_did_not_run() {
	"$PYTHON" "$MC_ROOT/harness/matrix-report.py" did-not-run "$tmp" \
		--label "$1" --key "$2" --environment "$3" \
		--reason "$4" --seconds "$(elapsed "$t_start")" >/dev/null ||
		die "cannot write the did-not-run folder"
	install_folder "$tmp" "$1"
	trap - EXIT
	exit 3
}
