/*
 * doorbench: round-trip latency of libdoor door_call beside the IPC
 * baselines it is judged against (issue 4), all measured in one run.
 *
 *   doorbench [--iterations N] [--quick] [--methods a,b,...]
 *             [--sizes 0,64,4K,...] [--pinning both|unpinned|pinned]
 *             [--csv FILE]
 *
 * Every method echoes a payload of each size, unpinned and then with both
 * processes pinned to CPU 0 (as `taskset -c 0` would).  The table gives
 * each method's median and p99 and its median as a multiple of the spin
 * and futex medians of the same payload and pinning: absolute times drift
 * on shared machines, ratios from one run do not.  The door method needs
 * $DOORFS; bench/run.sh mounts a doorfs and sets it.
 */
#include "methods.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct bench_method *const all_methods[] = {
	&method_spin, &method_futex, &method_pipe, &method_seqpacket,
	&method_dbus,
	&method_door,
};
enum { N_METHODS = sizeof(all_methods) / sizeof(all_methods[0]) };

static const size_t default_sizes[] = { 0, 64, 4096, 65536, 1048576 };
enum { MAX_SIZES = 16 };

enum {
	DEFAULT_ITERATIONS = 20000,
	QUICK_ITERATIONS = 20,
	/* Fewer never gives a p99 worth printing. */
	MIN_ITERATIONS = 10,
	/* Each timed round trip keeps 8 bytes until the method ends. */
	MAX_ITERATIONS = 10 * 1000 * 1000,
};

struct options {
	int iterations;		/* for payloads up to 4 KiB */
	int quick;
	int methods[N_METHODS];	/* chosen, by index in all_methods */
	int n_methods;
	size_t sizes[MAX_SIZES];
	int n_sizes;
	int pinnings[2];	/* 0 unpinned, 1 pinned */
	int n_pinnings;
	const char *csv;
};

/*
 * Big payloads get fewer round trips, so that the default run stays
 * within about two minutes: a 1 MiB round trip copies megabytes.
 */
static int iterations_for(const struct options *o, size_t payload)
{
	int n = o->iterations;
	if (!o->quick) {
		if (payload > 256 * 1024)
			n /= 40;
		else if (payload > 4096)
			n /= 4;
	}
	return n < MIN_ITERATIONS ? MIN_ITERATIONS : n;
}

static void usage(FILE *to)
{
	fprintf(to,
		"usage: doorbench [--iterations N] [--quick] [--methods a,b,...]\n"
		"                 [--sizes 0,64,4K,64K,1M] "
		"[--pinning both|unpinned|pinned]\n"
		"                 [--csv FILE]\n"
		"methods:\n");
	for (int m = 0; m < N_METHODS; m++)
		fprintf(to, "  %-10s %s\n", all_methods[m]->name,
			all_methods[m]->what);
}

/* The chosen methods run in the order of all_methods, whatever the list's. */
static int parse_methods(struct options *o, const char *arg)
{
	int chosen[N_METHODS] = { 0 };
	char *list = strdup(arg);
	if (!list)
		return -1;
	for (char *name = strtok(list, ","); name; name = strtok(NULL, ",")) {
		int m = 0;
		while (m < N_METHODS && strcmp(all_methods[m]->name, name))
			m++;
		if (m == N_METHODS) {
			fprintf(stderr, "doorbench: no method '%s'\n", name);
			free(list);
			return -1;
		}
		chosen[m] = 1;
	}
	free(list);
	o->n_methods = 0;
	for (int m = 0; m < N_METHODS; m++)
		if (chosen[m])
			o->methods[o->n_methods++] = m;
	return o->n_methods ? 0 : -1;
}

