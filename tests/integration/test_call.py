"""Calling doors: from the shell, Python files, the C client and the call
ioctl; several calls on one descriptor; large payloads; inline limits."""
import os
import threading
import time
import unittest

from harness import (DOOR_CLIENT_C, DoorTestCase, HeldCall, bounded,
                     doorfs, fileplane, run, wait_until)

MiB = fileplane.MiB


class CallersTest(DoorTestCase):
    """Every kind of caller against one door_server.py process that
    answers "door:" + ARGS upper-cased."""

    def setUp(self):
        super().setUp()
        self.door = self.door_path("upper")
        self.server = self.spawn_server(self.door, "--mode", "upper",
                                        "--prefix", "door:")

    def calls_taken(self):
        return int(os.getxattr(self.door, "user.door.calls"))

    def test_shell_client(self):
        out = run(["sh", "-c", 'exec 3<>"$1"; printf %s "$2" >&3; cat <&3',
                   "sh", self.door, "hello, door"])
        self.assertEqual((out.returncode, out.stderr), (0, b""))
        self.assertEqual(out.stdout, b"door:HELLO, DOOR")

    def test_python_file_client(self):
        self.assertEqual(self.file_call(self.door, b"from python"),
                         b"door:FROM PYTHON")

    def test_c_client(self):
        if DOOR_CLIENT_C is None:
            self.skipTest("DOOR_CLIENT_C not set and no door-client built")
        out = run([DOOR_CLIENT_C, self.door, "from c"])
        self.assertEqual((out.returncode, out.stderr), (0, b""))
        self.assertEqual(out.stdout, b"door:FROM C")
        out = run([DOOR_CLIENT_C, self.door], input=b"from stdin")
        self.assertEqual((out.returncode, out.stderr), (0, b""))
        self.assertEqual(out.stdout, b"door:FROM STDIN")
        revoked = self.door_path("revoked")
        os.close(fileplane.create_door(revoked))
        out = run([DOOR_CLIENT_C, revoked, "x"])
        self.assertNotEqual(out.returncode, 0)
        self.assertNotEqual(out.stderr.strip(), b"", "no error message")

    def test_ioctl_call(self):
        fd = self.open(self.door)
        self.assertEqual(doorfs.call(fd, b"ioctl"), b"door:IOCTL")
        self.assertEqual(doorfs.call(fd, b""), b"door:")
        # Opening for reading is enough to call through the ioctl.
        rdonly = self.open(self.door, os.O_RDONLY)
        self.assertEqual(doorfs.call(rdonly, b"read only"), b"door:READ ONLY")

    def test_cat_is_an_empty_call(self):
        out = run(["cat", self.door])
        self.assertEqual((out.returncode, out.stdout), (0, b"door:"))
        took = self.server.expect("took")   # took END ARGSIZE INFLIGHT ARGS
        self.assertEqual(took[2], "0")
        self.assertEqual(self.calls_taken(), 1)

    def test_calls_in_sequence_on_one_descriptor(self):
        fd = self.open(self.door)
        self.assertEqual(os.write(fd, b"one"), 3)
        self.assertEqual(os.read(fd, 100), b"door:ONE")
        self.assertEqual(os.read(fd, 100), b"")
        self.assertEqual(os.read(fd, 100), b"")
        self.assertEqual(os.write(fd, b"tw"), 2)
        self.assertEqual(os.write(fd, b"o"), 1)
        self.assertEqual(os.read(fd, 100), b"door:TWO")
        self.assertEqual(os.read(fd, 100), b"")
        # Reads at the end of a result make no new call.
        self.assertEqual(self.calls_taken(), 2)

    def test_result_read_in_pieces(self):
        fd = self.open(self.door)
        os.write(fd, b"abcdefghij")
        pieces = [os.read(fd, 4) for _ in range(5)]
        self.assertEqual(pieces, [b"door", b":ABC", b"DEFG", b"HIJ", b""])

    def test_new_write_discards_unread_rest(self):
        fd = self.open(self.door)
        os.write(fd, b"first call")
        self.assertEqual(os.read(fd, 7), b"door:FI")
        os.write(fd, b"second")
        self.assertEqual(fileplane.read_to_eof(fd), b"door:SECOND")


