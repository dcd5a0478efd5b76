/*
 * t_swap_advice: what madvise, mprotect and fork do to pages that are out
 * in swap. MADV_PAGEOUT (Linux 5.4+) puts a range's pages in swap on
 * demand; /proc/self/pagemap shows each page present (bit 63) or swapped
 * (bit 62), without privilege; smaps "Swap" counts a mapping's swap
 * entries; mincore(2) reports which pages are in memory.
 *
 * Every case needs swap (SwapTotal > 0 in /proc/meminfo), a cgroup that
 * lets the process swap, and MADV_PAGEOUT; without them it is skipped with
 * the probed reason. With them, MADV_PAGEOUT of the case's own pages must
 * swap them out, as in t_swap: a kernel that accepts the advice and swaps
 * nothing fails the case with the numbers it saw.
 *
 * The swap cache. After MADV_PAGEOUT a page's memory stays in the swap
 * cache while it is written to swap, and after that until reclaim looks
 * at it again; mincore reports such a page resident (it is in memory),
 * pagemap swapped (it is not mapped). Reading an anonymous page maps that
 * memory back without I/O; MADV_PAGEOUT of a page read back whose write to
 * swap has finished frees the memory at once (it is clean and its data is
 * in swap) and leaves the swap entry. pageout_uncached() repeats that,
 * bounded, until mincore reports none of the pages resident. Shared memory
 * cannot be helped so: reading a shmem page back moves it out of the swap
 * cache for good, so its pages stay resident after MADV_PAGEOUT wherever
 * the write to swap is not synchronous.
 *
 * MADV_PAGEOUT only takes pages that are on the LRU lists and mapped by
 * this process alone; a page just faulted in waits in a per-CPU batch:
 * each case keeps its thread on one CPU before it writes the pages.
 */
#include <sys/mman.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mc.h"
#include "mc_err.h"
#include "mc_proc.h"
#include "mc_swap.h"

/* Bounded waits: for the swap cache to let go, for a read from swap. */
#define EVICT_MS 5000
#define READIN_MS 5000
/* How long to look whether swapped shmem pages leave memory by themselves. */
#define SHMEM_SETTLE_MS 500
#define STEP_MS 10

/* ---- probes ----------------------------------------------------------- */

/* MADV_FREE (Linux 4.5+), probed like MADV_PAGEOUT in mc_swap.c. */
static void
require_madv_free(void)
{
	size_t ps = mc_pagesize();
	unsigned char *probe = mc_map_anon(ps, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE);

	probe[0] = 1;
	if (madvise(probe, ps, MADV_FREE) != 0) {
		int e = errno;

		if (e == EINVAL || e == ENOSYS)
			mc_skip_unsupported("MADV_FREE", e);
		ATF_REQUIRE_MSG(false, "madvise(MADV_FREE) of a written "
		    "private anonymous page: expected success, got %s",
		    mc_errname(e));
	}
	ATF_REQUIRE(munmap(probe, ps) == 0);
}

/* ---- pagemap, smaps, mincore ------------------------------------------ */

/*
 * Swap out the n private anonymous pages at p (page i holding
 * mc_pattern(first + i)) so that none is in memory: pagemap shows each
 * swapped and mincore none resident. A page whose memory stays in the swap
 * cache is read back (its data is checked) and paged out again, which
 * frees that memory once its write to swap has finished (see the top of
 * the file); for at most EVICT_MS. Returns whether mincore got to none
 * resident; the pages end swapped out either way (a page that cannot be
 * paged out again within EVICT_MS fails the case).
 */
