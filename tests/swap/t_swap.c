/*
 * t_swap: anonymous and shared memory going to swap and coming back, as
 * /proc shows it: MADV_PAGEOUT (Linux 5.4+) pushes the pages of a range
 * out on demand; /proc/self/pagemap tells for each page whether it is
 * present (bit 63) or in swap (bit 62), visible without privilege; smaps
 * "Swap" counts a mapping's swapped-out memory.
 *
 * Every case needs swap (SwapTotal > 0 in /proc/meminfo; swapon(2)) and
 * MADV_PAGEOUT (EINVAL: not in this kernel); without either it is skipped
 * with that reason. With both, MADV_PAGEOUT of the case's own pages must
 * swap them out: a kernel that accepts the advice and swaps nothing
 * (swap full, say) fails the case with the numbers it saw.
 *
 * MADV_PAGEOUT only takes pages that are on the LRU lists and mapped by
 * this process alone. A page that was just faulted in waits in a per-CPU
 * batch before it joins the LRU, and the advice drains only the batch of
 * the CPU it runs on: each case keeps its thread on one CPU before it
 * writes the pages (pin_to_current_cpu), and asks up to MC_PAGEOUT_ROUNDS
 * times, since the advice may skip a page that reclaim was busy with.
 */
#include <sys/mman.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mc.h"
#include "mc_err.h"
#include "mc_proc.h"
#include "mc_swap.h"


/* ---- private anonymous memory ----------------------------------------- */

MC_TC(pageout_private_anon_swaps_out_and_in, "SWAP-1",
    "MADV_PAGEOUT of written private anonymous pages with swap on puts them "
    "in swap (pagemap: not present, swapped; smaps Swap grows by their "
    "size); reading them brings their data back and they are present "
    "again")
{
	size_t ps = mc_pagesize(), n = 4;
	unsigned char *p;
	long kb;

	mc_require_swap_and_pageout();
	mc_require_smaps();
	mc_pin_to_current_cpu();
	p = mc_map_guarded(n, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1);
	mc_fill_patterns(p, n, 0);
	for (size_t i = 0; i < n; i++) {
		uint64_t e = mc_pagemap(p + i * ps);
		ATF_REQUIRE_MSG(mc_pm_present(e), "written page %zu: expected "
		    "present and not swapped, pagemap entry %#jx", i,
		    (uintmax_t)e);
	}
	kb = mc_smaps_swap_kb(p);
	ATF_REQUIRE_EQ_MSG(kb, 0, "smaps Swap before MADV_PAGEOUT: expected "
	    "0 kB, got %ld kB", kb);
	mc_pageout_all(p, n, "written private anonymous pages");
	kb = mc_smaps_swap_kb(p);
	ATF_REQUIRE_EQ_MSG(kb, mc_kb_of_pages(n), "smaps Swap after "
	    "MADV_PAGEOUT of %zu pages that pagemap shows swapped: expected "
	    "%ld kB, got %ld kB", n, mc_kb_of_pages(n), kb);
	mc_require_patterns(p, n, 0, "swapped-out pages read back");
	for (size_t i = 0; i < n; i++) {
		uint64_t e = mc_pagemap(p + i * ps);
		ATF_REQUIRE_MSG(mc_pm_present(e), "page %zu read back from swap: "
		    "expected present and not swapped, pagemap entry %#jx", i,
		    (uintmax_t)e);
	}
	kb = mc_smaps_swap_kb(p);
	ATF_REQUIRE_EQ_MSG(kb, 0, "smaps Swap after every page was read "
	    "back: expected 0 kB, got %ld kB", kb);
	mc_unmap_guarded(p, n);
}

