/*
 * handoff.h: the shared-memory handoff behind the spin and futex methods.
 *
 * Client and server share one mapping: a state word on its own cache
 * line, then an argument area and a reply area of the payload's size.
 * The client copies the argument in and sets CALL; the server copies it
 * to the reply area and sets REPLY; the client copies the reply out.  The
 * two methods differ only in how a side waits for the state it wants.
 */
#ifndef DOORBENCH_HANDOFF_H
#define DOORBENCH_HANDOFF_H

#include <stddef.h>
#include <sys/types.h>

enum handoff_wait {
	HANDOFF_SPIN,	/* poll the state word (sched_yield when pinned) */
	HANDOFF_FUTEX,	/* FUTEX_WAIT on it, FUTEX_WAKE after every change */
};

int handoff_setup(size_t payload, int pinned, enum handoff_wait how);
ssize_t handoff_round_trip(const void *arg, void *reply, size_t payload);
void handoff_teardown(void);

#endif
