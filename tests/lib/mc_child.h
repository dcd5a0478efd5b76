/*
 * mc_child.h - child processes with a pipe handshake and bounded waits
 * (mc_spawn, mc_send/mc_recv, mc_reap), part of mc.h.
 */
#ifndef MMAPCONF_MC_CHILD_H
#define MMAPCONF_MC_CHILD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/*
 * Children with a pipe handshake. A child runs fn(ch, arg) and exits with
 * its return value through exit() (so coverage data is flushed). Both sides
 * talk with mc_send/mc_recv; every receive waits at most MC_WAIT_MS.
 */
#define MC_WAIT_MS 10000
struct mc_child {
	pid_t pid;
	int rd; /* read end: the other side's messages */
	int wr; /* write end: to the other side */
};
typedef int (*mc_child_fn)(struct mc_child *self, void *arg);

/* CLOCK_MONOTONIC in milliseconds: for deadlines of bounded waits. */
long mc_now_ms(void);
/*
 * Sleep ms milliseconds (EINTR resumed): only for the step of a bounded
 * poll of something with no event to wait on (a kernel daemon, a lock
 * held by another case), never to synchronise with a child.
 */
void mc_sleep_ms(long ms);
/*
 * Take an exclusive flock() on fd, polling for at most ms while another
 * process holds it; fails the case (naming what) after that.
 */
void mc_flock_bounded(int fd, const char *what, long ms);
/* Fork a child running fn; the parent gets the handle. */
void mc_spawn(struct mc_child *ch, mc_child_fn fn, void *arg);
/* Send / receive one fixed-size message (e.g. a uint64_t). */
void mc_send(struct mc_child *ch, const void *msg, size_t len);
/* Returns false on timeout or EOF (the other side died). */
bool mc_recv(struct mc_child *ch, void *msg, size_t len, int timeout_ms);
/* Parent: receive or fail the case with a message naming 'what'. */
void mc_expect(struct mc_child *ch, void *msg, size_t len, const char *what);
/*
 * Parent: the child's last message (msg zeroed first), then reap it and
 * require a normal exit with status 0 (mc_expect, mc_reap_ok).
 */
void mc_expect_last(struct mc_child *ch, void *msg, size_t len,
    const char *what);
/* Child side helpers: send a value; wait for the parent's "go". */
void mc_child_send_u64(struct mc_child *self, uint64_t v);
uint64_t mc_child_recv_u64(struct mc_child *self);
/*
 * Parent: wait for the child to exit within timeout_ms (killed with SIGKILL
 * after that); returns the wait status. Always reaps.
 */
int mc_reap(struct mc_child *ch, int timeout_ms);
/* Parent: reap and require a normal exit with status 0. */
void mc_reap_ok(struct mc_child *ch);
/*
 * In a child (no ATF): fork a grandchild that computes fn(arg) and sends
 * it back through a pipe; wait for it at most MC_WAIT_MS (then kill it)
 * and reap it. False when no value arrived or the grandchild did not exit
 * with status 0.
 */
bool mc_grandchild_u64(uint64_t (*fn)(void *), void *arg, uint64_t *out);

#endif
