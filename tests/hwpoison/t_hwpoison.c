/*
 * t_hwpoison: memory failure as madvise(2) injects it (CONFIG_MEMORY_FAILURE,
 * CAP_SYS_ADMIN). MADV_HWPOISON makes the kernel handle a page as if the
 * hardware had corrupted it: the page is taken away from every process
 * and touching its address raises SIGBUS with si_code BUS_MCEERR_AR.
 * MADV_SOFT_OFFLINE moves the data to another physical page and retires
 * the old one.
 *
 * Both retire a physical page of the machine for good (until an unpoison
 * through debugfs): the cases that do it run only where the run says the
 * machine is disposable, the kyua configuration variable allow_destructive
 * (require.config; the qemu guests of the matrix set it: `kyua -v
 * test_suites.mmapconf.allow_destructive=yes test`). Elsewhere kyua skips
 * them with "Required configuration property 'allow_destructive' not
 * defined". The permission case changes nothing and runs everywhere.
 */
#include <sys/mman.h>
#include <sys/wait.h>

#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <linux/capability.h>

#include "mc.h"
#include "mc_proc.h"

#ifndef MADV_HWPOISON
#define MADV_HWPOISON 100
#endif
#ifndef MADV_SOFT_OFFLINE
#define MADV_SOFT_OFFLINE 101
#endif
#ifndef BUS_MCEERR_AR
#define BUS_MCEERR_AR 4
#endif

/* A case that retires physical pages: only where allow_destructive is set. */
#define DESTRUCTIVE_TC(name, sem, descr)                                   \
	ATF_TC(name);                                                      \
	ATF_TC_HEAD(name, tc)                                              \
	{                                                                  \
		MC_TC_HEAD_COMMON(tc, sem, descr);                         \
		atf_tc_set_md_var(tc, "require.config",                    \
		    "allow_destructive");                                  \
	}                                                                  \
	ATF_TC_BODY(name, tc)

/*
 * Skip unless this process may inject memory failures: CAP_SYS_ADMIN in
 * the initial user namespace.
 */
static void
require_cap_sys_admin(void)
{
	if (!mc_cap_counts(CAP_SYS_ADMIN))
		atf_tc_skip("CAP_SYS_ADMIN is not effective in the initial user "
		    "namespace: madvise(MADV_HWPOISON/MADV_SOFT_OFFLINE) is "
		    "refused (HWPOISON-1)");
}

/* After madvise(advice) failed with e: skip for a kernel without it. */
static void
skip_if_not_built(int e, const char *advice)
{
	if (e == EINVAL)
		atf_tc_skip("madvise(%s) fails with EINVAL: this kernel has no "
		    "memory failure handling (CONFIG_MEMORY_FAILURE)", advice);
}

/* ---- permission ------------------------------------------------------- */

static int
child_hwpoison_without_cap(struct mc_child *self, void *arg)
{
	size_t ps = mc_pagesize();
	void *p;
	uint64_t rep;

	(void)arg;
	p = mmap(NULL, ps, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED || mc_cap_drop(CAP_SYS_ADMIN) != 0) {
		mc_child_send_u64(self, (uint64_t)1 << 32);
		return 0;
	}
	memset(p, 1, ps);
	rep = madvise(p, ps, MADV_HWPOISON) == 0 ? 0 : (uint64_t)errno;
	mc_child_send_u64(self, rep);
	return 0;
}

MC_TC(hwpoison_needs_cap_sys_admin, "HWPOISON-1",
    "madvise(MADV_HWPOISON) without CAP_SYS_ADMIN fails with EPERM and "
    "poisons nothing")
{
	struct mc_child ch;
	uint64_t r;

	mc_spawn(&ch, child_hwpoison_without_cap, NULL);
	mc_expect(&ch, &r, sizeof(r), "the child's madvise(MADV_HWPOISON) "
	    "result");
	mc_reap_ok(&ch);
	ATF_REQUIRE_MSG(r != (uint64_t)1 << 32, "child: could not map a page "
	    "or drop CAP_SYS_ADMIN");
	skip_if_not_built((int)r, "MADV_HWPOISON");
	ATF_REQUIRE_MSG(r == EPERM, "madvise(MADV_HWPOISON) without "
	    "CAP_SYS_ADMIN: expected -1/EPERM, got %s", r == 0 ? "success "
	    "(a page was poisoned)" : strerror((int)r));
}

/* ---- MADV_HWPOISON ---------------------------------------------------- */

/* What the poisoning child saw, sent to the parent by its handler. */
static struct mc_child *poison_self;
static volatile sig_atomic_t poison_stage; /* 1 in madvise, 2 on access */
static void *poison_addr;

static void
on_sigbus(int sig, siginfo_t *si, void *uc)
{
	uint64_t rep = (uint64_t)(uint32_t)si->si_code |
	    (uint64_t)poison_stage << 32 |
	    (uint64_t)(si->si_addr == poison_addr) << 40;

	(void)sig;
	(void)uc;
	/* write(2) is async-signal-safe; mc_child_send_u64 writes once. */
	mc_child_send_u64(poison_self, rep);
	_exit(0);
}

