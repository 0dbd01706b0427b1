/*
 * square_server: the classic first door server.  Its door squares a
 * long long.
 *
 *     square_server DOORPATH
 *
 * The door is attached at DOORPATH the way illumos daemons do it: detach
 * and remove whatever a previous run left there, creat() a placeholder
 * file, and fattach() the door over it.  The server then waits for SIGINT
 * or SIGTERM, detaches the name and exits.  The calls are served by
 * libdoor's own pool of threads; main() never calls door_return().
 *
 * The argument is one long long; the reply is its square, or no data at
 * all when the argument is malformed or its square does not fit in a long
 * long.  square_client.c is the other half.
 *
 * Exit status: 0 after a clean stop, 1 on failure, 2 on a usage error.
 */
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

static const char *progname = "square_server";

/*
 * The largest magnitude whose square still fits in a long long:
 * floor(sqrt(2^63 - 1)).  Squaring anything bigger overflows, which is
 * undefined behaviour in C, so such arguments are refused instead.
 */
#define SQUARE_ARG_MAX 3037000499LL

static void square_proc(void *cookie, char *argp, size_t arg_size,
			door_desc_t *dp, uint_t n_desc)
{
	long long arg, square;
	char *reply = NULL;	/* no data: the argument was refused */
	size_t reply_size = 0;

	(void)cookie;
	(void)dp;
	(void)n_desc;

	/* A client can send anything: check the size before reading. */
	if (arg_size == sizeof(arg)) {
		memcpy(&arg, argp, sizeof(arg));
		if (arg >= -SQUARE_ARG_MAX && arg <= SQUARE_ARG_MAX) {
			square = arg * arg;
			reply = (char *)&square;
			reply_size = sizeof(square);
		}
	}

	/*
	 * The reply lives on this thread's stack: door_return copies it to
	 * the client before the thread parks again, so nothing outlives
	 * the call.
	 */
	(void)door_return(reply, reply_size, NULL, 0);

	/*
	 * door_return came back: the reply could not be delivered (E2BIG
	 * when the client accepts no results, as with door_call(fd, NULL)).
	 * The client is still waiting, so answer it with an empty reply.
	 * Should even that fail, returning ends this thread and the client
	 * gets EINTR.
	 */
	fprintf(stderr, "%s: door_return: %s\n", progname, strerror(errno));
	(void)door_return(NULL, 0, NULL, 0);
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

int main(int argc, char **argv)
{
	const char *path;
	sigset_t stop_signals;
	int did = DOOR_INVAL;
	int sig, err;

	if (argc != 2 || argv[1][0] == '\0') {
		fprintf(stderr, "usage: %s DOORPATH\n"
			"Serves a door at DOORPATH that squares a long long, "
			"until SIGINT or SIGTERM.\n", progname);
		return 2;
	}
	path = argv[1];

	/*
	 * Block the stop signals before door_create, which starts the first
	 * pool thread: every pool thread inherits this mask, so the signals
	 * wait for sigwait() below instead of killing the process in the
	 * middle of a call, with the door still attached.
	 */
	sigemptyset(&stop_signals);
	sigaddset(&stop_signals, SIGINT);
	sigaddset(&stop_signals, SIGTERM);
	err = pthread_sigmask(SIG_BLOCK, &stop_signals, NULL);
	if (err != 0) {
		fprintf(stderr, "%s: pthread_sigmask: %s\n", progname,
			strerror(err));
		return 1;
	}

	/* This door never expects descriptors: callers sending some get ENOTSUP. */
	did = door_create(square_proc, NULL, DOOR_REFUSE_DESC);
	if (did < 0) {
		fprintf(stderr, "%s: door_create: %s\n", progname,
			strerror(errno));
		return 1;
	}
	if (attach_door(did, path) < 0) {
		fprintf(stderr, "%s: %s: %s\n", progname, path,
			strerror(errno));
		return 1;
	}
	printf("%s: serving %s (pid %ld)\n", progname, path, (long)getpid());
	fflush(stdout);

	err = sigwait(&stop_signals, &sig);
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
