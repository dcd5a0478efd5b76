/*
 * mc_proc.c - the process and its limits (see mc_proc.h).
 */
#include "mc_proc.h"

#include <sys/mman.h>
#include <sys/syscall.h>

#include <linux/capability.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* A "Key: N" field of the file at path; -1 when unreadable or absent. */
static long
key_value(const char *path, const char *key)
{
	FILE *f = fopen(path, "r");
	char line[256];
	size_t klen = strlen(key);
	long v = -1;

	if (f == NULL)
		return -1;
	while (fgets(line, sizeof(line), f) != NULL)
		if (strncmp(line, key, klen) == 0 && line[klen] == ':') {
			v = strtol(line + klen + 1, NULL, 10);
			break;
		}
	fclose(f);
	return v;
}

long
mc_status_kb_try(const char *key)
{
	return key_value("/proc/self/status", key);
}

long
mc_vmlck_kb(void)
{
	long kb = mc_status_kb_try("VmLck");

	if (kb < 0)
		atf_tc_skip("/proc/self/status has no VmLck field");
	return kb;
}

long
mc_meminfo(const char *key)
{
	return key_value("/proc/meminfo", key);
}

bool
mc_read_ulong_file(const char *path, unsigned long *v)
{
	FILE *f = fopen(path, "r");
	bool ok;

	if (f == NULL)
		return false;
	ok = fscanf(f, "%lu", v) == 1;
	fclose(f);
	return ok;
}

int
mc_overcommit_mode(void)
{
	unsigned long v;

	if (!mc_read_ulong_file("/proc/sys/vm/overcommit_memory", &v))
		return -1;
	return (int)v;
}

int
mc_cap_drop(int cap)
{
	struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct d[_LINUX_CAPABILITY_U32S_3];

	if (syscall(SYS_capget, &h, d) != 0)
		return errno;
	d[CAP_TO_INDEX(cap)].effective &= ~CAP_TO_MASK(cap);
	d[CAP_TO_INDEX(cap)].permitted &= ~CAP_TO_MASK(cap);
	d[CAP_TO_INDEX(cap)].inheritable &= ~CAP_TO_MASK(cap);
	if (syscall(SYS_capset, &h, d) != 0)
		return errno;
	return 0;
}

int
mc_cap_is_effective(int cap)
{
	struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct d[_LINUX_CAPABILITY_U32S_3];

	if (syscall(SYS_capget, &h, d) != 0)
		return -1;
	return (d[CAP_TO_INDEX(cap)].effective & CAP_TO_MASK(cap)) != 0;
}

void
mc_mlock_or_skip(void *p, size_t len)
{
	if (mlock(p, len) == 0)
		return;
	ATF_REQUIRE_MSG(errno == ENOMEM || errno == EPERM || errno == EAGAIN,
	    "mlock(%p, %zu): %s", p, len, strerror(errno));
	atf_tc_skip("cannot lock %zu bytes here (mlock: %s): RLIMIT_MEMLOCK "
	    "too small without CAP_IPC_LOCK", len, strerror(errno));
}
