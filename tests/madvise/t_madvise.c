/*
 * t_madvise: madvise(2) semantics: what each advice does to the contents of
 * the range (MADV_DONTNEED, MADV_FREE, MADV_REMOVE), to children
 * (MADV_DONTFORK, MADV_DOFORK, MADV_WIPEONFORK, MADV_KEEPONFORK), to
 * residency (MADV_WILLNEED, MADV_POPULATE_READ/WRITE, MADV_COLD,
 * MADV_PAGEOUT), and its errors.
 *
 * Advice a kernel may lack (MADV_FREE before 4.5, MADV_WIPEONFORK before
 * 4.14, MADV_COLD and MADV_PAGEOUT before 5.4, MADV_POPULATE_* before
 * 5.14) is probed on a mapping it must accept
 * (a private anonymous one): EINVAL there means "not supported" and the case
 * is skipped with that reason.
 */
#include <sys/mman.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mc.h"
#include "mc_err.h"
#include "mc_proc.h"

/* ---- helpers ------------------------------------------------------------ */

/*
 * Apply advice that may be missing here to a private anonymous mapping
 * (where every kernel that knows the advice accepts it): EINVAL means the
 * kernel (or an emulator) does not know it, and the case is skipped.
 */
static void
advise_or_skip(void *p, size_t len, int advice, const char *name)
{
	if (madvise(p, len, advice) == 0)
		return;
	if (errno == EINVAL || errno == ENOSYS)
		mc_skip_unsupported(name, errno);
	ATF_REQUIRE_MSG(false, "madvise(%p, %zu, %s) on a private anonymous "
	    "mapping: expected success, got errno %d (%s)", p, len, name,
	    errno, strerror(errno));
}

/* ---- child that reads what it sees at an address --------------------- */

/*
 * A child that, on each u64 request (an offset, or UINT64_MAX to stop),
 * reports how many bytes of the page at base+offset differ from 'expect'
 * (so 0 means "the page reads expect"), or UINT64_MAX-1 when touching the
 * page faults. First it sends the fault status of the page at base:
 * signo << 32 | si_code.
 */
struct reader_arg {
	unsigned char *base;
	unsigned char expect;
};

static int
reader_child(struct mc_child *self, void *arg)
{
	struct reader_arg *a = arg;
	size_t ps = mc_pagesize();
	struct mc_fault f = mc_touch(a->base, MC_READ);

	mc_child_send_u64(self, (uint64_t)f.signo << 32 | (uint32_t)f.code);
	for (;;) {
		uint64_t off = mc_child_recv_u64(self);
		if (off == UINT64_MAX)
			return 0;
		f = mc_touch(a->base + off, MC_READ);
		if (f.signo != 0) {
			mc_child_send_u64(self, UINT64_MAX - 1);
			continue;
		}
		mc_child_send_u64(self, mc_count_not(a->base + off, ps,
		    a->expect));
	}
}

/* Asks a reader child about the page at offset off. */
static uint64_t
reader_ask(struct mc_child *ch, uint64_t off)
{
	uint64_t v;

	mc_send(ch, &off, sizeof(off));
	mc_expect(ch, &v, sizeof(v), "reader report");
	return v;
}

static void
reader_stop(struct mc_child *ch)
{
	uint64_t stop = UINT64_MAX;

	mc_send(ch, &stop, sizeof(stop));
	mc_reap_ok(ch);
}

/* ---- MADV_DONTNEED ---------------------------------------------------- */

MC_TC(dontneed_private_anon_zero_fills, "MADV-1",
    "MADV_DONTNEED on a private anonymous mapping discards the pages: the "
    "next access reads zeros; pages outside the range keep their data")
{
	size_t ps = mc_pagesize();
	unsigned char *p = mc_map_anon(3 * ps, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE);

	memset(p, 'x', 3 * ps);
	ATF_REQUIRE_MSG(madvise(p, 2 * ps, MADV_DONTNEED) == 0,
	    "madvise(MADV_DONTNEED): %s", strerror(errno));
	mc_require_readable(p, 2 * ps, "the range after MADV_DONTNEED");
	ATF_REQUIRE_EQ_MSG(mc_count_not(p, 2 * ps, 0), 0, "pages 0-1 after "
	    "MADV_DONTNEED: expected zeros, %zu bytes are not zero",
	    mc_count_not(p, 2 * ps, 0));
	ATF_REQUIRE_MSG(mc_all_bytes(p + 2 * ps, ps, 'x'), "page 2 (outside "
	    "the advised range) lost its data");
	ATF_REQUIRE(munmap(p, 3 * ps) == 0);
}

MC_TC(dontneed_private_file_rereads_file, "MADV-2",
    "MADV_DONTNEED on a private file mapping drops the private copies: the "
    "pages are read again from the up-to-date file")
{
	size_t ps = mc_pagesize();
	int fd = mc_make_file("dontneed.dat", 2);
	unsigned char *p = mc_map_fd(fd, 2 * ps, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE, 0);
	unsigned char *buf = malloc(ps);

	ATF_REQUIRE(buf != NULL);
	memset(p, 'x', 2 * ps); /* private copies of both pages */
	memset(buf, 'N', ps);   /* the file's page 1 changes meanwhile */
	ATF_REQUIRE(pwrite(fd, buf, ps, (off_t)ps) == (ssize_t)ps);
	ATF_REQUIRE_MSG(mc_all_bytes(p + ps, ps, 'x'), "the private copy of "
	    "page 1 changed when the file was written");
	ATF_REQUIRE_MSG(madvise(p, 2 * ps, MADV_DONTNEED) == 0,
	    "madvise(MADV_DONTNEED): %s", strerror(errno));
	mc_require_readable(p, 2 * ps, "the range after MADV_DONTNEED");
	ATF_REQUIRE_MSG(mc_all_bytes(p, ps, mc_pattern(0)), "page 0 after "
	    "MADV_DONTNEED: expected the file's bytes %#x, %zu bytes differ",
	    mc_pattern(0), mc_count_not(p, ps, mc_pattern(0)));
	ATF_REQUIRE_MSG(mc_all_bytes(p + ps, ps, 'N'), "page 1 after "
	    "MADV_DONTNEED: expected the file's current bytes 'N', %zu bytes "
	    "differ", mc_count_not(p + ps, ps, 'N'));
	mc_pread_all(fd, buf, ps, 0);
	ATF_REQUIRE_MSG(mc_all_bytes(buf, ps, mc_pattern(0)), "the private "
	    "write reached the file");
	free(buf);
	ATF_REQUIRE(munmap(p, 2 * ps) == 0);
	close(fd);
}

MC_TC(dontneed_shared_file_keeps_data, "MADV-3",
    "MADV_DONTNEED on a shared file mapping loses nothing: the pages are "
    "repopulated from the file, which holds the writes")
{
	size_t ps = mc_pagesize();
	int fd = mc_make_file("dontneed.dat", 2);
	unsigned char *p = mc_map_fd(fd, 2 * ps, PROT_READ | PROT_WRITE,
	    MAP_SHARED, 0);
	unsigned char *buf = malloc(ps);

	ATF_REQUIRE(buf != NULL);
	memset(p, 'w', ps);
	ATF_REQUIRE_MSG(madvise(p, 2 * ps, MADV_DONTNEED) == 0,
	    "madvise(MADV_DONTNEED): %s", strerror(errno));
	mc_require_readable(p, 2 * ps, "the range after MADV_DONTNEED");
	ATF_REQUIRE_MSG(mc_all_bytes(p, ps, 'w'), "page 0 after "
	    "MADV_DONTNEED: expected the written 'w', %zu bytes differ",
	    mc_count_not(p, ps, 'w'));
	ATF_REQUIRE_MSG(mc_all_bytes(p + ps, ps, mc_pattern(1)), "page 1 "
	    "after MADV_DONTNEED: expected the file's bytes");
	mc_pread_all(fd, buf, ps, 0);
	ATF_REQUIRE_MSG(mc_all_bytes(buf, ps, 'w'), "read() of page 0: "
	    "expected the written 'w'");
	free(buf);
	ATF_REQUIRE(munmap(p, 2 * ps) == 0);
	close(fd);
}

