/*
 * test_info.c: door_info, door_revoke, door_getparam and door_setparam
 * (DOOR-API rows 12, 13, 17).
 */
#include "service.h"

#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/stat.h>

/* DOOR_IS_UNREF depends on reference counts (unref is a later issue). */
#define ATTRS(info) ((info).di_attributes & ~(door_attr_t)DOOR_IS_UNREF)

static void assert_resv_zero(const door_info_t *info)
{
	for (int i = 0; i < 4; i++)
		ck_assert_int_eq(info->di_resv[i], 0);
}

static door_id_t id_of(int fd)
{
	door_info_t info;

	ck_assert_ok(door_info(fd, &info));
	return info.di_uniquifier;
}

/* ------------------------------------------------------------------ */
/* door_info. */

START_TEST(info_fields_in_server)
{
	static const uint_t sets[] = {
		0, DOOR_REFUSE_DESC, DOOR_PRIVATE | DOOR_NO_CANCEL, DOOR_UNREF,
		DOOR_UNREF_MULTI | DOOR_REFUSE_DESC,
	};
	enum { N = sizeof(sets) / sizeof(sets[0]) };
	struct svc_door sd[N];
	door_id_t ids[N];

	for (int i = 0; i < N; i++) {
		door_info_t info;

		svc_init(&sd[i], sets[i]);
		ck_assert_int_ge(svc_create(&sd[i]), 0);
		memset(&info, 0xa5, sizeof(info));
		ck_assert_ok(door_info(sd[i].fd, &info));
		ck_assert_int_eq(info.di_target, getpid());
		ck_assert_uint_eq(info.di_proc, (door_ptr_t)(uintptr_t)svc_proc);
		ck_assert_uint_eq(info.di_data, (door_ptr_t)(uintptr_t)&sd[i]);
		ck_assert_msg(ATTRS(info) == (sets[i] | DOOR_LOCAL),
			      "created with 0x%x: di_attributes 0x%x, want "
			      "0x%x (plus perhaps IS_UNREF)", sets[i],
			      info.di_attributes, sets[i] | DOOR_LOCAL);
		ck_assert_uint_ne(info.di_uniquifier, 0);
		assert_resv_zero(&info);
		ids[i] = info.di_uniquifier;
		for (int j = 0; j < i; j++)
			ck_assert_uint_ne(ids[i], ids[j]);
	}
}
END_TEST

START_TEST(info_fields_in_client)
{
	struct svc_door sd;
	struct svc_server srv;
	door_info_t info;
	const uint_t attrs = DOOR_REFUSE_DESC | DOOR_NO_CANCEL;

	svc_init(&sd, attrs);
	srv = svc_serve_in_child(&sd);
	/* The server's own view has LOCAL... */
	ck_assert_uint_eq(ATTRS(srv.info), attrs | DOOR_LOCAL);
	ck_assert_int_eq(srv.info.di_target, srv.child.pid);

	/* ...a client's has not; everything else is the same door. */
	memset(&info, 0xa5, sizeof(info));
	ck_assert_ok(door_info(srv.fd, &info));
	ck_assert_int_eq(info.di_target, srv.child.pid);
	ck_assert_uint_eq(ATTRS(info), attrs);
	ck_assert_uint_eq(info.di_proc, srv.info.di_proc);
	ck_assert_uint_eq(info.di_data, srv.info.di_data);
	/* Same program, forked: the same addresses as here. */
	ck_assert_uint_eq(info.di_proc, (door_ptr_t)(uintptr_t)svc_proc);
	ck_assert_uint_eq(info.di_data, (door_ptr_t)(uintptr_t)&sd);
	ck_assert_uint_eq(info.di_uniquifier, srv.info.di_uniquifier);
	ck_assert_uint_ne(info.di_uniquifier, 0);
	assert_resv_zero(&info);
}
END_TEST

struct info_expect {
	int fd;
	pid_t target;
	uint_t attrs;
	door_id_t id;
};

static int info_child(void *arg, int ctl)
{
	const struct info_expect *e = arg;
	door_info_t info;

	(void)ctl;
	CHILD_OK(door_info(e->fd, &info));
	CHILD_ASSERT(info.di_target == e->target, "di_target %d, want %d",
		     info.di_target, e->target);
	CHILD_ASSERT(ATTRS(info) == e->attrs, "di_attributes 0x%x, want 0x%x",
		     info.di_attributes, e->attrs);
	CHILD_ASSERT(info.di_uniquifier == e->id, "di_uniquifier differs");
	return 0;
}

