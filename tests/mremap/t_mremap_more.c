/*
 * t_mremap_more: mremap(2) beyond private anonymous memory and beyond the
 * simple grow/shrink/move cases of t_mremap: file-backed mappings moved
 * (private and shared, at a file offset, grown past the end of the file),
 * same-size calls, MREMAP_FIXED growing, shrinking and splitting, the
 * address space a shrink gives back, the RLIMIT_MEMLOCK check on locked
 * mappings, and the EFAULT/EINVAL cases of ranges that are not one mapping.
 *
 * Placement agnostic: growth is blocked by a PROT_NONE page right after a
 * mapping, a target is a free hole (mc_free_hole) taken right before the
 * call, or a mapping of our own that MREMAP_FIXED replaces.
 */
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include <linux/capability.h>

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

/* ---- helpers ------------------------------------------------------------ */

/*
 * n pages of private anonymous memory, page i filled with mc_pattern(i),
 * followed by 'after' pages of PROT_NONE (0 for none).
 */
static unsigned char *
map_filled(size_t n, size_t after)
{
	size_t ps = mc_pagesize();
	unsigned char *r = mc_map_anon((n + after) * ps, PROT_NONE,
	    MAP_PRIVATE);

	ATF_REQUIRE_MSG(mprotect(r, n * ps, RW) == 0, "mprotect(%p, %zu "
	    "pages, RW): %s", (void *)r, n, strerror(errno));
	mc_fill_patterns(r, n, 0);
	return r;
}

/*
 * n pages of the file fd from page 'first' on (prot, MAP_SHARED or
 * MAP_PRIVATE), followed by one PROT_NONE anonymous page that blocks
 * growth in place: a PROT_NONE reservation of n + 1 pages whose head is
 * replaced by the file mapping (MAP_FIXED over our own reservation).
 * The guard is at result + n pages.
 */
static unsigned char *
map_file_blocked(int fd, size_t n, size_t first, int prot, int flags)
{
	size_t ps = mc_pagesize();
	unsigned char *r = mc_map_anon((n + 1) * ps, PROT_NONE, MAP_PRIVATE);
	void *p = mmap(r, n * ps, prot, flags | MAP_FIXED, fd,
	    (off_t)(first * ps));

	ATF_REQUIRE_MSG(p == r, "mmap(MAP_FIXED over our reservation %p, %zu "
	    "pages of the file from page %zu, prot %#x, flags %#x): got %p, "
	    "%s", (void *)r, n, first, prot, flags, p, strerror(errno));
	return r;
}

/* PFNs of n pages at p (0 where hidden or not present): mc_pfn_try. */
static void
take_pfns(const unsigned char *p, size_t n, uint64_t *pfn)
{
	for (size_t i = 0; i < n; i++)
		pfn[i] = mc_pfn_try(p + i * mc_pagesize());
}

/*
 * After the content assertions: skip when PFNs are hidden, else require
 * that page i of [p, p + n pages) is present with PFN pfn[i]; what names
 * the pages.
 */
static void
require_same_pfns(const unsigned char *p, size_t n, const uint64_t *pfn,
    const char *what)
{
	mc_require_pfns();
	for (size_t i = 0; i < n; i++) {
		uint64_t now = mc_pagemap(p + i * mc_pagesize());

		ATF_REQUIRE_MSG(now & MC_PM_PRESENT, "%s: page %zu at %p is "
		    "not present (pagemap entry %#jx)", what, i,
		    (void *)(p + i * mc_pagesize()), (uintmax_t)now);
		ATF_REQUIRE_MSG(pfn[i] != 0, "%s: page %zu had no PFN before "
		    "the call although PFNs are visible", what, i);
		ATF_REQUIRE_EQ_MSG(MC_PM_PFN(now), pfn[i], "%s: page %zu at "
		    "%p: expected PFN %#jx (the same physical page), got %#jx",
		    what, i, (void *)(p + i * mc_pagesize()),
		    (uintmax_t)pfn[i], (uintmax_t)MC_PM_PFN(now));
	}
}

/* Require that every page of [p, p + n pages) is unmapped (SEGV_MAPERR). */
static void
require_unmapped(unsigned char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		MC_REQUIRE_FAULT(p + i * mc_pagesize(), MC_READ, SIGSEGV,
		    SEGV_MAPERR);
}

/* Require that file page 'page' of fd holds only the byte c (pread). */
static void
require_file_page(int fd, size_t page, unsigned char c, const char *what)
{
	size_t ps = mc_pagesize();
	unsigned char *buf = malloc(ps);
	size_t bad;
	unsigned char first;

	ATF_REQUIRE(buf != NULL);
	mc_pread_all(fd, buf, ps, (off_t)(page * ps));
	bad = mc_count_not(buf, ps, c);
	first = buf[0];
	free(buf);
	ATF_REQUIRE_MSG(bad == 0, "%s: file page %zu (pread): expected bytes "
	    "%#x, %zu of %zu differ (first is %#x)", what, page, c, bad, ps,
	    first);
}

