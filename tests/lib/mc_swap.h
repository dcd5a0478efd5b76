/*
 * mc_swap.h - swap for the test programs (tests/swap and the cases that
 * page memory out): whether swap can be used here (skip otherwise), the
 * pagemap states of a page (present, swapped, neither), MADV_PAGEOUT until
 * every page is out, and the numbers a failure message names. Part of
 * tests/lib.
 */
#ifndef MMAPCONF_MC_SWAP_H
#define MMAPCONF_MC_SWAP_H

#include <sys/mman.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mc_vm.h"

/* MADV_PAGEOUT calls mc_pageout_all makes before it fails the case. */
#define MC_PAGEOUT_ROUNDS 3

/*
 * Skip unless swap is on (SwapTotal > 0), this process may swap (no
 * cgroup v2 memory.swap.max of 0) and MADV_PAGEOUT exists (probed on a
 * written private anonymous page: EINVAL means the kernel lacks it).
 */
void mc_require_swap_and_pageout(void);

/* A pagemap entry of a page in swap: bit 62 set, bit 63 clear. */
static inline bool
mc_pm_swapped(uint64_t e)
{
	return (e & MC_PM_SWAP) && !(e & MC_PM_PRESENT);
}

/* A pagemap entry of a page in memory: bit 63 set, bit 62 clear. */
static inline bool
mc_pm_present(uint64_t e)
{
	return (e & MC_PM_PRESENT) && !(e & MC_PM_SWAP);
}

/* A pagemap entry of no page at all: neither bit 63 nor bit 62. */
static inline bool
mc_pm_none(uint64_t e)
{
	return !(e & (MC_PM_PRESENT | MC_PM_SWAP));
}

/* How many of the n pages at p pagemap shows swapped out. */
size_t mc_count_swapped(const unsigned char *p, size_t n);
/* "SwapTotal N kB, SwapFree N kB" for failure messages (static buffer). */
const char *mc_swap_numbers(void);
/* The pagemap entries of the n pages at p as text, at most 8 (static). */
const char *mc_pagemap_text(const unsigned char *p, size_t n);
/*
 * madvise(MADV_PAGEOUT) of the n pages at p until pagemap shows every one
 * swapped out, at most MC_PAGEOUT_ROUNDS times; fails the case, naming
 * what, the entries and the swap numbers, when they do not all go.
 */
void mc_pageout_all(unsigned char *p, size_t n, const char *what);
/*
 * The setup of most swap cases: pinned to the current CPU (MADV_PAGEOUT
 * drains this CPU's batches), n private anonymous pages (mc_map_guarded),
 * page i written with mc_pattern(i), then all swapped out (mc_pageout_all,
 * naming them what). Unmap with mc_unmap_guarded.
 */
unsigned char *mc_swapped_anon(size_t n, const char *what);
/*
 * The same for the n pages of a MAP_SHARED mapping at p (shmem), judged by
 * smaps Swap: pagemap need not show bit 62 for shared memory (pagemap.rst,
 * "Exceptions for Shared Memory").
 */
void mc_pageout_shared_all(unsigned char *p, size_t n);
/* smaps "Swap" of the mapping at p in kB; fails the case without it. */
long mc_smaps_swap_kb(const void *p);
/* The pagemap entry of addr, UINT64_MAX when unreadable (children). */
uint64_t mc_pagemap_or_max(const void *addr);

#endif
