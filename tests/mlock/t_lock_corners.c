/*
 * t_lock_corners: corners of memory locking that t_mlock does not cover:
 * locking inaccessible (PROT_NONE) memory with mlock, mlock2(MLOCK_ONFAULT)
 * and MAP_LOCKED,
 * munlock of memory never locked, mlock2 with flags 0 and the VmFlags of
 * MLOCK_ONFAULT, mlockall(MCL_CURRENT | MCL_ONFAULT), the errors of
 * MAP_LOCKED with RLIMIT_MEMLOCK 0 and of mappings made under
 * mlockall(MCL_FUTURE) beyond RLIMIT_MEMLOCK, and what execve does to
 * locks and to MCL_FUTURE.
 *
 * Locked sizes stay at a few pages (unprivileged processes live with a
 * small RLIMIT_MEMLOCK). Whatever lowers a limit, drops CAP_IPC_LOCK or
 * calls mlockall runs in a child; the test process asserts on what the
 * child reports. The execve cases re-execute this program through
 * /proc/self/exe: a constructor (exec_probe) recognises the environment
 * variable EXEC_PROBE_ENV, reports what the new image sees through the
 * inherited pipe and exits before main.
 */
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>

#include <linux/capability.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mc.h"
#include "mc_err.h"
#include "mc_proc.h"

#ifndef MLOCK_ONFAULT
#define MLOCK_ONFAULT 0x01 /* include/uapi/asm-generic/mman-common.h */
#endif
#ifndef MCL_ONFAULT
#define MCL_ONFAULT 4 /* include/uapi/asm-generic/mman.h (x86, arm64) */
#endif

#define RW (PROT_READ | PROT_WRITE)

/* ---- helpers usable in children (no ATF, no malloc) -------------------- */

/*
 * smaps shows VM_LOCKONFAULT as 'lf' only on newer kernels (6.1 and 5.10
 * print 'lo' alone): the lock-on-fault behaviour itself is proved by
 * residency (mincore) and smaps Locked; the letter is reported, not
 * required.
 */
static void
note_lf(bool shown, const char *what)
{
	printf("%s: smaps VmFlags %s 'lf' (lock on fault)\n", what,
	    shown ? "show" : "do not show (older kernels print no letter "
	    "for it)");
}

/* Bits of the VmFlags of the mapping at addr: 1 'lo', 2 'lf', 4 unreadable. */
#define VF_LO 1
#define VF_LF 2
#define VF_NONE 4
static uint64_t
vmflag_bits(const void *addr)
{
	char fl[512];
	uint64_t b = 0;

	if (!mc_smaps_vmflags_try(addr, fl, sizeof(fl)))
		return VF_NONE;
	if (mc_has_vmflag(fl, "lo"))
		b |= VF_LO;
	if (mc_has_vmflag(fl, "lf"))
		b |= VF_LF;
	return b;
}

/* A child's report: up to 10 numbers, sent in one message. */
struct rep {
	uint64_t v[10];
};

/* ---- helpers for the test process -------------------------------------- */

static bool
has_flag(const void *addr, const char *flag)
{
	char fl[512];

	mc_smaps_vmflags(addr, fl, sizeof(fl));
	return mc_has_vmflag(fl, flag);
}

/* The errno of a lock call in a child: skip for a limit, or fail. */
static void
child_lock_err_or_skip(uint64_t err, const char *what)
{
	if (err == 0)
		return;
	if (err == EPERM)
		mc_require_mlock_unfiltered();
	if (err == ENOMEM || err == EPERM || err == EAGAIN)
		atf_tc_skip("child: %s failed with %s: RLIMIT_MEMLOCK too "
		    "small without CAP_IPC_LOCK", what, mc_errname((int)err));
	ATF_REQUIRE_MSG(false, "child: %s: %s", what, mc_errname((int)err));
}

/*
 * The parent's side of a mlock2 call that had to succeed: skip when the
 * call or the flag is unknown here, or when the limit is too small.
 */
static void
mlock2_ok_or_skip(long r, int e, unsigned int flags, size_t pages)
{
	if (r == 0)
		return;
	if (e == ENOSYS)
		mc_skip_unsupported("mlock2", ENOSYS);
	if (e == EINVAL && flags != 0)
		mc_skip_unsupported("mlock2(MLOCK_ONFAULT)", EINVAL);
	if (e == EPERM)
		mc_require_mlock_unfiltered();
	if (e == ENOMEM || e == EPERM || e == EAGAIN)
		atf_tc_skip("cannot lock %zu pages here (mlock2: %s): "
		    "RLIMIT_MEMLOCK too small without CAP_IPC_LOCK", pages,
		    mc_errname(e));
	ATF_REQUIRE_MSG(false, "mlock2(flags %#x, %zu pages): expected "
	    "success, got %ld/%s", flags, pages, r, mc_errname(e));
}

/* ---- PROT_NONE ----------------------------------------------------------- */

