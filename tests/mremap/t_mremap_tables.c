/*
 * t_mremap_tables: mremap(2) moves that the kernel does by whole page
 * tables or with special rules, and the errors of the rarer paths:
 *
 * - a PUD-sized, PUD-aligned move (commit c49dd3401802, "mm: speedup
 *   mremap on 1GB or larger regions": one upper-level entry moves);
 * - a move of at least a PMD that starts off a PMD boundary to a
 *   destination at the same offset (commit af8ca1c14906, "mm/mremap:
 *   optimize the start addresses in move_page_tables()": the kernel
 *   aligns both ends down when nothing is mapped below them), with and
 *   without a neighbour below the source or the destination;
 * - hugetlb mappings (commit 550a7d60bd5e, "mm, hugepages: add mremap()
 *   support for hugepage backed vma"): moves, alignment, no growing;
 * - MREMAP_DONTUNMAP beyond private anonymous memory (commit
 *   a4609387859f, "mm: extend MREMAP_DONTUNMAP to non-anonymous
 *   mappings"), against RLIMIT_AS, and on part of a locked mapping;
 * - growing to a size no free range of the address space can hold.
 *
 * Placement agnostic: aligned places are found inside PROT_NONE
 * MAP_NORESERVE reservations that are never touched (so no page table
 * lies below them); holes are made by unmapping parts of our own
 * reservations, with no allocation in between.
 */
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mc.h"
#include "mc_err.h"
#include "mc_proc.h"

#define RW (PROT_READ | PROT_WRITE)

#ifndef MREMAP_DONTUNMAP
#define MREMAP_DONTUNMAP 4 /* include/uapi/linux/mman.h, Linux 5.7+ */
#endif

/* ---- helpers ------------------------------------------------------------ */

/*
 * len bytes of fresh address space aligned to align, inside a PROT_NONE
 * MAP_NORESERVE reservation (THP off) that was never touched; *res and
 * *res_len: the reservation, to unmap at the end. An ENOMEM that a limit
 * of the run explains skips the case.
 */
