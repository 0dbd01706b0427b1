/*
 * test_descs.c: passing descriptors through doors (DOOR-API §4.1, §4.7,
 * row 7, and row 26's 1024-descriptor limit).
 *
 * A client passes a pipe (DOOR_DESCRIPTOR, with and without
 * DOOR_RELEASE) and the server reads from it; descs without
 * DOOR_DESCRIPTOR, bad descriptors and more than 1024 are refused before
 * anything is transferred; a server returns a regular file and a door,
 * which arrive as new descriptors, not close-on-exec, described by
 * d_attributes (DOOR_DESCRIPTOR, the door's flags, DOOR_LOCAL for the
 * receiver's own door) and d_id (the door's di_uniquifier), behind the
 * data at rbuf + roundup(data_size, 24); a door passed along can be
 * called by its receiver; REFUSE_DESC and DESC_MAX refuse descriptors
 * (ENOTSUP, ENFILE) and leave DOOR_RELEASE descriptors open; hundreds of
 * descriptors travel in one call each way.
 *
 * The server is desc_proc, in a child (proc_serve_in_child) unless the
 * test needs it local.
 */
#include "service.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>

#define DESC_MAGIC 0x64657363u

/* The contents of the regular file a desc server hands out. */
#define REG_TEXT "a regular file, passed through a door"

/* desc_proc's requests. */
enum desc_op {
	DESC_SEE = 1,	/* describe the descs received (and read desc 0 if
			   DESC_F_READ), close them; reply: struct desc_seen */
	DESC_GIVE,	/* reply: n bytes of pattern(n) and ndesc descs: the
			   regular file, the given door, then the file again */
	DESC_ECHO,	/* reply: the descs received, each DOOR_RELEASE */
	DESC_CALL,	/* desc 0 is a door: describe and call it (SVC_PATTERN
			   of n bytes); reply: struct desc_called */
	DESC_STATS,	/* reply: struct desc_stats */
	DESC_TOO_MANY,	/* door_return 1025 descs, then reply struct desc_rc */
};

#define DESC_F_READ    0x1u	/* DESC_SEE: read what desc 0 (a pipe) holds */
#define DESC_F_RELEASE 0x2u	/* DESC_GIVE: desc 0 is a dup, DOOR_RELEASE */

struct desc_req {
	uint32_t magic;		/* DESC_MAGIC */
	uint32_t op;		/* enum desc_op */
	uint32_t n;		/* data bytes */
	uint32_t ndesc;		/* DESC_GIVE: descriptors to return */
	uint32_t flags;		/* DESC_F_* */
	uint32_t pad;
};

#define SEE_MAX 4

struct desc_seen {
	uint32_t n_desc;
	int32_t dp_null;
	uint32_t ok;		/* open, d_attributes == DOOR_DESCRIPTOR, same
				   file as desc 0 */
	int32_t distinct;	/* every descriptor number differs */
	uint32_t attrs[SEE_MAX];
	int32_t cloexec[SEE_MAX];
	uint64_t ids[SEE_MAX];
	int32_t data_len;	/* DESC_F_READ: bytes read from desc 0, or -1 */
	char data[64];
};

struct desc_called {
	uint32_t n_desc;
	uint32_t attrs;		/* of desc 0 */
	uint64_t id;
	int32_t info_rc;	/* door_info on desc 0 */
	uint32_t info_attrs;
	uint64_t info_id;
	int32_t call_rc;	/* door_call of desc 0 */
	int32_t call_errno;
	int32_t pattern_ok;
};

struct desc_stats {
	uint32_t calls;		/* DESC_STATS not counted */
	int32_t released_fd;	/* the last DESC_F_RELEASE dup, or -1 */
	int32_t released_closed; /* ...is closed now */
	int32_t init_err;
	int32_t give_errno;	/* DESC_GIVE's door_return failed: why */
};

struct desc_rc {
	int32_t rc;
	int32_t err;
};

/* A desc server's state (the cookie of its door). */
struct desc_server {
	pthread_mutex_t lock;
	bool ready;		/* reg_fd and given are made (or init_err) */
	int init_err;
	int reg_fd;		/* an O_TMPFILE holding REG_TEXT */
	struct svc_door given;	/* the door DESC_GIVE hands out */
	uint32_t calls;
	int released_fd;
	int give_errno;		/* of DESC_GIVE's door_return that came back */
};

/* The given door's create flags: visible in the receiver's d_attributes. */
#define GIVEN_ATTRS (DOOR_REFUSE_DESC | DOOR_NO_CANCEL)

