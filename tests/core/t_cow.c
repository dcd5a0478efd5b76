/*
 * t_cow: copy-on-write, the design note's scenario (§3) as one program.
 *
 * Three processes a, b and c (workers, mc_worker.h: children that each open
 * the file by name and map it MAP_PRIVATE by themselves) map the same
 * 10-page file. The test process drives them step by step through their
 * pipes (bounded waits) and asserts on what each one reports: the contents
 * of its mapping (always) and the PFN of each page (where the kernel shows
 * PFNs), plus the pagemap file-page bit (page-cache page vs anonymous
 * copy) where pagemap is readable.
 *
 * Every case runs the scenario up to its own step (earlier steps' checks
 * included) and names that step's catalogue ID.
 */
#include <sys/mman.h>

#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "mc_worker.h"

#define FNAME "cow.dat"
#define NPAGES 10
#define WPAGE 2 /* the page a, then b, write */

/* ---- the scenario ------------------------------------------------------- */

enum { A, B, C, NPROC };
static const char *const who[NPROC] = { "process a", "process b",
    "process c" };

struct cow {
	bool pm, pfns;
	struct mc_child ch[NPROC];
	struct mc_worker_report r[NPROC];
	uint64_t orig[NPAGES]; /* step 1: the shared page-cache pages */
	uint64_t a_copy;       /* step 2: a's private copy of page 2 */
	size_t offa, offb, len;
};

static uint64_t
pfn(struct cow *s, int proc, size_t page)
{
	return mc_worker_pfn(who[proc], &s->r[proc], page);
}

/* (1) a, b and c map the file and read it: the same 10 physical pages. */
static void
step1_all_share(struct cow *s)
{
	for (int k = 0; k < NPROC; k++)
		mc_worker_start(&s->ch[k], who[k], FNAME, MAP_PRIVATE, NPAGES,
		    &s->r[k]);
	for (int k = 0; k < NPROC; k++)
		for (size_t i = 0; i < NPAGES; i++)
			mc_require_pristine(who[k], &s->r[k], i);
	mc_require_file_pristine(FNAME, NPAGES, "after step 1 (all mapped)");
	if (s->pm)
		for (int k = 0; k < NPROC; k++)
			for (size_t i = 0; i < NPAGES; i++)
				mc_require_file_bit(who[k], &s->r[k], i, true);
	if (s->pfns)
		for (size_t i = 0; i < NPAGES; i++) {
			s->orig[i] = pfn(s, A, i);
			for (int k = B; k < NPROC; k++)
				ATF_REQUIRE_MSG(pfn(s, k, i) == s->orig[i],
				    "step 1, page %zu: expected a, b and c on "
				    "one physical page, a has PFN %#jx, %s has "
				    "%#jx", i, (uintmax_t)s->orig[i], who[k],
				    (uintmax_t)pfn(s, k, i));
		}
}

/*
 * (2) a writes page 2: it gets a new physical page holding the original
 * page with a's change, the rest of the page preserved.
 */
static void
step2_a_writes(struct cow *s)
{
	size_t ps = mc_pagesize();

	mc_worker_write(&s->ch[A], who[A], WPAGE * ps + s->offa, s->len, 'a',
	    &s->r[A]);
	mc_require_changed("process a after its write", &s->r[A], WPAGE,
	    s->offa, s->len, 'a');
	mc_require_file_pristine(FNAME, NPAGES, "after step 2 (a wrote)");
	if (s->pm)
		mc_require_file_bit("process a after its write", &s->r[A],
		    WPAGE, false);
	if (s->pfns) {
		s->a_copy = pfn(s, A, WPAGE);
		ATF_REQUIRE_MSG(s->a_copy != s->orig[WPAGE], "step 2: expected "
		    "a on a new physical page after writing page %d, but it "
		    "still has the shared PFN %#jx", WPAGE,
		    (uintmax_t)s->a_copy);
	}
}

/* (3) b and c still see the original page 2, on the original PFN. */
static void
step3_b_c_keep_original(struct cow *s)
{
	for (int k = B; k < NPROC; k++) {
		mc_worker_observe(&s->ch[k], who[k], &s->r[k]);
		mc_require_pristine(who[k], &s->r[k], WPAGE);
		if (s->pm)
			mc_require_file_bit(who[k], &s->r[k], WPAGE, true);
		if (s->pfns)
			ATF_REQUIRE_MSG(pfn(s, k, WPAGE) == s->orig[WPAGE],
			    "step 3: after a's write, %s should keep the "
			    "original page %d (PFN %#jx), has PFN %#jx",
			    who[k], WPAGE, (uintmax_t)s->orig[WPAGE],
			    (uintmax_t)pfn(s, k, WPAGE));
	}
	mc_require_file_pristine(FNAME, NPAGES, "after step 3");
}

/* (4) a's other nine pages are still shared with b and c. */
static void
step4_a_rest_shared(struct cow *s)
{
	for (int k = 0; k < NPROC; k++)
		mc_worker_observe(&s->ch[k], who[k], &s->r[k]);
	for (size_t i = 0; i < NPAGES; i++) {
		if (i == WPAGE)
			continue;
		for (int k = 0; k < NPROC; k++)
			mc_require_pristine(who[k], &s->r[k], i);
		if (s->pm)
			mc_require_file_bit(who[A], &s->r[A], i, true);
		if (s->pfns)
			for (int k = 0; k < NPROC; k++)
				ATF_REQUIRE_MSG(pfn(s, k, i) == s->orig[i],
				    "step 4, page %zu (not written): expected "
				    "a, b and c still on PFN %#jx, %s has "
				    "%#jx", i, (uintmax_t)s->orig[i], who[k],
				    (uintmax_t)pfn(s, k, i));
	}
	mc_require_file_pristine(FNAME, NPAGES, "after step 4");
}

