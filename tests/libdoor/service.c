/*
 * service.c: svc_proc, the door procedure the tests serve, its pool
 * threads, server children and client helpers.  See service.h.
 */
#include "service.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/socket.h>

/* ------------------------------------------------------------------ */
/* The pattern. */

static inline unsigned char pattern_byte(uint64_t seed, size_t i)
{
	uint64_t x = (i + 1) * 0x9E3779B97F4A7C15ull ^ seed * 0xBF58476D1CE4E5B9ull;

	return (unsigned char)((x >> 29) ^ (x >> 56));
}

void pattern_fill(void *buf, size_t n, uint64_t seed)
{
	unsigned char *p = buf;

	for (size_t i = 0; i < n; i++)
		p[i] = pattern_byte(seed, i);
}

bool pattern_ok(const void *buf, size_t n, uint64_t seed)
{
	const unsigned char *p = buf;

	for (size_t i = 0; i < n; i++)
		if (p[i] != pattern_byte(seed, i))
			return false;
	return true;
}

/* ------------------------------------------------------------------ */
/* The server side. */

void svc_init(struct svc_door *sd, uint_t attrs)
{
	memset(sd, 0, sizeof(*sd));
	sd->attrs = attrs;
	sd->data_min = sd->data_max = sd->desc_max = -1;
	sd->fd = -1;
	pthread_mutex_init(&sd->lock, NULL);
	ck_assert_ok(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0,
				sd->hold));
}

struct svc_state svc_local_state(struct svc_door *sd)
{
	struct svc_state st;

	pthread_mutex_lock(&sd->lock);
	st = sd->st;
	pthread_mutex_unlock(&sd->lock);
	return st;
}

void svc_no_threads(door_info_t *dip)
{
	(void)dip;
}

/*
 * Replies a procedure builds that are too big for its stack live here:
 * one buffer per server thread, reused, since door_return never returns
 * to free it.
 */
static __thread char *scratch_buf;
static __thread size_t scratch_cap;

static char *scratch(size_t n)
{
	if (n > scratch_cap) {
		free(scratch_buf);
		scratch_buf = malloc(n);
		scratch_cap = scratch_buf ? n : 0;
	}
	return scratch_buf;
}

static void svc_reply(struct svc_door *sd, char *data, size_t size)
{
	int err;

	(void)door_return(data, size, NULL, 0);
	err = errno;
	pthread_mutex_lock(&sd->lock);
	if (sd->st.returned++ == 0)
		sd->st.return_errno = err;
	pthread_mutex_unlock(&sd->lock);

	/* The client is still waiting after an error: answer it. */
	(void)door_return(NULL, 0, NULL, 0);
	pthread_mutex_lock(&sd->lock);
	sd->st.returned++;
	pthread_mutex_unlock(&sd->lock);
	/* Returning ends the thread; the client gets EINTR. */
}

/* Small replies from the stack (the idiom door_return allows). */
static void reply_pattern(struct svc_door *sd, uint64_t n, uint64_t seed)
{
	char small[4096];
	char *buf = n <= sizeof(small) ? small : scratch(n);

	if (!buf) {
		svc_reply(sd, NULL, 0);
		return;
	}
	pattern_fill(buf, n, seed);
	svc_reply(sd, buf, n);
}

static void do_creds(struct svc_door *sd)
{
	struct svc_creds c;
	ucred_t *uc = NULL, *mine, *before;

	memset(&c, 0, sizeof(c));
	c.ucred_rc = door_ucred(&uc);
	c.ucred_errno = c.ucred_rc ? errno : 0;
	c.ucred_allocated = uc != NULL;
	if (c.ucred_rc == 0 && uc) {
		c.euid = (int32_t)ucred_geteuid(uc);
		c.egid = (int32_t)ucred_getegid(uc);
		c.ruid = (int32_t)ucred_getruid(uc);
		c.rgid = (int32_t)ucred_getrgid(uc);
		c.pid = (int32_t)ucred_getpid(uc);
		const gid_t *groups = NULL;
		c.ngroups = ucred_getgroups(uc, &groups);
		for (int i = 0; i < c.ngroups && i < 4; i++)
			c.groups[i] = (int32_t)groups[i];
	}
	if (uc)
		ucred_free(uc);

	mine = before = ucred_get(getpid());
	if (mine) {
		c.reuse_rc = door_ucred(&mine);
		c.reuse_errno = c.reuse_rc ? errno : 0;
		c.reuse_same = mine == before;
		if (mine) {
			c.reuse_euid = (int32_t)ucred_geteuid(mine);
			c.reuse_pid = (int32_t)ucred_getpid(mine);
			ucred_free(mine);
		}
	} else {
		c.reuse_rc = -2;
		c.reuse_errno = errno;
	}

	c.cred_rc = door_cred(&c.dc);
	c.cred_errno = c.cred_rc ? errno : 0;
	svc_reply(sd, (char *)&c, sizeof(c));
}

