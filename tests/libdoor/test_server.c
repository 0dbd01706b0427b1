/*
 * test_server.c: the server side (DOOR-API rows 9, 10, 11, 14, 15, 16).
 *
 * door_return parks the thread and serves again; with no client it
 * discards the reply and parks; E2BIG when the client accepts no results,
 * with the client still waiting; any thread joins the pool with
 * door_return(NULL, 0, NULL, 0) and a signal does not unpark it; a
 * procedure that returns ends its thread and the client gets EINTR;
 * door_bind/door_unbind; door_server_create and its three call sites;
 * the depletion callback, which runs in the thread that took the call,
 * before the procedure.
 *
 * Pools are made exact where a result depends on which thread serves:
 * svc_no_threads as the server-create function and only the threads the
 * test starts.
 */
#include "service.h"

#include <fcntl.h>
#include <signal.h>
#include <stdatomic.h>
#include <sys/mman.h>

static void nop_proc(void *cookie, char *argp, size_t arg_size,
		     door_desc_t *dp, uint_t n_desc)
{
	(void)cookie, (void)argp, (void)arg_size, (void)dp, (void)n_desc;
	(void)door_return(NULL, 0, NULL, 0);
}

/* ------------------------------------------------------------------ */
/* A thread that joins a pool by door_return, and watches itself. */

struct joiner {
	pthread_t self;
	atomic_int tid;
	atomic_int returned;	/* door_return came back */
	int err;
	int bind_fd[2];		/* door_bind these first (-1: none) */
	char *data;		/* what door_return is given */
	size_t size;
};

static void *joiner_main(void *arg)
{
	struct joiner *j = arg;

	pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, NULL);
	for (int i = 0; i < 2; i++) {
		if (j->bind_fd[i] >= 0 && door_bind(j->bind_fd[i]) < 0) {
			j->err = errno;
			atomic_store(&j->returned, 1);
			return NULL;
		}
	}
	atomic_store(&j->tid, gettid());
	(void)door_return(j->data, j->size, NULL, 0);
	j->err = errno;
	atomic_store(&j->returned, 1);
	return NULL;
}

/* Start a joiner; returns once it is about to call door_return. */
static void joiner_start(struct joiner *j, int bind1, int bind2)
{
	j->bind_fd[0] = bind1;
	j->bind_fd[1] = bind2;
	atomic_store(&j->tid, 0);
	atomic_store(&j->returned, 0);
	ck_assert_int_eq(pthread_create(&j->self, NULL, joiner_main, j), 0);
	for (int waited = 0; atomic_load(&j->tid) == 0; waited++) {
		ck_assert_msg(!atomic_load(&j->returned),
			      "door_bind in the joiner: %s",
			      strerrorname_np(j->err));
		ck_assert_int_lt(waited, WAIT_MS);
		sleep_ms(1);
	}
}

/* ------------------------------------------------------------------ */
/* door_return. */

START_TEST(return_parks_and_serves_again)
{
	struct svc_door sd;
	struct svc_server srv;
	struct svc_state first, st;
	char out[64];

	/* One pool thread only: every call must come back to it. */
	svc_init(&sd, 0);
	sd.no_auto_pool = true;
	sd.pool_threads = 1;
	srv = svc_serve_in_child(&sd);
	for (int i = 0; i < 10; i++) {
		ck_assert_ok(svc_call(srv.fd, SVC_PATTERN, sizeof(out), i, 0,
				      out, sizeof(out)));
		ck_assert(pattern_ok(out, sizeof(out), i));
		if (i == 0)
			first = svc_state(srv.fd);
	}
	st = svc_state(srv.fd);
	ck_assert_uint_eq(st.calls, 12);
	ck_assert_int_eq(st.last_tid, first.last_tid);
	ck_assert_int_eq(st.returned, 0);
	ck_assert_int_eq(st.park_returned, 0);
}
END_TEST

