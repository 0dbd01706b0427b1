/*
 * check_calls.c: unit tests of the file plane's call path (fs/calls.c).
 *
 * Requests are fake: each records how calls.c answered it, and answering
 * one twice fails the test, so every path is checked for "exactly once".
 */
#include <check.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include "charge.h"
#include "calls.h"

struct fake_req {
	int answers;            /* must end up 1 */
	int err;                /* 0 for data */
	enum held_kind kind;
	GByteArray *data;
};

struct fake_poll {
	int woken, dropped;
};

static void fake_data(void *req, enum held_kind kind, const void *buf,
		      size_t len)
{
	struct fake_req *r = req;
	ck_assert_int_eq(r->answers, 0);
	r->answers++;
	r->kind = kind;
	g_byte_array_append(r->data, buf, len);
}

static void fake_error(void *req, int err)
{
	struct fake_req *r = req;
	ck_assert_int_eq(r->answers, 0);
	r->answers++;
	r->err = err;
}

static void fake_poll_wake(void *ph)
{
	((struct fake_poll *)ph)->woken++;
}

static void fake_poll_drop(void *ph)
{
	((struct fake_poll *)ph)->dropped++;
}

static const struct door_replies fake_replies = {
	fake_data, fake_error, fake_poll_wake, fake_poll_drop,
};

static const struct door_caller someone = { 4242, 1000, 100 };

static struct fake_req *req_new(void)
{
	struct fake_req *r = g_new0(struct fake_req, 1);
	r->data = g_byte_array_new();
	return r;
}

static void req_free(struct fake_req *r)
{
	g_byte_array_unref(r->data);
	g_free(r);
}

static void assert_data(const struct fake_req *r, const char *want)
{
	ck_assert_int_eq(r->answers, 1);
	ck_assert_int_eq(r->err, 0);
	ck_assert_uint_eq(r->data->len, strlen(want));
	ck_assert(r->data->len == 0 ||
		  memcmp(r->data->data, want, r->data->len) == 0);
}

static void assert_error(const struct fake_req *r, int err)
{
	ck_assert_int_eq(r->answers, 1);
	ck_assert_int_eq(r->err, err);
}

/* A door with one server end and one client end, as after create+open. */
struct fixture {
	struct door *door;
	struct door_end *server, *client;
};

static struct fixture fixture_new(void)
{
	struct fixture f;
	door_set_replies(&fake_replies);
	door_set_write_piece_max(1u << 20);
	f.door = door_new(100, 1000, 100);
	f.server = door_end_new(f.door, 1000, true);
	f.client = door_end_new(f.door, 1000, false);
	return f;
}

static void fixture_free(struct fixture *f)
{
	if (f->client)
		door_end_release(f->client);
	if (f->server)
		door_end_release(f->server);
	door_put(f->door);
	/* Every path gives back every byte it charged. */
	ck_assert_uint_eq(charge_held(1000), 0);
}

static ssize_t write_str(struct door_end *end, const char *s)
{
	return door_end_write(end, s, strlen(s));
}

/* The client writes args and reads; returns the held client read. */
static struct fake_req *client_call(struct fixture *f, const char *args,
				    size_t size)
{
	struct fake_req *r = req_new();
	if (*args)
		ck_assert_int_eq(write_str(f->client, args), (ssize_t)strlen(args));
	ck_assert(door_end_read(f->client, r, size, false, &someone));
	ck_assert_int_eq(r->answers, 0);
	return r;
}

START_TEST(call_to_waiting_server)
{
	struct fixture f = fixture_new();
	struct fake_req *sread = req_new();
	ck_assert(door_end_read(f.server, sread, 4096, false, NULL));

	struct fake_req *cread = client_call(&f, "hello", 4096);
	assert_data(sread, "hello");
	ck_assert_int_eq(sread->kind, HELD_SERVER_READ);

	ck_assert_int_eq(write_str(f.server, "HELLO"), 5);
	assert_data(cread, "HELLO");
	ck_assert_int_eq(cread->kind, HELD_CLIENT_READ);

	/* The result is then at its end: reads return 0 bytes. */
	struct fake_req *eof = req_new();
	ck_assert(!door_end_read(f.client, eof, 4096, false, &someone));
	assert_data(eof, "");

	struct doorfs_info info;
	door_info(f.door, 100, &info);
	ck_assert_uint_eq(info.calls, 1);
	req_free(sread), req_free(cread), req_free(eof);
	fixture_free(&f);
}
END_TEST

START_TEST(call_waits_for_server)
{
	struct fixture f = fixture_new();
	struct fake_req *cread = client_call(&f, "queued", 4096);

	struct fake_req *sread = req_new();
	ck_assert(!door_end_read(f.server, sread, 4096, false, NULL));
	assert_data(sread, "queued");

	ck_assert_int_eq(write_str(f.server, "done"), 4);
	assert_data(cread, "done");
	req_free(sread), req_free(cread);
	fixture_free(&f);
}
END_TEST

START_TEST(read_without_write_is_empty_call)
{
	struct fixture f = fixture_new();
	struct fake_req *cread = client_call(&f, "", 4096);
	struct fake_req *sread = req_new();
	ck_assert(!door_end_read(f.server, sread, 4096, false, NULL));
	assert_data(sread, "");
	write_str(f.server, "now");
	assert_data(cread, "now");
	req_free(sread), req_free(cread);
	fixture_free(&f);
}
END_TEST

