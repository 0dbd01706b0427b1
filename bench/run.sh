#!/bin/sh
# run.sh: run doorbench against a doorfs mounted for this run only.
#
#   bench/run.sh [doorbench options...]     e.g. bench/run.sh --csv out.csv
#
# Mounts doorfsd ($DOORFSD, else ../build/fs/doorfsd beside this script) on
# a fresh temporary directory, runs doorbench ($DOORBENCH, else
# ../build/bench/doorbench) with DOORFS pointing there, and unmounts and
# removes the directory however the run ends.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
doorfsd=${DOORFSD:-$here/../build/fs/doorfsd}
doorbench=${DOORBENCH:-$here/../build/bench/doorbench}
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

"$doorfsd" -f "$mnt" &
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
export DOORFS
"$doorbench" "$@"
