/*
 * t_coherence: file mappings and the file's own I/O calls (read(2),
 * write(2), pwrite, ftruncate, fallocate) on one file: Linux keeps one
 * page cache, so what the calls do is seen through existing mappings and
 * what the mappings hold is what the calls read and write; the end of the
 * file moves under mappings (truncate(2), POSIX ftruncate), and system
 * calls whose buffer lies past it fail instead of raising SIGBUS.
 *
 * The partial last page of a file created short, pages wholly past the end
 * of the file, truncation to whole pages and extension afterwards are in
 * t_file.c (FILE-*) and t_shfile.c (SHFILE-5, SHFILE-6); this program takes
 * what those leave out.
 */
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/vfs.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mc.h"
#include "mc_err.h"
#include "mc_proc.h"
#include "mc_worker.h"

#define FNAME "coher.dat"

/* The size of the large mapping of COHER-10, in MiB. */
#define MC_COHER_BIG_MB 64

/* ---- helpers -------------------------------------------------------------- */

/* Irregular bytes (every byte counts, not only a fill value). */
static void
fill_irregular(unsigned char *b, size_t n, uint32_t seed)
{
	uint32_t x = seed * 2654435761u + 0x9e3779b9u;

	for (size_t i = 0; i < n; i++) {
		x = x * 1664525u + 1013904223u;
		b[i] = (unsigned char)(x >> 24);
	}
}

static unsigned char *
xmalloc(size_t n)
{
	unsigned char *b = malloc(n);

	ATF_REQUIRE_MSG(b != NULL, "malloc(%zu) failed", n);
	return b;
}

/*
 * Page 'page' at p (of a file made by mc_make_file) holds mc_pattern(page)
 * except bytes [off, off+len) of the page, which are val. The page is
 * probed with mc_touch first.
 */
static void
require_page_changed(const unsigned char *p, size_t page, size_t off,
    size_t len, unsigned char val, const char *what)
{
	size_t ps = mc_pagesize();
	const volatile unsigned char *q = p + page * ps;

	mc_require_readable(p + page * ps, ps, what);
	for (size_t i = 0; i < ps; i++) {
		unsigned char want = i >= off && i < off + len ? val :
		    mc_pattern(page);

		ATF_REQUIRE_MSG(q[i] == want, "%s: page %zu byte %zu reads "
		    "%#x, expected %#x (%s)", what, page, i, q[i], want,
		    i >= off && i < off + len ? "the bytes written" :
		    "the file's original pattern");
	}
}

static void
require_page_pristine(const unsigned char *p, size_t page, const char *what)
{
	require_page_changed(p, page, 0, 0, 0, what);
}

/* [got, got+n) equals want; what names it, first differing byte reported. */
static void
require_same(const unsigned char *got, const unsigned char *want, size_t n,
    const char *what)
{
	for (size_t i = 0; i < n; i++)
		ATF_REQUIRE_MSG(got[i] == want[i], "%s: byte %zu is %#x, "
		    "expected %#x", what, i, got[i], want[i]);
}

/* Every byte of [p, p+n) is c (through a volatile read). */
static void
require_bytes(const unsigned char *p, size_t n, unsigned char c,
    const char *what)
{
	const volatile unsigned char *q = p;

	for (size_t i = 0; i < n; i++)
		ATF_REQUIRE_MSG(q[i] == c, "%s: byte %zu (at %p) is %#x, "
		    "expected %#x", what, i, (const void *)(p + i), q[i], c);
}

/* pwrite of n bytes of value c at off that must write them all. */
static void
pwrite_fill(int fd, unsigned char c, size_t n, off_t off)
{
	unsigned char *b = xmalloc(n);
	ssize_t r;

	memset(b, c, n);
	r = pwrite(fd, b, n, off);
	ATF_REQUIRE_MSG(r == (ssize_t)n, "pwrite(%zu bytes of %#x at %jd): "
	    "expected %zu, got %zd (%s)", n, c, (intmax_t)off, n, r,
	    r < 0 ? strerror(errno) : "short");
	free(b);
}

/* write() of n bytes of value c at the current offset of fd. */
static void
write_fill(int fd, unsigned char c, size_t n)
{
	unsigned char *b = xmalloc(n);
	ssize_t r;

	memset(b, c, n);
	r = write(fd, b, n);
	ATF_REQUIRE_MSG(r == (ssize_t)n, "write(%zu bytes of %#x): expected "
	    "%zu, got %zd (%s)", n, c, n, r, r < 0 ? strerror(errno) :
	    "short");
	free(b);
}

static void
xlseek(int fd, off_t off)
{
	ATF_REQUIRE_MSG(lseek(fd, off, SEEK_SET) == off, "lseek(%jd): %s",
	    (intmax_t)off, strerror(errno));
}

static void
xftruncate(int fd, off_t len)
{
	ATF_REQUIRE_MSG(ftruncate(fd, len) == 0, "ftruncate(%jd): %s",
	    (intmax_t)len, strerror(errno));
}

/* ---- COHER-1: write() and pwrite() seen through a shared mapping --------- */

