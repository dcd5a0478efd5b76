/*
 * t_privfile: private file mappings (design note §2, "Private file
 * mapping"): processes initialise their mapping from the same physical
 * (page-cache) pages, but each one's changes are its own and never reach
 * the file.
 *
 * "Other process" below is a worker child (mc_worker.h) that opens the file
 * by name and maps it itself; it never inherits the test's mapping.
 */
#include <sys/mman.h>

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mc_worker.h"

#define FNAME "privfile.dat"
#define NPAGES 4

/* ---- PRIVFILE-1 --------------------------------------------------------- */

MC_TC(private_mapping_starts_with_file_contents, "PRIVFILE-1",
    "A MAP_PRIVATE mapping of a file (read-only and read-write) holds, "
    "byte for byte, what read() returns for the file")
{
	size_t ps = mc_pagesize(), len = NPAGES * ps;
	unsigned char *want = malloc(len), *got = malloc(len);
	uint32_t x = 0x9e3779b9u;
	int fd;

	ATF_REQUIRE(want != NULL && got != NULL);
	/* Irregular contents: every byte counts, not just a fill pattern. */
	for (size_t i = 0; i < len; i++) {
		x = x * 1664525u + 1013904223u;
		want[i] = (unsigned char)(x >> 24);
	}
	fd = open(FNAME, O_RDWR | O_CREAT | O_TRUNC, 0600);
	ATF_REQUIRE_MSG(fd >= 0, "open(%s): %s", FNAME, strerror(errno));
	ATF_REQUIRE_MSG(write(fd, want, len) == (ssize_t)len, "write(%s): %s",
	    FNAME, strerror(errno));
	mc_pread_all(fd, got, len, 0);
	ATF_REQUIRE_MSG(memcmp(got, want, len) == 0, "read() of %s does not "
	    "return what was written", FNAME);

	for (int rw = 0; rw <= 1; rw++) {
		int prot = rw ? PROT_READ | PROT_WRITE : PROT_READ;
		unsigned char *p = mmap(NULL, len, prot, MAP_PRIVATE, fd, 0);

		ATF_REQUIRE_MSG(p != MAP_FAILED, "mmap(%s, MAP_PRIVATE, %s): "
		    "%s", FNAME, rw ? "PROT_READ|PROT_WRITE" : "PROT_READ",
		    strerror(errno));
		for (size_t i = 0; i < len; i++)
			ATF_REQUIRE_MSG(p[i] == want[i], "MAP_PRIVATE %s "
			    "mapping, byte %zu (page %zu): %#x, but the file "
			    "holds %#x", rw ? "read-write" : "read-only", i,
			    i / ps, p[i], want[i]);
		ATF_REQUIRE(munmap(p, len) == 0);
	}
	close(fd);
	free(want);
	free(got);
}

/* ---- PRIVFILE-2 --------------------------------------------------------- */

