/*
 * t_mseal: mseal(2) (Linux 6.10+): a sealed mapping cannot be unmapped,
 * moved, resized, replaced or re-protected, and its read-only anonymous
 * pages cannot be discarded; every blocked call fails with EPERM and the
 * mapping stays as it was. Sealing does not make writable memory
 * read-only.
 *
 * Kernels without mseal answer ENOSYS: each case seals its own fresh
 * mapping first and skips on ENOSYS. A sealed mapping lives until the
 * process exits (each case is its own process), so cases never try to
 * clean up what they sealed.
 */
#include <sys/mman.h>
#include <sys/syscall.h>

#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "mc.h"
#include "mc_err.h"

#if defined(__NR_mseal)
#define MC_NR_MSEAL __NR_mseal
#elif defined(__x86_64__) && defined(__ILP32__)
#define MC_NR_MSEAL (0x40000000 + 462) /* x32 */
#elif defined(__x86_64__) || defined(__i386__) || defined(__aarch64__) || \
    defined(__arm__) || defined(__riscv) || defined(__loongarch__) ||     \
    defined(__powerpc__) || defined(__s390__)
#define MC_NR_MSEAL 462 /* the same number on every one of these */
#endif

static long
sys_mseal(void *addr, size_t len, unsigned long flags)
{
#ifdef MC_NR_MSEAL
	return syscall(MC_NR_MSEAL, addr, len, flags);
#else
	(void)addr;
	(void)len;
	(void)flags;
	errno = ENOSYS;
	return -1;
#endif
}

/*
 * Seal [p, p+len), or skip when mseal is not available here: ENOSYS (no
 * mseal in the kernel or emulator, or a seccomp filter), EPERM (sealing
 * exists only for 64-bit processes; in a 64-bit one, a policy or filter).
 */
static void
seal_or_skip(void *p, size_t len)
{
	if (sys_mseal(p, len, 0) == 0)
		return;
	if (errno == EPERM && sizeof(void *) < 8)
		atf_tc_skip("mseal: EPERM in a %zu-bit process (sealing is "
		    "only supported for 64-bit processes)",
		    8 * sizeof(void *));
	if (errno == ENOSYS || errno == EPERM)
		mc_skip_unsupported("mseal", errno);
	ATF_REQUIRE_MSG(false, "mseal(%p, %zu, 0): %s", p, len,
	    strerror(errno));
}

/* The mapping holding p still spans exactly [p, p+len) with these perms
 * (a 4-letter prefix such as "rw-p") and every byte is c. */
static void
require_intact(unsigned char *p, size_t len, const char *perms,
    unsigned char c, const char *after)
{
	struct mc_maps_ent m;
	char what[96];

	ATF_REQUIRE_MSG(mc_maps_entry(p, &m), "after %s the sealed mapping at "
	    "%p is gone", after, (void *)p);
	ATF_REQUIRE_MSG(m.start == (uintptr_t)p &&
	    m.end == (uintptr_t)(p + len), "after %s the sealed mapping "
	    "should span %p-%p, /proc/self/maps says %s", after, (void *)p,
	    (void *)(p + len), m.line);
	ATF_REQUIRE_MSG(strcmp(m.perms, perms) == 0, "after %s the sealed "
	    "mapping should be %s, /proc/self/maps says %s", after, perms,
	    m.line);
	snprintf(what, sizeof(what), "the sealed mapping after %s", after);
	mc_require_readable(p, len, what);
	ATF_REQUIRE_MSG(mc_count_not(p, len, c) == 0, "after %s %zu bytes of "
	    "the sealed mapping are not %#x", after, mc_count_not(p, len, c),
	    c);
}

/* A fresh private anonymous mapping of n pages filled with 'fill', with
 * its own VMA (mc_map_guarded), then given protection prot. */
static unsigned char *
map_guarded(size_t n, int prot, unsigned char fill)
{
	unsigned char *p = mc_map_guarded(n, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1);

	memset(p, fill, n * mc_pagesize());
	if (prot != (PROT_READ | PROT_WRITE))
		ATF_REQUIRE(mprotect(p, n * mc_pagesize(), prot) == 0);
	return p;
}

MC_TC(munmap_sealed_eperm, "MSEAL-1",
    "munmap of a sealed mapping, whole or in part, fails with EPERM and "
    "the mapping stays mapped with its contents")
{
	size_t ps = mc_pagesize();
	unsigned char *p = map_guarded(2, PROT_READ | PROT_WRITE, 'S');

	seal_or_skip(p, 2 * ps);
	MC_REQUIRE_ERR(munmap(p, 2 * ps), EPERM, "munmap(sealed mapping)");
	MC_REQUIRE_ERR(munmap(p + ps, ps), EPERM, "munmap(last sealed page)");
	require_intact(p, 2 * ps, "rw-p", 'S', "munmap");
}

