/*
 * t_api: the mmap(2) interface of the design note (§4) and the manual:
 * where the mapping goes (addr), how long it is (length), the mapping type
 * flags, the file descriptor and the file offset.
 */
#include <sys/mman.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "mc.h"
#include "mc_err.h"

#define RW (PROT_READ | PROT_WRITE)

static bool
page_aligned(const void *p)
{
	return (uintptr_t)p % mc_pagesize() == 0;
}

static size_t
round_pages(size_t len)
{
	size_t ps = mc_pagesize();

	return (len + ps - 1) / ps * ps;
}

/* Require that /proc/self/maps shows exactly [p, p+len) for p's mapping. */
static void
require_exact_range(const void *p, size_t len, const char *what)
{
	uintptr_t s = 0, e = 0;

	ATF_REQUIRE_MSG(mc_maps_range(p, &s, &e), "%s: %p missing from "
	    "/proc/self/maps", what, p);
	ATF_REQUIRE_MSG(s == (uintptr_t)p && e == (uintptr_t)p + len, "%s: "
	    "expected [%p, %p) (%zu pages) in /proc/self/maps, got "
	    "[%#jx, %#jx)", what, p, (const void *)((uintptr_t)p + len),
	    len / mc_pagesize(), (uintmax_t)s, (uintmax_t)e);
}

/* ---- API-1: addr ------------------------------------------------------- */

MC_TC(null_addr_kernel_chooses_page_aligned_address, "API-1",
    "mmap(NULL, ...) places the mapping at a page-aligned address of the "
    "kernel's choice, for anonymous and file mappings of any length")
{
	size_t ps = mc_pagesize();
	const size_t lens[] = { 1, ps / 2, ps - 1, ps, ps + 1, 3 * ps };
	int fd = mc_make_file("f", 3);

	for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		for (int file = 0; file <= 1; file++) {
			char what[96];
			unsigned char *p;
			uintptr_t s, e;

			snprintf(what, sizeof(what), "mmap(NULL, %zu bytes, "
			    "%s)", lens[i], file ? "file" : "anonymous");
			p = mc_require_mmap_ok(mmap(NULL, lens[i], RW,
			    file ? MAP_SHARED : MAP_PRIVATE | MAP_ANONYMOUS,
			    file ? fd : -1, 0), what);
			ATF_REQUIRE_MSG(page_aligned(p), "%s: expected a "
			    "multiple of the page size %zu, got %p", what, ps,
			    (void *)p);
			ATF_REQUIRE_MSG(mc_maps_range(p, &s, &e) &&
			    s <= (uintptr_t)p &&
			    e >= (uintptr_t)p + round_pages(lens[i]),
			    "%s = %p: /proc/self/maps does not show "
			    "[%p, +%zu) mapped", what, (void *)p, (void *)p,
			    round_pages(lens[i]));
			MC_REQUIRE_NO_FAULT(p, MC_READ);
			ATF_REQUIRE_MSG(munmap(p, lens[i]) == 0, "munmap(%p, "
			    "%zu): %s", (void *)p, lens[i], strerror(errno));
		}
	}
	close(fd);
}

MC_TC(hint_at_free_range_is_used, "API-1",
    "A page-aligned hint at a free range, without MAP_FIXED, places the "
    "mapping there (Linux attempts the hint first)")
{
	size_t ps = mc_pagesize();
	unsigned char *h = mc_free_hole(4);
	unsigned char *want = h + ps;
	unsigned char *p = mc_require_mmap_ok(mmap(want, 2 * ps, RW,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0), "mmap(hint at a free range)");

	ATF_REQUIRE_EQ_MSG(p, want, "mmap(hint %p, 2 pages, no MAP_FIXED) "
	    "over a range known to be free: expected the mapping at the hint, "
	    "got %p", (void *)want, (void *)p);
	p[0] = 1;
	p[2 * ps - 1] = 2;
	ATF_REQUIRE(munmap(p, 2 * ps) == 0);
}

MC_TC(unaligned_hint_gives_nearby_page_boundary, "API-1",
    "A hint that is not page-aligned is not an error: the mapping goes to "
    "a page boundary next to the hint when that range is free")
{
	size_t ps = mc_pagesize();
	unsigned char *h = mc_free_hole(4);
	unsigned char *hint = h + ps + 1;
	unsigned char *p = mc_require_mmap_ok(mmap(hint, ps, RW,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0), "mmap(unaligned hint)");

	ATF_REQUIRE_MSG(page_aligned(p), "mmap(hint %p): expected a "
	    "page-aligned address, got %p", (void *)hint, (void *)p);
	ATF_REQUIRE_MSG(p == h + ps || p == h + 2 * ps, "mmap(hint %p) over "
	    "a free range: expected the page boundary below (%p) or above "
	    "(%p) the hint, got %p", (void *)hint, (void *)(h + ps),
	    (void *)(h + 2 * ps), (void *)p);
	ATF_REQUIRE(munmap(p, ps) == 0);
}

