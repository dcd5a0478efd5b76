/*
 * t_guard: lightweight guard regions, madvise(2) MADV_GUARD_INSTALL and
 * MADV_GUARD_REMOVE (Linux 6.13+). A guard region lives in the page tables,
 * not in a mapping of its own: any read or write of it raises SIGSEGV, it
 * frees what was mapped there, and only MADV_GUARD_REMOVE (or unmapping)
 * takes it away.
 *
 * Every case probes the advice on a private anonymous page first: EINVAL
 * there (an older kernel, or an emulator) skips the case.
 */
#include <sys/mman.h>
#include <sys/wait.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "mc.h"
#include "mc_proc.h"

/* include/uapi/asm-generic/mman-common.h (Linux 6.13). */
#ifndef MADV_GUARD_INSTALL
#define MADV_GUARD_INSTALL 102
#endif
#ifndef MADV_GUARD_REMOVE
#define MADV_GUARD_REMOVE 103
#endif

static void
require_guard_regions(void)
{
	size_t ps = mc_pagesize();
	void *p = mc_map_anon(ps, PROT_READ | PROT_WRITE, MAP_PRIVATE);

	if (madvise(p, ps, MADV_GUARD_INSTALL) != 0) {
		int e = errno;

		ATF_REQUIRE(munmap(p, ps) == 0);
		ATF_REQUIRE_MSG(e == EINVAL || e == ENOSYS, "probing "
		    "madvise(MADV_GUARD_INSTALL) on a private anonymous page: "
		    "expected success, or EINVAL from a kernel without guard "
		    "regions; got %s", strerror(e));
		atf_tc_skip("madvise(MADV_GUARD_INSTALL) fails with %s: no "
		    "guard regions here (Linux 6.13+)", strerror(e));
	}
	ATF_REQUIRE(munmap(p, ps) == 0);
}

static void
guard(void *p, size_t len, int advice, const char *what)
{
	ATF_REQUIRE_MSG(madvise(p, len, advice) == 0, "madvise(%p, %zu, %s) "
	    "on %s: %s", p, len, advice == MADV_GUARD_INSTALL ?
	    "MADV_GUARD_INSTALL" : "MADV_GUARD_REMOVE", what,
	    strerror(errno));
}

/* Require that reading and writing addr both raise SIGSEGV. */
static void
require_guarded(void *addr, const char *what)
{
	struct mc_fault r = mc_touch(addr, MC_READ);
	struct mc_fault w = mc_touch(addr, MC_WRITE);

	ATF_REQUIRE_MSG(r.signo == SIGSEGV, "%s: a read of %p should raise "
	    "SIGSEGV (guard region), got %s/%s", what, addr,
	    mc_signame(r.signo), mc_codename(r.signo, r.code));
	ATF_REQUIRE_MSG(w.signo == SIGSEGV, "%s: a write to %p should raise "
	    "SIGSEGV (guard region), got %s/%s", what, addr,
	    mc_signame(w.signo), mc_codename(w.signo, w.code));
	printf("%s: read %s/%s, write %s/%s\n", what, mc_signame(r.signo),
	    mc_codename(r.signo, r.code), mc_signame(w.signo),
	    mc_codename(w.signo, w.code));
}

MC_TC(install_makes_access_segv, "GUARD-1",
    "After MADV_GUARD_INSTALL on the middle page of a private anonymous "
    "mapping, reading or writing that page raises SIGSEGV; the pages "
    "around it keep their contents and stay usable")
{
	size_t ps = mc_pagesize();
	unsigned char *p;

	require_guard_regions();
	p = mc_map_guarded(3, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1);
	mc_fill_patterns(p, 3, 0);
	guard(p + ps, ps, MADV_GUARD_INSTALL, "page 1 of 3");
	require_guarded(p + ps, "the guarded page");
	mc_require_patterns(p, 1, 0, "page 0 beside the guard");
	mc_require_patterns(p + 2 * ps, 1, 2, "page 2 beside the guard");
	MC_REQUIRE_NO_FAULT(p + 2 * ps, MC_WRITE);
	mc_unmap_guarded(p, 3);
}

MC_TC(install_makes_no_mapping, "GUARD-2",
    "A guard region is not a mapping: after MADV_GUARD_INSTALL on the "
    "middle page, /proc/self/maps still shows one mapping with the same "
    "bounds and protection")
{
	size_t ps = mc_pagesize();
	struct mc_maps_ent before, after;
	unsigned char *p;

	require_guard_regions();
	p = mc_map_guarded(3, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1);
	mc_maps_get(p, &before);
	guard(p + ps, ps, MADV_GUARD_INSTALL, "page 1 of 3");
	mc_maps_get(p + ps, &after);
	ATF_REQUIRE_MSG(after.start == before.start && after.end ==
	    before.end && strcmp(after.perms, before.perms) == 0,
	    "expected the mapping \"%s\" unchanged after MADV_GUARD_INSTALL, "
	    "/proc/self/maps says \"%s\"", before.line, after.line);
	mc_unmap_guarded(p, 3);
}

