/*
 * t_mprotect: mprotect(2) and POSIX mprotect: raising and lowering the
 * protection of anonymous and file mappings, the errors, and protection
 * applying per page (splitting mappings).
 */
#include <sys/mman.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "mc.h"
#include "mc_code.h"
#include "mc_err.h"

MC_TC(anon_downgrade_rw_to_read, "MPROT-1",
    "Lowering a private anonymous mapping from read-write to read-only "
    "keeps its contents readable and makes writes raise SIGSEGV/"
    "SEGV_ACCERR")
{
	size_t ps = mc_pagesize();
	unsigned char *p = mc_map_anon(2 * ps, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE);

	memset(p, 'd', 2 * ps);
	MC_REQUIRE_OKF(mprotect(p, 2 * ps, PROT_READ), "mprotect(p, 2 * ps, "
	    "PROT_READ)");
	mc_require_readable(p, 2 * ps, "the mapping after mprotect(PROT_READ)");
	ATF_REQUIRE_MSG(mc_all_bytes(p, 2 * ps, 'd'), "contents changed by "
	    "mprotect(PROT_READ)");
	MC_REQUIRE_FAULT(p, MC_WRITE, SIGSEGV, SEGV_ACCERR);
	MC_REQUIRE_FAULT(p + 2 * ps - 1, MC_WRITE, SIGSEGV, SEGV_ACCERR);
	ATF_REQUIRE_MSG(p[0] == 'd', "the faulting write changed the page");
	ATF_REQUIRE(munmap(p, 2 * ps) == 0);
}

MC_TC(anon_upgrade_read_to_rw, "MPROT-2",
    "Raising a read-only private anonymous mapping to read-write lets "
    "writes succeed, on pages already read (zero page) and untouched ones")
{
	size_t ps = mc_pagesize();
	unsigned char *p = mc_map_anon(2 * ps, PROT_READ, MAP_PRIVATE);

	ATF_REQUIRE(p[0] == 0); /* read-faulted page */
	MC_REQUIRE_FAULT(p, MC_WRITE, SIGSEGV, SEGV_ACCERR);
	MC_REQUIRE_OKF(mprotect(p, 2 * ps, PROT_READ | PROT_WRITE),
	    "mprotect(p, 2 * ps, PROT_READ | PROT_WRITE)");
	MC_REQUIRE_NO_FAULT(p, MC_WRITE);
	MC_REQUIRE_NO_FAULT(p + ps, MC_WRITE);
	ATF_REQUIRE_MSG(p[0] == 0xA5 && p[ps] == 0xA5, "writes after the "
	    "upgrade did not stick: %#x %#x", p[0], p[ps]);
	ATF_REQUIRE_MSG(p[1] == 0 && p[ps + 1] == 0, "the rest of the pages "
	    "is not zero");
	ATF_REQUIRE(munmap(p, 2 * ps) == 0);
}

MC_TC(prot_none_roundtrip_keeps_contents, "MPROT-3",
    "mprotect(PROT_NONE) forbids every access (SIGSEGV/SEGV_ACCERR) but "
    "keeps the contents: restoring read-write gives the data back")
{
	size_t ps = mc_pagesize();
	unsigned char *p = mc_map_anon(2 * ps, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE);

	memset(p, 'n', 2 * ps);
	MC_REQUIRE_OKF(mprotect(p, 2 * ps, PROT_NONE), "mprotect(p, 2 * ps, "
	    "PROT_NONE)");
	MC_REQUIRE_FAULT(p, MC_READ, SIGSEGV, SEGV_ACCERR);
	MC_REQUIRE_FAULT(p + ps, MC_WRITE, SIGSEGV, SEGV_ACCERR);
	MC_REQUIRE_OKF(mprotect(p, 2 * ps, PROT_READ | PROT_WRITE),
	    "mprotect(p, 2 * ps, PROT_READ | PROT_WRITE)");
	mc_require_readable(p, 2 * ps, "the mapping restored to read-write");
	ATF_REQUIRE_MSG(mc_all_bytes(p, 2 * ps, 'n'), "contents lost across "
	    "PROT_NONE and back");
	ATF_REQUIRE(munmap(p, 2 * ps) == 0);
}

