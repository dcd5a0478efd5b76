/*
 * t_memfd: memfd_create(2) files mapped with mmap, and how file seals
 * (fcntl(2) F_ADD_SEALS) restrict and interact with mappings.
 */
#include <sys/mman.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "mc.h"
#include "mc_err.h"

#ifndef F_SEAL_FUTURE_WRITE
#define F_SEAL_FUTURE_WRITE 0x0010
#endif

/* A memfd of 'pages' zero pages; skip when memfd_create is unavailable. */
static int
memfd(const char *name, unsigned int flags, size_t pages)
{
	int fd = memfd_create(name, flags | MFD_CLOEXEC);

	if (fd < 0 && (errno == ENOSYS || errno == EPERM || errno == EACCES))
		mc_skip_unsupported("memfd_create", errno);
	ATF_REQUIRE_MSG(fd >= 0, "memfd_create(%s, %#x): %s", name, flags,
	    strerror(errno));
	ATF_REQUIRE_MSG(ftruncate(fd, (off_t)(pages * mc_pagesize())) == 0,
	    "ftruncate(memfd, %zu pages): %s", pages, strerror(errno));
	return fd;
}

static void
add_seals(int fd, int seals, const char *what)
{
	ATF_REQUIRE_MSG(fcntl(fd, F_ADD_SEALS, seals) == 0, "fcntl(F_ADD_SEALS, "
	    "%s): %s", what, strerror(errno));
}

static int
get_seals(int fd)
{
	int s = fcntl(fd, F_GET_SEALS);

	ATF_REQUIRE_MSG(s >= 0, "fcntl(F_GET_SEALS): %s", strerror(errno));
	return s;
}

static int
memfd_child(struct mc_child *self, void *arg)
{
	int fd = *(int *)arg;
	size_t ps = (size_t)sysconf(_SC_PAGESIZE);
	volatile unsigned char *p = mmap(NULL, ps, PROT_READ | PROT_WRITE,
	    MAP_SHARED, fd, 0);

	if (p == MAP_FAILED)
		return 10;
	mc_child_send_u64(self, p[0]);
	p[1] = 'C';
	mc_child_send_u64(self, 1);
	return 0;
}

MC_TC(memfd_mapping_shared_like_a_file, "MEMFD-1",
    "A memfd starts empty; once sized, its MAP_SHARED mappings are "
    "zero-filled, writes reach the file (read()) and a child mapping the "
    "inherited fd itself shares them both ways")
{
	size_t ps = mc_pagesize();
	int fd = memfd("mc-share", 0, 0);
	struct mc_child ch;
	unsigned char *p, c;
	uint64_t v;

	ATF_REQUIRE_EQ_MSG(mc_fd_size(fd), 0, "initial memfd size: expected 0, "
	    "got %jd", (intmax_t)mc_fd_size(fd));
	ATF_REQUIRE(ftruncate(fd, (off_t)(2 * ps)) == 0);
	p = mc_map_fd(fd, 2 * ps, PROT_READ | PROT_WRITE, MAP_SHARED, 0);
	ATF_REQUIRE_MSG(mc_all_bytes(p, 2 * ps, 0), "a new memfd mapping is "
	    "not zero-filled");
	p[0] = 'P';
	mc_pread_all(fd, &c, 1, 0);
	ATF_REQUIRE_MSG(c == 'P', "read() on the memfd sees %#x after a write "
	    "through the mapping, expected 'P'", c);
	mc_spawn(&ch, memfd_child, &fd);
	mc_expect(&ch, &v, sizeof(v), "the child's read");
	ATF_REQUIRE_MSG(v == 'P', "the child's own mapping reads %#jx, "
	    "expected 'P'", (uintmax_t)v);
	mc_expect(&ch, &v, sizeof(v), "the child's write");
	ATF_REQUIRE_MSG(p[1] == 'C', "the parent reads %#x after the child "
	    "wrote 'C'", p[1]);
	mc_reap_ok(&ch);
	ATF_REQUIRE(munmap(p, 2 * ps) == 0);
	close(fd);
}

