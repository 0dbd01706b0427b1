"""harness.py: mounts, helper processes and time bounds for the doorfs
integration tests.

Everything a test starts is owned by a registry here and released even
when the test fails or the run is killed: helper processes run in their
own process groups and are killed by group; each mount's daemon is
stopped and its mount point lazily unmounted and removed.  A watchdog
thread bounds every test (SIGALRM into the test, then, if the test is
stuck in a FUSE request, killing its daemon, which fails every pending
request); run.py's supervisor process bounds the whole run.
"""
import atexit
import json
import os
import platform
import queue
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import unittest

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import fileplane  # noqa: E402
from fileplane import doorfs  # noqa: E402


# ---------------------------------------------------------------------------
# Configuration: `make check` sets these; the defaults let a developer run
# `python3 tests/integration/run.py` from a tree built into ./build.

def _absolute(path):
    return os.path.abspath(path) if path else None


def _first_existing(paths):
    for path in paths:
        if os.path.isfile(path) and os.access(path, os.X_OK):
            return path
    return None


TOP_SRCDIR = os.path.abspath(os.environ.get("TOP_SRCDIR")
                             or os.path.join(HERE, "..", ".."))
TOP_BUILDDIR = os.path.abspath(os.environ.get("TOP_BUILDDIR")
                               or os.path.join(TOP_SRCDIR, "build"))
DOORFSD = os.path.abspath(os.environ.get("DOORFSD")
                          or os.path.join(TOP_BUILDDIR, "fs", "doorfsd"))
DOOR_CLIENT_C = (_absolute(os.environ.get("DOOR_CLIENT_C"))
                 or _first_existing([
                     os.path.join(TOP_BUILDDIR, "examples", "c",
                                  "door-client"),
                     os.path.join(TOP_BUILDDIR, "examples", "door-client")]))
DOORFS_CONSTANTS = (_absolute(os.environ.get("DOORFS_CONSTANTS"))
                    or _first_existing([
                        os.path.join(TOP_BUILDDIR, "tests", "unit",
                                     "doorfs-constants"),
                        os.path.join(TOP_BUILDDIR, "tests",
                                     "doorfs-constants")]))

FSTYPE = "fuse.doorfs"
NOBODY = 65534            # uid and gid of the second user
PYTHON = sys.executable
SERVER_SCRIPT = os.path.join(HERE, "door_server.py")
CLIENT_SCRIPT = os.path.join(HERE, "door_client.py")

MOUNT_TIMEOUT = 10        # seconds for a daemon to show its mount
STEP_TIMEOUT = 5          # seconds for one expected event (a line, an exit)
ESCALATE_AFTER = 4        # seconds past a test's bound: kill its daemon


class TestTimeout(AssertionError):
    """A test overran its time bound."""


# ---------------------------------------------------------------------------
# The run directory, and the mounts in /proc/self/mountinfo.

_run_dir = None


def run_dir():
    """One private directory per run, traversable by the second user."""
    global _run_dir
    if _run_dir is None:
        _run_dir = os.environ.get("DOORFS_IT_RUN_DIR")  # from the supervisor
        if not _run_dir or not os.path.isdir(_run_dir):
            _run_dir = os.path.realpath(tempfile.mkdtemp(prefix="doorfs-it-"))
        os.chmod(_run_dir, 0o755)
    return _run_dir


def _unescape(field):
    return re.sub(r"\\([0-7]{3})", lambda m: chr(int(m.group(1), 8)), field)


def mounts():
    """(mount point, fstype, options) for every mount this process sees,
    in order; options joins the mount's and its superblock's."""
    found = []
    with open("/proc/self/mountinfo") as f:
        for line in f:
            left, _, right = line.rstrip("\n").partition(" - ")
            left, right = left.split(" "), right.split(" ")
            options = set(left[5].split(",")) | set(right[2].split(","))
            found.append((_unescape(left[4]), right[0], options))
    return found


def fstype_at(path):
    """The fstype mounted on path (the top one), or None."""
    types = [fstype for point, fstype, _ in mounts() if point == path]
    return types[-1] if types else None


def mount_options(path):
    """Mount and superblock options of the top mount on path, as a set."""
    found = [options for point, _, options in mounts() if point == path]
    return found[-1] if found else set()


