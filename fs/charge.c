/* charge.c: see charge.h.  Single-threaded like the rest of the daemon. */
#include <glib.h>

#include "charge.h"
#include "log.h"

static GHashTable *held;        /* uid -> bytes (stored in the pointer) */
static size_t limit = CHARGE_LIMIT_DEFAULT;

void charge_set_limit(size_t bytes)
{
	limit = bytes;
}

size_t charge_held(uid_t uid)
{
	if (!held)
		return 0;
	return GPOINTER_TO_SIZE(g_hash_table_lookup(held, GUINT_TO_POINTER(uid)));
}

/* What a uid holding held bytes may still take. */
static size_t room_beside(size_t held)
{
	return limit - MIN(held, limit);
}

size_t charge_room(uid_t uid)
{
	return room_beside(charge_held(uid));
}

static void set_held(uid_t uid, size_t bytes)
{
	if (!held)
		held = g_hash_table_new(g_direct_hash, g_direct_equal);
	if (bytes)
		g_hash_table_insert(held, GUINT_TO_POINTER(uid),
				    GSIZE_TO_POINTER(bytes));
	else
		g_hash_table_remove(held, GUINT_TO_POINTER(uid));
}

bool charge_take(uid_t uid, size_t n)
{
	size_t now = charge_held(uid);
	if (n > room_beside(now)) {
		log_event("uid %u over its %zu-byte buffer limit", (unsigned)uid,
			  limit);
		return false;
	}
	set_held(uid, now + n);
	return true;
}

void charge_give(uid_t uid, size_t n)
{
	size_t now = charge_held(uid);
	g_assert(n <= now);
	set_held(uid, now - n);
}
