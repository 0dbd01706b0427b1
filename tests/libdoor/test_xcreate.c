/*
 * test_xcreate.c: door_xcreate (checklist row 5) and what happens to a
 * server thread whose caller leaves (row 22).
 *
 * The doors are served by this test process; callers are forked children
 * holding the inherited descriptor, killed when a test wants a caller to
 * vanish mid-call.
 */
#include "harness.h"

#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <string.h>
#include <unistd.h>

/* --- door_xcreate --- */

static atomic_int created, setups, depletions;
static atomic_int first_event;          /* 1: crf, 2: procedure */
static int xdoor = -1;

static int crf_start(door_info_t *dip, void *(*start)(void *), void *arg,
		     void *crcookie)
{
	pthread_t t;
	ck_assert_ptr_eq(crcookie, &created);
	ck_assert(dip->di_attributes & DOOR_PRIVATE);
	ck_assert(dip->di_attributes & DOOR_PRIVCREATE);
	if (dip->di_attributes & DOOR_DEPLETION_CB) {
		atomic_fetch_add(&depletions, 1);
		int none = 0;
		atomic_compare_exchange_strong(&first_event, &none, 1);
	}
	atomic_fetch_add(&created, 1);
	return pthread_create(&t, NULL, start, arg) == 0 ? 1 : -1;
}

static int crf_decline(door_info_t *dip, void *(*start)(void *), void *arg,
		       void *crcookie)
{
	(void)dip, (void)start, (void)arg, (void)crcookie;
	return 0;
}

static int crf_fail(door_info_t *dip, void *(*start)(void *), void *arg,
		    void *crcookie)
{
	(void)dip, (void)start, (void)arg, (void)crcookie;
	return -1;
}

static void setup_thread(void *crcookie)
{
	ck_assert_ptr_eq(crcookie, &created);
	atomic_fetch_add(&setups, 1);
}

/* Replies with the id door_info(DOOR_QUERY) gives in the serving thread. */
static void query_proc(void *cookie, char *argp, size_t size, door_desc_t *dp,
		       uint_t ndesc)
{
	(void)cookie, (void)argp, (void)size, (void)dp, (void)ndesc;
	int none = 0;
	atomic_compare_exchange_strong(&first_event, &none, 2);
	door_info_t info;
	door_id_t id = door_info(DOOR_QUERY, &info) == 0 ?
		info.di_uniquifier : 0;
	door_return((char *)&id, sizeof(id), NULL, 0);
}

static int call_for_id(void *arg, int ctl)
{
	int d = *(int *)arg;
	door_id_t id = 0;
	door_arg_t a = { NULL, 0, NULL, 0, (char *)&id, sizeof(id) };
	CHILD_OK(door_call(d, &a));
	ctl_send(ctl, &id, sizeof(id));
	return 0;
}

static void reset_counts(void)
{
	atomic_store(&created, 0);
	atomic_store(&setups, 0);
	atomic_store(&depletions, 0);
	atomic_store(&first_event, 0);
}

START_TEST(xcreate_binds_all_threads_first)
{
	reset_counts();
	xdoor = door_xcreate(query_proc, NULL, DOOR_NO_DEPLETION_CB,
			     crf_start, setup_thread, &created, 3);
	ck_assert_int_ge(xdoor, 0);
	/* Every thread ran its setup (and bound) before the call returned. */
	ck_assert_int_eq(atomic_load(&created), 3);
	ck_assert_int_eq(atomic_load(&setups), 3);

	door_info_t info;
	ck_assert_ok(door_info(xdoor, &info));
	ck_assert_uint_eq(info.di_attributes & (DOOR_PRIVATE | DOOR_PRIVCREATE |
					       DOOR_NO_DEPLETION_CB),
			  DOOR_PRIVATE | DOOR_PRIVCREATE | DOOR_NO_DEPLETION_CB);

	/* A call is served by one of them, bound to this door. */
	struct child c = child_start(call_for_id, &xdoor, CHILD_EXIT);
	door_id_t id;
	child_recv(&c, &id, sizeof(id));
	ck_assert_int_eq(child_join(&c), 0);
	ck_assert_uint_eq(id, info.di_uniquifier);
	/* NO_DEPLETION_CB: the pool stays as it was made. */
	ck_assert_int_eq(atomic_load(&depletions), 0);
	ck_assert_int_eq(atomic_load(&created), 3);
}
END_TEST

START_TEST(xcreate_depletion_calls_crf_before_the_procedure)
{
	reset_counts();
	xdoor = door_xcreate(query_proc, NULL, 0, crf_start, setup_thread,
			     &created, 1);
	ck_assert_int_ge(xdoor, 0);
	struct child c = child_start(call_for_id, &xdoor, CHILD_EXIT);
	door_id_t id;
	child_recv(&c, &id, sizeof(id));
	ck_assert_int_eq(child_join(&c), 0);
	/* The only thread took the call: crf was asked for one more, with
	 * DOOR_DEPLETION_CB, before the procedure ran. */
	ck_assert_int_eq(atomic_load(&depletions), 1);
	ck_assert_int_eq(atomic_load(&first_event), 1);
}
END_TEST

