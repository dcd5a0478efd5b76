/*
 * t_uffd_more: more userfaultfd semantics, beyond t_uffd: UFFDIO_MOVE
 * (plain, onto a populated page, over source holes, a whole THP),
 * UFFDIO_POISON, write protection of part of a range, UFFDIO_COPY with
 * UFFDIO_COPY_MODE_WP, and minor faults on hugetlbfs with UFFDIO_CONTINUE.
 *
 * The helpers are copies of those in t_uffd.c (same monitor pattern): the
 * test thread is the monitor; every access that may block in a userfault
 * happens in a second thread (a "toucher"); the monitor waits for each
 * message with poll(2) and a deadline (MC_UFFD_WAIT_MS); when nothing arrives or a
 * blocked thread is not woken it closes the userfaultfd (which wakes every
 * waiter), joins the thread and fails with what it saw. Features are
 * probed with UFFDIO_API on a probe descriptor; a missing one skips.
 * Creating the descriptor falls back from the plain syscall to
 * UFFD_USER_MODE_ONLY and /dev/userfaultfd on EPERM.
 */
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include <linux/userfaultfd.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "mc.h"
#include "mc_err.h"
#include "mc_proc.h"
#include "mc_uffd.h"

/* pagemap bit 57: the pte is uffd-wp write-protected (man proc.5, 5.13+). */
#define PM_UFFD_WP (1ULL << 57)

/* The next message must be a UFFD_EVENT_PAGEFAULT; else mc_uffd_settle and fail. */
static void
expect_fault(int *fd, struct uffd_msg *m, struct mc_toucher *t, const char *when)
{
	int r = mc_uffd_next(*fd, m, MC_UFFD_WAIT_MS);

	if (r == 1 && m->event == UFFD_EVENT_PAGEFAULT)
		return;
	mc_toucher_settle(t, fd);
	if (r == 0)
		atf_tc_fail("%s: no UFFD_EVENT_PAGEFAULT within %d ms", when,
		    MC_UFFD_WAIT_MS);
	if (r < 0)
		atf_tc_fail("%s: poll/read on the userfaultfd failed: %s", when,
		    strerror(-r));
	atf_tc_fail("%s: expected UFFD_EVENT_PAGEFAULT, read event %#x", when,
	    m->event);
}

/* The pagemap entry of addr; all bits but the PFN are visible to anyone. */
static uint64_t
pm(const void *addr)
{
	return mc_pagemap(addr);
}

