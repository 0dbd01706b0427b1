/*
 * call.c: door_call, the client side of both planes.
 *
 * A door served by libdoor is called through the fast plane: the calling
 * thread keeps one connection per door (made on its first call), writes
 * the arguments into the shared slot, flips it to CALL and rings the
 * server's doorbell; the reply comes back in the same slot.  While the
 * server runs on another CPU the caller spins briefly on the slot; after
 * that it sleeps on the slot's state word, and if the call takes longer
 * than FUTEX_SLEEP_NS, in poll() on its wake eventfd and the connection
 * socket, which hangs up when the server process dies.  Neither wait is
 * restarted after a signal handler (illumos: door_call returns EINTR
 * even with SA_RESTART).  Data of more than one piece is streamed
 * (doorfs.h, DOORFS_SLOT_STREAM): arguments are copied in after the call
 * is published, and a result is copied out while the server copies it in.
 *
 * A door served through the file plane (no rendezvous) is called with
 * DOORFS_IOC_CALL when the arguments fit, else with write and read.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/futex.h>
#include <poll.h>
#include <sched.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "libdoor.h"

/*
 * How long a caller spins on the slot before sleeping, while the server
 * runs (or watches the slot) on another CPU.  A handoff between two
 * running CPUs takes about 0.1 us; a sleep and wake-up about 40 us.
 * Spinning a few microseconds catches short procedures without stealing
 * long from a 2-CPU machine; a call with big data spins on while the
 * server copies it (libdoor.h).
 */
#define CLIENT_SPIN_NS 20000

/*
 * A caller that has spun in vain sleeps on the slot's state word: a
 * futex handoff costs one system call on each side, against the
 * eventfd write, poll() and read() of the other way.  A futex cannot see
 * the server die, though, so a call not answered within this time sleeps
 * on in poll(), on its eventfd and the socket, which hangs up when the
 * server process dies: a dead server is noticed at most this late.  Not
 * less: a time limit sooner than the next scheduler tick (4 ms at
 * HZ=250) makes the kernel reprogram its timer on every wait, which in
 * our VM doubles the cost of a futex handoff (10.5 against 5.2 us).
 */
#define FUTEX_SLEEP_NS 10000000

/* Connections a thread keeps open, one per door it calls. */
#define CONNS_PER_THREAD 16

/*
 * Who a thread called as, which a connection must still match.  The
 * server learns it when we connect: the ids and supplementary groups the
 * kernel gives it (SO_PEERCRED, /proc).  A server that reads our ids
 * afresh whenever it asks (DOORFS_WELCOME_LIVE_IDS) sees id changes by
 * itself; for groups, and for ids with any other server, a thread whose
 * credentials changed must connect again, or it would call with its old
 * identity.  Dropping privileges usually changes both.  Checking the
 * groups costs one cheap system call (0.1 us); the ids two dearer ones.
 */
struct ids {
	uid_t ruid, euid, suid;
	gid_t rgid, egid, sgid;
};

static void my_ids(struct ids *ids)
{
	getresuid(&ids->ruid, &ids->euid, &ids->suid);
	getresgid(&ids->rgid, &ids->egid, &ids->sgid);
}

/* Groups a connection remembers; with more, it checks the ids only. */
#define CONN_GROUPS_MAX 64

struct caller {
	int ngroups;                    /* -1: more than CONN_GROUPS_MAX */
	gid_t groups[CONN_GROUPS_MAX];
	struct ids ids;
};

static void my_groups(struct caller *me)
{
	me->ngroups = getgroups(CONN_GROUPS_MAX, me->groups);
	if (me->ngroups < 0)
		me->ngroups = -1;
}

/*
 * A thread's connection to the door behind a file.  The file is named by
 * device, inode and ctime: fattach and fdetach change a name's ctime, so
 * a name given to another door is a new key.
 */
struct client_conn {
	dev_t dev;
	ino_t ino;
	struct timespec ctime;
	unsigned fork_gen;              /* made in this process, not a parent */
	bool fileplane;                 /* no fast plane: DOORFS_IOC_CALL */
	bool live_ids;                  /* the server asks for our ids */
	struct caller who;              /* who we were when we connected */
	int sock, wake, doorbell;
	struct doorfs_slot *slot;
	uint64_t seq;
	bool unusable;                  /* never call through it again */
};