static bool
pageout_uncached(unsigned char *p, size_t n, size_t first, const char *what)
{
	size_t ps = mc_pagesize(), k = 0;
	long deadline = mc_now_ms() + EVICT_MS, until;

	mc_pageout_all(p, n, what);
	for (;;) {
		if (mc_mincore_count(p, n * ps) == 0)
			return true;
		if (mc_now_ms() >= deadline)
			return false;
		mc_sleep_ms(STEP_MS);
		mc_require_patterns(p, n, first, "pages read back from swap "
		    "to page them out again");
		until = mc_now_ms() + EVICT_MS;
		for (;;) {
			ATF_REQUIRE_MSG(madvise(p, n * ps, MADV_PAGEOUT) == 0,
			    "madvise(%p, %zu pages, MADV_PAGEOUT) of pages "
			    "read back from swap: %s", p, n,
			    mc_errname(errno));
			k = mc_count_swapped(p, n);
			if (k == n || mc_now_ms() >= until)
				break;
			mc_sleep_ms(STEP_MS);
		}
		ATF_REQUIRE_MSG(k == n, "%s, read back from swap: after %d ms "
		    "of MADV_PAGEOUT calls pagemap shows %zu of %zu pages "
		    "swapped out; entries: %s; %s", what, EVICT_MS, k, n,
		    mc_pagemap_text(p, n), mc_swap_numbers());
	}
}

/*
 * Poll mincore over the n pages at p until it reports want of them
 * resident, for at most ms; returns the last count.
 */
static size_t
wait_resident(unsigned char *p, size_t n, size_t want, long ms)
{
	long deadline = mc_now_ms() + ms;
	size_t k;

	for (;;) {
		k = mc_mincore_count(p, n * mc_pagesize());
		if (k == want || mc_now_ms() >= deadline)
			return k;
		mc_sleep_ms(STEP_MS);
	}
}

/* ---- MADV_WILLNEED ---------------------------------------------------- */

MC_TC(willneed_reads_swapped_anon_back, "SWAP-8",
    "MADV_WILLNEED of swapped-out private anonymous pages is accepted and "
    "reads them back from swap: within a bounded wait mincore reports "
    "every page resident (where it reported none before), and the pages "
    "read their data and are present once touched")
{
	size_t ps = mc_pagesize(), n = 4, k, still;
	unsigned char *p;
	bool uncached;
	long kb;

	mc_require_swap_and_pageout();
	mc_require_smaps();
	mc_pin_to_current_cpu();
	p = mc_map_guarded(n, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1);
	mc_fill_patterns(p, n, 0);
	uncached = pageout_uncached(p, n, 0, "written private anonymous "
	    "pages");
	kb = mc_smaps_swap_kb(p);
	ATF_REQUIRE_EQ_MSG(kb, mc_kb_of_pages(n), "smaps Swap of %zu pages "
	    "that pagemap shows swapped: expected %ld kB, got %ld kB", n,
	    mc_kb_of_pages(n), kb);
	ATF_REQUIRE_MSG(madvise(p, n * ps, MADV_WILLNEED) == 0, "madvise(%p, "
	    "%zu pages, MADV_WILLNEED) of swapped-out private anonymous "
	    "pages: expected success, got %s", p, n, mc_errname(errno));
	k = wait_resident(p, n, n, READIN_MS);
	ATF_REQUIRE_EQ_MSG(k, n, "MADV_WILLNEED of %zu swapped-out pages "
	    "(mincore: %s resident before): after %d ms mincore reports %zu "
	    "resident; pagemap entries: %s", n, uncached ? "none" : "some",
	    READIN_MS, k, mc_pagemap_text(p, n));
	still = mc_count_swapped(p, n);
	mc_require_patterns(p, n, 0, "swapped-out pages after MADV_WILLNEED");
	for (size_t i = 0; i < n; i++) {
		uint64_t e = mc_pagemap(p + i * ps);
		ATF_REQUIRE_MSG(mc_pm_present(e), "page %zu read after "
		    "MADV_WILLNEED: expected present and not swapped, pagemap "
		    "entry %#jx", i, (uintmax_t)e);
	}
	mc_unmap_guarded(p, n);
	printf("after MADV_WILLNEED pagemap still showed %zu of %zu resident "
	    "pages swapped (read into the swap cache, not mapped)\n", still,
	    n);
	if (!uncached)
		printf("read-ahead not proved: the pages' memory stayed in the "
		    "swap cache (mincore: resident) for %d ms of MADV_PAGEOUT "
		    "before MADV_WILLNEED\n", EVICT_MS);
}

