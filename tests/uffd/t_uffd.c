/*
 * t_uffd: userfaultfd(2) and ioctl_userfaultfd(2) semantics: the UFFDIO_API
 * handshake, page faults delivered as UFFD_EVENT_PAGEFAULT messages and
 * resolved with UFFDIO_COPY, UFFDIO_ZEROPAGE and UFFDIO_CONTINUE, write
 * protection, registration errors, the non-cooperative events (fork,
 * mremap, madvise, munmap), and who may create a userfaultfd.
 *
 * How the cases work: the test thread is the monitor. Every access that
 * may block in a userfault happens in a second thread (a "toucher"), or,
 * for the fork event, in a child; calls that raise a non-cooperative event
 * (madvise, mremap, munmap, fork) also run in a second thread, since they
 * wait until the monitor has read the event. The monitor waits for each
 * message with poll(2) and a deadline (MC_UFFD_WAIT_MS); when nothing arrives, or
 * a blocked thread is not woken, it closes the userfaultfd (which wakes
 * every waiter and unregisters every range), joins the thread and fails
 * the case with what it saw. Threads are always joined, children reaped.
 *
 * Probing: the syscall is tried as is; EPERM (no CAP_SYS_PTRACE and
 * vm.unprivileged_userfaultfd = 0, or a seccomp filter) falls back to
 * UFFD_USER_MODE_ONLY (Linux 5.11+), then to /dev/userfaultfd (6.1+), else
 * the case is skipped with what each try said. Each case asks UFFDIO_API
 * for the features it needs on a probe descriptor first (ioctl_userfaultfd
 * (2) BUGS: features are probed on one descriptor and enabled on a fresh
 * one) and is skipped naming the feature when the kernel lacks it.
 */
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include <linux/capability.h>
#include <linux/userfaultfd.h>

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "mc.h"
#include "mc_err.h"
#include "mc_proc.h"
#include "mc_uffd.h"

/* A thread that runs fn(arg) once and keeps its result and errno. */
struct caller {
	pthread_t th;
	bool running;
	long (*fn)(void *);
	void *arg;
	long rc;
	int err;
};

static void *
caller_main(void *arg)
{
	struct caller *c = arg;

	errno = 0;
	c->rc = c->fn(c->arg);
	c->err = errno;
	return NULL;
}

static void
caller_start(struct caller *c, long (*fn)(void *), void *arg)
{
	int e;

	c->fn = fn;
	c->arg = arg;
	e = pthread_create(&c->th, NULL, caller_main, c);
	ATF_REQUIRE_MSG(e == 0, "pthread_create: %s", strerror(e));
	c->running = true;
}

/*
 * Wait for the next message, which must be of event 'want'. On timeout or
 * error: unblock and join the other thread (close the descriptor) and fail.
 */
static void
expect_event(int *fd, struct uffd_msg *m, unsigned want, pthread_t th,
    bool *running)
{
	int r = mc_uffd_next(*fd, m, MC_UFFD_WAIT_MS);

	if (r == 1 && m->event == want)
		return;
	mc_uffd_settle(th, running, fd);
	if (r == 0)
		atf_tc_fail("no %s within %d ms", mc_uffd_event_name(want), MC_UFFD_WAIT_MS);
	if (r < 0)
		atf_tc_fail("waiting for %s: poll/read on the userfaultfd "
		    "failed: %s", mc_uffd_event_name(want), strerror(-r));
	atf_tc_fail("expected %s (%#x), read %s (%#x)", mc_uffd_event_name(want), want,
	    mc_uffd_event_name(m->event), m->event);
}

/* A page filled with byte c (mc_map_anon: ATF on failure). */
static unsigned char *
filled_page(unsigned char c)
{
	size_t ps = mc_pagesize();
	unsigned char *b = mc_map_anon(ps, PROT_READ | PROT_WRITE, MAP_PRIVATE);

	memset(b, c, ps);
	return b;
}

/* A memfd of 'pages' pages (no page cache pages yet). */
static int
new_memfd(const char *name, size_t pages)
{
	int fd = memfd_create(name, MFD_CLOEXEC);

	if (fd < 0 && (errno == ENOSYS || errno == EINVAL))
		mc_skip_unsupported("memfd_create", errno);
	ATF_REQUIRE_MSG(fd >= 0, "memfd_create: %s", strerror(errno));
	ATF_REQUIRE_MSG(ftruncate(fd, (off_t)(pages * mc_pagesize())) == 0,
	    "ftruncate(memfd, %zu pages): %s", pages, strerror(errno));
	return fd;
}

/* ---- UFFDIO_API -------------------------------------------------------- */

MC_TC(api_bad_version_einval, "UFFD-1",
    "UFFDIO_API with an api other than UFFD_API fails with EINVAL and "
    "leaves the userfaultfd not enabled: UFFDIO_API with UFFD_API then "
    "succeeds")
{
	int fd = mc_uffd_new();
	struct uffdio_api api = { .api = UFFD_API + 1, .features = 0 };

	MC_REQUIRE_ERRF(ioctl(fd, UFFDIO_API, &api), EINVAL,
	    "UFFDIO_API(api %#llx)", (unsigned long long)(UFFD_API + 1));
	api.api = UFFD_API;
	api.features = 0;
	MC_REQUIRE_OKF(ioctl(fd, UFFDIO_API, &api), "UFFDIO_API(UFFD_API) "
	    "after a failed UFFDIO_API");
	ATF_CHECK_MSG(api.api == UFFD_API, "UFFDIO_API returned api %#llx, "
	    "expected UFFD_API %#llx", (unsigned long long)api.api,
	    (unsigned long long)UFFD_API);
	ATF_CHECK_MSG(api.ioctls & (1ULL << _UFFDIO_REGISTER),
	    "UFFDIO_API ioctls %#llx lacks 1 << _UFFDIO_REGISTER",
	    (unsigned long long)api.ioctls);
	close(fd);
}

MC_TC(api_unknown_feature_einval, "UFFD-2",
    "UFFDIO_API asking for a feature bit the kernel does not support "
    "fails with EINVAL and zeroes the returned uffdio_api structure")
{
	int fd = mc_uffd_new();
	uint64_t bit = 1ULL << 63; /* no feature uses it */
	struct uffdio_api api = { .api = UFFD_API, .features = bit,
		.ioctls = 0x5a5a };

	ATF_REQUIRE_MSG((mc_uffd_available() & bit) == 0, "feature bit 63 is "
	    "reported available: pick another unused bit");
	MC_REQUIRE_ERRF(ioctl(fd, UFFDIO_API, &api), EINVAL,
	    "UFFDIO_API(features 1<<63)");
	ATF_CHECK_MSG(api.api == 0 && api.features == 0 && api.ioctls == 0,
	    "after the failed UFFDIO_API: expected a zeroed structure, got "
	    "api %#llx features %#llx ioctls %#llx",
	    (unsigned long long)api.api, (unsigned long long)api.features,
	    (unsigned long long)api.ioctls);
	close(fd);
}

MC_TC(api_twice_einval, "UFFD-3",
    "a second UFFDIO_API on a userfaultfd already enabled by UFFDIO_API "
    "fails with EINVAL")
{
	int fd = mc_uffd_new();
	struct uffdio_api api = { .api = UFFD_API, .features = 0 };

	MC_REQUIRE_OKF(ioctl(fd, UFFDIO_API, &api), "first UFFDIO_API");
	api.api = UFFD_API;
	api.features = 0;
	MC_REQUIRE_ERRF(ioctl(fd, UFFDIO_API, &api), EINVAL,
	    "second UFFDIO_API(UFFD_API, no features) on the same fd");
	close(fd);
}

MC_TC(not_enabled_einval, "UFFD-4",
    "before UFFDIO_API, UFFDIO_REGISTER and UFFDIO_COPY on the userfaultfd "
    "and read(2) from it fail with EINVAL")
{
	size_t ps = mc_pagesize();
	int fd = mc_uffd_new();
	unsigned char *p = mc_map_guarded(1, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1);
	unsigned char *src = filled_page(0x11);
	struct uffd_msg m;
	int64_t copied;

	MC_REQUIRE_ERRF(mc_uffd_register(fd, p, ps, UFFDIO_REGISTER_MODE_MISSING),
	    EINVAL, "UFFDIO_REGISTER(%p, 1 page) before UFFDIO_API", (void *)p);
	MC_REQUIRE_ERRF(mc_uffd_copy(fd, p, src, ps, &copied), EINVAL,
	    "UFFDIO_COPY(%p, 1 page) before UFFDIO_API", (void *)p);
	MC_REQUIRE_ERRF(read(fd, &m, sizeof(m)), EINVAL,
	    "read(userfaultfd, %zu bytes) before UFFDIO_API", sizeof(m));
	ATF_CHECK_MSG(mc_count_not(p, ps, 0) == 0, "the page at %p changed "
	    "although UFFDIO_COPY failed", (void *)p);
	close(fd);
	mc_unmap_guarded(p, 1);
	munmap(src, ps);
}