static unsigned char *
reserve_aligned(size_t len, size_t align, unsigned char **res,
    size_t *res_len)
{
	void *r;
	uintptr_t a;

	*res_len = len + align;
	r = mmap(NULL, *res_len, PROT_NONE,
	    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (r == MAP_FAILED)
		mc_skip_if_limited(errno, "a PROT_NONE reservation");
	ATF_REQUIRE_MSG(r != MAP_FAILED, "mmap(%zu bytes, PROT_NONE, "
	    "MAP_NORESERVE): %s", *res_len, mc_errname(errno));
	*res = r;
	mc_nohuge(r, *res_len);
	a = ((uintptr_t)r + align - 1) & ~(uintptr_t)(align - 1);
	return (unsigned char *)a;
}

/* Require that the page at p is unmapped (SIGSEGV/SEGV_MAPERR). */
static void
require_unmapped(unsigned char *p, const char *what)
{
	struct mc_fault f = mc_touch(p, MC_READ);

	ATF_REQUIRE_MSG(f.signo == SIGSEGV && f.code == SEGV_MAPERR, "%s at "
	    "%p: expected SIGSEGV/SEGV_MAPERR (nothing mapped), got %s/%s",
	    what, (void *)p, mc_signame(f.signo),
	    mc_codename(f.signo, f.code));
}

/*
 * Sampled pages of a large range: at most SAMPLES spread pages plus the
 * last one. Each sample page holds mc_pattern(index) with the page index
 * in its first bytes, so a page that lands at the wrong place is seen.
 */
#define SAMPLES 64
struct samples {
	size_t npages;
	size_t n;
	size_t idx[SAMPLES + 2];
	uint64_t pfn[SAMPLES + 2];
};

static void
samples_pick(struct samples *s, size_t npages)
{
	size_t stride = npages / SAMPLES > 0 ? npages / SAMPLES : 1;

	s->npages = npages;
	s->n = 0;
	for (size_t i = 0; i < npages && s->n < SAMPLES; i += stride)
		s->idx[s->n++] = i;
	if (s->idx[s->n - 1] != npages - 1)
		s->idx[s->n++] = npages - 1;
}

static bool
samples_has(const struct samples *s, size_t i)
{
	for (size_t j = 0; j < s->n; j++)
		if (s->idx[j] == i)
			return true;
	return false;
}

/* Write the sample pages of [p, ...) and take their PFNs. */
static void
samples_fill(unsigned char *p, struct samples *s)
{
	size_t ps = mc_pagesize();

	for (size_t j = 0; j < s->n; j++) {
		unsigned char *at = p + s->idx[j] * ps;
		uint64_t v = s->idx[j];

		memset(at, mc_pattern(s->idx[j]), ps);
		memcpy(at, &v, sizeof(v));
		s->pfn[j] = mc_pfn_try(at);
	}
}

/*
 * Require that the sample pages are at q with their contents, and that
 * the page after each sample (when it is not a sample) reads zero: it
 * was never written.
 */
static void
samples_check(unsigned char *q, const struct samples *s, const char *what)
{
	size_t ps = mc_pagesize();

	for (size_t j = 0; j < s->n; j++) {
		unsigned char *at = q + s->idx[j] * ps;
		uint64_t v;
		size_t bad;

		mc_require_readable(at, ps, what);
		memcpy(&v, at, sizeof(v));
		bad = mc_count_not(at + sizeof(v), ps - sizeof(v),
		    mc_pattern(s->idx[j]));
		ATF_REQUIRE_MSG(v == s->idx[j] && bad == 0, "%s: page %zu of "
		    "%zu at %p: expected the page written as page %zu (bytes "
		    "%#x), found the mark of page %ju and %zu bytes differing",
		    what, s->idx[j], s->npages, (void *)at, s->idx[j],
		    mc_pattern(s->idx[j]), (uintmax_t)v, bad);
		if (s->idx[j] + 1 < s->npages && !samples_has(s, s->idx[j] + 1))
			mc_require_bytes(at + ps, ps, 0, "a never written page "
			    "after a moved one (expected zero-filled)");
	}
}

/* After the content checks: the sample pages at q keep their PFNs. */
static void
samples_check_pfns(unsigned char *q, const struct samples *s,
    const char *what)
{
	size_t ps = mc_pagesize();

	mc_require_pfns();
	for (size_t j = 0; j < s->n; j++) {
		unsigned char *at = q + s->idx[j] * ps;
		uint64_t now = mc_pagemap(at);

		ATF_REQUIRE_MSG(now & MC_PM_PRESENT, "%s: page %zu at %p is "
		    "not present after the move (pagemap entry %#jx)", what,
		    s->idx[j], (void *)at, (uintmax_t)now);
		ATF_REQUIRE_MSG(s->pfn[j] != 0, "%s: page %zu had no PFN "
		    "before the move although PFNs are visible", what,
		    s->idx[j]);
		ATF_REQUIRE_EQ_MSG(MC_PM_PFN(now), s->pfn[j], "%s: page %zu at "
		    "%p: expected PFN %#jx (the same physical page, moved, not "
		    "copied), got %#jx", what, s->idx[j], (void *)at,
		    (uintmax_t)s->pfn[j], (uintmax_t)MC_PM_PFN(now));
	}
}

/* Require the PFN of the page at p to be pfn (after mc_require_pfns). */
static void
require_pfn(const void *p, uint64_t pfn, const char *what)
{
	uint64_t now = mc_pagemap(p);

	ATF_REQUIRE_MSG((now & MC_PM_PRESENT) && pfn != 0 &&
	    MC_PM_PFN(now) == pfn, "%s at %p: expected the physical page "
	    "%#jx, got pagemap entry %#jx (PFN %#jx)", what, p,
	    (uintmax_t)pfn, (uintmax_t)now, (uintmax_t)MC_PM_PFN(now));
}

/*
 * MREMAP_DONTUNMAP (Linux 5.7+) on a fresh private anonymous page, or
 * skip: the flag is known when this valid use succeeds.
 */
static void
require_dontunmap(void)
{
	size_t ps = mc_pagesize();
	unsigned char *p = mc_map_anon(ps, RW, MAP_PRIVATE);
	void *q;

	p[0] = 1;
	q = mremap(p, ps, ps, MREMAP_MAYMOVE | MREMAP_DONTUNMAP, NULL);
	if (q == MAP_FAILED && (errno == EINVAL || errno == ENOSYS))
		mc_skip_unsupported("MREMAP_DONTUNMAP", errno);
	ATF_REQUIRE_MSG(q != MAP_FAILED, "probe: mremap(MREMAP_MAYMOVE|"
	    "MREMAP_DONTUNMAP) of a private anonymous page: %s",
	    mc_errname(errno));
	ATF_REQUIRE(munmap(q, ps) == 0);
	ATF_REQUIRE(munmap(p, ps) == 0);
}

/* mprotect(p, len, RW) that must succeed (or skip under a limit). */
static void
make_rw(unsigned char *p, size_t len)
{
	if (mprotect(p, len, RW) != 0)
		mc_skip_if_limited(errno, "mprotect(RW) of a large range");
	ATF_REQUIRE_MSG(mprotect(p, len, RW) == 0, "mprotect(%p, %zu bytes, "
	    "RW): %s", (void *)p, len, mc_errname(errno));
}

/* munmap [from, to) of our own reservation; nothing when empty. */
static void
unmap_between(unsigned char *from, unsigned char *to)
{
	if (to > from)
		ATF_REQUIRE_MSG(munmap(from, (size_t)(to - from)) == 0,
		    "munmap(%p-%p): %s", (void *)from, (void *)to,
		    mc_errname(errno));
}

/* ---- a PUD-sized move -------------------------------------------------- */

/*
 * The size one upper-level (PUD) page-table entry maps on x86-64 with
 * 4 KiB pages. Other geometries have other PUD sizes (arm64 with 64 KiB
 * pages: 4 TiB); there the case still moves a large, 1 GiB-aligned range.
 */
#define PUD_LEN ((size_t)1 << 30)

MC_TC(pud_aligned_move_keeps_pages, "MREMAP-33",
    "mremap(MREMAP_MAYMOVE|MREMAP_FIXED) of a 2 GiB range aligned to "
    "1 GiB (a PUD on x86-64), written at sparse pages of its first GiB "
    "only, to another 1 GiB-aligned free place: the written pages are "
    "there with their contents and physical pages, never written pages "
    "read zero, the mapping is exactly the new range, the old range is "
    "unmapped")
{
	size_t ps = mc_pagesize(), len, res_a_len, res_b_len;
	unsigned char *res_a, *res_b, *src, *dst, *q;
	struct samples s;

	if (sizeof(void *) < 8)
		atf_tc_skip("32-bit process: the address space cannot hold "
		    "two 3 GiB reservations for 2 GiB ranges aligned to 1 GiB");
	len = 2 * PUD_LEN;
	src = reserve_aligned(len, PUD_LEN, &res_a, &res_a_len);
	dst = reserve_aligned(len, PUD_LEN, &res_b, &res_b_len);
	make_rw(src, len);
	/*
	 * Sparse small pages of the first GiB only (THP off): it gets page
	 * tables that move as one upper-level entry; the second GiB has
	 * none at all.
	 */
	samples_pick(&s, PUD_LEN / ps);
	samples_fill(src, &s);
	q = mremap(src, len, len, MREMAP_MAYMOVE | MREMAP_FIXED, dst);
	ATF_REQUIRE_MSG(q != MAP_FAILED, "mremap(%p, 2 GiB, MAYMOVE|FIXED, "
	    "%p): %s", (void *)src, (void *)dst, mc_errname(errno));
	ATF_REQUIRE_EQ_MSG(q, dst, "MREMAP_FIXED: expected new_address %p, "
	    "got %p", (void *)dst, (void *)q);
	samples_check(q, &s, "the moved first GiB");
	mc_require_bytes(q + PUD_LEN, ps, 0, "the first page of the never "
	    "written second GiB");
	mc_require_bytes(q + PUD_LEN + PUD_LEN / 2, ps, 0, "a page in the "
	    "middle of the never written second GiB");
	mc_require_bytes(q + len - ps, ps, 0, "the last page of the never "
	    "written second GiB");
	MC_REQUIRE_NO_FAULT(q + len - ps, MC_WRITE);
	mc_require_vma(q, dst, dst + len, "the moved mapping");
	require_unmapped(src, "the first page of the old range");
	require_unmapped(src + PUD_LEN - ps, "the last page of the old first "
	    "GiB");
	require_unmapped(src + PUD_LEN, "the first page of the old second "
	    "GiB");
	require_unmapped(src + len - ps, "the last page of the old range");
	samples_check_pfns(q, &s, "the moved first GiB");
	ATF_REQUIRE(munmap(res_a, res_a_len) == 0);
	ATF_REQUIRE(munmap(res_b, res_b_len) == 0);
}

/* ---- a PMD-sized move off a PMD boundary -------------------------------- */

/*
 * The PMD size: the THP size the kernel reports, else what one page
 * table maps with 8-byte entries (ps / 8 entries of ps bytes: 2 MiB with
 * 4 KiB pages). A wrong guess still tests an unaligned move of a large
 * range; only the kernel's realignment would not be reached.
 */
static size_t
pmd_size(void)
{
	size_t ps = mc_pagesize(), thp = mc_thp_size();

	return thp >= 2 * ps ? thp : ps * (ps / 8);
}

enum neighbour { NB_NONE, NB_BELOW_SRC, NB_BELOW_DST };

/*
 * One pmd-sized mapping at A + pmd/2 (A aligned to pmd) moved with
 * MREMAP_FIXED to B + pmd/2 (B aligned): [A, A + pmd/2) and
 * [B, B + pmd/2) are free, except for a one-page neighbour at A or at B
 * when nb says so. Checks the move and the neighbour. Every page is
 * written and every PFN read before the holes are made, so that nothing
 * of ours can land in them.
 */
static void
unaligned_pmd_move(enum neighbour nb)
{
	size_t ps = mc_pagesize(), pmd = pmd_size(), off = pmd / 2, len = pmd;
	size_t res_a_len, res_b_len;
	unsigned char *res_a, *res_b, *a, *b, *src, *dst, *q, *n = NULL;
	unsigned char nbyte = nb == NB_BELOW_SRC ? 'N' : 'M';
	uint64_t npfn = 0;
	struct samples s;

	a = reserve_aligned(3 * pmd, pmd, &res_a, &res_a_len);
	b = reserve_aligned(3 * pmd, pmd, &res_b, &res_b_len);
	src = a + off;
	dst = b + off;
	make_rw(src, len);
	if (nb != NB_NONE) {
		/* One page at the aligned-down address, over our reservation. */
		void *at = nb == NB_BELOW_SRC ? a : b;

		n = mmap(at, ps, RW, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED,
		    -1, 0);
		ATF_REQUIRE_MSG(n == at, "mmap(MAP_FIXED, one page at %p over "
		    "our reservation): %p, %s", at, (void *)n,
		    mc_errname(errno));
		mc_nohuge(n, ps);
		memset(n, nbyte, ps);
		npfn = mc_pfn_try(n);
	}
	samples_pick(&s, len / ps);
	samples_fill(src, &s);
	/* Free everything below the source and the destination but n. */
	unmap_between(res_a, nb == NB_BELOW_SRC ? a : src);
	unmap_between(res_b, nb == NB_BELOW_DST ? b : dst);
	if (nb == NB_BELOW_SRC)
		unmap_between(a + ps, src);
	if (nb == NB_BELOW_DST)
		unmap_between(b + ps, dst);
	q = mremap(src, len, len, MREMAP_MAYMOVE | MREMAP_FIXED, dst);
	ATF_REQUIRE_MSG(q != MAP_FAILED, "mremap(%p, %zu bytes, MAYMOVE|"
	    "FIXED, %p): %s", (void *)src, len, (void *)dst,
	    mc_errname(errno));
	ATF_REQUIRE_EQ_MSG(q, dst, "MREMAP_FIXED: expected new_address %p, "
	    "got %p", (void *)dst, (void *)q);
	samples_check(q, &s, "the moved mapping");
	mc_require_vma(q, dst, dst + len, "the moved mapping (it must start "
	    "exactly at new_address)");
	/* Below the destination: only the neighbour, if any. */
	if (nb == NB_BELOW_DST) {
		mc_require_bytes(b, ps, nbyte, "the neighbour below the "
		    "destination");
		mc_require_vma(b, b, b + ps, "the neighbour below the "
		    "destination");
	} else {
		require_unmapped(b, "the aligned-down start below the "
		    "destination");
	}
	require_unmapped(b + ps, "the hole below the destination");
	require_unmapped(dst - ps, "the page right below new_address");
	/* The source is gone; below it, only the neighbour, if any. */
	require_unmapped(src, "the first page of the old range");
	require_unmapped(src + len - ps, "the last page of the old range");
	require_unmapped(src - ps, "the page right below the old range");
	if (nb == NB_BELOW_SRC) {
		mc_require_bytes(a, ps, nbyte, "the neighbour below the "
		    "source");
		mc_require_vma(a, a, a + ps, "the neighbour below the source");
	} else {
		require_unmapped(a, "the aligned-down start below the source");
	}
	samples_check_pfns(q, &s, "the moved mapping");
	if (n != NULL)
		require_pfn(n, npfn, "the neighbour's page");
	ATF_REQUIRE(munmap(res_a, res_a_len) == 0);
	ATF_REQUIRE(munmap(res_b, res_b_len) == 0);
}

MC_TC(unaligned_pmd_move_exact, "MREMAP-34",
    "mremap(MREMAP_MAYMOVE|MREMAP_FIXED) of a PMD-sized mapping that "
    "starts half a PMD past a PMD boundary, to a destination at the same "
    "offset, with nothing mapped between the aligned-down addresses and "
    "the starts: the pages are at new_address with their contents and "
    "physical pages, the mapping starts exactly at new_address, nothing "
    "is mapped below it, the old range is unmapped")
{
	unaligned_pmd_move(NB_NONE);
}

MC_TC(unaligned_pmd_move_neighbour_below_source, "MREMAP-35",
    "The same move with a one-page mapping at the aligned-down address "
    "below the source: the neighbour keeps its contents, its physical "
    "page and its bounds, and nothing appears below the destination")
{
	unaligned_pmd_move(NB_BELOW_SRC);
}

MC_TC(unaligned_pmd_move_neighbour_below_destination, "MREMAP-35",
    "The same move with a one-page mapping at the aligned-down address "
    "below the destination: the neighbour keeps its contents, its "
    "physical page and its bounds; the moved mapping starts exactly at "
    "new_address")
{
	unaligned_pmd_move(NB_BELOW_DST);
}

/* ---- hugetlb ------------------------------------------------------------ */

/*
 * n huge pages of MAP_SHARED|MAP_ANONYMOUS|MAP_HUGETLB memory, huge page
 * i filled with mc_pattern(i), or skip when the kernel will not give
 * them although /proc/meminfo listed them free.
 */
static unsigned char *
hugetlb_map(size_t n, size_t hps)
{
#ifndef MAP_HUGETLB
	(void)n;
	(void)hps;
	atf_tc_skip("MAP_HUGETLB is not defined by the C library");
#else
	unsigned char *p = mmap(NULL, n * hps, RW,
	    MAP_SHARED | MAP_ANONYMOUS | MAP_HUGETLB, -1, 0);

	if (p == MAP_FAILED)
		atf_tc_skip("mmap(%zu huge pages, MAP_SHARED|MAP_ANONYMOUS|"
		    "MAP_HUGETLB): %s although /proc/meminfo listed them free "
		    "(taken meanwhile, or a hugetlb cgroup limit)", n,
		    mc_errname(errno));
	ATF_REQUIRE_MSG(((uintptr_t)p & (hps - 1)) == 0, "mmap(MAP_HUGETLB) "
	    "returned %p, not aligned to the huge page size %zu", (void *)p,
	    hps);
	for (size_t i = 0; i < n; i++)
		memset(p + i * hps, mc_pattern(i), hps);
	return p;
#endif
}

/*
 * Move the n-huge-page mapping p with MREMAP_MAYMOVE|MREMAP_FIXED to a
 * huge-page-aligned place in a fresh reservation (returned in *res,
 * *res_len) that extends at least room bytes past the moved mapping.
 * Skips when the kernel refuses every hugetlb move (EINVAL on this
 * valid, aligned, same-size move: no hugetlb mremap support).
 */
static unsigned char *
hugetlb_move(unsigned char *p, size_t n, size_t hps, size_t room,
    unsigned char **res, size_t *res_len)
{
	unsigned char *dst = reserve_aligned(n * hps + room, hps, res,
	    res_len);
	unsigned char *q = mremap(p, n * hps, n * hps,
	    MREMAP_MAYMOVE | MREMAP_FIXED, dst);

	if (q == MAP_FAILED && errno == EINVAL)
		atf_tc_skip("mremap of a hugetlb mapping: EINVAL on a valid "
		    "huge-page-aligned same-size MREMAP_FIXED move: this "
		    "kernel does not move hugetlb mappings (support came with "
		    "commit 550a7d60bd5e)");
	ATF_REQUIRE_MSG(q != MAP_FAILED, "mremap(hugetlb %p, %zu huge pages, "
	    "MAYMOVE|FIXED, aligned %p): %s", (void *)p, n, (void *)dst,
	    mc_errname(errno));
	ATF_REQUIRE_EQ_MSG(q, dst, "MREMAP_FIXED: expected new_address %p, "
	    "got %p", (void *)dst, (void *)q);
	return q;
}

/* Require huge page i of [q, q + n huge pages) to hold mc_pattern(i). */
static void
hugetlb_check(unsigned char *q, size_t n, size_t hps, const char *what)
{
	for (size_t i = 0; i < n; i++) {
		size_t bad;

		mc_require_readable(q + i * hps, hps, what);
		bad = mc_count_not(q + i * hps, hps, mc_pattern(i));
		ATF_REQUIRE_MSG(bad == 0, "%s: huge page %zu at %p: expected "
		    "bytes %#x, %zu differ", what, i, (void *)(q + i * hps),
		    mc_pattern(i), bad);
	}
}

MC_TC(hugetlb_move_keeps_pages, "MREMAP-36",
    "mremap(MREMAP_MAYMOVE|MREMAP_FIXED) of a 2-huge-page MAP_HUGETLB "
    "mapping to a huge-page-aligned address: the huge pages are there "
    "with their contents and physical pages, the mapping is exactly the "
    "new range, the old range is unmapped")
{
	size_t hps = mc_hugetlb_require(2), res_len;
	unsigned char *p = hugetlb_map(2, hps), *res, *q;
	uint64_t pfn[2];

	for (size_t i = 0; i < 2; i++)
		pfn[i] = mc_pfn_try(p + i * hps);
	q = hugetlb_move(p, 2, hps, 0, &res, &res_len);
	hugetlb_check(q, 2, hps, "the moved hugetlb mapping");
	mc_require_vma(q, q, q + 2 * hps, "the moved hugetlb mapping");
	require_unmapped(p, "the first page of the old hugetlb range");
	require_unmapped(p + 2 * hps - mc_pagesize(), "the last page of the "
	    "old hugetlb range");
	mc_require_pfns();
	for (size_t i = 0; i < 2; i++)
		require_pfn(q + i * hps, pfn[i], "a moved huge page");
	ATF_REQUIRE(munmap(q, 2 * hps) == 0);
	ATF_REQUIRE(munmap(res, res_len) == 0);
}

MC_TC(hugetlb_unaligned_addresses_einval, "MREMAP-37",
    "mremap of a MAP_HUGETLB mapping with an old_address, or an "
    "MREMAP_FIXED new_address, that is page-aligned but not "
    "huge-page-aligned fails with EINVAL and leaves the mapping as it was")
{
	size_t ps = mc_pagesize(), hps = mc_hugetlb_require(1);
	size_t res_len, res2_len;
	unsigned char *p = hugetlb_map(1, hps), *res, *res2, *q, *dst;

	q = hugetlb_move(p, 1, hps, 0, &res, &res_len);
	dst = reserve_aligned(hps, hps, &res2, &res2_len);
	MC_REQUIRE_PTR_ERR(mremap(q + ps, hps - ps, hps - ps,
	    MREMAP_MAYMOVE | MREMAP_FIXED, dst), EINVAL,
	    "mremap(hugetlb mapping + 1 page, MAYMOVE|FIXED, aligned "
	    "new_address)");
	MC_REQUIRE_PTR_ERR(mremap(q, hps, hps, MREMAP_MAYMOVE | MREMAP_FIXED,
	    dst + ps), EINVAL, "mremap(hugetlb mapping, MAYMOVE|FIXED, "
	    "new_address = an aligned address + 1 page)");
	hugetlb_check(q, 1, hps, "the hugetlb mapping after the failed calls");
	mc_require_vma(q, q, q + hps, "the hugetlb mapping after the failed "
	    "calls");
	ATF_REQUIRE(munmap(q, hps) == 0);
	ATF_REQUIRE(munmap(res, res_len) == 0);
	ATF_REQUIRE(munmap(res2, res2_len) == 0);
}

MC_TC(hugetlb_grow_einval, "MREMAP-38",
    "Growing a MAP_HUGETLB mapping with mremap fails with EINVAL, with "
    "MREMAP_MAYMOVE and without it when free address space follows; the "
    "mapping keeps its contents and bounds")
{
	size_t hps = mc_hugetlb_require(1), res_len;
	unsigned char *p = hugetlb_map(1, hps), *res, *q;

	q = hugetlb_move(p, 1, hps, hps, &res, &res_len);
	/* Room after it: free the reserved huge page's worth above it. */
	ATF_REQUIRE(munmap(q + hps, hps) == 0);
	MC_REQUIRE_PTR_ERR(mremap(q, hps, 2 * hps, 0), EINVAL,
	    "mremap(hugetlb mapping, 1 -> 2 huge pages, no flags, free space "
	    "after it)");
	MC_REQUIRE_PTR_ERR(mremap(q, hps, 2 * hps, MREMAP_MAYMOVE), EINVAL,
	    "mremap(hugetlb mapping, 1 -> 2 huge pages, MAYMOVE)");
	hugetlb_check(q, 1, hps, "the hugetlb mapping after the failed grows");
	mc_require_vma(q, q, q + hps, "the hugetlb mapping after the failed "
	    "grows");
	ATF_REQUIRE(munmap(q, hps) == 0);
	ATF_REQUIRE(munmap(res, res_len) == 0);
}

/* ---- MREMAP_DONTUNMAP --------------------------------------------------- */

MC_TC(dontunmap_shared_file_keeps_old_view, "MREMAP-39",
    "MREMAP_DONTUNMAP of a shared file mapping moves its pages (same "
    "contents and physical pages at the new address) and leaves the old "
    "range mapped to the same file pages: it reads the file, shares the "
    "page-cache pages and sees writes made through the new address, which "
    "reach the file")
{
	size_t ps = mc_pagesize();
	int fd;
	unsigned char *p, *q, buf[16];
	struct mc_maps_ent e;
	struct stat st;
	uint64_t pfn[2];

	require_dontunmap();
	fd = mc_make_file("dontunmap_file", 4);
	ATF_REQUIRE(fstat(fd, &st) == 0);
	/* File pages 1-2, between guards made of pages 0 and 3. */
	p = mc_map_guarded(2, RW, MAP_SHARED, fd);
	mc_require_patterns(p, 2, 1, "the shared file pages before the move");
	for (size_t i = 0; i < 2; i++)
		pfn[i] = mc_pfn_try(p + i * ps);
	q = mremap(p, 2 * ps, 2 * ps, MREMAP_MAYMOVE | MREMAP_DONTUNMAP,
	    NULL);
	if (q == MAP_FAILED && errno == EINVAL)
		atf_tc_skip("MREMAP_DONTUNMAP of a shared file mapping: EINVAL "
		    "while it works on private anonymous memory: this kernel "
		    "limits the flag to private anonymous mappings (lifted by "
		    "commit a4609387859f)");
	ATF_REQUIRE_MSG(q != MAP_FAILED, "mremap(shared file mapping, 2 "
	    "pages, MAYMOVE|DONTUNMAP): %s", mc_errname(errno));
	ATF_REQUIRE_MSG(q != p, "MREMAP_DONTUNMAP returned the old address");
	mc_require_patterns(q, 2, 1, "the moved pages (file pages 1-2)");
	ATF_REQUIRE_MSG(mc_maps_entry(p, &e), "/proc/self/maps: the old range "
	    "%p is no longer mapped after MREMAP_DONTUNMAP", (void *)p);
	ATF_REQUIRE_MSG(e.start == (uintptr_t)p &&
	    e.end == (uintptr_t)(p + 2 * ps) && e.perms[3] == 's' &&
	    e.inode == (unsigned long long)st.st_ino && e.offset == ps,
	    "/proc/self/maps: expected the old range %p-%p still shared, "
	    "inode %llu, offset %#zx; got '%s'", (void *)p,
	    (void *)(p + 2 * ps), (unsigned long long)st.st_ino, ps, e.line);
	mc_require_patterns(p, 2, 1, "the old range after MREMAP_DONTUNMAP "
	    "(it maps the file)");
	memset(q, 'W', ps);
	mc_require_bytes(p, ps, 'W', "the old range after a write through the "
	    "new address");
	mc_pread_all(fd, buf, sizeof(buf), (off_t)ps);
	ATF_REQUIRE_MSG(mc_all_bytes(buf, sizeof(buf), 'W'), "pread(file page "
	    "1) after a write through the new address: expected 'W', got "
	    "%#x", buf[0]);
	mc_require_pfns();
	for (size_t i = 0; i < 2; i++) {
		require_pfn(q + i * ps, pfn[i], "a moved file page");
		require_pfn(p + i * ps, pfn[i], "the old range's page (the "
		    "same page-cache page)");
	}
	ATF_REQUIRE(munmap(q, 2 * ps) == 0);
	mc_unmap_guarded(p, 2);
	ATF_REQUIRE(close(fd) == 0);
}

/* What the child of dontunmap_over_rlimit_as_enomem saw. */
struct as_res {
	int64_t step;     /* 0: all ran; else the step that failed */
	int64_t err;      /* errno of that step (or the hard limit) */
	int64_t vmsize;   /* VmSize in kB before the call */
	int64_t call_err; /* errno of the DONTUNMAP over the limit (0: ok) */
	int64_t changed;  /* 1 when the failed call changed the mapping */
	int64_t vmsize_after; /* VmSize after the failed call */
	int64_t ctl_err;  /* errno of the control within the limit (0: ok) */
	int64_t ctl_bad;  /* control: bytes wrong at the new address */
	int64_t ctl_old_bad; /* control: old range bytes not zero */
};
enum { AS_MMAP = 1, AS_VMSIZE, AS_HARD, AS_SETRLIMIT };
#define AS_PAGES 4

/*
 * Maps AS_PAGES pages, then sets the soft RLIMIT_AS one page short of
 * VmSize + AS_PAGES pages: MREMAP_DONTUNMAP of them (which keeps the old
 * range and maps the new one) must fail with ENOMEM. Control: with the
 * limit at exactly VmSize + AS_PAGES pages the same call succeeds.
 */
static int
as_child(struct mc_child *self, void *arg)
{
	size_t ps = mc_pagesize(), len = AS_PAGES * ps;
	struct as_res r = { 0, 0, -1, 0, 0, -1, -1, 0, 0 };
	struct rlimit rl;
	unsigned char *p, *q;

	(void)arg;
	p = mmap(NULL, len, RW, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED) {
		r.step = AS_MMAP;
		r.err = errno;
		goto out;
	}
	memset(p, 'A', len);
	if (getrlimit(RLIMIT_AS, &rl) != 0) {
		r.step = AS_SETRLIMIT;
		r.err = errno;
		goto out;
	}
	r.vmsize = mc_status_kb_raw("VmSize");
	if (r.vmsize <= 0) {
		r.step = AS_VMSIZE;
		goto out;
	}
	if (rl.rlim_max != RLIM_INFINITY &&
	    rl.rlim_max < (rlim_t)r.vmsize * 1024 + len) {
		r.step = AS_HARD;
		r.err = (int64_t)rl.rlim_max;
		goto out;
	}
	rl.rlim_cur = (rlim_t)r.vmsize * 1024 + len - ps;
	if (setrlimit(RLIMIT_AS, &rl) != 0) {
		r.step = AS_SETRLIMIT;
		r.err = errno;
		goto out;
	}
	q = mremap(p, len, len, MREMAP_MAYMOVE | MREMAP_DONTUNMAP, NULL);
	r.call_err = q == MAP_FAILED ? errno : 0;
	if (q != MAP_FAILED)
		goto out;
	r.changed = mc_count_not(p, len, 'A') != 0;
	r.vmsize_after = mc_status_kb_raw("VmSize");
	rl.rlim_cur = (rlim_t)r.vmsize * 1024 + len;
	if (setrlimit(RLIMIT_AS, &rl) != 0) {
		r.step = AS_SETRLIMIT;
		r.err = errno;
		goto out;
	}
	q = mremap(p, len, len, MREMAP_MAYMOVE | MREMAP_DONTUNMAP, NULL);
	r.ctl_err = q == MAP_FAILED ? errno : 0;
	if (q != MAP_FAILED) {
		r.ctl_bad = (int64_t)mc_count_not(q, len, 'A');
		r.ctl_old_bad = (int64_t)mc_count_not(p, len, 0);
	}
out:
	mc_send(self, &r, sizeof(r));
	return 0;
}

MC_TC(dontunmap_over_rlimit_as_enomem, "MREMAP-40",
    "MREMAP_DONTUNMAP, which adds a mapping of old_size, fails with "
    "ENOMEM when that would exceed the soft RLIMIT_AS (set one page short "
    "of it), leaving the mapping and VmSize unchanged; with the limit at "
    "exactly VmSize + old_size the same call succeeds")
{
	static const char *step[] = { "", "mmap", "reading VmSize",
		"hard RLIMIT_AS", "getrlimit/setrlimit(RLIMIT_AS)" };
	struct as_res r;
	struct mc_child ch;

	require_dontunmap();
	mc_spawn(&ch, as_child, NULL);
	mc_expect(&ch, &r, sizeof(r), "the child's result");
	mc_reap_ok(&ch);
	if (r.step == AS_VMSIZE)
		atf_tc_skip("/proc/self/status has no VmSize: the limit "
		    "cannot be set relative to the address space in use");
	if (r.step == AS_HARD)
		atf_tc_skip("the hard RLIMIT_AS (%jd bytes) leaves no room "
		    "for the control move", (intmax_t)r.err);
	ATF_REQUIRE_MSG(r.step == 0, "child: %s failed: %s",
	    step[r.step >= 0 && r.step <= AS_SETRLIMIT ? r.step : 0],
	    mc_errname((int)r.err));
	ATF_REQUIRE_EQ_MSG(r.call_err, ENOMEM, "child: mremap(%d pages, "
	    "MAYMOVE|DONTUNMAP) with the soft RLIMIT_AS one page short of "
	    "VmSize (%jd kB) + %d pages: expected ENOMEM, got %s", AS_PAGES,
	    (intmax_t)r.vmsize, AS_PAGES,
	    r.call_err ? mc_errname((int)r.call_err) : "success");
	ATF_REQUIRE_EQ_MSG(r.changed, 0, "child: the failed call changed the "
	    "contents of the mapping");
	ATF_REQUIRE_EQ_MSG(r.vmsize_after, r.vmsize, "child: VmSize changed "
	    "from %jd to %jd kB by the failed call", (intmax_t)r.vmsize,
	    (intmax_t)r.vmsize_after);
	ATF_REQUIRE_EQ_MSG(r.ctl_err, 0, "child: control: with the soft "
	    "RLIMIT_AS at exactly VmSize + %d pages the same call failed: %s",
	    AS_PAGES, mc_errname((int)r.ctl_err));
	ATF_REQUIRE_EQ_MSG(r.ctl_bad, 0, "child: control: %jd bytes wrong at "
	    "the new address", (intmax_t)r.ctl_bad);
	ATF_REQUIRE_EQ_MSG(r.ctl_old_bad, 0, "child: control: the old range "
	    "is not zero-filled (%jd bytes)", (intmax_t)r.ctl_old_bad);
}

MC_TC(dontunmap_locked_middle_stays_locked, "MREMAP-42",
    "MREMAP_DONTUNMAP of the middle pages of a locked mapping: the moved "
    "pages are locked and resident at the new address (VmFlags lo, smaps "
    "Locked), the pages before and after keep their contents, the old "
    "middle range reads zero-filled pages")
{
	size_t ps = mc_pagesize();
	unsigned char *p, *q;
	char flags[512];
	long kb;

	require_dontunmap();
	p = mc_map_guarded(4, RW, MAP_PRIVATE | MAP_ANONYMOUS, -1);
	mc_fill_patterns(p, 4, 0);
	mc_mlock_or_skip(p, 4 * ps);
	q = mremap(p + ps, 2 * ps, 2 * ps, MREMAP_MAYMOVE | MREMAP_DONTUNMAP,
	    NULL);
	ATF_REQUIRE_MSG(q != MAP_FAILED, "mremap(pages 1-2 of a locked "
	    "4-page mapping, MAYMOVE|DONTUNMAP): %s", mc_errname(errno));
	mc_require_patterns(q, 2, 1, "the moved pages");
	mc_smaps_vmflags(q, flags, sizeof(flags));
	ATF_REQUIRE_MSG(mc_has_vmflag(flags, "lo"), "smaps: the moved "
	    "locked pages at %p are not locked: VmFlags '%s'", (void *)q,
	    flags);
	kb = mc_locked_kb(q);
	ATF_REQUIRE_EQ_MSG(kb, mc_kb_of_pages(2), "smaps: Locked of the "
	    "moved mapping is %ld kB, expected %ld kB (both pages)", kb,
	    mc_kb_of_pages(2));
	if (mc_mincore_sees_untouched())
		ATF_REQUIRE_EQ_MSG(mc_mincore_count(q, 2 * ps), 2, "mincore: "
		    "%zu of the 2 moved locked pages resident",
		    mc_mincore_count(q, 2 * ps));
	mc_require_patterns(p, 1, 0, "the locked page before the moved ones");
	mc_require_patterns(p + 3 * ps, 1, 3, "the locked page after the "
	    "moved ones");
	mc_require_bytes(p + ps, 2 * ps, 0, "the old middle range after "
	    "MREMAP_DONTUNMAP");
	ATF_REQUIRE(munlock(q, 2 * ps) == 0);
	ATF_REQUIRE(munlock(p, 4 * ps) == 0);
	ATF_REQUIRE(munmap(q, 2 * ps) == 0);
	mc_unmap_guarded(p, 4);
}

/* ---- growing beyond the free address space ---------------------------- */

/*
 * The end of the highest mapping of /proc/self/maps, leaving out
 * [vsyscall] (a fixed page in the kernel's half on x86-64): no free range
 * of the address space is that large, since a range that size starting
 * at or above that end would reach twice as high, and every range below
 * it overlaps a mapping or the end of the address space (the stack lies
 * near its top).
 */
static uintptr_t
highest_mapping_end(void)
{
	FILE *f = fopen("/proc/self/maps", "r");
	char line[4352];
	uintptr_t top = 0;

	if (f == NULL)
		atf_tc_skip("/proc/self/maps cannot be opened: %s",
		    mc_errname(errno));
	while (fgets(line, sizeof(line), f) != NULL) {
		unsigned long s, e;

		if (strstr(line, "[vsyscall]") != NULL)
			continue;
		ATF_REQUIRE_MSG(sscanf(line, "%lx-%lx", &s, &e) == 2,
		    "/proc/self/maps: cannot parse '%s'", line);
		if (e > top)
			top = e;
	}
	fclose(f);
	return top;
}

MC_TC(grow_beyond_free_address_space_enomem, "MREMAP-41",
    "Growing a mapping with MREMAP_MAYMOVE to a new_size that no free "
    "range of the address space can hold (the end address of the highest "
    "mapping) fails with ENOMEM (not enough virtual memory) and leaves the "
    "mapping's contents and bounds unchanged")
{
	size_t ps = mc_pagesize();
	unsigned char *p;
	size_t big;

	/* Two pages and a PROT_NONE guard page after them. */
	p = mc_map_anon(3 * ps, PROT_NONE, MAP_PRIVATE);
	ATF_REQUIRE(mprotect(p, 2 * ps, RW) == 0);
	mc_fill_patterns(p, 2, 0);
	big = highest_mapping_end();
	if (big <= (uintptr_t)(p + 3 * ps)) {
		/* then a free range above ours may hold it: no bound */
		ATF_REQUIRE(munmap(p, 3 * ps) == 0);
		atf_tc_skip("our new mapping (%p) is the highest one in "
		    "/proc/self/maps (it ends at %#zx): the end of the highest "
		    "mapping bounds no size here", (void *)p, big);
	}
	MC_REQUIRE_ERRF((long)(intptr_t)mremap(p, 2 * ps, big,
	    MREMAP_MAYMOVE), ENOMEM, "mremap(%p, 2 pages -> %#zx bytes (the "
	    "end of the highest mapping), MAYMOVE)", (void *)p, big);
	mc_require_patterns(p, 2, 0, "the mapping after the failed grow");
	mc_require_vma(p, p, p + 2 * ps, "the mapping after the failed grow");
	ATF_REQUIRE(munmap(p, 3 * ps) == 0);
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, pud_aligned_move_keeps_pages);
	ATF_TP_ADD_TC(tp, unaligned_pmd_move_exact);
	ATF_TP_ADD_TC(tp, unaligned_pmd_move_neighbour_below_source);
	ATF_TP_ADD_TC(tp, unaligned_pmd_move_neighbour_below_destination);
	ATF_TP_ADD_TC(tp, hugetlb_move_keeps_pages);
	ATF_TP_ADD_TC(tp, hugetlb_unaligned_addresses_einval);
	ATF_TP_ADD_TC(tp, hugetlb_grow_einval);
	ATF_TP_ADD_TC(tp, dontunmap_shared_file_keeps_old_view);
	ATF_TP_ADD_TC(tp, dontunmap_over_rlimit_as_enomem);
	ATF_TP_ADD_TC(tp, dontunmap_locked_middle_stays_locked);
	ATF_TP_ADD_TC(tp, grow_beyond_free_address_space_enomem);
	return atf_no_error();
}
