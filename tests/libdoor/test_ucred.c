/*
 * test_ucred.c: door_ucred, door_cred and ucred_get (DOOR-API rows 20,
 * 21, and §5's "door_ucred + ucred_geteuid to check the caller").
 *
 * The credentials are those of the immediate caller at the time of the
 * call: a child that drops privileges between two calls is seen as root
 * first, then as nobody; a server that relays a call is the caller of
 * the next door, not its own client.  Changing credentials needs root;
 * those tests are left out otherwise.
 */
#include "service.h"

#include <grp.h>

#define ALT_ID 65533	/* an effective id that differs from the real one */

enum become {
	STAY,		/* keep the test's credentials */
	NOBODY_ALL,	/* real = effective = saved = nobody */
	SPLIT,		/* real nobody, effective and saved ALT_ID */
};

struct creds_args {
	int fd;
	bool call_first;	/* call once before changing credentials */
	enum become become;
};

/* The caller's own view of itself, and what the server saw. */
struct creds_report {
	int32_t pid, ruid, euid, rgid, egid;
	struct svc_creds c;
};

static void self_ids(struct creds_report *r)
{
	r->pid = getpid();
	r->ruid = (int32_t)getuid();
	r->euid = (int32_t)geteuid();
	r->rgid = (int32_t)getgid();
	r->egid = (int32_t)getegid();
}

static int creds_child(void *arg, int ctl)
{
	const struct creds_args *a = arg;
	struct creds_report r[2];

	memset(r, 0, sizeof(r));
	if (a->call_first) {
		self_ids(&r[0]);
		CHILD_OK(svc_call_raw(a->fd, SVC_CREDS, 0, 0, 0, &r[0].c,
				      sizeof(r[0].c)));
	}
	switch (a->become) {
	case STAY:
		break;
	case NOBODY_ALL:
		become_user(NOBODY, NOBODY);
		break;
	case SPLIT:
		CHILD_OK(setgroups(0, NULL));
		CHILD_OK(setresgid(NOBODY, ALT_ID, ALT_ID));
		CHILD_OK(setresuid(NOBODY, ALT_ID, ALT_ID));
		break;
	}
	self_ids(&r[1]);
	CHILD_OK(svc_call_raw(a->fd, SVC_CREDS, 0, 0, 0, &r[1].c,
			      sizeof(r[1].c)));
	ctl_send(ctl, r, sizeof(r));
	return 0;
}

/* Everything the server saw must be the caller as it was at the call. */
static void assert_creds(const struct creds_report *r)
{
	const struct svc_creds *c = &r->c;

	ck_assert_msg(c->ucred_rc == 0, "door_ucred in the server: %s",
		      strerrorname_np(c->ucred_errno));
	ck_assert_int_eq(c->ucred_allocated, 1);
	ck_assert_int_eq(c->pid, r->pid);
	ck_assert_int_eq(c->euid, r->euid);
	ck_assert_int_eq(c->egid, r->egid);
	ck_assert_int_eq(c->ruid, r->ruid);
	ck_assert_int_eq(c->rgid, r->rgid);

	/* A ucred_t passed in is reused and overwritten. */
	ck_assert_msg(c->reuse_rc == 0, "door_ucred into a ucred_t: %d/%s",
		      c->reuse_rc, strerrorname_np(c->reuse_errno));
	ck_assert_int_eq(c->reuse_same, 1);
	ck_assert_int_eq(c->reuse_pid, r->pid);
	ck_assert_int_eq(c->reuse_euid, r->euid);

	ck_assert_msg(c->cred_rc == 0, "door_cred in the server: %s",
		      strerrorname_np(c->cred_errno));
	ck_assert_int_eq(c->dc.dc_pid, r->pid);
	ck_assert_int_eq(c->dc.dc_euid, r->euid);
	ck_assert_int_eq(c->dc.dc_egid, r->egid);
	ck_assert_int_eq(c->dc.dc_ruid, r->ruid);
	ck_assert_int_eq(c->dc.dc_rgid, r->rgid);
}

static void run_creds_child(bool call_first, enum become become,
			    struct creds_report r[2])
{
	struct svc_door sd;
	struct creds_args a;
	struct child c;

	svc_init(&sd, 0);
	ck_assert_int_ge(svc_create(&sd), 0);
	a = (struct creds_args){ sd.fd, call_first, become };
	c = child_start(creds_child, &a, CHILD_EXIT);
	child_recv(&c, r, 2 * sizeof(*r));
	ck_assert_int_eq(child_join(&c), 0);
}

START_TEST(ucred_of_caller)
{
	struct creds_report r[2];

	run_creds_child(false, STAY, r);
	assert_creds(&r[1]);
}
END_TEST

