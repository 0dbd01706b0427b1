/*
 * forward.c: the daemon's side of forwarded calls.
 *
 * A file-plane call to a libdoor door used to reach its server through
 * the server end: a poll wake-up, then read, DOORFS_IOC_CALLER, write and
 * DOORFS_IOC_RETURN, each a FUSE request.  Instead the daemon connects to
 * the server's rendezvous like any libdoor client and puts the call in a
 * shared slot: the caller's own FUSE request is the only one.
 *
 * The daemon is one thread and must never wait for a server, so nothing
 * here blocks: the handshake is answered when the welcome arrives, and a
 * call posted in the slot completes when the server's eventfd (or a
 * hang-up) shows up in the event loop (loop.h).  Meanwhile calls that
 * find no free connection go through the server end as before, so a slow
 * or hostile server costs only its own door the fast path.
 *
 * The daemon holds no descriptor of the door (a file on its own mount,
 * which it cannot open without asking itself), so it proves who it is
 * with the key it gave the door (DOORFS_IOC_FORWARD_KEY), and names each
 * call's caller in the slot: only a connection made with the key may do
 * that (docs/PROTOCOL.md, "Forwarding").
 *
 * A connection's life: HANDSHAKE -welcome-> IDLE -post-> BUSY -reply->
 * IDLE ...; DEAD once it is being closed.  A connection being completed
 * is pinned (in_callback), since calls.c may detach its forwarder from
 * inside door_forward_done: it is closed when the callback returns.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <glib.h>

#include "forward.h"
#include "log.h"
#include "loop.h"
#include "wire.h"

_Static_assert(sizeof(struct doorfs_slot) == 128,
	       "the slot header keeps its size (doorfs.h)");

/*
 * Connections per door: calls on one are serialized, and a door's pool
 * serves several at once, so a few let concurrent callers overlap; more
 * callers than that go through the server end.  The daemon-wide bound
 * keeps its descriptors (three per connection: 384 at most, well inside
 * the usual limit of 1024) and mappings in check however many doors
 * there are.
 */
#define FORWARD_CONNS_PER_DOOR 4
#define FORWARD_CONNS_MAX 128

enum fconn_state { FCONN_HANDSHAKE, FCONN_IDLE, FCONN_BUSY, FCONN_DEAD };

struct forwarder;

struct fconn {
	struct forwarder *fwd;
	enum fconn_state state;
	int sock;
	int wake;               /* the server writes it: we watch */
	int doorbell;           /* we write it: the server's threads watch */
	struct doorfs_slot *slot;
	uint64_t seq;
	void *call;             /* BUSY: calls.c's */
	struct loop_watch *sock_watch, *wake_watch;
	bool in_callback;       /* pinned: close when the callback is over */
	bool close_pending;
};

struct forwarder {
	struct door *door;      /* NULL once detached */
	uint64_t id, key;
	char rendezvous[DOORFS_RENDEZVOUS_MAX];
	GQueue conns;           /* struct fconn, most recently idle first */
	bool refused;           /* the server will not take forwarded calls */
};

static unsigned nconns;         /* daemon-wide */

/* --- connections --- */

static void forwarder_maybe_free(struct forwarder *f)
{
	if (!f->door && g_queue_is_empty(&f->conns))
		g_free(f);
}

/* Release what k holds, however far fconn_open got with it. */
static void fconn_free(struct fconn *k)
{
	loop_remove(k->sock_watch);
	loop_remove(k->wake_watch);
	if (k->slot)
		munmap(k->slot, DOORFS_SLOT_SIZE);
	if (k->sock >= 0)
		close(k->sock);
	if (k->wake >= 0)
		close(k->wake);
	if (k->doorbell >= 0)
		close(k->doorbell);
	g_free(k);
}

static void fconn_close(struct fconn *k)
{
	if (k->in_callback) {
		k->state = FCONN_DEAD;
		k->close_pending = true;
		return;
	}
	struct forwarder *f = k->fwd;
	g_assert(!k->call);
	g_queue_remove(&f->conns, k);
	fconn_free(k);
	nconns--;
	forwarder_maybe_free(f);
}

/* k just became idle: it is the first one fwd_post tries. */
static void fconn_to_front(struct fconn *k)
{
	g_queue_remove(&k->fwd->conns, k);
	g_queue_push_head(&k->fwd->conns, k);
}

