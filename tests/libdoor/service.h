/*
 * service.h: the door procedure most tests serve, and its clients.
 *
 * svc_proc is one door procedure that does what a request header asks
 * (echo, a reply of n bytes, nothing, credentials, fall off the end,
 * hold until the test releases it...) and records what it saw, so a test
 * can ask a server, in its own process or another, what happened on its
 * side.  Arguments without the header are echoed back, so file-plane and
 * raw clients can call it with any bytes.
 *
 * Every reply goes through door_return; if door_return comes back (an
 * error) that is counted in the state, the procedure answers with an
 * empty reply instead, and if that comes back too it returns, which ends
 * its thread (the client then gets EINTR).
 */
#ifndef LIBDOOR_TEST_SERVICE_H
#define LIBDOOR_TEST_SERVICE_H

#include "harness.h"	/* first: it sets up the feature macros */

#include <pthread.h>
#include <stdint.h>

#define SVC_MAGIC 0x64737663u

enum svc_op {
	SVC_ECHO = 1,	/* reply: the whole argument, header included */
	SVC_PATTERN,	/* reply: n bytes of pattern(seed) */
	SVC_EMPTY,	/* reply: door_return(NULL, 0, NULL, 0) */
	SVC_STATE,	/* reply: struct svc_state (not itself recorded as last_*) */
	SVC_CREDS,	/* reply: struct svc_creds for this call */
	SVC_FALL_OFF,	/* return from the procedure without door_return */
	SVC_HOLD,	/* tell the test, wait for its release, then as SVC_PATTERN */
	SVC_VERIFY,	/* check the payload; reply: struct svc_verdict [+ payload] */
	SVC_QUERY,	/* reply: struct svc_query, door_info(DOOR_QUERY) */
};

/* Request flags. */
#define SVC_F_UCRED      0x1u	/* SVC_VERIFY: verdict carries door_ucred's pid */
#define SVC_F_ECHO       0x2u	/* SVC_VERIFY: the payload follows the verdict */
#define SVC_F_WAIT_ABORT 0x4u	/* SVC_HOLD: after release, wait (bounded) until
				   door_ucred fails, and record its errno */

/* The argument header; a payload may follow it. */
struct svc_req {
	uint32_t magic;		/* SVC_MAGIC */
	uint32_t op;		/* enum svc_op */
	uint64_t n;		/* reply size, or expected payload size */
	uint64_t seed;		/* of the pattern */
	uint32_t flags;		/* SVC_F_* */
	uint32_t pad;
};

/* What the server saw: SVC_STATE's reply, and svc_local_state(). */
struct svc_state {
	uint64_t calls;		/* procedure invocations, SVC_STATE included */
	uint64_t last_arg_size;	/* of the last call other than SVC_STATE */
	uint64_t last_cookie;
	int32_t last_argp_null;
	int32_t last_dp_null;
	uint32_t last_n_desc;
	int32_t last_tid;	/* the thread that ran it */
	int32_t returned;	/* door_returns that came back in the procedure */
	int32_t return_errno;	/* errno of the first of them */
	int32_t park_returned;	/* svc pool threads whose door_return came back */
	int32_t park_errno;
	int32_t hold_tid;	/* the thread of the last SVC_HOLD */
	int32_t hold_ucred_errno; /* SVC_F_WAIT_ABORT: 0 if door_ucred never failed */
};

/* SVC_CREDS: the caller as door_ucred and door_cred report it. */
struct svc_creds {
	int32_t ucred_rc, ucred_errno;
	int32_t ucred_allocated;	/* *uc was NULL and became non-NULL */
	int32_t euid, egid, ruid, rgid, pid;
	int32_t ngroups;		/* ucred_getgroups */
	int32_t groups[4];		/* the first of them */
	/* door_ucred into a ucred_t from ucred_get(getpid()): reused? */
	int32_t reuse_rc, reuse_errno, reuse_same;
	int32_t reuse_euid, reuse_pid;
	int32_t cred_rc, cred_errno;
	door_cred_t dc;
};

/* SVC_VERIFY's reply. */
struct svc_verdict {
	uint64_t size;		/* payload bytes received */
	uint64_t seed;		/* the request's */
	int32_t ok;		/* payload == pattern(seed) and size == n */
	int32_t pid;		/* SVC_F_UCRED: door_ucred's pid, else 0 */
};

/* SVC_QUERY's reply. */
struct svc_query {
	int32_t rc, err;
	door_info_t info;
};

