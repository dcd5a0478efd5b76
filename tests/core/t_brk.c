/*
 * t_brk: the program break (brk(2), sbrk(2)): what sbrk(0) reports, what
 * raising and lowering the break does to the memory above it, the raw
 * system call's return values, and the limits on raising it (RLIMIT_DATA,
 * an existing mapping above the heap, RLIMIT_MEMLOCK under
 * mlockall(MCL_FUTURE)).
 *
 * Every case runs in a child that moves its own break with the raw
 * system call (SYS_brk returns the new break on success and the current
 * one on failure, brk(2)) and does not call malloc between reading the
 * break and the calls under test: glibc's malloc moves the break too, and
 * glibc's brk/sbrk cache it. The child restores its break before it
 * reports. The heap's place is never assumed (it is randomized under
 * randomize_va_space=2): every address is computed from brk(0).
 */
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>

#include <linux/capability.h>

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
#include "mc_proc.h"

#define RW (PROT_READ | PROT_WRITE)

/* ---- helpers usable in children (no ATF, no malloc) -------------------- */

/* The raw brk system call: the new break on success, the old on failure. */
static uintptr_t
raw_brk(uintptr_t addr)
{
	return (uintptr_t)syscall(SYS_brk, addr);
}

static uintptr_t
page_up(uintptr_t a)
{
	size_t ps = mc_pagesize();

	return (a + ps - 1) & ~(uintptr_t)(ps - 1);
}

/*
 * Fields 45-47 of /proc/self/stat (proc(5), Linux 3.3+): start_data,
 * end_data, start_brk. False when unreadable or shown as 0.
 */
static bool
stat_data_fields(uintptr_t *start_data, uintptr_t *end_data,
    uintptr_t *start_brk)
{
	static char buf[4096];
	unsigned long long v[3] = { 0, 0, 0 };
	char *s;
	int field = 3;

	if (!mc_read_small("/proc/self/stat", buf, sizeof(buf)))
		return false;
	s = strrchr(buf, ')');
	if (s == NULL)
		return false;
	s++;
	while (field <= 47) {
		char *end;
		unsigned long long x;

		while (*s == ' ')
			s++;
		if (*s == '\0')
			return false;
		x = strtoull(s, &end, 10);
		if (end == s) /* the state letter (field 3) */
			end = s + 1;
		if (field >= 45)
			v[field - 45] = x;
		s = end;
		field++;
	}
	*start_data = (uintptr_t)v[0];
	*end_data = (uintptr_t)v[1];
	*start_brk = (uintptr_t)v[2];
	return v[0] != 0 && v[1] != 0 && v[2] != 0;
}

/*
 * The start and end of the /proc/self/maps line holding addr, read without
 * stdio; false when no line holds it or the file cannot be read.
 */
static bool
maps_range_raw(uintptr_t addr, uintptr_t *start, uintptr_t *end)
{
	static char buf[1 << 18];
	char *s;

	if (!mc_read_small("/proc/self/maps", buf, sizeof(buf)))
		return false;
	for (s = buf; s != NULL && *s != '\0'; s = strchr(s, '\n'),
	    s = s ? s + 1 : NULL) {
		char *e;
		uintptr_t a = (uintptr_t)strtoull(s, &e, 16), b;

		if (*e != '-')
			return false;
		b = (uintptr_t)strtoull(e + 1, NULL, 16);
		if (addr >= a && addr < b) {
			*start = a;
			*end = b;
			return true;
		}
	}
	return false;
}

/* A child's report: up to 12 numbers, sent in one message. */
struct rep {
	uint64_t v[12];
};

static void
run_child(mc_child_fn fn, void *arg, struct rep *r, const char *what)
{
	struct mc_child ch;

	mc_spawn(&ch, fn, arg);
	mc_expect(&ch, r, sizeof(*r), what);
	mc_reap_ok(&ch);
}

/* ---- raising the break ------------------------------------------------- */

