/*
 * fuse_ops.c: the FUSE low-level operations of doorfsd.
 *
 * Each operation decodes its request, asks the namespace (namespace.c) or
 * the call path (calls.c) and replies exactly once.  Requests that must
 * wait for another process (a call's result, a server's next call) are
 * left unanswered here and answered by calls.c through door_replies when
 * the event comes; they get an interrupt callback so a signal to the
 * waiting process ends the wait with EINTR.  The event loop (loop.h) is
 * single-threaded, so nothing here locks.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>
#include <sys/xattr.h>

#include "calls.h"
#include "forward.h"
#include "fuse_ops.h"
#include "log.h"
#include "namespace.h"

/*
 * How long the kernel may cache names and attributes.  Every change to
 * them goes through this daemon, and the kernel drops its cache entry on
 * its own unlink/rename/setattr, so a short timeout only bounds how stale
 * another mount namespace's view can be.
 */
#define CACHE_TIMEOUT 1.0

static struct ns *ns;
static struct fuse_session *session;   /* for notices to the kernel */

/* fi->fh of an open door file. */
struct door_file {
	struct node *node;
	struct door_end *end;
};

static struct door_file *file_of(const struct fuse_file_info *fi)
{
	return (struct door_file *)(uintptr_t)fi->fh;
}

/*
 * The kernel reports the calling thread's id; door semantics speak of
 * processes.  /proc/TID/status names the thread group.
 */
static pid_t tgid_of(pid_t tid)
{
	char path[64], line[128];
	snprintf(path, sizeof(path), "/proc/%d/status", (int)tid);
	FILE *f = fopen(path, "re");
	if (!f)
		return tid;
	pid_t tgid = tid;
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, "Tgid:", 5) == 0) {
			tgid = (pid_t)strtol(line + 5, NULL, 10);
			break;
		}
	}
	fclose(f);
	return tgid;
}

/* Whether a thread runs, from its stat line (zombies do not). */
static bool thread_alive(const char *stat_path)
{
	char stat[256];
	FILE *f = fopen(stat_path, "re");
	if (!f)
		return false;
	size_t n = fread(stat, 1, sizeof(stat) - 1, f);
	fclose(f);
	stat[n] = '\0';
	const char *state = strrchr(stat, ')');
	return state && state[1] == ' ' && state[2] != 'Z' && state[2] != 'X';
}

/*
 * Whether a process still runs.  Any of its threads will do: the leader
 * alone is a zombie when the main thread called pthread_exit (a server
 * that parked its main thread in door_return, say) while others run.
 * A dead process's descriptors are closed and their releases are on the
 * way to us.
 */
static bool process_alive(pid_t pid)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
	DIR *tasks = opendir(path);
	if (!tasks)
		return false;
	bool alive = false;
	struct dirent *t;
	while (!alive && (t = readdir(tasks))) {
		if (t->d_name[0] == '.')
			continue;
		char stat_path[sizeof(path) + sizeof(t->d_name) + 8];
		snprintf(stat_path, sizeof(stat_path), "/proc/%d/task/%s/stat",
			 (int)pid, t->d_name);
		alive = thread_alive(stat_path);
	}
	closedir(tasks);
	return alive;
}

/*
 * A libdoor door belongs to its creating process (as on illumos): once
 * that process is gone the door is revoked, even if the kernel has not
 * yet sent us the release of its descriptors.  Checked where a caller
 * asks about the door, so door_info right after a server's death agrees
 * with the EINTR its callers just got.
 */
static struct door *checked_door(struct door *door)
{
	if (door_is_libdoor(door) && !door_is_revoked(door) &&
	    !process_alive(door_server_pid(door))) {
		log_event("server pid %d of a door is gone",
			  (int)door_server_pid(door));
		door_revoke(door);
	}
	return door;
}

static struct door_caller caller_of(fuse_req_t req)
{
	const struct fuse_ctx *ctx = fuse_req_ctx(req);
	struct door_caller who = { ctx->pid, ctx->uid, ctx->gid };
	return who;
}

/* --- answering held requests (door_replies) --- */

