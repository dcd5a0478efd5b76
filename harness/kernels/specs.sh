# specs.sh - the one table of kernel specs (sourced after lib.sh): which
# names KERNELS, KERNEL and every kernel entry point accept, which Debian
# suite and package each comes from, how qemu boots it, and the default
# matrix.
#
#   VERSION   Debian suites, in the order tried (x86_64 / other architectures)
#   5.10      bullseye
#   6.1       bookworm
#   6.12      bookworm then trixie (x86_64: bookworm's +deb12 backport first)
#             / trixie then bookworm
#   7, 7.N    sid: the newest 7.x, or that 7.N
#
#   SPEC               kernel package (flavour)           pages  qemu
#   VERSION[-rt|-cloud] linux-image-...-[rt-|cloud-]amd64   4K   qemu-system-x86_64
#   ppc64el-VERSION    linux-image-...-powerpc64le (to 6.1),  64K  qemu-system-ppc64
#                      -powerpc64le-64k (6.12 on: the plain flavour has 4K pages)
#   arm64-16k-VERSION  linux-image-...-arm64-16k            16K  qemu-system-aarch64
#   VERSION-max        VERSION on qemu's "max" CPU with la57 and pku
#                      left on (the default CPU turns them off): 5-level
#                      paging and protection keys; matrix column key
#                      qemu-VERSION-max, environment qemu-max (x86_64 only)
#   lava-SPEC          SPEC as a LAVA job (harness/produce/lava)
#
# Every SPEC boots through harness/produce/qemu-kernel; the kernel comes
# from harness/kernels/kernel-fetch.  Debian has no 64K arm64 kernel (and
# loong64 does not boot in bookworm's qemu 7.2).  The guest userland of
# another architecture (busybox-static, kyua, libatf-c) and the headers the
# suite is cross-compiled against come from CROSS_SUITE (default
# bookworm): the same glibc as this machine's cross compilers.
#
# kernel_spec SPEC: 0 when SPEC is in the table, else 1 with K_ERROR; sets
#   K_KIND (x86_64 | cross | lava), K_VER, K_FLAVOUR (rt, cloud or empty),
#   K_ARCH (amd64, ppc64el, arm64), K_SUITES (KERNEL_SUITE overrides),
#   K_CPU (max for VERSION-max, else empty) and K_KERNEL (the SPEC of the
#   kernel package itself: SPEC without -max).
# target SPEC: kernel_spec, then what booting it needs (returns 1 with
#   T_ERROR on a bad SPEC): T_ARCH (Debian arch), T_FLAVOUR (of the image
#   package), T_PAGE (the expected page size), T_TRIPLET, T_CC (the
#   compiler of the suite: cc on amd64), T_QEMU, T_HOST_PKGS (the qemu
#   package, the cross compiler and its libc headers)
# qemu_args CONSOLE RESULTS: after target, sets T_QARGS (qemu's machine,
#   accelerator, cpu and two ports: the console to file CONSOLE, the result
#   port of harness/guest/init to file RESULTS; words split by the shell:
#   no spaces in the paths) and T_APPEND (the kernel command line; mc.port=
#   names the result port in the guest).

# The newest kernel runs on qemu's max CPU: one column of the default matrix
# with 5-level paging (la57) and protection keys (pku), as issue 15 asks;
# `7` alone is the same kernel on the default CPU.
KERNELS_DEFAULT="5.10 6.1 6.12 7-max"
KERNEL_FORMS="VERSION with an optional -rt or -cloud flavour, VERSION-max (qemu's max CPU: la57, pku), ppc64el-VERSION or arm64-16k-VERSION, each optionally prefixed lava- (harness/produce/lava); VERSION is 5.10, 6.1, 6.12, 7 or 7.N (e.g. 5.10 6.1 6.12 7 6.1-rt 6.12-cloud 7-max ppc64el-6.12 arm64-16k-7 lava-6.1)"

kernel_spec() {
	K_ERROR= K_KIND=x86_64 K_FLAVOUR= K_ARCH=amd64 K_CPU=
	_ks=$1
	case "$_ks" in
	lava-*) K_KIND=lava _ks=${_ks#lava-} ;;
	esac
	case "$_ks" in
	*-max) K_CPU=max _ks=${_ks%-max} ;;
	esac
	K_KERNEL=$_ks
	case "$_ks" in
	ppc64el-*) K_ARCH=ppc64el K_VER=${_ks#ppc64el-} ;;
	arm64-16k-*) K_ARCH=arm64 K_VER=${_ks#arm64-16k-} ;;
	*-rt | *-cloud) K_VER=${_ks%-*} K_FLAVOUR=${_ks##*-} ;;
	*) K_VER=$_ks ;;
	esac
	[ "$K_KIND" = lava ] || [ "$K_ARCH" = amd64 ] || K_KIND=cross
	if [ -n "$K_CPU" ] && { [ "$K_KIND" != x86_64 ] || [ -n "$K_FLAVOUR" ]; }; then
		K_ERROR="unknown kernel '$1': -max is for a plain x86_64 VERSION under qemu (7-max)"
		return 1
	fi
	case "$K_VER" in
	5.10) K_SUITES=bullseye ;;
	6.1) K_SUITES=bookworm ;;
	6.12) if [ "$K_ARCH" = amd64 ]; then K_SUITES="bookworm trixie"; else K_SUITES="trixie bookworm"; fi ;;
	7 | 7.[0-9] | 7.[0-9][0-9]) K_SUITES=sid ;;
	*)
		K_ERROR="unknown kernel '$1': use $KERNEL_FORMS"
		return 1
		;;
	esac
	K_SUITES=${KERNEL_SUITE:-$K_SUITES}
	case "$K_SUITES" in
	"" | *[!a-z0-9\ -]*)
		K_ERROR="bad KERNEL_SUITE '$K_SUITES': Debian suite names (bookworm trixie sid)"
		return 1
		;;
	esac
	return 0
}