/*
 * The file offset that the mapping holding addr maps at addr, per
 * /proc/self/maps; the inode of that mapping in *ino.
 */
static unsigned long long
maps_offset_at(const void *addr, unsigned long long *ino)
{
	struct mc_maps_ent e;

	mc_maps_get(addr, &e);
	*ino = e.inode;
	return e.offset + ((uintptr_t)addr - e.start);
}

/* ---- file-backed mappings moved --------------------------------------- */

MC_TC(file_private_move_keeps_offset, "MREMAP-19",
    "A private file mapping at a non-zero offset, grown with "
    "MREMAP_MAYMOVE where it cannot grow in place, moves and still maps "
    "the same file pages (same PFNs, same offset in /proc/self/maps); the "
    "grown pages read the file's following pages")
{
	size_t ps = mc_pagesize();
	int fd = mc_make_file("mremap_file", 8);
	unsigned char *p = map_file_blocked(fd, 2, 2, RW, MAP_PRIVATE);
	unsigned long long ino, off;
	struct stat st;
	uint64_t pfn[2];
	unsigned char *q;

	ATF_REQUIRE(fstat(fd, &st) == 0);
	/* Fault both pages in (read only: they stay page-cache pages). */
	mc_require_patterns(p, 2, 2, "the file pages 2-3 before the move");
	take_pfns(p, 2, pfn);
	q = mremap(p, 2 * ps, 4 * ps, MREMAP_MAYMOVE);
	ATF_REQUIRE_MSG(q != MAP_FAILED, "mremap(private file mapping at "
	    "offset 2 pages, 2 -> 4 pages, MAYMOVE) with a guard after it: %s",
	    mc_errname(errno));
	ATF_REQUIRE_MSG(q != p, "the mapping grew in place over its guard "
	    "page at %p", (void *)(p + 2 * ps));
	mc_require_patterns(q, 2, 2, "the moved pages (file pages 2-3)");
	mc_require_patterns(q + 2 * ps, 2, 4, "the grown pages (expected "
	    "file pages 4-5)");
	off = maps_offset_at(q, &ino);
	ATF_REQUIRE_EQ_MSG(off, 2 * ps, "/proc/self/maps: the moved mapping "
	    "at %p maps file offset %#llx, expected %#zx", (void *)q, off,
	    2 * ps);
	ATF_REQUIRE_EQ_MSG(ino, (unsigned long long)st.st_ino, "/proc/self/"
	    "maps: the moved mapping maps inode %llu, expected %llu", ino,
	    (unsigned long long)st.st_ino);
	require_unmapped(p, 2);
	require_same_pfns(q, 2, pfn, "moved private file pages");
	ATF_REQUIRE(munmap(q, 4 * ps) == 0);
	ATF_REQUIRE(munmap(p + 2 * ps, ps) == 0);
	ATF_REQUIRE(close(fd) == 0);
}

MC_TC(file_private_writes_move_and_stay_private, "MREMAP-20",
    "Private copies written in a private file mapping before a move "
    "(MREMAP_MAYMOVE) move with it: the new address shows the written "
    "data from the same physical page, and neither these writes nor "
    "writes after the move reach the file")
{
	size_t ps = mc_pagesize();
	int fd = mc_make_file("mremap_file", 8);
	unsigned char *p = map_file_blocked(fd, 2, 2, RW, MAP_PRIVATE);
	uint64_t pfn[1];
	unsigned char *q;

	mc_require_readable(p, 2 * ps, "the private file mapping");
	memset(p, 'w', ps); /* a private copy of file page 2 */
	take_pfns(p, 1, pfn);
	q = mremap(p, 2 * ps, 3 * ps, MREMAP_MAYMOVE);
	ATF_REQUIRE_MSG(q != MAP_FAILED, "mremap(private file mapping, 2 -> "
	    "3 pages, MAYMOVE) with a guard after it: %s", mc_errname(errno));
	ATF_REQUIRE_MSG(q != p, "the mapping grew in place over its guard "
	    "page at %p", (void *)(p + 2 * ps));
	mc_require_bytes(q, ps, 'w', "the privately written page after the "
	    "move");
	mc_require_patterns(q + ps, 2, 3, "the unwritten and grown pages "
	    "(file pages 3-4)");
	require_file_page(fd, 2, mc_pattern(2), "after a private write and "
	    "the move");
	MC_REQUIRE_NO_FAULT(q + 2 * ps, MC_WRITE);
	memset(q + ps, 'x', 2 * ps);
	require_file_page(fd, 3, mc_pattern(3), "after a private write "
	    "through the moved mapping");
	require_file_page(fd, 4, mc_pattern(4), "after a private write "
	    "into the grown part");
	require_unmapped(p, 2);
	require_same_pfns(q, 1, pfn, "the moved private copy");
	ATF_REQUIRE(munmap(q, 3 * ps) == 0);
	ATF_REQUIRE(munmap(p + 2 * ps, ps) == 0);
	ATF_REQUIRE(close(fd) == 0);
}

