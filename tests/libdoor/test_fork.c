/*
 * test_fork.c: doors across fork (DOOR-API §4.6, row 25).
 *
 * A door belongs to the process that created it: a forked child's
 * inherited descriptor calls the parent's server (the parent's procedure
 * runs, and sees the child as its caller), door_revoke and door_setparam
 * fail with EPERM in the child, and door_info there lacks DOOR_LOCAL.  A
 * child that creates a door of its own gets its own pool: the parent
 * calling it gets the child's answer.  Connections a thread made before
 * fork are the parent's; the child makes its own, and the parent's keep
 * working.
 *
 * forkall and fork1's EINTR for a door_call blocked in another thread are
 * not Linux behaviour and are not tested here.
 */
#include "service.h"

#include <fcntl.h>
#include <limits.h>
#include <stdatomic.h>

/* DOOR_IS_UNREF depends on how many references the test holds. */
#define ATTRS(a) ((a) & ~(door_attr_t)DOOR_IS_UNREF)

/* A door procedure that answers with the pid of the process serving. */
static void pid_proc(void *cookie, char *argp, size_t arg_size,
		     door_desc_t *dp, uint_t n_desc)
{
	pid_t me = getpid();

	(void)cookie, (void)argp, (void)arg_size, (void)dp, (void)n_desc;
	(void)door_return((char *)&me, sizeof(me), NULL, 0);
}

/* Call a pid_proc door: who answered, or -1 with errno. */
static pid_t who_serves(int fd)
{
	pid_t pid;
	char rbuf[64];
	door_arg_t a = { NULL, 0, NULL, 0, rbuf, sizeof(rbuf) };

	if (door_call(fd, &a) < 0)
		return -1;
	if (a.data_size != sizeof(pid)) {
		errno = EPROTO;
		return -1;
	}
	memcpy(&pid, a.data_ptr, sizeof(pid));
	return pid;
}

/* ------------------------------------------------------------------ */

struct fork_calls {
	int fd;
	pid_t parent;
	door_id_t id;
};

static int calls_child(void *arg, int ctl)
{
	const struct fork_calls *fc = arg;
	door_info_t info;

	(void)ctl;
	CHILD_OK(door_info(fc->fd, &info));
	CHILD_ASSERT(info.di_target == fc->parent, "di_target %d, want the "
		     "parent %d", info.di_target, fc->parent);
	CHILD_ASSERT(ATTRS(info.di_attributes) == 0, "di_attributes 0x%x in "
		     "the child: want no DOOR_LOCAL", info.di_attributes);
	CHILD_ASSERT(info.di_uniquifier == fc->id, "another door's id");
	/* The server checks what it saw: our pid as the caller. */
	verify_calls(fc->fd, 20, 0xf0f0);
	return 0;
}

START_TEST(fork_child_calls_parents_server)
{
	struct svc_door sd;
	struct fork_calls fc;
	struct child c;
	char out[16];

	svc_init(&sd, 0);
	ck_assert_int_ge(svc_create(&sd), 0);
	/* This thread's connection exists before the fork. */
	ck_assert_ok(svc_call(sd.fd, SVC_PATTERN, sizeof(out), 1, 0, out,
			      sizeof(out)));
	fc.fd = sd.fd;
	fc.parent = getpid();
	{
		door_info_t info;

		ck_assert_ok(door_info(sd.fd, &info));
		fc.id = info.di_uniquifier;
		ck_assert_uint_eq(ATTRS(info.di_attributes), DOOR_LOCAL);
	}
	c = child_start(calls_child, &fc, CHILD_EXIT);
	ck_assert_int_eq(child_join(&c), 0);

	/* Our procedure ran them, in this process. */
	ck_assert_uint_eq(svc_local_state(&sd).calls, 1 + 20);
	/* The child's exit took nothing of ours: same door, same connection. */
	ck_assert_ok(svc_call(sd.fd, SVC_PATTERN, sizeof(out), 2, 0, out,
			      sizeof(out)));
	ck_assert(pattern_ok(out, sizeof(out), 2));
	{
		door_info_t info;

		ck_assert_ok(door_info(sd.fd, &info));
		ck_assert(!(info.di_attributes & DOOR_REVOKED));
		ck_assert_int_eq(info.di_target, getpid());
	}
}
END_TEST