MC_TC(dontneed_shared_anon_keeps_data, "MADV-4",
    "MADV_DONTNEED on a shared anonymous mapping loses nothing: the pages "
    "are repopulated with their current contents, also for a process "
    "sharing them")
{
	size_t ps = mc_pagesize();
	unsigned char *p = mc_map_anon(2 * ps, PROT_READ | PROT_WRITE,
	    MAP_SHARED);
	struct reader_arg ra = { p, 's' };
	struct mc_child ch;
	uint64_t st;

	memset(p, 's', 2 * ps);
	mc_spawn(&ch, reader_child, &ra);
	mc_expect(&ch, &st, sizeof(st), "first touch");
	ATF_REQUIRE_MSG(madvise(p, 2 * ps, MADV_DONTNEED) == 0,
	    "madvise(MADV_DONTNEED): %s", strerror(errno));
	mc_require_readable(p, 2 * ps, "the range after MADV_DONTNEED");
	ATF_REQUIRE_MSG(mc_all_bytes(p, 2 * ps, 's'), "after MADV_DONTNEED "
	    "the caller reads %zu bytes that are not 's'",
	    mc_count_not(p, 2 * ps, 's'));
	st = reader_ask(&ch, ps);
	ATF_REQUIRE_EQ_MSG(st, 0, "after the parent's MADV_DONTNEED the "
	    "child reads page 1 with %ju bytes that are not 's' (%ju = "
	    "fault)", (uintmax_t)st, (uintmax_t)(UINT64_MAX - 1));
	reader_stop(&ch);
	ATF_REQUIRE(munmap(p, 2 * ps) == 0);
}

MC_TC(dontneed_after_fork_affects_only_caller, "MADV-5",
    "After fork, MADV_DONTNEED on a private anonymous mapping zero-fills "
    "it only in the calling process; the other keeps its data")
{
	size_t ps = mc_pagesize();
	unsigned char *p = mc_map_anon(2 * ps, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE);
	struct reader_arg ra = { p, 'P' };
	struct mc_child ch;
	uint64_t st;

	memset(p, 'P', 2 * ps);
	mc_spawn(&ch, reader_child, &ra);
	mc_expect(&ch, &st, sizeof(st), "first touch");
	ATF_REQUIRE_EQ_MSG(st, 0, "child: touching the inherited page "
	    "faulted (signal %ju)", (uintmax_t)(st >> 32));
	ATF_REQUIRE_MSG(madvise(p, 2 * ps, MADV_DONTNEED) == 0,
	    "madvise(MADV_DONTNEED): %s", strerror(errno));
	mc_require_readable(p, 2 * ps, "the range after MADV_DONTNEED");
	ATF_REQUIRE_EQ_MSG(mc_count_not(p, 2 * ps, 0), 0, "the caller reads "
	    "%zu non-zero bytes after MADV_DONTNEED",
	    mc_count_not(p, 2 * ps, 0));
	for (size_t i = 0; i < 2; i++) {
		st = reader_ask(&ch, i * ps);
		ATF_REQUIRE_EQ_MSG(st, 0, "after the parent's MADV_DONTNEED "
		    "the child's page %zu has %ju bytes that are not 'P' "
		    "(%ju = fault)", i, (uintmax_t)st,
		    (uintmax_t)(UINT64_MAX - 1));
	}
	reader_stop(&ch);
	ATF_REQUIRE(munmap(p, 2 * ps) == 0);
}

MC_TC(dontneed_locked_pages_einval, "MADV-6",
    "MADV_DONTNEED on locked pages fails with EINVAL and leaves the data")
{
	size_t ps = mc_pagesize();
	unsigned char *p = mc_map_anon(ps, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE);

	memset(p, 'L', ps);
	mc_mlock_or_skip(p, ps);
	MC_REQUIRE_ERR(madvise(p, ps, MADV_DONTNEED), EINVAL,
	    "madvise(MADV_DONTNEED) on a locked page");
	ATF_REQUIRE_MSG(mc_all_bytes(p, ps, 'L'), "the locked page lost its "
	    "data");
	ATF_REQUIRE(munlock(p, ps) == 0);
	ATF_REQUIRE(munmap(p, ps) == 0);
}

/* ---- MADV_DONTFORK / MADV_DOFORK -------------------------------------- */

MC_TC(dontfork_child_has_no_mapping, "MADV-7",
    "After MADV_DONTFORK the range is not inherited: in the child it is "
    "unmapped (SIGSEGV/SEGV_MAPERR); the parent keeps it")
{
	size_t ps = mc_pagesize();
	unsigned char *p = mc_map_anon(2 * ps, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE);
	struct reader_arg ra = { p, 'D' };
	struct mc_child ch;
	uint64_t st;

	memset(p, 'D', 2 * ps);
	ATF_REQUIRE_MSG(madvise(p, 2 * ps, MADV_DONTFORK) == 0,
	    "madvise(MADV_DONTFORK): %s", strerror(errno));
	mc_spawn(&ch, reader_child, &ra);
	mc_expect(&ch, &st, sizeof(st), "first touch");
	ATF_REQUIRE_MSG((int)(st >> 32) == SIGSEGV &&
	    (int)(uint32_t)st == SEGV_MAPERR, "child reading the "
	    "MADV_DONTFORK page: expected SIGSEGV/SEGV_MAPERR, got %s/%s",
	    mc_signame((int)(st >> 32)),
	    mc_codename((int)(st >> 32), (int)(uint32_t)st));
	st = reader_ask(&ch, ps);
	ATF_REQUIRE_EQ_MSG(st, UINT64_MAX - 1, "child reading page 1: "
	    "expected a fault, got a readable page (%ju bytes not 'D')",
	    (uintmax_t)st);
	reader_stop(&ch);
	ATF_REQUIRE_MSG(mc_all_bytes(p, 2 * ps, 'D'), "the parent's pages "
	    "changed");
	ATF_REQUIRE(munmap(p, 2 * ps) == 0);
}

MC_TC(dofork_restores_inheritance, "MADV-8",
    "MADV_DOFORK undoes MADV_DONTFORK: the child inherits the range with "
    "its contents")
{
	size_t ps = mc_pagesize();
	unsigned char *p = mc_map_anon(ps, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE);
	struct reader_arg ra = { p, 'E' };
	struct mc_child ch;
	uint64_t st;

	memset(p, 'E', ps);
	ATF_REQUIRE_MSG(madvise(p, ps, MADV_DONTFORK) == 0,
	    "madvise(MADV_DONTFORK): %s", strerror(errno));
	ATF_REQUIRE_MSG(madvise(p, ps, MADV_DOFORK) == 0,
	    "madvise(MADV_DOFORK): %s", strerror(errno));
	mc_spawn(&ch, reader_child, &ra);
	mc_expect(&ch, &st, sizeof(st), "first touch");
	ATF_REQUIRE_MSG(st == 0, "child reading the page after MADV_DOFORK: "
	    "expected no fault, got %s/%s", mc_signame((int)(st >> 32)),
	    mc_codename((int)(st >> 32), (int)(uint32_t)st));
	st = reader_ask(&ch, 0);
	ATF_REQUIRE_EQ_MSG(st, 0, "child: %ju bytes of the inherited page "
	    "are not 'E'", (uintmax_t)st);
	reader_stop(&ch);
	ATF_REQUIRE(munmap(p, ps) == 0);
}

/* ---- MADV_WIPEONFORK / MADV_KEEPONFORK -------------------------------- */