START_TEST(return_without_client_parks)
{
	struct svc_door sd;
	struct joiner j = { .data = "junk", .size = 4 };
	struct call_spec spec;
	struct child c;

	svc_init(&sd, 0);
	sd.no_auto_pool = true;
	ck_assert_int_ge(svc_create(&sd), 0);

	/* A reply with nobody to take it: discarded, and the thread parks. */
	joiner_start(&j, -1, -1);
	spec = call_spec(sd.fd, SVC_PATTERN, 100, 100);
	c = child_start(child_call, &spec, CHILD_EXIT);
	ck_assert_int_eq(child_join(&c), 0);
	ck_assert_int_eq(svc_local_state(&sd).last_tid, atomic_load(&j.tid));
	ck_assert_msg(!atomic_load(&j.returned), "door_return came back: %s",
		      strerrorname_np(j.err));
}
END_TEST

START_TEST(return_e2big_when_client_takes_no_results)
{
	struct svc_door sd;
	struct svc_server srv;
	struct svc_state st;
	door_arg_t a = { NULL, 0, NULL, 0, NULL, 0 };

	/* Calls without arguments get 8 bytes back. */
	svc_init(&sd, 0);
	sd.no_auto_pool = true;
	sd.pool_threads = 1;
	sd.empty_reply = 8;
	srv = svc_serve_in_child(&sd);

	/*
	 * NULL params accept no results: door_return(8 bytes) fails with
	 * E2BIG and the client keeps waiting until the procedure answers
	 * again, with nothing.
	 */
	ck_assert_ok(door_call(srv.fd, NULL));
	st = svc_state(srv.fd);
	ck_assert_uint_eq(st.calls, 2);
	ck_assert_int_eq(st.returned, 1);
	ck_assert_int_eq(st.return_errno, E2BIG);
	ck_assert_int_eq(st.park_returned, 0);

	/* A params with no result area takes them, in a new mapping. */
	ck_assert_ok(door_call(srv.fd, &a));
	ck_assert_uint_eq(a.data_size, 8);
	ck_assert_ptr_nonnull(a.rbuf);
	ck_assert(pattern_ok(a.data_ptr, 8, 0));
	ck_assert_ok(munmap(a.rbuf, a.rsize));
	ck_assert_int_eq(svc_state(srv.fd).returned, 1);
}
END_TEST

static atomic_int usr1_caught;

static void count_usr1(int sig)
{
	(void)sig;
	atomic_fetch_add(&usr1_caught, 1);
}

START_TEST(thread_joins_pool_and_survives_signals)
{
	struct sigaction sa = { 0 };
	struct svc_door sd;
	struct joiner j = { 0 };
	struct call_spec spec;
	struct child c;

	svc_init(&sd, 0);
	sd.no_auto_pool = true;
	ck_assert_int_ge(svc_create(&sd), 0);
	joiner_start(&j, -1, -1);

	spec = call_spec(sd.fd, SVC_PATTERN, 64, 64);
	c = child_start(child_call, &spec, CHILD_EXIT);
	ck_assert_int_eq(child_join(&c), 0);
	ck_assert_int_eq(svc_local_state(&sd).last_tid, atomic_load(&j.tid));

	/*
	 * A handled signal (no SA_RESTART) does not make a parked thread
	 * return: it parks again and serves the next call.
	 */
	sa.sa_handler = count_usr1;
	sigemptyset(&sa.sa_mask);
	ck_assert_ok(sigaction(SIGUSR1, &sa, NULL));
	ck_assert(wait_sleeping(getpid(), atomic_load(&j.tid)));
	ck_assert_int_eq(pthread_kill(j.self, SIGUSR1), 0);
	for (int waited = 0; atomic_load(&usr1_caught) == 0; waited++) {
		ck_assert_int_lt(waited, WAIT_MS);
		sleep_ms(1);
	}
	spec.seed = 4242;
	c = child_start(child_call, &spec, CHILD_EXIT);
	ck_assert_int_eq(child_join(&c), 0);
	ck_assert_int_eq(svc_local_state(&sd).last_tid, atomic_load(&j.tid));
	ck_assert_msg(!atomic_load(&j.returned), "door_return came back: %s",
		      strerrorname_np(j.err));
}
END_TEST

