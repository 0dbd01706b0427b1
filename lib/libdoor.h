/*
 * libdoor.h: what libdoor's modules share.  Private: never installed.
 *
 *   mount.c     finding the doorfs mount, making door files
 *   registry.c  the doors this process created
 *   server.c    the fast plane's listening side: connections, pools,
 *               door_return and the calls a server thread makes
 *   call.c      door_call: the client side of both planes
 *   door.c      the rest of the public API (create, info, revoke, params)
 *   xcreate.c   door_xcreate: private pools whose threads the program makes
 *   fattach.c   fattach and fdetach
 *   descs.c     descriptors passed in calls and replies
 *   wire.c      socket messages with descriptors; sealed bulk memfds
 *   stat.c      the stat family, which reports doors as S_IFDOOR
 *
 * Errors inside libdoor: functions return 0 or an errno value (positive);
 * only the public entry points set errno and return -1.
 */
#ifndef LIBDOOR_H
#define LIBDOOR_H

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#include <door.h>
#include <doorfs.h>

#include "wire.h"

#define LIBDOOR_EXPORT __attribute__((visibility("default")))

/* --- mount.c --- */

/* The C library's fstat, for libdoor itself (stat.c wraps the public one). */
int libc_fstat(int fd, struct stat *st);

/* Whether fd is an open file on a doorfs mount (any doorfs mount). */
bool doorfs_fd_is_door(int fd);
/* Make a new, nameless door file: *fd is its first server end. */
int doorfs_new_door_file(int *fd);
/* The mount point of the doorfs mount on device dev. */
bool doorfs_mount_of(dev_t dev, char *dir, size_t len);
/* Whether path is a door fattach bind-mounted there; its name inside
 * the doorfs mount (from the mount's root) goes in root. */
bool doorfs_bind_root(const char *path, char *root, size_t len);

/* --- registry.c --- */

struct pool;

/* A door this process created. */
struct ldoor {
	int server_end;                 /* libdoor's own, for setup and revoke */
	int user_fd;                    /* what door_create returned */
	uint64_t id;                    /* the daemon's door id */
	dev_t dev;                      /* its mount: ids are per mount */
	pid_t creator;                  /* the process that created it */
	door_server_procedure_t *proc;
	void *cookie;
	uint_t attributes;
	struct doorfs_params params;
	struct pool *pool;              /* the global pool or its own */
	/* door_xcreate: how its pool makes threads. */
	door_xcreate_server_func_t *crf;
	door_xcreate_thrsetup_func_t *setupf;
	void *crcookie;
	uint64_t watch;                 /* its server end's handle in the pool */
	/* What the daemon presents to forward file-plane calls over the
	 * fast plane (DOORFS_HELLO_FORWARD); 0 when it gave none. */
	uint64_t forward_key;
	atomic_bool revoked;
	atomic_int refs;                /* registry + live connections */
	/* Under server.c's lock: fast-plane calls being served, and an
	 * unreferenced notice held back until they are over (DOOR_DELAY). */
	unsigned active;
	bool unref_deferred;
};

void registry_add(struct ldoor *door);

/* --- door.c --- */

/* A new door, published and registered; its pool has no threads yet. */
int door_make(door_server_procedure_t *proc, void *cookie, uint_t attrs,
	      struct ldoor **out);
/*
 * The door with this id on the mount dev, created by this process, with
 * a reference.  A door is known by id, not by file: after fattach its
 * name is another file than the one door_create made.  Ids are unique
 * within a mount only, so the mount must match too.
 */
struct ldoor *registry_find(dev_t dev, uint64_t id);
/* The same, for any descriptor of it (asks the daemon); NULL if none. */
struct ldoor *registry_find_fd(int fd);
/* The door with this id whose forwarding key is key (never 0). */
struct ldoor *registry_find_forward(uint64_t id, uint64_t key);
void ldoor_ref(struct ldoor *door);
void ldoor_unref(struct ldoor *door);
/* Send the door's description (proc, cookie, params...) to the daemon. */
int ldoor_publish(struct ldoor *door);

/* --- server.c --- */

