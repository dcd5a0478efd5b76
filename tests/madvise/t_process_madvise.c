/*
 * t_process_madvise: process_madvise(2) (Linux 5.10+) applied to the
 * caller's own address space through a PID file descriptor of itself
 * (pidfd_open(2), 5.3+): what it returns for whole and partial advice, and
 * the errors for bad arguments.
 *
 * glibc has no wrapper: the system calls are made with syscall(2). A kernel
 * without them (ENOSYS) skips the cases. Before Linux 6.13 the kernel asks
 * for CAP_SYS_NICE even when the target is the caller itself: a caller
 * without it gets EPERM for any valid advice, and the cases that need the
 * advice applied are skipped with that reason (probed, with the capability
 * read from capget).
 */
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/uio.h>

#include <linux/capability.h>

#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "mc.h"
#include "mc_err.h"
#include "mc_proc.h"

/* ---- helpers ------------------------------------------------------------ */

/* A PID file descriptor of this process, or skip when pidfd_open is missing. */
static int
pidfd_self(void)
{
#ifdef SYS_pidfd_open
	long fd = syscall(SYS_pidfd_open, (long)getpid(), 0L);

	if (fd < 0 && (errno == ENOSYS || errno == EPERM))
		mc_skip_unsupported("pidfd_open", errno);
	ATF_REQUIRE_MSG(fd >= 0, "pidfd_open(getpid(), 0): %s",
	    strerror(errno));
	return (int)fd;
#else
	atf_tc_skip("the C library headers define no SYS_pidfd_open");
#endif
}

static long
pmadvise(int pidfd, const struct iovec *iov, size_t n, int advice,
    unsigned int flags)
{
#ifdef SYS_process_madvise
	return syscall(SYS_process_madvise, (long)pidfd, iov, n, (long)advice,
	    (unsigned long)flags);
#else
	(void)pidfd; (void)iov; (void)n; (void)advice; (void)flags;
	errno = ENOSYS;
	return -1;
#endif
}

/*
 * Probe: process_madvise(advice) of the caller's own pages iov[0..n).
 * Returns its result when it succeeded. ENOSYS skips (no such system call).
 * EPERM: when allow_eperm is true and the EPERM can only come from the
 * kernel's capability check (CAP_SYS_NICE not effective, no seccomp
 * filter), returns -1; otherwise it skips, with the reason (a seccomp
 * filter, no CAP_SYS_NICE, or a security policy). Any other failure fails
 * the case.
 */
static long
pmadvise_probe(int pidfd, const struct iovec *iov, size_t n, int advice,
    const char *name, bool allow_eperm)
{
	long r = pmadvise(pidfd, iov, n, advice, 0);
	int e = errno;

	if (r >= 0)
		return r;
	if (e == ENOSYS)
		mc_skip_unsupported("process_madvise", ENOSYS);
	if (e == EPERM && mc_seccomp_mode() == 2)
		atf_tc_skip("process_madvise(%s) of the caller's own pages: "
		    "EPERM under a seccomp filter (Seccomp: 2), which may "
		    "refuse the call before the kernel checks its arguments%s",
		    name,
		    mc_cap_is_effective(CAP_SYS_NICE) == 0 ? "; CAP_SYS_NICE "
		    "is not effective either" : "");
	if (e == EPERM && mc_cap_is_effective(CAP_SYS_NICE) == 0) {
		if (allow_eperm)
			return -1;
		atf_tc_skip("process_madvise(%s) of the caller's own pages: "
		    "EPERM without CAP_SYS_NICE (some kernels require it even "
		    "when the target is the caller itself)", name);
	}
	if (e == EPERM)
		mc_skip_unsupported("process_madvise", EPERM);
	ATF_REQUIRE_MSG(false, "process_madvise(own pidfd, %zu elements, %s, "
	    "0): expected success, got errno %d (%s: %s)", n, name, e,
	    mc_errname(e), strerror(e));
	return -1;
}

/* ---- cases -------------------------------------------------------------- */

