/*
 * t_thp: transparent huge pages (kernel Documentation/admin-guide/mm/
 * transhuge.rst, madvise(2), prctl(2), proc(5)): MADV_HUGEPAGE and
 * MADV_NOHUGEPAGE, smaps THPeligible, PR_SET_THP_DISABLE, what fork,
 * mprotect, munmap, mremap and MADV_DONTNEED do to a huge page,
 * MADV_COLLAPSE, the huge zero page, multi-size THP and shmem THP.
 *
 * Every huge page is proved with the kernel's own accounting: smaps
 * AnonHugePages / ShmemPmdMapped of the exact VMA (each range is a VMA of
 * its own between PROT_NONE guard pages, at an address aligned to the huge
 * page size: a reservation over-mapped by that size and trimmed); where
 * PFNs are visible (CAP_SYS_ADMIN) the range must map one physically
 * contiguous, naturally aligned run, and where /proc/kpageflags is
 * readable (root) those pages must be one compound page flagged KPF_THP.
 *
 * Nothing here changes a host setting: a case whose setting (sysfs
 * transparent_hugepage/enabled, shmem_enabled, use_zero_page,
 * hugepages-<size>kB/enabled) rules it out is skipped naming the setting.
 * A fault that could not get a huge page is retried once; when it fails
 * again and the kernel counted an allocation failure (/proc/vmstat
 * thp_fault_fallback and friends), the case is skipped as fragmentation;
 * without such a count it fails: the kernel refused, it did not run out.
 */
#include <sys/mman.h>
#include <sys/prctl.h>

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
#include "mc_thp.h"

#ifndef MADV_COLLAPSE
#define MADV_COLLAPSE 25 /* include/uapi/asm-generic/mman-common.h */
#endif
#ifndef PR_SET_THP_DISABLE
#define PR_SET_THP_DISABLE 41 /* include/uapi/linux/prctl.h */
#endif
#ifndef PR_GET_THP_DISABLE
#define PR_GET_THP_DISABLE 42
#endif

/* include/uapi/linux/kernel-page-flags.h */
#define KPF_COMPOUND_HEAD 15
#define KPF_COMPOUND_TAIL 16
#define KPF_THP 22
#define KPF_ZERO_PAGE 24
#define KPF_BIT(b) (UINT64_C(1) << (b))

/* ---- huge pages -------------------------------------------------------- */

/* Whether v[0..n) is one run v[0], v[0]+1, ... starting at a multiple of n. */
static bool
is_aligned_run(const uint64_t *v, size_t n, size_t *bad)
{
	if (v[0] == 0 || v[0] % n != 0) {
		*bad = 0;
		return false;
	}
	for (size_t i = 1; i < n; i++)
		if (v[i] != v[0] + i) {
			*bad = i;
			return false;
		}
	return true;
}

/*
 * Require (PFNs visible) that the n pages at p map n physically contiguous
 * pages starting at a multiple of n: one naturally aligned huge page.
 * Returns the first PFN.
 */
static uint64_t
require_pfn_run(const unsigned char *p, size_t n, const char *what)
{
	size_t ps = mc_pagesize(), bad;
	uint64_t *v = malloc(n * sizeof(*v)), base;

	ATF_REQUIRE(v != NULL);
	for (size_t i = 0; i < n; i++)
		v[i] = mc_pfn(p + i * ps);
	if (!is_aligned_run(v, n, &bad)) {
		if (bad == 0)
			ATF_REQUIRE_MSG(false, "%s: the first page at %p maps "
			    "PFN %#jx, not a multiple of %zu (pages per huge "
			    "page)", what, (const void *)p, (uintmax_t)v[0],
			    n);
		ATF_REQUIRE_MSG(false, "%s: page %zu at %p maps PFN %#jx, "
		    "expected %#jx (first PFN + %zu): not one contiguous "
		    "physical run", what, bad, (const void *)(p + bad * ps),
		    (uintmax_t)v[bad], (uintmax_t)(v[0] + bad), bad);
	}
	base = v[0];
	free(v);
	return base;
}

/*
 * /proc/kpageflags of the n PFNs from pfn into out; false (errno set) when
 * the file cannot be read (root only).
 */
static bool
kpageflags_try(uint64_t pfn, size_t n, uint64_t *out)
{
	int fd = open("/proc/kpageflags", O_RDONLY | O_CLOEXEC), e;
	ssize_t got;

	if (fd < 0)
		return false;
	got = pread(fd, out, n * sizeof(*out), (off_t)(pfn * sizeof(*out)));
	e = errno;
	close(fd);
	if (got != (ssize_t)(n * sizeof(*out))) {
		errno = got < 0 ? e : EIO;
		return false;
	}
	return true;
}

/*
 * Require that the n PFNs from base are one compound page: the first
 * flagged KPF_COMPOUND_HEAD, the others KPF_COMPOUND_TAIL, every one with
 * the flags in extra (e.g. KPF_THP). When /proc/kpageflags cannot be read,
 * skip: "<done>; /proc/kpageflags not readable ...".
 */
static void
require_compound(uint64_t base, size_t n, uint64_t extra, const char *what,
    const char *done)
{
	uint64_t *f = malloc(n * sizeof(*f));

	ATF_REQUIRE(f != NULL);
	if (!kpageflags_try(base, n, f))
		atf_tc_skip("%s; /proc/kpageflags not readable (%s): the "
		    "compound-page flags (KPF_THP) of %s were not checked",
		    done, strerror(errno), what);
	for (size_t i = 0; i < n; i++) {
		uint64_t want = extra | KPF_BIT(i == 0 ? KPF_COMPOUND_HEAD :
		    KPF_COMPOUND_TAIL);

		ATF_REQUIRE_MSG((f[i] & want) == want, "%s: PFN %#jx (page %zu "
		    "of %zu) has kpageflags %#jx, expected the bits %#jx "
		    "(compound %s%s%s)", what, (uintmax_t)(base + i), i, n,
		    (uintmax_t)f[i], (uintmax_t)want, i == 0 ? "head" : "tail",
		    (extra & KPF_BIT(KPF_THP)) ? ", THP" : "",
		    (extra & KPF_BIT(KPF_ZERO_PAGE)) ? ", zero page" : "");
	}
	free(f);
}

/* ---- MADV_HUGEPAGE / MADV_NOHUGEPAGE / THPeligible -------------------- */

