#!/bin/sh
# demo.sh: build doorfs and show a door at work, start to finish.
#
# Installs the Debian packages the build needs (as root, only those
# missing), builds out of tree in build/, mounts doorfsd on a fresh
# temporary directory, serves a door from Python and calls it from sh, C
# and Python, then revokes it and cleans up.  Whatever happens, including
# Ctrl-C, the trap below leaves no server, no mount and no directory.

set -eu

cd "$(dirname "$0")"

# The examples import doorfs.py; keep its bytecode out of the source tree.
PYTHONDONTWRITEBYTECODE=1
export PYTHONDONTWRITEBYTECODE

mnt=
server_pid=
sh_server_pid=

say() {
	printf '\n==> %s\n' "$*"
}

# Show a command as it would be typed, then run it.
run() {
	printf '$ %s\n' "$*"
	"$@"
}

die() {
	echo "demo.sh: $*" >&2
	exit 1
}

is_mounted() {
	awk -v m="$1" '$5 == m { found = 1 } END { exit !found }' \
		/proc/self/mountinfo
}

# Wait up to 10 s for server PID ($1) to create its door ($2); $3 names it.
await_door() {
	i=0
	until [ -e "$2" ]; do
		kill -0 "$1" 2>/dev/null || die "$3 exited"
		[ $i -lt 100 ] || die "$3 did not create $2"
		sleep 0.1
		i=$((i + 1))
	done
}

# SIGTERM, then SIGKILL if the process has not gone within 5 seconds; a
# server must never outlive the demo.
stop_process() {
	[ -n "$1" ] || return 0
	kill "$1" 2>/dev/null || return 0
	i=0
	while kill -0 "$1" 2>/dev/null && [ $i -lt 50 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	kill -KILL "$1" 2>/dev/null || true
	wait "$1" 2>/dev/null || true
}

cleanup() {
	status=$?
	set +e
	trap - EXIT INT TERM
	stop_process "$server_pid"
	stop_process "$sh_server_pid"
	if [ -n "$mnt" ]; then
		if is_mounted "$mnt"; then
			fusermount3 -u "$mnt" 2>/dev/null ||
				{ sleep 1; fusermount3 -u "$mnt"; } ||
				fusermount3 -uz "$mnt"
		fi
		rmdir "$mnt" || echo "demo.sh: could not remove $mnt" >&2
	fi
	if [ "$status" -ne 0 ] && [ -n "$mnt" ]; then
		echo "demo.sh: stopped (status $status); everything it started is cleaned up" >&2
	fi
	exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ---------------------------------------------------------------------------
# Packages (only those missing), /dev/fuse, and a build in build/.

. tools/prepare.sh
prepare_packages demo.sh || exit 1
prepare_fuse demo.sh || exit 1
prepare_build demo.sh || exit 1
doorfsd=build/fs/doorfsd
door_client=build/examples/c/door-client
for built in "$doorfsd" "$door_client"; do
	[ -x "$built" ] || die "the build did not produce $built"
done

# ---------------------------------------------------------------------------
# The demo proper.

# Resolved as /proc/self/mountinfo will name it, so is_mounted finds it.
tmpdir=$(cd "${TMPDIR:-/tmp}" && pwd -P)
mnt=$(mktemp -d "$tmpdir/doorfs-demo.XXXXXX")
door=$mnt/upper

say "Mounting a door filesystem on $mnt (doorfsd returns once it is mounted)"
run "$doorfsd" "$mnt"
is_mounted "$mnt" || die "doorfsd returned, but $mnt is not mounted"

say "Starting a door server written in Python, with two threads.
    It creates the door $door and answers each call with its
    arguments in capitals; it logs each call to stderr."
printf '$ python3 %s %s --threads 2 --mode 0666 &\n' \
	examples/python/server.py "$door"
python3 examples/python/server.py "$door" --threads 2 --mode 0666 &
server_pid=$!
await_door "$server_pid" "$door" "the Python server"
sleep 0.2 # let its greeting reach the terminal before the next step

say "A door is a file: it has an owner, a mode and a name."
run ls -l "$mnt"

say "What doorfs knows about it is readable as extended attributes."
run getfattr --absolute-names -d "$door"

say "Calling it from the shell (open read-write, write the arguments, read the result):"
run sh examples/sh/client.sh "$door" hello from sh

say "Calling it from C, with only open, write, read and close:"
run "$door_client" "$door" hello from C
echo "and the arguments can come from stdin:"
printf '$ echo hello via stdin | %s %s\n' "$door_client" "$door"
echo hello via stdin | "$door_client" "$door"

say "Calling it from Python, with plain file operations:"
run python3 examples/python/client.py "$door" hello from Python

say "Calling it from Python with one ioctl (DOORFS_IOC_CALL):"
run python3 examples/python/client.py --ioctl "$door" hello via ioctl

say "door_info through an ioctl: who serves the door and how many calls it answered."
run python3 examples/python/client.py --info "$door"

say "A shell can serve a door too (examples/sh/server.sh), with no library at all."
printf '$ sh examples/sh/server.sh %s &\n' "$mnt/hello"
sh examples/sh/server.sh "$mnt/hello" &
sh_server_pid=$!
await_door "$sh_server_pid" "$mnt/hello" "the sh server"
sleep 0.2
run sh examples/sh/client.sh "$mnt/hello" world
run python3 examples/python/client.py "$mnt/hello"
printf '$ kill %s\n' "$sh_server_pid"
stop_process "$sh_server_pid"
sh_server_pid=

say "Stopping the Python server. Its server ends close as it exits, and that revokes the door."
printf '$ kill %s\n' "$server_pid"
stop_process "$server_pid"
server_pid=

say "Calling a revoked door fails with EBADF; the name stays until someone removes it."
printf '$ %s %s anyone there?\n' "$door_client" "$door"
if "$door_client" "$door" anyone there?; then
	die "the call to a revoked door succeeded"
fi
run getfattr --absolute-names -n user.door.revoked "$door"
run rm "$door" "$mnt/hello"

say "Unmounting and removing $mnt."
run fusermount3 -u "$mnt"
run rmdir "$mnt"
mnt=

say "Done. Next: ./test.sh runs the test suite; README.md explains the rest."