MC_TC(wipeonfork_child_reads_zeros, "MADV-9",
    "After MADV_WIPEONFORK the child sees the range zero-filled while the "
    "parent keeps its data")
{
	size_t ps = mc_pagesize();
	unsigned char *p = mc_map_anon(2 * ps, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE);
	struct reader_arg ra = { p, 0 };
	struct mc_child ch;
	uint64_t st;

	memset(p, 'W', 2 * ps);
	advise_or_skip(p, 2 * ps, MADV_WIPEONFORK, "MADV_WIPEONFORK");
	mc_spawn(&ch, reader_child, &ra);
	mc_expect(&ch, &st, sizeof(st), "first touch");
	ATF_REQUIRE_MSG(st == 0, "child reading the wiped range: expected no "
	    "fault, got %s/%s", mc_signame((int)(st >> 32)),
	    mc_codename((int)(st >> 32), (int)(uint32_t)st));
	for (size_t i = 0; i < 2; i++) {
		st = reader_ask(&ch, i * ps);
		ATF_REQUIRE_EQ_MSG(st, 0, "child: page %zu of the "
		    "MADV_WIPEONFORK range has %ju non-zero bytes (%ju = "
		    "fault)", i, (uintmax_t)st, (uintmax_t)(UINT64_MAX - 1));
	}
	reader_stop(&ch);
	ATF_REQUIRE_MSG(mc_all_bytes(p, 2 * ps, 'W'), "the parent's data "
	    "changed (%zu bytes not 'W')", mc_count_not(p, 2 * ps, 'W'));
	ATF_REQUIRE(munmap(p, 2 * ps) == 0);
}

MC_TC(wipeonfork_shared_or_file_einval, "MADV-10",
    "MADV_WIPEONFORK on a shared mapping or a file mapping fails with "
    "EINVAL")
{
	size_t ps = mc_pagesize();
	unsigned char *probe = mc_map_anon(ps, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE);
	unsigned char *sh = mc_map_anon(ps, PROT_READ | PROT_WRITE,
	    MAP_SHARED);
	int fd = mc_make_file("wipe.dat", 1);
	unsigned char *pf = mc_map_fd(fd, ps, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE, 0);

	advise_or_skip(probe, ps, MADV_WIPEONFORK, "MADV_WIPEONFORK");
	MC_REQUIRE_ERR(madvise(sh, ps, MADV_WIPEONFORK), EINVAL,
	    "madvise(MADV_WIPEONFORK) on a shared anonymous mapping");
	MC_REQUIRE_ERR(madvise(pf, ps, MADV_WIPEONFORK), EINVAL,
	    "madvise(MADV_WIPEONFORK) on a private file mapping");
	ATF_REQUIRE(munmap(probe, ps) == 0);
	ATF_REQUIRE(munmap(sh, ps) == 0);
	ATF_REQUIRE(munmap(pf, ps) == 0);
	close(fd);
}

static uint64_t
nonzero_in_page(void *p)
{
	return mc_count_not(p, mc_pagesize(), 0);
}

/*
 * Child of wipeonfork_setting_stays_in_child: writes 'C' into its (wiped)
 * range, forks a grandchild that counts the non-zero bytes it reads there.
 * Sends: the grandchild's count (UINT64_MAX when it failed), then the
 * number of the child's own bytes that are not 'C'.
 */
static int
wipe_grand_child(struct mc_child *self, void *arg)
{
	unsigned char *p = arg;
	size_t ps = mc_pagesize();
	uint64_t v;

	memset(p, 'C', ps);
	if (!mc_grandchild_u64(nonzero_in_page, p, &v))
		v = UINT64_MAX;
	mc_child_send_u64(self, v);
	mc_child_send_u64(self, mc_count_not(p, ps, 'C'));
	return 0;
}

MC_TC(wipeonfork_setting_stays_in_child, "MADV-11",
    "The MADV_WIPEONFORK setting is inherited: a child's own writes are "
    "wiped again for the grandchild")
{
	size_t ps = mc_pagesize();
	unsigned char *p = mc_map_anon(ps, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE);
	struct mc_child ch;
	uint64_t grand, own;

	memset(p, 'W', ps);
	advise_or_skip(p, ps, MADV_WIPEONFORK, "MADV_WIPEONFORK");
	mc_spawn(&ch, wipe_grand_child, p);
	mc_expect(&ch, &grand, sizeof(grand), "grandchild's count");
	mc_expect(&ch, &own, sizeof(own), "child's count");
	mc_reap_ok(&ch);
	ATF_REQUIRE_MSG(grand != UINT64_MAX, "the child could not run a "
	    "grandchild");
	ATF_REQUIRE_EQ_MSG(own, 0, "the child's own write did not stick "
	    "(%ju bytes not 'C')", (uintmax_t)own);
	ATF_REQUIRE_EQ_MSG(grand, 0, "grandchild: expected the child's 'C' "
	    "page wiped to zeros, %ju bytes are not zero", (uintmax_t)grand);
	ATF_REQUIRE(munmap(p, ps) == 0);
}

MC_TC(keeponfork_undoes_wipeonfork, "MADV-12",
    "MADV_KEEPONFORK undoes MADV_WIPEONFORK: the child inherits the data")
{
	size_t ps = mc_pagesize();
	unsigned char *p = mc_map_anon(ps, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE);
	struct reader_arg ra = { p, 'K' };
	struct mc_child ch;
	uint64_t st;

	memset(p, 'K', ps);
	advise_or_skip(p, ps, MADV_WIPEONFORK, "MADV_WIPEONFORK");
	ATF_REQUIRE_MSG(madvise(p, ps, MADV_KEEPONFORK) == 0,
	    "madvise(MADV_KEEPONFORK): %s", strerror(errno));
	mc_spawn(&ch, reader_child, &ra);
	mc_expect(&ch, &st, sizeof(st), "first touch");
	ATF_REQUIRE_EQ_MSG(st, 0, "child: touching the page faulted");
	st = reader_ask(&ch, 0);
	ATF_REQUIRE_EQ_MSG(st, 0, "child after MADV_KEEPONFORK: %ju bytes "
	    "are not 'K' (%ju = fault)", (uintmax_t)st,
	    (uintmax_t)(UINT64_MAX - 1));
	reader_stop(&ch);
	ATF_REQUIRE(munmap(p, ps) == 0);
}

/* ---- MADV_FREE -------------------------------------------------------- */

/*
 * MADV_FREE's freeing is lazy: it shows under reclaim.  MADV_PAGEOUT (5.4+)
 * asks for reclaim of a range now; without swap, the only anonymous pages
 * that can then leave memory are lazily freed ones, and they read zeros.
 * pageout() returns false when the kernel has no MADV_PAGEOUT (EINVAL);
 * any other error fails the case.
 */
static bool
pageout(void *p, size_t len)
{
	if (madvise(p, len, MADV_PAGEOUT) == 0)
		return true;
	ATF_REQUIRE_MSG(errno == EINVAL, "madvise(%p, %zu, MADV_PAGEOUT): %s",
	    p, len, strerror(errno));
	return false;
}

/* Why the freeing cannot be observed here, or NULL when it can. */
static const char *
freeing_unobservable(bool paged)
{
	long swap = mc_meminfo("SwapTotal");

	if (!paged)
		return "the kernel has no MADV_PAGEOUT (Linux 5.4+) to reclaim "
		    "the range on demand";
	if (swap < 0)
		return "/proc/meminfo has no SwapTotal: whether a page that was "
		    "not freed could be swapped out is unknown";
	if (swap > 0)
		return "swap is on: a page MADV_FREE did not free can be paged "
		    "out too, and reads its data back";
	return NULL;
}

/*
 * With swap on, reclaim may swap out a page that MADV_FREE did not free,
 * and that page reads its data back: the contents alone prove nothing.
 * pagemap tells the two apart before any access: a lazily freed page that
 * reclaim discarded is neither present nor swapped (bits 63 and 62
 * clear), a page holding data again is swapped out (bit 62). These cases
 * keep their thread on one CPU (pin_to_current_cpu, with the MADV_PAGEOUT
 * cases below): MADV_FREE queues a page in a per-CPU batch that moves it
 * to the lazily freed pages, and MADV_PAGEOUT drains only the batch of its
 * own CPU; a page left in another CPU's batch would be swapped out as
 * ordinary memory. MADV_PAGEOUT may skip a page that reclaim was busy
 * with, so it is asked up to FREE_PAGEOUT_ROUNDS times.
 */
#define FREE_PAGEOUT_ROUNDS 3

