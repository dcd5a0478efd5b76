/*
 * t_enomem: what a mapping call leaves behind when the kernel cannot
 * allocate what it needs (ENOMEM: "internal kernel structures could not be
 * allocated", mprotect(2); EAGAIN for madvise(2)).  Each case makes every
 * allocation of one call fail in turn, systematically, as
 * Documentation/fault-injection/fault-injection.rst ("Systematic faults
 * using fail-nth") describes: for n = 1, 2, ... it writes n to
 * /proc/self/task/<tid>/fail-nth, makes the call on a fresh mapping, and
 * reads the file back (0: the n-th allocation was made to fail).  After
 * every failed call it checks that no data was lost, that the pages outside
 * the range are untouched and that the range is in the old state or (where
 * POSIX allows a partial change) the new one; after every successful call
 * the full effect.  It stops when the call no longer reaches an n-th
 * allocation.
 *
 * Needs a kernel with CONFIG_FAULT_INJECTION and CONFIG_FAILSLAB (the
 * coverage kernel of harness/campaigns/kcov has them; distribution kernels
 * usually do not: the cases skip there, probed by the missing fail-nth
 * file) and, because failslab ignores sleeping allocations by default, the
 * right to set /sys/kernel/debug/failslab/ignore-gfp-wait to N (root with
 * debugfs mounted).  The case saves ignore-gfp-wait and verbose in the work
 * directory first, holds an exclusive flock() on the knob while it owns
 * it, and restores both at exit and again in its cleanup.
 */
#include <sys/mman.h>
#include <sys/syscall.h>

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mc.h"
#include "mc_err.h"
#include "mc_vm.h"

#define FS_SAVE "failslab-saved"
/* More allocations than any of these calls makes (a few tens). */
#define MAX_NTH 400
#define LOCK_MS 20000

static const char *const fs_knobs[] = { "ignore-gfp-wait", "verbose" };
#define FS_NKNOBS (sizeof(fs_knobs) / sizeof(fs_knobs[0]))

static int nth_fd = -1;
static int lock_fd = -1;
static pid_t fs_owner;

/* ---- failslab's knobs: save, change, restore ------------------------- */

/*
 * failslab's debugfs directory ("<debugfs>/failslab/"): under the first
 * debugfs mount of /proc/self/mountinfo that has one (a system may mount
 * debugfs elsewhere than /sys/kernel/debug), else the usual place.
 */
static const char *
fs_dir(void)
{
	static char dir[512];
	char line[1024];
	FILE *f;

	if (dir[0] != '\0')
		return dir;
	snprintf(dir, sizeof(dir), "/sys/kernel/debug/failslab/");
	f = fopen("/proc/self/mountinfo", "re");
	if (f == NULL)
		return dir;
	while (fgets(line, sizeof(line), f) != NULL) {
		char mnt[400], type[64], try[512];
		const char *sep = strstr(line, " - ");

		if (sep == NULL || sscanf(sep, " - %63s", type) != 1 ||
		    strcmp(type, "debugfs") != 0 ||
		    sscanf(line, "%*s %*s %*s %*s %399s", mnt) != 1 ||
		    strchr(mnt, '\\') != NULL)
			continue;
		snprintf(try, sizeof(try), "%s/failslab/", mnt);
		if (access(try, F_OK) == 0) {
			snprintf(dir, sizeof(dir), "%s", try);
			break;
		}
	}
	fclose(f);
	return dir;
}


/* Read a knob's value (one word) into buf; false when unreadable. */
static bool
knob_read(const char *name, char *buf, size_t len)
{
	char path[600];
	FILE *f;
	bool ok;

	snprintf(path, sizeof(path), "%s%s", fs_dir(), name);
	f = fopen(path, "re");
	if (f == NULL)
		return false;
	ok = fscanf(f, "%31s", buf) == 1 && len > 31;
	fclose(f);
	return ok;
}

