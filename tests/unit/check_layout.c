/*
 * check_layout.c: the public headers against the illumos contract, and
 * lib/ucred.c against ucred(3C).
 *
 * Constants, sizes and offsets are the amd64 illumos values of
 * DOOR-API.md §1-§2, so a door_desc_t or door_info_t copied between an
 * illumos program's expectations and libdoor means the same bytes.
 * Prototypes are checked at compile time against the illumos signatures
 * without referring to the functions, so this test links only ucred.c.
 *
 * The ucred tests fork children with other credentials (which needs
 * root: without it they only say so); every child is bounded by an alarm
 * and reaped by the test that made it.
 */
#include <check.h>
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <grp.h>
#include <unistd.h>

#include <door.h>
#include <stropts.h>
#include <sys/door.h>
#include <ucred.h>

#include "ucred_impl.h"

#define SAME_TYPE(expr, type) \
	__builtin_types_compatible_p(__typeof__(expr), type)

/* Every prototype, exactly as illumos declares it. */
_Static_assert(SAME_TYPE(door_create,
	int (door_server_procedure_t *, void *, uint_t)), "door_create");
_Static_assert(SAME_TYPE(door_xcreate,
	int (door_server_procedure_t *, void *, uint_t,
	     door_xcreate_server_func_t *, door_xcreate_thrsetup_func_t *,
	     void *, int)), "door_xcreate");
_Static_assert(SAME_TYPE(door_revoke, int (int)), "door_revoke");
_Static_assert(SAME_TYPE(door_info, int (int, door_info_t *)), "door_info");
_Static_assert(SAME_TYPE(door_call, int (int, door_arg_t *)), "door_call");
_Static_assert(SAME_TYPE(door_return,
	int (char *, size_t, door_desc_t *, uint_t)), "door_return");
_Static_assert(SAME_TYPE(door_cred, int (door_cred_t *)), "door_cred");
_Static_assert(SAME_TYPE(door_ucred, int (ucred_t **)), "door_ucred");
_Static_assert(SAME_TYPE(door_bind, int (int)), "door_bind");
_Static_assert(SAME_TYPE(door_unbind, int (void)), "door_unbind");
_Static_assert(SAME_TYPE(door_getparam, int (int, int, size_t *)),
	"door_getparam");
_Static_assert(SAME_TYPE(door_setparam, int (int, int, size_t)),
	"door_setparam");
_Static_assert(SAME_TYPE(door_server_create,
	door_server_func_t *(door_server_func_t *)), "door_server_create");
_Static_assert(SAME_TYPE(fattach, int (int, const char *)), "fattach");
_Static_assert(SAME_TYPE(fdetach, int (const char *)), "fdetach");

_Static_assert(SAME_TYPE(door_server_procedure_t,
	void (void *, char *, size_t, door_desc_t *, uint_t)),
	"door_server_procedure_t");
_Static_assert(SAME_TYPE(door_server_func_t, void (door_info_t *)),
	"door_server_func_t");
_Static_assert(SAME_TYPE(door_xcreate_server_func_t,
	int (door_info_t *, void *(*)(void *), void *, void *)),
	"door_xcreate_server_func_t");
_Static_assert(SAME_TYPE(door_xcreate_thrsetup_func_t, void (void *)),
	"door_xcreate_thrsetup_func_t");

_Static_assert(SAME_TYPE(ucred_get, ucred_t *(pid_t)), "ucred_get");
_Static_assert(SAME_TYPE(ucred_free, void (ucred_t *)), "ucred_free");
_Static_assert(SAME_TYPE(ucred_size, size_t (void)), "ucred_size");
_Static_assert(SAME_TYPE(ucred_geteuid, uid_t (const ucred_t *)), "geteuid");
_Static_assert(SAME_TYPE(ucred_getruid, uid_t (const ucred_t *)), "getruid");
_Static_assert(SAME_TYPE(ucred_getsuid, uid_t (const ucred_t *)), "getsuid");
_Static_assert(SAME_TYPE(ucred_getegid, gid_t (const ucred_t *)), "getegid");
_Static_assert(SAME_TYPE(ucred_getrgid, gid_t (const ucred_t *)), "getrgid");
_Static_assert(SAME_TYPE(ucred_getsgid, gid_t (const ucred_t *)), "getsgid");
_Static_assert(SAME_TYPE(ucred_getpid, pid_t (const ucred_t *)), "getpid");
_Static_assert(SAME_TYPE(ucred_getgroups,
	int (const ucred_t *, const gid_t **)), "ucred_getgroups");
