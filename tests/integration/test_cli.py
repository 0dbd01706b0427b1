"""The daemon's command line: errors, and mounting in the background."""
import os
import unittest

from harness import (DOORFSD, FSTYPE, DoorTestCase, Mount, find_daemon,
                     fstype_at, mount_options, run, run_dir, wait_until)


class DaemonCommandLineTest(DoorTestCase):

    def setUp(self):
        super().setUp()
        if not os.access(DOORFSD, os.X_OK):
            self.fail("no doorfsd at %s (set DOORFSD or build it)" % DOORFSD)

    def scratch(self):
        """A mount point of our own; stopped and removed after the test."""
        mount = Mount("cli")
        self.addCleanup(mount.stop)
        return mount

    def assert_one_line_error(self, out):
        self.assertNotEqual(out.returncode, 0)
        lines = out.stderr.decode("utf-8", "replace").strip().splitlines()
        self.assertEqual(len(lines), 1, "stderr: %r" % out.stderr)

    def test_bad_options(self):
        mount = self.scratch()
        for options in (["--no-such-option"], ["-Z"],
                        ["-o", "no_such_option"]):
            with self.subTest(options=options):
                out = run([DOORFSD] + options + [mount.path])
                self.assert_one_line_error(out)
                self.assertIsNone(fstype_at(mount.path))
                self.assertIsNone(find_daemon(mount.path))

    def test_missing_mount_point(self):
        missing = os.path.join(run_dir(), "no-such-directory")
        for options in ([], ["-f"]):
            with self.subTest(options=options):
                out = run([DOORFSD] + options + [missing])
                self.assert_one_line_error(out)
                self.assertIsNone(find_daemon(missing))

    def test_two_mount_points(self):
        # (Never run doorfsd without a mount point here: it would mount
        # the system's default, /run/doors.)
        first, second = self.scratch(), self.scratch()
        out = run([DOORFSD, first.path, second.path])
        self.assert_one_line_error(out)
        self.assertIsNone(fstype_at(first.path))
        self.assertIsNone(fstype_at(second.path))

    def test_background_mount(self):
        mount = self.scratch()
        out = run([DOORFSD, mount.path])
        self.assertEqual((out.returncode, out.stderr), (0, b""))
        # Ready when the command returns: no waiting.
        self.assertEqual(fstype_at(mount.path), FSTYPE)
        self.assertLessEqual({"allow_other", "default_permissions"},
                             mount_options(mount.path))
        mount.pid = find_daemon(mount.path)
        self.assertIsNotNone(mount.pid, "no doorfsd process for the mount")

        door = os.path.join(mount.path, "door")
        server = self.serve(door, lambda fd, args: b"bg:" + args)
        self.assertEqual(self.file_call(door, b"x"), b"bg:x")
        server.stop()

        wait_until(lambda: run(["fusermount3", "-u", mount.path])
                   .returncode == 0, 3, "fusermount3 -u to succeed")
        self.assertIsNone(fstype_at(mount.path))
        wait_until(lambda: not mount.daemon_running(), 5,
                   "doorfsd to exit after the unmount")


if __name__ == "__main__":
    unittest.main()