MC_TC(file_shared_move_writes_reach_file, "MREMAP-21",
    "A shared file mapping moved by growing it with MREMAP_MAYMOVE keeps "
    "its pages (same PFNs): writes through the new address, also into the "
    "grown part that maps the following file pages, reach the file")
{
	size_t ps = mc_pagesize();
	int fd = mc_make_file("mremap_file", 8);
	unsigned char *p = map_file_blocked(fd, 2, 1, RW, MAP_SHARED);
	uint64_t pfn[2];
	unsigned char *q;

	mc_require_patterns(p, 2, 1, "the shared file pages 1-2 before the "
	    "move");
	take_pfns(p, 2, pfn);
	q = mremap(p, 2 * ps, 4 * ps, MREMAP_MAYMOVE);
	ATF_REQUIRE_MSG(q != MAP_FAILED, "mremap(shared file mapping at "
	    "offset 1 page, 2 -> 4 pages, MAYMOVE) with a guard after it: %s",
	    mc_errname(errno));
	ATF_REQUIRE_MSG(q != p, "the mapping grew in place over its guard "
	    "page at %p", (void *)(p + 2 * ps));
	mc_require_patterns(q, 4, 1, "the moved and grown mapping (file "
	    "pages 1-4)");
	memset(q, 'S', ps);
	memset(q + 3 * ps, 'T', ps);
	require_file_page(fd, 1, 'S', "a write through the moved mapping");
	require_file_page(fd, 4, 'T', "a write into the grown part");
	require_file_page(fd, 2, mc_pattern(2), "a page not written");
	require_unmapped(p, 2);
	require_same_pfns(q, 2, pfn, "moved shared file pages");
	ATF_REQUIRE(munmap(q, 4 * ps) == 0);
	ATF_REQUIRE(munmap(p + 2 * ps, ps) == 0);
	ATF_REQUIRE(close(fd) == 0);
}

MC_TC(file_grown_past_eof_sigbus, "MREMAP-22",
    "A file mapping grown past the end of the file (shared and private): "
    "the grown pages within the file read it, the pages wholly past EOF "
    "raise SIGBUS on access")
{
	static const struct {
		int flags;
		const char *name;
	} kinds[] = {
		{ MAP_SHARED, "MAP_SHARED" },
		{ MAP_PRIVATE, "MAP_PRIVATE" },
	};
	size_t ps = mc_pagesize();
	int fd = mc_make_file("mremap_file", 2);

	for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
		unsigned char *p = map_file_blocked(fd, 1, 0, RW,
		    kinds[k].flags);
		unsigned char *q = mremap(p, ps, 4 * ps, MREMAP_MAYMOVE);
		char what[96];

		ATF_REQUIRE_MSG(q != MAP_FAILED, "mremap(%s mapping of page 0 "
		    "of a 2-page file, 1 -> 4 pages, MAYMOVE): %s",
		    kinds[k].name, mc_errname(errno));
		snprintf(what, sizeof(what), "%s: the pages within the file "
		    "(0-1)", kinds[k].name);
		mc_require_patterns(q, 2, 0, what);
		snprintf(what, sizeof(what), "%s: page 2 of the grown mapping, "
		    "past EOF", kinds[k].name);
		mc_require_sigbus(q + 2 * ps, MC_READ, what);
		snprintf(what, sizeof(what), "%s: page 3 of the grown mapping, "
		    "past EOF", kinds[k].name);
		mc_require_sigbus(q + 3 * ps, MC_READ, what);
		mc_require_sigbus(q + 3 * ps, MC_WRITE, what);
		ATF_REQUIRE_EQ_MSG(mc_fd_size(fd), (off_t)(2 * ps), "%s: the "
		    "file size changed to %jd", kinds[k].name,
		    (intmax_t)mc_fd_size(fd));
		ATF_REQUIRE_MSG(q != p, "%s: the mapping grew in place over "
		    "its guard page at %p", kinds[k].name, (void *)(p + ps));
		ATF_REQUIRE(munmap(q, 4 * ps) == 0);
		ATF_REQUIRE(munmap(p + ps, ps) == 0);
	}
	ATF_REQUIRE(close(fd) == 0);
}

/* ---- same size --------------------------------------------------------- */

