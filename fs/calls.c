/*
 * calls.c: the call path of the file plane.
 *
 * A call is born when a client end reads (or issues DOORFS_IOC_CALL),
 * waits in its door's pending queue until a server end takes it, and dies
 * when that server end completes it (or the client gives up, or the
 * server end goes away).  Ownership is simple: the pending queue owns a
 * call until a server end takes it; the server end owns it from then on.
 * The client end only points at its call, and the call points back, so
 * either side can leave first:
 *
 *   client gives up   -> call->client = NULL; the server's result is
 *                        dropped when it comes (door_return's rule)
 *   server end closes -> the client gets the partial result if any bytes
 *                        were written, otherwise ECONNRESET
 *   door revoked      -> pending calls fail with EBADF; taken calls finish
 *
 * Buffered bytes are charged to the uid that wrote them (charge.h); a
 * buffer moves between owners, it is never shared.
 *
 * A libdoor door's calls may instead be forwarded (forward.c): the
 * forwarder then owns the call, as a server end would, and holds a
 * reference to the door until door_forward_done.
 *
 * Unreferenced notices (DOOR_UNREF) count what illumos counts: open
 * descriptors (each end, but the one libdoor keeps for itself) and
 * fattach names.  When the count drops from two to one, the door's
 * server is sent a call that nobody made, flagged DOORFS_CALLER_UNREF;
 * while calls are in progress it waits for the last one (DOOR_DELAY).
 */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include <glib.h>

#include "charge.h"
#include "calls.h"
#include "log.h"

struct door {
	uint64_t id;
	uint64_t token;         /* lets a descriptor become a server end */
	pid_t server_pid;
	uid_t uid;
	gid_t gid;
	bool revoked;
	uint64_t calls;         /* completed */

	/* Set by a libdoor server (DOORFS_IOC_SETUP); zero for file-plane. */
	uint32_t attributes;
	uint64_t proc, data;
	struct doorfs_params params;
	char rendezvous[DOORFS_RENDEZVOUS_MAX];
	uint64_t forward_key;   /* what the forwarder presents to the server */
	void *fwd;              /* its forwarder, NULL if none (or revoked) */

	unsigned holders;       /* descriptors and fattach names that count */
	unsigned active;        /* calls made and not yet over */
	bool unref_queued;      /* a notice waits or is being served */
	bool unref_delayed;     /* due once the active calls are over */
	unsigned refs;          /* the name, plus one per end */

	GQueue pending;         /* struct call: waiting for a server end */
	GQueue idle;            /* struct door_end: server ends blocked in read */
	GQueue servers;         /* struct door_end: every server end */
};

/* Bytes held for a call, charged to the uid that wrote them. */
struct buf {
	GByteArray *bytes;
	uid_t owner;
};

struct call {
	struct door *door;
	struct door_end *client;        /* NULL once the caller gave up */
	struct door_caller who;
	struct buf args;
	size_t args_off;                /* how much the server has read */
	struct buf result;
	GList *pending_link;            /* in door->pending until taken */
	bool unref;                     /* the daemon's unreferenced notice */
};

enum end_kind { END_CLIENT, END_SERVER };

/*
 * A client end's life: IDLE --write--> ARGS --read/ioctl--> CALLING
 * --result--> RESULT --write--> ARGS ...  A read in IDLE calls with empty
 * arguments; a read in RESULT returns the rest of the result, then 0.
 *
 * A call that fails leaves the end FAILED, and the next read reports why
 * before the end is IDLE again.  Without that, a read retried after EINTR
 * (GNU cat and Python retry on their own) would quietly make a new call
 * with empty arguments.  Arguments refused mid-way (E2BIG, ENOBUFS) keep
 * failing further writes too, so no call is made from a truncated tail.
 */
enum client_state {
	CLIENT_IDLE, CLIENT_ARGS, CLIENT_CALLING, CLIENT_RESULT, CLIENT_FAILED
};

struct door_end {
	enum end_kind kind;
	struct door *door;
	uid_t uid;                      /* who opened it: pays for its bytes */
	bool counted;                   /* a reference, for DOOR_UNREF */
	void *pollhandle;

	/* client ends */
	enum client_state state;
	struct buf args;                /* being written */
	struct call *call;              /* in progress (CALLING) */
	void *waiter;                   /* the read or ioctl waiting for it */
	enum held_kind waiter_kind;
	size_t waiter_size;
	struct buf result;              /* being read (RESULT) */
	size_t result_off;
	int fail_err;                   /* FAILED: what the next read says */
	bool fail_writes;               /* FAILED: writes fail with it too */

