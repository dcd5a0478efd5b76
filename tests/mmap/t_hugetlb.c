/*
 * t_hugetlb: MAP_HUGETLB mappings (mmap(2) "Huge page (Huge TLB) mappings",
 * Documentation/admin-guide/mm/hugetlbpage.rst).
 *
 * Address-space properties (size rounding, alignment, page size selection,
 * munmap and offset rules) are checked with MAP_NORESERVE mappings, which
 * need no free huge page until they are touched. Behaviour with an empty
 * pool is checked only when the pool is empty; touching a huge page only
 * when one is free. The host's pool is never changed.
 */
#include <sys/mman.h>
#include <sys/wait.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "mc.h"
#include "mc_err.h"
#include "mc_proc.h"

#define RW (PROT_READ | PROT_WRITE)

#ifndef MAP_HUGE_SHIFT
#define MAP_HUGE_SHIFT 26
#endif

/* ---- helpers ----------------------------------------------------------- */

static int log2_size(size_t v);

/*
 * A huge page size whose pool is empty and cannot grow (no free page, no
 * surplus pages allowed), as MAP_HUGE_SHIFT-encoded flags in *flags; skips
 * when every size has pages available.
 */
static size_t
empty_pool_size(int *flags)
{
	DIR *d;
	struct dirent *de;
	size_t found = 0;
	char seen[256] = "";

	(void)mc_hugetlb_size();
	d = opendir("/sys/kernel/mm/hugepages");
	if (d == NULL)
		atf_tc_skip("/sys/kernel/mm/hugepages not available (%s): "
		    "cannot tell whether a huge page pool is empty",
		    strerror(errno));
	while (found == 0 && (de = readdir(d)) != NULL) {
		unsigned long kb, free, over;
		char path[600];
		size_t l = strlen(seen);

		if (sscanf(de->d_name, "hugepages-%lukB", &kb) != 1)
			continue;
		snprintf(path, sizeof(path), "/sys/kernel/mm/hugepages/%s/"
		    "free_hugepages", de->d_name);
		if (!mc_read_ulong_file(path, &free))
			continue;
		snprintf(path, sizeof(path), "/sys/kernel/mm/hugepages/%s/"
		    "nr_overcommit_hugepages", de->d_name);
		if (!mc_read_ulong_file(path, &over))
			continue;
		snprintf(seen + l, sizeof(seen) - l, " %lukB:free=%lu,"
		    "overcommit=%lu", kb, free, over);
		if (free == 0 && over == 0)
			found = (size_t)kb * 1024;
	}
	closedir(d);
	if (found == 0)
		atf_tc_skip("every huge page size has pages available (%s): "
		    "this case needs an empty pool", seen);
	*flags = log2_size(found) << MAP_HUGE_SHIFT;
	return found;
}

/* A MAP_HUGETLB|MAP_NORESERVE anonymous mapping; skips without hugetlb. */
static unsigned char *
map_huge_noreserve(size_t len, int extra)
{
	void *p = mmap(NULL, len, RW, MAP_PRIVATE | MAP_ANONYMOUS |
	    MAP_HUGETLB | MAP_NORESERVE | extra, -1, 0);

	if (p == MAP_FAILED && (errno == ENOSYS || errno == EOPNOTSUPP))
		mc_skip_unsupported("MAP_HUGETLB", errno);
	return mc_require_mmap_ok(p, "mmap(MAP_HUGETLB|MAP_NORESERVE)");
}

static int
log2_size(size_t v)
{
	int l = 0;

	while (((size_t)1 << l) < v)
		l++;
	return l;
}

/* ---- empty pool --------------------------------------------------------- */

MC_TC(empty_pool_map_hugetlb_enomem, "HUGETLB-1",
    "With no free huge page (and no overcommit), MAP_HUGETLB fails at mmap "
    "time with ENOMEM: the pages are reserved when the mapping is made, "
    "not at the first fault")
{
	int sz;
	size_t hs = empty_pool_size(&sz);
	char what[96];

	snprintf(what, sizeof(what), "mmap(MAP_PRIVATE|MAP_HUGETLB, %zu kB "
	    "pages, empty pool)", hs / 1024);
	mc_require_mmap_fails(mmap(NULL, hs, RW, MAP_PRIVATE | MAP_ANONYMOUS |
	    MAP_HUGETLB | sz, -1, 0), hs, ENOMEM, what);
	snprintf(what, sizeof(what), "mmap(MAP_SHARED|MAP_HUGETLB, %zu kB "
	    "pages, empty pool)", hs / 1024);
	mc_require_mmap_fails(mmap(NULL, hs, RW, MAP_SHARED | MAP_ANONYMOUS |
	    MAP_HUGETLB | sz, -1, 0), hs, ENOMEM, what);
}

