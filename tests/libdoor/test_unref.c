/*
 * test_unref.c: unreferenced notices (DOOR-API §4.2, rows 18 and 19, and
 * row 12's DOOR_IS_UNREF).
 *
 * References are descriptors (the creator's included) and fattach names.
 * A drop from two to one sends DOOR_UNREF once (the flag then clears) and
 * DOOR_UNREF_MULTI every time; the procedure sees argp ==
 * DOOR_UNREF_DATA, arg_size 0, dp NULL, n_desc 0, and door_return with
 * data fails E2BIG there.  A revoked door gets none; a notice due while
 * a call is in progress waits for it (DOOR_DELAY); a private door's
 * notice runs in its own pool.  door_info reports DOOR_IS_UNREF whenever
 * one reference is left.
 *
 * Reference changes reach the daemon asynchronously (FUSE sends RELEASE
 * after close returns), so every wait is bounded, and "no notice" is
 * checked after DOOR_IS_UNREF shows the daemon has counted the drop,
 * plus NO_NOTICE_MS for a notice already on its way.
 */
#include "service.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>

/* How long a notice that is not due gets to show up anyway. */
#define NO_NOTICE_MS 300

/* What the procedure saw in a notice. */
struct unref_seen {
	int argp_is_unref_data;
	size_t arg_size;
	int dp_null;
	uint_t n_desc;
	int query_rc;		/* door_info(DOOR_QUERY) in the notice */
	door_id_t query_id;
	int calls_done;		/* ordinary calls finished before it */
	int holding;		/* ordinary calls being held during it */
	int data_rc;		/* door_return with data: rc and errno */
	int data_errno;
};

/* A door served by unref_proc, and what happened to it. */
struct unref_door {
	int fd;
	uint_t attrs;
	int notices[2];		/* pipe: 'u' per notice, then 'r' once its
				   door_return with data came back */
	int hold[2];		/* socketpair for calls that say "hold" */
	pthread_mutex_t lock;
	int count;		/* notices */
	struct unref_seen last;
	int calls_done;
	int holding;
};

/* Tell the test (a pipe never full here: two bytes per notice). */
static void note(struct unref_door *ud, char what)
{
	ssize_t n = write(ud->notices[1], &what, 1);

	(void)n;	/* the test sees a missing byte as a missing notice */
}

static void unref_proc(void *cookie, char *argp, size_t arg_size,
		       door_desc_t *dp, uint_t n_desc)
{
	struct unref_door *ud = cookie;
	char b = 0;

	if ((void *)argp == DOOR_UNREF_DATA) {
		struct unref_seen s;
		door_info_t info;

		memset(&s, 0, sizeof(s));
		s.argp_is_unref_data = 1;
		s.arg_size = arg_size;
		s.dp_null = dp == NULL;
		s.n_desc = n_desc;
		s.query_rc = door_info(DOOR_QUERY, &info);
		s.query_id = s.query_rc == 0 ? info.di_uniquifier : 0;
		pthread_mutex_lock(&ud->lock);
		ud->count++;
		s.calls_done = ud->calls_done;
		s.holding = ud->holding;
		ud->last = s;
		pthread_mutex_unlock(&ud->lock);
		note(ud, 'u');

		/* No results are expected from a notice. */
		errno = 0;
		s.data_rc = door_return("data", 4, NULL, 0);
		s.data_errno = errno;
		pthread_mutex_lock(&ud->lock);
		ud->last.data_rc = s.data_rc;
		ud->last.data_errno = s.data_errno;
		pthread_mutex_unlock(&ud->lock);
		note(ud, 'r');
		(void)door_return(NULL, 0, NULL, 0);
		return;
	}

	if (argp && arg_size == 4 && memcmp(argp, "hold", 4) == 0) {
		pthread_mutex_lock(&ud->lock);
		ud->holding++;
		pthread_mutex_unlock(&ud->lock);
		(void)send(ud->hold[1], "h", 1, MSG_NOSIGNAL);
		while (recv(ud->hold[1], &b, 1, 0) < 0 && errno == EINTR)
			;
		pthread_mutex_lock(&ud->lock);
		ud->holding--;
		pthread_mutex_unlock(&ud->lock);
	}
	pthread_mutex_lock(&ud->lock);
	ud->calls_done++;
	pthread_mutex_unlock(&ud->lock);
	(void)door_return(NULL, 0, NULL, 0);
}