START_TEST(info_not_local_in_forked_child)
{
	struct svc_door sd;
	struct info_expect e;
	struct child c;

	svc_init(&sd, DOOR_REFUSE_DESC);
	ck_assert_int_ge(svc_create(&sd), 0);
	e = (struct info_expect){ sd.fd, getpid(), DOOR_REFUSE_DESC,
				  id_of(sd.fd) };
	c = child_start(info_child, &e, CHILD_EXIT);
	ck_assert_int_eq(child_join(&c), 0);
}
END_TEST

START_TEST(info_uniquifier_names_the_door)
{
	struct svc_door a, b;
	struct svc_server sa, sb;
	door_id_t ids[4];
	int other, d;

	svc_init(&a, 0);
	sa = svc_serve_in_child(&a);
	svc_init(&b, 0);
	sb = svc_serve_in_child(&b);
	other = door_create(svc_proc, &a, 0);
	ck_assert_int_ge(other, 0);
	ids[0] = id_of(sa.fd);
	ids[1] = id_of(sb.fd);
	ids[2] = id_of(other);
	ids[3] = id_of(door_create(svc_proc, &a, 0));
	for (int i = 0; i < 4; i++) {
		ck_assert_uint_ne(ids[i], 0);
		for (int j = 0; j < i; j++)
			ck_assert_uint_ne(ids[i], ids[j]);
	}
	/* Every descriptor for one door gives its id. */
	d = dup(other);
	ck_assert_uint_eq(id_of(d), ids[2]);
	d = open_fd_of(getpid(), other, O_RDONLY);
	ck_assert_int_ge(d, 0);
	ck_assert_uint_eq(id_of(d), ids[2]);
	d = open_fd_of(sa.child.pid, sa.server_fd, O_RDONLY);
	ck_assert_int_ge(d, 0);
	ck_assert_uint_eq(id_of(d), ids[0]);
}
END_TEST

START_TEST(info_after_server_death)
{
	struct svc_door sd;
	struct svc_server srv;
	door_info_t info;

	svc_init(&sd, DOOR_REFUSE_DESC);
	srv = svc_serve_in_child(&sd);
	ck_assert_ok(door_call(srv.fd, NULL));
	child_kill(&srv.child);

	ck_assert_msg(wait_revoked(srv.fd), "door_info never reported the "
		      "dead server's door revoked");
	memset(&info, 0xa5, sizeof(info));
	ck_assert_ok(door_info(srv.fd, &info));
	ck_assert_int_eq(info.di_target, -1);
	ck_assert(info.di_attributes & DOOR_REVOKED);
	ck_assert(info.di_attributes & DOOR_REFUSE_DESC);
	ck_assert(!(info.di_attributes & DOOR_LOCAL));
	ck_assert_uint_eq(info.di_uniquifier, srv.info.di_uniquifier);
	assert_resv_zero(&info);
	ck_assert_fails(door_call(srv.fd, NULL), EBADF);
}
END_TEST

START_TEST(info_ebadf)
{
	char tmpl[] = "/tmp/check_libdoor-file.XXXXXX";
	door_info_t info;
	int p[2], closed, file, dir;

	ck_assert_ok(pipe(p));
	ck_assert_fails(door_info(p[0], &info), EBADF);
	ck_assert_fails(door_info(DOOR_INVAL, &info), EBADF);
	closed = dup(p[0]);
	close(closed);
	ck_assert_fails(door_info(closed, &info), EBADF);
	file = mkstemp(tmpl);
	ck_assert_int_ge(file, 0);
	unlink(tmpl);
	ck_assert_fails(door_info(file, &info), EBADF);
	dir = open(harness_mount, O_RDONLY | O_DIRECTORY);
	ck_assert_int_ge(dir, 0);
	ck_assert_fails(door_info(dir, &info), EBADF);
}
END_TEST

static void stat_null_proc(void *cookie, char *argp, size_t size,
			   door_desc_t *dp, uint_t ndesc)
{
	(void)cookie, (void)argp, (void)size, (void)dp, (void)ndesc;
	door_return(NULL, 0, NULL, 0);
}

