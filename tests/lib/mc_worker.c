/*
 * mc_worker.c - processes that map a file by themselves, and assertions on
 * what they see (see mc_worker.h).
 */
#include "mc_worker.h"

#include <sys/mman.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ---- the worker's protocol ---------------------------------------------- */

enum w_op { W_MAP = 1, W_WRITE, W_ECHO, W_REPORT, W_QUIT };

struct w_cmd {
	uint32_t op;
	uint32_t flags;  /* W_MAP: MAP_SHARED or MAP_PRIVATE */
	uint32_t npages; /* W_MAP */
	uint32_t len;    /* W_WRITE: bytes to set */
	uint64_t off;    /* W_WRITE: where; W_ECHO: where the request is */
	uint64_t off2;   /* W_ECHO: where the answer goes */
	uint8_t val;     /* W_WRITE: the byte written */
};

/* Reads every byte of np pages at p; fills r->pg and r->pm_ok. */
static void
summarise_pages(const unsigned char *p, size_t np, struct mc_worker_report *r)
{
	size_t ps = mc_pagesize();

	r->pm_ok = 1;
	for (size_t i = 0; i < np && i < MC_WORKER_MAXPAGES; i++) {
		const volatile unsigned char *q = p + i * ps;
		unsigned char want = mc_pattern(i);
		struct mc_worker_page *g = &r->pg[i];

		memset(g, 0, sizeof(*g));
		g->uniform = 1;
		for (size_t j = 0; j < ps; j++) {
			unsigned char b = q[j];

			if (b == want)
				continue;
			if (g->ndiff++ == 0) {
				g->first = (uint32_t)j;
				g->val = b;
			} else if (b != g->val) {
				g->uniform = 0;
			}
			g->last = (uint32_t)j;
		}
		if (!mc_pagemap_try((const void *)q, &g->pm))
			r->pm_ok = 0;
	}
}

void
mc_worker_summarise(const void *p, size_t np, struct mc_worker_report *r)
{
	memset(r, 0, sizeof(*r));
	summarise_pages(p, np, r);
}

static void
w_fail(struct mc_worker_report *r, const char *what)
{
	r->err = errno != 0 ? errno : EINVAL;
	snprintf(r->what, sizeof(r->what), "%s", what);
}

/* The child: arg is the file's (relative) name. */
static int
w_main(struct mc_child *self, void *arg)
{
	const char *name = arg;
	size_t ps = mc_pagesize(), np = 0;
	unsigned char *p = NULL;
	struct w_cmd c;
	struct mc_worker_report r;

	for (;;) {
		if (!mc_recv(self, &c, sizeof(c), MC_WAIT_MS))
			return 98; /* the parent went away or never asked */
		memset(&r, 0, sizeof(r));
		errno = 0;
		switch (c.op) {
		case W_QUIT:
			return 0;
		case W_MAP: {
			int fd = open(name, c.flags == MAP_SHARED ? O_RDWR :
			    O_RDONLY);

			np = c.npages;
			if (fd < 0) {
				w_fail(&r, "open(file by name)");
				break;
			}
			if (p != NULL || np == 0 || np > MC_WORKER_MAXPAGES) {
				close(fd);
				w_fail(&r, "W_MAP: bad request");
				break;
			}
			p = mmap(NULL, np * ps, PROT_READ | PROT_WRITE,
			    (int)c.flags, fd, 0);
			close(fd);
			if (p == MAP_FAILED) {
				p = NULL;
				w_fail(&r, "mmap(file)");
			}
			break;
		}
		case W_WRITE:
			if (p == NULL || c.off + c.len > np * ps)
				w_fail(&r, "W_WRITE: not mapped or out of "
				    "range");
			else
				memset(p + c.off, c.val, c.len);
			break;
		case W_ECHO:
			if (p == NULL || c.off + 8 > np * ps ||
			    c.off2 + 8 > np * ps) {
				w_fail(&r, "W_ECHO: not mapped or out of "
				    "range");
			} else {
				uint64_t v;

				memcpy(&v, p + c.off, sizeof(v));
				r.seen = v;
				v = ~v;
				memcpy(p + c.off2, &v, sizeof(v));
			}
			break;
		case W_REPORT:
			break;
		default:
			w_fail(&r, "unknown command");
			break;
		}
		if (r.err == 0 && p != NULL)
			summarise_pages(p, np, &r);
		mc_send(self, &r, sizeof(r));
	}
}

