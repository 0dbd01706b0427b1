/*
 * test_forward.c: file-plane calls the daemon forwards to a libdoor
 * server over the fast plane (docs/PROTOCOL.md, "Forwarding").
 *
 * The daemon connects to the server's rendezvous after a door's first
 * file-plane call; the tests wait until that connection shows in
 * /proc/net/unix (the accepted socket carries the rendezvous name), so
 * what follows is known to travel the forwarded path.  What a caller
 * sees must be what it saw through the server end: its own credentials
 * in door_ucred, ECONNRESET when the server dies serving it, EINTR when
 * interrupted, every answer under concurrency.  And no one but the
 * daemon may name a caller in the slot.
 */
#include "service.h"

#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <stdatomic.h>

#include <doorfs.h>

/* ------------------------------------------------------------------ */
/* Seeing the daemon's connection. */

/* Connections accepted at fd's server rendezvous, or -1. */
static int rendezvous_conns(int fd)
{
	struct doorfs_rendezvous where;
	char line[512], want[DOORFS_RENDEZVOUS_MAX + 4];
	int count = 0;
	FILE *f;

	memset(&where, 0, sizeof(where));
	if (ioctl(fd, DOORFS_IOC_RENDEZVOUS, &where) < 0 || !where.name[0])
		return -1;
	snprintf(want, sizeof(want), "@%s\n", where.name);
	f = fopen("/proc/net/unix", "re");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		size_t n = strlen(line), w = strlen(want);

		if (n >= w && strcmp(line + n - w, want) == 0)
			count++;
	}
	fclose(f);
	return count - 1;       /* the listening socket */
}

/* Wait (at most WAIT_MS) until the daemon has connected to fd's server. */
static bool wait_forwarding(int fd)
{
	for (int waited = 0; waited < WAIT_MS; waited += 2) {
		if (rendezvous_conns(fd) >= 1)
			return true;
		sleep_ms(2);
	}
	return false;
}

/* One file-plane call: write the request, read the whole result. */
static ssize_t fp_call(int fd, struct svc_req req, void *out, size_t cap)
{
	if (write(fd, &req, sizeof(req)) != (ssize_t)sizeof(req))
		return -1;
	return read_result(fd, out, cap);
}

/*
 * A file-plane caller child: open the door of process server (its
 * descriptor door_fd) read-write, make one call (which sets the
 * daemon's connection up), tell the test, and wait for its go-ahead
 * before going on with go().
 */
struct fp_caller {
	pid_t server;
	int door_fd;
	uid_t become;           /* 0: stay root */
	int (*go)(const struct fp_caller *a, int fd, int ctl);
};

static int fp_caller_main(void *arg, int ctl)
{
	const struct fp_caller *a = arg;
	struct svc_state st;
	char b;
	int fd = open_fd_of(a->server, a->door_fd, O_RDWR);

	CHILD_ASSERT(fd >= 0, "open the door: %s", strerrorname_np(errno));
	if (a->become)
		become_user(a->become, a->become);
	CHILD_ASSERT(fp_call(fd, svc_req(SVC_STATE, 0, 0, 0), &st,
			     sizeof(st)) == sizeof(st),
		     "first call: %s", strerrorname_np(errno));
	ctl_send(ctl, "1", 1);
	ctl_recv(ctl, &b, 1);
	return a->go(a, fd, ctl);
}

/* Start a caller and wait until its calls are forwarded. */
static struct child start_forwarded_caller(struct fp_caller *a, int fd)
{
	struct child c = child_start(fp_caller_main, a, CHILD_EXIT);
	char b;

	child_recv(&c, &b, 1);
	ck_assert_msg(wait_forwarding(fd), "the daemon never connected to "
		      "the server to forward file-plane calls");
	child_send(&c, "g", 1);
	return c;
}

/* ------------------------------------------------------------------ */

