/*
 * charge.h: what each user makes the daemon hold.
 *
 * Every byte doorfsd buffers for a call (arguments being written, a
 * call's arguments, its result) is charged to the uid that wrote it, and
 * a uid over its limit gets ENOBUFS instead of more memory.  One user
 * can then exhaust only their own share, never the daemon (the idea is
 * dbus-broker's per-user accounting).
 */
#ifndef DOORFS_CHARGE_H
#define DOORFS_CHARGE_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* Default per-uid limit: sixteen maximum-size calls in flight. */
#define CHARGE_LIMIT_DEFAULT ((size_t)1 << 30)

void charge_set_limit(size_t bytes);
/* Take n bytes from uid's share; false (and nothing taken) if over. */
bool charge_take(uid_t uid, size_t n);
void charge_give(uid_t uid, size_t n);
size_t charge_held(uid_t uid);
/* How much uid may still take. */
size_t charge_room(uid_t uid);

#endif
