/*
 * mc_uffd.c - userfaultfd(2) for the test programs (mc_uffd.h).
 */
#include "mc_uffd.h"

#include <sys/syscall.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <atf-c.h>

#include "mc.h"
#include "mc_err.h"
#include "mc_proc.h"

int
mc_uffd_sys(int flags)
{
#ifdef SYS_userfaultfd
	return (int)syscall(SYS_userfaultfd, flags);
#else
	(void)flags;
	errno = ENOSYS;
	return -1;
#endif
}

/* vm.unprivileged_userfaultfd as text ("0", "1", or "unreadable"). */
const char *
mc_uffd_sysctl_text(void)
{
	static char buf[32];
	unsigned long v;

	if (!mc_read_ulong_file("/proc/sys/vm/unprivileged_userfaultfd", &v))
		return "unreadable";
	snprintf(buf, sizeof(buf), "%lu", v);
	return buf;
}

/*
 * A new userfaultfd (O_CLOEXEC | O_NONBLOCK), by the first way that this
 * process may use: the syscall, the syscall with UFFD_USER_MODE_ONLY, or
 * /dev/userfaultfd. The way found is kept for the rest of the case (each
 * case runs in a process of its own). Skips when none works.
 */
static int uffd_way = -1; /* 0 syscall, 1 user-mode-only, 2 /dev/userfaultfd */

static int
dev_uffd(int flags)
{
	int dfd = open("/dev/userfaultfd", O_RDWR | O_CLOEXEC);
	int fd, e;

	if (dfd < 0)
		return -1;
	fd = ioctl(dfd, USERFAULTFD_IOC_NEW, flags);
	e = errno;
	close(dfd);
	errno = e;
	return fd;
}

int
mc_uffd_new(void)
{
	const int fl = O_CLOEXEC | O_NONBLOCK;
	int fd, e0, e1, e2;

	switch (uffd_way) {
	case 0:
		fd = mc_uffd_sys(fl);
		break;
	case 1:
		fd = mc_uffd_sys(fl | UFFD_USER_MODE_ONLY);
		break;
	case 2:
		fd = dev_uffd(fl);
		break;
	default:
		fd = mc_uffd_sys(fl);
		if (fd >= 0) {
			uffd_way = 0;
			return fd;
		}
		e0 = errno;
		if (e0 == ENOSYS)
			mc_skip_unsupported("userfaultfd", ENOSYS);
		ATF_REQUIRE_MSG(e0 == EPERM, "userfaultfd(O_CLOEXEC|O_NONBLOCK):"
		    " expected a descriptor or EPERM, got %s", mc_errname(e0));
		fd = mc_uffd_sys(fl | UFFD_USER_MODE_ONLY);
		if (fd >= 0) {
			uffd_way = 1;
			return fd;
		}
		e1 = errno;
		fd = dev_uffd(fl);
		if (fd >= 0) {
			uffd_way = 2;
			return fd;
		}
		e2 = errno;
		atf_tc_skip("userfaultfd: EPERM (no CAP_SYS_PTRACE and "
		    "vm.unprivileged_userfaultfd=%s, or a seccomp filter: "
		    "Seccomp=%d); with UFFD_USER_MODE_ONLY: %s; "
		    "/dev/userfaultfd: %s", mc_uffd_sysctl_text(), mc_seccomp_mode(),
		    mc_errname(e1), mc_errname(e2));
	}
	ATF_REQUIRE_MSG(fd >= 0, "userfaultfd (way %d, which worked before): %s",
	    uffd_way, strerror(errno));
	return fd;
}

static const struct {
	uint64_t bit;
	const char *name;
} feature_names[] = {
	{ UFFD_FEATURE_PAGEFAULT_FLAG_WP, "UFFD_FEATURE_PAGEFAULT_FLAG_WP" },
	{ UFFD_FEATURE_EVENT_FORK, "UFFD_FEATURE_EVENT_FORK" },
	{ UFFD_FEATURE_EVENT_REMAP, "UFFD_FEATURE_EVENT_REMAP" },
	{ UFFD_FEATURE_EVENT_REMOVE, "UFFD_FEATURE_EVENT_REMOVE" },
	{ UFFD_FEATURE_MISSING_HUGETLBFS, "UFFD_FEATURE_MISSING_HUGETLBFS" },
	{ UFFD_FEATURE_MISSING_SHMEM, "UFFD_FEATURE_MISSING_SHMEM" },
	{ UFFD_FEATURE_EVENT_UNMAP, "UFFD_FEATURE_EVENT_UNMAP" },
	{ UFFD_FEATURE_SIGBUS, "UFFD_FEATURE_SIGBUS" },
	{ UFFD_FEATURE_THREAD_ID, "UFFD_FEATURE_THREAD_ID" },
	{ UFFD_FEATURE_MINOR_SHMEM, "UFFD_FEATURE_MINOR_SHMEM" },
	{ UFFD_FEATURE_EXACT_ADDRESS, "UFFD_FEATURE_EXACT_ADDRESS" },
	{ UFFD_FEATURE_MINOR_HUGETLBFS, "UFFD_FEATURE_MINOR_HUGETLBFS" },
	{ UFFD_FEATURE_POISON, "UFFD_FEATURE_POISON (Linux 6.6+)" },
	{ UFFD_FEATURE_MOVE, "UFFD_FEATURE_MOVE (Linux 6.8+)" },
};

