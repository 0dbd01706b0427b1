/*
 * test_failure.c: signals and deaths during calls (DOOR-API rows 22, 23,
 * 24; ARCHITECTURE.md "Failure").
 *
 * A handled signal interrupts door_call with EINTR, SA_RESTART or not,
 * and the call is not made again; the server's late reply is discarded
 * and door_ucred then fails with EINVAL.  A server killed during a call:
 * the caller gets EINTR, later calls EBADF, door_info shows it revoked;
 * a caller still waiting for a server thread gets EBADF.  A client killed
 * during a call: the server's door_return parks as usual and it serves
 * the next caller.
 *
 * While the test's main thread is blocked in door_call, a "kicker"
 * thread waits for the held call to reach the server's procedure and for
 * the main thread to sleep in the kernel, then signals or kills.
 */
#include "service.h"

#include <signal.h>
#include <stdatomic.h>

enum kick { KICK_SIGNAL, KICK_KILL };

struct kicker {
	pthread_t self;
	int hold_fd;		/* first wait for a byte here (-1: do not) */
	pid_t main_tid;		/* then for this thread of ours to sleep */
	enum kick what;
	pthread_t target;	/* KICK_SIGNAL: pthread_kill(target, SIGUSR1) */
	pid_t victim;		/* KICK_KILL: kill(victim, SIGKILL) */
	bool saw_hold, saw_sleep;
	atomic_bool call_returned;	/* set by the main thread */
};

static void *kicker_main(void *arg)
{
	struct kicker *k = arg;
	char b;

	k->saw_hold = k->hold_fd < 0 || fd_read_full(k->hold_fd, &b, 1);
	k->saw_sleep = wait_sleeping(getpid(), k->main_tid);
	/* Kick whatever happened, so the main thread cannot hang. */
	if (k->what == KICK_SIGNAL)
		pthread_kill(k->target, SIGUSR1);
	else
		kill(k->victim, SIGKILL);

	/* A door_call that ignores it would hang: fail the test instead. */
	for (int waited = 0; !atomic_load(&k->call_returned); waited++) {
		if (waited >= WAIT_MS)
			ck_abort_msg("door_call still blocked %d ms after the "
				     "%s", WAIT_MS, k->what == KICK_SIGNAL ?
				     "signal" : "server was killed");
		sleep_ms(1);
	}
	return NULL;
}

static void kicker_start(struct kicker *k, int hold_fd, enum kick what,
			 pid_t victim)
{
	k->hold_fd = hold_fd;
	k->main_tid = gettid();
	k->what = what;
	k->target = pthread_self();
	k->victim = victim;
	atomic_store(&k->call_returned, false);
	ck_assert_int_eq(pthread_create(&k->self, NULL, kicker_main, k), 0);
}

/* Right after the door_call the kicker interrupts, before any assertion. */
static void kicker_join(struct kicker *k)
{
	atomic_store(&k->call_returned, true);
	ck_assert_int_eq(pthread_join(k->self, NULL), 0);
	ck_assert_msg(k->saw_hold, "the call never reached the procedure");
	ck_assert_msg(k->saw_sleep, "door_call never slept in the kernel");
}

static atomic_int usr1_caught;

static void count_usr1(int sig)
{
	(void)sig;
	atomic_fetch_add(&usr1_caught, 1);
}

static void catch_usr1(bool restart)
{
	struct sigaction sa = { 0 };

	sa.sa_handler = count_usr1;
	sa.sa_flags = restart ? SA_RESTART : 0;
	sigemptyset(&sa.sa_mask);
	ck_assert_ok(sigaction(SIGUSR1, &sa, NULL));
}

/* _i: 0 with SA_RESTART, 1 without. */
START_TEST(signal_interrupts_call_not_restarted)
{
	struct svc_door sd;
	struct svc_server srv;
	struct svc_state st;
	struct kicker k;
	char out[16];

	catch_usr1(_i == 0);
	/* One server thread: what it did is known once it serves again. */
	svc_init(&sd, 0);
	sd.no_auto_pool = true;
	sd.pool_threads = 1;
	srv = svc_serve_in_child(&sd);

	kicker_start(&k, sd.hold[0], KICK_SIGNAL, 0);
	ck_assert_fails(svc_call(srv.fd, SVC_HOLD, sizeof(out), 1, 0, out,
				 sizeof(out)), EINTR);
	kicker_join(&k);
	ck_assert_int_eq(atomic_load(&usr1_caught), 1);

	/*
	 * Let the procedure answer the abandoned call: the reply is
	 * dropped, the thread parks and serves the next call, which gets
	 * its own reply.  The interrupted call was made exactly once.
	 */
	svc_release(&sd);
	st = svc_state(srv.fd);
	ck_assert_uint_eq(st.calls, 2);
	ck_assert_int_eq(st.returned, 0);
	ck_assert_int_eq(st.park_returned, 0);
	ck_assert_ok(svc_call(srv.fd, SVC_PATTERN, sizeof(out), 2, 0, out,
			      sizeof(out)));
	ck_assert(pattern_ok(out, sizeof(out), 2));
}
END_TEST