/*
 * Child: v0 sbrk(0), v1 raw brk(0), v2 the new break asked for (2 pages
 * above the page holding the break), v3 errno of glibc brk() to it (0:
 * returned 0), v4 sbrk(0) after, v5 raw brk(0) after, v6 signal of the
 * first fault reading or writing the new pages (0: none), v7 non-zero bytes
 * in them, v8 bytes that did not read back what was written, v9 errno of
 * glibc brk() back to the old break.
 */
static int
raise_child(struct mc_child *self, void *arg)
{
	size_t ps = mc_pagesize();
	struct rep r = { { 0 } };
	unsigned char *top;

	(void)arg;
	r.v[0] = (uintptr_t)sbrk(0);
	r.v[1] = raw_brk(0);
	top = (unsigned char *)page_up(r.v[1]);
	r.v[2] = (uintptr_t)(top + 2 * ps);
	r.v[3] = brk((void *)(uintptr_t)r.v[2]) == 0 ? 0 : (uint64_t)errno;
	r.v[4] = (uintptr_t)sbrk(0);
	r.v[5] = raw_brk(0);
	if (r.v[3] == 0) {
		/* Read probes first: a write probe stores a byte. */
		for (size_t i = 0; i < 2 && r.v[6] == 0; i++)
			r.v[6] = (uint64_t)mc_touch(top + i * ps,
			    MC_READ).signo;
		if (r.v[6] == 0)
			r.v[7] = mc_count_not(top, 2 * ps, 0);
		for (size_t i = 0; i < 2 && r.v[6] == 0; i++)
			r.v[6] = (uint64_t)mc_touch(top + i * ps,
			    MC_WRITE).signo;
		if (r.v[6] == 0) {
			memset(top, 'h', 2 * ps);
			r.v[8] = mc_count_not(top, 2 * ps, 'h');
		}
	}
	r.v[9] = brk((void *)(uintptr_t)r.v[1]) == 0 ? 0 : (uint64_t)errno;
	mc_send(self, &r, sizeof(r));
	return 0;
}

MC_TC(brk_raise_zero_filled, "BRK-1",
    "sbrk(0) returns the current break (what the raw brk(0) reports); "
    "brk to a higher page-aligned address returns 0, sbrk(0) then returns "
    "it, and the new pages below it are readable, writable and "
    "zero-filled")
{
	struct rep r;

	run_child(raise_child, NULL, &r, "brk report");
	ATF_REQUIRE_EQ_MSG(r.v[0], r.v[1], "child: sbrk(0) = %#jx, but the "
	    "kernel's break (raw brk(0)) is %#jx", (uintmax_t)r.v[0],
	    (uintmax_t)r.v[1]);
	if (r.v[3] == ENOMEM)
		mc_skip_if_limited(ENOMEM, "brk raising the break by 2 pages");
	ATF_REQUIRE_EQ_MSG(r.v[3], 0, "child: brk(%#jx) (2 pages above the "
	    "break %#jx): expected 0, got -1/%s", (uintmax_t)r.v[2],
	    (uintmax_t)r.v[1], mc_errname((int)r.v[3]));
	ATF_REQUIRE_MSG(r.v[4] == r.v[2] && r.v[5] == r.v[2], "child: after "
	    "brk(%#jx), sbrk(0) = %#jx and raw brk(0) = %#jx, expected both "
	    "to be the new break", (uintmax_t)r.v[2], (uintmax_t)r.v[4],
	    (uintmax_t)r.v[5]);
	ATF_REQUIRE_EQ_MSG(r.v[6], 0, "child: touching the new heap pages "
	    "raised %s", mc_signame((int)r.v[6]));
	ATF_REQUIRE_EQ_MSG(r.v[7], 0, "child: the new heap pages hold %ju "
	    "non-zero bytes, expected zero-fill", (uintmax_t)r.v[7]);
	ATF_REQUIRE_EQ_MSG(r.v[8], 0, "child: %ju bytes of the new heap "
	    "pages did not read back what was written", (uintmax_t)r.v[8]);
	ATF_REQUIRE_EQ_MSG(r.v[9], 0, "child: brk back to the old break: %s",
	    mc_errname((int)r.v[9]));
}

