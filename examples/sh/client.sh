#!/bin/sh
# client.sh: call a door from a plain POSIX shell.
#
#     client.sh DOORPATH [ARGS...]
#
# For a caller the whole door protocol is three redirections (see
# docs/PROTOCOL.md):
#
#     exec 3<>"$door"; printf '%s' "$*" >&3; cat <&3; exec 3>&-
#
# open the door read-write, write the arguments, and the first read
# performs the call and returns the result.  The rest of this file turns
# failures into one clear line.

prog=client.sh

# The tools' error messages are matched below, so keep them untranslated.
LC_ALL=C
export LC_ALL

fail() {
	echo "$prog: $door: $1" >&2
	exit 1
}

# What an errno means on a door (docs/PROTOCOL.md, "Errors").
explain() {
	case $1 in
	*"Bad file descriptor"*) hint="the door's server is gone" ;;
	*"Interrupted system call"*)
		hint="the server went away during the call, or a signal arrived" ;;
	*"Permission denied"*) hint="the door's mode does not let you call it" ;;
	*"Argument list too long"*)
		hint="arguments or result larger than doorfs accepts" ;;
	*"Transport endpoint is not connected"* | *"connection abort"*)
		hint="the doorfs daemon is gone" ;;
	*) hint= ;;
	esac
	# Keep the tool's errno text, drop its "cat: -: " prefix.
	msg=${1##*: }
	echo "$msg${hint:+ ($hint)}"
}

if [ $# -lt 1 ] || [ -z "$1" ]; then
	echo "usage: $prog DOORPATH [ARGS...]" >&2
	exit 1
fi
door=$1
shift

# On doorfs, <> on a missing name creates it and registers a new door with
# this shell as its server: a typo would serve a door instead of calling
# one.  So check the name before opening it.
if [ ! -e "$door" ]; then
	# ls says why (a missing name, or a doorfs whose daemon is gone).
	err=$(ls -d -- "$door" 2>&1 >/dev/null)
	fail "$(explain "${err:-No such file or directory}")"
fi
[ ! -d "$door" ] || fail "Is a directory"
{ [ -r "$door" ] && [ -w "$door" ]; } || fail "$(explain "Permission denied")"
command exec 3<>"$door" || exit 1

# fd 4 carries output past the command substitutions, which capture only
# error messages.
exec 4>&1

# A pipe into cat rather than printf straight to the door, because cat
# reports the errno of a failed write() and dash's printf does not.  With
# no ARGS nothing is written, and the read below makes an empty call.
if ! err=$(printf '%s' "$*" | cat 2>&1 >&3); then
	fail "$(explain "${err:-write error}")"
fi
if ! err=$(cat <&3 2>&1 >&4); then
	fail "$(explain "${err:-read error}")"
fi
exec 3>&- 4>&-
