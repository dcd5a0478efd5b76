/*
 * t_secret: memfd_secret(2) (Linux 5.14+, CONFIG_SECRETMEM): memory that
 * only the owning process's own page tables map. Its pages are removed
 * from the kernel's direct map, so the kernel itself cannot reach them on
 * the process's behalf: /proc/self/mem, process_vm_readv and vmsplice all
 * fail on them, while the process reads and writes them normally.
 *
 * memfd_secret failing with ENOSYS (not built, or an emulator) skips;
 * so does failure to map it, which some kernels refuse unless booted with
 * secretmem.enable=1.
 */
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/uio.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "mc.h"
#include "mc_proc.h"

#ifndef __NR_memfd_secret
#if defined(__x86_64__) || defined(__i386__) || defined(__aarch64__) || \
    defined(__riscv) || defined(__s390x__) || defined(__powerpc64__)
#define __NR_memfd_secret 447
#endif
#endif

/* A memfd_secret file of len bytes, or a skip saying why there is none. */
static int
secret_fd(size_t len)
{
	int fd;

#ifdef __NR_memfd_secret
	fd = (int)syscall(__NR_memfd_secret, 0);
#else
	fd = -1;
	errno = ENOSYS;
#endif
	if (fd < 0) {
		ATF_REQUIRE_MSG(errno == ENOSYS || errno == EINVAL || errno ==
		    EPERM, "memfd_secret(0): expected a file descriptor, or "
		    "ENOSYS where it is not built; got %s", strerror(errno));
		atf_tc_skip("memfd_secret(0) fails with %s: no secret memory "
		    "here (CONFIG_SECRETMEM, Linux 5.14+)", strerror(errno));
	}
	ATF_REQUIRE_MSG(ftruncate(fd, (off_t)len) == 0, "ftruncate(secret "
	    "fd, %zu): %s", len, strerror(errno));
	return fd;
}

/* Map a secret file shared, read-write; skip when the kernel refuses. */
static unsigned char *
secret_map(int fd, size_t len)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);

	if (p == MAP_FAILED && (errno == ENOMEM || errno == EAGAIN ||
	    errno == EPERM)) {
		int e = errno;

		mc_skip_if_limited(e, "mmap of a memfd_secret file (its pages "
		    "are locked: RLIMIT_MEMLOCK)");
		atf_tc_skip("mmap of a memfd_secret file fails with %s",
		    strerror(e));
	}
	ATF_REQUIRE_MSG(p != MAP_FAILED, "mmap(MAP_SHARED) of a memfd_secret "
	    "file of %zu bytes: %s", len, strerror(errno));
	return p;
}

MC_TC(secret_memory_usable, "SECRET-1",
    "A shared mapping of a memfd_secret file reads zero at first, keeps "
    "what the process writes, and a second mapping of the same file sees "
    "those writes")
{
	size_t ps = mc_pagesize();
	int fd = secret_fd(2 * ps);
	unsigned char *p = secret_map(fd, 2 * ps), *q;

	ATF_REQUIRE_EQ_MSG(mc_count_not(p, 2 * ps, 0), (size_t)0, "a new "
	    "secret mapping has %zu non-zero bytes",
	    mc_count_not(p, 2 * ps, 0));
	mc_fill_patterns(p, 2, 0);
	q = secret_map(fd, 2 * ps);
	mc_require_patterns(q, 2, 0, "a second mapping of the secret file");
	ATF_REQUIRE(munmap(q, 2 * ps) == 0);
	ATF_REQUIRE(munmap(p, 2 * ps) == 0);
	ATF_REQUIRE(close(fd) == 0);
}

