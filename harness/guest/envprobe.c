/*
 * envprobe - print env.json: a fingerprint of what a run's results are
 * about (kernel and its command line, page size, THP per size, the zero
 * page, KSM, swap, VM sysctls, PFN visibility, privileges,
 * container/namespace/sandbox hints, CPU, libc, the file system of the
 * test cases' work directories).  Baseline files of known
 * divergences match a run by these facts (harness/baselines/README.md).
 *
 * Written in C so that it runs wherever the suite runs: inside a minimal
 * qemu guest, a container or gVisor, without a Python interpreter.
 *
 * usage: envprobe [--label L] [--environment E]
 */
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/vfs.h>

#include <ctype.h>
#include <dirent.h>
#include <fcntl.h>
#include <gnu/libc-version.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "version.h" /* MC_VERSION, MC_COMMIT: harness/lib/version */

static void
json_str(const char *s)
{
	putchar('"');
	for (; s != NULL && *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\')
			printf("\\%c", c);
		else if (c < 0x20)
			printf("\\u%04x", c);
		else
			putchar(c);
	}
	putchar('"');
}

static int first = 1;

static void
key(const char *k)
{
	printf("%s\n  ", first ? "" : ",");
	first = 0;
	json_str(k);
	printf(": ");
}

static void
kv_str(const char *k, const char *v)
{
	key(k);
	if (v == NULL)
		printf("null");
	else
		json_str(v);
}

/* First line of a file, trimmed; NULL when unreadable. */
static char *
read_line(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "r");

	if (f == NULL)
		return NULL;
	if (fgets(buf, (int)len, f) == NULL) {
		fclose(f);
		return NULL;
	}
	fclose(f);
	buf[strcspn(buf, "\n")] = '\0';
	return buf;
}

static void
kv_file(const char *k, const char *path)
{
	char buf[256];

	kv_str(k, read_line(path, buf, sizeof(buf)));
}

/* Value after "Key:" in a "Key:\tvalue" file such as /proc/self/status. */
static char *
field(const char *path, const char *name, char *buf, size_t len)
{
	FILE *f = fopen(path, "r");
	char line[512];
	size_t n = strlen(name);
	char *r = NULL;

	if (f == NULL)
		return NULL;
	while (fgets(line, sizeof(line), f) != NULL) {
		if (strncmp(line, name, n) == 0 &&
		    (line[n] == ':' || isspace((unsigned char)line[n]))) {
			char *v = line + n;
			while (*v == ':' || isspace((unsigned char)*v))
				v++;
			v[strcspn(v, "\n")] = '\0';
			snprintf(buf, len, "%s", v);
			r = buf;
			break;
		}
	}
	fclose(f);
	return r;
}

/* The selected value of a sysfs "a [b] c" file. */
static char *
bracketed(const char *path, char *buf, size_t len)
{
	char line[256], *o, *c;

	if (read_line(path, line, sizeof(line)) == NULL)
		return NULL;
	o = strchr(line, '[');
	c = o ? strchr(o, ']') : NULL;
	if (o == NULL || c == NULL)
		snprintf(buf, len, "%s", line);
	else
		snprintf(buf, len, "%.*s", (int)(c - o - 1), o + 1);
	return buf;
}

/* "yes"/"no"/"unknown": can this process read PFNs from pagemap? */
static const char *
pfn_visibility(void)
{
	long ps = sysconf(_SC_PAGESIZE);
	volatile unsigned char *p;
	uint64_t e = 0;
	int fd = open("/proc/self/pagemap", O_RDONLY);
	const char *r = "unknown";

	if (fd < 0)
		return "no (no /proc/self/pagemap)";
	p = mmap(NULL, (size_t)ps, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p != MAP_FAILED) {
		p[0] = 1;
		if (pread(fd, &e, sizeof(e),
		    (off_t)((uintptr_t)p / (uintptr_t)ps * sizeof(e))) ==
		    (ssize_t)sizeof(e))
			r = (e & ((1ULL << 55) - 1)) ? "yes" : "no (PFNs read as 0)";
		munmap((void *)p, (size_t)ps);
	}
	close(fd);
	return r;
}