START_TEST(pieces_of_args_and_result)
{
	struct fixture f = fixture_new();
	struct fake_req *cread = client_call(&f, "abcdefgh", 3);

	const char *want[] = { "abc", "def", "gh", "" };
	for (int i = 0; i < 4; i++) {
		struct fake_req *sread = req_new();
		ck_assert(!door_end_read(f.server, sread, 3, false, NULL));
		assert_data(sread, want[i]);
		req_free(sread);
	}
	write_str(f.server, "12345");
	assert_data(cread, "123");     /* the client read asked for 3 */

	struct fake_req *rest = req_new(), *end = req_new();
	door_end_read(f.client, rest, 100, false, &someone);
	door_end_read(f.client, end, 100, false, &someone);
	assert_data(rest, "45");
	assert_data(end, "");
	req_free(cread), req_free(rest), req_free(end);
	fixture_free(&f);
}
END_TEST

START_TEST(next_write_starts_new_call)
{
	struct fixture f = fixture_new();
	for (int round = 0; round < 3; round++) {
		char args[16], result[16];
		snprintf(args, sizeof(args), "call %d", round);
		snprintf(result, sizeof(result), "result %d", round);
		/* the unread rest of the previous result is discarded */
		struct fake_req *cread = client_call(&f, args, 2);
		struct fake_req *sread = req_new();
		door_end_read(f.server, sread, 100, false, NULL);
		assert_data(sread, args);
		write_str(f.server, result);
		ck_assert_uint_eq(cread->data->len, 2);
		req_free(cread), req_free(sread);
	}
	fixture_free(&f);
}
END_TEST

START_TEST(whole_piece_waits_for_end)
{
	struct fixture f = fixture_new();
	door_set_write_piece_max(8192);  /* pieces of >= 4097 bytes may go on */
	struct fake_req *cread = client_call(&f, "x", 65536);
	struct fake_req *sread = req_new();
	door_end_read(f.server, sread, 100, false, NULL);

	char big[8192];
	memset(big, 'b', sizeof(big));
	ck_assert_int_eq(door_end_write(f.server, big, sizeof(big)), 8192);
	ck_assert_int_eq(cread->answers, 0);
	ck_assert_int_eq(door_end_write(f.server, big, 100), 100);
	ck_assert_int_eq(cread->answers, 1);
	ck_assert_uint_eq(cread->data->len, 8292);
	req_free(cread), req_free(sread);

	/* a whole last piece: completed by the server's next read */
	cread = client_call(&f, "y", 65536);
	sread = req_new();
	door_end_read(f.server, sread, 100, false, NULL);
	door_end_write(f.server, big, sizeof(big));
	ck_assert_int_eq(cread->answers, 0);
	struct fake_req *next = req_new();
	ck_assert(door_end_read(f.server, next, 100, false, NULL));
	ck_assert_uint_eq(cread->data->len, 8192);
	req_free(cread), req_free(sread);

	/* ... or by DOORFS_IOC_RETURN */
	cread = client_call(&f, "z", 65536);
	assert_data(next, "z");
	door_end_write(f.server, big, sizeof(big));
	ck_assert_int_eq(door_end_return(f.server), 0);
	ck_assert_uint_eq(cread->data->len, 8192);
	req_free(cread), req_free(next);
	fixture_free(&f);
}
END_TEST

START_TEST(held_results_span_writes)
{
	struct fixture f = fixture_new();
	ck_assert_int_eq(door_end_hold_results(f.client), -EINVAL);
	ck_assert_int_eq(door_end_hold_results(f.server), 0);
	struct fake_req *cread = client_call(&f, "q", 100);
	struct fake_req *sread = req_new();
	door_end_read(f.server, sread, 100, false, NULL);
	write_str(f.server, "hello, ");
	write_str(f.server, "world");
	ck_assert_int_eq(cread->answers, 0);
	ck_assert_int_eq(door_end_return(f.server), 0);
	assert_data(cread, "hello, world");
	req_free(cread), req_free(sread);
	fixture_free(&f);
}
END_TEST

START_TEST(empty_result_by_return)
{
	struct fixture f = fixture_new();
	ck_assert_int_eq(door_end_return(f.server), -EINVAL);
	ck_assert_int_eq(write_str(f.server, "nobody asked"), -EINVAL);

	struct fake_req *cread = client_call(&f, "q", 100);
	struct fake_req *sread = req_new();
	door_end_read(f.server, sread, 100, false, NULL);
	ck_assert_int_eq(door_end_return(f.server), 0);
	assert_data(cread, "");
	req_free(cread), req_free(sread);
	fixture_free(&f);
}
END_TEST

START_TEST(client_busy_during_call)
{
	struct fixture f = fixture_new();
	struct fake_req *cread = client_call(&f, "a", 100);
	struct fake_req *again = req_new();
	ck_assert(!door_end_read(f.client, again, 100, false, &someone));
	assert_error(again, EBUSY);
	ck_assert_int_eq(write_str(f.client, "b"), -EBUSY);
	struct fake_req *ioc = req_new();
	ck_assert(!door_end_call(f.client, ioc, "c", 1, &someone));
	assert_error(ioc, EBUSY);

	door_end_interrupt(f.client, cread);
	assert_error(cread, EINTR);
	req_free(cread), req_free(again), req_free(ioc);
	fixture_free(&f);
}
END_TEST

