/*
 * test_idioms.c: the idioms door programs rely on (DOOR-API §5, row 30),
 * written the way such programs write them.
 *
 * Covered here: door_return(NULL, 0, NULL, 0) as a plain reply;
 * door_call(fd, NULL) fire-and-forget; rbuf = NULL / munmap if rbuf
 * changed; one buffer both ways; a reply from the stack; DOOR_INVAL as
 * the initial fd; door_info's di_target and DOOR_REVOKED to check a door;
 * EBADF meaning "server is dead"; door_ucred + ucred_geteuid to check the
 * caller.  (fdetach before fattach waits for fattach.)  Other suites
 * cover them too: EBADF after death in failure, one buffer in call and
 * load, door_return as a pool thread's body in server.
 */
#include "service.h"

#include <grp.h>
#include <stdatomic.h>
#include <sys/mman.h>

/* ------------------------------------------------------------------ */
/* A square server, as in every door tutorial. */

static atomic_int notes;	/* fire-and-forget calls received */

static void square_proc(void *cookie, char *argp, size_t arg_size,
			door_desc_t *dp, uint_t n_desc)
{
	long long n, square;

	(void)cookie, (void)dp, (void)n_desc;
	if (argp == NULL) {
		/* A note: nothing to answer. */
		atomic_fetch_add(&notes, 1);
		(void)door_return(NULL, 0, NULL, 0);
		return;
	}
	if (arg_size != sizeof(n)) {
		(void)door_return(NULL, 0, NULL, 0);
		return;
	}
	memcpy(&n, argp, sizeof(n));
	square = n * n;
	/* From the stack: door_return copies it before the thread parks. */
	(void)door_return((char *)&square, sizeof(square), NULL, 0);
}

START_TEST(idiom_square_one_buffer)
{
	long long buf = 12345;
	door_arg_t a = { (char *)&buf, sizeof(buf), NULL, 0, (char *)&buf,
			 sizeof(buf) };
	int did = DOOR_INVAL;

	/* DOOR_INVAL is "no door yet": every call on it is EBADF. */
	ck_assert_fails(door_call(did, &a), EBADF);
	did = door_create(square_proc, NULL, DOOR_REFUSE_DESC);
	ck_assert_int_ge(did, 0);
	ck_assert_ok(door_call(did, &a));
	ck_assert_ptr_eq(a.rbuf, (char *)&buf);
	ck_assert_uint_eq(a.data_size, sizeof(buf));
	ck_assert_int_eq(buf, 12345LL * 12345LL);
}
END_TEST

static int notes_child(void *arg, int ctl)
{
	(void)ctl;
	for (int i = 0; i < 5; i++)
		CHILD_OK(door_call(*(int *)arg, NULL));
	return 0;
}

START_TEST(idiom_fire_and_forget)
{
	struct child c;
	int did = door_create(square_proc, NULL, 0);

	ck_assert_int_ge(did, 0);
	c = child_start(notes_child, &did, CHILD_EXIT);
	ck_assert_int_eq(child_join(&c), 0);
	ck_assert_int_eq(atomic_load(&notes), 5);
}
END_TEST

START_TEST(idiom_munmap_if_rbuf_changed)
{
	struct svc_door sd;
	struct svc_server srv;
	char mine[256];

	svc_init(&sd, 0);
	srv = svc_serve_in_child(&sd);
	for (size_t n = 100; n <= 100000; n *= 10) {
		struct svc_req req = svc_req(SVC_PATTERN, n, n, 0);
		door_arg_t a = { (char *)&req, sizeof(req), NULL, 0, mine,
				 sizeof(mine) };

		ck_assert_ok(door_call(srv.fd, &a));
		ck_assert(pattern_ok(a.data_ptr, n, n));
		if (n <= sizeof(mine))
			ck_assert_ptr_eq(a.rbuf, mine);
		if (a.rbuf != mine)
			ck_assert_ok(munmap(a.rbuf, a.rsize));
		else
			ck_assert_uint_le(n, sizeof(mine));
	}
	/* rbuf = NULL, rsize = 0: always a mapping when there is data. */
	{
		struct svc_req req = svc_req(SVC_PATTERN, 10, 10, 0);
		door_arg_t a = { (char *)&req, sizeof(req), NULL, 0, NULL, 0 };

		ck_assert_ok(door_call(srv.fd, &a));
		ck_assert_ptr_nonnull(a.rbuf);
		ck_assert(pattern_ok(a.data_ptr, 10, 10));
		ck_assert_ok(munmap(a.rbuf, a.rsize));
	}
}
END_TEST

START_TEST(idiom_check_door_before_use)
{
	struct svc_door sd;
	struct svc_server srv;
	door_info_t info;
	int fd;

	svc_init(&sd, 0);
	srv = svc_serve_in_child(&sd);
	fd = srv.fd;
	/* A live door: a target, not revoked. */
	ck_assert_ok(door_info(fd, &info));
	ck_assert_int_eq(info.di_target, srv.child.pid);
	ck_assert(!(info.di_attributes & DOOR_REVOKED));

	/* Its server gone: EBADF, and door_info says why. */
	child_kill(&srv.child);
	ck_assert(wait_revoked(fd));
	ck_assert_fails(door_call(fd, NULL), EBADF);
	ck_assert_ok(door_info(fd, &info));
	ck_assert(info.di_attributes & DOOR_REVOKED);
	ck_assert_int_eq(info.di_target, -1);
}
END_TEST

/* ------------------------------------------------------------------ */
/* A server that lets only root in. */

static void root_only_proc(void *cookie, char *argp, size_t arg_size,
			   door_desc_t *dp, uint_t n_desc)
{
	ucred_t *uc = NULL;
	char *answer = "denied";

	(void)cookie, (void)argp, (void)arg_size, (void)dp, (void)n_desc;
	if (door_ucred(&uc) == 0 && ucred_geteuid(uc) == 0)
		answer = "granted";
	if (uc)
		ucred_free(uc);
	(void)door_return(answer, strlen(answer), NULL, 0);
}

static int ask_child(void *arg, int ctl)
{
	int fd = *(int *)arg;
	char rbuf[16], answer[2][16];

	for (int i = 0; i < 2; i++) {
		door_arg_t a = { NULL, 0, NULL, 0, rbuf, sizeof(rbuf) - 1 };

		if (i == 1)
			become_user(NOBODY, NOBODY);
		CHILD_OK(door_call(fd, &a));
		memset(answer[i], 0, sizeof(answer[i]));
		memcpy(answer[i], a.data_ptr, a.data_size);
	}
	ctl_send(ctl, answer, sizeof(answer));
	return 0;
}

START_TEST(idiom_check_caller_euid)
{
	char answer[2][16];
	struct child c;
	int did = door_create(root_only_proc, NULL, 0);

	ck_assert_int_ge(did, 0);
	c = child_start(ask_child, &did, CHILD_EXIT);
	child_recv(&c, answer, sizeof(answer));
	ck_assert_int_eq(child_join(&c), 0);
	ck_assert_str_eq(answer[0], "granted");
	ck_assert_str_eq(answer[1], "denied");
}
END_TEST

Suite *idioms_suite(void)
{
	Suite *s = suite_create("idioms");
	TCase *tc = harness_tcase(s, "idioms");

	tcase_add_test(tc, idiom_square_one_buffer);
	tcase_add_test(tc, idiom_fire_and_forget);
	tcase_add_test(tc, idiom_munmap_if_rbuf_changed);
	tcase_add_test(tc, idiom_check_door_before_use);
	if (harness_is_root())
		tcase_add_test(tc, idiom_check_caller_euid);
	return s;
}
