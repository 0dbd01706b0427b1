/*
 * cred_server: a door that checks who is calling.
 *
 *     cred_server DOORPATH
 *
 * Every call is answered with one line of text.  The procedure asks
 * door_ucred() for the immediate caller's credentials, which the system
 * vouches for (a client cannot forge them the way it could forge its
 * arguments), and lets the call through only when the caller's effective
 * uid is the server's own or root's:
 *
 *     allowed: euid 1000 egid 1000 pid 4242
 *     refused: euid 65534 is neither 1000 nor root
 *
 * Each pool thread keeps its ucred_t between calls: door_ucred() allocates
 * one when given NULL and refills the one it is given otherwise, so only a
 * thread's first call allocates.  ucred_free() releases it if the thread
 * ever exits.  Call it with text_client.
 *
 * The server stops on SIGINT or SIGTERM, detaching DOORPATH first.
 *
 * Exit status: 0 after a clean stop, 1 on failure, 2 on a usage error.
 */
#include <door.h>
#include <ucred.h>

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "example_server.h"	/* attach_door, and stopping on a signal */

static const char *progname = "cred_server";

static uid_t server_euid;

/* Each pool thread's ucred_t, reused by door_ucred() on its next call. */
static pthread_key_t ucred_key;

static void free_thread_ucred(void *uc)
{
	ucred_free(uc);
}

static void cred_proc(void *cookie, char *argp, size_t arg_size,
		      door_desc_t *dp, uint_t n_desc)
{
	ucred_t *uc = pthread_getspecific(ucred_key);	/* NULL the first time */
	char reply[128];
	uid_t euid;
	gid_t egid;
	pid_t pid;

	(void)cookie;
	(void)argp;		/* no arguments expected, any are ignored */
	(void)arg_size;
	(void)dp;
	(void)n_desc;

	if (door_ucred(&uc) < 0) {
		/* EINVAL: the client gave up on the call already. */
		snprintf(reply, sizeof(reply), "refused: no credentials: %s",
			 strerror(errno));
		goto answer;
	}
	euid = ucred_geteuid(uc);
	egid = ucred_getegid(uc);
	pid = ucred_getpid(uc);

	/* Keep it for the next call; if that fails, allocate again then. */
	if (pthread_setspecific(ucred_key, uc) != 0)
		ucred_free(uc);

	if (euid == (uid_t)-1) {
		snprintf(reply, sizeof(reply),
			 "refused: no euid in the credentials");
	} else if (euid != server_euid && euid != 0) {
		snprintf(reply, sizeof(reply),
			 "refused: euid %ld is neither %ld nor root",
			 (long)euid, (long)server_euid);
	} else {
		snprintf(reply, sizeof(reply),
			 "allowed: euid %ld egid %ld pid %ld",
			 (long)euid, (long)egid, (long)pid);
	}

answer:
	fprintf(stderr, "%s: %s\n", progname, reply);
	(void)door_return(reply, strlen(reply), NULL, 0);

	/*
	 * The reply did not fit (E2BIG: the client accepts no results) and
	 * the client still waits: an empty reply always fits.  Returning
	 * after that would end this thread, and the client gets EINTR.
	 */
	(void)door_return(NULL, 0, NULL, 0);
}

int main(int argc, char **argv)
{
	const char *path;
	sigset_t stop_signals;
	int did;
	int err;

	if (argc != 2 || argv[1][0] == '\0') {
		fprintf(stderr, "usage: %s DOORPATH\n"
			"Serves a door at DOORPATH that answers only callers "
			"with this process's\neffective uid, or root, until "
			"SIGINT or SIGTERM.\n", progname);
		return 2;
	}
	path = argv[1];
	server_euid = geteuid();

	err = pthread_key_create(&ucred_key, free_thread_ucred);
	if (err != 0) {
		fprintf(stderr, "%s: pthread_key_create: %s\n", progname,
			strerror(err));
		return 1;
	}

	/* Before door_create: its pool threads inherit the blocked mask. */
	if (block_stop_signals(progname, &stop_signals) < 0)
		return 1;

	did = door_create(cred_proc, NULL, DOOR_REFUSE_DESC);
	if (did < 0) {
		fprintf(stderr, "%s: door_create: %s\n", progname,
			strerror(errno));
		return 1;
	}
	/* Mode 0444: anyone may open it, so the check has callers to refuse. */
	if (attach_door(did, path) < 0) {
		fprintf(stderr, "%s: %s: %s\n", progname, path,
			strerror(errno));
		return 1;
	}
	printf("%s: serving %s for euid %ld and root (pid %ld)\n", progname,
	       path, (long)server_euid, (long)getpid());
	fflush(stdout);

	return serve_until_stopped(progname, did, path, &stop_signals);
}
