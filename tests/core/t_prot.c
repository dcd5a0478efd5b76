/*
 * t_prot: the prot argument of mmap(2) (design note §4): PROT_NONE,
 * PROT_READ, PROT_READ|PROT_WRITE and PROT_EXEC, for anonymous and file
 * mappings, private and shared.
 */
#include <sys/mman.h>
#include <sys/personality.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "mc.h"
#include "mc_code.h"

#define RW (PROT_READ | PROT_WRITE)

/* The four kinds of mappings every prot case is checked on. */
enum kind { ANON_PRIVATE, ANON_SHARED, FILE_PRIVATE, FILE_SHARED, NKINDS };

static const char *const kind_name[NKINDS] = {
	"MAP_PRIVATE|MAP_ANONYMOUS", "MAP_SHARED|MAP_ANONYMOUS",
	"MAP_PRIVATE file", "MAP_SHARED file",
};

/* Byte expected at offset 0 of page i of a fresh mapping of kind k. */
static unsigned char
fresh_byte(enum kind k, size_t page)
{
	return k == ANON_PRIVATE || k == ANON_SHARED ? 0 : mc_pattern(page);
}

/* Map 'pages' pages of kind k with prot; file mappings use fd. */
static unsigned char *
map_kind(enum kind k, size_t pages, int prot, int fd)
{
	size_t len = pages * mc_pagesize();
	void *p;

	switch (k) {
	case ANON_PRIVATE:
		return mc_map_anon(len, prot, MAP_PRIVATE);
	case ANON_SHARED:
		return mc_map_anon(len, prot, MAP_SHARED);
	case FILE_PRIVATE:
		p = mmap(NULL, len, prot, MAP_PRIVATE, fd, 0);
		break;
	default:
		p = mmap(NULL, len, prot, MAP_SHARED, fd, 0);
		break;
	}
	ATF_REQUIRE_MSG(p != MAP_FAILED, "mmap(%s, prot %#x, %zu pages): %s",
	    kind_name[k], prot, pages, strerror(errno));
	return p;
}

static void
require_fault(void *addr, enum mc_access how, int code, const char *what)
{
	struct mc_fault f = mc_touch(addr, how);

	ATF_REQUIRE_MSG(f.signo == SIGSEGV && f.code == code, "%s at %p: "
	    "expected SIGSEGV/%s, got %s/%s", what, addr,
	    mc_codename(SIGSEGV, code), mc_signame(f.signo),
	    mc_codename(f.signo, f.code));
}

static void
require_no_fault(void *addr, enum mc_access how, const char *what)
{
	struct mc_fault f = mc_touch(addr, how);

	ATF_REQUIRE_MSG(f.signo == 0, "%s at %p: expected no fault, got "
	    "%s/%s", what, addr, mc_signame(f.signo),
	    mc_codename(f.signo, f.code));
}

/* ---- PROT-1 ------------------------------------------------------------ */

MC_TC(prot_none_any_access_segv_accerr, "PROT-1",
    "In a PROT_NONE mapping (anonymous or file, private or shared) reads "
    "and writes raise SIGSEGV with si_code SEGV_ACCERR")
{
	size_t ps = mc_pagesize();
	int fd = mc_make_file("f", 2);
	char what[96];

	for (enum kind k = 0; k < NKINDS; k++) {
		unsigned char *p = map_kind(k, 2, PROT_NONE, fd);

		snprintf(what, sizeof(what), "read of a PROT_NONE %s",
		    kind_name[k]);
		require_fault(p, MC_READ, SEGV_ACCERR, what);
		require_fault(p + 2 * ps - 1, MC_READ, SEGV_ACCERR, what);
		snprintf(what, sizeof(what), "write to a PROT_NONE %s",
		    kind_name[k]);
		require_fault(p, MC_WRITE, SEGV_ACCERR, what);
		require_fault(p + ps, MC_WRITE, SEGV_ACCERR, what);
		ATF_REQUIRE(munmap(p, 2 * ps) == 0);
	}
	close(fd);
}

MC_TC(mprotect_none_any_access_segv_accerr, "PROT-1",
    "Pages turned PROT_NONE by mprotect fault on read and write with "
    "SEGV_ACCERR; their contents come back with PROT_READ")
{
	size_t ps = mc_pagesize();
	int fd = mc_make_file("f", 2);
	char what[96];

	for (enum kind k = 0; k < NKINDS; k++) {
		unsigned char *p = map_kind(k, 2, RW, fd);

		p[ps + 5] = 'm';
		ATF_REQUIRE_MSG(mprotect(p, 2 * ps, PROT_NONE) == 0,
		    "mprotect(PROT_NONE): %s", strerror(errno));
		snprintf(what, sizeof(what), "read of a %s made PROT_NONE",
		    kind_name[k]);
		require_fault(p + ps + 5, MC_READ, SEGV_ACCERR, what);
		snprintf(what, sizeof(what), "write to a %s made PROT_NONE",
		    kind_name[k]);
		require_fault(p, MC_WRITE, SEGV_ACCERR, what);
		ATF_REQUIRE_MSG(mprotect(p, 2 * ps, PROT_READ) == 0,
		    "mprotect(PROT_READ): %s", strerror(errno));
		ATF_REQUIRE_MSG(p[0] == fresh_byte(k, 0) && p[ps + 5] == 'm',
		    "%s: contents changed across PROT_NONE: byte 0 %#x "
		    "(expected %#x), byte %zu %#x (expected 'm')", kind_name[k],
		    p[0], fresh_byte(k, 0), ps + 5, p[ps + 5]);
		ATF_REQUIRE(munmap(p, 2 * ps) == 0);
	}
	close(fd);
}