START_TEST(interrupt_before_server_takes)
{
	struct fixture f = fixture_new();
	struct fake_req *cread = client_call(&f, "gone", 100);
	door_end_interrupt(f.client, cread);
	assert_error(cread, EINTR);

	/* A read retried after EINTR must not make a new, empty call. */
	struct fake_req *retry = req_new();
	ck_assert(!door_end_read(f.client, retry, 100, false, &someone));
	assert_error(retry, ECANCELED);
	req_free(retry);

	/* The abandoned call left the queue: the server waits. */
	struct fake_req *sread = req_new();
	ck_assert(door_end_read(f.server, sread, 100, false, NULL));
	door_end_interrupt(f.server, sread);
	assert_error(sread, EINTR);

	/* An interrupt for a request no longer held is ignored. */
	door_end_interrupt(f.server, sread);
	door_end_interrupt(f.client, cread);
	ck_assert_int_eq(sread->answers, 1);
	req_free(cread), req_free(sread);
	fixture_free(&f);
}
END_TEST

START_TEST(interrupt_after_server_takes)
{
	struct fixture f = fixture_new();
	struct fake_req *cread = client_call(&f, "slow", 100);
	struct fake_req *sread = req_new();
	door_end_read(f.server, sread, 100, false, NULL);
	door_end_interrupt(f.client, cread);
	assert_error(cread, EINTR);

	/* The server's reply is accepted and dropped, like door_return. */
	ck_assert_int_eq(write_str(f.server, "late"), 4);
	ck_assert_int_eq(cread->answers, 1);

	/* The client end is usable again. */
	struct fake_req *c2 = client_call(&f, "next", 100);
	struct fake_req *s2 = req_new();
	door_end_read(f.server, s2, 100, false, NULL);
	assert_data(s2, "next");
	write_str(f.server, "ok");
	assert_data(c2, "ok");
	req_free(cread), req_free(sread), req_free(c2), req_free(s2);
	fixture_free(&f);
}
END_TEST

START_TEST(client_closes_mid_call)
{
	struct fixture f = fixture_new();
	struct fake_req *cread = client_call(&f, "bye", 100);
	struct fake_req *sread = req_new();
	door_end_read(f.server, sread, 100, false, NULL);
	door_end_interrupt(f.client, cread);
	door_end_release(f.client);
	f.client = NULL;
	ck_assert_int_eq(write_str(f.server, "unheard"), 7);
	req_free(cread), req_free(sread);
	fixture_free(&f);
}
END_TEST

START_TEST(server_close_revokes)
{
	struct fixture f = fixture_new();
	struct door_end *c2 = door_end_new(f.door, 1000, false);
	struct fake_req *taken = client_call(&f, "taken", 100);
	struct fake_req *sread = req_new();
	door_end_read(f.server, sread, 100, false, NULL);

	struct fake_req *waiting = req_new();
	ck_assert(door_end_read(c2, waiting, 100, false, &someone));

	door_end_release(f.server);
	f.server = NULL;
	assert_error(taken, ECONNRESET);        /* in the middle of a call */
	assert_error(waiting, EBADF);           /* waiting for a server */
	ck_assert(door_is_revoked(f.door));

	ck_assert_int_eq(write_str(f.client, "later"), -EBADF);
	/* A retried read hears the failure again before anything else. */
	struct fake_req *again = req_new(), *later = req_new();
	ck_assert(!door_end_read(f.client, again, 100, false, &someone));
	assert_error(again, ECONNRESET);
	ck_assert(!door_end_read(f.client, later, 100, false, &someone));
	assert_error(later, EBADF);
	req_free(again);

	struct doorfs_info info;
	door_info(f.door, 100, &info);
	ck_assert_int_eq(info.target, -1);
	ck_assert(info.attributes & DOORFS_ATTR_REVOKED);
	ck_assert(!(info.attributes & DOORFS_ATTR_LOCAL));
	door_end_release(c2);
	req_free(taken), req_free(sread), req_free(waiting), req_free(later);
	fixture_free(&f);
}
END_TEST

START_TEST(server_close_delivers_partial_result)
{
	struct fixture f = fixture_new();
	door_set_write_piece_max(8192);
	struct fake_req *cread = client_call(&f, "x", 65536);
	struct fake_req *sread = req_new();
	door_end_read(f.server, sread, 100, false, NULL);
	char big[8192];
	memset(big, 'p', sizeof(big));
	door_end_write(f.server, big, sizeof(big));
	door_end_release(f.server);
	f.server = NULL;
	ck_assert_int_eq(cread->answers, 1);
	ck_assert_uint_eq(cread->data->len, 8192);
	req_free(cread), req_free(sread);
	fixture_free(&f);
}
END_TEST