static void reply_data(void *req, enum held_kind kind, const void *buf,
		       size_t len)
{
	if (kind != HELD_CLIENT_IOCTL) {
		fuse_reply_buf(req, buf, len);
		return;
	}
	/* calls.c keeps a result too big for this for read() instead. */
	struct doorfs_call out = {
		.version = DOORFS_VERSION,
		.result_size = (uint32_t)len,
	};
	if (len)
		memcpy(out.data, buf, len);     /* an empty result has no buf */
	fuse_reply_ioctl(req, 0, &out, sizeof(out));
}

static void reply_error(void *req, int err)
{
	fuse_reply_err(req, err);
}

static void poll_wake(void *ph)
{
	fuse_lowlevel_notify_poll(ph);
	fuse_pollhandle_destroy(ph);
}

static void poll_drop(void *ph)
{
	fuse_pollhandle_destroy(ph);
}

static const struct door_replies fuse_replies = {
	.data = reply_data,
	.error = reply_error,
	.poll_wake = poll_wake,
	.poll_drop = poll_drop,
};

static void on_interrupt(fuse_req_t req, void *data)
{
	struct door_file *fh = data;
	door_end_interrupt(fh->end, req);
}

/* The door layer kept req: let a signal to its caller end the wait. */
static void hold(fuse_req_t req, struct door_file *fh)
{
	fuse_req_interrupt_func(req, on_interrupt, fh);
}

/* --- lifecycle --- */

void doorfs_ops_init(uid_t uid, gid_t gid, mode_t root_mode)
{
	ns = ns_new(uid, gid, root_mode, (ns_payload_release_fn *)door_put);
	door_set_replies(&fuse_replies);
	door_set_forwarding(&forward_ops);
}

void doorfs_ops_session(struct fuse_session *se)
{
	session = se;
}

void doorfs_ops_fini(void)
{
	if (ns)
		ns_free(ns);
	ns = NULL;
}

static void op_init(void *userdata, struct fuse_conn_info *conn)
{
	(void)userdata;
	/*
	 * Asynchronous direct I/O would let the kernel send the pieces of
	 * one large read concurrently; a call's result must be read in
	 * order, piece after piece.
	 */
	conn->want &= ~FUSE_CAP_ASYNC_DIO;
	door_set_write_piece_max(conn->max_write);
}

/*
 * fattach and fdetach change which door a name opens, and its ctime,
 * which callers use to tell one door behind a name from the next: the
 * kernel must not go on answering stat from its cache.
 */
static void forget_cached_attrs(struct node *node)
{
	if (session)
		fuse_lowlevel_notify_inval_inode(session, node->ino, -1, 0);
}

/* --- names and attributes --- */

static void reply_entry(fuse_req_t req, struct node *node)
{
	struct fuse_entry_param e;
	memset(&e, 0, sizeof(e));
	e.ino = node->ino;
	e.attr_timeout = CACHE_TIMEOUT;
	e.entry_timeout = CACHE_TIMEOUT;
	ns_stat(node, &e.attr);
	ns_remember(node);
	fuse_reply_entry(req, &e);
}

static struct node *dir_node(fuse_ino_t ino)
{
	struct node *node = ns_get(ns, ino);
	return node && S_ISDIR(node->mode) ? node : NULL;
}

static void op_lookup(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	struct node *dir = dir_node(parent);
	struct node *node = dir ? ns_child(dir, name) : NULL;
	if (!node) {
		fuse_reply_err(req, dir ? ENOENT : ENOTDIR);
		return;
	}
	reply_entry(req, node);
}

static void op_forget(fuse_req_t req, fuse_ino_t ino, uint64_t nlookup)
{
	struct node *node = ns_get(ns, ino);
	if (node)
		ns_forget(ns, node, nlookup);
	fuse_reply_none(req);
}

static void op_forget_multi(fuse_req_t req, size_t count,
			    struct fuse_forget_data *forgets)
{
	for (size_t i = 0; i < count; i++) {
		struct node *node = ns_get(ns, forgets[i].ino);
		if (node)
			ns_forget(ns, node, forgets[i].nlookup);
	}
	fuse_reply_none(req);
}

