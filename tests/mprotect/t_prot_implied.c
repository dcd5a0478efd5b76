/*
 * t_prot_implied: protection the kernel implies or refuses beyond the
 * prot argument.
 *
 * - The READ_IMPLIES_EXEC personality (personality(2): "PROT_READ implies
 *   PROT_EXEC for mmap(2)"; mprotect(2): "If READ_IMPLIES_EXEC is set in
 *   the process's personality flags, specifying PROT_READ will implicitly
 *   add PROT_EXEC"), for anonymous mappings, for mprotect, and not for a
 *   file of a file system mounted noexec (mm/mmap.c do_mmap: "the
 *   exception is when the underlying filesystem is noexec mounted").  Each
 *   case sets the personality in a child, never in the test process.
 * - RLIMIT_DATA and mprotect: since Linux 4.7 RLIMIT_DATA limits the
 *   private writable mappings (getrlimit(2)); commit 84638335900f ("mm:
 *   rework virtual memory accounting") classifies a mapping as data by its
 *   flags, so mprotect that makes a private read-only mapping writable
 *   turns it into data and is refused (ENOMEM) beyond the limit.
 */
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/personality.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statvfs.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mc.h"
#include "mc_code.h"
#include "mc_err.h"
#include "mc_proc.h"

#define RW (PROT_READ | PROT_WRITE)

/* ---- children: results -------------------------------------------------- */

/*
 * What a child saw: the step that failed (0: none) and its errno, values,
 * and permission strings of /proc/self/maps ("none": no mapping).
 */
#define NPERMS 6
struct cres {
	int32_t step;
	int32_t err;
	int64_t v[12];
	char perms[NPERMS][8];
};

/*
 * The permission letters of the mapping holding addr, read from
 * /proc/self/maps without malloc (a child under a low RLIMIT_DATA must not
 * grow its heap): "none" when no mapping holds it, "?" when the file
 * cannot be read.
 */
static void
perms_raw(const void *addr, char out[8])
{
	static char buf[1 << 18];
	char *s, *nl;

	snprintf(out, 8, "?");
	if (!mc_read_small("/proc/self/maps", buf, sizeof(buf)))
		return;
	snprintf(out, 8, "none");
	for (s = buf; s != NULL && *s != '\0'; s = nl) {
		uintptr_t a, b;
		char pr[8];

		nl = strchr(s, '\n');
		if (nl != NULL)
			*nl++ = '\0';
		if (sscanf(s, "%" SCNxPTR "-%" SCNxPTR " %7s", &a, &b, pr) ==
		    3 && a <= (uintptr_t)addr && (uintptr_t)addr < b) {
			snprintf(out, 8, "%s", pr);
			return;
		}
	}
}

/*
 * Steps of the personality children. STEP_PERS: personality() refused
 * READ_IMPLIES_EXEC (err) or accepted it without showing it (err 0).
 */
enum {
	STEP_PERS = 1,
	STEP_MAP = 2,     /* an mmap the case needs failed; v11: which */
	STEP_MPROT = 3,   /* an mprotect the case tests failed; v11: which */
};

/*
 * Set (on) or clear the READ_IMPLIES_EXEC bit of this process's
 * personality; 0, an errno when personality() failed, -1 when the persona
 * read back does not show the change.
 */
static int
set_rie(bool on)
{
	int cur = personality(0xffffffff);

	if (cur == -1)
		return errno;
	if (personality(on ? ((unsigned long)cur | READ_IMPLIES_EXEC) :
	    ((unsigned long)cur & ~(unsigned long)READ_IMPLIES_EXEC)) == -1)
		return errno;
	cur = personality(0xffffffff);
	if (cur == -1 || ((cur & READ_IMPLIES_EXEC) != 0) != on)
		return -1;
	return 0;
}

/*
 * Skip or fail for a personality child's failed step.  Only the mmap and
 * mprotect calls whose index is in skip_maps / skip_mprots (bit i: index
 * i) ask for executable memory, so only their EACCES/EPERM may be a
 * security policy; elsewhere an error fails the case.
 */