static void do_hold(struct svc_door *sd, const struct svc_req *req)
{
	char b = 'h';

	pthread_mutex_lock(&sd->lock);
	sd->st.hold_tid = gettid();
	pthread_mutex_unlock(&sd->lock);
	(void)send(sd->hold[1], &b, 1, MSG_NOSIGNAL);
	while (recv(sd->hold[1], &b, 1, 0) < 0 && errno == EINTR)
		;

	if (req->flags & SVC_F_WAIT_ABORT) {
		ucred_t *uc = NULL;
		int err = 0;

		for (int waited = 0; waited < WAIT_MS; waited += 5) {
			if (door_ucred(&uc) < 0) {
				err = errno;
				break;
			}
			sleep_ms(5);
		}
		if (uc)
			ucred_free(uc);
		pthread_mutex_lock(&sd->lock);
		sd->st.hold_ucred_errno = err;
		pthread_mutex_unlock(&sd->lock);
	}
	reply_pattern(sd, req->n, req->seed);
}

static void do_verify(struct svc_door *sd, const struct svc_req *req,
		      const char *payload, size_t plen)
{
	struct svc_verdict v;
	char *buf;

	memset(&v, 0, sizeof(v));
	v.size = plen;
	v.seed = req->seed;
	v.ok = plen == req->n && pattern_ok(payload, plen, req->seed);
	if (req->flags & SVC_F_UCRED) {
		ucred_t *uc = NULL;

		if (door_ucred(&uc) == 0)
			v.pid = (int32_t)ucred_getpid(uc);
		if (uc)
			ucred_free(uc);
	}
	if (!(req->flags & SVC_F_ECHO)) {
		svc_reply(sd, (char *)&v, sizeof(v));
		return;
	}
	buf = scratch(sizeof(v) + plen);
	if (!buf) {
		svc_reply(sd, NULL, 0);
		return;
	}
	memcpy(buf, &v, sizeof(v));
	if (plen)
		memcpy(buf + sizeof(v), payload, plen);
	svc_reply(sd, buf, sizeof(v) + plen);
}

void svc_proc(void *cookie, char *argp, size_t arg_size, door_desc_t *dp,
	      uint_t n_desc)
{
	struct svc_door *sd = cookie;
	struct svc_req req;
	bool has_req;

	memset(&req, 0, sizeof(req));
	if (arg_size >= sizeof(req) && argp)
		memcpy(&req, argp, sizeof(req));
	has_req = req.magic == SVC_MAGIC;

	pthread_mutex_lock(&sd->lock);
	sd->st.calls++;
	if (!has_req || req.op != SVC_STATE) {
		sd->st.last_arg_size = arg_size;
		sd->st.last_cookie = (uintptr_t)cookie;
		sd->st.last_argp_null = argp == NULL;
		sd->st.last_dp_null = dp == NULL;
		sd->st.last_n_desc = n_desc;
		sd->st.last_tid = gettid();
	}
	pthread_mutex_unlock(&sd->lock);

	if (!has_req) {
		if (arg_size == 0 && sd->empty_reply > 0)
			reply_pattern(sd, sd->empty_reply, 0);
		else
			svc_reply(sd, argp, arg_size);
		return;
	}

	switch (req.op) {
	case SVC_ECHO:
		svc_reply(sd, argp, arg_size);
		return;
	case SVC_PATTERN:
		reply_pattern(sd, req.n, req.seed);
		return;
	case SVC_STATE: {
		struct svc_state st = svc_local_state(sd);

		svc_reply(sd, (char *)&st, sizeof(st));
		return;
	}
	case SVC_CREDS:
		do_creds(sd);
		return;
	case SVC_FALL_OFF:
		return;
	case SVC_HOLD:
		do_hold(sd, &req);
		return;
	case SVC_VERIFY:
		do_verify(sd, &req, argp + sizeof(req), arg_size - sizeof(req));
		return;
	case SVC_QUERY: {
		struct svc_query q;

		memset(&q, 0, sizeof(q));
		q.rc = door_info(DOOR_QUERY, &q.info);
		q.err = q.rc ? errno : 0;
		svc_reply(sd, (char *)&q, sizeof(q));
		return;
	}
	case SVC_EMPTY:
	default:
		svc_reply(sd, NULL, 0);
		return;
	}
}