/* ---- lowering the break ----------------------------------------------- */

/*
 * Child: v0 raw brk(0), v1 top (the page boundary at or above it), v2 raw
 * brk(top + 2 pages), v3 raw brk(top) (lowered), v4/v5 signal and si_code
 * of reading top, v6/v7 the same for top + 1 page, v8 raw brk(top + 2
 * pages) again, v9 non-zero bytes in the re-grown pages, v10 raw brk back
 * to the old break.
 */
static int
lower_child(struct mc_child *self, void *arg)
{
	size_t ps = mc_pagesize();
	struct rep r = { { 0 } };
	uintptr_t top;
	struct mc_fault f;

	(void)arg;
	r.v[0] = raw_brk(0);
	top = page_up(r.v[0]);
	r.v[1] = top;
	r.v[2] = raw_brk(top + 2 * ps);
	if (r.v[2] != top + 2 * ps) {
		mc_send(self, &r, sizeof(r));
		return 0;
	}
	memset((void *)top, 'o', 2 * ps);
	r.v[3] = raw_brk(top);
	if (r.v[3] == top) {
		f = mc_touch((void *)top, MC_READ);
		r.v[4] = (uint64_t)f.signo;
		r.v[5] = (uint64_t)f.code;
		f = mc_touch((void *)(top + ps), MC_READ);
		r.v[6] = (uint64_t)f.signo;
		r.v[7] = (uint64_t)f.code;
		r.v[8] = raw_brk(top + 2 * ps);
		if (r.v[8] == top + 2 * ps)
			r.v[9] = mc_count_not((void *)top, 2 * ps, 0);
	}
	r.v[10] = raw_brk(r.v[0]);
	mc_send(self, &r, sizeof(r));
	return 0;
}

MC_TC(brk_lower_releases, "BRK-2",
    "The raw brk returns the new break on success; lowering the break to "
    "a page boundary deallocates the pages above it (reading them raises "
    "SIGSEGV/SEGV_MAPERR) and raising it again gives zero-filled pages, "
    "not the old contents")
{
	size_t ps = mc_pagesize();
	struct rep r;

	run_child(lower_child, NULL, &r, "brk report");
	if (r.v[2] == r.v[0])
		mc_skip_if_limited(ENOMEM, "raw brk raising the break by 2 "
		    "pages");
	ATF_REQUIRE_EQ_MSG(r.v[2], r.v[1] + 2 * ps, "child: raw brk(%#jx) "
	    "(break %#jx): expected the new break back, got %#jx",
	    (uintmax_t)(r.v[1] + 2 * ps), (uintmax_t)r.v[0],
	    (uintmax_t)r.v[2]);
	ATF_REQUIRE_EQ_MSG(r.v[3], r.v[1], "child: raw brk(%#jx) lowering the "
	    "break: expected %#jx back, got %#jx", (uintmax_t)r.v[1],
	    (uintmax_t)r.v[1], (uintmax_t)r.v[3]);
	ATF_REQUIRE_MSG(r.v[4] == SIGSEGV && r.v[5] == SEGV_MAPERR, "child: "
	    "reading %#jx, the first page above the lowered break: expected "
	    "SIGSEGV/SEGV_MAPERR, got %s/%s", (uintmax_t)r.v[1],
	    mc_signame((int)r.v[4]), mc_codename((int)r.v[4], (int)r.v[5]));
	ATF_REQUIRE_MSG(r.v[6] == SIGSEGV && r.v[7] == SEGV_MAPERR, "child: "
	    "reading %#jx, the second page above the lowered break: expected "
	    "SIGSEGV/SEGV_MAPERR, got %s/%s", (uintmax_t)(r.v[1] + ps),
	    mc_signame((int)r.v[6]), mc_codename((int)r.v[6], (int)r.v[7]));
	ATF_REQUIRE_EQ_MSG(r.v[8], r.v[1] + 2 * ps, "child: raising the break "
	    "again to %#jx: got %#jx", (uintmax_t)(r.v[1] + 2 * ps),
	    (uintmax_t)r.v[8]);
	ATF_REQUIRE_EQ_MSG(r.v[9], 0, "child: the re-grown heap pages hold "
	    "%ju non-zero bytes: the old contents survived the lowering",
	    (uintmax_t)r.v[9]);
	ATF_REQUIRE_EQ_MSG(r.v[10], r.v[0], "child: restoring the break "
	    "%#jx: got %#jx", (uintmax_t)r.v[0], (uintmax_t)r.v[10]);
}

