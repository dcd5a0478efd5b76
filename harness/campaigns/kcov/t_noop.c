/*
 * t_noop - the coverage baseline of harness/campaigns/kernel-coverage: one atf-c test
 * case that does nothing, so that a kyua run of it reaches only what the
 * harness itself reaches (exec, the dynamic loader, atf-c, kyua, the shell
 * of the guest init) and none of the suite's semantics.
 */
#include <atf-c.h>

ATF_TC_WITHOUT_HEAD(noop);
ATF_TC_BODY(noop, tc)
{
	(void)tc;
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, noop);
	return atf_no_error();
}