START_TEST(ioctl_call)
{
	struct fixture f = fixture_new();
	write_str(f.client, "forgotten");
	struct fake_req *ioc = req_new();
	ck_assert(door_end_call(f.client, ioc, "ping", 4, &someone));
	struct fake_req *sread = req_new();
	door_end_read(f.server, sread, 100, false, NULL);
	assert_data(sread, "ping");     /* not the half-written args */

	struct doorfs_caller who;
	ck_assert_int_eq(door_end_caller(f.server, &who), 0);
	ck_assert_int_eq(who.pid, someone.tid);
	ck_assert_uint_eq(who.uid, someone.uid);
	ck_assert_uint_eq(who.gid, someone.gid);
	ck_assert_uint_eq(who.arg_size, 4);

	write_str(f.server, "pong");
	assert_data(ioc, "pong");
	ck_assert_int_eq(ioc->kind, HELD_CLIENT_IOCTL);
	ck_assert_int_eq(door_end_caller(f.server, &who), -EINVAL);

	struct fake_req *on_server = req_new();
	ck_assert(!door_end_call(f.server, on_server, "x", 1, &someone));
	assert_error(on_server, EINVAL);
	req_free(ioc), req_free(sread), req_free(on_server);
	fixture_free(&f);
}
END_TEST

START_TEST(data_limits)
{
	struct fixture f = fixture_new();
	size_t half = DOORFS_DATA_MAX / 2 + 1;
	char *big = g_malloc0(half);
	ck_assert_int_eq(door_end_write(f.client, big, half), (ssize_t)half);
	ck_assert_int_eq(door_end_write(f.client, big, half), -E2BIG);
	/* No call from a truncated tail: writes keep failing ... */
	ck_assert_int_eq(write_str(f.client, "tail"), -E2BIG);
	/* ... until a read has reported it; then the descriptor is fresh. */
	struct fake_req *told = req_new();
	ck_assert(!door_end_read(f.client, told, 100, false, &someone));
	assert_error(told, E2BIG);
	req_free(told);
	struct fake_req *cread = client_call(&f, "small", 100);
	struct fake_req *sread = req_new();
	door_end_read(f.server, sread, 100, false, NULL);
	assert_data(sread, "small");

	door_set_write_piece_max(half);         /* keep the result open */
	ck_assert_int_eq(door_end_write(f.server, big, half), (ssize_t)half);
	ck_assert_int_eq(door_end_write(f.server, big, half), -E2BIG);
	/* As door_return on illumos: the caller still waits for an answer. */
	ck_assert_int_eq(cread->answers, 0);
	ck_assert_int_eq(door_end_return(f.server), 0);
	ck_assert_int_eq(cread->answers, 1);
	ck_assert_uint_eq(cread->data->len, MIN(half, 100));
	g_free(big);
	req_free(cread), req_free(sread);
	fixture_free(&f);
}
END_TEST

START_TEST(per_user_limit)
{
	struct fixture f = fixture_new();
	charge_set_limit(1000);
	char bytes[600] = { 0 };
	struct door_end *other = door_end_new(f.door, 1000, false);
	struct door_end *stranger = door_end_new(f.door, 2000, false);
	ck_assert_int_eq(door_end_write(f.client, bytes, 600), 600);
	ck_assert_int_eq(door_end_write(other, bytes, 600), -ENOBUFS);
	ck_assert_int_eq(door_end_write(stranger, bytes, 600), 600);

	/* The bytes stay charged while they wait in a call... */
	struct fake_req *cread = req_new();
	door_end_read(f.client, cread, 100, false, &someone);
	ck_assert_uint_eq(charge_held(1000), 600);
	ck_assert_int_eq(door_end_write(other, bytes, 600), -ENOBUFS);
	door_end_interrupt(f.client, cread);
	/* ... and come back when the call goes. */
	ck_assert_uint_eq(charge_held(1000), 0);
	struct fake_req *told = req_new();
	door_end_read(other, told, 100, false, &someone);
	assert_error(told, ENOBUFS);
	ck_assert_int_eq(door_end_write(other, bytes, 600), 600);
	req_free(told);

	door_end_release(other);
	door_end_release(stranger);
	ck_assert_uint_eq(charge_held(2000), 0);
	charge_set_limit(CHARGE_LIMIT_DEFAULT);
	req_free(cread);
	fixture_free(&f);
}
END_TEST

START_TEST(serve_with_token)
{
	struct fixture f = fixture_new();
	uint64_t token;
	ck_assert_int_eq(door_end_token(f.client, &token), -EPERM);
	ck_assert_int_eq(door_end_token(f.server, &token), 0);
	ck_assert_int_eq(door_end_serve(f.client, token + 1), -EPERM);

	struct door_end *second = door_end_new(f.door, 1000, false);
	ck_assert_int_eq(door_end_serve(second, token), 0);
	ck_assert(door_end_is_server(second));
	ck_assert_int_eq(door_end_serve(second, token), -EINVAL);

	/* Two calls in progress at once, one per server end. */
	struct door_end *c2 = door_end_new(f.door, 1000, false);
	struct fake_req *s1 = req_new(), *s2 = req_new();
	ck_assert(door_end_read(f.server, s1, 100, false, NULL));
	ck_assert(door_end_read(second, s2, 100, false, NULL));
	struct fake_req *r1 = client_call(&f, "one", 100);
	struct fake_req *r2 = req_new();
	write_str(c2, "two");
	door_end_read(c2, r2, 100, false, &someone);
	assert_data(s1, "one");
	assert_data(s2, "two");
	write_str(second, "2");
	write_str(f.server, "1");
	assert_data(r1, "1");
	assert_data(r2, "2");

	/* The door lives while any server end does. */
	door_end_release(f.server);
	f.server = NULL;
	ck_assert(!door_is_revoked(f.door));
	struct doorfs_info info;
	door_info(f.door, 1, &info);
	ck_assert_uint_eq(info.server_ends, 1);
	door_end_release(second);
	ck_assert(door_is_revoked(f.door));
	ck_assert_int_eq(door_end_serve(c2, token), -EBADF);
	door_end_release(c2);
	req_free(s1), req_free(s2), req_free(r1), req_free(r2);
	fixture_free(&f);
}
END_TEST