/* ---- RLIMIT_DATA ------------------------------------------------------- */

/*
 * Child: sets the soft RLIMIT_DATA so that the break may rise by exactly
 * one page: the kernel checks both the data segment (break - start_brk +
 * end_data - start_data, /proc/self/stat) and all private writable memory
 * (VmData) against it, so the limit is one page above the larger of the
 * two. v0 setup (0, or step << 32 | errno: 1 /proc/self/stat fields,
 * 2 VmData, 3 getrlimit, 4 hard limit too low (errno 0), 5 setrlimit),
 * v1 the break b0, v2 the limit, v3 raw brk(b0 + 1 page), v4 raw brk(b0 +
 * 2 pages), v5 errno of glibc brk(b0 + 2 pages) (0: returned 0), v6 errno
 * of glibc sbrk(1 page) (0: succeeded), v7 raw brk(0), then with the old
 * soft limit back: v8 raw brk(b0 + 2 pages), v9 raw brk back to b0.
 */
static int
data_limit_child(struct mc_child *self, void *arg)
{
	size_t ps = mc_pagesize();
	struct rep r = { { 0 } };
	uintptr_t sd, ed, sb, used;
	struct rlimit rl, old;
	long vmdata;

	(void)arg;
	if (!stat_data_fields(&sd, &ed, &sb)) {
		r.v[0] = 1ULL << 32;
		mc_send(self, &r, sizeof(r));
		return 0;
	}
	if ((vmdata = mc_status_kb_raw("VmData")) < 0) {
		r.v[0] = 2ULL << 32;
		mc_send(self, &r, sizeof(r));
		return 0;
	}
	r.v[1] = raw_brk(0);
	used = (uintptr_t)r.v[1] - sb + (ed - sd);
	if ((uintptr_t)vmdata * 1024 > used)
		used = (uintptr_t)vmdata * 1024;
	r.v[2] = page_up(used) + ps;
	if (getrlimit(RLIMIT_DATA, &old) != 0) {
		r.v[0] = 3ULL << 32 | (uint32_t)errno;
		mc_send(self, &r, sizeof(r));
		return 0;
	}
	if (old.rlim_max != RLIM_INFINITY && old.rlim_max < r.v[2] + ps) {
		r.v[0] = 4ULL << 32;
		mc_send(self, &r, sizeof(r));
		return 0;
	}
	rl = old;
	rl.rlim_cur = r.v[2];
	if (setrlimit(RLIMIT_DATA, &rl) != 0) {
		r.v[0] = 5ULL << 32 | (uint32_t)errno;
		mc_send(self, &r, sizeof(r));
		return 0;
	}
	r.v[3] = raw_brk(r.v[1] + ps);
	r.v[4] = raw_brk(r.v[1] + 2 * ps);
	errno = 0;
	r.v[5] = brk((void *)(uintptr_t)(r.v[1] + 2 * ps)) == 0 ? 0 :
	    (uint64_t)errno;
	errno = 0;
	r.v[6] = sbrk((intptr_t)ps) != (void *)-1 ? 0 : (uint64_t)errno;
	r.v[7] = raw_brk(0);
	(void)setrlimit(RLIMIT_DATA, &old);
	r.v[8] = raw_brk(r.v[1] + 2 * ps);
	r.v[9] = raw_brk(r.v[1]);
	mc_send(self, &r, sizeof(r));
	return 0;
}

