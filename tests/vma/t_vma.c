/*
 * t_vma: when the kernel merges neighbouring mappings into one VMA and when
 * it splits one, as /proc/self/maps (proc(5)) shows it. Linux keeps one VMA
 * per range of identical attributes: mmap(2) of an adjacent compatible range
 * extends its neighbour, mprotect(2), madvise(2) and mlock(2) of part of a
 * mapping split it, and undoing the change merges the pieces again.
 *
 * Every case builds its mappings between two pages of another protection, so
 * that no neighbour outside the test can join the VMAs it looks at, and
 * checks the exact bounds of the entry that holds each page.
 */
#include <sys/mman.h>

#include <sys/syscall.h>

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "mc.h"
#include "mc_err.h"
#include "mc_proc.h"
#include "mc_vm.h"

/*
 * n + 2 pages: a PROT_NONE page, n pages of anonymous private memory
 * mapped one page at a time with MAP_FIXED and prot, and a PROT_NONE page.
 * Returns the first of the n pages. Undo with munmap(result - ps, n + 2).
 */
static unsigned char *
map_pagewise(size_t n, int prot)
{
	size_t ps = mc_pagesize();
	unsigned char *base = mc_map_anon((n + 2) * ps, PROT_NONE,
	    MAP_PRIVATE);

	for (size_t i = 1; i <= n; i++) {
		void *q = mmap(base + i * ps, ps, prot,
		    MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);

		ATF_REQUIRE_MSG(q == base + i * ps, "mmap(MAP_FIXED, page %zu "
		    "at %p): %s", i, (void *)(base + i * ps),
		    q == MAP_FAILED ? strerror(errno) : "another address");
	}
	return base + ps;
}

MC_TC(adjacent_anon_mappings_merge, "VMA-1",
    "Two anonymous private mappings made by separate mmap calls, adjacent "
    "and with the same protection, are one mapping in /proc/self/maps, "
    "even when the first already has pages")
{
	size_t ps = mc_pagesize();
	unsigned char *base = mc_map_anon(4 * ps, PROT_NONE, MAP_PRIVATE);
	unsigned char *p = base + ps;

	ATF_REQUIRE(mmap(p, ps, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) == p);
	p[0] = 0x5a;
	ATF_REQUIRE(mmap(p + ps, ps, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) == p + ps);
	p[ps] = 0xa5;
	mc_require_vma(p, p, p + 2 * ps, "the first of two adjacent mappings");
	mc_require_vma(p + ps, p, p + 2 * ps, "the second of them");
	ATF_REQUIRE_EQ_MSG(p[0], 0x5a, "page 0 reads %#x after the merge, "
	    "expected 0x5a", p[0]);
	ATF_REQUIRE_EQ_MSG(p[ps], 0xa5, "page 1 reads %#x after the merge, "
	    "expected 0xa5", p[ps]);
	ATF_REQUIRE(munmap(base, 4 * ps) == 0);
}

MC_TC(different_prot_does_not_merge, "VMA-2",
    "Adjacent anonymous mappings with different protections stay two "
    "mappings; mprotect giving them the same protection merges them")
{
	size_t ps = mc_pagesize();
	unsigned char *p = map_pagewise(2, PROT_READ | PROT_WRITE);

	ATF_REQUIRE(mprotect(p + ps, ps, PROT_READ) == 0);
	mc_require_vma(p, p, p + ps, "the read-write page");
	mc_require_vma(p + ps, p + ps, p + 2 * ps, "the page of another "
	    "protection");
	ATF_REQUIRE(mprotect(p + ps, ps, PROT_READ | PROT_WRITE) == 0);
	mc_require_vma(p, p, p + 2 * ps, "both pages after mprotect made them "
	    "alike");
	ATF_REQUIRE(munmap(p - ps, 4 * ps) == 0);
}

MC_TC(mprotect_middle_splits_and_remerges, "VMA-3",
    "mprotect of the middle page of a three-page mapping splits it into "
    "three mappings; restoring the protection merges them back into one")
{
	size_t ps = mc_pagesize();
	unsigned char *p = mc_map_guarded(3, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1);

	mc_fill_patterns(p, 3, 0);
	ATF_REQUIRE(mprotect(p + ps, ps, PROT_READ) == 0);
	mc_require_vma(p, p, p + ps, "page 0 after mprotect of page 1");
	mc_require_vma(p + ps, p + ps, p + 2 * ps, "page 1 after its mprotect");
	mc_require_vma(p + 2 * ps, p + 2 * ps, p + 3 * ps, "page 2 after "
	    "mprotect of page 1");
	ATF_REQUIRE(mprotect(p + ps, ps, PROT_READ | PROT_WRITE) == 0);
	mc_require_vma(p + ps, p, p + 3 * ps, "the three pages after undoing "
	    "the mprotect");
	mc_require_patterns(p, 3, 0, "the pages after split and merge");
	mc_unmap_guarded(p, 3);
}