MC_TC(hugepage_write_maps_pmd_thp, "THP-1",
    "MADV_HUGEPAGE on an aligned THP-sized anonymous range, then a write: "
    "smaps AnonHugePages equals the THP size and the range maps one "
    "contiguous, aligned compound page flagged THP")
{
	size_t ps = mc_pagesize(), thp = mc_thp_require_anon(), n = thp / ps;
	unsigned char *p = mc_thp_region(thp, thp, MAP_PRIVATE);
	uint64_t base;

	mc_thp_fault(p, thp);
	mc_fill_patterns(p, n, 0);
	ATF_REQUIRE_EQ_MSG(mc_smaps_field(p, "AnonHugePages"), (long)(thp / 1024),
	    "AnonHugePages of %p after writing every page: expected %zu kB",
	    (void *)p, thp / 1024);
	mc_require_patterns(p, n, 0, "the huge page");
	mc_require_pfns_after("AnonHugePages (one PMD-mapped huge page) and "
	    "content assertions passed");
	base = require_pfn_run(p, n, "the huge page");
	require_compound(base, n, KPF_BIT(KPF_THP), "the huge page",
	    "AnonHugePages and PFN-run assertions passed");
	mc_thp_region_free(p, thp);
}

MC_TC(nohugepage_gets_small_pages, "THP-2",
    "MADV_NOHUGEPAGE on an aligned THP-sized anonymous range: after every "
    "page is written, smaps AnonHugePages is 0 and no page is part of a "
    "THP")
{
	size_t ps = mc_pagesize(), thp = mc_thp_require_anon(), n = thp / ps;
	unsigned char *p = mc_thp_region(thp, thp, MAP_PRIVATE);
	uint64_t *pfn, *flags;

	MC_REQUIRE_OKF(madvise(p, thp, MADV_NOHUGEPAGE),
	    "madvise(%p, %zu, MADV_NOHUGEPAGE)", (void *)p, thp);
	mc_fill_patterns(p, n, 0);
	for (size_t i = 0; i < n; i++) {
		uint64_t e = mc_pagemap(p + i * ps);

		ATF_REQUIRE_MSG(e & MC_PM_PRESENT, "written page %zu at %p is "
		    "not present (pagemap entry %#jx)", i,
		    (void *)(p + i * ps), (uintmax_t)e);
	}
	ATF_REQUIRE_EQ_MSG(mc_smaps_field(p, "AnonHugePages"), 0,
	    "AnonHugePages of the MADV_NOHUGEPAGE range %p with every page "
	    "written: expected 0 kB", (void *)p);
	mc_require_patterns(p, n, 0, "the MADV_NOHUGEPAGE range");
	/* Where page flags are readable: no THP of any size (mTHP too). */
	if (mc_pfns_visible(NULL)) {
		pfn = mc_pfns_try(p, n);
		flags = malloc(sizeof(*flags));
		ATF_REQUIRE(flags != NULL);
		for (size_t i = 0; i < n; i++) {
			if (!kpageflags_try(pfn[i], 1, flags))
				break;
			ATF_REQUIRE_MSG((*flags & KPF_BIT(KPF_THP)) == 0,
			    "page %zu of the MADV_NOHUGEPAGE range (PFN %#jx) "
			    "is flagged KPF_THP (kpageflags %#jx)", i,
			    (uintmax_t)pfn[i], (uintmax_t)*flags);
		}
		free(flags);
		free(pfn);
	}
	mc_thp_region_free(p, thp);
}

MC_TC(thpeligible_follows_advice, "THP-3",
    "smaps THPeligible of an aligned THP-sized anonymous VMA is 1 after "
    "MADV_HUGEPAGE and 0 after MADV_NOHUGEPAGE")
{
	size_t thp = mc_thp_require_anon();
	unsigned char *a = mc_thp_region(thp, thp, MAP_PRIVATE);
	unsigned char *b = mc_thp_region(thp, thp, MAP_PRIVATE);
	long ea, eb;

	MC_REQUIRE_OKF(madvise(a, thp, MADV_HUGEPAGE),
	    "madvise(%p, %zu, MADV_HUGEPAGE)", (void *)a, thp);
	MC_REQUIRE_OKF(madvise(b, thp, MADV_NOHUGEPAGE),
	    "madvise(%p, %zu, MADV_NOHUGEPAGE)", (void *)b, thp);
	ea = mc_smaps_field(a, "THPeligible");
	eb = mc_smaps_field(b, "THPeligible");
	ATF_REQUIRE_EQ_MSG(ea, 1, "THPeligible of the MADV_HUGEPAGE VMA %p: "
	    "expected 1, got %ld", (void *)a, ea);
	ATF_REQUIRE_EQ_MSG(eb, 0, "THPeligible of the MADV_NOHUGEPAGE VMA %p: "
	    "expected 0, got %ld", (void *)b, eb);
	mc_thp_region_free(a, thp);
	mc_thp_region_free(b, thp);
}

/* ---- PR_SET_THP_DISABLE ------------------------------------------------ */

/*
 * Child of prctl_thp_disable_no_huge_page: PR_SET_THP_DISABLE(1), then
 * reports in order: the prctl result and errno (stops there on failure),
 * PR_GET_THP_DISABLE, the errno of MADV_HUGEPAGE on a fresh aligned range
 * (0: success; UINT64_MAX and errno when the range could not be made),
 * after writing every page: content mismatches, AnonHugePages and
 * THPeligible (-1 as UINT64_MAX when missing).
 */
static int
thp_disabled_child(struct mc_child *self, void *arg)
{
	size_t thp = *(size_t *)arg, ps = mc_pagesize(), n = thp / ps;
	uint64_t bad = 0;
	unsigned char *p;
	int r;

	errno = 0;
	r = prctl(PR_SET_THP_DISABLE, 1, 0, 0, 0);
	mc_child_send_u64(self, (uint64_t)(int64_t)r);
	mc_child_send_u64(self, (uint64_t)errno);
	if (r != 0)
		return 0;
	mc_child_send_u64(self, (uint64_t)(int64_t)prctl(PR_GET_THP_DISABLE,
	    0, 0, 0, 0));
	p = mc_thp_region_try(thp, thp, MAP_PRIVATE);
	if (p == NULL) {
		mc_child_send_u64(self, UINT64_MAX);
		mc_child_send_u64(self, (uint64_t)errno);
		return 0;
	}
	mc_child_send_u64(self, madvise(p, thp, MADV_HUGEPAGE) == 0 ? 0 :
	    (uint64_t)errno);
	for (size_t i = 0; i < n; i++)
		memset(p + i * ps, mc_pattern(i), ps);
	for (size_t i = 0; i < n; i++)
		bad += mc_count_not(p + i * ps, ps, mc_pattern(i));
	mc_child_send_u64(self, bad);
	mc_child_send_u64(self, (uint64_t)(int64_t)mc_smaps_kb_try(p,
	    "AnonHugePages"));
	mc_child_send_u64(self, (uint64_t)(int64_t)mc_smaps_kb_try(p,
	    "THPeligible"));
	munmap(p - ps, thp + 2 * ps);
	return 0;
}

