/*
 * method_door.c: libdoor door_call to a door that a forked child serves,
 * echoing its argument with door_return.
 *
 * The child makes the door and hands its descriptor to us over a
 * socketpair (SCM_RIGHTS), so the door never has a name on the mount and
 * nothing is left there if either side dies.  door_create finds the mount
 * through $DOORFS (bench/run.sh sets it).
 */
#include "methods.h"

#include <door.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

static int door = -1;
static pid_t server = -1;

void door_echo_proc(void *cookie, char *argp, size_t size, door_desc_t *dp,
		    uint_t ndesc)
{
	(void)cookie, (void)dp, (void)ndesc;
	door_return(argp, size, NULL, 0);
}

static int send_fd(int sock, int fd)
{
	char byte = 'd';
	struct iovec iov = { &byte, 1 };
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(sizeof(int))];
	} control;
	memset(&control, 0, sizeof(control));
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = control.buf, .msg_controllen = sizeof(control.buf),
	};
	struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &fd, sizeof(int));
	return sendmsg(sock, &msg, 0) == 1 ? 0 : -1;
}

/* The descriptor the child sent, or -1 when it sent none (it failed). */
static int receive_fd(int sock)
{
	char byte;
	struct iovec iov = { &byte, 1 };
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(sizeof(int))];
	} control;
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = control.buf, .msg_controllen = sizeof(control.buf),
	};
	if (recvmsg(sock, &msg, MSG_CMSG_CLOEXEC) != 1)
		return -1;
	struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
	if (!c || c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
		return -1;
	int fd;
	memcpy(&fd, CMSG_DATA(c), sizeof(int));
	return fd;
}

static void serve(int sock)
{
	int d = door_create(door_echo_proc, NULL, 0);
	if (d < 0) {
		perror("doorbench: door: door_create (is $DOORFS a doorfs "
		       "mount? bench/run.sh makes one)");
		_exit(1);
	}
	if (send_fd(sock, d) < 0)
		_exit(1);
	close(sock);
	/* The pool threads serve the door; this thread only waits to die. */
	for (;;)
		pause();
}

int door_echo_server(pid_t *pid)
{
	int sv[2], fd = -1;
	*pid = -1;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) {
		perror("doorbench: door: socketpair");
		return -1;
	}
	*pid = server_fork();
	if (*pid == 0) {
		close(sv[0]);
		serve(sv[1]);
	}
	close(sv[1]);
	if (*pid >= 0)
		fd = receive_fd(sv[0]);
	close(sv[0]);
	if (fd < 0) {
		fprintf(stderr, "doorbench: door: the server did not "
			"create a door\n");
		server_stop(*pid);
		*pid = -1;
	}
	return fd;
}

static void door_teardown(void)
{
	if (door >= 0)
		close(door);
	door = -1;
	server_stop(server);
	server = -1;
}

static int door_setup(size_t payload, int pinned)
{
	(void)payload, (void)pinned;
	door = door_echo_server(&server);
	return door < 0 ? -1 : 0;
}

static ssize_t door_round_trip(const void *arg, void *reply, size_t payload)
{
	door_arg_t params = {
		.data_ptr = (char *)arg, .data_size = payload,
		.rbuf = reply, .rsize = payload,
	};
	if (door_call(door, &params) < 0) {
		perror("doorbench: door: door_call");
		return -1;
	}
	/* A result that did not fit in rbuf comes in a fresh mapping. */
	size_t got = params.data_size <= payload ? params.data_size : payload;
	if (params.data_ptr != reply && got)
		memmove(reply, params.data_ptr, got);
	if (params.rbuf != reply)
		munmap(params.rbuf, params.rsize);
	return (ssize_t)params.data_size;
}

const struct bench_method method_door = {
	.name = "door",
	.what = "libdoor door_call to an echoing door in a forked child",
	.setup = door_setup,
	.round_trip = door_round_trip,
	.teardown = door_teardown,
};