START_TEST(ucred_of_unprivileged_caller)
{
	struct creds_report r[2];

	run_creds_child(false, NOBODY_ALL, r);
	ck_assert_int_eq(r[1].euid, NOBODY);
	assert_creds(&r[1]);
}
END_TEST

START_TEST(ucred_follows_caller_identity_changes)
{
	struct creds_report r[2];

	/* Root at the first call, nobody at the second. */
	run_creds_child(true, NOBODY_ALL, r);
	ck_assert_int_eq(r[0].euid, 0);
	assert_creds(&r[0]);
	ck_assert_int_eq(r[1].euid, NOBODY);
	assert_creds(&r[1]);
}
END_TEST

/*
 * A caller that changes only its supplementary groups between two calls
 * (as a server dropping privileges does first) is seen with its new
 * groups, though its ids stay those of root.
 */
static int groups_child(void *arg, int ctl)
{
	int fd = *(int *)arg;
	struct svc_creds c[2];
	gid_t first = 4242, second[2] = { 4343, 4444 };

	memset(c, 0, sizeof(c));
	CHILD_OK(setgroups(1, &first));
	CHILD_OK(svc_call_raw(fd, SVC_CREDS, 0, 0, 0, &c[0], sizeof(c[0])));
	CHILD_OK(setgroups(2, second));
	CHILD_OK(svc_call_raw(fd, SVC_CREDS, 0, 0, 0, &c[1], sizeof(c[1])));
	ctl_send(ctl, c, sizeof(c));
	return 0;
}

START_TEST(ucred_follows_caller_group_changes)
{
	struct svc_door sd;
	struct svc_creds c[2];
	struct child ch;

	svc_init(&sd, 0);
	ck_assert_int_ge(svc_create(&sd), 0);
	ch = child_start(groups_child, &sd.fd, CHILD_EXIT);
	child_recv(&ch, c, sizeof(c));
	ck_assert_int_eq(child_join(&ch), 0);
	ck_assert_int_eq(c[0].ucred_rc, 0);
	ck_assert_int_eq(c[0].ngroups, 1);
	ck_assert_int_eq(c[0].groups[0], 4242);
	ck_assert_int_eq(c[1].ucred_rc, 0);
	ck_assert_int_eq(c[1].ngroups, 2);
	ck_assert_int_eq(c[1].groups[0], 4343);
	ck_assert_int_eq(c[1].groups[1], 4444);
}
END_TEST

START_TEST(door_cred_real_and_effective)
{
	struct creds_report r[2];

	run_creds_child(false, SPLIT, r);
	ck_assert_int_eq(r[1].ruid, NOBODY);
	ck_assert_int_eq(r[1].euid, ALT_ID);
	ck_assert_int_eq(r[1].rgid, NOBODY);
	ck_assert_int_eq(r[1].egid, ALT_ID);
	assert_creds(&r[1]);
}
END_TEST

START_TEST(ucred_outside_a_call_einval)
{
	struct svc_door sd;
	door_cred_t dc;
	ucred_t *uc = NULL, *mine;

	ck_assert_fails(door_ucred(&uc), EINVAL);
	ck_assert_ptr_null(uc);
	ck_assert_fails(door_cred(&dc), EINVAL);

	/* *uc is left alone on error. */
	mine = uc = ucred_get(getpid());
	ck_assert_ptr_nonnull(uc);
	ck_assert_fails(door_ucred(&uc), EINVAL);
	ck_assert_ptr_eq(uc, mine);
	ck_assert_int_eq(ucred_getpid(uc), getpid());

	/* Serving doors does not make this thread a server thread. */
	svc_init(&sd, 0);
	ck_assert_int_ge(svc_create(&sd), 0);
	ck_assert_ok(door_call(sd.fd, NULL));
	ck_assert_fails(door_ucred(&uc), EINVAL);
	ck_assert_ptr_eq(uc, mine);
	ck_assert_fails(door_cred(&dc), EINVAL);
	ucred_free(uc);
}
END_TEST

START_TEST(ucred_get_self)
{
	uid_t ruid, euid, suid;
	gid_t rgid, egid, sgid;
	const gid_t *groups = NULL;
	ucred_t *uc, *me;

	ck_assert_uint_gt(ucred_size(), 0);
	ck_assert_ok(getresuid(&ruid, &euid, &suid));
	ck_assert_ok(getresgid(&rgid, &egid, &sgid));
	uc = ucred_get(getpid());
	ck_assert_ptr_nonnull(uc);
	ck_assert_int_eq(ucred_getpid(uc), getpid());
	ck_assert_uint_eq(ucred_geteuid(uc), euid);
	ck_assert_uint_eq(ucred_getruid(uc), ruid);
	ck_assert_uint_eq(ucred_getsuid(uc), suid);
	ck_assert_uint_eq(ucred_getegid(uc), egid);
	ck_assert_uint_eq(ucred_getrgid(uc), rgid);
	ck_assert_uint_eq(ucred_getsgid(uc), sgid);
	ck_assert_int_eq(ucred_getgroups(uc, &groups), getgroups(0, NULL));
	ucred_free(uc);

	me = ucred_get(P_MYID);
	ck_assert_ptr_nonnull(me);
	ck_assert_int_eq(ucred_getpid(me), getpid());
	ucred_free(me);
}
END_TEST

