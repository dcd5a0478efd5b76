/*
 * t_special: the kernel's own "special" mappings of every process, the vDSO
 * ([vdso]) and its data pages ([vvar], on newer kernels also
 * [vvar_vclock]), as /proc/self/maps (proc(5)) names them.
 *
 * The kernel installs them with _install_special_mapping() (mm/mmap.c) and
 * keeps a fixed number of pages in each: since Linux 5.11 (commit
 * 871402e05b24 "mm: forbid splitting special mappings", with 73d5e0629919
 * "mremap: check if it's possible to split original vma") any munmap,
 * mprotect or mremap that would split one fails with EINVAL, and
 * VM_DONTEXPAND ("de" in smaps VmFlags) forbids growing it. A whole one can
 * be moved with mremap: CRIU restores a process's vDSO that way, and the
 * architecture's mremap hook (commit b059a453b1cf "x86/vdso: Add mremap
 * hook to vm_special_mapping") tells the kernel where it went.
 *
 * The vDSO reads [vvar] at a fixed distance from its code: moved together
 * they keep working, and a process forked into a new time namespace
 * (time_namespaces(7)) gets its namespace's [vvar] data.
 *
 * The C library keeps pointers into the vDSO (clock_gettime and friends
 * jump there), so every case changes these mappings in a child process
 * that afterwards makes only plain system calls (no time functions), sends
 * its verdict through a pipe and exits. The test program itself never loses
 * its vDSO.
 *
 * Kernels before 5.11 let munmap, mprotect and an in-place shrinking mremap
 * split a special mapping: where one of those calls succeeds the case
 * skips and says so (the child's damaged mappings die with it). A sealed
 * vDSO (CONFIG_MSEAL_SYSTEM_MAPPINGS: smaps VmFlags "sl") refuses all of
 * this with EPERM by design: those mappings are skipped.
 */
#include <sys/mman.h>
#include <sys/syscall.h>

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <link.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "mc.h"
#include "mc_err.h"
#include "mc_proc.h"

/* ------------------------------------------------------------------ */
/* The special mappings as /proc/self/maps lists them (no ATF).        */

static const char *const sp_names[] = { "[vvar]", "[vvar_vclock]",
	"[vdso]" };

struct sp {
	uintptr_t start, end;
	char perms[8];
	char name[16];
};
#define SP_MAX 8
struct sp_set {
	size_t n;
	struct sp m[SP_MAX];
};

/* The index in sp_names of a special mapping's name; -1 for others. */
static int
sp_special_index(const char *path)
{
	for (size_t i = 0; i < sizeof(sp_names) / sizeof(sp_names[0]); i++)
		if (strcmp(path, sp_names[i]) == 0)
			return (int)i;
	return -1;
}

/*
 * Every special mapping of this process, in address order. False when
 * /proc/self/maps cannot be read or parsed. No ATF: usable in children
 * (fopen and fgets only, no vDSO).
 */
static bool
sp_scan(struct sp_set *s)
{
	static struct mc_maps_ent e;
	static char line[sizeof(e.line)];
	FILE *f = fopen("/proc/self/maps", "re");
	bool ok = true;
	int idx;

	s->n = 0;
	if (f == NULL)
		return false;
	while (fgets(line, sizeof(line), f) != NULL) {
		if (!mc_maps_parse(line, &e)) {
			ok = false;
			break;
		}
		idx = sp_special_index(e.path);
		if (idx < 0)
			continue;
		if (s->n == SP_MAX) {
			ok = false;
			break;
		}
		s->m[s->n].start = e.start;
		s->m[s->n].end = e.end;
		snprintf(s->m[s->n].perms, sizeof(s->m[s->n].perms), "%s",
		    e.perms);
		snprintf(s->m[s->n].name, sizeof(s->m[s->n].name), "%s",
		    sp_names[idx]);
		s->n++;
	}
	fclose(f);
	return ok;
}

static const struct sp *
sp_find(const struct sp_set *s, const char *name)
{
	for (size_t i = 0; i < s->n; i++)
		if (strcmp(s->m[i].name, name) == 0)
			return &s->m[i];
	return NULL;
}

static size_t
sp_count(const struct sp_set *s, const char *name)
{
	size_t c = 0;

	for (size_t i = 0; i < s->n; i++)
		c += strcmp(s->m[i].name, name) == 0;
	return c;
}

static size_t
sp_len(const struct sp *m)
{
	return m->end - m->start;
}

/* "[vvar] 7f..-7f.. r--p, [vdso] ..." into buf. */
static const char *
sp_fmt(const struct sp_set *s, char *buf, size_t len)
{
	size_t off = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < s->n && off < len; i++) {
		int w = snprintf(buf + off, len - off, "%s%s %#jx-%#jx %s",
		    i ? ", " : "", s->m[i].name, (uintmax_t)s->m[i].start,
		    (uintmax_t)s->m[i].end, s->m[i].perms);

		if (w < 0)
			break;
		off += (size_t)w;
	}
	if (s->n == 0)
		snprintf(buf, len, "none");
	return buf;
}

static bool
sp_equal(const struct sp_set *a, const struct sp_set *b)
{
	if (a->n != b->n)
		return false;
	for (size_t i = 0; i < a->n; i++)
		if (a->m[i].start != b->m[i].start ||
		    a->m[i].end != b->m[i].end ||
		    strcmp(a->m[i].perms, b->m[i].perms) != 0 ||
		    strcmp(a->m[i].name, b->m[i].name) != 0)
			return false;
	return true;
}

/* ------------------------------------------------------------------ */
/* Parent side: finding the mappings, skips.                           */

static void
sp_get(struct sp_set *s)
{
	ATF_REQUIRE_MSG(sp_scan(s), "cannot read or parse /proc/self/maps "
	    "(or more than %d special mappings in it)", SP_MAX);
}

/* Whether smaps VmFlags show the mapping sealed (mseal, "sl"). */
static bool
sp_sealed(const struct sp *m, char *flags, size_t len)
{
	return mc_smaps_vmflags_try((void *)m->start, flags, len) &&
	    mc_has_vmflag(flags, "sl");
}

