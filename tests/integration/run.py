#!/usr/bin/env python3
"""Run the doorfs integration tests against real doorfsd mounts.

    python3 tests/integration/run.py [SUBSTRING...]

runs every test in tests/integration/test_*.py (or those whose id contains
one of the SUBSTRINGs).  Needs root and /dev/fuse.  The environment names
the binaries under test; `make check` sets it, and by hand the defaults
find them in $TOP_SRCDIR/build:
  DOORFSD           the daemon                (build/fs/doorfsd)
  DOOR_CLIENT_C     the C client example      (its test is skipped if absent)
  DOORFS_CONSTANTS  prints doorfs.h constants (compiled from the header
                    if absent)
  TOP_SRCDIR, TOP_BUILDDIR
  DOORFS_IT_RUN_BOUND  seconds for the whole run (240)

Prints one line per test, then the failures' tracebacks, and last
`N passed, M failed` (`, K skipped` if any).  Exit status 0 only if
nothing failed and something passed; 77 (automake's SKIP) without root or
/dev/fuse.

Two processes: this one supervises, a second one (run.py --runner) runs
the tests.  Each test is bounded inside the runner (harness.Watchdog);
the supervisor bounds the whole run from outside, so even a runner that
cannot run Python any more (a thread stuck holding the GIL in a request
its daemon never answers) is killed, its daemons and helpers with it,
and its mounts removed.
"""
import ctypes
import glob
import importlib
import os
import queue
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
import traceback
import unittest

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import harness  # noqa: E402

RUN_BOUND = int(os.environ.get("DOORFS_IT_RUN_BOUND", 240))  # seconds


class LineResult(unittest.TestResult):
    """One line per test as it finishes; failure reports kept for the end."""

    def __init__(self):
        super().__init__()
        self.passed = self.failed = self.skipped = 0
        self.reports = []
        self.current = None
        self._state = None
        self._started = None

    def startTest(self, test):
        super().startTest(test)
        self.current = test
        self._state = "ok"
        self._started = time.monotonic()

    def stopTest(self, test):
        super().stopTest(test)
        self._print_line(test.id(), self._state,
                         time.monotonic() - self._started)
        self.current = None

    def _print_line(self, name, state, seconds=None):
        if state == "ok":
            self.passed += 1
        elif state.startswith("skip"):
            self.skipped += 1
        else:
            self.failed += 1
        took = "" if seconds is None else " (%.2fs)" % seconds
        print("%s ... %s%s" % (name, state, took), flush=True)

    def _record(self, test, err):
        text = self._exc_info_to_string(err, test)
        diagnose = getattr(test, "diagnostics", None)
        if diagnose is not None:
            try:
                text += diagnose()
            except Exception as e:      # diagnostics must not hide the failure
                text += "(diagnostics failed: %r)" % e
        self.reports.append((test.id(), text))

    def _fail(self, test, err):
        self._record(test, err)
        if self.current is None:
            # A class or module fixture failed outside any test.
            self._print_line(test.id(), "FAIL")
        else:
            self._state = "FAIL"

    def addFailure(self, test, err):
        super().addFailure(test, err)
        self._fail(test, err)

    def addError(self, test, err):
        super().addError(test, err)
        self._fail(test, err)

    def addSubTest(self, test, subtest, err):
        super().addSubTest(test, subtest, err)
        if err is not None:
            self._record(subtest, err)
            self._state = "FAIL"

    def addSkip(self, test, reason):
        super().addSkip(test, reason)
        self._state = "skip (%s)" % reason

    def addUnexpectedSuccess(self, test):
        super().addUnexpectedSuccess(test)
        self._state = "FAIL"
        self.reports.append((test.id(), "unexpected success\n"))

    def abort(self, reason):
        """The run is being cut short: the running test fails."""
        if self.current is not None:
            self.reports.append((self.current.id(), reason + "\n"))
            self._print_line(self.current.id(), "FAIL")
            self.current = None
        else:
            self.reports.append(("run", reason + "\n"))
            self.failed += 1

    def finish(self):
        for name, text in self.reports:
            print("=" * 70)
            print("FAIL: %s" % name)
            print("-" * 70)
            print(text.rstrip())
        summary = "%d passed, %d failed" % (self.passed, self.failed)
        if self.skipped:
            summary += ", %d skipped" % self.skipped
        print(summary, flush=True)
        return 0 if self.failed == 0 and self.passed > 0 else 1


def load(patterns):
    loader = unittest.TestLoader()
    tests = []
    for path in sorted(glob.glob(os.path.join(HERE, "test_*.py"))):
        name = os.path.basename(path)[:-3]
        try:
            module = importlib.import_module(name)
        except Exception:
            tests.append(_import_failure(name, traceback.format_exc()))
            continue
        for case in _flatten(loader.loadTestsFromModule(module)):
            if not patterns or any(p in case.id() for p in patterns):
                tests.append(case)
    return unittest.TestSuite(tests)


def _import_failure(name, text):
    """A test that fails with the traceback of a module that won't load."""
    def fail():
        raise ImportError("cannot load %s:\n%s" % (name, text))
    fail.__name__ = name + ".import"
    return unittest.FunctionTestCase(fail)


def _flatten(suite):
    for item in suite:
        if isinstance(item, unittest.TestSuite):
            yield from _flatten(item)
        else:
            yield item


