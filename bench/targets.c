/*
 * targets.c: the summary at the end of a doorbench run, target by target.
 *
 * A target compares method a with method b at one payload and pinning:
 * a's median (or p99) over b's median must be at most, or at least, a
 * bound.  "Faster by k" is written as b over a at least k, so the number
 * printed reads the way the target does.
 */
#include "targets.h"

#include <stdbool.h>

struct target {
	const char *what;
	const char *a, *b;	/* the ratio is a / b */
	bool a_p99;		/* a's p99 instead of its median */
	size_t payload;
	int pinned;
	bool at_least;		/* ratio >= bound, else ratio <= bound */
	double bound;
};

static const struct target targets[] = {
	{ "null door_call, unpinned: median vs spinning handoff",
	  "door", "spin", false, 0, 0, false, 4 },
	{ "null door_call, unpinned: p99 vs sleeping futex median",
	  "door", "futex", true, 0, 0, false, 1 },
	{ "null door_call, pinned: median vs pinned futex",
	  "door", "futex", false, 0, 1, false, 1.25 },
	{ "null door_call, unpinned: times faster than SOCK_SEQPACKET",
	  "seqpacket", "door", false, 0, 0, true, 50 },
	{ "null door_call, pinned: times faster than SOCK_SEQPACKET",
	  "seqpacket", "door", false, 0, 1, true, 1.5 },
	{ "null door_call, unpinned: times faster than D-Bus",
	  "dbus", "door", false, 0, 0, true, 200 },
	{ "file plane write+read to a libdoor server vs raw FUSE write+read",
	  "fp-rw-lib", "fuse-rw", false, 0, 0, false, 1.25 },
	{ "file plane ioctl call to a libdoor server vs raw FUSE ioctl",
	  "fp-ioctl-lib", "fuse-ioctl", false, 0, 0, false, 1.25 },
	{ "1 MiB each way, unpinned: throughput vs SOCK_SEQPACKET",
	  "seqpacket", "door", false, 1024 * 1024, 0, true, 2 },
};

/*
 * Prints one line, with the two numbers behind the ratio (`from`, may be
 * empty); returns 1 if the target was measured and missed.
 */
static int judge(const char *what, double ratio, bool at_least, double bound,
		 const char *from, FILE *csv)
{
	const char *verdict = ratio <= 0 ? "n/a"
		: (at_least ? ratio >= bound : ratio <= bound) ? "met"
		: "MISSED";
	char value[32];
	if (ratio > 0)
		snprintf(value, sizeof(value), "%.2f", ratio);
	else
		snprintf(value, sizeof(value), "-");
	printf("  %-7s %-66s %s %-6g %8s  %s\n", verdict, what,
	       at_least ? ">=" : "<=", bound, value, from);
	if (csv)
		fprintf(csv, "target,\"%s\",%s,%s%g,%s\n", what,
			ratio > 0 ? value : "", at_least ? ">=" : "<=", bound,
			verdict);
	return ratio > 0 && verdict[0] == 'M';
}

int print_targets(result_lookup lookup, const struct throughput *one,
		  const struct throughput *two, FILE *csv)
{
	int missed = 0, measured = 0;
	int total = sizeof(targets) / sizeof(targets[0]) + 1;
	printf("\ntargets of issue 4, judged on this run's ratios:\n");
	for (size_t k = 0; k < sizeof(targets) / sizeof(targets[0]); k++) {
		const struct target *t = &targets[k];
		const struct measurement *a = lookup(t->a, t->payload, t->pinned);
		const struct measurement *b = lookup(t->b, t->payload, t->pinned);
		double ratio = 0;
		char from[64] = "";
		if (a && b && a->ok && b->ok && b->median_us > 0) {
			double top = t->a_p99 ? a->p99_us : a->median_us;
			ratio = top / b->median_us;
			snprintf(from, sizeof(from), "(%.2f / %.2f us)", top,
				 b->median_us);
		}
		measured += ratio > 0;
		missed += judge(t->what, ratio, t->at_least, t->bound, from,
				csv);
	}
	double scaling = one && two && one->ok && two->ok &&
			 one->calls_per_s > 0
		? two->calls_per_s / one->calls_per_s : 0;
	char from[64] = "";
	if (scaling > 0)
		snprintf(from, sizeof(from), "(%.0f / %.0f calls/s)",
			 two->calls_per_s, one->calls_per_s);
	measured += scaling > 0;
	missed += judge("2 client threads: calls per second vs 1 thread",
			scaling, true, 1.6, from, csv);
	printf("%d of %d targets met, %d missed, %d not measured\n",
	       measured - missed, total, missed, total - measured);
	return missed;
}
