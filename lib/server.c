/*
 * server.c: the server side of libdoor.
 *
 * Listening.  A server process listens on one SOCK_SEQPACKET socket at an
 * abstract address, its rendezvous, which the daemon hands to callers.
 * A runtime thread accepts connections, checks each handshake (the
 * caller must send an open descriptor of one of our doors, and the
 * daemon says which door and mount it is: possession is proven, never
 * claimed) and watches
 * connections for hang-ups.  It never serves a call.
 *
 * Serving.  A connection is one client thread calling one door through a
 * shared slot (doorfs.h).  Each pool (the process-wide one, or a
 * DOOR_PRIVATE door's own) is an epoll set of its connections' doorbells
 * and its doors' file-plane server ends; a parked server thread is a
 * thread in epoll_wait on its pool, and the kernel wakes exactly one of
 * them per ring.  The woken thread claims the call by moving the slot
 * from CALL to SERVING, copies the arguments out of the slot (the client
 * can still write there), runs the procedure, and door_return writes the
 * result back, flips the slot to REPLY and goes back to waiting.  Big
 * data is streamed (doorfs.h, DOORFS_SLOT_STREAM): the arguments are
 * copied out as the client copies them in, and door_return flips the
 * slot to REPLY before it copies the result in.
 *
 * door_return does not return: like the illumos kernel, which restarts a
 * server thread at the top of its stack, it longjmps to the frame where
 * the thread first parked, dropping the procedure's frames.
 *
 * Objects the kernel hands back through epoll are named by handles (an
 * index and a generation), never by pointer, so an event that arrives
 * after its connection was freed is recognised and ignored.
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <setjmp.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/futex.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "libdoor.h"
#include "ucred_impl.h"

struct pool {
	int epfd;
	atomic_int parked;              /* threads waiting in epoll_wait */
	struct ldoor *door;             /* a private pool's door, else NULL */
	bool started;                   /* the create function was called */
};

/* One client thread calling one door. */
struct conn {
	int sock;
	int doorbell;                   /* the client rings it: we watch */
	int client_wake;                /* we ring it: the client sleeps on it */
	struct doorfs_slot *slot;
	struct ldoor *door;             /* with a reference */
	ucred_t *cred;                  /* the caller, as the kernel said */
	int pidfd;                      /* the caller's, for its ids now; or -1 */
	bool forwarded;                 /* the daemon's: callers in the slot */
	atomic_int refs;                /* handle table + a serving thread */
	atomic_bool dead;               /* the client hung up */
	uint64_t handle;
	bool serving;                   /* under server_lock: server_thread */
	pthread_t server_thread;        /* is running the procedure for it */
};

/* --- handles --- */

enum handle_kind { H_FREE, H_LISTEN, H_HANDSHAKE, H_CONN, H_DOOR };

struct handle_entry {
	enum handle_kind kind;
	uint32_t gen;
	void *obj;                      /* conn, door, or (intptr_t) socket */
};

static pthread_mutex_t server_lock = PTHREAD_MUTEX_INITIALIZER;
static struct handle_entry *handles;
static uint32_t nhandles;

/*
 * fork copies only the calling thread: a lock another thread held at
 * that moment would stay locked in the child for ever.  Each module of
 * libdoor holds its lock across fork for that reason.
 */
static void lock_for_fork(void)
{
	pthread_mutex_lock(&server_lock);
}

static void unlock_after_fork(void)
{
	pthread_mutex_unlock(&server_lock);
}

/*
 * The process the server state is for: learnt once and again in a fork
 * child, not asked of the kernel each time a server thread parks (a
 * system call on every call of a pinned server).
 */
static pid_t current_pid;

/*
 * The CPUs the process may run on, learnt by spinning_pays on first use;
 * forgotten in a fork child, which is often confined before it serves
 * (taskset, doorbench's pinned runs) while its parent was not.
 */
static atomic_int spin_cpus;

static void unlock_after_fork_child(void)
{
	current_pid = getpid();
	atomic_store(&spin_cpus, 0);
	pthread_mutex_unlock(&server_lock);
}

__attribute__((constructor)) static void server_fork_handlers(void)
{
	pthread_atfork(lock_for_fork, unlock_after_fork,
		       unlock_after_fork_child);
}

static uint64_t handle_make(uint32_t index, uint32_t gen)
{
	return (uint64_t)gen << 32 | index;
}

/* Under server_lock. */
static uint64_t handle_new(enum handle_kind kind, void *obj)
{
	uint32_t i;
	for (i = 0; i < nhandles; i++)
		if (handles[i].kind == H_FREE)
			break;
	if (i == nhandles) {
		struct handle_entry *grown =
			realloc(handles, (nhandles + 64) * sizeof(*handles));
		if (!grown)
			return 0;
		memset(grown + nhandles, 0, 64 * sizeof(*handles));
		handles = grown;
		nhandles += 64;
	}
	handles[i].kind = kind;
	handles[i].gen++;
	handles[i].obj = obj;
	return handle_make(i, handles[i].gen);
}

/* Under server_lock: the live entry for h, or NULL. */
static struct handle_entry *handle_get(uint64_t h)
{
	uint32_t i = (uint32_t)h, gen = (uint32_t)(h >> 32);
	if (i >= nhandles || handles[i].kind == H_FREE || handles[i].gen != gen)
		return NULL;
	return &handles[i];
}

static void handle_free(uint64_t h)
{
	struct handle_entry *e = handle_get(h);
	if (e) {
		e->kind = H_FREE;
		e->obj = NULL;
	}
}

/* --- the process's listening side --- */

static struct {
	pid_t owner;                    /* the process this state belongs to */
	bool listening;                 /* listen_sock and runtime are up */
	int listen_sock;
	int epfd;                       /* the runtime thread's */
	char name[DOORFS_RENDEZVOUS_MAX];
	struct pool *global;
	pthread_t runtime;
} srv = { .listen_sock = -1, .epfd = -1 };

static door_server_func_t default_server_func;
static door_server_func_t *server_func = default_server_func;

/* --- connections --- */