/*
 * Whether the swap path applies: SwapTotal > 0, unless a cgroup v2
 * memory.swap.max of 0 forbids this process to swap (a container on a
 * host with swap), where no page can be swapped out.
 */
static bool
swap_usable(void)
{
	char path[4200];

	return mc_meminfo("SwapTotal") > 0 &&
	    !mc_cgroup_forbids_swap(path, sizeof(path));
}

/* What pagemap says of a page after MADV_FREE and MADV_PAGEOUT. */
static const char *
free_state(uint64_t e)
{
	if (e & MC_PM_SWAP)
		return "swapped out (kept as data)";
	if (e & MC_PM_PRESENT)
		return "present (not reclaimed)";
	return "discarded";
}

/*
 * MADV-13 with swap on, on the n unwritten pages at p: every page written,
 * freed with MADV_FREE, then reclaimed with MADV_PAGEOUT must be discarded
 * (pagemap: neither present nor swapped) and read zeros. Ends the case.
 */
static void
free_discards_with_swap(unsigned char *p, size_t n)
{
	size_t ps = mc_pagesize(), freed = 0;
	bool paged;
	int round;

	mc_pin_to_current_cpu();
	for (size_t i = 0; i < n; i++)
		memset(p + i * ps, mc_pattern(i), ps);
	advise_or_skip(p, n * ps, MADV_FREE, "MADV_FREE");
	paged = pageout(p, n * ps);
	for (round = 1; paged; round++) {
		freed = 0;
		for (size_t i = 0; i < n; i++) {
			uint64_t e = mc_pagemap(p + i * ps);
			ATF_REQUIRE_MSG(!(e & MC_PM_SWAP), "page %zu after "
			    "MADV_FREE and MADV_PAGEOUT with swap on: expected "
			    "discarded (neither present nor swapped), it was "
			    "swapped out (pagemap entry %#jx): MADV_FREE did "
			    "not free it", i, (uintmax_t)e);
			freed += !(e & MC_PM_PRESENT);
		}
		if (freed == n || round == FREE_PAGEOUT_ROUNDS)
			break;
		ATF_REQUIRE(pageout(p, n * ps));
	}
	if (paged)
		ATF_REQUIRE_EQ_MSG(freed, n, "after MADV_FREE and %d "
		    "MADV_PAGEOUT calls with swap on: expected the %zu lazily "
		    "freed pages discarded (pagemap: neither present nor "
		    "swapped), %zu are; page 0 is %s", round, n, freed,
		    free_state(mc_pagemap(p)));
	mc_require_readable(p, n * ps, "the range after MADV_FREE");
	for (size_t i = 0; i < n; i++) {
		size_t old = mc_count_not(p + i * ps, ps, mc_pattern(i));
		size_t nz = mc_count_not(p + i * ps, ps, 0);
		ATF_REQUIRE_MSG(nz == 0 || (!paged && old == 0), "page %zu "
		    "after MADV_FREE%s: expected %s, %zu bytes differ from the "
		    "old data and %zu are not zero", i, paged ? " and "
		    "MADV_PAGEOUT (discarded)" : "", paged ? "all zero" :
		    "all old data or all zero", old, nz);
	}
	ATF_REQUIRE(munmap(p, n * ps) == 0);
	if (!paged)
		atf_tc_skip("every page read its old data or zeros, as "
		    "documented; that MADV_FREE freed them cannot be proved: "
		    "%s", freeing_unobservable(false));
	atf_tc_pass();
}

/*
 * MADV-14 with swap on, on the n unwritten pages at p: all written, freed
 * with MADV_FREE, the first 'half' written again. Under reclaim the pages
 * not written again must be discarded (neither present nor swapped, read
 * zeros) and the written ones swapped out (bit 62; the first MADV_PAGEOUT
 * may keep a page whose freeing a write cancelled in memory, the next
 * swaps it out) and read their data. Ends the case.
 */
static void
free_write_swaps_with_swap(unsigned char *p, size_t n, size_t half)
{
	size_t ps = mc_pagesize(), done = 0;
	bool paged;
	int round;

	mc_pin_to_current_cpu();
	memset(p, 'o', n * ps);
	advise_or_skip(p, n * ps, MADV_FREE, "MADV_FREE");
	for (size_t i = 0; i < half; i++)
		MC_REQUIRE_NO_FAULT(p + i * ps, MC_WRITE);
	memset(p, 'n', half * ps);
	paged = pageout(p, n * ps);
	for (round = 1; paged; round++) {
		done = 0;
		for (size_t i = 0; i < n; i++) {
			uint64_t e = mc_pagemap(p + i * ps);
			if (i < half) {
				ATF_REQUIRE_MSG((e & (MC_PM_SWAP |
				    MC_PM_PRESENT)) != 0, "page %zu, written "
				    "after MADV_FREE, after MADV_PAGEOUT with "
				    "swap on: discarded (pagemap entry %#jx): "
				    "the write did not cancel the freeing", i,
				    (uintmax_t)e);
				done += (e & MC_PM_SWAP) != 0;
			} else {
				ATF_REQUIRE_MSG(!(e & MC_PM_SWAP), "page %zu, "
				    "not written after MADV_FREE, after "
				    "MADV_PAGEOUT with swap on: expected "
				    "discarded, it was swapped out (pagemap "
				    "entry %#jx): MADV_FREE did not free it",
				    i, (uintmax_t)e);
				done += !(e & MC_PM_PRESENT);
			}
		}
		if (done == n || round == FREE_PAGEOUT_ROUNDS)
			break;
		ATF_REQUIRE(pageout(p, n * ps));
	}
	for (size_t i = 0; paged && i < n; i++) {
		uint64_t e = mc_pagemap(p + i * ps);
		bool ok = i < half ? (e & MC_PM_SWAP) != 0 :
		    !(e & (MC_PM_SWAP | MC_PM_PRESENT));
		ATF_REQUIRE_MSG(ok, "page %zu (%s after MADV_FREE), after %d "
		    "MADV_PAGEOUT calls with swap on: expected %s, pagemap "
		    "says %s (entry %#jx); SwapTotal %ld kB, SwapFree %ld "
		    "kB", i, i < half ? "written" : "not written", round,
		    i < half ? "swapped out" : "discarded", free_state(e),
		    (uintmax_t)e,
		    mc_meminfo("SwapTotal"), mc_meminfo("SwapFree"));
	}
	mc_require_readable(p, n * ps, "the range after MADV_FREE");
	ATF_REQUIRE_MSG(mc_all_bytes(p, half * ps, 'n'), "data written after "
	    "MADV_FREE was lost: %zu of the %zu bytes written are not 'n'",
	    mc_count_not(p, half * ps, 'n'), half * ps);
	for (size_t i = half; i < n; i++) {
		size_t old = mc_count_not(p + i * ps, ps, 'o');
		size_t nz = mc_count_not(p + i * ps, ps, 0);
		ATF_REQUIRE_MSG(nz == 0 || (!paged && old == 0), "page %zu "
		    "(not written after MADV_FREE%s): expected %s, %zu bytes "
		    "differ from 'o' and %zu are not zero", i, paged ?
		    ", discarded" : "", paged ? "all zero" :
		    "all 'o' or all zero", old, nz);
	}
	ATF_REQUIRE(munmap(p, n * ps) == 0);
	if (!paged)
		atf_tc_skip("the pages written after MADV_FREE kept their "
		    "data; that their neighbours were freed meanwhile (so "
		    "that the write did cancel a freeing) cannot be proved: "
		    "%s", freeing_unobservable(false));
	atf_tc_pass();
}

