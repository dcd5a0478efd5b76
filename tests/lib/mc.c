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

void
mc_require_prog(const char *path)
{
	if (access(path, X_OK) != 0)
		atf_tc_skip("%s is not an executable program here (%s)", path,
		    strerror(errno));
}

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

/* Fill the file fd (named name) with 'pages' pattern pages. */
static void
fill_file_patterns(int fd, const char *name, size_t pages)
{
	size_t ps = mc_pagesize();
	unsigned char *buf = malloc(ps);

	ATF_REQUIRE(buf != NULL);
	for (size_t i = 0; i < pages; i++) {
		memset(buf, mc_pattern(i), ps);
		ATF_REQUIRE_MSG(pwrite(fd, buf, ps, (off_t)(i * ps)) ==
		    (ssize_t)ps, "pwrite(%s, page %zu): %s", name, i,
		    strerror(errno));
	}
	free(buf);
}

int
mc_make_file(const char *name, size_t pages)
{
	int fd = open(name, O_RDWR | O_CREAT | O_TRUNC, 0600);

	ATF_REQUIRE_MSG(fd >= 0, "open(%s): %s", name, strerror(errno));
	fill_file_patterns(fd, name, pages);
	return fd;
}

int
mc_make_memfd(const char *name, size_t pages)
{
	int fd = memfd_create(name, MFD_CLOEXEC);

	if (fd < 0 && (errno == ENOSYS || errno == EINVAL))
		mc_skip_unsupported("memfd_create", errno);
	ATF_REQUIRE_MSG(fd >= 0, "memfd_create(%s): %s", name,
	    strerror(errno));
	fill_file_patterns(fd, name, pages);
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

const char *
mc_fixed_noreplace_missing(char *why, size_t len)
{
#ifndef MAP_FIXED_NOREPLACE
	snprintf(why, len, "MAP_FIXED_NOREPLACE is not defined by the C "
	    "library");
	return why;
#else
	size_t ps = mc_pagesize();
	void *a = mc_map_anon(ps, PROT_READ, MAP_PRIVATE);
	void *r = mmap(a, ps, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS |
	    MAP_FIXED_NOREPLACE, -1, 0);
	int e = errno;

	ATF_REQUIRE(munmap(a, ps) == 0);
	if (r != MAP_FAILED) {
		munmap(r, ps);
		ATF_REQUIRE_MSG(r != a, "probe: MAP_FIXED_NOREPLACE over a "
		    "mapping returned the same address %p", a);
		snprintf(why, len, "MAP_FIXED_NOREPLACE over a mapping at %p "
		    "was taken as a hint (mapped at %p): not known to this "
		    "kernel or emulator", a, r);
		return why;
	}
	ATF_REQUIRE_MSG(e == EEXIST, "probe: MAP_FIXED_NOREPLACE over a "
	    "mapping: expected EEXIST, got %d (%s)", e, strerror(e));
	return NULL;
#endif
}

void
mc_require_fixed_noreplace(void)
{
	char why[160];

	if (mc_fixed_noreplace_missing(why, sizeof(why)) != NULL)
		atf_tc_skip("%s", why);
}

void
mc_require_bytes(const unsigned char *p, size_t len, unsigned char c,
    const char *what)
{
	size_t bad;

	mc_require_readable(p, len, what);
	bad = mc_count_not(p, len, c);
	ATF_REQUIRE_MSG(bad == 0, "%s at %p: expected %zu bytes %#x, %zu "
	    "differ", what, (const void *)p, len, c, bad);
}
