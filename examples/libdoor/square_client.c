/*
 * square_client: call square_server's door and print the square.
 *
 *     square_client DOORPATH N
 *
 * Prints "N squared is M".  It calls the door twice, to show both ways of
 * receiving a reply:
 *
 *   - one buffer for both directions: the argument goes out of it and the
 *     result comes back into it (rbuf/rsize name the same memory);
 *   - rbuf = NULL, rsize = 0: libdoor maps memory for the reply, and the
 *     caller munmap()s it once done.  Whenever a reply is larger than
 *     rsize this happens too, which is why callers compare rbuf with the
 *     buffer they passed after every call.
 *
 * A real client would pick one; both must agree here.
 *
 * Exit status: 0 on success, 1 on failure (including a refused argument),
 * 2 on a usage error.
 */
#include <door.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static const char *progname = "square_client";

enum call_outcome {
	CALL_FAILED = -1,	/* door_call failed: see errno */
	CALL_SQUARED = 0,	/* *square holds the result */
	CALL_REFUSED,		/* empty reply: the server refused N */
	CALL_BAD_REPLY,		/* a reply that is not a long long */
};

/* What the errnos of door_call mean for this client. */
static const char *door_call_hint(int err)
{
	switch (err) {
	case EBADF:
		return "the door's server is gone";
	case EINTR:
		return "the server died during the call, or a signal came";
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

/*
 * One door call squaring n.  With own_buffer, the reply is asked to land
 * in the buffer the argument came from; otherwise libdoor maps memory for
 * it.  Either way, a reply that does not fit rsize arrives in a fresh
 * mapping that is ours to unmap.
 */
static enum call_outcome call_square(int did, long long n, bool own_buffer,
				     long long *square)
{
	long long buf = n;
	door_arg_t arg = {
		.data_ptr = (char *)&buf,
		.data_size = sizeof(buf),
		.desc_ptr = NULL,
		.desc_num = 0,
		.rbuf = own_buffer ? (char *)&buf : NULL,
		.rsize = own_buffer ? sizeof(buf) : 0,
	};
	char *rbuf_passed = arg.rbuf;
	enum call_outcome outcome;

	if (door_call(did, &arg) < 0)
		return CALL_FAILED;

	/* data_ptr now points into rbuf, or into libdoor's mapping. */
	if (arg.data_size == sizeof(*square)) {
		memcpy(square, arg.data_ptr, sizeof(*square));
		outcome = CALL_SQUARED;
	} else if (arg.data_size == 0) {
		outcome = CALL_REFUSED;
	} else {
		outcome = CALL_BAD_REPLY;
	}

	/*
	 * Not a square_server if descriptors came back; received
	 * descriptors are new fds in this process, so close them anyway.
	 * They sit in the reply buffer: before munmap.
	 */
	for (uint_t i = 0; i < arg.desc_num; i++) {
		if (arg.desc_ptr[i].d_attributes & DOOR_DESCRIPTOR)
			(void)close(arg.desc_ptr[i].d_data.d_desc.d_descriptor);
		outcome = CALL_BAD_REPLY;
	}

	if (arg.rbuf != rbuf_passed)
		(void)munmap(arg.rbuf, arg.rsize);
	return outcome;
}

static int parse_long_long(const char *s, long long *value)
{
	char *end;

	errno = 0;
	*value = strtoll(s, &end, 0);
	if (errno != 0 || end == s || *end != '\0')
		return -1;
	return 0;
}

int main(int argc, char **argv)
{
	const char *path;
	long long n, square[2];
	door_info_t info;
	int did = DOOR_INVAL;

	if (argc != 3 || argv[1][0] == '\0') {
		fprintf(stderr, "usage: %s DOORPATH N\n"
			"Asks the door at DOORPATH (a square_server) for the "
			"square of the integer N.\n", progname);
		return 2;
	}
	path = argv[1];
	if (parse_long_long(argv[2], &n) < 0) {
		fprintf(stderr, "%s: %s: not an integer in the range of "
			"long long\n", progname, argv[2]);
		return 2;
	}

	/* Calling a door needs nothing more than a read-only descriptor. */
	did = open(path, O_RDONLY);
	if (did < 0) {
		report(path, errno);
		return 1;
	}

	/*
	 * door_info tells a door from any other file, and a live door from
	 * one whose server exited: its name stays until fdetach, so open()
	 * alone proves nothing.
	 */
	if (door_info(did, &info) < 0) {
		fprintf(stderr, "%s: %s: not a door (%s)\n", progname, path,
			strerror(errno));
		return 1;
	}
	if (info.di_attributes & DOOR_REVOKED) {
		fprintf(stderr, "%s: %s: the door is revoked (its server "
			"is gone or revoked it)\n", progname, path);
		return 1;
	}

	for (int i = 0; i < 2; i++) {
		bool own_buffer = i == 0;

		switch (call_square(did, n, own_buffer, &square[i])) {
		case CALL_SQUARED:
			break;
		case CALL_FAILED:
			report(path, errno);
			return 1;
		case CALL_REFUSED:
			fprintf(stderr, "%s: the server refused %lld (its "
				"square does not fit in a long long)\n",
				progname, n);
			return 1;
		case CALL_BAD_REPLY:
			fprintf(stderr, "%s: %s: unexpected reply (not a "
				"square_server?)\n", progname, path);
			return 1;
		}
	}
	if (square[0] != square[1]) {
		fprintf(stderr, "%s: the two calls disagree: %lld and %lld\n",
			progname, square[0], square[1]);
		return 1;
	}

	printf("%lld squared is %lld\n", n, square[0]);
	if (close(did) < 0) {
		report(path, errno);
		return 1;
	}
	return 0;
}
