/*
 * t_shfile: shared file mappings (design note §2, "Shared file mapping",
 * and §4 for munmap): processes share the same physical (page-cache)
 * pages, changes reach the file, and the mapping carries messages between
 * processes.
 *
 * "Unrelated process" below is a worker child (mc_worker.h) that opens the
 * file by name and maps it itself; it never inherits the test's mapping.
 */
#include <sys/mman.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mc_worker.h"

#define FNAME "shfile.dat"
#define NPAGES 4

/* ---- SHFILE-1 ----------------------------------------------------------- */

MC_TC(shared_mapping_same_physical_pages_in_two_processes, "SHFILE-1",
    "Two processes that map the same file MAP_SHARED (each by itself) use "
    "the same physical page-cache pages: equal PFNs, file-page bit set, "
    "and no copy when one of them writes")
{
	size_t ps = mc_pagesize(), wp = 2, off = ps / 8, len = 8;
	bool pm = mc_pm_flags_readable(), pfns = mc_pfns_visible(NULL);
	struct mc_worker_report me, other, me2, other2;
	const struct mc_view v[] = { { "test process", &me },
	    { "other process", &other } };
	struct mc_child ch;
	int fd = mc_make_file(FNAME, NPAGES);
	unsigned char *p = mc_map_file(fd, FNAME, NPAGES, MAP_SHARED);

	mc_worker_summarise(p, NPAGES, &me);
	mc_worker_start(&ch, "other process", FNAME, MAP_SHARED, NPAGES,
	    &other);
	mc_require_views_pristine(v, 2, NPAGES, pm);
	if (pfns)
		for (size_t i = 0; i < NPAGES; i++) {
			uint64_t a = mc_worker_pfn("test process", &me, i);
			uint64_t b = mc_worker_pfn("other process", &other, i);

			ATF_REQUIRE_MSG(a == b, "page %zu: expected one "
			    "physical page for both shared mappings, test "
			    "process PFN %#jx, other process PFN %#jx", i,
			    (uintmax_t)a, (uintmax_t)b);
		}

	/* A write through one mapping copies nothing. */
	mc_worker_write(&ch, "other process", wp * ps + off, len, 's', &other2);
	mc_worker_summarise(p, NPAGES, &me2);
	mc_require_changed("other process after its write", &other2, wp, off,
	    len, 's');
	mc_require_changed("test process after the other's write", &me2, wp,
	    off, len, 's');
	if (pm) {
		mc_require_file_bit("other process after its write", &other2,
		    wp, true);
		mc_require_file_bit("test process after the other's write",
		    &me2, wp, true);
	}
	if (pfns)
		for (size_t i = 0; i < NPAGES; i++) {
			uint64_t a0 = mc_worker_pfn("test process", &me, i);
			uint64_t a = mc_worker_pfn("test process", &me2, i);
			uint64_t b = mc_worker_pfn("other process", &other2, i);

			ATF_REQUIRE_MSG(a == a0 && b == a0, "page %zu after a "
			    "write through a shared mapping: expected both "
			    "processes still on PFN %#jx, test process has "
			    "%#jx, other process %#jx", i, (uintmax_t)a0,
			    (uintmax_t)a, (uintmax_t)b);
		}
	mc_worker_quit(&ch);
	ATF_REQUIRE(munmap(p, NPAGES * ps) == 0);
	close(fd);
	mc_require_pfns();
}

/* ---- SHFILE-2 ----------------------------------------------------------- */

MC_TC(shared_write_visible_to_unrelated_process, "SHFILE-2",
    "A write through a MAP_SHARED file mapping is seen at once by another "
    "process that mapped the file by itself, before or after the write")
{
	size_t ps = mc_pagesize(), wp = 1, off = ps / 2, len = 24;
	struct mc_child early, late;
	struct mc_worker_report r;
	int fd = mc_make_file(FNAME, NPAGES);
	unsigned char *p;

	/* The other process maps (and reads) the file before we map it. */
	mc_worker_start(&early, "process mapped before the write", FNAME,
	    MAP_SHARED, NPAGES, &r);
	for (size_t i = 0; i < NPAGES; i++)
		mc_require_pristine("process mapped before the write", &r, i);
	p = mc_map_file(fd, FNAME, NPAGES, MAP_SHARED);
	memset(p + wp * ps + off, 'v', len);
	mc_worker_observe(&early, "process mapped before the write", &r);
	for (size_t i = 0; i < NPAGES; i++)
		if (i == wp)
			mc_require_changed("process mapped before the write",
			    &r, i, off, len, 'v');
		else
			mc_require_pristine("process mapped before the write",
			    &r, i);
	mc_worker_start(&late, "process mapped after the write", FNAME,
	    MAP_SHARED, NPAGES, &r);
	mc_require_changed("process mapped after the write", &r, wp, off, len,
	    'v');
	mc_worker_quit(&early);
	mc_worker_quit(&late);
	ATF_REQUIRE(munmap(p, NPAGES * ps) == 0);
	close(fd);
}

