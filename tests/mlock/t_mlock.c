/*
 * t_mlock: mlock(2), mlock2(), munlock(), mlockall(), munlockall():
 * residency (mincore), accounting (VmLck in /proc/self/status, "Locked" in
 * /proc/self/smaps), inheritance over fork, and RLIMIT_MEMLOCK.
 *
 * Locked sizes stay at a few pages: unprivileged processes (and root
 * without CAP_SYS_RESOURCE) live with a small RLIMIT_MEMLOCK. A case that
 * cannot lock even that little skips with the reason. mlockall() runs only
 * in children, since it affects the whole process.
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
#include <string.h>
#include <unistd.h>

#include "mc.h"
#include "mc_err.h"
#include "mc_proc.h"

/* ---- helpers for the test process -------------------------------------- */

/* The child reports errno err of a lock call: skip for a limit, or fail. */
static void
child_lock_err_or_skip(uint64_t err, const char *what)
{
	if (err == 0)
		return;
	if (err == EPERM)
		mc_require_mlock_unfiltered();
	if (err == ENOMEM || err == EPERM || err == EAGAIN)
		atf_tc_skip("child: %s failed with %s: RLIMIT_MEMLOCK too "
		    "small without CAP_IPC_LOCK", what, strerror((int)err));
	ATF_REQUIRE_MSG(false, "child: %s: %s", what, strerror((int)err));
}

/* ---- mlock / munlock -------------------------------------------------- */

MC_TC(mlock_makes_pages_resident, "MLOCK-1",
    "When mlock returns, every page of the range is resident (mincore), "
    "although none was touched before")
{
	size_t ps = mc_pagesize(), n = 2;
	unsigned char *p = mc_map_anon(n * ps, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE);
	size_t before;

	mc_require_mincore_sees_untouched("the effect of mlock cannot be "
	    "observed");
	before = mc_mincore_count(p, n * ps);
	ATF_REQUIRE_EQ_MSG(before, 0, "untouched mapping: expected 0 resident "
	    "pages, mincore says %zu", before);
	mc_mlock_or_skip(p, n * ps);
	ATF_REQUIRE_EQ_MSG(mc_mincore_count(p, n * ps), n, "after mlock: "
	    "expected %zu resident pages, mincore says %zu", n,
	    mc_mincore_count(p, n * ps));
	ATF_REQUIRE(munlock(p, n * ps) == 0);
	ATF_REQUIRE(munmap(p, n * ps) == 0);
}

MC_TC(mlock_counted_in_vmlck, "MLOCK-2",
    "Locked pages are counted in VmLck (/proc/self/status) and in the "
    "mapping's Locked field (/proc/self/smaps)")
{
	size_t ps = mc_pagesize(), n = 2;
	unsigned char *p = mc_map_anon(n * ps, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE);
	long before = mc_vmlck_kb(), after;

	ATF_REQUIRE_EQ_MSG(mc_locked_kb(p), 0, "Locked before mlock: expected 0");
	mc_mlock_or_skip(p, n * ps);
	after = mc_vmlck_kb();
	ATF_REQUIRE_EQ_MSG(after - before, mc_kb_of_pages(n), "VmLck grew by "
	    "%ld kB after locking %zu pages, expected %ld kB", after - before,
	    n, mc_kb_of_pages(n));
	ATF_REQUIRE_EQ_MSG(mc_locked_kb(p), mc_kb_of_pages(n), "smaps Locked: "
	    "expected %ld kB, got %ld kB", mc_kb_of_pages(n), mc_locked_kb(p));
	ATF_REQUIRE(munlock(p, n * ps) == 0);
	ATF_REQUIRE(munmap(p, n * ps) == 0);
}

MC_TC(munlock_removes_from_vmlck, "MLOCK-3",
    "munlock unlocks the range: VmLck and smaps Locked drop back, the "
    "contents stay")
{
	size_t ps = mc_pagesize(), n = 2;
	unsigned char *p = mc_map_anon(n * ps, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE);
	long before = mc_vmlck_kb();

	memset(p, 'm', n * ps);
	mc_mlock_or_skip(p, n * ps);
	ATF_REQUIRE_EQ_MSG(mc_vmlck_kb() - before, mc_kb_of_pages(n), "VmLck did "
	    "not grow by the locked pages");
	ATF_REQUIRE_MSG(munlock(p, n * ps) == 0, "munlock: %s",
	    strerror(errno));
	ATF_REQUIRE_EQ_MSG(mc_vmlck_kb(), before, "VmLck after munlock: "
	    "expected %ld kB, got %ld kB", before, mc_vmlck_kb());
	ATF_REQUIRE_EQ_MSG(mc_locked_kb(p), 0, "smaps Locked after munlock: "
	    "expected 0, got %ld kB", mc_locked_kb(p));
	ATF_REQUIRE_MSG(mc_all_bytes(p, n * ps, 'm'), "munlock changed the "
	    "contents");
	ATF_REQUIRE(munmap(p, n * ps) == 0);
}

