/*
 * square_server: the classic first door server.  Its door squares a
 * long long.
 *
 *     square_server DOORPATH
 *
 * The door is attached at DOORPATH the way illumos daemons do it: detach
 * and remove whatever a previous run left there, creat() a placeholder
 * file, and fattach() the door over it (example_server.h, shared by all
 * the servers here).  The server then waits for SIGINT or SIGTERM,
 * detaches the name and exits.  The calls are served by libdoor's own
 * pool of threads; main() never calls door_return().
 *
 * The argument is one long long; the reply is its square, or no data at
 * all when the argument is malformed or its square does not fit in a long
 * long.  square_client.c is the other half.
 *
 * Exit status: 0 after a clean stop, 1 on failure, 2 on a usage error.
 */
#include <door.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "example_server.h"	/* attach_door, and stopping on a signal */

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

int main(int argc, char **argv)
{
	const char *path;
	sigset_t stop_signals;
	int did;

	if (argc != 2 || argv[1][0] == '\0') {
		fprintf(stderr, "usage: %s DOORPATH\n"
			"Serves a door at DOORPATH that squares a long long, "
			"until SIGINT or SIGTERM.\n", progname);
		return 2;
	}
	path = argv[1];

	/* Before door_create: its pool threads inherit the blocked mask. */
	if (block_stop_signals(progname, &stop_signals) < 0)
		return 1;

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

	return serve_until_stopped(progname, did, path, &stop_signals);
}
