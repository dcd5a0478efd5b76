/*
 * t_ksm: Kernel Samepage Merging (Documentation/admin-guide/mm/ksm.rst,
 * madvise(2) MADV_MERGEABLE / MADV_UNMERGEABLE, prctl(2)
 * PR_SET_MEMORY_MERGE): identical private anonymous pages that are
 * mergeable end up on one physical page, a write breaks that for the
 * writer only, MADV_UNMERGEABLE undoes it, different contents are never
 * merged, zero-filled pages go to the zero page with use_zero_pages.
 *
 * Merging is done by the ksmd kernel thread, which runs only when
 * /sys/kernel/mm/ksm/run is 1: every case needs that file (CONFIG_KSM)
 * and the right to write it (root with a writable /sys), and skips
 * otherwise.  What a case changes there (run, pages_to_scan,
 * sleep_millisecs, use_zero_pages) is written to the file KSM_SAVE in the
 * work directory BEFORE anything changes; the body restores it at its end
 * (or, when it fails, at exit), and the case's cleanup restores it again
 * from the file when the body was killed.  Cases of this program (and of
 * parallel runs) take an exclusive flock() on /sys/kernel/mm/ksm/run
 * while they own the settings, so that one case never saves another's
 * values as "the original".
 *
 * Merging is proved with PFNs from /proc/self/pagemap (root in the
 * initial user namespace sees them; elsewhere the sysfs files are not
 * writable anyway), and where the kernel has it, with
 * /proc/self/ksm_merging_pages.  Waiting for ksmd is bounded: at most
 * KSM_DEADLINE_MS (qemu TCG is slow), then the case fails with what it saw
 * (full_scans before and after, the PFNs).
 */
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mc.h"
#include "mc_err.h"
#include "mc_proc.h"

/* include/uapi/linux/prctl.h (Linux 6.4), for older headers. */
#ifndef PR_SET_MEMORY_MERGE
#define PR_SET_MEMORY_MERGE 67
#endif
#ifndef PR_GET_MEMORY_MERGE
#define PR_GET_MEMORY_MERGE 68
#endif

#define KSM_SYSFS "/sys/kernel/mm/ksm/"
#define KSM_SAVE "ksm-saved"
/* How long to wait for ksmd: ~1 s on the host, qemu TCG is ~10x slower. */
#define KSM_DEADLINE_MS 15000
/* How long to wait for another case that owns the KSM settings. */
#define KSM_LOCK_MS 20000
/* Full scans of ksmd after which identical pages must have merged. */
#define KSM_SCANS 10
/* Pages per case: few, so that a full scan is quick. */
#define KSM_PAGES 16
/* The scan speed a case sets while it runs. */
#define KSM_PAGES_TO_SCAN 1000
#define KSM_SLEEP_MS 10
/* A byte that fills the identical pages (not 0: no zero-page merging). */
#define KSM_FILL 0xa5

/* The settings a case may change, restored in this order (run first). */
static const char *const ksm_knobs[] = {
	"run", "pages_to_scan", "sleep_millisecs", "use_zero_pages",
};
#define KSM_NKNOBS (sizeof(ksm_knobs) / sizeof(ksm_knobs[0]))

/* ---- the KSM settings: save, change, restore ------------------------- */

static int ksm_lock_fd = -1;
static pid_t ksm_owner;    /* the process that must restore at exit */
static bool ksm_saved_ok[KSM_NKNOBS];
static unsigned long ksm_saved[KSM_NKNOBS];

static bool
knob_read(const char *name, unsigned long *v)
{
	char path[128];

	snprintf(path, sizeof(path), KSM_SYSFS "%s", name);
	return mc_read_ulong_file(path, v);
}

/* Write v to the knob: 0 or the errno. No ATF (used by the cleanup). */
static int
knob_write(const char *name, unsigned long v)
{
	char path[128], buf[32];
	int fd, e = 0;
	int n = snprintf(buf, sizeof(buf), "%lu", v);

	snprintf(path, sizeof(path), KSM_SYSFS "%s", name);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return errno;
	if (write(fd, buf, (size_t)n) != n)
		e = errno != 0 ? errno : EIO;
	close(fd);
	return e;
}

static unsigned long
knob_get(const char *name)
{
	unsigned long v;

	ATF_REQUIRE_MSG(knob_read(name, &v), "cannot read " KSM_SYSFS "%s: %s",
	    name, strerror(errno));
	return v;
}

static void
knob_set(const char *name, unsigned long v)
{
	int e = knob_write(name, v);

	ATF_REQUIRE_MSG(e == 0, "write %lu to " KSM_SYSFS "%s: %s", v, name,
	    strerror(e));
}

static int
knob_index(const char *name)
{
	for (size_t i = 0; i < KSM_NKNOBS; i++)
		if (strcmp(name, ksm_knobs[i]) == 0)
			return (int)i;
	return -1;
}

/*
 * Write back every value listed in KSM_SAVE (only known knobs), then
 * remove the file. Returns the number of values that could not be
 * written (reported on stderr). No ATF: the cleanup and atexit use it.
 */