	/* server ends */
	bool hold_results;              /* complete only at return/read/close */
	bool described;                 /* made the SETUP: may read the key */
	struct call *held;              /* taken and not yet completed */
	void *read_req;                 /* a read waiting for a call */
	size_t read_size;
	GList *idle_link;               /* in door->idle while read_req waits */
	GList *server_link;             /* in door->servers */
};

static const struct door_replies *replies;
static const struct door_forwarding *forwarding;
static size_t whole_piece_min = (1u << 20) - 4095;
static uint64_t next_door_id = 1;

void door_set_replies(const struct door_replies *r)
{
	replies = r;
}

void door_set_forwarding(const struct door_forwarding *f)
{
	forwarding = f;
}

void door_set_write_piece_max(size_t max_write)
{
	/*
	 * The kernel cuts a write into pieces of max_write bytes, or fewer
	 * when an unaligned buffer needs one page more than max_pages: so a
	 * piece that is not the last is at least max_write - (page - 1).
	 */
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	whole_piece_min = max_write > page ? max_write - (page - 1) : max_write;
}

static uint64_t random_token(void)
{
	uint64_t token;
	if (getrandom(&token, sizeof(token), 0) != sizeof(token))
		token = ((uint64_t)g_random_int() << 32) | g_random_int();
	return token;
}

struct door *door_new(pid_t server_pid, uid_t uid, gid_t gid)
{
	struct door *door = g_new0(struct door, 1);
	door->id = next_door_id++;
	door->token = random_token();
	do
		door->forward_key = random_token();
	while (door->forward_key == 0);         /* 0: no key */
	door->server_pid = server_pid;
	door->uid = uid;
	door->gid = gid;
	door->refs = 1;
	door->params.data_max = UINT64_MAX;
	door->params.desc_max = INT32_MAX;
	g_queue_init(&door->pending);
	g_queue_init(&door->idle);
	g_queue_init(&door->servers);
	return door;
}

/* No more calls for the forwarder; fail: end those it carries now. */
static void door_unforward(struct door *door, bool fail)
{
	void *fwd = door->fwd;
	door->fwd = NULL;
	if (fwd)
		forwarding->detach(fwd, fail);
}

void door_get(struct door *door)
{
	door->refs++;
}

void door_put(struct door *door)
{
	if (--door->refs)
		return;
	door_unforward(door, false);    /* revoked before now: a defence */
	g_assert(g_queue_is_empty(&door->pending));
	g_assert(g_queue_is_empty(&door->servers));
	g_free(door);
}

bool door_is_revoked(const struct door *door)
{
	return door->revoked;
}

void door_info(const struct door *door, pid_t asker, struct doorfs_info *info)
{
	memset(info, 0, sizeof(*info));
	info->version = DOORFS_VERSION;
	info->target = door->revoked ? -1 : door->server_pid;
	info->proc = door->proc;
	info->data = door->data;
	info->attributes = door->attributes;
	if (door->revoked)
		info->attributes |= DOORFS_ATTR_REVOKED;
	else if (asker == door->server_pid)
		info->attributes |= DOORFS_ATTR_LOCAL;
	if (door->holders == 1)
		info->attributes |= DOORFS_ATTR_IS_UNREF;
	info->server_ends = g_queue_get_length((GQueue *)&door->servers);
	info->id = door->id;
	info->calls = door->calls;
	info->uid = door->uid;
	info->gid = door->gid;
}

/* --- buffers --- */

static void buf_init(struct buf *b, uid_t owner)
{
	b->bytes = g_byte_array_new();
	b->owner = owner;
}

/* Append within the per-call and per-uid limits: 0 or a negative errno. */
static int buf_append(struct buf *b, const void *data, size_t len)
{
	if (b->bytes->len + len > DOORFS_DATA_MAX)
		return -E2BIG;
	if (!charge_take(b->owner, len))
		return -ENOBUFS;
	g_byte_array_append(b->bytes, data, len);
	return 0;
}

static void buf_clear(struct buf *b)
{
	charge_give(b->owner, b->bytes->len);
	g_byte_array_set_size(b->bytes, 0);
}

