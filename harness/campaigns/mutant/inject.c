/*
 * inject - run a program with ONE mmap-semantics fault injected below libc.
 *
 *   inject MUTANT PROGRAM [ARG...]   run PROGRAM under mutant MUTANT
 *   inject --list                    one line per mutant: name<TAB>semantic
 *                                    ids<TAB>description<TAB>what a test
 *                                    must assert to catch it
 *
 * How: the program runs under ptrace with a seccomp filter that returns
 * SECCOMP_RET_TRACE for the syscalls the mutant rewrites (only those; every
 * other syscall runs at full speed). Children, threads and exec'd programs
 * are followed (PTRACE_O_TRACEFORK|VFORK|CLONE|EXEC, EXITKILL): the filter is
 * inherited, so a test calling syscall(SYS_mmap, ...) directly, or a child
 * of the test, is no blind spot. At the seccomp stop the mutant may rewrite
 * the arguments (x86_64 registers), skip the syscall with a chosen result,
 * and ask for the syscall-exit stop, where it may rewrite the result or the
 * tracee's memory (/proc/PID/mem, which writes like a debugger does).
 *
 * Scope: a mutant acts only on calls made by the test program's own code
 * (its binary, mc.c, or libatf-c), never on those of ld.so (loading
 * libraries) or of libc itself (malloc, stdio): the caller is found from the
 * return address of the libc wrapper (stack frame sizes of the wrappers are
 * read from the injector's own copy of the same libc). MC_INJECT_SCOPE=all
 * applies the mutant to every call.
 *
 * The exit status (or terminating signal) of PROGRAM is inject's own, so
 * kyua and ATF see the program as if it ran alone. MC_INJECT_LOG=FILE
 * appends one line per traced process: how often the mutant fired.
 *
 * Limits: x86_64 syscalls only (i386 int $0x80 and x32 calls are not
 * trapped); a process that stops itself (SIGSTOP) is kept stopped with
 * PTRACE_LISTEN; memory rewrites are bounded (see each mutant).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/user.h>
#include <sys/wait.h>

#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE 0x100000
#endif
#ifndef MAP_SHARED_VALIDATE
#define MAP_SHARED_VALIDATE 0x03
#endif
#ifndef PTRACE_LISTEN
#define PTRACE_LISTEN 0x4208
#endif
#ifndef SYS_pkey_mprotect
#define SYS_pkey_mprotect 329
#endif
#ifndef SYS_mlock2
#define SYS_mlock2 325
#endif
#ifndef SYS_mseal
#define SYS_mseal 462
#endif
#ifndef MAP_HUGETLB
#define MAP_HUGETLB 0x40000
#endif
#ifndef F_ADD_SEALS
#define F_ADD_SEALS 1033
#endif

#if !defined(__x86_64__)
#error "inject rewrites x86_64 registers and syscalls: build it for x86_64"
#endif

#define INJECT_STATUS 125 /* inject's own failures (not the program's) */

static unsigned long ps;    /* page size */
static bool scope_all;      /* MC_INJECT_SCOPE=all */
static const char *logpath; /* MC_INJECT_LOG */

static void
die(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "inject: error: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(INJECT_STATUS);
}

/* ---- tracees ------------------------------------------------------------ */

enum { K_OTHER, K_LIBC, K_LD };
struct region {
	unsigned long start, end;
	int kind;
};
struct range {
	unsigned long start, end;
};

struct tracee {
	pid_t pid;
	bool known_parent; /* its parent's fork event was seen (or main) */
	bool parked;       /* initial stop seen, waiting for the parent */
	pid_t ppid;        /* its parent, while parked */
	bool want_exit;    /* a syscall-exit stop is expected */
	bool force;        /* at the exit stop, set rax = force_ret */
	long force_ret;
	int hook;          /* which exit action (mutant specific) */
	unsigned long aux; /* value kept from entry to exit */
	struct user_regs_struct orig; /* registers at the seccomp stop */
	/* Executable regions of the process (for the caller test). */
	struct region *reg;
	size_t nreg;
	unsigned long libc_base;
	bool libc_same; /* the same libc file as the injector's */
	/* Ranges mapped by test code (fork-copies-private). */
	struct range *tm;
	size_t ntm;
	unsigned long fired; /* times the mutant changed something */
	bool plain_next;     /* let the next (restarted) call run unchanged */
};

static struct tracee **tt;
static size_t ntt, att;

static struct tracee *
tfind(pid_t pid)
{
	for (size_t i = 0; i < ntt; i++)
		if (tt[i]->pid == pid)
			return tt[i];
	return NULL;
}

static struct tracee *
tadd(pid_t pid)
{
	struct tracee *t = calloc(1, sizeof(*t));

	if (t == NULL)
		die("out of memory");
	t->pid = pid;
	if (ntt == att) {
		att = att ? 2 * att : 16;
		tt = realloc(tt, att * sizeof(*tt));
		if (tt == NULL)
			die("out of memory");
	}
	tt[ntt++] = t;
	return t;
}

static void
tclear(struct tracee *t)
{
	free(t->reg);
	t->reg = NULL;
	t->nreg = 0;
	t->libc_base = 0;
	free(t->tm);
	t->tm = NULL;
	t->ntm = 0;
}

static unsigned long fired_total; /* over every process of this run */
static const char *run_prog, *run_case;

/* One line per run that changed something: program, case, count. */
static void
log_run(void)
{
	char line[1024];
	int fd, n;

	if (logpath == NULL || fired_total == 0)
		return;
	fd = open(logpath, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0)
		return;
	n = snprintf(line, sizeof(line), "%s\t%s\t%lu\n", run_prog, run_case,
	    fired_total);
	if (n > 0 && (size_t)n < sizeof(line) && write(fd, line, (size_t)n) < 0) {
		/* nothing to do: the log is informative only */
	}
	close(fd);
}

static void
tdrop(pid_t pid)
{
	for (size_t i = 0; i < ntt; i++) {
		if (tt[i]->pid == pid) {
			fired_total += tt[i]->fired;
			tclear(tt[i]);
			free(tt[i]);
			tt[i] = tt[--ntt];
			break;
		}
	}
	/* A child whose parent died before reporting the fork: let it go. */
	for (size_t i = 0; i < ntt; i++) {
		if (tt[i]->parked && tt[i]->ppid == pid) {
			tt[i]->parked = false;
			tt[i]->known_parent = true;
			ptrace(PTRACE_CONT, tt[i]->pid, 0, 0);
		}
	}
}

/* The parent of pid, from /proc/PID/status (0 if unknown). */
static pid_t
parent_of(pid_t pid)
{
	char path[64], line[256];
	FILE *f;
	int pp = 0;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	f = fopen(path, "re");
	if (f == NULL)
		return 0;
	while (fgets(line, sizeof(line), f) != NULL)
		if (sscanf(line, "PPid: %d", &pp) == 1)
			break;
	fclose(f);
	return (pid_t)pp;
}

static void
tcopy(struct tracee *dst, const struct tracee *src)
{
	tclear(dst);
	if (src->nreg) {
		dst->reg = malloc(src->nreg * sizeof(*dst->reg));
		if (dst->reg == NULL)
			die("out of memory");
		memcpy(dst->reg, src->reg, src->nreg * sizeof(*dst->reg));
		dst->nreg = src->nreg;
	}
	dst->libc_base = src->libc_base;
	dst->libc_same = src->libc_same;
	if (src->ntm) {
		dst->tm = malloc(src->ntm * sizeof(*dst->tm));
		if (dst->tm == NULL)
			die("out of memory");
		memcpy(dst->tm, src->tm, src->ntm * sizeof(*dst->tm));
		dst->ntm = src->ntm;
	}
}

static void
track(struct tracee *t, unsigned long start, unsigned long len)
{
	if (t->ntm >= 4096)
		return;
	t->tm = realloc(t->tm, (t->ntm + 1) * sizeof(*t->tm));
	if (t->tm == NULL)
		die("out of memory");
	t->tm[t->ntm].start = start;
	t->tm[t->ntm].end = start + len;
	t->ntm++;
}

/* ---- the tracee's memory and maps ---------------------------------------- */

static bool
mem_rw(pid_t pid, unsigned long addr, void *buf, size_t len, bool wr)
{
	char path[64];
	int fd;
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%d/mem", (int)pid);
	fd = open(path, (wr ? O_RDWR : O_RDONLY) | O_CLOEXEC);
	if (fd < 0)
		return false;
	n = wr ? pwrite(fd, buf, len, (off_t)addr) :
	    pread(fd, buf, len, (off_t)addr);
	close(fd);
	if (n == (ssize_t)len)
		return true;
	if (!wr || (len % sizeof(long)) != 0)
		return false;
	/* Fallback: word by word, like a debugger planting breakpoints. */
	for (size_t i = 0; i < len; i += sizeof(long)) {
		long w;
		memcpy(&w, (char *)buf + i, sizeof(w));
		if (ptrace(PTRACE_POKEDATA, pid, (void *)(addr + i),
		    (void *)w) != 0)
			return false;
	}
	return true;
}

/* Fill [addr, addr+len) of the tracee with byte c (bounded chunks). */
static void
mem_fill(pid_t pid, unsigned long addr, unsigned long len, int c)
{
	static unsigned char buf[65536];

	memset(buf, c, sizeof(buf));
	while (len > 0) {
		size_t n = len < sizeof(buf) ? len : sizeof(buf);
		if (!mem_rw(pid, addr, buf, n, true))
			return;
		addr += n;
		len -= n;
	}
}

static bool
pagemap(pid_t pid, unsigned long addr, uint64_t *e)
{
	char path[64];
	int fd;
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%d/pagemap", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	n = pread(fd, e, sizeof(*e), (off_t)(addr / ps * sizeof(*e)));
	close(fd);
	return n == (ssize_t)sizeof(*e);
}
#define PM_PRESENT (1ULL << 63)
#define PM_FILE (1ULL << 61)

