#!/bin/sh
# run-all.sh: run each libdoor example once, server and client, against a
# doorfs mount, and check what they print.
#
#     run-all.sh BINDIR DOORDIR
#
# BINDIR holds the built examples (build/examples/libdoor); DOORDIR is a
# directory on a mounted doorfs.  It becomes $DOORFS, which is how libdoor
# finds the mount, and the doors are attached in a fresh subdirectory of
# it.  Each check prints PASS, FAIL or SKIP and a description; the last
# line is "N passed, M failed", and the exit status is 0 only if nothing
# failed (2 on a usage error).
#
# Every client runs under timeout, and so does every server, in case this
# script is killed outright; on any other exit, Ctrl-C or a closed output
# included, the trap below stops the servers and removes what the run
# created.
#
# Environment: RUN_ALL_CLIENT_TIMEOUT, the seconds each client may take
# (default 10); RUN_ALL_SERVER_TIMEOUT, the seconds a server may live
# (default 120).  Run as root, it also calls cred_server as nobody (with
# setpriv) to see the door refuse a stranger.

set -u

prog=run-all.sh
client_limit=${RUN_ALL_CLIENT_TIMEOUT:-10}
server_limit=${RUN_ALL_SERVER_TIMEOUT:-120}
programs="square_server square_client fd_server fd_client cred_server
text_client private_pool_server"

