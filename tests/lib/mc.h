/*
 * mc.h - shared helpers of the mmapconf test programs.
 *
 * Everything a test needs to observe the kernel lives here once, by topic:
 * this file declares the case macros, page and THP sizes, mappings and
 * temporary files in the case's work directory (mc.c); it includes
 * mc_child.h (child processes synchronised through pipes with bounded
 * waits), mc_fault.h ("does touching this address fault, with which signal
 * and si_code") and mc_vm.h (readers of /proc/self/pagemap, mincore(),
 * /proc/self/smaps and /proc/self/maps).
 *
 * Beside it: mc_err.h (calls expected to fail, errno names), mc_proc.h
 * (/proc/self/status and /proc/meminfo fields, sysctl numbers,
 * capabilities, memory locking), mc_code.h (machine code run from a
 * mapping) and mc_worker.h (processes that map a file by themselves).
 */
#ifndef MMAPCONF_MC_H
#define MMAPCONF_MC_H

#include <sys/mman.h>
#include <sys/types.h>

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <atf-c.h>

/*
 * Constants of include/uapi (asm-generic/mman-common.h, linux/memfd.h) that
 * several programs use, for C libraries older than them.
 */
#ifndef MAP_UNINITIALIZED
#define MAP_UNINITIALIZED 0x4000000
#endif
#ifndef MADV_FREE
#define MADV_FREE 8
#endif
#ifndef MADV_COLD
#define MADV_COLD 20
#endif
#ifndef MADV_PAGEOUT
#define MADV_PAGEOUT 21
#endif
#ifndef MFD_HUGETLB
#define MFD_HUGETLB 0x0004U
#endif

/* Every case gets a timeout: generous, since qemu TCG is ~10x slower. */
#define MC_TIMEOUT "60"

/*
 * The one way to declare a case:
 *   MC_TC(name, "ID1 ID2", "description") { body }
 * declares a test case, its head (descr, X-semantics, timeout) and opens
 * its body;
 *   MC_TC_CLEANUP(name, "ID1 ID2", "description", cleanup) { body }
 * the same for a case whose cleanup(void) must run after the body however
 * it ended (it undoes what the body changed outside its work directory:
 * shm objects, file attributes).  Register either with ATF_TP_ADD_TC.
 */
#define MC_TC_HEAD_COMMON(tc, sem, descr)                                  \
	do {                                                               \
		atf_tc_set_md_var(tc, "descr", descr);                     \
		atf_tc_set_md_var(tc, "X-semantics", sem);                 \
		atf_tc_set_md_var(tc, "timeout", MC_TIMEOUT);              \
	} while (0)

#define MC_TC(name, sem, descr)                                            \
	ATF_TC(name);                                                      \
	ATF_TC_HEAD(name, tc) { MC_TC_HEAD_COMMON(tc, sem, descr); }       \
	ATF_TC_BODY(name, tc)

#define MC_TC_CLEANUP(name, sem, descr, cleanup)                           \
	ATF_TC_WITH_CLEANUP(name);                                         \
	ATF_TC_HEAD(name, tc) { MC_TC_HEAD_COMMON(tc, sem, descr); }       \
	ATF_TC_CLEANUP(name, tc) { (void)tc; cleanup(); }                  \
	ATF_TC_BODY(name, tc)

/* Skip the case unless the program at path exists and is executable. */
void mc_require_prog(const char *path);

/* Sizes. */
size_t mc_pagesize(void);
/* THP PMD size from sysfs; 0 when THP is not available. */
size_t mc_thp_size(void);

/* Mapping helpers: ATF_REQUIRE on failure. */
void *mc_map_anon(size_t len, int prot, int flags);
/* mmap a region, then MADV_NOHUGEPAGE it (THP 'always' would fault 2 MiB). */
void mc_nohuge(void *addr, size_t len);
/*
 * A range of 'pages' pages of address space that holds no mapping: found
 * by mapping PROT_NONE and unmapping it. The caller must not allocate
 * (malloc, stdio) before using the hole, or something else may land in it.
 */