static void buf_fini(struct buf *b)
{
	if (!b->bytes)
		return;
	buf_clear(b);
	g_byte_array_unref(b->bytes);
	b->bytes = NULL;
}

/* Move b's bytes (and their charge) out, leaving b empty. */
static struct buf buf_take(struct buf *b)
{
	struct buf out = *b;
	buf_init(b, b->owner);
	return out;
}

/* Answer a read of up to size bytes from b at *off, advancing it. */
static void reply_piece(void *req, enum held_kind kind, const struct buf *b,
			size_t *off, size_t size)
{
	size_t len = MIN(size, b->bytes->len - *off);
	replies->data(req, kind, b->bytes->data + *off, len);
	*off += len;
}

/* --- calls --- */

static void wake_servers(struct door *door)
{
	for (GList *l = door->servers.head; l; l = l->next) {
		struct door_end *s = l->data;
		if (s->pollhandle) {
			replies->poll_wake(s->pollhandle);
			s->pollhandle = NULL;
		}
	}
}

static void maybe_unref(struct door *door);

static void call_free(struct call *c)
{
	struct door *door = c->door;
	buf_fini(&c->args);
	buf_fini(&c->result);
	bool unref = c->unref;
	g_free(c);
	if (unref)
		door->unref_queued = false;
	else if (--door->active == 0 && door->unref_delayed)
		maybe_unref(door);
}

/* The client end is done with its call: it becomes IDLE again. */
static void client_detach(struct door_end *cl)
{
	cl->call = NULL;
	cl->waiter = NULL;
	cl->state = CLIENT_IDLE;
}

/* The next read says err (and so do writes, if fail_writes). */
static void client_fail(struct door_end *cl, int err, bool fail_writes)
{
	cl->state = CLIENT_FAILED;
	cl->fail_err = err;
	cl->fail_writes = fail_writes;
}

/* The call ended without a result: tell its caller why. */
static void call_fail(struct call *c, int err)
{
	struct door_end *cl = c->client;
	if (cl) {
		void *waiter = cl->waiter;
		client_detach(cl);
		client_fail(cl, err, false);
		replies->error(waiter, err);
	}
	call_free(c);
}

/* Hand the finished result to the caller and free the call. */
static void call_deliver(struct call *c)
{
	struct door_end *cl = c->client;
	if (!c->unref)
		c->door->calls++;
	if (!cl) {
		call_free(c);
		return;
	}

	void *waiter = cl->waiter;
	enum held_kind kind = cl->waiter_kind;
	size_t size = cl->waiter_size;
	client_detach(cl);
	if (kind == HELD_CLIENT_IOCTL &&
	    c->result.bytes->len <= DOORFS_CALL_INLINE_MAX) {
		replies->data(waiter, kind, c->result.bytes->data,
			      c->result.bytes->len);
		call_free(c);
		return;
	}

	/* read() returns the result from here; so it does after an ioctl
	 * whose result was too big for it, since the call did run. */
	buf_fini(&cl->result);
	cl->result = buf_take(&c->result);
	cl->result_off = 0;
	cl->state = CLIENT_RESULT;
	if (kind == HELD_CLIENT_IOCTL)
		replies->error(waiter, E2BIG);
	else
		reply_piece(waiter, kind, &cl->result, &cl->result_off, size);
	call_free(c);
}

/* Server end s takes call c and answers its waiting read with arguments. */
static void server_take(struct door_end *s, struct call *c, void *req,
			size_t size)
{
	s->held = c;
	/* From here the result is the server's to write, and to pay for. */
	c->result.owner = s->uid;
	reply_piece(req, HELD_SERVER_READ, &c->args, &c->args_off, size);
}

static void server_complete(struct door_end *s)
{
	struct call *c = s->held;
	s->held = NULL;
	call_deliver(c);
}

static void server_stop_waiting(struct door_end *s)
{
	if (s->idle_link) {
		g_queue_delete_link(&s->door->idle, s->idle_link);
		s->idle_link = NULL;
	}
	s->read_req = NULL;
}

/*
 * Hand c to the door's forwarder, if it takes it.  Its arguments are in
 * the server's slot from then on, and the result is the server's to pay
 * for, as a server end's write would be.
 */