struct huge_req {
	size_t size;
	int flags;
};

static int
child_touch_noreserve(struct mc_child *self, void *arg)
{
	size_t hs = ((struct huge_req *)arg)->size;
	int sz = ((struct huge_req *)arg)->flags;
	unsigned char *p;
	struct mc_fault f;
	int64_t msg[2] = { 0, 0 };

	p = mmap(NULL, hs, RW, MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB |
	    MAP_NORESERVE | sz, -1, 0);
	if (p == MAP_FAILED) {
		msg[0] = -1;
		msg[1] = errno;
		mc_send(self, msg, sizeof(msg));
		return 0;
	}
	f = mc_touch(p, MC_WRITE);
	msg[0] = f.signo;
	msg[1] = f.code;
	mc_send(self, msg, sizeof(msg));
	return 0;
}

MC_TC(empty_pool_noreserve_maps_then_sigbus, "HUGETLB-2",
    "With no free huge page, MAP_HUGETLB|MAP_NORESERVE reserves nothing and "
    "succeeds; the first touch then finds no page and raises SIGBUS")
{
	struct huge_req req;
	struct mc_child ch;
	int64_t msg[2];

	req.size = empty_pool_size(&req.flags);
	/* In a child: the fault must not be retried in this process. */
	mc_spawn(&ch, child_touch_noreserve, &req);
	mc_expect(&ch, msg, sizeof(msg), "report of the touch");
	mc_reap_ok(&ch);
	ATF_REQUIRE_MSG(msg[0] != -1, "mmap(MAP_HUGETLB|MAP_NORESERVE, %zu kB "
	    "pages, empty pool): expected success, got %jd (%s)",
	    req.size / 1024, (intmax_t)msg[1], mc_errname((int)msg[1]));
	ATF_REQUIRE_MSG(msg[0] == SIGBUS, "touching a MAP_NORESERVE %zu kB "
	    "huge page with an empty pool: expected SIGBUS, got %s (%s)",
	    req.size / 1024, mc_signame((int)msg[0]),
	    mc_codename((int)msg[0], (int)msg[1]));
}

/* ---- size and alignment ------------------------------------------------- */

MC_TC(length_rounds_to_huge_page_and_aligned, "HUGETLB-3",
    "A MAP_HUGETLB mapping starts at a huge-page-aligned address, its "
    "length is rounded up to a multiple of the huge page size "
    "(Hugepagesize of /proc/meminfo), and smaps reports that KernelPageSize")
{
	size_t hs = mc_hugetlb_size(), ps = mc_pagesize();
	const size_t lens[] = { 1, ps, hs, hs + 1 };

	for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		size_t want = (lens[i] + hs - 1) / hs * hs;
		unsigned char *p = map_huge_noreserve(lens[i], 0);
		uintptr_t s, e;
		long kps;

		ATF_REQUIRE_MSG((uintptr_t)p % hs == 0, "MAP_HUGETLB mapping "
		    "of %zu bytes at %p: not aligned to the huge page size "
		    "%zu", lens[i], (void *)p, hs);
		ATF_REQUIRE_MSG(mc_maps_range(p, &s, &e), "MAP_HUGETLB "
		    "mapping %p missing from /proc/self/maps", (void *)p);
		ATF_REQUIRE_MSG(s == (uintptr_t)p && e - s == want,
		    "MAP_HUGETLB mapping of %zu bytes: expected [%p, +%zu), "
		    "maps shows [%#jx, %#jx)", lens[i], (void *)p, want,
		    (uintmax_t)s, (uintmax_t)e);
		mc_require_smaps();
		kps = mc_smaps_kb(p, "KernelPageSize");
		ATF_REQUIRE_MSG(kps == (long)(hs / 1024), "MAP_HUGETLB "
		    "mapping: smaps KernelPageSize %ld kB, expected %zu kB",
		    kps, hs / 1024);
		ATF_REQUIRE_MSG(munmap(p, want) == 0, "munmap(%p, %zu): %s",
		    (void *)p, want, strerror(errno));
	}
}

