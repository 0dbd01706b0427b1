#!/bin/sh
# test.sh: build doorfs from scratch and run every test, twice.
#
# On Debian 12 (as root it installs what is missing), this generates the
# build system, builds out of tree in build/ and runs `make check`, then
# does the same with --enable-sanitizers in build-asan/.  The source tree
# gets only the files autoreconf generates (all in .gitignore).  It ends
# with a summary whose last line is exactly "N passed, M failed", and exits
# non-zero if a build or a test failed or no test ran at all.  CI runs it
# through .ci/run.
#
# Environment: TEST_SH_BUDGET, the seconds allowed for both builds and both
# test runs together (default 480); each step is killed when it runs out.

set -u

cd "$(dirname "$0")" || exit 1
top=$(pwd)

packages="build-essential autoconf automake libtool pkg-config libfuse3-dev
fuse3 libglib2.0-dev libsystemd-dev dbus-daemon check python3 attr util-linux
procps"

# The two build trees, plain and with --enable-sanitizers.
plain_dir="build"
asan_dir="build-asan"

failed_steps=""
total_passed=0
total_failed=0
summary=""

note() {
	printf '==> %s\n' "$*"
}

# A failed step counts as one failed test too, so the last line never
# reads "0 failed" after a broken build or a `make check` that was killed.
step_failed() {
	printf '==> FAILED: %s\n' "$*" >&2
	failed_steps="$failed_steps
  $*"
	total_failed=$((total_failed + 1))
}

# --- Debian packages --------------------------------------------------

install_packages() {
	if ! command -v dpkg-query >/dev/null 2>&1; then
		note "no dpkg-query: not Debian, assuming the dependencies are installed"
		return 0
	fi
	missing=""
	for pkg in $packages; do
		status=$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null) || status=""
		[ "$status" = "install ok installed" ] || missing="$missing $pkg"
	done
	[ -n "$missing" ] || return 0

	if [ "$(id -u)" -ne 0 ]; then
		echo "test.sh: missing Debian packages:$missing" >&2
		echo "test.sh: install them as root (apt-get install$missing) or run this as root" >&2
		exit 1
	fi
	note "installing:$missing"
	export DEBIAN_FRONTEND=noninteractive
	# $missing is a list of package names: split it on purpose.
	# shellcheck disable=SC2086
	if ! timeout 300 apt-get update ||
	   ! timeout 600 apt-get install -y --no-install-recommends $missing; then
		echo "test.sh: installing packages failed" >&2
		exit 1
	fi
}

# --- Time -------------------------------------------------------------

# Seconds left of the budget (at least 1, so timeout still runs and fails
# the step at once when it is spent).
time_left() {
	left=$((deadline - $(date +%s)))
	[ "$left" -ge 1 ] || left=1
	echo "$left"
}

bounded() {
	timeout -k 10 "$(time_left)" "$@"
}

# --- Leftovers: mounts and daemons the tests did not clean up -----------
#
# Only what this run started is touched: other doorfs mounts and daemons
# on the machine (a developer's, another run's) are left alone.

doorfs_mounts() {
	findmnt -rn -t fuse.doorfs -o TARGET 2>/dev/null || true
}

# Process ids of doorfsd programs run from this run's build trees (the
# program itself, or libtool's lt-doorfsd behind a wrapper script).
build_daemons() {
	for exe in /proc/[0-9]*/exe; do
		path=$(readlink "$exe" 2>/dev/null) || continue
		path=${path% (deleted)}
		case "$path" in
		"$top/$plain_dir"/*/doorfsd | "$top/$plain_dir"/*/lt-doorfsd) ;;
		"$top/$asan_dir"/*/doorfsd | "$top/$asan_dir"/*/lt-doorfsd) ;;
		*) continue ;;
		esac
		pid=${exe#/proc/}
		echo "${pid%/exe}"
	done
}