static bool forward(struct door *door, struct call *c)
{
	if (!door->fwd || c->unref || door->revoked)
		return false;
	struct forward_call fc = {
		.args = c->args.bytes->data,
		.len = c->args.bytes->len,
		.tid = c->who.tid,
		.uid = c->who.uid,
		.gid = c->who.gid,
		.result_max = MIN((size_t)DOORFS_DATA_MAX, charge_room(door->uid)),
	};
	if (!forwarding->post(door->fwd, c, &fc))
		return false;
	c->result.owner = door->uid;
	buf_clear(&c->args);
	door_get(door);
	return true;
}

/* Offer the forwarder the calls waiting for a server end, in order. */
void door_forward_ready(struct door *door)
{
	GList *l = door->pending.head;
	while (l && door->fwd) {
		struct call *c = l->data;
		GList *next = l->next;
		if (!c->unref) {
			if (!forward(door, c))
				break;          /* nothing free to carry it */
			g_queue_delete_link(&door->pending, l);
			c->pending_link = NULL;
		}
		l = next;
	}
}

void door_forward_done(void *call, int err, const void *data, size_t len)
{
	struct call *c = call;
	struct door *door = c->door;
	/* A procedure that returned without door_return answers a server
	 * end with an empty result (server.c): the same here. */
	if (err == EINTR) {
		err = 0;
		len = 0;
	}
	if (!err && c->client)
		err = -buf_append(&c->result, data, len);
	if (err) {
		log_event("door %llu: forwarded call from pid %d failed: %s",
			  (unsigned long long)door->id, (int)c->who.tid,
			  g_strerror(err));
		call_fail(c, err);
	} else {
		call_deliver(c);
	}
	door_forward_ready(door);
	door_put(door);
}

/* A new call: forwarded, to a server end already waiting, or queued. */
static void dispatch(struct door *door, struct call *c)
{
	if (forward(door, c))
		return;
	struct door_end *s = g_queue_peek_head(&door->idle);
	if (s) {
		void *req = s->read_req;
		server_stop_waiting(s);
		server_take(s, c, req, s->read_size);
		return;
	}
	g_queue_push_tail(&door->pending, c);
	c->pending_link = door->pending.tail;
	wake_servers(door);
}

/*
 * The count just dropped (from two to one, if it is one now): send the
 * server its unreferenced notice, unless calls are still in progress.
 */
static void maybe_unref(struct door *door)
{
	if (door->revoked || door->holders != 1 || door->unref_queued ||
	    !(door->attributes & (DOORFS_ATTR_UNREF | DOORFS_ATTR_UNREF_MULTI)))
		return;
	if (door->active) {
		door->unref_delayed = true;
		return;
	}
	door->unref_delayed = false;
	door->unref_queued = true;
	door->attributes &= ~DOORFS_ATTR_UNREF;  /* once; UNREF_MULTI re-arms */
	log_event("door %llu: unreferenced", (unsigned long long)door->id);

	struct call *c = g_new0(struct call, 1);
	c->door = door;
	c->unref = true;
	buf_init(&c->args, 0);
	buf_init(&c->result, 0);
	dispatch(door, c);
}

void door_hold(struct door *door)
{
	door->holders++;
}

void door_unhold(struct door *door)
{
	door->holders--;
	maybe_unref(door);
}

void door_revoke(struct door *door)
{
	if (door->revoked)
		return;
	door->revoked = true;
	door_unforward(door, false);    /* calls being served finish */
	log_event("door %llu (server pid %d) revoked, %u call(s) waiting",
		  (unsigned long long)door->id, (int)door->server_pid,
		  g_queue_get_length(&door->pending));

	struct call *c;
	while ((c = g_queue_pop_head(&door->pending))) {
		c->pending_link = NULL;
		call_fail(c, EBADF);
	}
	struct door_end *s;
	while ((s = g_queue_peek_head(&door->idle))) {
		void *req = s->read_req;
		server_stop_waiting(s);
		replies->error(req, EBADF);
	}
	wake_servers(door);
}

/* --- ends --- */

static void make_server(struct door_end *end)
{
	end->kind = END_SERVER;
	g_queue_push_tail(&end->door->servers, end);
	end->server_link = end->door->servers.tail;
}

struct door_end *door_end_new(struct door *door, uid_t uid, bool server)
{
	struct door_end *end = g_new0(struct door_end, 1);
	end->door = door;
	end->uid = uid;
	end->counted = true;
	door->holders++;
	door->refs++;
	if (server) {
		make_server(end);
	} else {
		end->kind = END_CLIENT;
		buf_init(&end->args, uid);
		buf_init(&end->result, uid);
	}
	return end;
}