MC_TC(mlock_prot_none_enomem, "MLOCK-18",
    "mlock of a PROT_NONE mapping fails with ENOMEM (its pages cannot be "
    "faulted in, so they cannot be made resident); the mapping stays "
    "inaccessible (SIGSEGV/SEGV_ACCERR) and no page is made resident")
{
	size_t ps = mc_pagesize(), n = 2;
	unsigned char *ctl = mc_map_anon(n * ps, RW, MAP_PRIVATE);
	unsigned char *p = mc_map_anon(n * ps, PROT_NONE, MAP_PRIVATE);
	long before = mc_vmlck_kb();

	/*
	 * Positive control: n accessible pages can be locked here, so the
	 * ENOMEM below is not RLIMIT_MEMLOCK's.
	 */
	mc_mlock_or_skip(ctl, n * ps);
	ATF_REQUIRE(munlock(ctl, n * ps) == 0);
	ATF_REQUIRE(munmap(ctl, n * ps) == 0);
	ATF_REQUIRE_EQ(mc_vmlck_kb(), before);
	/*
	 * mlock(2): the pages are resident when mlock returns successfully.
	 * Linux cannot fault in a PROT_NONE page (populate_vma_page_range
	 * gets EFAULT) and mlock turns that into ENOMEM. Not asserted: Linux
	 * leaves the range marked locked after that failure (VmLck grows,
	 * VmFlags 'lo'), although mlock(2) says a failed call changes no
	 * lock; munlock below undoes it.
	 */
	MC_REQUIRE_ERRF(mlock(p, n * ps), ENOMEM, "mlock(%p, %zu PROT_NONE "
	    "pages)", (void *)p, n);
	for (size_t i = 0; i < n; i++) {
		MC_REQUIRE_FAULT(p + i * ps, MC_READ, SIGSEGV, SEGV_ACCERR);
		MC_REQUIRE_FAULT(p + i * ps, MC_WRITE, SIGSEGV, SEGV_ACCERR);
	}
	MC_REQUIRE_OKF(munlock(p, n * ps), "munlock(%p, %zu PROT_NONE pages)",
	    (void *)p, n);
	ATF_REQUIRE_EQ_MSG(mc_vmlck_kb(), before, "VmLck after munlock of the "
	    "PROT_NONE range: expected %ld kB, got %ld kB", before,
	    mc_vmlck_kb());
	mc_require_mincore_sees_untouched("whether mlock populated the "
	    "PROT_NONE range cannot be observed (ENOMEM and faults checked)");
	ATF_REQUIRE_EQ_MSG(mc_mincore_count(p, n * ps), 0, "mlock of a "
	    "PROT_NONE mapping: %zu of %zu pages resident, expected none",
	    mc_mincore_count(p, n * ps), n);
	ATF_REQUIRE(munmap(p, n * ps) == 0);
}

MC_TC(mlock2_onfault_prot_none, "MLOCK-19",
    "mlock2(MLOCK_ONFAULT) of a PROT_NONE mapping succeeds (Linux 5.18+; "
    "earlier kernels fail with ENOMEM: skipped) and marks it "
    "(VmFlags lo and lf) without making it accessible (SIGSEGV/"
    "SEGV_ACCERR); once mprotect makes it readable and writable, the "
    "pages touched are zero-filled and locked (smaps Locked)")
{
	size_t ps = mc_pagesize(), n = 2;
	unsigned char *ctl = mc_map_anon(n * ps, RW, MAP_PRIVATE);
	unsigned char *p = mc_map_anon(n * ps, PROT_NONE, MAP_PRIVATE);
	long before = mc_vmlck_kb(), r;
	int e;

	mc_require_smaps();
	/* Positive control: an ENOMEM below is not RLIMIT_MEMLOCK's. */
	mc_mlock_or_skip(ctl, n * ps);
	ATF_REQUIRE(munlock(ctl, n * ps) == 0);
	ATF_REQUIRE(munmap(ctl, n * ps) == 0);
	errno = 0;
	r = mc_sys_mlock2(p, n * ps, MLOCK_ONFAULT);
	e = errno;
	if (r == -1 && e == ENOMEM) {
		/*
		 * Kernels before 5.18 walk the range even for MLOCK_ONFAULT
		 * (populate_vma_page_range without FOLL_POPULATE), fail on
		 * the PROT_NONE pages with EFAULT and report ENOMEM, as
		 * mlock does (MLOCK-18); since 5.18 an on-fault range is
		 * not walked. Only inaccessibility is common to both.
		 */
		for (size_t i = 0; i < n; i++)
			MC_REQUIRE_FAULT(p + i * ps, MC_READ, SIGSEGV,
			    SEGV_ACCERR);
		ATF_REQUIRE(munlock(p, n * ps) == 0);
		ATF_REQUIRE(munmap(p, n * ps) == 0);
		atf_tc_skip("mlock2(MLOCK_ONFAULT) of a PROT_NONE range fails "
		    "with ENOMEM here (kernels before 5.18 try to fault the "
		    "range in); the range stays inaccessible, the lock-on-"
		    "fault marking cannot be checked");
	}
	mlock2_ok_or_skip(r, e, MLOCK_ONFAULT, n);
	ATF_REQUIRE_MSG(has_flag(p, "lo"), "mlock2(PROT_NONE range, "
	    "MLOCK_ONFAULT): VmFlags should show 'lo', it is missing");
	note_lf(has_flag(p, "lf"), "mlock2(PROT_NONE range, MLOCK_ONFAULT)");
	for (size_t i = 0; i < n; i++) {
		MC_REQUIRE_FAULT(p + i * ps, MC_READ, SIGSEGV, SEGV_ACCERR);
		MC_REQUIRE_FAULT(p + i * ps, MC_WRITE, SIGSEGV, SEGV_ACCERR);
	}
	ATF_REQUIRE_MSG(mprotect(p, n * ps, RW) == 0, "mprotect(PROT_NONE "
	    "range locked on fault, PROT_READ | PROT_WRITE): %s",
	    mc_errname(errno));
	mc_require_readable(p, n * ps, "the range made read/write");
	ATF_REQUIRE_EQ_MSG(mc_count_not(p, n * ps, 0), 0, "the range made "
	    "read/write holds %zu non-zero bytes, expected zero-fill",
	    mc_count_not(p, n * ps, 0));
	memset(p, 'n', n * ps);
	ATF_REQUIRE_MSG(has_flag(p, "lo"), "after mprotect(PROT_READ | "
	    "PROT_WRITE) the range lost VmFlags 'lo'");
	ATF_REQUIRE_EQ_MSG(mc_locked_kb(p), mc_kb_of_pages(n), "smaps Locked after "
	    "mprotect and touching all %zu pages: expected %ld kB, got %ld kB",
	    n, mc_kb_of_pages(n), mc_locked_kb(p));
	ATF_REQUIRE(munlock(p, n * ps) == 0);
	ATF_REQUIRE_EQ(mc_vmlck_kb(), before);
	ATF_REQUIRE(munmap(p, n * ps) == 0);
}

