/*
 * test_call.c: door_call as a client sees it (DOOR-API rows 6, 8, 17's
 * door_call errors, 30).
 *
 * NULL params; every door_arg_t field on the way in and out; where the
 * result lands (in rbuf when it fits, else in a fresh mapping of
 * roundup(need, PAGESIZE) the caller unmaps); the empty reply; one
 * buffer for arguments and results; the errno table rows EBADF, ENOBUFS,
 * ENOTSUP and ENFILE and the order they are checked in.
 *
 * The servers are svc doors in child processes; the test process is the
 * client through /proc/PID/fd/N.
 */
#include "service.h"

#include <fcntl.h>
#include <limits.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>

static size_t page_size(void)
{
	return (size_t)sysconf(_SC_PAGESIZE);
}

/* Whether [p, p+len) is mapped (mincore fails with ENOMEM where not). */
static bool mapped(void *p, size_t len)
{
	unsigned char vec[1024];

	if (len / page_size() + 1 > sizeof(vec))
		return false;
	return mincore(p, len, vec) == 0;
}

START_TEST(call_null_params)
{
	struct svc_door sd;
	struct svc_server srv;
	struct svc_state st;

	svc_init(&sd, 0);
	srv = svc_serve_in_child(&sd);
	ck_assert_ok(door_call(srv.fd, NULL));
	ck_assert_ok(door_call(srv.fd, NULL));

	/* The procedure got no data and no descriptors, as NULLs. */
	st = svc_state(srv.fd);
	ck_assert_uint_eq(st.calls, 3);
	ck_assert_int_eq(st.last_argp_null, 1);
	ck_assert_uint_eq(st.last_arg_size, 0);
	ck_assert_int_eq(st.last_dp_null, 1);
	ck_assert_uint_eq(st.last_n_desc, 0);
	ck_assert_uint_eq(st.last_cookie, (uintptr_t)&sd);
	ck_assert_int_eq(st.returned, 0);
}
END_TEST

START_TEST(call_arguments_arrive)
{
	struct svc_door sd;
	struct svc_server srv;
	struct svc_state st;
	char args[sizeof(struct svc_req) + 777], rbuf[2048];
	struct svc_req req = svc_req(SVC_ECHO, 0, 0, 0);
	door_arg_t a;

	svc_init(&sd, 0);
	srv = svc_serve_in_child(&sd);
	memcpy(args, &req, sizeof(req));
	pattern_fill(args + sizeof(req), 777, 5);
	a = (door_arg_t){ args, sizeof(args), NULL, 0, rbuf, sizeof(rbuf) };
	ck_assert_ok(door_call(srv.fd, &a));
	ck_assert_uint_eq(a.data_size, sizeof(args));
	ck_assert_mem_eq(a.data_ptr, args, sizeof(args));

	/* Data without descriptors: dp NULL and n_desc 0 in the procedure. */
	st = svc_state(srv.fd);
	ck_assert_uint_eq(st.last_arg_size, sizeof(args));
	ck_assert_int_eq(st.last_argp_null, 0);
	ck_assert_int_eq(st.last_dp_null, 1);
	ck_assert_uint_eq(st.last_n_desc, 0);
}
END_TEST

START_TEST(call_result_fits_rbuf)
{
	static const size_t sizes[] = { 1, 5, 24, 48, 100, 1000 };
	struct svc_door sd;
	struct svc_server srv;
	char rbuf[1000];

	svc_init(&sd, 0);
	srv = svc_serve_in_child(&sd);
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		size_t n = sizes[i];
		struct svc_req req = svc_req(SVC_PATTERN, n, n, 0);
		door_arg_t a = { (char *)&req, sizeof(req), NULL, 0, rbuf,
				 sizeof(rbuf) };

		memset(rbuf, 0, sizeof(rbuf));
		ck_assert_ok(door_call(srv.fd, &a));
		ck_assert_ptr_eq(a.rbuf, rbuf);
		ck_assert_uint_eq(a.rsize, sizeof(rbuf));
		ck_assert_ptr_eq(a.data_ptr, rbuf);
		ck_assert_uint_eq(a.data_size, n);
		ck_assert_msg((char *)a.desc_ptr ==
			      rbuf + ROUNDUP(n, sizeof(door_desc_t)),
			      "reply of %zu bytes: desc_ptr is rbuf%+td, want "
			      "rbuf+%zu (data rounded up to a door_desc_t)", n,
			      (char *)a.desc_ptr - rbuf,
			      ROUNDUP(n, sizeof(door_desc_t)));
		ck_assert_uint_eq(a.desc_num, 0);
		ck_assert(pattern_ok(rbuf, n, n));
	}
}
END_TEST