MC_TC(brk_rlimit_data, "BRK-3",
    "Raising the break beyond the soft RLIMIT_DATA fails: glibc brk "
    "returns -1/ENOMEM, sbrk (void *)-1/ENOMEM, the raw system call the "
    "unchanged break; raising it within the limit, or beyond it once the "
    "limit is lifted, succeeds")
{
	static const char *step[] = { "", "reading start_data, end_data and "
	    "start_brk of /proc/self/stat", "reading VmData of "
	    "/proc/self/status", "getrlimit(RLIMIT_DATA)", "",
	    "setrlimit(RLIMIT_DATA)" };
	size_t ps = mc_pagesize();
	unsigned long ign;
	struct rep r;
	unsigned s;

	if (mc_read_ulong_file("/sys/module/kernel/parameters/"
	    "ignore_rlimit_data", &ign) && ign != 0)
		atf_tc_skip("ignore_rlimit_data is set: the kernel only warns "
		    "when VmData exceeds RLIMIT_DATA");
	run_child(data_limit_child, NULL, &r, "RLIMIT_DATA report");
	s = (unsigned)(r.v[0] >> 32);
	if (s == 1)
		atf_tc_skip("/proc/self/stat does not show start_data, "
		    "end_data and start_brk (fields 45-47, Linux 3.3+): the "
		    "data size RLIMIT_DATA is checked against is unknown");
	if (s == 4)
		atf_tc_skip("the hard RLIMIT_DATA is below what the child "
		    "already uses plus 2 pages");
	ATF_REQUIRE_MSG(r.v[0] == 0, "child: %s failed: %s", step[s < 6 ? s :
	    0], mc_errname((int)(uint32_t)r.v[0]));
	ATF_REQUIRE_EQ_MSG(r.v[3], r.v[1] + ps, "child (RLIMIT_DATA %ju "
	    "bytes, one page of room): raw brk(break + 1 page): expected "
	    "%#jx, got %#jx", (uintmax_t)r.v[2], (uintmax_t)(r.v[1] + ps),
	    (uintmax_t)r.v[3]);
	ATF_REQUIRE_EQ_MSG(r.v[4], r.v[1] + ps, "child (RLIMIT_DATA %ju "
	    "bytes): raw brk(%#jx), one page beyond the limit: expected the "
	    "unchanged break %#jx, got %#jx", (uintmax_t)r.v[2],
	    (uintmax_t)(r.v[1] + 2 * ps), (uintmax_t)(r.v[1] + ps),
	    (uintmax_t)r.v[4]);
	ATF_REQUIRE_EQ_MSG(r.v[5], ENOMEM, "child: glibc brk() beyond "
	    "RLIMIT_DATA: expected -1/ENOMEM, got %s", r.v[5] ?
	    mc_errname((int)r.v[5]) : "0 (success)");
	ATF_REQUIRE_EQ_MSG(r.v[6], ENOMEM, "child: sbrk(1 page) beyond "
	    "RLIMIT_DATA: expected (void *)-1/ENOMEM, got %s", r.v[6] ?
	    mc_errname((int)r.v[6]) : "success");
	ATF_REQUIRE_EQ_MSG(r.v[7], r.v[1] + ps, "child: the failed calls "
	    "moved the break to %#jx (expected %#jx)", (uintmax_t)r.v[7],
	    (uintmax_t)(r.v[1] + ps));
	ATF_REQUIRE_EQ_MSG(r.v[8], r.v[1] + 2 * ps, "child: with the old "
	    "RLIMIT_DATA back, raw brk(%#jx) should succeed (the limit caused "
	    "the failure), got %#jx", (uintmax_t)(r.v[1] + 2 * ps),
	    (uintmax_t)r.v[8]);
	ATF_REQUIRE_EQ(r.v[9], r.v[1]);
}

