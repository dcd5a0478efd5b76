/*
 * t_uffd_prot: userfaultfd state kept in page table entries that hold no
 * page (pte markers) and what mprotect(2) does to it: a page poisoned by
 * UFFDIO_POISON stays poisoned across mprotect, and a write protection
 * that UFFDIO_WRITEPROTECT put on an unpopulated page (anonymous memory
 * with UFFD_FEATURE_WP_UNPOPULATED, or shmem) survives mprotect, while
 * UFFDIO_WRITEPROTECT mode 0 removes it (Documentation/admin-guide/mm/
 * userfaultfd.rst, "Write Protect Notifications" and "Memory Poisoning
 * Emulation"; mm/mprotect.c change_pte_range keeps the markers).
 *
 * The monitor pattern is that of t_uffd_more: the test thread is the
 * monitor, every access that may block in a userfault happens in a
 * second thread (mc_toucher), each message is awaited with poll(2) and a
 * deadline (MC_UFFD_WAIT_MS); a blocked thread that is not woken is
 * released by closing the userfaultfd, then the case fails with what it
 * saw. Features are probed with UFFDIO_API; a missing one skips.
 */
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include <linux/userfaultfd.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "mc.h"
#include "mc_err.h"
#include "mc_proc.h"
#include "mc_uffd.h"

/* include/uapi/linux/userfaultfd.h, for older kernel headers. */
#ifndef UFFD_FEATURE_WP_HUGETLBFS_SHMEM
#define UFFD_FEATURE_WP_HUGETLBFS_SHMEM (1 << 12)
#endif
#ifndef UFFD_FEATURE_WP_UNPOPULATED
#define UFFD_FEATURE_WP_UNPOPULATED (1 << 13)
#endif

/* pagemap bit 57: the pte is uffd-wp write-protected (man proc.5, 5.13+). */
#define PM_UFFD_WP (1ULL << 57)

#define RW (PROT_READ | PROT_WRITE)

/* ---- helpers ------------------------------------------------------------ */

/*
 * A userfaultfd with the features want, or skip naming the first feature
 * that UFFDIO_API does not report (mc_uffd_open names only the features
 * it knows; these two it does not).
 */
static int
open_with(uint64_t want, uint64_t extra, const char *extra_name)
{
	uint64_t have = mc_uffd_available();

	if (!(have & extra))
		atf_tc_skip("%s: not reported by UFFDIO_API here (features "
		    "%#" PRIx64 ")", extra_name, have);
	return mc_uffd_open(want | extra);
}

/* Whether pagemap shows the page at addr uffd-wp protected. */
static bool
wp_bit(const void *addr)
{
	return (mc_pagemap(addr) & PM_UFFD_WP) != 0;
}

/* The next message must be a UFFD_EVENT_PAGEFAULT; else settle and fail. */
static void
expect_fault(int *fd, struct uffd_msg *m, struct mc_toucher *t,
    const char *when)
{
	int r = mc_uffd_next(*fd, m, MC_UFFD_WAIT_MS);

	if (r == 1 && m->event == UFFD_EVENT_PAGEFAULT)
		return;
	mc_toucher_settle(t, fd);
	if (r == 0)
		atf_tc_fail("%s: no UFFD_EVENT_PAGEFAULT within %d ms (the "
		    "writer %s)", when, MC_UFFD_WAIT_MS, atomic_load(&t->done) ?
		    "completed: the page was not write-protected" :
		    "never finished");
	if (r < 0)
		atf_tc_fail("%s: poll/read on the userfaultfd failed: %s", when,
		    strerror(-r));
	atf_tc_fail("%s: expected UFFD_EVENT_PAGEFAULT, read %s (%#x)", when,
	    mc_uffd_event_name(m->event), m->event);
}

/*
 * Page i of p carries a write protection: a write there blocks with a
 * UFFD_EVENT_PAGEFAULT that has UFFD_PAGEFAULT_FLAG_WP and
 * UFFD_PAGEFAULT_FLAG_WRITE and lies in page i; UFFDIO_WRITEPROTECT mode 0
 * of page i lets the write land.
 */