static void unref_init(struct unref_door *ud, uint_t attrs)
{
	memset(ud, 0, sizeof(*ud));
	ud->fd = -1;
	ud->attrs = attrs;
	pthread_mutex_init(&ud->lock, NULL);
	ck_assert_ok(pipe2(ud->notices, O_CLOEXEC));
	ck_assert_ok(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0,
				ud->hold));
}

static int unref_create(struct unref_door *ud, uint_t attrs)
{
	unref_init(ud, attrs);
	ud->fd = door_create(unref_proc, ud, attrs);
	ck_assert_msg(ud->fd >= 0, "door_create(0x%x): %s", attrs,
		      strerrorname_np(errno));
	return ud->fd;
}

static struct unref_seen unref_last(struct unref_door *ud, int *count)
{
	struct unref_seen s;

	pthread_mutex_lock(&ud->lock);
	s = ud->last;
	if (count)
		*count = ud->count;
	pthread_mutex_unlock(&ud->lock);
	return s;
}

/* Wait for the next notice, and for its door_return with data to fail. */
static struct unref_seen wait_notice(struct unref_door *ud, const char *why)
{
	char b[2];

	ck_assert_msg(fd_read_full(ud->notices[0], &b[0], 1),
		      "no unreferenced notice within %d ms after %s", WAIT_MS,
		      why);
	ck_assert_int_eq(b[0], 'u');
	ck_assert_msg(fd_read_full(ud->notices[0], &b[1], 1),
		      "door_return with data in the notice (after %s) did not "
		      "come back: want E2BIG", why);
	ck_assert_int_eq(b[1], 'r');
	return unref_last(ud, NULL);
}

/* No notice arrives within ms milliseconds. */
static void assert_no_notice(struct unref_door *ud, int ms, const char *why)
{
	struct pollfd p = { .fd = ud->notices[0], .events = POLLIN };
	int count, r;

	r = poll(&p, 1, ms);
	unref_last(ud, &count);
	ck_assert_msg(r == 0, "an unreferenced notice (number %d) came "
		      "after %s", count, why);
}

static door_attr_t attrs_of(int fd)
{
	door_info_t info;

	ck_assert_ok(door_info(fd, &info));
	return info.di_attributes;
}

/*
 * Wait (bounded) until door_info on fd shows DOOR_IS_UNREF as want: the
 * daemon has counted the references' last change.
 */
static void wait_is_unref(int fd, bool want, const char *why)
{
	for (int waited = 0; ; waited += 5) {
		bool is = (attrs_of(fd) & DOOR_IS_UNREF) != 0;

		if (is == want)
			return;
		ck_assert_msg(waited < WAIT_MS, "DOOR_IS_UNREF still %s %d ms "
			      "after %s", is ? "set" : "clear", WAIT_MS, why);
		sleep_ms(5);
	}
}

/* A second reference to our own door: a descriptor opened afresh. */
static int another_ref(int fd)
{
	int ref = open_fd_of(getpid(), fd, O_RDONLY | O_CLOEXEC);

	ck_assert_msg(ref >= 0, "open /proc/self/fd/%d: %s", fd,
		      strerror(errno));
	return ref;
}

/* The notice's arguments, as illumos passes them. */
static void assert_unref_args(const struct unref_seen *s)
{
	ck_assert_msg(s->argp_is_unref_data, "argp is not DOOR_UNREF_DATA");
	ck_assert_uint_eq(s->arg_size, 0);
	ck_assert_int_eq(s->dp_null, 1);
	ck_assert_uint_eq(s->n_desc, 0);
	ck_assert_msg(s->data_rc == -1 && s->data_errno == E2BIG,
		      "door_return with data in a notice: %d/%s, want "
		      "-1/E2BIG", s->data_rc,
		      s->data_errno ? strerrorname_np(s->data_errno) : "0");
}

/* A name on the mount to fattach to, made as illumos programs do. */
static void make_name(char *path, size_t len, int *name_fd)
{
	door_path(path, len, "unref");
	*name_fd = creat(path, 0444);
	ck_assert_msg(*name_fd >= 0, "creat %s: %s", path, strerror(errno));
}

/* ------------------------------------------------------------------ */

