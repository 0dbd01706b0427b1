/*
 * measure.c: timing and checking of round trips, and the server children
 * every method forks.
 *
 * Each round trip is timed alone (CLOCK_MONOTONIC on both sides of the
 * round_trip callback), so the median and p99 are of single calls, not of
 * batches.  Checking a reply happens outside the timed window.  Every
 * iteration stamps its number into the argument, so a method that hands
 * back a stale reply (the previous call's, or nothing at all) is caught
 * even though the rest of the payload never changes.
 */
/* configure defines it for the tree (AC_USE_SYSTEM_EXTENSIONS). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "measure.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

double now_us(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1e6 + t.tv_nsec / 1e3;
}

static int compare_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

int write_all(int fd, const void *buf, size_t n)
{
	for (size_t put = 0; put < n;) {
		ssize_t w = write(fd, (const char *)buf + put, n - put);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		put += (size_t)w;
	}
	return 0;
}

ssize_t read_all(int fd, void *buf, size_t n)
{
	size_t got = 0;
	while (got < n) {
		ssize_t r = read(fd, (char *)buf + got, n - got);
		if (r == 0)
			break;
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		got += (size_t)r;
	}
	return (ssize_t)got;
}

void summarize(double *t, int n, double *median, double *p99)
{
	qsort(t, (size_t)n, sizeof(*t), compare_double);
	*median = t[n / 2];
	int at = (int)((n * 99L + 99) / 100) - 1;
	*p99 = t[at < 0 ? 0 : at];
}

/* The bytes that change per iteration: the first and the last 8. */
static void stamp(unsigned char *arg, size_t payload, uint64_t i)
{
	if (payload >= 16) {
		memcpy(arg, &i, sizeof(i));
		memcpy(arg + payload - sizeof(i), &i, sizeof(i));
	} else if (payload > 0) {
		arg[0] = (unsigned char)i;
	}
}

static int check_reply(const struct bench_method *m, size_t payload,
		       long i, const unsigned char *arg,
		       const unsigned char *reply, ssize_t got)
{
	if (got != (ssize_t)payload) {
		fprintf(stderr,
			"doorbench: %s, %zu B: wrong reply at iteration %ld: "
			"%zd bytes instead of %zu\n",
			m->name, payload, i, got, payload);
		return -1;
	}
	if (payload && memcmp(arg, reply, payload) != 0) {
		size_t at = 0;
		while (arg[at] == reply[at])
			at++;
		fprintf(stderr,
			"doorbench: %s, %zu B: wrong reply at iteration %ld: "
			"byte %zu is 0x%02x, sent 0x%02x\n",
			m->name, payload, i, at, reply[at], arg[at]);
		return -1;
	}
	return 0;
}

struct measurement measure_method(const struct bench_method *m,
				  size_t payload, int pinned, int iterations,
				  int warmup)
{
	struct measurement r = { .ok = 0, .iterations = iterations };
	if (m->max_payload && payload > m->max_payload) {
		r.not_applicable = 1;
		return r;
	}
	/*
	 * +1: malloc(0) may return NULL, a method may touch arg[0], and
	 * reply has room for one byte more than expected (measure.h).
	 */
	unsigned char *arg = malloc(payload + 1);
	unsigned char *reply = malloc(payload + 1);
	double *t = calloc((size_t)iterations, sizeof(*t));
	if (!arg || !reply || !t) {
		fprintf(stderr, "doorbench: out of memory\n");
		goto out;
	}
	for (size_t k = 0; k < payload; k++)
		arg[k] = (unsigned char)(k * 131 + 7);
	memset(reply, 0, payload + 1);

	if (m->setup(payload, pinned) < 0)
		goto out;
	double total = 0;
	for (long i = -warmup; i < iterations; i++) {
		stamp(arg, payload, (uint64_t)i);
		double start = now_us();
		ssize_t got = m->round_trip(arg, reply, payload);
		double took = now_us() - start;
		if (got < 0 || check_reply(m, payload, i, arg, reply, got) < 0) {
			fprintf(stderr, "doorbench: %s, %zu B, %s: method "
				"aborted\n", m->name, payload,
				pinned ? "pinned" : "unpinned");
			m->teardown();
			goto out;
		}
		if (i >= 0) {
			t[i] = took;
			total += took;
		}
	}
	m->teardown();

	summarize(t, iterations, &r.median_us, &r.p99_us);
	r.calls_per_s = total > 0 ? iterations / (total / 1e6) : 0;
	r.ok = 1;
out:
	free(arg);
	free(reply);
	free(t);
	return r;
}

