/*
 * t_thp_more: more of what the kernel does to a whole PMD-mapped
 * transparent huge page (kernel Documentation/admin-guide/mm/
 * transhuge.rst, madvise(2), mprotect(2), mremap(2), fork(2), vmsplice(2)):
 * mprotect of the whole huge page, MADV_FREE, MADV_DONTNEED, MADV_COLD and
 * MADV_PAGEOUT of the whole huge page, a write by the parent after a
 * forked child wrote and exited, syscalls and vmsplice reading a huge
 * page, and mremap to an address that is not PMD-aligned.
 *
 * Every case starts from one aligned THP-sized anonymous MADV_HUGEPAGE
 * range proved to be one huge page by smaps AnonHugePages of its own VMA
 * (between PROT_NONE guard pages). The helpers (settings, aligned
 * ranges, mc_thp_fault with its fragmentation rule) are tests/lib/mc_thp.
 * Nothing here changes a host setting.
 */
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/uio.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mc.h"
#include "mc_err.h"
#include "mc_proc.h"
#include "mc_thp.h"

#ifndef PR_GET_THP_DISABLE
#define PR_GET_THP_DISABLE 42 /* include/uapi/linux/prctl.h */
#endif
#ifndef SPLICE_F_NONBLOCK
#define SPLICE_F_NONBLOCK 2 /* include/linux/splice.h */
#endif
#ifndef F_GETPIPE_SZ
#define F_GETPIPE_SZ 1032 /* include/uapi/linux/fcntl.h */
#endif

/* ---- helpers of this program ------------------------------------------ */

/* ---- mprotect of the whole huge page ----------------------------------- */

MC_TC(mprotect_whole_keeps_huge_page, "THP-14",
    "mprotect(PROT_READ) of a whole huge page keeps it one huge page "
    "(AnonHugePages and PFNs unchanged), a write raises SEGV_ACCERR, and "
    "after PROT_READ|PROT_WRITE writes land; contents intact")
{
	size_t ps = mc_pagesize(), thp = mc_thp_require_anon(), n = thp / ps;
	unsigned char *p = mc_thp_huge_range(thp, 0);
	uint64_t *pfn0 = mc_pfns_try(p, n);

	MC_REQUIRE_OKF(mprotect(p, thp, PROT_READ), "mprotect(%p, %zu, "
	    "PROT_READ)", (void *)p, thp);
	mc_thp_require_ahp(p, (long)(thp / 1024), "after mprotect(PROT_READ) of the "
	    "whole huge page");
	MC_REQUIRE_FAULT(p, MC_WRITE, SIGSEGV, SEGV_ACCERR);
	MC_REQUIRE_FAULT(p + thp - ps, MC_WRITE, SIGSEGV, SEGV_ACCERR);
	mc_require_patterns(p, n, 0, "the read-only huge page");
	MC_REQUIRE_OKF(mprotect(p, thp, PROT_READ | PROT_WRITE),
	    "mprotect(%p, %zu, PROT_READ|PROT_WRITE)", (void *)p, thp);
	p[ps / 2] = 'W';
	p[thp - 1] = 'Z';
	ATF_REQUIRE_MSG(p[ps / 2] == 'W' && p[thp - 1] == 'Z', "writes after "
	    "restoring PROT_READ|PROT_WRITE did not land: read %#x and %#x",
	    p[ps / 2], p[thp - 1]);
	p[ps / 2] = mc_pattern(0);
	p[thp - 1] = mc_pattern(n - 1);
	mc_require_patterns(p, n, 0, "the huge page after mprotect back");
	mc_thp_require_ahp(p, (long)(thp / 1024), "after mprotect back to "
	    "PROT_READ|PROT_WRITE and writes");
	mc_require_pfns_after("AnonHugePages, SEGV_ACCERR and content assertions "
	    "passed");
	mc_require_pfns_kept(p, n, pfn0, "the huge page after two mprotects");
	free(pfn0);
	mc_thp_region_free(p, thp);
}

/* ---- MADV_FREE --------------------------------------------------------- */

