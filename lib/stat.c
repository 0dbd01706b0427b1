/*
 * stat.c: doors look like doors to stat(2).
 *
 * The kernel lets a FUSE filesystem show only the usual file types, so a
 * door on doorfs is a regular file, and S_ISDOOR(st.st_mode) after stat
 * or fstat, which illumos programs use to check a door's name, could
 * never be true.  libdoor therefore provides stat, fstat, lstat and
 * fstatat (and their 64-bit names): each calls the C library's and then,
 * for a regular file on a doorfs mount (every one there is a door),
 * reports S_IFDOOR.  Only programs linked with libdoor see this; to the
 * kernel and every other program a door stays a regular file.
 *
 * A program linked with -ldoor finds these before the C library's,
 * because the dynamic linker searches libdoor first.
 */
#include <dlfcn.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "libdoor.h"

typedef int fstatat_fn(int, const char *, struct stat *, int);
typedef int fstat_fn(int, struct stat *);

static fstatat_fn *libc_fstatat;
static fstat_fn *libc_fstat_fn;
static pthread_once_t libc_once = PTHREAD_ONCE_INIT;

static void find_libc(void)
{
	libc_fstatat = (fstatat_fn *)dlsym(RTLD_NEXT, "fstatat");
	libc_fstat_fn = (fstat_fn *)dlsym(RTLD_NEXT, "fstat");
}

/*
 * Which devices are doorfs mounts, learnt from mountinfo once per device
 * and remembered (a program stats files on few filesystems).
 */
#define KNOWN_DEVICES 32

static struct {
	dev_t dev;
	bool doorfs;
} known[KNOWN_DEVICES];
static unsigned nknown;
static pthread_mutex_t known_lock = PTHREAD_MUTEX_INITIALIZER;

/* Held across fork, so the child never inherits it locked (server.c). */
static void lock_for_fork(void)
{
	pthread_mutex_lock(&known_lock);
}

static void unlock_after_fork(void)
{
	pthread_mutex_unlock(&known_lock);
}

__attribute__((constructor)) static void stat_fork_handlers(void)
{
	pthread_atfork(lock_for_fork, unlock_after_fork, unlock_after_fork);
}

static bool mountinfo_says_doorfs(dev_t dev)
{
	FILE *f = fopen("/proc/self/mountinfo", "re");
	if (!f)
		return false;
	char line[4096];
	bool doorfs = false;
	while (fgets(line, sizeof(line), f)) {
		unsigned major, minor;
		char type[64];
		const char *sep = strstr(line, " - ");
		if (sep && sscanf(line, "%*s %*s %u:%u", &major, &minor) == 2 &&
		    makedev(major, minor) == dev &&
		    sscanf(sep + 3, "%63s", type) == 1) {
			doorfs = strcmp(type, DOORFS_FSTYPE) == 0;
			break;
		}
	}
	fclose(f);
	return doorfs;
}

static bool on_doorfs(dev_t dev)
{
	pthread_mutex_lock(&known_lock);
	for (unsigned i = 0; i < nknown; i++) {
		if (known[i].dev == dev) {
			bool doorfs = known[i].doorfs;
			pthread_mutex_unlock(&known_lock);
			return doorfs;
		}
	}
	pthread_mutex_unlock(&known_lock);

	bool doorfs = mountinfo_says_doorfs(dev);
	pthread_mutex_lock(&known_lock);
	if (nknown < KNOWN_DEVICES) {
		known[nknown].dev = dev;
		known[nknown].doorfs = doorfs;
		nknown++;
	}
	pthread_mutex_unlock(&known_lock);
	return doorfs;
}

static int as_door(int ret, struct stat *st)
{
	if (ret == 0 && S_ISREG(st->st_mode) && on_doorfs(st->st_dev))
		st->st_mode = (st->st_mode & ~S_IFMT) | S_IFDOOR;
	return ret;
}

LIBDOOR_EXPORT int fstatat(int dirfd, const char *path, struct stat *st,
			   int flags)
{
	pthread_once(&libc_once, find_libc);
	return as_door(libc_fstatat(dirfd, path, st, flags), st);
}

/*
 * glibc's fstat is fstatat(fd, "", AT_EMPTY_PATH), which costs about
 * 60 ns more than the fstat system call itself (445 against 386 ns on
 * our 2-CPU VM), and door_call pays it on every call.  The system call
 * fills the C library's struct stat only where the two layouts are one.
 */
int libc_fstat(int fd, struct stat *st)
{
#if defined(__x86_64__) && !defined(__ILP32__) && defined(SYS_fstat)
	return (int)syscall(SYS_fstat, fd, st);
#else
	pthread_once(&libc_once, find_libc);
	return libc_fstat_fn(fd, st);
#endif
}

LIBDOOR_EXPORT int fstat(int fd, struct stat *st)
{
	return as_door(libc_fstat(fd, st), st);
}

LIBDOOR_EXPORT int stat(const char *path, struct stat *st)
{
	return fstatat(AT_FDCWD, path, st, 0);
}

LIBDOOR_EXPORT int lstat(const char *path, struct stat *st)
{
	return fstatat(AT_FDCWD, path, st, AT_SYMLINK_NOFOLLOW);
}

/* On 64-bit Linux the 64-bit names are the same calls. */
LIBDOOR_EXPORT int fstatat64(int dirfd, const char *path, struct stat64 *st,
			     int flags)
{
	return fstatat(dirfd, path, (struct stat *)st, flags);
}

LIBDOOR_EXPORT int fstat64(int fd, struct stat64 *st)
{
	return fstat(fd, (struct stat *)st);
}

LIBDOOR_EXPORT int stat64(const char *path, struct stat64 *st)
{
	return fstatat(AT_FDCWD, path, (struct stat *)st, 0);
}

LIBDOOR_EXPORT int lstat64(const char *path, struct stat64 *st)
{
	return fstatat(AT_FDCWD, path, (struct stat *)st, AT_SYMLINK_NOFOLLOW);
}
