#!/usr/bin/env python3
"""server.py: serve a door from Python with plain os.read and os.write.

    server.py DOORPATH [--threads N] [--mode MODE] [--once]

Creates DOORPATH on a doorfs mount and answers every call with its
arguments upper-cased and a note of who called, e.g. b"HELLO (for pid 345,
uid 1000)\\n".  The door protocol is the file plane of docs/PROTOCOL.md:
read() on the server end waits for a call and returns its arguments,
write() of the result completes it.  doorfs.py is needed only for the
extras: who is calling, and more server ends for concurrent calls.

One line per call goes to stderr.  SIGTERM or SIGINT stops the server; its
server ends close with the process and that revokes the door (the name
stays, as on illumos, until someone removes it).
"""
import argparse
import errno
import os
import signal
import sys
import threading
import time

import doorfs

PROG = "server.py"

# Large enough that typical arguments arrive in the one read() that takes
# the call; anything longer is read in further pieces.
READ_SIZE = 64 * 1024


def log(message):
    print(f"{PROG}: {message}", file=sys.stderr, flush=True)


def procedure(args, who):
    """The door's service: what a call with these arguments returns."""
    # A trailing newline (echo's) would split the line in two.
    return b"%s (for pid %d, uid %d)\n" % (args.rstrip(b"\n").upper(),
                                           who["pid"], who["uid"])


class Server:
    """The server ends of one door and the threads that serve them."""

    def __init__(self, path, once):
        self.path = path
        self.once = once
        self.fds = []
        self.done = threading.Event()   # time for the main thread to exit
        self.lock = threading.Lock()
        self.busy = 0                   # calls taken and not yet answered
        self.stopping = False
        self.status = 0

    def create(self, mode):
        """Create the door; its descriptor is the first server end."""
        flags = os.O_CREAT | os.O_EXCL | os.O_RDWR
        try:
            fd = self._open(flags, mode)
        except FileExistsError:
            # A revoked door keeps its name until it is removed; taking
            # the name over is what a restarted server wants.  A live door
            # belongs to its server, so leave it alone.
            revoked = _xattr(self.path, "user.door.revoked")
            if revoked is None:
                raise SystemExit(f"{PROG}: {self.path} exists and is not "
                                 "a door")
            if revoked != b"1":
                pid = _xattr(self.path, "user.door.server_pid") or b"?"
                raise SystemExit(f"{PROG}: {self.path} is a live door, "
                                 f"served by pid {pid.decode()}")
            os.unlink(self.path)
            fd = self._open(flags, mode)
        try:
            doorfs.info(fd)
        except OSError:
            # Not on a doorfs mount: an ordinary file would return
            # end-of-file forever instead of waiting for calls.
            os.close(fd)
            os.unlink(self.path)
            raise SystemExit(f"{PROG}: {self.path}: not on a doorfs mount")
        self.fds.append(fd)

    def _open(self, flags, mode):
        if mode is None:
            return os.open(self.path, flags, 0o666)
        # An explicit --mode is meant exactly, so the umask stays out.
        old = os.umask(0)
        try:
            return os.open(self.path, flags, mode)
        finally:
            os.umask(old)

    def add_server_ends(self, count):
        """Open `count` more server ends for concurrent calls.

        Reopening through /proc/self/fd names the same door even if
        someone renames or removes the path meanwhile; the token proves to
        doorfs that we are its server.
        """
        token = doorfs.server_token(self.fds[0])
        for _ in range(count):
            fd = os.open(f"/proc/self/fd/{self.fds[0]}", os.O_RDWR)
            doorfs.serve(fd, token)
            self.fds.append(fd)

    def serve(self, fd, name):
        """Answer calls on one server end until the process exits."""
        while True:
            # Blocks until a call arrives and takes it; 0 bytes here is a
            # call with empty arguments, not end-of-file.  An error means
            # the door or the daemon is gone: nothing more to serve.
            try:
                first = os.read(fd, READ_SIZE)
            except OSError as e:
                self._fail(f"{name}: waiting for a call: {_describe(e)}")
                return
            with self.lock:
                self.busy += 1
            try:
                self._answer(fd, name, first)
            except OSError as e:
                # One call went wrong (its caller vanished, say); the
                # door is still fine, so carry on with the next.
                log(f"{name}: call dropped: {_describe(e)}")
            finally:
                with self.lock:
                    self.busy -= 1
            if self.once:
                self.done.set()
                return

    @staticmethod
    def _answer(fd, name, first):
        who = doorfs.caller(fd)
        parts = [first]
        got = len(first)
        while got < who["arg_size"]:
            piece = os.read(fd, who["arg_size"] - got)
            if not piece:
                break
            parts.append(piece)
            got += len(piece)
        args = b"".join(parts)
        result = procedure(args, who)
        log(f"{name}: call from pid {who['pid']} uid {who['uid']}: "
            f"{len(args)} bytes in, {len(result)} bytes out")
        # One write() of the whole result completes the call.
        n = os.write(fd, result)
        if n != len(result):
            log(f"{name}: short write ({n} of {len(result)} bytes)")

    def _fail(self, message):
        with self.lock:
            if self.stopping:
                return
            self.stopping = True
            self.status = 1
        log(message)
        self.done.set()

    def stop(self, signum=None, frame=None):
        with self.lock:
            self.stopping = True
        self.done.set()

    def wait_idle(self, timeout):
        """Let calls already taken get their results before exiting."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                if self.busy == 0:
                    return
            time.sleep(0.05)


def _describe(error):
    # A dead daemon fails a read in progress with ECONNABORTED and later
    # operations with ENOTCONN.
    if error.errno in (errno.ECONNABORTED, errno.ENOTCONN):
        return f"{error.strerror} (the doorfs daemon is gone)"
    return error.strerror


def _xattr(path, name):
    """A door attribute's value, or None where there is none (not a door)."""
    try:
        return os.getxattr(path, name).strip()
    except OSError:
        return None