target() {
	T_ERROR=
	if ! kernel_spec "$1"; then
		T_ERROR=$K_ERROR
		return 1
	fi
	T_ARCH=$K_ARCH
	case "$T_ARCH" in
	amd64)
		T_FLAVOUR=${K_FLAVOUR:+$K_FLAVOUR-}amd64
		T_PAGE=4096
		T_TRIPLET=x86_64-linux-gnu
		T_QEMU=qemu-system-x86_64
		T_HOST_PKGS="qemu-system-x86"
		;;
	ppc64el)
		case "$K_VER" in
		[0-5].* | [0-5] | 6.[0-9]) T_FLAVOUR=powerpc64le ;;
		*) T_FLAVOUR=powerpc64le-64k ;;
		esac
		T_PAGE=65536
		T_TRIPLET=powerpc64le-linux-gnu
		T_QEMU=qemu-system-ppc64
		T_HOST_PKGS="qemu-system-ppc gcc-powerpc64le-linux-gnu libc6-dev-ppc64el-cross"
		;;
	arm64)
		T_FLAVOUR=arm64-16k
		T_PAGE=16384
		T_TRIPLET=aarch64-linux-gnu
		T_QEMU=qemu-system-aarch64
		T_HOST_PKGS="qemu-system-arm gcc-aarch64-linux-gnu libc6-dev-arm64-cross"
		;;
	esac
	T_CC=$T_TRIPLET-gcc
	[ "$T_ARCH" != amd64 ] || T_CC=cc
	return 0
}

# target_arch ARCH: target for some kernel of ARCH (amd64, ppc64el, arm64):
# what builds and boots for it, whatever the version.
target_arch() {
	case "$1" in
	amd64) target 6.1 ;;
	ppc64el) target ppc64el-6.1 ;;
	arm64) target arm64-16k-6.12 ;;
	*)
		T_ERROR="unknown architecture '$1': amd64, ppc64el or arm64"
		return 1
		;;
	esac
}

qemu_args() {
	case "$T_ARCH" in
	amd64)
		# q35 with TCG (ACCEL=kvm opts in: KVM hangs on some hosts); la57
		# and pku off: a high hint must not map above 47 bits by accident.
		_accel=${ACCEL:-tcg}
		_cpu=${QEMU_CPU:-max,la57=off,pku=off}
		[ "$K_CPU" = max ] && _cpu=${QEMU_CPU:-max}
		[ "$_accel" = kvm ] && _cpu=${QEMU_CPU:-host}
		T_QARGS="-accel $_accel -machine q35 -cpu $_cpu
			-serial file:$1 -serial file:$2"
		T_APPEND="console=ttyS0 panic=-1 quiet mc.port=ttyS1"
		# Its own environment, so its own column key and label.
		[ "$K_CPU" != max ] || T_APPEND="$T_APPEND mc.environment=qemu-max"
		;;
	ppc64el)
		# pseries with qemu's own firmware (x-vof: no SLOF, 1.4 s to
		# /init); the spectre caps off (TCG cannot emulate them); each
		# -serial is one spapr-vty: hvc0 (console) and hvc1 (results).
		T_QARGS="-M pseries,x-vof=on,cap-cfpc=broken,cap-sbbc=broken,cap-ibs=broken,cap-ccf-assist=off
			-cpu ${CROSS_CPU:-power9}
			-serial file:$1 -serial file:$2"
		T_APPEND="console=hvc0 loglevel=1 quiet panic=-1 mc.port=hvc1"
		;;
	arm64)
		# cortex-a57 cannot do 16K pages (silent hang): max, without
		# pointer authentication (slow under TCG).  virt has one UART:
		# the results go over a virtio serial port (virtio_console is
		# built in), /dev/vport0p1.  Not a virtconsole (hvc0): the hvc
		# layer writes 16 bytes per virtqueue kick, 35 s for 600 KB
		# under TCG, against 0.8 s through the port device.
		T_QARGS="-M virt -cpu ${CROSS_CPU:-max,pauth=off}
			-serial file:$1
			-chardev file,id=mcres,path=$2
			-device virtio-serial-pci,id=mcvs
			-device virtserialport,chardev=mcres,name=mc.results"
		T_APPEND="console=ttyAMA0 loglevel=1 quiet panic=-1 mc.port=vport0p1"
		;;
	esac
}
