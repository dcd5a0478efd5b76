/*
 * t_growsdown: MAP_GROWSDOWN mappings beyond the fault path that
 * t_mmap_flags covers (MMAPFLAG-9, -10, -21): growth by an access through
 * /proc/self/mem and through ptrace(2) PEEKDATA/POKEDATA, the same access
 * refused inside the stack guard gap, growth of a mapping locked by
 * mlockall(MCL_FUTURE), and PROT_GROWSUP on mappings that do not grow up.
 *
 * mmap(2): "Touching an address in the 'guard' page below the mapping will
 * cause the mapping to grow by a page ... until the mapping grows to within
 * a page of the high end of the next lower mapping".  Since Linux 4.12
 * (commit 1be7107fbe18) that distance is the stack guard gap, 256 pages by
 * default (the stack_guard_gap= boot parameter).  Accesses of another
 * process (or of the process itself) through /proc/pid/mem and ptrace go
 * through the kernel's __access_remote_vm(), which expands the stack like a
 * fault does (explicitly since Linux 6.5, commit 8d7071af8907 "mm: always
 * expand the stack with the mmap write lock held"; before, inside
 * get_user_pages()).
 */
#include <sys/mman.h>
#include <sys/ptrace.h>
#include <sys/resource.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/capability.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mc.h"
#include "mc_err.h"
#include "mc_proc.h"

#define RW (PROT_READ | PROT_WRITE)

/*
 * Free pages kept below a MAP_GROWSDOWN mapping that must be able to grow:
 * far more than the default stack guard gap (256 pages) plus the pages it
 * grows by.  A larger stack_guard_gap= on the kernel command line skips.
 */
#define HOLE_PAGES 2048
#define DEFAULT_GAP_PAGES 256

/* A value written through /proc/self/mem or ptrace and read back. */
#define GROW_MAGIC 0x6d6d6170636f6e66ULL

/* ---- helpers ------------------------------------------------------------ */

/*
 * Skip when the kernel command line sets a stack guard gap that leaves no
 * room for growth above HOLE_PAGES free pages.
 */
static void
require_gap_room(void)
{
	static char cmd[8192];
	const char *s;
	unsigned long gap = DEFAULT_GAP_PAGES;

	if (mc_read_small("/proc/cmdline", cmd, sizeof(cmd)) &&
	    (s = strstr(cmd, "stack_guard_gap=")) != NULL)
		gap = strtoul(s + strlen("stack_guard_gap="), NULL, 0);
	if (gap + 8 > HOLE_PAGES)
		atf_tc_skip("the kernel command line sets stack_guard_gap=%lu "
		    "pages: more than the %d free pages this case keeps below "
		    "its MAP_GROWSDOWN mapping", gap, HOLE_PAGES);
}

/*
 * Reserve n pages with HOLE_PAGES free pages below them (map PROT_NONE,
 * unmap the lower part); returns the n-page reservation, NULL (errno) on
 * failure. No ATF (usable in children); nothing may be mapped before the
 * hole is used.
 */