static __thread struct client_conn *conns[CONNS_PER_THREAD];
static atomic_uint fork_gen;
static pthread_key_t conns_key;
static pthread_once_t conns_once = PTHREAD_ONCE_INIT;

static void conn_close(struct client_conn *c)
{
	if (!c->fileplane) {
		close(c->sock);
		close(c->wake);
		close(c->doorbell);
		munmap(c->slot, DOORFS_SLOT_SIZE);
	}
	free(c);
}

/* A thread's connections go with it. */
static void conns_destroy(void *unused)
{
	(void)unused;
	for (int i = 0; i < CONNS_PER_THREAD; i++) {
		if (conns[i])
			conn_close(conns[i]);
		conns[i] = NULL;
	}
}

/*
 * After fork the child's copy of a connection shares the parent's slot
 * and socket: it must never use them.  Descriptors are closed lazily,
 * when the child next looks (the parent keeps its own).
 */
static void after_fork_child(void)
{
	atomic_fetch_add(&fork_gen, 1);
}

static void conns_init(void)
{
	pthread_key_create(&conns_key, conns_destroy);
	pthread_atfork(NULL, NULL, after_fork_child);
}

/*
 * Whether c was made by the caller we are now (struct caller).  `me` is
 * learnt as far as needed, once for all connections.
 */
static bool same_caller(const struct client_conn *c, struct caller *me,
			bool *groups_known, bool *ids_known)
{
	if (c->fileplane)
		return true;            /* the daemon asks on every request */
	if (c->who.ngroups >= 0) {
		if (!*groups_known)
			my_groups(me);
		*groups_known = true;
		if (me->ngroups != c->who.ngroups ||
		    memcmp(me->groups, c->who.groups,
			   (size_t)me->ngroups * sizeof(gid_t)) != 0)
			return false;
		if (c->live_ids)
			return true;
	}
	if (!*ids_known)
		my_ids(&me->ids);
	*ids_known = true;
	return memcmp(&me->ids, &c->who.ids, sizeof(me->ids)) == 0;
}

static struct client_conn *conn_find(const struct stat *st)
{
	unsigned gen = atomic_load(&fork_gen);
	struct caller me;
	bool groups_known = false, ids_known = false;
	for (int i = 0; i < CONNS_PER_THREAD; i++) {
		struct client_conn *c = conns[i];
		if (!c)
			continue;
		if (c->fork_gen != gen ||
		    !same_caller(c, &me, &groups_known, &ids_known)) {
			conn_close(c);
			conns[i] = NULL;
			continue;
		}
		if (c->dev == st->st_dev && c->ino == st->st_ino &&
		    c->ctime.tv_sec == st->st_ctim.tv_sec &&
		    c->ctime.tv_nsec == st->st_ctim.tv_nsec)
			return c;
	}
	return NULL;
}

static void conn_forget(struct client_conn *c)
{
	for (int i = 0; i < CONNS_PER_THREAD; i++)
		if (conns[i] == c)
			conns[i] = NULL;
	conn_close(c);
}

static void conn_abandon(void *c)
{
	conn_forget(c);
}

static void conn_keep(struct client_conn *c)
{
	pthread_once(&conns_once, conns_init);
	pthread_setspecific(conns_key, conns);  /* arms the destructor */
	for (int i = 0; i < CONNS_PER_THREAD; i++) {
		if (!conns[i]) {
			conns[i] = c;
			return;
		}
	}
	conn_close(conns[0]);           /* full: drop the oldest */
	memmove(conns, conns + 1, (CONNS_PER_THREAD - 1) * sizeof(*conns));
	conns[CONNS_PER_THREAD - 1] = c;
}

/* Send hello and our three descriptors; take the doorbell back. */
static int handshake(struct client_conn *c, int d, int slotfd, uint64_t id)
{
	struct doorfs_hello hello = {
		.version = DOORFS_VERSION, .slot_size = DOORFS_SLOT_SIZE,
		.door_id = id,
	};
	int fds[3] = { d, slotfd, c->wake };
	if (wire_send(c->sock, &hello, sizeof(hello), fds, 3))
		return EBADF;

	struct doorfs_welcome welcome;
	unsigned nfds;
	if (wire_recv(c->sock, &welcome, sizeof(welcome), &c->doorbell, 1,
		      &nfds, MSG_CMSG_CLOEXEC))
		return EBADF;           /* the server is gone */
	if (welcome.error || nfds != 1) {
		if (nfds)
			close(c->doorbell);
		c->doorbell = -1;
		return welcome.error == EBADF ? EBADF : EAGAIN;
	}
	c->live_ids = welcome.flags & DOORFS_WELCOME_LIVE_IDS;
	return 0;
}

