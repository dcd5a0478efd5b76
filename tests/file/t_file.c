/*
 * t_file: file mappings at and beyond end of file, truncation and extension
 * of a mapped file, the reference a mapping keeps on its file, and the file
 * times after writes through a shared mapping (mmap(2), POSIX mmap).
 */
#include <sys/mman.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "mc.h"

/* A file of 'full' pattern pages (mc_pattern) plus 'extra' bytes of the
 * next pattern, written with pwrite only (the partial page is never
 * touched by anything but write()). Returns an fd open O_RDWR. */
static int
make_partial_file(const char *name, size_t full, size_t extra)
{
	size_t ps = mc_pagesize();
	int fd = mc_make_file(name, full);
	unsigned char *buf = malloc(extra > 0 ? extra : 1);

	ATF_REQUIRE(buf != NULL);
	memset(buf, mc_pattern(full), extra);
	ATF_REQUIRE_MSG(pwrite(fd, buf, extra, (off_t)(full * ps)) ==
	    (ssize_t)extra, "pwrite(%s, %zu bytes at page %zu): %s", name,
	    extra, full, strerror(errno));
	free(buf);
	return fd;
}

static void
require_page(const unsigned char *p, unsigned char c, const char *what)
{
	size_t ps = mc_pagesize();

	for (size_t i = 0; i < ps; i++)
		ATF_REQUIRE_MSG(p[i] == c, "%s: byte %zu is %#x, expected %#x",
		    what, i, p[i], c);
}

MC_TC(partial_last_page_tail_reads_zero, "FILE-1",
    "The bytes of the last, partial page of a mapping that lie past end "
    "of file read as zeros, in shared and in private mappings")
{
	size_t ps = mc_pagesize(), extra = ps / 2 + 3;
	int fd = make_partial_file("f", 1, extra);
	const int kinds[2] = { MAP_SHARED, MAP_PRIVATE };

	for (int k = 0; k < 2; k++) {
		const char *kind = kinds[k] == MAP_SHARED ? "MAP_SHARED" :
		    "MAP_PRIVATE";
		unsigned char *p = mc_map_fd(fd, 2 * ps, PROT_READ, kinds[k],
		    0);

		require_page(p, mc_pattern(0), kind);
		for (size_t i = 0; i < extra; i++)
			ATF_REQUIRE_MSG(p[ps + i] == mc_pattern(1), "%s: file "
			    "byte %zu reads %#x, expected %#x", kind, ps + i,
			    p[ps + i], mc_pattern(1));
		for (size_t i = extra; i < ps; i++)
			ATF_REQUIRE_MSG(p[ps + i] == 0, "%s: byte %zu past end "
			    "of file (size %zu) reads %#x, expected 0", kind,
			    ps + i, ps + extra, p[ps + i]);
		ATF_REQUIRE(munmap(p, 2 * ps) == 0);
	}
	close(fd);
}

MC_TC(partial_last_page_tail_writes_not_in_file, "FILE-2",
    "Writes through a shared mapping to the partial last page past end of "
    "file never reach the file: size and read() unchanged after "
    "msync(MS_SYNC), munmap and reopening")
{
	size_t ps = mc_pagesize(), extra = ps / 2 + 3, size = ps + extra;
	int fd = make_partial_file("f", 1, extra);
	unsigned char *p = mc_map_fd(fd, 2 * ps, PROT_READ | PROT_WRITE,
	    MAP_SHARED, 0);
	unsigned char *buf = malloc(2 * ps);
	ssize_t n;

	ATF_REQUIRE(buf != NULL);
	p[ps] = 'w'; /* control: a byte inside the file does reach it */
	memset(p + size, 'Z', ps - extra);
	ATF_REQUIRE_MSG(msync(p, 2 * ps, MS_SYNC) == 0, "msync: %s",
	    strerror(errno));
	ATF_REQUIRE(munmap(p, 2 * ps) == 0);
	ATF_REQUIRE_EQ_MSG(mc_fd_size(fd), (off_t)size, "file size after "
	    "writing past EOF through the mapping: expected %zu, got %jd",
	    size, (intmax_t)mc_fd_size(fd));
	close(fd);

	fd = open("f", O_RDONLY);
	ATF_REQUIRE_MSG(fd >= 0, "reopen f: %s", strerror(errno));
	n = pread(fd, buf, 2 * ps, 0);
	ATF_REQUIRE_EQ_MSG(n, (ssize_t)size, "read() of the reopened file "
	    "asking %zu bytes: expected %zu (the file size), got %zd", 2 * ps,
	    size, n);
	ATF_REQUIRE_MSG(buf[ps] == 'w', "control byte at %zu: expected 'w' "
	    "written through the mapping, file has %#x", ps, buf[ps]);
	ATF_REQUIRE_MSG(memchr(buf, 'Z', (size_t)n) == NULL, "a byte written "
	    "past EOF appears in the file");
	n = pread(fd, buf, 1, (off_t)size);
	ATF_REQUIRE_EQ_MSG(n, 0, "read() at end of file: expected 0 (EOF), "
	    "got %zd", n);
	close(fd);
	free(buf);
}

