/*
 * mc_err.h - expecting errors: errno names for messages, calls that must
 * fail with a given errno (with the call, the expected and the seen result
 * in the failure message), and mmap calls that must fail or succeed.
 */
#ifndef MMAPCONF_MC_ERR_H
#define MMAPCONF_MC_ERR_H

#include <sys/mman.h>
#include <sys/types.h>

#include <errno.h>
#include <string.h>

#include "mc.h"

/* The symbolic name of an errno value ("EINVAL"; 0: "no error"). */
const char *mc_errname(int e);

/* The message of a call that did not fail as expected. */
#define MC_ERR_FMT "%s: expected -1/errno %d (%s), got %ld/errno %d (%s)"
#define MC_PTR_ERR_FMT                                                     \
	"%s: expected MAP_FAILED/errno %d (%s), got %p/errno %d (%s)"

/*
 * Require that call (returning an int or long, -1 on failure) fails with
 * errno want; what names the call. errno is cleared first. The failure is
 * reported at the line of the macro.
 */
#define MC_REQUIRE_ERR(call, want, what)                                   \
	do {                                                               \
		errno = 0;                                                 \
		long r_ = (long)(call);                                    \
		int e_ = errno;                                            \
		ATF_REQUIRE_MSG(r_ == -1 && e_ == (want), MC_ERR_FMT,      \
		    (what), (want), strerror(want), r_, e_, strerror(e_)); \
	} while (0)

/* The same for a call returning a pointer, MAP_FAILED on failure (mremap). */
#define MC_REQUIRE_PTR_ERR(call, want, what)                               \
	do {                                                               \
		errno = 0;                                                 \
		void *r_ = (call);                                         \
		int e_ = errno;                                            \
		ATF_REQUIRE_MSG(r_ == MAP_FAILED && e_ == (want),          \
		    MC_PTR_ERR_FMT, (what), (want), strerror(want), r_,    \
		    e_, strerror(e_));                                     \
	} while (0)

/*
 * The same check on a result r and errno e already taken, with what as a
 * printf format (for helpers that name the call with its arguments).
 */
void mc_require_err(long r, int e, int want, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/*
 * The errno checks of calls named with their arguments (a printf format
 * and its values), reported at the line of the macro:
 *   MC_REQUIRE_ERRF(call, want, fmt, ...)  call fails with -1/errno want
 *   MC_REQUIRE_OKF(call, fmt, ...)         call succeeds (does not return -1)
 * e.g. MC_REQUIRE_ERRF(munmap(p + 1, ps), EINVAL, "munmap(%p, 1 page)", p + 1).
 */
#define MC_REQUIRE_ERRF(call, want, ...)                                   \
	do {                                                               \
		errno = 0;                                                 \
		long r_ = (long)(call);                                    \
		mc_check_call(__FILE__, __LINE__, r_, errno, (want),      \
		    __VA_ARGS__);                                          \
	} while (0)
#define MC_REQUIRE_OKF(call, ...)                                          \
	do {                                                               \
		errno = 0;                                                 \
		long r_ = (long)(call);                                    \
		mc_check_call(__FILE__, __LINE__, r_, errno, 0,            \
		    __VA_ARGS__);                                          \
	} while (0)
/* Their check: want 0 asks for success, else for -1/errno want. */
void mc_check_call(const char *file, int line, long r, int e, int want,
    const char *fmt, ...) __attribute__((format(printf, 6, 7)));

/*
 * Require that an mmap() call (its result r, with errno as mmap left it)
 * failed with errno want; len is the length it asked for, to unmap a
 * mapping that should not exist (a page when 0).
 */
void mc_require_mmap_fails(void *r, size_t len, int want, const char *what);
/* Require that an mmap() call (its result r) succeeded; returns r. */
void *mc_require_mmap_ok(void *r, const char *what);
/*
 * errno of an mmap() that should fail, 0 when it succeeded (the mapping is
 * unmapped again). No ATF (usable in children).
 */
int mc_mmap_errno(void *addr, size_t len, int prot, int flags, int fd,
    off_t off);

/*
 * Skip the case because 'feature' (a system call, flag or advice, e.g.
 * "mseal", "MADV_POPULATE_READ") is not available here, as the probe saw
 * it: err is the errno of a valid use of the feature, 0 when the feature
 * was silently ignored. The reason says what that errno can mean, never a
 * kernel version: "mseal: ENOSYS (not in this kernel, or blocked by a
 * seccomp filter: Seccomp=2)". Seccomp=N is the Seccomp field of
 * /proc/self/status (? when missing). Callers decide by probing which
 * errno means "unsupported"; any other result must fail the case.
 */
__attribute__((noreturn)) void mc_skip_unsupported(const char *feature,
    int err);

/*
 * The kernel's own mmap, bypassing libc: glibc rejects some bad arguments
 * (an unaligned offset) before any syscall, so a test of the kernel's
 * check must call it directly. Skips where the ABI has no mmap syscall
 * that takes a byte offset (32-bit: mmap2 counts pages).
 */
void *mc_sys_mmap(void *addr, size_t len, int prot, int flags, int fd,
    off_t off);
/* mmap or mc_sys_mmap: cases that prove a check both through libc and in
 * the kernel itself take the route as an argument. */
typedef void *(*mc_mmap_fn)(void *, size_t, int, int, int, off_t);
/* The kernel's own mremap (glibc checks the flags itself). */
void *mc_sys_mremap(void *old, size_t old_len, size_t new_len, int flags,
    void *new_addr);

#endif