MC_TC(willneed_reads_swapped_shmem_back, "SWAP-9",
    "MADV_WILLNEED of swapped-out pages of a shared memfd mapping is "
    "accepted: within a bounded wait mincore reports every page resident "
    "(read back from swap where it reported them not resident before), and "
    "the pages read their data through read(2) and the mapping")
{
	size_t ps = mc_pagesize(), n = 4, k, before;
	unsigned char *p, *buf;
	long kb = 0;
	int fd;

	mc_require_swap_and_pageout();
	mc_require_smaps();
	mc_pin_to_current_cpu();
	fd = mc_make_memfd("mmapconf-swap-advice", n);
	p = mc_map_fd(fd, n * ps, PROT_READ | PROT_WRITE, MAP_SHARED, 0);
	mc_fill_patterns(p, n, 0); /* mapped: the advice takes mapped pages */
	mc_pageout_shared_all(p, n);
	for (size_t i = 0; i < n; i++) {
		uint64_t e = mc_pagemap(p + i * ps);
		ATF_REQUIRE_MSG(!(e & MC_PM_PRESENT), "shared page %zu counted "
		    "in smaps Swap: expected not present, pagemap entry %#jx",
		    i, (uintmax_t)e);
	}
	before = wait_resident(p, n, 0, SHMEM_SETTLE_MS);
	ATF_REQUIRE_MSG(madvise(p, n * ps, MADV_WILLNEED) == 0, "madvise(%p, "
	    "%zu pages, MADV_WILLNEED) of swapped-out shared memfd pages: "
	    "expected success, got %s", p, n, mc_errname(errno));
	k = wait_resident(p, n, n, READIN_MS);
	ATF_REQUIRE_EQ_MSG(k, n, "MADV_WILLNEED of %zu swapped-out shared "
	    "pages (mincore: %zu resident before): after %d ms mincore "
	    "reports %zu resident", n, before, READIN_MS, k);
	buf = malloc(ps);
	ATF_REQUIRE(buf != NULL);
	for (size_t i = 0; i < n; i++) {
		size_t bad;

		mc_pread_all(fd, buf, ps, (off_t)(i * ps));
		bad = mc_count_not(buf, ps, mc_pattern(i));
		ATF_REQUIRE_EQ_MSG(bad, 0, "read(2) of memfd page %zu after "
		    "MADV_WILLNEED: expected all %#x, %zu bytes differ", i,
		    mc_pattern(i), bad);
	}
	free(buf);
	mc_require_patterns(p, n, 0, "swapped-out shared pages after "
	    "MADV_WILLNEED");
	kb = mc_smaps_swap_kb(p);
	ATF_REQUIRE_EQ_MSG(kb, 0, "smaps Swap after every page was read: "
	    "expected 0 kB, got %ld kB", kb);
	ATF_REQUIRE(munmap(p, n * ps) == 0);
	close(fd);
	if (before != 0)
		printf("read-ahead not proved: mincore reported %zu of %zu "
		    "swapped-out shared pages resident for %d ms before "
		    "MADV_WILLNEED (their memory stays in the swap cache "
		    "while or after it is written to swap)\n", before, n,
		    SHMEM_SETTLE_MS);
}

/* ---- MADV_FREE -------------------------------------------------------- */