MC_TC(shared_file_downgrade_then_upgrade, "MPROT-4",
    "On a shared mapping of a file open read-write, lowering to read-only "
    "makes writes fault (the file unchanged) and raising back to "
    "read-write makes writes reach the file again")
{
	size_t ps = mc_pagesize();
	int fd = mc_make_file("f", 2);
	unsigned char *p = mc_map_fd(fd, 2 * ps, PROT_READ | PROT_WRITE,
	    MAP_SHARED, 0);
	unsigned char c;

	p[0] = 'x';
	MC_REQUIRE_OKF(mprotect(p, 2 * ps, PROT_READ), "mprotect(p, 2 * ps, "
	    "PROT_READ)");
	MC_REQUIRE_FAULT(p + ps, MC_WRITE, SIGSEGV, SEGV_ACCERR);
	mc_pread_all(fd, &c, 1, (off_t)ps);
	ATF_REQUIRE_MSG(c == mc_pattern(1), "the faulting write reached the "
	    "file: %#x", c);
	mc_require_readable(p, ps, "the shared mapping made read-only");
	ATF_REQUIRE_MSG(p[0] == 'x', "read-only mapping lost the earlier "
	    "write: %#x", p[0]);
	MC_REQUIRE_OKF(mprotect(p, 2 * ps, PROT_READ | PROT_WRITE),
	    "mprotect(p, 2 * ps, PROT_READ | PROT_WRITE)");
	MC_REQUIRE_NO_FAULT(p + ps, MC_WRITE);
	p[ps] = 'y';
	mc_pread_all(fd, &c, 1, (off_t)ps);
	ATF_REQUIRE_MSG(c == 'y', "after raising back to PROT_WRITE the "
	    "write did not reach the file: read() sees %#x", c);
	ATF_REQUIRE(munmap(p, 2 * ps) == 0);
	close(fd);
}

MC_TC(private_rdonly_fd_may_add_write, "MPROT-5",
    "A MAP_PRIVATE mapping of a file open read-only may be given "
    "PROT_WRITE; its writes stay private and the file is unchanged")
{
	size_t ps = mc_pagesize();
	int rw = mc_make_file("f", 1);
	int fd = open("f", O_RDONLY);
	unsigned char *p, c;

	ATF_REQUIRE_MSG(fd >= 0, "open(f, O_RDONLY): %s", strerror(errno));
	p = mc_map_fd(fd, ps, PROT_READ, MAP_PRIVATE, 0);
	MC_REQUIRE_OKF(mprotect(p, ps, PROT_READ | PROT_WRITE), "mprotect(p, "
	    "ps, PROT_READ | PROT_WRITE)");
	MC_REQUIRE_NO_FAULT(p, MC_WRITE);
	p[0] = 'p';
	mc_pread_all(rw, &c, 1, 0);
	ATF_REQUIRE_MSG(c == mc_pattern(0), "a private write reached the "
	    "file: %#x", c);
	ATF_REQUIRE_MSG(p[0] == 'p' && p[1] == mc_pattern(0), "private copy "
	    "wrong: %#x %#x", p[0], p[1]);
	ATF_REQUIRE(munmap(p, ps) == 0);
	close(fd);
	close(rw);
}

MC_TC(shared_rdonly_fd_add_write_eacces, "MPROT-6",
    "Adding PROT_WRITE to a MAP_SHARED mapping of a file open read-only "
    "fails with EACCES and the mapping keeps its protection")
{
	size_t ps = mc_pagesize();
	int rw = mc_make_file("f", 1);
	int fd = open("f", O_RDONLY);
	unsigned char *p, c;

	ATF_REQUIRE_MSG(fd >= 0, "open(f, O_RDONLY): %s", strerror(errno));
	p = mc_map_fd(fd, ps, PROT_READ, MAP_SHARED, 0);
	MC_REQUIRE_ERRF(mprotect(p, ps, PROT_READ | PROT_WRITE), EACCES,
	    "mprotect(p, ps, PROT_READ | PROT_WRITE): on a MAP_SHARED "
	    "mapping of an O_RDONLY fd");
	MC_REQUIRE_ERRF(mprotect(p, ps, PROT_WRITE), EACCES, "mprotect(p, ps, "
	    "PROT_WRITE): (PROT_WRITE alone) on a MAP_SHARED mapping of an "
	    "O_RDONLY fd");
	mc_require_readable(p, ps, "the mapping after the failed mprotect");
	ATF_REQUIRE_MSG(p[0] == mc_pattern(0), "mapping unreadable after the "
	    "failed mprotect");
	MC_REQUIRE_FAULT(p, MC_WRITE, SIGSEGV, SEGV_ACCERR);
	mc_pread_all(rw, &c, 1, 0);
	ATF_REQUIRE(c == mc_pattern(0));
	ATF_REQUIRE(munmap(p, ps) == 0);
	close(fd);
	close(rw);
}

