/*
 * t_mremap: mremap(2) semantics: growing in place, shrinking, moving
 * (MREMAP_MAYMOVE, MREMAP_FIXED, MREMAP_DONTUNMAP), duplicating a shared
 * mapping (old_size 0), copy-on-write across a move, locks kept across a
 * resize, and the errors.
 *
 * Placement agnostic: room for growth is made by reserving a larger
 * PROT_NONE region and unmapping part of it; "no room" by leaving a
 * PROT_NONE mapping right after the one that should grow.
 */
#include <sys/mman.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "mc.h"
#include "mc_err.h"
#include "mc_proc.h"

/* ---- helpers ------------------------------------------------------------ */

/*
 * n pages of private anonymous memory, page i filled with mc_pattern(i),
 * followed by 'after' pages of PROT_NONE (a guard that blocks growth in
 * place; 0 for none).
 */
static unsigned char *
map_filled(size_t n, size_t after)
{
	size_t ps = mc_pagesize();
	unsigned char *r = mc_map_anon((n + after) * ps, PROT_NONE,
	    MAP_PRIVATE);

	ATF_REQUIRE_MSG(mprotect(r, n * ps, PROT_READ | PROT_WRITE) == 0,
	    "mprotect: %s", strerror(errno));
	for (size_t i = 0; i < n; i++)
		memset(r + i * ps, mc_pattern(i), ps);
	return r;
}

/*
 * n filled pages with 'room' free (unmapped) pages right after them:
 * reserve n + room pages, then unmap the tail.
 */
static unsigned char *
map_with_room(size_t n, size_t room)
{
	size_t ps = mc_pagesize();
	unsigned char *p = map_filled(n, room);

	ATF_REQUIRE_MSG(munmap(p + n * ps, room * ps) == 0, "munmap(room): "
	    "%s", strerror(errno));
	return p;
}

/* MREMAP_DONTUNMAP (5.7+) on a private anonymous mapping, or skip. */
static void *
dontunmap_or_skip(void *old, size_t len)
{
	/*
	 * The fifth argument is passed although it is only a hint here:
	 * since the 6.17 rework Linux validates new_address whenever
	 * MREMAP_DONTUNMAP is set, and glibc's variadic mremap() would
	 * otherwise pass whatever the register holds.
	 */
	void *q = mremap(old, len, len, MREMAP_MAYMOVE | MREMAP_DONTUNMAP,
	    NULL);

	if (q == MAP_FAILED && (errno == EINVAL || errno == ENOSYS))
		mc_skip_unsupported("MREMAP_DONTUNMAP", errno);
	ATF_REQUIRE_MSG(q != MAP_FAILED, "mremap(MREMAP_MAYMOVE|"
	    "MREMAP_DONTUNMAP) of a private anonymous mapping: %s",
	    strerror(errno));
	return q;
}

/* ---- resizing --------------------------------------------------------- */

MC_TC(grow_in_place_when_room, "MREMAP-1",
    "A mapping followed by free address space grows in place: same "
    "address, old contents kept, the new pages zero-filled and usable")
{
	size_t ps = mc_pagesize();
	unsigned char *p = map_with_room(2, 2);
	unsigned char *q = mremap(p, 2 * ps, 4 * ps, 0);
	uintptr_t s, e;

	ATF_REQUIRE_MSG(q != MAP_FAILED, "mremap(2 -> 4 pages, no flags) "
	    "with 2 free pages after the mapping: %s", strerror(errno));
	ATF_REQUIRE_EQ_MSG(q, p, "grown in place: expected %p, got %p",
	    (void *)p, (void *)q);
	mc_require_patterns(q, 2, 0, "old pages after growing");
	mc_require_readable(q + 2 * ps, 2 * ps, "new pages after growing");
	for (size_t i = 2; i < 4; i++) {
		ATF_REQUIRE_EQ_MSG(mc_count_not(q + i * ps, ps, 0), 0,
		    "new page %zu: expected zeros", i);
		MC_REQUIRE_NO_FAULT(q + i * ps, MC_WRITE);
	}
	ATF_REQUIRE(mc_maps_range(q, &s, &e));
	ATF_REQUIRE_MSG(s <= (uintptr_t)q && e >= (uintptr_t)(q + 4 * ps),
	    "/proc/self/maps: expected one mapping covering %p-%p, got "
	    "%#jx-%#jx", (void *)q, (void *)(q + 4 * ps), (uintmax_t)s,
	    (uintmax_t)e);
	ATF_REQUIRE(munmap(q, 4 * ps) == 0);
}