MC_TC(page_beyond_eof_read_sigbus, "FILE-3",
    "Reading a page of a mapping that lies wholly past end of file raises "
    "SIGBUS (not SIGSEGV), in shared and private mappings")
{
	size_t ps = mc_pagesize();
	int fd = make_partial_file("f", 1, 10);
	const int kinds[2] = { MAP_SHARED, MAP_PRIVATE };

	for (int k = 0; k < 2; k++) {
		unsigned char *p = mc_map_fd(fd, 3 * ps, PROT_READ, kinds[k],
		    0);
		const char *kind = kinds[k] == MAP_SHARED ? "MAP_SHARED" :
		    "MAP_PRIVATE";

		/* The partial page is valid up to its end. */
		MC_REQUIRE_NO_FAULT(p + 2 * ps - 1, MC_READ);
		mc_require_sigbus(p + 2 * ps, MC_READ, kind);
		mc_require_sigbus(p + 3 * ps - 1, MC_READ, kind);
		ATF_REQUIRE(munmap(p, 3 * ps) == 0);
	}
	close(fd);
}

MC_TC(page_beyond_eof_write_sigbus_no_extend, "FILE-4",
    "Writing a page of a mapping that lies wholly past end of file raises "
    "SIGBUS, and the file does not grow")
{
	size_t ps = mc_pagesize(), size = ps + 10;
	int fd = make_partial_file("f", 1, 10);
	const int kinds[2] = { MAP_SHARED, MAP_PRIVATE };

	for (int k = 0; k < 2; k++) {
		unsigned char *p = mc_map_fd(fd, 3 * ps, PROT_READ | PROT_WRITE,
		    kinds[k], 0);
		const char *kind = kinds[k] == MAP_SHARED ? "MAP_SHARED" :
		    "MAP_PRIVATE";

		mc_require_sigbus(p + 2 * ps, MC_WRITE, kind);
		ATF_REQUIRE_EQ_MSG(mc_fd_size(fd), (off_t)size, "%s: file size "
		    "after a write past EOF: expected %zu, got %jd", kind,
		    size, (intmax_t)mc_fd_size(fd));
		ATF_REQUIRE(munmap(p, 3 * ps) == 0);
	}
	close(fd);
}

MC_TC(map_past_eof_succeeds_then_sigbus, "FILE-5",
    "mmap does not check the file size: mapping an empty file, or at an "
    "offset past end of file, succeeds, and touching it raises SIGBUS")
{
	size_t ps = mc_pagesize();
	int fd = mc_make_file("f", 1);
	int empty = mc_make_file("empty", 0);
	unsigned char *p;

	p = mc_map_fd(fd, ps, PROT_READ | PROT_WRITE, MAP_SHARED,
	    (off_t)(4 * ps));
	mc_require_sigbus(p, MC_READ, "offset 4 pages into a 1-page file");
	ATF_REQUIRE(munmap(p, ps) == 0);
	p = mc_map_fd(empty, 2 * ps, PROT_READ, MAP_PRIVATE, 0);
	mc_require_sigbus(p, MC_READ, "first page of an empty file");
	mc_require_sigbus(p + ps, MC_READ, "second page of an empty file");
	ATF_REQUIRE(munmap(p, 2 * ps) == 0);
	ATF_REQUIRE_EQ_MSG(mc_fd_size(fd), (off_t)ps, "file size changed to "
	    "%jd", (intmax_t)mc_fd_size(fd));
	close(fd);
	close(empty);
}

