/*
 * calls.h: doors, the calls made on them, and the descriptors that serve
 * and make those calls.
 *
 * Every open descriptor on a door file is a door_end: a server end (the
 * creating descriptor, or one promoted with DOORFS_IOC_SERVE) takes calls
 * and answers them; a client end makes calls.  A request that has to wait
 * (a server's read for the next call, a client's read or ioctl for its
 * result) is held here and answered later through struct door_replies,
 * from whatever event completes it: no daemon thread waits for anyone.
 *
 * The module is single-threaded by design: doorfsd runs one FUSE loop and
 * every entry point here is called from it.  It knows nothing of FUSE;
 * requests are opaque pointers.
 */
#ifndef DOORFS_CALLS_H
#define DOORFS_CALLS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "doorfs.h"

struct door;
struct door_end;

/* Who is making a call, as the kernel reported it. */
struct door_caller {
	pid_t tid;      /* the calling thread, as FUSE reports it */
	uid_t uid;
	gid_t gid;
};

/* What a held request was, so its answer takes the right form. */
enum held_kind {
	HELD_SERVER_READ,       /* read(2) on a server end: the arguments */
	HELD_CLIENT_READ,       /* read(2) on a client end: the result */
	HELD_CLIENT_IOCTL,      /* DOORFS_IOC_CALL: the whole result */
};

/*
 * How held requests are answered.  Each request is answered exactly once,
 * either before the entry point that received it returns (which then
 * returns false) or later (it returned true).
 */
struct door_replies {
	void (*data)(void *req, enum held_kind kind, const void *buf,
		     size_t len);
	void (*error)(void *req, int err);
	void (*poll_wake)(void *pollhandle);    /* notify, then release */
	void (*poll_drop)(void *pollhandle);    /* release only */
};

void door_set_replies(const struct door_replies *replies);

/*
 * The largest piece of one write(2) the kernel hands us (FUSE max_write).
 * A piece shorter than that (less a page, for unaligned buffers) is the
 * last piece of its write(2), which is how a result's end is recognised.
 */
void door_set_write_piece_max(size_t max_write);

struct door *door_new(pid_t server_pid, uid_t uid, gid_t gid);
/* References held by names (a name, or an fattach); ends hold their own. */
void door_get(struct door *door);
void door_put(struct door *door);
/* An fattach name: a reference for DOOR_UNREF, like a descriptor. */
void door_hold(struct door *door);
void door_unhold(struct door *door);
void door_revoke(struct door *door);
bool door_is_revoked(const struct door *door);
void door_info(const struct door *door, pid_t asker, struct doorfs_info *info);

/* A server end (the creating descriptor) or a client end, opened by uid. */
struct door_end *door_end_new(struct door *door, uid_t uid, bool server);
/* The last close of the descriptor. */
void door_end_release(struct door_end *end);
struct door *door_end_door(const struct door_end *end);
bool door_end_is_server(const struct door_end *end);

/*
 * read(2) of up to size bytes; true if held for later.  A nonblocking
 * read on a server end with no call to take fails with EAGAIN.
 */
bool door_end_read(struct door_end *end, void *req, size_t size,
		   bool nonblock, const struct door_caller *who);
/* write(2): bytes accepted or a negative errno. */
ssize_t door_end_write(struct door_end *end, const void *buf, size_t len);
/* DOORFS_IOC_CALL: a whole call; true if held for later. */
bool door_end_call(struct door_end *end, void *req, const void *args,
		   size_t len, const struct door_caller *who);
/* The kernel interrupted a held request (a signal reached its caller). */
void door_end_interrupt(struct door_end *end, void *req);

/* Server-end ioctls; 0 or a negative errno. */
int door_end_return(struct door_end *end);
/* From now on, results complete only at return, the next read or close. */
int door_end_hold_results(struct door_end *end);
int door_end_token(const struct door_end *end, uint64_t *token);
int door_end_caller(const struct door_end *end, struct doorfs_caller *out);
/* Client end + token: become a server end. */
int door_end_serve(struct door_end *end, uint64_t token);

/* libdoor doors: described by their server, revoked on its word. */
int door_end_setup(struct door_end *end, const struct doorfs_setup *setup);
int door_end_revoke(struct door_end *end);
bool door_is_libdoor(const struct door *door);
pid_t door_server_pid(const struct door *door);
void door_params(const struct door *door, struct doorfs_params *out);
/* Where callers reach the server; -EBADF once revoked. */
int door_rendezvous(const struct door *door, struct doorfs_rendezvous *out);

/* Server end that made the SETUP: the door's forwarding key. */
int door_end_forward_key(const struct door_end *end, uint64_t *key);

/*
 * Forwarding (forward.c): a fast-plane client that carries a libdoor
 * door's file-plane calls to its server's threads directly, instead of
 * through the server end (a poll wake-up and four FUSE requests more per
 * call).  Each call is offered to it as it is made or while it waits;
 * what it does not take goes through the server end as before.  Without
 * door_set_forwarding (the unit tests) nothing is forwarded.
 */
struct forward_call {
	const void *args;
	size_t len;
	pid_t tid;                      /* the caller, as FUSE reported it */
	uid_t uid;
	gid_t gid;
	uint64_t result_max;            /* the most its result may hold */
};

struct door_forwarding {
	/* door can be served at rendezvous: its forwarder, or NULL. */
	void *(*attach)(struct door *door, uint64_t id,
			const char *rendezvous, uint64_t key);
	/* Carry call: true if taken; door_forward_done follows, once. */
	bool (*post)(void *fwd, void *call, const struct forward_call *fc);
	/*
	 * Take no more calls.  Calls in flight finish as their server
	 * answers them, or with fail, end now (door_forward_done) as the
	 * death of their server would end them.  fwd goes away by itself.
	 */
	void (*detach)(void *fwd, bool fail);
};

void door_set_forwarding(const struct door_forwarding *forwarding);
/* A forwarded call ended: 0 and its result, or the server's errno. */
void door_forward_done(void *call, int err, const void *data, size_t len);
/* The door's forwarder can take calls again: offer it those waiting. */
void door_forward_ready(struct door *door);

/* poll(2) events now; pollhandle (may be NULL) is kept to wake later. */
unsigned door_end_poll(struct door_end *end, void *pollhandle);

#endif