START_TEST(poll_server_end)
{
	struct fixture f = fixture_new();
	struct fake_poll ph = { 0, 0 };
	unsigned ev = door_end_poll(f.server, &ph);
	ck_assert(!(ev & POLLIN));
	ck_assert(ev & POLLOUT);

	struct fake_req *cread = client_call(&f, "poke", 100);
	ck_assert_int_eq(ph.woken, 1);
	ck_assert(door_end_poll(f.server, NULL) & POLLIN);

	struct fake_req *sread = req_new();
	door_end_read(f.server, sread, 100, false, NULL);
	write_str(f.server, "ok");
	ck_assert(!(door_end_poll(f.server, NULL) & POLLIN));

	struct fake_poll ph2 = { 0, 0 };
	door_end_poll(f.server, &ph2);
	struct fake_poll ph3 = { 0, 0 };
	door_end_poll(f.server, &ph3);  /* replaces ph2 */
	ck_assert_int_eq(ph2.dropped, 1);

	ck_assert(door_end_poll(f.client, NULL) & POLLIN);

	/* Revocation wakes pollers with POLLHUP. */
	door_revoke(f.door);
	ck_assert_int_eq(ph3.woken, 1);
	ck_assert(door_end_poll(f.server, NULL) & POLLHUP);
	req_free(cread), req_free(sread);
	fixture_free(&f);
}
END_TEST

START_TEST(info_fields)
{
	struct fixture f = fixture_new();
	struct doorfs_info info;
	door_info(f.door, 100, &info);
	ck_assert_uint_eq(info.version, DOORFS_VERSION);
	ck_assert_int_eq(info.target, 100);
	ck_assert_uint_eq(info.attributes, DOORFS_ATTR_LOCAL);
	ck_assert_uint_eq(info.uid, 1000);
	ck_assert_uint_eq(info.gid, 100);
	ck_assert_uint_eq(info.server_ends, 1);
	door_info(f.door, 101, &info);
	ck_assert_uint_eq(info.attributes, 0);

	struct door *other = door_new(100, 0, 0);
	struct doorfs_info info2;
	door_info(other, 100, &info2);
	ck_assert(info2.id != info.id && info2.id != 0 && info.id != 0);
	door_put(other);
	fixture_free(&f);
}
END_TEST

START_TEST(libdoor_setup_and_revoke)
{
	struct fixture f = fixture_new();
	struct doorfs_setup setup = {
		.version = DOORFS_VERSION,
		.attributes = DOORFS_ATTR_UNREF | DOORFS_ATTR_PRIVATE,
		.proc = 0x1234, .data = 0x5678, .rendezvous = "doorfs/test",
		.params = { .data_min = 1, .data_max = 100, .desc_max = 0 },
	};
	struct doorfs_params params;
	door_params(f.door, &params);
	ck_assert_uint_eq(params.data_max, UINT64_MAX);  /* the defaults */
	ck_assert_uint_eq(params.desc_max, INT32_MAX);
	ck_assert(!door_is_libdoor(f.door));
	ck_assert_int_eq(door_end_setup(f.client, &setup), -EPERM);
	ck_assert_int_eq(door_end_setup(f.server, &setup), 0);
	ck_assert(door_is_libdoor(f.door));
	door_params(f.door, &params);
	ck_assert_uint_eq(params.data_min, 1);
	ck_assert_uint_eq(params.data_max, 100);

	struct doorfs_info info;
	door_info(f.door, 100, &info);
	ck_assert_uint_eq(info.proc, 0x1234);
	ck_assert_uint_eq(info.data, 0x5678);
	/* The client end is the only reference left: libdoor's is none. */
	ck_assert_uint_eq(info.attributes, DOORFS_ATTR_UNREF |
			  DOORFS_ATTR_PRIVATE | DOORFS_ATTR_LOCAL |
			  DOORFS_ATTR_IS_UNREF);

	struct doorfs_rendezvous where;
	ck_assert_int_eq(door_rendezvous(f.door, &where), 0);
	ck_assert_str_eq(where.name, "doorfs/test");
	ck_assert_int_eq(where.pid, 100);
	ck_assert_uint_eq(where.id, info.id);

	struct doorfs_setup bad = setup;
	bad.attributes = 0x400;         /* DOOR_DEPLETION_CB: never a flag */
	ck_assert_int_eq(door_end_setup(f.server, &bad), -EINVAL);
	bad = setup;
	memset(bad.rendezvous, 'x', sizeof(bad.rendezvous));
	ck_assert_int_eq(door_end_setup(f.server, &bad), -EINVAL);

	/* A nonblocking server read with nothing to take: EAGAIN. */
	struct fake_req *nb = req_new();
	ck_assert(!door_end_read(f.server, nb, 100, true, NULL));
	assert_error(nb, EAGAIN);

	ck_assert_int_eq(door_end_revoke(f.client), -EPERM);
	ck_assert_int_eq(door_end_revoke(f.server), 0);
	ck_assert(door_is_revoked(f.door));
	ck_assert_int_eq(door_rendezvous(f.door, &where), -EBADF);
	req_free(nb);
	fixture_free(&f);
}
END_TEST