START_TEST(call_waits_until_a_thread_parks)
{
	struct svc_door sd;
	struct joiner j = { 0 };
	struct call_spec spec;
	struct child c;

	svc_init(&sd, 0);
	sd.no_auto_pool = true;
	ck_assert_int_ge(svc_create(&sd), 0);

	/* No thread in the pool: the call waits (it does not fail)... */
	spec = call_spec(sd.fd, SVC_PATTERN, 32, 32);
	c = child_start(child_call, &spec, CHILD_EXIT);
	sleep_ms(300);
	ck_assert_msg(child_alive(&c), "door_call returned with no server "
		      "thread to run it");
	/* ...until one parks. */
	joiner_start(&j, -1, -1);
	ck_assert_int_eq(child_join(&c), 0);
	ck_assert_int_eq(svc_local_state(&sd).last_tid, atomic_load(&j.tid));
}
END_TEST

START_TEST(procedure_returning_ends_thread_client_eintr)
{
	struct svc_door sd;
	struct svc_server srv;
	char out[40];

	svc_init(&sd, 0);
	srv = svc_serve_in_child(&sd);
	for (int i = 0; i < 3; i++) {
		ck_assert_fails(svc_call(srv.fd, SVC_FALL_OFF, 0, 0, 0, NULL,
					 0), EINTR);
		/* The pool carries on. */
		ck_assert_ok(svc_call(srv.fd, SVC_PATTERN, sizeof(out), i, 0,
				      out, sizeof(out)));
		ck_assert(pattern_ok(out, sizeof(out), i));
	}
	ck_assert_uint_eq(svc_state(srv.fd).calls, 7);
}
END_TEST

/* ------------------------------------------------------------------ */
/* door_server_create and depletion. */

#define MAX_RECORDS 16

struct record {
	bool null;		/* called with NULL */
	door_info_t info;	/* else a copy of *dip */
	pid_t tid;
};

/* What the recording server-create function saw (one per test process). */
static struct {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	int n;
	struct record r[MAX_RECORDS];
	int handler_saw_n;	/* n when rec_proc started */
	pid_t handler_tid;
	int nprivate;
	struct { door_id_t id; int fd; } private[8];
	int bind_errno;
} rec = { .lock = PTHREAD_MUTEX_INITIALIZER, .cond = PTHREAD_COND_INITIALIZER };

static void *rec_park_thread(void *arg)
{
	(void)arg;
	pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, NULL);
	(void)door_return(NULL, 0, NULL, 0);
	return NULL;
}

/* Waits until the test has named the private door's fd, binds, parks. */
static void *rec_bind_thread(void *arg)
{
	door_id_t id = *(door_id_t *)arg;
	struct timespec deadline;
	int fd = -1;

	free(arg);
	pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, NULL);
	clock_gettime(CLOCK_REALTIME, &deadline);
	deadline.tv_sec += WAIT_MS / 1000;
	pthread_mutex_lock(&rec.lock);
	while (fd < 0) {
		for (int i = 0; i < rec.nprivate; i++)
			if (rec.private[i].id == id)
				fd = rec.private[i].fd;
		if (fd < 0 && pthread_cond_timedwait(&rec.cond, &rec.lock,
						     &deadline) != 0)
			break;
	}
	pthread_mutex_unlock(&rec.lock);
	if (fd < 0 || door_bind(fd) < 0) {
		pthread_mutex_lock(&rec.lock);
		rec.bind_errno = fd < 0 ? ETIMEDOUT : errno;
		pthread_mutex_unlock(&rec.lock);
		return NULL;
	}
	(void)door_return(NULL, 0, NULL, 0);
	return NULL;
}