MC_TC(mprotect_sealed_eperm, "MSEAL-2",
    "mprotect of a sealed mapping fails with EPERM and the protection is "
    "unchanged (still writable)")
{
	size_t ps = mc_pagesize();
	unsigned char *p = map_guarded(2, PROT_READ | PROT_WRITE, 'S');

	seal_or_skip(p, 2 * ps);
	MC_REQUIRE_ERR(mprotect(p, 2 * ps, PROT_READ), EPERM,
	    "mprotect(sealed, PROT_READ)");
	MC_REQUIRE_ERR(mprotect(p, ps, PROT_NONE), EPERM,
	    "mprotect(first sealed page, PROT_NONE)");
	require_intact(p, 2 * ps, "rw-p", 'S', "mprotect");
	MC_REQUIRE_NO_FAULT(p, MC_WRITE);
}

MC_TC(mremap_sealed_eperm, "MSEAL-3",
    "mremap of a sealed mapping (shrink, grow, move) fails with EPERM and "
    "the mapping stays where it was with its contents")
{
	size_t ps = mc_pagesize();
	unsigned char *p = map_guarded(2, PROT_READ | PROT_WRITE, 'S');
	unsigned char *dst = mc_map_anon(2 * ps, PROT_NONE, MAP_PRIVATE);

	seal_or_skip(p, 2 * ps);
	MC_REQUIRE_PTR_ERR(mremap(p, 2 * ps, ps, 0), EPERM,
	    "mremap(sealed, shrink)");
	MC_REQUIRE_PTR_ERR(mremap(p, 2 * ps, 4 * ps, MREMAP_MAYMOVE), EPERM,
	    "mremap(sealed, grow, MAYMOVE)");
	MC_REQUIRE_PTR_ERR(mremap(p, 2 * ps, 2 * ps,
	    MREMAP_MAYMOVE | MREMAP_FIXED, dst), EPERM,
	    "mremap(sealed, move to a fixed address)");
	require_intact(p, 2 * ps, "rw-p", 'S', "mremap");
}

MC_TC(map_over_sealed_eperm, "MSEAL-4",
    "Replacing a sealed mapping with mmap(MAP_FIXED) or by moving another "
    "mapping onto it (mremap MREMAP_FIXED) fails with EPERM; the sealed "
    "mapping is unchanged")
{
	size_t ps = mc_pagesize();
	unsigned char *p = map_guarded(2, PROT_READ | PROT_WRITE, 'S');
	unsigned char *other = mc_map_anon(ps, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE);

	memset(other, 'o', ps);
	seal_or_skip(p, 2 * ps);
	MC_REQUIRE_PTR_ERR(mmap(p, ps, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0), EPERM,
	    "mmap(MAP_FIXED over a sealed page)");
	MC_REQUIRE_PTR_ERR(mremap(other, ps, ps, MREMAP_MAYMOVE | MREMAP_FIXED,
	    p + ps), EPERM, "mremap(another mapping onto a sealed page)");
	require_intact(p, 2 * ps, "rw-p", 'S', "mapping over it");
}

MC_TC(discard_ro_anon_sealed_eperm, "MSEAL-5",
    "Destructive madvise (MADV_DONTNEED, MADV_FREE, MADV_DONTFORK, "
    "MADV_WIPEONFORK) on a sealed read-only private anonymous mapping fails "
    "with EPERM and the data stays")
{
	size_t ps = mc_pagesize();
	unsigned char *p = map_guarded(2, PROT_READ, 'R');
	static const struct {
		int advice;
		const char *name;
	} adv[] = {
		{ MADV_DONTNEED, "MADV_DONTNEED" },
		{ MADV_FREE, "MADV_FREE" },
		{ MADV_DONTFORK, "MADV_DONTFORK" },
		{ MADV_WIPEONFORK, "MADV_WIPEONFORK" },
	};

	seal_or_skip(p, 2 * ps);
	for (size_t i = 0; i < sizeof(adv) / sizeof(adv[0]); i++) {
		char what[96];
		snprintf(what, sizeof(what), "madvise(%s) on a sealed "
		    "read-only anonymous mapping", adv[i].name);
		MC_REQUIRE_ERR(madvise(p, 2 * ps, adv[i].advice), EPERM, what);
	}
	require_intact(p, 2 * ps, "r--p", 'R', "destructive madvise");
}

MC_TC(sealed_writable_memory_stays_mutable, "MSEAL-6",
    "Sealing protects the mapping, not the memory: a sealed writable "
    "private anonymous mapping accepts writes and MADV_DONTNEED, which "
    "zero-fills it")
{
	size_t ps = mc_pagesize();
	unsigned char *p = map_guarded(2, PROT_READ | PROT_WRITE, 'S');

	seal_or_skip(p, 2 * ps);
	MC_REQUIRE_NO_FAULT(p, MC_WRITE);
	MC_REQUIRE_NO_FAULT(p + ps, MC_WRITE);
	memset(p, 'W', 2 * ps);
	ATF_REQUIRE_MSG(mc_all_bytes(p, 2 * ps, 'W'), "writes to the sealed "
	    "writable mapping did not stick");
	ATF_REQUIRE_MSG(madvise(p, 2 * ps, MADV_DONTNEED) == 0,
	    "madvise(MADV_DONTNEED) on a sealed writable anonymous mapping: "
	    "expected success, got %s", strerror(errno));
	require_intact(p, 2 * ps, "rw-p", 0, "MADV_DONTNEED");
}

