/*
 * door.c: creating doors and asking about them (door_create, door_info,
 * door_revoke, door_getparam, door_setparam).
 *
 * A door is a doorfs file.  door_create makes a nameless one; the
 * descriptor it returns is a server end, and libdoor opens a second
 * server end of its own, which keeps the door alive if the program
 * closes its descriptor (an illumos door lives while referenced) and on
 * which the pool serves file-plane callers.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "libdoor.h"

/* What door_create accepts (door_xcreate adds its own bits). */
#define CREATE_ATTRIBUTES (DOOR_UNREF | DOOR_PRIVATE | DOOR_UNREF_MULTI | \
			   DOOR_REFUSE_DESC | DOOR_NO_CANCEL)

/* libdoor's own server end of the door user_fd is the first one of. */
static int open_own_server_end(int user_fd, int *out)
{
	uint64_t token;
	char path[64];
	if (ioctl(user_fd, DOORFS_IOC_SERVER_TOKEN, &token) < 0)
		return errno;
	snprintf(path, sizeof(path), "/proc/self/fd/%d", user_fd);
	int fd = open(path, O_RDWR | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return errno;
	/* A result may exceed one write(): complete it with RETURN. */
	if (ioctl(fd, DOORFS_IOC_SERVE, &token) < 0 ||
	    ioctl(fd, DOORFS_IOC_HOLD_RESULTS) < 0) {
		int err = errno;
		close(fd);
		return err;
	}
	*out = fd;
	return 0;
}

int door_make(door_server_procedure_t *proc, void *cookie, uint_t attrs,
	      struct ldoor **out)
{
	int user_fd, err = doorfs_new_door_file(&user_fd);
	if (err)
		return err;

	struct ldoor *door = calloc(1, sizeof(*door));
	struct doorfs_info info;
	if (!door) {
		err = ENOMEM;
		goto fail;
	}
	door->server_end = -1;
	if ((err = open_own_server_end(user_fd, &door->server_end)))
		goto fail;
	if (ioctl(user_fd, DOORFS_IOC_INFO, &info) < 0) {
		err = errno;
		goto fail;
	}
	struct stat st;
	if (libc_fstat(user_fd, &st) < 0) {
		err = errno;
		goto fail;
	}
	door->user_fd = user_fd;
	door->id = info.id;
	door->dev = st.st_dev;
	door->creator = getpid();
	door->proc = proc;
	door->cookie = cookie;
	door->attributes = attrs;
	door->params.data_min = 0;
	door->params.data_max = SIZE_MAX;
	door->params.desc_max = (attrs & DOOR_REFUSE_DESC) ? 0 : INT_MAX;
	atomic_init(&door->refs, 1);

	err = (attrs & DOOR_PRIVATE) ? pool_new(door, &door->pool)
				     : pool_global(&door->pool);
	if (!err)
		err = ldoor_publish(door);
	if (!err)
		err = pool_watch_door(door->pool, door);
	if (err)
		goto fail;
	registry_add(door);
	*out = door;
	return 0;

fail:
	if (door && door->server_end >= 0)
		close(door->server_end);
	if (door)
		pool_free_private(door);
	free(door);
	close(user_fd);
	return err;
}

LIBDOOR_EXPORT int door_create(door_server_procedure_t *proc, void *cookie,
			       uint_t attributes)
{
	if ((attributes & ~CREATE_ATTRIBUTES) ||
	    (attributes & (DOOR_UNREF | DOOR_UNREF_MULTI)) ==
	    (DOOR_UNREF | DOOR_UNREF_MULTI)) {
		errno = EINVAL;
		return -1;
	}
	struct ldoor *door;
	int err = door_make(proc, cookie, attributes, &door);
	if (err) {
		errno = err;
		return -1;
	}
	pool_created(door->pool, door);
	return door->user_fd;
}

LIBDOOR_EXPORT int door_info(int d, door_info_t *info)
{
	if (d == DOOR_QUERY) {
		struct ldoor *door = server_thread_door();
		if (!door) {
			errno = EBADF;
			return -1;
		}
		d = door->server_end;   /* ours: the program may close its own */
	}
	struct doorfs_info di;
	if (!doorfs_fd_is_door(d) || ioctl(d, DOORFS_IOC_INFO, &di) < 0) {
		errno = EBADF;
		return -1;
	}
	memset(info, 0, sizeof(*info));
	info->di_target = di.target;
	info->di_proc = di.proc;
	info->di_data = di.data;
	info->di_attributes = di.attributes;
	info->di_uniquifier = di.id;
	return 0;
}

LIBDOOR_EXPORT int door_revoke(int d)
{
	if (!doorfs_fd_is_door(d)) {
		errno = EBADF;
		return -1;
	}
	struct ldoor *door = registry_find_fd(d);
	if (!door) {
		errno = EPERM;          /* a door, but not this process's */
		return -1;
	}
	if (atomic_exchange(&door->revoked, true)) {
		ldoor_unref(door);
		errno = EBADF;          /* revoked already */
		return -1;
	}
	ioctl(door->server_end, DOORFS_IOC_REVOKE);
	server_revoke(door);
	ldoor_unref(door);              /* the registry's reference */
	ldoor_unref(door);
	close(d);
	return 0;
}

static int param_value(const struct doorfs_params *p, int param, size_t *out)
{
	switch (param) {
	case DOOR_PARAM_DATA_MIN:
		*out = (size_t)p->data_min;
		return 0;
	case DOOR_PARAM_DATA_MAX:
		*out = (size_t)p->data_max;
		return 0;
	case DOOR_PARAM_DESC_MAX:
		*out = (size_t)p->desc_max;
		return 0;
	default:
		return EINVAL;
	}
}

LIBDOOR_EXPORT int door_getparam(int d, int param, size_t *out)
{
	struct doorfs_params params;
	if (!doorfs_fd_is_door(d) || ioctl(d, DOORFS_IOC_PARAMS, &params) < 0) {
		errno = EBADF;
		return -1;
	}
	int err = param_value(&params, param, out);
	if (err) {
		errno = err;
		return -1;
	}
	return 0;
}

/* illumos checks in this order: EBADF, EPERM, then the value. */
LIBDOOR_EXPORT int door_setparam(int d, int param, size_t val)
{
	struct doorfs_info di;
	if (!doorfs_fd_is_door(d) || ioctl(d, DOORFS_IOC_INFO, &di) < 0 ||
	    (di.attributes & DOOR_REVOKED)) {
		errno = EBADF;
		return -1;
	}
	struct ldoor *door = registry_find_fd(d);
	if (!door) {
		errno = EPERM;
		return -1;
	}
	struct doorfs_params p = door->params;
	int err = 0;
	switch (param) {
	case DOOR_PARAM_DESC_MAX:
		if (val > INT_MAX)
			err = ERANGE;
		else if ((door->attributes & DOOR_REFUSE_DESC) && val != 0)
			err = ENOTSUP;
		else
			p.desc_max = val;
		break;
	case DOOR_PARAM_DATA_MIN:
		if (val > p.data_max)
			err = EINVAL;
		else
			p.data_min = val;
		break;
	case DOOR_PARAM_DATA_MAX:
		if (val < p.data_min)
			err = EINVAL;
		else
			p.data_max = val;
		break;
	default:
		err = EINVAL;
	}
	if (!err) {
		door->params = p;
		err = ldoor_publish(door);
	}
	ldoor_unref(door);
	if (err) {
		errno = err;
		return -1;
	}
	return 0;
}
