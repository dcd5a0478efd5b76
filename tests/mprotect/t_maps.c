/*
 * t_maps: what /proc/self/maps (proc(5)) says about mappings: permission
 * letters, the shared/private letter, file offset, device, inode and path,
 * and the names given to anonymous mappings with prctl(PR_SET_VMA,
 * PR_SET_VMA_ANON_NAME) (Linux 5.17+, CONFIG_ANON_VMA_NAME: probed on a
 * private anonymous mapping, EINVAL there skips).
 */
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/vfs.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mc.h"
#include "mc_err.h"
#include "mc_proc.h"

/* include/uapi/linux/prctl.h, for C libraries without them. */
#ifndef PR_SET_VMA
#define PR_SET_VMA 0x53564d41
#endif
#ifndef PR_SET_VMA_ANON_NAME
#define PR_SET_VMA_ANON_NAME 0
#endif

#ifndef OVERLAYFS_SUPER_MAGIC
#define OVERLAYFS_SUPER_MAGIC 0x794c7630
#endif

static void *
map_or_skip_exec(size_t len, int prot, int flags, int fd)
{
	void *p = mmap(NULL, len, prot, flags, fd, 0);

	if (p == MAP_FAILED && (prot & PROT_EXEC) &&
	    (errno == EACCES || errno == EPERM))
		atf_tc_skip("a policy forbids mappings with prot %#x: %s", prot,
		    strerror(errno));
	ATF_REQUIRE_MSG(p != MAP_FAILED, "mmap(%zu bytes, prot %#x, flags "
	    "%#x, fd %d): %s", len, prot, flags, fd, strerror(errno));
	return p;
}

MC_TC(perms_letters_follow_prot, "MAPS-1",
    "The r, w and x permission letters of a mapping in /proc/self/maps "
    "are set exactly for PROT_READ, PROT_WRITE and PROT_EXEC (all eight "
    "combinations, '-' otherwise)")
{
	size_t ps = mc_pagesize();

	for (int prot = 0; prot < 8; prot++) {
		struct mc_maps_ent e;
		char want[5];
		void *p;

		snprintf(want, sizeof(want), "%c%c%cp",
		    prot & PROT_READ ? 'r' : '-', prot & PROT_WRITE ? 'w' : '-',
		    prot & PROT_EXEC ? 'x' : '-');
		p = map_or_skip_exec(ps, prot, MAP_PRIVATE | MAP_ANONYMOUS,
		    -1);
		mc_maps_get(p, &e);
		ATF_REQUIRE_MSG(strcmp(e.perms, want) == 0, "prot %#x: "
		    "expected perms %s, /proc/self/maps says \"%s\"", prot,
		    want, e.line);
		ATF_REQUIRE(munmap(p, ps) == 0);
	}
}

MC_TC(perms_shared_private_letter, "MAPS-2",
    "The fourth permission letter is 's' for MAP_SHARED mappings "
    "(anonymous, file, and file open read-only) and 'p' for MAP_PRIVATE "
    "ones")
{
	size_t ps = mc_pagesize();
	int rw = mc_make_file("f", 1);
	int ro = open("f", O_RDONLY);
	struct {
		const char *what;
		int prot, flags, fd;
		char letter;
	} cases[] = {
		{ "shared anonymous", PROT_READ | PROT_WRITE,
		    MAP_SHARED | MAP_ANONYMOUS, -1, 's' },
		{ "private anonymous", PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 'p' },
		{ "shared file (O_RDWR)", PROT_READ | PROT_WRITE, MAP_SHARED,
		    rw, 's' },
		{ "shared file (O_RDONLY)", PROT_READ, MAP_SHARED, ro, 's' },
		{ "private file (O_RDONLY)", PROT_READ | PROT_WRITE,
		    MAP_PRIVATE, ro, 'p' },
		{ "shared read-only anonymous", PROT_READ,
		    MAP_SHARED | MAP_ANONYMOUS, -1, 's' },
	};

	ATF_REQUIRE_MSG(ro >= 0, "open(f, O_RDONLY): %s", strerror(errno));
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct mc_maps_ent e;
		void *p = mmap(NULL, ps, cases[i].prot, cases[i].flags,
		    cases[i].fd, 0);

		ATF_REQUIRE_MSG(p != MAP_FAILED, "mmap(%s): %s", cases[i].what,
		    strerror(errno));
		mc_maps_get(p, &e);
		ATF_REQUIRE_MSG(e.perms[3] == cases[i].letter, "%s mapping: "
		    "expected '%c' as fourth perms letter, /proc/self/maps "
		    "says \"%s\"", cases[i].what, cases[i].letter, e.line);
		ATF_REQUIRE(munmap(p, ps) == 0);
	}
	close(ro);
	close(rw);
}

