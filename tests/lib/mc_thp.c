/*
 * mc_thp.c - transparent huge pages for the test programs (mc_thp.h).
 */
#include "mc_thp.h"

#include <sys/mman.h>
#include <sys/prctl.h>

#include <dirent.h>

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <atf-c.h>

#include "mc.h"
#include "mc_err.h"
#include "mc_proc.h"

#ifndef PR_GET_THP_DISABLE
#define PR_GET_THP_DISABLE 42 /* include/uapi/linux/prctl.h */
#endif

/* ---- settings ---------------------------------------------------------- */

/*
 * The selected word of a sysfs selector file ("always [madvise] never"
 * gives "madvise"); false when the file cannot be read or selects nothing.
 */
bool
mc_thp_sysfs_choice(const char *path, char *buf, size_t len)
{
	char line[256], *a, *b;
	FILE *f = fopen(path, "r");

	if (f == NULL)
		return false;
	if (fgets(line, sizeof(line), f) == NULL) {
		fclose(f);
		return false;
	}
	fclose(f);
	a = strchr(line, '[');
	b = a != NULL ? strchr(a, ']') : NULL;
	if (b == NULL)
		return false;
	snprintf(buf, len, "%.*s", (int)(b - a - 1), a + 1);
	return true;
}

/*
 * The THP (PMD) size, or skip: no THP in this kernel (or not exposed
 * here), a size this program does not fault, or THP disabled for this
 * process by an inherited PR_SET_THP_DISABLE. Does not look at the
 * anonymous "enabled" mode (mc_thp_require_anon does).
 */
size_t
mc_thp_base(void)
{
	size_t ps = mc_pagesize(), thp;
	int r;

	if (access(MC_THP_DIR, F_OK) != 0)
		atf_tc_skip("no transparent huge pages here: %s is missing (%s)",
		    MC_THP_DIR, strerror(errno));
	thp = mc_thp_size();
	if (thp == 0)
		atf_tc_skip("THP size unknown: %s/hpage_pmd_size is missing or "
		    "unreadable", MC_THP_DIR);
	ATF_REQUIRE_MSG(thp > ps && thp % ps == 0 && (thp & (thp - 1)) == 0,
	    "%s/hpage_pmd_size: %zu is not a power-of-two multiple of the "
	    "page size %zu", MC_THP_DIR, thp, ps);
	if (thp > MC_THP_MAX_SIZE)
		atf_tc_skip("THP size %zu MiB: larger than the %zu MiB this "
		    "program faults in a case", thp >> 20, MC_THP_MAX_SIZE >> 20);
	errno = 0;
	r = prctl(PR_GET_THP_DISABLE, 0, 0, 0, 0);
	if (r > 0)
		atf_tc_skip("THP disabled for this process: PR_GET_THP_DISABLE "
		    "returns %d (inherited from the process that ran the test)",
		    r);
	mc_require_smaps();
	return thp;
}

/*
 * mc_thp_base, and skip when PMD-sized anonymous THP is disabled: the
 * per-size control hugepages-<PMD>kB/enabled (where it exists and does not
 * say "inherit") or else the top-level enabled is "never".
 */
size_t
mc_thp_require_anon(void)
{
	size_t thp = mc_thp_base();
	char top[32], per[32], path[128];

	if (!mc_thp_sysfs_choice(MC_THP_DIR "/enabled", top, sizeof(top)))
		atf_tc_skip("%s/enabled cannot be read: the THP mode is unknown",
		    MC_THP_DIR);
	snprintf(path, sizeof(path), MC_THP_DIR "/hugepages-%zukB/enabled",
	    thp / 1024);
	if (mc_thp_sysfs_choice(path, per, sizeof(per)) &&
	    strcmp(per, "inherit") != 0) {
		if (strcmp(per, "never") == 0)
			atf_tc_skip("PMD-sized THP disabled: %s is [never] "
			    "(top-level enabled [%s]); this program does not "
			    "change host settings", path, top);
	} else if (strcmp(top, "never") == 0) {
		atf_tc_skip("THP disabled: %s/enabled is [never]; this program "
		    "does not change host settings", MC_THP_DIR);
	}
	return thp;
}