MC_TC(shrink_unmaps_tail, "MREMAP-2",
    "Shrinking keeps the address and the head's contents and unmaps the "
    "tail (SIGSEGV/SEGV_MAPERR)")
{
	size_t ps = mc_pagesize();
	unsigned char *p = map_filled(4, 0);
	unsigned char *q = mremap(p, 4 * ps, 2 * ps, 0);

	ATF_REQUIRE_MSG(q != MAP_FAILED, "mremap(4 -> 2 pages): %s",
	    strerror(errno));
	ATF_REQUIRE_EQ_MSG(q, p, "shrunk mapping moved: expected %p, got %p",
	    (void *)p, (void *)q);
	mc_require_patterns(q, 2, 0, "head after shrinking");
	MC_REQUIRE_FAULT(p + 2 * ps, MC_READ, SIGSEGV, SEGV_MAPERR);
	MC_REQUIRE_FAULT(p + 3 * ps, MC_READ, SIGSEGV, SEGV_MAPERR);
	ATF_REQUIRE(munmap(q, 2 * ps) == 0);
}

MC_TC(maymove_moves_when_blocked, "MREMAP-3",
    "With MREMAP_MAYMOVE a mapping that cannot grow in place moves: new "
    "address, same contents and physical pages, old range unmapped")
{
	size_t ps = mc_pagesize();
	unsigned char *p = map_filled(2, 1); /* PROT_NONE guard after it */
	uint64_t pfn[2];
	unsigned char *q;

	for (size_t i = 0; i < 2; i++)
		pfn[i] = mc_pfn_try(p + i * ps);
	q = mremap(p, 2 * ps, 4 * ps, MREMAP_MAYMOVE);
	ATF_REQUIRE_MSG(q != MAP_FAILED, "mremap(2 -> 4 pages, MAYMOVE) with "
	    "a guard after the mapping: %s", strerror(errno));
	ATF_REQUIRE_MSG(q != p, "the mapping grew in place over its guard "
	    "page at %p", (void *)(p + 2 * ps));
	mc_require_patterns(q, 2, 0, "moved pages");
	mc_require_readable(q + 2 * ps, 2 * ps, "new pages of the moved "
	    "mapping");
	ATF_REQUIRE_EQ_MSG(mc_count_not(q + 2 * ps, 2 * ps, 0), 0, "the new "
	    "pages are not zero-filled");
	MC_REQUIRE_FAULT(p, MC_READ, SIGSEGV, SEGV_MAPERR);
	MC_REQUIRE_FAULT(p + ps, MC_READ, SIGSEGV, SEGV_MAPERR);
	mc_require_pfns();
	for (size_t i = 0; i < 2; i++) {
		uint64_t now = mc_pagemap(q + i * ps);
		ATF_REQUIRE_MSG(now & MC_PM_PRESENT, "moved page %zu is not "
		    "present (entry %#jx)", i, (uintmax_t)now);
		ATF_REQUIRE_EQ_MSG(now & MC_PM_PFN_MASK, pfn[i], "moved page "
		    "%zu: expected PFN %#jx (unchanged), got %#jx", i,
		    (uintmax_t)pfn[i], (uintmax_t)(now & MC_PM_PFN_MASK));
	}
	ATF_REQUIRE(munmap(q, 4 * ps) == 0);
	ATF_REQUIRE(munmap(p + 2 * ps, ps) == 0);
}

