/*
 * t_bounds: the argument boundaries of the memory-mapping calls: flag
 * combinations at the edge (MAP_FIXED with MAP_FIXED_NOREPLACE), file
 * offsets at and past the largest one, RLIMIT_AS with MAP_FIXED, length 0
 * and lengths that wrap the address space for munmap, mprotect, madvise,
 * msync, mincore, mlock and munlock, the top of the user address space
 * (derived by probing, never assumed) and the bottom (vm.mmap_min_addr).
 *
 * The errors the mmap-errors area proves already (MMAPERR-*: MAP_FIXED at
 * the last page of the pointer range, a hint there, SIZE_MAX lengths of
 * mmap, offset + length beyond the largest file offset, MAP_FIXED below
 * mmap_min_addr without CAP_SYS_RAWIO) are not repeated; the cases here
 * prove the exact edges next to them.
 *
 * Everything is written for 32-bit builds too: addresses are uintptr_t,
 * lengths size_t, file offsets go through mmap64 (off64_t) whatever
 * _FILE_OFFSET_BITS is.
 */
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/types.h>
#include <sys/utsname.h>

#include <linux/capability.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mc.h"
#include "mc_err.h"
#include "mc_proc.h"

#define RW (PROT_READ | PROT_WRITE)
#define ANON_PRIV (MAP_PRIVATE | MAP_ANONYMOUS)

/* ---- helpers ----------------------------------------------------------- */

#ifdef MAP_FIXED_NOREPLACE
/*
 * Whether the page at a belongs to the user address space: a
 * MAP_FIXED_NOREPLACE PROT_NONE page there succeeds (free; unmapped again)
 * or fails with EEXIST (in use); ENOMEM says it lies beyond the address
 * space. Any other answer fails the case. Needs mc_require_fixed_noreplace().
 */
static bool
page_in_user_space(uintptr_t a)
{
	size_t ps = mc_pagesize();
	void *r = mmap((void *)a, ps, PROT_NONE, ANON_PRIV |
	    MAP_FIXED_NOREPLACE | MAP_NORESERVE, -1, 0);
	int e = errno;

	if (r != MAP_FAILED) {
		ATF_REQUIRE_MSG(munmap(r, ps) == 0, "munmap(probe page %p): %s",
		    r, strerror(errno));
		ATF_REQUIRE_MSG(r == (void *)a, "probe: MAP_FIXED_NOREPLACE at "
		    "%#jx mapped at %p", (uintmax_t)a, r);
		return true;
	}
	if (e == EEXIST)
		return true;
	ATF_REQUIRE_MSG(e == ENOMEM, "probe: mmap(MAP_FIXED_NOREPLACE, 1 page "
	    "at %#jx): expected success, EEXIST or ENOMEM, got %d (%s)",
	    (uintmax_t)a, e, mc_errname(e));
	return false;
}
#endif

/*
 * The top of the user address space (TASK_SIZE): the lowest page-aligned
 * address from which no page can be mapped, found by a binary search with
 * MAP_FIXED_NOREPLACE between a mapping of our own (inside) and the
 * page before the last of the pointer range. Nothing is assumed about
 * the number of address bits (47, 56 with 5-level paging, 3 GiB or
 * 4 GiB - 8 KiB for 32-bit processes). Skips when MAP_FIXED_NOREPLACE
 * is not honoured or the whole pointer range is user space.
 */
static uintptr_t
user_top(void)
{
#ifndef MAP_FIXED_NOREPLACE
	atf_tc_skip("MAP_FIXED_NOREPLACE is not defined by the C library: "
	    "the top of the address space cannot be probed");
#else
	size_t ps = mc_pagesize();
	unsigned char *m;
	uintptr_t lo, hi;

	mc_require_fixed_noreplace();
	m = mc_map_anon(ps, PROT_NONE, MAP_PRIVATE);
	lo = (uintptr_t)m;
	/* The last page whose end does not wrap to 0. */
	hi = UINTPTR_MAX - 2 * ps + 1;
	if (page_in_user_space(hi)) {
		ATF_REQUIRE(munmap(m, ps) == 0);
		atf_tc_skip("the page before the last of the pointer range "
		    "(%#jx) can be mapped: no top of the address space below "
		    "it",
		    (uintmax_t)hi);
	}
	/* lo is inside, hi outside; both page-aligned. */
	while (hi - lo > ps) {
		uintptr_t mid = lo + ((hi - lo) / 2 & ~(uintptr_t)(ps - 1));

		if (page_in_user_space(mid))
			lo = mid;
		else
			hi = mid;
	}
	ATF_REQUIRE(munmap(m, ps) == 0);
	return hi;
#endif
}

/* What a child saw: a step that failed (0: none) and up to 6 values. */
struct cres {
	int32_t step;
	int32_t err;
	int64_t v[6];
};

/* A one-page file "f" (page 0 filled with mc_pattern(0)), open O_RDWR. */
static int
one_page_file(void)
{
	return mc_make_file("f", 1);
}

/* mmap64 of fd at off (a 64-bit offset whatever off_t is); errno kept. */
static void *
map64(size_t len, int flags, int fd, uint64_t off)
{
	return mmap64(NULL, len, PROT_READ, flags, fd, (off64_t)off);
}

/* ---- mmap: flags and offsets ------------------------------------------- */

MC_TC(fixed_with_noreplace_noreplace_wins, "BOUNDS-1",
    "MAP_FIXED together with MAP_FIXED_NOREPLACE behaves as "
    "MAP_FIXED_NOREPLACE: over an existing mapping it fails with EEXIST "
    "and leaves the mapping and its contents untouched; over a free range "
    "it maps exactly at addr")
{
#ifndef MAP_FIXED_NOREPLACE
	atf_tc_skip("MAP_FIXED_NOREPLACE not defined by the C library");
#else
	size_t ps = mc_pagesize();
	unsigned char *a, *h, *p;
	char before[1024], after[1024];

	/* Without the probe an old kernel would clobber like MAP_FIXED. */
	mc_require_fixed_noreplace();
	a = mc_map_anon(2 * ps, RW, MAP_SHARED);
	memset(a, 'x', 2 * ps);
	ATF_REQUIRE(mc_maps_line(a, before, sizeof(before)));
	mc_require_mmap_fails(mmap(a, 2 * ps, RW, ANON_PRIV | MAP_FIXED |
	    MAP_FIXED_NOREPLACE, -1, 0), 2 * ps, EEXIST,
	    "mmap(MAP_FIXED|MAP_FIXED_NOREPLACE, exactly over a mapping)");
	mc_require_mmap_fails(mmap(a + ps, ps, RW, ANON_PRIV | MAP_FIXED |
	    MAP_FIXED_NOREPLACE, -1, 0), ps, EEXIST,
	    "mmap(MAP_FIXED|MAP_FIXED_NOREPLACE, over the second page)");
	mc_require_readable(a, 2 * ps, "the mapping after the failed calls");
	ATF_REQUIRE_MSG(mc_all_bytes(a, 2 * ps, 'x'), "a failed MAP_FIXED|"
	    "MAP_FIXED_NOREPLACE changed the contents of the mapping at %p",
	    (void *)a);
	ATF_REQUIRE(mc_maps_line(a, after, sizeof(after)));
	ATF_REQUIRE_MSG(strcmp(before, after) == 0, "the mapping changed in "
	    "/proc/self/maps: '%s' -> '%s'", before, after);
	ATF_REQUIRE(munmap(a, 2 * ps) == 0);

	h = mc_free_hole(2);
	p = mc_require_mmap_ok(mmap(h, 2 * ps, RW, ANON_PRIV | MAP_FIXED |
	    MAP_FIXED_NOREPLACE, -1, 0), "mmap(MAP_FIXED|MAP_FIXED_NOREPLACE, "
	    "free range)");
	ATF_REQUIRE_MSG(p == h, "MAP_FIXED|MAP_FIXED_NOREPLACE at the free "
	    "range %p mapped at %p", (void *)h, (void *)p);
	MC_REQUIRE_NO_FAULT(p + ps, MC_WRITE);
	ATF_REQUIRE(munmap(p, 2 * ps) == 0);
#endif
}