MC_TC(truncate_shared_cut_pages_sigbus, "FILE-6",
    "Truncating a file under a shared mapping makes the cut pages raise "
    "SIGBUS while the pages before the new end keep their data and stay "
    "writable")
{
	size_t ps = mc_pagesize();
	int fd = mc_make_file("f", 4);
	unsigned char *p = mc_map_fd(fd, 4 * ps, PROT_READ | PROT_WRITE,
	    MAP_SHARED, 0);

	for (size_t i = 0; i < 4; i++) /* all four pages mapped in */
		ATF_REQUIRE_MSG(p[i * ps] == mc_pattern(i), "page %zu before "
		    "truncation reads %#x", i, p[i * ps]);
	ATF_REQUIRE_MSG(ftruncate(fd, (off_t)(2 * ps)) == 0, "ftruncate: %s",
	    strerror(errno));
	mc_require_sigbus(p + 2 * ps, MC_READ, "page 2 after truncation to 2 "
	    "pages");
	mc_require_sigbus(p + 3 * ps, MC_WRITE, "page 3 after truncation to 2 "
	    "pages");
	require_page(p, mc_pattern(0), "page 0 after truncation");
	require_page(p + ps, mc_pattern(1), "page 1 after truncation");
	MC_REQUIRE_NO_FAULT(p + ps, MC_WRITE);
	ATF_REQUIRE(munmap(p, 4 * ps) == 0);
	close(fd);
}

MC_TC(truncate_private_cut_pages_sigbus, "FILE-7",
    "Truncation also cuts private mappings: cut pages raise SIGBUS even "
    "where the process already holds a private copy-on-write copy")
{
	size_t ps = mc_pagesize();
	int fd = mc_make_file("f", 4);
	unsigned char *p = mc_map_fd(fd, 4 * ps, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE, 0);

	ATF_REQUIRE(p[2 * ps] == mc_pattern(2)); /* file page mapped */
	p[3 * ps] = 'c'; /* private copy */
	p[ps] = 'c';     /* private copy that survives */
	ATF_REQUIRE_MSG(ftruncate(fd, (off_t)(2 * ps)) == 0, "ftruncate: %s",
	    strerror(errno));
	mc_require_sigbus(p + 2 * ps, MC_READ, "file page 2 after truncation");
	mc_require_sigbus(p + 3 * ps, MC_READ, "private copy of page 3 after "
	    "truncation");
	require_page(p, mc_pattern(0), "page 0 after truncation");
	ATF_REQUIRE_MSG(p[ps] == 'c' && p[ps + 1] == mc_pattern(1), "private "
	    "copy of page 1 (before the new end): expected 'c' then %#x, got "
	    "%#x %#x", mc_pattern(1), p[ps], p[ps + 1]);
	ATF_REQUIRE(munmap(p, 4 * ps) == 0);
	close(fd);
}

MC_TC(extend_after_truncate_pages_valid_zero, "FILE-8",
    "Extending a truncated file makes the cut pages of an existing shared "
    "mapping valid again: they read as zeros and writes reach the file")
{
	size_t ps = mc_pagesize();
	int fd = mc_make_file("f", 4);
	unsigned char *p = mc_map_fd(fd, 4 * ps, PROT_READ | PROT_WRITE,
	    MAP_SHARED, 0);
	unsigned char c;

	ATF_REQUIRE(p[3 * ps] == mc_pattern(3));
	ATF_REQUIRE_MSG(ftruncate(fd, (off_t)(2 * ps)) == 0, "ftruncate "
	    "down: %s", strerror(errno));
	mc_require_sigbus(p + 3 * ps, MC_READ, "page 3 after truncation");
	ATF_REQUIRE_MSG(ftruncate(fd, (off_t)(4 * ps)) == 0, "ftruncate up: "
	    "%s", strerror(errno));
	MC_REQUIRE_NO_FAULT(p + 2 * ps, MC_READ);
	MC_REQUIRE_NO_FAULT(p + 3 * ps, MC_READ);
	require_page(p + 2 * ps, 0, "page 2 after extension");
	require_page(p + 3 * ps, 0, "page 3 after extension");
	p[3 * ps + 7] = 'x';
	mc_pread_all(fd, &c, 1, (off_t)(3 * ps + 7));
	ATF_REQUIRE_MSG(c == 'x', "write through the mapping to the extended "
	    "page: read() sees %#x, expected 'x'", c);
	require_page(p + ps, mc_pattern(1), "page 1 after truncate+extend");
	ATF_REQUIRE(munmap(p, 4 * ps) == 0);
	close(fd);
}

