/*
 * mc.h - shared helpers of the mmapconf test programs.
 *
 * Everything a test needs to observe the kernel lives here once: page and
 * THP sizes, temporary files in the case's work directory, child processes
 * synchronised through pipes with bounded waits, "does touching this address
 * fault, with which signal and si_code", and readers of /proc/self/pagemap,
 * /proc/self/smaps, /proc/self/maps and mincore().
 *
 * Beside it: mc_err.h (calls expected to fail, errno names), mc_proc.h
 * (/proc/self/status and /proc/meminfo fields, sysctl numbers,
 * capabilities, memory locking), mc_code.h (machine code run from a
 * mapping) and mc_worker.h (processes that map a file by themselves).
 */
#ifndef MMAPCONF_MC_H
#define MMAPCONF_MC_H

#include <sys/mman.h>
#include <sys/types.h>

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <atf-c.h>

#ifndef MAP_UNINITIALIZED
#define MAP_UNINITIALIZED 0x4000000 /* include/uapi/asm-generic/mman-common.h */
#endif

/* Every case gets a timeout: generous, since qemu TCG is ~10x slower. */
#define MC_TIMEOUT "60"

/*
 * MC_TC(name, "ID1 ID2", "description"): declares a test case, its head
 * (descr, X-semantics, timeout) and opens its body.
 */
#define MC_TC_HEAD_COMMON(tc, sem, descr)                                  \
	do {                                                               \
		atf_tc_set_md_var(tc, "descr", descr);                     \
		atf_tc_set_md_var(tc, "X-semantics", sem);                 \
		atf_tc_set_md_var(tc, "timeout", MC_TIMEOUT);              \
	} while (0)

#define MC_TC(name, sem, descr)                                            \
	ATF_TC(name);                                                      \
	ATF_TC_HEAD(name, tc) { MC_TC_HEAD_COMMON(tc, sem, descr); }       \
	ATF_TC_BODY(name, tc)

/* Sizes. */
size_t mc_pagesize(void);
/* THP PMD size from sysfs; 0 when THP is not available. */
size_t mc_thp_size(void);

/* Mapping helpers: ATF_REQUIRE on failure. */
void *mc_map_anon(size_t len, int prot, int flags);
/* mmap a region, then MADV_NOHUGEPAGE it (THP 'always' would fault 2 MiB). */
void mc_nohuge(void *addr, size_t len);
/*
 * A range of 'pages' pages of address space that holds no mapping: found
 * by mapping PROT_NONE and unmapping it. The caller must not allocate
 * (malloc, stdio) before using the hole, or something else may land in it.
 */
unsigned char *mc_free_hole(size_t pages);
/*
 * n usable pages with prot between two PROT_NONE guard pages, so that
 * [result, result + n pages) is a mapping (VMA) of its own that no
 * neighbour can merge with; THP off. flags/fd as for mmap: anonymous
 * (MAP_ANONYMOUS, fd -1) or a file of at least n + 2 pages mapped from
 * offset 0 (the guards are its first and last page); extra flags such as
 * MAP_POPULATE apply to the whole. Requires that /proc/self/maps shows
 * exactly that range. Undo with mc_unmap_guarded(result, n).
 */
unsigned char *mc_map_guarded(size_t n, int prot, int flags, int fd);
void mc_unmap_guarded(void *p, size_t n);
/* A MAP_* flag bit that no flag known to this build uses (below bit 26). */
int mc_unknown_map_flag(void);
/*
 * Skip the case when the C library does not define MAP_SHARED_VALIDATE or
 * the kernel (or emulator) does not know it (Linux 4.15+; EINVAL, then
 * mc_skip_unsupported): probes with a read-only mapping of fd.
 */
void mc_require_shared_validate(int fd);

/*
 * A file of 'pages' pages in the current (work) directory, page i filled
 * with the byte mc_pattern(i). Returns an fd open O_RDWR.
 */
int mc_make_file(const char *name, size_t pages);
unsigned char mc_pattern(size_t page);
/* Fill page i of [p, p + n pages) with mc_pattern(first + i). */
void mc_fill_patterns(unsigned char *p, size_t n, size_t first);
/*
 * Require page i of [p, p + n pages) to read mc_pattern(first + i) for
 * i < n; what names the pages in the failure message. The pages are probed
 * with mc_touch first (mc_require_readable): where the mapping state is
 * what a case tests, a broken one fails the case instead of crashing it.
 */
