/*
 * harness.h: what every libdoor test file shares.
 *
 * check_libdoor is one Check program with a suite per area of the illumos
 * door API (see /work/shared/DOOR-API.md, whose checklist rows the tests
 * name).  main() in harness.c mounts a private doorfs with the daemon
 * named by $DOORFSD, points $DOORFS at it, runs every suite and unmounts.
 *
 * Each test runs in its own process (CK_FORK), so libdoor starts fresh in
 * every test: a test's doors, pools and server-create function are its
 * own.  Processes a test forks are registered here and killed when it
 * ends, passed or failed: by the checked teardown when it passes, by
 * PR_SET_PDEATHSIG when a failed assertion _exit()s the test process, and
 * by Check's process-group kill when it times out.
 */
#ifndef LIBDOOR_TEST_HARNESS_H
#define LIBDOOR_TEST_HARNESS_H

/*
 * configure defines _GNU_SOURCE for every source (AC_USE_SYSTEM_EXTENSIONS);
 * this covers a compile outside the build (gcc -fsyntax-only ...).  Every
 * test file includes this header (or service.h) before anything else.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1
#endif

#include <check.h>
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

#include <door.h>

/*
 * Every test ends within TEST_TIMEOUT seconds or Check kills it; every
 * blocking wait in a helper gives up after WAIT_MS, well inside that, so
 * a hang is reported where it happens rather than as a bare timeout.
 */
#define TEST_TIMEOUT 20
#define WAIT_MS 8000

/* The doorfs mount the tests run on (also in $DOORFS). */
extern const char *harness_mount;

/* The suites, one per test file. */
Suite *create_suite(void);
Suite *call_suite(void);
Suite *server_suite(void);
Suite *info_suite(void);
Suite *ucred_suite(void);
Suite *failure_suite(void);
Suite *planes_suite(void);
Suite *load_suite(void);
Suite *idioms_suite(void);
Suite *descs_suite(void);
Suite *unref_suite(void);
Suite *fattach_suite(void);
Suite *fork_suite(void);
Suite *xcreate_suite(void);
Suite *forward_suite(void);
Suite *stream_suite(void);

/* A test case with the harness's fixture and time bound. */
TCase *harness_tcase(Suite *s, const char *name);

/* Whether tests that change credentials can run (they need root). */
bool harness_is_root(void);

/*
 * Assertions on the errno contract: the call must fail with exactly err,
 * or succeed (and if not, say which errno it got).
 */
#define ck_assert_fails(expr, err) do {					\
	errno = 0;							\
	long _ck_rc = (long)(expr);					\
	int _ck_e = errno;						\
	ck_assert_msg(_ck_rc == -1 && _ck_e == (err),			\
		"%s: want -1/%s, got %ld/%s", #expr,			\
		strerrorname_np(err), _ck_rc,				\
		_ck_e ? strerrorname_np(_ck_e) : "0");			\
} while (0)

#define ck_assert_ok(expr) do {						\
	errno = 0;							\
	long _ck_rc = (long)(expr);					\
	int _ck_e = errno;						\
	ck_assert_msg(_ck_rc == 0, "%s: want 0, got %ld/%s", #expr,	\
		_ck_rc, _ck_e ? strerrorname_np(_ck_e) : "0");		\
} while (0)

/* ------------------------------------------------------------------ */
/* Child processes. */

/*
 * A process forked by a test.  ctl is the test's end of a SOCK_SEQPACKET
 * pair whose other end the child's function gets: the two exchange
 * messages over it, and a lingering child exits when the test closes it
 * (or dies).
 */
struct child {
	pid_t pid;
	int ctl;
};

/* The function a child runs; its return value is the exit status. */
typedef int child_fn(void *arg, int ctl);

enum child_end {
	CHILD_EXIT,	/* exit as soon as the function returns */
	CHILD_LINGER,	/* then wait until ctl closes or a signal kills it */
};