MC_TC(same_size_returns_same_address, "MREMAP-23",
    "mremap with old_size == new_size and no flags returns old_address "
    "and changes nothing: same contents, same /proc/self/maps entry (a "
    "private anonymous and a shared file mapping)")
{
	size_t ps = mc_pagesize();
	int fd = mc_make_file("mremap_file", 4);
	struct {
		unsigned char *p;
		size_t first; /* pattern of its first page */
		const char *name;
	} kinds[2];

	kinds[0].p = mc_map_guarded(2, RW, MAP_PRIVATE | MAP_ANONYMOUS, -1);
	mc_fill_patterns(kinds[0].p, 2, 0);
	kinds[0].first = 0;
	kinds[0].name = "private anonymous";
	/* File pages 1-2 between guards made of file pages 0 and 3. */
	kinds[1].p = mc_map_guarded(2, RW, MAP_SHARED, fd);
	kinds[1].first = 1;
	kinds[1].name = "shared file";
	for (size_t k = 0; k < 2; k++) {
		unsigned char *p = kinds[k].p;
		struct mc_maps_ent before, after;
		unsigned char *q;
		char what[96];

		mc_maps_get(p, &before);
		q = mremap(p, 2 * ps, 2 * ps, 0);
		ATF_REQUIRE_MSG(q != MAP_FAILED, "mremap(%s, 2 -> 2 pages, no "
		    "flags): %s", kinds[k].name, mc_errname(errno));
		ATF_REQUIRE_EQ_MSG(q, p, "mremap(%s, 2 -> 2 pages, no flags): "
		    "expected the old address %p, got %p", kinds[k].name,
		    (void *)p, (void *)q);
		snprintf(what, sizeof(what), "%s after a same-size mremap",
		    kinds[k].name);
		mc_require_patterns(p, 2, kinds[k].first, what);
		mc_maps_get(p, &after);
		ATF_REQUIRE_MSG(after.start == before.start &&
		    after.end == before.end && after.offset == before.offset &&
		    strcmp(after.perms, before.perms) == 0, "%s: "
		    "/proc/self/maps entry changed: before '%s', after '%s'",
		    kinds[k].name, before.line, after.line);
		mc_unmap_guarded(p, 2);
	}
	ATF_REQUIRE(close(fd) == 0);
}

/* ---- MREMAP_FIXED: growing, shrinking, splitting ----------------------- */

MC_TC(fixed_grow_into_free_hole, "MREMAP-24",
    "MREMAP_MAYMOVE|MREMAP_FIXED with new_size > old_size into free "
    "address space returns new_address: the old pages are there (same "
    "PFNs), the extra pages zero-filled and writable, the old range "
    "unmapped")
{
	size_t ps = mc_pagesize();
	unsigned char *src = map_filled(2, 0);
	uint64_t pfn[2];
	unsigned char *hole, *q;
	uintptr_t s, e;

	take_pfns(src, 2, pfn);
	hole = mc_free_hole(4);
	q = mremap(src, 2 * ps, 4 * ps, MREMAP_MAYMOVE | MREMAP_FIXED, hole);
	ATF_REQUIRE_MSG(q != MAP_FAILED, "mremap(%p, 2 -> 4 pages, MAYMOVE|"
	    "FIXED, free hole %p): %s", (void *)src, (void *)hole,
	    mc_errname(errno));
	ATF_REQUIRE_EQ_MSG(q, hole, "MREMAP_FIXED: expected new_address %p, "
	    "got %p", (void *)hole, (void *)q);
	mc_require_patterns(q, 2, 0, "the moved pages at new_address");
	mc_require_bytes(q + 2 * ps, 2 * ps, 0, "the grown pages at new_address");
	MC_REQUIRE_NO_FAULT(q + 3 * ps, MC_WRITE);
	ATF_REQUIRE(mc_maps_range(q, &s, &e));
	ATF_REQUIRE_MSG(s <= (uintptr_t)q && e >= (uintptr_t)(q + 4 * ps),
	    "/proc/self/maps: expected one mapping covering %p-%p, got "
	    "%#jx-%#jx", (void *)q, (void *)(q + 4 * ps), (uintmax_t)s,
	    (uintmax_t)e);
	require_unmapped(src, 2);
	require_same_pfns(q, 2, pfn, "pages moved into the hole");
	ATF_REQUIRE(munmap(q, 4 * ps) == 0);
}

MC_TC(fixed_shrink_moves_only_new_size, "MREMAP-25",
    "MREMAP_MAYMOVE|MREMAP_FIXED with new_size < old_size moves only the "
    "first new_size bytes to new_address (same PFNs); nothing is mapped "
    "after them there, and the whole old range is unmapped")
{
	size_t ps = mc_pagesize();
	unsigned char *src = map_filled(4, 0);
	uint64_t pfn[2];
	unsigned char *hole, *q;

	take_pfns(src, 2, pfn);
	hole = mc_free_hole(4);
	q = mremap(src, 4 * ps, 2 * ps, MREMAP_MAYMOVE | MREMAP_FIXED, hole);
	ATF_REQUIRE_MSG(q != MAP_FAILED, "mremap(%p, 4 -> 2 pages, MAYMOVE|"
	    "FIXED, free hole %p): %s", (void *)src, (void *)hole,
	    mc_errname(errno));
	ATF_REQUIRE_EQ_MSG(q, hole, "MREMAP_FIXED: expected new_address %p, "
	    "got %p", (void *)hole, (void *)q);
	mc_require_patterns(q, 2, 0, "the 2 moved pages at new_address");
	require_unmapped(q + 2 * ps, 2);
	require_unmapped(src, 4);
	require_same_pfns(q, 2, pfn, "pages moved by a shrinking move");
	ATF_REQUIRE(munmap(q, 2 * ps) == 0);
}