MC_TC(private_mappings_share_page_cache_pages_until_write, "PRIVFILE-2",
    "Two processes that privately map and read the same file map the same "
    "physical (page-cache) pages; after one writes a page, only that "
    "process's page changes (PFN and file-page bit), the other keeps the "
    "shared one")
{
	size_t ps = mc_pagesize(), wp = 1, off = ps / 4, len = 16;
	bool pm = mc_pm_flags_readable(), pfns = mc_pfns_visible(NULL);
	struct mc_worker_report me, other, me2, other2, shr;
	const struct mc_view v[] = { { "test process", &me },
	    { "other process", &other } };
	struct mc_child ch;
	int fd = mc_make_file(FNAME, NPAGES);
	unsigned char *p = mc_map_file(fd, FNAME, NPAGES, MAP_PRIVATE);
	unsigned char *s = mc_map_file(fd, FNAME, NPAGES, MAP_SHARED);

	/* Both processes read every page (summarising reads every byte). */
	mc_worker_summarise(p, NPAGES, &me);
	mc_worker_summarise(s, NPAGES, &shr);
	mc_worker_start(&ch, "other process", FNAME, MAP_PRIVATE, NPAGES,
	    &other);
	mc_require_views_pristine(v, 2, NPAGES, pm);
	if (pfns)
		for (size_t i = 0; i < NPAGES; i++) {
			uint64_t a = mc_worker_pfn("test process", &me, i);
			uint64_t b = mc_worker_pfn("other process", &other, i);
			uint64_t c = mc_worker_pfn("test process (MAP_SHARED)",
			    &shr, i);

			ATF_REQUIRE_MSG(a == b, "page %zu: expected both "
			    "private mappings on the same physical page, test "
			    "process PFN %#jx, other process PFN %#jx", i,
			    (uintmax_t)a, (uintmax_t)b);
			ATF_REQUIRE_MSG(a == c, "page %zu: expected the "
			    "private mapping on the page-cache page (PFN %#jx "
			    "through MAP_SHARED), got PFN %#jx", i,
			    (uintmax_t)c, (uintmax_t)a);
		}

	/* The other process writes page wp: it alone gets a new page. */
	mc_worker_write(&ch, "other process", wp * ps + off, len, 'w', &other2);
	mc_worker_summarise(p, NPAGES, &me2);
	for (size_t i = 0; i < NPAGES; i++) {
		mc_require_pristine("test process after the other's write",
		    &me2, i);
		if (i == wp)
			mc_require_changed("other process after its write",
			    &other2, i, off, len, 'w');
		else
			mc_require_pristine("other process after its write",
			    &other2, i);
	}
	if (pm) {
		mc_require_file_bit("other process after its write", &other2,
		    wp, false);
		mc_require_file_bit("test process after the other's write",
		    &me2, wp, true);
	}
	if (pfns)
		for (size_t i = 0; i < NPAGES; i++) {
			uint64_t a0 = mc_worker_pfn("test process", &me, i);
			uint64_t a = mc_worker_pfn("test process", &me2, i);
			uint64_t b = mc_worker_pfn("other process", &other2, i);

			ATF_REQUIRE_MSG(a == a0, "page %zu: the test process's "
			    "PFN changed from %#jx to %#jx although only the "
			    "other process wrote", i, (uintmax_t)a0,
			    (uintmax_t)a);
			if (i == wp)
				ATF_REQUIRE_MSG(b != a, "page %zu: expected "
				    "the writer on a new physical page, but "
				    "it still shares PFN %#jx", i,
				    (uintmax_t)a);
			else
				ATF_REQUIRE_MSG(b == a, "page %zu (not "
				    "written): expected still shared, test "
				    "process PFN %#jx, other process PFN %#jx",
				    i, (uintmax_t)a, (uintmax_t)b);
		}
	mc_worker_quit(&ch);
	ATF_REQUIRE(munmap(p, NPAGES * ps) == 0);
	ATF_REQUIRE(munmap(s, NPAGES * ps) == 0);
	close(fd);
	mc_require_pfns();
}

/* ---- PRIVFILE-3 --------------------------------------------------------- */

MC_TC(private_write_not_visible_through_read, "PRIVFILE-3",
    "Writes to a MAP_PRIVATE file mapping (to a page read before and to a "
    "page never touched) are seen by the writer only, not by read() of the "
    "file")
{
	size_t ps = mc_pagesize(), off = ps / 2, len = 32;
	int fd = mc_make_file(FNAME, NPAGES);
	unsigned char *p = mc_map_file(fd, FNAME, NPAGES, MAP_PRIVATE);
	struct mc_worker_report me;

	(void)*(volatile unsigned char *)p;            /* page 0: read first */
	memset(p + off, 'x', len);                     /* ... then written */
	memset(p + 2 * ps + off, 'y', len);            /* page 2: write only */
	mc_worker_summarise(p, NPAGES, &me);
	mc_require_changed("writer's mapping", &me, 0, off, len, 'x');
	mc_require_changed("writer's mapping", &me, 2, off, len, 'y');
	mc_require_pristine("writer's mapping", &me, 1);
	mc_require_pristine("writer's mapping", &me, 3);
	mc_require_file_pristine(FNAME, NPAGES, "after writes to a private "
	    "mapping");
	ATF_REQUIRE(munmap(p, NPAGES * ps) == 0);
	close(fd);
}