MC_TC(munmap_removes_lock, "MLOCK-4",
    "Unmapping a locked range removes its lock: VmLck drops back")
{
	size_t ps = mc_pagesize(), n = 2;
	unsigned char *p = mc_map_anon(n * ps, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE);
	long before = mc_vmlck_kb();

	mc_mlock_or_skip(p, n * ps);
	ATF_REQUIRE_EQ_MSG(mc_vmlck_kb() - before, mc_kb_of_pages(n), "VmLck did "
	    "not grow by the locked pages");
	ATF_REQUIRE(munmap(p, n * ps) == 0);
	ATF_REQUIRE_EQ_MSG(mc_vmlck_kb(), before, "VmLck after munmap of the "
	    "locked range: expected %ld kB, got %ld kB", before, mc_vmlck_kb());
}

MC_TC(locks_do_not_stack, "MLOCK-5",
    "Locks do not stack: a range locked twice is unlocked by one munlock")
{
	size_t ps = mc_pagesize(), n = 2;
	unsigned char *p = mc_map_anon(n * ps, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE);
	long before = mc_vmlck_kb();

	mc_mlock_or_skip(p, n * ps);
	ATF_REQUIRE_MSG(mlock(p, n * ps) == 0, "second mlock of the same "
	    "range: %s", strerror(errno));
	ATF_REQUIRE_EQ_MSG(mc_vmlck_kb() - before, mc_kb_of_pages(n), "VmLck "
	    "after locking twice: expected +%ld kB (counted once), got +%ld kB",
	    mc_kb_of_pages(n), mc_vmlck_kb() - before);
	ATF_REQUIRE(munlock(p, n * ps) == 0);
	ATF_REQUIRE_EQ_MSG(mc_vmlck_kb(), before, "VmLck after one munlock: "
	    "expected %ld kB, got %ld kB", before, mc_vmlck_kb());
	ATF_REQUIRE_EQ_MSG(mc_locked_kb(p), 0, "smaps Locked after one munlock: "
	    "expected 0, got %ld kB", mc_locked_kb(p));
	ATF_REQUIRE(munmap(p, n * ps) == 0);
}

MC_TC(mlock_rounds_addr_down, "MLOCK-6",
    "mlock accepts an unaligned addr and locks every page holding part of "
    "the range, starting at the page holding addr (Linux note)")
{
	size_t ps = mc_pagesize();
	unsigned char *p = mc_map_anon(2 * ps, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE);
	long before = mc_vmlck_kb();

	mc_mlock_or_skip(p + 1, 1);
	ATF_REQUIRE_EQ_MSG(mc_vmlck_kb() - before, mc_kb_of_pages(1), "mlock(addr "
	    "+ 1, 1 byte): VmLck grew by %ld kB, expected one page (%ld kB)",
	    mc_vmlck_kb() - before, mc_kb_of_pages(1));
	ATF_REQUIRE_EQ_MSG(mc_locked_kb(p), mc_kb_of_pages(1), "smaps Locked of the "
	    "first page: expected %ld kB, got %ld kB", mc_kb_of_pages(1),
	    mc_locked_kb(p));
	ATF_REQUIRE_EQ_MSG(mc_locked_kb(p + ps), 0, "the second page is locked "
	    "too (%ld kB)", mc_locked_kb(p + ps));
	ATF_REQUIRE_MSG(munlock(p + 1, 1) == 0, "munlock(addr + 1, 1): %s",
	    strerror(errno));
	ATF_REQUIRE_EQ_MSG(mc_vmlck_kb(), before, "munlock(addr + 1, 1) left "
	    "VmLck at %ld kB, expected %ld kB", mc_vmlck_kb(), before);
	ATF_REQUIRE(munmap(p, 2 * ps) == 0);
}