/* A thread of a no_auto_pool door: joins its pool and never comes back. */
static void *svc_pool_thread(void *arg)
{
	struct svc_door *sd = arg;
	int err = 0;

	pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, NULL);
	if ((sd->attrs & DOOR_PRIVATE) && door_bind(sd->fd) < 0)
		err = errno;
	if (err == 0) {
		(void)door_return(NULL, 0, NULL, 0);
		err = errno;
	}
	pthread_mutex_lock(&sd->lock);
	if (sd->st.park_returned++ == 0)
		sd->st.park_errno = err;
	pthread_mutex_unlock(&sd->lock);
	return NULL;
}

static int set_param(int fd, int param, long long value)
{
	return value < 0 ? 0 : door_setparam(fd, param, (size_t)value);
}

int svc_create(struct svc_door *sd)
{
	int err;

	if (sd->no_auto_pool)
		(void)door_server_create(svc_no_threads);
	sd->fd = door_create(svc_proc, sd, sd->attrs);
	if (sd->fd < 0)
		return -1;
	if (set_param(sd->fd, DOOR_PARAM_DATA_MAX, sd->data_max) < 0 ||
	    set_param(sd->fd, DOOR_PARAM_DATA_MIN, sd->data_min) < 0 ||
	    set_param(sd->fd, DOOR_PARAM_DESC_MAX, sd->desc_max) < 0)
		return -1;
	for (int i = 0; i < sd->pool_threads; i++) {
		pthread_attr_t attr;
		pthread_t t;

		pthread_attr_init(&attr);
		pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
		err = pthread_create(&t, &attr, svc_pool_thread, sd);
		pthread_attr_destroy(&attr);
		if (err) {
			errno = err;
			return -1;
		}
	}
	return sd->fd;
}

/* ------------------------------------------------------------------ */
/* Server children. */

struct svc_boot {
	int fd;
	int err;
	door_info_t info;
};

/* What a server child creates: an svc door, or any procedure's. */
struct server_recipe {
	struct svc_door *sd;
	door_server_procedure_t *proc;
	void *cookie;
	uint_t attrs;
};

static int server_child_main(void *arg, int ctl)
{
	struct server_recipe *r = arg;
	struct svc_boot b;

	memset(&b, 0, sizeof(b));
	b.fd = r->sd ? svc_create(r->sd) :
		door_create(r->proc, r->cookie, r->attrs);
	if (b.fd < 0)
		b.err = errno;
	else if (door_info(b.fd, &b.info) < 0)
		b.err = errno;
	ctl_send(ctl, &b, sizeof(b));
	return b.err ? CHILD_FAILED : 0;
}

static struct svc_server serve_in_child(struct server_recipe *r)
{
	struct svc_server s;
	struct svc_boot b;

	memset(&s, 0, sizeof(s));
	s.child = child_start(server_child_main, r, CHILD_LINGER);
	child_recv(&s.child, &b, sizeof(b));
	ck_assert_msg(b.err == 0, "server child: creating its door: %s",
		      strerrorname_np(b.err));
	s.server_fd = b.fd;
	s.info = b.info;
	s.fd = open_fd_of(s.child.pid, b.fd, O_RDONLY);
	ck_assert_msg(s.fd >= 0, "open /proc/%ld/fd/%d: %s",
		      (long)s.child.pid, b.fd, strerror(errno));
	return s;
}