static void
require_pers_steps(const struct cres *r, const char *const maps[],
    unsigned skip_maps, const char *const mprots[], unsigned skip_mprots)
{
	bool exec_call = (r->step == STEP_MAP && r->v[11] >= 0 &&
	    r->v[11] < 16 && (skip_maps & (1u << r->v[11]))) ||
	    (r->step == STEP_MPROT && r->v[11] >= 0 && r->v[11] < 16 &&
	    (skip_mprots & (1u << r->v[11])));

	if (r->step == STEP_PERS && r->err == -1)
		atf_tc_skip("personality() accepted READ_IMPLIES_EXEC, but "
		    "personality(0xffffffff) does not show it: the persona "
		    "cannot be set here");
	if (r->step == STEP_PERS && (r->err == EPERM || r->err == EINVAL ||
	    r->err == ENOSYS))
		atf_tc_skip("personality(READ_IMPLIES_EXEC): %s (refused by a "
		    "seccomp filter, e.g. a container's default profile: "
		    "Seccomp=%d)", mc_errname(r->err), mc_seccomp_mode());
	if (exec_call && (r->err == EACCES || r->err == EPERM))
		atf_tc_skip("%s under READ_IMPLIES_EXEC: %s (a security "
		    "policy refuses executable memory: SELinux execmem, "
		    "PR_SET_MDWE)", r->step == STEP_MAP ? maps[r->v[11]] :
		    mprots[r->v[11]], mc_errname(r->err));
	ATF_REQUIRE_MSG(r->step == 0, "child: %s failed: %s",
	    r->step == STEP_PERS ? "personality(READ_IMPLIES_EXEC)" :
	    r->step == STEP_MAP ? maps[r->v[11]] : r->step == STEP_MPROT ?
	    mprots[r->v[11]] : "?", strerror(r->err));
}

/* One permission string of a report against the expected one. */
static void
require_perms(const struct cres *r, int i, const char *want,
    const char *what)
{
	ATF_REQUIRE_MSG(strcmp(r->perms[i], want) == 0, "%s: expected "
	    "/proc/self/maps permissions %s, got %s", what, want,
	    r->perms[i]);
}

/* ---- READ_IMPLIES_EXEC and mmap ----------------------------------------- */

static const char *const rie_maps[] = {
	"mmap(PROT_READ, MAP_PRIVATE|MAP_ANONYMOUS) without the personality",
	"mmap(PROT_READ, MAP_PRIVATE|MAP_ANONYMOUS)",
	"mmap(PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS)",
	"mmap(PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS)",
	"mmap(PROT_NONE, MAP_PRIVATE|MAP_ANONYMOUS)",
	"mmap(PROT_READ, MAP_SHARED|MAP_ANONYMOUS)",
};
static const int rie_map_prot[NPERMS] = { PROT_READ, PROT_READ, RW,
	PROT_WRITE, PROT_NONE, PROT_READ };

/*
 * Maps one page of each kind of rie_maps (the first before setting the
 * personality) into perms[i]; then runs code placed in the read-write one:
 * v0 the code's length (0: none for this architecture), v1/v2 signal and
 * si_code of calling it, v3 its result.
 */
static int
child_rie_mmap(struct mc_child *self, void *arg)
{
	size_t ps = mc_pagesize();
	struct cres r = { 0 };
	unsigned char *m[NPERMS];
	struct mc_fault f;

	(void)arg;
	for (int i = 0; i < NPERMS; i++) {
		if (i == 0 || i == 1) {
			int e = set_rie(i == 1);

			if (e != 0) {
				r.step = STEP_PERS;
				r.err = e;
				mc_send(self, &r, sizeof(r));
				return 0;
			}
		}
		m[i] = mmap(NULL, ps, rie_map_prot[i], MAP_ANONYMOUS |
		    (i == 5 ? MAP_SHARED : MAP_PRIVATE), -1, 0);
		if (m[i] == MAP_FAILED) {
			r.step = STEP_MAP;
			r.err = errno;
			r.v[11] = i;
			mc_send(self, &r, sizeof(r));
			return 0;
		}
		perms_raw(m[i], r.perms[i]);
	}
	r.v[0] = (int64_t)mc_place_code42(m[2]);
	if (r.v[0] != 0) {
		f = mc_touch(m[2], MC_EXEC);
		r.v[1] = f.signo;
		r.v[2] = f.code;
		if (f.signo == 0)
			r.v[3] = mc_call_code(m[2], (size_t)r.v[0]);
	}
	mc_send(self, &r, sizeof(r));
	return 0;
}

