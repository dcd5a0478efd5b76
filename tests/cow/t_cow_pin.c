/*
 * t_cow_pin: copy-on-write of private anonymous memory while something
 * else holds a reference to its page (a "pin"), after the scenarios of
 * Linux tools/testing/selftests/mm/cow.c:
 *
 *  - vmsplice(2) puts references to the caller's pages into a pipe (a
 *    read-only pin): whatever fork(2) and later writes do, a pipe filled
 *    by one process must never show data the other process wrote after
 *    the fork (CVE-2020-29374: COW broke in the wrong direction and a
 *    child could read its parent's later data through the pin, or write
 *    into the parent's pinned data);
 *  - a read(2) with O_DIRECT (open(2)) writes into the caller's buffer
 *    through get_user_pages (a read/write pin): after fork(2) the buffer
 *    is copy-on-write shared with the child, and the data must land in
 *    the caller's page only;
 *  - Dirty COW (CVE-2016-5195): a forced write through /proc/self/mem
 *    (proc(5)) to a private read-only file mapping writes a private copy;
 *    racing it with MADV_DONTNEED must never let it reach the file.
 *
 * Each scenario runs on one small page and, where THP exists, on a
 * PMD-mapped transparent huge page (skipped when none can be allocated).
 * Children are synchronised through pipes with bounded waits; the pipe
 * contents are read with O_NONBLOCK, so nothing waits for data that is
 * not there.
 */
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/uio.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mc.h"
#include "mc_err.h"
#include "mc_proc.h"

#define ORIG 'O'   /* the contents before fork */
#define PARENT 'P' /* what the parent writes after fork */
#define CHILD 'C'  /* what the child writes after fork */

/* ---- the memory under test ------------------------------------------- */

/* A private anonymous region: one small page, or one PMD-mapped THP. */
struct area {
	unsigned char *p;
	size_t len;
	void *base;      /* the whole mapping, for munmap */
	size_t base_len;
};

static void
area_small(struct area *a)
{
	a->len = mc_pagesize();
	a->p = mc_map_anon(a->len, PROT_READ | PROT_WRITE, MAP_PRIVATE);
	a->base = a->p;
	a->base_len = a->len;
	memset(a->p, ORIG, a->len);
}

/*
 * A THP-aligned range of the THP size with MADV_HUGEPAGE, written, and
 * required to be backed by a huge page (smaps AnonHugePages); skips when
 * THP is not available or no huge page could be allocated.
 */