static void reply_attr(fuse_req_t req, const struct node *node)
{
	struct stat st;
	ns_stat(node, &st);
	fuse_reply_attr(req, &st, CACHE_TIMEOUT);
}

static void op_getattr(fuse_req_t req, fuse_ino_t ino,
		       struct fuse_file_info *fi)
{
	(void)fi;
	struct node *node = ns_get(ns, ino);
	if (!node) {
		fuse_reply_err(req, ENOENT);
		return;
	}
	reply_attr(req, node);
}

static void set_time(struct timespec *t, const struct timespec *given,
		     bool now)
{
	if (now)
		ns_touch(t);
	else
		*t = *given;
}

/*
 * The kernel has already checked who may change what (the mount uses
 * default_permissions), so this only applies the change.
 */
static void op_setattr(fuse_req_t req, fuse_ino_t ino, struct stat *attr,
		       int to_set, struct fuse_file_info *fi)
{
	(void)fi;
	struct node *node = ns_get(ns, ino);
	if (!node) {
		fuse_reply_err(req, ENOENT);
		return;
	}
	if (to_set & FUSE_SET_ATTR_SIZE) {
		/* A door has no contents; creat() on one truncates to 0. */
		if (S_ISDIR(node->mode) || attr->st_size != 0) {
			fuse_reply_err(req, S_ISDIR(node->mode) ? EISDIR : EINVAL);
			return;
		}
	}
	if (to_set & FUSE_SET_ATTR_MODE)
		node->mode = (node->mode & S_IFMT) | (attr->st_mode & 07777);
	if (to_set & FUSE_SET_ATTR_UID)
		node->uid = attr->st_uid;
	if (to_set & FUSE_SET_ATTR_GID)
		node->gid = attr->st_gid;
	if (to_set & (FUSE_SET_ATTR_ATIME | FUSE_SET_ATTR_ATIME_NOW))
		set_time(&node->atime, &attr->st_atim,
			 to_set & FUSE_SET_ATTR_ATIME_NOW);
	if (to_set & (FUSE_SET_ATTR_MTIME | FUSE_SET_ATTR_MTIME_NOW))
		set_time(&node->mtime, &attr->st_mtim,
			 to_set & FUSE_SET_ATTR_MTIME_NOW);
	if (to_set & FUSE_SET_ATTR_CTIME)
		node->ctime = attr->st_ctim;
	else
		ns_touch(&node->ctime);
	reply_attr(req, node);
}

static void op_mkdir(fuse_req_t req, fuse_ino_t parent, const char *name,
		     mode_t mode)
{
	const struct fuse_ctx *ctx = fuse_req_ctx(req);
	struct node *dir = dir_node(parent), *node;
	int err = dir ? ns_make(ns, dir, name, S_IFDIR | (mode & 07777),
				ctx->uid, ctx->gid, &node)
		      : -ENOTDIR;
	if (err) {
		fuse_reply_err(req, -err);
		return;
	}
	reply_entry(req, node);
}

static void remove_name(fuse_req_t req, fuse_ino_t parent, const char *name,
			bool want_dir)
{
	struct node *dir = dir_node(parent);
	int err = dir ? ns_remove(ns, dir, name, want_dir) : -ENOTDIR;
	fuse_reply_err(req, -err);
}

static void op_unlink(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	remove_name(req, parent, name, false);
}

static void op_rmdir(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	remove_name(req, parent, name, true);
}

static void op_rename(fuse_req_t req, fuse_ino_t parent, const char *name,
		      fuse_ino_t newparent, const char *newname,
		      unsigned int flags)
{
	struct node *dir = dir_node(parent), *newdir = dir_node(newparent);
	int err = dir && newdir ?
		ns_rename(ns, dir, name, newdir, newname, flags) : -ENOTDIR;
	fuse_reply_err(req, -err);
}

/* Doors are the only files: no devices, FIFOs, symlinks or hard links. */
static void op_mknod(fuse_req_t req, fuse_ino_t parent, const char *name,
		     mode_t mode, dev_t rdev)
{
	(void)parent, (void)name, (void)mode, (void)rdev;
	fuse_reply_err(req, EPERM);
}