struct svc_server svc_serve_in_child(struct svc_door *sd)
{
	struct server_recipe r = { sd, NULL, NULL, 0 };

	return serve_in_child(&r);
}

struct svc_server proc_serve_in_child(door_server_procedure_t *proc,
				      void *cookie, uint_t attrs)
{
	struct server_recipe r = { NULL, proc, cookie, attrs };

	return serve_in_child(&r);
}

/* ------------------------------------------------------------------ */
/* Clients. */

struct svc_req svc_req(uint32_t op, uint64_t n, uint64_t seed, uint32_t flags)
{
	struct svc_req r = { SVC_MAGIC, op, n, seed, flags, 0 };

	return r;
}

int svc_call_raw(int fd, uint32_t op, uint64_t n, uint64_t seed,
		 uint32_t flags, void *out, size_t len)
{
	struct svc_req req = svc_req(op, n, seed, flags);
	char rb[512];
	door_arg_t a = { (char *)&req, sizeof(req), NULL, 0, rb, sizeof(rb) };
	int rc = door_call(fd, &a);
	int err = errno;

	if (rc < 0) {
		errno = err;
		return -1;
	}
	if (a.data_size == len) {
		if (len)
			memcpy(out, a.data_ptr, len);
	} else {
		rc = -2;
	}
	if (a.rbuf != rb)
		munmap(a.rbuf, a.rsize);
	return rc;
}

int svc_call(int fd, uint32_t op, uint64_t n, uint64_t seed, uint32_t flags,
	     void *out, size_t len)
{
	int rc = svc_call_raw(fd, op, n, seed, flags, out, len);

	ck_assert_msg(rc != -2, "reply of op %u: not %zu bytes", op, len);
	return rc;
}

struct svc_state svc_state(int fd)
{
	struct svc_state st;

	ck_assert_ok(svc_call(fd, SVC_STATE, 0, 0, 0, &st, sizeof(st)));
	return st;
}

void svc_wait_hold(struct svc_door *sd)
{
	char b;

	ck_assert_msg(fd_read_full(sd->hold[0], &b, 1),
		      "no call reached SVC_HOLD within %d ms", WAIT_MS);
}

void svc_release(struct svc_door *sd)
{
	char b = 'r';

	ck_assert(fd_write_full(sd->hold[0], &b, 1));
}

struct call_spec call_spec(int fd, uint32_t op, uint64_t n, size_t reply_len)
{
	struct call_spec c;

	memset(&c, 0, sizeof(c));
	c.fd = fd;
	c.op = op;
	c.n = n;
	c.seed = n ^ 0x5eed;
	c.reply_len = reply_len;
	return c;
}

int child_call(void *arg, int ctl)
{
	const struct call_spec *c = arg;
	char reply[4096];
	int rc;

	CHILD_ASSERT(c->reply_len <= sizeof(reply), "reply_len too big");
	errno = 0;
	rc = svc_call_raw(c->fd, c->op, c->n, c->seed, c->flags, reply,
			  c->reply_len);
	if (c->want_errno) {
		CHILD_ASSERT(rc == -1 && errno == c->want_errno,
			     "door_call (op %u): want -1/%s, got %d/%s", c->op,
			     strerrorname_np(c->want_errno), rc,
			     errno ? strerrorname_np(errno) : "0");
	} else {
		CHILD_ASSERT(rc == 0, "door_call (op %u): want 0, got %d/%s",
			     c->op, rc, rc == -2 ? "reply of the wrong size" :
			     strerrorname_np(errno));
		if (c->op == SVC_PATTERN || c->op == SVC_HOLD)
			CHILD_ASSERT(pattern_ok(reply, c->reply_len, c->seed),
				     "reply is not the pattern asked for");
		else if (c->reply_len)
			ctl_send(ctl, reply, c->reply_len);
	}
	if (c->then_errno)
		CHILD_FAILS(door_call(c->fd, NULL), c->then_errno);
	return 0;
}

