/*
 * t_shanon: shared anonymous mappings after fork (design note §2).
 *
 * SHANON-1 parent and child keep the same physical pages of a
 * MAP_SHARED|MAP_ANONYMOUS mapping, writes included (no copy on write);
 * SHANON-2 writes by either side are seen by the other.
 *
 * The two processes synchronise only through pipes with bounded waits: a
 * kernel that treated the mapping as private makes a side read stale data
 * and the case fails with a message; nobody spins on shared memory.
 */
#include <sys/mman.h>

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "mc.h"

#define NPAGES 4
#define CHILD_BYTE 0xC1
#define PARENT_BYTE 0x9A
#define ROUNDS 50

static unsigned char *
map_shared_anon(size_t len)
{
	return mc_map_anon(len, PROT_READ | PROT_WRITE, MAP_SHARED);
}

/* Parent: r (taken by 'who') must show every page on the PFN of ref. */
static void
require_same_pfns(const struct mc_pages_report *r,
    const struct mc_pages_report *ref, const char *who)
{
	ATF_REQUIRE_MSG(r->pm_ok && ref->pm_ok, "%s: pagemap could not be "
	    "read everywhere although PFNs are visible", who);
	for (size_t i = 0; i < NPAGES; i++) {
		uint64_t pfn = MC_PM_PFN(r->pm[i]);
		uint64_t want = MC_PM_PFN(ref->pm[i]);

		ATF_REQUIRE_MSG(r->pm[i] & MC_PM_PRESENT, "%s: page %zu "
		    "expected present in pagemap after reading it, entry is "
		    "%#jx", who, i, (uintmax_t)r->pm[i]);
		ATF_REQUIRE_EQ_MSG(pfn, want, "%s: page %zu of the shared "
		    "anonymous mapping is on PFN %#jx, expected the one "
		    "physical page %#jx (no copy)", who, i, (uintmax_t)pfn,
		    (uintmax_t)want);
	}
}

/* ---- SHANON-1 ---------------------------------------------------------- */

/*
 * Report (read only), write page 0, report, wait for the parent's write
 * of page 1, check it and report, wait for "done".
 */
static int
pfn_child(struct mc_child *self, void *arg)
{
	unsigned char *p = arg;
	size_t ps = mc_pagesize();
	struct mc_pages_report r;

	memset(&r, 0, sizeof(r));
	for (size_t i = 0; i < NPAGES; i++)
		r.mismatches += mc_count_not(p + i * ps, ps, mc_pattern(i));
	mc_take_pagemap(p, NPAGES, &r);
	mc_send(self, &r, sizeof(r));

	memset(p, CHILD_BYTE, ps);
	memset(&r, 0, sizeof(r));
	mc_take_pagemap(p, NPAGES, &r);
	mc_send(self, &r, sizeof(r));

	(void)mc_child_recv_u64(self); /* the parent wrote page 1 */
	memset(&r, 0, sizeof(r));
	r.mismatches = mc_count_not(p + ps, ps, PARENT_BYTE);
	mc_take_pagemap(p, NPAGES, &r);
	mc_send(self, &r, sizeof(r));
	(void)mc_child_recv_u64(self);
	return 0;
}

