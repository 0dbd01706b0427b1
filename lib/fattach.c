/*
 * fattach.c: giving a door a name (fattach) and taking it away (fdetach).
 *
 * Inside a doorfs mount the daemon does it: the name is switched to open
 * the door, keeping its own mode and owner (DOORFS_IOC_ATTACH), and
 * switched back by fdetach.  Anywhere else there is no daemon to ask, so
 * a privileged caller gets what Solaris namefs does: the door's file is
 * bind-mounted over the path, and fdetach unmounts it.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "libdoor.h"

#define FUSE_SUPER_MAGIC 0x65735546

/* Whether path's directory is on a FUSE mount (doorfs answers our ioctls). */
static int parent_on_fuse(const char *path, bool *inside)
{
	char copy[PATH_MAX];
	if (strlen(path) >= sizeof(copy))
		return ENAMETOOLONG;
	strcpy(copy, path);
	int dir = open(dirname(copy), O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (dir < 0)
		return errno;
	struct statfs sfs;
	*inside = fstatfs(dir, &sfs) == 0 && sfs.f_type == FUSE_SUPER_MAGIC;
	close(dir);
	return 0;
}

/* Whether path is itself a mount point (a door bind-mounted there). */
static bool is_mount_point(const char *path)
{
	char *real = realpath(path, NULL);
	FILE *f = real ? fopen("/proc/self/mountinfo", "re") : NULL;
	char *line = NULL;
	size_t cap = 0;
	bool found = false;
	while (f && getline(&line, &cap, f) > 0) {
		char mnt[PATH_MAX];
		if (sscanf(line, "%*s %*s %*s %*s %4095s", mnt) == 1 &&
		    strcmp(mnt, real) == 0)
			found = true;
	}
	free(line);
	if (f)
		fclose(f);
	free(real);
	return found;
}

/* The door's server token: from fd if it is a server end, else ours. */
static int door_token(int fd, uint64_t *token)
{
	if (ioctl(fd, DOORFS_IOC_SERVER_TOKEN, token) == 0)
		return 0;
	struct ldoor *door = registry_find_fd(fd);
	if (!door)
		return EINVAL;          /* a door we cannot prove we serve */
	int err = ioctl(door->server_end, DOORFS_IOC_SERVER_TOKEN, token) < 0 ?
		EINVAL : 0;
	ldoor_unref(door);
	return err;
}

static int attach_inside(int fd, const char *path)
{
	struct doorfs_info info;
	struct doorfs_attach a = { .version = DOORFS_VERSION };
	if (ioctl(fd, DOORFS_IOC_INFO, &info) < 0)
		return EINVAL;
	int err = door_token(fd, &a.token);
	if (err)
		return err;
	a.door_id = info.id;

	int name = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (name < 0)
		return errno;
	err = ioctl(name, DOORFS_IOC_ATTACH, &a) < 0 ? errno : 0;
	close(name);
	return err == ENOTTY ? EINVAL : err;
}

static int attach_outside(int fd, const char *path)
{
	struct stat st;
	if (stat(path, &st) < 0)
		return errno;
	if (is_mount_point(path))
		return EBUSY;
	char source[64];
	snprintf(source, sizeof(source), "/proc/self/fd/%d", fd);
	if (mount(source, path, NULL, MS_BIND, NULL) < 0)
		return errno == EPERM || errno == EACCES ? EPERM : errno;
	return 0;
}

LIBDOOR_EXPORT int fattach(int fd, const char *path)
{
	if (fcntl(fd, F_GETFD) < 0) {
		errno = EBADF;
		return -1;
	}
	if (!doorfs_fd_is_door(fd)) {
		errno = EINVAL;         /* neither a door nor a stream */
		return -1;
	}
	bool inside;
	int err = parent_on_fuse(path, &inside);
	if (!err)
		err = inside ? attach_inside(fd, path) : attach_outside(fd, path);
	if (err) {
		errno = err;
		return -1;
	}
	return 0;
}

LIBDOOR_EXPORT int fdetach(const char *path)
{
	struct stat st;
	if (stat(path, &st) < 0)
		return -1;              /* ENOENT, ENOTDIR, ELOOP, ... */
	int err;
	if (is_mount_point(path)) {
		err = umount2(path, UMOUNT_NOFOLLOW) < 0 ?
			(errno == EPERM ? EPERM : errno) : 0;
	} else {
		int name = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
		if (name < 0)
			return -1;
		err = ioctl(name, DOORFS_IOC_DETACH) < 0 ? errno : 0;
		if (err == ENOTTY)
			err = EINVAL;   /* not a doorfs name: nothing attached */
		close(name);
	}
	if (err) {
		errno = err;
		return -1;
	}
	return 0;
}