MC_TC(free_whole_then_pageout_reads_zero, "THP-15",
    "MADV_FREE of a whole private huge page: each page reads its old data "
    "or zeros; after MADV_PAGEOUT of the range every page reads zeros")
{
	size_t ps = mc_pagesize(), thp = mc_thp_require_anon(), n = thp / ps;
	unsigned char *p = mc_thp_huge_range(thp, 0);
	size_t bad = 0, first = 0, nz;

	mc_madvise_or_skip(p, thp, MADV_FREE, "MADV_FREE");
	for (size_t i = 0; i < n; i++) {
		unsigned char *q = p + i * ps;

		if (!mc_all_bytes(q, ps, mc_pattern(i)) &&
		    !mc_all_bytes(q, ps, 0) && bad++ == 0)
			first = i;
	}
	ATF_REQUIRE_MSG(bad == 0, "after MADV_FREE of the huge page at %p: "
	    "%zu pages read neither their old data nor all zeros (first: "
	    "page %zu)", (void *)p, bad, first);
	mc_madvise_or_skip(p, thp, MADV_PAGEOUT, "MADV_PAGEOUT");
	nz = 0;
	for (size_t i = 0; i < n; i++)
		if (!mc_all_bytes(p + i * ps, ps, 0) && nz++ == 0)
			first = i;
	ATF_REQUIRE_MSG(nz == 0, "after MADV_FREE then MADV_PAGEOUT of the "
	    "huge page at %p: expected every page to read zeros (lazily "
	    "freed, clean pages are discarded by reclaim), %zu of %zu pages "
	    "did not (first: page %zu, byte %#x)", (void *)p, nz, n, first,
	    p[first * ps]);
	mc_thp_region_free(p, thp);
}

/* ---- MADV_DONTNEED ----------------------------------------------------- */

MC_TC(dontneed_whole_drops_huge_page, "THP-16",
    "MADV_DONTNEED of a whole huge page: no page of the range is present "
    "(pagemap), AnonHugePages is 0, and the range reads zeros")
{
	size_t ps = mc_pagesize(), thp = mc_thp_require_anon(), n = thp / ps;
	unsigned char *p = mc_thp_huge_range(thp, 0);
	size_t present = 0, first = 0, nz = 0;

	MC_REQUIRE_OKF(madvise(p, thp, MADV_DONTNEED), "madvise(%p, %zu, "
	    "MADV_DONTNEED)", (void *)p, thp);
	for (size_t i = 0; i < n; i++)
		if ((mc_pagemap(p + i * ps) & MC_PM_PRESENT) && present++ == 0)
			first = i;
	ATF_REQUIRE_MSG(present == 0, "after MADV_DONTNEED of the whole huge "
	    "page at %p: expected no page present, %zu are (first: page %zu)",
	    (void *)p, present, first);
	mc_thp_require_ahp(p, 0, "after MADV_DONTNEED of the whole huge page");
	for (size_t i = 0; i < n; i++)
		if (!mc_all_bytes(p + i * ps, ps, 0) && nz++ == 0)
			first = i;
	ATF_REQUIRE_MSG(nz == 0, "after MADV_DONTNEED of the whole huge page "
	    "at %p: %zu pages do not read zeros (first: page %zu)", (void *)p,
	    nz, first);
	mc_thp_region_free(p, thp);
}

/* ---- fork: the parent writes after the child wrote and exited ---------- */

struct fork_arg {
	unsigned char *p;
	size_t n, k;
};

/*
 * Child of parent_write_after_child_exit_reuses: writes 'C' at page k,
 * reports the byte read back and the mismatches of everything else, exits.
 */
static int
fork_child(struct mc_child *self, void *arg)
{
	struct fork_arg *a = arg;
	size_t ps = mc_pagesize();
	unsigned char *pk = a->p + a->k * ps;
	uint64_t bad;

	*(volatile unsigned char *)pk = 'C';
	mc_child_send_u64(self, *(volatile unsigned char *)pk);
	bad = mc_count_not(pk + 1, ps - 1, mc_pattern(a->k));
	for (size_t i = 0; i < a->n; i++)
		if (i != a->k)
			bad += mc_count_not(a->p + i * ps, ps, mc_pattern(i));
	mc_child_send_u64(self, bad);
	return 0;
}

