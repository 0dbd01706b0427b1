/*
 * doorbench: round-trip latency of libdoor door_call beside the IPC
 * baselines it is judged against (issue 4), all measured in one run.
 *
 *   doorbench [--iterations N] [--quick] [--methods a,b,...]
 *             [--sizes 0,64,4K,...] [--pinning both|unpinned|pinned]
 *             [--csv FILE] [--summary-csv FILE]
 *             [--experiments throughput,create,ls|none] [--ls-doors N]
 *
 * Every method echoes a payload of each size, unpinned and then with both
 * processes pinned to CPU 0 (as `taskset -c 0` would).  The table gives
 * each method's median and p99 and its median as a multiple of the spin
 * and futex medians of the same payload and pinning: absolute times drift
 * on shared machines, ratios from one run do not.  Then come the
 * experiments (experiments.h): calls per second with one and two client
 * threads, the cost of door_create + fattach, and `ls -l` of a directory
 * of doors; and last, issue 4's targets judged on this run (targets.h).
 * The door and file-plane (fp-*) methods and the experiments need
 * $DOORFS; bench/run.sh mounts a doorfs and sets it.  The raw FUSE
 * methods mount rawfuse (bench/rawfuse.c) themselves.
 */
#include "experiments.h"
#include "methods.h"
#include "targets.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct bench_method *const all_methods[] = {
	&method_spin, &method_futex, &method_pipe, &method_seqpacket,
	&method_fuse_rw, &method_fuse_ioctl,
	&method_dbus,
	&method_door,
	&method_fp_rw_lib, &method_fp_ioctl_lib,
	&method_fp_rw_fp, &method_fp_ioctl_fp,
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
	/* The experiments: full size, and --quick's (shape only). */
	THROUGHPUT_MS = 1000, QUICK_THROUGHPUT_MS = 50,
	CREATE_ROUNDS = 1000, QUICK_CREATE_ROUNDS = 10,
	LS_DOORS = 10000, QUICK_LS_DOORS = 100,
	LS_RUNS = 5, QUICK_LS_RUNS = 1,
};