MC_TC(seal_is_idempotent, "MSEAL-7",
    "Sealing an already sealed range again succeeds and changes nothing")
{
	size_t ps = mc_pagesize();
	unsigned char *p = map_guarded(2, PROT_READ | PROT_WRITE, 'S');

	seal_or_skip(p, 2 * ps);
	ATF_REQUIRE_MSG(sys_mseal(p, 2 * ps, 0) == 0, "second mseal of the "
	    "same range: %s", strerror(errno));
	ATF_REQUIRE_MSG(sys_mseal(p, ps, 0) == 0, "mseal of part of the "
	    "sealed range: %s", strerror(errno));
	MC_REQUIRE_ERR(munmap(p, 2 * ps), EPERM, "munmap after sealing twice");
	require_intact(p, 2 * ps, "rw-p", 'S', "sealing twice");
}

MC_TC(bad_flags_or_unaligned_einval, "MSEAL-8",
    "mseal with non-zero flags or an unaligned start fails with EINVAL and "
    "seals nothing (the mapping can still be unmapped)")
{
	size_t ps = mc_pagesize();
	unsigned char *probe = map_guarded(1, PROT_READ | PROT_WRITE, 'p');
	unsigned char *p = map_guarded(2, PROT_READ | PROT_WRITE, 'S');

	seal_or_skip(probe, ps);
	MC_REQUIRE_ERR(sys_mseal(p, 2 * ps, 1), EINVAL, "mseal(flags 1)");
	MC_REQUIRE_ERR(sys_mseal(p + 1, ps, 0), EINVAL, "mseal(addr + 1)");
	ATF_REQUIRE_MSG(munmap(p, 2 * ps) == 0, "munmap after the failed "
	    "mseal calls: %s (the range was sealed anyway)", strerror(errno));
}

MC_TC(unmapped_range_enomem, "MSEAL-9",
    "mseal of a range with an unmapped start or a gap fails with ENOMEM "
    "and seals nothing (the mapped parts can still be unmapped)")
{
	size_t ps = mc_pagesize();
	unsigned char *probe = map_guarded(1, PROT_READ | PROT_WRITE, 'p');
	unsigned char *p = mc_map_anon(3 * ps, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE);

	seal_or_skip(probe, ps);
	ATF_REQUIRE(munmap(p + ps, ps) == 0);
	MC_REQUIRE_ERR(sys_mseal(p, 3 * ps, 0), ENOMEM,
	    "mseal over a one-page gap");
	MC_REQUIRE_ERR(sys_mseal(p + ps, 2 * ps, 0), ENOMEM,
	    "mseal starting at an unmapped page");
	ATF_REQUIRE_MSG(munmap(p, ps) == 0, "munmap of the page before the "
	    "gap: %s (it was sealed anyway)", strerror(errno));
	ATF_REQUIRE_MSG(munmap(p + 2 * ps, ps) == 0, "munmap of the page "
	    "after the gap: %s (it was sealed anyway)", strerror(errno));
}

MC_TC(munmap_partly_sealed_range_atomic, "MSEAL-10",
    "munmap of a range of which only a part is sealed fails with EPERM and "
    "unmaps nothing, not even the unsealed part")
{
	size_t ps = mc_pagesize();
	unsigned char *p = map_guarded(2, PROT_READ | PROT_WRITE, 'S');

	seal_or_skip(p + ps, ps);
	MC_REQUIRE_ERR(munmap(p, 2 * ps), EPERM,
	    "munmap(unsealed page + sealed page)");
	MC_REQUIRE_NO_FAULT(p, MC_READ);
	ATF_REQUIRE_MSG(mc_all_bytes(p, ps, 'S'), "the unsealed page lost its "
	    "data");
	require_intact(p + ps, ps, "rw-p", 'S', "the failed munmap");
	ATF_REQUIRE_MSG(munmap(p, ps) == 0, "the unsealed page alone cannot "
	    "be unmapped: %s", strerror(errno));
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, munmap_sealed_eperm);
	ATF_TP_ADD_TC(tp, mprotect_sealed_eperm);
	ATF_TP_ADD_TC(tp, mremap_sealed_eperm);
	ATF_TP_ADD_TC(tp, map_over_sealed_eperm);
	ATF_TP_ADD_TC(tp, discard_ro_anon_sealed_eperm);
	ATF_TP_ADD_TC(tp, sealed_writable_memory_stays_mutable);
	ATF_TP_ADD_TC(tp, seal_is_idempotent);
	ATF_TP_ADD_TC(tp, bad_flags_or_unaligned_einval);
	ATF_TP_ADD_TC(tp, unmapped_range_enomem);
	ATF_TP_ADD_TC(tp, munmap_partly_sealed_range_atomic);
	return atf_no_error();
}