MC_TC(memfd_name_in_proc_maps, "MEMFD-2",
    "A memfd mapping is shown in /proc/self/maps, like its fd link in "
    "/proc/self/fd, as \"/memfd:NAME (deleted)\"")
{
	size_t ps = mc_pagesize();
	int fd = memfd("mc-name", 0, 1);
	unsigned char *p = mc_map_fd(fd, ps, PROT_READ, MAP_SHARED, 0);
	char line[1024], link[64], target[256];
	const char *want = "/memfd:mc-name (deleted)";
	size_t ll, wl = strlen(want);
	ssize_t n;

	ATF_REQUIRE_MSG(mc_maps_line(p, line, sizeof(line)), "no line in "
	    "/proc/self/maps holds the memfd mapping at %p", (void *)p);
	ll = strlen(line);
	ATF_REQUIRE_MSG(ll > wl && strcmp(line + ll - wl, want) == 0 &&
	    line[ll - wl - 1] == ' ', "maps line \"%s\": expected it to end "
	    "with \" %s\"", line, want);
	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = readlink(link, target, sizeof(target) - 1);
	ATF_REQUIRE_MSG(n > 0, "readlink(%s): %s", link, strerror(errno));
	target[n] = '\0';
	ATF_REQUIRE_MSG(strcmp(target, want) == 0, "readlink(%s) = \"%s\", "
	    "expected \"%s\"", link, target, want);
	ATF_REQUIRE(munmap(p, ps) == 0);
	close(fd);
}

MC_TC(no_allow_sealing_means_seal_seal, "MEMFD-3",
    "Without MFD_ALLOW_SEALING a memfd carries F_SEAL_SEAL: F_ADD_SEALS "
    "fails with EPERM and shared writable mappings keep working")
{
	size_t ps = mc_pagesize();
	int fd = memfd("mc-noseal", 0, 1);
	unsigned char *p;

	ATF_REQUIRE_EQ_MSG(get_seals(fd), F_SEAL_SEAL, "initial seals "
	    "without MFD_ALLOW_SEALING: expected F_SEAL_SEAL (%#x), got %#x",
	    F_SEAL_SEAL, get_seals(fd));
	MC_REQUIRE_ERR(fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE), EPERM,
	    "F_ADD_SEALS(F_SEAL_WRITE) on a memfd without MFD_ALLOW_SEALING");
	p = mc_map_fd(fd, ps, PROT_READ | PROT_WRITE, MAP_SHARED, 0);
	p[0] = 'w';
	ATF_REQUIRE(munmap(p, ps) == 0);
	close(fd);
}

MC_TC(seal_write_rejects_shared_writable_mmap, "MEMFD-4",
    "With F_SEAL_WRITE, a new MAP_SHARED PROT_WRITE mapping fails with "
    "EPERM (as does write())")
{
	size_t ps = mc_pagesize();
	int fd = memfd("mc-sealw", MFD_ALLOW_SEALING, 1);

	ATF_REQUIRE_EQ_MSG(get_seals(fd), 0, "initial seals with "
	    "MFD_ALLOW_SEALING: expected none, got %#x", get_seals(fd));
	add_seals(fd, F_SEAL_WRITE, "F_SEAL_WRITE");
	mc_require_mmap_fails(mmap(NULL, ps, PROT_READ | PROT_WRITE,
	    MAP_SHARED, fd, 0), ps, EPERM, "mmap(MAP_SHARED, "
	    "PROT_READ|PROT_WRITE) of a write-sealed memfd");
	mc_require_mmap_fails(mmap(NULL, ps, PROT_WRITE, MAP_SHARED, fd, 0),
	    ps, EPERM, "mmap(MAP_SHARED, PROT_WRITE) of a write-sealed memfd");
	MC_REQUIRE_ERR(write(fd, "x", 1), EPERM, "write() to a write-sealed "
	    "memfd");
	close(fd);
}