MC_TC(shared_anon_same_pfns_after_fork_and_writes, "SHANON-1",
    "After fork, parent and child map a MAP_SHARED|MAP_ANONYMOUS mapping "
    "on the same physical pages, and neither the child's nor the parent's "
    "write changes any PFN (no copy on write)")
{
	size_t ps = mc_pagesize(), len = NPAGES * ps;
	unsigned char *p = map_shared_anon(len);
	struct mc_pages_report p0, p1, p2, c0, c1, c2;
	struct mc_child ch;
	uint64_t msg = 1;
	size_t bad;

	for (size_t i = 0; i < NPAGES; i++)
		memset(p + i * ps, mc_pattern(i), ps);
	mc_take_pagemap(p, NPAGES, &p0);
	mc_spawn(&ch, pfn_child, p);
	mc_expect(&ch, &c0, sizeof(c0), "child's report after fork");
	mc_expect(&ch, &c1, sizeof(c1), "child's report after its write");
	mc_take_pagemap(p, NPAGES, &p1);
	bad = mc_count_not(p, ps, CHILD_BYTE);
	memset(p + ps, PARENT_BYTE, ps);
	mc_take_pagemap(p, NPAGES, &p2);
	mc_send(&ch, &msg, sizeof(msg));
	mc_expect(&ch, &c2, sizeof(c2), "child's report after the parent's "
	    "write");
	mc_send(&ch, &msg, sizeof(msg));
	mc_reap_ok(&ch);

	ATF_REQUIRE_EQ_MSG(bad, 0, "parent, after the child wrote page 0 of "
	    "the shared anonymous mapping: %zu of %zu bytes do not hold the "
	    "child's byte (the child wrote to a copy)", bad, ps);
	ATF_REQUIRE_EQ_MSG(c0.mismatches, 0, "child after fork: expected the "
	    "parent's data in the shared mapping, %ju bytes differ",
	    (uintmax_t)c0.mismatches);
	ATF_REQUIRE_EQ_MSG(c2.mismatches, 0, "child, after the parent wrote "
	    "page 1: %ju of %zu bytes do not hold the parent's byte (the "
	    "parent wrote to a copy)", (uintmax_t)c2.mismatches, ps);

	mc_require_pfns();
	require_same_pfns(&p0, &p0, "parent before fork");
	require_same_pfns(&c0, &p0, "child after fork");
	require_same_pfns(&c1, &p0, "child after writing page 0");
	require_same_pfns(&p1, &p0, "parent after the child's write");
	require_same_pfns(&p2, &p0, "parent after writing page 1");
	require_same_pfns(&c2, &p0, "child after the parent's write");
	ATF_REQUIRE(munmap(p, len) == 0);
}

/* ---- SHANON-2 ---------------------------------------------------------- */

static int
writer_child(struct mc_child *self, void *arg)
{
	unsigned char *p = arg;

	memset(p, CHILD_BYTE, NPAGES * mc_pagesize());
	mc_child_send_u64(self, 1);
	(void)mc_child_recv_u64(self);
	return 0;
}

MC_TC(child_write_seen_by_parent, "SHANON-2",
    "A child fills a MAP_SHARED|MAP_ANONYMOUS mapping created before fork: "
    "the parent reads the child's bytes, also after the child exited")
{
	size_t len = NPAGES * mc_pagesize();
	unsigned char *p = map_shared_anon(len);
	struct mc_child ch;
	uint64_t msg;
	size_t bad;

	mc_spawn(&ch, writer_child, p);
	mc_expect(&ch, &msg, sizeof(msg), "child's 'written' message");
	bad = mc_count_not(p, len, CHILD_BYTE);
	mc_send(&ch, &msg, sizeof(msg));
	mc_reap_ok(&ch);
	ATF_REQUIRE_EQ_MSG(bad, 0, "parent, after the child filled the shared "
	    "anonymous mapping with %#x: %zu of %zu bytes differ (the mapping "
	    "behaves as private)", CHILD_BYTE, bad, len);
	bad = mc_count_not(p, len, CHILD_BYTE);
	ATF_REQUIRE_EQ_MSG(bad, 0, "parent, after the child exited: %zu of "
	    "%zu bytes no longer hold the child's data", bad, len);
	ATF_REQUIRE(munmap(p, len) == 0);
}

static int
reader_child(struct mc_child *self, void *arg)
{
	unsigned char *p = arg;
	size_t len = NPAGES * mc_pagesize();

	/* Fault the pages in before the parent writes. */
	mc_child_send_u64(self, mc_count_not(p, len, 0));
	(void)mc_child_recv_u64(self); /* the parent wrote */
	mc_child_send_u64(self, mc_count_not(p, len, PARENT_BYTE));
	(void)mc_child_recv_u64(self);
	return 0;
}

