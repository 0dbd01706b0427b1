#!/usr/bin/env python3
"""door_client.py: a door caller process for the integration tests.

Calls DOOR with ARGS through the file plane (open, write, read(2) until 0)
or with --ioctl through DOORFS_IOC_CALL, and reports the outcome as one
JSON line on stdout, so a test sees exact errnos even for failures:
  {"result": HEX}                              the call returned
  {"stage": "open"|"write"|"read"|"ioctl", "errno": NAME}
both with "signalled": true if the --handler signal arrived.

Reads use read(2) through ctypes: Python retries reads that fail with
EINTR (PEP 475) and would turn an interrupted door call into a new one.

Before the blocking part it prints "calling" (after opening and writing).
--wait-go: open first, print "ready", wait for a line on stdin, then call.
--threads N: N threads call at once, each on its own descriptor with
  ARGS + "-I"; the report is {"outcomes": [one outcome per thread]}.
--close-from-thread: call in a second thread; on a line from stdin the main
  thread closes the descriptor under it, then reports the call's outcome.
SIGINT is reset to its default action so a test can kill with it.
"""
import argparse
import json
import os
import signal
import sys
import threading

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fileplane  # noqa: E402
from fileplane import doorfs  # noqa: E402

signalled = False


def on_signal(signum, frame):
    global signalled
    signalled = True


class Call:
    """One call on its own descriptor, split so a test can step through it."""

    def __init__(self, opts, args):
        self.opts, self.args = opts, args
        self.fd = None
        self.outcome = None

    def fail(self, stage, err):
        self.outcome = {"stage": stage,
                        "errno": fileplane.errno_name(err.errno)}

    def open(self):
        flags = os.O_RDONLY if self.opts.rdonly else os.O_RDWR
        try:
            self.fd = os.open(self.opts.door, flags | os.O_CLOEXEC)
        except OSError as e:
            self.fail("open", e)
        return self.outcome is None

    def write(self):
        if self.opts.ioctl or not self.args:
            return True
        try:
            fileplane.write_all(self.fd, self.args)
        except OSError as e:
            self.fail("write", e)
        return self.outcome is None

    def finish(self):
        stage = "ioctl" if self.opts.ioctl else "read"
        try:
            if self.opts.ioctl:
                result = doorfs.call(self.fd, self.args)
            else:
                result = fileplane.read_to_eof(self.fd, raw=True)
        except OSError as e:
            self.fail(stage, e)
        else:
            self.outcome = {"result": result.hex()}

    def run(self):
        if self.open() and self.write():
            self.finish()


def emit(obj):
    obj["signalled"] = signalled
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


def say(word):
    sys.stdout.write(word + "\n")
    sys.stdout.flush()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rdonly", action="store_true")
    parser.add_argument("--ioctl", action="store_true")
    parser.add_argument("--handler", metavar="SIG",
                        help="catch SIG with SA_RESTART and carry on")
    parser.add_argument("--wait-go", action="store_true")
    parser.add_argument("--threads", type=int, default=0)
    parser.add_argument("--close-from-thread", action="store_true")
    parser.add_argument("door")
    parser.add_argument("args", nargs="?", default="")
    opts = parser.parse_args()
    args = os.fsencode(opts.args)

    signal.signal(signal.SIGINT, signal.SIG_DFL)
    if opts.handler:
        signum = getattr(signal, opts.handler)
        signal.signal(signum, on_signal)
        signal.siginterrupt(signum, False)  # SA_RESTART

    if opts.threads:
        calls = [Call(opts, args + b"-%d" % i) for i in range(opts.threads)]
        threads = [threading.Thread(target=c.run) for c in calls]
        for thread in threads:
            thread.start()
        say("calling")
        for thread in threads:
            thread.join()
        emit({"outcomes": [c.outcome for c in calls]})
        return

    call = Call(opts, args)
    if not call.open():
        emit(call.outcome)
        return
    if opts.wait_go:
        say("ready")
        sys.stdin.readline()
    if not call.write():
        emit(call.outcome)
        return
    if opts.close_from_thread:
        caller = threading.Thread(target=call.finish)
        caller.start()
        say("calling")
        sys.stdin.readline()
        os.close(call.fd)
        caller.join()
    else:
        say("calling")
        call.finish()
    emit(call.outcome)


if __name__ == "__main__":
    main()
