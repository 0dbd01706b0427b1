/*
 * test_planes.c: calls between the file plane and libdoor
 * (docs/PROTOCOL.md; ARCHITECTURE.md "Two ways to call, one door").
 *
 * A file-plane client (open O_RDWR, write, read; DOORFS_IOC_CALL;
 * DOORFS_IOC_INFO) calling a libdoor server; a libdoor client calling a
 * file-plane server (a door file made with open(O_CREAT|O_EXCL|O_RDWR)
 * and served with read/write); both planes on one door at once.
 *
 * fattach is not relied on: a client reaches a libdoor door through
 * /proc/SERVER/fd/N, which opens the door file like a name would.
 */
#include "service.h"

#include <ctype.h>
#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/mman.h>

#include <doorfs.h>

/* ------------------------------------------------------------------ */
/* A file-plane client of a libdoor server. */

struct fp_client_args {
	pid_t server;
	int door_fd;		/* in the server */
	door_id_t id;
};

#define BIG_RESULT 300000

static int fp_client(void *arg, int ctl)
{
	const struct fp_client_args *a = arg;
	struct svc_req req;
	struct svc_creds cr;
	struct doorfs_call *call;
	struct doorfs_info info;
	char args[sizeof(req) + 16];
	char *buf = malloc(BIG_RESULT + 1);
	ssize_t n;
	int fd, fresh;

	(void)ctl;
	CHILD_ASSERT(buf, "malloc");
	fd = open_fd_of(a->server, a->door_fd, O_RDWR);
	CHILD_ASSERT(fd >= 0, "open the door read-write: %s",
		     strerrorname_np(errno));

	/* write the arguments, read the result. */
	req = svc_req(SVC_ECHO, 0, 0, 0);
	memcpy(args, &req, sizeof(req));
	memcpy(args + sizeof(req), "hello file plane", 16);
	n = write(fd, args, sizeof(args));
	CHILD_ASSERT(n == (ssize_t)sizeof(args), "write: %zd/%s", n,
		     strerrorname_np(errno));
	n = read_result(fd, buf, BIG_RESULT);
	CHILD_ASSERT(n == (ssize_t)sizeof(args) &&
		     memcmp(buf, args, sizeof(args)) == 0,
		     "echo through the file plane: %zd bytes", n);

	/* A whole call in one ioctl. */
	call = calloc(1, sizeof(*call));
	CHILD_ASSERT(call, "calloc");
	call->version = DOORFS_VERSION;
	req = svc_req(SVC_PATTERN, 1000, 77, 0);
	memcpy(call->data, &req, sizeof(req));
	call->arg_size = sizeof(req);
	CHILD_OK(ioctl(fd, DOORFS_IOC_CALL, call));
	CHILD_ASSERT(call->result_size == 1000 &&
		     pattern_ok(call->data, 1000, 77),
		     "DOORFS_IOC_CALL: %u bytes", call->result_size);

	/* door_ucred sees this process, as the kernel reported it. */
	req = svc_req(SVC_CREDS, 0, 0, 0);
	CHILD_ASSERT(write(fd, &req, sizeof(req)) == sizeof(req), "write");
	n = read_result(fd, &cr, sizeof(cr));
	CHILD_ASSERT(n == sizeof(cr), "creds reply: %zd", n);
	CHILD_ASSERT(cr.ucred_rc == 0, "door_ucred for a file-plane caller: "
		     "%s", strerrorname_np(cr.ucred_errno));
	CHILD_ASSERT(cr.pid == getpid(), "ucred pid %d, want %d", cr.pid,
		     getpid());
	CHILD_ASSERT(cr.euid == (int32_t)geteuid() &&
		     cr.egid == (int32_t)getegid(), "ucred ids %d/%d",
		     cr.euid, cr.egid);

	/* A large result, read in pieces. */
	req = svc_req(SVC_PATTERN, BIG_RESULT, 78, 0);
	CHILD_ASSERT(write(fd, &req, sizeof(req)) == sizeof(req), "write");
	n = read_result(fd, buf, BIG_RESULT);
	CHILD_ASSERT(n == BIG_RESULT && pattern_ok(buf, BIG_RESULT, 78),
		     "large result: %zd bytes", n);

	/* door_info without libdoor. */
	memset(&info, 0, sizeof(info));
	info.version = DOORFS_VERSION;
	CHILD_OK(ioctl(fd, DOORFS_IOC_INFO, &info));
	CHILD_ASSERT(info.target == a->server, "target %d", info.target);
	CHILD_ASSERT(!(info.attributes & DOORFS_ATTR_LOCAL), "LOCAL set");
	CHILD_ASSERT(!(info.attributes & DOORFS_ATTR_REVOKED), "REVOKED set");
	CHILD_ASSERT(info.id == a->id, "id %llu, door_info says %llu",
		     (unsigned long long)info.id, (unsigned long long)a->id);

	/* Last: a read with nothing written is a call without arguments. */
	fresh = open_fd_of(a->server, a->door_fd, O_RDONLY);
	CHILD_ASSERT(fresh >= 0, "open: %s", strerrorname_np(errno));
	n = read(fresh, buf, 16);
	CHILD_ASSERT(n == 0, "empty call: read gave %zd/%s", n,
		     n < 0 ? strerrorname_np(errno) : "data");
	free(call);
	free(buf);
	return 0;
}