def runner(patterns):
    """Run the tests in this process; the supervisor bounds it."""
    result = LineResult()

    def on_abort(reason):
        result.abort(reason)
        result.finish()
        sys.stdout.flush()

    harness.install_cleanup(on_abort)
    harness.WATCHDOG.start()
    print("doorfsd: %s" % harness.DOORFSD, flush=True)
    try:
        load(patterns).run(result)
    finally:
        harness.cleanup_all()
    return result.finish()


# ---------------------------------------------------------------------------
# The supervisor.

RESULT_LINE = re.compile(r" \.\.\. (ok|FAIL|skip)")
SUMMARY_LINE = re.compile(r"^(\d+) passed, (\d+) failed(, (\d+) skipped)?$")


SKIP_STATUS = 77    # what automake's test driver counts as SKIP


def supervise(patterns):
    missing = ("root (for mounts and a second user)" if os.geteuid() != 0
               else "/dev/fuse" if not os.path.exists("/dev/fuse") else None)
    if missing:
        print("skipping the integration tests: they need %s" % missing)
        print("0 passed, 0 failed, 1 skipped")
        return SKIP_STATUS
    become_subreaper()
    run_dir = os.path.realpath(tempfile.mkdtemp(prefix="doorfs-it-"))
    os.chmod(run_dir, 0o755)
    env = dict(os.environ, DOORFS_IT_RUN_DIR=run_dir,
               PYTHONDONTWRITEBYTECODE="1")
    proc = subprocess.Popen([sys.executable, os.path.abspath(__file__),
                             "--runner"] + patterns, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)

    # Ctrl-C reaches the runner too (same process group): let it report.
    # A SIGTERM or SIGHUP meant for the run is passed on to it.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    for signum in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, lambda n, f: proc.send_signal(n))

    lines = queue.Queue()

    def read():
        for raw in proc.stdout:
            lines.put(raw.decode("utf-8", "replace").rstrip("\n"))
        lines.put(None)

    threading.Thread(target=read, daemon=True).start()
    counts = {"ok": 0, "FAIL": 0, "skip": 0}
    summary = None      # the runner's, printed last whatever follows it
    deadline = time.monotonic() + RUN_BOUND
    while True:
        try:
            line = lines.get(timeout=max(0.0, deadline - time.monotonic()))
        except queue.Empty:
            reason = "the whole run exceeded its bound of %ds" % RUN_BOUND
            break
        if line is None:
            try:
                status = proc.wait(max(1.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                reason = "the runner closed its output but did not exit"
                break
            if summary is not None:
                reap_orphans()
                remove_run_dir(run_dir)
                print(summary, flush=True)
                return status
            reason = "the runner ended (status %s) without a summary" % status
            break
        if SUMMARY_LINE.match(line):
            summary = line
            continue
        print(line, flush=True)
        match = RESULT_LINE.search(line)
        if match:
            counts[match.group(1)] += 1
    print("ABORT: %s; killing it and everything it started" % reason,
          flush=True)
    emergency_stop(proc, run_dir)
    summary = "%d passed, %d failed" % (counts["ok"], counts["FAIL"] + 1)
    if counts["skip"]:
        summary += ", %d skipped" % counts["skip"]
    print(summary, flush=True)
    return 1


def emergency_stop(proc, run_dir):
    """Kill the runner, its helpers and daemons; remove its mounts."""
    # Helpers and daemons lead their own process groups; those orphaned
    # by a runner that already died were handed to us (a subreaper).
    for pid in child_pids(proc.pid) + child_pids(os.getpid()):
        if pid != proc.pid:
            harness._killpg(pid)
    for point, fstype, _ in harness.mounts():
        if point.startswith(run_dir + "/"):
            daemon = harness.find_daemon(point)
            if daemon is not None:
                os.kill(daemon, signal.SIGKILL)
    proc.kill()
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        print("ABORT: the runner (pid %d) does not die" % proc.pid)
    for point, fstype, _ in harness.mounts():
        if point.startswith(run_dir + "/"):
            subprocess.run(["fusermount3", "-u", "-z", point], timeout=10)
    reap_orphans()
    remove_run_dir(run_dir)


def become_subreaper():
    """Have orphaned descendants (helpers of a runner that died, daemons
    that daemonized) reparented to this process instead of init, so they
    can still be found and killed, and are reaped here."""
    libc = ctypes.CDLL(None, use_errno=True)
    PR_SET_CHILD_SUBREAPER = 36
    libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)


def reap_orphans(timeout=5):
    """Collect orphans handed to us; SIGKILL any still running after
    timeout, and give up on them after as long again."""
    deadline = time.monotonic() + timeout
    killed = False
    while True:
        left = []
        for pid in child_pids(os.getpid()):
            try:
                if os.waitpid(pid, os.WNOHANG)[0] != pid:
                    left.append(pid)
            except ChildProcessError:
                pass
        if not left:
            return
        if time.monotonic() > deadline:
            if killed:
                sys.stderr.write("orphans will not die: %s\n" % left)
                return
            for pid in left:    # our children: their pids are not reused
                harness._killpg(pid)
                os.kill(pid, signal.SIGKILL)
            killed = True
            deadline = time.monotonic() + timeout
        time.sleep(0.05)


def child_pids(parent):
    children = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open("/proc/%s/stat" % entry) as f:
                    fields = f.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == parent:
                children.append(int(entry))
    return children


def remove_run_dir(path):
    """Remove the run directory unless something is still mounted in it."""
    if os.path.isdir(path):
        harness.remove_tree_unless_mounted(path, "run.py")


def main():
    args = sys.argv[1:]
    if args[:1] == ["--runner"]:
        return runner(args[1:])
    return supervise(args)


if __name__ == "__main__":
    sys.exit(main())