MC_TC(write_pwrite_seen_through_shared_mapping, "COHER-1",
    "write() and pwrite() to a file are seen at once, without msync, "
    "through an existing MAP_SHARED mapping whose pages are already "
    "mapped in: the same (page-cache) pages change in place")
{
	size_t ps = mc_pagesize(), woff = ps + ps / 3, wlen = 40;
	size_t poff = 3 * ps - 8, plen = 16;
	bool pm = mc_pm_flags_readable(), pfns = mc_pfns_visible(NULL);
	int fd = mc_make_file(FNAME, 4);
	unsigned char *p = mc_map_fd(fd, 4 * ps, PROT_READ, MAP_SHARED, 0);
	uint64_t pfn[4] = { 0 };

	mc_require_patterns(p, 4, 0, "shared mapping before write()");
	for (size_t i = 0; pfns && i < 4; i++)
		pfn[i] = mc_pfn(p + i * ps);

	xlseek(fd, (off_t)woff);
	write_fill(fd, 'w', wlen);                 /* inside page 1 */
	pwrite_fill(fd, 'p', plen, (off_t)poff);   /* pages 2 and 3 */

	/* The mapping was not torn down: its pages are still mapped in. */
	for (size_t i = 0; pm && i < 4; i++) {
		uint64_t e = mc_pagemap(p + i * ps);

		ATF_REQUIRE_MSG(e & MC_PM_PRESENT, "page %zu of the shared "
		    "mapping: expected still present in pagemap right after "
		    "write()/pwrite() (not re-faulted), entry %#jx", i,
		    (uintmax_t)e);
	}
	require_page_pristine(p, 0, "shared mapping after write()/pwrite()");
	require_page_changed(p, 1, ps / 3, wlen, 'w', "shared mapping after "
	    "write() of 'w' (no msync)");
	require_page_changed(p, 2, ps - 8, 8, 'p', "shared mapping after "
	    "pwrite() of 'p' (no msync)");
	require_page_changed(p, 3, 0, 8, 'p', "shared mapping after pwrite() "
	    "of 'p' (no msync)");
	for (size_t i = 0; pfns && i < 4; i++) {
		uint64_t now = mc_pfn(p + i * ps);

		ATF_REQUIRE_MSG(now == pfn[i], "page %zu of the shared "
		    "mapping: PFN %#jx before write()/pwrite(), %#jx after: "
		    "expected the same page-cache page, changed in place", i,
		    (uintmax_t)pfn[i], (uintmax_t)now);
	}
	ATF_REQUIRE(munmap(p, 4 * ps) == 0);
	close(fd);
	mc_require_pfns();
}

/* ---- COHER-2, COHER-3: pwrite() and a private mapping --------------------- */

MC_TC(pwrite_seen_through_unwritten_private_pages, "COHER-2",
    "pwrite() to a file is seen through an existing MAP_PRIVATE, "
    "PROT_READ|PROT_WRITE mapping that the process has not written: in a "
    "page it read (mapped from the page cache) and in a page it never "
    "touched")
{
	size_t ps = mc_pagesize(), off = ps / 2, len = 32;
	bool pfns = mc_pfns_visible(NULL);
	int fd = mc_make_file(FNAME, 4);
	unsigned char *p = mc_map_fd(fd, 4 * ps, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE, 0);
	unsigned char *s = mc_map_fd(fd, 4 * ps, PROT_READ, MAP_SHARED, 0);

	/*
	 * Pages 0 and 3 are read, pages 1 and 2 never touched. (Not
	 * asserted here: the pages next to one the process wrote. gVisor
	 * copies more than the written page, and not always the same
	 * pages, so such a check would not give one stable answer there.)
	 */
	mc_require_patterns(p, 1, 0, "private mapping, page 0 read");
	mc_require_patterns(p + 3 * ps, 1, 3, "private mapping, page 3 read");
	if (pfns) {
		mc_require_patterns(s, 4, 0, "shared mapping");
		for (size_t i = 0; i < 4; i += 3)
			ATF_REQUIRE_MSG(mc_pfn(p + i * ps) == mc_pfn(s + i * ps),
			    "page %zu read through the private mapping: PFN "
			    "%#jx, expected the page-cache page %#jx (the "
			    "shared mapping's)", i, (uintmax_t)mc_pfn(p + i *
			    ps), (uintmax_t)mc_pfn(s + i * ps));
	}
	for (size_t i = 0; i < 4; i++)
		pwrite_fill(fd, 'n', len, (off_t)(i * ps + off));

	for (size_t i = 0; i < 4; i++)
		require_page_changed(p, i, off, len, 'n', i == 0 || i == 3 ?
		    "private mapping, page only read before the pwrite()" :
		    "private mapping, page never touched before the pwrite()");
	ATF_REQUIRE(munmap(p, 4 * ps) == 0);
	ATF_REQUIRE(munmap(s, 4 * ps) == 0);
	close(fd);
	mc_require_pfns();
}

MC_TC(pwrite_not_seen_in_written_private_page, "COHER-3",
    "pwrite() to a file is not seen in a page of a MAP_PRIVATE mapping "
    "that the process wrote: its private copy keeps the old file bytes "
    "around its own write, while read() and a shared mapping see the "
    "pwrite()")
{
	size_t ps = mc_pagesize(), off = ps / 4, len = 16;
	bool pfns = mc_pfns_visible(NULL);
	int fd = mc_make_file(FNAME, 4);
	unsigned char *p = mc_map_fd(fd, 4 * ps, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE, 0);
	unsigned char *s = mc_map_fd(fd, 4 * ps, PROT_READ, MAP_SHARED, 0);
	unsigned char *buf = xmalloc(ps);

	mc_require_patterns(p, 4, 0, "private mapping before its write");
	mc_require_patterns(s, 4, 0, "shared mapping");
	memset(p + ps + off, 'c', len); /* private copy of page 1 */

	pwrite_fill(fd, 'n', ps, (off_t)ps); /* page 1, whole */

	require_page_changed(p, 1, off, len, 'c', "private mapping, page the "
	    "process wrote, after pwrite() of 'n' over it (expected its own "
	    "copy: no 'n')");
	mc_pread_all(fd, buf, ps, (off_t)ps);
	ATF_REQUIRE_MSG(mc_all_bytes(buf, ps, 'n'), "read() of page 1 after "
	    "pwrite(): %zu bytes not 'n'", mc_count_not(buf, ps, 'n'));
	require_bytes(s + ps, ps, 'n', "shared mapping, page 1 after "
	    "pwrite()");
	require_page_pristine(p, 0, "private mapping");
	if (pfns)
		ATF_REQUIRE_MSG(mc_pfn(p + ps) != mc_pfn(s + ps), "page 1: the "
		    "private mapping's written page has the page-cache PFN "
		    "%#jx, expected a copy of its own", (uintmax_t)mc_pfn(s +
		    ps));
	free(buf);
	ATF_REQUIRE(munmap(p, 4 * ps) == 0);
	ATF_REQUIRE(munmap(s, 4 * ps) == 0);
	close(fd);
	mc_require_pfns();
}

