/*
 * door_null: the latency of a null door_call, beside a pipe round trip
 * measured in the same run (absolute times drift on shared machines, so
 * the ratio is what to compare).
 *
 *   door_null [-n CALLS] [-c CPU]
 *
 * -c pins both processes to one CPU (taskset does the same).  Needs a
 * doorfs mount in $DOORFS (see docs/LIBDOOR.md).  The full benchmark
 * suite, with sockets, futexes, FUSE and D-Bus, is bench/'s other work.
 */
#include <door.h>
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static void null_proc(void *cookie, char *argp, size_t size, door_desc_t *dp,
		      uint_t ndesc)
{
	(void)cookie, (void)argp, (void)size, (void)dp, (void)ndesc;
	door_return(NULL, 0, NULL, 0);
}

static double now_us(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1e6 + t.tv_nsec / 1e3;
}

static int compare(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

struct stats {
	double median, p99;
};

static struct stats summarize(double *t, int n)
{
	qsort(t, (size_t)n, sizeof(*t), compare);
	struct stats s = { t[n / 2], t[(int)(n * 0.99)] };
	return s;
}

/* Round trips of one byte over a pair of pipes to a child that echoes. */
static struct stats pipe_round_trips(double *t, int n, int warmup)
{
	int there[2], back[2];
	if (pipe(there) < 0 || pipe(back) < 0) {
		perror("door_null: pipe");
		exit(1);
	}
	pid_t child = fork();
	if (child == 0) {
		char c;
		close(there[1]);        /* so the parent's close is our EOF */
		while (read(there[0], &c, 1) == 1 && write(back[1], &c, 1) == 1)
			;
		_exit(0);
	}
	close(there[0]);
	close(back[1]);
	char c = 'x';
	for (int i = -warmup; i < n; i++) {
		double start = now_us();
		if (write(there[1], &c, 1) != 1 || read(back[0], &c, 1) != 1) {
			perror("door_null: pipe round trip");
			exit(1);
		}
		if (i >= 0)
			t[i] = now_us() - start;
	}
	close(there[1]);
	waitpid(child, NULL, 0);
	close(back[0]);
	return summarize(t, n);
}

/* Null door calls from a child to a door this process serves. */
static struct stats door_round_trips(double *t, int n, int warmup)
{
	int d = door_create(null_proc, NULL, 0);
	if (d < 0) {
		perror("door_null: door_create (is DOORFS set to a doorfs mount?)");
		exit(1);
	}
	int results[2];
	if (pipe(results) < 0) {
		perror("door_null: pipe");
		exit(1);
	}
	pid_t child = fork();
	if (child == 0) {
		for (int i = -warmup; i < n; i++) {
			double start = now_us();
			if (door_call(d, NULL) < 0) {
				perror("door_null: door_call");
				_exit(1);
			}
			if (i >= 0)
				t[i] = now_us() - start;
		}
		ssize_t w = write(results[1], t, (size_t)n * sizeof(*t));
		_exit(w == (ssize_t)((size_t)n * sizeof(*t)) ? 0 : 1);
	}
	close(results[1]);
	size_t want = (size_t)n * sizeof(*t), got = 0;
	while (got < want) {
		ssize_t r = read(results[0], (char *)t + got, want - got);
		if (r <= 0)
			break;
		got += (size_t)r;
	}
	int status;
	waitpid(child, &status, 0);
	if (got < want || !WIFEXITED(status) || WEXITSTATUS(status)) {
		fprintf(stderr, "door_null: the calling child failed\n");
		exit(1);
	}
	door_revoke(d);
	return summarize(t, n);
}

int main(int argc, char *argv[])
{
	int n = 20000, cpu = -1, opt;
	while ((opt = getopt(argc, argv, "n:c:")) != -1) {
		if (opt == 'n')
			n = atoi(optarg);
		else if (opt == 'c')
			cpu = atoi(optarg);
		else {
			fprintf(stderr, "usage: door_null [-n CALLS] [-c CPU]\n");
			return 2;
		}
	}
	if (n < 100) {
		fprintf(stderr, "door_null: -n must be at least 100\n");
		return 2;
	}
	if (cpu >= 0) {
		cpu_set_t set;
		CPU_ZERO(&set);
		CPU_SET(cpu, &set);
		if (sched_setaffinity(0, sizeof(set), &set) < 0) {
			perror("door_null: sched_setaffinity");
			return 1;
		}
	}

	double *t = calloc((size_t)n, sizeof(*t));
	if (!t)
		return 1;
	int warmup = n / 10;
	struct stats pipe_rt = pipe_round_trips(t, n, warmup);
	struct stats door_rt = door_round_trips(t, n, warmup);
	printf("%-22s %10s %10s\n", "round trip (us)", "median", "p99");
	printf("%-22s %10.2f %10.2f\n", "pipe pair", pipe_rt.median, pipe_rt.p99);
	printf("%-22s %10.2f %10.2f\n", "door_call (null)", door_rt.median,
	       door_rt.p99);
	printf("door_call / pipe       %10.2f %10.2f\n",
	       door_rt.median / pipe_rt.median, door_rt.p99 / pipe_rt.p99);
	free(t);
	return 0;
}