MC_TC(map_huge_shift_selects_page_size, "HUGETLB-4",
    "The log2 of a huge page size listed in /sys/kernel/mm/hugepages, "
    "shifted by MAP_HUGE_SHIFT, selects that size: the mapping is aligned "
    "to it and smaps reports it as KernelPageSize")
{
	DIR *d = opendir("/sys/kernel/mm/hugepages");
	struct dirent *de;
	int tested = 0;

	(void)mc_hugetlb_size();
	if (d == NULL)
		atf_tc_skip("/sys/kernel/mm/hugepages not available (%s)",
		    strerror(errno));
	mc_require_smaps();
	while ((de = readdir(d)) != NULL) {
		unsigned long kb;
		size_t size;
		unsigned char *p;
		long kps;
		char what[96];

		if (sscanf(de->d_name, "hugepages-%lukB", &kb) != 1)
			continue;
		size = (size_t)kb * 1024;
		snprintf(what, sizeof(what), "mmap(MAP_HUGETLB|MAP_NORESERVE|"
		    "%d << MAP_HUGE_SHIFT) for %lu kB pages", log2_size(size),
		    kb);
		p = mmap(NULL, size, RW, MAP_PRIVATE | MAP_ANONYMOUS |
		    MAP_HUGETLB | MAP_NORESERVE | (log2_size(size) <<
		    MAP_HUGE_SHIFT), -1, 0);
		mc_require_mmap_ok(p, what);
		ATF_REQUIRE_MSG((uintptr_t)p % size == 0, "%s: address %p not "
		    "aligned to %zu", what, (void *)p, size);
		kps = mc_smaps_kb(p, "KernelPageSize");
		ATF_REQUIRE_MSG(kps == (long)kb, "%s: smaps KernelPageSize %ld "
		    "kB, expected %lu kB", what, kps, kb);
		ATF_REQUIRE(munmap(p, size) == 0);
		tested++;
	}
	closedir(d);
	ATF_REQUIRE_MSG(tested > 0, "no hugepages-<size>kB directory in "
	    "/sys/kernel/mm/hugepages");
}

/* ---- with a free huge page ---------------------------------------------- */

MC_TC(free_page_touch_faults_in_whole_zeroed_huge_page, "HUGETLB-5",
    "With a free huge page, touching one byte of a MAP_HUGETLB mapping "
    "faults in the whole huge page: every base page of it is resident, "
    "zero-filled, and smaps counts it as Private_Hugetlb")
{
	size_t hs = mc_hugetlb_size(), ps = mc_pagesize();
	unsigned char *p = mmap(NULL, hs, RW, MAP_PRIVATE | MAP_ANONYMOUS |
	    MAP_HUGETLB, -1, 0);
	size_t res;
	long kb;

	if (p == MAP_FAILED && errno == ENOMEM)
		atf_tc_skip("no free huge page of %zu kB (HugePages_Free %ld): "
		    "reserve some with vm.nr_hugepages to run this case",
		    hs / 1024, mc_meminfo("HugePages_Free"));
	mc_require_mmap_ok(p, "mmap(MAP_HUGETLB, one huge page)");
	res = mc_mincore_count(p, hs);
	ATF_REQUIRE_MSG(res == 0, "MAP_HUGETLB mapping: %zu base pages "
	    "resident before any access", res);
	p[hs / 2] = 'h';
	res = mc_mincore_count(p, hs);
	ATF_REQUIRE_MSG(res == hs / ps, "after touching one byte of a huge "
	    "page: mincore says %zu of %zu base pages resident", res, hs / ps);
	for (size_t off = 0; off < hs; off += ps)
		ATF_REQUIRE_MSG(off == hs / 2 / ps * ps ||
		    mc_all_bytes(p + off, ps, 0), "huge page not zero-filled "
		    "at offset %zu", off);
	mc_require_smaps();
	kb = mc_smaps_kb(p, "Private_Hugetlb");
	if (kb < 0)
		atf_tc_skip("content and residency assertions passed; smaps "
		    "has no Private_Hugetlb field on this kernel");
	ATF_REQUIRE_MSG(kb == (long)(hs / 1024), "smaps Private_Hugetlb %ld kB "
	    "after touching one huge page, expected %zu kB", kb, hs / 1024);
	ATF_REQUIRE(munmap(p, hs) == 0);
}

/* ---- munmap, offset and address rules ----------------------------------- */

MC_TC(munmap_needs_huge_aligned_addr_and_length, "HUGETLB-6",
    "munmap of a MAP_HUGETLB mapping needs addr and length that are "
    "multiples of the huge page size (else EINVAL, nothing unmapped); "
    "an aligned munmap of one huge page leaves the other mapped")
{
	size_t hs = mc_hugetlb_size(), ps = mc_pagesize();
	unsigned char *p = map_huge_noreserve(2 * hs, 0);
	uintptr_t s, e;

	MC_REQUIRE_ERRF(munmap(p + ps, hs), EINVAL, "munmap(huge mapping + "
	    "one base page, huge page size)");
	MC_REQUIRE_ERRF(munmap(p, ps), EINVAL, "munmap(huge mapping, one base "
	    "page)");
	ATF_REQUIRE_MSG(mc_maps_range(p, &s, &e) && s == (uintptr_t)p &&
	    e == (uintptr_t)p + 2 * hs, "after the failed munmaps the huge "
	    "mapping should still be [%p, +%zu)", (void *)p, 2 * hs);
	ATF_REQUIRE_MSG(munmap(p, hs) == 0, "munmap(huge mapping, one huge "
	    "page): %s", strerror(errno));
	ATF_REQUIRE_MSG(!mc_maps_range(p, &s, &e), "the unmapped huge page is "
	    "still in /proc/self/maps");
	ATF_REQUIRE_MSG(mc_maps_range(p + hs, &s, &e) && s == (uintptr_t)p +
	    hs, "the second huge page should still be mapped");
	ATF_REQUIRE(munmap(p + hs, hs) == 0);
}