/*
 * Rss in kB of the /proc/self/smaps entry that starts at addr; -1 when
 * there is no such entry or no smaps.
 */
static long
smaps_rss_kb(const void *addr)
{
	FILE *f = fopen("/proc/self/smaps", "r");
	char line[512];
	unsigned long start, end;
	int in = 0;
	long kb = -1;

	if (f == NULL)
		return -1;
	while (fgets(line, sizeof(line), f) != NULL) {
		/* An entry's first line: "start-end perms ..." (no colon key). */
		if (isxdigit((unsigned char)line[0]) &&
		    sscanf(line, "%lx-%lx ", &start, &end) == 2 &&
		    strchr(line, '-') < strchr(line, ' ')) {
			in = start == (uintptr_t)addr;
			continue;
		}
		if (in && sscanf(line, "Rss: %ld kB", &kb) == 1)
			break;
	}
	fclose(f);
	return kb;
}

/* PFN of the page at addr from an open pagemap; 0 when hidden or absent. */
static uint64_t
pfn_of(int fd, const volatile void *addr, long ps)
{
	uint64_t e = 0;

	if (fd < 0 || pread(fd, &e, sizeof(e), (off_t)((uintptr_t)addr /
	    (uintptr_t)ps * sizeof(e))) != (ssize_t)sizeof(e))
		return 0;
	return (e & (1ULL << 63)) ? e & ((1ULL << 55) - 1) : 0;
}

/*
 * Does a read fault on private anonymous memory map the shared zero page?
 * Reads ZP_PAGES untouched pages of a mapping of their own (PROT_NONE guard
 * pages around it, THP off) and looks at smaps Rss (a zero page mapping is
 * not the process's memory: Rss stays 0) and, where PFNs are visible, at
 * whether the pages share one PFN.  A control read of Rss before the reads
 * must say 0, else smaps cannot tell (gVisor counts untouched pages).
 * Returns "yes", "no" or "unknown"; evidence says what was seen.
 */