/*
 * A private write by the test process; a worker that mapped the file with
 * 'flags' before the write and one that maps it after must both see the
 * original contents.
 */
static void
private_write_hidden_from(int flags)
{
	size_t ps = mc_pagesize(), wp = 1, off = ps / 4, len = 64;
	const char *kind = flags == MAP_SHARED ? "MAP_SHARED" : "MAP_PRIVATE";
	char before[64], after[64];
	struct mc_child early, late;
	struct mc_worker_report r, me;
	int fd = mc_make_file(FNAME, NPAGES);
	unsigned char *p = mc_map_file(fd, FNAME, NPAGES, MAP_PRIVATE);

	snprintf(before, sizeof(before), "process with a %s mapping made "
	    "before the write", kind);
	snprintf(after, sizeof(after), "process with a %s mapping made "
	    "after the write", kind);
	/* The writer read the page first. */
	mc_worker_summarise(p, NPAGES, &me);
	mc_worker_start(&early, before, FNAME, flags, NPAGES, &r);
	mc_require_pristine(before, &r, wp);

	memset(p + wp * ps + off, 'p', len);
	mc_worker_summarise(p, NPAGES, &me);
	mc_require_changed("writer's private mapping", &me, wp, off, len, 'p');

	mc_worker_observe(&early, before, &r);
	for (size_t i = 0; i < NPAGES; i++)
		mc_require_pristine(before, &r, i);
	mc_worker_start(&late, after, FNAME, flags, NPAGES, &r);
	for (size_t i = 0; i < NPAGES; i++)
		mc_require_pristine(after, &r, i);
	mc_worker_quit(&early);
	mc_worker_quit(&late);
	mc_require_file_pristine(FNAME, NPAGES, "after a write to a private "
	    "mapping");
	ATF_REQUIRE(munmap(p, NPAGES * ps) == 0);
	close(fd);
}

MC_TC(private_write_not_visible_to_other_private_mapping, "PRIVFILE-3",
    "A write to a MAP_PRIVATE file mapping is not seen by another process "
    "that maps the file MAP_PRIVATE, whether it mapped before or after "
    "the write")
{
	private_write_hidden_from(MAP_PRIVATE);
}

MC_TC(private_write_not_visible_to_other_shared_mapping, "PRIVFILE-3",
    "A write to a MAP_PRIVATE file mapping is not seen by another process "
    "that maps the file MAP_SHARED, whether it mapped before or after the "
    "write")
{
	private_write_hidden_from(MAP_SHARED);
}

/* ---- PRIVFILE-4 --------------------------------------------------------- */

/* Sets every page of a private mapping to 'z' and checks the writer sees it. */
static void
dirty_all(unsigned char *p)
{
	size_t ps = mc_pagesize();

	memset(p, 'z', NPAGES * ps);
	ATF_REQUIRE_MSG(mc_all_bytes(p, NPAGES * ps, 'z'), "the writer does "
	    "not read back its own writes to its private mapping");
}