MC_TC(read_short_buffer_einval, "UFFD-5",
    "read(2) from an enabled userfaultfd with a buffer smaller than struct "
    "uffd_msg fails with EINVAL")
{
	int fd = mc_uffd_open(0);
	struct uffd_msg m;

	MC_REQUIRE_ERRF(read(fd, &m, sizeof(m) - 1), EINVAL,
	    "read(userfaultfd, %zu bytes)", sizeof(m) - 1);
	close(fd);
}

MC_TC(poll_blocking_fd_pollerr, "UFFD-6",
    "poll(2) on an enabled userfaultfd created without O_NONBLOCK reports "
    "POLLERR")
{
	int fd, r;
	struct uffdio_api api = { .api = UFFD_API, .features = 0 };
	struct pollfd p;

	/* Find the way this process may create one, then clear O_NONBLOCK. */
	fd = mc_uffd_new();
	ATF_REQUIRE_MSG(fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK)
	    == 0, "fcntl(F_SETFL, ~O_NONBLOCK): %s", strerror(errno));
	ATF_REQUIRE((fcntl(fd, F_GETFL) & O_NONBLOCK) == 0);
	MC_REQUIRE_OKF(ioctl(fd, UFFDIO_API, &api), "UFFDIO_API");
	p.fd = fd;
	p.events = POLLIN;
	p.revents = 0;
	r = poll(&p, 1, 0);
	ATF_REQUIRE_MSG(r == 1 && (p.revents & POLLERR), "poll(blocking "
	    "userfaultfd, POLLIN, 0 ms): expected 1 with POLLERR, got %d, "
	    "revents %#x", r, (unsigned)p.revents);
	close(fd);
}

/* ---- registration errors ----------------------------------------------- */

MC_TC(register_unaligned_einval, "UFFD-7",
    "UFFDIO_REGISTER fails with EINVAL when range.start or range.len is not "
    "a multiple of the page size or range.len is zero")
{
	size_t ps = mc_pagesize();
	int fd = mc_uffd_open(0);
	unsigned char *p = mc_map_guarded(2, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1);
	const uint64_t m = UFFDIO_REGISTER_MODE_MISSING;

	MC_REQUIRE_ERRF(mc_uffd_register(fd, p + 1, ps, m), EINVAL,
	    "UFFDIO_REGISTER(start %p (page + 1), 1 page)", (void *)(p + 1));
	MC_REQUIRE_ERRF(mc_uffd_register(fd, p, ps + 1, m), EINVAL,
	    "UFFDIO_REGISTER(%p, len page size + 1)", (void *)p);
	MC_REQUIRE_ERRF(mc_uffd_register(fd, p, ps / 2, m), EINVAL,
	    "UFFDIO_REGISTER(%p, len half a page)", (void *)p);
	MC_REQUIRE_ERRF(mc_uffd_register(fd, p, 0, m), EINVAL,
	    "UFFDIO_REGISTER(%p, len 0)", (void *)p);
	/* The same range, aligned, is fine: the errors were the alignment. */
	mc_uffd_register_ok(fd, p, ps, m, "the aligned range");
	close(fd);
	mc_unmap_guarded(p, 2);
}

MC_TC(register_no_mapping_einval, "UFFD-8",
    "UFFDIO_REGISTER of a range that holds no mapping fails with EINVAL")
{
	int fd = mc_uffd_open(0);
	unsigned char *hole = mc_free_hole(2);

	MC_REQUIRE_ERRF(mc_uffd_register(fd, hole, 2 * mc_pagesize(),
	    UFFDIO_REGISTER_MODE_MISSING), EINVAL,
	    "UFFDIO_REGISTER(%p, 2 pages) of unmapped address space",
	    (void *)hole);
	close(fd);
}

MC_TC(register_other_uffd_ebusy, "UFFD-9",
    "UFFDIO_REGISTER of a range already registered with another "
    "userfaultfd fails with EBUSY")
{
	size_t ps = mc_pagesize();
	int fd1 = mc_uffd_open(0), fd2 = mc_uffd_open(0);
	unsigned char *p = mc_map_guarded(1, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1);

	mc_uffd_register_ok(fd1, p, ps, UFFDIO_REGISTER_MODE_MISSING, "the first fd");
	MC_REQUIRE_ERRF(mc_uffd_register(fd2, p, ps, UFFDIO_REGISTER_MODE_MISSING),
	    EBUSY, "UFFDIO_REGISTER(%p, 1 page) with a second userfaultfd",
	    (void *)p);
	close(fd2);
	close(fd1);
	mc_unmap_guarded(p, 1);
}

/* ---- MODE_MISSING on private anonymous memory ------------------------- */

MC_TC(missing_read_copy, "UFFD-10",
    "with UFFDIO_REGISTER_MODE_MISSING on private anonymous memory, a read "
    "of an unpopulated page blocks the reading thread and queues a "
    "UFFD_EVENT_PAGEFAULT for that page without the WRITE, WP or MINOR "
    "flags; UFFDIO_COPY of a page resolves it and the thread reads exactly "
    "the copied bytes")
{
	size_t ps = mc_pagesize(), off = ps / 2 + 3;
	int fd = mc_uffd_open(0);
	unsigned char *p = mc_map_guarded(1, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1);
	unsigned char *src = mc_map_anon(ps, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE);
	unsigned char *seen = mc_map_anon(ps, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE);
	struct mc_toucher t = { .addr = p + off, .page = p, .len = ps,
		.seen = seen };
	struct uffd_msg m;
	bool blocked, woke;
	int r;
	int64_t copied;

	for (size_t i = 0; i < ps; i++)
		src[i] = (unsigned char)(i * 7 + 1);
	mc_uffd_register_ok(fd, p, ps, UFFDIO_REGISTER_MODE_MISSING, "private anon");
	mc_toucher_start(&t);
	expect_event(&fd, &m, UFFD_EVENT_PAGEFAULT, t.th, &t.running);
	blocked = !atomic_load(&t.done);
	r = mc_uffd_copy(fd, p, src, ps, &copied);
	int e = errno;
	woke = mc_toucher_settle(&t, &fd);

	ATF_CHECK_MSG(blocked, "the reading thread had finished before the "
	    "fault was resolved");
	/*
	 * The address: userfaultfd(2) says "the address that triggered the
	 * fault"; kernels report it rounded down to its page unless
	 * UFFD_FEATURE_EXACT_ADDRESS is asked for (case exact_address), so
	 * only the page is required here.
	 */
	ATF_CHECK_MSG((m.arg.pagefault.address & ~(uint64_t)(ps - 1)) ==
	    (uintptr_t)p, "pagefault.address %#llx: expected within the page "
	    "%p (read at %p)", (unsigned long long)m.arg.pagefault.address,
	    (void *)p, (void *)(p + off));
	ATF_CHECK_MSG((m.arg.pagefault.flags & (UFFD_PAGEFAULT_FLAG_WRITE |
	    UFFD_PAGEFAULT_FLAG_WP | UFFD_PAGEFAULT_FLAG_MINOR)) == 0,
	    "pagefault.flags %#llx of a read of a missing page: expected no "
	    "WRITE, WP or MINOR flag", (unsigned long long)m.arg.pagefault.flags);
	ATF_REQUIRE_MSG(r == 0 && copied == (int64_t)ps, "UFFDIO_COPY(%p, 1 "
	    "page): expected 0 and copy %zu, got %d (%s) and copy %lld",
	    (void *)p, ps, r, r ? strerror(e) : "ok", (long long)copied);
	ATF_REQUIRE_MSG(woke, "the reading thread did not resume within %d ms "
	    "after UFFDIO_COPY", MC_UFFD_WAIT_MS);
	ATF_CHECK_MSG(t.rbyte == src[off], "the thread read %#x at %p, "
	    "expected the copied byte %#x", t.rbyte, (void *)(p + off),
	    src[off]);
	ATF_CHECK_MSG(memcmp(seen, src, ps) == 0, "the page the thread saw "
	    "differs from the copied page");
	ATF_CHECK_MSG(memcmp(p, src, ps) == 0, "the page at %p differs from "
	    "the copied page", (void *)p);
	mc_close_fd(&fd);
	mc_unmap_guarded(p, 1);
	munmap(src, ps);
	munmap(seen, ps);
}

