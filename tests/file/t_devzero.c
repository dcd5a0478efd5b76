/*
 * t_devzero: mappings of /dev/zero. A private mapping is zero-filled
 * anonymous memory with copy-on-write over fork; a shared mapping is a new
 * shared anonymous object that parent and child keep sharing after fork.
 */
#include <sys/mman.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <string.h>
#include <unistd.h>

#include "mc.h"

static int
open_devzero(int flags)
{
	int fd = open("/dev/zero", flags | O_CLOEXEC);

	if (fd < 0 && (errno == ENOENT || errno == EACCES || errno == ENXIO))
		atf_tc_skip("/dev/zero cannot be opened here: %s",
		    strerror(errno));
	ATF_REQUIRE_MSG(fd >= 0, "open(/dev/zero): %s", strerror(errno));
	return fd;
}

static unsigned char *
map_devzero(int fd, size_t len, int flags)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, flags, fd, 0);

	ATF_REQUIRE_MSG(p != MAP_FAILED, "mmap(/dev/zero, %zu bytes, %s, "
	    "PROT_READ|PROT_WRITE): %s", len, flags == MAP_SHARED ?
	    "MAP_SHARED" : "MAP_PRIVATE", strerror(errno));
	mc_nohuge(p, len);
	return p;
}

MC_TC(private_devzero_zero_filled_writable, "DEVZERO-1",
    "A private mapping of /dev/zero (fd open read-only) is zero-filled, "
    "writable memory; writes do not reach the device or other mappings")
{
	size_t ps = mc_pagesize(), len = 4 * ps;
	int fd = open_devzero(O_RDONLY);
	unsigned char *p = map_devzero(fd, len, MAP_PRIVATE);
	unsigned char *q, buf[64];

	ATF_REQUIRE_MSG(mc_all_bytes(p, len, 0), "a fresh private /dev/zero "
	    "mapping is not all zeros");
	memset(p, 'w', len);
	ATF_REQUIRE_MSG(mc_all_bytes(p, len, 'w'), "writes to the private "
	    "/dev/zero mapping did not stick");
	q = map_devzero(fd, len, MAP_PRIVATE);
	ATF_REQUIRE_MSG(mc_all_bytes(q, len, 0), "a second private mapping "
	    "of /dev/zero sees data written to the first");
	ATF_REQUIRE_EQ_MSG(read(fd, buf, sizeof(buf)), (ssize_t)sizeof(buf),
	    "read(/dev/zero): %s", strerror(errno));
	ATF_REQUIRE_MSG(mc_all_bytes(buf, sizeof(buf), 0), "read() of "
	    "/dev/zero returns non-zero bytes after writes to a mapping");
	ATF_REQUIRE(munmap(p, len) == 0);
	ATF_REQUIRE(munmap(q, len) == 0);
	close(fd);
}

struct cow_report {
	uint8_t seen_before; /* byte the child read right after fork */
	uint8_t pad[7];
	uint64_t pfn_before; /* child's PFN before its write */
	uint64_t pfn_after;  /* child's PFN after its write */
};

/* What the child sees after the parent's write. */
struct cow_late {
	uint64_t seen; /* the child's byte */
	uint64_t pfn;  /* the child's PFN (0 when hidden) */
};

static int
private_child(struct mc_child *self, void *arg)
{
	volatile unsigned char *p = arg;
	struct cow_report r;
	struct cow_late l;

	memset(&r, 0, sizeof(r));
	r.seen_before = p[0];
	r.pfn_before = mc_pfn_try((const void *)p);
	p[0] = 'C';
	r.pfn_after = mc_pfn_try((const void *)p);
	mc_send(self, &r, sizeof(r));
	(void)mc_child_recv_u64(self); /* the parent has written 'Q' */
	l.seen = p[0];
	l.pfn = mc_pfn_try((const void *)p);
	mc_send(self, &l, sizeof(l));
	return 0;
}

/*
 * PFN assertions: each process keeps its page while the OTHER one writes.
 * Nothing is asserted about a process's PFN across its own write after the
 * other one broke the sharing: Linux 5.9-5.18 reuse an anonymous page on
 * write only when nothing else holds a reference (an LRU pagevec often
 * does), so that write may copy again, which DEVZERO-2 allows.
 */
