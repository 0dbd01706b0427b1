/*
 * experiments.c: doorbench's measurements beyond the round-trip table.
 *
 * Making doors and naming them happens in a forked child: door_create
 * starts libdoor's server threads in the process that calls it, and
 * doorbench itself must stay a plain client that forks clean servers for
 * the methods after it.  The child sends its result back through a pipe
 * and is reaped whatever happens, so a failure is reported, never left
 * running.
 */
#include "experiments.h"
#include "measure.h"
#include "methods.h"

#include <door.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stropts.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* --- Throughput ---------------------------------------------------- */

/* Calls each thread makes before the clock starts: its connection. */
enum { WARMUP_CALLS = 1000 };

struct caller {
	pthread_t thread;
	int door;
	long calls;
	int failed;	/* errno of a failed call, or -1 for a wrong reply */
};

/* The clock starts once every thread is connected and warm. */
static atomic_int warm_callers, go, stop_calling;

static void nap_us(long us)
{
	struct timespec t = { us / 1000000, us % 1000000 * 1000 };
	while (nanosleep(&t, &t) < 0 && errno == EINTR)
		;
}

static int null_call(int door)
{
	door_arg_t a = { 0 };
	if (door_call(door, &a) < 0)
		return errno;
	/* A null call has a null result; anything else is a wrong reply. */
	return a.data_size == 0 && a.desc_num == 0 ? 0 : -1;
}

static void *call_loop(void *arg)
{
	struct caller *c = arg;
	for (int i = 0; i < WARMUP_CALLS && !c->failed; i++)
		c->failed = null_call(c->door);
	atomic_fetch_add(&warm_callers, 1);
	while (!atomic_load(&go))
		nap_us(100);
	while (!c->failed && !atomic_load_explicit(&stop_calling,
						   memory_order_relaxed)) {
		c->failed = null_call(c->door);
		c->calls++;
	}
	return NULL;
}

struct throughput measure_throughput(int threads, double seconds)
{
	struct throughput r = { .threads = threads };
	struct caller *callers = calloc((size_t)threads, sizeof(*callers));
	pid_t server = -1;
	int door = door_echo_server(&server);
	if (!callers || door < 0)
		goto out;
	atomic_store(&warm_callers, 0);
	atomic_store(&go, 0);
	atomic_store(&stop_calling, 0);
	int started = 0;
	for (; started < threads; started++) {
		callers[started].door = door;
		int err = pthread_create(&callers[started].thread, NULL,
					 call_loop, &callers[started]);
		if (err) {
			fprintf(stderr, "doorbench: throughput: "
				"pthread_create: %s\n", strerror(err));
			callers[started].failed = err;
			break;
		}
	}
	/*
	 * Every caller reports in after its warm-up, even one that failed
	 * (which it says before reporting, so its failure is seen here).
	 */
	while (atomic_load(&warm_callers) < started)
		nap_us(1000);
	int failed = started < threads;
	for (int k = 0; k < started; k++)
		failed |= callers[k].failed != 0;
	double t0 = now_us();
	atomic_store(&go, 1);
	if (!failed)
		nap_us((long)(seconds * 1e6));
	atomic_store(&stop_calling, 1);
	for (int k = 0; k < started; k++)
		pthread_join(callers[k].thread, NULL);
	double t1 = now_us();

	r.ok = 1;
	for (int k = 0; k < threads; k++) {
		if (callers[k].failed) {
			r.ok = 0;
			fprintf(stderr, "doorbench: throughput, %d threads: %s\n",
				threads, callers[k].failed < 0
				? "a null call had a result"
				: strerror(callers[k].failed));
		}
		r.calls += callers[k].calls;
	}
	r.seconds = (t1 - t0) / 1e6;
	r.calls_per_s = r.seconds > 0 ? r.calls / r.seconds : 0;
out:
	if (door >= 0)
		close(door);
	server_stop(server);
	free(callers);
	return r;
}

/* --- Doors made in a child ----------------------------------------- */

static void null_proc(void *cookie, char *argp, size_t size, door_desc_t *dp,
		      uint_t ndesc)
{
	(void)cookie, (void)argp, (void)size, (void)dp, (void)ndesc;
	door_return(NULL, 0, NULL, 0);
}

/*
 * Runs work(arg, out) in a forked child, which writes `size` bytes of
 * result to out; returns 0 once they have arrived and the child has
 * exited successfully.
 */
