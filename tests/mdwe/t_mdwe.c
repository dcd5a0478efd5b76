/*
 * t_mdwe: memory-deny-write-execute, prctl(2) PR_SET_MDWE with
 * PR_MDWE_REFUSE_EXEC_GAIN (Linux 6.3+). Once set, a process can no longer
 * make memory both writable and executable, nor add PROT_EXEC to a mapping
 * that lacks it; the setting cannot be cleared and is inherited by fork.
 *
 * The setting is for the life of the process: every case sets it in a
 * child (mc_spawn), which reports what it saw through the pipe; the parent
 * asserts. PR_SET_MDWE failing with EINVAL in the child skips the case
 * (a kernel without it, or an emulator).
 */
#include <sys/mman.h>
#include <sys/prctl.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "mc.h"

/* include/uapi/linux/prctl.h (Linux 6.3). */
#ifndef PR_SET_MDWE
#define PR_SET_MDWE 65
#endif
#ifndef PR_GET_MDWE
#define PR_GET_MDWE 66
#endif
#ifndef PR_MDWE_REFUSE_EXEC_GAIN
#define PR_MDWE_REFUSE_EXEC_GAIN (1UL << 0)
#endif

/* What a child reports: MDWE unsupported (with errno), or a result. */
#define REPORT_UNSUPPORTED(e) (((uint64_t)1 << 48) | (uint8_t)(e))
#define REPORT_RESULT(r, e) (((uint64_t)(uint32_t)(r) << 8) | (uint8_t)(e))

/* In the child: turn MDWE on; false (after reporting) when unsupported. */
static bool
child_set_mdwe(struct mc_child *self)
{
	if (prctl(PR_SET_MDWE, PR_MDWE_REFUSE_EXEC_GAIN, 0L, 0L, 0L) != 0) {
		mc_child_send_u64(self, REPORT_UNSUPPORTED(errno));
		return false;
	}
	return true;
}

/*
 * Run fn in a child that set MDWE; returns what it reported. Skips when
 * PR_SET_MDWE is refused with EINVAL (unknown option), fails on another
 * errno.
 */
static uint64_t
in_mdwe_child(mc_child_fn fn, const char *what)
{
	struct mc_child ch;
	uint64_t v;

	mc_spawn(&ch, fn, NULL);
	mc_expect(&ch, &v, sizeof(v), what);
	mc_reap_ok(&ch);
	if (v >> 48) {
		int e = (int)(v & 0xff);

		ATF_REQUIRE_MSG(e == EINVAL, "prctl(PR_SET_MDWE, "
		    "PR_MDWE_REFUSE_EXEC_GAIN): expected success or EINVAL "
		    "(a kernel before 6.3), got %s", strerror(e));
		atf_tc_skip("prctl(PR_SET_MDWE) fails with EINVAL: no "
		    "memory-deny-write-execute here (Linux 6.3+)");
	}
	return v;
}

static int
get_after_set(struct mc_child *self, void *arg)
{
	(void)arg;
	if (!child_set_mdwe(self))
		return 0;
	mc_child_send_u64(self, REPORT_RESULT(prctl(PR_GET_MDWE, 0L, 0L, 0L,
	    0L), 0));
	return 0;
}

MC_TC(get_reports_refuse_exec_gain, "MDWE-1",
    "After prctl(PR_SET_MDWE, PR_MDWE_REFUSE_EXEC_GAIN), PR_GET_MDWE "
    "returns the flag")
{
	uint64_t v = in_mdwe_child(get_after_set, "PR_GET_MDWE after set");

	ATF_REQUIRE_EQ_MSG(v >> 8, (uint64_t)PR_MDWE_REFUSE_EXEC_GAIN,
	    "PR_GET_MDWE returned %d, expected %lu (REFUSE_EXEC_GAIN)",
	    (int)(uint32_t)(v >> 8), PR_MDWE_REFUSE_EXEC_GAIN);
}