/*
 * A libdoor door as door_create leaves it: the program's server end
 * (a reference) and libdoor's own (none), which takes the notices.
 */
struct unref_fixture {
	struct door *door;
	struct door_end *user, *own;
};

static struct unref_fixture unref_fixture_new(uint32_t attributes)
{
	struct unref_fixture u;
	door_set_replies(&fake_replies);
	door_set_write_piece_max(1u << 20);
	u.door = door_new(100, 1000, 100);
	u.user = door_end_new(u.door, 1000, true);
	u.own = door_end_new(u.door, 1000, false);
	uint64_t token;
	door_end_token(u.user, &token);
	ck_assert_int_eq(door_end_serve(u.own, token), 0);
	struct doorfs_setup setup = {
		.version = DOORFS_VERSION, .attributes = attributes,
		.rendezvous = "doorfs/unref",
	};
	ck_assert_int_eq(door_end_setup(u.own, &setup), 0);
	return u;
}

static void unref_fixture_free(struct unref_fixture *u)
{
	door_end_release(u->own);
	door_end_release(u->user);
	door_put(u->door);
}

/* Whether the server end takes an unreferenced notice now. */
static bool takes_notice(struct door_end *own)
{
	struct fake_req *r = req_new();
	bool held = door_end_read(own, r, 100, true, NULL);
	ck_assert(!held);
	bool notice = r->err == 0;
	if (notice) {
		struct doorfs_caller who;
		ck_assert_int_eq(door_end_caller(own, &who), 0);
		ck_assert_uint_eq(who.flags, DOORFS_CALLER_UNREF);
		ck_assert_int_eq(who.pid, 0);
		ck_assert_uint_eq(who.arg_size, 0);
		ck_assert_int_eq(door_end_return(own), 0);
	} else {
		ck_assert_int_eq(r->err, EAGAIN);
	}
	req_free(r);
	return notice;
}

START_TEST(unref_once)
{
	struct unref_fixture u = unref_fixture_new(DOORFS_ATTR_UNREF);
	ck_assert(!takes_notice(u.own));        /* never reached two */
	struct door_end *c = door_end_new(u.door, 2000, false);
	ck_assert(!takes_notice(u.own));
	door_end_release(c);                    /* two -> one */
	ck_assert(takes_notice(u.own));
	ck_assert(!takes_notice(u.own));

	/* DOOR_UNREF fires once, and then no longer shows. */
	struct doorfs_info info;
	door_info(u.door, 100, &info);
	ck_assert(!(info.attributes & DOORFS_ATTR_UNREF));
	c = door_end_new(u.door, 2000, false);
	door_end_release(c);
	ck_assert(!takes_notice(u.own));
	unref_fixture_free(&u);
}
END_TEST

START_TEST(unref_multi_and_names)
{
	struct unref_fixture u = unref_fixture_new(DOORFS_ATTR_UNREF_MULTI);
	for (int round = 0; round < 3; round++) {
		struct door_end *c = door_end_new(u.door, 2000, false);
		door_end_release(c);
		ck_assert(takes_notice(u.own));
	}
	/* An fattach name is a reference too. */
	door_hold(u.door);
	ck_assert(!takes_notice(u.own));
	door_unhold(u.door);
	ck_assert(takes_notice(u.own));
	unref_fixture_free(&u);
}
END_TEST

START_TEST(unref_waits_for_calls)
{
	struct unref_fixture u = unref_fixture_new(DOORFS_ATTR_UNREF);
	struct door_end *c = door_end_new(u.door, 2000, false);
	struct door_end *c2 = door_end_new(u.door, 2000, false);

	/* c calls; the server takes it; then the references drop to one. */
	write_str(c, "slow");
	struct fake_req *cread = req_new(), *sread = req_new();
	ck_assert(door_end_read(c, cread, 100, false, &someone));
	ck_assert(!door_end_read(u.own, sread, 100, true, NULL));
	assert_data(sread, "slow");
	door_end_release(c2);
	door_end_interrupt(c, cread);
	door_end_release(c);                    /* now one: but a call runs */
	struct doorfs_info info;
	door_info(u.door, 100, &info);
	ck_assert(info.attributes & DOORFS_ATTR_IS_UNREF);

	ck_assert_int_eq(write_str(u.own, "done"), 4);  /* the call ends */
	ck_assert(takes_notice(u.own));
	req_free(cread), req_free(sread);
	unref_fixture_free(&u);
}
END_TEST