void mc_require_patterns(const unsigned char *p, size_t n, size_t first,
    const char *what);
/* Reads 'len' bytes of the file at 'off' with pread(); ATF_REQUIRE on error. */
void mc_pread_all(int fd, void *buf, size_t len, off_t off);
/* True when every byte of buf is c. */
bool mc_all_bytes(const void *buf, size_t len, unsigned char c);
/*
 * How many bytes of [p, p+len) differ from c (c = 0: how many are not
 * zero). Reads through a volatile pointer; no ATF (usable in children).
 */
size_t mc_count_not(const void *p, size_t len, unsigned char c);
/* st_size of the open file fd; ATF_REQUIRE on error. */
off_t mc_fd_size(int fd);
/*
 * mmap(NULL, len, prot, flags, fd, off) that must succeed: ATF_REQUIRE
 * with every argument in the message on failure.
 */
void *mc_map_fd(int fd, size_t len, int prot, int flags, off_t off);

/*
 * Children with a pipe handshake. A child runs fn(ch, arg) and exits with
 * its return value through exit() (so coverage data is flushed). Both sides
 * talk with mc_send/mc_recv; every receive waits at most MC_WAIT_MS.
 */
#define MC_WAIT_MS 10000
struct mc_child {
	pid_t pid;
	int rd; /* read end: the other side's messages */
	int wr; /* write end: to the other side */
};
typedef int (*mc_child_fn)(struct mc_child *self, void *arg);

/* Fork a child running fn; the parent gets the handle. */
void mc_spawn(struct mc_child *ch, mc_child_fn fn, void *arg);
/* Send / receive one fixed-size message (e.g. a uint64_t). */
void mc_send(struct mc_child *ch, const void *msg, size_t len);
/* Returns false on timeout or EOF (the other side died). */
bool mc_recv(struct mc_child *ch, void *msg, size_t len, int timeout_ms);
/* Parent: receive or fail the case with a message naming 'what'. */
void mc_expect(struct mc_child *ch, void *msg, size_t len, const char *what);
/* Child side helpers: send a value; wait for the parent's "go". */
void mc_child_send_u64(struct mc_child *self, uint64_t v);
uint64_t mc_child_recv_u64(struct mc_child *self);
/*
 * Parent: wait for the child to exit within timeout_ms (killed with SIGKILL
 * after that); returns the wait status. Always reaps.
 */
int mc_reap(struct mc_child *ch, int timeout_ms);
/* Parent: reap and require a normal exit with status 0. */
void mc_reap_ok(struct mc_child *ch);
/*
 * In a child (no ATF): fork a grandchild that computes fn(arg) and sends
 * it back through a pipe; wait for it at most MC_WAIT_MS (then kill it)
 * and reap it. False when no value arrived or the grandchild did not exit
 * with status 0.
 */
bool mc_grandchild_u64(uint64_t (*fn)(void *), void *arg, uint64_t *out);

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

/*
 * /proc/self/pagemap. mc_pagemap() returns the raw 64-bit entry of the page
 * holding addr (ATF_REQUIRE on read errors, skip when the file is missing).
 */
#define MC_PM_PRESENT (1ULL << 63)
#define MC_PM_SWAP (1ULL << 62)
#define MC_PM_FILE (1ULL << 61)
#define MC_PM_EXCLUSIVE (1ULL << 56)
#define MC_PM_PFN_MASK ((1ULL << 55) - 1)
/* The PFN field of a pagemap entry. */
#define MC_PM_PFN(entry) ((entry) & MC_PM_PFN_MASK)
uint64_t mc_pagemap(const void *addr);
/* The same without ATF (usable in children): false when it cannot be read. */
bool mc_pagemap_try(const void *addr, uint64_t *entry);
/*
 * Whether PFNs can be read here. On false, *why says why (pagemap missing,
 * PFNs hidden without CAP_SYS_ADMIN in the initial user namespace).
 */
bool mc_pfns_visible(const char **why);
/* The PFN of the (present) page at addr: requires presence and visibility. */
uint64_t mc_pfn(const void *addr);
/*
 * The PFN of the page at addr; 0 when pagemap cannot be read, the page is
 * not present or PFNs are hidden. No ATF (usable in children).
 */
uint64_t mc_pfn_try(const void *addr);
/*
 * What a process saw in a few pages, to send over the pipe: content
 * mismatches (counted by the caller) and the pagemap entry of each page.
 */