static void
area_thp(struct area *a)
{
	size_t thp = mc_thp_size();
	uintptr_t start;
	long kb;

	if (thp == 0)
		atf_tc_skip("no transparent huge pages here (no "
		    "/sys/kernel/mm/transparent_hugepage/hpage_pmd_size)");
	mc_require_smaps();
	a->base_len = 2 * thp;
	a->base = mmap(NULL, a->base_len, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ATF_REQUIRE_MSG(a->base != MAP_FAILED, "mmap(%zu bytes): %s",
	    a->base_len, strerror(errno));
	start = ((uintptr_t)a->base + thp - 1) & ~(uintptr_t)(thp - 1);
	a->p = (unsigned char *)start;
	a->len = thp;
	if (madvise(a->p, a->len, MADV_HUGEPAGE) != 0) {
		if (errno == EINVAL)
			mc_skip_unsupported("MADV_HUGEPAGE", EINVAL);
		ATF_REQUIRE_MSG(false, "madvise(MADV_HUGEPAGE): %s",
		    strerror(errno));
	}
	memset(a->p, ORIG, a->len);
	kb = mc_smaps_kb(a->p, "AnonHugePages");
	if (kb < (long)(thp / 1024))
		atf_tc_skip("no huge page for a written, aligned MADV_HUGEPAGE "
		    "range of %zu KiB (AnonHugePages %ld kB: THP disabled or "
		    "memory fragmented)", thp / 1024, kb);
}

static void
area_free(struct area *a)
{
	ATF_REQUIRE(munmap(a->base, a->base_len) == 0);
}

/* ---- pipes and vmsplice ------------------------------------------------ */

/* Skip unless vmsplice works here: one page into a new pipe. */
static void
require_vmsplice(void)
{
	size_t ps = mc_pagesize();
	unsigned char *q = mc_map_anon(ps, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE);
	struct iovec iov = { q, ps };
	int fds[2];
	ssize_t n;

	memset(q, 1, ps);
	ATF_REQUIRE_MSG(pipe(fds) == 0, "pipe: %s", strerror(errno));
	n = vmsplice(fds[1], &iov, 1, SPLICE_F_NONBLOCK);
	if (n < 0 && (errno == ENOSYS || errno == EINVAL || errno == EPERM))
		mc_skip_unsupported("vmsplice", errno);
	ATF_REQUIRE_MSG(n > 0, "vmsplice(one page) into a new pipe: %zd (%s)",
	    n, n < 0 ? strerror(errno) : "nothing transferred");
	close(fds[0]);
	close(fds[1]);
	ATF_REQUIRE(munmap(q, ps) == 0);
}

/*
 * vmsplice [p, p+len) into the pipe (without blocking: a pipe holds only
 * part of a huge page). Returns the bytes transferred, or -errno. No ATF.
 */
static long
splice_in(int wfd, unsigned char *p, size_t len)
{
	struct iovec iov = { p, len };
	ssize_t n = vmsplice(wfd, &iov, 1, SPLICE_F_NONBLOCK);

	return n < 0 ? -(long)errno : (long)n;
}

/*
 * Read n bytes from the (non-blocking) pipe: how many of them differ from
 * c; *got: how many bytes arrived. No ATF.
 */
static uint64_t
drain_count_not(int rfd, size_t n, unsigned char c, uint64_t *got)
{
	unsigned char buf[4096];
	uint64_t bad = 0;

	*got = 0;
	while (*got < n) {
		size_t want = n - *got < sizeof(buf) ? n - *got : sizeof(buf);
		ssize_t r = read(rfd, buf, want);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		bad += mc_count_not(buf, (size_t)r, c);
		*got += (uint64_t)r;
	}
	return bad;
}

static void
pipe_nonblock(int fds[2])
{
	ATF_REQUIRE_MSG(pipe2(fds, O_NONBLOCK) == 0, "pipe2: %s",
	    strerror(errno));
}

/* ---- COWPIN-1: the child pins, the parent writes -------------------- */

struct pin_child_arg {
	unsigned char *p;
	size_t len;
};

/*
 * Child: vmsplice the inherited region into its own pipe, unmap it,
 * report the bytes pinned (or 0 and the errno), wait until the parent has
 * written, then report what the pipe holds: bytes read, bytes != ORIG.
 */
static int
pin_in_child(struct mc_child *self, void *varg)
{
	struct pin_child_arg *a = varg;
	uint64_t got, bad;
	long n;
	int fds[2];

	if (pipe2(fds, O_NONBLOCK) != 0)
		return 10;
	n = splice_in(fds[1], a->p, a->len);
	if (n <= 0) {
		mc_child_send_u64(self, 0);
		mc_child_send_u64(self, n < 0 ? (uint64_t)-n : 0);
		return 0;
	}
	if (munmap(a->p, a->len) != 0)
		return 11;
	mc_child_send_u64(self, (uint64_t)n);
	(void)mc_child_recv_u64(self);
	bad = drain_count_not(fds[0], (size_t)n, ORIG, &got);
	mc_child_send_u64(self, got);
	mc_child_send_u64(self, bad);
	return 0;
}

static void
vmsplice_in_child(struct area *a, bool do_mprotect)
{
	struct pin_child_arg arg = { a->p, a->len };
	struct mc_child ch;
	uint64_t n, e, got, bad, go = 1;

	mc_spawn(&ch, pin_in_child, &arg);
	mc_expect(&ch, &n, sizeof(n), "vmsplice result");
	if (n == 0) {
		mc_expect(&ch, &e, sizeof(e), "vmsplice errno");
		mc_reap_ok(&ch);
		ATF_REQUIRE_MSG(false, "vmsplice of the inherited region in the "
		    "child failed: %s", strerror((int)e));
	}
	if (do_mprotect) {
		/* mprotect must not map the shared page writable again. */
		int e = 0;

		if (mprotect(a->p, a->len, PROT_READ) != 0 ||
		    mprotect(a->p, a->len, PROT_READ | PROT_WRITE) != 0) {
			e = errno;
			(void)mc_reap(&ch, 0);
		}
		ATF_REQUIRE_MSG(e == 0, "mprotect(PROT_READ, then "
		    "PROT_READ|PROT_WRITE): %s", strerror(e));
	}
	memset(a->p, PARENT, a->len);
	mc_send(&ch, &go, sizeof(go));
	mc_expect(&ch, &got, sizeof(got), "bytes read from its pipe");
	mc_expect(&ch, &bad, sizeof(bad), "pipe contents");
	mc_reap_ok(&ch);
	ATF_REQUIRE_EQ_MSG(got, n, "the child read %ju of the %ju bytes it "
	    "had vmspliced", (uintmax_t)got, (uintmax_t)n);
	ATF_REQUIRE_EQ_MSG(bad, 0, "the child's pipe, filled by vmsplice "
	    "before the parent%s wrote its copy-on-write page: expected the "
	    "original contents, %ju of %ju bytes show the parent's later "
	    "write (CVE-2020-29374: a read-only pin in the child sees the "
	    "parent's data)", do_mprotect ? " (after mprotect)" : "",
	    (uintmax_t)bad, (uintmax_t)n);
	ATF_REQUIRE_EQ_MSG(mc_count_not(a->p, a->len, PARENT), 0, "the "
	    "parent's region lost its own write");
}

MC_TC(vmsplice_in_child_parent_writes, "COWPIN-1",
    "A child that vmsplices an inherited private page into a pipe and "
    "unmaps it reads the original contents from the pipe after the parent "
    "wrote the page")
{
	struct area a;

	require_vmsplice();
	area_small(&a);
	vmsplice_in_child(&a, false);
	area_free(&a);
}

MC_TC(vmsplice_in_child_parent_mprotect_writes, "COWPIN-1",
    "The same after the parent mprotects the page PROT_READ and back to "
    "PROT_READ|PROT_WRITE before writing it")
{
	struct area a;

	require_vmsplice();
	area_small(&a);
	vmsplice_in_child(&a, true);
	area_free(&a);
}

MC_TC(vmsplice_in_child_parent_writes_thp, "COWPIN-1",
    "The same on a PMD-mapped transparent huge page")
{
	struct area a;

	require_vmsplice();
	area_thp(&a);
	vmsplice_in_child(&a, false);
	area_free(&a);
}

/* ---- COWPIN-2: the parent pins, the child writes -------------------- */

/*
 * Child: wait for the go, write the whole inherited region, report how
 * many bytes of it do not read back as that write.
 */
static int
write_in_child(struct mc_child *self, void *varg)
{
	struct pin_child_arg *a = varg;

	mc_child_send_u64(self, 1);
	(void)mc_child_recv_u64(self);
	memset(a->p, CHILD, a->len);
	mc_child_send_u64(self, mc_count_not(a->p, a->len, CHILD));
	return 0;
}

/*
 * The parent vmsplices its region (before or after fork), optionally
 * unmaps it, then the child writes it; the parent's pipe (and its region,
 * when kept) must still hold the original contents.
 */
static void
vmsplice_in_parent(struct area *a, bool before_fork, bool unmap)
{
	struct pin_child_arg arg = { a->p, a->len };
	struct mc_child ch;
	uint64_t v, got, bad, go = 1;
	long n = 0;
	int fds[2];

	pipe_nonblock(fds);
	if (before_fork) {
		n = splice_in(fds[1], a->p, a->len);
		ATF_REQUIRE_MSG(n > 0, "vmsplice(%p, %zu) before fork: %s",
		    (void *)a->p, a->len, n < 0 ? strerror((int)-n) :
		    "nothing transferred");
	}
	mc_spawn(&ch, write_in_child, &arg);
	mc_expect(&ch, &v, sizeof(v), "ready");
	if (!before_fork) {
		n = splice_in(fds[1], a->p, a->len);
		if (n <= 0)
			mc_reap(&ch, 0);
		ATF_REQUIRE_MSG(n > 0, "vmsplice(%p, %zu) after fork: %s",
		    (void *)a->p, a->len, n < 0 ? strerror((int)-n) :
		    "nothing transferred");
	}
	if (unmap && munmap(a->p, a->len) != 0) {
		int e = errno;

		(void)mc_reap(&ch, 0);
		ATF_REQUIRE_MSG(false, "munmap(%p, %zu): %s", (void *)a->p,
		    a->len, strerror(e));
	}
	mc_send(&ch, &go, sizeof(go));
	mc_expect(&ch, &v, sizeof(v), "its own write check");
	mc_reap_ok(&ch);
	ATF_REQUIRE_EQ_MSG(v, 0, "the child's region after its own write: %ju "
	    "bytes do not read back", (uintmax_t)v);
	bad = drain_count_not(fds[0], (size_t)n, ORIG, &got);
	ATF_REQUIRE_EQ_MSG(got, (uint64_t)n, "the parent read %ju of the %ld "
	    "bytes it had vmspliced", (uintmax_t)got, n);
	ATF_REQUIRE_EQ_MSG(bad, 0, "the parent's pipe, filled by vmsplice %s "
	    "fork%s: expected the original contents after the child wrote its "
	    "copy-on-write page, %ju of %ld bytes show the child's write "
	    "(CVE-2020-29374: the child writes into the parent's pinned page)",
	    before_fork ? "before" : "after",
	    unmap ? " and unmapped by the parent" : "", (uintmax_t)bad, n);
	if (!unmap)
		ATF_REQUIRE_EQ_MSG(mc_count_not(a->p, a->len, ORIG), 0,
		    "the parent's region: %zu bytes show the child's write",
		    mc_count_not(a->p, a->len, ORIG));
	close(fds[0]);
	close(fds[1]);
}

MC_TC(vmsplice_before_fork_child_writes, "COWPIN-2",
    "A child's write to a private page the parent vmspliced into a pipe "
    "before fork changes neither the parent's page nor the pipe")
{
	struct area a;

	require_vmsplice();
	area_small(&a);
	vmsplice_in_parent(&a, true, false);
	area_free(&a);
}

MC_TC(vmsplice_before_fork_parent_unmaps_child_writes, "COWPIN-2",
    "The same when the parent unmaps the page before the child writes: "
    "the pipe still holds the original contents")
{
	struct area a;

	require_vmsplice();
	area_small(&a);
	vmsplice_in_parent(&a, true, true);
	area_free(&a);
}

MC_TC(vmsplice_before_fork_parent_unmaps_child_writes_thp, "COWPIN-2",
    "The same on a PMD-mapped transparent huge page")
{
	struct area a;

	require_vmsplice();
	area_thp(&a);
	vmsplice_in_parent(&a, true, true);
	area_free(&a);
}

MC_TC(vmsplice_after_fork_parent_unmaps_child_writes, "COWPIN-2",
    "A parent that vmsplices a page it shares copy-on-write with its child "
    "and unmaps it reads the original contents from the pipe after the "
    "child wrote the page")
{
	struct area a;

	require_vmsplice();
	area_small(&a);
	vmsplice_in_parent(&a, false, true);
	area_free(&a);
}

MC_TC(vmsplice_after_fork_parent_unmaps_child_writes_thp, "COWPIN-2",
    "The same on a PMD-mapped transparent huge page")
{
	struct area a;

	require_vmsplice();
	area_thp(&a);
	vmsplice_in_parent(&a, false, true);
	area_free(&a);
}

/* ---- COWPIN-3: O_DIRECT read into a copy-on-write shared page ------- */

/*
 * Child: report the PFN of its first page (0: hidden), wait until the
 * parent's O_DIRECT read completed, then report how many bytes of its
 * region are not ORIG and the PFN again.
 */
static int
odirect_child(struct mc_child *self, void *varg)
{
	struct pin_child_arg *a = varg;

	mc_child_send_u64(self, mc_pfn_try(a->p));
	(void)mc_child_recv_u64(self);
	mc_child_send_u64(self, mc_count_not(a->p, a->len, ORIG));
	mc_child_send_u64(self, mc_pfn_try(a->p));
	return 0;
}

/* A one-page file in the work directory, opened O_DIRECT; skips. */
static int
open_direct(const char *name)
{
	int fd = mc_make_file(name, 1);
	int fdd;

	ATF_REQUIRE_MSG(fsync(fd) == 0, "fsync(%s): %s", name,
	    strerror(errno));
	close(fd);
	fdd = open(name, O_RDONLY | O_DIRECT);
	if (fdd < 0 && errno == EINVAL)
		atf_tc_skip("open(%s, O_DIRECT): EINVAL: the work directory's "
		    "filesystem does not support direct I/O", name);
	ATF_REQUIRE_MSG(fdd >= 0, "open(%s, O_RDONLY|O_DIRECT): %s", name,
	    strerror(errno));
	return fdd;
}

static void
odirect_after_fork(struct area *a)
{
	size_t ps = mc_pagesize();
	struct pin_child_arg arg = { a->p, a->len };
	int fdd = open_direct("odirect.dat");
	uint64_t pfn0 = mc_pfn_try(a->p), cpfn0, cpfn1, bad, go = 1, pfn1;
	struct mc_child ch;
	ssize_t r;

	mc_spawn(&ch, odirect_child, &arg);
	mc_expect(&ch, &cpfn0, sizeof(cpfn0), "PFN before the read");
	r = pread(fdd, a->p, ps, 0);
	if (r < 0 && errno == EINVAL) {
		mc_reap(&ch, 0);
		atf_tc_skip("pread(O_DIRECT, one aligned page): EINVAL: the "
		    "filesystem's direct-I/O alignment exceeds a page");
	}
	if (r != (ssize_t)ps)
		mc_reap(&ch, 0);
	ATF_REQUIRE_MSG(r == (ssize_t)ps, "pread(O_DIRECT, %zu bytes into %p) "
	    "= %zd: %s", ps, (void *)a->p, r, r < 0 ? strerror(errno) :
	    "short read");
	pfn1 = mc_pfn_try(a->p);
	mc_send(&ch, &go, sizeof(go));
	mc_expect(&ch, &bad, sizeof(bad), "its contents");
	mc_expect(&ch, &cpfn1, sizeof(cpfn1), "PFN after the read");
	mc_reap_ok(&ch);
	ATF_REQUIRE_EQ_MSG(mc_count_not(a->p, ps, mc_pattern(0)), 0, "the "
	    "parent's page after its O_DIRECT read: %zu bytes are not the "
	    "file's %#x", mc_count_not(a->p, ps, mc_pattern(0)),
	    mc_pattern(0));
	ATF_REQUIRE_EQ_MSG(mc_count_not(a->p + ps, a->len - ps, ORIG), 0,
	    "the parent's region beyond the read changed");
	ATF_REQUIRE_EQ_MSG(bad, 0, "the child's copy-on-write region after the "
	    "parent's O_DIRECT read into it: %ju bytes are not the original "
	    "contents (the direct I/O reached the child's page)",
	    (uintmax_t)bad);
	close(fdd);
	mc_require_pfns();
	ATF_REQUIRE_MSG(cpfn0 == pfn0, "after fork the child's page should "
	    "be the parent's (PFN %#jx), it is %#jx", (uintmax_t)pfn0,
	    (uintmax_t)cpfn0);
	ATF_REQUIRE_MSG(pfn1 != pfn0, "the O_DIRECT read should have given "
	    "the parent a new page, its PFN is still %#jx", (uintmax_t)pfn0);
	ATF_REQUIRE_MSG(cpfn1 == pfn0, "the child's page changed PFN (%#jx -> "
	    "%#jx) though only the parent read into it", (uintmax_t)pfn0,
	    (uintmax_t)cpfn1);
}

MC_TC(odirect_read_after_fork_lands_in_caller, "COWPIN-3",
    "An O_DIRECT read into a private page shared copy-on-write with a "
    "child lands in a new page of the reader only; the child keeps the "
    "original page and contents")
{
	struct area a;

	area_small(&a);
	odirect_after_fork(&a);
	area_free(&a);
}

MC_TC(odirect_read_after_fork_lands_in_caller_thp, "COWPIN-3",
    "The same on a PMD-mapped transparent huge page (one page is read)")
{
	struct area a;

	area_thp(&a);
	odirect_after_fork(&a);
	area_free(&a);
}

/* ---- DIRTYCOW-1 ------------------------------------------------------- */

struct race {
	int memfd;
	unsigned char *p;
	atomic_int stop;
	unsigned long writes, write_errors, dontneeds, dontneed_errors;
	int first_errno;
};

#define RACE_BYTES 64
/* How long the Dirty COW race runs. */
#define RACE_MS 200

static void *
race_writer(void *varg)
{
	struct race *r = varg;
	unsigned char buf[RACE_BYTES];

	memset(buf, 'X', sizeof(buf));
	while (!atomic_load(&r->stop)) {
		if (pwrite(r->memfd, buf, sizeof(buf), (off_t)(uintptr_t)r->p) ==
		    (ssize_t)sizeof(buf))
			r->writes++;
		else {
			if (r->write_errors++ == 0)
				r->first_errno = errno;
		}
	}
	return NULL;
}

static void *
race_dontneed(void *varg)
{
	struct race *r = varg;

	while (!atomic_load(&r->stop)) {
		if (madvise(r->p, mc_pagesize(), MADV_DONTNEED) == 0)
			r->dontneeds++;
		else
			r->dontneed_errors++;
	}
	return NULL;
}

/* Require that the file's first page, read through a fresh fd, is intact. */
static void
require_file_intact(const char *name, unsigned char *buf, const char *when)
{
	size_t ps = mc_pagesize();
	int fd = open(name, O_RDONLY);

	ATF_REQUIRE_MSG(fd >= 0, "open(%s): %s", name, strerror(errno));
	mc_pread_all(fd, buf, ps, 0);
	close(fd);
	ATF_REQUIRE_EQ_MSG(mc_count_not(buf, ps, mc_pattern(0)), 0, "%s: the "
	    "read-only file's page has %zu bytes that are not its original "
	    "%#x (CVE-2016-5195: a forced write reached the file)", when,
	    mc_count_not(buf, ps, mc_pattern(0)), mc_pattern(0));
}

MC_TC(dirtycow_proc_mem_race_never_reaches_file, "DIRTYCOW-1",
    "Writes through /proc/self/mem to a private read-only mapping of a "
    "read-only file, raced with MADV_DONTNEED on that page, write private "
    "copies only: the file never changes")
{
	const char *name = "dirtycow.dat";
	size_t ps = mc_pagesize();
	struct race r;
	pthread_t tw, td;
	unsigned char *p, *q, *buf = malloc(ps), x[RACE_BYTES];
	int fd, e;
	ssize_t n;

	ATF_REQUIRE(buf != NULL);
	fd = mc_make_file(name, 1);
	close(fd);
	ATF_REQUIRE_MSG(chmod(name, 0444) == 0, "chmod: %s", strerror(errno));
	fd = open(name, O_RDONLY);
	ATF_REQUIRE_MSG(fd >= 0, "open(%s, O_RDONLY): %s", name,
	    strerror(errno));
	p = mc_map_fd(fd, ps, PROT_READ, MAP_PRIVATE, 0);
	close(fd);

	memset(&r, 0, sizeof(r));
	r.p = p;
	r.memfd = open("/proc/self/mem", O_RDWR | O_CLOEXEC);
	if (r.memfd < 0)
		atf_tc_skip("open(/proc/self/mem, O_RDWR): %s", strerror(errno));
	/* Probe: a write to a writable page of our own. */
	q = mc_map_anon(ps, PROT_READ | PROT_WRITE, MAP_PRIVATE);
	q[0] = 'a';
	n = pwrite(r.memfd, "b", 1, (off_t)(uintptr_t)q);
	if (n != 1)
		atf_tc_skip("/proc/self/mem is not writable here: pwrite to a "
		    "writable private page = %zd (%s)", n,
		    n < 0 ? strerror(errno) : "short");
	ATF_REQUIRE_MSG(q[0] == 'b', "a write through /proc/self/mem did not "
	    "reach the page (reads %#x)", q[0]);
	ATF_REQUIRE(munmap(q, ps) == 0);

	/* A forced write to the read-only mapping: a private copy. */
	memset(x, 'X', sizeof(x));
	n = pwrite(r.memfd, x, sizeof(x), (off_t)(uintptr_t)p);
	e = errno;
	if (n < 0 && (e == EIO || e == EPERM || e == EACCES || e == EFAULT))
		atf_tc_skip("a write through /proc/self/mem to a read-only "
		    "private mapping is refused here (%s: %s): forced writes "
		    "are disabled (proc_mem.force_override)", mc_errname(e),
		    strerror(e));
	ATF_REQUIRE_MSG(n == (ssize_t)sizeof(x), "pwrite(/proc/self/mem, %zu "
	    "bytes at the read-only mapping %p) = %zd: %s", sizeof(x),
	    (void *)p, n, n < 0 ? strerror(e) : "short");
	ATF_REQUIRE_MSG(mc_all_bytes(p, sizeof(x), 'X') &&
	    mc_count_not(p + sizeof(x), ps - sizeof(x), mc_pattern(0)) == 0,
	    "after the forced write the mapping should show it followed by the "
	    "file's bytes");
	require_file_intact(name, buf, "after one forced write");
	ATF_REQUIRE_MSG(madvise(p, ps, MADV_DONTNEED) == 0, "madvise: %s",
	    strerror(errno));
	ATF_REQUIRE_EQ_MSG(mc_count_not(p, ps, mc_pattern(0)), 0, "after "
	    "MADV_DONTNEED the mapping should read the file again");

	/* The race, bounded: RACE_MS. */
	atomic_store(&r.stop, 0);
	e = pthread_create(&tw, NULL, race_writer, &r);
	ATF_REQUIRE_MSG(e == 0, "pthread_create: %s", strerror(e));
	e = pthread_create(&td, NULL, race_dontneed, &r);
	if (e != 0) {
		atomic_store(&r.stop, 1);
		pthread_join(tw, NULL);
		ATF_REQUIRE_MSG(false, "pthread_create: %s", strerror(e));
	}
	mc_sleep_ms(RACE_MS);
	atomic_store(&r.stop, 1);
	ATF_REQUIRE(pthread_join(tw, NULL) == 0);
	ATF_REQUIRE(pthread_join(td, NULL) == 0);
	close(r.memfd);

	ATF_REQUIRE_MSG(r.write_errors == 0, "%lu of %lu forced writes "
	    "failed during the race (first: %s)", r.write_errors,
	    r.writes + r.write_errors, strerror(r.first_errno));
	ATF_REQUIRE_MSG(r.dontneed_errors == 0, "%lu MADV_DONTNEED calls "
	    "failed during the race", r.dontneed_errors);
	ATF_REQUIRE_MSG(r.writes > 0 && r.dontneeds > 0, "the race did not "
	    "run: %lu writes, %lu MADV_DONTNEED", r.writes, r.dontneeds);
	require_file_intact(name, buf, "after the race");
	/* The page cache page, as a mapping sees it. */
	ATF_REQUIRE_MSG(madvise(p, ps, MADV_DONTNEED) == 0, "madvise: %s",
	    strerror(errno));
	ATF_REQUIRE_EQ_MSG(mc_count_not(p, ps, mc_pattern(0)), 0, "after the "
	    "race and MADV_DONTNEED the private mapping reads %zu bytes that "
	    "are not the file's (the page cache was written)",
	    mc_count_not(p, ps, mc_pattern(0)));
	ATF_REQUIRE(munmap(p, ps) == 0);
	free(buf);
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, vmsplice_in_child_parent_writes);
	ATF_TP_ADD_TC(tp, vmsplice_in_child_parent_mprotect_writes);
	ATF_TP_ADD_TC(tp, vmsplice_in_child_parent_writes_thp);
	ATF_TP_ADD_TC(tp, vmsplice_before_fork_child_writes);
	ATF_TP_ADD_TC(tp, vmsplice_before_fork_parent_unmaps_child_writes);
	ATF_TP_ADD_TC(tp, vmsplice_before_fork_parent_unmaps_child_writes_thp);
	ATF_TP_ADD_TC(tp, vmsplice_after_fork_parent_unmaps_child_writes);
	ATF_TP_ADD_TC(tp, vmsplice_after_fork_parent_unmaps_child_writes_thp);
	ATF_TP_ADD_TC(tp, odirect_read_after_fork_lands_in_caller);
	ATF_TP_ADD_TC(tp, odirect_read_after_fork_lands_in_caller_thp);
	ATF_TP_ADD_TC(tp, dirtycow_proc_mem_race_never_reaches_file);
	return atf_no_error();
}