/*
 * The server-create function under test: records each call and does
 * what a real one must: NULL, start a thread for the global pool; a
 * private door's info, start a thread that binds to it.
 */
static void rec_fn(door_info_t *dip)
{
	pthread_attr_t attr;
	pthread_t t;

	pthread_mutex_lock(&rec.lock);
	if (rec.n < MAX_RECORDS) {
		rec.r[rec.n].null = dip == NULL;
		if (dip)
			rec.r[rec.n].info = *dip;
		rec.r[rec.n].tid = gettid();
	}
	rec.n++;
	pthread_mutex_unlock(&rec.lock);

	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	if (dip) {
		door_id_t *id = malloc(sizeof(*id));

		*id = dip->di_uniquifier;
		pthread_create(&t, &attr, rec_bind_thread, id);
	} else {
		pthread_create(&t, &attr, rec_park_thread, NULL);
	}
	pthread_attr_destroy(&attr);
}

static void rec_fn2(door_info_t *dip)
{
	rec_fn(dip);
}

/* Name a private door's fd for the threads rec_fn starts for it. */
static door_id_t rec_private(int fd)
{
	door_info_t info;

	ck_assert_ok(door_info(fd, &info));
	pthread_mutex_lock(&rec.lock);
	rec.private[rec.nprivate].id = info.di_uniquifier;
	rec.private[rec.nprivate].fd = fd;
	rec.nprivate++;
	pthread_cond_broadcast(&rec.cond);
	pthread_mutex_unlock(&rec.lock);
	return info.di_uniquifier;
}

static int rec_count(void)
{
	int n;

	pthread_mutex_lock(&rec.lock);
	n = rec.n;
	pthread_mutex_unlock(&rec.lock);
	return n;
}

static void rec_proc(void *cookie, char *argp, size_t arg_size,
		     door_desc_t *dp, uint_t n_desc)
{
	(void)cookie, (void)argp, (void)arg_size, (void)dp, (void)n_desc;
	pthread_mutex_lock(&rec.lock);
	rec.handler_saw_n = rec.n;
	rec.handler_tid = gettid();
	pthread_mutex_unlock(&rec.lock);
	(void)door_return(NULL, 0, NULL, 0);
}

static int call_null_child(void *arg, int ctl)
{
	(void)ctl;
	CHILD_OK(door_call(*(int *)arg, NULL));
	return 0;
}

static void call_from_child(int fd)
{
	struct child c = child_start(call_null_child, &fd, CHILD_EXIT);

	ck_assert_int_eq(child_join(&c), 0);
}

START_TEST(server_create_returns_previous)
{
	door_server_func_t *def = door_server_create(rec_fn);

	ck_assert_ptr_nonnull(def);
	ck_assert_ptr_ne(def, rec_fn);
	ck_assert_ptr_eq(door_server_create(rec_fn2), rec_fn);
	ck_assert_ptr_eq(door_server_create(def), rec_fn2);
	ck_assert_ptr_eq(door_server_create(def), def);
}
END_TEST

START_TEST(server_create_null_at_first_door)
{
	int fd1, fd2, fd3;

	door_server_create(rec_fn);
	fd1 = door_create(rec_proc, NULL, 0);
	ck_assert_int_ge(fd1, 0);
	ck_assert_int_eq(rec_count(), 1);
	ck_assert(rec.r[0].null);
	/* Only the first non-private door of the process. */
	fd2 = door_create(rec_proc, NULL, DOOR_REFUSE_DESC);
	ck_assert_int_ge(fd2, 0);
	fd3 = door_create(rec_proc, NULL, DOOR_NO_CANCEL);
	ck_assert_int_ge(fd3, 0);
	ck_assert_int_eq(rec_count(), 1);
	/* The thread it started serves the doors. */
	call_from_child(fd2);
	call_from_child(fd1);
}
END_TEST

