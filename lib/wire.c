/*
 * wire.c: messages with descriptors on a fast-plane socket, and the
 * sealed memfds that carry bulk data.
 *
 * Every message is one fixed-size header (doorfs.h) and, as SCM_RIGHTS,
 * up to DOORFS_DESCS_BATCH descriptors.  On a SOCK_SEQPACKET socket a
 * message arrives whole or not at all, so a short or truncated one is a
 * protocol error, never a partial read to resume.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include "wire.h"

int wire_send(int sock, const void *head, size_t len, const int *fds,
	      unsigned nfds)
{
	struct iovec iov = { (void *)head, len };
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(DOORFS_DESCS_BATCH * sizeof(int))];
	} ctl;
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
	if (nfds > DOORFS_DESCS_BATCH)
		return EINVAL;
	if (nfds) {
		msg.msg_control = ctl.buf;
		msg.msg_controllen = CMSG_SPACE(nfds * sizeof(int));
		struct cmsghdr *cm = CMSG_FIRSTHDR(&msg);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(nfds * sizeof(int));
		memcpy(CMSG_DATA(cm), fds, nfds * sizeof(int));
	}
	ssize_t n;
	do
		n = sendmsg(sock, &msg, MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	return n < 0 ? errno : 0;
}

int wire_recv(int sock, void *head, size_t len, int *fds, unsigned max_fds,
	      unsigned *nfds, int flags)
{
	struct iovec iov = { head, len };
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(DOORFS_DESCS_BATCH * sizeof(int))];
	} ctl;
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = ctl.buf, .msg_controllen = sizeof(ctl.buf),
	};
	ssize_t n;
	do
		n = recvmsg(sock, &msg, flags);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return errno;

	/*
	 * Take every descriptor that came, so none leaks on an error.  The
	 * kernel truncates the descriptors (MSG_CTRUNC) when the receiver
	 * has no room for them: that is EMFILE, as illumos says it.
	 */
	unsigned got = 0;
	int err = (size_t)n != len || (msg.msg_flags & MSG_TRUNC) ? EPROTO :
		  (msg.msg_flags & MSG_CTRUNC) ? EMFILE : 0;
	for (struct cmsghdr *cm = CMSG_FIRSTHDR(&msg); cm;
	     cm = CMSG_NXTHDR(&msg, cm)) {
		if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS)
			continue;
		unsigned k = (unsigned)((cm->cmsg_len - CMSG_LEN(0)) / sizeof(int));
		for (unsigned i = 0; i < k; i++) {
			int fd;
			memcpy(&fd, CMSG_DATA(cm) + i * sizeof(int), sizeof(int));
			if (got < max_fds)
				fds[got++] = fd;
			else {
				close(fd);
				err = EPROTO;
			}
		}
	}
	if (err) {
		for (unsigned i = 0; i < got; i++)
			close(fds[i]);
		got = 0;
	}
	*nfds = got;
	return err;
}

bool wire_is_eventfd(int fd)
{
	char path[64], target[64];
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	ssize_t n = readlink(path, target, sizeof(target) - 1);
	if (n < 0)
		return false;
	target[n] = '\0';
	return strcmp(target, "anon_inode:[eventfd]") == 0;
}

int bulk_make(const void *data, size_t size, int *out)
{
	int fd = memfd_create("door-bulk", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (fd < 0)
		return errno == EMFILE || errno == ENFILE ? errno : ENOMEM;
	int err = 0;
	const char *p = data;
	for (size_t done = 0; done < size && !err;) {
		ssize_t n = write(fd, p + done, size - done);
		if (n < 0)
			err = errno == EFAULT ? EFAULT : ENOMEM;
		else
			done += (size_t)n;
	}
	/* Sealed, the bytes can no longer change under their reader. */
	if (!err && fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW |
			  F_SEAL_WRITE | F_SEAL_SEAL) < 0)
		err = ENOMEM;
	if (err) {
		close(fd);
		return err;
	}
	*out = fd;
	return 0;
}

int bulk_send(int sock, uint64_t seq, const void *data, size_t size)
{
	int fd;
	int err = bulk_make(data, size, &fd);
	if (err)
		return err;
	struct doorfs_bulk bulk = {
		.version = DOORFS_VERSION, .seq = seq, .size = size,
	};
	err = wire_send(sock, &bulk, sizeof(bulk), &fd, 1);
	close(fd);
	return err;
}

int bulk_recv(int sock, uint64_t seq, uint64_t size, int flags, int *out)
{
	struct doorfs_bulk bulk;
	unsigned nfds;
	int fd;
	int err = wire_recv(sock, &bulk, sizeof(bulk), &fd, 1, &nfds, flags);
	if (err)
		return err;
	/* Trust only a sealed memfd at least as long as announced. */
	int seals = fcntl(fd, F_GET_SEALS);
	off_t len = lseek(fd, 0, SEEK_END);
	if (nfds != 1 || bulk.version != DOORFS_VERSION || bulk.seq != seq ||
	    bulk.size != size || seals < 0 ||
	    (seals & (F_SEAL_WRITE | F_SEAL_SHRINK)) !=
	    (F_SEAL_WRITE | F_SEAL_SHRINK) || len < 0 || (uint64_t)len < size) {
		if (nfds)
			close(fd);
		return EPROTO;
	}
	*out = fd;
	return 0;
}
