/* method_futex.c: the sleeping shared-memory handoff (see handoff.c). */
#include "handoff.h"
#include "methods.h"

static int futex_setup(size_t payload, int pinned)
{
	return handoff_setup(payload, pinned, HANDOFF_FUTEX);
}

const struct bench_method method_futex = {
	.name = "futex",
	.what = "shared-memory handoff, both sides sleeping on a futex",
	.setup = futex_setup,
	.round_trip = handoff_round_trip,
	.teardown = handoff_teardown,
};