/* Private anonymous read-write memory of len bytes aligned to len. */
static unsigned char *
map_aligned(size_t len)
{
	unsigned char *p = mmap(NULL, 2 * len, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	uintptr_t a;

	ATF_REQUIRE_MSG(p != MAP_FAILED, "mmap(%zu): %s", 2 * len,
	    strerror(errno));
	a = ((uintptr_t)p + len - 1) & ~(uintptr_t)(len - 1);
	if (a > (uintptr_t)p)
		munmap(p, a - (uintptr_t)p);
	if (a + len < (uintptr_t)p + 2 * len)
		munmap((void *)(a + len), (uintptr_t)p + 2 * len - a - len);
	return (unsigned char *)a;
}

/* ---- UFFDIO_MOVE -------------------------------------------------------- */

MC_TC(move_anon_page, "UFFD-29",
    "UFFDIO_MOVE of a written private anonymous page to an unpopulated page "
    "of a registered range: move = len, the destination reads the data, "
    "the source page is no longer present and reads zeros, and the page "
    "keeps its PFN")
{
	size_t ps = mc_pagesize();
	int fd = mc_uffd_open(UFFD_FEATURE_MOVE);
	unsigned char *src = mc_map_guarded(1, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1);
	unsigned char *dst = mc_map_guarded(1, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1);
	const char *why = NULL;
	bool pfns = mc_pfns_visible(&why);
	uint64_t pfn0 = 0, e_src, e_dst;
	int64_t moved;
	int r, e;

	memset(src, 0x3c, ps);
	if (pfns)
		pfn0 = mc_pfn(src);
	mc_uffd_register_ok(fd, dst, ps, UFFDIO_REGISTER_MODE_MISSING, "private anon");
	r = mc_uffd_move(fd, dst, src, ps, 0, &moved);
	e = errno;
	ATF_REQUIRE_MSG(r == 0 && moved == (int64_t)ps, "UFFDIO_MOVE(dst %p, "
	    "src %p, 1 page): expected 0 and move %zu, got %d (%s), move %lld",
	    (void *)dst, (void *)src, ps, r, r ? mc_errname(e) : "ok",
	    (long long)moved);
	e_src = pm(src);
	e_dst = pm(dst);
	ATF_REQUIRE_MSG(e_dst & MC_PM_PRESENT, "after the move the destination "
	    "%p is not present (pagemap %#llx)", (void *)dst,
	    (unsigned long long)e_dst);
	ATF_CHECK_MSG(mc_all_bytes(dst, ps, 0x3c), "the destination does not "
	    "hold the moved 0x3c bytes (%zu differ)", mc_count_not(dst, ps,
	    0x3c));
	ATF_CHECK_MSG(!(e_src & MC_PM_PRESENT), "after the move the source %p "
	    "is still present (pagemap %#llx)", (void *)src,
	    (unsigned long long)e_src);
	ATF_CHECK_MSG(mc_all_bytes(src, ps, 0), "the source reads %zu non-zero "
	    "bytes after the move, expected zeros", mc_count_not(src, ps, 0));
	if (pfns)
		ATF_CHECK_MSG(MC_PM_PFN(e_dst) == pfn0, "the destination's PFN "
		    "%#llx differs from the source page's %#llx: the page was "
		    "copied, not moved", (unsigned long long)MC_PM_PFN(e_dst),
		    (unsigned long long)pfn0);
	mc_close_fd(&fd);
	mc_unmap_guarded(src, 1);
	mc_unmap_guarded(dst, 1);
	if (!pfns)
		printf("PFNs hidden (%s): that the page kept its PFN was not "
		    "checked\n", why);
}

MC_TC(move_populated_eexist, "UFFD-30",
    "UFFDIO_MOVE onto a destination page that is already populated fails "
    "with EEXIST (move = -EEXIST) and leaves both pages as they were")
{
	size_t ps = mc_pagesize();
	int fd = mc_uffd_open(UFFD_FEATURE_MOVE);
	unsigned char *src = mc_map_guarded(1, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1);
	unsigned char *dst = mc_map_guarded(1, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1);
	const char *why = NULL;
	bool pfns = mc_pfns_visible(&why);
	uint64_t spfn = 0, dpfn = 0;
	int64_t moved;
	int r, e;

	memset(src, 0x11, ps);
	memset(dst, 0x22, ps); /* populated before registering: no fault */
	if (pfns) {
		spfn = mc_pfn(src);
		dpfn = mc_pfn(dst);
	}
	mc_uffd_register_ok(fd, dst, ps, UFFDIO_REGISTER_MODE_MISSING, "private anon");
	r = mc_uffd_move(fd, dst, src, ps, 0, &moved);
	e = errno;
	ATF_CHECK_MSG(r == -1 && e == EEXIST && moved == -EEXIST,
	    "UFFDIO_MOVE onto a populated page: expected -1/EEXIST and move "
	    "%d, got %d/%s, move %lld", -EEXIST, r, r ? mc_errname(e) : "ok",
	    (long long)moved);
	/* dst is present (checked first: reading a missing page would block) */
	ATF_REQUIRE_MSG(pm(dst) & MC_PM_PRESENT, "the destination %p is no "
	    "longer present", (void *)dst);
	ATF_CHECK_MSG(mc_all_bytes(dst, ps, 0x22), "the destination changed: "
	    "%zu bytes differ from 0x22", mc_count_not(dst, ps, 0x22));
	ATF_CHECK_MSG(mc_all_bytes(src, ps, 0x11), "the source changed: %zu "
	    "bytes differ from 0x11", mc_count_not(src, ps, 0x11));
	if (pfns) {
		ATF_CHECK_MSG(mc_pfn(src) == spfn && mc_pfn(dst) == dpfn,
		    "PFNs changed: source %#llx -> %#llx, destination %#llx "
		    "-> %#llx", (unsigned long long)spfn,
		    (unsigned long long)mc_pfn(src), (unsigned long long)dpfn,
		    (unsigned long long)mc_pfn(dst));
	} else
		printf("PFNs hidden (%s): only contents checked\n", why);
	mc_close_fd(&fd);
	mc_unmap_guarded(src, 1);
	mc_unmap_guarded(dst, 1);
}

MC_TC(move_src_holes, "UFFD-31",
    "UFFDIO_MOVE of a source range whose first page is a hole fails with "
    "ENOENT (move = -ENOENT, nothing moved); with "
    "UFFDIO_MOVE_MODE_ALLOW_SRC_HOLES the same call succeeds with move = "
    "len, moves the populated pages and leaves the hole's destination "
    "page unpopulated")
{
	size_t ps = mc_pagesize();
	int fd = mc_uffd_open(UFFD_FEATURE_MOVE);
	unsigned char *src = mc_map_guarded(3, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1);
	unsigned char *dst = mc_map_guarded(3, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1);
	int64_t moved;
	int r, e;

	/* page 0 of src stays a hole, pages 1 and 2 are written */
	memset(src + ps, 0x41, ps);
	memset(src + 2 * ps, 0x42, ps);
	ATF_REQUIRE_MSG(!(pm(src) & MC_PM_PRESENT), "source page 0 is present "
	    "though never touched");
	mc_uffd_register_ok(fd, dst, 3 * ps, UFFDIO_REGISTER_MODE_MISSING,
	    "private anon");
	r = mc_uffd_move(fd, dst, src, 3 * ps, 0, &moved);
	e = errno;
	ATF_CHECK_MSG(r == -1 && e == ENOENT && moved == -ENOENT,
	    "UFFDIO_MOVE(3 pages, first a hole, mode 0): expected -1/ENOENT "
	    "and move %d, got %d/%s, move %lld", -ENOENT, r,
	    r ? mc_errname(e) : "ok", (long long)moved);
	ATF_REQUIRE_MSG((pm(src + ps) & MC_PM_PRESENT) &&
	    (pm(src + 2 * ps) & MC_PM_PRESENT), "the failed move took source "
	    "pages away");
	ATF_CHECK_MSG(!(pm(dst) & MC_PM_PRESENT) &&
	    !(pm(dst + ps) & MC_PM_PRESENT) &&
	    !(pm(dst + 2 * ps) & MC_PM_PRESENT), "the failed move populated "
	    "destination pages");
	r = mc_uffd_move(fd, dst, src, 3 * ps, UFFDIO_MOVE_MODE_ALLOW_SRC_HOLES,
	    &moved);
	e = errno;
	ATF_REQUIRE_MSG(r == 0 && moved == (int64_t)(3 * ps), "UFFDIO_MOVE(3 "
	    "pages, first a hole, ALLOW_SRC_HOLES): expected 0 and move %zu, "
	    "got %d (%s), move %lld", 3 * ps, r, r ? mc_errname(e) : "ok",
	    (long long)moved);
	ATF_CHECK_MSG(!(pm(dst) & MC_PM_PRESENT), "the hole's destination page "
	    "%p is present after the move", (void *)dst);
	ATF_REQUIRE_MSG((pm(dst + ps) & MC_PM_PRESENT) &&
	    (pm(dst + 2 * ps) & MC_PM_PRESENT), "destination pages 1 and 2 "
	    "are not present after the move (pagemap %#llx %#llx)",
	    (unsigned long long)pm(dst + ps),
	    (unsigned long long)pm(dst + 2 * ps));
	ATF_CHECK_MSG(mc_all_bytes(dst + ps, ps, 0x41) &&
	    mc_all_bytes(dst + 2 * ps, ps, 0x42), "destination pages 1/2: %zu/"
	    "%zu bytes differ from 0x41/0x42", mc_count_not(dst + ps, ps, 0x41),
	    mc_count_not(dst + 2 * ps, ps, 0x42));
	ATF_CHECK_MSG(!(pm(src + ps) & MC_PM_PRESENT) &&
	    !(pm(src + 2 * ps) & MC_PM_PRESENT), "source pages 1/2 still "
	    "present after the move");
	mc_close_fd(&fd);
	mc_unmap_guarded(src, 3);
	mc_unmap_guarded(dst, 3);
}

MC_TC(move_thp, "UFFD-32",
    "UFFDIO_MOVE of a PMD-aligned THP-sized range backed by one "
    "transparent huge page to an aligned unpopulated registered range: "
    "move = len, the destination holds the data as a huge page "
    "(AnonHugePages) with the same PFN, the source is no longer present")
{
	size_t hps = mc_thp_size(), ps = mc_pagesize();
	unsigned char *src, *dst;
	const char *why = NULL;
	bool pfns = mc_pfns_visible(&why);
	uint64_t pfn0 = 0;
	long ahp;
	int64_t moved;
	int fd, r, e;
	size_t absent = 0;

	if (hps == 0)
		atf_tc_skip("no transparent huge pages (no hpage_pmd_size)");
	fd = mc_uffd_open(UFFD_FEATURE_MOVE);
	src = map_aligned(hps);
	dst = map_aligned(hps);
	if (madvise(src, hps, MADV_HUGEPAGE) != 0)
		mc_skip_unsupported("madvise(MADV_HUGEPAGE)", errno);
	for (size_t i = 0; i < hps; i += ps)
		memset(src + i, (int)(0x30 + (i / ps) % 64), ps);
	ahp = mc_smaps_kb(src, "AnonHugePages");
	if (ahp < (long)(hps / 1024))
		atf_tc_skip("no huge page for the source (AnonHugePages %ld "
		    "kB, want %zu): THP disabled or memory fragmented", ahp,
		    hps / 1024);
	if (pfns)
		pfn0 = mc_pfn(src);
	mc_uffd_register_ok(fd, dst, hps, UFFDIO_REGISTER_MODE_MISSING, "private anon");
	r = mc_uffd_move(fd, dst, src, hps, 0, &moved);
	e = errno;
	ATF_REQUIRE_MSG(r == 0 && moved == (int64_t)hps, "UFFDIO_MOVE(%zu "
	    "bytes, a THP): expected 0 and move %zu, got %d (%s), move %lld",
	    hps, hps, r, r ? mc_errname(e) : "ok", (long long)moved);
	for (size_t i = 0; i < hps; i += ps)
		absent += !(pm(dst + i) & MC_PM_PRESENT);
	ATF_REQUIRE_MSG(absent == 0, "%zu destination pages not present after "
	    "the move", absent);
	ATF_CHECK_MSG(!(pm(src) & MC_PM_PRESENT) &&
	    !(pm(src + hps - ps) & MC_PM_PRESENT), "the source is still "
	    "present after the move");
	for (size_t i = 0; i < hps; i += ps)
		if (!mc_all_bytes(dst + i, ps, (unsigned char)(0x30 +
		    (i / ps) % 64)))
			atf_tc_fail("destination page %zu does not hold the "
			    "source's page %zu data", i / ps, i / ps);
	ahp = mc_smaps_kb(dst, "AnonHugePages");
	ATF_CHECK_MSG(ahp >= (long)(hps / 1024), "destination AnonHugePages "
	    "%ld kB, expected %zu: the huge page was split", ahp, hps / 1024);
	if (pfns)
		ATF_CHECK_MSG(mc_pfn(dst) == pfn0, "destination PFN %#llx, "
		    "source's was %#llx: copied, not moved",
		    (unsigned long long)mc_pfn(dst), (unsigned long long)pfn0);
	else
		printf("PFNs hidden (%s): the PFN was not compared\n", why);
	mc_close_fd(&fd);
	munmap(src, hps);
	munmap(dst, hps);
}

/* ---- UFFDIO_POISON ------------------------------------------------------ */

MC_TC(poison_sigbus, "UFFD-33",
    "UFFDIO_POISON resolving a blocked MODE_MISSING read: updated = len, "
    "the faulting thread resumes with SIGBUS, and a later access to the "
    "page raises SIGBUS again without queueing a message")
{
	size_t ps = mc_pagesize();
	int fd = mc_uffd_open(UFFD_FEATURE_POISON);
	unsigned char *p = mc_map_guarded(1, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1);
	struct mc_toucher t = { .addr = p + 9, .probe = true };
	struct uffdio_poison pz = { .range = { (uintptr_t)p, ps }, .mode = 0 };
	struct uffd_msg m;
	struct mc_fault again;
	bool woke;
	int r, e, got;

	mc_uffd_register_ok(fd, p, ps, UFFDIO_REGISTER_MODE_MISSING, "private anon");
	mc_toucher_start(&t);
	expect_fault(&fd, &m, &t, "read of a missing page");
	r = ioctl(fd, UFFDIO_POISON, &pz);
	e = errno;
	woke = mc_toucher_settle(&t, &fd);
	ATF_REQUIRE_MSG(r == 0 && pz.updated == (int64_t)ps, "UFFDIO_POISON(%p, "
	    "1 page): expected 0 and updated %zu, got %d (%s), updated %lld",
	    (void *)p, ps, r, r ? mc_errname(e) : "ok",
	    (long long)pz.updated);
	ATF_REQUIRE_MSG(woke, "the reading thread did not resume within %d ms "
	    "after UFFDIO_POISON", MC_UFFD_WAIT_MS);
	ATF_CHECK_MSG(t.fault.signo == SIGBUS, "read of the poisoned page: "
	    "expected SIGBUS, got %s/%s", mc_signame(t.fault.signo),
	    mc_codename(t.fault.signo, t.fault.code));
	/* The poison stays: the monitor's own access does not block. */
	again = mc_touch(p, MC_WRITE);
	ATF_CHECK_MSG(again.signo == SIGBUS, "second access (write) to the "
	    "poisoned page: expected SIGBUS, got %s/%s",
	    mc_signame(again.signo), mc_codename(again.signo, again.code));
	got = mc_uffd_next(fd, &m, 0);
	ATF_CHECK_MSG(got == 0, "a message was queued after the poisoned page "
	    "was accessed (event %#x)", got == 1 ? m.event : 0);
	mc_close_fd(&fd);
	mc_unmap_guarded(p, 1);
}

/* ---- write protection --------------------------------------------------- */

/*
 * A thread writes page i of p; it must block with a WP fault in page i,
 * then un-protecting page i must let it finish.
 */
static void
write_expect_wp(int *fd, unsigned char *p, size_t i)
{
	size_t ps = mc_pagesize();
	struct mc_toucher t = { .addr = p + i * ps + 3, .write = true,
		.wbyte = (unsigned char)(0xe0 + i) };
	struct uffd_msg m;
	bool blocked;
	int r, e;

	mc_toucher_start(&t);
	expect_fault(fd, &m, &t, "write to a write-protected page");
	blocked = !atomic_load(&t.done);
	r = mc_uffd_wp(*fd, p + i * ps, ps, false);
	e = errno;
	ATF_REQUIRE_MSG(mc_toucher_settle(&t, fd), "the writer of page %zu did not "
	    "resume within %d ms after un-protecting it (%s)", i, MC_UFFD_WAIT_MS,
	    r ? mc_errname(e) : "ok");
	ATF_CHECK_MSG(blocked, "the writer of page %zu finished before it was "
	    "un-protected", i);
	ATF_CHECK_MSG((m.arg.pagefault.flags & UFFD_PAGEFAULT_FLAG_WP) &&
	    (m.arg.pagefault.address & ~(uint64_t)(ps - 1)) ==
	    (uintptr_t)(p + i * ps), "write to page %zu: pagefault flags "
	    "%#llx address %#llx, expected FLAG_WP in %p", i,
	    (unsigned long long)m.arg.pagefault.flags,
	    (unsigned long long)m.arg.pagefault.address, (void *)(p + i * ps));
}

MC_TC(wp_partial_unprotect, "UFFD-34",
    "after UFFDIO_WRITEPROTECT of four populated pages and un-protecting "
    "pages 1-2, writes to pages 1 and 2 complete without a message while "
    "writes to pages 0 and 3 block with UFFD_PAGEFAULT_FLAG_WP faults in "
    "their own page; pagemap's uffd-wp bit matches when reported")
{
	size_t ps = mc_pagesize();
	int fd = mc_uffd_open(UFFD_FEATURE_PAGEFAULT_FLAG_WP);
	unsigned char *p = mc_map_guarded(4, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1);
	struct uffd_msg m;
	bool wpbit;
	int got;

	memset(p, 0x61, 4 * ps);
	mc_uffd_register_ok(fd, p, 4 * ps, UFFDIO_REGISTER_MODE_WP, "private anon");
	MC_REQUIRE_OKF(mc_uffd_wp(fd, p, 4 * ps, true), "UFFDIO_WRITEPROTECT(%p, "
	    "4 pages, MODE_WP)", (void *)p);
	MC_REQUIRE_OKF(mc_uffd_wp(fd, p + ps, 2 * ps, false), "UFFDIO_WRITEPROTECT"
	    "(%p, pages 1-2, mode 0)", (void *)(p + ps));
	/* pagemap bit 57 (5.13+): shown when page 0 carries it */
	wpbit = (pm(p) & PM_UFFD_WP) != 0;
	if (wpbit)
		ATF_CHECK_MSG(!(pm(p + ps) & PM_UFFD_WP) &&
		    !(pm(p + 2 * ps) & PM_UFFD_WP) && (pm(p + 3 * ps) &
		    PM_UFFD_WP), "pagemap uffd-wp bits of pages 0-3: %d %d %d "
		    "%d, expected 1 0 0 1", 1, !!(pm(p + ps) & PM_UFFD_WP),
		    !!(pm(p + 2 * ps) & PM_UFFD_WP),
		    !!(pm(p + 3 * ps) & PM_UFFD_WP));
	else
		printf("pagemap shows no uffd-wp bit (before 5.13?): "
		    "protection per page seen only through faults\n");
	for (size_t i = 1; i <= 2; i++) {
		struct mc_toucher t = { .addr = p + i * ps + 3, .write = true,
			.wbyte = (unsigned char)(0xe0 + i) };

		mc_toucher_start(&t);
		ATF_REQUIRE_MSG(mc_toucher_settle(&t, &fd), "a write to the "
		    "un-protected page %zu blocked for %d ms", i, MC_UFFD_WAIT_MS);
		got = mc_uffd_next(fd, &m, 0);
		ATF_REQUIRE_MSG(got == 0, "a write to the un-protected page %zu "
		    "queued a message (flags %#llx)", i, got == 1 ?
		    (unsigned long long)m.arg.pagefault.flags : 0ULL);
	}
	write_expect_wp(&fd, p, 3);
	write_expect_wp(&fd, p, 0);
	for (size_t i = 0; i < 4; i++)
		ATF_CHECK_MSG(p[i * ps + 3] == 0xe0 + i &&
		    mc_count_not(p + i * ps, ps, 0x61) == 1, "page %zu: byte "
		    "%#x (expected %#zx), %zu bytes differ from 0x61 (expected "
		    "1)", i, p[i * ps + 3], 0xe0 + i,
		    mc_count_not(p + i * ps, ps, 0x61));
	mc_close_fd(&fd);
	mc_unmap_guarded(p, 4);
}

MC_TC(copy_mode_wp, "UFFD-35",
    "UFFDIO_COPY with UFFDIO_COPY_MODE_WP resolving a missing write fault "
    "installs the page write-protected: the retried write blocks with a "
    "second fault carrying UFFD_PAGEFAULT_FLAG_WP while the page reads "
    "the copied data; un-protecting lets the write land")
{
	size_t ps = mc_pagesize(), off = 77;
	int fd = mc_uffd_open(UFFD_FEATURE_PAGEFAULT_FLAG_WP);
	unsigned char *p = mc_map_guarded(1, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1);
	unsigned char *src = mc_map_anon(ps, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE);
	struct mc_toucher t = { .addr = p + off, .write = true, .wbyte = 0xee };
	struct uffd_msg m1, m2;
	unsigned char during;
	bool blocked;
	int64_t copied;
	int r, e;

	memset(src, 0x5a, ps);
	mc_uffd_register_ok(fd, p, ps, UFFDIO_REGISTER_MODE_MISSING |
	    UFFDIO_REGISTER_MODE_WP, "private anon");
	mc_toucher_start(&t);
	expect_fault(&fd, &m1, &t, "write to a missing page");
	r = mc_uffd_copy_mode(fd, p, src, ps, UFFDIO_COPY_MODE_WP, &copied);
	e = errno;
	if (r != 0) {
		mc_toucher_settle(&t, &fd);
		atf_tc_fail("UFFDIO_COPY(%p, 1 page, MODE_WP): expected 0, got "
		    "%s, copy %lld", (void *)p, mc_errname(e),
		    (long long)copied);
	}
	ATF_CHECK_MSG(copied == (int64_t)ps, "UFFDIO_COPY: copy %lld, "
	    "expected %zu", (long long)copied, ps);
	expect_fault(&fd, &m2, &t, "write retried after UFFDIO_COPY_MODE_WP");
	blocked = !atomic_load(&t.done);
	during = p[off];
	r = mc_uffd_wp(fd, p, ps, false);
	e = errno;
	ATF_REQUIRE_MSG(mc_toucher_settle(&t, &fd), "the writer did not resume "
	    "within %d ms after un-protecting (%s)", MC_UFFD_WAIT_MS,
	    r ? mc_errname(e) : "ok");
	ATF_CHECK_MSG(!(m1.arg.pagefault.flags & UFFD_PAGEFAULT_FLAG_WP) &&
	    (m1.arg.pagefault.flags & UFFD_PAGEFAULT_FLAG_WRITE), "first fault "
	    "flags %#llx: expected WRITE without WP (a missing fault)",
	    (unsigned long long)m1.arg.pagefault.flags);
	ATF_CHECK_MSG((m2.arg.pagefault.flags & UFFD_PAGEFAULT_FLAG_WP) &&
	    (m2.arg.pagefault.flags & UFFD_PAGEFAULT_FLAG_WRITE), "second "
	    "fault flags %#llx: expected WP and WRITE",
	    (unsigned long long)m2.arg.pagefault.flags);
	ATF_CHECK_MSG(blocked && during == 0x5a, "while write-protected: the "
	    "writer %s, the byte read %#x (expected the copied 0x5a)",
	    blocked ? "was blocked" : "had finished", during);
	ATF_CHECK_MSG(p[off] == 0xee && mc_count_not(p, ps, 0x5a) == 1,
	    "after un-protecting: byte %#x (expected 0xee), %zu bytes differ "
	    "from 0x5a (expected 1)", p[off], mc_count_not(p, ps, 0x5a));
	mc_close_fd(&fd);
	mc_unmap_guarded(p, 1);
	munmap(src, ps);
}

/* ---- hugetlb minor faults ----------------------------------------------- */

MC_TC(hugetlb_minor_continue, "UFFD-36",
    "with UFFD_FEATURE_MINOR_HUGETLBFS, MODE_MINOR on a MAP_SHARED "
    "mapping of a hugetlb memfd: a read of a huge page present in the page "
    "cache (written through another mapping) blocks with a "
    "UFFD_EVENT_PAGEFAULT carrying UFFD_PAGEFAULT_FLAG_MINOR; "
    "UFFDIO_CONTINUE of the huge page (mapped = len) resumes it and it "
    "reads the page cache data")
{
	long kb = mc_meminfo("Hugepagesize");
	size_t hps, off;
	unsigned char *a, *b, *seen;
	struct mc_toucher t = { 0 };
	struct uffdio_continue c = { 0 };
	struct uffd_msg m;
	int mfd, fd, r, e;
	bool woke;

	if (kb <= 0)
		atf_tc_skip("no Hugepagesize in /proc/meminfo: no hugetlb "
		    "support");
	hps = (size_t)kb * 1024;
	mfd = memfd_create("t_uffd_more", MFD_CLOEXEC | MFD_HUGETLB);
	if (mfd < 0 && (errno == EINVAL || errno == ENOSYS ||
	    errno == EOPNOTSUPP))
		mc_skip_unsupported("memfd_create(MFD_HUGETLB)", errno);
	ATF_REQUIRE_MSG(mfd >= 0, "memfd_create(MFD_HUGETLB): %s",
	    strerror(errno));
	ATF_REQUIRE_MSG(ftruncate(mfd, (off_t)hps) == 0, "ftruncate(hugetlb "
	    "memfd, %zu): %s", hps, strerror(errno));
	a = mmap(NULL, hps, PROT_READ | PROT_WRITE, MAP_SHARED, mfd, 0);
	if (a == MAP_FAILED && errno == ENOMEM)
		atf_tc_skip("MAP_SHARED of a hugetlb memfd (%ld kB page): "
		    "ENOMEM (no huge pages reserved: HugePages_Free=%ld)", kb,
		    mc_meminfo("HugePages_Free"));
	ATF_REQUIRE_MSG(a != MAP_FAILED, "mmap(hugetlb memfd, %zu): %s", hps,
	    strerror(errno));
	fd = mc_uffd_open(UFFD_FEATURE_MINOR_HUGETLBFS);
	for (size_t i = 0; i < hps; i++)
		a[i] = (unsigned char)(i * 7 + 3);
	b = mmap(NULL, hps, PROT_READ | PROT_WRITE, MAP_SHARED, mfd, 0);
	ATF_REQUIRE_MSG(b != MAP_FAILED, "second mmap(hugetlb memfd, %zu): %s",
	    hps, strerror(errno));
	seen = mc_map_anon(hps, PROT_READ | PROT_WRITE, MAP_PRIVATE);
	mc_uffd_register_ok(fd, b, hps, UFFDIO_REGISTER_MODE_MINOR, "a hugetlb memfd "
	    "mapping");
	off = hps / 3 + 5;
	t.addr = b + off;
	t.page = b;
	t.len = hps;
	t.seen = seen;
	mc_toucher_start(&t);
	expect_fault(&fd, &m, &t, "read of a hugetlb page cached but not "
	    "mapped");
	c.range.start = (uintptr_t)b;
	c.range.len = hps;
	r = ioctl(fd, UFFDIO_CONTINUE, &c);
	e = errno;
	woke = mc_toucher_settle(&t, &fd);
	ATF_CHECK_MSG(m.arg.pagefault.flags & UFFD_PAGEFAULT_FLAG_MINOR,
	    "pagefault.flags %#llx: expected UFFD_PAGEFAULT_FLAG_MINOR",
	    (unsigned long long)m.arg.pagefault.flags);
	ATF_CHECK_MSG(m.arg.pagefault.address >= (uintptr_t)b &&
	    m.arg.pagefault.address < (uintptr_t)(b + hps), "pagefault.address "
	    "%#llx outside the huge page %p", (unsigned long long)
	    m.arg.pagefault.address, (void *)b);
	ATF_REQUIRE_MSG(r == 0 && c.mapped == (int64_t)hps, "UFFDIO_CONTINUE("
	    "%p, %zu): %d (%s), mapped %lld", (void *)b, hps, r,
	    r ? mc_errname(e) : "ok", (long long)c.mapped);
	ATF_REQUIRE_MSG(woke, "the thread did not resume within %d ms after "
	    "UFFDIO_CONTINUE", MC_UFFD_WAIT_MS);
	ATF_CHECK_MSG(t.rbyte == a[off] && memcmp(seen, a, hps) == 0,
	    "the thread read %#x (expected %#x); the mapped huge page %s the "
	    "page cache", t.rbyte, a[off], memcmp(seen, a, hps) ?
	    "differs from" : "matches");
	mc_close_fd(&fd);
	munmap(a, hps);
	munmap(b, hps);
	munmap(seen, hps);
	close(mfd);
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, move_anon_page);
	ATF_TP_ADD_TC(tp, move_populated_eexist);
	ATF_TP_ADD_TC(tp, move_src_holes);
	ATF_TP_ADD_TC(tp, move_thp);
	ATF_TP_ADD_TC(tp, poison_sigbus);
	ATF_TP_ADD_TC(tp, wp_partial_unprotect);
	ATF_TP_ADD_TC(tp, copy_mode_wp);
	ATF_TP_ADD_TC(tp, hugetlb_minor_continue);
	return atf_no_error();
}
