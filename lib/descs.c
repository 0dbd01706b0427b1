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
		return EBADF;
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

int descs_send(int sock, uint64_t seq, const door_desc_t *descs, uint_t n)
{
	for (uint_t done = 0; done < n;) {
		uint_t count = n - done < DOORFS_DESCS_BATCH ?
			n - done : DOORFS_DESCS_BATCH;
		int fds[DOORFS_DESCS_BATCH];
		bool fresh[DOORFS_DESCS_BATCH];
		int err = 0;
		uint_t ready = 0;
		for (; ready < count && !err; ready++)
			err = sendable(descs[done + ready].d_data.d_desc.d_descriptor,
				       &fds[ready], &fresh[ready]);
		if (err)
			ready--;        /* the failed one opened nothing */

		struct doorfs_descs head = {
			.version = DOORFS_VERSION, .count = count, .seq = seq,
		};
		struct iovec iov = { &head, sizeof(head) };
		union {
			struct cmsghdr align;
			char buf[CMSG_SPACE(sizeof(fds))];
		} ctl;
		struct msghdr msg = {
			.msg_iov = &iov, .msg_iovlen = 1,
			.msg_control = ctl.buf,
			.msg_controllen = CMSG_SPACE(count * sizeof(int)),
		};
		struct cmsghdr *cm = CMSG_FIRSTHDR(&msg);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(count * sizeof(int));
		memcpy(CMSG_DATA(cm), fds, count * sizeof(int));
		if (!err && sendmsg(sock, &msg, MSG_NOSIGNAL) < 0)
			err = errno == EBADF ? EBADF :
			      errno == ETOOMANYREFS ? EMFILE : EINVAL;
		/* In flight the kernel holds them: ours can go. */
		for (uint_t i = 0; i < ready; i++)
			if (fresh[i])
				close(fds[i]);
		if (err)
			return err;
		done += count;
	}
	return 0;
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
		struct iovec iov = { &head, sizeof(head) };
		union {
			struct cmsghdr align;
			char buf[CMSG_SPACE(DOORFS_DESCS_BATCH * sizeof(int))];
		} ctl;
		struct msghdr msg = {
			.msg_iov = &iov, .msg_iovlen = 1,
			.msg_control = ctl.buf, .msg_controllen = sizeof(ctl.buf),
		};
		ssize_t r;
		do
			r = recvmsg(sock, &msg, 0);
		while (r < 0 && errno == EINTR);
		struct cmsghdr *cm = r > 0 ? CMSG_FIRSTHDR(&msg) : NULL;
		if (!cm || cm->cmsg_type != SCM_RIGHTS) {
			err = EPROTO;
			break;
		}
		uint_t count = (uint_t)((cm->cmsg_len - CMSG_LEN(0)) / sizeof(int));
		int fds[DOORFS_DESCS_BATCH];
		memcpy(fds, CMSG_DATA(cm), count * sizeof(int));
		if (r != sizeof(head) || head.seq != seq || head.count != count ||
		    (msg.msg_flags & MSG_CTRUNC) || got + count > n) {
			for (uint_t i = 0; i < count; i++)
				close(fds[i]);
			err = EPROTO;
			break;
		}
		for (uint_t i = 0; i < count; i++)
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