MC_TC(free_pages_read_old_data_or_zeros, "MADV-13",
    "After MADV_FREE each page reads either its old contents or zeros "
    "(whole page); under reclaim (MADV_PAGEOUT) the freed pages are "
    "discarded and read zeros (with swap on: pagemap shows them neither "
    "present nor swapped)")
{
	size_t ps = mc_pagesize(), n = 4, zero = 0;
	unsigned char *p = mc_map_anon(n * ps, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE);
	const char *why;
	bool paged;

	if (swap_usable())
		free_discards_with_swap(p, n);
	for (size_t i = 0; i < n; i++)
		memset(p + i * ps, mc_pattern(i), ps);
	advise_or_skip(p, n * ps, MADV_FREE, "MADV_FREE");
	paged = pageout(p, n * ps);
	mc_require_readable(p, n * ps, "the range after MADV_FREE");
	for (size_t i = 0; i < n; i++) {
		size_t old = mc_count_not(p + i * ps, ps, mc_pattern(i));
		size_t nz = mc_count_not(p + i * ps, ps, 0);
		ATF_REQUIRE_MSG(old == 0 || nz == 0, "page %zu after "
		    "MADV_FREE: expected all %#x or all zero, %zu bytes "
		    "differ from the old data and %zu are not zero", i,
		    mc_pattern(i), old, nz);
		zero += nz == 0;
	}
	ATF_REQUIRE(munmap(p, n * ps) == 0);
	why = freeing_unobservable(paged);
	if (why != NULL)
		atf_tc_skip("every page read its old data or zeros, as "
		    "documented; that MADV_FREE freed them cannot be proved: "
		    "%s", why);
	ATF_REQUIRE_EQ_MSG(zero, n, "after MADV_FREE and MADV_PAGEOUT with no "
	    "swap: expected the %zu lazily freed pages discarded (zeros), "
	    "%zu still hold their data: MADV_FREE freed nothing", n, n - zero);
}

MC_TC(free_then_write_keeps_data, "MADV-14",
    "A write after MADV_FREE cancels the freeing of that page: under "
    "reclaim (MADV_PAGEOUT) the written pages keep their data (with swap "
    "on: they are swapped out) while the pages not written again are "
    "discarded")
{
	size_t ps = mc_pagesize(), n = 4, half = 2, zero = 0;
	unsigned char *p = mc_map_anon(n * ps, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE);
	const char *why;
	bool paged;

	if (swap_usable())
		free_write_swaps_with_swap(p, n, half);
	memset(p, 'o', n * ps);
	advise_or_skip(p, n * ps, MADV_FREE, "MADV_FREE");
	for (size_t i = 0; i < half; i++)
		MC_REQUIRE_NO_FAULT(p + i * ps, MC_WRITE);
	memset(p, 'n', half * ps);
	paged = pageout(p, n * ps);
	mc_require_readable(p, n * ps, "the range after MADV_FREE");
	ATF_REQUIRE_MSG(mc_all_bytes(p, half * ps, 'n'), "data written after "
	    "MADV_FREE was lost: %zu of the %zu bytes written are not 'n'",
	    mc_count_not(p, half * ps, 'n'), half * ps);
	for (size_t i = half; i < n; i++) {
		size_t old = mc_count_not(p + i * ps, ps, 'o');
		size_t nz = mc_count_not(p + i * ps, ps, 0);
		ATF_REQUIRE_MSG(old == 0 || nz == 0, "page %zu (not written "
		    "after MADV_FREE): expected all 'o' or all zero, %zu bytes "
		    "differ from 'o' and %zu are not zero", i, old, nz);
		zero += nz == 0;
	}
	ATF_REQUIRE(munmap(p, n * ps) == 0);
	why = freeing_unobservable(paged);
	if (why != NULL)
		atf_tc_skip("the pages written after MADV_FREE kept their data; "
		    "that their neighbours were freed meanwhile (so that the "
		    "write did cancel a freeing) cannot be proved: %s", why);
	ATF_REQUIRE_EQ_MSG(zero, n - half, "after MADV_PAGEOUT with no swap: "
	    "expected the %zu pages not written again discarded (zeros), %zu "
	    "still hold their data: MADV_FREE freed nothing", n - half,
	    n - half - zero);
}

MC_TC(free_shared_or_file_einval, "MADV-15",
    "MADV_FREE on a shared mapping or a file mapping fails with EINVAL")
{
	size_t ps = mc_pagesize();
	unsigned char *probe = mc_map_anon(ps, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE);
	unsigned char *sh = mc_map_anon(ps, PROT_READ | PROT_WRITE,
	    MAP_SHARED);
	int fd = mc_make_file("free.dat", 1);
	unsigned char *pf = mc_map_fd(fd, ps, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE, 0);

	advise_or_skip(probe, ps, MADV_FREE, "MADV_FREE");
	sh[0] = 1;
	pf[0] = 1;
	MC_REQUIRE_ERR(madvise(sh, ps, MADV_FREE), EINVAL,
	    "madvise(MADV_FREE) on a shared anonymous mapping");
	MC_REQUIRE_ERR(madvise(pf, ps, MADV_FREE), EINVAL,
	    "madvise(MADV_FREE) on a private file mapping");
	ATF_REQUIRE_EQ_MSG(sh[0], 1, "the shared page changed");
	ATF_REQUIRE(munmap(probe, ps) == 0);
	ATF_REQUIRE(munmap(sh, ps) == 0);
	ATF_REQUIRE(munmap(pf, ps) == 0);
	close(fd);
}

/* ---- MADV_REMOVE ------------------------------------------------------ */

MC_TC(remove_shared_file_punches_hole, "MADV-16",
    "MADV_REMOVE on a shared mapping of a tmpfs (memfd) file frees the "
    "backing store: the range reads zeros through the mapping and read(), "
    "the file size is unchanged, other pages keep their data")
{
	size_t ps = mc_pagesize();
	int fd = mc_make_memfd("mmapconf-madvise", 3);
	unsigned char *p = mc_map_fd(fd, 3 * ps, PROT_READ | PROT_WRITE,
	    MAP_SHARED, 0);
	unsigned char *buf = malloc(ps);
	struct stat sb;

	ATF_REQUIRE(buf != NULL);
	ATF_REQUIRE_MSG(mc_all_bytes(p + ps, ps, mc_pattern(1)), "page 1 "
	    "does not hold the file's data before MADV_REMOVE");
	ATF_REQUIRE_MSG(madvise(p + ps, ps, MADV_REMOVE) == 0,
	    "madvise(MADV_REMOVE) on a shared memfd mapping: %s",
	    strerror(errno));
	mc_require_readable(p + ps, ps, "the range after MADV_REMOVE");
	ATF_REQUIRE_EQ_MSG(mc_count_not(p + ps, ps, 0), 0, "page 1 after "
	    "MADV_REMOVE: %zu bytes are not zero", mc_count_not(p + ps, ps, 0));
	mc_pread_all(fd, buf, ps, (off_t)ps);
	ATF_REQUIRE_EQ_MSG(mc_count_not(buf, ps, 0), 0, "read() of page 1 "
	    "after MADV_REMOVE: %zu bytes are not zero",
	    mc_count_not(buf, ps, 0));
	ATF_REQUIRE_MSG(mc_all_bytes(p, ps, mc_pattern(0)) &&
	    mc_all_bytes(p + 2 * ps, ps, mc_pattern(2)), "pages 0 and 2 "
	    "(outside the range) changed");
	ATF_REQUIRE(fstat(fd, &sb) == 0);
	ATF_REQUIRE_EQ_MSG(sb.st_size, (off_t)(3 * ps), "file size after "
	    "MADV_REMOVE: expected %zu, got %jd", 3 * ps,
	    (intmax_t)sb.st_size);
	free(buf);
	ATF_REQUIRE(munmap(p, 3 * ps) == 0);
	close(fd);
}