/*
 * (5) b writes page 2 (elsewhere in it): b gets its own page, distinct
 * from a's copy and from the original, holding only b's change; c still
 * has the original; a still has its own copy with only its change.
 */
static void
step5_b_writes(struct cow *s)
{
	size_t ps = mc_pagesize();

	mc_worker_write(&s->ch[B], who[B], WPAGE * ps + s->offb, s->len, 'b',
	    &s->r[B]);
	mc_worker_observe(&s->ch[A], who[A], &s->r[A]);
	mc_worker_observe(&s->ch[C], who[C], &s->r[C]);
	mc_require_changed("process b after its write", &s->r[B], WPAGE,
	    s->offb, s->len, 'b');
	mc_require_changed("process a after b's write", &s->r[A], WPAGE,
	    s->offa, s->len, 'a');
	mc_require_pristine("process c after b's write", &s->r[C], WPAGE);
	mc_require_file_pristine(FNAME, NPAGES, "after step 5 (b wrote)");
	if (s->pm) {
		mc_require_file_bit("process b after its write", &s->r[B],
		    WPAGE, false);
		mc_require_file_bit("process c after b's write", &s->r[C],
		    WPAGE, true);
	}
	if (s->pfns) {
		uint64_t b = pfn(s, B, WPAGE);

		ATF_REQUIRE_MSG(b != s->orig[WPAGE] && b != s->a_copy,
		    "step 5: expected b on a page of its own after writing "
		    "page %d, it has PFN %#jx (original %#jx, a's copy %#jx)",
		    WPAGE, (uintmax_t)b, (uintmax_t)s->orig[WPAGE],
		    (uintmax_t)s->a_copy);
		ATF_REQUIRE_MSG(pfn(s, A, WPAGE) == s->a_copy, "step 5: a's "
		    "copy moved from PFN %#jx to %#jx when b wrote",
		    (uintmax_t)s->a_copy, (uintmax_t)pfn(s, A, WPAGE));
		ATF_REQUIRE_MSG(pfn(s, C, WPAGE) == s->orig[WPAGE], "step 5: c "
		    "should still have the original page %d (PFN %#jx), has "
		    "PFN %#jx", WPAGE, (uintmax_t)s->orig[WPAGE],
		    (uintmax_t)pfn(s, C, WPAGE));
	}
}

/*
 * Runs steps 1..upto; step 6 (the file is unchanged throughout) is checked
 * after every step and once more after a, b and c have exited.
 */
static void
cow_scenario(int upto)
{
	size_t ps = mc_pagesize();
	struct cow s;
	int fd;

	memset(&s, 0, sizeof(s));
	s.pm = mc_pm_flags_readable();
	s.pfns = mc_pfns_visible(NULL);
	s.offa = ps / 4;
	s.offb = 3 * ps / 4;
	s.len = 16;
	fd = mc_make_file(FNAME, NPAGES);
	close(fd);

	step1_all_share(&s);
	if (upto >= 2)
		step2_a_writes(&s);
	if (upto >= 3)
		step3_b_c_keep_original(&s);
	if (upto >= 4)
		step4_a_rest_shared(&s);
	if (upto >= 5)
		step5_b_writes(&s);
	for (int k = 0; k < NPROC; k++)
		mc_worker_quit(&s.ch[k]);
	mc_require_file_pristine(FNAME, NPAGES, "after a, b and c exited");
	if (upto <= 5)
		mc_require_pfns();
}

MC_TC(cow_1_three_private_mappings_share_pages, "COW-1",
    "Processes a, b and c that privately map the same 10-page file see its "
    "contents on the same 10 physical pages")
{
	cow_scenario(1);
}

MC_TC(cow_2_writer_gets_new_page_with_copy, "COW-2",
    "When a writes page 2 it gets a new physical page holding the original "
    "page plus a's change, the rest of the page preserved")
{
	cow_scenario(2);
}

MC_TC(cow_3_others_keep_original_page, "COW-3",
    "After a's write, b and c still see the original page 2 on its "
    "original PFN")
{
	cow_scenario(3);
}

MC_TC(cow_4_writer_other_pages_still_shared, "COW-4",
    "After a's write to page 2, a's other nine pages are still the pages "
    "b and c map")
{
	cow_scenario(4);
}

MC_TC(cow_5_second_writer_gets_own_page, "COW-5",
    "When b then writes page 2 it gets its own page, distinct from a's "
    "copy and from the original, while c keeps the original")
{
	cow_scenario(5);
}

MC_TC(cow_6_file_unchanged_throughout, "COW-6",
    "The file read with read() holds its original contents after every "
    "step of the scenario and after a, b and c exit")
{
	cow_scenario(6);
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, cow_1_three_private_mappings_share_pages);
	ATF_TP_ADD_TC(tp, cow_2_writer_gets_new_page_with_copy);
	ATF_TP_ADD_TC(tp, cow_3_others_keep_original_page);
	ATF_TP_ADD_TC(tp, cow_4_writer_other_pages_still_shared);
	ATF_TP_ADD_TC(tp, cow_5_second_writer_gets_own_page);
	ATF_TP_ADD_TC(tp, cow_6_file_unchanged_throughout);
	return atf_no_error();
}
