/*
 * t_privanon: private anonymous mappings (design note §2, §3).
 *
 * PRIVANON-1 fresh memory is zero-filled, PRIVANON-2 the mappings of
 * different processes are independent, PRIVANON-3 after fork both processes
 * read the same physical pages, PRIVANON-4 a write after fork copies the page
 * for the writer only (checked with the child writing and with the parent
 * writing).
 *
 * Children never use ATF: they report what they saw over the pipe (content
 * mismatches and raw pagemap entries) and the parent asserts. PFN
 * comparisons run after the content assertions and skip with a reason when
 * PFNs are hidden.
 */
#include <sys/mman.h>

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mc.h"

#define NPAGES 4
/* The page written after fork in the copy-on-write cases. */
#define WPAGE 1
#define WBYTE 0xEE

/* Fill page i of p with mc_pattern(i). */
static void
fill_pattern(unsigned char *p, size_t npages)
{
	size_t ps = mc_pagesize();

	for (size_t i = 0; i < npages; i++)
		memset(p + i * ps, mc_pattern(i), ps);
}

/*
 * The region of page WPAGE that the writer changes: a quarter of the page
 * in its middle, so that a copy must preserve the bytes around it.
 */
static size_t
wr_off(void)
{
	return mc_pagesize() / 4;
}

static size_t
wr_len(void)
{
	return mc_pagesize() / 4;
}

static void
cow_write(unsigned char *p)
{
	memset(p + WPAGE * mc_pagesize() + wr_off(), WBYTE, wr_len());
}

/*
 * Mismatches of p against the pattern, where page WPAGE carries the
 * writer's change when 'written'.
 */
static size_t
pattern_mismatches(const unsigned char *p, bool written)
{
	size_t ps = mc_pagesize(), n = 0;

	for (size_t i = 0; i < NPAGES; i++) {
		const unsigned char *pg = p + i * ps;

		if (i == WPAGE && written) {
			n += mc_count_not(pg, wr_off(), mc_pattern(i));
			n += mc_count_not(pg + wr_off(), wr_len(), WBYTE);
			n += mc_count_not(pg + wr_off() + wr_len(),
			    ps - wr_off() - wr_len(), mc_pattern(i));
		} else {
			n += mc_count_not(pg, ps, mc_pattern(i));
		}
	}
	return n;
}

/* Parent: every entry of r must be present (page mapped). */
static void
require_present(const struct mc_pages_report *r, const char *who)
{
	for (size_t i = 0; i < NPAGES; i++)
		ATF_REQUIRE_MSG(r->pm[i] & MC_PM_PRESENT, "%s: page %zu "
		    "expected present in pagemap after reading it, entry is "
		    "%#jx", who, i, (uintmax_t)r->pm[i]);
}

/*
 * Parent: pagemap of its own mapping, with the content assertions still
 * ahead; when pagemap cannot be read the later mc_require_pfns() skips.
 */
static void
parent_pagemap(const unsigned char *p, struct mc_pages_report *r)
{
	mc_take_pagemap(p, NPAGES, r);
	if (r->pm_ok)
		require_present(r, "parent");
}

/* ---- PRIVANON-1 ------------------------------------------------------- */

MC_TC(fresh_mapping_is_zero_filled, "PRIVANON-1",
    "Every byte of a new MAP_PRIVATE|MAP_ANONYMOUS mapping reads 0, and it "
    "is listed in /proc/self/maps as private and backed by no file")
{
	size_t ps = mc_pagesize(), len = NPAGES * ps;
	unsigned char *p = mc_map_anon(len, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE);
	struct mc_maps_ent m;
	size_t bad = mc_count_not(p, len, 0);

	ATF_REQUIRE_EQ_MSG(bad, 0, "new private anonymous mapping of %zu "
	    "bytes: expected every byte 0, %zu bytes are not", len, bad);

	ATF_REQUIRE_MSG(mc_maps_entry(p, &m), "new mapping at %p: not listed "
	    "in /proc/self/maps", (void *)p);
	ATF_REQUIRE_MSG(m.perms[3] == 'p', "new mapping: expected private "
	    "('p') in /proc/self/maps, line is '%s'", m.line);
	ATF_REQUIRE_MSG(m.inode == 0 && m.path[0] == '\0', "new anonymous "
	    "mapping: expected inode 0 and no path in /proc/self/maps, line "
	    "is '%s'", m.line);
	ATF_REQUIRE(munmap(p, len) == 0);
}

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/*
 * One round: fill n pages with 0xFF, free them, map n new pages and write
 * one byte to each: the rest of each page must be 0.  Returns how many of
 * the new pages sit on a physical page the freed ones had (0 when PFNs
 * cannot be seen).
 */
