/*
 * t_shm: POSIX shared memory objects (shm_open(3), shm_overview(7)) mapped
 * with mmap. Every object name carries the pid and is written to a file in
 * the work directory so that the case's cleanup unlinks it even when the
 * body fails half-way.
 */
#include <sys/mman.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "mc.h"
#include "mc_err.h"

#define NAMES_FILE "shm-names"

/* The cleanup of every case: unlink each shm object the body created. */
static void
shm_cleanup(void)
{
	FILE *f = fopen(NAMES_FILE, "r");
	char line[256];

	if (f == NULL)
		return;
	while (fgets(line, sizeof(line), f) != NULL) {
		line[strcspn(line, "\n")] = '\0';
		if (line[0] == '/')
			(void)shm_unlink(line);
	}
	fclose(f);
}

/* A per-process name, recorded for the cleanup before it is created. */
static void
shm_name(char *buf, size_t len, const char *tag)
{
	FILE *f;

	snprintf(buf, len, "/mmapconf-%ld-%s", (long)getpid(), tag);
	f = fopen(NAMES_FILE, "a");
	ATF_REQUIRE_MSG(f != NULL, "fopen(%s): %s", NAMES_FILE,
	    strerror(errno));
	fprintf(f, "%s\n", buf);
	ATF_REQUIRE(fclose(f) == 0);
}

/* Create a new object (O_EXCL), skip when POSIX shm is not available. */
static int
shm_create(const char *name)
{
	int fd = shm_open(name, O_RDWR | O_CREAT | O_EXCL, 0600);

	if (fd < 0 && (errno == ENOSYS || errno == ENOENT || errno == EACCES))
		atf_tc_skip("POSIX shared memory not available (shm_open(%s, "
		    "O_CREAT): %s; is /dev/shm mounted?)", name,
		    strerror(errno));
	ATF_REQUIRE_MSG(fd >= 0, "shm_open(%s, O_CREAT|O_EXCL): %s", name,
	    strerror(errno));
	return fd;
}

static void
unlink_ok(const char *name)
{
	ATF_REQUIRE_MSG(shm_unlink(name) == 0, "shm_unlink(%s): %s", name,
	    strerror(errno));
}

MC_TC_CLEANUP(new_object_empty_then_zero_filled, "SHM-1",
    "A new shm object has size 0; after ftruncate its MAP_SHARED mapping "
    "is zero-filled, and writes through it are seen by read() on the fd", shm_cleanup)
{
	size_t ps = mc_pagesize();
	char name[128];
	unsigned char *p, c;
	int fd;

	shm_name(name, sizeof(name), "new");
	fd = shm_create(name);
	ATF_REQUIRE_EQ_MSG(mc_fd_size(fd), 0, "size of a new shm object: "
	    "expected 0, got %jd", (intmax_t)mc_fd_size(fd));
	ATF_REQUIRE_MSG(ftruncate(fd, (off_t)(2 * ps)) == 0, "ftruncate: %s",
	    strerror(errno));
	p = mc_map_fd(fd, 2 * ps, PROT_READ | PROT_WRITE, MAP_SHARED, 0);
	ATF_REQUIRE_MSG(mc_all_bytes(p, 2 * ps, 0), "the new shm object is "
	    "not zero-filled");
	p[ps + 3] = 's';
	mc_pread_all(fd, &c, 1, (off_t)(ps + 3));
	ATF_REQUIRE_MSG(c == 's', "read() on the shm fd sees %#x, expected "
	    "the 's' written through the mapping", c);
	ATF_REQUIRE(munmap(p, 2 * ps) == 0);
	close(fd);
	unlink_ok(name);
}

struct opener_arg {
	const char *name;
	size_t len;
};

/*
 * Child: open the object by name, map it itself, report p[0] and its PFN,
 * write 'C' at p[1], then report p[2] after the parent's go.
 */