MC_TC(grow_blocked_without_maymove_enomem, "MREMAP-4",
    "Without MREMAP_MAYMOVE, growing a mapping that has no room after it "
    "fails with ENOMEM and leaves it unchanged")
{
	size_t ps = mc_pagesize();
	unsigned char *p = map_filled(2, 1);
	uintptr_t s, e;

	MC_REQUIRE_PTR_ERR(mremap(p, 2 * ps, 4 * ps, 0), ENOMEM,
	    "mremap(2 -> 4 pages, no flags) with a guard after the mapping");
	mc_require_patterns(p, 2, 0, "after the failed mremap");
	ATF_REQUIRE(mc_maps_range(p, &s, &e));
	ATF_REQUIRE_EQ_MSG(e, (uintptr_t)(p + 2 * ps), "the mapping should "
	    "still end at %p, /proc/self/maps says %#jx",
	    (void *)(p + 2 * ps), (uintmax_t)e);
	ATF_REQUIRE(munmap(p, 3 * ps) == 0);
}

/* ---- moving to a chosen address ---------------------------------------- */

MC_TC(fixed_moves_to_address_replacing, "MREMAP-5",
    "MREMAP_FIXED moves the mapping to new_address, replacing what was "
    "mapped there; the rest of the target mapping and nothing else changes")
{
	size_t ps = mc_pagesize();
	unsigned char *src = map_filled(2, 0);
	unsigned char *dst = mc_map_anon(3 * ps, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE);
	unsigned char *q;

	memset(dst, 'D', 3 * ps);
	q = mremap(src, 2 * ps, 2 * ps, MREMAP_MAYMOVE | MREMAP_FIXED, dst);
	ATF_REQUIRE_MSG(q != MAP_FAILED, "mremap(MAYMOVE|FIXED): %s",
	    strerror(errno));
	ATF_REQUIRE_EQ_MSG(q, dst, "MREMAP_FIXED: expected %p, got %p",
	    (void *)dst, (void *)q);
	mc_require_patterns(dst, 2, 0, "moved pages at the target");
	mc_require_readable(dst + 2 * ps, ps, "the target page after the "
	    "moved range");
	ATF_REQUIRE_EQ_MSG(mc_count_not(dst + 2 * ps, ps, 'D'), 0, "the target "
	    "page after the moved range lost its data");
	MC_REQUIRE_FAULT(src, MC_READ, SIGSEGV, SEGV_MAPERR);
	ATF_REQUIRE(munmap(dst, 3 * ps) == 0);
}

MC_TC(dontunmap_keeps_old_range_zeroed, "MREMAP-6",
    "MREMAP_DONTUNMAP moves the pages but leaves the old range mapped: "
    "for a private anonymous mapping it then reads zeros")
{
	size_t ps = mc_pagesize();
	unsigned char *p = map_filled(2, 0);
	unsigned char *q = dontunmap_or_skip(p, 2 * ps);

	ATF_REQUIRE_MSG(q != p, "MREMAP_DONTUNMAP returned the old address");
	mc_require_patterns(q, 2, 0, "pages at the new address");
	mc_require_readable(p, 2 * ps, "the old range after MREMAP_DONTUNMAP");
	ATF_REQUIRE_EQ_MSG(mc_count_not(p, 2 * ps, 0), 0, "old range after "
	    "MREMAP_DONTUNMAP: expected zeros, %zu bytes are not zero",
	    mc_count_not(p, 2 * ps, 0));
	ATF_REQUIRE(munmap(p, 2 * ps) == 0);
	ATF_REQUIRE(munmap(q, 2 * ps) == 0);
}

MC_TC(dontunmap_size_change_einval, "MREMAP-7",
    "MREMAP_DONTUNMAP with new_size different from old_size fails with "
    "EINVAL")
{
	size_t ps = mc_pagesize();
	unsigned char *probe = map_filled(1, 0);
	unsigned char *p = map_filled(2, 0);
	unsigned char *q = dontunmap_or_skip(probe, ps);

	MC_REQUIRE_PTR_ERR(mremap(p, 2 * ps, 4 * ps,
	    MREMAP_MAYMOVE | MREMAP_DONTUNMAP, NULL), EINVAL,
	    "mremap(2 -> 4 pages, MAYMOVE|DONTUNMAP)");
	MC_REQUIRE_PTR_ERR(mremap(p, 2 * ps, ps,
	    MREMAP_MAYMOVE | MREMAP_DONTUNMAP, NULL), EINVAL,
	    "mremap(2 -> 1 page, MAYMOVE|DONTUNMAP)");
	mc_require_patterns(p, 2, 0, "after the failed calls");
	ATF_REQUIRE(munmap(p, 2 * ps) == 0);
	ATF_REQUIRE(munmap(probe, ps) == 0);
	ATF_REQUIRE(munmap(q, ps) == 0);
}

