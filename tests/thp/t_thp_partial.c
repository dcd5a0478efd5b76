/*
 * t_thp_partial: advice that covers only part of a transparent huge page
 * (madvise(2), kernel Documentation/admin-guide/mm/transhuge.rst):
 * MADV_COLD, MADV_PAGEOUT and MADV_FREE of part of a PMD-mapped huge page
 * and of part of a multi-size THP (mTHP), and MADV_FREE with
 * MADV_PAGEOUT of pages (small pages, a PMD-mapped huge page, an mTHP)
 * that the process shares copy-on-write with a forked child.
 *
 * Advice on part of a huge page cannot apply to the whole page: the kernel
 * splits it into base pages first (transhuge.rst: thp_split_page, the
 * per-size stats/split counter), then advises only the pages of the
 * range. What must hold: every page keeps its data (MADV_COLD and
 * MADV_PAGEOUT are nondestructive, madvise(2)); the pages outside the
 * range stay present with their data and physical page; after MADV_FREE
 * a page of the range reads its old data or zeros, a page written after
 * it keeps what was written, pages outside it keep their data exactly;
 * and a process's MADV_FREE never changes the data of another process
 * (MADV_FREE applies to private mappings only: the child's copy is its
 * own).
 *
 * How the split is proved: smaps AnonHugePages of the range's own VMA
 * drops to 0 (no PMD maps it any more; visible without privilege), the
 * global counters /proc/vmstat thp_split_page (PMD size) or
 * hugepages-<N>kB/stats/split (mTHP) grow (necessary, not sufficient:
 * other processes may split too), and where PFNs and /proc/kpageflags are
 * readable (root) no page present afterwards is part of a compound page,
 * each at the PFN it had. Unprivileged runs end in a skip after the rest
 * passed, naming what was not checked.
 *
 * An mTHP is proved before the advice: one write to an aligned
 * MADV_HUGEPAGE range of that size, a VMA of its own smaller than a PMD,
 * maps all its pages (pagemap; anonymous memory has no fault-around), and
 * where readable they are one aligned physical run of a compound page.
 * When no large folio was allocated the case is skipped with what it saw.
 *
 * Swap may be on (the qemu guests have a swap file): a page MADV_PAGEOUT
 * reclaimed is then swapped (pagemap bit 62), never lost. Nothing here
 * changes a host setting.
 */
#include <sys/mman.h>

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mc.h"
#include "mc_err.h"
#include "mc_proc.h"
#include "mc_thp.h"

/* include/uapi/linux/kernel-page-flags.h */
#define KPF_COMPOUND_HEAD 15
#define KPF_COMPOUND_TAIL 16
#define KPF_BIT(b) (UINT64_C(1) << (b))
#define KPF_COMPOUND (KPF_BIT(KPF_COMPOUND_HEAD) | KPF_BIT(KPF_COMPOUND_TAIL))

/* ---- helpers of this program ------------------------------------------ */

/* The same check on a result taken earlier (r, errno e). */
static void
madvise_result(int r, int e, const void *p, size_t len, const char *name)
{
	if (r == 0)
		return;
	if (e == EINVAL)
		atf_tc_skip("madvise(%s) fails with EINVAL: advice not "
		    "supported by this kernel", name);
	ATF_REQUIRE_MSG(false, "madvise(%p, %zu, %s): expected 0, got errno "
	    "%s", p, len, name, mc_errname(e));
}

/* Whether the page at q holds mc_pattern(i) or zeros, the whole page. */
static bool
old_or_zero(const unsigned char *q, size_t i)
{
	size_t ps = mc_pagesize();

	return mc_count_not(q, ps, mc_pattern(i)) == 0 ||
	    mc_count_not(q, ps, 0) == 0;
}

/*
 * Require every page i of [p, p + n pages) with lo <= i < hi, except page
 * skip, to read mc_pattern(first + i) or zeros, a whole page each.
 */
static void
require_old_or_zero(const unsigned char *p, size_t lo, size_t hi,
    size_t first, size_t skip, const char *what)
{
	size_t ps = mc_pagesize();

	mc_require_readable(p + lo * ps, (hi - lo) * ps, what);
	for (size_t i = lo; i < hi; i++) {
		const unsigned char *q = p + i * ps;

		if (i == skip)
			continue;
		ATF_REQUIRE_MSG(old_or_zero(q, first + i), "%s: page %zu at %p "
		    "reads neither its old data (all %#x) nor zeros: %zu bytes "
		    "differ from the old data, %zu are not zero", what, i,
		    (const void *)q, mc_pattern(first + i),
		    mc_count_not(q, ps, mc_pattern(first + i)),
		    mc_count_not(q, ps, 0));
	}
}

