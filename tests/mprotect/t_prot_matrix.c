/*
 * t_prot_matrix: every protection (PROT_NONE, R, W, X, RW, RX, WX, RWX)
 * over every kind of mapping (private and shared anonymous; private and
 * shared mappings of a file open O_RDWR; private and shared mappings of
 * the same file open O_RDONLY): whether mmap accepts the combination
 * (mmap.2 errors), which accesses fault (mmap.2, mprotect.2, POSIX), what
 * /proc/self/maps shows (proc.5); then mprotect beyond the file's open
 * mode, code run from a shared file mapping, and a noexec mount.
 *
 * Policies that refuse executable memory (SELinux execmem, PR_SET_MDWE,
 * PaX) are probed with anonymous mappings first: the cells they refuse are
 * skipped and listed, never counted as passes. A work directory on a
 * noexec mount makes the file cells with PROT_EXEC expect EPERM (mmap.2).
 */
#include <sys/mman.h>
#include <sys/personality.h>
#include <sys/stat.h>
#include <sys/statvfs.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mc.h"
#include "mc_code.h"
#include "mc_err.h"

#ifndef O_TMPFILE
#define O_TMPFILE (020000000 | O_DIRECTORY)
#endif

#define FILE_NAME "prot.dat"

/* ---- the matrix ---------------------------------------------------------- */

enum kind { K_PA, K_SA, K_PFW, K_SFW, K_PFR, K_SFR, NKIND };

static const char *const kind_name[NKIND] = {
	"private anonymous", "shared anonymous",
	"private file (O_RDWR fd)", "shared file (O_RDWR fd)",
	"private file (O_RDONLY fd)", "shared file (O_RDONLY fd)",
};

static bool
kind_shared(enum kind k)
{
	return k == K_SA || k == K_SFW || k == K_SFR;
}

static bool
kind_file(enum kind k)
{
	return k >= K_PFW;
}

#define NPROT 8 /* every combination of PROT_READ, PROT_WRITE, PROT_EXEC */

static const char *
prot_name(int prot)
{
	static const char *const names[NPROT] = {
		"PROT_NONE", "PROT_READ", "PROT_WRITE", "PROT_READ|PROT_WRITE",
		"PROT_EXEC", "PROT_READ|PROT_EXEC", "PROT_WRITE|PROT_EXEC",
		"PROT_READ|PROT_WRITE|PROT_EXEC",
	};
	return names[prot & 7];
}

/* What the environment does to the matrix, probed once per case. */
struct env {
	int rw, ro;         /* the file, open O_RDWR and O_RDONLY */
	bool noexec;        /* the work directory is on a noexec mount */
	bool rie;           /* READ_IMPLIES_EXEC personality */
	int exec_refused;   /* errno of an anonymous PROT_READ|PROT_EXEC mmap */
	int wx_refused;     /* errno of an anonymous PROT_WRITE|PROT_EXEC mmap */
	int gain_refused;   /* errno of mprotect(PROT_READ|PROT_EXEC) of an
			       anonymous PROT_READ mapping */
};