static int check_creds(const struct fp_caller *a, int fd, int ctl)
{
	struct doorfs_call *call = calloc(1, sizeof(*call));
	struct svc_creds cr;
	struct svc_req req = svc_req(SVC_CREDS, 0, 0, 0);
	uid_t uid = a->become ? a->become : 0;

	(void)ctl;
	CHILD_ASSERT(call, "calloc");
	for (int i = 0; i < 20; i++) {
		/* By turns: write and read, and the ioctl. */
		if (i % 2) {
			memset(call, 0, offsetof(struct doorfs_call, data));
			call->version = DOORFS_VERSION;
			call->arg_size = sizeof(req);
			memcpy(call->data, &req, sizeof(req));
			CHILD_OK(ioctl(fd, DOORFS_IOC_CALL, call));
			CHILD_ASSERT(call->result_size == sizeof(cr),
				     "creds reply: %u", call->result_size);
			memcpy(&cr, call->data, sizeof(cr));
		} else {
			CHILD_ASSERT(fp_call(fd, req, &cr, sizeof(cr)) ==
				     sizeof(cr), "creds reply: %s",
				     strerrorname_np(errno));
		}
		CHILD_ASSERT(cr.ucred_rc == 0, "door_ucred: %s",
			     strerrorname_np(cr.ucred_errno));
		CHILD_ASSERT(cr.pid == getpid(), "ucred pid %d, want %d",
			     cr.pid, getpid());
		CHILD_ASSERT(cr.euid == (int32_t)uid && cr.egid == (int32_t)uid,
			     "ucred euid/egid %d/%d, want %u", cr.euid,
			     cr.egid, (unsigned)uid);
		CHILD_ASSERT(cr.ruid == (int32_t)uid, "ucred ruid %d", cr.ruid);
		CHILD_ASSERT(cr.cred_rc == 0 && cr.dc.dc_euid == uid &&
			     cr.dc.dc_pid == getpid(), "door_cred: %d/%s, "
			     "euid %d pid %d", cr.cred_rc,
			     strerrorname_np(cr.cred_errno),
			     (int)cr.dc.dc_euid, (int)cr.dc.dc_pid);
	}
	free(call);
	return 0;
}

START_TEST(forwarded_caller_credentials)
{
	struct svc_door sd;
	struct fp_caller a;
	struct child c;

	svc_init(&sd, 0);
	ck_assert_int_ge(svc_create(&sd), 0);
	ck_assert_int_eq(rendezvous_conns(sd.fd), 0);
	a = (struct fp_caller){ getpid(), sd.fd, 0, check_creds };
	c = start_forwarded_caller(&a, sd.fd);
	ck_assert_int_eq(child_join(&c), 0);
	ck_assert_uint_eq(svc_local_state(&sd).calls, 21);
}
END_TEST

START_TEST(forwarded_caller_is_nobody)
{
	struct svc_door sd;
	struct fp_caller a;
	struct child c;

	if (!harness_is_root())
		return;         /* changing uid needs root */
	svc_init(&sd, 0);
	ck_assert_int_ge(svc_create(&sd), 0);
	a = (struct fp_caller){ getpid(), sd.fd, NOBODY, check_creds };
	c = start_forwarded_caller(&a, sd.fd);
	ck_assert_int_eq(child_join(&c), 0);
}
END_TEST

/* ------------------------------------------------------------------ */
/* A fast-plane client by hand, to say what libdoor never would. */

struct raw_conn {
	int sock, wake, doorbell;
	struct doorfs_slot *slot;
};

/*
 * Connect to fd's server with this hello, passing the door descriptor
 * first when with_door.  Returns the welcome's error (0: connected).
 */
static int raw_connect(int fd, bool with_door, uint32_t flags, uint64_t key,
		       struct raw_conn *rc)
{
	struct doorfs_rendezvous where;
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	struct doorfs_hello hello;
	struct doorfs_welcome w;
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(3 * sizeof(int))];
	} ctl;
	int fds[3], nfds = 0, slotfd;
	struct iovec iov;
	struct msghdr msg;
	struct cmsghdr *cm;

	memset(&where, 0, sizeof(where));
	ck_assert_ok(ioctl(fd, DOORFS_IOC_RENDEZVOUS, &where));
	memcpy(addr.sun_path + 1, where.name, strlen(where.name));
	rc->sock = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	ck_assert_int_ge(rc->sock, 0);
	ck_assert_ok(connect(rc->sock, (struct sockaddr *)&addr,
			     (socklen_t)(offsetof(struct sockaddr_un, sun_path)
					 + 1 + strlen(where.name))));
	rc->wake = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	slotfd = memfd_create("test-slot", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	ck_assert_int_ge(rc->wake, 0);
	ck_assert_int_ge(slotfd, 0);
	ck_assert_ok(ftruncate(slotfd, DOORFS_SLOT_SIZE));
	ck_assert_ok(fcntl(slotfd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW));
	rc->slot = mmap(NULL, DOORFS_SLOT_SIZE, PROT_READ | PROT_WRITE,
			MAP_SHARED, slotfd, 0);
	ck_assert(rc->slot != MAP_FAILED);
	rc->slot->version = DOORFS_SLOT_VERSION;
	rc->slot->server_cpu = -1;
	rc->slot->client_sleeping = 1;

	memset(&hello, 0, sizeof(hello));
	hello.version = DOORFS_VERSION;
	hello.slot_size = DOORFS_SLOT_SIZE;
	hello.door_id = where.id;
	hello.flags = flags;
	hello.forward_key = key;
	if (with_door)
		fds[nfds++] = fd;
	fds[nfds++] = slotfd;
	fds[nfds++] = rc->wake;
	iov = (struct iovec){ &hello, sizeof(hello) };
	memset(&msg, 0, sizeof(msg));
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	msg.msg_control = ctl.buf;
	msg.msg_controllen = CMSG_SPACE(nfds * sizeof(int));
	cm = CMSG_FIRSTHDR(&msg);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(nfds * sizeof(int));
	memcpy(CMSG_DATA(cm), fds, nfds * sizeof(int));
	ck_assert_int_eq(sendmsg(rc->sock, &msg, 0), sizeof(hello));
	close(slotfd);

	iov = (struct iovec){ &w, sizeof(w) };
	msg.msg_controllen = sizeof(ctl.buf);
	ck_assert_int_eq(recvmsg(rc->sock, &msg, MSG_CMSG_CLOEXEC), sizeof(w));
	rc->doorbell = -1;
	cm = CMSG_FIRSTHDR(&msg);
	if (cm && cm->cmsg_type == SCM_RIGHTS)
		memcpy(&rc->doorbell, CMSG_DATA(cm), sizeof(int));
	ck_assert_int_eq(w.error == 0, rc->doorbell >= 0);
	return w.error;
}

