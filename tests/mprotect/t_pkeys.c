/*
 * t_pkeys: memory protection keys (pkeys(7)): pkey_alloc(2), pkey_free(2)
 * and pkey_mprotect(2) (Linux 4.9+).
 *
 * The system calls are made with syscall(2), so that what the kernel says
 * is seen whatever the C library. Protection keys need the CPU (x86 PKU,
 * POWER, arm64 POE) and the kernel: pkey_alloc(0, 0) is the probe that
 * pkeys(7) recommends. ENOSYS (no system call), ENOSPC (no key: the kernel
 * or CPU has none, or all are taken) and EINVAL for that valid call (x86
 * kernels answer so when the CPU has no protection keys) skip the cases
 * that need a key. pkey_mprotect with key -1 is plain mprotect and needs no
 * key hardware.
 *
 * A signal handler runs with the default rights of every key, and the
 * fault probes leave their handler with siglongjmp: after a probed fault,
 * the thread keeps those default rights (no access through any allocated
 * key). So each case checks what must still work before it probes a fault,
 * and afterwards reads the data through a second mapping of the same file
 * that carries the default key 0.
 */
#include <sys/mman.h>
#include <sys/syscall.h>

#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "mc.h"
#include "mc_err.h"

#ifndef PKEY_DISABLE_ACCESS
#define PKEY_DISABLE_ACCESS 0x1
#endif
#ifndef PKEY_DISABLE_WRITE
#define PKEY_DISABLE_WRITE 0x2
#endif

/* ---- the system calls --------------------------------------------------- */

static long
sys_pkey_alloc(unsigned long flags, unsigned long rights)
{
#ifdef SYS_pkey_alloc
	return syscall(SYS_pkey_alloc, flags, rights);
#else
	(void)flags; (void)rights;
	errno = ENOSYS;
	return -1;
#endif
}

static long
sys_pkey_free(int pkey)
{
#ifdef SYS_pkey_free
	return syscall(SYS_pkey_free, (long)pkey);
#else
	(void)pkey;
	errno = ENOSYS;
	return -1;
#endif
}

static long
sys_pkey_mprotect(void *addr, size_t len, int prot, int pkey)
{
#ifdef SYS_pkey_mprotect
	return syscall(SYS_pkey_mprotect, addr, len, (long)prot, (long)pkey);
#else
	(void)addr; (void)len; (void)prot; (void)pkey;
	errno = ENOSYS;
	return -1;
#endif
}

/* ---- helpers ------------------------------------------------------------ */

/* pkey_alloc(0, rights), or skip when this system has no protection key. */
static int
alloc_key_or_skip(unsigned long rights)
{
	long k = sys_pkey_alloc(0, rights);
	int e = errno;

	if (k >= 0)
		return (int)k;
	if (e == ENOSYS || e == EPERM)
		mc_skip_unsupported("pkey_alloc", e);
	if (e == EINVAL)
		atf_tc_skip("pkey_alloc(0, %#lx): EINVAL for valid arguments: "
		    "no protection keys here (the CPU lacks them or the kernel "
		    "has them disabled)", rights);
	if (e == ENOSPC)
		atf_tc_skip("pkey_alloc(0, %#lx): ENOSPC: no protection key "
		    "available (the CPU or the kernel has none, or all are "
		    "allocated)", rights);
	ATF_REQUIRE_MSG(false, "pkey_alloc(0, %#lx): expected a key or "
	    "ENOSPC, got errno %d (%s: %s)", rights, e, mc_errname(e),
	    strerror(e));
	return -1;
}

/*
 * Two shared mappings of one file of n pages filled with 'k': *tagged is
 * the one the case gives a key, *plain keeps the default key 0 and shows
 * the same pages.
 */
static int
two_views(const char *name, size_t n, unsigned char **tagged,
    unsigned char **plain)
{
	size_t ps = mc_pagesize();
	int fd = mc_make_file(name, n);

	*tagged = mc_map_fd(fd, n * ps, PROT_READ | PROT_WRITE, MAP_SHARED, 0);
	*plain = mc_map_fd(fd, n * ps, PROT_READ | PROT_WRITE, MAP_SHARED, 0);
	memset(*plain, 'k', n * ps);
	return fd;
}

/* ---- cases -------------------------------------------------------------- */