/* ---- COHER-4, COHER-5: the buffer of read()/write() maps the same file ---- */

MC_TC(read_into_shared_mapping_of_same_file, "COHER-4",
    "read() of page 0 of a file into a MAP_SHARED mapping of page 1 of the "
    "same file (never touched before) returns the whole page; file page 1 "
    "then holds page 0's bytes, through pread() and the mapping, and the "
    "other pages are unchanged")
{
	size_t ps = mc_pagesize();
	int fd = mc_make_file(FNAME, 4);
	unsigned char *src = xmalloc(ps), *buf = xmalloc(ps);
	unsigned char *p;
	ssize_t r;

	fill_irregular(src, ps, 4);
	ATF_REQUIRE_MSG(pwrite(fd, src, ps, 0) == (ssize_t)ps, "pwrite(page "
	    "0): %s", strerror(errno));
	p = mc_map_fd(fd, 4 * ps, PROT_READ | PROT_WRITE, MAP_SHARED, 0);

	xlseek(fd, 0);
	errno = 0;
	r = read(fd, p + ps, ps);
	ATF_REQUIRE_MSG(r == (ssize_t)ps, "read(fd, mapping of file page 1 at "
	    "%p, %zu) at file offset 0: expected %zu, got %zd (%s)",
	    (void *)(p + ps), ps, ps, r, mc_errname(errno));
	ATF_REQUIRE_EQ_MSG(lseek(fd, 0, SEEK_CUR), (off_t)ps, "file offset "
	    "after read(): expected %zu, got %jd", ps,
	    (intmax_t)lseek(fd, 0, SEEK_CUR));

	mc_pread_all(fd, buf, ps, (off_t)ps);
	require_same(buf, src, ps, "pread() of file page 1 after read() of "
	    "page 0 into its mapping");
	mc_require_readable(p, 2 * ps, "shared mapping after read()");
	require_same(p + ps, src, ps, "mapping of file page 1 after read()");
	require_same(p, src, ps, "mapping of file page 0 (the source)");
	mc_pread_all(fd, buf, ps, 0);
	require_same(buf, src, ps, "pread() of file page 0 (the source)");
	require_page_pristine(p, 2, "shared mapping after read()");
	require_page_pristine(p, 3, "shared mapping after read()");
	ATF_REQUIRE_EQ_MSG(mc_fd_size(fd), (off_t)(4 * ps), "file size after "
	    "read(): expected %zu, got %jd", 4 * ps,
	    (intmax_t)mc_fd_size(fd));
	free(src);
	free(buf);
	ATF_REQUIRE(munmap(p, 4 * ps) == 0);
	close(fd);
}

MC_TC(write_from_mapping_of_same_file, "COHER-5",
    "write() whose buffer is a mapping of the same file writes the bytes "
    "the mapping holds: a never-touched MAP_SHARED page of the file, the "
    "very page being written (no deadlock, unchanged), and a MAP_PRIVATE "
    "page's own copy")
{
	size_t ps = mc_pagesize(), qoff = 100, qlen = 16;
	int fd = mc_make_file(FNAME, 4);
	unsigned char *src = xmalloc(ps), *buf = xmalloc(ps);
	unsigned char *s, *q;
	ssize_t r;

	fill_irregular(src, ps, 5);
	ATF_REQUIRE_MSG(pwrite(fd, src, ps, 0) == (ssize_t)ps, "pwrite(page "
	    "0): %s", strerror(errno));
	s = mc_map_fd(fd, 4 * ps, PROT_READ, MAP_SHARED, 0);

	/* Shared page 0, not touched before: written to file page 2. */
	xlseek(fd, (off_t)(2 * ps));
	errno = 0;
	r = write(fd, s, ps);
	ATF_REQUIRE_MSG(r == (ssize_t)ps, "write(fd at page 2, shared mapping "
	    "of page 0, %zu): expected %zu, got %zd (%s)", ps, ps, r,
	    mc_errname(errno));
	mc_pread_all(fd, buf, ps, (off_t)(2 * ps));
	require_same(buf, src, ps, "pread() of file page 2 after write() from "
	    "the mapping of page 0");
	mc_require_readable(s, 4 * ps, "shared mapping after write()");
	require_same(s + 2 * ps, src, ps, "shared mapping of page 2 after "
	    "write() from the mapping of page 0");

	/* File page 3 from its own mapping (not touched before). */
	xlseek(fd, (off_t)(3 * ps));
	errno = 0;
	r = write(fd, s + 3 * ps, ps);
	ATF_REQUIRE_MSG(r == (ssize_t)ps, "write(fd at page 3, shared mapping "
	    "of page 3 itself, %zu): expected %zu, got %zd (%s)", ps, ps, r,
	    mc_errname(errno));
	require_page_pristine(s, 3, "file page 3 after write() from its own "
	    "mapping");

	/* A private copy of page 1 (modified): its bytes go to page 3. */
	q = mc_map_fd(fd, 4 * ps, PROT_READ | PROT_WRITE, MAP_PRIVATE, 0);
	memset(q + ps + qoff, 'q', qlen);
	xlseek(fd, (off_t)(3 * ps));
	errno = 0;
	r = write(fd, q + ps, ps);
	ATF_REQUIRE_MSG(r == (ssize_t)ps, "write(fd at page 3, private copy "
	    "of page 1, %zu): expected %zu, got %zd (%s)", ps, ps, r,
	    mc_errname(errno));
	mc_pread_all(fd, buf, ps, (off_t)(3 * ps));
	for (size_t i = 0; i < ps; i++) {
		unsigned char want = i >= qoff && i < qoff + qlen ? 'q' :
		    mc_pattern(1);

		ATF_REQUIRE_MSG(buf[i] == want, "file page 3 after write() from "
		    "a private mapping's modified copy of page 1: byte %zu is "
		    "%#x, expected %#x (%s)", i, buf[i], want, want == 'q' ?
		    "the private write" : "page 1's pattern");
	}
	/* The private write itself stays out of file page 1. */
	require_page_pristine(s, 1, "shared mapping of page 1 after write() "
	    "from the private copy");
	free(src);
	free(buf);
	ATF_REQUIRE(munmap(s, 4 * ps) == 0);
	ATF_REQUIRE(munmap(q, 4 * ps) == 0);
	close(fd);
}

