# targets.sh - the foreign-architecture kernels of harness/produce/cross-kernel
# (sourced after lib.sh).  One place says what each SPEC means.
#
#   SPEC              kernel (Debian package, suite)                 pages
#   ppc64el-6.1       linux-image-powerpc64le (bookworm, 6.1)          64K
#   ppc64el-6.12      linux-image-powerpc64le-64k (trixie, 6.12)       64K
#   arm64-16k-6.12    linux-image-arm64-16k (trixie, 6.12)             16K
#   arm64-16k-7       linux-image-arm64-16k (sid, newest 7.x)          16K
#
# General forms: ppc64el-VERSION and arm64-16k-VERSION, VERSION being
# MAJOR[.MINOR] (5.10 bullseye, 6.1 bookworm, 6.12 trixie then bookworm,
# anything else sid; KERNEL_SUITE overrides).  ppc64el kernels up to 6.1
# use 64K pages in the plain powerpc64le flavour; from 6.12 on the plain
# flavour has 4K pages, so the -64k flavour is taken.  Debian has no 64K
# arm64 kernel (and loong64 does not boot in bookworm's qemu 7.2).
#
# The guest userland (busybox-static, kyua, libatf-c, their libraries) and
# the headers the suite is compiled against always come from CROSS_SUITE
# (default bookworm): the same glibc as this machine's cross compilers.
#
# cross_target SPEC sets (returns 1 with $X_ERROR on a bad SPEC):
#   X_SPEC X_ARCH (Debian arch) X_VER X_FLAVOUR X_SUITES X_PAGE (expected
#   page size) X_TRIPLET X_CC X_HOST_PKGS X_QEMU
# cross_qemu_args CONSOLE RESULTS: sets X_QARGS, qemu's machine, cpu and
#   port arguments (words split by the shell: no spaces in the paths), and
#   X_APPEND, the kernel command line (mc.port= tells harness/guest/init
#   where to send the results).

. "$MC_ROOT/harness/kernels/specs.sh"

CROSS_FORMS="ppc64el-VERSION or arm64-16k-VERSION, VERSION = MAJOR[.MINOR] (ppc64el-6.1 ppc64el-6.12 arm64-16k-6.12 arm64-16k-7)"

cross_target() {
	X_SPEC=$1
	X_ERROR=
	if ! kernel_spec "$1" || [ "$K_KIND" != cross ]; then
		X_ERROR=${K_ERROR:-"unknown cross kernel '$1': use $CROSS_FORMS"}
		return 1
	fi
	X_ARCH=$K_ARCH X_VER=$K_VER X_SUITES=$K_SUITES
	case "$X_ARCH" in
	ppc64el)
		case "$X_VER" in
		[0-5].* | [0-5] | 6.[0-9]) X_FLAVOUR=powerpc64le ;;
		*) X_FLAVOUR=powerpc64le-64k ;;
		esac
		X_PAGE=65536
		X_TRIPLET=powerpc64le-linux-gnu
		X_QEMU=qemu-system-ppc64
		X_HOST_PKGS="qemu-system-ppc gcc-powerpc64le-linux-gnu libc6-dev-ppc64el-cross"
		;;
	arm64)
		X_FLAVOUR=arm64-16k
		X_PAGE=16384
		X_TRIPLET=aarch64-linux-gnu
		X_QEMU=qemu-system-aarch64
		X_HOST_PKGS="qemu-system-arm gcc-aarch64-linux-gnu libc6-dev-arm64-cross"
		;;
	esac
	X_CC=$X_TRIPLET-gcc
	return 0
}

# X_QARGS / X_APPEND for a guest whose console goes to file CONSOLE and
# whose result port (guest-init's mc.port) goes to file RESULTS.
cross_qemu_args() {
	case "$X_ARCH" in
	ppc64el)
		# pseries with qemu's own firmware (x-vof: no SLOF, 1.4 s to
		# /init); the spectre caps off (TCG cannot emulate them); each
		# -serial is one spapr-vty: hvc0 (console) and hvc1 (results).
		X_QARGS="-M pseries,x-vof=on,cap-cfpc=broken,cap-sbbc=broken,cap-ibs=broken,cap-ccf-assist=off
			-cpu ${CROSS_CPU:-power9}
			-serial file:$1 -serial file:$2"
		X_APPEND="console=hvc0 loglevel=1 quiet panic=-1 mc.port=hvc1"
		;;
	arm64)
		# cortex-a57 cannot do 16K pages (silent hang): max, without
		# pointer authentication (slow under TCG).  virt has one UART:
		# the results go over a virtio serial port (virtio_console is
		# built in), /dev/vport0p1.  Not a virtconsole (hvc0): the hvc
		# layer writes 16 bytes per virtqueue kick, 35 s for 600 KB
		# under TCG, against 0.8 s through the port device.
		X_QARGS="-M virt -cpu ${CROSS_CPU:-max,pauth=off}
			-serial file:$1
			-chardev file,id=mcres,path=$2
			-device virtio-serial-pci,id=mcvs
			-device virtserialport,chardev=mcres,name=mc.results"
		X_APPEND="console=ttyAMA0 loglevel=1 quiet panic=-1 mc.port=vport0p1"
		;;
	esac
}
