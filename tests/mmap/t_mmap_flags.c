/*
 * t_mmap_flags: the flags of mmap(2) beyond the mapping type: MAP_FIXED,
 * MAP_FIXED_NOREPLACE, MAP_POPULATE (and MAP_NONBLOCK), MAP_NORESERVE,
 * MAP_LOCKED, MAP_GROWSDOWN, MAP_STACK, MAP_SHARED_VALIDATE, MAP_SYNC,
 * MAP_UNINITIALIZED, MAP_32BIT and the ignored legacy flags.
 *
 * Flags are observed where the kernel shows them: residency (mincore,
 * pagemap present bit), /proc/self/maps ranges, /proc/self/smaps VmFlags
 * (proc(5): nr, lo, gd) and /proc/self/status VmLck.
 */
#include <sys/mman.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "mc.h"
#include "mc_err.h"
#include "mc_proc.h"

#define RW (PROT_READ | PROT_WRITE)

/* ---- helpers ----------------------------------------------------------- */

static size_t
pages_present(const void *addr, size_t pages)
{
	size_t n = 0;

	for (size_t i = 0; i < pages; i++)
		if (mc_pagemap((const char *)addr + i * mc_pagesize()) &
		    MC_PM_PRESENT)
			n++;
	return n;
}

/* ---- MAP_FIXED ---------------------------------------------------------- */

MC_TC(fixed_discards_old_contents_in_range, "MMAPFLAG-1",
    "MAP_FIXED over part of an existing mapping discards the old contents "
    "of exactly the overlapped pages (new anonymous pages read zeros, a new "
    "file mapping reads the file); the rest keeps its data")
{
	size_t ps = mc_pagesize();
	int fd = mc_make_file("f", 1);
	unsigned char *p = mc_map_anon(3 * ps, RW, MAP_PRIVATE);
	unsigned char *r;

	memset(p, 'a', ps);
	memset(p + ps, 'b', ps);
	memset(p + 2 * ps, 'c', ps);
	r = mc_require_mmap_ok(mmap(p + ps, ps, RW,
	    MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0),
	    "mmap(MAP_FIXED, anonymous, over the middle page)");
	ATF_REQUIRE_EQ_MSG(r, p + ps, "MAP_FIXED at %p returned %p",
	    (void *)(p + ps), (void *)r);
	ATF_REQUIRE_MSG(mc_all_bytes(p + ps, ps, 0), "after MAP_FIXED "
	    "(anonymous) over the middle page: expected zeros, first byte %#x",
	    p[ps]);
	ATF_REQUIRE_MSG(mc_all_bytes(p, ps, 'a') &&
	    mc_all_bytes(p + 2 * ps, ps, 'c'), "MAP_FIXED over the middle page "
	    "changed the pages around it");
	r = mc_require_mmap_ok(mmap(p, ps, PROT_READ, MAP_SHARED | MAP_FIXED,
	    fd, 0), "mmap(MAP_FIXED, file, over the first page)");
	ATF_REQUIRE_EQ(r, p);
	ATF_REQUIRE_MSG(mc_all_bytes(p, ps, mc_pattern(0)), "after MAP_FIXED "
	    "(file) over the first page: expected the file's '%c', first byte "
	    "%#x", mc_pattern(0), p[0]);
	ATF_REQUIRE_MSG(mc_all_bytes(p + 2 * ps, ps, 'c'), "MAP_FIXED over the "
	    "first page changed the last page");
	ATF_REQUIRE(munmap(p, 3 * ps) == 0);
	close(fd);
}

/* Reader thread of the atomicity case. */
struct reader {
	volatile unsigned char *p;
	size_t len;
	atomic_int stop;
	atomic_long reads, faults;
	pthread_barrier_t go;
};

static __thread sigjmp_buf reader_env;
static __thread volatile sig_atomic_t reader_in;

static void
reader_segv(int signo)
{
	if (reader_in) {
		reader_in = 0;
		siglongjmp(reader_env, 1);
	}
	signal(signo, SIG_DFL);
	raise(signo);
}

static void *
reader_main(void *arg)
{
	struct reader *rd = arg;

	pthread_barrier_wait(&rd->go);
	while (!atomic_load(&rd->stop)) {
		if (sigsetjmp(reader_env, 1) == 0) {
			reader_in = 1;
			for (size_t off = 0; off < rd->len; off += 64)
				(void)rd->p[off];
			reader_in = 0;
			atomic_fetch_add(&rd->reads, 1);
		} else {
			atomic_fetch_add(&rd->faults, 1);
		}
	}
	return NULL;
}