/* ---- COHER-6, COHER-7: truncation under mappings ------------------------- */

MC_TC(truncate_mid_page_zeroes_tail_cuts_next, "COHER-6",
    "ftruncate of a mapped file to the middle of a page: in that page, "
    "through a shared and a (read) private mapping, the bytes before the "
    "new end keep the file's data and the old data after it reads as "
    "zeros; the following pages raise SIGBUS")
{
	size_t ps = mc_pagesize(), keep = ps / 2 + 5;
	off_t size = (off_t)(ps + keep);
	int fd = mc_make_file(FNAME, 4);
	unsigned char *s = mc_map_fd(fd, 4 * ps, PROT_READ | PROT_WRITE,
	    MAP_SHARED, 0);
	unsigned char *q = mc_map_fd(fd, 4 * ps, PROT_READ, MAP_PRIVATE, 0);
	unsigned char *buf = xmalloc(2 * ps);
	unsigned char *maps[2] = { s, q };
	const char *names[2] = { "MAP_SHARED", "MAP_PRIVATE (read only)" };
	ssize_t n;

	/* Every page of both mappings in use, page 1's tail full of data. */
	mc_require_patterns(s, 4, 0, "shared mapping before truncation");
	mc_require_patterns(q, 4, 0, "private mapping before truncation");
	xftruncate(fd, size);

	for (int m = 0; m < 2; m++) {
		char what[96];
		unsigned char *p = maps[m];

		snprintf(what, sizeof(what), "%s after ftruncate to %jd bytes",
		    names[m], (intmax_t)size);
		require_page_pristine(p, 0, what);
		mc_require_readable(p + ps, ps, what);
		require_bytes(p + ps, keep, mc_pattern(1), what);
		require_bytes(p + ps + keep, ps - keep, 0, what);
		mc_require_sigbus(p + 2 * ps, MC_READ, what);
		mc_require_sigbus(p + 3 * ps + ps / 2, MC_READ, what);
	}
	n = pread(fd, buf, 2 * ps, 0);
	ATF_REQUIRE_MSG(n == size, "pread(%zu bytes) after truncation to %jd: "
	    "got %zd (%s)", 2 * ps, (intmax_t)size, n, n < 0 ?
	    strerror(errno) : "bytes");
	ATF_REQUIRE_MSG(mc_all_bytes(buf + ps, keep, mc_pattern(1)), "pread(): "
	    "the %zu bytes of page 1 before the new end changed", keep);
	free(buf);
	ATF_REQUIRE(munmap(s, 4 * ps) == 0);
	ATF_REQUIRE(munmap(q, 4 * ps) == 0);
	close(fd);
}

MC_TC(truncate_to_zero_then_extend_reads_zeros, "COHER-7",
    "ftruncate to 0 under a shared and a private mapping, then back to "
    "the old size: at size 0 every page raises SIGBUS; afterwards no page "
    "does and every page of both mappings reads zeros, also a page the "
    "private mapping had copied and written (its copy is discarded, the "
    "page tracks the file again)")
{
	size_t ps = mc_pagesize(), n = 3, off = ps / 4, len = 16;
	int fd = mc_make_file(FNAME, n);
	unsigned char *s = mc_map_fd(fd, n * ps, PROT_READ | PROT_WRITE,
	    MAP_SHARED, 0);
	unsigned char *q = mc_map_fd(fd, n * ps, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE, 0);
	unsigned char *buf = xmalloc(n * ps);
	char what[96];

	mc_require_patterns(s, n, 0, "shared mapping before truncation");
	mc_require_patterns(q, 1, 0, "private mapping, page 0 (read)");
	memset(q + ps + off, 'c', len); /* page 1: private copy */
	/* page 2 of q: never touched */

	xftruncate(fd, 0);
	for (size_t i = 0; i < n; i++) {
		snprintf(what, sizeof(what), "page %zu of the shared mapping, "
		    "file size 0", i);
		mc_require_sigbus(s + i * ps, MC_READ, what);
		snprintf(what, sizeof(what), "page %zu of the private mapping%s, "
		    "file size 0", i, i == 1 ? " (its written copy)" : "");
		mc_require_sigbus(q + i * ps, MC_READ, what);
	}
	xftruncate(fd, (off_t)(n * ps));
	for (size_t i = 0; i < n; i++) {
		snprintf(what, sizeof(what), "page %zu of the shared mapping "
		    "after extension back to %zu pages", i, n);
		mc_require_readable(s + i * ps, ps, what);
		require_bytes(s + i * ps, ps, 0, what);
		snprintf(what, sizeof(what), "page %zu of the private mapping%s "
		    "after extension back to %zu pages", i, i == 1 ?
		    " (written before the truncation)" : "", n);
		mc_require_readable(q + i * ps, ps, what);
		require_bytes(q + i * ps, ps, 0, what);
	}
	mc_pread_all(fd, buf, n * ps, 0);
	ATF_REQUIRE_MSG(mc_all_bytes(buf, n * ps, 0), "read() after truncation "
	    "to 0 and extension: %zu non-zero bytes, expected none",
	    mc_count_not(buf, n * ps, 0));
	/* The private page 1 is the file's page again: it sees a write. */
	memset(s + ps + off, 'x', len);
	require_bytes(q + ps + off, len, 'x', "private mapping, page 1 (copy "
	    "discarded by the truncation) after a write through the shared "
	    "mapping");
	free(buf);
	ATF_REQUIRE(munmap(s, n * ps) == 0);
	ATF_REQUIRE(munmap(q, n * ps) == 0);
	close(fd);
}