MC_TC(negative_offset_refused, "BOUNDS-2",
    "A negative (page-aligned) file offset is refused: EOVERFLOW on 64-bit "
    "(the kernel takes the offset as unsigned, beyond the largest file "
    "offset), EINVAL on 32-bit (the C library's mmap64 cannot pass it to "
    "mmap2 and refuses it)")
{
	size_t ps = mc_pagesize();
	int fd = one_page_file();
	const uint64_t offs[] = { (uint64_t)-(int64_t)ps,
	    (uint64_t)-(int64_t)(2 * ps), (uint64_t)INT64_MIN };
	/*
	 * Two errnos by ABI, not by kernel version: a 64-bit kernel's mmap
	 * takes the byte offset as an unsigned long, which then fails
	 * file_mmap_ok (EOVERFLOW, like MMAPERR-25); on 32-bit, glibc's and
	 * musl's mmap64 refuse any offset of 2^44 or more (negative ones
	 * included) with EINVAL before the kernel sees it, as the page
	 * number would not fit mmap2's 32-bit argument.
	 */
	int want = sizeof(long) >= 8 ? EOVERFLOW : EINVAL;

	for (size_t i = 0; i < sizeof(offs) / sizeof(offs[0]); i++) {
		char what[128];

		snprintf(what, sizeof(what), "mmap64(MAP_SHARED, file, offset "
		    "%jd)", (intmax_t)(int64_t)offs[i]);
		mc_require_mmap_fails(map64(ps, MAP_SHARED, fd, offs[i]), ps,
		    want, what);
		snprintf(what, sizeof(what), "mmap64(MAP_PRIVATE, file, offset "
		    "%jd)", (intmax_t)(int64_t)offs[i]);
		mc_require_mmap_fails(map64(ps, MAP_PRIVATE, fd, offs[i]), ps,
		    want, what);
	}
	if (sizeof(long) >= 8) {
		/* The kernel's own answer, without the C library. */
		mc_require_mmap_fails(mc_sys_mmap(NULL, ps, PROT_READ,
		    MAP_SHARED, fd, -(off_t)ps), ps, EOVERFLOW,
		    "syscall(SYS_mmap, file, offset -page)");
	}
	close(fd);
}

/*
 * The largest page number whose page still lies within the largest file
 * offset a mapping may reach: 64-bit, MAX_LFS_FILESIZE = 2^63 - 1, so the
 * last whole page is [2^63 - 2 pages, 2^63 - 1 page); 32-bit processes,
 * the page number of mmap2 is 32 bits on a 32-bit kernel
 * (MAX_LFS_FILESIZE = (2^32 - 1) pages), so the last page is number
 * 2^32 - 2 (on a 64-bit kernel that page is valid too).
 */
static uint64_t
last_page_offset(size_t ps)
{
	if (sizeof(long) >= 8)
		return ((uint64_t)1 << 63) - 2 * (uint64_t)ps;
	return ((uint64_t)UINT32_MAX - 1) * ps;
}

MC_TC(largest_file_offset_maps, "BOUNDS-3",
    "A file mapping that ends exactly at the largest file offset a mapping "
    "may reach (offset + length = the last page boundary within "
    "MAX_LFS_FILESIZE) succeeds, with one page or more, although the file "
    "is far shorter; an access there raises SIGBUS (beyond EOF)")
{
	size_t ps = mc_pagesize();
	int fd = one_page_file();
	uint64_t off = last_page_offset(ps);
	unsigned char *p;
	char what[128];

	snprintf(what, sizeof(what), "mmap64(MAP_SHARED, 1 page at offset "
	    "%#jx: the last page)", (uintmax_t)off);
	p = mc_require_mmap_ok(map64(ps, MAP_SHARED, fd, off), what);
	mc_require_sigbus(p, MC_READ, "the last page of the file offset range, "
	    "beyond EOF");
	ATF_REQUIRE(munmap(p, ps) == 0);
	snprintf(what, sizeof(what), "mmap64(MAP_PRIVATE, 2 pages at offset "
	    "%#jx: ending at the last page)", (uintmax_t)(off - ps));
	p = mc_require_mmap_ok(map64(2 * ps, MAP_PRIVATE, fd, off - ps), what);
	mc_require_sigbus(p + ps, MC_READ, "2-page mapping ending at the last "
	    "page, beyond EOF");
	ATF_REQUIRE(munmap(p, 2 * ps) == 0);
	close(fd);
}

/*
 * On 32-bit, whether this is a 32-bit process on a 64-bit kernel: user
 * space then reaches above 3 GiB (TASK_SIZE 4 GiB - 8 KiB), which no 32-bit
 * kernel gives (PAGE_OFFSET is at most 3 GiB). Probed with
 * MAP_FIXED_NOREPLACE at 3 GiB (success or EEXIST: user space); false when
 * the flag is not honoured.
 */
static bool
compat_process(void)
{
#ifdef MAP_FIXED_NOREPLACE
	size_t ps = mc_pagesize();
	uintptr_t a = (uintptr_t)0xC0000000UL;
	void *r = mmap((void *)a, ps, PROT_NONE, ANON_PRIV |
	    MAP_FIXED_NOREPLACE | MAP_NORESERVE, -1, 0);
	int e = errno;

	if (r != MAP_FAILED) {
		munmap(r, ps);
		return r == (void *)a;
	}
	return e == EEXIST;
#else
	return false;
#endif
}

/*
 * Skip a case that needs addr + len to wrap when this is a 32-bit process
 * on a 64-bit kernel: the kernel adds addr + len in 64 bits there, so no
 * length wraps; the range would run over the mappings above addr instead,
 * and mprotect, madvise or mlock would act on them (the stack included).
 * A 32-bit kernel wraps like a 64-bit one wraps its own addresses.
 */