/* Checklist 29: a door looks like a door to stat, and nothing else does. */
START_TEST(stat_reports_doors)
{
	struct stat st;
	int d = door_create(stat_null_proc, NULL, 0);
	ck_assert_int_ge(d, 0);
	ck_assert_ok(fstat(d, &st));
	ck_assert(S_ISDOOR(st.st_mode));
	ck_assert(!S_ISREG(st.st_mode));

	/* A name given by fattach, through stat and lstat. */
	char path[4096];
	snprintf(path, sizeof(path), "%s/stat-door-%d", harness_mount,
		 (int)getpid());
	int f = creat(path, 0644);
	ck_assert_int_ge(f, 0);
	close(f);
	ck_assert_ok(fattach(d, path));
	ck_assert_ok(stat(path, &st));
	ck_assert(S_ISDOOR(st.st_mode));
	ck_assert_uint_eq(st.st_mode & 07777, 0644);
	ck_assert_ok(lstat(path, &st));
	ck_assert(S_ISDOOR(st.st_mode));
	ck_assert_ok(fdetach(path));
	ck_assert_ok(unlink(path));

	/* Not doors: a directory on the mount, files elsewhere, a pipe. */
	ck_assert_ok(stat(harness_mount, &st));
	ck_assert(S_ISDIR(st.st_mode));
	ck_assert_ok(stat("/proc/self/exe", &st));
	ck_assert(S_ISREG(st.st_mode));
	int p[2];
	ck_assert_ok(pipe(p));
	ck_assert_ok(fstat(p[0], &st));
	ck_assert(S_ISFIFO(st.st_mode));
}
END_TEST

START_TEST(info_query_unbound_ebadf)
{
	struct svc_door sd;
	struct svc_server srv;
	struct svc_query q;
	door_info_t info;

	/* Not a server thread at all. */
	ck_assert_fails(door_info(DOOR_QUERY, &info), EBADF);
	/* A thread of the global pool is bound to nothing either. */
	svc_init(&sd, 0);
	srv = svc_serve_in_child(&sd);
	ck_assert_ok(svc_call(srv.fd, SVC_QUERY, 0, 0, 0, &q, sizeof(q)));
	ck_assert_int_eq(q.rc, -1);
	ck_assert_int_eq(q.err, EBADF);
	/* Our own process being a server changes nothing for this thread. */
	ck_assert_int_ge(svc_create(&sd), 0);
	ck_assert_fails(door_info(DOOR_QUERY, &info), EBADF);
}
END_TEST

START_TEST(info_query_in_private_pool)
{
	struct svc_door sd;
	struct svc_server srv;
	struct svc_query q;

	svc_init(&sd, DOOR_PRIVATE);
	sd.no_auto_pool = true;
	sd.pool_threads = 1;
	srv = svc_serve_in_child(&sd);
	ck_assert_ok(svc_call(srv.fd, SVC_QUERY, 0, 0, 0, &q, sizeof(q)));
	ck_assert_int_eq(q.rc, 0);
	ck_assert_uint_eq(q.info.di_uniquifier, srv.info.di_uniquifier);
	ck_assert_int_eq(q.info.di_target, srv.child.pid);
	ck_assert_uint_eq(ATTRS(q.info), DOOR_PRIVATE | DOOR_LOCAL);
	ck_assert_uint_eq(q.info.di_data, (door_ptr_t)(uintptr_t)&sd);
}
END_TEST

/* ------------------------------------------------------------------ */
/* door_revoke. */

START_TEST(revoke_closes_descriptor)
{
	struct svc_door sd;
	struct file_id id;
	int p[2];

	svc_init(&sd, 0);
	ck_assert_int_ge(svc_create(&sd), 0);
	ck_assert(file_id_of(sd.fd, &id));
	ck_assert_ok(door_revoke(sd.fd));
	ck_assert_msg(!same_file(sd.fd, &id), "door_revoke left its "
		      "descriptor open");

	ck_assert_ok(pipe(p));
	ck_assert_fails(door_revoke(p[0]), EBADF);
	ck_assert_fails(door_revoke(DOOR_INVAL), EBADF);
}
END_TEST

static int revoke_eperm_child(void *arg, int ctl)
{
	int fd = *(int *)arg;
	struct file_id id;

	(void)ctl;
	CHILD_ASSERT(file_id_of(fd, &id), "inherited door fd not open");
	CHILD_FAILS(door_revoke(fd), EPERM);
	CHILD_ASSERT(same_file(fd, &id), "a refused door_revoke closed the fd");
	return 0;
}