MC_TC(hint_at_occupied_range_gives_other_address, "API-1",
    "A hint at a range that is already mapped, without MAP_FIXED, gives "
    "another address and leaves the existing mapping untouched")
{
	size_t ps = mc_pagesize();
	/* Shared anonymous: never merged with a neighbour in maps. */
	unsigned char *a = mc_map_anon(2 * ps, RW, MAP_SHARED);
	char before[1024], after[1024];
	unsigned char *p;

	memset(a, 'h', 2 * ps);
	ATF_REQUIRE_MSG(mc_maps_line(a, before, sizeof(before)),
	    "existing mapping %p missing from /proc/self/maps", (void *)a);
	for (size_t pages = 1; pages <= 3; pages++) {
		size_t len = pages * ps;

		p = mc_require_mmap_ok(mmap(a, len, RW, MAP_PRIVATE |
		    MAP_ANONYMOUS, -1, 0), "mmap(hint at an occupied range)");
		ATF_REQUIRE_MSG((uintptr_t)p + len <= (uintptr_t)a ||
		    (uintptr_t)p >= (uintptr_t)a + 2 * ps, "mmap(hint %p, "
		    "%zu pages, no MAP_FIXED) where a 2-page mapping exists: "
		    "expected a range outside it, got %p", (void *)a, pages,
		    (void *)p);
		ATF_REQUIRE_MSG(page_aligned(p), "expected a page-aligned "
		    "address, got %p", (void *)p);
		ATF_REQUIRE_MSG(mc_all_bytes(p, len, 0), "the new mapping "
		    "at %p is not zero-filled", (void *)p);
		ATF_REQUIRE_MSG(mc_all_bytes(a, 2 * ps, 'h'), "mmap(hint "
		    "%p, %zu pages) changed the contents of the existing "
		    "mapping", (void *)a, pages);
		ATF_REQUIRE(mc_maps_line(a, after, sizeof(after)));
		ATF_REQUIRE_MSG(strcmp(before, after) == 0, "the existing "
		    "mapping changed in /proc/self/maps: before '%s', after "
		    "'%s'", before, after);
		ATF_REQUIRE(munmap(p, len) == 0);
	}
	ATF_REQUIRE(munmap(a, 2 * ps) == 0);
}

MC_TC(hint_below_mmap_min_addr_is_not_an_error, "API-1",
    "A hint below vm.mmap_min_addr without MAP_FIXED is only a hint: the "
    "mapping is created at or above mmap_min_addr")
{
	size_t ps = mc_pagesize();
	FILE *f = fopen("/proc/sys/vm/mmap_min_addr", "r");
	unsigned long min = 0;
	uintptr_t hint;
	unsigned char *p;

	if (f == NULL)
		atf_tc_skip("/proc/sys/vm/mmap_min_addr not readable: %s",
		    strerror(errno));
	ATF_REQUIRE_MSG(fscanf(f, "%lu", &min) == 1, "cannot parse "
	    "/proc/sys/vm/mmap_min_addr");
	fclose(f);
	if (min == 0)
		atf_tc_skip("vm.mmap_min_addr is 0: no address is below it");
	/* A non-NULL page below the limit, else an unaligned one. */
	hint = min >= 2 * ps ? (min / ps - 1) * ps : min - 1;
	p = mc_require_mmap_ok(mmap((void *)hint, ps, RW,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0), "mmap(hint below "
	    "mmap_min_addr)");
	ATF_REQUIRE_MSG((uintptr_t)p >= min && page_aligned(p), "mmap(hint "
	    "%#jx, no MAP_FIXED) with vm.mmap_min_addr %lu: expected a "
	    "page-aligned address >= %#lx, got %p", (uintmax_t)hint, min, min,
	    (void *)p);
	p[0] = 1;
	ATF_REQUIRE(munmap(p, ps) == 0);
}

/* ---- API-2: length ----------------------------------------------------- */