static size_t verify_size(int i, uint64_t seed_base)
{
	return ((size_t)i * 997 + (size_t)seed_base) % (VERIFY_PAYLOAD_MAX + 1);
}

static void check_verify_reply(const char *reply, size_t size,
			       uint64_t seed, size_t plen)
{
	struct svc_verdict v;

	CHILD_ASSERT(size == sizeof(v) + plen, "reply of %zu bytes, want %zu",
		     size, sizeof(v) + plen);
	memcpy(&v, reply, sizeof(v));
	CHILD_ASSERT(v.ok == 1 && v.size == plen, "server saw a bad payload "
		     "(%llu bytes, ok %d)", (unsigned long long)v.size, v.ok);
	CHILD_ASSERT(v.seed == seed, "reply to another call (seed %llx, want "
		     "%llx)", (unsigned long long)v.seed,
		     (unsigned long long)seed);
	CHILD_ASSERT(v.pid == getpid(), "server says caller pid %d, want %d",
		     v.pid, getpid());
	CHILD_ASSERT(pattern_ok(reply + sizeof(v), plen, seed),
		     "payload came back altered");
}

void verify_calls(int fd, int count, uint64_t seed_base)
{
	size_t cap = sizeof(struct svc_req) + VERIFY_PAYLOAD_MAX +
		sizeof(struct svc_verdict);
	char *args = malloc(cap), *rbuf = malloc(cap);

	CHILD_ASSERT(args && rbuf, "malloc");
	for (int i = 0; i < count; i++) {
		uint64_t seed = seed_base + (uint64_t)i;
		size_t plen = verify_size(i, seed_base);
		struct svc_req req = svc_req(SVC_VERIFY, plen, seed,
					     SVC_F_ECHO | SVC_F_UCRED);
		door_arg_t a = { args, sizeof(req) + plen, NULL, 0, rbuf, cap };

		memcpy(args, &req, sizeof(req));
		pattern_fill(args + sizeof(req), plen, seed);
		CHILD_OK(door_call(fd, &a));
		CHILD_ASSERT(a.rbuf == rbuf, "a reply that fits was mapped");
		check_verify_reply(a.data_ptr, a.data_size, seed, plen);
	}
	free(args);
	free(rbuf);
}

ssize_t read_result(int fd, void *buf, size_t cap)
{
	size_t got = 0;

	for (;;) {
		ssize_t n = read(fd, (char *)buf + got, cap - got);

		if (n < 0)
			return -1;
		if (n == 0)
			return (ssize_t)got;
		got += (size_t)n;
		if (got == cap) {
			char extra;

			/* Full buffer: the result must end here. */
			n = read(fd, &extra, 1);
			if (n != 0) {
				errno = n < 0 ? errno : EMSGSIZE;
				return -1;
			}
			return (ssize_t)got;
		}
	}
}

void verify_calls_fileplane(int fd, int count, uint64_t seed_base)
{
	size_t cap = sizeof(struct svc_req) + VERIFY_PAYLOAD_MAX +
		sizeof(struct svc_verdict);
	char *args = malloc(cap), *result = malloc(cap);

	CHILD_ASSERT(args && result, "malloc");
	for (int i = 0; i < count; i++) {
		uint64_t seed = seed_base + (uint64_t)i;
		size_t plen = verify_size(i, seed_base);
		struct svc_req req = svc_req(SVC_VERIFY, plen, seed,
					     SVC_F_ECHO | SVC_F_UCRED);
		ssize_t n;

		memcpy(args, &req, sizeof(req));
		pattern_fill(args + sizeof(req), plen, seed);
		n = write(fd, args, sizeof(req) + plen);
		CHILD_ASSERT(n == (ssize_t)(sizeof(req) + plen),
			     "file plane write: %zd/%s", n,
			     n < 0 ? strerrorname_np(errno) : "short");
		n = read_result(fd, result, cap);
		CHILD_ASSERT(n >= 0, "file plane read: %s",
			     strerrorname_np(errno));
		check_verify_reply(result, (size_t)n, seed, plen);
	}
	free(args);
	free(result);
}