START_TEST(revoke_eperm_not_creator)
{
	struct svc_door mine, theirs;
	struct svc_server srv;
	struct child c;
	door_info_t info;
	char out[16];

	/* A forked child holds our door but did not create it. */
	svc_init(&mine, 0);
	ck_assert_int_ge(svc_create(&mine), 0);
	c = child_start(revoke_eperm_child, &mine.fd, CHILD_EXIT);
	ck_assert_int_eq(child_join(&c), 0);
	ck_assert_ok(door_info(mine.fd, &info));
	ck_assert(!(info.di_attributes & DOOR_REVOKED));

	/* We hold another process's door. */
	svc_init(&theirs, 0);
	srv = svc_serve_in_child(&theirs);
	ck_assert_fails(door_revoke(srv.fd), EPERM);
	ck_assert_ok(door_info(srv.fd, &info));
	ck_assert(!(info.di_attributes & DOOR_REVOKED));
	ck_assert_ok(svc_call(srv.fd, SVC_PATTERN, sizeof(out), 1, 0, out,
			      sizeof(out)));
}
END_TEST

static int revoked_child(void *arg, int ctl)
{
	int fd = *(int *)arg;
	door_info_t info;
	char go;

	ctl_recv(ctl, &go, 1);
	CHILD_FAILS(door_call(fd, NULL), EBADF);
	CHILD_OK(door_info(fd, &info));
	CHILD_ASSERT(info.di_attributes & DOOR_REVOKED, "not REVOKED");
	return 0;
}

START_TEST(revoke_later_calls_ebadf)
{
	struct svc_door sd;
	struct child c;
	door_info_t info;
	door_id_t id;
	int dup_fd;
	char go = 'g';

	svc_init(&sd, DOOR_REFUSE_DESC);
	ck_assert_int_ge(svc_create(&sd), 0);
	id = id_of(sd.fd);
	dup_fd = dup(sd.fd);
	c = child_start(revoked_child, &sd.fd, CHILD_EXIT);

	ck_assert_ok(door_revoke(sd.fd));
	/* Other descriptors stay open, report REVOKED, and calls fail. */
	ck_assert_fails(door_call(dup_fd, NULL), EBADF);
	ck_assert_ok(door_info(dup_fd, &info));
	ck_assert(info.di_attributes & DOOR_REVOKED);
	ck_assert(info.di_attributes & DOOR_REFUSE_DESC);
	ck_assert_uint_eq(info.di_uniquifier, id);
	/* In every process. */
	child_send(&c, &go, 1);
	ck_assert_int_eq(child_join(&c), 0);
}
END_TEST

START_TEST(revoke_lets_call_in_progress_finish)
{
	struct svc_door sd;
	struct call_spec spec;
	struct child c;

	svc_init(&sd, 0);
	ck_assert_int_ge(svc_create(&sd), 0);
	spec = call_spec(sd.fd, SVC_HOLD, 500, 500);
	spec.then_errno = EBADF;	/* its next call */
	c = child_start(child_call, &spec, CHILD_EXIT);
	svc_wait_hold(&sd);
	ck_assert_ok(door_revoke(sd.fd));
	svc_release(&sd);
	ck_assert_int_eq(child_join(&c), 0);
}
END_TEST

START_TEST(revoke_fails_waiting_callers_ebadf)
{
	struct svc_door sd;
	struct call_spec busy, waiting;
	struct child a, b;

	/* One thread, taken by a held call; a second caller waits. */
	svc_init(&sd, 0);
	sd.no_auto_pool = true;
	sd.pool_threads = 1;
	ck_assert_int_ge(svc_create(&sd), 0);
	busy = call_spec(sd.fd, SVC_HOLD, 64, 64);
	a = child_start(child_call, &busy, CHILD_EXIT);
	svc_wait_hold(&sd);
	waiting = call_spec(sd.fd, SVC_PATTERN, 64, 64);
	waiting.want_errno = EBADF;
	b = child_start(child_call, &waiting, CHILD_EXIT);
	ck_assert(wait_sleeping(b.pid, b.pid));

	ck_assert_ok(door_revoke(sd.fd));
	ck_assert_msg(child_join(&b) == 0, "the caller waiting for a server "
		      "thread did not get EBADF from door_revoke (see above, "
		      "or it was still waiting after %d ms)", WAIT_MS);
	/* The call in progress still finishes normally. */
	svc_release(&sd);
	ck_assert_int_eq(child_join(&a), 0);
	ck_assert_uint_eq(svc_local_state(&sd).calls, 1);
}
END_TEST

