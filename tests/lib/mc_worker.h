/*
 * mc_worker.h - processes that map a file by themselves, and assertions on
 * what they (or the test process) see in such a mapping.
 *
 * A "worker" is a child that does not inherit the parent's mapping: it
 * opens the file by name and mmaps it itself, then obeys commands sent over
 * its pipe. After every command it reads every byte of its mapping and
 * answers with a report: per page, how its contents differ from the file's
 * original pattern (mc_pattern, as written by mc_make_file) and the page's
 * pagemap entry. The parent asserts on the reports; the child never calls
 * ATF. Every wait is bounded (mc_expect); mc_worker_quit() reaps.
 */
#ifndef MMAPCONF_MC_WORKER_H
#define MMAPCONF_MC_WORKER_H

#include "mc.h"

/* The most pages a worker maps (and a report describes). */
#define MC_WORKER_MAXPAGES 10

/* One page of a mapping compared with the file's original pattern. */
struct mc_worker_page {
	uint64_t pm;     /* pagemap entry, read after the page was read */
	uint32_t ndiff;  /* bytes that differ from the original pattern */
	uint32_t first;  /* offset in the page of the first such byte */
	uint32_t last;   /* offset in the page of the last such byte */
	uint8_t val;     /* value of the first differing byte */
	uint8_t uniform; /* every differing byte equals val */
};

/* What a worker answers to every command. */
struct mc_worker_report {
	int32_t err;     /* errno of the failed step; 0 when all went well */
	char what[56];   /* the failed step */
	uint8_t pm_ok;   /* pagemap could be read for every page */
	uint64_t seen;   /* mc_worker_echo: the request read from the mapping */
	struct mc_worker_page pg[MC_WORKER_MAXPAGES];
};

/*
 * Reads every byte of np pages at p (a mapping of a file made by
 * mc_make_file) and fills r, cleared first, as a worker would: usable by
 * the test process on its own mapping.
 */
void mc_worker_summarise(const void *p, size_t np,
    struct mc_worker_report *r);

/*
 * Forks a worker that opens 'name' (O_RDWR for MAP_SHARED, else O_RDONLY)
 * and maps np pages of it read-write with 'flags'; r gets its first report.
 * 'who' names the worker in failure messages.
 */
void mc_worker_start(struct mc_child *ch, const char *who, const char *name,
    int flags, size_t np, struct mc_worker_report *r);
/* The worker sets bytes [off, off+len) of its mapping to val, then reports. */
void mc_worker_write(struct mc_child *ch, const char *who, size_t off,
    size_t len, unsigned char val, struct mc_worker_report *r);
/*
 * The worker reads the 8-byte request at offset req of its mapping
 * (returned in r->seen) and writes its complement at offset ans.
 */
void mc_worker_echo(struct mc_child *ch, const char *who, size_t req,
    size_t ans, struct mc_worker_report *r);
/* The worker reads its whole mapping again and reports. */
void mc_worker_observe(struct mc_child *ch, const char *who,
    struct mc_worker_report *r);
/* Tells the worker to exit (its mapping goes with it) and reaps it. */
void mc_worker_quit(struct mc_child *ch);

/* ---- assertions on reports ---------------------------------------------- */

/* Page 'page' as seen by 'who' holds the file's original contents. */
void mc_require_pristine(const char *who, const struct mc_worker_report *r,
    size_t page);
/*
 * Page 'page' as seen by 'who' holds the original contents except bytes
 * [off, off+len) of the page, which are all 'val'.
 */
void mc_require_changed(const char *who, const struct mc_worker_report *r,
    size_t page, size_t off, size_t len, unsigned char val);
/* One process's view of a mapping: its name in messages and its report. */
struct mc_view {
	const char *who;
	const struct mc_worker_report *r;
};
/*
 * Every one of np pages of every view holds the file's original contents
 * (mc_require_pristine, page by page); then, when pm (pagemap flags
 * readable), every page is the file's page-cache page (mc_require_file_bit).
 */
void mc_require_views_pristine(const struct mc_view *v, size_t nv, size_t np,
    bool pm);
/*
 * The PFN of a page in a report: requires pagemap read and the page
 * present. Call only when mc_pfns_visible().
 */
uint64_t mc_worker_pfn(const char *who, const struct mc_worker_report *r,
    size_t page);

/* ---- pagemap flags (readable without privileges) ------------------------ */

/* Whether pagemap flags (present, file-page) can be read here. */
bool mc_pm_flags_readable(void);
/*
 * pagemap bit 61 of the (present) page at addr: a file (page-cache) page
 * or shared-anon page, as opposed to a private anonymous page. Requires
 * presence; call only when mc_pm_flags_readable().
 */
bool mc_pm_file(const void *addr);
/*
 * In a report, the page is (want) or is not (!want) the file's page-cache
 * page per pagemap bit 61; call only when mc_pm_flags_readable().
 */
void mc_require_file_bit(const char *who, const struct mc_worker_report *r,
    size_t page, bool want);

/* ---- the file itself, read with read() ---------------------------------- */

/*
 * The file 'name' (fresh open by name) is np pages long and still holds
 * its original pattern; 'when' says at which point, for messages.
 */
void mc_require_file_pristine(const char *name, size_t np, const char *when);
/*
 * The file 'name' (fresh open by name) is np pages long and holds the
 * original pattern except bytes [off, off+len) of the file, which are val
 * (written through a shared mapping).
 */
void mc_require_file_changed(const char *name, size_t np, size_t off,
    size_t len, unsigned char val, const char *when);

/* ---- mapping ------------------------------------------------------------- */

/*
 * Maps np pages of the open file fd (called 'name' in messages) read-write
 * with flags (MAP_SHARED or MAP_PRIVATE); ATF_REQUIRE on failure.
 */
unsigned char *mc_map_file(int fd, const char *name, size_t np, int flags);

#endif