MC_TC(seal_write_allows_private_writable_mmap, "MEMFD-5",
    "With F_SEAL_WRITE, a MAP_PRIVATE writable mapping is allowed: its "
    "writes are private copies and the sealed contents do not change")
{
	size_t ps = mc_pagesize();
	int fd = memfd("mc-sealwp", MFD_ALLOW_SEALING, 1);
	unsigned char *p, *q, c;

	ATF_REQUIRE(pwrite(fd, "s", 1, 0) == 1);
	add_seals(fd, F_SEAL_WRITE, "F_SEAL_WRITE");
	p = mc_map_fd(fd, ps, PROT_READ | PROT_WRITE, MAP_PRIVATE, 0);
	q = mc_map_fd(fd, ps, PROT_READ, MAP_PRIVATE, 0);
	ATF_REQUIRE_MSG(p[0] == 's', "private mapping reads %#x, expected "
	    "'s'", p[0]);
	MC_REQUIRE_NO_FAULT(p, MC_WRITE); /* writes 0xA5 */
	ATF_REQUIRE_MSG(p[0] == 0xA5, "private write did not stick");
	mc_pread_all(fd, &c, 1, 0);
	ATF_REQUIRE_MSG(c == 's', "the sealed file changed to %#x after a "
	    "private write", c);
	ATF_REQUIRE_MSG(q[0] == 's', "another private mapping sees %#x after "
	    "the private write, expected 's'", q[0]);
	ATF_REQUIRE(munmap(p, ps) == 0);
	ATF_REQUIRE(munmap(q, ps) == 0);
	close(fd);
}

MC_TC(seal_write_ebusy_while_shared_writable_mapped, "MEMFD-6",
    "Adding F_SEAL_WRITE fails with EBUSY while a writable shared mapping "
    "exists, and succeeds once it is unmapped")
{
	size_t ps = mc_pagesize();
	int fd = memfd("mc-busy", MFD_ALLOW_SEALING, 1);
	unsigned char *p = mc_map_fd(fd, ps, PROT_READ | PROT_WRITE,
	    MAP_SHARED, 0);

	p[0] = 'w';
	MC_REQUIRE_ERR(fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE), EBUSY,
	    "F_ADD_SEALS(F_SEAL_WRITE) with a writable shared mapping");
	ATF_REQUIRE_MSG((get_seals(fd) & F_SEAL_WRITE) == 0, "F_SEAL_WRITE "
	    "was set although F_ADD_SEALS failed (seals %#x)", get_seals(fd));
	p[1] = 'w'; /* still writable */
	ATF_REQUIRE(munmap(p, ps) == 0);
	add_seals(fd, F_SEAL_WRITE, "F_SEAL_WRITE after munmap");
	ATF_REQUIRE_MSG(get_seals(fd) & F_SEAL_WRITE, "F_SEAL_WRITE not in "
	    "the seals (%#x)", get_seals(fd));
	close(fd);
}

MC_TC(seal_write_readonly_shared_cannot_gain_write, "MEMFD-7",
    "With F_SEAL_WRITE, a read-only MAP_SHARED mapping can never become "
    "writable: mprotect(PROT_WRITE) fails with EACCES and writes fault")
{
	size_t ps = mc_pagesize();
	int fd = memfd("mc-sealro", MFD_ALLOW_SEALING, 1);
	unsigned char *p;

	ATF_REQUIRE(pwrite(fd, "s", 1, 0) == 1);
	add_seals(fd, F_SEAL_WRITE, "F_SEAL_WRITE");
	p = mmap(NULL, ps, PROT_READ, MAP_SHARED, fd, 0);
	/*
	 * Whether the read-only shared mapping exists at all is asked here
	 * only: t_mmap_errors:write_sealed_memfd_shared_write_eperm
	 * (MMAPERR-27) tests just the writable one.
	 */
	if (p == MAP_FAILED && errno == EPERM)
		atf_tc_skip("mmap(PROT_READ, MAP_SHARED) of a write-sealed "
		    "memfd fails with EPERM: this kernel refuses every "
		    "shared mapping of a write-sealed memfd (as Linux did "
		    "before 6.6): no read-only shared mapping to test");
	ATF_REQUIRE_MSG(p != MAP_FAILED, "mmap(MAP_SHARED, PROT_READ) of a "
	    "write-sealed memfd: %s", strerror(errno));
	mc_require_readable(p, ps, "the read-only shared mapping");
	ATF_REQUIRE_MSG(p[0] == 's', "read-only mapping reads %#x", p[0]);
	MC_REQUIRE_ERR(mprotect(p, ps, PROT_READ | PROT_WRITE), EACCES,
	    "mprotect(PROT_READ|PROT_WRITE) of a read-only shared mapping of "
	    "a write-sealed memfd");
	MC_REQUIRE_FAULT(p, MC_WRITE, SIGSEGV, SEGV_ACCERR);
	ATF_REQUIRE(munmap(p, ps) == 0);
	close(fd);
}