/* ---- COHER-8: system calls with a buffer past the end of the file -------- */

static volatile sig_atomic_t sigbus_count;

static void
count_sigbus(int signo)
{
	(void)signo;
	sigbus_count++;
}

MC_TC(syscall_buffer_past_eof_efault_no_sigbus, "COHER-8",
    "write() from, and read() into, a buffer in a shared file mapping "
    "wholly past the end of the file fail with EFAULT and raise no "
    "SIGBUS; a read() whose buffer runs from the last valid page into it "
    "returns the bytes that fit (a short count)")
{
	size_t ps = mc_pagesize(), head = 64;
	int fd = mc_make_file(FNAME, 1);
	int src = mc_make_file("src.dat", 2);
	int out = open("out.dat", O_RDWR | O_CREAT | O_TRUNC, 0600);
	unsigned char *p = mc_map_fd(fd, 3 * ps, PROT_READ | PROT_WRITE,
	    MAP_SHARED, 0);
	struct sigaction sa, old;
	long r;
	int e;

	ATF_REQUIRE_MSG(out >= 0, "open(out.dat): %s", strerror(errno));
	/* The buffer is past the end of the file: touching it is SIGBUS. */
	mc_require_sigbus(p + ps, MC_READ, "page 1 of a 1-page file");
	mc_require_sigbus(p + 2 * ps, MC_WRITE, "page 2 of a 1-page file");
	memset(p, 'k', ps);

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = count_sigbus;
	sigemptyset(&sa.sa_mask);
	sigbus_count = 0;
	ATF_REQUIRE(sigaction(SIGBUS, &sa, &old) == 0);

	errno = 0;
	r = (long)write(out, p + ps, ps);
	e = errno;
	mc_require_err(r, e, EFAULT, "write(out.dat, %p (past EOF), %zu)",
	    (void *)(p + ps), ps);
	errno = 0;
	r = (long)read(src, p + ps, 2 * ps);
	e = errno;
	mc_require_err(r, e, EFAULT, "read(src.dat, %p (past EOF), %zu)",
	    (void *)(p + ps), 2 * ps);
	/* head valid bytes, then past EOF. */
	xlseek(src, 0);
	errno = 0;
	r = (long)read(src, p + ps - head, 2 * head);
	e = errno;

	ATF_REQUIRE(sigaction(SIGBUS, &old, NULL) == 0);
	ATF_REQUIRE_EQ_MSG(sigbus_count, 0, "the system calls above raised "
	    "SIGBUS %d times in the process, expected none (EFAULT instead)",
	    (int)sigbus_count);
	/*
	 * read(2): the number of bytes read; Linux copies until the fault.
	 * An architecture's copy routine may stop a little before it, so any
	 * count from 1 to head is a short read.
	 */
	ATF_REQUIRE_MSG(r >= 1 && r <= (long)head, "read(src.dat, %p, %zu) "
	    "with %zu valid bytes then past EOF: expected a short count of "
	    "1..%zu, got %ld (%s)", (void *)(p + ps - head), 2 * head, head,
	    head, r, r < 0 ? mc_errname(e) : "bytes");
	require_bytes(p + ps - head, (size_t)r, mc_pattern(0), "bytes read "
	    "into the valid end of the mapping");
	require_bytes(p + ps - head + r, head - (size_t)r, 'k', "the rest of "
	    "the valid page");
	ATF_REQUIRE_EQ_MSG(mc_fd_size(out), 0, "out.dat after a write() that "
	    "failed with EFAULT: size %jd, expected 0",
	    (intmax_t)mc_fd_size(out));
	ATF_REQUIRE_EQ_MSG(mc_fd_size(fd), (off_t)ps, "the mapped file after "
	    "read()s into its mapping past EOF: size %jd, expected %zu",
	    (intmax_t)mc_fd_size(fd), ps);
	ATF_REQUIRE(munmap(p, 3 * ps) == 0);
	close(fd);
	close(src);
	close(out);
}

/* ---- COHER-9: MAP_POPULATE of a mapping longer than its file ------------- */

