/*
 * loop.h: doorfsd's event loop.
 *
 * One thread waits on everything the daemon serves: the FUSE session's
 * device and the fast-plane connections it forwards calls on (forward.c).
 * Nothing here blocks on another process: a callback runs only when its
 * descriptor is ready.
 */
#ifndef DOORFS_LOOP_H
#define DOORFS_LOOP_H

#include <stdbool.h>
#include <stdint.h>

struct fuse_session;
struct loop_watch;

/* Called with the epoll events that came for the watched descriptor. */
typedef void loop_fn(void *data, uint32_t events);

/*
 * Watch fd for events (EPOLL*).  NULL with errno on failure.  The watch
 * must be removed before fd is closed.
 */
struct loop_watch *loop_add(int fd, uint32_t events, loop_fn *fn, void *data);
int loop_modify(struct loop_watch *w, uint32_t events);
/* Stop watching; safe from inside any callback, even w's own. */
void loop_remove(struct loop_watch *w);

/* Serve se until it is unmounted or told to exit: 0, or -1. */
int loop_run(struct fuse_session *se);
/* Release the loop itself, after every watch has been removed. */
void loop_fini(void);

#endif