static int in_child(int (*work)(void *arg, int out), void *arg, void *result,
		    size_t size)
{
	int p[2];
	if (pipe2(p, O_CLOEXEC) < 0) {
		perror("doorbench: pipe");
		return -1;
	}
	pid_t child = server_fork();
	if (child == 0) {
		close(p[0]);
		_exit(work(arg, p[1]) == 0 ? 0 : 1);
	}
	close(p[1]);
	size_t got = 0;
	while (child > 0 && got < size) {
		ssize_t n = read(p[0], (char *)result + got, size - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	close(p[0]);
	int status = 0;
	if (child > 0) {
		while (waitpid(child, &status, 0) < 0 && errno == EINTR)
			;
		server_forget(child);
	}
	return child > 0 && got == size && WIFEXITED(status) &&
	       WEXITSTATUS(status) == 0 ? 0 : -1;
}

/* A fresh directory on $DOORFS for one experiment, or NULL. */
static char *doorfs_dir(const char *what)
{
	const char *mount = getenv("DOORFS");
	if (!mount || !*mount) {
		fprintf(stderr, "doorbench: %s: $DOORFS is not set "
			"(bench/run.sh mounts a doorfs and sets it)\n", what);
		return NULL;
	}
	char *dir;
	if (asprintf(&dir, "%s/doorbench-%s-%d", mount, what,
		     (int)getpid()) < 0)
		return NULL;
	if (mkdir(dir, 0755) < 0) {
		fprintf(stderr, "doorbench: %s: mkdir %s: %s\n", what, dir,
			strerror(errno));
		free(dir);
		return NULL;
	}
	return dir;
}

/*
 * Makes a door and names it path the way illumos servers do: door_create,
 * a placeholder file, fattach.  `at` gets the time before each step and
 * after the last (4 values).  Returns the door, or -1 after printing why.
 */
static int make_named_door(const char *path, double at[4])
{
	at[0] = now_us();
	int d = door_create(null_proc, NULL, 0);
	at[1] = now_us();
	if (d < 0) {
		perror("doorbench: door_create");
		return -1;
	}
	int placeholder = creat(path, 0644);
	if (placeholder >= 0)
		close(placeholder);
	at[2] = now_us();
	if (placeholder < 0 || fattach(d, path) < 0) {
		fprintf(stderr, "doorbench: naming a door %s: %s\n", path,
			strerror(errno));
		door_revoke(d);
		return -1;
	}
	at[3] = now_us();
	return d;
}

struct create_job {
	const char *dir;
	int n;
};

static int create_work(void *arg, int out)
{
	const struct create_job *job = arg;
	struct create_cost r = { .n = job->n };
	double *t[4];
	for (int s = 0; s < 4; s++)
		t[s] = calloc((size_t)job->n, sizeof(double));
	if (!t[0] || !t[1] || !t[2] || !t[3])
		return -1;
	for (int i = 0; i < job->n; i++) {
		char path[4096];
		double at[4];
		snprintf(path, sizeof(path), "%s/d%d", job->dir, i);
		int d = make_named_door(path, at);
		if (d < 0)
			return -1;
		t[0][i] = at[1] - at[0];
		t[1][i] = at[2] - at[1];
		t[2][i] = at[3] - at[2];
		t[3][i] = at[3] - at[0];
		/* Undone outside the clock, so each round starts alike. */
		if (fdetach(path) < 0 || unlink(path) < 0 || door_revoke(d) < 0) {
			perror("doorbench: undoing a named door");
			return -1;
		}
	}
	struct step_cost *steps[4] = { &r.create, &r.placeholder, &r.attach,
				       &r.total };
	for (int s = 0; s < 4; s++)
		summarize(t[s], job->n, &steps[s]->median_us, &steps[s]->p99_us);
	r.ok = 1;
	return write_all(out, &r, sizeof(r));
}

struct create_cost measure_create_fattach(int n)
{
	struct create_cost r = { .n = n };
	struct create_job job = { .dir = doorfs_dir("create"), .n = n };
	if (!job.dir)
		return r;
	if (in_child(create_work, &job, &r, sizeof(r)) < 0)
		r.ok = 0;
	rmdir(job.dir);
	free((char *)job.dir);
	return r;
}

/* --- ls -l --------------------------------------------------------- */

/* Milliseconds that `ls -l dir`, output discarded, took; -1 on failure. */
static double time_ls(const char *dir)
{
	double start = now_us();
	pid_t pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		int null = open("/dev/null", O_WRONLY);
		if (null < 0 || dup2(null, STDOUT_FILENO) < 0)
			_exit(127);
		execlp("ls", "ls", "-l", dir, (char *)NULL);
		_exit(127);
	}
	int status;
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	double took = (now_us() - start) / 1e3;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		fprintf(stderr, "doorbench: ls -l %s failed\n", dir);
		return -1;
	}
	return took;
}

/* The median of `runs` timed `ls -l dir` after a warm-up one; -1 on failure. */
static double median_ls(const char *dir, int runs)
{
	double *t = calloc((size_t)runs, sizeof(*t));
	double median = -1, p99;
	if (t && time_ls(dir) >= 0) {
		int k = 0;
		while (k < runs && (t[k] = time_ls(dir)) >= 0)
			k++;
		if (k == runs)
			summarize(t, runs, &median, &p99);
	}
	free(t);
	return median;
}