static void
write_expect_wp(int *fd, unsigned char *p, size_t i, unsigned char byte,
    const char *what)
{
	size_t ps = mc_pagesize();
	struct mc_toucher t = { .addr = p + i * ps + 3, .write = true,
		.wbyte = byte };
	struct uffd_msg m;
	bool blocked;
	int r, e;

	mc_toucher_start(&t);
	expect_fault(fd, &m, &t, what);
	blocked = !atomic_load(&t.done);
	r = mc_uffd_wp(*fd, p + i * ps, ps, false);
	e = errno;
	ATF_REQUIRE_MSG(mc_toucher_settle(&t, fd), "%s: the writer of page %zu "
	    "did not resume within %d ms after UFFDIO_WRITEPROTECT mode 0 "
	    "(%s)", what, i, MC_UFFD_WAIT_MS, r ? mc_errname(e) : "ok");
	ATF_REQUIRE_MSG(r == 0, "%s: UFFDIO_WRITEPROTECT(%p, 1 page, mode 0): "
	    "%s", what, (void *)(p + i * ps), mc_errname(e));
	ATF_CHECK_MSG(blocked, "%s: the writer of page %zu finished before "
	    "the page was un-protected", what, i);
	ATF_CHECK_MSG((m.arg.pagefault.flags & UFFD_PAGEFAULT_FLAG_WP) &&
	    (m.arg.pagefault.flags & UFFD_PAGEFAULT_FLAG_WRITE) &&
	    (m.arg.pagefault.address & ~(uint64_t)(ps - 1)) ==
	    (uintptr_t)(p + i * ps), "%s: pagefault flags %#llx address "
	    "%#llx, expected FLAG_WP|FLAG_WRITE in page %p", what,
	    (unsigned long long)m.arg.pagefault.flags,
	    (unsigned long long)m.arg.pagefault.address, (void *)(p + i * ps));
}

/*
 * Page i of p carries no write protection: a write there completes
 * within MC_UFFD_WAIT_MS and queues no message.
 */
static void
write_expect_free(int *fd, unsigned char *p, size_t i, unsigned char byte,
    const char *what)
{
	size_t ps = mc_pagesize();
	struct mc_toucher t = { .addr = p + i * ps + 3, .write = true,
		.wbyte = byte };
	struct uffd_msg m;
	int got;

	mc_toucher_start(&t);
	if (!mc_join_within(t.th, MC_UFFD_WAIT_MS)) {
		got = mc_uffd_next(*fd, &m, 0);
		mc_toucher_settle(&t, fd);
		atf_tc_fail("%s: a write to page %zu blocked for %d ms (%s "
		    "queued, flags %#llx)", what, i, MC_UFFD_WAIT_MS, got == 1 ?
		    mc_uffd_event_name(m.event) : "no message", got == 1 ?
		    (unsigned long long)m.arg.pagefault.flags : 0ULL);
	}
	t.running = false;
	got = mc_uffd_next(*fd, &m, 0);
	ATF_REQUIRE_MSG(got == 0, "%s: a write to page %zu queued a message "
	    "(%s, flags %#llx)", what, i, got == 1 ?
	    mc_uffd_event_name(m.event) : "read error", got == 1 ?
	    (unsigned long long)m.arg.pagefault.flags : 0ULL);
}

/*
 * The write protection of unpopulated pages p[0..1] (registered MODE_WP,
 * write-protected by the caller, pagemap bit 57 set on both) survives
 * mprotect PROT_READ and back to PROT_READ|PROT_WRITE; then page 0 must
 * fault (UFFD-38/40) and page 1, un-protected with mode 0, must not
 * (UFFD-39). kind names the memory in messages.
 */
