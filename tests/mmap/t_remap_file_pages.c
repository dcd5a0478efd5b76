/*
 * t_remap_file_pages: remap_file_pages(2), the deprecated "nonlinear
 * mapping" call that Linux has emulated since 4.0 (the pages are remapped
 * with mmap(MAP_FIXED) of the same file): which file page each page of a
 * MAP_SHARED file mapping shows afterwards, and the errors.
 *
 * A kernel or sandbox without the system call (ENOSYS) skips the cases;
 * so does a policy that refuses it (EPERM).
 */
#include <sys/mman.h>

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mc.h"
#include "mc_err.h"
#include "mc_proc.h"
#include "mc_vm.h"

/* ---- helpers ------------------------------------------------------------ */

/*
 * remap_file_pages(addr, size, 0, pgoff, 0) on a shared file mapping, where
 * it must succeed: ENOSYS or EPERM skips, any other error fails the case.
 */
static void
remap_or_skip(void *addr, size_t size, size_t pgoff)
{
	if (remap_file_pages(addr, size, 0, pgoff, 0) == 0)
		return;
	if (errno == ENOSYS || errno == EPERM)
		mc_skip_unsupported("remap_file_pages", errno);
	ATF_REQUIRE_MSG(false, "remap_file_pages(%p, %zu, 0, pgoff %zu, 0) on "
	    "a MAP_SHARED file mapping: expected success, got errno %d (%s: "
	    "%s)", addr, size, pgoff, errno, mc_errname(errno),
	    strerror(errno));
}

/* Require page i of the mapping p to read the bytes of file page want[i]. */
static void
require_file_pages(const unsigned char *p, const size_t *want, size_t n,
    const char *what)
{
	size_t ps = mc_pagesize();

	mc_require_readable(p, n * ps, what);
	for (size_t i = 0; i < n; i++) {
		size_t bad = mc_count_not(p + i * ps, ps, mc_pattern(want[i]));
		ATF_REQUIRE_MSG(bad == 0, "%s: page %zu should show file page "
		    "%zu (bytes %#x), %zu bytes differ (first byte %#x)", what,
		    i, want[i], mc_pattern(want[i]), bad, p[i * ps]);
	}
}

/* ---- cases -------------------------------------------------------------- */

MC_TC(shared_mapping_page_shows_pgoff, "REMAPFP-1",
    "remap_file_pages on a MAP_SHARED file mapping makes the pages at addr "
    "show the file pages from pgoff on; the other pages keep theirs, and a "
    "write through a remapped page reaches file page pgoff")
{
	size_t ps = mc_pagesize(), n = 4;
	int fd = mc_make_file("rfp.dat", 6);
	unsigned char *p = mc_map_fd(fd, n * ps, PROT_READ | PROT_WRITE,
	    MAP_SHARED, 0);
	unsigned char *buf = malloc(ps);
	static const size_t before[] = { 0, 1, 2, 3 };
	static const size_t after[] = { 0, 4, 5, 3 };

	ATF_REQUIRE(buf != NULL);
	require_file_pages(p, before, n, "before remap_file_pages");
	remap_or_skip(p + ps, 2 * ps, 4);
	require_file_pages(p, after, n, "after remap_file_pages(page 1, 2 "
	    "pages, pgoff 4)");
	memset(p + ps, 'W', ps);
	mc_pread_all(fd, buf, ps, (off_t)(4 * ps));
	ATF_REQUIRE_MSG(mc_all_bytes(buf, ps, 'W'), "a write through the "
	    "remapped page 1 should reach file page 4: read() finds %zu bytes "
	    "that are not 'W'", mc_count_not(buf, ps, 'W'));
	mc_pread_all(fd, buf, ps, (off_t)ps);
	ATF_REQUIRE_MSG(mc_all_bytes(buf, ps, mc_pattern(1)), "file page 1 "
	    "(no longer mapped at page 1) changed: %zu bytes are not %#x",
	    mc_count_not(buf, ps, mc_pattern(1)), mc_pattern(1));
	free(buf);
	ATF_REQUIRE(munmap(p, n * ps) == 0);
	close(fd);
}

MC_TC(same_file_page_at_two_places, "REMAPFP-2",
    "remap_file_pages can map the same file page at several places of one "
    "mapping: a write through one place is read through the other")
{
	size_t ps = mc_pagesize(), n = 3;
	int fd = mc_make_file("rfp.dat", n);
	unsigned char *p = mc_map_fd(fd, n * ps, PROT_READ | PROT_WRITE,
	    MAP_SHARED, 0);
	static const size_t after[] = { 0, 1, 0 };

	remap_or_skip(p + 2 * ps, ps, 0);
	require_file_pages(p, after, n, "after remap_file_pages(page 2, "
	    "pgoff 0)");
	memset(p, 'T', ps);
	ATF_REQUIRE_MSG(mc_all_bytes(p + 2 * ps, ps, 'T'), "after writing 'T' "
	    "through page 0, page 2 (the same file page) has %zu bytes that "
	    "are not 'T'", mc_count_not(p + 2 * ps, ps, 'T'));
	memset(p + 2 * ps + ps / 2, 'U', ps / 2);
	ATF_REQUIRE_MSG(mc_all_bytes(p + ps / 2, ps / 2, 'U'), "after writing "
	    "'U' through page 2, page 0 has %zu bytes that are not 'U'",
	    mc_count_not(p + ps / 2, ps / 2, 'U'));
	ATF_REQUIRE(munmap(p, n * ps) == 0);
	close(fd);
}