static void
require_wrapping_lengths(void)
{
	struct utsname u;

	if (sizeof(long) >= 8)
		return;
	ATF_REQUIRE(uname(&u) == 0);
	if (compat_process() || strstr(u.machine, "64") != NULL)
		atf_tc_skip("32-bit process on a 64-bit kernel (%s): the "
		    "kernel computes addr + len in 64 bits, so no length "
		    "wraps; the range would run over the mappings above addr",
		    u.machine);
}

MC_TC(past_largest_file_offset_eoverflow, "BOUNDS-4",
    "One page past the largest file offset, by the offset (the next page "
    "number) or by the length (one page more), a file mapping fails with "
    "EOVERFLOW (on 32-bit kernels: the page numbers overflow unsigned "
    "long)")
{
	size_t ps = mc_pagesize();
	int fd = one_page_file();
	uint64_t off = last_page_offset(ps);
	char what[128];

	if (sizeof(long) < 8 && compat_process()) {
		void *p = map64(ps, MAP_SHARED, fd, off + ps);

		if (p != MAP_FAILED) {
			munmap(p, ps);
			atf_tc_skip("32-bit process on a 64-bit kernel: its "
			    "mmap2 page number is 64-bit there, so page "
			    "2^32 - 1 maps (offset %#jx); the 32-bit kernel's "
			    "EOVERFLOW cannot be seen", (uintmax_t)(off + ps));
		}
	}
	snprintf(what, sizeof(what), "mmap64(MAP_SHARED, 1 page at offset "
	    "%#jx: one page past the last)", (uintmax_t)(off + ps));
	mc_require_mmap_fails(map64(ps, MAP_SHARED, fd, off + ps), ps,
	    EOVERFLOW, what);
	snprintf(what, sizeof(what), "mmap64(MAP_PRIVATE, 2 pages at offset "
	    "%#jx: the last page and one more)", (uintmax_t)off);
	mc_require_mmap_fails(map64(2 * ps, MAP_PRIVATE, fd, off), 2 * ps,
	    EOVERFLOW, what);
	close(fd);
}

/* ---- RLIMIT_AS and MAP_FIXED ------------------------------------------ */

#define AS_PAGES 16  /* the mapping that is replaced */
#define AS_MARGIN 4  /* pages left below RLIMIT_AS (< AS_PAGES) */

static int
child_rlimit_as(struct mc_child *self, void *arg)
{
	size_t ps = (size_t)sysconf(_SC_PAGESIZE);
	size_t n = AS_PAGES;
	struct cres r = { 0 };
	struct rlimit rl;
	unsigned char *g;
	void *p;
	long kb;

	(void)arg;
	/* Warm up stdio (its buffers come from the heap) before measuring. */
	(void)mc_status_kb_try("VmSize");
	/* n pages mapped, then n free pages right after them. */
	g = mmap(NULL, 2 * n * ps, RW, ANON_PRIV | MAP_NORESERVE, -1, 0);
	if (g == MAP_FAILED || munmap(g + n * ps, n * ps) != 0) {
		r.step = 1;
		r.err = errno;
		goto out;
	}
	g[0] = 'g';
	kb = mc_status_kb_try("VmSize");
	if (kb < 0 || getrlimit(RLIMIT_AS, &rl) != 0) {
		r.step = 2;
		r.err = kb < 0 ? ENOENT : errno;
		goto out;
	}
	/* total_vm plus a margin smaller than the mapping. */
	r.v[5] = (int64_t)kb * 1024 + AS_MARGIN * (int64_t)ps;
	if (rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur > (rlim_t)r.v[5])
		rl.rlim_cur = (rlim_t)r.v[5];
	r.v[5] = (int64_t)rl.rlim_cur;
	if (setrlimit(RLIMIT_AS, &rl) != 0) {
		r.step = 3;
		r.err = errno;
		goto out;
	}
	/* The limit bites: a new mapping of n pages. */
	r.v[0] = mc_mmap_errno(NULL, n * ps, RW, ANON_PRIV, -1, 0);
	/* Replacing the n pages with n pages adds nothing. */
	p = mmap(g, n * ps, RW, ANON_PRIV | MAP_FIXED, -1, 0);
	r.v[1] = p == MAP_FAILED ? errno : (p == g ? 0 : -1);
	if (p == g) {
		r.v[2] = g[0];	/* the new mapping: zero */
		g[0] = 'n';
	}
	/* Replacing the n pages and growing by n more: n new pages. */
	p = mmap(g, 2 * n * ps, RW, ANON_PRIV | MAP_FIXED, -1, 0);
	r.v[3] = p == MAP_FAILED ? errno : 0;
	if (p != MAP_FAILED)
		munmap(g + n * ps, n * ps);
	/* The mapping the failed call would have replaced is intact. */
	r.v[4] = r.v[1] == 0 ? g[0] : 'n';
out:
	mc_send(self, &r, sizeof(r));
	return 0;
}

MC_TC(rlimit_as_fixed_replacement_same_size, "BOUNDS-5",
    "Under RLIMIT_AS, MAP_FIXED over an existing mapping of the same size "
    "succeeds where a new mapping of that size fails with ENOMEM "
    "(replacing does not grow the address space), while a MAP_FIXED that "
    "also covers free pages beyond the limit fails with ENOMEM and keeps "
    "the old mapping")
{
	struct mc_child ch;
	struct cres r;
	static const char *steps[] = { "", "mmap of the mapping to replace",
	    "reading VmSize / getrlimit", "setrlimit(RLIMIT_AS)" };

	mc_spawn(&ch, child_rlimit_as, NULL);
	mc_expect_last(&ch, &r, sizeof(r), "RLIMIT_AS report");
	if (r.step == 1)
		mc_skip_if_limited(r.err, "the 32-page mapping to replace");
	ATF_REQUIRE_MSG(r.step == 0, "child: %s failed: %s",
	    steps[r.step >= 0 && r.step <= 3 ? r.step : 0], strerror(r.err));
	ATF_REQUIRE_MSG(r.v[0] == ENOMEM, "RLIMIT_AS %jd bytes (%d pages "
	    "above the address space in use): a new %d-page mapping: expected "
	    "ENOMEM, got %jd (%s)", (intmax_t)r.v[5], AS_MARGIN, AS_PAGES,
	    (intmax_t)r.v[0], mc_errname((int)r.v[0]));
	ATF_REQUIRE_MSG(r.v[1] == 0, "RLIMIT_AS %jd bytes: MAP_FIXED over an "
	    "existing %d-page mapping, same size: expected success at the "
	    "same address, got %jd (%s)", (intmax_t)r.v[5], AS_PAGES,
	    (intmax_t)r.v[1], r.v[1] < 0 ? "other address" :
	    mc_errname((int)r.v[1]));
	ATF_REQUIRE_MSG(r.v[2] == 0, "the replacing MAP_FIXED mapping is not "
	    "a fresh zero page: read %#jx", (uintmax_t)r.v[2]);
	ATF_REQUIRE_MSG(r.v[3] == ENOMEM, "RLIMIT_AS %jd bytes: MAP_FIXED over "
	    "the %d-page mapping and %d free pages after it: expected ENOMEM, "
	    "got %jd (%s)", (intmax_t)r.v[5], AS_PAGES, AS_PAGES,
	    (intmax_t)r.v[3], mc_errname((int)r.v[3]));
	ATF_REQUIRE_MSG(r.v[4] == 'n', "after the failed growing MAP_FIXED the "
	    "old mapping reads %#jx, expected 'n'", (uintmax_t)r.v[4]);
}