/* ---- moving whole page-table units ------------------------------------ */

/* At most this many pages of the large range are written and checked. */
#define PMD_MOVE_SAMPLES 64

/*
 * len bytes of fresh address space aligned to align, inside a PROT_NONE
 * reservation that was never touched (so no page table lies below it);
 * *res and *res_len: the reservation, to unmap at the end.
 */
static unsigned char *
reserve_aligned(size_t len, size_t align, unsigned char **res,
    size_t *res_len)
{
	uintptr_t a;

	*res_len = len + align;
	*res = mc_map_anon(*res_len, PROT_NONE, MAP_PRIVATE | MAP_NORESERVE);
	a = ((uintptr_t)*res + align - 1) & ~(uintptr_t)(align - 1);
	return (unsigned char *)a;
}

MC_TC(pmd_aligned_large_move_keeps_pages, "MREMAP-18",
    "Moving two THP-sized, PMD-aligned ranges of small pages with "
    "MREMAP_MAYMOVE|MREMAP_FIXED to another PMD-aligned address keeps "
    "every page: same contents and physical pages; the old range unmapped")
{
	size_t ps = mc_pagesize(), thp = mc_thp_size();
	size_t len, npages, stride, nsamples = 0, res_a_len, res_b_len;
	size_t idx[PMD_MOVE_SAMPLES + 1];
	uint64_t pfn[PMD_MOVE_SAMPLES + 1];
	unsigned char *res_a, *res_b, *src, *dst, *q;

	if (thp == 0)
		atf_tc_skip("no THP (PMD) size in /sys/kernel/mm/"
		    "transparent_hugepage/hpage_pmd_size: PMD-sized units "
		    "cannot be chosen");
	len = 2 * thp;
	npages = len / ps;
	stride = npages / PMD_MOVE_SAMPLES > 0 ? npages / PMD_MOVE_SAMPLES : 1;
	src = reserve_aligned(len, thp, &res_a, &res_a_len);
	dst = reserve_aligned(len, thp, &res_b, &res_b_len);
	/*
	 * Small pages only (the reservation is MADV_NOHUGEPAGE): the move
	 * takes whole page tables, not huge pages.
	 */
	ATF_REQUIRE_MSG(mprotect(src, len, PROT_READ | PROT_WRITE) == 0,
	    "mprotect(%zu bytes at %p, PROT_READ|PROT_WRITE): %s", len,
	    (void *)src, strerror(errno));
	for (size_t i = 0; i < npages; i += stride)
		idx[nsamples++] = i;
	if (idx[nsamples - 1] != npages - 1)
		idx[nsamples++] = npages - 1;
	for (size_t j = 0; j < nsamples; j++) {
		memset(src + idx[j] * ps, mc_pattern(idx[j]), ps);
		pfn[j] = mc_pfn_try(src + idx[j] * ps);
	}
	q = mremap(src, len, len, MREMAP_MAYMOVE | MREMAP_FIXED, dst);
	ATF_REQUIRE_MSG(q != MAP_FAILED, "mremap(%zu bytes, MAYMOVE|FIXED, "
	    "%p -> %p): %s", len, (void *)src, (void *)dst, strerror(errno));
	ATF_REQUIRE_EQ_MSG(q, dst, "MREMAP_FIXED: expected %p, got %p",
	    (void *)dst, (void *)q);
	for (size_t j = 0; j < nsamples; j++) {
		unsigned char *at = dst + idx[j] * ps;
		size_t bad;

		mc_require_readable(at, ps, "a moved page");
		bad = mc_count_not(at, ps, mc_pattern(idx[j]));
		ATF_REQUIRE_MSG(bad == 0, "moved page %zu of %zu: expected "
		    "bytes %#x, %zu bytes differ", idx[j], npages,
		    mc_pattern(idx[j]), bad);
	}
	MC_REQUIRE_FAULT(src, MC_READ, SIGSEGV, SEGV_MAPERR);
	MC_REQUIRE_FAULT(src + len - ps, MC_READ, SIGSEGV, SEGV_MAPERR);
	mc_require_pfns();
	for (size_t j = 0; j < nsamples; j++) {
		uint64_t now = mc_pagemap(dst + idx[j] * ps);

		ATF_REQUIRE_MSG(now & MC_PM_PRESENT, "moved page %zu is not "
		    "present (entry %#jx)", idx[j], (uintmax_t)now);
		ATF_REQUIRE_EQ_MSG(now & MC_PM_PFN_MASK, pfn[j], "moved page "
		    "%zu: expected PFN %#jx (unchanged), got %#jx", idx[j],
		    (uintmax_t)pfn[j], (uintmax_t)(now & MC_PM_PFN_MASK));
	}
	ATF_REQUIRE(munmap(res_a, res_a_len) == 0);
	ATF_REQUIRE(munmap(res_b, res_b_len) == 0);
}