static size_t
reuse_round(size_t n, bool visible)
{
	size_t ps = mc_pagesize(), len = n * ps, reused = 0;
	unsigned char *old = mc_map_anon(len, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE);
	uint64_t pfns[64];
	unsigned char *p;

	ATF_REQUIRE(n <= sizeof(pfns) / sizeof(pfns[0]));
	memset(old, 0xFF, len);
	for (size_t i = 0; visible && i < n; i++)
		pfns[i] = mc_pfn(old + i * ps);
	ATF_REQUIRE_MSG(munmap(old, len) == 0, "munmap: %s", strerror(errno));
	if (visible)
		qsort(pfns, n, sizeof(pfns[0]), cmp_u64);
	p = mc_map_anon(len, PROT_READ | PROT_WRITE, MAP_PRIVATE);
	for (size_t i = 0; i < n; i++) {
		/* A write fault allocates a page (not the zero page). */
		p[i * ps + ps / 2] = 1;
		size_t bad = mc_count_not(p + i * ps, ps / 2, 0) +
		    mc_count_not(p + i * ps + ps / 2 + 1, ps - ps / 2 - 1, 0);
		ATF_REQUIRE_EQ_MSG(bad, 0, "page %zu of a new mapping, after "
		    "writing one byte: expected the other %zu bytes 0, %zu "
		    "are not (memory not cleared)", i, ps - 1, bad);
		if (visible) {
			uint64_t pfn = mc_pfn(p + i * ps);

			reused += bsearch(&pfn, pfns, n, sizeof(pfns[0]),
			    cmp_u64) != NULL;
		}
	}
	ATF_REQUIRE(munmap(p, len) == 0);
	return reused;
}

MC_TC(first_write_gets_zeroed_page_after_reuse, "PRIVANON-1",
    "Pages freed after being filled with 0xFF are never seen again: the "
    "first write to each page of a new mapping finds the rest of the page "
    "0, on physical pages the freed mapping had (PFNs) where they are seen")
{
	const char *why = NULL;
	bool visible = mc_pfns_visible(&why);
	size_t reused = 0, rounds = 0;

	/* Freed pages usually come straight back (per-CPU free lists). */
	while (rounds < 8 && (reused == 0 || rounds == 0)) {
		reused = reuse_round(64, visible);
		rounds++;
		if (!visible)
			break;
	}
	/*
	 * Without a freed page coming back, "cleared" would only mean "the
	 * kernel had other pages": say so rather than pass.
	 */
	if (!visible)
		atf_tc_skip("every page of the new mapping was 0; that these "
		    "were the freed 0xFF pages, cleared, cannot be proved: %s",
		    why);
	if (reused == 0)
		atf_tc_skip("every page of the new mappings was 0, but in %zu "
		    "rounds none sat on a physical page just freed (PFNs): "
		    "clearing of reused memory not observed", rounds);
}