static void op_symlink(fuse_req_t req, const char *link, fuse_ino_t parent,
		       const char *name)
{
	(void)link, (void)parent, (void)name;
	fuse_reply_err(req, EPERM);
}

static void op_link(fuse_req_t req, fuse_ino_t ino, fuse_ino_t newparent,
		    const char *newname)
{
	(void)ino, (void)newparent, (void)newname;
	fuse_reply_err(req, EPERM);
}

/* --- opening doors --- */

/*
 * Door descriptors bypass the page cache (every read and write is a
 * protocol step, never cached data) and have no file position.
 */
static void open_door_file(struct fuse_file_info *fi, struct node *node,
			   struct door_end *end)
{
	struct door_file *fh = g_new0(struct door_file, 1);
	fh->node = node;
	fh->end = end;
	ns_open(node);
	fi->fh = (uintptr_t)fh;
	fi->direct_io = 1;
	fi->nonseekable = 1;
	fi->keep_cache = 0;
}

static void op_create(fuse_req_t req, fuse_ino_t parent, const char *name,
		      mode_t mode, struct fuse_file_info *fi)
{
	const struct fuse_ctx *ctx = fuse_req_ctx(req);
	struct node *dir = dir_node(parent), *node;
	int err = dir ? ns_make(ns, dir, name, S_IFREG | (mode & 07777),
				ctx->uid, ctx->gid, &node)
		      : -ENOTDIR;
	if (err) {
		fuse_reply_err(req, -err);
		return;
	}

	struct door *door = door_new(tgid_of(ctx->pid), ctx->uid, ctx->gid);
	node->payload = door;
	open_door_file(fi, node, door_end_new(door, ctx->uid, true));

	struct fuse_entry_param e;
	memset(&e, 0, sizeof(e));
	e.ino = node->ino;
	e.attr_timeout = CACHE_TIMEOUT;
	e.entry_timeout = CACHE_TIMEOUT;
	ns_stat(node, &e.attr);
	ns_remember(node);
	/* If the creator was interrupted, libfuse calls op_release. */
	fuse_reply_create(req, &e, fi);
}

static void op_open(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct node *node = ns_get(ns, ino);
	if (!node || !node->payload) {
		fuse_reply_err(req, node ? EISDIR : ENOENT);
		return;
	}
	open_door_file(fi, node, door_end_new(node->payload,
					      fuse_req_ctx(req)->uid, false));
	fuse_reply_open(req, fi);
}

static void op_release(fuse_req_t req, fuse_ino_t ino,
		       struct fuse_file_info *fi)
{
	(void)ino;
	struct door_file *fh = file_of(fi);
	door_end_release(fh->end);
	ns_close(ns, fh->node);
	g_free(fh);
	fuse_reply_err(req, 0);
}

/* --- the call path --- */

static void op_read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		    struct fuse_file_info *fi)
{
	(void)ino, (void)off;
	struct door_file *fh = file_of(fi);
	struct door_caller who = caller_of(req);
	if (door_end_read(fh->end, req, size, fi->flags & O_NONBLOCK, &who))
		hold(req, fh);
}

static void op_write(fuse_req_t req, fuse_ino_t ino, const char *buf,
		     size_t size, off_t off, struct fuse_file_info *fi)
{
	(void)ino, (void)off;
	struct door_file *fh = file_of(fi);
	ssize_t n = door_end_write(fh->end, buf, size);
	if (n < 0)
		fuse_reply_err(req, (int)-n);
	else
		fuse_reply_write(req, (size_t)n);
}

static void ioctl_call(fuse_req_t req, struct door_file *fh,
		       const void *in_buf, size_t in_bufsz)
{
	const struct doorfs_call *in = in_buf;
	int err = doorfs_call_check(in, in_bufsz);
	if (err) {
		fuse_reply_err(req, err);
		return;
	}
	struct door_caller who = caller_of(req);
	if (door_end_call(fh->end, req, in->data, in->arg_size, &who))
		hold(req, fh);
}

