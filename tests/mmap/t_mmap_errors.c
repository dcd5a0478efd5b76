/*
 * t_mmap_errors: every documented error of mmap(2) (Linux manual and POSIX):
 * EACCES, EAGAIN, EBADF, EEXIST, EINVAL, ENODEV, ENOMEM, EOVERFLOW, EPERM,
 * EOPNOTSUPP, and the fd that MAP_ANONYMOUS ignores.
 *
 * Cases that change process state (resource limits, capabilities, mount
 * namespaces, thousands of mappings) do it in a child, which reports what it
 * saw over the pipe; the parent asserts.
 */
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/utsname.h>

#include <linux/capability.h>
#include <linux/fs.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mc.h"
#include "mc_err.h"
#include "mc_proc.h"

#define RW (PROT_READ | PROT_WRITE)

/* ---- helpers ----------------------------------------------------------- */

/* ---- children: results ------------------------------------------------- */

/* What a child saw: a step that failed (0: none) and up to 6 values. */
struct cres {
	int32_t step;
	int32_t err;
	int64_t v[6];
};

/* ---- EACCES -------------------------------------------------------------- */

MC_TC(directory_fd_fails_enodev, "MMAPERR-1",
    "Mapping a non-regular file (a directory) fails: ENODEV (POSIX: file "
    "type not supported), or EACCES (the Linux manual's wording)")
{
	size_t ps = mc_pagesize();
	int fd = open(".", O_RDONLY | O_DIRECTORY);
	int e;

	ATF_REQUIRE_MSG(fd >= 0, "open(\".\", O_RDONLY): %s", strerror(errno));
	e = mc_mmap_errno(NULL, ps, PROT_READ, MAP_PRIVATE, fd, 0);
	ATF_REQUIRE_MSG(e == ENODEV || e == EACCES, "mmap(PROT_READ, "
	    "MAP_PRIVATE, directory fd): expected ENODEV or EACCES, got %d "
	    "(%s: %s)", e, mc_errname(e), strerror(e));
	e = mc_mmap_errno(NULL, ps, PROT_READ, MAP_SHARED, fd, 0);
	ATF_REQUIRE_MSG(e == ENODEV || e == EACCES, "mmap(PROT_READ, "
	    "MAP_SHARED, directory fd): expected ENODEV or EACCES, got %d "
	    "(%s: %s)", e, mc_errname(e), strerror(e));
	close(fd);
}

MC_TC(write_only_fd_eacces_whatever_prot, "MMAPERR-2",
    "A file mapping of a fd not open for reading (O_WRONLY) fails with "
    "EACCES, private or shared, whatever the protection (even PROT_NONE "
    "or PROT_WRITE)")
{
	size_t ps = mc_pagesize();
	int fd = mc_make_file("f", 1);
	int wfd = open("f", O_WRONLY);
	const int prots[] = { PROT_NONE, PROT_READ, PROT_WRITE, RW };
	const int types[] = { MAP_PRIVATE, MAP_SHARED };

	ATF_REQUIRE_MSG(wfd >= 0, "open(f, O_WRONLY): %s", strerror(errno));
	for (size_t i = 0; i < sizeof(prots) / sizeof(prots[0]); i++)
		for (size_t j = 0; j < 2; j++) {
			char what[96];

			snprintf(what, sizeof(what), "mmap(prot %#x, %s, "
			    "O_WRONLY fd)", prots[i], types[j] == MAP_SHARED ?
			    "MAP_SHARED" : "MAP_PRIVATE");
			mc_require_mmap_fails(mmap(NULL, ps, prots[i], types[j],
			    wfd, 0), ps, EACCES, what);
		}
	close(wfd);
	close(fd);
}

MC_TC(read_only_fd_shared_write_eacces, "MMAPERR-3",
    "MAP_SHARED with PROT_WRITE on a fd open O_RDONLY fails with EACCES; "
    "the same fd maps shared read-only")
{
	size_t ps = mc_pagesize();
	int fd = mc_make_file("f", 1);
	int rfd = open("f", O_RDONLY);
	unsigned char *p;

	ATF_REQUIRE_MSG(rfd >= 0, "open(f, O_RDONLY): %s", strerror(errno));
	mc_require_mmap_fails(mmap(NULL, ps, RW, MAP_SHARED, rfd, 0), ps,
	    EACCES, "mmap(PROT_READ|PROT_WRITE, MAP_SHARED, O_RDONLY fd)");
	mc_require_mmap_fails(mmap(NULL, ps, PROT_WRITE, MAP_SHARED, rfd, 0),
	    ps, EACCES, "mmap(PROT_WRITE, MAP_SHARED, O_RDONLY fd)");
	p = mc_require_mmap_ok(mmap(NULL, ps, PROT_READ, MAP_SHARED, rfd, 0),
	    "mmap(PROT_READ, MAP_SHARED, O_RDONLY fd)");
	mc_require_readable(p, ps, "the shared read-only mapping");
	ATF_REQUIRE_MSG(p[0] == mc_pattern(0), "shared read-only mapping: "
	    "expected '%c', read %#x", mc_pattern(0), p[0]);
	ATF_REQUIRE(munmap(p, ps) == 0);
	close(rfd);
	close(fd);
}

MC_TC(read_only_fd_private_write_allowed, "MMAPERR-4",
    "MAP_PRIVATE with PROT_WRITE on a fd open O_RDONLY succeeds: the "
    "mapping is writable and the file is not written")
{
	size_t ps = mc_pagesize();
	int fd = mc_make_file("f", 1);
	int rfd = open("f", O_RDONLY);
	unsigned char *p, b;

	ATF_REQUIRE_MSG(rfd >= 0, "open(f, O_RDONLY): %s", strerror(errno));
	p = mc_require_mmap_ok(mmap(NULL, ps, RW, MAP_PRIVATE, rfd, 0),
	    "mmap(PROT_READ|PROT_WRITE, MAP_PRIVATE, O_RDONLY fd)");
	MC_REQUIRE_NO_FAULT(p, MC_WRITE);
	ATF_REQUIRE_MSG(p[0] == 0xA5, "write through the private mapping not "
	    "seen: %#x", p[0]);
	mc_pread_all(fd, &b, 1, 0);
	ATF_REQUIRE_MSG(b == mc_pattern(0), "the file changed after a write "
	    "to a private mapping: %#x, expected '%c'", b, mc_pattern(0));
	ATF_REQUIRE(munmap(p, ps) == 0);
	close(rfd);
	close(fd);
}

/* The cleanup of append_only_file_shared_eacces: the flag off file "a". */
static void
clear_append_flag(void)
{
	int fd = open("a", O_RDONLY);
	int fl = 0;

	if (fd < 0)
		return;
	if (ioctl(fd, FS_IOC_GETFLAGS, &fl) == 0 && (fl & FS_APPEND_FL)) {
		fl &= ~FS_APPEND_FL;
		(void)ioctl(fd, FS_IOC_SETFLAGS, &fl);
	}
	close(fd);
}