MC_TC(mapping_keeps_file_after_close_unlink, "FILE-9",
    "A mapping keeps its file alive after close() and unlink(): contents "
    "stay readable and writable, and two mappings still share the file")
{
	size_t ps = mc_pagesize();
	int fd = mc_make_file("f", 2);
	unsigned char *a = mc_map_fd(fd, 2 * ps, PROT_READ | PROT_WRITE,
	    MAP_SHARED, 0);
	unsigned char *b = mc_map_fd(fd, 2 * ps, PROT_READ, MAP_SHARED, 0);
	struct stat st;

	ATF_REQUIRE_MSG(close(fd) == 0, "close: %s", strerror(errno));
	ATF_REQUIRE_MSG(unlink("f") == 0, "unlink: %s", strerror(errno));
	ATF_REQUIRE_MSG(stat("f", &st) != 0 && errno == ENOENT, "the file "
	    "name still exists after unlink");
	MC_REQUIRE_NO_FAULT(a + ps, MC_READ);
	require_page(a, mc_pattern(0), "page 0 after close+unlink");
	require_page(a + ps, mc_pattern(1), "page 1 after close+unlink");
	a[ps + 5] = 'u';
	ATF_REQUIRE_MSG(b[ps + 5] == 'u', "a write through one mapping of "
	    "the unlinked file is not seen by the other: %#x", b[ps + 5]);
	ATF_REQUIRE(munmap(a, 2 * ps) == 0);
	/* The last mapping alone still holds the file. */
	ATF_REQUIRE_MSG(b[ps + 5] == 'u' && b[0] == mc_pattern(0), "the "
	    "remaining mapping lost its data after the other was unmapped");
	ATF_REQUIRE(munmap(b, 2 * ps) == 0);
}

static int
ts_cmp(struct timespec a, struct timespec b)
{
	if (a.tv_sec != b.tv_sec)
		return a.tv_sec < b.tv_sec ? -1 : 1;
	if (a.tv_nsec != b.tv_nsec)
		return a.tv_nsec < b.tv_nsec ? -1 : 1;
	return 0;
}

/*
 * Lets the clock that stamps file times (the coarse real-time clock) move
 * past t, so that a time stamped afterwards differs from t and "updated"
 * can be told from "left as it was".  There is no event to wait for here,
 * only time: sleep to two ticks (clock_getres) after t, then one tick at a
 * time until the coarse clock has moved, at most one second (a tickless
 * guest under qemu TCG was seen to update it only after a further tick).
 */
static void
wait_clock_past(struct timespec t)
{
	struct timespec res, until, now;
	long tick;

	ATF_REQUIRE(clock_getres(CLOCK_REALTIME_COARSE, &res) == 0);
	tick = res.tv_sec == 0 && res.tv_nsec > 0 ? res.tv_nsec : 1000000L;
	until.tv_sec = t.tv_sec;
	until.tv_nsec = t.tv_nsec + 2 * tick + 1;
	for (int i = 0; ; i++) {
		until.tv_sec += until.tv_nsec / 1000000000;
		until.tv_nsec %= 1000000000;
		while (clock_nanosleep(CLOCK_REALTIME, TIMER_ABSTIME, &until,
		    NULL) == EINTR)
			;
		ATF_REQUIRE(clock_gettime(CLOCK_REALTIME_COARSE, &now) == 0);
		if (ts_cmp(now, t) > 0)
			return;
		ATF_REQUIRE_MSG((long)i * tick < 1000000000L,
		    "setup: CLOCK_REALTIME_COARSE %jd.%09ld is still not past "
		    "%jd.%09ld after %d ticks (%ld ns each)",
		    (intmax_t)now.tv_sec, now.tv_nsec, (intmax_t)t.tv_sec,
		    t.tv_nsec, i + 2, tick);
		until.tv_nsec += tick;
	}
}

