/*
 * mc_code.h - machine code to run from a mapping: a position-independent
 * function "int f(void) { return 42; }" for the architectures where a
 * function pointer is the address of its first instruction.
 */
#ifndef MMAPCONF_MC_CODE_H
#define MMAPCONF_MC_CODE_H

#include <stddef.h>

#include "mc.h"

/* Why mc_code42() has nothing for this build, for skip messages. */
#define MC_NO_CODE42_REASON "no machine code for this architecture in "    \
	"tests/lib/mc_code.c (or function pointers are descriptors, as in " \
	"ppc64 ELFv1)"

/* The code's bytes and, in *len (when not NULL), their count; NULL: none. */
const unsigned char *mc_code42(size_t *len);
/*
 * Copies the code to p and makes it visible to instruction fetch; returns
 * its length, 0 when this architecture has none (p untouched).
 */
size_t mc_place_code42(void *p);
/*
 * Calls the code at p as int (*)(void), after making the len bytes there
 * visible to instruction fetch (the mapping must be executable).
 */
int mc_call_code(void *p, size_t len);
/*
 * mprotect(p, len, PROT_READ | PROT_EXEC); skips the case when a security
 * policy (SELinux execmem, PaX, PR_SET_MDWE) refuses to make the memory
 * executable (EACCES, EPERM); any other error fails it.
 */
void mc_mprotect_exec_or_skip(void *p, size_t len);

/*
 * Why a jump into a readable mapping without PROT_EXEC would not fault
 * here: the READ_IMPLIES_EXEC personality, or a CPU (or configuration) that
 * does not enforce no-execute, probed by running the code from a fresh
 * PROT_READ|PROT_WRITE page; NULL when such a jump faults.  A case that
 * expects a fault after removing PROT_EXEC skips with this reason.
 */
const char *mc_noexec_unenforced(void);

#endif
