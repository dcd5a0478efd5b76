/*
 * t_msync: msync(2) and POSIX msync: writing shared file mappings back,
 * MS_ASYNC and MS_INVALIDATE, the errors, and private mappings.
 */
#include <sys/mman.h>
#include <sys/vfs.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mc.h"
#include "mc_err.h"
#include "mc_proc.h"

#ifndef TMPFS_MAGIC
#define TMPFS_MAGIC 0x01021994
#endif
#ifndef RAMFS_MAGIC
#define RAMFS_MAGIC 0x858458f6
#endif

/* Reads one byte of 'name' through a freshly opened descriptor. */
static unsigned char
byte_via_new_fd(const char *name, off_t off)
{
	int fd = open(name, O_RDONLY);
	unsigned char c;

	ATF_REQUIRE_MSG(fd >= 0, "open(%s): %s", name, strerror(errno));
	mc_pread_all(fd, &c, 1, off);
	close(fd);
	return c;
}

/*
 * MSYNC-1, -3 and -12 prove that the call is accepted and that the data is
 * in the file; read() would see it without msync (one page cache), so they
 * do not prove the write-back: MSYNC-2 does, by the pages' dirty state.
 */
MC_TC(ms_sync_data_reaches_file, "MSYNC-1",
    "After msync(MS_SYNC) of a shared file mapping the data is in the "
    "file: read() through a new descriptor sees it, and so does a reopen "
    "after munmap and close (the write-back itself: MSYNC-2)")
{
	size_t ps = mc_pagesize();
	int fd = mc_make_file("f", 2);
	unsigned char *p = mc_map_fd(fd, 2 * ps, PROT_READ | PROT_WRITE,
	    MAP_SHARED, 0);
	unsigned char c;

	p[5] = 's';
	p[ps + 5] = 't';
	MC_REQUIRE_OKF(msync(p, 2 * ps, MS_SYNC), "msync(p, 2 * ps, MS_SYNC)");
	c = byte_via_new_fd("f", 5);
	ATF_REQUIRE_MSG(c == 's', "read() on a new fd after MS_SYNC: %#x, "
	    "expected 's'", c);
	ATF_REQUIRE(munmap(p, 2 * ps) == 0);
	ATF_REQUIRE(close(fd) == 0);
	c = byte_via_new_fd("f", (off_t)(ps + 5));
	ATF_REQUIRE_MSG(c == 't', "read() after munmap, close and reopen: "
	    "%#x, expected 't'", c);
}

static long
dirty_kb(const void *p)
{
	long pd = mc_smaps_kb(p, "Private_Dirty");
	long sd = mc_smaps_kb(p, "Shared_Dirty");

	ATF_REQUIRE_MSG(pd >= 0 && sd >= 0, "no Private_Dirty/Shared_Dirty "
	    "in the smaps entry of %p", p);
	return pd + sd;
}

MC_TC(ms_sync_cleans_written_pages, "MSYNC-2",
    "msync(MS_SYNC) waits for the write-back: afterwards the written pages "
    "of the mapping are clean (smaps Private_Dirty and Shared_Dirty 0)")
{
	size_t ps = mc_pagesize();
	int fd = mc_make_file("f", 2);
	struct statfs sfs;
	unsigned char *p;
	long before, after;

	mc_require_smaps();
	ATF_REQUIRE(fstatfs(fd, &sfs) == 0);
	/* f_type is int on i386, long elsewhere: compare the 32-bit magic. */
	if ((uint32_t)sfs.f_type == (uint32_t)TMPFS_MAGIC ||
	    (uint32_t)sfs.f_type == (uint32_t)RAMFS_MAGIC)
		atf_tc_skip("the work directory is on tmpfs/ramfs: no backing "
		    "store, msync has nothing to write back");
	ATF_REQUIRE_MSG(fsync(fd) == 0, "fsync: %s", strerror(errno));
	p = mc_map_fd(fd, 2 * ps, PROT_READ | PROT_WRITE, MAP_SHARED, 0);
	p[0] = 'd';
	p[ps] = 'd';
	before = dirty_kb(p);
	if (before == 0)
		atf_tc_skip("smaps reports no dirty pages after writes here: "
		    "the write-back cannot be observed");
	ATF_REQUIRE_MSG((size_t)before >= 2 * ps / 1024, "two written pages: "
	    "expected >= %zu kB dirty, smaps says %ld kB", 2 * ps / 1024,
	    before);
	MC_REQUIRE_OKF(msync(p, 2 * ps, MS_SYNC), "msync(p, 2 * ps, MS_SYNC)");
	after = dirty_kb(p);
	ATF_REQUIRE_EQ_MSG(after, 0, "after msync(MS_SYNC): expected 0 kB "
	    "dirty, smaps says %ld kB (%ld kB before)", after, before);
	ATF_REQUIRE_MSG(byte_via_new_fd("f", (off_t)ps) == 'd', "data not in "
	    "the file");
	ATF_REQUIRE(munmap(p, 2 * ps) == 0);
	close(fd);
}