START_TEST(call_result_overflows_rbuf)
{
	size_t ps = page_size();
	size_t sizes[] = { 17, 100, ps, ps + 1, 70000 };
	struct svc_door sd;
	struct svc_server srv;
	char small[16];

	svc_init(&sd, 0);
	srv = svc_serve_in_child(&sd);
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		size_t n = sizes[i];
		struct svc_req req = svc_req(SVC_PATTERN, n, 7 * n, 0);
		door_arg_t a = { (char *)&req, sizeof(req), NULL, 0, small,
				 sizeof(small) };

		ck_assert_ok(door_call(srv.fd, &a));
		ck_assert_ptr_ne(a.rbuf, small);
		ck_assert_ptr_nonnull(a.rbuf);
		ck_assert_uint_eq(a.rsize, ROUNDUP(n, ps));
		ck_assert_ptr_eq(a.data_ptr, a.rbuf);
		ck_assert_uint_eq(a.data_size, n);
		ck_assert_uint_eq(a.desc_num, 0);
		ck_assert(pattern_ok(a.data_ptr, n, 7 * n));
		/* A mapping of its own, which is the caller's to unmap. */
		ck_assert_uint_eq((uintptr_t)a.rbuf % ps, 0);
		ck_assert(mapped(a.rbuf, a.rsize));
		ck_assert_ok(munmap(a.rbuf, a.rsize));
		ck_assert(!mapped(a.rbuf, a.rsize));
	}
}
END_TEST

START_TEST(call_rbuf_null)
{
	size_t ps = page_size();
	size_t sizes[] = { 1, 4000, 3 * ps + 5 };
	struct svc_door sd;
	struct svc_server srv;

	svc_init(&sd, 0);
	srv = svc_serve_in_child(&sd);
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		size_t n = sizes[i];
		struct svc_req req = svc_req(SVC_PATTERN, n, n + 1, 0);
		door_arg_t a = { (char *)&req, sizeof(req), NULL, 0, NULL, 0 };

		ck_assert_ok(door_call(srv.fd, &a));
		ck_assert_ptr_nonnull(a.rbuf);
		ck_assert_uint_eq(a.rsize, ROUNDUP(n, ps));
		ck_assert_ptr_eq(a.data_ptr, a.rbuf);
		ck_assert_uint_eq(a.data_size, n);
		ck_assert(pattern_ok(a.data_ptr, n, n + 1));
		ck_assert(mapped(a.rbuf, a.rsize));
		ck_assert_ok(munmap(a.rbuf, a.rsize));
	}
}
END_TEST

START_TEST(call_empty_reply_keeps_buffers)
{
	struct svc_door sd;
	struct svc_server srv;
	struct svc_req req = svc_req(SVC_EMPTY, 0, 0, 0);
	door_desc_t unused[2];
	char rbuf[64];
	door_arg_t a;

	svc_init(&sd, 0);
	srv = svc_serve_in_child(&sd);

	/* data_ptr, desc_ptr, rbuf and rsize keep their values. */
	a = (door_arg_t){ (char *)&req, sizeof(req), unused, 0, rbuf,
			  sizeof(rbuf) };
	ck_assert_ok(door_call(srv.fd, &a));
	ck_assert_ptr_eq(a.data_ptr, (char *)&req);
	ck_assert_uint_eq(a.data_size, 0);
	ck_assert_ptr_eq(a.desc_ptr, unused);
	ck_assert_uint_eq(a.desc_num, 0);
	ck_assert_ptr_eq(a.rbuf, rbuf);
	ck_assert_uint_eq(a.rsize, sizeof(rbuf));

	/* With no result area at all, nothing is mapped for it. */
	a = (door_arg_t){ (char *)&req, sizeof(req), NULL, 0, NULL, 0 };
	ck_assert_ok(door_call(srv.fd, &a));
	ck_assert_ptr_eq(a.data_ptr, (char *)&req);
	ck_assert_uint_eq(a.data_size, 0);
	ck_assert_ptr_null(a.desc_ptr);
	ck_assert_uint_eq(a.desc_num, 0);
	ck_assert_ptr_null(a.rbuf);
	ck_assert_uint_eq(a.rsize, 0);
}
END_TEST