MC_TC(hugetlbfs_offset_must_be_huge_aligned, "HUGETLB-7",
    "Mapping a hugetlbfs file (memfd_create MFD_HUGETLB) at an offset that "
    "is a multiple of the base page size but not of the huge page size "
    "fails with EINVAL; offset 0 maps")
{
	size_t hs = mc_hugetlb_size(), ps = mc_pagesize();
	int fd = memfd_create("mmapconf-huge", MFD_HUGETLB);
	void *p;

	if (fd < 0 && (errno == EINVAL || errno == ENOSYS ||
	    errno == ENOENT || errno == EOPNOTSUPP))
		mc_skip_unsupported("memfd_create(MFD_HUGETLB)", errno);
	ATF_REQUIRE_MSG(fd >= 0, "memfd_create(MFD_HUGETLB): %s",
	    strerror(errno));
	ATF_REQUIRE_MSG(ftruncate(fd, (off_t)(2 * hs)) == 0, "ftruncate(%zu): "
	    "%s", 2 * hs, strerror(errno));
	mc_require_mmap_fails(mmap(NULL, hs, RW, MAP_SHARED | MAP_NORESERVE, fd,
	    (off_t)ps), hs, EINVAL, "mmap(hugetlbfs file, offset one base "
	    "page)");
	if (hs / 2 != ps)
		mc_require_mmap_fails(mmap(NULL, hs, RW, MAP_SHARED |
		    MAP_NORESERVE, fd, (off_t)(hs / 2)), hs, EINVAL,
		    "mmap(hugetlbfs file, offset half a huge page)");
	p = mc_require_mmap_ok(mmap(NULL, hs, RW, MAP_SHARED | MAP_NORESERVE,
	    fd, (off_t)hs), "mmap(hugetlbfs file, offset one huge page)");
	ATF_REQUIRE(munmap(p, hs) == 0);
	close(fd);
}

MC_TC(fixed_addr_must_be_huge_aligned, "HUGETLB-8",
    "MAP_FIXED|MAP_HUGETLB at an address that is page-aligned but not "
    "huge-page-aligned fails with EINVAL; at a huge-page-aligned address "
    "it maps there")
{
	size_t hs = mc_hugetlb_size(), ps = mc_pagesize();
	/* Free address space with one huge-aligned huge page inside. */
	unsigned char *r = map_huge_noreserve(2 * hs, 0);
	unsigned char *p;

	ATF_REQUIRE(munmap(r, 2 * hs) == 0);
	mc_require_mmap_fails(mmap(r + ps, hs, RW, MAP_PRIVATE | MAP_ANONYMOUS |
	    MAP_HUGETLB | MAP_NORESERVE | MAP_FIXED, -1, 0), hs, EINVAL,
	    "mmap(MAP_FIXED|MAP_HUGETLB, huge-aligned address + one base "
	    "page)");
	p = mc_require_mmap_ok(mmap(r + hs, hs, RW, MAP_PRIVATE |
	    MAP_ANONYMOUS | MAP_HUGETLB | MAP_NORESERVE | MAP_FIXED, -1, 0),
	    "mmap(MAP_FIXED|MAP_HUGETLB, huge-aligned address)");
	ATF_REQUIRE_EQ_MSG(p, r + hs, "MAP_FIXED|MAP_HUGETLB at %p returned %p",
	    (void *)(r + hs), (void *)p);
	ATF_REQUIRE(munmap(p, hs) == 0);
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, empty_pool_map_hugetlb_enomem);
	ATF_TP_ADD_TC(tp, empty_pool_noreserve_maps_then_sigbus);
	ATF_TP_ADD_TC(tp, length_rounds_to_huge_page_and_aligned);
	ATF_TP_ADD_TC(tp, map_huge_shift_selects_page_size);
	ATF_TP_ADD_TC(tp, free_page_touch_faults_in_whole_zeroed_huge_page);
	ATF_TP_ADD_TC(tp, munmap_needs_huge_aligned_addr_and_length);
	ATF_TP_ADD_TC(tp, hugetlbfs_offset_must_be_huge_aligned);
	ATF_TP_ADD_TC(tp, fixed_addr_must_be_huge_aligned);
	return atf_no_error();
}
