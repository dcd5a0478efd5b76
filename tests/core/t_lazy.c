/*
 * t_lazy: demand paging (design note §4).
 *
 * LAZY-1 right after mmap no page is resident, LAZY-2 touching k pages
 * makes exactly those k resident, LAZY-3 a MAP_NORESERVE mapping much
 * larger than physical memory can be created and partly used, LAZY-4
 * reading untouched private anonymous pages maps the shared zero page,
 * LAZY-5 MAP_POPULATE is the documented way out: every page is resident
 * right after mmap.
 *
 * Residency is observed through three independent sources, one case each:
 * mincore(2), the present bit of /proc/self/pagemap, and Rss in
 * /proc/self/smaps. A case skips only when its source is missing; a source
 * that exists and contradicts the semantics fails the case.
 *
 * Every mapping counted here is made a VMA of its own (PROT_NONE guard
 * pages on both sides) so that smaps describes exactly its pages, and has
 * THP disabled (Debian kernels run THP=always, which would fault in a whole
 * huge page on the first touch).
 */
#include <sys/mman.h>
#include <sys/resource.h>

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

#define NPAGES 16

/* The pages the LAZY-2 cases write, in this order (all < NPAGES). */
static const size_t touched[] = { 3, 0, 9, 10, 15, 6 };
#define NTOUCHED (sizeof(touched) / sizeof(touched[0]))

enum kind { PRIV_ANON, SHARED_ANON, PRIV_FILE };

static const char *
kind_name(enum kind k)
{
	switch (k) {
	case PRIV_ANON: return "private anonymous mapping";
	case SHARED_ANON: return "shared anonymous mapping";
	case PRIV_FILE: return "private file mapping";
	}
	return "?";
}

/*
 * Map n usable pages of the given kind between two PROT_NONE guard pages
 * (mc_map_guarded), so that [result, result + n pages) is exactly one VMA;
 * THP off.
 */
static unsigned char *
map_guarded_flags(enum kind k, size_t n, int extra)
{
	int flags = (k == SHARED_ANON ? MAP_SHARED : MAP_PRIVATE) | extra;
	int fd = -1;
	unsigned char *p;

	if (k == PRIV_FILE)
		fd = mc_make_file("lazy.dat", n + 2);
	else
		flags |= MAP_ANONYMOUS;
	p = mc_map_guarded(n, PROT_READ | PROT_WRITE, flags, fd);
	if (fd >= 0)
		ATF_REQUIRE(close(fd) == 0);
	return p;
}

static unsigned char *
map_guarded(enum kind k, size_t n)
{
	return map_guarded_flags(k, n, 0);
}

/* Per-page mincore vector of [p, p + n pages). */
static void
mincore_vec(unsigned char *p, size_t n, unsigned char *vec)
{
	ATF_REQUIRE_MSG(mincore(p, n * mc_pagesize(), vec) == 0,
	    "mincore(%p, %zu pages): %s", (void *)p, n, strerror(errno));
}

/* Skip when mincore(2) does not exist here. */
static void
require_mincore(void)
{
	unsigned char v;
	void *p = mc_map_anon(mc_pagesize(), PROT_READ, MAP_PRIVATE);

	if (mincore(p, mc_pagesize(), &v) != 0 && errno == ENOSYS)
		mc_skip_unsupported("mincore", ENOSYS);
	ATF_REQUIRE(munmap(p, mc_pagesize()) == 0);
}

/* Skip when /proc/self/pagemap does not exist here. */
static void
require_pagemap(void)
{
	if (access("/proc/self/pagemap", R_OK) != 0)
		atf_tc_skip("/proc/self/pagemap not available: %s",
		    strerror(errno));
}

/* Rss of the VMA holding p, in pages; the field must exist. */
static long
rss_pages(const void *p, const char *what)
{
	long kb = mc_smaps_kb(p, "Rss");

	ATF_REQUIRE_MSG(kb >= 0, "%s: no Rss field in /proc/self/smaps", what);
	return kb * 1024 / (long)mc_pagesize();
}

