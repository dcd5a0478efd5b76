/*
 * t_highaddr: the x86_64 address space above 47 bits. With 5-level paging
 * (la57) a process may use addresses up to 56 bits, but the kernel hands
 * them out only on request: mmap places a mapping above 47 bits only when
 * the hint is there (Documentation/arch/x86/x86_64/5level-paging.rst),
 * so that programs that keep tags in the high bits of pointers keep
 * working.
 *
 * Whether this machine has 5-level paging is probed, not read from
 * /proc/cpuinfo: a hint at 2^52 is placed above 47 bits only when the
 * address space reaches there. x86_64 only; elsewhere the cases skip.
 */
#include <sys/mman.h>

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "mc.h"
#include "mc_err.h"
#include "mc_proc.h"

#if defined(__x86_64__)
#define LOW_TOP ((uintptr_t)1 << 47) /* the 4-level user address space */

/*
 * Skip unless addresses above 47 bits can be mapped here: a hint at 2^52
 * (far from anything mapped) is honoured only with 5-level paging; with
 * 4-level paging the kernel places the mapping below 2^47 instead.
 */
static void
require_la57(void)
{
	size_t ps = mc_pagesize();
	void *want = (void *)((uintptr_t)1 << 52);
	void *p = mmap(want, ps, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1,
	    0);

	ATF_REQUIRE_MSG(p != MAP_FAILED, "probing 5-level paging: mmap(hint "
	    "2^52, one page): %s", strerror(errno));
	ATF_REQUIRE(munmap(p, ps) == 0);
	if ((uintptr_t)p < LOW_TOP)
		atf_tc_skip("a hint at 2^52 was placed at %p, below 2^47: no "
		    "address space above 47 bits here (4-level paging, no "
		    "la57)", p);
}
#endif

MC_TC(no_hint_stays_below_47_bits, "ADDR-1",
    "Without a hint above 47 bits, mmap never places a mapping above 47 "
    "bits, even where 5-level paging makes the space above available")
{
#if defined(__x86_64__)
	size_t ps = mc_pagesize(), big = (size_t)1 << 30;
	void *p[16];

	/* Several mappings, large ones included: all below 2^47. */
	for (size_t i = 0; i < 16; i++) {
		size_t len = i % 2 ? big : ps;

		p[i] = mmap(NULL, len, PROT_NONE, MAP_PRIVATE |
		    MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
		if (p[i] == MAP_FAILED)
			mc_skip_if_limited(errno, "a 1 GiB PROT_NONE mapping");
		ATF_REQUIRE_MSG(p[i] != MAP_FAILED, "mmap(NULL, %zu): %s",
		    len, strerror(errno));
		ATF_REQUIRE_MSG((uintptr_t)p[i] + len <= LOW_TOP, "mmap("
		    "NULL, %zu) without a hint returned %p, which ends above "
		    "2^47 (%#jx)", len, p[i], (uintmax_t)LOW_TOP);
	}
	for (size_t i = 0; i < 16; i++)
		ATF_REQUIRE(munmap(p[i], i % 2 ? big : ps) == 0);
#else
	atf_tc_skip("the 47-bit default applies to x86_64");
#endif
}

MC_TC(high_hint_maps_above_47_bits, "ADDR-2",
    "With 5-level paging, a hint above 47 bits (a free address) places "
    "the mapping at that hint, above 47 bits, and it is usable")
{
#if defined(__x86_64__)
	size_t ps = mc_pagesize();
	unsigned char *want = (unsigned char *)((uintptr_t)1 << 52);
	unsigned char *p;

	require_la57();
	p = mmap(want, 2 * ps, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ATF_REQUIRE_MSG(p != MAP_FAILED, "mmap(hint 2^52): %s",
	    strerror(errno));
	ATF_REQUIRE_MSG((uintptr_t)p >= LOW_TOP, "mmap(hint %p) on a 5-level "
	    "address space returned %p: below 2^47, the hint was not "
	    "honoured", (void *)want, (void *)p);
	p[0] = 0x11;
	p[ps] = 0x22;
	ATF_REQUIRE_MSG(p[0] == 0x11 && p[ps] == 0x22, "the mapping at %p "
	    "does not keep what was written", (void *)p);
	printf("hint %p -> %p\n", (void *)want, (void *)p);
	ATF_REQUIRE(munmap(p, 2 * ps) == 0);
#else
	atf_tc_skip("5-level paging (la57) is an x86_64 feature");
#endif
}

MC_TC(low_hint_stays_below_47_bits_on_la57, "ADDR-3",
    "With 5-level paging, a hint below 47 bits whose range is taken never "
    "sends the mapping above 47 bits: the kernel looks for room below")
{
#if defined(__x86_64__)
	size_t ps = mc_pagesize();
	unsigned char *taken = mc_map_anon(ps, PROT_NONE, MAP_PRIVATE);
	void *p;

	require_la57();
	p = mmap(taken, ps, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ATF_REQUIRE_MSG(p != MAP_FAILED, "mmap(hint %p, taken): %s",
	    (void *)taken, strerror(errno));
	ATF_REQUIRE_MSG(p != taken, "mmap with a taken hint returned the "
	    "hint %p itself", p);
	ATF_REQUIRE_MSG((uintptr_t)p < LOW_TOP, "mmap(hint %p below 2^47, "
	    "taken) returned %p: above 47 bits", (void *)taken, p);
	ATF_REQUIRE(munmap(p, ps) == 0);
	ATF_REQUIRE(munmap(taken, ps) == 0);
#else
	atf_tc_skip("5-level paging (la57) is an x86_64 feature");
#endif
}

MC_TC(fixed_above_47_bits_on_la57, "ADDR-4",
    "With 5-level paging, MAP_FIXED at an address above 47 bits maps "
    "exactly there; munmap and mprotect work on it like on any mapping")
{
#if defined(__x86_64__)
	size_t ps = mc_pagesize();
	unsigned char *want = (unsigned char *)((uintptr_t)1 << 50);
	unsigned char *p;

	require_la57();
	p = mmap(want, 2 * ps, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	ATF_REQUIRE_MSG(p == want, "mmap(MAP_FIXED_NOREPLACE, %p): got %p "
	    "(%s)", (void *)want, (void *)p, p == MAP_FAILED ?
	    strerror(errno) : "another address");
	p[ps] = 0x33;
	ATF_REQUIRE(mprotect(p + ps, ps, PROT_READ) == 0);
	MC_REQUIRE_FAULT(p + ps, MC_WRITE, SIGSEGV, SEGV_ACCERR);
	ATF_REQUIRE(munmap(p, ps) == 0);
	MC_REQUIRE_FAULT(p, MC_READ, SIGSEGV, SEGV_MAPERR);
	ATF_REQUIRE_EQ_MSG(p[ps], 0x33, "page 1 at %p reads %#x after munmap "
	    "of page 0, expected 0x33", (void *)(p + ps), p[ps]);
	ATF_REQUIRE(munmap(p + ps, ps) == 0);
#else
	atf_tc_skip("5-level paging (la57) is an x86_64 feature");
#endif
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, no_hint_stays_below_47_bits);
	ATF_TP_ADD_TC(tp, high_hint_maps_above_47_bits);
	ATF_TP_ADD_TC(tp, low_hint_stays_below_47_bits_on_la57);
	ATF_TP_ADD_TC(tp, fixed_above_47_bits_on_la57);
	return atf_no_error();
}