/* Write each present page's first byte back to itself through /proc/PID/mem:
 * the forced write breaks copy-on-write sharing (new page, same data). */
static unsigned long
force_cow(pid_t pid, unsigned long start, unsigned long end, bool only_present,
    unsigned long budget)
{
	unsigned long done = 0;

	for (unsigned long a = start; a < end && done < budget; a += ps) {
		uint64_t e;
		unsigned char b;

		if (only_present && (!pagemap(pid, a, &e) || !(e & PM_PRESENT)))
			continue;
		if (mem_rw(pid, a, &b, 1, false) && mem_rw(pid, a, &b, 1, true))
			done++;
	}
	return done;
}

struct mapline {
	unsigned long start, end, off;
	char perms[5];
	unsigned dmaj, dmin;
	unsigned long ino;
	char path[512];
};

/* Iterate over /proc/PID/maps; fn returns false to stop. */
static void
maps_each(pid_t pid, bool (*fn)(const struct mapline *, void *), void *arg)
{
	char path[64], line[1024];
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/maps", (int)pid);
	f = fopen(path, "re");
	if (f == NULL)
		return;
	while (fgets(line, sizeof(line), f) != NULL) {
		struct mapline m;
		int pos = 0;

		memset(&m, 0, sizeof(m));
		if (sscanf(line, "%lx-%lx %4s %lx %x:%x %lu %n", &m.start,
		    &m.end, m.perms, &m.off, &m.dmaj, &m.dmin, &m.ino,
		    &pos) < 7)
			continue;
		snprintf(m.path, sizeof(m.path), "%s", line + pos);
		m.path[strcspn(m.path, "\n")] = '\0';
		if (!fn(&m, arg))
			break;
	}
	fclose(f);
}

static int
path_kind(const char *path)
{
	const char *b = strrchr(path, '/');

	b = b ? b + 1 : path;
	if (strncmp(b, "libc.so", 7) == 0 || strncmp(b, "libc-", 5) == 0)
		return K_LIBC;
	if (strncmp(b, "ld-linux", 8) == 0 || strncmp(b, "ld-2.", 5) == 0)
		return K_LD;
	return K_OTHER;
}

/* The injector's own libc: the same file as the tracee's on this machine. */
static dev_t my_libc_dev;
static ino_t my_libc_ino;
static unsigned long my_libc_base;

static bool
regions_cb(const struct mapline *m, void *arg)
{
	struct tracee *t = arg;
	int kind = path_kind(m->path);

	if (kind == K_LIBC && m->off == 0 && t->libc_base == 0) {
		struct stat st;
		t->libc_base = m->start;
		t->libc_same = stat(m->path, &st) == 0 &&
		    st.st_dev == my_libc_dev && st.st_ino == my_libc_ino;
	}
	if (m->perms[2] != 'x')
		return true;
	t->reg = realloc(t->reg, (t->nreg + 1) * sizeof(*t->reg));
	if (t->reg == NULL)
		die("out of memory");
	t->reg[t->nreg].start = m->start;
	t->reg[t->nreg].end = m->end;
	t->reg[t->nreg].kind = kind;
	t->nreg++;
	return true;
}

static void
regions_load(struct tracee *t)
{
	free(t->reg);
	t->reg = NULL;
	t->nreg = 0;
	t->libc_base = 0;
	maps_each(t->pid, regions_cb, t);
}

/* Kind of the code at addr; -1 when no executable region holds it. */
static int
code_kind(struct tracee *t, unsigned long addr, bool reload)
{
	for (int pass = 0; pass < 2; pass++) {
		for (size_t i = 0; i < t->nreg; i++)
			if (addr >= t->reg[i].start && addr < t->reg[i].end)
				return t->reg[i].kind;
		if (!reload)
			break;
		regions_load(t);
	}
	return -1;
}

/*
 * Frame sizes of libc's wrappers at the syscall instruction: the wrapper's
 * start (offset in libc) and, scanning its bytes up to the syscall, the
 * 'sub $N,%rsp' that precedes it (mremap's va_list frame, the cancellable
 * slow paths of msync/close).
 */
static const char *const wrapper_names[] = {
	"mmap64", "mmap", "munmap", "mprotect", "madvise", "mincore", "msync",
	"mremap", "mlock", "munlock", "mlockall", "munlockall", "mlock2",
	"remap_file_pages", "pkey_mprotect", "posix_madvise", "syscall",
	"close", "__close", "process_madvise", "fcntl", "fcntl64", "prctl",
};
static unsigned long wrapper_off[sizeof(wrapper_names) /
    sizeof(wrapper_names[0])];

static void
wrappers_init(void)
{
	Dl_info di;
	struct stat st;
	void *sym = dlsym(RTLD_DEFAULT, "mmap");

	if (sym == NULL || dladdr(sym, &di) == 0 || di.dli_fname == NULL ||
	    stat(di.dli_fname, &st) != 0)
		return; /* frame sizes unknown: scan the stack instead */
	my_libc_dev = st.st_dev;
	my_libc_ino = st.st_ino;
	my_libc_base = (unsigned long)di.dli_fbase;
	for (size_t i = 0; i < sizeof(wrapper_names) / sizeof(*wrapper_names);
	    i++) {
		void *p = dlsym(RTLD_DEFAULT, wrapper_names[i]);
		if (p != NULL && dladdr(p, &di) != 0 &&
		    (unsigned long)di.dli_fbase == my_libc_base)
			wrapper_off[i] = (unsigned long)p - my_libc_base;
	}
}

/* Frame size at the libc offset roff of a syscall; -1 if not a wrapper. */
static long
wrapper_frame(unsigned long roff)
{
	unsigned long best = 0;
	bool found = false;
	long frame = 0;

	for (size_t i = 0; i < sizeof(wrapper_off) / sizeof(*wrapper_off); i++)
		if (wrapper_off[i] && wrapper_off[i] <= roff &&
		    roff - wrapper_off[i] < 0x100 &&
		    (!found || wrapper_off[i] > best)) {
			best = wrapper_off[i];
			found = true;
		}
	if (!found)
		return -1;
	const unsigned char *p = (const unsigned char *)(my_libc_base + best);
	const unsigned char *end = (const unsigned char *)(my_libc_base + roff);
	for (; p + 4 <= end; p++) {
		if (p[0] == 0x48 && p[1] == 0x83 && p[2] == 0xec)
			frame = p[3];
		else if (p[0] == 0x48 && p[1] == 0x81 && p[2] == 0xec &&
		    p + 7 <= end)
			frame = p[3] | p[4] << 8 | p[5] << 16;
	}
	return frame;
}

/* Is the return address ra preceded by a call instruction? */
static bool
after_call(pid_t pid, unsigned long ra)
{
	unsigned char b[7];

	if (ra < 7 || !mem_rw(pid, ra - 7, b, 7, false))
		return false;
	return b[2] == 0xe8 ||                          /* call rel32 */
	    (b[1] == 0xff && b[2] == 0x15) ||           /* call *x(%rip) */
	    (b[5] == 0xff && (b[6] & 0xf8) == 0xd0) ||  /* call *%reg */
	    (b[4] == 0x41 && b[5] == 0xff && (b[6] & 0xf8) == 0xd0);
}

/*
 * pc lies in a libc function that is not a wrapper: find, among the first
 * 32 stack words from *sp, a return address into a wrapper whose call
 * (rel32) targets a function start at most 4 KiB before pc; *sp becomes its
 * stack slot.
 */
static bool
caller_of_helper(struct tracee *t, unsigned long pc, unsigned long *sp)
{
	unsigned long words[32];

	if (!mem_rw(t->pid, *sp, words, sizeof(words), false))
		return false;
	for (size_t i = 0; i < 32; i++) {
		unsigned char b[5];
		int32_t rel;
		unsigned long target;

		if (code_kind(t, words[i], false) != K_LIBC ||
		    wrapper_frame(words[i] - t->libc_base) < 0 ||
		    !mem_rw(t->pid, words[i] - 5, b, 5, false) || b[0] != 0xe8)
			continue;
		memcpy(&rel, b + 1, sizeof(rel));
		target = words[i] + (unsigned long)(long)rel;
		if (target <= pc && pc - target < 4096) {
			*sp += i * sizeof(long);
			return true;
		}
	}
	return false;
}

/*
 * Was this syscall made by the test program's own code? The injector acts
 * only on those (MC_INJECT_SCOPE=all: on all).
 */
static bool
from_test(struct tracee *t, const struct user_regs_struct *r)
{
	unsigned long rip = r->rip, words[32];
	int kind;

	if (scope_all)
		return true;
	kind = code_kind(t, rip, true);
	if (kind == K_LD)
		return false;   /* the dynamic loader mapping libraries */
	if (kind != K_LIBC)
		return true;    /* a syscall instruction in the test's code */
	if (t->libc_same && t->libc_base) {
		/*
		 * Walk up libc's frames (a wrapper, or an internal helper a
		 * wrapper called, like fcntl64's) to the first caller
		 * outside libc.
		 */
		unsigned long pc = rip, sp = r->rsp;

		for (int depth = 0; depth < 4; depth++) {
			long frame = wrapper_frame(pc - t->libc_base);
			unsigned long ra;

			if (frame < 0) {
				/* An internal helper (fcntl64's, say): the
				 * return address into the wrapper that called
				 * it is the stack word that a 'call rel32'
				 * aimed at the function holding pc left. */
				if (depth > 0 || !caller_of_helper(t, pc, &sp))
					return false;
				frame = 0;
			}
			if (!mem_rw(t->pid, sp + (unsigned long)frame, &ra,
			    sizeof(ra), false))
				return false;
			kind = code_kind(t, ra, true);
			if (kind != K_LIBC)
				return kind == K_OTHER;
			pc = ra;
			sp += (unsigned long)frame + sizeof(ra);
		}
		return false;
	}
	/* Unknown libc: the first plausible return address on the stack. */
	if (!mem_rw(t->pid, r->rsp, words, sizeof(words), false))
		return false;
	for (size_t i = 0; i < 32; i++) {
		kind = code_kind(t, words[i], false);
		if (kind >= 0 && after_call(t->pid, words[i]))
			return kind == K_OTHER;
	}
	return false;
}