/* A connection to the door's server, made on a thread's first call. */
static int conn_open(int d, const struct stat *st, struct client_conn **out)
{
	if (!doorfs_fd_is_door(d))
		return EBADF;
	struct doorfs_rendezvous where;
	if (ioctl(d, DOORFS_IOC_RENDEZVOUS, &where) < 0)
		return EBADF;           /* not a door, or revoked */

	struct client_conn *c = calloc(1, sizeof(*c));
	if (!c)
		return ENOMEM;
	c->dev = st->st_dev;
	c->ino = st->st_ino;
	c->ctime = st->st_ctim;
	c->fork_gen = atomic_load(&fork_gen);
	my_groups(&c->who);
	my_ids(&c->who.ids);
	c->sock = c->wake = c->doorbell = -1;
	if (!where.name[0]) {
		c->fileplane = true;
		*out = c;
		return 0;
	}

	int err = EAGAIN, slotfd = -1;
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	where.name[sizeof(where.name) - 1] = '\0';
	size_t len = strlen(where.name);
	memcpy(addr.sun_path + 1, where.name, len);
	socklen_t alen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + len);

	c->sock = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	c->wake = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	slotfd = memfd_create("door-slot", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (c->sock < 0 || c->wake < 0 || slotfd < 0)
		goto fail;
	if (connect(c->sock, (struct sockaddr *)&addr, alen) < 0) {
		err = EBADF;            /* the server process is gone */
		goto fail;
	}
	if (ftruncate(slotfd, DOORFS_SLOT_SIZE) < 0 ||
	    fcntl(slotfd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW |
		  F_SEAL_SEAL) < 0)
		goto fail;
	c->slot = mmap(NULL, DOORFS_SLOT_SIZE, PROT_READ | PROT_WRITE,
		       MAP_SHARED, slotfd, 0);
	if (c->slot == MAP_FAILED) {
		c->slot = NULL;
		goto fail;
	}
	c->slot->version = DOORFS_SLOT_VERSION;
	c->slot->server_cpu = -1;       /* no server watches it yet */
	err = handshake(c, d, slotfd, where.id);
	if (err)
		goto fail;
	close(slotfd);
	*out = c;
	return 0;

fail:
	if (slotfd >= 0)
		close(slotfd);
	if (c->slot)
		munmap(c->slot, DOORFS_SLOT_SIZE);
	if (c->sock >= 0)
		close(c->sock);
	if (c->wake >= 0)
		close(c->wake);
	free(c);
	return err;
}

static uint32_t slot_state(const struct doorfs_slot *slot)
{
	return atomic_load((_Atomic uint32_t *)&slot->state);
}

static void set_sleeping(struct doorfs_slot *slot, uint32_t how)
{
	atomic_store((_Atomic uint32_t *)&slot->client_sleeping, how);
}

/*
 * Sleep while the slot's state is still `seen`, for at most ns: 0, or
 * EINTR when a signal handler ran (even one with SA_RESTART: a futex
 * wait with a time limit is never restarted after a handler, as illumos
 * wants of door_call).  door_call is a cancellation point and the raw
 * system call is none, so the thread is cancellable at once inside it,
 * as in glibc's own blocking calls.
 */
static int sleep_on_state(struct doorfs_slot *slot, uint32_t seen,
			  uint64_t ns)
{
	struct timespec limit = {
		.tv_sec = (time_t)(ns / 1000000000u),
		.tv_nsec = (long)(ns % 1000000000u),
	};
	int type;
	pthread_setcanceltype(PTHREAD_CANCEL_ASYNCHRONOUS, &type);
	long r = slot_futex(&slot->state, FUTEX_WAIT, seen, &limit);
	int err = r < 0 ? errno : 0;
	pthread_setcanceltype(type, NULL);
	return err == EINTR ? EINTR : 0;
}

/*
 * Wait for the reply.  0 when it is in the slot; EINTR for a signal or a
 * server that died serving the call; EBADF for one that died before.
 */