MC_TC(length_rounds_up_to_whole_pages_zero_filled, "API-2",
    "A length that is not a multiple of the page size maps whole pages: "
    "the tail of the last page is mapped, zero-filled and writable")
{
	size_t ps = mc_pagesize();
	const size_t lens[] = { 1, ps / 2, ps - 1, ps + 1, 2 * ps - 1 };
	int fd = mc_make_file("f", 1);

	for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		size_t len = lens[i], full = round_pages(len);
		int flags[] = { MAP_PRIVATE | MAP_ANONYMOUS,
		    MAP_SHARED | MAP_ANONYMOUS };

		for (size_t j = 0; j < 2; j++) {
			unsigned char *p = mc_require_mmap_ok(mmap(NULL, len,
			    RW, flags[j], -1, 0), "mmap(anonymous, unaligned "
			    "length)");

			MC_REQUIRE_NO_FAULT(p + full - 1, MC_READ);
			ATF_REQUIRE_MSG(mc_all_bytes(p, full, 0), "mmap(%zu "
			    "bytes, %s): the %zu bytes of the rounded-up "
			    "pages are not all zero", len, j ? "MAP_SHARED" :
			    "MAP_PRIVATE", full);
			/*
			 * A shared anonymous mapping is an object of its own,
			 * never merged with a neighbour: its maps entry must
			 * be exactly the rounded-up length.
			 */
			if (flags[j] & MAP_SHARED)
				require_exact_range(p, full, "mmap(MAP_SHARED|"
				    "MAP_ANONYMOUS, unaligned length)");
			memset(p + len, 0x5a, full - len);
			ATF_REQUIRE_MSG(mc_all_bytes(p + len, full - len,
			    0x5a), "the tail [%zu, %zu) of a %zu-byte mapping "
			    "did not keep what was written", len, full, len);
			ATF_REQUIRE(munmap(p, len) == 0);
		}
	}

	/* A file mapping of a part of a page maps the whole page. */
	unsigned char *p = mc_require_mmap_ok(mmap(NULL, ps / 2, PROT_READ,
	    MAP_SHARED, fd, 0), "mmap(file, half a page)");
	ATF_REQUIRE_MSG(mc_all_bytes(p, ps, mc_pattern(0)), "mmap(file, %zu "
	    "bytes): expected the whole first page (%zu bytes of '%c') "
	    "readable", ps / 2, ps, mc_pattern(0));
	require_exact_range(p, ps, "mmap(file, half a page)");
	ATF_REQUIRE(munmap(p, ps / 2) == 0);
	close(fd);
}

MC_TC(length_rounds_up_no_further_than_last_page, "API-2",
    "A mapping of n bytes covers exactly ceil(n / page size) pages: the "
    "page after it stays unmapped (SIGSEGV/SEGV_MAPERR)")
{
	size_t ps = mc_pagesize();
	const size_t lens[] = { 1, ps / 2, ps - 1, ps + 1, 2 * ps - 1 };

	for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		size_t len = lens[i], full = round_pages(len);
		size_t n = full / ps;
		unsigned char *r, *p;
		uintptr_t s, e;

		/*
		 * Reserve n+1 pages, release the last one, and map over the
		 * first n (MAP_FIXED inside our own reservation): the page
		 * after the mapping is known to hold nothing, wherever the
		 * kernel put the reservation. No allocation happens between
		 * the munmap and the fault probe.
		 */
		r = mc_map_anon(full + ps, PROT_NONE, MAP_PRIVATE);
		ATF_REQUIRE_MSG(munmap(r + full, ps) == 0, "munmap(last page "
		    "of the reservation): %s", strerror(errno));
		p = mc_require_mmap_ok(mmap(r, len, RW, MAP_PRIVATE |
		    MAP_ANONYMOUS | MAP_FIXED, -1, 0), "mmap(MAP_FIXED, "
		    "unaligned length, inside a reservation)");
		ATF_REQUIRE_EQ_MSG(p, r, "mmap(MAP_FIXED at %p) returned %p",
		    (void *)r, (void *)p);
		MC_REQUIRE_NO_FAULT(p + full - 1, MC_WRITE);
		MC_REQUIRE_FAULT(p + full, MC_READ, SIGSEGV, SEGV_MAPERR);
		ATF_REQUIRE_MSG(mc_maps_range(p, &s, &e) &&
		    e == (uintptr_t)(p + full), "mmap(%p, %zu bytes): expected "
		    "the mapping to end at %p (%zu pages), /proc/self/maps "
		    "says it ends at %#jx", (void *)p, len, (void *)(p + full),
		    n, (uintmax_t)e);
		ATF_REQUIRE(munmap(p, full) == 0);
	}
}