MC_TC(perms_follow_mprotect, "MAPS-3",
    "After mprotect, the permission letters in /proc/self/maps show the "
    "new protection while the shared letter stays")
{
	size_t ps = mc_pagesize();
	int fd = mc_make_file("f", 1);
	void *p = mmap(NULL, ps, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	const struct {
		int prot;
		const char *want;
	} steps[] = {
		{ PROT_READ, "r--s" },
		{ PROT_NONE, "---s" },
		{ PROT_WRITE, "-w-s" },
		{ PROT_READ | PROT_WRITE, "rw-s" },
	};
	struct mc_maps_ent e;

	ATF_REQUIRE_MSG(p != MAP_FAILED, "mmap: %s", strerror(errno));
	mc_maps_get(p, &e);
	ATF_REQUIRE_MSG(strcmp(e.perms, "rw-s") == 0, "initial perms: "
	    "expected rw-s, maps says \"%s\"", e.line);
	for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		ATF_REQUIRE_MSG(mprotect(p, ps, steps[i].prot) == 0,
		    "mprotect(%#x): %s", steps[i].prot, strerror(errno));
		mc_maps_get(p, &e);
		ATF_REQUIRE_MSG(strcmp(e.perms, steps[i].want) == 0,
		    "after mprotect(%#x): expected %s, maps says \"%s\"",
		    steps[i].prot, steps[i].want, e.line);
	}
	ATF_REQUIRE(munmap(p, ps) == 0);
	close(fd);
}

MC_TC(file_mapping_offset_dev_inode_path, "MAPS-4",
    "A file mapping's line shows its file offset, the file's device "
    "(major:minor) and inode, and the file's absolute path")
{
	size_t ps = mc_pagesize();
	int fd = mc_make_file("f", 4);
	char path[PATH_MAX];
	struct mc_maps_ent e;
	struct statfs sfs;
	struct stat st;
	void *p;

	ATF_REQUIRE_MSG(realpath("f", path) != NULL, "realpath(f): %s",
	    strerror(errno));
	ATF_REQUIRE(fstat(fd, &st) == 0);
	p = mmap(NULL, ps, PROT_READ, MAP_SHARED, fd, (off_t)(2 * ps));
	ATF_REQUIRE_MSG(p != MAP_FAILED, "mmap at offset 2 pages: %s",
	    strerror(errno));
	mc_maps_get(p, &e);
	ATF_REQUIRE_MSG(e.offset == 2 * ps, "offset field: expected %#zx, "
	    "maps says \"%s\"", 2 * ps, e.line);
	ATF_REQUIRE_MSG(strcmp(e.path, path) == 0, "pathname: expected "
	    "\"%s\", maps says \"%s\"", path, e.line);
	ATF_REQUIRE(fstatfs(fd, &sfs) == 0);
	if (sfs.f_type == OVERLAYFS_SUPER_MAGIC)
		atf_tc_skip("offset and path verified; on overlayfs maps shows "
		    "the underlying layer's device and inode, not stat()'s");
	ATF_REQUIRE_MSG(e.major == major(st.st_dev) &&
	    e.minor == minor(st.st_dev) && e.inode == st.st_ino, "device "
	    "and inode: expected %02x:%02x %ju (fstat), maps says \"%s\"",
	    major(st.st_dev), minor(st.st_dev), (uintmax_t)st.st_ino, e.line);
	ATF_REQUIRE(munmap(p, ps) == 0);
	close(fd);
}

MC_TC(anon_mapping_no_inode_no_path, "MAPS-5",
    "A private anonymous mapping shows offset 0, device 00:00, inode 0 "
    "and an empty pathname")
{
	size_t ps = mc_pagesize();
	/* PROT_NONE neighbours keep it from merging with anything else */
	unsigned char *g = mc_map_anon(3 * ps, PROT_NONE, MAP_PRIVATE);
	struct mc_maps_ent e;

	ATF_REQUIRE(mprotect(g + ps, ps, PROT_READ | PROT_WRITE) == 0);
	g[ps] = 1;
	mc_maps_get(g + ps, &e);
	ATF_REQUIRE_MSG(e.offset == 0 && e.major == 0 && e.minor == 0 &&
	    e.inode == 0 && e.path[0] == '\0', "expected \"... 00000000 "
	    "00:00 0\" and no pathname, maps says \"%s\"", e.line);
	ATF_REQUIRE(munmap(g, 3 * ps) == 0);
}