/*
 * A holder is a child that makes doors [from, to) and names them, says
 * so with one byte on `ready`, and serves them until it is killed.
 * libdoor keeps two descriptors a door (the door and its server end), so
 * the doors are spread over as many holders as the descriptor limit
 * needs; root cannot always raise it (no CAP_SYS_RESOURCE in containers).
 */
struct holder {
	const char *dir;
	int from, to;
};

static void hold_doors(int ready, const void *arg)
{
	const struct holder *h = arg;
	for (int i = h->from; i < h->to; i++) {
		char path[4096];
		double at[4];
		snprintf(path, sizeof(path), "%s/door%05d", h->dir, i);
		if (make_named_door(path, at) < 0)
			_exit(1);
	}
	server_ready(ready);
	for (;;)
		pause();
}

/* Making 10 000 doors takes about 15 s here; a holder makes its share. */
enum { HOLDER_TIMEOUT_S = 300 };

/* Doors one holder may make: two descriptors each, and some to spare. */
static int doors_per_holder(void)
{
	struct rlimit lim;
	if (getrlimit(RLIMIT_NOFILE, &lim) == 0 && lim.rlim_cur < lim.rlim_max) {
		lim.rlim_cur = lim.rlim_max;
		setrlimit(RLIMIT_NOFILE, &lim);
	}
	if (getrlimit(RLIMIT_NOFILE, &lim) < 0 || lim.rlim_cur < 256 ||
	    lim.rlim_cur == RLIM_INFINITY)
		return lim.rlim_cur == RLIM_INFINITY ? 1 << 20 : 64;
	return (int)((lim.rlim_cur - 64) / 2);
}

/* The same number of empty files on a fresh tmpfs directory (/dev/shm). */
static double tmpfs_ls(int files, int runs)
{
	char dir[] = "/dev/shm/doorbench-ls.XXXXXX";
	if (!mkdtemp(dir)) {
		perror("doorbench: ls: mkdtemp /dev/shm");
		return -1;
	}
	double ms = -1;
	int made = 0;
	for (; made < files; made++) {
		char path[sizeof(dir) + 16];
		snprintf(path, sizeof(path), "%s/file%05d", dir, made);
		int fd = creat(path, 0644);
		if (fd < 0)
			break;
		close(fd);
	}
	if (made == files)
		ms = median_ls(dir, runs);
	for (int i = 0; i < made; i++) {
		char path[sizeof(dir) + 16];
		snprintf(path, sizeof(path), "%s/file%05d", dir, i);
		unlink(path);
	}
	rmdir(dir);
	return ms;
}

/* Removes the names the holders left behind (their doors died with them). */
static void remove_names(const char *dir, int doors)
{
	for (int i = 0; i < doors; i++) {
		char path[4096];
		snprintf(path, sizeof(path), "%s/door%05d", dir, i);
		unlink(path);
	}
	rmdir(dir);
}

struct ls_cost measure_ls(int doors, int runs)
{
	struct ls_cost r = { .doors = doors, .runs = runs };
	char *dir = doorfs_dir("ls");
	if (!dir)
		return r;
	int per_holder = doors_per_holder();
	int holders = (doors + per_holder - 1) / per_holder;
	pid_t *pids = calloc((size_t)holders, sizeof(*pids));
	int *ready = calloc((size_t)holders, sizeof(*ready));
	int made = 0, ok = pids && ready;
	double start = now_us();
	/* All holders make their doors at once; then each is waited for. */
	int spawned = 0;
	for (; ok && spawned < holders; spawned++) {
		struct holder h = { dir, spawned * per_holder,
				    (spawned + 1) * per_holder };
		if (h.to > doors)
			h.to = doors;
		pids[spawned] = server_spawn(hold_doors, &h, "ls",
					     &ready[spawned]);
		if (pids[spawned] < 0) {
			ok = 0;
			break;
		}
		made = h.to;
	}
	for (int k = 0; k < spawned; k++) {
		if (server_await(pids[k], ready[k], HOLDER_TIMEOUT_S, "ls") < 0) {
			ok = 0;
			pids[k] = -1;   /* stopped already */
		}
	}
	free(ready);
	r.setup_s = (now_us() - start) / 1e6;
	if (ok) {
		r.doorfs_ms = median_ls(dir, runs);
		r.tmpfs_ms = tmpfs_ls(doors, runs);
		r.ok = r.doorfs_ms >= 0 && r.tmpfs_ms >= 0;
	} else {
		fprintf(stderr, "doorbench: ls: making %d doors failed\n",
			doors);
	}
	for (int k = 0; pids && k < holders; k++)
		server_stop(pids[k]);
	remove_names(dir, made);
	free(pids);
	free(dir);
	return r;
}