MC_TC(write_to_swapped_page_makes_it_present, "SWAP-2",
    "Writing one swapped-out private anonymous page makes that page present "
    "(not swapped, exclusively mapped) with the written data, while the "
    "other pages of the range stay swapped until touched and then read "
    "their data")
{
	size_t ps = mc_pagesize(), n = 4, w = 1;
	unsigned char *p;
	uint64_t e;
	long kb;

	mc_require_swap_and_pageout();
	mc_require_smaps();
	p = mc_swapped_anon(n, "written private anonymous pages");
	MC_REQUIRE_NO_FAULT(p + w * ps, MC_WRITE);
	memset(p + w * ps, 'w', ps);
	e = mc_pagemap(p + w * ps);
	ATF_REQUIRE_MSG(mc_pm_present(e) && (e & MC_PM_EXCLUSIVE), "the swapped "
	    "page %zu after a write: expected present, not swapped and "
	    "exclusively mapped (bits 63 and 56), pagemap entry %#jx", w,
	    (uintmax_t)e);
	ATF_REQUIRE_MSG(mc_all_bytes(p + w * ps, ps, 'w'), "the written page: "
	    "%zu bytes are not the written 'w'", mc_count_not(p + w * ps, ps,
	    'w'));
	for (size_t i = 0; i < n; i++) {
		if (i == w)
			continue;
		e = mc_pagemap(p + i * ps);
		ATF_REQUIRE_MSG(mc_pm_swapped(e), "page %zu, not touched since "
		    "MADV_PAGEOUT, after page %zu was written: expected still "
		    "swapped, pagemap entry %#jx", i, w, (uintmax_t)e);
	}
	kb = mc_smaps_swap_kb(p);
	ATF_REQUIRE_EQ_MSG(kb, mc_kb_of_pages(n - 1), "smaps Swap with %zu "
	    "of %zu pages swapped: expected %ld kB, got %ld kB", n - 1, n,
	    mc_kb_of_pages(n - 1), kb);
	mc_require_patterns(p, w, 0, "the untouched pages before the written "
	    "one");
	mc_require_patterns(p + (w + 1) * ps, n - w - 1, w + 1, "the "
	    "untouched pages after the written one");
	mc_unmap_guarded(p, n);
}

static int
cow_child(struct mc_child *self, void *arg)
{
	unsigned char *p = arg;
	size_t ps = mc_pagesize();

	mc_child_send_u64(self, mc_pagemap_or_max(p));
	mc_child_send_u64(self, mc_pagemap_or_max(p + ps));
	(void)mc_child_recv_u64(self);
	memset(p, 'c', ps);
	mc_child_send_u64(self, mc_count_not(p, ps, 'c'));
	mc_child_send_u64(self, mc_pagemap_or_max(p));
	(void)mc_child_recv_u64(self);
	mc_child_send_u64(self, mc_count_not(p + ps, ps, mc_pattern(1)));
	return 0;
}

MC_TC(swapped_page_cow_after_fork, "SWAP-3",
    "Private anonymous pages swapped out before fork are inherited swapped "
    "(the child's pagemap shows them swapped, with the same swap entry "
    "where visible) and stay copy-on-write: a page the child writes "
    "changes only the child's copy, a page the parent writes only the "
    "parent's, each side reads its own data")
{
	size_t ps = mc_pagesize(), n = 2;
	unsigned char *p;
	struct mc_child ch;
	uint64_t ce[2], pe[2], go = 1, v, e;
	bool entries;

	mc_require_swap_and_pageout();
	entries = mc_pfns_visible(NULL);
	p = mc_swapped_anon(n, "the parent's written pages before fork");
	pe[0] = mc_pagemap(p);
	pe[1] = mc_pagemap(p + ps);
	mc_spawn(&ch, cow_child, p);
	mc_expect(&ch, &ce[0], sizeof(ce[0]), "child's page 0 entry");
	mc_expect(&ch, &ce[1], sizeof(ce[1]), "child's page 1 entry");
	for (size_t i = 0; i < n; i++) {
		ATF_REQUIRE_MSG(ce[i] != UINT64_MAX, "the child could not read "
		    "its pagemap");
		ATF_REQUIRE_MSG(mc_pm_swapped(ce[i]), "child's inherited page %zu "
		    "(swapped in the parent before fork, untouched): expected "
		    "swapped, pagemap entry %#jx", i, (uintmax_t)ce[i]);
		/* Bits 0-54: the swap type and offset, hidden (0) without
		 * CAP_SYS_ADMIN: then the shared slot cannot be seen. */
		if (entries)
			ATF_REQUIRE_MSG(MC_PM_PFN(ce[i]) == MC_PM_PFN(pe[i]),
			    "page %zu: the child's swap entry %#jx is not the "
			    "parent's %#jx", i, (uintmax_t)MC_PM_PFN(ce[i]),
			    (uintmax_t)MC_PM_PFN(pe[i]));
	}
	mc_send(&ch, &go, sizeof(go));
	mc_expect(&ch, &v, sizeof(v), "child's count after writing page 0");
	mc_expect(&ch, &e, sizeof(e), "child's page 0 entry after writing");
	ATF_REQUIRE_EQ_MSG(v, 0, "child: %ju bytes of the page it wrote are "
	    "not its 'c'", (uintmax_t)v);
	ATF_REQUIRE_MSG(e != UINT64_MAX && mc_pm_present(e), "child's page 0 "
	    "after its write: expected present, pagemap entry %#jx",
	    (uintmax_t)e);
	e = mc_pagemap(p);
	ATF_REQUIRE_MSG(mc_pm_swapped(e), "the parent's page 0 after the child "
	    "wrote its copy: expected still swapped (the parent did not touch "
	    "it), pagemap entry %#jx", (uintmax_t)e);
	mc_require_patterns(p, 1, 0, "the parent's page 0 after the child "
	    "wrote its copy");
	MC_REQUIRE_NO_FAULT(p + ps, MC_WRITE);
	memset(p + ps, 'p', ps);
	mc_send(&ch, &go, sizeof(go));
	mc_expect(&ch, &v, sizeof(v), "child's count of page 1");
	mc_reap_ok(&ch);
	ATF_REQUIRE_EQ_MSG(v, 0, "child's page 1 after the parent wrote its "
	    "copy: expected the data from before fork (%#x), %ju bytes "
	    "differ", mc_pattern(1), (uintmax_t)v);
	ATF_REQUIRE_MSG(mc_all_bytes(p + ps, ps, 'p'), "the parent's page 1: "
	    "%zu bytes are not its 'p'", mc_count_not(p + ps, ps, 'p'));
	mc_unmap_guarded(p, n);
}