/* ---- SHFILE-3 ----------------------------------------------------------- */

MC_TC(shared_write_visible_to_read_at_once, "SHFILE-3",
    "A write through a MAP_SHARED file mapping is returned by read() of "
    "the file right away, without msync")
{
	size_t ps = mc_pagesize(), off = 3 * ps - 8, len = 16;
	int fd = mc_make_file(FNAME, NPAGES);
	unsigned char *p = mc_map_file(fd, FNAME, NPAGES, MAP_SHARED);

	/* Straddles the boundary between pages 2 and 3. */
	memset(p + off, 'r', len);
	mc_require_file_changed(FNAME, NPAGES, off, len, 'r', "right after a "
	    "write through a shared mapping (no msync)");
	ATF_REQUIRE(munmap(p, NPAGES * ps) == 0);
	close(fd);
}

MC_TC(shared_write_persists_after_msync_munmap_close, "SHFILE-3",
    "A write through a MAP_SHARED file mapping is in the file after "
    "msync(MS_SYNC), after munmap, and after close and reopening")
{
	size_t ps = mc_pagesize(), off = ps + ps / 3, len = 40;
	int fd = mc_make_file(FNAME, NPAGES);
	unsigned char *p = mc_map_file(fd, FNAME, NPAGES, MAP_SHARED);

	memset(p + off, 'm', len);
	ATF_REQUIRE_MSG(msync(p, NPAGES * ps, MS_SYNC) == 0, "msync(MS_SYNC): "
	    "%s", strerror(errno));
	mc_require_file_changed(FNAME, NPAGES, off, len, 'm',
	    "after msync(MS_SYNC)");
	ATF_REQUIRE_MSG(munmap(p, NPAGES * ps) == 0, "munmap: %s",
	    strerror(errno));
	mc_require_file_changed(FNAME, NPAGES, off, len, 'm', "after munmap");
	ATF_REQUIRE_MSG(close(fd) == 0, "close: %s", strerror(errno));
	/*
	 * Ask the kernel to drop the (clean) cached pages, so that the next
	 * read comes from storage where the filesystem has any; advisory, so
	 * its effect is not asserted.
	 */
	fd = open(FNAME, O_RDONLY);
	ATF_REQUIRE_MSG(fd >= 0, "open(%s): %s", FNAME, strerror(errno));
	(void)posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
	close(fd);
	mc_require_file_changed(FNAME, NPAGES, off, len, 'm', "after munmap, "
	    "close and reopening");
}

/* ---- SHFILE-4 ----------------------------------------------------------- */

MC_TC(shared_mapping_ipc_round_trip, "SHFILE-4",
    "Two processes that map a file MAP_SHARED by themselves exchange "
    "requests and answers through the mapping (the pipe only says whose "
    "turn it is)")
{
	size_t ps = mc_pagesize(), req = 16, ans = 2 * ps + 24;
	const char *who = "server process";
	struct mc_child ch;
	struct mc_worker_report r;
	int fd = mc_make_file(FNAME, NPAGES);
	unsigned char *p;

	mc_worker_start(&ch, who, FNAME, MAP_SHARED, NPAGES, &r);
	p = mc_map_file(fd, FNAME, NPAGES, MAP_SHARED);
	for (uint64_t round = 1; round <= 5; round++) {
		uint64_t q = 0x5851f42d4c957f2dULL * round, a;

		memcpy(p + req, &q, sizeof(q));
		mc_worker_echo(&ch, who, req, ans, &r);
		ATF_REQUIRE_MSG(r.seen == q, "round %ju: the %s read request "
		    "%#jx from its mapping, expected %#jx (written by the test "
		    "process)", (uintmax_t)round, who, (uintmax_t)r.seen,
		    (uintmax_t)q);
		memcpy(&a, p + ans, sizeof(a));
		ATF_REQUIRE_MSG(a == ~q, "round %ju: the test process reads "
		    "answer %#jx from its mapping, expected %#jx (written by "
		    "the %s)", (uintmax_t)round, (uintmax_t)a,
		    (uintmax_t)~q, who);
	}
	mc_worker_quit(&ch);
	ATF_REQUIRE(munmap(p, NPAGES * ps) == 0);
	close(fd);
}