/* A /proc/vmstat counter before and after: require it grew (if present). */
static void
require_grew(long before, long after, const char *name, const char *what)
{
	if (before < 0 || after < 0)
		return; /* no such counter here: nothing to check */
	ATF_REQUIRE_MSG(after > before, "%s: the split counter %s stayed %ld "
	    "(expected it to grow: the huge page must be split)", what, name,
	    before);
}

/*
 * What a range looked like right after the advice, before any access
 * (an access would swap a page back in): each page's pagemap entry and,
 * where PFNs and /proc/kpageflags are readable, each present page's flags.
 */
struct look {
	size_t n;
	uint64_t *pm;
	uint64_t *kpf;
	int kpf_err; /* 0: flags read for every present page, else why not */
};

static void
look_take(struct look *l, const unsigned char *p, size_t n)
{
	size_t ps = mc_pagesize();
	int fd;

	l->n = n;
	l->pm = calloc(n, sizeof(*l->pm));
	l->kpf = calloc(n, sizeof(*l->kpf));
	l->kpf_err = 0;
	ATF_REQUIRE(l->pm != NULL && l->kpf != NULL);
	for (size_t i = 0; i < n; i++)
		l->pm[i] = mc_pagemap(p + i * ps);
	if (!mc_pfns_visible(NULL)) {
		l->kpf_err = EPERM;
		return;
	}
	fd = open("/proc/kpageflags", O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		l->kpf_err = errno;
		return;
	}
	for (size_t i = 0; i < n; i++) {
		uint64_t pfn = MC_PM_PFN(l->pm[i]);
		ssize_t r;

		if (!(l->pm[i] & MC_PM_PRESENT) || pfn == 0)
			continue;
		r = pread(fd, &l->kpf[i], sizeof(l->kpf[i]),
		    (off_t)(pfn * sizeof(uint64_t)));
		if (r != (ssize_t)sizeof(l->kpf[i])) {
			l->kpf_err = r < 0 ? errno : EIO;
			break;
		}
	}
	close(fd);
}

static void
look_free(struct look *l)
{
	free(l->pm);
	free(l->kpf);
}

/*
 * Page classes for look_require_kept: 'P' must be present (outside the
 * advised range), 'K' present or swapped (data kept), 'A' anything
 * (a lazily freed page may have been discarded).
 */
static void
look_require_kept(const struct look *l, const unsigned char *p,
    const char *cls, const char *what)
{
	size_t ps = mc_pagesize();

	for (size_t i = 0; i < l->n; i++) {
		uint64_t e = l->pm[i];

		if (cls[i] == 'P')
			ATF_REQUIRE_MSG((e & MC_PM_PRESENT) &&
			    !(e & MC_PM_SWAP), "%s: page %zu at %p, outside "
			    "the advised range, is not present (pagemap entry "
			    "%#jx): advice on part of a huge page reached a "
			    "page outside the range", what, i,
			    (const void *)(p + i * ps), (uintmax_t)e);
		else if (cls[i] == 'K')
			ATF_REQUIRE_MSG(e & (MC_PM_PRESENT | MC_PM_SWAP), "%s: "
			    "page %zu at %p is neither present nor swapped "
			    "(pagemap entry %#jx): its data is lost", what, i,
			    (const void *)(p + i * ps), (uintmax_t)e);
	}
}

/*
 * Where PFNs are visible (else skip, after 'done'): every page present in
 * the look kept the PFN of before[] (a split keeps each page in place;
 * reclaim that did not take a page leaves it where it was).
 */
static void
look_require_pfns(const struct look *l, const unsigned char *p,
    const uint64_t *before, const char *what, const char *done)
{
	size_t ps = mc_pagesize();

	mc_require_pfns_after(done);
	for (size_t i = 0; i < l->n; i++) {
		uint64_t now = MC_PM_PFN(l->pm[i]);

		if (!(l->pm[i] & MC_PM_PRESENT))
			continue;
		ATF_REQUIRE_MSG(now == before[i], "%s: page %zu at %p: "
		    "expected PFN %#jx (kept in place), got %#jx", what, i,
		    (const void *)(p + i * ps), (uintmax_t)before[i],
		    (uintmax_t)now);
	}
}