START_TEST(unref_once_on_two_to_one)
{
	struct unref_door ud;
	struct unref_seen s;
	int ref, count;

	unref_create(&ud, DOOR_UNREF);
	/* One reference, the creator's: IS_UNREF, but no notice (the
	 * count never was two). */
	ck_assert_uint_eq(attrs_of(ud.fd),
			  DOOR_UNREF | DOOR_LOCAL | DOOR_IS_UNREF);
	assert_no_notice(&ud, NO_NOTICE_MS, "door_create alone");

	ref = another_ref(ud.fd);
	ck_assert_uint_eq(attrs_of(ud.fd), DOOR_UNREF | DOOR_LOCAL);
	close(ref);
	s = wait_notice(&ud, "closing the second reference");
	assert_unref_args(&s);
	ck_assert_int_eq(s.query_rc, -1);	/* not a private door */
	unref_last(&ud, &count);
	ck_assert_int_eq(count, 1);

	/* DOOR_UNREF fired: it is gone from the attributes... */
	wait_is_unref(ud.fd, true, "the notice");
	ck_assert_uint_eq(attrs_of(ud.fd), DOOR_LOCAL | DOOR_IS_UNREF);
	/* ...and another 2 -> 1 sends nothing. */
	ref = another_ref(ud.fd);
	ck_assert_uint_eq(attrs_of(ud.fd), DOOR_LOCAL);
	close(ref);
	wait_is_unref(ud.fd, true, "closing the second reference again");
	assert_no_notice(&ud, NO_NOTICE_MS, "a second 2 -> 1 with DOOR_UNREF");
	/* The door itself works on. */
	ck_assert_ok(door_call(ud.fd, NULL));
}
END_TEST

START_TEST(unref_multi_every_time)
{
	struct unref_door ud;
	int ref[2], count;

	unref_create(&ud, DOOR_UNREF_MULTI);
	for (int round = 0; round < 3; round++) {
		struct unref_seen s;

		ref[0] = another_ref(ud.fd);
		close(ref[0]);
		s = wait_notice(&ud, "a 2 -> 1 with DOOR_UNREF_MULTI");
		assert_unref_args(&s);
		unref_last(&ud, &count);
		ck_assert_int_eq(count, round + 1);
		/* It re-arms: the flag stays. */
		wait_is_unref(ud.fd, true, "the notice");
		ck_assert_uint_eq(attrs_of(ud.fd), DOOR_UNREF_MULTI |
				  DOOR_LOCAL | DOOR_IS_UNREF);
	}

	/* 3 -> 2 is nothing; 2 -> 1 is a notice. */
	ref[0] = another_ref(ud.fd);
	ref[1] = another_ref(ud.fd);
	close(ref[0]);
	assert_no_notice(&ud, NO_NOTICE_MS, "a 3 -> 2");
	ck_assert(!(attrs_of(ud.fd) & DOOR_IS_UNREF));
	close(ref[1]);
	wait_notice(&ud, "the 2 -> 1 after a 3 -> 2");
	unref_last(&ud, &count);
	ck_assert_int_eq(count, 4);
}
END_TEST

/* A door nobody asked notices for gets none, and IS_UNREF all the same. */
START_TEST(unref_is_unref_without_unref_flags)
{
	struct unref_door ud;
	int ref[2];

	unref_create(&ud, 0);
	ck_assert_uint_eq(attrs_of(ud.fd), DOOR_LOCAL | DOOR_IS_UNREF);
	ref[0] = another_ref(ud.fd);
	ck_assert_uint_eq(attrs_of(ud.fd), DOOR_LOCAL);
	/* Every descriptor of the door reports it. */
	ck_assert_uint_eq(attrs_of(ref[0]), DOOR_LOCAL);
	ref[1] = another_ref(ud.fd);
	close(ref[1]);
	ck_assert(!(attrs_of(ref[0]) & DOOR_IS_UNREF));
	close(ref[0]);
	wait_is_unref(ud.fd, true, "closing the second reference");
	assert_no_notice(&ud, NO_NOTICE_MS, "2 -> 1 on a door without "
			 "DOOR_UNREF");
}
END_TEST

/* fattach's name is a reference: 2 -> 1 comes with fdetach. */
START_TEST(unref_after_fdetach)
{
	struct unref_door ud;
	struct unref_seen s;
	struct call_spec spec;
	struct child c;
	char path[512];
	int name_fd, user_fd, count;

	unref_create(&ud, DOOR_UNREF);
	make_name(path, sizeof(path), &name_fd);
	ck_assert_ok(fattach(ud.fd, path));
	ck_assert_uint_eq(attrs_of(ud.fd), DOOR_UNREF | DOOR_LOCAL);

	/* A client opens the name, calls, closes: 3 -> 2, nothing. */
	user_fd = open(path, O_RDONLY);
	ck_assert_int_ge(user_fd, 0);
	spec = call_spec(user_fd, 0, 0, 0);
	c = child_start(child_call, &spec, CHILD_EXIT);
	close(user_fd);
	ck_assert_int_eq(child_join(&c), 0);
	pthread_mutex_lock(&ud.lock);
	ck_assert_int_eq(ud.calls_done, 1);
	pthread_mutex_unlock(&ud.lock);
	assert_no_notice(&ud, NO_NOTICE_MS, "a client closed the attached "
			 "name (name and server fd left)");

	/* fdetach drops the name: 2 -> 1. */
	ck_assert_ok(fdetach(path));
	s = wait_notice(&ud, "fdetach");
	assert_unref_args(&s);
	unref_last(&ud, &count);
	ck_assert_int_eq(count, 1);
	wait_is_unref(ud.fd, true, "fdetach");
	ck_assert_uint_eq(attrs_of(ud.fd), DOOR_LOCAL | DOOR_IS_UNREF);
	close(name_fd);
	unlink(path);
}
END_TEST

