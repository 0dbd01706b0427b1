"""Garbage in: unknown ioctls, malformed call headers, payloads over
DOORFS_DATA_MAX.  Each gets its errno and nothing else breaks."""
import os
import unittest

from harness import DoorTestCase, bounded, doorfs, fileplane, wait_until

MiB = fileplane.MiB


def ioc(direction, kind, nr, size):
    """An ioctl number as <asm-generic/ioctl.h> builds it."""
    return (direction << 30) | (size << 16) | (ord(kind) << 8) | nr


_NONE, _WRITE, _READ = 0, 1, 2

# Numbers doorfs does not define, including its own with a wrong size or
# direction.  (Avoid FIONREAD, FIOCLEX and friends: the VFS answers them.)
UNKNOWN_IOCTLS = {
    "_IO('D', 0x7f)": (ioc(_NONE, "D", 0x7F, 0), None),
    "INFO with size 8": (ioc(_READ, "D", 1, 8), 8),
    "CALL as _IOR": (ioc(_READ, "D", 2, fileplane.CALL_SIZE),
                     fileplane.CALL_SIZE),
    "_IOWR('z', 3, 16)": (ioc(_READ | _WRITE, "z", 3, 16), 16),
    "0xDEAD": (0xDEAD, None),
}


class GarbageTest(DoorTestCase):

    def setUp(self):
        super().setUp()
        self.door = self.door_path("target")
        self.server = self.serve(self.door, lambda fd, args: b"ok:" + args)

    def test_unknown_ioctls(self):
        client = self.open(self.door)
        for name, (number, size) in UNKNOWN_IOCTLS.items():
            for role, fd in (("client", client), ("server end",
                                                  self.server.fd)):
                with self.subTest(ioctl=name, on=role):
                    self.assertErrno("ENOTTY", fileplane.ioctl, fd, number,
                                     size or 0)
        self.assertEqual(doorfs.call(client, b"x"), b"ok:x")
        self.assert_daemon_serves()

    def test_door_ioctls_on_a_directory(self):
        sub = self.door_path("dir")
        os.mkdir(sub)
        for path in (self.mount.path, sub):
            fd = self.open(path, os.O_RDONLY | os.O_DIRECTORY)
            with self.subTest(path=path):
                self.assertErrno("ENOTTY", doorfs.info, fd)
                self.assertErrno("ENOTTY", doorfs.call, fd, b"x")
        os.rmdir(sub)

    def test_malformed_call_headers(self):
        fd = self.open(self.door)
        for version in (0, doorfs.VERSION + 1, 0xFFFFFFFF):
            with self.subTest(version=version):
                self.assertErrno("EINVAL", fileplane.raw_call, fd, b"v",
                                 None, version)
        self.assertErrno("EINVAL", fileplane.raw_call, fd, b"r", None,
                         doorfs.VERSION, 1)
        self.assertEqual(self.server.calls, [], "a malformed call ran")
        self.assertEqual(fileplane.raw_call(fd, b"fine"), b"ok:fine")
        self.assert_daemon_serves()

    def test_misused_door_ioctls(self):
        client = self.open(self.door)
        server_end = self.server.fd
        self.assertErrno("EINVAL", fileplane.raw_call, server_end, b"x")
        self.assertErrno("EINVAL", doorfs.hold_results, client)
        self.assertErrno("EPERM", doorfs.server_token, client)
        self.assertEqual(self.server.calls, [])
        self.assert_daemon_serves()

    def test_arguments_over_data_max(self):
        fd = self.open(self.door)
        chunk = os.urandom(MiB)
        for _ in range(doorfs.DATA_MAX // MiB):
            self.assertEqual(os.write(fd, chunk), MiB)
        self.assertErrno("E2BIG", os.write, fd, b"x")
        # Refused arguments stay refused until a read reports it, so no
        # call is made from a truncated tail; then the descriptor is fresh.
        self.assertErrno("E2BIG", os.write, fd, b"tail")
        self.assertErrno("E2BIG", os.read, fd, 100)
        self.assertEqual(self.server.calls, [])
        self.assertEqual(os.write(fd, b"small"), 5)
        self.assertEqual(os.read(fd, 100), b"ok:small")
        self.assertEqual(self.server.calls, [b"small"])
        self.assert_daemon_serves()

    @bounded(30)
    def test_result_over_data_max(self):
        door = self.door_path("huge")
        writes = []

        def handler(fd, args):
            chunk = bytes(MiB)
            for _ in range(doorfs.DATA_MAX // MiB):
                writes.append(os.write(fd, chunk))
            try:
                os.write(fd, b"x")
                writes.append("one more")
            except OSError as e:
                writes.append(fileplane.errno_name(e.errno))
            # The refused write added nothing and left the call held.
            doorfs.door_return(fd)

        server = self.serve(door, handler, hold=True)
        caller = self.raw_caller(door, b"x")
        result = caller.outcome(20)
        self.assertEqual(writes, [MiB] * (doorfs.DATA_MAX // MiB) + ["E2BIG"])
        self.assertEqual(server.errors, [])
        self.assertEqual(len(result), doorfs.DATA_MAX)
        self.assertEqual(result.count(0), doorfs.DATA_MAX)
        self.assert_daemon_serves()


class ChargeTest(DoorTestCase):
    """Bytes a user makes the daemon buffer are limited (1 GiB per user)
    and given back when the descriptors holding them close."""

    GiB = 1 << 30

    @bounded(60)
    def test_buffered_arguments_are_limited_per_user(self):
        door = self.door_path("sink")
        server = self.serve(door, lambda fd, args: b"ok")
        chunk = os.urandom(MiB)
        fds, accepted = [], 0
        refused = None
        while refused is None and accepted <= self.GiB:
            if accepted % doorfs.DATA_MAX == 0:
                fds.append(os.open(door, os.O_RDWR))
            try:
                accepted += os.write(fds[-1], chunk)
            except OSError as e:
                refused = fileplane.errno_name(e.errno)
        try:
            self.assertEqual(refused, "ENOBUFS")
            self.assertGreaterEqual(accepted, self.GiB - 4 * MiB)
            self.assertLessEqual(accepted, self.GiB)
            self.assertErrno("ENOBUFS", os.write, fds[-1], b"x")
            # Another descriptor of the same user is refused as well.
            other = self.open(door)
            self.assertErrno("ENOBUFS", os.write, other, chunk)
        finally:
            for fd in fds:
                os.close(fd)
        # Closed descriptors give their bytes back.
        wait_until(lambda: try_write(door, chunk), 5,
                   "the daemon to release the closed descriptors' bytes")
        self.assertEqual(self.file_call(door, b"again"), b"ok")
        self.assertEqual(server.calls, [b"again"])


def try_write(path, data):
    """True if a fresh descriptor on path accepts data."""
    fd = os.open(path, os.O_RDWR)
    try:
        return os.write(fd, data) == len(data)
    except OSError:
        return False
    finally:
        os.close(fd)

if __name__ == "__main__":
    unittest.main()