/*
 * Where /proc/kpageflags was read (else skip, after 'done'): no page
 * present in the look is part of a compound page any more: the huge page
 * was split into base pages.
 */
static void
look_require_split(const struct look *l, const unsigned char *p,
    const char *what, const char *done)
{
	size_t ps = mc_pagesize();

	if (l->kpf_err != 0)
		atf_tc_skip("%s; /proc/kpageflags not readable (%s): that no "
		    "page of %s is part of a compound page any more was not "
		    "checked", done, strerror(l->kpf_err), what);
	for (size_t i = 0; i < l->n; i++) {
		if (!(l->pm[i] & MC_PM_PRESENT))
			continue;
		ATF_REQUIRE_MSG((l->kpf[i] & KPF_COMPOUND) == 0, "%s: page %zu "
		    "at %p (PFN %#jx) still has kpageflags %#jx, compound %s: "
		    "the huge page was not split into base pages", what, i,
		    (const void *)(p + i * ps), (uintmax_t)MC_PM_PFN(l->pm[i]),
		    (uintmax_t)l->kpf[i],
		    (l->kpf[i] & KPF_BIT(KPF_COMPOUND_HEAD)) ? "head" : "tail");
	}
}

/* A class string for n pages: c inside [lo, hi), out elsewhere (malloc'd). */
static char *
classes(size_t n, size_t lo, size_t hi, char in, char out)
{
	char *c = malloc(n + 1);

	ATF_REQUIRE(c != NULL);
	for (size_t i = 0; i < n; i++)
		c[i] = i >= lo && i < hi ? in : out;
	c[n] = '\0';
	return c;
}

/* ---- multi-size THP ---------------------------------------------------- */

/* The per-size counter hugepages-<sz>kB/stats/<name>; -1 when missing. */
static long
mthp_stat(size_t sz, const char *name)
{
	char path[160];
	unsigned long v;

	snprintf(path, sizeof(path), MC_THP_DIR "/hugepages-%zukB/stats/%s",
	    sz / 1024, name);
	return mc_read_ulong_file(path, &v) ? (long)v : -1;
}

/*
 * An sz-aligned private MADV_HUGEPAGE range of sz bytes, a VMA of its own
 * (smaller than a PMD: only an mTHP can map it), holding one mTHP: one
 * write mapped all its pages (two tries), and where PFNs are visible they
 * are one aligned physical run, where /proc/kpageflags is readable one
 * compound page. Filled with mc_pattern(first + i). Skips, with what it
 * saw, when no large folio was allocated.
 */
static unsigned char *
mthp_range(size_t sz, size_t first)
{
	size_t ps = mc_pagesize(), m = sz / ps, present = 0;
	long fb0 = mthp_stat(sz, "anon_fault_fallback"), fb1;
	unsigned char *p = NULL;
	uint64_t *pfn;
	int fd;

	for (int attempt = 0; attempt < 2 && p == NULL; attempt++) {
		p = mc_thp_region(sz, sz, MAP_PRIVATE);
		MC_REQUIRE_OKF(madvise(p, sz, MADV_HUGEPAGE),
		    "madvise(%p, %zu, MADV_HUGEPAGE)", (void *)p, sz);
		*(volatile unsigned char *)p = 1;
		present = 0;
		for (size_t i = 0; i < m; i++)
			if (mc_pagemap(p + i * ps) & MC_PM_PRESENT)
				present++;
		ATF_REQUIRE_MSG(present >= 1, "the written page at %p is not "
		    "present", (void *)p);
		if (present != m) {
			mc_thp_region_free(p, sz);
			p = NULL;
		}
	}
	if (p == NULL) {
		fb1 = mthp_stat(sz, "anon_fault_fallback");
		atf_tc_skip("no %zukB folio was allocated: one write to an "
		    "aligned MADV_HUGEPAGE range of %zu kB mapped %zu of its %zu "
		    "pages (twice); hugepages-%zukB/stats/anon_fault_fallback "
		    "%ld -> %ld", sz / 1024, sz / 1024, present, m, sz / 1024,
		    fb0, fb1);
	}
	mc_fill_patterns(p, m, first);
	if (!mc_pfns_visible(NULL))
		return p;
	pfn = mc_pfns_try(p, m);
	for (size_t i = 0; i < m; i++)
		ATF_REQUIRE_MSG(pfn[0] % m == 0 && pfn[i] == pfn[0] + i, "the "
		    "%zukB folio at %p: page %zu maps PFN %#jx, first PFN %#jx: "
		    "not one aligned physical run", sz / 1024, (void *)p, i,
		    (uintmax_t)pfn[i], (uintmax_t)pfn[0]);
	fd = open("/proc/kpageflags", O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		for (size_t i = 0; i < m; i++) {
			uint64_t f = 0, want = KPF_BIT(i == 0 ?
			    KPF_COMPOUND_HEAD : KPF_COMPOUND_TAIL);

			ATF_REQUIRE_MSG(pread(fd, &f, sizeof(f), (off_t)(pfn[i] *
			    sizeof(f))) == (ssize_t)sizeof(f), "pread of "
			    "/proc/kpageflags at PFN %#jx: %s",
			    (uintmax_t)pfn[i], strerror(errno));
			ATF_REQUIRE_MSG((f & want) == want, "the %zukB folio at "
			    "%p: page %zu (PFN %#jx) has kpageflags %#jx, not "
			    "compound %s", sz / 1024, (void *)p, i,
			    (uintmax_t)pfn[i], (uintmax_t)f,
			    i == 0 ? "head" : "tail");
		}
		close(fd);
	}
	free(pfn);
	return p;
}