MC_TC(rie_mmap_prot_read_adds_exec, "PROTIMP-1",
    "With the READ_IMPLIES_EXEC personality, an anonymous mmap with "
    "PROT_READ (private or shared, with or without PROT_WRITE) is "
    "executable (r-x/rwx in /proc/self/maps, code placed in it runs), "
    "while PROT_WRITE or PROT_NONE alone gain nothing")
{
	struct mc_child ch;
	struct cres r;

	mc_spawn(&ch, child_rie_mmap, NULL);
	mc_expect_last(&ch, &r, sizeof(r), "the READ_IMPLIES_EXEC mmap report");
	require_pers_steps(&r, rie_maps, 0x26, rie_maps, 0);
	require_perms(&r, 0, "r--p", "control: mmap(PROT_READ) of private "
	    "anonymous memory without READ_IMPLIES_EXEC");
	require_perms(&r, 1, "r-xp", "mmap(PROT_READ, MAP_PRIVATE|"
	    "MAP_ANONYMOUS) under READ_IMPLIES_EXEC");
	require_perms(&r, 2, "rwxp", "mmap(PROT_READ|PROT_WRITE, MAP_PRIVATE|"
	    "MAP_ANONYMOUS) under READ_IMPLIES_EXEC");
	require_perms(&r, 3, "-w-p", "mmap(PROT_WRITE, MAP_PRIVATE|"
	    "MAP_ANONYMOUS) under READ_IMPLIES_EXEC (no PROT_READ, nothing "
	    "implied)");
	require_perms(&r, 4, "---p", "mmap(PROT_NONE, MAP_PRIVATE|"
	    "MAP_ANONYMOUS) under READ_IMPLIES_EXEC");
	require_perms(&r, 5, "r-xs", "mmap(PROT_READ, MAP_SHARED|"
	    "MAP_ANONYMOUS) under READ_IMPLIES_EXEC");
	if (r.v[0] == 0)
		atf_tc_skip("the mappings are executable per /proc/self/maps; "
		    "running code from them cannot be proved: "
		    MC_NO_CODE42_REASON);
	ATF_REQUIRE_MSG(r.v[1] == 0, "calling code placed in the "
	    "PROT_READ|PROT_WRITE mapping made under READ_IMPLIES_EXEC: "
	    "expected it to run, got %s/%s", mc_signame((int)r.v[1]),
	    mc_codename((int)r.v[1], (int)r.v[2]));
	ATF_REQUIRE_MSG(r.v[3] == 42, "the code in the mapping returned %jd, "
	    "expected 42", (intmax_t)r.v[3]);
}

/* ---- READ_IMPLIES_EXEC and mprotect ------------------------------------- */

static const char *const rie_mprot_maps[] = {
	"mmap(PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS) of three pages",
};
static const char *const rie_mprots[] = {
	"mprotect(PROT_READ) without the personality",
	"mprotect(PROT_READ)",
	"mprotect(PROT_WRITE)",
	"mprotect(PROT_READ|PROT_WRITE)",
	"mprotect(PROT_NONE)",
};

/*
 * Three read-write pages made before setting the personality: page 0
 * holds code, page 1 is the control (made PROT_READ without the
 * personality), page 2 gets PROT_WRITE.  perms[0] the control after
 * mprotect(PROT_READ) without the personality; under it: perms[1] page 0
 * after mprotect(PROT_READ), perms[2] page 2 after mprotect(PROT_WRITE),
 * perms[3] page 0 after mprotect(PROT_READ|PROT_WRITE), perms[4] page 1
 * after mprotect(PROT_NONE).  v0 the code length, v1/v2 signal and si_code
 * of calling it while page 0 is PROT_READ, v3 its result.
 */
static int
child_rie_mprotect(struct mc_child *self, void *arg)
{
	size_t ps = mc_pagesize();
	struct cres r = { 0 };
	struct mc_fault f;
	unsigned char *p;
	int e;

	(void)arg;
	if ((e = set_rie(false)) != 0) {
		r.step = STEP_PERS;
		r.err = e;
		mc_send(self, &r, sizeof(r));
		return 0;
	}
	p = mmap(NULL, 3 * ps, RW, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED) {
		r.step = STEP_MAP;
		r.err = errno;
		r.v[11] = 0;
		mc_send(self, &r, sizeof(r));
		return 0;
	}
	r.v[0] = (int64_t)mc_place_code42(p);
	/* page and prot of each mprotect; the personality from step 1 on */
	static const struct { int page, prot; } steps[] = {
		{ 1, PROT_READ }, { 0, PROT_READ }, { 2, PROT_WRITE },
		{ 0, RW }, { 1, PROT_NONE },
	};
	for (int i = 0; i < 5; i++) {
		if (i == 1 && (e = set_rie(true)) != 0) {
			r.step = STEP_PERS;
			r.err = e;
			mc_send(self, &r, sizeof(r));
			return 0;
		}
		if (mprotect(p + (size_t)steps[i].page * ps, ps,
		    steps[i].prot) != 0) {
			r.step = STEP_MPROT;
			r.err = errno;
			r.v[11] = i;
			mc_send(self, &r, sizeof(r));
			return 0;
		}
		perms_raw(p + (size_t)steps[i].page * ps, r.perms[i]);
		if (i == 1 && r.v[0] != 0) {
			f = mc_touch(p, MC_EXEC);
			r.v[1] = f.signo;
			r.v[2] = f.code;
			if (f.signo == 0)
				r.v[3] = mc_call_code(p, (size_t)r.v[0]);
		}
	}
	mc_send(self, &r, sizeof(r));
	return 0;
}