def wait_until(predicate, timeout, what):
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("timed out after %gs waiting for %s"
                                 % (timeout, what))
        time.sleep(0.01)


# ---------------------------------------------------------------------------
# Where a thread is blocked: /proc/TID/syscall and /proc/TID/stack (root).

_SYSCALLS = {"x86_64": {"read": 0, "write": 1, "ioctl": 16},
             "aarch64": {"read": 63, "write": 64, "ioctl": 29}}.get(
                 platform.machine())


def in_fuse_syscall(tid, name):
    """True if thread tid is blocked in syscall `name` inside FUSE."""
    try:
        with open("/proc/%d/syscall" % tid) as f:
            if f.read().split(" ")[0] != str(_SYSCALLS[name]):
                return False
    except (FileNotFoundError, ProcessLookupError):
        return False
    try:
        with open("/proc/%d/stack" % tid) as f:
            return "fuse" in f.read()
    except OSError:
        return True     # no stack to read: trust the syscall number


def tasks(pid):
    try:
        return [int(t) for t in os.listdir("/proc/%d/task" % pid)]
    except FileNotFoundError:
        return []


def wait_blocked(tids, name="read", count=None, timeout=STEP_TIMEOUT):
    """Wait until `count` (default: all) of tids are blocked in a FUSE
    `name` syscall, e.g. door callers waiting for their result."""
    if _SYSCALLS is None:       # unknown architecture: give them time
        time.sleep(0.5)
        return
    tids = list(tids)
    want = len(tids) if count is None else count
    wait_until(lambda: sum(in_fuse_syscall(t, name) for t in tids) >= want,
               timeout, "%d thread(s) blocked in %s on the mount"
               % (want, name))


def wait_process_blocked(pid, name="read", count=1, timeout=STEP_TIMEOUT):
    """Wait until `count` threads of process pid block in FUSE `name`."""
    if _SYSCALLS is None:
        time.sleep(0.5)
        return
    wait_until(lambda: sum(in_fuse_syscall(t, name)
                           for t in tasks(pid)) >= count,
               timeout, "%d thread(s) of pid %d blocked in %s"
               % (count, pid, name))


# ---------------------------------------------------------------------------
# The registry of everything to release.

_children = []      # Child objects, alive or not yet reaped
_mounts = []        # Mount objects not yet stopped
_cleanup_lock = threading.Lock()


def close_quietly(fd):
    """close(2) for cleanups: the descriptor is gone even when close
    reports an error (ENOTCONN from FUSE's flush once a daemon died)."""
    try:
        os.close(fd)
    except OSError:
        pass


def _killpg(pid, sig=signal.SIGKILL):
    try:
        os.killpg(pid, sig)
    except (ProcessLookupError, PermissionError):
        pass


def cleanup_all():
    """Kill every helper process, stop every mount, remove the run dir.

    Safe to call twice and from any thread; callers stuck in FUSE requests
    only finish dying once their daemon is gone, so helpers are reaped
    after the mounts are stopped."""
    if not _cleanup_lock.acquire(blocking=False):
        return
    try:
        for child in list(_children):
            _killpg(child.pid)
        for mount in list(_mounts):
            mount.stop()
        for child in list(_children):
            child.reap(timeout=2)
        _remove_run_dir()
    finally:
        _cleanup_lock.release()


def remove_tree_unless_mounted(path, who):
    """Remove the tree at path unless a mount is still inside it.

    A busy tree is left, and who names the caller in the note on stderr;
    True when the tree is gone."""
    busy = [p for p, _, _ in mounts() if p.startswith(path + "/")]
    if busy:
        sys.stderr.write("%s: not removing %s, still mounted: %s\n"
                         % (who, path, ", ".join(busy)))
        return False
    for root, dirs, files in os.walk(path, topdown=False):
        for name in files:
            os.unlink(os.path.join(root, name))
        for name in dirs:
            os.rmdir(os.path.join(root, name))
    os.rmdir(path)
    return True


def _remove_run_dir():
    global _run_dir
    if _run_dir is not None and remove_tree_unless_mounted(_run_dir,
                                                           "harness"):
        _run_dir = None


