/*
 * t_munmap: munmap(2) semantics of the design note (§4) and the manual.
 */
#include <sys/mman.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "mc.h"
#include "mc_err.h"

MC_TC(access_after_munmap_segv_maperr, "MUNMAP-1",
    "After munmap, reading or writing the range raises SIGSEGV/SEGV_MAPERR")
{
	size_t ps = mc_pagesize();
	unsigned char *p = mc_map_anon(2 * ps, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE);

	p[0] = 1;
	p[ps] = 2;
	ATF_REQUIRE_MSG(munmap(p, 2 * ps) == 0, "munmap: %s", strerror(errno));
	MC_REQUIRE_FAULT(p, MC_READ, SIGSEGV, SEGV_MAPERR);
	MC_REQUIRE_FAULT(p + ps, MC_WRITE, SIGSEGV, SEGV_MAPERR);
}

MC_TC(partial_munmap_splits_mapping, "MUNMAP-2",
    "Unmapping the middle page of three leaves the outer pages mapped, "
    "intact, and as two separate mappings")
{
	size_t ps = mc_pagesize();
	unsigned char *p = mc_map_anon(3 * ps, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE);
	uintptr_t s, e;

	memset(p, 'a', ps);
	memset(p + ps, 'b', ps);
	memset(p + 2 * ps, 'c', ps);
	ATF_REQUIRE_MSG(munmap(p + ps, ps) == 0, "munmap(middle): %s",
	    strerror(errno));
	MC_REQUIRE_FAULT(p + ps, MC_READ, SIGSEGV, SEGV_MAPERR);
	mc_require_readable(p, ps, "the first page after unmapping the middle");
	mc_require_readable(p + 2 * ps, ps, "the last page after unmapping "
	    "the middle");
	ATF_REQUIRE_MSG(mc_all_bytes(p, ps, 'a'), "first page changed");
	ATF_REQUIRE_MSG(mc_all_bytes(p + 2 * ps, ps, 'c'), "last page changed");
	ATF_REQUIRE(mc_maps_range(p, &s, &e));
	ATF_REQUIRE_EQ_MSG(e, (uintptr_t)(p + ps), "first piece should end "
	    "at %p, /proc/self/maps says %#jx", (void *)(p + ps),
	    (uintmax_t)e);
	ATF_REQUIRE(mc_maps_range(p + 2 * ps, &s, &e));
	ATF_REQUIRE_EQ_MSG(s, (uintptr_t)(p + 2 * ps), "last piece should "
	    "start at %p, /proc/self/maps says %#jx", (void *)(p + 2 * ps),
	    (uintmax_t)s);
	ATF_REQUIRE(munmap(p, 3 * ps) == 0);
}

MC_TC(munmap_range_without_mapping_succeeds, "MUNMAP-3",
    "munmap of a range that holds no mapping succeeds, also when the range "
    "covers a mapping only in part")
{
	size_t ps = mc_pagesize();
	unsigned char *p = mc_map_anon(3 * ps, PROT_NONE, MAP_PRIVATE);

	/*
	 * Make [p, p+3 pages) a hole and unmap it again at once: nothing may
	 * allocate in between, or the second munmap could hit a mapping
	 * that is not ours.
	 */
	ATF_REQUIRE_MSG(munmap(p, 3 * ps) == 0, "munmap: %s", strerror(errno));
	ATF_REQUIRE_MSG(munmap(p, 3 * ps) == 0, "munmap(%p, 3 pages) of a "
	    "range holding no mapping: expected 0, got errno %d (%s)",
	    (void *)p, errno, strerror(errno));
	ATF_REQUIRE_MSG(munmap(p + ps, ps) == 0, "munmap(%p, 1 page) inside "
	    "a hole: expected 0, got errno %d (%s)", (void *)(p + ps), errno,
	    strerror(errno));
	MC_REQUIRE_FAULT(p, MC_READ, SIGSEGV, SEGV_MAPERR);
	MC_REQUIRE_FAULT(p + 2 * ps, MC_READ, SIGSEGV, SEGV_MAPERR);

	/* A range that is partly a hole: only the mapped part matters. */
	p = mc_map_anon(3 * ps, PROT_READ | PROT_WRITE, MAP_PRIVATE);
	p[0] = 1;
	p[2 * ps] = 3;
	ATF_REQUIRE_MSG(munmap(p + ps, ps) == 0, "munmap(middle page): %s",
	    strerror(errno));
	ATF_REQUIRE_MSG(munmap(p, 3 * ps) == 0, "munmap(%p, 3 pages) over two "
	    "mapped pages around a hole: expected 0, got errno %d (%s)",
	    (void *)p, errno, strerror(errno));
	MC_REQUIRE_FAULT(p, MC_READ, SIGSEGV, SEGV_MAPERR);
	MC_REQUIRE_FAULT(p + 2 * ps, MC_READ, SIGSEGV, SEGV_MAPERR);
}