static int wait_reply(struct client_conn *c)
{
	struct doorfs_slot *slot = c->slot;
	struct spin_clock clock;
	spin_start(&clock, slot, CLIENT_SPIN_NS, CLIENT_SPIN_NS);
	for (unsigned i = 1;; i++) {
		if (slot_state(slot) == DOORFS_SLOT_REPLY)
			return 0;
		int cpu = atomic_load((_Atomic int32_t *)&slot->server_cpu);
		/* Spin only while the server runs somewhere else. */
		if (cpu < 0 || cpu == sched_getcpu() ||
		    (i % 64 == 0 && spin_expired(&clock, slot)))
			break;
		__builtin_ia32_pause();
	}

	set_sleeping(slot, DOORFS_SLOT_SLEEP_FUTEX);
	uint64_t now = now_ns(), deadline = now + FUTEX_SLEEP_NS;
	for (;;) {
		uint32_t seen = slot_state(slot);
		if (seen == DOORFS_SLOT_REPLY)
			goto replied;
		if (now >= deadline)
			break;
		if (sleep_on_state(slot, seen, deadline - now) == EINTR) {
			set_sleeping(slot, 0);
			return EINTR;
		}
		now = now_ns();
	}

	for (;;) {
		set_sleeping(slot, DOORFS_SLOT_SLEEP_POLL);
		if (slot_state(slot) == DOORFS_SLOT_REPLY)
			break;
		struct pollfd fds[2] = {
			{ .fd = c->wake, .events = POLLIN },
			{ .fd = c->sock, .events = 0 },
		};
		int n = poll(fds, 2, -1);
		if (n < 0 && errno == EINTR) {
			set_sleeping(slot, 0);
			return EINTR;
		}
		if (fds[0].revents & POLLIN) {
			uint64_t count;
			ssize_t r = read(c->wake, &count, sizeof(count));
			(void)r;
		}
		if (slot_state(slot) == DOORFS_SLOT_REPLY)
			break;
		if (fds[1].revents & (POLLHUP | POLLERR))
			return slot_state(slot) == DOORFS_SLOT_CALL ? EBADF : EINTR;
	}
replied:
	set_sleeping(slot, 0);
	return 0;
}

static size_t roundup_size(size_t n, size_t to)
{
	return (n + to - 1) / to * to;
}

/*
 * Waiting for a piece of a streamed result (libdoor.h).  The server is
 * copying it right now, so only its death (the socket hangs up) or a
 * signal (EINTR, as for any wait of door_call) ends the wait early;
 * poll keeps it a cancellation point.
 */
static int wait_for_result(void *arg, uint64_t idle_ns)
{
	struct client_conn *c = arg;
	if (stream_wait_briefly(idle_ns))
		return 0;
	struct pollfd fd = { .fd = c->sock, .events = 0 };
	int n = poll(&fd, 1, 1);
	if (n < 0 && errno == EINTR)
		return EINTR;
	if (n > 0 && (fd.revents & (POLLHUP | POLLERR)))
		return EINTR;           /* illumos: the server died serving */
	return 0;
}

/* A fresh mapping for a result, if the copy into it is abandoned. */
struct fresh_map {
	void *p;
	size_t len;
};

static void fresh_map_drop(void *arg)
{
	struct fresh_map *m = arg;
	if (m->p)
		munmap(m->p, m->len);
	m->p = NULL;
}

/* Copy a streamed result to dst as it comes (cancellable). */
static int stream_result(struct client_conn *c, char *dst, size_t size,
			 struct fresh_map *fresh)
{
	int err;
	pthread_cleanup_push(fresh_map_drop, fresh);
	err = slot_stream_out(c->slot, dst, size, wait_for_result, c);
	pthread_cleanup_pop(0);
	return err;
}

/*
 * Place a result of size bytes and n descriptors where illumos puts it
 * (DOOR-API.md 4.1): in rbuf when it fits, else in a fresh mapping the
 * caller munmaps.  The bytes are at src, or in the sealed bulk_fd, or
 * still coming into c's slot (DOORFS_SLOT_STREAM) when c is not NULL;
 * params is changed only if they all came.
 */