MC_TC(prctl_thp_disable_no_huge_page, "THP-4",
    "After prctl(PR_SET_THP_DISABLE, 1) a process gets no huge page for an "
    "aligned MADV_HUGEPAGE range it writes (AnonHugePages 0, THPeligible "
    "0) and PR_GET_THP_DISABLE returns 1; its parent is not affected")
{
	size_t thp = mc_thp_require_anon();
	unsigned char *c = mc_thp_region(thp, thp, MAP_PRIVATE);
	struct mc_child ch;
	uint64_t r, e, get = 0, madv = 0, bad = 0, ahp = 0, elig = 0;
	int mine;

	/* Control: without the prctl this process does get a huge page. */
	mc_thp_fault(c, thp);
	mc_thp_region_free(c, thp);

	mc_spawn(&ch, thp_disabled_child, &thp);
	mc_expect(&ch, &r, sizeof(r), "PR_SET_THP_DISABLE result");
	mc_expect(&ch, &e, sizeof(e), "PR_SET_THP_DISABLE errno");
	if (r == 0) {
		mc_expect(&ch, &get, sizeof(get), "PR_GET_THP_DISABLE");
		mc_expect(&ch, &madv, sizeof(madv), "MADV_HUGEPAGE errno");
		if (madv == UINT64_MAX) {
			mc_expect(&ch, &e, sizeof(e), "mmap errno");
		} else {
			mc_expect(&ch, &bad, sizeof(bad), "mismatches");
			mc_expect(&ch, &ahp, sizeof(ahp), "AnonHugePages");
			mc_expect(&ch, &elig, sizeof(elig), "THPeligible");
		}
	}
	mc_reap_ok(&ch);
	if ((int64_t)r == -1 && e == EINVAL)
		mc_skip_unsupported("prctl(PR_SET_THP_DISABLE)", EINVAL);
	ATF_REQUIRE_MSG(r == 0, "prctl(PR_SET_THP_DISABLE, 1): expected 0, "
	    "got %jd/errno %s", (intmax_t)(int64_t)r, mc_errname((int)e));
	ATF_REQUIRE_MSG(get == 1, "PR_GET_THP_DISABLE after "
	    "PR_SET_THP_DISABLE(1): expected 1, got %jd",
	    (intmax_t)(int64_t)get);
	ATF_REQUIRE_MSG(madv != UINT64_MAX, "child: mmap of an aligned range: "
	    "%s", mc_errname((int)e));
	ATF_REQUIRE_MSG(bad == 0, "child: %ju bytes of its written range read "
	    "back wrong", (uintmax_t)bad);
	ATF_REQUIRE_MSG((int64_t)ahp == 0, "with THP disabled by prctl, an "
	    "aligned range after MADV_HUGEPAGE (%s) and a write of every page: "
	    "expected AnonHugePages 0 kB, got %jd kB",
	    madv == 0 ? "succeeded" : mc_errname((int)madv),
	    (intmax_t)(int64_t)ahp);
	/* THPeligible is checked where smaps has it (-1: no such field). */
	ATF_REQUIRE_MSG((int64_t)elig <= 0, "with THP disabled by prctl: "
	    "expected THPeligible 0 for the MADV_HUGEPAGE range, got %jd",
	    (intmax_t)(int64_t)elig);
	mine = prctl(PR_GET_THP_DISABLE, 0, 0, 0, 0);
	ATF_REQUIRE_MSG(mine == 0, "the parent's PR_GET_THP_DISABLE after its "
	    "child set it: expected 0 (per process), got %d", mine);
}

/* ---- fork ------------------------------------------------------------- */

/* Pages of the huge page whose PFNs the child reports. */
#define COW_SAMPLES 4

struct cow_arg {
	unsigned char *p;
	size_t n;          /* pages */
	size_t idx[COW_SAMPLES];
	size_t k;          /* the page the child writes */
};

/*
 * Child of fork_cow_keeps_parent_huge_page: reports the PFNs of the
 * sample pages and its content mismatches before writing; writes one byte
 * 'C' at page k; reports the byte it reads back, the mismatches of
 * everything else and the PFN of page k; then waits for the parent.
 */
static int
cow_child(struct mc_child *self, void *arg)
{
	struct cow_arg *a = arg;
	size_t ps = mc_pagesize();
	unsigned char *pk = a->p + a->k * ps;
	uint64_t bad = 0;

	for (size_t j = 0; j < COW_SAMPLES; j++)
		mc_child_send_u64(self, mc_pfn_try(a->p + a->idx[j] * ps));
	for (size_t i = 0; i < a->n; i++)
		bad += mc_count_not(a->p + i * ps, ps, mc_pattern(i));
	mc_child_send_u64(self, bad);
	*(volatile unsigned char *)pk = 'C';
	mc_child_send_u64(self, *(volatile unsigned char *)pk);
	bad = mc_count_not(pk + 1, ps - 1, mc_pattern(a->k));
	for (size_t i = 0; i < a->n; i++)
		if (i != a->k)
			bad += mc_count_not(a->p + i * ps, ps, mc_pattern(i));
	mc_child_send_u64(self, bad);
	mc_child_send_u64(self, mc_pfn_try(pk));
	(void)mc_child_recv_u64(self);
	return 0;
}