MC_TC(fixed_replaces_atomically_no_gap, "MMAPFLAG-2",
    "MAP_FIXED replaces a mapping atomically: /proc/self/maps shows the new "
    "mapping covering exactly the range with no gap, and a thread reading "
    "the range while it is replaced again and again never faults")
{
	size_t ps = mc_pagesize();
	/* Shared anonymous neighbours never merge with the new mapping. */
	unsigned char *p = mc_map_anon(4 * ps, RW, MAP_SHARED);
	struct sigaction sa, old;
	struct reader rd;
	pthread_t t;
	uintptr_t s, e;
	long during = 0;
	size_t iters = 0;

	memset(p, 's', 4 * ps);
	mc_require_mmap_ok(mmap(p + ps, 2 * ps, RW,
	    MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0),
	    "mmap(MAP_FIXED, pages 1-2 of 4)");
	ATF_REQUIRE_MSG(mc_maps_range(p + ps, &s, &e), "no mapping at %p "
	    "right after MAP_FIXED", (void *)(p + ps));
	ATF_REQUIRE_MSG(s == (uintptr_t)(p + ps) && e == (uintptr_t)(p + 3 *
	    ps), "MAP_FIXED [%p, %p): /proc/self/maps shows [%#jx, %#jx)",
	    (void *)(p + ps), (void *)(p + 3 * ps), (uintmax_t)s,
	    (uintmax_t)e);
	ATF_REQUIRE_MSG(mc_maps_range(p, &s, &e) && e == (uintptr_t)(p + ps),
	    "the page below the replaced range is no longer mapped up to it");
	ATF_REQUIRE_MSG(mc_maps_range(p + 3 * ps, &s, &e) &&
	    s == (uintptr_t)(p + 3 * ps), "the page above the replaced range "
	    "is no longer mapped from it");

	/* The dynamic part: a concurrent reader. */
	memset(&rd, 0, sizeof(rd));
	rd.p = p;
	rd.len = 4 * ps;
	ATF_REQUIRE(pthread_barrier_init(&rd.go, NULL, 2) == 0);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = reader_segv;
	sa.sa_flags = SA_NODEFER;
	sigemptyset(&sa.sa_mask);
	ATF_REQUIRE(sigaction(SIGSEGV, &sa, &old) == 0);
	ATF_REQUIRE_MSG(pthread_create(&t, NULL, reader_main, &rd) == 0,
	    "pthread_create failed");
	pthread_barrier_wait(&rd.go);
	/*
	 * At least 1000 replacements, and more until the reader has read
	 * the range 1000 times during them (bounded).
	 */
	long start = atomic_load(&rd.reads);
	for (iters = 0; iters < 200000; iters++) {
		int flags = (iters & 1) ? MAP_SHARED : MAP_PRIVATE;
		void *r = mmap(p + ps, 2 * ps, RW, flags | MAP_ANONYMOUS |
		    MAP_FIXED, -1, 0);
		if (r != p + ps)
			break;
		during = atomic_load(&rd.reads) - start;
		if (iters >= 1000 && during >= 1000)
			break;
	}
	atomic_store(&rd.stop, 1);
	pthread_join(t, NULL);
	sigaction(SIGSEGV, &old, NULL);
	pthread_barrier_destroy(&rd.go);
	ATF_REQUIRE_MSG(iters == 200000 || iters >= 1000, "mmap(MAP_FIXED) "
	    "replacement %zu failed: %s", iters, strerror(errno));
	ATF_REQUIRE_MSG(atomic_load(&rd.faults) == 0, "a thread reading the "
	    "range faulted %ld times during %zu MAP_FIXED replacements: the "
	    "range was briefly unmapped", atomic_load(&rd.faults), iters);
	ATF_REQUIRE_MSG(during > 0, "the reader thread never ran during the "
	    "%zu replacements: atomicity not observed", iters);
	ATF_REQUIRE(munmap(p, 4 * ps) == 0);
}

MC_TC(fixed_noreplace_in_hole_maps_at_addr, "MMAPFLAG-3",
    "MAP_FIXED_NOREPLACE at a free range maps exactly at addr (Linux 4.17+; "
    "a kernel that does not know the flag takes addr as a hint)")
{
#ifndef MAP_FIXED_NOREPLACE
	atf_tc_skip("MAP_FIXED_NOREPLACE not defined by the C library");
#else
	size_t ps = mc_pagesize();
	unsigned char *h = mc_free_hole(4);
	unsigned char *want = h + ps;
	unsigned char *a, *r;

	r = mc_require_mmap_ok(mmap(want, 2 * ps, RW,
	    MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0),
	    "mmap(MAP_FIXED_NOREPLACE, free range)");
	ATF_REQUIRE_EQ_MSG(r, want, "MAP_FIXED_NOREPLACE at the free range "
	    "%p: got %p", (void *)want, (void *)r);
	/* Whether the kernel honours the flag at all: over a mapping. */
	a = mmap(r, ps, RW, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE,
	    -1, 0);
	if (a != MAP_FAILED) {
		munmap(a, ps);
		munmap(r, 2 * ps);
		mc_skip_unsupported("MAP_FIXED_NOREPLACE over a mapping (taken "
		    "as a hint; a free range is used as any free hint is)", 0);
	}
	mc_require_readable(r, 2 * ps, "the MAP_FIXED_NOREPLACE mapping");
	ATF_REQUIRE_MSG(mc_all_bytes(r, 2 * ps, 0), "new mapping is not "
	    "zero-filled");
	MC_REQUIRE_NO_FAULT(r + 2 * ps - 1, MC_WRITE);
	ATF_REQUIRE(munmap(r, 2 * ps) == 0);
#endif
}

/* ---- MAP_POPULATE ------------------------------------------------------- */