static int place_result(door_arg_t *params, const char *src, int bulk_fd,
			size_t size, const door_desc_t *descs, uint_t n,
			struct client_conn *stream)
{
	if (size == 0 && n == 0) {
		params->data_size = 0;
		params->desc_num = 0;
		return 0;
	}
	size_t data_len = n ? roundup_size(size, sizeof(door_desc_t)) : size;
	size_t need = data_len + n * sizeof(door_desc_t);
	char *dst = params->rbuf;
	bool mapped_bulk = false;
	struct fresh_map fresh = { NULL, 0 };
	if (need > params->rsize) {
		size_t len = roundup_size(need, (size_t)sysconf(_SC_PAGESIZE));
		/* A bulk result alone is mapped as it is: no copy at all. */
		mapped_bulk = bulk_fd >= 0 && n == 0;
		void *p = mapped_bulk ?
			mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE,
			     bulk_fd, 0) :
			mmap(NULL, len, PROT_READ | PROT_WRITE,
			     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p == MAP_FAILED)
			return EOVERFLOW;
		dst = p;
		fresh.p = p;
		fresh.len = len;
	}
	if (stream) {
		int err = stream_result(stream, dst, size, &fresh);
		if (err) {
			fresh_map_drop(&fresh);
			return err;
		}
	} else if (mapped_bulk) {
		/* the mapping is the result */
	} else if (bulk_fd >= 0) {
		void *p = mmap(NULL, size, PROT_READ, MAP_SHARED, bulk_fd, 0);
		if (p == MAP_FAILED) {
			fresh_map_drop(&fresh);
			return EOVERFLOW;
		}
		memmove(dst, p, size);
		munmap(p, size);
	} else if (size) {
		memmove(dst, src, size);    /* arguments and results may overlap */
	}
	if (fresh.p) {
		params->rbuf = fresh.p;
		params->rsize = fresh.len;
	}
	params->data_ptr = dst;
	params->data_size = size;
	/* illumos puts desc_ptr there even when no descriptor came back. */
	params->desc_ptr = (door_desc_t *)(void *)(dst +
		roundup_size(size, sizeof(door_desc_t)));
	params->desc_num = n;
	if (n)
		memcpy(params->desc_ptr, descs, n * sizeof(door_desc_t));
	return 0;
}

/* Take a reply's descriptors off the socket; *out is malloc'd. */
static int recv_reply_descs(struct client_conn *c, uint32_t n,
			    door_desc_t **out)
{
	*out = NULL;
	if (n == 0)
		return 0;
	if (n > 1024)
		return EPROTO;
	door_desc_t *descs = calloc(n, sizeof(*descs));
	if (!descs)
		return ENOMEM;
	int err = descs_recv(c->sock, c->seq, n, descs);
	if (err) {
		free(descs);
		return err;
	}
	*out = descs;
	return 0;
}

/* A reply being taken when its caller was cancelled. */
struct taking_reply {
	struct client_conn *c;
	door_desc_t *descs;
	uint32_t ndesc;
};

static void reply_abandon(void *arg)
{
	struct taking_reply *t = arg;
	if (t->descs)
		descs_close(t->descs, t->ndesc);
	free(t->descs);
	conn_forget(t->c);
}

/* Place a streamed result: waiting for it is a cancellation point too. */
static int place_streamed(struct client_conn *c, door_arg_t *params,
			  size_t size, door_desc_t *descs, uint32_t n)
{
	int err;
	struct taking_reply taking = { c, descs, n };
	pthread_cleanup_push(reply_abandon, &taking);
	err = place_result(params, NULL, -1, size, descs, n, c);
	pthread_cleanup_pop(0);
	return err;
}