MC_TC(madvise_middle_splits_and_remerges, "VMA-4",
    "madvise with an advice that changes a mapping's flags (MADV_DONTFORK) "
    "on the middle page splits the mapping into three; MADV_DOFORK merges "
    "them back into one")
{
	size_t ps = mc_pagesize();
	unsigned char *p = mc_map_guarded(3, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1);
	char flags[256];

	mc_fill_patterns(p, 3, 0);
	ATF_REQUIRE_MSG(madvise(p + ps, ps, MADV_DONTFORK) == 0,
	    "madvise(MADV_DONTFORK): %s", strerror(errno));
	mc_require_vma(p, p, p + ps, "page 0 after MADV_DONTFORK of page 1");
	mc_require_vma(p + ps, p + ps, p + 2 * ps, "page 1 after its "
	    "MADV_DONTFORK");
	mc_require_vma(p + 2 * ps, p + 2 * ps, p + 3 * ps, "page 2 after "
	    "MADV_DONTFORK of page 1");
	if (mc_smaps_vmflags_try(p + ps, flags, sizeof(flags)))
		ATF_REQUIRE_MSG(mc_has_vmflag(flags, "dc"), "page 1 after "
		    "MADV_DONTFORK: smaps VmFlags \"%s\" lack \"dc\"", flags);
	ATF_REQUIRE(madvise(p + ps, ps, MADV_DOFORK) == 0);
	mc_require_vma(p + ps, p, p + 3 * ps, "the three pages after "
	    "MADV_DOFORK");
	mc_require_patterns(p, 3, 0, "the pages after split and merge");
	mc_unmap_guarded(p, 3);
}

MC_TC(mlock_middle_splits_and_remerges, "VMA-5",
    "mlock of the middle page of a mapping splits it into three (the "
    "locked page is a mapping of its own); munlock merges them back")
{
	size_t ps = mc_pagesize();
	unsigned char *p = mc_map_guarded(3, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1);

	/*
	 * Every page written first: all pieces then share one anon_vma, which
	 * merging needs. Untouched outer pages beside the locked (so
	 * populated) middle stayed three mappings after munlock on Debian's
	 * 6.1 ppc64el kernel (measured), though x86_64 merged them.
	 */
	mc_fill_patterns(p, 3, 0);
	mc_mlock_or_skip(p + ps, ps);
	mc_require_vma(p, p, p + ps, "page 0 after mlock of page 1");
	mc_require_vma(p + ps, p + ps, p + 2 * ps, "page 1 after its mlock");
	mc_require_vma(p + 2 * ps, p + 2 * ps, p + 3 * ps, "page 2 after "
	    "mlock of page 1");
	ATF_REQUIRE(munlock(p + ps, ps) == 0);
	mc_require_vma(p + ps, p, p + 3 * ps, "the three pages after munlock");
	mc_require_patterns(p, 3, 0, "the pages after split and merge");
	mc_unmap_guarded(p, 3);
}

/* Map file page off at addr, shared read-write, with MAP_FIXED. */
static void
map_file_page(unsigned char *addr, int fd, size_t off_pages)
{
	size_t ps = mc_pagesize();
	void *q = mmap(addr, ps, PROT_READ | PROT_WRITE, MAP_SHARED |
	    MAP_FIXED, fd, (off_t)(off_pages * ps));

	ATF_REQUIRE_MSG(q == addr, "mmap(MAP_FIXED at %p, file page %zu): %s",
	    (void *)addr, off_pages, q == MAP_FAILED ? strerror(errno) :
	    "another address");
}