MC_TC(populate_anon_resident_after_mmap, "MMAPFLAG-4",
    "MAP_POPULATE pre-faults an anonymous mapping: every page is resident "
    "(mincore) and present in the page table (pagemap) right after mmap, "
    "before any access")
{
	size_t ps = mc_pagesize();
	const size_t n = 8;
	const int types[] = { MAP_PRIVATE, MAP_SHARED };

	for (size_t i = 0; i < 2; i++) {
		unsigned char *p = mc_require_mmap_ok(mmap(NULL, n * ps, RW,
		    types[i] | MAP_ANONYMOUS | MAP_POPULATE, -1, 0),
		    "mmap(MAP_ANONYMOUS|MAP_POPULATE)");
		size_t res = mc_mincore_count(p, n * ps);

		ATF_REQUIRE_MSG(res == n, "%s|MAP_ANONYMOUS|MAP_POPULATE of "
		    "%zu pages: mincore says %zu resident right after mmap",
		    i ? "MAP_SHARED" : "MAP_PRIVATE", n, res);
		res = pages_present(p, n);
		ATF_REQUIRE_MSG(res == n, "%s|MAP_ANONYMOUS|MAP_POPULATE of "
		    "%zu pages: pagemap says %zu present right after mmap",
		    i ? "MAP_SHARED" : "MAP_PRIVATE", n, res);
		ATF_REQUIRE_MSG(mc_all_bytes(p, n * ps, 0), "populated "
		    "anonymous memory is not zero-filled");
		ATF_REQUIRE(munmap(p, n * ps) == 0);
	}
}

MC_TC(populate_file_ptes_present_after_mmap, "MMAPFLAG-5",
    "MAP_POPULATE on a file mapping maps every page right after mmap "
    "(pagemap present bits), where the same mapping without MAP_POPULATE "
    "has none present")
{
	size_t ps = mc_pagesize();
	const size_t n = 8;
	int fd = mc_make_file("f", n);
	unsigned char *c, *p;
	size_t res;

	c = mc_require_mmap_ok(mmap(NULL, n * ps, PROT_READ, MAP_SHARED, fd, 0),
	    "mmap(MAP_SHARED, file) control");
	res = pages_present(c, n);
	ATF_REQUIRE_MSG(res == 0, "control: a file mapping without "
	    "MAP_POPULATE has %zu of %zu pages present before any access",
	    res, n);
	p = mc_require_mmap_ok(mmap(NULL, n * ps, PROT_READ, MAP_SHARED |
	    MAP_POPULATE, fd, 0), "mmap(MAP_SHARED|MAP_POPULATE, file)");
	res = pages_present(p, n);
	ATF_REQUIRE_MSG(res == n, "MAP_SHARED|MAP_POPULATE of a %zu-page file: "
	    "pagemap says %zu present right after mmap", n, res);
	for (size_t i = 0; i < n; i++)
		ATF_REQUIRE_MSG(p[i * ps] == mc_pattern(i), "populated page "
		    "%zu does not hold the file's '%c'", i, mc_pattern(i));
	ATF_REQUIRE(munmap(c, n * ps) == 0);
	ATF_REQUIRE(munmap(p, n * ps) == 0);
	close(fd);
}

MC_TC(populate_with_nonblock_does_nothing, "MMAPFLAG-6",
    "MAP_NONBLOCK makes MAP_POPULATE do nothing (since Linux 2.6.23): no "
    "anonymous page is resident right after mmap")
{
	size_t ps = mc_pagesize();
	const size_t n = 8;
	unsigned char *p = mc_require_mmap_ok(mmap(NULL, n * ps, RW,
	    MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE | MAP_NONBLOCK, -1, 0),
	    "mmap(MAP_POPULATE|MAP_NONBLOCK)");
	size_t res;

	/* Residency is the witness of "populated": needs a lazy mincore. */
	mc_require_mincore_sees_untouched("whether MAP_POPULATE|MAP_NONBLOCK "
	    "populated the mapping cannot be observed");
	res = mc_mincore_count(p, n * ps);
	ATF_REQUIRE_MSG(res == 0, "MAP_POPULATE|MAP_NONBLOCK of %zu anonymous "
	    "pages: mincore says %zu resident right after mmap, expected 0",
	    n, res);
	MC_REQUIRE_NO_FAULT(p, MC_WRITE);
	ATF_REQUIRE_MSG(mc_mincore_count(p, n * ps) >= 1, "a touched page is "
	    "not resident: mincore cannot tell residency here");
	ATF_REQUIRE(munmap(p, n * ps) == 0);
}

/* ---- MAP_NORESERVE ------------------------------------------------------ */

