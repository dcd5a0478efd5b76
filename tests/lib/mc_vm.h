/*
 * mc_vm.h - the kernel's own view of this process's memory:
 * /proc/self/pagemap (PFNs), mincore, /proc/self/smaps and /proc/self/maps
 * readers, part of mc.h.
 */
#ifndef MMAPCONF_MC_VM_H
#define MMAPCONF_MC_VM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/*
 * /proc/self/pagemap. mc_pagemap() returns the raw 64-bit entry of the page
 * holding addr (ATF_REQUIRE on read errors, skip when the file is missing).
 */
#define MC_PM_PRESENT (1ULL << 63)
#define MC_PM_SWAP (1ULL << 62)
#define MC_PM_FILE (1ULL << 61)
#define MC_PM_EXCLUSIVE (1ULL << 56)
#define MC_PM_PFN_MASK ((1ULL << 55) - 1)
/* The PFN field of a pagemap entry. */
#define MC_PM_PFN(entry) ((entry) & MC_PM_PFN_MASK)
uint64_t mc_pagemap(const void *addr);
/* The same without ATF (usable in children): false when it cannot be read. */
bool mc_pagemap_try(const void *addr, uint64_t *entry);
/*
 * Whether PFNs can be read here. On false, *why says why (pagemap missing,
 * PFNs hidden without CAP_SYS_ADMIN in the initial user namespace).
 */
bool mc_pfns_visible(const char **why);
/* The PFN of the (present) page at addr: requires presence and visibility. */
uint64_t mc_pfn(const void *addr);
/*
 * The PFN of the page at addr; 0 when pagemap cannot be read, the page is
 * not present or PFNs are hidden. No ATF (usable in children).
 */
uint64_t mc_pfn_try(const void *addr);
/*
 * What a process saw in a few pages, to send over the pipe: content
 * mismatches (counted by the caller) and the pagemap entry of each page.
 */
#define MC_REPORT_PAGES 16
struct mc_pages_report {
	uint64_t mismatches;
	uint64_t pm_ok; /* 1 when every pagemap entry could be read */
	uint64_t pm[MC_REPORT_PAGES];
};
/*
 * Read (fault in) each of the first npages pages at p (at most
 * MC_REPORT_PAGES), then take its pagemap entry into r->pm (0 and
 * r->pm_ok 0 when unreadable). Leaves r->mismatches alone. No ATF.
 */
void mc_take_pagemap(const void *p, size_t npages, struct mc_pages_report *r);
/*
 * Skip the case, after its content assertions ran, when PFNs are hidden:
 * "content assertions passed; PFN assertions not possible: <why>".
 */
void mc_require_pfns(void);

/* Residency. */
/* Number of resident pages of [addr, addr+len) per mincore(). */
size_t mc_mincore_count(void *addr, size_t len);
/*
 * Resident pages of [p, p + n pages) per mincore, n at most 64; -1 on
 * error. No ATF, no malloc: usable in children.
 */
long mc_resident_try(void *p, size_t n);
/*
 * Whether mincore() tells untouched anonymous pages from resident ones
 * here: probed once on fresh, never touched private anonymous pages
 * (gVisor's mincore reports every mapped page resident).
 */
bool mc_mincore_sees_untouched(void);
/*
 * For cases that use mincore only as a witness of another semantic: skip
 * when mc_mincore_sees_untouched() is false, with "mincore reports
 * untouched anonymous pages as resident here: <why>" (why: what cannot be
 * observed then). Cases about mincore itself must not use this.
 */
void mc_require_mincore_sees_untouched(const char *why);
/* One field (e.g. "Rss") in kB of the smaps entry holding addr; -1 when absent. */
long mc_smaps_kb(const void *addr, const char *field);
/* Without ATF (usable in children): -1 also when smaps is unreadable. */
long mc_smaps_kb_try(const void *addr, const char *field);
/* smaps Locked of the mapping at addr, in kB; fails the case without it. */
long mc_locked_kb(const void *addr);
/* n pages in kB (for VmLck, Locked, Rss). */
long mc_kb_of_pages(size_t n);
/* Skip when /proc/self/smaps is not available. */
void mc_require_smaps(void);
/*
 * The VmFlags line (Linux 3.8+) of the smaps entry holding addr, as
 * " f1 f2 ... " (a blank before and after every flag, for mc_has_vmflag).
 * mc_smaps_vmflags_try: false when smaps or the line is missing, no ATF;
 * mc_smaps_vmflags: skips the case then.
 */
bool mc_smaps_vmflags_try(const void *addr, char *buf, size_t len);
void mc_smaps_vmflags(const void *addr, char *buf, size_t len);
/* Whether flag (e.g. "lo") is one of the flags of mc_smaps_vmflags. */
bool mc_has_vmflag(const char *flags, const char *flag);

/*
 * /proc/self/maps: copy the line of the mapping holding addr into buf;
 * false when no mapping holds addr.
 */
bool mc_maps_line(const void *addr, char *buf, size_t len);
/* Start and end of the mapping holding addr; false when none. */
bool mc_maps_range(const void *addr, uintptr_t *start, uintptr_t *end);

/* One parsed line of /proc/self/maps (about 8 KiB: arrays of it static). */
#define MC_MAPS_PATH 4112 /* PATH_MAX and " (deleted)" */
struct mc_maps_ent {
	uintptr_t start, end;
	char perms[8];             /* "rw-p": r, w, x, then s or p */
	unsigned long long offset; /* file offset of the first page */
	unsigned int major, minor; /* device */
	unsigned long long inode;  /* 0: no file */
	char path[MC_MAPS_PATH];   /* "" when none; "[heap]", "/f (deleted)" */
	char line[MC_MAPS_PATH + 128]; /* the whole line (no newline) */
};
/* Parse one line (with or without its newline) into e; false when malformed. */
bool mc_maps_parse(const char *line, struct mc_maps_ent *e);
/*
 * The entry of the mapping holding addr. mc_maps_entry: false when no
 * mapping holds addr, ATF_REQUIRE that the file reads and parses.
 * mc_maps_entry_try: no ATF (usable in children), false also when the
 * file cannot be read or parsed. mc_maps_get: requires the mapping.
 */
bool mc_maps_entry(const void *addr, struct mc_maps_ent *e);
bool mc_maps_entry_try(const void *addr, struct mc_maps_ent *e);
void mc_maps_get(const void *addr, struct mc_maps_ent *e);
/*
 * Every entry of /proc/self/maps into ents (ATF_REQUIRE: at most max, all
 * parsable); returns how many.
 */
size_t mc_maps_read(struct mc_maps_ent *ents, size_t max);
/*
 * Require the /proc/self/maps entry holding addr to be exactly
 * [start, end); what names the piece in the failure message.
 */
void mc_require_vma(const void *addr, const void *start, const void *end,
    const char *what);

#endif