MC_TC(length_zero_einval, "API-2",
    "mmap with length 0 fails with EINVAL (anonymous and file, private "
    "and shared)")
{
	int fd = mc_make_file("f", 1);

	mc_require_mmap_fails(mmap(NULL, 0, RW, MAP_PRIVATE | MAP_ANONYMOUS, -1,
	    0), 0, EINVAL, "mmap(length 0, MAP_PRIVATE|MAP_ANONYMOUS)");
	mc_require_mmap_fails(mmap(NULL, 0, RW, MAP_SHARED | MAP_ANONYMOUS, -1,
	    0), 0, EINVAL, "mmap(length 0, MAP_SHARED|MAP_ANONYMOUS)");
	mc_require_mmap_fails(mmap(NULL, 0, PROT_READ, MAP_PRIVATE, fd, 0), 0,
	    EINVAL, "mmap(length 0, MAP_PRIVATE, file)");
	mc_require_mmap_fails(mmap(NULL, 0, RW, MAP_SHARED, fd, 0), 0, EINVAL,
	    "mmap(length 0, MAP_SHARED, file)");
	close(fd);
}

/*
 * ---- FLAGS-1: mapping type ---------------------------------------------
 * On Linux MAP_SHARED|MAP_PRIVATE is the value of MAP_SHARED_VALIDATE, so
 * "both" cannot be told apart from MAP_SHARED_VALIDATE; "neither" can.
 */

MC_TC(neither_shared_nor_private_einval, "FLAGS-1",
    "flags without MAP_SHARED, MAP_PRIVATE or MAP_SHARED_VALIDATE fail "
    "with EINVAL (anonymous and file)")
{
	size_t ps = mc_pagesize();
	int fd = mc_make_file("f", 1);

	mc_require_mmap_fails(mmap(NULL, ps, RW, MAP_ANONYMOUS, -1, 0), ps,
	    EINVAL, "mmap(flags MAP_ANONYMOUS only)");
	mc_require_mmap_fails(mmap(NULL, ps, PROT_READ, 0, fd, 0), ps, EINVAL,
	    "mmap(flags 0, file)");
	mc_require_mmap_fails(mmap(NULL, ps, PROT_READ, MAP_POPULATE, fd, 0),
	    ps, EINVAL, "mmap(flags MAP_POPULATE only, file)");
	close(fd);
}

MC_TC(shared_validate_file_mapping_is_shared, "FLAGS-1",
    "MAP_SHARED_VALIDATE alone is a valid mapping type: a file mapped with "
    "it is shared (writes reach the file)")
{
#ifndef MAP_SHARED_VALIDATE
	atf_tc_skip("MAP_SHARED_VALIDATE not defined by the C library");
#else
	size_t ps = mc_pagesize();
	int fd = mc_make_file("f", 2);
	unsigned char *p, buf[2];

	mc_require_shared_validate(fd);
	p = mc_require_mmap_ok(mmap(NULL, 2 * ps, RW, MAP_SHARED_VALIDATE, fd,
	    0), "mmap(MAP_SHARED_VALIDATE, file)");
	ATF_REQUIRE_MSG(p[0] == mc_pattern(0) && p[ps] == mc_pattern(1),
	    "MAP_SHARED_VALIDATE mapping does not show the file's contents");
	p[1] = 'x';
	p[ps + 1] = 'y';
	mc_pread_all(fd, &buf[0], 1, 1);
	mc_pread_all(fd, &buf[1], 1, (off_t)ps + 1);
	ATF_REQUIRE_MSG(buf[0] == 'x' && buf[1] == 'y', "writes through a "
	    "MAP_SHARED_VALIDATE mapping: pread sees '%c' '%c', expected "
	    "'x' 'y'", buf[0], buf[1]);
	ATF_REQUIRE(munmap(p, 2 * ps) == 0);
	close(fd);
#endif
}