static void on_sock(void *data, uint32_t events);
static void on_wake(void *data, uint32_t events);

/*
 * Connect to the server and send the hello; the welcome comes later
 * (on_sock).  Nothing here waits: a full backlog is a failure too.
 */
static void fconn_open(struct forwarder *f)
{
	struct fconn *k = g_new0(struct fconn, 1);
	k->fwd = f;
	k->state = FCONN_HANDSHAKE;
	k->sock = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC,
			 0);
	k->wake = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	k->doorbell = -1;
	int slotfd = memfd_create("doorfsd-slot", MFD_CLOEXEC |
				  MFD_ALLOW_SEALING);
	const char *why = NULL;

	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	size_t len = strnlen(f->rendezvous, sizeof(f->rendezvous) - 1);
	memcpy(addr.sun_path + 1, f->rendezvous, len);  /* abstract */
	socklen_t alen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) +
				     1 + len);
	if (k->sock < 0 || k->wake < 0 || slotfd < 0) {
		why = "no descriptors";
		goto fail;
	}
	if (connect(k->sock, (struct sockaddr *)&addr, alen) < 0) {
		/* Nobody listens there in our network namespace, and nobody
		 * will: the server listens from its first door to its exit.
		 * Only a full backlog (EAGAIN) is worth another try. */
		if (errno != EAGAIN)
			f->refused = true;
		why = "cannot connect";
		goto fail;
	}
	/* Sealed so the server cannot shrink it under us (SIGBUS). */
	if (ftruncate(slotfd, DOORFS_SLOT_SIZE) < 0 ||
	    fcntl(slotfd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW |
		  F_SEAL_SEAL) < 0) {
		why = "no memory for a slot";
		goto fail;
	}
	k->slot = mmap(NULL, DOORFS_SLOT_SIZE, PROT_READ | PROT_WRITE,
		       MAP_SHARED, slotfd, 0);
	if (k->slot == MAP_FAILED) {
		k->slot = NULL;
		why = "no memory for a slot";
		goto fail;
	}
	k->slot->version = DOORFS_SLOT_VERSION;
	k->slot->server_cpu = -1;
	/* The daemon never waits in place (see fwd_post): every reply
	 * must ring. */
	k->slot->client_sleeping = 1;

	struct doorfs_hello hello = {
		.version = DOORFS_VERSION, .slot_size = DOORFS_SLOT_SIZE,
		.door_id = f->id, .flags = DOORFS_HELLO_FORWARD,
		.forward_key = f->key,
	};
	int fds[2] = { slotfd, k->wake };
	if (wire_send(k->sock, &hello, sizeof(hello), fds, 2)) {
		why = "cannot send the hello";
		goto fail;
	}
	close(slotfd);
	slotfd = -1;
	k->sock_watch = loop_add(k->sock, EPOLLIN | EPOLLRDHUP, on_sock, k);
	k->wake_watch = loop_add(k->wake, EPOLLIN, on_wake, k);
	if (!k->sock_watch || !k->wake_watch) {
		why = "cannot watch it";
		goto fail;
	}
	g_queue_push_tail(&f->conns, k);
	nconns++;
	return;

fail:
	log_event("door %llu: forwarding connection failed: %s: %s",
		  (unsigned long long)f->id, why, g_strerror(errno));
	if (slotfd >= 0)
		close(slotfd);
	fconn_free(k);
}