def install_cleanup(on_abort):
    """Release everything at exit and on SIGTERM/SIGINT/SIGHUP.

    on_abort(reason) reports before the process exits with status 1."""
    atexit.register(cleanup_all)

    def handler(signum, frame):
        signal.signal(signum, signal.SIG_IGN)
        cleanup_all()
        on_abort("interrupted by %s" % signal.Signals(signum).name)
        os._exit(1)

    for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(signum, handler)
    signal.signal(signal.SIGALRM, WATCHDOG.on_alarm)


# ---------------------------------------------------------------------------
# Helper processes.

def _others_may(path, bit):
    """True if a user with no special relation to path's owners has
    `bit` (0o004 read, 0o001 execute) on the file, and may search every
    directory above it."""
    path = os.path.realpath(path)
    if not os.path.isfile(path) or not os.stat(path).st_mode & bit:
        return False
    parent = os.path.dirname(path)
    while True:
        if not os.stat(parent).st_mode & 0o001:
            return False
        if parent == "/":
            return True
        parent = os.path.dirname(parent)


def _others_may_run(path):
    return _others_may(path, 0o001)


# What door_client.py and door_server.py import, by path from the top of
# the source tree: a copy keeps the layout, so their imports still work.
_HELPER_FILES = ("tests/integration/door_client.py",
                 "tests/integration/door_server.py",
                 "tests/integration/fileplane.py",
                 "examples/python/doorfs.py")


def script_for(script, user):
    """A helper script the given user (None: ourselves) can run: the
    source tree's, or, when the checkout is private (a clone in a 0700
    directory, say), a copy in the run directory with what it imports."""
    name = os.path.relpath(os.path.realpath(script),
                           os.path.realpath(TOP_SRCDIR))
    if user is None or name not in _HELPER_FILES or \
            _others_may(script, 0o004):
        return script
    top = os.path.join(run_dir(), "helpers")
    for helper in _HELPER_FILES:
        copy = os.path.join(top, helper)
        if not os.path.exists(copy):
            os.makedirs(os.path.dirname(copy), mode=0o755, exist_ok=True)
            shutil.copyfile(os.path.join(TOP_SRCDIR, helper), copy)
            os.chmod(copy, 0o644)
    for parent, _, _ in os.walk(top):
        os.chmod(parent, 0o755)
    return os.path.join(top, name)


def python_for(user):
    """A Python interpreter the given user (None: ourselves) can run:
    ours, or the system's when ours lives somewhere private (/root)."""
    if user is None or _others_may_run(PYTHON):
        return PYTHON
    for candidate in ("/usr/bin/python3", "/usr/local/bin/python3"):
        if _others_may_run(candidate):
            return candidate
    raise AssertionError("no python3 that uid %d may run" % user)


class _Process:
    """A process the harness started, in a process group of its own; in
    the registry until reaped, so nothing outlives the run."""

    def __init__(self, proc):
        self.proc, self.pid = proc, proc.pid
        _children.append(self)

    def kill(self):
        """SIGKILL the whole group (a shell's children too)."""
        if self.proc.returncode is None:    # never a reaped, reused pid
            _killpg(self.pid)

    def reap(self, timeout):
        """Kill the group and collect the exit status; False if it lingers
        (a caller stuck in FUSE until its daemon goes)."""
        self.kill()
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            return False
        if self in _children:
            _children.remove(self)
        return True


def _credentials(user):
    return {} if user is None else dict(user=user, group=user,
                                        extra_groups=[])