MC_TC(noreserve_sets_nr_vmflag, "MMAPFLAG-7",
    "MAP_NORESERVE reserves no swap space for the mapping: smaps VmFlags "
    "shows 'nr', which a mapping without it lacks (in overcommit mode 2 "
    "the flag is ignored: no 'nr')")
{
	size_t ps = mc_pagesize();
	int mode = mc_overcommit_mode();
	unsigned char *p, *q;
	char fl[512], fq[512];

	if (mode < 0)
		atf_tc_skip("/proc/sys/vm/overcommit_memory not readable: "
		    "whether MAP_NORESERVE applies is unknown");
	p = mc_map_anon(4 * ps, RW, MAP_PRIVATE | MAP_NORESERVE);
	q = mc_map_anon(4 * ps, PROT_READ, MAP_PRIVATE); /* never merges */
	mc_smaps_vmflags(p, fl, sizeof(fl));
	mc_smaps_vmflags(q, fq, sizeof(fq));
	p[0] = 1;
	if (mode == 2)
		ATF_REQUIRE_MSG(!mc_has_vmflag(fl, "nr"), "overcommit_memory "
		    "2: MAP_NORESERVE should be ignored, VmFlags:%s", fl);
	else
		ATF_REQUIRE_MSG(mc_has_vmflag(fl, "nr"), "MAP_NORESERVE "
		    "(overcommit_memory %d): expected 'nr' in VmFlags, got:%s",
		    mode, fl);
	ATF_REQUIRE_MSG(!mc_has_vmflag(fq, "nr"), "a mapping without "
	    "MAP_NORESERVE has 'nr' in VmFlags:%s", fq);
	ATF_REQUIRE(munmap(p, 4 * ps) == 0);
	ATF_REQUIRE(munmap(q, 4 * ps) == 0);
}

/* ---- MAP_LOCKED --------------------------------------------------------- */

MC_TC(locked_resident_and_counted_in_vmlck, "MMAPFLAG-8",
    "MAP_LOCKED locks the mapping like mlock: its pages are resident right "
    "after mmap, VmLck of /proc/self/status grows by its size, and smaps "
    "shows it Locked with VmFlags 'lo'")
{
	size_t ps = mc_pagesize();
	const size_t n = 4;
	long before = mc_vmlck_kb(), after;
	unsigned char *p;
	char fl[512];

	p = mmap(NULL, n * ps, RW, MAP_PRIVATE | MAP_ANONYMOUS | MAP_LOCKED,
	    -1, 0);
	if (p == MAP_FAILED && (errno == EAGAIN || errno == EPERM))
		atf_tc_skip("mmap(MAP_LOCKED, %zu bytes) refused (%s): "
		    "RLIMIT_MEMLOCK too small and no CAP_IPC_LOCK", n * ps,
		    strerror(errno));
	mc_require_mmap_ok(p, "mmap(MAP_LOCKED)");
	ATF_REQUIRE_MSG(mc_mincore_count(p, n * ps) == n, "MAP_LOCKED of %zu "
	    "pages: only %zu resident right after mmap", n,
	    mc_mincore_count(p, n * ps));
	after = mc_vmlck_kb();
	ATF_REQUIRE_MSG(after - before == (long)(n * ps / 1024), "VmLck went "
	    "from %ld kB to %ld kB after MAP_LOCKED of %zu kB", before, after,
	    n * ps / 1024);
	ATF_REQUIRE_MSG(mc_smaps_kb(p, "Locked") == (long)(n * ps / 1024),
	    "smaps Locked of the MAP_LOCKED mapping: %ld kB, expected %zu",
	    mc_smaps_kb(p, "Locked"), n * ps / 1024);
	mc_smaps_vmflags(p, fl, sizeof(fl));
	ATF_REQUIRE_MSG(mc_has_vmflag(fl, "lo"), "MAP_LOCKED mapping: expected "
	    "'lo' in VmFlags, got:%s", fl);
	ATF_REQUIRE(munmap(p, n * ps) == 0);
	after = mc_vmlck_kb();
	ATF_REQUIRE_MSG(after == before, "VmLck %ld kB after munmap of the "
	    "locked mapping, %ld kB before it", after, before);
}

/* ---- MAP_GROWSDOWN ------------------------------------------------------ */

MC_TC(growsdown_sets_gd_vmflag, "MMAPFLAG-9",
    "MAP_GROWSDOWN marks the mapping as a downward-growing stack: smaps "
    "VmFlags shows 'gd'")
{
	size_t ps = mc_pagesize();
	unsigned char *p = mc_require_mmap_ok(mmap(NULL, 2 * ps, RW,
	    MAP_PRIVATE | MAP_ANONYMOUS | MAP_GROWSDOWN, -1, 0),
	    "mmap(MAP_GROWSDOWN)");
	char fl[512];

	mc_smaps_vmflags(p + ps, fl, sizeof(fl));
	ATF_REQUIRE_MSG(mc_has_vmflag(fl, "gd"), "MAP_GROWSDOWN mapping: "
	    "expected 'gd' in VmFlags, got:%s", fl);
	MC_REQUIRE_NO_FAULT(p + 2 * ps - 1, MC_WRITE);
	ATF_REQUIRE(munmap(p, 2 * ps) == 0);
}

/*
 * Free space kept below the MAP_GROWSDOWN mapping: more than the kernel's
 * stack guard gap (default 256 pages) plus the page it grows by.
 */
#define GROWSDOWN_HOLE_PAGES 2048