/* ---- MADV_COLD / MADV_PAGEOUT of part of a PMD-mapped huge page -------- */

MC_TC(cold_part_of_pmd_thp_splits, "THP-21",
    "MADV_COLD of the first half of a PMD-mapped huge page splits it "
    "(AnonHugePages 0, thp_split_page grows, no page compound) while "
    "every page stays present at its PFN with its contents")
{
	size_t ps = mc_pagesize(), thp = mc_thp_require_anon(), n = thp / ps;
	unsigned char *p = mc_thp_huge_range(thp, 0);
	uint64_t *pfn0 = mc_pfns_try(p, n);
	long sp0 = mc_vmstat("thp_split_page");
	char *cls = classes(n, 0, n, 'P', 'P');
	struct look l;

	mc_madvise_or_skip(p, thp / 2, MADV_COLD, "MADV_COLD");
	look_take(&l, p, n);
	mc_thp_require_ahp(p, 0, "after MADV_COLD of its first half (no PMD may map "
	    "a huge page only part of which is advised)");
	require_grew(sp0, mc_vmstat("thp_split_page"),
	    "/proc/vmstat thp_split_page", "MADV_COLD of half a huge page");
	look_require_kept(&l, p, cls, "after MADV_COLD of the first half");
	mc_require_patterns(p, n, 0, "the huge page after MADV_COLD of its "
	    "first half");
	look_require_pfns(&l, p, pfn0, "after MADV_COLD of the first half",
	    "AnonHugePages 0, every page present, contents intact");
	look_require_split(&l, p, "the advised huge page", "AnonHugePages 0, "
	    "pages present at their PFNs, contents intact");
	look_free(&l);
	free(cls);
	free(pfn0);
	mc_thp_region_free(p, thp);
}

MC_TC(pageout_part_of_pmd_thp_splits, "THP-22",
    "MADV_PAGEOUT of the middle half of a PMD-mapped huge page splits it "
    "(AnonHugePages 0, thp_split_page grows, no page compound); the pages "
    "outside the range stay present at their PFNs, those inside are "
    "present or swapped, never lost; all contents intact")
{
	size_t ps = mc_pagesize(), thp = mc_thp_require_anon(), n = thp / ps;
	unsigned char *p = mc_thp_huge_range(thp, 0);
	uint64_t *pfn0 = mc_pfns_try(p, n);
	long sp0 = mc_vmstat("thp_split_page");
	char *cls = classes(n, n / 4, 3 * n / 4, 'K', 'P');
	struct look l;

	mc_madvise_or_skip(p + thp / 4, thp / 2, MADV_PAGEOUT, "MADV_PAGEOUT");
	look_take(&l, p, n);
	mc_thp_require_ahp(p, 0, "after MADV_PAGEOUT of its middle half");
	require_grew(sp0, mc_vmstat("thp_split_page"),
	    "/proc/vmstat thp_split_page", "MADV_PAGEOUT of half a huge page");
	look_require_kept(&l, p, cls, "after MADV_PAGEOUT of the middle half");
	mc_require_patterns(p, n, 0, "the huge page after MADV_PAGEOUT of its "
	    "middle half");
	look_require_pfns(&l, p, pfn0, "after MADV_PAGEOUT of the middle half",
	    "AnonHugePages 0, pages outside present, none lost, contents "
	    "intact");
	look_require_split(&l, p, "the advised huge page", "AnonHugePages 0, "
	    "pages present at their PFNs, contents intact");
	look_free(&l);
	free(cls);
	free(pfn0);
	mc_thp_region_free(p, thp);
}