MC_TC(shared_validate_rejects_unsupported_flag, "FLAGS-3",
    "MAP_SHARED_VALIDATE checks the flags: MAP_SYNC on a file without DAX "
    "support fails with EOPNOTSUPP")
{
#if !defined(MAP_SHARED_VALIDATE) || !defined(MAP_SYNC)
	atf_tc_skip("MAP_SHARED_VALIDATE or MAP_SYNC not defined by the C "
	    "library");
#else
	size_t ps = mc_pagesize();
	int fd = mc_make_file("f", 1);
	unsigned char *p;

	mc_require_shared_validate(fd);
	p = mmap(NULL, ps, RW, MAP_SHARED_VALIDATE | MAP_SYNC, fd, 0);
	if (p != MAP_FAILED) {
		/*
		 * Accepted: only right when the file system supports DAX,
		 * which smaps shows as the "sf" (synchronous fault) flag.
		 */
		char fl[512];
		bool sf;

		ATF_REQUIRE_MSG(access("/proc/self/smaps", R_OK) == 0,
		    "mmap(MAP_SHARED_VALIDATE|MAP_SYNC) succeeded and "
		    "/proc/self/smaps cannot tell whether the file supports "
		    "it: %s", strerror(errno));
		sf = mc_smaps_vmflags_try(p, fl, sizeof(fl)) &&
		    mc_has_vmflag(fl, "sf");
		munmap(p, ps);
		ATF_REQUIRE_MSG(sf, "mmap(MAP_SHARED_VALIDATE|MAP_SYNC) of a "
		    "file: expected EOPNOTSUPP, got a mapping without the "
		    "synchronous-fault flag (sf) in smaps");
		atf_tc_skip("the work directory's file system supports "
		    "MAP_SYNC (DAX): no unsupported flag to test with");
	}
	ATF_REQUIRE_MSG(errno == EOPNOTSUPP, "mmap(MAP_SHARED_VALIDATE|"
	    "MAP_SYNC) of a regular file: expected EOPNOTSUPP, got %d (%s: "
	    "%s)", errno, mc_errname(errno), strerror(errno));
	close(fd);
#endif
}

/* ---- FLAGS-2: MAP_ANONYMOUS -------------------------------------------- */

MC_TC(anonymous_private_maps_no_file, "FLAGS-2",
    "MAP_PRIVATE|MAP_ANONYMOUS with fd -1 and offset 0 maps zero-filled "
    "memory with no file behind it (device 00:00, inode 0 in maps)")
{
	size_t ps = mc_pagesize();
	unsigned char *p = mc_require_mmap_ok(mmap(NULL, 3 * ps, RW,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0), "mmap(MAP_PRIVATE|"
	    "MAP_ANONYMOUS, fd -1, offset 0)");
	struct mc_maps_ent me;

	ATF_REQUIRE_MSG(mc_all_bytes(p, 3 * ps, 0), "anonymous mapping is "
	    "not zero-filled");
	ATF_REQUIRE_MSG(mc_maps_entry(p, &me),
	    "anonymous mapping %p missing from /proc/self/maps", (void *)p);
	ATF_REQUIRE_MSG(me.major == 0 && me.minor == 0 && me.inode == 0 &&
	    me.path[0] != '/', "private anonymous mapping: expected device "
	    "00:00, inode 0 and no file path in /proc/self/maps, got '%s'",
	    me.line);
	ATF_REQUIRE(munmap(p, 3 * ps) == 0);
}

MC_TC(anonymous_shared_maps_no_file, "FLAGS-2",
    "MAP_SHARED|MAP_ANONYMOUS with fd -1 and offset 0 maps zero-filled "
    "memory that no named file backs (maps shows no path, or the kernel's "
    "internal '/dev/zero (deleted)' object)")
{
	size_t ps = mc_pagesize();
	unsigned char *p = mc_require_mmap_ok(mmap(NULL, 3 * ps, RW,
	    MAP_SHARED | MAP_ANONYMOUS, -1, 0), "mmap(MAP_SHARED|"
	    "MAP_ANONYMOUS, fd -1, offset 0)");
	struct mc_maps_ent me;

	ATF_REQUIRE_MSG(mc_all_bytes(p, 3 * ps, 0), "shared anonymous "
	    "mapping is not zero-filled");
	ATF_REQUIRE_MSG(mc_maps_entry(p, &me),
	    "anonymous mapping %p missing from /proc/self/maps", (void *)p);
	ATF_REQUIRE_MSG(me.path[0] != '/' ||
	    strcmp(me.path, "/dev/zero (deleted)") == 0, "shared anonymous "
	    "mapping: expected no file path (or '/dev/zero (deleted)') in "
	    "/proc/self/maps, got '%s'", me.line);
	ATF_REQUIRE(munmap(p, 3 * ps) == 0);
}