/* The features this kernel reports, from a probe descriptor. */
uint64_t
mc_uffd_available(void)
{
	struct uffdio_api api = { .api = UFFD_API, .features = 0 };
	int fd = mc_uffd_new();

	ATF_REQUIRE_MSG(ioctl(fd, UFFDIO_API, &api) == 0, "UFFDIO_API(UFFD_API, "
	    "no features) on a new userfaultfd: %s", strerror(errno));
	close(fd);
	return api.features;
}

/*
 * A new userfaultfd enabled by UFFDIO_API with the features 'want'; skips
 * naming the first feature the kernel does not report, or EVENT_FORK when
 * UFFDIO_API refuses it with EPERM (it needs CAP_SYS_PTRACE).
 */
int
mc_uffd_open(uint64_t want)
{
	uint64_t have = mc_uffd_available(), missing = want & ~have;
	struct uffdio_api api = { .api = UFFD_API, .features = want };
	int fd;

	for (size_t i = 0; missing != 0 &&
	    i < sizeof(feature_names) / sizeof(feature_names[0]); i++)
		if (missing & feature_names[i].bit)
			atf_tc_skip("%s: not reported by UFFDIO_API here "
			    "(features %#" PRIx64 ")", feature_names[i].name,
			    have);
	ATF_REQUIRE_MSG(missing == 0, "features %#" PRIx64 " missing",
	    missing);
	fd = mc_uffd_new();
	if (ioctl(fd, UFFDIO_API, &api) != 0) {
		int e = errno;

		close(fd);
		if (e == EPERM && (want & UFFD_FEATURE_EVENT_FORK))
			atf_tc_skip("UFFDIO_API(UFFD_FEATURE_EVENT_FORK): EPERM "
			    "(it needs CAP_SYS_PTRACE, which this process "
			    "lacks)");
		ATF_REQUIRE_MSG(false, "UFFDIO_API(features %#" PRIx64 "), all "
		    "reported available: %s", want, strerror(e));
	}
	return fd;
}

/* ---- ioctls ------------------------------------------------------------ */

int
mc_uffd_register(int fd, void *p, size_t len, uint64_t mode)
{
	struct uffdio_register r = {
		.range = { .start = (uintptr_t)p, .len = len }, .mode = mode };

	return ioctl(fd, UFFDIO_REGISTER, &r);
}

void
mc_uffd_register_ok(int fd, void *p, size_t len, uint64_t mode,
    const char *what)
{
	ATF_REQUIRE_MSG(mc_uffd_register(fd, p, len, mode) == 0,
	    "UFFDIO_REGISTER(%p, %zu bytes, mode %#" PRIx64 ") on %s: %s", p,
	    len, mode, what, strerror(errno));
}

int
mc_uffd_copy_mode(int fd, void *dst, const void *src, size_t len,
    uint64_t mode, int64_t *copied)
{
	struct uffdio_copy c = { .dst = (uintptr_t)dst, .src = (uintptr_t)src,
		.len = len, .mode = mode, .copy = 0 };
	int r = ioctl(fd, UFFDIO_COPY, &c);

	*copied = c.copy;
	return r;
}

int
mc_uffd_copy(int fd, void *dst, const void *src, size_t len,
    int64_t *copied)
{
	return mc_uffd_copy_mode(fd, dst, src, len, 0, copied);
}

int
mc_uffd_zeropage(int fd, void *dst, size_t len, int64_t *zeroed)
{
	struct uffdio_zeropage z = {
		.range = { .start = (uintptr_t)dst, .len = len }, .mode = 0 };
	int r = ioctl(fd, UFFDIO_ZEROPAGE, &z);

	*zeroed = z.zeropage;
	return r;
}