MC_TC(free_of_swapped_pages_drops_swap, "SWAP-10",
    "MADV_FREE of swapped-out private anonymous pages frees their swap at "
    "once: pagemap shows them neither present nor swapped, smaps Swap "
    "drops by their size, they read zeros and take writes; a swapped page "
    "outside the range stays swapped with its data")
{
	size_t ps = mc_pagesize(), n = 4, f = 3;
	unsigned char *p;
	long kb;

	mc_require_swap_and_pageout();
	require_madv_free();
	mc_require_smaps();
	p = mc_swapped_anon(n, "written private anonymous pages");
	kb = mc_smaps_swap_kb(p);
	ATF_REQUIRE_EQ_MSG(kb, mc_kb_of_pages(n), "smaps Swap of %zu pages "
	    "that pagemap shows swapped: expected %ld kB, got %ld kB", n,
	    mc_kb_of_pages(n), kb);
	ATF_REQUIRE_MSG(madvise(p, f * ps, MADV_FREE) == 0, "madvise(%p, %zu "
	    "pages, MADV_FREE) of swapped-out private anonymous pages: "
	    "expected success, got %s", p, f, mc_errname(errno));
	for (size_t i = 0; i < f; i++) {
		uint64_t e = mc_pagemap(p + i * ps);
		ATF_REQUIRE_MSG(mc_pm_none(e), "swapped-out page %zu after "
		    "MADV_FREE: expected its swap freed (pagemap: neither "
		    "present nor swapped), entry %#jx", i, (uintmax_t)e);
	}
	ATF_REQUIRE_MSG(mc_pm_swapped(mc_pagemap(p + f * ps)), "page %zu "
	    "(outside the MADV_FREE range): expected still swapped, pagemap "
	    "entry %#jx", f, (uintmax_t)mc_pagemap(p + f * ps));
	kb = mc_smaps_swap_kb(p);
	ATF_REQUIRE_EQ_MSG(kb, mc_kb_of_pages(n - f), "smaps Swap after "
	    "MADV_FREE of %zu of %zu swapped pages: expected %ld kB, got %ld "
	    "kB", f, n, mc_kb_of_pages(n - f), kb);
	mc_require_readable(p, f * ps, "the freed pages");
	for (size_t i = 0; i < f; i++) {
		size_t nz = mc_count_not(p + i * ps, ps, 0);
		ATF_REQUIRE_EQ_MSG(nz, 0, "page %zu, freed by MADV_FREE (no "
		    "page, no swap): expected a zero-filled page, %zu bytes "
		    "are not zero (%zu differ from the old data %#x)", i, nz,
		    mc_count_not(p + i * ps, ps, mc_pattern(i)),
		    mc_pattern(i));
	}
	mc_require_patterns(p + f * ps, n - f, f, "the swapped page outside "
	    "the MADV_FREE range");
	MC_REQUIRE_NO_FAULT(p, MC_WRITE);
	memset(p, 'w', ps);
	ATF_REQUIRE_MSG(mc_all_bytes(p, ps, 'w'), "freed page 0 written "
	    "again: %zu bytes are not the written 'w'", mc_count_not(p, ps,
	    'w'));
	mc_unmap_guarded(p, n);
}

/* ---- mprotect --------------------------------------------------------- */

