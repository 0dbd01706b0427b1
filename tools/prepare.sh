# prepare.sh: what demo.sh, bench.sh and test.sh do before their work,
# kept in one place.  Sourced (POSIX sh), from the top of the tree:
#
#   . tools/prepare.sh
#   prepare_packages NAME     install the Debian packages that are missing
#   prepare_fuse NAME         check that /dev/fuse is there and usable
#   prepare_build NAME        configure (once) and make in build/
#
# NAME is the caller's, for its messages.  Each function prints why and
# returns non-zero when it cannot do its part.

# Everything any of the three needs: the build, the tests, the demo's
# getfattr, and the benchmark's D-Bus and gnuplot.
PREPARE_PACKAGES="build-essential autoconf automake libtool pkg-config
libfuse3-dev fuse3 libglib2.0-dev check python3 attr util-linux procps
libsystemd-dev dbus-daemon gnuplot-nox"

prepare_packages() {
	if ! command -v dpkg-query >/dev/null 2>&1; then
		echo "$1: not Debian (no dpkg-query); assuming these are installed:" \
			$PREPARE_PACKAGES >&2
		return 0
	fi
	_missing=
	for _pkg in $PREPARE_PACKAGES; do
		# shellcheck disable=SC2016 # ${Status} is dpkg-query's
		_status=$(dpkg-query -W -f='${Status}' "$_pkg" 2>/dev/null) ||
			_status=
		[ "$_status" = "install ok installed" ] ||
			_missing="$_missing $_pkg"
	done
	[ -n "$_missing" ] || return 0
	if [ "$(id -u)" -ne 0 ]; then
		echo "$1: missing Debian packages:$_missing" >&2
		echo "$1: run this as root, or first: sudo apt-get install --no-install-recommends$_missing" >&2
		return 1
	fi
	echo "==> $1: installing the missing Debian packages:$_missing"
	DEBIAN_FRONTEND=noninteractive
	export DEBIAN_FRONTEND
	# $_missing is a list of package names: split on purpose.
	# shellcheck disable=SC2086
	if ! timeout 300 apt-get update ||
	   ! timeout 600 apt-get install -y --no-install-recommends $_missing; then
		echo "$1: installing packages failed" >&2
		return 1
	fi
}

prepare_fuse() {
	if [ ! -c /dev/fuse ]; then
		echo "$1: /dev/fuse is missing: load the fuse module (modprobe fuse), or give the container --device /dev/fuse --cap-add SYS_ADMIN" >&2
		return 1
	fi
	# Debian makes /dev/fuse 0666; some VMs and containers keep it root's.
	if [ "$(id -u)" -ne 0 ] && { [ ! -r /dev/fuse ] || [ ! -w /dev/fuse ]; }; then
		echo "$1: /dev/fuse is not open to you ($(stat -c %A /dev/fuse)): run as root, or chmod 0666 /dev/fuse as Debian has it" >&2
		return 1
	fi
}

# Out of tree in build/; an existing configuration is reused, so a second
# run only rebuilds what changed.  Logs go to build/NAME-*.log.
prepare_build() {
	if [ -f config.status ]; then
		echo "$1: the source tree is configured in place, which stops out-of-tree builds; run 'make distclean' here first" >&2
		return 1
	fi
	mkdir -p build
	if [ ! -x configure ]; then
		echo "==> $1: generating ./configure (autoreconf -fi; log in build/$1-autoreconf.log)"
		autoreconf -fi >"build/$1-autoreconf.log" 2>&1 || {
			tail -n 20 "build/$1-autoreconf.log" >&2
			echo "$1: autoreconf failed; see build/$1-autoreconf.log" >&2
			return 1
		}
	fi
	if [ ! -f build/Makefile ]; then
		echo "==> $1: configuring in build/ (log in build/$1-configure.log)"
		(cd build && ../configure) >"build/$1-configure.log" 2>&1 || {
			tail -n 20 "build/$1-configure.log" >&2
			echo "$1: configure failed; see build/$1-configure.log" >&2
			return 1
		}
	fi
	echo "==> $1: building in build/ (the first time takes a minute; log in build/$1-make.log)"
	make -C build -j2 >"build/$1-make.log" 2>&1 || {
		tail -n 30 "build/$1-make.log" >&2
		echo "$1: the build failed; see build/$1-make.log" >&2
		return 1
	}
}
