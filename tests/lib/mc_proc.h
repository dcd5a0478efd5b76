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
/* One unsigned number from a /proc or /sys file; false when unreadable. */
bool mc_read_ulong_file(const char *path, unsigned long *v);
/* vm.overcommit_memory (0, 1 or 2); -1 when it cannot be read. */
int mc_overcommit_mode(void);

/*
 * In a child: drop capability cap (CAP_IPC_LOCK, ...) from the effective,
 * permitted and inheritable sets of this process; 0 or an errno.
 */
int mc_cap_drop(int cap);
/* 1 when cap is in the effective set, 0 when not, -1 when capget fails. */
int mc_cap_is_effective(int cap);

/*
 * mlock(p, len), or skip the case when this process may not lock that
 * much (ENOMEM, EPERM, EAGAIN: RLIMIT_MEMLOCK too small without
 * CAP_IPC_LOCK); any other error fails it.
 */
void mc_mlock_or_skip(void *p, size_t len);

#endif