static void conn_unref(struct conn *c)
{
	if (atomic_fetch_sub(&c->refs, 1) != 1)
		return;
	close(c->sock);
	close(c->doorbell);
	close(c->client_wake);
	munmap(c->slot, DOORFS_SLOT_SIZE);
	ucred_free(c->cred);
	if (c->pidfd >= 0)
		close(c->pidfd);
	ldoor_unref(c->door);
	free(c);
}

/*
 * The client went away: stop watching it.  A thread serving it is
 * cancelled, as illumos does, unless the door is DOOR_NO_CANCEL; that
 * acts only if its procedure enabled cancellation (pool threads start
 * with it disabled), and its reply is discarded either way.
 */
static void conn_hangup(struct conn *c)
{
	atomic_store(&c->dead, true);
	epoll_ctl(c->door->pool->epfd, EPOLL_CTL_DEL, c->doorbell, NULL);
	epoll_ctl(srv.epfd, EPOLL_CTL_DEL, c->sock, NULL);
	pthread_mutex_lock(&server_lock);
	handle_free(c->handle);
	if (c->serving && !(c->door->attributes & DOOR_NO_CANCEL))
		pthread_cancel(c->server_thread);
	pthread_mutex_unlock(&server_lock);
	conn_unref(c);
}

/* Map the caller's slot, if it is one we can trust not to shrink. */
static struct doorfs_slot *map_slot(int fd)
{
	struct stat st;
	int seals = fcntl(fd, F_GET_SEALS);
	if (libc_fstat(fd, &st) < 0 || st.st_size < (off_t)DOORFS_SLOT_SIZE ||
	    seals < 0 || !(seals & F_SEAL_SHRINK))
		return NULL;
	void *p = mmap(NULL, DOORFS_SLOT_SIZE, PROT_READ | PROT_WRITE,
		       MAP_SHARED, fd, 0);
	return p == MAP_FAILED ? NULL : p;
}

static ucred_t *peer_cred(int sock)
{
	struct ucred peer;
	socklen_t len = sizeof(peer);
	if (getsockopt(sock, SOL_SOCKET, SO_PEERCRED, &peer, &len) < 0)
		return NULL;
	ucred_t *uc = ucred_alloc();
	if (uc)
		ucred_fill_peer(uc, peer.pid, peer.uid, peer.gid);
	return uc;
}

static void send_welcome(int sock, int error, int doorbell, uint32_t flags)
{
	struct doorfs_welcome w = { .version = DOORFS_VERSION, .error = error,
				    .flags = flags };
	wire_send(sock, &w, sizeof(w), &doorbell, doorbell >= 0 ? 1 : 0);
}

/*
 * A handshake arrived on sock: make it a connection, or refuse it.
 * Returns false when the socket is done with (refused or failed).
 */