/* ------------------------------------------------------------------ */
/* The immediate caller: A calls B's relay door, whose procedure calls C. */

struct relay_reply {
	int32_t rc, err;		/* B's call to C */
	struct svc_creds from_c;	/* what C saw */
	int32_t b_saw_pid, b_saw_euid;	/* what B saw of A */
};

static void relay_proc(void *cookie, char *argp, size_t arg_size,
		       door_desc_t *dp, uint_t n_desc)
{
	int c_fd = *(int *)cookie;
	struct relay_reply out;
	ucred_t *uc = NULL;

	(void)argp, (void)arg_size, (void)dp, (void)n_desc;
	memset(&out, 0, sizeof(out));
	out.rc = svc_call_raw(c_fd, SVC_CREDS, 0, 0, 0, &out.from_c,
			      sizeof(out.from_c));
	out.err = out.rc ? errno : 0;
	if (door_ucred(&uc) == 0) {
		out.b_saw_pid = (int32_t)ucred_getpid(uc);
		out.b_saw_euid = (int32_t)ucred_geteuid(uc);
	}
	if (uc)
		ucred_free(uc);
	(void)door_return((char *)&out, sizeof(out), NULL, 0);
}

static int relay_caller(void *arg, int ctl)
{
	int fd = *(int *)arg;
	struct relay_reply out;
	char rbuf[sizeof(out)];
	door_arg_t a = { NULL, 0, NULL, 0, rbuf, sizeof(rbuf) };

	become_user(NOBODY, NOBODY);
	CHILD_OK(door_call(fd, &a));
	CHILD_ASSERT(a.data_size == sizeof(out), "relay reply of %zu bytes",
		     a.data_size);
	memcpy(&out, a.data_ptr, sizeof(out));
	ctl_send(ctl, &out, sizeof(out));
	return 0;
}

START_TEST(ucred_is_the_immediate_caller)
{
	struct svc_door c_door;
	struct svc_server b;
	struct relay_reply out;
	struct child a;
	pid_t a_pid;
	int relay_fd;

	/* C: here.  B: a child serving the relay, holding C's fd. */
	svc_init(&c_door, 0);
	ck_assert_int_ge(svc_create(&c_door), 0);
	b = proc_serve_in_child(relay_proc, &c_door.fd, 0);
	relay_fd = b.fd;
	/* A: a child that drops to nobody and calls B. */
	a = child_start(relay_caller, &relay_fd, CHILD_EXIT);
	a_pid = a.pid;
	child_recv(&a, &out, sizeof(out));
	ck_assert_int_eq(child_join(&a), 0);

	ck_assert_msg(out.rc == 0, "the relay's call: %s",
		      strerrorname_np(out.err));
	ck_assert_int_eq(out.b_saw_pid, a_pid);
	ck_assert_int_eq(out.b_saw_euid, NOBODY);
	/* C saw B (root), not A (nobody). */
	ck_assert_int_eq(out.from_c.ucred_rc, 0);
	ck_assert_int_eq(out.from_c.pid, b.child.pid);
	ck_assert_int_eq(out.from_c.euid, (int32_t)geteuid());
	ck_assert_int_eq(out.from_c.dc.dc_pid, b.child.pid);
	ck_assert_uint_eq(svc_local_state(&c_door).calls, 1);
}
END_TEST

Suite *ucred_suite(void)
{
	Suite *s = suite_create("ucred");
	TCase *tc = harness_tcase(s, "ucred");

	tcase_add_test(tc, ucred_of_caller);
	tcase_add_test(tc, ucred_outside_a_call_einval);
	tcase_add_test(tc, ucred_get_self);
	if (harness_is_root()) {
		tc = harness_tcase(s, "ucred_as_root");
		tcase_add_test(tc, ucred_of_unprivileged_caller);
		tcase_add_test(tc, ucred_follows_caller_identity_changes);
		tcase_add_test(tc, ucred_follows_caller_group_changes);
		tcase_add_test(tc, door_cred_real_and_effective);
		tcase_add_test(tc, ucred_is_the_immediate_caller);
	}
	return s;
}