static void raw_close(struct raw_conn *rc)
{
	close(rc->sock);
	close(rc->wake);
	if (rc->doorbell >= 0)
		close(rc->doorbell);
	munmap(rc->slot, DOORFS_SLOT_SIZE);
}

/* One call through the slot; the reply's size (the data after slot). */
static size_t raw_call(struct raw_conn *rc, const void *args, size_t len)
{
	_Atomic uint32_t *state = (_Atomic uint32_t *)&rc->slot->state;
	uint64_t one = 1;
	struct pollfd p = { .fd = rc->wake, .events = POLLIN };

	memcpy(rc->slot + 1, args, len);
	rc->slot->size = len;
	rc->slot->seq++;
	atomic_store(state, DOORFS_SLOT_CALL);
	ck_assert_int_eq(write(rc->doorbell, &one, sizeof(one)), sizeof(one));
	while (atomic_load(state) != DOORFS_SLOT_REPLY)
		ck_assert_msg(poll(&p, 1, WAIT_MS) == 1 ||
			      atomic_load(state) == DOORFS_SLOT_REPLY,
			      "no reply in the slot");
	ck_assert_int_eq(rc->slot->error, 0);
	atomic_store(state, DOORFS_SLOT_IDLE);
	return rc->slot->size;
}

START_TEST(forward_key_only_for_the_daemon)
{
	struct svc_door sd;
	struct raw_conn rc;
	uint64_t key = 0;
	int client;

	svc_init(&sd, 0);
	ck_assert_int_ge(svc_create(&sd), 0);

	/* The key is for the end that described the door (libdoor's own),
	 * not for door_create's descriptor, nor for a client. */
	ck_assert_fails(ioctl(sd.fd, DOORFS_IOC_FORWARD_KEY, &key), EPERM);
	client = open_fd_of(getpid(), sd.fd, O_RDONLY);
	ck_assert_int_ge(client, 0);
	ck_assert_fails(ioctl(client, DOORFS_IOC_FORWARD_KEY, &key), EPERM);
	close(client);

	/* Claiming to be the daemon without its key gets nowhere. */
	ck_assert_int_eq(raw_connect(sd.fd, false, DOORFS_HELLO_FORWARD,
				     0x0123456789abcdefull, &rc), EPERM);
	raw_close(&rc);
	ck_assert_int_eq(raw_connect(sd.fd, false, DOORFS_HELLO_FORWARD, 0,
				     &rc), EPERM);
	raw_close(&rc);
	/* Nor does an unknown flag, or a key on an ordinary hello. */
	ck_assert_int_eq(raw_connect(sd.fd, true, 0x2, 0, &rc), EPROTO);
	raw_close(&rc);
	ck_assert_int_eq(raw_connect(sd.fd, true, 0, 42, &rc), EPROTO);
	raw_close(&rc);
	ck_assert_uint_eq(svc_local_state(&sd).calls, 0);
}
END_TEST