MC_TC(mlock_unmapped_range_enomem, "MLOCK-7",
    "mlock and munlock of a range holding unmapped pages fail with ENOMEM")
{
	size_t ps = mc_pagesize();
	unsigned char *p = mc_map_anon(2 * ps, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE);
	long before = mc_vmlck_kb();

	/*
	 * The limit is checked before the range: make sure two pages may be
	 * locked here, so that the ENOMEM below is the hole's.
	 */
	mc_mlock_or_skip(p, 2 * ps);
	ATF_REQUIRE(munlock(p, 2 * ps) == 0);
	ATF_REQUIRE(munmap(p + ps, ps) == 0);
	MC_REQUIRE_ERR(mlock(p, 2 * ps), ENOMEM, "mlock of a mapped page and "
	    "an unmapped one");
	MC_REQUIRE_ERR(mlock(p + ps, ps), ENOMEM, "mlock of an unmapped page");
	MC_REQUIRE_ERR(munlock(p + ps, ps), ENOMEM, "munlock of an unmapped "
	    "page");
	/* Linux locks the mapped part before the hole: undo that. */
	(void)munlock(p, ps);
	ATF_REQUIRE_EQ(mc_vmlck_kb(), before);
	ATF_REQUIRE(munmap(p, ps) == 0);
}

/* ---- mlock2 ------------------------------------------------------------ */

MC_TC(mlock2_unknown_flags_einval, "MLOCK-8",
    "mlock2 with unknown flags fails with EINVAL and locks nothing")
{
	size_t ps = mc_pagesize();
	unsigned char *p = mc_map_anon(ps, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE);
	long before = mc_vmlck_kb(), r;
	int e;

	errno = 0;
	r = mc_sys_mlock2(p, ps, 0x100);
	e = errno;
	if (r == -1 && e == ENOSYS)
		mc_skip_unsupported("mlock2", ENOSYS);
	/* The kernel checks the flags first: EPERM can only be a filter's. */
	if (r == -1 && e == EPERM)
		mc_require_mlock_unfiltered();
	ATF_REQUIRE_MSG(r == -1 && e == EINVAL, "mlock2(flags 0x100): "
	    "expected -1/EINVAL, got %ld/%s", r, strerror(e));
	ATF_REQUIRE_EQ_MSG(mc_vmlck_kb(), before, "the failed mlock2 locked "
	    "memory");
	ATF_REQUIRE(munmap(p, ps) == 0);
}

MC_TC(mlock2_onfault_locks_on_touch, "MLOCK-9",
    "mlock2(MLOCK_ONFAULT) does not populate the range; pages are locked "
    "as they are faulted in (resident and counted in smaps Locked)")
{
	size_t ps = mc_pagesize(), n = 2;
	unsigned char *p = mc_map_anon(n * ps, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE);
	long r;
	int e;

	mc_require_smaps();
	mc_require_mincore_sees_untouched("on-fault locking cannot be "
	    "observed");
	errno = 0;
	r = mc_sys_mlock2(p, n * ps, MLOCK_ONFAULT);
	e = errno;
	if (r == -1 && e == ENOSYS)
		mc_skip_unsupported("mlock2", ENOSYS);
	if (r == -1 && e == EINVAL)
		mc_skip_unsupported("mlock2(MLOCK_ONFAULT)", EINVAL);
	if (r == -1 && e == EPERM)
		mc_require_mlock_unfiltered();
	if (r == -1 && (e == ENOMEM || e == EPERM || e == EAGAIN))
		atf_tc_skip("cannot lock %zu pages here (mlock2: %s): "
		    "RLIMIT_MEMLOCK too small without CAP_IPC_LOCK", n,
		    strerror(e));
	ATF_REQUIRE_MSG(r == 0, "mlock2(MLOCK_ONFAULT): %s", strerror(e));
	ATF_REQUIRE_EQ_MSG(mc_mincore_count(p, n * ps), 0, "right after "
	    "mlock2(MLOCK_ONFAULT): expected 0 resident pages, mincore says "
	    "%zu", mc_mincore_count(p, n * ps));
	ATF_REQUIRE_EQ_MSG(mc_locked_kb(p), 0, "smaps Locked before any touch: "
	    "expected 0, got %ld kB", mc_locked_kb(p));
	p[ps] = 1;
	ATF_REQUIRE_EQ_MSG(mc_mincore_count(p, n * ps), 1, "after touching "
	    "1 page: expected 1 resident, mincore says %zu",
	    mc_mincore_count(p, n * ps));
	ATF_REQUIRE_EQ_MSG(mc_locked_kb(p), mc_kb_of_pages(1), "smaps Locked after "
	    "touching 1 page: expected %ld kB, got %ld kB", mc_kb_of_pages(1),
	    mc_locked_kb(p));
	ATF_REQUIRE(munlock(p, n * ps) == 0);
	ATF_REQUIRE(munmap(p, n * ps) == 0);
}

/* ---- mlockall / munlockall (in children) ------------------------------ */

