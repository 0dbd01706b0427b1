/*
 * private_pool_server: a DOOR_PRIVATE door served by a thread pool of its
 * own, which this program creates and bounds.
 *
 *     private_pool_server DOORPATH
 *
 * Ordinary doors share the process's global pool, grown by libdoor.  A
 * DOOR_PRIVATE door is served only by threads that called door_bind() on
 * it, and the function installed with door_server_create() decides when
 * such threads are made:
 *
 *   - door_create(..., DOOR_PRIVATE) calls it with the new door's
 *     door_info_t, before door_create returns: it starts the first thread;
 *   - when a call takes the pool's last parked thread, libdoor calls it
 *     again (DOOR_DEPLETION_CB is then set in di_attributes), before the
 *     procedure runs: it starts a spare thread, up to POOL_THREADS_MAX;
 *   - for the global pool it is called with NULL.  This program creates no
 *     ordinary door, but a library it links might: such threads just park.
 *
 * The argument of a call is an optional number of milliseconds for the
 * procedure to hold its thread; the reply names the pool thread that
 * served the call:
 *
 *     served by pool thread 2 of 3 (door 17, held 500 ms)
 *
 * so a few overlapping calls show the pool growing.  Call it with
 * text_client.  The server stops on SIGINT or SIGTERM, detaching DOORPATH
 * first.
 *
 * Exit status: 0 after a clean stop, 1 on failure, 2 on a usage error.
 */
#include <door.h>

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "example_server.h"	/* attach_door, and stopping on a signal */

static const char *progname = "private_pool_server";

/*
 * What a private pool is for: this door runs at most this many calls at
 * once, whatever its callers do.  Once all are busy, the depletion
 * callback declines to add more and further calls wait in door_call for a
 * thread to come back.
 */
#define POOL_THREADS_MAX 4

/* The longest a call may ask to hold its thread, in milliseconds. */
#define HOLD_MS_MAX 10000

/*
 * What a new pool thread needs to know.  pool_create's door_info_t lives
 * only as long as that call, so the door's id is copied out of it.
 */
struct pool_thread_start {
	bool bind;		/* false: a thread for the global pool */
	door_id_t door_id;	/* the private door to serve (di_uniquifier) */
	unsigned index;		/* 1, 2, ... in order of creation; 0: global */
};

/*
 * door_create calls pool_create, which starts the first thread, before it
 * returns the door's descriptor: that thread waits here until main()
 * publishes the descriptor, then binds to it.
 */
static pthread_mutex_t pool_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t door_published_cv = PTHREAD_COND_INITIALIZER;
static bool door_published;		/* door_create has returned */
static int private_door = DOOR_INVAL;	/* what it returned */
static unsigned pool_threads;		/* private pool threads started */

/* Each pool thread's index, as (void *)(uintptr_t)index. */
static pthread_key_t thread_index_key;

static void publish_door(int did)
{
	pthread_mutex_lock(&pool_lock);
	private_door = did;
	door_published = true;
	pthread_cond_broadcast(&door_published_cv);
	pthread_mutex_unlock(&pool_lock);
}

static int wait_for_door(void)
{
	int did;

	pthread_mutex_lock(&pool_lock);
	while (!door_published)
		pthread_cond_wait(&door_published_cv, &pool_lock);
	did = private_door;
	pthread_mutex_unlock(&pool_lock);
	return did;
}

/* A private pool thread that never made it into the pool. */
static void forget_pool_thread(void)
{
	pthread_mutex_lock(&pool_lock);
	pool_threads--;
	pthread_mutex_unlock(&pool_lock);
}

/*
 * The body of every thread pool_create starts.  Server threads run with
 * cancellation disabled: a client that gives up on a call must not cancel
 * the thread serving it halfway (a handler that wants that enables it
 * itself).  door_return(NULL, 0, NULL, 0) parks the thread in its pool,
 * and from then on it serves calls; on success it never returns.
 */
static void *pool_thread(void *arg)
{
	struct pool_thread_start start = *(struct pool_thread_start *)arg;
	door_info_t info;
	int did;

	free(arg);
	(void)pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, NULL);
	(void)pthread_setspecific(thread_index_key,
				  (void *)(uintptr_t)start.index);

	if (start.bind) {
		/*
		 * The callback was about the door main() holds, unless
		 * door_create failed after calling it: compare the ids.
		 */
		did = wait_for_door();
		if (did == DOOR_INVAL || door_info(did, &info) < 0 ||
		    info.di_uniquifier != start.door_id) {
			fprintf(stderr, "%s: pool thread %u: its door is "
				"gone\n", progname, start.index);
			forget_pool_thread();
			return NULL;
		}
		/* Effective at the next door_return, just below. */
		if (door_bind(did) < 0) {
			fprintf(stderr, "%s: pool thread %u: door_bind: %s\n",
				progname, start.index, strerror(errno));
			forget_pool_thread();
			return NULL;
		}
	}

	(void)door_return(NULL, 0, NULL, 0);

	fprintf(stderr, "%s: pool thread %u: door_return: %s\n", progname,
		start.index, strerror(errno));
	if (start.bind)
		forget_pool_thread();
	return NULL;
}

/*
 * The door_server_create function.  It must be MT-safe: depletion
 * callbacks run in whichever pool thread took the last spare, in several
 * threads at once when calls arrive together.
 */