START_TEST(call_one_buffer_both_ways)
{
	struct svc_door sd;
	struct svc_server srv;
	struct svc_req req = svc_req(SVC_VERIFY, 1000, 99, SVC_F_ECHO);
	struct svc_verdict v;
	char buf[2048];
	door_arg_t a;

	svc_init(&sd, 0);
	srv = svc_serve_in_child(&sd);
	memcpy(buf, &req, sizeof(req));
	pattern_fill(buf + sizeof(req), 1000, 99);
	a = (door_arg_t){ buf, sizeof(req) + 1000, NULL, 0, buf, sizeof(buf) };
	ck_assert_ok(door_call(srv.fd, &a));
	ck_assert_ptr_eq(a.rbuf, buf);
	ck_assert_ptr_eq(a.data_ptr, buf);
	ck_assert_uint_eq(a.data_size, sizeof(v) + 1000);
	memcpy(&v, buf, sizeof(v));
	ck_assert_int_eq(v.ok, 1);
	ck_assert_uint_eq(v.size, 1000);
	ck_assert(pattern_ok(buf + sizeof(v), 1000, 99));
}
END_TEST

START_TEST(call_own_door)
{
	/* A process may call a door it serves, from any of its threads. */
	struct svc_door sd;
	struct svc_creds c;
	char out[300];

	svc_init(&sd, 0);
	ck_assert_int_ge(svc_create(&sd), 0);
	ck_assert_ok(svc_call(sd.fd, SVC_PATTERN, sizeof(out), 3, 0, out,
			      sizeof(out)));
	ck_assert(pattern_ok(out, sizeof(out), 3));
	ck_assert_ok(svc_call(sd.fd, SVC_CREDS, 0, 0, 0, &c, sizeof(c)));
	ck_assert_int_eq(c.ucred_rc, 0);
	ck_assert_int_eq(c.pid, getpid());
	ck_assert_ok(door_call(sd.fd, NULL));
}
END_TEST

/* ------------------------------------------------------------------ */
/* EBADF. */

START_TEST(call_ebadf_not_open)
{
	char rbuf[16];
	door_arg_t a = { NULL, 0, NULL, 0, rbuf, sizeof(rbuf) };
	int fd = open("/dev/null", O_RDONLY);

	ck_assert_fails(door_call(DOOR_INVAL, NULL), EBADF);
	ck_assert_fails(door_call(DOOR_INVAL, &a), EBADF);
	ck_assert_int_ge(fd, 0);
	close(fd);
	ck_assert_fails(door_call(fd, NULL), EBADF);
	ck_assert_fails(door_call(fd, &a), EBADF);
	ck_assert_fails(door_call(INT_MAX, &a), EBADF);
}
END_TEST

/* Descriptors that are open but are no doors: each is EBADF. */
static void assert_not_a_door(int fd, const char *what)
{
	char args[8] = "abcdefg", rbuf[16];
	door_arg_t a = { args, sizeof(args), NULL, 0, rbuf, sizeof(rbuf) };
	door_info_t info;

	errno = 0;
	ck_assert_msg(door_call(fd, &a) == -1 && errno == EBADF,
		      "door_call(%s): want EBADF, got %s", what,
		      strerrorname_np(errno));
	errno = 0;
	ck_assert_msg(door_call(fd, NULL) == -1 && errno == EBADF,
		      "door_call(%s, NULL): want EBADF, got %s", what,
		      strerrorname_np(errno));
	errno = 0;
	ck_assert_msg(door_info(fd, &info) == -1 && errno == EBADF,
		      "door_info(%s): want EBADF, got %s", what,
		      strerrorname_np(errno));
}

START_TEST(call_ebadf_not_a_door)
{
	char tmpl[] = "/tmp/check_libdoor-file.XXXXXX";
	int p[2], s[2], file, dir, null;

	ck_assert_ok(pipe(p));
	assert_not_a_door(p[0], "pipe read end");
	assert_not_a_door(p[1], "pipe write end");
	ck_assert_ok(socketpair(AF_UNIX, SOCK_STREAM, 0, s));
	assert_not_a_door(s[0], "socket");
	null = open("/dev/null", O_RDWR);
	ck_assert_int_ge(null, 0);
	assert_not_a_door(null, "/dev/null");
	file = mkstemp(tmpl);
	ck_assert_int_ge(file, 0);
	unlink(tmpl);
	ck_assert_int_eq(write(file, "not a door", 10), 10);
	assert_not_a_door(file, "a regular file outside doorfs");
	dir = open(harness_mount, O_RDONLY | O_DIRECTORY);
	ck_assert_int_ge(dir, 0);
	assert_not_a_door(dir, "the doorfs root directory");
}
END_TEST