/* ---- length 0 and lengths that wrap ------------------------------------ */

MC_TC(mprotect_zero_length_noop, "BOUNDS-6",
    "mprotect with length 0 returns 0 and changes nothing: on a mapping "
    "its protection stays, on an address where nothing is mapped there is "
    "no ENOMEM")
{
	size_t ps = mc_pagesize();
	unsigned char *p = mc_map_anon(ps, PROT_READ, MAP_PRIVATE);
	unsigned char *h = mc_free_hole(1);

	MC_REQUIRE_OKF(mprotect(p, 0, RW), "mprotect(%p, 0, RW) on a "
	    "read-only mapping", (void *)p);
	MC_REQUIRE_FAULT(p, MC_WRITE, SIGSEGV, SEGV_ACCERR);
	MC_REQUIRE_OKF(mprotect(h, 0, RW), "mprotect(%p, 0, RW) where "
	    "nothing is mapped", (void *)h);
	MC_REQUIRE_FAULT(h, MC_READ, SIGSEGV, SEGV_MAPERR);
	ATF_REQUIRE(munmap(p, ps) == 0);
}

MC_TC(zero_length_still_checks_alignment, "BOUNDS-7",
    "Length 0 does not bypass the alignment check: mprotect, madvise, msync "
    "and mincore of an address that is not page-aligned fail with EINVAL "
    "even with length 0")
{
	size_t ps = mc_pagesize();
	unsigned char *p = mc_map_anon(ps, RW, MAP_SHARED);
	unsigned char vec[2] = { 0x5a, 0x5a };

	MC_REQUIRE_ERRF(mprotect(p + 1, 0, PROT_READ), EINVAL,
	    "mprotect(%p (page + 1), 0)", (void *)(p + 1));
	MC_REQUIRE_ERRF(madvise(p + 1, 0, MADV_NORMAL), EINVAL,
	    "madvise(%p (page + 1), 0, MADV_NORMAL)", (void *)(p + 1));
	MC_REQUIRE_ERRF(msync(p + 1, 0, MS_SYNC), EINVAL,
	    "msync(%p (page + 1), 0, MS_SYNC)", (void *)(p + 1));
	MC_REQUIRE_ERRF(mincore(p + 1, 0, vec), EINVAL,
	    "mincore(%p (page + 1), 0)", (void *)(p + 1));
	ATF_REQUIRE(munmap(p, ps) == 0);
}

MC_TC(mprotect_wrapping_length_enomem, "BOUNDS-8",
    "mprotect with a length that runs past the end of the address space "
    "(SIZE_MAX, or a page multiple that wraps addr + len) fails with "
    "ENOMEM and changes nothing")
{
	size_t ps = mc_pagesize();
	unsigned char *p = mc_map_anon(ps, RW, MAP_PRIVATE);
	const size_t lens[] = { SIZE_MAX, SIZE_MAX - ps + 1 };

	require_wrapping_lengths();
	p[0] = 'w';
	for (size_t i = 0; i < 2; i++)
		MC_REQUIRE_ERRF(mprotect(p, lens[i], PROT_READ), ENOMEM,
		    "mprotect(%p, %#zx, PROT_READ)", (void *)p, lens[i]);
	MC_REQUIRE_NO_FAULT(p, MC_WRITE);
	ATF_REQUIRE(munmap(p, ps) == 0);
}

MC_TC(madvise_zero_length_checks_advice, "BOUNDS-9",
    "madvise with length 0 returns 0 without looking at the range (also "
    "where nothing is mapped), but still validates the advice: an unknown "
    "advice fails with EINVAL")
{
	unsigned char *h = mc_free_hole(1);

	MC_REQUIRE_OKF(madvise(h, 0, MADV_DONTNEED), "madvise(%p, 0, "
	    "MADV_DONTNEED) where nothing is mapped", (void *)h);
	MC_REQUIRE_OKF(madvise(h, 0, MADV_NORMAL), "madvise(%p, 0, "
	    "MADV_NORMAL) where nothing is mapped", (void *)h);
	MC_REQUIRE_ERRF(madvise(h, 0, 12345), EINVAL, "madvise(%p, 0, "
	    "advice 12345)", (void *)h);
}

MC_TC(madvise_negative_length_einval, "BOUNDS-10",
    "madvise with a 'negative' length (SIZE_MAX, which rounds up to 0) or a "
    "length that wraps addr + len fails with EINVAL, and the advice is not "
    "applied")
{
	size_t ps = mc_pagesize();
	unsigned char *p = mc_map_anon(ps, RW, MAP_PRIVATE);
	const size_t lens[] = { SIZE_MAX, SIZE_MAX - ps + 2,
	    SIZE_MAX - ps + 1 };

	require_wrapping_lengths();
	p[0] = 'k';
	for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++)
		MC_REQUIRE_ERRF(madvise(p, lens[i], MADV_DONTNEED), EINVAL,
		    "madvise(%p, %#zx, MADV_DONTNEED)", (void *)p, lens[i]);
	ATF_REQUIRE_MSG(p[0] == 'k', "a failed madvise(MADV_DONTNEED) "
	    "discarded the page (reads %#x)", p[0]);
	ATF_REQUIRE(munmap(p, ps) == 0);
}

MC_TC(msync_zero_length_succeeds, "BOUNDS-11",
    "msync with length 0 returns 0 without looking at the range: on a "
    "shared file mapping and where nothing is mapped (no ENOMEM)")
{
	size_t ps = mc_pagesize();
	int fd = one_page_file();
	unsigned char *p = mc_map_fd(fd, ps, RW, MAP_SHARED, 0);
	unsigned char *h = mc_free_hole(1);

	MC_REQUIRE_OKF(msync(p, 0, MS_SYNC), "msync(%p, 0, MS_SYNC) on a "
	    "shared file mapping", (void *)p);
	MC_REQUIRE_OKF(msync(h, 0, MS_SYNC), "msync(%p, 0, MS_SYNC) where "
	    "nothing is mapped", (void *)h);
	MC_REQUIRE_OKF(msync(h, 0, MS_ASYNC | MS_INVALIDATE), "msync(%p, 0, "
	    "MS_ASYNC|MS_INVALIDATE) where nothing is mapped", (void *)h);
	ATF_REQUIRE(munmap(p, ps) == 0);
	close(fd);
}