MC_TC(fork_cow_keeps_parent_huge_page, "THP-5",
    "After fork the child shares the parent's huge page (same PFNs); a "
    "one-byte write by the child changes only the child's view: the "
    "parent's huge page keeps all its contents and PFNs")
{
	size_t ps = mc_pagesize(), thp = mc_thp_require_anon(), n = thp / ps;
	unsigned char *p = mc_thp_region(thp, thp, MAP_PRIVATE);
	struct cow_arg a;
	struct mc_child ch;
	uint64_t before[COW_SAMPLES], child_pre[COW_SAMPLES], bad0, back, bad1;
	uint64_t child_k, go = 1, *pfn0, *pfn1;

	mc_thp_fault(p, thp);
	mc_fill_patterns(p, n, 0);
	a.p = p;
	a.n = n;
	a.k = n / 2 + 1;
	a.idx[0] = 0;
	a.idx[1] = a.k;
	a.idx[2] = a.k + 1;
	a.idx[3] = n - 1;
	pfn0 = mc_pfns_try(p, n);
	for (size_t j = 0; j < COW_SAMPLES; j++)
		before[j] = pfn0[a.idx[j]];
	mc_spawn(&ch, cow_child, &a);
	for (size_t j = 0; j < COW_SAMPLES; j++)
		mc_expect(&ch, &child_pre[j], sizeof(child_pre[j]),
		    "a PFN before the write");
	mc_expect(&ch, &bad0, sizeof(bad0), "mismatches before the write");
	mc_expect(&ch, &back, sizeof(back), "the written byte");
	mc_expect(&ch, &bad1, sizeof(bad1), "mismatches after the write");
	mc_expect(&ch, &child_k, sizeof(child_k), "the written page's PFN");
	/* The parent's view while the child still maps its copy. */
	pfn1 = mc_pfns_try(p, n);
	mc_require_patterns(p, n, 0, "the parent's huge page after the "
	    "child's write");
	mc_send(&ch, &go, sizeof(go));
	mc_reap_ok(&ch);
	ATF_REQUIRE_MSG(bad0 == 0, "child before writing: %ju bytes of the "
	    "inherited huge page differ from the parent's", (uintmax_t)bad0);
	ATF_REQUIRE_MSG(back == 'C', "child: wrote 'C' at page %zu, read back "
	    "%#jx", a.k, (uintmax_t)back);
	ATF_REQUIRE_MSG(bad1 == 0, "child after its one-byte write: %ju other "
	    "bytes changed", (uintmax_t)bad1);
	mc_require_pfns_after("content assertions (child and parent) passed");
	for (size_t j = 0; j < COW_SAMPLES; j++)
		ATF_REQUIRE_MSG(child_pre[j] == before[j], "before the write: "
		    "child's page %zu maps PFN %#jx, the parent's %#jx: "
		    "expected the same (shared) page", a.idx[j],
		    (uintmax_t)child_pre[j], (uintmax_t)before[j]);
	ATF_REQUIRE_MSG(child_k != 0 && child_k != pfn0[a.k], "after the "
	    "write: the child's page %zu maps PFN %#jx, expected a private "
	    "copy (not the parent's %#jx)", a.k, (uintmax_t)child_k,
	    (uintmax_t)pfn0[a.k]);
	for (size_t i = 0; i < n; i++)
		ATF_REQUIRE_MSG(pfn1[i] == pfn0[i], "parent's page %zu after "
		    "the child's write: expected PFN %#jx (unchanged), got "
		    "%#jx", i, (uintmax_t)pfn0[i], (uintmax_t)pfn1[i]);
	free(pfn0);
	free(pfn1);
	mc_thp_region_free(p, thp);
}

/* ---- splitting: mprotect, munmap, MADV_DONTNEED ----------------------- */

MC_TC(mprotect_one_page_splits, "THP-6",
    "mprotect(PROT_READ) of one small page in the middle of a huge page "
    "splits the mapping into 3 VMAs (rw-, r--, rw-) with no AnonHugePages, "
    "keeps every page's contents and physical page, and a write to the "
    "protected page raises SIGSEGV/SEGV_ACCERR")
{
	static struct mc_maps_ent e[3];
	size_t ps = mc_pagesize(), thp = mc_thp_require_anon(), n = thp / ps;
	size_t k = n / 2;
	unsigned char *p = mc_thp_region(thp, thp, MAP_PRIVATE);
	uintptr_t lo[3], hi[3];
	const char *perm[3] = { "rw-p", "r--p", "rw-p" };
	uint64_t *pfn0;

	mc_thp_fault(p, thp);
	mc_fill_patterns(p, n, 0);
	pfn0 = mc_pfns_try(p, n);
	MC_REQUIRE_OKF(mprotect(p + k * ps, ps, PROT_READ),
	    "mprotect(%p, 1 page, PROT_READ) inside a huge page",
	    (void *)(p + k * ps));
	lo[0] = (uintptr_t)p;
	hi[0] = lo[1] = (uintptr_t)(p + k * ps);
	hi[1] = lo[2] = (uintptr_t)(p + (k + 1) * ps);
	hi[2] = (uintptr_t)(p + thp);
	for (int i = 0; i < 3; i++) {
		mc_maps_get((void *)lo[i], &e[i]);
		ATF_REQUIRE_MSG(e[i].start == lo[i] && e[i].end == hi[i] &&
		    strcmp(e[i].perms, perm[i]) == 0, "/proc/self/maps after "
		    "mprotect of page %zu: VMA %d expected %#jx-%#jx %s, got "
		    "'%s'", k, i, (uintmax_t)lo[i], (uintmax_t)hi[i], perm[i],
		    e[i].line);
		ATF_REQUIRE_EQ_MSG(mc_smaps_field((void *)lo[i], "AnonHugePages"),
		    0, "AnonHugePages of VMA %d (%#jx-%#jx, smaller than a huge "
		    "page): expected 0 kB", i, (uintmax_t)lo[i],
		    (uintmax_t)hi[i]);
	}
	mc_require_patterns(p, n, 0, "the huge page after mprotect of one "
	    "page");
	MC_REQUIRE_FAULT(p + k * ps, MC_WRITE, SIGSEGV, SEGV_ACCERR);
	ATF_REQUIRE_MSG(mc_count_not(p + k * ps, ps, mc_pattern(k)) == 0,
	    "the protected page changed although the write faulted");
	mc_require_pfns_after("split VMAs, AnonHugePages 0, contents and "
	    "SEGV_ACCERR passed");
	mc_require_pfns_kept(p, n, pfn0, "after mprotect of one page");
	free(pfn0);
	mc_thp_region_free(p, thp);
}

