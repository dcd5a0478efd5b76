/*
 * mc.c - shared helpers of the mmapconf test programs (see mc.h).
 */
#include "mc.h"
#include "mc_err.h"

#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <errno.h>
#include <inttypes.h>
#include <fcntl.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

size_t
mc_pagesize(void)
{
	static size_t ps;

	if (ps == 0) {
		long v = sysconf(_SC_PAGESIZE);
		ATF_REQUIRE_MSG(v > 0, "sysconf(_SC_PAGESIZE) = %ld", v);
		ps = (size_t)v;
	}
	return ps;
}

size_t
mc_thp_size(void)
{
	FILE *f = fopen("/sys/kernel/mm/transparent_hugepage/hpage_pmd_size",
	    "r");
	unsigned long v = 0;

	if (f == NULL)
		return 0;
	if (fscanf(f, "%lu", &v) != 1)
		v = 0;
	fclose(f);
	return (size_t)v;
}

void
mc_nohuge(void *addr, size_t len)
{
	/* EINVAL: a kernel without THP; then nothing can be huge anyway. */
	if (madvise(addr, len, MADV_NOHUGEPAGE) != 0)
		ATF_REQUIRE_MSG(errno == EINVAL,
		    "madvise(MADV_NOHUGEPAGE): %s", strerror(errno));
}

void *
mc_map_anon(size_t len, int prot, int flags)
{
	void *p = mmap(NULL, len, prot, flags | MAP_ANONYMOUS, -1, 0);

	ATF_REQUIRE_MSG(p != MAP_FAILED, "mmap(anon, %zu bytes, prot %#x, "
	    "flags %#x): %s", len, prot, flags, strerror(errno));
	mc_nohuge(p, len);
	return p;
}

unsigned char *
mc_free_hole(size_t pages)
{
	size_t len = pages * mc_pagesize();
	void *p = mmap(NULL, len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS,
	    -1, 0);

	ATF_REQUIRE_MSG(p != MAP_FAILED, "mmap(PROT_NONE, %zu bytes) to find "
	    "a free range: %s", len, strerror(errno));
	ATF_REQUIRE_MSG(munmap(p, len) == 0, "munmap(%p, %zu): %s", p, len,
	    strerror(errno));
	return p;
}

unsigned char *
mc_map_guarded(size_t n, int prot, int flags, int fd)
{
	size_t ps = mc_pagesize(), len = (n + 2) * ps;
	unsigned char *g, *p;
	uintptr_t s, e;

	g = mmap(NULL, len, prot, flags, fd, 0);
	ATF_REQUIRE_MSG(g != MAP_FAILED, "mmap(%zu pages and 2 guard pages, "
	    "prot %#x, flags %#x, fd %d): %s", n, prot, flags, fd,
	    strerror(errno));
	mc_nohuge(g, len);
	p = g + ps;
	ATF_REQUIRE_MSG(mprotect(g, ps, PROT_NONE) == 0 &&
	    mprotect(p + n * ps, ps, PROT_NONE) == 0,
	    "mprotect(guard pages, PROT_NONE): %s", strerror(errno));
	ATF_REQUIRE_MSG(mc_maps_range(p, &s, &e), "no /proc/self/maps entry "
	    "for the mapping (flags %#x) between guard pages at %p", flags,
	    (void *)p);
	ATF_REQUIRE_MSG(s == (uintptr_t)p && e == (uintptr_t)(p + n * ps),
	    "mapping (flags %#x) between guard pages: expected the VMA "
	    "%p-%p, /proc/self/maps says %#jx-%#jx", flags, (void *)p,
	    (void *)(p + n * ps), (uintmax_t)s, (uintmax_t)e);
	return p;
}

void
mc_unmap_guarded(void *p, size_t n)
{
	size_t ps = mc_pagesize();

	ATF_REQUIRE_MSG(munmap((unsigned char *)p - ps, (n + 2) * ps) == 0,
	    "munmap(%zu pages and their guard pages at %p): %s", n, p,
	    strerror(errno));
}