MC_TC(pkey_minus_one_is_mprotect, "PKEY-1",
    "pkey_mprotect with key -1 works like mprotect, also without "
    "protection-key hardware: PROT_READ keeps reads working and makes "
    "writes raise SIGSEGV/SEGV_ACCERR")
{
	size_t ps = mc_pagesize();
	unsigned char *p = mc_map_anon(2 * ps, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE);

	memset(p, 'm', 2 * ps);
	if (sys_pkey_mprotect(p, ps, PROT_READ, -1) != 0) {
		int e = errno;

		if (e == ENOSYS || e == EPERM)
			mc_skip_unsupported("pkey_mprotect", e);
		ATF_REQUIRE_MSG(false, "pkey_mprotect(PROT_READ, key -1): "
		    "expected success, got errno %d (%s: %s)", e,
		    mc_errname(e), strerror(e));
	}
	MC_REQUIRE_NO_FAULT(p, MC_READ);
	ATF_REQUIRE_MSG(mc_all_bytes(p, ps, 'm'), "the page made read-only "
	    "with key -1 lost its data");
	MC_REQUIRE_FAULT(p, MC_WRITE, SIGSEGV, SEGV_ACCERR);
	MC_REQUIRE_NO_FAULT(p + ps, MC_WRITE); /* the page after: untouched */
	ATF_REQUIRE_MSG(sys_pkey_mprotect(p, ps, PROT_READ | PROT_WRITE, -1) ==
	    0, "pkey_mprotect(PROT_READ|PROT_WRITE, key -1): %s",
	    strerror(errno));
	MC_REQUIRE_NO_FAULT(p, MC_WRITE);
	ATF_REQUIRE(munmap(p, 2 * ps) == 0);
}

MC_TC(write_disabled_key_write_segv_pkuerr, "PKEY-2",
    "On pages given (pkey_mprotect) a key allocated with "
    "PKEY_DISABLE_WRITE, reads work and a write raises SIGSEGV with "
    "si_code SEGV_PKUERR and changes nothing")
{
	size_t ps = mc_pagesize();
	unsigned char *t, *v;
	int fd = two_views("pkey.dat", 1, &t, &v);
	int k = alloc_key_or_skip(PKEY_DISABLE_WRITE);

	ATF_REQUIRE_MSG(sys_pkey_mprotect(t, ps, PROT_READ | PROT_WRITE, k) ==
	    0, "pkey_mprotect(PROT_READ|PROT_WRITE, key %d): %s", k,
	    strerror(errno));
	MC_REQUIRE_NO_FAULT(t, MC_READ);
	ATF_REQUIRE_MSG(mc_all_bytes(t, ps, 'k'), "reading the page with the "
	    "write-disabled key: %zu bytes are not 'k'", mc_count_not(t, ps,
	    'k'));
	/* Last access through t: the fault leaves the key's rights reset. */
	MC_REQUIRE_FAULT(t + ps / 2, MC_WRITE, SIGSEGV, MC_SEGV_PKUERR);
	ATF_REQUIRE_MSG(mc_all_bytes(v, ps, 'k'), "after the refused write "
	    "the page (read through a mapping with key 0) has %zu bytes that "
	    "are not 'k'", mc_count_not(v, ps, 'k'));
	ATF_REQUIRE(munmap(t, ps) == 0);
	ATF_REQUIRE_MSG(sys_pkey_free(k) == 0, "pkey_free(%d): %s", k,
	    strerror(errno));
	ATF_REQUIRE(munmap(v, ps) == 0);
	close(fd);
}

MC_TC(access_disabled_key_read_write_segv_pkuerr, "PKEY-3",
    "On pages given a key allocated with PKEY_DISABLE_ACCESS, reads and "
    "writes raise SIGSEGV with si_code SEGV_PKUERR and the data stays")
{
	size_t ps = mc_pagesize();
	unsigned char *t, *v;
	int fd = two_views("pkey.dat", 1, &t, &v);
	int k = alloc_key_or_skip(PKEY_DISABLE_ACCESS);

	ATF_REQUIRE_MSG(sys_pkey_mprotect(t, ps, PROT_READ | PROT_WRITE, k) ==
	    0, "pkey_mprotect(PROT_READ|PROT_WRITE, key %d): %s", k,
	    strerror(errno));
	MC_REQUIRE_FAULT(t, MC_READ, SIGSEGV, MC_SEGV_PKUERR);
	MC_REQUIRE_FAULT(t, MC_WRITE, SIGSEGV, MC_SEGV_PKUERR);
	ATF_REQUIRE_MSG(mc_all_bytes(v, ps, 'k'), "after the refused accesses "
	    "the page (read through a mapping with key 0) has %zu bytes that "
	    "are not 'k'", mc_count_not(v, ps, 'k'));
	ATF_REQUIRE(munmap(t, ps) == 0);
	ATF_REQUIRE_MSG(sys_pkey_free(k) == 0, "pkey_free(%d): %s", k,
	    strerror(errno));
	ATF_REQUIRE(munmap(v, ps) == 0);
	close(fd);
}