/* ---- fds of the tracee ---------------------------------------------------- */

struct fdinfo {
	bool ok;
	struct stat st;
	int accmode;
	char path[512];
};

static struct fdinfo
fd_info(pid_t pid, long fd)
{
	struct fdinfo fi;
	char p[64], line[256];
	FILE *f;
	ssize_t n;

	memset(&fi, 0, sizeof(fi));
	fi.accmode = -1;
	if (fd < 0 || fd > 1 << 20)
		return fi;
	snprintf(p, sizeof(p), "/proc/%d/fd/%ld", (int)pid, fd);
	if (stat(p, &fi.st) != 0)
		return fi;
	n = readlink(p, fi.path, sizeof(fi.path) - 1);
	fi.path[n > 0 ? n : 0] = '\0';
	snprintf(p, sizeof(p), "/proc/%d/fdinfo/%ld", (int)pid, fd);
	f = fopen(p, "re");
	if (f != NULL) {
		while (fgets(line, sizeof(line), f) != NULL) {
			unsigned long fl;
			if (sscanf(line, "flags: %lo", &fl) == 1)
				fi.accmode = (int)(fl & O_ACCMODE);
		}
		fclose(f);
	}
	fi.ok = true;
	return fi;
}

/* ---- mutants ------------------------------------------------------------ */

/* Entry actions. */
#define A_REGS 1 /* registers changed: write them back */
#define A_EXIT 2 /* stop at the syscall exit too (hook in t->hook) */

#define ARG1(r) ((r)->rdi)
#define ARG2(r) ((r)->rsi)
#define ARG3(r) ((r)->rdx)
#define ARG4(r) ((r)->r10)
#define ARG5(r) ((r)->r8)
#define ARG6(r) ((r)->r9)

static unsigned long
pgup(unsigned long v)
{
	return (v + ps - 1) & ~(ps - 1);
}

/* Skip the syscall: it returns ret without running. */
static int
skip(struct tracee *t, struct user_regs_struct *r, long ret)
{
	r->orig_rax = (unsigned long)-1;
	r->rax = (unsigned long)ret;
	t->force = true;
	t->force_ret = ret;
	t->fired++;
	return A_REGS | A_EXIT;
}

static bool
is_err(unsigned long rax)
{
	return rax > -4096UL;
}

static bool
is_file_map(const struct user_regs_struct *r)
{
	return !(ARG4(r) & MAP_ANONYMOUS);
}

/* Every mutant: entry(t, regs, nr) at the seccomp stop, exit(t, regs) at the
 * syscall-exit stop when entry returned A_EXIT. */
struct mutant {
	const char *name;
	const char *breaks; /* semantic ids of tests/semantics.tsv */
	const char *descr;
	const char *hint;   /* what a test must assert to catch it */
	const int *sys;     /* syscalls to trap, -1 terminated */
	int (*entry)(struct tracee *, struct user_regs_struct *, long);
	void (*exit)(struct tracee *, struct user_regs_struct *);
	int (*signal)(struct tracee *, int); /* at a signal-delivery-stop */
};

static const int S_MMAP[] = { SYS_mmap, -1 };
static const int S_MUNMAP[] = { SYS_munmap, -1 };
static const int S_MPROTECT[] = { SYS_mprotect, SYS_pkey_mprotect, -1 };
static const int S_MMAP_MPROTECT[] = { SYS_mmap, SYS_mprotect,
	SYS_pkey_mprotect, -1 };
static const int S_MINCORE[] = { SYS_mincore, -1 };
static const int S_MADVISE[] = { SYS_madvise, -1 };
static const int S_MSYNC[] = { SYS_msync, -1 };
static const int S_MREMAP[] = { SYS_mremap, -1 };
static const int S_MLOCK[] = { SYS_mlock, SYS_mlock2, SYS_mlockall, -1 };
static const int S_MUNLOCK[] = { SYS_munlock, SYS_munlockall, -1 };
static const int S_NONE[] = { -1 };
static const int S_MSEAL[] = { SYS_mseal, -1 };
static const int S_FCNTL[] = { SYS_fcntl, -1 };
static const int S_CLOSE[] = { SYS_close, -1 };
static const int S_PRCTL[] = { SYS_prctl, -1 };
static const int S_ALL[] = { SYS_mmap, SYS_munmap, SYS_mprotect,
	SYS_pkey_mprotect, SYS_madvise, SYS_mincore, SYS_msync, SYS_mremap,
	SYS_mlock, SYS_mlock2, SYS_munlock, SYS_mlockall, SYS_munlockall,
	SYS_remap_file_pages, SYS_close, -1 };

/* none: the control. Traps every syscall any mutant traps, classifies the
 * caller, changes nothing: the suite must pass exactly as without inject. */
static int
e_none(struct tracee *t, struct user_regs_struct *r, long nr)
{
	(void)nr;
	(void)from_test(t, r);
	return 0;
}

/* -- mmap flags -- */

static int
e_shared_as_private(struct tracee *t, struct user_regs_struct *r, long nr)
{
	unsigned long type = ARG4(r) & MAP_TYPE;

	(void)nr;
	if (!is_file_map(r) || (type != MAP_SHARED &&
	    type != MAP_SHARED_VALIDATE) || !from_test(t, r))
		return 0;
	ARG4(r) = (ARG4(r) & ~(unsigned long)MAP_TYPE) | MAP_PRIVATE;
	t->fired++;
	return A_REGS;
}

static int
e_private_as_shared(struct tracee *t, struct user_regs_struct *r, long nr)
{
	(void)nr;
	if (!is_file_map(r) || (ARG4(r) & MAP_TYPE) != MAP_PRIVATE ||
	    !from_test(t, r))
		return 0;
	/* A shared writable mapping needs a fd open for writing. */
	if (ARG3(r) & PROT_WRITE) {
		struct fdinfo fi = fd_info(t->pid, (long)ARG5(r));
		if (!fi.ok || fi.accmode != O_RDWR)
			return 0;
	}
	ARG4(r) = (ARG4(r) & ~(unsigned long)MAP_TYPE) | MAP_SHARED;
	t->fired++;
	return A_REGS;
}

static int
e_private_anon_shared(struct tracee *t, struct user_regs_struct *r, long nr)
{
	(void)nr;
	if (is_file_map(r) || (ARG4(r) & MAP_TYPE) != MAP_PRIVATE ||
	    (ARG4(r) & (MAP_GROWSDOWN | MAP_STACK)) || !from_test(t, r))
		return 0;
	ARG4(r) = (ARG4(r) & ~(unsigned long)MAP_TYPE) | MAP_SHARED;
	t->fired++;
	return A_REGS;
}

static int
e_shared_anon_private(struct tracee *t, struct user_regs_struct *r, long nr)
{
	unsigned long type = ARG4(r) & MAP_TYPE;

	(void)nr;
	if (is_file_map(r) || (type != MAP_SHARED &&
	    type != MAP_SHARED_VALIDATE) || !from_test(t, r))
		return 0;
	ARG4(r) = (ARG4(r) & ~(unsigned long)MAP_TYPE) | MAP_PRIVATE;
	t->fired++;
	return A_REGS;
}

static int
e_offset_ignored(struct tracee *t, struct user_regs_struct *r, long nr)
{
	(void)nr;
	if (!is_file_map(r) || ARG6(r) == 0 || !from_test(t, r))
		return 0;
	ARG6(r) = 0;
	t->fired++;
	return A_REGS;
}

static int
e_offset_misaligned_accepted(struct tracee *t, struct user_regs_struct *r,
    long nr)
{
	(void)nr;
	if ((ARG6(r) & (ps - 1)) == 0 || !from_test(t, r))
		return 0;
	ARG6(r) &= ~(ps - 1);
	t->fired++;
	return A_REGS;
}

static int
e_length_rounded_down(struct tracee *t, struct user_regs_struct *r, long nr)
{
	(void)nr;
	if ((ARG2(r) & (ps - 1)) == 0 || !from_test(t, r))
		return 0;
	ARG2(r) &= ~(ps - 1);
	t->fired++;
	return A_REGS;
}

static int
e_length_zero_accepted(struct tracee *t, struct user_regs_struct *r, long nr)
{
	(void)nr;
	if (ARG2(r) != 0 || !from_test(t, r))
		return 0;
	ARG2(r) = ps;
	t->fired++;
	return A_REGS;
}

static int
e_flags_type_missing_accepted(struct tracee *t, struct user_regs_struct *r,
    long nr)
{
	(void)nr;
	if ((ARG4(r) & MAP_TYPE) != 0 || !from_test(t, r))
		return 0;
	ARG4(r) |= MAP_PRIVATE;
	t->fired++;
	return A_REGS;
}

/* Populating is bounded: a huge mapping must not eat the machine. */
#define POPULATE_MAX (64UL << 20)
static int
e_populate_all(struct tracee *t, struct user_regs_struct *r, long nr)
{
	(void)nr;
	if ((ARG4(r) & (MAP_POPULATE | MAP_NORESERVE)) || ARG2(r) == 0 ||
	    ARG2(r) > POPULATE_MAX || ARG3(r) == PROT_NONE || !from_test(t, r))
		return 0;
	ARG4(r) |= MAP_POPULATE;
	t->fired++;
	return A_REGS;
}

static int
e_noreserve_ignored(struct tracee *t, struct user_regs_struct *r, long nr)
{
	(void)nr;
	if (!(ARG4(r) & MAP_NORESERVE) || !from_test(t, r))
		return 0;
	ARG4(r) &= ~(unsigned long)MAP_NORESERVE;
	t->fired++;
	return A_REGS;
}

static int
e_fixed_noreplace_as_fixed(struct tracee *t, struct user_regs_struct *r,
    long nr)
{
	(void)nr;
	if (!(ARG4(r) & MAP_FIXED_NOREPLACE) || !from_test(t, r))
		return 0;
	ARG4(r) = (ARG4(r) & ~(unsigned long)MAP_FIXED_NOREPLACE) | MAP_FIXED;
	t->fired++;
	return A_REGS;
}

