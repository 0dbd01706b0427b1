/*
 * measure.h: the measurement core of doorbench, and the few helpers every
 * method shares (its server process, its pinning).
 *
 * A method is one struct of callbacks.  measure_method() sets it up for one
 * payload size, runs a warm-up and then N timed round trips, checks every
 * reply against what was sent, and tears the method down again whatever
 * happened.  A method only moves bytes; judging them is done here, once.
 */
#ifndef DOORBENCH_MEASURE_H
#define DOORBENCH_MEASURE_H

#include <stddef.h>
#include <sys/types.h>

struct bench_method {
	const char *name;
	const char *what;	/* one line for --help */
	/*
	 * The largest payload the method can carry each way, or 0 for no
	 * limit: a bigger one is shown as "n/a" and not measured (a FUSE
	 * ioctl, say, carries one page).
	 */
	size_t max_payload;
	/*
	 * Starts the server side for round trips of `payload` bytes each
	 * way.  The caller has already pinned itself when `pinned`, so a
	 * forked server inherits the pinning.  0, or -1 after printing why.
	 */
	int (*setup)(size_t payload, int pinned);
	/*
	 * Sends `payload` bytes from `arg` and stores the reply in `reply`
	 * (room for `payload` + 1 bytes: a method that reads a stream can
	 * ask for one byte more and so see a reply that is too long).
	 * Returns the reply's length, or -1 after printing why (the server
	 * died, a system call failed, ...).
	 */
	ssize_t (*round_trip)(const void *arg, void *reply, size_t payload);
	/* Releases everything setup made, even after a failed round trip. */
	void (*teardown)(void);
};

struct measurement {
	int ok;			/* 0: failed or not applicable; the rest is void */
	int not_applicable;	/* the payload is over the method's max_payload */
	int iterations;
	double median_us, p99_us;
	double calls_per_s;	/* timed round trips / their total time */
};

/* All n bytes, across EINTR and short writes: 0, or -1 (errno). */
int write_all(int fd, const void *buf, size_t n);
/* Up to n bytes, fewer only at end of file: the count, or -1 (errno). */
ssize_t read_all(int fd, void *buf, size_t n);

/* CLOCK_MONOTONIC in microseconds. */
double now_us(void);
/* Sorts the n (> 0) times in t and gives their median and 99th percentile. */
void summarize(double *t, int n, double *median, double *p99);

/* Runs `iterations` timed round trips after `warmup` untimed ones. */
struct measurement measure_method(const struct bench_method *m,
				  size_t payload, int pinned, int iterations,
				  int warmup);

/*
 * Forks a server child: it dies with the parent (PR_SET_PDEATHSIG), and
 * the parent kills it on exit or SIGINT/SIGTERM until
 * server_stop() reaps it.  Returns 0 in the child, its pid in the
 * parent, -1 on failure.
 */
pid_t server_fork(void);
/* Kills (SIGKILL) and reaps a child from server_fork(). */
void server_stop(pid_t pid);
/* Stops watching a child from server_fork() that the caller reaped. */
void server_forget(pid_t pid);
/*
 * Forks a server child (server_fork()) that runs serve(ready, arg), which
 * never returns.  The child says on the pipe end `ready` when callers may
 * come: one byte (server_ready()), or EOF when it fails, after saying
 * why.  Returns its pid once it is ready, or -1 after printing why
 * (`what` names the method) and stopping it.
 */
pid_t server_start(void (*serve)(int ready, const void *arg), const void *arg,
		   const char *what);
/*
 * server_start() in two halves, for starting several servers that get
 * ready together: server_spawn() forks and gives the pipe's read end in
 * *ready (the pid, or -1 after printing why); server_await() waits up to
 * timeout_s for that server, closes *ready, and stops the server if it
 * did not get ready (0, or -1 after printing why).
 */
pid_t server_spawn(void (*serve)(int ready, const void *arg), const void *arg,
		   const char *what, int *ready);
int server_await(pid_t pid, int ready, int timeout_s, const char *what);
/* In a child of server_start() or server_spawn(): ready for callers. */
void server_ready(int ready);
/* Whether a child from server_fork() has died (and reaps it if so). */
int server_died(pid_t pid);
/*
 * Installs the SIGINT/SIGTERM/SIGHUP handler and atexit hook that kill
 * the servers and remove the leftovers.
 */
void servers_cleanup_on_exit(void);

/*
 * What a method leaves on a file system while it runs: a mount point
 * (detached, then removed) or a door's name (removed).  Until
 * leftover_remove(), doorbench removes it on exit and on
 * SIGINT/SIGTERM/SIGHUP, after killing the servers, so an interrupted run
 * leaves no mount and no name behind.  `path` is copied; 0, or -1 after
 * printing why.
 */
enum leftover_kind { LEFTOVER_NAME, LEFTOVER_MOUNT };
int leftover_add(const char *path, enum leftover_kind kind);
/* Removes it now (a mount: detaches it first) and forgets it. */
void leftover_remove(const char *path);

/* Pins this process to CPU 0, or undoes it; 0 or -1 (errno). */
int pin_to_cpu0(void);
int unpin(void);

#endif
