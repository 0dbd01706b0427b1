#!/bin/sh
# bench.sh: build doorfs and run the whole benchmark suite, in one command.
#
#   ./bench.sh [--out DIR] [doorbench options...]
#
# Installs the Debian packages that are missing (as root), builds in
# build/, then runs bench/run.sh: a private doorfs mount, every method at
# every payload size unpinned and pinned to CPU 0, the experiments, and
# the targets of issue 4 judged on this run.  The table is printed; the
# table, CSVs and plot are kept in DIR (default build/bench-results).
# bench/README.md explains the options and the output.  A full run takes
# a few minutes; --quick takes seconds and checks only the output's shape.
set -eu

cd "$(dirname "$0")"
. tools/prepare.sh
prepare_packages bench.sh
prepare_fuse bench.sh
prepare_build bench.sh

DOORFSD=build/fs/doorfsd DOORBENCH=build/bench/doorbench \
	exec sh bench/run.sh "$@"