/* ---- copy-on-write across a move ------------------------------------- */

/*
 * Child of moved_cow_pages_stay_private: moves its copy of the page to
 * arg->dst with MREMAP_FIXED, then reports: the PFN of the moved page
 * (pagemap entry, 0 when unreadable), the byte it reads there, then writes
 * 'C' and reports the new pagemap entry and what it reads back.
 * Sends UINT64_MAX first when the move failed (errno follows).
 */
struct cow_arg {
	unsigned char *src;
	unsigned char *dst;
};

static int
cow_move_child(struct mc_child *self, void *arg)
{
	struct cow_arg *a = arg;
	size_t ps = mc_pagesize();
	uint64_t e = 0;
	void *q = mremap(a->src, ps, ps, MREMAP_MAYMOVE | MREMAP_FIXED,
	    a->dst);

	if (q != a->dst) {
		mc_child_send_u64(self, UINT64_MAX);
		mc_child_send_u64(self, (uint64_t)errno);
		return 0;
	}
	mc_child_send_u64(self, 0);
	mc_child_send_u64(self, a->dst[0]);
	(void)mc_pagemap_try(a->dst, &e);
	mc_child_send_u64(self, e);
	memset(a->dst, 'C', ps);
	e = 0;
	(void)mc_pagemap_try(a->dst, &e);
	mc_child_send_u64(self, e);
	mc_child_send_u64(self, mc_count_not(a->dst, ps, 'C'));
	return 0;
}

MC_TC(moved_cow_pages_stay_private, "MREMAP-8",
    "Copy-on-write survives a move: after fork, a child that moves its "
    "private page still shares the physical page until it writes, and "
    "its write never reaches the parent")
{
	size_t ps = mc_pagesize();
	unsigned char *p = mc_map_anon(ps, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE);
	unsigned char *dst = mc_map_anon(ps, PROT_NONE, MAP_PRIVATE);
	struct cow_arg a = { p, dst };
	struct mc_child ch;
	uint64_t ok, b, e_moved, e_written, bad;
	uint64_t pfn;

	memset(p, 'P', ps);
	pfn = mc_pfn_try(p);
	mc_spawn(&ch, cow_move_child, &a);
	mc_expect(&ch, &ok, sizeof(ok), "move status");
	mc_expect(&ch, &b, sizeof(b), ok ? "errno" : "byte read");
	ATF_REQUIRE_MSG(ok == 0, "child: mremap(MAYMOVE|FIXED) failed: %s",
	    strerror((int)b));
	mc_expect(&ch, &e_moved, sizeof(e_moved), "pagemap after the move");
	mc_expect(&ch, &e_written, sizeof(e_written), "pagemap after write");
	mc_expect(&ch, &bad, sizeof(bad), "read-back count");
	mc_reap_ok(&ch);
	ATF_REQUIRE_EQ_MSG(b, 'P', "child reads %#jx at the moved page, "
	    "expected 'P'", (uintmax_t)b);
	ATF_REQUIRE_EQ_MSG(bad, 0, "child: its write did not stick");
	mc_require_readable(p, ps, "the parent's page after the child moved "
	    "and wrote its copy");
	ATF_REQUIRE_MSG(mc_all_bytes(p, ps, 'P'), "the parent's page "
	    "changed after the child moved and wrote its copy (%zu bytes not "
	    "'P')", mc_count_not(p, ps, 'P'));
	mc_require_pfns();
	ATF_REQUIRE_EQ_MSG(mc_pagemap(p) & MC_PM_PFN_MASK, pfn, "the "
	    "parent's PFN changed");
	ATF_REQUIRE_MSG(e_moved & MC_PM_PRESENT, "child: moved page not "
	    "present (entry %#jx)", (uintmax_t)e_moved);
	ATF_REQUIRE_EQ_MSG(e_moved & MC_PM_PFN_MASK, pfn, "child: the moved "
	    "page should still share the parent's PFN %#jx, got %#jx",
	    (uintmax_t)pfn, (uintmax_t)(e_moved & MC_PM_PFN_MASK));
	ATF_REQUIRE_MSG((e_written & MC_PM_PFN_MASK) != pfn &&
	    (e_written & MC_PM_PRESENT), "child: after its write the moved "
	    "page should have a PFN of its own, got entry %#jx (parent's PFN "
	    "%#jx)", (uintmax_t)e_written, (uintmax_t)pfn);
	ATF_REQUIRE(munmap(p, ps) == 0);
	ATF_REQUIRE(munmap(dst, ps) == 0);
}