static bool accept_hello(int sock, uint64_t h)
{
	struct doorfs_hello hello;
	int fds[3] = { -1, -1, -1 };
	unsigned nfds = 0;
	int rerr = wire_recv(sock, &hello, sizeof(hello), fds, 3, &nfds,
			     MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
	if (rerr == EAGAIN)
		return true;

	int error = EPROTO;
	struct ldoor *door = NULL;
	struct doorfs_slot *slot = NULL;
	struct conn *c = NULL;
	/* The daemon sends no door descriptor: the slot and eventfd come
	 * first, and its key stands for the descriptor (doorfs.h). */
	bool forwarded = !rerr && (hello.flags & DOORFS_HELLO_FORWARD);
	unsigned first = forwarded ? 0 : 1;
	if (rerr || nfds != first + 2 || hello.version != DOORFS_VERSION ||
	    hello.slot_size != DOORFS_SLOT_SIZE || hello.reserved ||
	    (hello.flags & ~DOORFS_HELLO_FORWARD) ||
	    (!forwarded && hello.forward_key) || !wire_is_eventfd(fds[first + 1]))
		goto refuse;
	error = forwarded ? EPERM : EBADF;
	door = forwarded ?
		registry_find_forward(hello.door_id, hello.forward_key) :
		registry_find_fd(fds[0]);
	if (!door || atomic_load(&door->revoked) || door->id != hello.door_id)
		goto refuse;
	error = EPROTO;
	if (!(slot = map_slot(fds[first])) ||
	    slot->version != DOORFS_SLOT_VERSION)
		goto refuse;
	error = ENOMEM;
	if (!(c = calloc(1, sizeof(*c))))
		goto refuse;
	c->sock = sock;
	c->client_wake = fds[first + 1];
	c->slot = slot;
	c->door = door;
	c->forwarded = forwarded;
	c->pidfd = -1;
	atomic_init(&c->refs, 1);
	c->doorbell = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	/* The daemon's own credentials would be the wrong answer. */
	c->cred = forwarded ? NULL : peer_cred(sock);
	if (c->doorbell < 0 || (!forwarded && !c->cred))
		goto refuse;
	/*
	 * With the caller's pidfd, door_ucred reads its ids when asked, so
	 * the caller need not check on every call whether they changed
	 * (DOORFS_WELCOME_LIVE_IDS): two system calls off each door_call.
	 */
	if (!forwarded)
		c->pidfd = ucred_peer_pidfd(sock);

	/* The runtime epoll keeps this handle, now naming a connection. */
	pthread_mutex_lock(&server_lock);
	struct handle_entry *e = handle_get(h);
	e->kind = H_CONN;
	e->obj = c;
	c->handle = h;
	pthread_mutex_unlock(&server_lock);

	struct epoll_event ring = { .events = EPOLLIN | EPOLLET, .data.u64 = h };
	struct epoll_event hup = { .events = EPOLLRDHUP, .data.u64 = h };
	if (epoll_ctl(door->pool->epfd, EPOLL_CTL_ADD, c->doorbell, &ring) < 0 ||
	    epoll_ctl(srv.epfd, EPOLL_CTL_MOD, sock, &hup) < 0) {
		send_welcome(sock, ENOMEM, -1, 0);
		conn_hangup(c);
	} else {
		send_welcome(sock, 0, c->doorbell,
			     c->pidfd >= 0 ? DOORFS_WELCOME_LIVE_IDS : 0);
	}
	for (unsigned i = 0; i < first + 1; i++)
		close(fds[i]);          /* the door and the slot: mapped */
	return true;

refuse:
	send_welcome(sock, error, -1, 0);
	if (c) {
		if (c->doorbell >= 0)
			close(c->doorbell);
		ucred_free(c->cred);
		if (c->pidfd >= 0)
			close(c->pidfd);
		free(c);
	}
	if (slot)
		munmap(slot, DOORFS_SLOT_SIZE);
	if (door)
		ldoor_unref(door);
	for (unsigned i = 0; i < nfds; i++)
		close(fds[i]);
	return false;
}

static void accept_all(void)
{
	int sock;
	while ((sock = accept4(srv.listen_sock, NULL, NULL,
			       SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0) {
		pthread_mutex_lock(&server_lock);
		uint64_t h = handle_new(H_HANDSHAKE, (void *)(intptr_t)sock);
		pthread_mutex_unlock(&server_lock);
		struct epoll_event ev = { .events = EPOLLIN, .data.u64 = h };
		if (!h || epoll_ctl(srv.epfd, EPOLL_CTL_ADD, sock, &ev) < 0) {
			close(sock);
			pthread_mutex_lock(&server_lock);
			handle_free(h);
			pthread_mutex_unlock(&server_lock);
		}
	}
}

static void *runtime_main(void *arg)
{
	(void)arg;
	pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, NULL);
	for (;;) {
		struct epoll_event evs[16];
		int n = epoll_wait(srv.epfd, evs, 16, -1);
		for (int i = 0; i < n; i++) {
			uint64_t h = evs[i].data.u64;
			pthread_mutex_lock(&server_lock);
			struct handle_entry *e = handle_get(h);
			enum handle_kind kind = e ? e->kind : H_FREE;
			void *obj = e ? e->obj : NULL;
			pthread_mutex_unlock(&server_lock);

			if (kind == H_LISTEN) {
				accept_all();
			} else if (kind == H_HANDSHAKE) {
				int sock = (int)(intptr_t)obj;
				if (!accept_hello(sock, h)) {
					epoll_ctl(srv.epfd, EPOLL_CTL_DEL, sock, NULL);
					close(sock);
					pthread_mutex_lock(&server_lock);
					handle_free(h);
					pthread_mutex_unlock(&server_lock);
				}
			} else if (kind == H_CONN &&
				   (evs[i].events & (EPOLLRDHUP | EPOLLHUP | EPOLLERR))) {
				conn_hangup(obj);
			}
		}
	}
	return NULL;
}

/*
 * Under server_lock.  After fork the child has none of the parent's
 * threads, so the parent's listening side and pool are not its own: it
 * starts afresh (the parent's descriptors stay open in the child, as an
 * illumos child keeps its inherited door descriptors).
 */
static void own_server_state(void)
{
	if (!current_pid)
		current_pid = getpid();
	pid_t me = current_pid;
	if (srv.owner == me)
		return;
	srv.owner = me;
	srv.listening = false;
	srv.listen_sock = -1;
	srv.epfd = -1;
	srv.global = NULL;
	/* The parent's connections are not ours to serve. */
	free(handles);
	handles = NULL;
	nhandles = 0;
}

int server_start(const char **name)
{
	int err = 0;
	pthread_mutex_lock(&server_lock);
	own_server_state();
	if (srv.listening) {
		*name = srv.name;
		goto out;
	}

	uint64_t nonce;
	if (getrandom(&nonce, sizeof(nonce), 0) != sizeof(nonce))
		nonce = (uint64_t)(uintptr_t)&nonce ^ (uint64_t)getpid();
	snprintf(srv.name, sizeof(srv.name), "doorfs/%d/%016llx",
		 (int)getpid(), (unsigned long long)nonce);
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	size_t len = strlen(srv.name);
	memcpy(addr.sun_path + 1, srv.name, len);       /* abstract */
	socklen_t alen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + len);

	srv.listen_sock = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK |
				 SOCK_CLOEXEC, 0);
	srv.epfd = epoll_create1(EPOLL_CLOEXEC);
	if (srv.listen_sock < 0 || srv.epfd < 0 ||
	    bind(srv.listen_sock, (struct sockaddr *)&addr, alen) < 0 ||
	    listen(srv.listen_sock, 128) < 0) {
		err = errno;
		goto fail;
	}
	uint64_t h = handle_new(H_LISTEN, NULL);
	struct epoll_event ev = { .events = EPOLLIN, .data.u64 = h };
	if (!h || epoll_ctl(srv.epfd, EPOLL_CTL_ADD, srv.listen_sock, &ev) < 0) {
		err = h ? errno : ENOMEM;
		goto fail;
	}
	pthread_attr_t attr;
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	err = pthread_create(&srv.runtime, &attr, runtime_main, NULL);
	pthread_attr_destroy(&attr);
	if (err)
		goto fail;
	srv.listening = true;
	*name = srv.name;
	goto out;
fail:
	if (srv.listen_sock >= 0)
		close(srv.listen_sock);
	if (srv.epfd >= 0)
		close(srv.epfd);
	srv.listen_sock = srv.epfd = -1;
out:
	pthread_mutex_unlock(&server_lock);
	return err;
}

static void slot_reply(struct conn *c, int error, uint64_t size,
		       uint32_t flags);

/* --- pools --- */

int pool_new(struct ldoor *private_door, struct pool **out)
{
	struct pool *p = calloc(1, sizeof(*p));
	if (!p)
		return ENOMEM;
	p->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (p->epfd < 0) {
		free(p);
		return errno;
	}
	p->door = private_door;
	*out = p;
	return 0;
}

void pool_free_private(struct ldoor *door)
{
	struct pool *p = door->pool;
	if (!p || p->door != door)
		return;                 /* the process-wide pool stays */
	close(p->epfd);
	free(p);
	door->pool = NULL;
}

int pool_global(struct pool **out)
{
	int err = 0;
	pthread_mutex_lock(&server_lock);
	own_server_state();
	if (!srv.global)
		err = pool_new(NULL, &srv.global);
	*out = srv.global;
	pthread_mutex_unlock(&server_lock);
	return err;
}

static void pool_unwatch_door(struct ldoor *door);

