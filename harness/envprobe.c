/*
 * envprobe - print env.json: a fingerprint of what a run's results are
 * about (kernel, page size, THP, VM sysctls, PFN visibility, privileges,
 * container/namespace/sandbox hints, CPU, libc).
 *
 * Written in C so that it runs wherever the suite runs: inside a minimal
 * qemu guest, a container or gVisor, without a Python interpreter.
 *
 * usage: envprobe [--label L] [--environment E]
 */
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/utsname.h>

#include <ctype.h>
#include <fcntl.h>
#include <gnu/libc-version.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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
	snprintf(buf, sizeof(buf), "%s %s %s %s %s", u.sysname, u.nodename,
	    u.release, u.version, u.machine);
	kv_str("uname", buf);
	kv_str("kernel", u.release);
	kv_str("kernel_version", u.version);
	kv_str("arch", u.machine);
	key("page_size");
	printf("%ld", sysconf(_SC_PAGESIZE));
	kv_str("thp_enabled", bracketed(
	    "/sys/kernel/mm/transparent_hugepage/enabled", buf2,
	    sizeof(buf2)));
	kv_file("thp_pmd_size",
	    "/sys/kernel/mm/transparent_hugepage/hpage_pmd_size");
	kv_file("overcommit_memory", "/proc/sys/vm/overcommit_memory");
	kv_file("mmap_min_addr", "/proc/sys/vm/mmap_min_addr");
	kv_file("max_map_count", "/proc/sys/vm/max_map_count");
	kv_str("pfn_visible", pfn_visibility());
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
	key("cpus");
	printf("%ld", sysconf(_SC_NPROCESSORS_ONLN));
	snprintf(buf, sizeof(buf), "glibc %s", gnu_get_libc_version());
	kv_str("libc", buf);
	printf("\n}\n");
	return 0;
}