/* ------------------------------------------------------------------ */
/* door_getparam, door_setparam. */

static size_t getparam(int fd, int param)
{
	size_t v = 12345;

	ck_assert_ok(door_getparam(fd, param, &v));
	return v;
}

START_TEST(getparam_defaults)
{
	struct svc_door plain, refuse;

	svc_init(&plain, 0);
	ck_assert_int_ge(svc_create(&plain), 0);
	ck_assert_uint_eq(getparam(plain.fd, DOOR_PARAM_DATA_MAX), SIZE_MAX);
	ck_assert_uint_eq(getparam(plain.fd, DOOR_PARAM_DATA_MIN), 0);
	ck_assert_uint_eq(getparam(plain.fd, DOOR_PARAM_DESC_MAX), INT_MAX);

	svc_init(&refuse, DOOR_REFUSE_DESC);
	ck_assert_int_ge(svc_create(&refuse), 0);
	ck_assert_uint_eq(getparam(refuse.fd, DOOR_PARAM_DATA_MAX), SIZE_MAX);
	ck_assert_uint_eq(getparam(refuse.fd, DOOR_PARAM_DATA_MIN), 0);
	ck_assert_uint_eq(getparam(refuse.fd, DOOR_PARAM_DESC_MAX), 0);
}
END_TEST

START_TEST(getparam_in_client_sees_server_values)
{
	struct svc_door sd;
	struct svc_server srv;

	svc_init(&sd, 0);
	sd.data_max = 1000;
	sd.data_min = 10;
	sd.desc_max = 3;
	srv = svc_serve_in_child(&sd);
	ck_assert_uint_eq(getparam(srv.fd, DOOR_PARAM_DATA_MAX), 1000);
	ck_assert_uint_eq(getparam(srv.fd, DOOR_PARAM_DATA_MIN), 10);
	ck_assert_uint_eq(getparam(srv.fd, DOOR_PARAM_DESC_MAX), 3);
}
END_TEST

START_TEST(getparam_errors)
{
	struct svc_door sd;
	size_t v;
	int p[2], closed, dup_fd;

	ck_assert_ok(pipe(p));
	ck_assert_fails(door_getparam(p[0], DOOR_PARAM_DATA_MAX, &v), EBADF);
	ck_assert_fails(door_getparam(DOOR_INVAL, DOOR_PARAM_DATA_MAX, &v),
			EBADF);
	closed = dup(p[0]);
	close(closed);
	ck_assert_fails(door_getparam(closed, DOOR_PARAM_DATA_MAX, &v), EBADF);

	svc_init(&sd, 0);
	sd.data_max = 777;
	ck_assert_int_ge(svc_create(&sd), 0);
	ck_assert_fails(door_getparam(sd.fd, 0, &v), EINVAL);
	ck_assert_fails(door_getparam(sd.fd, 4, &v), EINVAL);
	ck_assert_fails(door_getparam(sd.fd, -1, &v), EINVAL);

	/* Revoked doors still answer. */
	dup_fd = dup(sd.fd);
	ck_assert_ok(door_revoke(sd.fd));
	ck_assert_uint_eq(getparam(dup_fd, DOOR_PARAM_DATA_MAX), 777);
	ck_assert_uint_eq(getparam(dup_fd, DOOR_PARAM_DESC_MAX), INT_MAX);
}
END_TEST

