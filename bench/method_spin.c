/* method_spin.c: the spinning shared-memory handoff (see handoff.c). */
#include "handoff.h"
#include "methods.h"

static int spin_setup(size_t payload, int pinned)
{
	return handoff_setup(payload, pinned, HANDOFF_SPIN);
}

const struct bench_method method_spin = {
	.name = "spin",
	.what = "shared-memory handoff, both sides spinning (the limit)",
	.setup = spin_setup,
	.round_trip = handoff_round_trip,
	.teardown = handoff_teardown,
};