int
mc_unknown_map_flag(void)
{
	unsigned long known = MAP_SHARED | MAP_PRIVATE | MAP_FIXED |
	    MAP_ANONYMOUS | MAP_GROWSDOWN | MAP_DENYWRITE | MAP_EXECUTABLE |
	    MAP_LOCKED | MAP_NORESERVE | MAP_POPULATE | MAP_NONBLOCK |
	    MAP_STACK | MAP_HUGETLB | MAP_UNINITIALIZED |
	    0xffUL; /* the type field and x86 bits */
#ifdef MAP_SYNC
	known |= MAP_SYNC;
#endif
#ifdef MAP_FIXED_NOREPLACE
	known |= MAP_FIXED_NOREPLACE;
#endif
	/* Below MAP_HUGE_SHIFT (26): the huge page size field. */
	for (int bit = 25; bit >= 8; bit--)
		if (!(known & (1UL << bit)))
			return 1 << bit;
	ATF_REQUIRE_MSG(false, "no unused MAP_* bit below bit 26");
	return 0;
}

void
mc_require_shared_validate(int fd)
{
#ifndef MAP_SHARED_VALIDATE
	(void)fd;
	atf_tc_skip("MAP_SHARED_VALIDATE not defined by the C library");
#else
	size_t ps = mc_pagesize();
	void *p = mmap(NULL, ps, PROT_READ, MAP_SHARED_VALIDATE, fd, 0);

	if (p == MAP_FAILED && errno == EINVAL)
		mc_skip_unsupported("MAP_SHARED_VALIDATE", EINVAL);
	ATF_REQUIRE_MSG(p != MAP_FAILED, "probe: mmap(MAP_SHARED_VALIDATE, "
	    "PROT_READ, file): expected success, got errno %d (%s)", errno,
	    strerror(errno));
	ATF_REQUIRE(munmap(p, ps) == 0);
#endif
}

unsigned char
mc_pattern(size_t page)
{
	return (unsigned char)(0x41 + page % 26); /* 'A', 'B', ... */
}

int
mc_make_file(const char *name, size_t pages)
{
	size_t ps = mc_pagesize();
	unsigned char *buf = malloc(ps);
	int fd;

	ATF_REQUIRE(buf != NULL);
	fd = open(name, O_RDWR | O_CREAT | O_TRUNC, 0600);
	ATF_REQUIRE_MSG(fd >= 0, "open(%s): %s", name, strerror(errno));
	for (size_t i = 0; i < pages; i++) {
		memset(buf, mc_pattern(i), ps);
		ATF_REQUIRE_MSG(pwrite(fd, buf, ps, (off_t)(i * ps)) ==
		    (ssize_t)ps, "pwrite(%s, page %zu): %s", name, i,
		    strerror(errno));
	}
	free(buf);
	return fd;
}

void
mc_fill_patterns(unsigned char *p, size_t n, size_t first)
{
	size_t ps = mc_pagesize();

	for (size_t i = 0; i < n; i++)
		memset(p + i * ps, mc_pattern(first + i), ps);
}

void
mc_require_patterns(const unsigned char *p, size_t n, size_t first,
    const char *what)
{
	size_t ps = mc_pagesize();

	mc_require_readable(p, n * ps, what);
	for (size_t i = 0; i < n; i++) {
		size_t bad = mc_count_not(p + i * ps, ps,
		    mc_pattern(first + i));
		ATF_REQUIRE_MSG(bad == 0, "%s: page %zu should hold %#x, %zu "
		    "bytes differ", what, i, mc_pattern(first + i), bad);
	}
}

void
mc_pread_all(int fd, void *buf, size_t len, off_t off)
{
	ssize_t n = pread(fd, buf, len, off);

	ATF_REQUIRE_MSG(n == (ssize_t)len, "pread(%zu bytes at %jd) = %zd: %s",
	    len, (intmax_t)off, n, n < 0 ? strerror(errno) : "short read");
}

