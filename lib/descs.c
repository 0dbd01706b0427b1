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
 */
#include <errno.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "libdoor.h"

int descs_send(int sock, uint64_t seq, const door_desc_t *descs, uint_t n)
{
	for (uint_t done = 0; done < n;) {
		uint_t count = n - done < DOORFS_DESCS_BATCH ?
			n - done : DOORFS_DESCS_BATCH;
		int fds[DOORFS_DESCS_BATCH];
		for (uint_t i = 0; i < count; i++)
			fds[i] = descs[done + i].d_data.d_desc.d_descriptor;

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
		if (sendmsg(sock, &msg, MSG_NOSIGNAL) < 0)
			return errno == EBADF ? EBADF :
			       errno == ETOOMANYREFS ? EMFILE : EINVAL;
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