MC_TC(growsdown_grows_on_access_below, "MMAPFLAG-10",
    "Touching the page just below a MAP_GROWSDOWN mapping (with free space "
    "below it) does not fault: the mapping grows down by that page")
{
	size_t ps = mc_pagesize();
	size_t total = GROWSDOWN_HOLE_PAGES + 2;
	unsigned char *r, *p;
	uintptr_t s, e;

	/* Reserve, then free all but the top 2 pages; map there. */
	r = mc_require_mmap_ok(mmap(NULL, total * ps, PROT_NONE, MAP_PRIVATE |
	    MAP_ANONYMOUS | MAP_NORESERVE, -1, 0), "mmap(reservation)");
	ATF_REQUIRE(munmap(r, GROWSDOWN_HOLE_PAGES * ps) == 0);
	p = r + GROWSDOWN_HOLE_PAGES * ps;
	mc_require_mmap_ok(mmap(p, 2 * ps, RW, MAP_PRIVATE | MAP_ANONYMOUS |
	    MAP_GROWSDOWN | MAP_FIXED, -1, 0), "mmap(MAP_GROWSDOWN|MAP_FIXED "
	    "above a free range)");
	ATF_REQUIRE_MSG(mc_maps_range(p, &s, &e) && s == (uintptr_t)p,
	    "MAP_GROWSDOWN mapping should start at %p", (void *)p);
	ATF_REQUIRE_MSG(!mc_maps_range(p - ps, &s, &e), "the page below the "
	    "MAP_GROWSDOWN mapping is mapped before any access");
	MC_REQUIRE_NO_FAULT(p - ps, MC_WRITE);
	ATF_REQUIRE_MSG(mc_maps_range(p - ps, &s, &e), "after touching %p "
	    "below the MAP_GROWSDOWN mapping: still no mapping there",
	    (void *)(p - ps));
	ATF_REQUIRE_MSG(s == (uintptr_t)(p - ps) && e == (uintptr_t)p +
	    2 * ps, "after growing by one page: expected [%p, %p), "
	    "/proc/self/maps shows [%#jx, %#jx)", (void *)(p - ps),
	    (void *)(p + 2 * ps), (uintmax_t)s, (uintmax_t)e);
	ATF_REQUIRE_MSG(p[-(ptrdiff_t)ps] == 0xA5, "the grown page does not "
	    "hold the byte written to it");
	ATF_REQUIRE(munmap(p - ps, 3 * ps) == 0);
}

MC_TC(growsdown_no_growth_next_to_lower_mapping, "MMAPFLAG-21",
    "A MAP_GROWSDOWN mapping that is within a page of the next lower "
    "(accessible) mapping does not grow: touching the guard page between "
    "them raises SIGSEGV/SEGV_MAPERR and the mapping keeps its bounds")
{
	size_t ps = mc_pagesize();
	/* [lower: PROT_READ][guard page: free][MAP_GROWSDOWN: 2 pages] */
	unsigned char *low = mc_require_mmap_ok(mmap(NULL, 4 * ps, PROT_READ,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0), "mmap(4 pages PROT_READ)");
	unsigned char *guard = low + ps, *p = low + 2 * ps;
	uintptr_t s, e;

	ATF_REQUIRE_MSG(munmap(guard, ps) == 0, "munmap(guard page): %s",
	    strerror(errno));
	mc_require_mmap_ok(mmap(p, 2 * ps, RW, MAP_PRIVATE | MAP_ANONYMOUS |
	    MAP_GROWSDOWN | MAP_FIXED, -1, 0), "mmap(MAP_GROWSDOWN|MAP_FIXED "
	    "one page above a PROT_READ mapping)");
	ATF_REQUIRE_MSG(mc_maps_range(low, &s, &e) && s == (uintptr_t)low &&
	    e == (uintptr_t)guard, "the lower mapping should be [%p, %p)",
	    (void *)low, (void *)guard);
	ATF_REQUIRE_MSG(!mc_maps_range(guard, &s, &e), "the guard page %p is "
	    "mapped before any access", (void *)guard);
	MC_REQUIRE_FAULT(guard, MC_WRITE, SIGSEGV, SEGV_MAPERR);
	ATF_REQUIRE_MSG(!mc_maps_range(guard, &s, &e), "after the refused "
	    "access the guard page is mapped: [%#jx, %#jx)", (uintmax_t)s,
	    (uintmax_t)e);
	ATF_REQUIRE_MSG(mc_maps_range(p, &s, &e) && s == (uintptr_t)p &&
	    e == (uintptr_t)(p + 2 * ps), "the MAP_GROWSDOWN mapping should "
	    "still be [%p, %p), /proc/self/maps shows [%#jx, %#jx)",
	    (void *)p, (void *)(p + 2 * ps), (uintmax_t)s, (uintmax_t)e);
	MC_REQUIRE_NO_FAULT(p, MC_WRITE);
	MC_REQUIRE_NO_FAULT(low, MC_READ);
	ATF_REQUIRE(munmap(low, 4 * ps) == 0);
}

/* ---- MAP_STACK ---------------------------------------------------------- */

MC_TC(stack_flag_accepted, "MMAPFLAG-11",
    "MAP_STACK is accepted (a no-op on Linux): the mapping is ordinary "
    "zero-filled readable and writable memory")
{
	size_t ps = mc_pagesize();
	unsigned char *p = mc_require_mmap_ok(mmap(NULL, 4 * ps, RW,
	    MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0), "mmap(MAP_STACK)");

	ATF_REQUIRE_MSG(mc_all_bytes(p, 4 * ps, 0), "MAP_STACK mapping is not "
	    "zero-filled");
	MC_REQUIRE_NO_FAULT(p, MC_WRITE);
	MC_REQUIRE_NO_FAULT(p + 4 * ps - 1, MC_WRITE);
	ATF_REQUIRE(munmap(p, 4 * ps) == 0);
}