MC_TC(populate_longer_than_file, "COHER-9",
    "mmap with MAP_POPULATE of a mapping longer than its file succeeds "
    "(shared and private): the pages inside the file, the partial last "
    "one included, are present and resident right after mmap and hold "
    "the file; the pages past the end are neither, and raise SIGBUS")
{
	size_t ps = mc_pagesize(), infile = 3, n = 6, tail = 100;
	bool pm = mc_pm_flags_readable();
	bool mc = mc_mincore_sees_untouched(), pm_all = pm;
	int fd = mc_make_file(FNAME, infile);
	const int kinds[2] = { MAP_SHARED, MAP_PRIVATE };
	const int prots[2] = { PROT_READ, PROT_READ | PROT_WRITE };
	unsigned char vec[6];

	xftruncate(fd, (off_t)((infile - 1) * ps + tail));
	for (int k = 0; k < 2; k++) {
		const char *kind = k == 0 ? "MAP_SHARED|MAP_POPULATE" :
		    "MAP_PRIVATE|MAP_POPULATE, PROT_WRITE";
		uint64_t pme[6] = { 0 };
		bool pm_ok = pm;
		unsigned char *p;
		char what[96];

		errno = 0;
		p = mmap(NULL, n * ps, prots[k], kinds[k] | MAP_POPULATE, fd,
		    0);
		mc_require_mmap_ok(p, kind);
		/* Before anything touches the mapping. */
		for (size_t i = 0; pm_ok && i < n; i++)
			pm_ok = mc_pagemap_try(p + i * ps, &pme[i]);
		ATF_REQUIRE_MSG(mincore(p, n * ps, vec) == 0, "mincore: %s",
		    strerror(errno));

		for (size_t i = 0; i < n; i++) {
			bool in = i < infile;

			if (pm_ok)
				ATF_REQUIRE_MSG(((pme[i] & MC_PM_PRESENT) != 0)
				    == in, "%s of a file of %zu bytes: page %zu "
				    "right after mmap: expected %s in pagemap, "
				    "entry %#jx", kind, (infile - 1) * ps +
				    tail, i, in ? "present" : "not present",
				    (uintmax_t)pme[i]);
			if (in || mc)
				ATF_REQUIRE_MSG((vec[i] & 1) == in, "%s: page "
				    "%zu right after mmap: mincore says %s, "
				    "expected %s", kind, i, vec[i] & 1 ?
				    "resident" : "not resident", in ?
				    "resident (inside the file)" :
				    "not resident (past the end of the file)");
		}
		snprintf(what, sizeof(what), "%s, inside the file", kind);
		mc_require_patterns(p, infile - 1, 0, what);
		mc_require_readable(p + (infile - 1) * ps, ps, what);
		require_bytes(p + (infile - 1) * ps, tail, mc_pattern(infile -
		    1), what);
		require_bytes(p + (infile - 1) * ps + tail, ps - tail, 0, what);
		snprintf(what, sizeof(what), "%s, past the end of the file",
		    kind);
		mc_require_sigbus(p + infile * ps, MC_READ, what);
		mc_require_sigbus(p + (n - 1) * ps, MC_READ, what);
		ATF_REQUIRE(munmap(p, n * ps) == 0);
		pm_all = pm_all && pm_ok;
	}
	close(fd);
	if (!pm_all || !mc)
		atf_tc_skip("content, mincore of the file's pages and SIGBUS "
		    "assertions passed; not possible here: %s%s", !pm_all ?
		    "presence (/proc/self/pagemap cannot be read) " : "",
		    !mc ? "non-residency past EOF (mincore reports untouched "
		    "pages resident)" : "");
}

/* ---- COHER-10: a large shared mapping survives munmap, close, reopen ---- */

/* The tag of page i of the large file (distinct for every page). */
static uint64_t
big_tag(size_t i)
{
	return 0xc0fe000000000000ULL ^ ((uint64_t)i * 0x9e3779b97f4a7c15ULL);
}

MC_TC(large_shared_mapping_survives_reopen, "COHER-10",
    "Every page of a 64 MiB (MC_COHER_BIG_MB) MAP_SHARED mapping written "
    "through the mapping, without msync, is in the file after munmap, "
    "close and reopening: read() of each page's tags and of a few whole "
    "pages, and a new mapping, return them")
{
	size_t ps = mc_pagesize(), len = (size_t)MC_COHER_BIG_MB << 20;
	size_t n = len / ps;
	const size_t full[4] = { 0, n / 3, n / 2 + 1, n - 1 };
	unsigned char *buf = xmalloc(ps), *want = xmalloc(ps);
	struct statvfs sv;
	unsigned char *p;
	int fd;

	fd = open(FNAME, O_RDWR | O_CREAT | O_TRUNC, 0600);
	ATF_REQUIRE_MSG(fd >= 0, "open(%s): %s", FNAME, strerror(errno));
	/* Room for it: a shared mapping that cannot get a block is SIGBUS. */
	ATF_REQUIRE_MSG(fstatvfs(fd, &sv) == 0, "fstatvfs: %s",
	    strerror(errno));
	if ((uint64_t)sv.f_bavail * sv.f_frsize < (uint64_t)len + (16u << 20))
		atf_tc_skip("the work directory's file system has %ju MiB "
		    "free, this case needs %u MiB + 16", (uintmax_t)
		    ((uint64_t)sv.f_bavail * sv.f_frsize >> 20),
		    MC_COHER_BIG_MB);
	xftruncate(fd, (off_t)len);
	errno = 0;
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		mc_skip_if_limited(errno, "the 64 MiB shared mapping");
	mc_require_mmap_ok(p, "mmap(64 MiB, MAP_SHARED)");

	for (size_t i = 0; i < n; i++) {
		uint64_t t = big_tag(i);

		memcpy(p + i * ps, &t, sizeof(t));
		memcpy(p + (i + 1) * ps - sizeof(t), &t, sizeof(t));
	}
	for (size_t k = 0; k < 4; k++)
		fill_irregular(p + full[k] * ps, ps, (uint32_t)full[k]);
	ATF_REQUIRE_MSG(munmap(p, len) == 0, "munmap: %s", strerror(errno));
	ATF_REQUIRE_MSG(close(fd) == 0, "close: %s", strerror(errno));

	fd = open(FNAME, O_RDONLY);
	ATF_REQUIRE_MSG(fd >= 0, "reopen %s: %s", FNAME, strerror(errno));
	/* Advisory (dirty pages stay): read from storage where it can. */
	(void)posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
	ATF_REQUIRE_EQ_MSG(mc_fd_size(fd), (off_t)len, "reopened file size "
	    "%jd, expected %zu", (intmax_t)mc_fd_size(fd), len);
	/* One pread per page boundary: the tail tag of i-1, the head of i. */
	for (size_t i = 0; i <= n; i++) {
		uint64_t t[2];
		size_t first = i == 0 ? 1 : 0, last = i == n ? 1 : 2;
		off_t off = (off_t)(i * ps) - (off_t)sizeof(t[0]);
		ssize_t r;

		if (i == 0 || i == n) {
			off = i == 0 ? 0 : off;
			r = pread(fd, &t[first], sizeof(t[0]), off);
			ATF_REQUIRE_MSG(r == (ssize_t)sizeof(t[0]), "pread(8 "
			    "bytes at %jd): %zd (%s)", (intmax_t)off, r,
			    r < 0 ? strerror(errno) : "short");
		} else {
			r = pread(fd, t, sizeof(t), off);
			ATF_REQUIRE_MSG(r == (ssize_t)sizeof(t), "pread(16 "
			    "bytes at %jd): %zd (%s)", (intmax_t)off, r,
			    r < 0 ? strerror(errno) : "short");
		}
		for (size_t j = first; j < last; j++) {
			size_t pg = i - 1 + j;
			bool irregular = false;

			for (size_t k = 0; k < 4; k++)
				irregular |= full[k] == pg;
			if (irregular)
				continue; /* checked whole below */
			ATF_REQUIRE_MSG(t[j] == big_tag(pg), "reopened file, "
			    "page %zu of %zu, %s tag: %#jx, expected %#jx", pg,
			    n, j == 0 ? "tail" : "head", (uintmax_t)t[j],
			    (uintmax_t)big_tag(pg));
		}
	}
	p = mc_map_fd(fd, len, PROT_READ, MAP_SHARED, 0);
	for (size_t k = 0; k < 4; k++) {
		char what[80];

		fill_irregular(want, ps, (uint32_t)full[k]);
		mc_pread_all(fd, buf, ps, (off_t)(full[k] * ps));
		snprintf(what, sizeof(what), "read() of whole page %zu of the "
		    "reopened file", full[k]);
		require_same(buf, want, ps, what);
		snprintf(what, sizeof(what), "a new mapping, whole page %zu",
		    full[k]);
		mc_require_readable(p + full[k] * ps, ps, what);
		require_same(p + full[k] * ps, want, ps, what);
	}
	for (size_t i = 1; i < n; i += n >= 64 ? n / 64 : 1) {
		uint64_t t;

		if (i == full[1] || i == full[2])
			continue; /* whole irregular pages, checked above */
		memcpy(&t, p + i * ps, sizeof(t));
		ATF_REQUIRE_MSG(t == big_tag(i), "a new mapping of the reopened "
		    "file, page %zu: tag %#jx, expected %#jx", i,
		    (uintmax_t)t, (uintmax_t)big_tag(i));
	}
	ATF_REQUIRE(munmap(p, len) == 0);
	close(fd);
	(void)unlink(FNAME); /* 64 MiB: do not keep it until the cleanup */
	free(buf);
	free(want);
}

