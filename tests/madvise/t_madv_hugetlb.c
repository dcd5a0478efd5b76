/*
 * t_madv_hugetlb: madvise(2) on hugetlb mappings (MAP_HUGETLB, hugetlbfs
 * memfd): MADV_DONTNEED discards whole huge pages (Linux 5.18, commit
 * 90e7e7f5ef3f "mm: enable MADV_DONTNEED for hugetlb mappings"), needs a
 * huge-page-aligned start and rounds the end down to a huge page (commit
 * 8ebe0a5eaaeb "mm,madvise,hugetlb: fix unexpected data loss with
 * MADV_DONTNEED on hugetlbfs", 6.1: the man page's "rounded up" predates
 * it); MADV_FREE is refused; MADV_REMOVE punches a hole in the hugetlbfs
 * file (hugetlbfs fallocate, Linux 4.3).
 *
 * Every case needs free huge pages of the default size (HugePages_Free
 * less HugePages_Rsvd in /proc/meminfo) and skips without them; the pool
 * is never changed. A kernel that refuses MADV_DONTNEED on an untouched
 * huge-page-aligned hugetlb mapping with EINVAL does not support it
 * (before 5.18): the DONTNEED cases skip there.
 */
#include <sys/mman.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "mc.h"
#include "mc_err.h"
#include "mc_proc.h"

#define RW (PROT_READ | PROT_WRITE)

/* ---- helpers ------------------------------------------------------------ */

/* HugePages_Free of /proc/meminfo (the default size); fails when absent. */
static long
huge_free(void)
{
	long f = mc_meminfo("HugePages_Free");

	ATF_REQUIRE_MSG(f >= 0, "no HugePages_Free in /proc/meminfo though "
	    "Hugepagesize is there");
	return f;
}

/* n huge pages of private anonymous MAP_HUGETLB memory, or skip. */
static unsigned char *
map_huge(size_t n, size_t hs)
{
	void *p;

	(void)mc_hugetlb_require(n);
	p = mmap(NULL, n * hs, RW, MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB,
	    -1, 0);
	if (p == MAP_FAILED && (errno == ENOSYS || errno == EOPNOTSUPP ||
	    errno == EINVAL))
		mc_skip_unsupported("MAP_HUGETLB", errno);
	if (p == MAP_FAILED && errno == ENOMEM)
		atf_tc_skip("mmap(MAP_HUGETLB, %zu huge pages): ENOMEM, the "
		    "reservation failed (HugePages_Free %ld, HugePages_Rsvd "
		    "%ld: another user of the pool, or a hugetlb cgroup limit)",
		    n, huge_free(), mc_meminfo("HugePages_Rsvd"));
	return mc_require_mmap_ok(p, "mmap(MAP_PRIVATE|MAP_ANONYMOUS|"
	    "MAP_HUGETLB)");
}

/*
 * Skip unless MADV_DONTNEED is supported on hugetlb mappings: probed on
 * [p, p + len), an untouched, huge-page-aligned MAP_HUGETLB range, where a
 * kernel that supports it returns 0 having nothing to discard.
 */
static void
require_hugetlb_dontneed(void *p, size_t len)
{
	if (madvise(p, len, MADV_DONTNEED) == 0)
		return;
	if (errno == EINVAL)
		atf_tc_skip("madvise(MADV_DONTNEED) of a whole, untouched "
		    "MAP_HUGETLB mapping: EINVAL, this kernel does not support "
		    "MADV_DONTNEED on hugetlb mappings (added in Linux 5.18, "
		    "commit 90e7e7f5ef3f)");
	ATF_REQUIRE_MSG(false, "madvise(%p, %zu, MADV_DONTNEED) of an "
	    "untouched MAP_HUGETLB mapping: expected 0 or EINVAL, got %s", p,
	    len, mc_errname(errno));
}

static bool
present(const void *addr)
{
	return (mc_pagemap(addr) & MC_PM_PRESENT) != 0;
}

/*
 * kB of hugetlb pages this process maps in the mapping holding addr
 * (smaps Private_Hugetlb + Shared_Hugetlb, Linux 4.4+); skips without them.
 */