START_TEST(call_ebadf_revoked)
{
	struct svc_door sd;
	int dup_fd;

	svc_init(&sd, 0);
	ck_assert_int_ge(svc_create(&sd), 0);
	dup_fd = dup(sd.fd);
	ck_assert_int_ge(dup_fd, 0);
	ck_assert_ok(door_call(dup_fd, NULL));
	ck_assert_ok(door_revoke(sd.fd));
	ck_assert_fails(door_call(dup_fd, NULL), EBADF);
	ck_assert_fails(svc_call(dup_fd, SVC_EMPTY, 0, 0, 0, NULL, 0), EBADF);
}
END_TEST

/* ------------------------------------------------------------------ */
/* ENOBUFS, ENOTSUP, ENFILE and their order. */

/* door_call(fd) with size bytes of data (a header if it fits) and descs. */
static int call_sized(int fd, size_t size, door_desc_t *descs, uint_t ndesc)
{
	struct svc_req req = svc_req(SVC_EMPTY, 0, 0, 0);
	char args[256], rbuf[64];
	door_arg_t a = { size ? args : NULL, size, ndesc ? descs : NULL, ndesc,
			 rbuf, sizeof(rbuf) };

	ck_assert_uint_le(size, sizeof(args));
	memset(args, 'x', sizeof(args));
	if (size >= sizeof(req))
		memcpy(args, &req, sizeof(req));
	return door_call(fd, &a);
}

/* Two descriptors worth passing, DOOR_DESCRIPTOR set. */
static void make_descs(door_desc_t descs[2], int p[2])
{
	ck_assert_ok(pipe(p));
	memset(descs, 0, 2 * sizeof(*descs));
	for (int i = 0; i < 2; i++) {
		descs[i].d_attributes = DOOR_DESCRIPTOR;
		descs[i].d_data.d_desc.d_descriptor = p[i];
	}
}

static void assert_open(int fd)
{
	ck_assert_msg(fcntl(fd, F_GETFD) >= 0, "fd %d was closed", fd);
}

START_TEST(call_enobufs_data_limits)
{
	struct svc_door sd;
	struct svc_server srv;

	svc_init(&sd, 0);
	sd.data_min = 40;
	sd.data_max = 64;
	srv = svc_serve_in_child(&sd);

	ck_assert_fails(call_sized(srv.fd, 65, NULL, 0), ENOBUFS);
	ck_assert_fails(call_sized(srv.fd, 200, NULL, 0), ENOBUFS);
	ck_assert_fails(call_sized(srv.fd, 39, NULL, 0), ENOBUFS);
	ck_assert_fails(call_sized(srv.fd, 1, NULL, 0), ENOBUFS);
	ck_assert_fails(call_sized(srv.fd, 0, NULL, 0), ENOBUFS);
	ck_assert_fails(door_call(srv.fd, NULL), ENOBUFS);
	ck_assert_ok(call_sized(srv.fd, 40, NULL, 0));
	ck_assert_ok(call_sized(srv.fd, 64, NULL, 0));
	/* The request header alone (32 bytes) is under DATA_MIN too. */
	ck_assert_fails(svc_call(srv.fd, SVC_STATE, 0, 0, 0, NULL, 0),
			ENOBUFS);
}
END_TEST

/* The refused calls never reach the server's procedure. */
START_TEST(call_enobufs_never_reaches_server)
{
	struct svc_door sd;
	struct svc_server srv;
	struct svc_state st;

	svc_init(&sd, 0);
	sd.data_min = sizeof(struct svc_req);
	sd.data_max = 100;
	srv = svc_serve_in_child(&sd);
	ck_assert_fails(call_sized(srv.fd, 101, NULL, 0), ENOBUFS);
	ck_assert_fails(call_sized(srv.fd, sizeof(struct svc_req) - 1, NULL,
				   0), ENOBUFS);
	ck_assert_fails(door_call(srv.fd, NULL), ENOBUFS);
	ck_assert_ok(call_sized(srv.fd, 100, NULL, 0));
	st = svc_state(srv.fd);
	ck_assert_uint_eq(st.calls, 2);
	ck_assert_uint_eq(st.last_arg_size, 100);
}
END_TEST