MC_TC(msync_wrapping_range_enomem, "BOUNDS-12",
    "msync of a range that wraps past the end of the address space (a "
    "page-multiple length with addr + len < addr) fails with ENOMEM: that "
    "memory is not mapped")
{
	size_t ps = mc_pagesize();
	int fd = one_page_file();
	unsigned char *p = mc_map_fd(fd, ps, RW, MAP_SHARED, 0);
	const size_t lens[] = { SIZE_MAX - ps + 1, SIZE_MAX - 2 * ps + 2 };

	require_wrapping_lengths();
	/*
	 * Not SIZE_MAX itself: Linux rounds it up to a length of 0 and
	 * returns 0 (the manual says nothing about it; not asserted).
	 */
	for (size_t i = 0; i < 2; i++)
		MC_REQUIRE_ERRF(msync(p, lens[i], MS_SYNC), ENOMEM,
		    "msync(%p, %#zx, MS_SYNC)", (void *)p, lens[i]);
	ATF_REQUIRE(munmap(p, ps) == 0);
	close(fd);
}

MC_TC(mincore_zero_length_succeeds, "BOUNDS-13",
    "mincore with length 0 returns 0 and writes no vector byte, on a "
    "mapping and where nothing is mapped (no ENOMEM)")
{
	size_t ps = mc_pagesize();
	unsigned char *p = mc_map_anon(ps, RW, MAP_PRIVATE);
	unsigned char *h = mc_free_hole(1);
	unsigned char vec[4];

	p[0] = 1;
	memset(vec, 0x5a, sizeof(vec));
	MC_REQUIRE_OKF(mincore(p, 0, vec), "mincore(%p, 0) on a resident page",
	    (void *)p);
	MC_REQUIRE_OKF(mincore(h, 0, vec), "mincore(%p, 0) where nothing is "
	    "mapped", (void *)h);
	ATF_REQUIRE_MSG(mc_all_bytes(vec, sizeof(vec), 0x5a), "mincore with "
	    "length 0 wrote the vector: %02x %02x %02x %02x", vec[0], vec[1],
	    vec[2], vec[3]);
	ATF_REQUIRE(munmap(p, ps) == 0);
}

MC_TC(mincore_length_beyond_task_size_enomem, "BOUNDS-14",
    "mincore with a length greater than TASK_SIZE - addr (SIZE_MAX, a "
    "'negative' length, or a page multiple that wraps) fails with ENOMEM "
    "and writes no vector byte")
{
	size_t ps = mc_pagesize();
	unsigned char *p = mc_map_anon(ps, RW, MAP_PRIVATE);
	const size_t lens[] = { SIZE_MAX, SIZE_MAX - ps + 1 };
	unsigned char vec[4];

	require_wrapping_lengths();
	p[0] = 1;
	memset(vec, 0x5a, sizeof(vec));
	for (size_t i = 0; i < 2; i++)
		MC_REQUIRE_ERRF(mincore(p, lens[i], vec), ENOMEM,
		    "mincore(%p, %#zx)", (void *)p, lens[i]);
	ATF_REQUIRE_MSG(mc_all_bytes(vec, sizeof(vec), 0x5a), "a failed "
	    "mincore wrote the vector: %02x %02x %02x %02x", vec[0], vec[1],
	    vec[2], vec[3]);
	ATF_REQUIRE(munmap(p, ps) == 0);
}

/*
 * Skip unless mlock may be called at all here: RLIMIT_MEMLOCK 0 without
 * CAP_IPC_LOCK refuses every mlock with EPERM (MLOCK-17), and a seccomp
 * filter may refuse the family with EPERM before the kernel looks.
 */
static void
require_mlock_callable(void)
{
	struct rlimit rl;

	ATF_REQUIRE_MSG(getrlimit(RLIMIT_MEMLOCK, &rl) == 0, "getrlimit: %s",
	    strerror(errno));
	if (rl.rlim_cur == 0 && !mc_cap_counts(CAP_IPC_LOCK))
		atf_tc_skip("RLIMIT_MEMLOCK is 0 and CAP_IPC_LOCK is not "
		    "effective: every mlock fails with EPERM (MLOCK-17)");
	mc_require_mlock_unfiltered();
}

MC_TC(mlock_zero_length_succeeds, "BOUNDS-15",
    "mlock and munlock with length 0 at a page-aligned address return 0 "
    "and lock nothing, also where nothing is mapped (no ENOMEM)")
{
	size_t ps = mc_pagesize();
	unsigned char *p = mc_map_anon(ps, RW, MAP_PRIVATE);
	unsigned char *h = mc_free_hole(1);
	long before;

	require_mlock_callable();
	before = mc_vmlck_kb();
	MC_REQUIRE_OKF(mlock(p, 0), "mlock(%p, 0) on a mapping", (void *)p);
	ATF_REQUIRE_MSG(mc_vmlck_kb() == before, "mlock(len 0) changed VmLck: "
	    "%ld kB -> %ld kB", before, mc_vmlck_kb());
	ATF_REQUIRE_MSG(mc_smaps_kb(p, "Locked") <= 0, "mlock(len 0) locked "
	    "the page at %p: smaps Locked %ld kB", (void *)p,
	    mc_smaps_kb(p, "Locked"));
	MC_REQUIRE_OKF(mlock(h, 0), "mlock(%p, 0) where nothing is mapped",
	    (void *)h);
	MC_REQUIRE_OKF(munlock(h, 0), "munlock(%p, 0) where nothing is mapped",
	    (void *)h);
	MC_REQUIRE_OKF(munlock(p, 0), "munlock(%p, 0) on a mapping",
	    (void *)p);
	ATF_REQUIRE(munmap(p, ps) == 0);
}

MC_TC(munlock_wrapping_range_einval, "BOUNDS-16",
    "munlock of a range whose end addr + len wraps below addr fails with "
    "EINVAL")
{
	size_t ps = mc_pagesize();
	unsigned char *p = mc_map_anon(ps, RW, MAP_PRIVATE);
	const size_t lens[] = { SIZE_MAX - ps + 1, SIZE_MAX - 2 * ps + 2 };

	require_wrapping_lengths();
	/*
	 * munlock needs no RLIMIT_MEMLOCK; only a seccomp filter may refuse
	 * it (EPERM) before the kernel looks at the range.
	 */
	if (munlock(p, ps) != 0) {
		int e = errno;

		mc_skip_if_mlock_filtered(e);
		ATF_REQUIRE_MSG(false, "munlock(%p, 1 page) of an unlocked "
		    "mapping: expected success, got %s", (void *)p,
		    mc_errname(e));
	}
	/*
	 * Not SIZE_MAX itself: Linux rounds it (plus the offset in the page)
	 * up to a length of 0 and returns 0 (not asserted).
	 */
	for (size_t i = 0; i < 2; i++)
		MC_REQUIRE_ERRF(munlock(p, lens[i]), EINVAL, "munlock(%p, %#zx)",
		    (void *)p, lens[i]);
	ATF_REQUIRE(munmap(p, ps) == 0);
}