MC_TC(unmapped_range_enomem, "MPROT-7",
    "mprotect of a range where nothing is mapped fails with ENOMEM")
{
	size_t ps = mc_pagesize();
	unsigned char *p = mc_map_anon(2 * ps, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE);

	ATF_REQUIRE(munmap(p, 2 * ps) == 0);
	MC_REQUIRE_ERRF(mprotect(p, 2 * ps, PROT_READ), ENOMEM, "mprotect(p, "
	    "2 * ps, PROT_READ): of an unmapped range");
	MC_REQUIRE_ERRF(mprotect(p + ps, ps, PROT_NONE), ENOMEM, "mprotect(p "
	    "+ ps, ps, PROT_NONE): of an unmapped page");
}

MC_TC(partly_unmapped_range_enomem, "MPROT-8",
    "mprotect of a range that is only partly mapped fails with ENOMEM, "
    "whether the hole is at the start, in the middle or at the end")
{
	size_t ps = mc_pagesize();
	/* pages: 0 mapped, 1 hole, 2 mapped, 3 hole */
	unsigned char *p = mc_map_anon(4 * ps, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE);

	ATF_REQUIRE(munmap(p + ps, ps) == 0);
	ATF_REQUIRE(munmap(p + 3 * ps, ps) == 0);
	MC_REQUIRE_ERRF(mprotect(p, 3 * ps, PROT_READ), ENOMEM, "mprotect(p, "
	    "3 * ps, PROT_READ): over mapped, hole, mapped pages");
	MC_REQUIRE_ERRF(mprotect(p + ps, 2 * ps, PROT_READ), ENOMEM,
	    "mprotect(p + ps, 2 * ps, PROT_READ): over a hole then a mapped "
	    "page");
	MC_REQUIRE_ERRF(mprotect(p + 2 * ps, 2 * ps, PROT_READ), ENOMEM,
	    "mprotect(p + 2 * ps, 2 * ps, PROT_READ): over a mapped page "
	    "then a hole");
	ATF_REQUIRE(munmap(p, 4 * ps) == 0);
}

MC_TC(unaligned_addr_einval, "MPROT-9",
    "mprotect with an address that is not page aligned fails with EINVAL "
    "and changes nothing")
{
	size_t ps = mc_pagesize();
	unsigned char *p = mc_map_anon(2 * ps, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE);

	MC_REQUIRE_ERRF(mprotect(p + 1, ps, PROT_READ), EINVAL, "mprotect(p + "
	    "1, ps, PROT_READ): at page start + 1");
	MC_REQUIRE_ERRF(mprotect(p + ps / 2, ps, PROT_NONE), EINVAL,
	    "mprotect(p + ps / 2, ps, PROT_NONE): at half a page");
	MC_REQUIRE_NO_FAULT(p, MC_WRITE);
	MC_REQUIRE_NO_FAULT(p + ps, MC_WRITE);
	ATF_REQUIRE(munmap(p, 2 * ps) == 0);
}

MC_TC(invalid_prot_einval, "MPROT-10",
    "mprotect with unknown prot bits, or with both PROT_GROWSUP and "
    "PROT_GROWSDOWN, fails with EINVAL and changes nothing")
{
	size_t ps = mc_pagesize();
	unsigned char *p = mc_map_anon(ps, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE);
	const int bad[3] = { PROT_READ | (1 << 20), PROT_READ | (1 << 28),
	    PROT_READ | PROT_GROWSDOWN | PROT_GROWSUP };
	const char *what[3] = { "with bit 20 set", "with bit 28 set",
	    "with PROT_GROWSDOWN|PROT_GROWSUP" };

	for (int i = 0; i < 3; i++)
		MC_REQUIRE_ERRF(mprotect(p, ps, bad[i]), EINVAL, "mprotect(p, "
		    "ps, %#x): %s", (unsigned)bad[i], what[i]);
	MC_REQUIRE_NO_FAULT(p, MC_WRITE);
	ATF_REQUIRE(munmap(p, ps) == 0);
}