START_TEST(setparam_roundtrip)
{
	struct svc_door sd, refuse;

	svc_init(&sd, 0);
	ck_assert_int_ge(svc_create(&sd), 0);
	ck_assert_ok(door_setparam(sd.fd, DOOR_PARAM_DATA_MAX, 4096));
	ck_assert_uint_eq(getparam(sd.fd, DOOR_PARAM_DATA_MAX), 4096);
	ck_assert_ok(door_setparam(sd.fd, DOOR_PARAM_DATA_MIN, 16));
	ck_assert_uint_eq(getparam(sd.fd, DOOR_PARAM_DATA_MIN), 16);
	ck_assert_ok(door_setparam(sd.fd, DOOR_PARAM_DATA_MIN, 4096));
	ck_assert_uint_eq(getparam(sd.fd, DOOR_PARAM_DATA_MIN), 4096);
	ck_assert_ok(door_setparam(sd.fd, DOOR_PARAM_DATA_MIN, 0));
	ck_assert_ok(door_setparam(sd.fd, DOOR_PARAM_DATA_MAX, SIZE_MAX));
	ck_assert_uint_eq(getparam(sd.fd, DOOR_PARAM_DATA_MAX), SIZE_MAX);
	ck_assert_ok(door_setparam(sd.fd, DOOR_PARAM_DESC_MAX, 7));
	ck_assert_uint_eq(getparam(sd.fd, DOOR_PARAM_DESC_MAX), 7);
	ck_assert_ok(door_setparam(sd.fd, DOOR_PARAM_DESC_MAX, 0));
	ck_assert_ok(door_setparam(sd.fd, DOOR_PARAM_DESC_MAX, INT_MAX));
	ck_assert_uint_eq(getparam(sd.fd, DOOR_PARAM_DESC_MAX), INT_MAX);

	svc_init(&refuse, DOOR_REFUSE_DESC);
	ck_assert_int_ge(svc_create(&refuse), 0);
	ck_assert_ok(door_setparam(refuse.fd, DOOR_PARAM_DESC_MAX, 0));
	ck_assert_uint_eq(getparam(refuse.fd, DOOR_PARAM_DESC_MAX), 0);
}
END_TEST

START_TEST(setparam_errors)
{
	struct svc_door sd, refuse;

	svc_init(&sd, 0);
	ck_assert_int_ge(svc_create(&sd), 0);
	ck_assert_fails(door_setparam(sd.fd, DOOR_PARAM_DESC_MAX,
				      (size_t)INT_MAX + 1), ERANGE);
	ck_assert_fails(door_setparam(sd.fd, DOOR_PARAM_DESC_MAX, SIZE_MAX),
			ERANGE);
	ck_assert_fails(door_setparam(sd.fd, 0, 1), EINVAL);
	ck_assert_fails(door_setparam(sd.fd, 4, 1), EINVAL);

	/* MIN may never exceed MAX, whichever moves. */
	ck_assert_ok(door_setparam(sd.fd, DOOR_PARAM_DATA_MAX, 100));
	ck_assert_fails(door_setparam(sd.fd, DOOR_PARAM_DATA_MIN, 101), EINVAL);
	ck_assert_ok(door_setparam(sd.fd, DOOR_PARAM_DATA_MIN, 100));
	ck_assert_fails(door_setparam(sd.fd, DOOR_PARAM_DATA_MAX, 99), EINVAL);
	ck_assert_ok(door_setparam(sd.fd, DOOR_PARAM_DATA_MIN, 50));
	ck_assert_fails(door_setparam(sd.fd, DOOR_PARAM_DATA_MAX, 49), EINVAL);
	ck_assert_uint_eq(getparam(sd.fd, DOOR_PARAM_DATA_MAX), 100);
	ck_assert_uint_eq(getparam(sd.fd, DOOR_PARAM_DATA_MIN), 50);

	/* REFUSE_DESC fixes DESC_MAX at 0. */
	svc_init(&refuse, DOOR_REFUSE_DESC);
	ck_assert_int_ge(svc_create(&refuse), 0);
	ck_assert_fails(door_setparam(refuse.fd, DOOR_PARAM_DESC_MAX, 1),
			ENOTSUP);
	ck_assert_fails(door_setparam(refuse.fd, DOOR_PARAM_DESC_MAX,
				      INT_MAX), ENOTSUP);
	ck_assert_uint_eq(getparam(refuse.fd, DOOR_PARAM_DESC_MAX), 0);
}
END_TEST

struct setparam_child_args {
	int plain, refuse;
};

static int setparam_eperm_child(void *arg, int ctl)
{
	const struct setparam_child_args *a = arg;
	char go;

	/* Not our door: EPERM, before anything about the value. */
	CHILD_FAILS(door_setparam(a->plain, DOOR_PARAM_DATA_MAX, 10), EPERM);
	CHILD_FAILS(door_setparam(a->plain, DOOR_PARAM_DESC_MAX,
				  (size_t)INT_MAX + 1), EPERM);
	CHILD_FAILS(door_setparam(a->plain, 99, 1), EPERM);
	CHILD_FAILS(door_setparam(a->plain, DOOR_PARAM_DATA_MIN, SIZE_MAX),
		    EPERM);
	CHILD_FAILS(door_setparam(a->refuse, DOOR_PARAM_DESC_MAX, 1), EPERM);

	/* Revoked: EBADF, before EPERM. */
	ctl_send(ctl, "d", 1);
	ctl_recv(ctl, &go, 1);
	CHILD_FAILS(door_setparam(a->plain, DOOR_PARAM_DATA_MAX, 10), EBADF);
	CHILD_FAILS(door_setparam(a->plain, 99, 1), EBADF);
	return 0;
}