MC_TC(mlock_wrapping_range_einval_or_limit, "BOUNDS-17",
    "mlock of a range whose end addr + len wraps below addr fails with "
    "EINVAL with CAP_IPC_LOCK; without it and with a finite "
    "RLIMIT_MEMLOCK the limit check on the page count comes first and it "
    "fails with ENOMEM; nothing is locked")
{
	size_t ps = mc_pagesize();
	unsigned char *p = mc_map_anon(ps, RW, MAP_PRIVATE);
	const size_t lens[] = { SIZE_MAX - ps + 1, SIZE_MAX - 2 * ps + 2 };
	struct rlimit rl;
	bool cap;
	long before;
	int want;

	require_wrapping_lengths();
	require_mlock_callable();
	ATF_REQUIRE(getrlimit(RLIMIT_MEMLOCK, &rl) == 0);
	cap = mc_cap_counts(CAP_IPC_LOCK);
	/*
	 * Both errnos are in mlock(2): EINVAL for addr + len < addr, ENOMEM
	 * for more than RLIMIT_MEMLOCK. The kernel (do_mlock) compares the
	 * page count of the length with the limit before it computes the
	 * end, so which one is seen depends on the privilege, not on the
	 * kernel version. With an infinite limit and no CAP_IPC_LOCK the
	 * page count (2^52 - 1 on 64-bit) plus the pages already locked is
	 * compared with RLIM_INFINITY in pages: the answer depends on VmLck.
	 */
	if (!cap && rl.rlim_cur == RLIM_INFINITY)
		atf_tc_skip("RLIMIT_MEMLOCK is infinite without CAP_IPC_LOCK: "
		    "whether the limit check or the wrap check answers depends "
		    "on how much is locked already");
	want = cap ? EINVAL : ENOMEM;
	before = mc_vmlck_kb();
	for (size_t i = 0; i < 2; i++)
		MC_REQUIRE_ERRF(mlock(p, lens[i]), want, "mlock(%p, %#zx) %s",
		    (void *)p, lens[i], cap ? "(CAP_IPC_LOCK)" :
		    "(RLIMIT_MEMLOCK finite, no CAP_IPC_LOCK)");
	ATF_REQUIRE_MSG(mc_vmlck_kb() == before, "a failed mlock changed "
	    "VmLck: %ld kB -> %ld kB", before, mc_vmlck_kb());
	ATF_REQUIRE(munmap(p, ps) == 0);
}

MC_TC(munmap_wrapping_length_einval, "BOUNDS-18",
    "munmap with a length larger than the rest of the address space "
    "(SIZE_MAX, or a page multiple that wraps addr + len) fails with "
    "EINVAL and unmaps nothing")
{
	size_t ps = mc_pagesize();
	unsigned char *p = mc_map_anon(2 * ps, RW, MAP_PRIVATE);
	const size_t lens[] = { SIZE_MAX, SIZE_MAX - ps + 1 };

	memset(p, 'm', 2 * ps);
	for (size_t i = 0; i < 2; i++)
		MC_REQUIRE_ERRF(munmap(p, lens[i]), EINVAL, "munmap(%p, %#zx)",
		    (void *)p, lens[i]);
	mc_require_readable(p, 2 * ps, "the mapping after the failed munmap "
	    "calls");
	ATF_REQUIRE_MSG(mc_all_bytes(p, 2 * ps, 'm'), "the mapping's contents "
	    "changed after a failed munmap");
	ATF_REQUIRE(munmap(p, 2 * ps) == 0);
}

/* ---- the top of the user address space --------------------------------- */

/* /proc/self/maps entries, static: each is about 8 KiB. */
#define MAX_MAPS 256
static struct mc_maps_ent maps_ents[MAX_MAPS];

/*
 * Map the last page below top with MAP_FIXED_NOREPLACE, filled with c;
 * skip when it is in use (a 32-bit process's stack or vdso may sit
 * there).
 */
static unsigned char *
map_last_page(uintptr_t top, unsigned char c)
{
#ifndef MAP_FIXED_NOREPLACE
	(void)top;
	(void)c;
	atf_tc_skip("MAP_FIXED_NOREPLACE not defined by the C library");
#else
	size_t ps = mc_pagesize();
	unsigned char *last = (unsigned char *)(top - ps);
	void *r = mmap(last, ps, RW, ANON_PRIV | MAP_FIXED_NOREPLACE, -1, 0);

	if (r == MAP_FAILED && errno == EEXIST)
		atf_tc_skip("the last page below the top of the address space "
		    "(%p) is in use by this process", (void *)last);
	ATF_REQUIRE_MSG(r == last, "mmap(MAP_FIXED_NOREPLACE, the last page "
	    "below the top %#jx): expected %p, got %p (%s)", (uintmax_t)top,
	    (void *)last, r, r == MAP_FAILED ? mc_errname(errno) : "");
	memset(last, c, ps);
	return last;
#endif
}

MC_TC(address_space_top_exact, "BOUNDS-19",
    "The user address space ends at a fixed top (TASK_SIZE, probed): "
    "MAP_FIXED of the last page below it succeeds, MAP_FIXED of a range "
    "that starts below it and ends above it fails with ENOMEM without "
    "replacing the mapping below, and no mapping of the process but "
    "[vsyscall] lies above it")
{
	size_t ps = mc_pagesize();
	uintptr_t top = user_top();
	unsigned char *last = map_last_page(top, 't');
	size_t n;
	void *r;

	/* Plain MAP_FIXED over the last page: replaced, fresh zeros. */
	r = mc_require_mmap_ok(mmap(last, ps, RW, ANON_PRIV | MAP_FIXED, -1,
	    0), "mmap(MAP_FIXED, the last page below the top)");
	ATF_REQUIRE_MSG(r == last, "MAP_FIXED of the last page %p mapped at "
	    "%p", (void *)last, r);
	ATF_REQUIRE_MSG(mc_all_bytes(last, ps, 0), "the replacing last page "
	    "is not zero-filled");
	memset(last, 't', ps);
	mc_require_mmap_fails(mmap(last, 2 * ps, RW, ANON_PRIV | MAP_FIXED, -1,
	    0), 2 * ps, ENOMEM, "mmap(MAP_FIXED, 2 pages across the top)");
	mc_require_readable(last, ps, "the last page after the failed "
	    "MAP_FIXED across the top");
	ATF_REQUIRE_MSG(mc_all_bytes(last, ps, 't'), "a failed MAP_FIXED "
	    "across the top replaced the last page");
	mc_require_mmap_fails(mmap((void *)top, ps, RW, ANON_PRIV | MAP_FIXED,
	    -1, 0), ps, ENOMEM, "mmap(MAP_FIXED, the first page at the top)");
	n = mc_maps_read(maps_ents, MAX_MAPS);
	for (size_t i = 0; i < n; i++) {
		if (strcmp(maps_ents[i].path, "[vsyscall]") == 0)
			continue;
		ATF_REQUIRE_MSG(maps_ents[i].end <= top, "/proc/self/maps "
		    "line '%s' ends above the probed top %#jx",
		    maps_ents[i].line, (uintmax_t)top);
	}
	ATF_REQUIRE(munmap(last, ps) == 0);
}