MC_TC(dontneed_swapped_pages_frees_them, "SWAP-4",
    "MADV_DONTNEED of swapped-out private anonymous pages discards them: "
    "pagemap shows them neither present nor swapped, smaps Swap drops by "
    "their size, and they read zeros; swapped pages outside the range keep "
    "their data")
{
	size_t ps = mc_pagesize(), n = 3, d = 2;
	unsigned char *p;
	long kb;

	mc_require_swap_and_pageout();
	mc_require_smaps();
	p = mc_swapped_anon(n, "written private anonymous pages");
	ATF_REQUIRE_MSG(madvise(p, d * ps, MADV_DONTNEED) == 0, "madvise("
	    "MADV_DONTNEED) of %zu swapped pages: %s", d, mc_errname(errno));
	for (size_t i = 0; i < d; i++) {
		uint64_t e = mc_pagemap(p + i * ps);
		ATF_REQUIRE_MSG(!(e & (MC_PM_PRESENT | MC_PM_SWAP)), "swapped "
		    "page %zu after MADV_DONTNEED: expected neither present "
		    "nor swapped, pagemap entry %#jx", i, (uintmax_t)e);
	}
	ATF_REQUIRE_MSG(mc_pm_swapped(mc_pagemap(p + d * ps)), "page %zu "
	    "(outside the MADV_DONTNEED range): expected still swapped, "
	    "pagemap entry %#jx", d, (uintmax_t)mc_pagemap(p + d * ps));
	kb = mc_smaps_swap_kb(p);
	ATF_REQUIRE_EQ_MSG(kb, mc_kb_of_pages(n - d), "smaps Swap after "
	    "MADV_DONTNEED of %zu of %zu swapped pages: expected %ld kB, got "
	    "%ld kB", d, n, mc_kb_of_pages(n - d), kb);
	mc_require_readable(p, d * ps, "the discarded pages");
	ATF_REQUIRE_EQ_MSG(mc_count_not(p, d * ps, 0), 0, "discarded pages: "
	    "expected zeros, %zu bytes are not zero", mc_count_not(p,
	    d * ps, 0));
	mc_require_patterns(p + d * ps, n - d, d, "the swapped page outside "
	    "the range");
	mc_unmap_guarded(p, n);
}