START_TEST(no_unref_after_revoke)
{
	struct unref_fixture u = unref_fixture_new(DOORFS_ATTR_UNREF_MULTI);
	struct door_end *c = door_end_new(u.door, 2000, false);
	ck_assert_int_eq(door_end_revoke(u.own), 0);
	door_end_release(c);
	struct fake_req *r = req_new();
	door_end_read(u.own, r, 100, true, NULL);
	assert_error(r, EBADF);
	req_free(r);
	unref_fixture_free(&u);
}
END_TEST

/* --- forwarding (calls.h): a fake forwarder that records what it got --- */

struct fake_fwd {
	struct door *door;
	int attached, detached;
	bool take;                      /* post takes the call */
	void *call;                     /* the last call taken */
	struct forward_call fc;
	char args[64];
};

static struct fake_fwd ff;

static void *fake_attach(struct door *door, uint64_t id, const char *where,
			 uint64_t key)
{
	(void)id;
	ck_assert_str_eq(where, "doorfs/test");
	ck_assert_uint_ne(key, 0);
	ff.door = door;
	ff.attached++;
	return &ff;
}

static bool fake_post(void *fwd, void *call, const struct forward_call *fc)
{
	ck_assert_ptr_eq(fwd, &ff);
	if (!ff.take)
		return false;
	ck_assert_ptr_null(ff.call);
	ck_assert_uint_lt(fc->len, sizeof(ff.args));
	ff.call = call;
	ff.fc = *fc;
	memcpy(ff.args, fc->args, fc->len);
	ff.args[fc->len] = '\0';
	return true;
}

static void fake_detach(void *fwd, bool fail)
{
	ck_assert_ptr_eq(fwd, &ff);
	ff.detached++;
	if (fail && ff.call) {
		void *call = ff.call;
		ff.call = NULL;
		door_forward_done(call, ECONNRESET, NULL, 0);
	}
}

static const struct door_forwarding fake_forwarding = {
	fake_attach, fake_post, fake_detach,
};

/* The fixture's door described by libdoor, with the fake forwarder. */
static struct fixture forward_fixture(void)
{
	struct doorfs_setup setup = {
		.version = DOORFS_VERSION, .rendezvous = "doorfs/test",
	};
	memset(&ff, 0, sizeof(ff));
	ff.take = true;
	door_set_forwarding(&fake_forwarding);
	struct fixture f = fixture_new();
	ck_assert_int_eq(door_end_setup(f.server, &setup), 0);
	ck_assert_int_eq(ff.attached, 1);
	/* Described again (door_setparam): the same forwarder. */
	ck_assert_int_eq(door_end_setup(f.server, &setup), 0);
	ck_assert_int_eq(ff.attached, 1);
	return f;
}

/* ff.call's answer, as the forwarder would give it. */
static void fake_done(int err, const char *result)
{
	void *call = ff.call;
	ff.call = NULL;
	door_forward_done(call, err, result, result ? strlen(result) : 0);
}

START_TEST(forward_key_for_the_describing_end)
{
	struct fixture f = fixture_new();
	uint64_t key = 0;
	ck_assert_int_eq(door_end_forward_key(f.server, &key), -EPERM);
	ck_assert_int_eq(door_end_forward_key(f.client, &key), -EPERM);
	fixture_free(&f);

	f = forward_fixture();
	ck_assert_int_eq(door_end_forward_key(f.server, &key), 0);
	ck_assert_uint_ne(key, 0);
	ck_assert_int_eq(door_end_forward_key(f.client, &key), -EPERM);
	fixture_free(&f);
	ck_assert_int_eq(ff.detached, 1);
	door_set_forwarding(NULL);
}
END_TEST

