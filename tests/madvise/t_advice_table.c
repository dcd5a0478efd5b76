/*
 * t_advice_table: madvise(2) swept over a table, in the style of the Linux
 * selftests' cow.c: one check run over every (advice, mapping kind) cell.
 *
 * The kinds: private anonymous, shared anonymous, private file, shared
 * file (both on a file of the work directory open O_RDWR, read-write
 * mappings) and a PROT_NONE private anonymous mapping. Each cell maps the
 * kind afresh (two pages holding known data), applies the advice, compares
 * the result with the table (0 or the errno madvise.2 names for that
 * advice and kind), checks that the data is unchanged where the advice
 * must not change it (or was refused), and unmaps it again, so no cell
 * sees what another left behind.
 *
 * An advice the kernel may lack (MADV_FREE before 4.5, MADV_WIPEONFORK
 * before 4.14, MADV_COLD and MADV_PAGEOUT before 5.4, MADV_POPULATE_*
 * before 5.14, MADV_MERGEABLE without CONFIG_KSM, MADV_HUGEPAGE without
 * CONFIG_TRANSPARENT_HUGEPAGE, MADV_REMOVE in emulators) is first applied
 * to a mapping of a kind that must accept it; EINVAL (ENOSYS) there means
 * "unknown here": that row is skipped and listed in the output, and the
 * case is skipped only when every row was. A cell that differs from the
 * table fails the case (after all cells ran) with one message naming the
 * advice, the kind, the expected and the seen result.
 *
 * MADV_COLLAPSE (6.1+) is not swept: its result depends on the size of the
 * mapping (one that cannot hold an aligned huge page is refused) and on
 * whether a huge page can be allocated at that moment (ENOMEM, EAGAIN,
 * EBUSY), not on the kind of mapping alone.
 *
 * The other cases: advice on a PROT_NONE mapping, advice over a range
 * with a hole, and MADV_DONTFORK / MADV_DOFORK on the middle of a mapping.
 */
#include <sys/mman.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mc.h"
#include "mc_err.h"

/* include/uapi/asm-generic/mman-common.h, for C libraries without them. */
#ifndef MADV_WIPEONFORK
#define MADV_WIPEONFORK 18
#endif
#ifndef MADV_KEEPONFORK
#define MADV_KEEPONFORK 19
#endif
#ifndef MADV_POPULATE_READ
#define MADV_POPULATE_READ 22
#endif
#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23
#endif
#ifndef FALLOC_FL_KEEP_SIZE
#define FALLOC_FL_KEEP_SIZE 0x01
#endif
#ifndef FALLOC_FL_PUNCH_HOLE
#define FALLOC_FL_PUNCH_HOLE 0x02
#endif

/* ---- the kinds of mapping ------------------------------------------------ */

enum kind { K_PA, K_SA, K_PF, K_SF, K_NA, NKIND };

static const char *const kind_name[NKIND] = {
	"private anonymous", "shared anonymous", "private file",
	"shared file", "PROT_NONE private anonymous",
};

#define CELL_PAGES 2
#define FILE_NAME "advice.dat"

/* A mapped cell: where, what each page must read while the data stays. */
struct cell {
	unsigned char *p;
	enum kind kind;
	unsigned char want[CELL_PAGES];
};

/* Put the file's pages back to mc_pattern(i) (a cell may punch holes). */
static void
restore_file(int fd)
{
	size_t ps = mc_pagesize();
	unsigned char *buf = malloc(ps);

	ATF_REQUIRE(buf != NULL);
	for (size_t i = 0; i < CELL_PAGES; i++) {
		memset(buf, mc_pattern(i), ps);
		ATF_REQUIRE_MSG(pwrite(fd, buf, ps, (off_t)(i * ps)) ==
		    (ssize_t)ps, "pwrite(%s, page %zu): %s", FILE_NAME, i,
		    strerror(errno));
	}
	free(buf);
}

/*
 * Map a fresh cell of kind k with known data: anonymous pages are written,
 * a file mapping writes its page 0 (a private copy, or the file) and keeps
 * page 1 as the file has it. Plain mmap, no MADV_NOHUGEPAGE: the cell's
 * flags are the kind's defaults (two pages cannot hold a huge page).
 */