static void
mprotect_then_write(int *fd, unsigned char *p, const char *kind)
{
	size_t ps = mc_pagesize();
	char what[160];

	MC_REQUIRE_OKF(mprotect(p, 2 * ps, PROT_READ), "mprotect(%p, 2 pages, "
	    "PROT_READ) of write-protected unpopulated %s", (void *)p, kind);
	MC_REQUIRE_OKF(mprotect(p, 2 * ps, RW), "mprotect(%p, 2 pages, "
	    "PROT_READ|PROT_WRITE) of write-protected unpopulated %s",
	    (void *)p, kind);
	ATF_CHECK_MSG(!(mc_pagemap(p) & MC_PM_PRESENT) &&
	    !(mc_pagemap(p + ps) & MC_PM_PRESENT), "%s: a page became present "
	    "through mprotect (pagemap %#llx %#llx)", kind,
	    (unsigned long long)mc_pagemap(p),
	    (unsigned long long)mc_pagemap(p + ps));
	ATF_CHECK_MSG(wp_bit(p) && wp_bit(p + ps), "%s: after mprotect "
	    "PROT_READ then PROT_READ|PROT_WRITE pagemap's uffd-wp bit of "
	    "pages 0/1 is %d/%d, expected 1/1 (the markers were dropped)",
	    kind, wp_bit(p), wp_bit(p + ps));

	snprintf(what, sizeof(what), "write to unpopulated write-protected "
	    "%s after mprotect", kind);
	write_expect_wp(fd, p, 0, 0xd0, what);

	MC_REQUIRE_OKF(mc_uffd_wp(*fd, p + ps, ps, false), "UFFDIO_WRITEPROTECT"
	    "(%p, page 1, mode 0) over a marker of %s", (void *)(p + ps),
	    kind);
	ATF_CHECK_MSG(!wp_bit(p + ps), "%s: pagemap's uffd-wp bit of page 1 "
	    "still set after UFFDIO_WRITEPROTECT mode 0", kind);
	snprintf(what, sizeof(what), "write to unpopulated %s un-protected "
	    "with UFFDIO_WRITEPROTECT mode 0", kind);
	write_expect_free(fd, p, 1, 0xd1, what);

	ATF_CHECK_MSG(p[3] == 0xd0 && mc_count_not(p, ps, 0) == 1,
	    "%s page 0: byte 3 is %#x (expected 0xd0), %zu non-zero bytes "
	    "(expected 1)", kind, p[3], mc_count_not(p, ps, 0));
	ATF_CHECK_MSG(p[ps + 3] == 0xd1 && mc_count_not(p + ps, ps, 0) == 1,
	    "%s page 1: byte 3 is %#x (expected 0xd1), %zu non-zero bytes "
	    "(expected 1)", kind, p[ps + 3], mc_count_not(p + ps, ps, 0));
}

/* ---- UFFDIO_POISON and mprotect ---------------------------------------- */