START_TEST(xcreate_errors)
{
	reset_counts();
	ck_assert_fails(door_xcreate(query_proc, NULL, 0, crf_start, NULL,
				     &created, 0), EINVAL);
	ck_assert_fails(door_xcreate(query_proc, NULL, 0, NULL, NULL, &created,
				     1), EINVAL);
	ck_assert_fails(door_xcreate(query_proc, NULL, DOOR_PRIVCREATE,
				     crf_start, NULL, &created, 1), EINVAL);
	ck_assert_fails(door_xcreate(query_proc, NULL,
				     DOOR_UNREF | DOOR_UNREF_MULTI, crf_start,
				     NULL, &created, 1), EINVAL);
	ck_assert_int_eq(atomic_load(&created), 0);
	/* crf declining at creation is EINVAL; failing is EPIPE. */
	ck_assert_fails(door_xcreate(query_proc, NULL, 0, crf_decline, NULL,
				     NULL, 2), EINVAL);
	ck_assert_fails(door_xcreate(query_proc, NULL, 0, crf_fail, NULL, NULL,
				     2), EPIPE);
}
END_TEST

/* --- a caller that leaves in the middle of a call --- */

/* The serving thread reports on this pipe: 's'tarted, 'c'ancelled or
 * 'f'inished. */
static int report[2];

static void on_cancel(void *unused)
{
	(void)unused;
	ck_assert(write(report[1], "c", 1) == 1);
}

/* Runs about 3 s unless cancelled; argp[0] == 'e' enables cancellation. */
static void slow_proc(void *cookie, char *argp, size_t size, door_desc_t *dp,
		      uint_t ndesc)
{
	(void)cookie, (void)size, (void)dp, (void)ndesc;
	if (argp && argp[0] == 'e')
		pthread_setcancelstate(PTHREAD_CANCEL_ENABLE, NULL);
	ck_assert(write(report[1], "s", 1) == 1);
	pthread_cleanup_push(on_cancel, NULL);
	for (int i = 0; i < 30; i++) {
		sleep_ms(100);
		pthread_testcancel();
	}
	pthread_cleanup_pop(0);
	ck_assert(write(report[1], "f", 1) == 1);
	door_return(NULL, 0, NULL, 0);
}

static char call_arg;

static int call_and_wait(void *arg, int ctl)
{
	(void)ctl;
	int d = *(int *)arg;
	door_arg_t a = { &call_arg, 1, NULL, 0, NULL, 0 };
	door_call(d, &a);
	return 0;
}

/* Kill the caller once the server runs its call; what happened next. */
static char abandon_call(int d, char how)
{
	char ev = 0;
	call_arg = how;
	ck_assert_ok(pipe(report));
	struct child c = child_start(call_and_wait, &d, CHILD_EXIT);
	ck_assert(fd_read_full(report[0], &ev, 1));
	ck_assert_int_eq(ev, 's');
	child_kill(&c);
	ck_assert(fd_read_full(report[0], &ev, 1));
	return ev;
}

START_TEST(abort_cancels_a_thread_that_allows_it)
{
	int d = door_create(slow_proc, NULL, 0);
	ck_assert_int_ge(d, 0);
	ck_assert_int_eq(abandon_call(d, 'e'), 'c');
}
END_TEST

START_TEST(abort_leaves_a_thread_with_cancellation_disabled)
{
	int d = door_create(slow_proc, NULL, 0);
	ck_assert_int_ge(d, 0);
	ck_assert_int_eq(abandon_call(d, 'd'), 'f');
}
END_TEST

START_TEST(no_cancel_door_is_never_cancelled)
{
	int d = door_create(slow_proc, NULL, DOOR_NO_CANCEL);
	ck_assert_int_ge(d, 0);
	ck_assert_int_eq(abandon_call(d, 'e'), 'f');
}
END_TEST

Suite *xcreate_suite(void)
{
	Suite *s = suite_create("xcreate");
	TCase *tc = harness_tcase(s, "door_xcreate");
	tcase_add_test(tc, xcreate_binds_all_threads_first);
	tcase_add_test(tc, xcreate_depletion_calls_crf_before_the_procedure);
	tcase_add_test(tc, xcreate_errors);

	tc = harness_tcase(s, "client_abort");
#ifndef __SANITIZE_ADDRESS__
	/*
	 * GCC 12's AddressSanitizer fails an internal check (asan_thread.cpp,
	 * kCurrentStackFrameMagic) when cancellation unwinds a thread whose
	 * bottom frame door_return re-entered with longjmp.  The plain build
	 * runs this test.
	 */
	tcase_add_test(tc, abort_cancels_a_thread_that_allows_it);
#endif
	tcase_add_test(tc, abort_leaves_a_thread_with_cancellation_disabled);
	tcase_add_test(tc, no_cancel_door_is_never_cancelled);
	return s;
}