/* Parent side: send one command and require a successful report. */
static void
w_do(struct mc_child *ch, const char *who, const struct w_cmd *c,
    struct mc_worker_report *r)
{
	char what[96];

	snprintf(what, sizeof(what), "report from %s (command %u)", who,
	    (unsigned)c->op);
	mc_send(ch, c, sizeof(*c));
	mc_expect(ch, r, sizeof(*r), what);
	ATF_REQUIRE_MSG(r->err == 0, "%s: %s failed: %s", who, r->what,
	    strerror(r->err));
}

void
mc_worker_start(struct mc_child *ch, const char *who, const char *name,
    int flags, size_t np, struct mc_worker_report *r)
{
	struct w_cmd c = { .op = W_MAP, .flags = (uint32_t)flags,
	    .npages = (uint32_t)np };

	mc_spawn(ch, w_main, (void *)name);
	w_do(ch, who, &c, r);
}

void
mc_worker_write(struct mc_child *ch, const char *who, size_t off,
    size_t len, unsigned char val, struct mc_worker_report *r)
{
	struct w_cmd c = { .op = W_WRITE, .off = off, .len = (uint32_t)len,
	    .val = val };

	w_do(ch, who, &c, r);
}

void
mc_worker_echo(struct mc_child *ch, const char *who, size_t req, size_t ans,
    struct mc_worker_report *r)
{
	struct w_cmd c = { .op = W_ECHO, .off = req, .off2 = ans };

	w_do(ch, who, &c, r);
}

void
mc_worker_observe(struct mc_child *ch, const char *who,
    struct mc_worker_report *r)
{
	struct w_cmd c = { .op = W_REPORT };

	w_do(ch, who, &c, r);
}

void
mc_worker_quit(struct mc_child *ch)
{
	struct w_cmd c = { .op = W_QUIT };

	mc_send(ch, &c, sizeof(c));
	mc_reap_ok(ch);
}

/* ---- assertions on reports ---------------------------------------------- */

void
mc_require_pristine(const char *who, const struct mc_worker_report *r,
    size_t page)
{
	const struct mc_worker_page *g = &r->pg[page];

	ATF_REQUIRE_MSG(g->ndiff == 0, "%s, page %zu: expected the file's "
	    "original contents (every byte %#x), but %u bytes differ, the "
	    "first at offset %u (%#x)", who, page, mc_pattern(page),
	    (unsigned)g->ndiff, (unsigned)g->first, g->val);
}

void
mc_require_changed(const char *who, const struct mc_worker_report *r,
    size_t page, size_t off, size_t len, unsigned char val)
{
	const struct mc_worker_page *g = &r->pg[page];

	ATF_REQUIRE_MSG(g->ndiff != 0, "%s, page %zu: expected bytes [%zu, "
	    "%zu) = %#x, found the original contents (every byte %#x)", who,
	    page, off, off + len, val, mc_pattern(page));
	ATF_REQUIRE_MSG(g->ndiff == len && g->first == off &&
	    g->last == off + len - 1 && g->val == val && g->uniform,
	    "%s, page %zu: expected the original contents (%#x) except "
	    "bytes [%zu, %zu) = %#x; found %u differing bytes in [%u, %u], "
	    "first value %#x%s", who, page, mc_pattern(page), off, off + len,
	    val, (unsigned)g->ndiff, (unsigned)g->first, (unsigned)g->last,
	    g->val, g->uniform ? "" : ", not all equal");
}

void
mc_require_views_pristine(const struct mc_view *v, size_t nv, size_t np,
    bool pm)
{
	for (size_t i = 0; i < np; i++)
		for (size_t k = 0; k < nv; k++)
			mc_require_pristine(v[k].who, v[k].r, i);
	if (pm)
		for (size_t i = 0; i < np; i++)
			for (size_t k = 0; k < nv; k++)
				mc_require_file_bit(v[k].who, v[k].r, i, true);
}

uint64_t
mc_worker_pfn(const char *who, const struct mc_worker_report *r, size_t page)
{
	ATF_REQUIRE_MSG(r->pm_ok, "%s: /proc/self/pagemap could not be read "
	    "although PFNs are visible to the test process", who);
	ATF_REQUIRE_MSG(r->pg[page].pm & MC_PM_PRESENT, "%s, page %zu: "
	    "expected present in pagemap right after it was read, entry "
	    "%#jx", who, page, (uintmax_t)r->pg[page].pm);
	return r->pg[page].pm & MC_PM_PFN_MASK;
}