static bool
is_touched(size_t page, size_t upto)
{
	for (size_t j = 0; j < upto; j++)
		if (touched[j] == page)
			return true;
	return false;
}

/* ---- LAZY-1 ------------------------------------------------------------ */

MC_TC(new_anon_mappings_not_resident_mincore, "LAZY-1",
    "Right after mmap, mincore reports none of the pages of a private and "
    "of a shared anonymous mapping resident")
{
	enum kind kinds[] = { PRIV_ANON, SHARED_ANON };
	unsigned char vec[NPAGES];

	require_mincore();
	for (size_t k = 0; k < 2; k++) {
		unsigned char *p = map_guarded(kinds[k], NPAGES);

		mincore_vec(p, NPAGES, vec);
		for (size_t i = 0; i < NPAGES; i++)
			ATF_REQUIRE_MSG((vec[i] & 1) == 0, "%s, right after "
			    "mmap: mincore says page %zu of %d is resident "
			    "(vec %#x)", kind_name(kinds[k]), i, NPAGES,
			    vec[i]);
		mc_unmap_guarded(p, NPAGES);
	}
}

MC_TC(new_mappings_not_present_pagemap, "LAZY-1",
    "Right after mmap, /proc/self/pagemap shows no page present in a "
    "private anonymous, a shared anonymous and a private file mapping "
    "(the file's pages being in the page cache)")
{
	enum kind kinds[] = { PRIV_ANON, SHARED_ANON, PRIV_FILE };

	require_pagemap();
	for (size_t k = 0; k < 3; k++) {
		unsigned char *p = map_guarded(kinds[k], NPAGES);

		for (size_t i = 0; i < NPAGES; i++) {
			uint64_t e = mc_pagemap(p + i * mc_pagesize());

			ATF_REQUIRE_MSG((e & (MC_PM_PRESENT | MC_PM_SWAP)) ==
			    0, "%s, right after mmap: pagemap entry of page "
			    "%zu is %#jx, expected neither present nor "
			    "swapped", kind_name(kinds[k]), i, (uintmax_t)e);
		}
		mc_unmap_guarded(p, NPAGES);
	}
}

MC_TC(new_mappings_rss_zero_smaps, "LAZY-1",
    "Right after mmap, /proc/self/smaps gives Rss 0 for a private "
    "anonymous, a shared anonymous and a private file mapping")
{
	enum kind kinds[] = { PRIV_ANON, SHARED_ANON, PRIV_FILE };

	mc_require_smaps();
	for (size_t k = 0; k < 3; k++) {
		unsigned char *p = map_guarded(kinds[k], NPAGES);
		long rss = mc_smaps_kb(p, "Rss");

		ATF_REQUIRE_EQ_MSG(rss, 0, "%s of %d pages, right after mmap: "
		    "expected Rss 0 kB in /proc/self/smaps, got %ld kB",
		    kind_name(kinds[k]), NPAGES, rss);
		mc_unmap_guarded(p, NPAGES);
	}
}

/* ---- LAZY-2 ------------------------------------------------------------ */

MC_TC(write_k_pages_makes_k_resident_mincore, "LAZY-2",
    "Writing pages of a private anonymous mapping one at a time: after "
    "each write mincore reports exactly the pages written so far resident")
{
	unsigned char vec[NPAGES];
	unsigned char *p;

	require_mincore();
	p = map_guarded(PRIV_ANON, NPAGES);
	for (size_t t = 0; t < NTOUCHED; t++) {
		p[touched[t] * mc_pagesize() + 1] = 1;
		mincore_vec(p, NPAGES, vec);
		for (size_t i = 0; i < NPAGES; i++)
			ATF_REQUIRE_MSG((vec[i] & 1) == is_touched(i, t + 1),
			    "after writing %zu page(s) (last: page %zu): "
			    "mincore says page %zu is %s, expected %s", t + 1,
			    touched[t], i, (vec[i] & 1) ? "resident" :
			    "not resident", is_touched(i, t + 1) ?
			    "resident" : "not resident");
	}
	mc_unmap_guarded(p, NPAGES);
}