MC_TC(anonymous_ignores_fd, "FLAGS-2",
    "With MAP_ANONYMOUS the fd argument is ignored: passing an open file "
    "still maps zero-filled memory, not the file")
{
	size_t ps = mc_pagesize();
	int fd = mc_make_file("f", 2);
	unsigned char *p = mc_require_mmap_ok(mmap(NULL, 2 * ps, RW,
	    MAP_PRIVATE | MAP_ANONYMOUS, fd, 0), "mmap(MAP_ANONYMOUS, fd of "
	    "a regular file)");
	struct mc_maps_ent me;

	ATF_REQUIRE_MSG(mc_all_bytes(p, 2 * ps, 0), "mmap(MAP_ANONYMOUS, "
	    "fd of a file of '%c' bytes): expected zero-filled memory, first "
	    "byte is %#x", mc_pattern(0), p[0]);
	ATF_REQUIRE(mc_maps_entry(p, &me));
	ATF_REQUIRE_MSG(me.inode == 0 && me.path[0] != '/', "mmap("
	    "MAP_ANONYMOUS, fd of a file): expected no file in "
	    "/proc/self/maps, got '%s'", me.line);
	ATF_REQUIRE(munmap(p, 2 * ps) == 0);
	close(fd);
}

/* ---- FD-1, FD-2: the file descriptor ----------------------------------- */

MC_TC(private_mapping_valid_after_close, "FD-1",
    "A private file mapping stays valid after close(fd): the file's pages "
    "are still readable and the mapping still names the file")
{
	size_t ps = mc_pagesize();
	int fd = mc_make_file("f", 3);
	unsigned char *p = mc_require_mmap_ok(mmap(NULL, 3 * ps, PROT_READ,
	    MAP_PRIVATE, fd, 0), "mmap(MAP_PRIVATE, file)");
	struct mc_maps_ent me;

	ATF_REQUIRE_MSG(close(fd) == 0, "close: %s", strerror(errno));
	ATF_REQUIRE_MSG(fcntl(fd, F_GETFD) == -1 && errno == EBADF,
	    "fd %d still open after close", fd);
	for (size_t i = 0; i < 3; i++)
		ATF_REQUIRE_MSG(mc_all_bytes(p + i * ps, ps, mc_pattern(i)),
		    "after close(fd): page %zu does not hold '%c'", i,
		    mc_pattern(i));
	ATF_REQUIRE(mc_maps_entry(p, &me));
	ATF_REQUIRE_MSG(strlen(me.path) >= 2 &&
	    strcmp(me.path + strlen(me.path) - 2, "/f") == 0 && me.inode != 0,
	    "after close(fd): /proc/self/maps should still name the file "
	    "'f', got '%s'", me.line);
	ATF_REQUIRE(munmap(p, 3 * ps) == 0);
}

MC_TC(shared_mapping_writes_reach_file_after_close, "FD-1",
    "A shared file mapping stays valid after close(fd) and writes through "
    "it still reach the file")
{
	size_t ps = mc_pagesize();
	int fd = mc_make_file("f", 2);
	unsigned char *p = mc_require_mmap_ok(mmap(NULL, 2 * ps, RW, MAP_SHARED,
	    fd, 0), "mmap(MAP_SHARED, file)");
	unsigned char buf[2];

	ATF_REQUIRE_MSG(close(fd) == 0, "close: %s", strerror(errno));
	ATF_REQUIRE_MSG(p[0] == mc_pattern(0) && p[ps] == mc_pattern(1),
	    "after close(fd): the mapping no longer shows the file");
	p[3] = 'w';
	p[ps + 3] = 'z';
	fd = open("f", O_RDONLY);
	ATF_REQUIRE_MSG(fd >= 0, "reopen f: %s", strerror(errno));
	mc_pread_all(fd, &buf[0], 1, 3);
	mc_pread_all(fd, &buf[1], 1, (off_t)ps + 3);
	ATF_REQUIRE_MSG(buf[0] == 'w' && buf[1] == 'z', "writes through a "
	    "shared mapping whose fd was closed: read() of the file sees "
	    "'%c' '%c', expected 'w' 'z'", buf[0], buf[1]);
	ATF_REQUIRE(munmap(p, 2 * ps) == 0);
	close(fd);
}

MC_TC(closed_fd_ebadf, "FD-2",
    "A file mapping of a closed file descriptor fails with EBADF")
{
	size_t ps = mc_pagesize();
	int fd = mc_make_file("f", 1);

	ATF_REQUIRE_MSG(close(fd) == 0, "close: %s", strerror(errno));
	/* Nothing opens a file between close and mmap: fd stays unused. */
	mc_require_mmap_fails(mmap(NULL, ps, PROT_READ, MAP_PRIVATE, fd, 0), ps,
	    EBADF, "mmap(MAP_PRIVATE, closed fd)");
	mc_require_mmap_fails(mmap(NULL, ps, RW, MAP_SHARED, fd, 0), ps, EBADF,
	    "mmap(MAP_SHARED, closed fd)");
}