MC_TC(bad_mapping_or_arguments_einval, "REMAPFP-3",
    "remap_file_pages fails with EINVAL on a MAP_PRIVATE mapping, on an "
    "address that holds no mapping, with a non-zero prot and for a range "
    "that runs past the end of the mapping; the mappings keep their pages")
{
	size_t ps = mc_pagesize(), n = 3;
	int fd = mc_make_file("rfp.dat", n);
	/* n pages of the file, then one unmapped page */
	unsigned char *sh = mc_map_fd(fd, (n + 1) * ps, PROT_READ | PROT_WRITE,
	    MAP_SHARED, 0);
	unsigned char *pr = mc_map_fd(fd, n * ps, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE, 0);
	unsigned char *hole = mc_free_hole(1);
	static const size_t same[] = { 0, 1, 2 };
	uintptr_t s, e;

	ATF_REQUIRE_MSG(munmap(sh + n * ps, ps) == 0, "munmap(the page after "
	    "the shared mapping): %s", strerror(errno));
	remap_or_skip(sh + ps, ps, 1); /* probe: a no-op remap */
	MC_REQUIRE_ERR(remap_file_pages(pr + ps, ps, 0, 2, 0), EINVAL,
	    "remap_file_pages on a MAP_PRIVATE file mapping");
	require_file_pages(pr, same, n, "the private mapping after the "
	    "refused call");
	MC_REQUIRE_ERR(remap_file_pages(hole, ps, 0, 0, 0), EINVAL,
	    "remap_file_pages at an address that holds no mapping");
	MC_REQUIRE_ERR(remap_file_pages(sh + ps, ps, PROT_READ, 2, 0), EINVAL,
	    "remap_file_pages with prot PROT_READ");
	ATF_REQUIRE_MSG(!mc_maps_range(sh + n * ps, &s, &e), "the page after "
	    "the shared mapping is mapped: [%#jx, %#jx)", (uintmax_t)s,
	    (uintmax_t)e);
	MC_REQUIRE_ERR(remap_file_pages(sh + (n - 1) * ps, 2 * ps, 0, 0, 0),
	    EINVAL, "remap_file_pages of the last page and the unmapped page "
	    "after it");
	require_file_pages(sh, same, n, "the shared mapping after the refused "
	    "calls");
	ATF_REQUIRE(munmap(sh, n * ps) == 0);
	ATF_REQUIRE(munmap(pr, n * ps) == 0);
	close(fd);
}

MC_TC(range_across_earlier_pieces, "REMAPFP-4",
    "a second remap_file_pages over a range that spans the pieces an earlier "
    "call cut the mapping into (same file, same flags) succeeds: the whole "
    "range then shows the file pages from the new pgoff on")
{
	size_t ps = mc_pagesize(), n = 4;
	int fd = mc_make_file("rfp.dat", 8);
	unsigned char *p = mc_map_fd(fd, n * ps, PROT_READ | PROT_WRITE,
	    MAP_SHARED, 0);
	static const size_t first[] = { 0, 6, 2, 3 };
	static const size_t second[] = { 0, 4, 5, 6 };
	uintptr_t s, e;

	/* page 1 shows file page 6: the mapping is now three pieces */
	remap_or_skip(p + ps, ps, 6);
	require_file_pages(p, first, n, "after remap_file_pages(page 1, "
	    "pgoff 6)");
	ATF_REQUIRE_MSG(mc_maps_range(p + ps, &s, &e) &&
	    s == (uintptr_t)(p + ps) && e == (uintptr_t)(p + 2 * ps),
	    "after remapping page 1 alone it should be a mapping of its own "
	    "[%p, %p); /proc/self/maps has [%#jx, %#jx)", (void *)(p + ps),
	    (void *)(p + 2 * ps), (uintmax_t)s, (uintmax_t)e);
	/* pages 1..3 span all three pieces but the first */
	remap_or_skip(p + ps, 3 * ps, 4);
	require_file_pages(p, second, n, "after remap_file_pages(pages 1-3, "
	    "pgoff 4) over the pieces of the first call");
	ATF_REQUIRE(munmap(p, n * ps) == 0);
	close(fd);
}