bool
mc_all_bytes(const void *buf, size_t len, unsigned char c)
{
	const unsigned char *p = buf;

	for (size_t i = 0; i < len; i++)
		if (p[i] != c)
			return false;
	return true;
}

size_t
mc_count_not(const void *p, size_t len, unsigned char c)
{
	const volatile unsigned char *q = p;
	size_t n = 0;

	for (size_t i = 0; i < len; i++)
		n += q[i] != c;
	return n;
}

off_t
mc_fd_size(int fd)
{
	struct stat st;

	ATF_REQUIRE_MSG(fstat(fd, &st) == 0, "fstat: %s", strerror(errno));
	return st.st_size;
}

void *
mc_map_fd(int fd, size_t len, int prot, int flags, off_t off)
{
	void *p = mmap(NULL, len, prot, flags, fd, off);

	ATF_REQUIRE_MSG(p != MAP_FAILED, "mmap(fd %d, %zu bytes, prot %#x, "
	    "flags %#x, offset %jd): %s", fd, len, prot, flags, (intmax_t)off,
	    strerror(errno));
	return p;
}

/* ---- children ---------------------------------------------------------- */

void
mc_spawn(struct mc_child *ch, mc_child_fn fn, void *arg)
{
	int down[2], up[2];

	ATF_REQUIRE_MSG(pipe2(down, O_CLOEXEC) == 0, "pipe: %s",
	    strerror(errno));
	ATF_REQUIRE_MSG(pipe2(up, O_CLOEXEC) == 0, "pipe: %s", strerror(errno));
	fflush(NULL);
	ch->pid = fork();
	if (ch->pid < 0 && errno == EAGAIN) {
		struct rlimit rl;

		/* A process limit of the run, not the semantic under test. */
		if (getrlimit(RLIMIT_NPROC, &rl) == 0 &&
		    rl.rlim_cur != RLIM_INFINITY)
			atf_tc_skip("fork: EAGAIN under RLIMIT_NPROC %ju: no "
			    "room for the case's child process",
			    (uintmax_t)rl.rlim_cur);
		atf_tc_skip("fork: EAGAIN (a pids cgroup or the system's "
		    "process limit): no room for the case's child process");
	}
	ATF_REQUIRE_MSG(ch->pid >= 0, "fork: %s", strerror(errno));
	if (ch->pid == 0) {
		struct mc_child self = { getpid(), down[0], up[1] };

		/* Never outlive the test case. */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		close(down[1]);
		close(up[0]);
		exit(fn(&self, arg)); /* exit(), not _exit(): flush gcov */
	}
	close(down[0]);
	close(up[1]);
	ch->rd = up[0];
	ch->wr = down[1];
}

void
mc_send(struct mc_child *ch, const void *msg, size_t len)
{
	ssize_t n = write(ch->wr, msg, len);

	/* In a child ATF must not be used: exit with a distinct status. */
	if (n != (ssize_t)len) {
		if (ch->pid == getpid())
			exit(97);
		ATF_REQUIRE_MSG(false, "write to child %d: %s", (int)ch->pid,
		    n < 0 ? strerror(errno) : "short write");
	}
}

static long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