/* The file at path, relative to the root; NULL with *err if none. */
static struct node *resolve(const char *path, int *err)
{
	struct node *node = ns_get(ns, NS_ROOT_INO);
	char *copy = g_strdup(path), *save = NULL;
	for (char *part = strtok_r(copy, "/", &save); part && node;
	     part = strtok_r(NULL, "/", &save)) {
		if (!S_ISDIR(node->mode)) {
			*err = -ENOTDIR;
			node = NULL;
			break;
		}
		node = ns_child(node, part);
		if (!node)
			*err = -ENOENT;
	}
	g_free(copy);
	return node;
}

/*
 * fattach: the name now opens door (illumos namefs).  The name keeps its
 * own mode, owner and times; the door it held waits underneath until
 * fdetach.  As on illumos, only the name's owner may attach, and only
 * if the owner may write it, unless the caller is privileged.
 */
static int attach_door(struct door *door, const void *in_buf,
		       size_t in_bufsz, const struct fuse_ctx *ctx,
		       struct node **out)
{
	const struct doorfs_attach *a = in_buf;
	if (in_bufsz < sizeof(*a) || a->version != DOORFS_VERSION ||
	    a->reserved || !memchr(a->path, '\0', sizeof(a->path)))
		return -EINVAL;
	int err = 0;
	struct node *node = resolve(a->path, &err);
	if (!node)
		return err;
	if (!node->payload)
		return -EISDIR;
	if (ctx->uid != 0 && ctx->uid != node->uid)
		return -EPERM;
	if (ctx->uid != 0 && !(node->mode & S_IWUSR))
		return -EACCES;
	if (node->covered)
		return -EBUSY;
	door_get(door);
	door_hold(door);
	node->covered = node->payload;
	node->payload = door;
	ns_touch(&node->ctime);
	*out = node;
	return 0;
}

static int detach_door(struct node *node, const struct fuse_ctx *ctx)
{
	if (!node->covered)
		return -EINVAL;
	if (ctx->uid != 0 && ctx->uid != node->uid)
		return -EPERM;
	struct door *door = node->payload;
	node->payload = node->covered;
	node->covered = NULL;
	ns_touch(&node->ctime);
	door_unhold(door);              /* may send the unreferenced notice */
	door_put(door);
	return 0;
}

/* An ioctl's answer: -err if it failed, else the size bytes at out. */
static void reply_out(fuse_req_t req, int err, const void *out, size_t size)
{
	if (err)
		fuse_reply_err(req, -err);
	else
		fuse_reply_ioctl(req, 0, out, size);
}

static void reply_status(fuse_req_t req, int err)
{
	reply_out(req, err, NULL, 0);
}

