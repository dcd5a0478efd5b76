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

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, access_after_munmap_segv_maperr);
	ATF_TP_ADD_TC(tp, partial_munmap_splits_mapping);
	return atf_no_error();
}