MC_TC(mprotect_keeps_pages_swapped, "SWAP-11",
    "mprotect of swapped-out private anonymous pages to PROT_NONE, "
    "PROT_READ and back to PROT_READ|PROT_WRITE changes only their "
    "protection: the pages stay swapped (pagemap bit 62, smaps Swap) until "
    "touched, an access the protection forbids raises SIGSEGV/SEGV_ACCERR "
    "and leaves the page swapped, allowed reads return the data from "
    "before and a write after PROT_READ|PROT_WRITE sticks")
{
	size_t ps = mc_pagesize(), n = 4, r = 1, w = 2;
	unsigned char *p;
	uint64_t e;
	long kb;

	mc_require_swap_and_pageout();
	mc_require_smaps();
	p = mc_swapped_anon(n, "written private anonymous pages");

	ATF_REQUIRE_MSG(mprotect(p, n * ps, PROT_NONE) == 0, "mprotect(%p, "
	    "%zu pages, PROT_NONE) of swapped-out pages: %s", p, n,
	    mc_errname(errno));
	ATF_REQUIRE_EQ_MSG(mc_count_swapped(p, n), n, "after mprotect(PROT_NONE): "
	    "expected all %zu pages still swapped, pagemap entries: %s", n,
	    mc_pagemap_text(p, n));
	kb = mc_smaps_swap_kb(p);
	ATF_REQUIRE_EQ_MSG(kb, mc_kb_of_pages(n), "smaps Swap after "
	    "mprotect(PROT_NONE) of %zu swapped pages: expected %ld kB, got "
	    "%ld kB", n, mc_kb_of_pages(n), kb);
	MC_REQUIRE_FAULT(p, MC_READ, SIGSEGV, SEGV_ACCERR);
	e = mc_pagemap(p);
	ATF_REQUIRE_MSG(mc_pm_swapped(e), "page 0 after a read refused under "
	    "PROT_NONE: expected still swapped, pagemap entry %#jx",
	    (uintmax_t)e);

	ATF_REQUIRE_MSG(mprotect(p, n * ps, PROT_READ) == 0, "mprotect(%p, "
	    "%zu pages, PROT_READ) of swapped-out pages: %s", p, n,
	    mc_errname(errno));
	ATF_REQUIRE_EQ_MSG(mc_count_swapped(p, n), n, "after mprotect(PROT_READ): "
	    "expected all %zu pages still swapped, pagemap entries: %s", n,
	    mc_pagemap_text(p, n));
	MC_REQUIRE_FAULT(p + w * ps, MC_WRITE, SIGSEGV, SEGV_ACCERR);
	e = mc_pagemap(p + w * ps);
	ATF_REQUIRE_MSG(mc_pm_swapped(e), "page %zu after a write refused under "
	    "PROT_READ: expected still swapped, pagemap entry %#jx", w,
	    (uintmax_t)e);
	mc_require_patterns(p + r * ps, 1, r, "a swapped page read under "
	    "PROT_READ");
	e = mc_pagemap(p + r * ps);
	ATF_REQUIRE_MSG(mc_pm_present(e), "page %zu read under PROT_READ: "
	    "expected present, pagemap entry %#jx", r, (uintmax_t)e);

	ATF_REQUIRE_MSG(mprotect(p, n * ps, PROT_READ | PROT_WRITE) == 0,
	    "mprotect(%p, %zu pages, PROT_READ|PROT_WRITE): %s", p, n,
	    mc_errname(errno));
	for (size_t i = 0; i < n; i++) {
		e = mc_pagemap(p + i * ps);
		ATF_REQUIRE_MSG(i == r ? mc_pm_present(e) : mc_pm_swapped(e), "page "
		    "%zu after mprotect(PROT_READ|PROT_WRITE): expected %s as "
		    "before, pagemap entry %#jx", i, i == r ? "present" :
		    "swapped", (uintmax_t)e);
	}
	kb = mc_smaps_swap_kb(p);
	ATF_REQUIRE_EQ_MSG(kb, mc_kb_of_pages(n - 1), "smaps Swap with %zu of "
	    "%zu pages swapped after mprotect(PROT_READ|PROT_WRITE): expected "
	    "%ld kB, got %ld kB", n - 1, n, mc_kb_of_pages(n - 1), kb);
	MC_REQUIRE_NO_FAULT(p + w * ps, MC_WRITE);
	memset(p + w * ps, 'w', ps);
	ATF_REQUIRE_MSG(mc_all_bytes(p + w * ps, ps, 'w'), "page %zu written "
	    "after mprotect(PROT_READ|PROT_WRITE): %zu bytes are not the "
	    "written 'w'", w, mc_count_not(p + w * ps, ps, 'w'));
	mc_require_patterns(p, r + 1, 0, "pages 0 and 1 after the mprotect "
	    "calls");
	mc_require_patterns(p + (w + 1) * ps, n - w - 1, w + 1, "the last "
	    "page after the mprotect calls");
	kb = mc_smaps_swap_kb(p);
	ATF_REQUIRE_EQ_MSG(kb, 0, "smaps Swap after every page was touched: "
	    "expected 0 kB, got %ld kB", kb);
	mc_unmap_guarded(p, n);
}

/* ---- fork ------------------------------------------------------------- */

/*
 * Child of swapped_page_read_then_written_after_fork (no ATF), on the two
 * pages it inherited swapped: reads page 0 and sends how many bytes differ
 * from mc_pattern(0) and page 0's entry; on "go" (the parent wrote its
 * page 0) sends how many bytes of page 0 differ from mc_pattern(0) again;
 * on the next "go" (the parent read page 1) writes 'c' into page 1 and
 * sends how many bytes are not 'c'.
 */
static int
read_write_child(struct mc_child *self, void *arg)
{
	unsigned char *p = arg;
	size_t ps = mc_pagesize();

	mc_child_send_u64(self, mc_count_not(p, ps, mc_pattern(0)));
	mc_child_send_u64(self, mc_pagemap_or_max(p));
	(void)mc_child_recv_u64(self);
	mc_child_send_u64(self, mc_count_not(p, ps, mc_pattern(0)));
	(void)mc_child_recv_u64(self);
	memset(p + ps, 'c', ps);
	mc_child_send_u64(self, mc_count_not(p + ps, ps, 'c'));
	return 0;
}