MC_TC(ms_async_accepted_data_reaches_file, "MSYNC-3",
    "msync(MS_ASYNC) succeeds and the data is in the file: read() through "
    "a new descriptor sees it, and after fsync, munmap and reopen too")
{
	size_t ps = mc_pagesize();
	int fd = mc_make_file("f", 1);
	unsigned char *p = mc_map_fd(fd, ps, PROT_READ | PROT_WRITE,
	    MAP_SHARED, 0);
	unsigned char c;

	p[9] = 'a';
	MC_REQUIRE_OKF(msync(p, ps, MS_ASYNC), "msync(p, ps, MS_ASYNC)");
	c = byte_via_new_fd("f", 9);
	ATF_REQUIRE_MSG(c == 'a', "read() on a new fd after MS_ASYNC: %#x, "
	    "expected 'a'", c);
	ATF_REQUIRE_MSG(fsync(fd) == 0, "fsync: %s", strerror(errno));
	ATF_REQUIRE(munmap(p, ps) == 0);
	ATF_REQUIRE(close(fd) == 0);
	c = byte_via_new_fd("f", 9);
	ATF_REQUIRE_MSG(c == 'a', "after munmap, close and reopen: %#x", c);
}

MC_TC(ms_invalidate_mappings_show_file_data, "MSYNC-4",
    "msync with MS_INVALIDATE (with MS_SYNC or MS_ASYNC) succeeds; "
    "afterwards the caller's writes are kept and in the file, another "
    "mapping shows them, and the mapping shows data written with write()")
{
	size_t ps = mc_pagesize();
	int fd = mc_make_file("f", 1);
	unsigned char *a = mc_map_fd(fd, ps, PROT_READ | PROT_WRITE,
	    MAP_SHARED, 0);
	unsigned char *b = mc_map_fd(fd, ps, PROT_READ, MAP_SHARED, 0);
	unsigned char c;

	a[0] = 'i';
	MC_REQUIRE_OKF(msync(a, ps, MS_SYNC | MS_INVALIDATE), "msync(a, ps, "
	    "MS_SYNC | MS_INVALIDATE)");
	ATF_REQUIRE_MSG(a[0] == 'i', "MS_INVALIDATE discarded the caller's "
	    "own write: %#x", a[0]);
	ATF_REQUIRE_MSG(b[0] == 'i', "another mapping shows %#x, expected "
	    "'i'", b[0]);
	mc_pread_all(fd, &c, 1, 0);
	ATF_REQUIRE_MSG(c == 'i', "file has %#x, expected 'i'", c);
	ATF_REQUIRE(pwrite(fd, "J", 1, 1) == 1);
	MC_REQUIRE_OKF(msync(b, ps, MS_ASYNC | MS_INVALIDATE), "msync(b, ps, "
	    "MS_ASYNC | MS_INVALIDATE)");
	ATF_REQUIRE_MSG(a[1] == 'J' && b[1] == 'J', "after write() and "
	    "MS_INVALIDATE the mappings show %#x and %#x, expected 'J'",
	    a[1], b[1]);
	ATF_REQUIRE(munmap(a, ps) == 0);
	ATF_REQUIRE(munmap(b, ps) == 0);
	close(fd);
}

MC_TC(ms_invalidate_on_locked_range_ebusy, "MSYNC-5",
    "msync with MS_INVALIDATE on a range that is memory-locked fails with "
    "EBUSY; without MS_INVALIDATE it succeeds")
{
	size_t ps = mc_pagesize();
	int fd = mc_make_file("f", 1);
	unsigned char *p = mc_map_fd(fd, ps, PROT_READ | PROT_WRITE,
	    MAP_SHARED, 0);

	mc_mlock_or_skip(p, ps);
	p[0] = 'l';
	MC_REQUIRE_ERRF(msync(p, ps, MS_SYNC | MS_INVALIDATE), EBUSY,
	    "msync(p, ps, MS_SYNC | MS_INVALIDATE): with MS_INVALIDATE on an "
	    "mlocked page");
	MC_REQUIRE_ERRF(msync(p, ps, MS_ASYNC | MS_INVALIDATE), EBUSY,
	    "msync(p, ps, MS_ASYNC | MS_INVALIDATE): with "
	    "MS_ASYNC|MS_INVALIDATE on an mlocked page");
	MC_REQUIRE_OKF(msync(p, ps, MS_SYNC), "msync(p, ps, MS_SYNC)");
	ATF_REQUIRE(munlock(p, ps) == 0);
	MC_REQUIRE_OKF(msync(p, ps, MS_SYNC | MS_INVALIDATE), "msync(p, ps, "
	    "MS_SYNC | MS_INVALIDATE)");
	ATF_REQUIRE(munmap(p, ps) == 0);
	close(fd);
}