MC_TC_CLEANUP(append_only_file_shared_eacces, "MMAPERR-5",
    "A file with the append-only attribute (chattr +a) cannot be mapped "
    "shared through a fd open for writing (EACCES, even PROT_READ); a "
    "private mapping works", clear_append_flag)
{
	size_t ps = mc_pagesize();
	int fd = mc_make_file("a", 1);
	int fl = 0, afd, e_rw, e_r, e_priv;
	void *p;

	(void)tc;
	if (ioctl(fd, FS_IOC_GETFLAGS, &fl) != 0) {
		int e = errno;
		close(fd);
		if (e == ENOTTY || e == EOPNOTSUPP || e == EINVAL)
			atf_tc_skip("the work directory's file system has no "
			    "inode flags (FS_IOC_GETFLAGS: %s)", strerror(e));
		ATF_REQUIRE_MSG(false, "FS_IOC_GETFLAGS: %s", strerror(e));
	}
	fl |= FS_APPEND_FL;
	if (ioctl(fd, FS_IOC_SETFLAGS, &fl) != 0) {
		int e = errno;
		close(fd);
		if (e == EPERM)
			atf_tc_skip("setting the append-only attribute needs "
			    "CAP_LINUX_IMMUTABLE (FS_IOC_SETFLAGS: EPERM)");
		if (e == ENOTTY || e == EOPNOTSUPP || e == EINVAL)
			atf_tc_skip("the work directory's file system cannot "
			    "set the append-only attribute (%s)", strerror(e));
		ATF_REQUIRE_MSG(false, "FS_IOC_SETFLAGS(FS_APPEND_FL): %s",
		    strerror(e));
	}
	close(fd);
	/* An append-only file opens for writing only with O_APPEND. */
	afd = open("a", O_RDWR | O_APPEND);
	e_rw = afd < 0 ? -1 : mc_mmap_errno(NULL, ps, RW, MAP_SHARED, afd, 0);
	e_r = afd < 0 ? -1 : mc_mmap_errno(NULL, ps, PROT_READ, MAP_SHARED,
	    afd, 0);
	p = afd < 0 ? MAP_FAILED : mmap(NULL, ps, RW, MAP_PRIVATE, afd, 0);
	e_priv = p == MAP_FAILED ? errno : 0;
	if (p != MAP_FAILED)
		munmap(p, ps);
	if (afd >= 0)
		close(afd);
	/* Assert only after the attribute is gone again. */
	clear_append_flag();
	ATF_REQUIRE_MSG(afd >= 0, "open(append-only file, O_RDWR|O_APPEND): "
	    "%s", strerror(errno));
	ATF_REQUIRE_MSG(e_rw == EACCES, "mmap(PROT_READ|PROT_WRITE, "
	    "MAP_SHARED) of an append-only file: expected EACCES, got %d "
	    "(%s)", e_rw, mc_errname(e_rw));
	ATF_REQUIRE_MSG(e_r == EACCES, "mmap(PROT_READ, MAP_SHARED, fd open "
	    "for writing) of an append-only file: expected EACCES, got %d "
	    "(%s)", e_r, mc_errname(e_r));
	ATF_REQUIRE_MSG(e_priv == 0, "mmap(PROT_READ|PROT_WRITE, MAP_PRIVATE) "
	    "of an append-only file: expected success, got %d (%s)", e_priv,
	    mc_errname(e_priv));
}
MC_TC(o_append_fd_is_not_append_only, "MMAPERR-6",
    "O_APPEND is not the append-only attribute: MAP_SHARED|PROT_WRITE on "
    "an O_RDWR|O_APPEND fd of a normal file succeeds and writes reach the "
    "file")
{
	size_t ps = mc_pagesize();
	int fd = mc_make_file("f", 1);
	int afd = open("f", O_RDWR | O_APPEND);
	unsigned char *p, b;

	ATF_REQUIRE_MSG(afd >= 0, "open(f, O_RDWR|O_APPEND): %s",
	    strerror(errno));
	p = mc_require_mmap_ok(mmap(NULL, ps, RW, MAP_SHARED, afd, 0),
	    "mmap(PROT_READ|PROT_WRITE, MAP_SHARED, O_RDWR|O_APPEND fd)");
	MC_REQUIRE_NO_FAULT(p + 7, MC_WRITE);
	p[7] = 'q';
	mc_pread_all(fd, &b, 1, 7);
	ATF_REQUIRE_MSG(b == 'q', "write through a shared mapping of an "
	    "O_APPEND fd: pread sees %#x, expected 'q'", b);
	ATF_REQUIRE(munmap(p, ps) == 0);
	close(afd);
	close(fd);
}

/* ---- EAGAIN: RLIMIT_MEMLOCK with MAP_LOCKED ----------------------------- */

static int
child_memlock(struct mc_child *self, void *arg)
{
	size_t ps = (size_t)sysconf(_SC_PAGESIZE);
	struct cres r = { 0 };
	struct rlimit rl;
	void *p;

	(void)arg;
	r.err = mc_cap_drop(CAP_IPC_LOCK);
	r.v[0] = mc_cap_is_effective(CAP_IPC_LOCK);
	if (getrlimit(RLIMIT_MEMLOCK, &rl) != 0) {
		r.step = 1;
		r.err = errno;
		mc_send(self, &r, sizeof(r));
		return 0;
	}
	if (rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur > ps)
		rl.rlim_cur = rl.rlim_max != RLIM_INFINITY &&
		    rl.rlim_max < ps ? rl.rlim_max : ps;
	if (setrlimit(RLIMIT_MEMLOCK, &rl) != 0) {
		r.step = 2;
		r.err = errno;
		mc_send(self, &r, sizeof(r));
		return 0;
	}
	r.v[1] = (int64_t)rl.rlim_cur;
	/* Above the limit: two pages where at most one may be locked. */
	p = mmap(NULL, 2 * ps, RW, MAP_PRIVATE | MAP_ANONYMOUS | MAP_LOCKED,
	    -1, 0);
	r.v[2] = p == MAP_FAILED ? errno : 0;
	if (p != MAP_FAILED)
		munmap(p, 2 * ps);
	/* Within the limit: one page. */
	r.v[3] = -1;
	if (rl.rlim_cur >= ps) {
		p = mmap(NULL, ps, RW, MAP_PRIVATE | MAP_ANONYMOUS |
		    MAP_LOCKED, -1, 0);
		r.v[3] = p == MAP_FAILED ? errno : 0;
		if (p != MAP_FAILED)
			munmap(p, ps);
	}
	mc_send(self, &r, sizeof(r));
	return 0;
}

MC_TC(map_locked_above_memlock_limit_eagain, "MMAPERR-7",
    "Without CAP_IPC_LOCK, MAP_LOCKED of more than RLIMIT_MEMLOCK fails "
    "with EAGAIN, while a mapping within the limit succeeds")
{
	struct mc_child ch;
	struct cres r;

	mc_spawn(&ch, child_memlock, NULL);
	mc_expect_last(&ch, &r, sizeof(r), "RLIMIT_MEMLOCK report");
	ATF_REQUIRE_MSG(r.step == 0, "child: %s failed: %s", r.step == 1 ?
	    "getrlimit(RLIMIT_MEMLOCK)" : "setrlimit(RLIMIT_MEMLOCK)",
	    strerror(r.err));
	if (r.v[0] != 0)
		atf_tc_skip("cannot drop CAP_IPC_LOCK (capset: %s; capget "
		    "says %s): privileged processes are exempt from "
		    "RLIMIT_MEMLOCK", strerror(r.err), r.v[0] < 0 ?
		    "nothing" : "still effective");
	if (r.v[1] == 0)
		atf_tc_skip("the hard RLIMIT_MEMLOCK is 0: without "
		    "CAP_IPC_LOCK a zero limit refuses every lock with EPERM "
		    "(mlock(2)); the EAGAIN of a limit exceeded needs a limit "
		    "of at least one byte");
	ATF_REQUIRE_MSG(r.v[2] == EAGAIN, "mmap(MAP_LOCKED, 2 pages) with "
	    "RLIMIT_MEMLOCK %jd bytes and no CAP_IPC_LOCK: expected EAGAIN, "
	    "got %jd (%s)", (intmax_t)r.v[1], (intmax_t)r.v[2],
	    mc_errname((int)r.v[2]));
	if (r.v[3] >= 0)
		ATF_REQUIRE_MSG(r.v[3] == 0, "mmap(MAP_LOCKED, 1 page) within "
		    "RLIMIT_MEMLOCK %jd bytes: expected success, got %jd (%s)",
		    (intmax_t)r.v[1], (intmax_t)r.v[3],
		    mc_errname((int)r.v[3]));
}

/* ---- EBADF -------------------------------------------------------------- */

MC_TC(no_valid_fd_without_anonymous_ebadf, "MMAPERR-8",
    "Without MAP_ANONYMOUS, fd -1, a closed fd and an O_PATH fd (no file "
    "access) fail with EBADF")
{
	size_t ps = mc_pagesize();
	int fd = mc_make_file("f", 1);
	int closed = dup(fd);
	int pfd = open("f", O_PATH);

	ATF_REQUIRE_MSG(closed >= 0 && close(closed) == 0, "dup/close: %s",
	    strerror(errno));
	mc_require_mmap_fails(mmap(NULL, ps, PROT_READ, MAP_PRIVATE, -1, 0), ps,
	    EBADF, "mmap(MAP_PRIVATE, fd -1)");
	mc_require_mmap_fails(mmap(NULL, ps, PROT_READ, MAP_SHARED, closed, 0),
	    ps, EBADF, "mmap(MAP_SHARED, closed fd)");
	if (pfd < 0 && (errno == EINVAL || errno == EOPNOTSUPP))
		atf_tc_skip("O_PATH not supported here (%s); fd -1 and closed "
		    "fd gave EBADF", strerror(errno));
	ATF_REQUIRE_MSG(pfd >= 0, "open(f, O_PATH): %s", strerror(errno));
	mc_require_mmap_fails(mmap(NULL, ps, PROT_READ, MAP_PRIVATE, pfd, 0),
	    ps, EBADF, "mmap(MAP_PRIVATE, O_PATH fd)");
	close(pfd);
	close(fd);
}

