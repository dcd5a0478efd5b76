/*
 * mc_proc.h - the process and its limits: fields of /proc/self/status and
 * /proc/meminfo, numbers in /proc/sys and /sys files, capabilities (raw
 * capget/capset, no libcap), and memory locking.
 *
 * The _try functions and the capability functions use no ATF: they are
 * meant for children, which report what they saw to the test process.
 */
#ifndef MMAPCONF_MC_PROC_H
#define MMAPCONF_MC_PROC_H

#include <stdbool.h>
#include <stddef.h>

#include "mc.h"

/*
 * A "Key:   N kB" field of /proc/self/status (N; e.g. "VmLck"); -1 when
 * the file cannot be read or has no such field. No ATF.
 */
long mc_status_kb_try(const char *key);
/* VmLck of /proc/self/status in kB; skips the case when it is missing. */
long mc_vmlck_kb(void);
/* A "Key: N" field of /proc/meminfo (kB or a count); -1 when absent. */
long mc_meminfo(const char *key);
/* The default huge page size in bytes; skips without hugetlb support. */
size_t mc_hugetlb_size(void);
/*
 * mc_hugetlb_size, after requiring n free huge pages of it that are not
 * reserved (/proc/meminfo), else skip naming the numbers seen.
 */
size_t mc_hugetlb_require(size_t n);
/* One unsigned number from a /proc or /sys file; false when unreadable. */
bool mc_read_ulong_file(const char *path, unsigned long *v);
/* vm.overcommit_memory (0, 1 or 2); -1 when it cannot be read. */
int mc_overcommit_mode(void);
/*
 * err is the errno of a setup step that had to succeed (a mapping the
 * semantic needs, not the call under test): when it is ENOMEM and a limit
 * the run was given explains it (a finite RLIMIT_AS or RLIMIT_DATA,
 * vm.overcommit_memory=2), skip the case naming the limit and what; a
 * limit is not a broken semantic.  Otherwise return.
 */
void mc_skip_if_limited(int err, const char *what);

/*
 * In a child: drop capability cap (CAP_IPC_LOCK, ...) from the effective,
 * permitted and inheritable sets of this process; 0 or an errno.
 */
int mc_cap_drop(int cap);
/* 1 when cap is in the effective set, 0 when not, -1 when capget fails. */
int mc_cap_is_effective(int cap);
/*
 * Whether this process is in the initial user namespace: its
 * /proc/self/uid_map maps all 2^32 ids onto themselves ("0 0 4294967295").
 */
bool mc_in_initial_userns(void);
/*
 * 1 when cap is effective AND the process is in the initial user
 * namespace: what the kernel's capable(cap) checks (CAP_IPC_LOCK for mlock
 * limits, CAP_SYS_RAWIO below vm.mmap_min_addr). Inside a user namespace a
 * capability there does not count for them. 0 otherwise.
 */
int mc_cap_counts(int cap);

/*
 * For children that must not allocate (a moved break, MCL_FUTURE): read a
 * small file (/proc/self/status, stat, maps) into buf with read(2),
 * NUL-terminated; false when unreadable or empty. No stdio, no malloc,
 * no ATF.
 */
bool mc_read_small(const char *path, char *buf, size_t len);
/*
 * A "Key:   N kB" field of /proc/self/status the same way (a static
 * buffer); -1 when unreadable or absent.
 */
long mc_status_kb_raw(const char *key);

/*
 * Whether a cgroup v2 memory.swap.max of 0 forbids this process to swap
 * (a container may run so on a host with swap): "0::/path" in
 * /proc/self/cgroup, the file under /sys/fs/cgroup, whose path goes to
 * path. Missing files prove nothing: false.
 */
bool mc_cgroup_forbids_swap(char *path, size_t len);
/*
 * Keep this thread on the CPU it runs on (sched_setaffinity), so that
 * MADV_PAGEOUT drains the per-CPU batch that holds the pages this thread
 * faulted in. Fails the case when that cannot be done.
 */
void mc_pin_to_current_cpu(void);

/*
 * The Seccomp field of /proc/self/status: 0 none, 1 strict, 2 a filter
 * (seccomp(2)); -1 when the file or the field is missing. No ATF.
 */
int mc_seccomp_mode(void);

/*
 * Whether mlock of one more page must succeed in this process per
 * mlock(2): CAP_IPC_LOCK is effective, or the soft RLIMIT_MEMLOCK leaves
 * room for a page beyond what is locked already (VmLck).
 */
bool mc_mlock_page_must_succeed(void);
/*
 * The skip reason of an environment whose seccomp filter refuses the mlock
 * family with EPERM before the kernel sees the call (systemd-nspawn without
 * CAP_IPC_LOCK): "a seccomp filter refuses mlock (EPERM) before the kernel
 * checks arguments (Seccomp: 2)".
 */
#define MC_MLOCK_FILTERED_FMT "a seccomp filter refuses mlock (EPERM) "     \
	"before the kernel checks arguments (Seccomp: %d)"
/*
 * err is the errno of a lock call that had to succeed (or fail with
 * another errno than EPERM): when it is EPERM and a seccomp filter is
 * active, skip with MC_MLOCK_FILTERED_FMT; otherwise return.
 */
void mc_skip_if_mlock_filtered(int err);
/*
 * Probe: mlock of one fresh page where it must succeed
 * (mc_mlock_page_must_succeed); when it fails with EPERM under a seccomp
 * filter, skip with MC_MLOCK_FILTERED_FMT. Returns otherwise (the page is
 * unlocked and unmapped; a probe that proves nothing just returns).
 */
void mc_require_mlock_unfiltered(void);

/* mlock2(2) itself (glibc 2.27+ has a wrapper; -1/ENOSYS without a number). */
long mc_sys_mlock2(const void *addr, size_t len, unsigned int flags);

/*
 * mlock(p, len), or skip the case when this process may not lock that
 * much (ENOMEM, EAGAIN: RLIMIT_MEMLOCK too small without CAP_IPC_LOCK;
 * EPERM: RLIMIT_MEMLOCK 0, or a seccomp filter, which the skip reason
 * then names); any other error fails it.
 */
void mc_mlock_or_skip(void *p, size_t len);

/* Write the string s to the file path: 0 or an errno. No ATF. */
int mc_write_string(const char *path, const char *s);
/*
 * For a child: enter a private mount namespace in which mounting works,
 * directly (CAP_SYS_ADMIN) or inside a new user namespace mapping this
 * uid and gid to 0 (*userns then 1). Returns 0, or an errno with *step
 * the step that failed: 10 unshare(CLONE_NEWNS), 11 unshare(CLONE_NEWUSER|
 * CLONE_NEWNS), 12-14 setgroups, uid_map, gid_map, 15 making / private.
 * No ATF.
 */
int mc_private_mounts(int *step, int *userns);

#endif