START_TEST(slot_credentials_ignored_from_a_client)
{
	struct svc_door sd;
	struct raw_conn rc;
	struct svc_req req = svc_req(SVC_CREDS, 0, 0, 0);
	struct svc_creds cr;

	svc_init(&sd, 0);
	ck_assert_int_ge(svc_create(&sd), 0);
	ck_assert_int_eq(raw_connect(sd.fd, true, 0, 0, &rc), 0);
	/* A client names someone else as the caller: not believed. */
	rc.slot->caller_tid = 1;
	rc.slot->caller_uid = 4242;
	rc.slot->caller_gid = 4242;
	rc.slot->result_max = 0;
	ck_assert_uint_eq(raw_call(&rc, &req, sizeof(req)), sizeof(cr));
	memcpy(&cr, rc.slot + 1, sizeof(cr));
	ck_assert_int_eq(cr.ucred_rc, 0);
	ck_assert_int_eq(cr.pid, getpid());
	ck_assert_int_eq(cr.euid, (int32_t)geteuid());
	ck_assert_int_eq(cr.egid, (int32_t)getegid());
	raw_close(&rc);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Failure on the forwarded path. */

START_TEST(server_killed_during_forwarded_call)
{
	struct svc_door sd;
	struct svc_server srv;
	struct svc_state st;
	char out[16];
	int fd;

	svc_init(&sd, 0);
	srv = svc_serve_in_child(&sd);
	fd = open_fd_of(srv.child.pid, srv.server_fd, O_RDWR);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(fp_call(fd, svc_req(SVC_STATE, 0, 0, 0), &st,
				 sizeof(st)), sizeof(st));
	ck_assert(wait_forwarding(fd));

	struct svc_req req = svc_req(SVC_HOLD, sizeof(out), 1, 0);
	ck_assert_int_eq(write(fd, &req, sizeof(req)), sizeof(req));
	/* Held: the server dies serving it. */
	pid_t killer = fork();
	ck_assert_int_ge(killer, 0);
	if (killer == 0) {
		char b;

		if (fd_read_full(sd.hold[0], &b, 1))
			kill(srv.child.pid, SIGKILL);
		_exit(0);
	}
	ck_assert_fails(read(fd, out, sizeof(out)), ECONNRESET);
	ck_assert_int_eq(child_join(&srv.child), 128 + SIGKILL);
	ck_assert_int_eq(waitpid(killer, NULL, 0), killer);

	/* A retried read hears it again; the door is dead from now on. */
	ck_assert(wait_revoked(fd));
	ck_assert_fails(read(fd, out, sizeof(out)), ECONNRESET);
	ck_assert_fails(write(fd, &req, sizeof(req)), EBADF);
	ck_assert_fails(read(fd, out, sizeof(out)), EBADF);
	close(fd);
}
END_TEST

static void on_usr1(int sig)
{
	(void)sig;
}

static int interrupted_call(const struct fp_caller *a, int fd, int ctl)
{
	struct sigaction sa = { .sa_handler = on_usr1 };
	struct svc_req req = svc_req(SVC_HOLD, 64, 7, 0);
	char out[64], b;

	(void)a;
	sigaction(SIGUSR1, &sa, NULL);          /* no SA_RESTART needed */
	CHILD_ASSERT(write(fd, &req, sizeof(req)) == sizeof(req), "write");
	CHILD_FAILS(read(fd, out, sizeof(out)), EINTR);
	CHILD_FAILS(read(fd, out, sizeof(out)), ECANCELED);
	ctl_send(ctl, "i", 1);
	ctl_recv(ctl, &b, 1);
	/* The abandoned call ended in the server; the door goes on. */
	req = svc_req(SVC_PATTERN, 64, 8, 0);
	CHILD_ASSERT(fp_call(fd, req, out, sizeof(out)) == sizeof(out) &&
		     pattern_ok(out, sizeof(out), 8), "call after EINTR");
	return 0;
}

START_TEST(interrupted_forwarded_call)
{
	struct svc_door sd;
	struct fp_caller a;
	struct child c;
	char b;

	svc_init(&sd, 0);
	ck_assert_int_ge(svc_create(&sd), 0);
	a = (struct fp_caller){ getpid(), sd.fd, 0, interrupted_call };
	c = start_forwarded_caller(&a, sd.fd);
	svc_wait_hold(&sd);
	ck_assert(wait_sleeping(c.pid, c.pid));
	ck_assert_ok(kill(c.pid, SIGUSR1));
	child_recv(&c, &b, 1);
	svc_release(&sd);
	child_send(&c, "g", 1);
	ck_assert_int_eq(child_join(&c), 0);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Load on the forwarded path. */

#define CONCURRENT_CALLERS 8
#define CALLS_EACH 150

static int many_calls(const struct fp_caller *a, int fd, int ctl)
{
	(void)a, (void)ctl;
	verify_calls_fileplane(fd, CALLS_EACH, 1000u * (unsigned)getpid());
	return 0;
}

START_TEST(concurrent_forwarded_callers)
{
	struct svc_door sd;
	struct fp_caller a;
	struct child c[CONCURRENT_CALLERS];

	svc_init(&sd, 0);
	ck_assert_int_ge(svc_create(&sd), 0);
	a = (struct fp_caller){ getpid(), sd.fd, 0, many_calls };
	/* More callers than the daemon keeps connections for a door: the
	 * rest go through the server end, and every one gets its answer. */
	for (int i = 0; i < CONCURRENT_CALLERS; i++)
		c[i] = start_forwarded_caller(&a, sd.fd);
	for (int i = 0; i < CONCURRENT_CALLERS; i++)
		ck_assert_int_eq(child_join(&c[i]), 0);
	ck_assert_uint_eq(svc_local_state(&sd).calls,
			  CONCURRENT_CALLERS * (CALLS_EACH + 1));
}
END_TEST

#define BEYOND_SLOT (DOORFS_SLOT_DATA_MAX + 100000)

static int large_data(const struct fp_caller *a, int fd, int ctl)
{
	struct doorfs_call *call = calloc(1, sizeof(*call));
	size_t cap = BEYOND_SLOT + 4096;
	char *buf = malloc(cap), *args = malloc(cap);
	struct svc_req req;
	ssize_t n;

	(void)a, (void)ctl;
	CHILD_ASSERT(call && buf && args, "malloc");
	/* A procedure that returns without door_return: an empty result,
	 * as through the server end.  First, while no server thread has a
	 * scratch buffer (service.c) that its end would leak. */
	n = fp_call(fd, svc_req(SVC_FALL_OFF, 0, 0, 0), buf, cap);
	CHILD_ASSERT(n == 0, "fall off: %zd/%s", n,
		     n < 0 ? strerrorname_np(errno) : "bytes");

	/* A result larger than the slot comes in a memfd. */
	n = fp_call(fd, svc_req(SVC_PATTERN, BEYOND_SLOT, 3, 0), buf, cap);
	CHILD_ASSERT(n == BEYOND_SLOT && pattern_ok(buf, BEYOND_SLOT, 3),
		     "result beyond the slot: %zd/%s", n,
		     n < 0 ? strerrorname_np(errno) : "bytes");

	/* Too big for the ioctl: E2BIG, and read() has it. */
	req = svc_req(SVC_PATTERN, 6000, 4, 0);
	call->version = DOORFS_VERSION;
	call->arg_size = sizeof(req);
	memcpy(call->data, &req, sizeof(req));
	CHILD_FAILS(ioctl(fd, DOORFS_IOC_CALL, call), E2BIG);
	n = read_result(fd, buf, cap);
	CHILD_ASSERT(n == 6000 && pattern_ok(buf, 6000, 4),
		     "the ioctl's result by read: %zd", n);

	/* Arguments larger than the slot: still one call. */
	req = svc_req(SVC_VERIFY, BEYOND_SLOT, 5, SVC_F_UCRED);
	memcpy(args, &req, sizeof(req));
	pattern_fill(args + sizeof(req), BEYOND_SLOT, 5);
	CHILD_ASSERT(write(fd, args, sizeof(req) + BEYOND_SLOT) ==
		     (ssize_t)(sizeof(req) + BEYOND_SLOT), "write");
	n = read_result(fd, buf, cap);
	struct svc_verdict v;
	CHILD_ASSERT(n == sizeof(v), "verdict: %zd", n);
	memcpy(&v, buf, sizeof(v));
	CHILD_ASSERT(v.ok && v.size == BEYOND_SLOT && v.pid == getpid(),
		     "verdict ok %d size %llu pid %d", v.ok,
		     (unsigned long long)v.size, v.pid);
	free(call);
	free(buf);
	free(args);
	return 0;
}

START_TEST(forwarded_data_and_results)
{
	struct svc_door sd;
	struct fp_caller a;
	struct child c;

	svc_init(&sd, 0);
	ck_assert_int_ge(svc_create(&sd), 0);
	a = (struct fp_caller){ getpid(), sd.fd, 0, large_data };
	c = start_forwarded_caller(&a, sd.fd);
	ck_assert_int_eq(child_join(&c), 0);
}
END_TEST

/* ------------------------------------------------------------------ */
/* A server that will not take forwarded calls keeps today's path. */

struct refuser {
	int listener;
	int door;               /* the server end */
	int hellos;             /* forwarding hellos refused */
};

/* Answer every hello as a libdoor that does not know forwarding would. */
static void *refuse_hellos(void *arg)
{
	struct refuser *r = arg;
	int sock;

	while ((sock = accept4(r->listener, NULL, NULL, SOCK_CLOEXEC)) >= 0) {
		struct doorfs_hello hello;
		struct doorfs_welcome w = { .version = DOORFS_VERSION,
					    .error = EPROTO };

		if (recv(sock, &hello, sizeof(hello), 0) == sizeof(hello) &&
		    (hello.flags & DOORFS_HELLO_FORWARD))
			__atomic_add_fetch(&r->hellos, 1, __ATOMIC_SEQ_CST);
		send(sock, &w, sizeof(w), MSG_NOSIGNAL);
		close(sock);
	}
	return NULL;
}

/* Serve count calls on the server end: the argument in capitals. */
static void *serve_upper(void *arg)
{
	struct refuser *r = arg;
	char buf[64];

	for (int i = 0; i < 3; i++) {
		ssize_t n = read(r->door, buf, sizeof(buf));

		if (n <= 0)
			break;
		for (ssize_t j = 0; j < n; j++)
			buf[j] = (char)(buf[j] - 'a' + 'A');
		if (write(r->door, buf, (size_t)n) != n)
			break;
	}
	return NULL;
}

static int call_upper(void *arg, int ctl)
{
	const char *path = arg;
	char out[16];
	int fd = open(path, O_RDWR | O_CLOEXEC);

	(void)ctl;
	CHILD_ASSERT(fd >= 0, "open: %s", strerrorname_np(errno));
	for (int i = 0; i < 3; i++) {
		CHILD_ASSERT(write(fd, "abc", 3) == 3, "write");
		CHILD_ASSERT(read_result(fd, out, sizeof(out)) == 3 &&
			     memcmp(out, "ABC", 3) == 0, "call %d", i);
	}
	return 0;
}

/*
 * A hand-made fast-plane server for the daemon to forward to: a
 * listener at a rendezvous of its own and a door file set up to name it.
 * Returns the door's server end; *listener is listening; path gets the
 * door's name.
 */
static int fake_server(const char *name, int *listener, char *path,
		       size_t path_len)
{
	struct doorfs_setup setup;
	struct sockaddr_un addr = { .sun_family = AF_UNIX };

	memset(&setup, 0, sizeof(setup));
	setup.version = DOORFS_VERSION;
	setup.params.data_max = UINT64_MAX;
	setup.params.desc_max = INT32_MAX;
	snprintf(setup.rendezvous, sizeof(setup.rendezvous),
		 "doorfs-test/%s/%d", name, (int)getpid());
	memcpy(addr.sun_path + 1, setup.rendezvous, strlen(setup.rendezvous));
	*listener = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	ck_assert_int_ge(*listener, 0);
	ck_assert_ok(bind(*listener, (struct sockaddr *)&addr,
			  (socklen_t)(offsetof(struct sockaddr_un, sun_path) +
				      1 + strlen(setup.rendezvous))));
	ck_assert_ok(listen(*listener, 8));

	door_path(path, path_len, name);
	int door = open(path, O_CREAT | O_EXCL | O_RDWR | O_CLOEXEC, 0666);
	ck_assert_int_ge(door, 0);
	ck_assert_ok(ioctl(door, DOORFS_IOC_SETUP, &setup));
	return door;
}

START_TEST(refused_forwarding_keeps_the_server_end)
{
	struct refuser r = { .hellos = 0 };
	char path[256];
	pthread_t hellos, server;
	struct child c;

	r.door = fake_server("refuser", &r.listener, path, sizeof(path));
	ck_assert_int_eq(pthread_create(&hellos, NULL, refuse_hellos, &r), 0);
	ck_assert_int_eq(pthread_create(&server, NULL, serve_upper, &r), 0);

	c = child_start(call_upper, path, CHILD_EXIT);
	ck_assert_int_eq(child_join(&c), 0);
	ck_assert_int_eq(pthread_join(server, NULL), 0);
	/* Asked once, refused, never asked again. */
	ck_assert_int_eq(__atomic_load_n(&r.hellos, __ATOMIC_SEQ_CST), 1);
	shutdown(r.listener, SHUT_RDWR);
	ck_assert_int_eq(pthread_join(hellos, NULL), 0);
	close(r.listener);
	close(r.door);
	unlink(path);
}
END_TEST

/* ------------------------------------------------------------------ */
/* A hostile server: the daemon survives it, its callers hear EPROTO. */

enum hostile_reply { GOOD, HUGE_SIZE, BULK_MISSING, BAD_ERROR };

struct hostile {
	int listener;
	int door;
	uint64_t key;
	int conns;              /* forwarding connections welcomed */
	int may_welcome;        /* the test lets connections be welcomed */
	int reply;              /* enum hostile_reply, for the next call */
	int bad_caller;         /* a call named someone else as its caller */
	pid_t caller;
};

/* Take one forwarding connection and answer its calls as told. */
static void hostile_conn(struct hostile *h, int sock)
{
	struct doorfs_hello hello;
	struct doorfs_welcome w = { .version = DOORFS_VERSION };
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(2 * sizeof(int))];
	} ctl;
	struct iovec iov = { &hello, sizeof(hello) };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1,
			      .msg_control = ctl.buf,
			      .msg_controllen = sizeof(ctl.buf) };
	int fds[2], bell = eventfd(0, EFD_CLOEXEC);
	struct doorfs_slot *slot;
	struct cmsghdr *cm;

	if (recvmsg(sock, &msg, MSG_CMSG_CLOEXEC) != sizeof(hello) ||
	    !(cm = CMSG_FIRSTHDR(&msg)) ||
	    cm->cmsg_len != CMSG_LEN(2 * sizeof(int)))
		return;
	memcpy(fds, CMSG_DATA(cm), sizeof(fds));
	slot = mmap(NULL, DOORFS_SLOT_SIZE, PROT_READ | PROT_WRITE,
		    MAP_SHARED, fds[0], 0);
	close(fds[0]);
	if (!(hello.flags & DOORFS_HELLO_FORWARD) || hello.forward_key != h->key ||
	    slot == MAP_FAILED) {
		close(fds[1]);
		close(bell);
		return;
	}
	/* Until the test says so the daemon has no connection to forward
	 * to, so its calls must go through the server end. */
	for (int waited = 0; waited < WAIT_MS &&
	     !__atomic_load_n(&h->may_welcome, __ATOMIC_SEQ_CST); waited += 2)
		sleep_ms(2);
	iov = (struct iovec){ &w, sizeof(w) };
	msg.msg_controllen = CMSG_SPACE(sizeof(int));
	cm = CMSG_FIRSTHDR(&msg);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &bell, sizeof(int));
	sendmsg(sock, &msg, MSG_NOSIGNAL);
	__atomic_add_fetch(&h->conns, 1, __ATOMIC_SEQ_CST);

	for (;;) {
		struct pollfd p[2] = { { bell, POLLIN, 0 }, { sock, 0, 0 } };
		uint64_t count, one = 1;

		if (poll(p, 2, -1) < 0 || (p[1].revents & (POLLHUP | POLLERR)))
			break;
		if (read(bell, &count, sizeof(count)) != sizeof(count) ||
		    atomic_load((_Atomic uint32_t *)&slot->state) !=
		    DOORFS_SLOT_CALL)
			continue;
		if (slot->caller_uid != geteuid() || slot->caller_tid <= 0)
			h->bad_caller = 1;
		slot->error = 0;
		slot->flags = 0;
		slot->size = 2;
		memcpy(slot + 1, "ok", 2);
		switch (__atomic_load_n(&h->reply, __ATOMIC_SEQ_CST)) {
		case HUGE_SIZE:
			slot->size = 4ull * DOORFS_SLOT_SIZE;
			break;
		case BULK_MISSING:
			slot->flags = DOORFS_SLOT_BULK;
			break;
		case BAD_ERROR:
			slot->error = -5;
			break;
		}
		atomic_store((_Atomic uint32_t *)&slot->state,
			     DOORFS_SLOT_REPLY);
		if (write(fds[1], &one, sizeof(one)) != sizeof(one))
			break;
	}
	munmap(slot, DOORFS_SLOT_SIZE);
	close(fds[1]);
	close(bell);
}

