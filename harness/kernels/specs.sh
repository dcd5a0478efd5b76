# kernels.sh - the one table of kernel specs (sourced after lib.sh): which
# names KERNELS, KERNEL and every kernel entry point accept, which Debian
# suite each version comes from, and the default matrix.
#
#   VERSION   Debian suites, in the order tried (x86_64 / other architectures)
#   5.10      bullseye
#   6.1       bookworm
#   6.12      bookworm then trixie (x86_64: bookworm's +deb12 backport first)
#             / trixie then bookworm
#   7, 7.N    sid: the newest 7.x, or that 7.N
#
#   SPEC      VERSION[-rt|-cloud]       Debian x86_64 kernel (harness/produce/qemu-kernel)
#             ppc64el-VERSION           64K-page powerpc (harness/produce/cross-kernel)
#             arm64-16k-VERSION         16K-page arm64 (harness/produce/cross-kernel)
#             lava-SPEC                 SPEC as a LAVA job (harness/produce/lava-run)
#
# kernel_spec SPEC: 0 when SPEC is in the table, else 1 with K_ERROR; sets
#   K_KIND (x86_64 | cross | lava), K_VER, K_FLAVOUR (rt, cloud or empty),
#   K_ARCH (amd64, ppc64el, arm64) and K_SUITES (KERNEL_SUITE overrides).

KERNELS_DEFAULT="5.10 6.1 6.12 7"
KERNEL_FORMS="VERSION with an optional -rt or -cloud flavour, ppc64el-VERSION or arm64-16k-VERSION (harness/produce/cross-kernel), each optionally prefixed lava- (harness/produce/lava-run); VERSION is 5.10, 6.1, 6.12, 7 or 7.N (e.g. 5.10 6.1 6.12 7 6.1-rt 6.12-cloud ppc64el-6.12 arm64-16k-7 lava-6.1)"

kernel_spec() {
	K_ERROR= K_KIND=x86_64 K_FLAVOUR= K_ARCH=amd64
	_ks=$1
	case "$_ks" in
	lava-*) K_KIND=lava _ks=${_ks#lava-} ;;
	esac
	case "$_ks" in
	ppc64el-*) K_ARCH=ppc64el K_VER=${_ks#ppc64el-} ;;
	arm64-16k-*) K_ARCH=arm64 K_VER=${_ks#arm64-16k-} ;;
	*-rt | *-cloud) K_VER=${_ks%-*} K_FLAVOUR=${_ks##*-} ;;
	*) K_VER=$_ks ;;
	esac
	[ "$K_KIND" = lava ] || [ "$K_ARCH" = amd64 ] || K_KIND=cross
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