static void take_welcome(struct fconn *k)
{
	struct doorfs_welcome w;
	int bell = -1;
	unsigned n = 0;
	int err = wire_recv(k->sock, &w, sizeof(w), &bell, 1, &n,
			    MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
	if (err == EAGAIN)
		return;
	/* The doorbell is written from this loop: it must be an eventfd,
	 * which never blocks (a pipe could, a door file would deadlock). */
	if (!err && (w.version != DOORFS_VERSION || w.error || n != 1 ||
		     !wire_is_eventfd(bell)))
		err = w.error > 0 ? w.error : EPROTO;
	int flags = err ? -1 : fcntl(bell, F_GETFL);
	if (!err && (flags < 0 || fcntl(bell, F_SETFL, flags | O_NONBLOCK) < 0))
		err = errno;
	struct forwarder *f = k->fwd;
	if (err) {
		if (n)
			close(bell);
		/* An old libdoor (EPROTO), a wrong key (EPERM), a door it
		 * no longer serves (EBADF): the server end it is. */
		if (err != ENOMEM && err != EMFILE && err != ENFILE)
			f->refused = true;
		log_event("door %llu: its server does not take forwarded "
			  "calls: %s", (unsigned long long)f->id,
			  g_strerror(err));
		fconn_close(k);
		return;
	}
	k->doorbell = bell;
	k->state = FCONN_IDLE;
	/* From now on the socket only tells of the server's death. */
	loop_modify(k->sock_watch, EPOLLRDHUP);
	fconn_to_front(k);
	door_forward_ready(f->door);
}

/*
 * Hand k's call back to calls.c, k pinned meanwhile: calls.c may detach
 * its forwarder from inside (fconn_close then only marks k).
 */
static void fconn_done(struct fconn *k, int err, const void *data,
		       size_t len)
{
	void *call = k->call;
	k->call = NULL;
	k->in_callback = true;
	door_forward_done(call, err, data, len);
	k->in_callback = false;
}

/*
 * The reply is in the slot: hand it to calls.c.  Its data is read in
 * place (calls.c copies it), or from the sealed memfd a large one came
 * in.  A reply that breaks the protocol ends the call with EPROTO and
 * the connection with it.  hungup: the server is gone, close after.
 */
static void fconn_complete(struct fconn *k, bool hungup)
{
	struct doorfs_slot *slot = k->slot;
	int err = slot->error;
	uint64_t size = slot->size;
	uint32_t flags = slot->flags;
	const void *data = slot + 1;
	void *bulk = NULL;
	bool keep = !hungup;

	if (err < 0 || err > 4095 || (flags & DOORFS_SLOT_DESCS)) {
		err = EPROTO;   /* descriptors cannot cross the file plane */
	} else if (flags & DOORFS_SLOT_STREAM) {
		err = EPROTO;   /* never streamed to us (doorfs.h) */
	} else if (!err && (flags & DOORFS_SLOT_BULK)) {
		int fd = -1;
		/* The bulk message comes before the reply: none is EPROTO. */
		err = size > SIZE_MAX ||
			bulk_recv(k->sock, k->seq, size,
				  MSG_DONTWAIT | MSG_CMSG_CLOEXEC, &fd) ?
			EPROTO : 0;
		if (!err && size) {
			bulk = mmap(NULL, size, PROT_READ, MAP_SHARED, fd, 0);
			err = bulk == MAP_FAILED ? ENOMEM : 0;
			data = bulk;
		}
		if (fd >= 0)
			close(fd);
		if (err)
			bulk = NULL;
	} else if (!err && size > DOORFS_SLOT_DATA_MAX) {
		err = EPROTO;
	}
	if (err == EPROTO) {
		log_event("door %llu: its server broke the slot protocol",
			  (unsigned long long)k->fwd->id);
		keep = false;
	}

	atomic_store((_Atomic uint32_t *)&slot->state, DOORFS_SLOT_IDLE);
	k->state = keep && k->fwd->door ? FCONN_IDLE : FCONN_DEAD;
	if (k->state == FCONN_IDLE)
		fconn_to_front(k);
	fconn_done(k, err, err ? NULL : data, err ? 0 : (size_t)size);
	if (bulk)
		munmap(bulk, size);
	if (k->close_pending || k->state == FCONN_DEAD)
		fconn_close(k);
}

/*
 * The server hung up (or is being given up on): its call ends as a
 * server end's would.  Not yet taken: EBADF, the door is dead to it;
 * being served: ECONNRESET; answered: delivered.
 */
static void fconn_hangup(struct fconn *k)
{
	if (k->state != FCONN_BUSY) {
		fconn_close(k);
		return;
	}
	uint32_t state = atomic_load((_Atomic uint32_t *)&k->slot->state);
	if (state == DOORFS_SLOT_REPLY) {
		fconn_complete(k, true);
		return;
	}
	k->state = FCONN_DEAD;
	fconn_done(k, state == DOORFS_SLOT_CALL ? EBADF : ECONNRESET, NULL, 0);
	fconn_close(k);
}

static void on_sock(void *data, uint32_t events)
{
	struct fconn *k = data;
	if (k->state == FCONN_HANDSHAKE && (events & EPOLLIN)) {
		take_welcome(k);
		return;
	}
	if (events & (EPOLLHUP | EPOLLERR | EPOLLRDHUP))
		fconn_hangup(k);
}

static void reply_if_ready(struct fconn *k)
{
	if (k->state == FCONN_BUSY &&
	    atomic_load((_Atomic uint32_t *)&k->slot->state) ==
	    DOORFS_SLOT_REPLY)
		fconn_complete(k, false);
}

static void on_wake(void *data, uint32_t events)
{
	(void)events;
	struct fconn *k = data;
	uint64_t count;
	ssize_t n = read(k->wake, &count, sizeof(count));
	(void)n;                /* a ring proves nothing: the slot's state does */
	reply_if_ready(k);
}

/* --- what calls.c uses --- */

static void *fwd_attach(struct door *door, uint64_t id,
			const char *rendezvous, uint64_t key)
{
	struct forwarder *f = g_new0(struct forwarder, 1);
	f->door = door;
	f->id = id;
	f->key = key;
	g_strlcpy(f->rendezvous, rendezvous, sizeof(f->rendezvous));
	g_queue_init(&f->conns);
	return f;
}

static bool handshaking(const struct forwarder *f)
{
	for (GList *l = f->conns.head; l; l = l->next)
		if (((struct fconn *)l->data)->state == FCONN_HANDSHAKE)
			return true;
	return false;
}

static struct fconn *idle_conn(const struct forwarder *f)
{
	for (GList *l = f->conns.head; l; l = l->next)
		if (((struct fconn *)l->data)->state == FCONN_IDLE)
			return l->data;
	return NULL;
}

static bool fwd_post(void *p, void *call, const struct forward_call *fc)
{
	struct forwarder *f = p;
	if (!f->door || f->refused || fc->len > DOORFS_SLOT_DATA_MAX)
		return false;   /* larger arguments go through the server end */
	struct fconn *k = idle_conn(f);
	if (!k) {
		/* One more connection for the calls after this one. */
		if (g_queue_get_length(&f->conns) < FORWARD_CONNS_PER_DOOR &&
		    nconns < FORWARD_CONNS_MAX && !handshaking(f))
			fconn_open(f);
		return false;
	}

	struct doorfs_slot *slot = k->slot;
	if (fc->len)
		memcpy(slot + 1, fc->args, fc->len);
	slot->size = fc->len;
	slot->ndesc = 0;
	slot->flags = 0;
	slot->error = 0;
	slot->seq = ++k->seq;
	slot->caller_tid = fc->tid;
	slot->caller_uid = fc->uid;
	slot->caller_gid = fc->gid;
	slot->result_max = fc->result_max;
	atomic_store((_Atomic uint32_t *)&slot->state, DOORFS_SLOT_CALL);
	k->call = call;
	k->state = FCONN_BUSY;
	/*
	 * A server thread still watching the slot sees the call by itself
	 * (server.c, spin_for_call).  A full counter rings all the same.
	 * The reply rings the wake eventfd: waiting for it in place, as
	 * libdoor's clients do, was measured and did not pay here (the
	 * server thread was still watching for under a tenth of the calls,
	 * and spinning after a ring delays the thread it wakes, which tends
	 * to land on this CPU).
	 */
	uint64_t one = 1;
	if (atomic_load((_Atomic int32_t *)&slot->server_cpu) < 0) {
		ssize_t n = write(k->doorbell, &one, sizeof(one));
		(void)n;
	}
	return true;
}

static void fwd_detach(void *p, bool fail)
{
	struct forwarder *f = p;
	f->door = NULL;
	/* Each close may free f once its list is empty: walk a copy. */
	GList *conns = g_list_copy(f->conns.head);
	g_queue_push_tail(&f->conns, NULL);     /* keeps f until the end */
	for (GList *l = conns; l; l = l->next) {
		struct fconn *k = l->data;
		if (k->state != FCONN_BUSY)
			fconn_close(k);
		else if (fail)
			fconn_hangup(k);
	}
	g_list_free(conns);
	g_queue_remove(&f->conns, NULL);
	forwarder_maybe_free(f);
}

const struct door_forwarding forward_ops = {
	.attach = fwd_attach,
	.post = fwd_post,
	.detach = fwd_detach,
};
