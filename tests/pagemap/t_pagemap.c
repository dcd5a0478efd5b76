/*
 * t_pagemap: /proc/self/pagemap as proc(5) and
 * Documentation/admin-guide/mm/pagemap.rst describe it, soft-dirty tracking
 * through /proc/self/clear_refs (Documentation/admin-guide/mm/
 * soft-dirty.rst) and the PAGEMAP_SCAN ioctl (Linux 6.7+,
 * ioctl_pagemap_scan(2), pagemap.rst "Pagemap Scan IOCTL").
 *
 * One 64-bit entry per virtual page, read with pread() at offset
 * (addr / page size) * 8 (mc_pagemap): bit 63 present, 62 swapped, 61
 * file-page or shared-anon, 56 exclusively mapped, 55 soft-dirty, 0-54 the
 * PFN (zero without CAP_SYS_ADMIN). The flag bits need no privilege.
 *
 * Soft-dirty cases skip where the kernel was built without
 * CONFIG_MEM_SOFT_DIRTY (probed: a new mapping has no "sd" VmFlag in smaps
 * and bit 55 stays 0 after clear_refs and a write). PAGEMAP_SCAN cases skip
 * where a valid scan fails with ENOTTY or EINVAL (no such ioctl).
 */
#include <sys/ioctl.h>
#include <sys/mman.h>

#include <linux/capability.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "mc.h"
#include "mc_err.h"
#include "mc_proc.h"

#define PM_SOFT_DIRTY (1ULL << 55)

/*
 * The PAGEMAP_SCAN uapi (include/uapi/linux/fs.h, Linux 6.7), under names
 * of our own: the installed headers may predate it.
 */
struct scan_arg {
	uint64_t size;
	uint64_t flags;
	uint64_t start;
	uint64_t end;
	uint64_t walk_end;
	uint64_t vec;
	uint64_t vec_len;
	uint64_t max_pages;
	uint64_t category_inverted;
	uint64_t category_mask;
	uint64_t category_anyof_mask;
	uint64_t return_mask;
};
struct scan_region {
	uint64_t start;
	uint64_t end;
	uint64_t categories;
};
#define SCAN_IOCTL _IOWR('f', 16, struct scan_arg)
#define IS_FILE (1ULL << 2)
#define IS_PRESENT (1ULL << 3)
#define IS_PFNZERO (1ULL << 5)

/* ---- pagemap entries ------------------------------------------------------ */

/* Require that the page at addr is (or is not) present, with its entry. */
static uint64_t
require_present(const void *addr, bool want, const char *what)
{
	uint64_t e = mc_pagemap(addr);

	ATF_REQUIRE_MSG(((e & MC_PM_PRESENT) != 0) == want, "%s at %p: "
	    "expected pagemap bit 63 (present) %s, entry %#jx", what, addr,
	    want ? "set" : "clear", (uintmax_t)e);
	return e;
}

static void
require_bit(const void *addr, uint64_t bit, int bitno, bool want,
    const char *what)
{
	uint64_t e = mc_pagemap(addr);

	ATF_REQUIRE_MSG(((e & bit) != 0) == want, "%s at %p: expected "
	    "pagemap bit %d %s, entry %#jx", what, addr, bitno,
	    want ? "set" : "clear", (uintmax_t)e);
}

static void
touch_read(const void *p)
{
	(void)*(const volatile unsigned char *)p;
}

static void
touch_write(void *p, unsigned char v)
{
	*(volatile unsigned char *)p = v;
}

/* ---- soft-dirty ------------------------------------------------------------ */

/* Write "4" to /proc/self/clear_refs: clear every soft-dirty bit. */
static void
clear_soft_dirty(void)
{
	int fd = open("/proc/self/clear_refs", O_WRONLY | O_CLOEXEC);

	ATF_REQUIRE_MSG(fd >= 0, "open(/proc/self/clear_refs, O_WRONLY): %s",
	    strerror(errno));
	ATF_REQUIRE_MSG(write(fd, "4", 1) == 1, "write(\"4\") to "
	    "/proc/self/clear_refs: %s", strerror(errno));
	ATF_REQUIRE(close(fd) == 0);
}

/*
 * Skip unless soft-dirty tracking is built in. Built: a new mapping carries
 * VM_SOFTDIRTY ("sd" in its smaps VmFlags), or bit 55 of a page written
 * after clear_refs 4 is set. Neither: CONFIG_MEM_SOFT_DIRTY is off (or the
 * architecture has no soft-dirty bit).
 */
