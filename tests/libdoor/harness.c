/*
 * harness.c: the mount, the children and the waits of check_libdoor.
 *
 * main() mounts a fresh doorfs with $DOORFSD (required: make check sets
 * it), exports its path as $DOORFS for libdoor, runs every suite with one
 * process per test, then unmounts, stops the daemon and removes what it
 * made, on every path out, a fatal signal included.
 *
 * main() itself never calls libdoor: each forked test must find libdoor
 * untouched, so that "the first door_create of a process" is the test's.
 */
#include "harness.h"

#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>

const char *harness_mount;

/* ------------------------------------------------------------------ */
/* The mount. */

#define MOUNT_WAIT_MS 10000
#define DAEMON_STOP_MS 5000

static char run_dir[PATH_MAX - 64];	/* mkdtemp'd, 0755 */
static char mount_dir[PATH_MAX];	/* run_dir/mnt */
static char log_path[PATH_MAX];		/* run_dir/doorfsd.log */
static char fusermount[PATH_MAX];	/* found before anything can fail */
static volatile pid_t daemon_pid = -1;

/* Undo "\040"-style escapes of /proc/self/mountinfo, in place. */
static void unescape_octal(char *s)
{
	char *out = s;

	while (*s) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '7' &&
		    s[2] >= '0' && s[2] <= '7' && s[3] >= '0' && s[3] <= '7') {
			*out++ = (char)((s[1] - '0') * 64 + (s[2] - '0') * 8 +
					(s[3] - '0'));
			s += 4;
		} else {
			*out++ = *s++;
		}
	}
	*out = '\0';
}

/* Whether mountinfo shows a doorfs mount on path (as the top mount). */
static bool doorfs_mounted_at(const char *path)
{
	FILE *f = fopen("/proc/self/mountinfo", "re");
	char line[4096];
	bool found = false;

	if (!f)
		return false;
	while (fgets(line, sizeof(line), f)) {
		/* ID PARENT MAJ:MIN ROOT POINT OPTIONS [TAGS...] - TYPE ... */
		char *sep = strstr(line, " - ");
		char *point, *fstype, *save = NULL;

		if (!sep)
			continue;
		*sep = '\0';
		point = strtok_r(line, " ", &save);
		for (int i = 0; point && i < 4; i++)
			point = strtok_r(NULL, " ", &save);
		fstype = strtok_r(sep + 3, " \n", &save);
		if (!point || !fstype)
			continue;
		unescape_octal(point);
		if (strcmp(point, path) == 0)
			found = strcmp(fstype, "fuse.doorfs") == 0;
	}
	fclose(f);
	return found;
}

static bool find_in_path(const char *name, char *out, size_t len)
{
	const char *path = getenv("PATH");
	char buf[PATH_MAX];

	if (!path || !*path)
		path = "/usr/local/bin:/usr/bin:/bin";
	while (*path) {
		size_t n = strcspn(path, ":");

		if (n > 0 && n + strlen(name) + 2 <= sizeof(buf)) {
			snprintf(buf, sizeof(buf), "%.*s/%s", (int)n, path, name);
			if (access(buf, X_OK) == 0 && strlen(buf) < len) {
				strcpy(out, buf);
				return true;
			}
		}
		path += n;
		if (*path == ':')
			path++;
	}
	return false;
}

/*
 * Unmount, stop the daemon, remove the run directory.  Only
 * async-signal-safe calls: the fatal-signal handler runs this too.
 */