/* ---- EEXIST: MAP_FIXED_NOREPLACE ---------------------------------------- */

MC_TC(fixed_noreplace_over_mapping_eexist, "MMAPERR-9",
    "MAP_FIXED_NOREPLACE over an existing mapping fails with EEXIST and "
    "leaves that mapping and its contents untouched")
{
#ifndef MAP_FIXED_NOREPLACE
	atf_tc_skip("MAP_FIXED_NOREPLACE not defined by the C library");
#else
	size_t ps = mc_pagesize();
	unsigned char *a;
	char before[1024], after[1024];

	mc_require_fixed_noreplace();
	a = mc_map_anon(2 * ps, RW, MAP_SHARED);
	memset(a, 'e', 2 * ps);
	ATF_REQUIRE(mc_maps_line(a, before, sizeof(before)));
	mc_require_mmap_fails(mmap(a, 2 * ps, RW, MAP_PRIVATE | MAP_ANONYMOUS |
	    MAP_FIXED_NOREPLACE, -1, 0), 2 * ps, EEXIST,
	    "mmap(MAP_FIXED_NOREPLACE, exactly over a 2-page mapping)");
	mc_require_mmap_fails(mmap(a + ps, ps, RW, MAP_PRIVATE | MAP_ANONYMOUS |
	    MAP_FIXED_NOREPLACE, -1, 0), ps, EEXIST,
	    "mmap(MAP_FIXED_NOREPLACE, over the second page of a mapping)");
	mc_require_readable(a, 2 * ps, "the existing mapping after the failed "
	    "MAP_FIXED_NOREPLACE calls");
	ATF_REQUIRE_MSG(mc_all_bytes(a, 2 * ps, 'e'), "the existing mapping's "
	    "contents changed after a failed MAP_FIXED_NOREPLACE");
	ATF_REQUIRE(mc_maps_line(a, after, sizeof(after)));
	ATF_REQUIRE_MSG(strcmp(before, after) == 0, "the existing mapping "
	    "changed in /proc/self/maps: '%s' -> '%s'", before, after);
	ATF_REQUIRE(munmap(a, 2 * ps) == 0);
#endif
}

MC_TC(fixed_noreplace_partial_overlap_eexist, "MMAPERR-10",
    "MAP_FIXED_NOREPLACE over a range that is partly free and partly "
    "mapped fails with EEXIST and maps nothing in the free part")
{
#ifndef MAP_FIXED_NOREPLACE
	atf_tc_skip("MAP_FIXED_NOREPLACE not defined by the C library");
#else
	size_t ps = mc_pagesize();
	unsigned char *h, *m;

	mc_require_fixed_noreplace();
	/* [h, h+2ps) free, then a mapping at h+2ps, then free again. */
	h = mc_free_hole(5);
	m = mc_require_mmap_ok(mmap(h + 2 * ps, ps, RW, MAP_SHARED |
	    MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0), "mmap(1 page in the "
	    "middle of a free range)");
	ATF_REQUIRE_EQ(m, h + 2 * ps);
	memset(m, 'm', ps);
	/* Starts in the hole, ends in the mapping. */
	mc_require_mmap_fails(mmap(h + ps, 2 * ps, RW, MAP_PRIVATE |
	    MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0), 2 * ps, EEXIST,
	    "mmap(MAP_FIXED_NOREPLACE, 1 free page + 1 mapped page)");
	/* Starts in the mapping, ends in the hole. */
	mc_require_mmap_fails(mmap(m, 2 * ps, RW, MAP_PRIVATE | MAP_ANONYMOUS |
	    MAP_FIXED_NOREPLACE, -1, 0), 2 * ps, EEXIST,
	    "mmap(MAP_FIXED_NOREPLACE, 1 mapped page + 1 free page)");
	/* Covers the whole mapping and free pages on both sides. */
	mc_require_mmap_fails(mmap(h, 5 * ps, RW, MAP_PRIVATE | MAP_ANONYMOUS |
	    MAP_FIXED_NOREPLACE, -1, 0), 5 * ps, EEXIST,
	    "mmap(MAP_FIXED_NOREPLACE, free pages around a mapping)");
	MC_REQUIRE_FAULT(h + ps, MC_READ, SIGSEGV, SEGV_MAPERR);
	MC_REQUIRE_FAULT(h + 3 * ps, MC_READ, SIGSEGV, SEGV_MAPERR);
	mc_require_readable(m, ps, "the existing mapping after the failed "
	    "MAP_FIXED_NOREPLACE calls");
	ATF_REQUIRE_MSG(mc_all_bytes(m, ps, 'm'), "the existing mapping's "
	    "contents changed");
	ATF_REQUIRE(munmap(m, ps) == 0);
#endif
}

/* ---- EINVAL ------------------------------------------------------------- */

MC_TC(fixed_unaligned_addr_einval, "MMAPERR-11",
    "MAP_FIXED (and MAP_FIXED_NOREPLACE) with an addr that is not "
    "page-aligned fails with EINVAL and leaves the mapping there intact")
{
	size_t ps = mc_pagesize();
	unsigned char *a = mc_map_anon(2 * ps, RW, MAP_PRIVATE);
	const size_t offs[] = { 1, ps / 2, ps - 1 };

	memset(a, 'u', 2 * ps);
	for (size_t i = 0; i < sizeof(offs) / sizeof(offs[0]); i++) {
		char what[96];

		snprintf(what, sizeof(what), "mmap(MAP_FIXED, addr page + %zu, "
		    "page size %zu)", offs[i], ps);
		mc_require_mmap_fails(mmap(a + offs[i], ps, RW, MAP_PRIVATE |
		    MAP_ANONYMOUS | MAP_FIXED, -1, 0), ps, EINVAL, what);
	}
	mc_require_readable(a, 2 * ps, "the mapping after the failed "
	    "MAP_FIXED calls");
	ATF_REQUIRE_MSG(mc_all_bytes(a, 2 * ps, 'u'), "a failed MAP_FIXED "
	    "changed the mapping at addr");
	ATF_REQUIRE(munmap(a, 2 * ps) == 0);
	{
		char why[160];

		if (mc_fixed_noreplace_missing(why, sizeof(why)) != NULL)
			atf_tc_skip("MAP_FIXED with an unaligned addr fails "
			    "with EINVAL (proved); MAP_FIXED_NOREPLACE cannot "
			    "be: %s", why);
	}
#ifdef MAP_FIXED_NOREPLACE
	{
		unsigned char *h = mc_free_hole(2);

		mc_require_mmap_fails(mmap(h + 1, ps, RW, MAP_PRIVATE |
		    MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0), ps, EINVAL,
		    "mmap(MAP_FIXED_NOREPLACE, unaligned addr in a free range)");
	}
#endif
}

/* MMAPERR-12 through one route (libc's mmap or the bare syscall). */
static void
fixed_unaligned_offset_einval(mc_mmap_fn map, const char *via)
{
	size_t ps = mc_pagesize();
	int fd = mc_make_file("f", 3);
	unsigned char *a = mc_map_anon(2 * ps, RW, MAP_PRIVATE);
	const off_t offs[] = { 1, (off_t)ps / 2, (off_t)ps + 1 };

	memset(a, 'o', 2 * ps);
	for (size_t i = 0; i < sizeof(offs) / sizeof(offs[0]); i++) {
		char what[112];

		snprintf(what, sizeof(what), "%s(MAP_FIXED over a mapping, "
		    "file offset %jd)", via, (intmax_t)offs[i]);
		mc_require_mmap_fails(map(a, ps, PROT_READ, MAP_PRIVATE |
		    MAP_FIXED, fd, offs[i]), ps, EINVAL, what);
		mc_require_mmap_fails(map(a, ps, RW, MAP_SHARED | MAP_FIXED,
		    fd, offs[i]), ps, EINVAL, what);
	}
	mc_require_readable(a, 2 * ps, "the mapping after the failed "
	    "MAP_FIXED calls");
	ATF_REQUIRE_MSG(mc_all_bytes(a, 2 * ps, 'o'), "a failed MAP_FIXED "
	    "(bad offset, via %s) replaced the mapping at addr", via);
	ATF_REQUIRE(munmap(a, 2 * ps) == 0);
	close(fd);
}

MC_TC(fixed_unaligned_offset_einval_keeps_mapping, "MMAPERR-12",
    "A file offset that is not page-aligned fails with EINVAL even with "
    "MAP_FIXED, before anything at addr is replaced")
{
	fixed_unaligned_offset_einval(mmap, "mmap");
}

