# harness/campaigns/kcov/lib.sh: shell functions of the gcov guest (/kcov/lib.sh).
KCOV_GCOV=/kcov/dbg/gcov

kcov_port() {
	p=/dev/ttyS1
	for a in $(cat /proc/cmdline); do
		case "$a" in mc.port=*) p=/dev/${a#mc.port=} ;; esac
	done
	[ -c "$p" ] || p=/dev/console
	echo "$p"
}

# kcov_dir: the gcov directory of mm/ (under the build's absolute path).
kcov_dir() {
	d=$(find "$KCOV_GCOV" -type d -name mm 2>/dev/null | head -n 1)
	[ -n "$d" ] || return 1
	echo "$d"
}

kcov_reset() {
	echo 0 >"$KCOV_GCOV/reset"
}

# kcov_copy NAME [LIST]: the .gcda of mm/ into /kcov/out/NAME/ (cat, not
# tar); with LIST (a file of base names: mmap vma ...) only those.
kcov_copy() {
	o=/kcov/out/$1
	mkdir -p "$o"
	d=$(kcov_dir)
	if [ -n "${2:-}" ]; then
		for b in $(cat "$2"); do
			[ -f "$d/$b.gcda" ] && cat "$d/$b.gcda" >"$o/$b.gcda"
		done
		return 0
	fi
	for f in "$d"/*.gcda; do
		[ -f "$f" ] || continue
		cat "$f" >"$o/${f##*/}"
	done
}

kcov_count() {
	ls /kcov/out/"$1" 2>/dev/null | wc -l
}

# kcov_send NAME DIR...: the DIRs under /kcov/out as NAME (a .tar.gz)
# between MC-FILE/MC-END markers.
kcov_send() {
	n=$1
	shift
	(cd /kcov/out && tar -czf "/kcov/$n" "$@") || return 1
	echo "MC-FILE $n $(sha256sum "/kcov/$n" | cut -d' ' -f1)"
	base64 "/kcov/$n"
	echo "MC-END $n"
}