MC_TC(missing_write_flag, "UFFD-11",
    "a write to an unpopulated page of a MODE_MISSING range queues a "
    "UFFD_EVENT_PAGEFAULT with UFFD_PAGEFAULT_FLAG_WRITE set; after "
    "UFFDIO_COPY the write lands on the copied page")
{
	size_t ps = mc_pagesize(), off = 100;
	int fd = mc_uffd_open(0);
	unsigned char *p = mc_map_guarded(1, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1);
	unsigned char *src = filled_page(0x3c);
	struct mc_toucher t = { .addr = p + off, .write = true, .wbyte = 0xc3 };
	struct uffd_msg m;
	bool woke;
	int r, e;
	int64_t copied;

	mc_uffd_register_ok(fd, p, ps, UFFDIO_REGISTER_MODE_MISSING, "private anon");
	mc_toucher_start(&t);
	expect_event(&fd, &m, UFFD_EVENT_PAGEFAULT, t.th, &t.running);
	r = mc_uffd_copy(fd, p, src, ps, &copied);
	e = errno;
	woke = mc_toucher_settle(&t, &fd);

	ATF_CHECK_MSG(m.arg.pagefault.flags & UFFD_PAGEFAULT_FLAG_WRITE,
	    "pagefault.flags %#llx of a write: expected "
	    "UFFD_PAGEFAULT_FLAG_WRITE", (unsigned long long)m.arg.pagefault.flags);
	ATF_CHECK_MSG(!(m.arg.pagefault.flags & UFFD_PAGEFAULT_FLAG_WP),
	    "pagefault.flags %#llx of a missing-page write: unexpected "
	    "UFFD_PAGEFAULT_FLAG_WP", (unsigned long long)m.arg.pagefault.flags);
	ATF_REQUIRE_MSG(r == 0, "UFFDIO_COPY: %s", strerror(e));
	ATF_REQUIRE_MSG(woke, "the writing thread did not resume within %d ms "
	    "after UFFDIO_COPY", MC_UFFD_WAIT_MS);
	ATF_CHECK_MSG(p[off] == 0xc3, "byte at %p: expected the written 0xc3, "
	    "got %#x", (void *)(p + off), p[off]);
	ATF_CHECK_MSG(mc_count_not(p, ps, 0x3c) == 1, "page %p: expected the "
	    "copied 0x3c everywhere but the written byte, %zu bytes differ",
	    (void *)p, mc_count_not(p, ps, 0x3c));
	mc_close_fd(&fd);
	mc_unmap_guarded(p, 1);
	munmap(src, ps);
}

MC_TC(missing_zeropage, "UFFD-12",
    "UFFDIO_ZEROPAGE resolves a MODE_MISSING fault: the blocked thread "
    "resumes and reads zeros, and the zeropage field is the length")
{
	size_t ps = mc_pagesize();
	int fd = mc_uffd_open(0);
	unsigned char *p = mc_map_guarded(1, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1);
	unsigned char *seen = filled_page(0xff);
	struct mc_toucher t = { .addr = p + ps - 1, .page = p, .len = ps,
		.seen = seen, .rbyte = 0xff };
	struct uffd_msg m;
	bool blocked, woke;
	int r, e;
	int64_t zeroed;

	mc_uffd_register_ok(fd, p, ps, UFFDIO_REGISTER_MODE_MISSING, "private anon");
	mc_toucher_start(&t);
	expect_event(&fd, &m, UFFD_EVENT_PAGEFAULT, t.th, &t.running);
	blocked = !atomic_load(&t.done);
	r = mc_uffd_zeropage(fd, p, ps, &zeroed);
	e = errno;
	woke = mc_toucher_settle(&t, &fd);

	ATF_CHECK_MSG(blocked, "the reading thread had finished before the "
	    "fault was resolved");
	ATF_REQUIRE_MSG(r == 0 && zeroed == (int64_t)ps, "UFFDIO_ZEROPAGE(%p, "
	    "1 page): expected 0 and zeropage %zu, got %d (%s), %lld",
	    (void *)p, ps, r, r ? strerror(e) : "ok", (long long)zeroed);
	ATF_REQUIRE_MSG(woke, "the reading thread did not resume within %d ms "
	    "after UFFDIO_ZEROPAGE", MC_UFFD_WAIT_MS);
	ATF_CHECK_MSG(t.rbyte == 0 && mc_count_not(seen, ps, 0) == 0,
	    "after UFFDIO_ZEROPAGE the thread read %#x and %zu non-zero bytes",
	    t.rbyte, mc_count_not(seen, ps, 0));
	mc_close_fd(&fd);
	mc_unmap_guarded(p, 1);
	munmap(seen, ps);
}

MC_TC(copy_populated_eexist, "UFFD-13",
    "UFFDIO_COPY onto a page of a registered range that is already "
    "populated fails with EEXIST (copy field -EEXIST) and leaves the page "
    "as it was")
{
	size_t ps = mc_pagesize();
	int fd = mc_uffd_open(0);
	unsigned char *p = mc_map_guarded(1, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1);
	unsigned char *a = filled_page(0xa1), *b = filled_page(0xb2);
	int64_t copied;

	mc_uffd_register_ok(fd, p, ps, UFFDIO_REGISTER_MODE_MISSING, "private anon");
	/* No thread waits: UFFDIO_COPY may populate ahead of any fault. */
	MC_REQUIRE_OKF(mc_uffd_copy(fd, p, a, ps, &copied), "first UFFDIO_COPY"
	    "(%p, 1 page)", (void *)p);
	/*
	 * Not in ioctl_userfaultfd(2)'s list for UFFDIO_COPY (it names EEXIST
	 * for UFFDIO_CONTINUE only); the kernel's own selftests
	 * (uffd-common.c: copy_page/retry_copy_page) require -EEXIST.
	 */
	MC_REQUIRE_ERRF(mc_uffd_copy(fd, p, b, ps, &copied), EEXIST,
	    "second UFFDIO_COPY(%p, 1 page) onto the populated page",
	    (void *)p);
	ATF_CHECK_MSG(copied == -EEXIST, "copy field: expected -EEXIST (%d), "
	    "got %lld", -EEXIST, (long long)copied);
	ATF_CHECK_MSG(mc_count_not(p, ps, 0xa1) == 0, "page %p: expected the "
	    "first copy (0xa1) unchanged, %zu bytes differ", (void *)p,
	    mc_count_not(p, ps, 0xa1));
	close(fd);
	mc_unmap_guarded(p, 1);
	munmap(a, ps);
	munmap(b, ps);
}

MC_TC(copy_unregistered_enoent, "UFFD-14",
    "UFFDIO_COPY to a mapped range that is not registered with the "
    "userfaultfd fails with ENOENT and leaves the range untouched")
{
	size_t ps = mc_pagesize();
	int fd = mc_uffd_open(0);
	unsigned char *reg = mc_map_guarded(1, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1);
	unsigned char *p = mc_map_guarded(1, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1);
	unsigned char *src = filled_page(0x77);
	int64_t copied;

	mc_uffd_register_ok(fd, reg, ps, UFFDIO_REGISTER_MODE_MISSING, "another page");
	/*
	 * ioctl_userfaultfd(2) names ENOENT for a destination whose layout
	 * changed and EINVAL for an invalid range; the kernel (mm/userfaultfd.c
	 * find_dst_vma / the vma lookup of mfill) answers -ENOENT for a
	 * destination VMA without this userfaultfd's context, on every kernel
	 * since 4.11.
	 */
	MC_REQUIRE_ERRF(mc_uffd_copy(fd, p, src, ps, &copied), ENOENT,
	    "UFFDIO_COPY(%p, 1 page) to a mapped but unregistered page",
	    (void *)p);
	ATF_CHECK_MSG(mc_mincore_count(p, ps) == 0 || !mc_mincore_sees_untouched(),
	    "the unregistered page %p became resident", (void *)p);
	ATF_CHECK_MSG(mc_count_not(p, ps, 0) == 0, "the unregistered page %p "
	    "holds copied data", (void *)p);
	close(fd);
	mc_unmap_guarded(reg, 1);
	mc_unmap_guarded(p, 1);
	munmap(src, ps);
}

/* ---- shmem ------------------------------------------------------------- */