MC_TC(deleted_file_mapping_marked_deleted, "MAPS-6",
    "The mapping of a file that has been unlinked shows the path followed "
    "by \" (deleted)\"")
{
	size_t ps = mc_pagesize();
	int fd = mc_make_file("f", 1);
	char path[PATH_MAX], want[PATH_MAX + 16];
	struct mc_maps_ent e;
	void *p;

	ATF_REQUIRE_MSG(realpath("f", path) != NULL, "realpath(f): %s",
	    strerror(errno));
	p = mmap(NULL, ps, PROT_READ, MAP_PRIVATE, fd, 0);
	ATF_REQUIRE_MSG(p != MAP_FAILED, "mmap: %s", strerror(errno));
	close(fd);
	mc_maps_get(p, &e);
	ATF_REQUIRE_MSG(strcmp(e.path, path) == 0, "before unlink: expected "
	    "\"%s\", maps says \"%s\"", path, e.line);
	ATF_REQUIRE(unlink("f") == 0);
	snprintf(want, sizeof(want), "%s (deleted)", path);
	mc_maps_get(p, &e);
	ATF_REQUIRE_MSG(strcmp(e.path, want) == 0, "after unlink: expected "
	    "\"%s\", maps says \"%s\"", want, e.line);
	ATF_REQUIRE(munmap(p, ps) == 0);
}

MC_TC(split_file_mapping_pieces_keep_offsets, "MAPS-7",
    "When mprotect splits a file mapping, each piece's line shows the file "
    "offset of its own first page")
{
	size_t ps = mc_pagesize();
	int fd = mc_make_file("f", 5);
	unsigned char *p = mmap(NULL, 3 * ps, PROT_READ | PROT_WRITE,
	    MAP_SHARED, fd, (off_t)ps);
	struct mc_maps_ent e;

	ATF_REQUIRE_MSG(p != MAP_FAILED, "mmap: %s", strerror(errno));
	ATF_REQUIRE(mprotect(p + ps, ps, PROT_READ) == 0);
	for (size_t i = 0; i < 3; i++) {
		mc_maps_get(p + i * ps, &e);
		ATF_REQUIRE_MSG(e.start == (uintptr_t)(p + i * ps) &&
		    e.offset == (i + 1) * ps, "piece %zu: expected start %p "
		    "offset %#zx, maps says \"%s\"", i, (void *)(p + i * ps),
		    (i + 1) * ps, e.line);
	}
	ATF_REQUIRE(munmap(p, 3 * ps) == 0);
	close(fd);
}

/* ---- names of anonymous mappings (PR_SET_VMA_ANON_NAME) ---------------- */

static long
set_anon_name(void *addr, size_t len, const char *name)
{
	return prctl(PR_SET_VMA, PR_SET_VMA_ANON_NAME, (unsigned long)addr,
	    (unsigned long)len, (unsigned long)name);
}

/*
 * Probe: name a fresh private anonymous page. EINVAL there means the kernel
 * has no anonymous VMA names (too old, or built without
 * CONFIG_ANON_VMA_NAME): skip. Other failures fail the case.
 */
static void
require_anon_names(void)
{
	size_t ps = mc_pagesize();
	unsigned char *p = mc_map_anon(ps, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE);

	if (set_anon_name(p, ps, "mmapconf-probe") != 0) {
		int e = errno;

		if (e == EINVAL)
			atf_tc_skip("prctl(PR_SET_VMA, PR_SET_VMA_ANON_NAME) "
			    "of a private anonymous page: EINVAL (this kernel "
			    "has no anonymous mapping names: not known to it "
			    "or built without CONFIG_ANON_VMA_NAME; or a "
			    "seccomp filter: Seccomp=%d)", mc_seccomp_mode());
		if (e == ENOSYS || e == EPERM)
			mc_skip_unsupported("prctl(PR_SET_VMA)", e);
		ATF_REQUIRE_MSG(false, "prctl(PR_SET_VMA_ANON_NAME) of a "
		    "private anonymous page: expected success, got errno %d "
		    "(%s: %s)", e, mc_errname(e), strerror(e));
	}
	ATF_REQUIRE(munmap(p, ps) == 0);
}

/* Require that the mapping holding addr is [start, end) with path want. */
static void
require_maps_entry(const void *addr, const void *start, const void *end,
    const char *want, const char *what)
{
	struct mc_maps_ent e;

	mc_maps_get(addr, &e);
	ATF_REQUIRE_MSG(e.start == (uintptr_t)start && e.end ==
	    (uintptr_t)end && strcmp(e.path, want) == 0, "%s: expected "
	    "[%p, %p) with pathname \"%s\", maps says \"%s\"", what, start,
	    end, want, e.line);
}