if [ $# -ne 2 ] || [ -z "$1" ] || [ -z "$2" ]; then
	echo "usage: $prog BINDIR DOORDIR" >&2
	echo "Runs the libdoor examples in BINDIR against the doorfs directory DOORDIR." >&2
	exit 2
fi
bindir=$1
DOORFS=$2
export DOORFS

for p in $programs; do
	if [ ! -x "$bindir/$p" ]; then
		echo "$prog: $bindir/$p: no such program (build the examples first)" >&2
		exit 2
	fi
done
if [ ! -d "$DOORFS" ]; then
	echo "$prog: $DOORFS: not a directory" >&2
	exit 2
fi

passed=0
failed=0
work=			# logs and the files fd_server hands out
doors=			# the doors' directory on the mount
servers=		# "timeout-pid:server-pid" of each server still running

cleanup() {
	status=$?
	set +e
	trap - EXIT INT TERM HUP
	trap '' PIPE		# a closed stdout must not stop the cleanup
	for s in $servers; do
		stop_process "${s%%:*}" "${s#*:}"
	done
	if [ -n "$doors" ]; then
		# Servers stopped by SIGKILL leave their names behind.
		rm -f "$doors"/* 2>/dev/null
		rmdir "$doors" || echo "$prog: could not remove $doors" >&2
	fi
	[ -z "$work" ] || rm -rf "$work"
	exit "$status"
}
trap cleanup EXIT
trap 'exit 129' HUP
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 141' PIPE

work=$(mktemp -d) || exit 1
doors=$DOORFS/run-all.$$
if ! mkdir -m 755 "$doors"; then
	doors=
	exit 1
fi
out=$work/client.out
err=$work/client.err

pass() {
	passed=$((passed + 1))
	echo "PASS: $*"
}

# Reports a failure, with the last client's output when there is one.
fail() {
	failed=$((failed + 1))
	echo "FAIL: $*"
	for f in "$out" "$err"; do
		[ -s "$f" ] && sed 's/^/    | /' "$f"
	done
}

skip() {
	echo "SKIP: $*"
}

# nobody_can_reach PROGRAM DOOR: nobody may run PROGRAM and open DOOR.
nobody_can_reach() {
	# shellcheck disable=SC2016 # expanded by the inner sh
	setpriv --reuid=65534 --regid=65534 --clear-groups \
		sh -c 'test -x "$1" && test -r "$2"' sh "$1" "$2" 2>/dev/null
}

# nobody_copy PROGRAM: for a build in a private directory (a clone in a
# 0700 mktemp -d, say), a copy of PROGRAM and the libdoor it loads where
# nobody may run them; prints the copy's path.  The copy finds libdoor
# through LD_LIBRARY_PATH, which its caller sets to the copy's directory.
nobody_copy() {
	lib=$(ldd "$1" | awk '$1 ~ /^libdoor\.so/ { print $3 }')
	chmod 711 "$work" &&
		mkdir -m 755 "$work/nobody" &&
		cp "$1" "$work/nobody/" &&
		{ [ -z "$lib" ] || cp "$lib" "$work/nobody/"; } &&
		chmod -R a+rX "$work/nobody" &&
		echo "$work/nobody/$(basename "$1")"
}

# stop_process TIMEOUT_PID [SERVER_PID]: SIGTERM through timeout, which
# passes it on; SIGKILL to both if the server has not gone in 5 seconds.
# Sets stop_status to the server's exit status (137 after SIGKILL).
stop_process() {
	kill "$1" 2>/dev/null
	i=0
	while kill -0 "$1" 2>/dev/null && [ $i -lt 50 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	if kill -0 "$1" 2>/dev/null; then
		[ -z "${2:-}" ] || kill -KILL "$2" 2>/dev/null
		kill -KILL "$1" 2>/dev/null
	fi
	wait "$1" 2>/dev/null
	stop_status=$?
}

# forget_server: take $server off the list the trap stops.
forget_server() {
	new=
	for s in $servers; do
		[ "$s" = "$server" ] || new="$new $s"
	done
	servers=$new
}

# start_server NAME ARGS...: start BINDIR/NAME and wait until it says it
# is serving.  Sets server to its "timeout-pid:server-pid", which is on
# the trap's list from the moment it starts.
start_server() {
	name=$1
	shift
	: >"$work/$name.out"
	timeout -k 5 "$server_limit" "$bindir/$name" "$@" \
		>"$work/$name.out" 2>"$work/$name.err" &
	server=$!:
	servers="$servers $server"
	i=0
	until grep -q ': serving ' "$work/$name.out"; do
		if ! kill -0 "${server%%:*}" 2>/dev/null || [ $i -ge 100 ]; then
			stop_process "${server%%:*}"
			forget_server
			: >"$out"
			cp "$work/$name.err" "$err"
			fail "$name starts serving"
			return 1
		fi
		sleep 0.1
		i=$((i + 1))
	done
	# Its own pid, for SIGKILL should it ignore SIGTERM.
	forget_server
	server=$server$(sed -n 's/.*pid \([0-9][0-9]*\)).*/\1/p' "$work/$name.out")
	servers="$servers $server"
	pass "$name starts serving"
}

# stop_server NAME: SIGTERM; the server must detach its name and exit 0.
stop_server() {
	name=$1
	stop_process "${server%%:*}" "${server#*:}"
	forget_server
	cp "$work/$name.out" "$out"
	cp "$work/$name.err" "$err"
	if [ "$stop_status" -eq 0 ] && grep -q ', detached ' "$out"; then
		pass "$name stops cleanly on SIGTERM"
	else
		fail "$name stops cleanly on SIGTERM (exit status $stop_status)"
	fi
}

# run_client PROGRAM ARGS...: run BINDIR/PROGRAM under timeout.  Its
# output lands in $out and $err, its exit status in $status.
run_client() {
	name=$1
	shift
	timeout -k 2 "$client_limit" "$bindir/$name" "$@" >"$out" 2>"$err"
	status=$?
}

# expect DESCRIPTION STATUS FILE REGEX: the last client exited with
# STATUS, and a line of FILE ($out or $err) matches the extended REGEX.
expect() {
	if [ "$status" -eq "$2" ] && grep -Eq -- "$4" "$3"; then
		pass "$1"
	else
		fail "$1 (exit status $status)"
	fi
}

# --- square_server, square_client --------------------------------------

door=$doors/square
if start_server square_server "$door"; then
	run_client square_client "$door" 12
	expect "square_client: 12 squared" 0 "$out" '^12 squared is 144$'
	run_client square_client "$door" -3
	expect "square_client: a negative number" 0 "$out" '^-3 squared is 9$'
	run_client square_client "$door" 4000000000
	expect "square_server refuses an overflowing square" 1 "$err" 'refused'
	stop_server square_server
	if [ ! -e "$door" ]; then
		pass "square_server removes its name"
	else
		fail "square_server removes its name"
	fi
	run_client square_client "$door" 12
	expect "square_client fails once the server is gone" 1 "$err" \
		'square_client: '
fi

# --- fd_server, fd_client ----------------------------------------------

door=$doors/fd
mkdir "$work/shelf"
printf 'hello through a passed descriptor\n' >"$work/shelf/hello.txt"
if start_server fd_server "$door" "$work/shelf"; then
	run_client fd_client "$door" hello.txt
	if [ "$status" -eq 0 ] && cmp -s "$out" "$work/shelf/hello.txt"; then
		pass "fd_client reads the file through the passed descriptor"
	else
		fail "fd_client reads the file through the passed descriptor (exit status $status)"
	fi
	run_client fd_client "$door" ../client.out
	expect "fd_server refuses a name with a '/'" 1 "$err" \
		'the server refused: not a plain file name'
	run_client fd_client "$door" missing.txt
	expect "fd_server reports a missing file" 1 "$err" \
		'missing.txt: No such file'
	stop_server fd_server
fi

# --- cred_server, text_client ------------------------------------------

door=$doors/cred
if start_server cred_server "$door"; then
	# The client's pid, to compare with what door_ucred reported.
	timeout -k 2 "$client_limit" sh -c 'echo "$$"; exec "$@"' sh \
		"$bindir/text_client" "$door" >"$out" 2>"$err"
	status=$?
	pid=$(sed -n 1p "$out")
	expect "cred_server allows its own euid, and sees the caller's pid" 0 \
		"$out" "^allowed: euid $(id -u) egid $(id -g) pid $pid\$"

	client=
	if [ "$(id -u)" -ne 0 ]; then
		skip "cred_server refuses another user (needs root)"
	elif ! command -v setpriv >/dev/null 2>&1; then
		skip "cred_server refuses another user (needs setpriv)"
	elif nobody_can_reach "$bindir/text_client" "$door"; then
		client=$bindir/text_client
	elif ! client=$(nobody_copy "$bindir/text_client") ||
		! nobody_can_reach "$client" "$door"; then
		client=
		skip "cred_server refuses another user (nobody cannot reach $bindir or $door)"
	fi
	if [ -n "$client" ]; then
		LD_LIBRARY_PATH=$(dirname "$client") timeout -k 2 \
			"$client_limit" setpriv --reuid=65534 --regid=65534 \
			--clear-groups "$client" "$door" >"$out" 2>"$err"
		status=$?
		expect "cred_server refuses another user" 0 "$out" \
			'^refused: euid 65534 is neither 0 nor root$'
	fi
	stop_server cred_server
fi

# --- private_pool_server, text_client ----------------------------------

door=$doors/pool
if start_server private_pool_server "$door"; then
	cp "$work/private_pool_server.out" "$out"
	: >"$err"
	status=0
	expect "private_pool_server's door is DOOR_PRIVATE" 0 "$out" \
		'private pool of up to'

	run_client text_client "$door"
	expect "private_pool_server answers a call" 0 "$out" \
		'^served by pool thread [1-9][0-9]* of [1-9][0-9]* \(door [0-9]+, held 0 ms\)$'

	# Three calls at once, each holding its thread for half a second:
	# the pool grows on depletion, so they cannot all get one thread.
	pool_call() {
		timeout -k 2 "$client_limit" "$bindir/text_client" "$door" 500 \
			>"$work/pool$1.out" 2>"$work/pool$1.err"
	}
	pool_call 1 & c1=$!
	pool_call 2 & c2=$!
	pool_call 3 & c3=$!
	wait "$c1"; s1=$?
	wait "$c2"; s2=$?
	wait "$c3"; s3=$?
	cat "$work/pool1.out" "$work/pool2.out" "$work/pool3.out" >"$out"
	cat "$work/pool1.err" "$work/pool2.err" "$work/pool3.err" >"$err"
	threads=$(sed -n 's/^served by pool thread \([0-9]*\) .*held 500 ms)$/\1/p' "$out" |
		sort -u | wc -l)
	if [ $s1 -eq 0 ] && [ $s2 -eq 0 ] && [ $s3 -eq 0 ] &&
	   [ "$(grep -c 'held 500 ms' "$out")" -eq 3 ] && [ "$threads" -ge 2 ]; then
		pass "private_pool_server serves 3 overlapping calls on $threads threads"
	else
		fail "private_pool_server serves 3 overlapping calls on more than one thread"
	fi

	run_client text_client "$door" soon
	expect "private_pool_server refuses a bad argument" 0 "$out" '^refused: '
	stop_server private_pool_server
fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