MC_TC(own_pidfd_returns_bytes_advised, "PMADV-1",
    "process_madvise with MADV_COLD or MADV_PAGEOUT on the caller's own "
    "pidfd returns the total length of the iovec elements; the pages keep "
    "their contents")
{
	size_t ps = mc_pagesize();
	unsigned char *a = mc_map_anon(2 * ps, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE);
	unsigned char *b = mc_map_anon(3 * ps, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE);
	struct iovec iov[2] = { { a, 2 * ps }, { b, 3 * ps } };
	int pidfd = pidfd_self();
	long r;

	mc_fill_patterns(a, 2, 0);
	mc_fill_patterns(b, 3, 2);
	r = pmadvise_probe(pidfd, iov, 2, MADV_COLD, "MADV_COLD", false);
	ATF_REQUIRE_EQ_MSG(r, (long)(5 * ps), "process_madvise(MADV_COLD, "
	    "2 elements of 2 and 3 pages): expected %zu bytes advised, got "
	    "%ld", 5 * ps, r);
	mc_require_patterns(a, 2, 0, "first element after MADV_COLD");
	mc_require_patterns(b, 3, 2, "second element after MADV_COLD");
	r = pmadvise(pidfd, iov, 2, MADV_PAGEOUT, 0);
	ATF_REQUIRE_EQ_MSG(r, (long)(5 * ps), "process_madvise(MADV_PAGEOUT, "
	    "2 elements of 2 and 3 pages): expected %zu bytes advised, got "
	    "%ld (errno %d: %s)", 5 * ps, r, r < 0 ? errno : 0,
	    r < 0 ? strerror(errno) : "-");
	mc_require_patterns(a, 2, 0, "first element after MADV_PAGEOUT");
	mc_require_patterns(b, 3, 2, "second element after MADV_PAGEOUT");
	close(pidfd);
	ATF_REQUIRE(munmap(a, 2 * ps) == 0);
	ATF_REQUIRE(munmap(b, 3 * ps) == 0);
}

MC_TC(bad_advice_or_flags_einval, "PMADV-2",
    "process_madvise with an advice value that is not an advice, or with "
    "non-zero flags, fails with EINVAL and changes nothing")
{
	size_t ps = mc_pagesize();
	unsigned char *a = mc_map_anon(2 * ps, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE);
	struct iovec iov[1] = { { a, 2 * ps } };
	int pidfd = pidfd_self();

	mc_fill_patterns(a, 2, 0);
	/*
	 * The system call must exist; an EPERM from the capability check is
	 * fine: every kernel checks the advice and the flags before it.
	 */
	(void)pmadvise_probe(pidfd, iov, 1, MADV_COLD, "MADV_COLD", true);
	MC_REQUIRE_ERR(pmadvise(pidfd, iov, 1, 12345, 0), EINVAL,
	    "process_madvise(own pidfd, advice 12345)");
	MC_REQUIRE_ERR(pmadvise(pidfd, iov, 1, -1, 0), EINVAL,
	    "process_madvise(own pidfd, advice -1)");
	MC_REQUIRE_ERR(pmadvise(pidfd, iov, 1, MADV_COLD, 1), EINVAL,
	    "process_madvise(own pidfd, MADV_COLD, flags 1)");
	mc_require_patterns(a, 2, 0, "the range after the failed calls");
	close(pidfd);
	ATF_REQUIRE(munmap(a, 2 * ps) == 0);
}

MC_TC(unmapped_element_partial_byte_count, "PMADV-3",
    "When an iovec element covers unmapped memory, process_madvise stops "
    "there and returns the bytes of the elements advised before it")
{
	size_t ps = mc_pagesize();
	/* [a: 2 pages][hole: 1 page, unmapped][c: 1 page] */
	unsigned char *a = mc_map_anon(4 * ps, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE);
	unsigned char *hole = a + 2 * ps, *c = a + 3 * ps;
	struct iovec iov[3] = { { a, 2 * ps }, { hole, ps }, { c, ps } };
	int pidfd = pidfd_self();
	uintptr_t s, e;
	long r;

	mc_fill_patterns(a, 2, 0);
	mc_fill_patterns(c, 1, 4);
	ATF_REQUIRE_MSG(munmap(hole, ps) == 0, "munmap(hole): %s",
	    strerror(errno));
	(void)pmadvise_probe(pidfd, iov, 1, MADV_COLD, "MADV_COLD", false);
	ATF_REQUIRE_MSG(!mc_maps_range(hole, &s, &e), "the hole at %p is "
	    "mapped: [%#jx, %#jx)", (void *)hole, (uintmax_t)s,
	    (uintmax_t)e);
	r = pmadvise(pidfd, iov, 3, MADV_COLD, 0);
	ATF_REQUIRE_EQ_MSG(r, (long)(2 * ps), "process_madvise(MADV_COLD, "
	    "[2 mapped pages, 1 unmapped page, 1 mapped page]): expected %zu "
	    "(the first element's bytes), got %ld (errno %d: %s)", 2 * ps, r,
	    r < 0 ? errno : 0, r < 0 ? strerror(errno) : "-");
	mc_require_patterns(a, 2, 0, "first element after the partial advice");
	mc_require_patterns(c, 1, 4, "last element after the partial advice");
	close(pidfd);
	ATF_REQUIRE(munmap(a, 2 * ps) == 0);
	ATF_REQUIRE(munmap(c, ps) == 0);
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, own_pidfd_returns_bytes_advised);
	ATF_TP_ADD_TC(tp, bad_advice_or_flags_einval);
	ATF_TP_ADD_TC(tp, unmapped_element_partial_byte_count);
	return atf_no_error();
}
