# state.sh - what a run under a mutant could leave behind (sourced by
# harness/campaigns/mutants and harness/selftest/mutants; POSIX sh).
#
# mc_state WORK: one line per POSIX shm object (/dev/shm), SysV shm segment,
# mount, top-level entry of /tmp (not mmapconf-* nor kyua.*: the harness's
# own scratch folders and other users' kyua runs), entry left in the runs'
# TMPDIR (WORK/tmp, where kyua makes its work directories), and process
# running a program of WORK (the injector, the snapshot of the test
# programs): exactly the processes of these runs.
mc_state() {
	ls -A /dev/shm 2>/dev/null | sed 's|^|posix-shm /dev/shm/|'
	awk 'NR > 1 { print "sysv-shm key " $1 " id " $2 }' /proc/sysvipc/shm 2>/dev/null
	awk '{ print "mount " $5 }' /proc/self/mountinfo 2>/dev/null
	ls -A /tmp 2>/dev/null | grep -v -e '^mmapconf-' -e '^kyua\.' | sed 's|^|tmp-entry /tmp/|'
	mc_own "$1"
}

# mc_own WORK: what is certainly ours -- entries left in WORK/tmp (kyua's
# work directories) and processes running a program of WORK.
mc_own() {
	ls -A "$1/tmp" 2>/dev/null | sed "s|^|work-entry $1/tmp/|"
	for p in /proc/[0-9]*; do
		exe=$(readlink "$p/exe" 2>/dev/null) || continue
		case "$exe" in
		"$1"/*) echo "process $(cat "$p/comm" 2>/dev/null) pid ${p#/proc/} ($exe)" ;;
		esac
	done
	return 0
}

# mc_state_new WORK BEFORE: lines of mc_state not in the file BEFORE that are
# still there a second later (a file another user's job is about to remove
# is not a leftover of ours).
mc_state_new() {
	mc_state "$1" | LC_ALL=C sort >"$2.now1"
	LC_ALL=C comm -13 "$2" "$2.now1" >"$2.new1"
	if [ -s "$2.new1" ]; then
		sleep 1
		mc_state "$1" | LC_ALL=C sort >"$2.now2"
		LC_ALL=C comm -12 "$2.new1" "$2.now2"
	fi
	rm -f "$2.now1" "$2.now2" "$2.new1"
}