# The arguments of a process that could be its mount point, as absolute
# paths (relative ones taken from its working directory).  Nothing here
# may stat them: a stat on a hung FUSE mount would hang this script.
daemon_paths() {
	cwd=$(readlink "/proc/$1/cwd" 2>/dev/null) || cwd=/
	tr '\0' '\n' 2>/dev/null <"/proc/$1/cmdline" | while IFS= read -r arg; do
		case "$arg" in
		-*) ;;
		/*) echo "${arg%/}" ;;
		*) echo "${cwd%/}/${arg%/}" ;;
		esac
	done
}

# Lazily unmount the fuse.doorfs mounts of this run: those under its build
# trees, and those whose mount point one of its daemons was given.
unmount_leftovers() {
	ours=""
	for pid in $(build_daemons); do
		ours="$ours
$(daemon_paths "$pid")"
	done
	doorfs_mounts | while IFS= read -r mnt; do
		case "$mnt" in
		"$top/$plain_dir"/* | "$top/$asan_dir"/*) ;;
		*) printf '%s\n' "$ours" | grep -Fqx -- "$mnt" || continue ;;
		esac
		echo "test.sh: unmounting leftover doorfs mount $mnt" >&2
		fusermount3 -u -z "$mnt" 2>/dev/null || umount -l "$mnt" 2>/dev/null || true
	done
}

kill_leftovers() {
	pids=$(build_daemons)
	[ -n "$pids" ] || return 0
	echo "test.sh: stopping leftover doorfsd: $(echo "$pids" | tr '\n' ' ')" >&2
	# shellcheck disable=SC2086
	kill $pids 2>/dev/null
	for _ in 1 2 3 4 5; do
		pids=$(build_daemons)
		[ -n "$pids" ] || return 0
		sleep 1
	done
	# shellcheck disable=SC2086
	kill -KILL $pids 2>/dev/null
}

# Unmounting first lets a daemon exit by itself; a mount whose daemon had
# to be killed is left dead, and the second pass removes it if it is under
# a build tree.
clean_leftovers() {
	unmount_leftovers
	kill_leftovers
	unmount_leftovers
}

# New fuse.doorfs mounts under /tmp that are still there: this run's or a
# concurrent one's, which cannot be told apart once the daemon is gone.
report_tmp_mounts() {
	doorfs_mounts | while IFS= read -r mnt; do
		case "$mnt" in
		/tmp/*) ;;
		*) continue ;;
		esac
		printf '%s\n' "$mounts_before" | grep -Fqx -- "$mnt" && continue
		echo "test.sh: warning: doorfs mount $mnt appeared during the run; not unmounting what may not be ours" >&2
	done
}

# --- Results ----------------------------------------------------------

# The result automake's test driver recorded for a test (PASS, FAIL, ...).
trs_result() {
	sed -n 's/^:test-result: *//p' "$1" | head -n 1
}

# Failing tests' logs, the last lines of each, after a failed `make check`.
show_failed_logs() {
	find "$1" -name '*.trs' | sort | while IFS= read -r trs; do
		case $(trs_result "$trs") in
		PASS | SKIP | XFAIL) continue ;;
		esac
		log=${trs%.trs}.log
		echo
		echo "==================== ${log#"$top"/} (last 300 lines)"
		tail -n 300 "$log" 2>/dev/null || echo "(no log)"
	done
}