MC_TC(rie_mprotect_prot_read_adds_exec, "PROTIMP-2",
    "With the READ_IMPLIES_EXEC personality, mprotect with PROT_READ (with "
    "or without PROT_WRITE) of a private anonymous mapping makes it "
    "executable (r-x/rwx, code in it runs), while mprotect with PROT_WRITE "
    "or PROT_NONE alone does not")
{
	struct mc_child ch;
	struct cres r;

	mc_spawn(&ch, child_rie_mprotect, NULL);
	mc_expect_last(&ch, &r, sizeof(r), "the READ_IMPLIES_EXEC mprotect report");
	require_pers_steps(&r, rie_mprot_maps, 0, rie_mprots, 0x0a);
	require_perms(&r, 0, "r--p", "control: a read-write page after "
	    "mprotect(PROT_READ) without READ_IMPLIES_EXEC");
	require_perms(&r, 1, "r-xp", "a read-write page after "
	    "mprotect(PROT_READ) under READ_IMPLIES_EXEC");
	require_perms(&r, 2, "-w-p", "a read-write page after "
	    "mprotect(PROT_WRITE) under READ_IMPLIES_EXEC");
	require_perms(&r, 3, "rwxp", "that page after "
	    "mprotect(PROT_READ|PROT_WRITE) under READ_IMPLIES_EXEC");
	require_perms(&r, 4, "---p", "a read-only page after "
	    "mprotect(PROT_NONE) under READ_IMPLIES_EXEC");
	if (r.v[0] == 0)
		atf_tc_skip("the page is executable per /proc/self/maps; "
		    "running code from it cannot be proved: "
		    MC_NO_CODE42_REASON);
	ATF_REQUIRE_MSG(r.v[1] == 0, "calling code in the page made "
	    "PROT_READ under READ_IMPLIES_EXEC: expected it to run, got "
	    "%s/%s", mc_signame((int)r.v[1]),
	    mc_codename((int)r.v[1], (int)r.v[2]));
	ATF_REQUIRE_MSG(r.v[3] == 42, "the code in the page returned %jd, "
	    "expected 42", (intmax_t)r.v[3]);
}

/* ---- READ_IMPLIES_EXEC and a noexec mount ------------------------------- */

/*
 * A one-page file in directory dir that leaves no name behind: O_TMPFILE,
 * else a mkstemp name unlinked at once. -1 (errno) on failure.
 */
static int
page_file_in(const char *dir, size_t ps)
{
	char path[4200];
	int fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);

	if (fd < 0) {
		snprintf(path, sizeof(path), "%s/mmapconf-rie-XXXXXX", dir);
		fd = mkstemp(path);
		if (fd < 0)
			return -1;
		unlink(path);
	}
	if (ftruncate(fd, (off_t)ps) != 0) {
		int e = errno;

		close(fd);
		errno = e;
		return -1;
	}
	return fd;
}

/* Where the noexec child takes its files from. */
struct nx_dirs {
	bool mount;   /* mount tmpfs on "nx" (noexec) and "x" itself */
	char nx[256]; /* a directory on a noexec mount */
	char x[256];  /* a directory on a mount that allows exec */
};

enum {
	NX_MOUNTNS = 10, /* private mount namespace */
	NX_MOUNT_NX = 11,
	NX_MOUNT_X = 12,
	NX_FILE_NX = 13,
	NX_FILE_X = 14,
	NX_STATVFS = 15, /* the noexec directory is not noexec, or x is */
};

static const char *const nx_maps[] = {
	"mmap(PROT_READ, MAP_PRIVATE) of the file on the noexec mount",
	"mmap(PROT_READ, MAP_SHARED) of the file on the noexec mount",
	"mmap(PROT_READ, MAP_PRIVATE) of the file on the exec mount",
};
static const char *const nx_mprots[] = {
	"mprotect(PROT_READ) of the private mapping of the noexec file",
	"mprotect(PROT_READ) of the private mapping of the exec file",
};

/*
 * Files on a noexec and an exec mount, mapped PROT_READ under
 * READ_IMPLIES_EXEC: perms[0..2] per nx_maps; perms[3] the noexec private
 * mapping, perms[4] the exec one after mprotect(PROT_READ) again.
 */