static void *hostile_main(void *arg)
{
	struct hostile *h = arg;
	int sock;

	while ((sock = accept4(h->listener, NULL, NULL, SOCK_CLOEXEC)) >= 0) {
		hostile_conn(h, sock);
		close(sock);
	}
	return NULL;
}

/* The server end answers "se" to whatever the forwarder did not take. */
static void *serve_se(void *arg)
{
	struct hostile *h = arg;
	char buf[64];

	while (read(h->door, buf, sizeof(buf)) >= 0)
		if (write(h->door, "se", 2) != 2)
			break;
	return NULL;
}

/* The caller child: one call per 'c' from the test, the outcome back. */
static int hostile_caller(void *arg, int ctl)
{
	const char *path = arg;
	int fd = open(path, O_RDWR | O_CLOEXEC);
	char cmd;

	CHILD_ASSERT(fd >= 0, "open: %s", strerrorname_np(errno));
	for (ctl_recv(ctl, &cmd, 1); cmd == 'c'; ctl_recv(ctl, &cmd, 1)) {
		char out[8] = "";
		int outcome;
		ssize_t n;

		CHILD_ASSERT(write(fd, "x", 1) == 1, "write");
		n = read_result(fd, out, sizeof(out));
		outcome = n < 0 ? -errno : out[0] == 'o' ? 1 : out[0] == 's' ? 2 : 0;
		ctl_send(ctl, &outcome, sizeof(outcome));
	}
	return 0;
}

