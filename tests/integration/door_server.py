#!/usr/bin/env python3
"""door_server.py: a door server process for the integration tests.

Creates DOOR and serves it with plain os.open/os.read/os.write, one thread
per server end (the first end is the creating descriptor, the others are
opened on the name and turned into server ends with DOORFS_IOC_SERVE).

Modes (the result of a call with arguments ARGS):
  upper   PREFIX + ARGS.upper()
  echo    PREFIX + ARGS
  caller  JSON {"caller": doorfs.caller(), "args": ARGS as latin-1}
  hang    never replies: the end holds the call until the process dies

It reports on stdout, one flushed line per event, so a test can follow it:
  ready PID                          the door exists and every end is set up
  took END ARGSIZE INFLIGHT ARGS     an end took a call (ARGS as latin-1
                                     repr, first 40 bytes)
  exit END ERRNO                     an end stopped (its read failed)
"""
import argparse
import json
import os
import sys
import threading
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fileplane  # noqa: E402
from fileplane import doorfs  # noqa: E402

_report_lock = threading.Lock()


def report(*words):
    with _report_lock:
        sys.stdout.write(" ".join(str(w) for w in words) + "\n")
        sys.stdout.flush()


class Server:
    def __init__(self, opts):
        self.opts = opts
        self.inflight = 0
        self.lock = threading.Lock()

    def result(self, fd, args):
        mode, prefix = self.opts.mode, self.opts.prefix.encode()
        if mode == "upper":
            return prefix + args.upper()
        if mode == "echo":
            return prefix + args
        if mode == "caller":
            return json.dumps({"caller": doorfs.caller(fd),
                               "args": args.decode("latin-1")}).encode()
        raise AssertionError(mode)

    def serve_end(self, end, fd):
        while True:
            try:
                args = fileplane.take_call(fd)
            except OSError as e:
                report("exit", end, fileplane.errno_name(e.errno))
                return
            with self.lock:
                self.inflight += 1
                inflight = self.inflight
            report("took", end, len(args), inflight,
                   repr(args[:40].decode("latin-1")))
            if self.opts.mode == "hang":
                threading.Event().wait()
            if self.opts.delay:
                time.sleep(self.opts.delay)
            result = self.result(fd, args)
            with self.lock:
                self.inflight -= 1
            fileplane.reply(fd, result)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--mode", default="upper",
                        choices=("upper", "echo", "caller", "hang"))
    parser.add_argument("--prefix", default="")
    parser.add_argument("--ends", type=int, default=1)
    parser.add_argument("--delay", type=float, default=0.0,
                        help="seconds to hold each call before replying")
    parser.add_argument("--perm", type=lambda s: int(s, 8), default=0o666)
    parser.add_argument("--umask", type=lambda s: int(s, 8), default=0)
    parser.add_argument("door")
    opts = parser.parse_args()

    os.umask(opts.umask)
    first = fileplane.create_door(opts.door, opts.perm)
    fds = [first] + [fileplane.open_server_end(opts.door, first)
                     for _ in range(opts.ends - 1)]
    server = Server(opts)
    threads = [threading.Thread(target=server.serve_end, args=(end, fd),
                                daemon=True)
               for end, fd in enumerate(fds)]
    for thread in threads:
        thread.start()
    report("ready", os.getpid())
    for thread in threads:
        thread.join()


if __name__ == "__main__":
    main()