static void
require_soft_dirty(void)
{
	char flags[512];
	bool sd_flag = false;
	unsigned char *p;
	uint64_t e;
	int fd = open("/proc/self/clear_refs", O_WRONLY | O_CLOEXEC);

	if (fd < 0) {
		int err = errno;

		ATF_REQUIRE_MSG(err == ENOENT || err == EACCES || err == EPERM,
		    "open(/proc/self/clear_refs, O_WRONLY): %s", strerror(err));
		atf_tc_skip("/proc/self/clear_refs cannot be opened for writing "
		    "(%s): soft-dirty bits cannot be cleared here",
		    strerror(err));
	}
	ATF_REQUIRE(close(fd) == 0);
	p = mc_map_guarded(1, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1);
	if (mc_smaps_vmflags_try(p, flags, sizeof(flags)))
		sd_flag = mc_has_vmflag(flags, "sd");
	clear_soft_dirty();
	touch_write(p, 1);
	e = mc_pagemap(p);
	mc_unmap_guarded(p, 1);
	if (!sd_flag && !(e & PM_SOFT_DIRTY))
		atf_tc_skip("soft-dirty tracking not built here "
		    "(CONFIG_MEM_SOFT_DIRTY off, or no soft-dirty bit on this "
		    "architecture): a new mapping has no 'sd' VmFlag and bit "
		    "55 of a page written after clear_refs 4 stays 0 (entry "
		    "%#jx)", (uintmax_t)e);
}

/* ---- PAGEMAP_SCAN ------------------------------------------------------------ */

static int
open_pagemap(void)
{
	int fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);

	if (fd < 0) {
		int err = errno;

		ATF_REQUIRE_MSG(err == ENOENT || err == EACCES || err == EPERM,
		    "open(/proc/self/pagemap): %s", strerror(err));
		atf_tc_skip("/proc/self/pagemap not available (%s)",
		    strerror(err));
	}
	return fd;
}

static void
scan_init(struct scan_arg *a, const void *start, const void *end,
    struct scan_region *vec, size_t vec_len)
{
	memset(a, 0, sizeof(*a));
	a->size = sizeof(*a);
	a->start = (uintptr_t)start;
	a->end = (uintptr_t)end;
	a->vec = (uintptr_t)vec;
	a->vec_len = vec_len;
}

/* ioctl(PAGEMAP_SCAN); the result, errno in *err. */
static long
scan(int fd, struct scan_arg *a, int *err)
{
	long r;

	errno = 0;
	r = ioctl(fd, SCAN_IOCTL, a);
	*err = errno;
	return r;
}

/*
 * The pagemap fd, or skip when PAGEMAP_SCAN is missing: a valid scan of one
 * mapped page (no output buffer) fails with ENOTTY (no ioctl on the file),
 * EINVAL (an ioctl that does not know the command) or ENOSYS (qemu-user,
 * which passes on only the ioctls it knows).
 */
static int
require_scan(void)
{
	size_t ps = mc_pagesize();
	int fd = open_pagemap(), err;
	unsigned char *p = mc_map_guarded(1, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1);
	struct scan_arg a;
	long r;

	scan_init(&a, p, p + ps, NULL, 0);
	a.category_mask = a.return_mask = IS_PRESENT;
	r = scan(fd, &a, &err);
	mc_unmap_guarded(p, 1);
	if (r == -1 && (err == ENOTTY || err == EINVAL || err == ENOSYS))
		atf_tc_skip("ioctl(/proc/self/pagemap, PAGEMAP_SCAN) with valid "
		    "arguments fails with %s (%s): no PAGEMAP_SCAN here (Linux "
		    "6.7+; ENOSYS: an emulator that does not know the ioctl)",
		    mc_errname(err), strerror(err));
	ATF_REQUIRE_MSG(r == 0, "probe: PAGEMAP_SCAN of one page with no "
	    "output buffer: expected 0, got %ld/%s", r, mc_errname(err));
	return fd;
}

/*
 * Require that a scan of [start, end) returned exactly the n regions
 * want[] (start and end offsets in pages from base, with categories cat),
 * and walk_end == end.
 */
static void
require_regions(const char *what, long r, int err, const struct scan_arg *a,
    const struct scan_region *vec, const unsigned char *base,
    const size_t (*want)[2], size_t n, uint64_t cat)
{
	size_t ps = mc_pagesize();

	ATF_REQUIRE_MSG(r >= 0, "%s: PAGEMAP_SCAN failed: %s", what,
	    mc_errname(err));
	ATF_REQUIRE_MSG((size_t)r == n, "%s: expected %zu region(s), the scan "
	    "returned %ld", what, n, r);
	for (size_t i = 0; i < n; i++) {
		uintptr_t s = (uintptr_t)(base + want[i][0] * ps);
		uintptr_t e = (uintptr_t)(base + want[i][1] * ps);

		ATF_REQUIRE_MSG(vec[i].start == s && vec[i].end == e &&
		    vec[i].categories == cat, "%s: region %zu: expected pages "
		    "%zu-%zu (%#jx-%#jx) with categories %#jx, got %#jx-%#jx "
		    "with %#jx", what, i, want[i][0], want[i][1],
		    (uintmax_t)s, (uintmax_t)e, (uintmax_t)cat,
		    (uintmax_t)vec[i].start, (uintmax_t)vec[i].end,
		    (uintmax_t)vec[i].categories);
	}
	ATF_REQUIRE_MSG(a->walk_end == a->end, "%s: the whole range fitted: "
	    "expected walk_end == end %#jx, got %#jx", what,
	    (uintmax_t)a->end, (uintmax_t)a->walk_end);
}