struct door *door_end_door(const struct door_end *end)
{
	return end->door;
}

bool door_end_is_server(const struct door_end *end)
{
	return end->kind == END_SERVER;
}

/* The caller stops waiting for its call (interrupted or closed). */
static void client_abandon(struct door_end *cl)
{
	struct call *c = cl->call;
	log_event("door %llu: caller pid %d abandoned its call",
		  (unsigned long long)cl->door->id, (int)c->who.tid);
	client_detach(cl);
	if (c->pending_link) {
		g_queue_delete_link(&cl->door->pending, c->pending_link);
		call_free(c);
	} else {
		c->client = NULL;       /* a server end holds it */
	}
}

static void release_client(struct door_end *cl)
{
	if (cl->state == CLIENT_CALLING) {
		void *waiter = cl->waiter;
		client_abandon(cl);
		/* The kernel releases only after every request finished, so
		 * this is a defence, not a path we expect. */
		replies->error(waiter, EBADF);
	}
	buf_fini(&cl->args);
	buf_fini(&cl->result);
}

static void release_server(struct door_end *s)
{
	struct door *door = s->door;
	if (s->read_req) {
		void *req = s->read_req;
		server_stop_waiting(s);
		replies->error(req, EBADF);
	}
	if (s->held) {
		struct call *c = s->held;
		s->held = NULL;
		if (c->result.bytes->len) {
			call_deliver(c);
		} else {
			log_event("door %llu: server end closed in the middle "
				  "of a call from pid %d",
				  (unsigned long long)door->id, (int)c->who.tid);
			/* Not EINTR: that one readers retry by themselves. */
			call_fail(c, ECONNRESET);
		}
	}
	g_queue_delete_link(&door->servers, s->server_link);
	if (g_queue_is_empty(&door->servers)) {
		/* The server is gone (libdoor keeps an end until it revokes),
		 * so what it was serving ends as for a server end closed. */
		door_unforward(door, true);
		door_revoke(door);
	}
}

void door_end_release(struct door_end *end)
{
	if (end->kind == END_SERVER)
		release_server(end);
	else
		release_client(end);
	if (end->pollhandle)
		replies->poll_drop(end->pollhandle);
	if (end->counted)
		door_unhold(end->door);
	door_put(end->door);
	g_free(end);
}

/* --- the call path --- */

/* Start a call with the given arguments; true: held. */
static bool client_start_call(struct door_end *cl, void *req,
			      enum held_kind kind, size_t size,
			      struct buf args, const struct door_caller *who)
{
	if (cl->door->revoked) {
		buf_fini(&args);
		cl->state = CLIENT_IDLE;
		replies->error(req, EBADF);
		return false;
	}

	struct call *c = g_new0(struct call, 1);
	c->door = cl->door;
	c->client = cl;
	c->who = *who;
	c->args = args;
	buf_init(&c->result, cl->uid);
	cl->door->active++;

	cl->call = c;
	cl->state = CLIENT_CALLING;
	cl->waiter = req;
	cl->waiter_kind = kind;
	cl->waiter_size = size;
	dispatch(cl->door, c);
	return true;
}

static bool client_read(struct door_end *cl, void *req, size_t size,
			const struct door_caller *who)
{
	switch (cl->state) {
	case CLIENT_CALLING:
		replies->error(req, EBUSY);
		return false;
	case CLIENT_RESULT:
		reply_piece(req, HELD_CLIENT_READ, &cl->result, &cl->result_off,
			    size);
		return false;
	case CLIENT_FAILED:
		cl->state = CLIENT_IDLE;
		replies->error(req, cl->fail_err);
		return false;
	case CLIENT_IDLE:
	case CLIENT_ARGS:
		break;
	}
	return client_start_call(cl, req, HELD_CLIENT_READ, size,
				 buf_take(&cl->args), who);
}

