#!/bin/sh
# bench-quick.sh: the benchmark suite runs and produces a well-formed table.
#
# A very short run of bench/run.sh (doorbench --quick) on a mount of its
# own; then the CSV must have its header and one row per method, payload
# and pinning, each with a number in every timing column.  No timing is
# judged: benchmarks are not tests.
set -u
: "${DOORFSD:?DOORFSD names the daemon}"
: "${TOP_SRCDIR:?}" "${TOP_BUILDDIR:?}"

if [ "$(id -u)" != 0 ] || [ ! -w /dev/fuse ]; then
	echo "needs root and /dev/fuse: skipped"
	exit 77
fi

doorbench=$TOP_BUILDDIR/bench/doorbench
# Every method doorbench lists in --help runs; counting them here keeps
# this test right as methods are added.
methods=$("$doorbench" --help | sed -n '/^methods:/,$p' | grep -c '^  ')
if [ "$methods" -lt 1 ]; then
	echo "doorbench --help lists no methods"
	exit 1
fi

csv=$(mktemp /tmp/doorbench-quick.XXXXXX.csv) || exit 1
trap 'rm -f "$csv"' EXIT

DOORBENCH="$doorbench" timeout 120 \
	sh "$TOP_SRCDIR/bench/run.sh" --quick --csv "$csv" || {
	echo "bench/run.sh --quick failed"
	exit 1
}

# Every method x 5 payloads x (unpinned, pinned), after a header.
expected=$((methods * 5 * 2))
rows=$(tail -n +2 "$csv" | wc -l)
if [ "$rows" -ne "$expected" ]; then
	echo "expected $expected rows in the CSV ($methods methods), got $rows"
	exit 1
fi
# iterations, median_us and p99_us are numbers; every method says ok.
bad=$(tail -n +2 "$csv" | awk -F, '
	$NF != "ok" { print; next }
	{ for (i = 4; i <= 6; i++) if ($i !~ /^[0-9]+(\.[0-9]+)?$/) { print; next } }')
if [ -n "$bad" ]; then
	echo "rows that failed or lack numbers:"
	echo "$bad"
	exit 1
fi
echo "the benchmark table is well formed ($rows rows)"
