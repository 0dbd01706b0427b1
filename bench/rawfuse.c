/*
 * rawfuse: the smallest FUSE filesystem that does what a file-plane door
 * call does, as doorbench's raw FUSE baseline (methods fuse-rw and
 * fuse-ioctl, bench/method_fuse.c).
 *
 *   rawfuse [-f] [--ready-fd=N] [-o OPT,...] MOUNTPOINT
 *
 * The root directory holds one file, "echo".  Each open descriptor of it
 * echoes: write()s store bytes (the first write after a read starts a new
 * message), read()s return them and then 0.  So write+read is two FUSE
 * requests, the shape of a file-plane call.  DOORFS_IOC_CALL on it echoes
 * the struct doorfs_call's data in one request, with the same command
 * number and size as doorfsd's, so the kernel copies the same 4 KiB each
 * way: the "single request" baseline of the ioctl call.
 *
 * It mounts with doorfsd's options (default_permissions, allow_other as
 * root), opens files as doorfsd opens doors (direct_io, nonseekable, no
 * page cache), caches names and attributes as long, and runs the same
 * single-threaded low-level session loop: what a call through rawfuse
 * costs is what doorfsd's own FUSE traffic costs, without the door.
 *
 * --ready-fd=N: write one byte to descriptor N once mounted, and close it
 * (doorbench waits for it instead of polling /proc/mounts).  The mount
 * also asks for auto_unmount, so that fusermount3 removes it even when
 * rawfuse is killed (SIGKILL from an interrupted doorbench).
 */
#define FUSE_USE_VERSION 35
#include <fuse_lowlevel.h>

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "doorfs.h"

/* doorfsd's CACHE_TIMEOUT (fs/fuse_ops.c): the same lookups reach us. */
#define CACHE_TIMEOUT 1.0

enum { ECHO_INO = 2 };
static const char echo_name[] = "echo";

/* As doorfsd: a message over DOORFS_DATA_MAX is refused with E2BIG. */
#define ECHO_MAX DOORFS_DATA_MAX

/* fi->fh of an open "echo": the message and how much of it was read. */
struct echo {
	char *data;
	size_t len, room;
	size_t read_at;
	bool reading;	/* a read came: the next write starts afresh */
	struct echo *prev, *next;
};

/*
 * Every open echo, freed at exit: the kernel sends a release after
 * close() has returned, so a rawfuse stopped right after its caller
 * closed (as doorbench does) exits with that release unread.
 */
static struct echo *open_echos;

static void echo_free(struct echo *echo)
{
	if (echo->prev)
		echo->prev->next = echo->next;
	else
		open_echos = echo->next;
	if (echo->next)
		echo->next->prev = echo->prev;
	free(echo->data);
	free(echo);
}

static struct echo *echo_of(const struct fuse_file_info *fi)
{
	return (struct echo *)(uintptr_t)fi->fh;
}

static void stat_of(fuse_ino_t ino, struct stat *st)
{
	memset(st, 0, sizeof(*st));
	st->st_ino = ino;
	st->st_uid = getuid();
	st->st_gid = getgid();
	if (ino == FUSE_ROOT_ID) {
		st->st_mode = S_IFDIR | 0755;
		st->st_nlink = 2;
	} else {
		st->st_mode = S_IFREG | 0666;
		st->st_nlink = 1;
	}
}

static void op_init(void *userdata, struct fuse_conn_info *conn)
{
	(void)userdata;
	/* As doorfsd: the pieces of one large read arrive in order. */
	conn->want &= ~FUSE_CAP_ASYNC_DIO;
}

static void op_lookup(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	if (parent != FUSE_ROOT_ID || strcmp(name, echo_name) != 0) {
		fuse_reply_err(req, parent == FUSE_ROOT_ID ? ENOENT : ENOTDIR);
		return;
	}
	struct fuse_entry_param e;
	memset(&e, 0, sizeof(e));
	e.ino = ECHO_INO;
	e.attr_timeout = CACHE_TIMEOUT;
	e.entry_timeout = CACHE_TIMEOUT;
	stat_of(ECHO_INO, &e.attr);
	fuse_reply_entry(req, &e);
}

static void op_getattr(fuse_req_t req, fuse_ino_t ino,
		       struct fuse_file_info *fi)
{
	(void)fi;
	if (ino != FUSE_ROOT_ID && ino != ECHO_INO) {
		fuse_reply_err(req, ENOENT);
		return;
	}
	struct stat st;
	stat_of(ino, &st);
	fuse_reply_attr(req, &st, CACHE_TIMEOUT);
}

static void op_open(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	if (ino != ECHO_INO) {
		fuse_reply_err(req, ino == FUSE_ROOT_ID ? EISDIR : ENOENT);
		return;
	}
	struct echo *echo = calloc(1, sizeof(*echo));
	if (!echo) {
		fuse_reply_err(req, ENOMEM);
		return;
	}
	echo->next = open_echos;
	if (open_echos)
		open_echos->prev = echo;
	open_echos = echo;
	fi->fh = (uintptr_t)echo;
	/* doorfsd's open_door_file: no page cache, no file position. */
	fi->direct_io = 1;
	fi->nonseekable = 1;
	fi->keep_cache = 0;
	/* Not delivered (the opener was interrupted): no release will come. */
	if (fuse_reply_open(req, fi) != 0)
		echo_free(echo);
}