/* ---- MAP_SHARED_VALIDATE, unknown flags --------------------------------- */

MC_TC(shared_validate_known_flags_like_shared, "MMAPFLAG-12",
    "MAP_SHARED_VALIDATE with known flags (MAP_POPULATE, MAP_NORESERVE) "
    "behaves as MAP_SHARED: 's' in /proc/self/maps, writes reach the file")
{
#ifndef MAP_SHARED_VALIDATE
	atf_tc_skip("MAP_SHARED_VALIDATE not defined by the C library");
#else
	size_t ps = mc_pagesize();
	int fd = mc_make_file("f", 2);
	unsigned char *p, b;
	struct mc_maps_ent m;

	mc_require_shared_validate(fd);
	p = mc_require_mmap_ok(mmap(NULL, 2 * ps, RW, MAP_SHARED_VALIDATE |
	    MAP_POPULATE | MAP_NORESERVE, fd, 0), "mmap(MAP_SHARED_VALIDATE|"
	    "MAP_POPULATE|MAP_NORESERVE, file)");
	mc_maps_get(p, &m);
	ATF_REQUIRE_MSG(m.perms[3] == 's', "MAP_SHARED_VALIDATE mapping: "
	    "expected 's' in the permissions, /proc/self/maps says '%s'",
	    m.line);
	p[ps + 9] = 'k';
	mc_pread_all(fd, &b, 1, (off_t)ps + 9);
	ATF_REQUIRE_MSG(b == 'k', "a write through MAP_SHARED_VALIDATE did not "
	    "reach the file (pread %#x)", b);
	ATF_REQUIRE(munmap(p, 2 * ps) == 0);
	close(fd);
#endif
}

MC_TC(shared_ignores_unknown_flags, "MMAPFLAG-13",
    "Plain MAP_SHARED ignores a flag bit the kernel does not know: the "
    "mapping is created and is shared (writes reach the file)")
{
	size_t ps = mc_pagesize();
	int fd = mc_make_file("f", 1);
	int unk = mc_unknown_map_flag();
	unsigned char *p, b;
	char what[80];

	snprintf(what, sizeof(what), "mmap(MAP_SHARED|%#x (unknown flag), "
	    "file)", unk);
	p = mc_require_mmap_ok(mmap(NULL, ps, RW, MAP_SHARED | unk, fd, 0),
	    what);
	p[3] = 'i';
	mc_pread_all(fd, &b, 1, 3);
	ATF_REQUIRE_MSG(b == 'i', "%s: a write did not reach the file (pread "
	    "%#x)", what, b);
	ATF_REQUIRE(munmap(p, ps) == 0);
	close(fd);
}

/* ---- MAP_SYNC ----------------------------------------------------------- */

MC_TC(sync_with_validate_off_dax_eopnotsupp, "MMAPFLAG-14",
    "MAP_SHARED_VALIDATE|MAP_SYNC on a file without DAX (a memfd on tmpfs; "
    "the work directory's file when statx does not report DAX) fails with "
    "EOPNOTSUPP")
{
#if !defined(MAP_SHARED_VALIDATE) || !defined(MAP_SYNC)
	atf_tc_skip("MAP_SHARED_VALIDATE or MAP_SYNC not defined by the C "
	    "library");
#else
	size_t ps = mc_pagesize();
	int fd = mc_make_file("f", 1);
	int mfd = memfd_create("mmapconf-sync", 0);
	struct statx stx;

	mc_require_shared_validate(fd);
	if (mfd >= 0) {
		ATF_REQUIRE(ftruncate(mfd, (off_t)ps) == 0);
		mc_require_mmap_fails(mmap(NULL, ps, RW, MAP_SHARED_VALIDATE |
		    MAP_SYNC, mfd, 0), ps, EOPNOTSUPP,
		    "mmap(MAP_SHARED_VALIDATE|MAP_SYNC, memfd)");
		close(mfd);
	} else {
		ATF_REQUIRE_MSG(errno == ENOSYS, "memfd_create: %s",
		    strerror(errno));
	}
#ifdef STATX_ATTR_DAX
	if (statx(fd, "", AT_EMPTY_PATH, 0, &stx) == 0 &&
	    (stx.stx_attributes_mask & STATX_ATTR_DAX) &&
	    (stx.stx_attributes & STATX_ATTR_DAX))
		atf_tc_skip("the work directory's file is DAX: MAP_SYNC is "
		    "supported there%s", mfd >= 0 ? " (memfd gave EOPNOTSUPP)" :
		    "");
#else
	(void)stx;
#endif
	mc_require_mmap_fails(mmap(NULL, ps, RW, MAP_SHARED_VALIDATE | MAP_SYNC,
	    fd, 0), ps, EOPNOTSUPP, "mmap(MAP_SHARED_VALIDATE|MAP_SYNC, "
	    "non-DAX file of the work directory)");
	close(fd);
#endif
}