MC_TC(parent_write_after_child_exit_reuses, "THP-17",
    "After fork, a one-byte write by the child, and the child's exit, the "
    "parent's huge page is unchanged; a write by the parent, now the only "
    "mapper, lands in place: same PFNs, still one huge page")
{
	size_t ps = mc_pagesize(), thp = mc_thp_require_anon(), n = thp / ps;
	unsigned char *p = mc_thp_huge_range(thp, 0);
	struct fork_arg a = { p, n, n / 2 + 3 };
	struct mc_child ch;
	uint64_t back, bad, *pfn0 = mc_pfns_try(p, n);
	size_t w = n / 4;
	long ahp, sp0 = mc_vmstat("thp_split_page"), sp1;

	mc_spawn(&ch, fork_child, &a);
	mc_expect(&ch, &back, sizeof(back), "the byte the child wrote");
	mc_expect(&ch, &bad, sizeof(bad), "the child's mismatches");
	mc_reap_ok(&ch);
	ATF_REQUIRE_MSG(back == 'C', "child: wrote 'C' at page %zu, read back "
	    "%#jx", a.k, (uintmax_t)back);
	ATF_REQUIRE_MSG(bad == 0, "child after its one-byte write: %ju other "
	    "bytes of its copy differ from the parent's data", (uintmax_t)bad);
	mc_require_patterns(p, n, 0, "the parent's huge page after the child "
	    "wrote and exited");
	/*
	 * The child's unmapped small-page mappings may put the huge page on
	 * the deferred split queue (transhuge.rst), which is split under
	 * memory pressure: a split counted by /proc/vmstat meanwhile skips.
	 */
	ahp = mc_smaps_field(p, "AnonHugePages");
	sp1 = mc_vmstat("thp_split_page");
	if (ahp != (long)(thp / 1024) && sp0 >= 0 && sp1 > sp0)
		atf_tc_skip("child and parent contents passed; the huge page "
		    "was split after the child exited (AnonHugePages %ld kB, "
		    "/proc/vmstat thp_split_page %ld -> %ld): deferred split "
		    "under memory pressure, reuse in place not observable",
		    ahp, sp0, sp1);
	mc_thp_require_ahp(p, (long)(thp / 1024), "in the parent after the child "
	    "wrote and exited");
	p[w * ps + 1] = 'P';
	ATF_REQUIRE_MSG(p[w * ps + 1] == 'P', "the parent's write at page %zu "
	    "did not land", w);
	p[w * ps + 1] = mc_pattern(w);
	mc_require_patterns(p, n, 0, "the parent's huge page after its write");
	mc_thp_require_ahp(p, (long)(thp / 1024), "in the parent after its own write "
	    "(sole mapper)");
	mc_require_pfns_after("child and parent content and AnonHugePages "
	    "assertions passed");
	mc_require_pfns_kept(p, n, pfn0, "the parent's huge page after its write "
	    "with no other mapper");
	free(pfn0);
	mc_thp_region_free(p, thp);
}

/* ---- MADV_COLD / MADV_PAGEOUT ------------------------------------------ */

MC_TC(cold_pageout_keep_contents, "THP-18",
    "MADV_COLD, then MADV_PAGEOUT, of a whole huge page: every page stays "
    "present or is swapped (pagemap) and the contents read back intact")
{
	size_t ps = mc_pagesize(), thp = mc_thp_require_anon(), n = thp / ps;
	unsigned char *p = mc_thp_huge_range(thp, 0);
	size_t gone = 0, first = 0;

	mc_madvise_or_skip(p, thp, MADV_COLD, "MADV_COLD");
	mc_require_patterns(p, n, 0, "the huge page after MADV_COLD");
	mc_madvise_or_skip(p, thp, MADV_PAGEOUT, "MADV_PAGEOUT");
	for (size_t i = 0; i < n; i++) {
		uint64_t e = mc_pagemap(p + i * ps);

		if (!(e & (MC_PM_SWAP | MC_PM_PRESENT)) && gone++ == 0)
			first = i;
	}
	ATF_REQUIRE_MSG(gone == 0, "after MADV_PAGEOUT of the huge page at %p: "
	    "%zu pages neither present nor swapped (first: page %zu); their "
	    "data would be lost", (void *)p, gone, first);
	mc_require_patterns(p, n, 0, "the huge page after MADV_PAGEOUT");
	mc_thp_region_free(p, thp);
}

/* ---- reading a huge page through syscalls ------------------------------ */