static int parse_sizes(struct options *o, const char *arg)
{
	char *list = strdup(arg);
	if (!list)
		return -1;
	o->n_sizes = 0;
	for (char *s = strtok(list, ","); s; s = strtok(NULL, ",")) {
		char *end;
		errno = 0;
		unsigned long long v = strtoull(s, &end, 10);
		if (*end == 'K' || *end == 'k')
			v *= 1024, end++;
		else if (*end == 'M' || *end == 'm')
			v *= 1024 * 1024, end++;
		if (errno || end == s || *end || v > 64ULL * 1024 * 1024 ||
		    o->n_sizes == MAX_SIZES) {
			fprintf(stderr, "doorbench: bad size '%s' (at most %d "
				"sizes of at most 64M)\n", s, MAX_SIZES);
			free(list);
			return -1;
		}
		o->sizes[o->n_sizes++] = (size_t)v;
	}
	free(list);
	return o->n_sizes ? 0 : -1;
}

static int parse_options(struct options *o, int argc, char *argv[])
{
	static const struct option longs[] = {
		{ "iterations", required_argument, NULL, 'n' },
		{ "quick", no_argument, NULL, 'q' },
		{ "methods", required_argument, NULL, 'm' },
		{ "sizes", required_argument, NULL, 's' },
		{ "pinning", required_argument, NULL, 'p' },
		{ "csv", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int iterations = 0, opt;
	*o = (struct options){ .n_methods = N_METHODS, .n_pinnings = 2,
			       .pinnings = { 0, 1 } };
	for (int m = 0; m < N_METHODS; m++)
		o->methods[m] = m;
	o->n_sizes = sizeof(default_sizes) / sizeof(default_sizes[0]);
	memcpy(o->sizes, default_sizes, sizeof(default_sizes));

	while ((opt = getopt_long(argc, argv, "n:qm:s:p:c:h", longs,
				  NULL)) != -1) {
		switch (opt) {
		case 'n':
			iterations = atoi(optarg);
			if (iterations < MIN_ITERATIONS ||
			    iterations > MAX_ITERATIONS) {
				fprintf(stderr, "doorbench: --iterations must "
					"be %d to %d\n", MIN_ITERATIONS,
					MAX_ITERATIONS);
				return -1;
			}
			break;
		case 'q':
			o->quick = 1;
			break;
		case 'm':
			if (parse_methods(o, optarg) < 0)
				return -1;
			break;
		case 's':
			if (parse_sizes(o, optarg) < 0)
				return -1;
			break;
		case 'p':
			if (!strcmp(optarg, "both"))
				o->n_pinnings = 2;
			else if (!strcmp(optarg, "unpinned"))
				o->n_pinnings = 1, o->pinnings[0] = 0;
			else if (!strcmp(optarg, "pinned"))
				o->n_pinnings = 1, o->pinnings[0] = 1;
			else
				return -1;
			break;
		case 'c':
			o->csv = optarg;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			return -1;
		}
	}
	if (optind < argc)
		return -1;
	o->iterations = iterations ? iterations
			: o->quick ? QUICK_ITERATIONS : DEFAULT_ITERATIONS;
	return 0;
}

/* results[pinning][size][method], by index in all_methods. */
static struct measurement results[2][MAX_SIZES][N_METHODS];

/* a / b when both were measured, else 0 (printed as "-"). */
static double ratio(const struct measurement *a, const struct measurement *b)
{
	return a->ok && b->ok && b->median_us > 0 ? a->median_us / b->median_us
						  : 0;
}

static void format_ratio(char *buf, size_t len, double r)
{
	if (r >= 0.1)
		snprintf(buf, len, "%.2f", r);
	else if (r > 0)
		snprintf(buf, len, "%.3f", r);
	else
		snprintf(buf, len, "-");
}

static void print_table(const struct options *o, FILE *csv)
{
	printf("%-10s %9s %-8s %10s %10s %11s %8s %8s %9s\n", "method",
	       "payload", "pinned", "median_us", "p99_us", "calls/s",
	       "x_spin", "x_futex", "p99/futx");
	if (csv)
		fprintf(csv, "method,payload_bytes,pinned,iterations,"
			"median_us,p99_us,calls_per_s,median_vs_spin,"
			"median_vs_futex,p99_vs_futex_median,status\n");
	for (int p = 0; p < o->n_pinnings; p++) {
		int pinned = o->pinnings[p];
		for (int s = 0; s < o->n_sizes; s++) {
			const struct measurement *row = results[pinned][s];
			const struct measurement *spin = &row[0];
			const struct measurement *futex = &row[1];
			for (int k = 0; k < o->n_methods; k++) {
				int m = o->methods[k];
				const struct measurement *r = &row[m];
				const char *name = all_methods[m]->name;
				const char *pin = pinned ? "yes" : "no";
				if (!r->ok) {
					const char *status = r->not_applicable
						? "n/a" : "FAILED";
					printf("%-10s %9zu %-8s %10s\n", name,
					       o->sizes[s], pin, status);
					if (csv)
						fprintf(csv, "%s,%zu,%d,%d,,,,,,,"
							"%s\n", name,
							o->sizes[s], pinned,
							r->iterations,
							r->not_applicable
							? "n/a" : "failed");
					continue;
				}
				double vs_spin = ratio(r, spin);
				double vs_futex = ratio(r, futex);
				double p99_futex = futex->ok && futex->median_us > 0
					? r->p99_us / futex->median_us : 0;
				char a[16], b[16], c[16];
				format_ratio(a, sizeof(a), vs_spin);
				format_ratio(b, sizeof(b), vs_futex);
				format_ratio(c, sizeof(c), p99_futex);
				printf("%-10s %9zu %-8s %10.2f %10.2f %11.0f "
				       "%8s %8s %9s\n", name, o->sizes[s], pin,
				       r->median_us, r->p99_us, r->calls_per_s,
				       a, b, c);
				if (csv)
					fprintf(csv, "%s,%zu,%d,%d,%.3f,%.3f,"
						"%.0f,%s,%s,%s,ok\n", name,
						o->sizes[s], pinned,
						r->iterations, r->median_us,
						r->p99_us, r->calls_per_s,
						vs_spin > 0 ? a : "",
						vs_futex > 0 ? b : "",
						p99_futex > 0 ? c : "");
			}
			if (s + 1 < o->n_sizes || p + 1 < o->n_pinnings)
				printf("\n");
		}
	}
}

int main(int argc, char *argv[])
{
	struct options o;
	if (parse_options(&o, argc, argv) < 0) {
		usage(stderr);
		return 2;
	}
	FILE *csv = NULL;
	if (o.csv && !(csv = fopen(o.csv, "w"))) {
		fprintf(stderr, "doorbench: %s: %s\n", o.csv, strerror(errno));
		return 1;
	}
	servers_cleanup_on_exit();
	setvbuf(stdout, NULL, _IOLBF, 0);

	int failed = 0;
	for (int p = 0; p < o.n_pinnings; p++) {
		int pinned = o.pinnings[p];
		if ((pinned ? pin_to_cpu0() : unpin()) < 0) {
			perror("doorbench: sched_setaffinity");
			return 1;
		}
		for (int s = 0; s < o.n_sizes; s++) {
			int n = iterations_for(&o, o.sizes[s]);
			int warmup = n / 10 < 5 ? 5 : n / 10;
			for (int k = 0; k < o.n_methods; k++) {
				int m = o.methods[k];
				fprintf(stderr, "doorbench: %s, %zu B, %s, "
					"%d round trips\n",
					all_methods[m]->name, o.sizes[s],
					pinned ? "pinned" : "unpinned", n);
				results[pinned][s][m] = measure_method(
					all_methods[m], o.sizes[s], pinned, n,
					warmup);
				failed |= !results[pinned][s][m].ok &&
					  !results[pinned][s][m].not_applicable;
			}
		}
	}
	unpin();
	print_table(&o, csv);
	if (csv && fclose(csv) != 0) {
		fprintf(stderr, "doorbench: %s: %s\n", o.csv, strerror(errno));
		return 1;
	}
	return failed ? 1 : 0;
}