/* ---- pagemap bits ------------------------------------------------------------ */

MC_TC(present_bit_written_vs_untouched, "PAGEMAP-1",
    "pagemap bit 63 (present) is set for a written page of a private "
    "anonymous mapping and clear, with no swap bit and a zero PFN field, "
    "for its never-touched pages")
{
	size_t ps = mc_pagesize();
	unsigned char *p = mc_map_guarded(3, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1);
	const char *why;
	uint64_t e;

	touch_write(p + ps, 0x5a);
	for (size_t i = 0; i < 3; i += 2) {
		e = require_present(p + i * ps, false, "a never-touched page");
		ATF_REQUIRE_MSG(!(e & MC_PM_SWAP) && MC_PM_PFN(e) == 0, "never-"
		    "touched page %zu at %p: expected swap bit 62 clear and "
		    "PFN field 0, entry %#jx", i, (void *)(p + i * ps),
		    (uintmax_t)e);
	}
	e = require_present(p + ps, true, "the written page");
	ATF_REQUIRE_MSG(!(e & MC_PM_SWAP), "written page at %p: expected swap "
	    "bit 62 clear, entry %#jx", (void *)(p + ps), (uintmax_t)e);
	if (mc_pfns_visible(&why))
		ATF_REQUIRE_MSG(MC_PM_PFN(e) != 0, "written page at %p: PFNs "
		    "are visible here, expected a non-zero PFN, entry %#jx",
		    (void *)(p + ps), (uintmax_t)e);
	else
		printf("PFN of the written page not checked: %s\n", why);
	mc_unmap_guarded(p, 3);
}

MC_TC(file_bit_file_shared_anon_private_anon, "PAGEMAP-2",
    "pagemap bit 61 (file-page or shared-anon) is set for a read page of a "
    "file mapping and a written page of a shared anonymous mapping, and "
    "clear for a written page of a private anonymous mapping")
{
	int fd = mc_make_file("pm.dat", 3);
	unsigned char *f, *s, *a;

	ATF_REQUIRE(unlink("pm.dat") == 0);
	f = mc_map_guarded(1, PROT_READ, MAP_SHARED, fd);
	s = mc_map_guarded(1, PROT_READ | PROT_WRITE,
	    MAP_SHARED | MAP_ANONYMOUS, -1);
	a = mc_map_guarded(1, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1);

	mc_require_patterns(f, 1, 1, "the file page");
	touch_write(s, 1);
	touch_write(a, 1);
	require_present(f, true, "the read file page");
	require_present(s, true, "the written shared anonymous page");
	require_present(a, true, "the written private anonymous page");
	require_bit(f, MC_PM_FILE, 61, true, "the read file page");
	require_bit(s, MC_PM_FILE, 61, true,
	    "the written shared anonymous page");
	require_bit(a, MC_PM_FILE, 61, false,
	    "the written private anonymous page");
	mc_unmap_guarded(f, 1);
	mc_unmap_guarded(s, 1);
	mc_unmap_guarded(a, 1);
	ATF_REQUIRE(close(fd) == 0);
}

static int
idle_child(struct mc_child *self, void *arg)
{
	(void)arg;
	mc_child_send_u64(self, 1);   /* alive, with its copy of the page */
	(void)mc_child_recv_u64(self); /* until the parent says go */
	return 0;
}

MC_TC(exclusive_bit_fork_and_cow, "PAGEMAP-3",
    "pagemap bit 56 (page exclusively mapped): a written private anonymous "
    "page is exclusive; while a forked child lives it is shared and bit 56 "
    "is clear in the parent; after the parent writes it (copy-on-write) "
    "the parent's page is exclusive again")
{
	unsigned char *p = mc_map_guarded(1, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1);
	struct mc_child ch;
	uint64_t v = 0, before, shared, after;

	touch_write(p, 1);
	before = require_present(p, true, "the written page");
	ATF_REQUIRE_MSG(before & MC_PM_EXCLUSIVE, "a written private "
	    "anonymous page mapped once: expected bit 56 (exclusive) set, "
	    "entry %#jx", (uintmax_t)before);
	mc_spawn(&ch, idle_child, NULL);
	mc_expect(&ch, &v, sizeof(v), "ready message");
	shared = require_present(p, true, "the page after fork");
	ATF_REQUIRE_MSG(!(shared & MC_PM_EXCLUSIVE), "after fork, with the child "
	    "alive: expected bit 56 (exclusive) clear in the parent, entry "
	    "%#jx", (uintmax_t)shared);
	touch_write(p, 2);
	after = require_present(p, true, "the page after the parent's write");
	ATF_REQUIRE_MSG(after & MC_PM_EXCLUSIVE, "after the parent's write "
	    "(copy-on-write), with the child alive: expected bit 56 "
	    "(exclusive) set, entry %#jx", (uintmax_t)after);
	if (MC_PM_PFN(before) != 0 && MC_PM_PFN(shared) != 0)
		ATF_REQUIRE_MSG(MC_PM_PFN(shared) == MC_PM_PFN(before),
		    "after fork the parent should still map PFN %#jx, maps "
		    "%#jx", (uintmax_t)MC_PM_PFN(before),
		    (uintmax_t)MC_PM_PFN(shared));
	mc_send(&ch, &v, sizeof(v));
	mc_reap_ok(&ch);
	ATF_REQUIRE_MSG(*p == 2, "the parent's page reads %d, expected 2", *p);
	mc_unmap_guarded(p, 1);
}