static int
child_poison_and_touch(struct mc_child *self, void *arg)
{
	size_t ps = mc_pagesize();
	unsigned char *p = mmap(NULL, 3 * ps, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	struct sigaction sa;
	volatile unsigned char c;

	(void)arg;
	if (p == MAP_FAILED)
		return 10;
	(void)madvise(p, 3 * ps, MADV_NOHUGEPAGE);
	mc_fill_patterns(p, 3, 0);
	poison_self = self;
	poison_addr = p + ps;
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_sigbus;
	sa.sa_flags = SA_SIGINFO;
	if (sigaction(SIGBUS, &sa, NULL) != 0)
		return 11;
	poison_stage = 1;
	if (madvise(p + ps, ps, MADV_HWPOISON) != 0) {
		/* Bit 48: madvise failed, with errno below. */
		mc_child_send_u64(self, (uint64_t)1 << 48 | (uint32_t)errno);
		return 0;
	}
	/* The pages around it must be intact (bit 49 when not). */
	if (mc_count_not(p, ps, mc_pattern(0)) != 0 ||
	    mc_count_not(p + 2 * ps, ps, mc_pattern(2)) != 0) {
		mc_child_send_u64(self, (uint64_t)1 << 49);
		return 0;
	}
	poison_stage = 2;
	c = p[ps];
	(void)c;
	/* Bit 50: the read of the poisoned page raised nothing. */
	mc_child_send_u64(self, (uint64_t)1 << 50);
	return 0;
}

DESTRUCTIVE_TC(hwpoison_access_sigbus_mceerr_ar, "HWPOISON-2",
    "After madvise(MADV_HWPOISON) of one page, touching it raises SIGBUS "
    "with si_code BUS_MCEERR_AR and si_addr in that page; the pages around "
    "it keep their contents")
{
	struct mc_child ch;
	uint64_t r;

	require_cap_sys_admin();
	mc_spawn(&ch, child_poison_and_touch, NULL);
	mc_expect(&ch, &r, sizeof(r), "the poisoning child's report");
	mc_reap_ok(&ch);
	if (r & (uint64_t)1 << 48) {
		skip_if_not_built((int)(uint32_t)r, "MADV_HWPOISON");
		ATF_REQUIRE_MSG(false, "madvise(MADV_HWPOISON) of a written "
		    "page: %s", strerror((int)(uint32_t)r));
	}
	ATF_REQUIRE_MSG(!(r & (uint64_t)1 << 49), "after MADV_HWPOISON of "
	    "page 1, pages 0 and 2 lost their contents");
	ATF_REQUIRE_MSG(!(r & (uint64_t)1 << 50), "a read of the poisoned "
	    "page raised no signal");
	ATF_REQUIRE_MSG((uint32_t)r == BUS_MCEERR_AR, "SIGBUS for the poisoned "
	    "page: expected si_code BUS_MCEERR_AR (%d), got %d (%s)",
	    BUS_MCEERR_AR, (int)(uint32_t)r,
	    mc_codename(SIGBUS, (int)(uint32_t)r));
	ATF_REQUIRE_MSG((r >> 40) & 1, "SIGBUS for the poisoned page: si_addr "
	    "is not the poisoned page's address");
	printf("SIGBUS/BUS_MCEERR_AR raised %s\n", ((r >> 32) & 0xff) == 1 ?
	    "during madvise (the kernel kills the current task early)" :
	    "on the access after madvise");
}

/* ---- MADV_SOFT_OFFLINE ------------------------------------------------ */

DESTRUCTIVE_TC(soft_offline_keeps_contents_new_page, "HWPOISON-3",
    "madvise(MADV_SOFT_OFFLINE) of a written page keeps its contents at the "
    "same address, on another physical page (PFN), and the page stays "
    "usable")
{
	size_t ps = mc_pagesize();
	unsigned char *p;
	uint64_t before = 0, after;

	require_cap_sys_admin();
	p = mc_map_guarded(3, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1);
	mc_fill_patterns(p, 3, 0);
	if (mc_pfns_visible(NULL))
		before = mc_pfn(p + ps);
	if (madvise(p + ps, ps, MADV_SOFT_OFFLINE) != 0) {
		int e = errno;

		mc_unmap_guarded(p, 3);
		skip_if_not_built(e, "MADV_SOFT_OFFLINE");
		ATF_REQUIRE_MSG(false, "madvise(MADV_SOFT_OFFLINE) of a written "
		    "page: %s", strerror(e));
	}
	mc_require_patterns(p, 3, 0, "the pages after MADV_SOFT_OFFLINE of "
	    "page 1");
	p[ps] = 0x5c;
	ATF_REQUIRE_EQ_MSG(p[ps], 0x5c, "the soft-offlined page reads %#x "
	    "after a write of 0x5c", p[ps]);
	mc_require_pfns();
	after = mc_pfn(p + ps);
	ATF_REQUIRE_MSG(after != before, "after MADV_SOFT_OFFLINE the page "
	    "is still on PFN %#jx: expected its data on another page",
	    (uintmax_t)after);
	mc_unmap_guarded(p, 3);
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, hwpoison_needs_cap_sys_admin);
	ATF_TP_ADD_TC(tp, hwpoison_access_sigbus_mceerr_ar);
	ATF_TP_ADD_TC(tp, soft_offline_keeps_contents_new_page);
	return atf_no_error();
}
