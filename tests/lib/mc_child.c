/*
 * mc_child.c - child processes with pipe handshakes (see mc_child.h).
 */
#include "mc.h"
#include "mc_err.h"

#include <sys/file.h>
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

void
mc_spawn(struct mc_child *ch, mc_child_fn fn, void *arg)
{
	int down[2], up[2];

	ATF_REQUIRE_MSG(pipe2(down, O_CLOEXEC) == 0, "pipe: %s",
	    strerror(errno));
	ATF_REQUIRE_MSG(pipe2(up, O_CLOEXEC) == 0, "pipe: %s", strerror(errno));
	fflush(NULL);
	ch->pid = fork();
	if (ch->pid < 0 && errno == EAGAIN) {
		struct rlimit rl;

		/* A process limit of the run, not the semantic under test. */
		if (getrlimit(RLIMIT_NPROC, &rl) == 0 &&
		    rl.rlim_cur != RLIM_INFINITY)
			atf_tc_skip("fork: EAGAIN under RLIMIT_NPROC %ju: no "
			    "room for the case's child process",
			    (uintmax_t)rl.rlim_cur);
		atf_tc_skip("fork: EAGAIN (a pids cgroup or the system's "
		    "process limit): no room for the case's child process");
	}
	ATF_REQUIRE_MSG(ch->pid >= 0, "fork: %s", strerror(errno));
	if (ch->pid == 0) {
		struct mc_child self = { getpid(), down[0], up[1] };

		/* Never outlive the test case. */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		close(down[1]);
		close(up[0]);
		exit(fn(&self, arg)); /* exit(), not _exit(): flush gcov */
	}
	close(down[0]);
	close(up[1]);
	ch->rd = up[0];
	ch->wr = down[1];
}

void
mc_send(struct mc_child *ch, const void *msg, size_t len)
{
	ssize_t n = write(ch->wr, msg, len);

	/* In a child ATF must not be used: exit with a distinct status. */
	if (n != (ssize_t)len) {
		if (ch->pid == getpid())
			exit(97);
		ATF_REQUIRE_MSG(false, "write to child %d: %s", (int)ch->pid,
		    n < 0 ? strerror(errno) : "short write");
	}
}

long
mc_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

void
mc_sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

void
mc_flock_bounded(int fd, const char *what, long ms)
{
	long deadline = mc_now_ms() + ms;

	while (flock(fd, LOCK_EX | LOCK_NB) != 0) {
		ATF_REQUIRE_MSG(errno == EWOULDBLOCK || errno == EINTR,
		    "flock(%s): %s", what, strerror(errno));
		ATF_REQUIRE_MSG(mc_now_ms() < deadline, "another process held "
		    "the lock on %s for %ld ms", what, ms);
		mc_sleep_ms(20);
	}
}

bool
mc_recv(struct mc_child *ch, void *msg, size_t len, int timeout_ms)
{
	size_t got = 0;
	long deadline = mc_now_ms() + timeout_ms;

	while (got < len) {
		struct pollfd pfd = { ch->rd, POLLIN, 0 };
		long left = deadline - mc_now_ms();
		ssize_t n;
		int r;

		if (left <= 0)
			return false;
		r = poll(&pfd, 1, (int)left);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return false;
		n = read(ch->rd, (char *)msg + got, len - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return false;
		got += (size_t)n;
	}
	return true;
}

void
mc_expect(struct mc_child *ch, void *msg, size_t len, const char *what)
{
	if (!mc_recv(ch, msg, len, MC_WAIT_MS)) {
		int st = mc_reap(ch, 0);

		ATF_REQUIRE_MSG(false, "child %d: no %s within %d ms (child "
		    "%s %d)", (int)ch->pid, what, MC_WAIT_MS,
		    WIFSIGNALED(st) ? "killed by signal" : "exit status",
		    WIFSIGNALED(st) ? WTERMSIG(st) : WEXITSTATUS(st));
	}
}

void
mc_expect_last(struct mc_child *ch, void *msg, size_t len, const char *what)
{
	memset(msg, 0, len);
	mc_expect(ch, msg, len, what);
	mc_reap_ok(ch);
}

void
mc_child_send_u64(struct mc_child *self, uint64_t v)
{
	mc_send(self, &v, sizeof(v));
}

uint64_t
mc_child_recv_u64(struct mc_child *self)
{
	uint64_t v;

	if (!mc_recv(self, &v, sizeof(v), MC_WAIT_MS))
		exit(98); /* the parent went away or never answered */
	return v;
}

int
mc_reap(struct mc_child *ch, int timeout_ms)
{
	long deadline = mc_now_ms() + timeout_ms;
	int st = 0;
	pid_t r;

	if (ch->wr >= 0) {
		close(ch->wr); /* EOF tells a waiting child to stop */
		ch->wr = -1;
	}
	for (;;) {
		r = waitpid(ch->pid, &st, WNOHANG);
		if (r == ch->pid)
			break;
		ATF_REQUIRE_MSG(r == 0 || errno == EINTR, "waitpid(%d): %s",
		    (int)ch->pid, strerror(errno));
		if (mc_now_ms() >= deadline) {
			kill(ch->pid, SIGKILL);
			ATF_REQUIRE(waitpid(ch->pid, &st, 0) == ch->pid);
			break;
		}
		/* Bounded wait for the exit: wake when the pipe closes. */
		struct pollfd pfd = { ch->rd, POLLIN, 0 };
		char drain[64];
		if (poll(&pfd, 1, 10) > 0 && read(ch->rd, drain,
		    sizeof(drain)) <= 0) {
			/* EOF: the child is exiting; keep polling waitpid */
			poll(NULL, 0, 1);
		}
	}
	close(ch->rd);
	ch->rd = -1;
	return st;
}

bool
mc_grandchild_u64(uint64_t (*fn)(void *), void *arg, uint64_t *out)
{
	int pfd[2], st = 0;
	bool got;
	pid_t pid;

	if (pipe2(pfd, O_CLOEXEC) != 0)
		return false;
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		close(pfd[0]);
		close(pfd[1]);
		return false;
	}
	if (pid == 0) {
		uint64_t v;

		prctl(PR_SET_PDEATHSIG, SIGKILL);
		close(pfd[0]);
		v = fn(arg);
		exit(write(pfd[1], &v, sizeof(v)) == (ssize_t)sizeof(v) ?
		    0 : 1);
	}
	close(pfd[1]);
	{
		struct mc_child g = { pid, pfd[0], -1 };
		got = mc_recv(&g, out, sizeof(*out), MC_WAIT_MS);
	}
	if (!got)
		kill(pid, SIGKILL);
	close(pfd[0]);
	if (waitpid(pid, &st, 0) != pid)
		return false;
	return got && WIFEXITED(st) && WEXITSTATUS(st) == 0;
}

void
mc_reap_ok(struct mc_child *ch)
{
	pid_t pid = ch->pid;
	int st = mc_reap(ch, MC_WAIT_MS);

	ATF_REQUIRE_MSG(WIFEXITED(st) && WEXITSTATUS(st) == 0,
	    "child %d: expected exit status 0, got %s %d", (int)pid,
	    WIFSIGNALED(st) ? "signal" : "exit status",
	    WIFSIGNALED(st) ? WTERMSIG(st) : WEXITSTATUS(st));
}