MC_TC(poison_survives_mprotect, "UFFD-37",
    "a page poisoned with UFFDIO_POISON stays poisoned across mprotect: "
    "after PROT_READ a read raises SIGBUS (a write SIGSEGV/SEGV_ACCERR), "
    "after PROT_READ|PROT_WRITE reads and writes raise SIGBUS, no message "
    "is queued, and the populated neighbours keep their data and follow "
    "the new protection")
{
	size_t ps = mc_pagesize();
	int fd = mc_uffd_open(UFFD_FEATURE_POISON);
	unsigned char *p = mc_map_guarded(3, RW, MAP_PRIVATE | MAP_ANONYMOUS,
	    -1);
	unsigned char *poisoned = p + ps;
	struct uffdio_poison pz = {
		.range = { (uintptr_t)poisoned, ps }, .mode = 0 };
	struct uffd_msg m;
	struct mc_fault f;
	int r, e, got;

	/* the neighbours are populated before registering: never missing */
	memset(p, 0x51, ps);
	memset(p + 2 * ps, 0x53, ps);
	mc_uffd_register_ok(fd, p, 3 * ps, UFFDIO_REGISTER_MODE_MISSING,
	    "private anon");
	r = ioctl(fd, UFFDIO_POISON, &pz);
	e = errno;
	ATF_REQUIRE_MSG(r == 0 && pz.updated == (int64_t)ps, "UFFDIO_POISON(%p, "
	    "1 page): expected 0 and updated %zu, got %d (%s), updated %lld",
	    (void *)poisoned, ps, r, r ? mc_errname(e) : "ok",
	    (long long)pz.updated);
	ATF_REQUIRE_MSG(!(mc_pagemap(poisoned) & MC_PM_PRESENT), "the poisoned "
	    "page %p is present (pagemap %#llx)", (void *)poisoned,
	    (unsigned long long)mc_pagemap(poisoned));
	/* before mprotect: the poison is there (UFFD-33 proves this too) */
	f = mc_touch(poisoned, MC_READ);
	ATF_REQUIRE_MSG(f.signo == SIGBUS, "read of the poisoned page before "
	    "mprotect: expected SIGBUS, got %s/%s", mc_signame(f.signo),
	    mc_codename(f.signo, f.code));

	MC_REQUIRE_OKF(mprotect(p, 3 * ps, PROT_READ), "mprotect(%p, 3 pages, "
	    "PROT_READ) over a poisoned page", (void *)p);
	f = mc_touch(poisoned, MC_READ);
	ATF_CHECK_MSG(f.signo == SIGBUS, "read of the poisoned page after "
	    "mprotect PROT_READ: expected SIGBUS, got %s/%s (the poison was "
	    "lost)", mc_signame(f.signo), mc_codename(f.signo, f.code));
	f = mc_touch(poisoned, MC_WRITE);
	ATF_CHECK_MSG(f.signo == SIGSEGV && f.code == SEGV_ACCERR, "write to "
	    "the poisoned page under PROT_READ: expected SIGSEGV/SEGV_ACCERR "
	    "(the protection is checked first), got %s/%s",
	    mc_signame(f.signo), mc_codename(f.signo, f.code));
	for (size_t i = 0; i < 3; i += 2) {
		f = mc_touch(p + i * ps, MC_WRITE);
		ATF_CHECK_MSG(f.signo == SIGSEGV && f.code == SEGV_ACCERR,
		    "write to neighbour page %zu under PROT_READ: expected "
		    "SIGSEGV/SEGV_ACCERR, got %s/%s", i, mc_signame(f.signo),
		    mc_codename(f.signo, f.code));
		mc_require_readable(p + i * ps, ps, "a neighbour under PROT_READ");
		ATF_CHECK_MSG(mc_all_bytes(p + i * ps, ps, 0x51 + i),
		    "neighbour page %zu under PROT_READ: %zu bytes differ from "
		    "%#zx", i, mc_count_not(p + i * ps, ps, 0x51 + i),
		    0x51 + i);
	}

	MC_REQUIRE_OKF(mprotect(p, 3 * ps, RW), "mprotect(%p, 3 pages, "
	    "PROT_READ|PROT_WRITE) over a poisoned page", (void *)p);
	f = mc_touch(poisoned, MC_READ);
	ATF_CHECK_MSG(f.signo == SIGBUS, "read of the poisoned page after "
	    "mprotect PROT_READ|PROT_WRITE: expected SIGBUS, got %s/%s (the "
	    "poison was lost)", mc_signame(f.signo),
	    mc_codename(f.signo, f.code));
	f = mc_touch(poisoned, MC_WRITE);
	ATF_CHECK_MSG(f.signo == SIGBUS, "write to the poisoned page after "
	    "mprotect PROT_READ|PROT_WRITE: expected SIGBUS, got %s/%s (the "
	    "poison was lost)", mc_signame(f.signo),
	    mc_codename(f.signo, f.code));
	ATF_CHECK_MSG(!(mc_pagemap(poisoned) & MC_PM_PRESENT), "the poisoned "
	    "page %p became present (pagemap %#llx)", (void *)poisoned,
	    (unsigned long long)mc_pagemap(poisoned));
	for (size_t i = 0; i < 3; i += 2) {
		unsigned char *q = p + i * ps;

		f = mc_touch(q + 7, MC_WRITE);
		ATF_CHECK_MSG(f.signo == 0, "write to neighbour page %zu after "
		    "PROT_READ|PROT_WRITE: expected no fault, got %s/%s", i,
		    mc_signame(f.signo), mc_codename(f.signo, f.code));
		ATF_CHECK_MSG(q[7] == 0xA5 && mc_count_not(q, ps, 0x51 + i) == 1,
		    "neighbour page %zu: byte 7 %#x (expected the write's "
		    "0xa5), %zu bytes differ from %#zx (expected 1)", i, q[7],
		    mc_count_not(q, ps, 0x51 + i), 0x51 + i);
	}
	got = mc_uffd_next(fd, &m, 0);
	ATF_CHECK_MSG(got == 0, "a message was queued by the accesses (%s)",
	    got == 1 ? mc_uffd_event_name(m.event) : "read error");
	mc_close_fd(&fd);
	mc_unmap_guarded(p, 3);
}

/* ---- write-protect markers and mprotect -------------------------------- */

MC_TC(wp_unpopulated_anon_mprotect, "UFFD-38 UFFD-39",
    "with UFFD_FEATURE_WP_UNPOPULATED, UFFDIO_WRITEPROTECT of two "
    "unpopulated private anonymous pages marks them (pagemap uffd-wp "
    "bit); after mprotect PROT_READ and back to PROT_READ|PROT_WRITE the "
    "marks stay and a write to page 0 blocks with a "
    "UFFD_PAGEFAULT_FLAG_WP fault, while page 1, un-protected with "
    "UFFDIO_WRITEPROTECT mode 0, takes a write without a message")
{
	size_t ps = mc_pagesize();
	int fd = open_with(UFFD_FEATURE_PAGEFAULT_FLAG_WP,
	    UFFD_FEATURE_WP_UNPOPULATED,
	    "UFFD_FEATURE_WP_UNPOPULATED (Linux 6.4+)");
	unsigned char *p = mc_map_guarded(2, RW, MAP_PRIVATE | MAP_ANONYMOUS,
	    -1);

	ATF_REQUIRE_MSG(!(mc_pagemap(p) & MC_PM_PRESENT) &&
	    !(mc_pagemap(p + ps) & MC_PM_PRESENT), "fresh anonymous pages "
	    "are present before any access");
	mc_uffd_register_ok(fd, p, 2 * ps, UFFDIO_REGISTER_MODE_WP,
	    "private anon");
	MC_REQUIRE_OKF(mc_uffd_wp(fd, p, 2 * ps, true), "UFFDIO_WRITEPROTECT(%p, "
	    "2 unpopulated pages, MODE_WP)", (void *)p);
	ATF_REQUIRE_MSG(wp_bit(p) && wp_bit(p + ps), "after UFFDIO_WRITEPROTECT "
	    "of unpopulated anonymous pages with WP_UNPOPULATED, pagemap's "
	    "uffd-wp bit of pages 0/1 is %d/%d, expected 1/1", wp_bit(p),
	    wp_bit(p + ps));
	mprotect_then_write(&fd, p, "private anonymous memory");
	mc_close_fd(&fd);
	mc_unmap_guarded(p, 2);
}

