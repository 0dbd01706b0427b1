/*
 * example_server.h: how every server in this directory names its door and
 * stops, so that each server's .c file is left with its door procedure.
 *
 * A server blocks the stop signals, creates its door, attaches it at a
 * path and waits for a stop signal; then it detaches the name and revokes
 * the door:
 *
 *     if (block_stop_signals(progname, &stop_signals) < 0)
 *         return 1;
 *     did = door_create(proc, cookie, attributes);
 *     ...
 *     if (attach_door(did, path) < 0)
 *         ...
 *     printf("%s: serving %s\n", progname, path);
 *     return serve_until_stopped(progname, did, path, &stop_signals);
 *
 * Only POSIX and the illumos door API: the servers build unchanged on
 * illumos with this header beside them.  The functions are static, so
 * each program includes its own copy and nothing more is linked.
 */
#ifndef EXAMPLE_SERVER_H
#define EXAMPLE_SERVER_H

#include <door.h>
#include <stropts.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/*
 * Blocks SIGINT and SIGTERM in the calling thread, and fills *stop_signals
 * with them for serve_until_stopped().  Call it before door_create, which
 * starts the first pool thread: every pool thread inherits the mask of
 * the thread that starts it, so the signals wait for sigwait() instead of
 * killing the process in the middle of a call, with the door still
 * attached.  Returns -1 after saying why on standard error.
 */
static int block_stop_signals(const char *progname, sigset_t *stop_signals)
{
	int err;

	sigemptyset(stop_signals);
	sigaddset(stop_signals, SIGINT);
	sigaddset(stop_signals, SIGTERM);
	err = pthread_sigmask(SIG_BLOCK, stop_signals, NULL);
	if (err != 0) {
		fprintf(stderr, "%s: pthread_sigmask: %s\n", progname,
			strerror(err));
		return -1;
	}
	return 0;
}

/*
 * Name the door DOORPATH.  fattach() mounts a door over an existing file,
 * and fails with EBUSY where a door is attached already: a server that
 * died without fdetach() leaves its revoked door there, and every caller
 * would get EBADF from it.  So detach and remove whatever is there first.
 *
 * The placeholder's mode becomes the door's: 0444 lets anyone open the
 * door (door_call needs only a read-only descriptor) and nobody write it.
 * fattach() also wants the owner to have write permission unless the
 * caller is privileged (EACCES), so an unprivileged server adds it.
 * Returns -1 with errno set on failure.
 */
static int attach_door(int did, const char *path)
{
	mode_t mode = geteuid() == 0 ? 0444 : 0644;
	int fd;

	(void)fdetach(path);	/* EINVAL: nothing attached, the usual case */
	if (unlink(path) < 0 && errno != ENOENT)
		return -1;
	fd = creat(path, mode);
	if (fd < 0)
		return -1;
	(void)close(fd);
	return fattach(did, path);
}

/*
 * Waits for SIGINT or SIGTERM, then takes the door attached at path down.
 * Returns the exit status for main(): 0 after a clean stop, 1 (after
 * saying why) when the door could not be taken down.
 */
static int serve_until_stopped(const char *progname, int did,
			       const char *path, const sigset_t *stop_signals)
{
	int sig, err;

	err = sigwait(stop_signals, &sig);
	if (err != 0) {
		fprintf(stderr, "%s: sigwait: %s\n", progname, strerror(err));
		sig = 0;
	}

	/*
	 * Detach first, so no new caller finds the door by name; revoke
	 * then fails every later call through descriptors already open,
	 * while calls in progress finish.  The placeholder goes last.
	 */
	if (fdetach(path) < 0) {
		fprintf(stderr, "%s: fdetach %s: %s\n", progname, path,
			strerror(errno));
		return 1;
	}
	if (door_revoke(did) < 0) {
		fprintf(stderr, "%s: door_revoke: %s\n", progname,
			strerror(errno));
		return 1;
	}
	if (unlink(path) < 0 && errno != ENOENT) {
		fprintf(stderr, "%s: %s: %s\n", progname, path,
			strerror(errno));
		return 1;
	}
	printf("%s: %s, detached %s\n", progname,
	       sig ? strsignal(sig) : "stopping", path);
	return 0;
}

#endif /* EXAMPLE_SERVER_H */