static int eperm_child(void *arg, int ctl)
{
	int fd = *(int *)arg;
	struct file_id id;
	size_t v;

	(void)ctl;
	CHILD_ASSERT(file_id_of(fd, &id), "fd %d not open in the child", fd);
	CHILD_FAILS(door_revoke(fd), EPERM);
	CHILD_ASSERT(same_file(fd, &id), "a refused door_revoke closed fd");
	CHILD_FAILS(door_setparam(fd, DOOR_PARAM_DATA_MAX, 100), EPERM);
	CHILD_FAILS(door_setparam(fd, DOOR_PARAM_DATA_MIN, 0), EPERM);
	CHILD_FAILS(door_setparam(fd, DOOR_PARAM_DESC_MAX, 1), EPERM);
	/* getparam works for anyone holding the door. */
	CHILD_OK(door_getparam(fd, DOOR_PARAM_DATA_MAX, &v));
	CHILD_ASSERT(v == 5000, "DATA_MAX %zu, want the parent's 5000", v);
	/* And calls still go to the parent. */
	CHILD_OK(door_call(fd, NULL));
	return 0;
}

START_TEST(fork_child_revoke_setparam_eperm)
{
	struct svc_door sd;
	struct child c;
	door_info_t info;
	size_t v;

	svc_init(&sd, 0);
	sd.data_max = 5000;
	ck_assert_int_ge(svc_create(&sd), 0);
	c = child_start(eperm_child, &sd.fd, CHILD_EXIT);
	ck_assert_int_eq(child_join(&c), 0);

	/* Nothing changed for the door. */
	ck_assert_ok(door_info(sd.fd, &info));
	ck_assert_uint_eq(ATTRS(info.di_attributes), DOOR_LOCAL);
	ck_assert_int_eq(info.di_target, getpid());
	ck_assert_ok(door_getparam(sd.fd, DOOR_PARAM_DATA_MAX, &v));
	ck_assert_uint_eq(v, 5000);
	ck_assert_ok(door_getparam(sd.fd, DOOR_PARAM_DESC_MAX, &v));
	ck_assert_uint_eq(v, INT_MAX);
	ck_assert_uint_eq(svc_local_state(&sd).calls, 1);
	/* Still ours to change and to revoke. */
	ck_assert_ok(door_setparam(sd.fd, DOOR_PARAM_DATA_MAX, 6000));
	ck_assert_ok(door_revoke(sd.fd));
}
END_TEST

/* ------------------------------------------------------------------ */
/* A child's own door. */

static atomic_int creates;			/* server-create calls */
static door_server_func_t *default_create;	/* libdoor's own */

static void counting_create(door_info_t *dip)
{
	atomic_fetch_add(&creates, 1);
	default_create(dip);
}

struct own_pool {
	int parent_fd;		/* the parent's pid_proc door */
	pid_t parent;
};

struct own_pool_report {
	int fd;			/* the child's door, in the child */
	int creates;		/* server-create calls its door_create made */
	pid_t parent_answer;	/* calling the parent's door */
	pid_t own_answer;	/* calling its own */
};

static int own_pool_child(void *arg, int ctl)
{
	const struct own_pool *op = arg;
	struct own_pool_report r;
	door_info_t info;
	char go;

	int before;

	memset(&r, 0, sizeof(r));
	/* Before any door of its own the child calls the parent's. */
	r.parent_answer = who_serves(op->parent_fd);
	before = atomic_load(&creates);
	r.fd = door_create(pid_proc, NULL, 0);
	CHILD_ASSERT(r.fd >= 0, "door_create in the child: %s",
		     strerror(errno));
	r.creates = atomic_load(&creates) - before;
	CHILD_OK(door_info(r.fd, &info));
	CHILD_ASSERT(info.di_target == getpid() &&
		     ATTRS(info.di_attributes) == DOOR_LOCAL,
		     "the child's door: target %d, attributes 0x%x",
		     info.di_target, info.di_attributes);
	r.own_answer = who_serves(r.fd);
	/* The parent's door is still the parent's. */
	CHILD_ASSERT(who_serves(op->parent_fd) == op->parent,
		     "after door_create the parent's door answered %d",
		     who_serves(op->parent_fd));
	ctl_send(ctl, &r, sizeof(r));
	ctl_recv(ctl, &go, 1);	/* serve until the test is done */
	return 0;
}