static int
ksm_restore_file(void)
{
	FILE *f = fopen(KSM_SAVE, "r");
	char name[64];
	unsigned long v;
	int bad = 0;

	if (f == NULL)
		return 0;
	while (fscanf(f, "%63s %lu", name, &v) == 2) {
		int e;

		if (knob_index(name) < 0)
			continue;
		e = knob_write(name, v);
		if (e != 0) {
			fprintf(stderr, "t_ksm: restoring " KSM_SYSFS "%s=%lu "
			    "failed: %s\n", name, v, strerror(e));
			bad++;
		}
	}
	fclose(f);
	if (bad == 0)
		unlink(KSM_SAVE);
	return bad;
}

/* The cleanup of every case: restore what a killed body left changed. */
static void
ksm_cleanup(void)
{
	(void)ksm_restore_file();
}

/* A body that ends by exit() (failure, skip) restores at once. */
static void
ksm_atexit(void)
{
	if (ksm_owner != 0 && ksm_owner == getpid()) {
		(void)ksm_restore_file();
		ksm_owner = 0;
	}
}

/*
 * Skip unless KSM can be used here: the sysfs directory (CONFIG_KSM), the
 * right to write run, MADV_MERGEABLE, and visible PFNs.
 */
static void
ksm_probe(void)
{
	const char *why;
	size_t ps = mc_pagesize();
	void *q;
	int fd;

	if (access(KSM_SYSFS "run", F_OK) != 0)
		atf_tc_skip(KSM_SYSFS "run: %s (a kernel without CONFIG_KSM, or "
		    "no sysfs)", strerror(errno));
	fd = open(KSM_SYSFS "run", O_RDWR | O_CLOEXEC);
	if (fd < 0 && (errno == EACCES || errno == EPERM || errno == EROFS))
		atf_tc_skip("cannot open " KSM_SYSFS "run for writing: %s "
		    "(starting ksmd needs root and a writable /sys)",
		    strerror(errno));
	ATF_REQUIRE_MSG(fd >= 0, "open(" KSM_SYSFS "run, O_RDWR): %s",
	    strerror(errno));
	close(fd);
	q = mc_map_anon(ps, PROT_READ | PROT_WRITE, MAP_PRIVATE);
	if (madvise(q, ps, MADV_MERGEABLE) != 0) {
		if (errno == EINVAL)
			mc_skip_unsupported("MADV_MERGEABLE", EINVAL);
		ATF_REQUIRE_MSG(false, "madvise(MADV_MERGEABLE) on a private "
		    "anonymous page: %s", strerror(errno));
	}
	ATF_REQUIRE(munmap(q, ps) == 0);
	if (!mc_pfns_visible(&why))
		atf_tc_skip("KSM merging is proved by PFNs, which are hidden "
		    "here: %s", why);
}

/*
 * Take the KSM settings: lock, save every knob to KSM_SAVE (before any
 * change), then start ksmd with a quick scan. use_zero: the value for
 * use_zero_pages, -1 to leave it alone.
 */
static void
ksm_start(int use_zero)
{
	FILE *f;

	ksm_lock_fd = open(KSM_SYSFS "run", O_RDONLY | O_CLOEXEC);
	ATF_REQUIRE_MSG(ksm_lock_fd >= 0, "open(" KSM_SYSFS "run): %s",
	    strerror(errno));
	mc_flock_bounded(ksm_lock_fd, KSM_SYSFS "run", KSM_LOCK_MS);
	ATF_REQUIRE_MSG(access(KSM_SAVE, F_OK) != 0, KSM_SAVE " exists "
	    "already in the work directory");
	for (size_t i = 0; i < KSM_NKNOBS; i++)
		ksm_saved_ok[i] = knob_read(ksm_knobs[i], &ksm_saved[i]);
	for (size_t i = 0; i < 3; i++) /* run, pages_to_scan, sleep */
		ATF_REQUIRE_MSG(ksm_saved_ok[i], "cannot read " KSM_SYSFS "%s",
		    ksm_knobs[i]);
	if (use_zero >= 0)
		ATF_REQUIRE_MSG(ksm_saved_ok[3], "cannot read " KSM_SYSFS
		    "use_zero_pages");
	f = fopen(KSM_SAVE, "w");
	ATF_REQUIRE_MSG(f != NULL, "fopen(" KSM_SAVE "): %s", strerror(errno));
	for (size_t i = 0; i < KSM_NKNOBS; i++)
		if (ksm_saved_ok[i])
			fprintf(f, "%s %lu\n", ksm_knobs[i], ksm_saved[i]);
	ATF_REQUIRE_MSG(fflush(f) == 0 && fsync(fileno(f)) == 0 &&
	    fclose(f) == 0, "writing " KSM_SAVE ": %s", strerror(errno));
	if (ksm_owner == 0) {
		static bool registered;

		if (!registered)
			ATF_REQUIRE(atexit(ksm_atexit) == 0);
		registered = true;
	}
	ksm_owner = getpid();
	knob_set("pages_to_scan", KSM_PAGES_TO_SCAN);
	knob_set("sleep_millisecs", KSM_SLEEP_MS);
	if (use_zero >= 0)
		knob_set("use_zero_pages", (unsigned long)use_zero);
	knob_set("run", 1);
}