/* ---- PROT-2 ------------------------------------------------------------ */

MC_TC(prot_read_reads_work_write_segv_accerr, "PROT-2",
    "In a PROT_READ mapping reads return the contents, a write raises "
    "SIGSEGV/SEGV_ACCERR and changes neither the mapping nor the file")
{
	size_t ps = mc_pagesize();
	int fd = mc_make_file("f", 2);
	char what[96];

	for (enum kind k = 0; k < NKINDS; k++) {
		unsigned char *p = map_kind(k, 2, PROT_READ, fd);
		unsigned char b;

		snprintf(what, sizeof(what), "read of a PROT_READ %s",
		    kind_name[k]);
		require_no_fault(p, MC_READ, what);
		for (size_t i = 0; i < 2; i++)
			ATF_REQUIRE_MSG(mc_all_bytes(p + i * ps, ps,
			    fresh_byte(k, i)), "PROT_READ %s: page %zu does "
			    "not read as %#x", kind_name[k], i,
			    fresh_byte(k, i));
		snprintf(what, sizeof(what), "write to a PROT_READ %s",
		    kind_name[k]);
		require_fault(p + ps + 1, MC_WRITE, SEGV_ACCERR, what);
		require_fault(p, MC_WRITE, SEGV_ACCERR, what);
		ATF_REQUIRE_MSG(p[0] == fresh_byte(k, 0) &&
		    p[ps + 1] == fresh_byte(k, 1), "PROT_READ %s: a faulting "
		    "write changed the contents", kind_name[k]);
		mc_pread_all(fd, &b, 1, (off_t)ps + 1);
		ATF_REQUIRE_MSG(b == mc_pattern(1), "PROT_READ %s: a faulting "
		    "write changed the file", kind_name[k]);
		ATF_REQUIRE(munmap(p, 2 * ps) == 0);
	}
	close(fd);
}

/* ---- PROT-3 ------------------------------------------------------------ */

MC_TC(prot_read_write_both_work, "PROT-3",
    "In a PROT_READ|PROT_WRITE mapping reads and writes work on every page "
    "and a read returns what was written")
{
	size_t ps = mc_pagesize();
	int fd = mc_make_file("f", 2);
	char what[96];

	for (enum kind k = 0; k < NKINDS; k++) {
		unsigned char *p = map_kind(k, 2, RW, fd);
		unsigned char b;

		snprintf(what, sizeof(what), "access to a PROT_READ|PROT_WRITE "
		    "%s", kind_name[k]);
		require_no_fault(p, MC_READ, what);
		require_no_fault(p + ps, MC_WRITE, what);
		ATF_REQUIRE_MSG(p[0] == fresh_byte(k, 0) && p[ps - 1] ==
		    fresh_byte(k, 0), "%s: page 0 does not read as %#x",
		    kind_name[k], fresh_byte(k, 0));
		memset(p, 'r', ps);
		memset(p + ps, 'w', ps);
		ATF_REQUIRE_MSG(mc_all_bytes(p, ps, 'r') &&
		    mc_all_bytes(p + ps, ps, 'w'), "%s: reads do not return "
		    "what was written", kind_name[k]);
		if (k == FILE_SHARED) {
			mc_pread_all(fd, &b, 1, (off_t)ps);
			ATF_REQUIRE_MSG(b == 'w', "shared file mapping: write "
			    "not seen by read() (got %#x)", b);
			/* Restore the file for the next kinds. */
			memset(p, mc_pattern(0), ps);
			memset(p + ps, mc_pattern(1), ps);
		}
		ATF_REQUIRE(munmap(p, 2 * ps) == 0);
	}
	close(fd);
}

/* ---- PROT-4 ------------------------------------------------------------ */

MC_TC(exec_copied_code_runs_anonymous, "PROT-4",
    "Code copied into an anonymous mapping that is then made "
    "PROT_READ|PROT_EXEC runs and returns its result")
{
	size_t ps = mc_pagesize(), len;
	unsigned char *p;
	int r;

	if (mc_code42(NULL) == NULL)
		atf_tc_skip(MC_NO_CODE42_REASON);
	p = mc_map_anon(ps, RW, MAP_PRIVATE);
	len = mc_place_code42(p);
	mc_mprotect_exec_or_skip(p, ps);
	r = mc_call_code(p, len);
	ATF_REQUIRE_EQ_MSG(r, 42, "code in a PROT_READ|PROT_EXEC mapping at "
	    "%p returned %d, expected 42", (void *)p, r);
	require_fault(p, MC_WRITE, SEGV_ACCERR,
	    "write to a PROT_READ|PROT_EXEC mapping");
	ATF_REQUIRE(munmap(p, ps) == 0);
}

