/*
 * mount.c: where doors live.
 *
 * A door descriptor is an open file on a doorfs mount.  libdoor finds the
 * mount from $DOORFS (a directory on a doorfs mount), else the daemon's
 * default mount points: /run/doors (the system-wide one) and then
 * $XDG_RUNTIME_DIR/doors (a user's private one).  door_create fails with
 * ENOENT when none is reachable: start doorfsd, or point DOORFS at a
 * directory on a mount (see docs/LIBDOOR.md).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "libdoor.h"

#define FUSE_SUPER_MAGIC 0x65735546

bool doorfs_fd_is_door(int fd)
{
	struct statfs sfs;
	if (fstatfs(fd, &sfs) < 0 || sfs.f_type != FUSE_SUPER_MAGIC)
		return false;
	/* Another FUSE filesystem would not know this ioctl. */
	struct doorfs_params params;
	return ioctl(fd, DOORFS_IOC_PARAMS, &params) == 0;
}

/* Out of descriptors or memory: say so, not "no mount". */
static bool resource_error(int err)
{
	return err == EMFILE || err == ENFILE || err == ENOMEM;
}

/* 0 if dir is a directory on a doorfs mount, else why not. */
static int on_doorfs(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return resource_error(errno) ? errno : ENOENT;
	struct statfs sfs;
	bool fuse = fstatfs(fd, &sfs) == 0 && sfs.f_type == FUSE_SUPER_MAGIC;
	close(fd);
	if (!fuse)
		return ENOENT;

	/* A FUSE mount: is it doorfs?  mountinfo names the type. */
	FILE *f = fopen("/proc/self/mountinfo", "re");
	char *real = f ? realpath(dir, NULL) : NULL;
	if (!real) {
		int err = resource_error(errno) ? errno : ENOENT;
		if (f)
			fclose(f);
		return err;
	}
	char *line = NULL;
	size_t cap = 0;
	bool found = false;
	while (getline(&line, &cap, f) > 0) {
		char mnt[4096], type[64];
		/* id parent major:minor root mountpoint options... - type ... */
		const char *sep = strstr(line, " - ");
		if (!sep || sscanf(line, "%*s %*s %*s %*s %4095s", mnt) != 1 ||
		    sscanf(sep + 3, "%63s", type) != 1)
			continue;
		size_t len = strlen(mnt);
		if (strcmp(type, DOORFS_FSTYPE) == 0 &&
		    strncmp(real, mnt, len) == 0 &&
		    (real[len] == '/' || real[len] == '\0' || len == 1))
			found = true;
	}
	free(line);
	free(real);
	fclose(f);
	return found ? 0 : ENOENT;
}

static int find_mount(char *dir, size_t len)
{
	const char *env = getenv("DOORFS");
	if (env && *env) {
		int err = on_doorfs(env);
		if (!err)
			snprintf(dir, len, "%s", env);
		return err;
	}
	int err = on_doorfs("/run/doors");
	if (err != ENOENT) {
		if (!err)
			snprintf(dir, len, "/run/doors");
		return err;
	}
	const char *runtime = getenv("XDG_RUNTIME_DIR");
	if (runtime && *runtime) {
		snprintf(dir, len, "%s/doors", runtime);
		return on_doorfs(dir);
	}
	return ENOENT;
}

/*
 * A door made by door_create has no name until fattach gives it one, so
 * its file is created under a unique name and removed at once; the open
 * descriptor keeps it alive.
 */
int doorfs_new_door_file(int *fd)
{
	char dir[4096], path[4200];
	int err = find_mount(dir, sizeof(dir));
	if (err)
		return err;

	uint64_t nonce;
	if (getrandom(&nonce, sizeof(nonce), 0) != sizeof(nonce))
		nonce = (uint64_t)getpid() << 32 ^ (uint64_t)(uintptr_t)&nonce;
	snprintf(path, sizeof(path), "%s/.door-%d-%016llx", dir, (int)getpid(),
		 (unsigned long long)nonce);
	int d = open(path, O_CREAT | O_EXCL | O_RDWR | O_CLOEXEC, 0600);
	if (d < 0)
		return errno;
	unlink(path);
	*fd = d;
	return 0;
}

/*
 * The mountinfo line of a doorfs mount: of the whole mount on device dev
 * (whole = its root is "/"), or of the bind mount at path (a door that
 * fattach mounted there).  Copies its mount point or root into out.
 */
static bool mountinfo_find(dev_t dev, const char *path, char *out,
			   size_t len)
{
	FILE *f = fopen("/proc/self/mountinfo", "re");
	if (!f)
		return false;
	char *line = NULL;
	size_t cap = 0;
	bool found = false;
	while (!found && getline(&line, &cap, f) > 0) {
		unsigned major, minor;
		char root[4096], mnt[4096], type[64];
		const char *sep = strstr(line, " - ");
		if (!sep || sscanf(line, "%*s %*s %u:%u %4095s %4095s", &major,
				   &minor, root, mnt) != 4 ||
		    sscanf(sep + 3, "%63s", type) != 1 ||
		    strcmp(type, DOORFS_FSTYPE) != 0)
			continue;
		if (path) {
			found = strcmp(mnt, path) == 0 && strcmp(root, "/") != 0;
			if (found)
				snprintf(out, len, "%s", root);
		} else {
			found = makedev(major, minor) == dev &&
				strcmp(root, "/") == 0;
			if (found)
				snprintf(out, len, "%s", mnt);
		}
	}
	free(line);
	fclose(f);
	return found;
}

bool doorfs_mount_of(dev_t dev, char *dir, size_t len)
{
	return mountinfo_find(dev, NULL, dir, len);
}

bool doorfs_bind_root(const char *path, char *root, size_t len)
{
	char *real = realpath(path, NULL);
	bool found = real && mountinfo_find(0, real, root, len);
	free(real);
	return found;
}