MC_TC(wp_unpopulated_shmem_mprotect, "UFFD-40 UFFD-39",
    "on a MAP_SHARED memfd (shmem) mapping with no page in the page "
    "cache, UFFDIO_WRITEPROTECT marks the two unpopulated pages (pagemap "
    "uffd-wp bit); after mprotect PROT_READ and back to "
    "PROT_READ|PROT_WRITE a write to page 0 blocks with a "
    "UFFD_PAGEFAULT_FLAG_WP fault, while page 1, un-protected with "
    "UFFDIO_WRITEPROTECT mode 0, takes a write without a message; both "
    "writes reach the file")
{
	size_t ps = mc_pagesize();
	int fd = open_with(UFFD_FEATURE_PAGEFAULT_FLAG_WP,
	    UFFD_FEATURE_WP_HUGETLBFS_SHMEM,
	    "UFFD_FEATURE_WP_HUGETLBFS_SHMEM (Linux 5.19+)");
	int mfd = memfd_create("t_uffd_prot", MFD_CLOEXEC);
	unsigned char *p, *buf;

	if (mfd < 0 && (errno == ENOSYS || errno == EINVAL))
		mc_skip_unsupported("memfd_create", errno);
	ATF_REQUIRE_MSG(mfd >= 0, "memfd_create: %s", strerror(errno));
	ATF_REQUIRE_MSG(ftruncate(mfd, (off_t)(2 * ps)) == 0, "ftruncate(memfd, "
	    "2 pages): %s", strerror(errno));
	p = mc_map_fd(mfd, 2 * ps, RW, MAP_SHARED, 0);
	ATF_REQUIRE_MSG(mc_mincore_count(p, 2 * ps) == 0, "a fresh memfd has "
	    "%zu resident pages, expected none", mc_mincore_count(p, 2 * ps));
	mc_uffd_register_ok(fd, p, 2 * ps, UFFDIO_REGISTER_MODE_WP,
	    "a MAP_SHARED memfd mapping");
	MC_REQUIRE_OKF(mc_uffd_wp(fd, p, 2 * ps, true), "UFFDIO_WRITEPROTECT(%p, "
	    "2 unpopulated shmem pages, MODE_WP)", (void *)p);
	ATF_REQUIRE_MSG(wp_bit(p) && wp_bit(p + ps), "after UFFDIO_WRITEPROTECT "
	    "of unpopulated shmem pages, pagemap's uffd-wp bit of pages 0/1 is "
	    "%d/%d, expected 1/1", wp_bit(p), wp_bit(p + ps));
	mprotect_then_write(&fd, p, "shmem");
	buf = mc_map_anon(2 * ps, RW, MAP_PRIVATE);
	mc_pread_all(mfd, buf, 2 * ps, 0);
	ATF_CHECK_MSG(buf[3] == 0xd0 && buf[ps + 3] == 0xd1 &&
	    mc_count_not(buf, 2 * ps, 0) == 2, "read() of the memfd: bytes "
	    "%#x/%#x at 3 and page+3 (expected 0xd0/0xd1), %zu non-zero bytes "
	    "(expected 2)", buf[3], buf[ps + 3], mc_count_not(buf, 2 * ps, 0));
	mc_close_fd(&fd);
	munmap(p, 2 * ps);
	munmap(buf, 2 * ps);
	close(mfd);
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, poison_survives_mprotect);
	ATF_TP_ADD_TC(tp, wp_unpopulated_anon_mprotect);
	ATF_TP_ADD_TC(tp, wp_unpopulated_shmem_mprotect);
	return atf_no_error();
}