MC_TC(install_discards_contents, "GUARD-3",
    "MADV_GUARD_INSTALL frees what was mapped in the range: after "
    "MADV_GUARD_REMOVE a private anonymous page that held data reads zero")
{
	size_t ps = mc_pagesize();
	unsigned char *p;

	require_guard_regions();
	p = mc_map_guarded(1, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1);
	memset(p, 0x77, ps);
	guard(p, ps, MADV_GUARD_INSTALL, "a page holding 0x77");
	guard(p, ps, MADV_GUARD_REMOVE, "the same page");
	MC_REQUIRE_NO_FAULT(p, MC_READ);
	ATF_REQUIRE_EQ_MSG(mc_count_not(p, ps, 0), (size_t)0, "%zu bytes of "
	    "the page are not zero after install and remove: expected the "
	    "old 0x77 contents freed", mc_count_not(p, ps, 0));
	mc_unmap_guarded(p, 1);
}

MC_TC(remove_restores_access, "GUARD-4",
    "MADV_GUARD_REMOVE takes a guard region away: the page can be read "
    "(zero-filled) and written again, and the write stays")
{
	size_t ps = mc_pagesize();
	unsigned char *p;

	require_guard_regions();
	p = mc_map_guarded(1, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1);
	guard(p, ps, MADV_GUARD_INSTALL, "an untouched page");
	require_guarded(p, "before MADV_GUARD_REMOVE");
	guard(p, ps, MADV_GUARD_REMOVE, "the guarded page");
	MC_REQUIRE_NO_FAULT(p, MC_READ);
	MC_REQUIRE_NO_FAULT(p, MC_WRITE);
	p[1] = 0x42;
	ATF_REQUIRE_EQ_MSG(p[1], 0x42, "the page reads %#x after a write of "
	    "0x42", p[1]);
	mc_unmap_guarded(p, 1);
}

MC_TC(remove_keeps_unguarded_pages, "GUARD-5",
    "MADV_GUARD_REMOVE over a range that is only partly guarded removes "
    "the guard and leaves the other pages' contents as they were")
{
	size_t ps = mc_pagesize();
	unsigned char *p;

	require_guard_regions();
	p = mc_map_guarded(3, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1);
	mc_fill_patterns(p, 3, 0);
	guard(p + ps, ps, MADV_GUARD_INSTALL, "page 1 of 3");
	guard(p, 3 * ps, MADV_GUARD_REMOVE, "all three pages");
	mc_require_patterns(p, 1, 0, "page 0 after MADV_GUARD_REMOVE");
	mc_require_patterns(p + 2 * ps, 1, 2, "page 2 after "
	    "MADV_GUARD_REMOVE");
	MC_REQUIRE_NO_FAULT(p + ps, MC_WRITE);
	mc_unmap_guarded(p, 3);
}

MC_TC(dontneed_keeps_guard, "GUARD-6",
    "MADV_DONTNEED over a guard region does not remove it: the page still "
    "raises SIGSEGV")
{
	size_t ps = mc_pagesize();
	unsigned char *p;

	require_guard_regions();
	p = mc_map_guarded(2, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1);
	guard(p, ps, MADV_GUARD_INSTALL, "page 0 of 2");
	ATF_REQUIRE_MSG(madvise(p, 2 * ps, MADV_DONTNEED) == 0,
	    "madvise(MADV_DONTNEED) over the guard: %s", strerror(errno));
	require_guarded(p, "after MADV_DONTNEED");
	MC_REQUIRE_NO_FAULT(p + ps, MC_WRITE);
	mc_unmap_guarded(p, 2);
}

static int
child_touches_guard(struct mc_child *self, void *arg)
{
	struct mc_fault f = mc_touch(arg, MC_READ);
	uint64_t v = (uint64_t)f.signo;

	mc_child_send_u64(self, v);
	return 0;
}

MC_TC(guard_survives_fork, "GUARD-7",
    "A guard region is inherited by fork: the child's read of the guarded "
    "page raises SIGSEGV too")
{
	size_t ps = mc_pagesize();
	unsigned char *p;
	struct mc_child ch;
	uint64_t signo;

	require_guard_regions();
	p = mc_map_guarded(2, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1);
	p[ps] = 1; /* the mapping has pages: fork copies its page tables */
	guard(p, ps, MADV_GUARD_INSTALL, "page 0 of 2");
	mc_spawn(&ch, child_touches_guard, p);
	mc_expect(&ch, &signo, sizeof(signo), "the signal the child's read "
	    "of the guarded page raised");
	mc_reap_ok(&ch);
	ATF_REQUIRE_EQ_MSG(signo, (uint64_t)SIGSEGV, "in the child, a read of "
	    "the guarded page raised %s, expected SIGSEGV (guard inherited)",
	    mc_signame((int)signo));
	mc_unmap_guarded(p, 2);
}