static void mount_stop(void)
{
	pid_t pid;
	int status;

	if (mount_dir[0] && fusermount[0]) {
		pid = fork();
		if (pid == 0) {
			char *argv[] = { fusermount, "-u", "-z", mount_dir, NULL };
			char *envp[] = { "PATH=/usr/bin:/bin", NULL };
			int null = open("/dev/null", O_WRONLY);

			if (null >= 0) {
				dup2(null, 1);
				dup2(null, 2);
			}
			execve(fusermount, argv, envp);
			_exit(127);
		}
		if (pid > 0)
			while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
				;
	}
	if (daemon_pid > 0) {
		pid = daemon_pid;
		kill(pid, SIGTERM);
		for (int waited = 0; ; waited += 10) {
			pid_t r = waitpid(pid, &status, WNOHANG);

			if (r == pid || (r < 0 && errno != EINTR))
				break;
			if (waited >= DAEMON_STOP_MS) {
				kill(pid, SIGKILL);
				waitpid(pid, &status, 0);
				break;
			}
			struct timespec ts = { 0, 10 * 1000 * 1000 };
			nanosleep(&ts, NULL);
		}
		daemon_pid = -1;
	}
	if (mount_dir[0])
		rmdir(mount_dir);
	if (log_path[0])
		unlink(log_path);
	if (run_dir[0])
		rmdir(run_dir);
	mount_dir[0] = log_path[0] = run_dir[0] = '\0';
}

static void on_fatal_signal(int sig)
{
	mount_stop();
	signal(sig, SIG_DFL);
	raise(sig);
}

/* The last lines of the daemon's log, for a failed run. */
static void print_log_tail(void)
{
	char buf[4096];
	int fd = open(log_path, O_RDONLY | O_CLOEXEC);
	off_t size;
	ssize_t n;

	if (fd < 0)
		return;
	size = lseek(fd, 0, SEEK_END);
	if (size > 0) {
		lseek(fd, size > (off_t)sizeof(buf) - 1 ?
		      size - (off_t)sizeof(buf) + 1 : 0, SEEK_SET);
		n = read(fd, buf, sizeof(buf) - 1);
		if (n > 0) {
			buf[n] = '\0';
			fprintf(stderr, "--- doorfsd log (tail) ---\n%s"
				"--- end of doorfsd log ---\n", buf);
		}
	}
	close(fd);
}

static int mount_start(const char *doorfsd)
{
	const char *tmp = getenv("TMPDIR");
	char dir[PATH_MAX], real[PATH_MAX];
	pid_t pid;

	if (!find_in_path("fusermount3", fusermount, sizeof(fusermount))) {
		fprintf(stderr, "check_libdoor: fusermount3 not found in PATH\n");
		return -1;
	}
	snprintf(dir, sizeof(dir), "%s/check_libdoor.XXXXXX",
		 tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(dir)) {
		fprintf(stderr, "check_libdoor: mkdtemp %s: %s\n", dir,
			strerror(errno));
		return -1;
	}
	if (!realpath(dir, real) || strlen(real) >= sizeof(run_dir)) {
		fprintf(stderr, "check_libdoor: %s: bad temporary directory\n",
			dir);
		rmdir(dir);
		return -1;
	}
	strcpy(run_dir, real);
	if (chmod(run_dir, 0755) < 0)
		return -1;
	snprintf(mount_dir, sizeof(mount_dir), "%s/mnt", run_dir);
	snprintf(log_path, sizeof(log_path), "%s/doorfsd.log", run_dir);
	if (mkdir(mount_dir, 0755) < 0) {
		mount_dir[0] = '\0';
		return -1;
	}

	fflush(NULL);
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		int log = open(log_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		int null = open("/dev/null", O_RDONLY);

		/* The daemon must not outlive the run, however it ends. */
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		if (null >= 0)
			dup2(null, 0);
		if (log >= 0) {
			dup2(log, 1);
			dup2(log, 2);
		}
		execl(doorfsd, doorfsd, "-f", mount_dir, (char *)NULL);
		fprintf(stderr, "exec %s: %s\n", doorfsd, strerror(errno));
		_exit(127);
	}
	daemon_pid = pid;

	for (int waited = 0; !doorfs_mounted_at(mount_dir); waited += 10) {
		int status;

		if (waitpid(pid, &status, WNOHANG) == pid) {
			daemon_pid = -1;
			fprintf(stderr, "check_libdoor: %s exited (status 0x%x) "
				"before mounting %s\n", doorfsd, status,
				mount_dir);
			print_log_tail();
			return -1;
		}
		if (waited >= MOUNT_WAIT_MS) {
			fprintf(stderr, "check_libdoor: %s did not mount %s "
				"within %d ms\n", doorfsd, mount_dir,
				MOUNT_WAIT_MS);
			print_log_tail();
			return -1;
		}
		sleep_ms(10);
	}
	harness_mount = mount_dir;
	setenv("DOORFS", mount_dir, 1);
	return 0;
}