MC_TC(fixed_unaligned_new_address_einval, "MREMAP-26",
    "MREMAP_MAYMOVE|MREMAP_FIXED with a new_address that is not "
    "page-aligned fails with EINVAL; the source and the mapping at the "
    "target are unchanged")
{
	size_t ps = mc_pagesize();
	unsigned char *src = map_filled(2, 0);
	unsigned char *dst = mc_map_anon(2 * ps, RW, MAP_PRIVATE);

	memset(dst, 'D', 2 * ps);
	MC_REQUIRE_PTR_ERR(mremap(src, 2 * ps, 2 * ps,
	    MREMAP_MAYMOVE | MREMAP_FIXED, dst + 1), EINVAL,
	    "mremap(MAYMOVE|FIXED, new_address = a mapping + 1 byte)");
	MC_REQUIRE_PTR_ERR(mremap(src, 2 * ps, 2 * ps,
	    MREMAP_MAYMOVE | MREMAP_FIXED, dst + ps / 2), EINVAL,
	    "mremap(MAYMOVE|FIXED, new_address = a mapping + half a page)");
	mc_require_patterns(src, 2, 0, "the source after the failed calls");
	mc_require_bytes(dst, 2 * ps, 'D', "the target mapping after the failed "
	    "calls");
	ATF_REQUIRE(munmap(src, 2 * ps) == 0);
	ATF_REQUIRE(munmap(dst, 2 * ps) == 0);
}

MC_TC(fixed_move_middle_splits_mapping, "MREMAP-27",
    "Moving the middle pages of a mapping with MREMAP_MAYMOVE|MREMAP_FIXED "
    "splits it: the pages before and after stay mapped as two mappings "
    "with their contents and PFNs, the moved pages are at new_address with "
    "theirs, and the hole between raises SIGSEGV/SEGV_MAPERR")
{
	size_t ps = mc_pagesize();
	unsigned char *p = mc_map_guarded(4, RW, MAP_PRIVATE | MAP_ANONYMOUS,
	    -1);
	unsigned char *dst = mc_map_anon(2 * ps, PROT_NONE, MAP_PRIVATE);
	struct mc_maps_ent head, tail;
	uint64_t pfn[4];
	unsigned char *q;

	mc_fill_patterns(p, 4, 0);
	take_pfns(p, 4, pfn);
	q = mremap(p + ps, 2 * ps, 2 * ps, MREMAP_MAYMOVE | MREMAP_FIXED,
	    dst);
	ATF_REQUIRE_MSG(q != MAP_FAILED, "mremap(pages 1-2 of a 4-page "
	    "mapping, MAYMOVE|FIXED, %p): %s", (void *)dst, mc_errname(errno));
	ATF_REQUIRE_EQ_MSG(q, dst, "MREMAP_FIXED: expected new_address %p, "
	    "got %p", (void *)dst, (void *)q);
	mc_require_patterns(p, 1, 0, "the page before the moved part");
	mc_require_patterns(p + 3 * ps, 1, 3, "the page after the moved part");
	mc_require_patterns(dst, 2, 1, "the moved middle pages");
	require_unmapped(p + ps, 2);
	mc_maps_get(p, &head);
	mc_maps_get(p + 3 * ps, &tail);
	ATF_REQUIRE_MSG(head.start == (uintptr_t)p &&
	    head.end == (uintptr_t)(p + ps), "/proc/self/maps: expected the "
	    "head piece %p-%p, got '%s'", (void *)p, (void *)(p + ps),
	    head.line);
	ATF_REQUIRE_MSG(tail.start == (uintptr_t)(p + 3 * ps) &&
	    tail.end == (uintptr_t)(p + 4 * ps), "/proc/self/maps: expected "
	    "the tail piece %p-%p, got '%s'", (void *)(p + 3 * ps),
	    (void *)(p + 4 * ps), tail.line);
	ATF_REQUIRE_MSG(strncmp(head.perms, "rw", 2) == 0 &&
	    strncmp(tail.perms, "rw", 2) == 0, "/proc/self/maps: the pieces "
	    "lost their protection: '%s', '%s'", head.line, tail.line);
	mc_require_pfns();
	require_same_pfns(p, 1, pfn, "the head piece");
	require_same_pfns(p + 3 * ps, 1, pfn + 3, "the tail piece");
	require_same_pfns(dst, 2, pfn + 1, "the moved middle pages");
	ATF_REQUIRE(munmap(dst, 2 * ps) == 0);
	mc_unmap_guarded(p, 4);
}

/* ---- shrinking gives the tail back ------------------------------------- */