MC_TC(sync_without_validate_ignored_on_tmpfs, "MMAPFLAG-15",
    "Plain MAP_SHARED silently ignores MAP_SYNC where the file system does "
    "not look at it (memfd on tmpfs): the mapping is created and shared")
{
#ifndef MAP_SYNC
	atf_tc_skip("MAP_SYNC not defined by the C library");
#else
	size_t ps = mc_pagesize();
	int mfd = memfd_create("mmapconf-sync", 0);
	unsigned char *p, b;

	if (mfd < 0 && errno == ENOSYS)
		mc_skip_unsupported("memfd_create", ENOSYS);
	ATF_REQUIRE_MSG(mfd >= 0, "memfd_create: %s", strerror(errno));
	ATF_REQUIRE(ftruncate(mfd, (off_t)ps) == 0);
	p = mc_require_mmap_ok(mmap(NULL, ps, RW, MAP_SHARED | MAP_SYNC, mfd,
	    0), "mmap(MAP_SHARED|MAP_SYNC, memfd)");
	MC_REQUIRE_NO_FAULT(p + 1, MC_WRITE);
	p[1] = 'y';
	ATF_REQUIRE(pread(mfd, &b, 1, 1) == 1);
	ATF_REQUIRE_MSG(b == 'y', "MAP_SHARED|MAP_SYNC memfd mapping is not "
	    "shared (pread %#x)", b);
	ATF_REQUIRE(munmap(p, ps) == 0);
	close(mfd);
#endif
}

/* ---- MAP_UNINITIALIZED -------------------------------------------------- */

MC_TC(uninitialized_ignored_memory_zeroed, "MMAPFLAG-16",
    "MAP_UNINITIALIZED is ignored by kernels built without "
    "CONFIG_MMAP_ALLOW_UNINITIALIZED (every MMU kernel): anonymous memory "
    "is still zero-filled, even right after memory was freed")
{
	size_t ps = mc_pagesize();
	const size_t n = 16;

	for (int round = 0; round < 4; round++) {
		unsigned char *d = mc_map_anon(n * ps, RW, MAP_PRIVATE);
		unsigned char *p;

		memset(d, 0xEE, n * ps);
		ATF_REQUIRE(munmap(d, n * ps) == 0);
		p = mc_require_mmap_ok(mmap(NULL, n * ps, RW, MAP_PRIVATE |
		    MAP_ANONYMOUS | MAP_UNINITIALIZED, -1, 0),
		    "mmap(MAP_ANONYMOUS|MAP_UNINITIALIZED)");
		mc_nohuge(p, n * ps);
		for (size_t i = 0; i < n; i++)
			ATF_REQUIRE_MSG(mc_all_bytes(p + i * ps, ps, 0),
			    "MAP_UNINITIALIZED: page %zu is not zero-filled "
			    "(first byte %#x)", i, p[i * ps]);
		ATF_REQUIRE(munmap(p, n * ps) == 0);
	}
}

/* ---- MAP_32BIT ---------------------------------------------------------- */

#define TWO_GIB ((uintptr_t)1 << 31)

MC_TC(map_32bit_below_2gib, "MMAPFLAG-17",
    "On x86-64, MAP_32BIT puts anonymous and file mappings in the first "
    "2 GiB of the address space")
{
#if !defined(__x86_64__) || !defined(MAP_32BIT)
	atf_tc_skip("MAP_32BIT exists only on x86-64 (64-bit programs)");
#else
	size_t ps = mc_pagesize();
	int fd = mc_make_file("f", 2);
	unsigned char *p;

	p = mc_require_mmap_ok(mmap(NULL, 4 * ps, RW,
	    MAP_PRIVATE | MAP_ANONYMOUS | MAP_32BIT, -1, 0),
	    "mmap(MAP_32BIT, anonymous)");
	ATF_REQUIRE_MSG((uintptr_t)p + 4 * ps <= TWO_GIB, "MAP_32BIT anonymous "
	    "mapping at %p: expected it to end below 2 GiB", (void *)p);
	MC_REQUIRE_NO_FAULT(p, MC_WRITE);
	ATF_REQUIRE(munmap(p, 4 * ps) == 0);
	p = mc_require_mmap_ok(mmap(NULL, 2 * ps, PROT_READ, MAP_SHARED |
	    MAP_32BIT, fd, 0), "mmap(MAP_32BIT, file)");
	ATF_REQUIRE_MSG((uintptr_t)p + 2 * ps <= TWO_GIB, "MAP_32BIT file "
	    "mapping at %p: expected it to end below 2 GiB", (void *)p);
	ATF_REQUIRE_MSG(p[ps] == mc_pattern(1), "MAP_32BIT file mapping does "
	    "not show the file");
	ATF_REQUIRE(munmap(p, 2 * ps) == 0);
	close(fd);
#endif
}

MC_TC(map_32bit_ignored_with_fixed, "MMAPFLAG-18",
    "On x86-64, MAP_32BIT is ignored when MAP_FIXED is set: a fixed address "
    "above 2 GiB is used as given")
{
#if !defined(__x86_64__) || !defined(MAP_32BIT)
	atf_tc_skip("MAP_32BIT exists only on x86-64 (64-bit programs)");
#else
	size_t ps = mc_pagesize();
	unsigned char *h = mc_free_hole(2);
	unsigned char *p;

	if ((uintptr_t)h < TWO_GIB)
		atf_tc_skip("the kernel placed a normal mapping below 2 GiB "
		    "(%p): no high address to test with", (void *)h);
	p = mc_require_mmap_ok(mmap(h, 2 * ps, RW, MAP_PRIVATE | MAP_ANONYMOUS |
	    MAP_FIXED | MAP_32BIT, -1, 0), "mmap(MAP_FIXED|MAP_32BIT, address "
	    "above 2 GiB)");
	ATF_REQUIRE_EQ_MSG(p, h, "MAP_FIXED|MAP_32BIT at %p returned %p",
	    (void *)h, (void *)p);
	MC_REQUIRE_NO_FAULT(p + ps, MC_WRITE);
	ATF_REQUIRE(munmap(p, 2 * ps) == 0);
#endif
}