bool
mc_recv(struct mc_child *ch, void *msg, size_t len, int timeout_ms)
{
	size_t got = 0;
	long deadline = now_ms() + timeout_ms;

	while (got < len) {
		struct pollfd pfd = { ch->rd, POLLIN, 0 };
		long left = deadline - now_ms();
		ssize_t n;
		int r;

		if (left <= 0)
			return false;
		r = poll(&pfd, 1, (int)left);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return false;
		n = read(ch->rd, (char *)msg + got, len - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return false;
		got += (size_t)n;
	}
	return true;
}

void
mc_expect(struct mc_child *ch, void *msg, size_t len, const char *what)
{
	if (!mc_recv(ch, msg, len, MC_WAIT_MS)) {
		int st = mc_reap(ch, 0);

		ATF_REQUIRE_MSG(false, "child %d: no %s within %d ms (child "
		    "%s %d)", (int)ch->pid, what, MC_WAIT_MS,
		    WIFSIGNALED(st) ? "killed by signal" : "exit status",
		    WIFSIGNALED(st) ? WTERMSIG(st) : WEXITSTATUS(st));
	}
}

void
mc_child_send_u64(struct mc_child *self, uint64_t v)
{
	mc_send(self, &v, sizeof(v));
}

uint64_t
mc_child_recv_u64(struct mc_child *self)
{
	uint64_t v;

	if (!mc_recv(self, &v, sizeof(v), MC_WAIT_MS))
		exit(98); /* the parent went away or never answered */
	return v;
}

int
mc_reap(struct mc_child *ch, int timeout_ms)
{
	long deadline = now_ms() + timeout_ms;
	int st = 0;
	pid_t r;

	if (ch->wr >= 0) {
		close(ch->wr); /* EOF tells a waiting child to stop */
		ch->wr = -1;
	}
	for (;;) {
		r = waitpid(ch->pid, &st, WNOHANG);
		if (r == ch->pid)
			break;
		ATF_REQUIRE_MSG(r == 0 || errno == EINTR, "waitpid(%d): %s",
		    (int)ch->pid, strerror(errno));
		if (now_ms() >= deadline) {
			kill(ch->pid, SIGKILL);
			ATF_REQUIRE(waitpid(ch->pid, &st, 0) == ch->pid);
			break;
		}
		/* Bounded wait for the exit: wake when the pipe closes. */
		struct pollfd pfd = { ch->rd, POLLIN, 0 };
		char drain[64];
		if (poll(&pfd, 1, 10) > 0 && read(ch->rd, drain,
		    sizeof(drain)) <= 0) {
			/* EOF: the child is exiting; keep polling waitpid */
			poll(NULL, 0, 1);
		}
	}
	close(ch->rd);
	ch->rd = -1;
	return st;
}

bool
mc_grandchild_u64(uint64_t (*fn)(void *), void *arg, uint64_t *out)
{
	int pfd[2], st = 0;
	bool got;
	pid_t pid;

	if (pipe2(pfd, O_CLOEXEC) != 0)
		return false;
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		close(pfd[0]);
		close(pfd[1]);
		return false;
	}
	if (pid == 0) {
		uint64_t v;

		prctl(PR_SET_PDEATHSIG, SIGKILL);
		close(pfd[0]);
		v = fn(arg);
		exit(write(pfd[1], &v, sizeof(v)) == (ssize_t)sizeof(v) ?
		    0 : 1);
	}
	close(pfd[1]);
	{
		struct mc_child g = { pid, pfd[0], -1 };
		got = mc_recv(&g, out, sizeof(*out), MC_WAIT_MS);
	}
	if (!got)
		kill(pid, SIGKILL);
	close(pfd[0]);
	if (waitpid(pid, &st, 0) != pid)
		return false;
	return got && WIFEXITED(st) && WEXITSTATUS(st) == 0;
}

void
mc_reap_ok(struct mc_child *ch)
{
	pid_t pid = ch->pid;
	int st = mc_reap(ch, MC_WAIT_MS);

	ATF_REQUIRE_MSG(WIFEXITED(st) && WEXITSTATUS(st) == 0,
	    "child %d: expected exit status 0, got %s %d", (int)pid,
	    WIFSIGNALED(st) ? "signal" : "exit status",
	    WIFSIGNALED(st) ? WTERMSIG(st) : WEXITSTATUS(st));
}

/* ---- fault probes ------------------------------------------------------ */

static sigjmp_buf probe_env;
static volatile sig_atomic_t probe_active;
static struct mc_fault probe_seen;

static void
probe_handler(int signo, siginfo_t *si, void *ctx)
{
	(void)ctx;
	if (!probe_active) {
		signal(signo, SIG_DFL);
		raise(signo);
		return;
	}
	probe_seen.signo = signo;
	probe_seen.code = si->si_code;
	probe_seen.addr = si->si_addr;
	siglongjmp(probe_env, 1);
}

