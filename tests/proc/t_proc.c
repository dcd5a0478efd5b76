/*
 * t_proc: mappings across threads and processes: threads share one address
 * space (writes, new mappings, mprotect and munmap by one thread are seen
 * by the others); fork copies every mapping; exec drops them all; a vfork
 * child borrows the parent's memory; shared anonymous memory reaches
 * grandchildren.
 *
 * Threads wait for each other through a pipe with bounded polls, never by
 * spinning on memory. Programs run after exec: /bin/cat, /bin/true.
 */
#include <sys/mman.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mc.h"

/* ---- threads ------------------------------------------------------------ */

/*
 * A helper thread that waits (bounded) for a byte on a pipe, then runs
 * fn(arg) and ends with its result. thread_go() sends the byte;
 * thread_join() joins and returns the result.
 */
struct helper {
	pthread_t tid;
	int pfd[2];
	uint64_t (*fn)(void *);
	void *arg;
	uint64_t result;
};

#define H_TIMEOUT UINT64_C(0xdead0000dead0000)

static void *
helper_main(void *v)
{
	struct helper *h = v;
	struct pollfd pfd = { h->pfd[0], POLLIN, 0 };
	char c;

	if (poll(&pfd, 1, MC_WAIT_MS) != 1 || read(h->pfd[0], &c, 1) != 1) {
		h->result = H_TIMEOUT;
		return NULL;
	}
	h->result = h->fn(h->arg);
	return NULL;
}

static void
thread_start(struct helper *h, uint64_t (*fn)(void *), void *arg)
{
	int r;

	h->fn = fn;
	h->arg = arg;
	h->result = 0;
	ATF_REQUIRE_MSG(pipe2(h->pfd, O_CLOEXEC) == 0, "pipe: %s",
	    strerror(errno));
	r = pthread_create(&h->tid, NULL, helper_main, h);
	ATF_REQUIRE_MSG(r == 0, "pthread_create: %s", strerror(r));
}

static void
thread_go(struct helper *h)
{
	ATF_REQUIRE(write(h->pfd[1], "g", 1) == 1);
}

static uint64_t
thread_join(struct helper *h)
{
	int r = pthread_join(h->tid, NULL);

	ATF_REQUIRE_MSG(r == 0, "pthread_join: %s", strerror(r));
	close(h->pfd[0]);
	close(h->pfd[1]);
	ATF_REQUIRE_MSG(h->result != H_TIMEOUT, "the helper thread got no "
	    "go within %d ms", MC_WAIT_MS);
	return h->result;
}

/* The mappings of threads_share_writes. */
struct three {
	unsigned char *anon, *file, *shared;
};

/* Thread: bytes of the three pages that are not 'M' (bit 0..2 set when
 * a page is wrong), then writes 'T' into each. */
static uint64_t
check_and_write(void *v)
{
	struct three *t = v;
	size_t ps = mc_pagesize();
	unsigned char *pg[3] = { t->anon, t->file, t->shared };
	uint64_t bad = 0;

	for (int i = 0; i < 3; i++) {
		if (!mc_all_bytes(pg[i], ps, 'M'))
			bad |= 1u << i;
		memset(pg[i], 'T', ps);
	}
	return bad;
}

