/*
 * mc_code.c - machine code to run from a mapping (see mc_code.h).
 */
#include "mc_code.h"

#include <sys/mman.h>
#include <sys/personality.h>

#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "mc_fault.h"

/* Instruction words are stored in the CPU's instruction byte order. */
#if defined(__x86_64__) || defined(__i386__)
static const unsigned char code42[] = {
	0xb8, 0x2a, 0x00, 0x00, 0x00,	/* mov $42, %eax */
	0xc3,				/* ret */
};
#elif defined(__aarch64__)
static const unsigned char code42[] = {	/* always little-endian */
	0x40, 0x05, 0x80, 0x52,		/* mov w0, #42 */
	0xc0, 0x03, 0x5f, 0xd6,		/* ret */
};
#elif defined(__powerpc64__) && defined(_CALL_ELF) && _CALL_ELF == 2
static const uint32_t code42[] = {	/* ELFv2: no function descriptors */
	0x3860002a,			/* li r3, 42 */
	0x4e800020,			/* blr */
};
#elif defined(__riscv) && __riscv_xlen == 64
static const uint32_t code42[] = {
	0x02a00513,			/* li a0, 42 */
	0x00008067,			/* ret */
};
#elif defined(__s390x__)
static const unsigned char code42[] = {
	0xa7, 0x29, 0x00, 0x2a,		/* lghi %r2, 42 */
	0x07, 0xfe,			/* br %r14 */
};
#elif defined(__arm__) && defined(__ARMEL__)
static const uint32_t code42[] = {	/* ARM state (even address) */
	0xe3a0002a,			/* mov r0, #42 */
	0xe12fff1e,			/* bx lr */
};
#else
#define MC_NO_CODE42 1
#endif

const unsigned char *
mc_code42(size_t *len)
{
#ifdef MC_NO_CODE42
	if (len != NULL)
		*len = 0;
	return NULL;
#else
	if (len != NULL)
		*len = sizeof(code42);
	return (const unsigned char *)code42;
#endif
}

size_t
mc_place_code42(void *p)
{
	size_t len;
	const unsigned char *code = mc_code42(&len);

	if (code == NULL)
		return 0;
	memcpy(p, code, len);
	__builtin___clear_cache((char *)p, (char *)p + len);
	return len;
}

int
mc_call_code(void *p, size_t len)
{
	int (*fn)(void);

	__builtin___clear_cache((char *)p, (char *)p + len);
	memcpy(&fn, &p, sizeof(fn));
	return fn();
}

void
mc_mprotect_exec_or_skip(void *p, size_t len)
{
	if (mprotect(p, len, PROT_READ | PROT_EXEC) == 0)
		return;
	if (errno == EACCES || errno == EPERM)
		atf_tc_skip("mprotect(PROT_READ|PROT_EXEC) of written memory "
		    "refused by a security policy (SELinux execmem, PaX, "
		    "PR_SET_MDWE): %s", strerror(errno));
	ATF_REQUIRE_MSG(false, "mprotect(PROT_READ|PROT_EXEC): %s",
	    strerror(errno));
}

const char *
mc_noexec_unenforced(void)
{
	size_t ps = mc_pagesize();
	int pers = personality(0xffffffff);
	unsigned char *p;
	struct mc_fault f;

	if (pers != -1 && (pers & READ_IMPLIES_EXEC))
		return "the process runs with the READ_IMPLIES_EXEC "
		    "personality: readable mappings are executable";
	p = mc_map_anon(ps, PROT_READ | PROT_WRITE, MAP_PRIVATE);
	if (mc_place_code42(p) == 0) {
		ATF_REQUIRE(munmap(p, ps) == 0);
		return MC_NO_CODE42_REASON;
	}
	f = mc_touch(p, MC_EXEC);
	ATF_REQUIRE(munmap(p, ps) == 0);
	if (f.signo == 0)
		return "code in a PROT_READ|PROT_WRITE mapping ran: this CPU "
		    "(or its configuration) does not enforce no-execute";
	return NULL;
}
