/*
 * forward.h: doorfsd as a fast-plane client of libdoor servers, carrying
 * the file-plane calls made on their doors (see calls.h, "Forwarding").
 */
#ifndef DOORFS_FORWARD_H
#define DOORFS_FORWARD_H

#include "calls.h"

/* What calls.c uses (door_set_forwarding). */
extern const struct door_forwarding forward_ops;

#endif
