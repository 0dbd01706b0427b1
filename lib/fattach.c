/*
 * fattach.c: giving a door a name (fattach) and taking it away (fdetach).
 *
 * Inside a doorfs mount the daemon does it: the name is switched to open
 * the door, keeping its own mode and owner (DOORFS_IOC_ATTACH), and
 * switched back by fdetach.  Anywhere else there is no daemon to ask, so
 * a privileged caller gets what Solaris namefs does: the door is given a
 * hidden name in its own mount, with the path's mode and owner, and that
 * name is bind-mounted over the path (the kernel bind-mounts only named
 * files, and door_create's door has no name); fdetach unmounts it and
 * removes the hidden name.
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
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "libdoor.h"

/*
 * Where path is: inside the door's own mount (*rel is then its name
 * relative to the mount's root), or elsewhere (*rel is empty).
 */
static int locate(int fd, const char *path, char *rel, size_t len)
{
	char copy[PATH_MAX], base[PATH_MAX], mnt[PATH_MAX];
	if (strlen(path) >= sizeof(copy))
		return ENAMETOOLONG;
	strcpy(copy, path);
	strcpy(base, basename(copy));
	strcpy(copy, path);
	char *dir = realpath(dirname(copy), NULL);
	if (!dir)
		return errno;
	struct stat door, where;
	int err = 0;
	rel[0] = '\0';
	if (libc_fstat(fd, &door) < 0 || stat(dir, &where) < 0) {
		err = errno;
	} else if (where.st_dev == door.st_dev &&
		   doorfs_mount_of(door.st_dev, mnt, sizeof(mnt))) {
		size_t n = strlen(mnt);
		const char *inner = strncmp(dir, mnt, n) == 0 ? dir + n : dir;
		if ((size_t)snprintf(rel, len, "%s/%s", inner, base) >= len)
			err = ENAMETOOLONG;
	}
	free(dir);
	return err;
}

/* Name the door inside its mount: the daemon does it, on the door's fd. */
static int attach_inside(int fd, const char *rel)
{
	struct doorfs_attach a = { .version = DOORFS_VERSION };
	snprintf(a.path, sizeof(a.path), "%s", rel);
	int err = ioctl(fd, DOORFS_IOC_ATTACH, &a) < 0 ? errno : 0;
	return err == ENOTTY ? EINVAL : err;
}

/* Detach and remove a hidden name made by attach_outside. */
static void remove_hidden_name(const char *name)
{
	int fd = open(name, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd >= 0) {
		ioctl(fd, DOORFS_IOC_DETACH);
		close(fd);
	}
	unlink(name);
}

static int attach_outside(int fd, const char *path)
{
	struct stat where, door;
	char mnt[PATH_MAX], root[PATH_MAX], name[PATH_MAX + 64];
	if (stat(path, &where) < 0)
		return errno;
	if (geteuid() != 0)
		return EPERM;           /* mounting takes privilege */
	if (doorfs_bind_root(path, root, sizeof(root)))
		return EBUSY;
	if (libc_fstat(fd, &door) < 0 ||
	    !doorfs_mount_of(door.st_dev, mnt, sizeof(mnt)))
		return EINVAL;

	uint64_t nonce;
	if (getrandom(&nonce, sizeof(nonce), 0) != sizeof(nonce))
		nonce = (uint64_t)getpid() << 32 ^ (uint64_t)(uintptr_t)&nonce;
	snprintf(name, sizeof(name), "%s/.fattach-%016llx", mnt,
		 (unsigned long long)nonce);
	int made = open(name, O_CREAT | O_EXCL | O_RDWR | O_CLOEXEC, 0600);
	if (made < 0)
		return errno;
	close(made);
	int err = attach_inside(fd, name + strlen(mnt));
	/* The door shows the path's mode and owner, as namefs has it. */
	if (!err && (chmod(name, where.st_mode & 07777) < 0 ||
		     chown(name, where.st_uid, where.st_gid) < 0))
		err = errno;
	if (!err && mount(name, path, NULL, MS_BIND, NULL) < 0)
		err = errno == EACCES ? EPERM : errno;
	if (err)
		remove_hidden_name(name);
	return err;
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
	char rel[DOORFS_ATTACH_PATH_MAX];
	int err = locate(fd, path, rel, sizeof(rel));
	if (!err)
		err = rel[0] ? attach_inside(fd, rel) : attach_outside(fd, path);
	if (err) {
		errno = err;
		return -1;
	}
	return 0;
}

static int detach_outside(const char *path, const char *root)
{
	struct stat st;
	char mnt[PATH_MAX], name[2 * PATH_MAX];
	if (stat(path, &st) < 0)
		return errno;
	bool named = doorfs_mount_of(st.st_dev, mnt, sizeof(mnt));
	/* Lazily: descriptors opened through the name keep working. */
	if (umount2(path, MNT_DETACH | UMOUNT_NOFOLLOW) < 0)
		return errno == EPERM || errno == EACCES ? EPERM : errno;
	if (named) {
		snprintf(name, sizeof(name), "%s%s", mnt, root);
		remove_hidden_name(name);
	}
	return 0;
}

LIBDOOR_EXPORT int fdetach(const char *path)
{
	struct stat st;
	char root[PATH_MAX];
	if (stat(path, &st) < 0)
		return -1;              /* ENOENT, ENOTDIR, ELOOP, ... */
	int err;
	if (doorfs_bind_root(path, root, sizeof(root))) {
		err = detach_outside(path, root);
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
