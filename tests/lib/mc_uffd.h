/*
 * mc_uffd.h - userfaultfd(2) for the test programs (tests/uffd): a
 * descriptor by the first way this process may use, feature probing that
 * skips naming what is missing, the ioctls, bounded waits for messages,
 * and threads that fault on a registered range. Part of tests/lib.
 */
#ifndef MMAPCONF_MC_UFFD_H
#define MMAPCONF_MC_UFFD_H

#include <sys/ioctl.h>

#include <linux/userfaultfd.h>

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mc_fault.h"

/* include/uapi/linux/userfaultfd.h, for older kernel headers. */
#ifndef UFFD_USER_MODE_ONLY
#define UFFD_USER_MODE_ONLY 1
#endif
#ifndef USERFAULTFD_IOC_NEW
#define USERFAULTFD_IOC_NEW _IO(0xAA, 0x00)
#endif
#ifndef UFFD_FEATURE_THREAD_ID
#define UFFD_FEATURE_THREAD_ID (1 << 8)
#endif
#ifndef UFFD_FEATURE_MINOR_HUGETLBFS
#define UFFD_FEATURE_MINOR_HUGETLBFS (1 << 9)
#endif
#ifndef UFFD_FEATURE_MINOR_SHMEM
#define UFFD_FEATURE_MINOR_SHMEM (1 << 10)
#endif
#ifndef UFFD_FEATURE_EXACT_ADDRESS
#define UFFD_FEATURE_EXACT_ADDRESS (1 << 11)
#endif
#ifndef UFFD_FEATURE_POISON
#define UFFD_FEATURE_POISON (1 << 14)
#endif
#ifndef UFFD_FEATURE_MOVE
#define UFFD_FEATURE_MOVE (1 << 16)
#endif
#ifndef UFFD_PAGEFAULT_FLAG_MINOR
#define UFFD_PAGEFAULT_FLAG_MINOR (1 << 2)
#endif
#ifndef UFFDIO_REGISTER_MODE_MINOR
#define UFFDIO_REGISTER_MODE_MINOR ((__u64)1 << 2)
#endif
#ifndef UFFDIO_COPY_MODE_WP
#define UFFDIO_COPY_MODE_WP ((__u64)1 << 1)
#endif
#ifndef UFFDIO_CONTINUE
struct uffdio_continue {
	struct uffdio_range range;
	__u64 mode;
	__s64 mapped;
};
#define UFFDIO_CONTINUE _IOWR(UFFDIO, 0x07, struct uffdio_continue)
#endif
#ifndef UFFDIO_POISON
struct uffdio_poison {
	struct uffdio_range range;
	__u64 mode;
	__s64 updated;
};
#define UFFDIO_POISON _IOWR(UFFDIO, 0x08, struct uffdio_poison)
#endif
#ifndef UFFDIO_MOVE
struct uffdio_move {
	__u64 dst;
	__u64 src;
	__u64 len;
	__u64 mode;
	__s64 move;
};
#define UFFDIO_MOVE_MODE_DONTWAKE ((__u64)1 << 0)
#define UFFDIO_MOVE_MODE_ALLOW_SRC_HOLES ((__u64)1 << 1)
#define UFFDIO_MOVE _IOWR(UFFDIO, 0x05, struct uffdio_move)
#endif

/* How long the monitor waits for a message or a thread (qemu TCG: slow). */
#define MC_UFFD_WAIT_MS 5000

/* userfaultfd(2) itself; -1/ENOSYS where the C library has no number. */
int mc_uffd_sys(int flags);
/* vm.unprivileged_userfaultfd as text ("0", "1", or "unreadable"). */
const char *mc_uffd_sysctl_text(void);
/*
 * A new userfaultfd (O_CLOEXEC | O_NONBLOCK), by the first way that this
 * process may use: the syscall, the syscall with UFFD_USER_MODE_ONLY, or
 * /dev/userfaultfd. The way found is kept for the rest of the case (each
 * case runs in a process of its own). Skips when none works.
 */
int mc_uffd_new(void);
/* The features this kernel reports, from a probe descriptor. */
uint64_t mc_uffd_available(void);
/*
 * A new userfaultfd enabled by UFFDIO_API with the features 'want'; skips
 * naming the first feature the kernel does not report, or EVENT_FORK when
 * UFFDIO_API refuses it with EPERM (it needs CAP_SYS_PTRACE).
 */
int mc_uffd_open(uint64_t want);

/* The ioctls: the ioctl's result; the count field through the pointer. */
int mc_uffd_register(int fd, void *p, size_t len, uint64_t mode);
void mc_uffd_register_ok(int fd, void *p, size_t len, uint64_t mode,
    const char *what);
int mc_uffd_copy(int fd, void *dst, const void *src, size_t len,
    int64_t *copied);
int mc_uffd_copy_mode(int fd, void *dst, const void *src, size_t len,
    uint64_t mode, int64_t *copied);
int mc_uffd_zeropage(int fd, void *dst, size_t len, int64_t *zeroed);
int mc_uffd_wp(int fd, void *p, size_t len, bool protect);
int mc_uffd_move(int fd, void *dst, void *src, size_t len, uint64_t mode,
    int64_t *moved);

/*
 * Wait at most ms for one message on fd (non-blocking): 1 when one was
 * read into m, 0 on timeout, -errno when poll or read failed.
 */
int mc_uffd_next(int fd, struct uffd_msg *m, int ms);
const char *mc_uffd_event_name(unsigned e);

/*
 * A thread that touches addr (reads it, writes wbyte, or probes it with
 * mc_touch when probe is set), then copies [page, page + len) into seen.
 */
struct mc_toucher {
	pthread_t th;
	bool running;
	volatile unsigned char *addr;
	bool write;
	bool probe;
	unsigned char wbyte;
	unsigned char rbyte;
	const unsigned char *page;
	size_t len;
	unsigned char *seen;
	struct mc_fault fault;
	atomic_int tid;
	atomic_int done;
};
void mc_toucher_start(struct mc_toucher *t);
/* Join a thread within ms; false when it is still running then. */
bool mc_join_within(pthread_t th, int ms);
/*
 * Let a thread finish: true when it ended by itself within
 * MC_UFFD_WAIT_MS. Otherwise close *fd (which wakes every thread blocked
 * in a userfault of that descriptor and unregisters its ranges), join it
 * and return false; a thread that still does not end fails the case.
 */
bool mc_uffd_settle(pthread_t th, bool *running, int *fd);
bool mc_toucher_settle(struct mc_toucher *t, int *fd);
/* Close *fd when open, and mark it closed (-1). */
void mc_close_fd(int *fd);

#endif
