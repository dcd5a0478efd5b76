/*
 * mc_fault.c - fault probes (see mc_fault.h).
 */
#include "mc.h"
#include "mc_err.h"

#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <errno.h>
#include <inttypes.h>
#include <fcntl.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static sigjmp_buf probe_env;
static volatile sig_atomic_t probe_active;
static struct mc_fault probe_seen;

static void
probe_handler(int signo, siginfo_t *si, void *ctx)
{
	(void)ctx;
	if (!probe_active) {
		signal(signo, SIG_DFL);
		raise(signo);
		return;
	}
	probe_seen.signo = signo;
	probe_seen.code = si->si_code;
	probe_seen.addr = si->si_addr;
	siglongjmp(probe_env, 1);
}

struct mc_fault
mc_touch(void *addr, enum mc_access how)
{
	struct sigaction sa, old_segv, old_bus, old_ill;

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = probe_handler;
	sa.sa_flags = SA_SIGINFO | SA_NODEFER;
	sigemptyset(&sa.sa_mask);
	ATF_REQUIRE(sigaction(SIGSEGV, &sa, &old_segv) == 0);
	ATF_REQUIRE(sigaction(SIGBUS, &sa, &old_bus) == 0);
	ATF_REQUIRE(sigaction(SIGILL, &sa, &old_ill) == 0);
	memset(&probe_seen, 0, sizeof(probe_seen));
	if (sigsetjmp(probe_env, 1) == 0) {
		probe_active = 1;
		switch (how) {
		case MC_READ:
			(void)*(volatile unsigned char *)addr;
			break;
		case MC_WRITE:
			*(volatile unsigned char *)addr = 0xA5;
			break;
		case MC_EXEC: {
			void (*fn)(void);
			memcpy(&fn, &addr, sizeof(fn));
			fn();
			break;
		}
		}
	}
	probe_active = 0;
	sigaction(SIGSEGV, &old_segv, NULL);
	sigaction(SIGBUS, &old_bus, NULL);
	sigaction(SIGILL, &old_ill, NULL);
	return probe_seen;
}

void
mc_require_readable(const void *addr, size_t len, const char *what)
{
	size_t ps = mc_pagesize();
	uintptr_t first = (uintptr_t)addr / ps * ps;
	uintptr_t end = (uintptr_t)addr + len;

	for (uintptr_t a = first; a < end; a += ps) {
		void *at = (void *)(a < (uintptr_t)addr ? (uintptr_t)addr : a);
		struct mc_fault f = mc_touch(at, MC_READ);

		ATF_REQUIRE_MSG(f.signo == 0, "%s: page %ju of the range at %p "
		    "should be readable, a read at %p raised %s/%s", what,
		    (uintmax_t)((a - first) / ps), addr, at,
		    mc_signame(f.signo), mc_codename(f.signo, f.code));
	}
}

void
mc_require_sigbus(void *addr, enum mc_access how, const char *what)
{
	struct mc_fault f = mc_touch(addr, how);

	ATF_REQUIRE_MSG(f.signo == SIGBUS, "%s at %p (%s): expected SIGBUS, "
	    "got %s/%s", how == MC_WRITE ? "write" : how == MC_READ ? "read" :
	    "jump", addr, what, mc_signame(f.signo),
	    mc_codename(f.signo, f.code));
}

const char *
mc_signame(int signo)
{
	switch (signo) {
	case 0: return "no signal";
	case SIGSEGV: return "SIGSEGV";
	case SIGBUS: return "SIGBUS";
	case SIGILL: return "SIGILL";
	default: return "other signal";
	}
}

const char *
mc_codename(int signo, int code)
{
	if (signo == SIGSEGV && code == SEGV_MAPERR)
		return "SEGV_MAPERR";
	if (signo == SIGSEGV && code == SEGV_ACCERR)
		return "SEGV_ACCERR";
	if (signo == SIGSEGV && code == MC_SEGV_PKUERR)
		return "SEGV_PKUERR";
	if (signo == SIGBUS && code == BUS_ADRERR)
		return "BUS_ADRERR";
	if (signo == SIGBUS && code == BUS_ADRALN)
		return "BUS_ADRALN";
	if (signo == SIGBUS && code == BUS_OBJERR)
		return "BUS_OBJERR";
	if (signo == 0)
		return "-";
	static char buf[32];
	snprintf(buf, sizeof(buf), "si_code %d", code);
	return buf;
}