static int
child_rie_noexec(struct mc_child *self, void *arg)
{
	const struct nx_dirs *d = arg;
	size_t ps = mc_pagesize();
	struct cres r = { 0 };
	struct statvfs sv;
	char opts[64];
	unsigned char *m[3];
	int nfd, xfd, e, step, userns;

	if (d->mount) {
		if ((e = mc_private_mounts(&step, &userns)) != 0) {
			r.step = NX_MOUNTNS;
			r.err = e;
			mc_send(self, &r, sizeof(r));
			return 0;
		}
		snprintf(opts, sizeof(opts), "size=%zu", 16 * ps);
		if (mount("mmapconf", d->nx, "tmpfs", MS_NOEXEC | MS_NOSUID |
		    MS_NODEV, opts) != 0) {
			r.step = NX_MOUNT_NX;
			r.err = errno;
			mc_send(self, &r, sizeof(r));
			return 0;
		}
		if (mount("mmapconf", d->x, "tmpfs", MS_NOSUID | MS_NODEV,
		    opts) != 0) {
			r.step = NX_MOUNT_X;
			r.err = errno;
			mc_send(self, &r, sizeof(r));
			return 0;
		}
	}
	if (statvfs(d->nx, &sv) != 0 || !(sv.f_flag & ST_NOEXEC) ||
	    statvfs(d->x, &sv) != 0 || (sv.f_flag & ST_NOEXEC)) {
		r.step = NX_STATVFS;
		r.err = errno;
		mc_send(self, &r, sizeof(r));
		return 0;
	}
	if ((nfd = page_file_in(d->nx, ps)) < 0) {
		r.step = NX_FILE_NX;
		r.err = errno;
		mc_send(self, &r, sizeof(r));
		return 0;
	}
	if ((xfd = page_file_in(d->x, ps)) < 0) {
		r.step = NX_FILE_X;
		r.err = errno;
		mc_send(self, &r, sizeof(r));
		return 0;
	}
	if ((e = set_rie(true)) != 0) {
		r.step = STEP_PERS;
		r.err = e;
		mc_send(self, &r, sizeof(r));
		return 0;
	}
	for (int i = 0; i < 3; i++) {
		m[i] = mmap(NULL, ps, PROT_READ, i == 1 ? MAP_SHARED :
		    MAP_PRIVATE, i == 2 ? xfd : nfd, 0);
		if (m[i] == MAP_FAILED) {
			r.step = STEP_MAP;
			r.err = errno;
			r.v[11] = i;
			mc_send(self, &r, sizeof(r));
			return 0;
		}
		perms_raw(m[i], r.perms[i]);
	}
	for (int i = 0; i < 2; i++) {
		unsigned char *q = m[i == 0 ? 0 : 2];

		if (mprotect(q, ps, PROT_READ) != 0) {
			r.step = STEP_MPROT;
			r.err = errno;
			r.v[11] = i;
			mc_send(self, &r, sizeof(r));
			return 0;
		}
		perms_raw(q, r.perms[3 + i]);
	}
	mc_send(self, &r, sizeof(r));
	return 0;
}

/* Whether dir is a writable directory whose mount is (not) noexec. */
static bool
dir_fits(const char *dir, bool noexec)
{
	struct statvfs sv;

	return statvfs(dir, &sv) == 0 && ((sv.f_flag & ST_NOEXEC) != 0) ==
	    noexec && !(sv.f_flag & ST_RDONLY) && access(dir, W_OK | X_OK) ==
	    0;
}

/*
 * Existing directories for the noexec case when no tmpfs can be mounted:
 * a noexec one and one that allows exec among the usual places; false
 * when either is missing.
 */
static bool
find_existing_dirs(struct nx_dirs *d)
{
	static const char *const cand[] = { ".", "/dev/shm", "/tmp",
	    "/var/tmp", "/run/shm" };
	bool nx = false, x = false;

	memset(d, 0, sizeof(*d));
	for (size_t i = 0; i < sizeof(cand) / sizeof(cand[0]); i++) {
		if (!nx && dir_fits(cand[i], true)) {
			snprintf(d->nx, sizeof(d->nx), "%s", cand[i]);
			nx = true;
		} else if (!x && dir_fits(cand[i], false)) {
			snprintf(d->x, sizeof(d->x), "%s", cand[i]);
			x = true;
		}
	}
	return nx && x;
}

static const char *
nx_step_name(int step)
{
	switch (step) {
	case NX_MOUNTNS: return "entering a private mount namespace";
	case NX_MOUNT_NX: return "mount(tmpfs, noexec)";
	case NX_MOUNT_X: return "mount(tmpfs, exec allowed)";
	case NX_FILE_NX: return "creating a file on the noexec mount";
	case NX_FILE_X: return "creating a file on the exec mount";
	case NX_STATVFS: return "statvfs: ST_NOEXEC set on the noexec "
	    "directory and clear on the other";
	default: return "?";
	}
}