MC_TC(length_rounds_up_to_whole_pages, "MPROT-11",
    "mprotect changes whole pages: a length of one byte (or of a page plus "
    "one byte) covers every page it touches, and no more")
{
	size_t ps = mc_pagesize();
	unsigned char *p = mc_map_guarded(3, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1);

	MC_REQUIRE_OKF(mprotect(p, 1, PROT_READ), "mprotect(p, 1, PROT_READ)");
	MC_REQUIRE_FAULT(p + ps - 1, MC_WRITE, SIGSEGV, SEGV_ACCERR);
	MC_REQUIRE_NO_FAULT(p + ps, MC_WRITE);
	MC_REQUIRE_OKF(mprotect(p + ps, ps + 1, PROT_READ), "mprotect(p + ps, "
	    "ps + 1, PROT_READ)");
	MC_REQUIRE_FAULT(p + ps, MC_WRITE, SIGSEGV, SEGV_ACCERR);
	MC_REQUIRE_FAULT(p + 3 * ps - 1, MC_WRITE, SIGSEGV, SEGV_ACCERR);
	mc_unmap_guarded(p, 3);
}

MC_TC(middle_page_mprotect_splits_mapping, "MPROT-12",
    "mprotect of the middle page of three applies to that page only and "
    "splits the mapping into three in /proc/self/maps")
{
	size_t ps = mc_pagesize();
	unsigned char *p = mc_map_guarded(3, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1);
	const char *want[3] = { "rw-p", "r--p", "rw-p" };
	struct mc_maps_ent m;

	memset(p, 'm', 3 * ps);
	mc_maps_get(p + ps, &m);
	ATF_REQUIRE_MSG(m.start == (uintptr_t)p &&
	    m.end == (uintptr_t)(p + 3 * ps), "before: expected one mapping "
	    "%p-%p, maps says %#jx-%#jx", (void *)p, (void *)(p + 3 * ps),
	    (uintmax_t)m.start, (uintmax_t)m.end);
	MC_REQUIRE_OKF(mprotect(p + ps, ps, PROT_READ), "mprotect(p + ps, ps, "
	    "PROT_READ)");
	MC_REQUIRE_NO_FAULT(p + ps - 1, MC_WRITE);
	MC_REQUIRE_FAULT(p + ps, MC_WRITE, SIGSEGV, SEGV_ACCERR);
	MC_REQUIRE_FAULT(p + 2 * ps - 1, MC_WRITE, SIGSEGV, SEGV_ACCERR);
	MC_REQUIRE_NO_FAULT(p + 2 * ps, MC_WRITE);
	for (size_t i = 0; i < 3; i++) {
		mc_maps_get(p + i * ps, &m);
		ATF_REQUIRE_MSG(m.start == (uintptr_t)(p + i * ps) &&
		    m.end == (uintptr_t)(p + (i + 1) * ps) &&
		    strcmp(m.perms, want[i]) == 0, "piece %zu: expected "
		    "%p-%p %s, /proc/self/maps says %#jx-%#jx %s", i,
		    (void *)(p + i * ps), (void *)(p + (i + 1) * ps), want[i],
		    (uintmax_t)m.start, (uintmax_t)m.end, m.perms);
	}
	mc_require_readable(p + ps, ps, "the middle page made read-only");
	ATF_REQUIRE_MSG(p[ps + 1] == 'm', "middle page contents changed");
	mc_unmap_guarded(p, 3);
}