int pool_watch_door(struct pool *pool, struct ldoor *door)
{
	pthread_mutex_lock(&server_lock);
	uint64_t h = handle_new(H_DOOR, door);
	pthread_mutex_unlock(&server_lock);
	if (!h)
		return ENOMEM;
	ldoor_ref(door);
	door->watch = h;
	struct epoll_event ev = { .events = EPOLLIN | EPOLLONESHOT, .data.u64 = h };
	if (epoll_ctl(pool->epfd, EPOLL_CTL_ADD, door->server_end, &ev) < 0) {
		int err = errno;
		pool_unwatch_door(door);
		return err;
	}
	return 0;
}

/*
 * door_revoke: calls waiting for a server thread fail with EBADF now;
 * calls being served finish; the file plane is no longer watched.
 */
void server_revoke(struct ldoor *door)
{
	pool_unwatch_door(door);
	pthread_mutex_lock(&server_lock);
	for (uint32_t i = 0; i < nhandles; i++) {
		struct conn *c = handles[i].obj;
		if (handles[i].kind != H_CONN || c->door != door)
			continue;
		uint32_t expect = DOORFS_SLOT_CALL;
		if (atomic_compare_exchange_strong(
			    (_Atomic uint32_t *)&c->slot->state, &expect,
			    DOORFS_SLOT_SERVING))
			slot_reply(c, EBADF, 0, 0);
	}
	pthread_mutex_unlock(&server_lock);
}

static void pool_unwatch_door(struct ldoor *door)
{
	epoll_ctl(door->pool->epfd, EPOLL_CTL_DEL, door->server_end, NULL);
	pthread_mutex_lock(&server_lock);
	struct handle_entry *e = handle_get(door->watch);
	bool watched = e && e->obj == door;
	if (watched)
		handle_free(door->watch);
	pthread_mutex_unlock(&server_lock);
	if (watched)
		ldoor_unref(door);
}

static void fill_info(struct ldoor *door, door_info_t *info)
{
	memset(info, 0, sizeof(*info));
	info->di_target = door->creator;
	info->di_proc = (door_ptr_t)(uintptr_t)door->proc;
	info->di_data = (door_ptr_t)(uintptr_t)door->cookie;
	info->di_attributes = door->attributes | DOOR_LOCAL;
	info->di_uniquifier = door->id;
}

/*
 * illumos calls the server-create function with NULL at a process's first
 * non-private door_create, and with the door's info at every DOOR_PRIVATE
 * door_create; never with NULL for a private door.
 */
void pool_created(struct pool *pool, struct ldoor *door)
{
	if (pool->door) {
		door_info_t info;
		fill_info(door, &info);
		server_func(&info);
		return;
	}
	pthread_mutex_lock(&server_lock);
	bool first = !pool->started;
	pool->started = true;
	pthread_mutex_unlock(&server_lock);
	if (first)
		server_func(NULL);
}

/* --- server threads --- */

/* What a server thread is doing, in its own thread-local storage. */
struct server_thread {
	jmp_buf park;                   /* door_return comes back here */
	bool parked_here;               /* park() is on this stack */
	struct ldoor *bind;             /* door_bind: a private pool */
	struct ldoor *serving_door;     /* the door of the current call */

	/* The connection served last, watched briefly for the next call,
	 * and the bytes its call copied through the slot (its caller
	 * copies as many before the next call). */
	struct conn *recent;
	uint64_t recent_bytes;

	/* The call in progress, if any. */
	struct conn *conn;              /* fast plane */
	struct ldoor *fileplane;        /* or the file plane, on this door */
	ucred_t *fileplane_cred;
	/* A call the daemon forwarded: its caller, and the largest result
	 * the daemon takes. */
	struct {
		pid_t tid;
		uid_t uid;
		gid_t gid;
		uint64_t result_max;
	} forwarded;
	/*
	 * The caller of a forwarded call, or of one with a pidfd (its ids as
	 * they are when asked), made only if door_ucred or door_cred asks:
	 * reading /proc or the pidfd costs more than the call.  One buffer
	 * kept for the thread's life; caller_known says it describes the
	 * call in progress.
	 */
	ucred_t *caller;
	bool caller_known;
	bool unref;                     /* an unreferenced notice */
	uint64_t seq;
	uint32_t flags;
	uint64_t slot_bytes;            /* arguments and result, in the slot */
	void *bulk;                     /* a mapped bulk argument */
	size_t bulk_len;
	door_desc_t *descs;             /* the call's descriptors */
	uint_t ndesc;

	char *args;                     /* our copy of slot arguments */
	size_t args_cap;
};

static __thread struct server_thread self;

struct ldoor *server_thread_door(void)
{
	return self.bind;
}

/* A pool thread of the default server function (illumos's own). */
static void *pool_thread(void *arg)
{
	(void)arg;
	pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, NULL);
	door_return(NULL, 0, NULL, 0);
	return NULL;
}

static void default_server_func(door_info_t *info)
{
	(void)info;
	pthread_t t;
	pthread_attr_t attr;
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	pthread_create(&t, &attr, pool_thread, NULL);
	pthread_attr_destroy(&attr);
}

LIBDOOR_EXPORT door_server_func_t *door_server_create(door_server_func_t *fn)
{
	pthread_mutex_lock(&server_lock);
	door_server_func_t *old = server_func;
	server_func = fn;
	pthread_mutex_unlock(&server_lock);
	return old;
}

/*
 * This thread no longer serves c, so c's hang-up must not cancel it:
 * said before the reply is published, after which the caller may leave.
 */
static void stop_serving(struct conn *c)
{
	pthread_mutex_lock(&server_lock);
	c->serving = false;
	pthread_mutex_unlock(&server_lock);
}

/* Finish the call on the slot: publish the reply and wake the caller. */
static void slot_reply(struct conn *c, int error, uint64_t size,
		       uint32_t flags)
{
	struct doorfs_slot *slot = c->slot;
	slot->error = error;
	slot->size = size;
	slot->flags = flags;
	slot->server_cpu = -1;
	atomic_store((_Atomic uint32_t *)&slot->state, DOORFS_SLOT_REPLY);
	uint32_t sleeping =
		atomic_load((_Atomic uint32_t *)&slot->client_sleeping);
	if (sleeping == DOORFS_SLOT_SLEEP_FUTEX) {
		slot_futex(&slot->state, FUTEX_WAKE, 1, NULL);
	} else if (sleeping) {
		uint64_t one = 1;
		ssize_t n = write(c->client_wake, &one, sizeof(one));
		(void)n;        /* a full counter still wakes the client */
	}
}