MC_TC(shared_write_msync_updates_mtime_ctime, "FILE-10",
    "After a write through a shared writable mapping and msync(MS_SYNC), "
    "st_mtime and st_ctime are updated (file times first set into the "
    "past: no clock dependence)")
{
	size_t ps = mc_pagesize();
	int fd = mc_make_file("f", 2);
	/* 2001-09-09: far before any clock this runs under. */
	const struct timespec past[2] = { { 1000000000, 0 },
	    { 1000000000, 0 } };
	struct stat before, after;
	unsigned char *p;

	ATF_REQUIRE_MSG(futimens(fd, past) == 0, "futimens: %s",
	    strerror(errno));
	ATF_REQUIRE(fstat(fd, &before) == 0);
	ATF_REQUIRE_MSG(ts_cmp(before.st_mtim, past[1]) == 0, "setup: "
	    "futimens did not set st_mtime into the past (%jd)",
	    (intmax_t)before.st_mtim.tv_sec);
	/* futimens set st_ctime to "now": later than the past mtime. */
	ATF_REQUIRE_MSG(ts_cmp(before.st_ctim, past[1]) > 0, "setup: "
	    "st_ctime %jd not after the past mtime",
	    (intmax_t)before.st_ctim.tv_sec);

	/* A clock tick between the stamps: equal ctimes mean "not updated". */
	wait_clock_past(before.st_ctim);
	p = mc_map_fd(fd, 2 * ps, PROT_READ | PROT_WRITE, MAP_SHARED, 0);
	p[ps + 1] = 'm';
	ATF_REQUIRE_MSG(msync(p, 2 * ps, MS_SYNC) == 0, "msync: %s",
	    strerror(errno));
	ATF_REQUIRE(fstat(fd, &after) == 0);

	/* mtime: moved from the past to after the time of futimens. */
	ATF_REQUIRE_MSG(ts_cmp(after.st_mtim, before.st_ctim) > 0,
	    "st_mtime not updated: %jd.%09ld after write+msync, expected > "
	    "%jd.%09ld (the ctime set by futimens; mtime was %jd)",
	    (intmax_t)after.st_mtim.tv_sec, after.st_mtim.tv_nsec,
	    (intmax_t)before.st_ctim.tv_sec, before.st_ctim.tv_nsec,
	    (intmax_t)past[1].tv_sec);
	/*
	 * ctime: stamped again, after the clock moved on (so a ctime left as
	 * it was fails), and at least as new as the new mtime.
	 */
	ATF_REQUIRE_MSG(ts_cmp(after.st_ctim, before.st_ctim) > 0 &&
	    ts_cmp(after.st_ctim, after.st_mtim) >= 0, "st_ctime not "
	    "updated: %jd.%09ld after write+msync, expected > %jd.%09ld (before) "
	    "and >= the new st_mtime %jd.%09ld", (intmax_t)after.st_ctim.tv_sec,
	    after.st_ctim.tv_nsec, (intmax_t)before.st_ctim.tv_sec,
	    before.st_ctim.tv_nsec, (intmax_t)after.st_mtim.tv_sec,
	    after.st_mtim.tv_nsec);
	ATF_REQUIRE(munmap(p, 2 * ps) == 0);
	close(fd);
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, partial_last_page_tail_reads_zero);
	ATF_TP_ADD_TC(tp, partial_last_page_tail_writes_not_in_file);
	ATF_TP_ADD_TC(tp, page_beyond_eof_read_sigbus);
	ATF_TP_ADD_TC(tp, page_beyond_eof_write_sigbus_no_extend);
	ATF_TP_ADD_TC(tp, map_past_eof_succeeds_then_sigbus);
	ATF_TP_ADD_TC(tp, truncate_shared_cut_pages_sigbus);
	ATF_TP_ADD_TC(tp, truncate_private_cut_pages_sigbus);
	ATF_TP_ADD_TC(tp, extend_after_truncate_pages_valid_zero);
	ATF_TP_ADD_TC(tp, mapping_keeps_file_after_close_unlink);
	ATF_TP_ADD_TC(tp, shared_write_msync_updates_mtime_ctime);
	return atf_no_error();
}
