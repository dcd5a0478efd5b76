/*
 * t_layout: where mappings live in the address space (design note §1, §2).
 *
 * LAYOUT-1 a file mapping is listed in /proc/self/maps with the file's
 * absolute path and lies outside [heap] and [stack]; LAYOUT-2 a malloc
 * above glibc's mmap threshold is served by a new private anonymous mapping
 * that free() unmaps.
 */
#include <sys/mman.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <malloc.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mc.h"

/* The mappings read by mc_maps_read() (one list at a time is enough). */
#define MAXMAPS 1024
static struct mc_maps_ent maps_list[MAXMAPS];

/* The maps entry named 'name' ("[heap]", "[stack]"); false when absent. */
static bool
find_named(const char *name, struct mc_maps_ent *out)
{
	struct mc_maps_ent *ents = maps_list;
	size_t n = mc_maps_read(maps_list, MAXMAPS);

	for (size_t i = 0; i < n; i++)
		if (strcmp(ents[i].path, name) == 0) {
			*out = ents[i];
			return true;
		}
	return false;
}

static bool
overlaps(uintptr_t s1, uintptr_t e1, uintptr_t s2, uintptr_t e2)
{
	return s1 < e2 && s2 < e1;
}

/* ---- LAYOUT-1 ---------------------------------------------------------- */

MC_TC(file_mapping_listed_with_absolute_path, "LAYOUT-1",
    "A file mapping is one entry of /proc/self/maps, exactly its range, "
    "with its protection, offset 0, and the file's absolute path")
{
	size_t ps = mc_pagesize(), len = 3 * ps;
	int fd = mc_make_file("layout.dat", 3);
	char want[PATH_MAX];
	struct mc_maps_ent m;
	unsigned char *p;

	ATF_REQUIRE_MSG(realpath("layout.dat", want) != NULL, "realpath("
	    "layout.dat): %s", strerror(errno));
	ATF_REQUIRE_MSG(want[0] == '/', "realpath gave '%s'", want);
	p = mmap(NULL, len, PROT_READ, MAP_SHARED, fd, 0);
	ATF_REQUIRE_MSG(p != MAP_FAILED, "mmap(layout.dat): %s",
	    strerror(errno));
	ATF_REQUIRE(close(fd) == 0);

	ATF_REQUIRE_MSG(mc_maps_entry(p, &m), "file mapping at %p: not "
	    "listed in /proc/self/maps", (void *)p);
	ATF_REQUIRE_STREQ_MSG(m.path, want, "file mapping at %p: expected "
	    "the file's absolute path '%s' in /proc/self/maps, line is '%s'",
	    (void *)p, want, m.line);
	ATF_REQUIRE_MSG(m.start == (uintptr_t)p && m.end == (uintptr_t)p +
	    len, "file mapping: expected range %p-%p, /proc/self/maps says "
	    "'%s'", (void *)p, (void *)(p + len), m.line);
	ATF_REQUIRE_MSG(strcmp(m.perms, "r--s") == 0 && m.offset == 0, "file "
	    "mapping (PROT_READ, MAP_SHARED, offset 0): expected 'r--s' at "
	    "offset 0, line is '%s'", m.line);
	ATF_REQUIRE_MSG(m.inode != 0, "file mapping: expected a nonzero inode, "
	    "line is '%s'", m.line);
	ATF_REQUIRE(munmap(p, len) == 0);
}

/* Require [s, e) to lie outside the [heap] and [stack] entries. */
static void
require_outside_heap_stack(uintptr_t s, uintptr_t e, const char *what)
{
	struct mc_maps_ent heap, stack;
	void *small = malloc(64);
	bool extended = false;

	ATF_REQUIRE(small != NULL);
	if (!find_named("[heap]", &heap)) {
		/* malloc used no brk memory yet: grow the break a page. */
		ATF_REQUIRE_MSG(sbrk((intptr_t)mc_pagesize()) != (void *)-1,
		    "sbrk(+1 page): %s", strerror(errno));
		extended = true;
		if (!find_named("[heap]", &heap))
			atf_tc_skip("no [heap] entry in /proc/self/maps, even "
			    "after growing the program break");
	}
	ATF_REQUIRE_MSG(find_named("[stack]", &stack), "no [stack] entry in "
	    "/proc/self/maps");
	ATF_REQUIRE_MSG(!overlaps(s, e, heap.start, heap.end), "%s %#jx-%#jx "
	    "lies in [heap] %#jx-%#jx", what, (uintmax_t)s, (uintmax_t)e,
	    (uintmax_t)heap.start, (uintmax_t)heap.end);
	ATF_REQUIRE_MSG(!overlaps(s, e, stack.start, stack.end), "%s "
	    "%#jx-%#jx lies in [stack] %#jx-%#jx", what, (uintmax_t)s,
	    (uintmax_t)e, (uintmax_t)stack.start, (uintmax_t)stack.end);
	if (extended)
		ATF_REQUIRE(sbrk(-(intptr_t)mc_pagesize()) != (void *)-1);
	free(small);
}