static int call_fast(struct client_conn *c, door_arg_t *params)
{
	struct doorfs_slot *slot = c->slot;
	size_t size = params ? params->data_size : 0;
	uint_t ndesc = params ? params->desc_num : 0;
	uint32_t flags = params ? 0 : DOORFS_SLOT_NO_RESULT;
	c->seq++;
	bool stream = slot_streams(size);
	if (stream) {
		flags |= DOORFS_SLOT_STREAM;    /* copied once published */
		atomic_store_explicit((_Atomic uint64_t *)&slot->filled, 0,
				      memory_order_relaxed);
	} else if (size > DOORFS_SLOT_DATA_MAX) {
		int err = bulk_send(c->sock, c->seq, params->data_ptr, size);
		if (err)
			return err == EPIPE || err == ECONNRESET ? EBADF : err;
		flags |= DOORFS_SLOT_BULK;
	} else if (size) {
		slot_copy(slot, slot + 1, params->data_ptr, size);
	}
	if (ndesc) {
		int err = descs_send(c->sock, c->seq, params->desc_ptr, ndesc);
		if (err)
			return err;
		/* Transferred: DOOR_RELEASE closes ours whatever happens next. */
		descs_release(params->desc_ptr, ndesc);
		flags |= DOORFS_SLOT_DESCS;
	}
	slot->size = size;
	slot->ndesc = ndesc;
	slot->flags = flags;
	slot->seq = c->seq;
	slot->error = 0;
	atomic_store((_Atomic uint32_t *)&slot->state, DOORFS_SLOT_CALL);
	/* A server watching the slot (server.c, spin_for_call) needs no
	 * doorbell: it sees CALL, or it sees it after withdrawing. */
	uint64_t one = 1;
	if (atomic_load((_Atomic int32_t *)&slot->server_cpu) < 0 &&
	    write(c->doorbell, &one, sizeof(one)) < 0 && errno != EAGAIN)
		return EBADF;
	if (stream)
		slot_stream_in(slot, params->data_ptr, size);

	/* door_call is a cancellation point (poll is one): a cancelled
	 * caller abandons the connection, whose slot the server may still
	 * answer into. */
	int err;
	pthread_cleanup_push(conn_abandon, c);
	err = wait_reply(c);
	pthread_cleanup_pop(0);
	if (err)
		return err;

	err = slot->error;
	uint64_t rsize = slot->size;
	uint32_t rflags = slot->flags;
	uint32_t rdesc = (rflags & DOORFS_SLOT_DESCS) ? slot->ndesc : 0;
	atomic_store((_Atomic uint32_t *)&slot->state, DOORFS_SLOT_IDLE);
	if (err)
		return err;
	if (!params)
		return rsize || rdesc ? EPROTO : 0;

	int bulk_fd = -1;
	door_desc_t *descs = NULL;
	if (rflags & DOORFS_SLOT_BULK)
		err = bulk_recv(c->sock, c->seq, rsize, MSG_CMSG_CLOEXEC,
				&bulk_fd) ? EOVERFLOW : 0;
	else if (rsize > DOORFS_SLOT_DATA_MAX)
		err = EOVERFLOW;
	if (!err)
		err = recv_reply_descs(c, rdesc, &descs);
	/* A streamed reply is in the slot (its size was checked above). */
	if (!err && (rflags & DOORFS_SLOT_STREAM))
		err = rflags & DOORFS_SLOT_BULK ? EPROTO :
			place_streamed(c, params, rsize, descs, rdesc);
	else if (!err)
		err = place_result(params, (char *)(slot + 1), bulk_fd, rsize,
				   descs, rdesc, NULL);
	/* The server may still be copying a result not taken in full. */
	if (err && (rflags & DOORFS_SLOT_STREAM))
		c->unusable = true;
	if (err && descs)
		descs_close(descs, rdesc);
	free(descs);
	if (bulk_fd >= 0)
		close(bulk_fd);
	return err;
}

/* Read a file-plane result to its end; *out is malloc'd. */
static int read_result(int fd, char **out, size_t *len)
{
	size_t cap = 1 << 16, got = 0;
	char *buf = malloc(cap);
	int err = 0;
	for (;;) {
		if (!buf) {
			err = ENOMEM;
			break;
		}
		if (got == cap) {
			char *grown = realloc(buf, cap * 2);
			if (!grown) {
				err = ENOMEM;
				break;
			}
			buf = grown;
			cap *= 2;
		}
		ssize_t n = read(fd, buf + got, cap - got);
		if (n < 0) {
			/* illumos: a server that died serving is EINTR. */
			err = errno == ECONNRESET ? EINTR : errno;
			break;
		}
		if (n == 0)
			break;
		got += (size_t)n;
	}
	if (err) {
		free(buf);
		return err;
	}
	*out = buf;
	*len = got;
	return 0;
}

/* Arguments too big for the ioctl: write them on a descriptor of our own. */
static int call_by_write(int d, door_arg_t *params, char **result,
			 size_t *len)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/self/fd/%d", d);
	int fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return errno == EACCES ? EACCES : EBADF;
	int err = 0;
	for (size_t done = 0; done < params->data_size && !err;) {
		ssize_t n = write(fd, params->data_ptr + done,
				  params->data_size - done);
		if (n < 0)
			err = errno;
		else
			done += (size_t)n;
	}
	if (!err)
		err = read_result(fd, result, len);
	close(fd);
	return err;
}