static void op_release(fuse_req_t req, fuse_ino_t ino,
		       struct fuse_file_info *fi)
{
	(void)ino;
	echo_free(echo_of(fi));
	fuse_reply_err(req, 0);
}

static void op_write(fuse_req_t req, fuse_ino_t ino, const char *buf,
		     size_t size, off_t off, struct fuse_file_info *fi)
{
	(void)ino, (void)off;
	struct echo *echo = echo_of(fi);
	if (echo->reading) {
		echo->len = echo->read_at = 0;
		echo->reading = false;
	}
	if (size > ECHO_MAX - echo->len) {
		fuse_reply_err(req, E2BIG);
		return;
	}
	if (echo->len + size > echo->room) {
		size_t room = echo->room ? echo->room : 4096;
		while (room < echo->len + size)
			room *= 2;
		char *data = realloc(echo->data, room);
		if (!data) {
			fuse_reply_err(req, ENOMEM);
			return;
		}
		echo->data = data;
		echo->room = room;
	}
	memcpy(echo->data + echo->len, buf, size);
	echo->len += size;
	fuse_reply_write(req, size);
}

static void op_read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		    struct fuse_file_info *fi)
{
	(void)ino, (void)off;
	struct echo *echo = echo_of(fi);
	size_t rest = echo->len - echo->read_at;
	size_t n = size < rest ? size : rest;
	echo->reading = true;
	/* data is NULL before the first write: no offset from it. */
	fuse_reply_buf(req, n ? echo->data + echo->read_at : NULL, n);
	echo->read_at += n;
}

/* doorfsd's ioctl_call, with the echo in place of the door. */
static void ioctl_call(fuse_req_t req, const void *in_buf, size_t in_bufsz)
{
	const struct doorfs_call *in = in_buf;
	int err = doorfs_call_check(in, in_bufsz);
	if (err) {
		fuse_reply_err(req, err);
		return;
	}
	struct doorfs_call out = {
		.version = DOORFS_VERSION,
		.result_size = in->arg_size,
	};
	memcpy(out.data, in->data, in->arg_size);
	fuse_reply_ioctl(req, 0, &out, sizeof(out));
}

static void op_ioctl(fuse_req_t req, fuse_ino_t ino, unsigned int cmd,
		     void *arg, struct fuse_file_info *fi, unsigned flags,
		     const void *in_buf, size_t in_bufsz, size_t out_bufsz)
{
	(void)ino, (void)arg, (void)fi, (void)out_bufsz;
	if (!(flags & FUSE_IOCTL_DIR) && cmd == DOORFS_IOC_CALL)
		ioctl_call(req, in_buf, in_bufsz);
	else
		fuse_reply_err(req, ENOTTY);
}

static const struct fuse_lowlevel_ops rawfuse_ops = {
	.init = op_init,
	.lookup = op_lookup,
	.getattr = op_getattr,
	.open = op_open,
	.read = op_read,
	.write = op_write,
	.release = op_release,
	.ioctl = op_ioctl,
};

struct options {
	int ready_fd;
};

static const struct fuse_opt option_spec[] = {
	{ "--ready-fd=%d", offsetof(struct options, ready_fd), 0 },
	FUSE_OPT_END
};

static void usage(FILE *to)
{
	fprintf(to, "usage: rawfuse [-f] [--ready-fd=N] [-o OPT,...] "
		"MOUNTPOINT\n"
		"A FUSE file system of one file, 'echo', that returns what is "
		"written to it:\nthe raw FUSE baseline of doorbench.\n");
}

int main(int argc, char *argv[])
{
	struct fuse_args args = FUSE_ARGS_INIT(argc, argv);
	struct fuse_cmdline_opts cmdline = { 0 };
	struct options opts = { .ready_fd = -1 };
	struct fuse_session *se = NULL;
	int status = 1;

	if (fuse_opt_parse(&args, &opts, option_spec, NULL) < 0 ||
	    fuse_parse_cmdline(&args, &cmdline) < 0) {
		status = 2;
		goto out;	/* libfuse printed why */
	}
	if (cmdline.show_help) {
		usage(stdout);
		status = 0;
		goto out;
	}
	if (!cmdline.mountpoint) {
		usage(stderr);
		status = 2;
		goto out;
	}
	fuse_opt_add_arg(&args, "-ofsname=rawfuse,subtype=rawfuse,"
			 "default_permissions,auto_unmount");
	if (geteuid() == 0)
		fuse_opt_add_arg(&args, "-oallow_other");

	se = fuse_session_new(&args, &rawfuse_ops, sizeof(rawfuse_ops), NULL);
	if (!se)
		goto out;
	if (fuse_set_signal_handlers(se) < 0)
		goto out;
	if (fuse_session_mount(se, cmdline.mountpoint) < 0)
		goto out_signals;
	if (fuse_daemonize(cmdline.foreground) < 0)
		goto out_unmount;
	if (opts.ready_fd >= 0) {
		char mounted = 'm';
		if (write(opts.ready_fd, &mounted, 1) != 1)
			perror("rawfuse: --ready-fd");
		close(opts.ready_fd);
	}
	/* Single-threaded, as doorfsd: one request at a time. */
	status = fuse_session_loop(se) < 0 ? 1 : 0;

out_unmount:
	fuse_session_unmount(se);
out_signals:
	fuse_remove_signal_handlers(se);
out:
	if (se)
		fuse_session_destroy(se);
	while (open_echos)
		echo_free(open_echos);
	free(cmdline.mountpoint);
	fuse_opt_free_args(&args);
	return status;
}