MC_TC(mapping_over_written_range_is_zero_filled, "PRIVANON-1",
    "A new private anonymous mapping placed over written memory "
    "(MAP_FIXED, or munmap then mmap at the same hint) reads 0")
{
	size_t ps = mc_pagesize(), len = NPAGES * ps;
	unsigned char *p = mc_map_anon(len, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE);
	unsigned char *q;
	size_t bad;

	memset(p, 0x5A, len);
	q = mmap(p, len, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	ATF_REQUIRE_MSG(q == p, "mmap(MAP_FIXED at %p) = %p: %s", (void *)p,
	    (void *)q, q == MAP_FAILED ? strerror(errno) : "other address");
	mc_nohuge(q, len);
	bad = mc_count_not(q, len, 0);
	ATF_REQUIRE_EQ_MSG(bad, 0, "MAP_FIXED anonymous mapping over written "
	    "memory: expected every byte 0, %zu of %zu bytes are not", bad,
	    len);

	memset(q, 0xA5, len);
	ATF_REQUIRE_MSG(munmap(q, len) == 0, "munmap: %s", strerror(errno));
	q = mmap(p, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
	    -1, 0);
	ATF_REQUIRE_MSG(q != MAP_FAILED, "mmap(hint %p): %s", (void *)p,
	    strerror(errno));
	mc_nohuge(q, len);
	bad = mc_count_not(q, len, 0);
	ATF_REQUIRE_EQ_MSG(bad, 0, "anonymous mapping at %p (hint %p, where "
	    "written memory was unmapped): expected every byte 0, %zu of %zu "
	    "bytes are not", (void *)q, (void *)p, bad, len);
	ATF_REQUIRE(munmap(q, len) == 0);
}

/* ---- PRIVANON-2 ------------------------------------------------------- */

struct indep_arg {
	unsigned char byte;
};

/*
 * Wait for "go" carrying an address hint, map NPAGES privately there, fill
 * them with our byte and report the address; on the next "go" check that
 * the pages still hold only our byte and report that with the pagemap.
 */
static int
indep_child(struct mc_child *self, void *argp)
{
	const struct indep_arg *arg = argp;
	size_t ps = mc_pagesize(), len = NPAGES * ps;
	void *hint = (void *)(uintptr_t)mc_child_recv_u64(self);
	unsigned char *p = mmap(hint, len, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	struct mc_pages_report r;

	if (p == MAP_FAILED)
		return 10;
	(void)madvise(p, len, MADV_NOHUGEPAGE);
	memset(p, arg->byte, len);
	mc_child_send_u64(self, (uint64_t)(uintptr_t)p);
	(void)mc_child_recv_u64(self);
	memset(&r, 0, sizeof(r));
	r.mismatches = mc_count_not(p, len, arg->byte);
	mc_take_pagemap(p, NPAGES, &r);
	mc_send(self, &r, sizeof(r));
	/* Stay alive (and mapped) until the parent is done comparing. */
	(void)mc_child_recv_u64(self);
	return 0;
}

MC_TC(processes_have_independent_private_mappings, "PRIVANON-2",
    "Two processes and their parent each map private anonymous memory "
    "(the second with the first's address as hint) and fill it: each keeps "
    "only its own bytes, on physical pages of its own")
{
	size_t ps = mc_pagesize(), len = NPAGES * ps;
	struct indep_arg aa = { 'a' }, ab = { 'b' };
	struct mc_child a, b;
	struct mc_pages_report ra, rb, rp;
	uint64_t addr_a, addr_b;
	unsigned char *p;
	size_t bad;

	/* Both children are forked before any of the mappings exists. */
	mc_spawn(&a, indep_child, &aa);
	mc_spawn(&b, indep_child, &ab);
	uint64_t go = 0;
	mc_send(&a, &go, sizeof(go));
	mc_expect(&a, &addr_a, sizeof(addr_a), "address of child a's mapping");
	mc_send(&b, &addr_a, sizeof(addr_a));
	mc_expect(&b, &addr_b, sizeof(addr_b), "address of child b's mapping");

	p = mc_map_anon(len, PROT_READ | PROT_WRITE, MAP_PRIVATE);
	memset(p, 'p', len);

	mc_send(&a, &go, sizeof(go));
	mc_expect(&a, &ra, sizeof(ra), "child a's report");
	mc_send(&b, &go, sizeof(go));
	mc_expect(&b, &rb, sizeof(rb), "child b's report");

	/* Every page is still mapped by its owner while this is taken. */
	bad = mc_count_not(p, len, 'p');
	mc_take_pagemap(p, NPAGES, &rp);
	mc_send(&a, &go, sizeof(go));
	mc_send(&b, &go, sizeof(go));
	mc_reap_ok(&a);
	mc_reap_ok(&b);

	ATF_REQUIRE_EQ_MSG(ra.mismatches, 0, "child a filled its mapping at "
	    "%#jx with 'a': %ju bytes later differed", (uintmax_t)addr_a,
	    (uintmax_t)ra.mismatches);
	ATF_REQUIRE_EQ_MSG(rb.mismatches, 0, "child b filled its mapping at "
	    "%#jx (hint %#jx) with 'b': %ju bytes later differed",
	    (uintmax_t)addr_b, (uintmax_t)addr_a, (uintmax_t)rb.mismatches);
	ATF_REQUIRE_EQ_MSG(bad, 0, "parent filled its mapping with 'p' "
	    "while the children filled theirs: %zu bytes differ", bad);

	mc_require_pfns();
	ATF_REQUIRE_MSG(ra.pm_ok && rb.pm_ok && rp.pm_ok, "pagemap readable "
	    "in the parent but not in a child (a %d, b %d)", (int)ra.pm_ok,
	    (int)rb.pm_ok);
	require_present(&ra, "child a");
	require_present(&rb, "child b");
	require_present(&rp, "parent");
	const struct mc_pages_report *all[3] = { &ra, &rb, &rp };
	const char *who[3] = { "child a", "child b", "parent" };
	for (size_t x = 0; x < 3 * NPAGES; x++)
		for (size_t y = x + 1; y < 3 * NPAGES; y++) {
			uint64_t fx, fy;

			fx = MC_PM_PFN(all[x / NPAGES]->pm[x % NPAGES]);
			fy = MC_PM_PFN(all[y / NPAGES]->pm[y % NPAGES]);

			ATF_REQUIRE_MSG(fx != fy, "independent private "
			    "mappings share a physical page: %s page %zu and "
			    "%s page %zu both have PFN %#jx", who[x / NPAGES],
			    x % NPAGES, who[y / NPAGES], y % NPAGES,
			    (uintmax_t)fx);
		}
	ATF_REQUIRE(munmap(p, len) == 0);
}

/* ---- PRIVANON-3 ------------------------------------------------------- */

static int
reader_child(struct mc_child *self, void *arg)
{
	const unsigned char *p = arg;
	struct mc_pages_report r;

	memset(&r, 0, sizeof(r));
	r.mismatches = pattern_mismatches(p, false);
	mc_take_pagemap(p, NPAGES, &r);
	mc_send(self, &r, sizeof(r));
	(void)mc_child_recv_u64(self);
	return 0;
}

MC_TC(fork_child_reads_parent_pages, "PRIVANON-3",
    "After fork the child reads the parent's data in a private anonymous "
    "mapping from the very same physical pages (equal PFNs)")
{
	size_t ps = mc_pagesize(), len = NPAGES * ps;
	unsigned char *p = mc_map_anon(len, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE);
	struct mc_pages_report rp, rc;
	struct mc_child ch;
	uint64_t done = 1;

	fill_pattern(p, NPAGES);
	parent_pagemap(p, &rp);
	mc_spawn(&ch, reader_child, p);
	mc_expect(&ch, &rc, sizeof(rc), "child's report");
	mc_send(&ch, &done, sizeof(done));
	mc_reap_ok(&ch);

	ATF_REQUIRE_EQ_MSG(rc.mismatches, 0, "child after fork: expected the "
	    "parent's data in all %d pages, %ju bytes differ", NPAGES,
	    (uintmax_t)rc.mismatches);
	mc_require_pfns();
	ATF_REQUIRE_MSG(rc.pm_ok, "pagemap readable in the parent, not in "
	    "the child");
	require_present(&rc, "child");
	for (size_t i = 0; i < NPAGES; i++)
		ATF_REQUIRE_EQ_MSG(MC_PM_PFN(rc.pm[i]), MC_PM_PFN(rp.pm[i]),
		    "page %zu after fork: expected the child on the parent's "
		    "PFN %#jx, child has %#jx", i,
		    (uintmax_t)MC_PM_PFN(rp.pm[i]),
		    (uintmax_t)MC_PM_PFN(rc.pm[i]));
	ATF_REQUIRE(munmap(p, len) == 0);
}

/* ---- PRIVANON-4 ------------------------------------------------------- */

/* Child writes: report before, write, report after, wait for "done". */
static int
cow_writer_child(struct mc_child *self, void *arg)
{
	unsigned char *p = arg;
	struct mc_pages_report before, after;

	memset(&before, 0, sizeof(before));
	memset(&after, 0, sizeof(after));
	before.mismatches = pattern_mismatches(p, false);
	mc_take_pagemap(p, NPAGES, &before);
	cow_write(p);
	after.mismatches = pattern_mismatches(p, true);
	mc_take_pagemap(p, NPAGES, &after);
	mc_send(self, &before, sizeof(before));
	mc_send(self, &after, sizeof(after));
	(void)mc_child_recv_u64(self);
	return 0;
}

MC_TC(cow_child_write_copies_page_for_child, "PRIVANON-4",
    "After fork the child writes part of one page of a private anonymous "
    "mapping: the child gets a new physical page holding the old data "
    "with its change; the parent keeps the old data and its PFN; the "
    "other pages stay shared")
{
	size_t ps = mc_pagesize(), len = NPAGES * ps;
	unsigned char *p = mc_map_anon(len, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE);
	struct mc_pages_report p0, p1, c0, c1;
	struct mc_child ch;
	uint64_t done = 1;
	size_t bad;

	fill_pattern(p, NPAGES);
	parent_pagemap(p, &p0);
	mc_spawn(&ch, cow_writer_child, p);
	mc_expect(&ch, &c0, sizeof(c0), "child's report before its write");
	mc_expect(&ch, &c1, sizeof(c1), "child's report after its write");

	/* The child is still alive (and mapped) while the parent looks. */
	bad = pattern_mismatches(p, false);
	parent_pagemap(p, &p1);
	mc_send(&ch, &done, sizeof(done));
	mc_reap_ok(&ch);
	ATF_REQUIRE_EQ_MSG(bad, 0, "parent after the child wrote page %d: "
	    "expected the old data unchanged, %zu bytes differ (the child's "
	    "write leaked into the parent)", WPAGE, bad);
	ATF_REQUIRE_EQ_MSG(c0.mismatches, 0, "child before writing: expected "
	    "the parent's data, %ju bytes differ", (uintmax_t)c0.mismatches);
	ATF_REQUIRE_EQ_MSG(c1.mismatches, 0, "child after writing %zu bytes "
	    "of page %d: expected its change on top of the old data (rest of "
	    "the page preserved), %ju bytes differ", wr_len(), WPAGE,
	    (uintmax_t)c1.mismatches);
	mc_require_pfns();
	ATF_REQUIRE_MSG(c0.pm_ok && c1.pm_ok, "pagemap readable in the "
	    "parent, not in the child");
	require_present(&c0, "child before its write");
	require_present(&c1, "child after its write");
	for (size_t i = 0; i < NPAGES; i++) {
		uint64_t orig = MC_PM_PFN(p0.pm[i]);

		ATF_REQUIRE_EQ_MSG(MC_PM_PFN(c0.pm[i]), orig, "page %zu: "
		    "before any write the child should be on the parent's PFN "
		    "%#jx, it is on %#jx", i, (uintmax_t)orig,
		    (uintmax_t)MC_PM_PFN(c0.pm[i]));
		ATF_REQUIRE_EQ_MSG(MC_PM_PFN(p1.pm[i]), orig, "page %zu: the "
		    "parent (not the writer) should keep PFN %#jx, it now has "
		    "%#jx", i, (uintmax_t)orig,
		    (uintmax_t)MC_PM_PFN(p1.pm[i]));
		if (i == WPAGE)
			ATF_REQUIRE_MSG(MC_PM_PFN(c1.pm[i]) != orig, "page "
			    "%zu: after its write the child should have a new "
			    "physical page, it still has the shared PFN %#jx",
			    i, (uintmax_t)orig);
		else
			ATF_REQUIRE_EQ_MSG(MC_PM_PFN(c1.pm[i]), orig, "page "
			    "%zu (not written): expected still shared at PFN "
			    "%#jx, the child has %#jx", i, (uintmax_t)orig,
			    (uintmax_t)MC_PM_PFN(c1.pm[i]));
	}
	ATF_REQUIRE(munmap(p, len) == 0);
}

/* Parent writes: report, wait for "written", report again, wait "done". */
static int
cow_observer_child(struct mc_child *self, void *arg)
{
	unsigned char *p = arg;
	struct mc_pages_report before, after;

	memset(&before, 0, sizeof(before));
	memset(&after, 0, sizeof(after));
	before.mismatches = pattern_mismatches(p, false);
	mc_take_pagemap(p, NPAGES, &before);
	mc_send(self, &before, sizeof(before));
	(void)mc_child_recv_u64(self); /* the parent has written */
	after.mismatches = pattern_mismatches(p, false);
	mc_take_pagemap(p, NPAGES, &after);
	mc_send(self, &after, sizeof(after));
	(void)mc_child_recv_u64(self);
	return 0;
}

MC_TC(cow_parent_write_copies_page_for_parent, "PRIVANON-4",
    "After fork the parent writes part of one page of a private anonymous "
    "mapping while the child still maps it: the parent gets a new "
    "physical page holding the old data with its change; the child keeps "
    "the old data and its PFN; the other pages stay shared")
{
	size_t ps = mc_pagesize(), len = NPAGES * ps;
	unsigned char *p = mc_map_anon(len, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE);
	struct mc_pages_report p0, p1, c0, c1;
	struct mc_child ch;
	uint64_t msg = 1;
	size_t bad;

	fill_pattern(p, NPAGES);
	parent_pagemap(p, &p0);
	mc_spawn(&ch, cow_observer_child, p);
	mc_expect(&ch, &c0, sizeof(c0), "child's report before the write");
	cow_write(p);
	parent_pagemap(p, &p1);
	mc_send(&ch, &msg, sizeof(msg));
	mc_expect(&ch, &c1, sizeof(c1), "child's report after the write");
	mc_send(&ch, &msg, sizeof(msg));
	mc_reap_ok(&ch);

	bad = pattern_mismatches(p, true);
	ATF_REQUIRE_EQ_MSG(bad, 0, "parent after writing %zu bytes of page "
	    "%d: expected its change on top of the old data (rest of the page "
	    "preserved), %zu bytes differ", wr_len(), WPAGE, bad);
	ATF_REQUIRE_EQ_MSG(c0.mismatches, 0, "child before the parent's "
	    "write: expected the parent's data, %ju bytes differ",
	    (uintmax_t)c0.mismatches);
	ATF_REQUIRE_EQ_MSG(c1.mismatches, 0, "child after the parent wrote "
	    "page %d: expected the old data unchanged, %ju bytes differ (the "
	    "parent's write leaked into the child)", WPAGE,
	    (uintmax_t)c1.mismatches);
	mc_require_pfns();
	ATF_REQUIRE_MSG(c0.pm_ok && c1.pm_ok, "pagemap readable in the "
	    "parent, not in the child");
	require_present(&c0, "child before the parent's write");
	require_present(&c1, "child after the parent's write");
	for (size_t i = 0; i < NPAGES; i++) {
		uint64_t orig = MC_PM_PFN(p0.pm[i]);

		ATF_REQUIRE_EQ_MSG(MC_PM_PFN(c0.pm[i]), orig, "page %zu: after "
		    "fork the child should be on the parent's PFN %#jx, it is "
		    "on %#jx", i, (uintmax_t)orig,
		    (uintmax_t)MC_PM_PFN(c0.pm[i]));
		ATF_REQUIRE_EQ_MSG(MC_PM_PFN(c1.pm[i]), orig, "page %zu: the "
		    "child (not the writer) should keep PFN %#jx, it now has "
		    "%#jx", i, (uintmax_t)orig,
		    (uintmax_t)MC_PM_PFN(c1.pm[i]));
		if (i == WPAGE)
			ATF_REQUIRE_MSG(MC_PM_PFN(p1.pm[i]) != orig, "page "
			    "%zu: after its write the parent should have a "
			    "new physical page, it still has the shared PFN "
			    "%#jx", i, (uintmax_t)orig);
		else
			ATF_REQUIRE_EQ_MSG(MC_PM_PFN(p1.pm[i]), orig, "page "
			    "%zu (not written): expected the parent still on "
			    "the shared PFN %#jx, it has %#jx", i,
			    (uintmax_t)orig, (uintmax_t)MC_PM_PFN(p1.pm[i]));
	}
	ATF_REQUIRE(munmap(p, len) == 0);
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, fresh_mapping_is_zero_filled);
	ATF_TP_ADD_TC(tp, first_write_gets_zeroed_page_after_reuse);
	ATF_TP_ADD_TC(tp, mapping_over_written_range_is_zero_filled);
	ATF_TP_ADD_TC(tp, processes_have_independent_private_mappings);
	ATF_TP_ADD_TC(tp, fork_child_reads_parent_pages);
	ATF_TP_ADD_TC(tp, cow_child_write_copies_page_for_child);
	ATF_TP_ADD_TC(tp, cow_parent_write_copies_page_for_parent);
	return atf_no_error();
}
