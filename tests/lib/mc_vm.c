/*
 * mc_vm.c - pagemap, mincore, smaps and maps readers (see mc_vm.h).
 */
#include "mc.h"
#include "mc_err.h"

#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <errno.h>
#include <inttypes.h>
#include <fcntl.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static int
pagemap_open(void)
{
	/* Reopened after fork: an inherited fd still describes the parent. */
	static pid_t opened_by;
	static int fd = -1;

	if (fd < 0 || opened_by != getpid()) {
		if (fd >= 0)
			close(fd);
		fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
		opened_by = getpid();
	}
	return fd;
}

bool
mc_pagemap_try(const void *addr, uint64_t *entry)
{
	int fd = pagemap_open();
	off_t off = (off_t)((uintptr_t)addr / mc_pagesize() * sizeof(*entry));

	return fd >= 0 && pread(fd, entry, sizeof(*entry), off) ==
	    (ssize_t)sizeof(*entry);
}

uint64_t
mc_pagemap(const void *addr)
{
	uint64_t e;

	if (pagemap_open() < 0) {
		if (errno == ENOENT || errno == EACCES || errno == EPERM)
			atf_tc_skip("/proc/self/pagemap not available (%s): "
			    "page presence and PFNs cannot be proved here",
			    strerror(errno));
		ATF_REQUIRE_MSG(false, "open(/proc/self/pagemap): %s",
		    strerror(errno));
	}
	ATF_REQUIRE_MSG(mc_pagemap_try(addr, &e), "pread(/proc/self/pagemap, "
	    "%p): %s", addr, strerror(errno));
	return e;
}

bool
mc_pfns_visible(const char **why)
{
	static int state = -1; /* -1 unknown, 0 hidden, 1 visible */
	static const char *reason;

	if (state < 0) {
		if (access("/proc/self/pagemap", R_OK) != 0) {
			state = 0;
			reason = "/proc/self/pagemap is missing";
		} else {
			size_t ps = mc_pagesize();
			volatile unsigned char *p = mc_map_anon(ps,
			    PROT_READ | PROT_WRITE, MAP_PRIVATE);
			p[0] = 1;
			uint64_t e = mc_pagemap((const void *)p);
			ATF_REQUIRE_MSG(e & MC_PM_PRESENT, "a written page is "
			    "not present in pagemap (entry %#jx)",
			    (uintmax_t)e);
			state = (e & MC_PM_PFN_MASK) != 0;
			reason = "PFNs read as 0 (needs CAP_SYS_ADMIN in the "
			    "initial user namespace)";
			munmap((void *)p, ps);
		}
	}
	if (why != NULL)
		*why = reason;
	return state == 1;
}

uint64_t
mc_pfn(const void *addr)
{
	uint64_t e = mc_pagemap(addr);

	ATF_REQUIRE_MSG(e & MC_PM_PRESENT, "page at %p: expected present in "
	    "pagemap, entry is %#jx", addr, (uintmax_t)e);
	return e & MC_PM_PFN_MASK;
}

uint64_t
mc_pfn_try(const void *addr)
{
	uint64_t e;

	if (!mc_pagemap_try(addr, &e) || !(e & MC_PM_PRESENT))
		return 0;
	return MC_PM_PFN(e);
}

void
mc_take_pagemap(const void *p, size_t npages, struct mc_pages_report *r)
{
	size_t ps = mc_pagesize();
	const unsigned char *q = p;

	r->pm_ok = 1;
	for (size_t i = 0; i < npages && i < MC_REPORT_PAGES; i++) {
		(void)*(volatile const unsigned char *)(q + i * ps);
		if (!mc_pagemap_try(q + i * ps, &r->pm[i])) {
			r->pm_ok = 0;
			r->pm[i] = 0;
		}
	}
}

void
mc_require_pfns(void)
{
	const char *why;

	if (!mc_pfns_visible(&why))
		atf_tc_skip("content assertions passed; PFN assertions not "
		    "possible: %s", why);
}

/* ---- residency --------------------------------------------------------- */

size_t
mc_mincore_count(void *addr, size_t len)
{
	size_t ps = mc_pagesize(), n = (len + ps - 1) / ps, count = 0;
	unsigned char *vec = malloc(n);

	ATF_REQUIRE(vec != NULL);
	ATF_REQUIRE_MSG(mincore(addr, len, vec) == 0, "mincore(%p, %zu): %s",
	    addr, len, strerror(errno));
	for (size_t i = 0; i < n; i++)
		count += vec[i] & 1;
	free(vec);
	return count;
}