static long
mapped_huge_kb(const void *addr)
{
	long pr = mc_smaps_kb(addr, "Private_Hugetlb");
	long sh = mc_smaps_kb(addr, "Shared_Hugetlb");

	if (pr < 0 || sh < 0)
		atf_tc_skip("smaps has no Private_Hugetlb/Shared_Hugetlb "
		    "fields: the hugetlb pages mapped cannot be counted");
	return pr + sh;
}

/*
 * HugePages_Free is global: another process (a case run in parallel)
 * may take or give back huge pages at any time, so its change is
 * reported, not asserted; the per-process and per-file counts are.
 */
static void
note_pool(long before, long after, long want, const char *what)
{
	if (after - before == want)
		printf("%s: HugePages_Free %ld -> %ld, the expected %+ld\n",
		    what, before, after, want);
	else
		printf("%s: HugePages_Free %ld -> %ld, expected %+ld (not "
		    "asserted: the pool is shared with every other process)\n",
		    what, before, after, want);
}

/*
 * Fault the discarded huge page at addr back in by a read, which must
 * not fault: the huge page was given back, so a free one exists unless
 * another process took the whole pool meanwhile (the message says).
 */
static void
fault_back(void *addr, const char *what)
{
	struct mc_fault f = mc_touch(addr, MC_READ);

	ATF_REQUIRE_MSG(f.signo == 0, "%s: reading %p again raised %s/%s "
	    "(HugePages_Free now %ld)", what, addr, mc_signame(f.signo),
	    mc_codename(f.signo, f.code), huge_free());
}

/* Huge page i of p holds the byte c throughout (c 0: zeros). */
static void
check_huge(const unsigned char *p, size_t i, size_t hs, unsigned char c,
    const char *when)
{
	size_t bad = mc_count_not(p + i * hs, hs, c);

	ATF_CHECK_MSG(bad == 0, "%s: huge page %zu (%p): %zu bytes differ from "
	    "%#x", when, i, (void *)(p + i * hs), bad, c);
}

/* ---- MADV_DONTNEED -------------------------------------------------------- */

MC_TC(dontneed_discards_huge_page, "MADV-41",
    "MADV_DONTNEED of a whole written private MAP_HUGETLB mapping returns "
    "0 and discards its huge page: pagemap shows it not present, smaps "
    "counts no hugetlb page mapped there (Private_Hugetlb), and the "
    "mapping then reads zeros")
{
	size_t hs = mc_hugetlb_size(), ps = mc_pagesize();
	unsigned char *p = map_huge(1, hs);
	long f0, f1, kb;

	require_hugetlb_dontneed(p, hs);
	memset(p, 0x6b, hs);
	ATF_REQUIRE_MSG(present(p) && present(p + hs - ps), "the written huge "
	    "page %p is not present in pagemap", (void *)p);
	kb = mapped_huge_kb(p);
	ATF_REQUIRE_MSG(kb == (long)(hs / 1024), "the written MAP_HUGETLB "
	    "mapping maps %ld kB of hugetlb pages (smaps), expected %zu", kb,
	    hs / 1024);
	f0 = huge_free();
	MC_REQUIRE_OKF(madvise(p, hs, MADV_DONTNEED), "madvise(%p, one huge "
	    "page %zu, MADV_DONTNEED)", (void *)p, hs);
	f1 = huge_free();
	ATF_CHECK_MSG(!present(p) && !present(p + hs / 2) &&
	    !present(p + hs - ps), "after MADV_DONTNEED the huge page %p is "
	    "still present (pagemap %#llx)", (void *)p,
	    (unsigned long long)mc_pagemap(p));
	kb = mapped_huge_kb(p);
	ATF_CHECK_MSG(kb == 0, "after MADV_DONTNEED the mapping still maps "
	    "%ld kB of hugetlb pages (smaps), expected 0", kb);
	note_pool(f0, f1, 1, "MADV_DONTNEED of the huge page");
	fault_back(p, "after MADV_DONTNEED");
	check_huge(p, 0, hs, 0, "after MADV_DONTNEED");
	ATF_CHECK_MSG(present(p), "reading the discarded range did not fault "
	    "a huge page in");
	ATF_REQUIRE(munmap(p, hs) == 0);
}