MC_TC(sync_and_async_together_einval, "MSYNC-6",
    "msync with both MS_SYNC and MS_ASYNC fails with EINVAL")
{
	size_t ps = mc_pagesize();
	int fd = mc_make_file("f", 1);
	unsigned char *p = mc_map_fd(fd, ps, PROT_READ | PROT_WRITE,
	    MAP_SHARED, 0);

	MC_REQUIRE_ERRF(msync(p, ps, MS_SYNC | MS_ASYNC), EINVAL, "msync(p, "
	    "ps, MS_SYNC | MS_ASYNC): with MS_SYNC|MS_ASYNC");
	MC_REQUIRE_ERRF(msync(p, ps, MS_SYNC | MS_ASYNC | MS_INVALIDATE), EINVAL,
	    "msync(p, ps, MS_SYNC | MS_ASYNC | MS_INVALIDATE): with "
	    "MS_SYNC|MS_ASYNC|MS_INVALIDATE");
	ATF_REQUIRE(munmap(p, ps) == 0);
	close(fd);
}

MC_TC(unknown_flag_einval, "MSYNC-7",
    "msync with a flag bit other than MS_ASYNC, MS_SYNC and MS_INVALIDATE "
    "fails with EINVAL")
{
	size_t ps = mc_pagesize();
	int fd = mc_make_file("f", 1);
	unsigned char *p = mc_map_fd(fd, ps, PROT_READ | PROT_WRITE,
	    MAP_SHARED, 0);
	const int known = MS_ASYNC | MS_SYNC | MS_INVALIDATE;
	int bit;

	/* The lowest bit above the known ones, and a high one. */
	for (bit = 1; bit & known || bit < known; bit <<= 1)
		;
	MC_REQUIRE_ERRF(msync(p, ps, MS_SYNC | bit), EINVAL, "msync(p, ps, "
	    "MS_SYNC | bit): with the lowest unknown flag bit");
	MC_REQUIRE_ERRF(msync(p, ps, MS_SYNC | (1 << 20)), EINVAL, "msync(p, "
	    "ps, MS_SYNC | (1 << 20)): with flag bit 20");
	ATF_REQUIRE(munmap(p, ps) == 0);
	close(fd);
}

MC_TC(unaligned_addr_einval, "MSYNC-8",
    "msync with an address that is not page aligned fails with EINVAL")
{
	size_t ps = mc_pagesize();
	int fd = mc_make_file("f", 2);
	unsigned char *p = mc_map_fd(fd, 2 * ps, PROT_READ | PROT_WRITE,
	    MAP_SHARED, 0);

	MC_REQUIRE_ERRF(msync(p + 1, ps, MS_SYNC), EINVAL, "msync(p + 1, ps, "
	    "MS_SYNC): at page start + 1");
	MC_REQUIRE_ERRF(msync(p + ps / 2, ps, MS_ASYNC), EINVAL, "msync(p + "
	    "ps / 2, ps, MS_ASYNC): at half a page");
	ATF_REQUIRE(munmap(p, 2 * ps) == 0);
	close(fd);
}

MC_TC(unmapped_range_enomem, "MSYNC-9",
    "msync of a range where nothing is mapped fails with ENOMEM, whatever "
    "the flags")
{
	size_t ps = mc_pagesize();
	unsigned char *p = mc_map_anon(2 * ps, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE);
	const int flags[3] = { MS_SYNC, MS_ASYNC, MS_SYNC | MS_INVALIDATE };

	ATF_REQUIRE(munmap(p, 2 * ps) == 0);
	for (int i = 0; i < 3; i++)
		MC_REQUIRE_ERRF(msync(p, 2 * ps, flags[i]), ENOMEM, "msync(p, "
		    "2 * ps, %#x): of an unmapped range", (unsigned)flags[i]);
}