/*
 * Children of a failed test outlive it for a moment (their parent-death
 * SIGKILL is on its way) and, orphaned, become ours: we are their
 * subreaper, so reap them rather than leave zombies to an init that
 * might not.  Never the daemon.
 */
static void reap_orphans(void)
{
	for (;;) {
		siginfo_t si;

		memset(&si, 0, sizeof(si));
		if (waitid(P_ALL, 0, &si, WEXITED | WNOHANG | WNOWAIT) < 0 ||
		    si.si_pid == 0 || si.si_pid == daemon_pid)
			return;
		waitpid(si.si_pid, NULL, 0);
	}
}

static bool daemon_alive(void)
{
	int status;

	return daemon_pid > 0 && waitpid(daemon_pid, &status, WNOHANG) == 0;
}

int main(void)
{
	static const int fatal[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT };
	const char *doorfsd = getenv("DOORFSD");
	const char *verbosity = getenv("CK_VERBOSITY");
	SRunner *sr;
	int failed;

	if (!doorfsd || !*doorfsd) {
		fprintf(stderr, "check_libdoor: DOORFSD is not set: set it to "
			"the doorfsd program to test (make check sets it to "
			"the build tree's fs/doorfsd)\n");
		return 99;	/* automake: a hard error, not a failed test */
	}
	if (access(doorfsd, X_OK) < 0) {
		fprintf(stderr, "check_libdoor: DOORFSD=%s: %s\n", doorfsd,
			strerror(errno));
		return 99;
	}
	for (size_t i = 0; i < sizeof(fatal) / sizeof(fatal[0]); i++)
		signal(fatal[i], on_fatal_signal);
	prctl(PR_SET_CHILD_SUBREAPER, 1);
	if (mount_start(doorfsd) < 0) {
		mount_stop();
		return 99;
	}
	if (!harness_is_root())
		fprintf(stderr, "check_libdoor: not root: the tests that "
			"change credentials are left out\n");

	sr = srunner_create(create_suite());
	srunner_add_suite(sr, call_suite());
	srunner_add_suite(sr, server_suite());
	srunner_add_suite(sr, info_suite());
	srunner_add_suite(sr, ucred_suite());
	srunner_add_suite(sr, failure_suite());
	srunner_add_suite(sr, planes_suite());
	srunner_add_suite(sr, load_suite());
	srunner_add_suite(sr, idioms_suite());
	srunner_add_suite(sr, descs_suite());
	srunner_add_suite(sr, unref_suite());
	srunner_add_suite(sr, fattach_suite());
	srunner_add_suite(sr, fork_suite());
	srunner_add_suite(sr, xcreate_suite());
	srunner_add_suite(sr, forward_suite());
	srunner_add_suite(sr, stream_suite());
	/* Every test needs a process of its own (see harness.h). */
	srunner_set_fork_status(sr, CK_FORK);
	srunner_run_all(sr, verbosity && *verbosity ? CK_ENV : CK_VERBOSE);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	reap_orphans();

	if (!daemon_alive()) {
		fprintf(stderr, "check_libdoor: doorfsd died during the run\n");
		failed++;
	}
	if (failed)
		print_log_tail();
	mount_stop();
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

/* ------------------------------------------------------------------ */
/* Test cases and their fixture. */

#define MAX_CHILDREN 64

/* The test process's children, killed at teardown. */
static pid_t children[MAX_CHILDREN];

static void register_child(pid_t pid)
{
	for (int i = 0; i < MAX_CHILDREN; i++) {
		if (children[i] == 0) {
			children[i] = pid;
			return;
		}
	}
	ck_abort_msg("more than %d children in one test", MAX_CHILDREN);
}

static void forget_child(pid_t pid)
{
	for (int i = 0; i < MAX_CHILDREN; i++)
		if (children[i] == pid)
			children[i] = 0;
}

static void fixture_setup(void)
{
	/* The test process must not outlive the runner either. */
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	memset(children, 0, sizeof(children));
	/* Writes to a dead peer fail with EPIPE instead of killing us. */
	signal(SIGPIPE, SIG_IGN);
}

static void fixture_teardown(void)
{
	for (int i = 0; i < MAX_CHILDREN; i++) {
		if (children[i] > 0) {
			kill(children[i], SIGKILL);
			while (waitpid(children[i], NULL, 0) < 0 &&
			       errno == EINTR)
				;
			children[i] = 0;
		}
	}
}

TCase *harness_tcase(Suite *s, const char *name)
{
	TCase *tc = tcase_create(name);

	tcase_add_checked_fixture(tc, fixture_setup, fixture_teardown);
	tcase_set_timeout(tc, TEST_TIMEOUT);
	suite_add_tcase(s, tc);
	return tc;
}

bool harness_is_root(void)
{
	return geteuid() == 0;
}

/* ------------------------------------------------------------------ */
/* Children. */

void child_fail(const char *file, int line, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	/* One write, so lines of concurrent children do not interleave. */
	dprintf(2, "child %ld: %s:%d: %s\n", (long)getpid(), file, line, msg);
	_exit(CHILD_FAILED);
}

struct child child_start(child_fn *fn, void *arg, enum child_end end)
{
	pid_t parent = getpid();
	struct child c = { -1, -1 };
	int sv[2];

	ck_assert_ok(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv));
	fflush(NULL);
#ifdef __SANITIZE_ADDRESS__
	/*
	 * GCC 12's AddressSanitizer does not hold its allocator's locks
	 * across fork: if one of libdoor's threads (just started by a
	 * door_create) is allocating at that moment, the child inherits the
	 * lock held and its first allocating thread waits for ever.  glibc's
	 * own malloc handles fork; only sanitized runs need the threads to
	 * settle first.
	 */
	usleep(20000);
#endif
	c.pid = fork();
	ck_assert_msg(c.pid >= 0, "fork: %s", strerror(errno));
	if (c.pid == 0) {
		int status;

		close(sv[0]);
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent)
			_exit(CHILD_FAILED);
		memset(children, 0, sizeof(children));
		status = fn(arg, sv[1]);
		if (end == CHILD_LINGER) {
			char b;

			for (;;) {
				ssize_t n = read(sv[1], &b, 1);

				if (n == 0 || (n < 0 && errno != EINTR))
					break;
			}
		}
		_exit(status);
	}
	close(sv[1]);
	c.ctl = sv[0];
	register_child(c.pid);
	return c;
}

