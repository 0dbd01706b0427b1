#!/bin/sh
# run-libdoor-examples.sh: the classic illumos door programs in
# examples/libdoor, built unchanged against libdoor, run against a real
# doorfs mount by examples/libdoor/run-all.sh.  Mounts in a temporary
# directory and removes it, and every process it started, on any exit.
set -u
: "${DOORFSD:?DOORFSD names the daemon}"
: "${TOP_SRCDIR:?}" "${TOP_BUILDDIR:?}"

if [ "$(id -u)" != 0 ] || [ ! -w /dev/fuse ]; then
	echo "needs root and /dev/fuse: skipped"
	exit 77
fi

mnt=$(mktemp -d /tmp/doorfs-examples.XXXXXX) || exit 1
chmod 0755 "$mnt"
daemon=
cleanup() {
	fusermount3 -u -z "$mnt" 2>/dev/null
	[ -n "$daemon" ] && kill "$daemon" 2>/dev/null && wait "$daemon" 2>/dev/null
	rmdir "$mnt" 2>/dev/null
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

"$DOORFSD" -f "$mnt" &
daemon=$!
tries=0
until grep -q " $mnt fuse.doorfs " /proc/mounts; do
	tries=$((tries + 1))
	if [ "$tries" -gt 100 ]; then
		echo "doorfsd did not mount $mnt"
		exit 1
	fi
	sleep 0.05
done

timeout 120 sh "$TOP_SRCDIR/examples/libdoor/run-all.sh" \
	"$TOP_BUILDDIR/examples/libdoor" "$mnt"