class Child(_Process):
    """A helper a test started: stdout read line by line in the
    background, stderr kept in a file for diagnostics.  A PYTHON at the
    head of argv, and the script it runs, are replaced by ones `user` may
    run."""

    def __init__(self, argv, user=None):
        if argv[0] == PYTHON:
            argv = ([python_for(user), script_for(argv[1], user)] +
                    list(argv[2:]))
        self.argv = [str(a) for a in argv]
        fd, self.stderr_path = tempfile.mkstemp(prefix="stderr-",
                                                dir=run_dir())
        os.close(fd)
        with open(self.stderr_path, "wb") as stderr:
            super().__init__(subprocess.Popen(
                self.argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                stderr=stderr, start_new_session=True, cwd="/",
                env=dict(os.environ, PYTHONDONTWRITEBYTECODE="1"),
                **_credentials(user)))
        self._lines = queue.Queue()
        threading.Thread(target=self._read_lines, daemon=True).start()

    def _read_lines(self):
        for line in self.proc.stdout:
            self._lines.put(line.decode("utf-8", "replace").rstrip("\n"))
        self._lines.put(None)

    def name(self):
        program = self.argv[0]
        if os.path.basename(program).startswith("python"):
            program = self.argv[1]
        return "%s (pid %d)" % (os.path.basename(program), self.pid)

    def line(self, timeout=STEP_TIMEOUT):
        """The next line of output; fails the test if none comes in time."""
        try:
            line = self._lines.get(timeout=timeout)
        except queue.Empty:
            raise AssertionError("%s: no output within %gs; stderr: %s"
                                 % (self.name(), timeout, self.stderr()))
        if line is None:
            self._lines.put(None)
            raise AssertionError("%s: exited (status %s) before the expected "
                                 "output; stderr: %s" % (
                                     self.name(), self.proc.wait(),
                                     self.stderr()))
        return line

    def expect(self, word, timeout=STEP_TIMEOUT):
        """The next line, which must start with word; returns its words."""
        line = self.line(timeout)
        words = line.split(" ")
        if words[0] != word:
            raise AssertionError("%s: expected %r, got %r"
                                 % (self.name(), word, line))
        return words

    def send(self, text="go"):
        self.proc.stdin.write(text.encode() + b"\n")
        self.proc.stdin.flush()

    def signal(self, signum):
        if self.proc.returncode is None:
            os.kill(self.pid, signum)

    def wait(self, timeout=STEP_TIMEOUT):
        """Exit status; fails the test if the process does not exit."""
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            raise AssertionError("%s still running after %gs"
                                 % (self.name(), timeout))

    def reap(self, timeout):
        reaped = super().reap(timeout)
        if reaped:
            self.proc.stdin.close()
        return reaped

    def stderr(self, limit=2000):
        try:
            with open(self.stderr_path, "rb") as f:
                text = f.read().decode("utf-8", "replace")
        except FileNotFoundError:
            return ""
        return text[-limit:]


