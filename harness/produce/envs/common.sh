# envs/common.sh - shared helpers of harness/produce/env-run (POSIX sh, sourced after
# lib.sh and harness/lib/apt.sh).  The per-environment files
# harness/produce/envs/<name>.sh build on these; see harness/produce/env-run for the contract.

# Every environment env-run knows, in matrix order.
ENV_NAMES="unprivileged userns bwrap nspawn podman gvisor i386 qemu-user-x86_64 qemu-user-i386"

ENV_DIR="$MC_ROOT/harness/produce/envs"
# Limits (seconds): the whole suite inside an environment, package installs,
# the debootstrap of the cached root file system.
ENV_TIMEOUT=${ENV_TIMEOUT:-900}
ENV_INSTALL_TIMEOUT=${ENV_INSTALL_TIMEOUT:-900}
ENV_ROOTFS_TIMEOUT=${ENV_ROOTFS_TIMEOUT:-900}

is_root() { [ "$(id -u)" -eq 0 ]; }

# one_line TEXT: the last non-empty line of TEXT, trimmed to 200 characters
# (did-not-run reasons are one line).
one_line() {
	printf '%s\n' "$1" | tr -d '\r' | grep -v '^[[:space:]]*$' | tail -n 1 | cut -c1-200
}

# with_lock NAME: take an exclusive lock on $MC_CACHE/NAME.lock on fd 9 (at
# most 30 min); unlock releases it.  Two environments run at the same time
# (make matrix JOBS=2) share the caches below.  apt_lock/apt_unlock: the
# same on fd 8 around apt-get (apt's own locks fail at once, not wait).
with_lock() {
	mkdir -p "$MC_CACHE"
	exec 9>"$MC_CACHE/$1.lock"
	flock -w 1800 9 || did_not_run "could not lock $MC_CACHE/$1.lock within 30 min"
}
unlock() { exec 9>&-; }
apt_lock() {
	mkdir -p "$MC_CACHE"
	exec 8>"$MC_CACHE/apt-get.lock"
	flock -w 1800 8 || did_not_run "could not lock $MC_CACHE/apt-get.lock within 30 min"
}
apt_unlock() { exec 8>&-; }

# need_pkgs PKG...: make sure the Debian packages are installed; root
# installs the missing ones, anyone else gets "did not run".
need_pkgs() {
	_missing=
	for _p in "$@"; do
		_st=$(dpkg-query -W -f='${db:Status-Status}' "$_p" 2>/dev/null || true)
		[ "$_st" = installed ] || _missing="$_missing $_p"
	done
	[ -n "$_missing" ] || return 0
	is_root || did_not_run "needs root to install:$_missing"
	apt_lock
	log "$ENV_NAME: installing:$_missing"
	_alog="$work/apt.log"
	_aopts="-y -q --no-install-recommends -o DPkg::Lock::Timeout=600"
	if ! DEBIAN_FRONTEND=noninteractive timeout -k 10 "$ENV_INSTALL_TIMEOUT" \
		apt-get install $_aopts $_missing >"$_alog" 2>&1; then
		# A fresh machine may have no (or stale) package lists.
		DEBIAN_FRONTEND=noninteractive timeout -k 10 "$ENV_INSTALL_TIMEOUT" \
			apt-get update -q -o DPkg::Lock::Timeout=600 >>"$_alog" 2>&1 || true
		DEBIAN_FRONTEND=noninteractive timeout -k 10 "$ENV_INSTALL_TIMEOUT" \
			apt-get install $_aopts $_missing >>"$_alog" 2>&1 ||
			did_not_run "apt-get install$_missing failed: $(one_line "$(grep -E '^E: ' "$_alog")")"
	fi
	apt_unlock
}

# stage_suite BUILD DEST: a self-contained copy of the suite in DEST
# (harness/lib/stage: Kyuafile, tests/, harness/envprobe and guest.sh) and
# inside.sh, that an environment sees read-only.
stage_suite() {
	"$MC_ROOT/harness/lib/stage" "$1" "$2" || die "cannot stage the suite of $1"
	cp "$MC_ROOT/harness/guest/inside" "$2/inside.sh"
	chmod -R a+rX "$2"
}

# bounded LIMIT CMD...: run CMD in the background under `timeout` (TERM,
# then KILL 10 s later) and wait for it; the caller's traps can still act
# (the pid is in $bg_pid).  Returns CMD's status; 124/137 mean killed.
bounded() {
	_limit=$1
	shift
	timeout -k 10 "$_limit" "$@" </dev/null >>"$work/runtime.log" 2>&1 &
	bg_pid=$!
	_rc=0
	wait "$bg_pid" || _rc=$?
	bg_pid=
	return "$_rc"
}