START_TEST(setparam_error_order)
{
	struct svc_door plain, refuse, theirs;
	struct svc_server srv;
	struct setparam_child_args args;
	struct child c;
	int p[2], dup_fd;
	char go = 'g';

	/* Not a door: EBADF whatever the parameter. */
	ck_assert_ok(pipe(p));
	ck_assert_fails(door_setparam(p[0], 99, SIZE_MAX), EBADF);
	ck_assert_fails(door_setparam(DOOR_INVAL, DOOR_PARAM_DESC_MAX,
				      SIZE_MAX), EBADF);

	svc_init(&plain, 0);
	ck_assert_int_ge(svc_create(&plain), 0);
	svc_init(&refuse, DOOR_REFUSE_DESC);
	ck_assert_int_ge(svc_create(&refuse), 0);
	args = (struct setparam_child_args){ plain.fd, refuse.fd };
	c = child_start(setparam_eperm_child, &args, CHILD_EXIT);

	/* Another process's door, through /proc: EPERM. */
	svc_init(&theirs, 0);
	srv = svc_serve_in_child(&theirs);
	ck_assert_fails(door_setparam(srv.fd, DOOR_PARAM_DATA_MAX, 10), EPERM);
	ck_assert_fails(door_setparam(srv.fd, 99, 1), EPERM);
	ck_assert_fails(door_setparam(srv.fd, DOOR_PARAM_DESC_MAX,
				      (size_t)INT_MAX + 1), EPERM);
	ck_assert_uint_eq(getparam(srv.fd, DOOR_PARAM_DATA_MAX), SIZE_MAX);

	/* Revoked, and ours: EBADF before ERANGE or EINVAL. */
	child_recv(&c, &go, 1);		/* the child is done with EPERM */
	dup_fd = dup(plain.fd);
	ck_assert_ok(door_revoke(plain.fd));
	ck_assert_fails(door_setparam(dup_fd, DOOR_PARAM_DESC_MAX,
				      (size_t)INT_MAX + 1), EBADF);
	ck_assert_fails(door_setparam(dup_fd, 99, 1), EBADF);
	ck_assert_fails(door_setparam(dup_fd, DOOR_PARAM_DATA_MAX, 10), EBADF);
	child_send(&c, &go, 1);
	ck_assert_int_eq(child_join(&c), 0);
}
END_TEST

Suite *info_suite(void)
{
	Suite *s = suite_create("info");
	TCase *tc = harness_tcase(s, "door_info");

	tcase_add_test(tc, info_fields_in_server);
	tcase_add_test(tc, info_fields_in_client);
	tcase_add_test(tc, info_not_local_in_forked_child);
	tcase_add_test(tc, info_uniquifier_names_the_door);
	tcase_add_test(tc, info_after_server_death);
	tcase_add_test(tc, info_ebadf);
	tcase_add_test(tc, info_query_unbound_ebadf);
	tcase_add_test(tc, info_query_in_private_pool);

	tc = harness_tcase(s, "stat");
	tcase_add_test(tc, stat_reports_doors);

	tc = harness_tcase(s, "revoke");
	tcase_add_test(tc, revoke_closes_descriptor);
	tcase_add_test(tc, revoke_eperm_not_creator);
	tcase_add_test(tc, revoke_later_calls_ebadf);
	tcase_add_test(tc, revoke_lets_call_in_progress_finish);
	tcase_add_test(tc, revoke_fails_waiting_callers_ebadf);

	tc = harness_tcase(s, "params");
	tcase_add_test(tc, getparam_defaults);
	tcase_add_test(tc, getparam_in_client_sees_server_values);
	tcase_add_test(tc, getparam_errors);
	tcase_add_test(tc, setparam_roundtrip);
	tcase_add_test(tc, setparam_errors);
	tcase_add_test(tc, setparam_error_order);
	return s;
}