/* ---- COHER-11: O_APPEND write extends under a mapping -------------------- */

MC_TC(append_write_extends_into_mapping, "COHER-11",
    "write() on an O_APPEND descriptor lands at the end of the file "
    "whatever the offset and extends it: pages of an existing shared "
    "mapping that raised SIGBUS past the old end show the appended bytes "
    "(zeros after the new end), and a new mapping sees the same")
{
	size_t ps = mc_pagesize(), alen = ps + 100;
	int fd = mc_make_file(FNAME, 1), afd;
	unsigned char *p = mc_map_fd(fd, 3 * ps, PROT_READ, MAP_SHARED, 0);
	unsigned char *q;

	mc_require_patterns(p, 1, 0, "shared mapping before the append");
	mc_require_sigbus(p + ps, MC_READ, "page 1 of a 1-page file, before "
	    "the append");
	mc_require_sigbus(p + 2 * ps, MC_READ, "page 2 of a 1-page file, "
	    "before the append");

	afd = open(FNAME, O_WRONLY | O_APPEND);
	ATF_REQUIRE_MSG(afd >= 0, "open(%s, O_WRONLY|O_APPEND): %s", FNAME,
	    strerror(errno));
	xlseek(afd, 0); /* O_APPEND: the offset does not matter */
	write_fill(afd, 'A', alen);
	ATF_REQUIRE_EQ_MSG(mc_fd_size(fd), (off_t)(ps + alen), "file size "
	    "after appending %zu bytes to %zu: %jd", alen, ps,
	    (intmax_t)mc_fd_size(fd));

	require_page_pristine(p, 0, "shared mapping after the append (page 0 "
	    "must not be overwritten)");
	mc_require_readable(p + ps, 2 * ps, "the existing shared mapping after "
	    "the append, pages 1-2");
	require_bytes(p + ps, alen, 'A', "existing shared mapping, appended "
	    "bytes");
	require_bytes(p + ps + alen, 2 * ps - alen, 0, "existing shared "
	    "mapping, the new last page past the new end");
	q = mc_map_fd(fd, 3 * ps, PROT_READ, MAP_PRIVATE, 0);
	mc_require_patterns(q, 1, 0, "a new mapping after the append");
	mc_require_readable(q + ps, 2 * ps, "a new mapping after the append");
	require_bytes(q + ps, alen, 'A', "a new mapping, appended bytes");
	require_bytes(q + ps + alen, 2 * ps - alen, 0, "a new mapping, past "
	    "the new end");
	ATF_REQUIRE(munmap(p, 3 * ps) == 0);
	ATF_REQUIRE(munmap(q, 3 * ps) == 0);
	close(afd);
	close(fd);
}

/* ---- COHER-12: fallocate(PUNCH_HOLE) under a shared mapping -------------- */