/*
 * Server children.  The table is small and fixed: a method runs one
 * server at a time, and doorbench one method at a time.
 */
enum {
	MAX_SERVERS = 8,
	/* Mounting (fusermount3) and starting a server take milliseconds. */
	READY_TIMEOUT_S = 10,
};
static volatile pid_t servers[MAX_SERVERS];

void server_forget(pid_t pid)
{
	for (int k = 0; k < MAX_SERVERS; k++)
		if (servers[k] == pid)
			servers[k] = 0;
}

static void kill_servers(void)
{
	for (int k = 0; k < MAX_SERVERS; k++)
		if (servers[k] > 0)
			kill(servers[k], SIGKILL);
}

/*
 * Leftovers, removed by the same code on exit, from a signal handler and
 * in a method's teardown: only async-signal-safe calls, on a fixed table.
 */
enum { MAX_LEFTOVERS = 8 };
static struct {
	volatile sig_atomic_t in_use;
	enum leftover_kind kind;
	char path[PATH_MAX];
} leftovers[MAX_LEFTOVERS];

/* 0, or -1 with errno from the call that failed. */
static int remove_leftover(int k)
{
	if (leftovers[k].kind == LEFTOVER_NAME)
		return unlink(leftovers[k].path);
	/*
	 * MNT_DETACH: a mount whose daemon is dead (or still busy) goes at
	 * once.  EINVAL is a mount its daemon has already taken away; a
	 * user's EPERM leaves it to rawfuse's auto_unmount.
	 */
	umount2(leftovers[k].path, MNT_DETACH);
	return rmdir(leftovers[k].path);
}

static void remove_leftovers(void)
{
	for (int k = 0; k < MAX_LEFTOVERS; k++)
		if (leftovers[k].in_use) {
			remove_leftover(k);
			leftovers[k].in_use = 0;
		}
}

int leftover_add(const char *path, enum leftover_kind kind)
{
	int k = 0;
	while (k < MAX_LEFTOVERS && leftovers[k].in_use)
		k++;
	if (k == MAX_LEFTOVERS || strlen(path) >= sizeof(leftovers[k].path)) {
		fprintf(stderr, "doorbench: cannot keep track of %s\n", path);
		return -1;
	}
	strcpy(leftovers[k].path, path);
	leftovers[k].kind = kind;
	leftovers[k].in_use = 1;
	return 0;
}

void leftover_remove(const char *path)
{
	for (int k = 0; k < MAX_LEFTOVERS; k++) {
		if (!leftovers[k].in_use || strcmp(leftovers[k].path, path))
			continue;
		/* ENOENT: a server that failed early never made it. */
		if (remove_leftover(k) < 0 && errno != ENOENT)
			fprintf(stderr, "doorbench: cannot remove %s: %s\n",
				path, strerror(errno));
		leftovers[k].in_use = 0;
	}
}

static void clean_up(void)
{
	kill_servers();
	remove_leftovers();
}

static void on_fatal_signal(int sig)
{
	clean_up();
	/* Die by the signal, so the shell sees an interrupted program. */
	signal(sig, SIG_DFL);
	raise(sig);
}

void servers_cleanup_on_exit(void)
{
	struct sigaction sa = { .sa_handler = on_fatal_signal };
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	/* A server that dies must not kill us through a write. */
	signal(SIGPIPE, SIG_IGN);
	atexit(clean_up);
}