MC_TC(fixed_unaligned_offset_einval_from_kernel, "MMAPERR-12",
    "The kernel itself (mmap called without libc, whose wrapper checks the "
    "offset first) rejects an unaligned file offset with MAP_FIXED, and "
    "leaves the mapping at addr in place")
{
	fixed_unaligned_offset_einval(mc_sys_mmap, "syscall(SYS_mmap)");
}

MC_TC(zero_length_einval_every_kind, "MMAPERR-13",
    "Length 0 fails with EINVAL for private and shared, anonymous and file "
    "mappings, and with MAP_FIXED (the mapping at addr stays)")
{
	size_t ps = mc_pagesize();
	int fd = mc_make_file("f", 1);
	unsigned char *a = mc_map_anon(ps, RW, MAP_PRIVATE);

	a[0] = 'z';
	mc_require_mmap_fails(mmap(NULL, 0, RW, MAP_PRIVATE | MAP_ANONYMOUS, -1,
	    0), 0, EINVAL, "mmap(length 0, MAP_PRIVATE|MAP_ANONYMOUS)");
	mc_require_mmap_fails(mmap(NULL, 0, RW, MAP_SHARED | MAP_ANONYMOUS, -1,
	    0), 0, EINVAL, "mmap(length 0, MAP_SHARED|MAP_ANONYMOUS)");
	mc_require_mmap_fails(mmap(NULL, 0, PROT_READ, MAP_PRIVATE, fd, 0), 0,
	    EINVAL, "mmap(length 0, MAP_PRIVATE, file)");
	mc_require_mmap_fails(mmap(NULL, 0, RW, MAP_SHARED, fd, 0), 0, EINVAL,
	    "mmap(length 0, MAP_SHARED, file)");
	mc_require_mmap_fails(mmap(a, 0, RW, MAP_PRIVATE | MAP_ANONYMOUS |
	    MAP_FIXED, -1, 0), 0, EINVAL, "mmap(length 0, MAP_FIXED over a "
	    "mapping)");
	mc_require_readable(a, ps, "the mapping after the failed calls");
	ATF_REQUIRE_MSG(a[0] == 'z', "the mapping at addr changed after a "
	    "failed zero-length MAP_FIXED");
	ATF_REQUIRE(munmap(a, ps) == 0);
	close(fd);
}

MC_TC(no_mapping_type_einval, "MMAPERR-14",
    "flags with none of MAP_SHARED, MAP_PRIVATE, MAP_SHARED_VALIDATE fail "
    "with EINVAL, for anonymous and file mappings, also with MAP_FIXED")
{
	size_t ps = mc_pagesize();
	int fd = mc_make_file("f", 1);
	unsigned char *a = mc_map_anon(ps, RW, MAP_PRIVATE);

	a[0] = 't';
	mc_require_mmap_fails(mmap(NULL, ps, RW, MAP_ANONYMOUS, -1, 0), ps,
	    EINVAL, "mmap(MAP_ANONYMOUS only)");
	mc_require_mmap_fails(mmap(NULL, ps, PROT_READ, 0, fd, 0), ps, EINVAL,
	    "mmap(flags 0, file)");
	mc_require_mmap_fails(mmap(a, ps, RW, MAP_ANONYMOUS | MAP_FIXED, -1, 0),
	    ps, EINVAL, "mmap(MAP_ANONYMOUS|MAP_FIXED over a mapping)");
	mc_require_readable(a, ps, "the mapping after the failed calls");
	ATF_REQUIRE_MSG(a[0] == 't', "the mapping at addr changed after a "
	    "failed MAP_FIXED without a mapping type");
	ATF_REQUIRE(munmap(a, ps) == 0);
	close(fd);
}

MC_TC(shared_and_private_is_shared_validate, "MMAPERR-15",
    "MAP_SHARED|MAP_PRIVATE is not rejected as 'both': its value is "
    "MAP_SHARED_VALIDATE, which maps a file shared (writes reach the file) "
    "and is refused (EINVAL) for anonymous memory")
{
	size_t ps = mc_pagesize();
	int fd = mc_make_file("f", 1);
	unsigned char *p, b;

#ifdef MAP_SHARED_VALIDATE
	if ((MAP_SHARED | MAP_PRIVATE) != MAP_SHARED_VALIDATE)
		atf_tc_skip("MAP_SHARED|MAP_PRIVATE (%#x) differs from "
		    "MAP_SHARED_VALIDATE (%#x) on this ABI",
		    MAP_SHARED | MAP_PRIVATE, MAP_SHARED_VALIDATE);
#endif
	p = mmap(NULL, ps, RW, MAP_SHARED | MAP_PRIVATE, fd, 0);
	if (p == MAP_FAILED && errno == EINVAL)
		mc_skip_unsupported("MAP_SHARED_VALIDATE "
		    "(mmap(MAP_SHARED|MAP_PRIVATE) of a file)", EINVAL);
	mc_require_mmap_ok(p, "mmap(MAP_SHARED|MAP_PRIVATE, file)");
	MC_REQUIRE_NO_FAULT(p + 5, MC_WRITE);
	p[5] = 'v';
	mc_pread_all(fd, &b, 1, 5);
	ATF_REQUIRE_MSG(b == 'v', "mmap(MAP_SHARED|MAP_PRIVATE, file): a write "
	    "did not reach the file (pread sees %#x): not a shared mapping", b);
	ATF_REQUIRE(munmap(p, ps) == 0);
	mc_require_mmap_fails(mmap(NULL, ps, RW, MAP_SHARED | MAP_PRIVATE |
	    MAP_ANONYMOUS, -1, 0), ps, EINVAL,
	    "mmap(MAP_SHARED|MAP_PRIVATE|MAP_ANONYMOUS)");
	close(fd);
}

/* ---- ENODEV ------------------------------------------------------------- */

MC_TC(pipe_enodev, "MMAPERR-16",
    "Mapping either end of a pipe fails with ENODEV")
{
	size_t ps = mc_pagesize();
	int pfd[2];

	ATF_REQUIRE_MSG(pipe(pfd) == 0, "pipe: %s", strerror(errno));
	mc_require_mmap_fails(mmap(NULL, ps, PROT_READ, MAP_PRIVATE, pfd[0], 0),
	    ps, ENODEV, "mmap(MAP_PRIVATE, pipe read end)");
	mc_require_mmap_fails(mmap(NULL, ps, PROT_READ, MAP_SHARED, pfd[0], 0),
	    ps, ENODEV, "mmap(MAP_SHARED, pipe read end)");
	/* The write end is not open for reading: EACCES comes first. */
	{
		int e = mc_mmap_errno(NULL, ps, PROT_READ, MAP_PRIVATE,
		    pfd[1], 0);
		ATF_REQUIRE_MSG(e == ENODEV || e == EACCES, "mmap(pipe write "
		    "end): expected ENODEV (or EACCES: not open for reading), "
		    "got %d (%s)", e, mc_errname(e));
	}
	close(pfd[0]);
	close(pfd[1]);
}

MC_TC(socket_enodev, "MMAPERR-17",
    "Mapping a socket (AF_UNIX stream and datagram) fails with ENODEV")
{
	size_t ps = mc_pagesize();
	int sv[2], d;

	ATF_REQUIRE_MSG(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0,
	    "socketpair: %s", strerror(errno));
	d = socket(AF_UNIX, SOCK_DGRAM, 0);
	ATF_REQUIRE_MSG(d >= 0, "socket(AF_UNIX, SOCK_DGRAM): %s",
	    strerror(errno));
	mc_require_mmap_fails(mmap(NULL, ps, PROT_READ, MAP_PRIVATE, sv[0], 0),
	    ps, ENODEV, "mmap(MAP_PRIVATE, AF_UNIX stream socket)");
	mc_require_mmap_fails(mmap(NULL, ps, RW, MAP_SHARED, sv[1], 0), ps,
	    ENODEV, "mmap(MAP_SHARED, AF_UNIX stream socket)");
	mc_require_mmap_fails(mmap(NULL, ps, PROT_READ, MAP_PRIVATE, d, 0), ps,
	    ENODEV, "mmap(MAP_PRIVATE, AF_UNIX datagram socket)");
	close(sv[0]);
	close(sv[1]);
	close(d);
}