MC_TC(mremap_moves_swapped_pages, "SWAP-5",
    "mremap moving private anonymous pages that are swapped out moves them "
    "swapped: at the new address pagemap shows them swapped, smaps Swap of "
    "the new mapping counts them, and they read their data back")
{
	size_t ps = mc_pagesize(), n = 3;
	unsigned char *p, *hole, *q;
	long kb;

	mc_require_swap_and_pageout();
	mc_require_smaps();
	p = mc_swapped_anon(n, "written private anonymous pages");
	/* A hole with a free page on either side: the moved mapping is a
	 * VMA of its own. */
	hole = mc_free_hole(n + 2);
	q = mremap(p, n * ps, n * ps, MREMAP_MAYMOVE | MREMAP_FIXED,
	    hole + ps);
	ATF_REQUIRE_MSG(q == hole + ps, "mremap(%p, %zu pages, MAYMOVE|FIXED "
	    "to %p): got %p, %s", p, n, hole + ps, q, mc_errname(errno));
	for (size_t i = 0; i < n; i++) {
		uint64_t e = mc_pagemap(q + i * ps);
		ATF_REQUIRE_MSG(mc_pm_swapped(e), "moved page %zu at %p: expected "
		    "swapped as before the move, pagemap entry %#jx", i,
		    q + i * ps, (uintmax_t)e);
	}
	kb = mc_smaps_swap_kb(q);
	ATF_REQUIRE_EQ_MSG(kb, mc_kb_of_pages(n), "smaps Swap of the moved "
	    "mapping: expected %ld kB, got %ld kB", mc_kb_of_pages(n), kb);
	mc_require_patterns(q, n, 0, "moved swapped pages read back");
	ATF_REQUIRE(munmap(q, n * ps) == 0);
	/* the guard pages stay behind at the old place */
	ATF_REQUIRE(munmap(p - ps, ps) == 0);
	ATF_REQUIRE(munmap(p + n * ps, ps) == 0);
}

/* ---- locked memory ---------------------------------------------------- */

MC_TC(locked_pages_stay_until_unlocked, "SWAP-6",
    "Locked pages are not paged out even with swap on: MADV_PAGEOUT of "
    "mlock'ed pages fails with EINVAL and pagemap shows them present, none "
    "swapped; after munlock the same MADV_PAGEOUT swaps them out and they "
    "read their data back")
{
	size_t ps = mc_pagesize(), n = 2;
	unsigned char *p;

	mc_require_swap_and_pageout();
	mc_pin_to_current_cpu();
	p = mc_map_guarded(n, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1);
	mc_fill_patterns(p, n, 0);
	mc_mlock_or_skip(p, n * ps);
	MC_REQUIRE_ERR(madvise(p, n * ps, MADV_PAGEOUT), EINVAL,
	    "madvise(MADV_PAGEOUT) of locked pages");
	for (size_t i = 0; i < n; i++) {
		uint64_t e = mc_pagemap(p + i * ps);
		ATF_REQUIRE_MSG(mc_pm_present(e), "locked page %zu after "
		    "MADV_PAGEOUT with swap on: expected present, not swapped, "
		    "pagemap entry %#jx", i, (uintmax_t)e);
	}
	ATF_REQUIRE_MSG(munlock(p, n * ps) == 0, "munlock: %s",
	    mc_errname(errno));
	mc_pageout_all(p, n, "the pages after munlock");
	mc_require_patterns(p, n, 0, "unlocked pages read back from swap");
	mc_unmap_guarded(p, n);
}

/* ---- shared memory ---------------------------------------------------- */

/*
 * Child of shmem_pageout_swaps_out_shared (no ATF): maps the memfd it
 * inherited by itself, reads every page, sends the number of bytes that
 * differ from mc_pattern(i), then how many pages pagemap shows present
 * (UINT64_MAX when the mapping or pagemap failed).
 */
struct shm_arg {
	int fd;
	size_t n;
};

static int
shm_reader_child(struct mc_child *self, void *arg)
{
	struct shm_arg *a = arg;
	size_t ps = mc_pagesize();
	uint64_t bad = 0, present = 0, e;
	unsigned char *q = mmap(NULL, a->n * ps, PROT_READ, MAP_SHARED, a->fd,
	    0);

	if (q == MAP_FAILED) {
		mc_child_send_u64(self, UINT64_MAX);
		mc_child_send_u64(self, UINT64_MAX);
		return 0;
	}
	for (size_t i = 0; i < a->n; i++)
		bad += mc_count_not(q + i * ps, ps, mc_pattern(i));
	for (size_t i = 0; i < a->n; i++) {
		if (!mc_pagemap_try(q + i * ps, &e)) {
			present = UINT64_MAX;
			break;
		}
		present += (e & MC_PM_PRESENT) != 0;
	}
	mc_child_send_u64(self, bad);
	mc_child_send_u64(self, present);
	return 0;
}