MC_TC(munmap_one_page_keeps_rest, "THP-7",
    "munmap of one small page inside a huge page leaves the other pages "
    "mapped with their contents and physical pages; the unmapped page "
    "raises SIGSEGV/SEGV_MAPERR")
{
	size_t ps = mc_pagesize(), thp = mc_thp_require_anon(), n = thp / ps;
	size_t k = n / 2;
	unsigned char *p = mc_thp_region(thp, thp, MAP_PRIVATE);
	uintptr_t s, t;
	uint64_t *pfn0;

	mc_thp_fault(p, thp);
	mc_fill_patterns(p, n, 0);
	pfn0 = mc_pfns_try(p, n);
	MC_REQUIRE_OKF(munmap(p + k * ps, ps), "munmap(%p, 1 page) inside a "
	    "huge page", (void *)(p + k * ps));
	MC_REQUIRE_FAULT(p + k * ps, MC_READ, SIGSEGV, SEGV_MAPERR);
	ATF_REQUIRE(mc_maps_range(p, &s, &t));
	ATF_REQUIRE_MSG(s == (uintptr_t)p && t == (uintptr_t)(p + k * ps),
	    "/proc/self/maps: expected %p-%p before the hole, got %#jx-%#jx",
	    (void *)p, (void *)(p + k * ps), (uintmax_t)s, (uintmax_t)t);
	ATF_REQUIRE(mc_maps_range(p + (k + 1) * ps, &s, &t));
	ATF_REQUIRE_MSG(s == (uintptr_t)(p + (k + 1) * ps) &&
	    t == (uintptr_t)(p + thp), "/proc/self/maps: expected %p-%p after "
	    "the hole, got %#jx-%#jx", (void *)(p + (k + 1) * ps),
	    (void *)(p + thp), (uintmax_t)s, (uintmax_t)t);
	mc_require_patterns(p, k, 0, "the pages before the unmapped one");
	mc_require_patterns(p + (k + 1) * ps, n - k - 1, k + 1, "the pages "
	    "after the unmapped one");
	mc_require_pfns_after("contents and SEGV_MAPERR of the unmapped page "
	    "passed");
	for (size_t i = 0; i < n; i++) {
		uint64_t now;

		if (i == k)
			continue;
		now = mc_pfn(p + i * ps);
		ATF_REQUIRE_MSG(now == pfn0[i], "page %zu after munmap of page "
		    "%zu: expected PFN %#jx (unchanged), got %#jx", i, k,
		    (uintmax_t)pfn0[i], (uintmax_t)now);
	}
	free(pfn0);
	mc_thp_region_free(p, thp);
}

MC_TC(dontneed_one_page_zero_fills_it, "THP-9",
    "MADV_DONTNEED of one small page inside a huge page drops just that "
    "page (not present, so no longer PMD-mapped; reads zero); the "
    "others keep their contents and physical pages")
{
	size_t ps = mc_pagesize(), thp = mc_thp_require_anon(), n = thp / ps;
	size_t k = n / 2;
	unsigned char *p = mc_thp_region(thp, thp, MAP_PRIVATE);
	uint64_t *pfn0, ent;
	long ahp;

	mc_thp_fault(p, thp);
	mc_fill_patterns(p, n, 0);
	pfn0 = mc_pfns_try(p, n);
	/*
	 * Keep khugepaged away: once the drop leaves a hole, it may collapse
	 * the range into a new huge page (new PFNs, the hole filled), as
	 * measured on Debian's 6.12 and the gcov 6.12 kernel (THP "always").
	 * MADV_NOHUGEPAGE marks the VMA; the huge page already there stays.
	 */
	MC_REQUIRE_OKF(madvise(p, thp, MADV_NOHUGEPAGE), "madvise(%p, THP "
	    "size, MADV_NOHUGEPAGE) of the faulted huge page", (void *)p);
	MC_REQUIRE_OKF(madvise(p + k * ps, ps, MADV_DONTNEED),
	    "madvise(%p, 1 page, MADV_DONTNEED) inside a huge page",
	    (void *)(p + k * ps));
	ent = mc_pagemap(p + k * ps);
	ahp = mc_smaps_field(p, "AnonHugePages");
	ATF_REQUIRE_MSG(!(ent & MC_PM_PRESENT), "the page dropped with "
	    "MADV_DONTNEED is still present (pagemap entry %#jx)",
	    (uintmax_t)ent);
	/*
	 * Not present in pagemap already says no PMD maps the range; smaps
	 * is only reported.
	 */
	printf("AnonHugePages after MADV_DONTNEED of one page: %ld kB\n",
	    ahp);
	mc_require_readable(p + k * ps, ps, "the dropped page");
	ATF_REQUIRE_MSG(mc_count_not(p + k * ps, ps, 0) == 0, "the dropped "
	    "page: expected zeros, %zu bytes are not",
	    mc_count_not(p + k * ps, ps, 0));
	mc_require_patterns(p, k, 0, "the pages before the dropped one");
	mc_require_patterns(p + (k + 1) * ps, n - k - 1, k + 1, "the pages "
	    "after the dropped one");
	mc_require_pfns_after("dropped page not present and zero, contents "
	    "passed");
	for (size_t i = 0; i < n; i++) {
		uint64_t now;

		if (i == k)
			continue;
		now = mc_pfn(p + i * ps);
		ATF_REQUIRE_MSG(now == pfn0[i], "page %zu after MADV_DONTNEED "
		    "of page %zu: expected PFN %#jx (unchanged), got %#jx", i,
		    k, (uintmax_t)pfn0[i], (uintmax_t)now);
	}
	free(pfn0);
	mc_thp_region_free(p, thp);
}

/* ---- mremap ------------------------------------------------------------ */