# runtime_failure RC WHAT: did-not-run reason for a runtime that did not
# bring results back.
runtime_failure() {
	if [ "$1" -eq 124 ] || [ "$1" -eq 137 ]; then
		did_not_run "$2 killed after the ${ENV_TIMEOUT} s limit (ENV_TIMEOUT)"
	fi
	_last=$(one_line "$(cat "$work/runtime.log" 2>/dev/null)")
	did_not_run "$2 exited $1${_last:+: $_last}"
}

# --- the cached Debian root file system (nspawn, podman) ------------------
# debootstrap --variant=minbase of the machine's own Debian release with
# kyua, built once into $MC_CACHE/rootfs/<suite>-kyua and shared read-only
# (containers write into an overlay or tmpfs on top of it).  The mirror is
# the machine's own (apt sources), read at run time.
ROOTFS_INCLUDE="kyua,atf-sh,libatf-c-1"
rootfs_get() {
	_suite=$(. /etc/os-release 2>/dev/null && echo "${VERSION_CODENAME:-}")
	[ -n "$_suite" ] || _suite=bookworm
	ROOTFS="$MC_CACHE/rootfs/$_suite-kyua"
	[ -x "$ROOTFS/usr/bin/kyua" ] && [ -f "$ROOTFS/.mmapconf-complete" ] && return 0
	is_root || did_not_run "needs root to debootstrap the root file system"
	with_lock rootfs
	if [ -x "$ROOTFS/usr/bin/kyua" ] && [ -f "$ROOTFS/.mmapconf-complete" ]; then
		unlock
		return 0
	fi
	apt_mirrors || did_not_run "no Debian mirror in this machine's apt sources (for debootstrap)"
	mkdir -p "$MC_CACHE/rootfs"
	rm -rf "$ROOTFS.new"
	log "$ENV_NAME: debootstrap $_suite (minbase + $ROOTFS_INCLUDE) into $ROOTFS (once)"
	_t=$(now)
	_kr=
	[ -n "${APT_KEYRING:-}" ] && _kr="--keyring=$APT_KEYRING"
	if ! timeout -k 10 "$ENV_ROOTFS_TIMEOUT" debootstrap --variant=minbase \
		--include="$ROOTFS_INCLUDE" $_kr "$_suite" "$ROOTFS.new" "$APT_MAIN_URI" \
		>"$MC_CACHE/rootfs/debootstrap.log" 2>&1; then
		_why=$(one_line "$(grep -E '^[EW]: ' "$MC_CACHE/rootfs/debootstrap.log")")
		rm -rf "$ROOTFS.new"
		unlock
		did_not_run "debootstrap failed: ${_why:-see $MC_CACHE/rootfs/debootstrap.log}"
	fi
	# Mount points the containers bind the suite and the results onto.
	mkdir -p "$ROOTFS.new/mc" "$ROOTFS.new/out"
	rm -rf "$ROOTFS.new/var/cache/apt/archives/"*.deb "$ROOTFS.new/var/lib/apt/lists/"*_Packages*
	touch "$ROOTFS.new/.mmapconf-complete"
	rm -rf "$ROOTFS"
	mv "$ROOTFS.new" "$ROOTFS"
	unlock
	log "$ENV_NAME: root file system ready in $(elapsed "$_t") s"
}