MC_TC(write_k_pages_makes_k_present_pagemap, "LAZY-2",
    "Writing pages of a private anonymous mapping one at a time: after "
    "each write pagemap shows exactly the pages written so far present")
{
	unsigned char *p;

	require_pagemap();
	p = map_guarded(PRIV_ANON, NPAGES);
	for (size_t t = 0; t < NTOUCHED; t++) {
		p[touched[t] * mc_pagesize() + 1] = 1;
		for (size_t i = 0; i < NPAGES; i++) {
			uint64_t e = mc_pagemap(p + i * mc_pagesize());
			bool present = (e & MC_PM_PRESENT) != 0;

			ATF_REQUIRE_MSG(present == is_touched(i, t + 1),
			    "after writing %zu page(s) (last: page %zu): "
			    "pagemap entry of page %zu is %#jx (%s), expected "
			    "%s", t + 1, touched[t], i, (uintmax_t)e,
			    present ? "present" : "not present",
			    is_touched(i, t + 1) ? "present" : "not present");
		}
	}
	mc_unmap_guarded(p, NPAGES);
}

MC_TC(write_k_pages_rss_k_pages_smaps, "LAZY-2",
    "Writing pages of a private anonymous mapping one at a time: after "
    "each write smaps Rss and Anonymous equal the pages written so far")
{
	unsigned char *p;

	mc_require_smaps();
	p = map_guarded(PRIV_ANON, NPAGES);
	for (size_t t = 0; t < NTOUCHED; t++) {
		long rss, anon;

		p[touched[t] * mc_pagesize() + 1] = 1;
		rss = rss_pages(p, "private anonymous mapping");
		anon = mc_smaps_kb(p, "Anonymous");
		ATF_REQUIRE_EQ_MSG(rss, (long)(t + 1), "after writing %zu "
		    "page(s) of %d: expected Rss %zu pages, smaps says %ld "
		    "pages", t + 1, NPAGES, t + 1, rss);
		ATF_REQUIRE_MSG(anon < 0 || anon * 1024 == (long)((t + 1) *
		    mc_pagesize()), "after writing %zu page(s): expected "
		    "Anonymous %zu kB, smaps says %ld kB", t + 1,
		    (t + 1) * mc_pagesize() / 1024, anon);
	}
	mc_unmap_guarded(p, NPAGES);
}

/* ---- LAZY-3 ------------------------------------------------------------ */