MC_TC(file_mapping_outside_heap_and_stack, "LAYOUT-1",
    "A file mapping, and an anonymous mapping beside it, lie outside the "
    "[heap] and [stack] entries of /proc/self/maps")
{
	size_t ps = mc_pagesize(), len = 3 * ps;
	int fd = mc_make_file("layout.dat", 3);
	unsigned char *p, *a;
	char line[PATH_MAX + 256];
	uintptr_t s, e;

	p = mmap(NULL, len, PROT_READ, MAP_PRIVATE, fd, 0);
	ATF_REQUIRE_MSG(p != MAP_FAILED, "mmap(layout.dat): %s",
	    strerror(errno));
	ATF_REQUIRE(close(fd) == 0);
	a = mc_map_anon(len, PROT_READ | PROT_WRITE, MAP_PRIVATE);
	a[0] = 1;

	ATF_REQUIRE_MSG(mc_maps_line(p, line, sizeof(line)) &&
	    strstr(line, "/layout.dat") != NULL, "file mapping at %p: no "
	    "/proc/self/maps entry naming layout.dat", (void *)p);
	ATF_REQUIRE(mc_maps_range(p, &s, &e));
	require_outside_heap_stack(s, e, "file mapping");
	ATF_REQUIRE(mc_maps_range(a, &s, &e));
	require_outside_heap_stack(s, e, "anonymous mapping");
	ATF_REQUIRE(munmap(p, len) == 0);
	ATF_REQUIRE(munmap(a, len) == 0);
}

/* ---- LAYOUT-2 ---------------------------------------------------------- */

static uintptr_t
page_down(uintptr_t a)
{
	return a / mc_pagesize() * mc_pagesize();
}

static uintptr_t
page_up(uintptr_t a)
{
	return page_down(a + mc_pagesize() - 1);
}

/*
 * malloc(size) must return memory in a private anonymous mapping that did
 * not exist before, and free() must unmap all of it.
 */