MC_TC(map_locked_prot_none, "MLOCK-20",
    "mmap(PROT_NONE, MAP_LOCKED) succeeds (MAP_LOCKED does not fail when "
    "it cannot populate, unlike mlock): the mapping is locked (VmFlags lo, "
    "VmLck grows by its size) and stays inaccessible (SIGSEGV/SEGV_ACCERR)")
{
	size_t ps = mc_pagesize(), n = 2;
	long before = mc_vmlck_kb();
	unsigned char *p;
	int e;

	mc_require_smaps();
	errno = 0;
	p = mmap(NULL, n * ps, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS |
	    MAP_LOCKED, -1, 0);
	e = errno;
	if (p == MAP_FAILED && (e == EAGAIN || e == EPERM) &&
	    !mc_mlock_page_must_succeed())
		atf_tc_skip("mmap(MAP_LOCKED, %zu pages): %s: RLIMIT_MEMLOCK "
		    "too small without CAP_IPC_LOCK", n, mc_errname(e));
	if (p == MAP_FAILED && e == EPERM)
		mc_require_mlock_unfiltered();
	ATF_REQUIRE_MSG(p != MAP_FAILED, "mmap(PROT_NONE, MAP_PRIVATE | "
	    "MAP_ANONYMOUS | MAP_LOCKED, %zu pages): expected success, got %s",
	    n, mc_errname(e));
	ATF_REQUIRE_EQ_MSG(mc_vmlck_kb() - before, mc_kb_of_pages(n), "VmLck "
	    "grew by %ld kB after mmap(PROT_NONE, MAP_LOCKED) of %zu pages, "
	    "expected %ld kB", mc_vmlck_kb() - before, n, mc_kb_of_pages(n));
	ATF_REQUIRE_MSG(has_flag(p, "lo"), "mmap(PROT_NONE, MAP_LOCKED): its "
	    "smaps VmFlags lack 'lo'");
	for (size_t i = 0; i < n; i++) {
		MC_REQUIRE_FAULT(p + i * ps, MC_READ, SIGSEGV, SEGV_ACCERR);
		MC_REQUIRE_FAULT(p + i * ps, MC_WRITE, SIGSEGV, SEGV_ACCERR);
	}
	ATF_REQUIRE(munmap(p, n * ps) == 0);
	ATF_REQUIRE_EQ(mc_vmlck_kb(), before);
}

/* ---- munlock of memory never locked ------------------------------------- */

MC_TC(munlock_never_locked, "MLOCK-21",
    "munlock of memory never locked returns 0 and changes nothing: VmLck, "
    "VmFlags, residency and contents stay as they were")
{
	size_t ps = mc_pagesize(), n = 2;
	unsigned char *p = mc_map_anon(n * ps, RW, MAP_PRIVATE);
	unsigned char *q = mc_map_anon(ps, PROT_NONE, MAP_PRIVATE);
	long before = mc_vmlck_kb();
	size_t res;

	mc_require_smaps();
	memset(p, 'u', ps); /* page 0 touched, page 1 untouched */
	res = mc_mincore_count(p, n * ps);
	ATF_REQUIRE_MSG(!has_flag(p, "lo"), "a fresh mapping has VmFlags "
	    "'lo'");
	if (munlock(p, n * ps) != 0)
		mc_skip_if_mlock_filtered(errno); /* nspawn: munlock is EPERM */
	MC_REQUIRE_OKF(munlock(p, n * ps), "munlock(%p, %zu pages never "
	    "locked)", (void *)p, n);
	MC_REQUIRE_OKF(munlock(q, ps), "munlock(%p, PROT_NONE page never "
	    "locked)", (void *)q);
	ATF_REQUIRE_EQ_MSG(mc_vmlck_kb(), before, "VmLck after munlock of "
	    "unlocked memory: expected %ld kB, got %ld kB", before,
	    mc_vmlck_kb());
	ATF_REQUIRE_MSG(!has_flag(p, "lo") && !has_flag(p, "lf"), "munlock "
	    "of unlocked memory left a lock flag in VmFlags");
	ATF_REQUIRE_EQ_MSG(mc_mincore_count(p, n * ps), res, "munlock changed "
	    "residency: %zu resident pages before, %zu after", res,
	    mc_mincore_count(p, n * ps));
	ATF_REQUIRE_MSG(mc_all_bytes(p, ps, 'u'), "munlock changed the "
	    "contents of the touched page");
	ATF_REQUIRE_EQ_MSG(mc_count_not(p + ps, ps, 0), 0, "the untouched "
	    "page is no longer zero after munlock");
	MC_REQUIRE_FAULT(q, MC_READ, SIGSEGV, SEGV_ACCERR);
	ATF_REQUIRE(munmap(p, n * ps) == 0);
	ATF_REQUIRE(munmap(q, ps) == 0);
}