/* Start (once per process) the listening side; *name is its rendezvous. */
int server_start(const char **name);
/* A new pool: the process-wide one, or a DOOR_PRIVATE door's own. */
int pool_new(struct ldoor *private_door, struct pool **out);
/* Serve the door's file-plane calls through its pool too. */
int pool_watch_door(struct pool *pool, struct ldoor *door);
/* door_revoke's part here: waiting callers get EBADF, served ones finish. */
void server_revoke(struct ldoor *door);
/* A private door's pool goes with the door (its threads hold the door). */
void pool_free_private(struct ldoor *door);
/* The process-wide pool, made on first use (calls the create function). */
int pool_global(struct pool **out);
/* Call the server-create function as door_create must (illumos rules). */
void pool_created(struct pool *pool, struct ldoor *door);
/* The door this thread is bound to (door_bind), for DOOR_QUERY. */
struct ldoor *server_thread_door(void);
/* door_bind, to a door known already (door_xcreate's threads). */
void server_bind(struct ldoor *door);
/* door_xcreate: start one pool thread through the door's crf.  Returns
 * crf's verdict (1 created, 0 declined, -1 failed); *bound, if not NULL,
 * is signalled when the thread has bound (see xcreate_wait). */
struct xcreate_wait;
int xcreate_start(struct ldoor *door, struct xcreate_wait *wait);

/* --- spinning, call.c and server.c --- */

/*
 * Each side spins on the slot a while before it sleeps, for as long as
 * the other side could plausibly take to answer, and no longer than it
 * makes progress: a 1 MiB copy (about 24 us here) outlasts any fixed
 * spin, and then both sides would pay a sleep and a wake-up (about 25 us
 * each) on top of their copies; yet a side spinning for a peer that the
 * scheduler took off its CPU only keeps it from running sooner.  So data
 * is copied through the slot in pieces, each bumping slot->progress,
 * and a spin ends base_ns after the last bump it saw.  A piece takes
 * about 5 us; smaller ones copy slower (glibc's memcpy changes method:
 * a 1 MiB copy in 64 KiB pieces takes 25.8 us here, in 256 KiB 21.6 us).
 */
#define SLOT_PROGRESS_BYTES (256u << 10)

static inline void slot_copy(struct doorfs_slot *slot, void *dst,
			     const void *src, size_t n)
{
	_Atomic uint32_t *progress = (_Atomic uint32_t *)&slot->progress;
	for (size_t done = 0; done < n;) {
		size_t k = n - done < SLOT_PROGRESS_BYTES ?
			n - done : SLOT_PROGRESS_BYTES;
		memcpy((char *)dst + done, (const char *)src + done, k);
		done += k;
		atomic_fetch_add_explicit(progress, 1, memory_order_relaxed);
	}
}