_Static_assert(SAME_TYPE(ucred_getprojid, projid_t (const ucred_t *)),
	"ucred_getprojid");
_Static_assert(SAME_TYPE(ucred_getzoneid, zoneid_t (const ucred_t *)),
	"ucred_getzoneid");
_Static_assert(SAME_TYPE(ucred_getprivset,
	const priv_set_t *(const ucred_t *, priv_ptype_t)), "getprivset");
_Static_assert(SAME_TYPE(ucred_getpflags, uint_t (const ucred_t *, uint_t)),
	"ucred_getpflags");
_Static_assert(SAME_TYPE(ucred_getlabel, m_label_t *(const ucred_t *)),
	"ucred_getlabel");

/* A struct declared after the headers: their pack(4) must not leak. */
struct after_headers {
	char c;
	long long ll;
};

START_TEST(constants)
{
	ck_assert_int_eq(DOOR_INVAL, -1);
	ck_assert_int_eq(DOOR_QUERY, -2);
	ck_assert_ptr_eq(DOOR_UNREF_DATA, (void *)1);
	ck_assert(SAME_TYPE(DOOR_UNREF_DATA, void *));

	ck_assert_int_eq(DOOR_UNREF, 0x01);
	ck_assert_int_eq(DOOR_PRIVATE, 0x02);
	ck_assert_int_eq(DOOR_LOCAL, 0x04);
	ck_assert_int_eq(DOOR_REVOKED, 0x08);
	ck_assert_int_eq(DOOR_UNREF_MULTI, 0x10);
	ck_assert_int_eq(DOOR_IS_UNREF, 0x20);
	ck_assert_int_eq(DOOR_REFUSE_DESC, 0x40);
	ck_assert_int_eq(DOOR_NO_CANCEL, 0x80);
	ck_assert_int_eq(DOOR_NO_DEPLETION_CB, 0x100);
	ck_assert_int_eq(DOOR_PRIVCREATE, 0x200);
	ck_assert_int_eq(DOOR_DEPLETION_CB, 0x400);
	ck_assert_int_eq(DOOR_DESCRIPTOR, 0x10000);
	ck_assert_int_eq(DOOR_HANDLE, 0x20000);
	ck_assert_int_eq(DOOR_RELEASE, 0x40000);
	ck_assert_int_eq(DOOR_DELAY, 0x80000);
	ck_assert_int_eq(DOOR_UNREF_ACTIVE, 0x100000);

	ck_assert_int_eq(DOOR_PARAM_DESC_MAX, 1);
	ck_assert_int_eq(DOOR_PARAM_DATA_MAX, 2);
	ck_assert_int_eq(DOOR_PARAM_DATA_MIN, 3);

	ck_assert_int_eq(DOOR_CREATE_MASK, 0x3D3);
	ck_assert_int_eq(DOOR_CREATE_MASK,
		DOOR_UNREF | DOOR_PRIVATE | DOOR_UNREF_MULTI |
		DOOR_REFUSE_DESC | DOOR_NO_CANCEL | DOOR_NO_DEPLETION_CB |
		DOOR_PRIVCREATE);
	ck_assert_int_eq(DOOR_ATTR_MASK, 0x3FF);
	ck_assert_int_eq(DOOR_ATTR_MASK, DOOR_CREATE_MASK | DOOR_LOCAL |
		DOOR_REVOKED | DOOR_IS_UNREF);

	ck_assert_int_eq(P_MYID, -1);
}
END_TEST