MC_TC(install_refused_on_locked, "GUARD-8",
    "MADV_GUARD_INSTALL on an mlocked mapping fails with EINVAL and "
    "leaves the page as it was")
{
	size_t ps = mc_pagesize();
	unsigned char *p;

	require_guard_regions();
	p = mc_map_guarded(1, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1);
	memset(p, 0x33, ps);
	mc_mlock_or_skip(p, ps);
	errno = 0;
	ATF_REQUIRE_MSG(madvise(p, ps, MADV_GUARD_INSTALL) == -1 &&
	    errno == EINVAL, "madvise(MADV_GUARD_INSTALL) on a locked page: "
	    "expected -1/EINVAL, got errno %s", strerror(errno));
	ATF_REQUIRE_MSG(mc_all_bytes(p, ps, 0x33), "the locked page lost its "
	    "0x33 contents after the refused MADV_GUARD_INSTALL");
	ATF_REQUIRE(munlock(p, ps) == 0);
	mc_unmap_guarded(p, 1);
}

MC_TC(munmap_removes_guard, "GUARD-9",
    "Unmapping a guarded range removes the guard: a new mapping at the "
    "same address is readable and zero-filled")
{
	size_t ps = mc_pagesize();
	unsigned char *p;
	void *q;

	require_guard_regions();
	p = mc_map_guarded(1, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1);
	guard(p, ps, MADV_GUARD_INSTALL, "the page");
	q = mmap(p, ps, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	ATF_REQUIRE_MSG(q == p, "mmap(MAP_FIXED) over the guarded page: %s",
	    q == MAP_FAILED ? strerror(errno) : "another address");
	MC_REQUIRE_NO_FAULT(p, MC_READ);
	ATF_REQUIRE_EQ_MSG(mc_count_not(p, ps, 0), (size_t)0, "the new page "
	    "has %zu non-zero bytes", mc_count_not(p, ps, 0));
	mc_unmap_guarded(p, 1);
}

MC_TC(guard_on_shared_file_mapping, "GUARD-10",
    "On a shared file mapping (Linux 6.15+ allows it), a guarded page "
    "raises SIGSEGV while the file keeps its data; after "
    "MADV_GUARD_REMOVE the page shows the file's data again")
{
	size_t ps = mc_pagesize();
	int fd = mc_make_file("f", 3);
	unsigned char *p;

	require_guard_regions();
	p = mc_map_fd(fd, 3 * ps, PROT_READ | PROT_WRITE, MAP_SHARED, 0);
	if (madvise(p + ps, ps, MADV_GUARD_INSTALL) != 0) {
		int e = errno;

		ATF_REQUIRE(munmap(p, 3 * ps) == 0);
		ATF_REQUIRE_MSG(e == EINVAL, "madvise(MADV_GUARD_INSTALL) on a "
		    "shared file mapping: expected success or EINVAL (before "
		    "Linux 6.15), got %s", strerror(e));
		atf_tc_skip("guard regions on file mappings are refused "
		    "(EINVAL): Linux 6.15+");
	}
	require_guarded(p + ps, "a guarded page of a shared file mapping");
	{
		unsigned char b[1];

		mc_pread_all(fd, b, 1, (off_t)ps);
		ATF_REQUIRE_EQ_MSG(b[0], mc_pattern(1), "the file's page 1 "
		    "reads %#x under the guard, expected %#x", b[0],
		    mc_pattern(1));
	}
	guard(p + ps, ps, MADV_GUARD_REMOVE, "the guarded file page");
	mc_require_patterns(p, 3, 0, "the file's pages after "
	    "MADV_GUARD_REMOVE");
	ATF_REQUIRE(munmap(p, 3 * ps) == 0);
	ATF_REQUIRE(close(fd) == 0);
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, install_makes_access_segv);
	ATF_TP_ADD_TC(tp, install_makes_no_mapping);
	ATF_TP_ADD_TC(tp, install_discards_contents);
	ATF_TP_ADD_TC(tp, remove_restores_access);
	ATF_TP_ADD_TC(tp, remove_keeps_unguarded_pages);
	ATF_TP_ADD_TC(tp, dontneed_keeps_guard);
	ATF_TP_ADD_TC(tp, guard_survives_fork);
	ATF_TP_ADD_TC(tp, install_refused_on_locked);
	ATF_TP_ADD_TC(tp, munmap_removes_guard);
	ATF_TP_ADD_TC(tp, guard_on_shared_file_mapping);
	return atf_no_error();
}