MC_TC(dontneed_unaligned_start_einval, "MADV-42",
    "MADV_DONTNEED on a private MAP_HUGETLB mapping at a start address "
    "that is page-aligned but not huge-page-aligned fails with EINVAL and "
    "discards nothing: the huge page stays present with its data")
{
	size_t hs = mc_hugetlb_size(), ps = mc_pagesize();
	unsigned char *p = map_huge(1, hs);
	long kb;

	if (hs == ps)
		atf_tc_skip("the huge page size equals the page size (%zu): no "
		    "unaligned start inside a huge page", ps);
	require_hugetlb_dontneed(p, hs);
	memset(p, 0x6b, hs);
	MC_REQUIRE_ERRF(madvise(p + ps, hs - ps, MADV_DONTNEED), EINVAL,
	    "madvise(huge page %p + 1 page, rest of it, MADV_DONTNEED)",
	    (void *)p);
	MC_REQUIRE_ERRF(madvise(p + hs / 2, ps, MADV_DONTNEED), EINVAL,
	    "madvise(huge page %p + half, 1 page, MADV_DONTNEED)", (void *)p);
	ATF_CHECK_MSG(present(p) && present(p + ps) && present(p + hs / 2),
	    "after the refused MADV_DONTNEED the huge page %p is not present "
	    "(pagemap %#llx)", (void *)p, (unsigned long long)mc_pagemap(p));
	kb = mapped_huge_kb(p);
	ATF_CHECK_MSG(kb == (long)(hs / 1024), "after the refused "
	    "MADV_DONTNEED the mapping maps %ld kB of hugetlb pages (smaps), "
	    "expected %zu", kb, hs / 1024);
	check_huge(p, 0, hs, 0x6b, "after the refused MADV_DONTNEED");
	ATF_REQUIRE(munmap(p, hs) == 0);
}

MC_TC(dontneed_length_rounded_down, "MADV-43",
    "MADV_DONTNEED on a private MAP_HUGETLB mapping of two huge pages "
    "rounds the end down to a huge page boundary: length one page returns "
    "0 and discards nothing; length one huge page plus one page returns 0 "
    "and discards only the first huge page (not present, it reads zeros; "
    "smaps counts one huge page mapped) while the second keeps its data")
{
	size_t hs = mc_hugetlb_size(), ps = mc_pagesize();
	unsigned char *p = map_huge(2, hs);
	long f0, f1, kb;

	if (hs == ps)
		atf_tc_skip("the huge page size equals the page size (%zu): no "
		    "partial huge page", ps);
	require_hugetlb_dontneed(p, 2 * hs);
	memset(p, 0x61, hs);
	memset(p + hs, 0x62, hs);
	f0 = huge_free();

	MC_REQUIRE_OKF(madvise(p, ps, MADV_DONTNEED), "madvise(%p, 1 page, "
	    "MADV_DONTNEED) on a MAP_HUGETLB mapping", (void *)p);
	ATF_CHECK_MSG(present(p) && present(p + hs), "MADV_DONTNEED of one "
	    "page (less than a huge page) discarded a huge page: present "
	    "%d/%d", present(p), present(p + hs));
	kb = mapped_huge_kb(p);
	ATF_CHECK_MSG(kb == (long)(2 * hs / 1024), "after MADV_DONTNEED of one "
	    "page the mapping maps %ld kB of hugetlb pages (smaps), expected "
	    "%zu", kb, 2 * hs / 1024);
	check_huge(p, 0, hs, 0x61, "after MADV_DONTNEED of one page");
	check_huge(p, 1, hs, 0x62, "after MADV_DONTNEED of one page");

	MC_REQUIRE_OKF(madvise(p, hs + ps, MADV_DONTNEED), "madvise(%p, one "
	    "huge page + 1 page, MADV_DONTNEED)", (void *)p);
	f1 = huge_free();
	ATF_CHECK_MSG(!present(p) && !present(p + hs - ps), "MADV_DONTNEED of "
	    "one huge page + 1 page left the first huge page present");
	ATF_CHECK_MSG(present(p + hs) && present(p + 2 * hs - ps), "MADV_DONTNEED "
	    "of one huge page + 1 page discarded the second huge page (not "
	    "present): the end was rounded up, not down");
	kb = mapped_huge_kb(p);
	ATF_CHECK_MSG(kb == (long)(hs / 1024), "after MADV_DONTNEED of one huge "
	    "page + 1 page the mapping maps %ld kB of hugetlb pages (smaps), "
	    "expected %zu (one huge page)", kb, hs / 1024);
	note_pool(f0, f1, 1, "MADV_DONTNEED of one huge page + 1 page");
	check_huge(p, 1, hs, 0x62, "the second huge page after MADV_DONTNEED "
	    "of one huge page + 1 page");
	fault_back(p, "the first huge page after MADV_DONTNEED");
	check_huge(p, 0, hs, 0, "the first huge page after MADV_DONTNEED of "
	    "one huge page + 1 page");
	ATF_REQUIRE(munmap(p, 2 * hs) == 0);
}