START_TEST(door_file_type)
{
	ck_assert_int_eq(S_IFDOOR, 0xD000);
	ck_assert(S_ISDOOR(S_IFDOOR | 0777));
	ck_assert(S_ISDOOR(S_IFDOOR));
	ck_assert(!S_ISDOOR(S_IFREG | 0644));
	ck_assert(!S_ISDOOR(S_IFDIR | 0755));
	ck_assert(!S_ISDOOR(S_IFSOCK | 0777));  /* 0xC000: a bit short */
	ck_assert(!S_ISDOOR(S_IFIFO | 0600));
	ck_assert(!S_ISDOOR(S_IFBLK | 0600));
	ck_assert(!S_ISDOOR(0));
	/* Only the type bits count. */
	ck_assert(S_ISDOOR(S_IFDOOR | S_ISUID | S_ISGID | S_ISVTX | 0777));
}
END_TEST

START_TEST(typedefs)
{
	ck_assert_uint_eq(sizeof(door_ptr_t), 8);
	ck_assert_uint_eq(sizeof(door_id_t), 8);
	ck_assert_uint_eq(sizeof(door_attr_t), 4);
	ck_assert_uint_eq(sizeof(uint_t), 4);
	ck_assert_uint_eq(sizeof(projid_t), 4);
	ck_assert_uint_eq(sizeof(zoneid_t), 4);
	ck_assert(SAME_TYPE((door_ptr_t)0, unsigned long long));
	ck_assert(SAME_TYPE((door_id_t)0, unsigned long long));
	ck_assert(SAME_TYPE((door_attr_t)0, unsigned int));
	ck_assert(SAME_TYPE((uint_t)0, unsigned int));
	ck_assert(SAME_TYPE((projid_t)0, int));
	ck_assert(SAME_TYPE((zoneid_t)0, int));
	ck_assert(SAME_TYPE((priv_ptype_t)0, const char *));
}
END_TEST

#define ck_assert_offset(type, member, off) \
	ck_assert_uint_eq(offsetof(type, member), (off))

START_TEST(door_desc_layout)
{
	door_desc_t d;

	ck_assert_uint_eq(sizeof(door_desc_t), 24);
	ck_assert_uint_eq(_Alignof(door_desc_t), 4);
	ck_assert_offset(door_desc_t, d_attributes, 0);
	ck_assert_offset(door_desc_t, d_data, 4);
	ck_assert_offset(door_desc_t, d_data.d_desc.d_descriptor, 4);
	ck_assert_offset(door_desc_t, d_data.d_desc.d_id, 8);
	ck_assert_offset(door_desc_t, d_data.d_resv, 4);
	ck_assert_uint_eq(sizeof(d.d_data), 20);
	ck_assert_uint_eq(sizeof(d.d_data.d_desc), 12);
	ck_assert_uint_eq(sizeof(d.d_data.d_resv), 20);
	ck_assert(SAME_TYPE(d.d_attributes, door_attr_t));
	ck_assert(SAME_TYPE(d.d_data.d_desc.d_descriptor, int));
	ck_assert(SAME_TYPE(d.d_data.d_desc.d_id, door_id_t));
	ck_assert(SAME_TYPE(d.d_data.d_resv, int[5]));
}
END_TEST

START_TEST(door_info_layout)
{
	door_info_t i;

	ck_assert_uint_eq(sizeof(door_info_t), 48);
	ck_assert_uint_eq(_Alignof(door_info_t), 4);
	ck_assert_offset(door_info_t, di_target, 0);
	ck_assert_offset(door_info_t, di_proc, 4);
	ck_assert_offset(door_info_t, di_data, 12);
	ck_assert_offset(door_info_t, di_attributes, 20);
	ck_assert_offset(door_info_t, di_uniquifier, 24);
	ck_assert_offset(door_info_t, di_resv, 32);
	ck_assert(SAME_TYPE(i.di_target, pid_t));
	ck_assert(SAME_TYPE(i.di_proc, door_ptr_t));
	ck_assert(SAME_TYPE(i.di_data, door_ptr_t));
	ck_assert(SAME_TYPE(i.di_attributes, door_attr_t));
	ck_assert(SAME_TYPE(i.di_uniquifier, door_id_t));
	ck_assert(SAME_TYPE(i.di_resv, int[4]));
}
END_TEST