MC_TC(range_into_other_mapping_einval, "REMAPFP-5",
    "remap_file_pages of a range that runs from a shared file mapping into "
    "an adjacent mapping of another file, or of the same file with other "
    "protections, fails with EINVAL; both mappings keep their pages")
{
	size_t ps = mc_pagesize(), n = 2;
	int fd = mc_make_file("rfp.dat", 4);
	int fd2 = mc_make_file("rfp2.dat", 4);
	unsigned char *p = mc_map_fd(fd, 2 * n * ps, PROT_READ | PROT_WRITE,
	    MAP_SHARED, 0);
	static const size_t same[] = { 0, 1 };
	static const size_t upper[] = { 2, 3 };
	void *q;

	remap_or_skip(p, ps, 0); /* probe: a no-op remap */
	/* the upper half: another file at the same place */
	q = mmap(p + n * ps, n * ps, PROT_READ | PROT_WRITE,
	    MAP_SHARED | MAP_FIXED, fd2, (off_t)(2 * ps));
	ATF_REQUIRE_MSG(q == p + n * ps, "mmap(MAP_FIXED) of rfp2.dat over "
	    "the upper half: %s", q == MAP_FAILED ? strerror(errno) : "moved");
	MC_REQUIRE_ERR(remap_file_pages(p + ps, 2 * ps, 0, 0, 0), EINVAL,
	    "remap_file_pages of a range from a mapping of rfp.dat into the "
	    "adjacent mapping of rfp2.dat");
	require_file_pages(p, same, n, "the rfp.dat mapping after the refused "
	    "call");
	require_file_pages(p + n * ps, upper, n, "the rfp2.dat mapping after "
	    "the refused call");
	/* the upper half: the same file again, read-only */
	q = mmap(p + n * ps, n * ps, PROT_READ, MAP_SHARED | MAP_FIXED, fd,
	    (off_t)(2 * ps));
	ATF_REQUIRE_MSG(q == p + n * ps, "mmap(MAP_FIXED, PROT_READ) of "
	    "rfp.dat over the upper half: %s",
	    q == MAP_FAILED ? strerror(errno) : "moved");
	MC_REQUIRE_ERR(remap_file_pages(p + ps, 2 * ps, 0, 0, 0), EINVAL,
	    "remap_file_pages of a range from a read/write mapping into an "
	    "adjacent read-only mapping of the same file");
	require_file_pages(p, same, n, "the read/write mapping after the "
	    "refused call");
	require_file_pages(p + n * ps, upper, n, "the read-only mapping after "
	    "the refused call");
	ATF_REQUIRE(munmap(p, 2 * n * ps) == 0);
	close(fd);
	close(fd2);
}

MC_TC(locked_mapping_stays_locked, "REMAPFP-6",
    "remap_file_pages in an mlock'ed shared file mapping keeps the range "
    "locked: the remapped pages are resident and smaps Locked still covers "
    "the whole mapping")
{
	size_t ps = mc_pagesize(), n = 4;
	int fd = mc_make_file("rfp.dat", 6);
	unsigned char *p = mc_map_fd(fd, n * ps, PROT_READ | PROT_WRITE,
	    MAP_SHARED, 0);
	static const size_t after[] = { 0, 4, 5, 3 };
	long kb;

	remap_or_skip(p, ps, 0); /* probe: a no-op remap */
	mc_mlock_or_skip(p, n * ps);
	kb = mc_locked_kb(p);
	ATF_REQUIRE_MSG(kb == mc_kb_of_pages(n), "after mlock of %zu pages "
	    "smaps Locked should be %ld kB, is %ld kB", n, mc_kb_of_pages(n),
	    kb);
	remap_or_skip(p + ps, 2 * ps, 4);
	ATF_REQUIRE_MSG(mc_mincore_count(p, n * ps) == n, "after "
	    "remap_file_pages in the locked mapping %zu of %zu pages are "
	    "resident (mincore), expected all", mc_mincore_count(p, n * ps), n);
	kb = 0;
	for (size_t i = 0; i < n; i++) {
		uintptr_t s, e;

		/* the remap cut the mapping into pieces: sum their Locked */
		ATF_REQUIRE(mc_maps_range(p + i * ps, &s, &e));
		if (s == (uintptr_t)(p + i * ps))
			kb += mc_locked_kb(p + i * ps);
	}
	ATF_REQUIRE_MSG(kb == mc_kb_of_pages(n), "after remap_file_pages of "
	    "pages 1-2 the pieces of the locked mapping have Locked %ld kB in "
	    "all, expected %ld kB (all %zu pages)", kb, mc_kb_of_pages(n), n);
	require_file_pages(p, after, n, "the locked mapping after "
	    "remap_file_pages(pages 1-2, pgoff 4)");
	ATF_REQUIRE(munmap(p, n * ps) == 0);
	close(fd);
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, shared_mapping_page_shows_pgoff);
	ATF_TP_ADD_TC(tp, same_file_page_at_two_places);
	ATF_TP_ADD_TC(tp, bad_mapping_or_arguments_einval);
	ATF_TP_ADD_TC(tp, range_across_earlier_pieces);
	ATF_TP_ADD_TC(tp, range_into_other_mapping_einval);
	ATF_TP_ADD_TC(tp, locked_mapping_stays_locked);
	return atf_no_error();
}
