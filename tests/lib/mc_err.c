/*
 * mc_err.c - expecting errors (see mc_err.h).
 */
#include "mc_err.h"
#include "mc_proc.h"

#include <sys/mman.h>
#include <sys/syscall.h>

#include <errno.h>
#include <stdint.h>
#include <unistd.h>

#include <stdarg.h>
#include <stdio.h>

const char *
mc_errname(int e)
{
	switch (e) {
	case 0: return "no error";
	case EPERM: return "EPERM";
	case ENOENT: return "ENOENT";
	case EBADF: return "EBADF";
	case EAGAIN: return "EAGAIN";
	case ENOMEM: return "ENOMEM";
	case EACCES: return "EACCES";
	case EFAULT: return "EFAULT";
	case EBUSY: return "EBUSY";
	case EEXIST: return "EEXIST";
	case ENODEV: return "ENODEV";
	case ENOSPC: return "ENOSPC";
	case EINVAL: return "EINVAL";
	case ETXTBSY: return "ETXTBSY";
	case ENOSYS: return "ENOSYS";
	case EOVERFLOW: return "EOVERFLOW";
	case EOPNOTSUPP: return "EOPNOTSUPP";
	default: return "another errno";
	}
}

void
mc_require_err(long r, int e, int want, const char *fmt, ...)
{
	char what[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	ATF_REQUIRE_MSG(r == -1 && e == want, MC_ERR_FMT, what, want,
	    strerror(want), r, e, strerror(e));
}

void
mc_check_call(const char *file, int line, long r, int e, int want,
    const char *fmt, ...)
{
	char what[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	if (want == 0 && r == -1)
		atf_tc_fail_requirement(file, (size_t)line, "%s: expected "
		    "success, got -1/errno %d (%s: %s)", what, e, mc_errname(e),
		    strerror(e));
	if (want != 0 && (r != -1 || e != want))
		atf_tc_fail_requirement(file, (size_t)line, MC_ERR_FMT, what,
		    want, strerror(want), r, r == -1 ? e : 0,
		    r == -1 ? strerror(e) : "no error");
}

void
mc_require_mmap_fails(void *r, size_t len, int want, const char *what)
{
	int e = errno;

	if (r != MAP_FAILED)
		munmap(r, len == 0 ? mc_pagesize() : len);
	ATF_REQUIRE_MSG(r == MAP_FAILED, "%s: expected failure with %s, got "
	    "a mapping at %p", what, mc_errname(want), r);
	ATF_REQUIRE_MSG(e == want, "%s: expected errno %d (%s), got %d (%s: "
	    "%s)", what, want, mc_errname(want), e, mc_errname(e),
	    strerror(e));
}

void *
mc_require_mmap_ok(void *r, const char *what)
{
	int e = errno;

	if (r == MAP_FAILED)
		mc_skip_if_limited(e, what);
	ATF_REQUIRE_MSG(r != MAP_FAILED, "%s: expected success, got errno %d "
	    "(%s: %s)", what, e, mc_errname(e), strerror(e));
	return r;
}

int
mc_mmap_errno(void *addr, size_t len, int prot, int flags, int fd,
    off_t off)
{
	void *p = mmap(addr, len, prot, flags, fd, off);

	if (p == MAP_FAILED)
		return errno;
	munmap(p, len);
	return 0;
}

void
mc_skip_unsupported(const char *feature, int err)
{
	int mode = mc_seccomp_mode();
	char sc[16];

	if (mode < 0)
		snprintf(sc, sizeof(sc), "?");
	else
		snprintf(sc, sizeof(sc), "%d", mode);
	switch (err) {
	case 0:
		atf_tc_skip("%s: ignored without an error (not known to this "
		    "kernel or emulator)", feature);
		break;
	case ENOSYS:
		atf_tc_skip("%s: ENOSYS (not in this kernel, or blocked by a "
		    "seccomp filter: Seccomp=%s)", feature, sc);
		break;
	case EINVAL:
	case EOPNOTSUPP:
		atf_tc_skip("%s: %s (not known to this kernel or emulator, or "
		    "refused by a seccomp filter: Seccomp=%s)", feature,
		    mc_errname(err), sc);
		break;
	case EPERM:
	case EACCES:
		atf_tc_skip("%s: %s (refused by a security policy or a seccomp "
		    "filter: Seccomp=%s)", feature, mc_errname(err), sc);
		break;
	default:
		atf_tc_skip("%s: %s (%s; not available here, Seccomp=%s)",
		    feature, mc_errname(err), strerror(err), sc);
		break;
	}
}

void *
mc_sys_mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
#if defined(SYS_mmap) && UINTPTR_MAX > 0xffffffffu
	return (void *)syscall(SYS_mmap, addr, len, prot, flags, fd, off);
#else
	(void)addr; (void)len; (void)prot; (void)flags; (void)fd; (void)off;
	atf_tc_skip("no mmap syscall with a byte offset on this ABI (mmap2 "
	    "counts pages): the kernel's own offset check cannot be reached");
#endif
}

void *
mc_sys_mremap(void *old, size_t old_len, size_t new_len, int flags,
    void *new_addr)
{
	return (void *)syscall(SYS_mremap, old, old_len, new_len, flags,
	    new_addr);
}