MC_TC(mremap_moves_huge_page_whole, "THP-8",
    "mremap(MREMAP_MAYMOVE|MREMAP_FIXED) of a whole aligned huge page to "
    "another PMD-aligned address moves it as a huge page: AnonHugePages "
    "there equals the THP size, contents and PFNs are kept, the old range "
    "is unmapped")
{
	size_t ps = mc_pagesize(), thp = mc_thp_require_anon(), n = thp / ps;
	unsigned char *src = mc_thp_region(thp, thp, MAP_PRIVATE);
	unsigned char *dst = mc_thp_region(thp, thp, MAP_PRIVATE), *q;
	uint64_t *pfn0;
	uintptr_t s, t;

	mc_thp_fault(src, thp);
	mc_fill_patterns(src, n, 0);
	pfn0 = mc_pfns_try(src, n);
	q = mremap(src, thp, thp, MREMAP_MAYMOVE | MREMAP_FIXED, dst);
	ATF_REQUIRE_MSG(q != MAP_FAILED, "mremap(%p, %zu, MAYMOVE|FIXED, %p): "
	    "%s", (void *)src, thp, (void *)dst, strerror(errno));
	ATF_REQUIRE_EQ_MSG(q, dst, "MREMAP_FIXED: expected %p, got %p",
	    (void *)dst, (void *)q);
	ATF_REQUIRE(mc_maps_range(dst, &s, &t));
	ATF_REQUIRE_MSG(s == (uintptr_t)dst && t == (uintptr_t)(dst + thp),
	    "/proc/self/maps: expected the moved mapping at %p-%p, got "
	    "%#jx-%#jx", (void *)dst, (void *)(dst + thp), (uintmax_t)s,
	    (uintmax_t)t);
	ATF_REQUIRE_EQ_MSG(mc_smaps_field(dst, "AnonHugePages"),
	    (long)(thp / 1024), "AnonHugePages at the new address %p: "
	    "expected %zu kB (the PMD moved whole)", (void *)dst, thp / 1024);
	mc_require_patterns(dst, n, 0, "the moved huge page");
	MC_REQUIRE_FAULT(src, MC_READ, SIGSEGV, SEGV_MAPERR);
	MC_REQUIRE_FAULT(src + thp - ps, MC_READ, SIGSEGV, SEGV_MAPERR);
	mc_require_pfns_after("AnonHugePages at the new address, contents and "
	    "SEGV_MAPERR passed");
	mc_require_pfns_kept(dst, n, pfn0, "the moved huge page");
	free(pfn0);
	mc_thp_region_free(dst, thp);
	mc_thp_region_free(src, thp);
}

/* ---- MADV_COLLAPSE ---------------------------------------------------- */

MC_TC(collapse_makes_huge_page, "THP-10",
    "MADV_COLLAPSE of an aligned THP-sized range of small pages (not "
    "MADV_NOHUGEPAGE) returns 0 and leaves it one huge page: "
    "AnonHugePages equals the THP size, contents intact, PFNs one "
    "contiguous aligned run")
{
	size_t ps = mc_pagesize(), thp = mc_thp_base(), n = thp / ps;
	unsigned char *hole, *p;
	uint64_t base;
	long ahp;
	int err = 0;

	/*
	 * Probe on an unmapped page: a known advice fails with ENOMEM there
	 * (madvise(2)), an unknown one with EINVAL.
	 */
	hole = mc_free_hole(1);
	errno = 0;
	if (madvise(hole, ps, MADV_COLLAPSE) != 0)
		err = errno;
	if (err == EINVAL)
		mc_skip_unsupported("MADV_COLLAPSE", EINVAL);
	ATF_REQUIRE_MSG(err == ENOMEM, "probe: madvise(unmapped %p, 1 page, "
	    "MADV_COLLAPSE): expected ENOMEM (or EINVAL where unknown), got "
	    "%s", (void *)hole, mc_errname(err));

	p = mc_thp_region(thp, thp, MAP_PRIVATE);
	/* Small pages first, whatever the THP mode. */
	MC_REQUIRE_OKF(madvise(p, thp, MADV_NOHUGEPAGE),
	    "madvise(%p, %zu, MADV_NOHUGEPAGE)", (void *)p, thp);
	mc_fill_patterns(p, n, 0);
	ahp = mc_smaps_field(p, "AnonHugePages");
	ATF_REQUIRE_EQ_MSG(ahp, 0, "setup: the MADV_NOHUGEPAGE range should "
	    "hold small pages, AnonHugePages is %ld kB", ahp);
	/* MADV_COLLAPSE refuses VM_NOHUGEPAGE; MADV_HUGEPAGE clears it. */
	MC_REQUIRE_OKF(madvise(p, thp, MADV_HUGEPAGE),
	    "madvise(%p, %zu, MADV_HUGEPAGE)", (void *)p, thp);
	for (int attempt = 0; attempt < 2; attempt++) {
		errno = 0;
		err = madvise(p, thp, MADV_COLLAPSE) == 0 ? 0 : errno;
		if (err != ENOMEM && err != EAGAIN)
			break;
	}
	/* madvise(2): ENOMEM/EAGAIN/EBUSY are resources, not a refusal. */
	if (err == ENOMEM)
		atf_tc_skip("no huge page could be allocated (fragmentation): "
		    "MADV_COLLAPSE failed twice with ENOMEM");
	if (err == EAGAIN)
		atf_tc_skip("MADV_COLLAPSE failed twice with EAGAIN (a kernel "
		    "resource was temporarily unavailable)");
	if (err == EBUSY)
		atf_tc_skip("MADV_COLLAPSE: EBUSY (the huge page could not be "
		    "charged to the memory cgroup)");
	ATF_REQUIRE_MSG(err == 0, "madvise(%p, %zu, MADV_COLLAPSE) of written "
	    "small pages: expected 0, got %s", (void *)p, thp,
	    mc_errname(err));
	ahp = mc_smaps_field(p, "AnonHugePages");
	ATF_REQUIRE_EQ_MSG(ahp, (long)(thp / 1024), "AnonHugePages after "
	    "MADV_COLLAPSE: expected %zu kB, got %ld kB", thp / 1024, ahp);
	mc_require_patterns(p, n, 0, "the collapsed range");
	mc_require_pfns_after("MADV_COLLAPSE result, AnonHugePages and content "
	    "assertions passed");
	base = require_pfn_run(p, n, "the collapsed range");
	require_compound(base, n, KPF_BIT(KPF_THP), "the collapsed range",
	    "AnonHugePages and PFN-run assertions passed");
	mc_thp_region_free(p, thp);
}

/* ---- the huge zero page ------------------------------------------------ */