START_TEST(door_arg_layout)
{
	door_arg_t a;

	ck_assert(SAME_TYPE(a.data_ptr, char *));
	ck_assert(SAME_TYPE(a.data_size, size_t));
	ck_assert(SAME_TYPE(a.desc_ptr, door_desc_t *));
	ck_assert(SAME_TYPE(a.desc_num, uint_t));
	ck_assert(SAME_TYPE(a.rbuf, char *));
	ck_assert(SAME_TYPE(a.rsize, size_t));
#if defined(__LP64__)
	/* The amd64 (LP64) layout; natural alignment, so 32-bit differs. */
	ck_assert_uint_eq(sizeof(door_arg_t), 48);
	ck_assert_uint_eq(_Alignof(door_arg_t), 8);
	ck_assert_offset(door_arg_t, data_ptr, 0);
	ck_assert_offset(door_arg_t, data_size, 8);
	ck_assert_offset(door_arg_t, desc_ptr, 16);
	ck_assert_offset(door_arg_t, desc_num, 24);
	ck_assert_offset(door_arg_t, rbuf, 32);
	ck_assert_offset(door_arg_t, rsize, 40);
#endif
}
END_TEST

START_TEST(door_cred_layout)
{
	door_cred_t c;

	ck_assert_uint_eq(sizeof(door_cred_t), 36);
	ck_assert_uint_eq(_Alignof(door_cred_t), 4);
	ck_assert_offset(door_cred_t, dc_euid, 0);
	ck_assert_offset(door_cred_t, dc_egid, 4);
	ck_assert_offset(door_cred_t, dc_ruid, 8);
	ck_assert_offset(door_cred_t, dc_rgid, 12);
	ck_assert_offset(door_cred_t, dc_pid, 16);
	ck_assert_offset(door_cred_t, dc_resv, 20);
	ck_assert(SAME_TYPE(c.dc_euid, uid_t));
	ck_assert(SAME_TYPE(c.dc_egid, gid_t));
	ck_assert(SAME_TYPE(c.dc_ruid, uid_t));
	ck_assert(SAME_TYPE(c.dc_rgid, gid_t));
	ck_assert(SAME_TYPE(c.dc_pid, pid_t));
	ck_assert(SAME_TYPE(c.dc_resv, int[4]));
}
END_TEST

START_TEST(packing_does_not_leak)
{
	ck_assert_uint_eq(offsetof(struct after_headers, ll),
			  _Alignof(long long));
}
END_TEST

/* --- ucred ------------------------------------------------------------ */

/* Assert that uc describes the calling thread exactly. */
static void assert_is_me(const ucred_t *uc)
{
	uid_t ruid, euid, suid;
	gid_t rgid, egid, sgid;
	gid_t groups[UCRED_NGROUPS_MAX];
	const gid_t *got;
	int n;

	ck_assert_ptr_nonnull(uc);
	ck_assert_int_eq(getresuid(&ruid, &euid, &suid), 0);
	ck_assert_int_eq(getresgid(&rgid, &egid, &sgid), 0);
	ck_assert_int_eq(ucred_getpid(uc), getpid());
	ck_assert_uint_eq(ucred_geteuid(uc), geteuid());
	ck_assert_uint_eq(ucred_getruid(uc), getuid());
	ck_assert_uint_eq(ucred_getsuid(uc), suid);
	ck_assert_uint_eq(ucred_getegid(uc), getegid());
	ck_assert_uint_eq(ucred_getrgid(uc), getgid());
	ck_assert_uint_eq(ucred_getsgid(uc), sgid);

	n = getgroups(UCRED_NGROUPS_MAX, groups);
	ck_assert_int_ge(n, 0);
	got = (const gid_t *)&got;      /* must be overwritten */
	ck_assert_int_eq(ucred_getgroups(uc, &got), n);
	if (n == 0)
		ck_assert_ptr_null(got);
	for (int i = 0; i < n; i++)
		ck_assert_uint_eq(got[i], groups[i]);
}

START_TEST(ucred_of_myself)
{
	ucred_t *uc = ucred_get(P_MYID);

	assert_is_me(uc);
	ucred_free(uc);

	uc = ucred_get(getpid());
	assert_is_me(uc);
	ucred_free(uc);
}
END_TEST

/* The /proc reader, on ourselves: must agree with the system calls. */
START_TEST(ucred_from_proc_of_myself)
{
	ucred_t *uc = ucred_alloc();

	ck_assert_ptr_nonnull(uc);
	ck_assert_int_eq(ucred_fill_from_proc(uc, getpid()), 0);
	assert_is_me(uc);
	ucred_free(uc);
}
END_TEST