MC_TC(threads_share_writes, "PROC-1",
    "Threads share every mapping (private anonymous, private file, shared "
    "anonymous): each sees the other's writes")
{
	size_t ps = mc_pagesize();
	int fd = mc_make_file("threads.dat", 1);
	struct three t;
	struct helper h;
	uint64_t bad;

	t.anon = mc_map_anon(ps, PROT_READ | PROT_WRITE, MAP_PRIVATE);
	t.shared = mc_map_anon(ps, PROT_READ | PROT_WRITE, MAP_SHARED);
	t.file = mmap(NULL, ps, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	ATF_REQUIRE_MSG(t.file != MAP_FAILED, "mmap(file): %s",
	    strerror(errno));
	thread_start(&h, check_and_write, &t);
	memset(t.anon, 'M', ps);
	memset(t.file, 'M', ps);
	memset(t.shared, 'M', ps);
	thread_go(&h);
	bad = thread_join(&h);
	ATF_REQUIRE_EQ_MSG(bad, 0, "the thread did not see the main thread's "
	    "writes in (bit 0 anon, 1 private file, 2 shared anon): %#jx",
	    (uintmax_t)bad);
	ATF_REQUIRE_MSG(mc_all_bytes(t.anon, ps, 'T'), "the main thread does "
	    "not see the thread's write to the private anonymous mapping");
	ATF_REQUIRE_MSG(mc_all_bytes(t.file, ps, 'T'), "the main thread does "
	    "not see the thread's write to the private file mapping");
	ATF_REQUIRE_MSG(mc_all_bytes(t.shared, ps, 'T'), "the main thread "
	    "does not see the thread's write to the shared mapping");
	ATF_REQUIRE(munmap(t.anon, ps) == 0);
	ATF_REQUIRE(munmap(t.file, ps) == 0);
	ATF_REQUIRE(munmap(t.shared, ps) == 0);
	close(fd);
}

/* Thread: map a page, fill it with 'N', return its address (0 on error). */
static uint64_t
map_in_thread(void *v)
{
	size_t ps = mc_pagesize();
	void *p = mmap(NULL, ps, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	(void)v;
	if (p == MAP_FAILED)
		return 0;
	memset(p, 'N', ps);
	return (uint64_t)(uintptr_t)p;
}

MC_TC(thread_mapping_visible_to_all, "PROC-2",
    "A mapping created by one thread is mapped for every thread: the main "
    "thread reads the data and finds it in /proc/self/maps")
{
	size_t ps = mc_pagesize();
	struct helper h;
	unsigned char *p;
	char line[256];

	thread_start(&h, map_in_thread, NULL);
	thread_go(&h);
	p = (unsigned char *)(uintptr_t)thread_join(&h);
	ATF_REQUIRE_MSG(p != NULL, "the thread's mmap failed");
	ATF_REQUIRE_MSG(mc_maps_line(p, line, sizeof(line)), "the thread's "
	    "mapping at %p is not in /proc/self/maps", (void *)p);
	MC_REQUIRE_NO_FAULT(p, MC_READ);
	ATF_REQUIRE_MSG(mc_all_bytes(p, ps, 'N'), "the main thread does not "
	    "read the thread's data");
	ATF_REQUIRE(munmap(p, ps) == 0);
}

/* Thread: touch *v for writing; signal << 32 | si_code (0 = no fault). */
static uint64_t
probe_write(void *v)
{
	struct mc_fault f = mc_touch(v, MC_WRITE);

	return (uint64_t)f.signo << 32 | (uint32_t)f.code;
}

MC_TC(mprotect_by_one_thread_applies_to_all, "PROC-3",
    "mprotect by one thread applies to every thread: another thread's "
    "write then raises SIGSEGV/SEGV_ACCERR")
{
	size_t ps = mc_pagesize();
	unsigned char *p = mc_map_anon(ps, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE);
	struct helper h;
	uint64_t r;

	p[0] = 'w';
	thread_start(&h, probe_write, p);
	ATF_REQUIRE_MSG(mprotect(p, ps, PROT_READ) == 0, "mprotect: %s",
	    strerror(errno));
	thread_go(&h);
	r = thread_join(&h);
	ATF_REQUIRE_MSG((int)(r >> 32) == SIGSEGV &&
	    (int)(uint32_t)r == SEGV_ACCERR, "thread writing after the main "
	    "thread's mprotect(PROT_READ): expected SIGSEGV/SEGV_ACCERR, got "
	    "%s/%s", mc_signame((int)(r >> 32)),
	    mc_codename((int)(r >> 32), (int)(uint32_t)r));
	ATF_REQUIRE_EQ(p[0], 'w');
	ATF_REQUIRE(munmap(p, ps) == 0);
}

MC_TC(munmap_by_one_thread_applies_to_all, "PROC-4",
    "munmap by one thread removes the mapping for every thread: another "
    "thread's access then raises SIGSEGV/SEGV_MAPERR")
{
	size_t ps = mc_pagesize();
	unsigned char *p = mc_map_anon(ps, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE);
	struct helper h;
	uint64_t r;

	p[0] = 'w';
	thread_start(&h, probe_write, p);
	ATF_REQUIRE_MSG(munmap(p, ps) == 0, "munmap: %s", strerror(errno));
	thread_go(&h);
	r = thread_join(&h);
	ATF_REQUIRE_MSG((int)(r >> 32) == SIGSEGV &&
	    (int)(uint32_t)r == SEGV_MAPERR, "thread writing after the main "
	    "thread's munmap: expected SIGSEGV/SEGV_MAPERR, got %s/%s",
	    mc_signame((int)(r >> 32)),
	    mc_codename((int)(r >> 32), (int)(uint32_t)r));
}

/* ---- fork --------------------------------------------------------------- */

/* Child of fork_copies_every_mapping: for each of the two addresses in
 * arg: start, end, perms (as 4 bytes), first byte. */
static int
maps_child(struct mc_child *self, void *arg)
{
	unsigned char **pp = arg;

	for (int i = 0; i < 2; i++) {
		struct mc_maps_ent m;
		uint32_t pw;

		if (!mc_maps_entry_try(pp[i], &m)) {
			m.start = m.end = 0;
			memcpy(m.perms, "----", 5);
		}
		memcpy(&pw, m.perms, 4);
		mc_child_send_u64(self, m.start);
		mc_child_send_u64(self, m.end);
		mc_child_send_u64(self, pw);
		mc_child_send_u64(self, pp[i][0]);
	}
	return 0;
}

MC_TC(fork_copies_every_mapping, "PROC-5",
    "A child created by fork has every mapping of the parent at the same "
    "address, with the same bounds, protection and sharing, and contents")
{
	size_t ps = mc_pagesize();
	unsigned char *ro = mc_map_anon(2 * ps, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE);
	unsigned char *sh = mc_map_anon(3 * ps, PROT_READ | PROT_WRITE,
	    MAP_SHARED);
	unsigned char *pp[2] = { ro, sh };
	struct mc_child ch;

	ro[0] = 'r';
	sh[0] = 's';
	ATF_REQUIRE(mprotect(ro, 2 * ps, PROT_READ) == 0);
	mc_spawn(&ch, maps_child, pp);
	for (int i = 0; i < 2; i++) {
		uint64_t cs, ce, cp, cb;
		struct mc_maps_ent m;
		char cperms[5] = "";

		mc_expect(&ch, &cs, sizeof(cs), "start");
		mc_expect(&ch, &ce, sizeof(ce), "end");
		mc_expect(&ch, &cp, sizeof(cp), "perms");
		mc_expect(&ch, &cb, sizeof(cb), "first byte");
		{
			uint32_t pw = (uint32_t)cp;
			memcpy(cperms, &pw, 4);
		}
		ATF_REQUIRE(mc_maps_entry(pp[i], &m));
		ATF_REQUIRE_MSG(cs == m.start && ce == m.end &&
		    strcmp(m.perms, cperms) == 0, "mapping %d: parent "
		    "%#jx-%#jx %s, child %#jx-%#jx %s", i, (uintmax_t)m.start,
		    (uintmax_t)m.end, m.perms, (uintmax_t)cs, (uintmax_t)ce,
		    cperms);
		ATF_REQUIRE_EQ_MSG(cb, pp[i][0], "mapping %d: the child reads "
		    "%#jx, the parent %#x", i, (uintmax_t)cb, pp[i][0]);
	}
	mc_reap_ok(&ch);
	ATF_REQUIRE(munmap(ro, 2 * ps) == 0);
	ATF_REQUIRE(munmap(sh, 3 * ps) == 0);
}

/* ---- exec ---------------------------------------------------------------- */

static int
exec_cat_maps(struct mc_child *self, void *arg)
{
	(void)arg;
	if (dup2(self->wr, STDOUT_FILENO) < 0)
		return 120;
	execl("/bin/cat", "cat", "/proc/self/maps", (char *)NULL);
	return 127;
}

/* Reads everything the child writes until EOF (bounded); NUL-terminated. */
static size_t
read_all(struct mc_child *ch, char *buf, size_t cap)
{
	size_t got = 0;

	while (got + 1 < cap) {
		struct pollfd pfd = { ch->rd, POLLIN, 0 };
		int r = poll(&pfd, 1, MC_WAIT_MS);
		ssize_t n;

		if (r < 0 && errno == EINTR)
			continue;
		ATF_REQUIRE_MSG(r == 1, "child %d: no output within %d ms",
		    (int)ch->pid, MC_WAIT_MS);
		n = read(ch->rd, buf + got, cap - 1 - got);
		if (n < 0 && errno == EINTR)
			continue;
		ATF_REQUIRE_MSG(n >= 0, "read from child: %s",
		    strerror(errno));
		if (n == 0)
			break;
		got += (size_t)n;
	}
	buf[got] = '\0';
	return got;
}

MC_TC(exec_drops_old_mappings, "PROC-6",
    "execve replaces the whole address space: none of the old image's "
    "mappings (anonymous or file) is present in the new program")
{
	size_t ps = mc_pagesize(), cap = 1 << 20;
	int fd = mc_make_file("exec-marker.dat", 1);
	unsigned char *anon = mc_map_anon(4 * ps, PROT_READ | PROT_WRITE,
	    MAP_SHARED);
	unsigned char *file = mmap(NULL, ps, PROT_READ, MAP_PRIVATE, fd, 0);
	char *out = malloc(cap), *line, *save = NULL, buf[256];
	char image[PATH_MAX];
	bool seen_image = false;
	size_t lines = 0, ilen;
	struct mc_child ch;

	mc_require_prog("/bin/cat");

	ATF_REQUIRE(out != NULL);
	/* The file the new image maps (/bin/cat may be a symlink). */
	ATF_REQUIRE_MSG(realpath("/bin/cat", image) != NULL,
	    "realpath(/bin/cat): %s", strerror(errno));
	ilen = strlen(image);
	ATF_REQUIRE_MSG(file != MAP_FAILED, "mmap(file): %s",
	    strerror(errno));
	/* Positive control: both are in this process's maps. */
	ATF_REQUIRE(mc_maps_line(anon, buf, sizeof(buf)));
	ATF_REQUIRE(mc_maps_line(file, buf, sizeof(buf)));
	ATF_REQUIRE_MSG(strstr(buf, "exec-marker.dat") != NULL, "the file "
	    "mapping's maps line does not name the file: %s", buf);
	memset(anon, 'x', 4 * ps);
	mc_spawn(&ch, exec_cat_maps, NULL);
	read_all(&ch, out, cap);
	mc_reap_ok(&ch);
	for (line = strtok_r(out, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save)) {
		uintptr_t s, e;
		size_t len = strlen(line);

		lines++;
		if (len > ilen && line[len - ilen - 1] == ' ' &&
		    strcmp(line + len - ilen, image) == 0)
			seen_image = true;
		ATF_REQUIRE_MSG(strstr(line, "exec-marker.dat") == NULL,
		    "after exec the old image's file mapping is still "
		    "there: %s", line);
		if (sscanf(line, "%" SCNxPTR "-%" SCNxPTR, &s, &e) == 2)
			ATF_REQUIRE_MSG(e <= (uintptr_t)anon ||
			    s >= (uintptr_t)(anon + 4 * ps), "after exec "
			    "something is mapped over the old anonymous "
			    "mapping %p-%p: %s", (void *)anon,
			    (void *)(anon + 4 * ps), line);
	}
	ATF_REQUIRE_MSG(lines > 0 && seen_image, "the output is not the maps "
	    "of the new image: %zu lines, %s %s", lines, image,
	    seen_image ? "seen" : "not seen");
	free(out);
	ATF_REQUIRE(munmap(anon, 4 * ps) == 0);
	ATF_REQUIRE(munmap(file, ps) == 0);
	close(fd);
}

/* ---- vfork --------------------------------------------------------------- */

static volatile int vfork_flag;

MC_TC(vfork_child_shares_memory, "PROC-7",
    "A vfork child runs in the parent's memory until it execs: its write "
    "to a private mapping and to a global variable is seen by the parent")
{
	size_t ps = mc_pagesize();
	volatile unsigned char *volatile p = mc_map_anon(ps,
	    PROT_READ | PROT_WRITE, MAP_PRIVATE);
	struct mc_child ch = { -1, -1, -1 };
	pid_t pid;

	mc_require_prog("/bin/true");

	p[0] = 'P';
	vfork_flag = 0;
	fflush(NULL);
	pid = vfork();
	if (pid == 0) {
		/* Only a store, then exec or _exit, is allowed here. */
		p[0] = 'V';
		vfork_flag = 1;
		execl("/bin/true", "true", (char *)NULL);
		_exit(127);
	}
	ATF_REQUIRE_MSG(pid > 0, "vfork: %s", strerror(errno));
	ch.pid = pid;
	{
		int st = mc_reap(&ch, MC_WAIT_MS);
		ATF_REQUIRE_MSG(WIFEXITED(st) && WEXITSTATUS(st) == 0,
		    "vfork child: expected exit status 0 from /bin/true, got "
		    "%s %d", WIFSIGNALED(st) ? "signal" : "status",
		    WIFSIGNALED(st) ? WTERMSIG(st) : WEXITSTATUS(st));
	}
	ATF_REQUIRE_EQ_MSG(p[0], 'V', "the parent reads %#x in its private "
	    "mapping, expected the vfork child's 'V'", p[0]);
	ATF_REQUIRE_EQ_MSG(vfork_flag, 1, "the parent does not see the vfork "
	    "child's write to a global variable");
	ATF_REQUIRE(munmap((void *)p, ps) == 0);
}

/* ---- fork + exec ---------------------------------------------------- */

static int
write_then_exec_true(struct mc_child *self, void *arg)
{
	unsigned char **pp = arg;
	size_t ps = mc_pagesize();

	(void)self;
	memset(pp[0], 'C', 2 * ps);
	memset(pp[1], 'C', ps);
	execl("/bin/true", "true", (char *)NULL);
	return 127;
}

MC_TC(fork_exec_child_leaves_parent_private_mappings, "PROC-8",
    "A child that writes to its copies of private mappings and then execs "
    "leaves the parent's mappings untouched: same contents, bounds and "
    "physical pages")
{
	size_t ps = mc_pagesize();
	int fd = mc_make_file("forkexec.dat", 1);
	unsigned char *anon = mc_map_anon(2 * ps, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE);
	unsigned char *file = mmap(NULL, ps, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE, fd, 0);
	unsigned char *pp[2] = { anon, file };
	uint64_t pfn[3] = { 0, 0, 0 };
	char before[2][256], after[256];
	struct mc_child ch;

	mc_require_prog("/bin/true");

	ATF_REQUIRE_MSG(file != MAP_FAILED, "mmap(file): %s",
	    strerror(errno));
	memset(anon, 'P', 2 * ps);
	memset(file, 'Q', ps); /* a private copy of the file page */
	for (int i = 0; i < 3; i++)
		pfn[i] = mc_pfn_try(i < 2 ? anon + i * ps : file);
	ATF_REQUIRE(mc_maps_line(anon, before[0], sizeof(before[0])));
	ATF_REQUIRE(mc_maps_line(file, before[1], sizeof(before[1])));
	mc_spawn(&ch, write_then_exec_true, pp);
	mc_reap_ok(&ch);
	ATF_REQUIRE_MSG(mc_all_bytes(anon, 2 * ps, 'P'), "the parent's "
	    "private anonymous pages changed after the child wrote and "
	    "exec'd");
	ATF_REQUIRE_MSG(mc_all_bytes(file, ps, 'Q'), "the parent's private "
	    "file page changed after the child wrote and exec'd");
	ATF_REQUIRE(mc_maps_line(anon, after, sizeof(after)));
	ATF_REQUIRE_MSG(strcmp(after, before[0]) == 0, "anonymous mapping "
	    "changed: before \"%s\", after \"%s\"", before[0], after);
	ATF_REQUIRE(mc_maps_line(file, after, sizeof(after)));
	ATF_REQUIRE_MSG(strcmp(after, before[1]) == 0, "file mapping "
	    "changed: before \"%s\", after \"%s\"", before[1], after);
	mc_require_pfns();
	for (int i = 0; i < 3; i++) {
		uint64_t now = mc_pagemap(i < 2 ? anon + i * ps : file) &
		    MC_PM_PFN_MASK;
		ATF_REQUIRE_EQ_MSG(now, pfn[i], "%s: PFN %#jx before the "
		    "child, %#jx after it exec'd", i < 2 ? "anonymous page" :
		    "private file page", (uintmax_t)pfn[i], (uintmax_t)now);
	}
	ATF_REQUIRE(munmap(anon, 2 * ps) == 0);
	ATF_REQUIRE(munmap(file, ps) == 0);
	close(fd);
}

/* ---- grandchildren --------------------------------------------------- */

/* Grandchild: the byte it reads << 56 | its PFN (0 if hidden), then it
 * writes 'C' over the page. */
static uint64_t
grand_read_write(void *v)
{
	unsigned char *p = v;
	uint64_t b = p[0], pfn = mc_pfn_try(p);

	memset(p, 'C', mc_pagesize());
	return b << 56 | pfn;
}

/* Child: runs the grandchild, then reports its value (UINT64_MAX when it
 * failed) and the byte the child itself reads afterwards. */
static int
grand_parent_child(struct mc_child *self, void *arg)
{
	unsigned char *p = arg;
	uint64_t v;

	if (!mc_grandchild_u64(grand_read_write, p, &v))
		v = UINT64_MAX;
	mc_child_send_u64(self, v);
	mc_child_send_u64(self, p[0]);
	return 0;
}

MC_TC(shared_anon_reaches_grandchildren, "PROC-9",
    "A shared anonymous mapping stays shared down the process tree: a "
    "grandchild reads the grandparent's data from the same physical page "
    "and its write is seen by the child and the grandparent")
{
	size_t ps = mc_pagesize();
	unsigned char *p = mc_map_anon(ps, PROT_READ | PROT_WRITE,
	    MAP_SHARED);
	struct mc_child ch;
	uint64_t v, cb, pfn;

	memset(p, 'G', ps);
	pfn = mc_pfn_try(p);
	mc_spawn(&ch, grand_parent_child, p);
	mc_expect(&ch, &v, sizeof(v), "grandchild's report");
	mc_expect(&ch, &cb, sizeof(cb), "child's read");
	mc_reap_ok(&ch);
	ATF_REQUIRE_MSG(v != UINT64_MAX, "the child could not run the "
	    "grandchild");
	ATF_REQUIRE_EQ_MSG(v >> 56, 'G', "grandchild read %#jx, expected the "
	    "grandparent's 'G'", (uintmax_t)(v >> 56));
	ATF_REQUIRE_EQ_MSG(cb, 'C', "the child reads %#jx after the "
	    "grandchild wrote 'C'", (uintmax_t)cb);
	ATF_REQUIRE_MSG(mc_all_bytes(p, ps, 'C'), "the grandparent does not "
	    "see the grandchild's write");
	mc_require_pfns();
	ATF_REQUIRE_EQ_MSG(v & MC_PM_PFN_MASK, pfn, "grandchild's PFN %#jx, "
	    "grandparent's %#jx: expected the same page",
	    (uintmax_t)(v & MC_PM_PFN_MASK), (uintmax_t)pfn);
	ATF_REQUIRE(munmap(p, ps) == 0);
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, threads_share_writes);
	ATF_TP_ADD_TC(tp, thread_mapping_visible_to_all);
	ATF_TP_ADD_TC(tp, mprotect_by_one_thread_applies_to_all);
	ATF_TP_ADD_TC(tp, munmap_by_one_thread_applies_to_all);
	ATF_TP_ADD_TC(tp, fork_copies_every_mapping);
	ATF_TP_ADD_TC(tp, exec_drops_old_mappings);
	ATF_TP_ADD_TC(tp, vfork_child_shares_memory);
	ATF_TP_ADD_TC(tp, fork_exec_child_leaves_parent_private_mappings);
	ATF_TP_ADD_TC(tp, shared_anon_reaches_grandchildren);
	return atf_no_error();
}