/*
 * MAP_FIXED_NOREPLACE with an addr it must refuse (not page aligned, or
 * beyond the 47-bit user address space) is taken as a hint, as a kernel
 * before 4.17 takes it; the probe's valid addr over a mapping still gets
 * EEXIST, so the case cannot call this kernel "too old".
 */
static int
e_noreplace_bad_addr_as_hint(struct tracee *t, struct user_regs_struct *r,
    long nr)
{
	(void)nr;
	if (!(ARG4(r) & MAP_FIXED_NOREPLACE) || !from_test(t, r) ||
	    (!(ARG1(r) & (ps - 1)) && ARG1(r) < (1UL << 47)))
		return 0;
	ARG4(r) &= ~(unsigned long)MAP_FIXED_NOREPLACE;
	t->fired++;
	return A_REGS;
}

static int
e_hint_as_fixed(struct tracee *t, struct user_regs_struct *r, long nr)
{
	(void)nr;
	if (ARG1(r) == 0 || (ARG1(r) & (ps - 1)) ||
	    (ARG4(r) & (MAP_FIXED | MAP_FIXED_NOREPLACE)) || !from_test(t, r))
		return 0;
	ARG4(r) |= MAP_FIXED;
	t->fired++;
	return A_REGS;
}

/* -- protections (mmap arg 3, mprotect arg 3) -- */

/* Flags of the vma holding addr, from smaps' VmFlags ("mw" = may write). */
static bool
vma_has_flag(pid_t pid, unsigned long addr, const char *flag)
{
	char path[64], line[1024];
	bool in = false, has = false;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/smaps", (int)pid);
	f = fopen(path, "re");
	if (f == NULL)
		return false;
	while (fgets(line, sizeof(line), f) != NULL) {
		unsigned long s, e;
		if (sscanf(line, "%lx-%lx ", &s, &e) == 2) {
			in = addr >= s && addr < e;
			continue;
		}
		if (in && strncmp(line, "VmFlags:", 8) == 0) {
			char *tok, *save = NULL;
			for (tok = strtok_r(line + 8, " \n", &save); tok;
			    tok = strtok_r(NULL, " \n", &save))
				if (strcmp(tok, flag) == 0)
					has = true;
			break;
		}
	}
	fclose(f);
	return has;
}

static int
e_prot_none_readable(struct tracee *t, struct user_regs_struct *r, long nr)
{
	(void)nr;
	if (ARG3(r) != PROT_NONE || !from_test(t, r))
		return 0;
	ARG3(r) = PROT_READ;
	t->fired++;
	return A_REGS;
}

static int
e_prot_read_writable(struct tracee *t, struct user_regs_struct *r, long nr)
{
	if (!(ARG3(r) & PROT_READ) || (ARG3(r) & PROT_WRITE) ||
	    !from_test(t, r))
		return 0;
	if (nr == SYS_mmap) {
		unsigned long type = ARG4(r) & MAP_TYPE;
		if (is_file_map(r) && type != MAP_PRIVATE) {
			struct fdinfo fi = fd_info(t->pid, (long)ARG5(r));
			if (!fi.ok || fi.accmode != O_RDWR)
				return 0;
		}
	} else if (!vma_has_flag(t->pid, ARG1(r), "mw")) {
		return 0;
	}
	ARG3(r) |= PROT_WRITE;
	t->fired++;
	return A_REGS;
}

static int
e_prot_write_dropped(struct tracee *t, struct user_regs_struct *r, long nr)
{
	(void)nr;
	if (!(ARG3(r) & PROT_WRITE) || !from_test(t, r))
		return 0;
	ARG3(r) &= ~(unsigned long)PROT_WRITE;
	t->fired++;
	return A_REGS;
}

static int
e_prot_exec_dropped(struct tracee *t, struct user_regs_struct *r, long nr)
{
	(void)nr;
	if (!(ARG3(r) & PROT_EXEC) || !from_test(t, r))
		return 0;
	ARG3(r) &= ~(unsigned long)PROT_EXEC;
	t->fired++;
	return A_REGS;
}

static int
e_prot_exec_granted(struct tracee *t, struct user_regs_struct *r, long nr)
{
	(void)nr;
	/* Anonymous mappings only: a file on a noexec mount refuses EXEC. */
	if (ARG3(r) == PROT_NONE || (ARG3(r) & PROT_EXEC) || is_file_map(r) ||
	    !from_test(t, r))
		return 0;
	ARG3(r) |= PROT_EXEC;
	t->fired++;
	return A_REGS;
}

/* -- mmap results -- */

enum { H_NONE, H_ANON_GARBAGE, H_EBADF, H_TRACK, H_PRECOPY, H_MINCORE1,
	H_MINCORE0, H_MSYNC_WB, H_MREMAP_ZERO, H_RESTART };

static int
e_anon_not_zeroed(struct tracee *t, struct user_regs_struct *r, long nr)
{
	(void)nr;
	if (is_file_map(r) || ARG2(r) == 0 || !from_test(t, r))
		return 0;
	t->hook = H_ANON_GARBAGE;
	return A_EXIT;
}

static void
x_anon_not_zeroed(struct tracee *t, struct user_regs_struct *r)
{
	unsigned long addr = r->rax, len = pgup(ARG2(&t->orig));

	if (is_err(addr))
		return;
	/* Garbage in the first and the last page (not zero-filled). */
	mem_fill(t->pid, addr, ps, 0x5a);
	if (len > ps)
		mem_fill(t->pid, addr + len - ps, ps, 0x5a);
	t->fired++;
}

static int
e_ebadf_as_einval(struct tracee *t, struct user_regs_struct *r, long nr)
{
	(void)nr;
	if (!is_file_map(r) || !from_test(t, r))
		return 0;
	t->hook = H_EBADF;
	return A_EXIT;
}

static void
x_ebadf_as_einval(struct tracee *t, struct user_regs_struct *r)
{
	if ((long)r->rax != -EBADF)
		return;
	r->rax = (unsigned long)-EINVAL;
	ptrace(PTRACE_SETREGS, t->pid, 0, r);
	t->fired++;
}

/* Private file pages copied at mmap: same data, no page shared with the
 * page cache or with other processes (bounded to 256 pages per mapping). */
static int
e_privfile_precopied(struct tracee *t, struct user_regs_struct *r, long nr)
{
	(void)nr;
	if (!is_file_map(r) || (ARG4(r) & MAP_TYPE) != MAP_PRIVATE ||
	    !from_test(t, r))
		return 0;
	t->hook = H_PRECOPY;
	return A_EXIT;
}

static void
x_privfile_precopied(struct tracee *t, struct user_regs_struct *r)
{
	unsigned long addr = r->rax, len = pgup(ARG2(&t->orig));

	if (is_err(addr))
		return;
	if (force_cow(t->pid, addr, addr + len, false, 256) > 0)
		t->fired++;
}

/* fork-copies-private: note what test code maps; at fork, the child's
 * present pages of those ranges get their own copies. */
static int
e_track(struct tracee *t, struct user_regs_struct *r, long nr)
{
	(void)nr;
	if ((ARG4(r) & MAP_TYPE) != MAP_PRIVATE || !from_test(t, r))
		return 0;
	t->hook = H_TRACK;
	return A_EXIT;
}

static void
x_track(struct tracee *t, struct user_regs_struct *r)
{
	if (!is_err(r->rax))
		track(t, r->rax, pgup(ARG2(&t->orig)));
}

struct cow_arg {
	pid_t pid;
	const struct tracee *t;
	unsigned long done;
};

static bool
fork_cow_cb(const struct mapline *m, void *arg)
{
	struct cow_arg *a = arg;

	if (m->perms[3] != 'p')
		return true;
	for (size_t i = 0; i < a->t->ntm && a->done < 16384; i++) {
		unsigned long s = m->start > a->t->tm[i].start ? m->start :
		    a->t->tm[i].start;
		unsigned long e = m->end < a->t->tm[i].end ? m->end :
		    a->t->tm[i].end;
		if (s < e)
			a->done += force_cow(a->pid, s, e, true,
			    16384 - a->done);
	}
	return true;
}

static void
fork_copies_private(struct tracee *parent, pid_t child)
{
	struct cow_arg a = { child, parent, 0 };

	if (parent->ntm == 0)
		return;
	maps_each(child, fork_cow_cb, &a);
	if (a.done)
		parent->fired++;
}

/* -- munmap -- */

static int
e_munmap_noop(struct tracee *t, struct user_regs_struct *r, long nr)
{
	(void)nr;
	if ((ARG1(r) & (ps - 1)) || ARG2(r) == 0 || !from_test(t, r))
		return 0;
	return skip(t, r, 0);
}

static int
e_munmap_one_more(struct tracee *t, struct user_regs_struct *r, long nr)
{
	(void)nr;
	if ((ARG1(r) & (ps - 1)) || ARG2(r) == 0 || !from_test(t, r))
		return 0;
	ARG2(r) = pgup(ARG2(r)) + ps;
	t->fired++;
	return A_REGS;
}

static int
e_munmap_one_less(struct tracee *t, struct user_regs_struct *r, long nr)
{
	(void)nr;
	if ((ARG1(r) & (ps - 1)) || ARG2(r) == 0 || !from_test(t, r))
		return 0;
	if (pgup(ARG2(r)) <= ps)
		return skip(t, r, 0);
	ARG2(r) = pgup(ARG2(r)) - ps;
	t->fired++;
	return A_REGS;
}

static int
e_munmap_misaligned_accepted(struct tracee *t, struct user_regs_struct *r,
    long nr)
{
	(void)nr;
	if (((ARG1(r) & (ps - 1)) == 0 && ARG2(r) != 0) || !from_test(t, r))
		return 0;
	return skip(t, r, 0);
}