/* mmap(prot) in an MDWE child; reports success (0) or the errno. */
static uint64_t
mmap_report(int prot)
{
	size_t ps = mc_pagesize();
	void *p = mmap(NULL, ps, prot, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return REPORT_RESULT(-1, errno);
	(void)munmap(p, ps);
	return REPORT_RESULT(0, 0);
}

static int
mmap_wx(struct mc_child *self, void *arg)
{
	(void)arg;
	if (child_set_mdwe(self))
		mc_child_send_u64(self, mmap_report(PROT_READ | PROT_WRITE |
		    PROT_EXEC));
	return 0;
}

MC_TC(mmap_write_exec_refused, "MDWE-2",
    "Under PR_MDWE_REFUSE_EXEC_GAIN, mmap with PROT_WRITE|PROT_EXEC fails "
    "with EACCES")
{
	uint64_t v = in_mdwe_child(mmap_wx, "mmap(PROT_WRITE|PROT_EXEC)");

	ATF_REQUIRE_MSG((int)(uint32_t)(v >> 8) == -1 && (v & 0xff) ==
	    EACCES, "mmap(PROT_READ|PROT_WRITE|PROT_EXEC) under MDWE: "
	    "expected -1/EACCES, got %d/%s", (int)(uint32_t)(v >> 8),
	    strerror((int)(v & 0xff)));
}

static int
mmap_x(struct mc_child *self, void *arg)
{
	(void)arg;
	if (child_set_mdwe(self))
		mc_child_send_u64(self, mmap_report(PROT_READ | PROT_EXEC));
	return 0;
}

MC_TC(mmap_exec_only_allowed, "MDWE-3",
    "Under PR_MDWE_REFUSE_EXEC_GAIN, a new mapping that is executable but "
    "not writable (PROT_READ|PROT_EXEC) is still allowed")
{
	size_t ps = mc_pagesize();
	void *p = mmap(NULL, ps, PROT_READ | PROT_EXEC,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	uint64_t v;

	/* Without MDWE first: a policy may forbid executable memory. */
	if (p == MAP_FAILED && (errno == EPERM || errno == EACCES))
		atf_tc_skip("mmap(PROT_READ|PROT_EXEC) is refused here even "
		    "without MDWE: %s", strerror(errno));
	ATF_REQUIRE_MSG(p != MAP_FAILED, "mmap(PROT_READ|PROT_EXEC) without "
	    "MDWE: %s", strerror(errno));
	ATF_REQUIRE(munmap(p, ps) == 0);
	v = in_mdwe_child(mmap_x, "mmap(PROT_READ|PROT_EXEC)");
	ATF_REQUIRE_MSG((v >> 8) == 0, "mmap(PROT_READ|PROT_EXEC) under MDWE: "
	    "expected success, got errno %s", strerror((int)(v & 0xff)));
}

/* mprotect(from -> to) in an MDWE child; reports 0 or the errno. */
static uint64_t
mprotect_report(int from, int to)
{
	size_t ps = mc_pagesize();
	void *p = mmap(NULL, ps, from, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	uint64_t v;

	if (p == MAP_FAILED)
		return REPORT_RESULT(-2, errno);
	v = mprotect(p, ps, to) == 0 ? REPORT_RESULT(0, 0) :
	    REPORT_RESULT(-1, errno);
	(void)munmap(p, ps);
	return v;
}

static int
mprotect_rw_to_rx(struct mc_child *self, void *arg)
{
	(void)arg;
	if (child_set_mdwe(self))
		mc_child_send_u64(self, mprotect_report(PROT_READ | PROT_WRITE,
		    PROT_READ | PROT_EXEC));
	return 0;
}

static void
require_refused(uint64_t v, const char *what)
{
	int r = (int)(uint32_t)(v >> 8);

	ATF_REQUIRE_MSG(r != -2, "%s: the child could not map its page: %s",
	    what, strerror((int)(v & 0xff)));
	ATF_REQUIRE_MSG(r == -1 && (v & 0xff) == EACCES, "%s under MDWE: "
	    "expected -1/EACCES, got %d/%s", what, r,
	    r ? strerror((int)(v & 0xff)) : "success");
}

MC_TC(mprotect_exec_gain_refused, "MDWE-4",
    "Under PR_MDWE_REFUSE_EXEC_GAIN, mprotect adding PROT_EXEC to a "
    "writable mapping (read-write to read-exec) fails with EACCES")
{
	require_refused(in_mdwe_child(mprotect_rw_to_rx, "mprotect RW->RX"),
	    "mprotect(PROT_READ|PROT_WRITE -> PROT_READ|PROT_EXEC)");
}

static int
mprotect_r_to_rx(struct mc_child *self, void *arg)
{
	(void)arg;
	if (child_set_mdwe(self))
		mc_child_send_u64(self, mprotect_report(PROT_READ,
		    PROT_READ | PROT_EXEC));
	return 0;
}

MC_TC(mprotect_exec_gain_on_readonly_refused, "MDWE-5",
    "Under PR_MDWE_REFUSE_EXEC_GAIN, adding PROT_EXEC to a mapping that "
    "lacks it is refused even when it is not writable (read-only to "
    "read-exec fails with EACCES)")
{
	require_refused(in_mdwe_child(mprotect_r_to_rx, "mprotect R->RX"),
	    "mprotect(PROT_READ -> PROT_READ|PROT_EXEC)");
}

static int
mprotect_rx_to_rwx(struct mc_child *self, void *arg)
{
	(void)arg;
	if (child_set_mdwe(self))
		mc_child_send_u64(self, mprotect_report(PROT_READ | PROT_EXEC,
		    PROT_READ | PROT_WRITE | PROT_EXEC));
	return 0;
}

MC_TC(mprotect_write_on_exec_refused, "MDWE-6",
    "Under PR_MDWE_REFUSE_EXEC_GAIN, adding PROT_WRITE to an executable "
    "mapping (read-exec to read-write-exec) fails with EACCES")
{
	require_refused(in_mdwe_child(mprotect_rx_to_rwx, "mprotect RX->RWX"),
	    "mprotect(PROT_READ|PROT_EXEC -> PROT_READ|PROT_WRITE|PROT_EXEC)");
}

static int
clear_refused(struct mc_child *self, void *arg)
{
	(void)arg;
	if (!child_set_mdwe(self))
		return 0;
	mc_child_send_u64(self, prctl(PR_SET_MDWE, 0L, 0L, 0L, 0L) == 0 ?
	    REPORT_RESULT(0, 0) : REPORT_RESULT(-1, errno));
	return 0;
}

MC_TC(cannot_be_cleared, "MDWE-7",
    "Once set, PR_MDWE_REFUSE_EXEC_GAIN cannot be cleared: "
    "prctl(PR_SET_MDWE, 0) fails with EPERM")
{
	uint64_t v = in_mdwe_child(clear_refused, "PR_SET_MDWE 0 after set");
	int r = (int)(uint32_t)(v >> 8);

	ATF_REQUIRE_MSG(r == -1 && (v & 0xff) == EPERM, "prctl(PR_SET_MDWE, "
	    "0) after setting it: expected -1/EPERM, got %d/%s", r,
	    r ? strerror((int)(v & 0xff)) : "success");
}

/* In the grandchild: PR_GET_MDWE << 8 | the errno of an RWX mmap (0: ok). */
static uint64_t
grandchild_mmap_wx(void *arg)
{
	uint64_t r = mmap_report(PROT_READ | PROT_WRITE | PROT_EXEC);
	int got = prctl(PR_GET_MDWE, 0L, 0L, 0L, 0L);

	(void)arg;
	return ((uint64_t)(uint32_t)got << 8) | (r & 0xff);
}

static int
fork_inherits(struct mc_child *self, void *arg)
{
	uint64_t out;

	(void)arg;
	if (!child_set_mdwe(self))
		return 0;
	if (!mc_grandchild_u64(grandchild_mmap_wx, NULL, &out))
		out = (uint64_t)1 << 40; /* no report */
	mc_child_send_u64(self, out);
	return 0;
}

MC_TC(inherited_by_fork, "MDWE-8",
    "PR_MDWE_REFUSE_EXEC_GAIN is inherited by fork: in a child of the "
    "process that set it, PR_GET_MDWE returns the flag and "
    "mmap(PROT_WRITE|PROT_EXEC) fails with EACCES")
{
	uint64_t v = in_mdwe_child(fork_inherits, "the grandchild's report");
	int e = (int)(v & 0xff);

	ATF_REQUIRE_MSG((v >> 40) == 0, "the grandchild did not report back");
	ATF_REQUIRE_EQ_MSG(v >> 8, (uint64_t)PR_MDWE_REFUSE_EXEC_GAIN,
	    "PR_GET_MDWE in the forked child returned %d, expected %lu",
	    (int)(uint32_t)(v >> 8), PR_MDWE_REFUSE_EXEC_GAIN);
	ATF_REQUIRE_MSG(e == EACCES, "mmap(PROT_WRITE|PROT_EXEC) in the "
	    "forked child: expected EACCES, got %s", e ? strerror(e) :
	    "success");
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, get_reports_refuse_exec_gain);
	ATF_TP_ADD_TC(tp, mmap_write_exec_refused);
	ATF_TP_ADD_TC(tp, mmap_exec_only_allowed);
	ATF_TP_ADD_TC(tp, mprotect_exec_gain_refused);
	ATF_TP_ADD_TC(tp, mprotect_exec_gain_on_readonly_refused);
	ATF_TP_ADD_TC(tp, mprotect_write_on_exec_refused);
	ATF_TP_ADD_TC(tp, cannot_be_cleared);
	ATF_TP_ADD_TC(tp, inherited_by_fork);
	return atf_no_error();
}