/* Map the bulk argument the client sent for call seq. */
static int take_bulk(struct conn *c, uint64_t seq, uint64_t size)
{
	int fd;
	int err = bulk_recv(c->sock, seq, size,
			    MSG_DONTWAIT | MSG_CMSG_CLOEXEC, &fd);
	if (err)
		return EPROTO;
	void *p = mmap(NULL, size, PROT_READ, MAP_SHARED, fd, 0);
	close(fd);
	if (p == MAP_FAILED)
		return errno;
	self.bulk = p;
	self.bulk_len = size;
	return 0;
}

static void deliver_unref(struct ldoor *door);
static void __attribute__((noreturn)) park_loop(void);

/* The call is over for this thread: let go of what it held. */
static void end_call(void)
{
	struct ldoor *delayed_unref = NULL;
	if (self.bulk)
		munmap(self.bulk, self.bulk_len);
	self.bulk = NULL;
	free(self.descs);               /* the descriptors are the program's */
	self.descs = NULL;
	self.ndesc = 0;
	if (self.conn) {
		/* No longer served (stop_serving; a reply said so already),
		 * and the last call on the door lets a held-back notice go:
		 * one critical section on every call's way back. */
		struct ldoor *door = self.conn->door;
		pthread_mutex_lock(&server_lock);
		self.conn->serving = false;
		if (--door->active == 0 && door->unref_deferred) {
			door->unref_deferred = false;
			delayed_unref = door;
			ldoor_ref(door);
		}
		pthread_mutex_unlock(&server_lock);
		/* Its caller often calls again at once: watch it a moment. */
		if (self.recent)
			conn_unref(self.recent);
		self.recent = self.conn;
		self.recent_bytes = self.slot_bytes;
	}
	self.slot_bytes = 0;
	self.conn = NULL;
	self.unref = false;
	if (self.fileplane) {
		/* Ready for the next file-plane call on this door. */
		struct ldoor *door = self.fileplane;
		struct epoll_event ev = {
			.events = EPOLLIN | EPOLLONESHOT, .data.u64 = door->watch,
		};
		if (!atomic_load(&door->revoked))
			epoll_ctl(door->pool->epfd, EPOLL_CTL_MOD,
				  door->server_end, &ev);
		ldoor_unref(door);
		ucred_free(self.fileplane_cred);
	}
	self.fileplane = NULL;
	self.fileplane_cred = NULL;
	if (self.serving_door)
		ldoor_unref(self.serving_door);
	self.serving_door = NULL;
	if (delayed_unref)
		deliver_unref(delayed_unref);   /* does not return */
}

/* Run a depletion callback: this thread was the pool's last one. */
static void deplete(struct pool *pool)
{
	struct ldoor *door = pool->door;
	if (door && (door->attributes & DOOR_PRIVCREATE)) {
		/* door_xcreate: its crf, once, unless it asked for none. */
		if (!(door->attributes & DOOR_NO_DEPLETION_CB))
			xcreate_start(door, NULL);
	} else if (pool->door) {
		door_info_t info;
		fill_info(pool->door, &info);
		info.di_attributes |= DOOR_DEPLETION_CB;
		server_func(&info);
	} else {
		server_func(NULL);
	}
}

/* A server thread ends: what it keeps between calls goes with it. */
static void thread_ends(void)
{
	if (self.recent)
		conn_unref(self.recent);
	self.recent = NULL;
	free(self.args);
	self.args = NULL;
	self.args_cap = 0;
	if (self.bind)
		ldoor_unref(self.bind);
	self.bind = NULL;
	ucred_free(self.caller);
	self.caller = NULL;
}

/* A procedure cancelled because its caller left: let the call go, and
 * the thread, which cancellation ends. */
static void cancelled_call(void *unused)
{
	(void)unused;
	end_call();
	thread_ends();
}


/*
 * How long a server thread waits for the next piece of streamed
 * arguments before it gives the call up: a client that published a call
 * and stopped (stopped by a signal, or a program that broke the
 * protocol) must not hold a server thread for ever.  Far longer than
 * any scheduler delay of a running client.
 */
#define STREAM_STALL_NS 1000000000u

/* Waiting for a piece of a streamed argument (libdoor.h). */
static int wait_for_args(void *arg, uint64_t idle_ns)
{
	struct conn *c = arg;
	if (atomic_load(&c->dead))
		return EPIPE;           /* nobody to answer */
	if (idle_ns >= STREAM_STALL_NS) {
		/* The runtime thread sees the hang-up and drops it. */
		shutdown(c->sock, SHUT_RDWR);
		return EPROTO;
	}
	if (!stream_wait_briefly(idle_ns)) {
		struct timespec nap = { .tv_nsec = 100000 };
		nanosleep(&nap, NULL);
	}
	return 0;
}

/* Copy the arguments out of the slot, or map the bulk ones. */
static int take_args(struct conn *c, uint64_t size, uint32_t flags,
		     char **argp)
{
	if (flags & DOORFS_SLOT_BULK) {
		int err = take_bulk(c, self.seq, size);
		*argp = self.bulk;
		return err;
	}
	if (size > DOORFS_SLOT_DATA_MAX)
		return EPROTO;
	if (size > self.args_cap) {
		char *grown = realloc(self.args, size);
		if (!grown)
			return ENOMEM;
		self.args = grown;
		self.args_cap = size;
	}
	self.slot_bytes = size;
	*argp = self.args;
	if (flags & DOORFS_SLOT_STREAM)
		return slot_stream_out(c->slot, self.args, size, wait_for_args,
				       c);
	if (size)
		slot_copy(c->slot, self.args, c->slot + 1, size);
	return 0;
}

/* Take the call's descriptors off the socket, described. */
static int take_descs(struct conn *c, uint32_t n)
{
	if (n > 1024)
		return EPROTO;
	self.descs = calloc(n, sizeof(door_desc_t));
	if (!self.descs)
		return ENOMEM;
	int err = descs_recv(c->sock, self.seq, n, self.descs);
	if (err) {
		free(self.descs);
		self.descs = NULL;
		return err;
	}
	self.ndesc = n;
	return 0;
}