# Counts one build tree's results into the totals and the summary:
# a Check suite by its "NN%: Checks: X, Failures: F, Errors: E" line, a
# runner by its "N passed, M failed" line, anything else as one test.
# A suite that failed without counting a failure (crashed after its
# summary, leaked under LeakSanitizer, timed out) counts one failure more.
count_results() {
	tree=$1
	label=$2
	ran=0
	while IFS= read -r trs; do
		[ -n "$trs" ] || continue
		log=${trs%.trs}.log
		result=$(trs_result "$trs")
		[ "$result" = SKIP ] && continue
		ran=1
		passed=0
		failed=0
		check_line=$(grep -E '^[0-9]+%: Checks: [0-9]+, Failures: [0-9]+, Errors: [0-9]+' "$log" 2>/dev/null | tail -n 1)
		runner_line=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$log" 2>/dev/null | tail -n 1)
		if [ -n "$check_line" ]; then
			read -r checks failures errors <<-EOF
			$(printf '%s\n' "$check_line" | sed -E 's/^[0-9]+%: Checks: ([0-9]+), Failures: ([0-9]+), Errors: ([0-9]+).*/\1 \2 \3/')
			EOF
			passed=$((checks - failures - errors))
			failed=$((failures + errors))
		elif [ -n "$runner_line" ]; then
			read -r passed failed <<-EOF
			$(printf '%s\n' "$runner_line" | sed -E 's/^([0-9]+) passed, ([0-9]+) failed$/\1 \2/')
			EOF
		elif [ "$result" = PASS ]; then
			passed=1
		fi
		case "$result" in
		PASS | XFAIL) ;;
		*) [ "$failed" -gt 0 ] || failed=1 ;;
		esac
		total_passed=$((total_passed + passed))
		total_failed=$((total_failed + failed))
		name=${trs#"$tree"/}
		summary="$summary
$(printf '  %-10s %-30s %4d passed, %d failed (%s)' "$label" "${name%.trs}" "$passed" "$failed" "${result:-no result}")"
	done <<-EOF
	$(find "$tree/tests" -name '*.trs' 2>/dev/null | sort)
	EOF
	if [ "$ran" -eq 0 ]; then
		step_failed "$label: no tests ran"
		add_summary "$label" "no tests ran"
	fi
}

add_summary() {
	summary="$summary
$(printf '  %-10s %s' "$1" "$2")"
}

# --- One build --------------------------------------------------------

# build_and_check DIR [configure options...]
build_and_check() {
	build=$1
	shift
	note "$build: configure $*"
	if ! mkdir -p "$top/$build" ||
	   ! (cd "$top/$build" && bounded "$top/configure" "$@"); then
		step_failed "$build: configure (see $build/config.log)"
		add_summary "$build" "configure failed, no tests ran"
		return
	fi
	note "$build: make"
	if ! bounded make -C "$top/$build" -j2; then
		step_failed "$build: make"
		add_summary "$build" "build failed, no tests ran"
		return
	fi
	note "$build: make check"
	failed_before=$total_failed
	check_ok=1
	if ! bounded make -C "$top/$build" -j2 check; then
		check_ok=0
		show_failed_logs "$top/$build"
	fi
	clean_leftovers
	report_tmp_mounts
	count_results "$top/$build" "$build"
	# Failed without a failed test to show for it: a check program did not
	# build, or the run timed out before its tests finished.
	if [ "$check_ok" -eq 0 ] && [ "$total_failed" -eq "$failed_before" ]; then
		step_failed "$build: make check"
	elif [ "$check_ok" -eq 0 ]; then
		failed_steps="$failed_steps
  $build: make check"
	fi
}

# --- Main -------------------------------------------------------------

install_packages

if [ -f "$top/config.status" ]; then
	echo "test.sh: the source tree is configured in place; run 'make distclean' there first" >&2
	exit 1
fi

[ -c /dev/fuse ] || note "warning: /dev/fuse is missing, the integration tests cannot mount"

deadline=$(($(date +%s) + ${TEST_SH_BUDGET:-480}))
mounts_before=$(doorfs_mounts)
clean_leftovers
rm -rf "${top:?}/$plain_dir" "${top:?}/$asan_dir"

note "autoreconf -fi"
if bounded autoreconf -fi; then
	build_and_check "$plain_dir"
	export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
	export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
	build_and_check "$asan_dir" --enable-sanitizers
else
	step_failed "autoreconf -fi"
fi

echo
echo "==================== summary"
[ -z "$summary" ] || printf '%s\n' "$summary" | sed '1d'
if [ -n "$failed_steps" ]; then
	printf 'failed steps:%s\n' "$failed_steps"
fi
echo "$total_passed passed, $total_failed failed"

[ -z "$failed_steps" ] && [ "$total_failed" -eq 0 ] && [ "$total_passed" -gt 0 ]