MC_TC(shmem_pageout_swaps_out_shared, "SWAP-7",
    "MADV_PAGEOUT of written pages of a shared memfd mapping with swap on "
    "puts them in swap: smaps Swap of the mapping counts them and pagemap "
    "shows them not present; another process mapping the memfd reads their "
    "data, which brings them back for both (Swap drops to 0)")
{
	size_t ps = mc_pagesize(), n = 4, bit62 = 0;
	struct shm_arg sa;
	struct mc_child ch;
	unsigned char *p;
	uint64_t bad, present;
	long kb = 0;
	int fd;

	mc_require_swap_and_pageout();
	mc_require_smaps();
	mc_pin_to_current_cpu();
	fd = mc_make_memfd("mmapconf-swap", n);
	p = mc_map_fd(fd, n * ps, PROT_READ | PROT_WRITE, MAP_SHARED, 0);
	mc_fill_patterns(p, n, 0); /* written and mapped: the advice takes
				    * only mapped pages */
	kb = mc_smaps_swap_kb(p);
	ATF_REQUIRE_EQ_MSG(kb, 0, "smaps Swap before MADV_PAGEOUT: expected "
	    "0 kB, got %ld kB", kb);
	mc_pageout_shared_all(p, n);
	/*
	 * pagemap.rst ("Exceptions for Shared Memory"): the page table entry
	 * of a shared page is cleared when it is swapped out, so bit 62 need
	 * not be set; not present it must be.
	 */
	for (size_t i = 0; i < n; i++) {
		uint64_t e = mc_pagemap(p + i * ps);
		ATF_REQUIRE_MSG(!(e & MC_PM_PRESENT), "shared page %zu counted "
		    "in smaps Swap: expected not present, pagemap entry %#jx",
		    i, (uintmax_t)e);
		bit62 += (e & MC_PM_SWAP) != 0;
	}
	sa.fd = fd;
	sa.n = n;
	mc_spawn(&ch, shm_reader_child, &sa);
	mc_expect(&ch, &bad, sizeof(bad), "child's count of bytes");
	mc_expect(&ch, &present, sizeof(present), "child's present pages");
	mc_reap_ok(&ch);
	ATF_REQUIRE_MSG(bad != UINT64_MAX, "the child could not map the "
	    "memfd");
	ATF_REQUIRE_EQ_MSG(bad, 0, "another process mapping the memfd: %ju "
	    "bytes of the swapped-out pages differ from what was written",
	    (uintmax_t)bad);
	ATF_REQUIRE_EQ_MSG(present, n, "another process after reading the "
	    "%zu pages: expected them present in its pagemap, %ju are "
	    "(%ju = pagemap unreadable)", n, (uintmax_t)present,
	    (uintmax_t)UINT64_MAX);
	kb = mc_smaps_swap_kb(p);
	ATF_REQUIRE_EQ_MSG(kb, 0, "smaps Swap of this process's mapping after "
	    "the other process read every page back: expected 0 kB (one "
	    "shared object, in memory again), got %ld kB", kb);
	mc_require_patterns(p, n, 0, "this process's shared pages after the "
	    "other process read them back");
	ATF_REQUIRE(munmap(p, n * ps) == 0);
	close(fd);
	printf("pagemap showed bit 62 (swapped) for %zu of %zu swapped-out "
	    "shared pages (not promised for shared memory)\n", bit62, n);
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, pageout_private_anon_swaps_out_and_in);
	ATF_TP_ADD_TC(tp, write_to_swapped_page_makes_it_present);
	ATF_TP_ADD_TC(tp, swapped_page_cow_after_fork);
	ATF_TP_ADD_TC(tp, dontneed_swapped_pages_frees_them);
	ATF_TP_ADD_TC(tp, mremap_moves_swapped_pages);
	ATF_TP_ADD_TC(tp, locked_pages_stay_until_unlocked);
	ATF_TP_ADD_TC(tp, shmem_pageout_swaps_out_shared);
	return atf_no_error();
}