/* ---- mlock2 -------------------------------------------------------------- */

MC_TC(mlock2_zero_flags_is_mlock, "MLOCK-22",
    "mlock2 with flags 0 behaves as mlock: every page of the range is "
    "resident when it returns, VmLck and smaps Locked grow by the range, "
    "VmFlags show lo without lf")
{
	size_t ps = mc_pagesize(), n = 2;
	unsigned char *p = mc_map_anon(n * ps, RW, MAP_PRIVATE);
	long before = mc_vmlck_kb(), r;
	int e;

	mc_require_smaps();
	errno = 0;
	r = mc_sys_mlock2(p, n * ps, 0);
	e = errno;
	mlock2_ok_or_skip(r, e, 0, n);
	ATF_REQUIRE_EQ_MSG(mc_vmlck_kb() - before, mc_kb_of_pages(n), "mlock2("
	    "flags 0): VmLck grew by %ld kB, expected %ld kB",
	    mc_vmlck_kb() - before, mc_kb_of_pages(n));
	ATF_REQUIRE_EQ_MSG(mc_locked_kb(p), mc_kb_of_pages(n), "mlock2(flags 0): "
	    "smaps Locked %ld kB, expected %ld kB (every page faulted in)",
	    mc_locked_kb(p), mc_kb_of_pages(n));
	ATF_REQUIRE_MSG(has_flag(p, "lo"), "mlock2(flags 0): VmFlags lack "
	    "'lo'");
	ATF_REQUIRE_MSG(!has_flag(p, "lf"), "mlock2(flags 0): VmFlags show "
	    "'lf' (lock on fault) although no MLOCK_ONFAULT was given");
	ATF_REQUIRE_EQ_MSG(mc_mincore_count(p, n * ps), n, "mlock2(flags 0): "
	    "%zu of %zu pages resident, expected all",
	    mc_mincore_count(p, n * ps), n);
	ATF_REQUIRE(munlock(p, n * ps) == 0);
	ATF_REQUIRE(munmap(p, n * ps) == 0);
}

MC_TC(mlock2_onfault_vmflags, "MLOCK-23",
    "mlock2(MLOCK_ONFAULT) marks the whole range: VmFlags lo and lf, "
    "VmLck grows by the whole range although no page is resident; "
    "munlock clears both flags")
{
	size_t ps = mc_pagesize(), n = 2;
	unsigned char *p = mc_map_anon(n * ps, RW, MAP_PRIVATE);
	long before = mc_vmlck_kb(), r;
	int e;

	mc_require_smaps();
	errno = 0;
	r = mc_sys_mlock2(p, n * ps, MLOCK_ONFAULT);
	e = errno;
	mlock2_ok_or_skip(r, e, MLOCK_ONFAULT, n);
	ATF_REQUIRE_MSG(has_flag(p, "lo"), "mlock2(MLOCK_ONFAULT): VmFlags "
	    "should show 'lo', it is missing");
	note_lf(has_flag(p, "lf"), "mlock2(MLOCK_ONFAULT)");
	ATF_REQUIRE_EQ_MSG(mc_vmlck_kb() - before, mc_kb_of_pages(n), "mlock2("
	    "MLOCK_ONFAULT) of %zu untouched pages: VmLck grew by %ld kB, "
	    "expected the whole range (%ld kB)", n, mc_vmlck_kb() - before,
	    mc_kb_of_pages(n));
	ATF_REQUIRE(munlock(p, n * ps) == 0);
	ATF_REQUIRE_MSG(!has_flag(p, "lo") && !has_flag(p, "lf"), "after "
	    "munlock the range still shows a lock flag ('lo' %s, 'lf' %s)",
	    has_flag(p, "lo") ? "present" : "gone",
	    has_flag(p, "lf") ? "present" : "gone");
	ATF_REQUIRE_EQ(mc_vmlck_kb(), before);
	ATF_REQUIRE(munmap(p, n * ps) == 0);
}

/* ---- mlockall(MCL_CURRENT | MCL_ONFAULT) -------------------------------- */

/*
 * Child: maps 2 untouched pages, mlockall(MCL_CURRENT | MCL_ONFAULT).
 * Report: v0 errno of mlockall, v1 resident pages, v2 VmFlags bits, then
 * after touching the second page: v3 resident pages, v4 smaps Locked kB.
 */