/* ---- MUNMAP-5 ----------------------------------------------------------- */

MC_TC(shared_write_stays_in_file_after_munmap, "MUNMAP-5",
    "Data written through a MAP_SHARED file mapping and unmapped without "
    "msync is in the file: read() and a new mapping return it")
{
	size_t ps = mc_pagesize(), off = ps / 4, len = 2 * ps;
	struct mc_worker_report r;
	int fd = mc_make_file(FNAME, NPAGES);
	unsigned char *p = mc_map_file(fd, FNAME, NPAGES, MAP_SHARED);

	memset(p + off, 'u', len); /* pages 0..2 */
	ATF_REQUIRE_MSG(munmap(p, NPAGES * ps) == 0, "munmap: %s",
	    strerror(errno));
	ATF_REQUIRE_MSG(close(fd) == 0, "close: %s", strerror(errno));
	mc_require_file_changed(FNAME, NPAGES, off, len, 'u',
	    "after munmap (no msync)");
	fd = open(FNAME, O_RDONLY);
	ATF_REQUIRE_MSG(fd >= 0, "open(%s): %s", FNAME, strerror(errno));
	p = mmap(NULL, NPAGES * ps, PROT_READ, MAP_PRIVATE, fd, 0);
	ATF_REQUIRE_MSG(p != MAP_FAILED, "mmap(%s) again: %s", FNAME,
	    strerror(errno));
	mc_worker_summarise(p, NPAGES, &r);
	mc_require_changed("a new mapping after munmap", &r, 0, off, ps - off,
	    'u');
	mc_require_changed("a new mapping after munmap", &r, 1, 0, ps, 'u');
	mc_require_changed("a new mapping after munmap", &r, 2, 0, off, 'u');
	mc_require_pristine("a new mapping after munmap", &r, 3);
	ATF_REQUIRE(munmap(p, NPAGES * ps) == 0);
	close(fd);
}

/* ---- SHFILE-5, SHFILE-6: the end of the file (mmap(2)) ------------------ */

MC_TC(partial_last_page_tail_zero_and_not_written_out, "SHFILE-5",
    "In the partial last page of a MAP_SHARED file mapping the bytes past "
    "the end of the file read as zero; writes there are not written to "
    "the file (size and read() contents unchanged after msync and munmap)")
{
	size_t ps = mc_pagesize(), tail = 100, flen = ps + tail, len = 2 * ps;
	unsigned char *buf = malloc(len);
	struct stat st;
	int fd = mc_make_file(FNAME, 2);
	unsigned char *p;

	ATF_REQUIRE(buf != NULL);
	ATF_REQUIRE_MSG(ftruncate(fd, (off_t)flen) == 0, "ftruncate(%zu): %s",
	    flen, strerror(errno));
	p = mc_map_file(fd, FNAME, 2, MAP_SHARED);
	for (size_t i = 0; i < len; i++) {
		unsigned char want = i < flen ? mc_pattern(i / ps) : 0;

		ATF_REQUIRE_MSG(p[i] == want, "file of %zu bytes mapped "
		    "MAP_SHARED: byte %zu reads %#x, expected %#x (%s)", flen,
		    i, p[i], want, i < flen ? "the file's contents" :
		    "zero past the end of the file");
	}
	memset(p + ps, 'i', 10);            /* inside the file */
	memset(p + flen, 'o', len - flen);   /* past its end, same page */
	ATF_REQUIRE_MSG(msync(p, len, MS_SYNC) == 0, "msync(MS_SYNC): %s",
	    strerror(errno));
	ATF_REQUIRE_MSG(munmap(p, len) == 0, "munmap: %s", strerror(errno));
	ATF_REQUIRE_MSG(fstat(fd, &st) == 0, "fstat: %s", strerror(errno));
	ATF_REQUIRE_MSG(st.st_size == (off_t)flen, "after writes past the end "
	    "of the file through the mapping, the file's size is %jd, "
	    "expected %zu (unchanged)", (intmax_t)st.st_size, flen);
	memset(buf, 0, len);
	ssize_t n = pread(fd, buf, len, 0);
	ATF_REQUIRE_MSG(n == (ssize_t)flen, "pread(%zu bytes) of a %zu-byte "
	    "file returned %zd (%s), expected %zu", len, flen, n,
	    n < 0 ? strerror(errno) : "bytes", flen);
	for (size_t i = 0; i < flen; i++) {
		unsigned char want = i >= ps && i < ps + 10 ? 'i' :
		    mc_pattern(i / ps);

		ATF_REQUIRE_MSG(buf[i] == want, "file byte %zu after msync and "
		    "munmap: %#x, expected %#x", i, buf[i], want);
	}
	close(fd);
	free(buf);
}