/* Write a knob: 0 or the errno. No ATF (the cleanup uses it). */
static int
knob_write(const char *name, const char *v)
{
	char path[600];
	int fd, e = 0;
	ssize_t n = (ssize_t)strlen(v);

	snprintf(path, sizeof(path), "%s%s", fs_dir(), name);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return errno;
	if (write(fd, v, (size_t)n) != n)
		e = errno != 0 ? errno : EIO;
	close(fd);
	return e;
}

/* Write back what FS_SAVE lists, then remove it; the number of errors. */
static int
fs_restore_file(void)
{
	FILE *f = fopen(FS_SAVE, "re");
	char name[32], v[32];
	int bad = 0;

	if (f == NULL)
		return 0;
	while (fscanf(f, "%31s %31s", name, v) == 2) {
		bool known = false;

		for (size_t i = 0; i < FS_NKNOBS; i++)
			known = known || strcmp(name, fs_knobs[i]) == 0;
		if (!known)
			continue;
		if (knob_write(name, v) != 0) {
			fprintf(stderr, "t_enomem: restoring %s%s=%s "
			    "failed: %s\n", fs_dir(), name, v, strerror(errno));
			bad++;
		}
	}
	fclose(f);
	if (bad == 0)
		unlink(FS_SAVE);
	return bad;
}

static void
fs_cleanup(void)
{
	(void)fs_restore_file();
}

static void
fs_atexit(void)
{
	if (fs_owner != 0 && fs_owner == getpid()) {
		if (nth_fd >= 0 && pwrite(nth_fd, "0", 1, 0) != 1)
			fprintf(stderr, "t_enomem: disarming fail-nth: %s\n",
			    strerror(errno));
		(void)fs_restore_file();
		fs_owner = 0;
	}
}

/*
 * Skip unless systematic fault injection works here; then own failslab's
 * knobs (flock, saved values) and make it fail sleeping allocations too,
 * quietly (verbose 0: no stack dump per injected fault).
 */
static void
inject_setup(void)
{
	char path[64], lock[600], v[FS_NKNOBS][32];
	FILE *f;
	int e;

	snprintf(path, sizeof(path), "/proc/self/task/%ld/fail-nth",
	    (long)syscall(SYS_gettid));
	nth_fd = open(path, O_RDWR | O_CLOEXEC);
	if (nth_fd < 0)
		atf_tc_skip("%s: %s: no fault injection in this kernel "
		    "(CONFIG_FAULT_INJECTION)", path, strerror(errno));
	for (size_t i = 0; i < FS_NKNOBS; i++)
		if (!knob_read(fs_knobs[i], v[i], sizeof(v[i])))
			atf_tc_skip("cannot read %s%s (%s): no failslab in "
			    "debugfs (CONFIG_FAILSLAB, "
			    "CONFIG_FAULT_INJECTION_DEBUG_FS, debugfs mounted)",
			    fs_dir(), fs_knobs[i], strerror(errno));
	snprintf(lock, sizeof(lock), "%signore-gfp-wait", fs_dir());
	lock_fd = open(lock, O_RDONLY | O_CLOEXEC);
	ATF_REQUIRE_MSG(lock_fd >= 0, "open(%s): %s", lock, strerror(errno));
	mc_flock_bounded(lock_fd, lock, LOCK_MS);
	/* re-read under the lock: those are the values to restore */
	for (size_t i = 0; i < FS_NKNOBS; i++)
		ATF_REQUIRE(knob_read(fs_knobs[i], v[i], sizeof(v[i])));
	f = fopen(FS_SAVE, "we");
	ATF_REQUIRE_MSG(f != NULL, "fopen(" FS_SAVE "): %s", strerror(errno));
	for (size_t i = 0; i < FS_NKNOBS; i++)
		fprintf(f, "%s %s\n", fs_knobs[i], v[i]);
	ATF_REQUIRE_MSG(fclose(f) == 0, "writing " FS_SAVE ": %s",
	    strerror(errno));
	fs_owner = getpid();
	atexit(fs_atexit);
	e = knob_write("ignore-gfp-wait", "N");
	if (e == EACCES || e == EPERM || e == EROFS)
		atf_tc_skip("cannot write %s (%s): failslab would ignore the "
		    "allocations of these calls", lock, strerror(e));
	ATF_REQUIRE_MSG(e == 0, "write N to %s: %s", lock, strerror(e));
	e = knob_write("verbose", "0");
	ATF_REQUIRE_MSG(e == 0, "write 0 to %sverbose: %s", fs_dir(),
	    strerror(e));
}