START_TEST(ucred_einval_after_client_interrupted)
{
	struct svc_door sd;
	struct svc_server srv;
	struct kicker k;
	char out[16];

	catch_usr1(true);
	svc_init(&sd, 0);
	sd.no_auto_pool = true;
	sd.pool_threads = 1;
	srv = svc_serve_in_child(&sd);

	kicker_start(&k, sd.hold[0], KICK_SIGNAL, 0);
	ck_assert_fails(svc_call(srv.fd, SVC_HOLD, sizeof(out), 1,
				 SVC_F_WAIT_ABORT, out, sizeof(out)), EINTR);
	kicker_join(&k);
	svc_release(&sd);
	ck_assert_int_eq(svc_state(srv.fd).hold_ucred_errno, EINVAL);
}
END_TEST

START_TEST(server_killed_during_call)
{
	struct svc_door sd;
	struct svc_server srv;
	struct kicker k;
	door_info_t info;
	char out[16];

	svc_init(&sd, DOOR_REFUSE_DESC);
	srv = svc_serve_in_child(&sd);

	kicker_start(&k, sd.hold[0], KICK_KILL, srv.child.pid);
	ck_assert_fails(svc_call(srv.fd, SVC_HOLD, sizeof(out), 1, 0, out,
				 sizeof(out)), EINTR);
	kicker_join(&k);
	ck_assert_int_eq(child_join(&srv.child), 128 + SIGKILL);

	/* "Server is dead": revoked, no target, EBADF from now on. */
	ck_assert_msg(wait_revoked(srv.fd), "door_info never reported the "
		      "dead server's door revoked");
	ck_assert_ok(door_info(srv.fd, &info));
	ck_assert_int_eq(info.di_target, -1);
	ck_assert(info.di_attributes & DOOR_REVOKED);
	ck_assert_fails(door_call(srv.fd, NULL), EBADF);
	ck_assert_fails(svc_call(srv.fd, SVC_PATTERN, sizeof(out), 1, 0, out,
				 sizeof(out)), EBADF);
}
END_TEST

START_TEST(server_killed_while_caller_waits_for_thread)
{
	struct svc_door sd;
	struct svc_server srv;
	struct kicker k;

	/* A door with no server thread: the call waits for one. */
	svc_init(&sd, 0);
	sd.no_auto_pool = true;
	srv = svc_serve_in_child(&sd);

	kicker_start(&k, -1, KICK_KILL, srv.child.pid);
	ck_assert_fails(door_call(srv.fd, NULL), EBADF);
	kicker_join(&k);
	ck_assert_int_eq(child_join(&srv.child), 128 + SIGKILL);
	ck_assert_fails(door_call(srv.fd, NULL), EBADF);
}
END_TEST

START_TEST(client_killed_during_call)
{
	struct svc_door sd;
	struct svc_state st;
	struct call_spec held, next;
	struct child a, b;

	/* One server thread, here; a child's call holds it. */
	svc_init(&sd, 0);
	sd.no_auto_pool = true;
	sd.pool_threads = 1;
	ck_assert_int_ge(svc_create(&sd), 0);
	held = call_spec(sd.fd, SVC_HOLD, 64, 64);
	held.flags = SVC_F_WAIT_ABORT;
	a = child_start(child_call, &held, CHILD_EXIT);
	svc_wait_hold(&sd);
	child_kill(&a);

	/*
	 * The procedure goes on: door_ucred finds no client, the reply
	 * goes nowhere, the thread parks, and it serves the next caller.
	 */
	svc_release(&sd);
	next = call_spec(sd.fd, SVC_PATTERN, 128, 128);
	b = child_start(child_call, &next, CHILD_EXIT);
	ck_assert_int_eq(child_join(&b), 0);
	st = svc_local_state(&sd);
	ck_assert_uint_eq(st.calls, 2);
	ck_assert_int_eq(st.hold_ucred_errno, EINVAL);
	ck_assert_int_eq(st.returned, 0);
	ck_assert_int_eq(st.park_returned, 0);
}
END_TEST

Suite *failure_suite(void)
{
	Suite *s = suite_create("failure");
	TCase *tc = harness_tcase(s, "signals");

	tcase_add_loop_test(tc, signal_interrupts_call_not_restarted, 0, 2);
	tcase_add_test(tc, ucred_einval_after_client_interrupted);

	tc = harness_tcase(s, "deaths");
	tcase_add_test(tc, server_killed_during_call);
	tcase_add_test(tc, server_killed_while_caller_waits_for_thread);
	tcase_add_test(tc, client_killed_during_call);
	return s;
}