MC_TC(shmem_missing_copy, "UFFD-15",
    "MODE_MISSING on a MAP_SHARED memfd mapping (UFFD_FEATURE_MISSING_SHMEM): "
    "a read of a page not in the page cache queues a UFFD_EVENT_PAGEFAULT; "
    "UFFDIO_COPY resolves it and the copied bytes are the file's page "
    "(pread sees them)")
{
	size_t ps = mc_pagesize();
	int fd = mc_uffd_open(UFFD_FEATURE_MISSING_SHMEM);
	int mfd = new_memfd("mmapconf-uffd-shmem", 1);
	unsigned char *p = mc_map_fd(mfd, ps, PROT_READ | PROT_WRITE,
	    MAP_SHARED, 0);
	unsigned char *src = filled_page(0x5e), *buf = filled_page(0);
	struct mc_toucher t = { .addr = p + 9 };
	struct uffd_msg m;
	bool blocked, woke;
	int r, e;
	int64_t copied;

	mc_uffd_register_ok(fd, p, ps, UFFDIO_REGISTER_MODE_MISSING, "a shared memfd "
	    "mapping");
	mc_toucher_start(&t);
	expect_event(&fd, &m, UFFD_EVENT_PAGEFAULT, t.th, &t.running);
	blocked = !atomic_load(&t.done);
	r = mc_uffd_copy(fd, p, src, ps, &copied);
	e = errno;
	woke = mc_toucher_settle(&t, &fd);

	ATF_CHECK_MSG(blocked, "the reading thread had finished before the "
	    "fault was resolved");
	ATF_CHECK_MSG((m.arg.pagefault.address & ~(uint64_t)(ps - 1)) ==
	    (uintptr_t)p && (m.arg.pagefault.flags & (UFFD_PAGEFAULT_FLAG_WP |
	    UFFD_PAGEFAULT_FLAG_MINOR | UFFD_PAGEFAULT_FLAG_WRITE)) == 0,
	    "pagefault address %#llx flags %#llx: expected page %p, no flags",
	    (unsigned long long)m.arg.pagefault.address,
	    (unsigned long long)m.arg.pagefault.flags, (void *)p);
	ATF_REQUIRE_MSG(r == 0, "UFFDIO_COPY into the shared mapping: %s",
	    strerror(e));
	ATF_REQUIRE_MSG(woke, "the reading thread did not resume within %d ms "
	    "after UFFDIO_COPY", MC_UFFD_WAIT_MS);
	ATF_CHECK_MSG(t.rbyte == 0x5e, "the thread read %#x, expected 0x5e",
	    t.rbyte);
	mc_pread_all(mfd, buf, ps, 0);
	ATF_CHECK_MSG(mc_count_not(buf, ps, 0x5e) == 0, "pread of the memfd: "
	    "expected the copied 0x5e, %zu bytes differ",
	    mc_count_not(buf, ps, 0x5e));
	mc_close_fd(&fd);
	munmap(p, ps);
	close(mfd);
	munmap(src, ps);
	munmap(buf, ps);
}

MC_TC(minor_shmem_continue, "UFFD-16",
    "MODE_MINOR on a MAP_SHARED memfd mapping (UFFD_FEATURE_MINOR_SHMEM): "
    "access to a page that is in the page cache but not mapped there "
    "queues a UFFD_EVENT_PAGEFAULT with UFFD_PAGEFAULT_FLAG_MINOR; "
    "UFFDIO_CONTINUE maps that page cache page: the thread reads what was "
    "written through another mapping, and both mappings share the page")
{
	size_t ps = mc_pagesize();
	int fd = mc_uffd_open(UFFD_FEATURE_MINOR_SHMEM);
	int mfd = new_memfd("mmapconf-uffd-minor", 1);
	unsigned char *a = mc_map_fd(mfd, ps, PROT_READ | PROT_WRITE,
	    MAP_SHARED, 0);
	unsigned char *b = mc_map_fd(mfd, ps, PROT_READ | PROT_WRITE,
	    MAP_SHARED, 0);
	unsigned char *seen = filled_page(0);
	struct mc_toucher t = { .addr = b + 17, .page = b, .len = ps,
		.seen = seen };
	struct uffdio_continue c = { .range = { (uintptr_t)b, ps } };
	struct uffd_msg m;
	bool blocked, woke;
	int r, e;
	const char *why;

	memset(a, 0x41, ps); /* the page cache page exists now */
	mc_uffd_register_ok(fd, b, ps, UFFDIO_REGISTER_MODE_MINOR, "a shared memfd "
	    "mapping");
	mc_toucher_start(&t);
	expect_event(&fd, &m, UFFD_EVENT_PAGEFAULT, t.th, &t.running);
	blocked = !atomic_load(&t.done);
	/* The handler may update the page in place before continuing. */
	memset(a, 0x42, ps);
	r = ioctl(fd, UFFDIO_CONTINUE, &c);
	e = errno;
	woke = mc_toucher_settle(&t, &fd);

	ATF_REQUIRE_MSG(blocked, "the thread had finished before the minor "
	    "fault was resolved");
	ATF_REQUIRE_MSG(m.arg.pagefault.flags & UFFD_PAGEFAULT_FLAG_MINOR,
	    "pagefault.flags %#llx: expected UFFD_PAGEFAULT_FLAG_MINOR",
	    (unsigned long long)m.arg.pagefault.flags);
	ATF_REQUIRE_MSG((m.arg.pagefault.address & ~(uint64_t)(ps - 1)) ==
	    (uintptr_t)b, "pagefault.address %#llx: expected within %p",
	    (unsigned long long)m.arg.pagefault.address, (void *)b);
	ATF_REQUIRE_MSG(r == 0 && c.mapped == (int64_t)ps, "UFFDIO_CONTINUE("
	    "%p, 1 page): expected 0 and mapped %zu, got %d (%s), %lld",
	    (void *)b, ps, r, r ? strerror(e) : "ok", (long long)c.mapped);
	ATF_REQUIRE_MSG(woke, "the thread did not resume within %d ms after "
	    "UFFDIO_CONTINUE", MC_UFFD_WAIT_MS);
	ATF_REQUIRE_MSG(t.rbyte == 0x42 && mc_count_not(seen, ps, 0x42) == 0,
	    "after UFFDIO_CONTINUE the thread read %#x and %zu bytes differ "
	    "from the 0x42 written through the other mapping", t.rbyte,
	    mc_count_not(seen, ps, 0x42));
	b[0] = 0x99;
	ATF_REQUIRE_MSG(a[0] == 0x99, "a write through the registered mapping "
	    "is not seen through the other one (%#x)", a[0]);
	if (mc_pfns_visible(&why))
		ATF_REQUIRE_MSG(mc_pfn(a) == mc_pfn(b), "PFNs differ: other "
		    "mapping %#" PRIx64 ", registered mapping %#" PRIx64,
		    mc_pfn(a), mc_pfn(b));
	mc_close_fd(&fd);
	munmap(a, ps);
	munmap(b, ps);
	close(mfd);
	munmap(seen, ps);
	if (!mc_pfns_visible(&why))
		mc_require_pfns();
}

/* ---- write protection ------------------------------------------------- */

MC_TC(wp_anon_write_blocks, "UFFD-17",
    "MODE_WP on private anonymous memory (UFFD_FEATURE_PAGEFAULT_FLAG_WP): "
    "after UFFDIO_WRITEPROTECT a write to a populated page blocks and "
    "queues a UFFD_EVENT_PAGEFAULT with UFFD_PAGEFAULT_FLAG_WP and "
    "UFFD_PAGEFAULT_FLAG_WRITE, reads still work; write-unprotecting wakes "
    "the thread and the write lands")
{
	size_t ps = mc_pagesize(), off = 33;
	int fd = mc_uffd_open(UFFD_FEATURE_PAGEFAULT_FLAG_WP);
	unsigned char *p = mc_map_guarded(1, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1);
	struct mc_toucher t = { .addr = p + off, .write = true, .wbyte = 0xee };
	struct uffd_msg m;
	bool blocked, woke;
	unsigned char before;
	int r, e;

	memset(p, 0x61, ps);
	mc_uffd_register_ok(fd, p, ps, UFFDIO_REGISTER_MODE_WP, "private anon");
	MC_REQUIRE_OKF(mc_uffd_wp(fd, p, ps, true), "UFFDIO_WRITEPROTECT(%p, 1 "
	    "page, MODE_WP)", (void *)p);
	mc_toucher_start(&t);
	expect_event(&fd, &m, UFFD_EVENT_PAGEFAULT, t.th, &t.running);
	blocked = !atomic_load(&t.done);
	before = p[off]; /* a read of the write-protected page */
	r = mc_uffd_wp(fd, p, ps, false);
	e = errno;
	woke = mc_toucher_settle(&t, &fd);

	ATF_CHECK_MSG(blocked, "the writing thread had finished before the "
	    "page was write-unprotected");
	ATF_CHECK_MSG((m.arg.pagefault.flags & UFFD_PAGEFAULT_FLAG_WP) &&
	    (m.arg.pagefault.flags & UFFD_PAGEFAULT_FLAG_WRITE),
	    "pagefault.flags %#llx: expected UFFD_PAGEFAULT_FLAG_WP and "
	    "UFFD_PAGEFAULT_FLAG_WRITE", (unsigned long long)m.arg.pagefault.flags);
	ATF_CHECK_MSG((m.arg.pagefault.address & ~(uint64_t)(ps - 1)) ==
	    (uintptr_t)p, "pagefault.address %#llx: expected within %p",
	    (unsigned long long)m.arg.pagefault.address, (void *)p);
	ATF_CHECK_MSG(before == 0x61, "while the write was blocked the byte "
	    "read %#x, expected the old 0x61", before);
	ATF_REQUIRE_MSG(r == 0, "UFFDIO_WRITEPROTECT(%p, 1 page, mode 0): %s",
	    (void *)p, strerror(e));
	ATF_REQUIRE_MSG(woke, "the writing thread did not resume within %d ms "
	    "after write-unprotecting", MC_UFFD_WAIT_MS);
	ATF_CHECK_MSG(p[off] == 0xee && mc_count_not(p, ps, 0x61) == 1,
	    "after the write: byte %#x (expected 0xee), %zu bytes differ from "
	    "0x61 (expected 1)", p[off], mc_count_not(p, ps, 0x61));
	mc_close_fd(&fd);
	mc_unmap_guarded(p, 1);
}