MC_TC(file_pages_at_consecutive_offsets_merge, "VMA-6",
    "Two shared mappings of the same file made by separate mmap calls, "
    "adjacent in memory and at consecutive file offsets, are one mapping "
    "whose line shows the first one's offset")
{
	size_t ps = mc_pagesize();
	int fd = mc_make_file("f", 4);
	unsigned char *base = mc_map_anon(4 * ps, PROT_NONE, MAP_PRIVATE);
	unsigned char *p = base + ps;
	struct mc_maps_ent e;

	map_file_page(p, fd, 1);
	map_file_page(p + ps, fd, 2);
	mc_require_vma(p, p, p + 2 * ps, "file pages 1 and 2 mapped side by "
	    "side");
	mc_maps_get(p, &e);
	ATF_REQUIRE_EQ_MSG(e.offset, (unsigned long long)ps, "the merged "
	    "mapping's offset is %#llx, expected %#zx (file page 1): \"%s\"",
	    e.offset, ps, e.line);
	mc_require_patterns(p, 2, 1, "file pages 1 and 2");
	ATF_REQUIRE(munmap(base, 4 * ps) == 0);
	ATF_REQUIRE(close(fd) == 0);
}

MC_TC(file_pages_at_other_offsets_do_not_merge, "VMA-7",
    "Two shared mappings of the same file adjacent in memory but not at "
    "consecutive file offsets stay two mappings, each with its own offset")
{
	size_t ps = mc_pagesize();
	int fd = mc_make_file("f", 4);
	unsigned char *base = mc_map_anon(4 * ps, PROT_NONE, MAP_PRIVATE);
	unsigned char *p = base + ps;
	struct mc_maps_ent e;

	map_file_page(p, fd, 1);
	map_file_page(p + ps, fd, 3);
	mc_require_vma(p, p, p + ps, "file page 1");
	mc_require_vma(p + ps, p + ps, p + 2 * ps, "file page 3 mapped after "
	    "file page 1");
	mc_maps_get(p + ps, &e);
	ATF_REQUIRE_EQ_MSG(e.offset, (unsigned long long)(3 * ps), "the second "
	    "mapping's offset is %#llx, expected %#zx (file page 3): \"%s\"",
	    e.offset, 3 * ps, e.line);
	mc_require_patterns(p, 1, 1, "file page 1");
	mc_require_patterns(p + ps, 1, 3, "file page 3");
	ATF_REQUIRE(munmap(base, 4 * ps) == 0);
	ATF_REQUIRE(close(fd) == 0);
}

MC_TC(adjacent_shared_anon_mappings_do_not_merge, "VMA-8",
    "Two shared anonymous mappings, adjacent and with the same protection, "
    "stay two mappings: each is its own shared memory object")
{
	size_t ps = mc_pagesize();
	unsigned char *base = mc_map_anon(4 * ps, PROT_NONE, MAP_PRIVATE);
	unsigned char *p = base + ps;

	for (size_t i = 0; i < 2; i++) {
		void *q = mmap(p + i * ps, ps, PROT_READ | PROT_WRITE,
		    MAP_SHARED | MAP_ANONYMOUS | MAP_FIXED, -1, 0);

		ATF_REQUIRE_MSG(q == p + i * ps, "mmap(MAP_SHARED|"
		    "MAP_ANONYMOUS|MAP_FIXED, page %zu): %s", i,
		    q == MAP_FAILED ? strerror(errno) : "another address");
		p[i * ps] = (unsigned char)(0x30 + i);
	}
	mc_require_vma(p, p, p + ps, "the first shared anonymous page");
	mc_require_vma(p + ps, p + ps, p + 2 * ps, "the second shared "
	    "anonymous page");
	ATF_REQUIRE_EQ_MSG(p[0], 0x30, "page 0 reads %#x, expected 0x30", p[0]);
	ATF_REQUIRE_EQ_MSG(p[ps], 0x31, "page 1 reads %#x, expected 0x31",
	    p[ps]);
	ATF_REQUIRE(munmap(base, 4 * ps) == 0);
}