/* ---- MADV_COLD / MADV_PAGEOUT of part of an mTHP ----------------------- */

MC_TC(cold_pageout_part_of_mthp_splits, "THP-23",
    "MADV_COLD of the first half of one multi-size THP and MADV_PAGEOUT "
    "of the middle half of another split each (stats/split grows, no page "
    "compound); pages outside the ranges stay present at their PFNs, "
    "those inside are present or swapped; all contents intact")
{
	size_t ps = mc_pagesize(), sz = mc_mthp_size(), m = sz / ps;
	unsigned char *a = mthp_range(sz, 0), *b = mthp_range(sz, m);
	uint64_t *pa = mc_pfns_try(a, m), *pb = mc_pfns_try(b, m);
	long sp0 = mthp_stat(sz, "split");
	char *ca = classes(m, 0, m, 'P', 'P');
	char *cb = classes(m, m / 4, 3 * m / 4, 'K', 'P');
	struct look la, lb;

	mc_madvise_or_skip(a, sz / 2, MADV_COLD, "MADV_COLD");
	mc_madvise_or_skip(b + sz / 4, sz / 2, MADV_PAGEOUT, "MADV_PAGEOUT");
	look_take(&la, a, m);
	look_take(&lb, b, m);
	if (sp0 >= 0)
		ATF_REQUIRE_MSG(mthp_stat(sz, "split") >= sp0 + 2, "advice on "
		    "part of two %zukB folios: hugepages-%zukB/stats/split "
		    "went from %ld to %ld, expected at least 2 more (each "
		    "folio must be split)", sz / 1024, sz / 1024, sp0,
		    mthp_stat(sz, "split"));
	look_require_kept(&la, a, ca, "the mTHP after MADV_COLD of its first "
	    "half");
	look_require_kept(&lb, b, cb, "the mTHP after MADV_PAGEOUT of its "
	    "middle half");
	mc_require_patterns(a, m, 0, "the mTHP after MADV_COLD of its first "
	    "half");
	mc_require_patterns(b, m, m, "the mTHP after MADV_PAGEOUT of its "
	    "middle half");
	look_require_pfns(&la, a, pa, "the mTHP after MADV_COLD of its first "
	    "half", "pages outside present, none lost, contents intact");
	look_require_pfns(&lb, b, pb, "the mTHP after MADV_PAGEOUT of its "
	    "middle half", "pages outside present, none lost, contents "
	    "intact");
	look_require_split(&la, a, "the mTHP advised MADV_COLD", "pages "
	    "present at their PFNs, contents intact");
	look_require_split(&lb, b, "the mTHP advised MADV_PAGEOUT", "pages "
	    "present at their PFNs, contents intact");
	look_free(&la);
	look_free(&lb);
	free(ca);
	free(cb);
	free(pa);
	free(pb);
	mc_thp_region_free(a, sz);
	mc_thp_region_free(b, sz);
}

/* ---- MADV_FREE of part of a huge page ---------------------------------- */

/*
 * The common part of the MADV_FREE cases on the n-page huge page at p
 * (patterns from 0, PFNs before in pfn0): MADV_FREE of its first half
 * (done by the caller, which proved the split), a whole-page write 'W' to
 * page w of the freed half, then MADV_PAGEOUT of the whole range. The
 * written page and the pages outside the freed half must keep their data
 * (present or swapped, never discarded); the other freed pages read their
 * old data or zeros; pages not discarded stay at their PFNs, not compound.
 */