static bool server_read(struct door_end *s, void *req, size_t size,
			bool nonblock)
{
	if (s->read_req) {
		replies->error(req, EBUSY);
		return false;
	}
	/* A result already begun is complete once the server reads again. */
	if (s->held && s->held->result.bytes->len)
		server_complete(s);
	if (s->held) {
		reply_piece(req, HELD_SERVER_READ, &s->held->args,
			    &s->held->args_off, size);
		return false;
	}
	if (s->door->revoked) {
		replies->error(req, EBADF);
		return false;
	}

	struct call *c = g_queue_pop_head(&s->door->pending);
	if (c) {
		c->pending_link = NULL;
		server_take(s, c, req, size);
		return false;
	}
	if (nonblock) {
		replies->error(req, EAGAIN);
		return false;
	}
	s->read_req = req;
	s->read_size = size;
	g_queue_push_tail(&s->door->idle, s);
	s->idle_link = s->door->idle.tail;
	return true;
}

bool door_end_read(struct door_end *end, void *req, size_t size,
		   bool nonblock, const struct door_caller *who)
{
	if (end->kind == END_SERVER)
		return server_read(end, req, size, nonblock);
	return client_read(end, req, size, who);
}

static ssize_t client_write(struct door_end *cl, const void *buf, size_t len)
{
	if (cl->state == CLIENT_CALLING)
		return -EBUSY;
	if (cl->state == CLIENT_FAILED && cl->fail_writes)
		return -cl->fail_err;
	if (cl->door->revoked)
		return -EBADF;
	if (cl->state == CLIENT_RESULT)
		buf_clear(&cl->result);
	int err = buf_append(&cl->args, buf, len);
	if (err) {
		/* A call with arguments cut short would be worse than none. */
		buf_clear(&cl->args);
		client_fail(cl, -err, true);
		log_event("door %llu: arguments refused: %s",
			  (unsigned long long)cl->door->id, g_strerror(-err));
		return err;
	}
	cl->state = CLIENT_ARGS;
	return len;
}

/*
 * As with door_return on illumos, a result that cannot be taken leaves
 * the call held and the caller waiting: the server may answer again.
 */
static ssize_t server_write(struct door_end *s, const void *buf, size_t len)
{
	struct call *c = s->held;
	if (!c)
		return -EINVAL;
	int err = buf_append(&c->result, buf, len);
	if (err) {
		log_event("door %llu: result refused: %s",
			  (unsigned long long)s->door->id, g_strerror(-err));
		return err;
	}
	if (len < whole_piece_min && !s->hold_results)
		server_complete(s);
	return len;
}

ssize_t door_end_write(struct door_end *end, const void *buf, size_t len)
{
	if (end->kind == END_SERVER)
		return server_write(end, buf, len);
	return client_write(end, buf, len);
}

bool door_end_call(struct door_end *end, void *req, const void *args,
		   size_t len, const struct door_caller *who)
{
	if (end->kind == END_SERVER) {
		replies->error(req, EINVAL);
		return false;
	}
	if (end->state == CLIENT_CALLING) {
		replies->error(req, EBUSY);
		return false;
	}
	/* The ioctl is a call of its own: it forgets any half-made one. */
	buf_clear(&end->args);
	buf_clear(&end->result);
	end->state = CLIENT_IDLE;

	struct buf copy;
	buf_init(&copy, end->uid);
	int err = buf_append(&copy, args, len);
	if (err) {
		buf_fini(&copy);
		replies->error(req, -err);
		return false;
	}
	return client_start_call(end, req, HELD_CLIENT_IOCTL, len, copy, who);
}

void door_end_interrupt(struct door_end *end, void *req)
{
	if (end->kind == END_SERVER) {
		if (end->read_req != req)
			return;
		server_stop_waiting(end);
	} else {
		if (end->state != CLIENT_CALLING || end->waiter != req)
			return;
		client_abandon(end);
		/* A retry of the read learns that the call was cancelled. */
		client_fail(end, ECANCELED, false);
	}
	replies->error(req, EINTR);
}

int door_end_return(struct door_end *end)
{
	if (end->kind != END_SERVER || !end->held)
		return -EINVAL;
	server_complete(end);
	return 0;
}

/* The create flags a door may carry (illumos DOOR_CREATE_MASK). */
#define SETUP_ATTRIBUTES (DOORFS_ATTR_UNREF | DOORFS_ATTR_PRIVATE | \
			  DOORFS_ATTR_UNREF_MULTI | DOORFS_ATTR_REFUSE_DESC | \
			  DOORFS_ATTR_NO_CANCEL | DOORFS_ATTR_NO_DEPLETION_CB | \
			  DOORFS_ATTR_PRIVCREATE)

