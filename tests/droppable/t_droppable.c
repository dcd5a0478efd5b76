/*
 * t_droppable: MAP_DROPPABLE (Linux 6.11+, 64-bit): anonymous memory the
 * kernel may drop under memory pressure instead of swapping it out, even
 * when written (dropped pages read zero again), which is wiped in a child
 * after fork and left out of core dumps.
 *
 * MAP_DROPPABLE is a mapping type of its own (like MAP_SHARED and
 * MAP_PRIVATE); a kernel that does not know it refuses it with EINVAL,
 * which skips the case.
 */
#include <sys/mman.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "mc.h"
#include "mc_proc.h"

/* include/uapi/linux/mman.h (Linux 6.11). */
#ifndef MAP_DROPPABLE
#define MAP_DROPPABLE 0x08
#endif

/* n pages of MAP_DROPPABLE memory, read-write; skip where unknown. */
static unsigned char *
map_droppable(size_t n)
{
	size_t len = n * mc_pagesize();
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
	    MAP_DROPPABLE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED && errno == EINVAL)
		atf_tc_skip("mmap(MAP_DROPPABLE|MAP_ANONYMOUS) fails with "
		    "EINVAL: no droppable mappings here (Linux 6.11+, 64-bit)");
	if (p == MAP_FAILED)
		mc_skip_if_limited(errno, "a droppable mapping");
	ATF_REQUIRE_MSG(p != MAP_FAILED, "mmap(%zu bytes, MAP_DROPPABLE|"
	    "MAP_ANONYMOUS): %s", len, strerror(errno));
	mc_nohuge(p, len);
	return p;
}

MC_TC(droppable_reads_zero_keeps_writes, "DROP-1",
    "A MAP_DROPPABLE anonymous mapping reads zero at first and reads back "
    "what the process writes")
{
	size_t ps = mc_pagesize();
	unsigned char *p = map_droppable(2);

	ATF_REQUIRE_EQ_MSG(mc_count_not(p, 2 * ps, 0), (size_t)0, "a new "
	    "droppable mapping has %zu non-zero bytes",
	    mc_count_not(p, 2 * ps, 0));
	mc_fill_patterns(p, 2, 0);
	mc_require_patterns(p, 2, 0, "the droppable pages just written");
	ATF_REQUIRE(munmap(p, 2 * ps) == 0);
}

MC_TC(droppable_with_fd_refused, "DROP-2",
    "MAP_DROPPABLE is for anonymous memory only: with a file descriptor "
    "mmap fails with EINVAL")
{
	size_t ps = mc_pagesize();
	int fd = mc_make_file("f", 1);
	void *p;
	int e;

	ATF_REQUIRE(munmap(map_droppable(1), ps) == 0);
	p = mmap(NULL, ps, PROT_READ | PROT_WRITE, MAP_DROPPABLE, fd, 0);
	e = errno;
	if (p != MAP_FAILED)
		ATF_REQUIRE(munmap(p, ps) == 0);
	ATF_REQUIRE_MSG(p == MAP_FAILED && e == EINVAL, "mmap(MAP_DROPPABLE, "
	    "a file): expected EINVAL, got %s",
	    p == MAP_FAILED ? strerror(e) : "a mapping");
	ATF_REQUIRE(close(fd) == 0);
}

static int
child_counts_nonzero(struct mc_child *self, void *arg)
{
	mc_child_send_u64(self, mc_count_not(arg, mc_pagesize(), 0));
	return 0;
}

MC_TC(droppable_wiped_in_fork_child, "DROP-3",
    "A MAP_DROPPABLE mapping is wiped on fork: the child reads zeros where "
    "the parent wrote, and the parent keeps its data")
{
	size_t ps = mc_pagesize();
	unsigned char *p = map_droppable(1);
	struct mc_child ch;
	uint64_t nz;

	memset(p, 0x7e, ps);
	mc_spawn(&ch, child_counts_nonzero, p);
	mc_expect(&ch, &nz, sizeof(nz), "the child's count of non-zero bytes");
	mc_reap_ok(&ch);
	ATF_REQUIRE_EQ_MSG(nz, (uint64_t)0, "the child reads %llu non-zero "
	    "bytes in the droppable page, expected it wiped (all zero)",
	    (unsigned long long)nz);
	ATF_REQUIRE_MSG(mc_all_bytes(p, ps, 0x7e), "the parent's droppable "
	    "page lost its 0x7e bytes after fork");
	ATF_REQUIRE(munmap(p, ps) == 0);
}

MC_TC(droppable_dropped_under_reclaim, "DROP-4",
    "Written MAP_DROPPABLE pages are dropped under reclaim instead of "
    "being kept or swapped: after MADV_PAGEOUT they read zero, while "
    "ordinary private anonymous pages keep their data")
{
	size_t ps = mc_pagesize(), n = 4;
	unsigned char *p = map_droppable(n);
	unsigned char *q = mc_map_anon(n * ps, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE);
	size_t kept = 0;

	mc_fill_patterns(p, n, 0);
	mc_fill_patterns(q, n, 0);
	if (madvise(p, n * ps, MADV_PAGEOUT) != 0) {
		ATF_REQUIRE_MSG(errno == EINVAL, "madvise(MADV_PAGEOUT) of the "
		    "droppable pages: %s", strerror(errno));
		atf_tc_skip("no MADV_PAGEOUT (EINVAL) to reclaim the pages "
		    "on demand");
	}
	ATF_REQUIRE_MSG(madvise(q, n * ps, MADV_PAGEOUT) == 0, "madvise("
	    "MADV_PAGEOUT) of ordinary pages: %s", strerror(errno));
	mc_require_patterns(q, n, 0, "ordinary private pages after "
	    "MADV_PAGEOUT");
	for (size_t i = 0; i < n; i++)
		kept += mc_count_not(p + i * ps, ps, 0) != 0;
	ATF_REQUIRE_EQ_MSG(kept, (size_t)0, "after MADV_PAGEOUT %zu of %zu "
	    "written droppable pages still hold data: expected every one "
	    "dropped (zero)", kept, n);
	ATF_REQUIRE(munmap(q, n * ps) == 0);
	ATF_REQUIRE(munmap(p, n * ps) == 0);
}

MC_TC(droppable_not_dumped, "DROP-5",
    "A MAP_DROPPABLE mapping is left out of core dumps: its smaps VmFlags "
    "include dd (VM_DONTDUMP) and wf (wipe on fork)")
{
	size_t ps = mc_pagesize();
	unsigned char *p = map_droppable(1);
	char flags[256];

	if (!mc_smaps_vmflags_try(p, flags, sizeof(flags)))
		atf_tc_skip("/proc/self/smaps has no VmFlags for the mapping");
	ATF_REQUIRE_MSG(mc_has_vmflag(flags, "dd"), "droppable mapping: "
	    "VmFlags \"%s\" lack dd (do not dump)", flags);
	ATF_REQUIRE_MSG(mc_has_vmflag(flags, "wf"), "droppable mapping: "
	    "VmFlags \"%s\" lack wf (wipe on fork)", flags);
	ATF_REQUIRE(munmap(p, ps) == 0);
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, droppable_reads_zero_keeps_writes);
	ATF_TP_ADD_TC(tp, droppable_with_fd_refused);
	ATF_TP_ADD_TC(tp, droppable_wiped_in_fork_child);
	ATF_TP_ADD_TC(tp, droppable_dropped_under_reclaim);
	ATF_TP_ADD_TC(tp, droppable_not_dumped);
	return atf_no_error();
}
