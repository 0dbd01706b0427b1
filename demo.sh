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

PACKAGES="build-essential autoconf automake libtool pkg-config libfuse3-dev
fuse3 libglib2.0-dev libsystemd-dev check python3 attr"

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
# Packages, only if something is missing.

command -v dpkg-query >/dev/null ||
	die "this demo expects Debian 12 (dpkg-query not found); install the equivalents of: $(echo "$PACKAGES" | tr '\n' ' ')"
missing=
for pkg in $PACKAGES; do
	# shellcheck disable=SC2016 # ${Status} is dpkg-query's, not ours
	if ! dpkg-query -W -f '${Status}' "$pkg" 2>/dev/null |
		grep -q 'install ok installed'; then
		missing="$missing $pkg"
	fi
done
if [ -n "$missing" ]; then
	[ "$(id -u)" -eq 0 ] ||
		die "missing Debian packages:$missing
Run this demo as root to install them, or install them first:
    sudo apt-get install --no-install-recommends$missing"
	say "Installing the missing Debian packages:$missing"
	run apt-get update
	DEBIAN_FRONTEND=noninteractive
	export DEBIAN_FRONTEND
	# shellcheck disable=SC2086 # one word per package
	run apt-get install -y --no-install-recommends $missing
fi

[ -c /dev/fuse ] ||
	die "/dev/fuse is missing: load the fuse module (modprobe fuse), or give the container --device /dev/fuse --cap-add SYS_ADMIN"
# Debian makes /dev/fuse 0666; some VMs and containers keep it root's.
[ "$(id -u)" -eq 0 ] || { [ -r /dev/fuse ] && [ -w /dev/fuse ]; } ||
	die "/dev/fuse is not open to you ($(stat -c %A /dev/fuse)): run as root, or chmod 0666 /dev/fuse as Debian has it"

# ---------------------------------------------------------------------------
# Build out of tree in build/; an existing configuration is reused.

[ ! -f config.status ] ||
	die "the source tree is configured in place, which stops out-of-tree builds; run 'make distclean' here first"
mkdir -p build
if [ ! -x configure ]; then
	say "Generating ./configure (autoreconf -fi; output in build/demo-autoreconf.log)"
	autoreconf -fi >build/demo-autoreconf.log 2>&1 || {
		tail -n 20 build/demo-autoreconf.log >&2
		die "autoreconf failed; see build/demo-autoreconf.log"
	}
fi
if [ ! -f build/Makefile ]; then
	say "Configuring in build/ (output in build/demo-configure.log)"
	(cd build && ../configure) >build/demo-configure.log 2>&1 || {
		tail -n 20 build/demo-configure.log >&2
		die "configure failed; see build/demo-configure.log"
	}
fi
say "Building in build/ (the first time takes a minute; output in build/demo-make.log)"
make -C build -j2 >build/demo-make.log 2>&1 || {
	tail -n 30 build/demo-make.log >&2
	die "the build failed; see build/demo-make.log"
}
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
i=0
until [ -e "$door" ]; do
	kill -0 "$server_pid" 2>/dev/null || die "the Python server exited"
	[ $i -lt 100 ] || die "the Python server did not create $door"
	sleep 0.1
	i=$((i + 1))
done
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
i=0
until [ -e "$mnt/hello" ]; do
	kill -0 "$sh_server_pid" 2>/dev/null || die "the sh server exited"
	[ $i -lt 100 ] || die "the sh server did not create $mnt/hello"
	sleep 0.1
	i=$((i + 1))
done
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