int door_end_setup(struct door_end *end, const struct doorfs_setup *setup)
{
	if (end->kind != END_SERVER)
		return -EPERM;
	if (setup->version != DOORFS_VERSION ||
	    (setup->attributes & ~SETUP_ATTRIBUTES) ||
	    !memchr(setup->rendezvous, '\0', sizeof(setup->rendezvous)))
		return -EINVAL;
	struct door *door = end->door;
	/* libdoor's own end keeps the door alive, but is no reference. */
	if (end->counted) {
		end->counted = false;
		door->holders--;
	}
	door->attributes = setup->attributes;
	door->proc = setup->proc;
	door->data = setup->data;
	door->params = setup->params;
	bool moved = strcmp(door->rendezvous, setup->rendezvous) != 0;
	memcpy(door->rendezvous, setup->rendezvous, sizeof(door->rendezvous));
	end->described = true;
	/* door_setparam describes the door again: same server, same
	 * forwarder.  A new rendezvous is a new server to reach. */
	if (forwarding && !door->revoked && door->rendezvous[0] &&
	    (moved || !door->fwd)) {
		door_unforward(door, false);
		door->fwd = forwarding->attach(door, door->id, door->rendezvous,
					       door->forward_key);
	}
	return 0;
}

int door_end_forward_key(const struct door_end *end, uint64_t *key)
{
	if (end->kind != END_SERVER || !end->described)
		return -EPERM;
	*key = end->door->forward_key;
	return 0;
}

bool door_is_libdoor(const struct door *door)
{
	return door->rendezvous[0] != '\0';
}

pid_t door_server_pid(const struct door *door)
{
	return door->server_pid;
}

int door_rendezvous(const struct door *door, struct doorfs_rendezvous *out)
{
	if (door->revoked)
		return -EBADF;
	memset(out, 0, sizeof(*out));
	out->version = DOORFS_VERSION;
	out->pid = door->server_pid;
	out->id = door->id;
	memcpy(out->name, door->rendezvous, sizeof(out->name));
	return 0;
}

void door_params(const struct door *door, struct doorfs_params *out)
{
	*out = door->params;
}

int door_end_revoke(struct door_end *end)
{
	if (end->kind != END_SERVER)
		return -EPERM;
	log_event("door %llu: revoked by its server",
		  (unsigned long long)end->door->id);
	door_revoke(end->door);
	return 0;
}

int door_end_hold_results(struct door_end *end)
{
	if (end->kind != END_SERVER)
		return -EINVAL;
	end->hold_results = true;
	return 0;
}

int door_end_token(const struct door_end *end, uint64_t *token)
{
	if (end->kind != END_SERVER)
		return -EPERM;
	*token = end->door->token;
	return 0;
}

int door_end_caller(const struct door_end *end, struct doorfs_caller *out)
{
	if (end->kind != END_SERVER || !end->held)
		return -EINVAL;
	const struct call *c = end->held;
	memset(out, 0, sizeof(*out));
	out->version = DOORFS_VERSION;
	out->pid = c->who.tid;       /* the FUSE glue maps it to a process */
	out->uid = c->who.uid;
	out->gid = c->who.gid;
	out->arg_size = c->args.bytes->len;
	out->flags = c->unref ? DOORFS_CALLER_UNREF : 0;
	return 0;
}

int door_end_serve(struct door_end *end, uint64_t token)
{
	if (end->kind == END_SERVER)
		return -EINVAL;
	if (end->door->revoked)
		return -EBADF;
	if (end->state == CLIENT_CALLING)
		return -EBUSY;
	if (token != end->door->token) {
		log_event("door %llu: wrong server token presented",
			  (unsigned long long)end->door->id);
		return -EPERM;
	}
	buf_fini(&end->args);
	buf_fini(&end->result);
	end->state = CLIENT_IDLE;
	make_server(end);
	return 0;
}

unsigned door_end_poll(struct door_end *end, void *pollhandle)
{
	if (pollhandle) {
		if (end->pollhandle)
			replies->poll_drop(end->pollhandle);
		end->pollhandle = pollhandle;
	}
	if (end->kind == END_CLIENT)
		return POLLIN | POLLRDNORM | POLLOUT | POLLWRNORM;

	unsigned events = POLLOUT | POLLWRNORM;
	if (end->held || !g_queue_is_empty(&end->door->pending))
		events |= POLLIN | POLLRDNORM;
	if (end->door->revoked)
		events |= POLLHUP;
	return events;
}