START_TEST(server_create_info_for_private_doors)
{
	static int marker;
	door_info_t info;
	door_id_t id1, id2;
	int p1, p2, fd;

	door_server_create(rec_fn);
	/* The first door of the process is private: never a NULL call. */
	p1 = door_create(rec_proc, &marker, DOOR_PRIVATE);
	ck_assert_int_ge(p1, 0);
	id1 = rec_private(p1);
	ck_assert_int_eq(rec_count(), 1);
	ck_assert(!rec.r[0].null);
	info = rec.r[0].info;
	ck_assert_int_eq(info.di_target, getpid());
	ck_assert_uint_eq(info.di_proc, (uintptr_t)rec_proc);
	ck_assert_uint_eq(info.di_data, (uintptr_t)&marker);
	ck_assert_uint_eq(info.di_uniquifier, id1);
	ck_assert(info.di_attributes & DOOR_PRIVATE);
	ck_assert(!(info.di_attributes & DOOR_DEPLETION_CB));

	p2 = door_create(rec_proc, NULL, DOOR_PRIVATE | DOOR_REFUSE_DESC);
	ck_assert_int_ge(p2, 0);
	id2 = rec_private(p2);
	ck_assert_int_eq(rec_count(), 2);
	ck_assert(!rec.r[1].null);
	ck_assert_uint_eq(rec.r[1].info.di_uniquifier, id2);
	ck_assert_uint_eq(rec.r[1].info.di_attributes &
			  (DOOR_PRIVATE | DOOR_REFUSE_DESC),
			  DOOR_PRIVATE | DOOR_REFUSE_DESC);

	/* Then the first non-private door gets its NULL call. */
	fd = door_create(rec_proc, NULL, 0);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(rec_count(), 3);
	ck_assert(rec.r[2].null);

	/* The threads it started bound themselves and serve. */
	call_from_child(p1);
	call_from_child(p2);
	call_from_child(fd);
	ck_assert_int_eq(rec.bind_errno, 0);
}
END_TEST

START_TEST(depletion_callback_before_procedure_global)
{
	int fd;

	door_server_create(rec_fn);
	fd = door_create(rec_proc, NULL, 0);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(rec_count(), 1);

	/*
	 * The one thread takes the call, and being the last one runs the
	 * callback, in itself, before the procedure.
	 */
	call_from_child(fd);
	pthread_mutex_lock(&rec.lock);
	ck_assert_int_eq(rec.handler_saw_n, 2);
	ck_assert(rec.r[1].null);
	ck_assert_int_eq(rec.r[1].tid, rec.handler_tid);
	pthread_mutex_unlock(&rec.lock);
}
END_TEST

START_TEST(depletion_callback_before_procedure_private)
{
	door_info_t info;
	door_id_t id;
	int fd;

	door_server_create(rec_fn);
	fd = door_create(rec_proc, NULL, DOOR_PRIVATE);
	ck_assert_int_ge(fd, 0);
	id = rec_private(fd);
	ck_assert_int_eq(rec_count(), 1);

	call_from_child(fd);
	pthread_mutex_lock(&rec.lock);
	ck_assert_int_eq(rec.bind_errno, 0);
	ck_assert_int_eq(rec.handler_saw_n, 2);
	ck_assert(!rec.r[1].null);
	ck_assert_int_eq(rec.r[1].tid, rec.handler_tid);
	ck_assert_uint_eq(rec.r[1].info.di_uniquifier, id);
	ck_assert(rec.r[1].info.di_attributes & DOOR_PRIVATE);
	ck_assert(rec.r[1].info.di_attributes & DOOR_DEPLETION_CB);
	/* At creation it was not a depletion. */
	ck_assert(!(rec.r[0].info.di_attributes & DOOR_DEPLETION_CB));
	pthread_mutex_unlock(&rec.lock);
	/* Nor is it anywhere but in the callback. */
	ck_assert_ok(door_info(fd, &info));
	ck_assert(!(info.di_attributes & DOOR_DEPLETION_CB));
}
END_TEST