struct hole_arg {
	unsigned long s, e;
	bool hit;
};

static bool
hole_cb(const struct mapline *m, void *arg)
{
	struct hole_arg *h = arg;

	if (m->start < h->e && m->end > h->s) {
		h->hit = true;
		return false;
	}
	return true;
}

static int
e_munmap_hole_fails(struct tracee *t, struct user_regs_struct *r, long nr)
{
	struct hole_arg h;

	(void)nr;
	if ((ARG1(r) & (ps - 1)) || ARG2(r) == 0 || !from_test(t, r))
		return 0;
	h.s = ARG1(r);
	h.e = ARG1(r) + pgup(ARG2(r));
	h.hit = false;
	maps_each(t->pid, hole_cb, &h);
	if (h.hit)
		return 0;
	return skip(t, r, -EINVAL);
}

/* -- mprotect, madvise, msync, mlock: calls that do nothing -- */

static int
e_mprotect_noop(struct tracee *t, struct user_regs_struct *r, long nr)
{
	(void)nr;
	if ((ARG1(r) & (ps - 1)) || !from_test(t, r))
		return 0;
	return skip(t, r, 0);
}

/* madvise(addr aligned, ..., advice) returns 0 and does nothing. */
static int
advice_noop(struct tracee *t, struct user_regs_struct *r, int advice)
{
	if ((int)ARG3(r) != advice || (ARG1(r) & (ps - 1)) || !from_test(t, r))
		return 0;
	return skip(t, r, 0);
}

#ifndef MADV_GUARD_INSTALL
#define MADV_GUARD_INSTALL 102 /* Linux 6.13 */
#endif
#ifndef MAP_DROPPABLE
#define MAP_DROPPABLE 0x08 /* Linux 6.11 */
#endif
#ifndef PR_SET_MDWE
#define PR_SET_MDWE 65 /* Linux 6.3 */
#endif

/* mmap(MAP_DROPPABLE|MAP_ANONYMOUS) gets an ordinary private mapping. */
static int
e_droppable_as_private(struct tracee *t, struct user_regs_struct *r, long nr)
{
	(void)nr;
	if ((ARG4(r) & MAP_TYPE) != MAP_DROPPABLE || !from_test(t, r))
		return 0;
	ARG4(r) = (ARG4(r) & ~(unsigned long)MAP_TYPE) | MAP_PRIVATE;
	t->fired++;
	return A_REGS;
}

/* prctl(PR_SET_MDWE, ...) returns 0 and denies nothing. */
static int
e_mdwe_noop(struct tracee *t, struct user_regs_struct *r, long nr)
{
	(void)nr;
	if ((int)ARG1(r) != PR_SET_MDWE || !from_test(t, r))
		return 0;
	return skip(t, r, 0);
}

/* The entry hook of a mutant that makes madvise(ADVICE) a no-op. */
#define ADVICE_NOOP(fn, advice)                                            \
	static int                                                         \
	fn(struct tracee *t, struct user_regs_struct *r, long nr)          \
	{                                                                  \
		(void)nr;                                                  \
		return advice_noop(t, r, (advice));                        \
	}
ADVICE_NOOP(e_dontneed_noop, MADV_DONTNEED)
ADVICE_NOOP(e_free_noop, MADV_FREE)
ADVICE_NOOP(e_guard_install_noop, MADV_GUARD_INSTALL)
ADVICE_NOOP(e_hugepage_noop, MADV_HUGEPAGE)
ADVICE_NOOP(e_mergeable_noop, MADV_MERGEABLE)

/* The call returns 0 and does nothing (madvise, msync, mlock, mseal...). */
static int
e_call_noop(struct tracee *t, struct user_regs_struct *r, long nr)
{
	(void)nr;
	if (!from_test(t, r))
		return 0;
	return skip(t, r, 0);
}

/* -- mincore -- */

static int
e_mincore(struct tracee *t, struct user_regs_struct *r, long nr, int hook)
{
	(void)nr;
	if (!from_test(t, r))
		return 0;
	t->hook = hook;
	return A_EXIT;
}

static int
e_mincore_all(struct tracee *t, struct user_regs_struct *r, long nr)
{
	return e_mincore(t, r, nr, H_MINCORE1);
}

static int
e_mincore_none(struct tracee *t, struct user_regs_struct *r, long nr)
{
	return e_mincore(t, r, nr, H_MINCORE0);
}

static void
x_mincore(struct tracee *t, struct user_regs_struct *r)
{
	unsigned long n = pgup(ARG2(&t->orig)) / ps;

	if (r->rax != 0 || n == 0 || n > (1UL << 24))
		return;
	mem_fill(t->pid, ARG3(&t->orig), n, t->hook == H_MINCORE1 ? 1 : 0);
	t->fired++;
}

/* -- msync writing private pages to the file -- */

static int
e_msync_private_writeback(struct tracee *t, struct user_regs_struct *r,
    long nr)
{
	(void)nr;
	if (!from_test(t, r))
		return 0;
	t->hook = H_MSYNC_WB;
	return A_EXIT;
}

struct wb_arg {
	struct tracee *t;
	unsigned long s, e;
};

static bool
wb_cb(const struct mapline *m, void *arg)
{
	struct wb_arg *w = arg;
	unsigned long s = m->start > w->s ? m->start : w->s;
	unsigned long e = m->end < w->e ? m->end : w->e;
	static unsigned char page[65536];
	char path[96];
	int fd;

	if (s >= e || m->perms[3] != 'p' || m->ino == 0 || ps > sizeof(page))
		return true;
	snprintf(path, sizeof(path), "/proc/%d/map_files/%lx-%lx",
	    (int)w->t->pid, m->start, m->end);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return true;
	for (unsigned long a = s; a < e; a += ps) {
		uint64_t pm;
		/* Only the process's own (copied-on-write) pages. */
		if (!pagemap(w->t->pid, a, &pm) || !(pm & PM_PRESENT) ||
		    (pm & PM_FILE))
			continue;
		if (mem_rw(w->t->pid, a, page, ps, false) &&
		    pwrite(fd, page, ps, (off_t)(m->off + (a - m->start))) ==
		    (ssize_t)ps)
			w->t->fired++;
	}
	close(fd);
	return true;
}

static void
x_msync_private_writeback(struct tracee *t, struct user_regs_struct *r)
{
	struct wb_arg w = { t, ARG1(&t->orig), ARG1(&t->orig) +
	    pgup(ARG2(&t->orig)) };

	if (r->rax != 0)
		return;
	maps_each(t->pid, wb_cb, &w);
}

/* -- mremap -- */

static int
e_mremap_loses_contents(struct tracee *t, struct user_regs_struct *r, long nr)
{
	(void)nr;
	if (!(ARG4(r) & MREMAP_MAYMOVE) || !from_test(t, r))
		return 0;
	t->hook = H_MREMAP_ZERO;
	return A_EXIT;
}

static void
x_mremap_loses_contents(struct tracee *t, struct user_regs_struct *r)
{
	unsigned long n = ARG2(&t->orig) < ARG3(&t->orig) ? ARG2(&t->orig) :
	    ARG3(&t->orig);

	if (is_err(r->rax) || r->rax == ARG1(&t->orig))
		return;
	if (n > (64UL << 20))
		n = 64UL << 20;
	mem_fill(t->pid, r->rax, n, 0);
	t->fired++;
}

static int
e_mremap_maymove_ignored(struct tracee *t, struct user_regs_struct *r,
    long nr)
{
	(void)nr;
	if ((ARG4(r) & (MREMAP_MAYMOVE | MREMAP_FIXED)) != MREMAP_MAYMOVE ||
	    (ARG4(r) & 4 /* MREMAP_DONTUNMAP */) || !from_test(t, r))
		return 0;
	ARG4(r) &= ~(unsigned long)MREMAP_MAYMOVE;
	t->fired++;
	return A_REGS;
}

static int
e_mremap_shrink_noop(struct tracee *t, struct user_regs_struct *r, long nr)
{
	(void)nr;
	if (ARG3(r) == 0 || pgup(ARG3(r)) >= pgup(ARG2(r)) ||
	    (ARG1(r) & (ps - 1)) || (ARG4(r) & ~(unsigned long)MREMAP_MAYMOVE) ||
	    !from_test(t, r))
		return 0;
	return skip(t, r, (long)ARG1(r));
}

static int
e_hugetlb_ignored(struct tracee *t, struct user_regs_struct *r, long nr)
{
	(void)nr;
	if (!(ARG4(r) & MAP_HUGETLB) || !from_test(t, r))
		return 0;
	/* The flag and the page-size bits above it (MAP_HUGE_SHIFT 26). */
	ARG4(r) &= ~((unsigned long)MAP_HUGETLB | (0x3fUL << 26));
	t->fired++;
	return A_REGS;
}

static int
e_seals_ignored(struct tracee *t, struct user_regs_struct *r, long nr)
{
	(void)nr;
	if (ARG2(r) != F_ADD_SEALS || !from_test(t, r))
		return 0;
	return skip(t, r, 0);
}

static int
e_mremap_unknown_flags_accepted(struct tracee *t, struct user_regs_struct *r,
    long nr)
{
	(void)nr;
	if ((ARG4(r) & ~7UL) == 0 || !from_test(t, r))
		return 0;
	ARG4(r) &= 7UL; /* MAYMOVE | FIXED | DONTUNMAP */
	t->fired++;
	return A_REGS;
}

static int
e_validate_as_shared(struct tracee *t, struct user_regs_struct *r, long nr)
{
	(void)nr;
	if ((ARG4(r) & MAP_TYPE) != MAP_SHARED_VALIDATE || !from_test(t, r))
		return 0;
	ARG4(r) = (ARG4(r) & ~(unsigned long)MAP_TYPE) | MAP_SHARED;
	t->fired++;
	return A_REGS;
}

/* -- close unmapping the file's mapping -- */

struct close_arg {
	dev_t dev;
	ino_t ino;
	unsigned long s, e;
};