MC_TC(munmap_middle_leaves_two_mappings, "VMA-9",
    "munmap of the middle page of a three-page mapping leaves two "
    "mappings, one page each, with their contents; mapping the hole again "
    "with the same attributes merges all three back into one")
{
	size_t ps = mc_pagesize();
	unsigned char *p = mc_map_guarded(3, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1);
	void *q;

	mc_fill_patterns(p, 3, 0);
	ATF_REQUIRE(munmap(p + ps, ps) == 0);
	mc_require_vma(p, p, p + ps, "page 0 after munmap of page 1");
	mc_require_vma(p + 2 * ps, p + 2 * ps, p + 3 * ps, "page 2 after "
	    "munmap of page 1");
	/* mc_map_guarded's mapping was made MADV_NOHUGEPAGE: so is the new. */
	q = mmap(p + ps, ps, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	ATF_REQUIRE_MSG(q == p + ps, "mmap(MAP_FIXED) into the hole: %s",
	    q == MAP_FAILED ? strerror(errno) : "another address");
	ATF_REQUIRE(madvise(p + ps, ps, MADV_NOHUGEPAGE) == 0 ||
	    errno == EINVAL);
	mc_require_vma(p + ps, p, p + 3 * ps, "the three pages after mapping "
	    "the hole again");
	mc_require_patterns(p, 1, 0, "page 0");
	mc_require_patterns(p + 2 * ps, 1, 2, "page 2");
	ATF_REQUIRE_EQ_MSG(mc_count_not(p + ps, ps, 0), (size_t)0, "the new "
	    "middle page has %zu non-zero bytes, expected zero-filled",
	    mc_count_not(p + ps, ps, 0));
	mc_unmap_guarded(p, 3);
}

MC_TC(mprotect_head_moves_boundary_to_prev, "VMA-10",
    "mprotect of the first page of a shared file mapping to the protection "
    "of the mapping of the previous file page just before it moves the "
    "boundary: the previous mapping grows by that page, the other shrinks, "
    "every page keeps its file page")
{
	size_t ps = mc_pagesize();
	int fd = mc_make_file("f", 4);
	unsigned char *base = mc_map_anon(5 * ps, PROT_NONE, MAP_PRIVATE);
	unsigned char *p = base + ps;
	void *q;

	/* file page 0 read-only, file pages 1-2 read-write just after it */
	q = mmap(p, ps, PROT_READ, MAP_SHARED | MAP_FIXED, fd, 0);
	ATF_REQUIRE_MSG(q == p, "mmap(MAP_FIXED, PROT_READ, file page 0): %s",
	    q == MAP_FAILED ? strerror(errno) : "another address");
	q = mmap(p + ps, 2 * ps, PROT_READ | PROT_WRITE, MAP_SHARED |
	    MAP_FIXED, fd, (off_t)ps);
	ATF_REQUIRE_MSG(q == p + ps, "mmap(MAP_FIXED, file pages 1-2): %s",
	    q == MAP_FAILED ? strerror(errno) : "another address");
	mc_require_vma(p, p, p + ps, "the read-only file page 0");
	mc_require_vma(p + ps, p + ps, p + 3 * ps, "the read-write file pages "
	    "1-2");
	ATF_REQUIRE(mprotect(p + ps, ps, PROT_READ) == 0);
	mc_require_vma(p, p, p + 2 * ps, "file pages 0-1 after "
	    "mprotect(page 1, PROT_READ)");
	mc_require_vma(p + 2 * ps, p + 2 * ps, p + 3 * ps, "file page 2 after "
	    "mprotect of page 1");
	mc_require_patterns(p, 3, 0, "file pages 0-2 after the boundary moved");
	ATF_REQUIRE(munmap(base, 5 * ps) == 0);
	ATF_REQUIRE(close(fd) == 0);
}

MC_TC(mprotect_middle_file_mapping_merges_three, "VMA-11",
    "three adjacent shared mappings of one file at consecutive offsets, "
    "the middle one read-only, are three mappings; mprotect giving the "
    "middle one the others' protection merges all three into one mapping "
    "showing the first one's offset")
{
	size_t ps = mc_pagesize();
	int fd = mc_make_file("f", 4);
	unsigned char *base = mc_map_anon(5 * ps, PROT_NONE, MAP_PRIVATE);
	unsigned char *p = base + ps;
	struct mc_maps_ent e;
	void *q;

	map_file_page(p, fd, 1);
	q = mmap(p + ps, ps, PROT_READ, MAP_SHARED | MAP_FIXED, fd,
	    (off_t)(2 * ps));
	ATF_REQUIRE_MSG(q == p + ps, "mmap(MAP_FIXED, PROT_READ, file page "
	    "2): %s", q == MAP_FAILED ? strerror(errno) : "another address");
	map_file_page(p + 2 * ps, fd, 3);
	mc_require_vma(p + ps, p + ps, p + 2 * ps, "the read-only middle page");
	ATF_REQUIRE(mprotect(p + ps, ps, PROT_READ | PROT_WRITE) == 0);
	mc_require_vma(p + ps, p, p + 3 * ps, "the three file pages after "
	    "mprotect made the middle one read-write");
	mc_maps_get(p, &e);
	ATF_REQUIRE_EQ_MSG(e.offset, (unsigned long long)ps, "the merged "
	    "mapping's offset is %#llx, expected %#zx (file page 1): \"%s\"",
	    e.offset, ps, e.line);
	mc_require_patterns(p, 3, 1, "file pages 1-3 after the merge");
	ATF_REQUIRE(munmap(base, 5 * ps) == 0);
	ATF_REQUIRE(close(fd) == 0);
}

MC_TC(untouched_neighbour_merges_with_written, "VMA-12",
    "an anonymous mapping never touched and a written one just after it "
    "with another protection are two mappings; mprotect giving the written "
    "one the same protection merges them into one, and the written data "
    "stays while the untouched page reads zero")
{
	size_t ps = mc_pagesize();
	unsigned char *p = map_pagewise(2, PROT_READ | PROT_WRITE);

	/* page 1 written, then read-only; page 0 never touched */
	mc_fill_patterns(p + ps, 1, 7);
	ATF_REQUIRE(mprotect(p + ps, ps, PROT_READ) == 0);
	mc_require_vma(p, p, p + ps, "the untouched read-write page");
	mc_require_vma(p + ps, p + ps, p + 2 * ps, "the written read-only "
	    "page");
	ATF_REQUIRE(mprotect(p + ps, ps, PROT_READ | PROT_WRITE) == 0);
	mc_require_vma(p, p, p + 2 * ps, "both pages after mprotect made them "
	    "alike");
	mc_require_patterns(p + ps, 1, 7, "the written page after the merge");
	ATF_REQUIRE_EQ_MSG(mc_count_not(p, ps, 0), (size_t)0, "the untouched "
	    "page has %zu non-zero bytes after the merge, expected zeros",
	    mc_count_not(p, ps, 0));
	/* the merged mapping is one private anonymous memory: writable */
	p[0] = 0x11;
	ATF_REQUIRE_EQ(p[0], 0x11);
	ATF_REQUIRE(munmap(p - ps, 4 * ps) == 0);
}

MC_TC(mremap_untouched_to_just_after_itself, "VMA-13",
    "mremap(MREMAP_MAYMOVE|MREMAP_FIXED) of an anonymous mapping never "
    "touched to the address just after its own end leaves exactly one "
    "mapping, at the new address and of the same size, reading zeros; the "
    "old range is unmapped")
{
	size_t ps = mc_pagesize(), n = 2;
	unsigned char *base = mc_map_anon((2 * n + 2) * ps, PROT_NONE,
	    MAP_PRIVATE);
	unsigned char *p = base + ps, *dst = p + n * ps;
	uintptr_t s, e;
	void *q;

	/* n fresh read-write pages; the n pages after them free */
	q = mmap(p, n * ps, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	ATF_REQUIRE_MSG(q == p, "mmap(MAP_FIXED): %s",
	    q == MAP_FAILED ? strerror(errno) : "another address");
	ATF_REQUIRE(munmap(dst, n * ps) == 0);
	q = mremap(p, n * ps, n * ps, MREMAP_MAYMOVE | MREMAP_FIXED, dst);
	ATF_REQUIRE_MSG(q == dst, "mremap(%p, %zu pages, MREMAP_FIXED to %p "
	    "just after it): %s", (void *)p, n, (void *)dst,
	    q == MAP_FAILED ? strerror(errno) : "another address");
	mc_require_vma(dst, dst, dst + n * ps, "the moved mapping");
	ATF_REQUIRE_MSG(!mc_maps_range(p, &s, &e), "the old range is still "
	    "mapped after the move: [%#jx, %#jx)", (uintmax_t)s, (uintmax_t)e);
	ATF_REQUIRE_EQ_MSG(mc_count_not(dst, n * ps, 0), (size_t)0, "the "
	    "moved untouched mapping has %zu non-zero bytes, expected zeros",
	    mc_count_not(dst, n * ps, 0));
	dst[0] = 0x22;
	ATF_REQUIRE_EQ(dst[0], 0x22);
	ATF_REQUIRE(munmap(base, (2 * n + 2) * ps) == 0);
}

/* The memory policy word of the /proc/self/numa_maps entry at addr. */
static bool
numa_policy(const void *addr, char *buf, size_t len)
{
	char line[512];
	FILE *f = fopen("/proc/self/numa_maps", "re");
	bool found = false;

	if (f == NULL)
		return false;
	while (!found && fgets(line, sizeof(line), f) != NULL) {
		unsigned long long a;
		char pol[64];

		if (sscanf(line, "%llx %63s", &a, pol) == 2 &&
		    a == (uintptr_t)addr) {
			snprintf(buf, len, "%s", pol);
			found = true;
		}
	}
	fclose(f);
	return found;
}

MC_TC(mbind_middle_splits_and_remerges, "VMA-14",
    "mbind of the middle page of a three-page mapping to another memory "
    "policy (MPOL_PREFERRED with no node: local allocation) splits the "
    "mapping into three, the middle one showing its policy in "
    "/proc/self/numa_maps; mbind(MPOL_DEFAULT) merges them back into one")
{
	size_t ps = mc_pagesize();
	unsigned char *p = mc_map_guarded(3, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1);
	char pol[64];

	if (access("/proc/self/numa_maps", R_OK) != 0)
		atf_tc_skip("/proc/self/numa_maps is missing (%s): a kernel "
		    "without NUMA", strerror(errno));
	mc_fill_patterns(p, 3, 0);
	/* MPOL_PREFERRED = 1, an empty node mask: mbind(2) */
	if (syscall(SYS_mbind, p + ps, ps, 1, NULL, 0UL, 0U) != 0) {
		if (errno == ENOSYS || errno == EPERM)
			mc_skip_unsupported("mbind", errno);
		ATF_REQUIRE_MSG(false, "mbind(page 1, MPOL_PREFERRED, no "
		    "node): %s", strerror(errno));
	}
	mc_require_vma(p, p, p + ps, "page 0 after mbind of page 1");
	mc_require_vma(p + ps, p + ps, p + 2 * ps, "page 1 after its mbind");
	mc_require_vma(p + 2 * ps, p + 2 * ps, p + 3 * ps, "page 2 after mbind "
	    "of page 1");
	ATF_REQUIRE_MSG(numa_policy(p + ps, pol, sizeof(pol)), "no "
	    "/proc/self/numa_maps entry starts at page 1 (%p)",
	    (void *)(p + ps));
	ATF_REQUIRE_MSG(strcmp(pol, "local") == 0 ||
	    strncmp(pol, "prefer", 6) == 0, "numa_maps shows policy \"%s\" "
	    "for page 1, expected \"local\" (MPOL_PREFERRED with no node)",
	    pol);
	ATF_REQUIRE_MSG(numa_policy(p, pol, sizeof(pol)) &&
	    strcmp(pol, "default") == 0, "numa_maps shows policy \"%s\" for "
	    "page 0, expected \"default\"", pol);
	/* MPOL_DEFAULT = 0 */
	ATF_REQUIRE_MSG(syscall(SYS_mbind, p + ps, ps, 0, NULL, 0UL, 0U) == 0,
	    "mbind(page 1, MPOL_DEFAULT): %s", strerror(errno));
	mc_require_vma(p + ps, p, p + 3 * ps, "the three pages after "
	    "mbind(MPOL_DEFAULT)");
	mc_require_patterns(p, 3, 0, "the pages after split and merge");
	mc_unmap_guarded(p, 3);
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, adjacent_anon_mappings_merge);
	ATF_TP_ADD_TC(tp, different_prot_does_not_merge);
	ATF_TP_ADD_TC(tp, mprotect_middle_splits_and_remerges);
	ATF_TP_ADD_TC(tp, madvise_middle_splits_and_remerges);
	ATF_TP_ADD_TC(tp, mlock_middle_splits_and_remerges);
	ATF_TP_ADD_TC(tp, file_pages_at_consecutive_offsets_merge);
	ATF_TP_ADD_TC(tp, file_pages_at_other_offsets_do_not_merge);
	ATF_TP_ADD_TC(tp, adjacent_shared_anon_mappings_do_not_merge);
	ATF_TP_ADD_TC(tp, munmap_middle_leaves_two_mappings);
	ATF_TP_ADD_TC(tp, mprotect_head_moves_boundary_to_prev);
	ATF_TP_ADD_TC(tp, mprotect_middle_file_mapping_merges_three);
	ATF_TP_ADD_TC(tp, untouched_neighbour_merges_with_written);
	ATF_TP_ADD_TC(tp, mremap_untouched_to_just_after_itself);
	ATF_TP_ADD_TC(tp, mbind_middle_splits_and_remerges);
	return atf_no_error();
}
