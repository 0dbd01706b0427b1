/*
 * targets.h: issue 4's performance targets, judged on one run's numbers.
 *
 * Every target is a ratio between two measurements of the same run, so
 * it holds or fails regardless of how fast the machine is today.
 */
#ifndef DOORBENCH_TARGETS_H
#define DOORBENCH_TARGETS_H

#include "experiments.h"
#include "measure.h"

#include <stdio.h>

/* A method's result for a payload and pinning, or NULL if not measured. */
typedef const struct measurement *(*result_lookup)(const char *method,
						   size_t payload, int pinned);

/*
 * Prints every target with its ratio and whether it is met; `one` and
 * `two` are the throughput runs with one and two client threads (either
 * may be NULL or not ok).  Also writes them to csv when not NULL.
 * Returns how many targets were missed.
 */
int print_targets(result_lookup lookup, const struct throughput *one,
		  const struct throughput *two, FILE *csv);

#endif