/* ---- ignored legacy flags ----------------------------------------------- */

MC_TC(denywrite_ignored_file_stays_writable, "MMAPFLAG-19",
    "MAP_DENYWRITE is ignored: mapping a file open for writing gives no "
    "ETXTBSY, and the file can still be opened and written while mapped")
{
	size_t ps = mc_pagesize();
	int fd = mc_make_file("f", 1);
	unsigned char *p, c = 'w';
	int wfd;

	p = mc_require_mmap_ok(mmap(NULL, ps, PROT_READ, MAP_PRIVATE |
	    MAP_DENYWRITE, fd, 0), "mmap(MAP_PRIVATE|MAP_DENYWRITE, file open "
	    "O_RDWR)");
	wfd = open("f", O_WRONLY);
	ATF_REQUIRE_MSG(wfd >= 0, "open(f, O_WRONLY) while mapped with "
	    "MAP_DENYWRITE: %s (%s)", strerror(errno), mc_errname(errno));
	ATF_REQUIRE_MSG(pwrite(wfd, &c, 1, 0) == 1, "pwrite while mapped with "
	    "MAP_DENYWRITE: %s", strerror(errno));
	close(wfd);
	ATF_REQUIRE(munmap(p, ps) == 0);
	close(fd);
}

MC_TC(executable_and_file_flags_ignored, "MMAPFLAG-20",
    "MAP_EXECUTABLE and MAP_FILE are ignored: a file mapping with them is "
    "the same shared mapping of the file (writes reach the file)")
{
	size_t ps = mc_pagesize();
	int fd = mc_make_file("f", 1);
	unsigned char *p, b;

	p = mc_require_mmap_ok(mmap(NULL, ps, RW, MAP_SHARED | MAP_EXECUTABLE |
	    MAP_FILE, fd, 0), "mmap(MAP_SHARED|MAP_EXECUTABLE|MAP_FILE)");
	ATF_REQUIRE_MSG(p[0] == mc_pattern(0), "the mapping does not show the "
	    "file");
	p[2] = 'x';
	mc_pread_all(fd, &b, 1, 2);
	ATF_REQUIRE_MSG(b == 'x', "a write did not reach the file (pread %#x)",
	    b);
	ATF_REQUIRE(munmap(p, ps) == 0);
	p = mc_require_mmap_ok(mmap(NULL, ps, RW, MAP_PRIVATE | MAP_ANONYMOUS |
	    MAP_EXECUTABLE, -1, 0), "mmap(MAP_ANONYMOUS|MAP_EXECUTABLE)");
	ATF_REQUIRE_MSG(mc_all_bytes(p, ps, 0), "anonymous mapping with "
	    "MAP_EXECUTABLE is not zero-filled");
	ATF_REQUIRE(munmap(p, ps) == 0);
	close(fd);
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, fixed_discards_old_contents_in_range);
	ATF_TP_ADD_TC(tp, fixed_replaces_atomically_no_gap);
	ATF_TP_ADD_TC(tp, fixed_noreplace_in_hole_maps_at_addr);
	ATF_TP_ADD_TC(tp, populate_anon_resident_after_mmap);
	ATF_TP_ADD_TC(tp, populate_file_ptes_present_after_mmap);
	ATF_TP_ADD_TC(tp, populate_with_nonblock_does_nothing);
	ATF_TP_ADD_TC(tp, noreserve_sets_nr_vmflag);
	ATF_TP_ADD_TC(tp, locked_resident_and_counted_in_vmlck);
	ATF_TP_ADD_TC(tp, growsdown_sets_gd_vmflag);
	ATF_TP_ADD_TC(tp, growsdown_grows_on_access_below);
	ATF_TP_ADD_TC(tp, growsdown_no_growth_next_to_lower_mapping);
	ATF_TP_ADD_TC(tp, stack_flag_accepted);
	ATF_TP_ADD_TC(tp, shared_validate_known_flags_like_shared);
	ATF_TP_ADD_TC(tp, shared_ignores_unknown_flags);
	ATF_TP_ADD_TC(tp, sync_with_validate_off_dax_eopnotsupp);
	ATF_TP_ADD_TC(tp, sync_without_validate_ignored_on_tmpfs);
	ATF_TP_ADD_TC(tp, uninitialized_ignored_memory_zeroed);
	ATF_TP_ADD_TC(tp, map_32bit_below_2gib);
	ATF_TP_ADD_TC(tp, map_32bit_ignored_with_fixed);
	ATF_TP_ADD_TC(tp, denywrite_ignored_file_stays_writable);
	ATF_TP_ADD_TC(tp, executable_and_file_flags_ignored);
	return atf_no_error();
}