static void op_ioctl(fuse_req_t req, fuse_ino_t ino, unsigned int cmd,
		     void *arg, struct fuse_file_info *fi, unsigned flags,
		     const void *in_buf, size_t in_bufsz, size_t out_bufsz)
{
	(void)ino, (void)arg, (void)out_bufsz;
	if (flags & FUSE_IOCTL_DIR) {
		fuse_reply_err(req, ENOTTY);
		return;
	}
	struct door_file *fh = file_of(fi);
	const struct fuse_ctx *ctx = fuse_req_ctx(req);
	uint64_t token = 0;
	int err;

	switch (cmd) {
	case DOORFS_IOC_INFO: {
		struct doorfs_info info;
		door_info(checked_door(door_end_door(fh->end)),
			  tgid_of(ctx->pid), &info);
		fuse_reply_ioctl(req, 0, &info, sizeof(info));
		return;
	}
	case DOORFS_IOC_RENDEZVOUS: {
		struct doorfs_rendezvous where;
		err = door_rendezvous(checked_door(door_end_door(fh->end)),
				      &where);
		reply_out(req, err, &where, sizeof(where));
		return;
	}
	case DOORFS_IOC_SETUP:
		if (in_bufsz < sizeof(struct doorfs_setup)) {
			fuse_reply_err(req, EINVAL);
			return;
		}
		reply_status(req, door_end_setup(fh->end, in_buf));
		return;
	case DOORFS_IOC_FORWARD_KEY:
		err = door_end_forward_key(fh->end, &token);
		reply_out(req, err, &token, sizeof(token));
		return;
	case DOORFS_IOC_PARAMS: {
		struct doorfs_params params;
		door_params(door_end_door(fh->end), &params);
		fuse_reply_ioctl(req, 0, &params, sizeof(params));
		return;
	}
	case DOORFS_IOC_ATTACH: {
		struct node *named = NULL;
		err = attach_door(door_end_door(fh->end), in_buf, in_bufsz, ctx,
				  &named);
		reply_status(req, err);
		if (!err)
			forget_cached_attrs(named);
		return;
	}
	case DOORFS_IOC_DETACH:
		err = detach_door(fh->node, ctx);
		reply_status(req, err);
		if (!err)
			forget_cached_attrs(fh->node);
		return;
	case DOORFS_IOC_REVOKE:
		reply_status(req, door_end_revoke(fh->end));
		return;
	case DOORFS_IOC_CALL:
		ioctl_call(req, fh, in_buf, in_bufsz);
		return;
	case DOORFS_IOC_RETURN:
		reply_status(req, door_end_return(fh->end));
		return;
	case DOORFS_IOC_HOLD_RESULTS:
		reply_status(req, door_end_hold_results(fh->end));
		return;
	case DOORFS_IOC_SERVER_TOKEN:
		err = door_end_token(fh->end, &token);
		reply_out(req, err, &token, sizeof(token));
		return;
	case DOORFS_IOC_SERVE:
		if (in_bufsz < sizeof(token)) {
			fuse_reply_err(req, EINVAL);
			return;
		}
		memcpy(&token, in_buf, sizeof(token));
		reply_status(req, door_end_serve(fh->end, token));
		return;
	case DOORFS_IOC_CALLER: {
		struct doorfs_caller who;
		err = door_end_caller(fh->end, &who);
		if (err) {
			fuse_reply_err(req, -err);
			return;
		}
		who.pid = tgid_of(who.pid);
		fuse_reply_ioctl(req, 0, &who, sizeof(who));
		return;
	}
	default:
		log_event("unknown ioctl 0x%x from pid %d", cmd, (int)ctx->pid);
		fuse_reply_err(req, ENOTTY);
	}
}

static void op_poll(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi,
		    struct fuse_pollhandle *ph)
{
	(void)ino;
	fuse_reply_poll(req, door_end_poll(file_of(fi)->end, ph));
}

/* --- directories --- */

static void op_opendir(fuse_req_t req, fuse_ino_t ino,
		       struct fuse_file_info *fi)
{
	struct node *dir = dir_node(ino);
	if (!dir) {
		fuse_reply_err(req, ENOTDIR);
		return;
	}
	fi->fh = (uintptr_t)ns_list(dir);
	fuse_reply_open(req, fi);
}

static void op_readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		       struct fuse_file_info *fi)
{
	(void)ino;
	GArray *list = (GArray *)(uintptr_t)fi->fh;
	char *buf = g_malloc(size);
	size_t used = 0;

	for (size_t i = (size_t)off; i < list->len; i++) {
		const struct ns_dirent *ent =
			&g_array_index(list, struct ns_dirent, i);
		struct stat st = { .st_ino = ent->ino, .st_mode = ent->mode };
		size_t n = fuse_add_direntry(req, buf + used, size - used,
					     ent->name, &st, (off_t)(i + 1));
		if (n > size - used)
			break;
		used += n;
	}
	fuse_reply_buf(req, buf, used);
	g_free(buf);
}

static void op_releasedir(fuse_req_t req, fuse_ino_t ino,
			  struct fuse_file_info *fi)
{
	(void)ino;
	ns_list_free((GArray *)(uintptr_t)fi->fh);
	fuse_reply_err(req, 0);
}

static void op_statfs(fuse_req_t req, fuse_ino_t ino)
{
	(void)ino;
	struct statvfs st;
	memset(&st, 0, sizeof(st));
	st.f_bsize = 4096;
	st.f_frsize = 4096;
	st.f_files = ns_count(ns);
	st.f_namemax = NS_NAME_MAX;
	fuse_reply_statfs(req, &st);
}

/* --- extended attributes: door metadata for tools without libdoor --- */