START_TEST(fileplane_client_libdoor_server)
{
	struct svc_door sd;
	struct svc_state st;
	struct fp_client_args args;
	door_info_t info;
	struct child c;

	svc_init(&sd, 0);
	ck_assert_int_ge(svc_create(&sd), 0);
	ck_assert_ok(door_info(sd.fd, &info));
	args = (struct fp_client_args){ getpid(), sd.fd, info.di_uniquifier };
	c = child_start(fp_client, &args, CHILD_EXIT);
	ck_assert_int_eq(child_join(&c), 0);

	st = svc_local_state(&sd);
	ck_assert_uint_eq(st.calls, 5);
	/* The empty call reached the procedure as argp NULL, size 0. */
	ck_assert_int_eq(st.last_argp_null, 1);
	ck_assert_uint_eq(st.last_arg_size, 0);
	ck_assert_int_eq(st.last_dp_null, 1);
	ck_assert_uint_eq(st.last_n_desc, 0);
	ck_assert_int_eq(st.returned, 0);
}
END_TEST

/* ------------------------------------------------------------------ */
/* A libdoor client of a file-plane server. */

#define FP_BUF (BIG_RESULT + 64)

/*
 * The file-plane server: "" gets an empty result, "who" the caller as
 * DOORFS_IOC_CALLER tells it, "pattern N SEED" N bytes of the pattern,
 * anything else "ok:" and the argument in capitals.
 */
static int fp_server(void *arg, int ctl)
{
	const char *path = arg;
	char *in = malloc(FP_BUF), *out = malloc(FP_BUF);
	int fd;

	CHILD_ASSERT(in && out, "malloc");
	fd = open(path, O_CREAT | O_EXCL | O_RDWR, 0644);
	CHILD_ASSERT(fd >= 0, "create %s: %s", path, strerrorname_np(errno));
	ctl_send(ctl, "r", 1);
	for (;;) {
		unsigned long long n_pat, seed;
		size_t len = 0;
		ssize_t n = read(fd, in, FP_BUF - 1);

		if (n < 0 && errno == EINTR)
			continue;
		CHILD_ASSERT(n >= 0, "read on the server end: %s",
			     strerrorname_np(errno));
		in[n] = '\0';
		if (n == 0) {
			len = 0;
		} else if (strcmp(in, "who") == 0) {
			struct doorfs_caller who;

			memset(&who, 0, sizeof(who));
			who.version = DOORFS_VERSION;
			CHILD_OK(ioctl(fd, DOORFS_IOC_CALLER, &who));
			memcpy(out, &who, sizeof(who));
			len = sizeof(who);
		} else if (sscanf(in, "pattern %llu %llu", &n_pat, &seed) == 2 &&
			   n_pat <= BIG_RESULT) {
			pattern_fill(out, n_pat, seed);
			len = n_pat;
		} else {
			memcpy(out, "ok:", 3);
			for (ssize_t i = 0; i < n; i++)
				out[3 + i] = (char)toupper((unsigned char)in[i]);
			len = 3 + (size_t)n;
		}
		if (len == 0)
			CHILD_OK(ioctl(fd, DOORFS_IOC_RETURN));
		else
			CHILD_ASSERT(write(fd, out, len) == (ssize_t)len,
				     "write the result: %s",
				     strerrorname_np(errno));
	}
}

static int call_text(int fd, const char *text, char *rbuf, size_t rsize,
		     door_arg_t *a)
{
	*a = (door_arg_t){ (char *)text, strlen(text), NULL, 0, rbuf, rsize };
	return door_call(fd, a);
}