#define MC_REPORT_PAGES 16
struct mc_pages_report {
	uint64_t mismatches;
	uint64_t pm_ok; /* 1 when every pagemap entry could be read */
	uint64_t pm[MC_REPORT_PAGES];
};
/*
 * Read (fault in) each of the first npages pages at p (at most
 * MC_REPORT_PAGES), then take its pagemap entry into r->pm (0 and
 * r->pm_ok 0 when unreadable). Leaves r->mismatches alone. No ATF.
 */
void mc_take_pagemap(const void *p, size_t npages, struct mc_pages_report *r);
/*
 * Skip the case, after its content assertions ran, when PFNs are hidden:
 * "content assertions passed; PFN assertions not possible: <why>".
 */
void mc_require_pfns(void);

/* Residency. */
/* Number of resident pages of [addr, addr+len) per mincore(). */
size_t mc_mincore_count(void *addr, size_t len);
/*
 * Whether mincore() tells untouched anonymous pages from resident ones
 * here: probed once on fresh, never touched private anonymous pages
 * (gVisor's mincore reports every mapped page resident).
 */
bool mc_mincore_sees_untouched(void);
/*
 * For cases that use mincore only as a witness of another semantic: skip
 * when mc_mincore_sees_untouched() is false, with "mincore reports
 * untouched anonymous pages as resident here: <why>" (why: what cannot be
 * observed then). Cases about mincore itself must not use this.
 */
void mc_require_mincore_sees_untouched(const char *why);
/* One field (e.g. "Rss") in kB of the smaps entry holding addr; -1 when absent. */
long mc_smaps_kb(const void *addr, const char *field);
/* Without ATF (usable in children): -1 also when smaps is unreadable. */
long mc_smaps_kb_try(const void *addr, const char *field);
/* Skip when /proc/self/smaps is not available. */
void mc_require_smaps(void);
/*
 * The VmFlags line (Linux 3.8+) of the smaps entry holding addr, as
 * " f1 f2 ... " (a blank before and after every flag, for mc_has_vmflag).
 * mc_smaps_vmflags_try: false when smaps or the line is missing, no ATF;
 * mc_smaps_vmflags: skips the case then.
 */
bool mc_smaps_vmflags_try(const void *addr, char *buf, size_t len);
void mc_smaps_vmflags(const void *addr, char *buf, size_t len);
/* Whether flag (e.g. "lo") is one of the flags of mc_smaps_vmflags. */
bool mc_has_vmflag(const char *flags, const char *flag);

/*
 * /proc/self/maps: copy the line of the mapping holding addr into buf;
 * false when no mapping holds addr.
 */
bool mc_maps_line(const void *addr, char *buf, size_t len);
/* Start and end of the mapping holding addr; false when none. */
bool mc_maps_range(const void *addr, uintptr_t *start, uintptr_t *end);

/* One parsed line of /proc/self/maps (about 8 KiB: arrays of it static). */
#define MC_MAPS_PATH 4112 /* PATH_MAX and " (deleted)" */
struct mc_maps_ent {
	uintptr_t start, end;
	char perms[8];             /* "rw-p": r, w, x, then s or p */
	unsigned long long offset; /* file offset of the first page */
	unsigned int major, minor; /* device */
	unsigned long long inode;  /* 0: no file */
	char path[MC_MAPS_PATH];   /* "" when none; "[heap]", "/f (deleted)" */
	char line[MC_MAPS_PATH + 128]; /* the whole line (no newline) */
};
/* Parse one line (with or without its newline) into e; false when malformed. */
bool mc_maps_parse(const char *line, struct mc_maps_ent *e);
/*
 * The entry of the mapping holding addr. mc_maps_entry: false when no
 * mapping holds addr, ATF_REQUIRE that the file reads and parses.
 * mc_maps_entry_try: no ATF (usable in children), false also when the
 * file cannot be read or parsed. mc_maps_get: requires the mapping.
 */
bool mc_maps_entry(const void *addr, struct mc_maps_ent *e);
bool mc_maps_entry_try(const void *addr, struct mc_maps_ent *e);
void mc_maps_get(const void *addr, struct mc_maps_ent *e);
/*
 * Every entry of /proc/self/maps into ents (ATF_REQUIRE: at most max, all
 * parsable); returns how many.
 */
size_t mc_maps_read(struct mc_maps_ent *ents, size_t max);

#endif
