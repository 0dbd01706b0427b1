/*
 * test_load.c: many clients at once, and large arguments and results.
 *
 * 8 client processes x 200 calls against one server, every reply checked
 * (its data, its seed, and the caller pid door_ucred gave the server);
 * half the clients share the descriptor they inherited, half open their
 * own.  1 MiB arguments and 1 MiB results through door_call.
 */
#include "service.h"

#include <doorfs.h>

#include <fcntl.h>
#include <sys/mman.h>

#define CLIENTS 8
#define CALLS 200
#define MIB (1024 * 1024)

struct load_client {
	int fd;			/* the inherited descriptor */
	int index;
};

static int load_client(void *arg, int ctl)
{
	const struct load_client *c = arg;
	int fd = c->fd;

	(void)ctl;
	if (c->index % 2) {
		fd = open_fd_of(getppid(), c->fd, O_RDONLY);
		CHILD_ASSERT(fd >= 0, "open: %s", strerrorname_np(errno));
	}
	verify_calls(fd, CALLS, (uint64_t)c->index << 32);
	return 0;
}

START_TEST(parallel_clients)
{
	struct svc_door sd;
	struct load_client args[CLIENTS];
	struct child c[CLIENTS];

	svc_init(&sd, 0);
	ck_assert_int_ge(svc_create(&sd), 0);
	for (int i = 0; i < CLIENTS; i++) {
		args[i] = (struct load_client){ sd.fd, i };
		c[i] = child_start(load_client, &args[i], CHILD_EXIT);
	}
	for (int i = 0; i < CLIENTS; i++)
		ck_assert_msg(child_join(&c[i]) == 0, "client %d failed (see "
			      "its message above)", i);
	ck_assert_uint_eq(svc_local_state(&sd).calls, CLIENTS * CALLS);
	ck_assert_int_eq(svc_local_state(&sd).returned, 0);
}
END_TEST

START_TEST(one_mib_arguments)
{
	struct svc_door sd;
	struct svc_server srv;
	struct svc_req req = svc_req(SVC_VERIFY, MIB, 31, SVC_F_UCRED);
	struct svc_verdict v;
	char *args = malloc(sizeof(req) + MIB), rbuf[sizeof(v)];
	door_arg_t a = { args, sizeof(req) + MIB, NULL, 0, rbuf, sizeof(rbuf) };

	ck_assert_ptr_nonnull(args);
	svc_init(&sd, 0);
	srv = svc_serve_in_child(&sd);
	memcpy(args, &req, sizeof(req));
	pattern_fill(args + sizeof(req), MIB, 31);
	ck_assert_ok(door_call(srv.fd, &a));
	ck_assert_ptr_eq(a.rbuf, rbuf);
	ck_assert_uint_eq(a.data_size, sizeof(v));
	memcpy(&v, a.data_ptr, sizeof(v));
	ck_assert_uint_eq(v.size, MIB);
	ck_assert_int_eq(v.ok, 1);
	ck_assert_int_eq(v.pid, getpid());
	free(args);
}
END_TEST

START_TEST(one_mib_results)
{
	size_t ps = (size_t)sysconf(_SC_PAGESIZE);
	struct svc_door sd;
	struct svc_server srv;
	static const size_t sizes[] = { MIB, MIB + 1 };

	svc_init(&sd, 0);
	srv = svc_serve_in_child(&sd);
	for (int i = 0; i < 2; i++) {
		struct svc_req req = svc_req(SVC_PATTERN, sizes[i], 32 + i, 0);
		door_arg_t a = { (char *)&req, sizeof(req), NULL, 0, NULL, 0 };

		ck_assert_ok(door_call(srv.fd, &a));
		ck_assert_ptr_nonnull(a.rbuf);
		ck_assert_uint_eq(a.rsize, ROUNDUP(sizes[i], ps));
		ck_assert_ptr_eq(a.data_ptr, a.rbuf);
		ck_assert_uint_eq(a.data_size, sizes[i]);
		ck_assert(pattern_ok(a.data_ptr, sizes[i], 32 + i));
		ck_assert_ok(munmap(a.rbuf, a.rsize));
	}
}
END_TEST

/*
 * Arguments and result in one buffer.  The reply (verdict, then the
 * payload) is laid out unlike the arguments (header, then the payload),
 * so a result never written into the buffer cannot pass for one.
 */
START_TEST(one_mib_echo_in_one_buffer)
{
	struct svc_door sd;
	struct svc_server srv;
	struct svc_req req = svc_req(SVC_VERIFY, MIB, 33, SVC_F_ECHO);
	struct svc_verdict v;
	size_t size = sizeof(req) + MIB;
	char *buf = malloc(size);
	door_arg_t a = { buf, size, NULL, 0, buf, size };

	ck_assert_ptr_nonnull(buf);
	svc_init(&sd, 0);
	srv = svc_serve_in_child(&sd);
	memcpy(buf, &req, sizeof(req));
	pattern_fill(buf + sizeof(req), MIB, 33);
	ck_assert_ok(door_call(srv.fd, &a));
	ck_assert_ptr_eq(a.rbuf, buf);
	ck_assert_uint_eq(a.rsize, size);
	ck_assert_ptr_eq(a.data_ptr, buf);
	ck_assert_uint_eq(a.data_size, sizeof(v) + MIB);
	memcpy(&v, buf, sizeof(v));
	ck_assert_uint_eq(v.size, MIB);
	ck_assert_int_eq(v.ok, 1);
	ck_assert(pattern_ok(buf + sizeof(v), MIB, 33));
	free(buf);
}
END_TEST

/*
 * Data on both sides of the slot's size (in the slot, or in a sealed
 * memfd), and well past it, both ways.
 */
START_TEST(data_around_the_slot_size)
{
	struct svc_door sd;
	struct svc_server srv;
	struct svc_req req = svc_req(SVC_ECHO, 0, 0, 0);
	const size_t fits = DOORFS_SLOT_DATA_MAX - sizeof(req);
	const size_t sizes[] = { fits, fits + 1, 3 * MIB };

	svc_init(&sd, 0);
	srv = svc_serve_in_child(&sd);
	for (int i = 0; i < 3; i++) {
		size_t size = sizeof(req) + sizes[i];
		char *buf = malloc(size);
		door_arg_t a = { buf, size, NULL, 0, NULL, 0 };

		ck_assert_ptr_nonnull(buf);
		memcpy(buf, &req, sizeof(req));
		pattern_fill(buf + sizeof(req), sizes[i], 40 + i);
		ck_assert_ok(door_call(srv.fd, &a));
		ck_assert_uint_eq(a.data_size, size);
		ck_assert(pattern_ok(a.data_ptr + sizeof(req), sizes[i], 40 + i));
		ck_assert_ok(munmap(a.rbuf, a.rsize));
		free(buf);
	}
}
END_TEST

Suite *load_suite(void)
{
	Suite *s = suite_create("load");
	TCase *tc = harness_tcase(s, "load");

	tcase_add_test(tc, parallel_clients);
	tcase_add_test(tc, one_mib_arguments);
	tcase_add_test(tc, one_mib_results);
	tcase_add_test(tc, one_mib_echo_in_one_buffer);
	tcase_add_test(tc, data_around_the_slot_size);
	return s;
}