int child_join(struct child *c)
{
	int status = 0;

	ck_assert_int_gt(c->pid, 0);
	for (int waited = 0; ; waited += 5) {
		pid_t r = waitpid(c->pid, &status, WNOHANG);

		if (r == c->pid)
			break;
		if (r < 0 && errno != EINTR) {
			status = -1;
			break;
		}
		if (waited >= WAIT_MS) {
			kill(c->pid, SIGKILL);
			waitpid(c->pid, NULL, 0);
			forget_child(c->pid);
			c->pid = -1;
			return -1;
		}
		sleep_ms(5);
	}
	forget_child(c->pid);
	c->pid = -1;
	if (c->ctl >= 0) {
		close(c->ctl);
		c->ctl = -1;
	}
	if (status == -1)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) :
		128 + WTERMSIG(status);
}

bool child_alive(struct child *c)
{
	siginfo_t si;

	memset(&si, 0, sizeof(si));
	return c->pid > 0 &&
		waitid(P_PID, (id_t)c->pid, &si, WEXITED | WNOHANG | WNOWAIT) == 0 &&
		si.si_pid == 0;
}

void child_kill(struct child *c)
{
	if (c->pid > 0) {
		kill(c->pid, SIGKILL);
		while (waitpid(c->pid, NULL, 0) < 0 && errno == EINTR)
			;
		forget_child(c->pid);
		c->pid = -1;
	}
	if (c->ctl >= 0) {
		close(c->ctl);
		c->ctl = -1;
	}
}

static bool poll_for(int fd, short events, int ms)
{
	struct pollfd p = { .fd = fd, .events = events };

	for (;;) {
		int r = poll(&p, 1, ms);

		if (r > 0)
			return true;
		if (r == 0 || errno != EINTR)
			return false;
	}
}