MC_TC(read_maps_huge_zero_page, "THP-11",
    "With use_zero_page 1, a read fault in an aligned MADV_HUGEPAGE range "
    "maps the huge zero page: every byte reads 0, the PFNs are one aligned "
    "run, a second such range maps the same PFNs; a write then gives that "
    "page a private copy and leaves the rest zero")
{
	size_t ps = mc_pagesize(), thp = mc_thp_require_anon(), n = thp / ps;
	size_t k = n / 2, bad;
	unsigned long use;
	unsigned char *a, *b;
	uint64_t *pa, *pb, after_k;
	long zf0, zf1;

	if (!mc_read_ulong_file(MC_THP_DIR "/use_zero_page", &use))
		atf_tc_skip("%s/use_zero_page cannot be read: the huge zero "
		    "page setting is unknown", MC_THP_DIR);
	if (use == 0)
		atf_tc_skip("%s/use_zero_page is 0: the huge zero page is "
		    "disabled; this program does not change host settings",
		    MC_THP_DIR);
	a = mc_thp_region(thp, thp, MAP_PRIVATE);
	b = mc_thp_region(thp, thp, MAP_PRIVATE);
	MC_REQUIRE_OKF(madvise(a, thp, MADV_HUGEPAGE),
	    "madvise(%p, %zu, MADV_HUGEPAGE)", (void *)a, thp);
	MC_REQUIRE_OKF(madvise(b, thp, MADV_HUGEPAGE),
	    "madvise(%p, %zu, MADV_HUGEPAGE)", (void *)b, thp);
	zf0 = mc_vmstat_sum("thp_zero_page_alloc_failed", "thp_fault_fallback");
	(void)*(volatile unsigned char *)a;
	(void)*(volatile unsigned char *)b;
	zf1 = mc_vmstat_sum("thp_zero_page_alloc_failed", "thp_fault_fallback");
	ATF_REQUIRE_MSG(mc_count_not(a, thp, 0) == 0 &&
	    mc_count_not(b, thp, 0) == 0, "read-faulted ranges: expected all "
	    "zero, %zu and %zu bytes are not", mc_count_not(a, thp, 0),
	    mc_count_not(b, thp, 0));
	/*
	 * One read fault maps every page (anonymous memory has no
	 * fault-around for small pages): the huge zero page, PMD-mapped.
	 */
	for (size_t i = 0; i < n; i++) {
		uint64_t e = mc_pagemap(a + i * ps);

		if (e & MC_PM_PRESENT)
			continue;
		if (zf0 >= 0 && zf1 > zf0)
			atf_tc_skip("the huge zero page could not be allocated: "
			    "/proc/vmstat thp_zero_page_alloc_failed(+"
			    "thp_fault_fallback) went from %ld to %ld", zf0,
			    zf1);
		ATF_REQUIRE_MSG(false, "page %zu of the aligned MADV_HUGEPAGE "
		    "range read once at its start is not present (pagemap "
		    "%#jx): expected the whole huge zero page mapped "
		    "(use_zero_page 1)", i, (uintmax_t)e);
	}
	pa = mc_pfns_try(a, n);
	pb = mc_pfns_try(b, n);
	*(volatile unsigned char *)(a + k * ps) = 'W';
	ATF_REQUIRE_MSG(a[k * ps] == 'W', "the written byte reads %#x",
	    a[k * ps]);
	ATF_REQUIRE_MSG(mc_count_not(a + k * ps + 1, ps - 1, 0) == 0,
	    "the rest of the written page: expected zeros");
	ATF_REQUIRE_MSG(mc_count_not(a, k * ps, 0) == 0 &&
	    mc_count_not(a + (k + 1) * ps, thp - (k + 1) * ps, 0) == 0,
	    "the other pages after a write to page %zu: expected zeros", k);
	ATF_REQUIRE_MSG(mc_count_not(b, thp, 0) == 0, "the second range after "
	    "a write to the first: expected zeros");
	after_k = mc_pfn_try(a + k * ps);
	mc_require_pfns_after("zero contents, presence of every page and the "
	    "private write passed");
	if (!is_aligned_run(pa, n, &bad)) {
		if (zf0 >= 0 && zf1 > zf0)
			atf_tc_skip("the huge zero page could not be allocated: "
			    "/proc/vmstat thp_zero_page_alloc_failed(+"
			    "thp_fault_fallback) went from %ld to %ld", zf0,
			    zf1);
		ATF_REQUIRE_MSG(false, "read fault in an aligned MADV_HUGEPAGE "
		    "range with use_zero_page 1: page %zu maps PFN %#jx (first "
		    "%#jx): expected one aligned run of %zu PFNs (the huge zero "
		    "page)", bad, (uintmax_t)pa[bad], (uintmax_t)pa[0], n);
	}
	for (size_t i = 0; i < n; i++)
		ATF_REQUIRE_MSG(pb[i] == pa[i], "page %zu of a second read "
		    "range maps PFN %#jx, the first range %#jx: expected the "
		    "same huge zero page", i, (uintmax_t)pb[i],
		    (uintmax_t)pa[i]);
	ATF_REQUIRE_MSG(after_k != 0 && (after_k < pa[0] ||
	    after_k >= pa[0] + n), "after the write, page %zu maps PFN %#jx: "
	    "expected a private page outside the huge zero page %#jx-%#jx", k,
	    (uintmax_t)after_k, (uintmax_t)pa[0], (uintmax_t)(pa[0] + n - 1));
	require_compound(pa[0], n, KPF_BIT(KPF_THP) | KPF_BIT(KPF_ZERO_PAGE),
	    "the huge zero page", "content and PFN assertions passed");
	free(pa);
	free(pb);
	mc_thp_region_free(a, thp);
	mc_thp_region_free(b, thp);
}

/* ---- multi-size THP ---------------------------------------------------- */

MC_TC(mthp_size_gets_one_folio, "THP-12",
    "Where a multi-size THP size below the PMD size is enabled "
    "(hugepages-<N>kB/enabled always, madvise, or inherit of such), one "
    "write to an aligned MADV_HUGEPAGE range of that size maps all its "
    "pages at once as one aligned, contiguous compound THP")
{
	size_t ps = mc_pagesize(), best = mc_mthp_size(), m;
	char path[160];
	unsigned char *p = NULL;
	unsigned long fb0 = 0, fb1 = 0, fbc;
	bool have_fb;
	uint64_t base;

	m = best / ps;
	snprintf(path, sizeof(path), MC_THP_DIR "/hugepages-%zukB/stats/"
	    "anon_fault_fallback", best / 1024);
	have_fb = mc_read_ulong_file(path, &fb0);
	for (int attempt = 0; attempt < 2; attempt++) {
		size_t present = 0;

		p = mc_thp_region(best, best, MAP_PRIVATE);
		MC_REQUIRE_OKF(madvise(p, best, MADV_HUGEPAGE),
		    "madvise(%p, %zu, MADV_HUGEPAGE)", (void *)p, best);
		*(volatile unsigned char *)p = 1;
		for (size_t i = 0; i < m; i++)
			if (mc_pagemap(p + i * ps) & MC_PM_PRESENT)
				present++;
		if (present == m)
			break;
		ATF_REQUIRE_MSG(present >= 1, "the written page is not present");
		mc_thp_region_free(p, best);
		p = NULL;
	}
	if (p == NULL) {
		if (have_fb && mc_read_ulong_file(path, &fbc))
			fb1 = fbc;
		if (!have_fb)
			atf_tc_skip("no %zukB folio after two write faults and no "
			    "%s to tell a failed allocation from a refusal",
			    best / 1024, path);
		if (fb1 > fb0)
			atf_tc_skip("no huge page could be allocated "
			    "(fragmentation): %s went from %lu to %lu", path,
			    fb0, fb1);
		ATF_REQUIRE_MSG(false, "with hugepages-%zukB enabled, one write "
		    "to the aligned MADV_HUGEPAGE range of that size did not "
		    "map all its %zu pages (twice), and %s stayed %lu",
		    best / 1024, m, path, fb0);
	}
	mc_fill_patterns(p, m, 0);
	mc_require_patterns(p, m, 0, "the multi-size THP range");
	mc_require_pfns_after("all pages present after one fault and contents "
	    "passed");
	base = require_pfn_run(p, m, "the multi-size THP range");
	require_compound(base, m, KPF_BIT(KPF_THP), "the multi-size THP",
	    "all pages present after one fault and one PFN run");
	mc_thp_region_free(p, best);
}