static int
current_onfault_child(struct mc_child *self, void *arg)
{
	size_t ps = mc_pagesize();
	struct rep r = { { 0 } };
	unsigned char *a;

	(void)arg;
	a = mmap(NULL, 2 * ps, RW, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (a == MAP_FAILED)
		return 10;
	(void)madvise(a, 2 * ps, MADV_NOHUGEPAGE);
	if (mlockall(MCL_CURRENT | MCL_ONFAULT) != 0) {
		r.v[0] = (uint64_t)errno;
		mc_send(self, &r, sizeof(r));
		return 0;
	}
	r.v[1] = (uint64_t)mc_resident_try(a, 2);
	r.v[2] = vmflag_bits(a);
	a[ps] = 1;
	r.v[3] = (uint64_t)mc_resident_try(a, 2);
	r.v[4] = (uint64_t)mc_smaps_kb_try(a, "Locked");
	munlockall();
	mc_send(self, &r, sizeof(r));
	return 0;
}

MC_TC(mlockall_current_onfault, "MLOCK-24",
    "mlockall(MCL_CURRENT | MCL_ONFAULT) marks existing mappings lock-on-"
    "fault (VmFlags lo and lf) without populating them; a page touched "
    "afterwards is resident and counted in smaps Locked")
{
	struct mc_child ch;
	struct rep r;

	mc_require_smaps();
	mc_spawn(&ch, current_onfault_child, NULL);
	mc_expect_last(&ch, &r, sizeof(r),
	    "mlockall(MCL_CURRENT | MCL_ONFAULT) report");
	if (r.v[0] == EINVAL)
		mc_skip_unsupported("mlockall(MCL_CURRENT | MCL_ONFAULT)",
		    EINVAL);
	child_lock_err_or_skip(r.v[0], "mlockall(MCL_CURRENT | MCL_ONFAULT) "
	    "of the whole process");
	ATF_REQUIRE_MSG(r.v[2] != VF_NONE, "child: no VmFlags for its "
	    "mapping in /proc/self/smaps");
	ATF_REQUIRE_MSG(r.v[2] & VF_LO, "child: VmFlags of an existing "
	    "mapping after mlockall(MCL_CURRENT | MCL_ONFAULT): 'lo' missing");
	note_lf(r.v[2] & VF_LF, "mlockall(MCL_CURRENT | MCL_ONFAULT)");
	ATF_REQUIRE_EQ_MSG((int64_t)r.v[4], mc_kb_of_pages(1), "child: smaps "
	    "Locked after touching 1 page: expected %ld kB, got %jd",
	    mc_kb_of_pages(1), (intmax_t)(int64_t)r.v[4]);
	mc_require_mincore_sees_untouched("whether mlockall populated the "
	    "mapping cannot be observed (VmFlags and Locked checked)");
	ATF_REQUIRE_EQ_MSG((int64_t)r.v[1], 0, "child: %jd of 2 untouched "
	    "pages resident right after mlockall(MCL_CURRENT | MCL_ONFAULT), "
	    "expected 0", (intmax_t)(int64_t)r.v[1]);
	ATF_REQUIRE_EQ_MSG((int64_t)r.v[3], 1, "child: after touching 1 "
	    "page, %jd of 2 resident, expected 1", (intmax_t)(int64_t)r.v[3]);
}

/* ---- RLIMIT_MEMLOCK ------------------------------------------------------ */

/*
 * Drop CAP_IPC_LOCK and set the soft RLIMIT_MEMLOCK to soft (clamped to
 * the hard limit). Fills r->v[8] (1 when CAP_IPC_LOCK is still effective,
 * i.e. could not be dropped) and r->v[9] (the soft limit set); returns 0
 * or (step << 32 | errno) of the failed step: 1 getrlimit, 2 setrlimit.
 */
static uint64_t
limit_memlock(rlim_t soft, struct rep *r)
{
	struct rlimit rl;

	(void)mc_cap_drop(CAP_IPC_LOCK);
	r->v[8] = mc_cap_is_effective(CAP_IPC_LOCK) != 0;
	if (getrlimit(RLIMIT_MEMLOCK, &rl) != 0)
		return 1ULL << 32 | (uint32_t)errno;
	rl.rlim_cur = rl.rlim_max != RLIM_INFINITY && rl.rlim_max < soft ?
	    rl.rlim_max : soft;
	if (setrlimit(RLIMIT_MEMLOCK, &rl) != 0)
		return 2ULL << 32 | (uint32_t)errno;
	r->v[9] = rl.rlim_cur;
	return 0;
}

static void
require_limit_setup(const struct rep *r)
{
	ATF_REQUIRE_MSG(r->v[0] == 0, "child: %s failed: %s", (r->v[0] >> 32)
	    == 1 ? "getrlimit(RLIMIT_MEMLOCK)" : "setrlimit(RLIMIT_MEMLOCK)",
	    mc_errname((int)(uint32_t)r->v[0]));
	if (r->v[8] != 0)
		atf_tc_skip("cannot drop CAP_IPC_LOCK in the child: privileged "
		    "processes are exempt from RLIMIT_MEMLOCK");
}

/*
 * Child: no CAP_IPC_LOCK, RLIMIT_MEMLOCK 0. v0 setup, v1 errno of
 * mmap(MAP_LOCKED, 1 page), v2 errno of the same mmap without MAP_LOCKED.
 */
static int
memlock_zero_child(struct mc_child *self, void *arg)
{
	size_t ps = mc_pagesize();
	struct rep r = { { 0 } };

	(void)arg;
	r.v[0] = limit_memlock(0, &r);
	if (r.v[0] == 0) {
		r.v[1] = (uint64_t)mc_mmap_errno(NULL, ps, RW, MAP_PRIVATE |
		    MAP_ANONYMOUS | MAP_LOCKED, -1, 0);
		r.v[2] = (uint64_t)mc_mmap_errno(NULL, ps, RW, MAP_PRIVATE |
		    MAP_ANONYMOUS, -1, 0);
	}
	mc_send(self, &r, sizeof(r));
	return 0;
}

MC_TC(map_locked_memlock_zero_eperm, "MLOCK-25",
    "Without CAP_IPC_LOCK and with RLIMIT_MEMLOCK 0, mmap(MAP_LOCKED) "
    "fails with EPERM (as mlock does), not with mmap(2)'s EAGAIN")
{
	struct mc_child ch;
	struct rep r;

	mc_spawn(&ch, memlock_zero_child, NULL);
	mc_expect_last(&ch, &r, sizeof(r), "RLIMIT_MEMLOCK 0 report");
	require_limit_setup(&r);
	ATF_REQUIRE_EQ_MSG(r.v[2], 0, "child (RLIMIT_MEMLOCK 0): plain mmap "
	    "of one page without MAP_LOCKED failed: %s",
	    mc_errname((int)r.v[2]));
	/*
	 * mmap(2) lists EAGAIN for "too much memory has been locked" and no
	 * errno for a zero limit; Linux refuses MAP_LOCKED up front when the
	 * caller may not lock at all (can_do_mlock in do_mmap), with the
	 * EPERM that mlock(2) documents for that case.
	 */
	ATF_REQUIRE_MSG(r.v[1] == EPERM, "child (no CAP_IPC_LOCK, "
	    "RLIMIT_MEMLOCK 0): mmap(MAP_LOCKED, 1 page): expected EPERM, got "
	    "%s", r.v[1] ? mc_errname((int)r.v[1]) : "success");
}

/*
 * Child: no CAP_IPC_LOCK, RLIMIT_MEMLOCK 2 pages, mlockall(MCL_FUTURE).
 * v0 setup, v1 errno of mlockall, v2 errno of mmap 1 page, v3 its
 * resident pages, v4 errno of mmap 2 more pages (beyond the limit), v5
 * errno of mmap 1 more page (up to the limit), v6 VmLck kB.
 */
static int
future_limit_child(struct mc_child *self, void *arg)
{
	size_t ps = mc_pagesize();
	int fl = MAP_PRIVATE | MAP_ANONYMOUS;
	struct rep r = { { 0 } };
	void *a;

	(void)arg;
	r.v[0] = limit_memlock(2 * ps, &r);
	if (r.v[0] != 0 || r.v[8] != 0 || r.v[9] != 2 * ps) {
		mc_send(self, &r, sizeof(r));
		return 0;
	}
	if (mlockall(MCL_FUTURE) != 0) {
		r.v[1] = (uint64_t)errno;
		mc_send(self, &r, sizeof(r));
		return 0;
	}
	a = mmap(NULL, ps, RW, fl, -1, 0);
	r.v[2] = a == MAP_FAILED ? (uint64_t)errno : 0;
	r.v[3] = a == MAP_FAILED ? UINT64_MAX : (uint64_t)mc_resident_try(a, 1);
	r.v[4] = (uint64_t)mc_mmap_errno(NULL, 2 * ps, RW, fl, -1, 0);
	a = mmap(NULL, ps, RW, fl, -1, 0);
	r.v[5] = a == MAP_FAILED ? (uint64_t)errno : 0;
	r.v[6] = (uint64_t)mc_status_kb_raw("VmLck");
	munlockall();
	mc_send(self, &r, sizeof(r));
	return 0;
}

MC_TC(mcl_future_beyond_limit_eagain, "MLOCK-26",
    "After mlockall(MCL_FUTURE) without CAP_IPC_LOCK, a new mapping that "
    "would lock more than RLIMIT_MEMLOCK fails with EAGAIN; mappings up "
    "to the limit succeed and are locked")
{
	size_t ps = mc_pagesize();
	struct mc_child ch;
	struct rep r;

	mc_spawn(&ch, future_limit_child, NULL);
	mc_expect_last(&ch, &r, sizeof(r), "MCL_FUTURE report");
	require_limit_setup(&r);
	if (r.v[9] != 2 * ps)
		atf_tc_skip("the hard RLIMIT_MEMLOCK (%ju bytes) is below two "
		    "pages", (uintmax_t)r.v[9]);
	if (r.v[1] == EPERM)
		mc_require_mlock_unfiltered();
	ATF_REQUIRE_EQ_MSG(r.v[1], 0, "child (RLIMIT_MEMLOCK 2 pages): "
	    "mlockall(MCL_FUTURE): %s", mc_errname((int)r.v[1]));
	ATF_REQUIRE_EQ_MSG(r.v[2], 0, "child: under MCL_FUTURE, mmap of 1 "
	    "page within RLIMIT_MEMLOCK (2 pages): expected success, got %s",
	    mc_errname((int)r.v[2]));
	ATF_REQUIRE_EQ_MSG(r.v[4], EAGAIN, "child: under MCL_FUTURE with 1 of "
	    "2 pages locked, mmap of 2 more pages: expected EAGAIN, got %s",
	    r.v[4] ? mc_errname((int)r.v[4]) : "success");
	ATF_REQUIRE_EQ_MSG(r.v[5], 0, "child: under MCL_FUTURE with 1 of 2 "
	    "pages locked, mmap of 1 more page (up to the limit): expected "
	    "success, got %s", mc_errname((int)r.v[5]));
	if ((int64_t)r.v[6] >= 0)
		ATF_REQUIRE_EQ_MSG((int64_t)r.v[6], mc_kb_of_pages(2), "child: "
		    "VmLck after the two mappings made under MCL_FUTURE: "
		    "expected %ld kB, got %jd kB", mc_kb_of_pages(2),
		    (intmax_t)(int64_t)r.v[6]);
	ATF_REQUIRE_EQ_MSG(r.v[3], 1, "child: the page mapped under "
	    "MCL_FUTURE is not resident right after mmap (%jd)",
	    (intmax_t)(int64_t)r.v[3]);
}

/* ---- execve ------------------------------------------------------------- */

#define EXEC_PROBE_ENV "MMAPCONF_LOCK_CORNERS_EXEC_FD"

/*
 * What the re-executed image reports through the pipe (fd in
 * EXEC_PROBE_ENV): v0 1 (tag: the new image ran), v1 VmLck kB, then for a
 * 2-page mapping it creates: v2 resident pages, v3 VmFlags bits, v4 smaps
 * Locked kB. A child whose execve failed sends v0 2, v1 errno.
 */
__attribute__((constructor)) static void
exec_probe(void)
{
	const char *v = getenv(EXEC_PROBE_ENV);
	size_t ps = (size_t)sysconf(_SC_PAGESIZE);
	struct rep r = { { 1 } };
	void *q;
	int fd;

	if (v == NULL)
		return;
	fd = atoi(v);
	r.v[1] = (uint64_t)mc_status_kb_raw("VmLck");
	q = mmap(NULL, 2 * ps, RW, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (q == MAP_FAILED) {
		r.v[2] = r.v[4] = UINT64_MAX;
		r.v[3] = VF_NONE;
	} else {
		(void)madvise(q, 2 * ps, MADV_NOHUGEPAGE);
		r.v[2] = (uint64_t)mc_resident_try(q, 2);
		r.v[3] = vmflag_bits(q);
		r.v[4] = (uint64_t)mc_smaps_kb_try(q, "Locked");
	}
	if (write(fd, &r, sizeof(r)) != (ssize_t)sizeof(r))
		exit(97);
	exit(0);
}

/* In a child: re-execute this program as the exec probe; reports failure. */
static void
exec_self(struct mc_child *self)
{
	char env[64];
	char *argv[] = { "t_lock_corners-exec-probe", NULL };
	char *envp[] = { env, NULL };
	struct rep r = { { 2 } };

	snprintf(env, sizeof(env), "%s=%d", EXEC_PROBE_ENV, self->wr);
	if (fcntl(self->wr, F_SETFD, 0) == 0)
		execve("/proc/self/exe", argv, envp);
	r.v[1] = (uint64_t)errno;
	mc_send(self, &r, sizeof(r));
}

/* The parent's side: receive the probe's report, skip when exec failed. */
static void
expect_probe(struct mc_child *ch, struct rep *r)
{
	mc_expect_last(ch, r, sizeof(*r), "report of the re-executed image");
	if (r->v[0] == 2 && (r->v[1] == ENOENT || r->v[1] == EACCES))
		atf_tc_skip("cannot re-execute this program through "
		    "/proc/self/exe: %s", mc_errname((int)r->v[1]));
	ATF_REQUIRE_MSG(r->v[0] == 1, "child: execve(/proc/self/exe) failed: "
	    "%s", r->v[0] == 2 ? mc_errname((int)r->v[1]) : "bad report");
}

/*
 * Child of execve_removes_locks: locks 2 pages, reports v0 errno of mlock
 * and v1 VmLck kB, then re-executes itself.
 */
static int
exec_locked_child(struct mc_child *self, void *arg)
{
	size_t ps = mc_pagesize();
	struct rep r = { { 0 } };
	void *a;

	(void)arg;
	a = mmap(NULL, 2 * ps, RW, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (a == MAP_FAILED)
		return 10;
	if (mlock(a, 2 * ps) != 0)
		r.v[0] = (uint64_t)errno;
	r.v[1] = (uint64_t)mc_status_kb_raw("VmLck");
	mc_send(self, &r, sizeof(r));
	if (r.v[0] != 0)
		return 0;
	exec_self(self);
	return 0;
}

MC_TC(execve_removes_locks, "MLOCK-27",
    "Memory locks are removed by execve: a process with locked pages has "
    "VmLck 0 in the new program image")
{
	struct mc_child ch;
	struct rep pre, post;

	mc_spawn(&ch, exec_locked_child, NULL);
	mc_expect(&ch, &pre, sizeof(pre), "mlock report before execve");
	if (pre.v[0] != 0)
		mc_reap_ok(&ch);
	child_lock_err_or_skip(pre.v[0], "mlock of 2 pages");
	expect_probe(&ch, &post);
	if ((int64_t)pre.v[1] < 0 || (int64_t)post.v[1] < 0)
		atf_tc_skip("/proc/self/status has no VmLck field");
	ATF_REQUIRE_MSG((int64_t)pre.v[1] >= mc_kb_of_pages(2), "positive "
	    "control: child's VmLck with 2 locked pages is %jd kB before "
	    "execve, expected at least %ld kB", (intmax_t)(int64_t)pre.v[1],
	    mc_kb_of_pages(2));
	ATF_REQUIRE_EQ_MSG((int64_t)post.v[1], 0, "after execve: VmLck is %jd "
	    "kB, expected 0 (locks removed)", (intmax_t)(int64_t)post.v[1]);
}

/*
 * Child of execve_clears_mcl_future: mlockall(MCL_FUTURE), maps a page as
 * positive control, reports v0 errno of mlockall, v1 that page's smaps
 * Locked kB, then re-executes itself.
 */
static int
exec_future_child(struct mc_child *self, void *arg)
{
	size_t ps = mc_pagesize();
	struct rep r = { { 0 } };
	void *a;

	(void)arg;
	if (mlockall(MCL_FUTURE) != 0) {
		r.v[0] = (uint64_t)errno;
		mc_send(self, &r, sizeof(r));
		return 0;
	}
	a = mmap(NULL, ps, RW, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (a == MAP_FAILED) {
		r.v[0] = (uint64_t)errno;
		mc_send(self, &r, sizeof(r));
		return 0;
	}
	r.v[1] = (uint64_t)mc_smaps_kb_try(a, "Locked");
	mc_send(self, &r, sizeof(r));
	exec_self(self);
	return 0;
}

MC_TC(execve_clears_mcl_future, "MLOCK-28",
    "execve clears the mlockall MCL_FUTURE setting: a mapping the new "
    "program creates is neither locked (VmFlags, smaps Locked, VmLck 0) "
    "nor populated")
{
	struct mc_child ch;
	struct rep pre, post;

	mc_require_smaps();
	mc_spawn(&ch, exec_future_child, NULL);
	mc_expect(&ch, &pre, sizeof(pre), "mlockall report before execve");
	if (pre.v[0] != 0)
		mc_reap_ok(&ch);
	child_lock_err_or_skip(pre.v[0], "mlockall(MCL_FUTURE) and mmap of "
	    "one page");
	expect_probe(&ch, &post);
	ATF_REQUIRE_EQ_MSG((int64_t)pre.v[1], mc_kb_of_pages(1), "positive "
	    "control: before execve, a page mapped under MCL_FUTURE has smaps "
	    "Locked %jd kB, expected %ld kB", (intmax_t)(int64_t)pre.v[1],
	    mc_kb_of_pages(1));
	ATF_REQUIRE_MSG(post.v[2] != UINT64_MAX, "the re-executed image "
	    "could not map 2 pages");
	ATF_REQUIRE_MSG(post.v[3] != VF_NONE, "the re-executed image could "
	    "not read the VmFlags of its mapping");
	ATF_REQUIRE_EQ_MSG(post.v[3] & (VF_LO | VF_LF), 0, "after execve: a "
	    "new mapping shows VmFlags 'lo' or 'lf': MCL_FUTURE survived");
	ATF_REQUIRE_EQ_MSG((int64_t)post.v[4], 0, "after execve: smaps Locked "
	    "of a new mapping is %jd kB, expected 0",
	    (intmax_t)(int64_t)post.v[4]);
	if ((int64_t)post.v[1] >= 0)
		ATF_REQUIRE_EQ_MSG((int64_t)post.v[1], 0, "after execve: VmLck "
		    "is %jd kB, expected 0: the new image's mappings are "
		    "locked", (intmax_t)(int64_t)post.v[1]);
	mc_require_mincore_sees_untouched("whether the new image's mapping "
	    "was populated cannot be observed (VmFlags, Locked and VmLck "
	    "checked)");
	ATF_REQUIRE_EQ_MSG((int64_t)post.v[2], 0, "after execve: a new "
	    "untouched mapping has %jd of 2 pages resident, expected 0",
	    (intmax_t)(int64_t)post.v[2]);
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, mlock_prot_none_enomem);
	ATF_TP_ADD_TC(tp, mlock2_onfault_prot_none);
	ATF_TP_ADD_TC(tp, map_locked_prot_none);
	ATF_TP_ADD_TC(tp, munlock_never_locked);
	ATF_TP_ADD_TC(tp, mlock2_zero_flags_is_mlock);
	ATF_TP_ADD_TC(tp, mlock2_onfault_vmflags);
	ATF_TP_ADD_TC(tp, mlockall_current_onfault);
	ATF_TP_ADD_TC(tp, map_locked_memlock_zero_eperm);
	ATF_TP_ADD_TC(tp, mcl_future_beyond_limit_eagain);
	ATF_TP_ADD_TC(tp, execve_removes_locks);
	ATF_TP_ADD_TC(tp, execve_clears_mcl_future);
	return atf_no_error();
}
