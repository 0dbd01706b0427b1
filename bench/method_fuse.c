/*
 * method_fuse.c: the raw FUSE baseline.  fuse-rw and fuse-ioctl call the
 * echo file of rawfuse (bench/rawfuse.c) exactly as the file-plane
 * methods call a door (file_call.c), so the difference between the two
 * is what doorfsd and the door's server add to FUSE itself.
 *
 * Each setup mounts a fresh rawfuse on a private mktemp directory.
 * rawfuse is a server child (it dies with doorbench) running in the
 * foreground, and says on a pipe when it has mounted.  The program is
 * $RAWFUSE, else "rawfuse" beside doorbench.  The mount point is a
 * leftover (measure.h): an interrupted run detaches and removes it.
 */
#include "methods.h"

#include "file_call.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum {
	/* rawfuse unmounts itself on SIGTERM within milliseconds. */
	STOP_WAIT_STEPS = 100,
	STOP_WAIT_STEP_US = 10 * 1000,
};

static pid_t server = -1;
static char mountpoint[PATH_MAX];

/* The rawfuse program into path; 0, or -1 after printing why. */
static int find_rawfuse(char *path, size_t len)
{
	const char *given = getenv("RAWFUSE");
	int n;
	if (given && *given) {
		n = snprintf(path, len, "%s", given);
	} else {
		char self[PATH_MAX];
		ssize_t got = readlink("/proc/self/exe", self,
				       sizeof(self) - 1);
		if (got < 0) {
			perror("doorbench: fuse: /proc/self/exe");
			return -1;
		}
		self[got] = '\0';
		char *slash = strrchr(self, '/');
		*slash = '\0';		/* an absolute path has one */
		n = snprintf(path, len, "%s/rawfuse", self);
	}
	if (n < 0 || (size_t)n >= len) {
		fprintf(stderr, "doorbench: fuse: the path of rawfuse is too "
			"long\n");
		return -1;
	}
	if (access(path, X_OK) < 0) {
		fprintf(stderr, "doorbench: fuse: %s: %s (build bench/rawfuse, "
			"or set $RAWFUSE)\n", path, strerror(errno));
		return -1;
	}
	return 0;
}

static void exec_rawfuse(int ready, const void *rawfuse)
{
	const char *path = rawfuse;
	char ready_opt[32];
	snprintf(ready_opt, sizeof(ready_opt), "--ready-fd=%d", ready);
	/* The write end goes to rawfuse; everything else closes on exec. */
	if (fcntl(ready, F_SETFD, 0) == 0)
		execl(path, "rawfuse", "-f", ready_opt, mountpoint,
		      (char *)NULL);
	fprintf(stderr, "doorbench: fuse: %s: %s\n", path, strerror(errno));
	_exit(127);
}

/*
 * SIGTERM lets rawfuse unmount itself, as it could without root; one
 * that does not go soon is killed, and leftover_remove() detaches its
 * mount.
 */
static void stop_rawfuse(void)
{
	kill(server, SIGTERM);
	for (int i = 0; i < STOP_WAIT_STEPS; i++) {
		if (server_died(server))
			return;
		usleep(STOP_WAIT_STEP_US);
	}
	server_stop(server);
}

static void fuse_teardown(void)
{
	file_call_close();
	if (server > 0)
		stop_rawfuse();
	server = -1;
	if (mountpoint[0])
		leftover_remove(mountpoint);
	mountpoint[0] = '\0';
}

static int fuse_setup(size_t payload, int pinned)
{
	(void)payload, (void)pinned;
	char rawfuse[PATH_MAX];
	if (find_rawfuse(rawfuse, sizeof(rawfuse)) < 0)
		return -1;
	const char *tmp = getenv("TMPDIR");
	if (!tmp || !*tmp)
		tmp = "/tmp";
	int n = snprintf(mountpoint, sizeof(mountpoint),
			 "%s/doorbench-fuse.XXXXXX", tmp);
	errno = ENAMETOOLONG;	/* (size_t)n: a failed snprintf too */
	if ((size_t)n >= sizeof(mountpoint) || !mkdtemp(mountpoint)) {
		fprintf(stderr, "doorbench: fuse: cannot make a mount point "
			"in %s: %s\n", tmp, strerror(errno));
		mountpoint[0] = '\0';
		return -1;
	}
	if (leftover_add(mountpoint, LEFTOVER_MOUNT) < 0) {
		rmdir(mountpoint);
		mountpoint[0] = '\0';
		return -1;
	}
	server = server_start(exec_rawfuse, rawfuse, "fuse");
	if (server < 0) {
		fuse_teardown();
		return -1;
	}
	char echo[PATH_MAX + 8];
	snprintf(echo, sizeof(echo), "%s/echo", mountpoint);
	if (file_call_open(echo) < 0) {
		fuse_teardown();
		return -1;
	}
	return 0;
}

const struct bench_method method_fuse_rw = {
	.name = "fuse-rw",
	.what = "write+read on a raw FUSE file system's echo file (rawfuse)",
	.setup = fuse_setup,
	.round_trip = file_call_rw,
	.teardown = fuse_teardown,
};

const struct bench_method method_fuse_ioctl = {
	.name = "fuse-ioctl",
	.what = "one ioctl shaped as DOORFS_IOC_CALL on rawfuse's echo file",
	.max_payload = FILE_CALL_IOCTL_MAX,
	.setup = fuse_setup,
	.round_trip = file_call_ioctl,
	.teardown = fuse_teardown,
};
