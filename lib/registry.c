/*
 * registry.c: the doors this process created.
 *
 * A door is found by the id the daemon gave it, which the daemon reports
 * for every descriptor of it: door_create's, one passed in a call, a name
 * opened after fattach.  A door stays here while it lives; a revoked
 * door stays until the last connection to it is gone, so a server thread
 * never holds a dangling door.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "libdoor.h"

static pthread_mutex_t registry_lock = PTHREAD_MUTEX_INITIALIZER;
static struct ldoor **doors;
static size_t ndoors, cap;

/* Held across fork, so the child never inherits it locked (server.c). */
static void lock_for_fork(void)
{
	pthread_mutex_lock(&registry_lock);
}

static void unlock_after_fork(void)
{
	pthread_mutex_unlock(&registry_lock);
}

__attribute__((constructor)) static void registry_fork_handlers(void)
{
	pthread_atfork(lock_for_fork, unlock_after_fork, unlock_after_fork);
}

void registry_add(struct ldoor *door)
{
	pthread_mutex_lock(&registry_lock);
	if (ndoors == cap) {
		size_t ncap = cap ? cap * 2 : 16;
		struct ldoor **grown = realloc(doors, ncap * sizeof(*doors));
		if (!grown)
			abort();        /* a few pointers: out of memory indeed */
		doors = grown;
		cap = ncap;
	}
	doors[ndoors++] = door;
	pthread_mutex_unlock(&registry_lock);
}

struct ldoor *registry_find(dev_t dev, uint64_t id)
{
	struct ldoor *found = NULL;
	pid_t me = getpid();
	pthread_mutex_lock(&registry_lock);
	for (size_t i = 0; i < ndoors; i++) {
		struct ldoor *d = doors[i];
		/* After fork the child sees the parent's doors: not its own. */
		if (d->id == id && d->dev == dev && d->creator == me) {
			found = d;
			ldoor_ref(found);
			break;
		}
	}
	pthread_mutex_unlock(&registry_lock);
	return found;
}

/*
 * The daemon cannot hand us a descriptor of a door on its own mount, so
 * it names the door by id and proves it is the daemon with the key it
 * gave that door: the key, not a mount, tells doors with one id apart.
 */
struct ldoor *registry_find_forward(uint64_t id, uint64_t key)
{
	struct ldoor *found = NULL;
	pid_t me = getpid();
	if (key == 0)
		return NULL;
	pthread_mutex_lock(&registry_lock);
	for (size_t i = 0; i < ndoors; i++) {
		struct ldoor *d = doors[i];
		if (d->id == id && d->creator == me && d->forward_key == key) {
			found = d;
			ldoor_ref(found);
			break;
		}
	}
	pthread_mutex_unlock(&registry_lock);
	return found;
}

struct ldoor *registry_find_fd(int fd)
{
	struct doorfs_info info;
	struct stat st;
	if (libc_fstat(fd, &st) < 0 || ioctl(fd, DOORFS_IOC_INFO, &info) < 0)
		return NULL;
	return registry_find(st.st_dev, info.id);
}

void ldoor_ref(struct ldoor *door)
{
	atomic_fetch_add(&door->refs, 1);
}

/*
 * The registry's own reference goes when the door is revoked; the last
 * connection to a revoked door then frees it.
 */
void ldoor_unref(struct ldoor *door)
{
	if (atomic_fetch_sub(&door->refs, 1) != 1)
		return;
	pthread_mutex_lock(&registry_lock);
	for (size_t i = 0; i < ndoors; i++) {
		if (doors[i] == door) {
			doors[i] = doors[--ndoors];
			break;
		}
	}
	pthread_mutex_unlock(&registry_lock);
	if (door->server_end >= 0)
		close(door->server_end);
	pool_free_private(door);
	free(door);
}

int ldoor_publish(struct ldoor *door)
{
	struct doorfs_setup setup = {
		.version = DOORFS_VERSION,
		.attributes = door->attributes,
		.proc = (uint64_t)(uintptr_t)door->proc,
		.data = (uint64_t)(uintptr_t)door->cookie,
		.params = door->params,
	};
	const char *name;
	int err = server_start(&name);
	if (err)
		return err;
	snprintf(setup.rendezvous, sizeof(setup.rendezvous), "%s", name);
	if (ioctl(door->server_end, DOORFS_IOC_SETUP, &setup) < 0)
		return errno;
	/* A daemon that does not forward has no key (ENOTTY): it then
	 * sends file-plane calls through the server end only. */
	uint64_t key;
	if (!door->forward_key &&       /* door_setparam publishes again */
	    ioctl(door->server_end, DOORFS_IOC_FORWARD_KEY, &key) == 0)
		door->forward_key = key;
	return 0;
}
