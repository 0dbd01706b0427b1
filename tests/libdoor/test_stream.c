/*
 * test_stream.c: data streamed through the slot (doorfs.h,
 * DOORFS_SLOT_STREAM; LIBDOOR.md "How a call works").
 *
 * A call or reply of more than one piece that fits the slot is published
 * before its data, which follows piece by piece while the other side
 * copies it out.  Sizes around the piece boundaries and the slot's limit
 * must arrive intact both ways.  A side that dies or stops in the middle
 * of its copy must not leave the other waiting: a client killed while
 * streaming its arguments, or stopped there, gives the server thread
 * back; a server killed while streaming its result fails the call with
 * EINTR.  To stop a copy at a known point, the copied buffer has a
 * PROT_NONE page range: the copying thread faults there, after the
 * first pieces went in, and its SIGSEGV handler dies or stops.
 */
#include "service.h"

#include <doorfs.h>

#include <sched.h>
#include <signal.h>
#include <sys/mman.h>
#include <time.h>

#define MIB (1024 * 1024)
#define PIECE (256u << 10)	/* libdoor's SLOT_PROGRESS_BYTES */

START_TEST(streamed_sizes_arrive_intact)
{
	struct svc_door sd;
	struct svc_server srv;
	struct svc_req req = svc_req(SVC_ECHO, 0, 0, 0);
	/* Whole argument sizes (the echo's result is as big). */
	const size_t sizes[] = {
		PIECE - 1, PIECE, PIECE + 1, 2 * PIECE, 2 * PIECE + 1,
		MIB, DOORFS_SLOT_DATA_MAX, DOORFS_SLOT_DATA_MAX + 1,
	};
	const size_t n = sizeof(sizes) / sizeof(sizes[0]);

	svc_init(&sd, 0);
	srv = svc_serve_in_child(&sd);
	for (size_t i = 0; i < 2 * n; i++) {
		size_t size = sizes[i % n];
		bool own_rbuf = i >= n;	/* else a fresh mapping */
		char *buf = malloc(size), *rbuf = own_rbuf ? malloc(size) : NULL;
		door_arg_t a = { buf, size, NULL, 0, rbuf, own_rbuf ? size : 0 };

		ck_assert_ptr_nonnull(buf);
		memcpy(buf, &req, sizeof(req));
		pattern_fill(buf + sizeof(req), size - sizeof(req), 50 + i);
		ck_assert_ok(door_call(srv.fd, &a));
		ck_assert_uint_eq(a.data_size, size);
		if (own_rbuf)
			ck_assert_ptr_eq(a.data_ptr, rbuf);
		ck_assert_mem_eq(a.data_ptr, &req, sizeof(req));
		ck_assert_msg(pattern_ok(a.data_ptr + sizeof(req),
					 size - sizeof(req), 50 + i),
			      "result of %zu bytes corrupted", size);
		if (own_rbuf)
			free(rbuf);
		else
			ck_assert_ok(munmap(a.rbuf, a.rsize));
		free(buf);
	}
	/*
	 * In one buffer, arguments and result both streamed.  The reply
	 * (verdict, then the payload) is laid out unlike the arguments, so
	 * a result never written into the buffer cannot pass for one.
	 */
	{
		size_t size = DOORFS_SLOT_DATA_MAX;
		size_t payload = size - sizeof(req);
		struct svc_req vreq = svc_req(SVC_VERIFY, payload, 70,
					      SVC_F_ECHO);
		struct svc_verdict v;
		char *buf = malloc(size);
		door_arg_t a = { buf, size, NULL, 0, buf, size };

		ck_assert_ptr_nonnull(buf);
		memcpy(buf, &vreq, sizeof(vreq));
		pattern_fill(buf + sizeof(vreq), payload, 70);
		ck_assert_ok(door_call(srv.fd, &a));
		ck_assert_ptr_eq(a.data_ptr, buf);
		ck_assert_uint_eq(a.data_size, sizeof(v) + payload);
		memcpy(&v, buf, sizeof(v));
		ck_assert_int_eq(v.ok, 1);
		ck_assert(pattern_ok(buf + sizeof(v), payload, 70));
		free(buf);
	}
}
END_TEST

/* Streamed arguments checked by the server, the result a verdict. */
START_TEST(streamed_arguments_verified)
{
	struct svc_door sd;
	struct svc_server srv;
	const size_t payloads[] = { PIECE, 2 * PIECE, 3 * PIECE + 7, MIB };

	svc_init(&sd, 0);
	srv = svc_serve_in_child(&sd);
	for (size_t i = 0; i < sizeof(payloads) / sizeof(payloads[0]); i++) {
		struct svc_req req = svc_req(SVC_VERIFY, payloads[i], 80 + i,
					     SVC_F_UCRED);
		struct svc_verdict v;
		size_t size = sizeof(req) + payloads[i];
		char *args = malloc(size), rbuf[sizeof(v)];
		door_arg_t a = { args, size, NULL, 0, rbuf, sizeof(rbuf) };

		ck_assert_ptr_nonnull(args);
		memcpy(args, &req, sizeof(req));
		pattern_fill(args + sizeof(req), payloads[i], 80 + i);
		ck_assert_ok(door_call(srv.fd, &a));
		ck_assert_uint_eq(a.data_size, sizeof(v));
		memcpy(&v, a.data_ptr, sizeof(v));
		ck_assert_uint_eq(v.size, payloads[i]);
		ck_assert_int_eq(v.ok, 1);
		ck_assert_int_eq(v.pid, getpid());
		free(args);
	}
}
END_TEST

/* ------------------------------------------------------------------ */
/* A copy that stops in the middle. */

static int fault_ctl = -1;	/* told when the fault came, if >= 0 */