/*
 * Child of mlockall_future_locks_new_mappings: mlockall(MCL_FUTURE), then
 * maps 2 fresh pages. Sends errno of mlockall, errno of mmap, then resident
 * pages of the new mapping and its smaps Locked kB (each -1 on error).
 */
static int
future_child(struct mc_child *self, void *arg)
{
	size_t ps = mc_pagesize();
	void *q;

	(void)arg;
	if (mlockall(MCL_FUTURE) != 0) {
		mc_child_send_u64(self, (uint64_t)errno);
		return 0;
	}
	mc_child_send_u64(self, 0);
	q = mmap(NULL, 2 * ps, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (q == MAP_FAILED) {
		mc_child_send_u64(self, (uint64_t)errno);
		return 0;
	}
	mc_child_send_u64(self, 0);
	mc_child_send_u64(self, (uint64_t)mc_resident_try(q, 2));
	mc_child_send_u64(self, (uint64_t)mc_smaps_kb_try(q, "Locked"));
	return 0;
}

MC_TC(mlockall_future_locks_new_mappings, "MLOCK-10",
    "After mlockall(MCL_FUTURE) a new mapping is locked as it is created: "
    "resident when mmap returns and counted in smaps Locked")
{
	struct mc_child ch;
	uint64_t err, res, lk;

	mc_require_smaps();
	mc_spawn(&ch, future_child, NULL);
	mc_expect(&ch, &err, sizeof(err), "mlockall result");
	if (err != 0)
		mc_reap_ok(&ch);
	child_lock_err_or_skip(err, "mlockall(MCL_FUTURE)");
	mc_expect(&ch, &err, sizeof(err), "mmap result");
	if (err != 0)
		mc_reap_ok(&ch);
	child_lock_err_or_skip(err, "mmap of 2 pages (locked at once by "
	    "MCL_FUTURE)");
	mc_expect(&ch, &res, sizeof(res), "residency");
	mc_expect(&ch, &lk, sizeof(lk), "Locked");
	mc_reap_ok(&ch);
	ATF_REQUIRE_EQ_MSG((int64_t)res, 2, "child: a mapping created after "
	    "mlockall(MCL_FUTURE) has %jd resident pages right after mmap, "
	    "expected 2", (intmax_t)(int64_t)res);
	ATF_REQUIRE_EQ_MSG((int64_t)lk, mc_kb_of_pages(2), "child: smaps Locked "
	    "of the new mapping: expected %ld kB, got %jd", mc_kb_of_pages(2),
	    (intmax_t)(int64_t)lk);
}

/*
 * Child of mlockall_current_locks_existing: maps 2 pages (untouched),
 * mlockall(MCL_CURRENT), maps 2 more. Sends errno of mlockall, then for the
 * first and the second mapping: resident pages and smaps Locked kB.
 */
static int
current_child(struct mc_child *self, void *arg)
{
	size_t ps = mc_pagesize();
	int fl = MAP_PRIVATE | MAP_ANONYMOUS;
	void *a = mmap(NULL, 2 * ps, PROT_READ | PROT_WRITE, fl, -1, 0);
	void *b;

	(void)arg;
	if (a == MAP_FAILED)
		return 10;
	(void)madvise(a, 2 * ps, MADV_NOHUGEPAGE);
	if (mlockall(MCL_CURRENT) != 0) {
		mc_child_send_u64(self, (uint64_t)errno);
		return 0;
	}
	mc_child_send_u64(self, 0);
	b = mmap(NULL, 2 * ps, PROT_READ | PROT_WRITE, fl, -1, 0);
	if (b == MAP_FAILED)
		return 11;
	(void)madvise(b, 2 * ps, MADV_NOHUGEPAGE);
	mc_child_send_u64(self, (uint64_t)mc_resident_try(a, 2));
	mc_child_send_u64(self, (uint64_t)mc_smaps_kb_try(a, "Locked"));
	mc_child_send_u64(self, (uint64_t)mc_resident_try(b, 2));
	mc_child_send_u64(self, (uint64_t)mc_smaps_kb_try(b, "Locked"));
	munlockall();
	return 0;
}

MC_TC(mlockall_current_locks_existing, "MLOCK-11",
    "mlockall(MCL_CURRENT) locks every existing mapping (resident, counted "
    "in smaps Locked) but not mappings created afterwards")
{
	struct mc_child ch;
	uint64_t err, ra, la, rb, lb;

	mc_require_smaps();
	mc_spawn(&ch, current_child, NULL);
	mc_expect(&ch, &err, sizeof(err), "mlockall result");
	if (err != 0)
		mc_reap_ok(&ch);
	child_lock_err_or_skip(err, "mlockall(MCL_CURRENT) of the whole "
	    "process");
	mc_expect(&ch, &ra, sizeof(ra), "residency of the old mapping");
	mc_expect(&ch, &la, sizeof(la), "Locked of the old mapping");
	mc_expect(&ch, &rb, sizeof(rb), "residency of the new mapping");
	mc_expect(&ch, &lb, sizeof(lb), "Locked of the new mapping");
	mc_reap_ok(&ch);
	ATF_REQUIRE_EQ_MSG((int64_t)ra, 2, "child: the mapping that existed "
	    "at mlockall(MCL_CURRENT) has %jd resident pages, expected 2",
	    (intmax_t)(int64_t)ra);
	ATF_REQUIRE_EQ_MSG((int64_t)la, mc_kb_of_pages(2), "child: smaps Locked "
	    "of the existing mapping: expected %ld kB, got %jd",
	    mc_kb_of_pages(2), (intmax_t)(int64_t)la);
	ATF_REQUIRE_EQ_MSG((int64_t)lb, 0, "child: a mapping created after "
	    "mlockall(MCL_CURRENT) is locked (%jd kB)", (intmax_t)(int64_t)lb);
	ATF_REQUIRE_MSG((int64_t)rb == 0 || (int64_t)rb == 2, "child: "
	    "mincore of the new mapping failed (%jd)", (intmax_t)(int64_t)rb);
}

MC_TC(mlockall_bad_flags_einval, "MLOCK-12",
    "mlockall with unknown flags, with no flag, or with MCL_ONFAULT alone "
    "fails with EINVAL")
{
	int flags[] = { 0x100, 0, MCL_ONFAULT };
	const char *names[] = { "0x100", "0", "MCL_ONFAULT" };
	long before = mc_vmlck_kb();

	for (size_t i = 0; i < 3; i++) {
		errno = 0;
		int r = mlockall(flags[i]);
		int e = errno;
		if (r == 0)
			munlockall();
		/* The kernel checks the flags first: EPERM is a filter's. */
		if (r == -1 && e == EPERM)
			mc_require_mlock_unfiltered();
		ATF_REQUIRE_MSG(r == -1 && e == EINVAL, "mlockall(%s): "
		    "expected -1/EINVAL, got %d/%s", names[i], r,
		    strerror(e));
	}
	ATF_REQUIRE_EQ(mc_vmlck_kb(), before);
}

/* Child of munlockall_unlocks_everything: see the case. */
static int
munlockall_child(struct mc_child *self, void *arg)
{
	size_t ps = mc_pagesize();
	int fl = MAP_PRIVATE | MAP_ANONYMOUS;
	void *a = mmap(NULL, ps, PROT_READ | PROT_WRITE, fl, -1, 0);
	void *b = mmap(NULL, ps, PROT_READ | PROT_WRITE, fl, -1, 0);

	(void)arg;
	if (a == MAP_FAILED || b == MAP_FAILED)
		return 10;
	if (mlock(a, ps) != 0 || mlock(b, ps) != 0) {
		mc_child_send_u64(self, (uint64_t)errno);
		return 0;
	}
	mc_child_send_u64(self, 0);
	if (mlockall(MCL_FUTURE) != 0) {
		mc_child_send_u64(self, (uint64_t)errno);
		return 0;
	}
	mc_child_send_u64(self, 0);
	mc_child_send_u64(self, (uint64_t)mc_status_kb_try("VmLck"));
	if (munlockall() != 0)
		return 11;
	mc_child_send_u64(self, (uint64_t)mc_status_kb_try("VmLck"));
	/* MCL_FUTURE is gone too: a new mapping is not locked. */
	a = mmap(NULL, ps, PROT_READ | PROT_WRITE, fl, -1, 0);
	if (a == MAP_FAILED)
		return 12;
	mc_child_send_u64(self, (uint64_t)mc_smaps_kb_try(a, "Locked"));
	return 0;
}

MC_TC(munlockall_unlocks_everything, "MLOCK-13",
    "munlockall unlocks every locked range of the process and cancels "
    "MCL_FUTURE: VmLck drops to 0 and later mappings are not locked")
{
	struct mc_child ch;
	uint64_t err, before, after, lk;

	mc_require_smaps();
	mc_spawn(&ch, munlockall_child, NULL);
	mc_expect(&ch, &err, sizeof(err), "mlock result");
	if (err != 0)
		mc_reap_ok(&ch);
	child_lock_err_or_skip(err, "mlock of two pages");
	mc_expect(&ch, &err, sizeof(err), "mlockall result");
	if (err != 0)
		mc_reap_ok(&ch);
	child_lock_err_or_skip(err, "mlockall(MCL_FUTURE)");
	mc_expect(&ch, &before, sizeof(before), "VmLck before");
	mc_expect(&ch, &after, sizeof(after), "VmLck after");
	mc_expect(&ch, &lk, sizeof(lk), "Locked of a later mapping");
	mc_reap_ok(&ch);
	if ((int64_t)before < 0)
		atf_tc_skip("/proc/self/status has no VmLck field");
	ATF_REQUIRE_MSG((int64_t)before >= mc_kb_of_pages(2), "child: VmLck "
	    "with two locked pages is %jd kB", (intmax_t)(int64_t)before);
	ATF_REQUIRE_EQ_MSG((int64_t)after, 0, "child: VmLck after munlockall: "
	    "expected 0, got %jd kB", (intmax_t)(int64_t)after);
	ATF_REQUIRE_EQ_MSG((int64_t)lk, 0, "child: a mapping created after "
	    "munlockall is locked (%jd kB): MCL_FUTURE survived",
	    (intmax_t)(int64_t)lk);
}

/* ---- fork --------------------------------------------------------------- */

/* Child of locks_not_inherited_by_fork: VmLck, Locked of arg, contents. */
static int
fork_lock_child(struct mc_child *self, void *arg)
{
	unsigned char *p = arg;
	size_t ps = mc_pagesize();

	mc_child_send_u64(self, (uint64_t)mc_status_kb_try("VmLck"));
	mc_child_send_u64(self, (uint64_t)mc_smaps_kb_try(p, "Locked"));
	mc_child_send_u64(self, mc_all_bytes(p, 2 * ps, 'l'));
	return 0;
}

MC_TC(locks_not_inherited_by_fork, "MLOCK-14",
    "Memory locks are not inherited by a child created with fork: the "
    "child's VmLck is 0 and its copy of the range is not locked")
{
	size_t ps = mc_pagesize();
	unsigned char *p = mc_map_anon(2 * ps, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE);
	struct mc_child ch;
	uint64_t vl, lk, same;

	mc_require_smaps();
	(void)mc_vmlck_kb();
	memset(p, 'l', 2 * ps);
	mc_mlock_or_skip(p, 2 * ps);
	ATF_REQUIRE_EQ_MSG(mc_locked_kb(p), mc_kb_of_pages(2), "parent: the range "
	    "is not locked");
	mc_spawn(&ch, fork_lock_child, p);
	mc_expect(&ch, &vl, sizeof(vl), "VmLck");
	mc_expect(&ch, &lk, sizeof(lk), "Locked");
	mc_expect(&ch, &same, sizeof(same), "contents");
	mc_reap_ok(&ch);
	ATF_REQUIRE_EQ_MSG((int64_t)vl, 0, "child: VmLck is %jd kB, expected "
	    "0", (intmax_t)(int64_t)vl);
	ATF_REQUIRE_EQ_MSG((int64_t)lk, 0, "child: smaps Locked of the "
	    "inherited range is %jd kB, expected 0", (intmax_t)(int64_t)lk);
	ATF_REQUIRE_EQ_MSG(same, 1, "child: the inherited range lost its "
	    "contents");
	ATF_REQUIRE_EQ_MSG(mc_locked_kb(p), mc_kb_of_pages(2), "parent: the range "
	    "was unlocked by the fork");
	ATF_REQUIRE(munlock(p, 2 * ps) == 0);
	ATF_REQUIRE(munmap(p, 2 * ps) == 0);
}

/* Grandchild: map 2 pages; resident count << 32 | Locked kB (0xffff... on error). */
static uint64_t
map_and_report(void *arg)
{
	size_t ps = mc_pagesize();
	void *q = mmap(NULL, 2 * ps, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	long r, l;

	(void)arg;
	if (q == MAP_FAILED)
		return UINT64_MAX;
	r = mc_resident_try(q, 2);
	l = mc_smaps_kb_try(q, "Locked");
	if (r < 0 || l < 0) {
		errno = ENODATA; /* mincore or smaps failed */
		return UINT64_MAX;
	}
	return (uint64_t)r << 32 | (uint32_t)l;
}

/*
 * Child of mcl_future_not_inherited_by_fork: mlockall(MCL_FUTURE), then
 * what its own new mapping looks like (map_and_report) and what a
 * grandchild's new mapping looks like.
 */
static int
future_fork_child(struct mc_child *self, void *arg)
{
	uint64_t own, grand;

	(void)arg;
	if (mlockall(MCL_FUTURE) != 0) {
		mc_child_send_u64(self, (uint64_t)errno);
		return 0;
	}
	mc_child_send_u64(self, 0);
	own = map_and_report(NULL);
	mc_child_send_u64(self, own == UINT64_MAX ? (uint64_t)errno : 0);
	if (own == UINT64_MAX)
		return 0;
	if (!mc_grandchild_u64(map_and_report, NULL, &grand))
		grand = UINT64_MAX - 1;
	mc_child_send_u64(self, own);
	mc_child_send_u64(self, grand);
	return 0;
}

MC_TC(mcl_future_not_inherited_by_fork, "MLOCK-15",
    "The MCL_FUTURE setting is not inherited by fork: a mapping the "
    "grandchild creates is neither populated nor locked")
{
	struct mc_child ch;
	uint64_t err, own, grand;

	mc_require_smaps();
	mc_spawn(&ch, future_fork_child, NULL);
	mc_expect(&ch, &err, sizeof(err), "mlockall result");
	if (err != 0)
		mc_reap_ok(&ch);
	child_lock_err_or_skip(err, "mlockall(MCL_FUTURE)");
	mc_expect(&ch, &err, sizeof(err), "child's mmap result");
	if (err != 0)
		mc_reap_ok(&ch);
	child_lock_err_or_skip(err, "mmap of 2 pages (locked at once by "
	    "MCL_FUTURE) and its inspection");
	mc_expect(&ch, &own, sizeof(own), "child's mapping");
	mc_expect(&ch, &grand, sizeof(grand), "grandchild's mapping");
	mc_reap_ok(&ch);
	ATF_REQUIRE_MSG(own != UINT64_MAX, "child: could not inspect its new "
	    "mapping");
	ATF_REQUIRE_MSG(grand != UINT64_MAX && grand != UINT64_MAX - 1,
	    "child: the grandchild failed (%s)", grand == UINT64_MAX ?
	    "mapping or inspection" : "fork, pipe or report");
	ATF_REQUIRE_MSG((own >> 32) == 2 &&
	    (long)(uint32_t)own == mc_kb_of_pages(2), "positive control: the "
	    "MCL_FUTURE child's own new mapping should be resident and locked "
	    "(2 pages, %ld kB), got %ju resident, %ju kB locked",
	    mc_kb_of_pages(2), (uintmax_t)(own >> 32), (uintmax_t)(uint32_t)own);
	ATF_REQUIRE_EQ_MSG((uint32_t)grand, 0, "grandchild: its new mapping "
	    "is locked (%ju kB): MCL_FUTURE was inherited",
	    (uintmax_t)(uint32_t)grand);
	/* Residency is the witness of "not populated": needs a lazy mincore. */
	mc_require_mincore_sees_untouched("whether the grandchild's new "
	    "mapping was populated cannot be observed (smaps Locked 0 kB "
	    "checked)");
	ATF_REQUIRE_EQ_MSG(grand >> 32, 0, "grandchild: its new untouched "
	    "mapping has %ju resident pages: MCL_FUTURE was inherited",
	    (uintmax_t)(grand >> 32));
}

/* ---- RLIMIT_MEMLOCK ------------------------------------------------------ */

/*
 * Child of the RLIMIT_MEMLOCK cases: drops CAP_IPC_LOCK, sets the soft
 * RLIMIT_MEMLOCK to *(rlim_t *)arg, then tries to lock one page and then a
 * second one. Sends: setup errno (0 on success; the step in the high
 * half: 1 capset, 2 setrlimit, 3 mmap), then for each mlock its errno.
 */
static int
rlimit_child(struct mc_child *self, void *arg)
{
	rlim_t soft = *(rlim_t *)arg;
	size_t ps = mc_pagesize();
	struct rlimit rl;
	unsigned char *q;
	int e;

	if ((e = mc_cap_drop(CAP_IPC_LOCK)) != 0) {
		mc_child_send_u64(self, 1ULL << 32 | (uint32_t)e);
		return 0;
	}
	if (getrlimit(RLIMIT_MEMLOCK, &rl) != 0 || (rl.rlim_cur = soft,
	    setrlimit(RLIMIT_MEMLOCK, &rl) != 0)) {
		mc_child_send_u64(self, 2ULL << 32 | (uint32_t)errno);
		return 0;
	}
	q = mmap(NULL, 2 * ps, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (q == MAP_FAILED) {
		mc_child_send_u64(self, 3ULL << 32 | (uint32_t)errno);
		return 0;
	}
	mc_child_send_u64(self, 0);
	mc_child_send_u64(self, mlock(q, ps) == 0 ? 0 : (uint64_t)errno);
	mc_child_send_u64(self, mlock(q + ps, ps) == 0 ? 0 : (uint64_t)errno);
	return 0;
}

static void
rlimit_run(rlim_t soft, uint64_t res[2])
{
	static const char *step[] = { "", "capset (drop CAP_IPC_LOCK)",
		"setrlimit(RLIMIT_MEMLOCK)", "mmap" };
	struct mc_child ch;
	uint64_t setup;

	mc_spawn(&ch, rlimit_child, &soft);
	mc_expect(&ch, &setup, sizeof(setup), "setup result");
	if (setup != 0)
		mc_reap_ok(&ch);
	ATF_REQUIRE_MSG(setup == 0, "child: %s failed: %s",
	    step[(setup >> 32) & 3], strerror((int)(uint32_t)setup));
	mc_expect(&ch, &res[0], sizeof(res[0]), "first mlock");
	mc_expect(&ch, &res[1], sizeof(res[1]), "second mlock");
	mc_reap_ok(&ch);
}

MC_TC(rlimit_memlock_enomem_without_cap, "MLOCK-16",
    "Without CAP_IPC_LOCK, locking more than the soft RLIMIT_MEMLOCK fails "
    "with ENOMEM; locking within it succeeds")
{
	struct rlimit rl;
	uint64_t res[2];

	ATF_REQUIRE(getrlimit(RLIMIT_MEMLOCK, &rl) == 0);
	if (rl.rlim_max != RLIM_INFINITY && rl.rlim_max < mc_pagesize())
		atf_tc_skip("the hard RLIMIT_MEMLOCK (%ju bytes) is below one "
		    "page: nothing can be locked within it",
		    (uintmax_t)rl.rlim_max);
	rlimit_run(mc_pagesize(), res);
	/* One page within the limit must lock: EPERM is a filter's. */
	mc_skip_if_mlock_filtered((int)res[0]);
	ATF_REQUIRE_EQ_MSG(res[0], 0, "child (no CAP_IPC_LOCK, limit one "
	    "page): mlock of one page: expected success, got %s",
	    strerror((int)res[0]));
	ATF_REQUIRE_EQ_MSG(res[1], ENOMEM, "child (no CAP_IPC_LOCK, limit "
	    "one page): mlock of a second page: expected ENOMEM, got %s",
	    res[1] ? strerror((int)res[1]) : "success");
}

MC_TC(rlimit_memlock_zero_eperm_without_cap, "MLOCK-17",
    "Without CAP_IPC_LOCK and with RLIMIT_MEMLOCK 0, mlock fails with EPERM")
{
	uint64_t res[2];

	/* A filter's EPERM would pass this case for the wrong reason. */
	mc_require_mlock_unfiltered();
	rlimit_run(0, res);
	ATF_REQUIRE_EQ_MSG(res[0], EPERM, "child (no CAP_IPC_LOCK, limit 0): "
	    "mlock: expected EPERM, got %s",
	    res[0] ? strerror((int)res[0]) : "success");
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, mlock_makes_pages_resident);
	ATF_TP_ADD_TC(tp, mlock_counted_in_vmlck);
	ATF_TP_ADD_TC(tp, munlock_removes_from_vmlck);
	ATF_TP_ADD_TC(tp, munmap_removes_lock);
	ATF_TP_ADD_TC(tp, locks_do_not_stack);
	ATF_TP_ADD_TC(tp, mlock_rounds_addr_down);
	ATF_TP_ADD_TC(tp, mlock_unmapped_range_enomem);
	ATF_TP_ADD_TC(tp, mlock2_unknown_flags_einval);
	ATF_TP_ADD_TC(tp, mlock2_onfault_locks_on_touch);
	ATF_TP_ADD_TC(tp, mlockall_future_locks_new_mappings);
	ATF_TP_ADD_TC(tp, mlockall_current_locks_existing);
	ATF_TP_ADD_TC(tp, mlockall_bad_flags_einval);
	ATF_TP_ADD_TC(tp, munlockall_unlocks_everything);
	ATF_TP_ADD_TC(tp, locks_not_inherited_by_fork);
	ATF_TP_ADD_TC(tp, mcl_future_not_inherited_by_fork);
	ATF_TP_ADD_TC(tp, rlimit_memlock_enomem_without_cap);
	ATF_TP_ADD_TC(tp, rlimit_memlock_zero_eperm_without_cap);
	return atf_no_error();
}