/* Arm the n-th fallible allocation of this thread (0: disarm). */
static void
nth_set(unsigned n)
{
	char buf[16];
	int len = snprintf(buf, sizeof(buf), "%u", n);

	ATF_REQUIRE_MSG(pwrite(nth_fd, buf, (size_t)len, 0) == len,
	    "write %u to fail-nth: %s", n, strerror(errno));
}

/* What is left of the armed count: 0 when the fault was injected. */
static unsigned
nth_left(void)
{
	char buf[16];
	ssize_t r = pread(nth_fd, buf, sizeof(buf) - 1, 0);

	ATF_REQUIRE_MSG(r > 0, "read fail-nth: %s", strerror(errno));
	buf[r] = '\0';
	return (unsigned)strtoul(buf, NULL, 10);
}

/* ---- one call with each of its allocations failing in turn ------------ */

struct st {
	unsigned char *p;   /* the mapping the call works on */
	unsigned char *dst; /* a second place (mremap) */
	size_t n;           /* its pages */
	bool moved;         /* the mapping is now at dst */
	int fd;
};

struct scen {
	const char *what;
	int want;                           /* the errno of a failure */
	void (*setup)(struct st *);
	int (*call)(struct st *);           /* 0 or the errno */
	void (*failed)(struct st *, unsigned nth);
	void (*succeeded)(struct st *, unsigned nth);
	void (*teardown)(struct st *);
};

static void
run_each_nth(const struct scen *sc)
{
	unsigned nth, failures = 0, tolerated = 0, left = 0;

	inject_setup();
	for (nth = 1; nth <= MAX_NTH; nth++) {
		struct st st = { .fd = -1 };
		int e;

		sc->setup(&st);
		nth_set(nth);
		e = sc->call(&st);
		left = nth_left();
		nth_set(0);
		if (e != 0) {
			ATF_REQUIRE_MSG(left == 0, "%s failed with %s though "
			    "no allocation was made to fail (fail-nth %u, %u "
			    "left)", sc->what, mc_errname(e), nth, left);
			ATF_REQUIRE_MSG(e == sc->want, "%s with its allocation "
			    "#%u failing: expected %s, got %s", sc->what, nth,
			    mc_errname(sc->want), mc_errname(e));
			failures++;
			sc->failed(&st, nth);
		} else {
			if (left == 0)
				tolerated++;
			sc->succeeded(&st, nth);
		}
		sc->teardown(&st);
		if (left != 0)
			break;
	}
	ATF_REQUIRE_MSG(nth <= MAX_NTH, "%s still reached an allocation to "
	    "fail after %d attempts", sc->what, MAX_NTH);
	ATF_REQUIRE_MSG(failures > 0, "%s never failed with %s when one of "
	    "its %u allocations was made to fail (%u failures tolerated): "
	    "the failure state could not be proved", sc->what,
	    mc_errname(sc->want), nth - 1, tolerated);
	printf("%s: %u allocations; %u made the call fail with %s, %u were "
	    "tolerated; the state was checked after each\n", sc->what,
	    nth - 1, failures, mc_errname(sc->want), tolerated);
}

/* The perms ("rw-p") of the mapping holding addr; "" when unmapped. */
static void
perms_at(const void *addr, char out[8])
{
	struct mc_maps_ent e;

	if (mc_maps_entry(addr, &e))
		memcpy(out, e.perms, 8);
	else
		out[0] = '\0';
}