/* ---- errors ------------------------------------------------------------ */

MC_TC(unaligned_old_address_einval, "MREMAP-9",
    "An old_address that is not page-aligned fails with EINVAL")
{
	size_t ps = mc_pagesize();
	unsigned char *p = map_filled(2, 0);

	MC_REQUIRE_PTR_ERR(mremap(p + 1, ps, 2 * ps, MREMAP_MAYMOVE), EINVAL,
	    "mremap(addr + 1)");
	mc_require_patterns(p, 2, 0, "after the failed mremap");
	ATF_REQUIRE(munmap(p, 2 * ps) == 0);
}

MC_TC(fixed_without_maymove_einval, "MREMAP-10",
    "MREMAP_FIXED without MREMAP_MAYMOVE fails with EINVAL")
{
	size_t ps = mc_pagesize();
	unsigned char *p = map_filled(1, 0);
	unsigned char *dst = mc_map_anon(ps, PROT_NONE, MAP_PRIVATE);

	MC_REQUIRE_PTR_ERR(mremap(p, ps, ps, MREMAP_FIXED, dst), EINVAL,
	    "mremap(MREMAP_FIXED alone)");
	mc_require_patterns(p, 1, 0, "after the failed mremap");
	ATF_REQUIRE(munmap(p, ps) == 0);
	ATF_REQUIRE(munmap(dst, ps) == 0);
}

MC_TC(unknown_flags_einval, "MREMAP-11",
    "A flags value with bits other than MREMAP_MAYMOVE, MREMAP_FIXED and "
    "MREMAP_DONTUNMAP fails with EINVAL")
{
	size_t ps = mc_pagesize();
	unsigned char *p = map_filled(1, 0);

	MC_REQUIRE_PTR_ERR(mremap(p, ps, 2 * ps, MREMAP_MAYMOVE | 0x80),
	    EINVAL, "mremap(MAYMOVE | 0x80)");
	MC_REQUIRE_PTR_ERR(mremap(p, ps, 2 * ps, 0x40000000), EINVAL,
	    "mremap(flags 0x40000000)");
	mc_require_patterns(p, 1, 0, "after the failed mremap");
	ATF_REQUIRE(munmap(p, ps) == 0);
}

MC_TC(unknown_flags_einval_from_kernel, "MREMAP-11",
    "The kernel itself (mremap called without libc, whose wrapper checks "
    "the flags first) rejects unknown flag bits with EINVAL and leaves the "
    "mapping as it was")
{
	size_t ps = mc_pagesize();
	unsigned char *p = map_filled(1, 0);

	MC_REQUIRE_PTR_ERR(mc_sys_mremap(p, ps, 2 * ps, MREMAP_MAYMOVE | 0x80,
	    NULL), EINVAL, "syscall(SYS_mremap, MAYMOVE | 0x80)");
	MC_REQUIRE_PTR_ERR(mc_sys_mremap(p, ps, 2 * ps, 0x40000000, NULL),
	    EINVAL, "syscall(SYS_mremap, flags 0x40000000)");
	mc_require_patterns(p, 1, 0, "after the failed mremap");
	ATF_REQUIRE(munmap(p, ps) == 0);
}

