# guest/lib.sh - what every guest-side script shares (POSIX sh; busybox sh
# in a qemu or LAVA guest, the environment's own sh in a container).
# harness/lib/stage copies it into every staged suite as harness/guest.sh;
# sourced by harness/guest/init (/init), lava-suite and inside.
#
#   guest_boot          PID 1's mounts: proc, sys, dev, /dev/shm, /dev/pts,
#                       /run; busybox's applets; the hostname; lo up
#   guest_thp           eight pages in the hugetlb pool, and the THP modes the
#                       suite's THP cases need, set in the
#                       guest only (Debian kernels boot with shmem THP and
#                       every mTHP size "never"): shmem_enabled "advise" and
#                       the 64 kB mTHP size "madvise", both reached only by
#                       ranges a case marks MADV_HUGEPAGE
#   guest_params        MC_PORT, MC_DISK, MC_LABEL, MC_ENVIRONMENT from the
#                       kernel command line: mc.port=DEV (the result port;
#                       default ttyS1), mc.disk=DEV (an ext4 disk for the test
#                       work directories), mc.label=L (default
#                       <environment>-<uname -r>), mc.environment=E
#                       (default qemu; qemu-max on qemu's max CPU)
#   guest_workdisk      /tmp on the ext4 disk MC_DISK (its modules from
#                       /lib/modules/mc: harness/kernels/kernel-fetch), else
#                       tmpfs; GUEST_WORKFS says which
#   guest_swap          a swap file of MC_SWAP MiB (mc.swap=N, default 64;
#                       0: none) on the ext4 work disk, for the swap cases
#                       (tests/swap): swap cannot live on tmpfs, so a guest
#                       without the disk has none; envprobe's swap_total
#                       says what the run had
#   run_suite SUITE OUT PAR LABEL ENVIRONMENT [RUNNER...]
#                       the whole suite with kyua from SUITE, exactly as
#                       harness/produce/run-suite runs it on the host
#                       (trimmed environment, PAR cases at once, work
#                       directories in TMPDIR), then envprobe (after RUNNER,
#                       e.g. "setarch i686"); leaves in OUT: results.db,
#                       kyua-test.txt, env.json, rc (kyua's exit status),
#                       wall (kyua's seconds), kyua.log (kept on error),
#                       error (what went wrong, if anything); with
#                       MC_DISPOSABLE=yes (a qemu guest: guest/init) the
#                       cases that damage the machine run too (kyua's
#                       allow_destructive: tests/hwpoison)
#   send_file NAME PATH between "MC-FILE NAME <sha256>" and "MC-END NAME",
#                       PATH in base64 (gzip'ed first when NAME ends in .gz)

guest_boot() {
	/bin/busybox mount -t proc proc /proc
	/bin/busybox mount -t sysfs sysfs /sys
	/bin/busybox mount -t devtmpfs devtmpfs /dev 2>/dev/null
	/bin/busybox --install -s
	mkdir -p /dev/shm /dev/pts /tmp /run
	mount -t tmpfs -o mode=1777 tmpfs /dev/shm
	mount -t devpts devpts /dev/pts 2>/dev/null
	mount -t tmpfs -o mode=0755 tmpfs /run
	hostname mmapconf-guest
	ip link set lo up 2>/dev/null
}

guest_thp() {
	# Eight huge pages in the hugetlb pool (16 MiB on x86_64, 256 MiB on
	# arm64-16k), for the cases that need some (t_hugetlb, t_uffd), two
	# of which may run at once: with two pages one of them found none free.
	[ -w /proc/sys/vm/nr_hugepages ] && echo 8 >/proc/sys/vm/nr_hugepages 2>/dev/null
	_t=/sys/kernel/mm/transparent_hugepage
	[ -w $_t/shmem_enabled ] && echo advise >$_t/shmem_enabled 2>/dev/null
	[ -w $_t/hugepages-64kB/enabled ] &&
		echo madvise >$_t/hugepages-64kB/enabled 2>/dev/null
	return 0
}

guest_params() {
	MC_PORT=/dev/ttyS1 MC_DISK= MC_LABEL= MC_ENVIRONMENT=qemu MC_SWAP=64
	for _a in $(cat /proc/cmdline); do
		case "$_a" in
		mc.port=*) MC_PORT=/dev/${_a#mc.port=} ;;
		mc.disk=*) MC_DISK=/dev/${_a#mc.disk=} ;;
		mc.label=*) MC_LABEL=${_a#mc.label=} ;;
		mc.environment=*) MC_ENVIRONMENT=${_a#mc.environment=} ;;
		mc.swap=*) MC_SWAP=${_a#mc.swap=} ;;
		esac
	done
	MC_LABEL=${MC_LABEL:-$MC_ENVIRONMENT-$(uname -r)}
	case "$MC_SWAP" in "" | *[!0-9]*) MC_SWAP=0 ;; esac
}