struct mc_fault
mc_touch(void *addr, enum mc_access how)
{
	struct sigaction sa, old_segv, old_bus, old_ill;

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = probe_handler;
	sa.sa_flags = SA_SIGINFO | SA_NODEFER;
	sigemptyset(&sa.sa_mask);
	ATF_REQUIRE(sigaction(SIGSEGV, &sa, &old_segv) == 0);
	ATF_REQUIRE(sigaction(SIGBUS, &sa, &old_bus) == 0);
	ATF_REQUIRE(sigaction(SIGILL, &sa, &old_ill) == 0);
	memset(&probe_seen, 0, sizeof(probe_seen));
	if (sigsetjmp(probe_env, 1) == 0) {
		probe_active = 1;
		switch (how) {
		case MC_READ:
			(void)*(volatile unsigned char *)addr;
			break;
		case MC_WRITE:
			*(volatile unsigned char *)addr = 0xA5;
			break;
		case MC_EXEC: {
			void (*fn)(void);
			memcpy(&fn, &addr, sizeof(fn));
			fn();
			break;
		}
		}
	}
	probe_active = 0;
	sigaction(SIGSEGV, &old_segv, NULL);
	sigaction(SIGBUS, &old_bus, NULL);
	sigaction(SIGILL, &old_ill, NULL);
	return probe_seen;
}

void
mc_require_readable(const void *addr, size_t len, const char *what)
{
	size_t ps = mc_pagesize();
	uintptr_t first = (uintptr_t)addr / ps * ps;
	uintptr_t end = (uintptr_t)addr + len;

	for (uintptr_t a = first; a < end; a += ps) {
		void *at = (void *)(a < (uintptr_t)addr ? (uintptr_t)addr : a);
		struct mc_fault f = mc_touch(at, MC_READ);

		ATF_REQUIRE_MSG(f.signo == 0, "%s: page %ju of the range at %p "
		    "should be readable, a read at %p raised %s/%s", what,
		    (uintmax_t)((a - first) / ps), addr, at,
		    mc_signame(f.signo), mc_codename(f.signo, f.code));
	}
}

void
mc_require_sigbus(void *addr, enum mc_access how, const char *what)
{
	struct mc_fault f = mc_touch(addr, how);

	ATF_REQUIRE_MSG(f.signo == SIGBUS, "%s at %p (%s): expected SIGBUS, "
	    "got %s/%s", how == MC_WRITE ? "write" : how == MC_READ ? "read" :
	    "jump", addr, what, mc_signame(f.signo),
	    mc_codename(f.signo, f.code));
}

const char *
mc_signame(int signo)
{
	switch (signo) {
	case 0: return "no signal";
	case SIGSEGV: return "SIGSEGV";
	case SIGBUS: return "SIGBUS";
	case SIGILL: return "SIGILL";
	default: return "other signal";
	}
}

const char *
mc_codename(int signo, int code)
{
	if (signo == SIGSEGV && code == SEGV_MAPERR)
		return "SEGV_MAPERR";
	if (signo == SIGSEGV && code == SEGV_ACCERR)
		return "SEGV_ACCERR";
	if (signo == SIGSEGV && code == MC_SEGV_PKUERR)
		return "SEGV_PKUERR";
	if (signo == SIGBUS && code == BUS_ADRERR)
		return "BUS_ADRERR";
	if (signo == SIGBUS && code == BUS_ADRALN)
		return "BUS_ADRALN";
	if (signo == SIGBUS && code == BUS_OBJERR)
		return "BUS_OBJERR";
	if (signo == 0)
		return "-";
	static char buf[32];
	snprintf(buf, sizeof(buf), "si_code %d", code);
	return buf;
}

/* ---- pagemap ----------------------------------------------------------- */

static int
pagemap_open(void)
{
	/* Reopened after fork: an inherited fd still describes the parent. */
	static pid_t opened_by;
	static int fd = -1;

	if (fd < 0 || opened_by != getpid()) {
		if (fd >= 0)
			close(fd);
		fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
		opened_by = getpid();
	}
	return fd;
}