/*
 * Whether the door takes this call, in illumos's order: a revoked door,
 * then the data limits, then descriptors refused or too many.
 */
static int admit(const struct ldoor *door, uint64_t size, uint_t ndesc,
		 bool forwarded)
{
	if (atomic_load(&door->revoked))
		return EBADF;
	/* File-plane calls are not held to DOOR_PARAM_* (LIBDOOR.md),
	 * whichever way they reach us. */
	if (!forwarded &&
	    (size < door->params.data_min || size > door->params.data_max))
		return ENOBUFS;
	if (ndesc && (door->attributes & DOOR_REFUSE_DESC))
		return ENOTSUP;
	if (ndesc > door->params.desc_max)
		return ENFILE;
	return 0;
}

/* A forwarded call names its caller in the slot: the daemon's word. */
static void take_forwarded_caller(const struct doorfs_slot *slot)
{
	self.forwarded.tid = slot->caller_tid;
	self.forwarded.uid = slot->caller_uid;
	self.forwarded.gid = slot->caller_gid;
	self.forwarded.result_max = slot->result_max;
}

/* Serve one fast-plane call; returns only if the call was refused. */
static void serve_conn(struct conn *c, bool last_thread, struct pool *pool)
{
	struct doorfs_slot *slot = c->slot;
	uint64_t size = slot->size;
	uint32_t ndesc = slot->ndesc;
	self.seq = slot->seq;
	self.flags = slot->flags;
	if (c->forwarded)
		take_forwarded_caller(slot);
	self.caller_known = false;
	slot->server_cpu = sched_getcpu();

	/* Everything the call sent is taken off the socket first, even for
	 * a call refused, so the next call finds the socket in step. */
	struct ldoor *door = c->door;
	char *argp = NULL;
	int err = take_args(c, size, self.flags, &argp);
	if (!err && (self.flags & DOORFS_SLOT_DESCS))
		err = take_descs(c, ndesc);
	if (!err)
		err = admit(door, size, self.ndesc, c->forwarded);
	if (err) {
		descs_close(self.descs, self.ndesc);
		self.conn = NULL;
		end_call();
		slot_reply(c, err, 0, 0);
		return;
	}

	self.conn = c;
	ldoor_ref(door);
	self.serving_door = door;
	pthread_mutex_lock(&server_lock);
	c->server_thread = pthread_self();
	c->serving = true;
	door->active++;
	pthread_mutex_unlock(&server_lock);
	if (last_thread)
		deplete(pool);
	door->proc(door->cookie, size ? argp : NULL, size,
		   self.ndesc ? self.descs : NULL, self.ndesc);

	/* The procedure returned without door_return: its thread ends. */
	stop_serving(c);
	slot_reply(c, EINTR, 0, 0);
	end_call();
	thread_ends();
	pthread_exit(NULL);
}

/*
 * Serve a file-plane call waiting on the door's server end.  It takes
 * over the caller's reference to door; returns only if there was no call
 * to serve (the end is re-armed for the next one).
 */
static void serve_fileplane(struct ldoor *door, bool last_thread,
			    struct pool *pool)
{
	struct doorfs_caller who;
	char first[4096];
	self.fileplane = door;
	ssize_t n = read(door->server_end, first, sizeof(first));
	if (n < 0 || ioctl(door->server_end, DOORFS_IOC_CALLER, &who) < 0) {
		end_call();
		return;
	}
	size_t size = (size_t)who.arg_size;
	if (size > self.args_cap) {
		char *grown = realloc(self.args, size);
		if (!grown) {
			ioctl(door->server_end, DOORFS_IOC_RETURN);
			end_call();
			return;
		}
		self.args = grown;
		self.args_cap = size;
	}
	if (n > 0)
		memcpy(self.args, first, (size_t)n);
	for (size_t got = (size_t)n; got < size;) {
		ssize_t k = read(door->server_end, self.args + got, size - got);
		if (k <= 0)
			break;
		got += (size_t)k;
	}

	/* The daemon's unreferenced notice: only it can set this flag. */
	if (who.flags & DOORFS_CALLER_UNREF) {
		pthread_mutex_lock(&server_lock);
		bool delay = door->active > 0;
		door->unref_deferred = delay;
		pthread_mutex_unlock(&server_lock);
		if (delay) {
			/* Held on the server end until the calls are over. */
			self.fileplane = NULL;
			ldoor_unref(door);
			return;
		}
		deliver_unref(door);
	}

	ldoor_ref(door);
	self.serving_door = door;
	self.fileplane_cred = ucred_alloc();
	if (self.fileplane_cred)
		ucred_fill_peer(self.fileplane_cred, who.pid, who.uid, who.gid);
	if (last_thread)
		deplete(pool);
	door->proc(door->cookie, size ? self.args : NULL, size, NULL, 0);

	/* Returned without door_return: no result, and the thread ends. */
	ioctl(door->server_end, DOORFS_IOC_RETURN);
	end_call();
	thread_ends();
	pthread_exit(NULL);
}

/*
 * Run the door's procedure for its unreferenced notice, which the
 * door's server end holds: argp is DOOR_UNREF_DATA and no result is
 * taken.  Takes over a reference to door; does not return.
 */
static void deliver_unref(struct ldoor *door)
{
	self.fileplane = door;
	self.unref = true;
	ldoor_ref(door);
	self.serving_door = door;
	self.fileplane_cred = ucred_alloc();
	if (self.fileplane_cred)
		ucred_fill_peer(self.fileplane_cred, 0, 0, 0);
	door->proc(door->cookie, DOOR_UNREF_DATA, 0, NULL, 0);

	/* Returned without door_return: the notice is done, the thread too. */
	ioctl(door->server_end, DOORFS_IOC_RETURN);
	end_call();
	thread_ends();
	pthread_exit(NULL);
}

/*
 * How long a server thread watches the connection it just served before
 * it sleeps in the pool, and whether it may at all.  A caller in a loop
 * calls again within microseconds; catching that call on a running CPU
 * costs about 0.1 us instead of a sleep and a wake-up (about 40 us).
 * Spinning steals a CPU, so it is short (longer after a big call, whose
 * caller copies the result out and its next arguments in: libdoor.h),
 * and never done by a process confined to one CPU, where it would only
 * delay the caller.
 */
