/*
 * handoff.c: two processes passing one cache line back and forth, with
 * the payload copied through the same shared mapping.  Spinning, this is
 * the physical limit of a cross-process round trip on this machine;
 * sleeping on a futex, it is the cheapest round trip that gives the CPU
 * away while waiting.
 *
 * When both processes are pinned to one CPU, pure spinning would burn the
 * waiter's whole time slice before the other side could run, so the
 * spinning waiter calls sched_yield() on every turn: that is the limit of
 * a handoff on one CPU.
 */
/* configure defines it for the tree (AC_USE_SYSTEM_EXTENSIONS). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "handoff.h"
#include "measure.h"

#include <errno.h>
#include <linux/futex.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

enum handoff_state { STATE_IDLE, STATE_CALL, STATE_REPLY };

enum {
	CACHE_LINE = 64,
	/* A client waiting this long checks whether its server died. */
	LIVENESS_CHECK_NS = 1000 * 1000 * 1000,
};

struct handoff_shared {
	_Alignas(CACHE_LINE) _Atomic uint32_t state;
	_Alignas(CACHE_LINE) unsigned char data[];	/* arg, then reply */
};

static struct handoff_shared *shared;
static size_t mapped;
static pid_t server = -1;
static enum handoff_wait waiting;
static int yield_while_spinning;

static long futex(_Atomic uint32_t *word, int op, uint32_t val,
		  const struct timespec *timeout)
{
	/* Not FUTEX_PRIVATE_FLAG: the word is shared between processes. */
	return syscall(SYS_futex, (uint32_t *)word, op, val, timeout, NULL, 0);
}

static void publish(enum handoff_state s)
{
	atomic_store_explicit(&shared->state, s, memory_order_release);
	if (waiting == HANDOFF_FUTEX)
		futex(&shared->state, FUTEX_WAKE, 1, NULL);
}

/*
 * Waits until the state is `want`.  The server waits forever (it dies
 * with its parent); the client returns -1 if the server has died.
 */
static int await(enum handoff_state want, int is_client)
{
	uint32_t s;
	unsigned long spins = 0;
	while ((s = atomic_load_explicit(&shared->state,
					 memory_order_acquire)) != want) {
		if (waiting == HANDOFF_FUTEX) {
			struct timespec limit = { 1, 0 };
			if (futex(&shared->state, FUTEX_WAIT, s, &limit) < 0 &&
			    errno == ETIMEDOUT && is_client &&
			    server_died(server))
				return -1;
			continue;
		}
		if (yield_while_spinning)
			sched_yield();
		else
			__builtin_ia32_pause();
		if (is_client && ++spins % (1UL << 22) == 0 &&
		    server_died(server))
			return -1;
	}
	return 0;
}

static void serve(size_t payload)
{
	for (;;) {
		await(STATE_CALL, 0);
		memcpy(shared->data + payload, shared->data, payload);
		publish(STATE_REPLY);
	}
}

int handoff_setup(size_t payload, int pinned, enum handoff_wait how)
{
	waiting = how;
	yield_while_spinning = pinned;
	mapped = sizeof(*shared) + 2 * payload;
	shared = mmap(NULL, mapped, PROT_READ | PROT_WRITE,
		      MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (shared == MAP_FAILED) {
		perror("doorbench: handoff: mmap");
		shared = NULL;
		return -1;
	}
	atomic_store(&shared->state, STATE_IDLE);
	server = server_fork();
	if (server < 0) {
		handoff_teardown();
		return -1;
	}
	if (server == 0) {
		serve(payload);
		_exit(0);
	}
	return 0;
}

ssize_t handoff_round_trip(const void *arg, void *reply, size_t payload)
{
	memcpy(shared->data, arg, payload);
	publish(STATE_CALL);
	if (await(STATE_REPLY, 1) < 0) {
		fprintf(stderr, "doorbench: handoff: the server died\n");
		server = -1;
		return -1;
	}
	memcpy(reply, shared->data + payload, payload);
	return (ssize_t)payload;
}

void handoff_teardown(void)
{
	server_stop(server);
	server = -1;
	if (shared)
		munmap(shared, mapped);
	shared = NULL;
}