MC_TC(file_without_mmap_enodev, "MMAPERR-18",
    "A file whose file system or driver has no mmap operation (procfs "
    "/proc/self/status, /dev/null) fails with ENODEV")
{
	size_t ps = mc_pagesize();
	int fd = open("/proc/self/status", O_RDONLY);
	int nfd;

	if (fd < 0)
		atf_tc_skip("/proc/self/status not available (%s)",
		    strerror(errno));
	mc_require_mmap_fails(mmap(NULL, ps, PROT_READ, MAP_PRIVATE, fd, 0), ps,
	    ENODEV, "mmap(MAP_PRIVATE, /proc/self/status)");
	mc_require_mmap_fails(mmap(NULL, ps, PROT_READ, MAP_SHARED, fd, 0), ps,
	    ENODEV, "mmap(MAP_SHARED, /proc/self/status)");
	close(fd);
	nfd = open("/dev/null", O_RDWR);
	ATF_REQUIRE_MSG(nfd >= 0, "open(/dev/null): %s", strerror(errno));
	mc_require_mmap_fails(mmap(NULL, ps, PROT_READ, MAP_PRIVATE, nfd, 0),
	    ps, ENODEV, "mmap(MAP_PRIVATE, /dev/null)");
	close(nfd);
}

/* ---- ENOMEM ------------------------------------------------------------- */

static int
child_rlimit(struct mc_child *self, void *arg)
{
	int res = *(int *)arg;
	size_t ps = (size_t)sysconf(_SC_PAGESIZE);
	struct cres r = { 0 };
	struct rlimit old, rl;
	int fd = open("rlimit.dat", O_RDWR | O_CREAT | O_TRUNC, 0600);

	if (fd < 0 || ftruncate(fd, (off_t)(4 * ps)) != 0) {
		r.step = 4;
		r.err = errno;
		mc_send(self, &r, sizeof(r));
		return 0;
	}
	if (getrlimit(res, &old) != 0) {
		r.step = 1;
		r.err = errno;
		mc_send(self, &r, sizeof(r));
		return 0;
	}
	rl = old;
	rl.rlim_cur = ps; /* lowering the soft limit is always allowed */
	if (setrlimit(res, &rl) != 0) {
		r.step = 2;
		r.err = errno;
		mc_send(self, &r, sizeof(r));
		return 0;
	}
	r.v[0] = mc_mmap_errno(NULL, 4 * ps, RW, MAP_PRIVATE | MAP_ANONYMOUS,
	    -1, 0);
	r.v[1] = mc_mmap_errno(NULL, 4 * ps, PROT_READ, MAP_PRIVATE |
	    MAP_ANONYMOUS, -1, 0);
	r.v[2] = mc_mmap_errno(NULL, 4 * ps, RW, MAP_SHARED | MAP_ANONYMOUS,
	    -1, 0);
	r.v[4] = mc_mmap_errno(NULL, 4 * ps, RW, MAP_SHARED, fd, 0);
	r.v[5] = mc_mmap_errno(NULL, 4 * ps, RW, MAP_PRIVATE, fd, 0);
	if (setrlimit(res, &old) != 0) {
		r.step = 3;
		r.err = errno;
		mc_send(self, &r, sizeof(r));
		return 0;
	}
	r.v[3] = mc_mmap_errno(NULL, 4 * ps, RW, MAP_PRIVATE | MAP_ANONYMOUS,
	    -1, 0);
	mc_send(self, &r, sizeof(r));
	return 0;
}

static void
run_rlimit_child(int res, struct cres *r)
{
	struct mc_child ch;
	static const char *steps[] = { "", "getrlimit", "setrlimit(lower)",
	    "setrlimit(restore)", "creating a 4-page file" };

	mc_spawn(&ch, child_rlimit, &res);
	mc_expect_last(&ch, r, sizeof(*r), "rlimit report");
	ATF_REQUIRE_MSG(r->step == 0, "child: %s failed: %s",
	    steps[r->step >= 0 && r->step <= 4 ? r->step : 0],
	    strerror(r->err));
}

/* What the rlimit child mapped, by index of its cres.v. */
static const char *const rlimit_maps[6] = {
	"private writable anonymous", "private read-only anonymous",
	"shared writable anonymous",
	"private writable anonymous, once the limit is restored",
	"shared writable file", "private writable file" };

/*
 * Each of the child's mmap results (errno, 0 for success) against want;
 * hint is added to a message that expected an error.
 */
static void
require_rlimit_results(const struct cres *r, const char *limit,
    const int want[6], const char *hint)
{
	for (int i = 0; i < 6; i++)
		ATF_REQUIRE_MSG(r->v[i] == want[i], "%s lowered to one page: "
		    "mmap(%s): expected %s, got %jd (%s)%s", limit,
		    rlimit_maps[i], want[i] ? mc_errname(want[i]) : "success",
		    (intmax_t)r->v[i], mc_errname((int)r->v[i]),
		    want[i] ? hint : "");
}

MC_TC(rlimit_as_exceeded_enomem, "MMAPERR-19",
    "A mapping that would take the address space above RLIMIT_AS fails "
    "with ENOMEM whatever its kind (private writable and read-only, shared "
    "anonymous, shared and private file); it succeeds again once the limit "
    "is raised back")
{
	static const int want[6] = { ENOMEM, ENOMEM, ENOMEM, 0, ENOMEM,
	    ENOMEM };
	struct cres r;

	run_rlimit_child(RLIMIT_AS, &r);
	require_rlimit_results(&r, "RLIMIT_AS", want, "");
}

MC_TC(rlimit_data_exceeded_enomem, "MMAPERR-20",
    "Since Linux 4.7 a private writable mapping (anonymous or of a file) "
    "that would exceed RLIMIT_DATA fails with ENOMEM; read-only and shared "
    "mappings are not data and are not limited")
{
	/* private writable (anonymous or file) is data; the rest is not */
	static const int want[6] = { ENOMEM, 0, 0, 0, 0, ENOMEM };
	struct cres r;

	run_rlimit_child(RLIMIT_DATA, &r);
	require_rlimit_results(&r, "RLIMIT_DATA", want, " (a kernel booted "
	    "with ignore_rlimit_data only warns)");
}

/* Above this, exhausting vm.max_map_count takes too long to be a case. */
#define MAX_MAP_COUNT_BOUND 262144UL