#define SERVER_SPIN_NS 20000

/*
 * The daemon's connection (forwarded file-plane calls) calls at the pace
 * of FUSE: its next call comes after the caller has had its answer and
 * sent its next request, two wake-ups later (about 50 us here, up to
 * 100).  Watched for 20 us it is found asleep every time, and every
 * file-plane call pays a doorbell and a wake-up on top of FUSE's own.
 */
#define SERVER_SPIN_FORWARDED_NS 150000

static int allowed_cpus(void)
{
	cpu_set_t set;
	return sched_getaffinity(0, sizeof(set), &set) == 0 ?
		CPU_COUNT(&set) : 1;
}

static bool spinning_pays(void)
{
	int n = atomic_load(&spin_cpus);
	if (!n) {
		n = allowed_cpus();
		atomic_store(&spin_cpus, n);
	}
	return n > 1;
}

/*
 * Asked afresh: a process may be confined after its first calls
 * (taskset -p, or sched_setaffinity as doorbench does between its
 * unpinned and pinned runs), and a system call costs nothing beside the
 * copy of more than a piece.
 */
bool streaming_pays(void)
{
	return allowed_cpus() > 1;
}

/*
 * Watch c for its next call for a moment, counted as parked in pool.
 * While it watches, slot->server_cpu says where, so the caller spins too
 * and need not ring the doorbell.  The two sides agree with a Dekker
 * handshake: the caller stores CALL then reads server_cpu; the server
 * withdraws server_cpu then reads the state.  One of them sees the
 * other, so a call is never left unseen.
 */
static bool spin_for_call(struct conn *c, struct pool *pool, bool *last)
{
	if (!spinning_pays() || atomic_load(&c->dead))
		return false;
	_Atomic uint32_t *state = (_Atomic uint32_t *)&c->slot->state;
	_Atomic int32_t *cpu = (_Atomic int32_t *)&c->slot->server_cpu;
	atomic_fetch_add(&pool->parked, 1);
	atomic_store(cpu, sched_getcpu());
	/* Its caller first handles a big result: give it the time a copy
	 * of the call's data would take (16 bytes/ns, a third of a warm
	 * memcpy here), then spin on while it copies its next arguments. */
	struct spin_clock clock;
	uint64_t base = c->forwarded ? SERVER_SPIN_FORWARDED_NS : SERVER_SPIN_NS;
	spin_start(&clock, c->slot, base + self.recent_bytes / 16, base);
	bool taken = false;
	for (unsigned i = 1; !taken; i++) {
		uint32_t expect = DOORFS_SLOT_CALL;
		if (atomic_load(state) == DOORFS_SLOT_CALL &&
		    atomic_compare_exchange_strong(state, &expect,
						   DOORFS_SLOT_SERVING)) {
			taken = true;
			break;
		}
		if (i % 64 == 0) {
			if (spin_expired(&clock, c->slot))
				break;
			/* The daemon and its caller may need this CPU. */
			if (c->forwarded)
				sched_yield();
		}
		__builtin_ia32_pause();
	}
	if (!taken) {
		atomic_store(cpu, -1);
		uint32_t expect = DOORFS_SLOT_CALL;
		taken = atomic_compare_exchange_strong(state, &expect,
						       DOORFS_SLOT_SERVING);
	}
	*last = atomic_fetch_sub(&pool->parked, 1) == 1;
	return taken;
}

/*
 * Wait in the pool for a call and serve it; never returns.  Its frame is
 * where door_return comes back to, so it is also where the cleanup of a
 * cancelled procedure is registered: a scope door_return never leaves.
 */
static void __attribute__((noreturn)) park(void)
{
	pthread_cleanup_push(cancelled_call, NULL);
	park_loop();
	pthread_cleanup_pop(0);
}

static void __attribute__((noreturn)) park_loop(void)
{
	setjmp(self.park);
	self.parked_here = true;
	for (;;) {
		struct pool *pool;
		if (self.bind) {
			pool = self.bind->pool;
		} else if (pool_global(&pool)) {
			sleep(1);       /* no memory for a pool: try again */
			continue;
		}

		struct conn *recent = self.recent;
		self.recent = NULL;
		if (recent) {
			bool last;
			if (recent->door->pool == pool &&
			    spin_for_call(recent, pool, &last))
				serve_conn(recent, last, pool);
			conn_unref(recent);
		}

		struct epoll_event ev;
		atomic_fetch_add(&pool->parked, 1);
		int n = epoll_wait(pool->epfd, &ev, 1, -1);
		bool last = atomic_fetch_sub(&pool->parked, 1) == 1;
		if (n != 1)
			continue;       /* a signal does not end a parked thread */

		pthread_mutex_lock(&server_lock);
		struct handle_entry *e = handle_get(ev.data.u64);
		enum handle_kind kind = e ? e->kind : H_FREE;
		void *obj = e ? e->obj : NULL;
		if (kind == H_CONN)
			atomic_fetch_add(&((struct conn *)obj)->refs, 1);
		if (kind == H_DOOR)
			ldoor_ref(obj);
		pthread_mutex_unlock(&server_lock);

		if (kind == H_CONN) {
			struct conn *c = obj;
			uint32_t expect = DOORFS_SLOT_CALL;
			if (atomic_compare_exchange_strong(
				    (_Atomic uint32_t *)&c->slot->state, &expect,
				    DOORFS_SLOT_SERVING))
				serve_conn(c, last, pool);
			conn_unref(c);
		} else if (kind == H_DOOR) {
			serve_fileplane(obj, last, pool);
		}
	}
}