/*
 * Fork a child that runs fn(arg, ctl).  It dies with SIGKILL if the test
 * process ends first.  Fork only from the test's main thread: the
 * parent-death signal follows the thread that forked.
 */
struct child child_start(child_fn *fn, void *arg, enum child_end end);
/*
 * Wait (at most WAIT_MS) for the child to end; its exit status, 128+N for
 * signal N, or -1 if it did not end (it is then killed).
 */
int child_join(struct child *c);
/* Whether the child is still running (it is not reaped). */
bool child_alive(struct child *c);
/* SIGKILL the child and reap it. */
void child_kill(struct child *c);
/* Send or receive one message (receive waits at most WAIT_MS). */
void child_send(struct child *c, const void *buf, size_t len);
void child_recv(struct child *c, void *buf, size_t len);

/*
 * For the child side of ctl.  Failure ends the child with CHILD_FAILED
 * after printing where and why on stderr: children never use ck_assert,
 * whose messages belong to the test process.
 */
#define CHILD_FAILED 100
void ctl_send(int ctl, const void *buf, size_t len);
void ctl_recv(int ctl, void *buf, size_t len);

void child_fail(const char *file, int line, const char *fmt, ...)
	__attribute__((noreturn, format(printf, 3, 4)));

#define CHILD_ASSERT(cond, ...) do {					\
	if (!(cond))							\
		child_fail(__FILE__, __LINE__, __VA_ARGS__);		\
} while (0)

#define CHILD_FAILS(expr, err) do {					\
	errno = 0;							\
	long _c_rc = (long)(expr);					\
	int _c_e = errno;						\
	CHILD_ASSERT(_c_rc == -1 && _c_e == (err),			\
		"%s: want -1/%s, got %ld/%s", #expr,			\
		strerrorname_np(err), _c_rc,				\
		_c_e ? strerrorname_np(_c_e) : "0");			\
} while (0)

#define CHILD_OK(expr) do {						\
	errno = 0;							\
	long _c_rc = (long)(expr);					\
	int _c_e = errno;						\
	CHILD_ASSERT(_c_rc == 0, "%s: want 0, got %ld/%s", #expr,	\
		_c_rc, _c_e ? strerrorname_np(_c_e) : "0");		\
} while (0)

/* Drop to uid and gid (real, effective, saved) and no supplementary groups. */
void become_user(uid_t uid, gid_t gid);
#define NOBODY 65534

/* ------------------------------------------------------------------ */
/* Waiting and looking. */

/* Read or write exactly len bytes, waiting at most WAIT_MS; false on failure. */
bool fd_read_full(int fd, void *buf, size_t len);
bool fd_write_full(int fd, const void *buf, size_t len);

/*
 * Wait (at most WAIT_MS) until thread tid of process pid sleeps in the
 * kernel (state S or D), so a signal sent next finds it blocked in a
 * call rather than spinning in user space.  False if it never did.
 */
bool wait_sleeping(pid_t pid, pid_t tid);

/*
 * Wait (at most WAIT_MS) until door_info on fd reports DOOR_REVOKED;
 * false if it never did.  The daemon learns of a dead server from FUSE
 * release requests, which the kernel sends asynchronously after the
 * process is reaped, so "afterwards" needs a bounded wait.
 */
bool wait_revoked(int fd);

/* Sleep ms milliseconds (never used to decide a result, only to pace). */
void sleep_ms(int ms);

/* A name for a new file on the mount, unique to this test and call. */
void door_path(char *buf, size_t len, const char *tag);

/* open("/proc/PID/fd/FD", flags): another descriptor for pid's door. */
int open_fd_of(pid_t pid, int fd, int flags);

/* Whether fd is open and refers to the same file as it did (dev, ino). */
struct file_id {
	dev_t dev;
	ino_t ino;
};
bool file_id_of(int fd, struct file_id *id);
bool same_file(int fd, const struct file_id *id);

#endif /* LIBDOOR_TEST_HARNESS_H */