static void pool_create(door_info_t *dip)
{
	struct pool_thread_start *start;
	pthread_attr_t attr;
	pthread_t tid;
	int err;

	start = malloc(sizeof(*start));
	if (start == NULL) {
		fprintf(stderr, "%s: no memory for a pool thread\n", progname);
		return;
	}
	start->bind = dip != NULL;
	start->door_id = dip != NULL ? dip->di_uniquifier : 0;
	start->index = 0;

	if (dip != NULL) {
		pthread_mutex_lock(&pool_lock);
		if (pool_threads >= POOL_THREADS_MAX) {
			pthread_mutex_unlock(&pool_lock);
			free(start);
			return;
		}
		start->index = ++pool_threads;
		pthread_mutex_unlock(&pool_lock);
	}

	/* The new thread owns (and frees) start from the moment it runs. */
	unsigned index = start->index;

	/* Nobody joins a pool thread: it lives as long as the process. */
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	err = pthread_create(&tid, &attr, pool_thread, start);
	pthread_attr_destroy(&attr);
	if (err != 0) {
		fprintf(stderr, "%s: pthread_create: %s\n", progname,
			strerror(err));
		free(start);
		if (dip != NULL)
			forget_pool_thread();
		return;
	}

	if (dip == NULL)
		fprintf(stderr, "%s: started a global pool thread\n",
			progname);
	else
		fprintf(stderr, "%s: started pool thread %u (%s)\n", progname,
			index,
			dip->di_attributes & DOOR_DEPLETION_CB ?
			"pool depleted" : "door created");
}

/*
 * The optional argument: decimal milliseconds, not NUL-terminated.
 * Returns -1 for anything else.
 */
static long parse_hold_ms(const char *argp, size_t arg_size)
{
	long ms = 0;

	for (size_t i = 0; i < arg_size; i++) {
		if (argp[i] < '0' || argp[i] > '9')
			return -1;
		ms = ms * 10 + (argp[i] - '0');
		if (ms > HOLD_MS_MAX)
			return -1;
	}
	return ms;
}

static void hold(long ms)
{
	struct timespec left = {
		.tv_sec = ms / 1000,
		.tv_nsec = (ms % 1000) * 1000000L,
	};

	while (nanosleep(&left, &left) < 0 && errno == EINTR)
		;
}

static void pool_proc(void *cookie, char *argp, size_t arg_size,
		      door_desc_t *dp, uint_t n_desc)
{
	unsigned index =
		(unsigned)(uintptr_t)pthread_getspecific(thread_index_key);
	unsigned threads;
	door_info_t info;
	char reply[128];
	long ms;

	(void)cookie;
	(void)dp;
	(void)n_desc;

	ms = parse_hold_ms(argp, arg_size);
	if (ms < 0) {
		snprintf(reply, sizeof(reply), "refused: the argument is "
			 "milliseconds to hold the thread, 0 to %d",
			 HOLD_MS_MAX);
		goto answer;
	}
	hold(ms);

	/* DOOR_QUERY: the door this thread is bound to. */
	if (door_info(DOOR_QUERY, &info) < 0) {
		snprintf(reply, sizeof(reply), "served by pool thread %u, "
			 "bound to no door: %s", index, strerror(errno));
		goto answer;
	}
	pthread_mutex_lock(&pool_lock);
	threads = pool_threads;
	pthread_mutex_unlock(&pool_lock);
	snprintf(reply, sizeof(reply),
		 "served by pool thread %u of %u (door %llu, held %ld ms)",
		 index, threads, (unsigned long long)info.di_uniquifier, ms);

answer:
	(void)door_return(reply, strlen(reply), NULL, 0);

	/*
	 * The reply did not fit (E2BIG: the client accepts no results) and
	 * the client still waits: an empty reply always fits.
	 */
	(void)door_return(NULL, 0, NULL, 0);
}

int main(int argc, char **argv)
{
	const char *path;
	sigset_t stop_signals;
	door_info_t info;
	int did;
	int err;

	if (argc != 2 || argv[1][0] == '\0') {
		fprintf(stderr, "usage: %s DOORPATH\n"
			"Serves a private door at DOORPATH with a pool of up "
			"to %d threads,\nuntil SIGINT or SIGTERM.  A call's "
			"optional argument is milliseconds to hold\nits "
			"thread; the reply names the thread.\n", progname,
			POOL_THREADS_MAX);
		return 2;
	}
	path = argv[1];

	err = pthread_key_create(&thread_index_key, NULL);
	if (err != 0) {
		fprintf(stderr, "%s: pthread_key_create: %s\n", progname,
			strerror(err));
		return 1;
	}

	/*
	 * Before door_create: pool threads inherit the blocked mask from
	 * the thread that starts them, main or a pool thread on depletion.
	 */
	if (block_stop_signals(progname, &stop_signals) < 0)
		return 1;

	/* Before door_create, which calls it. */
	(void)door_server_create(pool_create);

	did = door_create(pool_proc, NULL, DOOR_PRIVATE | DOOR_REFUSE_DESC);
	publish_door(did);	/* DOOR_INVAL on failure: the thread gives up */
	if (did < 0) {
		fprintf(stderr, "%s: door_create: %s\n", progname,
			strerror(errno));
		return 1;
	}
	if (door_info(did, &info) < 0) {
		fprintf(stderr, "%s: door_info: %s\n", progname,
			strerror(errno));
		return 1;
	}
	if (attach_door(did, path) < 0) {
		fprintf(stderr, "%s: %s: %s\n", progname, path,
			strerror(errno));
		return 1;
	}
	printf("%s: serving %s (door %llu, %s pool of up to %d threads, "
	       "pid %ld)\n", progname, path,
	       (unsigned long long)info.di_uniquifier,
	       info.di_attributes & DOOR_PRIVATE ? "private" : "NOT a private",
	       POOL_THREADS_MAX, (long)getpid());
	fflush(stdout);

	return serve_until_stopped(progname, did, path, &stop_signals);
}