START_TEST(fork_child_gets_its_own_pool)
{
	struct own_pool op;
	struct own_pool_report r;
	struct child c;
	door_info_t info;
	int fd;

	default_create = door_server_create(counting_create);
	op.parent_fd = door_create(pid_proc, NULL, 0);
	ck_assert_int_ge(op.parent_fd, 0);
	op.parent = getpid();
	ck_assert_int_eq(atomic_load(&creates), 1);
	ck_assert_int_eq(who_serves(op.parent_fd), getpid());

	c = child_start(own_pool_child, &op, CHILD_EXIT);
	child_recv(&c, &r, sizeof(r));
	ck_assert_int_eq(r.parent_answer, getpid());
	ck_assert_int_eq(r.own_answer, c.pid);
	/* The child's first door started its pool: fn(NULL), once. */
	ck_assert_int_eq(r.creates, 1);

	/* The parent calls the child's door: the child answers. */
	fd = open_fd_of(c.pid, r.fd, O_RDONLY | O_CLOEXEC);
	ck_assert_int_ge(fd, 0);
	ck_assert_ok(door_info(fd, &info));
	ck_assert_int_eq(info.di_target, c.pid);
	ck_assert_uint_eq(ATTRS(info.di_attributes), 0);
	for (int i = 0; i < 5; i++)
		ck_assert_int_eq(who_serves(fd), c.pid);
	/* And its own door is still served here. */
	ck_assert_int_eq(who_serves(op.parent_fd), getpid());

	child_send(&c, "x", 1);
	ck_assert_int_eq(child_join(&c), 0);
	/* The child is gone, and its door with it. */
	ck_assert(wait_revoked(fd));
	ck_assert_fails(door_call(fd, NULL), EBADF);
	close(fd);
}
END_TEST

/* A child with its own door, still able to call a door of the parent's. */
static int both_ways_child(void *arg, int ctl)
{
	int parent_fd = *(int *)arg;
	int fd;
	char go;

	fd = door_create(pid_proc, NULL, 0);
	CHILD_ASSERT(fd >= 0, "door_create: %s", strerror(errno));
	ctl_send(ctl, &fd, sizeof(fd));
	/* The parent calls us in between. */
	ctl_recv(ctl, &go, 1);
	verify_calls(parent_fd, 10, 0xabc);
	return 0;
}

START_TEST(fork_parent_and_child_serve_each_other)
{
	struct svc_door sd;
	struct child c;
	int child_door, fd;

	svc_init(&sd, 0);
	ck_assert_int_ge(svc_create(&sd), 0);
	c = child_start(both_ways_child, &sd.fd, CHILD_EXIT);
	child_recv(&c, &child_door, sizeof(child_door));
	fd = open_fd_of(c.pid, child_door, O_RDONLY | O_CLOEXEC);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(who_serves(fd), c.pid);
	child_send(&c, "x", 1);
	ck_assert_int_eq(child_join(&c), 0);
	ck_assert_uint_eq(svc_local_state(&sd).calls, 10);
	close(fd);
}
END_TEST

Suite *fork_suite(void)
{
	Suite *s = suite_create("fork");
	TCase *tc = harness_tcase(s, "fork");

	tcase_add_test(tc, fork_child_calls_parents_server);
	tcase_add_test(tc, fork_child_revoke_setparam_eperm);
	tcase_add_test(tc, fork_child_gets_its_own_pool);
	tcase_add_test(tc, fork_parent_and_child_serve_each_other);
	return s;
}