/* The server's own descriptor counts too: closing it, with a name left. */
START_TEST(unref_server_closes_its_fd)
{
	struct unref_door ud;
	struct unref_seen s;
	door_info_t info;
	char path[512];
	int name_fd, fd;

	unref_create(&ud, DOOR_UNREF);
	make_name(path, sizeof(path), &name_fd);
	ck_assert_ok(fattach(ud.fd, path));
	close(ud.fd);
	s = wait_notice(&ud, "the server closed its descriptor (a name left)");
	assert_unref_args(&s);

	/* The door lives on behind its name. */
	fd = open(path, O_RDONLY | O_CLOEXEC);
	ck_assert_int_ge(fd, 0);
	ck_assert_ok(door_info(fd, &info));
	ck_assert_uint_eq(info.di_attributes, DOOR_LOCAL);
	ck_assert_ok(door_call(fd, NULL));
	pthread_mutex_lock(&ud.lock);
	ck_assert_int_eq(ud.calls_done, 1);
	pthread_mutex_unlock(&ud.lock);
	close(fd);
	ck_assert_ok(fdetach(path));
	assert_no_notice(&ud, NO_NOTICE_MS, "a second drop after DOOR_UNREF "
			 "fired");
	close(name_fd);
	unlink(path);
}
END_TEST

START_TEST(unref_none_after_revoke)
{
	static const uint_t flags[] = { DOOR_UNREF, DOOR_UNREF_MULTI };

	for (int i = 0; i < 2; i++) {
		struct unref_door ud;
		int ref;

		unref_create(&ud, flags[i]);
		ref = another_ref(ud.fd);
		/* Revoking closes the creator's descriptor: 2 -> 1. */
		ck_assert_ok(door_revoke(ud.fd));
		ck_assert(attrs_of(ref) & DOOR_REVOKED);
		wait_is_unref(ref, true, "door_revoke closed the creator's fd");
		assert_no_notice(&ud, NO_NOTICE_MS, "door_revoke");
		close(ref);
		assert_no_notice(&ud, NO_NOTICE_MS, "closing the last "
				 "descriptor of a revoked door");
	}
}
END_TEST

/* The thread that calls "hold" on the door and waits. */
struct holder {
	pthread_t thread;
	int fd;
	int rc, err;
};

static void *holder_main(void *arg)
{
	struct holder *h = arg;
	char buf[4] = { 'h', 'o', 'l', 'd' };
	door_arg_t a = { buf, sizeof(buf), NULL, 0, NULL, 0 };

	errno = 0;
	h->rc = door_call(h->fd, &a);
	h->err = errno;
	return NULL;
}

/* Start a holder calling on fd; wait until its call is in the procedure. */
static void holder_start(struct holder *h, const struct unref_door *ud,
			 int fd, void *(*call_main)(void *))
{
	char b;

	h->fd = fd;
	ck_assert_int_eq(pthread_create(&h->thread, NULL, call_main, h), 0);
	ck_assert_msg(fd_read_full(ud->hold[0], &b, 1), "the call never "
		      "reached the procedure");
}

/* Let the held call return, and see that it succeeded. */
static void holder_release(struct holder *h, const struct unref_door *ud)
{
	struct timespec deadline;

	ck_assert(fd_write_full(ud->hold[0], "r", 1));
	clock_gettime(CLOCK_REALTIME, &deadline);
	deadline.tv_sec += WAIT_MS / 1000;
	ck_assert_int_eq(pthread_timedjoin_np(h->thread, NULL, &deadline), 0);
	ck_assert_msg(h->rc == 0, "the held call: %d/%s", h->rc,
		      strerrorname_np(h->err));
}