#define ZP_PAGES 8
static const char *
zero_page(char *evidence, size_t len)
{
	long ps = sysconf(_SC_PAGESIZE);
	size_t sz = (size_t)ps * (ZP_PAGES + 2);
	unsigned char *g, *p;
	uint64_t pfn[ZP_PAGES];
	long before, after;
	int fd, npfn = 0, same = 1;
	const char *r;
	unsigned sum = 0;

	g = mmap(NULL, sz, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (g == MAP_FAILED) {
		snprintf(evidence, len, "mmap failed");
		return "unknown";
	}
	p = g + ps;
	if (mprotect(p, (size_t)ps * ZP_PAGES, PROT_READ | PROT_WRITE) != 0) {
		munmap(g, sz);
		snprintf(evidence, len, "mprotect failed");
		return "unknown";
	}
	(void)madvise(p, (size_t)ps * ZP_PAGES, MADV_NOHUGEPAGE);
	before = smaps_rss_kb(p);
	for (int i = 0; i < ZP_PAGES; i++)
		sum += ((volatile unsigned char *)p)[(size_t)i * (size_t)ps];
	after = smaps_rss_kb(p);
	fd = open("/proc/self/pagemap", O_RDONLY);
	for (int i = 0; i < ZP_PAGES; i++) {
		pfn[i] = pfn_of(fd, p + (size_t)i * (size_t)ps, ps);
		if (pfn[i] != 0)
			npfn++;
		if (pfn[i] != pfn[0])
			same = 0;
	}
	if (fd >= 0)
		close(fd);
	munmap(g, sz);

	if (sum != 0) {
		snprintf(evidence, len, "untouched anonymous pages read "
		    "nonzero");
		return "unknown";
	}
	if (npfn == ZP_PAGES) {
		r = same ? "yes" : "no";
		snprintf(evidence, len, "%d read pages of a private anonymous "
		    "mapping: %s; smaps Rss %ld kB", ZP_PAGES, same ?
		    "all on one PFN" : "each on a PFN of its own", after);
		return r;
	}
	if (before != 0 || after < 0) {
		snprintf(evidence, len, "PFNs hidden and smaps cannot tell "
		    "(Rss %ld kB before any access)", before);
		return "unknown";
	}
	r = after == 0 ? "yes" : after >= ZP_PAGES * ps / 1024 ? "no" :
	    "unknown";
	snprintf(evidence, len, "%d read pages of a private anonymous "
	    "mapping: smaps Rss %ld kB (PFNs hidden)", ZP_PAGES, after);
	return r;
}

/*
 * The kernel's own parameters from /proc/cmdline: what follows a " -- "
 * is handed to init (arguments of a VMM's init, not kernel facts) and is
 * left out.
 */
static char *
kernel_cmdline(char *buf, size_t len)
{
	char *cut;

	if (read_line("/proc/cmdline", buf, len) == NULL)
		return NULL;
	if (strncmp(buf, "-- ", 3) == 0)
		buf[0] = '\0';
	else if ((cut = strstr(buf, " -- ")) != NULL)
		*cut = '\0';
	return buf;
}

static int
cmp_hugepage_dir(const void *a, const void *b)
{
	long x = atol(*(char *const *)a + strlen("hugepages-"));
	long y = atol(*(char *const *)b + strlen("hugepages-"));

	return (x > y) - (x < y);
}

/*
 * "thp_sizes": {"hugepages-64kB": "never", ...}: the mode of every THP
 * size the kernel offers (mTHP, 6.8+); null without per-size settings.
 */
static void
kv_thp_sizes(void)
{
	const char *dir = "/sys/kernel/mm/transparent_hugepage";
	DIR *d = opendir(dir);
	struct dirent *e;
	char *names[64];
	size_t n = 0;

	key("thp_sizes");
	while (d != NULL && (e = readdir(d)) != NULL && n < 64) {
		char path[512];

		/* Sizes for shmem only (no anonymous "enabled") are left out. */
		snprintf(path, sizeof(path), "%s/%s/enabled", dir, e->d_name);
		if (strncmp(e->d_name, "hugepages-", 10) == 0 &&
		    access(path, F_OK) == 0)
			names[n++] = strdup(e->d_name);
	}
	if (d != NULL)
		closedir(d);
	if (n == 0) {
		printf("null");
		return;
	}
	qsort(names, n, sizeof(names[0]), cmp_hugepage_dir);
	printf("{");
	for (size_t i = 0; i < n; i++) {
		char path[512], buf[64];

		snprintf(path, sizeof(path), "%s/%s/enabled", dir, names[i]);
		printf("%s", i ? ", " : "");
		json_str(names[i]);
		printf(": ");
		if (bracketed(path, buf, sizeof(buf)) != NULL)
			json_str(buf);
		else
			printf("null");
		free(names[i]);
	}
	printf("}");
}

/* "ksm": {"run": "0", ...} from /sys/kernel/mm/ksm; null without KSM. */
static void
kv_ksm(void)
{
	static const char *const files[] = { "run", "use_zero_pages",
	    "merge_across_nodes", "pages_shared", "pages_sharing" };
	int any = 0;

	key("ksm");
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		char path[128], buf[64];

		snprintf(path, sizeof(path), "/sys/kernel/mm/ksm/%s", files[i]);
		if (read_line(path, buf, sizeof(buf)) == NULL)
			continue;
		printf("%s", any ? ", " : "{");
		any = 1;
		json_str(files[i]);
		printf(": ");
		json_str(buf);
	}
	printf("%s", any ? "}" : "null");
}