static int
child_map_count(struct mc_child *self, void *arg)
{
	unsigned long max = *(unsigned long *)arg;
	size_t ps = (size_t)sysconf(_SC_PAGESIZE);
	size_t pages = max + 64, splits = 0, i;
	struct cres r = { 0 };
	unsigned char *base;
	unsigned char v;
	int e = 0;

	/*
	 * One PROT_NONE reservation; making every other page readable
	 * splits it in two more mappings each time (neighbours differ in
	 * protection, so nothing merges) until the kernel refuses.
	 */
	base = mmap(NULL, pages * ps, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS |
	    MAP_NORESERVE, -1, 0);
	if (base == MAP_FAILED) {
		r.step = 1;
		r.err = errno;
		mc_send(self, &r, sizeof(r));
		return 0;
	}
	for (i = 1; i + 1 < pages; i += 2) {
		if (mprotect(base + i * ps, ps, PROT_READ) != 0) {
			e = errno;
			break;
		}
		splits++;
	}
	r.v[0] = (int64_t)splits;
	r.v[1] = e;
	/*
	 * New mappings that cannot merge with anything (each shared
	 * anonymous mapping is its own object): at most a few more fit.
	 */
	r.v[2] = 0;
	r.v[3] = 0;
	for (int k = 0; k < 4; k++) {
		void *p = mmap(NULL, ps, RW, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
		if (p == MAP_FAILED) {
			r.v[3] = errno;
			break;
		}
		r.v[2]++;
	}
	/*
	 * At the limit, munmap of a page inside the PROT_NONE rest of the
	 * reservation (pages i.. are one mapping) would leave one mapping
	 * more: v[4] its errno (0: it succeeded), v[5] whether the page is
	 * still mapped afterwards (mincore works on any mapped page).
	 */
	r.v[4] = -1;
	if (i + 4 < pages) {
		r.v[4] = munmap(base + (i + 2) * ps, ps) == 0 ? 0 : errno;
		r.v[5] = mincore(base + (i + 2) * ps, ps, &v) == 0;
	}
	mc_send(self, &r, sizeof(r));
	return 0;
}

/*
 * Run child_map_count (skipping where vm.max_map_count is unknown or too
 * large to exhaust in a bounded time); its report into r, the limit into
 * *max.
 */
static void
exhaust_map_count(struct cres *r, unsigned long *max)
{
	struct mc_child ch;

	if (!mc_read_ulong_file("/proc/sys/vm/max_map_count", max))
		atf_tc_skip("/proc/sys/vm/max_map_count not readable: the "
		    "limit is unknown");
	if (*max > MAX_MAP_COUNT_BOUND)
		atf_tc_skip("vm.max_map_count is %lu (> %lu): too many "
		    "mappings to exhaust in a bounded time", *max,
		    MAX_MAP_COUNT_BOUND);
	mc_spawn(&ch, child_map_count, max);
	mc_expect_last(&ch, r, sizeof(*r), "max_map_count report");
	if (r->step != 0)
		mc_skip_if_limited(r->err, "mmap of the reservation to split");
	ATF_REQUIRE_MSG(r->step == 0, "child: mmap(reservation of %lu pages): "
	    "%s", *max + 64, strerror(r->err));
}

MC_TC(max_map_count_exhausted_enomem, "MMAPERR-21",
    "Once the process has vm.max_map_count mappings, creating another one "
    "(mmap, or a split by mprotect) fails with ENOMEM")
{
	unsigned long max;
	struct cres r;

	exhaust_map_count(&r, &max);
	ATF_REQUIRE_MSG(r.v[1] == ENOMEM, "splitting a mapping %jd times "
	    "(vm.max_map_count %lu): expected mprotect to fail with ENOMEM "
	    "before the end, got %jd (%s)", (intmax_t)r.v[0], max,
	    (intmax_t)r.v[1], mc_errname((int)r.v[1]));
	ATF_REQUIRE_MSG(2 * (unsigned long)r.v[0] <= max, "%jd splits made "
	    "%jd mappings, more than vm.max_map_count %lu",
	    (intmax_t)r.v[0], 2 * (intmax_t)r.v[0], max);
	ATF_REQUIRE_MSG(r.v[3] == ENOMEM, "mmap with vm.max_map_count (%lu) "
	    "mappings: expected ENOMEM within 4 attempts, got %jd successes "
	    "then %jd (%s)", max, (intmax_t)r.v[2], (intmax_t)r.v[3],
	    mc_errname((int)r.v[3]));
}

MC_TC(max_map_count_munmap_middle_enomem, "MMAPERR-31",
    "Once the process has vm.max_map_count mappings, munmap of a page in "
    "the middle of a mapping (which would leave two mappings) fails with "
    "ENOMEM and unmaps nothing")
{
	unsigned long max;
	struct cres r;

	exhaust_map_count(&r, &max);
	ATF_REQUIRE_MSG(r.v[1] == ENOMEM && r.v[3] == ENOMEM, "the child did "
	    "not reach vm.max_map_count (%lu): mprotect split ended with %s, "
	    "mmap with %s", max, mc_errname((int)r.v[1]),
	    mc_errname((int)r.v[3]));
	ATF_REQUIRE_MSG(r.v[4] != -1, "no multi-page mapping was left to "
	    "munmap the middle of (%jd splits of %lu + 64 pages)",
	    (intmax_t)r.v[0], max);
	ATF_REQUIRE_MSG(r.v[4] == ENOMEM, "munmap of a page in the middle of "
	    "a mapping with vm.max_map_count (%lu) mappings: expected ENOMEM, "
	    "got %s", max, r.v[4] == 0 ? "success" : mc_errname((int)r.v[4]));
	ATF_REQUIRE_MSG(r.v[5] == 1, "after the refused munmap the page is "
	    "no longer mapped (mincore fails)");
}

MC_TC(fixed_beyond_address_space_enomem, "MMAPERR-22",
    "MAP_FIXED (and MAP_FIXED_NOREPLACE) at an address beyond the "
    "process's address space (the last page of the pointer range) fails "
    "with ENOMEM")
{
	size_t ps = mc_pagesize();
	void *top = (void *)(UINTPTR_MAX - ps + 1);

	mc_require_mmap_fails(mmap(top, ps, RW, MAP_PRIVATE | MAP_ANONYMOUS |
	    MAP_FIXED, -1, 0), ps, ENOMEM, "mmap(MAP_FIXED, last page of the "
	    "pointer range)");
	mc_require_mmap_fails(mmap((char *)top - ps, 2 * ps, RW, MAP_PRIVATE |
	    MAP_ANONYMOUS | MAP_FIXED, -1, 0), 2 * ps, ENOMEM,
	    "mmap(MAP_FIXED, 2 pages ending at the top of the pointer range)");
	{
		char why[160];

		if (mc_fixed_noreplace_missing(why, sizeof(why)) != NULL)
			atf_tc_skip("MAP_FIXED beyond the address space fails "
			    "with ENOMEM (proved); MAP_FIXED_NOREPLACE cannot "
			    "be: %s", why);
	}
#ifdef MAP_FIXED_NOREPLACE
	mc_require_mmap_fails(mmap(top, ps, RW, MAP_PRIVATE | MAP_ANONYMOUS |
	    MAP_FIXED_NOREPLACE, -1, 0), ps, ENOMEM, "mmap(MAP_FIXED_NOREPLACE, "
	    "last page of the pointer range)");
#endif
}

MC_TC(hint_beyond_address_space_ignored, "MMAPERR-23",
    "Without MAP_FIXED, a hint beyond the address space is not an error: "
    "the kernel places the mapping at a usable address")
{
	size_t ps = mc_pagesize();
	unsigned char *hint = (unsigned char *)(UINTPTR_MAX - ps + 1);
	unsigned char *p = mc_require_mmap_ok(mmap(hint, ps, RW, MAP_PRIVATE |
	    MAP_ANONYMOUS, -1, 0), "mmap(hint at the last page of the pointer "
	    "range, no MAP_FIXED)");

	ATF_REQUIRE_MSG(p != hint, "mapping placed at the impossible hint %p",
	    (void *)hint);
	MC_REQUIRE_NO_FAULT(p, MC_WRITE);
	ATF_REQUIRE(munmap(p, ps) == 0);
}

MC_TC(length_beyond_address_space_enomem, "MMAPERR-24",
    "A length larger than any address space (SIZE_MAX, or SIZE_MAX rounded "
    "down to pages) fails with ENOMEM: no room for the mapping")
{
	size_t ps = mc_pagesize();
	int fd = mc_make_file("f", 1);
	const size_t lens[] = { SIZE_MAX, SIZE_MAX - ps + 1 };

	for (size_t i = 0; i < 2; i++) {
		char what[96];

		snprintf(what, sizeof(what), "mmap(anonymous, length %#zx)",
		    lens[i]);
		mc_require_mmap_fails(mmap(NULL, lens[i], PROT_READ,
		    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0), ps,
		    ENOMEM, what);
		snprintf(what, sizeof(what), "mmap(file, length %#zx)",
		    lens[i]);
		mc_require_mmap_fails(mmap(NULL, lens[i], PROT_READ, MAP_SHARED,
		    fd, 0), ps, ENOMEM, what);
	}
	close(fd);
}

/* ---- EOVERFLOW ---------------------------------------------------------- */

MC_TC(offset_plus_length_overflow_eoverflow, "MMAPERR-25",
    "A file mapping whose offset + length does not fit the largest file "
    "offset fails with EOVERFLOW (64-bit: beyond MAX_LFS_FILESIZE; 32-bit "
    "with 64-bit off_t: page numbers overflow unsigned long)")
{
	size_t ps = mc_pagesize();
	int fd = mc_make_file("f", 1);
	off_t off;

	if (sizeof(off_t) < 8)
		atf_tc_skip("no 64-bit off_t in this build: no offset can "
		    "overflow");
	if (sizeof(unsigned long) >= 8) {
		/* The last page-aligned offset below 2^63. */
		off = (off_t)((uint64_t)INT64_MAX & ~(uint64_t)(ps - 1));
	} else {
		/* Page number 2^32 - 1: one more page overflows. */
		off = (off_t)((uint64_t)UINT32_MAX * ps);
	}
	if (sizeof(unsigned long) < 8) {
		/*
		 * A 32-bit process on a 64-bit kernel: the compat mmap2 takes
		 * the page number into a 64-bit unsigned long, so nothing
		 * overflows and the mapping is made.
		 */
		struct utsname u;
		void *p = mmap(NULL, 2 * ps, PROT_READ, MAP_SHARED, fd, off);

		ATF_REQUIRE(uname(&u) == 0);
		if (p != MAP_FAILED) {
			munmap(p, 2 * ps);
			ATF_REQUIRE_MSG(strstr(u.machine, "64") != NULL,
			    "mmap(2 pages at page number 2^32 - 1) succeeded "
			    "on a 32-bit kernel (%s): expected EOVERFLOW",
			    u.machine);
			atf_tc_skip("32-bit process on a 64-bit kernel (%s): "
			    "the compat page number is 64-bit and does not "
			    "overflow", u.machine);
		}
	}
	mc_require_mmap_fails(mmap(NULL, 2 * ps, PROT_READ, MAP_SHARED, fd,
	    off), 2 * ps, EOVERFLOW, "mmap(file, 2 pages at the last "
	    "page-aligned offset)");
	mc_require_mmap_fails(mmap(NULL, 2 * ps, PROT_READ, MAP_PRIVATE, fd,
	    off), 2 * ps, EOVERFLOW, "mmap(MAP_PRIVATE, file, 2 pages at the "
	    "last page-aligned offset)");
	close(fd);
}

/* ---- EPERM -------------------------------------------------------------- */

static const char *
mount_step_name(int step)
{
	switch (step) {
	case 10: return "unshare(CLONE_NEWNS)";
	case 11: return "unshare(CLONE_NEWUSER|CLONE_NEWNS)";
	case 12: return "write /proc/self/setgroups";
	case 13: return "write /proc/self/uid_map";
	case 14: return "write /proc/self/gid_map";
	case 15: return "mount(\"/\", MS_REC|MS_PRIVATE)";
	case 20: return "mount(tmpfs, noexec)";
	case 21: return "mount(tmpfs, exec allowed)";
	case 22: return "create a file on the tmpfs";
	default: return "?";
	}
}

/* A one-page file at path; returns an O_RDWR fd or -1. */
static int
make_page_file(const char *path, size_t ps)
{
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);

	if (fd < 0)
		return -1;
	if (ftruncate(fd, (off_t)ps) != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static int
child_noexec(struct mc_child *self, void *arg)
{
	size_t ps = (size_t)sysconf(_SC_PAGESIZE);
	struct cres r = { 0 };
	char opts[64];
	int userns, nfd, xfd;

	(void)arg;
	r.err = mc_private_mounts(&r.step, &userns);
	r.v[5] = userns;
	if (r.err != 0) {
		mc_send(self, &r, sizeof(r));
		return 0;
	}
	snprintf(opts, sizeof(opts), "size=%zu", 16 * ps);
	if (mount("mmapconf", "nx", "tmpfs", MS_NOEXEC | MS_NOSUID |
	    MS_NODEV, opts) != 0) {
		r.step = 20;
		r.err = errno;
		mc_send(self, &r, sizeof(r));
		return 0;
	}
	if (mount("mmapconf", "x", "tmpfs", MS_NOSUID | MS_NODEV, opts) != 0) {
		r.step = 21;
		r.err = errno;
		mc_send(self, &r, sizeof(r));
		return 0;
	}
	nfd = make_page_file("nx/f", ps);
	xfd = make_page_file("x/f", ps);
	if (nfd < 0 || xfd < 0) {
		r.step = 22;
		r.err = errno;
		mc_send(self, &r, sizeof(r));
		return 0;
	}
	r.v[0] = mc_mmap_errno(NULL, ps, PROT_READ | PROT_EXEC, MAP_PRIVATE,
	    nfd, 0);
	r.v[1] = mc_mmap_errno(NULL, ps, PROT_READ | PROT_EXEC, MAP_SHARED,
	    nfd, 0);
	r.v[2] = mc_mmap_errno(NULL, ps, RW, MAP_SHARED, nfd, 0);
	r.v[3] = mc_mmap_errno(NULL, ps, PROT_READ | PROT_EXEC, MAP_PRIVATE,
	    xfd, 0);
	mc_send(self, &r, sizeof(r));
	return 0;
}

MC_TC(noexec_mount_prot_exec_eperm, "MMAPERR-26",
    "PROT_EXEC on a file of a file system mounted noexec fails with EPERM "
    "(private and shared), while non-executable mappings of it and "
    "PROT_EXEC on the same kind of file system without noexec work")
{
	struct mc_child ch;
	struct cres r;

	ATF_REQUIRE_MSG(mkdir("nx", 0700) == 0 && mkdir("x", 0700) == 0,
	    "mkdir: %s", strerror(errno));
	mc_spawn(&ch, child_noexec, NULL);
	mc_expect_last(&ch, &r, sizeof(r), "noexec report");
	if (r.step >= 10 && r.step <= 21 && (r.err == EPERM ||
	    r.err == EACCES || r.err == EINVAL || r.err == ENOSPC ||
	    r.err == ENOSYS || r.err == EUSERS))
		atf_tc_skip("cannot mount a noexec tmpfs in a private mount "
		    "namespace: %s: %s (needs CAP_SYS_ADMIN or unprivileged "
		    "user namespaces)", mount_step_name(r.step),
		    strerror(r.err));
	ATF_REQUIRE_MSG(r.step == 0, "child (%s): %s failed: %s",
	    r.v[5] ? "user namespace" : "mount namespace",
	    mount_step_name(r.step), strerror(r.err));
	ATF_REQUIRE_MSG(r.v[3] == 0, "control: mmap(PROT_READ|PROT_EXEC, "
	    "MAP_PRIVATE) on a tmpfs without noexec: expected success, got "
	    "%jd (%s)", (intmax_t)r.v[3], mc_errname((int)r.v[3]));
	ATF_REQUIRE_MSG(r.v[2] == 0, "mmap(PROT_READ|PROT_WRITE, MAP_SHARED) "
	    "on a noexec tmpfs: expected success, got %jd (%s)",
	    (intmax_t)r.v[2], mc_errname((int)r.v[2]));
	ATF_REQUIRE_MSG(r.v[0] == EPERM, "mmap(PROT_READ|PROT_EXEC, "
	    "MAP_PRIVATE) on a noexec tmpfs: expected EPERM, got %jd (%s)",
	    (intmax_t)r.v[0], mc_errname((int)r.v[0]));
	ATF_REQUIRE_MSG(r.v[1] == EPERM, "mmap(PROT_READ|PROT_EXEC, "
	    "MAP_SHARED) on a noexec tmpfs: expected EPERM, got %jd (%s)",
	    (intmax_t)r.v[1], mc_errname((int)r.v[1]));
}

MC_TC(write_sealed_memfd_shared_write_eperm, "MMAPERR-27",
    "A memfd with F_SEAL_WRITE cannot be mapped MAP_SHARED with PROT_WRITE "
    "(EPERM); a private writable mapping works")
{
	size_t ps = mc_pagesize();
	int fd = memfd_create("mmapconf-seal", MFD_ALLOW_SEALING);
	unsigned char *p;

	if (fd < 0 && (errno == ENOSYS || errno == EINVAL))
		mc_skip_unsupported("memfd_create(MFD_ALLOW_SEALING)", errno);
	ATF_REQUIRE_MSG(fd >= 0, "memfd_create: %s", strerror(errno));
	ATF_REQUIRE_MSG(ftruncate(fd, (off_t)ps) == 0, "ftruncate: %s",
	    strerror(errno));
	ATF_REQUIRE_MSG(fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE) == 0,
	    "fcntl(F_ADD_SEALS, F_SEAL_WRITE): %s", strerror(errno));
	mc_require_mmap_fails(mmap(NULL, ps, RW, MAP_SHARED, fd, 0), ps, EPERM,
	    "mmap(PROT_READ|PROT_WRITE, MAP_SHARED) of a F_SEAL_WRITE memfd");
	mc_require_mmap_fails(mmap(NULL, ps, PROT_WRITE, MAP_SHARED, fd, 0), ps,
	    EPERM, "mmap(PROT_WRITE, MAP_SHARED) of a F_SEAL_WRITE memfd");
	/*
	 * Whether a read-only MAP_SHARED mapping is allowed (Linux 6.6+) or
	 * refused with EPERM (before) is MEMFD-7's question
	 * (t_memfd:seal_write_readonly_shared_cannot_gain_write), not this
	 * case's.
	 */
	p = mc_require_mmap_ok(mmap(NULL, ps, RW, MAP_PRIVATE, fd, 0),
	    "mmap(PROT_READ|PROT_WRITE, MAP_PRIVATE) of a F_SEAL_WRITE memfd");
	MC_REQUIRE_NO_FAULT(p, MC_WRITE);
	ATF_REQUIRE(munmap(p, ps) == 0);
	close(fd);
}

static int
child_min_addr(struct mc_child *self, void *arg)
{
	unsigned long min = *(unsigned long *)arg;
	size_t ps = (size_t)sysconf(_SC_PAGESIZE);
	struct cres r = { 0 };
	uintptr_t below = (min - 1) / ps * ps;

	r.err = mc_cap_drop(CAP_SYS_RAWIO);
	r.v[0] = mc_cap_is_effective(CAP_SYS_RAWIO);
	r.v[1] = mc_mmap_errno(NULL, ps, PROT_READ,
	    MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	r.v[2] = -1;
	if (below != 0)
		r.v[2] = mc_mmap_errno((void *)below, ps, PROT_READ,
		    MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	r.v[3] = (int64_t)below;
	mc_send(self, &r, sizeof(r));
	return 0;
}

MC_TC(fixed_below_mmap_min_addr_eperm, "MMAPERR-28",
    "Without CAP_SYS_RAWIO, MAP_FIXED below vm.mmap_min_addr (address 0, "
    "and the highest page below the limit) fails with EPERM")
{
	unsigned long min;
	struct mc_child ch;
	struct cres r;

	if (!mc_read_ulong_file("/proc/sys/vm/mmap_min_addr", &min))
		atf_tc_skip("/proc/sys/vm/mmap_min_addr not readable: the "
		    "limit is unknown");
	if (min == 0)
		atf_tc_skip("vm.mmap_min_addr is 0: no address is below it");
	mc_spawn(&ch, child_min_addr, &min);
	mc_expect_last(&ch, &r, sizeof(r), "mmap_min_addr report");
	if (r.v[0] != 0)
		atf_tc_skip("cannot drop CAP_SYS_RAWIO (capset: %s; capget "
		    "says %s): it allows mapping below mmap_min_addr",
		    strerror(r.err), r.v[0] < 0 ? "nothing" :
		    "still effective");
	ATF_REQUIRE_MSG(r.v[1] == EPERM, "mmap(MAP_FIXED, address 0) with "
	    "vm.mmap_min_addr %lu: expected EPERM, got %jd (%s)", min,
	    (intmax_t)r.v[1], mc_errname((int)r.v[1]));
	if (r.v[2] >= 0)
		ATF_REQUIRE_MSG(r.v[2] == EPERM, "mmap(MAP_FIXED, %#jx) with "
		    "vm.mmap_min_addr %lu: expected EPERM, got %jd (%s)",
		    (uintmax_t)r.v[3], min, (intmax_t)r.v[2],
		    mc_errname((int)r.v[2]));
}

/* ---- EOPNOTSUPP: MAP_SHARED_VALIDATE ------------------------------------ */

MC_TC(shared_validate_unknown_flag_eopnotsupp, "MMAPERR-29",
    "MAP_SHARED_VALIDATE with a flag bit the kernel does not know fails "
    "with EOPNOTSUPP")
{
#ifndef MAP_SHARED_VALIDATE
	atf_tc_skip("MAP_SHARED_VALIDATE not defined by the C library");
#else
	size_t ps = mc_pagesize();
	int fd = mc_make_file("f", 1);
	int unk = mc_unknown_map_flag();
	char what[96];

	mc_require_shared_validate(fd);
	snprintf(what, sizeof(what), "mmap(MAP_SHARED_VALIDATE|%#x (unknown "
	    "flag), file)", unk);
	mc_require_mmap_fails(mmap(NULL, ps, RW, MAP_SHARED_VALIDATE | unk, fd,
	    0), ps, EOPNOTSUPP, what);
	mc_require_mmap_fails(mmap(NULL, ps, PROT_READ,
	    MAP_SHARED_VALIDATE | unk, fd, 0), ps, EOPNOTSUPP, what);
	close(fd);
#endif
}

/* ---- MAP_ANONYMOUS ignores fd ------------------------------------------- */

MC_TC(anonymous_ignores_valid_and_invalid_fd, "MMAPERR-30",
    "With MAP_ANONYMOUS the fd is ignored on Linux: an open file's fd maps "
    "zero-filled memory (shared writes do not reach the file), and an "
    "invalid fd (closed, or a large number) gives no EBADF")
{
	size_t ps = mc_pagesize();
	int fd = mc_make_file("f", 1);
	int closed = dup(fd);
	unsigned char *p, b;

	ATF_REQUIRE_MSG(closed >= 0 && close(closed) == 0, "dup/close: %s",
	    strerror(errno));
	p = mc_require_mmap_ok(mmap(NULL, ps, RW, MAP_SHARED | MAP_ANONYMOUS,
	    fd, 0), "mmap(MAP_SHARED|MAP_ANONYMOUS, fd of a regular file)");
	mc_require_readable(p, ps, "MAP_SHARED|MAP_ANONYMOUS with a file's fd");
	ATF_REQUIRE_MSG(mc_all_bytes(p, ps, 0), "MAP_SHARED|MAP_ANONYMOUS "
	    "with a file's fd: expected zeros, first byte %#x", p[0]);
	MC_REQUIRE_NO_FAULT(p, MC_WRITE);
	p[0] = 'n';
	mc_pread_all(fd, &b, 1, 0);
	ATF_REQUIRE_MSG(b == mc_pattern(0), "a write to MAP_SHARED|"
	    "MAP_ANONYMOUS reached the file whose fd was passed (%#x)", b);
	ATF_REQUIRE(munmap(p, ps) == 0);
	p = mc_require_mmap_ok(mmap(NULL, ps, RW, MAP_PRIVATE | MAP_ANONYMOUS,
	    closed, 0), "mmap(MAP_PRIVATE|MAP_ANONYMOUS, closed fd)");
	ATF_REQUIRE_MSG(mc_all_bytes(p, ps, 0), "anonymous mapping with a "
	    "closed fd is not zero-filled");
	ATF_REQUIRE(munmap(p, ps) == 0);
	p = mc_require_mmap_ok(mmap(NULL, ps, RW, MAP_SHARED | MAP_ANONYMOUS,
	    INT_MAX, 0), "mmap(MAP_SHARED|MAP_ANONYMOUS, fd INT_MAX)");
	ATF_REQUIRE(munmap(p, ps) == 0);
	close(fd);
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, directory_fd_fails_enodev);
	ATF_TP_ADD_TC(tp, write_only_fd_eacces_whatever_prot);
	ATF_TP_ADD_TC(tp, read_only_fd_shared_write_eacces);
	ATF_TP_ADD_TC(tp, read_only_fd_private_write_allowed);
	ATF_TP_ADD_TC(tp, append_only_file_shared_eacces);
	ATF_TP_ADD_TC(tp, o_append_fd_is_not_append_only);
	ATF_TP_ADD_TC(tp, map_locked_above_memlock_limit_eagain);
	ATF_TP_ADD_TC(tp, no_valid_fd_without_anonymous_ebadf);
	ATF_TP_ADD_TC(tp, fixed_noreplace_over_mapping_eexist);
	ATF_TP_ADD_TC(tp, fixed_noreplace_partial_overlap_eexist);
	ATF_TP_ADD_TC(tp, fixed_unaligned_addr_einval);
	ATF_TP_ADD_TC(tp, fixed_unaligned_offset_einval_keeps_mapping);
	ATF_TP_ADD_TC(tp, fixed_unaligned_offset_einval_from_kernel);
	ATF_TP_ADD_TC(tp, zero_length_einval_every_kind);
	ATF_TP_ADD_TC(tp, no_mapping_type_einval);
	ATF_TP_ADD_TC(tp, shared_and_private_is_shared_validate);
	ATF_TP_ADD_TC(tp, pipe_enodev);
	ATF_TP_ADD_TC(tp, socket_enodev);
	ATF_TP_ADD_TC(tp, file_without_mmap_enodev);
	ATF_TP_ADD_TC(tp, rlimit_as_exceeded_enomem);
	ATF_TP_ADD_TC(tp, rlimit_data_exceeded_enomem);
	ATF_TP_ADD_TC(tp, max_map_count_exhausted_enomem);
	ATF_TP_ADD_TC(tp, max_map_count_munmap_middle_enomem);
	ATF_TP_ADD_TC(tp, fixed_beyond_address_space_enomem);
	ATF_TP_ADD_TC(tp, hint_beyond_address_space_ignored);
	ATF_TP_ADD_TC(tp, length_beyond_address_space_enomem);
	ATF_TP_ADD_TC(tp, offset_plus_length_overflow_eoverflow);
	ATF_TP_ADD_TC(tp, noexec_mount_prot_exec_eperm);
	ATF_TP_ADD_TC(tp, write_sealed_memfd_shared_write_eperm);
	ATF_TP_ADD_TC(tp, fixed_below_mmap_min_addr_eperm);
	ATF_TP_ADD_TC(tp, shared_validate_unknown_flag_eopnotsupp);
	ATF_TP_ADD_TC(tp, anonymous_ignores_valid_and_invalid_fd);
	return atf_no_error();
}