START_TEST(call_enotsup_refuse_desc)
{
	struct svc_door sd;
	struct svc_server srv;
	door_desc_t descs[2];
	int p[2];

	svc_init(&sd, DOOR_REFUSE_DESC);
	srv = svc_serve_in_child(&sd);
	make_descs(descs, p);
	ck_assert_fails(call_sized(srv.fd, 32, descs, 1), ENOTSUP);
	ck_assert_fails(call_sized(srv.fd, 32, descs, 2), ENOTSUP);
	ck_assert_fails(call_sized(srv.fd, 0, descs, 1), ENOTSUP);
	/* Refused before any transfer: the caller's fds are untouched. */
	assert_open(p[0]);
	assert_open(p[1]);
	/* desc_num 0 is fine whatever desc_ptr holds. */
	{
		char rbuf[8];
		door_arg_t a = { NULL, 0, descs, 0, rbuf, sizeof(rbuf) };

		ck_assert_ok(door_call(srv.fd, &a));
	}
	ck_assert_uint_eq(svc_state(srv.fd).calls, 2);
}
END_TEST

START_TEST(call_enfile_desc_max)
{
	struct svc_door one, none;
	struct svc_server s1, s0;
	door_desc_t descs[2];
	int p[2];

	svc_init(&one, 0);
	one.desc_max = 1;
	s1 = svc_serve_in_child(&one);
	svc_init(&none, 0);
	none.desc_max = 0;
	s0 = svc_serve_in_child(&none);
	make_descs(descs, p);

	ck_assert_fails(call_sized(s1.fd, 32, descs, 2), ENFILE);
	ck_assert_fails(call_sized(s0.fd, 32, descs, 1), ENFILE);
	ck_assert_fails(call_sized(s0.fd, 0, descs, 2), ENFILE);
	assert_open(p[0]);
	assert_open(p[1]);
	ck_assert_uint_eq(svc_state(s1.fd).calls, 1);
	ck_assert_uint_eq(svc_state(s0.fd).calls, 1);
}
END_TEST

START_TEST(call_check_order)
{
	struct svc_door refuse, plain, local;
	struct svc_server sr, sp;
	door_desc_t descs[2];
	int p[2], dup_fd;

	make_descs(descs, p);

	/* Revoked comes first: EBADF whatever else is wrong. */
	svc_init(&local, 0);
	local.data_max = 40;
	local.desc_max = 0;
	ck_assert_int_ge(svc_create(&local), 0);
	dup_fd = dup(local.fd);
	ck_assert_ok(door_revoke(local.fd));
	ck_assert_fails(call_sized(dup_fd, 64, descs, 2), EBADF);

	/* Then ENOBUFS (DATA_MIN, DATA_MAX), before ENOTSUP. */
	svc_init(&refuse, DOOR_REFUSE_DESC);
	refuse.data_min = 32;
	refuse.data_max = 40;
	sr = svc_serve_in_child(&refuse);
	ck_assert_fails(call_sized(sr.fd, 64, descs, 1), ENOBUFS);
	ck_assert_fails(call_sized(sr.fd, 8, descs, 1), ENOBUFS);
	ck_assert_fails(call_sized(sr.fd, 0, descs, 2), ENOBUFS);
	/* ENOTSUP before ENFILE (DESC_MAX is 0 with REFUSE_DESC). */
	ck_assert_fails(call_sized(sr.fd, 32, descs, 2), ENOTSUP);

	/* ENOBUFS before ENFILE. */
	svc_init(&plain, 0);
	plain.data_max = 40;
	plain.desc_max = 0;
	sp = svc_serve_in_child(&plain);
	ck_assert_fails(call_sized(sp.fd, 64, descs, 1), ENOBUFS);
	ck_assert_fails(call_sized(sp.fd, 32, descs, 1), ENFILE);
	assert_open(p[0]);
	assert_open(p[1]);
}
END_TEST

Suite *call_suite(void)
{
	Suite *s = suite_create("call");
	TCase *tc = harness_tcase(s, "buffers");

	tcase_add_test(tc, call_null_params);
	tcase_add_test(tc, call_arguments_arrive);
	tcase_add_test(tc, call_result_fits_rbuf);
	tcase_add_test(tc, call_result_overflows_rbuf);
	tcase_add_test(tc, call_rbuf_null);
	tcase_add_test(tc, call_empty_reply_keeps_buffers);
	tcase_add_test(tc, call_one_buffer_both_ways);
	tcase_add_test(tc, call_own_door);

	tc = harness_tcase(s, "errors");
	tcase_add_test(tc, call_ebadf_not_open);
	tcase_add_test(tc, call_ebadf_not_a_door);
	tcase_add_test(tc, call_ebadf_revoked);
	tcase_add_test(tc, call_enobufs_data_limits);
	tcase_add_test(tc, call_enobufs_never_reaches_server);
	tcase_add_test(tc, call_enotsup_refuse_desc);
	tcase_add_test(tc, call_enfile_desc_max);
	tcase_add_test(tc, call_check_order);
	return s;
}