static int
no_admin_child(struct mc_child *self, void *arg)
{
	volatile unsigned char *p = arg;
	uint64_t e = 0, err;

	err = (uint64_t)mc_cap_drop(CAP_SYS_ADMIN);
	p[0] = 3;
	if (err == 0 && !mc_pagemap_try((const void *)p, &e))
		err = (uint64_t)(errno ? errno : EIO);
	mc_child_send_u64(self, err);
	mc_child_send_u64(self, e);
	return 0;
}

MC_TC(pfn_hidden_without_cap_sys_admin, "PAGEMAP-4",
    "a process without CAP_SYS_ADMIN that opens /proc/self/pagemap reads a "
    "zero PFN field for its present pages while the flag bits (present) "
    "are still reported")
{
	unsigned char *p = mc_map_guarded(1, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1);
	struct mc_child ch;
	uint64_t err = 0, e = 0;
	const char *why;

	(void)mc_pagemap(p); /* skips when pagemap is not there */
	mc_spawn(&ch, no_admin_child, p);
	mc_expect(&ch, &err, sizeof(err), "capability drop / pagemap result");
	mc_expect(&ch, &e, sizeof(e), "pagemap entry");
	mc_reap_ok(&ch);
	ATF_REQUIRE_MSG(err == 0, "child: dropping CAP_SYS_ADMIN or reading "
	    "pagemap failed: %s", mc_errname((int)err));
	ATF_REQUIRE_MSG(e & MC_PM_PRESENT, "child without CAP_SYS_ADMIN: its "
	    "written page should be reported present (bit 63), entry %#jx",
	    (uintmax_t)e);
	ATF_REQUIRE_MSG(MC_PM_PFN(e) == 0, "child without CAP_SYS_ADMIN: "
	    "expected the PFN field zeroed, entry %#jx (PFN %#jx)",
	    (uintmax_t)e, (uintmax_t)MC_PM_PFN(e));
	if (mc_pfns_visible(&why))
		printf("with CAP_SYS_ADMIN the test process sees PFNs; the "
		    "child without it saw 0\n");
	else
		printf("the test process does not see PFNs either: %s\n", why);
	mc_unmap_guarded(p, 1);
}

MC_TC(read_must_be_8_byte_aligned, "PAGEMAP-5",
    "a pagemap read at a file offset that is not a multiple of 8, or of a "
    "size that is not a multiple of 8, fails with EINVAL; an aligned read "
    "of 16 bytes returns two entries")
{
	size_t ps = mc_pagesize();
	unsigned char *p = mc_map_guarded(2, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1);
	int fd = open_pagemap();
	off_t off = (off_t)((uintptr_t)p / ps * 8);
	uint64_t buf[2];

	touch_write(p, 1);
	MC_REQUIRE_ERRF(pread(fd, buf, 8, off + 1), EINVAL,
	    "pread(pagemap, 8 bytes, offset %jd + 1)", (intmax_t)off);
	MC_REQUIRE_ERRF(pread(fd, buf, 7, off), EINVAL,
	    "pread(pagemap, 7 bytes, offset %jd)", (intmax_t)off);
	MC_REQUIRE_ERRF(pread(fd, buf, 12, off), EINVAL,
	    "pread(pagemap, 12 bytes, offset %jd)", (intmax_t)off);
	errno = 0;
	ssize_t n = pread(fd, buf, 16, off);
	ATF_REQUIRE_MSG(n == 16, "pread(pagemap, 16 bytes, offset %jd): "
	    "expected 16, got %zd (%s)", (intmax_t)off, n, strerror(errno));
	ATF_REQUIRE_MSG((buf[0] & MC_PM_PRESENT) && !(buf[1] & MC_PM_PRESENT),
	    "the two entries read at once: expected page 0 (written) present "
	    "and page 1 (untouched) not, got %#jx and %#jx",
	    (uintmax_t)buf[0], (uintmax_t)buf[1]);
	ATF_REQUIRE(close(fd) == 0);
	mc_unmap_guarded(p, 2);
}