MC_TC(rie_noexec_file_not_exec, "PROTIMP-3",
    "With the READ_IMPLIES_EXEC personality, mmap(PROT_READ) of a file on "
    "a noexec mount (private or shared) stays non-executable (r--), and so "
    "does mprotect(PROT_READ) of it, while the same for a file on a mount "
    "allowing exec gives r-x")
{
	struct nx_dirs d = { .mount = true, .nx = "nx", .x = "x" };
	struct mc_child ch;
	struct cres r;

	ATF_REQUIRE_MSG(mkdir("nx", 0700) == 0 && mkdir("x", 0700) == 0,
	    "mkdir nx, x in the work directory: %s", strerror(errno));
	mc_spawn(&ch, child_rie_noexec, &d);
	mc_expect_last(&ch, &r, sizeof(r), "the noexec report");
	if (r.step >= NX_MOUNTNS && r.step <= NX_MOUNT_X && (r.err == EPERM ||
	    r.err == EACCES || r.err == EINVAL || r.err == ENOSPC ||
	    r.err == ENOSYS || r.err == EUSERS)) {
		int err = r.err, step = r.step;

		if (!find_existing_dirs(&d))
			atf_tc_skip("cannot mount a noexec tmpfs in a private "
			    "mount namespace (%s: %s; needs CAP_SYS_ADMIN or "
			    "unprivileged user namespaces), and no writable "
			    "noexec directory and exec directory were found "
			    "among ., /dev/shm, /tmp, /var/tmp, /run/shm",
			    nx_step_name(step), mc_errname(err));
		printf("no private tmpfs (%s: %s): noexec directory %s, exec "
		    "directory %s\n", nx_step_name(step), mc_errname(err),
		    d.nx, d.x);
		mc_spawn(&ch, child_rie_noexec, &d);
		mc_expect_last(&ch, &r, sizeof(r), "the noexec report");
	}
	if (r.step >= NX_MOUNTNS)
		ATF_REQUIRE_MSG(false, "child: %s failed: %s",
		    nx_step_name(r.step), strerror(r.err));
	/*
	 * The noexec mappings must work: an EPERM from mmap or an EACCES
	 * from mprotect there would mean PROT_EXEC was implied after all.
	 */
	ATF_REQUIRE_MSG(!(r.step == STEP_MAP && r.v[11] < 2) &&
	    !(r.step == STEP_MPROT && r.v[11] == 0), "%s under "
	    "READ_IMPLIES_EXEC: expected success (no PROT_EXEC implied for a "
	    "noexec file), got %s", r.step == STEP_MAP ?
	    nx_maps[r.v[11] & 3] : nx_mprots[r.v[11] & 1],
	    mc_errname(r.err));
	require_pers_steps(&r, nx_maps, 0x4, nx_mprots, 0x2);
	require_perms(&r, 2, "r-xp", "control: mmap(PROT_READ, MAP_PRIVATE) "
	    "of a file on a mount allowing exec, under READ_IMPLIES_EXEC");
	require_perms(&r, 4, "r-xp", "control: that mapping after "
	    "mprotect(PROT_READ) under READ_IMPLIES_EXEC");
	require_perms(&r, 0, "r--p", "mmap(PROT_READ, MAP_PRIVATE) of a file "
	    "on a noexec mount, under READ_IMPLIES_EXEC");
	require_perms(&r, 1, "r--s", "mmap(PROT_READ, MAP_SHARED) of a file "
	    "on a noexec mount, under READ_IMPLIES_EXEC");
	require_perms(&r, 3, "r--p", "the private mapping of the noexec file "
	    "after mprotect(PROT_READ) under READ_IMPLIES_EXEC");
}

/* ---- RLIMIT_DATA and mprotect ------------------------------------------- */

#define DATA_PAGES 4

enum {
	RD_MAP = 1,      /* the read-only mapping */
	RD_GETRLIMIT = 2,
	RD_VMDATA = 3,   /* no VmData in /proc/self/status */
	RD_HARD = 4,     /* the hard limit leaves no room; v0: the limit */
	RD_SETRLIMIT = 5,
	RD_RESTORE = 6,
};

/*
 * A private read-only mapping of DATA_PAGES pages, then a soft
 * RLIMIT_DATA of VmData + (DATA_PAGES - 1) pages:
 *   v0  errno of mmap(RW, private, DATA_PAGES pages): the probe (ENOMEM)
 *   v1  errno of mprotect(all, RW) (ENOMEM)
 *   perms[0] of the mapping then; v2/v3 signal, si_code of a write to it
 *   v4  VmData then (kB)
 *   v5  errno of mprotect(first DATA_PAGES - 1 pages, RW) (0: at the limit)
 *   v6  VmData then
 *   v7  errno of mprotect(last page, RW) (ENOMEM); perms[1] of that page
 *   v8  errno of the same once the old limit is back (0)
 *   v9  VmData then; v10 signal of a write to the last page
 *   v11 VmData before the limit; perms[2] of the first page at the end
 * No malloc between reading VmData and the last mprotect: the heap is data.
 */