START_TEST(libdoor_client_fileplane_server)
{
	char path[256], ready, rbuf[64], text[64];
	struct doorfs_caller who;
	door_info_t info;
	door_arg_t a;
	struct child c;
	int fd;

	door_path(path, sizeof(path), "fp-server");
	c = child_start(fp_server, path, CHILD_LINGER);
	child_recv(&c, &ready, 1);

	/* Calling needs nothing more than a read-only descriptor. */
	fd = open(path, O_RDONLY);
	ck_assert_msg(fd >= 0, "open %s: %s", path, strerror(errno));
	memset(&info, 0xa5, sizeof(info));
	ck_assert_ok(door_info(fd, &info));
	ck_assert_int_eq(info.di_target, c.pid);
	ck_assert(!(info.di_attributes & (DOOR_LOCAL | DOOR_REVOKED)));
	ck_assert_uint_ne(info.di_uniquifier, 0);
	ck_assert_uint_eq(info.di_proc, 0);
	ck_assert_uint_eq(info.di_data, 0);
	for (int i = 0; i < 4; i++)
		ck_assert_int_eq(info.di_resv[i], 0);

	/* A result that fits lands in rbuf. */
	ck_assert_ok(call_text(fd, "hello", rbuf, sizeof(rbuf), &a));
	ck_assert_ptr_eq(a.rbuf, rbuf);
	ck_assert_ptr_eq(a.data_ptr, rbuf);
	ck_assert_uint_eq(a.data_size, 8);
	ck_assert_mem_eq(a.data_ptr, "ok:HELLO", 8);

	/* No arguments, no result. */
	ck_assert_ok(door_call(fd, NULL));
	a = (door_arg_t){ NULL, 0, NULL, 0, rbuf, sizeof(rbuf) };
	ck_assert_ok(door_call(fd, &a));
	ck_assert_uint_eq(a.data_size, 0);
	ck_assert_ptr_eq(a.rbuf, rbuf);

	/* The server sees who calls. */
	ck_assert_ok(call_text(fd, "who", rbuf, sizeof(rbuf), &a));
	ck_assert_uint_eq(a.data_size, sizeof(who));
	memcpy(&who, a.data_ptr, sizeof(who));
	ck_assert_int_eq(who.pid, getpid());
	ck_assert_uint_eq(who.uid, geteuid());
	ck_assert_uint_eq(who.gid, getegid());

	/* A large result in a mapping of its own. */
	snprintf(text, sizeof(text), "pattern %d 9", BIG_RESULT);
	ck_assert_ok(call_text(fd, text, NULL, 0, &a));
	ck_assert_uint_eq(a.data_size, BIG_RESULT);
	ck_assert_uint_eq(a.rsize, ROUNDUP((size_t)BIG_RESULT,
					   (size_t)sysconf(_SC_PAGESIZE)));
	ck_assert(pattern_ok(a.data_ptr, BIG_RESULT, 9));
	ck_assert_ok(munmap(a.rbuf, a.rsize));

	/* Its server gone, the door is revoked. */
	child_kill(&c);
	ck_assert(wait_revoked(fd));
	ck_assert_ok(door_info(fd, &info));
	ck_assert_int_eq(info.di_target, -1);
	ck_assert_fails(door_call(fd, NULL), EBADF);
	unlink(path);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Both planes on one door at once. */

#define BOTH_CALLS 200

static int libdoor_caller(void *arg, int ctl)
{
	(void)ctl;
	verify_calls(*(int *)arg, BOTH_CALLS, 1000000);
	return 0;
}

static int fileplane_caller(void *arg, int ctl)
{
	int fd = open_fd_of(getppid(), *(int *)arg, O_RDWR);

	(void)ctl;
	CHILD_ASSERT(fd >= 0, "open: %s", strerrorname_np(errno));
	verify_calls_fileplane(fd, BOTH_CALLS, 2000000);
	return 0;
}

START_TEST(both_planes_at_once)
{
	struct svc_door sd;
	struct child l, f;

	svc_init(&sd, 0);
	ck_assert_int_ge(svc_create(&sd), 0);
	l = child_start(libdoor_caller, &sd.fd, CHILD_EXIT);
	f = child_start(fileplane_caller, &sd.fd, CHILD_EXIT);
	ck_assert_int_eq(child_join(&l), 0);
	ck_assert_int_eq(child_join(&f), 0);
	ck_assert_uint_eq(svc_local_state(&sd).calls, 2 * BOTH_CALLS);
}
END_TEST

Suite *planes_suite(void)
{
	Suite *s = suite_create("planes");
	TCase *tc = harness_tcase(s, "planes");

	tcase_add_test(tc, fileplane_client_libdoor_server);
	tcase_add_test(tc, libdoor_client_fileplane_server);
	tcase_add_test(tc, both_planes_at_once);
	return s;
}