static bool
close_cb(const struct mapline *m, void *arg)
{
	struct close_arg *c = arg;

	if (m->ino == (unsigned long)c->ino &&
	    makedev(m->dmaj, m->dmin) == c->dev) {
		c->s = m->start;
		c->e = m->end;
		return false;
	}
	return true;
}

static int
e_close_unmaps(struct tracee *t, struct user_regs_struct *r, long nr)
{
	struct fdinfo fi;
	struct close_arg c;

	(void)nr;
	if (t->plain_next) {
		t->plain_next = false; /* the munmap failed (a sealed mapping) */
		return 0;
	}
	fi = fd_info(t->pid, (long)ARG1(r));
	if (!fi.ok || !S_ISREG(fi.st.st_mode) || !from_test(t, r))
		return 0;
	memset(&c, 0, sizeof(c));
	c.dev = fi.st.st_dev;
	c.ino = fi.st.st_ino;
	maps_each(t->pid, close_cb, &c);
	if (c.s == c.e)
		return 0;
	/*
	 * close(fd) becomes munmap(first mapping of that file); at its exit
	 * the close is restarted, so it comes back here until no mapping of
	 * the file is left, and then really closes the fd.
	 */
	r->orig_rax = SYS_munmap;
	ARG1(r) = c.s;
	ARG2(r) = c.e - c.s;
	t->hook = H_RESTART;
	t->fired++;
	return A_REGS | A_EXIT;
}

/* At the exit of a replaced syscall: run the original one after all. */
static void
x_restart(struct tracee *t, struct user_regs_struct *r)
{
	unsigned char insn[2];

	if (!mem_rw(t->pid, r->rip - 2, insn, 2, false) || insn[0] != 0x0f ||
	    insn[1] != 0x05)
		return; /* not after a 'syscall' instruction: leave it */
	if (r->rax != 0)
		t->plain_next = true; /* do not loop on a mapping that stays */
	*r = t->orig;
	r->rip -= 2;
	r->rax = t->orig.orig_rax;
	ptrace(PTRACE_SETREGS, t->pid, 0, r);
}

/* -- signals -- */

/* A SIGBUS raised by a fault (not sent by kill) becomes SIGSEGV. */
static int
s_sigbus_as_sigsegv(struct tracee *t, int sig)
{
	siginfo_t si;

	if (sig != SIGBUS ||
	    ptrace(PTRACE_GETSIGINFO, t->pid, 0, &si) != 0 || si.si_code <= 0)
		return sig;
	si.si_signo = SIGSEGV;
	si.si_code = SEGV_ACCERR;
	if (ptrace(PTRACE_SETSIGINFO, t->pid, 0, &si) != 0)
		return sig;
	t->fired++;
	return SIGSEGV;
}

#define M(name, breaks, descr, hint, sys, entry, exit) \
	{ name, breaks, descr, hint, sys, entry, exit, NULL }