/* ---- a mapping above the heap ------------------------------------------ */

#ifdef MAP_FIXED_NOREPLACE
#define NOREPLACE MAP_FIXED_NOREPLACE
#else
#define NOREPLACE 0 /* a hint: the result is checked */
#endif

/*
 * Child: maps one page at top + 3 pages (top: the page boundary at or
 * above the break b0), filled with 'm'. v0 b0, v1 the page wanted, v2 the
 * mmap result (or errno with v3 1), v4 raw brk(top + 1 page), v5 raw
 * brk(top + 5 pages) (past the mapping), v6 errno of glibc brk() to it,
 * v7 bytes of the mapping that are no longer 'm', v8/v9 its start and end
 * per /proc/self/maps (0 when gone), v10 raw brk back to b0.
 */
static int
overlap_child(struct mc_child *self, void *arg)
{
	size_t ps = mc_pagesize();
	struct rep r = { { 0 } };
	uintptr_t top, ms, me;
	void *m;

	(void)arg;
	r.v[0] = raw_brk(0);
	top = page_up(r.v[0]);
	r.v[1] = top + 3 * ps;
	m = mmap((void *)(uintptr_t)r.v[1], ps, RW, MAP_PRIVATE |
	    MAP_ANONYMOUS | NOREPLACE, -1, 0);
	if (m == MAP_FAILED) {
		r.v[2] = (uint64_t)errno;
		r.v[3] = 1;
		mc_send(self, &r, sizeof(r));
		return 0;
	}
	r.v[2] = (uintptr_t)m;
	if (m != (void *)(uintptr_t)r.v[1]) {
		munmap(m, ps);
		mc_send(self, &r, sizeof(r));
		return 0;
	}
	memset(m, 'm', ps);
	r.v[4] = raw_brk(top + ps);
	r.v[5] = raw_brk(top + 5 * ps);
	errno = 0;
	r.v[6] = brk((void *)(top + 5 * ps)) == 0 ? 0 : (uint64_t)errno;
	r.v[7] = mc_count_not(m, ps, 'm');
	if (maps_range_raw((uintptr_t)m, &ms, &me)) {
		r.v[8] = ms;
		r.v[9] = me;
	}
	r.v[10] = raw_brk(r.v[0]);
	munmap(m, ps);
	mc_send(self, &r, sizeof(r));
	return 0;
}

MC_TC(brk_stops_below_mapping, "BRK-4",
    "The break never grows over an existing mapping: with a page mapped 3 "
    "pages above the heap, raising the break 1 page succeeds, raising it "
    "past that page fails (raw brk returns the unchanged break, glibc brk "
    "-1/ENOMEM) and the page keeps its place and contents")
{
	size_t ps = mc_pagesize();
	uintptr_t top;
	struct rep r;

	run_child(overlap_child, NULL, &r, "brk report");
	top = page_up(r.v[0]);
	if (r.v[3] == 1 && r.v[2] == EEXIST)
		atf_tc_skip("the page 3 pages above the break (%#jx) is "
		    "already mapped: no room to place a mapping there",
		    (uintmax_t)r.v[1]);
	ATF_REQUIRE_MSG(r.v[3] == 0, "child: mmap of one page at %#jx "
	    "(3 pages above the break %#jx): %s", (uintmax_t)r.v[1],
	    (uintmax_t)r.v[0], mc_errname((int)r.v[2]));
	if (r.v[2] != r.v[1])
		atf_tc_skip("the kernel placed the mapping at %#jx, not at the "
		    "free address %#jx asked for (MAP_FIXED_NOREPLACE unknown "
		    "here and the hint not taken)", (uintmax_t)r.v[2],
		    (uintmax_t)r.v[1]);
	ATF_REQUIRE_EQ_MSG(r.v[4], top + ps, "child: raw brk(%#jx), 1 page "
	    "up and 2 pages below the mapping: expected the new break, got "
	    "%#jx", (uintmax_t)(top + ps), (uintmax_t)r.v[4]);
	ATF_REQUIRE_EQ_MSG(r.v[5], top + ps, "child: raw brk(%#jx), past the "
	    "mapping at %#jx: expected the unchanged break %#jx, got %#jx",
	    (uintmax_t)(top + 5 * ps), (uintmax_t)r.v[1],
	    (uintmax_t)(top + ps), (uintmax_t)r.v[5]);
	ATF_REQUIRE_EQ_MSG(r.v[6], ENOMEM, "child: glibc brk(%#jx) past the "
	    "mapping: expected -1/ENOMEM, got %s", (uintmax_t)(top + 5 * ps),
	    r.v[6] ? mc_errname((int)r.v[6]) : "0 (success)");
	ATF_REQUIRE_EQ_MSG(r.v[7], 0, "child: %ju bytes of the mapping above "
	    "the heap changed", (uintmax_t)r.v[7]);
	ATF_REQUIRE_MSG(r.v[8] == r.v[1] && r.v[9] == r.v[1] + ps, "child: "
	    "/proc/self/maps shows the mapping at %#jx-%#jx, expected "
	    "%#jx-%#jx", (uintmax_t)r.v[8], (uintmax_t)r.v[9],
	    (uintmax_t)r.v[1], (uintmax_t)(r.v[1] + ps));
	ATF_REQUIRE_EQ(r.v[10], r.v[0]);
}