static const char *const xattr_names[] = {
	DOORFS_XATTR_SERVER_PID, DOORFS_XATTR_ID, DOORFS_XATTR_ATTRIBUTES,
	DOORFS_XATTR_REVOKED, DOORFS_XATTR_CALLS,
};

/* Format the value of one door attribute; false if name is not one. */
static bool door_xattr(const struct door *door, pid_t asker, const char *name,
		       char *value, size_t size)
{
	struct doorfs_info info;
	door_info(door, asker, &info);
	if (strcmp(name, DOORFS_XATTR_SERVER_PID) == 0)
		snprintf(value, size, "%d", (int)info.target);
	else if (strcmp(name, DOORFS_XATTR_ID) == 0)
		snprintf(value, size, "%llu", (unsigned long long)info.id);
	else if (strcmp(name, DOORFS_XATTR_ATTRIBUTES) == 0)
		snprintf(value, size, "%u", info.attributes);
	else if (strcmp(name, DOORFS_XATTR_REVOKED) == 0)
		snprintf(value, size, "%d",
			 (info.attributes & DOORFS_ATTR_REVOKED) != 0);
	else if (strcmp(name, DOORFS_XATTR_CALLS) == 0)
		snprintf(value, size, "%llu", (unsigned long long)info.calls);
	else
		return false;
	return true;
}

/* xattr replies: size 0 asks for the length, too small is ERANGE. */
static void reply_xattr_bytes(fuse_req_t req, const char *buf, size_t len,
			      size_t size)
{
	if (size == 0)
		fuse_reply_xattr(req, len);
	else if (size < len)
		fuse_reply_err(req, ERANGE);
	else
		fuse_reply_buf(req, buf, len);
}

static void op_getxattr(fuse_req_t req, fuse_ino_t ino, const char *name,
			size_t size)
{
	struct node *node = ns_get(ns, ino);
	char value[32];
	if (!node || !node->payload ||
	    !door_xattr(checked_door(node->payload),
			tgid_of(fuse_req_ctx(req)->pid), name, value,
			sizeof(value))) {
		fuse_reply_err(req, ENODATA);
		return;
	}
	reply_xattr_bytes(req, value, strlen(value), size);
}

static void op_listxattr(fuse_req_t req, fuse_ino_t ino, size_t size)
{
	struct node *node = ns_get(ns, ino);
	GString *names = g_string_new(NULL);
	if (node && node->payload)
		for (size_t i = 0; i < G_N_ELEMENTS(xattr_names); i++)
			g_string_append_len(names, xattr_names[i],
					    (gssize)strlen(xattr_names[i]) + 1);
	reply_xattr_bytes(req, names->str, names->len, size);
	g_string_free(names, TRUE);
}

static void op_setxattr(fuse_req_t req, fuse_ino_t ino, const char *name,
			const char *value, size_t size, int flags)
{
	(void)ino, (void)name, (void)value, (void)size, (void)flags;
	fuse_reply_err(req, ENOTSUP);
}

static void op_removexattr(fuse_req_t req, fuse_ino_t ino, const char *name)
{
	(void)ino, (void)name;
	fuse_reply_err(req, ENOTSUP);
}

const struct fuse_lowlevel_ops doorfs_ops = {
	.init = op_init,
	.lookup = op_lookup,
	.forget = op_forget,
	.forget_multi = op_forget_multi,
	.getattr = op_getattr,
	.setattr = op_setattr,
	.mknod = op_mknod,
	.mkdir = op_mkdir,
	.unlink = op_unlink,
	.rmdir = op_rmdir,
	.symlink = op_symlink,
	.rename = op_rename,
	.link = op_link,
	.open = op_open,
	.read = op_read,
	.write = op_write,
	.release = op_release,
	.opendir = op_opendir,
	.readdir = op_readdir,
	.releasedir = op_releasedir,
	.statfs = op_statfs,
	.setxattr = op_setxattr,
	.getxattr = op_getxattr,
	.listxattr = op_listxattr,
	.removexattr = op_removexattr,
	.create = op_create,
	.ioctl = op_ioctl,
	.poll = op_poll,
};