/* Restore the settings and check that they read back as saved. */
static void
ksm_finish(void)
{
	int bad = ksm_restore_file();

	ksm_owner = 0;
	ATF_CHECK_EQ_MSG(bad, 0, "%d KSM settings could not be restored "
	    "(see stderr)", bad);
	for (size_t i = 0; i < KSM_NKNOBS; i++) {
		unsigned long v;

		if (!ksm_saved_ok[i])
			continue;
		ATF_CHECK_MSG(knob_read(ksm_knobs[i], &v) &&
		    v == ksm_saved[i], KSM_SYSFS "%s: expected the saved value "
		    "%lu back, reads %lu", ksm_knobs[i], ksm_saved[i], v);
	}
	close(ksm_lock_fd);
	ksm_lock_fd = -1;
}

/* ---- observing merging --------------------------------------------- */

/*
 * n identical pages: KSM_FILL everywhere, this process's pid in the first
 * bytes (so that no other process's pages are identical to them).
 */
static void
fill_identical(unsigned char *p, size_t n, pid_t tag)
{
	size_t ps = mc_pagesize();

	memset(p, KSM_FILL, n * ps);
	for (size_t i = 0; i < n; i++)
		memcpy(p + i * ps, &tag, sizeof(tag));
}

/* Bytes of page i that differ from what fill_identical wrote. */
static size_t
identical_mismatches(const unsigned char *p, size_t i, pid_t tag)
{
	size_t ps = mc_pagesize();
	const unsigned char *q = p + i * ps;
	size_t bad = memcmp(q, &tag, sizeof(tag)) != 0;

	return bad + mc_count_not(q + sizeof(tag), ps - sizeof(tag),
	    KSM_FILL);
}

/* The PFN all n pages share, 0 when they do not share one. No ATF. */
static uint64_t
common_pfn(const unsigned char *p, size_t n)
{
	size_t ps = mc_pagesize();
	uint64_t first = mc_pfn_try(p);

	if (first == 0)
		return 0;
	for (size_t i = 1; i < n; i++)
		if (mc_pfn_try(p + i * ps) != first)
			return 0;
	return first;
}

/* "0x1234 0x1234 ..." for the PFNs of the first pages, for messages. */
static const char *
pfn_list(const unsigned char *p, size_t n)
{
	static char buf[512];
	size_t ps = mc_pagesize(), off = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < n && i < 16 && off < sizeof(buf) - 24; i++)
		off += (size_t)snprintf(buf + off, sizeof(buf) - off,
		    "%s%#jx", i ? " " : "", (uintmax_t)mc_pfn_try(p + i * ps));
	return buf;
}

/* What ksmd did, for messages. */
static const char *
ksm_state(unsigned long scans0)
{
	static char buf[256];
	unsigned long scans = 0, sharing = 0, run = 0, man = 1;

	(void)knob_read("full_scans", &scans);
	(void)knob_read("pages_sharing", &sharing);
	(void)knob_read("run", &run);
	(void)knob_read("merge_across_nodes", &man);
	snprintf(buf, sizeof(buf), "run=%lu, full_scans %lu -> %lu, "
	    "pages_sharing %lu, merge_across_nodes %lu", run, scans0, scans,
	    sharing, man);
	return buf;
}

/*
 * Wait (at most KSM_DEADLINE_MS) until the n pages at p share one PFN,
 * equal to want when want is not 0; fail with what was seen otherwise.
 * Returns the PFN.
 */
static uint64_t
wait_merged(const unsigned char *p, size_t n, uint64_t want,
    const char *what)
{
	unsigned long scans0 = knob_get("full_scans");
	long start = mc_now_ms();

	for (;;) {
		uint64_t pfn = common_pfn(p, n);

		if (pfn != 0 && (want == 0 || pfn == want))
			return pfn;
		/*
		 * ksmd merges an unchanged page on its second or third pass
		 * (checksum, unstable tree, stable tree): after KSM_SCANS
		 * full scans that saw these pages, unmerged is a failure,
		 * not slowness.
		 */
		if (knob_get("full_scans") >= scans0 + KSM_SCANS ||
		    mc_now_ms() - start > KSM_DEADLINE_MS)
			break;
		mc_sleep_ms(20);
	}
	ATF_REQUIRE_MSG(false, "%s: the %zu pages were not merged onto %s "
	    "within %d full scans or %d ms (%s); their PFNs: %s", what, n,
	    want != 0 ? "the expected page" : "one page", KSM_SCANS,
	    KSM_DEADLINE_MS, ksm_state(scans0), pfn_list(p, n));
	return 0;
}