/*
 * A door served through the file plane.  Small arguments go in one
 * DOORFS_IOC_CALL; a result too big for it stays on the descriptor and
 * is read from there.  Descriptors cannot cross FUSE, so such a door
 * refuses them (ENOTSUP, as a DOOR_REFUSE_DESC door does).
 */
static int call_fileplane(int d, door_arg_t *params)
{
	size_t size = params ? params->data_size : 0;
	if (params && params->desc_num)
		return ENOTSUP;
	char *result = NULL;
	size_t len = 0;
	int err;
	if (size > DOORFS_CALL_INLINE_MAX) {
		err = call_by_write(d, params, &result, &len);
	} else {
		struct doorfs_call *call = malloc(sizeof(*call));
		if (!call)
			return ENOMEM;
		memset(call, 0, offsetof(struct doorfs_call, data));
		call->version = DOORFS_VERSION;
		call->arg_size = (uint32_t)size;
		if (size)
			memcpy(call->data, params->data_ptr, size);
		err = ioctl(d, DOORFS_IOC_CALL, call) < 0 ? errno : 0;
		if (err == E2BIG) {
			free(call);     /* the result waits on d instead */
			err = read_result(d, &result, &len);
		} else if (!err) {
			len = call->result_size;
			result = (char *)call;  /* placed from its inline data */
			memmove(call, call->data, len);
		} else {
			free(call);
		}
		if (err == ECONNRESET)
			err = EINTR;    /* illumos: the server died serving */
	}
	if (!err && !params && len)
		err = E2BIG;            /* door_call(d, NULL) takes no result */
	else if (!err && params)
		err = place_result(params, result, -1, len, NULL, 0, NULL);
	free(result);
	return err;
}

/*
 * Before descriptors travel: the checks illumos makes before transfer
 * (data limits, then refused, then too many), so that DOOR_RELEASE
 * descriptors stay open when the call is refused for them.  Only calls
 * with descriptors pay for asking the daemon.
 */
static int precheck_descs(int d, const door_arg_t *params)
{
	struct doorfs_info info;
	struct doorfs_params limits;
	if (ioctl(d, DOORFS_IOC_INFO, &info) < 0 ||
	    ioctl(d, DOORFS_IOC_PARAMS, &limits) < 0 ||
	    (info.attributes & DOORFS_ATTR_REVOKED))
		return EBADF;
	if (params->data_size < limits.data_min ||
	    params->data_size > limits.data_max)
		return ENOBUFS;
	if (info.attributes & DOORFS_ATTR_REFUSE_DESC)
		return ENOTSUP;
	if (params->desc_num > limits.desc_max)
		return ENFILE;
	return 0;
}

LIBDOOR_EXPORT int door_call(int d, door_arg_t *params)
{
	int err = params ? descs_check(params->desc_ptr, params->desc_num) : 0;
	if (!err && params && params->desc_num)
		err = doorfs_fd_is_door(d) ? precheck_descs(d, params) : EBADF;
	if (err) {
		errno = err;
		return -1;
	}
	struct stat st;
	if (libc_fstat(d, &st) < 0) {
		errno = EBADF;
		return -1;
	}

	/*
	 * A connection made for an earlier call may lead to a server that
	 * has gone (and the name to a new one): EBADF from it means the call
	 * never ran, so it is tried once more on a fresh connection.
	 */
	err = EBADF;
	/* Not with descriptors: DOOR_RELEASE closed ours after sending. */
	int tries = params && params->desc_num ? 1 : 2;
	for (int fresh = 0; fresh < tries && err == EBADF; fresh++) {
		struct client_conn *c = fresh ? NULL : conn_find(&st);
		if (!c) {
			if (!fresh)
				fresh = 1;
			err = conn_open(d, &st, &c);
			if (err)
				break;
			conn_keep(c);
		}
		err = c->fileplane ? call_fileplane(d, params)
				   : call_fast(c, params);
		/* After EINTR the server may still answer into the slot,
		 * after EBADF the connection is dead, and after a reply
		 * taken only in part messages may be left on the socket:
		 * never reuse such a connection. */
		if (!c->fileplane && (err == EINTR || err == EBADF ||
				      err == EMFILE || err == EPROTO ||
				      err == EOVERFLOW || c->unusable))
			conn_forget(c);
	}
	if (err) {
		errno = err;
		return -1;
	}
	return 0;
}