static void
free_half_then_check(unsigned char *p, size_t n, const uint64_t *pfn0,
    const char *what)
{
	size_t ps = mc_pagesize(), w = n / 4;
	char *cls = classes(n, 0, n / 2, 'A', 'K');
	char msg[160];
	struct look l;

	cls[w] = 'K';
	MC_REQUIRE_NO_FAULT(p + w * ps, MC_WRITE);
	memset(p + w * ps, 'W', ps);
	mc_madvise_or_skip(p, n * ps, MADV_PAGEOUT, "MADV_PAGEOUT");
	look_take(&l, p, n);
	snprintf(msg, sizeof(msg), "%s: MADV_FREE of the first half, a write "
	    "to page %zu, MADV_PAGEOUT of all", what, w);
	look_require_kept(&l, p, cls, msg);
	mc_require_readable(p, n * ps, msg);
	ATF_REQUIRE_MSG(mc_all_bytes(p + w * ps, ps, 'W'), "%s: page %zu, "
	    "written ('W') after MADV_FREE, lost the write: %zu bytes are not "
	    "'W' (first byte %#x)", msg, w, mc_count_not(p + w * ps, ps, 'W'),
	    p[w * ps]);
	mc_require_patterns(p + n / 2 * ps, n - n / 2, n / 2, "the pages "
	    "outside the freed half");
	require_old_or_zero(p, 0, n / 2, 0, w, msg);
	look_require_pfns(&l, p, pfn0, msg, "the written page and the pages "
	    "outside the freed half kept their data, freed pages read old data "
	    "or zeros");
	look_require_split(&l, p, what, "contents and PFNs passed");
	look_free(&l);
	free(cls);
}

MC_TC(free_part_of_pmd_thp, "THP-24",
    "MADV_FREE of the first half of a PMD-mapped huge page splits it "
    "(AnonHugePages 0); after a write to one freed page and MADV_PAGEOUT "
    "of the whole range the written page keeps its data, the other freed "
    "pages read old data or zeros, the second half keeps its data exactly")
{
	size_t ps = mc_pagesize(), thp = mc_thp_require_anon(), n = thp / ps;
	unsigned char *p;
	uint64_t *pfn0;
	long sp0;

	mc_pin_to_current_cpu(); /* MADV_PAGEOUT drains this CPU's batches */
	p = mc_thp_huge_range(thp, 0);
	pfn0 = mc_pfns_try(p, n);
	sp0 = mc_vmstat("thp_split_page");
	mc_madvise_or_skip(p, thp / 2, MADV_FREE, "MADV_FREE");
	mc_thp_require_ahp(p, 0, "after MADV_FREE of its first half");
	require_grew(sp0, mc_vmstat("thp_split_page"),
	    "/proc/vmstat thp_split_page", "MADV_FREE of half a huge page");
	free_half_then_check(p, n, pfn0, "the PMD-mapped huge page");
	free(pfn0);
	mc_thp_region_free(p, thp);
}

MC_TC(free_part_of_mthp, "THP-25",
    "MADV_FREE of the first half of a multi-size THP splits it "
    "(stats/split grows); after a write to one freed page and MADV_PAGEOUT "
    "of the whole range the written page keeps its data, the other freed "
    "pages read old data or zeros, the second half keeps its data exactly")
{
	size_t ps = mc_pagesize(), sz = mc_mthp_size(), m = sz / ps;
	unsigned char *p;
	uint64_t *pfn0;
	long sp0;

	mc_pin_to_current_cpu(); /* MADV_PAGEOUT drains this CPU's batches */
	p = mthp_range(sz, 0);
	pfn0 = mc_pfns_try(p, m);
	sp0 = mthp_stat(sz, "split");
	mc_madvise_or_skip(p, sz / 2, MADV_FREE, "MADV_FREE");
	if (sp0 >= 0)
		ATF_REQUIRE_MSG(mthp_stat(sz, "split") > sp0, "MADV_FREE of "
		    "half a %zukB folio: hugepages-%zukB/stats/split stayed "
		    "%ld (the folio must be split)", sz / 1024, sz / 1024, sp0);
	free_half_then_check(p, m, pfn0, "the mTHP");
	free(pfn0);
	mc_thp_region_free(p, sz);
}

/* ---- MADV_FREE of pages shared with a forked child ---------------------- */