#define ANON_NAME "mmapconf name-1 (test)"

MC_TC(anon_name_shown_in_maps, "MAPS-8",
    "PR_SET_VMA_ANON_NAME names part of a private anonymous mapping: that "
    "range becomes a mapping of its own shown as [anon:NAME]; the rest has "
    "no name and the contents stay")
{
	size_t ps = mc_pagesize();
	/* PROT_NONE guards keep the 3 pages from merging with anything */
	unsigned char *g = mc_map_anon(5 * ps, PROT_NONE, MAP_PRIVATE);
	unsigned char *p = g + ps;

	ATF_REQUIRE(mprotect(p, 3 * ps, PROT_READ | PROT_WRITE) == 0);
	memset(p, 'n', 3 * ps);
	require_anon_names();
	ATF_REQUIRE_MSG(set_anon_name(p + ps, ps, ANON_NAME) == 0,
	    "prctl(PR_SET_VMA_ANON_NAME, \"%s\") of the middle page: %s",
	    ANON_NAME, strerror(errno));
	require_maps_entry(p + ps, p + ps, p + 2 * ps, "[anon:" ANON_NAME "]",
	    "the named middle page");
	require_maps_entry(p, p, p + ps, "", "the page before it");
	require_maps_entry(p + 2 * ps, p + 2 * ps, p + 3 * ps, "",
	    "the page after it");
	mc_require_readable(p, 3 * ps, "the pages after naming");
	ATF_REQUIRE_MSG(mc_all_bytes(p, 3 * ps, 'n'), "naming changed the "
	    "contents: %zu bytes are not 'n'", mc_count_not(p, 3 * ps, 'n'));
	ATF_REQUIRE(munmap(g, 5 * ps) == 0);
}

MC_TC(anon_name_null_removes_name, "MAPS-9",
    "PR_SET_VMA_ANON_NAME with a NULL name removes the name: the range is "
    "shown without a pathname again")
{
	size_t ps = mc_pagesize();
	unsigned char *g = mc_map_anon(3 * ps, PROT_NONE, MAP_PRIVATE);
	unsigned char *p = g + ps;

	ATF_REQUIRE(mprotect(p, ps, PROT_READ | PROT_WRITE) == 0);
	require_anon_names();
	ATF_REQUIRE_MSG(set_anon_name(p, ps, ANON_NAME) == 0,
	    "prctl(PR_SET_VMA_ANON_NAME, \"%s\"): %s", ANON_NAME,
	    strerror(errno));
	require_maps_entry(p, p, p + ps, "[anon:" ANON_NAME "]",
	    "the page after naming");
	ATF_REQUIRE_MSG(set_anon_name(p, ps, NULL) == 0,
	    "prctl(PR_SET_VMA_ANON_NAME, NULL): %s", strerror(errno));
	require_maps_entry(p, p, p + ps, "", "the page after removing the "
	    "name");
	ATF_REQUIRE(munmap(g, 3 * ps) == 0);
}

MC_TC(anon_name_bad_names_einval, "MAPS-10",
    "A name of more than 79 characters (80 bytes with the null byte), or "
    "with a character that is not printable ASCII or is one of [ ] \\ $ `, "
    "fails with EINVAL and names nothing; 79 characters are accepted")
{
	static const char bad[] = { '[', ']', '\\', '$', '`', '\n', '\x7f' };
	size_t ps = mc_pagesize();
	unsigned char *g = mc_map_anon(3 * ps, PROT_NONE, MAP_PRIVATE);
	unsigned char *p = g + ps;
	char name[96], want[128];

	ATF_REQUIRE(mprotect(p, ps, PROT_READ | PROT_WRITE) == 0);
	require_anon_names();
	for (size_t i = 0; i < sizeof(bad); i++) {
		snprintf(name, sizeof(name), "bad%cname", bad[i]);
		MC_REQUIRE_ERR(set_anon_name(p, ps, name), EINVAL,
		    "prctl(PR_SET_VMA_ANON_NAME) with a forbidden character");
		require_maps_entry(p, p, p + ps, "", "after a rejected name");
	}
	memset(name, 'x', 80);
	name[80] = '\0';
	MC_REQUIRE_ERR(set_anon_name(p, ps, name), EINVAL,
	    "prctl(PR_SET_VMA_ANON_NAME) with an 80-character name");
	require_maps_entry(p, p, p + ps, "", "after the 80-character name");
	name[79] = '\0';
	ATF_REQUIRE_MSG(set_anon_name(p, ps, name) == 0, "prctl("
	    "PR_SET_VMA_ANON_NAME) with a 79-character name: expected "
	    "success, got %s", strerror(errno));
	snprintf(want, sizeof(want), "[anon:%s]", name);
	require_maps_entry(p, p, p + ps, want, "after the 79-character name");
	ATF_REQUIRE(munmap(g, 3 * ps) == 0);
}