/* A counter of /proc/vmstat; -1 when the file or the counter is missing. */
long
mc_vmstat(const char *key)
{
	FILE *f = fopen("/proc/vmstat", "r");
	char name[64];
	long v, r = -1;

	if (f == NULL)
		return -1;
	while (fscanf(f, "%63s %ld", name, &v) == 2)
		if (strcmp(name, key) == 0) {
			r = v;
			break;
		}
	fclose(f);
	return r;
}

/* key1 + key2 of /proc/vmstat (key2 may be missing); -1 without key1. */
long
mc_vmstat_sum(const char *key1, const char *key2)
{
	long a = mc_vmstat(key1), b = mc_vmstat(key2);

	return a < 0 ? -1 : a + (b > 0 ? b : 0);
}

/* ---- aligned ranges ---------------------------------------------------- */

/*
 * A read-write anonymous mapping (share: MAP_PRIVATE or MAP_SHARED) of len
 * bytes at a multiple of align, with a PROT_NONE guard page on either side
 * so that it is a VMA of its own: a PROT_NONE reservation of len + align +
 * 1 page, the mapping placed with MAP_FIXED at the first aligned address
 * after one guard page, the rest of the reservation trimmed. No ATF
 * (usable in children): NULL with errno on failure.
 */
unsigned char *
mc_thp_region_try(size_t len, size_t align, int share)
{
	size_t ps = mc_pagesize(), rlen = len + align + ps;
	unsigned char *r, *a, *end;
	int e;

	r = mmap(NULL, rlen, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS |
	    MAP_NORESERVE, -1, 0);
	if (r == MAP_FAILED)
		return NULL;
	end = r + rlen;
	a = (unsigned char *)(((uintptr_t)r + ps + align - 1) &
	    ~(uintptr_t)(align - 1));
	if (mmap(a, len, PROT_READ | PROT_WRITE, share | MAP_ANONYMOUS |
	    MAP_FIXED, -1, 0) != a) {
		e = errno;
		munmap(r, rlen);
		errno = e;
		return NULL;
	}
	if (a - ps > r)
		munmap(r, (size_t)(a - ps - r));
	if (a + len + ps < end)
		munmap(a + len + ps, (size_t)(end - (a + len + ps)));
	return a;
}

unsigned char *
mc_thp_region(size_t len, size_t align, int share)
{
	unsigned char *a = mc_thp_region_try(len, align, share);
	int e = errno;
	uintptr_t s, t;

	if (a == NULL) {
		mc_skip_if_limited(e, "an aligned range for a huge page");
		ATF_REQUIRE_MSG(false, "mmap of %zu bytes aligned to %zu (%s): "
		    "%s", len, align, share == MAP_SHARED ? "MAP_SHARED" :
		    "MAP_PRIVATE", strerror(e));
	}
	ATF_REQUIRE_MSG(mc_maps_range(a, &s, &t) && s == (uintptr_t)a &&
	    t == (uintptr_t)(a + len), "/proc/self/maps: expected a mapping "
	    "of its own at %p-%p, got %#jx-%#jx", (void *)a,
	    (void *)(a + len), (uintmax_t)s, (uintmax_t)t);
	return a;
}

/* Unmap a range of mc_thp_region() and its guard pages (holes are fine). */
void
mc_thp_region_free(unsigned char *a, size_t len)
{
	size_t ps = mc_pagesize();

	ATF_REQUIRE_MSG(munmap(a - ps, len + 2 * ps) == 0, "munmap(%p, %zu): "
	    "%s", (void *)(a - ps), len + 2 * ps, strerror(errno));
}

/* ---- huge pages -------------------------------------------------------- */