MC_TC(parent_write_seen_by_child, "SHANON-2",
    "After fork the child reads a MAP_SHARED|MAP_ANONYMOUS mapping (zero), "
    "the parent fills it: the child then reads the parent's bytes")
{
	size_t len = NPAGES * mc_pagesize();
	unsigned char *p = map_shared_anon(len);
	struct mc_child ch;
	uint64_t before, after, msg = 1;

	mc_spawn(&ch, reader_child, p);
	mc_expect(&ch, &before, sizeof(before), "child's first reading");
	memset(p, PARENT_BYTE, len);
	mc_send(&ch, &msg, sizeof(msg));
	mc_expect(&ch, &after, sizeof(after), "child's second reading");
	mc_send(&ch, &msg, sizeof(msg));
	mc_reap_ok(&ch);
	ATF_REQUIRE_EQ_MSG(before, 0, "child, before any write: %ju of %zu "
	    "bytes of the new shared anonymous mapping are not 0",
	    (uintmax_t)before, len);
	ATF_REQUIRE_EQ_MSG(after, 0, "child, after the parent filled the "
	    "shared anonymous mapping with %#x: %ju of %zu bytes differ (the "
	    "mapping behaves as private)", PARENT_BYTE, (uintmax_t)after, len);
	ATF_REQUIRE(munmap(p, len) == 0);
}

/*
 * Ping-pong: on each of its turns a side checks that the counter in the
 * shared page holds the other side's last value, increments it and passes
 * the turn through the pipe. It reports a mismatch as the value it saw.
 */
static int
pingpong_child(struct mc_child *self, void *arg)
{
	volatile uint64_t *ctr = arg;

	for (uint64_t i = 0; i < ROUNDS; i++) {
		uint64_t want = 2 * i + 1;

		(void)mc_child_recv_u64(self);
		if (*ctr != want) {
			mc_child_send_u64(self, UINT64_MAX);
			mc_child_send_u64(self, *ctr);
			return 0;
		}
		*ctr = want + 1;
		mc_child_send_u64(self, want + 1);
	}
	return 0;
}

MC_TC(round_trips_through_shared_anon, "SHANON-2",
    "Parent and child take turns incrementing a counter in a "
    "MAP_SHARED|MAP_ANONYMOUS page (turns passed over a pipe): each side "
    "sees every increment of the other, in both directions")
{
	size_t ps = mc_pagesize();
	volatile uint64_t *ctr = (volatile uint64_t *)map_shared_anon(ps);
	struct mc_child ch;

	mc_spawn(&ch, pingpong_child, (void *)ctr);
	for (uint64_t i = 0; i < ROUNDS; i++) {
		uint64_t v = 2 * i + 1, told, seen;

		*ctr = v;
		mc_send(&ch, &v, sizeof(v));
		mc_expect(&ch, &told, sizeof(told), "child's turn");
		if (told == UINT64_MAX) {
			mc_expect(&ch, &seen, sizeof(seen), "child's reading");
			mc_reap_ok(&ch);
			ATF_REQUIRE_MSG(false, "round %ju: the parent wrote %ju "
			    "to the shared page, the child read %ju (parent "
			    "-> child write lost)", (uintmax_t)i, (uintmax_t)v,
			    (uintmax_t)seen);
		}
		seen = *ctr;
		if (seen != v + 1)
			(void)mc_reap(&ch, MC_WAIT_MS);
		ATF_REQUIRE_EQ_MSG(seen, v + 1, "round %ju: the child wrote "
		    "%ju to the shared page, the parent reads %ju (child -> "
		    "parent write lost)", (uintmax_t)i, (uintmax_t)(v + 1),
		    (uintmax_t)seen);
	}
	mc_reap_ok(&ch);
	ATF_REQUIRE(munmap((void *)ctr, ps) == 0);
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, shared_anon_same_pfns_after_fork_and_writes);
	ATF_TP_ADD_TC(tp, child_write_seen_by_parent);
	ATF_TP_ADD_TC(tp, parent_write_seen_by_child);
	ATF_TP_ADD_TC(tp, round_trips_through_shared_anon);
	return atf_no_error();
}