MC_TC(munmap_unaligned_addr_einval, "MUNMAP-4",
    "munmap with an address that is not a multiple of the page size fails "
    "with EINVAL and leaves the mapping intact")
{
	size_t ps = mc_pagesize();
	unsigned char *p = mc_map_anon(2 * ps, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE);
	const size_t offs[] = { 1, ps / 2, ps - 1, ps + 1 };

	memset(p, 'k', 2 * ps);
	for (size_t i = 0; i < sizeof(offs) / sizeof(offs[0]); i++)
		MC_REQUIRE_ERRF(munmap(p + offs[i], ps), EINVAL, "munmap(%p = "
		    "mapping + %zu, 1 page)", (void *)(p + offs[i]), offs[i]);
	mc_require_readable(p, 2 * ps, "the mapping after failed munmap calls");
	ATF_REQUIRE_MSG(mc_all_bytes(p, 2 * ps, 'k'), "the mapping changed "
	    "after failed munmap calls");
	ATF_REQUIRE(munmap(p, 2 * ps) == 0);
}

MC_TC(munmap_zero_length_einval, "MUNMAP-4",
    "munmap with length 0 fails with EINVAL (on a mapping and on a hole) "
    "and leaves the mapping intact")
{
	size_t ps = mc_pagesize();
	unsigned char *p = mc_map_anon(2 * ps, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE);

	memset(p, 'z', 2 * ps);
	MC_REQUIRE_ERRF(munmap(p, 0), EINVAL, "munmap(%p, 0) on a mapping",
	    (void *)p);
	MC_REQUIRE_ERRF(munmap(p + ps, 0), EINVAL, "munmap(%p, 0) on a "
	    "mapping", (void *)(p + ps));
	mc_require_readable(p, 2 * ps, "the mapping after munmap(addr, 0)");
	ATF_REQUIRE_MSG(mc_all_bytes(p, 2 * ps, 'z'), "the mapping changed "
	    "after munmap(addr, 0)");
	ATF_REQUIRE(munmap(p, 2 * ps) == 0);
	MC_REQUIRE_ERRF(munmap(p, 0), EINVAL, "munmap(%p, 0) on a hole",
	    (void *)p);
}

MC_TC(munmap_length_rounds_up_to_pages, "MUNMAP-6",
    "munmap with a length that is not a multiple of the page size unmaps "
    "every page the range touches, and nothing after it")
{
	size_t ps = mc_pagesize();
	unsigned char *p = mc_map_anon(4 * ps, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE);

	memset(p, 'u', 4 * ps);
	/* 1 byte: the whole first page goes. */
	ATF_REQUIRE_MSG(munmap(p, 1) == 0, "munmap(p, 1): %s", strerror(errno));
	MC_REQUIRE_FAULT(p + ps - 1, MC_READ, SIGSEGV, SEGV_MAPERR);
	MC_REQUIRE_NO_FAULT(p + ps, MC_READ);
	/* One page and one byte: pages 1 and 2 go, page 3 stays. */
	ATF_REQUIRE_MSG(munmap(p + ps, ps + 1) == 0, "munmap(p + 1 page, "
	    "1 page + 1 byte): %s", strerror(errno));
	MC_REQUIRE_FAULT(p + ps, MC_READ, SIGSEGV, SEGV_MAPERR);
	MC_REQUIRE_FAULT(p + 3 * ps - 1, MC_READ, SIGSEGV, SEGV_MAPERR);
	MC_REQUIRE_NO_FAULT(p + 3 * ps, MC_READ);
	ATF_REQUIRE_MSG(mc_all_bytes(p + 3 * ps, ps, 'u'), "the page after "
	    "the unmapped range changed");
	ATF_REQUIRE(munmap(p + 3 * ps, ps) == 0);
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, access_after_munmap_segv_maperr);
	ATF_TP_ADD_TC(tp, partial_munmap_splits_mapping);
	ATF_TP_ADD_TC(tp, munmap_range_without_mapping_succeeds);
	ATF_TP_ADD_TC(tp, munmap_unaligned_addr_einval);
	ATF_TP_ADD_TC(tp, munmap_zero_length_einval);
	ATF_TP_ADD_TC(tp, munmap_length_rounds_up_to_pages);
	return atf_no_error();
}