/* smaps field of the VMA at p; skips when the field does not exist. */
long
mc_smaps_field(const void *p, const char *field)
{
	long kb = mc_smaps_kb(p, field);

	if (kb < 0)
		atf_tc_skip("/proc/self/smaps has no %s field for %p: not "
		    "observable here", field, p);
	return kb;
}

/*
 * MADV_HUGEPAGE on the aligned THP-sized private range p, then a write at
 * its start, until smaps AnonHugePages of the VMA equals the THP size
 * (two tries, MADV_DONTNEED in between). Fails when neither try got a
 * huge page and the kernel counted no allocation failure; skips as
 * fragmentation when it did.
 */
void
mc_thp_fault(unsigned char *p, size_t thp)
{
	long want = (long)(thp / 1024), got = -1;
	long fb0 = mc_vmstat_sum("thp_fault_fallback",
	    "thp_fault_fallback_charge"), fb1;

	MC_REQUIRE_OKF(madvise(p, thp, MADV_HUGEPAGE),
	    "madvise(%p, %zu, MADV_HUGEPAGE)", (void *)p, thp);
	for (int attempt = 0; attempt < 2; attempt++) {
		*(volatile unsigned char *)p = 1;
		got = mc_smaps_field(p, "AnonHugePages");
		if (got == want)
			return;
		MC_REQUIRE_OKF(madvise(p, thp, MADV_DONTNEED),
		    "madvise(%p, %zu, MADV_DONTNEED) before a retry",
		    (void *)p, thp);
	}
	fb1 = mc_vmstat_sum("thp_fault_fallback", "thp_fault_fallback_charge");
	if (fb0 < 0 || fb1 < 0)
		atf_tc_skip("no huge page could be allocated (fragmentation?): "
		    "two write faults at the PMD-aligned MADV_HUGEPAGE range %p "
		    "gave AnonHugePages %ld kB, not %ld; /proc/vmstat has no "
		    "thp_fault_fallback to tell a failed allocation from a "
		    "refusal", (void *)p, got, want);
	if (fb1 > fb0)
		atf_tc_skip("no huge page could be allocated (fragmentation): "
		    "two write faults at the PMD-aligned MADV_HUGEPAGE range %p "
		    "gave AnonHugePages %ld kB, not %ld, and /proc/vmstat "
		    "thp_fault_fallback(+_charge) went from %ld to %ld",
		    (void *)p, got, want, fb0, fb1);
	ATF_REQUIRE_MSG(false, "a write at the PMD-aligned MADV_HUGEPAGE range "
	    "%p (%zu bytes, a VMA of its own): expected AnonHugePages %ld kB, "
	    "got %ld kB twice, and /proc/vmstat thp_fault_fallback(+_charge) "
	    "stayed %ld: no allocation failure explains it", (void *)p, thp,
	    want, got, fb0);
}

/*
 * Skip, after the assertions named in done ran, when PFNs are hidden
 * (the pattern of mc_require_pfns, with what was proved in the reason).
 */
void
mc_require_pfns_after(const char *done)
{
	const char *why;

	if (!mc_pfns_visible(&why))
		atf_tc_skip("%s; PFN assertions not possible: %s", done, why);
}

/* PFNs of the n pages at p, 0 where hidden or not present (malloc'd). */
uint64_t *
mc_pfns_try(const unsigned char *p, size_t n)
{
	size_t ps = mc_pagesize();
	uint64_t *v = malloc(n * sizeof(*v));

	ATF_REQUIRE(v != NULL);
	for (size_t i = 0; i < n; i++)
		v[i] = mc_pfn_try(p + i * ps);
	return v;
}

/*
 * Require (PFNs visible) that the pages at p keep the PFNs in before[].
 */
