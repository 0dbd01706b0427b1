/*
 * descs.c: passing descriptors in door calls and replies.
 *
 * Descriptors travel beside the slot, on the connection's socket, as
 * SCM_RIGHTS: the kernel duplicates them into the receiver, so what
 * arrives is always an open file the sender really held.  The receiver
 * describes each one itself (illumos: DOOR_DESCRIPTOR, and for a door
 * its attributes, DOOR_LOCAL when the receiver created it, and its id);
 * nothing the sender claims about them is believed.  Received
 * descriptors are not close-on-exec, as on illumos.
 *
 * A door is never sent as it is: SCM_RIGHTS would share the sender's
 * open file, so the daemon would not count the receiver's reference
 * (DOOR_UNREF), and door_create's descriptor would hand the receiver a
 * server end.  The sender opens the door afresh, a client end, and sends
 * that.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "libdoor.h"

/*
 * What to send for fd: itself, or for a door a fresh client end (*fresh
 * says so).  A server end that cannot be reopened is not sent at all.
 */
static int sendable(int fd, int *out, bool *fresh)
{
	*out = fd;
	*fresh = false;
	if (fcntl(fd, F_GETFD) < 0)
		return EINVAL;          /* illumos: a bad descriptor to pass */
	if (!doorfs_fd_is_door(fd))
		return 0;
	char path[64];
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	int reopened = open(path, O_RDONLY | O_CLOEXEC);
	if (reopened >= 0) {
		*out = reopened;
		*fresh = true;
		return 0;
	}
	uint64_t token;
	return ioctl(fd, DOORFS_IOC_SERVER_TOKEN, &token) == 0 ? EINVAL : 0;
}

/*
 * Every descriptor is made ready before the first is sent, so a bad one
 * fails the call with nothing on the socket; a failure after that (the
 * peer gone, or full) leaves the connection unusable, and the caller
 * drops it.
 */
int descs_send(int sock, uint64_t seq, const door_desc_t *descs, uint_t n)
{
	int *fds = calloc(n, sizeof(*fds));
	bool *fresh = calloc(n, sizeof(*fresh));
	int err = fds && fresh ? 0 : ENOMEM;
	uint_t ready = 0;
	for (; ready < n && !err; ready++)
		err = sendable(descs[ready].d_data.d_desc.d_descriptor,
			       &fds[ready], &fresh[ready]);
	for (uint_t done = 0; done < n && !err;) {
		uint_t count = n - done < DOORFS_DESCS_BATCH ?
			n - done : DOORFS_DESCS_BATCH;
		struct doorfs_descs head = {
			.version = DOORFS_VERSION, .count = count, .seq = seq,
		};
		err = wire_send(sock, &head, sizeof(head), fds + done, count);
		if (err)
			err = err == ETOOMANYREFS ? EMFILE : EBADF;
		done += count;
	}
	/* In flight the kernel holds them: the ones we opened can go. */
	for (uint_t i = 0; i < ready && fds && fresh; i++)
		if (fresh[i])
			close(fds[i]);
	free(fds);
	free(fresh);
	return err;
}

/* What illumos tells a receiver about a descriptor it was given. */
static void describe(door_desc_t *d, int fd)
{
	memset(d, 0, sizeof(*d));
	d->d_attributes = DOOR_DESCRIPTOR;
	d->d_data.d_desc.d_descriptor = fd;
	struct doorfs_info info;
	if (doorfs_fd_is_door(fd) && ioctl(fd, DOORFS_IOC_INFO, &info) == 0) {
		d->d_attributes |= info.attributes;
		d->d_data.d_desc.d_id = info.id;
	}
}

int descs_recv(int sock, uint64_t seq, uint_t n, door_desc_t *out)
{
	uint_t got = 0;
	int err = 0;
	while (got < n) {
		struct doorfs_descs head;
		int fds[DOORFS_DESCS_BATCH];
		unsigned count;
		/* Received descriptors are not close-on-exec, as on illumos. */
		err = wire_recv(sock, &head, sizeof(head), fds,
				DOORFS_DESCS_BATCH, &count, 0);
		if (!err && (head.version != DOORFS_VERSION || head.seq != seq ||
			     head.count != count || got + count > n)) {
			for (unsigned i = 0; i < count; i++)
				close(fds[i]);
			err = EPROTO;
		}
		if (err)
			break;
		for (unsigned i = 0; i < count; i++)
			describe(&out[got + i], fds[i]);
		got += count;
	}
	if (err)
		descs_close(out, got);
	return err;
}

void descs_close(const door_desc_t *descs, uint_t n)
{
	for (uint_t i = 0; i < n; i++)
		close(descs[i].d_data.d_desc.d_descriptor);
}

void descs_release(const door_desc_t *descs, uint_t n)
{
	for (uint_t i = 0; i < n; i++)
		if (descs[i].d_attributes & DOOR_RELEASE)
			close(descs[i].d_data.d_desc.d_descriptor);
}

int descs_check(const door_desc_t *descs, uint_t n)
{
	if (n > 1024)
		return E2BIG;
	if (n && !descs)
		return EFAULT;
	for (uint_t i = 0; i < n; i++)
		if (!(descs[i].d_attributes & DOOR_DESCRIPTOR))
			return EINVAL;
	return 0;
}