static void
require_perms(const void *addr, const char *want, const char *what,
    unsigned nth)
{
	char got[8];

	perms_at(addr, got);
	ATF_REQUIRE_MSG(strncmp(got, want, 3) == 0, "%s (allocation #%u): "
	    "expected perms %.3s, /proc/self/maps has \"%s\"", what, nth,
	    want, got[0] != '\0' ? got : "(unmapped)");
}

static bool
mapped(const void *addr)
{
	uintptr_t s, e;

	return mc_maps_range(addr, &s, &e);
}

/* Three written pages between guard pages. */
static void
setup3(struct st *st)
{
	st->n = 3;
	st->p = mc_map_guarded(3, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1);
	mc_fill_patterns(st->p, 3, 0);
}

static void
teardown3(struct st *st)
{
	mc_unmap_guarded(st->p, st->n);
}

/* ENOMEM-1: mprotect of the middle page */

static int
call_mprotect_mid(struct st *st)
{
	return mprotect(st->p + mc_pagesize(), mc_pagesize(), PROT_READ) == 0 ?
	    0 : errno;
}

static void
failed_mprotect_mid(struct st *st, unsigned nth)
{
	size_t ps = mc_pagesize();
	char got[8];

	require_perms(st->p, "rw-", "page 0 after the failed mprotect", nth);
	require_perms(st->p + 2 * ps, "rw-", "page 2 after the failed "
	    "mprotect", nth);
	perms_at(st->p + ps, got);
	ATF_REQUIRE_MSG(strncmp(got, "rw-", 3) == 0 ||
	    strncmp(got, "r--", 3) == 0, "page 1 after mprotect(PROT_READ) "
	    "failed (allocation #%u): expected its old (rw-) or new (r--) "
	    "protection, /proc/self/maps has \"%s\"", nth,
	    got[0] != '\0' ? got : "(unmapped)");
	mc_require_patterns(st->p, 3, 0, "the pages after the failed mprotect");
	ATF_REQUIRE_MSG(call_mprotect_mid(st) == 0, "mprotect retried "
	    "without an injected fault (after #%u): %s", nth, strerror(errno));
	require_perms(st->p + ps, "r--", "page 1 after the retried mprotect",
	    nth);
}

static void
succeeded_mprotect_mid(struct st *st, unsigned nth)
{
	size_t ps = mc_pagesize();

	require_perms(st->p, "rw-", "page 0 after mprotect of page 1", nth);
	require_perms(st->p + ps, "r--", "page 1 after its mprotect", nth);
	require_perms(st->p + 2 * ps, "rw-", "page 2 after mprotect of "
	    "page 1", nth);
	mc_require_patterns(st->p, 3, 0, "the pages after mprotect");
}

MC_TC_CLEANUP(mprotect_split_enomem_keeps_state, "ENOMEM-1",
    "mprotect of the middle page of a mapping, with each kernel allocation "
    "it makes failing in turn, fails only with ENOMEM; after a failure "
    "every page keeps its data, the outer pages their protection, the "
    "middle page its old or the new one, and the call then succeeds",
    fs_cleanup)
{
	static const struct scen sc = { "mprotect(middle page, PROT_READ)",
	    ENOMEM, setup3, call_mprotect_mid, failed_mprotect_mid,
	    succeeded_mprotect_mid, teardown3 };

	run_each_nth(&sc);
}

/* ENOMEM-2: munmap of the middle page */

static int
call_munmap_mid(struct st *st)
{
	return munmap(st->p + mc_pagesize(), mc_pagesize()) == 0 ? 0 : errno;
}

