#!/bin/sh
# bench-quick.sh: the benchmark suite runs and produces a well-formed table.
#
# A very short run of bench/run.sh (doorbench --quick) on a mount of its
# own; then the latency CSV must have its header and one row per method,
# payload and pinning, each with a number in every timing column (or "n/a"
# where the payload is over what the method carries); the experiments and
# every target must be in the summary CSV, and the plot must exist.  No
# timing is judged: benchmarks are not tests.
set -u
: "${DOORFSD:?DOORFSD names the daemon}"
: "${TOP_SRCDIR:?}" "${TOP_BUILDDIR:?}"

if [ "$(id -u)" != 0 ] || [ ! -w /dev/fuse ]; then
	echo "needs root and /dev/fuse: skipped"
	exit 77
fi

out=$(mktemp -d /tmp/doorbench-quick.XXXXXX) || exit 1
trap 'rm -rf "$out"' EXIT
csv=$out/latency.csv

DOORBENCH="$TOP_BUILDDIR/bench/doorbench" timeout 180 \
	sh "$TOP_SRCDIR/bench/run.sh" --out "$out" --quick || {
	echo "bench/run.sh --quick failed"
	exit 1
}

# Every method doorbench lists (in --help, indented under "methods:") x
# 5 payloads x (unpinned, pinned), after a header.
methods=$("$TOP_BUILDDIR/bench/doorbench" --help |
	awk '/^methods:/ { listing = 1; next } listing && /^  [^ ]/' | wc -l)
expected=$((methods * 5 * 2))
rows=$(tail -n +2 "$csv" | wc -l)
if [ "$methods" -eq 0 ] || [ "$rows" -ne "$expected" ]; then
	echo "expected $expected rows in the CSV ($methods methods), got $rows"
	exit 1
fi
# iterations, median_us and p99_us are numbers where the method ran; a
# payload over a method's limit says n/a (and has no numbers); none failed.
bad=$(tail -n +2 "$csv" | awk -F, '
	$NF == "n/a" { next }
	$NF != "ok" { print; next }
	{ for (i = 4; i <= 6; i++) if ($i !~ /^[0-9]+(\.[0-9]+)?$/) { print; next } }')
if [ -n "$bad" ]; then
	echo "rows that failed or lack numbers:"
	echo "$bad"
	exit 1
fi
# Two throughput rows, the create steps, the ls rows, and a verdict for
# each target (measured in a quick run, so "met" or "MISSED", never n/a).
summary=$out/summary.csv
for kind in throughput create ls; do
	grep -q "^$kind," "$summary" || {
		echo "no $kind rows in the summary CSV"
		exit 1
	}
done
unjudged=$(awk -F, '$1 == "target" && $NF != "met" && $NF != "MISSED"' "$summary")
targets=$(grep -c '^target,' "$summary")
if [ "$targets" -lt 10 ] || [ -n "$unjudged" ]; then
	echo "targets: $targets in the summary, some not judged:"
	echo "$unjudged"
	exit 1
fi
if [ ! -s "$out/latency.png" ]; then
	echo "no plot (latency.png)"
	exit 1
fi
echo "the benchmark table is well formed ($rows rows, $targets targets)"