/* Whether this process runs in a user namespace other than the initial. */
static const char *
userns(void)
{
	char buf[256];
	unsigned long a, b, c;

	if (read_line("/proc/self/uid_map", buf, sizeof(buf)) == NULL)
		return "unknown";
	if (sscanf(buf, "%lu %lu %lu", &a, &b, &c) == 3 && a == 0 && b == 0 &&
	    c == 4294967295UL)
		return "initial";
	return "non-initial";
}

static const char *
container_hint(char *buf, size_t len)
{
	char line[256];
	const char *v = getenv("container");

	if (v != NULL && *v != '\0') {
		snprintf(buf, len, "container=%s", v);
		return buf;
	}
	if (access("/.dockerenv", F_OK) == 0)
		return "docker";
	if (access("/run/.containerenv", F_OK) == 0)
		return "podman";
	if (read_line("/proc/1/comm", line, sizeof(line)) != NULL &&
	    strcmp(line, "runsc-sandbox") == 0)
		return "gvisor";
	if (access("/proc/self/pagemap", F_OK) != 0 &&
	    access("/proc/self/maps", F_OK) == 0)
		return "sandbox? (no /proc/self/pagemap)";
	return "none detected";
}

/*
 * The memory-management CPU features the kernel reports in /proc/cpuinfo
 * (x86 "flags"): la57 (5-level paging), pku and ospke (protection keys in
 * the CPU and enabled by the kernel). Space-separated, "" for none; NULL
 * when there is no flags line (not x86).
 */
static const char *
cpu_mm_flags(char *buf, size_t len)
{
	static const char *const want[] = { "la57", "pku", "ospke" };
	char line[8192];
	FILE *f = fopen("/proc/cpuinfo", "r");
	bool found = false;

	if (f == NULL)
		return NULL;
	buf[0] = '\0';
	while (fgets(line, sizeof(line), f) != NULL) {
		if (strncmp(line, "flags", 5) != 0 || strchr(line, ':') == NULL)
			continue;
		found = true;
		for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
			char *w = strchr(line, ':') + 1, *tok, *save = NULL;
			char copy[8192];

			snprintf(copy, sizeof(copy), "%s", w);
			for (tok = strtok_r(copy, " \t\n", &save); tok != NULL;
			    tok = strtok_r(NULL, " \t\n", &save))
				if (strcmp(tok, want[i]) == 0) {
					size_t u = strlen(buf);

					snprintf(buf + u, len - u, "%s%s",
					    u ? " " : "", want[i]);
					break;
				}
		}
		break;
	}
	fclose(f);
	return found ? buf : NULL;
}

/*
 * The file system the test cases' work directories live on (kyua makes
 * them under TMPDIR): what a file-backed case depends on, e.g. tmpfs and a
 * disk file system differ on the bytes past EOF of a file's last page.
 */
static const char *
work_fs(char *buf, size_t len)
{
	static const struct { unsigned long magic; const char *name; } fs[] = {
		{ 0x01021994, "tmpfs" }, { 0xef53, "ext4" },
		{ 0x794c7630, "overlayfs" }, { 0x01021997, "9p" },
		{ 0x58465342, "xfs" }, { 0x9123683e, "btrfs" },
		{ 0x6969, "nfs" }, { 0x65735546, "fuse" },
	};
	const char *dir = getenv("TMPDIR");
	struct statfs st;

	if (dir == NULL || *dir == '\0')
		dir = "/tmp";
	if (statfs(dir, &st) != 0)
		return NULL;
	for (size_t i = 0; i < sizeof(fs) / sizeof(fs[0]); i++)
		if ((unsigned long)st.f_type == fs[i].magic)
			return fs[i].name;
	snprintf(buf, len, "0x%lx", (unsigned long)st.f_type);
	return buf;
}