def parse_mode(text):
    try:
        mode = int(text, 8)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an octal mode: {text}")
    if not 0 <= mode <= 0o7777:
        raise argparse.ArgumentTypeError(f"not a file mode: {text}")
    return mode


def main():
    parser = argparse.ArgumentParser(
        prog=PROG, description="Serve a door that upper-cases its arguments.")
    parser.add_argument("door", metavar="DOORPATH",
                        help="where to create the door, on a doorfs mount")
    parser.add_argument("--threads", type=int, default=1, metavar="N",
                        help="serve up to N calls at once (default 1)")
    parser.add_argument("--mode", type=parse_mode, metavar="MODE",
                        help="permission bits, octal, umask not applied "
                             "(default 0666 less the umask)")
    parser.add_argument("--once", action="store_true",
                        help="serve one call, then exit")
    opts = parser.parse_args()
    if opts.threads < 1:
        parser.error("--threads must be at least 1")

    server = Server(opts.door, opts.once)
    try:
        server.create(opts.mode)
        server.add_server_ends(opts.threads - 1)
    except OSError as e:
        hint = " (is a doorfs mounted there?)" if e.errno == errno.ENOENT \
            else ""
        raise SystemExit(f"{PROG}: {opts.door}: {e.strerror}{hint}")

    # Signals go to the main thread only: a serving thread interrupted in
    # read() would just retry, and the main thread is the one that exits.
    signal.signal(signal.SIGTERM, server.stop)
    if signal.getsignal(signal.SIGINT) is not signal.SIG_IGN:
        signal.signal(signal.SIGINT, server.stop)
    stop_signals = {signal.SIGTERM, signal.SIGINT}
    signal.pthread_sigmask(signal.SIG_BLOCK, stop_signals)
    for i, fd in enumerate(server.fds):
        threading.Thread(target=server.serve, args=(fd, f"thread {i + 1}"),
                         daemon=True).start()
    signal.pthread_sigmask(signal.SIG_UNBLOCK, stop_signals)

    log(f"serving {opts.door} as pid {os.getpid()} with "
        f"{len(server.fds)} server end(s)")
    server.done.wait()
    server.wait_idle(timeout=5.0)
    # Threads still waiting in read() hold their server ends until the
    # process exits; the kernel closes them then, which revokes the door.
    if server.status == 0:
        log("stopping; the door is revoked as the server ends close")
    sys.stdout.flush()
    os._exit(server.status)


if __name__ == "__main__":
    main()
