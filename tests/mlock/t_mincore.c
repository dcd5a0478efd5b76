/*
 * t_mincore: mincore(2): its errors, the rounding of length, and what
 * "resident" means for a file mapping (the page cache).
 */
#include <sys/mman.h>

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "mc.h"
#include "mc_err.h"

MC_TC(unaligned_addr_einval, "MINCORE-1",
    "An addr that is not a multiple of the page size fails with EINVAL")
{
	size_t ps = mc_pagesize();
	unsigned char *p = mc_map_anon(2 * ps, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE);
	unsigned char vec[2];

	MC_REQUIRE_ERR(mincore(p + 1, ps, vec), EINVAL, "mincore(addr + 1)");
	MC_REQUIRE_ERR(mincore(p + ps / 2, ps, vec), EINVAL,
	    "mincore(addr + page/2)");
	ATF_REQUIRE(munmap(p, 2 * ps) == 0);
}

MC_TC(unmapped_range_enomem, "MINCORE-2",
    "A range that holds unmapped memory fails with ENOMEM")
{
	size_t ps = mc_pagesize();
	unsigned char *p = mc_map_anon(3 * ps, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE);
	unsigned char vec[3];

	ATF_REQUIRE(munmap(p + ps, ps) == 0);
	MC_REQUIRE_ERR(mincore(p, 3 * ps, vec), ENOMEM,
	    "mincore over a one-page hole");
	MC_REQUIRE_ERR(mincore(p + ps, ps, vec), ENOMEM,
	    "mincore of the unmapped page alone");
	ATF_REQUIRE_MSG(mincore(p, ps, vec) == 0, "mincore of the mapped "
	    "page before the hole: %s", strerror(errno));
	ATF_REQUIRE(munmap(p, 3 * ps) == 0);
}

MC_TC(length_rounded_up_to_pages, "MINCORE-3",
    "length need not be a page multiple: it is rounded up, one vector "
    "byte per page, bit 0 telling residency; no byte past them is written")
{
	size_t ps = mc_pagesize();
	unsigned char *p = mc_map_anon(3 * ps, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE);
	unsigned char vec[3] = { 0xEE, 0xEE, 0xEE };

	p[ps] = 1; /* page 1 resident, page 0 untouched */
	ATF_REQUIRE_MSG(mincore(p, ps + 1, vec) == 0, "mincore(len = page + "
	    "1): %s", strerror(errno));
	ATF_REQUIRE_MSG(vec[1] & 1, "vec[1] (the partial second page, "
	    "touched): expected bit 0 set, got %#x", vec[1]);
	ATF_REQUIRE_EQ_MSG(vec[2], 0xEE, "vec[2] was written (%#x): length "
	    "was rounded beyond the second page", vec[2]);
	ATF_REQUIRE_MSG(vec[0] != 0xEE, "vec[0] was not written");
	if ((vec[0] & 1) != 0)
		atf_tc_skip("mincore reports the untouched page as resident "
		    "here: per-page results cannot be told apart (rounding "
		    "checks passed)");
	ATF_REQUIRE(munmap(p, 3 * ps) == 0);
}

MC_TC(bad_vector_efault, "MINCORE-4",
    "A vec pointing to an invalid address fails with EFAULT")
{
	size_t ps = mc_pagesize();
	unsigned char *p = mc_map_anon(ps, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE);
	unsigned char *bad = mc_map_anon(ps, PROT_NONE, MAP_PRIVATE);

	p[0] = 1;
	ATF_REQUIRE(munmap(bad, ps) == 0);
	MC_REQUIRE_ERR(mincore(p, ps, bad), EFAULT,
	    "mincore(vec = unmapped address)");
	ATF_REQUIRE(munmap(p, ps) == 0);
}

MC_TC(file_pages_in_page_cache_resident, "MINCORE-5",
    "For a file mapping mincore reports the page cache: pages of a file "
    "just written with write() are resident before the mapping is touched")
{
	size_t ps = mc_pagesize(), n = 4;
	int fd = mc_make_file("cached.dat", n);
	unsigned char *p = mmap(NULL, n * ps, PROT_READ, MAP_SHARED, fd, 0);
	uint64_t e;

	ATF_REQUIRE_MSG(p != MAP_FAILED, "mmap(file): %s", strerror(errno));
	if (mc_pagemap_try(p, &e) && (e & MC_PM_PRESENT))
		atf_tc_skip("the untouched file mapping is already mapped in "
		    "the page table (pagemap present): page-cache residency "
		    "cannot be told apart");
	ATF_REQUIRE_EQ_MSG(mc_mincore_count(p, n * ps), n, "a file of %zu "
	    "pages just written through write(): expected all resident in "
	    "the page cache, mincore says %zu", n,
	    mc_mincore_count(p, n * ps));
	ATF_REQUIRE(munmap(p, n * ps) == 0);
	close(fd);
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, unaligned_addr_einval);
	ATF_TP_ADD_TC(tp, unmapped_range_enomem);
	ATF_TP_ADD_TC(tp, length_rounded_up_to_pages);
	ATF_TP_ADD_TC(tp, bad_vector_efault);
	ATF_TP_ADD_TC(tp, file_pages_in_page_cache_resident);
	return atf_no_error();
}