MC_TC(private_write_not_in_file_after_msync, "PRIVFILE-4",
    "msync(MS_SYNC) and fsync() of a dirtied MAP_PRIVATE file mapping "
    "succeed and leave the file unchanged")
{
	size_t ps = mc_pagesize();
	int fd = mc_make_file(FNAME, NPAGES);
	unsigned char *p = mc_map_file(fd, FNAME, NPAGES, MAP_PRIVATE);

	dirty_all(p);
	ATF_REQUIRE_MSG(msync(p, NPAGES * ps, MS_SYNC) == 0, "msync(MS_SYNC) "
	    "of a private file mapping: expected success, got %s",
	    strerror(errno));
	ATF_REQUIRE_MSG(fsync(fd) == 0, "fsync: %s", strerror(errno));
	mc_require_file_pristine(FNAME, NPAGES, "after msync(MS_SYNC) of a "
	    "written private mapping");
	ATF_REQUIRE_MSG(mc_all_bytes(p, NPAGES * ps, 'z'), "msync changed the "
	    "private mapping's own contents");
	ATF_REQUIRE(munmap(p, NPAGES * ps) == 0);
	close(fd);
}

MC_TC(private_write_not_in_file_after_munmap, "PRIVFILE-4",
    "After munmap of a written MAP_PRIVATE file mapping, the file and a "
    "new mapping of it hold the original contents")
{
	size_t ps = mc_pagesize();
	int fd = mc_make_file(FNAME, NPAGES);
	unsigned char *p = mc_map_file(fd, FNAME, NPAGES, MAP_PRIVATE);
	struct mc_worker_report r;

	dirty_all(p);
	ATF_REQUIRE_MSG(munmap(p, NPAGES * ps) == 0, "munmap: %s",
	    strerror(errno));
	close(fd);
	mc_require_file_pristine(FNAME, NPAGES, "after munmap of a written "
	    "private mapping");
	fd = open(FNAME, O_RDONLY);
	ATF_REQUIRE_MSG(fd >= 0, "open(%s): %s", FNAME, strerror(errno));
	p = mmap(NULL, NPAGES * ps, PROT_READ, MAP_SHARED, fd, 0);
	ATF_REQUIRE_MSG(p != MAP_FAILED, "mmap(%s, MAP_SHARED): %s", FNAME,
	    strerror(errno));
	mc_worker_summarise(p, NPAGES, &r);
	for (size_t i = 0; i < NPAGES; i++)
		mc_require_pristine("a new MAP_SHARED mapping after the munmap",
		    &r, i);
	ATF_REQUIRE(munmap(p, NPAGES * ps) == 0);
	close(fd);
}

MC_TC(private_write_not_in_file_after_process_exit, "PRIVFILE-4",
    "A process that writes every page of its MAP_PRIVATE file mapping and "
    "exits leaves the file unchanged")
{
	size_t ps = mc_pagesize();
	struct mc_child ch;
	struct mc_worker_report r;
	int fd = mc_make_file(FNAME, NPAGES);

	close(fd);
	mc_worker_start(&ch, "writer process", FNAME, MAP_PRIVATE, NPAGES, &r);
	mc_worker_write(&ch, "writer process", 0, NPAGES * ps, 'z', &r);
	for (size_t i = 0; i < NPAGES; i++)
		mc_require_changed("writer process", &r, i, 0, ps, 'z');
	mc_worker_quit(&ch); /* exits with its dirty private pages mapped */
	mc_require_file_pristine(FNAME, NPAGES, "after the writer of a private "
	    "mapping exited");
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, private_mapping_starts_with_file_contents);
	ATF_TP_ADD_TC(tp, private_mappings_share_page_cache_pages_until_write);
	ATF_TP_ADD_TC(tp, private_write_not_visible_through_read);
	ATF_TP_ADD_TC(tp, private_write_not_visible_to_other_private_mapping);
	ATF_TP_ADD_TC(tp, private_write_not_visible_to_other_shared_mapping);
	ATF_TP_ADD_TC(tp, private_write_not_in_file_after_msync);
	ATF_TP_ADD_TC(tp, private_write_not_in_file_after_munmap);
	ATF_TP_ADD_TC(tp, private_write_not_in_file_after_process_exit);
	return atf_no_error();
}