MC_TC(remove_shared_anon_zeroes_for_all, "MADV-17",
    "MADV_REMOVE on a shared anonymous mapping frees the pages for every "
    "process sharing them: another process then reads zeros")
{
	size_t ps = mc_pagesize();
	unsigned char *p = mc_map_anon(ps, PROT_READ | PROT_WRITE,
	    MAP_SHARED);
	struct reader_arg ra = { p, 0 };
	struct mc_child ch;
	uint64_t st;

	memset(p, 'S', ps);
	mc_spawn(&ch, reader_child, &ra);
	mc_expect(&ch, &st, sizeof(st), "first touch");
	st = reader_ask(&ch, 0);
	ATF_REQUIRE_EQ_MSG(st, ps, "child before MADV_REMOVE: expected the "
	    "parent's 'S' bytes (all %zu non-zero), %ju bytes are non-zero",
	    ps, (uintmax_t)st);
	ATF_REQUIRE_MSG(madvise(p, ps, MADV_REMOVE) == 0,
	    "madvise(MADV_REMOVE) on a shared anonymous mapping: %s",
	    strerror(errno));
	mc_require_readable(p, ps, "the range after MADV_REMOVE");
	ATF_REQUIRE_EQ_MSG(mc_count_not(p, ps, 0), 0, "caller after "
	    "MADV_REMOVE: %zu bytes are not zero", mc_count_not(p, ps, 0));
	st = reader_ask(&ch, 0);
	ATF_REQUIRE_EQ_MSG(st, 0, "child after the parent's MADV_REMOVE: "
	    "%ju bytes are not zero (%ju = fault)", (uintmax_t)st,
	    (uintmax_t)(UINT64_MAX - 1));
	reader_stop(&ch);
	ATF_REQUIRE(munmap(p, ps) == 0);
}

MC_TC(remove_private_mapping_eacces, "MADV-18",
    "MADV_REMOVE on a mapping that is not shared and writable (a private "
    "file mapping) fails with EACCES and the file keeps its data")
{
	size_t ps = mc_pagesize();
	int fd = mc_make_memfd("mmapconf-madvise", 1);
	unsigned char *p = mc_map_fd(fd, ps, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE, 0);
	unsigned char *buf = malloc(ps);

	ATF_REQUIRE(buf != NULL);
	MC_REQUIRE_ERR(madvise(p, ps, MADV_REMOVE), EACCES,
	    "madvise(MADV_REMOVE) on a private memfd mapping");
	mc_pread_all(fd, buf, ps, 0);
	ATF_REQUIRE_MSG(mc_all_bytes(buf, ps, mc_pattern(0)), "the file "
	    "lost its data");
	free(buf);
	ATF_REQUIRE(munmap(p, ps) == 0);
	close(fd);
}

/* ---- MADV_WILLNEED ---------------------------------------------------- */

MC_TC(willneed_accepted_contents_unchanged, "MADV-19",
    "MADV_WILLNEED is accepted on file and anonymous mappings and changes "
    "no contents")
{
	size_t ps = mc_pagesize(), n = 4;
	int fd = mc_make_file("willneed.dat", n);
	unsigned char *pf = mc_map_fd(fd, n * ps, PROT_READ, MAP_SHARED, 0);
	unsigned char *pa = mc_map_anon(n * ps, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE);

	memset(pa, 'a', n * ps);
	ATF_REQUIRE_MSG(madvise(pf, n * ps, MADV_WILLNEED) == 0,
	    "madvise(MADV_WILLNEED) on a file mapping: %s", strerror(errno));
	mc_require_readable(pf, n * ps, "the range after MADV_WILLNEED");
	ATF_REQUIRE_MSG(madvise(pa, n * ps, MADV_WILLNEED) == 0,
	    "madvise(MADV_WILLNEED) on an anonymous mapping: %s",
	    strerror(errno));
	mc_require_readable(pa, n * ps, "the range after MADV_WILLNEED");
	for (size_t i = 0; i < n; i++)
		ATF_REQUIRE_MSG(mc_all_bytes(pf + i * ps, ps, mc_pattern(i)),
		    "file page %zu does not read the file's bytes after "
		    "MADV_WILLNEED", i);
	ATF_REQUIRE_MSG(mc_all_bytes(pa, n * ps, 'a'), "the anonymous "
	    "pages changed after MADV_WILLNEED");
	ATF_REQUIRE(munmap(pf, n * ps) == 0);
	ATF_REQUIRE(munmap(pa, n * ps) == 0);
	close(fd);
}

/* ---- MADV_POPULATE_READ / MADV_POPULATE_WRITE ------------------------- */

MC_TC(populate_read_prefaults_readable, "MADV-20",
    "MADV_POPULATE_READ prefaults every page of the range readable: all "
    "are resident right after the call (mincore) and read as before")
{
	size_t ps = mc_pagesize(), n = 4;
	unsigned char *p = mc_map_anon(n * ps, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE);
	size_t before;

	mc_require_mincore_sees_untouched("prefaulting cannot be observed");
	before = mc_mincore_count(p, n * ps);
	ATF_REQUIRE_EQ_MSG(before, 0, "untouched mapping: expected 0 "
	    "resident pages, mincore says %zu", before);
	advise_or_skip(p, n * ps, MADV_POPULATE_READ, "MADV_POPULATE_READ");
	ATF_REQUIRE_EQ_MSG(mc_mincore_count(p, n * ps), n, "after "
	    "MADV_POPULATE_READ: expected %zu resident pages, mincore says "
	    "%zu", n, mc_mincore_count(p, n * ps));
	ATF_REQUIRE_EQ_MSG(mc_count_not(p, n * ps, 0), 0, "populated pages do "
	    "not read zeros");
	ATF_REQUIRE(munmap(p, n * ps) == 0);
}

MC_TC(populate_write_allocates_private_pages, "MADV-21",
    "MADV_POPULATE_WRITE prefaults every page writable: each page of a "
    "private anonymous mapping gets its own zeroed physical page (resident, "
    "counted in Rss, distinct PFNs)")
{
	size_t ps = mc_pagesize(), n = 4;
	unsigned char *p = mc_map_anon(n * ps, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE);
	uint64_t pfn[4];
	long rss;

	mc_require_smaps();
	advise_or_skip(p, n * ps, MADV_POPULATE_WRITE, "MADV_POPULATE_WRITE");
	ATF_REQUIRE_EQ_MSG(mc_mincore_count(p, n * ps), n, "after "
	    "MADV_POPULATE_WRITE: expected %zu resident pages, mincore says "
	    "%zu", n, mc_mincore_count(p, n * ps));
	rss = mc_smaps_kb(p, "Rss");
	ATF_REQUIRE_EQ_MSG(rss, (long)(n * ps / 1024), "smaps Rss after "
	    "MADV_POPULATE_WRITE: expected %zu kB, got %ld kB", n * ps / 1024,
	    rss);
	ATF_REQUIRE_EQ_MSG(mc_count_not(p, n * ps, 0), 0, "populated pages do "
	    "not read zeros");
	for (size_t i = 0; i < n; i++) {
		uint64_t e = mc_pagemap(p + i * ps);
		ATF_REQUIRE_MSG(e & MC_PM_PRESENT, "page %zu: not present in "
		    "pagemap after MADV_POPULATE_WRITE (entry %#jx)", i,
		    (uintmax_t)e);
		pfn[i] = e & MC_PM_PFN_MASK;
	}
	mc_require_pfns();
	for (size_t i = 0; i < n; i++)
		for (size_t j = i + 1; j < n; j++)
			ATF_REQUIRE_MSG(pfn[i] != pfn[j], "pages %zu and %zu "
			    "share PFN %#jx after MADV_POPULATE_WRITE", i, j,
			    (uintmax_t)pfn[i]);
	ATF_REQUIRE(munmap(p, n * ps) == 0);
}

MC_TC(populate_without_permission_einval, "MADV-22",
    "MADV_POPULATE_READ on a PROT_NONE mapping and MADV_POPULATE_WRITE on "
    "a PROT_READ mapping fail with EINVAL")
{
	size_t ps = mc_pagesize();
	unsigned char *probe = mc_map_anon(ps, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE);
	unsigned char *none = mc_map_anon(ps, PROT_NONE, MAP_PRIVATE);
	unsigned char *ro = mc_map_anon(ps, PROT_READ, MAP_PRIVATE);

	advise_or_skip(probe, ps, MADV_POPULATE_READ, "MADV_POPULATE_READ");
	advise_or_skip(probe, ps, MADV_POPULATE_WRITE, "MADV_POPULATE_WRITE");
	MC_REQUIRE_ERR(madvise(none, ps, MADV_POPULATE_READ), EINVAL,
	    "madvise(MADV_POPULATE_READ) on a PROT_NONE mapping");
	MC_REQUIRE_ERR(madvise(ro, ps, MADV_POPULATE_WRITE), EINVAL,
	    "madvise(MADV_POPULATE_WRITE) on a PROT_READ mapping");
	ATF_REQUIRE(munmap(probe, ps) == 0);
	ATF_REQUIRE(munmap(none, ps) == 0);
	ATF_REQUIRE(munmap(ro, ps) == 0);
}