MC_TC(zero_new_size_einval, "MREMAP-12",
    "new_size 0 fails with EINVAL")
{
	size_t ps = mc_pagesize();
	unsigned char *p = map_filled(1, 0);

	MC_REQUIRE_PTR_ERR(mremap(p, ps, 0, MREMAP_MAYMOVE), EINVAL,
	    "mremap(new_size 0)");
	mc_require_patterns(p, 1, 0, "after the failed mremap");
	ATF_REQUIRE(munmap(p, ps) == 0);
}

MC_TC(unmapped_old_range_efault, "MREMAP-13",
    "An old range that is not mapped fails with EFAULT")
{
	size_t ps = mc_pagesize();
	unsigned char *p = mc_map_anon(2 * ps, PROT_NONE, MAP_PRIVATE);

	ATF_REQUIRE(munmap(p, 2 * ps) == 0);
	MC_REQUIRE_PTR_ERR(mremap(p, ps, 2 * ps, MREMAP_MAYMOVE), EFAULT,
	    "mremap(unmapped range, grow, MAYMOVE)");
	MC_REQUIRE_PTR_ERR(mremap(p, ps, 2 * ps, 0), EFAULT,
	    "mremap(unmapped range, grow)");
	MC_REQUIRE_FAULT(p, MC_READ, SIGSEGV, SEGV_MAPERR);
}

MC_TC(fixed_overlapping_ranges_einval, "MREMAP-14",
    "MREMAP_FIXED to a new range that overlaps the old range fails with "
    "EINVAL")
{
	size_t ps = mc_pagesize();
	unsigned char *p = map_filled(3, 0);

	MC_REQUIRE_PTR_ERR(mremap(p, 2 * ps, 2 * ps,
	    MREMAP_MAYMOVE | MREMAP_FIXED, p + ps), EINVAL,
	    "mremap(FIXED, new range = old range + 1 page)");
	mc_require_patterns(p, 3, 0, "after the failed mremap");
	ATF_REQUIRE(munmap(p, 3 * ps) == 0);
}

/* ---- old_size 0 ---------------------------------------------------------- */

MC_TC(zero_old_size_shared_duplicates, "MREMAP-15",
    "old_size 0 on a shared mapping (with MREMAP_MAYMOVE) creates a second "
    "mapping of the same pages: writes through either are seen by the other")
{
	size_t ps = mc_pagesize();
	unsigned char *p = mc_map_anon(ps, PROT_READ | PROT_WRITE,
	    MAP_SHARED);
	unsigned char *q;

	memset(p, 's', ps);
	q = mremap(p, 0, ps, MREMAP_MAYMOVE);
	ATF_REQUIRE_MSG(q != MAP_FAILED, "mremap(old_size 0, shared, "
	    "MAYMOVE): %s", strerror(errno));
	ATF_REQUIRE_MSG(q != p, "the duplicate is at the same address");
	mc_require_readable(p, ps, "the original after mremap(old_size 0)");
	mc_require_readable(q, ps, "the duplicate made by mremap(old_size 0)");
	ATF_REQUIRE_MSG(mc_all_bytes(p, ps, 's'), "the original lost its "
	    "data");
	ATF_REQUIRE_MSG(mc_all_bytes(q, ps, 's'), "the duplicate does not "
	    "show the original's data (%zu bytes not 's')",
	    mc_count_not(q, ps, 's'));
	MC_REQUIRE_NO_FAULT(q, MC_WRITE);
	MC_REQUIRE_NO_FAULT(p + 1, MC_WRITE);
	q[0] = 'Q';
	ATF_REQUIRE_EQ_MSG(p[0], 'Q', "a write through the duplicate is not "
	    "seen through the original");
	p[1] = 'P';
	ATF_REQUIRE_EQ_MSG(q[1], 'P', "a write through the original is not "
	    "seen through the duplicate");
	ATF_REQUIRE(munmap(q, ps) == 0);
	mc_require_readable(p, ps, "the original after unmapping the "
	    "duplicate");
	ATF_REQUIRE_EQ_MSG(p[0], 'Q', "unmapping the duplicate changed the "
	    "original");
	ATF_REQUIRE(munmap(p, ps) == 0);
}