static inline uint64_t now_ns(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

struct spin_clock {
	uint64_t until;                 /* give up then */
	uint64_t base_ns;               /* after each sign of progress */
	uint32_t seen;                  /* slot->progress last looked at */
};

static inline void spin_start(struct spin_clock *clock,
			      const struct doorfs_slot *slot,
			      uint64_t first_ns, uint64_t base_ns)
{
	clock->until = now_ns() + first_ns;
	clock->base_ns = base_ns;
	clock->seen = atomic_load_explicit((_Atomic uint32_t *)&slot->progress,
					   memory_order_relaxed);
}

static inline bool spin_expired(struct spin_clock *clock,
				const struct doorfs_slot *slot)
{
	uint32_t p = atomic_load_explicit((_Atomic uint32_t *)&slot->progress,
					  memory_order_relaxed);
	uint64_t now = now_ns();
	if (p != clock->seen) {
		clock->seen = p;
		clock->until = now + clock->base_ns;
		return false;
	}
	return now > clock->until;
}

/*
 * Whether this thread may run on more than one CPU, so that a side
 * waiting for streamed data does not take the CPU its peer needs.
 */
bool streaming_pays(void);

/* A futex on a slot word, which two processes share (so not private). */
static inline long slot_futex(uint32_t *word, int op, uint32_t val,
			      const struct timespec *limit)
{
	return syscall(SYS_futex, word, op, val, limit, NULL, 0);
}

/*
 * Streaming (DOORFS_SLOT_STREAM): the writer publishes the call or the
 * reply first and then copies the data in piece by piece, so the reader
 * copies each piece out while the next goes in, and a big call costs
 * about two copies instead of four.  It pays only when both sides run at
 * once (streaming_pays) and the data has more than one piece.
 */
/*
 * A streamed piece is smaller than a progress piece: each piece copied
 * in is one the reader waits for, and the reader's last copy is the only
 * one not overlapped.  1 MiB each way took 74-77 us in 64 KiB pieces,
 * 75-83 in 128 KiB and 79-87 in 256 KiB (32 KiB: no better).
 */
#define SLOT_STREAM_PIECE (64u << 10)

static inline bool slot_streams(size_t size)
{
	return size > SLOT_PROGRESS_BYTES && size <= DOORFS_SLOT_DATA_MAX &&
		streaming_pays();
}

/* Copy n bytes into the slot's data, telling the reader as each piece is
 * in. */
static inline void slot_stream_in(struct doorfs_slot *slot, const void *src,
				  size_t n)
{
	_Atomic uint64_t *filled = (_Atomic uint64_t *)&slot->filled;
	_Atomic uint32_t *progress = (_Atomic uint32_t *)&slot->progress;
	for (size_t done = 0; done < n;) {
		size_t k = n - done < SLOT_STREAM_PIECE ?
			n - done : SLOT_STREAM_PIECE;
		memcpy((char *)(slot + 1) + done, (const char *)src + done, k);
		done += k;
		atomic_store_explicit(filled, done, memory_order_release);
		atomic_fetch_add_explicit(progress, 1, memory_order_relaxed);
	}
}

/*
 * Waiting for the next piece: told how long none has come, it waits a
 * little (spinning, yielding, sleeping) and returns 0 to look again, or
 * an errno to give up.
 */
typedef int stream_wait_fn(void *arg, uint64_t idle_ns);

/*
 * Copy n streamed bytes out of the slot as they come in.  0, EPROTO if
 * the writer claims more than n, or the error of wait.
 */
static inline int slot_stream_out(struct doorfs_slot *slot, void *dst,
				  size_t n, stream_wait_fn *wait, void *arg)
{
	_Atomic uint64_t *filled = (_Atomic uint64_t *)&slot->filled;
	_Atomic uint32_t *progress = (_Atomic uint32_t *)&slot->progress;
	uint64_t idle_since = 0;
	for (size_t done = 0; done < n;) {
		uint64_t in = atomic_load_explicit(filled, memory_order_acquire);
		if (in > n)
			return EPROTO;
		if (in > done) {
			memcpy((char *)dst + done,
			       (const char *)(slot + 1) + done, in - done);
			done = in;
			idle_since = 0;
			atomic_fetch_add_explicit(progress, 1,
						  memory_order_relaxed);
			continue;
		}
		uint64_t now = now_ns();
		if (!idle_since)
			idle_since = now;
		int err = wait(arg, now - idle_since);
		if (err)
			return err;
	}
	return 0;
}

/*
 * How a side waiting for a piece waits: spinning while one could come
 * any moment (a piece takes about 5 us to copy), then yielding its CPU,
 * in case the writer shares it, then sleeping.
 */
#define STREAM_SPIN_NS  50000
#define STREAM_YIELD_NS 1000000

/* The spinning and yielding part of a stream_wait_fn, shared by both
 * sides: false once it is time to sleep, each side its own way. */
static inline bool stream_wait_briefly(uint64_t idle_ns)
{
	if (idle_ns < STREAM_SPIN_NS)
		__builtin_ia32_pause();
	else if (idle_ns < STREAM_YIELD_NS)
		sched_yield();
	else
		return false;
	return true;
}

/* --- wire.c: see wire.h --- */

/* --- descs.c --- */

/* illumos's checks of a descriptor list: E2BIG, EFAULT, EINVAL, or 0. */
int descs_check(const door_desc_t *descs, uint_t n);
/* Send n descriptors of call seq on sock; receive them, described. */
int descs_send(int sock, uint64_t seq, const door_desc_t *descs, uint_t n);
int descs_recv(int sock, uint64_t seq, uint_t n, door_desc_t *out);
/* Close every descriptor; or only those marked DOOR_RELEASE. */
void descs_close(const door_desc_t *descs, uint_t n);
void descs_release(const door_desc_t *descs, uint_t n);

#endif
