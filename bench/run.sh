#!/bin/sh
# run.sh: run doorbench against a doorfs mounted for this run only, and
# keep its table, CSVs and plot.
#
#   bench/run.sh [--out DIR] [doorbench options...]
#
# Mounts doorfsd ($DOORFSD, else ../build/fs/doorfsd beside this script) on
# a fresh temporary directory, runs doorbench ($DOORBENCH, else
# ../build/bench/doorbench) with DOORFS pointing there, and unmounts and
# removes the directory however the run ends.  DIR (default
# build/bench-results) receives table.txt (what was printed), latency.csv,
# summary.csv (experiments and targets) and latency.png (gnuplot, when it
# is installed).
set -eu

here=$(cd "$(dirname "$0")" && pwd)
doorfsd=${DOORFSD:-$here/../build/fs/doorfsd}
doorbench=${DOORBENCH:-$here/../build/bench/doorbench}
out=$(dirname "$here")/build/bench-results
if [ "${1:-}" = --out ]; then
	[ $# -ge 2 ] || { echo "run.sh: --out needs a directory" >&2; exit 2; }
	out=$2
	shift 2
fi
for arg in "$@"; do
	case $arg in
	--csv | --csv=* | --summary-csv | --summary-csv=*)
		echo "run.sh: it writes the CSVs to --out DIR itself" >&2
		exit 2 ;;
	esac
done
mkdir -p "$out"
for program in "$doorfsd" "$doorbench"; do
	if [ ! -x "$program" ]; then
		echo "run.sh: $program not found: build the tree first" >&2
		exit 1
	fi
done

mnt=$(mktemp -d "${TMPDIR:-/tmp}/doorbench.XXXXXX")
daemon=
# Unmounting ends doorfsd; it runs in the foreground as our child so that
# we can wait for it and leave nothing behind.
cleanup() {
	status=$?
	trap - EXIT INT TERM HUP
	if grep -q " $mnt " /proc/mounts; then
		fusermount3 -u "$mnt" 2>/dev/null || fusermount3 -u -z "$mnt"
	fi
	if [ -n "$daemon" ]; then
		kill "$daemon" 2>/dev/null || true
		wait "$daemon" 2>/dev/null || true
	fi
	rmdir "$mnt" 2>/dev/null || true
	exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

# Its log (a line per revoked door, say) would drown the table.
"$doorfsd" -f "$mnt" 2>"$out/doorfsd.log" &
daemon=$!
tries=0
until grep -q " $mnt fuse.doorfs " /proc/mounts; do
	tries=$((tries + 1))
	if [ "$tries" -gt 50 ] || ! kill -0 "$daemon" 2>/dev/null; then
		echo "run.sh: doorfsd did not mount $mnt" >&2
		exit 1
	fi
	sleep 0.1
done

DOORFS=$mnt
# doorbench pins the daemon with itself for the pinned measurements.
DOORFSD_PID=$daemon
export DOORFS DOORFSD_PID
# doorbench's status, not tee's: a failed method must fail the run.
status=0
{ "$doorbench" --csv "$out/latency.csv" --summary-csv "$out/summary.csv" \
	"$@" || echo $? >"$out/.status"; } | tee "$out/table.txt"
if [ -f "$out/.status" ]; then
	status=$(cat "$out/.status")
	rm -f "$out/.status"
fi
if command -v gnuplot >/dev/null 2>&1; then
	gnuplot -e "csv='$out/latency.csv'; out='$out/latency.png'" \
		"$here/plot.gp" || status=1
else
	echo "run.sh: gnuplot is not installed (Debian: gnuplot-nox): no plot" >&2
fi
echo "run.sh: results in $out: table.txt latency.csv summary.csv latency.png doorfsd.log"
exit "$status"