bool
mc_pagemap_try(const void *addr, uint64_t *entry)
{
	int fd = pagemap_open();
	off_t off = (off_t)((uintptr_t)addr / mc_pagesize() * sizeof(*entry));

	return fd >= 0 && pread(fd, entry, sizeof(*entry), off) ==
	    (ssize_t)sizeof(*entry);
}

uint64_t
mc_pagemap(const void *addr)
{
	uint64_t e;

	if (pagemap_open() < 0) {
		if (errno == ENOENT || errno == EACCES || errno == EPERM)
			atf_tc_skip("/proc/self/pagemap not available (%s): "
			    "page presence and PFNs cannot be proved here",
			    strerror(errno));
		ATF_REQUIRE_MSG(false, "open(/proc/self/pagemap): %s",
		    strerror(errno));
	}
	ATF_REQUIRE_MSG(mc_pagemap_try(addr, &e), "pread(/proc/self/pagemap, "
	    "%p): %s", addr, strerror(errno));
	return e;
}

bool
mc_pfns_visible(const char **why)
{
	static int state = -1; /* -1 unknown, 0 hidden, 1 visible */
	static const char *reason;

	if (state < 0) {
		if (access("/proc/self/pagemap", R_OK) != 0) {
			state = 0;
			reason = "/proc/self/pagemap is missing";
		} else {
			size_t ps = mc_pagesize();
			volatile unsigned char *p = mc_map_anon(ps,
			    PROT_READ | PROT_WRITE, MAP_PRIVATE);
			p[0] = 1;
			uint64_t e = mc_pagemap((const void *)p);
			ATF_REQUIRE_MSG(e & MC_PM_PRESENT, "a written page is "
			    "not present in pagemap (entry %#jx)",
			    (uintmax_t)e);
			state = (e & MC_PM_PFN_MASK) != 0;
			reason = "PFNs read as 0 (needs CAP_SYS_ADMIN in the "
			    "initial user namespace)";
			munmap((void *)p, ps);
		}
	}
	if (why != NULL)
		*why = reason;
	return state == 1;
}

uint64_t
mc_pfn(const void *addr)
{
	uint64_t e = mc_pagemap(addr);

	ATF_REQUIRE_MSG(e & MC_PM_PRESENT, "page at %p: expected present in "
	    "pagemap, entry is %#jx", addr, (uintmax_t)e);
	return e & MC_PM_PFN_MASK;
}

uint64_t
mc_pfn_try(const void *addr)
{
	uint64_t e;

	if (!mc_pagemap_try(addr, &e) || !(e & MC_PM_PRESENT))
		return 0;
	return MC_PM_PFN(e);
}

void
mc_take_pagemap(const void *p, size_t npages, struct mc_pages_report *r)
{
	size_t ps = mc_pagesize();
	const unsigned char *q = p;

	r->pm_ok = 1;
	for (size_t i = 0; i < npages && i < MC_REPORT_PAGES; i++) {
		(void)*(volatile const unsigned char *)(q + i * ps);
		if (!mc_pagemap_try(q + i * ps, &r->pm[i])) {
			r->pm_ok = 0;
			r->pm[i] = 0;
		}
	}
}

void
mc_require_pfns(void)
{
	const char *why;

	if (!mc_pfns_visible(&why))
		atf_tc_skip("content assertions passed; PFN assertions not "
		    "possible: %s", why);
}

/* ---- residency --------------------------------------------------------- */

size_t
mc_mincore_count(void *addr, size_t len)
{
	size_t ps = mc_pagesize(), n = (len + ps - 1) / ps, count = 0;
	unsigned char *vec = malloc(n);

	ATF_REQUIRE(vec != NULL);
	ATF_REQUIRE_MSG(mincore(addr, len, vec) == 0, "mincore(%p, %zu): %s",
	    addr, len, strerror(errno));
	for (size_t i = 0; i < n; i++)
		count += vec[i] & 1;
	free(vec);
	return count;
}