MC_TC(add_exec_runs_code_remove_exec_faults, "MPROT-13",
    "Code written while a mapping is read-write runs after mprotect("
    "PROT_READ|PROT_EXEC) and returns its result; removing PROT_EXEC again "
    "makes a call raise SIGSEGV/SEGV_ACCERR, where no-execute is enforced")
{
	size_t ps = mc_pagesize(), n;
	unsigned char *p = mc_map_anon(ps, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE);
	const char *why;
	int r;

	n = mc_place_code42(p);
	if (n == 0)
		atf_tc_skip(MC_NO_CODE42_REASON);
	mc_mprotect_exec_or_skip(p, ps);
	r = mc_call_code(p, n);
	ATF_REQUIRE_EQ_MSG(r, 42, "code at %p after mprotect(PROT_READ|"
	    "PROT_EXEC) returned %d, expected 42", (void *)p, r);
	MC_REQUIRE_OKF(mprotect(p, ps, PROT_READ), "mprotect(p, ps, "
	    "PROT_READ)");
	why = mc_noexec_unenforced();
	if (why != NULL)
		atf_tc_skip("the code ran after mprotect(PROT_READ|PROT_EXEC) "
		    "and returned 42; that removing PROT_EXEC stops it cannot "
		    "be proved: %s", why);
	MC_REQUIRE_FAULT(p, MC_EXEC, SIGSEGV, SEGV_ACCERR);
	ATF_REQUIRE(munmap(p, ps) == 0);
}

MC_TC(prot_growsdown_extends_to_mapping_start, "MPROT-14",
    "PROT_GROWSDOWN applies the change from the given page down to the "
    "start of a MAP_GROWSDOWN mapping; on a mapping that does not grow "
    "down it fails with EINVAL")
{
	size_t ps = mc_pagesize();
	unsigned char *p = mmap(NULL, 4 * ps, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS | MAP_GROWSDOWN, -1, 0);
	unsigned char *q;

	if (p == MAP_FAILED && (errno == EINVAL || errno == ENOTSUP))
		mc_skip_unsupported("MAP_GROWSDOWN", errno);
	ATF_REQUIRE_MSG(p != MAP_FAILED, "mmap(MAP_GROWSDOWN): %s",
	    strerror(errno));
	MC_REQUIRE_OKF(mprotect(p + 2 * ps, ps, PROT_READ | PROT_GROWSDOWN),
	    "mprotect(p + 2 * ps, ps, PROT_READ | PROT_GROWSDOWN)");
	for (size_t i = 0; i < 3; i++)
		MC_REQUIRE_FAULT(p + i * ps, MC_WRITE, SIGSEGV, SEGV_ACCERR);
	MC_REQUIRE_NO_FAULT(p + 3 * ps, MC_WRITE);
	ATF_REQUIRE(munmap(p, 4 * ps) == 0);

	q = mc_map_anon(2 * ps, PROT_READ | PROT_WRITE, MAP_PRIVATE);
	MC_REQUIRE_ERRF(mprotect(q + ps, ps, PROT_READ | PROT_GROWSDOWN), EINVAL,
	    "mprotect(q + ps, ps, PROT_READ | PROT_GROWSDOWN): with "
	    "PROT_GROWSDOWN on a mapping without MAP_GROWSDOWN");
	MC_REQUIRE_NO_FAULT(q, MC_WRITE);
	MC_REQUIRE_NO_FAULT(q + ps, MC_WRITE);
	ATF_REQUIRE(munmap(q, 2 * ps) == 0);
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, anon_downgrade_rw_to_read);
	ATF_TP_ADD_TC(tp, anon_upgrade_read_to_rw);
	ATF_TP_ADD_TC(tp, prot_none_roundtrip_keeps_contents);
	ATF_TP_ADD_TC(tp, shared_file_downgrade_then_upgrade);
	ATF_TP_ADD_TC(tp, private_rdonly_fd_may_add_write);
	ATF_TP_ADD_TC(tp, shared_rdonly_fd_add_write_eacces);
	ATF_TP_ADD_TC(tp, unmapped_range_enomem);
	ATF_TP_ADD_TC(tp, partly_unmapped_range_enomem);
	ATF_TP_ADD_TC(tp, unaligned_addr_einval);
	ATF_TP_ADD_TC(tp, invalid_prot_einval);
	ATF_TP_ADD_TC(tp, length_rounds_up_to_whole_pages);
	ATF_TP_ADD_TC(tp, middle_page_mprotect_splits_mapping);
	ATF_TP_ADD_TC(tp, add_exec_runs_code_remove_exec_faults);
	ATF_TP_ADD_TC(tp, prot_growsdown_extends_to_mapping_start);
	return atf_no_error();
}