MC_TC(swapped_page_read_then_written_after_fork, "SWAP-12",
    "After fork, a private anonymous page swapped out before fork that one "
    "process reads back is still copy-on-write for both: when the other "
    "process then writes its copy, the reader keeps reading the data from "
    "before fork and the writer reads its write (tried both ways: the "
    "child reads and the parent writes, the parent reads and the child "
    "writes)")
{
	size_t ps = mc_pagesize(), n = 2;
	unsigned char *p;
	struct mc_child ch;
	uint64_t go = 1, v, e;

	mc_require_swap_and_pageout();
	p = mc_swapped_anon(n, "the parent's written pages before fork");
	mc_spawn(&ch, read_write_child, p);

	/* page 0: the child reads it back, then the parent writes */
	mc_expect(&ch, &v, sizeof(v), "child's count of page 0");
	mc_expect(&ch, &e, sizeof(e), "child's page 0 entry after reading");
	ATF_REQUIRE_EQ_MSG(v, 0, "child reading its inherited swapped page 0: "
	    "expected the data from before fork (%#x), %ju bytes differ",
	    mc_pattern(0), (uintmax_t)v);
	ATF_REQUIRE_MSG(e != UINT64_MAX && mc_pm_present(e), "child's page 0 "
	    "after it read it: expected present, pagemap entry %#jx "
	    "(%#jx: unreadable)", (uintmax_t)e, (uintmax_t)UINT64_MAX);
	e = mc_pagemap(p);
	ATF_REQUIRE_MSG(mc_pm_swapped(e), "the parent's page 0 after the child "
	    "read it back (the parent did not touch it): expected still "
	    "swapped, pagemap entry %#jx", (uintmax_t)e);
	MC_REQUIRE_NO_FAULT(p, MC_WRITE);
	memset(p, 'p', ps);
	ATF_REQUIRE_MSG(mc_all_bytes(p, ps, 'p'), "the parent's page 0 after "
	    "its write: %zu bytes are not its 'p'", mc_count_not(p, ps, 'p'));
	mc_send(&ch, &go, sizeof(go));
	mc_expect(&ch, &v, sizeof(v), "child's count of page 0 after the "
	    "parent's write");
	ATF_REQUIRE_EQ_MSG(v, 0, "child's page 0, read back from swap, after "
	    "the parent wrote its copy: expected still the data from before "
	    "fork (%#x), %ju bytes differ", mc_pattern(0), (uintmax_t)v);

	/* page 1: the parent reads it back, then the child writes */
	mc_require_patterns(p + ps, 1, 1, "the parent's swapped page 1 read "
	    "back after fork");
	e = mc_pagemap(p + ps);
	ATF_REQUIRE_MSG(mc_pm_present(e), "the parent's page 1 after it read it: "
	    "expected present, pagemap entry %#jx", (uintmax_t)e);
	mc_send(&ch, &go, sizeof(go));
	mc_expect(&ch, &v, sizeof(v), "child's count of page 1 after its "
	    "write");
	mc_reap_ok(&ch);
	ATF_REQUIRE_EQ_MSG(v, 0, "child's page 1 after its write: %ju bytes "
	    "are not its 'c'", (uintmax_t)v);
	mc_require_patterns(p + ps, 1, 1, "the parent's page 1, read back "
	    "from swap, after the child wrote its copy");
	ATF_REQUIRE_MSG(mc_all_bytes(p, ps, 'p'), "the parent's page 0 at the "
	    "end: %zu bytes are not its 'p'", mc_count_not(p, ps, 'p'));
	mc_unmap_guarded(p, n);
}

/*
 * Child of free_after_fork_keeps_child_data (no ATF): reads page 2 and
 * sends how many bytes differ from mc_pattern(2); on "go" (the parent has
 * freed and reclaimed its copies) sends, for pages 0, 1 and 2, how many
 * bytes differ from mc_pattern(i).
 */
