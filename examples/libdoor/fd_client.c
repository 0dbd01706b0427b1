/*
 * fd_client: ask fd_server for a file and print it.
 *
 *     fd_client DOORPATH NAME
 *
 * Calls the door with NAME and expects one descriptor back, passed in
 * desc_ptr[0].d_data.d_desc.d_descriptor: a new descriptor in this
 * process for the file the server opened.  Its contents go to standard
 * output.  A refusal comes back as a text message instead, printed to
 * standard error.
 *
 * Exit status: 0 on success, 1 on failure or refusal, 2 on a usage error.
 */
#include <door.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static const char *progname = "fd_client";

static void report(const char *what, int err)
{
	fprintf(stderr, "%s: %s: %s%s\n", progname, what, strerror(err),
		err == EBADF ? " (the door's server is gone)" : "");
}

static int copy_to_stdout(int fd)
{
	char buf[8192];
	ssize_t n, done;

	while ((n = read(fd, buf, sizeof(buf))) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		for (done = 0; done < n; ) {
			ssize_t w = write(STDOUT_FILENO, buf + done,
					  (size_t)(n - done));

			if (w < 0) {
				if (errno == EINTR)
					continue;
				return -1;
			}
			done += w;
		}
	}
	return 0;
}

int main(int argc, char **argv)
{
	const char *path, *name;
	/*
	 * The reply lands here when it fits: the data, then the
	 * descriptors at the next multiple of sizeof(door_desc_t), so the
	 * buffer is aligned for them.  A bigger reply arrives in memory
	 * libdoor maps, which we unmap.
	 */
	union {
		door_desc_t align;
		char bytes[512];
	} reply;
	door_arg_t arg;
	int did = DOOR_INVAL;
	int fd = -1;
	int status = 1;

	if (argc != 3 || argv[1][0] == '\0' || argv[2][0] == '\0') {
		fprintf(stderr, "usage: %s DOORPATH NAME\n"
			"Asks the door at DOORPATH (an fd_server) to open the "
			"file NAME and prints it.\n", progname);
		return 2;
	}
	path = argv[1];
	name = argv[2];

	did = open(path, O_RDONLY);
	if (did < 0) {
		report(path, errno);
		return 1;
	}

	arg.data_ptr = (char *)name;	/* door_call never writes the arguments */
	arg.data_size = strlen(name);
	arg.desc_ptr = NULL;
	arg.desc_num = 0;
	arg.rbuf = reply.bytes;
	arg.rsize = sizeof(reply.bytes);
	if (door_call(did, &arg) < 0) {
		report(path, errno);
		return 1;
	}
	(void)close(did);

	/*
	 * Take the descriptor, closing any extra ones: each received
	 * descriptor is a new fd in this process, ours to close.
	 */
	for (uint_t i = 0; i < arg.desc_num; i++) {
		door_desc_t *d = &arg.desc_ptr[i];

		if (!(d->d_attributes & DOOR_DESCRIPTOR))
			continue;
		if (fd < 0)
			fd = d->d_data.d_desc.d_descriptor;
		else
			(void)close(d->d_data.d_desc.d_descriptor);
	}

	if (fd >= 0) {
		if (copy_to_stdout(fd) < 0)
			report(name, errno);
		else
			status = 0;
		(void)close(fd);
	} else if (arg.data_size > 0) {
		/* The server decides the length: show a line's worth. */
		int len = arg.data_size > 200 ? 200 : (int)arg.data_size;

		fprintf(stderr, "%s: the server refused: %.*s\n", progname,
			len, arg.data_ptr);
	} else {
		fprintf(stderr, "%s: %s: empty reply (not an fd_server?)\n",
			progname, path);
	}

	if (arg.rbuf != reply.bytes)
		(void)munmap(arg.rbuf, arg.rsize);
	return status;
}