/*
 * A child that takes the given credentials, reports 'r' (or the errno of
 * the failed call) on a pipe and waits to be killed; its alarm kills it if
 * the test never does.  Returns its pid once it is ready.
 */
static pid_t cred_child(const gid_t *groups, size_t ngroups,
			const uid_t uids[3], const gid_t gids[3])
{
	int pipefd[2];
	pid_t pid;
	char status;
	struct pollfd pfd;

	ck_assert_int_eq(pipe(pipefd), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		char err = 'r';

		alarm(30);
		close(pipefd[0]);
		if (setgroups(ngroups, groups) != 0 ||
		    setresgid(gids[0], gids[1], gids[2]) != 0 ||
		    setresuid(uids[0], uids[1], uids[2]) != 0)
			err = (char)errno;
		if (write(pipefd[1], &err, 1) != 1)
			_exit(1);
		for (;;)
			pause();
	}
	close(pipefd[1]);
	pfd.fd = pipefd[0];
	pfd.events = POLLIN;
	if (poll(&pfd, 1, 10000) != 1 || read(pipefd[0], &status, 1) != 1)
		status = 0;
	close(pipefd[0]);
	if (status != 'r') {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		ck_abort_msg("child could not take its credentials: %s",
			     status ? strerror(status) : "no answer");
	}
	return pid;
}

static void reap(pid_t pid)
{
	int status;

	ck_assert_int_eq(kill(pid, SIGKILL), 0);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
}

START_TEST(ucred_of_other_process)
{
	/* All six ids differ, so a swapped field cannot go unnoticed. */
	static const uid_t uids[3] = { 65531, 65534, 65530 };
	static const gid_t gids[3] = { 65533, 65532, 65529 };
	static const gid_t groups[] = { 65534, 100, 4 };
	const gid_t *got;
	ucred_t *uc;
	pid_t pid;

	pid = cred_child(groups, 3, uids, gids);
	uc = ucred_get(pid);
	reap(pid);

	ck_assert_ptr_nonnull(uc);
	ck_assert_int_eq(ucred_getpid(uc), pid);
	ck_assert_uint_eq(ucred_getruid(uc), 65531);
	ck_assert_uint_eq(ucred_geteuid(uc), 65534);
	ck_assert_uint_eq(ucred_getsuid(uc), 65530);
	ck_assert_uint_eq(ucred_getrgid(uc), 65533);
	ck_assert_uint_eq(ucred_getegid(uc), 65532);
	ck_assert_uint_eq(ucred_getsgid(uc), 65529);
	/* The kernel keeps supplementary groups sorted. */
	ck_assert_int_eq(ucred_getgroups(uc, &got), 3);
	ck_assert_uint_eq(got[0], 4);
	ck_assert_uint_eq(got[1], 100);
	ck_assert_uint_eq(got[2], 65534);
	ucred_free(uc);
}
END_TEST

START_TEST(ucred_of_process_without_groups)
{
	static const uid_t uids[3] = { 65534, 65534, 65534 };
	static const gid_t gids[3] = { 65534, 65534, 65534 };
	const gid_t *got = (const gid_t *)&got;
	ucred_t *uc;
	pid_t pid;

	pid = cred_child(NULL, 0, uids, gids);
	uc = ucred_get(pid);
	reap(pid);
	ck_assert_ptr_nonnull(uc);
	ck_assert_uint_eq(ucred_geteuid(uc), 65534);
	ck_assert_int_eq(ucred_getgroups(uc, &got), 0);
	ck_assert_ptr_null(got);
	ucred_free(uc);
}
END_TEST