/* Deliver the result of a fast-plane call. */
static int reply_conn(char *data, size_t size, door_desc_t *desc,
		      uint_t ndesc)
{
	struct conn *c = self.conn;
	if (atomic_load(&c->dead)) {
		descs_release(desc, ndesc);     /* nobody to hand them to */
		return 0;
	}
	uint32_t flags = 0;
	int error = 0;
	/* The daemon reads no streamed reply (doorfs.h). */
	bool stream = !c->forwarded && slot_streams(size);
	if (stream) {
		flags |= DOORFS_SLOT_STREAM;    /* copied once published */
		self.slot_bytes += size;
	} else if (size <= DOORFS_SLOT_DATA_MAX) {
		if (size)
			slot_copy(c->slot, c->slot + 1, data, size);
		self.slot_bytes += size;
	} else if (bulk_send(c->sock, self.seq, data, size) == 0) {
		flags |= DOORFS_SLOT_BULK;
	} else {
		error = EOVERFLOW;      /* illumos: the client hears it */
	}
	if (!error && ndesc) {
		int err = descs_send(c->sock, self.seq, desc, ndesc);
		if (err == EINVAL || err == ENOMEM)
			return err;     /* nothing sent: the client waits on */
		if (err == EBADF) {
			descs_release(desc, ndesc);     /* the client is gone */
			stop_serving(c);
			return 0;
		}
		if (err) {
			error = EMFILE;
		} else {
			descs_release(desc, ndesc);
			flags |= DOORFS_SLOT_DESCS;
			c->slot->ndesc = ndesc;
		}
	}
	stop_serving(c);
	if (error) {
		slot_reply(c, error, 0, 0);
	} else if (stream) {
		atomic_store_explicit((_Atomic uint64_t *)&c->slot->filled, 0,
				      memory_order_relaxed);
		slot_reply(c, 0, size, flags);
		slot_stream_in(c->slot, data, size);
	} else {
		slot_reply(c, 0, size, flags);
	}
	return 0;
}

/*
 * Deliver the result of a file-plane call through the server end.  A
 * result the daemon cannot take fails door_return with E2BIG, the call
 * still held, as illumos does for a reply the client cannot accept: the
 * procedure may answer again.  The size is checked before anything is
 * written; should the daemon refuse a piece later (the user's buffer
 * share is full), the bytes already written stay part of the result.  A
 * call no longer held (the caller left, the door was revoked) just ends.
 */
static int reply_fileplane(char *data, size_t size)
{
	int fd = self.fileplane->server_end;
	if (size > DOORFS_DATA_MAX)
		return E2BIG;
	for (size_t done = 0; done < size;) {
		ssize_t n = write(fd, data + done, size - done);
		if (n < 0 && (errno == EINVAL || errno == EBADF))
			return 0;
		if (n < 0)
			return E2BIG;
		done += (size_t)n;
	}
	ioctl(fd, DOORFS_IOC_RETURN);
	return 0;
}

LIBDOOR_EXPORT int door_return(char *data, size_t size, door_desc_t *desc,
			       uint_t ndesc)
{
	bool calling = self.conn || self.fileplane;
	if (calling) {
		/* After any of these errors the caller still waits. */
		int err = descs_check(desc, ndesc);
		if (!err && (size || ndesc) &&
		    (self.unref || (self.conn &&
				    (self.flags & DOORFS_SLOT_NO_RESULT))))
			err = E2BIG;    /* door_call(d, NULL) takes no result */
		if (!err && size && !data)
			err = EFAULT;
		bool forwarded = self.conn && self.conn->forwarded;
		if (!err && ndesc && (self.fileplane || forwarded))
			err = ENOTSUP;  /* descriptors cannot cross FUSE */
		if (!err && forwarded && size > self.forwarded.result_max)
			err = E2BIG;    /* as the server end's write would say */
		if (!err)
			err = self.conn ? reply_conn(data, size, desc, ndesc)
					: reply_fileplane(data, size);
		if (err) {
			errno = err;
			return -1;
		}
		end_call();
	} else {
		descs_release(desc, ndesc);     /* no client: discarded */
	}
	if (self.parked_here)
		longjmp(self.park, 1);
	park();
}

void server_bind(struct ldoor *door)
{
	ldoor_ref(door);
	if (self.bind)
		ldoor_unref(self.bind);         /* binding again unbinds */
	self.bind = door;
}

LIBDOOR_EXPORT int door_bind(int d)
{
	if (!doorfs_fd_is_door(d)) {
		errno = EBADF;
		return -1;
	}
	struct ldoor *door = registry_find_fd(d);
	if (!door || !(door->attributes & DOOR_PRIVATE)) {
		if (door)
			ldoor_unref(door);
		errno = EINVAL;
		return -1;
	}
	server_bind(door);
	ldoor_unref(door);
	return 0;
}

LIBDOOR_EXPORT int door_unbind(void)
{
	if (!self.bind) {
		errno = EBADF;
		return -1;
	}
	ldoor_unref(self.bind);
	self.bind = NULL;
	return 0;
}

/* --- who is calling --- */

static const ucred_t *current_cred(void)
{
	struct conn *c = self.conn;
	if (!c)
		return self.fileplane ? self.fileplane_cred : NULL;
	if (!c->forwarded && c->pidfd < 0)
		return c->cred;
	if (!self.caller)
		self.caller = ucred_alloc();
	if (self.caller && !self.caller_known) {
		if (c->forwarded) {
			ucred_fill_thread(self.caller, self.forwarded.tid,
					  self.forwarded.uid,
					  self.forwarded.gid);
		} else {
			/* Gone already: its ids as it connected. */
			memcpy(self.caller, c->cred, ucred_size());
			ucred_refresh_ids(self.caller, c->pidfd);
		}
		self.caller_known = true;
	}
	/* Without memory, the ids a live caller connected with. */
	return self.caller || c->forwarded ? self.caller : c->cred;
}

LIBDOOR_EXPORT int door_ucred(ucred_t **uc)
{
	const ucred_t *cred = current_cred();
	if (!cred || (self.conn && atomic_load(&self.conn->dead))) {
		errno = EINVAL;
		return -1;
	}
	ucred_t *out = *uc ? *uc : ucred_alloc();
	if (!out) {
		errno = ENOMEM;
		return -1;
	}
	memcpy(out, cred, ucred_size());
	*uc = out;
	return 0;
}

LIBDOOR_EXPORT int door_cred(door_cred_t *dc)
{
	const ucred_t *cred = current_cred();
	if (!cred) {
		errno = EINVAL;
		return -1;
	}
	memset(dc, 0, sizeof(*dc));
	dc->dc_euid = ucred_geteuid(cred);
	dc->dc_egid = ucred_getegid(cred);
	dc->dc_ruid = ucred_getruid(cred);
	dc->dc_rgid = ucred_getrgid(cred);
	dc->dc_pid = ucred_getpid(cred);
	return 0;
}