MC_TC(punch_hole_under_shared_mapping_reads_zeros, "COHER-12",
    "fallocate(FALLOC_FL_PUNCH_HOLE|FALLOC_FL_KEEP_SIZE) of a range mapped "
    "MAP_SHARED (read and written through the mapping) makes the mapping "
    "and read() show zeros there at once, keeps the size and the other "
    "pages, and the range stays usable through the mapping")
{
	size_t ps = mc_pagesize(), n = 4;
	int fd = mc_make_file(FNAME, n);
	unsigned char *p = mc_map_fd(fd, n * ps, PROT_READ | PROT_WRITE,
	    MAP_SHARED, 0);
	unsigned char *buf = xmalloc(2 * ps);
	struct statfs sf;

	mc_require_patterns(p, n, 0, "shared mapping before the hole");
	memset(p + 2 * ps + 10, 'd', 32); /* a dirty page in the hole */
	if (fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
	    (off_t)ps, (off_t)(2 * ps)) != 0) {
		int e = errno;

		if (e == EOPNOTSUPP) {
			long type = fstatfs(fd, &sf) == 0 ? (long)sf.f_type : 0;

			ATF_REQUIRE(munmap(p, n * ps) == 0);
			atf_tc_skip("fallocate(FALLOC_FL_PUNCH_HOLE): EOPNOTSUPP: "
			    "the work directory's file system (f_type %#lx) "
			    "cannot punch holes", type);
		}
		if (e == ENOSYS || e == EPERM)
			mc_skip_unsupported("fallocate(FALLOC_FL_PUNCH_HOLE)",
			    e);
		ATF_REQUIRE_MSG(0, "fallocate(PUNCH_HOLE|KEEP_SIZE, pages 1-2): "
		    "expected success, got %s", mc_errname(e));
	}
	ATF_REQUIRE_EQ_MSG(mc_fd_size(fd), (off_t)(n * ps), "file size after "
	    "punching a hole with KEEP_SIZE: %jd, expected %zu",
	    (intmax_t)mc_fd_size(fd), n * ps);
	mc_require_readable(p, n * ps, "shared mapping after the hole");
	require_bytes(p + ps, 2 * ps, 0, "shared mapping, punched pages 1-2");
	require_page_pristine(p, 0, "shared mapping after the hole");
	require_page_pristine(p, 3, "shared mapping after the hole");
	mc_pread_all(fd, buf, 2 * ps, (off_t)ps);
	ATF_REQUIRE_MSG(mc_all_bytes(buf, 2 * ps, 0), "read() of the punched "
	    "pages 1-2: %zu bytes not zero", mc_count_not(buf, 2 * ps, 0));
	memset(p + ps + 7, 'h', 9);
	mc_pread_all(fd, buf, 16, (off_t)ps);
	ATF_REQUIRE_MSG(mc_all_bytes(buf + 7, 9, 'h'), "a write through the "
	    "mapping into the hole is not seen by read()");
	free(buf);
	ATF_REQUIRE(munmap(p, n * ps) == 0);
	close(fd);
}

MC_TC(bytes_past_eof_not_in_file_after_extension,
    "COHER-13",
    "Bytes written through a shared mapping into the last page after the "
    "end of the file are not part of the file: after msync and an "
    "ftruncate that extends the file, read() and the mapping show zeros "
    "there")
{
	size_t ps = mc_pagesize(), keep = ps / 4 + 3;
	off_t size = (off_t)(ps + keep);
	int fd = mc_make_file(FNAME, 2);
	unsigned char *p, *buf = xmalloc(ps);
	size_t seen;
	ssize_t n;

	xftruncate(fd, size);
	p = mc_map_fd(fd, 2 * ps, PROT_READ | PROT_WRITE, MAP_SHARED, 0);
	mc_require_readable(p + ps, ps, "the last page, past EOF");
	/* mmap(2): that part of the page reads zeros when mapped... */
	require_bytes(p + ps + keep, ps - keep, 0, "the last page past EOF "
	    "when mapped");
	/* ...and modifications to it are not written out to the file. */
	memset(p + ps + keep, 0x5a, ps - keep);
	ATF_REQUIRE_MSG(msync(p, 2 * ps, MS_SYNC) == 0, "msync(MS_SYNC): %s",
	    strerror(errno));
	xftruncate(fd, (off_t)(2 * ps));
	n = pread(fd, buf, ps, (off_t)ps);
	ATF_REQUIRE_MSG(n == (ssize_t)ps, "pread(page 1) after extending to 2 "
	    "pages: got %zd (%s)", n, n < 0 ? strerror(errno) : "bytes");
	ATF_REQUIRE_MSG(mc_all_bytes(buf, keep, mc_pattern(1)), "pread(): the "
	    "%zu bytes of page 1 before the old end changed", keep);
	seen = mc_count_not(buf + keep, ps - keep, 0);
	/* truncate(2): "the extended part reads as null bytes". */
	ATF_REQUIRE_MSG(seen == 0, "after msync and ftruncate from %jd to %zu "
	    "bytes, read() returns %zu of the %zu bytes written through the "
	    "mapping past the old end (0x5a) instead of zeros: writes past EOF "
	    "became file data", (intmax_t)size, 2 * ps, seen, ps - keep);
	seen = mc_count_not(p + ps + keep, ps - keep, 0);
	ATF_REQUIRE_MSG(seen == 0, "after msync and ftruncate, the mapping "
	    "shows %zu non-zero bytes where the file was extended", seen);
	free(buf);
	ATF_REQUIRE(munmap(p, 2 * ps) == 0);
	close(fd);
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, write_pwrite_seen_through_shared_mapping);
	ATF_TP_ADD_TC(tp, pwrite_seen_through_unwritten_private_pages);
	ATF_TP_ADD_TC(tp, pwrite_not_seen_in_written_private_page);
	ATF_TP_ADD_TC(tp, read_into_shared_mapping_of_same_file);
	ATF_TP_ADD_TC(tp, write_from_mapping_of_same_file);
	ATF_TP_ADD_TC(tp, truncate_mid_page_zeroes_tail_cuts_next);
	ATF_TP_ADD_TC(tp, truncate_to_zero_then_extend_reads_zeros);
	ATF_TP_ADD_TC(tp, syscall_buffer_past_eof_efault_no_sigbus);
	ATF_TP_ADD_TC(tp, populate_longer_than_file);
	ATF_TP_ADD_TC(tp, large_shared_mapping_survives_reopen);
	ATF_TP_ADD_TC(tp, append_write_extends_into_mapping);
	ATF_TP_ADD_TC(tp, punch_hole_under_shared_mapping_reads_zeros);
	ATF_TP_ADD_TC(tp, bytes_past_eof_not_in_file_after_extension);
	return atf_no_error();
}