START_TEST(forwarded_call)
{
	struct fixture f = forward_fixture();
	struct fake_req *cread = client_call(&f, "hello", 4096);
	ck_assert_str_eq(ff.args, "hello");
	ck_assert_int_eq(ff.fc.tid, someone.tid);
	ck_assert_int_eq(ff.fc.uid, someone.uid);
	ck_assert_int_eq(ff.fc.gid, someone.gid);
	ck_assert_uint_eq(ff.fc.result_max, DOORFS_DATA_MAX);
	/* The arguments are the server's now: nothing charged for them. */
	ck_assert_uint_eq(charge_held(1000), 0);

	/* A server end reading sees no call: the forwarder has it. */
	struct fake_req *sread = req_new();
	ck_assert(door_end_read(f.server, sread, 4096, false, NULL));
	fake_done(0, "HELLO");
	assert_data(cread, "HELLO");
	struct doorfs_info info;
	door_info(f.door, 100, &info);
	ck_assert_uint_eq(info.calls, 1);

	/* The ioctl: a result too big for it stays for read(). */
	char big[DOORFS_CALL_INLINE_MAX + 2];
	memset(big, 'r', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	struct fake_req *ioc = req_new();
	ck_assert(door_end_call(f.client, ioc, "x", 1, &someone));
	ck_assert_str_eq(ff.args, "x");
	fake_done(0, big);
	assert_error(ioc, E2BIG);
	struct fake_req *rest = req_new();
	ck_assert(!door_end_read(f.client, rest, sizeof(big), false, &someone));
	assert_data(rest, big);

	/* A procedure that returned without door_return: empty result. */
	struct fake_req *empty = client_call(&f, "y", 4096);
	fake_done(EINTR, NULL);
	assert_data(empty, "");
	req_free(cread), req_free(ioc), req_free(rest), req_free(empty);
	fixture_free(&f);
	assert_error(sread, EBADF);     /* revoked when the end closed */
	req_free(sread);
	door_set_forwarding(NULL);
}
END_TEST

START_TEST(forwarded_call_interrupted)
{
	struct fixture f = forward_fixture();
	struct fake_req *cread = client_call(&f, "hello", 4096);
	door_end_interrupt(f.client, cread);
	assert_error(cread, EINTR);
	/* The server's answer comes later, and goes nowhere. */
	fake_done(0, "late");
	struct fake_req *again = req_new();
	ck_assert(!door_end_read(f.client, again, 4096, false, &someone));
	assert_error(again, ECANCELED);
	/* A failure the server reports is the caller's. */
	struct fake_req *next = client_call(&f, "z", 4096);
	fake_done(EBADF, NULL);
	assert_error(next, EBADF);
	req_free(cread), req_free(again), req_free(next);
	fixture_free(&f);
	door_set_forwarding(NULL);
}
END_TEST

START_TEST(forwarder_busy_then_ready)
{
	struct fixture f = forward_fixture();
	/* Not taken: the call waits for a server end, as without one. */
	ff.take = false;
	struct fake_req *first = client_call(&f, "one", 4096);
	ck_assert_ptr_null(ff.call);
	/* The forwarder frees up: it takes the waiting call. */
	ff.take = true;
	door_forward_ready(f.door);
	ck_assert_str_eq(ff.args, "one");
	struct fake_req *sread = req_new();
	ck_assert(door_end_read(f.server, sread, 4096, false, NULL));
	fake_done(0, "ONE");
	assert_data(first, "ONE");
	req_free(first);
	fixture_free(&f);
	req_free(sread);
	door_set_forwarding(NULL);
}
END_TEST

START_TEST(forwarded_call_server_gone)
{
	struct fixture f = forward_fixture();
	struct fake_req *cread = client_call(&f, "hello", 4096);
	/* The last server end closes: the server is gone mid-call. */
	door_end_release(f.server);
	f.server = NULL;
	assert_error(cread, ECONNRESET);
	ck_assert_int_eq(ff.detached, 1);
	ck_assert(door_is_revoked(f.door));
	req_free(cread);
	fixture_free(&f);
	door_set_forwarding(NULL);
}
END_TEST

START_TEST(forwarded_call_outlives_revoke)
{
	struct fixture f = forward_fixture();
	struct fake_req *cread = client_call(&f, "hello", 4096);
	/* door_revoke: no new calls, but the one being served finishes. */
	ck_assert_int_eq(door_end_revoke(f.server), 0);
	ck_assert_int_eq(ff.detached, 1);
	ck_assert_int_eq(cread->answers, 0);
	fake_done(0, "HELLO");
	assert_data(cread, "HELLO");
	req_free(cread);
	fixture_free(&f);
	door_set_forwarding(NULL);
}
END_TEST

static Suite *door_suite(void)
{
	Suite *s = suite_create("door");
	TCase *tc = tcase_create("call path");
	tcase_add_test(tc, call_to_waiting_server);
	tcase_add_test(tc, call_waits_for_server);
	tcase_add_test(tc, read_without_write_is_empty_call);
	tcase_add_test(tc, pieces_of_args_and_result);
	tcase_add_test(tc, next_write_starts_new_call);
	tcase_add_test(tc, whole_piece_waits_for_end);
	tcase_add_test(tc, empty_result_by_return);
	tcase_add_test(tc, held_results_span_writes);
	tcase_add_test(tc, client_busy_during_call);
	tcase_add_test(tc, ioctl_call);
	tcase_add_test(tc, data_limits);
	tcase_add_test(tc, per_user_limit);
	suite_add_tcase(s, tc);

	tc = tcase_create("failure");
	tcase_add_test(tc, interrupt_before_server_takes);
	tcase_add_test(tc, interrupt_after_server_takes);
	tcase_add_test(tc, client_closes_mid_call);
	tcase_add_test(tc, server_close_revokes);
	tcase_add_test(tc, server_close_delivers_partial_result);
	suite_add_tcase(s, tc);

	tc = tcase_create("server ends");
	tcase_add_test(tc, serve_with_token);
	tcase_add_test(tc, poll_server_end);
	tcase_add_test(tc, info_fields);
	tcase_add_test(tc, libdoor_setup_and_revoke);
	suite_add_tcase(s, tc);

	tc = tcase_create("forwarding");
	tcase_add_test(tc, forward_key_for_the_describing_end);
	tcase_add_test(tc, forwarded_call);
	tcase_add_test(tc, forwarded_call_interrupted);
	tcase_add_test(tc, forwarder_busy_then_ready);
	tcase_add_test(tc, forwarded_call_server_gone);
	tcase_add_test(tc, forwarded_call_outlives_revoke);
	suite_add_tcase(s, tc);

	tc = tcase_create("unreferenced");
	tcase_add_test(tc, unref_once);
	tcase_add_test(tc, unref_multi_and_names);
	tcase_add_test(tc, unref_waits_for_calls);
	tcase_add_test(tc, no_unref_after_revoke);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(door_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