/* ---- MADV_FREE ------------------------------------------------------------ */

MC_TC(free_einval, "MADV-44",
    "MADV_FREE on a private MAP_HUGETLB mapping fails with EINVAL (only "
    "MADV_DONTNEED discards hugetlb pages) and the huge page stays present "
    "with its data")
{
	size_t hs = mc_hugetlb_size(), ps = mc_pagesize();
	unsigned char *a = mc_map_anon(ps, RW, MAP_PRIVATE);
	unsigned char *p;
	long kb;

	/* MADV_FREE must be known here: probe it where it is accepted */
	a[0] = 1;
	if (madvise(a, ps, MADV_FREE) != 0) {
		if (errno == EINVAL)
			mc_skip_unsupported("MADV_FREE", errno);
		ATF_REQUIRE_MSG(false, "madvise(MADV_FREE) on private anonymous "
		    "memory: %s", mc_errname(errno));
	}
	ATF_REQUIRE(munmap(a, ps) == 0);
	p = map_huge(1, hs);
	memset(p, 0x6b, hs);
	MC_REQUIRE_ERRF(madvise(p, hs, MADV_FREE), EINVAL, "madvise(%p, one "
	    "huge page, MADV_FREE) on a MAP_HUGETLB mapping", (void *)p);
	ATF_CHECK_MSG(present(p) && present(p + hs - ps), "after the refused "
	    "MADV_FREE the huge page %p is not present", (void *)p);
	kb = mapped_huge_kb(p);
	ATF_CHECK_MSG(kb == (long)(hs / 1024), "after the refused MADV_FREE the "
	    "mapping maps %ld kB of hugetlb pages (smaps), expected %zu", kb,
	    hs / 1024);
	check_huge(p, 0, hs, 0x6b, "after the refused MADV_FREE");
	ATF_REQUIRE(munmap(p, hs) == 0);
}

/* ---- MADV_REMOVE ---------------------------------------------------------- */

