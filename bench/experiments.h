/*
 * experiments.h: what doorbench measures besides round trips of one
 * payload: calls per second with several client threads, the cost of
 * making and naming a door, and `ls -l` of a directory full of doors.
 * Each needs $DOORFS, like the door method.
 */
#ifndef DOORBENCH_EXPERIMENTS_H
#define DOORBENCH_EXPERIMENTS_H

#include <sys/types.h>

/* Null door_calls per second from `threads` client threads together. */
struct throughput {
	int ok;
	int threads;
	double seconds;		/* how long they called */
	long calls;
	double calls_per_s;
};

struct throughput measure_throughput(int threads, double seconds);

/* Median and 99th percentile of one step, in microseconds. */
struct step_cost {
	double median_us, p99_us;
};

/*
 * door_create, then the placeholder file fattach needs (creat + close),
 * then fattach, timed apart, `n` times over; and all three together.
 */
struct create_cost {
	int ok;
	int n;
	struct step_cost create, placeholder, attach, total;
};

struct create_cost measure_create_fattach(int n);

/*
 * `ls -l` (fork, exec, every lookup and getattr) of a directory holding
 * `doors` live doors, each made by door_create and named by fattach;
 * beside the same `ls -l` of as many empty files on a tmpfs.  The median
 * of `runs` runs after one warm-up run, in milliseconds.
 */
struct ls_cost {
	int ok;
	int doors, runs;
	double doorfs_ms, tmpfs_ms;
	double setup_s;		/* making and naming the doors, all of them */
};

struct ls_cost measure_ls(int doors, int runs);

#endif