static void
failed_munmap_mid(struct st *st, unsigned nth)
{
	size_t ps = mc_pagesize();

	mc_require_patterns(st->p, 1, 0, "page 0 after the failed munmap");
	mc_require_patterns(st->p + 2 * ps, 1, 2, "page 2 after the failed "
	    "munmap");
	ATF_REQUIRE_MSG(mapped(st->p + ps), "page 1 was unmapped by a munmap "
	    "that failed with ENOMEM (allocation #%u)", nth);
	mc_require_patterns(st->p + ps, 1, 1, "page 1 after the failed "
	    "munmap");
	ATF_REQUIRE_MSG(call_munmap_mid(st) == 0, "munmap retried without an "
	    "injected fault (after #%u): %s", nth, strerror(errno));
	ATF_REQUIRE_MSG(!mapped(st->p + ps), "page 1 still mapped after the "
	    "retried munmap");
}

static void
succeeded_munmap_mid(struct st *st, unsigned nth)
{
	size_t ps = mc_pagesize();

	ATF_REQUIRE_MSG(!mapped(st->p + ps), "page 1 still mapped after its "
	    "munmap succeeded (allocation #%u)", nth);
	mc_require_patterns(st->p, 1, 0, "page 0 after munmap of page 1");
	mc_require_patterns(st->p + 2 * ps, 1, 2, "page 2 after munmap of "
	    "page 1");
}

MC_TC_CLEANUP(munmap_split_enomem_unmaps_nothing, "ENOMEM-2",
    "munmap of the middle page of a mapping, with each kernel allocation "
    "it makes failing in turn, fails only with ENOMEM and then unmaps "
    "nothing: all three pages stay mapped with their data, and the call "
    "then succeeds", fs_cleanup)
{
	static const struct scen sc = { "munmap(middle page)", ENOMEM,
	    setup3, call_munmap_mid, failed_munmap_mid, succeeded_munmap_mid,
	    teardown3 };

	run_each_nth(&sc);
}

/* ENOMEM-3: mremap that moves a mapping */

static void
setup_move(struct st *st)
{
	setup3(st);
	st->dst = mc_free_hole(3);
}

static int
call_move(struct st *st)
{
	size_t len = 3 * mc_pagesize();
	void *q = mremap(st->p, len, len, MREMAP_MAYMOVE | MREMAP_FIXED,
	    st->dst);

	if (q == MAP_FAILED)
		return errno;
	ATF_REQUIRE_MSG(q == st->dst, "mremap(MREMAP_FIXED) returned %p, "
	    "asked %p", q, (void *)st->dst);
	return 0;
}

static void
failed_move(struct st *st, unsigned nth)
{
	ATF_REQUIRE_MSG(mapped(st->p) && mapped(st->p + 2 * mc_pagesize()),
	    "the source is not mapped after mremap failed (allocation #%u)",
	    nth);
	mc_require_patterns(st->p, 3, 0, "the source after the failed move");
	ATF_REQUIRE_MSG(!mapped(st->dst), "the destination %p is mapped after "
	    "the move failed (allocation #%u)", (void *)st->dst, nth);
	ATF_REQUIRE_MSG(call_move(st) == 0, "mremap retried without an "
	    "injected fault (after #%u): %s", nth, strerror(errno));
	mc_require_patterns(st->dst, 3, 0, "the destination after the "
	    "retried move");
	st->moved = true;
}

static void
succeeded_move(struct st *st, unsigned nth)
{
	ATF_REQUIRE_MSG(!mapped(st->p), "the source is still mapped after the "
	    "move succeeded (allocation #%u)", nth);
	mc_require_patterns(st->dst, 3, 0, "the destination after the move");
	st->moved = true;
}

static void
teardown_move(struct st *st)
{
	size_t ps = mc_pagesize();

	/* the source's guard pages and the source (or its hole) */
	ATF_REQUIRE(munmap(st->p - ps, 5 * ps) == 0);
	if (st->moved)
		ATF_REQUIRE(munmap(st->dst, 3 * ps) == 0);
}