/* ------------------------------------------------------------------ */
/* door_bind, door_unbind. */

START_TEST(bind_errors)
{
	char tmpl[] = "/tmp/check_libdoor-file.XXXXXX";
	int p[2], closed, file, global;

	ck_assert_ok(pipe(p));
	ck_assert_fails(door_bind(p[0]), EBADF);
	ck_assert_fails(door_bind(DOOR_INVAL), EBADF);
	closed = dup(p[0]);
	close(closed);
	ck_assert_fails(door_bind(closed), EBADF);
	file = mkstemp(tmpl);
	ck_assert_int_ge(file, 0);
	unlink(tmpl);
	ck_assert_fails(door_bind(file), EBADF);

	global = door_create(nop_proc, NULL, 0);
	ck_assert_int_ge(global, 0);
	ck_assert_fails(door_bind(global), EINVAL);
	ck_assert_fails(door_unbind(), EBADF);
}
END_TEST

static int bind_einval_child(void *arg, int ctl)
{
	(void)ctl;
	CHILD_FAILS(door_bind(*(int *)arg), EINVAL);
	return 0;
}

START_TEST(bind_einval_for_other_process_door)
{
	struct svc_door sd;
	struct svc_server srv;
	struct child c;
	int mine;

	/* A private door of another process. */
	svc_init(&sd, DOOR_PRIVATE);
	srv = svc_serve_in_child(&sd);
	ck_assert_fails(door_bind(srv.fd), EINVAL);

	/* Ours, from a forked child. */
	mine = door_create(nop_proc, NULL, DOOR_PRIVATE);
	ck_assert_int_ge(mine, 0);
	c = child_start(bind_einval_child, &mine, CHILD_EXIT);
	ck_assert_int_eq(child_join(&c), 0);
}
END_TEST

static door_id_t id_of(int fd)
{
	door_info_t info;

	ck_assert_ok(door_info(fd, &info));
	return info.di_uniquifier;
}

START_TEST(bind_unbind_rebind)
{
	door_info_t info;
	int a, b;

	door_server_create(svc_no_threads);
	a = door_create(nop_proc, NULL, DOOR_PRIVATE);
	b = door_create(nop_proc, NULL, DOOR_PRIVATE);
	ck_assert_int_ge(a, 0);
	ck_assert_int_ge(b, 0);

	ck_assert_ok(door_bind(a));
	ck_assert_ok(door_info(DOOR_QUERY, &info));
	ck_assert_uint_eq(info.di_uniquifier, id_of(a));
	ck_assert_ok(door_unbind());
	ck_assert_fails(door_unbind(), EBADF);
	ck_assert_fails(door_info(DOOR_QUERY, &info), EBADF);

	/* Binding again moves the thread to the other door. */
	ck_assert_ok(door_bind(a));
	ck_assert_ok(door_bind(b));
	ck_assert_ok(door_info(DOOR_QUERY, &info));
	ck_assert_uint_eq(info.di_uniquifier, id_of(b));
	ck_assert_ok(door_unbind());
	ck_assert_fails(door_unbind(), EBADF);
}
END_TEST

static int query_child(void *arg, int ctl)
{
	struct svc_query q;

	CHILD_OK(svc_call_raw(*(int *)arg, SVC_QUERY, 0, 0, 0, &q, sizeof(q)));
	ctl_send(ctl, &q, sizeof(q));
	return 0;
}

