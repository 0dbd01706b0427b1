/*
 * door-client: call a door from C with nothing but open, write, read and
 * close.
 *
 *     door-client DOORPATH [ARGS...]
 *
 * The arguments are ARGS joined by spaces, or all of standard input when
 * there are none; the result goes to standard output.  This is the file
 * plane of docs/PROTOCOL.md, and the C twin of
 * `exec 3<>door; printf args >&3; cat <&3`: no library, no ioctl, no doorfs
 * header.  The door is opened without O_CREAT, so a mistyped name fails
 * instead of registering a new door.  Any other kind of file is just
 * written to, as `printf args > file` would: point this at doors only.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static const char *progname = "door-client";

/*
 * A few errnos mean something specific on a door (docs/PROTOCOL.md,
 * "Errors"); say what, so nobody has to look it up.
 */
static const char *door_errno_hint(int err)
{
	switch (err) {
	case EBADF:
		return "the door's server is gone";
	case EINTR:
		return "a signal interrupted the call";
	case ECONNRESET:
		return "the server went away during the call";
	case ECANCELED:
		return "the previous call on this descriptor was interrupted";
	case ENOBUFS:
		return "you have too much data buffered in doorfs";
	case EACCES:
		return "the door's mode does not let you call it";
	case E2BIG:
		return "arguments or result larger than doorfs accepts";
	case ENOTCONN:
	case ECONNABORTED:      /* what a call in flight gets as it dies */
		return "the doorfs daemon is gone";
	default:
		return NULL;
	}
}

static void report(const char *what, int err)
{
	const char *hint = door_errno_hint(err);

	if (hint)
		fprintf(stderr, "%s: %s: %s (%s)\n", progname, what,
			strerror(err), hint);
	else
		fprintf(stderr, "%s: %s: %s\n", progname, what, strerror(err));
}

/*
 * Every write() to a door appends to the arguments of the call to come, so
 * several short writes are as good as one; only a failure matters.
 */
static int write_all(int fd, const char *buf, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, buf, len);

		if (n < 0) {
			if (errno == EINTR && fd == STDOUT_FILENO)
				continue;
			return -1;
		}
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

/*
 * Big enough that a typical result comes back in one read(), which is one
 * round trip through the daemon.
 */
static char buf[64 * 1024];

int main(int argc, char **argv)
{
	const char *door;
	int fd;
	ssize_t n;

	if (argc < 2 || argv[1][0] == '\0') {
		fprintf(stderr, "usage: %s DOORPATH [ARGS...]\n"
			"Calls the door with ARGS joined by spaces (or with "
			"standard input when there are no ARGS)\n"
			"and writes the result to standard output.\n",
			progname);
		return 1;
	}
	door = argv[1];

	fd = open(door, O_RDWR);
	if (fd < 0) {
		report(door, errno);
		return 1;
	}

	if (argc > 2) {
		for (int i = 2; i < argc; i++) {
			if ((i > 2 && write_all(fd, " ", 1) < 0) ||
			    write_all(fd, argv[i], strlen(argv[i])) < 0) {
				report(door, errno);
				return 1;
			}
		}
	} else {
		while ((n = read(STDIN_FILENO, buf, sizeof(buf))) != 0) {
			if (n < 0) {
				if (errno == EINTR)
					continue;
				report("standard input", errno);
				return 1;
			}
			if (write_all(fd, buf, (size_t)n) < 0) {
				report(door, errno);
				return 1;
			}
		}
	}

	/*
	 * The first read() performs the call.  EINTR is not retried: the call
	 * is over, and another read() would make a new call with no
	 * arguments.
	 */
	while ((n = read(fd, buf, sizeof(buf))) != 0) {
		if (n < 0) {
			report(door, errno);
			return 1;
		}
		if (write_all(STDOUT_FILENO, buf, (size_t)n) < 0) {
			report("standard output", errno);
			return 1;
		}
	}

	if (close(fd) < 0) {
		report(door, errno);
		return 1;
	}
	return 0;
}