MC_TC_CLEANUP(mremap_move_enomem_keeps_source, "ENOMEM-3",
    "mremap(MREMAP_MAYMOVE|MREMAP_FIXED) of a written mapping, with each "
    "kernel allocation it makes failing in turn, fails only with ENOMEM "
    "and then leaves the source mapped with its data and the destination "
    "unmapped; the move then succeeds", fs_cleanup)
{
	static const struct scen sc = { "mremap(move 3 pages)", ENOMEM,
	    setup_move, call_move, failed_move, succeeded_move,
	    teardown_move };

	run_each_nth(&sc);
}

/* ENOMEM-4: mremap that grows a mapping in place */

static void
setup_grow(struct st *st)
{
	size_t ps = mc_pagesize();

	/* 2 written pages, then a free page: room to grow by one */
	setup3(st);
	ATF_REQUIRE(munmap(st->p + 2 * ps, ps) == 0);
}

static int
call_grow(struct st *st)
{
	size_t ps = mc_pagesize();
	void *q = mremap(st->p, 2 * ps, 3 * ps, 0);

	if (q == MAP_FAILED)
		return errno;
	ATF_REQUIRE_MSG(q == st->p, "mremap without MREMAP_MAYMOVE moved the "
	    "mapping to %p", q);
	return 0;
}

static void
failed_grow(struct st *st, unsigned nth)
{
	size_t ps = mc_pagesize();

	mc_require_patterns(st->p, 2, 0, "the 2 pages after the failed grow");
	ATF_REQUIRE_MSG(!mapped(st->p + 2 * ps), "the third page is mapped "
	    "after mremap failed to grow the mapping (allocation #%u)", nth);
	ATF_REQUIRE_MSG(call_grow(st) == 0, "mremap grow retried without an "
	    "injected fault (after #%u): %s", nth, strerror(errno));
}

static void
succeeded_grow(struct st *st, unsigned nth)
{
	size_t ps = mc_pagesize();

	mc_require_patterns(st->p, 2, 0, "the 2 pages after the grow");
	ATF_REQUIRE_MSG(mapped(st->p + 2 * ps) &&
	    mc_count_not(st->p + 2 * ps, ps, 0) == 0, "after mremap grew the "
	    "mapping (allocation #%u) its new page is not a zero-filled "
	    "mapped page", nth);
}

static void
teardown_grow(struct st *st)
{
	size_t ps = mc_pagesize();

	/* the third page may be unmapped: munmap of a hole is fine */
	ATF_REQUIRE(munmap(st->p - ps, 5 * ps) == 0);
}

MC_TC_CLEANUP(mremap_grow_enomem_keeps_size, "ENOMEM-4",
    "mremap growing a written mapping in place, with each kernel "
    "allocation it makes failing in turn, fails only with ENOMEM and then "
    "leaves the mapping at its old size with its data; the grow then "
    "succeeds, the new page zero-filled", fs_cleanup)
{
	static const struct scen sc = { "mremap(grow 2 -> 3 pages in place)",
	    ENOMEM, setup_grow, call_grow, failed_grow, succeeded_grow,
	    teardown_grow };

	run_each_nth(&sc);
}

/* ENOMEM-5: mprotect that merges two mappings */

static void succeeded_merge(struct st *, unsigned);

static void
setup_merge(struct st *st)
{
	size_t ps = mc_pagesize();

	setup3(st);
	ATF_REQUIRE(mprotect(st->p + 2 * ps, ps, PROT_READ) == 0);
}

static int
call_merge(struct st *st)
{
	size_t ps = mc_pagesize();

	return mprotect(st->p + 2 * ps, ps, PROT_READ | PROT_WRITE) == 0 ?
	    0 : errno;
}