/* The mapping called name: skip when there is none or it is sealed. */
static const struct sp *
sp_require(const struct sp_set *s, const char *name)
{
	const struct sp *m = sp_find(s, name);
	char flags[256], buf[512];

	if (m == NULL)
		atf_tc_skip("no %s mapping in /proc/self/maps (no vDSO for "
		    "this ABI, vdso=0, or an emulator such as gVisor or "
		    "qemu-user with another layout); special mappings seen: "
		    "%s", name, sp_fmt(s, buf, sizeof(buf)));
	if (sp_sealed(m, flags, sizeof(flags)))
		atf_tc_skip("%s is sealed (smaps VmFlags \"%s\" show sl: "
		    "CONFIG_MSEAL_SYSTEM_MAPPINGS, Documentation/userspace-api/"
		    "mseal.rst): the kernel refuses to move, resize, split or "
		    "unmap it with EPERM by design", name, flags);
	return m;
}

/*
 * The special mappings of at least two pages that a case may try to split:
 * not sealed, and on 32-bit x86 not the [vdso] (glibc enters every system
 * call there through __kernel_vsyscall, so a kernel that wrongly let a
 * piece go would crash the child before it could report). Skips when none.
 */
static void
sp_splittable(const struct sp_set *s, struct sp_set *out)
{
	char flags[256], buf[512];

	out->n = 0;
	for (size_t i = 0; i < s->n; i++) {
		if (sp_len(&s->m[i]) < 2 * mc_pagesize())
			continue;
		if (sp_sealed(&s->m[i], flags, sizeof(flags)))
			continue;
#if defined(__i386__)
		if (strcmp(s->m[i].name, "[vdso]") == 0)
			continue;
#endif
		out->m[out->n++] = s->m[i];
	}
	if (out->n == 0)
		atf_tc_skip("no unsealed special mapping of two pages or more "
		    "to split here; special mappings seen: %s",
		    sp_fmt(s, buf, sizeof(buf)));
}

/*
 * Moving the [vdso] away from glibc on 32-bit x86 leaves the process
 * without system calls: glibc makes every one through __kernel_vsyscall
 * at the address it got in AT_SYSINFO.
 */
static void
skip_if_syscalls_use_vdso(void)
{
#if defined(__i386__)
	atf_tc_skip("32-bit x86: glibc enters every system call through the "
	    "vDSO's __kernel_vsyscall (AT_SYSINFO), so a process that moved "
	    "its [vdso] could not report back");
#endif
}

/* ------------------------------------------------------------------ */
/* Child side: a verdict sent through the pipe.                        */

enum { V_PASS, V_FAIL, V_SKIP };
struct verdict {
	int32_t kind;
	char msg[2040];
};

/* Record the first non-pass verdict (printf-style message). */
static void __attribute__((format(printf, 3, 4)))
vset(struct verdict *v, int kind, const char *fmt, ...)
{
	va_list ap;

	if (v->kind != V_PASS)
		return;
	v->kind = kind;
	va_start(ap, fmt);
	vsnprintf(v->msg, sizeof(v->msg), fmt, ap);
	va_end(ap);
}

/* In a child body: fail the verdict and return unless cond holds. */
#define VREQ(v, cond, ...)                                                 \
	do {                                                               \
		if (!(cond)) {                                             \
			vset((v), V_FAIL, __VA_ARGS__);                    \
			return;                                            \
		}                                                          \
	} while (0)

typedef void (*child_body)(struct verdict *v, const void *arg);
struct child_job {
	child_body body;
	const void *arg;
};

static int
child_main(struct mc_child *self, void *arg)
{
	const struct child_job *j = arg;
	static struct verdict v;

	memset(&v, 0, sizeof(v));
	j->body(&v, j->arg);
	mc_send(self, &v, sizeof(v)); /* a plain write(2) */
	return 0;
}

/*
 * Run body(v, arg) in a child, wait (bounded) for its verdict and reap it;
 * then pass, skip or fail the case with the child's message.
 */
static void
run_in_child(child_body body, const void *arg)
{
	struct child_job j = { body, arg };
	static struct verdict v;
	struct mc_child ch;

	memset(&v, 0, sizeof(v));
	mc_spawn(&ch, child_main, &j);
	mc_expect(&ch, &v, sizeof(v), "verdict");
	mc_reap_ok(&ch);
	if (v.kind == V_SKIP)
		atf_tc_skip("%s", v.msg);
	ATF_REQUIRE_MSG(v.kind == V_PASS, "%s", v.msg);
}