MC_TC(populate_read_beyond_eof_efault, "MADV-23",
    "MADV_POPULATE_READ over file pages beyond EOF fails with EFAULT "
    "instead of raising SIGBUS")
{
	size_t ps = mc_pagesize();
	unsigned char *probe = mc_map_anon(ps, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE);
	int fd = mc_make_file("eof.dat", 1);
	unsigned char *p = mc_map_fd(fd, 2 * ps, PROT_READ, MAP_SHARED, 0);

	advise_or_skip(probe, ps, MADV_POPULATE_READ, "MADV_POPULATE_READ");
	/* A SIGBUS here would end the case as broken: that is a failure. */
	MC_REQUIRE_ERR(madvise(p, 2 * ps, MADV_POPULATE_READ), EFAULT,
	    "madvise(MADV_POPULATE_READ) over a page beyond EOF");
	{
		struct mc_fault f = mc_touch(p + ps, MC_READ);
		ATF_REQUIRE_MSG(f.signo == SIGBUS, "reading the page beyond "
		    "EOF: expected SIGBUS (so the EFAULT is for it), got %s",
		    mc_signame(f.signo));
	}
	ATF_REQUIRE(munmap(probe, ps) == 0);
	ATF_REQUIRE(munmap(p, 2 * ps) == 0);
	close(fd);
}

/* ---- MADV_COLD / MADV_PAGEOUT ------------------------------------------ */

/*
 * MADV_COLD and MADV_PAGEOUT (Linux 5.4+) are hints about reclaim: neither
 * may change what a page reads. Only MADV_PAGEOUT of clean file pages has
 * an effect that every kernel with the advice must show (MADV-30): without
 * swap an anonymous page cannot be paged out at all, so for anonymous
 * memory the cases assert only that nothing is lost.
 */

MC_TC(cold_keeps_contents, "MADV-28",
    "MADV_COLD is accepted on private anonymous, shared anonymous and "
    "shared file mappings and changes no contents")
{
	size_t ps = mc_pagesize(), n = 4;
	unsigned char *pa = mc_map_anon(n * ps, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE);
	unsigned char *sa = mc_map_anon(n * ps, PROT_READ | PROT_WRITE,
	    MAP_SHARED);
	int fd = mc_make_file("cold.dat", n);
	unsigned char *sf = mc_map_fd(fd, n * ps, PROT_READ | PROT_WRITE,
	    MAP_SHARED, 0);

	mc_fill_patterns(pa, n, 0);
	mc_fill_patterns(sa, n, 5);
	memset(sf, 'w', ps); /* a dirty page beside clean ones */
	advise_or_skip(pa, n * ps, MADV_COLD, "MADV_COLD");
	mc_require_patterns(pa, n, 0, "private anonymous pages after "
	    "MADV_COLD");
	ATF_REQUIRE_MSG(madvise(sa, n * ps, MADV_COLD) == 0, "madvise("
	    "MADV_COLD) on a shared anonymous mapping: %s", strerror(errno));
	mc_require_patterns(sa, n, 5, "shared anonymous pages after MADV_COLD");
	ATF_REQUIRE_MSG(madvise(sf, n * ps, MADV_COLD) == 0, "madvise("
	    "MADV_COLD) on a shared file mapping: %s", strerror(errno));
	mc_require_readable(sf, n * ps, "shared file pages after MADV_COLD");
	ATF_REQUIRE_MSG(mc_all_bytes(sf, ps, 'w'), "the written file page "
	    "after MADV_COLD: %zu bytes are not 'w'", mc_count_not(sf, ps,
	    'w'));
	mc_require_patterns(sf + ps, n - 1, 1, "clean shared file pages after "
	    "MADV_COLD");
	ATF_REQUIRE(munmap(pa, n * ps) == 0);
	ATF_REQUIRE(munmap(sa, n * ps) == 0);
	ATF_REQUIRE(munmap(sf, n * ps) == 0);
	close(fd);
}

MC_TC(pageout_anon_keeps_contents, "MADV-29",
    "MADV_PAGEOUT on private and shared anonymous mappings loses nothing: "
    "every page reads its contents afterwards, paged out or not")
{
	size_t ps = mc_pagesize(), n = 4;
	unsigned char *pa = mc_map_anon(n * ps, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE);
	unsigned char *sa = mc_map_anon(n * ps, PROT_READ | PROT_WRITE,
	    MAP_SHARED);

	mc_fill_patterns(pa, n, 0);
	mc_fill_patterns(sa, n, 7);
	advise_or_skip(pa, n * ps, MADV_PAGEOUT, "MADV_PAGEOUT");
	mc_require_patterns(pa, n, 0, "private anonymous pages after "
	    "MADV_PAGEOUT");
	ATF_REQUIRE_MSG(madvise(sa, n * ps, MADV_PAGEOUT) == 0, "madvise("
	    "MADV_PAGEOUT) on a shared anonymous mapping: %s",
	    strerror(errno));
	mc_require_patterns(sa, n, 7, "shared anonymous pages after "
	    "MADV_PAGEOUT");
	ATF_REQUIRE(munmap(pa, n * ps) == 0);
	ATF_REQUIRE(munmap(sa, n * ps) == 0);
}

MC_TC(pageout_private_file_reclaims_clean_pages, "MADV-30",
    "MADV_PAGEOUT on a private mapping of clean pages of a disk-backed file "
    "reclaims them: mincore reports none resident, and the next read gets "
    "the file's data")
{
	size_t ps = mc_pagesize(), n = 4, res;
	unsigned char *probe = mc_map_anon(ps, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE);
	unsigned char *p;
	int fd, e;

	probe[0] = 1;
	advise_or_skip(probe, ps, MADV_PAGEOUT, "MADV_PAGEOUT");
	mc_require_mincore_sees_untouched("reclaim cannot be observed");
	mc_pin_to_current_cpu();
	fd = mc_make_file("pageout.dat", n);
	ATF_REQUIRE_MSG(fsync(fd) == 0, "fsync: %s", strerror(errno));
	/*
	 * Whether clean pages of this file system can leave memory at all:
	 * tmpfs and ramfs keep them (tmpfs can only swap them out).
	 */
	e = posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
	ATF_REQUIRE_MSG(e == 0, "posix_fadvise(POSIX_FADV_DONTNEED): %s",
	    strerror(e));
	p = mc_map_fd(fd, n * ps, PROT_READ, MAP_PRIVATE, 0);
	res = mc_mincore_count(p, n * ps);
	if (res != 0)
		atf_tc_skip("the work directory's file system keeps clean file "
		    "pages in memory (%zu of %zu pages still resident after "
		    "fsync and POSIX_FADV_DONTNEED, as on tmpfs or ramfs): "
		    "reclaim of file pages cannot be observed", res, n);
	mc_require_patterns(p, n, 0, "file pages before MADV_PAGEOUT");
	res = mc_mincore_count(p, n * ps);
	ATF_REQUIRE_EQ_MSG(res, n, "after reading every page: expected %zu "
	    "resident pages, mincore says %zu", n, res);
	ATF_REQUIRE_MSG(madvise(p, n * ps, MADV_PAGEOUT) == 0, "madvise("
	    "MADV_PAGEOUT) on a private file mapping: %s", strerror(errno));
	res = mc_mincore_count(p, n * ps);
	ATF_REQUIRE_EQ_MSG(res, 0, "after MADV_PAGEOUT of %zu clean file "
	    "pages mapped by this process only: expected none resident, "
	    "mincore says %zu", n, res);
	mc_require_patterns(p, n, 0, "file pages read again after "
	    "MADV_PAGEOUT");
	ATF_REQUIRE(munmap(p, n * ps) == 0);
	ATF_REQUIRE(munmap(probe, ps) == 0);
	close(fd);
}

