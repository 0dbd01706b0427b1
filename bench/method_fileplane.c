/*
 * method_fileplane.c: calls on doorfs's file plane (docs/PROTOCOL.md).
 * The client opens a door's name once and calls it through file_call.c,
 * by write+read (fp-rw-*) or by one DOORFS_IOC_CALL ioctl (fp-ioctl-*),
 * exactly as the raw FUSE baseline calls rawfuse.  The door echoes and
 * is served either by libdoor (*-lib: door_create, fattach,
 * door_return) or by a file-plane server (*-fp: the process that created
 * the door file answers with read and write on its server end).
 *
 * The server is a child that names its door $DOORFS/doorbench.PID.N
 * (bench/run.sh mounts a doorfs and sets $DOORFS) and says on a pipe when
 * callers may open it.  Teardown kills it, which revokes the door, and
 * removes the name; an interrupted run removes the name too (a leftover,
 * measure.h).
 */
#include "methods.h"

#include "file_call.h"

#include <door.h>
#include <stropts.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

static pid_t server = -1;
static char name[PATH_MAX];

/* In the server child: says why it cannot serve, and ends. */
static _Noreturn void server_fail(const char *what)
{
	fprintf(stderr, "doorbench: file plane server: %s: %s\n", what,
		strerror(errno));
	_exit(1);
}

/*
 * The way illumos daemons name a door: fattach over a placeholder file.
 * Creating the placeholder registers a file-plane door of its own, which
 * is revoked when its only server end is closed here; the name then
 * opens the libdoor door.
 */
static void serve_libdoor(int ready, const void *payload)
{
	(void)payload;
	int door = door_create(door_echo_proc, NULL, 0);
	if (door < 0)
		server_fail("door_create");
	int placeholder = open(name, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC,
			       0600);
	if (placeholder < 0)
		server_fail(name);
	close(placeholder);
	if (fattach(door, name) < 0)
		server_fail("fattach");
	server_ready(ready);
	/* libdoor's pool threads serve; this one only waits to be killed. */
	for (;;)
		pause();
}

/*
 * Takes the next call on a server end and reads its whole argument into
 * *buf, growing it.  A read returns all of the argument when the buffer
 * has room to spare; a full buffer may have more behind it.  This read
 * also completes the previous call, should its result still be open (a
 * nearly whole last piece, docs/PROTOCOL.md).  The argument's size, or
 * -1.
 */
static ssize_t take_call(int end, char **buf, size_t *room)
{
	size_t got = 0;
	ssize_t r;
	while ((r = read(end, *buf + got, *room - got)) > 0) {
		got += (size_t)r;
		if (got < *room)
			break;
		char *more = realloc(*buf, *room * 2);
		if (!more)
			server_fail("realloc");
		*buf = more;
		*room *= 2;
	}
	return r < 0 ? -1 : (ssize_t)got;
}

/*
 * A file-plane server: every result goes back in one write(), which
 * completes the call; an empty one by DOORFS_IOC_RETURN, since Linux
 * never passes an empty write to a file system.
 */
static void serve_file_plane(int ready, const void *payload)
{
	int end = open(name, O_CREAT | O_EXCL | O_RDWR | O_CLOEXEC, 0600);
	if (end < 0)
		server_fail(name);
	/* Room to spare: one read takes a whole call. */
	size_t room = *(const size_t *)payload + 1;
	char *buf = malloc(room);
	if (!buf)
		server_fail("malloc");
	server_ready(ready);
	for (;;) {
		ssize_t size = take_call(end, &buf, &room);
		if (size < 0)
			server_fail("read");
		if (size == 0 ? ioctl(end, DOORFS_IOC_RETURN) < 0
			      : write(end, buf, (size_t)size) != size)
			server_fail("result");
	}
}

static void fileplane_teardown(void)
{
	file_call_close();
	server_stop(server);
	server = -1;
	if (name[0])
		leftover_remove(name);
	name[0] = '\0';
}

/* Starts a server with `serve`, and opens its door as a client. */
static int fileplane_setup(void (*serve)(int ready, const void *payload),
			   size_t payload, const char *what)
{
	static unsigned serial;
	const char *doorfs = getenv("DOORFS");
	if (!doorfs || !*doorfs) {
		fprintf(stderr, "doorbench: %s: $DOORFS is not set "
			"(bench/run.sh mounts a doorfs and sets it)\n", what);
		return -1;
	}
	int n = snprintf(name, sizeof(name), "%s/doorbench.%ld.%u", doorfs,
			 (long)getpid(), ++serial);
	if ((size_t)n >= sizeof(name)) {
		fprintf(stderr, "doorbench: %s: $DOORFS is too long\n", what);
		name[0] = '\0';
		return -1;
	}
	if (leftover_add(name, LEFTOVER_NAME) < 0) {
		name[0] = '\0';
		return -1;
	}
	server = server_start(serve, &payload, what);
	if (server < 0) {
		fileplane_teardown();
		return -1;
	}
	if (file_call_open(name) < 0) {
		fileplane_teardown();
		return -1;
	}
	return 0;
}

static int libdoor_setup(size_t payload, int pinned)
{
	(void)pinned;
	return fileplane_setup(serve_libdoor, payload,
			       "file plane, libdoor server");
}

static int file_plane_setup(size_t payload, int pinned)
{
	(void)pinned;
	return fileplane_setup(serve_file_plane, payload,
			       "file plane, file-plane server");
}

const struct bench_method method_fp_rw_lib = {
	.name = "fp-rw-lib",
	.what = "file plane write+read to a door a libdoor server serves",
	.setup = libdoor_setup,
	.round_trip = file_call_rw,
	.teardown = fileplane_teardown,
};

const struct bench_method method_fp_ioctl_lib = {
	.name = "fp-ioctl-lib",
	.what = "file plane DOORFS_IOC_CALL to a door a libdoor server serves",
	.max_payload = FILE_CALL_IOCTL_MAX,
	.setup = libdoor_setup,
	.round_trip = file_call_ioctl,
	.teardown = fileplane_teardown,
};

const struct bench_method method_fp_rw_fp = {
	.name = "fp-rw-fp",
	.what = "file plane write+read to a door a file-plane server serves",
	.setup = file_plane_setup,
	.round_trip = file_call_rw,
	.teardown = fileplane_teardown,
};

const struct bench_method method_fp_ioctl_fp = {
	.name = "fp-ioctl-fp",
	.what = "file plane DOORFS_IOC_CALL to a door a file-plane server "
		"serves",
	.max_payload = FILE_CALL_IOCTL_MAX,
	.setup = file_plane_setup,
	.round_trip = file_call_ioctl,
	.teardown = fileplane_teardown,
};