static int
free_fork_child(struct mc_child *self, void *arg)
{
	unsigned char *p = arg;
	size_t ps = mc_pagesize();

	mc_child_send_u64(self, mc_count_not(p + 2 * ps, ps, mc_pattern(2)));
	(void)mc_child_recv_u64(self);
	for (size_t i = 0; i < 3; i++)
		mc_child_send_u64(self, mc_count_not(p + i * ps, ps,
		    mc_pattern(i)));
	return 0;
}

MC_TC(free_after_fork_keeps_child_data, "SWAP-13",
    "After fork, MADV_FREE in the parent of private anonymous pages "
    "swapped out before fork (one untouched, one read back by the parent "
    "only, one read back by both), followed by reclaim (MADV_PAGEOUT) in "
    "the parent, leaves the child's copies alone: the child reads the data "
    "from before fork in each page, and each of the parent's pages reads "
    "its old data or zeros")
{
	size_t ps = mc_pagesize(), n = 3;
	unsigned char *p;
	struct mc_child ch;
	uint64_t go = 1, v;

	mc_require_swap_and_pageout();
	require_madv_free();
	p = mc_swapped_anon(n, "the parent's written pages before fork");
	mc_spawn(&ch, free_fork_child, p);
	mc_expect(&ch, &v, sizeof(v), "child's count of page 2");
	ATF_REQUIRE_EQ_MSG(v, 0, "child reading its inherited swapped page 2: "
	    "expected the data from before fork (%#x), %ju bytes differ",
	    mc_pattern(2), (uintmax_t)v);
	ATF_REQUIRE_EQ_MSG(mc_count_swapped(p, n), n, "the parent's pages, "
	    "untouched by it since fork: expected all %zu swapped, pagemap "
	    "entries: %s", n, mc_pagemap_text(p, n));
	mc_require_patterns(p + ps, 2, 1, "the parent's pages 1 and 2 read "
	    "back from swap after fork");
	ATF_REQUIRE_MSG(madvise(p, n * ps, MADV_FREE) == 0, "madvise(%p, %zu "
	    "pages, MADV_FREE) in the parent after fork: expected success, "
	    "got %s", p, n, mc_errname(errno));
	ATF_REQUIRE_MSG(madvise(p, n * ps, MADV_PAGEOUT) == 0, "madvise(%p, "
	    "%zu pages, MADV_PAGEOUT) in the parent after MADV_FREE: %s", p,
	    n, mc_errname(errno));
	mc_require_readable(p, n * ps, "the parent's pages after MADV_FREE "
	    "and MADV_PAGEOUT");
	for (size_t i = 0; i < n; i++) {
		size_t old = mc_count_not(p + i * ps, ps, mc_pattern(i));
		size_t nz = mc_count_not(p + i * ps, ps, 0);
		ATF_REQUIRE_MSG(old == 0 || nz == 0, "the parent's page %zu "
		    "after MADV_FREE and MADV_PAGEOUT: expected all %#x or all "
		    "zero, %zu bytes differ from the old data and %zu are not "
		    "zero", i, mc_pattern(i), old, nz);
	}
	mc_send(&ch, &go, sizeof(go));
	for (size_t i = 0; i < n; i++) {
		mc_expect(&ch, &v, sizeof(v), "child's count of a page after "
		    "the parent's MADV_FREE");
		ATF_REQUIRE_EQ_MSG(v, 0, "child's page %zu (%s) after the "
		    "parent's MADV_FREE and MADV_PAGEOUT: expected the data "
		    "from before fork (%#x), %ju bytes differ", i, i == 0 ?
		    "swapped in both, read back by neither" : i == 1 ?
		    "read back by the parent only" : "read back by both",
		    mc_pattern(i), (uintmax_t)v);
	}
	mc_reap_ok(&ch);
	mc_unmap_guarded(p, n);
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, willneed_reads_swapped_anon_back);
	ATF_TP_ADD_TC(tp, willneed_reads_swapped_shmem_back);
	ATF_TP_ADD_TC(tp, free_of_swapped_pages_drops_swap);
	ATF_TP_ADD_TC(tp, mprotect_keeps_pages_swapped);
	ATF_TP_ADD_TC(tp, swapped_page_read_then_written_after_fork);
	ATF_TP_ADD_TC(tp, free_after_fork_keeps_child_data);
	return atf_no_error();
}