int
mc_uffd_wp(int fd, void *p, size_t len, bool protect)
{
	struct uffdio_writeprotect w = {
		.range = { .start = (uintptr_t)p, .len = len },
		.mode = protect ? UFFDIO_WRITEPROTECT_MODE_WP : 0 };

	return ioctl(fd, UFFDIO_WRITEPROTECT, &w);
}

int
mc_uffd_move(int fd, void *dst, void *src, size_t len, uint64_t mode,
    int64_t *moved)
{
	struct uffdio_move mv = { .dst = (uintptr_t)dst, .src = (uintptr_t)src,
		.len = len, .mode = mode, .move = 0 };
	int r = ioctl(fd, UFFDIO_MOVE, &mv);

	*moved = mv.move;
	return r;
}

/*
 * Wait at most ms for one message on fd (non-blocking): 1 when one was
 * read into m, 0 on timeout, -errno when poll or read failed.
 */
int
mc_uffd_next(int fd, struct uffd_msg *m, int ms)
{
	long deadline = mc_now_ms() + ms;

	for (;;) {
		long left = deadline - mc_now_ms();
		struct pollfd p = { fd, POLLIN, 0 };
		int r;
		ssize_t n;

		if (left < 0)
			return 0;
		r = poll(&p, 1, (int)left);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -errno;
		if (r == 0)
			return 0;
		n = read(fd, m, sizeof(*m));
		if (n == (ssize_t)sizeof(*m))
			return 1;
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			continue; /* woken before read: poll again */
		return n < 0 ? -errno : -EIO;
	}
}

const char *
mc_uffd_event_name(unsigned e)
{
	switch (e) {
	case UFFD_EVENT_PAGEFAULT: return "UFFD_EVENT_PAGEFAULT";
	case UFFD_EVENT_FORK: return "UFFD_EVENT_FORK";
	case UFFD_EVENT_REMAP: return "UFFD_EVENT_REMAP";
	case UFFD_EVENT_REMOVE: return "UFFD_EVENT_REMOVE";
	case UFFD_EVENT_UNMAP: return "UFFD_EVENT_UNMAP";
	default: return "unknown event";
	}
}

/* ---- threads that fault or that call something ------------------------ */


static void *
toucher_main(void *arg)
{
	struct mc_toucher *t = arg;

	atomic_store(&t->tid, (int)syscall(SYS_gettid));
	if (t->probe)
		t->fault = mc_touch((void *)t->addr, t->write ? MC_WRITE :
		    MC_READ);
	else if (t->write)
		*t->addr = t->wbyte;
	else
		t->rbyte = *t->addr;
	if (t->seen != NULL && t->fault.signo == 0)
		memcpy(t->seen, t->page, t->len);
	atomic_store(&t->done, 1);
	return NULL;
}

void
mc_toucher_start(struct mc_toucher *t)
{
	int e;

	atomic_store(&t->done, 0);
	atomic_store(&t->tid, 0);
	e = pthread_create(&t->th, NULL, toucher_main, t);
	ATF_REQUIRE_MSG(e == 0, "pthread_create: %s", strerror(e));
	t->running = true;
}

/* Join a thread within ms; false when it is still running then. */
bool
mc_join_within(pthread_t th, int ms)
{
	struct timespec ts;
	int e;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += ms / 1000;
	ts.tv_nsec += (long)(ms % 1000) * 1000000;
	if (ts.tv_nsec >= 1000000000) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000;
	}
	do
		e = pthread_timedjoin_np(th, NULL, &ts);
	while (e == EINTR);
	ATF_REQUIRE_MSG(e == 0 || e == ETIMEDOUT, "pthread_timedjoin_np: %s",
	    strerror(e));
	return e == 0;
}

/*
 * Let a thread finish: true when it ended by itself within MC_UFFD_WAIT_MS.
 * Otherwise close *fd (which wakes every thread blocked in a userfault of
 * that descriptor and unregisters its ranges), join it and return false;
 * a thread that still does not end fails the case.
 */
bool
mc_uffd_settle(pthread_t th, bool *running, int *fd)
{
	if (!*running)
		return true;
	if (mc_join_within(th, MC_UFFD_WAIT_MS)) {
		*running = false;
		return true;
	}
	if (*fd >= 0) {
		close(*fd);
		*fd = -1;
	}
	ATF_REQUIRE_MSG(mc_join_within(th, MC_UFFD_WAIT_MS), "a thread blocked on the "
	    "userfaultfd did not end within %d ms even after the descriptor "
	    "was closed", MC_UFFD_WAIT_MS);
	*running = false;
	return false;
}

bool
mc_toucher_settle(struct mc_toucher *t, int *fd)
{
	return mc_uffd_settle(t->th, &t->running, fd);
}

/* Close fd when open. */
void
mc_close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}