MC_TC(shrink_frees_tail_for_reuse, "MREMAP-28",
    "Shrinking a 4-page mapping to 1 page keeps the head's contents and "
    "returns pages 2-4 to free address space: they raise SEGV_MAPERR and "
    "mmap(MAP_FIXED_NOREPLACE) there succeeds at exactly that address")
{
#ifndef MAP_FIXED_NOREPLACE
	atf_tc_skip("MAP_FIXED_NOREPLACE is not defined by the C library");
#else
	size_t ps = mc_pagesize();
	unsigned char *p, *q, *r;

	mc_require_fixed_noreplace();
	p = map_filled(4, 0);
	q = mremap(p, 4 * ps, ps, 0);
	ATF_REQUIRE_MSG(q != MAP_FAILED, "mremap(4 -> 1 page, no flags): %s",
	    mc_errname(errno));
	ATF_REQUIRE_EQ_MSG(q, p, "the shrunk mapping moved: expected %p, got "
	    "%p", (void *)p, (void *)q);
	mc_require_patterns(p, 1, 0, "the head after shrinking");
	require_unmapped(p + ps, 3);
	r = mmap(p + ps, 3 * ps, RW, MAP_PRIVATE | MAP_ANONYMOUS |
	    MAP_FIXED_NOREPLACE, -1, 0);
	ATF_REQUIRE_MSG(r != MAP_FAILED, "mmap(%p, 3 pages, "
	    "MAP_FIXED_NOREPLACE) over the range freed by shrinking: %s",
	    (void *)(p + ps), mc_errname(errno));
	ATF_REQUIRE_EQ_MSG(r, p + ps, "MAP_FIXED_NOREPLACE: expected %p, got "
	    "%p", (void *)(p + ps), (void *)r);
	mc_require_bytes(r, 3 * ps, 0, "the new mapping in the freed range");
	mc_require_patterns(p, 1, 0, "the head after mapping the freed range");
	ATF_REQUIRE(munmap(p, 4 * ps) == 0);
#endif
}

/* ---- locked mappings and RLIMIT_MEMLOCK -------------------------------- */

/* What the child of locked_grow_past_memlock_eagain saw. */
struct memlock_res {
	int64_t step;      /* 0: all ran; else the step that failed */
	int64_t err;       /* errno of that step */
	int64_t vmlck_kb;  /* VmLck after mlock (-1 when missing) */
	int64_t grow_err;  /* errno of the grow (0: it succeeded) */
	int64_t grow_moved; /* 1 when the failed grow changed the mapping */
	int64_t vmlck_after; /* VmLck after the failed grow */
	int64_t ctl;       /* -1 no control; else errno of the control grow */
	int64_t ctl_same;  /* control: 1 when it grew in place */
};
enum { ML_CAPDROP = 1, ML_HARD, ML_SETRLIMIT, ML_MMAP, ML_MLOCK };

/*
 * Drops CAP_IPC_LOCK, sets the soft RLIMIT_MEMLOCK to one page, locks a
 * page that has one free page after it, then grows it in place by one page
 * (EAGAIN expected); as a control, with the soft limit at two pages (when
 * the hard limit allows), the same grow must succeed.
 */
static int
memlock_child(struct mc_child *self, void *arg)
{
	size_t ps = mc_pagesize();
	struct memlock_res r = { 0, 0, -1, 0, 0, -1, -1, 0 };
	struct rlimit rl;
	unsigned char *p, *q;

	(void)arg;
	if ((r.err = mc_cap_drop(CAP_IPC_LOCK)) != 0) {
		r.step = ML_CAPDROP;
		goto out;
	}
	if (getrlimit(RLIMIT_MEMLOCK, &rl) != 0) {
		r.step = ML_SETRLIMIT;
		r.err = errno;
		goto out;
	}
	if (rl.rlim_max != RLIM_INFINITY && rl.rlim_max < ps) {
		r.step = ML_HARD;
		r.err = (int64_t)rl.rlim_max;
		goto out;
	}
	rl.rlim_cur = ps;
	if (setrlimit(RLIMIT_MEMLOCK, &rl) != 0) {
		r.step = ML_SETRLIMIT;
		r.err = errno;
		goto out;
	}
	p = mmap(NULL, 2 * ps, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED || mprotect(p, ps, RW) != 0) {
		r.step = ML_MMAP;
		r.err = errno;
		goto out;
	}
	memset(p, 'L', ps);
	if (mlock(p, ps) != 0) {
		r.step = ML_MLOCK;
		r.err = errno;
		goto out;
	}
	r.vmlck_kb = mc_status_kb_try("VmLck"); /* stdio: before the room */
	/* Room after p: a grow in place, limited only by RLIMIT_MEMLOCK. */
	if (munmap(p + ps, ps) != 0) {
		r.step = ML_MMAP;
		r.err = errno;
		goto out;
	}
	q = mremap(p, ps, 2 * ps, 0);
	r.grow_err = q == MAP_FAILED ? errno : 0;
	if (q == MAP_FAILED) {
		uint64_t e = 0;

		/* Unchanged: p still one page holding 'L', p + ps free. */
		r.grow_moved = mc_count_not(p, ps, 'L') != 0 ||
		    (mc_pagemap_try(p + ps, &e) && (e & MC_PM_PRESENT));
		r.vmlck_after = mc_status_kb_try("VmLck");
		if (rl.rlim_max == RLIM_INFINITY || rl.rlim_max >= 2 * ps) {
			rl.rlim_cur = 2 * ps;
			if (setrlimit(RLIMIT_MEMLOCK, &rl) != 0) {
				r.step = ML_SETRLIMIT;
				r.err = errno;
				goto out;
			}
			q = mremap(p, ps, 2 * ps, 0);
			r.ctl = q == MAP_FAILED ? errno : 0;
			r.ctl_same = q == p;
		}
	}
out:
	mc_send(self, &r, sizeof(r));
	return 0;
}