/* Add F_SEAL_FUTURE_WRITE or skip when the kernel does not know it. */
static void
add_future_write(int fd)
{
	if (fcntl(fd, F_ADD_SEALS, F_SEAL_FUTURE_WRITE) != 0) {
		if (errno == EINVAL)
			mc_skip_unsupported("F_SEAL_FUTURE_WRITE", EINVAL);
		ATF_REQUIRE_MSG(false, "F_ADD_SEALS(F_SEAL_FUTURE_WRITE): %s",
		    strerror(errno));
	}
}

MC_TC(future_write_existing_mapping_keeps_writing, "MEMFD-8",
    "F_SEAL_FUTURE_WRITE can be added while a writable shared mapping "
    "exists, which keeps modifying the file; new shared writable mmap and "
    "write() fail with EPERM")
{
	size_t ps = mc_pagesize();
	int fd = memfd("mc-future", MFD_ALLOW_SEALING, 1);
	unsigned char *p = mc_map_fd(fd, ps, PROT_READ | PROT_WRITE,
	    MAP_SHARED, 0);
	unsigned char c;

	p[0] = 'a';
	add_future_write(fd);
	ATF_REQUIRE_MSG(get_seals(fd) & F_SEAL_FUTURE_WRITE, "seal not set "
	    "(%#x)", get_seals(fd));
	MC_REQUIRE_NO_FAULT(p + 1, MC_WRITE);
	p[0] = 'b';
	mc_pread_all(fd, &c, 1, 0);
	ATF_REQUIRE_MSG(c == 'b', "write through the pre-existing mapping: "
	    "read() sees %#x, expected 'b'", c);
	mc_require_mmap_fails(mmap(NULL, ps, PROT_READ | PROT_WRITE,
	    MAP_SHARED, fd, 0), ps, EPERM, "new mmap(MAP_SHARED, PROT_WRITE) "
	    "after F_SEAL_FUTURE_WRITE");
	MC_REQUIRE_ERR(write(fd, "x", 1), EPERM, "write() after "
	    "F_SEAL_FUTURE_WRITE");
	ATF_REQUIRE(munmap(p, ps) == 0);
	close(fd);
}

MC_TC(future_write_new_mappings_read_only_or_private, "MEMFD-9",
    "After F_SEAL_FUTURE_WRITE, a new read-only shared mapping cannot be "
    "made writable (mprotect EACCES) while a private writable mapping is "
    "allowed and leaves the file unchanged")
{
	size_t ps = mc_pagesize();
	int fd = memfd("mc-future2", MFD_ALLOW_SEALING, 1);
	unsigned char *ro, *priv, c;

	ATF_REQUIRE(pwrite(fd, "f", 1, 0) == 1);
	add_future_write(fd);
	ro = mc_map_fd(fd, ps, PROT_READ, MAP_SHARED, 0);
	MC_REQUIRE_ERR(mprotect(ro, ps, PROT_READ | PROT_WRITE), EACCES,
	    "mprotect(PROT_WRITE) of a read-only shared mapping made after "
	    "F_SEAL_FUTURE_WRITE");
	priv = mc_map_fd(fd, ps, PROT_READ | PROT_WRITE, MAP_PRIVATE, 0);
	priv[0] = 'p';
	mc_pread_all(fd, &c, 1, 0);
	ATF_REQUIRE_MSG(c == 'f' && ro[0] == 'f', "a private write changed "
	    "the sealed file: read() %#x, shared mapping %#x, expected 'f'",
	    c, ro[0]);
	ATF_REQUIRE(munmap(ro, ps) == 0);
	ATF_REQUIRE(munmap(priv, ps) == 0);
	close(fd);
}

