"""Hundreds of idle server ends and hundreds of blocked callers at once:
the daemon must keep answering everyone else."""
import collections
import os
import unittest

from harness import (DoorTestCase, bounded, doorfs, run,
                     wait_process_blocked)

COUNT = 300


class ScaleTest(DoorTestCase):

    @bounded(60)
    def test_idle_server_ends_and_blocked_callers(self):
        idle = [self.serve(self.door_path("idle%03d" % i),
                           lambda fd, args, i=i: b"%d:" % i + args)
                for i in range(COUNT)]
        for server in idle:
            server.wait_idle()

        silent = self.door_path("silent")
        hang = self.spawn_server(silent, "--mode", "hang")
        callers = self.spawn_client(silent, "caller", "--threads", str(COUNT))
        callers.expect("calling")
        wait_process_blocked(callers.pid, "read", COUNT, timeout=20)
        hang.expect("took")

        # Everything else still works, promptly (the test's bound).
        names = os.listdir(self.mount.path)
        self.assertEqual(len(names), COUNT + 1)
        out = run(["ls", "-l", self.mount.path])
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertEqual(len(out.stdout.splitlines()), COUNT + 2)  # + total
        self.assertEqual(os.stat(silent).st_size, 0)
        self.assert_daemon_serves()
        for i, server in enumerate(idle):
            fd = os.open(server.path, os.O_RDWR)
            try:
                self.assertEqual(doorfs.call(fd, b"hi"), b"%d:hi" % i)
            finally:
                os.close(fd)

        # The silent server dies: its held call fails with ECONNRESET, the
        # queued ones with EBADF, all of them at once.
        hang.kill()
        report = self.client_outcome(callers, timeout=20)
        outcomes = collections.Counter(
            (o.get("stage"), o.get("errno")) for o in report["outcomes"])
        self.assertEqual(outcomes, {("read", "ECONNRESET"): 1,
                                    ("read", "EBADF"): COUNT - 1})
        self.assertEqual(callers.wait(), 0)


if __name__ == "__main__":
    unittest.main()