pid_t server_fork(void)
{
	int slot = 0;
	while (slot < MAX_SERVERS && servers[slot] != 0)
		slot++;
	if (slot == MAX_SERVERS) {
		fprintf(stderr, "doorbench: too many server children\n");
		return -1;
	}
	pid_t parent = getpid();
	fflush(NULL);
	pid_t pid = fork();
	if (pid < 0) {
		perror("doorbench: fork");
		return -1;
	}
	if (pid == 0) {
		/* The parent may have died before prctl: then we go too. */
		if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != parent)
			_exit(1);
		signal(SIGINT, SIG_DFL);
		signal(SIGTERM, SIG_DFL);
		signal(SIGHUP, SIG_DFL);
		/* The parent's to kill and remove, not ours. */
		for (int k = 0; k < MAX_SERVERS; k++)
			servers[k] = 0;
		for (int k = 0; k < MAX_LEFTOVERS; k++)
			leftovers[k].in_use = 0;
		return 0;
	}
	servers[slot] = pid;
	return pid;
}

void server_stop(pid_t pid)
{
	if (pid <= 0)
		return;
	kill(pid, SIGKILL);
	while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
		;
	server_forget(pid);
}

pid_t server_spawn(void (*serve)(int ready, const void *arg), const void *arg,
		   const char *what, int *ready)
{
	int p[2];
	if (pipe2(p, O_CLOEXEC) < 0) {
		fprintf(stderr, "doorbench: %s: pipe: %s\n", what,
			strerror(errno));
		return -1;
	}
	pid_t pid = server_fork();
	if (pid == 0) {
		close(p[0]);
		serve(p[1], arg);
		_exit(1);	/* serve() does not return */
	}
	close(p[1]);
	if (pid < 0) {
		close(p[0]);
		return -1;
	}
	*ready = p[0];
	return pid;
}

int server_await(pid_t pid, int ready, int timeout_s, const char *what)
{
	struct pollfd p = { .fd = ready, .events = POLLIN };
	int r;
	while ((r = poll(&p, 1, timeout_s * 1000)) < 0 && errno == EINTR)
		;
	char byte;
	int got = r > 0 && read(ready, &byte, 1) == 1;
	close(ready);
	if (got)
		return 0;
	if (r == 0)
		fprintf(stderr, "doorbench: %s: the server was not ready "
			"within %d s\n", what, timeout_s);
	else
		fprintf(stderr, "doorbench: %s: the server did not start\n",
			what);
	server_stop(pid);
	return -1;
}

pid_t server_start(void (*serve)(int ready, const void *arg), const void *arg,
		   const char *what)
{
	int ready;
	pid_t pid = server_spawn(serve, arg, what, &ready);
	if (pid < 0 || server_await(pid, ready, READY_TIMEOUT_S, what) < 0)
		return -1;
	return pid;
}

void server_ready(int ready)
{
	char byte = 'r';
	if (write(ready, &byte, 1) != 1)
		_exit(1);	/* the parent is gone */
	close(ready);
}

int server_died(pid_t pid)
{
	if (waitpid(pid, NULL, WNOHANG) == pid) {
		server_forget(pid);
		return 1;
	}
	return 0;
}

/* The affinity doorbench started with, which unpin() restores. */
static cpu_set_t original_cpus;
static int original_saved;

/*
 * The doorfs daemon that run.sh started ($DOORFSD_PID), or 0.  It is part
 * of every file-plane call, so "pinned" confines it too: left free, it
 * would make each of those calls cross CPUs, which no other method does
 * when pinned (10 times slower here).
 */
static pid_t daemon_pid(void)
{
	const char *pid = getenv("DOORFSD_PID");
	return pid && *pid ? (pid_t)atoi(pid) : 0;
}

/* This process, and the daemon if there is one, to the CPUs in set. */
static int set_cpus(const cpu_set_t *set)
{
	pid_t daemon = daemon_pid();
	if (daemon > 0 && sched_setaffinity(daemon, sizeof(*set), set) < 0)
		return -1;
	return sched_setaffinity(0, sizeof(*set), set);
}

int pin_to_cpu0(void)
{
	if (!original_saved) {
		if (sched_getaffinity(0, sizeof(original_cpus),
				      &original_cpus) < 0)
			return -1;
		original_saved = 1;
	}
	cpu_set_t set;
	CPU_ZERO(&set);
	CPU_SET(0, &set);
	return set_cpus(&set);
}

int unpin(void)
{
	if (!original_saved)
		return 0;
	return set_cpus(&original_cpus);
}