void child_send(struct child *c, const void *buf, size_t len)
{
	ssize_t n = send(c->ctl, buf, len, MSG_NOSIGNAL);

	ck_assert_msg(n == (ssize_t)len, "send to child %ld: %s",
		      (long)c->pid, n < 0 ? strerror(errno) : "short");
}

void child_recv(struct child *c, void *buf, size_t len)
{
	ssize_t n;

	ck_assert_msg(poll_for(c->ctl, POLLIN, WAIT_MS),
		      "child %ld said nothing within %d ms", (long)c->pid,
		      WAIT_MS);
	n = recv(c->ctl, buf, len, 0);
	ck_assert_msg(n == (ssize_t)len, "message from child %ld: %s",
		      (long)c->pid, n < 0 ? strerror(errno) :
		      n == 0 ? "it ended (see its stderr)" : "wrong size");
}

void ctl_send(int ctl, const void *buf, size_t len)
{
	ssize_t n = send(ctl, buf, len, MSG_NOSIGNAL);

	CHILD_ASSERT(n == (ssize_t)len, "send to test: %s",
		     n < 0 ? strerror(errno) : "short");
}

void ctl_recv(int ctl, void *buf, size_t len)
{
	ssize_t n;

	CHILD_ASSERT(poll_for(ctl, POLLIN, WAIT_MS), "the test said nothing");
	n = recv(ctl, buf, len, 0);
	CHILD_ASSERT(n == (ssize_t)len, "message from test: %s",
		     n < 0 ? strerror(errno) : "wrong size or closed");
}

void become_user(uid_t uid, gid_t gid)
{
	CHILD_OK(setgroups(0, NULL));
	CHILD_OK(setresgid(gid, gid, gid));
	CHILD_OK(setresuid(uid, uid, uid));
}

/* ------------------------------------------------------------------ */
/* Waiting and looking. */

bool fd_read_full(int fd, void *buf, size_t len)
{
	char *p = buf;

	while (len > 0) {
		ssize_t n;

		if (!poll_for(fd, POLLIN, WAIT_MS))
			return false;
		n = read(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return false;
		p += n;
		len -= (size_t)n;
	}
	return true;
}

bool fd_write_full(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len > 0) {
		ssize_t n;

		if (!poll_for(fd, POLLOUT, WAIT_MS))
			return false;
		n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return false;
		p += n;
		len -= (size_t)n;
	}
	return true;
}

static char thread_state(pid_t pid, pid_t tid)
{
	char path[64], buf[512], *paren;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%ld/task/%ld/stat", (long)pid,
		 (long)tid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return '?';
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return '?';
	buf[n] = '\0';
	paren = strrchr(buf, ')');
	return paren && paren[1] == ' ' ? paren[2] : '?';
}

bool wait_sleeping(pid_t pid, pid_t tid)
{
	for (int waited = 0; waited < WAIT_MS; waited++) {
		char s = thread_state(pid, tid);

		if (s == 'S' || s == 'D')
			return true;
		sleep_ms(1);
	}
	return false;
}

bool wait_revoked(int fd)
{
	for (int waited = 0; waited < WAIT_MS; waited += 5) {
		door_info_t info;

		if (door_info(fd, &info) == 0 &&
		    (info.di_attributes & DOOR_REVOKED))
			return true;
		sleep_ms(5);
	}
	return false;
}

void sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

void door_path(char *buf, size_t len, const char *tag)
{
	static unsigned serial;

	snprintf(buf, len, "%s/%s-%ld-%u", harness_mount, tag, (long)getpid(),
		 serial++);
}

int open_fd_of(pid_t pid, int fd, int flags)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/%ld/fd/%d", (long)pid, fd);
	return open(path, flags);
}

bool file_id_of(int fd, struct file_id *id)
{
	struct stat st;

	if (fstat(fd, &st) < 0)
		return false;
	id->dev = st.st_dev;
	id->ino = st.st_ino;
	return true;
}

bool same_file(int fd, const struct file_id *id)
{
	struct file_id now;

	return file_id_of(fd, &now) && now.dev == id->dev &&
		now.ino == id->ino;
}