def run(argv, timeout=STEP_TIMEOUT * 2, input=None, user=None):
    """Run a command to completion, bounded; a CompletedProcess."""
    argv = [str(a) for a in argv]
    process = _Process(subprocess.Popen(
        argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, start_new_session=True, cwd="/",
        **_credentials(user)))
    try:
        out, err = process.proc.communicate(input, timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.proc.communicate(timeout=STEP_TIMEOUT)
        raise AssertionError("%s did not finish within %gs" % (argv, timeout))
    finally:
        process.reap(STEP_TIMEOUT)
    return subprocess.CompletedProcess(argv, process.proc.returncode, out,
                                       err)


# ---------------------------------------------------------------------------
# Mounts.

def find_daemon(mount_point):
    """Pid of the doorfsd process serving mount_point (for a daemonized
    one, which is not our child), or None."""
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open("/proc/%s/cmdline" % entry, "rb") as f:
                argv = f.read().split(b"\0")[:-1]
        except OSError:
            continue
        if (argv and os.path.basename(argv[0]) == b"doorfsd"
                and os.fsencode(mount_point) in argv):
            return int(entry)
    return None


class Mount:
    """A doorfs mount in a private directory under the run dir."""

    def __init__(self, label):
        self.dir = tempfile.mkdtemp(prefix=label + "-", dir=run_dir())
        os.chmod(self.dir, 0o755)
        self.path = os.path.join(self.dir, "mnt")
        os.mkdir(self.path)
        os.chmod(self.path, 0o755)
        self.log_path = os.path.join(self.dir, "doorfsd.log")
        self.proc = None        # the daemon when we run it in the foreground
        self.pid = None         # the daemon's pid, foreground or not
        _mounts.append(self)

    def start(self, *options):
        """Run doorfsd -f in the background; return once mounted."""
        if not (os.path.isfile(DOORFSD) and os.access(DOORFSD, os.X_OK)):
            raise AssertionError("no doorfsd at %s (set DOORFSD or build it)"
                                 % DOORFSD)
        with open(self.log_path, "ab") as log:
            self.proc = subprocess.Popen(
                [DOORFSD, "-f"] + list(options) + [self.path],
                stdin=subprocess.DEVNULL, stdout=log, stderr=log,
                start_new_session=True)
        self.pid = self.proc.pid
        deadline = time.monotonic() + MOUNT_TIMEOUT
        while fstype_at(self.path) != FSTYPE:
            if self.proc.poll() is not None:
                raise AssertionError("doorfsd exited with status %d before "
                                     "mounting:\n%s" % (self.proc.returncode,
                                                        self.log_tail()))
            if time.monotonic() > deadline:
                raise AssertionError("doorfsd did not mount %s within %ds:\n%s"
                                     % (self.path, MOUNT_TIMEOUT,
                                        self.log_tail()))
            time.sleep(0.01)
        return self

    def daemon_running(self):
        """Is our doorfsd still running?  (Checked without ever signalling
        a reused pid: a foreground daemon is our unreaped child; a
        daemonized one must still have our mount point on its command
        line.)"""
        if self.proc is not None:
            return self.proc.poll() is None
        return self.pid is not None and find_daemon(self.path) == self.pid

    def alive(self):
        return self.daemon_running() and fstype_at(self.path) == FSTYPE

    def _signal_daemon(self, signum):
        if self.daemon_running():
            try:
                os.kill(self.pid, signum)
            except ProcessLookupError:
                pass

    def kill_daemon(self):
        """SIGKILL the daemon: every request pending on the mount fails."""
        self._signal_daemon(signal.SIGKILL)

    def stop(self):
        """Stop the daemon (SIGTERM, then SIGKILL), unmount, remove the
        mount point.  Leaves the log for diagnostics until the run ends."""
        if self.pid is None and fstype_at(self.path) is not None:
            self.pid = find_daemon(self.path)   # one that daemonized
        self._signal_daemon(signal.SIGTERM)
        try:
            wait_until(lambda: not self.daemon_running(), 3,
                       "doorfsd to exit")
        except AssertionError:
            self.kill_daemon()
        if fstype_at(self.path) is not None:
            subprocess.run(["fusermount3", "-u", "-z", self.path],
                           stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL, timeout=STEP_TIMEOUT)
        if self.proc is not None:
            try:
                self.proc.wait(STEP_TIMEOUT)
            except subprocess.TimeoutExpired:
                pass
        if fstype_at(self.path) is None and os.path.isdir(self.path):
            os.rmdir(self.path)
        if self in _mounts:
            _mounts.remove(self)

    def log_tail(self, lines=30):
        try:
            with open(self.log_path, "rb") as f:
                text = f.read().decode("utf-8", "replace")
        except FileNotFoundError:
            return "(no log)"
        return "\n".join(text.splitlines()[-lines:]) or "(log empty)"


# ---------------------------------------------------------------------------
# Time bounds.

class Watchdog:
    """Bounds each test from a thread of its own.

    A test past its bound gets SIGALRM, whose handler raises TestTimeout in
    the main thread.  A test blocked in a FUSE request that its daemon
    never answers cannot take the signal, so ESCALATE_AFTER seconds later
    the watchdog kills the test's helpers and its daemon, which fails every
    pending request.  (The whole run is bounded from outside, by run.py's
    supervisor process.)"""

    def __init__(self):
        self._lock = threading.Lock()
        self._test = None
        self._deadline = None
        self._bound = None
        self._alarmed = False
        self._escalated = False
        self._main = threading.main_thread().ident

    def start(self):
        threading.Thread(target=self._loop, name="watchdog",
                         daemon=True).start()

    def arm(self, test, seconds):
        with self._lock:
            self._test, self._bound = test, seconds
            self._deadline = time.monotonic() + seconds
            self._alarmed = self._escalated = False

    def disarm(self):
        with self._lock:
            self._test = None

    def on_alarm(self, signum, frame):
        # Raise only inside the test method: an exception thrown into
        # unittest's own code would escape it.  Elsewhere (set-up,
        # cleanups) only the escalation frees a stuck test.
        with self._lock:
            test, bound = self._test, self._bound
        if test is not None and test.in_test_method:
            raise TestTimeout("test exceeded its bound of %gs" % bound)

    def _loop(self):
        while True:
            time.sleep(0.1)
            with self._lock:
                test = self._test
                now = time.monotonic()
                if test is None or now < self._deadline:
                    continue
                if not self._alarmed:
                    self._alarmed = True
                    signal.pthread_kill(self._main, signal.SIGALRM)
                elif (not self._escalated
                      and now > self._deadline + ESCALATE_AFTER):
                    self._escalated = True
                    test.escalate()


WATCHDOG = Watchdog()


def bounded(seconds):
    """Decorator: this test's time bound, instead of the class default."""
    def mark(method):
        method.time_bound = seconds
        return method
    return mark


# ---------------------------------------------------------------------------
# In-process servers and callers.

class ThreadServer:
    """A door created and served by threads of the test process.

    One thread per server end.  handler(fd, args) returns the result bytes
    (sent with one write, or DOORFS_IOC_RETURN when empty) or None when it
    completed the call itself (or left it to the end's next read, with
    hold=True: DOORFS_IOC_HOLD_RESULTS on every end).  Taken arguments
    are recorded in `calls`, handler exceptions in `errors`.  stop() wakes
    every idle end with an empty call through a descriptor kept for that,
    and the threads close their own ends: a descriptor is never closed
    under a blocked read."""

    def __init__(self, path, handler=None, ends=1, mode=0o666, hold=False):
        self.path = path
        self.handler = handler or (lambda fd, args: args)
        self.calls = []
        self.errors = []
        self.tids = []
        self._stopping = False
        self._stopped = False
        self._busy = 0
        self._lock = threading.Lock()
        self.fd = fileplane.create_door(path, mode)
        fds = [self.fd] + [fileplane.open_server_end(path, self.fd)
                           for _ in range(ends - 1)]
        if hold:
            for fd in fds:
                doorfs.hold_results(fd)
        self._wake_fd = os.open(path, os.O_RDWR | os.O_CLOEXEC)
        self._threads = [threading.Thread(target=self._serve, args=(fd,),
                                          daemon=True) for fd in fds]
        for thread in self._threads:
            thread.start()

    def _serve(self, fd):
        with self._lock:
            self.tids.append(threading.get_native_id())
        try:
            while True:
                try:
                    args = fileplane.take_call(fd)
                except OSError:
                    return
                if self._stopping:
                    fileplane.reply(fd, b"")
                    return
                with self._lock:
                    self._busy += 1
                    self.calls.append(args)
                try:
                    result = self.handler(fd, args)
                    if result is not None:
                        fileplane.reply(fd, result)
                except Exception as e:    # reported through self.errors
                    self.errors.append(e)
                finally:
                    with self._lock:
                        self._busy -= 1
                if self._stopping:
                    return
        finally:
            close_quietly(fd)

    def wait_idle(self, timeout=STEP_TIMEOUT):
        """Wait until every end is blocked in read, waiting for a call."""
        wait_until(lambda: len(self.tids) == len(self._threads),
                   timeout, "server threads to start")
        wait_blocked(self.tids, "read", timeout=timeout)

    def stop(self):
        if self._stopped:
            return
        self._stopped = True
        with self._lock:
            self._stopping = True
            idle = sum(t.is_alive() for t in self._threads) - self._busy
        waker = threading.Thread(target=self._wake, args=(idle,),
                                 daemon=True)
        waker.start()
        waker.join(2)
        # Ends busy in a handler leave once it returns; don't wait for them.
        deadline = time.monotonic() + 1
        for thread in self._threads:
            thread.join(max(0, deadline - time.monotonic()))
        if not waker.is_alive():    # else it is still using the descriptor
            close_quietly(self._wake_fd)

    def _wake(self, count):
        for _ in range(count):
            try:
                doorfs.call(self._wake_fd, b"")
            except OSError:
                return      # revoked or daemon gone: the ends are done


class HeldCall:
    """A handler that holds each call until released, then writes
    "late:" + ARGS itself and records what that write returned."""

    def __init__(self, test):
        self.took = threading.Event()
        self.release = threading.Event()
        self.writes = []
        test.addCleanup(self.release.set)

    def __call__(self, fd, args):
        self.took.set()
        self.release.wait(10)
        result = b"late:" + args
        try:
            self.writes.append(os.write(fd, result))
        except OSError as e:
            self.writes.append(fileplane.errno_name(e.errno))

    def wait_taken(self):
        wait_until(self.took.is_set, 5, "the server to take the call")

    def finish(self, count=1):
        """Release the held call; the server's write results."""
        self.release.set()
        wait_until(lambda: len(self.writes) >= count, 5,
                   "the server to write its result")
        return self.writes


class RawCaller:
    """A door call made by a thread of the test process, errno-exact.

    Opens and writes the arguments at once (so those errors surface in the
    test), then a thread blocks in read(2) (or the call ioctl) and records
    the result bytes or the errno name."""

    def __init__(self, path, args=b"", ioctl=False, flags=os.O_RDWR):
        self.fd = os.open(path, flags | os.O_CLOEXEC)
        self.ioctl = ioctl
        if args and not ioctl:
            fileplane.write_all(self.fd, args)
        self.args = args
        self._outcome = None
        self.tid = None
        started = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(started,),
                                        daemon=True)
        self._thread.start()
        started.wait()

    def _run(self, started):
        self.tid = threading.get_native_id()
        started.set()
        try:
            if self.ioctl:
                self._outcome = doorfs.call(self.fd, self.args)
            else:
                self._outcome = fileplane.read_to_eof(self.fd, raw=True)
        except OSError as e:
            self._outcome = fileplane.errno_name(e.errno)

    @property
    def ident(self):
        """The calling thread's Python ident, for signal.pthread_kill."""
        return self._thread.ident

    def wait_blocked(self, timeout=STEP_TIMEOUT):
        wait_blocked([self.tid], "ioctl" if self.ioctl else "read",
                     timeout=timeout)

    def done(self):
        return not self._thread.is_alive()

    def outcome(self, timeout=STEP_TIMEOUT):
        """Result bytes or errno name (e.g. "EINTR") once the call ends."""
        self._thread.join(timeout)
        if self._thread.is_alive():
            raise AssertionError("call on %s still blocked after %gs"
                                 % (self.path_hint(), timeout))
        return self._outcome

    def path_hint(self):
        return os.readlink("/proc/self/fd/%d" % self.fd)

    def close(self):
        if self.done() and self.fd is not None:
            close_quietly(self.fd)
            self.fd = None


