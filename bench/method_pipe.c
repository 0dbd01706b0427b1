/*
 * method_pipe.c: a pair of pipes to a child that echoes what it reads.
 *
 * The pipes keep the kernel's default size (64 KiB), so a large payload
 * goes in several write()s and read()s, as it would for a program that
 * does not tune its pipes.  The child reads the whole argument before it
 * answers, as a server would.  A zero-byte payload is sent as a one-byte
 * token: a pipe cannot carry an empty message.
 */
#include "methods.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static int to_server = -1, from_server = -1;
static pid_t server = -1;

static void serve(int in, int out, size_t message)
{
	char *buf = malloc(message);
	if (!buf)
		_exit(1);
	while (read_all(in, buf, message) == (ssize_t)message &&
	       write_all(out, buf, message) == 0)
		;
	_exit(0);
}

static void pipe_teardown(void)
{
	if (to_server >= 0)
		close(to_server);
	if (from_server >= 0)
		close(from_server);
	to_server = from_server = -1;
	server_stop(server);
	server = -1;
}

static int pipe_setup(size_t payload, int pinned)
{
	(void)pinned;
	int there[2], back[2];
	if (pipe(there) < 0)
		goto fail;
	if (pipe(back) < 0) {
		close(there[0]);
		close(there[1]);
		goto fail;
	}
	server = server_fork();
	if (server == 0) {
		close(there[1]);
		close(back[0]);
		serve(there[0], back[1], payload ? payload : 1);
	}
	/* Only the child holds these ends, so its death is our EOF. */
	close(there[0]);
	close(back[1]);
	to_server = there[1];
	from_server = back[0];
	if (server < 0) {
		pipe_teardown();
		return -1;
	}
	return 0;
fail:
	perror("doorbench: pipe");
	return -1;
}

static ssize_t pipe_round_trip(const void *arg, void *reply, size_t payload)
{
	static const char token;
	char echo;
	if (payload == 0) {
		if (write_all(to_server, &token, 1) < 0 ||
		    read_all(from_server, &echo, 1) != 1)
			goto broken;
		return echo == token ? 0 : 1;
	}
	if (write_all(to_server, arg, payload) < 0)
		goto broken;
	ssize_t got = read_all(from_server, reply, payload);
	if (got < 0)
		goto broken;
	return got;
broken:
	perror("doorbench: pipe: the echo server is gone");
	return -1;
}

const struct bench_method method_pipe = {
	.name = "pipe",
	.what = "a pair of pipes to an echoing child",
	.setup = pipe_setup,
	.round_trip = pipe_round_trip,
	.teardown = pipe_teardown,
};