static void
failed_merge(struct st *st, unsigned nth)
{
	size_t ps = mc_pagesize();
	char got[8];

	require_perms(st->p, "rw-", "pages 0-1 after the failed mprotect",
	    nth);
	perms_at(st->p + 2 * ps, got);
	ATF_REQUIRE_MSG(strncmp(got, "r--", 3) == 0 ||
	    strncmp(got, "rw-", 3) == 0, "page 2 after mprotect(PROT_READ|"
	    "PROT_WRITE) failed (allocation #%u): expected r-- or rw-, "
	    "/proc/self/maps has \"%s\"", nth,
	    got[0] != '\0' ? got : "(unmapped)");
	mc_require_patterns(st->p, 3, 0, "the pages after the failed mprotect");
	ATF_REQUIRE_MSG(call_merge(st) == 0, "mprotect retried without an "
	    "injected fault (after #%u): %s", nth, strerror(errno));
	succeeded_merge(st, nth);
}

static void
succeeded_merge(struct st *st, unsigned nth)
{
	size_t ps = mc_pagesize();
	uintptr_t s, e;

	require_perms(st->p + 2 * ps, "rw-", "page 2 after its mprotect", nth);
	ATF_REQUIRE(mc_maps_range(st->p, &s, &e));
	ATF_REQUIRE_MSG(s == (uintptr_t)st->p && e == (uintptr_t)(st->p +
	    3 * ps), "after mprotect made page 2 like pages 0-1 (allocation "
	    "#%u) they should be one mapping %p-%p, /proc/self/maps has "
	    "%#jx-%#jx", nth, (void *)st->p, (void *)(st->p + 3 * ps),
	    (uintmax_t)s, (uintmax_t)e);
	mc_require_patterns(st->p, 3, 0, "the pages after the merge");
}

MC_TC_CLEANUP(mprotect_merge_enomem_keeps_state, "ENOMEM-5",
    "mprotect that gives a mapping the protection of its neighbour (a "
    "merge), with each kernel allocation it makes failing in turn, fails "
    "only with ENOMEM; after a failure the data is intact and the page has "
    "its old or the new protection, and the call then succeeds",
    fs_cleanup)
{
	static const struct scen sc = { "mprotect(merging page 2 into 0-1)",
	    ENOMEM, setup_merge, call_merge, failed_merge, succeeded_merge,
	    teardown3 };

	run_each_nth(&sc);
}

/* ENOMEM-6: madvise that splits a mapping: EAGAIN */

static int
call_dontfork_mid(struct st *st)
{
	return madvise(st->p + mc_pagesize(), mc_pagesize(), MADV_DONTFORK) ==
	    0 ? 0 : errno;
}

static void
failed_dontfork_mid(struct st *st, unsigned nth)
{
	mc_require_patterns(st->p, 3, 0, "the pages after the failed madvise");
	ATF_REQUIRE_MSG(call_dontfork_mid(st) == 0, "madvise(MADV_DONTFORK) "
	    "retried without an injected fault (after #%u): %s", nth,
	    strerror(errno));
}

static void
succeeded_dontfork_mid(struct st *st, unsigned nth)
{
	size_t ps = mc_pagesize();
	uintptr_t s, e;

	(void)nth;
	ATF_REQUIRE(mc_maps_range(st->p + ps, &s, &e));
	ATF_REQUIRE_MSG(s == (uintptr_t)(st->p + ps) &&
	    e == (uintptr_t)(st->p + 2 * ps), "after MADV_DONTFORK of page 1 "
	    "it should be a mapping of its own, /proc/self/maps has "
	    "%#jx-%#jx", (uintmax_t)s, (uintmax_t)e);
	mc_require_patterns(st->p, 3, 0, "the pages after madvise");
}

MC_TC_CLEANUP(madvise_split_eagain_keeps_data, "ENOMEM-6",
    "madvise(MADV_DONTFORK) of the middle page of a mapping, with each "
    "kernel allocation it makes failing in turn, fails only with EAGAIN "
    "(madvise(2): a kernel resource was temporarily unavailable), never "
    "ENOMEM; the data stays and the call then succeeds", fs_cleanup)
{
	static const struct scen sc = { "madvise(middle page, MADV_DONTFORK)",
	    EAGAIN, setup3, call_dontfork_mid, failed_dontfork_mid,
	    succeeded_dontfork_mid, teardown3 };

	run_each_nth(&sc);
}