void
mc_require_pfns_kept(const unsigned char *p, size_t n, const uint64_t *before,
    const char *what)
{
	size_t ps = mc_pagesize();

	for (size_t i = 0; i < n; i++) {
		uint64_t now = mc_pfn(p + i * ps);

		ATF_REQUIRE_MSG(now == before[i], "%s: page %zu at %p: "
		    "expected PFN %#jx (unchanged), got %#jx", what, i,
		    (const void *)(p + i * ps), (uintmax_t)before[i],
		    (uintmax_t)now);
	}
}

static int
cmp_size(const void *a, const void *b)
{
	size_t x = *(const size_t *)a, y = *(const size_t *)b;

	return x < y ? -1 : x > y;
}

size_t
mc_mthp_size(void)
{
	size_t ps = mc_pagesize(), thp = mc_thp_base(), best = 0, nkb = 0;
	size_t kbs[64];
	char top[32], mode[32], path[160], seen[1024] = "";
	struct dirent *d;
	DIR *dir;

	if (!mc_thp_sysfs_choice(MC_THP_DIR "/enabled", top, sizeof(top)))
		atf_tc_skip("%s/enabled cannot be read", MC_THP_DIR);
	dir = opendir(MC_THP_DIR);
	ATF_REQUIRE_MSG(dir != NULL, "opendir(%s): %s", MC_THP_DIR,
	    strerror(errno));
	while ((d = readdir(dir)) != NULL && nkb < 64) {
		size_t kb;
		char tail[8];

		if (sscanf(d->d_name, "hugepages-%zukB%7s", &kb, tail) == 1 &&
		    kb * 1024 < thp && kb * 1024 > ps)
			kbs[nkb++] = kb;
	}
	closedir(dir);
	qsort(kbs, nkb, sizeof(kbs[0]), cmp_size);
	for (size_t i = 0; i < nkb; i++) {
		snprintf(path, sizeof(path), MC_THP_DIR "/hugepages-%zukB/enabled",
		    kbs[i]);
		if (!mc_thp_sysfs_choice(path, mode, sizeof(mode)))
			continue; /* e.g. a shmem-only size */
		snprintf(seen + strlen(seen), sizeof(seen) - strlen(seen),
		    "%s%zukB [%s]", seen[0] ? ", " : "", kbs[i], mode);
		if (strcmp(mode, "inherit") == 0)
			snprintf(mode, sizeof(mode), "%s", top);
		if (strcmp(mode, "always") == 0 || strcmp(mode, "madvise") == 0)
			best = kbs[i] * 1024; /* ascending: the largest wins */
	}
	if (seen[0] == '\0')
		atf_tc_skip("no %s/hugepages-<size>kB/enabled control below the "
		    "PMD size: multi-size THP is not available here", MC_THP_DIR);
	if (best == 0)
		atf_tc_skip("every multi-size THP size is disabled: %s (top-"
		    "level enabled [%s]); this program does not change host "
		    "settings", seen, top);
	return best;
}

void
mc_thp_require_ahp(const unsigned char *p, long want, const char *when)
{
	long got = mc_smaps_field(p, "AnonHugePages");

	ATF_REQUIRE_MSG(got == want, "AnonHugePages of the VMA at %p %s: "
	    "expected %ld kB, got %ld kB", (const void *)p, when, want, got);
}

unsigned char *
mc_thp_huge_range(size_t thp, size_t first)
{
	unsigned char *p = mc_thp_region(thp, thp, MAP_PRIVATE);

	mc_thp_fault(p, thp);
	mc_fill_patterns(p, thp / mc_pagesize(), first);
	mc_thp_require_ahp(p, (long)(thp / 1024), "after writing every page");
	return p;
}

void
mc_madvise_or_skip(void *p, size_t len, int advice, const char *name)
{
	if (madvise(p, len, advice) != 0) {
		int e = errno;

		if (e == EINVAL)
			atf_tc_skip("madvise(%s) fails with EINVAL: advice not "
			    "supported by this kernel", name);
		ATF_REQUIRE_MSG(false, "madvise(%p, %zu, %s): expected 0, got "
		    "errno %s", p, len, name, mc_errname(e));
	}
}
