/*
 * mc_fault.h - fault probes: does touching an address fault, with which
 * signal and si_code (mc_touch, MC_REQUIRE_FAULT), part of mc.h.
 */
#ifndef MMAPCONF_MC_FAULT_H
#define MMAPCONF_MC_FAULT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <signal.h>

/*
 * Fault probes: touch addr (read, write or execute) in this process and
 * report what happened. signo 0 means no fault. Handlers are restored
 * afterwards.
 */
enum mc_access { MC_READ, MC_WRITE, MC_EXEC };
struct mc_fault {
	int signo;
	int code;  /* si_code */
	void *addr; /* si_addr */
};
struct mc_fault mc_touch(void *addr, enum mc_access how);
/*
 * si_code of a SIGSEGV raised by a protection-key check (pkeys(7)), for C
 * libraries that do not define SEGV_PKUERR (include/uapi/asm-generic/
 * siginfo.h).
 */
#ifdef SEGV_PKUERR
#define MC_SEGV_PKUERR SEGV_PKUERR
#else
#define MC_SEGV_PKUERR 4
#endif
const char *mc_signame(int signo);
const char *mc_codename(int signo, int code);
/*
 * Require that every page of [addr, addr+len) can be read without a fault
 * (mc_touch on each page) before the caller reads it directly: where the
 * mapping state is what the case tests, a broken mapping then fails the
 * case with a message naming 'what' and the page instead of crashing it.
 */
void mc_require_readable(const void *addr, size_t len, const char *what);
/* Require that touching addr raises signo with si_code code. */
#define MC_REQUIRE_FAULT(addr, how, signo_, code_)                         \
	do {                                                               \
		struct mc_fault f_ = mc_touch((addr), (how));              \
		ATF_REQUIRE_MSG(f_.signo == (signo_) && f_.code == (code_), \
		    "%s at %p: expected %s/%s, got %s/%s", #how,           \
		    (void *)(addr), mc_signame(signo_),                    \
		    mc_codename(signo_, code_), mc_signame(f_.signo),      \
		    mc_codename(f_.signo, f_.code));                       \
	} while (0)
#define MC_REQUIRE_NO_FAULT(addr, how)                                     \
	do {                                                               \
		struct mc_fault f_ = mc_touch((addr), (how));              \
		ATF_REQUIRE_MSG(f_.signo == 0,                             \
		    "%s at %p: expected no fault, got %s/%s", #how,        \
		    (void *)(addr), mc_signame(f_.signo),                  \
		    mc_codename(f_.signo, f_.code));                       \
	} while (0)
/*
 * Require that touching addr raises SIGBUS (any si_code: the signal is
 * what POSIX and mmap(2) specify, the si_code is reported); what: where.
 */
void mc_require_sigbus(void *addr, enum mc_access how, const char *what);

#endif