/* Wait (bounded) until ksmd completed k more full scans. */
static void
wait_full_scans(unsigned long k)
{
	unsigned long scans0 = knob_get("full_scans");
	long start = mc_now_ms();

	while (knob_get("full_scans") < scans0 + k) {
		ATF_REQUIRE_MSG(mc_now_ms() - start <= KSM_DEADLINE_MS, "ksmd did "
		    "not complete %lu full scans within %d ms (%s)", k,
		    KSM_DEADLINE_MS, ksm_state(scans0));
		mc_sleep_ms(20);
	}
}

/* /proc/self/ksm_merging_pages; -1 when the kernel has no such file. */
static long
merging_pages(void)
{
	unsigned long v;

	if (!mc_read_ulong_file("/proc/self/ksm_merging_pages", &v))
		return -1;
	return (long)v;
}

/* Require that the n pages at p all have different PFNs. */
static void
require_distinct_pfns(const unsigned char *p, size_t n, const char *what)
{
	size_t ps = mc_pagesize();

	for (size_t i = 0; i < n; i++) {
		uint64_t a = mc_pfn(p + i * ps);

		for (size_t j = i + 1; j < n; j++)
			ATF_REQUIRE_MSG(mc_pfn(p + j * ps) != a, "%s: pages "
			    "%zu and %zu share PFN %#jx (PFNs: %s)", what, i, j,
			    (uintmax_t)a, pfn_list(p, n));
	}
}

/*
 * After madvise(MADV_MERGEABLE) the mapping is registered with ksmd: smaps
 * VmFlags show "mg" (where smaps shows VmFlags at all).
 */
static void
require_mergeable_flag(const void *p)
{
	char flags[256];

	if (!mc_smaps_vmflags_try(p, flags, sizeof(flags)))
		return;
	ATF_REQUIRE_MSG(mc_has_vmflag(flags, "mg"), "after madvise("
	    "MADV_MERGEABLE) the mapping at %p is not mergeable: smaps "
	    "VmFlags \"%s\" lack mg", p, flags);
}

/* A mergeable range of n identical pages, merged (bounded wait). */
static unsigned char *
map_merged(size_t n, uint64_t *pfn)
{
	size_t ps = mc_pagesize();
	unsigned char *p = mc_map_anon(n * ps, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE);

	fill_identical(p, n, getpid());
	require_distinct_pfns(p, n, "identical pages before MADV_MERGEABLE");
	ATF_REQUIRE_MSG(madvise(p, n * ps, MADV_MERGEABLE) == 0,
	    "madvise(%p, %zu pages, MADV_MERGEABLE): %s", (void *)p, n,
	    strerror(errno));
	require_mergeable_flag(p);
	*pfn = wait_merged(p, n, 0, "identical MADV_MERGEABLE pages");
	return p;
}

/* ---- cases ------------------------------------------------------------- */

MC_TC_CLEANUP(mergeable_identical_pages_share_pfn, "KSM-1",
    "Identical private anonymous pages advised MADV_MERGEABLE are merged by "
    "ksmd onto one physical page, their contents intact", ksm_cleanup)
{
	size_t ps = mc_pagesize(), n = KSM_PAGES;
	uint64_t pfn;
	unsigned char *p;
	long mp;

	ksm_probe();
	ksm_start(-1);
	p = map_merged(n, &pfn);
	for (size_t i = 0; i < n; i++)
		ATF_REQUIRE_EQ_MSG(identical_mismatches(p, i, getpid()), 0,
		    "merged page %zu: %zu bytes differ from what was written",
		    i, identical_mismatches(p, i, getpid()));
	mp = merging_pages();
	ATF_REQUIRE_MSG(mp < 0 || mp == (long)n, "/proc/self/ksm_merging_pages: "
	    "expected %zu (the merged pages), reads %ld", n, mp);
	ksm_finish();
	ATF_REQUIRE(munmap(p, n * ps) == 0);
}

MC_TC_CLEANUP(write_to_merged_page_breaks_merge_for_writer, "KSM-2",
    "A write to one of several merged pages gives that page a new physical "
    "page with the old contents plus the write; the other pages keep the "
    "merged page and the old contents", ksm_cleanup)
{
	size_t ps = mc_pagesize(), n = KSM_PAGES, w = 3;
	uint64_t pfn, wpfn;
	unsigned char *p;
	pid_t tag = getpid();

	ksm_probe();
	ksm_start(-1);
	p = map_merged(n, &pfn);
	p[w * ps + 100] = 'W';
	wpfn = mc_pfn(p + w * ps);
	ATF_REQUIRE_MSG(wpfn != pfn, "page %zu after a write: expected a new "
	    "PFN, still the merged PFN %#jx", w, (uintmax_t)pfn);
	ATF_REQUIRE_MSG(p[w * ps + 100] == 'W', "page %zu lost the write",
	    w);
	p[w * ps + 100] = KSM_FILL; /* compare the rest of the copy */
	ATF_REQUIRE_EQ_MSG(identical_mismatches(p, w, tag), 0, "the written "
	    "page's copy: %zu bytes besides the write differ from the merged "
	    "contents", identical_mismatches(p, w, tag));
	for (size_t i = 0; i < n; i++) {
		if (i == w)
			continue;
		ATF_REQUIRE_MSG(mc_pfn(p + i * ps) == pfn, "page %zu: expected "
		    "to keep the merged PFN %#jx after the write to page %zu, "
		    "has %#jx", i, (uintmax_t)pfn, w,
		    (uintmax_t)mc_pfn(p + i * ps));
		ATF_REQUIRE_EQ_MSG(identical_mismatches(p, i, tag), 0,
		    "page %zu sees the write to page %zu (%zu bytes differ)",
		    i, w, identical_mismatches(p, i, tag));
	}
	ATF_REQUIRE_MSG(mc_pfn(p + w * ps) == wpfn, "the written page "
	    "changed PFN again (%#jx -> %#jx)", (uintmax_t)wpfn,
	    (uintmax_t)mc_pfn(p + w * ps));
	ksm_finish();
	ATF_REQUIRE(munmap(p, n * ps) == 0);
}