MC_TC(anon_name_file_mapping_refused, "MAPS-11",
    "PR_SET_VMA_ANON_NAME of a file mapping fails (EBADF on Linux; EINVAL "
    "accepted) and its line keeps the file's path")
{
	size_t ps = mc_pagesize();
	int fd = mc_make_file("f", 1);
	char path[PATH_MAX];
	unsigned char *p;
	struct mc_maps_ent e;
	long r;
	int err;

	ATF_REQUIRE_MSG(realpath("f", path) != NULL, "realpath(f): %s",
	    strerror(errno));
	require_anon_names();
	p = mc_map_fd(fd, ps, PROT_READ | PROT_WRITE, MAP_PRIVATE, 0);
	p[0] = 'w'; /* a private copy: the mapping is still a file mapping */
	errno = 0;
	r = set_anon_name(p, ps, ANON_NAME);
	err = errno;
	ATF_REQUIRE_MSG(r == -1 && (err == EBADF || err == EINVAL),
	    "prctl(PR_SET_VMA_ANON_NAME) of a private file mapping: expected "
	    "-1 with EBADF (or EINVAL), got %ld/errno %d (%s)", r, err,
	    mc_errname(err));
	mc_maps_get(p, &e);
	ATF_REQUIRE_MSG(strcmp(e.path, path) == 0, "after the refused name: "
	    "expected the pathname \"%s\", maps says \"%s\"", path, e.line);
	ATF_REQUIRE(munmap(p, ps) == 0);
	close(fd);
}

MC_TC(anon_name_shared_anon_shown_as_anon_shmem, "MAPS-12",
    "A shared anonymous mapping can be named too (Linux 6.2+): its line "
    "shows [anon_shmem:NAME]")
{
	size_t ps = mc_pagesize();
	unsigned char *p = mc_map_anon(ps, PROT_READ | PROT_WRITE,
	    MAP_SHARED);
	struct mc_maps_ent e;

	require_anon_names();
	p[0] = 's';
	if (set_anon_name(p, ps, ANON_NAME) != 0) {
		int err = errno;

		if (err == EBADF)
			atf_tc_skip("prctl(PR_SET_VMA_ANON_NAME) of a shared "
			    "anonymous mapping: EBADF (this kernel names only "
			    "private anonymous mappings)");
		ATF_REQUIRE_MSG(false, "prctl(PR_SET_VMA_ANON_NAME) of a "
		    "shared anonymous mapping: expected success, got errno "
		    "%d (%s: %s)", err, mc_errname(err), strerror(err));
	}
	mc_maps_get(p, &e);
	ATF_REQUIRE_MSG(strcmp(e.path, "[anon_shmem:" ANON_NAME "]") == 0,
	    "expected the pathname \"[anon_shmem:%s]\", maps says \"%s\"",
	    ANON_NAME, e.line);
	ATF_REQUIRE_MSG(e.perms[3] == 's', "the named mapping should still be "
	    "shared, maps says \"%s\"", e.line);
	ATF_REQUIRE(munmap(p, ps) == 0);
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, perms_letters_follow_prot);
	ATF_TP_ADD_TC(tp, perms_shared_private_letter);
	ATF_TP_ADD_TC(tp, perms_follow_mprotect);
	ATF_TP_ADD_TC(tp, file_mapping_offset_dev_inode_path);
	ATF_TP_ADD_TC(tp, anon_mapping_no_inode_no_path);
	ATF_TP_ADD_TC(tp, deleted_file_mapping_marked_deleted);
	ATF_TP_ADD_TC(tp, split_file_mapping_pieces_keep_offsets);
	ATF_TP_ADD_TC(tp, anon_name_shown_in_maps);
	ATF_TP_ADD_TC(tp, anon_name_null_removes_name);
	ATF_TP_ADD_TC(tp, anon_name_bad_names_einval);
	ATF_TP_ADD_TC(tp, anon_name_file_mapping_refused);
	ATF_TP_ADD_TC(tp, anon_name_shared_anon_shown_as_anon_shmem);
	return atf_no_error();
}