MC_TC(locked_grow_past_memlock_eagain, "MREMAP-29",
    "Without CAP_IPC_LOCK, growing a locked mapping beyond the soft "
    "RLIMIT_MEMLOCK fails with EAGAIN and leaves it unchanged (the same "
    "grow succeeds once the limit allows it)")
{
	static const char *step[] = { "", "capset (drop CAP_IPC_LOCK)",
		"hard RLIMIT_MEMLOCK", "getrlimit/setrlimit(RLIMIT_MEMLOCK)",
		"mmap/mprotect/munmap", "mlock of one page" };
	size_t ps = mc_pagesize();
	struct memlock_res r;
	struct mc_child ch;

	mc_spawn(&ch, memlock_child, NULL);
	mc_expect(&ch, &r, sizeof(r), "the child's result");
	mc_reap_ok(&ch);
	if (r.step == ML_HARD)
		atf_tc_skip("the hard RLIMIT_MEMLOCK (%jd bytes) is below one "
		    "page: nothing can be locked without CAP_IPC_LOCK",
		    (intmax_t)r.err);
	if (r.step == ML_MLOCK) {
		/* The limit is one page: the lock must be allowed. */
		mc_skip_if_mlock_filtered((int)r.err);
		if (r.err == ENOSYS)
			mc_skip_unsupported("mlock", ENOSYS);
	}
	ATF_REQUIRE_MSG(r.step == 0, "child: %s failed: %s",
	    step[r.step >= 0 && r.step <= ML_MLOCK ? r.step : 0],
	    mc_errname((int)r.err));
	ATF_REQUIRE_MSG(r.vmlck_kb < 0 || r.vmlck_kb == (int64_t)(ps / 1024),
	    "child: VmLck after locking one page is %jd kB, expected %zu kB "
	    "(nothing else locked)", (intmax_t)r.vmlck_kb, ps / 1024);
	ATF_REQUIRE_EQ_MSG(r.grow_err, EAGAIN, "child (no CAP_IPC_LOCK, soft "
	    "RLIMIT_MEMLOCK one page, one page locked): mremap(1 -> 2 pages) "
	    "of the locked page: expected EAGAIN, got %s",
	    r.grow_err ? mc_errname((int)r.grow_err) : "success");
	ATF_REQUIRE_EQ_MSG(r.grow_moved, 0, "child: the failed grow changed "
	    "the locked mapping (contents lost or the next page present)");
	ATF_REQUIRE_MSG(r.vmlck_after < 0 || r.vmlck_after == r.vmlck_kb,
	    "child: VmLck changed from %jd to %jd kB by the failed grow",
	    (intmax_t)r.vmlck_kb, (intmax_t)r.vmlck_after);
	if (r.ctl >= 0) {
		ATF_REQUIRE_EQ_MSG(r.ctl, 0, "child: control: with the soft "
		    "RLIMIT_MEMLOCK at two pages the same grow failed: %s",
		    mc_errname((int)r.ctl));
		ATF_REQUIRE_EQ_MSG(r.ctl_same, 1, "child: control: the grow "
		    "with room after the mapping moved it");
	}
}

/* ---- ranges that are not one mapping ------------------------------------ */

MC_TC(old_range_into_hole_efault, "MREMAP-30",
    "An old range whose start is mapped but which extends into an "
    "unmapped hole fails with EFAULT (growing, with and without "
    "MREMAP_MAYMOVE); the mapped page is unchanged and the hole stays "
    "unmapped")
{
	size_t ps = mc_pagesize();
	unsigned char *p = map_filled(2, 0);

	ATF_REQUIRE(munmap(p + ps, ps) == 0);
	MC_REQUIRE_PTR_ERR(mremap(p, 2 * ps, 3 * ps, 0), EFAULT,
	    "mremap(1 mapped page + 1 unmapped, 2 -> 3 pages, no flags)");
	MC_REQUIRE_PTR_ERR(mremap(p, 2 * ps, 3 * ps, MREMAP_MAYMOVE), EFAULT,
	    "mremap(1 mapped page + 1 unmapped, 2 -> 3 pages, MAYMOVE)");
	mc_require_patterns(p, 1, 0, "the mapped page after the failed calls");
	require_unmapped(p + ps, 1);
	ATF_REQUIRE(munmap(p, ps) == 0);
}