static int
opener_child(struct mc_child *self, void *varg)
{
	struct opener_arg *arg = varg;
	volatile unsigned char *p;
	int fd = shm_open(arg->name, O_RDWR, 0);

	if (fd < 0)
		return 10;
	p = mmap(NULL, arg->len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		return 11;
	close(fd);
	mc_child_send_u64(self, p[0]);
	mc_child_send_u64(self, mc_pfn_try((const void *)p));
	p[1] = 'C';
	mc_child_send_u64(self, 1);
	(void)mc_child_recv_u64(self);
	mc_child_send_u64(self, p[2]);
	return 0;
}

MC_TC_CLEANUP(object_shared_between_processes, "SHM-2",
    "Two processes that shm_open and mmap the same name share its memory: "
    "the same physical page, writes seen both ways", shm_cleanup)
{
	size_t ps = mc_pagesize();
	char name[128];
	struct opener_arg arg = { name, ps };
	struct mc_child ch;
	unsigned char *p;
	uint64_t v, pfn_child;
	int fd;

	shm_name(name, sizeof(name), "ipc");
	fd = shm_create(name);
	ATF_REQUIRE(ftruncate(fd, (off_t)ps) == 0);
	p = mc_map_fd(fd, ps, PROT_READ | PROT_WRITE, MAP_SHARED, 0);
	close(fd);
	p[0] = 'P';
	mc_spawn(&ch, opener_child, &arg);
	mc_expect(&ch, &v, sizeof(v), "the child's read of p[0]");
	ATF_REQUIRE_MSG(v == 'P', "the child's own mapping reads %#jx, "
	    "expected the parent's 'P'", (uintmax_t)v);
	mc_expect(&ch, &pfn_child, sizeof(pfn_child), "the child's PFN");
	mc_expect(&ch, &v, sizeof(v), "the child's write");
	ATF_REQUIRE_MSG(p[1] == 'C', "parent reads %#x after the child "
	    "wrote 'C' through its own mapping", p[1]);
	p[2] = 'Q';
	mc_child_send_u64(&ch, 1);
	mc_expect(&ch, &v, sizeof(v), "the child's read of p[2]");
	ATF_REQUIRE_MSG(v == 'Q', "the child reads %#jx after the parent "
	    "wrote 'Q'", (uintmax_t)v);
	mc_reap_ok(&ch);
	unlink_ok(name);

	mc_require_pfns();
	ATF_REQUIRE_EQ_MSG(pfn_child, mc_pfn(p), "child PFN %#jx, parent PFN "
	    "%#jx: expected the same page", (uintmax_t)pfn_child,
	    (uintmax_t)mc_pfn(p));
	ATF_REQUIRE(munmap(p, ps) == 0);
}

MC_TC_CLEANUP(object_persists_without_mappings, "SHM-3",
    "A shm object has kernel persistence: after every mapping and fd is "
    "gone, opening the name again maps the same size and contents", shm_cleanup)
{
	size_t ps = mc_pagesize();
	char name[128];
	unsigned char *p;
	int fd;

	shm_name(name, sizeof(name), "persist");
	fd = shm_create(name);
	ATF_REQUIRE(ftruncate(fd, (off_t)(2 * ps)) == 0);
	p = mc_map_fd(fd, 2 * ps, PROT_READ | PROT_WRITE, MAP_SHARED, 0);
	memset(p, 'k', 2 * ps);
	ATF_REQUIRE(munmap(p, 2 * ps) == 0);
	ATF_REQUIRE(close(fd) == 0);

	fd = shm_open(name, O_RDWR, 0);
	ATF_REQUIRE_MSG(fd >= 0, "shm_open(%s) without O_CREAT after all "
	    "mappings and fds were closed: %s", name, strerror(errno));
	ATF_REQUIRE_EQ_MSG(mc_fd_size(fd), (off_t)(2 * ps), "size of the "
	    "reopened object: expected %zu, got %jd", 2 * ps,
	    (intmax_t)mc_fd_size(fd));
	p = mc_map_fd(fd, 2 * ps, PROT_READ, MAP_SHARED, 0);
	ATF_REQUIRE_MSG(mc_all_bytes(p, 2 * ps, 'k'), "the reopened object "
	    "lost its contents (p[0] = %#x)", p[0]);
	ATF_REQUIRE(munmap(p, 2 * ps) == 0);
	close(fd);
	unlink_ok(name);
}

static int
holder_child(struct mc_child *self, void *varg)
{
	struct opener_arg *arg = varg;
	volatile unsigned char *p;
	int fd = shm_open(arg->name, O_RDWR, 0);

	if (fd < 0)
		return 10;
	p = mmap(NULL, arg->len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		return 11;
	close(fd);
	mc_child_send_u64(self, 1);      /* mapped */
	(void)mc_child_recv_u64(self);   /* unlinked and written */
	mc_child_send_u64(self, p[0]);
	return 0;
}

MC_TC_CLEANUP(unlink_removes_name_mappings_survive, "SHM-4",
    "shm_unlink removes the name (shm_open without O_CREAT then fails with "
    "ENOENT, O_CREAT makes a new empty object) while existing mappings "
    "keep working and stay shared", shm_cleanup)
{
	size_t ps = mc_pagesize();
	char name[128];
	struct opener_arg arg = { name, ps };
	struct mc_child ch;
	unsigned char *p;
	uint64_t v;
	int fd;

	shm_name(name, sizeof(name), "unlink");
	fd = shm_create(name);
	ATF_REQUIRE(ftruncate(fd, (off_t)ps) == 0);
	p = mc_map_fd(fd, ps, PROT_READ | PROT_WRITE, MAP_SHARED, 0);
	close(fd);
	mc_spawn(&ch, holder_child, &arg);
	mc_expect(&ch, &v, sizeof(v), "the child's mapping");
	unlink_ok(name);
	fd = shm_open(name, O_RDWR, 0);
	ATF_REQUIRE_MSG(fd < 0 && errno == ENOENT, "shm_open(%s) after "
	    "shm_unlink: expected ENOENT, got %s", name,
	    fd >= 0 ? "success" : strerror(errno));
	p[0] = 'U';
	mc_child_send_u64(&ch, 1);
	mc_expect(&ch, &v, sizeof(v), "the child's read");
	ATF_REQUIRE_MSG(v == 'U', "after shm_unlink the child's mapping reads "
	    "%#jx, expected the parent's 'U'", (uintmax_t)v);
	mc_reap_ok(&ch);

	fd = shm_create(name);
	ATF_REQUIRE_EQ_MSG(mc_fd_size(fd), 0, "O_CREAT after shm_unlink: "
	    "expected a new empty object, size is %jd",
	    (intmax_t)mc_fd_size(fd));
	close(fd);
	unlink_ok(name);
	ATF_REQUIRE_MSG(p[0] == 'U', "the old mapping changed after the name "
	    "was reused");
	ATF_REQUIRE(munmap(p, ps) == 0);
}

MC_TC_CLEANUP(rdonly_object_maps_read_only, "SHM-5",
    "An object opened O_RDONLY can be mapped MAP_SHARED only for reading: "
    "PROT_WRITE fails with EACCES, in mmap and in mprotect", shm_cleanup)
{
	size_t ps = mc_pagesize();
	char name[128];
	unsigned char *p;
	int fd, ro;

	shm_name(name, sizeof(name), "rdonly");
	fd = shm_create(name);
	ATF_REQUIRE(ftruncate(fd, (off_t)ps) == 0);
	ATF_REQUIRE(pwrite(fd, "r", 1, 0) == 1);
	ro = shm_open(name, O_RDONLY, 0);
	ATF_REQUIRE_MSG(ro >= 0, "shm_open(%s, O_RDONLY): %s", name,
	    strerror(errno));
	mc_require_mmap_fails(mmap(NULL, ps, PROT_READ | PROT_WRITE,
	    MAP_SHARED, ro, 0), ps, EACCES, "mmap(O_RDONLY shm, MAP_SHARED, "
	    "PROT_WRITE)");
	p = mc_map_fd(ro, ps, PROT_READ, MAP_SHARED, 0);
	ATF_REQUIRE_MSG(p[0] == 'r', "read-only mapping reads %#x, expected "
	    "'r'", p[0]);
	MC_REQUIRE_ERR(mprotect(p, ps, PROT_READ | PROT_WRITE), EACCES,
	    "mprotect(PROT_WRITE) on the O_RDONLY object's mapping");
	ATF_REQUIRE(munmap(p, ps) == 0);
	close(ro);
	close(fd);
	unlink_ok(name);
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, new_object_empty_then_zero_filled);
	ATF_TP_ADD_TC(tp, object_shared_between_processes);
	ATF_TP_ADD_TC(tp, object_persists_without_mappings);
	ATF_TP_ADD_TC(tp, unlink_removes_name_mappings_survive);
	ATF_TP_ADD_TC(tp, rdonly_object_maps_read_only);
	return atf_no_error();
}