MC_TC(exec_code_runs_from_file_mapping, "PROT-4",
    "Code written to a file runs from a PROT_READ|PROT_EXEC mapping of "
    "that file")
{
	size_t ps = mc_pagesize(), len;
	const unsigned char *code = mc_code42(&len);
	unsigned char *p;
	int fd, r;

	if (code == NULL)
		atf_tc_skip(MC_NO_CODE42_REASON);
	fd = mc_make_file("code", 1);
	ATF_REQUIRE_MSG(pwrite(fd, code, len, 0) == (ssize_t)len,
	    "pwrite(code): %s", strerror(errno));
	p = mmap(NULL, ps, PROT_READ | PROT_EXEC, MAP_PRIVATE, fd, 0);
	if (p == MAP_FAILED && errno == EPERM)
		atf_tc_skip("mmap(PROT_EXEC) of a file in the work directory "
		    "fails with EPERM: the file system is mounted noexec");
	ATF_REQUIRE_MSG(p != MAP_FAILED, "mmap(PROT_READ|PROT_EXEC, file): "
	    "%s", strerror(errno));
	r = mc_call_code(p, len);
	ATF_REQUIRE_EQ_MSG(r, 42, "code in a PROT_READ|PROT_EXEC file "
	    "mapping at %p returned %d, expected 42", (void *)p, r);
	ATF_REQUIRE(munmap(p, ps) == 0);
	close(fd);
}

MC_TC(exec_without_prot_exec_segv_accerr, "PROT-4",
    "Jumping into a mapping without PROT_EXEC (PROT_READ|PROT_WRITE, "
    "PROT_READ, PROT_NONE) raises SIGSEGV/SEGV_ACCERR at that address, "
    "where the CPU enforces no-execute")
{
	size_t ps = mc_pagesize();
	unsigned char *p;
	const int prots[] = { RW, PROT_READ, PROT_NONE };
	const char *names[] = { "PROT_READ|PROT_WRITE", "PROT_READ",
	    "PROT_NONE" };
	char line[1024];
	int pers = personality(0xffffffff);

	if (mc_code42(NULL) == NULL)
		atf_tc_skip(MC_NO_CODE42_REASON);
	if (pers != -1 && (pers & READ_IMPLIES_EXEC))
		atf_tc_skip("the process runs with the READ_IMPLIES_EXEC "
		    "personality: readable mappings are executable");
	p = mc_map_anon(ps, RW, MAP_PRIVATE);
	mc_place_code42(p);
	ATF_REQUIRE(mc_maps_line(p, line, sizeof(line)));
	ATF_REQUIRE_MSG(strstr(line, " rw-p ") != NULL, "mmap(PROT_READ|"
	    "PROT_WRITE): expected permissions rw-p in /proc/self/maps, got "
	    "'%s'", line);
	for (size_t i = 0; i < sizeof(prots) / sizeof(prots[0]); i++) {
		struct mc_fault f;

		ATF_REQUIRE_MSG(mprotect(p, ps, prots[i]) == 0, "mprotect(%s): "
		    "%s", names[i], strerror(errno));
		f = mc_touch(p, MC_EXEC);
		if (f.signo == 0 && prots[i] != PROT_NONE)
			atf_tc_skip("code in a %s mapping ran: this CPU (or "
			    "its configuration) does not enforce no-execute",
			    names[i]);
		ATF_REQUIRE_MSG(f.signo == SIGSEGV && f.code == SEGV_ACCERR,
		    "jump into a %s mapping at %p: expected SIGSEGV/"
		    "SEGV_ACCERR, got %s/%s", names[i], (void *)p,
		    mc_signame(f.signo), mc_codename(f.signo, f.code));
		ATF_REQUIRE_EQ_MSG(f.addr, (void *)p, "jump into a %s mapping: "
		    "expected si_addr %p (the jump target), got %p", names[i],
		    (void *)p, f.addr);
	}
	ATF_REQUIRE(munmap(p, ps) == 0);
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, prot_none_any_access_segv_accerr);
	ATF_TP_ADD_TC(tp, mprotect_none_any_access_segv_accerr);
	ATF_TP_ADD_TC(tp, prot_read_reads_work_write_segv_accerr);
	ATF_TP_ADD_TC(tp, prot_read_write_both_work);
	ATF_TP_ADD_TC(tp, exec_copied_code_runs_anonymous);
	ATF_TP_ADD_TC(tp, exec_code_runs_from_file_mapping);
	ATF_TP_ADD_TC(tp, exec_without_prot_exec_segv_accerr);
	return atf_no_error();
}