unsigned char *mc_free_hole(size_t pages);
/*
 * n usable pages with prot between two PROT_NONE guard pages, so that
 * [result, result + n pages) is a mapping (VMA) of its own that no
 * neighbour can merge with; THP off. flags/fd as for mmap: anonymous
 * (MAP_ANONYMOUS, fd -1) or a file of at least n + 2 pages mapped from
 * offset 0 (the guards are its first and last page); extra flags such as
 * MAP_POPULATE apply to the whole. Requires that /proc/self/maps shows
 * exactly that range. Undo with mc_unmap_guarded(result, n).
 */
unsigned char *mc_map_guarded(size_t n, int prot, int flags, int fd);
void mc_unmap_guarded(void *p, size_t n);
/* A MAP_* flag bit that no flag known to this build uses (below bit 26). */
int mc_unknown_map_flag(void);
/*
 * Skip the case when the C library does not define MAP_SHARED_VALIDATE or
 * the kernel (or emulator) does not know it (Linux 4.15+; EINVAL, then
 * mc_skip_unsupported): probes with a read-only mapping of fd.
 */
void mc_require_shared_validate(int fd);
/*
 * Is MAP_FIXED_NOREPLACE honoured?  A kernel before 4.17 (or an emulator)
 * that does not know the bit ignores it and takes addr as a hint.  The
 * probe maps over a mapping of its own: EEXIST means honoured.  Returns
 * NULL when it is, else why not (written to why); an answer other than
 * EEXIST or a hint's placement fails the case.
 */
const char *mc_fixed_noreplace_missing(char *why, size_t len);
/* Skip the case unless MAP_FIXED_NOREPLACE is honoured. */
void mc_require_fixed_noreplace(void);

/*
 * A file of 'pages' pages in the current (work) directory, page i filled
 * with the byte mc_pattern(i). Returns an fd open O_RDWR.
 */
int mc_make_file(const char *name, size_t pages);
/*
 * The same as a memfd (memfd_create(2), MFD_CLOEXEC) called name; skips
 * the case where memfd_create does not exist (ENOSYS, EINVAL).
 */
int mc_make_memfd(const char *name, size_t pages);
unsigned char mc_pattern(size_t page);
/* Fill page i of [p, p + n pages) with mc_pattern(first + i). */
void mc_fill_patterns(unsigned char *p, size_t n, size_t first);
/*
 * Require page i of [p, p + n pages) to read mc_pattern(first + i) for
 * i < n; what names the pages in the failure message. The pages are probed
 * with mc_touch first (mc_require_readable): where the mapping state is
 * what a case tests, a broken one fails the case instead of crashing it.
 */
void mc_require_patterns(const unsigned char *p, size_t n, size_t first,
    const char *what);
/* Reads 'len' bytes of the file at 'off' with pread(); ATF_REQUIRE on error. */
void mc_pread_all(int fd, void *buf, size_t len, off_t off);
/* True when every byte of buf is c. */
bool mc_all_bytes(const void *buf, size_t len, unsigned char c);
/*
 * Require every byte of [p, p + len) to be c (probed readable first);
 * what names the range in the failure message.
 */
void mc_require_bytes(const unsigned char *p, size_t len, unsigned char c,
    const char *what);
/*
 * How many bytes of [p, p+len) differ from c (c = 0: how many are not
 * zero). Reads through a volatile pointer; no ATF (usable in children).
 */
size_t mc_count_not(const void *p, size_t len, unsigned char c);
/* st_size of the open file fd; ATF_REQUIRE on error. */
off_t mc_fd_size(int fd);
/*
 * mmap(NULL, len, prot, flags, fd, off) that must succeed: ATF_REQUIRE
 * with every argument in the message on failure.
 */
void *mc_map_fd(int fd, size_t len, int prot, int flags, off_t off);

#include "mc_child.h"
#include "mc_fault.h"
#include "mc_vm.h"

#endif