MC_TC_CLEANUP(unmergeable_unmerges_pages, "KSM-3",
    "MADV_UNMERGEABLE on merged pages gives each page its own physical page "
    "again at once, contents intact, and later scans that merge other pages "
    "do not merge them again",
    ksm_cleanup)
{
	size_t ps = mc_pagesize(), n = KSM_PAGES;
	uint64_t pfn;
	unsigned char *p, *q;
	pid_t tag = getpid();
	long mp;

	ksm_probe();
	ksm_start(-1);
	p = map_merged(n, &pfn);
	ATF_REQUIRE_MSG(madvise(p, n * ps, MADV_UNMERGEABLE) == 0,
	    "madvise(MADV_UNMERGEABLE): %s", strerror(errno));
	require_distinct_pfns(p, n, "right after MADV_UNMERGEABLE");
	for (size_t i = 0; i < n; i++) {
		ATF_REQUIRE_MSG(mc_pfn(p + i * ps) != pfn, "page %zu still "
		    "maps the merged PFN %#jx after MADV_UNMERGEABLE", i,
		    (uintmax_t)pfn);
		ATF_REQUIRE_EQ_MSG(identical_mismatches(p, i, getpid()), 0,
		    "page %zu after MADV_UNMERGEABLE: %zu bytes differ", i,
		    identical_mismatches(p, i, getpid()));
	}
	/*
	 * Later scans: ksmd forgets a process without mergeable areas (and
	 * stops counting full scans when none is left), so two new identical
	 * mergeable control pages keep it busy and prove that it still
	 * merges; the unmerged pages must stay apart meanwhile.
	 */
	q = mc_map_anon(2 * ps, PROT_READ | PROT_WRITE, MAP_PRIVATE);
	memset(q, 0x3c, 2 * ps);
	memcpy(q, &tag, sizeof(tag));
	memcpy(q + ps, &tag, sizeof(tag));
	ATF_REQUIRE_MSG(madvise(q, 2 * ps, MADV_MERGEABLE) == 0,
	    "madvise(control pages, MADV_MERGEABLE): %s", strerror(errno));
	require_mergeable_flag(q);
	(void)wait_merged(q, 2, 0, "two identical control pages mapped after "
	    "MADV_UNMERGEABLE");
	wait_full_scans(2);
	require_distinct_pfns(p, n, "after ksmd merged new control pages and "
	    "ran two more full scans");
	mp = merging_pages();
	ATF_REQUIRE_MSG(mp < 0 || mp == 2, "/proc/self/ksm_merging_pages after "
	    "MADV_UNMERGEABLE and two full scans: expected 2 (the control "
	    "pages only), reads %ld", mp);
	ATF_REQUIRE(munmap(q, 2 * ps) == 0);
	ksm_finish();
	ATF_REQUIRE(munmap(p, n * ps) == 0);
}

/* PR_SET_MEMORY_MERGE, 1: 0 or the errno (probe in a grandchild). */
static uint64_t
try_memory_merge(void *arg)
{
	(void)arg;
	if (prctl(PR_SET_MEMORY_MERGE, 1, 0, 0, 0) == 0)
		return 0;
	return (uint64_t)errno;
}

/* Child reports of prctl_child, in this order. */
#define PRCTL_NO_SMAPS 2
struct prctl_report {
	uint64_t set_errno;  /* 0: PR_SET_MEMORY_MERGE succeeded */
	uint64_t get;        /* PR_GET_MEMORY_MERGE, or UINT64_MAX - errno */
	uint64_t mg;         /* "mg" in VmFlags: 1, 0, PRCTL_NO_SMAPS */
	uint64_t pfn;        /* the common PFN, 0: never merged */
	uint64_t mismatches; /* content check after merging */
	uint64_t waited_ms;
	uint64_t pfn_list[4];
};

/*
 * Child: PR_SET_MEMORY_MERGE, then a new private anonymous mapping of
 * identical pages without any madvise(MADV_MERGEABLE); wait (bounded)
 * until ksmd merged them, report.
 */
