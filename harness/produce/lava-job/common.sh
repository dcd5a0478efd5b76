# harness/produce/lava-job/common.sh: shell functions shared by harness/produce/lava,
# harness/produce/lava --lab and harness/selftest/lava-server-check (sourced after lib.sh and
# apt-isolated.sh).

LAVA_PY="$MC_ROOT/harness/produce/lava-job/mclava"
. "$MC_ROOT/harness/kernels/specs.sh"

# lava_check_specs SPEC...: every SPEC is in the table of harness/kernels/specs.sh
# (a leading "lava-" is allowed); dies otherwise.  Sets LAVA_SPECS, LAVA_NSPECS.
lava_check_specs() {
	LAVA_SPECS=
	LAVA_NSPECS=0
	for s in "$@"; do
		s=${s#lava-}
		kernel_spec "$s" && [ "$K_KIND" != lava ] || die "${K_ERROR:-unknown kernel 'lava-lava-$s'}"
		LAVA_SPECS="$LAVA_SPECS $s"
		LAVA_NSPECS=$((LAVA_NSPECS + 1))
	done
	[ "$LAVA_NSPECS" -gt 0 ] || die "no kernel given (KERNELS= is empty)"
}

# lava_ramdisk_tools: what building the ramdisk needs.
lava_ramdisk_tools() {
	set --
	command -v kyua >/dev/null || set -- "$@" kyua
	command -v cpio >/dev/null || set -- "$@" cpio
	if ! command -v busybox >/dev/null || ldd "$(command -v busybox)" >/dev/null 2>&1; then
		set -- "$@" busybox-static
	fi
	apt_install "$@"
}

# lava_templates: lava-server's device-type templates (for the device
# dictionary of the standalone dispatcher), from its .deb, once, into the
# cache.  Sets LAVA_TEMPLATES.
lava_templates() {
	_v=$(dpkg-query -W -f '${Version}' lava-dispatcher 2>/dev/null || echo unknown)
	LAVA_TEMPLATES="$MC_CACHE/lava/device-types-$_v"
	[ -s "$LAVA_TEMPLATES/qemu.jinja2" ] && return 0
	log "fetching lava-server $_v's device-type templates (apt-get download, not installed)"
	_t=$(mktemp -d "$MC_CACHE/.lava-dl.XXXXXX") || die "cannot create a folder in $MC_CACHE"
	chmod 0755 "$_t"
	if (cd "$_t" && { apt-get -q download "lava-server=$_v" >"$_t/log" 2>&1 ||
		apt-get -q download lava-server >"$_t/log" 2>&1; }) &&
		dpkg-deb --fsys-tarfile "$_t"/lava-server_*.deb | (cd "$_t" && tar -x --wildcards \
			'./usr/share/lava-server/device-types/*' 2>/dev/null) &&
		[ -s "$_t/usr/share/lava-server/device-types/qemu.jinja2" ]; then
		rm -rf "$LAVA_TEMPLATES"
		mkdir -p "$(dirname "$LAVA_TEMPLATES")"
		mv "$_t/usr/share/lava-server/device-types" "$LAVA_TEMPLATES"
		rm -rf "$_t"
	else
		_why=$(grep -E '^(E|W):' "$_t/log" 2>/dev/null | head -n 1)
		rm -rf "$_t"
		die "cannot get lava-server's device-type templates: ${_why:-no qemu.jinja2 in the package}"
	fi
}

# lava_ramdisk BUILD DIR: snapshot BUILD into DIR/build (the tree may be
# rebuilt meanwhile), make the suite's initramfs and turn it into the LAVA
# ramdisk DIR/ramdisk.cpio.gz.
lava_ramdisk() {
	"$MC_ROOT/harness/lib/stage" "$1" "$2/build" || die "cannot snapshot $1"
	_ts=$(now)
	"$MC_ROOT/harness/kernels/initramfs" "$2/initrd.cpio.gz" --build "$2/build" ||
		die "cannot build the initramfs"
	"$PYTHON" "$LAVA_PY" ramdisk "$2/initrd.cpio.gz" "$2/ramdisk.cpio.gz" \
		mc/lava-suite="$MC_ROOT/harness/guest/lava-suite" || die "cannot make the LAVA ramdisk"
	rm -f "$2/initrd.cpio.gz"
	log "ramdisk ready in $(elapsed "$_ts") s ($(($(wc -c <"$2/ramdisk.cpio.gz") / 1024)) KiB)"
}

# lava_kernel SPEC: fetch SPEC (harness/kernels/kernel-fetch, any
# architecture).  Sets LAVA_KIMG (on x86_64 the uncompressed PVH ELF beside
# the image when QEMU_PVH is not "no" and the kernel allows it, as
# harness/produce/qemu-kernel boots it; else the image), LAVA_PACKAGE,
# LAVA_MODULES (the kernel's ext4/virtio modules as a cpio; empty when
# none); returns 1 with the reason in LAVA_FETCH_ERROR.
lava_kernel() {
	LAVA_FETCH_ERROR=
	_e=$(mktemp "${TMPDIR:-/tmp}/mc-lava-fetch.XXXXXX")
	set +e
	_got=$("$MC_ROOT/harness/kernels/kernel-fetch" "$1" 2>"$_e")
	_rc=$?
	set -e
	if [ "$_rc" -ne 0 ] || [ -z "$_got" ]; then
		LAVA_FETCH_ERROR="download failed: $(grep 'error:' "$_e" | tail -n 1 | sed 's/^[^:]*: error: //')"
		rm -f "$_e"
		return 1
	fi
	rm -f "$_e"
	_img=$(printf '%s' "$_got" | cut -f1)
	_kd=$(dirname "$_img")
	LAVA_PACKAGE=$(printf '%s' "$_got" | cut -f2)
	LAVA_KIMG=$_img
	LAVA_MODULES=
	[ -s "$_kd/modules.cpio.gz" ] && LAVA_MODULES="$_kd/modules.cpio.gz"
	if [ "$LAVA_ARCH" = amd64 ] && [ "${QEMU_PVH:-yes}" != no ]; then
		if [ ! -s "$_kd/vmlinux" ] && [ ! -f "$_kd/no-pvh" ]; then
			"$MC_ROOT/harness/kernels/vmlinux-extract" "$_img" "$_kd/vmlinux.tmp.$$" 2>/dev/null &&
				mv "$_kd/vmlinux.tmp.$$" "$_kd/vmlinux" || rm -f "$_kd/vmlinux.tmp.$$"
		fi
		[ -s "$_kd/vmlinux" ] && LAVA_KIMG="$_kd/vmlinux"
	fi
	return 0
}

# lava_workdisk DIR: DIR/workdisk.img.gz, an empty ext4 image (LAVA_DISK,
# default 1G) for the test work directories of qemu jobs, as harness/produce/qemu-kernel
# gives its guests (gzip'ed: a few hundred KiB to download).  Returns 1 when
# mkfs.ext4 is missing.
lava_workdisk() {
	command -v mkfs.ext4 >/dev/null || return 1
	[ -s "$1/workdisk.img.gz" ] && return 0
	truncate -s "${LAVA_DISK:-1G}" "$1/workdisk.img" &&
		mkfs.ext4 -q -F -E lazy_itable_init=0,lazy_journal_init=0 "$1/workdisk.img" &&
		gzip -1 "$1/workdisk.img" || die "cannot make the work disk image"
}

# lava_prepare SPEC WORK DIR [qemu]: the kernel and the ramdisk of one job,
# as harness/produce/qemu-kernel prepares a boot: the kernel (lava_kernel);
# the suite's ramdisk: on x86_64 WORK/ramdisk.cpio.gz (lava_ramdisk, shared
# by the jobs), on another architecture the suite cross-built into
# $CROSS_BUILD (default build-ARCH/: harness/kernels/cross-build, after
# cross-packages) and its initramfs; plus this kernel's modules and the
# ext4 work disk when QEMU_WORKFS is ext4 (the default) and the 4th
# argument is qemu.  Sets LAVA_KIMG, LAVA_PACKAGE, LAVA_ARCH (amd64, arm64,
# ppc64el), LAVA_RD (the ramdisk for this job), LAVA_DISK_FILE (the gzip'ed
# work disk, or empty); returns 1 with the reason in LAVA_FETCH_ERROR.
lava_prepare() {
	_spec=$1 _work=$2 _d=$3 _boot=${4:-qemu}
	LAVA_DISK_FILE=
	LAVA_FETCH_ERROR=
	target "$_spec" || { LAVA_FETCH_ERROR=$T_ERROR; return 1; }
	LAVA_ARCH=$T_ARCH
	_last() { grep -a 'error:' "$1" 2>/dev/null | tail -n 1 | sed 's/^[^:]*: error: //'; }
	if [ "$LAVA_ARCH" = amd64 ]; then
		set -- "$_work/ramdisk.cpio.gz"
	else
		"$MC_ROOT/harness/kernels/cross-packages" "$LAVA_ARCH" 2>"$_d/step.err" ||
			{ LAVA_FETCH_ERROR="host packages: $(_last "$_d/step.err")"; return 1; }
	fi
	lava_kernel "$_spec" || return 1
	if [ "$LAVA_ARCH" != amd64 ]; then
		_xb=${CROSS_BUILD:-$MC_ROOT/build-$LAVA_ARCH}
		"$MC_ROOT/harness/kernels/cross-build" "$LAVA_ARCH" "$_xb" >/dev/null 2>"$_d/step.err" ||
			{ LAVA_FETCH_ERROR="cross build for $LAVA_ARCH: $(_last "$_d/step.err")"; return 1; }
		"$MC_ROOT/harness/kernels/initramfs" "$_d/initrd.cpio.gz" --arch "$LAVA_ARCH" \
			--build "$_xb" 2>"$_d/step.err" ||
			{ LAVA_FETCH_ERROR="initramfs for $LAVA_ARCH: $(_last "$_d/step.err")"; return 1; }
		set -- "$_d/initrd.cpio.gz"
	fi
	if [ "$_boot" = qemu ] && [ "${QEMU_WORKFS:-ext4}" = ext4 ] && [ -n "$LAVA_MODULES" ] &&
		lava_workdisk "$_work"; then
		set -- "$@" "$LAVA_MODULES"
		LAVA_DISK_FILE="$_work/workdisk.img.gz"
	fi
	LAVA_RD=$1
	[ $# -eq 1 ] && [ "$LAVA_ARCH" = amd64 ] && return 0
	# The guest side (init, lava-suite) is already in the shared x86_64
	# ramdisk; another architecture's initramfs gets it here.
	cat "$@" >"$_d/initrd.in.gz" || die "cannot write $_d/initrd.in.gz"
	LAVA_RD="$_d/ramdisk.cpio.gz"
	if [ "$LAVA_ARCH" = amd64 ]; then
		"$PYTHON" "$LAVA_PY" ramdisk "$_d/initrd.in.gz" "$LAVA_RD"
	else
		"$PYTHON" "$LAVA_PY" ramdisk "$_d/initrd.in.gz" "$LAVA_RD" \
			mc/lava-suite="$MC_ROOT/harness/guest/lava-suite"
	fi || die "cannot make the LAVA ramdisk of $_spec"
	rm -f "$_d/initrd.in.gz" "$_d/initrd.cpio.gz"
	return 0
}