/* Ranges whose data a child checks: n pages reading mc_pattern(first + i). */
#define KEEP_RANGES 2
struct keep_arg {
	unsigned char *p[KEEP_RANGES];
	size_t n[KEEP_RANGES], first[KEEP_RANGES];
	size_t nr;
};

/* Bytes of the ranges of a that differ from their patterns. No ATF. */
static uint64_t
keep_mismatches(const struct keep_arg *a)
{
	size_t ps = mc_pagesize();
	uint64_t bad = 0;

	for (size_t r = 0; r < a->nr; r++)
		for (size_t i = 0; i < a->n[r]; i++)
			bad += mc_count_not(a->p[r] + i * ps, ps,
			    mc_pattern(a->first[r] + i));
	return bad;
}

/*
 * Child of the fork cases: reports its mismatches, waits until the parent
 * has advised its own copies, reports its mismatches again, exits.
 */
static int
keep_child(struct mc_child *self, void *arg)
{
	struct keep_arg *a = arg;

	mc_child_send_u64(self, keep_mismatches(a));
	(void)mc_child_recv_u64(self);
	mc_child_send_u64(self, keep_mismatches(a));
	return 0;
}

/* One madvise the parent makes while its child waits. */
struct advice {
	unsigned char *p;
	size_t len;
	int advice;
	const char *name;
	int r, e;
};

/*
 * Fork a child that checks the ranges of a, make the advice calls in
 * order while it waits (results kept, not checked: the child is reaped
 * first), let it check again, reap it, then require that every call
 * succeeded and that the child read its data unchanged both times.
 */
static void
advise_while_child_keeps(struct keep_arg *a, struct advice *adv, size_t nadv,
    const char *what)
{
	struct mc_child ch;
	uint64_t before, after;

	mc_spawn(&ch, keep_child, a);
	mc_expect(&ch, &before, sizeof(before), "the child's mismatches "
	    "before the parent's advice");
	for (size_t i = 0; i < nadv; i++) {
		errno = 0;
		adv[i].r = madvise(adv[i].p, adv[i].len, adv[i].advice);
		adv[i].e = errno;
	}
	mc_send(&ch, &before, sizeof(before));
	mc_expect(&ch, &after, sizeof(after), "the child's mismatches after "
	    "the parent's advice");
	mc_reap_ok(&ch);
	for (size_t i = 0; i < nadv; i++)
		madvise_result(adv[i].r, adv[i].e, adv[i].p, adv[i].len,
		    adv[i].name);
	ATF_REQUIRE_MSG(before == 0, "the child right after fork: %ju bytes "
	    "of %s differ from the parent's data", (uintmax_t)before, what);
	ATF_REQUIRE_MSG(after == 0, "the child after the parent's MADV_FREE "
	    "and MADV_PAGEOUT of %s: %ju bytes of its own copy changed "
	    "(expected none: the parent's advice is about the parent's "
	    "pages)", what, (uintmax_t)after);
}

MC_TC(free_shared_small_pages_child_keeps, "THP-26",
    "After fork, MADV_FREE and then MADV_PAGEOUT by the parent of small "
    "private pages it shares copy-on-write with the child leave the "
    "child's data unchanged; the parent reads old data or zeros")
{
	size_t ps = mc_pagesize(), n = 16;
	unsigned char *p;
	struct keep_arg a = { { NULL }, { 0 }, { 0 }, 1 };
	struct advice adv[2];

	p = mc_map_guarded(n, PROT_READ | PROT_WRITE, MAP_PRIVATE |
	    MAP_ANONYMOUS, -1);
	mc_fill_patterns(p, n, 0);
	a.p[0] = p;
	a.n[0] = n;
	adv[0] = (struct advice){ p, n * ps, MADV_FREE, "MADV_FREE", 0, 0 };
	adv[1] = (struct advice){ p, n * ps, MADV_PAGEOUT, "MADV_PAGEOUT", 0,
	    0 };
	advise_while_child_keeps(&a, adv, 2, "the small pages");
	require_old_or_zero(p, 0, n, 0, SIZE_MAX, "the parent's small pages "
	    "after MADV_FREE and MADV_PAGEOUT");
	mc_unmap_guarded(p, n);
}