/* ENOMEM-7: mmap(MAP_FIXED) over the middle page */

static int
call_fixed_mid(struct st *st)
{
	size_t ps = mc_pagesize();
	void *q = mmap(st->p + ps, ps, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS |
	    MAP_FIXED, -1, 0);

	if (q == MAP_FAILED)
		return errno;
	ATF_REQUIRE_MSG(q == st->p + ps, "mmap(MAP_FIXED) returned %p", q);
	return 0;
}

static void
failed_fixed_mid(struct st *st, unsigned nth)
{
	size_t ps = mc_pagesize();
	char got[8];

	mc_require_patterns(st->p, 1, 0, "page 0 after the failed mmap");
	mc_require_patterns(st->p + 2 * ps, 1, 2, "page 2 after the failed "
	    "mmap");
	require_perms(st->p, "rw-", "page 0 after the failed mmap", nth);
	require_perms(st->p + 2 * ps, "rw-", "page 2 after the failed mmap",
	    nth);
	/*
	 * mmap(2) says an overlapped mapping is discarded; a failed
	 * MAP_FIXED may leave the old page (Linux 6.12 restores it) or a
	 * hole, never anything else.
	 */
	perms_at(st->p + ps, got);
	if (got[0] != '\0') {
		ATF_REQUIRE_MSG(strncmp(got, "rw-", 3) == 0, "page 1 after "
		    "mmap(MAP_FIXED, PROT_READ) failed (allocation #%u): "
		    "expected the old rw- page or a hole, /proc/self/maps has "
		    "\"%s\"", nth, got);
		mc_require_patterns(st->p + ps, 1, 1, "page 1 after the "
		    "failed mmap");
	}
	ATF_REQUIRE_MSG(call_fixed_mid(st) == 0, "mmap(MAP_FIXED) retried "
	    "without an injected fault (after #%u): %s", nth, strerror(errno));
}

static void
succeeded_fixed_mid(struct st *st, unsigned nth)
{
	size_t ps = mc_pagesize();

	require_perms(st->p + ps, "r--", "page 1 after mmap(MAP_FIXED, "
	    "PROT_READ)", nth);
	ATF_REQUIRE_MSG(mc_count_not(st->p + ps, ps, 0) == 0, "page 1 after "
	    "mmap(MAP_FIXED) over it is not zero-filled (allocation #%u)", nth);
	mc_require_patterns(st->p, 1, 0, "page 0 after the mmap");
	mc_require_patterns(st->p + 2 * ps, 1, 2, "page 2 after the mmap");
}

MC_TC_CLEANUP(mmap_fixed_enomem_keeps_neighbours, "ENOMEM-7",
    "mmap(MAP_FIXED) of a new page over the middle page of a mapping, with "
    "each kernel allocation it makes failing in turn, fails only with "
    "ENOMEM; the pages around keep their data and protection, the middle "
    "one is its old page or a hole, and the call then succeeds",
    fs_cleanup)
{
	static const struct scen sc = { "mmap(MAP_FIXED over the middle "
	    "page)", ENOMEM, setup3, call_fixed_mid, failed_fixed_mid,
	    succeeded_fixed_mid, teardown3 };

	run_each_nth(&sc);
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, mprotect_split_enomem_keeps_state);
	ATF_TP_ADD_TC(tp, munmap_split_enomem_unmaps_nothing);
	ATF_TP_ADD_TC(tp, mremap_move_enomem_keeps_source);
	ATF_TP_ADD_TC(tp, mremap_grow_enomem_keeps_size);
	ATF_TP_ADD_TC(tp, mprotect_merge_enomem_keeps_state);
	ATF_TP_ADD_TC(tp, madvise_split_eagain_keeps_data);
	ATF_TP_ADD_TC(tp, mmap_fixed_enomem_keeps_neighbours);
	return atf_no_error();
}
