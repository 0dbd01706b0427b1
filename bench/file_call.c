/*
 * file_call.c: a call through an open file, by write+read or by the
 * DOORFS_IOC_CALL ioctl, for every method whose server is a file.
 *
 * A zero-byte payload goes by write+read as a one-byte token, as the pipe
 * method sends it: a descriptor's empty-argument call is made only by its
 * first read (later reads return 0 until a write starts the next call),
 * and Linux never passes a zero-length write to a file system.  The
 * ioctl carries an empty argument as it is.
 */
#include "file_call.h"
#include "measure.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

static int fd = -1;

int file_call_open(const char *path)
{
	file_call_close();
	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr, "doorbench: %s: %s\n", path, strerror(errno));
		return -1;
	}
	return 0;
}

void file_call_close(void)
{
	if (fd >= 0)
		close(fd);
	fd = -1;
}

/* A failed call, with what its errno means here (docs/PROTOCOL.md). */
static void report(const char *call)
{
	int err = errno;
	const char *meaning =
		err == EBADF ? " (the door is revoked: its server is gone)"
		: err == ECONNRESET ? " (its server took the call and left)"
		: err == ECONNABORTED || err == ENOTCONN
		? " (the file system's daemon is gone)" : "";
	fprintf(stderr, "doorbench: %s: %s%s\n", call, strerror(err), meaning);
}

/*
 * Reads until `want` bytes came or the result ended, asking for up to
 * `room` (> want) so that a result longer than expected shows as more
 * than `want` bytes.  One read() when the result comes whole: the kernel
 * goes on asking the file system while each piece comes full, so a
 * result up to `room` needs no second system call.
 */
static ssize_t read_result(int fd, void *buf, size_t want, size_t room)
{
	size_t got = 0;
	while (got < want) {
		ssize_t r = read(fd, (char *)buf + got, room - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -1;
		if (r == 0)
			break;
		got += (size_t)r;
	}
	return (ssize_t)got;
}

ssize_t file_call_rw(const void *arg, void *reply, size_t payload)
{
	static const char token = 't';
	char echo[2];
	if (payload == 0) {
		arg = &token;
		reply = echo;
	}
	size_t n = payload ? payload : 1;
	if (write_all(fd, arg, n) < 0) {
		report("write");
		return -1;
	}
	ssize_t got = read_result(fd, reply, n, n + 1);
	if (got < 0) {
		report("read");
		return -1;
	}
	if (payload == 0 && (got != 1 || echo[0] != token)) {
		fprintf(stderr, "doorbench: the one-byte token of an empty "
			"payload came back wrong (%zd bytes)\n", got);
		return -1;
	}
	return payload ? got : 0;
}

ssize_t file_call_ioctl(const void *arg, void *reply, size_t payload)
{
	struct doorfs_call call;
	call.version = DOORFS_VERSION;
	call.arg_size = (uint32_t)payload;
	call.result_size = 0;
	call.reserved = 0;
	if (payload > FILE_CALL_IOCTL_MAX) {
		fprintf(stderr, "doorbench: %zu bytes do not fit in one ioctl "
			"call\n", payload);
		return -1;
	}
	memcpy(call.data, arg, payload);
	if (ioctl(fd, DOORFS_IOC_CALL, &call) < 0) {
		report("ioctl DOORFS_IOC_CALL");
		return -1;
	}
	/* A longer result is reported by its length, not copied. */
	size_t got = call.result_size;
	memcpy(reply, call.data, got < payload ? got : payload);
	return (ssize_t)got;
}