static int make_given(struct desc_server *ds)
{
	ds->reg_fd = open("/tmp", O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	if (ds->reg_fd < 0)
		return errno;
	if (pwrite(ds->reg_fd, REG_TEXT, strlen(REG_TEXT), 0) !=
	    (ssize_t)strlen(REG_TEXT))
		return EIO;
	/*
	 * svc_init by hand: this runs in a server thread, often in a child,
	 * where a failed ck_assert would never reach the test.
	 */
	memset(&ds->given, 0, sizeof(ds->given));
	ds->given.attrs = GIVEN_ATTRS;
	ds->given.data_min = ds->given.data_max = ds->given.desc_max = -1;
	ds->given.hold[0] = ds->given.hold[1] = -1;
	pthread_mutex_init(&ds->given.lock, NULL);
	return svc_create(&ds->given) < 0 ? errno : 0;
}

static void desc_server_init(struct desc_server *ds)
{
	memset(ds, 0, sizeof(*ds));
	pthread_mutex_init(&ds->lock, NULL);
	ds->reg_fd = -1;
	ds->released_fd = -1;
}

/*
 * The file and door to give, made on first use by the process serving
 * (so that the door is that process's, not the test's).
 */
static int desc_server_ready(struct desc_server *ds)
{
	int err;

	pthread_mutex_lock(&ds->lock);
	if (!ds->ready) {
		ds->init_err = make_given(ds);
		ds->ready = true;
	}
	err = ds->init_err;
	pthread_mutex_unlock(&ds->lock);
	return err;
}

static bool same_inode(int a, int b)
{
	struct stat sa, sb;

	return fstat(a, &sa) == 0 && fstat(b, &sb) == 0 &&
		sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

static bool fds_distinct(const door_desc_t *dp, uint_t n)
{
	for (uint_t i = 0; i < n; i++)
		for (uint_t j = i + 1; j < n; j++)
			if (dp[i].d_data.d_desc.d_descriptor ==
			    dp[j].d_data.d_desc.d_descriptor)
				return false;
	return true;
}

static void do_see(const struct desc_req *req, door_desc_t *dp,
		   uint_t n_desc)
{
	struct desc_seen s;
	int first = n_desc ? dp[0].d_data.d_desc.d_descriptor : -1;

	memset(&s, 0, sizeof(s));
	s.n_desc = n_desc;
	s.dp_null = dp == NULL;
	s.data_len = -1;
	s.distinct = fds_distinct(dp, n_desc);
	for (uint_t i = 0; i < n_desc; i++) {
		int fd = dp[i].d_data.d_desc.d_descriptor;
		int fdflags = fcntl(fd, F_GETFD);

		if (i < SEE_MAX) {
			s.attrs[i] = dp[i].d_attributes;
			s.cloexec[i] = fdflags < 0 ? -1 :
				(fdflags & FD_CLOEXEC) != 0;
			s.ids[i] = dp[i].d_data.d_desc.d_id;
		}
		if (fdflags >= 0 && dp[i].d_attributes == DOOR_DESCRIPTOR &&
		    same_inode(fd, first))
			s.ok++;
	}
	if ((req->flags & DESC_F_READ) && first >= 0) {
		struct pollfd p = { .fd = first, .events = POLLIN };

		/* Bounded: a pipe with nothing in it must not hang us. */
		if (poll(&p, 1, WAIT_MS) == 1)
			s.data_len = (int32_t)read(first, s.data,
						   sizeof(s.data) - 1);
	}
	/* The descriptors are the procedure's to close. */
	for (uint_t i = 0; i < n_desc; i++)
		close(dp[i].d_data.d_desc.d_descriptor);
	(void)door_return((char *)&s, sizeof(s), NULL, 0);
}

static void do_give(struct desc_server *ds, const struct desc_req *req)
{
	static __thread door_desc_t descs[1024];
	static __thread char data[4096];
	uint_t n = req->ndesc <= 1024 ? req->ndesc : 1024;
	size_t size = req->n <= sizeof(data) ? req->n : sizeof(data);

	pattern_fill(data, size, req->n);
	memset(descs, 0, n * sizeof(descs[0]));
	for (uint_t i = 0; i < n; i++) {
		descs[i].d_attributes = DOOR_DESCRIPTOR;
		descs[i].d_data.d_desc.d_descriptor =
			i == 1 ? ds->given.fd : ds->reg_fd;
	}
	if (n && (req->flags & DESC_F_RELEASE)) {
		int dup_fd = dup(ds->reg_fd);

		descs[0].d_attributes |= DOOR_RELEASE;
		descs[0].d_data.d_desc.d_descriptor = dup_fd;
		pthread_mutex_lock(&ds->lock);
		ds->released_fd = dup_fd;
		pthread_mutex_unlock(&ds->lock);
	}
	errno = 0;
	(void)door_return(data, size, n ? descs : NULL, n);
	pthread_mutex_lock(&ds->lock);
	ds->give_errno = errno;
	pthread_mutex_unlock(&ds->lock);
	(void)door_return(NULL, 0, NULL, 0);
}

static void do_call(const struct desc_req *req, door_desc_t *dp,
		    uint_t n_desc)
{
	struct desc_called c;
	char out[256];

	memset(&c, 0, sizeof(c));
	c.n_desc = n_desc;
	c.info_rc = -1;
	c.call_rc = -1;
	if (n_desc) {
		int fd = dp[0].d_data.d_desc.d_descriptor;
		door_info_t info;
		size_t n = req->n <= sizeof(out) ? req->n : sizeof(out);

		c.attrs = dp[0].d_attributes;
		c.id = dp[0].d_data.d_desc.d_id;
		c.info_rc = door_info(fd, &info);
		if (c.info_rc == 0) {
			c.info_attrs = info.di_attributes;
			c.info_id = info.di_uniquifier;
		}
		errno = 0;
		c.call_rc = svc_call_raw(fd, SVC_PATTERN, n, 77, 0, out, n);
		c.call_errno = errno;
		c.pattern_ok = c.call_rc == 0 && pattern_ok(out, n, 77);
	}
	for (uint_t i = 0; i < n_desc; i++)
		close(dp[i].d_data.d_desc.d_descriptor);
	(void)door_return((char *)&c, sizeof(c), NULL, 0);
}

static void do_too_many(struct desc_server *ds)
{
	static __thread door_desc_t descs[1025];
	struct desc_rc r;

	memset(descs, 0, sizeof(descs));
	for (int i = 0; i < 1025; i++) {
		descs[i].d_attributes = DOOR_DESCRIPTOR;
		descs[i].d_data.d_desc.d_descriptor = ds->reg_fd;
	}
	errno = 0;
	r.rc = door_return(NULL, 0, descs, 1025);
	r.err = errno;
	/* The client still waits: answer it with what happened. */
	(void)door_return((char *)&r, sizeof(r), NULL, 0);
}

static void desc_proc(void *cookie, char *argp, size_t arg_size,
		      door_desc_t *dp, uint_t n_desc)
{
	struct desc_server *ds = cookie;
	struct desc_req req;

	memset(&req, 0, sizeof(req));
	if (argp && arg_size >= sizeof(req))
		memcpy(&req, argp, sizeof(req));
	if (req.magic != DESC_MAGIC || desc_server_ready(ds) != 0) {
		for (uint_t i = 0; i < n_desc; i++)
			close(dp[i].d_data.d_desc.d_descriptor);
		(void)door_return(NULL, 0, NULL, 0);
		return;
	}
	if (req.op != DESC_STATS) {
		pthread_mutex_lock(&ds->lock);
		ds->calls++;
		pthread_mutex_unlock(&ds->lock);
	}

	switch (req.op) {
	case DESC_SEE:
		do_see(&req, dp, n_desc);
		return;
	case DESC_GIVE:
		do_give(ds, &req);
		return;
	case DESC_ECHO:
		for (uint_t i = 0; i < n_desc; i++)
			dp[i].d_attributes |= DOOR_RELEASE;
		(void)door_return(NULL, 0, dp, n_desc);
		(void)door_return(NULL, 0, NULL, 0);
		return;
	case DESC_CALL:
		do_call(&req, dp, n_desc);
		return;
	case DESC_STATS: {
		struct desc_stats st;

		pthread_mutex_lock(&ds->lock);
		st.calls = ds->calls;
		st.released_fd = ds->released_fd;
		st.give_errno = ds->give_errno;
		pthread_mutex_unlock(&ds->lock);
		st.released_closed = st.released_fd >= 0 &&
			fcntl(st.released_fd, F_GETFD) < 0 && errno == EBADF;
		st.init_err = ds->init_err;
		(void)door_return((char *)&st, sizeof(st), NULL, 0);
		return;
	}
	case DESC_TOO_MANY:
		do_too_many(ds);
		return;
	default:
		(void)door_return(NULL, 0, NULL, 0);
	}
}

/* ------------------------------------------------------------------ */
/* The client side. */

static struct desc_req desc_req(uint32_t op, uint32_t n, uint32_t ndesc,
				uint32_t flags)
{
	struct desc_req r = { DESC_MAGIC, op, n, ndesc, flags, 0 };

	return r;
}

/* door_call with a request and descs; the reply must be len bytes. */
static int desc_call(int fd, struct desc_req req, door_desc_t *descs,
		     uint_t ndesc, void *out, size_t len)
{
	char rbuf[512];
	door_arg_t a = { (char *)&req, sizeof(req), descs, ndesc, rbuf,
			 sizeof(rbuf) };
	int rc = door_call(fd, &a);

	if (rc < 0)
		return -1;
	ck_assert_msg(a.data_size == len && a.desc_num == 0,
		      "reply of op %u: %zu bytes and %u descs, want %zu and 0",
		      req.op, a.data_size, a.desc_num, len);
	memcpy(out, a.data_ptr, len);
	if (a.rbuf != rbuf)
		munmap(a.rbuf, a.rsize);
	return 0;
}

static struct desc_stats desc_stats(int fd)
{
	struct desc_stats st;

	ck_assert_ok(desc_call(fd, desc_req(DESC_STATS, 0, 0, 0), NULL, 0,
			       &st, sizeof(st)));
	ck_assert_int_eq(st.init_err, 0);
	return st;
}

static void set_desc(door_desc_t *d, int fd, door_attr_t attrs)
{
	memset(d, 0, sizeof(*d));
	d->d_attributes = attrs;
	d->d_data.d_desc.d_descriptor = fd;
}

static bool is_open(int fd)
{
	return fcntl(fd, F_GETFD) >= 0;
}

static bool is_closed(int fd)
{
	return fcntl(fd, F_GETFD) < 0 && errno == EBADF;
}

/* Close the descriptors a reply brought. */
static void close_descs(const door_desc_t *dp, uint_t n)
{
	for (uint_t i = 0; i < n; i++)
		close(dp[i].d_data.d_desc.d_descriptor);
}

/*
 * Descriptors a process needs to receive 1024 at once, on top of its
 * own; more than the usual soft limit of 1024.
 */
#define FDS_FOR_1024 2048

/* Whether this process may have FDS_FOR_1024 descriptors open. */
static bool can_have_fds_for_1024(void)
{
	struct rlimit lim;

	return getrlimit(RLIMIT_NOFILE, &lim) == 0 &&
		(lim.rlim_max == RLIM_INFINITY || lim.rlim_max >= FDS_FOR_1024);
}

/*
 * Room for n descriptors, in this process and the server children it
 * forks next.
 */
static void want_fds(rlim_t n)
{
	struct rlimit lim;

	ck_assert_ok(getrlimit(RLIMIT_NOFILE, &lim));
	if (lim.rlim_cur >= n)
		return;
	lim.rlim_cur = n;
	ck_assert_msg(setrlimit(RLIMIT_NOFILE, &lim) == 0, "RLIMIT_NOFILE "
		      "cannot be raised to %llu (%s): this test needs it",
		      (unsigned long long)n, strerror(errno));
}

/* A desc server in a child process. */
static struct svc_server serve_descs(struct desc_server *ds)
{
	desc_server_init(ds);
	return proc_serve_in_child(desc_proc, ds, 0);
}

/* A pipe whose read end holds text. */
static void pipe_with(int p[2], const char *text)
{
	ck_assert_ok(pipe(p));
	ck_assert(fd_write_full(p[1], text, strlen(text)));
}

/* ------------------------------------------------------------------ */
/* Client to server. */

START_TEST(descs_pass_pipe)
{
	struct desc_server ds;
	struct svc_server srv = serve_descs(&ds);
	struct desc_seen s;
	door_desc_t d;
	int p[2];

	pipe_with(p, "through a pipe");
	set_desc(&d, p[0], DOOR_DESCRIPTOR);
	ck_assert_ok(desc_call(srv.fd, desc_req(DESC_SEE, 0, 0, DESC_F_READ),
			       &d, 1, &s, sizeof(s)));
	ck_assert_uint_eq(s.n_desc, 1);
	ck_assert_int_eq(s.dp_null, 0);
	/* RELEASE or not, the receiver sees DOOR_DESCRIPTOR alone. */
	ck_assert_uint_eq(s.attrs[0], DOOR_DESCRIPTOR);
	ck_assert_uint_eq(s.ok, 1);
	/* Received descriptors are not close-on-exec. */
	ck_assert_int_eq(s.cloexec[0], 0);
	ck_assert_int_eq(s.data_len, (int)strlen("through a pipe"));
	s.data[s.data_len] = '\0';
	ck_assert_str_eq(s.data, "through a pipe");
	/* Without DOOR_RELEASE the caller keeps its descriptor. */
	ck_assert(is_open(p[0]));
	/* ...which still reads the same pipe as the server's copy did. */
	ck_assert(fd_write_full(p[1], "x", 1));
	{
		char c;

		ck_assert(fd_read_full(p[0], &c, 1));
		ck_assert_int_eq(c, 'x');
	}
	close(p[0]);
	close(p[1]);
}
END_TEST

START_TEST(descs_release_closes_callers_fd)
{
	struct desc_server ds;
	struct svc_server srv = serve_descs(&ds);
	struct desc_seen s;
	door_desc_t d[2];
	int p[2], keep;

	pipe_with(p, "released");
	keep = dup(p[1]);
	set_desc(&d[0], p[0], DOOR_DESCRIPTOR | DOOR_RELEASE);
	set_desc(&d[1], p[1], DOOR_DESCRIPTOR);
	ck_assert_ok(desc_call(srv.fd, desc_req(DESC_SEE, 0, 0, DESC_F_READ),
			       d, 2, &s, sizeof(s)));
	ck_assert_uint_eq(s.n_desc, 2);
	ck_assert_uint_eq(s.attrs[0], DOOR_DESCRIPTOR);	/* RELEASE not passed on */
	ck_assert_uint_eq(s.attrs[1], DOOR_DESCRIPTOR);
	ck_assert_int_eq(s.data_len, 8);
	ck_assert_int_eq(memcmp(s.data, "released", 8), 0);
	ck_assert_msg(is_closed(p[0]), "DOOR_RELEASE: the caller's fd %d "
		      "is still open after a successful call", p[0]);
	ck_assert(is_open(p[1]));
	close(p[1]);
	close(keep);
}
END_TEST

START_TEST(descs_einval_without_descriptor)
{
	struct desc_server ds;
	struct svc_server srv = serve_descs(&ds);
	struct desc_seen s;
	door_desc_t d[2];
	int p[2];

	ck_assert_ok(pipe(p));
	/* d_attributes 0. */
	set_desc(&d[0], p[0], 0);
	ck_assert_fails(desc_call(srv.fd, desc_req(DESC_SEE, 0, 0, 0), d, 1,
				  &s, sizeof(s)), EINVAL);
	/* DOOR_RELEASE alone is no descriptor either; nothing is closed. */
	set_desc(&d[0], p[0], DOOR_RELEASE);
	ck_assert_fails(desc_call(srv.fd, desc_req(DESC_SEE, 0, 0, 0), d, 1,
				  &s, sizeof(s)), EINVAL);
	ck_assert(is_open(p[0]));
	/* One good (and released) desc, then a bad one: refused whole. */
	set_desc(&d[0], p[0], DOOR_DESCRIPTOR | DOOR_RELEASE);
	set_desc(&d[1], p[1], DOOR_HANDLE);
	ck_assert_fails(desc_call(srv.fd, desc_req(DESC_SEE, 0, 0, 0), d, 2,
				  &s, sizeof(s)), EINVAL);
	ck_assert(is_open(p[0]));
	ck_assert(is_open(p[1]));
	/* None of them reached the server. */
	ck_assert_uint_eq(desc_stats(srv.fd).calls, 0);
	close(p[0]);
	close(p[1]);
}
END_TEST

/*
 * A descriptor number nothing has open, and nothing will open during the
 * test (libdoor's own descriptors take the lowest free numbers).
 */
#define NOT_OPEN_FD 1000

/* illumos (src): a desc whose fd is not open is EINVAL, not EBADF. */
START_TEST(descs_einval_bad_fd)
{
	struct desc_server ds;
	struct svc_server srv = serve_descs(&ds);
	struct desc_seen s;
	door_desc_t d;
	int p[2];

	ck_assert_ok(pipe(p));
	ck_assert(is_closed(NOT_OPEN_FD));
	set_desc(&d, NOT_OPEN_FD, DOOR_DESCRIPTOR);
	ck_assert_fails(desc_call(srv.fd, desc_req(DESC_SEE, 0, 0, 0), &d, 1,
				  &s, sizeof(s)), EINVAL);
	ck_assert_uint_eq(desc_stats(srv.fd).calls, 0);
	/* The connection is still in step: a good call works. */
	set_desc(&d, p[0], DOOR_DESCRIPTOR);
	ck_assert_ok(desc_call(srv.fd, desc_req(DESC_SEE, 0, 0, 0), &d, 1,
			       &s, sizeof(s)));
	ck_assert_uint_eq(s.n_desc, 1);
	ck_assert_uint_eq(s.ok, 1);
	close(p[0]);
	close(p[1]);
}
END_TEST

/*
 * A bad descriptor past the first batch the library sends: the call
 * fails, and the next call on the same door still finds the server in
 * step.
 */
START_TEST(descs_bad_fd_late_in_a_long_list)
{
	struct desc_server ds;
	struct svc_server srv = serve_descs(&ds);
	static door_desc_t d[300];
	struct desc_seen s;
	int p[2];

	ck_assert_ok(pipe(p));
	ck_assert(is_closed(NOT_OPEN_FD));
	for (int i = 0; i < 300; i++)
		set_desc(&d[i], p[0], DOOR_DESCRIPTOR);
	set_desc(&d[280], NOT_OPEN_FD, DOOR_DESCRIPTOR);
	errno = 0;
	ck_assert_int_eq(desc_call(srv.fd, desc_req(DESC_SEE, 0, 0, 0), d,
				   300, &s, sizeof(s)), -1);
	ck_assert_msg(errno == EINVAL || errno == EBADF,
		      "bad fd at 280: errno %s", strerrorname_np(errno));
	set_desc(&d[280], p[0], DOOR_DESCRIPTOR);
	ck_assert_ok(desc_call(srv.fd, desc_req(DESC_SEE, 0, 0, 0), d, 300,
			       &s, sizeof(s)));
	ck_assert_uint_eq(s.n_desc, 300);
	ck_assert_uint_eq(s.ok, 300);
	ck_assert_uint_eq(desc_stats(srv.fd).calls, 1);
	close(p[0]);
	close(p[1]);
}
END_TEST

START_TEST(descs_e2big_over_1024)
{
	struct desc_server ds;
	struct svc_server srv = serve_descs(&ds);
	static door_desc_t d[1025];
	struct desc_seen s;
	int p[2];

	ck_assert_ok(pipe(p));
	for (int i = 0; i < 1025; i++)
		set_desc(&d[i], p[0], DOOR_DESCRIPTOR | DOOR_RELEASE);
	ck_assert_fails(desc_call(srv.fd, desc_req(DESC_SEE, 0, 0, 0), d, 1025,
				  &s, sizeof(s)), E2BIG);
	/* Refused before any transfer: nothing released, nothing sent. */
	ck_assert(is_open(p[0]));
	ck_assert_uint_eq(desc_stats(srv.fd).calls, 0);
	close(p[0]);
	close(p[1]);
}
END_TEST

/* 1024 is the limit, not over it: in a call and in a reply. */
START_TEST(descs_1024_each_way)
{
	struct desc_server ds;
	struct svc_server srv;
	static door_desc_t d[1024];
	struct desc_req req = desc_req(DESC_GIVE, 0, 1024, 0);
	door_arg_t a = { (char *)&req, sizeof(req), NULL, 0, NULL, 0 };
	struct desc_seen s;
	int p[2];

	want_fds(FDS_FOR_1024);
	srv = serve_descs(&ds);
	ck_assert_ok(pipe(p));
	for (int i = 0; i < 1024; i++)
		set_desc(&d[i], p[0], DOOR_DESCRIPTOR);
	ck_assert_ok(desc_call(srv.fd, desc_req(DESC_SEE, 0, 0, 0), d, 1024,
			       &s, sizeof(s)));
	ck_assert_uint_eq(s.n_desc, 1024);
	ck_assert_uint_eq(s.ok, 1024);
	ck_assert_int_eq(s.distinct, 1);

	ck_assert_ok(door_call(srv.fd, &a));
	ck_assert_uint_eq(a.desc_num, 1024);
	ck_assert(fds_distinct(a.desc_ptr, 1024));
	close_descs(a.desc_ptr, 1024);
	ck_assert_ok(munmap(a.rbuf, a.rsize));
	close(p[0]);
	close(p[1]);
}
END_TEST

/* More than the kernel takes in one SCM_RIGHTS message (253). */
START_TEST(descs_300_in_one_call)
{
	struct desc_server ds;
	struct svc_server srv = serve_descs(&ds);
	static door_desc_t d[300];
	struct desc_seen s;
	int p[2];

	pipe_with(p, "batched");
	for (int i = 0; i < 300; i++)
		set_desc(&d[i], p[0], DOOR_DESCRIPTOR);
	ck_assert_ok(desc_call(srv.fd, desc_req(DESC_SEE, 0, 0, DESC_F_READ),
			       d, 300, &s, sizeof(s)));
	ck_assert_uint_eq(s.n_desc, 300);
	ck_assert_uint_eq(s.ok, 300);
	ck_assert_int_eq(s.distinct, 1);
	ck_assert_int_eq(s.data_len, 7);
	ck_assert_int_eq(memcmp(s.data, "batched", 7), 0);
	/* Again, to see the connection stayed in step. */
	ck_assert_ok(desc_call(srv.fd, desc_req(DESC_SEE, 0, 0, 0), d, 251,
			       &s, sizeof(s)));
	ck_assert_uint_eq(s.n_desc, 251);
	ck_assert_uint_eq(s.ok, 251);
	ck_assert_uint_eq(desc_stats(srv.fd).calls, 2);
	close(p[0]);
	close(p[1]);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Server to client. */

/* Check the descs of a DESC_GIVE reply; close them. */
static void check_given(const door_desc_t *dp, uint_t n, pid_t server,
			bool local)
{
	door_info_t info;
	char buf[64];

	for (uint_t i = 0; i < n; i++) {
		int fd = dp[i].d_data.d_desc.d_descriptor;
		int flags = fcntl(fd, F_GETFD);

		ck_assert_msg(flags >= 0, "desc %u: fd %d is not open", i, fd);
		ck_assert_msg(!(flags & FD_CLOEXEC),
			      "desc %u: received fd is close-on-exec", i);
		if (i == 1) {
			door_attr_t want = DOOR_DESCRIPTOR | GIVEN_ATTRS |
				(local ? DOOR_LOCAL : 0);

			ck_assert_ok(door_info(fd, &info));
			ck_assert_msg(dp[i].d_attributes == want,
				      "door desc: d_attributes 0x%x, want 0x%x",
				      dp[i].d_attributes, want);
			ck_assert_uint_eq(dp[i].d_data.d_desc.d_id,
					  info.di_uniquifier);
			ck_assert_int_eq(info.di_target, server);
		} else {
			struct stat st;

			ck_assert_msg(dp[i].d_attributes == DOOR_DESCRIPTOR,
				      "file desc %u: d_attributes 0x%x", i,
				      dp[i].d_attributes);
			ck_assert_ok(fstat(fd, &st));
			ck_assert(S_ISREG(st.st_mode));
			memset(buf, 0, sizeof(buf));
			ck_assert_int_eq(pread(fd, buf, sizeof(buf) - 1, 0),
					 (ssize_t)strlen(REG_TEXT));
			ck_assert_str_eq(buf, REG_TEXT);
		}
	}
	ck_assert(fds_distinct(dp, n));
}

START_TEST(descs_server_returns_file_and_door)
{
	struct desc_server ds;
	struct svc_server srv = serve_descs(&ds);
	struct desc_req req = desc_req(DESC_GIVE, 10, 2, 0);
	char rbuf[512];
	door_arg_t a = { (char *)&req, sizeof(req), NULL, 0, rbuf,
			 sizeof(rbuf) };
	char out[16];
	int door_fd;

	ck_assert_ok(door_call(srv.fd, &a));
	ck_assert_ptr_eq(a.rbuf, rbuf);
	ck_assert_uint_eq(a.rsize, sizeof(rbuf));
	ck_assert_ptr_eq(a.data_ptr, rbuf);
	ck_assert_uint_eq(a.data_size, 10);
	ck_assert(pattern_ok(a.data_ptr, 10, 10));
	ck_assert_uint_eq(a.desc_num, 2);
	ck_assert_ptr_eq((char *)a.desc_ptr, rbuf + 24);
	check_given(a.desc_ptr, 2, srv.child.pid, false);

	/* The door that came back works. */
	door_fd = a.desc_ptr[1].d_data.d_desc.d_descriptor;
	ck_assert_ok(svc_call(door_fd, SVC_PATTERN, sizeof(out), 5, 0, out,
			      sizeof(out)));
	ck_assert(pattern_ok(out, sizeof(out), 5));
	close_descs(a.desc_ptr, 2);
}
END_TEST

/*
 * need = roundup(data, 24) + 24 * ndesc: a reply that needs exactly rsize
 * lands in rbuf, one byte more is mapped; desc_ptr follows the rounded-up
 * data either way.
 */
START_TEST(descs_result_layout)
{
	static const uint32_t sizes[] = { 0, 1, 23, 24, 25, 100 };
	static const uint32_t counts[] = { 1, 2, 3 };
	struct desc_server ds;
	struct svc_server srv = serve_descs(&ds);
	char rbuf[512];

	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		for (size_t j = 0; j < sizeof(counts) / sizeof(counts[0]); j++) {
			uint32_t n = sizes[i], k = counts[j];
			size_t need = ROUNDUP(n, sizeof(door_desc_t)) +
				k * sizeof(door_desc_t);
			struct desc_req req = desc_req(DESC_GIVE, n, k, 0);

			for (int over = 0; over < 2; over++) {
				door_arg_t a = { (char *)&req, sizeof(req),
						 NULL, 0, rbuf,
						 need - (size_t)over };

				ck_assert_ok(door_call(srv.fd, &a));
				if (over) {
					ck_assert_msg(a.rbuf != rbuf,
						      "%u+%u descs in %zu bytes "
						      "(need %zu): not mapped",
						      n, k, a.rsize, need);
					ck_assert_uint_ge(a.rsize, need);
				} else {
					ck_assert_msg(a.rbuf == rbuf,
						      "%u+%u descs: need %zu = "
						      "rsize, yet mapped", n,
						      k, need);
					ck_assert_uint_eq(a.rsize, need);
				}
				ck_assert_ptr_eq(a.data_ptr, a.rbuf);
				ck_assert_uint_eq(a.data_size, n);
				ck_assert(pattern_ok(a.data_ptr, n, n));
				ck_assert_uint_eq(a.desc_num, k);
				ck_assert_msg((char *)a.desc_ptr == a.rbuf +
					      ROUNDUP(n, sizeof(door_desc_t)),
					      "%u bytes + %u descs: desc_ptr "
					      "at rbuf%+td", n, k,
					      (char *)a.desc_ptr - a.rbuf);
				check_given(a.desc_ptr, k, srv.child.pid,
					    false);
				close_descs(a.desc_ptr, k);
				if (a.rbuf != rbuf)
					ck_assert_ok(munmap(a.rbuf, a.rsize));
			}
		}
	}
	/* rbuf NULL, rsize 0: mapped. */
	{
		struct desc_req req = desc_req(DESC_GIVE, 3, 2, 0);
		door_arg_t a = { (char *)&req, sizeof(req), NULL, 0, NULL, 0 };

		ck_assert_ok(door_call(srv.fd, &a));
		ck_assert_ptr_nonnull(a.rbuf);
		ck_assert_uint_eq(a.desc_num, 2);
		ck_assert_ptr_eq((char *)a.desc_ptr, a.rbuf + 24);
		check_given(a.desc_ptr, 2, srv.child.pid, false);
		close_descs(a.desc_ptr, 2);
		ck_assert_ok(munmap(a.rbuf, a.rsize));
	}
}
END_TEST

START_TEST(descs_server_returns_300)
{
	struct desc_server ds;
	struct svc_server srv = serve_descs(&ds);
	struct desc_req req = desc_req(DESC_GIVE, 0, 300, 0);
	door_arg_t a = { (char *)&req, sizeof(req), NULL, 0, NULL, 0 };
	struct stat first;

	ck_assert_ok(door_call(srv.fd, &a));
	ck_assert_uint_eq(a.desc_num, 300);
	ck_assert_ptr_eq((char *)a.desc_ptr, a.rbuf);
	ck_assert(fds_distinct(a.desc_ptr, 300));
	ck_assert_ok(fstat(a.desc_ptr[0].d_data.d_desc.d_descriptor, &first));
	for (int i = 0; i < 300; i++) {
		int fd = a.desc_ptr[i].d_data.d_desc.d_descriptor;

		if (i == 1)
			continue;	/* the door */
		ck_assert_uint_eq(a.desc_ptr[i].d_attributes, DOOR_DESCRIPTOR);
		ck_assert(same_inode(fd, a.desc_ptr[0].d_data.d_desc.d_descriptor));
	}
	close_descs(a.desc_ptr, 300);
	ck_assert_ok(munmap(a.rbuf, a.rsize));
}
END_TEST

/* door_return with more than 1024: E2BIG, and the client still waits. */
START_TEST(descs_return_e2big_over_1024)
{
	struct desc_server ds;
	struct svc_server srv = serve_descs(&ds);
	struct desc_rc r;

	ck_assert_ok(desc_call(srv.fd, desc_req(DESC_TOO_MANY, 0, 0, 0), NULL,
			       0, &r, sizeof(r)));
	ck_assert_int_eq(r.rc, -1);
	ck_assert_int_eq(r.err, E2BIG);
}
END_TEST

/* How many descriptors this process has open. */
static int open_fds(void)
{
	int n = 0;

	for (int fd = 0; fd < 4096; fd++)
		n += fcntl(fd, F_GETFD) >= 0;
	return n;
}

/*
 * A client without room for the descriptors of a reply: illumos fails the
 * server's door_return with EMFILE (the client waits on, and gets what the
 * server sends next); door_call's EMFILE row allows the client to hear it
 * instead.  Either way no descriptor leaks and the door works on.
 */
START_TEST(descs_emfile_client_full)
{
	struct desc_server ds;
	struct svc_server srv = serve_descs(&ds);
	struct desc_req req = desc_req(DESC_GIVE, 4, 60, 0);
	char rbuf[4096];
	door_arg_t a = { (char *)&req, sizeof(req), NULL, 0, rbuf,
			 sizeof(rbuf) };
	struct rlimit lim, low;
	struct desc_stats st;
	int before, rc, err;

	/* Make the connection first: it needs descriptors of its own. */
	st = desc_stats(srv.fd);
	ck_assert_ok(getrlimit(RLIMIT_NOFILE, &lim));
	before = open_fds();
	/* Room for 8 more: the limit is the ninth free descriptor number. */
	low = lim;
	for (int fd = 0, free_fds = 0; free_fds < 9; fd++) {
		if (fcntl(fd, F_GETFD) < 0 && ++free_fds == 9)
			low.rlim_cur = (rlim_t)fd;
	}
	ck_assert_ok(setrlimit(RLIMIT_NOFILE, &low));
	errno = 0;
	rc = door_call(srv.fd, &a);
	err = errno;
	ck_assert_ok(setrlimit(RLIMIT_NOFILE, &lim));
	st = desc_stats(srv.fd);
	ck_assert_msg((rc == -1 && err == EMFILE) ||
		      (rc == 0 && a.desc_num == 0 && st.give_errno == EMFILE),
		      "60 descs for a client with room for %d: door_call "
		      "%d/%s with %u descs; the server's door_return %s",
		      8, rc, err ? strerrorname_np(err) : "0",
		      rc == 0 ? a.desc_num : 0,
		      st.give_errno ? strerrorname_np(st.give_errno) : "0");
	if (rc == 0 && a.rbuf != rbuf)
		munmap(a.rbuf, a.rsize);
	ck_assert_int_eq(open_fds(), before);
	/* The door works on, descriptors and all. */
	req = desc_req(DESC_GIVE, 4, 3, 0);
	a = (door_arg_t){ (char *)&req, sizeof(req), NULL, 0, rbuf,
			  sizeof(rbuf) };
	ck_assert_ok(door_call(srv.fd, &a));
	ck_assert_uint_eq(a.desc_num, 3);
	check_given(a.desc_ptr, 3, srv.child.pid, false);
	close_descs(a.desc_ptr, 3);
}
END_TEST

/* DOOR_RELEASE on a reply closes the server's descriptor. */
START_TEST(descs_return_release)
{
	struct desc_server ds;
	struct svc_server srv = serve_descs(&ds);
	struct desc_req req = desc_req(DESC_GIVE, 0, 1, DESC_F_RELEASE);
	char rbuf[64];
	door_arg_t a = { (char *)&req, sizeof(req), NULL, 0, rbuf,
			 sizeof(rbuf) };
	struct desc_stats st;

	ck_assert_ok(door_call(srv.fd, &a));
	ck_assert_uint_eq(a.desc_num, 1);
	/* RELEASE is not passed on. */
	ck_assert_uint_eq(a.desc_ptr[0].d_attributes, DOOR_DESCRIPTOR);
	check_given(a.desc_ptr, 1, srv.child.pid, false);
	close_descs(a.desc_ptr, 1);
	st = desc_stats(srv.fd);
	ck_assert_int_ge(st.released_fd, 0);
	ck_assert_msg(st.released_closed, "the server's DOOR_RELEASE fd %d is "
		      "still open after door_return", st.released_fd);
}
END_TEST

/* The receiver's own door comes back with DOOR_LOCAL and its id. */
START_TEST(descs_own_door_comes_back_local)
{
	struct desc_server ds;
	struct svc_server srv = serve_descs(&ds);
	struct svc_door mine;
	door_info_t info;
	door_desc_t d;
	char rbuf[128], out[8];
	door_arg_t a;
	struct desc_req req = desc_req(DESC_ECHO, 0, 0, 0);
	int fd;

	svc_init(&mine, DOOR_NO_CANCEL);
	ck_assert_int_ge(svc_create(&mine), 0);
	ck_assert_ok(door_info(mine.fd, &info));

	set_desc(&d, mine.fd, DOOR_DESCRIPTOR);
	a = (door_arg_t){ (char *)&req, sizeof(req), &d, 1, rbuf,
			  sizeof(rbuf) };
	ck_assert_ok(door_call(srv.fd, &a));
	ck_assert_uint_eq(a.data_size, 0);
	ck_assert_uint_eq(a.desc_num, 1);
	ck_assert_ptr_eq((char *)a.desc_ptr, rbuf);
	fd = a.desc_ptr[0].d_data.d_desc.d_descriptor;
	ck_assert_msg(a.desc_ptr[0].d_attributes ==
		      (DOOR_DESCRIPTOR | DOOR_NO_CANCEL | DOOR_LOCAL),
		      "own door back: d_attributes 0x%x, want 0x%x",
		      a.desc_ptr[0].d_attributes,
		      DOOR_DESCRIPTOR | DOOR_NO_CANCEL | DOOR_LOCAL);
	ck_assert_uint_eq(a.desc_ptr[0].d_data.d_desc.d_id,
			  info.di_uniquifier);
	ck_assert_int_ne(fd, mine.fd);
	ck_assert(is_open(mine.fd));
	/* A new descriptor of the same door, which answers calls. */
	ck_assert_ok(door_info(fd, &info));
	ck_assert_int_eq(info.di_target, getpid());
	ck_assert_ok(svc_call(fd, SVC_PATTERN, sizeof(out), 9, 0, out,
			      sizeof(out)));
	ck_assert(pattern_ok(out, sizeof(out), 9));
	ck_assert_uint_eq(svc_local_state(&mine).calls, 1);
	close(fd);
}
END_TEST

/* A door passed in a call is a door the receiver can call. */
START_TEST(descs_passed_door_called_by_receiver)
{
	struct desc_server ds;
	struct svc_server srv = serve_descs(&ds);
	struct svc_door mine;
	door_info_t info;
	struct desc_called c;
	door_desc_t d;

	svc_init(&mine, DOOR_NO_CANCEL);
	ck_assert_int_ge(svc_create(&mine), 0);
	ck_assert_ok(door_info(mine.fd, &info));
	set_desc(&d, mine.fd, DOOR_DESCRIPTOR);
	ck_assert_ok(desc_call(srv.fd, desc_req(DESC_CALL, 100, 0, 0), &d, 1,
			       &c, sizeof(c)));
	ck_assert_uint_eq(c.n_desc, 1);
	/* The server did not create it: no DOOR_LOCAL there. */
	ck_assert_msg(c.attrs == (DOOR_DESCRIPTOR | DOOR_NO_CANCEL),
		      "server's d_attributes 0x%x, want 0x%x", c.attrs,
		      DOOR_DESCRIPTOR | DOOR_NO_CANCEL);
	ck_assert_uint_eq(c.id, info.di_uniquifier);
	ck_assert_int_eq(c.info_rc, 0);
	ck_assert_uint_eq(c.info_id, info.di_uniquifier);
	ck_assert_uint_eq(c.info_attrs & ~(uint32_t)DOOR_IS_UNREF,
			  DOOR_NO_CANCEL);
	ck_assert_msg(c.call_rc == 0, "the receiver's door_call: %d/%s",
		      c.call_rc, strerrorname_np(c.call_errno));
	ck_assert(c.pattern_ok);
	/* It was our procedure that answered. */
	ck_assert_uint_eq(svc_local_state(&mine).calls, 1);
	ck_assert(is_open(mine.fd));
}
END_TEST

/* ------------------------------------------------------------------ */
/* Refusals. */

START_TEST(descs_refuse_desc_enotsup)
{
	struct svc_door sd;
	door_desc_t d;
	char rbuf[64];
	door_arg_t a;
	int p[2];

	svc_init(&sd, DOOR_REFUSE_DESC);
	ck_assert_int_ge(svc_create(&sd), 0);
	ck_assert_ok(pipe(p));
	set_desc(&d, p[0], DOOR_DESCRIPTOR);
	a = (door_arg_t){ NULL, 0, &d, 1, rbuf, sizeof(rbuf) };
	ck_assert_fails(door_call(sd.fd, &a), ENOTSUP);
	ck_assert(is_open(p[0]));
	ck_assert_uint_eq(svc_local_state(&sd).calls, 0);
	close(p[0]);
	close(p[1]);
}
END_TEST

/*
 * illumos (src): ENOTSUP and ENFILE are found before the transfer, so
 * DOOR_RELEASE descriptors stay open.
 */
START_TEST(descs_enotsup_release_stays_open)
{
	struct svc_door refuse;
	door_desc_t d;
	char rbuf[64];
	door_arg_t a;
	int p[2];

	svc_init(&refuse, DOOR_REFUSE_DESC);
	ck_assert_int_ge(svc_create(&refuse), 0);
	ck_assert_ok(pipe(p));
	set_desc(&d, p[0], DOOR_DESCRIPTOR | DOOR_RELEASE);
	a = (door_arg_t){ NULL, 0, &d, 1, rbuf, sizeof(rbuf) };
	ck_assert_fails(door_call(refuse.fd, &a), ENOTSUP);
	ck_assert_msg(is_open(p[0]), "ENOTSUP closed a DOOR_RELEASE fd");
	close(p[0]);
	close(p[1]);
}
END_TEST

START_TEST(descs_enfile_release_stays_open)
{
	struct desc_server ds;
	door_desc_t d[2];
	struct desc_seen s;
	int fd, p[2];

	desc_server_init(&ds);
	fd = door_create(desc_proc, &ds, 0);
	ck_assert_int_ge(fd, 0);
	ck_assert_ok(door_setparam(fd, DOOR_PARAM_DESC_MAX, 1));
	ck_assert_ok(pipe(p));
	set_desc(&d[0], p[0], DOOR_DESCRIPTOR | DOOR_RELEASE);
	set_desc(&d[1], p[1], DOOR_DESCRIPTOR | DOOR_RELEASE);
	ck_assert_fails(desc_call(fd, desc_req(DESC_SEE, 0, 0, 0), d, 2, &s,
				  sizeof(s)), ENFILE);
	ck_assert_msg(is_open(p[0]) && is_open(p[1]),
		      "ENFILE closed a DOOR_RELEASE fd");
	close(p[0]);
	close(p[1]);
}
END_TEST

START_TEST(descs_desc_max_enfile)
{
	struct desc_server ds;
	struct desc_seen s;
	door_desc_t d[3];
	int fd, p[2];
	size_t v;

	desc_server_init(&ds);
	fd = door_create(desc_proc, &ds, 0);
	ck_assert_int_ge(fd, 0);
	ck_assert_ok(door_setparam(fd, DOOR_PARAM_DESC_MAX, 2));
	ck_assert_ok(door_getparam(fd, DOOR_PARAM_DESC_MAX, &v));
	ck_assert_uint_eq(v, 2);
	ck_assert_ok(pipe(p));
	for (int i = 0; i < 3; i++)
		set_desc(&d[i], p[0], DOOR_DESCRIPTOR);
	ck_assert_fails(desc_call(fd, desc_req(DESC_SEE, 0, 0, 0), d, 3, &s,
				  sizeof(s)), ENFILE);
	ck_assert_ok(desc_call(fd, desc_req(DESC_SEE, 0, 0, 0), d, 2, &s,
			       sizeof(s)));
	ck_assert_uint_eq(s.n_desc, 2);
	ck_assert_uint_eq(s.ok, 2);
	/* Only the accepted call reached the procedure. */
	ck_assert_uint_eq(desc_stats(fd).calls, 1);
	/* DESC_MAX 0: no descriptor at all, data still fine. */
	ck_assert_ok(door_setparam(fd, DOOR_PARAM_DESC_MAX, 0));
	ck_assert_fails(desc_call(fd, desc_req(DESC_SEE, 0, 0, 0), d, 1, &s,
				  sizeof(s)), ENFILE);
	ck_assert_ok(desc_call(fd, desc_req(DESC_SEE, 0, 0, 0), NULL, 0, &s,
			       sizeof(s)));
	ck_assert_uint_eq(s.n_desc, 0);
	ck_assert_int_eq(s.dp_null, 1);
	close(p[0]);
	close(p[1]);
}
END_TEST

Suite *descs_suite(void)
{
	Suite *s = suite_create("descs");
	TCase *tc = harness_tcase(s, "to_server");

	tcase_add_test(tc, descs_pass_pipe);
	tcase_add_test(tc, descs_release_closes_callers_fd);
	tcase_add_test(tc, descs_einval_without_descriptor);
	tcase_add_test(tc, descs_einval_bad_fd);
	tcase_add_test(tc, descs_bad_fd_late_in_a_long_list);
	tcase_add_test(tc, descs_e2big_over_1024);
	tcase_add_test(tc, descs_300_in_one_call);
	/* Left out where the hard limit leaves no room for them. */
	if (can_have_fds_for_1024())
		tcase_add_test(tc, descs_1024_each_way);

	tc = harness_tcase(s, "to_client");
	tcase_add_test(tc, descs_server_returns_file_and_door);
	tcase_add_test(tc, descs_result_layout);
	tcase_add_test(tc, descs_server_returns_300);
	tcase_add_test(tc, descs_return_e2big_over_1024);
	tcase_add_test(tc, descs_return_release);
	tcase_add_test(tc, descs_emfile_client_full);
	tcase_add_test(tc, descs_own_door_comes_back_local);
	tcase_add_test(tc, descs_passed_door_called_by_receiver);

	tc = harness_tcase(s, "refusals");
	tcase_add_test(tc, descs_refuse_desc_enotsup);
	tcase_add_test(tc, descs_enotsup_release_stays_open);
	tcase_add_test(tc, descs_enfile_release_stays_open);
	tcase_add_test(tc, descs_desc_max_enfile);
	return s;
}