bool
mc_mincore_sees_untouched(void)
{
	static int state = -1; /* -1 unknown, 0 all resident, 1 lazy */

	if (state < 0) {
		size_t ps = mc_pagesize(), n = 4;
		void *p = mc_map_anon(n * ps, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE);

		state = mc_mincore_count(p, n * ps) == 0;
		ATF_REQUIRE_MSG(munmap(p, n * ps) == 0, "munmap(mincore "
		    "probe): %s", strerror(errno));
	}
	return state == 1;
}

void
mc_require_mincore_sees_untouched(const char *why)
{
	if (!mc_mincore_sees_untouched())
		atf_tc_skip("mincore reports untouched anonymous pages as "
		    "resident here: %s", why);
}

void
mc_require_smaps(void)
{
	if (access("/proc/self/smaps", R_OK) != 0)
		atf_tc_skip("/proc/self/smaps not available: %s",
		    strerror(errno));
}

/* The field of the smaps entry holding addr, read from the open file f. */
static long
smaps_kb_from(FILE *f, const void *addr, const char *field)
{
	char line[512];
	bool in = false;
	long kb = -1;
	size_t flen = strlen(field);

	while (fgets(line, sizeof(line), f) != NULL) {
		uintptr_t s, e;
		/* Header lines start "start-end "; field lines "Key:". */
		if (sscanf(line, "%" SCNxPTR "-%" SCNxPTR " ", &s, &e) == 2) {
			in = (uintptr_t)addr >= s && (uintptr_t)addr < e;
			continue;
		}
		if (in && strncmp(line, field, flen) == 0 &&
		    line[flen] == ':') {
			kb = strtol(line + flen + 1, NULL, 10);
			break;
		}
	}
	fclose(f);
	return kb;
}

long
mc_smaps_kb(const void *addr, const char *field)
{
	FILE *f = fopen("/proc/self/smaps", "r");

	ATF_REQUIRE_MSG(f != NULL, "fopen(/proc/self/smaps): %s",
	    strerror(errno));
	return smaps_kb_from(f, addr, field);
}

long
mc_smaps_kb_try(const void *addr, const char *field)
{
	FILE *f = fopen("/proc/self/smaps", "r");

	return f == NULL ? -1 : smaps_kb_from(f, addr, field);
}

bool
mc_smaps_vmflags_try(const void *addr, char *buf, size_t len)
{
	FILE *f = fopen("/proc/self/smaps", "r");
	char line[512];
	bool in = false, found = false;

	if (f == NULL)
		return false;
	while (fgets(line, sizeof(line), f) != NULL) {
		uintptr_t s, e;

		if (sscanf(line, "%" SCNxPTR "-%" SCNxPTR " ", &s, &e) == 2) {
			in = (uintptr_t)addr >= s && (uintptr_t)addr < e;
			continue;
		}
		if (in && strncmp(line, "VmFlags:", 8) == 0) {
			line[strcspn(line, "\n")] = '\0';
			snprintf(buf, len, "%s ", line + 8);
			found = true;
			break;
		}
	}
	fclose(f);
	return found;
}

void
mc_smaps_vmflags(const void *addr, char *buf, size_t len)
{
	mc_require_smaps();
	if (!mc_smaps_vmflags_try(addr, buf, len))
		atf_tc_skip("/proc/self/smaps has no VmFlags line for %p "
		    "(shown since Linux 3.8; not by this kernel or emulator)",
		    addr);
}

bool
mc_has_vmflag(const char *flags, const char *flag)
{
	char pat[8];

	snprintf(pat, sizeof(pat), " %s ", flag);
	return strstr(flags, pat) != NULL;
}

/* ---- /proc/self/maps --------------------------------------------------- */

bool
mc_maps_line(const void *addr, char *buf, size_t len)
{
	FILE *f = fopen("/proc/self/maps", "r");
	char line[1024];
	bool found = false;

	ATF_REQUIRE_MSG(f != NULL, "fopen(/proc/self/maps): %s",
	    strerror(errno));
	while (fgets(line, sizeof(line), f) != NULL) {
		uintptr_t s, e;
		if (sscanf(line, "%" SCNxPTR "-%" SCNxPTR, &s, &e) == 2 &&
		    (uintptr_t)addr >= s && (uintptr_t)addr < e) {
			line[strcspn(line, "\n")] = '\0';
			snprintf(buf, len, "%s", line);
			found = true;
			break;
		}
	}
	fclose(f);
	return found;
}

bool
mc_maps_range(const void *addr, uintptr_t *start, uintptr_t *end)
{
	char line[1024];

	if (!mc_maps_line(addr, line, sizeof(line)))
		return false;
	return sscanf(line, "%" SCNxPTR "-%" SCNxPTR, start, end) == 2;
}