# --- the suite built for i386 (i386, qemu-user-i386) ------------------------
# gcc-i686-linux-gnu + libc6-dev-i386-cross (gcc-multilib conflicts with the
# other cross compilers), Debian's i386 libatf-dev/libatf-c-1 unpacked into
# $MC_CACHE/i386/atf (an apt state of its own, harness/lib/apt.sh), the
# suite built with `make` into $MC_CACHE/i386/build (incremental).  The
# programs find their loader and libraries through absolute paths: no i386
# packages are installed on the machine.
I386_TRIPLET=i686-linux-gnu
I386_SYSROOT=/usr/$I386_TRIPLET
I386_LOADER=$I386_SYSROOT/lib/ld-linux.so.2
i386_build() {
	need_pkgs gcc-$I386_TRIPLET libc6-dev-i386-cross make
	I386_ATF="$MC_CACHE/i386/atf"
	with_lock i386
	if [ ! -f "$I386_ATF/usr/lib/i386-linux-gnu/libatf-c.so.1" ] ||
		[ ! -f "$I386_ATF/usr/include/atf-c.h" ]; then
		is_root || { unlock; did_not_run "needs root to fetch the i386 libatf packages"; }
		_rel=$(. /etc/os-release 2>/dev/null && echo "${VERSION_CODENAME:-}")
		_rel=${_rel:-bookworm}
		if ! APT_ARCH=i386 apt_state "$_rel"; then
			unlock
			did_not_run "no i386 package lists: $APT_ERROR"
		fi
		_dl="$MC_CACHE/i386/debs"
		rm -rf "$_dl" "$I386_ATF.new"
		mkdir -p "$_dl" "$I386_ATF.new"
		if ! APT_ARCH=i386 apt_download "$_rel" "$_dl" \
			libatf-dev libatf-c-1 >"$MC_CACHE/i386/download.log" 2>&1; then
			unlock
			did_not_run "cannot download the i386 libatf-dev/libatf-c-1: $(one_line "$(cat "$MC_CACHE/i386/download.log")")"
		fi
		for _deb in "$_dl"/*.deb; do
			dpkg-deb -x "$_deb" "$I386_ATF.new" || { unlock; did_not_run "cannot unpack $_deb"; }
		done
		rm -rf "$I386_ATF" "$_dl"
		mv "$I386_ATF.new" "$I386_ATF"
	fi
	_lib="$I386_ATF/usr/lib/i386-linux-gnu"
	# The ELF interpreter and the run path point into the cross sysroot and
	# the unpacked libatf: the programs run natively with no i386 package
	# installed (and the same files serve qemu-i386).  64-bit off_t: mmap
	# goes through mmap2 with page offsets beyond 4 GiB.
	_cflags="-D_FILE_OFFSET_BITS=64 -Wl,--dynamic-linker=$I386_LOADER -Wl,-rpath,$_lib:$I386_SYSROOT/lib"
	# make does not track flags: one build folder per set of flags.
	I386_BUILD="$MC_CACHE/i386/build-$(printf '%s' "$I386_TRIPLET $_cflags" | sha256sum | cut -c1-12)"
	log "$ENV_NAME: building the suite for i386 into $I386_BUILD"
	if ! (cd "$MC_ROOT" && timeout -k 10 1800 make -k -j"$(nproc)" BUILD="$I386_BUILD" \
		CC="$I386_TRIPLET-gcc" ATF_CFLAGS="-I$I386_ATF/usr/include" \
		ATF_LIBS="-L$_lib -latf-c" EXTRA_CFLAGS="$_cflags" \
		all) >"$work/build-i386.log" 2>&1; then
		log "$ENV_NAME: warning: some programs did not build for i386; the others run:"
		grep -E 'error:' "$work/build-i386.log" | head -n 5 >&2 || true
	fi
	unlock
	[ -x "$I386_BUILD/harness/envprobe" ] ||
		did_not_run "the i386 build failed: $(one_line "$(grep -E 'error' "$work/build-i386.log")")"
}

# --- qemu-user: a build root whose programs run under the emulator -----------
# qemu_wrap QEMU SUITE: replace every program of the staged SUITE (tests
# and envprobe) by a two-line script that execs QEMU on the real program
# (moved to SUITE/real/...).  kyua runs natively and starts each test
# program through its wrapper; the program (and anything it forks) is
# emulated.
qemu_wrap() {
	_q=$(command -v "$1") || did_not_run "$1 is missing"
	_s=$2
	(cd "$_s" && find tests harness -type f -perm -u+x) | while read -r _f; do
		mkdir -p "$_s/real/$(dirname "$_f")"
		mv "$_s/$_f" "$_s/real/$_f"
		printf '#!/bin/sh\nexec %s %s "$@"\n' "$_q" "$_s/real/$_f" >"$_s/$_f"
		chmod 0755 "$_s/$_f"
	done
}

# qemu_user_exec QEMU: env_exec of the qemu-user environments: the suite
# with every program started through QEMU (qemu_wrap), kyua native.
qemu_user_exec() {
	runtime_version=$("$1" --version 2>/dev/null | head -n 1 | sed "s/^$1 version //")
	qemu_wrap "$1" "$suite"
	bounded "$ENV_TIMEOUT" sh "$suite/inside.sh" "$suite" "$out" "$label" \
		"$ENV_NAME" "$PARALLELISM"
}

# --- process leftovers ---------------------------------------------------------
# procs_tagged TAG...: "pid comm" of every process whose command line or
# executable names one of the TAGs (this run's work folder, its container
# name): what a run could leave behind, and only this run's (other runs may
# go on at the same time).  Container processes die with their PID
# namespace once the runtime process (tagged) is gone.
procs_tagged() {
	for _p in /proc/[0-9]*; do
		[ "${_p#/proc/}" != "$$" ] || continue
		_cl=$(tr '\0' ' ' 2>/dev/null <"$_p/cmdline") || continue
		_ex=$(readlink "$_p/exe" 2>/dev/null) || _ex=
		for _t in "$@"; do
			case "$_cl $_ex" in
			*"$_t"*)
				echo "${_p#/proc/} $(cat "$_p/comm" 2>/dev/null)"
				break ;;
			esac
		done
	done
}