/* ---- unregistering ---------------------------------------------------- */

MC_TC(unregister_faults_normal, "UFFD-18",
    "after UFFDIO_UNREGISTER of a MODE_MISSING range, a read of an "
    "unpopulated page there does not block and reads zeros, and no message "
    "is queued")
{
	size_t ps = mc_pagesize();
	int fd = mc_uffd_open(0);
	unsigned char *p = mc_map_guarded(1, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1);
	unsigned char *seen = filled_page(0xff);
	struct uffdio_range rg = { (uintptr_t)p, ps };
	struct mc_toucher t = { .addr = p + 5, .page = p, .len = ps,
		.seen = seen, .rbyte = 0xff };
	struct uffd_msg m;
	char vmf[512];
	bool flags = mc_smaps_vmflags_try(p, vmf, sizeof(vmf));
	bool ended;
	ssize_t n;
	int e;

	mc_uffd_register_ok(fd, p, ps, UFFDIO_REGISTER_MODE_MISSING, "private anon");
	if (mc_smaps_vmflags_try(p, vmf, sizeof(vmf)))
		ATF_CHECK_MSG(mc_has_vmflag(vmf, "um"), "registered range: "
		    "VmFlags '%s' lacks um", vmf);
	MC_REQUIRE_OKF(ioctl(fd, UFFDIO_UNREGISTER, &rg),
	    "UFFDIO_UNREGISTER(%p, 1 page)", (void *)p);
	if (flags && mc_smaps_vmflags_try(p, vmf, sizeof(vmf)))
		ATF_CHECK_MSG(!mc_has_vmflag(vmf, "um"), "unregistered range: "
		    "VmFlags '%s' still has um", vmf);
	mc_toucher_start(&t);
	ended = mc_join_within(t.th, MC_UFFD_WAIT_MS);
	if (ended)
		t.running = false;
	/* A queued fault would show here; read before any close. */
	errno = 0;
	n = read(fd, &m, sizeof(m));
	e = errno;
	if (!ended)
		mc_close_fd(&fd); /* wakes the thread blocked in the fault */
	mc_toucher_settle(&t, &fd);
	ATF_REQUIRE_MSG(ended, "the reading thread blocked for %d ms on an "
	    "unregistered range (%s)", MC_UFFD_WAIT_MS, n == (ssize_t)sizeof(m) ?
	    mc_uffd_event_name(m.event) : "no message queued");
	ATF_CHECK_MSG(n == -1 && e == EAGAIN, "read(userfaultfd): expected "
	    "-1/EAGAIN (no message), got %zd/%s%s%s", n, mc_errname(e),
	    n > 0 ? " with " : "", n > 0 ? mc_uffd_event_name(m.event) : "");
	ATF_CHECK_MSG(t.rbyte == 0 && mc_count_not(seen, ps, 0) == 0,
	    "the thread read %#x and %zu non-zero bytes, expected zeros",
	    t.rbyte, mc_count_not(seen, ps, 0));
	mc_close_fd(&fd);
	mc_unmap_guarded(p, 1);
	munmap(seen, ps);
}

MC_TC(close_wakes_and_unregisters, "UFFD-19",
    "closing the last descriptor of a userfaultfd unregisters its ranges "
    "and flushes unread faults: a thread blocked in a MODE_MISSING fault "
    "that was never read resumes and reads zeros")
{
	size_t ps = mc_pagesize();
	int fd = mc_uffd_open(0);
	unsigned char *p = mc_map_guarded(1, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1);
	unsigned char *seen = filled_page(0xff);
	struct mc_toucher t = { .addr = p + 1, .page = p, .len = ps,
		.seen = seen, .rbyte = 0xff };
	struct pollfd pf = { 0 };
	char vmf[512];
	bool blocked, ended;
	int r;

	mc_uffd_register_ok(fd, p, ps, UFFDIO_REGISTER_MODE_MISSING, "private anon");
	mc_toucher_start(&t);
	/* Wait until the fault is queued, without reading it. */
	pf.fd = fd;
	pf.events = POLLIN;
	do
		r = poll(&pf, 1, MC_UFFD_WAIT_MS);
	while (r < 0 && errno == EINTR);
	blocked = !atomic_load(&t.done);
	mc_close_fd(&fd);
	ended = mc_join_within(t.th, MC_UFFD_WAIT_MS);
	if (ended)
		t.running = false;
	ATF_REQUIRE_MSG(ended, "the faulting thread did not resume within %d "
	    "ms after the userfaultfd was closed", MC_UFFD_WAIT_MS);
	ATF_REQUIRE_MSG(r == 1 && (pf.revents & POLLIN), "no fault queued "
	    "within %d ms (poll %d, revents %#x)", MC_UFFD_WAIT_MS, r,
	    (unsigned)pf.revents);
	ATF_CHECK_MSG(blocked, "the thread had finished before the close");
	ATF_CHECK_MSG(t.rbyte == 0 && mc_count_not(seen, ps, 0) == 0,
	    "after the close the thread read %#x and %zu non-zero bytes",
	    t.rbyte, mc_count_not(seen, ps, 0));
	if (mc_smaps_vmflags_try(p, vmf, sizeof(vmf)))
		ATF_CHECK_MSG(!mc_has_vmflag(vmf, "um"), "after the close: "
		    "VmFlags '%s' still has um", vmf);
	mc_unmap_guarded(p, 1);
	munmap(seen, ps);
}

/* ---- non-cooperative events ------------------------------------------ */

struct range_arg {
	unsigned char *p;
	size_t len;
	unsigned char *dst;
};

static long
do_dontneed(void *arg)
{
	struct range_arg *a = arg;

	return madvise(a->p, a->len, MADV_DONTNEED);
}

static long
do_mremap(void *arg)
{
	struct range_arg *a = arg;
	void *r = mremap(a->p, a->len, a->len, MREMAP_MAYMOVE | MREMAP_FIXED,
	    a->dst);

	return r == MAP_FAILED ? -1 : (long)(uintptr_t)r;
}

static long
do_munmap(void *arg)
{
	struct range_arg *a = arg;

	return munmap(a->p, a->len);
}

MC_TC(event_remove_dontneed, "UFFD-20",
    "with UFFD_FEATURE_EVENT_REMOVE, madvise(MADV_DONTNEED) of a registered "
    "range queues a UFFD_EVENT_REMOVE whose start and end are the advised "
    "range, and madvise returns 0 once it is read")
{
	size_t ps = mc_pagesize();
	int fd = mc_uffd_open(UFFD_FEATURE_EVENT_REMOVE);
	unsigned char *p = mc_map_guarded(2, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1);
	struct range_arg a = { p, 2 * ps, NULL };
	struct caller c = { 0 };
	struct uffd_msg m;

	memset(p, 0x12, 2 * ps);
	mc_uffd_register_ok(fd, p, 2 * ps, UFFDIO_REGISTER_MODE_MISSING, "private anon");
	caller_start(&c, do_dontneed, &a);
	expect_event(&fd, &m, UFFD_EVENT_REMOVE, c.th, &c.running);
	ATF_REQUIRE_MSG(mc_uffd_settle(c.th, &c.running, &fd), "madvise did not return "
	    "within %d ms after its event was read", MC_UFFD_WAIT_MS);
	ATF_CHECK_MSG(m.arg.remove.start == (uintptr_t)p &&
	    m.arg.remove.end == (uintptr_t)(p + 2 * ps), "remove: expected "
	    "%p-%p, got %#llx-%#llx", (void *)p, (void *)(p + 2 * ps),
	    (unsigned long long)m.arg.remove.start,
	    (unsigned long long)m.arg.remove.end);
	ATF_CHECK_MSG(c.rc == 0, "madvise(MADV_DONTNEED): %s",
	    strerror(c.err));
	mc_close_fd(&fd);
	mc_unmap_guarded(p, 2);
}