static void
cell_map(struct cell *c, enum kind k, int fd)
{
	size_t ps = mc_pagesize(), len = CELL_PAGES * ps;
	int prot = PROT_READ | PROT_WRITE;
	void *p;

	c->kind = k;
	switch (k) {
	case K_PA:
	case K_NA:
		p = mmap(NULL, len, prot, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		break;
	case K_SA:
		p = mmap(NULL, len, prot, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
		break;
	case K_PF:
	case K_SF:
		restore_file(fd);
		p = mmap(NULL, len, prot, k == K_PF ? MAP_PRIVATE : MAP_SHARED,
		    fd, 0);
		break;
	default:
		p = MAP_FAILED;
	}
	ATF_REQUIRE_MSG(p != MAP_FAILED, "mmap(%s, %zu bytes): %s",
	    kind_name[k], len, strerror(errno));
	c->p = p;
	switch (k) {
	case K_PA: c->want[0] = 'a'; c->want[1] = 'b'; break;
	case K_SA: c->want[0] = 's'; c->want[1] = 't'; break;
	case K_NA: c->want[0] = 'n'; c->want[1] = 'o'; break;
	case K_PF: c->want[0] = 'w'; c->want[1] = mc_pattern(1); break;
	default:   c->want[0] = 'W'; c->want[1] = mc_pattern(1); break;
	}
	memset(c->p, c->want[0], ps);
	if (k == K_PA || k == K_SA || k == K_NA)
		memset(c->p + ps, c->want[1], ps);
	if (k == K_NA)
		ATF_REQUIRE_MSG(mprotect(c->p, len, PROT_NONE) == 0,
		    "mprotect(%p, PROT_NONE): %s", (void *)c->p,
		    strerror(errno));
}

/*
 * Whether every page of the cell still reads its data (a PROT_NONE cell
 * is made readable first); a message into why when not.
 */
static bool
cell_data_kept(struct cell *c, char *why, size_t len)
{
	size_t ps = mc_pagesize();

	if (c->kind == K_NA)
		ATF_REQUIRE_MSG(mprotect(c->p, CELL_PAGES * ps, PROT_READ) ==
		    0, "mprotect(%p, PROT_READ): %s", (void *)c->p,
		    strerror(errno));
	for (size_t i = 0; i < CELL_PAGES; i++) {
		struct mc_fault f = mc_touch(c->p + i * ps, MC_READ);
		size_t bad;

		if (f.signo != 0) {
			snprintf(why, len, "page %zu faults on read (%s/%s)",
			    i, mc_signame(f.signo),
			    mc_codename(f.signo, f.code));
			return false;
		}
		bad = mc_count_not(c->p + i * ps, ps, c->want[i]);
		if (bad != 0) {
			snprintf(why, len, "page %zu: %zu bytes are not %#x",
			    i, bad, c->want[i]);
			return false;
		}
	}
	return true;
}

static void
cell_unmap(struct cell *c)
{
	ATF_REQUIRE_MSG(munmap(c->p, CELL_PAGES * mc_pagesize()) == 0,
	    "munmap(%p): %s", (void *)c->p, strerror(errno));
}

/* madvise's result as 0 or an errno. */
static int
advise(void *p, size_t len, int advice)
{
	errno = 0;
	return madvise(p, len, advice) == 0 ? 0 : errno;
}

/* ---- the table -------------------------------------------------------- */

/* How the probe's EINVAL is read for an advice of an optional feature. */
enum optional { OPT_NONE, OPT_KSM, OPT_THP };

struct row {
	const char *name;
	int advice;
	/* A kind on which every kernel that knows the advice accepts it. */
	enum kind probe;
	enum optional opt;
	/* The advice may change the data (no data check when accepted). */
	bool destructive;
	/* Applied after an accepted advice, to leave nothing behind. */
	int undo;
	int want[NKIND];
};

/*
 * Expected results. The comments cite madvise.2 (man-pages 6.03).
 */
#define ALL0 { 0, 0, 0, 0, 0 }

/*
 * Conventional advice values: "do not influence the semantics of the
 * application (except in the case of MADV_DONTNEED)"; madvise.2 names no
 * error for them on a mapped range. MADV_COLD is "a nondestructive
 * operation"; MADV_PAGEOUT "might be ignored for some pages" and changes
 * no contents either (it writes dirty file pages back, swaps anonymous
 * ones). On anonymous memory MADV_WILLNEED may fail with EBADF ("the area
 * maps something that isn't a file") on a kernel built without swap: the
 * probe sees it and the row then expects EBADF on the anonymous kinds.
 */
static const struct row hint_rows[] = {
	{ "MADV_NORMAL", MADV_NORMAL, K_PA, OPT_NONE, false, -1, ALL0 },
	{ "MADV_RANDOM", MADV_RANDOM, K_PA, OPT_NONE, false, -1, ALL0 },
	{ "MADV_SEQUENTIAL", MADV_SEQUENTIAL, K_PA, OPT_NONE, false, -1,
	    ALL0 },
	{ "MADV_WILLNEED", MADV_WILLNEED, K_PA, OPT_NONE, false, -1, ALL0 },
	{ "MADV_COLD", MADV_COLD, K_PA, OPT_NONE, false, -1, ALL0 },
	{ "MADV_PAGEOUT", MADV_PAGEOUT, K_PA, OPT_NONE, false, -1, ALL0 },
};

/*
 * Attributes of the range (inheritance, core dumps): madvise.2 restricts
 * none of them to a kind of mapping; MADV_KEEPONFORK only undoes
 * MADV_WIPEONFORK, so it is accepted wherever there is nothing to undo.
 */
static const struct row attr_rows[] = {
	{ "MADV_DONTFORK", MADV_DONTFORK, K_PA, OPT_NONE, false, MADV_DOFORK,
	    ALL0 },
	{ "MADV_DOFORK", MADV_DOFORK, K_PA, OPT_NONE, false, -1, ALL0 },
	{ "MADV_DONTDUMP", MADV_DONTDUMP, K_PA, OPT_NONE, false, MADV_DODUMP,
	    ALL0 },
	{ "MADV_DODUMP", MADV_DODUMP, K_PA, OPT_NONE, false, -1, ALL0 },
	{ "MADV_KEEPONFORK", MADV_KEEPONFORK, K_PA, OPT_NONE, false, -1,
	    ALL0 },
};

/*
 * KSM and THP advice: "available only if the kernel was configured with
 * CONFIG_KSM" (else EINVAL) / "with CONFIG_TRANSPARENT_HUGEPAGE". They
 * mark the range; madvise.2 names no error for a kind of mapping (KSM
 * "merges only private anonymous pages": on the others the mark has no
 * effect, the call still succeeds).
 */
static const struct row opt_rows[] = {
	{ "MADV_MERGEABLE", MADV_MERGEABLE, K_PA, OPT_KSM, false,
	    MADV_UNMERGEABLE, ALL0 },
	{ "MADV_UNMERGEABLE", MADV_UNMERGEABLE, K_PA, OPT_KSM, false, -1,
	    ALL0 },
	{ "MADV_HUGEPAGE", MADV_HUGEPAGE, K_PA, OPT_THP, false,
	    MADV_NOHUGEPAGE, ALL0 },
	{ "MADV_NOHUGEPAGE", MADV_NOHUGEPAGE, K_PA, OPT_THP, false, -1,
	    ALL0 },
};

/* Marks the shared-file MADV_REMOVE cell: 0 or EOPNOTSUPP, see below. */
#define WANT_PUNCH (-2)

static const struct row restricted_rows[] = {
	/*
	 * MADV_DONTNEED: allowed on every kind; refused (EINVAL) only for
	 * locked, Huge TLB or VM_PFNMAP pages.
	 */
	{ "MADV_DONTNEED", MADV_DONTNEED, K_PA, OPT_NONE, true, -1, ALL0 },
	/*
	 * MADV_FREE "can be applied only to private anonymous pages";
	 * EINVAL: "the specified address range includes file, Huge TLB,
	 * MAP_SHARED, or VM_PFNMAP ranges". A PROT_NONE private anonymous
	 * range is private anonymous.
	 */
	{ "MADV_FREE", MADV_FREE, K_PA, OPT_NONE, true, -1,
	    { 0, EINVAL, EINVAL, EINVAL, 0 } },
	/*
	 * MADV_WIPEONFORK "can be applied only to private anonymous pages";
	 * EINVAL as for MADV_FREE. It changes nothing in the caller.
	 */
	{ "MADV_WIPEONFORK", MADV_WIPEONFORK, K_PA, OPT_NONE, false,
	    MADV_KEEPONFORK, { 0, EINVAL, EINVAL, EINVAL, 0 } },
	/*
	 * MADV_REMOVE: "The specified address range must be mapped shared
	 * and writable"; EACCES "the specified address range is not a
	 * shared writable mapping" (the private file mapping). A shared
	 * anonymous mapping is shmem (tmpfs): accepted. On a shared file
	 * mapping: "Filesystems which do not support MADV_REMOVE fail with
	 * the error EOPNOTSUPP" (any file system with FALLOC_FL_PUNCH_HOLE
	 * supports it since Linux 3.5): the cell expects what
	 * fallocate(PUNCH_HOLE) on the same file returns. On a mapping of
	 * no file at all (private anonymous) Linux checks for a backing
	 * file first and returns EINVAL (mm/madvise.c madvise_remove(),
	 * the same since 2.6.16); madvise.2 names no errno for that case.
	 */
	{ "MADV_REMOVE", MADV_REMOVE, K_SA, OPT_NONE, true, -1,
	    { EINVAL, 0, EACCES, WANT_PUNCH, EINVAL } },
};

/*
 * MADV_POPULATE_READ/WRITE "cannot be applied to mappings without read
 * [write] permissions"; EINVAL "the specified address range includes
 * ranges with insufficient permissions". Prefaulting changes no data.
 */
static const struct row populate_rows[] = {
	{ "MADV_POPULATE_READ", MADV_POPULATE_READ, K_PA, OPT_NONE, false, -1,
	    { 0, 0, 0, 0, EINVAL } },
	{ "MADV_POPULATE_WRITE", MADV_POPULATE_WRITE, K_PA, OPT_NONE, false,
	    -1, { 0, 0, 0, 0, EINVAL } },
};

/* What an errno-or-0 reads as in a message. */
static const char *
result_name(int r)
{
	return r == 0 ? "success (0)" : mc_errname(r);
}

/*
 * What fallocate(FALLOC_FL_PUNCH_HOLE) on the work directory's file
 * returns (0 or EOPNOTSUPP), which MADV_REMOVE on a shared mapping of it
 * must return too. The hole is filled again by the next cell's
 * restore_file.
 */
static int
punch_result(int fd)
{
	size_t ps = mc_pagesize();
	int e = 0;

	if (fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 0,
	    (off_t)ps) != 0)
		e = errno;
	ATF_REQUIRE_MSG(e == 0 || e == EOPNOTSUPP, "fallocate(%s, "
	    "FALLOC_FL_PUNCH_HOLE, page 0): expected 0 or EOPNOTSUPP, got %s "
	    "(%s)", FILE_NAME, mc_errname(e), strerror(e));
	restore_file(fd);
	return e;
}

/*
 * Probe row r on a fresh mapping of its probe kind. Returns true when the
 * advice is known; false, with the reason in why, when the row is to be
 * skipped. *probe_err gets the probe's result (0 or an errno).
 */
static bool
probe_row(const struct row *r, int fd, int *probe_err, char *why,
    size_t len)
{
	struct cell c;
	int e;

	cell_map(&c, r->probe, fd);
	e = advise(c.p, CELL_PAGES * mc_pagesize(), r->advice);
	if (e == 0 && r->undo >= 0)
		(void)advise(c.p, CELL_PAGES * mc_pagesize(), r->undo);
	cell_unmap(&c);
	*probe_err = e;
	if (e == 0 || (e == EBADF && r->advice == MADV_WILLNEED))
		return true;
	if (e == EINVAL && r->opt == OPT_THP) {
		size_t thp = mc_thp_size();
		ATF_REQUIRE_MSG(thp == 0, "%s on a %s mapping: EINVAL although "
		    "transparent huge pages are available (PMD size %zu in "
		    "/sys/kernel/mm/transparent_hugepage/hpage_pmd_size)",
		    r->name, kind_name[r->probe], thp);
		snprintf(why, len, "%s: EINVAL and no transparent huge pages "
		    "here (no /sys/kernel/mm/transparent_hugepage/"
		    "hpage_pmd_size: kernel without "
		    "CONFIG_TRANSPARENT_HUGEPAGE?)", r->name);
		return false;
	}
	if (e == EINVAL && r->opt == OPT_KSM) {
		ATF_REQUIRE_MSG(access("/sys/kernel/mm/ksm/run", F_OK) != 0,
		    "%s on a %s mapping: EINVAL although /sys/kernel/mm/ksm/"
		    "run exists (the kernel has KSM)", r->name,
		    kind_name[r->probe]);
		snprintf(why, len, "%s: EINVAL and no /sys/kernel/mm/ksm "
		    "(kernel without CONFIG_KSM?)", r->name);
		return false;
	}
	if (e == EINVAL || e == ENOSYS) {
		snprintf(why, len, "%s: %s on a %s mapping, which every "
		    "kernel that knows the advice accepts (not in this "
		    "kernel, or an emulator that lacks it)", r->name,
		    mc_errname(e), kind_name[r->probe]);
		return false;
	}
	ATF_REQUIRE_MSG(false, "%s on a fresh %s mapping: expected success, "
	    "got %s (%s)", r->name, kind_name[r->probe], mc_errname(e),
	    strerror(e));
	return false;
}

/*
 * Run every cell of the rows: each failing cell is reported (nonfatal)
 * with advice, kind, expected and seen result. Skipped rows are listed on
 * stdout; when every row was skipped, the case is.
 */
static void
sweep(const struct row *rows, size_t nrows, const char *group)
{
	size_t ps = mc_pagesize(), ran = 0;
	int fd = mc_make_file(FILE_NAME, CELL_PAGES);
	char skipped[2048] = "";

	for (size_t i = 0; i < nrows; i++) {
		const struct row *r = &rows[i];
		char why[512];
		int probe_err, want[NKIND];

		if (!probe_row(r, fd, &probe_err, why, sizeof(why))) {
			size_t used = strlen(skipped);
			snprintf(skipped + used, sizeof(skipped) - used, "%s%s",
			    used ? "; " : "", why);
			printf("row skipped: %s\n", why);
			continue;
		}
		ran++;
		memcpy(want, r->want, sizeof(want));
		if (r->advice == MADV_WILLNEED && probe_err == EBADF) {
			/* madvise.2 EBADF: a kernel without swap support. */
			want[K_PA] = want[K_NA] = EBADF;
			printf("MADV_WILLNEED: anonymous memory refused with "
			    "EBADF (kernel without swap support)\n");
		}
		for (int k = 0; k < NKIND; k++) {
			struct cell c;
			char msg[256];
			int w = want[k], seen;

			if (w == WANT_PUNCH)
				w = punch_result(fd);
			cell_map(&c, (enum kind)k, fd);
			seen = advise(c.p, CELL_PAGES * ps, r->advice);
			if (seen != w)
				atf_tc_fail_nonfatal("%s on a %s mapping: "
				    "expected %s, got %s (%s)", r->name,
				    kind_name[k], result_name(w),
				    result_name(seen), strerror(seen));
			if (seen == 0 && r->undo >= 0) {
				int u = advise(c.p, CELL_PAGES * ps, r->undo);
				ATF_REQUIRE_MSG(u == 0, "undoing %s on a %s "
				    "mapping: advice %d: %s", r->name,
				    kind_name[k], r->undo, strerror(u));
			}
			if ((!r->destructive || seen != 0) &&
			    !cell_data_kept(&c, msg, sizeof(msg)))
				atf_tc_fail_nonfatal("%s on a %s mapping (%s): "
				    "the data changed: %s", r->name,
				    kind_name[k], result_name(seen), msg);
			cell_unmap(&c);
		}
	}
	ATF_REQUIRE(close(fd) == 0);
	ATF_REQUIRE(unlink(FILE_NAME) == 0);
	if (ran == 0)
		atf_tc_skip("no %s advice is known here: %s", group, skipped);
	printf("%zu of %zu %s rows swept over %d kinds\n", ran, nrows, group,
	    NKIND);
}

#define NROWS(a) (sizeof(a) / sizeof((a)[0]))

MC_TC(table_hints_accepted_everywhere, "MADV-32",
    "MADV_NORMAL, MADV_RANDOM, MADV_SEQUENTIAL, MADV_WILLNEED, MADV_COLD "
    "and MADV_PAGEOUT are accepted on private and shared anonymous, "
    "private and shared file and PROT_NONE mappings and change no data")
{
	sweep(hint_rows, NROWS(hint_rows), "access-pattern and reclaim hint");
}

MC_TC(table_attributes_accepted_everywhere, "MADV-33",
    "MADV_DONTFORK, MADV_DOFORK, MADV_DONTDUMP, MADV_DODUMP and "
    "MADV_KEEPONFORK are accepted on every kind of mapping, PROT_NONE "
    "included, and change no data")
{
	sweep(attr_rows, NROWS(attr_rows), "fork and core-dump attribute");
}

MC_TC(table_ksm_thp_accepted_everywhere, "MADV-34",
    "Where the kernel has KSM and THP, MADV_MERGEABLE, MADV_UNMERGEABLE, "
    "MADV_HUGEPAGE and MADV_NOHUGEPAGE are accepted on every kind of "
    "mapping and change no data")
{
	sweep(opt_rows, NROWS(opt_rows), "KSM and THP");
}

MC_TC(table_restricted_advice_per_kind, "MADV-35",
    "MADV_DONTNEED is accepted on every kind; MADV_FREE and "
    "MADV_WIPEONFORK only on private anonymous ones (PROT_NONE included), "
    "EINVAL elsewhere; MADV_REMOVE only on shared writable ones (EACCES "
    "on a private file mapping, EINVAL without a file); a refused advice "
    "changes no data")
{
	sweep(restricted_rows, NROWS(restricted_rows), "kind-restricted");
}

MC_TC(table_populate_needs_access, "MADV-36",
    "MADV_POPULATE_READ and MADV_POPULATE_WRITE are accepted on read-write "
    "anonymous and file mappings, private or shared, without changing "
    "data, and fail with EINVAL on a PROT_NONE mapping")
{
	sweep(populate_rows, NROWS(populate_rows), "populate");
}

/* ---- PROT_NONE ---------------------------------------------------------- */

MC_TC(prot_none_dontneed_discards, "MADV-37",
    "On a PROT_NONE private anonymous mapping MADV_WILLNEED is accepted "
    "and keeps the data, and MADV_DONTNEED is accepted and discards the "
    "advised pages: made readable again they read zeros, the others keep "
    "their data")
{
	size_t ps = mc_pagesize();
	unsigned char *p = mc_map_anon(2 * ps, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE);

	memset(p, 'q', 2 * ps);
	MC_REQUIRE_OKF(mprotect(p, 2 * ps, PROT_NONE), "mprotect(%p, 2 pages, "
	    "PROT_NONE)", (void *)p);
	MC_REQUIRE_OKF(madvise(p, 2 * ps, MADV_WILLNEED), "madvise(%p, 2 "
	    "pages, MADV_WILLNEED) on a PROT_NONE mapping", (void *)p);
	MC_REQUIRE_FAULT(p, MC_READ, SIGSEGV, SEGV_ACCERR);
	MC_REQUIRE_OKF(mprotect(p, 2 * ps, PROT_READ), "mprotect(%p, 2 pages, "
	    "PROT_READ)", (void *)p);
	mc_require_readable(p, 2 * ps, "the pages after MADV_WILLNEED");
	ATF_REQUIRE_MSG(mc_all_bytes(p, 2 * ps, 'q'), "after MADV_WILLNEED on "
	    "the PROT_NONE mapping: %zu bytes are not 'q'",
	    mc_count_not(p, 2 * ps, 'q'));
	MC_REQUIRE_OKF(mprotect(p, 2 * ps, PROT_NONE), "mprotect(%p, 2 pages, "
	    "PROT_NONE)", (void *)p);
	MC_REQUIRE_OKF(madvise(p, ps, MADV_DONTNEED), "madvise(%p, 1 page, "
	    "MADV_DONTNEED) on a PROT_NONE mapping", (void *)p);
	MC_REQUIRE_FAULT(p, MC_READ, SIGSEGV, SEGV_ACCERR);
	MC_REQUIRE_OKF(mprotect(p, 2 * ps, PROT_READ | PROT_WRITE),
	    "mprotect(%p, 2 pages, PROT_READ|PROT_WRITE)", (void *)p);
	mc_require_readable(p, 2 * ps, "the pages made read-write again");
	ATF_REQUIRE_EQ_MSG(mc_count_not(p, ps, 0), 0, "page 0 (MADV_DONTNEED "
	    "while PROT_NONE): expected zeros, %zu bytes are not zero",
	    mc_count_not(p, ps, 0));
	ATF_REQUIRE_MSG(mc_all_bytes(p + ps, ps, 'q'), "page 1 (not advised): "
	    "expected its 'q' data, %zu bytes differ",
	    mc_count_not(p + ps, ps, 'q'));
	ATF_REQUIRE(munmap(p, 2 * ps) == 0);
}

/* ---- children that report what they see ------------------------------- */

/*
 * A child that touches each of n pages (at most 4) at base and sends, per
 * page, 1 << 63 | signo << 32 | si_code when the read faults, else the
 * number of bytes that are not want[i].
 */
#define SEEN_FAULT (UINT64_C(1) << 63)
struct look_arg {
	unsigned char *base;
	size_t n;
	unsigned char want[4];
};

static int
look_child(struct mc_child *self, void *arg)
{
	struct look_arg *a = arg;
	size_t ps = mc_pagesize();

	for (size_t i = 0; i < a->n; i++) {
		unsigned char *q = a->base + i * ps;
		struct mc_fault f = mc_touch(q, MC_READ);

		if (f.signo != 0)
			mc_child_send_u64(self, SEEN_FAULT |
			    (uint64_t)f.signo << 32 | (uint32_t)f.code);
		else
			mc_child_send_u64(self, mc_count_not(q, ps,
			    a->want[i]));
	}
	return 0;
}

/* Fork a look_child over a and collect its n reports into seen. */
static void
look(struct look_arg *a, uint64_t *seen)
{
	struct mc_child ch;

	mc_spawn(&ch, look_child, a);
	for (size_t i = 0; i < a->n; i++)
		mc_expect(&ch, &seen[i], sizeof(seen[i]), "the child's report");
	mc_reap_ok(&ch);
}

/* A report as text: "reads its data", "N bytes differ", "SIGSEGV/..." */
static const char *
seen_text(uint64_t v, char *buf, size_t len)
{
	if (v & SEEN_FAULT) {
		int sig = (int)((v >> 32) & 0x7fffffff);
		snprintf(buf, len, "faults with %s/%s", mc_signame(sig),
		    mc_codename(sig, (int)(uint32_t)v));
	} else if (v == 0) {
		snprintf(buf, len, "reads the parent's data");
	} else {
		snprintf(buf, len, "reads the page with %ju bytes differing "
		    "from the parent's data", (uintmax_t)v);
	}
	return buf;
}

static bool
seen_maperr(uint64_t v)
{
	return (v & SEEN_FAULT) && ((v >> 32) & 0x7fffffff) == SIGSEGV &&
	    (int)(uint32_t)v == SEGV_MAPERR;
}

/* ---- a hole in the range ----------------------------------------------- */

MC_TC(dontfork_over_hole_enomem_both_sides, "MADV-38",
    "MADV_DONTFORK over a range with an unmapped page in the middle fails "
    "with ENOMEM yet applies to the mapped pages before and after the "
    "hole (a fork child has neither: SEGV_MAPERR); MADV_DOFORK over the "
    "same range fails with ENOMEM and gives the child both back")
{
	size_t ps = mc_pagesize();
	unsigned char *p = mc_map_anon(3 * ps, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE);
	struct look_arg a = { p, 3, { 'x', 0, 'z' } };
	uint64_t seen[3];
	char t[128];

	memset(p, 'x', ps);
	memset(p + 2 * ps, 'z', ps);
	ATF_REQUIRE_MSG(munmap(p + ps, ps) == 0, "munmap(the middle page): %s",
	    strerror(errno));
	MC_REQUIRE_ERRF(madvise(p, 3 * ps, MADV_DONTFORK), ENOMEM,
	    "madvise(%p, 3 pages, MADV_DONTFORK) over mapped, unmapped, "
	    "mapped pages", (void *)p);
	look(&a, seen);
	ATF_CHECK_MSG(seen_maperr(seen[0]), "child, page 0 (before the hole) "
	    "after MADV_DONTFORK: expected SIGSEGV/SEGV_MAPERR, it %s",
	    seen_text(seen[0], t, sizeof(t)));
	ATF_CHECK_MSG(seen_maperr(seen[2]), "child, page 2 (after the hole) "
	    "after MADV_DONTFORK: expected SIGSEGV/SEGV_MAPERR, it %s",
	    seen_text(seen[2], t, sizeof(t)));
	mc_require_readable(p, ps, "the parent's page 0");
	mc_require_readable(p + 2 * ps, ps, "the parent's page 2");
	ATF_REQUIRE_MSG(mc_all_bytes(p, ps, 'x') &&
	    mc_all_bytes(p + 2 * ps, ps, 'z'), "the parent's pages changed "
	    "after MADV_DONTFORK");

	MC_REQUIRE_ERRF(madvise(p, 3 * ps, MADV_DOFORK), ENOMEM,
	    "madvise(%p, 3 pages, MADV_DOFORK) over mapped, unmapped, mapped "
	    "pages", (void *)p);
	look(&a, seen);
	ATF_CHECK_MSG(seen[0] == 0, "child, page 0 (before the hole) after "
	    "MADV_DOFORK: expected the parent's 'x' data, it %s",
	    seen_text(seen[0], t, sizeof(t)));
	ATF_CHECK_MSG(seen[2] == 0, "child, page 2 (after the hole) after "
	    "MADV_DOFORK: expected the parent's 'z' data, it %s",
	    seen_text(seen[2], t, sizeof(t)));
	ATF_REQUIRE(munmap(p, ps) == 0);
	ATF_REQUIRE(munmap(p + 2 * ps, ps) == 0);
}

/* ---- MADV_DONTFORK on the middle of a mapping -------------------------- */

/*
 * Require that /proc/self/maps shows [p, p + 3 pages) as the three
 * one-page mappings (pieces) when split, or as one mapping when not.
 */
static void
require_pieces(unsigned char *p, bool split, const char *when)
{
	size_t ps = mc_pagesize();

	for (size_t i = 0; i < 3; i++) {
		struct mc_maps_ent e;
		uintptr_t ws = (uintptr_t)(split ? p + i * ps : p);
		uintptr_t we = (uintptr_t)(split ? p + (i + 1) * ps : p + 3 * ps);

		mc_maps_get(p + i * ps, &e);
		ATF_REQUIRE_MSG(e.start == ws && e.end == we &&
		    strcmp(e.perms, "rw-p") == 0, "%s: page %zu: expected the "
		    "mapping %#jx-%#jx rw-p in /proc/self/maps, it says \"%s\"",
		    when, i, (uintmax_t)ws, (uintmax_t)we, e.line);
	}
}

MC_TC(dontfork_middle_splits_child_lacks_middle, "MADV-39",
    "MADV_DONTFORK on the middle page of a three-page mapping splits it "
    "into three mappings in /proc/self/maps; a fork child lacks just the "
    "middle page (SIGSEGV/SEGV_MAPERR) and reads the parent's data in the "
    "others")
{
	size_t ps = mc_pagesize();
	unsigned char *p = mc_map_guarded(3, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1);
	struct look_arg a = { p, 3, { 'l', 'm', 'r' } };
	uint64_t seen[3];
	char t[128];

	for (size_t i = 0; i < 3; i++)
		memset(p + i * ps, a.want[i], ps);
	require_pieces(p, false, "before MADV_DONTFORK");
	MC_REQUIRE_OKF(madvise(p + ps, ps, MADV_DONTFORK), "madvise(%p, 1 "
	    "page, MADV_DONTFORK) on the middle page", (void *)(p + ps));
	require_pieces(p, true, "after MADV_DONTFORK on the middle page");
	look(&a, seen);
	ATF_CHECK_MSG(seen[0] == 0, "child, page 0: expected the parent's "
	    "data, it %s", seen_text(seen[0], t, sizeof(t)));
	ATF_CHECK_MSG(seen_maperr(seen[1]), "child, page 1 (MADV_DONTFORK): "
	    "expected SIGSEGV/SEGV_MAPERR, it %s",
	    seen_text(seen[1], t, sizeof(t)));
	ATF_CHECK_MSG(seen[2] == 0, "child, page 2: expected the parent's "
	    "data, it %s", seen_text(seen[2], t, sizeof(t)));
	mc_require_readable(p, 3 * ps, "the parent's three pages");
	for (size_t i = 0; i < 3; i++)
		ATF_REQUIRE_MSG(mc_all_bytes(p + i * ps, ps, a.want[i]),
		    "the parent's page %zu changed", i);
	mc_unmap_guarded(p, 3);
}

MC_TC(dofork_middle_child_sees_middle_again, "MADV-40",
    "MADV_DOFORK on the middle page undoes an earlier MADV_DONTFORK there: "
    "a fork child then reads the parent's data in all three pages")
{
	size_t ps = mc_pagesize();
	unsigned char *p = mc_map_guarded(3, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1);
	struct look_arg a = { p, 3, { 'L', 'M', 'R' } };
	uint64_t seen[3];
	char t[128];

	for (size_t i = 0; i < 3; i++)
		memset(p + i * ps, a.want[i], ps);
	MC_REQUIRE_OKF(madvise(p + ps, ps, MADV_DONTFORK), "madvise(%p, 1 "
	    "page, MADV_DONTFORK) on the middle page", (void *)(p + ps));
	look(&a, seen);
	ATF_REQUIRE_MSG(seen_maperr(seen[1]), "child, page 1 after "
	    "MADV_DONTFORK: expected SIGSEGV/SEGV_MAPERR, it %s",
	    seen_text(seen[1], t, sizeof(t)));
	MC_REQUIRE_OKF(madvise(p + ps, ps, MADV_DOFORK), "madvise(%p, 1 "
	    "page, MADV_DOFORK) on the middle page", (void *)(p + ps));
	look(&a, seen);
	for (size_t i = 0; i < 3; i++)
		ATF_CHECK_MSG(seen[i] == 0, "child, page %zu after MADV_DOFORK: "
		    "expected the parent's data, it %s", i,
		    seen_text(seen[i], t, sizeof(t)));
	mc_unmap_guarded(p, 3);
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, table_hints_accepted_everywhere);
	ATF_TP_ADD_TC(tp, table_attributes_accepted_everywhere);
	ATF_TP_ADD_TC(tp, table_ksm_thp_accepted_everywhere);
	ATF_TP_ADD_TC(tp, table_restricted_advice_per_kind);
	ATF_TP_ADD_TC(tp, table_populate_needs_access);
	ATF_TP_ADD_TC(tp, prot_none_dontneed_discards);
	ATF_TP_ADD_TC(tp, dontfork_over_hole_enomem_both_sides);
	ATF_TP_ADD_TC(tp, dontfork_middle_splits_child_lacks_middle);
	ATF_TP_ADD_TC(tp, dofork_middle_child_sees_middle_again);
	return atf_no_error();
}