/* ---- mlockall(MCL_FUTURE) and RLIMIT_MEMLOCK ---------------------------- */

/*
 * Child: drops CAP_IPC_LOCK, soft RLIMIT_MEMLOCK 2 pages,
 * mlockall(MCL_FUTURE). v0 setup (0, or step << 32 | errno: 1 getrlimit,
 * 2 hard limit below 2 pages, 3 setrlimit, 4 CAP_IPC_LOCK still
 * effective), v1 errno of mlockall, v2 b0, v3 raw brk(top + 1 page), v4
 * resident pages of that page, v5 raw brk(top + 4 pages) (beyond the
 * limit), v6 raw brk(top + 2 pages) (up to the limit), v7 VmLck kB, v8
 * raw brk back to b0.
 */
static int
memlock_brk_child(struct mc_child *self, void *arg)
{
	size_t ps = mc_pagesize();
	struct rep r = { { 0 } };
	struct rlimit rl;
	uintptr_t top;

	(void)arg;
	(void)mc_cap_drop(CAP_IPC_LOCK);
	if (mc_cap_is_effective(CAP_IPC_LOCK) != 0)
		r.v[0] = 4ULL << 32;
	else if (getrlimit(RLIMIT_MEMLOCK, &rl) != 0)
		r.v[0] = 1ULL << 32 | (uint32_t)errno;
	else if (rl.rlim_max != RLIM_INFINITY && rl.rlim_max < 2 * ps)
		r.v[0] = 2ULL << 32;
	else if (rl.rlim_cur = 2 * ps, setrlimit(RLIMIT_MEMLOCK, &rl) != 0)
		r.v[0] = 3ULL << 32 | (uint32_t)errno;
	if (r.v[0] != 0) {
		mc_send(self, &r, sizeof(r));
		return 0;
	}
	if (mlockall(MCL_FUTURE) != 0) {
		r.v[1] = (uint64_t)errno;
		mc_send(self, &r, sizeof(r));
		return 0;
	}
	r.v[2] = raw_brk(0);
	top = page_up(r.v[2]);
	r.v[3] = raw_brk(top + ps);
	if (r.v[3] == top + ps)
		r.v[4] = (uint64_t)mc_resident_try((void *)top, 1);
	r.v[5] = raw_brk(top + 4 * ps);
	r.v[6] = raw_brk(top + 2 * ps);
	r.v[7] = (uint64_t)mc_status_kb_raw("VmLck");
	munlockall();
	r.v[8] = raw_brk(r.v[2]);
	mc_send(self, &r, sizeof(r));
	return 0;
}