MC_TC(seal_shrink_keeps_mapped_pages_valid, "MEMFD-10",
    "With F_SEAL_SHRINK, ftruncate to a smaller size fails with EPERM so "
    "every mapped page stays valid; growing still works and makes pages "
    "of an existing mapping valid")
{
	size_t ps = mc_pagesize();
	int fd = memfd("mc-shrink", MFD_ALLOW_SEALING, 2);
	unsigned char *p = mc_map_fd(fd, 3 * ps, PROT_READ | PROT_WRITE,
	    MAP_SHARED, 0);

	memset(p, 'd', 2 * ps);
	add_seals(fd, F_SEAL_SHRINK, "F_SEAL_SHRINK");
	MC_REQUIRE_ERR(ftruncate(fd, (off_t)ps), EPERM, "ftruncate to a "
	    "smaller size with F_SEAL_SHRINK");
	ATF_REQUIRE_EQ_MSG(mc_fd_size(fd), (off_t)(2 * ps), "size changed to "
	    "%jd", (intmax_t)mc_fd_size(fd));
	MC_REQUIRE_NO_FAULT(p + ps, MC_READ);
	ATF_REQUIRE_MSG(mc_all_bytes(p, 2 * ps, 'd'), "mapped data changed");
	mc_require_sigbus(p + 2 * ps, MC_READ, "page past the size");
	ATF_REQUIRE_MSG(ftruncate(fd, (off_t)(3 * ps)) == 0, "growing with "
	    "F_SEAL_SHRINK: %s", strerror(errno));
	MC_REQUIRE_NO_FAULT(p + 2 * ps, MC_WRITE);
	ATF_REQUIRE(munmap(p, 3 * ps) == 0);
	close(fd);
}

MC_TC(seal_grow_keeps_pages_past_size_invalid, "MEMFD-11",
    "With F_SEAL_GROW, ftruncate and write() past the size fail with "
    "EPERM, so pages of a mapping past the size keep raising SIGBUS; "
    "shrinking still works and cuts mapped pages")
{
	size_t ps = mc_pagesize();
	int fd = memfd("mc-grow", MFD_ALLOW_SEALING, 2);
	unsigned char *p = mc_map_fd(fd, 3 * ps, PROT_READ | PROT_WRITE,
	    MAP_SHARED, 0);

	add_seals(fd, F_SEAL_GROW, "F_SEAL_GROW");
	MC_REQUIRE_ERR(ftruncate(fd, (off_t)(3 * ps)), EPERM, "ftruncate to a "
	    "larger size with F_SEAL_GROW");
	MC_REQUIRE_ERR(pwrite(fd, "x", 1, (off_t)(2 * ps)), EPERM, "pwrite() "
	    "past the size with F_SEAL_GROW");
	ATF_REQUIRE_EQ_MSG(mc_fd_size(fd), (off_t)(2 * ps), "size changed to "
	    "%jd", (intmax_t)mc_fd_size(fd));
	mc_require_sigbus(p + 2 * ps, MC_READ, "page past the size of a "
	    "grow-sealed memfd");
	MC_REQUIRE_NO_FAULT(p + ps, MC_WRITE); /* inside the size: fine */
	ATF_REQUIRE_MSG(ftruncate(fd, (off_t)ps) == 0, "shrinking with "
	    "F_SEAL_GROW: %s", strerror(errno));
	mc_require_sigbus(p + ps, MC_READ, "page cut by shrinking");
	MC_REQUIRE_NO_FAULT(p, MC_WRITE);
	ATF_REQUIRE(munmap(p, 3 * ps) == 0);
	close(fd);
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, memfd_mapping_shared_like_a_file);
	ATF_TP_ADD_TC(tp, memfd_name_in_proc_maps);
	ATF_TP_ADD_TC(tp, no_allow_sealing_means_seal_seal);
	ATF_TP_ADD_TC(tp, seal_write_rejects_shared_writable_mmap);
	ATF_TP_ADD_TC(tp, seal_write_allows_private_writable_mmap);
	ATF_TP_ADD_TC(tp, seal_write_ebusy_while_shared_writable_mapped);
	ATF_TP_ADD_TC(tp, seal_write_readonly_shared_cannot_gain_write);
	ATF_TP_ADD_TC(tp, future_write_existing_mapping_keeps_writing);
	ATF_TP_ADD_TC(tp, future_write_new_mappings_read_only_or_private);
	ATF_TP_ADD_TC(tp, seal_shrink_keeps_mapped_pages_valid);
	ATF_TP_ADD_TC(tp, seal_grow_keeps_pages_past_size_invalid);
	return atf_no_error();
}