MC_TC(fd_minus_one_without_anonymous_ebadf, "FD-2",
    "fd -1 without MAP_ANONYMOUS is an invalid file descriptor: EBADF")
{
	size_t ps = mc_pagesize();

	mc_require_mmap_fails(mmap(NULL, ps, PROT_READ, MAP_PRIVATE, -1, 0), ps,
	    EBADF, "mmap(MAP_PRIVATE, fd -1, no MAP_ANONYMOUS)");
	mc_require_mmap_fails(mmap(NULL, ps, RW, MAP_SHARED, -1, 0), ps, EBADF,
	    "mmap(MAP_SHARED, fd -1, no MAP_ANONYMOUS)");
}

MC_TC(fd_access_mode_checked, "FD-3",
    "A file mapping needs fd open for reading (O_WRONLY: EACCES); "
    "MAP_SHARED with PROT_WRITE needs O_RDWR (O_RDONLY: EACCES), while "
    "MAP_PRIVATE with PROT_WRITE works on an O_RDONLY fd")
{
	size_t ps = mc_pagesize();
	int fd = mc_make_file("f", 1);
	int wfd = open("f", O_WRONLY);
	int rfd = open("f", O_RDONLY);
	unsigned char *p;

	ATF_REQUIRE_MSG(wfd >= 0 && rfd >= 0, "open f: %s", strerror(errno));
	mc_require_mmap_fails(mmap(NULL, ps, PROT_READ, MAP_PRIVATE, wfd, 0),
	    ps, EACCES, "mmap(PROT_READ, MAP_PRIVATE, O_WRONLY fd)");
	mc_require_mmap_fails(mmap(NULL, ps, PROT_READ, MAP_SHARED, wfd, 0), ps,
	    EACCES, "mmap(PROT_READ, MAP_SHARED, O_WRONLY fd)");
	mc_require_mmap_fails(mmap(NULL, ps, RW, MAP_SHARED, rfd, 0), ps,
	    EACCES, "mmap(PROT_READ|PROT_WRITE, MAP_SHARED, O_RDONLY fd)");

	p = mc_require_mmap_ok(mmap(NULL, ps, PROT_READ, MAP_SHARED, rfd, 0),
	    "mmap(PROT_READ, MAP_SHARED, O_RDONLY fd)");
	ATF_REQUIRE_MSG(p[0] == mc_pattern(0), "read-only shared mapping "
	    "does not show the file");
	ATF_REQUIRE(munmap(p, ps) == 0);
	p = mc_require_mmap_ok(mmap(NULL, ps, RW, MAP_PRIVATE, rfd, 0),
	    "mmap(PROT_READ|PROT_WRITE, MAP_PRIVATE, O_RDONLY fd)");
	ATF_REQUIRE_MSG(p[0] == mc_pattern(0), "private mapping of an "
	    "O_RDONLY fd does not show the file");
	p[0] = 'p';
	ATF_REQUIRE(munmap(p, ps) == 0);
	close(wfd);
	close(rfd);
	close(fd);
}

/* ---- OFF-1, OFF-2: the offset ------------------------------------------ */

/* OFF-1 through one route (libc's mmap or the bare syscall). */
static void
unaligned_offset_einval_via(mc_mmap_fn map, const char *via)
{
	size_t ps = mc_pagesize();
	int fd = mc_make_file("f", 3);
	const off_t offs[] = { 1, (off_t)ps / 2, (off_t)ps - 1,
	    (off_t)ps + 1, (off_t)(ps + ps / 2) };

	for (size_t i = 0; i < sizeof(offs) / sizeof(offs[0]); i++) {
		char what[112];

		snprintf(what, sizeof(what), "%s(MAP_PRIVATE, offset %jd, "
		    "page size %zu)", via, (intmax_t)offs[i], ps);
		mc_require_mmap_fails(map(NULL, ps, PROT_READ, MAP_PRIVATE, fd,
		    offs[i]), ps, EINVAL, what);
		snprintf(what, sizeof(what), "%s(MAP_SHARED, offset %jd, "
		    "page size %zu)", via, (intmax_t)offs[i], ps);
		mc_require_mmap_fails(map(NULL, ps, RW, MAP_SHARED, fd,
		    offs[i]), ps, EINVAL, what);
	}
	close(fd);
}

MC_TC(unaligned_offset_einval, "OFF-1",
    "An offset that is not a multiple of the page size fails with EINVAL "
    "(private and shared file mappings)")
{
	unaligned_offset_einval_via(mmap, "mmap");
}