class PayloadTest(DoorTestCase):
    """Large arguments and results through write/read, and the ioctl's
    inline limits, against an echo server."""

    @bounded(30)
    def test_large_arguments_and_results(self):
        door = self.door_path("echo")
        self.spawn_server(door, "--mode", "echo")
        for size in (MiB, MiB + 1, 3 * MiB, 3 * MiB - 7, 5 * MiB + 4321):
            with self.subTest(size=size):
                args = os.urandom(size)
                self.assertEqual(self.file_call(door, args), args)

    def test_whole_mib_result_completes_at_return(self):
        # One aligned write of exactly 1 MiB could have more to come: the
        # call completes only at DOORFS_IOC_RETURN (or the next read, or
        # close).
        result = os.urandom(MiB)
        written = threading.Event()
        go = threading.Event()

        def handler(fd, args):
            self.assertEqual(os.write(fd, fileplane.page_aligned(result)),
                             MiB)
            written.set()
            go.wait(10)
            doorfs.door_return(fd)

        door = self.door_path("mib")
        server = self.serve(door, handler)
        self.addCleanup(go.set)
        caller = self.raw_caller(door, b"x")
        wait_until(written.is_set, 5, "the server's write")
        time.sleep(0.1)
        self.assertFalse(caller.done(), "the call completed before RETURN")
        go.set()
        self.assertEqual(caller.outcome(), result)
        self.assertEqual(server.errors, [])

    def test_other_results_complete_when_write_returns(self):
        result = os.urandom(MiB + 5)
        written = threading.Event()
        release = threading.Event()
        after_write = []

        def handler(fd, args):
            os.write(fd, result)
            written.set()
            release.wait(10)
            try:    # the call is over: nothing is held any more
                doorfs.door_return(fd)
                after_write.append("returned")
            except OSError as e:
                after_write.append(fileplane.errno_name(e.errno))

        door = self.door_path("short")
        self.serve(door, handler)
        self.addCleanup(release.set)
        caller = self.raw_caller(door, b"x")
        self.assertEqual(caller.outcome(), result)
        self.assertTrue(written.is_set())
        release.set()
        wait_until(lambda: after_write, 5, "the handler to finish")
        self.assertEqual(after_write, ["EINVAL"])

    def test_ioctl_inline_limits(self):
        inline = doorfs.CALL_INLINE_MAX

        def handler(fd, args):
            return b"r" * (inline + 1) if args == b"big" else args

        door = self.door_path("inline")
        server = self.serve(door, handler)
        fd = self.open(door)
        args = bytes(i % 251 for i in range(inline))
        self.assertEqual(doorfs.call(fd, args), args)
        # The binding refuses 4081 itself; ask the daemon with a raw header.
        self.assertErrno("E2BIG", fileplane.raw_call, fd, args, inline + 1)
        self.assertEqual(len(server.calls), 1, "an oversized call ran")
        self.assertErrno("E2BIG", doorfs.call, fd, b"big")
        # The call did run: the result alone was too big.
        self.assertEqual(server.calls[-1], b"big")
        self.assertEqual(int(os.getxattr(door, "user.door.calls")), 2)
        self.assertEqual(doorfs.call(fd, b"after"), b"after")

    def test_second_operation_during_a_call_is_busy(self):
        held = HeldCall(self)
        door = self.door_path("busy")
        self.serve(door, held)
        for how in ("ioctl", "read"):
            with self.subTest(call_by=how):
                held.release.clear()
                caller = self.raw_caller(door, b"slow", ioctl=how == "ioctl")
                caller.wait_blocked()
                # Other threads, on the descriptor whose call is running.
                # (A read or write while a read(2) runs waits on the file
                # position lock the kernel keeps for regular files, so
                # only the ioctl can reach the daemon then.)
                attempts = {"ioctl": Attempt(fileplane.raw_call, caller.fd,
                                             b"")}
                if how == "ioctl":
                    attempts["write"] = Attempt(os.write, caller.fd, b"more")
                    attempts["read"] = Attempt(os.read, caller.fd, 10)
                outcomes = {op: a.outcome(timeout=2)
                            for op, a in attempts.items()}
                held.release.set()
                self.assertEqual(caller.outcome(), b"late:slow")
                for attempt in attempts.values():
                    attempt.outcome(timeout=5)  # let blocked ones finish
                self.assertEqual(outcomes, {op: "EBUSY" for op in attempts})


class Attempt:
    """func(*args) in a thread: its errno name, "ok", or "blocked"."""

    def __init__(self, func, *args):
        self._outcome = "blocked"
        self._thread = threading.Thread(target=self._run, args=(func, args),
                                        daemon=True)
        self._thread.start()

    def _run(self, func, args):
        try:
            func(*args)
            self._outcome = "ok"
        except OSError as e:
            self._outcome = fileplane.errno_name(e.errno)

    def outcome(self, timeout):
        self._thread.join(timeout)
        return self._outcome


if __name__ == "__main__":
    unittest.main()