bool
mc_mincore_sees_untouched(void)
{
	static int state = -1; /* -1 unknown, 0 all resident, 1 lazy */

	if (state < 0) {
		size_t ps = mc_pagesize(), n = 4;
		void *p = mc_map_anon(n * ps, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE);

		state = mc_mincore_count(p, n * ps) == 0;
		ATF_REQUIRE_MSG(munmap(p, n * ps) == 0, "munmap(mincore "
		    "probe): %s", strerror(errno));
	}
	return state == 1;
}

void
mc_require_mincore_sees_untouched(const char *why)
{
	if (!mc_mincore_sees_untouched())
		atf_tc_skip("mincore reports untouched anonymous pages as "
		    "resident here: %s", why);
}

void
mc_require_smaps(void)
{
	if (access("/proc/self/smaps", R_OK) != 0)
		atf_tc_skip("/proc/self/smaps not available: %s",
		    strerror(errno));
}

/* The field of the smaps entry holding addr, read from the open file f. */
static long
smaps_kb_from(FILE *f, const void *addr, const char *field)
{
	char line[512];
	bool in = false;
	long kb = -1;
	size_t flen = strlen(field);

	while (fgets(line, sizeof(line), f) != NULL) {
		uintptr_t s, e;
		/* Header lines start "start-end "; field lines "Key:". */
		if (sscanf(line, "%" SCNxPTR "-%" SCNxPTR " ", &s, &e) == 2) {
			in = (uintptr_t)addr >= s && (uintptr_t)addr < e;
			continue;
		}
		if (in && strncmp(line, field, flen) == 0 &&
		    line[flen] == ':') {
			kb = strtol(line + flen + 1, NULL, 10);
			break;
		}
	}
	fclose(f);
	return kb;
}

long
mc_smaps_kb(const void *addr, const char *field)
{
	FILE *f = fopen("/proc/self/smaps", "r");

	ATF_REQUIRE_MSG(f != NULL, "fopen(/proc/self/smaps): %s",
	    strerror(errno));
	return smaps_kb_from(f, addr, field);
}

long
mc_smaps_kb_try(const void *addr, const char *field)
{
	FILE *f = fopen("/proc/self/smaps", "r");

	return f == NULL ? -1 : smaps_kb_from(f, addr, field);
}

bool
mc_smaps_vmflags_try(const void *addr, char *buf, size_t len)
{
	FILE *f = fopen("/proc/self/smaps", "r");
	char line[512];
	bool in = false, found = false;

	if (f == NULL)
		return false;
	while (fgets(line, sizeof(line), f) != NULL) {
		uintptr_t s, e;

		if (sscanf(line, "%" SCNxPTR "-%" SCNxPTR " ", &s, &e) == 2) {
			in = (uintptr_t)addr >= s && (uintptr_t)addr < e;
			continue;
		}
		if (in && strncmp(line, "VmFlags:", 8) == 0) {
			line[strcspn(line, "\n")] = '\0';
			snprintf(buf, len, "%s ", line + 8);
			found = true;
			break;
		}
	}
	fclose(f);
	return found;
}

void
mc_smaps_vmflags(const void *addr, char *buf, size_t len)
{
	mc_require_smaps();
	if (!mc_smaps_vmflags_try(addr, buf, len))
		atf_tc_skip("/proc/self/smaps has no VmFlags line for %p "
		    "(shown since Linux 3.8; not by this kernel or emulator)",
		    addr);
}

bool
mc_has_vmflag(const char *flags, const char *flag)
{
	char pat[8];

	snprintf(pat, sizeof(pat), " %s ", flag);
	return strstr(flags, pat) != NULL;
}

/* ---- /proc/self/maps --------------------------------------------------- */