static void
check_malloc_uses_new_mapping(size_t size)
{
	struct mc_maps_ent *before = maps_list;
	size_t nbefore = mc_maps_read(maps_list, MAXMAPS);
	char line[PATH_MAX + 256];
	struct mc_maps_ent m;
	uintptr_t lo, hi;
	unsigned char *p;
	unsigned char vec[1];
	size_t bad = 0;

	p = malloc(size);
	ATF_REQUIRE_MSG(p != NULL, "malloc(%zu): %s", size, strerror(errno));
	lo = page_down((uintptr_t)p);
	hi = page_up((uintptr_t)p + size);
	for (size_t i = 0; i < nbefore; i++)
		ATF_REQUIRE_MSG(!overlaps(lo, hi, before[i].start,
		    before[i].end), "malloc(%zu) = %p: its pages %#jx-%#jx "
		    "were already mapped before (%#jx-%#jx %s %s): not a new "
		    "mapping", size, (void *)p, (uintmax_t)lo, (uintmax_t)hi,
		    (uintmax_t)before[i].start, (uintmax_t)before[i].end,
		    before[i].perms, before[i].path);

	ATF_REQUIRE_MSG(mc_maps_entry(p, &m), "malloc(%zu) = %p: no "
	    "/proc/self/maps entry holds it", size, (void *)p);
	ATF_REQUIRE_MSG(m.start <= lo && m.end >= hi, "malloc(%zu) = %p: "
	    "expected one mapping to hold %#jx-%#jx, found '%s'", size,
	    (void *)p, (uintmax_t)lo, (uintmax_t)hi, m.line);
	ATF_REQUIRE_MSG(strcmp(m.perms, "rw-p") == 0 && m.inode == 0 &&
	    m.path[0] == '\0', "malloc(%zu) = %p: expected a private "
	    "anonymous read-write mapping ('rw-p', inode 0, no path), found "
	    "'%s'", size, (void *)p, m.line);

	/* The memory is usable end to end. */
	p[0] = 1;
	p[size / 2] = 2;
	p[size - 1] = 3;
	bad = (p[0] != 1) + (p[size / 2] != 2) + (p[size - 1] != 3);
	ATF_REQUIRE_EQ_MSG(bad, 0, "malloc(%zu): %zu of the bytes written at "
	    "its start, middle and end did not keep their value", size, bad);

	free(p);
	p = NULL;
	/* mincore fails with ENOMEM on a range that is not mapped. */
	for (uintptr_t a = lo; a < hi; a += mc_pagesize()) {
		errno = 0;
		ATF_REQUIRE_MSG(mincore((void *)a, 1, vec) == -1 &&
		    errno == ENOMEM, "after free() of the malloc(%zu) block "
		    "%#jx-%#jx: page %#jx is still mapped (mincore: %s)", size,
		    (uintmax_t)lo, (uintmax_t)hi, (uintmax_t)a,
		    errno ? strerror(errno) : "succeeded");
	}
	ATF_REQUIRE_MSG(!mc_maps_line((void *)lo, line, sizeof(line)) &&
	    !mc_maps_line((void *)(hi - 1), line, sizeof(line)), "after "
	    "free() of the malloc(%zu) block %#jx-%#jx: /proc/self/maps still "
	    "lists '%s'", size, (uintmax_t)lo, (uintmax_t)hi, line);
}

MC_TC(malloc_above_set_threshold_uses_new_mapping, "LAYOUT-2",
    "With M_MMAP_THRESHOLD set to 32 pages, malloc of 64 pages returns "
    "memory in a new private anonymous mapping, and free() unmaps it")
{
#ifdef __GLIBC__
	size_t ps = mc_pagesize();

	ATF_REQUIRE_MSG(mallopt(M_MMAP_MAX, INT_MAX) == 1, "mallopt(M_MMAP_MAX)"
	    " failed");
	ATF_REQUIRE_MSG(mallopt(M_MMAP_THRESHOLD, (int)(32 * ps)) == 1,
	    "mallopt(M_MMAP_THRESHOLD, %zu) failed", 32 * ps);
	check_malloc_uses_new_mapping(64 * ps);
#else
	atf_tc_skip("mallopt(M_MMAP_THRESHOLD) is glibc's");
#endif
}

MC_TC(malloc_above_default_max_threshold_uses_new_mapping, "LAYOUT-2",
    "Without tuning, malloc of twice glibc's largest dynamic mmap "
    "threshold returns memory in a new private anonymous mapping, and "
    "free() unmaps it")
{
#ifdef __GLIBC__
	/*
	 * glibc's DEFAULT_MMAP_THRESHOLD_MAX: 4 MiB * sizeof(long) on 64-bit,
	 * 512 KiB on 32-bit. The dynamic threshold never exceeds it.
	 */
	size_t max = sizeof(long) == 4 ? 512 * 1024 :
	    4 * 1024 * 1024 * sizeof(long);
	const char *tun = getenv("GLIBC_TUNABLES");

	if (getenv("MALLOC_MMAP_MAX_") != NULL ||
	    getenv("MALLOC_MMAP_THRESHOLD_") != NULL ||
	    getenv("MALLOC_TOP_PAD_") != NULL ||
	    (tun != NULL && strstr(tun, "glibc.malloc.") != NULL))
		atf_tc_skip("malloc is tuned through the environment; the "
		    "default threshold does not apply");
	check_malloc_uses_new_mapping(2 * max);
#else
	atf_tc_skip("the default mmap threshold is glibc's");
#endif
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, file_mapping_listed_with_absolute_path);
	ATF_TP_ADD_TC(tp, file_mapping_outside_heap_and_stack);
	ATF_TP_ADD_TC(tp, malloc_above_set_threshold_uses_new_mapping);
	ATF_TP_ADD_TC(tp, malloc_above_default_max_threshold_uses_new_mapping);
	return atf_no_error();
}
