/*
 * mc_thp.h - transparent huge pages for the test programs (tests/thp): the
 * THP settings and when to skip, PMD-aligned ranges that are a VMA of
 * their own, faulting a huge page (a skip only when the kernel counted an
 * allocation failure), and PFN helpers. Part of tests/lib.
 */
#ifndef MMAPCONF_MC_THP_H
#define MMAPCONF_MC_THP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MC_THP_DIR "/sys/kernel/mm/transparent_hugepage"
/* Larger huge pages (arm64 with 64 KiB pages: 512 MiB) are not faulted. */
#define MC_THP_MAX_SIZE ((size_t)64 << 20)

/*
 * The selected word of a sysfs selector file ("always [madvise] never"
 * gives "madvise"); false when the file cannot be read or selects nothing.
 */
bool mc_thp_sysfs_choice(const char *path, char *buf, size_t len);
/*
 * The THP (PMD) size, or skip: no THP in this kernel (or not exposed
 * here), a size larger than MC_THP_MAX_SIZE, or THP disabled for this
 * process by an inherited PR_SET_THP_DISABLE.
 */
size_t mc_thp_base(void);
/*
 * mc_thp_base, and skip when PMD-sized anonymous THP is disabled (the
 * per-size control, or else the top-level "enabled", says "never").
 */
size_t mc_thp_require_anon(void);
/* A counter of /proc/vmstat; -1 when the file or the counter is missing. */
long mc_vmstat(const char *key);
/* key1 + key2 of /proc/vmstat (key2 may be missing); -1 without key1. */
long mc_vmstat_sum(const char *key1, const char *key2);
/*
 * A read-write anonymous mapping (share: MAP_PRIVATE or MAP_SHARED) of len
 * bytes at a multiple of align, a VMA of its own between PROT_NONE guard
 * pages. mc_thp_region_try: no ATF (usable in children), NULL with errno
 * on failure; mc_thp_region: fails the case instead. Undo with
 * mc_thp_region_free.
 */
unsigned char *mc_thp_region_try(size_t len, size_t align, int share);
unsigned char *mc_thp_region(size_t len, size_t align, int share);
void mc_thp_region_free(unsigned char *a, size_t len);
/* smaps field of the VMA at p; skips when the field does not exist. */
long mc_smaps_field(const void *p, const char *field);
/*
 * MADV_HUGEPAGE on the aligned THP-sized private range p, then a write at
 * its start, until smaps AnonHugePages equals the THP size (two tries).
 * Fails when neither try got a huge page and the kernel counted no
 * allocation failure; skips as fragmentation when it did.
 */
void mc_thp_fault(unsigned char *p, size_t thp);
/*
 * Skip, after the assertions named in done ran, when PFNs are hidden
 * (the pattern of mc_require_pfns, with what was proved in the reason).
 */
void mc_require_pfns_after(const char *done);
/* PFNs of the n pages at p, 0 where hidden or not present (malloc'd). */
uint64_t *mc_pfns_try(const unsigned char *p, size_t n);
/* Require (PFNs visible) that the n pages at p keep the PFNs in before[]. */
void mc_require_pfns_kept(const unsigned char *p, size_t n,
    const uint64_t *before, const char *what);

/*
 * The largest multi-size THP size below the PMD size that anonymous
 * memory may get with MADV_HUGEPAGE (hugepages-<N>kB/enabled always or
 * madvise, or inherit of such a top-level mode), in bytes; skip naming
 * the settings seen when there is none (this suite changes no host
 * setting).
 */
size_t mc_mthp_size(void);
/* Require smaps AnonHugePages of the VMA at p to be want kB. */
void mc_thp_require_ahp(const unsigned char *p, long want, const char *when);
/*
 * An aligned THP-sized private range holding one huge page (proved by
 * AnonHugePages), page i filled with mc_pattern(first + i).
 */
unsigned char *mc_thp_huge_range(size_t thp, size_t first);
/* madvise(advice), or skip when the kernel does not know it (EINVAL). */
void mc_madvise_or_skip(void *p, size_t len, int advice, const char *name);

#endif
