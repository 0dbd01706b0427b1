/*
 * xcreate.c: door_xcreate, a private door whose pool threads the program
 * creates itself.
 *
 * The program's crf is handed a start function and its argument and must
 * start a thread running it (returning 1), decline (0) or fail (-1).  The
 * thread runs the program's setup function (or, with none, disables
 * cancellation), binds to the door and parks.  door_xcreate returns once
 * all nthread threads are bound; later, each depletion asks crf for one
 * more, unless DOOR_NO_DEPLETION_CB.
 */
#include <errno.h>
#include <stdlib.h>

#include "libdoor.h"

/* door_xcreate waiting for its first threads to bind. */
struct xcreate_wait {
	pthread_mutex_t lock;
	pthread_cond_t bound_cv;
	int bound;
};

struct xcreate_start_arg {
	struct ldoor *door;             /* with a reference */
	struct xcreate_wait *wait;      /* NULL for a depletion thread */
};

static void *xcreate_thread(void *p)
{
	struct xcreate_start_arg *arg = p;
	struct ldoor *door = arg->door;
	struct xcreate_wait *wait = arg->wait;
	free(arg);

	if (door->setupf)
		door->setupf(door->crcookie);
	else
		pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, NULL);
	server_bind(door);
	ldoor_unref(door);
	if (wait) {
		pthread_mutex_lock(&wait->lock);
		wait->bound++;
		pthread_cond_signal(&wait->bound_cv);
		pthread_mutex_unlock(&wait->lock);
	}
	door_return(NULL, 0, NULL, 0);
	return NULL;
}

int xcreate_start(struct ldoor *door, struct xcreate_wait *wait)
{
	struct xcreate_start_arg *arg = malloc(sizeof(*arg));
	if (!arg)
		return -1;
	ldoor_ref(door);
	arg->door = door;
	arg->wait = wait;

	door_info_t info = {
		.di_target = door->creator,
		.di_proc = (door_ptr_t)(uintptr_t)door->proc,
		.di_data = (door_ptr_t)(uintptr_t)door->cookie,
		.di_attributes = door->attributes | DOOR_LOCAL,
		.di_uniquifier = door->id,
	};
	if (!wait)
		info.di_attributes |= DOOR_DEPLETION_CB;
	int verdict = door->crf(&info, xcreate_thread, arg, door->crcookie);
	if (verdict != 1 && verdict != 0 && verdict != -1)
		abort();        /* illumos: crf broke its contract */
	if (verdict != 1) {
		ldoor_unref(door);
		free(arg);
	}
	return verdict;
}

/* What door_xcreate accepts: door_create's flags and NO_DEPLETION_CB. */
#define XCREATE_ATTRIBUTES (DOOR_UNREF | DOOR_PRIVATE | DOOR_UNREF_MULTI | \
			    DOOR_REFUSE_DESC | DOOR_NO_CANCEL | \
			    DOOR_NO_DEPLETION_CB)

LIBDOOR_EXPORT int door_xcreate(door_server_procedure_t *proc, void *cookie,
				uint_t attributes,
				door_xcreate_server_func_t *crf,
				door_xcreate_thrsetup_func_t *setupf,
				void *crcookie, int nthread)
{
	if (nthread < 1 || !crf || (attributes & ~XCREATE_ATTRIBUTES) ||
	    (attributes & (DOOR_UNREF | DOOR_UNREF_MULTI)) ==
	    (DOOR_UNREF | DOOR_UNREF_MULTI)) {
		errno = EINVAL;
		return -1;
	}
	struct ldoor *door;
	int err = door_make(proc, cookie,
			    attributes | DOOR_PRIVATE | DOOR_PRIVCREATE, &door);
	if (err) {
		errno = err;
		return -1;
	}
	door->crf = crf;
	door->setupf = setupf;
	door->crcookie = crcookie;

	struct xcreate_wait wait = {
		PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0,
	};
	int started = 0;
	for (; started < nthread && !err; started++) {
		int verdict = xcreate_start(door, &wait);
		if (verdict == 0)
			err = EINVAL;   /* declined at creation */
		else if (verdict < 0)
			err = EPIPE;
	}
	if (err)
		started--;      /* the last one did not start */

	/* Threads that started are told apart from us by their argument:
	 * wait for them even on failure, so none outlives `wait`. */
	pthread_mutex_lock(&wait.lock);
	while (wait.bound < started)
		pthread_cond_wait(&wait.bound_cv, &wait.lock);
	pthread_mutex_unlock(&wait.lock);

	if (err) {
		int fd = door->user_fd;
		door_revoke(fd);        /* closes fd; its threads stay parked */
		errno = err;
		return -1;
	}
	return door->user_fd;
}