MC_TC(private_devzero_cow_after_fork, "DEVZERO-2",
    "After fork, a private /dev/zero mapping is copy-on-write: the child "
    "first shares the parent's page, then its write gets its own page and "
    "neither process sees the other's writes")
{
	size_t ps = mc_pagesize();
	int fd = open_devzero(O_RDWR);
	volatile unsigned char *p = map_devzero(fd, ps, MAP_PRIVATE);
	struct mc_child ch;
	struct cow_report r;
	struct cow_late l;
	uint64_t pfn_parent, pfn_parent_kept;

	p[0] = 'P';
	pfn_parent = mc_pfn_try((const void *)p);
	mc_spawn(&ch, private_child, (void *)p);
	mc_expect(&ch, &r, sizeof(r), "the child's observations");
	/* The parent's page after the child's write, before its own. */
	pfn_parent_kept = mc_pfn_try((const void *)p);
	ATF_REQUIRE_MSG(r.seen_before == 'P', "child read %#x right after "
	    "fork, expected the parent's 'P'", r.seen_before);
	ATF_REQUIRE_MSG(p[0] == 'P', "parent sees %#x after the child wrote "
	    "'C' to its private copy, expected 'P'", p[0]);
	p[0] = 'Q';
	mc_child_send_u64(&ch, 1);
	mc_expect(&ch, &l, sizeof(l), "the child's second read");
	ATF_REQUIRE_MSG(l.seen == 'C', "child sees %#jx after the parent "
	    "wrote 'Q', expected its own 'C'", (uintmax_t)l.seen);
	ATF_REQUIRE_MSG(p[0] == 'Q', "parent sees %#x after its own write of "
	    "'Q'", p[0]);
	mc_reap_ok(&ch);

	mc_require_pfns();
	ATF_REQUIRE_MSG(pfn_parent != 0, "the parent's written page has no "
	    "PFN although PFNs are visible");
	ATF_REQUIRE_MSG(r.pfn_before == pfn_parent, "right after fork the "
	    "child's PFN %#jx differs from the parent's %#jx (not shared)",
	    (uintmax_t)r.pfn_before, (uintmax_t)pfn_parent);
	ATF_REQUIRE_MSG(r.pfn_after != pfn_parent && r.pfn_after != 0,
	    "after its write the child's PFN is %#jx, expected a new page "
	    "(parent's is %#jx)", (uintmax_t)r.pfn_after,
	    (uintmax_t)pfn_parent);
	ATF_REQUIRE_MSG(pfn_parent_kept == pfn_parent, "after the child's "
	    "write the parent (not the writer) should keep PFN %#jx, it has "
	    "%#jx", (uintmax_t)pfn_parent, (uintmax_t)pfn_parent_kept);
	ATF_REQUIRE_MSG(l.pfn == r.pfn_after, "after the parent's write the "
	    "child (not the writer) should keep its PFN %#jx, it has %#jx",
	    (uintmax_t)r.pfn_after, (uintmax_t)l.pfn);
	close(fd);
}

static int
shared_child(struct mc_child *self, void *arg)
{
	volatile unsigned char *p = arg;

	/* fork does not copy the page table of shared mappings: fault in. */
	(void)p[0];
	mc_child_send_u64(self, mc_pfn_try((const void *)p));
	p[0] = 'C';
	mc_child_send_u64(self, 1); /* written */
	(void)mc_child_recv_u64(self); /* the parent has written p[1] */
	mc_child_send_u64(self, p[1]);
	return 0;
}

MC_TC(shared_devzero_shared_after_fork, "DEVZERO-3",
    "A shared mapping of /dev/zero is zero-filled and stays shared after "
    "fork: the same physical page, and writes of either process are seen "
    "by the other")
{
	size_t ps = mc_pagesize();
	int fd = open_devzero(O_RDWR);
	volatile unsigned char *p = map_devzero(fd, ps, MAP_SHARED);
	struct mc_child ch;
	uint64_t pfn_child, v;

	ATF_REQUIRE_MSG(mc_all_bytes((const void *)p, ps, 0), "a fresh "
	    "shared /dev/zero mapping is not all zeros");
	p[0] = 'P'; /* populate before fork */
	mc_spawn(&ch, shared_child, (void *)p);
	mc_expect(&ch, &pfn_child, sizeof(pfn_child), "the child's PFN");
	mc_expect(&ch, &v, sizeof(v), "the child's write");
	ATF_REQUIRE_MSG(p[0] == 'C', "parent sees %#x after the child wrote "
	    "'C' to the shared /dev/zero mapping", p[0]);
	p[1] = 'Q';
	mc_child_send_u64(&ch, 1);
	mc_expect(&ch, &v, sizeof(v), "the child's read");
	ATF_REQUIRE_MSG(v == 'Q', "child sees %#jx after the parent wrote "
	    "'Q'", (uintmax_t)v);
	mc_reap_ok(&ch);

	mc_require_pfns();
	ATF_REQUIRE_EQ_MSG(pfn_child, mc_pfn((const void *)p), "child PFN "
	    "%#jx, parent PFN %#jx: expected the same page",
	    (uintmax_t)pfn_child, (uintmax_t)mc_pfn((const void *)p));
	close(fd);
}

MC_TC(shared_devzero_each_mmap_new_object, "DEVZERO-4",
    "Each MAP_SHARED mmap of /dev/zero creates a new object: two shared "
    "mappings of the same fd and offset do not see each other's writes")
{
	size_t ps = mc_pagesize();
	int fd = open_devzero(O_RDWR);
	unsigned char *a = map_devzero(fd, ps, MAP_SHARED);
	unsigned char *b = map_devzero(fd, ps, MAP_SHARED);

	memset(a, 'a', ps);
	ATF_REQUIRE_MSG(mc_all_bytes(b, ps, 0), "a second shared mapping of "
	    "/dev/zero sees the first one's writes (b[0] = %#x)", b[0]);
	memset(b, 'b', ps);
	ATF_REQUIRE_MSG(mc_all_bytes(a, ps, 'a'), "the first shared mapping "
	    "of /dev/zero sees the second one's writes (a[0] = %#x)", a[0]);
	ATF_REQUIRE(munmap(a, ps) == 0);
	ATF_REQUIRE(munmap(b, ps) == 0);
	close(fd);
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, private_devzero_zero_filled_writable);
	ATF_TP_ADD_TC(tp, private_devzero_cow_after_fork);
	ATF_TP_ADD_TC(tp, shared_devzero_shared_after_fork);
	ATF_TP_ADD_TC(tp, shared_devzero_each_mmap_new_object);
	return atf_no_error();
}