MC_TC(unaligned_offset_einval_from_kernel, "OFF-1",
    "The kernel itself (mmap called without libc, whose wrapper checks the "
    "offset first) rejects an offset that is not a multiple of the page "
    "size with EINVAL")
{
	unaligned_offset_einval_via(mc_sys_mmap, "syscall(SYS_mmap)");
}

static void
check_offsets(int shared)
{
	size_t ps = mc_pagesize();
	const size_t pages = 4;
	int fd = mc_make_file("f", pages);

	for (size_t k = 0; k < pages; k++) {
		size_t n = pages - k;
		unsigned char *p = mc_require_mmap_ok(mmap(NULL, n * ps,
		    shared ? RW : PROT_READ, shared ? MAP_SHARED : MAP_PRIVATE,
		    fd, (off_t)(k * ps)), "mmap(file, offset k pages)");
		struct mc_maps_ent me;

		for (size_t i = 0; i < n; i++)
			ATF_REQUIRE_MSG(mc_all_bytes(p + i * ps, ps,
			    mc_pattern(k + i)), "%s mapping at offset %zu "
			    "pages: its page %zu should be file page %zu "
			    "('%c'), first byte is '%c'", shared ? "shared" :
			    "private", k, i, k + i, mc_pattern(k + i),
			    p[i * ps]);
		ATF_REQUIRE(mc_maps_entry(p, &me));
		ATF_REQUIRE_MSG(me.offset == k * ps, "mapping at offset %zu: "
		    "/proc/self/maps shows offset %#llx, expected %#zx ('%s')",
		    k * ps, me.offset, k * ps, me.line);
		if (shared) {
			unsigned char b;

			p[7] = 'o';
			mc_pread_all(fd, &b, 1, (off_t)(k * ps + 7));
			ATF_REQUIRE_MSG(b == 'o', "write at byte 7 of a shared "
			    "mapping at offset %zu pages: read() at file "
			    "offset %zu sees '%c', expected 'o'", k,
			    k * ps + 7, b);
			p[7] = mc_pattern(k); /* restore for later rounds */
		}
		ATF_REQUIRE(munmap(p, n * ps) == 0);
	}
	close(fd);
}

MC_TC(offset_selects_file_page_private, "OFF-2",
    "A private mapping at offset k*pagesize starts with page k of the file "
    "(and maps report that offset)")
{
	check_offsets(0);
}

MC_TC(offset_selects_file_page_shared, "OFF-2",
    "A shared mapping at offset k*pagesize starts with page k of the file; "
    "its byte i is file byte k*pagesize+i")
{
	check_offsets(1);
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, null_addr_kernel_chooses_page_aligned_address);
	ATF_TP_ADD_TC(tp, hint_at_free_range_is_used);
	ATF_TP_ADD_TC(tp, unaligned_hint_gives_nearby_page_boundary);
	ATF_TP_ADD_TC(tp, hint_at_occupied_range_gives_other_address);
	ATF_TP_ADD_TC(tp, hint_below_mmap_min_addr_is_not_an_error);
	ATF_TP_ADD_TC(tp, length_rounds_up_to_whole_pages_zero_filled);
	ATF_TP_ADD_TC(tp, length_rounds_up_no_further_than_last_page);
	ATF_TP_ADD_TC(tp, length_zero_einval);
	ATF_TP_ADD_TC(tp, neither_shared_nor_private_einval);
	ATF_TP_ADD_TC(tp, shared_validate_file_mapping_is_shared);
	ATF_TP_ADD_TC(tp, shared_validate_rejects_unsupported_flag);
	ATF_TP_ADD_TC(tp, anonymous_private_maps_no_file);
	ATF_TP_ADD_TC(tp, anonymous_shared_maps_no_file);
	ATF_TP_ADD_TC(tp, anonymous_ignores_fd);
	ATF_TP_ADD_TC(tp, private_mapping_valid_after_close);
	ATF_TP_ADD_TC(tp, shared_mapping_writes_reach_file_after_close);
	ATF_TP_ADD_TC(tp, closed_fd_ebadf);
	ATF_TP_ADD_TC(tp, fd_minus_one_without_anonymous_ebadf);
	ATF_TP_ADD_TC(tp, fd_access_mode_checked);
	ATF_TP_ADD_TC(tp, unaligned_offset_einval);
	ATF_TP_ADD_TC(tp, unaligned_offset_einval_from_kernel);
	ATF_TP_ADD_TC(tp, offset_selects_file_page_private);
	ATF_TP_ADD_TC(tp, offset_selects_file_page_shared);
	return atf_no_error();
}