MC_TC(event_remap_mremap, "UFFD-21",
    "with UFFD_FEATURE_EVENT_REMAP, mremap moving a registered range queues "
    "a UFFD_EVENT_REMAP with the old address, the new address and the "
    "length; the data moves with the range")
{
	size_t ps = mc_pagesize();
	int fd = mc_uffd_open(UFFD_FEATURE_EVENT_REMAP);
	unsigned char *p = mc_map_guarded(2, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1);
	unsigned char *dst = mc_map_anon(2 * ps, PROT_NONE, MAP_PRIVATE);
	struct range_arg a = { p, 2 * ps, dst };
	struct caller c = { 0 };
	struct uffd_msg m;

	mc_fill_patterns(p, 2, 0);
	mc_uffd_register_ok(fd, p, 2 * ps, UFFDIO_REGISTER_MODE_MISSING, "private anon");
	caller_start(&c, do_mremap, &a);
	expect_event(&fd, &m, UFFD_EVENT_REMAP, c.th, &c.running);
	ATF_REQUIRE_MSG(mc_uffd_settle(c.th, &c.running, &fd), "mremap did not return "
	    "within %d ms after its event was read", MC_UFFD_WAIT_MS);
	ATF_REQUIRE_MSG(c.rc == (long)(uintptr_t)dst, "mremap(%p -> %p): "
	    "returned %#lx (%s)", (void *)p, (void *)dst, (unsigned long)c.rc,
	    c.rc == -1 ? strerror(c.err) : "moved elsewhere");
	ATF_CHECK_MSG(m.arg.remap.from == (uintptr_t)p &&
	    m.arg.remap.to == (uintptr_t)dst && m.arg.remap.len == 2 * ps,
	    "remap: expected from %p to %p len %zu, got from %#llx to %#llx "
	    "len %llu", (void *)p, (void *)dst, 2 * ps,
	    (unsigned long long)m.arg.remap.from,
	    (unsigned long long)m.arg.remap.to,
	    (unsigned long long)m.arg.remap.len);
	mc_require_patterns(dst, 2, 0, "the moved range");
	mc_close_fd(&fd);
	munmap(dst, 2 * ps);
	mc_unmap_guarded(p, 2);
}

MC_TC(event_unmap_munmap, "UFFD-22",
    "with UFFD_FEATURE_EVENT_UNMAP, munmap of a registered range queues a "
    "UFFD_EVENT_UNMAP whose start and end are the unmapped range")
{
	size_t ps = mc_pagesize();
	int fd = mc_uffd_open(UFFD_FEATURE_EVENT_UNMAP);
	unsigned char *p = mc_map_guarded(2, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1);
	struct range_arg a = { p, 2 * ps, NULL };
	struct caller c = { 0 };
	struct uffd_msg m;

	mc_uffd_register_ok(fd, p, 2 * ps, UFFDIO_REGISTER_MODE_MISSING, "private anon");
	caller_start(&c, do_munmap, &a);
	expect_event(&fd, &m, UFFD_EVENT_UNMAP, c.th, &c.running);
	ATF_REQUIRE_MSG(mc_uffd_settle(c.th, &c.running, &fd), "munmap did not return "
	    "within %d ms after its event was read", MC_UFFD_WAIT_MS);
	ATF_CHECK_MSG(c.rc == 0, "munmap: %s", strerror(c.err));
	ATF_CHECK_MSG(m.arg.remove.start == (uintptr_t)p &&
	    m.arg.remove.end == (uintptr_t)(p + 2 * ps), "unmap: expected "
	    "%p-%p, got %#llx-%#llx", (void *)p, (void *)(p + 2 * ps),
	    (unsigned long long)m.arg.remove.start,
	    (unsigned long long)m.arg.remove.end);
	mc_close_fd(&fd);
	mc_unmap_guarded(p, 2); /* the guards; the middle is gone already */
}

/* The fork event: a thread forks; the child reads the registered page. */
struct fork_arg {
	volatile unsigned char *page;
	size_t len;
	unsigned char expect;
	pid_t pid;
};

static long
do_fork(void *arg)
{
	struct fork_arg *a = arg;
	pid_t pid = fork();

	if (pid == 0) {
		size_t bad = 0;

		for (size_t i = 0; i < a->len; i++)
			bad += a->page[i] != a->expect;
		_exit(bad == 0 ? 0 : 1);
	}
	a->pid = pid;
	return pid < 0 ? -1 : 0;
}

/* Reap pid within ms (SIGKILL after that); returns the wait status. */
static int
reap_within(pid_t pid, int ms)
{
	long deadline = mc_now_ms() + ms;
	int st = 0;

	for (;;) {
		pid_t r = waitpid(pid, &st, WNOHANG);

		if (r == pid)
			return st;
		ATF_REQUIRE_MSG(r == 0 || errno == EINTR, "waitpid(%d): %s",
		    (int)pid, strerror(errno));
		if (mc_now_ms() >= deadline) {
			kill(pid, SIGKILL);
			ATF_REQUIRE(waitpid(pid, &st, 0) == pid);
			return st;
		}
		poll(NULL, 0, 10);
	}
}

MC_TC(event_fork_child_uffd, "UFFD-23",
    "with UFFD_FEATURE_EVENT_FORK, fork of a process with a registered "
    "range queues a UFFD_EVENT_FORK carrying a new userfaultfd for the "
    "child; the child's faults in the range arrive on that descriptor and "
    "UFFDIO_COPY through it fills the child's page")
{
	size_t ps = mc_pagesize();
	int fd = mc_uffd_open(UFFD_FEATURE_EVENT_FORK), cfd = -1;
	unsigned char *p = mc_map_guarded(1, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1);
	unsigned char *src = filled_page(0x6b);
	struct fork_arg fa = { p, ps, 0x6b, -1 };
	struct caller c = { 0 };
	struct uffd_msg m = { 0 }, cm = { 0 };
	int r = -1, e = 0, st = 0, got, cgot = 0;
	int64_t copied = 0;
	bool forked;

	mc_uffd_register_ok(fd, p, ps, UFFDIO_REGISTER_MODE_MISSING, "private anon");
	fflush(NULL);
	caller_start(&c, do_fork, &fa);
	/* fork() in the thread returns only once the event has been read. */
	got = mc_uffd_next(fd, &m, MC_UFFD_WAIT_MS);
	if (got == 1 && m.event == UFFD_EVENT_FORK)
		cfd = (int)m.arg.fork.ufd;
	forked = mc_uffd_settle(c.th, &c.running, &fd);
	if (cfd >= 0) {
		cgot = mc_uffd_next(cfd, &cm, MC_UFFD_WAIT_MS);
		if (cgot == 1 && cm.event == UFFD_EVENT_PAGEFAULT) {
			r = mc_uffd_copy(cfd, p, src, ps, &copied);
			e = errno;
		}
	}
	mc_close_fd(&cfd); /* an unresolved child fault resumes on the close */
	if (fa.pid > 0)
		st = reap_within(fa.pid, MC_UFFD_WAIT_MS);
	ATF_REQUIRE_MSG(c.rc == 0 && fa.pid > 0, "fork in the thread: %s",
	    strerror(c.err));
	ATF_REQUIRE_MSG(got == 1, "no UFFD_EVENT_FORK within %d ms (%s)",
	    MC_UFFD_WAIT_MS, got < 0 ? strerror(-got) : "timeout");
	ATF_REQUIRE_MSG(m.event == UFFD_EVENT_FORK, "expected UFFD_EVENT_FORK, "
	    "read %s", mc_uffd_event_name(m.event));
	ATF_REQUIRE_MSG(forked, "fork did not return within %d ms after its "
	    "event was read", MC_UFFD_WAIT_MS);
	ATF_REQUIRE_MSG(cgot == 1, "no UFFD_EVENT_PAGEFAULT from the child on "
	    "the forked userfaultfd within %d ms (%s)", MC_UFFD_WAIT_MS,
	    cgot < 0 ? strerror(-cgot) : "timeout");
	ATF_REQUIRE_MSG(cm.event == UFFD_EVENT_PAGEFAULT, "the forked "
	    "userfaultfd delivered %s, expected UFFD_EVENT_PAGEFAULT",
	    mc_uffd_event_name(cm.event));
	ATF_CHECK_MSG((cm.arg.pagefault.address & ~(uint64_t)(ps - 1)) ==
	    (uintptr_t)p, "child's pagefault.address %#llx: expected within "
	    "%p", (unsigned long long)cm.arg.pagefault.address, (void *)p);
	ATF_REQUIRE_MSG(r == 0 && copied == (int64_t)ps, "UFFDIO_COPY through "
	    "the child's userfaultfd: %d (%s), copy %lld", r,
	    r ? strerror(e) : "ok", (long long)copied);
	ATF_CHECK_MSG(WIFEXITED(st) && WEXITSTATUS(st) == 0, "child: expected "
	    "exit 0 (read the copied 0x6b), got %s %d", WIFSIGNALED(st) ?
	    "signal" : "exit status", WIFSIGNALED(st) ? WTERMSIG(st) :
	    WEXITSTATUS(st));
	/* The parent's page was never touched: still missing, no message. */
	ATF_CHECK_MSG(mc_uffd_next(fd, &m, 0) == 0, "an unexpected %s on the "
	    "parent's userfaultfd", mc_uffd_event_name(m.event));
	mc_close_fd(&fd);
	mc_unmap_guarded(p, 1);
	munmap(src, ps);
}