/* 0, or the errno of mmap(one page, prot, MAP_PRIVATE|MAP_ANONYMOUS). */
static int
anon_map_errno(int prot)
{
	return mc_mmap_errno(NULL, mc_pagesize(), prot,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
}

static void
env_setup(struct env *e)
{
	struct statvfs sv;
	int pers = personality(0xffffffff);

	e->rw = mc_make_file(FILE_NAME, 1);
	e->ro = open(FILE_NAME, O_RDONLY);
	ATF_REQUIRE_MSG(e->ro >= 0, "open(%s, O_RDONLY): %s", FILE_NAME,
	    strerror(errno));
	ATF_REQUIRE_MSG(fstatvfs(e->rw, &sv) == 0, "fstatvfs(%s): %s",
	    FILE_NAME, strerror(errno));
	e->noexec = (sv.f_flag & ST_NOEXEC) != 0;
	e->rie = pers != -1 && (pers & READ_IMPLIES_EXEC);
	e->exec_refused = anon_map_errno(PROT_READ | PROT_EXEC);
	ATF_REQUIRE_MSG(e->exec_refused == 0 || e->exec_refused == EACCES ||
	    e->exec_refused == EPERM, "anonymous mmap(PROT_READ|PROT_EXEC): "
	    "%s", strerror(e->exec_refused));
	e->wx_refused = anon_map_errno(PROT_WRITE | PROT_EXEC);
	ATF_REQUIRE_MSG(e->wx_refused == 0 || e->wx_refused == EACCES ||
	    e->wx_refused == EPERM, "anonymous mmap(PROT_WRITE|PROT_EXEC): "
	    "%s", strerror(e->wx_refused));
	{
		size_t ps = mc_pagesize();
		void *q = mc_map_anon(ps, PROT_READ, MAP_PRIVATE);

		errno = 0;
		e->gain_refused = mprotect(q, ps, PROT_READ | PROT_EXEC) == 0 ?
		    0 : errno;
		ATF_REQUIRE_MSG(e->gain_refused == 0 ||
		    e->gain_refused == EACCES || e->gain_refused == EPERM,
		    "mprotect(PROT_READ|PROT_EXEC) of an anonymous PROT_READ "
		    "mapping: %s", strerror(e->gain_refused));
		ATF_REQUIRE(munmap(q, ps) == 0);
	}
	if (e->noexec)
		printf("the work directory is on a noexec mount: file mappings "
		    "with PROT_EXEC expect EPERM\n");
}

static void
env_teardown(struct env *e)
{
	ATF_REQUIRE(close(e->ro) == 0);
	ATF_REQUIRE(close(e->rw) == 0);
	ATF_REQUIRE(unlink(FILE_NAME) == 0);
}

/*
 * Whether a policy refuses executable memory with this prot: the cell is
 * then skipped (why says which probe refused). by_mprotect: the
 * protection is to be given by mprotect to a mapping that was not
 * executable (PR_SET_MDWE refuses such a gain of PROT_EXEC).
 */
static bool
policy_refuses(const struct env *e, int prot, bool by_mprotect,
    const char **why)
{
	if ((prot & PROT_EXEC) && by_mprotect && e->gain_refused != 0) {
		*why = "mprotect adding PROT_EXEC to an anonymous PROT_READ "
		    "mapping refused by a policy (PR_SET_MDWE, SELinux "
		    "execmem)";
		return true;
	}
	if ((prot & PROT_EXEC) && e->exec_refused != 0) {
		*why = "anonymous PROT_READ|PROT_EXEC refused by a policy";
		return true;
	}
	if ((prot & PROT_EXEC) && (prot & PROT_WRITE) && e->wx_refused != 0) {
		*why = "anonymous PROT_WRITE|PROT_EXEC refused by a policy "
		    "(PR_SET_MDWE, SELinux execmem)";
		return true;
	}
	return false;
}

/*
 * The errnos mmap.2 allows for (prot, kind); want[1] is a second one
 * where two conditions hold at once and mmap.2 orders none of them, else
 * equal to want[0]. 0: success.
 *   EACCES: "MAP_SHARED was requested and PROT_WRITE is set, but fd is
 *           not open in read/write (O_RDWR) mode." (MAP_PRIVATE has no such
 *           rule: a private mapping of an O_RDONLY fd may be writable.)
 *   EPERM:  "The prot argument asks for PROT_EXEC but the mapped area
 *           belongs to a file on a filesystem that was mounted no-exec."
 */
static void
mmap_want(const struct env *e, int prot, enum kind k, int want[2])
{
	int acc = k == K_SFR && (prot & PROT_WRITE) ? EACCES : 0;
	int perm = kind_file(k) && e->noexec && (prot & PROT_EXEC) ? EPERM : 0;

	want[0] = acc ? acc : perm;
	want[1] = perm ? perm : acc;
}

/* mmap one page of kind k with prot; MAP_FAILED with errno on failure. */
static void *
map_cell(const struct env *e, int prot, enum kind k)
{
	size_t ps = mc_pagesize();

	switch (k) {
	case K_PA:
		return mmap(NULL, ps, prot, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	case K_SA:
		return mmap(NULL, ps, prot, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	case K_PFW:
		return mmap(NULL, ps, prot, MAP_PRIVATE, e->rw, 0);
	case K_SFW:
		return mmap(NULL, ps, prot, MAP_SHARED, e->rw, 0);
	case K_PFR:
		return mmap(NULL, ps, prot, MAP_PRIVATE, e->ro, 0);
	default:
		return mmap(NULL, ps, prot, MAP_SHARED, e->ro, 0);
	}
}

/*
 * Visit every cell: fn(e, prot, kind, p, err) with the mapping (unmapped
 * afterwards) or MAP_FAILED and its errno. Cells a policy refuses are
 * skipped and listed on stdout; returns how many cells were visited.
 */
typedef void (*cell_fn)(const struct env *, int, enum kind, void *, int);

static size_t
sweep(const struct env *e, cell_fn fn)
{
	size_t visited = 0;

	for (int prot = 0; prot < NPROT; prot++) {
		for (int k = 0; k < NKIND; k++) {
			const char *why;
			void *p;
			int err;

			if (policy_refuses(e, prot, false, &why)) {
				printf("cell skipped: %s on a %s mapping: %s\n",
				    prot_name(prot), kind_name[k], why);
				continue;
			}
			errno = 0;
			p = map_cell(e, prot, (enum kind)k);
			err = p == MAP_FAILED ? errno : 0;
			fn(e, prot, (enum kind)k, p, err);
			if (p != MAP_FAILED)
				ATF_REQUIRE_MSG(munmap(p, mc_pagesize()) == 0,
				    "munmap(%p): %s", p, strerror(errno));
			visited++;
		}
	}
	return visited;
}

static void
sweep_or_skip(const struct env *e, cell_fn fn)
{
	size_t n = sweep(e, fn);

	if (n == 0)
		atf_tc_skip("a policy refuses every cell");
	printf("%zu of %d cells checked\n", n, NPROT * NKIND);
}

/* ---- PROTMX-1: mmap accepts or refuses --------------------------------- */

static void
check_mmap_result(const struct env *e, int prot, enum kind k, void *p,
    int err)
{
	int want[2];

	(void)p;
	mmap_want(e, prot, k, want);
	if (err != want[0] && err != want[1])
		atf_tc_fail_nonfatal("mmap(%s) of a %s mapping: expected %s%s%s, "
		    "got %s (%s)", prot_name(prot), kind_name[k],
		    want[0] ? mc_errname(want[0]) : "success",
		    want[1] != want[0] ? " or " : "",
		    want[1] != want[0] ? mc_errname(want[1]) : "",
		    err ? mc_errname(err) : "success", strerror(err));
}

MC_TC(mmap_errno_table, "PROTMX-1",
    "mmap of each of the eight protections over six kinds of mapping "
    "succeeds, except PROT_WRITE on a MAP_SHARED mapping of a file open "
    "O_RDONLY (EACCES); a MAP_PRIVATE mapping of it may be writable")
{
	struct env e;

	env_setup(&e);
	sweep_or_skip(&e, check_mmap_result);
	env_teardown(&e);
}

/* ---- PROTMX-2: which accesses fault -------------------------------------- */

/* What a read of a mapping without PROT_READ did, printed once per prot. */
static char implied[NPROT][NKIND][48];

static bool
is_accerr(struct mc_fault f)
{
	return f.signo == SIGSEGV && f.code == SEGV_ACCERR;
}

/*
 * A forbidden access to a mapping with protection prot: SIGSEGV with
 * SEGV_ACCERR, or SEGV_PKUERR for PROT_EXEC alone on x86 with protection
 * keys, where the kernel makes such a mapping execute-only with a key
 * that denies reads and writes (measured under qemu's max CPU, pku on).
 */
static bool
is_denied(struct mc_fault f, int prot)
{
	return is_accerr(f) || (prot == PROT_EXEC && f.signo == SIGSEGV &&
	    f.code == MC_SEGV_PKUERR);
}

static void
check_access(const struct env *e, int prot, enum kind k, void *p, int err)
{
	struct mc_fault r, w;
	bool read_ok;

	(void)e;
	if (p == MAP_FAILED)
		return; /* PROTMX-1 judges the errno */
	(void)err;
	r = mc_touch(p, MC_READ);
	w = mc_touch(p, MC_WRITE);
	/*
	 * Reads: PROT_READ allows them and PROT_NONE forbids every access
	 * (POSIX: "must not allow any access if PROT_NONE"). Without
	 * PROT_READ, "On some hardware architectures (e.g., i386),
	 * PROT_WRITE implies PROT_READ" (mmap.2, mprotect.2), and whether
	 * PROT_EXEC allows reads depends on the architecture; on x86 with
	 * protection keys an execute-only mapping gets a key that forbids
	 * reads (mprotect.2: "when mprotect() is used with prot set to
	 * PROT_EXEC a pkey may be allocated"), so they raise SEGV_PKUERR.
	 */
	if (prot & PROT_READ) {
		read_ok = r.signo == 0;
	} else if (prot == PROT_NONE) {
		read_ok = is_accerr(r);
	} else {
		read_ok = r.signo == 0 || is_accerr(r) ||
		    (prot == PROT_EXEC && r.signo == SIGSEGV &&
		    r.code == MC_SEGV_PKUERR);
		snprintf(implied[prot][k], sizeof(implied[prot][k]), "%s%s%s",
		    r.signo == 0 ? "readable" : mc_signame(r.signo),
		    r.signo == 0 ? "" : "/", r.signo == 0 ? "" :
		    mc_codename(r.signo, r.code));
	}
	if (!read_ok)
		atf_tc_fail_nonfatal("read of a %s mapping with %s: expected %s, "
		    "got %s/%s", kind_name[k], prot_name(prot),
		    prot & PROT_READ ? "no fault" : prot == PROT_NONE ?
		    "SIGSEGV/SEGV_ACCERR" : "no fault or SIGSEGV/SEGV_ACCERR "
		    "(or SEGV_PKUERR for PROT_EXEC alone)",
		    mc_signame(r.signo), mc_codename(r.signo, r.code));
	/* Writes: "can allow write access only if PROT_WRITE has been set". */
	if ((prot & PROT_WRITE) ? w.signo != 0 : !is_denied(w, prot))
		atf_tc_fail_nonfatal("write to a %s mapping with %s: expected "
		    "%s, got %s/%s", kind_name[k], prot_name(prot),
		    prot & PROT_WRITE ? "no fault" : prot == PROT_EXEC ?
		    "SIGSEGV/SEGV_ACCERR (or SEGV_PKUERR)" :
		    "SIGSEGV/SEGV_ACCERR",
		    mc_signame(w.signo), mc_codename(w.signo, w.code));
}

MC_TC(access_table, "PROTMX-2",
    "In every accepted cell of the matrix reads work exactly with "
    "PROT_READ and writes exactly with PROT_WRITE, PROT_NONE faults both "
    "with SIGSEGV/SEGV_ACCERR, and a read without PROT_READ (PROT_WRITE or "
    "PROT_EXEC alone or together) either works or raises SIGSEGV")
{
	struct env e;

	memset(implied, 0, sizeof(implied));
	env_setup(&e);
	sweep_or_skip(&e, check_access);
	for (int prot = 0; prot < NPROT; prot++) {
		if (prot == PROT_NONE || (prot & PROT_READ))
			continue;
		for (int k = 0; k < NKIND; k++)
			if (implied[prot][k][0] != '\0')
				printf("read with %s on a %s mapping: %s\n",
				    prot_name(prot), kind_name[k],
				    implied[prot][k]);
	}
	env_teardown(&e);
}

/* ---- PROTMX-3: /proc/self/maps permission letters ----------------------- */

static void
perms_of(const struct env *e, int prot, enum kind k, char want[5])
{
	/*
	 * mprotect.2: "If READ_IMPLIES_EXEC is set in the process's
	 * personality flags (see personality(2)), specifying PROT_READ will
	 * implicitly add PROT_EXEC" (not for a file on a noexec mount).
	 */
	bool x = (prot & PROT_EXEC) || (e->rie && (prot & PROT_READ) &&
	    !(kind_file(k) && e->noexec));

	want[0] = prot & PROT_READ ? 'r' : '-';
	want[1] = prot & PROT_WRITE ? 'w' : '-';
	want[2] = x ? 'x' : '-';
	want[3] = kind_shared(k) ? 's' : 'p';
	want[4] = '\0';
}

static void
check_maps_letters(const struct env *e, int prot, enum kind k, void *p,
    int err)
{
	struct mc_maps_ent m;
	char want[5];

	(void)err;
	if (p == MAP_FAILED)
		return;
	perms_of(e, prot, k, want);
	ATF_REQUIRE_MSG(mc_maps_entry(p, &m), "%s mapping with %s at %p: no "
	    "line in /proc/self/maps", kind_name[k], prot_name(prot), p);
	if (strcmp(m.perms, want) != 0)
		atf_tc_fail_nonfatal("%s mapping with %s: expected perms %s, "
		    "/proc/self/maps says \"%s\"", kind_name[k], prot_name(prot),
		    want, m.line);
}

MC_TC(maps_letters_table, "PROTMX-3",
    "/proc/self/maps shows every accepted cell of the matrix with r, w "
    "and x set exactly for PROT_READ, PROT_WRITE and PROT_EXEC and s for "
    "MAP_SHARED (also of a file open O_RDONLY), p for MAP_PRIVATE")
{
	struct env e;

	env_setup(&e);
	sweep_or_skip(&e, check_maps_letters);
	env_teardown(&e);
}

/* ---- PROTMX-4: code from a shared file mapping ------------------------- */

MC_TC(shared_file_exec_runs_file_code, "PROTMX-4",
    "Code written into a file through a MAP_SHARED read-write mapping runs "
    "from a second MAP_SHARED PROT_READ|PROT_EXEC mapping of the same file "
    "and returns its result; read() sees the code in the file")
{
	size_t ps = mc_pagesize(), n;
	int fd = mc_make_file(FILE_NAME, 1);
	unsigned char *w, *x, *buf;
	const unsigned char *code = mc_code42(&n);
	struct statvfs sv;
	int r;

	if (code == NULL)
		atf_tc_skip(MC_NO_CODE42_REASON);
	ATF_REQUIRE_MSG(fstatvfs(fd, &sv) == 0, "fstatvfs: %s",
	    strerror(errno));
	if (sv.f_flag & ST_NOEXEC)
		atf_tc_skip("the work directory is on a noexec mount: no file "
		    "mapping there may be executable (mmap.2 EPERM)");
	w = mc_map_fd(fd, ps, PROT_READ | PROT_WRITE, MAP_SHARED, 0);
	ATF_REQUIRE(mc_place_code42(w) == n);
	x = mmap(NULL, ps, PROT_READ | PROT_EXEC, MAP_SHARED, fd, 0);
	if (x == MAP_FAILED && (errno == EACCES || errno == EPERM))
		atf_tc_skip("mmap(PROT_READ|PROT_EXEC, MAP_SHARED) of a file "
		    "in the work directory refused by a policy: %s",
		    strerror(errno));
	ATF_REQUIRE_MSG(x != MAP_FAILED, "mmap(PROT_READ|PROT_EXEC, "
	    "MAP_SHARED): %s", strerror(errno));
	ATF_REQUIRE_MSG(x != w, "the two mappings share an address");
	buf = malloc(ps);
	ATF_REQUIRE(buf != NULL);
	mc_pread_all(fd, buf, n, 0);
	ATF_REQUIRE_MSG(memcmp(buf, code, n) == 0, "read() does not see the "
	    "code written through the shared mapping");
	ATF_REQUIRE_MSG(memcmp(x, code, n) == 0, "the PROT_EXEC mapping does "
	    "not show the code written through the other mapping");
	r = mc_call_code(x, n);
	ATF_REQUIRE_EQ_MSG(r, 42, "code at %p (MAP_SHARED PROT_READ|PROT_EXEC "
	    "mapping of the file) returned %d, expected 42", (void *)x, r);
	free(buf);
	ATF_REQUIRE(munmap(x, ps) == 0);
	ATF_REQUIRE(munmap(w, ps) == 0);
	ATF_REQUIRE(close(fd) == 0);
	ATF_REQUIRE(unlink(FILE_NAME) == 0);
}

/* ---- PROTMX-5, PROTMX-6: mprotect beyond the fd's mode ------------------ */

static void
require_perms(const struct env *e, void *p, int prot, enum kind k,
    const char *when)
{
	struct mc_maps_ent m;
	char want[5];

	perms_of(e, prot, k, want);
	mc_maps_get(p, &m);
	ATF_CHECK_MSG(strcmp(m.perms, want) == 0, "%s: expected perms %s, "
	    "/proc/self/maps says \"%s\"", when, want, m.line);
}

MC_TC(mprotect_shared_rdonly_write_eacces, "PROTMX-5",
    "mprotect of a MAP_SHARED mapping of a file open O_RDONLY to each of "
    "the eight protections fails with EACCES exactly for those with "
    "PROT_WRITE, and then the protection shown in /proc/self/maps stays; "
    "the others succeed")
{
	size_t ps = mc_pagesize();
	struct env e;
	unsigned char *p;
	int cur = PROT_READ;
	char when[128];
	unsigned char c;

	env_setup(&e);
	p = mc_map_fd(e.ro, ps, PROT_READ, MAP_SHARED, 0);
	for (int prot = 0; prot < NPROT; prot++) {
		const char *why;
		int want, got;

		if (policy_refuses(&e, prot, true, &why)) {
			printf("mprotect(%s) skipped: %s\n", prot_name(prot),
			    why);
			continue;
		}
		/*
		 * mprotect.2 EACCES: "if you mmap(2) a file to which you have
		 * read-only access, then ask mprotect() to mark it
		 * PROT_WRITE"; on a noexec mount PROT_EXEC cannot be given
		 * either (mmap.2 EPERM: it was never allowed).
		 */
		want = (prot & PROT_WRITE) || (e.noexec && (prot & PROT_EXEC)) ?
		    EACCES : 0;
		errno = 0;
		got = mprotect(p, ps, prot) == 0 ? 0 : errno;
		ATF_CHECK_MSG(got == want, "mprotect(%s) of the MAP_SHARED "
		    "mapping of an O_RDONLY fd (from %s): expected %s, got %s "
		    "(%s)", prot_name(prot), prot_name(cur),
		    want ? mc_errname(want) : "success",
		    got ? mc_errname(got) : "success", strerror(got));
		if (got == 0)
			cur = prot;
		snprintf(when, sizeof(when), "after mprotect(%s) %s",
		    prot_name(prot), got ? "failed" : "succeeded");
		require_perms(&e, p, cur, K_SFR, when);
		if (!(cur & PROT_WRITE)) {
			struct mc_fault f = mc_touch(p, MC_WRITE);

			ATF_REQUIRE_MSG(is_denied(f, cur), "write %s: expected "
			    "SIGSEGV/SEGV_ACCERR%s, got %s/%s", when,
			    cur == PROT_EXEC ? " (or SEGV_PKUERR)" : "",
			    mc_signame(f.signo), mc_codename(f.signo, f.code));
		}
	}
	mc_pread_all(e.rw, &c, 1, 0);
	ATF_REQUIRE_MSG(c == mc_pattern(0), "the file changed: byte 0 is %#x, "
	    "expected %#x", c, mc_pattern(0));
	ATF_REQUIRE(munmap(p, ps) == 0);
	env_teardown(&e);
}

MC_TC(mprotect_private_rdonly_any_prot_cow, "PROTMX-6",
    "mprotect of a MAP_PRIVATE mapping of a file open O_RDONLY to each of "
    "the eight protections succeeds and /proc/self/maps follows; the "
    "writes it then allows land in private copies: the mapping reads them, "
    "the file keeps its data")
{
	size_t ps = mc_pagesize();
	struct env e;
	unsigned char *p, *buf;
	int cur = PROT_READ;
	size_t written = 0;
	char when[128];

	env_setup(&e);
	p = mc_map_fd(e.ro, ps, PROT_READ, MAP_PRIVATE, 0);
	for (int prot = 0; prot < NPROT; prot++) {
		const char *why;
		int want, got;

		if (policy_refuses(&e, prot, true, &why)) {
			printf("mprotect(%s) skipped: %s\n", prot_name(prot),
			    why);
			continue;
		}
		/* mmap.2, mprotect.2: no rule for private mappings' writes. */
		want = e.noexec && (prot & PROT_EXEC) ? EACCES : 0;
		errno = 0;
		got = mprotect(p, ps, prot) == 0 ? 0 : errno;
		ATF_CHECK_MSG(got == want, "mprotect(%s) of the MAP_PRIVATE "
		    "mapping of an O_RDONLY fd (from %s): expected %s, got %s "
		    "(%s)", prot_name(prot), prot_name(cur),
		    want ? mc_errname(want) : "success",
		    got ? mc_errname(got) : "success", strerror(got));
		if (got == 0)
			cur = prot;
		snprintf(when, sizeof(when), "after mprotect(%s)",
		    prot_name(prot));
		require_perms(&e, p, cur, K_PFR, when);
		if (cur & PROT_WRITE) {
			MC_REQUIRE_NO_FAULT(p + written, MC_WRITE);
			written++; /* mc_touch wrote 0xA5 there */
		}
	}
	ATF_REQUIRE_MSG(written > 0, "no protection with PROT_WRITE was "
	    "applied");
	MC_REQUIRE_OKF(mprotect(p, ps, PROT_READ), "mprotect(%p, PROT_READ)",
	    (void *)p);
	mc_require_readable(p, ps, "the private mapping");
	ATF_REQUIRE_MSG(mc_all_bytes(p, written, 0xA5), "the mapping does not "
	    "read its %zu private writes", written);
	ATF_REQUIRE_MSG(mc_all_bytes(p + written, ps - written, mc_pattern(0)),
	    "the rest of the private copy does not read the file's data");
	buf = malloc(ps);
	ATF_REQUIRE(buf != NULL);
	mc_pread_all(e.rw, buf, ps, 0);
	ATF_REQUIRE_MSG(mc_all_bytes(buf, ps, mc_pattern(0)), "a private write "
	    "reached the file: %zu bytes differ from %#x",
	    mc_count_not(buf, ps, mc_pattern(0)), mc_pattern(0));
	free(buf);
	ATF_REQUIRE(munmap(p, ps) == 0);
	env_teardown(&e);
}

/* ---- PROTMX-7: a noexec mount -------------------------------------------- */

/*
 * An unnamed file (O_TMPFILE: nothing to remove afterwards) of one page on
 * a noexec mount: the work directory when it is noexec, else the first
 * mount point in /proc/self/mountinfo with "noexec" where this process can
 * create one. -1 when there is none; where names the directory.
 */
static int
noexec_tmpfile(char *where, size_t len)
{
	char line[4096];
	struct statvfs sv;
	FILE *f;
	int fd = -1;

	if (statvfs(".", &sv) == 0 && (sv.f_flag & ST_NOEXEC)) {
		fd = open(".", O_TMPFILE | O_RDWR, 0600);
		if (fd >= 0) {
			snprintf(where, len, "the work directory");
			return fd;
		}
	}
	f = fopen("/proc/self/mountinfo", "r");
	if (f == NULL)
		return -1;
	while (fd < 0 && fgets(line, sizeof(line), f) != NULL) {
		char mnt[1024], opts[1024];

		/* id parent major:minor root mount-point options ... */
		if (sscanf(line, "%*s %*s %*s %*s %1023s %1023s", mnt, opts) !=
		    2 || strchr(mnt, '\\') != NULL)
			continue;
		if (strstr(opts, "noexec") == NULL)
			continue;
		fd = open(mnt, O_TMPFILE | O_RDWR, 0600);
		if (fd < 0)
			continue;
		if (fstatvfs(fd, &sv) != 0 || !(sv.f_flag & ST_NOEXEC)) {
			/* another mount on top of it, without noexec */
			close(fd);
			fd = -1;
			continue;
		}
		snprintf(where, len, "%s", mnt);
	}
	fclose(f);
	return fd;
}

MC_TC(noexec_mount_refuses_exec, "PROTMX-7",
    "A file on a noexec mount cannot be mapped with PROT_EXEC (mmap "
    "fails with EPERM, private or shared), and a PROT_READ mapping of it "
    "cannot be given PROT_EXEC by mprotect (EACCES) and stays readable")
{
	size_t ps = mc_pagesize();
	char where[1024];
	unsigned char *buf, *p;
	int fd = noexec_tmpfile(where, sizeof(where));

	if (fd < 0)
		atf_tc_skip("no noexec mount where this process can create an "
		    "unnamed file (O_TMPFILE) here (none listed with noexec in "
		    "/proc/self/mountinfo, or none writable)");
	buf = malloc(ps);
	ATF_REQUIRE(buf != NULL);
	memset(buf, 'e', ps);
	ATF_REQUIRE_MSG(pwrite(fd, buf, ps, 0) == (ssize_t)ps, "pwrite (file "
	    "on %s): %s", where, strerror(errno));
	free(buf);
	printf("file on the noexec mount %s\n", where);
	errno = 0;
	p = mmap(NULL, ps, PROT_READ | PROT_EXEC, MAP_PRIVATE, fd, 0);
	mc_require_mmap_fails(p, ps, EPERM, "mmap(PROT_READ|PROT_EXEC, "
	    "MAP_PRIVATE) of a file on a noexec mount");
	errno = 0;
	p = mmap(NULL, ps, PROT_READ | PROT_EXEC, MAP_SHARED, fd, 0);
	mc_require_mmap_fails(p, ps, EPERM, "mmap(PROT_READ|PROT_EXEC, "
	    "MAP_SHARED) of a file on a noexec mount");
	p = mc_map_fd(fd, ps, PROT_READ, MAP_PRIVATE, 0);
	{
		void *q = mc_map_anon(ps, PROT_READ, MAP_PRIVATE);
		int e = mprotect(q, ps, PROT_READ | PROT_EXEC) == 0 ? 0 : errno;

		ATF_REQUIRE(munmap(q, ps) == 0);
		if (e == EACCES || e == EPERM)
			atf_tc_skip("mmap with PROT_EXEC failed with EPERM as "
			    "documented; an EACCES of mprotect(PROT_EXEC) could "
			    "not be told from a policy that refuses adding "
			    "PROT_EXEC even to anonymous memory (%s)",
			    mc_errname(e));
	}
	MC_REQUIRE_ERRF(mprotect(p, ps, PROT_READ | PROT_EXEC), EACCES,
	    "mprotect(%p, PROT_READ|PROT_EXEC) of a PROT_READ mapping of a "
	    "file on a noexec mount", (void *)p);
	require_perms(&(struct env){ .noexec = true }, p, PROT_READ, K_PFR,
	    "after the refused mprotect(PROT_READ|PROT_EXEC)");
	mc_require_readable(p, ps, "the mapping after the refused mprotect");
	ATF_REQUIRE_MSG(mc_all_bytes(p, ps, 'e'), "the mapping does not read "
	    "the file's data");
	ATF_REQUIRE(munmap(p, ps) == 0);
	ATF_REQUIRE(close(fd) == 0);
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, mmap_errno_table);
	ATF_TP_ADD_TC(tp, access_table);
	ATF_TP_ADD_TC(tp, maps_letters_table);
	ATF_TP_ADD_TC(tp, shared_file_exec_runs_file_code);
	ATF_TP_ADD_TC(tp, mprotect_shared_rdonly_write_eacces);
	ATF_TP_ADD_TC(tp, mprotect_private_rdonly_any_prot_cow);
	ATF_TP_ADD_TC(tp, noexec_mount_refuses_exec);
	return atf_no_error();
}
