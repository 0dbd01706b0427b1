#!/bin/sh
# server.sh: serve a door from a plain POSIX shell, with no library and no
# helper process.
#
#     server.sh DOORPATH
#
# Answers each call with a greeting for the first line of its arguments.
# The whole server side of docs/PROTOCOL.md is here: opening a missing name
# on doorfs read-write creates a door and makes the descriptor its server
# end; read() on it waits for a call and returns the arguments; one write()
# of the result completes the call.  Stop it with Ctrl-C or kill: the
# kernel closes fd 3 as the shell exits, and that revokes the door.
#
# Limits that come from the shell, not from doorfs: only the first line of
# the arguments is used (bash's read may consume more than it returns, so
# later lines are unreliable), cut to MAX_NAME characters, because the
# reply must leave in a single write() and dash's printf writes a long %s
# argument separately from the text before it.

prog=server.sh

# Ten ?s match any ten characters; MAX_NAME is the length of $max_pattern.
MAX_NAME=100
q='??????????'
max_pattern=$q$q$q$q$q$q$q$q$q$q

fail() {
	echo "$prog: $door: $1" >&2
	exit 1
}

if [ $# -ne 1 ] || [ -z "$1" ]; then
	echo "usage: $prog DOORPATH" >&2
	exit 1
fi
door=$1

# <> on an existing name would open it, not create a door.
[ ! -e "$door" ] || fail "exists already (remove a revoked door with rm)"
command exec 3<>"$door" || exit 1

# A server end holding no call refuses writes (EINVAL); an ordinary file
# takes them.  Without this check a name outside doorfs would read as
# endless empty calls.  (If another process created the name first, we
# hold a client descriptor and the x is the start of a call's arguments;
# a door's size stays 0, so only a file of ours is removed.)
if printf x >&3 2>/dev/null; then
	exec 3>&-
	[ ! -s "$door" ] || rm -f "$door"
	fail "is not a new door (not on a doorfs mount?)"
fi

echo "$prog: serving $door as pid $$" >&2
while :; do
	# Blocks until a call arrives.  No arguments, a call ending without a
	# newline, and a failed read all leave read's status nonzero; a failed
	# read then shows up as a failed write below.
	line=
	IFS= read -r line <&3
	if [ ${#line} -gt $MAX_NAME ]; then
		# shellcheck disable=SC2295 # the pattern is meant as one
		rest=${line#$max_pattern}
		line=${line%"$rest"}...
	fi
	# Logged first, so it appears before the caller prints the reply.
	echo "$prog: greeting '${line:-stranger}'" >&2
	if ! printf 'hello, %s! (from the sh server, pid %s)\n' \
		"${line:-stranger}" "$$" >&3 2>/dev/null; then
		fail "could not answer a call; stopping"
	fi
done