/* ---- features that change the message or the fault -------------------- */

MC_TC(sigbus_feature, "UFFD-24",
    "with UFFD_FEATURE_SIGBUS, an access to a missing page of a "
    "MODE_MISSING range raises SIGBUS in the faulting thread instead of "
    "queueing a message")
{
	size_t ps = mc_pagesize();
	int fd = mc_uffd_open(UFFD_FEATURE_SIGBUS);
	unsigned char *p = mc_map_guarded(1, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1);
	struct mc_toucher t = { .addr = p + 2, .probe = true };
	struct uffd_msg m;
	bool ended;
	int got;

	mc_uffd_register_ok(fd, p, ps, UFFDIO_REGISTER_MODE_MISSING, "private anon");
	mc_toucher_start(&t);
	ended = mc_join_within(t.th, MC_UFFD_WAIT_MS);
	if (ended)
		t.running = false;
	got = mc_uffd_next(fd, &m, 0);
	if (!ended)
		mc_close_fd(&fd); /* wakes the thread blocked in the fault */
	mc_toucher_settle(&t, &fd);
	ATF_REQUIRE_MSG(ended, "the reading thread blocked for %d ms instead "
	    "of taking SIGBUS (%s)", MC_UFFD_WAIT_MS, got == 1 ? mc_uffd_event_name(m.event) :
	    "no message queued");
	ATF_CHECK_MSG(got == 0, "a message was queued: %s", got == 1 ?
	    mc_uffd_event_name(m.event) : strerror(-got));
	ATF_CHECK_MSG(t.fault.signo == SIGBUS, "read of a missing page: "
	    "expected SIGBUS, got %s/%s", mc_signame(t.fault.signo),
	    mc_codename(t.fault.signo, t.fault.code));
	mc_close_fd(&fd);
	mc_unmap_guarded(p, 1);
}

MC_TC(exact_address_feature, "UFFD-25",
    "with UFFD_FEATURE_EXACT_ADDRESS, pagefault.address is the exact "
    "faulting address, not rounded to its page")
{
	size_t ps = mc_pagesize(), off = ps / 2 + 7;
	int fd = mc_uffd_open(UFFD_FEATURE_EXACT_ADDRESS);
	unsigned char *p = mc_map_guarded(1, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1);
	struct mc_toucher t = { .addr = p + off };
	struct uffd_msg m;
	int64_t zeroed;
	int r;

	mc_uffd_register_ok(fd, p, ps, UFFDIO_REGISTER_MODE_MISSING, "private anon");
	mc_toucher_start(&t);
	expect_event(&fd, &m, UFFD_EVENT_PAGEFAULT, t.th, &t.running);
	r = mc_uffd_zeropage(fd, p, ps, &zeroed);
	ATF_REQUIRE_MSG(mc_toucher_settle(&t, &fd), "the thread did not resume "
	    "within %d ms after UFFDIO_ZEROPAGE (%s)", MC_UFFD_WAIT_MS,
	    r ? strerror(errno) : "ok");
	ATF_CHECK_MSG(m.arg.pagefault.address == (uintptr_t)(p + off),
	    "pagefault.address %#llx: expected the exact address %p",
	    (unsigned long long)m.arg.pagefault.address, (void *)(p + off));
	mc_close_fd(&fd);
	mc_unmap_guarded(p, 1);
}

MC_TC(thread_id_feature, "UFFD-26",
    "with UFFD_FEATURE_THREAD_ID, pagefault.feat.ptid is the thread ID of "
    "the faulting thread")
{
	size_t ps = mc_pagesize();
	int fd = mc_uffd_open(UFFD_FEATURE_THREAD_ID);
	unsigned char *p = mc_map_guarded(1, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1);
	struct mc_toucher t = { .addr = p };
	struct uffd_msg m;
	int64_t zeroed;
	int r, tid;

	mc_uffd_register_ok(fd, p, ps, UFFDIO_REGISTER_MODE_MISSING, "private anon");
	mc_toucher_start(&t);
	expect_event(&fd, &m, UFFD_EVENT_PAGEFAULT, t.th, &t.running);
	tid = atomic_load(&t.tid);
	r = mc_uffd_zeropage(fd, p, ps, &zeroed);
	ATF_REQUIRE_MSG(mc_toucher_settle(&t, &fd), "the thread did not resume "
	    "within %d ms after UFFDIO_ZEROPAGE (%s)", MC_UFFD_WAIT_MS,
	    r ? strerror(errno) : "ok");
	ATF_CHECK_MSG((int)m.arg.pagefault.feat.ptid == tid && tid != 0 &&
	    tid != (int)syscall(SYS_gettid), "pagefault.feat.ptid %u: "
	    "expected the faulting thread's %d (monitor %d)",
	    (unsigned)m.arg.pagefault.feat.ptid, tid,
	    (int)syscall(SYS_gettid));
	mc_close_fd(&fd);
	mc_unmap_guarded(p, 1);
}

/* ---- hugetlb ----------------------------------------------------------- */

MC_TC(hugetlb_missing_copy, "UFFD-27",
    "MODE_MISSING on a private MAP_HUGETLB mapping "
    "(UFFD_FEATURE_MISSING_HUGETLBFS): a read of the missing huge page "
    "queues a UFFD_EVENT_PAGEFAULT; UFFDIO_COPY of the whole huge page "
    "resolves it and the thread reads the copied bytes")
{
	long kb = mc_meminfo("Hugepagesize");
	size_t hps, off;
	unsigned char *p, *src, *seen;
	struct mc_toucher t = { 0 };
	struct uffd_msg m;
	int fd, r, e;
	int64_t copied;
	bool woke;

	if (kb <= 0)
		atf_tc_skip("no Hugepagesize in /proc/meminfo: no hugetlb "
		    "support");
	hps = (size_t)kb * 1024;
	p = mmap(NULL, hps, PROT_READ | PROT_WRITE, MAP_PRIVATE |
	    MAP_ANONYMOUS | MAP_HUGETLB, -1, 0);
	if (p == MAP_FAILED && errno == ENOMEM)
		atf_tc_skip("MAP_HUGETLB of one %ld kB page: ENOMEM (no huge "
		    "pages reserved: HugePages_Free=%ld)", kb,
		    mc_meminfo("HugePages_Free"));
	if (p == MAP_FAILED && (errno == EINVAL || errno == ENOSYS ||
	    errno == EOPNOTSUPP))
		mc_skip_unsupported("MAP_HUGETLB", errno);
	ATF_REQUIRE_MSG(p != MAP_FAILED, "mmap(MAP_HUGETLB, %zu): %s", hps,
	    strerror(errno));
	fd = mc_uffd_open(UFFD_FEATURE_MISSING_HUGETLBFS);
	src = mc_map_anon(hps, PROT_READ | PROT_WRITE, MAP_PRIVATE);
	seen = mc_map_anon(hps, PROT_READ | PROT_WRITE, MAP_PRIVATE);
	for (size_t i = 0; i < hps; i++)
		src[i] = (unsigned char)(i * 13 + 5);
	off = hps / 2 + 11;
	t.addr = p + off;
	t.page = p;
	t.len = hps;
	t.seen = seen;
	mc_uffd_register_ok(fd, p, hps, UFFDIO_REGISTER_MODE_MISSING, "a hugetlb "
	    "mapping");
	mc_toucher_start(&t);
	expect_event(&fd, &m, UFFD_EVENT_PAGEFAULT, t.th, &t.running);
	r = mc_uffd_copy(fd, p, src, hps, &copied);
	e = errno;
	woke = mc_toucher_settle(&t, &fd);
	ATF_CHECK_MSG(m.arg.pagefault.address >= (uintptr_t)p &&
	    m.arg.pagefault.address < (uintptr_t)(p + hps), "pagefault.address "
	    "%#llx outside the huge page %p", (unsigned long long)
	    m.arg.pagefault.address, (void *)p);
	ATF_REQUIRE_MSG(r == 0 && copied == (int64_t)hps, "UFFDIO_COPY(%p, "
	    "%zu): %d (%s), copy %lld", (void *)p, hps, r, r ? strerror(e) :
	    "ok", (long long)copied);
	ATF_REQUIRE_MSG(woke, "the thread did not resume within %d ms after "
	    "UFFDIO_COPY", MC_UFFD_WAIT_MS);
	ATF_CHECK_MSG(t.rbyte == src[off] && memcmp(seen, src, hps) == 0,
	    "the thread read %#x (expected %#x); the huge page %s the copy",
	    t.rbyte, src[off], memcmp(seen, src, hps) ? "differs from" :
	    "matches");
	mc_close_fd(&fd);
	munmap(p, hps);
	munmap(src, hps);
	munmap(seen, hps);
}