static int
child_rlimit_data(struct mc_child *self, void *arg)
{
	size_t ps = mc_pagesize(), n = DATA_PAGES;
	struct cres r = { 0 };
	struct rlimit old, rl;
	struct mc_fault f;
	unsigned char *p;
	long d0;

	(void)arg;
	p = mmap(NULL, n * ps, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED) {
		r.step = RD_MAP;
		r.err = errno;
		mc_send(self, &r, sizeof(r));
		return 0;
	}
	if (getrlimit(RLIMIT_DATA, &old) != 0) {
		r.step = RD_GETRLIMIT;
		r.err = errno;
		mc_send(self, &r, sizeof(r));
		return 0;
	}
	d0 = mc_status_kb_raw("VmData");
	if (d0 < 0) {
		r.step = RD_VMDATA;
		mc_send(self, &r, sizeof(r));
		return 0;
	}
	rl = old;
	rl.rlim_cur = (rlim_t)d0 * 1024 + (n - 1) * ps;
	if (old.rlim_max != RLIM_INFINITY && rl.rlim_cur + ps >
	    old.rlim_max) {
		r.step = RD_HARD;
		r.v[0] = (int64_t)old.rlim_max;
		r.v[11] = d0;
		mc_send(self, &r, sizeof(r));
		return 0;
	}
	if (setrlimit(RLIMIT_DATA, &rl) != 0) {
		r.step = RD_SETRLIMIT;
		r.err = errno;
		mc_send(self, &r, sizeof(r));
		return 0;
	}
	r.v[11] = d0;
	r.v[0] = mc_mmap_errno(NULL, n * ps, RW, MAP_PRIVATE | MAP_ANONYMOUS,
	    -1, 0);
	r.v[1] = mprotect(p, n * ps, RW) == 0 ? 0 : errno;
	perms_raw(p, r.perms[0]);
	f = mc_touch(p, MC_WRITE);
	r.v[2] = f.signo;
	r.v[3] = f.code;
	r.v[4] = mc_status_kb_raw("VmData");
	r.v[5] = mprotect(p, (n - 1) * ps, RW) == 0 ? 0 : errno;
	r.v[6] = mc_status_kb_raw("VmData");
	r.v[7] = mprotect(p + (n - 1) * ps, ps, RW) == 0 ? 0 : errno;
	perms_raw(p + (n - 1) * ps, r.perms[1]);
	if (setrlimit(RLIMIT_DATA, &old) != 0) {
		r.step = RD_RESTORE;
		r.err = errno;
		mc_send(self, &r, sizeof(r));
		return 0;
	}
	r.v[8] = mprotect(p + (n - 1) * ps, ps, RW) == 0 ? 0 : errno;
	r.v[9] = mc_status_kb_raw("VmData");
	f = mc_touch(p + (n - 1) * ps, MC_WRITE);
	r.v[10] = f.signo;
	perms_raw(p, r.perms[2]);
	mc_send(self, &r, sizeof(r));
	return 0;
}

/* The kernel's ignore_rlimit_data parameter ("Y"/"N"), "?" when unknown. */
static const char *
ignore_rlimit_data(void)
{
	static char buf[16];

	if (!mc_read_small("/sys/module/kernel/parameters/ignore_rlimit_data",
	    buf, sizeof(buf)))
		return "?";
	buf[strcspn(buf, "\n")] = '\0';
	return buf;
}