MC_TC(zero_old_size_private_einval, "MREMAP-16",
    "old_size 0 on a private mapping fails with EINVAL (since Linux 4.14)")
{
	size_t ps = mc_pagesize();
	unsigned char *p = map_filled(1, 0);

	MC_REQUIRE_PTR_ERR(mremap(p, 0, ps, MREMAP_MAYMOVE), EINVAL,
	    "mremap(old_size 0, private anonymous, MAYMOVE)");
	mc_require_patterns(p, 1, 0, "after the failed mremap");
	ATF_REQUIRE(munmap(p, ps) == 0);
}

/* ---- locks ------------------------------------------------------------ */

MC_TC(locked_mapping_stays_locked_when_grown, "MREMAP-17",
    "A locked mapping stays locked when resized and moved: the grown "
    "mapping is resident and fully counted in VmLck")
{
	size_t ps = mc_pagesize();
	unsigned char *p = map_filled(1, 1); /* guard: growth must move */
	long before = mc_vmlck_kb(), after;
	unsigned char *q;

	mc_mlock_or_skip(p, ps);
	q = mremap(p, ps, 2 * ps, MREMAP_MAYMOVE);
	if (q == MAP_FAILED && errno == EAGAIN)
		atf_tc_skip("growing the locked mapping exceeds "
		    "RLIMIT_MEMLOCK here (EAGAIN)");
	ATF_REQUIRE_MSG(q != MAP_FAILED, "mremap(locked, 1 -> 2 pages, "
	    "MAYMOVE): %s", strerror(errno));
	after = mc_vmlck_kb();
	ATF_REQUIRE_EQ_MSG(after - before, (long)(2 * ps / 1024), "VmLck "
	    "grew by %ld kB, expected %zu kB (two locked pages)",
	    after - before, 2 * ps / 1024);
	ATF_REQUIRE_EQ_MSG(mc_mincore_count(q, 2 * ps), 2, "the grown locked "
	    "mapping: expected 2 resident pages, mincore says %zu",
	    mc_mincore_count(q, 2 * ps));
	mc_require_patterns(q, 1, 0, "the moved locked page");
	ATF_REQUIRE(munlock(q, 2 * ps) == 0);
	ATF_REQUIRE(munmap(q, 2 * ps) == 0);
	ATF_REQUIRE(munmap(p + ps, ps) == 0);
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, grow_in_place_when_room);
	ATF_TP_ADD_TC(tp, shrink_unmaps_tail);
	ATF_TP_ADD_TC(tp, maymove_moves_when_blocked);
	ATF_TP_ADD_TC(tp, grow_blocked_without_maymove_enomem);
	ATF_TP_ADD_TC(tp, fixed_moves_to_address_replacing);
	ATF_TP_ADD_TC(tp, dontunmap_keeps_old_range_zeroed);
	ATF_TP_ADD_TC(tp, dontunmap_size_change_einval);
	ATF_TP_ADD_TC(tp, moved_cow_pages_stay_private);
	ATF_TP_ADD_TC(tp, unaligned_old_address_einval);
	ATF_TP_ADD_TC(tp, fixed_without_maymove_einval);
	ATF_TP_ADD_TC(tp, unknown_flags_einval);
	ATF_TP_ADD_TC(tp, unknown_flags_einval_from_kernel);
	ATF_TP_ADD_TC(tp, zero_new_size_einval);
	ATF_TP_ADD_TC(tp, unmapped_old_range_efault);
	ATF_TP_ADD_TC(tp, fixed_overlapping_ranges_einval);
	ATF_TP_ADD_TC(tp, zero_old_size_shared_duplicates);
	ATF_TP_ADD_TC(tp, zero_old_size_private_einval);
	ATF_TP_ADD_TC(tp, locked_mapping_stays_locked_when_grown);
	ATF_TP_ADD_TC(tp, pmd_aligned_large_move_keeps_pages);
	return atf_no_error();
}