guest_workdisk() {
	GUEST_WORKFS=tmpfs
	if [ -n "$MC_DISK" ]; then
		if [ -f /lib/modules/mc/order ]; then
			while read -r _m; do
				insmod "/lib/modules/mc/$_m.ko" 2>/dev/null
			done </lib/modules/mc/order
		fi
		_i=0
		while [ ! -b "$MC_DISK" ] && [ $_i -lt 50 ]; do
			sleep 0.1
			_i=$((_i + 1))
		done
		if [ -b "$MC_DISK" ] && mount -t ext4 "$MC_DISK" /tmp 2>/run/workdisk.err; then
			chmod 1777 /tmp
			GUEST_WORKFS=ext4
		else
			GUEST_WORKFS="tmpfs (no ext4 on $MC_DISK: $(cat /run/workdisk.err 2>/dev/null))"
		fi
	fi
	[ "$GUEST_WORKFS" = ext4 ] || mount -t tmpfs -o mode=1777 tmpfs /tmp
}

guest_swap() {
	[ "$MC_SWAP" -gt 0 ] && [ "$GUEST_WORKFS" = ext4 ] || return 0
	_sw=/tmp/.mc-swapfile
	if dd if=/dev/zero of=$_sw bs=1048576 count="$MC_SWAP" 2>/dev/null &&
		chmod 600 $_sw && mkswap $_sw >/dev/null 2>&1 && swapon $_sw 2>/dev/null; then
		return 0
	fi
	echo "guest: no swap file ($MC_SWAP MiB on /tmp)" >&2
	rm -f $_sw
	return 0
}

guest_now() {
	if [ -r /proc/uptime ]; then cut -d' ' -f1 /proc/uptime; else date +%s.%N; fi
}

run_suite() {
	_suite=$1 _out=$2 _par=$3 _label=$4 _env=$5
	shift 5
	cd "$_suite" || { echo "no suite at $_suite" >"$_out/error"; echo 3 >"$_out/rc"; return 0; }
	_home=$_out/home
	mkdir -p "$_home" 2>/dev/null && [ -w "$_home" ] || _home=${TMPDIR:-/tmp}
	_t0=$(guest_now)
	env -i PATH=/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin \
		HOME="$_home" TMPDIR="${TMPDIR:-/tmp}" LANG=C.UTF-8 \
		kyua --logfile="$_out/kyua.log" -v parallelism="$_par" \
		${MC_DISPOSABLE:+-v test_suites.mmapconf.allow_destructive=yes} \
		test --kyuafile=Kyuafile \
		--results-file="$_out/results.db" >"$_out/kyua-test.txt" 2>&1
	_rc=$?
	_t1=$(guest_now)
	awk -v a="$_t0" -v b="$_t1" 'BEGIN { printf "%.1f\n", b - a }' >"$_out/wall"
	# $container (set by nspawn, podman; by env-run for gVisor) is the
	# runtime's own hint for envprobe.
	env -i PATH=/usr/bin:/bin HOME="$_home" ${container:+container="$container"} \
		"$@" harness/envprobe --label "$_label" --environment "$_env" \
		>"$_out/env.json" 2>"$_out/envprobe.err" ||
		echo "envprobe failed: $(head -n 1 "$_out/envprobe.err")" >>"$_out/error"
	[ -s "$_out/envprobe.err" ] || rm -f "$_out/envprobe.err"
	[ "$_rc" -ne 0 ] && [ "$_rc" -ne 1 ] || rm -f "$_out/kyua.log"
	[ "$_home" != "$_out/home" ] || rm -rf "$_out/home"
	echo "$_rc" >"$_out/rc"
}

send_file() {
	[ -f "$2" ] || return 0
	case "$1" in
	*.gz) gzip -c "$2" >/tmp/mc-send.gz && _f=/tmp/mc-send.gz ;;
	*) _f=$2 ;;
	esac
	echo "MC-FILE $1 $(sha256sum "$_f" | cut -d' ' -f1)"
	base64 "$_f"
	echo "MC-END $1"
	rm -f /tmp/mc-send.gz
}