MC_TC(partly_unmapped_range_enomem, "MSYNC-10",
    "msync of a range that is only partly mapped fails with ENOMEM, "
    "whether the hole is at the start, in the middle or at the end")
{
	size_t ps = mc_pagesize();
	int fd = mc_make_file("f", 4);
	/* pages: 0 mapped, 1 hole, 2 mapped, 3 hole */
	unsigned char *p = mc_map_fd(fd, 4 * ps, PROT_READ | PROT_WRITE,
	    MAP_SHARED, 0);

	ATF_REQUIRE(munmap(p + ps, ps) == 0);
	ATF_REQUIRE(munmap(p + 3 * ps, ps) == 0);
	MC_REQUIRE_ERRF(msync(p, 3 * ps, MS_SYNC), ENOMEM, "msync(p, 3 * ps, "
	    "MS_SYNC): over mapped, hole, mapped pages");
	MC_REQUIRE_ERRF(msync(p + ps, 2 * ps, MS_SYNC), ENOMEM, "msync(p + "
	    "ps, 2 * ps, MS_SYNC): over a hole then a mapped page");
	MC_REQUIRE_ERRF(msync(p + ps, 2 * ps, MS_ASYNC), ENOMEM, "msync(p + "
	    "ps, 2 * ps, MS_ASYNC): (MS_ASYNC) over a hole then a mapped "
	    "page");
	MC_REQUIRE_ERRF(msync(p + 2 * ps, 2 * ps, MS_SYNC), ENOMEM, "msync(p "
	    "+ 2 * ps, 2 * ps, MS_SYNC): over a mapped page then a hole");
	ATF_REQUIRE(munmap(p, 4 * ps) == 0);
	close(fd);
}

MC_TC(private_mapping_msync_leaves_file, "MSYNC-11",
    "msync (MS_SYNC, MS_ASYNC, MS_INVALIDATE) of a private file mapping "
    "succeeds and writes nothing to the file; the private data stays")
{
	size_t ps = mc_pagesize();
	int fd = mc_make_file("f", 1);
	unsigned char *p = mc_map_fd(fd, ps, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE, 0);
	unsigned char c;

	memset(p, 'v', ps);
	MC_REQUIRE_OKF(msync(p, ps, MS_SYNC), "msync(p, ps, MS_SYNC)");
	MC_REQUIRE_OKF(msync(p, ps, MS_ASYNC), "msync(p, ps, MS_ASYNC)");
	MC_REQUIRE_OKF(msync(p, ps, MS_SYNC | MS_INVALIDATE), "msync(p, ps, "
	    "MS_SYNC | MS_INVALIDATE)");
	c = byte_via_new_fd("f", 0);
	ATF_REQUIRE_MSG(c == mc_pattern(0), "the file has %#x after msync of "
	    "a private mapping, expected its original %#x", c,
	    mc_pattern(0));
	ATF_REQUIRE_MSG(mc_all_bytes(p, ps, 'v'), "the private data changed "
	    "after msync");
	ATF_REQUIRE(munmap(p, ps) == 0);
	ATF_REQUIRE(close(fd) == 0);
	c = byte_via_new_fd("f", 0);
	ATF_REQUIRE_MSG(c == mc_pattern(0), "after munmap and close the file "
	    "has %#x, expected %#x", c, mc_pattern(0));
}

MC_TC(no_sync_flag_accepted_linux, "MSYNC-12",
    "Linux accepts msync with neither MS_SYNC nor MS_ASYNC (flags 0, or "
    "MS_INVALIDATE alone) and the data is in the file")
{
	size_t ps = mc_pagesize();
	int fd = mc_make_file("f", 1);
	unsigned char *p = mc_map_fd(fd, ps, PROT_READ | PROT_WRITE,
	    MAP_SHARED, 0);

	p[3] = 'z';
	MC_REQUIRE_OKF(msync(p, ps, 0), "msync(p, ps, 0)");
	MC_REQUIRE_OKF(msync(p, ps, MS_INVALIDATE), "msync(p, ps, "
	    "MS_INVALIDATE)");
	ATF_REQUIRE_MSG(byte_via_new_fd("f", 3) == 'z', "data not in the "
	    "file");
	ATF_REQUIRE(munmap(p, ps) == 0);
	close(fd);
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, ms_sync_data_reaches_file);
	ATF_TP_ADD_TC(tp, ms_sync_cleans_written_pages);
	ATF_TP_ADD_TC(tp, ms_async_accepted_data_reaches_file);
	ATF_TP_ADD_TC(tp, ms_invalidate_mappings_show_file_data);
	ATF_TP_ADD_TC(tp, ms_invalidate_on_locked_range_ebusy);
	ATF_TP_ADD_TC(tp, sync_and_async_together_einval);
	ATF_TP_ADD_TC(tp, unknown_flag_einval);
	ATF_TP_ADD_TC(tp, unaligned_addr_einval);
	ATF_TP_ADD_TC(tp, unmapped_range_enomem);
	ATF_TP_ADD_TC(tp, partly_unmapped_range_enomem);
	ATF_TP_ADD_TC(tp, private_mapping_msync_leaves_file);
	ATF_TP_ADD_TC(tp, no_sync_flag_accepted_linux);
	return atf_no_error();
}