MC_TC(brk_mcl_future_memlock, "BRK-5",
    "After mlockall(MCL_FUTURE) without CAP_IPC_LOCK, raising the break "
    "within RLIMIT_MEMLOCK succeeds and the new heap page is locked "
    "(resident at once, counted in VmLck); raising it beyond the limit "
    "fails and leaves the break unchanged")
{
	static const char *step[] = { "", "getrlimit(RLIMIT_MEMLOCK)", "",
	    "setrlimit(RLIMIT_MEMLOCK)", "" };
	size_t ps = mc_pagesize();
	uintptr_t top;
	struct rep r;
	unsigned s;

	run_child(memlock_brk_child, NULL, &r, "brk under MCL_FUTURE report");
	s = (unsigned)(r.v[0] >> 32);
	if (s == 4)
		atf_tc_skip("cannot drop CAP_IPC_LOCK in the child: privileged "
		    "processes are exempt from RLIMIT_MEMLOCK");
	if (s == 2)
		atf_tc_skip("the hard RLIMIT_MEMLOCK is below two pages");
	ATF_REQUIRE_MSG(r.v[0] == 0, "child: %s failed: %s", step[s < 5 ? s :
	    0], mc_errname((int)(uint32_t)r.v[0]));
	if (r.v[1] == EPERM)
		mc_require_mlock_unfiltered();
	ATF_REQUIRE_EQ_MSG(r.v[1], 0, "child (RLIMIT_MEMLOCK 2 pages): "
	    "mlockall(MCL_FUTURE): %s", mc_errname((int)r.v[1]));
	top = page_up(r.v[2]);
	ATF_REQUIRE_EQ_MSG(r.v[3], top + ps, "child: under MCL_FUTURE, raw "
	    "brk(%#jx) (1 page, within RLIMIT_MEMLOCK): expected the new "
	    "break, got %#jx", (uintmax_t)(top + ps), (uintmax_t)r.v[3]);
	ATF_REQUIRE_EQ_MSG(r.v[5], top + ps, "child: under MCL_FUTURE with 1 "
	    "of 2 pages locked, raw brk(%#jx) (3 more pages): expected the "
	    "unchanged break %#jx, got %#jx", (uintmax_t)(top + 4 * ps),
	    (uintmax_t)(top + ps), (uintmax_t)r.v[5]);
	ATF_REQUIRE_EQ_MSG(r.v[6], top + 2 * ps, "child: under MCL_FUTURE, "
	    "raw brk(%#jx) (up to the limit): expected the new break, got "
	    "%#jx", (uintmax_t)(top + 2 * ps), (uintmax_t)r.v[6]);
	ATF_REQUIRE_EQ(r.v[8], r.v[2]);
	if ((int64_t)r.v[7] >= 0)
		ATF_REQUIRE_EQ_MSG((int64_t)r.v[7], (int64_t)(2 * ps / 1024),
		    "child: VmLck with 2 heap pages grown under MCL_FUTURE: "
		    "expected %zu kB, got %jd kB", 2 * ps / 1024,
		    (intmax_t)(int64_t)r.v[7]);
	mc_require_mincore_sees_untouched("whether the heap page grown under "
	    "MCL_FUTURE was populated cannot be observed (limits and VmLck "
	    "checked)");
	ATF_REQUIRE_EQ_MSG((int64_t)r.v[4], 1, "child: the untouched heap "
	    "page grown under MCL_FUTURE is not resident (mincore %jd)",
	    (intmax_t)(int64_t)r.v[4]);
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, brk_raise_zero_filled);
	ATF_TP_ADD_TC(tp, brk_lower_releases);
	ATF_TP_ADD_TC(tp, brk_rlimit_data);
	ATF_TP_ADD_TC(tp, brk_stops_below_mapping);
	ATF_TP_ADD_TC(tp, brk_mcl_future_memlock);
	return atf_no_error();
}