static const struct mutant mutants[] = {
M("none", "", "control: every mmap-family call trapped and classified, "
    "nothing changed", "", S_ALL, e_none, NULL),
M("shared-as-private",
    "SHFILE-1 SHFILE-2 SHFILE-3 SHFILE-4 MUNMAP-5 MSYNC-1 MAPS-2 SHM-2 "
    "MEMFD-1 DEVZERO-3",
    "mmap of a file with MAP_SHARED gets MAP_PRIVATE",
    "a write through a MAP_SHARED file mapping is seen by read() and by "
    "another process's mapping", S_MMAP, e_shared_as_private, NULL),
M("private-as-shared",
    "PRIVFILE-3 PRIVFILE-4 COW-2 COW-3 COW-5 COW-6 MMAPERR-4 MPROT-5 "
    "MSYNC-11",
    "mmap of a file with MAP_PRIVATE gets MAP_SHARED (private writes reach "
    "the file)",
    "after a write to a MAP_PRIVATE file mapping, read() of the file still "
    "returns the old bytes", S_MMAP, e_private_as_shared, NULL),
M("private-anon-shared", "PRIVANON-4 LAZY-4 MAPS-2 MADV-5 MADV-9",
    "MAP_PRIVATE|MAP_ANONYMOUS gets MAP_SHARED: no copy-on-write after fork",
    "after fork, a child's write to a private anonymous page is not seen "
    "by the parent", S_MMAP, e_private_anon_shared, NULL),
M("shared-anon-private", "SHANON-1 SHANON-2 MADV-4 MADV-17",
    "MAP_SHARED|MAP_ANONYMOUS gets MAP_PRIVATE: copied at fork",
    "after fork, a child's write to a shared anonymous page is seen by the "
    "parent", S_MMAP, e_shared_anon_private, NULL),
M("validate-as-shared", "MMAPERR-29 MMAPFLAG-14",
    "MAP_SHARED_VALIDATE treated as MAP_SHARED: unknown flags accepted",
    "MAP_SHARED_VALIDATE with an unknown flag fails with EOPNOTSUPP",
    S_MMAP, e_validate_as_shared, NULL),
M("offset-ignored", "OFF-2 MAPS-4", "mmap's file offset replaced by 0",
    "a mapping at offset k pages starts with the file's page k",
    S_MMAP, e_offset_ignored, NULL),
M("offset-misaligned-accepted", "OFF-1 MMAPERR-12",
    "an offset that is not a multiple of the page size is rounded down "
    "instead of failing with EINVAL",
    "the kernel's mmap (syscall(SYS_mmap, ...), not glibc's wrapper, which "
    "checks the offset itself) fails with EINVAL for offset 1", S_MMAP,
    e_offset_misaligned_accepted, NULL),
M("length-rounded-down", "API-2",
    "mmap's length rounded down to whole pages instead of up",
    "the tail of the last page of a mapping of a non-page-multiple length "
    "is usable", S_MMAP, e_length_rounded_down, NULL),
M("length-zero-accepted", "API-2 MMAPERR-13",
    "mmap with length 0 maps one page instead of failing with EINVAL",
    "mmap with length 0 fails with EINVAL", S_MMAP, e_length_zero_accepted,
    NULL),
M("flags-type-missing-accepted", "FLAGS-1 MMAPERR-14",
    "mmap with neither MAP_SHARED nor MAP_PRIVATE succeeds (as private)",
    "mmap with neither MAP_SHARED nor MAP_PRIVATE fails with EINVAL",
    S_MMAP, e_flags_type_missing_accepted, NULL),
M("populate-all", "LAZY-1 LAZY-2 LAZY-4 MMAPFLAG-5 MMAPFLAG-6",
    "every mapping pre-faulted (MAP_POPULATE added, mappings up to 64 MiB "
    "without MAP_NORESERVE)",
    "right after mmap no page of the mapping is resident (mincore, "
    "pagemap)", S_MMAP, e_populate_all, NULL),
M("noreserve-ignored", "LAZY-3 MMAPFLAG-7",
    "MAP_NORESERVE dropped: a mapping larger than memory is refused",
    "a MAP_NORESERVE mapping larger than RAM+swap is created and shows 'nr'",
    S_MMAP, e_noreserve_ignored, NULL),
M("fixed-noreplace-as-fixed", "MMAPERR-9 MMAPERR-10",
    "MAP_FIXED_NOREPLACE treated as MAP_FIXED (replaces what is there)",
    "MAP_FIXED_NOREPLACE over a mapping fails with EEXIST and keeps it",
    S_MMAP, e_fixed_noreplace_as_fixed, NULL),
M("noreplace-bad-addr-as-hint", "MMAPERR-11 MMAPERR-22",
    "MAP_FIXED_NOREPLACE with an unaligned addr or one beyond the address "
    "space is taken as a hint (while it still refuses to replace a mapping)",
    "probe MAP_FIXED_NOREPLACE (EEXIST over a mapping) before excusing a "
    "success as an old kernel; then expect EINVAL / ENOMEM",
    S_MMAP, e_noreplace_bad_addr_as_hint, NULL),
M("hint-as-fixed", "API-1 MMAPERR-23",
    "a non-NULL addr without MAP_FIXED is obeyed as MAP_FIXED (not a hint)",
    "a hint over an existing mapping leaves that mapping intact",
    S_MMAP, e_hint_as_fixed, NULL),
M("prot-none-readable", "PROT-1 MPROT-3",
    "PROT_NONE granted as PROT_READ (mmap and mprotect)",
    "reading a PROT_NONE page raises SIGSEGV/SEGV_ACCERR",
    S_MMAP_MPROTECT, e_prot_none_readable, NULL),
M("prot-read-writable", "PROT-2 MPROT-1",
    "PROT_READ without PROT_WRITE granted as PROT_READ|PROT_WRITE (mmap and "
    "mprotect)", "writing a PROT_READ page raises SIGSEGV/SEGV_ACCERR",
    S_MMAP_MPROTECT, e_prot_read_writable, NULL),
M("prot-write-dropped", "PROT-3 MPROT-2",
    "PROT_WRITE dropped (mmap and mprotect)",
    "writing a PROT_READ|PROT_WRITE page works", S_MMAP_MPROTECT,
    e_prot_write_dropped, NULL),
M("prot-exec-dropped", "PROT-4 MPROT-13",
    "PROT_EXEC dropped (mmap and mprotect)",
    "code copied into a PROT_EXEC mapping runs", S_MMAP_MPROTECT,
    e_prot_exec_dropped, NULL),
M("prot-exec-granted", "PROT-4 MAPS-1",
    "anonymous mappings are executable without PROT_EXEC",
    "calling into a mapping without PROT_EXEC raises SIGSEGV; maps shows "
    "no 'x'", S_MMAP, e_prot_exec_granted, NULL),
M("anon-not-zeroed", "PRIVANON-1 API-2 MMAPFLAG-11 MMAPFLAG-16",
    "anonymous mappings not zero-filled: garbage in the first and last page "
    "after mmap returns",
    "every byte of a new anonymous mapping (first and last page) is 0",
    S_MMAP, e_anon_not_zeroed, x_anon_not_zeroed),
M("ebadf-as-einval", "FD-2 MMAPERR-8",
    "mmap fails with EINVAL where EBADF is due",
    "a file mapping of a closed fd fails with EBADF (not just 'fails')",
    S_MMAP, e_ebadf_as_einval, x_ebadf_as_einval),
M("privfile-precopied", "PRIVFILE-2 COW-1 COW-4",
    "a private file mapping gets copies of the file's pages at once (same "
    "data, no page shared with the page cache; 256 pages per mapping)",
    "two processes mapping a file privately read the same PFN until one "
    "writes", S_MMAP, e_privfile_precopied, x_privfile_precopied),
M("fork-copies-private", "PRIVANON-3 DEVZERO-2 MREMAP-8",
    "fork copies the present pages of private mappings at once instead of "
    "sharing them until a write (16384 pages per fork)",
    "after fork, parent and child read the same PFN of a private page",
    S_MMAP, e_track, x_track),
M("munmap-noop", "MUNMAP-1 MUNMAP-2 MLOCK-4",
    "munmap returns 0 without unmapping",
    "after munmap, touching the range raises SIGSEGV/SEGV_MAPERR",
    S_MUNMAP, e_munmap_noop, NULL),
M("munmap-one-more", "MUNMAP-2", "munmap unmaps one page too many",
    "the page after an unmapped range is still mapped and intact",
    S_MUNMAP, e_munmap_one_more, NULL),
M("munmap-one-less", "MUNMAP-1",
    "munmap unmaps one page too few (nothing for a single page)",
    "every page of an unmapped range (the last one too) faults",
    S_MUNMAP, e_munmap_one_less, NULL),
M("munmap-misaligned-accepted", "MUNMAP-4",
    "munmap with an unaligned addr or length 0 succeeds (EINVAL is due)",
    "munmap(addr+1, ...) and munmap(addr, 0) fail with EINVAL",
    S_MUNMAP, e_munmap_misaligned_accepted, NULL),
M("munmap-hole-fails", "MUNMAP-3",
    "munmap of a range holding no mapping fails with EINVAL",
    "munmap of an unmapped range returns 0", S_MUNMAP, e_munmap_hole_fails,
    NULL),
M("mprotect-noop", "MPROT-1 MPROT-2 MPROT-3 MPROT-12",
    "mprotect returns 0 without changing protections",
    "after mprotect(PROT_READ) a write faults", S_MPROTECT, e_mprotect_noop,
    NULL),
M("mincore-all-resident", "LAZY-1 LAZY-2 MINCORE-3",
    "mincore reports every page resident",
    "mincore reports untouched pages of a new mapping not resident",
    S_MINCORE, e_mincore_all, x_mincore),
M("mincore-none-resident", "LAZY-2 MLOCK-1 MINCORE-5",
    "mincore reports no page resident",
    "mincore reports touched pages resident", S_MINCORE, e_mincore_none,
    x_mincore),
M("dontneed-noop", "MADV-1 MADV-2 MADV-5",
    "madvise(MADV_DONTNEED) returns 0 without dropping the pages",
    "after MADV_DONTNEED a private anonymous page reads zeros",
    S_MADVISE, e_dontneed_noop, NULL),
M("free-noop", "MADV-13 MADV-14",
    "madvise(MADV_FREE) returns 0 without freeing the pages",
    "after MADV_FREE and MADV_PAGEOUT with no swap, the pages not written "
    "again read zeros", S_MADVISE, e_free_noop, NULL),
M("madvise-noop", "MADV-7 MADV-9 MADV-16 MADV-20",
    "madvise returns 0 for every advice and does nothing",
    "the effect of each advice (DONTFORK, WIPEONFORK, REMOVE, POPULATE_*) "
    "and its errors", S_MADVISE, e_call_noop, NULL),
M("msync-noop", "MSYNC-2 MSYNC-6 MSYNC-7 MSYNC-8 MSYNC-9",
    "msync returns 0 and does nothing (no error checks, no write-back)",
    "after msync(MS_SYNC) the pages are clean (smaps Dirty 0); bad flags "
    "or an unmapped range fail", S_MSYNC, e_call_noop, NULL),
M("msync-private-writeback", "PRIVFILE-4 COW-6 MSYNC-11",
    "msync writes a private mapping's own (copied) pages to the file",
    "after a private write and msync(MS_SYNC), read() of the file returns "
    "the old bytes", S_MSYNC, e_msync_private_writeback,
    x_msync_private_writeback),
M("mremap-loses-contents", "MREMAP-3",
    "mremap that moves a mapping zero-fills it at the new address",
    "after a moving mremap the data is at the new address",
    S_MREMAP, e_mremap_loses_contents, x_mremap_loses_contents),
M("mremap-maymove-ignored", "MREMAP-3",
    "mremap ignores MREMAP_MAYMOVE: growth that needs a move fails",
    "growing a blocked mapping with MREMAP_MAYMOVE succeeds (moves)",
    S_MREMAP, e_mremap_maymove_ignored, NULL),
M("mremap-unknown-flags-accepted", "MREMAP-11",
    "mremap ignores flag bits other than MAYMOVE, FIXED and DONTUNMAP "
    "instead of failing with EINVAL",
    "the kernel's mremap (syscall(SYS_mremap, ...), not glibc's wrapper, "
    "which checks the flags itself) fails with EINVAL on an unknown flag",
    S_MREMAP, e_mremap_unknown_flags_accepted, NULL),
M("mremap-shrink-noop", "MREMAP-2",
    "mremap to a smaller size returns the old address and unmaps nothing",
    "after shrinking, the cut tail faults with SIGSEGV/SEGV_MAPERR",
    S_MREMAP, e_mremap_shrink_noop, NULL),
M("mlock-noop", "MLOCK-1 MLOCK-2 MLOCK-10 MLOCK-11",
    "mlock, mlock2 and mlockall return 0 without locking (or faulting in)",
    "after mlock every page is resident and VmLck grows", S_MLOCK,
    e_call_noop, NULL),
M("munlock-noop", "MLOCK-3 MLOCK-13",
    "munlock and munlockall return 0 without unlocking",
    "after munlock VmLck drops back", S_MUNLOCK, e_call_noop, NULL),
M("close-unmaps", "FD-1 FILE-9",
    "close(fd) unmaps a mapping of the file (the mapping does not outlive "
    "the fd)", "a mapping stays readable after close(fd)",
    S_CLOSE, e_close_unmaps, NULL),
M("mseal-noop", "MSEAL-1 MSEAL-2 MSEAL-3 MSEAL-4 MSEAL-5 MSEAL-10",
    "mseal returns 0 without sealing",
    "munmap, mprotect and mremap of a sealed mapping fail with EPERM",
    S_MSEAL, e_call_noop, NULL),
M("hugetlb-ignored", "HUGETLB-1 HUGETLB-3 HUGETLB-6 HUGETLB-8",
    "MAP_HUGETLB (and its page-size bits) dropped: normal pages",
    "a MAP_HUGETLB mapping is huge-page aligned, or fails (ENOMEM) with an "
    "empty pool", S_MMAP, e_hugetlb_ignored, NULL),
M("mprotect-length-rounded-down", "MPROT-11",
    "mprotect's length rounded down to whole pages instead of up",
    "mprotect(addr, 1 byte) changes the whole page", S_MPROTECT,
    e_length_rounded_down, NULL), /* len is ARG2 of mprotect too */
M("seals-ignored", "MEMFD-4 MEMFD-5 MEMFD-6 MEMFD-7 MEMFD-10 MEMFD-11",
    "fcntl(F_ADD_SEALS) returns 0 without sealing the memfd",
    "with F_SEAL_WRITE a new shared writable mapping fails with EPERM",
    S_FCNTL, e_seals_ignored, NULL),
M("guard-install-noop", "GUARD-1 GUARD-3 GUARD-6 GUARD-7",
    "madvise(MADV_GUARD_INSTALL) returns 0 and installs no guard",
    "a guarded page raises SIGSEGV on access, in the child too",
    S_MADVISE, e_guard_install_noop, NULL),
M("droppable-as-private", "DROP-3 DROP-4 DROP-5",
    "mmap(MAP_DROPPABLE) gets an ordinary MAP_PRIVATE mapping",
    "a droppable page is wiped in a fork child and dropped by reclaim "
    "even when written", S_MMAP, e_droppable_as_private, NULL),
M("mdwe-noop", "MDWE-1 MDWE-2 MDWE-4 MDWE-5 MDWE-6 MDWE-8",
    "prctl(PR_SET_MDWE) returns 0 and denies nothing",
    "under PR_MDWE_REFUSE_EXEC_GAIN, W|X mappings and any gain of "
    "PROT_EXEC fail with EACCES", S_PRCTL, e_mdwe_noop, NULL),
M("hugepage-noop", "THP-1 THP-5 THP-8 THP-11",
    "madvise(MADV_HUGEPAGE) returns 0 and does nothing",
    "with THP \"madvise\", a MADV_HUGEPAGE range gets a PMD-sized huge "
    "page on its first write", S_MADVISE, e_hugepage_noop, NULL),
M("mergeable-noop", "KSM-1 KSM-2 KSM-3",
    "madvise(MADV_MERGEABLE) returns 0 and registers nothing with ksmd",
    "identical MADV_MERGEABLE pages end up on one PFN after ksmd scans",
    S_MADVISE, e_mergeable_noop, NULL),
{ "sigbus-as-sigsegv", "FILE-3 FILE-4 FILE-5 FILE-6",
    "a fault on a mapped page past the end of the file delivers SIGSEGV "
    "(SEGV_ACCERR) instead of SIGBUS",
    "touching a page wholly past EOF raises SIGBUS, not SIGSEGV",
    S_NONE, NULL, NULL, s_sigbus_as_sigsegv },
};
#define NMUTANTS (sizeof(mutants) / sizeof(mutants[0]))

static const struct mutant *mut;