MC_TC(mprotect_write_counts_against_rlimit_data, "PROTIMP-4",
    "mprotect that makes a private read-only anonymous mapping writable "
    "turns it into data: beyond the soft RLIMIT_DATA it fails with ENOMEM "
    "and the mapping stays read-only; up to the limit exactly it succeeds "
    "and VmData grows by the pages made writable")
{
	static const char *steps[] = { "", "mmap(PROT_READ)",
	    "getrlimit(RLIMIT_DATA)", "VmData", "", "setrlimit(lower)",
	    "setrlimit(restore)" };
	size_t n = DATA_PAGES;
	struct mc_child ch;
	struct cres r;

	mc_spawn(&ch, child_rlimit_data, NULL);
	mc_expect_last(&ch, &r, sizeof(r), "the RLIMIT_DATA report");
	if (r.step == RD_VMDATA)
		atf_tc_skip("/proc/self/status has no VmData field: the data "
		    "size the limit is set from is unknown");
	if (r.step == RD_HARD)
		atf_tc_skip("the hard RLIMIT_DATA %jd leaves no room for "
		    "VmData (%jd kB) + %zu pages", (intmax_t)r.v[0],
		    (intmax_t)r.v[11], n);
	ATF_REQUIRE_MSG(r.step == 0, "child: %s failed: %s",
	    steps[r.step >= 0 && r.step <= 6 ? r.step : 0], strerror(r.err));
	if (r.v[0] == 0)
		atf_tc_skip("probe: mmap of a private writable mapping beyond "
		    "RLIMIT_DATA succeeded, so the limit is not enforced here "
		    "(ignore_rlimit_data=%s; an emulator); whether mprotect "
		    "honours it cannot be told (MMAPERR-20 covers mmap)",
		    ignore_rlimit_data());
	ATF_REQUIRE_MSG(r.v[0] == ENOMEM, "probe: mmap of a private writable "
	    "mapping beyond RLIMIT_DATA: expected ENOMEM, got %s",
	    mc_errname((int)r.v[0]));
	ATF_REQUIRE_MSG(r.v[1] == ENOMEM, "mprotect(PROT_READ|PROT_WRITE) of "
	    "%zu private read-only pages with room for %zu under RLIMIT_DATA: "
	    "expected ENOMEM, got %s", n, n - 1, mc_errname((int)r.v[1]));
	ATF_REQUIRE_MSG(strcmp(r.perms[0], "r--p") == 0, "after the refused "
	    "mprotect the mapping should stay r--p, /proc/self/maps shows "
	    "%s", r.perms[0]);
	ATF_REQUIRE_MSG(r.v[2] == SIGSEGV && r.v[3] == SEGV_ACCERR, "a write "
	    "to the mapping after the refused mprotect: expected "
	    "SIGSEGV/SEGV_ACCERR, got %s/%s", mc_signame((int)r.v[2]),
	    mc_codename((int)r.v[2], (int)r.v[3]));
	ATF_REQUIRE_MSG(r.v[4] == r.v[11], "VmData %jd kB after the refused "
	    "mprotect, %jd kB before", (intmax_t)r.v[4], (intmax_t)r.v[11]);
	ATF_REQUIRE_MSG(r.v[5] == 0, "mprotect(PROT_READ|PROT_WRITE) of %zu "
	    "pages, exactly up to RLIMIT_DATA: expected success, got %s",
	    n - 1, mc_errname((int)r.v[5]));
	ATF_REQUIRE_MSG(r.v[6] - r.v[11] == mc_kb_of_pages(n - 1), "VmData "
	    "%jd kB before, %jd kB after making %zu pages writable: expected "
	    "a growth of %ld kB", (intmax_t)r.v[11], (intmax_t)r.v[6], n - 1,
	    mc_kb_of_pages(n - 1));
	ATF_REQUIRE_MSG(r.v[7] == ENOMEM, "mprotect(PROT_READ|PROT_WRITE) of "
	    "one more page, the limit reached: expected ENOMEM, got %s",
	    mc_errname((int)r.v[7]));
	ATF_REQUIRE_MSG(strcmp(r.perms[1], "r--p") == 0, "after the refused "
	    "mprotect the last page should stay r--p, /proc/self/maps shows "
	    "%s", r.perms[1]);
	ATF_REQUIRE_MSG(r.v[8] == 0, "mprotect(PROT_READ|PROT_WRITE) of that "
	    "page with the old RLIMIT_DATA back: expected success, got %s",
	    mc_errname((int)r.v[8]));
	ATF_REQUIRE_MSG(r.v[9] - r.v[11] == mc_kb_of_pages(n), "VmData %jd kB "
	    "before, %jd kB with all %zu pages writable: expected a growth of "
	    "%ld kB", (intmax_t)r.v[11], (intmax_t)r.v[9], n,
	    mc_kb_of_pages(n));
	ATF_REQUIRE_MSG(r.v[10] == 0, "a write to the last page made writable: "
	    "expected no fault, got %s", mc_signame((int)r.v[10]));
	ATF_REQUIRE_MSG(strcmp(r.perms[2], "rw-p") == 0, "at the end the "
	    "mapping should be rw-p, /proc/self/maps shows %s", r.perms[2]);
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, rie_mmap_prot_read_adds_exec);
	ATF_TP_ADD_TC(tp, rie_mprotect_prot_read_adds_exec);
	ATF_TP_ADD_TC(tp, rie_noexec_file_not_exec);
	ATF_TP_ADD_TC(tp, mprotect_write_counts_against_rlimit_data);
	return atf_no_error();
}