/* More groups than a ucred_t holds: ENOMEM, never a truncated list. */
START_TEST(ucred_too_many_groups)
{
	enum { N = UCRED_NGROUPS_MAX + 1 };
	static gid_t groups[N];
	uid_t ids[3];
	gid_t gids[3];
	ucred_t *uc;
	pid_t pid;
	int status;

	for (int i = 0; i < N; i++)
		groups[i] = 10000 + i;
	ck_assert_int_eq(getresuid(&ids[0], &ids[1], &ids[2]), 0);
	ck_assert_int_eq(getresgid(&gids[0], &gids[1], &gids[2]), 0);

	/* Another process, read through /proc. */
	pid = cred_child(groups, N, ids, gids);
	errno = 0;
	uc = ucred_get(pid);
	reap(pid);
	ck_assert_ptr_null(uc);
	ck_assert_int_eq(errno, ENOMEM);

	/* The caller itself, read through getgroups. */
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		alarm(30);
		if (setgroups(N, groups) != 0)
			_exit(2);
		errno = 0;
		_exit(ucred_get(P_MYID) == NULL && errno == ENOMEM ? 0 : 1);
	}
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFEXITED(status));
	ck_assert_int_eq(WEXITSTATUS(status), 0);
}
END_TEST

static void *wait_for_cancel(void *arg)
{
	__atomic_store_n((int *)arg, gettid(), __ATOMIC_RELEASE);
	for (;;)
		pause();
	return NULL;
}

START_TEST(ucred_of_no_process)
{
	pthread_t thread;
	int tid = 0;
	pid_t gone;
	int status;

	/* A pid that just exited and was reaped. */
	gone = fork();
	ck_assert_int_ge(gone, 0);
	if (gone == 0)
		_exit(0);
	ck_assert_int_eq(waitpid(gone, &status, 0), gone);
	errno = 0;
	ck_assert_ptr_null(ucred_get(gone));
	ck_assert_int_eq(errno, ESRCH);

	/* Not pids at all (P_MYID, -1, means the caller). */
	errno = 0;
	ck_assert_ptr_null(ucred_get(0));
	ck_assert_int_eq(errno, ESRCH);
	errno = 0;
	ck_assert_ptr_null(ucred_get(-5));
	ck_assert_int_eq(errno, ESRCH);

	/* A thread id is not a process id, though /proc/TID exists. */
	ck_assert_int_eq(pthread_create(&thread, NULL, wait_for_cancel, &tid),
			 0);
	for (int i = 0; i < 5000; i++) {
		if (__atomic_load_n(&tid, __ATOMIC_ACQUIRE) != 0)
			break;
		usleep(1000);
	}
	ck_assert_int_ne(__atomic_load_n(&tid, __ATOMIC_ACQUIRE), 0);
	errno = 0;
	ck_assert_ptr_null(ucred_get(tid));
	ck_assert_int_eq(errno, ESRCH);
	ck_assert_int_eq(pthread_cancel(thread), 0);
	ck_assert_int_eq(pthread_join(thread, NULL), 0);
}
END_TEST

START_TEST(ucred_size_holds_a_ucred)
{
	ck_assert_uint_ge(ucred_size(), sizeof(struct ucred_s));
	ck_assert_uint_ge(ucred_size(),
			  UCRED_NGROUPS_MAX * sizeof(gid_t));
}
END_TEST

/* Every value-returning getter on a ucred_t that lacks its value. */
static void assert_all_absent(const ucred_t *uc)
{
	const gid_t *untouched = (const gid_t *)&untouched;
	const gid_t *got = untouched;

	errno = 0;
	ck_assert_uint_eq(ucred_geteuid(uc), (uid_t)-1);
	ck_assert_int_eq(errno, EINVAL);
	errno = 0;
	ck_assert_uint_eq(ucred_getruid(uc), (uid_t)-1);
	ck_assert_int_eq(errno, EINVAL);
	errno = 0;
	ck_assert_uint_eq(ucred_getsuid(uc), (uid_t)-1);
	ck_assert_int_eq(errno, EINVAL);
	errno = 0;
	ck_assert_uint_eq(ucred_getegid(uc), (gid_t)-1);
	ck_assert_int_eq(errno, EINVAL);
	errno = 0;
	ck_assert_uint_eq(ucred_getrgid(uc), (gid_t)-1);
	ck_assert_int_eq(errno, EINVAL);
	errno = 0;
	ck_assert_uint_eq(ucred_getsgid(uc), (gid_t)-1);
	ck_assert_int_eq(errno, EINVAL);
	errno = 0;
	ck_assert_int_eq(ucred_getpid(uc), -1);
	ck_assert_int_eq(errno, EINVAL);
	errno = 0;
	ck_assert_int_eq(ucred_getgroups(uc, &got), -1);
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_ptr_eq(got, untouched);
}