int
main(int argc, char **argv)
{
	struct utsname u;
	char buf[512], buf2[256];
	const char *label = NULL, *environment = "host";

	for (int i = 1; i + 1 < argc; i += 2) {
		if (strcmp(argv[i], "--label") == 0)
			label = argv[i + 1];
		else if (strcmp(argv[i], "--environment") == 0)
			environment = argv[i + 1];
		else {
			fprintf(stderr, "envprobe: unknown option %s\n",
			    argv[i]);
			return 2;
		}
	}
	if (uname(&u) != 0) {
		perror("envprobe: uname");
		return 1;
	}
	printf("{");
	kv_str("label", label);
	kv_str("environment", environment);
	kv_str("suite_version", MC_VERSION);
	kv_str("suite_commit", MC_COMMIT);
	kv_str("hostname", u.nodename);
	snprintf(buf, sizeof(buf), "%s %s %s %s %s", u.sysname, u.nodename,
	    u.release, u.version, u.machine);
	kv_str("uname", buf);
	kv_str("kernel", u.release);
	kv_str("kernel_version", u.version);
	kv_str("cmdline", kernel_cmdline(buf, sizeof(buf)));
	kv_str("arch", u.machine);
	key("page_size");
	printf("%ld", sysconf(_SC_PAGESIZE));
	kv_str("thp_enabled", bracketed(
	    "/sys/kernel/mm/transparent_hugepage/enabled", buf2,
	    sizeof(buf2)));
	kv_file("thp_pmd_size",
	    "/sys/kernel/mm/transparent_hugepage/hpage_pmd_size");
	kv_str("thp_defrag", bracketed(
	    "/sys/kernel/mm/transparent_hugepage/defrag", buf2, sizeof(buf2)));
	kv_str("thp_shmem_enabled", bracketed(
	    "/sys/kernel/mm/transparent_hugepage/shmem_enabled", buf2,
	    sizeof(buf2)));
	kv_file("thp_use_zero_page",
	    "/sys/kernel/mm/transparent_hugepage/use_zero_page");
	kv_thp_sizes();
	kv_str("zero_page", zero_page(buf, sizeof(buf)));
	kv_str("zero_page_evidence", buf);
	kv_ksm();
	kv_str("swap_total", field("/proc/meminfo", "SwapTotal", buf2,
	    sizeof(buf2)));
	kv_file("nr_hugepages", "/proc/sys/vm/nr_hugepages");
	kv_file("unprivileged_userfaultfd",
	    "/proc/sys/vm/unprivileged_userfaultfd");
	kv_file("overcommit_memory", "/proc/sys/vm/overcommit_memory");
	kv_file("mmap_min_addr", "/proc/sys/vm/mmap_min_addr");
	kv_file("max_map_count", "/proc/sys/vm/max_map_count");
	kv_str("pfn_visible", pfn_visibility());
	kv_str("tmpdir_fs", work_fs(buf2, sizeof(buf2)));
	key("euid");
	printf("%ld", (long)geteuid());
	kv_str("cap_eff", field("/proc/self/status", "CapEff", buf2,
	    sizeof(buf2)));
	kv_str("seccomp", field("/proc/self/status", "Seccomp", buf2,
	    sizeof(buf2)));
	kv_str("no_new_privs", field("/proc/self/status", "NoNewPrivs", buf2,
	    sizeof(buf2)));
	kv_str("user_namespace", userns());
	kv_str("container", container_hint(buf2, sizeof(buf2)));
	if (field("/proc/cpuinfo", "model name", buf2, sizeof(buf2)) ||
	    field("/proc/cpuinfo", "cpu", buf2, sizeof(buf2)) ||
	    field("/proc/cpuinfo", "CPU part", buf2, sizeof(buf2)))
		kv_str("cpu", buf2);
	else
		kv_str("cpu", NULL);
	kv_str("cpu_mm_flags", cpu_mm_flags(buf2, sizeof(buf2)));
	key("cpus");
	printf("%ld", sysconf(_SC_NPROCESSORS_ONLN));
	snprintf(buf, sizeof(buf), "glibc %s", gnu_get_libc_version());
	kv_str("libc", buf);
	printf("\n}\n");
	return 0;
}