/* ---- soft-dirty ------------------------------------------------------------ */

MC_TC(soft_dirty_clear_then_write, "PAGEMAP-6",
    "writing 4 to /proc/self/clear_refs clears soft-dirty bit 55 of every "
    "page; afterwards a write sets it on exactly the written page, a read "
    "of a present page does not")
{
	size_t ps = mc_pagesize();
	unsigned char *p;

	require_soft_dirty();
	p = mc_map_guarded(4, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1);
	for (size_t i = 0; i < 3; i++)
		touch_write(p + i * ps, (unsigned char)(i + 1));
	/* page 3 stays untouched */
	require_bit(p, PM_SOFT_DIRTY, 55, true, "page 0 just written");
	clear_soft_dirty();
	for (size_t i = 0; i < 4; i++)
		require_bit(p + i * ps, PM_SOFT_DIRTY, 55, false,
		    "a page right after clear_refs 4");
	touch_read(p);          /* page 0: a read of a present page */
	touch_write(p + ps, 9); /* page 1: a write */
	require_bit(p, PM_SOFT_DIRTY, 55, false,
	    "page 0, only read after clear_refs");
	require_bit(p + ps, PM_SOFT_DIRTY, 55, true,
	    "page 1, written after clear_refs");
	require_bit(p + 2 * ps, PM_SOFT_DIRTY, 55, false,
	    "page 2, not accessed after clear_refs");
	require_bit(p + 3 * ps, PM_SOFT_DIRTY, 55, false,
	    "page 3, never touched");
	require_present(p, true, "page 0 after clear_refs");
	ATF_REQUIRE_MSG(p[0] == 1 && p[ps] == 9 && p[2 * ps] == 3, "contents "
	    "changed by clear_refs: %d %d %d, expected 1 9 3", p[0], p[ps],
	    p[2 * ps]);
	mc_unmap_guarded(p, 4);
}