MC_TC(munmap_past_top_einval, "BOUNDS-20",
    "munmap of a range that reaches past the top of the user address space "
    "(starting at the top, or starting below it and ending above it) fails "
    "with EINVAL and unmaps nothing")
{
	size_t ps = mc_pagesize();
	uintptr_t top = user_top();
	unsigned char *last = map_last_page(top, 'u');

	MC_REQUIRE_ERRF(munmap((void *)top, ps), EINVAL, "munmap(%#jx (the "
	    "top), 1 page)", (uintmax_t)top);
	MC_REQUIRE_ERRF(munmap(last, 2 * ps), EINVAL, "munmap(%p, 2 pages "
	    "across the top %#jx)", (void *)last, (uintmax_t)top);
	mc_require_readable(last, ps, "the last page after the failed munmap");
	ATF_REQUIRE_MSG(mc_all_bytes(last, ps, 'u'), "the last page changed "
	    "after a failed munmap");
	MC_REQUIRE_OKF(munmap(last, ps), "munmap(%p, 1 page: ends at the top)",
	    (void *)last);
	MC_REQUIRE_FAULT(last, MC_READ, SIGSEGV, SEGV_MAPERR);
}

MC_TC(calls_above_top_enomem, "BOUNDS-21",
    "At and above the top of the user address space (without wrapping), "
    "mprotect, madvise, msync, mincore, mlock and munlock fail with "
    "ENOMEM: the addresses are outside the process's address space")
{
	size_t ps = mc_pagesize();
	uintptr_t top = user_top();
	uintptr_t mid = top + ((UINTPTR_MAX - top) / 2 & ~(uintptr_t)(ps - 1));
	const uintptr_t addrs[] = { top, mid };
	unsigned char vec[2];

	for (size_t i = 0; i < 2; i++) {
		void *a = (void *)addrs[i];

		MC_REQUIRE_ERRF(mprotect(a, ps, PROT_READ), ENOMEM,
		    "mprotect(%p, 1 page) (top %#jx)", a, (uintmax_t)top);
		MC_REQUIRE_ERRF(madvise(a, ps, MADV_NORMAL), ENOMEM,
		    "madvise(%p, 1 page, MADV_NORMAL) (top %#jx)", a,
		    (uintmax_t)top);
		MC_REQUIRE_ERRF(msync(a, ps, MS_SYNC), ENOMEM,
		    "msync(%p, 1 page, MS_SYNC) (top %#jx)", a, (uintmax_t)top);
		MC_REQUIRE_ERRF(mincore(a, ps, vec), ENOMEM,
		    "mincore(%p, 1 page) (top %#jx)", a, (uintmax_t)top);
	}
	if (!mc_mlock_page_must_succeed())
		atf_tc_skip("mprotect, madvise, msync and mincore above the "
		    "top fail with ENOMEM (proved); mlock is not: one more "
		    "locked page would exceed RLIMIT_MEMLOCK, whose ENOMEM or "
		    "EPERM would prove nothing");
	mc_require_mlock_unfiltered();
	for (size_t i = 0; i < 2; i++) {
		void *a = (void *)addrs[i];

		MC_REQUIRE_ERRF(mlock(a, ps), ENOMEM, "mlock(%p, 1 page) (top "
		    "%#jx)", a, (uintmax_t)top);
		MC_REQUIRE_ERRF(munlock(a, ps), ENOMEM, "munlock(%p, 1 page) "
		    "(top %#jx)", a, (uintmax_t)top);
	}
}

MC_TC(hint_across_top_placed_below, "BOUNDS-22",
    "Without MAP_FIXED, a hint whose range would cross the top of the user "
    "address space (starting in its last page) is not an error: the "
    "mapping is placed wholly below the top")
{
	size_t ps = mc_pagesize();
	uintptr_t top = user_top();
	unsigned char *hint = (unsigned char *)(top - ps);
	unsigned char *p = mc_require_mmap_ok(mmap(hint, 2 * ps, RW, ANON_PRIV,
	    -1, 0), "mmap(hint: the last page below the top, 2 pages, no "
	    "MAP_FIXED)");

	ATF_REQUIRE_MSG((uintptr_t)p + 2 * ps <= top && (uintptr_t)p < top,
	    "mapping placed at %p, 2 pages: crosses the top %#jx", (void *)p,
	    (uintmax_t)top);
	MC_REQUIRE_NO_FAULT(p + ps, MC_WRITE);
	ATF_REQUIRE(munmap(p, 2 * ps) == 0);
}

/* ---- the bottom: vm.mmap_min_addr -------------------------------------- */

/* vm.mmap_min_addr; skips when unreadable or 0. */
static unsigned long
mmap_min_addr(void)
{
	unsigned long min;

	if (!mc_read_ulong_file("/proc/sys/vm/mmap_min_addr", &min))
		atf_tc_skip("/proc/sys/vm/mmap_min_addr not readable: the "
		    "limit is unknown");
	if (min == 0)
		atf_tc_skip("vm.mmap_min_addr is 0: no address is below it");
	return min;
}

MC_TC(hint_below_min_addr_raised, "BOUNDS-23",
    "Without MAP_FIXED, a non-NULL hint below vm.mmap_min_addr is not an "
    "error: the kernel places the mapping at or above vm.mmap_min_addr")
{
	size_t ps = mc_pagesize();
	unsigned long min = mmap_min_addr();
	unsigned char *p;

	if (min <= ps)
		atf_tc_skip("vm.mmap_min_addr is %lu, at most one page (%zu): "
		    "the only page below it is page 0, whose address is NULL "
		    "(no hint)", min, ps);
	p = mc_require_mmap_ok(mmap((void *)(uintptr_t)ps, ps, RW, ANON_PRIV,
	    -1, 0), "mmap(hint: page 1, below vm.mmap_min_addr, no MAP_FIXED)");
	ATF_REQUIRE_MSG((uintptr_t)p >= min, "hint %#zx below vm.mmap_min_addr "
	    "%#lx: mapping placed at %p, below the limit", ps, min, (void *)p);
	MC_REQUIRE_NO_FAULT(p, MC_WRITE);
	ATF_REQUIRE(munmap(p, ps) == 0);
}

/* The first page-aligned address at or above min. */
static uintptr_t
min_addr_page(unsigned long min, size_t ps)
{
	return ((uintptr_t)min + ps - 1) / ps * ps;
}