START_TEST(ucred_absent_values)
{
	ucred_t *uc = ucred_alloc();

	/* Fresh, zeroed, and cleared after a fill all hold nothing. */
	ck_assert_ptr_nonnull(uc);
	assert_all_absent(uc);
	memset(uc, 0, ucred_size());
	assert_all_absent(uc);
	ck_assert_int_eq(ucred_fill_self(uc), 0);
	ucred_clear(uc);
	assert_all_absent(uc);
	assert_all_absent(NULL);

	/* What a caller seen only through SO_PEERCRED would give. */
	uc->have = UCRED_HAVE_PID | UCRED_HAVE_EUID | UCRED_HAVE_EGID;
	uc->pid = 0;            /* a call the daemon made: pid 0, as illumos */
	uc->euid = 0;
	uc->egid = 0;
	errno = 0;
	ck_assert_int_eq(ucred_getpid(uc), 0);
	ck_assert_uint_eq(ucred_geteuid(uc), 0);
	ck_assert_uint_eq(ucred_getegid(uc), 0);
	ck_assert_int_eq(errno, 0);
	ck_assert_uint_eq(ucred_getruid(uc), (uid_t)-1);
	ck_assert_int_eq(errno, EINVAL);
	errno = 0;
	ck_assert_uint_eq(ucred_getsgid(uc), (gid_t)-1);
	ck_assert_int_eq(errno, EINVAL);
	ucred_free(uc);
	ucred_free(NULL);
}
END_TEST

/* What Linux has no counterpart for, answered as documented in ucred.c. */
START_TEST(ucred_illumos_only_values)
{
	ucred_t *uc = ucred_get(P_MYID);

	ck_assert_ptr_nonnull(uc);
	errno = 0;
	ck_assert_int_eq(ucred_getprojid(uc), -1);
	ck_assert_int_eq(errno, EINVAL);
	errno = 0;
	ck_assert_int_eq(ucred_getzoneid(uc), 0);       /* GLOBAL_ZONEID */
	ck_assert_int_eq(errno, 0);
	ck_assert_ptr_null(ucred_getprivset(uc, "Effective"));
	ck_assert_int_eq(errno, EINVAL);
	errno = 0;
	ck_assert_uint_eq(ucred_getpflags(uc, 0x0002), 0);  /* PRIV_AWARE */
	ck_assert_uint_eq(ucred_getpflags(uc, ~0u), 0);
	ck_assert_ptr_null(ucred_getlabel(uc));
	ck_assert_int_eq(errno, EINVAL);
	errno = 0;
	ck_assert_int_eq(ucred_getzoneid(NULL), -1);
	ck_assert_int_eq(errno, EINVAL);
	ucred_free(uc);
}
END_TEST

static Suite *layout_suite(void)
{
	Suite *s = suite_create("layout");
	TCase *tc = tcase_create("headers");

	tcase_add_test(tc, constants);
	tcase_add_test(tc, door_file_type);
	tcase_add_test(tc, typedefs);
	tcase_add_test(tc, door_desc_layout);
	tcase_add_test(tc, door_info_layout);
	tcase_add_test(tc, door_arg_layout);
	tcase_add_test(tc, door_cred_layout);
	tcase_add_test(tc, packing_does_not_leak);
	suite_add_tcase(s, tc);

	tc = tcase_create("ucred");
	tcase_set_timeout(tc, 20);
	tcase_add_test(tc, ucred_of_myself);
	tcase_add_test(tc, ucred_from_proc_of_myself);
	/* A child with chosen credentials needs root to make. */
	if (geteuid() == 0) {
		tcase_add_test(tc, ucred_of_other_process);
		tcase_add_test(tc, ucred_of_process_without_groups);
		tcase_add_test(tc, ucred_too_many_groups);
	} else {
		fprintf(stderr, "check_layout: not root: the ucred tests of "
			"other credentials are left out\n");
	}
	tcase_add_test(tc, ucred_of_no_process);
	tcase_add_test(tc, ucred_size_holds_a_ucred);
	tcase_add_test(tc, ucred_absent_values);
	tcase_add_test(tc, ucred_illumos_only_values);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(layout_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
