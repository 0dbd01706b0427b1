/*
 * method_seqpacket.c: an AF_UNIX SOCK_SEQPACKET socketpair to a child
 * that echoes every message.
 *
 * A payload larger than SEQPACKET_CHUNK goes as several messages of at
 * most that size: one message must fit in the socket's send buffer,
 * which net.core.wmem_max caps, so chunks are what a portable program
 * does.  Both ends ask for SEQPACKET_BUFFER of buffer (the kernel may
 * give less) so a 1 MiB exchange does not stall on every chunk.  A
 * zero-byte payload is sent as a one-byte message: recv() returning 0
 * would be the same as a hang-up.
 */
#include "methods.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

enum {
	SEQPACKET_CHUNK = 64 * 1024,
	SEQPACKET_BUFFER = 1024 * 1024,
};

static int sock = -1;
static pid_t server = -1;

/* Sends n bytes as messages of at most SEQPACKET_CHUNK; 0 or -1. */
static int send_chunks(int fd, const char *buf, size_t n)
{
	size_t put = 0;
	while (put < n) {
		size_t len = n - put < SEQPACKET_CHUNK ? n - put
						       : SEQPACKET_CHUNK;
		ssize_t w = send(fd, buf + put, len, 0);
		if (w < 0 && errno == EINTR)
			continue;
		if (w != (ssize_t)len)
			return -1;
		put += len;
	}
	return 0;
}

static void serve(int fd, size_t message)
{
	char *buf = malloc(message);
	if (!buf)
		_exit(1);
	while (read_all(fd, buf, message) == (ssize_t)message &&
	       send_chunks(fd, buf, message) == 0)
		;
	_exit(0);
}

static void seqpacket_teardown(void)
{
	if (sock >= 0)
		close(sock);
	sock = -1;
	server_stop(server);
	server = -1;
}

static int seqpacket_setup(size_t payload, int pinned)
{
	(void)pinned;
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
		perror("doorbench: seqpacket: socketpair");
		return -1;
	}
	int size = SEQPACKET_BUFFER;
	for (int k = 0; k < 2; k++) {
		setsockopt(sv[k], SOL_SOCKET, SO_SNDBUF, &size, sizeof(size));
		setsockopt(sv[k], SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
	}
	server = server_fork();
	if (server == 0) {
		close(sv[0]);
		serve(sv[1], payload ? payload : 1);
	}
	close(sv[1]);
	sock = sv[0];
	if (server < 0) {
		seqpacket_teardown();
		return -1;
	}
	return 0;
}

static ssize_t seqpacket_round_trip(const void *arg, void *reply,
				    size_t payload)
{
	static const char token;
	char echo;
	if (payload == 0) {
		if (send_chunks(sock, &token, 1) < 0 ||
		    read_all(sock, &echo, 1) != 1)
			goto broken;
		return echo == token ? 0 : 1;
	}
	if (send_chunks(sock, arg, payload) < 0)
		goto broken;
	ssize_t got = read_all(sock, reply, payload);
	if (got < 0)
		goto broken;
	return got;
broken:
	perror("doorbench: seqpacket: the echo server is gone");
	return -1;
}

const struct bench_method method_seqpacket = {
	.name = "seqpacket",
	.what = "an AF_UNIX SOCK_SEQPACKET socketpair to an echoing child",
	.setup = seqpacket_setup,
	.round_trip = seqpacket_round_trip,
	.teardown = seqpacket_teardown,
};