/*
 * A file of one page mapped over three: the first page works, pages 1 and
 * 2 (wholly beyond the end of the file) raise SIGBUS.
 */
static void
beyond_eof_sigbus(int flags)
{
	size_t ps = mc_pagesize();
	int fd = mc_make_file(FNAME, 1);
	unsigned char *p = mmap(NULL, 3 * ps, PROT_READ | PROT_WRITE, flags,
	    fd, 0);

	ATF_REQUIRE_MSG(p != MAP_FAILED, "mmap(3 pages of a 1-page file, %s): "
	    "expected success, got %s", flags == MAP_SHARED ? "MAP_SHARED" :
	    "MAP_PRIVATE", strerror(errno));
	MC_REQUIRE_NO_FAULT(p, MC_READ);
	MC_REQUIRE_NO_FAULT(p + ps - 1, MC_WRITE);
	mc_require_sigbus(p + ps, MC_READ, "page 1 of a 1-page file");
	mc_require_sigbus(p + 2 * ps + ps / 2, MC_READ,
	    "page 2 of a 1-page file");
	mc_require_sigbus(p + ps, MC_WRITE, "page 1 of a 1-page file");
	ATF_REQUIRE(munmap(p, 3 * ps) == 0);
	close(fd);
}

MC_TC(shared_mapping_beyond_eof_sigbus, "SHFILE-6",
    "Reading or writing a page of a MAP_SHARED mapping that lies wholly "
    "beyond the end of the file raises SIGBUS")
{
	beyond_eof_sigbus(MAP_SHARED);
}

MC_TC(private_mapping_beyond_eof_sigbus, "SHFILE-6",
    "Reading or writing a page of a MAP_PRIVATE mapping that lies wholly "
    "beyond the end of the file raises SIGBUS")
{
	beyond_eof_sigbus(MAP_PRIVATE);
}

MC_TC(truncated_file_page_sigbus, "SHFILE-6",
    "After the file is truncated under a MAP_SHARED mapping whose pages "
    "were in use, access to the page now beyond the end of the file "
    "raises SIGBUS while the first page keeps working")
{
	size_t ps = mc_pagesize();
	int fd = mc_make_file(FNAME, 2);
	unsigned char *p = mc_map_file(fd, FNAME, 2, MAP_SHARED);

	ATF_REQUIRE_MSG(p[0] == mc_pattern(0) && p[ps] == mc_pattern(1),
	    "mapping does not show the file (%#x, %#x)", p[0], p[ps]);
	ATF_REQUIRE_MSG(ftruncate(fd, (off_t)ps) == 0, "ftruncate(%zu): %s",
	    ps, strerror(errno));
	mc_require_sigbus(p + ps, MC_READ, "page 1 after the file was cut to "
	    "1 page");
	mc_require_sigbus(p + ps, MC_WRITE, "page 1 after the file was cut to "
	    "1 page");
	MC_REQUIRE_NO_FAULT(p, MC_READ);
	ATF_REQUIRE_MSG(p[1] == mc_pattern(0), "page 0 after truncation reads "
	    "%#x, expected %#x", p[1], mc_pattern(0));
	ATF_REQUIRE(munmap(p, 2 * ps) == 0);
	close(fd);
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, shared_mapping_same_physical_pages_in_two_processes);
	ATF_TP_ADD_TC(tp, shared_write_visible_to_unrelated_process);
	ATF_TP_ADD_TC(tp, shared_write_visible_to_read_at_once);
	ATF_TP_ADD_TC(tp, shared_write_persists_after_msync_munmap_close);
	ATF_TP_ADD_TC(tp, shared_mapping_ipc_round_trip);
	ATF_TP_ADD_TC(tp, shared_write_stays_in_file_after_munmap);
	ATF_TP_ADD_TC(tp, partial_last_page_tail_zero_and_not_written_out);
	ATF_TP_ADD_TC(tp, shared_mapping_beyond_eof_sigbus);
	ATF_TP_ADD_TC(tp, private_mapping_beyond_eof_sigbus);
	ATF_TP_ADD_TC(tp, truncated_file_page_sigbus);
	return atf_no_error();
}