MC_TC(remove_punches_hugetlbfs_hole, "MADV-45",
    "MADV_REMOVE of the first huge page of a MAP_SHARED mapping of a "
    "two-huge-page hugetlb memfd returns 0 and punches a hole: the file "
    "keeps its size but has one huge page fewer in st_blocks, the hole is "
    "unmapped and reads zeros through read() and the mapping, and the "
    "second huge page keeps its data")
{
	size_t hs = mc_hugetlb_size(), ps = mc_pagesize();
	unsigned char *p, *buf;
	struct stat st0, st1;
	long f0, f1, kb;
	int mfd;

	(void)mc_hugetlb_require(2);
	mfd = memfd_create("t_madv_hugetlb", MFD_CLOEXEC | MFD_HUGETLB);
	if (mfd < 0 && (errno == EINVAL || errno == ENOSYS ||
	    errno == EOPNOTSUPP))
		mc_skip_unsupported("memfd_create(MFD_HUGETLB)", errno);
	ATF_REQUIRE_MSG(mfd >= 0, "memfd_create(MFD_HUGETLB): %s",
	    strerror(errno));
	ATF_REQUIRE_MSG(ftruncate(mfd, (off_t)(2 * hs)) == 0, "ftruncate("
	    "hugetlb memfd, 2 huge pages): %s", strerror(errno));
	p = mmap(NULL, 2 * hs, RW, MAP_SHARED, mfd, 0);
	if (p == MAP_FAILED && errno == ENOMEM)
		atf_tc_skip("MAP_SHARED of a hugetlb memfd (2 huge pages): "
		    "ENOMEM, the reservation failed (HugePages_Free %ld, "
		    "HugePages_Rsvd %ld)", huge_free(),
		    mc_meminfo("HugePages_Rsvd"));
	mc_require_mmap_ok(p, "mmap(MAP_SHARED, hugetlb memfd)");
	memset(p, 0x71, hs);
	memset(p + hs, 0x72, hs);
	ATF_REQUIRE_MSG(fstat(mfd, &st0) == 0, "fstat: %s", strerror(errno));
	ATF_CHECK_MSG(st0.st_blocks == (blkcnt_t)(2 * hs / 512), "the written "
	    "hugetlb memfd has st_blocks %lld, expected %zu (two huge pages)",
	    (long long)st0.st_blocks, 2 * hs / 512);
	f0 = huge_free();

	MC_REQUIRE_OKF(madvise(p, hs, MADV_REMOVE), "madvise(%p, first huge "
	    "page, MADV_REMOVE) on a MAP_SHARED hugetlb memfd mapping",
	    (void *)p);
	f1 = huge_free();
	ATF_REQUIRE_MSG(fstat(mfd, &st1) == 0, "fstat: %s", strerror(errno));
	ATF_CHECK_MSG(st1.st_size == (off_t)(2 * hs), "MADV_REMOVE changed "
	    "the file size from %zu to %lld", 2 * hs, (long long)st1.st_size);
	ATF_CHECK_MSG(st1.st_blocks == st0.st_blocks - (blkcnt_t)(hs / 512),
	    "after MADV_REMOVE of one huge page st_blocks is %lld, expected "
	    "%lld (one huge page fewer than %lld)", (long long)st1.st_blocks,
	    (long long)(st0.st_blocks - (blkcnt_t)(hs / 512)),
	    (long long)st0.st_blocks);
	note_pool(f0, f1, 1, "MADV_REMOVE of one huge page");
	ATF_CHECK_MSG(!present(p) && present(p + hs), "after MADV_REMOVE "
	    "pagemap present bits of the two huge pages are %d/%d, expected "
	    "0/1", present(p), present(p + hs));
	kb = mapped_huge_kb(p);
	ATF_CHECK_MSG(kb == (long)(hs / 1024), "after MADV_REMOVE of one huge "
	    "page the mapping maps %ld kB of hugetlb pages (smaps), expected "
	    "%zu", kb, hs / 1024);

	buf = mc_map_anon(2 * ps, RW, MAP_PRIVATE);
	mc_pread_all(mfd, buf, ps, 0);
	mc_pread_all(mfd, buf + ps, ps, (off_t)hs);
	ATF_CHECK_MSG(mc_all_bytes(buf, ps, 0), "read() of the hole at offset "
	    "0: %zu non-zero bytes", mc_count_not(buf, ps, 0));
	ATF_CHECK_MSG(mc_all_bytes(buf + ps, ps, 0x72), "read() of the second "
	    "huge page: %zu bytes differ from 0x72", mc_count_not(buf + ps, ps,
	    0x72));
	check_huge(p, 1, hs, 0x72, "the second huge page after MADV_REMOVE of "
	    "the first");
	fault_back(p, "the removed first huge page");
	check_huge(p, 0, hs, 0, "the removed first huge page");
	ATF_REQUIRE(munmap(p, 2 * hs) == 0);
	ATF_REQUIRE(munmap(buf, 2 * ps) == 0);
	close(mfd);
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, dontneed_discards_huge_page);
	ATF_TP_ADD_TC(tp, dontneed_unaligned_start_einval);
	ATF_TP_ADD_TC(tp, dontneed_length_rounded_down);
	ATF_TP_ADD_TC(tp, free_einval);
	ATF_TP_ADD_TC(tp, remove_punches_hugetlbfs_hole);
	return atf_no_error();
}
