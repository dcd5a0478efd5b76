/*
 * mc_swap.c - swap for the test programs: see mc_swap.h.
 */
#include <sys/mman.h>

#include <errno.h>
#include <stdio.h>

#include "mc.h"
#include "mc_err.h"
#include "mc_proc.h"
#include "mc_swap.h"

void
mc_require_swap_and_pageout(void)
{
	size_t ps = mc_pagesize();
	long total = mc_meminfo("SwapTotal");
	char path[4200];
	unsigned char *probe;

	if (total < 0)
		atf_tc_skip("/proc/meminfo has no SwapTotal: whether swap is "
		    "on cannot be told");
	if (total == 0)
		atf_tc_skip("no swap: SwapTotal 0 in /proc/meminfo (swapon(2) "
		    "a swap area to run the swap cases)");
	if (mc_cgroup_forbids_swap(path, sizeof(path)))
		atf_tc_skip("this process may not swap: %s is 0 (cgroup v2)",
		    path);
	probe = mc_map_anon(ps, PROT_READ | PROT_WRITE, MAP_PRIVATE);
	probe[0] = 1;
	if (madvise(probe, ps, MADV_PAGEOUT) != 0) {
		int e = errno;

		if (e == EINVAL || e == ENOSYS)
			mc_skip_unsupported("MADV_PAGEOUT", e);
		ATF_REQUIRE_MSG(false, "madvise(MADV_PAGEOUT) of a written "
		    "private anonymous page: expected success, got %s",
		    mc_errname(e));
	}
	ATF_REQUIRE(munmap(probe, ps) == 0);
}

size_t
mc_count_swapped(const unsigned char *p, size_t n)
{
	size_t ps = mc_pagesize(), k = 0;

	for (size_t i = 0; i < n; i++)
		k += mc_pm_swapped(mc_pagemap(p + i * ps));
	return k;
}

const char *
mc_swap_numbers(void)
{
	static char buf[96];

	snprintf(buf, sizeof(buf), "SwapTotal %ld kB, SwapFree %ld kB",
	    mc_meminfo("SwapTotal"), mc_meminfo("SwapFree"));
	return buf;
}

const char *
mc_pagemap_text(const unsigned char *p, size_t n)
{
	static char buf[8 * 24 + 1];
	size_t ps = mc_pagesize(), off = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < n && i < 8; i++)
		off += (size_t)snprintf(buf + off, sizeof(buf) - off, "%s%#jx",
		    i ? " " : "", (uintmax_t)mc_pagemap(p + i * ps));
	return buf;
}

void
mc_pageout_all(unsigned char *p, size_t n, const char *what)
{
	size_t ps = mc_pagesize(), k = 0;

	for (int round = 1; round <= MC_PAGEOUT_ROUNDS; round++) {
		ATF_REQUIRE_MSG(madvise(p, n * ps, MADV_PAGEOUT) == 0,
		    "madvise(%p, %zu pages, MADV_PAGEOUT) of %s: %s",
		    (void *)p, n, what, mc_errname(errno));
		k = mc_count_swapped(p, n);
		if (k == n)
			return;
	}
	ATF_REQUIRE_MSG(false, "%s: after %d MADV_PAGEOUT calls with swap on "
	    "pagemap shows %zu of %zu pages swapped out (bit 62 set, bit 63 "
	    "clear); entries: %s; %s", what, MC_PAGEOUT_ROUNDS, k, n,
	    mc_pagemap_text(p, n), mc_swap_numbers());
}

unsigned char *
mc_swapped_anon(size_t n, const char *what)
{
	unsigned char *p;

	mc_pin_to_current_cpu();
	p = mc_map_guarded(n, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1);
	mc_fill_patterns(p, n, 0);
	mc_pageout_all(p, n, what);
	return p;
}

void
mc_pageout_shared_all(unsigned char *p, size_t n)
{
	size_t ps = mc_pagesize();
	long kb = -1;

	for (int round = 1; round <= MC_PAGEOUT_ROUNDS; round++) {
		ATF_REQUIRE_MSG(madvise(p, n * ps, MADV_PAGEOUT) == 0,
		    "madvise(MADV_PAGEOUT) of a shared memfd mapping: %s",
		    mc_errname(errno));
		kb = mc_smaps_swap_kb(p);
		if (kb == mc_kb_of_pages(n))
			return;
	}
	ATF_REQUIRE_EQ_MSG(kb, mc_kb_of_pages(n), "smaps Swap of the shared "
	    "memfd mapping after %d MADV_PAGEOUT calls with swap on: expected "
	    "%ld kB (all %zu pages), got %ld kB; pagemap entries: %s; %s",
	    MC_PAGEOUT_ROUNDS, mc_kb_of_pages(n), n, kb, mc_pagemap_text(p, n),
	    mc_swap_numbers());
}

long
mc_smaps_swap_kb(const void *p)
{
	long kb = mc_smaps_kb(p, "Swap");

	ATF_REQUIRE_MSG(kb >= 0, "smaps of the mapping at %p has no Swap "
	    "field", p);
	return kb;
}

uint64_t
mc_pagemap_or_max(const void *addr)
{
	uint64_t e;

	return mc_pagemap_try(addr, &e) ? e : UINT64_MAX;
}