MC_TC(old_range_spans_two_mappings_efault, "MREMAP-31",
    "An old range covering two adjacent mappings of different protection "
    "fails with EFAULT when grown (with and without MREMAP_MAYMOVE); both "
    "mappings keep their contents and protections")
{
	size_t ps = mc_pagesize();
	unsigned char *p = mc_map_guarded(2, RW, MAP_PRIVATE | MAP_ANONYMOUS,
	    -1);
	struct mc_maps_ent a, b;

	mc_fill_patterns(p, 2, 0);
	ATF_REQUIRE_MSG(mprotect(p + ps, ps, PROT_READ) == 0, "mprotect(%p, "
	    "PROT_READ): %s", (void *)(p + ps), mc_errname(errno));
	mc_maps_get(p, &a);
	ATF_REQUIRE_MSG(a.end == (uintptr_t)(p + ps), "setup: expected two "
	    "mappings, the first ending at %p; got '%s'", (void *)(p + ps),
	    a.line);
	/*
	 * Growing, not a pure move: since Linux 6.17 a same-size
	 * MREMAP_FIXED move may cover several mappings.
	 */
	MC_REQUIRE_PTR_ERR(mremap(p, 2 * ps, 3 * ps, 0), EFAULT,
	    "mremap(two adjacent mappings rw + r, 2 -> 3 pages, no flags)");
	MC_REQUIRE_PTR_ERR(mremap(p, 2 * ps, 3 * ps, MREMAP_MAYMOVE), EFAULT,
	    "mremap(two adjacent mappings rw + r, 2 -> 3 pages, MAYMOVE)");
	mc_require_patterns(p, 2, 0, "the two mappings after the failed "
	    "calls");
	mc_maps_get(p, &a);
	mc_maps_get(p + ps, &b);
	ATF_REQUIRE_MSG(a.start == (uintptr_t)p && a.end == (uintptr_t)(p + ps)
	    && strncmp(a.perms, "rw-", 3) == 0, "/proc/self/maps: expected "
	    "%p-%p rw-, got '%s'", (void *)p, (void *)(p + ps), a.line);
	ATF_REQUIRE_MSG(b.start == (uintptr_t)(p + ps) &&
	    b.end == (uintptr_t)(p + 2 * ps) && strncmp(b.perms, "r--", 3) == 0,
	    "/proc/self/maps: expected %p-%p r--, got '%s'", (void *)(p + ps),
	    (void *)(p + 2 * ps), b.line);
	mc_unmap_guarded(p, 2);
}

/* ---- MREMAP_DONTUNMAP needs MREMAP_MAYMOVE ------------------------------ */

MC_TC(dontunmap_without_maymove_einval, "MREMAP-32",
    "MREMAP_DONTUNMAP without MREMAP_MAYMOVE fails with EINVAL (the kernel "
    "itself, mremap called without libc) and leaves the mapping unchanged")
{
#ifndef MREMAP_DONTUNMAP
	atf_tc_skip("MREMAP_DONTUNMAP is not defined by the C library");
#else
	size_t ps = mc_pagesize();
	unsigned char *probe = map_filled(1, 0);
	unsigned char *p = map_filled(1, 0);
	/* Probe: the flag is known (5.7+) when the valid use succeeds. */
	unsigned char *moved = mc_sys_mremap(probe, ps, ps,
	    MREMAP_MAYMOVE | MREMAP_DONTUNMAP, NULL);

	if (moved == MAP_FAILED && (errno == EINVAL || errno == ENOSYS))
		mc_skip_unsupported("MREMAP_DONTUNMAP", errno);
	ATF_REQUIRE_MSG(moved != MAP_FAILED, "probe: mremap(MAYMOVE|"
	    "DONTUNMAP) of a private anonymous page: %s", mc_errname(errno));
	MC_REQUIRE_PTR_ERR(mc_sys_mremap(p, ps, ps, MREMAP_DONTUNMAP, NULL),
	    EINVAL, "syscall(SYS_mremap, 1 -> 1 page, MREMAP_DONTUNMAP)");
	mc_require_patterns(p, 1, 0, "after the failed call");
	ATF_REQUIRE(munmap(p, ps) == 0);
	ATF_REQUIRE(munmap(probe, ps) == 0);
	ATF_REQUIRE(munmap(moved, ps) == 0);
#endif
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, file_private_move_keeps_offset);
	ATF_TP_ADD_TC(tp, file_private_writes_move_and_stay_private);
	ATF_TP_ADD_TC(tp, file_shared_move_writes_reach_file);
	ATF_TP_ADD_TC(tp, file_grown_past_eof_sigbus);
	ATF_TP_ADD_TC(tp, same_size_returns_same_address);
	ATF_TP_ADD_TC(tp, fixed_grow_into_free_hole);
	ATF_TP_ADD_TC(tp, fixed_shrink_moves_only_new_size);
	ATF_TP_ADD_TC(tp, fixed_unaligned_new_address_einval);
	ATF_TP_ADD_TC(tp, fixed_move_middle_splits_mapping);
	ATF_TP_ADD_TC(tp, shrink_frees_tail_for_reuse);
	ATF_TP_ADD_TC(tp, locked_grow_past_memlock_eagain);
	ATF_TP_ADD_TC(tp, old_range_into_hole_efault);
	ATF_TP_ADD_TC(tp, old_range_spans_two_mappings_efault);
	ATF_TP_ADD_TC(tp, dontunmap_without_maymove_einval);
	return atf_no_error();
}