MC_TC(cold_pageout_locked_pages_einval, "MADV-31",
    "MADV_COLD and MADV_PAGEOUT on locked pages fail with EINVAL and the "
    "data stays")
{
	size_t ps = mc_pagesize();
	unsigned char *probe = mc_map_anon(ps, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE);
	unsigned char *p = mc_map_anon(ps, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE);

	probe[0] = 1;
	advise_or_skip(probe, ps, MADV_COLD, "MADV_COLD");
	advise_or_skip(probe, ps, MADV_PAGEOUT, "MADV_PAGEOUT");
	memset(p, 'L', ps);
	mc_mlock_or_skip(p, ps);
	MC_REQUIRE_ERR(madvise(p, ps, MADV_COLD), EINVAL,
	    "madvise(MADV_COLD) on a locked page");
	MC_REQUIRE_ERR(madvise(p, ps, MADV_PAGEOUT), EINVAL,
	    "madvise(MADV_PAGEOUT) on a locked page");
	mc_require_readable(p, ps, "the locked page after the failed calls");
	ATF_REQUIRE_MSG(mc_all_bytes(p, ps, 'L'), "the locked page lost its "
	    "data: %zu bytes are not 'L'", mc_count_not(p, ps, 'L'));
	ATF_REQUIRE(munlock(p, ps) == 0);
	ATF_REQUIRE(munmap(p, ps) == 0);
	ATF_REQUIRE(munmap(probe, ps) == 0);
}

/* ---- errors and Linux notes ------------------------------------------- */

MC_TC(unknown_advice_einval, "MADV-24",
    "An unknown advice value fails with EINVAL")
{
	size_t ps = mc_pagesize();
	unsigned char *p = mc_map_anon(ps, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE);

	p[0] = 'u';
	MC_REQUIRE_ERR(madvise(p, ps, 12345), EINVAL, "madvise(advice 12345)");
	MC_REQUIRE_ERR(madvise(p, ps, -1), EINVAL, "madvise(advice -1)");
	mc_require_readable(p, ps, "the page after the failed madvise calls");
	ATF_REQUIRE_EQ(p[0], 'u');
	ATF_REQUIRE(munmap(p, ps) == 0);
}

MC_TC(unaligned_addr_einval, "MADV-25",
    "An addr that is not page-aligned fails with EINVAL")
{
	size_t ps = mc_pagesize();
	unsigned char *p = mc_map_anon(2 * ps, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE);

	memset(p, 'a', 2 * ps);
	MC_REQUIRE_ERR(madvise(p + 1, ps, MADV_DONTNEED), EINVAL,
	    "madvise(addr + 1, MADV_DONTNEED)");
	MC_REQUIRE_ERR(madvise(p + ps / 2, ps, MADV_NORMAL), EINVAL,
	    "madvise(addr + page/2, MADV_NORMAL)");
	mc_require_readable(p, 2 * ps, "the range after the failed madvise "
	    "calls");
	ATF_REQUIRE_MSG(mc_all_bytes(p, 2 * ps, 'a'), "the failed "
	    "MADV_DONTNEED changed the data");
	ATF_REQUIRE(munmap(p, 2 * ps) == 0);
}

MC_TC(unmapped_range_enomem_rest_advised, "MADV-26",
    "A range holding unmapped pages fails with ENOMEM, yet the advice is "
    "applied to the mapped parts (Linux note)")
{
	size_t ps = mc_pagesize();
	unsigned char *p = mc_map_anon(3 * ps, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE);

	memset(p, 'h', 3 * ps);
	ATF_REQUIRE(munmap(p + ps, ps) == 0);
	MC_REQUIRE_ERR(madvise(p, 3 * ps, MADV_DONTNEED), ENOMEM,
	    "madvise(MADV_DONTNEED) over a hole");
	mc_require_readable(p, ps, "page 0 (before the hole)");
	mc_require_readable(p + 2 * ps, ps, "page 2 (after the hole)");
	ATF_REQUIRE_EQ_MSG(mc_count_not(p, ps, 0), 0, "page 0 (before the "
	    "hole): expected zeros, %zu bytes are not zero",
	    mc_count_not(p, ps, 0));
	ATF_REQUIRE_EQ_MSG(mc_count_not(p + 2 * ps, ps, 0), 0, "page 2 (after "
	    "the hole): expected zeros, %zu bytes are not zero",
	    mc_count_not(p + 2 * ps, ps, 0));
	MC_REQUIRE_ERR(madvise(p + ps, ps, MADV_NORMAL), ENOMEM,
	    "madvise(MADV_NORMAL) on the hole alone");
	ATF_REQUIRE(munmap(p, 3 * ps) == 0);
}

MC_TC(zero_length_succeeds, "MADV-27",
    "Length 0 is accepted (Linux note): madvise returns 0 and changes "
    "nothing")
{
	size_t ps = mc_pagesize();
	unsigned char *p = mc_map_anon(ps, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE);

	memset(p, 'z', ps);
	ATF_REQUIRE_MSG(madvise(p, 0, MADV_DONTNEED) == 0, "madvise(len 0, "
	    "MADV_DONTNEED): expected 0, got errno %d (%s)", errno,
	    strerror(errno));
	mc_require_readable(p, ps, "the page after madvise(len 0)");
	ATF_REQUIRE_MSG(mc_all_bytes(p, ps, 'z'), "madvise(len 0) changed "
	    "the page");
	ATF_REQUIRE(munmap(p, ps) == 0);
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, dontneed_private_anon_zero_fills);
	ATF_TP_ADD_TC(tp, dontneed_private_file_rereads_file);
	ATF_TP_ADD_TC(tp, dontneed_shared_file_keeps_data);
	ATF_TP_ADD_TC(tp, dontneed_shared_anon_keeps_data);
	ATF_TP_ADD_TC(tp, dontneed_after_fork_affects_only_caller);
	ATF_TP_ADD_TC(tp, dontneed_locked_pages_einval);
	ATF_TP_ADD_TC(tp, dontfork_child_has_no_mapping);
	ATF_TP_ADD_TC(tp, dofork_restores_inheritance);
	ATF_TP_ADD_TC(tp, wipeonfork_child_reads_zeros);
	ATF_TP_ADD_TC(tp, wipeonfork_shared_or_file_einval);
	ATF_TP_ADD_TC(tp, wipeonfork_setting_stays_in_child);
	ATF_TP_ADD_TC(tp, keeponfork_undoes_wipeonfork);
	ATF_TP_ADD_TC(tp, free_pages_read_old_data_or_zeros);
	ATF_TP_ADD_TC(tp, free_then_write_keeps_data);
	ATF_TP_ADD_TC(tp, free_shared_or_file_einval);
	ATF_TP_ADD_TC(tp, remove_shared_file_punches_hole);
	ATF_TP_ADD_TC(tp, remove_shared_anon_zeroes_for_all);
	ATF_TP_ADD_TC(tp, remove_private_mapping_eacces);
	ATF_TP_ADD_TC(tp, willneed_accepted_contents_unchanged);
	ATF_TP_ADD_TC(tp, populate_read_prefaults_readable);
	ATF_TP_ADD_TC(tp, populate_write_allocates_private_pages);
	ATF_TP_ADD_TC(tp, populate_without_permission_einval);
	ATF_TP_ADD_TC(tp, populate_read_beyond_eof_efault);
	ATF_TP_ADD_TC(tp, cold_keeps_contents);
	ATF_TP_ADD_TC(tp, pageout_anon_keeps_contents);
	ATF_TP_ADD_TC(tp, pageout_private_file_reclaims_clean_pages);
	ATF_TP_ADD_TC(tp, cold_pageout_locked_pages_einval);
	ATF_TP_ADD_TC(tp, unknown_advice_einval);
	ATF_TP_ADD_TC(tp, unaligned_addr_einval);
	ATF_TP_ADD_TC(tp, unmapped_range_enomem_rest_advised);
	ATF_TP_ADD_TC(tp, zero_length_succeeds);
	return atf_no_error();
}