MC_TC(soft_dirty_new_mapping, "PAGEMAP-7",
    "a new mapping is soft-dirty: after clear_refs 4, an anonymous mapping "
    "created with MAP_FIXED in place of the old one reports bit 55 set for "
    "all its pages, none of them written or present")
{
	size_t ps = mc_pagesize(), n = 3;
	unsigned char *p, *q;

	require_soft_dirty();
	p = mc_map_guarded(n, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1);
	touch_write(p, 1);
	clear_soft_dirty();
	for (size_t i = 0; i < n; i++)
		require_bit(p + i * ps, PM_SOFT_DIRTY, 55, false,
		    "a page of the old mapping after clear_refs 4");
	q = mmap(p, n * ps, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	ATF_REQUIRE_MSG(q == p, "mmap(MAP_FIXED at %p, %zu pages): got %p (%s)",
	    (void *)p, n, q, strerror(errno));
	mc_nohuge(q, n * ps);
	for (size_t i = 0; i < n; i++) {
		require_present(q + i * ps, false,
		    "an untouched page of the new mapping");
		require_bit(q + i * ps, PM_SOFT_DIRTY, 55, true,
		    "an untouched page of the new mapping");
	}
	mc_unmap_guarded(p, n);
}

MC_TC(soft_dirty_mremap_moved_page, "PAGEMAP-8",
    "after clear_refs 4, pages moved by mremap (MREMAP_FIXED) to new "
    "memory report soft-dirty bit 55 at their new address although they "
    "were not written since, and keep their contents")
{
	size_t ps = mc_pagesize();
	unsigned char *p, *q, *r;

	require_soft_dirty();
	p = mc_map_guarded(2, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1);
	mc_fill_patterns(p, 2, 0);
	clear_soft_dirty();
	for (size_t i = 0; i < 2; i++)
		require_bit(p + i * ps, PM_SOFT_DIRTY, 55, false,
		    "a page after clear_refs 4, before mremap");
	q = mc_free_hole(2);
	r = mremap(p, 2 * ps, 2 * ps, MREMAP_MAYMOVE | MREMAP_FIXED, q);
	ATF_REQUIRE_MSG(r == q, "mremap(%p, 2 pages, MREMAP_FIXED to %p): got "
	    "%p (%s)", (void *)p, (void *)q, (void *)r, strerror(errno));
	for (size_t i = 0; i < 2; i++) {
		require_present(q + i * ps, true, "a moved page");
		require_bit(q + i * ps, PM_SOFT_DIRTY, 55, true,
		    "a page moved by mremap, not written since clear_refs");
	}
	mc_require_patterns(q, 2, 0, "the moved pages");
	ATF_REQUIRE(munmap(q, 2 * ps) == 0);
	mc_unmap_guarded(p, 2);
}

/* ---- PAGEMAP_SCAN ------------------------------------------------------------ */

MC_TC(scan_present_ranges, "PAGEMAP-9",
    "PAGEMAP_SCAN with category_mask PAGE_IS_PRESENT over a 4-page private "
    "anonymous mapping whose pages 0 and 2 were written returns exactly "
    "the two one-page regions of those pages")
{
	size_t ps = mc_pagesize();
	int fd = require_scan(), err;
	unsigned char *p = mc_map_guarded(4, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1);
	struct scan_region vec[8];
	struct scan_arg a;
	static const size_t want[][2] = { { 0, 1 }, { 2, 3 } };
	long r;

	touch_write(p, 1);
	touch_write(p + 2 * ps, 1);
	memset(vec, 0, sizeof(vec));
	scan_init(&a, p, p + 4 * ps, vec, 8);
	a.category_mask = a.return_mask = IS_PRESENT;
	r = scan(fd, &a, &err);
	require_regions("PAGE_IS_PRESENT over pages 0-3 (0 and 2 written)", r,
	    err, &a, vec, p, want, 2, IS_PRESENT);
	ATF_REQUIRE(close(fd) == 0);
	mc_unmap_guarded(p, 4);
}

MC_TC(scan_pfnzero_zero_page, "PAGEMAP-10",
    "PAGEMAP_SCAN with category_mask PAGE_IS_PFNZERO reports exactly the "
    "pages of a private anonymous mapping that were only read (and so map "
    "the zero page, where the kernel uses one), not written or untouched "
    "ones")
{
	size_t ps = mc_pagesize();
	int fd = require_scan(), err;
	unsigned char *p = mc_map_guarded(4, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1);
	struct scan_region vec[8];
	struct scan_arg a;
	static const size_t want[][2] = { { 0, 2 } };
	bool zero_page;
	const char *why;
	long rss, r;

	mc_require_smaps();
	touch_read(p);
	touch_read(p + ps);
	touch_write(p + 2 * ps, 1);
	/* page 3 untouched */
	/*
	 * The zero page is not counted in Rss: 1 page of Rss (the written
	 * one) means the two read pages map it; 3 pages mean the kernel gave
	 * them pages of their own (no zero page here).
	 */
	rss = mc_smaps_kb(p, "Rss");
	ATF_REQUIRE_MSG(rss == (long)(ps / 1024) || rss == (long)(3 * ps /
	    1024), "Rss of the mapping after reading pages 0-1 and writing "
	    "page 2: expected 1 page (reads map the zero page) or 3 (no zero "
	    "page), got %ld kB", rss);
	zero_page = rss == (long)(ps / 1024);
	if (zero_page && mc_pfns_visible(&why))
		ATF_REQUIRE_MSG(mc_pfn(p) == mc_pfn(p + ps), "read pages 0 and "
		    "1 should map the one zero page, PFNs %#jx and %#jx",
		    (uintmax_t)mc_pfn(p), (uintmax_t)mc_pfn(p + ps));
	memset(vec, 0, sizeof(vec));
	scan_init(&a, p, p + 4 * ps, vec, 8);
	a.category_mask = IS_PFNZERO;
	a.return_mask = IS_PFNZERO | IS_PRESENT;
	r = scan(fd, &a, &err);
	if (zero_page)
		require_regions("PAGE_IS_PFNZERO (pages 0-1 read, 2 written, "
		    "3 untouched)", r, err, &a, vec, p, want, 1,
		    IS_PFNZERO | IS_PRESENT);
	else {
		require_regions("PAGE_IS_PFNZERO on a kernel without a zero "
		    "page (Rss counts the read pages)", r, err, &a, vec, p,
		    want, 0, 0);
		printf("no zero page here (the read pages count in Rss): "
		    "checked that PAGE_IS_PFNZERO reports none\n");
	}
	ATF_REQUIRE(close(fd) == 0);
	mc_unmap_guarded(p, 4);
}

MC_TC(scan_file_pages, "PAGEMAP-11",
    "PAGEMAP_SCAN with category_mask PAGE_IS_FILE reports the read pages "
    "of a private file mapping but not the page written there (now an "
    "anonymous copy), nor written private anonymous pages")
{
	size_t ps = mc_pagesize();
	int fd = require_scan(), err;
	int ffd = mc_make_file("scan.dat", 5);
	unsigned char *f, *a;
	struct scan_region vec[8];
	struct scan_arg sa;
	static const size_t want[][2] = { { 0, 1 }, { 2, 3 } };
	long r;

	ATF_REQUIRE(unlink("scan.dat") == 0);
	f = mc_map_guarded(3, PROT_READ | PROT_WRITE, MAP_PRIVATE, ffd);
	a = mc_map_guarded(2, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1);

	mc_require_patterns(f, 3, 1, "the file mapping");
	touch_write(f + ps, 'w');
	touch_write(a, 1);
	touch_write(a + ps, 1);
	memset(vec, 0, sizeof(vec));
	scan_init(&sa, f, f + 3 * ps, vec, 8);
	sa.category_mask = IS_FILE;
	sa.return_mask = IS_FILE | IS_PRESENT;
	r = scan(fd, &sa, &err);
	require_regions("PAGE_IS_FILE over a private file mapping (pages 0-2 "
	    "read, page 1 then written)", r, err, &sa, vec, f, want, 2,
	    IS_FILE | IS_PRESENT);
	memset(vec, 0, sizeof(vec));
	scan_init(&sa, a, a + 2 * ps, vec, 8);
	sa.category_mask = IS_FILE;
	sa.return_mask = IS_FILE | IS_PRESENT;
	r = scan(fd, &sa, &err);
	require_regions("PAGE_IS_FILE over written private anonymous pages",
	    r, err, &sa, vec, a, want, 0, 0);
	ATF_REQUIRE(close(fd) == 0);
	mc_unmap_guarded(f, 3);
	mc_unmap_guarded(a, 2);
	ATF_REQUIRE(close(ffd) == 0);
}

MC_TC(scan_limits_and_walk_end, "PAGEMAP-12",
    "PAGEMAP_SCAN returns the number of regions it filled, with walk_end "
    "== end when everything fitted; a max_pages or vec_len limit stops "
    "the walk early, walk_end telling where, and a scan resumed from "
    "walk_end returns the rest")
{
	size_t ps = mc_pagesize();
	int fd = require_scan(), err;
	unsigned char *p = mc_map_guarded(6, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1);
	unsigned char *end = p + 6 * ps;
	struct scan_region vec[8];
	struct scan_arg a;
	static const size_t all[][2] = { { 0, 2 }, { 3, 5 } };
	static const size_t lim[][2] = { { 0, 2 }, { 3, 4 } };
	static const size_t rest_max[][2] = { { 4, 5 } };
	static const size_t rest_vec[][2] = { { 3, 5 } };
	uintptr_t we;
	long r;

	/* written: pages 0, 1, 3, 4 -> regions [0, 2) and [3, 5) */
	touch_write(p, 1);
	touch_write(p + ps, 1);
	touch_write(p + 3 * ps, 1);
	touch_write(p + 4 * ps, 1);

	memset(vec, 0, sizeof(vec));
	scan_init(&a, p, end, vec, 8);
	a.category_mask = a.return_mask = IS_PRESENT;
	r = scan(fd, &a, &err);
	require_regions("no limit", r, err, &a, vec, p, all, 2, IS_PRESENT);

	/* max_pages 3: [0, 2) and one page of [3, 5), stop at page 4 */
	memset(vec, 0, sizeof(vec));
	scan_init(&a, p, end, vec, 8);
	a.category_mask = a.return_mask = IS_PRESENT;
	a.max_pages = 3;
	r = scan(fd, &a, &err);
	ATF_REQUIRE_MSG(r == 2, "max_pages 3: expected 2 regions, got %ld/%s",
	    r, mc_errname(err));
	for (size_t i = 0; i < 2; i++)
		ATF_REQUIRE_MSG(vec[i].start == (uintptr_t)(p + lim[i][0] *
		    ps) && vec[i].end == (uintptr_t)(p + lim[i][1] * ps),
		    "max_pages 3: region %zu expected pages %zu-%zu, got "
		    "%#jx-%#jx (base %p)", i, lim[i][0], lim[i][1],
		    (uintmax_t)vec[i].start, (uintmax_t)vec[i].end, (void *)p);
	ATF_REQUIRE_MSG(a.walk_end == (uintptr_t)(p + 4 * ps), "max_pages 3: "
	    "expected walk_end at page 4 (%p), the first page not reported, "
	    "got %#jx", (void *)(p + 4 * ps), (uintmax_t)a.walk_end);
	we = a.walk_end;
	memset(vec, 0, sizeof(vec));
	scan_init(&a, (void *)we, end, vec, 8);
	a.category_mask = a.return_mask = IS_PRESENT;
	r = scan(fd, &a, &err);
	require_regions("resumed from walk_end after max_pages", r, err, &a,
	    vec, p, rest_max, 1, IS_PRESENT);

	/* vec_len 1: only [0, 2), stop before page 3 */
	memset(vec, 0, sizeof(vec));
	scan_init(&a, p, end, vec, 1);
	a.category_mask = a.return_mask = IS_PRESENT;
	r = scan(fd, &a, &err);
	ATF_REQUIRE_MSG(r == 1, "vec_len 1: expected 1 region, got %ld/%s", r,
	    mc_errname(err));
	ATF_REQUIRE_MSG(vec[0].start == (uintptr_t)p && vec[0].end ==
	    (uintptr_t)(p + 2 * ps), "vec_len 1: expected pages 0-2, got "
	    "%#jx-%#jx (base %p)", (uintmax_t)vec[0].start,
	    (uintmax_t)vec[0].end, (void *)p);
	ATF_REQUIRE_MSG(vec[1].start == 0 && vec[1].end == 0, "vec_len 1: the "
	    "kernel wrote past the one-entry buffer: %#jx-%#jx",
	    (uintmax_t)vec[1].start, (uintmax_t)vec[1].end);
	ATF_REQUIRE_MSG(a.walk_end >= (uintptr_t)(p + 2 * ps) &&
	    a.walk_end <= (uintptr_t)(p + 3 * ps), "vec_len 1: expected "
	    "walk_end between the end of the reported region (%p) and the "
	    "next written page (%p), got %#jx", (void *)(p + 2 * ps),
	    (void *)(p + 3 * ps), (uintmax_t)a.walk_end);
	we = a.walk_end;
	memset(vec, 0, sizeof(vec));
	scan_init(&a, (void *)we, end, vec, 8);
	a.category_mask = a.return_mask = IS_PRESENT;
	r = scan(fd, &a, &err);
	require_regions("resumed from walk_end after vec_len 1", r, err, &a,
	    vec, p, rest_vec, 1, IS_PRESENT);
	ATF_REQUIRE(close(fd) == 0);
	mc_unmap_guarded(p, 6);
}

MC_TC(scan_invalid_arguments, "PAGEMAP-13",
    "PAGEMAP_SCAN fails with EINVAL for a size other than sizeof(struct "
    "pm_scan_arg), unknown flags, unknown category bits, a start that is "
    "not page aligned, and a vec_len with a NULL vec")
{
	size_t ps = mc_pagesize();
	int fd = require_scan(), err;
	unsigned char *p = mc_map_guarded(2, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1);
	struct scan_region vec[4];
	struct scan_arg a;
	long r;

	touch_write(p, 1);
#define BAD(field_setup, what)                                             \
	do {                                                               \
		scan_init(&a, p, p + 2 * ps, vec, 4);                      \
		a.category_mask = a.return_mask = IS_PRESENT;              \
		field_setup;                                               \
		r = scan(fd, &a, &err);                                    \
		mc_require_err(r, err, EINVAL, "PAGEMAP_SCAN with %s",     \
		    what);                                                 \
	} while (0)
	BAD(a.size = sizeof(a) - 8, "size = sizeof(struct pm_scan_arg) - 8");
	BAD(a.size = sizeof(a) + 8, "size = sizeof(struct pm_scan_arg) + 8");
	BAD(a.flags = 1ULL << 63, "flags bit 63 (unknown)");
	BAD(a.category_mask = 1ULL << 63, "category_mask bit 63 (unknown)");
	BAD(a.return_mask = 1ULL << 63, "return_mask bit 63 (unknown)");
	BAD(a.category_anyof_mask = 1ULL << 63,
	    "category_anyof_mask bit 63 (unknown)");
	BAD(a.category_inverted = 1ULL << 63,
	    "category_inverted bit 63 (unknown)");
	BAD(a.start = (uintptr_t)(p + 1), "start not page aligned");
	BAD((a.vec = 0, a.vec_len = 4), "vec NULL and vec_len 4");
#undef BAD
	/* The same arguments, valid: the scan works (the EINVALs were ours). */
	scan_init(&a, p, p + 2 * ps, vec, 4);
	a.category_mask = a.return_mask = IS_PRESENT;
	r = scan(fd, &a, &err);
	ATF_REQUIRE_MSG(r == 1, "the valid scan: expected 1 region, got "
	    "%ld/%s", r, mc_errname(err));
	ATF_REQUIRE(close(fd) == 0);
	mc_unmap_guarded(p, 2);
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, present_bit_written_vs_untouched);
	ATF_TP_ADD_TC(tp, file_bit_file_shared_anon_private_anon);
	ATF_TP_ADD_TC(tp, exclusive_bit_fork_and_cow);
	ATF_TP_ADD_TC(tp, pfn_hidden_without_cap_sys_admin);
	ATF_TP_ADD_TC(tp, read_must_be_8_byte_aligned);
	ATF_TP_ADD_TC(tp, soft_dirty_clear_then_write);
	ATF_TP_ADD_TC(tp, soft_dirty_new_mapping);
	ATF_TP_ADD_TC(tp, soft_dirty_mremap_moved_page);
	ATF_TP_ADD_TC(tp, scan_present_ranges);
	ATF_TP_ADD_TC(tp, scan_pfnzero_zero_page);
	ATF_TP_ADD_TC(tp, scan_file_pages);
	ATF_TP_ADD_TC(tp, scan_limits_and_walk_end);
	ATF_TP_ADD_TC(tp, scan_invalid_arguments);
	return atf_no_error();
}
