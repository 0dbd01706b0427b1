/*
 * text_client: call a door whose replies are text, and print the reply.
 *
 *     text_client DOORPATH [TEXT]
 *
 * The arguments are TEXT's bytes (no terminating NUL), or none at all
 * without TEXT: door_call then sends data_ptr = NULL, data_size = 0, and
 * the procedure sees argp = NULL.  The reply goes to standard output,
 * followed by a newline if it lacks one.  It calls cred_server and
 * private_pool_server, or any door that answers in text.
 *
 * Exit status: 0 when the call succeeded (whatever the reply says), 1 on
 * failure, 2 on a usage error.
 */
#include <door.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static const char *progname = "text_client";

/* What the errnos of door_call mean to someone running this. */
static const char *door_call_hint(int err)
{
	switch (err) {
	case EBADF:
		return "not a door, or its server is gone";
	case EINTR:
		return "the server died during the call, or a signal came";
	case ENOTSUP:
		return "the door refuses descriptors";
	case EAGAIN:
		return "the server is out of resources";
	default:
		return NULL;
	}
}

static void report(const char *what, int err)
{
	const char *hint = door_call_hint(err);

	fprintf(stderr, "%s: %s: %s%s%s%s\n", progname, what, strerror(err),
		hint ? " (" : "", hint ? hint : "", hint ? ")" : "");
}

int main(int argc, char **argv)
{
	const char *path;
	/*
	 * Replies up to this size land here; longer ones in memory that
	 * libdoor maps and we unmap, so no reply is ever cut short.
	 */
	char reply[256];
	door_arg_t arg;
	int did = DOOR_INVAL;
	int status = 0;

	if (argc < 2 || argc > 3 || argv[1][0] == '\0') {
		fprintf(stderr, "usage: %s DOORPATH [TEXT]\n"
			"Calls the door at DOORPATH with TEXT (or with no "
			"arguments) and prints its reply.\n", progname);
		return 2;
	}
	path = argv[1];

	did = open(path, O_RDONLY);
	if (did < 0) {
		report(path, errno);
		return 1;
	}

	arg.data_ptr = argc == 3 ? argv[2] : NULL;
	arg.data_size = argc == 3 ? strlen(argv[2]) : 0;
	arg.desc_ptr = NULL;
	arg.desc_num = 0;
	arg.rbuf = reply;
	arg.rsize = sizeof(reply);
	if (door_call(did, &arg) < 0) {
		report(path, errno);
		return 1;
	}
	(void)close(did);

	/* Descriptors are not text, but they are ours: close them. */
	for (uint_t i = 0; i < arg.desc_num; i++) {
		if (arg.desc_ptr[i].d_attributes & DOOR_DESCRIPTOR)
			(void)close(arg.desc_ptr[i].d_data.d_desc.d_descriptor);
	}

	if (arg.data_size > 0 &&
	    (fwrite(arg.data_ptr, 1, arg.data_size, stdout) != arg.data_size ||
	     (arg.data_ptr[arg.data_size - 1] != '\n' && putchar('\n') == EOF)))
		status = 1;
	if (fflush(stdout) == EOF)
		status = 1;
	if (status != 0)
		report("standard output", errno);

	if (arg.rbuf != reply)
		(void)munmap(arg.rbuf, arg.rsize);
	return status;
}