static unsigned char *
reserve_above_hole(size_t n)
{
	size_t ps = mc_pagesize();
	unsigned char *r = mmap(NULL, (HOLE_PAGES + n) * ps, PROT_NONE,
	    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

	if (r == MAP_FAILED)
		return NULL;
	if (munmap(r, HOLE_PAGES * ps) != 0)
		return NULL;
	return r + HOLE_PAGES * ps;
}

/* MAP_GROWSDOWN read-write mapping of n pages over the reservation at p. */
static bool
map_growsdown_at(unsigned char *p, size_t n)
{
	return mmap(p, n * mc_pagesize(), RW, MAP_PRIVATE | MAP_ANONYMOUS |
	    MAP_GROWSDOWN | MAP_FIXED, -1, 0) == (void *)p;
}

/*
 * In the test process: a 2-page MAP_GROWSDOWN mapping with HOLE_PAGES free
 * pages below it; skips when MAP_GROWSDOWN is unknown (EINVAL, ENOTSUP).
 */
static unsigned char *
growsdown_above_hole(void)
{
	unsigned char *p;
	uintptr_t s, e;

	require_gap_room();
	p = reserve_above_hole(2);
	ATF_REQUIRE_MSG(p != NULL, "reserving %d + 2 pages: %s", HOLE_PAGES,
	    strerror(errno));
	if (!map_growsdown_at(p, 2)) {
		int err = errno;

		if (err == EINVAL || err == ENOTSUP)
			mc_skip_unsupported("MAP_GROWSDOWN", err);
		ATF_REQUIRE_MSG(false, "mmap(%p, 2 pages, MAP_GROWSDOWN|"
		    "MAP_FIXED): %s", (void *)p, strerror(err));
	}
	ATF_REQUIRE_MSG(mc_maps_range(p, &s, &e) && s == (uintptr_t)p &&
	    e == (uintptr_t)p + 2 * mc_pagesize(), "the MAP_GROWSDOWN "
	    "mapping should be [%p, %p)", (void *)p,
	    (void *)(p + 2 * mc_pagesize()));
	ATF_REQUIRE_MSG(!mc_maps_range(p - mc_pagesize(), &s, &e), "the page "
	    "below the MAP_GROWSDOWN mapping at %p is mapped before any "
	    "access: [%#jx, %#jx)", (void *)p, (uintmax_t)s, (uintmax_t)e);
	return p;
}

/* The mapping holding addr must be exactly [start, end); what: when. */
static void
require_range(const void *addr, const void *start, const void *end,
    const char *what)
{
	uintptr_t s, e;

	ATF_REQUIRE_MSG(mc_maps_range(addr, &s, &e), "%s: no mapping holds "
	    "%p, expected [%p, %p)", what, addr, start, end);
	ATF_REQUIRE_MSG(s == (uintptr_t)start && e == (uintptr_t)end, "%s: "
	    "expected the mapping [%p, %p), /proc/self/maps shows [%#jx, "
	    "%#jx)", what, start, end, (uintmax_t)s, (uintmax_t)e);
}

/* /proc/self/mem open O_RDWR; skips when this system has none. */
static int
open_self_mem(void)
{
	int fd = open("/proc/self/mem", O_RDWR | O_CLOEXEC);

	if (fd < 0 && (errno == ENOENT || errno == EACCES || errno == EPERM))
		atf_tc_skip("/proc/self/mem cannot be opened read-write: %s",
		    strerror(errno));
	ATF_REQUIRE_MSG(fd >= 0, "open(/proc/self/mem, O_RDWR): %s",
	    strerror(errno));
	return fd;
}

/* The file offset of /proc/self/mem that addresses addr. */
static off_t
mem_off(const void *addr)
{
	return (off_t)(uintptr_t)addr;
}

/* ---- growth through /proc/self/mem -------------------------------------- */

MC_TC(proc_mem_access_below_grows, "GROW-1",
    "A read and a write through /proc/self/mem at the page just below a "
    "MAP_GROWSDOWN mapping (with free space below, beyond the stack guard "
    "gap) succeed and grow the mapping by that page, like a touch does")
{
	size_t ps = mc_pagesize();
	unsigned char buf[16], *p;
	uint64_t v = GROW_MAGIC, got;
	char fl[512];
	ssize_t n;
	int fd;

	p = growsdown_above_hole();
	fd = open_self_mem();

	memset(buf, 0xEE, sizeof(buf));
	errno = 0;
	n = pread(fd, buf, sizeof(buf), mem_off(p - ps));
	ATF_REQUIRE_MSG(n == (ssize_t)sizeof(buf), "pread(/proc/self/mem, 16 "
	    "bytes at %p, the page below the MAP_GROWSDOWN mapping at %p): "
	    "expected 16, got %zd (%s)", (void *)(p - ps), (void *)p, n,
	    mc_errname(errno));
	ATF_REQUIRE_MSG(mc_all_bytes(buf, sizeof(buf), 0), "pread at the "
	    "grown page %p: expected 16 zero bytes, got %02x %02x ...",
	    (void *)(p - ps), buf[0], buf[1]);
	require_range(p - ps, p - ps, p + 2 * ps, "after the read through "
	    "/proc/self/mem one page below the mapping");

	errno = 0;
	n = pwrite(fd, &v, sizeof(v), mem_off(p - 2 * ps + 8));
	ATF_REQUIRE_MSG(n == (ssize_t)sizeof(v), "pwrite(/proc/self/mem, 8 "
	    "bytes at %p, in the page below the grown mapping at %p): "
	    "expected 8, got %zd (%s)", (void *)(p - 2 * ps + 8),
	    (void *)(p - ps), n, mc_errname(errno));
	require_range(p - 2 * ps, p - 2 * ps, p + 2 * ps, "after the write "
	    "through /proc/self/mem one more page below");
	mc_require_readable(p - 2 * ps, ps, "the page grown by the write");
	memcpy(&got, p - 2 * ps + 8, sizeof(got));
	ATF_REQUIRE_MSG(got == v, "the word written through /proc/self/mem "
	    "at %p reads %#" PRIx64 " in the mapping, expected %#" PRIx64,
	    (void *)(p - 2 * ps + 8), got, v);
	ATF_REQUIRE_MSG(mc_count_not(p - 2 * ps, 8, 0) == 0 &&
	    mc_count_not(p - 2 * ps + 16, ps - 16, 0) == 0, "the rest of the "
	    "grown page %p is not zero", (void *)(p - 2 * ps));
	mc_smaps_vmflags(p - 2 * ps, fl, sizeof(fl));
	ATF_REQUIRE_MSG(mc_has_vmflag(fl, "gd"), "the grown mapping lost its "
	    "'gd' VmFlag:%s", fl);
	MC_REQUIRE_NO_FAULT(p + 2 * ps - 1, MC_WRITE);
	ATF_REQUIRE(close(fd) == 0);
	ATF_REQUIRE(munmap(p - 2 * ps, 4 * ps) == 0);
}

MC_TC(proc_mem_access_in_guard_gap_fails, "GROW-3",
    "An access through /proc/self/mem to the free page between a "
    "MAP_GROWSDOWN mapping and an accessible mapping one page below it "
    "fails with EIO and grows nothing; a write that starts in the lower "
    "mapping and runs into that page stops at its end (short count)")
{
	size_t ps = mc_pagesize();
	static const char src[17] = "0123456789abcdef";
	uint64_t v = GROW_MAGIC;
	unsigned char buf[16], *low, *gap, *g;
	uintptr_t s, e;
	ssize_t n;
	int fd;

	/* [low: 2 pages RW][gap: 1 free page][g: 2 pages MAP_GROWSDOWN] */
	low = mc_map_anon(5 * ps, RW, MAP_PRIVATE);
	gap = low + 2 * ps;
	g = low + 3 * ps;
	ATF_REQUIRE_MSG(munmap(gap, ps) == 0, "munmap(gap page): %s",
	    strerror(errno));
	if (mmap(g, 2 * ps, RW, MAP_PRIVATE | MAP_ANONYMOUS | MAP_GROWSDOWN |
	    MAP_FIXED, -1, 0) != (void *)g) {
		int err = errno;

		if (err == EINVAL || err == ENOTSUP)
			mc_skip_unsupported("MAP_GROWSDOWN", err);
		ATF_REQUIRE_MSG(false, "mmap(%p, 2 pages, MAP_GROWSDOWN|"
		    "MAP_FIXED): %s", (void *)g, strerror(err));
	}
	memset(low, 'L', 2 * ps);
	ATF_REQUIRE_MSG(mc_maps_range(low, &s, &e) && e == (uintptr_t)gap,
	    "the lower mapping should end at %p", (void *)gap);
	require_range(g, g, g + 2 * ps, "the MAP_GROWSDOWN mapping");
	ATF_REQUIRE_MSG(!mc_maps_range(gap, &s, &e), "the gap page %p is "
	    "mapped before any access", (void *)gap);
	fd = open_self_mem();

	errno = 0;
	n = pwrite(fd, &v, sizeof(v), mem_off(gap + 8));
	ATF_REQUIRE_MSG(n == -1 && errno == EIO, "pwrite(/proc/self/mem, 8 "
	    "bytes at %p in the guard gap): expected -1/EIO, got %zd (%s)",
	    (void *)(gap + 8), n, mc_errname(errno));
	errno = 0;
	n = pread(fd, buf, 8, mem_off(gap));
	ATF_REQUIRE_MSG(n == -1 && errno == EIO, "pread(/proc/self/mem, 8 "
	    "bytes at %p in the guard gap): expected -1/EIO, got %zd (%s)",
	    (void *)gap, n, mc_errname(errno));
	ATF_REQUIRE_MSG(!mc_maps_range(gap, &s, &e), "after the refused "
	    "accesses the gap page is mapped: [%#jx, %#jx)", (uintmax_t)s,
	    (uintmax_t)e);
	require_range(g, g, g + 2 * ps, "the MAP_GROWSDOWN mapping after the "
	    "refused accesses");

	errno = 0;
	n = pwrite(fd, src, 16, mem_off(gap - 8));
	ATF_REQUIRE_MSG(n == 8, "pwrite(/proc/self/mem, 16 bytes at %p: 8 in "
	    "the lower mapping, 8 in the guard gap): expected the short count "
	    "8, got %zd (%s)", (void *)(gap - 8), n, mc_errname(errno));
	ATF_REQUIRE_MSG(memcmp(gap - 8, src, 8) == 0, "the 8 bytes written "
	    "through /proc/self/mem at the end of the lower mapping (%p) do "
	    "not read back", (void *)(gap - 8));
	ATF_REQUIRE_MSG(mc_count_not(low, 2 * ps - 8, 'L') == 0, "the rest "
	    "of the lower mapping changed");
	memset(buf, 0xEE, sizeof(buf));
	errno = 0;
	n = pread(fd, buf, 16, mem_off(gap - 8));
	ATF_REQUIRE_MSG(n == 8 && memcmp(buf, src, 8) == 0, "pread("
	    "/proc/self/mem, 16 bytes at %p running into the guard gap): "
	    "expected the short count 8 with the written bytes, got %zd (%s)",
	    (void *)(gap - 8), n, mc_errname(errno));
	ATF_REQUIRE_MSG(!mc_maps_range(gap, &s, &e), "after the short write "
	    "the gap page is mapped: [%#jx, %#jx)", (uintmax_t)s,
	    (uintmax_t)e);
	require_range(g, g, g + 2 * ps, "the MAP_GROWSDOWN mapping at the "
	    "end");
	MC_REQUIRE_NO_FAULT(g, MC_WRITE);
	ATF_REQUIRE(close(fd) == 0);
	ATF_REQUIRE(munmap(low, 5 * ps) == 0);
}

/* ---- growth through ptrace ---------------------------------------------- */

/* What a child saw: a step that failed (0: none), its errno, values. */
struct cres {
	int32_t step;
	int32_t err;
	int64_t v[8];
};

/*
 * Tracee: PTRACE_TRACEME, a MAP_GROWSDOWN mapping above a hole, report it
 * (v0 its address, v1 1 when the page below is unmapped), stop with
 * SIGSTOP; once the tracer detached, report what the tracer did: v0/v1 the
 * range of the mapping holding the page two below, v2 the word at
 * p - 2 pages + 8, v3 the non-zero bytes of the two grown pages besides it.
 */
static int
child_tracee(struct mc_child *self, void *arg)
{
	size_t ps = mc_pagesize();
	struct cres r = { 0 };
	struct mc_maps_ent m;
	unsigned char *p;
	uint64_t w;

	(void)arg;
	if (ptrace(PTRACE_TRACEME, 0, NULL, NULL) != 0) {
		r.step = 1;
		r.err = errno;
		/* a process has one tracer: is there one already? */
		r.v[0] = mc_status_kb_raw("TracerPid");
		mc_send(self, &r, sizeof(r));
		return 0;
	}
	p = reserve_above_hole(2);
	if (p == NULL || !map_growsdown_at(p, 2)) {
		r.step = 2;
		r.err = errno;
		mc_send(self, &r, sizeof(r));
		return 0;
	}
	r.v[0] = (int64_t)(uintptr_t)p;
	r.v[1] = !mc_maps_entry_try(p - ps, &m);
	mc_send(self, &r, sizeof(r));
	raise(SIGSTOP);

	memset(&r, 0, sizeof(r));
	if (!mc_maps_entry_try(p - 2 * ps, &m)) {
		r.step = 3;
		mc_send(self, &r, sizeof(r));
		return 0;
	}
	r.v[0] = (int64_t)m.start;
	r.v[1] = (int64_t)m.end;
	if (m.end != (uintptr_t)(p + 2 * ps)) {
		/* not the grown mapping: reading it could fault */
		mc_send(self, &r, sizeof(r));
		return 0;
	}
	memcpy(&w, p - 2 * ps + 8, sizeof(w));
	r.v[2] = (int64_t)w;
	r.v[3] = (int64_t)(mc_count_not(p - 2 * ps, 8, 0) +
	    mc_count_not(p - 2 * ps + 16, 2 * ps - 16, 0));
	mc_send(self, &r, sizeof(r));
	return 0;
}

/* Wait (bounded) until the traced child stops; returns its wait status. */
static int
wait_traced_stop(pid_t pid)
{
	long deadline = mc_now_ms() + MC_WAIT_MS;
	int st = 0;
	pid_t w;

	for (;;) {
		w = waitpid(pid, &st, WNOHANG);
		if (w == pid)
			return st;
		ATF_REQUIRE_MSG(w == 0 || errno == EINTR, "waitpid(%d): %s",
		    (int)pid, strerror(errno));
		if (mc_now_ms() >= deadline) {
			kill(pid, SIGKILL);
			ATF_REQUIRE(waitpid(pid, &st, 0) == pid);
			ATF_REQUIRE_MSG(false, "the traced child %d did not "
			    "stop within %d ms", (int)pid, MC_WAIT_MS);
		}
		poll(NULL, 0, 5);
	}
}

MC_TC(ptrace_access_below_grows, "GROW-2",
    "A tracer's PTRACE_PEEKDATA and PTRACE_POKEDATA at the page just below "
    "a MAP_GROWSDOWN mapping of the stopped tracee (with free space below "
    "it) succeed and grow the tracee's mapping; the tracee reads the poked "
    "word")
{
	size_t ps = mc_pagesize();
	struct mc_child ch;
	struct cres r;
	unsigned char *p;
	long word;
	int st;

	require_gap_room();
	mc_spawn(&ch, child_tracee, NULL);
	memset(&r, 0, sizeof(r));
	mc_expect(&ch, &r, sizeof(r), "the tracee's mapping");
	if (r.step == 1) {
		mc_reap_ok(&ch);
		if (r.err == EPERM && r.v[0] > 0)
			atf_tc_skip("ptrace(PTRACE_TRACEME): EPERM: this process "
			    "is already traced (TracerPid %jd), and a process "
			    "has one tracer", (intmax_t)r.v[0]);
		if (r.err == EPERM || r.err == ENOSYS)
			atf_tc_skip("ptrace(PTRACE_TRACEME): %s (refused by "
			    "Yama ptrace_scope 3, a seccomp filter or the "
			    "sandbox)", mc_errname(r.err));
		ATF_REQUIRE_MSG(false, "ptrace(PTRACE_TRACEME): %s",
		    strerror(r.err));
	}
	if (r.step == 2) {
		mc_reap_ok(&ch);
		if (r.err == EINVAL || r.err == ENOTSUP)
			mc_skip_unsupported("MAP_GROWSDOWN", r.err);
		ATF_REQUIRE_MSG(false, "child: MAP_GROWSDOWN mapping above a "
		    "free hole: %s", strerror(r.err));
	}
	p = (unsigned char *)(uintptr_t)r.v[0];
	st = wait_traced_stop(ch.pid);
	if (!WIFSTOPPED(st)) {
		mc_reap(&ch, MC_WAIT_MS);
		ATF_REQUIRE_MSG(false, "the tracee should stop with SIGSTOP, "
		    "wait status %#x", st);
	}
	if (r.v[1] != 1) {
		kill(ch.pid, SIGKILL);
		mc_reap(&ch, MC_WAIT_MS);
		ATF_REQUIRE_MSG(false, "the page below the tracee's "
		    "MAP_GROWSDOWN mapping %p was mapped before any access",
		    (void *)p);
	}

	errno = 0;
	word = ptrace(PTRACE_PEEKDATA, ch.pid, p - ps, NULL);
	int peek_err = errno;
	errno = 0;
	long poke = ptrace(PTRACE_POKEDATA, ch.pid, p - 2 * ps + 8,
	    (void *)(uintptr_t)GROW_MAGIC);
	int poke_err = errno;
	long det = ptrace(PTRACE_DETACH, ch.pid, NULL, NULL);
	int det_err = errno;

	if (det != 0) {
		kill(ch.pid, SIGKILL);
		mc_reap(&ch, MC_WAIT_MS);
		ATF_REQUIRE_MSG(false, "ptrace(PTRACE_DETACH): %s",
		    strerror(det_err));
	}
	memset(&r, 0, sizeof(r));
	mc_expect(&ch, &r, sizeof(r), "what the tracee saw after the tracer "
	    "detached");
	mc_reap_ok(&ch);
	ATF_REQUIRE_MSG(peek_err == 0 && word == 0, "PTRACE_PEEKDATA at %p "
	    "(the page below the tracee's MAP_GROWSDOWN mapping at %p): "
	    "expected the word 0 without error, got %#lx (%s)",
	    (void *)(p - ps), (void *)p, word, mc_errname(peek_err));
	ATF_REQUIRE_MSG(poke == 0 && poke_err == 0, "PTRACE_POKEDATA at %p "
	    "(below the grown mapping): expected 0, got %ld (%s)",
	    (void *)(p - 2 * ps + 8), poke, mc_errname(poke_err));
	ATF_REQUIRE_MSG(r.step == 0, "the tracee found no mapping at %p after "
	    "PTRACE_POKEDATA there", (void *)(p - 2 * ps));
	ATF_REQUIRE_MSG((uintptr_t)r.v[0] == (uintptr_t)(p - 2 * ps) &&
	    (uintptr_t)r.v[1] == (uintptr_t)(p + 2 * ps), "after PEEKDATA one "
	    "page and POKEDATA two pages below it, the tracee's mapping should "
	    "be [%p, %p), its /proc/self/maps shows [%#jx, %#jx)",
	    (void *)(p - 2 * ps), (void *)(p + 2 * ps), (uintmax_t)r.v[0],
	    (uintmax_t)r.v[1]);
	ATF_REQUIRE_MSG((uint64_t)r.v[2] == (uint64_t)(unsigned long)GROW_MAGIC,
	    "the tracee reads %#jx at %p, where the tracer poked %#jx",
	    (uintmax_t)r.v[2], (void *)(p - 2 * ps + 8),
	    (uintmax_t)(unsigned long)GROW_MAGIC);
	ATF_REQUIRE_MSG(r.v[3] == 0, "%jd bytes of the two grown pages besides "
	    "the poked word are not zero", (intmax_t)r.v[3]);
}

/* ---- locked growth (mlockall MCL_FUTURE) -------------------------------- */

/*
 * Whether all n (<= 4) pages at p are mapped, or the first page is not:
 * mincore fails with ENOMEM on unmapped pages. No malloc, no ATF.
 */
static bool
pages_mapped(const void *p, size_t n)
{
	unsigned char vec[4];

	return n <= 4 && mincore((void *)p, n * mc_pagesize(), vec) == 0;
}

static bool
pages_unmapped(const void *p, size_t n)
{
	unsigned char vec[4];

	return n <= 4 && mincore((void *)p, n * mc_pagesize(), vec) != 0 &&
	    errno == ENOMEM;
}

/*
 * In a child, so that MCL_FUTURE locks nothing of the test process: the
 * hole is reserved before mlockall (a locked reservation would count
 * against RLIMIT_MEMLOCK), the MAP_GROWSDOWN mapping made after it.
 * Reports v0 the mapping's address, v1 VmLck after mmap, v7 1 when the
 * page below is unmapped, v2/v3 signal and si_code of the touch there, v4
 * VmLck after the touch, v5 1 when the three pages from the touched one up
 * are mapped, v6 1 when the page below the touched one is not; then
 * (allocation no longer matters) a second report: v0 smaps Locked of the
 * mapping, v1/v2 1 when its VmFlags show 'lo'/'gd' (-1: no VmFlags),
 * v3/v4 its range in /proc/self/maps.
 * VmLck and the ranges are read without malloc: under MCL_FUTURE a heap
 * that grows would be locked too.
 */
static int
child_locked_growth(struct mc_child *self, void *arg)
{
	size_t ps = mc_pagesize();
	struct cres r = { 0 };
	struct mc_fault f;
	unsigned char *p;
	char fl[512];

	(void)arg;
	p = reserve_above_hole(2);
	if (p == NULL) {
		r.step = 1;
		r.err = errno;
		mc_send(self, &r, sizeof(r));
		return 0;
	}
	/*
	 * The growth is locked too, so it needs room under RLIMIT_MEMLOCK
	 * (mlock(2)): without CAP_IPC_LOCK, a limit below VmLck plus the 3
	 * pages refuses it (SIGSEGV), which is not this case's semantic.
	 */
	{
		struct rlimit rl;
		long lck = mc_status_kb_raw("VmLck");

		if (mc_cap_counts(CAP_IPC_LOCK) != 1 && lck >= 0 &&
		    getrlimit(RLIMIT_MEMLOCK, &rl) == 0 &&
		    rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur <
		    (rlim_t)lck * 1024 + 3 * ps) {
			r.step = 4;
			r.v[0] = (int64_t)rl.rlim_cur;
			r.v[1] = lck;
			mc_send(self, &r, sizeof(r));
			return 0;
		}
	}
	if (mlockall(MCL_FUTURE) != 0) {
		r.step = 2;
		r.err = errno;
		mc_send(self, &r, sizeof(r));
		return 0;
	}
	if (!map_growsdown_at(p, 2)) {
		r.step = 3;
		r.err = errno;
		mc_send(self, &r, sizeof(r));
		return 0;
	}
	r.v[0] = (int64_t)(uintptr_t)p;
	r.v[1] = mc_status_kb_raw("VmLck");
	r.v[7] = pages_unmapped(p - ps, 1);
	f = mc_touch(p - ps, MC_WRITE);
	r.v[2] = f.signo;
	r.v[3] = f.code;
	r.v[4] = mc_status_kb_raw("VmLck");
	r.v[5] = pages_mapped(p - ps, 3);
	r.v[6] = pages_unmapped(p - 2 * ps, 1);
	mc_send(self, &r, sizeof(r));

	memset(&r, 0, sizeof(r));
	r.v[0] = mc_smaps_kb_try(p - ps, "Locked");
	if (mc_smaps_vmflags_try(p - ps, fl, sizeof(fl))) {
		r.v[1] = mc_has_vmflag(fl, "lo");
		r.v[2] = mc_has_vmflag(fl, "gd");
	} else {
		r.v[1] = r.v[2] = -1;
	}
	{
		struct mc_maps_ent m;

		if (mc_maps_entry_try(p - ps, &m)) {
			r.v[3] = (int64_t)m.start;
			r.v[4] = (int64_t)m.end;
		}
	}
	mc_send(self, &r, sizeof(r));
	return 0;
}

MC_TC(mcl_future_growth_is_locked, "GROW-4",
    "Under mlockall(MCL_FUTURE) a new MAP_GROWSDOWN mapping is locked and "
    "so is its growth: touching the page below it grows the mapping, VmLck "
    "grows by that page and smaps Locked covers the whole grown mapping")
{
	size_t ps = mc_pagesize();
	static const char *steps[] = { "", "reserving the hole",
	    "mlockall(MCL_FUTURE)", "mmap(MAP_GROWSDOWN|MAP_FIXED)" };
	struct mc_child ch;
	struct cres r, r2;
	unsigned char *p;

	require_gap_room();
	mc_spawn(&ch, child_locked_growth, NULL);
	memset(&r, 0, sizeof(r));
	mc_expect(&ch, &r, sizeof(r), "the locked growth report");
	if (r.step != 0) {
		mc_reap_ok(&ch);
		if (r.step == 4)
			atf_tc_skip("without CAP_IPC_LOCK, the soft "
			    "RLIMIT_MEMLOCK %jd bytes leaves no room to lock 3 "
			    "pages beyond VmLck %jd kB", (intmax_t)r.v[0],
			    (intmax_t)r.v[1]);
		if (r.step == 2 && (r.err == EPERM || r.err == ENOMEM ||
		    r.err == EAGAIN))
			atf_tc_skip("mlockall(MCL_FUTURE): %s (RLIMIT_MEMLOCK "
			    "0 without CAP_IPC_LOCK, or a seccomp filter: "
			    "Seccomp=%d)", mc_errname(r.err),
			    mc_seccomp_mode());
		if (r.step == 3 && (r.err == EAGAIN || r.err == EPERM ||
		    r.err == ENOMEM))
			atf_tc_skip("a locked 2-page mapping under MCL_FUTURE: "
			    "%s (RLIMIT_MEMLOCK leaves no room)",
			    mc_errname(r.err));
		if (r.step == 3 && (r.err == EINVAL || r.err == ENOTSUP))
			mc_skip_unsupported("MAP_GROWSDOWN", r.err);
		ATF_REQUIRE_MSG(false, "child: %s failed: %s",
		    steps[r.step >= 0 && r.step <= 3 ? r.step : 0],
		    strerror(r.err));
	}
	memset(&r2, 0, sizeof(r2));
	mc_expect(&ch, &r2, sizeof(r2), "the smaps report");
	mc_reap_ok(&ch);
	p = (unsigned char *)(uintptr_t)r.v[0];
	if (r.v[1] < 0)
		atf_tc_skip("/proc/self/status has no VmLck field");
	ATF_REQUIRE_MSG(r.v[7] == 1, "the page below the MAP_GROWSDOWN "
	    "mapping %p was mapped before the touch", (void *)p);
	ATF_REQUIRE_MSG(r.v[2] == 0, "touching %p below the locked "
	    "MAP_GROWSDOWN mapping: expected no fault, got %s/%s",
	    (void *)(p - ps), mc_signame((int)r.v[2]),
	    mc_codename((int)r.v[2], (int)r.v[3]));
	ATF_REQUIRE_MSG((uintptr_t)r2.v[3] == (uintptr_t)(p - ps) &&
	    (uintptr_t)r2.v[4] == (uintptr_t)(p + 2 * ps), "after the touch "
	    "the mapping should be [%p, %p), /proc/self/maps shows [%#jx, "
	    "%#jx)", (void *)(p - ps), (void *)(p + 2 * ps),
	    (uintmax_t)r2.v[3], (uintmax_t)r2.v[4]);
	ATF_REQUIRE_MSG(r.v[5] == 1 && r.v[6] == 1, "mincore: the grown "
	    "mapping should cover exactly [%p, %p) (mapped: %jd, page below "
	    "it unmapped: %jd)", (void *)(p - ps), (void *)(p + 2 * ps),
	    (intmax_t)r.v[5], (intmax_t)r.v[6]);
	ATF_REQUIRE_MSG(r.v[4] - r.v[1] == mc_kb_of_pages(1), "VmLck %jd kB "
	    "after mmap, %jd kB after the mapping grew by one page: expected "
	    "a growth of %ld kB", (intmax_t)r.v[1], (intmax_t)r.v[4],
	    mc_kb_of_pages(1));
	ATF_REQUIRE_MSG(r2.v[1] == 1 && r2.v[2] == 1, "the grown mapping's "
	    "VmFlags: expected 'lo' and 'gd' (lo %jd, gd %jd; -1: no VmFlags)",
	    (intmax_t)r2.v[1], (intmax_t)r2.v[2]);
	ATF_REQUIRE_MSG(r2.v[0] == mc_kb_of_pages(3), "smaps Locked of the "
	    "grown mapping: expected %ld kB (3 pages), got %jd kB",
	    mc_kb_of_pages(3), (intmax_t)r2.v[0]);
}

/* ---- PROT_GROWSUP ------------------------------------------------------- */

MC_TC(prot_growsup_without_growsup_mapping_einval, "GROW-5",
    "mprotect with PROT_GROWSUP on a mapping that does not grow upwards "
    "(an ordinary or a MAP_GROWSDOWN mapping) fails with EINVAL and leaves "
    "the protection unchanged")
{
	size_t ps = mc_pagesize();
	unsigned char *q = mc_map_anon(2 * ps, RW, MAP_PRIVATE);
	unsigned char *g;
	struct mc_maps_ent m;

	MC_REQUIRE_ERRF(mprotect(q, ps, PROT_READ | PROT_GROWSUP), EINVAL,
	    "mprotect(%p, 1 page, PROT_READ|PROT_GROWSUP) on an ordinary "
	    "private anonymous mapping", (void *)q);
	mc_maps_get(q, &m);
	ATF_REQUIRE_MSG(strcmp(m.perms, "rw-p") == 0 && m.end ==
	    (uintptr_t)(q + 2 * ps), "after the refused mprotect: expected "
	    "rw-p up to %p, /proc/self/maps shows \"%s\"",
	    (void *)(q + 2 * ps), m.line);
	MC_REQUIRE_NO_FAULT(q, MC_WRITE);
	MC_REQUIRE_NO_FAULT(q + ps, MC_WRITE);
	ATF_REQUIRE(munmap(q, 2 * ps) == 0);

	g = mmap(NULL, 2 * ps, RW, MAP_PRIVATE | MAP_ANONYMOUS |
	    MAP_GROWSDOWN, -1, 0);
	if (g == MAP_FAILED && (errno == EINVAL || errno == ENOTSUP))
		mc_skip_unsupported("MAP_GROWSDOWN", errno);
	ATF_REQUIRE_MSG(g != MAP_FAILED, "mmap(MAP_GROWSDOWN): %s",
	    strerror(errno));
	MC_REQUIRE_ERRF(mprotect(g + ps, ps, PROT_READ | PROT_GROWSUP),
	    EINVAL, "mprotect(%p, 1 page, PROT_READ|PROT_GROWSUP) on a "
	    "MAP_GROWSDOWN mapping", (void *)(g + ps));
	mc_maps_get(g, &m);
	ATF_REQUIRE_MSG(strcmp(m.perms, "rw-p") == 0, "after the refused "
	    "mprotect: expected rw-p, /proc/self/maps shows \"%s\"", m.line);
	MC_REQUIRE_NO_FAULT(g, MC_WRITE);
	MC_REQUIRE_NO_FAULT(g + ps, MC_WRITE);
	ATF_REQUIRE(munmap(g, 2 * ps) == 0);
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, proc_mem_access_below_grows);
	ATF_TP_ADD_TC(tp, ptrace_access_below_grows);
	ATF_TP_ADD_TC(tp, proc_mem_access_in_guard_gap_fails);
	ATF_TP_ADD_TC(tp, mcl_future_growth_is_locked);
	ATF_TP_ADD_TC(tp, prot_growsup_without_growsup_mapping_einval);
	return atf_no_error();
}