static int
child_at_min_addr(struct mc_child *self, void *arg)
{
	unsigned long min = *(unsigned long *)arg;
	size_t ps = (size_t)sysconf(_SC_PAGESIZE);
	uintptr_t at = min_addr_page(min, ps);
	struct cres r = { 0 };

	r.err = mc_cap_drop(CAP_SYS_RAWIO);
	r.v[0] = mc_cap_is_effective(CAP_SYS_RAWIO);
#ifdef MAP_FIXED_NOREPLACE
	{
		void *p = mmap((void *)at, ps, RW, ANON_PRIV |
		    MAP_FIXED_NOREPLACE, -1, 0);

		r.v[1] = p == MAP_FAILED ? errno : 0;
		r.v[2] = (int64_t)(uintptr_t)p;
		if (p != MAP_FAILED) {
			((volatile unsigned char *)p)[0] = 1;
			munmap(p, ps);
		}
	}
#else
	r.v[1] = -1;
#endif
	r.v[3] = (int64_t)at;
	mc_send(self, &r, sizeof(r));
	return 0;
}

MC_TC(fixed_at_min_addr_allowed, "BOUNDS-24",
    "Without CAP_SYS_RAWIO, a fixed mapping at exactly vm.mmap_min_addr "
    "(rounded up to a page) succeeds: the first address refused with EPERM "
    "is the page below it")
{
	unsigned long min = mmap_min_addr();
	struct mc_child ch;
	struct cres r;

	mc_require_fixed_noreplace();
	mc_spawn(&ch, child_at_min_addr, &min);
	mc_expect_last(&ch, &r, sizeof(r), "mmap_min_addr report");
	if (r.v[0] != 0)
		atf_tc_skip("cannot drop CAP_SYS_RAWIO (capset: %s; capget "
		    "says %s)", strerror(r.err), r.v[0] < 0 ? "nothing" :
		    "still effective");
	if (r.v[1] == EEXIST)
		atf_tc_skip("the page at vm.mmap_min_addr (%#jx) is in use by "
		    "this process", (uintmax_t)r.v[3]);
	if (r.v[1] == EACCES)
		atf_tc_skip("mmap at vm.mmap_min_addr %#lx: EACCES, an LSM "
		    "(SELinux mmap_zero) enforces its own higher minimum "
		    "(CONFIG_LSM_MMAP_MIN_ADDR)", min);
	ATF_REQUIRE_MSG(r.v[1] == 0 && (uintmax_t)r.v[2] == (uintmax_t)r.v[3],
	    "mmap(MAP_FIXED_NOREPLACE, %#jx = vm.mmap_min_addr %#lx rounded "
	    "up) without CAP_SYS_RAWIO: expected success at that address, "
	    "got %#jx, errno %jd (%s)", (uintmax_t)r.v[3], min,
	    (uintmax_t)r.v[2], (intmax_t)r.v[1], mc_errname((int)r.v[1]));
}

MC_TC(cap_sys_rawio_maps_below_min_addr, "BOUNDS-25",
    "With CAP_SYS_RAWIO effective, MAP_FIXED below vm.mmap_min_addr (the "
    "highest page below it) succeeds and the page is usable")
{
	size_t ps = mc_pagesize();
	unsigned long min = mmap_min_addr();
	uintptr_t below = min_addr_page(min, ps) - ps;
	unsigned char *p;

	if (!mc_cap_counts(CAP_SYS_RAWIO))
		atf_tc_skip("CAP_SYS_RAWIO is not effective in the initial user "
		    "namespace: MAP_FIXED below "
		    "vm.mmap_min_addr is refused with EPERM (MMAPERR-28)");
	mc_require_fixed_noreplace();
#ifdef MAP_FIXED_NOREPLACE
	p = mmap((void *)below, ps, RW, ANON_PRIV | MAP_FIXED_NOREPLACE, -1, 0);
	if (p == MAP_FAILED && errno == EACCES)
		atf_tc_skip("mmap below vm.mmap_min_addr %#lx with "
		    "CAP_SYS_RAWIO: EACCES, an LSM (SELinux mmap_zero) refuses "
		    "it", min);
	if (p == MAP_FAILED && errno == EEXIST)
		atf_tc_skip("the page %#jx below vm.mmap_min_addr is in use by "
		    "this process", (uintmax_t)below);
	ATF_REQUIRE_MSG(p != MAP_FAILED, "mmap(MAP_FIXED_NOREPLACE, %#jx, below "
	    "vm.mmap_min_addr %#lx) with CAP_SYS_RAWIO: expected success, got "
	    "%s", (uintmax_t)below, min, mc_errname(errno));
	ATF_REQUIRE_MSG((uintptr_t)p == below, "mapping below "
	    "vm.mmap_min_addr placed at %p, expected %#jx", (void *)p,
	    (uintmax_t)below);
	MC_REQUIRE_NO_FAULT(p + 1, MC_WRITE);
	ATF_REQUIRE(munmap(p, ps) == 0);
#endif
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, fixed_with_noreplace_noreplace_wins);
	ATF_TP_ADD_TC(tp, negative_offset_refused);
	ATF_TP_ADD_TC(tp, largest_file_offset_maps);
	ATF_TP_ADD_TC(tp, past_largest_file_offset_eoverflow);
	ATF_TP_ADD_TC(tp, rlimit_as_fixed_replacement_same_size);
	ATF_TP_ADD_TC(tp, mprotect_zero_length_noop);
	ATF_TP_ADD_TC(tp, zero_length_still_checks_alignment);
	ATF_TP_ADD_TC(tp, mprotect_wrapping_length_enomem);
	ATF_TP_ADD_TC(tp, madvise_zero_length_checks_advice);
	ATF_TP_ADD_TC(tp, madvise_negative_length_einval);
	ATF_TP_ADD_TC(tp, msync_zero_length_succeeds);
	ATF_TP_ADD_TC(tp, msync_wrapping_range_enomem);
	ATF_TP_ADD_TC(tp, mincore_zero_length_succeeds);
	ATF_TP_ADD_TC(tp, mincore_length_beyond_task_size_enomem);
	ATF_TP_ADD_TC(tp, mlock_zero_length_succeeds);
	ATF_TP_ADD_TC(tp, munlock_wrapping_range_einval);
	ATF_TP_ADD_TC(tp, mlock_wrapping_range_einval_or_limit);
	ATF_TP_ADD_TC(tp, munmap_wrapping_length_einval);
	ATF_TP_ADD_TC(tp, address_space_top_exact);
	ATF_TP_ADD_TC(tp, munmap_past_top_einval);
	ATF_TP_ADD_TC(tp, calls_above_top_enomem);
	ATF_TP_ADD_TC(tp, hint_across_top_placed_below);
	ATF_TP_ADD_TC(tp, hint_below_min_addr_raised);
	ATF_TP_ADD_TC(tp, fixed_at_min_addr_allowed);
	ATF_TP_ADD_TC(tp, cap_sys_rawio_maps_below_min_addr);
	return atf_no_error();
}