enum experiment {
	EXP_THROUGHPUT = 1 << 0,
	EXP_CREATE = 1 << 1,
	EXP_LS = 1 << 2,
	EXP_ALL = EXP_THROUGHPUT | EXP_CREATE | EXP_LS,
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
	const char *summary_csv;
	int experiments;	/* enum experiment bits */
	int ls_doors;
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
		"                 [--csv FILE] [--summary-csv FILE]\n"
		"                 [--experiments throughput,create,ls|none] "
		"[--ls-doors N]\n"
		"methods:\n");
	for (int m = 0; m < N_METHODS; m++)
		fprintf(to, "  %-12s %s\n", all_methods[m]->name,
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

static int parse_experiments(struct options *o, const char *arg)
{
	static const struct {
		const char *name;
		int bit;
	} names[] = { { "throughput", EXP_THROUGHPUT },
		      { "create", EXP_CREATE }, { "ls", EXP_LS },
		      { "none", 0 } };
	char *list = strdup(arg);
	if (!list)
		return -1;
	o->experiments = 0;
	for (char *name = strtok(list, ","); name; name = strtok(NULL, ",")) {
		size_t k = 0;
		while (k < sizeof(names) / sizeof(names[0]) &&
		       strcmp(names[k].name, name))
			k++;
		if (k == sizeof(names) / sizeof(names[0])) {
			fprintf(stderr, "doorbench: no experiment '%s'\n",
				name);
			free(list);
			return -1;
		}
		o->experiments |= names[k].bit;
	}
	free(list);
	return 0;
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
		{ "summary-csv", required_argument, NULL, 'S' },
		{ "experiments", required_argument, NULL, 'e' },
		{ "ls-doors", required_argument, NULL, 'l' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int iterations = 0, opt;
	*o = (struct options){ .n_methods = N_METHODS, .n_pinnings = 2,
			       .pinnings = { 0, 1 }, .experiments = EXP_ALL };
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
		case 'S':
			o->summary_csv = optarg;
			break;
		case 'e':
			if (parse_experiments(o, optarg) < 0)
				return -1;
			break;
		case 'l':
			o->ls_doors = atoi(optarg);
			if (o->ls_doors < 1 || o->ls_doors > 100000) {
				fprintf(stderr, "doorbench: --ls-doors must be "
					"1 to 100000\n");
				return -1;
			}
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
	if (!o->ls_doors)
		o->ls_doors = o->quick ? QUICK_LS_DOORS : LS_DOORS;
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
	printf("%-12s %9s %-8s %10s %10s %11s %8s %8s %9s\n", "method",
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
					printf("%-12s %9zu %-8s %10s\n", name,
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
				printf("%-12s %9zu %-8s %10.2f %10.2f %11.0f "
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

/* The run's options; lookup_result() answers from them for the targets. */
static struct options opts;

static const struct measurement *lookup_result(const char *method,
					       size_t payload, int pinned)
{
	int m = 0, s = 0;
	while (m < N_METHODS && strcmp(all_methods[m]->name, method))
		m++;
	while (s < opts.n_sizes && opts.sizes[s] != payload)
		s++;
	return m < N_METHODS && s < opts.n_sizes ? &results[pinned][s][m]
						 : NULL;
}

static void print_throughput(const struct throughput t[2], FILE *csv)
{
	printf("\nthroughput: null door_calls from N client threads, "
	       "unpinned\n%-8s %9s %11s %11s %7s\n", "threads", "seconds",
	       "calls", "calls/s", "x_one");
	for (int k = 0; k < 2; k++) {
		if (!t[k].ok) {
			printf("%-8d %9s\n", t[k].threads, "FAILED");
			continue;
		}
		printf("%-8d %9.2f %11ld %11.0f %7.2f\n", t[k].threads,
		       t[k].seconds, t[k].calls, t[k].calls_per_s,
		       t[0].ok ? t[k].calls_per_s / t[0].calls_per_s : 0);
		if (csv)
			fprintf(csv, "throughput,%d client threads,%.0f,calls/s,\n",
				t[k].threads, t[k].calls_per_s);
	}
}

static void print_create(const struct create_cost *c, FILE *csv)
{
	printf("\ndoor_create + fattach, %d times, unpinned\n"
	       "%-28s %10s %10s\n", c->n, "step", "median_us", "p99_us");
	if (!c->ok) {
		printf("%-28s %10s\n", "all", "FAILED");
		return;
	}
	const struct {
		const char *name;
		const struct step_cost *cost;
	} steps[] = { { "door_create", &c->create },
		      { "creat+close (placeholder)", &c->placeholder },
		      { "fattach", &c->attach },
		      { "all three", &c->total } };
	for (size_t k = 0; k < sizeof(steps) / sizeof(steps[0]); k++) {
		printf("%-28s %10.2f %10.2f\n", steps[k].name,
		       steps[k].cost->median_us, steps[k].cost->p99_us);
		if (csv)
			fprintf(csv, "create,%s median,%.3f,us,\n"
				"create,%s p99,%.3f,us,\n", steps[k].name,
				steps[k].cost->median_us, steps[k].name,
				steps[k].cost->p99_us);
	}
}

static void print_ls(const struct ls_cost *l, FILE *csv)
{
	printf("\nls -l of a directory of %d doors (median of %d runs)\n",
	       l->doors, l->runs);
	if (!l->ok) {
		printf("FAILED\n");
		return;
	}
	printf("%-40s %10.1f ms\n%-40s %10.1f ms\n%-40s %10.2f\n"
	       "%-40s %10.2f s\n", "doorfs, live doors", l->doorfs_ms,
	       "tmpfs, as many empty files", l->tmpfs_ms, "doorfs / tmpfs",
	       l->tmpfs_ms > 0 ? l->doorfs_ms / l->tmpfs_ms : 0,
	       "making and naming the doors took", l->setup_s);
	if (csv)
		fprintf(csv, "ls,%d doors on doorfs,%.3f,ms,\n"
			"ls,%d files on tmpfs,%.3f,ms,\n"
			"ls,door_create + fattach of %d doors,%.3f,s,\n",
			l->doors, l->doorfs_ms, l->doors, l->tmpfs_ms,
			l->doors, l->setup_s);
}

int main(int argc, char *argv[])
{
	if (parse_options(&opts, argc, argv) < 0) {
		usage(stderr);
		return 2;
	}
	const struct options *o = &opts;
	FILE *csv = NULL, *summary = NULL;
	if (o->csv && !(csv = fopen(o->csv, "w"))) {
		fprintf(stderr, "doorbench: %s: %s\n", o->csv, strerror(errno));
		return 1;
	}
	if (o->summary_csv && !(summary = fopen(o->summary_csv, "w"))) {
		fprintf(stderr, "doorbench: %s: %s\n", o->summary_csv,
			strerror(errno));
		return 1;
	}
	if (summary)
		fprintf(summary, "kind,name,value,unit,verdict\n");
	servers_cleanup_on_exit();
	setvbuf(stdout, NULL, _IOLBF, 0);

	int failed = 0;
	for (int p = 0; p < o->n_pinnings; p++) {
		int pinned = o->pinnings[p];
		if ((pinned ? pin_to_cpu0() : unpin()) < 0) {
			perror("doorbench: sched_setaffinity");
			return 1;
		}
		for (int s = 0; s < o->n_sizes; s++) {
			int n = iterations_for(o, o->sizes[s]);
			int warmup = n / 10 < 5 ? 5 : n / 10;
			for (int k = 0; k < o->n_methods; k++) {
				int m = o->methods[k];
				fprintf(stderr, "doorbench: %s, %zu B, %s, "
					"%d round trips\n",
					all_methods[m]->name, o->sizes[s],
					pinned ? "pinned" : "unpinned", n);
				results[pinned][s][m] = measure_method(
					all_methods[m], o->sizes[s], pinned, n,
					warmup);
				failed |= !results[pinned][s][m].ok &&
					  !results[pinned][s][m].not_applicable;
			}
		}
	}
	unpin();
	print_table(o, csv);

	struct throughput tp[2] = { { .threads = 1 }, { .threads = 2 } };
	if (o->experiments & EXP_THROUGHPUT) {
		double seconds = (o->quick ? QUICK_THROUGHPUT_MS
				  : THROUGHPUT_MS) / 1e3;
		for (int k = 0; k < 2; k++) {
			fprintf(stderr, "doorbench: throughput, %d client "
				"threads\n", k + 1);
			tp[k] = measure_throughput(k + 1, seconds);
			failed |= !tp[k].ok;
		}
		print_throughput(tp, summary);
	}
	if (o->experiments & EXP_CREATE) {
		fprintf(stderr, "doorbench: door_create + fattach\n");
		struct create_cost c = measure_create_fattach(
			o->quick ? QUICK_CREATE_ROUNDS : CREATE_ROUNDS);
		failed |= !c.ok;
		print_create(&c, summary);
	}
	if (o->experiments & EXP_LS) {
		fprintf(stderr, "doorbench: ls -l of %d doors\n", o->ls_doors);
		struct ls_cost l = measure_ls(o->ls_doors,
					      o->quick ? QUICK_LS_RUNS : LS_RUNS);
		failed |= !l.ok;
		print_ls(&l, summary);
	}
	print_targets(lookup_result,
		      o->experiments & EXP_THROUGHPUT ? &tp[0] : NULL,
		      o->experiments & EXP_THROUGHPUT ? &tp[1] : NULL, summary);

	if (csv && fclose(csv) != 0) {
		fprintf(stderr, "doorbench: %s: %s\n", o->csv, strerror(errno));
		return 1;
	}
	if (summary && fclose(summary) != 0) {
		fprintf(stderr, "doorbench: %s: %s\n", o->summary_csv,
			strerror(errno));
		return 1;
	}
	return failed ? 1 : 0;
}
