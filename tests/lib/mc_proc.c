/*
 * mc_proc.c - the process and its limits (see mc_proc.h).
 */
#include "mc_proc.h"

#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/syscall.h>

#include <linux/capability.h>

#include <errno.h>
#include <sched.h>
#include <fcntl.h>
#include <stdint.h>
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

void
mc_skip_if_limited(int err, const char *what)
{
	struct rlimit as, data;
	char lim[160] = "";

	if (err != ENOMEM)
		return;
	if (getrlimit(RLIMIT_AS, &as) == 0 && as.rlim_cur != RLIM_INFINITY)
		snprintf(lim, sizeof(lim), "RLIMIT_AS %ju bytes",
		    (uintmax_t)as.rlim_cur);
	else if (getrlimit(RLIMIT_DATA, &data) == 0 &&
	    data.rlim_cur != RLIM_INFINITY)
		snprintf(lim, sizeof(lim), "RLIMIT_DATA %ju bytes",
		    (uintmax_t)data.rlim_cur);
	else if (mc_overcommit_mode() == 2)
		snprintf(lim, sizeof(lim), "vm.overcommit_memory=2 (strict "
		    "accounting, CommitLimit %ld kB)",
		    mc_meminfo("CommitLimit"));
	if (lim[0] != '\0')
		atf_tc_skip("%s: ENOMEM under %s: the run's limit leaves no "
		    "room for this case, the semantic is not at fault", what,
		    lim);
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

bool
mc_read_small(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	size_t got = 0;
	ssize_t n;

	if (fd < 0)
		return false;
	while (got < len - 1 && (n = read(fd, buf + got, len - 1 - got)) > 0)
		got += (size_t)n;
	close(fd);
	buf[got] = '\0';
	return got > 0;
}

long
mc_status_kb_raw(const char *key)
{
	static char buf[8192];
	size_t klen = strlen(key);
	char *s;

	if (!mc_read_small("/proc/self/status", buf, sizeof(buf)))
		return -1;
	for (s = buf; s != NULL && *s != '\0'; s = strchr(s, '\n'),
	    s = s ? s + 1 : NULL)
		if (strncmp(s, key, klen) == 0 && s[klen] == ':')
			return strtol(s + klen + 1, NULL, 10);
	return -1;
}

long
mc_sys_mlock2(const void *addr, size_t len, unsigned int flags)
{
#ifdef SYS_mlock2
	return syscall(SYS_mlock2, addr, len, flags);
#else
	(void)addr;
	(void)len;
	(void)flags;
	errno = ENOSYS;
	return -1;
#endif
}

bool
mc_cgroup_forbids_swap(char *path, size_t len)
{
	char buf[4096], val[64];
	char *p;

	if (!mc_read_small("/proc/self/cgroup", buf, sizeof(buf)))
		return false;
	p = strstr(buf, "0::");
	if (p == NULL || (p != buf && p[-1] != '\n'))
		return false;
	p += 3;
	p[strcspn(p, "\n")] = '\0';
	snprintf(path, len, "/sys/fs/cgroup%s%smemory.swap.max", p,
	    *p != '\0' && p[strlen(p) - 1] == '/' ? "" : "/");
	if (!mc_read_small(path, val, sizeof(val)))
		return false;
	val[strcspn(val, "\n")] = '\0';
	return strcmp(val, "0") == 0;
}

void
mc_pin_to_current_cpu(void)
{
	int cpu = sched_getcpu();
	cpu_set_t set;

	ATF_REQUIRE_MSG(cpu >= 0, "sched_getcpu: %s", strerror(errno));
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	ATF_REQUIRE_MSG(sched_setaffinity(0, sizeof(set), &set) == 0,
	    "sched_setaffinity(CPU %d, the current one): %s", cpu,
	    strerror(errno));
}

bool
mc_in_initial_userns(void)
{
	char buf[128];
	unsigned long long a, b, n;
	int fd = open("/proc/self/uid_map", O_RDONLY | O_CLOEXEC);
	ssize_t r;

	if (fd < 0)
		return true; /* no user namespaces in this kernel */
	r = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (r <= 0)
		return false;
	buf[r] = '\0';
	return sscanf(buf, "%llu %llu %llu", &a, &b, &n) == 3 && a == 0 &&
	    b == 0 && n == 4294967295ULL && strchr(buf, '\n') ==
	    strrchr(buf, '\n');
}

int
mc_cap_counts(int cap)
{
	return mc_cap_is_effective(cap) == 1 && mc_in_initial_userns();
}

int
mc_seccomp_mode(void)
{
	return (int)key_value("/proc/self/status", "Seccomp");
}

bool
mc_mlock_page_must_succeed(void)
{
	struct rlimit rl;
	long vmlck;

	if (mc_cap_counts(CAP_IPC_LOCK))
		return true;
	if (getrlimit(RLIMIT_MEMLOCK, &rl) != 0)
		return false;
	if (rl.rlim_cur == RLIM_INFINITY)
		return true;
	vmlck = mc_status_kb_try("VmLck");
	if (vmlck < 0)
		vmlck = 0;
	return rl.rlim_cur >= (rlim_t)vmlck * 1024 + mc_pagesize();
}

void
mc_skip_if_mlock_filtered(int err)
{
	int mode = mc_seccomp_mode();

	if (err == EPERM && mode == 2)
		atf_tc_skip(MC_MLOCK_FILTERED_FMT, mode);
}

void
mc_require_mlock_unfiltered(void)
{
	size_t ps = mc_pagesize();
	void *p;
	int e;

	if (mc_seccomp_mode() != 2 || !mc_mlock_page_must_succeed())
		return;
	p = mc_map_anon(ps, PROT_READ | PROT_WRITE, MAP_PRIVATE);
	e = mlock(p, ps) == 0 ? 0 : errno;
	if (e == 0)
		(void)munlock(p, ps);
	ATF_REQUIRE_MSG(munmap(p, ps) == 0, "munmap(mlock probe): %s",
	    strerror(errno));
	mc_skip_if_mlock_filtered(e);
}

void
mc_mlock_or_skip(void *p, size_t len)
{
	struct rlimit rl;
	int e;

	if (mlock(p, len) == 0)
		return;
	e = errno;
	ATF_REQUIRE_MSG(e == ENOMEM || e == EPERM || e == EAGAIN,
	    "mlock(%p, %zu): %s", p, len, strerror(e));
	if (e == EPERM)
		mc_require_mlock_unfiltered();
	if (getrlimit(RLIMIT_MEMLOCK, &rl) != 0)
		rl.rlim_cur = 0;
	if (rl.rlim_cur == RLIM_INFINITY)
		atf_tc_skip("cannot lock %zu bytes here (mlock: %s) although "
		    "RLIMIT_MEMLOCK is unlimited", len, strerror(e));
	atf_tc_skip("cannot lock %zu bytes here (mlock: %s): RLIMIT_MEMLOCK "
	    "(soft %ju bytes, VmLck %ld kB) too small without CAP_IPC_LOCK",
	    len, strerror(e), (uintmax_t)rl.rlim_cur,
	    mc_status_kb_try("VmLck"));
}

size_t
mc_hugetlb_size(void)
{
	long kb = mc_meminfo("Hugepagesize");

	if (kb <= 0)
		atf_tc_skip("no Hugepagesize in /proc/meminfo: the kernel has "
		    "no hugetlb support");
	return (size_t)kb * 1024;
}

size_t
mc_hugetlb_require(size_t n)
{
	size_t hs = mc_hugetlb_size();
	long fr = mc_meminfo("HugePages_Free");
	long rsvd = mc_meminfo("HugePages_Rsvd");

	if (fr < 0)
		atf_tc_skip("no HugePages_Free in /proc/meminfo: the number of "
		    "free huge pages is unknown");
	if (rsvd < 0)
		rsvd = 0;
	if (fr - rsvd < (long)n)
		atf_tc_skip("needs %zu free huge pages of %zu kB: HugePages_Free "
		    "%ld, HugePages_Rsvd %ld (reserve some with "
		    "vm.nr_hugepages)", n, hs / 1024, fr, rsvd);
	return hs;
}

int
mc_write_string(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return errno;
	n = write(fd, s, strlen(s));
	close(fd);
	return n == (ssize_t)strlen(s) ? 0 : (n < 0 ? errno : EIO);
}

int
mc_private_mounts(int *step, int *userns)
{
	uid_t uid = geteuid();
	gid_t gid = getegid();
	char map[64];
	int e;

	*userns = 0;
	if (unshare(CLONE_NEWNS) != 0) {
		if (errno != EPERM) {
			*step = 10;
			return errno;
		}
		if (unshare(CLONE_NEWUSER | CLONE_NEWNS) != 0) {
			*step = 11;
			return errno;
		}
		*userns = 1;
		e = mc_write_string("/proc/self/setgroups", "deny");
		if (e != 0 && e != ENOENT) {
			*step = 12;
			return e;
		}
		snprintf(map, sizeof(map), "0 %u 1", (unsigned)uid);
		if ((e = mc_write_string("/proc/self/uid_map", map)) != 0) {
			*step = 13;
			return e;
		}
		snprintf(map, sizeof(map), "0 %u 1", (unsigned)gid);
		if ((e = mc_write_string("/proc/self/gid_map", map)) != 0) {
			*step = 14;
			return e;
		}
	}
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0) {
		*step = 15;
		return errno;
	}
	return 0;
}