/* ---- who may create a userfaultfd ------------------------------------- */

struct unpriv_report {
	int32_t set_err;  /* setresuid errno, 0 ok, -1 not tried (not root) */
	int32_t cap_err;  /* mc_cap_drop errno */
	int32_t cap_eff;  /* CAP_SYS_PTRACE effective afterwards */
	int32_t uid;
	int32_t e_plain;  /* userfaultfd(O_CLOEXEC): 0 or errno */
	int32_t e_umo;    /* userfaultfd(O_CLOEXEC | UFFD_USER_MODE_ONLY) */
};

static int
try_uffd(int flags)
{
	int fd = mc_uffd_sys(flags);

	if (fd < 0)
		return errno;
	close(fd);
	return 0;
}

static int
unpriv_child(struct mc_child *self, void *arg)
{
	struct unpriv_report r = { .set_err = -1 };

	(void)arg;
	if (geteuid() == 0) {
		r.set_err = 0;
		if (setgroups(0, NULL) != 0 && errno != EPERM)
			r.set_err = errno;
		if (r.set_err == 0 && setresgid(65534, 65534, 65534) != 0)
			r.set_err = errno;
		if (r.set_err == 0 && setresuid(65534, 65534, 65534) != 0)
			r.set_err = errno;
	}
	r.cap_err = mc_cap_drop(CAP_SYS_PTRACE);
	r.cap_eff = mc_cap_is_effective(CAP_SYS_PTRACE);
	r.uid = (int32_t)geteuid();
	r.e_plain = try_uffd(O_CLOEXEC);
	r.e_umo = try_uffd(O_CLOEXEC | UFFD_USER_MODE_ONLY);
	mc_send(self, &r, sizeof(r));
	return 0;
}

MC_TC(unprivileged_user_mode_only, "UFFD-28",
    "a process without CAP_SYS_PTRACE (uid 65534) gets EPERM from "
    "userfaultfd() without UFFD_USER_MODE_ONLY when "
    "vm.unprivileged_userfaultfd is 0 (a descriptor when it is 1), and a "
    "descriptor with UFFD_USER_MODE_ONLY either way")
{
	unsigned long sysctl;
	int e_umo, seccomp = mc_seccomp_mode();
	struct mc_child ch;
	struct unpriv_report r;
	struct stat sb;

	if (!mc_read_ulong_file("/proc/sys/vm/unprivileged_userfaultfd",
	    &sysctl))
		atf_tc_skip("/proc/sys/vm/unprivileged_userfaultfd cannot be "
		    "read");
	ATF_REQUIRE_MSG(sysctl <= 1, "vm.unprivileged_userfaultfd=%lu: "
	    "expected 0 or 1", sysctl);
	/* Probe the flag in this process first. */
	e_umo = try_uffd(O_CLOEXEC | UFFD_USER_MODE_ONLY);
	if (try_uffd(O_CLOEXEC) == ENOSYS || e_umo == ENOSYS)
		mc_skip_unsupported("userfaultfd", ENOSYS);
	if (e_umo == EINVAL)
		mc_skip_unsupported("userfaultfd(UFFD_USER_MODE_ONLY)", EINVAL);
	if (e_umo == EPERM && seccomp == 2)
		atf_tc_skip("userfaultfd(UFFD_USER_MODE_ONLY): EPERM under a "
		    "seccomp filter (Seccomp: 2)");
	if (e_umo == EPERM && stat("/dev/userfaultfd", &sb) != 0)
		/*
		 * A kernel without UFFD_USER_MODE_ONLY (before 5.11) checks
		 * the sysctl before the flags, so an unprivileged process
		 * cannot tell "flag unknown" from "refused" by the errno;
		 * /dev/userfaultfd (6.1+) proves a kernel that knows it.
		 */
		atf_tc_skip("userfaultfd(UFFD_USER_MODE_ONLY): EPERM in a "
		    "process without CAP_SYS_PTRACE: the flag may predate "
		    "this kernel (no /dev/userfaultfd to tell)");
	mc_spawn(&ch, unpriv_child, NULL);
	mc_expect(&ch, &r, sizeof(r), "unprivileged child's report");
	mc_reap_ok(&ch);
	if (r.set_err > 0)
		atf_tc_skip("setresuid(65534) as root: %s (no uid 65534 in "
		    "this user namespace?)", mc_errname(r.set_err));
	if (r.cap_err != 0 || r.cap_eff != 0)
		atf_tc_skip("cannot drop CAP_SYS_PTRACE (capset: %s, still "
		    "effective: %d)", mc_errname(r.cap_err), r.cap_eff);
	if (sysctl == 0)
		ATF_CHECK_MSG(r.e_plain == EPERM, "uid %d without "
		    "CAP_SYS_PTRACE, vm.unprivileged_userfaultfd=0: "
		    "userfaultfd(O_CLOEXEC): expected EPERM, got %s", r.uid,
		    r.e_plain ? mc_errname(r.e_plain) : "a descriptor");
	else
		ATF_CHECK_MSG(r.e_plain == 0, "uid %d without CAP_SYS_PTRACE, "
		    "vm.unprivileged_userfaultfd=1: userfaultfd(O_CLOEXEC): "
		    "expected a descriptor, got %s", r.uid,
		    mc_errname(r.e_plain));
	ATF_CHECK_MSG(r.e_umo == 0, "uid %d without CAP_SYS_PTRACE, "
	    "vm.unprivileged_userfaultfd=%lu: userfaultfd(O_CLOEXEC | "
	    "UFFD_USER_MODE_ONLY): expected a descriptor, got %s", r.uid,
	    sysctl, mc_errname(r.e_umo));
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, api_bad_version_einval);
	ATF_TP_ADD_TC(tp, api_unknown_feature_einval);
	ATF_TP_ADD_TC(tp, api_twice_einval);
	ATF_TP_ADD_TC(tp, not_enabled_einval);
	ATF_TP_ADD_TC(tp, read_short_buffer_einval);
	ATF_TP_ADD_TC(tp, poll_blocking_fd_pollerr);
	ATF_TP_ADD_TC(tp, register_unaligned_einval);
	ATF_TP_ADD_TC(tp, register_no_mapping_einval);
	ATF_TP_ADD_TC(tp, register_other_uffd_ebusy);
	ATF_TP_ADD_TC(tp, missing_read_copy);
	ATF_TP_ADD_TC(tp, missing_write_flag);
	ATF_TP_ADD_TC(tp, missing_zeropage);
	ATF_TP_ADD_TC(tp, copy_populated_eexist);
	ATF_TP_ADD_TC(tp, copy_unregistered_enoent);
	ATF_TP_ADD_TC(tp, shmem_missing_copy);
	ATF_TP_ADD_TC(tp, minor_shmem_continue);
	ATF_TP_ADD_TC(tp, wp_anon_write_blocks);
	ATF_TP_ADD_TC(tp, unregister_faults_normal);
	ATF_TP_ADD_TC(tp, close_wakes_and_unregisters);
	ATF_TP_ADD_TC(tp, event_remove_dontneed);
	ATF_TP_ADD_TC(tp, event_remap_mremap);
	ATF_TP_ADD_TC(tp, event_unmap_munmap);
	ATF_TP_ADD_TC(tp, event_fork_child_uffd);
	ATF_TP_ADD_TC(tp, sigbus_feature);
	ATF_TP_ADD_TC(tp, exact_address_feature);
	ATF_TP_ADD_TC(tp, thread_id_feature);
	ATF_TP_ADD_TC(tp, hugetlb_missing_copy);
	ATF_TP_ADD_TC(tp, unprivileged_user_mode_only);
	return atf_no_error();
}