MC_TC(secret_private_mapping_refused, "SECRET-2",
    "A memfd_secret file can only be mapped shared: mmap with MAP_PRIVATE "
    "fails with EINVAL")
{
	size_t ps = mc_pagesize();
	int fd = secret_fd(ps);
	void *p = mmap(NULL, ps, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	int e = errno;

	if (p != MAP_FAILED)
		ATF_REQUIRE(munmap(p, ps) == 0);
	ATF_REQUIRE_MSG(p == MAP_FAILED && e == EINVAL, "mmap(MAP_PRIVATE) of "
	    "a memfd_secret file: expected EINVAL, got %s",
	    p == MAP_FAILED ? strerror(e) : "a mapping");
	ATF_REQUIRE(close(fd) == 0);
}

MC_TC(secret_not_readable_through_proc_mem, "SECRET-3",
    "The kernel cannot read secret memory on the process's behalf: a "
    "pread of /proc/self/mem at a secret page fails (EIO), while the same "
    "read of an ordinary page returns its bytes")
{
	size_t ps = mc_pagesize();
	int fd = secret_fd(ps), mem;
	unsigned char *p = secret_map(fd, ps);
	unsigned char *plain = mc_map_anon(ps, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE);
	unsigned char b[16];
	ssize_t n;

	memset(p, 0x5e, ps);
	memset(plain, 0x11, ps);
	mem = open("/proc/self/mem", O_RDONLY);
	if (mem < 0)
		atf_tc_skip("/proc/self/mem cannot be opened: %s",
		    strerror(errno));
	n = pread(mem, b, sizeof(b), (off_t)(uintptr_t)plain);
	if (n < 0)
		atf_tc_skip("/proc/self/mem cannot be read even for an "
		    "ordinary page: %s", strerror(errno));
	ATF_REQUIRE_MSG(n == (ssize_t)sizeof(b) && b[0] == 0x11, "pread of "
	    "/proc/self/mem at an ordinary page returned %zd (byte %#x), "
	    "expected %zu bytes of 0x11", n, b[0], sizeof(b));
	errno = 0;
	n = pread(mem, b, sizeof(b), (off_t)(uintptr_t)p);
	ATF_REQUIRE_MSG(n == -1 && errno == EIO, "pread of /proc/self/mem at "
	    "a secret page: expected -1/EIO, got %zd/%s (byte %#x)", n,
	    strerror(errno), n > 0 ? b[0] : 0);
	ATF_REQUIRE(close(mem) == 0);
	ATF_REQUIRE(munmap(plain, ps) == 0);
	ATF_REQUIRE(munmap(p, ps) == 0);
	ATF_REQUIRE(close(fd) == 0);
}

MC_TC(secret_not_readable_by_process_vm_readv, "SECRET-4",
    "process_vm_readv of the process's own secret page copies nothing "
    "(fails with EFAULT), while it copies an ordinary page")
{
	size_t ps = mc_pagesize();
	int fd = secret_fd(ps);
	unsigned char *p = secret_map(fd, ps);
	unsigned char *plain = mc_map_anon(ps, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE);
	unsigned char b[16];
	struct iovec local = { b, sizeof(b) }, remote = { plain, sizeof(b) };
	ssize_t n;

	memset(p, 0x5e, ps);
	memset(plain, 0x22, ps);
	n = process_vm_readv(getpid(), &local, 1, &remote, 1, 0);
	if (n < 0 && (errno == ENOSYS || errno == EPERM))
		atf_tc_skip("process_vm_readv of this process fails with %s",
		    strerror(errno));
	ATF_REQUIRE_MSG(n == (ssize_t)sizeof(b) && b[0] == 0x22,
	    "process_vm_readv of an ordinary page returned %zd (byte %#x), "
	    "expected %zu bytes of 0x22", n, b[0], sizeof(b));
	remote.iov_base = p;
	errno = 0;
	n = process_vm_readv(getpid(), &local, 1, &remote, 1, 0);
	ATF_REQUIRE_MSG(n == -1 && errno == EFAULT, "process_vm_readv of a "
	    "secret page: expected -1/EFAULT, got %zd/%s", n,
	    strerror(errno));
	ATF_REQUIRE(munmap(plain, ps) == 0);
	ATF_REQUIRE(munmap(p, ps) == 0);
	ATF_REQUIRE(close(fd) == 0);
}

MC_TC(secret_syscall_buffer_works, "SECRET-5",
    "The process's own system calls still use secret memory as a buffer: "
    "write() from a secret page to a file and read() back into it move "
    "the bytes")
{
	size_t ps = mc_pagesize();
	int fd = secret_fd(ps), f;
	unsigned char *p = secret_map(fd, ps);
	unsigned char b[64];

	memset(p, 0x6d, 64);
	f = open("plain", O_RDWR | O_CREAT | O_TRUNC, 0600);
	ATF_REQUIRE_MSG(f >= 0, "open(plain): %s", strerror(errno));
	ATF_REQUIRE_EQ_MSG(write(f, p, 64), 64, "write() from a secret page: "
	    "%s", strerror(errno));
	mc_pread_all(f, b, 64, 0);
	ATF_REQUIRE_MSG(mc_all_bytes(b, 64, 0x6d), "the file does not hold "
	    "the secret page's 0x6d bytes after write()");
	memset(p, 0, 64);
	ATF_REQUIRE_EQ_MSG(pread(f, p, 64, 0), 64, "pread() into a secret "
	    "page: %s", strerror(errno));
	ATF_REQUIRE_MSG(mc_all_bytes(p, 64, 0x6d), "the secret page does not "
	    "hold the file's bytes after pread()");
	ATF_REQUIRE(close(f) == 0);
	ATF_REQUIRE(munmap(p, ps) == 0);
	ATF_REQUIRE(close(fd) == 0);
}

MC_TC(secret_vmsplice_refused, "SECRET-6",
    "Secret pages cannot be pinned by the kernel: vmsplice of a secret "
    "page into a pipe fails (EFAULT), while an ordinary page is accepted")
{
	size_t ps = mc_pagesize();
	int fd = secret_fd(ps), pfd[2];
	unsigned char *p = secret_map(fd, ps);
	unsigned char *plain = mc_map_anon(ps, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE);
	struct iovec iov = { plain, 64 };
	ssize_t n;

	memset(p, 0x5e, ps);
	memset(plain, 0x33, ps);
	ATF_REQUIRE(pipe(pfd) == 0);
	n = vmsplice(pfd[1], &iov, 1, 0);
	if (n < 0 && (errno == ENOSYS || errno == EINVAL || errno == EPERM))
		atf_tc_skip("vmsplice fails with %s even for an ordinary page "
		    "(EPERM: a seccomp filter; Seccomp: %d)", strerror(errno),
		    mc_seccomp_mode());
	ATF_REQUIRE_EQ_MSG(n, 64, "vmsplice of an ordinary page returned "
	    "%zd: %s", n, strerror(errno));
	iov.iov_base = p;
	errno = 0;
	n = vmsplice(pfd[1], &iov, 1, 0);
	ATF_REQUIRE_MSG(n == -1 && errno == EFAULT, "vmsplice of a secret "
	    "page: expected -1/EFAULT, got %zd/%s", n, strerror(errno));
	ATF_REQUIRE(close(pfd[0]) == 0 && close(pfd[1]) == 0);
	ATF_REQUIRE(munmap(plain, ps) == 0);
	ATF_REQUIRE(munmap(p, ps) == 0);
	ATF_REQUIRE(close(fd) == 0);
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, secret_memory_usable);
	ATF_TP_ADD_TC(tp, secret_private_mapping_refused);
	ATF_TP_ADD_TC(tp, secret_not_readable_through_proc_mem);
	ATF_TP_ADD_TC(tp, secret_not_readable_by_process_vm_readv);
	ATF_TP_ADD_TC(tp, secret_syscall_buffer_works);
	ATF_TP_ADD_TC(tp, secret_vmsplice_refused);
	return atf_no_error();
}