MC_TC(free_shared_thp_child_keeps, "THP-27",
    "After fork, the parent's MADV_FREE of half and then all of a "
    "PMD-mapped huge page and of all the small pages of a split huge page, "
    "both shared copy-on-write with the child, then MADV_PAGEOUT of both, "
    "leave the child's data unchanged; the parent reads old data or zeros")
{
	size_t ps = mc_pagesize(), thp = mc_thp_require_anon(), n = thp / ps;
	unsigned char *h, *s;
	struct keep_arg a = { { NULL }, { 0 }, { 0 }, 2 };
	struct advice adv[5];

	mc_pin_to_current_cpu(); /* MADV_PAGEOUT drains this CPU's batches */
	h = mc_thp_huge_range(thp, 0);
	s = mc_thp_huge_range(thp, 7);
	/*
	 * s becomes small pages through a split (MADV_COLD of one page):
	 * unlike freshly faulted small pages they carry the dirty bit of the
	 * huge page's PMD, so the parent's MADV_FREE must decide on them by
	 * whether another process maps them.
	 */
	mc_madvise_or_skip(s, ps, MADV_COLD, "MADV_COLD");
	mc_thp_require_ahp(s, 0, "after MADV_COLD of its first page");
	a.p[0] = h;
	a.n[0] = n;
	a.first[0] = 0;
	a.p[1] = s;
	a.n[1] = n;
	a.first[1] = 7;
	adv[0] = (struct advice){ h, thp / 2, MADV_FREE, "MADV_FREE", 0, 0 };
	adv[1] = (struct advice){ h, thp, MADV_FREE, "MADV_FREE", 0, 0 };
	adv[2] = (struct advice){ s, thp, MADV_FREE, "MADV_FREE", 0, 0 };
	adv[3] = (struct advice){ h, thp, MADV_PAGEOUT, "MADV_PAGEOUT", 0, 0 };
	adv[4] = (struct advice){ s, thp, MADV_PAGEOUT, "MADV_PAGEOUT", 0, 0 };
	advise_while_child_keeps(&a, adv, 5, "the huge page and the split "
	    "huge page");
	require_old_or_zero(h, 0, n, 0, SIZE_MAX, "the parent's huge page "
	    "after MADV_FREE and MADV_PAGEOUT");
	require_old_or_zero(s, 0, n, 7, SIZE_MAX, "the parent's split huge "
	    "page after MADV_FREE and MADV_PAGEOUT");
	mc_thp_region_free(h, thp);
	mc_thp_region_free(s, thp);
}

MC_TC(free_shared_mthp_child_keeps, "THP-28",
    "After fork, MADV_FREE of half a multi-size THP shared copy-on-write "
    "with the child, then MADV_FREE and MADV_PAGEOUT of all of it, by the "
    "parent leave the child's data unchanged; the parent reads old data "
    "or zeros")
{
	size_t ps = mc_pagesize(), sz = mc_mthp_size(), m = sz / ps;
	unsigned char *p;
	struct keep_arg a = { { NULL }, { 0 }, { 0 }, 1 };
	struct advice adv[3];

	mc_pin_to_current_cpu(); /* MADV_PAGEOUT drains this CPU's batches */
	p = mthp_range(sz, 0);
	a.p[0] = p;
	a.n[0] = m;
	adv[0] = (struct advice){ p, sz / 2, MADV_FREE, "MADV_FREE", 0, 0 };
	adv[1] = (struct advice){ p, sz, MADV_FREE, "MADV_FREE", 0, 0 };
	adv[2] = (struct advice){ p, sz, MADV_PAGEOUT, "MADV_PAGEOUT", 0, 0 };
	advise_while_child_keeps(&a, adv, 3, "the mTHP");
	require_old_or_zero(p, 0, m, 0, SIZE_MAX, "the parent's mTHP after "
	    "MADV_FREE and MADV_PAGEOUT");
	mc_thp_region_free(p, sz);
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, cold_part_of_pmd_thp_splits);
	ATF_TP_ADD_TC(tp, pageout_part_of_pmd_thp_splits);
	ATF_TP_ADD_TC(tp, cold_pageout_part_of_mthp_splits);
	ATF_TP_ADD_TC(tp, free_part_of_pmd_thp);
	ATF_TP_ADD_TC(tp, free_part_of_mthp);
	ATF_TP_ADD_TC(tp, free_shared_small_pages_child_keeps);
	ATF_TP_ADD_TC(tp, free_shared_thp_child_keeps);
	ATF_TP_ADD_TC(tp, free_shared_mthp_child_keeps);
	return 0;
}