static void fault_tell(void)
{
	char b = 'f';

	if (fault_ctl >= 0 && write(fault_ctl, &b, 1) < 0)
		_exit(CHILD_FAILED);
}

static void fault_dies(int sig)
{
	(void)sig;
	fault_tell();
	kill(getpid(), SIGKILL);
}

static void fault_stops(int sig)
{
	(void)sig;
	fault_tell();
	for (;;)
		pause();
}

/* A buffer of size bytes whose bytes from cut on fault. */
static char *faulting_buffer(size_t size, size_t cut)
{
	size_t ps = (size_t)sysconf(_SC_PAGESIZE);
	size_t len = ROUNDUP(size, ps);
	char *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return NULL;
	memset(p, 0x5a, cut);
	if (mprotect(p + ROUNDUP(cut, ps), len - ROUNDUP(cut, ps),
		     PROT_NONE) < 0)
		return NULL;
	return p;
}

struct stopping_caller {
	int fd;
	bool stops;		/* stop at the fault, else die */
};

/* A client child whose 1 MiB argument faults after two pieces. */
static int stopping_caller(void *arg, int ctl)
{
	const struct stopping_caller *s = arg;
	struct svc_req req = svc_req(SVC_VERIFY, MIB - sizeof(req), 1, 0);
	char *args = faulting_buffer(MIB, 2 * PIECE), rbuf[64];
	door_arg_t a = { args, MIB, NULL, 0, rbuf, sizeof(rbuf) };

	CHILD_ASSERT(args, "no faulting buffer: %s", strerrorname_np(errno));
	memcpy(args, &req, sizeof(req));
	fault_ctl = ctl;
	signal(SIGSEGV, s->stops ? fault_stops : fault_dies);
	door_call(s->fd, &a);
	CHILD_ASSERT(false, "door_call copied a faulting argument");
	return CHILD_FAILED;
}

/*
 * The client's argument stops coming (it died, or stopped): the only
 * server thread gives the call up, without running the procedure, and
 * serves the next caller.
 */
static void argument_stops(bool stops)
{
	struct svc_door sd;
	struct svc_state st;
	struct stopping_caller spec;
	struct call_spec next;
	struct child a, b;
	char f;

	svc_init(&sd, 0);
	sd.no_auto_pool = true;
	sd.pool_threads = 1;
	ck_assert_int_ge(svc_create(&sd), 0);
	spec = (struct stopping_caller){ sd.fd, stops };
	a = child_start(stopping_caller, &spec, CHILD_EXIT);
	child_recv(&a, &f, 1);	/* faulted, half the argument in */

	next = call_spec(sd.fd, SVC_PATTERN, 128, 128);
	b = child_start(child_call, &next, CHILD_EXIT);
	ck_assert_int_eq(child_join(&b), 0);
	if (stops) {
		ck_assert(child_alive(&a));
		child_kill(&a);
	} else {
		ck_assert_int_eq(child_join(&a), 128 + SIGKILL);
	}
	st = svc_local_state(&sd);
	ck_assert_uint_eq(st.calls, 1);	/* only the next caller's */
	ck_assert_int_eq(st.returned, 0);
	ck_assert_int_eq(st.park_returned, 0);
}

START_TEST(client_killed_while_streaming_arguments)
{
	argument_stops(false);
}
END_TEST

START_TEST(client_stopped_while_streaming_arguments)
{
	struct timespec t0, t1;
	cpu_set_t cpus;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	argument_stops(true);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	/* Given up after about a second of no progress (server.c); on one
	 * CPU nothing streams, and the call was never published. */
	if (sched_getaffinity(0, sizeof(cpus), &cpus) == 0 &&
	    CPU_COUNT(&cpus) > 1)
		ck_assert_int_ge((t1.tv_sec - t0.tv_sec) * 1000 +
				 (t1.tv_nsec - t0.tv_nsec) / 1000000, 900);
}
END_TEST

/* A procedure whose 1 MiB result faults after two pieces: it dies. */
static void dying_result_proc(void *cookie, char *argp, size_t arg_size,
			      door_desc_t *dp, uint_t n_desc)
{
	char *result = faulting_buffer(MIB, 2 * PIECE);

	(void)cookie;
	(void)argp;
	(void)arg_size;
	(void)dp;
	(void)n_desc;
	if (!result)
		_exit(CHILD_FAILED);
	signal(SIGSEGV, fault_dies);
	door_return(result, MIB, NULL, 0);
	_exit(CHILD_FAILED);
}

START_TEST(server_killed_while_streaming_result)
{
	struct svc_server srv;
	char *rbuf = malloc(MIB);
	door_arg_t a = { NULL, 0, NULL, 0, rbuf, MIB };

	ck_assert_ptr_nonnull(rbuf);
	srv = proc_serve_in_child(dying_result_proc, NULL, 0);
	ck_assert_fails(door_call(srv.fd, &a), EINTR);
	ck_assert_ptr_eq(a.rbuf, rbuf);	/* untouched */
	ck_assert_int_eq(child_join(&srv.child), 128 + SIGKILL);
	ck_assert_msg(wait_revoked(srv.fd), "door_info never reported the "
		      "dead server's door revoked");
	ck_assert_fails(door_call(srv.fd, NULL), EBADF);
	free(rbuf);
}
END_TEST

Suite *stream_suite(void)
{
	Suite *s = suite_create("stream");
	TCase *tc = harness_tcase(s, "stream");

	tcase_add_test(tc, streamed_sizes_arrive_intact);
	tcase_add_test(tc, streamed_arguments_verified);
	tcase_add_test(tc, client_killed_while_streaming_arguments);
	tcase_add_test(tc, client_stopped_while_streaming_arguments);
	tcase_add_test(tc, server_killed_while_streaming_result);
	return s;
}