/* DOOR_DELAY: a notice due during a call comes after the call returns. */
START_TEST(unref_waits_for_active_call)
{
	struct unref_door ud;
	struct unref_seen s;
	struct holder h;
	int ref, count;

	unref_create(&ud, DOOR_UNREF);
	ref = another_ref(ud.fd);
	holder_start(&h, &ud, ud.fd, holder_main);

	close(ref);
	wait_is_unref(ud.fd, true, "closing the second reference");
	assert_no_notice(&ud, NO_NOTICE_MS, "the 2 -> 1 while a call is in "
			 "progress (DOOR_DELAY: it must wait for the call)");

	holder_release(&h, &ud);

	s = wait_notice(&ud, "the active call returned");
	assert_unref_args(&s);
	ck_assert_int_eq(s.holding, 0);
	ck_assert_int_eq(s.calls_done, 1);
	unref_last(&ud, &count);
	ck_assert_int_eq(count, 1);
}
END_TEST

/* The same through the file plane: write the arguments, read the result. */
static void *fileplane_holder_main(void *arg)
{
	struct holder *h = arg;
	char result[16];

	errno = 0;
	h->rc = write(h->fd, "hold", 4) == 4 ? 0 : -1;
	if (h->rc == 0)
		h->rc = read_result(h->fd, result, sizeof(result)) == 0 ? 0 : -1;
	h->err = errno;
	return NULL;
}

START_TEST(unref_waits_for_active_fileplane_call)
{
	struct unref_door ud;
	struct unref_seen s;
	struct holder h;
	int count, fd;

	unref_create(&ud, DOOR_UNREF);
	fd = open_fd_of(getpid(), ud.fd, O_RDWR | O_CLOEXEC);
	ck_assert_int_ge(fd, 0);
	holder_start(&h, &ud, fd, fileplane_holder_main);

	/* The server closes its own descriptor: the caller's is the last. */
	close(ud.fd);
	wait_is_unref(h.fd, true, "the server closed its descriptor");
	assert_no_notice(&ud, NO_NOTICE_MS, "the 2 -> 1 while a call is in "
			 "progress (DOOR_DELAY: it must wait for the call)");

	holder_release(&h, &ud);

	s = wait_notice(&ud, "the active call returned");
	assert_unref_args(&s);
	ck_assert_int_eq(s.holding, 0);
	ck_assert_int_eq(s.calls_done, 1);
	unref_last(&ud, &count);
	ck_assert_int_eq(count, 1);
	close(h.fd);
}
END_TEST

/* A private door's notice runs in its own pool. */
static void *private_pool_thread(void *arg)
{
	int fd = *(int *)arg;

	pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, NULL);
	if (door_bind(fd) == 0)
		(void)door_return(NULL, 0, NULL, 0);
	return NULL;
}

START_TEST(unref_private_pool)
{
	struct unref_door ud;
	struct unref_seen s;
	door_info_t info;
	pthread_attr_t attr;
	pthread_t t;
	int ref;

	(void)door_server_create(svc_no_threads);
	unref_create(&ud, DOOR_UNREF | DOOR_PRIVATE);
	ck_assert_ok(door_info(ud.fd, &info));
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	ck_assert_int_eq(pthread_create(&t, &attr, private_pool_thread,
					&ud.fd), 0);
	pthread_attr_destroy(&attr);
	/* A call proves the pool thread is parked. */
	ck_assert_ok(door_call(ud.fd, NULL));

	ref = another_ref(ud.fd);
	close(ref);
	s = wait_notice(&ud, "closing the second reference");
	assert_unref_args(&s);
	ck_assert_msg(s.query_rc == 0, "door_info(DOOR_QUERY) in the notice "
		      "failed: not run by the door's bound pool thread");
	ck_assert_uint_eq(s.query_id, info.di_uniquifier);
}
END_TEST

Suite *unref_suite(void)
{
	Suite *s = suite_create("unref");
	TCase *tc = harness_tcase(s, "unref");

	tcase_add_test(tc, unref_once_on_two_to_one);
	tcase_add_test(tc, unref_multi_every_time);
	tcase_add_test(tc, unref_is_unref_without_unref_flags);
	tcase_add_test(tc, unref_after_fdetach);
	tcase_add_test(tc, unref_server_closes_its_fd);
	tcase_add_test(tc, unref_none_after_revoke);
	tcase_add_test(tc, unref_waits_for_active_call);
	tcase_add_test(tc, unref_waits_for_active_fileplane_call);
	tcase_add_test(tc, unref_private_pool);
	return s;
}