MC_TC(freed_key_unallocated_einval, "PKEY-4",
    "pkey_free of an allocated key returns 0 and the key is no longer "
    "allocated: pkey_mprotect with it and a second pkey_free fail with "
    "EINVAL")
{
	size_t ps = mc_pagesize();
	unsigned char *p = mc_map_anon(ps, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE);
	int k = alloc_key_or_skip(0);

	p[0] = 'f';
	ATF_REQUIRE_MSG(sys_pkey_free(k) == 0, "pkey_free(%d) of an allocated "
	    "key: expected 0, got errno %d (%s)", k, errno, strerror(errno));
	MC_REQUIRE_ERR(sys_pkey_mprotect(p, ps, PROT_READ, k), EINVAL,
	    "pkey_mprotect with a freed key");
	MC_REQUIRE_ERR(sys_pkey_free(k), EINVAL, "a second pkey_free of the "
	    "key");
	/* The refused pkey_mprotect changed nothing: still writable. */
	MC_REQUIRE_NO_FAULT(p, MC_WRITE);
	ATF_REQUIRE(munmap(p, ps) == 0);
}

MC_TC(never_allocated_key_einval, "PKEY-5",
    "pkey_mprotect and pkey_free with a key that was never allocated "
    "(INT_MAX, -2) fail with EINVAL, with or without protection keys, and "
    "change nothing")
{
	size_t ps = mc_pagesize();
	unsigned char *p = mc_map_anon(ps, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE);

	p[0] = 'n';
	/* Probe: the pkey system calls exist and are allowed here. */
	if (sys_pkey_mprotect(p, ps, PROT_READ | PROT_WRITE, -1) != 0) {
		int e = errno;

		if (e == ENOSYS || e == EPERM)
			mc_skip_unsupported("pkey_mprotect", e);
		ATF_REQUIRE_MSG(false, "pkey_mprotect(PROT_READ|PROT_WRITE, "
		    "key -1): expected success, got errno %d (%s: %s)", e,
		    mc_errname(e), strerror(e));
	}
	MC_REQUIRE_ERR(sys_pkey_mprotect(p, ps, PROT_READ, INT_MAX), EINVAL,
	    "pkey_mprotect with key INT_MAX");
	MC_REQUIRE_ERR(sys_pkey_mprotect(p, ps, PROT_READ, -2), EINVAL,
	    "pkey_mprotect with key -2");
	MC_REQUIRE_ERR(sys_pkey_free(INT_MAX), EINVAL, "pkey_free(INT_MAX)");
	MC_REQUIRE_ERR(sys_pkey_free(-2), EINVAL, "pkey_free(-2)");
	/* The refused pkey_mprotect calls changed nothing: still writable. */
	MC_REQUIRE_NO_FAULT(p, MC_WRITE);
	ATF_REQUIRE(munmap(p, ps) == 0);
}

MC_TC(alloc_bad_flags_or_rights_einval, "PKEY-6",
    "pkey_alloc with non-zero flags or unknown access rights fails with "
    "EINVAL where protection keys exist")
{
	int k = alloc_key_or_skip(0); /* probe: keys exist here */
	long r;

	ATF_REQUIRE_MSG(sys_pkey_free(k) == 0, "pkey_free(%d): %s", k,
	    strerror(errno));
	errno = 0;
	r = sys_pkey_alloc(1, 0);
	if (r >= 0)
		(void)sys_pkey_free((int)r);
	mc_require_err(r, errno, EINVAL, "pkey_alloc(flags 1, 0)");
	errno = 0;
	r = sys_pkey_alloc(0, 0x80000000UL);
	if (r >= 0)
		(void)sys_pkey_free((int)r);
	mc_require_err(r, errno, EINVAL, "pkey_alloc(0, rights 0x80000000)");
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, pkey_minus_one_is_mprotect);
	ATF_TP_ADD_TC(tp, write_disabled_key_write_segv_pkuerr);
	ATF_TP_ADD_TC(tp, access_disabled_key_read_write_segv_pkuerr);
	ATF_TP_ADD_TC(tp, freed_key_unallocated_einval);
	ATF_TP_ADD_TC(tp, never_allocated_key_einval);
	ATF_TP_ADD_TC(tp, alloc_bad_flags_or_rights_einval);
	return atf_no_error();
}