/* One door served by svc_proc: its configuration, then what happened. */
struct svc_door {
	uint_t attrs;		/* for door_create */
	/*
	 * no_auto_pool: install a server-create function that starts no
	 * thread before door_create, then start exactly pool_threads
	 * threads that join by door_return(NULL, 0, NULL, 0) (binding
	 * first for a DOOR_PRIVATE door).  Otherwise libdoor's own pool.
	 */
	bool no_auto_pool;
	int pool_threads;
	size_t empty_reply;	/* bytes to reply to a call without arguments */
	long long data_min, data_max, desc_max; /* door_setparam; -1: default */

	int fd;			/* the door, in the process that created it */
	int hold[2];		/* SVC_HOLD: [0] the test's end, [1] the server's */
	pthread_mutex_t lock;
	struct svc_state st;
};

void svc_init(struct svc_door *sd, uint_t attrs);
/* door_create in this process, with the parameters and threads asked. */
int svc_create(struct svc_door *sd);
door_server_procedure_t svc_proc;
/* A server-create function that starts nothing. */
door_server_func_t svc_no_threads;

/* A copy of an in-process svc door's state. */
struct svc_state svc_local_state(struct svc_door *sd);

/* SVC_HOLD, the test's side: wait for a held call; let it go on. */
void svc_wait_hold(struct svc_door *sd);
void svc_release(struct svc_door *sd);

/* A server child: svc_create in a child process that then lingers. */
struct svc_server {
	struct child child;
	int fd;			/* this process's descriptor (/proc/PID/fd/N) */
	int server_fd;		/* the door's descriptor in the server */
	door_info_t info;	/* door_info in the server */
};
struct svc_server svc_serve_in_child(struct svc_door *sd);
/* The same for any procedure: door_create(proc, cookie, attrs) in a child. */
struct svc_server proc_serve_in_child(door_server_procedure_t *proc,
				      void *cookie, uint_t attrs);

/*
 * door_call with just a request header into a small rbuf; on success the
 * reply must be exactly len bytes and lands in out.  _raw never asserts
 * (for children): it returns -1 with errno from door_call, or -2 when the
 * reply had the wrong size.
 */
int svc_call(int fd, uint32_t op, uint64_t n, uint64_t seed, uint32_t flags,
	     void *out, size_t len);
int svc_call_raw(int fd, uint32_t op, uint64_t n, uint64_t seed,
		 uint32_t flags, void *out, size_t len);
/* SVC_STATE through door_call (asserts success). */
struct svc_state svc_state(int fd);
struct svc_req svc_req(uint32_t op, uint64_t n, uint64_t seed, uint32_t flags);

/*
 * A client child (child_start(child_call, &spec, CHILD_EXIT)): calls
 * spec.fd with svc_call_raw.  The call must fail with want_errno, or
 * succeed with a reply of reply_len bytes (a pattern for SVC_PATTERN and
 * SVC_HOLD, checked; else sent to the test over ctl).  Then, if
 * then_errno is set, door_call(fd, NULL) must fail with it.
 */
struct call_spec {
	int fd;
	uint32_t op;
	uint64_t n, seed;
	uint32_t flags;
	int want_errno;
	size_t reply_len;
	int then_errno;
};
int child_call(void *arg, int ctl);
struct call_spec call_spec(int fd, uint32_t op, uint64_t n, size_t reply_len);

/*
 * For client children: count SVC_VERIFY calls with SVC_F_ECHO|SVC_F_UCRED
 * and payloads of varying size (up to VERIFY_PAYLOAD_MAX), each reply
 * checked in full (verdict, seed, caller pid, payload); through
 * door_call, or through the file plane (write the arguments, read the
 * result) on a descriptor opened read-write.
 */
#define VERIFY_PAYLOAD_MAX 6000
void verify_calls(int fd, int count, uint64_t seed_base);
void verify_calls_fileplane(int fd, int count, uint64_t seed_base);

/* File plane: read a whole result (until 0); its size, or -1 with errno. */
ssize_t read_result(int fd, void *buf, size_t cap);

/* The pattern: deterministic bytes from a seed. */
void pattern_fill(void *buf, size_t n, uint64_t seed);
bool pattern_ok(const void *buf, size_t n, uint64_t seed);

/* Rounding as door_call(3C) does it. */
#define ROUNDUP(x, m) ((((x) + (m) - 1) / (m)) * (m))

#endif /* LIBDOOR_TEST_SERVICE_H */