/* One call: 1 for "ok" (forwarded), 2 for "se" (server end), or -errno. */
static int hostile_call(struct child *c)
{
	int outcome;

	child_send(c, "c", 1);
	child_recv(c, &outcome, sizeof(outcome));
	return outcome;
}

/* Wait until the daemon has had n connections welcomed, and has read
 * the last welcome (it takes it between two requests). */
static void wait_conns(struct hostile *h, int n)
{
	for (int waited = 0; waited < WAIT_MS &&
	     __atomic_load_n(&h->conns, __ATOMIC_SEQ_CST) < n; waited += 2)
		sleep_ms(2);
	ck_assert_int_eq(__atomic_load_n(&h->conns, __ATOMIC_SEQ_CST), n);
	sleep_ms(50);
}

START_TEST(hostile_forwarding_server)
{
	struct hostile h = { .reply = GOOD };
	char path[256];
	pthread_t listener, server;
	struct child c;

	h.door = fake_server("hostile", &h.listener, path, sizeof(path));
	ck_assert_ok(ioctl(h.door, DOORFS_IOC_FORWARD_KEY, &h.key));
	ck_assert_int_eq(pthread_create(&listener, NULL, hostile_main, &h), 0);
	ck_assert_int_eq(pthread_create(&server, NULL, serve_se, &h), 0);
	c = child_start(hostile_caller, path, CHILD_EXIT);

	/* The first call sets the connection up and takes the old path:
	 * the connection is welcomed only after it, so that a call still
	 * queued for the server end cannot be forwarded once it is. */
	ck_assert_int_eq(hostile_call(&c), 2);
	__atomic_store_n(&h.may_welcome, 1, __ATOMIC_SEQ_CST);
	wait_conns(&h, 1);
	ck_assert_int_eq(hostile_call(&c), 1);
	/* Each broken reply fails its call and costs the connection. */
	int bad[] = { HUGE_SIZE, BULK_MISSING, BAD_ERROR };
	for (int i = 0; i < 3; i++) {
		__atomic_store_n(&h.reply, bad[i], __ATOMIC_SEQ_CST);
		ck_assert_int_eq(hostile_call(&c), -EPROTO);
		__atomic_store_n(&h.reply, GOOD, __ATOMIC_SEQ_CST);
		ck_assert_int_eq(hostile_call(&c), 2);
		wait_conns(&h, i + 2);
	}
	ck_assert_int_eq(hostile_call(&c), 1);
	ck_assert_int_eq(h.bad_caller, 0);

	child_send(&c, "q", 1);
	ck_assert_int_eq(child_join(&c), 0);
	/* Revoked: the server end's read ends, and the daemon hangs up. */
	ck_assert_ok(ioctl(h.door, DOORFS_IOC_REVOKE));
	ck_assert_int_eq(pthread_join(server, NULL), 0);
	shutdown(h.listener, SHUT_RDWR);
	ck_assert_int_eq(pthread_join(listener, NULL), 0);
	close(h.door);
	close(h.listener);
	unlink(path);
}
END_TEST

Suite *forward_suite(void)
{
	Suite *s = suite_create("forward");
	TCase *tc = harness_tcase(s, "forward");

	tcase_add_test(tc, forwarded_caller_credentials);
	tcase_add_test(tc, forwarded_caller_is_nobody);
	tcase_add_test(tc, forward_key_only_for_the_daemon);
	tcase_add_test(tc, slot_credentials_ignored_from_a_client);
	tcase_add_test(tc, server_killed_during_forwarded_call);
	tcase_add_test(tc, interrupted_forwarded_call);
	tcase_add_test(tc, concurrent_forwarded_callers);
	tcase_add_test(tc, forwarded_data_and_results);
	tcase_add_test(tc, refused_forwarding_keeps_the_server_end);
	tcase_add_test(tc, hostile_forwarding_server);
	return s;
}