MC_TC(noreserve_mapping_larger_than_ram_partly_used, "LAZY-3",
    "A MAP_NORESERVE private anonymous mapping of 4x physical memory is "
    "created; pages spread across it (first, last, in between) are "
    "written, read back, and resident per mincore")
{
	size_t ps = mc_pagesize();
	long phys = sysconf(_SC_PHYS_PAGES);
	uint64_t want;
	size_t len, npages, stride;
	struct rlimit rl;
	unsigned char *p;
	size_t nt = 0;
	size_t pages[17];

	ATF_REQUIRE_MSG(phys > 0, "sysconf(_SC_PHYS_PAGES) = %ld", phys);
	want = (uint64_t)phys * ps * 4;
	/* A 32-bit address space cannot hold 4x a machine's memory. */
	if (want > SIZE_MAX / 2)
		atf_tc_skip("4x physical memory (%ju bytes) does not fit in "
		    "this address space", (uintmax_t)want);
	len = (size_t)want;

	p = mmap(NULL, len, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (p == MAP_FAILED && errno == ENOMEM) {
		int mode = mc_overcommit_mode();
		void *r;

		if (mode == 2)
			atf_tc_skip("vm.overcommit_memory=2 (strict "
			    "accounting) ignores MAP_NORESERVE: mmap of %zu "
			    "bytes (4x physical memory) fails with ENOMEM",
			    len);
		ATF_REQUIRE(getrlimit(RLIMIT_AS, &rl) == 0);
		if (rl.rlim_cur != RLIM_INFINITY)
			atf_tc_skip("RLIMIT_AS is %ju bytes: mmap of %zu "
			    "bytes (4x physical memory) fails with ENOMEM",
			    (uintmax_t)rl.rlim_cur, len);
		/* PROT_NONE is never accounted: this probes address space. */
		r = mmap(NULL, len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS |
		    MAP_NORESERVE, -1, 0);
		if (r == MAP_FAILED)
			atf_tc_skip("no free range of %zu bytes (4x physical "
			    "memory) in this address space: even a PROT_NONE "
			    "mapping fails (%s)", len, strerror(errno));
		ATF_REQUIRE(munmap(r, len) == 0);
		ATF_REQUIRE_MSG(false, "mmap(MAP_NORESERVE, %zu bytes = 4x "
		    "physical memory): ENOMEM with vm.overcommit_memory=%d, "
		    "no RLIMIT_AS, while a PROT_NONE mapping of that size "
		    "works", len, mode);
	}
	ATF_REQUIRE_MSG(p != MAP_FAILED, "mmap(MAP_NORESERVE, %zu bytes = 4x "
	    "physical memory): %s", len, strerror(errno));
	mc_nohuge(p, len);

	npages = len / ps;
	stride = npages / 16;
	for (size_t i = 0; i < 16; i++)
		pages[nt++] = i * stride + i; /* a different offset each */
	pages[nt++] = npages - 1;
	for (size_t i = 0; i < nt; i++)
		*(volatile uint64_t *)(p + pages[i] * ps) = pages[i] + 1;
	for (size_t i = 0; i < nt; i++) {
		uint64_t v = *(volatile uint64_t *)(p + pages[i] * ps);

		ATF_REQUIRE_EQ_MSG(v, pages[i] + 1, "page %zu of %zu: wrote "
		    "%zu, read back %ju", pages[i], npages, pages[i] + 1,
		    (uintmax_t)v);
	}
	for (size_t i = 0; i < nt; i++) {
		unsigned char vec = 0;
		int r = mincore(p + pages[i] * ps, ps, &vec);

		if (r != 0 && errno == ENOSYS)
			break;
		ATF_REQUIRE_MSG(r == 0, "mincore(page %zu): %s", pages[i],
		    strerror(errno));
		ATF_REQUIRE_MSG(vec & 1, "page %zu of %zu, written and read "
		    "back: mincore says it is not resident", pages[i], npages);
	}
	ATF_REQUIRE(munmap(p, len) == 0);
}

/* ---- LAZY-4 ------------------------------------------------------------ */

MC_TC(read_untouched_pages_allocate_no_memory, "LAZY-4",
    "Reading every byte of untouched private anonymous pages returns 0 and "
    "allocates nothing: smaps Rss and Anonymous stay 0")
{
	unsigned char *p;
	size_t bad;
	long rss, anon;

	mc_require_smaps();
	p = map_guarded(PRIV_ANON, NPAGES);
	bad = mc_count_not(p, NPAGES * mc_pagesize(), 0);
	ATF_REQUIRE_EQ_MSG(bad, 0, "untouched private anonymous pages: %zu "
	    "bytes read nonzero", bad);
	rss = mc_smaps_kb(p, "Rss");
	anon = mc_smaps_kb(p, "Anonymous");
	ATF_REQUIRE_MSG(rss == 0 && anon <= 0, "after reading %d untouched "
	    "private anonymous pages at %p: expected Rss 0 kB and Anonymous "
	    "0 kB (the shared zero page is not this mapping's memory), smaps "
	    "says Rss %ld kB, Anonymous %ld kB%s", NPAGES, (void *)p, rss, anon,
	    anon > 0 ? ": read faults allocate private pages: this kernel "
	    "does not use the shared zero page" : "");
	mc_unmap_guarded(p, NPAGES);
}

/* How many different PFNs the first n pages of p and of q are on. */
static size_t
distinct_pfns(unsigned char *p, unsigned char *q, size_t n)
{
	uint64_t pfn[2 * NPAGES];
	size_t k = 0;

	ATF_REQUIRE(n <= NPAGES);
	for (size_t i = 0; i < 2 * n; i++) {
		uint64_t f = mc_pfn((i < n ? p : q) + i % n * mc_pagesize());
		size_t j = 0;

		while (j < k && pfn[j] != f)
			j++;
		if (j == k)
			pfn[k++] = f;
	}
	return k;
}

MC_TC(read_untouched_pages_share_zero_pfn, "LAZY-4",
    "Reading untouched pages of two private anonymous mappings maps them "
    "all present on one PFN (the zero page); a page written afterwards "
    "gets a PFN of its own while the others stay on the zero page")
{
	size_t ps = mc_pagesize();
	unsigned char *p, *q;
	uint64_t zero, e;
	size_t bad, npfn;

	require_pagemap();
	p = map_guarded(PRIV_ANON, NPAGES);
	q = map_guarded(PRIV_ANON, NPAGES);
	bad = mc_count_not(p, NPAGES * ps, 0) + mc_count_not(q, NPAGES * ps, 0);
	ATF_REQUIRE_EQ_MSG(bad, 0, "untouched private anonymous pages: %zu "
	    "bytes read nonzero", bad);
	/* Presence after a read is visible without privileges. */
	for (size_t i = 0; i < 2 * NPAGES; i++) {
		unsigned char *a = (i < NPAGES ? p : q) + i % NPAGES * ps;

		e = mc_pagemap(a);
		ATF_REQUIRE_MSG(e & MC_PM_PRESENT, "page %zu of %s mapping, "
		    "after a read: expected present in pagemap, entry %#jx",
		    i % NPAGES, i < NPAGES ? "the first" : "the second",
		    (uintmax_t)e);
	}
	mc_require_pfns();

	zero = mc_pfn(p);
	ATF_REQUIRE_MSG(zero != 0, "zero page PFN reads 0 although PFNs are "
	    "visible");
	npfn = distinct_pfns(p, q, NPAGES);
	ATF_REQUIRE_MSG(npfn < 2 * NPAGES, "%d pages read but never "
	    "written in two private anonymous mappings (%p, %p): expected "
	    "them all on one PFN (the shared zero page), seen %zu different "
	    "PFNs: read faults allocate private pages: this kernel does not "
	    "use the shared zero page", 2 * NPAGES, (void *)p, (void *)q,
	    npfn);
	for (size_t i = 0; i < 2 * NPAGES; i++) {
		unsigned char *a = (i < NPAGES ? p : q) + i % NPAGES * ps;

		ATF_REQUIRE_EQ_MSG(mc_pfn(a), zero, "page %zu of %s mapping, "
		    "read but never written: PFN %#jx, expected the one zero "
		    "page PFN %#jx", i % NPAGES, i < NPAGES ? "the first" :
		    "the second", (uintmax_t)mc_pfn(a), (uintmax_t)zero);
	}
	p[2 * ps] = 1;
	ATF_REQUIRE_MSG(mc_pfn(p + 2 * ps) != zero, "page 2 after a write: "
	    "still on the zero page PFN %#jx", (uintmax_t)zero);
	for (size_t i = 0; i < NPAGES; i++)
		if (i != 2)
			ATF_REQUIRE_EQ_MSG(mc_pfn(p + i * ps), zero, "page %zu "
			    "(not written) after page 2 was written: PFN %#jx, "
			    "expected the zero page %#jx", i,
			    (uintmax_t)mc_pfn(p + i * ps), (uintmax_t)zero);
	mc_unmap_guarded(p, NPAGES);
	mc_unmap_guarded(q, NPAGES);
}

/* ---- LAZY-5 ------------------------------------------------------------ */

MC_TC(populate_mapping_resident_mincore, "LAZY-5",
    "Right after mmap(MAP_POPULATE), mincore reports every page of a "
    "private anonymous, a shared anonymous and a private file mapping "
    "resident")
{
	enum kind kinds[] = { PRIV_ANON, SHARED_ANON, PRIV_FILE };
	unsigned char vec[NPAGES];

	require_mincore();
	for (size_t k = 0; k < 3; k++) {
		unsigned char *p = map_guarded_flags(kinds[k], NPAGES,
		    MAP_POPULATE);

		mincore_vec(p, NPAGES, vec);
		for (size_t i = 0; i < NPAGES; i++)
			ATF_REQUIRE_MSG(vec[i] & 1, "%s, right after "
			    "mmap(MAP_POPULATE): mincore says page %zu of %d "
			    "is not resident", kind_name(kinds[k]), i, NPAGES);
		mc_unmap_guarded(p, NPAGES);
	}
}

MC_TC(populate_mapping_present_pagemap, "LAZY-5",
    "Right after mmap(MAP_POPULATE), pagemap shows every page of a private "
    "anonymous, a shared anonymous and a private file mapping present")
{
	enum kind kinds[] = { PRIV_ANON, SHARED_ANON, PRIV_FILE };

	require_pagemap();
	for (size_t k = 0; k < 3; k++) {
		unsigned char *p = map_guarded_flags(kinds[k], NPAGES,
		    MAP_POPULATE);

		for (size_t i = 0; i < NPAGES; i++) {
			uint64_t e = mc_pagemap(p + i * mc_pagesize());

			ATF_REQUIRE_MSG(e & MC_PM_PRESENT, "%s, right after "
			    "mmap(MAP_POPULATE): pagemap entry of page %zu is "
			    "%#jx, expected present", kind_name(kinds[k]), i,
			    (uintmax_t)e);
		}
		mc_unmap_guarded(p, NPAGES);
	}
}

MC_TC(populate_mapping_rss_full_smaps, "LAZY-5",
    "Right after mmap(MAP_POPULATE), smaps Rss of a private anonymous, a "
    "shared anonymous and a private file mapping covers every page")
{
	enum kind kinds[] = { PRIV_ANON, SHARED_ANON, PRIV_FILE };

	mc_require_smaps();
	for (size_t k = 0; k < 3; k++) {
		unsigned char *p = map_guarded_flags(kinds[k], NPAGES,
		    MAP_POPULATE);
		long rss = rss_pages(p, kind_name(kinds[k]));

		ATF_REQUIRE_EQ_MSG(rss, NPAGES, "%s of %d pages, right after "
		    "mmap(MAP_POPULATE): expected Rss %d pages, smaps says %ld",
		    kind_name(kinds[k]), NPAGES, NPAGES, rss);
		mc_unmap_guarded(p, NPAGES);
	}
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, new_anon_mappings_not_resident_mincore);
	ATF_TP_ADD_TC(tp, new_mappings_not_present_pagemap);
	ATF_TP_ADD_TC(tp, new_mappings_rss_zero_smaps);
	ATF_TP_ADD_TC(tp, write_k_pages_makes_k_resident_mincore);
	ATF_TP_ADD_TC(tp, write_k_pages_makes_k_present_pagemap);
	ATF_TP_ADD_TC(tp, write_k_pages_rss_k_pages_smaps);
	ATF_TP_ADD_TC(tp, noreserve_mapping_larger_than_ram_partly_used);
	ATF_TP_ADD_TC(tp, read_untouched_pages_allocate_no_memory);
	ATF_TP_ADD_TC(tp, read_untouched_pages_share_zero_pfn);
	ATF_TP_ADD_TC(tp, populate_mapping_resident_mincore);
	ATF_TP_ADD_TC(tp, populate_mapping_present_pagemap);
	ATF_TP_ADD_TC(tp, populate_mapping_rss_full_smaps);
	return atf_no_error();
}