class ServerEnd:
    """A server end the test holds and may close itself (once)."""

    def __init__(self, fd):
        self.fd = fd

    def close(self):
        if self.fd is not None:
            fd, self.fd = self.fd, None
            close_quietly(fd)


# ---------------------------------------------------------------------------
# The base class of every test that needs a mount.

class DoorTestCase(unittest.TestCase):
    """A mount per test class, started by the first test that asks for it
    (so a broken daemon fails each test, not just the class set-up) and
    replaced when a test leaves it dead.  Every test is time bounded and
    fails if the daemon died during it."""

    time_bound = 15         # seconds per test; @bounded(n) overrides
    in_test_method = False
    _mount = None
    _mount_failure = None

    @classmethod
    def tearDownClass(cls):
        if cls._mount is not None:
            cls._mount.stop()
            cls._mount = None

    def setUp(self):
        method = getattr(self, self._testMethodName)
        WATCHDOG.arm(self, getattr(method, "time_bound", self.time_bound))
        self.addCleanup(WATCHDOG.disarm)
        self._children = []
        self._escalated = False
        self._daemon_may_die = False
        self._mount_used = None
        self.addCleanup(self._check_daemon_survived)

    def _callTestMethod(self, method):
        self.in_test_method = True
        try:
            super()._callTestMethod(method)
        finally:
            self.in_test_method = False

    # -- the mount ---------------------------------------------------------

    @property
    def mount(self):
        cls = type(self)
        if cls._mount is not None and not cls._mount.alive():
            cls._mount.stop()
            cls._mount = None
        if cls._mount is None:
            if cls._mount_failure is not None:
                raise AssertionError("mount failed earlier in this class: %s"
                                     % cls._mount_failure)
            mount = Mount(cls.__name__)
            try:
                mount.start()
            except AssertionError as e:
                mount.stop()
                cls._mount_failure = str(e)
                raise
            cls._mount = mount
        self._mount_used = cls._mount
        return cls._mount

    def door_path(self, name):
        """A path on the mount, unique to this test."""
        return os.path.join(self.mount.path,
                            "%s-%s" % (self._testMethodName, name))

    def _check_daemon_survived(self):
        mount = self._mount_used
        if mount is None or self._escalated or self._daemon_may_die:
            return
        if not mount.daemon_running():
            status = mount.proc.poll() if mount.proc else None
            self.fail("doorfsd died during this test (status %s):\n%s"
                      % (status, mount.log_tail()))

    def daemon_may_die(self):
        """This test kills the daemon on purpose."""
        self._daemon_may_die = True

    def escalate(self):
        """Watchdog: the test is stuck past its bound; free it."""
        self._escalated = True
        for child in self._children:
            child.kill()
        if self._mount_used is not None:
            self._mount_used.kill_daemon()

    def diagnostics(self):
        """Text to print under a failure: helper stderr and daemon log."""
        parts = []
        if getattr(self, "_escalated", False):
            parts.append("watchdog: the test overran its bound; its helpers "
                         "and daemon were killed to free it")
        for child in getattr(self, "_children", []):
            text = child.stderr().strip()
            if text:
                parts.append("stderr of %s:\n%s" % (child.name(), text))
        mount = getattr(self, "_mount_used", None)
        if mount is not None:
            parts.append("doorfsd log (tail):\n%s" % mount.log_tail())
        return "\n".join(parts)

    # -- helpers owned by the test -----------------------------------------

    def child(self, argv, user=None):
        child = Child(argv, user=user)
        self._children.append(child)
        self.addCleanup(child.reap, STEP_TIMEOUT)
        return child

    def spawn_server(self, path, *options, user=None):
        """door_server.py serving path; returns once it reports ready."""
        server = self.child([PYTHON, SERVER_SCRIPT] + list(options) + [path],
                            user=user)
        server.expect("ready")
        return server

    def spawn_client(self, path, args=None, *options, user=None):
        """door_client.py calling path (see its options)."""
        argv = [PYTHON, CLIENT_SCRIPT] + list(options) + [path]
        if args is not None:
            argv.append(os.fsdecode(args))
        return self.child(argv, user=user)

    def client_outcome(self, client, timeout=STEP_TIMEOUT):
        """The JSON report of a door_client.py, results decoded to bytes."""
        while True:
            line = client.line(timeout)
            if line.startswith("{"):
                break
        report = json.loads(line)
        if "result" in report:
            report["result"] = bytes.fromhex(report["result"])
        return report

    def serve(self, path, handler=None, ends=1, mode=0o666, hold=False):
        server = ThreadServer(path, handler, ends, mode, hold)
        self.addCleanup(server.stop)
        return server

    def raw_caller(self, path, args=b"", ioctl=False, flags=os.O_RDWR):
        caller = RawCaller(path, args, ioctl, flags)
        self.addCleanup(caller.close)
        return caller

    def open(self, path, flags=os.O_RDWR):
        fd = os.open(path, flags | os.O_CLOEXEC)
        self.addCleanup(close_quietly, fd)
        return fd

    def server_end(self, path, mode=0o600):
        """Create a door served by the test itself: its first server end,
        as a ServerEnd the test may close early."""
        end = ServerEnd(fileplane.create_door(path, mode))
        self.addCleanup(end.close)
        return end

    # -- assertions --------------------------------------------------------

    def assertErrno(self, expected, func, *args):
        """func(*args) must fail with errno `expected` (number or name)."""
        with self.assertRaises(OSError) as cm:
            func(*args)
        self.assertEqual(fileplane.errno_name(cm.exception.errno),
                         fileplane.errno_name(expected),
                         "%s%r" % (getattr(func, "__name__", func), args))

    def file_call(self, path, args=b""):
        """One call the way the protocol page shows for Python."""
        with open(path, "r+b", buffering=0) as f:
            if args:
                self.assertEqual(f.write(args), len(args))
            return f.read()

    def assert_daemon_serves(self):
        """The mount still creates and calls a new door correctly."""
        path = self.door_path("still-serving-%d" % time.monotonic_ns())
        server = self.serve(path, lambda fd, args: b"alive:" + args)
        fd = self.open(path)
        self.assertEqual(doorfs.call(fd, b"ping"), b"alive:ping")
        self.assertEqual(self.file_call(path, b"pong"), b"alive:pong")
        server.stop()