bool
mc_maps_line(const void *addr, char *buf, size_t len)
{
	FILE *f = fopen("/proc/self/maps", "r");
	char line[1024];
	bool found = false;

	ATF_REQUIRE_MSG(f != NULL, "fopen(/proc/self/maps): %s",
	    strerror(errno));
	while (fgets(line, sizeof(line), f) != NULL) {
		uintptr_t s, e;
		if (sscanf(line, "%" SCNxPTR "-%" SCNxPTR, &s, &e) == 2 &&
		    (uintptr_t)addr >= s && (uintptr_t)addr < e) {
			line[strcspn(line, "\n")] = '\0';
			snprintf(buf, len, "%s", line);
			found = true;
			break;
		}
	}
	fclose(f);
	return found;
}

bool
mc_maps_range(const void *addr, uintptr_t *start, uintptr_t *end)
{
	char line[1024];

	if (!mc_maps_line(addr, line, sizeof(line)))
		return false;
	return sscanf(line, "%" SCNxPTR "-%" SCNxPTR, start, end) == 2;
}

bool
mc_maps_parse(const char *line, struct mc_maps_ent *e)
{
	int pos = 0;

	memset(e, 0, sizeof(*e));
	snprintf(e->line, sizeof(e->line), "%s", line);
	e->line[strcspn(e->line, "\n")] = '\0';
	if (sscanf(e->line, "%" SCNxPTR "-%" SCNxPTR " %7s %llx %x:%x %llu%n",
	    &e->start, &e->end, e->perms, &e->offset, &e->major, &e->minor,
	    &e->inode, &pos) != 7)
		return false;
	while (e->line[pos] == ' ' || e->line[pos] == '\t')
		pos++;
	snprintf(e->path, sizeof(e->path), "%s", e->line + pos);
	return true;
}

/*
 * Finds the entry holding addr in the open maps file f (closed after).
 * 1 found, 0 not found, -1 a line that does not parse (e->line holds it).
 */
static int
maps_find(FILE *f, const void *addr, struct mc_maps_ent *e)
{
	char line[sizeof(e->line)];
	int found = 0;

	while (found == 0 && fgets(line, sizeof(line), f) != NULL) {
		uintptr_t s, en;

		if (sscanf(line, "%" SCNxPTR "-%" SCNxPTR, &s, &en) != 2 ||
		    (uintptr_t)addr < s || (uintptr_t)addr >= en)
			continue;
		found = mc_maps_parse(line, e) ? 1 : -1;
	}
	fclose(f);
	return found;
}

bool
mc_maps_entry_try(const void *addr, struct mc_maps_ent *e)
{
	FILE *f = fopen("/proc/self/maps", "r");

	return f != NULL && maps_find(f, addr, e) == 1;
}

bool
mc_maps_entry(const void *addr, struct mc_maps_ent *e)
{
	FILE *f = fopen("/proc/self/maps", "r");
	int r;

	ATF_REQUIRE_MSG(f != NULL, "fopen(/proc/self/maps): %s",
	    strerror(errno));
	r = maps_find(f, addr, e);
	ATF_REQUIRE_MSG(r >= 0, "cannot parse /proc/self/maps line '%s'",
	    e->line);
	return r == 1;
}

void
mc_maps_get(const void *addr, struct mc_maps_ent *e)
{
	ATF_REQUIRE_MSG(mc_maps_entry(addr, e), "no mapping holds %p in "
	    "/proc/self/maps", addr);
}

size_t
mc_maps_read(struct mc_maps_ent *ents, size_t max)
{
	FILE *f = fopen("/proc/self/maps", "r");
	char line[sizeof(ents->line)];
	size_t n = 0;

	ATF_REQUIRE_MSG(f != NULL, "fopen(/proc/self/maps): %s",
	    strerror(errno));
	while (fgets(line, sizeof(line), f) != NULL) {
		ATF_REQUIRE_MSG(n < max, "more than %zu mappings in "
		    "/proc/self/maps", max);
		ATF_REQUIRE_MSG(mc_maps_parse(line, &ents[n]), "cannot parse "
		    "/proc/self/maps line '%s'", line);
		n++;
	}
	fclose(f);
	return n;
}