static void
do_exit_hook(struct tracee *t, struct user_regs_struct *r)
{
	switch (t->hook) {
	case H_ANON_GARBAGE: x_anon_not_zeroed(t, r); break;
	case H_EBADF: x_ebadf_as_einval(t, r); break;
	case H_TRACK: x_track(t, r); break;
	case H_PRECOPY: x_privfile_precopied(t, r); break;
	case H_MINCORE1: case H_MINCORE0: x_mincore(t, r); break;
	case H_MSYNC_WB: x_msync_private_writeback(t, r); break;
	case H_MREMAP_ZERO: x_mremap_loses_contents(t, r); break;
	case H_RESTART: x_restart(t, r); break;
	default: break;
	}
}

/* ---- the seccomp filter ------------------------------------------------- */

static void
install_filter(const int *sys)
{
	struct sock_filter f[64];
	struct sock_fprog prog;
	unsigned short n = 0;

	f[n++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
	    offsetof(struct seccomp_data, arch));
	f[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K,
	    AUDIT_ARCH_X86_64, 1, 0);
	f[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K,
	    SECCOMP_RET_ALLOW);
	f[n++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
	    offsetof(struct seccomp_data, nr));
	for (; *sys >= 0 && n < 60; sys++) {
		f[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ |
		    BPF_K, (unsigned)*sys, 0, 1);
		f[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K,
		    SECCOMP_RET_TRACE);
	}
	f[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K,
	    SECCOMP_RET_ALLOW);
	prog.len = n;
	prog.filter = f;
	if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) != 0) {
		/* Without CAP_SYS_ADMIN a filter needs no_new_privs. */
		if (errno != EACCES ||
		    prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 ||
		    syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) !=
		    0)
			die("cannot install the seccomp filter: %s",
			    strerror(errno));
	}
}

/* ---- the tracer --------------------------------------------------------- */

static void
resume(pid_t pid, int how, int sig)
{
	/* ESRCH: killed meanwhile (SIGKILL); its exit is reported later. */
	ptrace((enum __ptrace_request)how, pid, 0, (void *)(long)sig);
}

static void
on_seccomp(struct tracee *t)
{
	struct user_regs_struct r;
	int act;

	if (ptrace(PTRACE_GETREGS, t->pid, 0, &r) != 0) {
		resume(t->pid, PTRACE_CONT, 0);
		return;
	}
	t->orig = r;
	t->hook = H_NONE;
	t->force = false;
	act = mut->entry ? mut->entry(t, &r, (long)r.orig_rax) : 0;
	if (act & A_REGS)
		ptrace(PTRACE_SETREGS, t->pid, 0, &r);
	if (act & A_EXIT) {
		t->want_exit = true;
		resume(t->pid, PTRACE_SYSCALL, 0);
	} else {
		resume(t->pid, PTRACE_CONT, 0);
	}
}

static void
on_syscall_exit(struct tracee *t)
{
	struct user_regs_struct r;

	t->want_exit = false;
	if (ptrace(PTRACE_GETREGS, t->pid, 0, &r) == 0) {
		if (t->force && (long)r.rax != t->force_ret) {
			r.rax = (unsigned long)t->force_ret;
			ptrace(PTRACE_SETREGS, t->pid, 0, &r);
		}
		do_exit_hook(t, &r);
	}
	t->force = false;
	t->hook = H_NONE;
	resume(t->pid, PTRACE_CONT, 0);
}

static void
on_new_child(struct tracee *parent, pid_t cpid, int event)
{
	struct tracee *c = tfind(cpid);

	if (c == NULL)
		c = tadd(cpid);
	tcopy(c, parent);
	c->known_parent = true;
	if (event == PTRACE_EVENT_FORK && mut->entry == e_track)
		fork_copies_private(parent, cpid);
	if (c->parked) {
		c->parked = false;
		resume(cpid, PTRACE_CONT, 0);
	}
}

static int
trace(pid_t main_pid)
{
	for (;;) {
		int st, sig, ev;
		pid_t pid = waitpid(-1, &st, __WALL);
		struct tracee *t;

		if (pid < 0) {
			if (errno == EINTR)
				continue;
			die("waitpid: %s", strerror(errno));
		}
		if (WIFEXITED(st) || WIFSIGNALED(st)) {
			if (pid == main_pid) {
				for (size_t i = 0; i < ntt; i++)
					fired_total += tt[i]->fired;
				log_run();
				return st;
			}
			tdrop(pid);
			continue;
		}
		if (!WIFSTOPPED(st))
			continue;
		sig = WSTOPSIG(st);
		ev = (unsigned)st >> 16;
		t = tfind(pid);
		if (t == NULL)
			t = tadd(pid); /* a new child, before its parent's event */
		if (sig == (SIGTRAP | 0x80)) {
			if (t->want_exit)
				on_syscall_exit(t);
			else
				resume(pid, PTRACE_CONT, 0);
			continue;
		}
		switch (ev) {
		case PTRACE_EVENT_SECCOMP:
			on_seccomp(t);
			break;
		case PTRACE_EVENT_FORK:
		case PTRACE_EVENT_VFORK:
		case PTRACE_EVENT_CLONE: {
			unsigned long msg = 0;
			if (ptrace(PTRACE_GETEVENTMSG, pid, 0, &msg) == 0)
				on_new_child(t, (pid_t)msg, ev);
			resume(pid, PTRACE_CONT, 0);
			break;
		}
		case PTRACE_EVENT_EXEC: {
			unsigned long former = 0;
			if (ptrace(PTRACE_GETEVENTMSG, pid, 0, &former) == 0 &&
			    (pid_t)former != pid)
				tdrop((pid_t)former); /* a thread exec'd */
			t = tfind(pid);
			if (t == NULL)
				t = tadd(pid);
			tclear(t);
			t->known_parent = true;
			resume(pid, PTRACE_CONT, 0);
			break;
		}
		case PTRACE_EVENT_STOP:
			if (sig == SIGSTOP || sig == SIGTSTP || sig == SIGTTIN ||
			    sig == SIGTTOU) {
				/* group-stop: stay stopped until SIGCONT */
				resume(pid, PTRACE_LISTEN, 0);
			} else if (!t->known_parent && pid != main_pid) {
				/* Wait for the fork event (state to copy)
				 * unless the parent is gone already. */
				t->ppid = parent_of(pid);
				if (t->ppid != 0 && tfind(t->ppid) != NULL)
					t->parked = true;
				else
					resume(pid, PTRACE_CONT, 0);
			} else {
				resume(pid, PTRACE_CONT, 0);
			}
			break;
		default:
			/* signal-delivery-stop: deliver it */
			if (ev == 0 && mut->signal != NULL)
				sig = mut->signal(t, sig);
			resume(pid, PTRACE_CONT, ev == 0 ? sig : 0);
			break;
		}
	}
}

static void
usage(void)
{
	fprintf(stderr, "usage: inject MUTANT PROGRAM [ARG...] | inject "
	    "--list\n");
	exit(INJECT_STATUS);
}

int
main(int argc, char **argv)
{
	const char *e;
	int pfd[2], st;
	pid_t pid;

	if (argc == 2 && strcmp(argv[1], "--list") == 0) {
		for (size_t i = 0; i < NMUTANTS; i++)
			printf("%s\t%s\t%s\t%s\n", mutants[i].name,
			    mutants[i].breaks, mutants[i].descr,
			    mutants[i].hint);
		return 0;
	}
	if (argc < 3)
		usage();
	for (size_t i = 0; i < NMUTANTS; i++)
		if (strcmp(argv[1], mutants[i].name) == 0)
			mut = &mutants[i];
	if (mut == NULL)
		die("unknown mutant '%s' (inject --list names them)", argv[1]);
	ps = (unsigned long)sysconf(_SC_PAGESIZE);
	e = getenv("MC_INJECT_SCOPE");
	scope_all = e != NULL && strcmp(e, "all") == 0;
	logpath = getenv("MC_INJECT_LOG");
	run_prog = argv[2];
	run_case = argv[argc - 1];
	if (logpath != NULL && *logpath == '\0')
		logpath = NULL;
	wrappers_init();

	if (pipe2(pfd, O_CLOEXEC) != 0)
		die("pipe: %s", strerror(errno));
	fflush(NULL);
	pid = fork();
	if (pid < 0)
		die("fork: %s", strerror(errno));
	if (pid == 0) {
		char c;
		close(pfd[1]);
		install_filter(mut->sys);
		/* Wait until the parent is attached: from now on a trapped
		 * syscall without a tracer would fail with ENOSYS. */
		if (read(pfd[0], &c, 1) != 0)
			_exit(INJECT_STATUS);
		execvp(argv[2], argv + 2);
		fprintf(stderr, "inject: error: cannot run %s: %s\n", argv[2],
		    strerror(errno));
		_exit(127);
	}
	close(pfd[0]);
	if (ptrace(PTRACE_SEIZE, pid, 0, (void *)(long)(PTRACE_O_TRACESYSGOOD |
	    PTRACE_O_TRACEFORK | PTRACE_O_TRACEVFORK | PTRACE_O_TRACECLONE |
	    PTRACE_O_TRACEEXEC | PTRACE_O_TRACESECCOMP |
	    PTRACE_O_EXITKILL)) != 0) {
		int err = errno;
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		die("ptrace(PTRACE_SEIZE): %s", strerror(err));
	}
	tadd(pid)->known_parent = true;
	close(pfd[1]); /* go */

	st = trace(pid);
	if (WIFEXITED(st))
		return WEXITSTATUS(st);
	/* Die of the same signal, without a core file of our own. */
	{
		struct rlimit rl = { 0, 0 };
		struct sigaction sa;
		sigset_t set;

		setrlimit(RLIMIT_CORE, &rl);
		memset(&sa, 0, sizeof(sa));
		sa.sa_handler = SIG_DFL;
		sigaction(WTERMSIG(st), &sa, NULL);
		sigemptyset(&set);
		sigaddset(&set, WTERMSIG(st));
		sigprocmask(SIG_UNBLOCK, &set, NULL);
		raise(WTERMSIG(st));
	}
	return 128 + WTERMSIG(st);
}