bool
mc_maps_parse(const char *line, struct mc_maps_ent *e)
{
	int pos = 0;

	memset(e, 0, sizeof(*e));
	snprintf(e->line, sizeof(e->line), "%s", line);
	e->line[strcspn(e->line, "\n")] = '\0';
	if (sscanf(e->line, "%" SCNxPTR "-%" SCNxPTR " %7s %llx %x:%x %llu%n",
	    &e->start, &e->end, e->perms, &e->offset, &e->major, &e->minor,
	    &e->inode, &pos) != 7)
		return false;
	while (e->line[pos] == ' ' || e->line[pos] == '\t')
		pos++;
	snprintf(e->path, sizeof(e->path), "%s", e->line + pos);
	return true;
}

/*
 * Finds the entry holding addr in the open maps file f (closed after).
 * 1 found, 0 not found, -1 a line that does not parse (e->line holds it).
 */
static int
maps_find(FILE *f, const void *addr, struct mc_maps_ent *e)
{
	char line[sizeof(e->line)];
	int found = 0;

	while (found == 0 && fgets(line, sizeof(line), f) != NULL) {
		uintptr_t s, en;

		if (sscanf(line, "%" SCNxPTR "-%" SCNxPTR, &s, &en) != 2 ||
		    (uintptr_t)addr < s || (uintptr_t)addr >= en)
			continue;
		found = mc_maps_parse(line, e) ? 1 : -1;
	}
	fclose(f);
	return found;
}

bool
mc_maps_entry_try(const void *addr, struct mc_maps_ent *e)
{
	FILE *f = fopen("/proc/self/maps", "r");

	return f != NULL && maps_find(f, addr, e) == 1;
}

bool
mc_maps_entry(const void *addr, struct mc_maps_ent *e)
{
	FILE *f = fopen("/proc/self/maps", "r");
	int r;

	ATF_REQUIRE_MSG(f != NULL, "fopen(/proc/self/maps): %s",
	    strerror(errno));
	r = maps_find(f, addr, e);
	ATF_REQUIRE_MSG(r >= 0, "cannot parse /proc/self/maps line '%s'",
	    e->line);
	return r == 1;
}

void
mc_maps_get(const void *addr, struct mc_maps_ent *e)
{
	ATF_REQUIRE_MSG(mc_maps_entry(addr, e), "no mapping holds %p in "
	    "/proc/self/maps", addr);
}

size_t
mc_maps_read(struct mc_maps_ent *ents, size_t max)
{
	FILE *f = fopen("/proc/self/maps", "r");
	char line[sizeof(ents->line)];
	size_t n = 0;

	ATF_REQUIRE_MSG(f != NULL, "fopen(/proc/self/maps): %s",
	    strerror(errno));
	while (fgets(line, sizeof(line), f) != NULL) {
		ATF_REQUIRE_MSG(n < max, "more than %zu mappings in "
		    "/proc/self/maps", max);
		ATF_REQUIRE_MSG(mc_maps_parse(line, &ents[n]), "cannot parse "
		    "/proc/self/maps line '%s'", line);
		n++;
	}
	fclose(f);
	return n;
}

long
mc_resident_try(void *p, size_t n)
{
	unsigned char vec[64];
	long c = 0;

	if (n > sizeof(vec) || mincore(p, n * mc_pagesize(), vec) != 0)
		return -1;
	for (size_t i = 0; i < n; i++)
		c += vec[i] & 1;
	return c;
}

long
mc_locked_kb(const void *addr)
{
	long kb;

	mc_require_smaps();
	kb = mc_smaps_kb(addr, "Locked");
	ATF_REQUIRE_MSG(kb >= 0, "smaps: no Locked field for the mapping at "
	    "%p", addr);
	return kb;
}

long
mc_kb_of_pages(size_t n)
{
	return (long)(n * mc_pagesize() / 1024);
}

void
mc_require_vma(const void *addr, const void *start, const void *end,
    const char *what)
{
	struct mc_maps_ent e;

	ATF_REQUIRE_MSG(mc_maps_entry(addr, &e), "%s: /proc/self/maps has no "
	    "mapping at %p", what, addr);
	ATF_REQUIRE_MSG(e.start == (uintptr_t)start && e.end == (uintptr_t)end,
	    "%s: expected one mapping %p-%p (%zu pages), /proc/self/maps "
	    "says \"%s\"", what, start, end,
	    (size_t)((const char *)end - (const char *)start) / mc_pagesize(),
	    e.line);
}
