/*
 * fd_server: a door that hands out open file descriptors.
 *
 *     fd_server DOORPATH DIRECTORY
 *
 * The argument of a call is the name of a regular file in DIRECTORY (no
 * NUL, no '/'); the server opens it read-only and returns the descriptor
 * with DOOR_DESCRIPTOR | DOOR_RELEASE, so the client gets its own open
 * file and the server's copy is closed once passed.  This is how a
 * privileged door server gives a client exactly one file it could not
 * open itself, and nothing more.  A refused call gets a one-line text
 * message and no descriptor.  fd_client.c is the other half.
 *
 * The server stops on SIGINT or SIGTERM, detaching DOORPATH first.
 *
 * Exit status: 0 after a clean stop, 1 on failure, 2 on a usage error.
 */
#include <door.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "example_server.h"	/* attach_door, and stopping on a signal */

static const char *progname = "fd_server";

/*
 * The door's cookie.  Cookies are visible to every client through
 * door_info(), so they must hold no secrets: a directory descriptor's
 * number is none.
 */
struct file_shelf {
	int dir_fd;		/* the directory files are served from */
};

/*
 * Only a plain name inside the shelf: no path, nothing that climbs out.
 * openat() below adds O_NOFOLLOW, so a symlink in the directory cannot
 * point elsewhere either.
 */
static int name_is_plain(const char *name, size_t len)
{
	if (len == 0 || len > NAME_MAX)
		return 0;
	if (memchr(name, '/', len) || memchr(name, '\0', len))
		return 0;
	if ((len == 1 && name[0] == '.') ||
	    (len == 2 && name[0] == '.' && name[1] == '.'))
		return 0;
	return 1;
}

/*
 * Opens the file for the caller, or fills msg with why not and returns -1.
 * O_NONBLOCK keeps a FIFO planted in the directory from blocking this
 * thread in open(); the file must then turn out to be regular, for which
 * the flag has no effect.
 */
static int open_shelved(const struct file_shelf *shelf, const char *name,
			char *msg, size_t msg_size)
{
	struct stat st;
	int fd;

	fd = openat(shelf->dir_fd, name,
		    O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		snprintf(msg, msg_size, "%s: %s", name, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		snprintf(msg, msg_size, "%s: not a regular file", name);
		(void)close(fd);
		return -1;
	}
	return fd;
}

static void fd_proc(void *cookie, char *argp, size_t arg_size,
		    door_desc_t *dp, uint_t n_desc)
{
	const struct file_shelf *shelf = cookie;
	char name[NAME_MAX + 1];
	char msg[NAME_MAX + 128];
	door_desc_t desc;
	int fd, err;

	(void)dp;
	(void)n_desc;

	/* argp is not NUL-terminated: the client sends the name's bytes. */
	if (!name_is_plain(argp, arg_size)) {
		snprintf(msg, sizeof(msg), "not a plain file name (send the "
			 "name of a file in the directory, without '/')");
		goto refuse;
	}
	memcpy(name, argp, arg_size);
	name[arg_size] = '\0';

	fd = open_shelved(shelf, name, msg, sizeof(msg));
	if (fd < 0)
		goto refuse;

	/*
	 * DOOR_RELEASE closes our descriptor once it has been passed: the
	 * thread never comes back from a successful door_return to close
	 * it itself.  The client receives a new descriptor for the same
	 * open file, offset included.
	 */
	memset(&desc, 0, sizeof(desc));
	desc.d_attributes = DOOR_DESCRIPTOR | DOOR_RELEASE;
	desc.d_data.d_desc.d_descriptor = fd;
	(void)door_return(NULL, 0, &desc, 1);

	/*
	 * The descriptor could not be delivered and the client still
	 * waits.  E2BIG (the client accepts no results) is found before
	 * anything is passed, so fd is still ours; after EMFILE (the client
	 * has no free descriptor) it has already been released.
	 */
	err = errno;
	if (err == E2BIG)
		(void)close(fd);
	snprintf(msg, sizeof(msg), "%s: could not pass the descriptor: %s",
		 name, strerror(err));
refuse:
	fprintf(stderr, "%s: %s\n", progname, msg);
	(void)door_return(msg, strlen(msg), NULL, 0);

	/*
	 * Not even the message fits (E2BIG again): an empty reply always
	 * does.  If that fails too, returning ends this thread and the
	 * client gets EINTR.
	 */
	(void)door_return(NULL, 0, NULL, 0);
}

int main(int argc, char **argv)
{
	static struct file_shelf shelf;
	const char *path, *dir;
	sigset_t stop_signals;
	int did;

	if (argc != 3 || argv[1][0] == '\0' || argv[2][0] == '\0') {
		fprintf(stderr, "usage: %s DOORPATH DIRECTORY\n"
			"Serves a door at DOORPATH that returns an open, "
			"read-only descriptor\nfor the file in DIRECTORY "
			"named by each call, until SIGINT or SIGTERM.\n",
			progname);
		return 2;
	}
	path = argv[1];
	dir = argv[2];

	shelf.dir_fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (shelf.dir_fd < 0) {
		fprintf(stderr, "%s: %s: %s\n", progname, dir, strerror(errno));
		return 1;
	}

	/* Before door_create: its pool threads inherit the blocked mask. */
	if (block_stop_signals(progname, &stop_signals) < 0)
		return 1;

	did = door_create(fd_proc, &shelf, 0);
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
	printf("%s: serving %s from %s (pid %ld)\n", progname, path, dir,
	       (long)getpid());
	fflush(stdout);

	return serve_until_stopped(progname, did, path, &stop_signals);
}