/* ---- pagemap flags ------------------------------------------------------- */

bool
mc_pm_flags_readable(void)
{
	return access("/proc/self/pagemap", R_OK) == 0;
}

bool
mc_pm_file(const void *addr)
{
	uint64_t e = mc_pagemap(addr);

	ATF_REQUIRE_MSG(e & MC_PM_PRESENT, "page at %p: expected present in "
	    "pagemap to read its file-page bit, entry %#jx", addr,
	    (uintmax_t)e);
	return (e & MC_PM_FILE) != 0;
}

void
mc_require_file_bit(const char *who, const struct mc_worker_report *r,
    size_t page, bool want)
{
	uint64_t e = r->pg[page].pm;

	ATF_REQUIRE_MSG(r->pm_ok, "%s: /proc/self/pagemap could not be read",
	    who);
	ATF_REQUIRE_MSG(e & MC_PM_PRESENT, "%s, page %zu: expected present "
	    "in pagemap right after it was read, entry %#jx", who, page,
	    (uintmax_t)e);
	ATF_REQUIRE_MSG(((e & MC_PM_FILE) != 0) == want, "%s, page %zu: "
	    "expected %s (pagemap file-page bit %s), entry %#jx", who, page,
	    want ? "the file's page-cache page" : "an anonymous private copy",
	    want ? "set" : "clear", (uintmax_t)e);
}

/* ---- the file itself ----------------------------------------------------- */

/*
 * Opens 'name' afresh, requires it to be np pages long and returns its
 * contents read with read() (malloc'ed).
 */
static unsigned char *
read_file(const char *name, size_t np, const char *when)
{
	size_t ps = mc_pagesize();
	unsigned char *buf = malloc(np * ps);
	struct stat st;
	int fd = open(name, O_RDONLY);

	ATF_REQUIRE(buf != NULL);
	ATF_REQUIRE_MSG(fd >= 0, "open(%s): %s", name, strerror(errno));
	ATF_REQUIRE_MSG(fstat(fd, &st) == 0, "fstat(%s): %s", name,
	    strerror(errno));
	ATF_REQUIRE_MSG(st.st_size == (off_t)(np * ps), "file %s %s: size "
	    "%jd, expected %zu", name, when, (intmax_t)st.st_size, np * ps);
	mc_pread_all(fd, buf, np * ps, 0);
	close(fd);
	return buf;
}

void
mc_require_file_pristine(const char *name, size_t np, const char *when)
{
	size_t ps = mc_pagesize();
	unsigned char *buf = read_file(name, np, when);

	for (size_t i = 0; i < np * ps; i++)
		ATF_REQUIRE_MSG(buf[i] == mc_pattern(i / ps), "file %s %s: "
		    "byte %zu of page %zu is %#x, expected the original %#x",
		    name, when, i % ps, i / ps, buf[i], mc_pattern(i / ps));
	free(buf);
}

void
mc_require_file_changed(const char *name, size_t np, size_t off, size_t len,
    unsigned char val, const char *when)
{
	size_t ps = mc_pagesize();
	unsigned char *buf = read_file(name, np, when);

	for (size_t i = 0; i < np * ps; i++) {
		unsigned char want = i >= off && i < off + len ? val :
		    mc_pattern(i / ps);

		ATF_REQUIRE_MSG(buf[i] == want, "file %s %s: read() returns "
		    "%#x at byte %zu (page %zu), expected %#x (%s)", name, when,
		    buf[i], i % ps, i / ps, want, want == val ? "the byte "
		    "written through the shared mapping" : "original");
	}
	free(buf);
}

/* ---- mapping ------------------------------------------------------------- */

unsigned char *
mc_map_file(int fd, const char *name, size_t np, int flags)
{
	void *p = mmap(NULL, np * mc_pagesize(), PROT_READ | PROT_WRITE,
	    flags, fd, 0);

	ATF_REQUIRE_MSG(p != MAP_FAILED, "mmap(%zu pages of %s, %s): %s", np,
	    name, flags == MAP_SHARED ? "MAP_SHARED" : "MAP_PRIVATE",
	    strerror(errno));
	return p;
}