/* ---- shmem THP --------------------------------------------------------- */

MC_TC(shmem_thp_pmd_mapped, "THP-13",
    "Where shmem_enabled allows huge pages (always, within_size, force, or "
    "advise with MADV_HUGEPAGE), a write to an aligned THP-sized "
    "MAP_SHARED|MAP_ANONYMOUS range maps it with a PMD: smaps "
    "ShmemPmdMapped equals the THP size, the PFNs one aligned run")
{
	size_t ps = mc_pagesize(), thp = mc_thp_base(), n = thp / ps;
	char top[32], per[32], path[128], eff[32];
	unsigned char *p = NULL;
	long got = -1, fb0, fb1, want = (long)(thp / 1024);
	uint64_t base;

	if (!mc_thp_sysfs_choice(MC_THP_DIR "/shmem_enabled", top, sizeof(top)))
		atf_tc_skip("%s/shmem_enabled cannot be read: no shmem THP "
		    "setting here", MC_THP_DIR);
	snprintf(eff, sizeof(eff), "%s", top);
	snprintf(path, sizeof(path), MC_THP_DIR "/hugepages-%zukB/shmem_enabled",
	    thp / 1024);
	if (strcmp(top, "deny") != 0 && strcmp(top, "force") != 0 &&
	    mc_thp_sysfs_choice(path, per, sizeof(per)) &&
	    strcmp(per, "inherit") != 0)
		snprintf(eff, sizeof(eff), "%s", per);
	if (strcmp(eff, "always") != 0 && strcmp(eff, "within_size") != 0 &&
	    strcmp(eff, "force") != 0 && strcmp(eff, "advise") != 0) {
		if (strcmp(eff, top) != 0)
			atf_tc_skip("PMD-sized shmem THP disabled: %s is [%s] "
			    "(top-level shmem_enabled [%s]); this program does "
			    "not change host settings", path, eff, top);
		atf_tc_skip("shmem THP disabled: %s/shmem_enabled is [%s]; "
		    "this program does not change host settings", MC_THP_DIR,
		    top);
	}
	fb0 = mc_vmstat_sum("thp_file_fallback", "thp_file_fallback_charge");
	for (int attempt = 0; attempt < 2; attempt++) {
		p = mc_thp_region(thp, thp, MAP_SHARED);
		MC_REQUIRE_OKF(madvise(p, thp, MADV_HUGEPAGE),
		    "madvise(%p, %zu, MADV_HUGEPAGE)", (void *)p, thp);
		*(volatile unsigned char *)p = 1;
		got = mc_smaps_field(p, "ShmemPmdMapped");
		if (got == want)
			break;
		mc_thp_region_free(p, thp);
		p = NULL;
	}
	if (p == NULL) {
		fb1 = mc_vmstat_sum("thp_file_fallback",
		    "thp_file_fallback_charge");
		if (fb0 < 0 || fb1 < 0)
			atf_tc_skip("no shmem huge page after two write faults "
			    "(ShmemPmdMapped %ld kB) and /proc/vmstat has no "
			    "thp_file_fallback to tell a failed allocation from "
			    "a refusal", got);
		if (fb1 > fb0)
			atf_tc_skip("no huge page could be allocated "
			    "(fragmentation): thp_file_fallback(+_charge) went "
			    "from %ld to %ld", fb0, fb1);
		ATF_REQUIRE_MSG(false, "shmem_enabled [%s]: a write to an "
		    "aligned MAP_SHARED|MAP_ANONYMOUS MADV_HUGEPAGE range of "
		    "%zu bytes: expected ShmemPmdMapped %ld kB, got %ld kB "
		    "twice, thp_file_fallback stayed %ld", eff, thp, want, got,
		    fb0);
	}
	mc_fill_patterns(p, n, 0);
	mc_require_patterns(p, n, 0, "the shmem huge page");
	mc_require_pfns_after("ShmemPmdMapped and content assertions passed");
	base = require_pfn_run(p, n, "the shmem huge page");
	require_compound(base, n, 0, "the shmem huge page",
	    "ShmemPmdMapped and PFN-run assertions passed");
	mc_thp_region_free(p, thp);
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, hugepage_write_maps_pmd_thp);
	ATF_TP_ADD_TC(tp, nohugepage_gets_small_pages);
	ATF_TP_ADD_TC(tp, thpeligible_follows_advice);
	ATF_TP_ADD_TC(tp, prctl_thp_disable_no_huge_page);
	ATF_TP_ADD_TC(tp, fork_cow_keeps_parent_huge_page);
	ATF_TP_ADD_TC(tp, mprotect_one_page_splits);
	ATF_TP_ADD_TC(tp, munmap_one_page_keeps_rest);
	ATF_TP_ADD_TC(tp, mremap_moves_huge_page_whole);
	ATF_TP_ADD_TC(tp, dontneed_one_page_zero_fills_it);
	ATF_TP_ADD_TC(tp, collapse_makes_huge_page);
	ATF_TP_ADD_TC(tp, read_maps_huge_zero_page);
	ATF_TP_ADD_TC(tp, mthp_size_gets_one_folio);
	ATF_TP_ADD_TC(tp, shmem_thp_pmd_mapped);
	return 0;
}
