/*
 * loop.c: see loop.h.
 *
 * libfuse's own session loop blocks in read(2) on the FUSE device, so
 * the daemon could not also wait for a libdoor server's reply without a
 * thread, and threads would make every module need locks.  Instead one
 * epoll set holds the device and every forwarding connection.
 *
 * A callback may remove any watch, its own or one whose event is still
 * further down the batch epoll_wait returned: removed watches are only
 * marked, and freed once the batch is done.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <unistd.h>

#include <glib.h>

#include "fuse_ops.h"    /* the FUSE API version we build against */
#include "log.h"
#include "loop.h"

#define LOOP_BATCH 32

struct loop_watch {
	int fd;
	loop_fn *fn;
	void *data;
	bool removed;
};

static int epfd = -1;
static GPtrArray *removed;      /* struct loop_watch: freed after a batch */
static struct fuse_buf fuse_buf;        /* libfuse sizes it on first use */

static bool loop_ready(void)
{
	if (epfd < 0)
		epfd = epoll_create1(EPOLL_CLOEXEC);
	if (!removed)
		removed = g_ptr_array_new_with_free_func(g_free);
	return epfd >= 0;
}

struct loop_watch *loop_add(int fd, uint32_t events, loop_fn *fn, void *data)
{
	if (!loop_ready())
		return NULL;
	struct loop_watch *w = g_new0(struct loop_watch, 1);
	w->fd = fd;
	w->fn = fn;
	w->data = data;
	struct epoll_event ev = { .events = events, .data.ptr = w };
	if (epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
		int err = errno;
		g_free(w);
		errno = err;
		return NULL;
	}
	return w;
}

int loop_modify(struct loop_watch *w, uint32_t events)
{
	struct epoll_event ev = { .events = events, .data.ptr = w };
	return epoll_ctl(epfd, EPOLL_CTL_MOD, w->fd, &ev);
}

void loop_remove(struct loop_watch *w)
{
	if (!w)
		return;
	if (!removed) {                 /* the loop is gone already */
		g_free(w);
		return;
	}
	epoll_ctl(epfd, EPOLL_CTL_DEL, w->fd, NULL);
	w->removed = true;
	g_ptr_array_add(removed, w);
}

/* The device has a request (or the mount is gone): one request. */
static void on_fuse(void *data, uint32_t events)
{
	(void)events;
	struct fuse_session *se = data;
	int res = fuse_session_receive_buf(se, &fuse_buf);
	if (res == -EINTR || res == -EAGAIN)
		return;
	if (res <= 0) {
		/* 0: unmounted (libfuse marked the session exited). */
		if (res < 0)
			log_event("reading the FUSE device: %s",
				  g_strerror(-res));
		fuse_session_exit(se);
		return;
	}
	fuse_session_process_buf(se, &fuse_buf);
}

int loop_run(struct fuse_session *se)
{
	if (!loop_ready())
		return -1;
	struct loop_watch *dev = loop_add(fuse_session_fd(se), EPOLLIN,
					  on_fuse, se);
	if (!dev)
		return -1;
	int status = 0;
	while (!fuse_session_exited(se)) {
		struct epoll_event evs[LOOP_BATCH];
		/* A signal (SIGTERM, SIGINT: libfuse's handlers mark the
		 * session exited) ends the wait with EINTR. */
		int n = epoll_wait(epfd, evs, LOOP_BATCH, -1);
		if (n < 0 && errno != EINTR) {
			log_event("epoll_wait: %s", g_strerror(errno));
			status = -1;
			break;
		}
		for (int i = 0; i < n; i++) {
			struct loop_watch *w = evs[i].data.ptr;
			if (!w->removed)
				w->fn(w->data, evs[i].events);
		}
		g_ptr_array_set_size(removed, 0);
	}
	loop_remove(dev);
	g_ptr_array_set_size(removed, 0);
	free(fuse_buf.mem);
	fuse_buf.mem = NULL;
	fuse_session_reset(se);
	return status;
}

void loop_fini(void)
{
	if (removed)
		g_ptr_array_free(removed, TRUE);
	removed = NULL;
	if (epfd >= 0)
		close(epfd);
	epfd = -1;
}