/* A PROT_NONE placeholder of n pages for a child's mremap target. */
static unsigned char *
placeholder(size_t n)
{
	void *p = mmap(NULL, n * mc_pagesize(), PROT_NONE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

/* ------------------------------------------------------------------ */
/* SPECIAL-1: the whole [vdso] moves.                                  */

struct move_arg {
	struct sp_set before;
	struct sp vdso;
};

static void
body_vdso_move(struct verdict *v, const void *argp)
{
	const struct move_arg *a = argp;
	size_t ps = mc_pagesize(), len = sp_len(&a->vdso);
	unsigned char *old = (unsigned char *)a->vdso.start;
	unsigned char *copy, *ph, *target;
	static struct mc_maps_ent e;
	struct sp_set after;
	const struct sp *nv;
	struct mc_fault f;
	char buf[1024];
	size_t elf;
	void *r;

	copy = mmap(NULL, len, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	VREQ(v, copy != MAP_FAILED, "mmap of a %zu-byte buffer: %s", len,
	    strerror(errno));
	memcpy(copy, old, len);
	ph = placeholder(len / ps + 2);
	VREQ(v, ph != NULL, "mmap of a placeholder: %s", strerror(errno));
	target = ph + ps;
	errno = 0;
	r = mremap(old, len, len, MREMAP_MAYMOVE | MREMAP_FIXED, target);
	VREQ(v, r == target, "mremap([vdso] %p, %zu, %zu, MAYMOVE|FIXED, %p): "
	    "expected %p, got %p/errno %s", (void *)old, len, len,
	    (void *)target, (void *)target, r, mc_errname(errno));
	VREQ(v, sp_scan(&after), "cannot read /proc/self/maps after the "
	    "move");
	nv = sp_find(&after, "[vdso]");
	VREQ(v, nv != NULL && nv->start == (uintptr_t)target &&
	    nv->end == (uintptr_t)target + len &&
	    strcmp(nv->perms, a->vdso.perms) == 0 &&
	    sp_count(&after, "[vdso]") == 1, "after moving the [vdso] "
	    "(%zu bytes, %s) from %p to %p, expected one [vdso] %p-%p with "
	    "the same permissions; special mappings now: %s", len,
	    a->vdso.perms, (void *)old, (void *)target, (void *)target,
	    (void *)(target + len), sp_fmt(&after, buf, sizeof(buf)));
	VREQ(v, !mc_maps_entry_try(old, &e), "the old [vdso] address %p is "
	    "still mapped after the move: \"%s\"", (void *)old, e.line);
	for (size_t i = 0; i < a->before.n; i++) {
		const struct sp *m = &a->before.m[i];
		const struct sp *n = sp_find(&after, m->name);

		if (strcmp(m->name, "[vdso]") == 0)
			continue;
		VREQ(v, n != NULL && n->start == m->start && n->end == m->end,
		    "moving the [vdso] moved or changed %s (was %#jx-%#jx): "
		    "special mappings now: %s", m->name, (uintmax_t)m->start,
		    (uintmax_t)m->end, sp_fmt(&after, buf, sizeof(buf)));
	}
	for (size_t off = 0; off < len; off += ps) {
		f = mc_touch(target + off, MC_READ);
		VREQ(v, f.signo == 0, "reading the moved [vdso] at %p: %s/%s, "
		    "expected no fault", (void *)(target + off),
		    mc_signame(f.signo), mc_codename(f.signo, f.code));
	}
	/*
	 * The vDSO is an ELF image (vdso(7)): its pages from the ELF header
	 * on never change. (Some kernels, e.g. powerpc before 5.11, put a
	 * data page that changes with the time before it in the mapping.)
	 */
	for (elf = 0; elf < len; elf += ps)
		if (memcmp(copy + elf, ELFMAG, SELFMAG) == 0)
			break;
	VREQ(v, elf < len, "no page of the [vdso] %p-%p starts with an ELF "
	    "header", (void *)old, (void *)(old + len));
	for (size_t i = elf; i < len; i++)
		VREQ(v, target[i] == copy[i], "the moved [vdso] differs from "
		    "the original at byte %zu: %#x, was %#x", i, target[i],
		    copy[i]);
	f = mc_touch(old, MC_READ);
	VREQ(v, f.signo == SIGSEGV && f.code == SEGV_MAPERR, "reading the "
	    "old [vdso] address %p after the move: expected SIGSEGV/"
	    "SEGV_MAPERR, got %s/%s", (void *)old, mc_signame(f.signo),
	    mc_codename(f.signo, f.code));
}

MC_TC(vdso_mremap_moves_whole_mapping, "SPECIAL-1",
    "mremap(MREMAP_MAYMOVE|MREMAP_FIXED) of the whole [vdso] to a free "
    "address succeeds: /proc/self/maps shows one [vdso] there with the same "
    "size, permissions and ELF image bytes, the old address is unmapped, "
    "the other special mappings stay")
{
	struct move_arg a;

	skip_if_syscalls_use_vdso();
	sp_get(&a.before);
	a.vdso = *sp_require(&a.before, "[vdso]");
	mc_require_readable((void *)a.vdso.start, sp_len(&a.vdso),
	    "the [vdso] before the move");
	run_in_child(body_vdso_move, &a);
}

/* ------------------------------------------------------------------ */
/* SPECIAL-2: [vvar] and [vdso] moved together: the vDSO still works.  */

typedef int (*clock_gettime_fn)(clockid_t, struct timespec *);

/*
 * The number of dynamic symbols of a DT_GNU_HASH table (arm64 vDSOs have
 * no DT_HASH): one past the highest symbol a bucket's chain reaches (the
 * table's layout: nbuckets, symoffset, bloom words, buckets, chains whose
 * last entry has bit 0 set). 0 when the table runs past end.
 */
static ElfW(Word)
gnu_hash_nsyms(const ElfW(Word) *gh, uintptr_t end)
{
	ElfW(Word) nb = gh[0], off = gh[1], top = 0;
	const ElfW(Word) *buckets = gh + 4 +
	    gh[2] * (sizeof(ElfW(Addr)) / sizeof(ElfW(Word)));
	const ElfW(Word) *chain = buckets + nb;

	if ((uintptr_t)chain > end)
		return 0;
	for (ElfW(Word) i = 0; i < nb; i++)
		if (buckets[i] > top)
			top = buckets[i];
	if (top < off)
		return off;
	while ((uintptr_t)(chain + (top - off) + 1) <= end &&
	    (chain[top - off] & 1) == 0)
		top++;
	return top + 1;
}

/*
 * Offset from the start of the vDSO image at base (len bytes) of the
 * function symbol name, found through the dynamic symbol table as
 * Documentation/vDSO/parse_vdso.c does (DT_SYMTAB, DT_STRTAB, and DT_HASH
 * or DT_GNU_HASH for the number of symbols). False with why when not
 * found.
 */
static bool
vdso_sym(uintptr_t base, size_t len, const char *name, size_t *off,
    const char **why)
{
	const ElfW(Ehdr) *eh = (const void *)base;
	const ElfW(Phdr) *ph;
	const ElfW(Dyn) *dyn = NULL;
	const ElfW(Sym) *symtab = NULL;
	const char *strtab = NULL;
	const ElfW(Word) *hash = NULL, *gnu = NULL;
	uintptr_t load = 0;
	ElfW(Word) nsyms;
	bool have_load = false;

	if (len < sizeof(*eh) || memcmp(eh->e_ident, ELFMAG, SELFMAG) != 0) {
		*why = "the [vdso] does not start with an ELF header";
		return false;
	}
	if (eh->e_phoff + (size_t)eh->e_phnum * sizeof(*ph) > len) {
		*why = "the [vdso]'s program headers lie outside it";
		return false;
	}
	ph = (const void *)(base + eh->e_phoff);
	for (size_t i = 0; i < eh->e_phnum; i++) {
		if (ph[i].p_type == PT_LOAD && !have_load) {
			load = base + ph[i].p_offset - ph[i].p_vaddr;
			have_load = true;
		} else if (ph[i].p_type == PT_DYNAMIC &&
		    ph[i].p_offset < len) {
			dyn = (const void *)(base + ph[i].p_offset);
		}
	}
	if (!have_load || dyn == NULL) {
		*why = "the [vdso] has no PT_LOAD or no PT_DYNAMIC";
		return false;
	}
	for (; dyn->d_tag != DT_NULL && (uintptr_t)(dyn + 1) <= base + len;
	    dyn++) {
		if (dyn->d_tag == DT_STRTAB)
			strtab = (const char *)(load + dyn->d_un.d_ptr);
		else if (dyn->d_tag == DT_SYMTAB)
			symtab = (const void *)(load + dyn->d_un.d_ptr);
		else if (dyn->d_tag == DT_HASH)
			hash = (const void *)(load + dyn->d_un.d_ptr);
		else if (dyn->d_tag == DT_GNU_HASH)
			gnu = (const void *)(load + dyn->d_un.d_ptr);
	}
	if (strtab == NULL || symtab == NULL || (hash == NULL && gnu == NULL)) {
		*why = "the [vdso] has no DT_STRTAB, DT_SYMTAB, or neither "
		    "DT_HASH nor DT_GNU_HASH";
		return false;
	}
	nsyms = hash != NULL ? hash[1] : gnu_hash_nsyms(gnu, base + len);
	for (ElfW(Word) i = 0; i < nsyms; i++) {
		const ElfW(Sym) *s = &symtab[i];

		if ((uintptr_t)(s + 1) > base + len)
			break;
		if (s->st_shndx == SHN_UNDEF ||
		    ELF64_ST_TYPE(s->st_info) != STT_FUNC)
			continue;
		if ((uintptr_t)(strtab + s->st_name) >= base + len)
			continue;
		if (strcmp(strtab + s->st_name, name) == 0) {
			*off = load + s->st_value - base;
			if (*off >= len) {
				*why = "the symbol lies outside the [vdso]";
				return false;
			}
			return true;
		}
	}
	*why = "no such function symbol in the [vdso]";
	return false;
}

/*
 * The offset of the vDSO's clock_gettime (its name: __vdso_clock_gettime
 * on x86, __kernel_clock_gettime on arm64 and powerpc) in the [vdso];
 * skips the case when it cannot be found.
 */
static void
vdso_clock_fn(const struct sp *vdso, size_t *off, const char **name)
{
	static const char *const fns[] = { "__vdso_clock_gettime",
		"__kernel_clock_gettime" };
	const char *why = "";

	mc_require_readable((void *)vdso->start, sp_len(vdso), "the [vdso]");
	for (size_t i = 0; i < sizeof(fns) / sizeof(fns[0]); i++) {
		*name = fns[i];
		if (vdso_sym(vdso->start, sp_len(vdso), fns[i], off, &why))
			return;
	}
	atf_tc_skip("cannot find __vdso_clock_gettime or "
	    "__kernel_clock_gettime in the [vdso]: %s", why);
}

struct block_arg {
	struct sp_set block; /* the special mappings, adjacent, in order */
	size_t fn_off;       /* clock_gettime's offset in the [vdso] */
	const char *fn_name;
};

static sigjmp_buf call_jmp;
static volatile sig_atomic_t call_sig;

static void
call_handler(int sig)
{
	call_sig = sig;
	siglongjmp(call_jmp, 1);
}

/* fn(CLOCK_MONOTONIC, ts); *sig: the signal it raised, 0 if none. */
static int
call_guarded(clock_gettime_fn fn, struct timespec *ts, int *sig)
{
	struct sigaction sa, os, ob, oi;
	int r = -1;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = call_handler;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_NODEFER;
	sigaction(SIGSEGV, &sa, &os);
	sigaction(SIGBUS, &sa, &ob);
	sigaction(SIGILL, &sa, &oi);
	call_sig = 0;
	if (sigsetjmp(call_jmp, 1) == 0)
		r = fn(CLOCK_MONOTONIC, ts);
	sigaction(SIGSEGV, &os, NULL);
	sigaction(SIGBUS, &ob, NULL);
	sigaction(SIGILL, &oi, NULL);
	*sig = call_sig;
	return r;
}

static bool
ts_le(const struct timespec *a, const struct timespec *b)
{
	return a->tv_sec < b->tv_sec ||
	    (a->tv_sec == b->tv_sec && a->tv_nsec <= b->tv_nsec);
}

static void
body_block_move(struct verdict *v, const void *argp)
{
	const struct block_arg *a = argp;
	size_t ps = mc_pagesize();
	uintptr_t b0 = a->block.m[0].start;
	uintptr_t span = a->block.m[a->block.n - 1].end - b0;
	unsigned char *ph, *nb, *vdso = NULL;
	static struct mc_maps_ent e;
	struct timespec t1, t2, tv;
	struct sp_set after;
	clock_gettime_fn fn;
	char buf[1024];
	int r, sig;

	ph = placeholder(span / ps + 2);
	VREQ(v, ph != NULL, "mmap of a placeholder: %s", strerror(errno));
	nb = ph + ps;
	for (size_t i = 0; i < a->block.n; i++) {
		const struct sp *m = &a->block.m[i];
		unsigned char *to = nb + (m->start - b0);
		void *q;

		errno = 0;
		q = mremap((void *)m->start, sp_len(m), sp_len(m),
		    MREMAP_MAYMOVE | MREMAP_FIXED, to);
		VREQ(v, q == to, "mremap(%s %#jx, %zu, MAYMOVE|FIXED, %p): "
		    "expected %p, got %p/errno %s", m->name,
		    (uintmax_t)m->start, sp_len(m), (void *)to, (void *)to,
		    q, mc_errname(errno));
		if (strcmp(m->name, "[vdso]") == 0)
			vdso = to;
	}
	VREQ(v, sp_scan(&after), "cannot read /proc/self/maps after the "
	    "moves");
	VREQ(v, after.n == a->block.n, "after moving them, %zu special "
	    "mappings, expected %zu: %s", after.n, a->block.n,
	    sp_fmt(&after, buf, sizeof(buf)));
	for (size_t i = 0; i < a->block.n; i++) {
		const struct sp *m = &a->block.m[i];
		uintptr_t to = (uintptr_t)nb + (m->start - b0);

		VREQ(v, strcmp(after.m[i].name, m->name) == 0 &&
		    after.m[i].start == to &&
		    after.m[i].end == to + sp_len(m), "expected %s at "
		    "%#jx-%#jx after the moves; special mappings now: %s",
		    m->name, (uintmax_t)to, (uintmax_t)(to + sp_len(m)),
		    sp_fmt(&after, buf, sizeof(buf)));
		VREQ(v, !mc_maps_entry_try((void *)m->start, &e), "the old "
		    "address %#jx of %s is still mapped: \"%s\"",
		    (uintmax_t)m->start, m->name, e.line);
	}
	fn = (clock_gettime_fn)(uintptr_t)(vdso + a->fn_off);
	VREQ(v, syscall(SYS_clock_gettime, CLOCK_MONOTONIC, &t1) == 0,
	    "clock_gettime system call: %s", strerror(errno));
	r = call_guarded(fn, &tv, &sig);
	VREQ(v, syscall(SYS_clock_gettime, CLOCK_MONOTONIC, &t2) == 0,
	    "clock_gettime system call: %s", strerror(errno));
	VREQ(v, sig == 0, "calling %s of the moved [vdso] at %p raised %s: "
	    "the vDSO does not find its data at the moved [vvar]", a->fn_name,
	    (void *)fn, mc_signame(sig));
	VREQ(v, r == 0, "%s(CLOCK_MONOTONIC) of the moved [vdso] returned %d, "
	    "expected 0", a->fn_name, r);
	VREQ(v, ts_le(&t1, &tv) && ts_le(&tv, &t2), "%s(CLOCK_MONOTONIC) of "
	    "the moved [vdso] read %jd.%09ld, expected a time between the "
	    "system call's %jd.%09ld before and %jd.%09ld after it",
	    a->fn_name, (intmax_t)tv.tv_sec, (long)tv.tv_nsec,
	    (intmax_t)t1.tv_sec, (long)t1.tv_nsec, (intmax_t)t2.tv_sec,
	    (long)t2.tv_nsec);
}

MC_TC(vdso_works_after_moving_with_vvar, "SPECIAL-2",
    "Moving every special mapping ([vvar], [vvar_vclock], [vdso]) with "
    "mremap to a free range, keeping their layout, leaves a working vDSO: "
    "its clock_gettime at the new address reads CLOCK_MONOTONIC through "
    "the moved [vvar], within the system call's readings around it")
{
	struct block_arg a;
	struct sp_set all;
	const struct sp *vdso;
	char buf[1024];

	skip_if_syscalls_use_vdso();
#if !defined(SYS_clock_gettime)
	atf_tc_skip("no clock_gettime system call number in this ABI");
#endif
	sp_get(&all);
	vdso = sp_require(&all, "[vdso]");
	(void)sp_require(&all, "[vvar]");
	for (size_t i = 0; i < all.n; i++)
		(void)sp_require(&all, all.m[i].name);
	for (size_t i = 0; i + 1 < all.n; i++)
		if (all.m[i].end != all.m[i + 1].start)
			atf_tc_skip("the special mappings are not adjacent, so "
			    "their layout is not the vDSO's link-time one: %s",
			    sp_fmt(&all, buf, sizeof(buf)));
	vdso_clock_fn(vdso, &a.fn_off, &a.fn_name);
	a.block = all;
	run_in_child(body_block_move, &a);
}

/* ------------------------------------------------------------------ */
/* SPECIAL-3..5: no split by munmap, mprotect or mremap.               */

/*
 * After one of the calls that would split m succeeded: the skip for
 * kernels before 5.11 (the child's mappings are then damaged: it stops).
 */
static void
split_allowed(struct verdict *v, const char *call, const struct sp *m)
{
	vset(v, V_SKIP, "%s of part of %s %#jx-%#jx succeeded: this kernel "
	    "lets a special mapping be split (Linux before 5.11, without "
	    "commit 871402e05b24 \"mm: forbid splitting special mappings\", "
	    "or an emulator)", call, m->name, (uintmax_t)m->start, (uintmax_t)m->end);
}

/*
 * The calls that must fail with EINVAL: r and e are the result and errno
 * of call (on part of m, at addr). Returns false (verdict set) otherwise.
 */
static bool
split_refused(struct verdict *v, long r, int e, const char *call,
    const struct sp *m, uintptr_t addr)
{
	if (r == 0) {
		split_allowed(v, call, m);
		return false;
	}
	if (r != -1 || e != EINVAL) {
		vset(v, V_FAIL, "%s of the page at %#jx of %s %#jx-%#jx: "
		    "expected -1/EINVAL (special mappings cannot be split), "
		    "got %ld/errno %s", call, (uintmax_t)addr, m->name,
		    (uintmax_t)m->start, (uintmax_t)m->end, r, mc_errname(e));
		return false;
	}
	return true;
}

/* Require the special mappings to be what before says. */
static void
require_unchanged(struct verdict *v, const struct sp_set *before,
    const char *after_what)
{
	struct sp_set now;
	char b1[1024], b2[1024];

	if (!sp_scan(&now)) {
		vset(v, V_FAIL, "cannot read /proc/self/maps after %s",
		    after_what);
		return;
	}
	if (!sp_equal(before, &now))
		vset(v, V_FAIL, "after %s the special mappings changed: were "
		    "%s, now %s", after_what, sp_fmt(before, b1, sizeof(b1)),
		    sp_fmt(&now, b2, sizeof(b2)));
}

/* The calls SPECIAL-3, -4 and -5 try on a page of a special mapping. */
enum split_call { SPLIT_MUNMAP, SPLIT_MPROTECT_NONE, SPLIT_MREMAP };

struct split_arg {
	struct sp_set all; /* every special mapping, to compare */
	struct sp_set try; /* those to split */
	enum split_call call;
};

/* SPECIAL-3, SPECIAL-4: munmap or mprotect a's first and last pages. */
static void
body_split_part(struct verdict *v, const void *argp)
{
	const struct split_arg *a = argp;
	size_t ps = mc_pagesize();
	bool unmap = a->call == SPLIT_MUNMAP;
	const char *call = unmap ? "munmap" : "mprotect(PROT_NONE)";

	for (size_t i = 0; i < a->try.n; i++) {
		const struct sp *m = &a->try.m[i];
		uintptr_t at[2] = { m->start, m->end - ps };

		for (size_t k = 0; k < 2; k++) {
			long r;
			int e;

			/*
			 * mprotect(PROT_NONE): on a VM_PFNMAP mapping ([vvar])
			 * the kernel first checks every page's PFN (L1TF),
			 * then refuses the split.
			 */
			errno = 0;
			r = unmap ? munmap((void *)at[k], ps) :
			    mprotect((void *)at[k], ps, PROT_NONE);
			e = errno;
			if (!split_refused(v, r, e, call, m, at[k]))
				return;
		}
	}
	require_unchanged(v, &a->all, unmap ? "munmap of their first and last "
	    "pages" : "mprotect(PROT_NONE) of their first and last pages");
}


static void body_mremap_part(struct verdict *v, const void *argp);

/* The special mappings that can be split, tried in a child with call. */
static void
run_split(enum split_call call)
{
	struct split_arg a;

	a.call = call;
	sp_get(&a.all);
	sp_splittable(&a.all, &a.try);
	run_in_child(call == SPLIT_MREMAP ? body_mremap_part : body_split_part,
	    &a);
}

MC_TC(munmap_part_of_special_mapping_refused, "SPECIAL-3",
    "munmap of the first or the last page of a multi-page special mapping "
    "([vvar], [vvar_vclock], [vdso]) fails with EINVAL and the mapping "
    "stays whole")
{
	run_split(SPLIT_MUNMAP);
}

MC_TC(mprotect_part_of_special_mapping_refused, "SPECIAL-4",
    "mprotect(PROT_NONE) of the first or the last page of a multi-page "
    "special mapping fails with EINVAL and the mapping stays whole with "
    "its permissions")
{
	run_split(SPLIT_MPROTECT_NONE);
}

static void
body_mremap_part(struct verdict *v, const void *argp)
{
	const struct split_arg *a = argp;
	size_t ps = mc_pagesize();
	unsigned char *ph = placeholder(3);

	VREQ(v, ph != NULL, "mmap of a placeholder: %s", strerror(errno));
	for (size_t i = 0; i < a->try.n; i++) {
		const struct sp *m = &a->try.m[i];
		uintptr_t at[2] = { m->start, m->end - ps };

		for (size_t k = 0; k < 2; k++) {
			void *q;
			int e;

			errno = 0;
			q = mremap((void *)at[k], ps, ps,
			    MREMAP_MAYMOVE | MREMAP_FIXED, ph + ps);
			e = errno;
			/*
			 * EINVAL on every kernel (the kernel's selftest
			 * x86/test_mremap_vdso.c relies on it): before 5.11
			 * the mremap hooks of [vdso] and [vvar] checked the
			 * moved size, since then may_split refuses first.
			 */
			VREQ(v, q == MAP_FAILED && e == EINVAL, "mremap(%#jx, "
			    "1 page, MAYMOVE|FIXED, %p), a page of %s "
			    "%#jx-%#jx: expected MAP_FAILED/EINVAL (a special "
			    "mapping cannot be split), got %p/errno %s",
			    (uintmax_t)at[k], (void *)(ph + ps), m->name,
			    (uintmax_t)m->start, (uintmax_t)m->end, q,
			    mc_errname(e));
		}
	}
	require_unchanged(v, &a->all, "mremap of their first and last pages "
	    "elsewhere");
}

MC_TC(mremap_part_of_special_mapping_refused, "SPECIAL-5",
    "mremap(MREMAP_MAYMOVE|MREMAP_FIXED) of the first or the last page of "
    "a multi-page special mapping to a free address fails with EINVAL and "
    "the mapping stays whole where it was")
{
	run_split(SPLIT_MREMAP);
}

/* ------------------------------------------------------------------ */
/* SPECIAL-6: no resizing.                                             */

struct resize_arg {
	struct sp_set all;
	struct sp_set grow;   /* every unsealed special mapping */
	struct sp_set shrink; /* those of two pages or more */
};

static void
body_resize(struct verdict *v, const void *argp)
{
	const struct resize_arg *a = argp;
	size_t ps = mc_pagesize();

	for (size_t i = 0; i < a->grow.n; i++) {
		const struct sp *m = &a->grow.m[i];
		static const int flags[2] = { 0, MREMAP_MAYMOVE };

		for (size_t k = 0; k < 2; k++) {
			void *q;
			int e;

			errno = 0;
			q = mremap((void *)m->start, sp_len(m),
			    sp_len(m) + ps, flags[k]);
			e = errno;
			VREQ(v, q == MAP_FAILED && e == EFAULT, "mremap(%s "
			    "%#jx, %zu, %zu, %s): expected MAP_FAILED/EFAULT "
			    "(VM_DONTEXPAND), got %p/errno %s", m->name,
			    (uintmax_t)m->start, sp_len(m), sp_len(m) + ps,
			    k ? "MREMAP_MAYMOVE" : "0", q, mc_errname(e));
		}
	}
	require_unchanged(v, &a->all, "mremap growing them");
	if (v->kind != V_PASS)
		return;
	for (size_t i = 0; i < a->shrink.n; i++) {
		const struct sp *m = &a->shrink.m[i];
		void *q;
		int e;

		errno = 0;
		q = mremap((void *)m->start, sp_len(m), sp_len(m) - ps, 0);
		e = errno;
		if (q == (void *)m->start) {
			vset(v, V_SKIP, "growing the %zu special mappings "
			    "marked de failed with EFAULT as expected, but "
			    "mremap shrinking %s %#jx-%#jx by a page in place "
			    "succeeded: this kernel lets a special mapping be "
			    "split (Linux before 5.11, without commit "
			    "871402e05b24 \"mm: forbid splitting special "
			    "mappings\", or an emulator)", a->grow.n, m->name,
			    (uintmax_t)m->start, (uintmax_t)m->end);
			return;
		}
		VREQ(v, q == MAP_FAILED && e == EINVAL, "mremap(%s %#jx, %zu, "
		    "%zu, 0) shrinking it in place: expected MAP_FAILED/EINVAL "
		    "(a special mapping cannot be split), got %p/errno %s",
		    m->name, (uintmax_t)m->start, sp_len(m), sp_len(m) - ps, q,
		    mc_errname(e));
	}
	require_unchanged(v, &a->all, "mremap shrinking them");
}

MC_TC(special_mapping_cannot_be_resized, "SPECIAL-6",
    "A special mapping marked de in smaps VmFlags (do not expand on "
    "remapping; the kernel marks every one) cannot grow: mremap growing it "
    "fails with EFAULT, with or without MREMAP_MAYMOVE; shrinking a "
    "multi-page one in place fails with EINVAL; the mappings stay as they "
    "were")
{
	struct resize_arg a;
	char flags[256], buf[1024], seen[1024] = "";
	size_t off = 0;

	sp_get(&a.all);
	a.grow.n = a.shrink.n = 0;
	for (size_t i = 0; i < a.all.n; i++) {
		const struct sp *m = &a.all.m[i];

		if (sp_sealed(m, flags, sizeof(flags)))
			continue;
#if defined(__i386__)
		if (strcmp(m->name, "[vdso]") == 0)
			continue;
#endif
		mc_smaps_vmflags((void *)m->start, flags, sizeof(flags));
		if (off < sizeof(seen))
			off += (size_t)snprintf(seen + off, sizeof(seen) - off,
			    "%s%s VmFlags \"%s\"", off ? ", " : "", m->name,
			    flags);
		/*
		 * Only de documents that a mapping cannot grow (proc(5));
		 * an emulator's imitation of these mappings (gVisor's
		 * [vvar]) may lack it.
		 */
		if (mc_has_vmflag(flags, "de"))
			a.grow.m[a.grow.n++] = *m;
		if (sp_len(m) >= 2 * mc_pagesize())
			a.shrink.m[a.shrink.n++] = *m;
	}
	if (a.grow.n == 0 && a.shrink.n == 0)
		atf_tc_skip("no unsealed special mapping marked de or of two "
		    "pages or more to resize; special mappings seen: %s (%s)",
		    sp_fmt(&a.all, buf, sizeof(buf)), off ? seen : "none "
		    "unsealed");
	run_in_child(body_resize, &a);
}

/* ------------------------------------------------------------------ */
/* SPECIAL-7: mprotect(PROT_NONE) of the PFN-mapped [vvar].            */

struct vvar_arg {
	struct sp vvar;
	uintptr_t page; /* a page of it that reads without a fault */
};

static void
body_vvar_prot_none(struct verdict *v, const void *argp)
{
	const struct vvar_arg *a = argp;
	void *start = (void *)a->vvar.start, *page = (void *)a->page;
	static struct mc_maps_ent e;
	struct mc_fault f;

	errno = 0;
	VREQ(v, mprotect(start, sp_len(&a->vvar), PROT_NONE) == 0,
	    "mprotect([vvar] %p, %zu, PROT_NONE): expected 0, got -1/errno %s",
	    start, sp_len(&a->vvar), mc_errname(errno));
	VREQ(v, mc_maps_entry_try(start, &e) && e.start == a->vvar.start &&
	    e.end == a->vvar.end && strcmp(e.perms, "---p") == 0,
	    "after mprotect(PROT_NONE) expected [vvar] %p-%#jx ---p, "
	    "/proc/self/maps says \"%s\"", start, (uintmax_t)a->vvar.end,
	    e.line);
	f = mc_touch(page, MC_READ);
	VREQ(v, f.signo == SIGSEGV && f.code == SEGV_ACCERR, "reading the "
	    "[vvar] page %p after mprotect(PROT_NONE): expected SIGSEGV/"
	    "SEGV_ACCERR, got %s/%s", page, mc_signame(f.signo),
	    mc_codename(f.signo, f.code));
	errno = 0;
	VREQ(v, mprotect(start, sp_len(&a->vvar), PROT_READ) == 0,
	    "mprotect([vvar] %p, %zu, PROT_READ): expected 0, got -1/errno %s",
	    start, sp_len(&a->vvar), mc_errname(errno));
	VREQ(v, mc_maps_entry_try(start, &e) && strcmp(e.perms, "r--p") == 0,
	    "after mprotect(PROT_READ) expected [vvar] r--p, /proc/self/maps "
	    "says \"%s\"", e.line);
	f = mc_touch(page, MC_READ);
	VREQ(v, f.signo == 0, "reading the [vvar] page %p after "
	    "mprotect(PROT_READ): expected no fault, got %s/%s", page,
	    mc_signame(f.signo), mc_codename(f.signo, f.code));
}

MC_TC(vvar_prot_none_faults_and_prot_read_restores, "SPECIAL-7",
    "mprotect(PROT_NONE) of the whole [vvar], a PFN mapping (smaps VmFlags "
    "pf), succeeds; a read of it then raises SIGSEGV/SEGV_ACCERR; "
    "mprotect(PROT_READ) makes it readable again")
{
	struct sp_set all;
	struct vvar_arg a;
	char flags[256];
	bool found = false;

	sp_get(&all);
	a.vvar = *sp_require(&all, "[vvar]");
	mc_smaps_vmflags((void *)a.vvar.start, flags, sizeof(flags));
	if (!mc_has_vmflag(flags, "pf") && !mc_has_vmflag(flags, "mm"))
		atf_tc_skip("the [vvar] is not a PFN mapping here: smaps "
		    "VmFlags \"%s\" show neither pf (VM_PFNMAP) nor mm "
		    "(VM_MIXEDMAP)", flags);
	ATF_REQUIRE_MSG(strcmp(a.vvar.perms, "r--p") == 0, "[vvar] %#jx-%#jx: "
	    "expected permissions r--p, /proc/self/maps shows %s",
	    (uintmax_t)a.vvar.start, (uintmax_t)a.vvar.end, a.vvar.perms);
	/* Its pages the vDSO does not use raise SIGBUS: find one it does. */
	for (uintptr_t p = a.vvar.start; p < a.vvar.end && !found;
	    p += mc_pagesize()) {
		if (mc_touch((void *)p, MC_READ).signo == 0) {
			a.page = p;
			found = true;
		}
	}
	if (!found)
		atf_tc_skip("no page of the [vvar] %#jx-%#jx reads without a "
		    "fault here", (uintmax_t)a.vvar.start,
		    (uintmax_t)a.vvar.end);
	run_in_child(body_vvar_prot_none, &a);
}

/* ------------------------------------------------------------------ */
/* SPECIAL-8: the [vvar] of a process in a new time namespace.         */

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080 /* include/uapi/linux/sched.h */
#endif
/* The CLOCK_MONOTONIC offset of the new namespace: 10 days. */
#define TIMENS_OFF_S 864000

struct timens_arg {
	uintptr_t fn; /* the vDSO's clock_gettime */
	const char *fn_name;
};

static uint64_t
ts_ns(const struct timespec *t)
{
	return (uint64_t)t->tv_sec * 1000000000u + (uint64_t)t->tv_nsec;
}

/* In the grandchild: CLOCK_MONOTONIC through the vDSO, in ns; 0: error. */
static uint64_t
grandchild_vdso_monotonic(void *arg)
{
	const struct timens_arg *a = arg;
	clock_gettime_fn fn = (clock_gettime_fn)a->fn;
	struct timespec ts;

	return fn(CLOCK_MONOTONIC, &ts) == 0 ? ts_ns(&ts) : 0;
}

static void
body_timens(struct verdict *v, const void *argp)
{
	const struct timens_arg *a = argp;
	static const char offs[] = "monotonic 864000 0\n";
	struct timespec t1, t2;
	uint64_t tv, lo, hi, off = (uint64_t)TIMENS_OFF_S * 1000000000u;
	const char *how = "unshare(CLONE_NEWTIME)";
	int fd, e;

	errno = 0;
	if (unshare(CLONE_NEWTIME) != 0 && errno == EPERM) {
		/* Without CAP_SYS_ADMIN: in a user namespace of its own. */
		how = "unshare(CLONE_NEWUSER|CLONE_NEWTIME) after "
		    "unshare(CLONE_NEWTIME) failed with EPERM";
		errno = 0;
		(void)unshare(CLONE_NEWUSER | CLONE_NEWTIME);
	}
	e = errno;
	if (e == EINVAL || e == EPERM || e == ENOSPC || e == ENOSYS) {
		vset(v, V_SKIP, "%s: %s (time namespaces, time_namespaces(7), "
		    "are not in this kernel or not allowed here: Seccomp=%d)",
		    how, mc_errname(e), mc_seccomp_mode());
		return;
	}
	VREQ(v, e == 0, "%s: expected 0 or a 'not available' errno, got "
	    "errno %s", how, mc_errname(e));
	fd = open("/proc/self/timens_offsets", O_WRONLY | O_CLOEXEC);
	VREQ(v, fd >= 0, "open(/proc/self/timens_offsets, O_WRONLY) after "
	    "%s: %s", how, mc_errname(errno));
	if (write(fd, offs, sizeof(offs) - 1) != (ssize_t)sizeof(offs) - 1) {
		e = errno;
		close(fd);
		if (e == EPERM) {
			/* time_namespaces(7): needs CAP_SYS_TIME there */
			vset(v, V_SKIP, "write(/proc/self/timens_offsets) "
			    "after %s: EPERM: setting the offsets needs "
			    "CAP_SYS_TIME in the namespace's user namespace, "
			    "which this environment withholds", how);
			return;
		}
		VREQ(v, false, "write(/proc/self/timens_offsets, \"monotonic "
		    "%d 0\"): %s", TIMENS_OFF_S, mc_errname(e));
	}
	close(fd);
	VREQ(v, syscall(SYS_clock_gettime, CLOCK_MONOTONIC, &t1) == 0,
	    "clock_gettime system call: %s", strerror(errno));
	VREQ(v, mc_grandchild_u64(grandchild_vdso_monotonic, (void *)a, &tv),
	    "the grandchild forked into the new time namespace did not "
	    "report its vDSO %s(CLOCK_MONOTONIC) (it crashed or hung)",
	    a->fn_name);
	VREQ(v, syscall(SYS_clock_gettime, CLOCK_MONOTONIC, &t2) == 0,
	    "clock_gettime system call: %s", strerror(errno));
	VREQ(v, tv != 0, "the vDSO's %s(CLOCK_MONOTONIC) failed in the "
	    "grandchild", a->fn_name);
	lo = ts_ns(&t1) + off;
	hi = ts_ns(&t2) + off;
	VREQ(v, lo <= tv && tv <= hi, "in a time namespace with a "
	    "CLOCK_MONOTONIC offset of %d s, the vDSO's %s read %ju ns, "
	    "expected between %ju and %ju (the parent namespace's clock "
	    "before and after, plus the offset): the forked process's [vvar] "
	    "does not show its namespace's page", TIMENS_OFF_S, a->fn_name,
	    (uintmax_t)tv, (uintmax_t)lo, (uintmax_t)hi);
}

MC_TC(vvar_follows_time_namespace, "SPECIAL-8",
    "A process forked into a new time namespace whose CLOCK_MONOTONIC "
    "offset was set through /proc/self/timens_offsets reads, through the "
    "vDSO (which reads [vvar]), the parent's monotonic clock plus the "
    "offset: the kernel gives the forked process's inherited [vvar] its "
    "namespace's data")
{
	struct timens_arg a;
	struct sp_set all;
	const struct sp *vdso;
	size_t off;

#if !defined(SYS_clock_gettime)
	atf_tc_skip("no clock_gettime system call number in this ABI");
#endif
	sp_get(&all);
	vdso = sp_require(&all, "[vdso]");
	(void)sp_require(&all, "[vvar]");
	vdso_clock_fn(vdso, &off, &a.fn_name);
	a.fn = vdso->start + off;
	run_in_child(body_timens, &a);
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, vdso_mremap_moves_whole_mapping);
	ATF_TP_ADD_TC(tp, vdso_works_after_moving_with_vvar);
	ATF_TP_ADD_TC(tp, munmap_part_of_special_mapping_refused);
	ATF_TP_ADD_TC(tp, mprotect_part_of_special_mapping_refused);
	ATF_TP_ADD_TC(tp, mremap_part_of_special_mapping_refused);
	ATF_TP_ADD_TC(tp, special_mapping_cannot_be_resized);
	ATF_TP_ADD_TC(tp, vvar_prot_none_faults_and_prot_read_restores);
	ATF_TP_ADD_TC(tp, vvar_follows_time_namespace);
	return atf_no_error();
}