START_TEST(private_pool_only_bound_threads)
{
	struct svc_door priv, global;
	struct joiner j = { 0 };
	struct svc_query q;
	struct child c;

	/* One thread bound to the private door, none in the global pool. */
	svc_init(&priv, DOOR_PRIVATE);
	priv.no_auto_pool = true;
	priv.pool_threads = 1;
	ck_assert_int_ge(svc_create(&priv), 0);
	svc_init(&global, 0);
	global.no_auto_pool = true;
	ck_assert_int_ge(svc_create(&global), 0);

	c = child_start(query_child, &priv.fd, CHILD_EXIT);
	child_recv(&c, &q, sizeof(q));
	ck_assert_int_eq(child_join(&c), 0);
	ck_assert_int_eq(q.rc, 0);
	ck_assert_uint_eq(q.info.di_uniquifier, id_of(priv.fd));
	ck_assert(q.info.di_attributes & DOOR_PRIVATE);
	ck_assert_int_eq(q.info.di_target, getpid());

	/* The bound thread does not serve the other door... */
	c = child_start(query_child, &global.fd, CHILD_EXIT);
	sleep_ms(200);
	ck_assert_msg(child_alive(&c), "a call to a non-private door was "
		      "served with no thread in the global pool");
	/* ...a thread of the global pool does, and it is bound to nothing. */
	joiner_start(&j, -1, -1);
	child_recv(&c, &q, sizeof(q));
	ck_assert_int_eq(child_join(&c), 0);
	ck_assert_int_eq(q.rc, -1);
	ck_assert_int_eq(q.err, EBADF);
	ck_assert_int_eq(svc_local_state(&global).last_tid,
			 atomic_load(&j.tid));
	ck_assert_int_ne(svc_local_state(&priv).last_tid,
			 atomic_load(&j.tid));
}
END_TEST

START_TEST(rebound_thread_serves_second_door)
{
	struct svc_door a, b;
	struct joiner j = { 0 };
	struct svc_query q;
	struct child c;

	svc_init(&a, DOOR_PRIVATE);
	a.no_auto_pool = true;
	ck_assert_int_ge(svc_create(&a), 0);
	svc_init(&b, DOOR_PRIVATE);
	b.no_auto_pool = true;
	ck_assert_int_ge(svc_create(&b), 0);

	joiner_start(&j, a.fd, b.fd);
	c = child_start(query_child, &b.fd, CHILD_EXIT);
	child_recv(&c, &q, sizeof(q));
	ck_assert_int_eq(child_join(&c), 0);
	ck_assert_int_eq(q.rc, 0);
	ck_assert_uint_eq(q.info.di_uniquifier, id_of(b.fd));
	ck_assert_int_eq(svc_local_state(&b).last_tid, atomic_load(&j.tid));
}
END_TEST

Suite *server_suite(void)
{
	Suite *s = suite_create("server");
	TCase *tc = harness_tcase(s, "door_return");

	tcase_add_test(tc, return_parks_and_serves_again);
	tcase_add_test(tc, return_without_client_parks);
	tcase_add_test(tc, return_e2big_when_client_takes_no_results);
	tcase_add_test(tc, thread_joins_pool_and_survives_signals);
	tcase_add_test(tc, call_waits_until_a_thread_parks);
	tcase_add_test(tc, procedure_returning_ends_thread_client_eintr);

	tc = harness_tcase(s, "server_create");
	tcase_add_test(tc, server_create_returns_previous);
	tcase_add_test(tc, server_create_null_at_first_door);
	tcase_add_test(tc, server_create_info_for_private_doors);
	tcase_add_test(tc, depletion_callback_before_procedure_global);
	tcase_add_test(tc, depletion_callback_before_procedure_private);

	tc = harness_tcase(s, "bind");
	tcase_add_test(tc, bind_errors);
	tcase_add_test(tc, bind_einval_for_other_process_door);
	tcase_add_test(tc, bind_unbind_rebind);
	tcase_add_test(tc, private_pool_only_bound_threads);
	tcase_add_test(tc, rebound_thread_serves_second_door);
	return s;
}