static int
prctl_child(struct mc_child *self, void *arg)
{
	size_t ps = mc_pagesize(), n = KSM_PAGES;
	struct prctl_report r;
	unsigned char *p;
	char flags[512];
	long start, g;

	(void)arg;
	memset(&r, 0, sizeof(r));
	if (prctl(PR_SET_MEMORY_MERGE, 1, 0, 0, 0) != 0) {
		r.set_errno = (uint64_t)errno;
		mc_send(self, &r, sizeof(r));
		return 0;
	}
	g = prctl(PR_GET_MEMORY_MERGE, 0, 0, 0, 0);
	r.get = g >= 0 ? (uint64_t)g : UINT64_MAX - (uint64_t)errno;
	p = mmap(NULL, n * ps, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return 10;
	if (madvise(p, n * ps, MADV_NOHUGEPAGE) != 0 && errno != EINVAL)
		return 11;
	fill_identical(p, n, getpid());
	if (mc_smaps_vmflags_try(p, flags, sizeof(flags)))
		r.mg = mc_has_vmflag(flags, "mg");
	else
		r.mg = PRCTL_NO_SMAPS;
	start = mc_now_ms();
	while ((r.pfn = common_pfn(p, n)) == 0 &&
	    mc_now_ms() - start <= KSM_DEADLINE_MS)
		mc_sleep_ms(20);
	r.waited_ms = (uint64_t)(mc_now_ms() - start);
	for (size_t i = 0; i < n; i++)
		r.mismatches += identical_mismatches(p, i, getpid());
	for (size_t i = 0; i < 4; i++)
		r.pfn_list[i] = mc_pfn_try(p + i * ps);
	mc_send(self, &r, sizeof(r));
	return 0;
}

MC_TC_CLEANUP(prctl_memory_merge_without_madvise, "KSM-4",
    "After prctl(PR_SET_MEMORY_MERGE, 1) PR_GET_MEMORY_MERGE returns 1 and "
    "the process's new private anonymous pages are merged by ksmd without "
    "MADV_MERGEABLE", ksm_cleanup)
{
	struct prctl_report r;
	struct mc_child ch;
	unsigned long scans0;
	uint64_t e;

	ksm_probe();
	ATF_REQUIRE_MSG(mc_grandchild_u64(try_memory_merge, NULL, &e),
	    "probe child for PR_SET_MEMORY_MERGE did not report");
	if (e == EINVAL)
		mc_skip_unsupported("prctl(PR_SET_MEMORY_MERGE)", EINVAL);
	if (e == EPERM)
		atf_tc_skip("prctl(PR_SET_MEMORY_MERGE, 1): EPERM (it needs "
		    "CAP_SYS_RESOURCE, which this process lacks)");
	ATF_REQUIRE_MSG(e == 0, "prctl(PR_SET_MEMORY_MERGE, 1): expected "
	    "success, got errno %ju (%s)", (uintmax_t)e, strerror((int)e));
	ksm_start(-1);
	scans0 = knob_get("full_scans");
	mc_spawn(&ch, prctl_child, NULL);
	if (!mc_recv(&ch, &r, sizeof(r), KSM_DEADLINE_MS + 10000)) {
		int st = mc_reap(&ch, 0);

		ATF_REQUIRE_MSG(false, "the child did not report within %d ms "
		    "(wait status %#x)", KSM_DEADLINE_MS + 10000, st);
	}
	mc_reap_ok(&ch);
	ATF_REQUIRE_MSG(r.set_errno == 0, "prctl(PR_SET_MEMORY_MERGE, 1) in "
	    "the child: errno %ju (%s), though the probe succeeded",
	    (uintmax_t)r.set_errno, strerror((int)r.set_errno));
	ATF_REQUIRE_MSG(r.get == 1, "PR_GET_MEMORY_MERGE after setting it: "
	    "expected 1, got %jd", (intmax_t)r.get);
	ATF_REQUIRE_MSG(r.mg != 0, "smaps VmFlags of the child's new mapping "
	    "lack 'mg' (VM_MERGEABLE)");
	ATF_REQUIRE_MSG(r.pfn != 0, "the child's %d identical pages were not "
	    "merged within %ju ms (%s); PFNs of its first pages: %#jx %#jx "
	    "%#jx %#jx", KSM_PAGES, (uintmax_t)r.waited_ms, ksm_state(scans0),
	    (uintmax_t)r.pfn_list[0], (uintmax_t)r.pfn_list[1],
	    (uintmax_t)r.pfn_list[2], (uintmax_t)r.pfn_list[3]);
	ATF_REQUIRE_EQ_MSG(r.mismatches, 0, "the child's merged pages: %ju "
	    "bytes differ from what it wrote", (uintmax_t)r.mismatches);
	ksm_finish();
	if (r.mg == PRCTL_NO_SMAPS)
		atf_tc_skip("merging proved; the VM_MERGEABLE flag could not be "
		    "checked: no VmFlags in /proc/self/smaps");
}

/* The PFN a read of an untouched private anonymous page maps; 0: none. */
static uint64_t
zero_page_pfn(void)
{
	size_t ps = mc_pagesize();
	unsigned char *a = mc_map_anon(ps, PROT_READ, MAP_PRIVATE);
	unsigned char *b = mc_map_anon(ps, PROT_READ, MAP_PRIVATE);
	uint64_t pa, pb;

	mc_require_readable(a, ps, "an untouched anonymous page");
	mc_require_readable(b, ps, "an untouched anonymous page");
	pa = mc_pfn_try(a);
	pb = mc_pfn_try(b);
	ATF_REQUIRE(munmap(a, ps) == 0 && munmap(b, ps) == 0);
	return pa != 0 && pa == pb ? pa : 0;
}

MC_TC_CLEANUP(use_zero_pages_merges_onto_zero_page, "KSM-5",
    "With use_zero_pages=1, zero-filled MADV_MERGEABLE pages are merged "
    "onto the zero page (the PFN a read of an untouched page maps), read as "
    "zeros, and a write gives only the writer a new page", ksm_cleanup)
{
	size_t ps = mc_pagesize(), n = KSM_PAGES;
	unsigned char *p;
	uint64_t zpfn;

	ksm_probe();
	if (access(KSM_SYSFS "use_zero_pages", F_OK) != 0)
		atf_tc_skip(KSM_SYSFS "use_zero_pages: %s (not in this kernel)",
		    strerror(errno));
	zpfn = zero_page_pfn();
	if (zpfn == 0)
		atf_tc_skip("a read of an untouched anonymous page does not map "
		    "one shared zero page here: nothing to merge onto");
	ksm_start(1);
	p = mc_map_anon(n * ps, PROT_READ | PROT_WRITE, MAP_PRIVATE);
	memset(p, 0xff, n * ps);
	memset(p, 0, n * ps);
	require_distinct_pfns(p, n, "zero-filled pages before merging");
	for (size_t i = 0; i < n; i++)
		ATF_REQUIRE_MSG(mc_pfn(p + i * ps) != zpfn, "written page %zu "
		    "maps the zero page before merging", i);
	ATF_REQUIRE_MSG(madvise(p, n * ps, MADV_MERGEABLE) == 0,
	    "madvise(MADV_MERGEABLE): %s", strerror(errno));
	require_mergeable_flag(p);
	(void)wait_merged(p, n, zpfn, "zero-filled MADV_MERGEABLE pages with "
	    "use_zero_pages=1");
	ATF_REQUIRE_EQ_MSG(mc_count_not(p, n * ps, 0), 0, "pages merged onto "
	    "the zero page: %zu bytes are not zero", mc_count_not(p, n * ps,
	    0));
	p[5] = 'W';
	ATF_REQUIRE_MSG(mc_pfn(p) != zpfn, "page 0 after a write still maps "
	    "the zero page PFN %#jx", (uintmax_t)zpfn);
	ATF_REQUIRE_MSG(p[5] == 'W' && mc_count_not(p, ps, 0) == 1,
	    "page 0 after writing one byte: expected that byte and zeros, %zu "
	    "bytes are not zero", mc_count_not(p, ps, 0));
	for (size_t i = 1; i < n; i++)
		ATF_REQUIRE_MSG(mc_pfn(p + i * ps) == zpfn, "page %zu: expected "
		    "to stay on the zero page after the write to page 0, has "
		    "PFN %#jx", i, (uintmax_t)mc_pfn(p + i * ps));
	ATF_REQUIRE_EQ_MSG(mc_count_not(p + ps, (n - 1) * ps, 0), 0,
	    "the other pages see the write to page 0");
	ksm_finish();
	ATF_REQUIRE(munmap(p, n * ps) == 0);
}

MC_TC_CLEANUP(different_contents_never_merged, "KSM-6",
    "Mergeable pages that differ (here in one byte) keep distinct physical "
    "pages through full scans in which identical pages of the same range "
    "were merged", ksm_cleanup)
{
	size_t ps = mc_pagesize(), n = KSM_PAGES, nd = KSM_PAGES - 2;
	unsigned char *p;
	uint64_t ctl;
	pid_t tag = getpid();

	ksm_probe();
	ksm_start(-1);
	p = mc_map_anon(n * ps, PROT_READ | PROT_WRITE, MAP_PRIVATE);
	/* Pages 0..nd-1: the same bytes but the last one; nd, nd+1: twins. */
	fill_identical(p, nd, tag);
	for (size_t i = 0; i < nd; i++)
		p[i * ps + ps - 1] = (unsigned char)i;
	memset(p + nd * ps, 0x3c, 2 * ps);
	memcpy(p + nd * ps, &tag, sizeof(tag));
	memcpy(p + (nd + 1) * ps, &tag, sizeof(tag));
	ATF_REQUIRE_MSG(madvise(p, n * ps, MADV_MERGEABLE) == 0,
	    "madvise(MADV_MERGEABLE): %s", strerror(errno));
	require_mergeable_flag(p);
	ctl = wait_merged(p + nd * ps, 2, 0, "the two identical control "
	    "pages");
	wait_full_scans(2);
	require_distinct_pfns(p, nd, "pages differing in their last byte, "
	    "after ksmd merged the control pages and ran two more full scans");
	for (size_t i = 0; i < nd; i++) {
		ATF_REQUIRE_MSG(mc_pfn(p + i * ps) != ctl, "page %zu shares "
		    "the control pages' PFN %#jx", i, (uintmax_t)ctl);
		ATF_REQUIRE_MSG(p[i * ps + ps - 1] == (unsigned char)i,
		    "page %zu: last byte %#x, expected %#zx", i,
		    p[i * ps + ps - 1], i);
	}
	ATF_REQUIRE_MSG(common_pfn(p + nd * ps, 2) == ctl, "the control "
	    "pages did not stay merged");
	ksm_finish();
	ATF_REQUIRE(munmap(p, n * ps) == 0);
}

/* Child of the cross-process case: the same pages, then PFN queries. */
struct twin_arg {
	pid_t tag;
};

#define TWIN_PAGES 4

static int
twin_child(struct mc_child *self, void *varg)
{
	struct twin_arg *a = varg;
	size_t ps = mc_pagesize(), n = TWIN_PAGES;
	unsigned char *p = mmap(NULL, n * ps, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	uint64_t mism = 0;

	if (p == MAP_FAILED)
		return 10;
	if (madvise(p, n * ps, MADV_NOHUGEPAGE) != 0 && errno != EINVAL)
		return 11;
	fill_identical(p, n, a->tag);
	if (madvise(p, n * ps, MADV_MERGEABLE) != 0)
		return 12;
	mc_child_send_u64(self, 1);
	/* Each query: the PFN shared by the child's pages (0: none). */
	while (mc_child_recv_u64(self) != 0)
		mc_child_send_u64(self, common_pfn(p, n));
	for (size_t i = 0; i < n; i++)
		mism += identical_mismatches(p, i, a->tag);
	mc_child_send_u64(self, mism);
	return 0;
}

MC_TC_CLEANUP(identical_pages_of_two_processes_merge, "KSM-7",
    "Identical MADV_MERGEABLE pages of two unrelated mappings in two "
    "processes (not shared by fork) are merged onto one physical page",
    ksm_cleanup)
{
	size_t ps = mc_pagesize(), n = TWIN_PAGES;
	struct twin_arg a = { getpid() };
	struct mc_child ch;
	unsigned long scans0;
	uint64_t v, mine = 0, theirs = 0;
	unsigned char *p;
	long start;

	ksm_probe();
	ksm_start(-1);
	scans0 = knob_get("full_scans");
	/* The child maps its pages itself, after fork: nothing inherited. */
	mc_spawn(&ch, twin_child, &a);
	mc_expect(&ch, &v, sizeof(v), "ready");
	p = mc_map_anon(n * ps, PROT_READ | PROT_WRITE, MAP_PRIVATE);
	fill_identical(p, n, a.tag);
	ATF_REQUIRE_MSG(madvise(p, n * ps, MADV_MERGEABLE) == 0,
	    "madvise(MADV_MERGEABLE): %s", strerror(errno));
	require_mergeable_flag(p);
	start = mc_now_ms();
	for (;;) {
		uint64_t ask = 1;

		mine = common_pfn(p, n);
		mc_send(&ch, &ask, sizeof(ask));
		mc_expect(&ch, &theirs, sizeof(theirs), "PFN report");
		if (mine != 0 && mine == theirs)
			break;
		if (mc_now_ms() - start > KSM_DEADLINE_MS)
			(void)mc_reap(&ch, 0);
		ATF_REQUIRE_MSG(mc_now_ms() - start <= KSM_DEADLINE_MS, "the "
		    "pages of parent and child were not merged onto one page "
		    "within %d ms (%s): parent's common PFN %#jx (PFNs %s), "
		    "child's %#jx", KSM_DEADLINE_MS, ksm_state(scans0),
		    (uintmax_t)mine, pfn_list(p, n), (uintmax_t)theirs);
		mc_sleep_ms(20);
	}
	v = 0;
	mc_send(&ch, &v, sizeof(v));
	mc_expect(&ch, &v, sizeof(v), "content check");
	mc_reap_ok(&ch);
	ATF_REQUIRE_EQ_MSG(v, 0, "the child's merged pages: %ju bytes differ",
	    (uintmax_t)v);
	for (size_t i = 0; i < n; i++)
		ATF_REQUIRE_EQ_MSG(identical_mismatches(p, i, a.tag), 0,
		    "parent's merged page %zu: bytes differ", i);
	ksm_finish();
	ATF_REQUIRE(munmap(p, n * ps) == 0);
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, mergeable_identical_pages_share_pfn);
	ATF_TP_ADD_TC(tp, write_to_merged_page_breaks_merge_for_writer);
	ATF_TP_ADD_TC(tp, unmergeable_unmerges_pages);
	ATF_TP_ADD_TC(tp, prctl_memory_merge_without_madvise);
	ATF_TP_ADD_TC(tp, use_zero_pages_merges_onto_zero_page);
	ATF_TP_ADD_TC(tp, different_contents_never_merged);
	ATF_TP_ADD_TC(tp, identical_pages_of_two_processes_merge);
	return atf_no_error();
}