MC_TC(syscalls_read_huge_page, "THP-19",
    "write(2) of a whole huge page to a file stores its contents (pread "
    "reads them back); vmsplice(2) of it into a pipe, in pipe-sized "
    "pieces, reads back the same bytes; it stays one huge page")
{
	size_t ps = mc_pagesize(), thp = mc_thp_require_anon(), n = thp / ps;
	unsigned char *p = mc_thp_huge_range(thp, 0), *buf = malloc(thp);
	const char *name = "t_thp_more.data";
	int fd, pfd[2], psz;
	ssize_t w;
	size_t off = 0, nb;

	ATF_REQUIRE(buf != NULL);
	fd = open(name, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	ATF_REQUIRE_MSG(fd >= 0, "open(%s) in the work directory: %s", name,
	    strerror(errno));
	ATF_REQUIRE_MSG(unlink(name) == 0, "unlink(%s): %s", name,
	    strerror(errno));
	w = write(fd, p, thp);
	ATF_REQUIRE_MSG(w == (ssize_t)thp, "write(fd, %p, %zu) of the huge "
	    "page: expected %zu, got %zd/%s", (void *)p, thp, thp, w,
	    strerror(errno));
	memset(buf, 0xee, thp);
	mc_pread_all(fd, buf, thp, 0);
	mc_require_patterns(buf, n, 0, "the file written from the huge page");
	close(fd);

	ATF_REQUIRE_MSG(pipe2(pfd, O_CLOEXEC | O_NONBLOCK) == 0, "pipe2: %s",
	    strerror(errno));
	psz = fcntl(pfd[0], F_GETPIPE_SZ);
	ATF_REQUIRE_MSG(psz > 0, "F_GETPIPE_SZ: %s", strerror(errno));
	memset(buf, 0xee, thp);
	while (off < thp) {
		struct iovec iov;
		ssize_t s, r;

		iov.iov_base = p + off;
		iov.iov_len = thp - off < (size_t)psz ? thp - off : (size_t)psz;
		s = vmsplice(pfd[1], &iov, 1, SPLICE_F_NONBLOCK);
		if (s < 0 && off == 0 && (errno == ENOSYS || errno == EINVAL ||
		    errno == EPERM))
			atf_tc_skip("write(2)/pread passed; vmsplice fails "
			    "with %s: not supported here (EPERM: a seccomp "
			    "filter, as podman's; Seccomp: %d)",
			    mc_errname(errno), mc_seccomp_mode());
		ATF_REQUIRE_MSG(s > 0, "vmsplice of %zu bytes at offset %zu "
		    "of the huge page into an empty pipe of %d bytes: got "
		    "%zd/%s", iov.iov_len, off, psz, s, mc_errname(errno));
		for (nb = 0; nb < (size_t)s; nb += (size_t)r) {
			r = read(pfd[0], buf + off + nb, (size_t)s - nb);
			ATF_REQUIRE_MSG(r > 0, "read from the pipe after "
			    "vmsplice of %zd bytes (had %zu): %zd/%s", s, nb,
			    r, mc_errname(errno));
		}
		off += (size_t)s;
	}
	close(pfd[0]);
	close(pfd[1]);
	mc_require_patterns(buf, n, 0, "the bytes read back from the pipe");
	mc_thp_require_ahp(p, (long)(thp / 1024), "after write(2) and vmsplice of it");
	free(buf);
	mc_thp_region_free(p, thp);
}

/* ---- mremap to an address that is not PMD-aligned --------------------- */

MC_TC(mremap_unaligned_splits_pmd, "THP-20",
    "mremap(MREMAP_MAYMOVE|MREMAP_FIXED) of a whole huge page to an "
    "address one page past a PMD boundary keeps every page's contents and "
    "PFN there, with AnonHugePages 0 (no PMD can map it), the old range "
    "unmapped")
{
	size_t ps = mc_pagesize(), thp = mc_thp_require_anon(), n = thp / ps;
	unsigned char *p = mc_thp_huge_range(thp, 0), *r, *dst, *got;
	uint64_t *pfn0 = mc_pfns_try(p, n);
	size_t rlen = 3 * thp;

	/* A PROT_NONE reservation holding an aligned dst + one page. */
	r = mmap(NULL, rlen, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS |
	    MAP_NORESERVE, -1, 0);
	ATF_REQUIRE_MSG(r != MAP_FAILED, "mmap of a %zu-byte reservation: %s",
	    rlen, strerror(errno));
	dst = (unsigned char *)((((uintptr_t)r + thp - 1) &
	    ~(uintptr_t)(thp - 1)) + ps);
	got = mremap(p, thp, thp, MREMAP_MAYMOVE | MREMAP_FIXED, dst);
	ATF_REQUIRE_MSG(got == dst, "mremap(%p, %zu, %zu, MAYMOVE|FIXED, %p): "
	    "expected %p, got %p/%s", (void *)p, thp, thp, (void *)dst,
	    (void *)dst, (void *)got, strerror(errno));
	MC_REQUIRE_FAULT(p, MC_READ, SIGSEGV, SEGV_MAPERR);
	mc_require_patterns(dst, n, 0, "the huge page moved to a non-aligned "
	    "address");
	mc_thp_require_ahp(dst, 0, "moved to an address one page past a PMD "
	    "boundary");
	mc_require_pfns_after("contents and AnonHugePages 0 at the non-aligned "
	    "destination passed");
	mc_require_pfns_kept(dst, n, pfn0, "the pages moved to a non-aligned "
	    "address");
	free(pfn0);
	ATF_REQUIRE(munmap(r, rlen) == 0);
	ATF_REQUIRE(munmap(p - ps, thp + 2 * ps) == 0);
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, mprotect_whole_keeps_huge_page);
	ATF_TP_ADD_TC(tp, free_whole_then_pageout_reads_zero);
	ATF_TP_ADD_TC(tp, dontneed_whole_drops_huge_page);
	ATF_TP_ADD_TC(tp, parent_write_after_child_exit_reuses);
	ATF_TP_ADD_TC(tp, cold_pageout_keep_contents);
	ATF_TP_ADD_TC(tp, syscalls_read_huge_page);
	ATF_TP_ADD_TC(tp, mremap_unaligned_splits_pmd);
	return 0;
}
